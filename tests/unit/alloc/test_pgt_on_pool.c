// SPDX-License-Identifier: MIT
/*
 * The table core with the hyp_pool adapter as its page source, and the
 * hand-over of an early-allocator table to a pool. Table pages and their
 * counts are read back independently (table_scan.h): every table page must
 * have count 1 + its non-zero entries, and after unmap/destroy the pool
 * must be back where it started.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "table_scan.h"

#define PA0 0x80000000ull
#define PFN0 (PA0 >> 12)
#define NPOOL 256

static struct hyp_pool pool;
#define pool_ops hyp_pool_mm_ops

static void snapshot(uint64_t *c)
{
    for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
        c[o] = hyp_pool_nr_free_blocks(&pool, (unsigned)o);
}

static void expect_snapshot(const uint64_t *c)
{
    for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
        assert_int_equal(hyp_pool_nr_free_blocks(&pool, (unsigned)o), c[o]);
}

static struct ts_count scan(const struct ah *h, const struct pgt *pgt)
{
    struct ts_count c = {.h = h, .check_counts = true};
    ts_scan(h, pgt, ts_count_fn, &c);
    return c;
}

static void hyp_table_on_pool_counts_and_returns_everything(void **state)
{
    struct ah h;
    struct pgt pgt;
    uint64_t initial[HYP_POOL_MAX_ORDER + 1];
    struct ts_count c;
    (void)state;

    ah_init(&h, 12, NPOOL, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, NPOOL, 0, NULL), 0);
    snapshot(initial);
    assert_int_equal(pgt_hyp_init(&pgt, 48, PGT_GRANULE_4K, &pool_ops, &pool), 0);
    c = scan(&h, &pgt);
    assert_int_equal(c.pages, 1);
    assert_int_equal(c.bad, 0);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), NPOOL - 1);

    /* Pages, a 2 MiB block, ranges far apart. */
    assert_int_equal(pgt_hyp_map(&pgt, 0x1000, 0x3000, 0x40001000, PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_map(&pgt, 0x200000, 0x200000, 0x40200000, PGT_PROT_R), 0);
    assert_int_equal(pgt_hyp_map(&pgt, 0x7fff00000000ull, 0x5000, 0x50000000, PGT_PROT_RX), 0);
    assert_int_equal(pgt_hyp_map(&pgt, 0x40000000ull - 0x1000, 0x2000, 0x60000000,
                                 PGT_PROT_RW), 0);
    c = scan(&h, &pgt);
    assert_int_equal(c.bad, 0);
    /* root; [0,1G): L1 table, L2 table, L3 for 0x1000 (the 2M block sits in
     * L2); 0x3ffff000 (last page of the first GiB): its L3 table;
     * 0x40000000: new L2 and L3; 0x7fff00000000: L1, L2, L3. */
    assert_int_equal(c.pages, 1 + 1 + 1 + 1 + 1 + 2 + 3);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), NPOOL - (uint64_t)c.pages);

    /* Partial unmap keeps counts right; full unmap frees all but the root. */
    assert_int_equal(pgt_hyp_unmap(&pgt, 0x2000, 0x1000), 0x1000);
    c = scan(&h, &pgt);
    assert_int_equal(c.bad, 0);
    /* Left: 0x1000, 0x3000, the block, two pages at 1 GiB, five high. */
    assert_int_equal(pgt_hyp_unmap(&pgt, 0, 1ull << 47), 0x2000 + 0x200000 + 0x2000 + 0x5000);
    assert_int_equal(pgt_hyp_unmap(&pgt, 1ull << 47, 1ull << 47), 0);
    c = scan(&h, &pgt);
    assert_int_equal(c.pages, 1);
    assert_int_equal(c.bad, 0);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), NPOOL - 1);
    pgt_hyp_destroy(&pgt);
    expect_snapshot(initial);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void s2_concatenated_root_from_pool(void **state)
{
    struct ah h;
    struct pgt pgt;
    uint64_t initial[HYP_POOL_MAX_ORDER + 1];
    struct pgt_s2_cfg cfg = {.granule = PGT_GRANULE_4K, .ia_bits = 40, .oa_bits = 40,
                             .start_level = 1};
    struct ts_count c;
    (void)state;

    ah_init(&h, 12, NPOOL, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, NPOOL, 0, NULL), 0);
    snapshot(initial);
    assert_int_equal(pgt_s2_init(&pgt, &cfg, &pool_ops, &pool, NULL), 0);
    assert_int_equal(pgt.geom.nr_root_pages, 2);
    /* Two root pages, aligned to 8 KiB, each count 1. */
    assert_int_equal(pgt.pgd_phys & 0x1fff, 0);
    assert_int_equal(pgt.pgd_phys, PA0 + ((uint8_t *)pgt.pgd - h.mem));
    assert_int_equal(hyp_page_count(hyp_virt_to_page(&h.vm, pgt.pgd)), 1);
    assert_int_equal(hyp_page_count(hyp_virt_to_page(&h.vm, (uint8_t *)pgt.pgd + 4096)), 1);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), NPOOL - 2);
    /* One map in each half of the IPA space (root page 0 and 1). */
    assert_int_equal(pgt_s2_map(&pgt, 0x1000, 0x1000, 0x1000, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_int_equal(pgt_s2_map(&pgt, (1ull << 39) + 0x200000, 0x2000, 0x2000, PGT_PROT_R,
                                NULL, PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_int_equal(pgt_s2_set_owner(&pgt, 0x40000000, 0x1000, NULL, 3), 0);
    c = scan(&h, &pgt);
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.pages, 2 + 2 + 2 + 2);
    assert_int_equal(pgt_s2_unmap(&pgt, 0, 1ull << 40, NULL), 0);
    c = scan(&h, &pgt);
    assert_int_equal(c.pages, 2);
    assert_int_equal(c.bad, 0);
    pgt_s2_destroy(&pgt);
    expect_snapshot(initial);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

/*
 * Four pages for the one-page unmap cases of a 4K start-level-1 stage-2
 * table: A alone in its level-1 and level-2 spans; B and C sharing a
 * last-level table; D in another last-level table of the same level-2
 * table as B and C. Tables: 2 root pages + L2(A) + L3(A) + L2(B..D) +
 * L3(B, C) + L3(D) = 7 pages.
 */
static const uint64_t lone_ia[] = {0x40001000, 0x80000000, 0x80003000, 0x80200000};

/*
 * A tlbi_va hook for the tests that declare the vmemmap counts: with it
 * (and put_page_n) the one-page unmap reads the counts from the vmemmap.
 * unmap_lone_pages() makes exactly one call per page: the leaf's for B,
 * one for the leaf and the tables that go with it for C, A and D.
 */
static int tlbi_va_calls;

static void count_tlbi_va(const struct pgt *pgt, uint64_t addr, int level)
{
    (void)pgt;
    (void)addr;
    (void)level;
    tlbi_va_calls++;
}

/* The pool's get_page, counting its calls: with hyp_pool_mm_ops_hints()
 * (mm_ops.count_writable) the library changes the counts of table pages
 * in the vmemmap itself and never calls it. */
static int get_page_calls;

static void count_get_page(void *ctx, void *addr)
{
    get_page_calls++;
    pool_ops.get_page(ctx, addr);
}

static void count_get_page_n(void *ctx, void *addr, int n)
{
    get_page_calls++;
    pool_ops.get_page_n(ctx, addr, n);
}

static void map_lone_pages(struct pgt *pgt)
{
    for (int i = 0; i < 4; i++)
        assert_int_equal(pgt_s2_map(pgt, lone_ia[i], 0x1000, lone_ia[i], PGT_PROT_RW,
                                    NULL, PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE),
                         0);
}

/* Unmap B (its table keeps C), C (its table goes), A (both of its tables
 * go), then D (its table and the level-2 table go), scanning the counts
 * independently and checking the pool after each step. */
static void unmap_lone_pages(const struct ah *h, struct pgt *pgt)
{
    const int order[] = {1, 2, 0, 3};
    const long pages_after[] = {7, 6, 4, 2};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(pgt_s2_unmap(pgt, lone_ia[order[k]], 0x1000, NULL), 0);
        struct ts_count c = scan(h, pgt);
        assert_int_equal(c.bad, 0);
        assert_int_equal(c.pages, pages_after[k]);
        assert_int_equal(hyp_pool_nr_free_pages(&pool), NPOOL - pages_after[k]);
    }
}

/*
 * hyp_pool_mm_ops_hints(): the linear map and the vmemmap counts declared
 * to the table code, which then reads 2-byte counts from the vmemmap in
 * its one-page unmap. The declared layout is checked against
 * hyp_page_count() page by page, then pages are unmapped one at a time in
 * every case (the table stays, goes, takes its level-2 table along) with
 * the counts scanned independently after each step.
 */
static void s2_one_page_unmaps_with_vmemmap_counts(void **state)
{
    struct ah h;
    struct pgt pgt;
    struct pgt_mm_ops ops = pool_ops;
    uint64_t initial[HYP_POOL_MAX_ORDER + 1];
    struct pgt_s2_cfg cfg = {.granule = PGT_GRANULE_4K, .ia_bits = 40, .oa_bits = 40,
                             .start_level = 1};
    struct ts_count c;
    (void)state;

    ah_init(&h, 12, NPOOL, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, NPOOL, 0, NULL), 0);
    hyp_pool_mm_ops_hints(&ops, &pool);
    ops.tlbi_va = count_tlbi_va;
    tlbi_va_calls = 0;
    assert_true(ops.linear);
    assert_int_equal(ops.count_width, 2);
    assert_int_equal(ops.count_shift, 3);
    snapshot(initial);
    assert_int_equal(pgt_s2_init(&pgt, &cfg, &ops, &pool, NULL), 0);
    map_lone_pages(&pgt);
    /* The declared layout gives hyp_page_count() for every pool page in
     * use (root, tables). */
    for (uint64_t pg = 0; pg < NPOOL; pg++) {
        uint8_t *va = h.mem + pg * 4096;
        unsigned int want = hyp_page_count(hyp_virt_to_page(&h.vm, va));
        if (!want)
            continue;
        const uint8_t *rec = (const uint8_t *)ops.count_base +
                             (((uintptr_t)va - ops.count_va) >> 12 << 3);
        assert_int_equal(*(const uint16_t *)(const void *)rec, want);
        assert_ptr_equal(ops.phys_to_virt(&pool, PA0 + pg * 4096),
                         (void *)(uintptr_t)(PA0 + pg * 4096 + ops.linear_offset));
    }
    c = scan(&h, &pgt);
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.pages, 2 + 5);
    unmap_lone_pages(&h, &pgt);
    assert_int_equal(tlbi_va_calls, 4);
    pgt_s2_destroy(&pgt);
    expect_snapshot(initial);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void pool_exhaustion_leaves_a_consistent_table(void **state)
{
    struct ah h;
    struct pgt pgt;
    uint64_t initial[HYP_POOL_MAX_ORDER + 1];
    struct ts_count c;
    int ret = 0, mapped = 0;
    (void)state;

    /* 16 pages: the root and a few table paths, then -ENOMEM. */
    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    snapshot(initial);
    assert_int_equal(pgt_hyp_init(&pgt, 48, PGT_GRANULE_4K, &pool_ops, &pool), 0);
    for (uint64_t i = 0; i < 64; i++) {
        ret = pgt_hyp_map(&pgt, i << 39, 0x1000, 0x40000000, PGT_PROT_R);
        if (ret)
            break;
        mapped++;
    }
    assert_int_equal(ret, -PGT_ENOMEM);
    /* Each map needed an L1, L2 and L3 table: 5 maps fit in 15 pages. */
    assert_int_equal(mapped, 5);
    c = scan(&h, &pgt);
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.pages, 1 + 3 * mapped);
    assert_int_equal(pgt_hyp_unmap(&pgt, 0, 1ull << 48), 0x1000 * mapped);
    pgt_hyp_destroy(&pgt);
    expect_snapshot(initial);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void early_table_handed_over_to_pool(void **state)
{
    struct ah h;
    struct hyp_early_alloc ea;
    struct pgt pgt;
    uint64_t used, fresh[HYP_POOL_MAX_ORDER + 1];
    struct ts_count c;
    (void)state;

    ah_init(&h, 12, NPOOL, PA0);
    /* Build the table on the early allocator over the pool's future range. */
    assert_int_equal(hyp_early_alloc_init(&ea, h.mem, PA0, NPOOL * 4096ull, 12), 0);
    assert_int_equal(pgt_hyp_init(&pgt, 48, PGT_GRANULE_4K, &hyp_early_alloc_mm_ops, &ea), 0);
    assert_int_equal(pgt_hyp_map(&pgt, 0x1000, 0x3000, 0x40001000, PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_map(&pgt, 0x200000, 0x200000, 0x40200000, PGT_PROT_R), 0);
    assert_int_equal(pgt_hyp_map(&pgt, 0x7fff00000000ull, 0x5000, 0x50000000, PGT_PROT_RX), 0);
    /* And a page the early allocator used for something else. */
    assert_non_null(hyp_early_alloc_page(&ea));
    used = hyp_early_alloc_nr_used_pages(&ea);
    c = (struct ts_count){.h = &h};
    ts_scan(&h, &pgt, ts_count_fn, &c);
    assert_int_equal(c.pages, 1 + 3 + 3);
    assert_int_equal(used, 8);

    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, NPOOL, used, NULL), 0);
    assert_int_equal(hyp_pgt_fix_refcounts(&pgt, &pool_ops, &pool), 0);
    assert_ptr_equal(pgt.mm_ops, &pool_ops);
    c = scan(&h, &pgt);
    assert_int_equal(c.bad, 0);
    /* root: 2 entries -> 3; each L3 table of 3 and 5 pages -> 4 and 6. */
    assert_int_equal(hyp_page_count(hyp_virt_to_page(&h.vm, pgt.pgd)), 3);
    /* A second hand-over would count everything twice: refused, nothing
     * changed (counts read again below). */
    assert_int_equal(hyp_pgt_fix_refcounts(&pgt, &pool_ops, &pool), -PGT_EBUSY);
    assert_int_equal(hyp_pgt_fix_refcounts(&pgt, NULL, NULL), -PGT_EBUSY);
    assert_ptr_equal(pgt.mm_ops, &pool_ops);
    assert_ptr_equal(pgt.mm_ctx, &pool);
    c = scan(&h, &pgt);
    assert_int_equal(c.bad, 0);
    assert_int_equal(hyp_page_count(hyp_virt_to_page(&h.vm, pgt.pgd)), 3);

    /* The pool now manages the table: unmap frees its tables, destroy the
     * root; only the other early page stays allocated. */
    assert_int_equal(pgt_hyp_map(&pgt, 0x80000000, 0x1000, 0x40000000, PGT_PROT_R), 0);
    assert_int_equal(pgt_hyp_unmap(&pgt, 0, 1ull << 48), 0x3000 + 0x200000 + 0x5000 + 0x1000);
    pgt_hyp_destroy(&pgt);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), NPOOL - 1);
    assert_int_equal(hyp_page_count(ah_rec(&h, PFN0 + 7)), 1);
    hyp_put_page(&pool, ah_va(&h, PFN0 + 7));
    {
        struct ah h2;
        struct hyp_pool p2;
        ah_init(&h2, 12, NPOOL, PA0);
        assert_int_equal(hyp_pool_init(&p2, &h2.vm, PFN0, NPOOL, 0, NULL), 0);
        for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++)
            fresh[o] = hyp_pool_nr_free_blocks(&p2, (unsigned)o);
        ah_fini(&h2);
    }
    expect_snapshot(fresh);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

