// SPDX-License-Identifier: MIT
/*
 * 52-bit output addresses (D8.3.1):
 *  - FEAT_LPA2 (4K/16K, TCR/VTCR.DS=1): OA[49:gs] in place, OA[51:50] in
 *    descriptor bits [9:8] (the SH field moves to TCR/VTCR.SH0), for
 *    leaves and next-level table addresses alike; 4K starts at level -1
 *    for a 52-bit IA.
 *  - FEAT_LPA with 64K: OA[47:16] in place, OA[51:48] in bits [15:12].
 * The arena sits above 2^50 (2^48 for 64K) so table descriptors carry the
 * high address bits too.
 */
#include "core_ref.h"

#define ARENA_HI_LPA2 0x000c000000000000ull /* OA[51:50] = 0b11 */
#define ARENA_HI_LPA 0x000f000000000000ull  /* OA[51:48] = 0xf */

/* Stage-2 RW normal WB attributes without SH (LPA2 format). */
#define S2_RW_NOSH (AF | S2AP_RW | MEMATTR(MA_NORMAL_WB))

static void test_s2_4k_lpa2_page_above_2_50_encodes_oa_51_50_in_bits_9_8(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2_(&f, 12, 52, 52, -1, PGT_GEOM_LPA2, 0, NULL, 16, ARENA_HI_LPA2,
           __FILE__, __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x1000, SZ_4K, 0x000c000123456000ull,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* OA[49:12] = 0x1_2345_6000 in place | OA[51:50]=0b11 in [9:8] |
     * XN | AF | S2AP RW | MemAttr WB | page */
    assert_u64(E(&f, 0x1000, 3), 0x0000000123456000ull | (3ull << 8) | S2_XN |
                                     S2_RW_NOSH | D_PAGE);
    assert_u64(E(&f, 0x1000, 3), 0x00400001234567ffull);
    /* Table descriptors at levels -1..2 point above 2^50: [9:8] = 0b11. */
    for (int l = -1; l < 3; l++) {
        uint64_t t = E(&f, 0x1000, l);
        assert_u64(t & 0x303, 0x303);
        assert_u64(t & ~ref_oa_field(&f.r, ref_oa(&f.r, t)), D_TABLE);
    }
    /* Root (16 entries at level -1) + tables at levels 0, 1, 2, 3. */
    assert_int_equal(f.m.live, 5);
    fx_fini(&f);
}

static void test_s2_4k_lpa2_level0_block_maps_512g(void **state)
{
    (void)state;
    struct fx f;
    fx_s2_(&f, 12, 52, 52, -1, PGT_GEOM_LPA2, 0, NULL, 16, ARENA_HI_LPA2,
           __FILE__, __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 512 * SZ_1G, 512 * SZ_1G,
                                0x000c008000000000ull, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 512 * SZ_1G, 0), 0x0000008000000000ull | (3ull << 8) |
                                          S2_XN | S2_RW_NOSH | D_BLOCK);
    /* Root + one level-0 table. */
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

static void test_s2_4k_lpa2_with_48bit_oa_still_omits_sh(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 48, 48, 0, PGT_GEOM_LPA2, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0x40000000, 3),
               0x80000000ull | S2_XN | S2_RW_NOSH | D_PAGE);
    assert_u64(E(&f, 0x40000000, 3), 0x00400000800004ffull);
    fx_fini(&f);
}

