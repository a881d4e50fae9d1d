// SPDX-License-Identifier: MIT
/*
 * Descriptor layer: pgt_geom_init, level sizes and indices, which levels
 * may hold a block, OA encoding (48-bit, LPA2, 64K-LPA), leaf attributes
 * and their decoding, make_leaf / make_table. Expected values are written
 * out from the Arm ARM (D8.2 walk geometry, D8.3 descriptor formats).
 */
#include "core_ref.h"

#include <string.h>

static void test_desc_header_field_values_match_the_arm_arm(void **state)
{
    (void)state;
    assert_u64(PGT_PTE_VALID, 1ull << 0);
    assert_u64(PGT_PTE_TYPE, 1ull << 1);
    assert_u64(PGT_PTE_AF, 1ull << 10);
    assert_u64(PGT_PTE_SH_MASK, 3ull << 8);
    assert_u64(PGT_S1_AP_RO, 1ull << 7);
    assert_u64(PGT_S1_AP_USER, 1ull << 6);
    assert_u64(PGT_S1_NG, 1ull << 11);
    assert_u64(PGT_S1_PXN, 1ull << 53);
    assert_u64(PGT_S1_UXN, 1ull << 54);
    assert_u64(PGT_S2_S2AP_R, 1ull << 6);
    assert_u64(PGT_S2_S2AP_W, 1ull << 7);
    assert_u64(PGT_S2_MEMATTR_MASK, 0xfull << 2);
    assert_u64(PGT_S2_XN, 1ull << 54);
    assert_u64(PGT_PTE_DBM, 1ull << 51);
    assert_u64(PGT_PTE_CONT, 1ull << 52);
    assert_u64(PGT_PTE_SW_MASK, 0xfull << 55);
}

/* ---------------- pgt_geom_init ---------------- */

struct gcase {
    unsigned gs, ia, oa;
    int sl_in;
    uint32_t flags;
    int sl;
    unsigned pages;
};

static void test_geom_init_computes_start_level_and_root_pages(void **state)
{
    (void)state;
    static const struct gcase c[] = {
        /* AUTO: highest level with a single root page. */
        {12, 48, 48, PGT_LEVEL_AUTO, 0, 0, 1},
        {12, 39, 40, PGT_LEVEL_AUTO, 0, 1, 1},
        {12, 52, 52, PGT_LEVEL_AUTO, PGT_GEOM_LPA2, -1, 1},
        {14, 48, 48, PGT_LEVEL_AUTO, 0, 0, 1},
        {14, 52, 52, PGT_LEVEL_AUTO, PGT_GEOM_LPA2, 0, 1},
        {16, 48, 48, PGT_LEVEL_AUTO, 0, 1, 1},
        {16, 52, 52, PGT_LEVEL_AUTO, 0, 1, 1},
        /* Explicit start levels with concatenation. */
        {12, 40, 40, 1, PGT_GEOM_CONCAT, 1, 2},
        {12, 43, 44, 1, PGT_GEOM_CONCAT, 1, 16},
        {12, 52, 52, 0, PGT_GEOM_CONCAT | PGT_GEOM_LPA2, 0, 16},
        {14, 48, 48, 1, PGT_GEOM_CONCAT, 1, 2},
        {16, 46, 48, 2, PGT_GEOM_CONCAT, 2, 16},
        /* Explicit single-page start level. */
        {12, 40, 40, 0, 0, 0, 1},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct pgt_geom g;
        memset(&g, 0xcc, sizeof(g));
        int ret = pgt_geom_init(&g, (enum pgt_granule)c[i].gs, c[i].ia,
                                c[i].oa, c[i].sl_in, c[i].flags);
        if (ret || g.start_level != c[i].sl ||
            g.nr_root_pages != c[i].pages) {
            print_error("case %zu: ret %d level %d pages %u; expected level "
                        "%d pages %u\n",
                        i, ret, g.start_level, g.nr_root_pages, c[i].sl,
                        c[i].pages);
            fail();
        }
        assert_int_equal(g.granule_shift, c[i].gs);
        assert_int_equal(g.bits_per_level, c[i].gs - 3);
        assert_int_equal(g.ia_bits, c[i].ia);
        assert_int_equal(g.oa_bits, c[i].oa);
        assert_int_equal(g.lpa2, (c[i].flags & PGT_GEOM_LPA2) ? 1 : 0);
        /* Root entries = 2^(ia - shift(sl)). */
        uint64_t shift = c[i].gs + (uint64_t)(c[i].gs - 3) * (3 - c[i].sl);
        assert_u64(pgt_root_entries(&g), 1ull << (c[i].ia - shift));
    }
}

