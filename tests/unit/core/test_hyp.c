// SPDX-License-Identifier: MIT
/*
 * Stage-1 tables, EL2 (hyp) regime mostly, EL1&0 briefly: geometry, exact
 * descriptor values hand-computed from the Arm ARM (D8.3.2 stage-1
 * attribute fields, D8.4.1 AP[2:1]), block/page choice, -PGT_EEXIST,
 * unmap and protect.
 *
 * An EL2 normal RW non-executable page with libpgtable's MAIR layout:
 *   OA | XN(54) | AF(10) | SH=inner [9:8] | AP[1]=1 (RES1 at EL2, bit 6)
 *   | AttrIndx=0 [4:2] | page [1:0]=0b11
 */
#include "core_ref.h"

#define H_RW (AF | SH_INNER | S1_AP1 | S1_ATTRINDX(MAIR_NORMAL))
#define H_RO (H_RW | S1_AP2_RO)

/* ---------------- geometry ---------------- */

static void test_hyp_init_picks_single_page_start_level(void **state)
{
    (void)state;
    static const struct {
        unsigned gs, va;
        int sl;
    } cases[] = {
        /* start level: the level whose entries cover the top IA bits
         * with one page, i.e. shift(sl) < va <= shift(sl) + bpl. */
        {12, 48, 0}, /* 4K: L0 shift 39, 512 entries */
        {12, 40, 0}, /* 2 entries at L0 */
        {12, 39, 1}, /* L1 shift 30, 512 entries */
        {12, 32, 1}, /* 4 entries */
        {12, 30, 2}, /* L2 shift 21, 512 entries */
        {12, 25, 2}, /* 16 entries */
        {14, 48, 0}, /* 16K: L0 shift 47, 2 entries */
        {14, 47, 1}, /* L1 shift 36, 2048 entries */
        {14, 36, 2}, /* L2 shift 25, 2048 entries */
        {14, 25, 3}, /* L3 shift 14, 2048 entries */
        {16, 48, 1}, /* 64K: L1 shift 42, 64 entries */
        {16, 42, 2}, /* L2 shift 29, 8192 entries */
        {16, 29, 3}, /* L3 shift 16, 8192 entries */
        {16, 25, 3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fx f;
        fx_s1_(&f, PGT_REGIME_EL2, cases[i].gs, cases[i].va, 48, cases[i].sl,
               0, 4, ARENA_PA, __FILE__, __LINE__);
        assert_int_equal(f.pgt.regime, PGT_REGIME_EL2);
        fx_fini(&f);
    }
}

static void test_hyp_init_wrapper_is_el2_with_48bit_oa(void **state)
{
    (void)state;
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_4K, 4, ARENA_PA);
    assert_int_equal(pgt_hyp_init(&p, 48, PGT_GRANULE_4K, &tmm_ops, NULL), 0);
    assert_int_equal(p.regime, PGT_REGIME_EL2);
    assert_int_equal(p.geom.oa_bits, 48);
    assert_int_equal(p.geom.start_level, 0);
    assert_int_equal(p.geom.nr_root_pages, 1);
    assert_int_equal(m.live, 1);
    pgt_hyp_destroy(&p);
    assert_int_equal(m.live, 0);
    tmm_fini(&m);
}

/* ---------------- exact descriptors ---------------- */

static void test_hyp_map_4k_page_writes_expected_descriptor(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    /* 0x80001000 | XN | AF | SH_INNER | AP[1] | AttrIndx 0 | page */
    assert_u64(E(&f, 0x1000, 3), 0x80001000ull | S1_XN | H_RW | D_PAGE);
    assert_u64(E(&f, 0x1000, 3), 0x0040000080001743ull);
    assert_u64(E(&f, 0x0, 3), 0);
    assert_u64(E(&f, 0x2000, 3), 0);
    for (int l = 0; l < 3; l++) {
        uint64_t t = E(&f, 0x1000, l);
        assert_u64(t & ~ref_oa(&f.r, t), D_TABLE);
    }
    /* Root + L1 + L2 + L3. */
    assert_int_equal(f.m.live, 4);
    /* No TLB maintenance when only invalid entries were filled. */
    assert_int_equal(f.m.nlog, 0);
    fx_fini(&f);
}

