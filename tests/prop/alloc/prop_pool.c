// SPDX-License-Identifier: MIT
/*
 * Property test: random alloc / get / put / split sequences on pools of
 * random shape, checked after every step against pool_model.h:
 *  - no page handed out twice, blocks aligned, taken from the smallest free
 *    block (pm_take);
 *  - exact free block counts per order, free pages, every page's count;
 *  - every block handed out is zero (pages are scribbled on while held);
 *  - freeing everything restores the initial layout (one free block per
 *    max-order chunk), equal to a freshly initialised pool.
 *
 * Usage: prop_pool [OPS [SEED]]; PGT_PROP_SEED=n replays a seed. The seed
 * is printed at start and on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pool_model.h"

static uint64_t seed, rng_state;
static long step;

static void pm_fail(const char *what, long a, long b)
{
    fprintf(stderr, "prop_pool: FAILED at step %ld: %s: %ld %ld\n", step, what, a, b);
    fprintf(stderr, "prop_pool: replay with PGT_PROP_SEED=%llu\n", (unsigned long long)seed);
    exit(1);
}

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int rndn(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

static void panic_is_failure(enum hyp_page_panic why, uint64_t pfn)
{
    pm_fail("unexpected panic hook (why, pfn)", (long)why, (long)pfn);
}

/* A random page with count > 0, or -1. */
static int pick_counted(const struct pool_model *m)
{
    int start = rndn(m->n);
    for (int k = 0; k < m->n; k++) {
        int i = (start + k) % m->n;
        if (!m->free[i] && m->ref[i] > 0)
            return i;
    }
    return -1;
}

static void run_round(long ops)
{
    struct ah h;
    struct hyp_pool pool, fresh;
    struct pool_model m;
    struct hyp_pool_cfg cfg = {0};
    /* Arena PFNs from 0x80000; the pool starts at a random offset. */
    int n = 1 + rndn(PM_MAX_PAGES - 8);
    int off = rndn(8);
    int reserved = rndn(4) == 0 ? rndn(n + 1) : 0;
    uint64_t pfn0 = 0x80000 + (uint64_t)off;

    cfg.max_order = (unsigned)rndn(10);
    ah_init(&h, 12, (uint64_t)(n + off), 0x80000ull << 12);
    h.vm.panic = panic_is_failure;
    memset(h.mem, 0xa7, h.page_size * (size_t)(n + off));
    if (hyp_pool_init(&pool, &h.vm, pfn0, (uint64_t)n, (uint64_t)reserved, &cfg))
        pm_fail("init failed (n, reserved)", n, reserved);
    int max_order = 0;
    while ((2 << max_order) <= n && max_order < (int)cfg.max_order)
        max_order++;
    if (pool.max_order != max_order)
        pm_fail("max_order (real, model)", pool.max_order, max_order);
    pm_init(&m, pfn0, n, reserved, max_order);
    pm_check(&m, &pool, &h);

    for (long i = 0; i < ops; i++, step++) {
        int kind = rndn(10), idx;
        if (kind < 4) { /* alloc */
            int o = rndn(max_order + 2);
            bool fit = !(o == 0 && pool.nr_cached);
            uint8_t *va = hyp_alloc_pages(&pool, (unsigned)o);
            if (!va) {
                if (pm_source_order(&m, o) >= 0)
                    pm_fail("alloc failed with a block free (order)", o, 0);
            } else {
                idx = (int)(ah_pfn(&h, va) - pfn0);
                pm_take(&m, idx, o, fit);
                if (!ah_is_zero(va, h.page_size << o))
                    pm_fail("block not zeroed (page, order)", idx, o);
                memset(va, 0x5c ^ (int)(i & 0xff), h.page_size << o);
            }
        } else if (kind < 6) { /* get */
            if ((idx = pick_counted(&m)) >= 0 && m.ref[idx] < 1000) {
                hyp_get_page(&pool, ah_va(&h, pfn0 + (uint64_t)idx));
                m.ref[idx]++;
            }
        } else if (kind < 9) { /* put */
            if ((idx = pick_counted(&m)) >= 0) {
                hyp_put_page(&pool, ah_va(&h, pfn0 + (uint64_t)idx));
                pm_put(&m, idx);
            }
        } else { /* split */
            if ((idx = pick_counted(&m)) >= 0 && m.order[idx] > 0) {
                hyp_split_page(&pool, ah_rec(&h, pfn0 + (uint64_t)idx));
                pm_split(&m, idx);
            }
        }
        /* Full check (drains the put cache) one step in four, so cached
         * pages also meet later operations. */
        if (rndn(4) == 0)
            pm_check(&m, &pool, &h);
        else
            pm_check_counts(&m, &pool, &h);
    }

    /* Free everything: the layout must be the initial one of an empty pool. */
    for (int i = 0; i < n; i++) {
        while (!m.free[i] && m.ref[i] > 0) {
            hyp_put_page(&pool, ah_va(&h, pfn0 + (uint64_t)i));
            pm_put(&m, i);
        }
    }
    pm_check(&m, &pool, &h);
    if (pm_nr_free(&m) != n)
        pm_fail("pages still held after freeing everything", pm_nr_free(&m), n);
    {
        struct ah h2;
        ah_init(&h2, 12, (uint64_t)(n + off), 0x80000ull << 12);
        if (hyp_pool_init(&fresh, &h2.vm, pfn0, (uint64_t)n, 0, &cfg))
            pm_fail("fresh init failed", n, 0);
        for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
            if (hyp_pool_nr_free_blocks(&pool, (unsigned)o) !=
                hyp_pool_nr_free_blocks(&fresh, (unsigned)o))
                pm_fail("layout after freeing all differs from a fresh pool (order)", o, 0);
        /* The same blocks: every head record matches. */
        for (int i = 0; i < n; i++) {
            const struct hyp_page *a = ah_rec(&h, pfn0 + (uint64_t)i);
            const struct hyp_page *b = ah_rec(&h2, pfn0 + (uint64_t)i);
            if ((a->flags & HYP_PAGE_FREE) != (b->flags & HYP_PAGE_FREE) ||
                ((a->flags & HYP_PAGE_FREE) && a->order != b->order))
                pm_fail("free block heads differ from a fresh pool (page)", i, 0);
        }
        ah_fini(&h2);
    }
    ah_fini(&h);
}

int main(int argc, char **argv)
{
    long ops = argc > 1 ? atol(argv[1]) : 100000;
    const char *env = getenv("PGT_PROP_SEED");

    if (argc > 2)
        seed = strtoull(argv[2], NULL, 0);
    else if (env)
        seed = strtoull(env, NULL, 0);
    else
        seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
    rng_state = seed;
    printf("prop_pool: %ld operations, seed %llu (replay: PGT_PROP_SEED=%llu)\n", ops,
           (unsigned long long)seed, (unsigned long long)seed);
    while (step < ops)
        run_round(200 + rndn(2000));
    printf("prop_pool: OK\n");
    return 0;
}
