// SPDX-License-Identifier: MIT
/*
 * Stage-2 map, unmap, set_owner, relax_perms, wrprotect, mkyoung,
 * test_clear_young and split: exact descriptor values, hand-computed from
 * the Arm ARM (D8.3 formats, D8.5.5 stage-2 MemAttr, D8.4 S2AP/XN).
 *
 * A stage-2 normal write-back RW non-executable page, without FWB:
 *   OA | XN(54) | AF(10) | SH=inner [9:8] | S2AP=RW [7:6] | MemAttr=0xf
 *   [5:2] | page [1:0]=0b11
 */
#include "core_ref.h"

#include <string.h>

/* Attribute bits of a normal WB (no FWB) leaf with S2AP=RW, no type bits. */
#define S2_WB_RW (AF | SH_INNER | S2AP_RW | MEMATTR(MA_NORMAL_WB))

/* ---------------- exact descriptors per granule ---------------- */

static void test_s2_map_4k_page_writes_expected_descriptor(void **state)
{
    (void)state;
    struct fx f;
    /* 4K, 40-bit IPA, start level 1: 2^(40-30) = 1024 entries = 2 pages. */
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40001000, SZ_4K, 0x80005000,
                                PGT_PROT_RW, NULL, 0), 0);
    /* Level 3: 0x80005000 | XN | AF | SH_INNER | S2AP_RW | WB<<2 | page */
    assert_u64(E(&f, 0x40001000, 3),
               0x80005000ull | S2_XN | AF | SH_INNER | S2AP_RW |
                   MEMATTR(MA_NORMAL_WB) | D_PAGE);
    assert_u64(E(&f, 0x40001000, 3), 0x00400000800057ffull);
    /* The other entries of the level-3 table are empty. */
    assert_u64(E(&f, 0x40000000, 3), 0);
    assert_u64(E(&f, 0x40002000, 3), 0);
    /* Table descriptors carry only the next-level address and 0b11. */
    uint64_t l1 = E(&f, 0x40001000, 1), l2 = E(&f, 0x40001000, 2);
    assert_u64(l1 & ~ref_oa(&f.r, l1), D_TABLE);
    assert_u64(l2 & ~ref_oa(&f.r, l2), D_TABLE);
    /* 2 root pages + one level-2 + one level-3 table. */
    assert_int_equal(f.m.live, 4);
    fx_fini(&f);
}

static void test_s2_map_16k_page_writes_expected_descriptor(void **state)
{
    (void)state;
    struct fx f;
    /* 16K, 40-bit IPA, level 1: 2^(40-36) = 16 entries, one page. */
    fx_s2(&f, 14, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40004000, SZ_16K, 0x80008000,
                                PGT_PROT_RWX, NULL, 0), 0);
    /* Executable: XN clear. */
    assert_u64(E(&f, 0x40004000, 3),
               0x80008000ull | AF | SH_INNER | S2AP_RW |
                   MEMATTR(MA_NORMAL_WB) | D_PAGE);
    assert_u64(E(&f, 0x40004000, 3), 0x800087ffull);
    assert_int_equal(f.m.live, 3);
    fx_fini(&f);
}

static void test_s2_map_64k_page_writes_expected_descriptor(void **state)
{
    (void)state;
    struct fx f;
    /* 64K, 48-bit IPA, level 1: 2^(48-42) = 64 entries, one page. */
    fx_s2(&f, 16, 48, 48, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40010000, SZ_64K, 0x80030000,
                                PGT_PROT_R, NULL, 0), 0);
    /* Read-only: S2AP = 0b01. */
    assert_u64(E(&f, 0x40010000, 3),
               0x80030000ull | S2_XN | AF | SH_INNER | S2AP_R |
                   MEMATTR(MA_NORMAL_WB) | D_PAGE);
    assert_u64(E(&f, 0x40010000, 3), 0x004000008003077full);
    assert_int_equal(f.m.live, 3);
    fx_fini(&f);
}

static void test_s2_map_device_uses_memattr_device_and_xn(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x09000000, SZ_4K, 0x09000000,
                                PGT_PROT_RW | PGT_PROT_DEVICE, NULL, 0), 0);
    /* SH is ignored for Device memory (D8.6): not compared. */
    assert_u64(E(&f, 0x09000000, 3) & ~SH_MASK,
               0x09000000ull | S2_XN | AF | S2AP_RW |
                   MEMATTR(MA_DEVICE_nGnRE) | D_PAGE);
    /* No cache maintenance for device memory. */
    assert_int_equal(log_count(&f.m, TMM_DCACHE), 0);
    fx_fini(&f);
}

static void test_s2_map_normal_nc_uses_memattr_0b0101(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x10000000, SZ_4K, 0x10000000,
                                PGT_PROT_RW | PGT_PROT_NORMAL_NC, NULL, 0), 0);
    /* Inner+Outer NC Normal is treated as Outer Shareable whatever SH says
     * (D8.6.2): SH not compared. */
    assert_u64(E(&f, 0x10000000, 3) & ~SH_MASK,
               0x10000000ull | S2_XN | AF | S2AP_RW |
                   MEMATTR(MA_NORMAL_NC) | D_PAGE);
    fx_fini(&f);
}

static void test_s2_map_with_fwb_uses_fwb_memattr_and_skips_dcache(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_FWB);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, 0), 0);
    /* FWB MemAttr 0b0110: Normal Write-Back (D8.5.5). */
    assert_u64(E(&f, 0x40000000, 3),
               0x80000000ull | S2_XN | AF | SH_INNER | S2AP_RW |
                   MEMATTR(MA_FWB_NORMAL_WB) | D_PAGE);
    assert_u64(E(&f, 0x40000000, 3), 0x00400000800007dbull);
    assert_int_equal(log_count(&f.m, TMM_DCACHE), 0);
    fx_fini(&f);
}

