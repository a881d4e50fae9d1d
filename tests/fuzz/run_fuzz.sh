#!/bin/sh
# SPDX-License-Identifier: MIT
# Run one libFuzzer target for a bounded time (suite 'fuzz').
#   run_fuzz.sh TARGET SEED_CORPUS WORK_DIR SECONDS
# New inputs go to WORK_DIR/corpus (the seed corpus in the tree is only
# read); a crash is saved in WORK_DIR/crashes/ and fails the test. Replay a
# crash with: TARGET WORK_DIR/crashes/crash-...
set -eu
target=$1 seeds=$2 work=$3 secs=$4
mkdir -p "$work/corpus" "$work/crashes"
# ASan's quarantine (freed memory held back to catch a use after free) is
# 256 MB by default; libFuzzer frees a copy of every input, so it fills
# within minutes and the process sits at 300-400 MB. 8 MB still holds the
# frees of thousands of inputs (the library itself never allocates).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
# LeakSanitizer's whole-process scan at exit made the process's peak
# memory, above anything the fuzzing itself used, and can only report what
# the target keeps for reuse on purpose. Leaks still fail: libFuzzer runs
# LeakSanitizer on any input that allocated more than it freed.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}leak_check_at_exit=0"
exec "$target" -max_total_time="$secs" -timeout=20 -rss_limit_mb=256 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -print_final_stats=1 -artifact_prefix="$work/crashes/" \
    "$work/corpus" "$seeds"
