#!/usr/bin/env bash
# Coverage-guided fuzzing of Cairn's decoders with libFuzzer (see Tools/cairn-fuzz).
#
#   Tools/fuzz.sh [--long] [--runs N] [--seconds S] [--debug | --release] [TARGET...]
#
# Builds cairn-fuzz with libFuzzer and AddressSanitizer in .build-fuzz (its own scratch path: the plain build is
# untouched), then fuzzes each target (all by default; `cairn-fuzz list` in a plain build names them) from its seed
# corpus in Fixtures/fuzz/TARGET. Inputs that find new coverage are kept in .build-fuzz/corpus/TARGET, so later runs
# start from them.
#
#   default (CI)  each target for 100,000 runs or 12 seconds, whichever comes first; a debug build (quicker to build)
#   --long        each target for 10,000,000 runs, from an optimized build (hours: run it with `nice`, not in CI)
#
# Any crash, broken property, leak, input slower than 10 s (-timeout), or allocation beyond the target's limit
# (-malloc_limit_mb, -rss_limit_mb) stops that target and fails the script. The input is saved in
# .build-fuzz/artifacts/TARGET/; replay it with the plain build (`swift run cairn-fuzz run TARGET FILE`), fix the
# bug, and commit the input as Fixtures/fuzz/TARGET/crash-NAME so every `swift test` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=100000
seconds=12
configuration=
long=
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --long) runs=10000000; seconds=0; long=1 ;;
        --debug) configuration=debug ;;
        --release) configuration=release ;;
        --runs) runs="$2"; shift ;;
        --seconds) seconds="$2"; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) targets+=("$1") ;;
    esac
    shift
done
[ ${#targets[@]} -gt 0 ] || targets=(segment recovery frame record-block envelope arguments)

# Per target: the largest input, and the most one allocation may take (no reader sizes a buffer by what a damaged
# header claims beyond what the file or LZ4 can hold).
max_len() { case "$1" in segment|recovery|frame) echo 16384 ;; arguments) echo 256 ;; *) echo 4096 ;; esac; }
malloc_limit() { echo 64; }

source Tools/ensure-deps.sh
scratch=.build-fuzz
start=$(date +%s)
echo "fuzz.sh: building cairn-fuzz with libFuzzer and AddressSanitizer in $scratch" >&2
# One -sanitize list: given as two flags (`--sanitize=fuzzer --sanitize=address`), swiftc keeps only the last, and
# SwiftPM does not keep their order, so coverage or ASan would silently go missing.
configuration="${configuration:-$([ -n "$long" ] && echo release || echo debug)}"
build=(swift build -c "$configuration" --product cairn-fuzz --scratch-path "$scratch" --sanitize=fuzzer
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DCAIRN_LIBFUZZER)
"${build[@]}" 2>&1 | grep -E "error|Build" | tail -3 >&2
binary="$("${build[@]}" --show-bin-path)/cairn-fuzz"
# A build without coverage would "fuzz" blind and pass: refuse it.
if [ "$(readelf -S "$binary" 2>/dev/null | grep -c sancov)" = 0 ]; then
    echo "fuzz.sh: $binary has no coverage instrumentation; remove $scratch and run again" >&2
    exit 1
fi
echo "fuzz.sh: built in $(( $(date +%s) - start )) s" >&2

# libFuzzer handles crashes itself (it saves the input); Swift's backtracer would only slow it down.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"

failed=()
for target in "${targets[@]}"; do
    seeds="Fixtures/fuzz/$target"
    [ -d "$seeds" ] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target/"
    mkdir -p "$corpus" "$artifacts"
    log="$scratch/fuzz-$target.log"
    limits=(-runs="$runs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb="$(malloc_limit "$target")"
        -max_len="$(max_len "$target")" -print_final_stats=1 -artifact_prefix="$artifacts")
    [ "$seconds" -gt 0 ] && limits+=(-max_total_time="$seconds")
    t0=$(date +%s)
    # New inputs go to the first directory (the working corpus); the committed seeds are only read.
    if CAIRN_FUZZ_TARGET="$target" "$binary" "${limits[@]}" "$corpus" "$seeds" >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$target")
    fi
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    coverage=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
    printf 'fuzz.sh: %-12s %-6s %10s executions in %4d s, %s, corpus %d inputs\n' "$target" "$status" \
        "${executions:-?}" "$(( $(date +%s) - t0 ))" "${coverage:-cov: ?}" "$(ls "$corpus" | wc -l)"
    if [ "$status" = FAILED ]; then
        grep -E "ERROR|fuzz property|Fatal error|SUMMARY|Test unit written|timeout|malloc\(|out-of-memory" "$log" | head -12 >&2
        echo "fuzz.sh: the whole output is in $log" >&2
    fi
done
echo "fuzz.sh: done in $(( $(date +%s) - start )) s" >&2
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]} (inputs in $scratch/artifacts)" >&2
    exit 1
fi