static void test_geom_init_rejects_illegal_combinations(void **state)
{
    (void)state;
    static const struct gcase bad[] = {
        {13, 48, 48, PGT_LEVEL_AUTO, 0, 0, 0},  /* not a granule */
        {12, 24, 48, PGT_LEVEL_AUTO, 0, 0, 0},  /* IA below 25 */
        {12, 49, 48, PGT_LEVEL_AUTO, 0, 0, 0},  /* 4K > 48 bits without LPA2 */
        {14, 52, 52, PGT_LEVEL_AUTO, 0, 0, 0},  /* 16K 52 bits without LPA2 */
        {12, 53, 52, PGT_LEVEL_AUTO, PGT_GEOM_LPA2, 0, 0}, /* > 52 bits */
        {12, 48, 47, PGT_LEVEL_AUTO, 0, 0, 0},  /* 47 is no PS encoding */
        {12, 48, 52, PGT_LEVEL_AUTO, 0, 0, 0},  /* 52-bit OA needs LPA2 */
        {12, 48, 48, 4, 0, 0, 0},               /* level 4 */
        {12, 48, 48, -2, 0, 0, 0},              /* level -2 */
        {12, 48, 48, -1, 0, 0, 0},              /* level -1 without LPA2 */
        {12, 40, 40, 1, 0, 0, 0},      /* needs 2 pages: no CONCAT flag */
        {12, 44, 44, 1, PGT_GEOM_CONCAT, 0, 0}, /* would need 32 pages */
        {12, 38, 40, 0, 0, 0, 0},      /* level 0 resolves no IA bit */
        {16, 48, 48, 0, 0, 0, 0},      /* 64K has no level 0 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pgt_geom g, before;
        memset(&g, 0xcc, sizeof(g));
        before = g;
        int ret = pgt_geom_init(&g, (enum pgt_granule)bad[i].gs, bad[i].ia,
                                bad[i].oa, bad[i].sl_in, bad[i].flags);
        if (ret != -PGT_EINVAL) {
            print_error("case %zu: returned %d, expected -EINVAL\n", i, ret);
            fail();
        }
        assert_memory_equal(&g, &before, sizeof(g));
    }
    assert_int_equal(pgt_geom_init(NULL, PGT_GRANULE_4K, 48, 48,
                                   PGT_LEVEL_AUTO, 0), -PGT_EINVAL);
}

static void test_geom_level_sizes_and_indices(void **state)
{
    (void)state;
    struct pgt_geom g;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 48, 48, PGT_LEVEL_AUTO,
                                   0), 0);
    assert_u64(pgt_level_size(&g, 3), SZ_4K);
    assert_u64(pgt_level_size(&g, 2), SZ_2M);
    assert_u64(pgt_level_size(&g, 1), SZ_1G);
    assert_u64(pgt_level_size(&g, 0), 512 * SZ_1G);
    assert_u64(pgt_ptes_per_page(&g), 512);
    /* 0x0000_8040_2010_0000 = L0 idx 0x100, L1 idx 1, L2 idx 1, L3 idx
     * 0x100: bits [47:39] [38:30] [29:21] [20:12]. */
    uint64_t va = (0x100ull << 39) | (1ull << 30) | (1ull << 21) |
                  (0x100ull << 12);
    assert_u64(pgt_level_index(&g, va, 0), 0x100);
    assert_u64(pgt_level_index(&g, va, 1), 1);
    assert_u64(pgt_level_index(&g, va, 2), 1);
    assert_u64(pgt_level_index(&g, va, 3), 0x100);

    /* Concatenated root: index spans all pages. 4K 43-bit at L1: 8192. */
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 43, 44, 1,
                                   PGT_GEOM_CONCAT), 0);
    assert_u64(pgt_level_index(&g, 0x7ffc0000000ull, 1), 0x1fff);

    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_16K, 48, 48, 1,
                                   PGT_GEOM_CONCAT), 0);
    assert_u64(pgt_level_size(&g, 2), SZ_32M);
    assert_u64(pgt_level_size(&g, 1), 64ull * SZ_1G);
    assert_u64(pgt_ptes_per_page(&g), 2048);
    assert_u64(pgt_level_index(&g, 0xffffffffc000ull, 1), 4095);

    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_64K, 52, 52,
                                   PGT_LEVEL_AUTO, 0), 0);
    assert_u64(pgt_level_size(&g, 2), SZ_512M);
    assert_u64(pgt_level_size(&g, 1), 4096ull * SZ_1G);
    assert_u64(pgt_ptes_per_page(&g), 8192);
    assert_u64(pgt_level_index(&g, 0xfffffffff0000ull, 1), 1023);
    assert_u64(pgt_level_index(&g, 0xfffffffff0000ull, 3), 8191);

    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 52, 52, PGT_LEVEL_AUTO,
                                   PGT_GEOM_LPA2), 0);
    assert_u64(pgt_level_size(&g, -1), 1ull << 48);
    assert_u64(pgt_level_index(&g, 0xf000000000000ull, -1), 15);
}

