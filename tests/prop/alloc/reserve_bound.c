// SPDX-License-Identifier: MIT
/*
 * The reservation bounds, proved by building the tables: random lists of
 * memory regions (unaligned bases and sizes) are mapped page by page into
 * empty tables backed by a hyp_pool, and the table pages actually used
 * (read back independently, table_scan.h) are compared with reserve.h:
 *  - at the regions' own addresses (identity, stage 1 and concatenated
 *    stage 2): used == pgt_table_pages_at() exactly;
 *  - anywhere, at the worst-case placement (each region starting on the
 *    last page of a root entry's span, regions in distinct root entries):
 *    used == pgt_table_pages_anywhere() (the bound is tight);
 *  - anywhere, at random placements: used <= pgt_table_pages_anywhere();
 *  - the pool never runs out when it holds exactly the computed pages.
 *
 * Usage: reserve_bound [CASES [SEED]]; PGT_PROP_SEED=n replays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "table_scan.h"

static uint64_t seed, rs;
static int case_no;

static uint64_t rnd(void)
{
    uint64_t z = (rs += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void fail(const char *what, long a, long b)
{
    fprintf(stderr, "reserve_bound: FAILED case %d: %s: %ld %ld\n", case_no, what, a, b);
    fprintf(stderr, "reserve_bound: replay with PGT_PROP_SEED=%llu\n", (unsigned long long)seed);
    exit(1);
}

static struct hyp_pool pool;
#define pool_ops hyp_pool_mm_ops

struct geo {
    const char *name;
    bool s2;
    enum pgt_granule g;
    uint32_t ia;
    int s2_start; /* stage 2 only */
};

static const struct geo geos[] = {
    {"s1 4K 48", false, PGT_GRANULE_4K, 48, 0},
    {"s1 4K 39", false, PGT_GRANULE_4K, 39, 0},
    {"s1 16K 47", false, PGT_GRANULE_16K, 47, 0},
    {"s1 64K 42", false, PGT_GRANULE_64K, 42, 0},
    {"s1 16K 36", false, PGT_GRANULE_16K, 36, 0},
    {"s2 4K 40 concat", true, PGT_GRANULE_4K, 40, 1},
    {"s2 16K 40 concat", true, PGT_GRANULE_16K, 40, 2},
    {"s2 64K 44", true, PGT_GRANULE_64K, 44, 2},
};

#define MAXR 4

/* Map every page of @r[i] at @va[i] page by page; return table pages used
 * (-1 on map failure). */
static int build(const struct geo *g, const struct pgt_mem_region *r, const uint64_t *va,
                 int n, uint64_t pool_pages, struct ah *h, int *map_err)
{
    struct pgt pgt;
    struct ts_count c;
    int ret;

    ah_init(h, (unsigned)g->g, pool_pages, 0x100000000ull);
    if (hyp_pool_init(&pool, &h->vm, 0x100000000ull >> g->g, pool_pages, 0, NULL))
        fail("pool init", (long)pool_pages, 0);
    if (g->s2) {
        struct pgt_s2_cfg cfg = {.granule = g->g, .ia_bits = g->ia, .oa_bits = 48,
                                 .start_level = g->s2_start};
        ret = pgt_s2_init(&pgt, &cfg, &pool_ops, &pool, NULL);
    } else {
        ret = pgt_hyp_init(&pgt, g->ia, g->g, &pool_ops, &pool);
    }
    if (ret)
        fail("table init", ret, 0);
    *map_err = 0;
    uint64_t G = 1ull << g->g;
    for (int i = 0; i < n && !*map_err; i++) {
        uint64_t lo = r[i].base & ~(G - 1);
        uint64_t hi = (r[i].base + r[i].size + G - 1) & ~(G - 1);
        if (!r[i].size)
            continue;
        for (uint64_t off = 0; off < hi - lo; off += G) {
            if (g->s2)
                ret = pgt_s2_map(&pgt, va[i] + off, G, lo + off, PGT_PROT_RW, NULL,
                                 PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE);
            else
                ret = pgt_hyp_map(&pgt, va[i] + off, G, lo + off, PGT_PROT_RW);
            if (ret) {
                *map_err = ret;
                break;
            }
        }
    }
    c = (struct ts_count){.h = h, .check_counts = true};
    ts_scan(h, &pgt, ts_count_fn, &c);
    if (c.bad)
        fail("table page counts wrong", c.bad, 0);
    if ((uint64_t)c.pages != pool_pages - hyp_pool_nr_free_pages(&pool))
        fail("pages used by the table differ from pages taken from the pool", c.pages,
             (long)(pool_pages - hyp_pool_nr_free_pages(&pool)));
    if (g->s2)
        pgt_s2_destroy(&pgt);
    else
        pgt_hyp_destroy(&pgt);
    if (hyp_pool_nr_free_pages(&pool) != pool_pages)
        fail("destroy did not return every page", (long)hyp_pool_nr_free_pages(&pool),
             (long)pool_pages);
    ah_fini(h);
    return c.pages;
}

