// SPDX-License-Identifier: MIT
/*
 * Table page reference counts (mm_ops.h): a table page's count is 1 plus
 * its counted entries; tables left without counted entries are freed;
 * destroy returns every page. Counts are read from test_mm's arena and
 * compared with numbers worked out by hand and with the independent
 * reader's count of non-zero entries (core_ref.c).
 */
#include "core_ref.h"

/* Host page of the table that the entry at @level for @addr points to. */
static void *table_below(struct fx *f, uint64_t addr, int level)
{
    uint64_t d = E(f, addr, level);
    assert_true(pgt_pte_is_table(d, level));
    return ref_va(&f->m, ref_oa(&f->r, d));
}

static void test_table_page_refcount_is_one_plus_counted_entries(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* Level-3 table under 0x40000000: 3 pages + 2 owner annotations. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 3 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40100000, 2 * SZ_4K, NULL, 4),
                     0);
    /* Level-2 table under 0x40000000: the L3 table + one 2M block. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(tmm_page_ref(&f.m, table_below(&f, 0x40000000, 2)), 6);
    assert_int_equal(tmm_page_ref(&f.m, table_below(&f, 0x40000000, 1)), 3);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_root_page_refcount_is_one_plus_counted_entries(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* One entry in each of the two concatenated root pages:
     * IPA 0x40000000 -> root index 1 (page 0), 0x8000000000 -> 512
     * (page 1). */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x8000000000ull, SZ_1G, 0xc0000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, true);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0, 1ull << 40, NULL), 0);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, true);
    fx_fini(&f);
}

static void test_refcounts_hold_for_every_granule_after_map_and_unmap(
    void **state)
{
    (void)state;
    static const struct {
        unsigned gs, ia;
        int sl;
    } g[] = {{12, 40, 1}, {14, 40, 1}, {16, 48, 1}};
    for (size_t i = 0; i < 3; i++) {
        struct fx f;
        fx_s2(&f, g[i].gs, g[i].ia, g[i].ia, g[i].sl, 0, 0);
        uint64_t p = 1ull << g[i].gs;
        /* A run of pages across a table boundary, a hole, owners. */
        uint64_t blk = 1ull << (g[i].gs + (g[i].gs - 3)); /* level-2 size */
        assert_int_equal(pgt_s2_map(&f.pgt, blk - 4 * p, 8 * p, 0x80000000,
                                    PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE),
                         0);
        assert_int_equal(pgt_s2_set_owner(&f.pgt, 3 * blk, 5 * p, NULL, 1),
                         0);
        ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
        assert_int_equal(pgt_s2_unmap(&f.pgt, blk - 2 * p, 3 * p, NULL), 0);
        ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
        assert_int_equal(pgt_s2_unmap(&f.pgt, 0, 4 * blk, NULL), 0);
        assert_int_equal(f.m.live, f.r.nroot);
        fx_fini(&f);
    }
}

static void test_s2_unmap_everything_leaves_only_the_root(void **state)
{
    (void)state;
    struct fx f;
    fx_s2_(&f, 12, 40, 40, 1, 0, 0, NULL, 64, ARENA_PA, __FILE__, __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x401ff000, SZ_2M + 3 * SZ_4K,
                                0x801ff000, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0xfffffff000ull, SZ_4K, 0x1000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x2000, SZ_4K, NULL, 3), 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0, 1ull << 40, NULL), 0);
    assert_int_equal(f.m.live, 2);
    for (size_t i = 0; i < 1024; i++)
        assert_u64(f.pgt.pgd[i], 0);
    fx_fini(&f);
}

static void test_hyp_unmap_everything_leaves_only_the_root(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1ff000, SZ_2M + 2 * SZ_4K,
                                 0x801ff000, PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0xfffffffff000ull, SZ_4K, 0x1000,
                                 PGT_PROT_R), 0);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    assert_int_equal(pgt_hyp_unmap(&f.pgt, 0, 1ull << 48),
                     SZ_2M + 3 * SZ_4K);
    assert_int_equal(f.m.live, 1);
    for (size_t i = 0; i < 512; i++)
        assert_u64(f.pgt.pgd[i], 0);
    fx_fini(&f);
}

