// SPDX-License-Identifier: MIT
/*
 * pgt-bench: libpgtable's map/unmap/walk and allocator benchmarks (issue 6).
 *
 *   pgt-bench [--quick] [--check] [--reps N] [--only a,c,G...] [--json FILE]
 *             [--cpu auto|none|N]
 *
 * Prints one table (best and median ns per unit, ratio to the floor measured
 * in the same run, target and pass/MISS, table pages, peak table memory,
 * TLB-hook calls), a summary of the one-page scenarios across stage-2
 * shapes, and optionally the same as JSON for bench/plot.py.
 * --check verifies what the scenarios built (translations, page counts,
 * full coalescing) and exits non-zero if anything is wrong; it never
 * judges time.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bench_opts bopt;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: pgt-bench [--quick] [--check] [--reps N] [--only LIST] "
            "[--json FILE] [--cpu auto|none|N]\n"
            "  --quick      3 repetitions, smaller (d) and allocator loops "
            "(under a minute)\n"
            "  --check      verify results; exit 1 if any check fails\n"
            "  --reps N     repetitions per scenario (default 7, quick 3)\n"
            "  --only LIST  comma-separated scenario ids (a,a2,b,c,c2,d,d2,e,"
            "f,f2,G,Gd,Gd2,\n"
            "               a2-nh,c2-nh,d-nh,d2-nh,e-nh,a-hp,c-hp,d-hp,d2-hp,"
            "wp,wp-nr,\n"
            "               dl,dl-old,dl-hw,Z,Zl,h,hm,i,im,k1,k2,l,j);\n"
            "               ID@SHAPE for one shape (e.g. a2@4K/48), @SHAPE for "
            "all of a shape\n"
            "               (4K/40 16K/40 64K/40 4K/48 4K/36 16K/47 64K/42)\n"
            "  --json FILE  also write the results as JSON\n"
            "  --cpu C      run the whole bench on one CPU: auto (default) the\n"
            "               fastest at a short call loop, N that one, none\n"
            "               wherever the scheduler puts it\n");
}

int main(int argc, char **argv)
{
    bopt.reps = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            bopt.quick = true;
        } else if (!strcmp(argv[i], "--check")) {
            bopt.check = true;
        } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            bopt.reps = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            bopt.only = argv[++i];
        } else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
            bopt.json = argv[++i];
        } else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) {
            bopt.cpu_spec = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (bopt.reps <= 0)
        bopt.reps = bopt.quick ? 3 : 7;
    if (bopt.reps > BENCH_MAX_REPS)
        bopt.reps = BENCH_MAX_REPS;

    if (bench_pin(bopt.cpu_spec ? bopt.cpu_spec : "auto"))
        return 2;

    double la[3] = {0, 0, 0};
    if (getloadavg(la, 1) == 1)
        bopt.load_start = la[0];
    uint64_t t0 = now_ns();
    bench_zero();
    bench_tables();
    bench_alloc();
    bench_pin_recheck();
    if (getloadavg(la, 1) == 1)
        bopt.load_end = la[0];
    results_evaluate();
    results_print();
    results_print_shapes();
    bench_pin_print(stdout);
    printf("total %.1f s; load average %.2f at start, %.2f at end (2 cores: "
           "above ~1.5 expect noise)\n",
           (double)(now_ns() - t0) / 1e9, bopt.load_start, bopt.load_end);
    if (bopt.json && results_write_json(bopt.json))
        return 2;
    int bad = results_check_failures();
    if (bad) {
        fprintf(stderr, "pgt-bench: %d check(s) failed\n", bad);
        return 1;
    }
    return 0;
}
