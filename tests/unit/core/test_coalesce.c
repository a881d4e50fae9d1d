// SPDX-License-Identifier: MIT
/*
 * Coalescing: tables folded back into blocks (pgt_s2_coalesce,
 * pgt_hyp_coalesce, and PGT_S2_COALESCE after every map). Descriptors by
 * hand (Arm ARM D8.3): 4K granule, a level-2 block maps 2 MiB, a level-1
 * block 1 GiB; a table folds when its 512 entries are leaves identical
 * but for the output address, contiguous and aligned to the block.
 *
 *   before: L2[0x40000000] = table; L3[i] = page 0x80000000 + i*4K RW
 *   after:  L2[0x40000000] = block 0x80000000 RW; the L3 table freed
 */
#include "core_ref.h"

#define RW_WB (AF | SH_INNER | MEMATTR(0xf) | S2AP_RW | S2_XN)

static void map_pages(struct fx *f, uint64_t ipa, uint64_t pa, int n,
                      enum pgt_prot prot)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(pgt_s2_map(&f->pgt, ipa + i * SZ_4K, SZ_4K,
                                    pa + i * SZ_4K, prot, NULL,
                                    PGT_MAP_SKIP_DCACHE), 0);
}

static void test_coalesce_flag_folds_the_table_a_map_completes(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_COALESCE);
    map_pages(&f, 0x40000000, 0x80000000, 511, PGT_PROT_RW);
    long live = f.m.live; /* root (2) + L2 + L3 */
    assert_u64(E(&f, 0x40000000, 3), 0x80000000ull | RW_WB | D_PAGE);
    tmm_log_clear(&f.m);
    map_pages(&f, 0x40000000 + 511 * SZ_4K, 0x80000000 + 511 * SZ_4K, 1,
              PGT_PROT_RW);
    assert_u64(E(&f, 0x40000000, 2), 0x80000000ull | RW_WB | D_BLOCK);
    assert_int_equal(f.m.live, live - 1);
    /* The table's leaves were cached for the whole span. */
    assert_true(log_tlbi_covers(&f.m, 0x40000000));
    assert_true(log_tlbi_covers(&f.m, 0x401ff000));
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);

    /* Not aligned to 2 MiB, or one page different: no block. */
    map_pages(&f, 0x40200000, 0x80201000, 512, PGT_PROT_RW);
    assert_u64(E(&f, 0x40200000, 3), 0x80201000ull | RW_WB | D_PAGE);
    map_pages(&f, 0x40400000, 0x80400000, 511, PGT_PROT_RW);
    map_pages(&f, 0x40400000 + 511 * SZ_4K, 0x80400000 + 511 * SZ_4K, 1,
              PGT_PROT_R);
    assert_u64(E(&f, 0x405ff000, 3),
               (0x80400000ull + 511 * SZ_4K) | (RW_WB & ~S2AP_W) | D_PAGE);
    fx_fini(&f);

    /* The same maps without the flag leave the table. */
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    map_pages(&f, 0x40000000, 0x80000000, 512, PGT_PROT_RW);
    assert_u64(E(&f, 0x40000000, 3), 0x80000000ull | RW_WB | D_PAGE);
    fx_fini(&f);
}

static void test_coalesce_range_folds_every_level(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* 1 GiB at 0x40000000: 511 blocks, and one 2 MiB of pages. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_1G - SZ_2M, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    map_pages(&f, 0x7fe00000, 0xbfe00000, 512, PGT_PROT_RW);
    assert_u64(E(&f, 0x7fe00000, 3), 0xbfe00000ull | RW_WB | D_PAGE);
    long live = f.m.live;
    assert_int_equal(pgt_s2_coalesce(&f.pgt, 0x40000000, SZ_1G), 0);
    /* The L3 table folded into a block, then the L2 table into 1 GiB. */
    assert_u64(E(&f, 0x40000000, 1), 0x80000000ull | RW_WB | D_BLOCK);
    assert_int_equal(f.m.live, live - 2);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    /* Nothing more to fold: nothing changes. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_coalesce(&f.pgt, 0, 1ull << 40), 0);
    assert_int_equal(f.m.nlog, 0);
    fx_fini(&f);
}

static void test_coalesce_folds_an_owner_annotation(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    for (int i = 0; i < 512; i++)
        assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40000000 + i * SZ_4K,
                                          SZ_4K, NULL, 5), 0);
    assert_u64(E(&f, 0x40000000, 3), 5ull << 2); /* owner in bits [9:2] */
    assert_int_equal(pgt_s2_coalesce(&f.pgt, 0x40000000, SZ_2M), 0);
    assert_u64(E(&f, 0x40000000, 2), 5ull << 2);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_hyp_coalesce(void **state)
{
    (void)state;
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_4K, 16, ARENA_PA);
    assert_int_equal(pgt_hyp_init(&p, 48, PGT_GRANULE_4K, &tmm_ops, &m), 0);
    for (int i = 0; i < 512; i++)
        assert_int_equal(pgt_hyp_map(&p, 0x200000 + i * SZ_4K, SZ_4K,
                                     0x80200000 + i * SZ_4K, PGT_PROT_R), 0);
    long live = m.live;
    assert_int_equal(pgt_hyp_coalesce(&p, 0, SZ_1G), 0);
    assert_int_equal(m.live, live - 1);
    pgt_pte_t pte;
    int level;
    assert_int_equal(pgt_get_leaf(&p, 0x212345, &pte, &level), 0);
    assert_int_equal(level, 2);
    /* EL2 leaf, by hand: AttrIndx 0, AP[1] RES1 and AP[2] read-only, SH
     * inner, AF, XN. */
    assert_u64(pte, 0x80200000ull | (1ull << 6) | (1ull << 7) | SH_INNER | AF |
                        (1ull << 54) | D_BLOCK);
    assert_int_equal(pgt_hyp_coalesce(NULL, 0, SZ_4K), -PGT_EINVAL);
    assert_int_equal(pgt_hyp_coalesce(&p, 0x800, SZ_4K), -PGT_EINVAL);
    pgt_hyp_destroy(&p);
    tmm_fini(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coalesce_flag_folds_the_table_a_map_completes),
        cmocka_unit_test(test_coalesce_range_folds_every_level),
        cmocka_unit_test(test_coalesce_folds_an_owner_annotation),
        cmocka_unit_test(test_hyp_coalesce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
