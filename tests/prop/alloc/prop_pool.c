// SPDX-License-Identifier: MIT
/*
 * Property test: random alloc / get / put / split sequences on pools of
 * random shape, checked after every step against pool_model.h:
 *  - no page handed out twice, blocks aligned, taken from the smallest free
 *    block (pm_take);
 *  - exact free block counts per order, free pages, every page's count;
 *  - every block handed out is zero (pages are scribbled on while held);
 *  - freeing everything restores the initial layout (one free block per
 *    max-order chunk), equal to a freshly initialised pool;
 *  - the table adapter's hyp_pool_zalloc_pages_exact() is one of the
 *    operations: every page of its run count 1, the rest of the covering
 *    block free again (checked like every count, independently of the
 *    unit test of the adapter);
 *  - half the rounds run two pools side by side on one vmemmap (touching
 *    or with a gap), operations on either; both are checked after every
 *    step, and now and then a pool over a range overlapping one of them
 *    must be refused without a record changing.
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

struct slot {
    struct hyp_pool pool;
    struct pool_model m;
    struct hyp_pool_cfg cfg;
    uint64_t pfn0;
    int n, max_order;
};

/* One step on @s (pages are scribbled on while held). */
static void step_pool(struct ah *h, struct slot *s, long i)
{
    int kind = rndn(12), idx;
    if (kind < 4) { /* alloc */
        int o = rndn(s->max_order + 2);
        bool fit = !(o == 0 && s->pool.nr_cached);
        uint8_t *va = hyp_alloc_pages(&s->pool, (unsigned)o);
        if (!va) {
            if (pm_source_order(&s->m, o) >= 0)
                pm_fail("alloc failed with a block free (order)", o, 0);
        } else {
            idx = (int)(ah_pfn(h, va) - s->pfn0);
            pm_take(&s->m, idx, o, fit);
            if (!ah_is_zero(va, h->page_size << o))
                pm_fail("block not zeroed (page, order)", idx, o);
            memset(va, 0x5c ^ (int)(i & 0xff), h->page_size << o);
        }
    } else if (kind < 6) { /* get */
        if ((idx = pick_counted(&s->m)) >= 0 && s->m.ref[idx] < 1000) {
            hyp_get_page(&s->pool, ah_va(h, s->pfn0 + (uint64_t)idx));
            s->m.ref[idx]++;
        }
    } else if (kind < 9) { /* put */
        if ((idx = pick_counted(&s->m)) >= 0) {
            hyp_put_page(&s->pool, ah_va(h, s->pfn0 + (uint64_t)idx));
            pm_put(&s->m, idx);
        }
    } else if (kind < 10) { /* split: only by the sole holder */
        if ((idx = pick_counted(&s->m)) >= 0 && s->m.order[idx] > 0 && s->m.ref[idx] == 1) {
            hyp_split_page(&s->pool, ah_rec(h, s->pfn0 + (uint64_t)idx));
            pm_split(&s->m, idx);
        }
    } else {
        /* The table adapter's zalloc_pages_exact (mm_pool.h): @n pages
         * from the block of the covering order, each an order-0 page with
         * count 1, the rest of the block given back. */
        int n = 1 + rndn(1 << (s->max_order < 4 ? s->max_order : 4));
        int o = 0;
        while ((1 << o) < n)
            o++;
        bool fit = !(o == 0 && s->pool.nr_cached);
        uint8_t *va = hyp_pool_zalloc_pages_exact(&s->pool, (size_t)n * h->page_size);
        if (!va) {
            if (pm_source_order(&s->m, o) >= 0)
                pm_fail("zalloc_pages_exact failed with a block free (pages)", n, 0);
            return;
        }
        idx = (int)(ah_pfn(h, va) - s->pfn0);
        pm_take(&s->m, idx, o, fit);
        pm_split(&s->m, idx);
        for (int k = n; k < (1 << o); k++)
            pm_put(&s->m, idx + k);
        if (!ah_is_zero(va, h->page_size * (size_t)n))
            pm_fail("exact run not zeroed (page, pages)", idx, n);
        memset(va, 0x3e, h->page_size * (size_t)n);
    }
}

/* A pool over a random range sharing a page with @s is refused, and no
 * record changes. */
static void overlap_is_refused(struct ah *h, const struct slot *s)
{
    struct hyp_pool tmp;
    uint64_t first = ah_pfn0(h), end = first + h->nr_pages;
    uint64_t in = s->pfn0 + (uint64_t)rndn(s->n);
    uint64_t lo = first + (uint64_t)rndn((int)(in - first + 1));
    uint64_t hi = in + 1 + (uint64_t)rndn((int)(end - in));
    size_t bytes = sizeof(struct hyp_page) * h->nr_pages;
    struct hyp_page *recs = malloc(bytes);

    if (!recs)
        abort();
    memcpy(recs, h->pages, bytes);
    if (hyp_pool_init(&tmp, &h->vm, lo, hi - lo, (uint64_t)rndn((int)(hi - lo + 1)), NULL) !=
        -PGT_EBUSY)
        pm_fail("a pool overlapping a live pool was not refused (first, end)", (long)lo,
                (long)hi);
    if (memcmp(recs, h->pages, bytes))
        pm_fail("a refused init changed records (first, end)", (long)lo, (long)hi);
    free(recs);
}