static void test_hyp_map_16k_page_rx_writes_expected_descriptor(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 14, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x8000, SZ_16K, 0x80008000,
                                 PGT_PROT_RX), 0);
    /* Read-only (AP[2]=1), executable (XN=0). */
    assert_u64(E(&f, 0x8000, 3), 0x80008000ull | H_RO | D_PAGE);
    assert_u64(E(&f, 0x8000, 3), 0x800087c3ull);
    assert_int_equal(f.m.live, 4);
    fx_fini(&f);
}

static void test_hyp_map_64k_page_ro_writes_expected_descriptor(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 16, 48, 1);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x10000, SZ_64K, 0x80010000,
                                 PGT_PROT_R), 0);
    assert_u64(E(&f, 0x10000, 3), 0x80010000ull | S1_XN | H_RO | D_PAGE);
    assert_u64(E(&f, 0x10000, 3), 0x00400000800107c3ull);
    assert_int_equal(f.m.live, 3);
    fx_fini(&f);
}

static void test_hyp_map_device_uses_attrindx_1_and_xn(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x9000000, SZ_4K, 0x9000000,
                                 PGT_PROT_RW | PGT_PROT_DEVICE), 0);
    /* SH is ignored for Device memory: not compared. */
    assert_u64(E(&f, 0x9000000, 3) & ~SH_MASK,
               0x9000000ull | S1_XN | AF | S1_AP1 |
                   S1_ATTRINDX(MAIR_DEVICE) | D_PAGE);
    fx_fini(&f);
}

static void test_hyp_map_normal_nc_uses_attrindx_2(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x100000, SZ_4K, 0x100000,
                                 PGT_PROT_RW | PGT_PROT_NORMAL_NC), 0);
    assert_u64(E(&f, 0x100000, 3) & ~SH_MASK,
               0x100000ull | S1_XN | AF | S1_AP1 |
                   S1_ATTRINDX(MAIR_NORMAL_NC) | D_PAGE);
    fx_fini(&f);
}

static void test_hyp_mair_value_matches_documented_layout(void **state)
{
    (void)state;
    /* Attr0 = 0xff (Normal WB RAWA), Attr1 = 0x04 (Device-nGnRE),
     * Attr2 = 0x44 (Normal NC), Attr3 = 0x00 (Device-nGnRnE). */
    assert_u64(PGT_MAIR_VALUE,
               0xffull | (0x04ull << 8) | (0x44ull << 16) | (0x00ull << 24));
}

/* ---------------- block vs page ---------------- */

static void test_hyp_map_2m_aligned_range_uses_level2_block(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x40200000,
                                 PGT_PROT_RW), 0);
    assert_u64(E(&f, 0x200000, 2), 0x40200000ull | S1_XN | H_RW | D_BLOCK);
    assert_u64(E(&f, 0x200000, 2), 0x0040000040200741ull);
    assert_int_equal(f.m.live, 3);
    fx_fini(&f);
}

static void test_hyp_map_1g_aligned_range_uses_level1_block(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x80000000, SZ_1G, 0x80000000,
                                 PGT_PROT_RX), 0);
    assert_u64(E(&f, 0x80000000, 1), 0x80000000ull | H_RO | D_BLOCK);
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

static void test_hyp_map_misaligned_pa_uses_pages(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x40201000,
                                 PGT_PROT_RW), 0);
    for (uint64_t i = 0; i < 512; i++)
        assert_u64(E(&f, 0x200000 + i * SZ_4K, 3),
                   (0x40201000ull + i * SZ_4K) | S1_XN | H_RW | D_PAGE);
    assert_int_equal(f.m.live, 4);
    fx_fini(&f);
}