static void test_s2_map_with_xnx_encodes_pxn_and_uxn(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_XNX);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RX | PGT_PROT_PXN, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40001000, SZ_4K, 0x80001000,
                                PGT_PROT_RX | PGT_PROT_UXN, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40002000, SZ_4K, 0x80002000,
                                PGT_PROT_RX, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40003000, SZ_4K, 0x80003000,
                                PGT_PROT_R, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    uint64_t rx = AF | SH_INNER | S2AP_R | MEMATTR(MA_NORMAL_WB) | D_PAGE;
    /* XN[1:0] = 0b01: not executable at EL1, executable at EL0. */
    assert_u64(E(&f, 0x40000000, 3), 0x80000000ull | S2_XN_PXN | rx);
    /* XN[1:0] = 0b11: executable at EL1, not at EL0. */
    assert_u64(E(&f, 0x40001000, 3), 0x80001000ull | S2_XN_UXN | rx);
    /* XN[1:0] = 0b00: executable at both. */
    assert_u64(E(&f, 0x40002000, 3), 0x80002000ull | rx);
    /* XN[1:0] = 0b10: executable at neither. */
    assert_u64(E(&f, 0x40003000, 3), 0x80003000ull | S2_XN | rx);
    assert_int_equal(log_count(&f.m, TMM_DCACHE), 0);
    assert_int_equal(log_count(&f.m, TMM_ICACHE), 0);
    fx_fini(&f);
}

static void test_s2_map_with_no_permission_writes_valid_faulting_leaf(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000, 0,
                                NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* S2AP = 0b00, XN: valid, but every access faults. */
    assert_u64(E(&f, 0x40000000, 3),
               0x80000000ull | S2_XN | AF | SH_INNER | MEMATTR(MA_NORMAL_WB) |
                   D_PAGE);
    fx_fini(&f);
}

static void test_s2_map_software_bits_land_in_bits_58_to_55(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW | PGT_PROT_SW0 | PGT_PROT_SW3,
                                NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0x40000000, 3),
               0x80000000ull | SW(0) | SW(3) | S2_XN | S2_WB_RW | D_PAGE);
    fx_fini(&f);
}

/* ---------------- block vs page ---------------- */

static void test_s2_map_2m_aligned_range_uses_one_level2_block(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* Block descriptor: bits[1:0] = 0b01. */
    assert_u64(E(&f, 0x40200000, 2),
               0x80200000ull | S2_XN | S2_WB_RW | D_BLOCK);
    assert_u64(E(&f, 0x40200000, 2), 0x00400000802007fdull);
    assert_u64(E(&f, 0x40000000, 2), 0);
    assert_u64(E(&f, 0x40400000, 2), 0);
    /* 2 root pages + the level-2 table; no level-3 table. */
    assert_int_equal(f.m.live, 3);
    fx_fini(&f);
}

static void test_s2_map_1g_aligned_range_uses_one_level1_block(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_1G, 0xc0000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0x40000000, 1),
               0xc0000000ull | S2_XN | S2_WB_RW | D_BLOCK);
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

static void test_s2_map_16k_32m_aligned_range_uses_level2_block(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 14, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x42000000, SZ_32M, 0x84000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0x42000000, 2),
               0x84000000ull | S2_XN | S2_WB_RW | D_BLOCK);
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

static void test_s2_map_64k_512m_aligned_range_uses_level2_block(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 16, 48, 48, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x20000000, SZ_512M, 0xa0000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0x20000000, 2),
               0xa0000000ull | S2_XN | S2_WB_RW | D_BLOCK);
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

/*
 * Largest legal block per granule without LPA2/52-bit OA (D8.3.1 block
 * descriptor levels): 4K has no level-0 block, 16K no level-1 block, 64K no
 * level-1 block. A range aligned for one must use the next level down.
 */