/*
 * One round: one pool, or two side by side on one vmemmap (sometimes
 * touching, so their blocks are buddies across the boundary), random
 * operations on either, each checked against its own model.
 */
static void run_round(long ops)
{
    struct ah h;
    struct slot sl[2];
    int nslots = 1 + rndn(2);
    /* Arena PFNs from 0x80000; the first pool starts at a random offset,
     * the second after a gap of 0..3 pages. */
    int off = rndn(8), gap = rndn(4);
    int budget = PM_MAX_PAGES - 8 - (nslots == 2 ? 4 : 0);
    uint64_t next = 0x80000 + (uint64_t)off;

    memset(sl, 0, sizeof(sl));
    for (int k = 0; k < nslots; k++) {
        struct slot *s = &sl[k];
        s->n = 1 + rndn(nslots == 2 ? budget / 2 : budget);
        s->cfg.max_order = (unsigned)rndn(10);
        s->pfn0 = next;
        next += (uint64_t)s->n + (uint64_t)gap;
        s->max_order = 0;
        while ((2 << s->max_order) <= s->n && s->max_order < (int)s->cfg.max_order)
            s->max_order++;
    }
    ah_init(&h, 12, next - 0x80000, 0x80000ull << 12);
    h.vm.panic = panic_is_failure;
    memset(h.mem, 0xa7, h.page_size * h.nr_pages);
    for (int k = 0; k < nslots; k++) {
        struct slot *s = &sl[k];
        int reserved = rndn(4) == 0 ? rndn(s->n + 1) : 0;
        if (hyp_pool_init(&s->pool, &h.vm, s->pfn0, (uint64_t)s->n, (uint64_t)reserved,
                          &s->cfg))
            pm_fail("init failed (n, reserved)", s->n, reserved);
        if (s->pool.max_order != s->max_order)
            pm_fail("max_order (real, model)", s->pool.max_order, s->max_order);
        pm_init(&s->m, s->pfn0, s->n, reserved, s->max_order);
        pm_check(&s->m, &s->pool, &h);
    }

    for (long i = 0; i < ops; i++, step++) {
        struct slot *s = &sl[rndn(nslots)];
        step_pool(&h, s, i);
        /* Full check (drains the put cache) one step in four, so cached
         * pages also meet later operations. Every pool is checked: an
         * operation on one must not change the other. */
        for (int k = 0; k < nslots; k++) {
            if (rndn(4) == 0)
                pm_check(&sl[k].m, &sl[k].pool, &h);
            else
                pm_check_counts(&sl[k].m, &sl[k].pool, &h);
        }
        if (rndn(64) == 0)
            overlap_is_refused(&h, &sl[rndn(nslots)]);
    }

    /* Free everything: each layout must be the initial one of an empty
     * pool, the same blocks as a fresh pool over the same range. */
    for (int k = 0; k < nslots; k++) {
        struct slot *s = &sl[k];
        for (int i = 0; i < s->n; i++) {
            while (!s->m.free[i] && s->m.ref[i] > 0) {
                hyp_put_page(&s->pool, ah_va(&h, s->pfn0 + (uint64_t)i));
                pm_put(&s->m, i);
            }
        }
    }
    for (int k = 0; k < nslots; k++) {
        struct slot *s = &sl[k];
        struct hyp_pool fresh;
        struct ah h2;
        pm_check(&s->m, &s->pool, &h);
        if (pm_nr_free(&s->m) != s->n)
            pm_fail("pages still held after freeing everything", pm_nr_free(&s->m), s->n);
        ah_init(&h2, 12, h.nr_pages, 0x80000ull << 12);
        if (hyp_pool_init(&fresh, &h2.vm, s->pfn0, (uint64_t)s->n, 0, &s->cfg))
            pm_fail("fresh init failed", s->n, 0);
        for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
            if (hyp_pool_nr_free_blocks(&s->pool, (unsigned)o) !=
                hyp_pool_nr_free_blocks(&fresh, (unsigned)o))
                pm_fail("layout after freeing all differs from a fresh pool (order)", o, 0);
        /* The same blocks: every head record matches. */
        for (int i = 0; i < s->n; i++) {
            const struct hyp_page *a = ah_rec(&h, s->pfn0 + (uint64_t)i);
            const struct hyp_page *b = ah_rec(&h2, s->pfn0 + (uint64_t)i);
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