static void test_hyp_map_16k_32m_and_64k_512m_use_level2_blocks(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 14, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x2000000, SZ_32M, 0x42000000,
                                 PGT_PROT_RW), 0);
    assert_u64(E(&f, 0x2000000, 2), 0x42000000ull | S1_XN | H_RW | D_BLOCK);
    fx_fini(&f);
    fx_hyp(&f, 16, 48, 1);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x20000000, SZ_512M, 0x60000000,
                                 PGT_PROT_RW), 0);
    assert_u64(E(&f, 0x20000000, 2), 0x60000000ull | S1_XN | H_RW | D_BLOCK);
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);
}

static void test_hyp_32bit_va_maps_its_last_page_and_nothing_beyond(
    void **state)
{
    (void)state;
    struct fx f;
    /* 4K, 32-bit VA: level 1 root with 4 entries. */
    fx_hyp(&f, 12, 32, 1);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0xfffff000, SZ_4K, 0x80000000,
                                 PGT_PROT_RW), 0);
    assert_u64(E(&f, 0xfffff000, 3), 0x80000000ull | S1_XN | H_RW | D_PAGE);
    assert_true(pgt_pte_is_table(f.pgt.pgd[3], 1));
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x100000000ull, SZ_4K, 0x80000000,
                                 PGT_PROT_RW), -PGT_ERANGE);
    assert_int_equal(pgt_s1_tcr(&f.pgt) & 0x3f, 32);
    fx_fini(&f);
}

/* ---------------- conflicts ---------------- */

static void test_hyp_map_over_leaf_with_different_pa_returns_eexist(
    void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    struct snap s;
    snap_take(&s, &f.m, &f.pgt);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x90001000,
                                 PGT_PROT_RW), -PGT_EEXIST);
    snap_check(&s, &f.m, &f.pgt, false);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x80001000,
                                 PGT_PROT_R), -PGT_EEXIST);
    snap_check(&s, &f.m, &f.pgt, false);
    snap_free(&s);
    fx_fini(&f);
}

static void test_hyp_map_partly_conflicting_range_maps_nothing(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    /* One page at the end of a range whose head lives in other tables. */
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                 PGT_PROT_RW), 0);
    struct snap s;
    snap_take(&s, &f.m, &f.pgt);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x3fe00000, SZ_2M + SZ_4K,
                                 0x10000000, PGT_PROT_RW), -PGT_EEXIST);
    snap_check(&s, &f.m, &f.pgt, false);
    /* Same with a block in the way of pages. */
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x200000,
                                 PGT_PROT_RW), 0);
    snap_free(&s);
    snap_take(&s, &f.m, &f.pgt);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1ff000, 2 * SZ_4K, 0x3000,
                                 PGT_PROT_RW), -PGT_EEXIST);
    snap_check(&s, &f.m, &f.pgt, false);
    snap_free(&s);
    fx_fini(&f);
}

static void test_hyp_map_identical_leaf_again_is_accepted(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, 2 * SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    struct snap s;
    snap_take(&s, &f.m, &f.pgt);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, 2 * SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    snap_check(&s, &f.m, &f.pgt, false);
    /* Identical head, new tail: the tail gets mapped. */
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, 3 * SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    assert_u64(E(&f, 0x3000, 3), 0x80003000ull | S1_XN | H_RW | D_PAGE);
    snap_free(&s);
    fx_fini(&f);
}

static void test_hyp_map_over_table_with_identical_pages_fills_the_rest(
    void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x201000, SZ_4K, 0x80201000,
                                 PGT_PROT_RW), 0);
    /* A table is no leaf: no conflict. Its pages are filled in; the
     * existing identical page is kept. */
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x80200000,
                                 PGT_PROT_RW), 0);
    /* Every run the map writes whole gets the contiguous hint; the run
     * of the page that stays live is left without (no break of a live
     * mapping only to fold it). */
    for (uint64_t i = 0; i < 512; i++)
        assert_u64(E(&f, 0x200000 + i * SZ_4K, 3),
                   (0x80200000ull + i * SZ_4K) | S1_XN | H_RW |
                       (i < 16 ? 0 : D_CONT) | D_PAGE);
    assert_int_equal(f.m.live, 4);
    fx_fini(&f);
}

