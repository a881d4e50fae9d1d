// SPDX-License-Identifier: MIT
/*
 * Exhaustive test: every sequence of valid operations (alloc of every
 * order, get / put / split of every counted page) up to a small depth on
 * tiny pools, each state checked against pool_model.h, and at the end of
 * each sequence everything freed and the initial layout required back.
 *
 * Some configurations hold two pools side by side on one vmemmap, their
 * ranges touching where their blocks would be buddies: operations on both
 * interleave, each pool is checked against its own model, and at every
 * state a pool over a range overlapping either must be refused with the
 * records left as they are (a live pool's records are never zero).
 *
 * Usage: exhaustive_pool [DEPTH] (default 6; two-pool configurations run
 * one level less, their branching being twice as wide).
 */
#include <stdio.h>
#include <stdlib.h>

#include "pool_model.h"

#define NPAGES_MAX 8
#define NPOOLS_MAX 2
#define OPS_PER_POOL (10 + 3 * NPAGES_MAX)

struct pool_cfg {
    int off, n, reserved;
    unsigned int cap;
};

struct cfg {
    int npools;
    struct pool_cfg p[NPOOLS_MAX];
};

static const struct cfg *cur_cfg;
static int path[32], path_len;
static long nodes, leaves, refusals;

static void pm_fail(const char *what, long a, long b)
{
    fprintf(stderr, "exhaustive_pool: FAILED: %s: %ld %ld\n", what, a, b);
    for (int k = 0; k < cur_cfg->npools; k++)
        fprintf(stderr, "  pool %d: off %d, %d pages, %d reserved, cap %u\n", k,
                cur_cfg->p[k].off, cur_cfg->p[k].n, cur_cfg->p[k].reserved, cur_cfg->p[k].cap);
    fprintf(stderr, "  ops:");
    for (int i = 0; i < path_len; i++)
        fprintf(stderr, " %d", path[i]);
    fprintf(stderr, "\n  (op codes: %d * pool + 0..9 alloc(order); 10+3i get i, 11+3i put i, "
                    "12+3i split i)\n", OPS_PER_POOL);
    exit(1);
}

static void panic_is_failure(enum hyp_page_panic why, uint64_t pfn)
{
    pm_fail("unexpected panic hook (why, pfn)", (long)why, (long)pfn);
}

#define ARENA_PAGES (2 * NPAGES_MAX + 8)

struct state {
    struct hyp_pool pool[NPOOLS_MAX];
    struct pool_model m[NPOOLS_MAX];
    struct hyp_page recs[ARENA_PAGES];
    uint8_t mem[ARENA_PAGES * 4096];
};

static struct ah h;
static int npools;
static struct hyp_pool pool[NPOOLS_MAX];
static struct pool_model m[NPOOLS_MAX];
static uint64_t pfn0[NPOOLS_MAX];

static void save(struct state *s)
{
    memcpy(s->pool, pool, sizeof(pool));
    memcpy(s->m, m, sizeof(m));
    memcpy(s->recs, h.pages, sizeof(struct hyp_page) * h.nr_pages);
    memcpy(s->mem, h.mem, h.page_size * h.nr_pages);
}

static void restore(const struct state *s)
{
    memcpy(pool, s->pool, sizeof(pool));
    memcpy(m, s->m, sizeof(m));
    memcpy(h.pages, s->recs, sizeof(struct hyp_page) * h.nr_pages);
    memcpy(h.mem, s->mem, h.page_size * h.nr_pages);
}

static void free_all_and_check(void)
{
    struct state s;
    uint64_t want[HYP_POOL_MAX_ORDER + 1];
    struct pool_model empty;

    save(&s);
    for (int k = 0; k < npools; k++) {
        pm_check(&m[k], &pool[k], &h);
        for (int i = 0; i < m[k].n; i++)
            while (!m[k].free[i] && m[k].ref[i] > 0) {
                hyp_put_page(&pool[k], ah_va(&h, pfn0[k] + (uint64_t)i));
                pm_put(&m[k], i);
            }
    }
    for (int k = 0; k < npools; k++) {
        pm_check(&m[k], &pool[k], &h);
        pm_init(&empty, pfn0[k], m[k].n, 0, m[k].max_order);
        pm_layout(&empty, want, -1);
        for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
            if (hyp_pool_nr_free_blocks(&pool[k], (unsigned)o) != want[o])
                pm_fail("after freeing all: blocks of order", o,
                        (long)hyp_pool_nr_free_blocks(&pool[k], (unsigned)o));
    }
    restore(&s);
}

/* A pool over any range sharing a page with a live pool is refused, and
 * nothing is written. */
static void overlaps_are_refused(void)
{
    struct hyp_page recs[ARENA_PAGES];
    struct hyp_pool tmp;
    uint64_t first = ah_pfn0(&h);

    memcpy(recs, h.pages, sizeof(struct hyp_page) * h.nr_pages);
    for (int k = 0; k < npools; k++) {
        for (int i = 0; i < m[k].n; i++) {
            uint64_t pfn = pfn0[k] + (uint64_t)i;
            /* One page of the pool, and a range from below it. */
            if (hyp_pool_init(&tmp, &h.vm, pfn, 1, 0, NULL) != -PGT_EBUSY)
                pm_fail("a pool over one page of a live pool was not refused (pool, page)", k,
                        i);
            if (pfn > first &&
                hyp_pool_init(&tmp, &h.vm, first, pfn - first + 1, 0, NULL) != -PGT_EBUSY)
                pm_fail("a range ending in a live pool was not refused (pool, page)", k, i);
            refusals += 2;
        }
    }
    if (memcmp(recs, h.pages, sizeof(struct hyp_page) * h.nr_pages))
        pm_fail("a refused init changed records", 0, 0);
}

