// SPDX-License-Identifier: MIT
/*
 * The contiguous hint (Arm ARM D8.6.1, the Contiguous bit, bit 52 of a
 * leaf): a run of aligned entries that are identical but for the output
 * address, whose output addresses are consecutive and aligned to the run,
 * may be cached as one TLB entry. Runs, by hand from the Arm ARM:
 *
 *   granule   level 3 (pages)      level 2 (blocks)
 *   4K        16 x 4K   = 64K      16 x 2M   = 32M   (level 1: 16 x 1G)
 *   16K       128 x 16K = 2M       32 x 32M  = 1G
 *   64K       32 x 64K  = 2M       32 x 512M = 16G
 *
 * What the library promises: a map that covers an aligned run whole sets
 * the hint on it; any later change to part of a run unfolds the whole run
 * first (break-before-make) and what is still uniform is folded again
 * only when a table is made (a split); wrprotect and protect are exact to
 * the range; the access flag is kept per run. Every expected descriptor
 * below is written out by hand.
 */
#include "core_ref.h"

#include <string.h>

#define S2_RW (AF | SH_INNER | MEMATTR(MA_NORMAL_WB) | S2AP_RW | S2_XN)
#define S2_RO (S2_RW & ~S2AP_W)
#define H_RW (AF | SH_INNER | S1_AP1 | S1_ATTRINDX(MAIR_NORMAL) | S1_XN)

struct gran {
    unsigned gs, ia;
    int sl;
    uint64_t page, run3; /* page size, pages in a level-3 run */
    uint64_t blk, run2;  /* level-2 block size, blocks in a level-2 run */
};

static const struct gran grans[] = {
    {12, 40, 1, SZ_4K, 16, SZ_2M, 16},
    {14, 40, 1, SZ_16K, 128, SZ_32M, 32},
    {16, 48, 1, SZ_64K, 32, SZ_512M, 32},
};

static void test_cont_entries_per_granule_and_level(void **state)
{
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        struct fx f;
        fx_s2(&f, grans[i].gs, grans[i].ia, grans[i].ia, grans[i].sl, 0, 0);
        assert_int_equal(pgt_cont_entries(&f.pgt.geom, 3), grans[i].run3);
        assert_int_equal(pgt_cont_entries(&f.pgt.geom, 2), grans[i].run2);
        /* Level 1 has 1 GiB blocks only at 4K. */
        assert_int_equal(pgt_cont_entries(&f.pgt.geom, 1),
                         grans[i].gs == 12 ? 16 : 0);
        assert_int_equal(pgt_cont_entries(&f.pgt.geom, 0), 0);
        fx_fini(&f);
    }
}

/* Pages: a map three pages short of a run boundary through two whole runs
 * and five pages more sets the hint on the two whole runs only. */
static void test_cont_map_sets_hint_on_whole_runs_only(void **state)
{
    (void)state;
    for (size_t g = 0; g < 3; g++) {
        const struct gran *q = &grans[g];
        uint64_t run = q->run3 * q->page;
        uint64_t ia0 = q->blk + run - 3 * q->page;
        uint64_t n = 3 + 2 * q->run3 + 5;
        uint64_t pa0 = 0x80000000ull + ia0; /* OA - IA aligned to the run */
        struct fx f;
        fx_s2(&f, q->gs, q->ia, q->ia, q->sl, 0, 0);
        assert_int_equal(pgt_s2_map(&f.pgt, ia0, n * q->page, pa0, PGT_PROT_RW,
                                    NULL, PGT_MAP_SKIP_DCACHE),
                         0);
        for (uint64_t i = 0; i < n; i++) {
            bool whole = i >= 3 && i < 3 + 2 * q->run3;
            assert_u64(E(&f, ia0 + i * q->page, 3),
                       (pa0 + i * q->page) | S2_RW | (whole ? D_CONT : 0) |
                           D_PAGE);
        }
        assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
        fx_fini(&f);

        /* The same map with the OA one page off the run's alignment: the
         * runs' output addresses are not aligned, no hint anywhere. */
        fx_s2(&f, q->gs, q->ia, q->ia, q->sl, 0, 0);
        assert_int_equal(pgt_s2_map(&f.pgt, ia0, n * q->page, pa0 + q->page,
                                    PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE),
                         0);
        for (uint64_t i = 0; i < n; i++)
            assert_u64(E(&f, ia0 + i * q->page, 3),
                       (pa0 + (i + 1) * q->page) | S2_RW | D_PAGE);
        fx_fini(&f);
    }
}