static void test_hyp_map_page_identical_to_part_of_a_block_is_accepted(
    void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x400000, SZ_2M, 0x80400000,
                                 PGT_PROT_RW), 0);
    struct snap s;
    snap_take(&s, &f.m, &f.pgt);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x401000, SZ_4K, 0x80401000,
                                 PGT_PROT_RW), 0);
    snap_check(&s, &f.m, &f.pgt, false);
    /* A different output inside the block conflicts. */
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x401000, SZ_4K, 0x90401000,
                                 PGT_PROT_RW), -PGT_EEXIST);
    snap_check(&s, &f.m, &f.pgt, false);
    snap_free(&s);
    fx_fini(&f);
}

/* ---------------- unmap ---------------- */

static void test_hyp_unmap_returns_bytes_unmapped_and_frees_tables(
    void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, 2 * SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x80200000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(f.m.live, 4);
    /* 4 pages of range, 2 mapped. */
    assert_int_equal(pgt_hyp_unmap(&f.pgt, 0x0, 4 * SZ_4K), 2 * SZ_4K);
    assert_u64(E(&f, 0x1000, 2), 0); /* level-3 table gone */
    assert_int_equal(f.m.live, 3);
    assert_int_equal(pgt_hyp_unmap(&f.pgt, 0x0, SZ_1G), SZ_2M);
    /* Only the root left. */
    assert_int_equal(f.m.live, 1);
    assert_int_equal(pgt_hyp_unmap(&f.pgt, 0x0, SZ_1G), 0);
    fx_fini(&f);
}

static void test_hyp_unmap_part_of_block_splits_it_and_keeps_the_rest(
    void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x80200000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_unmap(&f.pgt, 0x3ff000, SZ_4K), SZ_4K);
    for (uint64_t i = 0; i < 511; i++)
        assert_u64(E(&f, 0x200000 + i * SZ_4K, 3),
                   (0x80200000ull + i * SZ_4K) | S1_XN | H_RW |
                       (i < 496 ? D_CONT : 0) | D_PAGE);
    assert_u64(E(&f, 0x3ff000, 3), 0);
    assert_int_equal(f.m.live, 4);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

/* ---------------- protect ---------------- */

static void test_hyp_protect_changes_permissions_in_place(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, 2 * SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x1000, SZ_4K, PGT_PROT_R), 0);
    assert_u64(E(&f, 0x1000, 3), 0x80001000ull | S1_XN | H_RO | D_PAGE);
    assert_u64(E(&f, 0x2000, 3), 0x80002000ull | S1_XN | H_RW | D_PAGE);
    assert_true(log_tlbi_covers(&f.m, 0x1000));
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x2000, SZ_4K, PGT_PROT_RX), 0);
    assert_u64(E(&f, 0x2000, 3), 0x80002000ull | H_RO | D_PAGE);
    fx_fini(&f);
}

static void test_hyp_protect_replaces_the_software_bits(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x80001000,
                                 PGT_PROT_RW | PGT_PROT_SW0), 0);
    assert_u64(E(&f, 0x1000, 3),
               0x80001000ull | SW(0) | S1_XN | H_RW | D_PAGE);
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x1000, SZ_4K,
                                     PGT_PROT_R | PGT_PROT_SW2), 0);
    assert_u64(E(&f, 0x1000, 3),
               0x80001000ull | SW(2) | S1_XN | H_RO | D_PAGE);
    fx_fini(&f);
}

static void test_hyp_protect_part_of_block_splits_it(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x80200000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x200000, SZ_4K, PGT_PROT_R), 0);
    assert_u64(E(&f, 0x200000, 3), 0x80200000ull | S1_XN | H_RO | D_PAGE);
    for (uint64_t i = 1; i < 512; i++)
        assert_u64(E(&f, 0x200000 + i * SZ_4K, 3),
                   (0x80200000ull + i * SZ_4K) | S1_XN | H_RW |
                       (i < 16 ? 0 : D_CONT) | D_PAGE);
    fx_fini(&f);
}