static void test_s2_map_4k_512g_range_uses_level1_blocks_not_level0(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 48, 48, 0, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 512 * SZ_1G, 512 * SZ_1G, 0,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_true(pgt_pte_is_table(E(&f, 512 * SZ_1G, 0), 0));
    for (uint64_t i = 0; i < 512; i++)
        assert_u64(E(&f, 512 * SZ_1G + i * SZ_1G, 1),
                   (i * SZ_1G) | S2_XN | S2_WB_RW | D_CONT | D_BLOCK);
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

static void test_s2_map_16k_64g_range_uses_level2_blocks_not_level1(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 14, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 64 * SZ_1G, 64 * SZ_1G, 64 * SZ_1G,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_true(pgt_pte_is_table(E(&f, 64 * SZ_1G, 1), 1));
    for (uint64_t i = 0; i < 2048; i++)
        assert_u64(E(&f, 64 * SZ_1G + i * SZ_32M, 2),
                   (64 * SZ_1G + i * SZ_32M) | S2_XN | S2_WB_RW | D_CONT |
                       D_BLOCK);
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

static void test_s2_map_64k_4t_range_with_48bit_oa_uses_level2_blocks(
    void **state)
{
    (void)state;
    struct fx f;
    /* 52-bit IPA (FEAT_LVA-style) but 48-bit PA: no 4 TiB blocks. */
    fx_s2(&f, 16, 52, 48, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 4096 * SZ_1G, 4096 * SZ_1G, 0,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_true(pgt_pte_is_table(E(&f, 4096 * SZ_1G, 1), 1));
    for (uint64_t i = 0; i < 8192; i += 1023)
        assert_u64(E(&f, 4096 * SZ_1G + i * SZ_512M, 2),
                   (i * SZ_512M) | S2_XN | S2_WB_RW | D_CONT | D_BLOCK);
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

static void test_s2_map_misaligned_pa_uses_512_pages(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* IPA 2M aligned, PA only 4K aligned: no block possible. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80201000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    for (uint64_t i = 0; i < 512; i++)
        assert_u64(E(&f, 0x40200000 + i * SZ_4K, 3),
                   (0x80201000ull + i * SZ_4K) | S2_XN | S2_WB_RW | D_PAGE);
    assert_int_equal(f.m.live, 4);
    fx_fini(&f);
}

static void test_s2_map_misaligned_ipa_uses_pages(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* PA 2M aligned, IPA only 4K aligned. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40201000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    for (uint64_t i = 0; i < 512; i++)
        assert_u64(E(&f, 0x40201000 + i * SZ_4K, 3),
                   (0x80200000ull + i * SZ_4K) | S2_XN | S2_WB_RW | D_PAGE);
    /* Spans two level-3 tables. */
    assert_int_equal(f.m.live, 5);
    fx_fini(&f);
}

static void test_s2_map_unaligned_head_and_tail_use_pages_around_a_block(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /*
     * [0x401ff000, 0x40402000) -> [0x801ff000, ...):
     *   0x401ff000        one page (level 3, table under 0x40000000)
     *   0x40200000        one 2M block (level 2)
     *   0x40400000, +4K   two pages (level 3, table under 0x40400000)
     */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x401ff000, SZ_2M + 3 * SZ_4K,
                                0x801ff000, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0x401ff000, 3),
               0x801ff000ull | S2_XN | S2_WB_RW | D_PAGE);
    assert_u64(E(&f, 0x401fe000, 3), 0);
    assert_u64(E(&f, 0x40200000, 2),
               0x80200000ull | S2_XN | S2_WB_RW | D_BLOCK);
    assert_u64(E(&f, 0x40400000, 3),
               0x80400000ull | S2_XN | S2_WB_RW | D_PAGE);
    assert_u64(E(&f, 0x40401000, 3),
               0x80401000ull | S2_XN | S2_WB_RW | D_PAGE);
    assert_u64(E(&f, 0x40402000, 3), 0);
    /* 2 root + L2 + two L3 tables. */
    assert_int_equal(f.m.live, 5);
    fx_fini(&f);
}

static bool force_pte_always(uint64_t addr, uint64_t end, enum pgt_prot prot)
{
    (void)addr;
    (void)end;
    (void)prot;
    return true;
}

static void test_s2_map_with_force_pte_uses_pages_for_aligned_range(
    void **state)
{
    (void)state;
    static const struct pgt_pte_ops ops = {.force_pte = force_pte_always};
    struct fx f;
    fx_s2_(&f, 12, 40, 40, 1, 0, 0, &ops, 64, ARENA_PA, __FILE__, __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_true(pgt_pte_is_table(E(&f, 0x40200000, 2), 2));
    for (uint64_t i = 0; i < 512; i += 97)
        assert_u64(E(&f, 0x40200000 + i * SZ_4K, 3),
                   (0x80200000ull + i * SZ_4K) | S2_XN | S2_WB_RW | D_CONT |
                       D_PAGE);
    fx_fini(&f);
}

/* ---------------- replacing mappings ---------------- */

static void test_s2_map_over_a_page_replaces_it(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x90000000,
                                PGT_PROT_RX, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_u64(E(&f, 0x40000000, 3),
               0x90000000ull | AF | SH_INNER | S2AP_R |
                   MEMATTR(MA_NORMAL_WB) | D_PAGE);
    /* The old translation was invalidated. */
    assert_true(log_tlbi_covers(&f.m, 0x40000000));
    assert_int_equal(f.m.live, 4);
    fx_fini(&f);
}

static void test_s2_map_identical_leaf_again_changes_nothing(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    struct snap s;
    tmm_log_clear(&f.m);
    snap_take(&s, &f.m, &f.pgt);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    snap_check(&s, &f.m, &f.pgt, false);
    assert_int_equal(log_count(&f.m, TMM_TLBI_VA) +
                         log_count(&f.m, TMM_TLBI_RANGE) +
                         log_count(&f.m, TMM_TLBI_ALL), 0);
    snap_free(&s);
    fx_fini(&f);
}

/*
 * s2.h: a block only partly covered by a map is split, even when it
 * already maps the part as asked, so that the page can later get
 * permissions of its own (a fault handler's relax_perms).
 *
 *   before: L2[0x40200000] = block 0x80200000 RW
 *   after:  L2[0x40200000] = table; L3[i] = page 0x80200000 + i*4K RW
 *           relax X at 0x40201000: only L3[1] loses XN
 */
static void test_s2_map_identical_page_inside_block_splits_it(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    long live = f.m.live;
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40201000, SZ_4K, 0x80201000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(f.m.live, live + 1); /* the new level-3 table */
    for (uint64_t i = 0; i < 512; i++)
        assert_u64(E(&f, 0x40200000 + i * SZ_4K, 3),
                   (0x80200000ull + i * SZ_4K) | S2_XN | S2_WB_RW | D_CONT |
                       D_PAGE);
    /* break-before-make of the block */
    assert_true(log_tlbi_covers(&f.m, 0x40200000));
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40201000, PGT_PROT_X), 0);
    assert_u64(E(&f, 0x40201000, 3), 0x80201000ull | S2_WB_RW | D_PAGE);
    assert_u64(E(&f, 0x40200000, 3), 0x80200000ull | S2_XN | S2_WB_RW | D_PAGE);
    assert_u64(E(&f, 0x40202000, 3), 0x80202000ull | S2_XN | S2_WB_RW | D_PAGE);
    /* The relaxed page's run [0x40200000, 0x40210000) is unfolded, the
     * next one keeps its hint. */
    assert_u64(E(&f, 0x4020f000, 3), 0x8020f000ull | S2_XN | S2_WB_RW | D_PAGE);
    assert_u64(E(&f, 0x40210000, 3),
               0x80210000ull | S2_XN | S2_WB_RW | D_CONT | D_PAGE);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_s2_map_block_over_pages_frees_their_table(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40201000, 3 * SZ_4K, 0x80201000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(f.m.live, 4);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0xa0000000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0x40200000, 2),
               0xa0000000ull | S2_XN | AF | SH_INNER | S2AP_R |
                   MEMATTR(MA_NORMAL_WB) | D_BLOCK);
    /* The level-3 table is gone. */
    assert_int_equal(f.m.live, 3);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_s2_map_page_inside_block_splits_it_and_keeps_the_rest(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40205000, SZ_4K, 0x90000000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t ipa = 0x40200000 + i * SZ_4K;
        if (i == 5)
            assert_u64(E(&f, ipa, 3),
                       0x90000000ull | S2_XN | AF | SH_INNER | S2AP_R |
                           MEMATTR(MA_NORMAL_WB) | D_PAGE);
        else
            assert_u64(E(&f, ipa, 3),
                       (0x80200000ull + i * SZ_4K) | S2_XN | S2_WB_RW |
                           (i < 16 ? 0 : D_CONT) | D_PAGE);
    }
    fx_fini(&f);
}