/* Blocks: run2 + 1 level-2 blocks, the first run2 one run. */
static void test_cont_map_sets_hint_on_block_runs(void **state)
{
    (void)state;
    for (size_t g = 0; g < 3; g++) {
        const struct gran *q = &grans[g];
        uint64_t span = q->run2 * q->blk;
        struct fx f;
        fx_s2(&f, q->gs, q->ia, q->ia, q->sl, 0, 0);
        assert_int_equal(pgt_s2_map(&f.pgt, span, span + q->blk, 2 * span,
                                    PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE),
                         0);
        for (uint64_t i = 0; i <= q->run2; i++)
            assert_u64(E(&f, span + i * q->blk, 2),
                       (2 * span + i * q->blk) | S2_RW |
                           (i < q->run2 ? D_CONT : 0) | D_BLOCK);
        fx_fini(&f);
    }
}

/* One-page maps never set the hint, even when they complete a run: the
 * fault path stays one store. */
static void test_cont_one_page_maps_set_no_hint(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    for (uint64_t i = 0; i < 16; i++)
        assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000 + i * SZ_4K, SZ_4K,
                                    0x80000000 + i * SZ_4K, PGT_PROT_RW, NULL,
                                    PGT_MAP_SKIP_DCACHE),
                         0);
    for (uint64_t i = 0; i < 16; i++)
        assert_u64(E(&f, 0x40000000 + i * SZ_4K, 3),
                   (0x80000000 + i * SZ_4K) | S2_RW | D_PAGE);
    fx_fini(&f);
}

/* Every page of [first, first + 16 pages) was invalidated. */
static void assert_run_invalidated(const struct fx *f, uint64_t first)
{
    for (uint64_t i = 0; i < 16; i++)
        assert_true(log_tlbi_covers(&f->m, first + i * SZ_4K));
}

static void map_three_runs(struct fx *f, uint32_t flags)
{
    fx_s2(f, 12, 40, 40, 1, 0, flags);
    assert_int_equal(pgt_s2_map(&f->pgt, 0x40000000, 48 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE),
                     0);
    tmm_log_clear(&f->m);
}