static void test_s2_16k_lpa2_page_and_64g_block_encode_oa_51_50(void **state)
{
    (void)state;
    struct fx f;
    /* 16K, 52-bit at level 0: 2^(52-47) = 32 entries. */
    fx_s2_(&f, 14, 52, 52, 0, PGT_GEOM_LPA2, 0, NULL, 16, ARENA_HI_LPA2,
           __FILE__, __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x4000, SZ_16K, 0x0008000000004000ull,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* OA[51:50] = 0b10 -> bits [9:8] = 0b10. */
    assert_u64(E(&f, 0x4000, 3), 0x4000ull | (2ull << 8) | S2_XN |
                                     S2_RW_NOSH | D_PAGE);
    assert_u64(E(&f, 0x4000, 3), 0x00400000000046ffull);
    /* Level-1 block (64 GiB, LPA2 only): OA[51:50] = 0b01. */
    assert_int_equal(pgt_s2_map(&f.pgt, 64 * SZ_1G, 64 * SZ_1G,
                                0x0004001000000000ull, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 64 * SZ_1G, 1), 0x0000001000000000ull | (1ull << 8) |
                                         S2_XN | S2_RW_NOSH | D_BLOCK);
    fx_fini(&f);
}

static void test_s2_64k_lpa_page_encodes_oa_51_48_in_bits_15_12(void **state)
{
    (void)state;
    struct fx f;
    fx_s2_(&f, 16, 52, 52, 1, 0, 0, NULL, 8, ARENA_HI_LPA, __FILE__,
           __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x10000, SZ_64K, 0x000f000123450000ull,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* OA[47:16] in place | OA[51:48]=0xf in [15:12] | SH stays in [9:8]. */
    assert_u64(E(&f, 0x10000, 3), 0x0000000123450000ull | (0xfull << 12) |
                                      S2_XN | AF | SH_INNER | S2AP_RW |
                                      MEMATTR(MA_NORMAL_WB) | D_PAGE);
    assert_u64(E(&f, 0x10000, 3), 0x004000012345f7ffull);
    /* Table descriptors point above 2^48: [15:12] = 0xf. */
    for (int l = 1; l < 3; l++) {
        uint64_t t = E(&f, 0x10000, l);
        assert_u64(t & 0xf003, 0xf003);
    }
    fx_fini(&f);
}

static void test_s2_64k_lpa_level1_block_maps_4t(void **state)
{
    (void)state;
    struct fx f;
    fx_s2_(&f, 16, 52, 52, 1, 0, 0, NULL, 8, ARENA_HI_LPA, __FILE__,
           __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 4096 * SZ_1G, 4096 * SZ_1G,
                                0x000f040000000000ull, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 4096 * SZ_1G, 1),
               0x0000040000000000ull | (0xfull << 12) | S2_XN | AF |
                   SH_INNER | S2AP_RW | MEMATTR(MA_NORMAL_WB) | D_BLOCK);
    assert_u64(E(&f, 4096 * SZ_1G, 1), 0x004004000000f7fdull);
    assert_int_equal(f.m.live, 1);
    fx_fini(&f);
}

static void test_s2_4k_lpa2_level0_root_of_16_pages_maps_top_of_ipa(
    void **state)
{
    (void)state;
    struct fx f;
    /* 4K + LPA2, 52-bit IPA at level 0: 2^13 entries in 16 pages. */
    fx_s2_(&f, 12, 52, 52, 0, PGT_GEOM_LPA2, 0, NULL, 32, ARENA_HI_LPA2,
           __FILE__, __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0xffffffffff000ull, SZ_4K,
                                0x000c000000001000ull, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0xffffffffff000ull, 3), 0x1000ull | (3ull << 8) |
                                                 S2_XN | S2_RW_NOSH | D_PAGE);
    /* Root entry 8191: last entry of the 16th page. */
    assert_true(pgt_pte_is_table(f.pgt.pgd[8191], 0));
    assert_int_equal(f.m.live, 16 + 3);
    fx_fini(&f);
}

static void test_hyp_4k_lpa2_starts_at_level_minus_1_and_encodes_52bit_pa(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s1_(&f, PGT_REGIME_EL2, 12, 52, 52, -1, PGT_GEOM_LPA2, 16,
           ARENA_HI_LPA2, __FILE__, __LINE__);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x000c000123456000ull,
                                 PGT_PROT_RW), 0);
    /* OA | [9:8]=OA[51:50] | AF | AP[1] | AttrIndx 0 | XN | page */
    assert_u64(E(&f, 0x1000, 3), 0x0000000123456000ull | (3ull << 8) | AF |
                                     S1_AP1 | S1_XN | D_PAGE);
    assert_u64(E(&f, 0x1000, 3), 0x0040000123456743ull);
    /* The top of the 52-bit VA space is reachable. */
    assert_int_equal(pgt_hyp_map(&f.pgt, 0xffffffffff000ull, SZ_4K,
                                 0x80000000, PGT_PROT_R), 0);
    assert_u64(E(&f, 0xffffffffff000ull, 3),
               0x80000000ull | AF | S1_AP1 | S1_AP2_RO | S1_XN | D_PAGE);
    fx_fini(&f);
}

static void test_hyp_16k_lpa2_page_and_64g_block_encode_oa_51_50(
    void **state)
{
    (void)state;
    struct fx f;
    /* 16K, 52-bit VA: level 0 with 32 entries. */
    fx_s1_(&f, PGT_REGIME_EL2, 14, 52, 52, 0, PGT_GEOM_LPA2, 16,
           ARENA_HI_LPA2, __FILE__, __LINE__);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x4000, SZ_16K,
                                 0x0008000000004000ull, PGT_PROT_RX), 0);
    /* OA[51:50]=0b10 in [9:8] | AF | AP[2:1]=0b11 | AttrIndx 0 | page */
    assert_u64(E(&f, 0x4000, 3), 0x4000ull | (2ull << 8) | AF | S1_AP1 |
                                     S1_AP2_RO | D_PAGE);
    assert_int_equal(pgt_hyp_map(&f.pgt, 64 * SZ_1G, 64 * SZ_1G,
                                 0x000c001000000000ull, PGT_PROT_RW), 0);
    assert_u64(E(&f, 64 * SZ_1G, 1), 0x0000001000000000ull | (3ull << 8) |
                                         AF | S1_AP1 | S1_XN | D_BLOCK);
    fx_fini(&f);
}