static void test_s2_map_over_owner_annotation_replaces_it(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40000000, 2 * SZ_4K, NULL, 3),
                     0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0x40000000, 3),
               0x80000000ull | S2_XN | S2_WB_RW | D_PAGE);
    assert_u64(E(&f, 0x40001000, 3), OWNER(3));
    fx_fini(&f);
}

static void test_s2_map_page_inside_1g_block_keeps_every_other_address(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_1G, 0xc0000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40a05000, SZ_4K, 0x12345000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    uint64_t pa, leaf;
    assert_true(ref_translate(&f.r, &f.m, f.pgt.pgd, 0x40a05000, &pa, &leaf,
                              NULL));
    assert_u64(leaf, 0x12345000ull | S2_XN | AF | SH_INNER | S2AP_R |
                         MEMATTR(MA_NORMAL_WB) | D_PAGE);
    for (uint64_t off = 0; off < SZ_1G; off += 0x7f000) {
        if (off == 0xa05000)
            continue;
        assert_true(ref_translate(&f.r, &f.m, f.pgt.pgd, 0x40000000 + off,
                                  &pa, &leaf, NULL));
        assert_u64(pa, 0xc0000000ull + off);
        /* Not uniform: the 2 MiB blocks of the first 32 MiB (one of
         * them is now a table), and the pages of the changed page's run. */
        bool cont = off >= SZ_32M ||
                    (off >= 0xa10000 && off < 0xc00000);
        assert_u64(leaf & ~ref_oa(&f.r, leaf) & ~3ull,
                   S2_XN | S2_WB_RW | (cont ? D_CONT : 0));
    }
    for (uint64_t off = 0xa00000; off < 0xc00000; off += SZ_4K) {
        if (off == 0xa05000)
            continue;
        assert_true(ref_translate(&f.r, &f.m, f.pgt.pgd, 0x40000000 + off,
                                  &pa, NULL, NULL));
        assert_u64(pa, 0xc0000000ull + off);
    }
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_s2_map_last_page_of_ipa_and_pa_space(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* Last IPA page sits in the second concatenated root page. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0xfffffff000ull, SZ_4K,
                                0xfffffff000ull, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0xfffffff000ull, 3),
               0xfffffff000ull | S2_XN | S2_WB_RW | D_PAGE);
    /* Root index 1023 = page 1, entry 511. */
    assert_true(pgt_pte_is_table(f.pgt.pgd[1023], 1));
    assert_int_equal(pgt_count_table_pages(&f.pgt), 4);
    fx_fini(&f);
}

static void test_count_table_pages_matches_hand_count(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_count_table_pages(&f.pgt), 2);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x401ff000, SZ_2M + 2 * SZ_4K,
                                0x801ff000, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    /* 2 root + L2 + two L3 tables. */
    assert_int_equal(pgt_count_table_pages(&f.pgt), 5);
    assert_int_equal(pgt_count_table_pages(&f.pgt), f.m.live);
    assert_int_equal(ref_count_tables(&f.r, &f.m, f.pgt.pgd), 5);
    fx_fini(&f);
}

/* ---------------- unmap ---------------- */

static void test_s2_unmap_page_clears_entry(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40001000, SZ_4K, NULL), 0);
    assert_u64(E(&f, 0x40001000, 3), 0);
    assert_u64(E(&f, 0x40000000, 3),
               0x80000000ull | S2_XN | S2_WB_RW | D_PAGE);
    assert_true(log_tlbi_covers(&f.m, 0x40001000));
    fx_fini(&f);
}

static void test_s2_unmap_part_of_block_splits_it_and_keeps_the_rest(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40201000, SZ_4K, NULL), 0);
    assert_true(pgt_pte_is_table(E(&f, 0x40200000, 2), 2));
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t ipa = 0x40200000 + i * SZ_4K;
        if (i == 1)
            assert_u64(E(&f, ipa, 3), 0);
        else
            assert_u64(E(&f, ipa, 3), (0x80200000ull + i * SZ_4K) | S2_XN |
                                          S2_WB_RW | (i < 16 ? 0 : D_CONT) |
                                          D_PAGE);
    }
    assert_int_equal(f.m.live, 4);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_s2_unmap_inside_1g_block_keeps_every_other_address_mapped(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2_(&f, 12, 40, 40, 1, 0, 0, NULL, 1100, ARENA_PA, __FILE__,
           __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_1G, 0xc0000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40403000, 2 * SZ_4K, NULL), 0);
    /* Sample: every 2M, and every page of the 2M that held the hole. */
    for (uint64_t off = 0; off < SZ_1G; off += SZ_2M) {
        uint64_t pa;
        assert_true(ref_translate(&f.r, &f.m, f.pgt.pgd, 0x40000000 + off +
                                  SZ_2M - SZ_4K, &pa, NULL, NULL));
        assert_u64(pa, 0xc0000000ull + off + SZ_2M - SZ_4K);
    }
    for (uint64_t off = 0x400000; off < 0x600000; off += SZ_4K) {
        uint64_t pa, leaf;
        bool hole = off == 0x403000 || off == 0x404000;
        assert_int_equal(ref_translate(&f.r, &f.m, f.pgt.pgd,
                                       0x40000000 + off, &pa, &leaf, NULL),
                         !hole);
        if (!hole) {
            assert_u64(pa, 0xc0000000ull + off);
            /* Same attributes as the block. */
            /* The hole's run [0x400000, 0x410000) is unfolded; the 2 MiB
             * blocks' run of the first 32 MiB holds a table now. */
            bool cont = off >= 0x410000;
            assert_u64(leaf & ~ref_oa(&f.r, leaf) & ~3ull,
                       S2_XN | S2_WB_RW | (cont ? D_CONT : 0));
        }
    }
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_s2_unmap_straddling_two_blocks_splits_both_ends(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, 2 * SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* Remove [0x40300000, 0x40500000): second half of block A, first half
     * of block B. */
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40300000, SZ_2M, NULL), 0);
    for (uint64_t off = 0; off < 2 * SZ_2M; off += SZ_4K) {
        uint64_t pa, leaf;
        bool hole = off >= 0x100000 && off < 0x300000;
        assert_int_equal(ref_translate(&f.r, &f.m, f.pgt.pgd, 0x40200000 + off,
                                       &pa, &leaf, NULL),
                         !hole);
        if (!hole) {
            assert_u64(pa, 0x80200000ull + off);
            /* The hole's edges are run boundaries: every run left is
             * whole and keeps the hint. */
            assert_u64(leaf, (0x80200000ull + off) | S2_XN | S2_WB_RW |
                                 D_CONT | D_PAGE);
        }
    }
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