static void test_cont_unmap_part_unfolds_the_run(void **state)
{
    (void)state;
    struct fx f;
    map_three_runs(&f, 0);
    /* Page 20: the middle run [16, 32) loses its hint; its other pages
     * stay mapped; the runs around keep theirs. */
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40000000 + 20 * SZ_4K, SZ_4K, NULL),
                     0);
    for (uint64_t i = 0; i < 48; i++) {
        uint64_t want = (0x80000000 + i * SZ_4K) | S2_RW |
                        (i < 16 || i >= 32 ? D_CONT : 0) | D_PAGE;
        assert_u64(E(&f, 0x40000000 + i * SZ_4K, 3), i == 20 ? 0 : want);
    }
    /* Break-before-make: the whole run was invalid and invalidated before
     * its pages came back without the hint. */
    assert_run_invalidated(&f, 0x40010000);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);

    /* Unmapping a whole run leaves its neighbours alone. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40000000, 16 * SZ_4K, NULL), 0);
    assert_u64(E(&f, 0x40000000, 3), 0);
    assert_u64(E(&f, 0x40020000, 3), 0x80020000ull | S2_RW | D_CONT | D_PAGE);
    assert_false(log_tlbi_covers(&f.m, 0x40020000));
    fx_fini(&f);
}

static void test_cont_protect_is_exact_and_keeps_whole_runs(void **state)
{
    (void)state;
    struct fx f;
    map_three_runs(&f, 0);
    /* Pages [8, 32): run 0 partly (unfolded), run 1 whole (hint kept). */
    assert_int_equal(pgt_s2_protect(&f.pgt, 0x40008000, 24 * SZ_4K, PGT_PROT_R),
                     0);
    for (uint64_t i = 0; i < 48; i++) {
        uint64_t attrs = i >= 8 && i < 32 ? S2_RO : S2_RW;
        uint64_t cont = i >= 16 ? D_CONT : 0;
        assert_u64(E(&f, 0x40000000 + i * SZ_4K, 3),
                   (0x80000000 + i * SZ_4K) | attrs | cont | D_PAGE);
    }
    assert_run_invalidated(&f, 0x40000000);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);

    /* wrprotect is exact too: page 40 alone. */
    assert_int_equal(pgt_s2_wrprotect(&f.pgt, 0x40028000, SZ_4K), 0);
    for (uint64_t i = 32; i < 48; i++)
        assert_u64(E(&f, 0x40000000 + i * SZ_4K, 3),
                   (0x80000000 + i * SZ_4K) | (i == 40 ? S2_RO : S2_RW) |
                       D_PAGE);
    fx_fini(&f);
}

/* Dirty logging the software way: wrprotect whole runs (hint kept), the
 * fault handler's relax of one page unfolds its run only. */
static void test_cont_relax_of_one_page_unfolds_its_run(void **state)
{
    (void)state;
    struct fx f;
    map_three_runs(&f, 0);
    assert_int_equal(pgt_s2_wrprotect(&f.pgt, 0x40000000, 48 * SZ_4K), 0);
    assert_u64(E(&f, 0x40017000, 3), 0x80017000ull | S2_RO | D_CONT | D_PAGE);
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40017000, PGT_PROT_W), 0);
    for (uint64_t i = 0; i < 48; i++) {
        uint64_t attrs = i == 23 ? S2_RW : S2_RO;
        uint64_t cont = i < 16 || i >= 32 ? D_CONT : 0;
        assert_u64(E(&f, 0x40000000 + i * SZ_4K, 3),
                   (0x80000000 + i * SZ_4K) | attrs | cont | D_PAGE);
    }
    assert_run_invalidated(&f, 0x40010000);
    /* A relax of a page already relaxed changes nothing. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40017000, PGT_PROT_W), 0);
    assert_int_equal(log_count(&f.m, TMM_TLBI_VA), 0);
    fx_fini(&f);
}

/* The access flag is one per run: the TLB may hold the run as one entry. */
static void test_cont_access_flag_is_kept_per_run(void **state)
{
    (void)state;
    struct fx f;
    map_three_runs(&f, 0);
    /* Clearing one page's flag clears its run's. */
    assert_int_equal(pgt_s2_test_clear_young(&f.pgt, 0x40013000, SZ_4K, true),
                     1);
    for (uint64_t i = 0; i < 48; i++)
        assert_u64(E(&f, 0x40000000 + i * SZ_4K, 3),
                   (0x80000000 + i * SZ_4K) |
                       (i >= 16 && i < 32 ? S2_RW & ~AF : S2_RW) | D_CONT |
                       D_PAGE);
    /* Old now, across the whole run. */
    assert_int_equal(pgt_s2_test_clear_young(&f.pgt, 0x4001f000, SZ_4K, false),
                     0);
    /* mkyoung of one page makes the run young again. */
    assert_int_equal(pgt_s2_mkyoung(&f.pgt, 0x4001e000), 0);
    for (uint64_t i = 16; i < 32; i++)
        assert_u64(E(&f, 0x40000000 + i * SZ_4K, 3),
                   (0x80000000 + i * SZ_4K) | S2_RW | D_CONT | D_PAGE);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    fx_fini(&f);
}

