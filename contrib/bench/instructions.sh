#!/usr/bin/env bash
# Instructions per request of the fakes' in-process loops, and per record of the client library's, for one or
# more FakeBenchmarks binaries side by side (an old build and a new one): callgrind counts are repeatable to
# within 2% on this noisy machine, where wall-clock pairs of the same binary differ by 15% or more
# (docs/benchmarks.md).
#
# Usage: contrib/bench/instructions.sh BINARY [BINARY ...]   (BENCH_PARTS=fakes, served or client runs one table)
#
# Each loop runs at two request counts and the difference in instructions is divided by the difference in
# requests, so start-up and building the stored state cancel out. valgrind 3.19 cannot read Swift's DWARF 5,
# so each binary is copied without its debug info first (the symbol table stays, for callgrind_annotate).
# The client columns are `FakeBenchmarks --client-in-process` (ClientLoop.swift): the client library's delivery
# of generated profiles, answered by the dry run's canned successes or by the fake in the same process; a binary
# built before that loop existed prints "-" there. The served columns are `FakeBenchmarks --served`
# (ServedLoop.swift): the trivial answer and upserts over a loopback socket, libmicrohttpd and the server core
# included, which the in-process loops skip. Their ratio is what wrk's "upsert / trivial" reads without the
# kernel and wrk; libmicrohttpd's pool reset clears 32 KiB with one `rep stosb` per request, which callgrind
# counts as some 49,000 instructions though it takes well under a microsecond.
set -euo pipefail
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
[ $# -ge 1 ] || { sed -n 7p "$0" >&2; exit 2; }
parts=${BENCH_PARTS:-fakes served client}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

instructions() { # binary, mode flag, requests, environment...
	local binary=$1 mode=$2 requests=$3
	shift 3
	env "$@" BENCH_REQUESTS="$requests" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$binary" "$mode" 2>&1 | awk '/Collected/ {print $4}'
}

per_request() { # binary, mode flag, low, high, environment...
	local binary=$1 mode=$2 low=$3 high=$4
	shift 4
	local a b
	a=$(instructions "$binary" "$mode" "$low" "$@")
	b=$(instructions "$binary" "$mode" "$high" "$@")
	if [ -z "$a" ] || [ -z "$b" ]; then echo "-"; else echo $(((b - a) / (high - low))); fi
}

strip_copy() {
	local stripped="$work/$(echo "$1" | tr / _)"
	strip --strip-debug -o "$stripped" "$1"
	echo "$stripped"
}

# A table: one row per binary, one column per loop. Each column is "heading|mode|low|high|environment".
table() { # title, column...
	local title=$1
	shift
	echo "$title"
	local line
	line=$(printf '%-44s' binary)
	for column in "$@"; do line+=$(printf ' %14s' "${column%%|*}"); done
	echo "$line"
	for binary in "${binaries[@]}"; do
		local stripped
		stripped=$(strip_copy "$binary")
		line=$(printf '%-44s' "$binary")
		for column in "$@"; do
			IFS='|' read -r _ mode low high environment <<<"$column"
			# shellcheck disable=SC2086 # the environment is a list of NAME=VALUE words
			line+=$(printf ' %14s' "$(per_request "$stripped" "$mode" "$low" "$high" $environment)")
		done
		echo "$line"
	done
}

binaries=("$@")
if [[ " $parts " == *" fakes "* ]]; then
	table "Fakes: instructions per request" \
		"AE upsert|--in-process|1000|3000|BENCH_ONLY=pardot" \
		"MC mixed|--in-process|1000|3000|BENCH_ONLY=marketing-cloud BENCH_MIX=mixed" \
		"MC contacts|--in-process|1000|3000|BENCH_ONLY=marketing-cloud BENCH_MIX=contacts" \
		"MC rowset x1|--in-process|1000|3000|BENCH_ONLY=marketing-cloud BENCH_MIX=rowset1" \
		"MC rowset x50|--in-process|100|300|BENCH_ONLY=marketing-cloud BENCH_MIX=rowset50"
fi

if [[ " $parts " == *" served "* ]]; then
	table "Account Engagement fake over a loopback socket: instructions per request" \
		"trivial|--served|1000|3000|BENCH_SERVED=trivial BENCH_SERVER_THREADS=1" \
		"upsert|--served|1000|3000|BENCH_SERVED=upsert BENCH_SERVER_THREADS=1"
fi

if [[ " $parts " == *" client "* ]]; then
	table "Client library: instructions per record" \
		"upsert dry|--client-in-process|2000|6000|BENCH_CLIENT_MIX=prospects BENCH_CLIENT_TRANSPORT=dry" \
		"upsert fake|--client-in-process|2000|6000|BENCH_CLIENT_MIX=prospects BENCH_CLIENT_TRANSPORT=fake" \
		"rowset dry|--client-in-process|5000|15000|BENCH_CLIENT_MIX=rows BENCH_CLIENT_TRANSPORT=dry" \
		"rowset fake|--client-in-process|5000|15000|BENCH_CLIENT_MIX=rows BENCH_CLIENT_TRANSPORT=fake"
fi