/* Apply op @op if valid in the current state; false if not applicable. */
static bool apply(int op)
{
    int k = op / OPS_PER_POOL;
    struct hyp_pool *pl = &pool[k];
    struct pool_model *md = &m[k];

    op %= OPS_PER_POOL;
    if (op < 10) {
        if (op > md->max_order + 1)
            return false;
        bool fit = !(op == 0 && pl->nr_cached);
        uint8_t *va = hyp_alloc_pages(pl, (unsigned)op);
        if (!va) {
            if (pm_source_order(md, op) >= 0)
                pm_fail("alloc failed with a block free (order)", op, 0);
            return true;
        }
        int idx = (int)(ah_pfn(&h, va) - pfn0[k]);
        pm_take(md, idx, op, fit);
        if (!ah_is_zero(va, h.page_size << op))
            pm_fail("block not zeroed (page, order)", idx, op);
        memset(va, 0xe1, h.page_size << op);
        return true;
    }
    int i = (op - 10) / 3, kind = (op - 10) % 3;
    if (i >= md->n || md->free[i] || md->ref[i] == 0)
        return false;
    switch (kind) {
    case 0:
        if (md->ref[i] >= 3)
            return false;
        hyp_get_page(pl, ah_va(&h, pfn0[k] + (uint64_t)i));
        md->ref[i]++;
        return true;
    case 1:
        hyp_put_page(pl, ah_va(&h, pfn0[k] + (uint64_t)i));
        pm_put(md, i);
        return true;
    default:
        /* Only the sole holder splits (a count of 2 is misuse). */
        if (md->order[i] <= 0 || md->ref[i] != 1)
            return false;
        hyp_split_page(pl, ah_rec(&h, pfn0[k] + (uint64_t)i));
        pm_split(md, i);
        return true;
    }
}

static void dfs(int depth)
{
    struct state s;
    int nops = OPS_PER_POOL * npools;

    nodes++;
    /* Page counts at every state; the per-order layout (which drains the
     * put cache) at the end of each sequence only, so that cached pages
     * meet every later operation. */
    for (int k = 0; k < npools; k++)
        pm_check_counts(&m[k], &pool[k], &h);
    if (depth == 0) {
        leaves++;
        overlaps_are_refused();
        free_all_and_check();
        return;
    }
    save(&s);
    for (int op = 0; op < nops; op++) {
        path[path_len++] = op;
        if (apply(op))
            dfs(depth - 1);
        path_len--;
        restore(&s);
    }
}

int main(int argc, char **argv)
{
    int depth = argc > 1 ? atoi(argv[1]) : 6;
    static const struct cfg cfgs[] = {
        {1, {{0, 4, 0, 10}}}, /* one order-2 block */
        {1, {{1, 5, 1, 10}}}, /* unaligned start, one reserved page */
        {1, {{0, 4, 0, 1}}},  /* capped at order 1 */
        {1, {{3, 3, 0, 10}}}, /* 3:o0, 4-5:o1 */
        /* Two pools whose blocks are buddies across the boundary: 0-1 and
         * 2-3 (o1 each), then 1 | 2-3 beside 4-7 with a reserved page. */
        {2, {{0, 2, 0, 10}, {2, 2, 0, 10}}},
        {2, {{1, 3, 0, 10}, {4, 4, 1, 10}}},
    };

    for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
        const struct cfg *cf = &cfgs[c];
        int end = 0;
        cur_cfg = cf;
        npools = cf->npools;
        for (int k = 0; k < npools; k++)
            if (cf->p[k].off + cf->p[k].n > end)
                end = cf->p[k].off + cf->p[k].n;
        ah_init(&h, 12, (uint64_t)end, 0x80000ull << 12);
        h.vm.panic = panic_is_failure;
        memset(h.mem, 0x99, h.page_size * h.nr_pages);
        for (int k = 0; k < npools; k++) {
            const struct pool_cfg *p = &cf->p[k];
            struct hyp_pool_cfg pc = {.max_order = p->cap};
            pfn0[k] = 0x80000 + (uint64_t)p->off;
            if (hyp_pool_init(&pool[k], &h.vm, pfn0[k], (uint64_t)p->n, (uint64_t)p->reserved,
                              &pc))
                pm_fail("init (pool)", k, 0);
            int mo = 0;
            while ((2 << mo) <= p->n && mo < (int)p->cap)
                mo++;
            pm_init(&m[k], pfn0[k], p->n, p->reserved, mo);
        }
        long before = nodes;
        int d = npools > 1 && depth > 1 ? depth - 1 : depth;
        dfs(d);
        printf("exhaustive_pool: configuration %zu (%d pool%s): %ld states to depth %d\n", c,
               npools, npools > 1 ? "s" : "", nodes - before, d);
        ah_fini(&h);
    }
    printf("exhaustive_pool: OK, %ld states, %ld sequences, %ld overlapping inits refused\n",
           nodes, leaves, refusals);
    return 0;
}