static void test_cont_set_owner_and_map_over_part_unfold(void **state)
{
    (void)state;
    struct fx f;
    map_three_runs(&f, 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40001000, SZ_4K, NULL, 3), 0);
    assert_u64(E(&f, 0x40001000, 3), OWNER(3));
    assert_u64(E(&f, 0x40000000, 3), 0x80000000ull | S2_RW | D_PAGE);
    assert_u64(E(&f, 0x4000f000, 3), 0x8000f000ull | S2_RW | D_PAGE);
    assert_run_invalidated(&f, 0x40000000);

    /* A page of another output address inside run 2. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40025000, SZ_4K, 0x90000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE),
                     0);
    for (uint64_t i = 32; i < 48; i++)
        assert_u64(E(&f, 0x40000000 + i * SZ_4K, 3),
                   (i == 37 ? 0x90000000ull : 0x80000000 + i * SZ_4K) | S2_RW |
                       D_PAGE);
    assert_run_invalidated(&f, 0x40020000);
    assert_u64(E(&f, 0x40010000, 3), 0x80010000ull | S2_RW | D_CONT | D_PAGE);

    /* A map that covers the unfolded run whole folds it again (its valid
     * pages are replaced, break-before-make). */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40020000, 16 * SZ_4K, 0xa0000000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE),
                     0);
    for (uint64_t i = 0; i < 16; i++)
        assert_u64(E(&f, 0x40020000 + i * SZ_4K, 3),
                   (0xa0000000 + i * SZ_4K) | S2_RO | D_CONT | D_PAGE);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    fx_fini(&f);
}

/* A page unmapped inside a run of level-2 blocks: the block run unfolds,
 * the block splits, its pages are folded into level-3 runs but the one
 * with the hole. Out of memory on the way changes nothing. */
static int64_t unmap_in_block_run(struct fx *f)
{
    return pgt_s2_unmap(&f->pgt, 0x42345000, SZ_4K, NULL);
}

static void test_cont_block_run_split_unfolds_and_refolds(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x42000000, SZ_32M, 0x82000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE),
                     0);
    assert_u64(E(&f, 0x42200000, 2), 0x82200000ull | S2_RW | D_CONT | D_BLOCK);
    struct snap s;
    snap_take(&s, &f.m, &f.pgt);
    tmm_fail_after(&f.m, 0);
    assert_int_equal(unmap_in_block_run(&f), -PGT_ENOMEM);
    tmm_fail_after(&f.m, -1);
    snap_check(&s, &f.m, &f.pgt, true);
    snap_free(&s);

    assert_int_equal(unmap_in_block_run(&f), 0);
    for (uint64_t i = 0; i < 16; i++) {
        uint64_t ia = 0x42000000 + i * SZ_2M;
        if (i == 1)
            continue;
        assert_u64(E(&f, ia, 2), (ia + 0x40000000) | S2_RW | D_BLOCK);
    }
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t ia = 0x42200000 + i * SZ_4K;
        uint64_t want =
            (ia + 0x40000000) | S2_RW | (i / 16 == 0x14 ? 0 : D_CONT) | D_PAGE;
        assert_u64(E(&f, ia, 3), i == 0x145 ? 0 : want);
    }
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

/* The opt-out, for either stage, and hardware dirty state (one dirty
 * state per page) set no hint. */