/* ---------------- set_owner ---------------- */

static void test_s2_set_owner_writes_owner_id_in_invalid_entries(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40000000, 3 * SZ_4K, NULL,
                                      0xff), 0);
    /* Owner id in [9:2], valid bit clear: 0xff << 2 = 0x3fc. */
    assert_u64(E(&f, 0x40000000, 3), 0x3fc);
    assert_u64(E(&f, 0x40001000, 3), OWNER(0xff));
    assert_u64(E(&f, 0x40002000, 3), OWNER(0xff));
    assert_u64(E(&f, 0x40003000, 3), 0);
    fx_fini(&f);
}

static void test_s2_set_owner_inside_block_splits_it_and_keeps_the_rest(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40202000, SZ_4K, NULL, 7), 0);
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t ipa = 0x40200000 + i * SZ_4K;
        if (i == 2)
            assert_u64(E(&f, ipa, 3), OWNER(7));
        else
            assert_u64(E(&f, ipa, 3), (0x80200000ull + i * SZ_4K) | S2_XN |
                                          S2_WB_RW | (i < 16 ? 0 : D_CONT) |
                                          D_PAGE);
    }
    fx_fini(&f);
}

static void test_s2_set_owner_zero_removes_annotations_and_frees_tables(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40000000, 4 * SZ_4K, NULL, 1),
                     0);
    assert_int_equal(f.m.live, 4);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40000000, 4 * SZ_4K, NULL, 0),
                     0);
    /* Nothing counted is left below the root. */
    assert_int_equal(f.m.live, 2);
    assert_u64(E(&f, 0x40000000, 1), 0);
    fx_fini(&f);
}

static void test_s2_set_owner_over_mapping_removes_it(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40000000, SZ_4K, NULL, 2), 0);
    assert_u64(E(&f, 0x40000000, 3), OWNER(2));
    assert_true(log_tlbi_covers(&f.m, 0x40000000));
    fx_fini(&f);
}

static void test_s2_set_owner_zero_over_mapping_removes_it(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M + SZ_4K, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    tmm_log_clear(&f.m);
    /* Owner 0: no owner, no mapping, nothing counted left. */
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40200000, SZ_2M + SZ_4K, NULL,
                                      0), 0);
    assert_u64(E(&f, 0x40000000, 1), 0);
    assert_true(log_tlbi_covers(&f.m, 0x40200000));
    assert_true(log_tlbi_covers(&f.m, 0x40400000));
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

/* ---------------- permissions and access flag ---------------- */

static void test_s2_relax_perms_adds_write_and_exec_in_place(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40000000, PGT_PROT_W), 0);
    assert_u64(E(&f, 0x40000000, 3),
               0x80000000ull | S2_XN | S2_WB_RW | D_PAGE);
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40000000, PGT_PROT_X), 0);
    assert_u64(E(&f, 0x40000000, 3), 0x80000000ull | S2_WB_RW | D_PAGE);
    /* tlbi_va at the leaf's level (3). */
    assert_int_equal(f.m.nlog >= 1, 1);
    bool found = false;
    for (size_t i = 0; i < f.m.nlog; i++)
        if (f.m.log[i].kind == TMM_TLBI_VA && f.m.log[i].addr == 0x40000000) {
            assert_int_equal(f.m.log[i].level, 3);
            found = true;
        }
    assert_true(found);
    fx_fini(&f);
}

static void test_s2_relax_perms_already_allowed_changes_nothing(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    struct snap s;
    tmm_log_clear(&f.m);
    snap_take(&s, &f.m, &f.pgt);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40000000, PGT_PROT_R), 0);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40000000, PGT_PROT_RW), 0);
    /* Nothing written, no TLB maintenance. */
    snap_check(&s, &f.m, &f.pgt, true);
    snap_free(&s);
    fx_fini(&f);
}

static void test_s2_relax_perms_on_block_keeps_it_a_block(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40234000, PGT_PROT_W), 0);
    assert_u64(E(&f, 0x40200000, 2),
               0x80200000ull | S2_XN | S2_WB_RW | D_BLOCK);
    fx_fini(&f);
}