static void test_geom_level_has_block_follows_granule_and_oa(void **state)
{
    (void)state;
    struct pgt_geom g;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 48, 48, PGT_LEVEL_AUTO,
                                   0), 0);
    assert_false(pgt_level_has_block(&g, 0));
    assert_true(pgt_level_has_block(&g, 1));
    assert_true(pgt_level_has_block(&g, 2));
    assert_true(pgt_level_has_block(&g, 3));
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 52, 52, PGT_LEVEL_AUTO,
                                   PGT_GEOM_LPA2), 0);
    assert_false(pgt_level_has_block(&g, -1));
    assert_true(pgt_level_has_block(&g, 0)); /* 512 GiB with LPA2 */
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_16K, 48, 48, 1,
                                   PGT_GEOM_CONCAT), 0);
    assert_false(pgt_level_has_block(&g, 1));
    assert_true(pgt_level_has_block(&g, 2));
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_16K, 52, 52,
                                   PGT_LEVEL_AUTO, PGT_GEOM_LPA2), 0);
    assert_false(pgt_level_has_block(&g, 0));
    assert_true(pgt_level_has_block(&g, 1)); /* 64 GiB with LPA2 */
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_64K, 48, 48,
                                   PGT_LEVEL_AUTO, 0), 0);
    assert_false(pgt_level_has_block(&g, 1));
    assert_true(pgt_level_has_block(&g, 2));
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_64K, 52, 52,
                                   PGT_LEVEL_AUTO, 0), 0);
    assert_true(pgt_level_has_block(&g, 1)); /* 4 TiB with 52-bit OA */
}

/* ---------------- OA encoding ---------------- */

static void test_oa_encode_48bit_keeps_address_in_place(void **state)
{
    (void)state;
    struct pgt_geom g;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 48, 48, PGT_LEVEL_AUTO,
                                   0), 0);
    assert_u64(pgt_oa_encode(&g, 0xfffffffff000ull), 0xfffffffff000ull);
    /* Decode ignores attribute bits. */
    assert_u64(pgt_oa_decode(&g, 0x0060fffffffff743ull), 0xfffffffff000ull);
}

static void test_oa_encode_lpa2_puts_bits_51_50_in_9_8(void **state)
{
    (void)state;
    struct pgt_geom g;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 52, 52, PGT_LEVEL_AUTO,
                                   PGT_GEOM_LPA2), 0);
    /* PA 0x000c_0001_2345_6000: OA[49:12] in place, OA[51:50] = 0b11 in
     * [9:8]. */
    assert_u64(pgt_oa_encode(&g, 0x000c000123456000ull),
               0x0000000123456000ull | (3ull << 8));
    assert_u64(pgt_oa_decode(&g, 0x0040000123456000ull | 0x7ff),
               0x000c000123456000ull);
    /* OA[49:48] stay in place with LPA2. */
    assert_u64(pgt_oa_encode(&g, 0x0007000000001000ull),
               0x0003000000001000ull | (1ull << 8));
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_16K, 52, 52,
                                   PGT_LEVEL_AUTO, PGT_GEOM_LPA2), 0);
    assert_u64(pgt_oa_encode(&g, 0x0008000000004000ull),
               0x0000000000004000ull | (2ull << 8));
}