/*
 * The same hand-over for an upper-range (TTBR1) table, whose VAs start at
 * 0xffff000000000000: the walks must cover the table's own range.
 */
static void early_upper_range_table_handed_over_to_pool(void **state)
{
    const uint64_t upper = 0xffff000000000000ull;
    struct ah h;
    struct hyp_early_alloc ea;
    struct pgt pgt;
    uint64_t used;
    struct ts_count c;
    (void)state;

    ah_init(&h, 12, NPOOL, PA0);
    assert_int_equal(hyp_early_alloc_init(&ea, h.mem, PA0, NPOOL * 4096ull, 12), 0);
    assert_int_equal(pgt_s1_init(&pgt, PGT_REGIME_EL20, 48, PGT_GRANULE_4K, 48, PGT_S1_UPPER,
                                 &hyp_early_alloc_mm_ops, &ea),
                     0);
    assert_int_equal(pgt_s1_map(&pgt, upper + 0x1000, 0x3000, 0x40001000, PGT_PROT_RW), 0);
    assert_int_equal(pgt_s1_map(&pgt, 0xffffffffffe00000ull, 0x200000, 0x40200000, PGT_PROT_R),
                     0);
    used = hyp_early_alloc_nr_used_pages(&ea);
    /* root; L1, L2, L3 at the bottom of the range; L1, L2 at its top. */
    assert_int_equal(used, 1 + 3 + 2);

    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, NPOOL, used, NULL), 0);
    assert_int_equal(hyp_pgt_fix_refcounts(&pgt, &pool_ops, &pool), 0);
    c = scan(&h, &pgt);
    assert_int_equal(c.pages, 6);
    assert_int_equal(c.bad, 0);
    /* Root entries 0 and 511: count 3. */
    assert_int_equal(hyp_page_count(hyp_virt_to_page(&h.vm, pgt.pgd)), 3);
    assert_int_equal(hyp_pgt_fix_refcounts(&pgt, NULL, NULL), -PGT_EBUSY);

    /* The pool now owns the table: a full unmap frees all but the root. */
    assert_int_equal(pgt_s1_unmap(&pgt, upper, 1ull << 48), 0x3000 + 0x200000);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), NPOOL - 1);
    pgt_s1_destroy(&pgt);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), NPOOL);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