static void test_s2_relax_perms_with_xnx_adds_execute_per_exception_level(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_XNX);
    const uint32_t nocmo = PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE;
    uint64_t ro = AF | SH_INNER | S2AP_R | MEMATTR(MA_NORMAL_WB) | D_PAGE;
    /* XN[1:0]: 0b00 both, 0b01 EL0 only, 0b10 none, 0b11 EL1 only. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_R, NULL, nocmo), 0);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40000000,
                                        PGT_PROT_X | PGT_PROT_UXN), 0);
    /* none + EL1 -> EL1 only (0b11). */
    assert_u64(E(&f, 0x40000000, 3), 0x80000000ull | S2_XN_UXN | ro);

    assert_int_equal(pgt_s2_map(&f.pgt, 0x40001000, SZ_4K, 0x80001000,
                                PGT_PROT_RX | PGT_PROT_PXN, NULL, nocmo), 0);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40001000,
                                        PGT_PROT_X | PGT_PROT_UXN), 0);
    /* EL0 only + EL1 -> both (0b00). */
    assert_u64(E(&f, 0x40001000, 3), 0x80001000ull | ro);

    assert_int_equal(pgt_s2_map(&f.pgt, 0x40002000, SZ_4K, 0x80002000,
                                PGT_PROT_R, NULL, nocmo), 0);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40002000,
                                        PGT_PROT_X | PGT_PROT_PXN), 0);
    /* none + EL0 -> EL0 only (0b01). */
    assert_u64(E(&f, 0x40002000, 3), 0x80002000ull | S2_XN_PXN | ro);

    assert_int_equal(pgt_s2_map(&f.pgt, 0x40003000, SZ_4K, 0x80003000,
                                PGT_PROT_RX | PGT_PROT_UXN, NULL, nocmo), 0);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40003000, PGT_PROT_X), 0);
    /* EL1 only + both -> both (0b00). */
    assert_u64(E(&f, 0x40003000, 3), 0x80003000ull | ro);
    fx_fini(&f);
}

static void test_s2_relax_perms_on_unmapped_address_returns_enoent(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40000000, PGT_PROT_W),
                     -PGT_ENOENT);
    fx_fini(&f);
}

static void test_s2_wrprotect_clears_s2ap_w_on_every_leaf(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x401fe000, SZ_2M + 2 * SZ_4K,
                                0x801fe000, PGT_PROT_RWX, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_wrprotect(&f.pgt, 0x40000000, SZ_1G), 0);
    uint64_t ro = AF | SH_INNER | S2AP_R | MEMATTR(MA_NORMAL_WB);
    assert_u64(E(&f, 0x401fe000, 3), 0x801fe000ull | ro | D_PAGE);
    assert_u64(E(&f, 0x401ff000, 3), 0x801ff000ull | ro | D_PAGE);
    assert_u64(E(&f, 0x40200000, 2), 0x80200000ull | ro | D_BLOCK);
    assert_true(log_tlbi_covers(&f.m, 0x401fe000));
    assert_true(log_tlbi_covers(&f.m, 0x40200000));
    fx_fini(&f);
}

static void test_s2_test_clear_young_reports_and_clears_access_flag(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* Without mkold: reports young, changes nothing. */
    assert_int_equal(pgt_s2_test_clear_young(&f.pgt, 0x40000000, 2 * SZ_4K,
                                             false), 1);
    assert_u64(E(&f, 0x40000000, 3),
               0x80000000ull | S2_XN | S2_WB_RW | D_PAGE);
    assert_int_equal(pgt_s2_test_clear_young(&f.pgt, 0x40000000, 2 * SZ_4K,
                                             true), 1);
    /* AF (bit 10) cleared on both. */
    assert_u64(E(&f, 0x40000000, 3),
               0x80000000ull | S2_XN | (S2_WB_RW & ~AF) | D_PAGE);
    assert_u64(E(&f, 0x40001000, 3),
               0x80001000ull | S2_XN | (S2_WB_RW & ~AF) | D_PAGE);
    assert_int_equal(pgt_s2_test_clear_young(&f.pgt, 0x40000000, 2 * SZ_4K,
                                             true), 0);
    /* mkyoung sets AF on the one leaf. */
    assert_int_equal(pgt_s2_mkyoung(&f.pgt, 0x40001000), 0);
    assert_u64(E(&f, 0x40001000, 3),
               0x80001000ull | S2_XN | S2_WB_RW | D_PAGE);
    assert_u64(E(&f, 0x40000000, 3),
               0x80000000ull | S2_XN | (S2_WB_RW & ~AF) | D_PAGE);
    assert_int_equal(pgt_s2_test_clear_young(&f.pgt, 0x40000000, SZ_4K,
                                             false), 0);
    assert_int_equal(pgt_s2_test_clear_young(&f.pgt, 0x40001000, SZ_4K,
                                             false), 1);
    assert_int_equal(pgt_s2_mkyoung(&f.pgt, 0x40002000), -PGT_ENOENT);
    fx_fini(&f);
}

/* ---------------- split ---------------- */

/* The TLB policy of a range operation without tlbi_range: tlbi_va per
 * leaf up to the threshold, one tlbi_all when the range can hold more
 * leaves than that (never one TLBI per page of a large range). */