static void test_oa_encode_64k_lpa_puts_bits_51_48_in_15_12(void **state)
{
    (void)state;
    struct pgt_geom g;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_64K, 52, 52,
                                   PGT_LEVEL_AUTO, 0), 0);
    /* PA 0x000f_0001_2345_0000: OA[47:16] in place, OA[51:48] = 0xf in
     * [15:12]. */
    assert_u64(pgt_oa_encode(&g, 0x000f000123450000ull),
               0x000000012345f000ull);
    assert_u64(pgt_oa_decode(&g, 0x004000012345f7ffull),
               0x000f000123450000ull);
}

static void test_oa_field_mask_covers_exactly_the_address_bits(void **state)
{
    (void)state;
    struct pgt_geom g;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 48, 48, PGT_LEVEL_AUTO,
                                   0), 0);
    assert_u64(pgt_oa_field_mask(&g), 0x0000fffffffff000ull); /* [47:12] */
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_16K, 48, 48,
                                   PGT_LEVEL_AUTO, 0), 0);
    assert_u64(pgt_oa_field_mask(&g), 0x0000ffffffffc000ull); /* [47:14] */
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 52, 52, PGT_LEVEL_AUTO,
                                   PGT_GEOM_LPA2), 0);
    /* [49:12] and [9:8] */
    assert_u64(pgt_oa_field_mask(&g), 0x0003fffffffff000ull | 0x300);
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_16K, 52, 52,
                                   PGT_LEVEL_AUTO, PGT_GEOM_LPA2), 0);
    assert_u64(pgt_oa_field_mask(&g), 0x0003ffffffffc000ull | 0x300);
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_64K, 52, 52,
                                   PGT_LEVEL_AUTO, 0), 0);
    /* [47:16] and [15:12] */
    assert_u64(pgt_oa_field_mask(&g), 0x0000ffffffff0000ull | 0xf000);
}

/* ---------------- leaf attributes ---------------- */

static void test_leaf_attrs_hand_values_per_regime(void **state)
{
    (void)state;
    struct pgt_geom g, g2;
    pgt_pte_t a;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 48, 48, PGT_LEVEL_AUTO,
                                   0), 0);
    /* EL2 RW: AttrIndx 0 | AP[1] (RES1) | SH inner | AF | XN. */
    assert_int_equal(pgt_leaf_attrs(&g, PGT_REGIME_EL2, 0, PGT_PROT_RW, &a),
                     0);
    assert_u64(a, S1_ATTRINDX(0) | S1_AP1 | SH_INNER | AF | S1_XN);
    /* EL2 RX: AP[2] read-only, executable. */
    assert_int_equal(pgt_leaf_attrs(&g, PGT_REGIME_EL2, 0, PGT_PROT_RX, &a),
                     0);
    assert_u64(a, S1_ATTRINDX(0) | S1_AP1 | S1_AP2_RO | SH_INNER | AF);
    /* Stage 2 RW: MemAttr 0xf | S2AP RW | SH inner | AF | XN. */
    assert_int_equal(pgt_leaf_attrs(&g, PGT_REGIME_S2, 0, PGT_PROT_RW, &a), 0);
    assert_u64(a, MEMATTR(MA_NORMAL_WB) | S2AP_RW | SH_INNER | AF | S2_XN);
    assert_int_equal(pgt_leaf_attrs(&g, PGT_REGIME_S2, PGT_S2_FWB,
                                    PGT_PROT_RWX, &a), 0);
    assert_u64(a, MEMATTR(MA_FWB_NORMAL_WB) | S2AP_RW | SH_INNER | AF);
    /* Stage 2, LPA2 format: SH not in the descriptor. */
    assert_int_equal(pgt_geom_init(&g2, PGT_GRANULE_4K, 52, 52,
                                   PGT_LEVEL_AUTO, PGT_GEOM_LPA2), 0);
    assert_int_equal(pgt_leaf_attrs(&g2, PGT_REGIME_S2, 0, PGT_PROT_RW, &a),
                     0);
    assert_u64(a, MEMATTR(MA_NORMAL_WB) | S2AP_RW | AF | S2_XN);
    assert_int_equal(pgt_leaf_attrs(&g2, PGT_REGIME_EL2, 0, PGT_PROT_R, &a),
                     0);
    assert_u64(a, S1_ATTRINDX(0) | S1_AP1 | S1_AP2_RO | AF | S1_XN);
}