static void one_case(void)
{
    const struct geo *g = &geos[rnd() % (sizeof(geos) / sizeof(geos[0]))];
    struct pgt_geom geom;
    struct pgt_mem_region r[MAXR];
    uint64_t va[MAXR], computed, G = 1ull << g->g;
    int n = 1 + (int)(rnd() % MAXR), used, err;
    struct ah h;

    if (pgt_geom_init(&geom, g->g, g->ia, 48, g->s2 ? g->s2_start : PGT_LEVEL_AUTO,
                      g->s2 ? PGT_GEOM_CONCAT : 0))
        fail("geometry", g->ia, 0);
    uint64_t top = pgt_level_size(&geom, geom.start_level); /* one root entry */
    uint64_t nroot = 1ull << (g->ia - pgt_level_shift(&geom, geom.start_level));
    uint64_t l3span = pgt_level_size(&geom, 2); /* what one last-level table maps */

    /* Regions: up to ~2.5 last-level tables of pages, unaligned, placed in
     * a window of a few root entries so they sometimes share tables. */
    for (int i = 0; i < n; i++) {
        uint64_t S = l3span / G; /* pages per last-level table */
        uint64_t pages = 1 + rnd() % (S * 5 / 2 < 1500 ? S * 5 / 2 : 1500);
        /* Half the time a size at a table boundary: k * S + {-1, 0, 1, 2}. */
        if (rnd() % 2 && S <= 600) {
            uint64_t k = rnd() % 3, d = rnd() % 4;
            pages = k * S + d >= 2 ? k * S + d - 1 : 1;
        }
        uint64_t window = top * (nroot < 4 ? nroot : 4);
        r[i].size = pages * G - (rnd() % G) - (rnd() % 2);
        if (r[i].size == 0)
            r[i].size = 1;
        r[i].base = (rnd() % (window - pages * G - G)) + (rnd() % 2 ? 0 : 0);
        r[i].base &= ~7ull;
    }

    /* 1. At the regions' own addresses: exact. */
    if (pgt_table_pages_at(&geom, r, (size_t)n, &computed))
        fail("pgt_table_pages_at", 0, 0);
    for (int i = 0; i < n; i++)
        va[i] = r[i].base & ~(G - 1);
    used = build(g, r, va, n, computed, &h, &err);
    if (err)
        fail("map ran out of the computed pages (at), err", err, (long)computed);
    if ((uint64_t)used != computed)
        fail("table pages at own addresses (used, computed)", used, (long)computed);
    if (getenv("PGT_VERBOSE"))
        printf("case %d: %s, %d regions, first %llx+%llx: %d table pages at own addresses\n",
               case_no, g->name, n, (unsigned long long)r[0].base,
               (unsigned long long)r[0].size, used);

    if (g->s2)
        return; /* stage 2 is identity only */

    /* 2. Anywhere, worst-case placement: tight. Region i starts on the last
     * page of root entry 3i+1's span. */
    if (pgt_table_pages_anywhere(&geom, r, (size_t)n, &computed))
        fail("pgt_table_pages_anywhere", 0, 0);
    if ((uint64_t)(3 * n + 2) <= nroot) {
        for (int i = 0; i < n; i++)
            va[i] = (uint64_t)(3 * i + 2) * top - G;
        used = build(g, r, va, n, computed, &h, &err);
        if (err)
            fail("map ran out of the computed pages (worst case), err", err, (long)computed);
        if ((uint64_t)used != computed)
            fail("worst-case placement is not tight (used, computed)", used, (long)computed);
    }

    /* 3. Anywhere, random placement: within the bound. */
    uint64_t ia = 1ull << g->ia;
    for (int i = 0; i < n; i++) {
        uint64_t len = ((r[i].base + r[i].size + G - 1) & ~(G - 1)) - (r[i].base & ~(G - 1));
        va[i] = (rnd() % ((ia - len) / G)) * G;
    }
    used = build(g, r, va, n, computed, &h, &err);
    if (err && err != -PGT_EEXIST)
        fail("map ran out of the computed pages (random), err", err, (long)computed);
    if (!err && (uint64_t)used > computed)
        fail("random placement above the bound (used, computed)", used, (long)computed);
}

int main(int argc, char **argv)
{
    int cases = argc > 1 ? atoi(argv[1]) : 200;
    const char *env = getenv("PGT_PROP_SEED");

    seed = argc > 2 ? strtoull(argv[2], NULL, 0)
           : env  ? strtoull(env, NULL, 0)
                  : (uint64_t)time(NULL);
    rs = seed;
    printf("reserve_bound: %d cases, seed %llu (replay: PGT_PROP_SEED=%llu)\n", cases,
           (unsigned long long)seed, (unsigned long long)seed);
    for (case_no = 0; case_no < cases; case_no++)
        one_case();
    printf("reserve_bound: OK\n");
    return 0;
}