static void test_s2_wrprotect_tlb_policy_without_tlbi_range(void **state)
{
    (void)state;
    struct tmm m;
    struct pgt p;
    struct pgt_mm_ops ops = tmm_ops;
    const struct pgt_s2_cfg cfg = {PGT_GRANULE_4K, 40, 40, 1, 0, 0};

    ops.tlbi_range = NULL;
    tmm_init(&m, SZ_4K, 64, ARENA_PA);
    assert_int_equal(pgt_s2_init(&p, &cfg, &ops, NULL, NULL), 0);
    /* 8 MiB of pages (the OA one page off: no blocks), 2048 leaves. */
    assert_int_equal(pgt_s2_map(&p, 0x40000000, 4 * SZ_2M, 0x80001000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    tmm_log_clear(&m);
    assert_int_equal(pgt_s2_wrprotect(&p, 0x40000000, 4 * SZ_2M), 0);
    assert_int_equal(log_count(&m, TMM_TLBI_ALL), 1);
    assert_int_equal(log_count(&m, TMM_TLBI_VA), 0);
    /* Four leaves: four tlbi_va. */
    assert_int_equal(pgt_s2_protect(&p, 0x40000000, 4 * SZ_4K, PGT_PROT_RW),
                     0);
    tmm_log_clear(&m);
    assert_int_equal(pgt_s2_wrprotect(&p, 0x40000000, 4 * SZ_4K), 0);
    assert_int_equal(log_count(&m, TMM_TLBI_ALL), 0);
    assert_int_equal(log_count(&m, TMM_TLBI_VA), 4);
    pgt_s2_destroy(&p);

    /* The embedder's threshold: two leaves. */
    ops.tlbi_all_threshold = 2;
    assert_int_equal(pgt_s2_init(&p, &cfg, &ops, NULL, NULL), 0);
    assert_int_equal(pgt_s2_map(&p, 0x40000000, 4 * SZ_4K, 0x80001000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    tmm_log_clear(&m);
    assert_int_equal(pgt_s2_wrprotect(&p, 0x40000000, 2 * SZ_4K), 0);
    assert_int_equal(log_count(&m, TMM_TLBI_VA), 2);
    assert_int_equal(log_count(&m, TMM_TLBI_ALL), 0);
    tmm_log_clear(&m);
    assert_int_equal(pgt_s2_wrprotect(&p, 0x40000000, 4 * SZ_4K), 0);
    assert_int_equal(log_count(&m, TMM_TLBI_VA), 0);
    assert_int_equal(log_count(&m, TMM_TLBI_ALL), 1);
    pgt_s2_destroy(&p);
    assert_int_equal(m.live, 0);
    tmm_fini(&m);
}

static void test_s2_split_turns_2m_block_into_512_pages(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RX, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_int_equal(pgt_s2_split(&f.pgt, 0x40200000, SZ_2M, NULL), 0);
    assert_true(pgt_pte_is_table(E(&f, 0x40200000, 2), 2));
    for (uint64_t i = 0; i < 512; i++)
        assert_u64(E(&f, 0x40200000 + i * SZ_4K, 3),
                   (0x80200000ull + i * SZ_4K) | AF | SH_INNER | S2AP_R |
                       MEMATTR(MA_NORMAL_WB) | D_CONT | D_PAGE);
    assert_int_equal(f.m.live, 4);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_s2_split_turns_1g_block_into_pages(void **state)
{
    (void)state;
    struct fx f;
    fx_s2_(&f, 12, 40, 40, 1, 0, 0, NULL, 600, ARENA_PA, __FILE__, __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_1G, 0xc0000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_split(&f.pgt, 0x40000000, SZ_1G, NULL), 0);
    for (uint64_t off = 0; off < SZ_1G; off += 0x1ff000)
        assert_u64(E(&f, 0x40000000 + off, 3),
                   (0xc0000000ull + off) | S2_XN | S2_WB_RW | D_CONT | D_PAGE);
    /* 2 root + 1 level-2 + 512 level-3 tables. */
    assert_int_equal(f.m.live, 515);
    fx_fini(&f);
}

static void test_s2_split_leaves_pages_and_unmapped_ranges_alone(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    struct snap s;
    snap_take(&s, &f.m, &f.pgt);
    assert_int_equal(pgt_s2_split(&f.pgt, 0x40000000, SZ_1G, NULL), 0);
    snap_check(&s, &f.m, &f.pgt, true);
    snap_free(&s);
    fx_fini(&f);
}

static void test_s2_split_16k_block_into_2048_pages(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 14, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x42000000, SZ_32M, 0x84000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_split(&f.pgt, 0x42000000, SZ_32M, NULL), 0);
    for (uint64_t i = 0; i < 2048; i++)
        assert_u64(E(&f, 0x42000000 + i * SZ_16K, 3),
                   (0x84000000ull + i * SZ_16K) | S2_XN | S2_WB_RW | D_CONT |
                       D_PAGE);
    fx_fini(&f);
}

/* ---------------- get_leaf / translate ---------------- */

static void test_s2_get_leaf_returns_block_and_level(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    pgt_pte_t pte = 0;
    int level = -5;
    assert_int_equal(pgt_get_leaf(&f.pgt, 0x40234567, &pte, &level), 0);
    assert_u64(pte, 0x80200000ull | S2_XN | S2_WB_RW | D_BLOCK);
    assert_int_equal(level, 2);
    uint64_t pa = 0;
    enum pgt_prot prot = 0;
    assert_int_equal(pgt_translate(&f.pgt, 0x40234567, &pa, &prot), 0);
    assert_u64(pa, 0x80234567ull);
    assert_int_equal(prot, PGT_PROT_RW);
    assert_int_equal(pgt_translate(&f.pgt, 0x40400000, &pa, &prot),
                     -PGT_ENOENT);
    /* Unmapped: the invalid entry where the walk stopped (level 2 here). */
    assert_int_equal(pgt_get_leaf(&f.pgt, 0x40400000, &pte, &level), 0);
    assert_u64(pte, 0);
    assert_int_equal(level, 2);
    fx_fini(&f);
}

static void test_s2_get_leaf_returns_owner_annotation(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40000000, SZ_4K, NULL, 9), 0);
    pgt_pte_t pte = 0;
    int level = -5;
    assert_int_equal(pgt_get_leaf(&f.pgt, 0x40000800, &pte, &level), 0);
    assert_u64(pte, OWNER(9));
    assert_int_equal(level, 3);
    fx_fini(&f);
}

/* ---------------- cache maintenance ---------------- */

static bool log_covers(const struct tmm *m, enum tmm_event_kind kind,
                       uint64_t addr, uint64_t size)
{
    /* Union of @kind events covers [addr, addr + size). */
    uint64_t pos = addr;
    bool progress = true;
    while (pos < addr + size && progress) {
        progress = false;
        for (size_t i = 0; i < m->nlog; i++) {
            const struct tmm_event *e = &m->log[i];
            if (e->kind == kind && e->addr <= pos && pos < e->addr + e->size) {
                pos = e->addr + e->size;
                progress = true;
            }
        }
    }
    return pos >= addr + size;
}

static void test_s2_map_cacheable_without_fwb_cleans_dcache_of_range(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* PA outside the arena: test_mm's phys_to_virt returns it unchanged. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M + SZ_4K, 0x80200000,
                                PGT_PROT_RWX, NULL, 0), 0);
    assert_true(log_covers(&f.m, TMM_DCACHE, 0x80200000, SZ_2M + SZ_4K));
    assert_true(log_covers(&f.m, TMM_ICACHE, 0x80200000, SZ_2M + SZ_4K));
    fx_fini(&f);
}