static void test_hyp_protect_changing_memory_type_returns_einval(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    struct snap s;
    snap_take(&s, &f.m, &f.pgt);
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x1000, SZ_4K,
                                     PGT_PROT_RW | PGT_PROT_DEVICE),
                     -PGT_EINVAL);
    snap_check(&s, &f.m, &f.pgt, true);
    snap_free(&s);
    fx_fini(&f);
}

static void test_hyp_protect_unmapped_range_returns_enoent(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x1000, SZ_4K, PGT_PROT_R),
                     -PGT_ENOENT);
    fx_fini(&f);
}

/* ---------------- get_leaf ---------------- */

static void test_hyp_get_leaf_and_translate_report_the_mapping(void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x80200000,
                                 PGT_PROT_RX), 0);
    pgt_pte_t pte = 0;
    int level = -5;
    assert_int_equal(pgt_get_leaf(&f.pgt, 0x3fffff, &pte, &level), 0);
    assert_u64(pte, 0x80200000ull | H_RO | D_BLOCK);
    assert_int_equal(level, 2);
    uint64_t pa;
    enum pgt_prot prot;
    assert_int_equal(pgt_translate(&f.pgt, 0x3fffff, &pa, &prot), 0);
    assert_u64(pa, 0x803fffffull);
    assert_int_equal(prot, PGT_PROT_RX);
    assert_int_equal(pgt_translate(&f.pgt, 0x400000, &pa, &prot), -PGT_ENOENT);
    fx_fini(&f);
}

/* ---------------- EL1&0 regime ---------------- */

static void test_el10_map_sets_ap1_only_for_user_and_both_xn_bits(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s1_(&f, PGT_REGIME_EL10, 12, 39, 40, 1, 0, 16, ARENA_PA, __FILE__,
           __LINE__);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x2000, SZ_4K, 0x80002000,
                                 PGT_PROT_RW | PGT_PROT_USER), 0);
    uint64_t base = AF | SH_INNER | S1_ATTRINDX(MAIR_NORMAL);
    /* nG is the embedder's ASID policy: not compared. Non-executable at
     * EL1 (PXN) and EL0 (UXN). AP[1] = EL0 access. */
    assert_u64(E(&f, 0x1000, 3) & ~S1_NG,
               0x80001000ull | S1_XN | S1_PXN | base | D_PAGE);
    assert_u64(E(&f, 0x2000, 3) & ~S1_NG,
               0x80002000ull | S1_XN | S1_PXN | S1_AP1 | base | D_PAGE);
    fx_fini(&f);
}

static void test_el10_exec_permission_follows_user_and_x(void **state)
{
    (void)state;
    struct fx f;
    fx_s1_(&f, PGT_REGIME_EL10, 12, 39, 40, 1, 0, 16, ARENA_PA, __FILE__,
           __LINE__);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x80001000,
                                 PGT_PROT_RX), 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x2000, SZ_4K, 0x80002000,
                                 PGT_PROT_RX | PGT_PROT_USER), 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x3000, SZ_4K, 0x80003000,
                                 PGT_PROT_R | PGT_PROT_USER), 0);
    uint64_t base = AF | SH_INNER | S1_ATTRINDX(MAIR_NORMAL) | D_PAGE;
    /* Kernel text: AP=0b10 (EL1 RO), EL1 may execute, EL0 may not (an
     * AP[1]=0 page is still executable at EL0 unless UXN). */
    assert_u64(E(&f, 0x1000, 3) & ~S1_NG,
               0x80001000ull | S1_XN | S1_AP2_RO | base);
    /* User text: AP=0b11 (RO at EL1 and EL0), EL0 executes, EL1 must not
     * (PXN). */
    assert_u64(E(&f, 0x2000, 3) & ~S1_NG,
               0x80002000ull | S1_PXN | S1_AP2_RO | S1_AP1 | base);
    /* User read-only data: neither executes. */
    assert_u64(E(&f, 0x3000, 3) & ~S1_NG,
               0x80003000ull | S1_XN | S1_PXN | S1_AP2_RO | S1_AP1 | base);
    fx_fini(&f);
}