static void test_destroy_returns_every_page_including_concatenated_root(
    void **state)
{
    (void)state;
    struct fx f;
    /* 16 concatenated root pages. */
    fx_s2_(&f, 12, 43, 44, 1, 0, 0, NULL, 64, ARENA_PA, __FILE__, __LINE__);
    for (uint64_t a = 0; a < (1ull << 43); a += 1ull << 39)
        assert_int_equal(pgt_s2_map(&f.pgt, a + 0x1000, SZ_4K, 0x80000000,
                                    PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE),
                         0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40000000, SZ_4K, NULL, 2), 0);
    /* 16 roots + 16 x (L2 + L3) + (L2 + L3) for the owner. */
    assert_int_equal(f.m.live, 16 + 32 + 2);
    long allocs = f.m.allocs;
    pgt_s2_destroy(&f.pgt);
    assert_int_equal(f.m.live, 0);
    assert_int_equal(f.m.frees, allocs);
    assert_null(f.pgt.pgd);
    tmm_fini(&f.m);
}

static void test_hyp_destroy_returns_every_page(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 16, 48, 1);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x10000, 3 * SZ_64K, 0x80000000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x20000000, SZ_512M, 0x80000000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(f.m.live, 3);
    pgt_hyp_destroy(&f.pgt);
    assert_int_equal(f.m.live, 0);
    tmm_fini(&f.m);
}

/* ---------------- host stage 2 ---------------- */

static void test_host_mode_does_not_count_valid_leaves(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_HOST);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 3 * SZ_4K, 0x40000000,
                                PGT_PROT_RWX, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    /* Level-3 table: 3 uncounted leaves. Level 2: one table entry. */
    assert_int_equal(tmm_page_ref(&f.m, table_below(&f, 0x40000000, 2)), 1);
    assert_int_equal(tmm_page_ref(&f.m, table_below(&f, 0x40000000, 1)), 2);
    /* Owner annotations do count. */
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40010000, 2 * SZ_4K, NULL, 1),
                     0);
    assert_int_equal(tmm_page_ref(&f.m, table_below(&f, 0x40000000, 2)), 3);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, true, false);
    /* Removing the annotations leaves only uncounted leaves: the table may
     * be dropped with them (host mappings are re-faulted) or kept; either
     * way every count must still be 1 + counted entries. */
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40010000, 2 * SZ_4K, NULL, 0),
                     0);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, true, false);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0, 1ull << 40, NULL), 0);
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

static void test_host_mode_block_and_pages_keep_counts_consistent(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_HOST);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_1G, 0x40000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(f.m.live, 2);
    /* Annotate one page inside the 1G block: it is split, the rest stays
     * mapped (uncounted), the annotation is counted. */
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40201000, SZ_4K, NULL, 1), 0);
    assert_u64(E(&f, 0x40201000, 3), OWNER(1));
    assert_u64(E(&f, 0x40202000, 3),
               0x40202000ull | S2_XN | AF | SH_INNER | S2AP_RW |
                   MEMATTR(MA_NORMAL_WB) | D_PAGE);
    assert_int_equal(tmm_page_ref(&f.m, table_below(&f, 0x40200000, 2)), 2);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, true, false);
    fx_fini(&f);
}

/* ---------------- pte_is_counted ---------------- */

static bool count_only_valid(pgt_pte_t pte, int level)
{
    (void)level;
    return (pte & D_VALID) != 0;
}

static void test_pte_is_counted_callback_decides_what_counts(void **state)
{
    (void)state;
    static const struct pgt_pte_ops ops = {.pte_is_counted = count_only_valid};
    struct fx f;
    fx_s2_(&f, 12, 40, 40, 1, 0, 0, &ops, 64, ARENA_PA, __FILE__, __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40002000, 3 * SZ_4K, NULL, 6),
                     0);
    /* 2 valid leaves counted, 3 annotations not. */
    assert_int_equal(tmm_page_ref(&f.m, table_below(&f, 0x40000000, 2)), 3);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_page_refcount_is_one_plus_counted_entries),
        cmocka_unit_test(test_root_page_refcount_is_one_plus_counted_entries),
        cmocka_unit_test(
            test_refcounts_hold_for_every_granule_after_map_and_unmap),
        cmocka_unit_test(test_s2_unmap_everything_leaves_only_the_root),
        cmocka_unit_test(test_hyp_unmap_everything_leaves_only_the_root),
        cmocka_unit_test(
            test_destroy_returns_every_page_including_concatenated_root),
        cmocka_unit_test(test_hyp_destroy_returns_every_page),
        cmocka_unit_test(test_host_mode_does_not_count_valid_leaves),
        cmocka_unit_test(test_host_mode_block_and_pages_keep_counts_consistent),
        cmocka_unit_test(test_pte_is_counted_callback_decides_what_counts),
    };
    return cmocka_run_group_tests_name("core_refcount", tests, NULL, NULL);
}
