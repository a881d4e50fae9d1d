// SPDX-License-Identifier: MIT
/*
 * The table core's operations with the hyp_pool adapter as their page
 * source, at random: map / unmap / protect (hyp stage 1) and map / unmap /
 * set_owner (stage 2, guest and host mode) of random ranges on a small
 * pool, so some operations run out of pages. After every operation the
 * table is read back independently (table_scan.h): every table page's pool
 * count must be 1 + its counted entries, and the pages the pool has handed
 * out must be exactly the table's pages. At the end everything is unmapped
 * and the table destroyed: the pool must be back in its initial layout.
 *
 * Usage: pgt_on_pool_prop [OPS [SEED]]; PGT_PROP_SEED=n replays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "table_scan.h"

static uint64_t seed, rs;
static long step;

static uint64_t rnd(void)
{
    uint64_t z = (rs += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void fail(const char *what, long a, long b)
{
    fprintf(stderr, "pgt_on_pool_prop: FAILED at step %ld: %s: %ld %ld\n", step, what, a, b);
    fprintf(stderr, "pgt_on_pool_prop: replay with PGT_PROP_SEED=%llu\n",
            (unsigned long long)seed);
    exit(1);
}

static void panic_hook(enum hyp_page_panic why, uint64_t pfn)
{
    fail("panic hook (why, pfn)", (long)why, (long)pfn);
}

static struct hyp_pool pool;
#define pool_ops hyp_pool_mm_ops

#define NPOOL 48

static void check(const struct ah *h, const struct pgt *pgt)
{
    struct ts_count c = {.h = h, .check_counts = true};

    ts_scan(h, pgt, ts_count_fn, &c);
    if (c.bad)
        fail("table pages with a wrong count", c.bad, 0);
    if ((uint64_t)c.pages != NPOOL - hyp_pool_nr_free_pages(&pool))
        fail("pool pages handed out != table pages", (long)(NPOOL - hyp_pool_nr_free_pages(&pool)),
             c.pages);
}

enum kind { HYP, S2, S2_HOST };

static void run(enum kind kind, enum pgt_granule g, long ops)
{
    struct ah h;
    struct pgt pgt;
    uint64_t initial[HYP_POOL_MAX_ORDER + 1];
    uint64_t G = 1ull << g;
    uint64_t window;
    int ret;
    long nok[3] = {0}, nomem = 0;

    ah_init(&h, (unsigned)g, NPOOL, 0x100000000ull);
    h.vm.panic = panic_hook;
    if (hyp_pool_init(&pool, &h.vm, 0x100000000ull >> g, NPOOL, 0, NULL))
        fail("pool init", 0, 0);
    for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
        initial[o] = hyp_pool_nr_free_blocks(&pool, (unsigned)o);
    ts_host_mode = kind == S2_HOST;
    if (kind == HYP) {
        ret = pgt_hyp_init(&pgt, 48, g, &pool_ops, &pool);
    } else {
        struct pgt_s2_cfg cfg = {.granule = g, .ia_bits = 40, .oa_bits = 40,
                                 .start_level = PGT_LEVEL_AUTO,
                                 .flags = kind == S2_HOST ? PGT_S2_HOST : 0};
        ret = pgt_s2_init(&pgt, &cfg, &pool_ops, &pool, NULL);
    }
    if (ret)
        fail("table init", ret, kind);
    check(&h, &pgt);
    /* 64 last-level tables' worth of address space, twice over two halves
     * of the space so that upper levels get more than one table too. */
    window = 32 * pgt_level_size(&pgt.geom, 2);

    for (long i = 0; i < ops; i++, step++) {
        uint64_t addr = (rnd() % (window / G)) * G + (rnd() % 2 ? 0 : (1ull << 39));
        uint64_t size = (1 + rnd() % 1024) * G;
        if (rnd() % 8 == 0) /* block-sized and aligned now and then */
            addr &= ~(pgt_level_size(&pgt.geom, 2) - 1), size = pgt_level_size(&pgt.geom, 2);
        uint64_t phys = kind == S2_HOST ? addr : (rnd() % (window / G)) * G;
        if (kind != HYP && addr + size > (1ull << 40))
            continue;
        unsigned r = (unsigned)(rnd() % 3);
        enum pgt_prot prot = PGT_PROT_R | (rnd() % 2 ? PGT_PROT_W : 0);

        if (kind == HYP) {
            if (r == 0)
                ret = pgt_hyp_map(&pgt, addr, size, phys, prot);
            else if (r == 1)
                ret = (int)(pgt_hyp_unmap(&pgt, addr, size) < 0 ? -1 : 0);
            else
                ret = pgt_hyp_protect(&pgt, addr, size, prot);
        } else {
            if (r == 0)
                ret = pgt_s2_map(&pgt, addr, size, phys, prot, NULL,
                                 PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE);
            else if (r == 1)
                ret = pgt_s2_unmap(&pgt, addr, size, NULL);
            else
                ret = pgt_s2_set_owner(&pgt, addr, size, NULL, (uint32_t)(rnd() % 3));
        }
        /* -ENOMEM / -EEXIST / -ENOENT are all fine: the state must stay right. */
        nok[r] += ret == 0;
        nomem += ret == -PGT_ENOMEM;
        check(&h, &pgt);
    }

    if (kind == HYP) {
        if (pgt_hyp_unmap(&pgt, 0, 1ull << 48) < 0)
            fail("final unmap", 0, 0);
    } else {
        if (pgt_s2_set_owner(&pgt, 0, 1ull << 40, NULL, 0) || pgt_s2_unmap(&pgt, 0, 1ull << 40, NULL))
            fail("final unmap", 0, 0);
    }
    check(&h, &pgt);
    if (kind == HYP)
        pgt_hyp_destroy(&pgt);
    else
        pgt_s2_destroy(&pgt);
    for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
        if (hyp_pool_nr_free_blocks(&pool, (unsigned)o) != initial[o])
            fail("pool not back to its initial layout (order)", o,
                 (long)hyp_pool_nr_free_blocks(&pool, (unsigned)o));
    if (getenv("PGT_VERBOSE"))
        printf("kind %d granule %d: ok %ld/%ld/%ld, -ENOMEM %ld\n", kind, g, nok[0], nok[1],
               nok[2], nomem);
    ah_fini(&h);
}

int main(int argc, char **argv)
{
    long ops = argc > 1 ? atol(argv[1]) : 3000;
    const char *env = getenv("PGT_PROP_SEED");

    seed = argc > 2 ? strtoull(argv[2], NULL, 0) : env ? strtoull(env, NULL, 0)
                                                       : (uint64_t)time(NULL);
    rs = seed;
    printf("pgt_on_pool_prop: %ld operations per table, seed %llu (replay: PGT_PROP_SEED=%llu)\n",
           ops, (unsigned long long)seed, (unsigned long long)seed);
    static const enum pgt_granule gs[] = {PGT_GRANULE_4K, PGT_GRANULE_16K, PGT_GRANULE_64K};
    for (int k = HYP; k <= S2_HOST; k++)
        for (int i = 0; i < 3; i++)
            run((enum kind)k, gs[i], ops);
    printf("pgt_on_pool_prop: OK\n");
    return 0;
}