static void test_leaf_attrs_refuses_bad_prot_combinations(void **state)
{
    (void)state;
    struct pgt_geom g;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 48, 48, PGT_LEVEL_AUTO,
                                   0), 0);
    static const struct {
        enum pgt_regime regime;
        uint32_t s2flags;
        unsigned prot;
    } bad[] = {
        {PGT_REGIME_EL2, 0, 0},                                  /* no R */
        {PGT_REGIME_EL2, 0, PGT_PROT_W},                         /* no R */
        {PGT_REGIME_EL2, 0, PGT_PROT_X},                         /* no R */
        {PGT_REGIME_EL2, 0, PGT_PROT_RWX},                       /* W|X */
        {PGT_REGIME_EL2, 0, PGT_PROT_RX | PGT_PROT_DEVICE},      /* X dev */
        {PGT_REGIME_EL2, 0, PGT_PROT_R | PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC},
        {PGT_REGIME_EL2, 0, PGT_PROT_R | PGT_PROT_USER},         /* EL2 */
        {PGT_REGIME_EL2, 0, PGT_PROT_RX | PGT_PROT_PXN},         /* s1 */
        {PGT_REGIME_EL10, 0, PGT_PROT_RWX | PGT_PROT_USER},      /* W|X */
        {PGT_REGIME_EL10, 0, PGT_PROT_RX | PGT_PROT_UXN},
        {PGT_REGIME_S2, 0, PGT_PROT_RX | PGT_PROT_DEVICE},
        {PGT_REGIME_S2, 0, PGT_PROT_R | PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC},
        {PGT_REGIME_S2, 0, PGT_PROT_R | PGT_PROT_USER},
        {PGT_REGIME_S2, 0, PGT_PROT_RX | PGT_PROT_PXN},     /* needs XNX */
        {PGT_REGIME_S2, PGT_S2_XNX, PGT_PROT_R | PGT_PROT_PXN}, /* needs X */
        {PGT_REGIME_S2, PGT_S2_XNX, PGT_PROT_R | PGT_PROT_UXN}, /* needs X */
        {PGT_REGIME_S2, 0, PGT_PROT_R | (1u << 12)},        /* unknown bit */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pgt_pte_t a = 0x1234;
        int ret = pgt_leaf_attrs(&g, bad[i].regime, bad[i].s2flags,
                                 (enum pgt_prot)bad[i].prot, &a);
        if (ret != -PGT_EINVAL) {
            print_error("case %zu (regime %d prot %#x): returned %d\n", i,
                        bad[i].regime, bad[i].prot, ret);
            fail();
        }
    }
}

