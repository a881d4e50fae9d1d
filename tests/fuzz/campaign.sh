#!/bin/sh
# SPDX-License-Identifier: MIT
# A long fuzzing campaign: every libFuzzer target for a while, then what it
# found merged back into the seed corpora in tests/fuzz/corpus/.
#
#   tests/fuzz/campaign.sh [SECONDS] [JOBS] [BUILD_DIR]
#     SECONDS    per target (default 3600); targets run JOBS at a time
#     JOBS       parallel targets (default: the number of CPUs)
#     BUILD_DIR  a build with the fuzz targets (default build-san: the
#                ASan+UBSan clang build ./scripts/bootstrap.sh test makes)
#   MINIMIZE=1   rebuild each seed corpus from scratch as the smallest set
#                with the edge coverage of seeds + findings (default: only
#                add the findings that bring new coverage, keep every seed)
#
# Findings and crashes stay in BUILD_DIR/tests/fuzz/campaign-<target>/
# (corpus/, crashes/, log). A crash replays with
#   BUILD_DIR/tests/fuzz/replay-<target> <crash file>
# Exit status 1 if any target crashed (nothing is merged from it then).
set -eu

secs=${1:-3600}
jobs=${2:-$(nproc)}
build=${3:-build-san}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
targets="pgt-4k pgt-16k pgt-64k pool"

for t in $targets; do
    if [ ! -x "$build/tests/fuzz/fuzz-$t" ]; then
        echo "campaign: $build/tests/fuzz/fuzz-$t missing (clang build with libFuzzer?)" >&2
        exit 2
    fi
done

run() {
    t=$1
    w=$build/tests/fuzz/campaign-$t
    mkdir -p "$w/corpus" "$w/crashes"
    # As run_fuzz.sh: a small ASan quarantine and no leak scan at exit
    # keep the targets under 100 MB (libFuzzer still checks every input
    # for leaks); the limit makes a leak a failure, not a swapping machine.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8" \
    LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}leak_check_at_exit=0" \
    "$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" -timeout=20 \
        -rss_limit_mb=512 -print_final_stats=1 \
        -artifact_prefix="$w/crashes/" "$w/corpus" "tests/fuzz/corpus/$t" \
        > "$w/log" 2>&1 || echo "campaign: fuzz-$t stopped with status $?" >> "$w/log"
}

echo "campaign: $targets, $secs s each, $jobs at a time, build $build"
running=0
for t in $targets; do
    run "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

status=0
for t in $targets; do
    w=$build/tests/fuzz/campaign-$t
    grep -E "^#[0-9]+[[:space:]]+DONE|stat::(average_exec_per_sec|peak_rss_mb)" "$w/log" |
        sed "s|^|$t: |" || true
    if ls "$w/crashes/" | grep -q .; then
        echo "$t: CRASHED, see $w/crashes/ and $w/log (nothing merged)"
        status=1
        continue
    fi
    seeds=tests/fuzz/corpus/$t
    before=$(ls "$seeds" | wc -l)
    if [ "${MINIMIZE:-0}" = 1 ]; then
        fresh=$w/minimized
        rm -rf "$fresh"
        mkdir -p "$fresh"
        # Edges only (no hit-count buckets): a few hundred inputs, not
        # thousands, with every edge seeds and findings reach.
        "$build/tests/fuzz/fuzz-$t" -merge=1 -use_counters=0 "$fresh" "$seeds" "$w/corpus" \
            > "$w/merge.log" 2>&1
        rm -f "$seeds"/*
        cp "$fresh"/* "$seeds"/
    else
        "$build/tests/fuzz/fuzz-$t" -merge=1 "$seeds" "$w/corpus" > "$w/merge.log" 2>&1
    fi
    echo "$t: seed corpus $before -> $(ls "$seeds" | wc -l) inputs"
done
exit $status
