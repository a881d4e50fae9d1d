// SPDX-License-Identifier: MIT
/*
 * Exhaustive test: every sequence of valid operations (alloc of every
 * order, get / put / split of every counted page) up to a small depth on
 * tiny pools, each state checked against pool_model.h, and at the end of
 * each sequence everything freed and the initial layout required back.
 *
 * Usage: exhaustive_pool [DEPTH] (default 6).
 */
#include <stdio.h>
#include <stdlib.h>

#include "pool_model.h"

#define NPAGES_MAX 8

struct cfg {
    int off, n, reserved;
    unsigned int cap;
};

static const struct cfg *cur_cfg;
static int path[32], path_len;
static long nodes, leaves;

static void pm_fail(const char *what, long a, long b)
{
    fprintf(stderr, "exhaustive_pool: FAILED: %s: %ld %ld\n", what, a, b);
    fprintf(stderr, "  pool: off %d, %d pages, %d reserved, cap %u; ops:", cur_cfg->off,
            cur_cfg->n, cur_cfg->reserved, cur_cfg->cap);
    for (int i = 0; i < path_len; i++)
        fprintf(stderr, " %d", path[i]);
    fprintf(stderr, "\n  (op codes: 0..9 alloc(order); 10+3i get i, 11+3i put i, 12+3i split i)\n");
    exit(1);
}

static void panic_is_failure(enum hyp_page_panic why, uint64_t pfn)
{
    pm_fail("unexpected panic hook (why, pfn)", (long)why, (long)pfn);
}

struct state {
    struct hyp_pool pool;
    struct pool_model m;
    struct hyp_page recs[NPAGES_MAX + 8];
    uint8_t mem[(NPAGES_MAX + 8) * 4096];
};

static struct ah h;
static struct hyp_pool pool;
static struct pool_model m;
static uint64_t pfn0;

static void save(struct state *s)
{
    s->pool = pool;
    s->m = m;
    memcpy(s->recs, h.pages, sizeof(struct hyp_page) * h.nr_pages);
    memcpy(s->mem, h.mem, h.page_size * h.nr_pages);
}

static void restore(const struct state *s)
{
    pool = s->pool;
    m = s->m;
    memcpy(h.pages, s->recs, sizeof(struct hyp_page) * h.nr_pages);
    memcpy(h.mem, s->mem, h.page_size * h.nr_pages);
}

static void free_all_and_check(void)
{
    struct state s;
    uint64_t want[HYP_POOL_MAX_ORDER + 1];
    struct pool_model empty;

    save(&s);
    pm_check(&m, &pool, &h);
    for (int i = 0; i < m.n; i++)
        while (!m.free[i] && m.ref[i] > 0) {
            hyp_put_page(&pool, ah_va(&h, pfn0 + (uint64_t)i));
            pm_put(&m, i);
        }
    pm_check(&m, &pool, &h);
    pm_init(&empty, pfn0, m.n, 0, m.max_order);
    pm_layout(&empty, want, -1);
    for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
        if (hyp_pool_nr_free_blocks(&pool, (unsigned)o) != want[o])
            pm_fail("after freeing all: blocks of order", o,
                    (long)hyp_pool_nr_free_blocks(&pool, (unsigned)o));
    restore(&s);
}

/* Apply op @op if valid in the current state; false if not applicable. */
static bool apply(int op)
{
    if (op < 10) {
        if (op > m.max_order + 1)
            return false;
        bool fit = !(op == 0 && pool.nr_cached);
        uint8_t *va = hyp_alloc_pages(&pool, (unsigned)op);
        if (!va) {
            if (pm_source_order(&m, op) >= 0)
                pm_fail("alloc failed with a block free (order)", op, 0);
            return true;
        }
        int idx = (int)(ah_pfn(&h, va) - pfn0);
        pm_take(&m, idx, op, fit);
        if (!ah_is_zero(va, h.page_size << op))
            pm_fail("block not zeroed (page, order)", idx, op);
        memset(va, 0xe1, h.page_size << op);
        return true;
    }
    int i = (op - 10) / 3, kind = (op - 10) % 3;
    if (i >= m.n || m.free[i] || m.ref[i] == 0)
        return false;
    switch (kind) {
    case 0:
        if (m.ref[i] >= 3)
            return false;
        hyp_get_page(&pool, ah_va(&h, pfn0 + (uint64_t)i));
        m.ref[i]++;
        return true;
    case 1:
        hyp_put_page(&pool, ah_va(&h, pfn0 + (uint64_t)i));
        pm_put(&m, i);
        return true;
    default:
        if (m.order[i] <= 0)
            return false;
        hyp_split_page(&pool, ah_rec(&h, pfn0 + (uint64_t)i));
        pm_split(&m, i);
        return true;
    }
}

static void dfs(int depth)
{
    struct state s;
    int nops = 10 + 3 * m.n;

    nodes++;
    /* Page counts at every state; the per-order layout (which drains the
     * put cache) at the end of each sequence only, so that cached pages
     * meet every later operation. */
    pm_check_counts(&m, &pool, &h);
    if (depth == 0) {
        leaves++;
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
        {0, 4, 0, 10}, /* one order-2 block */
        {1, 5, 1, 10}, /* unaligned start, one reserved page */
        {0, 4, 0, 1},  /* capped at order 1 */
        {3, 3, 0, 10}, /* 3:o0, 4-5:o1 */
    };

    for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
        struct hyp_pool_cfg pc = {.max_order = cfgs[c].cap};
        cur_cfg = &cfgs[c];
        ah_init(&h, 12, (uint64_t)(cfgs[c].off + cfgs[c].n), 0x80000ull << 12);
        h.vm.panic = panic_is_failure;
        pfn0 = 0x80000 + (uint64_t)cfgs[c].off;
        memset(h.mem, 0x99, h.page_size * h.nr_pages);
        if (hyp_pool_init(&pool, &h.vm, pfn0, (uint64_t)cfgs[c].n,
                          (uint64_t)cfgs[c].reserved, &pc))
            pm_fail("init", 0, 0);
        int mo = 0;
        while ((2 << mo) <= cfgs[c].n && mo < (int)cfgs[c].cap)
            mo++;
        pm_init(&m, pfn0, cfgs[c].n, cfgs[c].reserved, mo);
        long before = nodes;
        dfs(depth);
        printf("exhaustive_pool: pool %zu (%d pages): %ld states to depth %d\n", c, cfgs[c].n,
               nodes - before, depth);
        ah_fini(&h);
    }
    printf("exhaustive_pool: OK, %ld states, %ld sequences\n", nodes, leaves);
    return 0;
}