static void test_leaf_prot_decodes_every_accepted_prot(void **state)
{
    (void)state;
    struct pgt_geom g;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 48, 48, PGT_LEVEL_AUTO,
                                   0), 0);
    static const struct {
        enum pgt_regime regime;
        uint32_t s2flags;
        unsigned prot;
    } ok[] = {
        {PGT_REGIME_EL2, 0, PGT_PROT_R},
        {PGT_REGIME_EL2, 0, PGT_PROT_RW},
        {PGT_REGIME_EL2, 0, PGT_PROT_RX},
        {PGT_REGIME_EL2, 0, PGT_PROT_RW | PGT_PROT_DEVICE},
        {PGT_REGIME_EL2, 0, PGT_PROT_RW | PGT_PROT_NORMAL_NC},
        {PGT_REGIME_EL2, 0, PGT_PROT_RW | PGT_PROT_SW1},
        {PGT_REGIME_EL10, 0, PGT_PROT_RW | PGT_PROT_USER},
        {PGT_REGIME_EL10, 0, PGT_PROT_RX},
        {PGT_REGIME_S2, 0, 0},
        {PGT_REGIME_S2, 0, PGT_PROT_W},
        {PGT_REGIME_S2, 0, PGT_PROT_RWX},
        {PGT_REGIME_S2, 0, PGT_PROT_RW | PGT_PROT_DEVICE},
        {PGT_REGIME_S2, 0, PGT_PROT_R | PGT_PROT_NORMAL_NC},
        {PGT_REGIME_S2, PGT_S2_FWB, PGT_PROT_RWX | PGT_PROT_SW2},
        {PGT_REGIME_S2, PGT_S2_FWB, PGT_PROT_RW | PGT_PROT_DEVICE},
        {PGT_REGIME_S2, PGT_S2_XNX, PGT_PROT_RX | PGT_PROT_PXN},
        {PGT_REGIME_S2, PGT_S2_XNX, PGT_PROT_RX | PGT_PROT_UXN},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        pgt_pte_t a;
        assert_int_equal(pgt_leaf_attrs(&g, ok[i].regime, ok[i].s2flags,
                                        (enum pgt_prot)ok[i].prot, &a), 0);
        pgt_pte_t leaf = 0x80000000ull | a | D_PAGE;
        unsigned got = pgt_leaf_prot(&g, ok[i].regime, ok[i].s2flags, leaf);
        if (got != ok[i].prot) {
            print_error("case %zu: prot %#x decoded as %#x\n", i, ok[i].prot,
                        got);
            fail();
        }
    }
}

static void test_make_leaf_and_table_set_type_bits(void **state)
{
    (void)state;
    struct pgt_geom g;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 48, 48, PGT_LEVEL_AUTO,
                                   0), 0);
    uint64_t attrs = AF | SH_INNER | S2AP_RW | MEMATTR(MA_NORMAL_WB) | S2_XN;
    assert_u64(pgt_make_leaf(&g, 0x80200000, attrs, 2),
               0x80200000ull | attrs | D_BLOCK);
    assert_u64(pgt_make_leaf(&g, 0x80201000, attrs, 3),
               0x80201000ull | attrs | D_PAGE);
    assert_u64(pgt_make_table(&g, 0x4000123000ull), 0x4000123003ull);
    struct pgt_geom g2;
    assert_int_equal(pgt_geom_init(&g2, PGT_GRANULE_4K, 52, 52,
                                   PGT_LEVEL_AUTO, PGT_GEOM_LPA2), 0);
    /* Next-level table address [51:50] in [9:8] with LPA2. */
    assert_u64(pgt_make_table(&g2, 0x000c000000001000ull),
               0x1000ull | (3ull << 8) | D_TABLE);
    assert_u64(pgt_make_owner(5), 5ull << 2);
    assert_int_equal(pgt_pte_owner(5ull << 2), 5);
    assert_int_equal(pgt_pte_owner(0x80000000ull | D_PAGE | (5ull << 2)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desc_header_field_values_match_the_arm_arm),
        cmocka_unit_test(test_geom_init_computes_start_level_and_root_pages),
        cmocka_unit_test(test_geom_init_rejects_illegal_combinations),
        cmocka_unit_test(test_geom_level_sizes_and_indices),
        cmocka_unit_test(test_geom_level_has_block_follows_granule_and_oa),
        cmocka_unit_test(test_oa_encode_48bit_keeps_address_in_place),
        cmocka_unit_test(test_oa_encode_lpa2_puts_bits_51_50_in_9_8),
        cmocka_unit_test(test_oa_encode_64k_lpa_puts_bits_51_48_in_15_12),
        cmocka_unit_test(test_oa_field_mask_covers_exactly_the_address_bits),
        cmocka_unit_test(test_leaf_attrs_hand_values_per_regime),
        cmocka_unit_test(test_leaf_attrs_refuses_bad_prot_combinations),
        cmocka_unit_test(test_leaf_prot_decodes_every_accepted_prot),
        cmocka_unit_test(test_make_leaf_and_table_set_type_bits),
    };
    return cmocka_run_group_tests_name("core_geom", tests, NULL, NULL);
}