/*
 * A stage-2 table of the fast shape (4K, start level 1) built on the early
 * allocator with the linear-map hint, handed over to a pool adapter: with
 * no hints (the one-page unmap must stop using the old ops' linear offset)
 * and with hyp_pool_mm_ops_hints() (it reads vmemmap counts). One-page
 * unmaps must then free every table and give the pool everything back.
 */
static void s2_fast_table_handed_over(bool hints)
{
    struct ah h;
    struct hyp_early_alloc ea;
    struct pgt pgt;
    struct pgt_mm_ops early = hyp_early_alloc_mm_ops;
    struct pgt_mm_ops ops = pool_ops;
    struct pgt_s2_cfg cfg = {.granule = PGT_GRANULE_4K, .ia_bits = 40, .oa_bits = 40,
                             .start_level = 1};
    uint64_t used;
    struct ts_count c;

    ah_init(&h, 12, NPOOL, PA0);
    assert_int_equal(hyp_early_alloc_init(&ea, h.mem, PA0, NPOOL * 4096ull, 12), 0);
    early.linear = true;
    early.linear_offset = (uint64_t)(uintptr_t)h.mem - PA0;
    assert_int_equal(pgt_s2_init(&pgt, &cfg, &early, &ea, NULL), 0);
    map_lone_pages(&pgt);
    used = hyp_early_alloc_nr_used_pages(&ea);
    assert_int_equal(used, 2 + 5);

    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, NPOOL, used, NULL), 0);
    if (hints) {
        hyp_pool_mm_ops_hints(&ops, &pool);
        ops.tlbi_va = count_tlbi_va;
    }
    ops.get_page = count_get_page;
    ops.get_page_n = count_get_page_n;
    tlbi_va_calls = get_page_calls = 0;
    /* The new ops have a different view of memory: no linear offset at
     * all without hints. */
    assert_int_equal(hyp_pgt_fix_refcounts(&pgt, &ops, &pool), 0);
    c = scan(&h, &pgt);
    assert_int_equal(c.bad, 0);
    /* The hand-over's references: in the vmemmap with the hints, one
     * get_page per counted entry without (2 root entries, then per
     * table the entries of lone_ia's four pages). */
    if (hints)
        assert_int_equal(get_page_calls, 0);
    else
        assert_true(get_page_calls >= 4 + 2);
    map_lone_pages(&pgt); /* the same pages again: nothing changes */
    unmap_lone_pages(&h, &pgt);
    assert_int_equal(tlbi_va_calls, hints ? 4 : 0);
    if (hints)
        assert_int_equal(get_page_calls, 0);
    pgt_s2_destroy(&pgt);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), NPOOL);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void s2_fast_table_handed_over_without_hints(void **state)
{
    (void)state;
    s2_fast_table_handed_over(false);
}

