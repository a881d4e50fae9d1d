/* SPDX-License-Identifier: MIT */
/*
 * Operation interpreter shared by the property test (random operations
 * from a seed) and the fuzz targets (operations decoded from bytes).
 *
 * One run creates a table (stage 2, stage 2 in host mode, or stage-1 EL2)
 * in a test_mm arena, applies operations to it and to the reference model
 * (tests/support/refmodel.h), and after every operation checks:
 *  - the return code against the model's prediction (bad input, -EEXIST,
 *    -ENOENT, injected -ENOMEM) and, on any error, that the table pages,
 *    their refcounts and the allocator are byte-identical to before;
 *  - every leaf around the touched range: independent walk == pgt_get_leaf
 *    == the model (output address, prot, access flag, owner), the
 *    descriptor bits computed from the Arm ARM, pgt_translate;
 *  - the block sizes the documentation promises ("largest block alignment
 *    allows") and "split gives page leaves";
 *  - the recording TLB (tests/support/tlbmodel.h): stale entries and
 *    break-before-make;
 *  - the library's own pgt_check_region() over the same range (page
 *    counts left to the whole-table checks in fuzz runs);
 * and periodically (and at the end) over the whole table: each table
 * page's refcount == 1 + counted entries (root pages too, each on its
 * own), no empty table, no page leaked (live arena pages == table pages),
 * pgt_count_table_pages (not in fuzz runs), pgt_check(); finally destroy
 * returns every page.
 *
 * A failure prints the configuration, seed and operation index, then
 * abort()s.
 */
#ifndef PGT_PROP_INTERP_H
#define PGT_PROP_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgtable/pgtable.h"

struct tmm;

/* Fake physical address of the table arena (pi_cfg.arena must use it). */
#define PI_ARENA_PA 0x80000000ull

enum pi_mode {
    PI_S2 = 0,      /* stage 2, counted leaves */
    PI_S2_HOST = 1, /* stage 2, PGT_S2_HOST: identity, leaves uncounted */
    PI_HYP = 2,     /* stage 1, EL2 */
};

struct pi_cfg {
    enum pgt_granule granule;
    enum pi_mode mode;
    uint64_t seed;        /* PRNG seed (ignored when bytes is set) */
    const uint8_t *bytes; /* fuzz input: choices are read from it */
    size_t nbytes;
    uint32_t ia_bits;     /* stage 2: IPA size (start level: the deepest
                           * with at most 16 root pages); 0: the
                           * granule's default, 40/42/44 bits */
    size_t arena_pages;   /* 0: default (16 MiB worth) */
    struct tmm *arena;    /* NULL: a new arena for the run; else this one
                           * (of arena_pages pages of the granule, every
                           * page free), reset and reused */
    unsigned full_every;  /* whole-table check period in ops, 0: default */
    bool root_cross;      /* stage 2 with a concatenated root: operations
                           * go across the boundary between its last two
                           * pages (ignored for a one-page root) */
    bool verbose;
    unsigned long trace_from; /* verbose: print operations from this index */
};

struct pi_stats {
    unsigned long ops;          /* operations applied */
    unsigned long ok;           /* returned success */
    unsigned long errors;       /* expected errors, table checked unchanged */
    unsigned long oom_injected; /* operations run with tmm_fail_after */
    unsigned long oom_hit;      /* ... that returned -ENOMEM */
    unsigned long leaves;       /* leaf/invalid entries compared */
    unsigned long long pages;   /* pages covered by those comparisons */
    unsigned long full_checks;  /* whole-table invariant checks */
    unsigned long tlb_events;   /* TLB hook calls seen by the TLB model */
    unsigned long max_tables;   /* largest number of table pages seen */
    int start_level;            /* the table's geometry */
    unsigned root_pages;
    unsigned ia_bits;
};

/* Run @nops operations (or until the fuzz bytes run out). Returns 0; any
 * failure aborts after printing what went wrong and how to replay it. */
int pi_run(const struct pi_cfg *cfg, unsigned long nops, struct pi_stats *st);

const char *pi_mode_name(enum pi_mode m);

#endif /* PGT_PROP_INTERP_H */
