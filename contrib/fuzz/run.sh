#!/usr/bin/env bash
# Coverage-guided fuzzing of every reader of untrusted bytes (Sources/FuzzTargets: the JSON parser, pull reader and
# decoder, the form decoder, the path router, the HTTP framing checks, the CSV and XML readers), with libFuzzer and AddressSanitizer, as
# the Swift toolchain ships them (`-sanitize=fuzzer,address`; `-parse-as-library`, so libFuzzer supplies main).
#
# Usage: run.sh SECONDS    (per target; `make fuzz` gives 300, `make test` 10)
# Each target starts from Fuzz/corpus/<target> and Fuzz/regressions/<target>; what it finds goes to a scratch folder,
# never into the repository. A failure (a property broken, a crash, a leak, a hang past 10 s) stops that target,
# leaves its input in .build-fuzz/failures/ and makes this script fail: fix the reader, then copy the input into
# Fuzz/regressions/<target>/, where FuzzRegressionTests runs it on every `swift test`.
set -euo pipefail
seconds="${1:?usage: run.sh SECONDS}"
swift="${SWIFT:-swift}"
cd "$(dirname "$0")/../.."
flags=(--scratch-path .build-fuzz --product FuzzReaders -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
    -Xswiftc -DFUZZING)
# Only errors and the outcome are shown: linking with AddressSanitizer makes gold warn about each of its local
# symbols (hundreds of lines that say nothing). A failed build stops here: it once left an earlier binary to be
# fuzzed in place of the code on disk (2026-12-08).
build_log="$(mktemp)"
if ! "$swift" build "${flags[@]}" >"$build_log" 2>&1; then
    grep -E "error:" "$build_log" | head -20 >&2 || true
    echo "the fuzz build failed; its whole output is in $build_log" >&2
    exit 1
fi
grep -E "Build of product|Build complete" "$build_log" || true
rm -f "$build_log"
binary="$("$swift" build "${flags[@]}" --show-bin-path)/FuzzReaders"
[ -x "$binary" ] || { echo "fuzz: $binary was not built" >&2; exit 1; }
mkdir -p .build-fuzz/failures
status=0
for corpus in Fuzz/corpus/*/; do
    target="$(basename "$corpus")"
    scratch="$(mktemp -d)"
    seeds=("$corpus")
    [ -d "Fuzz/regressions/$target" ] && seeds+=("Fuzz/regressions/$target")
    log=".build-fuzz/$target.log"
    if SFDEST_FUZZ_TARGET="$target" "$binary" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=".build-fuzz/failures/$target-" \
        "$scratch" "${seeds[@]}" >"$log" 2>&1; then
        runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
        features="$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
        echo "fuzz $target: ${runs:-?} inputs in ${seconds} s, ${features:-?} coverage features, no failure"
    else
        echo "fuzz $target: FAILED (log: $log; input: $(ls -t .build-fuzz/failures/"$target"-* 2>/dev/null | head -1))"
        grep -E "Fatal error|ERROR: |SUMMARY" "$log" | head -5
        status=1
    fi
    rm -rf "$scratch"
done
exit $status
