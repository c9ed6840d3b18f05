#!/bin/sh
# Runs every fuzz target for SECONDS on its corpus and prints one line per
# target: runs, executions per second, coverage (libFuzzer's "cov", the
# instrumented edges reached, and "ft", its finer features) and corpus size.
#
# Before fuzzing, each input kept in tests/fuzz/crashes/TARGET/ (crashes
# found earlier) is replayed: one that still crashes fails the run, so a
# bug stays visible until it is fixed, and a fixed one cannot come back.
# Fails if any target finds a crash, leak, timeout or invariant violation;
# the input is then in BUILD_DIR/fuzz-artifacts/TARGET/ and the fuzzer's
# output in BUILD_DIR/fuzz-logs/TARGET.log.
#
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#   BUILD_DIR  a build directory set up with -Dfuzz=true (CC=clang)
#   SECONDS    fuzzing time per target (-max_total_time)
#   TARGET     ref change create logfile untar userdb time signal wsframe (default: all)
# FUZZ_ARGS adds libFuzzer flags, e.g. FUZZ_ARGS="-fork=2 -ignore_crashes=1"
# to keep fuzzing past a known crash. The checked-in seeds (tests/fuzz/
# corpus/TARGET) are only read; what the fuzzer adds goes to
# BUILD_DIR/fuzz-corpus/TARGET and is reused next time.
# To reproduce: BUILD_DIR/tests/fuzz/fuzz_TARGET FILE (with
# ASAN_OPTIONS=fast_unwind_on_malloc=0 for whole leak stacks).
set -u
usage="usage: $0 BUILD_DIR SECONDS [TARGET...]"
build=${1:?$usage}
secs=${2:?$usage}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd) || exit 2
targets=${*:-ref change create logfile untar userdb time signal wsframe}

ninja -C "$build" fuzz >/dev/null || { echo "fuzz: build failed (ninja -C $build fuzz)" >&2; exit 2; }

# The untar and logfile targets make and remove files on every run: on
# tmpfs they run several times faster than on a disk.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    TMPDIR=/dev/shm
    export TMPDIR
fi

failed=0
for t in $targets; do
    exe=$build/tests/fuzz/fuzz_$t
    [ -x "$exe" ] || { echo "fuzz_$t: no such target ($exe)" >&2; failed=1; continue; }
    work=$build/fuzz-corpus/$t
    art=$build/fuzz-artifacts/$t
    log=$build/fuzz-logs/$t.log
    mkdir -p "$work" "$art" "$(dirname "$log")"

    known=0
    still=0
    for f in "$here/crashes/$t"/*; do
        [ -f "$f" ] || continue
        known=$((known + 1))
        if ! "$exe" "$f" >"$log.replay" 2>&1; then
            still=$((still + 1))
            echo "fuzz_$t: $(basename "$f") still crashes:" \
                "$(grep -m1 -E 'ERROR|runtime error|invariant violated' "$log.replay")" >&2
        fi
    done
    rm -f "$log.replay"

    dict=
    [ -f "$here/dict/$t.dict" ] && dict=-dict=$here/dict/$t.dict
    # -timeout: an input that takes longer than this is a hang worth a report.
    # shellcheck disable=SC2086
    "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$art/" $dict ${FUZZ_ARGS:-} "$work" "$here/corpus/$t" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    field() { printf '%s\n' "$last" | sed -n "s|.* $1: \([0-9]*\).*|\1|p"; }
    cov=$(field cov)
    ft=$(field ft)
    corp=$(field corp)
    if [ -z "$runs" ]; then # fork mode prints no final stats
        runs=$(printf '%s\n' "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
        # its exec/s is per job, and 0 when jobs end early on crashes
        [ -n "$runs" ] && eps=$((runs / secs))
    fi
    status=ok
    if [ "$rc" -ne 0 ]; then
        status="FAILED (exit $rc): see $log and $art"
        failed=1
    fi
    if [ "$still" -gt 0 ]; then
        status="$status; $still of $known known crash inputs still crash"
        failed=1
    fi
    printf 'fuzz_%-8s %4ss  runs %-9s exec/s %-6s cov %-5s ft %-6s corpus %-5s %s\n' \
        "$t" "$secs" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$status"
done
exit $failed
