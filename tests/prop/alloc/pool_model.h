/* SPDX-License-Identifier: MIT */
/*
 * A plain reference model of a hyp_pool for the property and exhaustive
 * tests: one entry per page (free or not, count, order of the block it
 * heads), and the buddy layout recomputed from scratch from the free set
 * (the largest naturally aligned blocks inside each free run, capped at
 * max_order), which is what an eagerly coalescing buddy allocator must hold.
 *
 * pm_check() compares the real pool with the model: per-order free block
 * counts, free page count, every page's count. It reports through
 * pm_fail(), which the test defines.
 *
 * Best fit (an allocation comes from the smallest free block that holds
 * it) is required unless the pool's put cache held pages before an
 * order-0 allocation: then the last page put may come back instead.
 */
#ifndef PGT_POOL_MODEL_H
#define PGT_POOL_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "alloc_harness.h"

#define PM_MAX_PAGES 256

struct pool_model {
    uint64_t pfn0;       /* first PFN of the pool */
    int n;               /* pages */
    int max_order;
    bool free[PM_MAX_PAGES];
    int ref[PM_MAX_PAGES];   /* count of allocated pages (heads/split pages) */
    int order[PM_MAX_PAGES]; /* order of the allocated block a page heads, else -1 */
};

/* The caller reports a mismatch (prints the seed/path, aborts). */
static void pm_fail(const char *what, long a, long b);

static inline void pm_init(struct pool_model *m, uint64_t pfn0, int n, int reserved,
                           int max_order)
{
    memset(m, 0, sizeof(*m));
    m->pfn0 = pfn0;
    m->n = n;
    m->max_order = max_order;
    for (int i = 0; i < n; i++) {
        m->free[i] = i >= reserved;
        m->ref[i] = i < reserved ? 1 : 0;
        m->order[i] = i < reserved ? 0 : -1;
    }
}

/* Canonical layout: per-order block counts; and, for page @which (or -1),
 * the order of the free block holding it (-1 if not free). */
static inline int pm_layout(const struct pool_model *m, uint64_t counts[HYP_POOL_MAX_ORDER + 1],
                            int which)
{
    int holder = -1;

    for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
        counts[o] = 0;
    for (int i = 0; i < m->n;) {
        if (!m->free[i]) {
            i++;
            continue;
        }
        int e = i;
        while (e < m->n && m->free[e])
            e++;
        /* carve [i, e) */
        uint64_t cur = m->pfn0 + (uint64_t)i, end = m->pfn0 + (uint64_t)e;
        while (cur < end) {
            int o = 0;
            while (o < m->max_order && !(cur & (1ull << o)) && cur + (2ull << o) <= end)
                o++;
            counts[o]++;
            if (which >= 0 && (uint64_t)which + m->pfn0 >= cur &&
                (uint64_t)which + m->pfn0 < cur + (1ull << o))
                holder = o;
            cur += 1ull << o;
        }
        i = e;
    }
    return holder;
}

/* Smallest order >= @o with a free block, or -1. */
static inline int pm_source_order(const struct pool_model *m, int o)
{
    uint64_t c[HYP_POOL_MAX_ORDER + 1];

    if (o > m->max_order)
        return -1;
    pm_layout(m, c, -1);
    for (int k = o; k <= m->max_order; k++)
        if (c[k])
            return k;
    return -1;
}

/* The allocator returned page @idx for alloc(@o): check it is the right
 * kind of block and take it. */
static inline void pm_take(struct pool_model *m, int idx, int o, bool best_fit)
{
    uint64_t c[HYP_POOL_MAX_ORDER + 1];
    int want = pm_source_order(m, o);
    int got;

    if (idx < 0 || idx + (1 << o) > m->n)
        pm_fail("alloc returned a page outside the pool", idx, o);
    if ((m->pfn0 + (uint64_t)idx) & ((1ull << o) - 1))
        pm_fail("alloc returned a misaligned block", idx, o);
    for (int i = idx; i < idx + (1 << o); i++)
        if (!m->free[i])
            pm_fail("alloc handed out a page that is not free", i, o);
    got = pm_layout(m, c, idx);
    if (best_fit && got != want)
        pm_fail("alloc did not split the smallest free block (order got/want)", got, want);
    for (int i = idx; i < idx + (1 << o); i++)
        m->free[i] = false;
    m->ref[idx] = 1;
    m->order[idx] = o;
}

/* Count -1 on page @idx (count > 0). */
static inline void pm_put(struct pool_model *m, int idx)
{
    if (--m->ref[idx] == 0) {
        int o = m->order[idx];
        for (int i = idx; i < idx + (1 << o); i++)
            m->free[i] = true;
        m->order[idx] = -1;
    }
}

static inline void pm_split(struct pool_model *m, int idx)
{
    int o = m->order[idx];
    for (int i = idx + 1; i < idx + (1 << o); i++) {
        m->ref[i] = 1;
        m->order[i] = 0;
    }
    m->order[idx] = 0;
}

static inline int pm_nr_free(const struct pool_model *m)
{
    int n = 0;
    for (int i = 0; i < m->n; i++)
        n += m->free[i];
    return n;
}

/* Compare the pool's free pages and every page's count with the model
 * (leaves the pool's put cache alone). */
static inline void pm_check_counts(const struct pool_model *m, struct hyp_pool *pool,
                                   const struct ah *h)
{
    if (hyp_pool_nr_free_pages(pool) != (uint64_t)pm_nr_free(m))
        pm_fail("free pages (real, model)", (long)hyp_pool_nr_free_pages(pool), pm_nr_free(m));
    for (int i = 0; i < m->n; i++) {
        unsigned int real = hyp_page_count(ah_rec(h, m->pfn0 + (uint64_t)i));
        if (real != (unsigned)(m->free[i] ? 0 : m->ref[i]))
            pm_fail("page count (page, real)", i, (long)real);
    }
}

/* Everything, including the per-order free block counts (this drains the
 * pool's put cache: the counts are those of a fully coalesced pool). */
static inline void pm_check(const struct pool_model *m, struct hyp_pool *pool,
                            const struct ah *h)
{
    uint64_t c[HYP_POOL_MAX_ORDER + 1];

    pm_check_counts(m, pool, h);
    pm_layout(m, c, -1);
    for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
        if (hyp_pool_nr_free_blocks(pool, (unsigned)o) != c[o])
            pm_fail("free blocks of order (order, real)", o,
                    (long)hyp_pool_nr_free_blocks(pool, (unsigned)o));
    pm_check_counts(m, pool, h);
}

#endif /* PGT_POOL_MODEL_H */
