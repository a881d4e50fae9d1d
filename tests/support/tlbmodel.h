/* SPDX-License-Identifier: MIT */
/*
 * A recording TLB for the tests, and the independent table walker it (and
 * the property tests) use.
 *
 * tlbm_walk() reads the descriptors the way a hardware walker does
 * (Arm ARM D8.2), from struct pgt's root and geometry, without calling the
 * library; it only supports the 48-bit output-address format (no LPA2).
 *
 * The TLB holds every translation a walker could have cached since its
 * last invalidation: leaf entries (the leaf descriptor for a block/page)
 * and walk-cache entries (a table descriptor at some level). It is filled
 * by simulated walks after each operation (tlbm_touch) and right after
 * every TLB-invalidation hook (the walker may refill at any time), and it
 * is emptied only by invalidations, by the rules:
 *   tlbi_va(addr, L)       leaf entries at level L holding addr (a wrong
 *                          level hint invalidates nothing);
 *   tlbi_va(addr, UNKNOWN) every leaf and walk-cache entry holding addr;
 *   tlbi_range(addr, size) every entry overlapping the range;
 *   tlbi_all               everything.
 * (and a random eviction when full: always allowed).
 *
 * The contiguous hint (Arm ARM D8.6.1): a leaf with the Contiguous bit is
 * cached as one entry for its whole aligned run (tlbm_cont_entries()
 * entries), translating every address of the run from that leaf. As a
 * TLB may also hold the run's entries one by one, an invalidation drops
 * only the addresses it covers: the run is gone once every entry of it
 * was invalidated.
 *
 * Violations it flags:
 *  - STALE: after an operation, a cached entry disagrees with the tables
 *    (missing TLBI, wrong level hint); the access flag and the
 *    contiguous bit are ignored (a cached run is checked at each of its
 *    addresses).
 *  - BBM: a valid leaf replaced by a valid one with a different output
 *    address, memory type, block size or contiguous bit, without an
 *    invalidation of that address made while the entry was invalid.
 *  - CONT: after an operation, a leaf with the contiguous bit whose run is
 *    not uniform (every entry a valid leaf with the bit, the same bits but
 *    the output address, which follows on from an address aligned to the
 *    run), or at a level without the hint: a missing unfold. Checked for
 *    the runs the operation's range touches.
 *  - HINT: tlbi_va with a level the geometry cannot hold a leaf at.
 *  - FREED: during an operation, a table page freed while a cached table
 *    entry still points at it (the TLBI must come before the free: the
 *    page may be reused at once, and a walker would read it as a table).
 */
#ifndef PGT_TEST_TLBMODEL_H
#define PGT_TEST_TLBMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgtable/pgtable.h"
#include "test_mm.h"

/* ---- independent walker ---------------------------------------------- */

struct tlbm_walk_res {
    pgt_pte_t pte;  /* the leaf, or the invalid entry the walk stopped at */
    int level;      /* its level */
    int nr_tables;  /* table descriptors crossed */
    struct {
        int level;     /* level of the table descriptor */
        pgt_pte_t pte; /* the descriptor */
    } tables[PGT_MAX_LEVELS];
    const char *err; /* non-NULL: the walk hit a broken descriptor */
};

/* log2 of the span of one entry at @level. */
static inline uint32_t tlbm_shift(const struct pgt *pgt, int level)
{
    return (uint32_t)pgt->geom.granule_shift +
           (uint32_t)((pgt->geom.granule_shift - 3) * (3 - level));
}

/* Output address of a descriptor (48-bit OA format), bits [47:shift]. */
static inline uint64_t tlbm_oa(const struct pgt *pgt, pgt_pte_t pte)
{
    uint64_t mask = ((1ull << 48) - 1) & ~((1ull << pgt->geom.granule_shift) - 1);
    return pte & mask;
}

/* Host pointer of the table page at @pa in arena @m, or NULL if @pa is not
 * a live, aligned arena page. */
pgt_pte_t *tlbm_table_ptr(const struct tmm *m, uint64_t pa);

/* Walk @addr in @pgt, whose pages live in @m. Returns false (res->err set)
 * on a broken table (pointer outside the arena, misaligned block, block at
 * a level that cannot hold one, reserved level-3 encoding). */
bool tlbm_walk(const struct tmm *m, const struct pgt *pgt, uint64_t addr,
               struct tlbm_walk_res *res);

