#!/usr/bin/env bash
# Runs tests under the sanitizers, each in its own scratch path (the plain .build is untouched):
#
#   Tools/sanitize.sh [thread] [address] [undefined]      (thread and address when none is named)
#
#   thread     ThreadSanitizer on the concurrency tests: the engine's (CairnTests: admission, parallel branches,
#              messaging, idempotency, shutdown, crash recovery, ...) and the log's group commit and tailing
#              (CairnLogTests: ConcurrencyTests, TailTests, DurabilityTests). Scratch path .build-tsan.
#              Known noise on Swift 6.3 for Linux: Synchronization.Mutex locks with futex calls inside the
#              uninstrumented standard library, so TSan sees no ordering between two `withLock` bodies and reports
#              every Mutex-guarded variable touched from two threads ("Swift access race" with both stacks inside a
#              withLock closure). Read each report's two stacks before believing it.
#   address    AddressSanitizer (with LeakSanitizer) on all of CairnLogTests. Scratch path .build-asan.
#   undefined  UndefinedBehaviorSanitizer: not available for Swift on Linux (swiftc: "unsupported option
#              '-sanitize=undefined'"), and Cairn compiles no C of its own (liblz4 is the system's library). Swift
#              code traps on what UBSan reports in C (overflow, out-of-bounds, misalignment, null); named, this
#              kind only says so.
#
# Each prints how long its build and its run took; any report fails the script. Extra arguments for `swift test`
# can be passed in SANITIZE_TEST_ARGS (e.g. "--filter RecoveryTests").
set -euo pipefail
cd "$(dirname "$0")/.."

engine_concurrency='CairnTests\.(AdmissionTests|BlockingPoolTests|ChildWorkflowTests|CrashRecoveryTests|EngineSmokeTests|EventTests|IdempotencyTests|ManagementTests|MessagingTests|ParallelTests|ShutdownTests|StepTests)'
log_concurrency='CairnLogTests\.(ConcurrencyTests|TailTests|DurabilityTests)'

kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(thread address)

source Tools/ensure-deps.sh
# A sanitizer report stops the process; Swift's backtracer would only slow that down.
export SWIFT_BACKTRACE=enable=no
# Every report listed (the run fails at the end); the suppressions hold known false positives of Swift's runtime.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1:suppressions=$PWD/Tools/tsan-suppressions.txt}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/Tools/lsan-suppressions.txt:print_suppressions=0}"

failed=()
for kind in "${kinds[@]}"; do
    case "$kind" in
        thread) scratch=.build-tsan; filter="$engine_concurrency|$log_concurrency" ;;
        address) scratch=.build-asan; filter='CairnLogTests\.' ;;
        undefined)
            echo "sanitize.sh: undefined: skipped; swiftc has no -sanitize=undefined on Linux, and Cairn compiles no C (see the header of $0)"
            continue ;;
        *) echo "sanitize.sh: unknown sanitizer $kind (thread, address, undefined)" >&2; exit 2 ;;
    esac
    log="/tmp/cairn-sanitize-$kind.log"
    t0=$(date +%s)
    if ! swift build --build-tests --sanitize="$kind" --scratch-path "$scratch" >"$log" 2>&1; then
        tail -30 "$log" >&2
        echo "sanitize.sh: $kind: the build failed (whole output in $log)" >&2
        failed+=("$kind")
        continue
    fi
    t1=$(date +%s)
    # shellcheck disable=SC2086
    if swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" --filter "$filter" ${SANITIZE_TEST_ARGS:-} >>"$log" 2>&1 \
        && ! grep -qE "WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer" "$log"
    then
        status=clean
    else
        status=FAILED
        failed+=("$kind")
    fi
    t2=$(date +%s)
    summary=$(grep -E "Test run with [0-9]+ tests" "$log" | tail -1 || true)
    echo "sanitize.sh: $kind: $status; build $(( t1 - t0 )) s, tests $(( t2 - t1 )) s; ${summary:-no test summary}"
    if [ "$status" = FAILED ]; then
        grep -E -A12 "WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|✘" "$log" | head -60 >&2
        echo "sanitize.sh: the whole output is in $log" >&2
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "sanitize.sh: FAILED: ${failed[*]}" >&2
    exit 1
fi