static void test_s2_map_non_executable_does_no_icache_maintenance(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, 0), 0);
    assert_true(log_covers(&f.m, TMM_DCACHE, 0x80000000, SZ_4K));
    assert_int_equal(log_count(&f.m, TMM_ICACHE), 0);
    fx_fini(&f);
}

static void test_s2_map_skip_flags_suppress_cache_maintenance(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RWX, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_int_equal(log_count(&f.m, TMM_DCACHE), 0);
    assert_int_equal(log_count(&f.m, TMM_ICACHE), 0);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s2_map_4k_page_writes_expected_descriptor),
        cmocka_unit_test(test_s2_map_16k_page_writes_expected_descriptor),
        cmocka_unit_test(test_s2_map_64k_page_writes_expected_descriptor),
        cmocka_unit_test(test_s2_map_device_uses_memattr_device_and_xn),
        cmocka_unit_test(test_s2_map_normal_nc_uses_memattr_0b0101),
        cmocka_unit_test(test_s2_map_with_fwb_uses_fwb_memattr_and_skips_dcache),
        cmocka_unit_test(test_s2_map_with_xnx_encodes_pxn_and_uxn),
        cmocka_unit_test(
            test_s2_map_with_no_permission_writes_valid_faulting_leaf),
        cmocka_unit_test(test_s2_map_software_bits_land_in_bits_58_to_55),
        cmocka_unit_test(test_s2_map_2m_aligned_range_uses_one_level2_block),
        cmocka_unit_test(test_s2_map_1g_aligned_range_uses_one_level1_block),
        cmocka_unit_test(test_s2_map_16k_32m_aligned_range_uses_level2_block),
        cmocka_unit_test(test_s2_map_64k_512m_aligned_range_uses_level2_block),
        cmocka_unit_test(
            test_s2_map_4k_512g_range_uses_level1_blocks_not_level0),
        cmocka_unit_test(
            test_s2_map_16k_64g_range_uses_level2_blocks_not_level1),
        cmocka_unit_test(
            test_s2_map_64k_4t_range_with_48bit_oa_uses_level2_blocks),
        cmocka_unit_test(test_s2_map_misaligned_pa_uses_512_pages),
        cmocka_unit_test(test_s2_map_misaligned_ipa_uses_pages),
        cmocka_unit_test(
            test_s2_map_unaligned_head_and_tail_use_pages_around_a_block),
        cmocka_unit_test(
            test_s2_map_with_force_pte_uses_pages_for_aligned_range),
        cmocka_unit_test(test_s2_map_over_a_page_replaces_it),
        cmocka_unit_test(test_s2_map_identical_leaf_again_changes_nothing),
        cmocka_unit_test(
            test_s2_map_identical_page_inside_block_splits_it),
        cmocka_unit_test(test_s2_map_block_over_pages_frees_their_table),
        cmocka_unit_test(
            test_s2_map_page_inside_block_splits_it_and_keeps_the_rest),
        cmocka_unit_test(test_s2_map_over_owner_annotation_replaces_it),
        cmocka_unit_test(
            test_s2_map_page_inside_1g_block_keeps_every_other_address),
        cmocka_unit_test(test_s2_map_last_page_of_ipa_and_pa_space),
        cmocka_unit_test(test_count_table_pages_matches_hand_count),
        cmocka_unit_test(test_s2_unmap_page_clears_entry),
        cmocka_unit_test(test_s2_unmap_straddling_two_blocks_splits_both_ends),
        cmocka_unit_test(
            test_s2_unmap_part_of_block_splits_it_and_keeps_the_rest),
        cmocka_unit_test(
            test_s2_unmap_inside_1g_block_keeps_every_other_address_mapped),
        cmocka_unit_test(test_s2_set_owner_writes_owner_id_in_invalid_entries),
        cmocka_unit_test(
            test_s2_set_owner_inside_block_splits_it_and_keeps_the_rest),
        cmocka_unit_test(
            test_s2_set_owner_zero_removes_annotations_and_frees_tables),
        cmocka_unit_test(test_s2_set_owner_over_mapping_removes_it),
        cmocka_unit_test(test_s2_set_owner_zero_over_mapping_removes_it),
        cmocka_unit_test(test_s2_relax_perms_adds_write_and_exec_in_place),
        cmocka_unit_test(test_s2_relax_perms_already_allowed_changes_nothing),
        cmocka_unit_test(test_s2_relax_perms_on_block_keeps_it_a_block),
        cmocka_unit_test(
            test_s2_relax_perms_with_xnx_adds_execute_per_exception_level),
        cmocka_unit_test(
            test_s2_relax_perms_on_unmapped_address_returns_enoent),
        cmocka_unit_test(test_s2_wrprotect_clears_s2ap_w_on_every_leaf),
        cmocka_unit_test(
            test_s2_test_clear_young_reports_and_clears_access_flag),
        cmocka_unit_test(test_s2_wrprotect_tlb_policy_without_tlbi_range),
        cmocka_unit_test(test_s2_split_turns_2m_block_into_512_pages),
        cmocka_unit_test(test_s2_split_turns_1g_block_into_pages),
        cmocka_unit_test(test_s2_split_leaves_pages_and_unmapped_ranges_alone),
        cmocka_unit_test(test_s2_split_16k_block_into_2048_pages),
        cmocka_unit_test(test_s2_get_leaf_returns_block_and_level),
        cmocka_unit_test(test_s2_get_leaf_returns_owner_annotation),
        cmocka_unit_test(
            test_s2_map_cacheable_without_fwb_cleans_dcache_of_range),
        cmocka_unit_test(test_s2_map_non_executable_does_no_icache_maintenance),
        cmocka_unit_test(test_s2_map_skip_flags_suppress_cache_maintenance),
    };
    return cmocka_run_group_tests_name("core_s2", tests, NULL, NULL);
}