static void test_hyp_64k_52bit_va_and_pa_use_lpa_encoding(void **state)
{
    (void)state;
    struct fx f;
    fx_s1_(&f, PGT_REGIME_EL2, 16, 52, 52, 1, 0, 8, ARENA_HI_LPA, __FILE__,
           __LINE__);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0xfffffffff0000ull, SZ_64K,
                                 0x000f000123450000ull, PGT_PROT_RW), 0);
    assert_u64(E(&f, 0xfffffffff0000ull, 3),
               0x0000000123450000ull | (0xfull << 12) | AF | SH_INNER |
                   S1_AP1 | S1_XN | D_PAGE);
    fx_fini(&f);
}

static void test_ttbr_baddr_puts_root_pa_51_48_in_bits_5_2(void **state)
{
    (void)state;
    struct fx f;
    fx_s2_(&f, 12, 52, 52, -1, PGT_GEOM_LPA2, 0, NULL, 16, ARENA_HI_LPA2,
           __FILE__, __LINE__);
    uint64_t pa = ref_pa(&f.m, f.pgt.pgd);
    /* BADDR[47:x] in place, BADDR[51:48] (0xc) in TTBR bits [5:2]. */
    assert_u64(pgt_ttbr_baddr(&f.pgt),
               (pa & 0x0000ffffffffffc0ull) | (((pa >> 48) & 0xf) << 2));
    assert_u64(pgt_ttbr_baddr(&f.pgt) & 0x3c, 0xcull << 2);
    fx_fini(&f);
    fx_s2_(&f, 16, 52, 52, 1, 0, 0, NULL, 8, ARENA_HI_LPA, __FILE__,
           __LINE__);
    pa = ref_pa(&f.m, f.pgt.pgd);
    assert_u64(pgt_ttbr_baddr(&f.pgt),
               (pa & 0x0000ffffffffffc0ull) | (0xfull << 2));
    fx_fini(&f);
}

static void test_s2_4k_lpa2_vtcr_has_ds_sl2_and_ps_52(void **state)
{
    (void)state;
    struct fx f;
    fx_s2_(&f, 12, 52, 52, -1, PGT_GEOM_LPA2, 0, NULL, 16, ARENA_HI_LPA2,
           __FILE__, __LINE__);
    /* T0SZ 12 | SL0 0 | IRGN0/ORGN0 WBWA | SH0 inner | TG0 4K | PS 6 |
     * RES1 31 | DS 32 | SL2 33 */
    assert_u64(pgt_s2_vtcr(&f.pgt), 12ull | 0x100 | 0x400 | 0x3000 |
                                        (6ull << 16) | (1ull << 31) |
                                        (1ull << 32) | (1ull << 33));
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_s2_4k_lpa2_page_above_2_50_encodes_oa_51_50_in_bits_9_8),
        cmocka_unit_test(test_s2_4k_lpa2_level0_block_maps_512g),
        cmocka_unit_test(test_s2_4k_lpa2_with_48bit_oa_still_omits_sh),
        cmocka_unit_test(test_s2_16k_lpa2_page_and_64g_block_encode_oa_51_50),
        cmocka_unit_test(test_s2_64k_lpa_page_encodes_oa_51_48_in_bits_15_12),
        cmocka_unit_test(test_s2_64k_lpa_level1_block_maps_4t),
        cmocka_unit_test(
            test_s2_4k_lpa2_level0_root_of_16_pages_maps_top_of_ipa),
        cmocka_unit_test(
            test_hyp_4k_lpa2_starts_at_level_minus_1_and_encodes_52bit_pa),
        cmocka_unit_test(
            test_hyp_16k_lpa2_page_and_64g_block_encode_oa_51_50),
        cmocka_unit_test(test_hyp_64k_52bit_va_and_pa_use_lpa_encoding),
        cmocka_unit_test(test_ttbr_baddr_puts_root_pa_51_48_in_bits_5_2),
        cmocka_unit_test(test_s2_4k_lpa2_vtcr_has_ds_sl2_and_ps_52),
    };
    return cmocka_run_group_tests_name("core_lpa", tests, NULL, NULL);
}