static void s2_fast_table_handed_over_with_hints(void **state)
{
    (void)state;
    s2_fast_table_handed_over(true);
}

/* Pages that are not the pool's reserved pages (given to it as free:
 * count 0) are refused before anything changes, the early ops kept. */
static void hand_over_of_pages_not_reserved_is_refused(void **state)
{
    struct ah h;
    struct hyp_early_alloc ea;
    struct pgt pgt;
    struct hyp_page recs[NPOOL];
    (void)state;

    ah_init(&h, 12, NPOOL, PA0);
    assert_int_equal(hyp_early_alloc_init(&ea, h.mem, PA0, NPOOL * 4096ull, 12), 0);
    assert_int_equal(pgt_hyp_init(&pgt, 48, PGT_GRANULE_4K, &hyp_early_alloc_mm_ops, &ea), 0);
    assert_int_equal(pgt_hyp_map(&pgt, 0x1000, 0x1000, 0x40001000, PGT_PROT_RW), 0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, NPOOL, 1, NULL), 0);
    memcpy(recs, h.pages, sizeof(recs));
    /* The root is reserved (count 1), its three tables are free. */
    assert_int_equal(hyp_pgt_fix_refcounts(&pgt, &pool_ops, &pool), -PGT_EBUSY);
    assert_ptr_equal(pgt.mm_ops, &hyp_early_alloc_mm_ops);
    assert_ptr_equal(pgt.mm_ctx, &ea);
    assert_memory_equal(recs, h.pages, sizeof(recs));
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void fix_refcounts_rejects_bad_arguments(void **state)
{
    struct pgt pgt;
    struct pgt_mm_ops no_get = {0};
    (void)state;

    memset(&pgt, 0, sizeof(pgt));
    assert_int_equal(hyp_pgt_fix_refcounts(NULL, &pool_ops, &pool), -PGT_EINVAL);
    assert_int_equal(hyp_pgt_fix_refcounts(&pgt, &pool_ops, &pool), -PGT_EINVAL);
    pgt.pgd = (pgt_pte_t *)&pgt;
    assert_int_equal(hyp_pgt_fix_refcounts(&pgt, &no_get, &pool), -PGT_EINVAL);
    assert_null(pgt.mm_ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hyp_table_on_pool_counts_and_returns_everything),
        cmocka_unit_test(s2_concatenated_root_from_pool),
        cmocka_unit_test(s2_one_page_unmaps_with_vmemmap_counts),
        cmocka_unit_test(pool_exhaustion_leaves_a_consistent_table),
        cmocka_unit_test(early_table_handed_over_to_pool),
        cmocka_unit_test(early_upper_range_table_handed_over_to_pool),
        cmocka_unit_test(hand_over_of_pages_not_reserved_is_refused),
        cmocka_unit_test(fix_refcounts_rejects_bad_arguments),
        cmocka_unit_test(s2_fast_table_handed_over_without_hints),
        cmocka_unit_test(s2_fast_table_handed_over_with_hints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