/* Call @fn for every leaf or invalid entry overlapping [a, b), in address
 * order (@va: first address the entry covers). Reads each table page once.
 * Returns NULL, or what is broken in the table (as tlbm_walk). @fn must not
 * change the table. */
typedef void (*tlbm_leaf_fn)(void *arg, uint64_t va, int level, pgt_pte_t pte);
const char *tlbm_leaves(const struct tmm *m, const struct pgt *pgt, uint64_t a,
                        uint64_t b, tlbm_leaf_fn fn, void *arg);

/* The same walk, with runs of entries of one table (inside [a, b))
 * reported once: @count consecutive identical invalid entries, or @count
 * consecutive valid leaves whose descriptors each add the leaf size to the
 * one before (output addresses following on, same attributes), from @va
 * with @pte the first. Much cheaper over 16K/64K tables (8192 entries). */
typedef void (*tlbm_run_fn)(void *arg, uint64_t va, int level, pgt_pte_t pte,
                            uint64_t count);
const char *tlbm_leaf_runs(const struct tmm *m, const struct pgt *pgt, uint64_t a,
                           uint64_t b, tlbm_run_fn fn, void *arg);

/* Whether a leaf may sit at @level (Arm ARM, 48-bit OA, no LPA2). */
bool tlbm_level_has_leaf(const struct pgt *pgt, int level);

/* Entries one contiguous run joins at @level (Arm ARM D8.6.1: 16 at 4K
 * levels 1-3; 16K: 32 at level 2, 128 at level 3; 64K: 32 at levels 2 and
 * 3), 0 where the hint does not exist. */
unsigned tlbm_cont_entries(const struct pgt *pgt, int level);

/* ---- recording TLB ---------------------------------------------------- */

#define TLBM_CAP 64

struct tlbm_entry {
    uint64_t va;   /* base of the span the entry covers */
    int8_t level;  /* level of the cached descriptor */
    uint8_t walk;  /* 1: walk-cache (table descriptor), 0: leaf */
    uint8_t cont;  /* log2 of the entries it covers (a contiguous run) */
    uint64_t gone[2]; /* a run: its entries invalidated so far (the TLB
                       * may hold them one by one) */
    pgt_pte_t pte; /* cached descriptor (leaf: AF cleared) */
};

struct tlbm_run { /* one leaf/invalid entry of the pre-operation tables */
    uint64_t va;
    int level;
    pgt_pte_t pte;
    bool broken; /* invalidated while the entry there was invalid */
};

struct tlbm {
    struct tmm *mm;
    const struct pgt *pgt;
    struct tlbm_entry e[TLBM_CAP];
    size_t n;
    uint64_t rng;
    /* The operation in progress (tlbm_begin_op .. tlbm_end_op). */
    bool in_op;
    uint64_t op_addr, op_end;
    struct tlbm_run *pre;
    size_t npre, precap, cur;
    /* Results. */
    bool fatal;          /* abort() on the first violation */
    unsigned long violations;
    unsigned long stale, bbm, hint, freed, cont;
    char msg[512];       /* the last violation */
    unsigned long events, refills, checks;
    void (*report)(void *arg, const char *msg); /* before abort(), or NULL */
    void *report_arg;
};

/* Attach to @m's on_event observer, for the table @pgt. */
void tlbm_init(struct tlbm *t, struct tmm *m, const struct pgt *pgt,
               uint64_t seed);
void tlbm_fini(struct tlbm *t, struct tmm *m);

/* Forget every cached entry (e.g. after a table is destroyed). */
void tlbm_flush(struct tlbm *t);

/* Cache what a walk of @addr finds now (leaf if valid + table entries). */
void tlbm_touch(struct tlbm *t, uint64_t addr);

/* Start an operation that may change [addr, end): record the leaf
 * entries there for the break-before-make check. */
void tlbm_begin_op(struct tlbm *t, uint64_t addr, uint64_t end);

/* The operation returned: check every cached entry against the tables,
 * and break-before-make over the range given to tlbm_begin_op. Returns the
 * number of new violations. */
unsigned long tlbm_end_op(struct tlbm *t);

/* The on_event and on_free observers (installed by tlbm_init). */
void tlbm_on_event(struct tmm *m, const struct pgt *pgt,
                   const struct tmm_event *ev);
void tlbm_on_free(struct tmm *m, uint64_t pa);

#endif /* PGT_TEST_TLBMODEL_H */