static void test_el10_protect_may_grant_and_revoke_user_access(void **state)
{
    (void)state;
    struct fx f;
    fx_s1_(&f, PGT_REGIME_EL10, 12, 39, 40, 1, 0, 16, ARENA_PA, __FILE__,
           __LINE__);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    uint64_t base = AF | SH_INNER | S1_ATTRINDX(MAIR_NORMAL) | D_PAGE;
    /* USER is a permission: AP[1] = 1, still no execution anywhere. */
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x1000, SZ_4K,
                                     PGT_PROT_RW | PGT_PROT_USER), 0);
    assert_u64(E(&f, 0x1000, 3),
               0x80001000ull | S1_XN | S1_PXN | S1_AP1 | base);
    /* User text: AP = 0b11, PXN. */
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x1000, SZ_4K,
                                     PGT_PROT_RX | PGT_PROT_USER), 0);
    assert_u64(E(&f, 0x1000, 3),
               0x80001000ull | S1_PXN | S1_AP1 | S1_AP2_RO | base);
    /* Back to kernel read-only data. */
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x1000, SZ_4K, PGT_PROT_R), 0);
    assert_u64(E(&f, 0x1000, 3),
               0x80001000ull | S1_XN | S1_PXN | S1_AP2_RO | base);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hyp_init_picks_single_page_start_level),
        cmocka_unit_test(test_hyp_init_wrapper_is_el2_with_48bit_oa),
        cmocka_unit_test(test_hyp_map_4k_page_writes_expected_descriptor),
        cmocka_unit_test(test_hyp_map_16k_page_rx_writes_expected_descriptor),
        cmocka_unit_test(test_hyp_map_64k_page_ro_writes_expected_descriptor),
        cmocka_unit_test(test_hyp_map_device_uses_attrindx_1_and_xn),
        cmocka_unit_test(test_hyp_map_normal_nc_uses_attrindx_2),
        cmocka_unit_test(test_hyp_mair_value_matches_documented_layout),
        cmocka_unit_test(test_hyp_map_2m_aligned_range_uses_level2_block),
        cmocka_unit_test(test_hyp_map_1g_aligned_range_uses_level1_block),
        cmocka_unit_test(test_hyp_map_misaligned_pa_uses_pages),
        cmocka_unit_test(test_hyp_map_16k_32m_and_64k_512m_use_level2_blocks),
        cmocka_unit_test(
            test_hyp_32bit_va_maps_its_last_page_and_nothing_beyond),
        cmocka_unit_test(
            test_hyp_map_over_leaf_with_different_pa_returns_eexist),
        cmocka_unit_test(test_hyp_map_partly_conflicting_range_maps_nothing),
        cmocka_unit_test(test_hyp_map_identical_leaf_again_is_accepted),
        cmocka_unit_test(
            test_hyp_map_over_table_with_identical_pages_fills_the_rest),
        cmocka_unit_test(
            test_hyp_map_page_identical_to_part_of_a_block_is_accepted),
        cmocka_unit_test(
            test_hyp_unmap_returns_bytes_unmapped_and_frees_tables),
        cmocka_unit_test(
            test_hyp_unmap_part_of_block_splits_it_and_keeps_the_rest),
        cmocka_unit_test(test_hyp_protect_changes_permissions_in_place),
        cmocka_unit_test(test_hyp_protect_replaces_the_software_bits),
        cmocka_unit_test(test_hyp_protect_part_of_block_splits_it),
        cmocka_unit_test(test_hyp_protect_changing_memory_type_returns_einval),
        cmocka_unit_test(test_hyp_protect_unmapped_range_returns_enoent),
        cmocka_unit_test(test_hyp_get_leaf_and_translate_report_the_mapping),
        cmocka_unit_test(
            test_el10_map_sets_ap1_only_for_user_and_both_xn_bits),
        cmocka_unit_test(test_el10_exec_permission_follows_user_and_x),
        cmocka_unit_test(test_el10_protect_may_grant_and_revoke_user_access),
    };
    return cmocka_run_group_tests_name("core_hyp", tests, NULL, NULL);
}
