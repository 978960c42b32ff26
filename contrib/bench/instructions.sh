#!/usr/bin/env bash
# Instructions per request of the fakes' in-process loops, for one or more FakeBenchmarks binaries side by side
# (an old build and a new one): callgrind counts are repeatable to a fraction of a percent on this noisy machine,
# where wall-clock pairs of the same binary differ by 15% or more (docs/benchmarks.md).
#
# Usage: contrib/bench/instructions.sh BINARY [BINARY ...]
#
# Each loop runs at two request counts and the difference in instructions is divided by the difference in
# requests, so start-up and building the stored state cancel out. valgrind 3.19 cannot read Swift's DWARF 5,
# so each binary is copied without its debug info first (the symbol table stays, for callgrind_annotate).
set -euo pipefail
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
[ $# -ge 1 ] || { sed -n 5p "$0" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

instructions() { # binary, requests, environment...
	local binary=$1 requests=$2
	shift 2
	env "$@" BENCH_REQUESTS="$requests" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$binary" --in-process 2>&1 | awk '/Collected/ {print $4}'
}

per_request() { # binary, low, high, environment...
	local binary=$1 low=$2 high=$3
	shift 3
	local a b
	a=$(instructions "$binary" "$low" "$@")
	b=$(instructions "$binary" "$high" "$@")
	echo $(((b - a) / (high - low)))
}

printf '%-44s %14s %14s %14s %14s\n' binary "AE upsert" "MC mixed" "MC contacts" "MC rowset x50"
for binary in "$@"; do
	stripped="$work/$(echo "$binary" | tr / _)"
	strip --strip-debug -o "$stripped" "$binary"
	printf '%-44s %14s %14s %14s %14s\n' "$binary" \
		"$(per_request "$stripped" 1000 3000 BENCH_ONLY=pardot)" \
		"$(per_request "$stripped" 1000 3000 BENCH_ONLY=marketing-cloud BENCH_MIX=mixed)" \
		"$(per_request "$stripped" 1000 3000 BENCH_ONLY=marketing-cloud BENCH_MIX=contacts)" \
		"$(per_request "$stripped" 100 300 BENCH_ONLY=marketing-cloud BENCH_MIX=rowset50)"
done