static void test_cont_opt_out_and_hw_dirty_set_none(void **state)
{
    (void)state;
    static const uint32_t flags[] = {PGT_NO_CONT, PGT_S2_HW_DIRTY};
    for (size_t k = 0; k < 2; k++) {
        struct fx f;
        fx_s2(&f, 12, 40, 40, 1, 0, flags[k]);
        assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_32M + SZ_64K,
                                    0x80000000, PGT_PROT_R, NULL,
                                    PGT_MAP_SKIP_DCACHE),
                         0);
        assert_u64(E(&f, 0x40000000, 2), 0x80000000ull | S2_RO | D_BLOCK);
        assert_u64(E(&f, 0x42000000, 3), 0x82000000ull | S2_RO | D_PAGE);
        assert_int_equal(pgt_cont_entries(&f.pgt.geom, 3), 16);
        fx_fini(&f);
    }

    struct fx f;
    fx_s1_(&f, PGT_REGIME_EL2, 12, 48, 48, 0, PGT_NO_CONT, 64, ARENA_PA,
           __FILE__, __LINE__);
    assert_int_equal(
        pgt_hyp_map(&f.pgt, 0x10000, SZ_64K, 0x80010000, PGT_PROT_RW), 0);
    assert_u64(E(&f, 0x10000, 3), 0x80010000ull | H_RW | D_PAGE);
    fx_fini(&f);
}

/* Stage 1: the same rules, in the lower and the upper VA range. */
static void test_cont_stage1_runs(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(
        pgt_hyp_map(&f.pgt, 0x10000, 2 * SZ_64K, 0x80010000, PGT_PROT_RW), 0);
    assert_u64(E(&f, 0x10000, 3), 0x80010000ull | H_RW | D_CONT | D_PAGE);
    assert_u64(E(&f, 0x2f000, 3), 0x8002f000ull | H_RW | D_CONT | D_PAGE);
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x21000, SZ_4K, PGT_PROT_R), 0);
    assert_u64(E(&f, 0x10000, 3), 0x80010000ull | H_RW | D_CONT | D_PAGE);
    assert_u64(E(&f, 0x20000, 3), 0x80020000ull | H_RW | D_PAGE);
    assert_u64(E(&f, 0x21000, 3), 0x80021000ull | H_RW | S1_AP2_RO | D_PAGE);
    assert_run_invalidated(&f, 0x20000);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    fx_fini(&f);

    /* EL1&0's upper range at 16K: 128-page runs from 2^64 - 2^47 up. */
    fx_s1_(&f, PGT_REGIME_EL10, 14, 47, 48, 1, PGT_S1_UPPER, 64, ARENA_PA,
           __FILE__, __LINE__);
    uint64_t va = 0xffff800000000000ull + SZ_1G;
    assert_int_equal(
        pgt_s1_map(&f.pgt, va, SZ_2M + SZ_16K, 0x80000000, PGT_PROT_RW), 0);
    /* The reference reader indexes by the offset in the range. */
    assert_u64(E(&f, SZ_1G, 3) & D_CONT, D_CONT);
    assert_u64(E(&f, SZ_1G + SZ_2M - SZ_16K, 3) & D_CONT, D_CONT);
    assert_u64(E(&f, SZ_1G + SZ_2M, 3) & D_CONT, 0);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cont_entries_per_granule_and_level),
        cmocka_unit_test(test_cont_map_sets_hint_on_whole_runs_only),
        cmocka_unit_test(test_cont_map_sets_hint_on_block_runs),
        cmocka_unit_test(test_cont_one_page_maps_set_no_hint),
        cmocka_unit_test(test_cont_unmap_part_unfolds_the_run),
        cmocka_unit_test(test_cont_protect_is_exact_and_keeps_whole_runs),
        cmocka_unit_test(test_cont_relax_of_one_page_unfolds_its_run),
        cmocka_unit_test(test_cont_access_flag_is_kept_per_run),
        cmocka_unit_test(test_cont_set_owner_and_map_over_part_unfold),
        cmocka_unit_test(test_cont_block_run_split_unfolds_and_refolds),
        cmocka_unit_test(test_cont_opt_out_and_hw_dirty_set_none),
        cmocka_unit_test(test_cont_stage1_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
