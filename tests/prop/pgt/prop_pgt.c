// SPDX-License-Identifier: MIT
/*
 * Property test driver: random operations on one granule and stage against
 * the reference model and the TLB model (see interp.h).
 *
 *   prop-pgt GRANULE MODE [OPS [IA_BITS START_LEVEL]]
 *     GRANULE 4k|16k|64k, MODE s2|host|hyp, OPS operations (default
 *     100000), run as epochs of at most 10000 operations, each on a fresh
 *     table with seed PGT_SEED + epoch. IA_BITS: a stage-2 table of that
 *     IPA size (default 40/42/44 by granule), whose start level must be
 *     START_LEVEL (the table shape is the point of such a run).
 *   PGT_SEED=N     base seed (default 1); a failure prints the seed of its
 *                  epoch and the operation index: PGT_SEED=<seed> prop-pgt
 *                  GRANULE MODE <index> replays it.
 *   PGT_SEED=random  a seed from the clock (printed).
 *   PGT_VERBOSE=N  print the geometry, and every operation from index N.
 *   PGT_FULL_EVERY=N whole-table check every N operations (default by
 *                  granule: 8, 16, 32).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "interp.h"

#define EPOCH 10000ul

static int usage(void)
{
    fprintf(stderr, "usage: prop-pgt 4k|16k|64k s2|host|hyp [ops [ia_bits start_level]]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    struct pi_cfg cfg = {0};
    if (!strcmp(argv[1], "4k"))
        cfg.granule = PGT_GRANULE_4K;
    else if (!strcmp(argv[1], "16k"))
        cfg.granule = PGT_GRANULE_16K;
    else if (!strcmp(argv[1], "64k"))
        cfg.granule = PGT_GRANULE_64K;
    else
        return usage();
    if (!strcmp(argv[2], "s2"))
        cfg.mode = PI_S2;
    else if (!strcmp(argv[2], "host"))
        cfg.mode = PI_S2_HOST;
    else if (!strcmp(argv[2], "hyp"))
        cfg.mode = PI_HYP;
    else
        return usage();
    unsigned long total = argc > 3 ? strtoul(argv[3], NULL, 0) : 100000;
    int want_level = 99;
    if (argc > 5) {
        if (cfg.mode == PI_HYP)
            return usage();
        cfg.ia_bits = (uint32_t)strtoul(argv[4], NULL, 0);
        want_level = atoi(argv[5]);
    }

    uint64_t seed = 1;
    const char *env = getenv("PGT_SEED");
    if (env && !strcmp(env, "random"))
        seed = (uint64_t)time(NULL);
    else if (env)
        seed = strtoull(env, NULL, 0);
    env = getenv("PGT_FULL_EVERY");
    if (env)
        cfg.full_every = (unsigned)strtoul(env, NULL, 0);
    env = getenv("PGT_VERBOSE");
    if (env) {
        cfg.verbose = true;
        cfg.trace_from = strtoul(env, NULL, 0);
    }

    struct pi_stats sum = {0};
    clock_t t0 = clock();
    unsigned long done = 0;
    for (uint64_t epoch = 0; done < total; epoch++) {
        struct pi_stats st;
        unsigned long n = total - done < EPOCH ? total - done : EPOCH;
        cfg.seed = seed + epoch;
        pi_run(&cfg, n, &st);
        done += st.ops;
        sum.ops += st.ops;
        sum.ok += st.ok;
        sum.errors += st.errors;
        sum.oom_injected += st.oom_injected;
        sum.oom_hit += st.oom_hit;
        sum.leaves += st.leaves;
        sum.pages += st.pages;
        sum.full_checks += st.full_checks;
        sum.tlb_events += st.tlb_events;
        if (st.max_tables > sum.max_tables)
            sum.max_tables = st.max_tables;
        if (want_level != 99 && st.start_level != want_level) {
            fprintf(stderr, "prop-pgt: a %u-bit table starts at level %d, not %d\n",
                    st.ia_bits, st.start_level, want_level);
            return 1;
        }
        sum.start_level = st.start_level;
        sum.root_pages = st.root_pages;
        sum.ia_bits = st.ia_bits;
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("prop %s %s (%u-bit, start level %d, %u root pages) seed %" PRIu64
           ": %lu ops (%lu ok, %lu expected "
           "errors checked unchanged, %lu OOM-injected of which %lu hit "
           "ENOMEM), %lu leaves / %llu pages compared with the model, %lu "
           "whole-table checks, %lu TLB hook calls modelled, up to %lu table "
           "pages; %.2f s cpu\n",
           argv[1], argv[2], sum.ia_bits, sum.start_level, sum.root_pages, seed,
           sum.ops, sum.ok, sum.errors,
           sum.oom_injected, sum.oom_hit, sum.leaves, sum.pages,
           sum.full_checks, sum.tlb_events, sum.max_tables, secs);
    return 0;
}
