// SPDX-License-Identifier: MIT
/*
 * Stage-2 geometry from VTCR_EL2 values (D19.2 VTCR_EL2, and the rules of
 * the AArch64.S2InvalidSL / S2InconsistentSL pseudocode), the VTCR_EL2 the
 * library reports back, and TCR_EL2 / TCR_EL1 for stage-1 tables.
 *
 * Start level from SL0 (SL2:SL0 for 4K with DS=1):
 *   4K:  SL0 0 -> L2, 1 -> L1, 2 -> L0; SL2=1,SL0=0 (DS=1) -> L-1
 *   16K: SL0 0 -> L3, 1 -> L2, 2 -> L1, 3 -> L0 (DS=1 only)
 *   64K: SL0 0 -> L3, 1 -> L2, 2 -> L1, 3 reserved
 * The IA size must satisfy shift(sl) + 1 <= ia <= shift(sl) + stride + 4:
 * at least one bit left for the start level, at most 16 concatenated
 * pages. Root pages = max(1, 2^(ia - shift(sl) - stride)).
 */
#include "core_ref.h"

#include <string.h>

/* VTCR_EL2 fields, written out from D19.2. */
#define V_T0SZ(ia) ((uint64_t)(64 - (ia)))
#define V_SL0(x) ((uint64_t)(x) << 6)
#define V_IRGN0_WBWA (1ull << 8)
#define V_ORGN0_WBWA (1ull << 10)
#define V_SH0_INNER (3ull << 12)
#define V_TG0_4K (0ull << 14)
#define V_TG0_64K (1ull << 14)
#define V_TG0_16K (2ull << 14)
#define V_PS(x) ((uint64_t)(x) << 16) /* 0:32 1:36 2:40 3:42 4:44 5:48 6:52 */
#define V_RES1 (1ull << 31)
#define V_DS (1ull << 32)
#define V_SL2 (1ull << 33)
/* What pgt_s2_vtcr() adds: inner/outer WBWA, inner shareable, RES1. */
#define V_ATTRS (V_IRGN0_WBWA | V_ORGN0_WBWA | V_SH0_INNER | V_RES1)

struct vcase {
    uint64_t vtcr;
    unsigned gs, ia;
    int sl;         /* expected start level */
    unsigned pages; /* expected root pages */
};

static const struct vcase legal[] = {
    /* 4K, 40-bit IPA, SL0=1: level 1, 2^(40-30) = 1024 entries: 2 pages */
    {V_T0SZ(40) | V_SL0(1) | V_TG0_4K | V_PS(2), 12, 40, 1, 2},
    /* 4K, 43-bit at level 1: 2^13 entries = 16 pages */
    {V_T0SZ(43) | V_SL0(1) | V_TG0_4K | V_PS(4), 12, 43, 1, 16},
    /* 4K, 48-bit at level 0: 512 entries, 1 page */
    {V_T0SZ(48) | V_SL0(2) | V_TG0_4K | V_PS(5), 12, 48, 0, 1},
    /* 4K, 40-bit at level 0: 2 entries (ia >= 39 + 1) */
    {V_T0SZ(40) | V_SL0(2) | V_TG0_4K | V_PS(5), 12, 40, 0, 1},
    /* 4K, 39-bit at level 1: 512 entries */
    {V_T0SZ(39) | V_SL0(1) | V_TG0_4K | V_PS(2), 12, 39, 1, 1},
    /* 4K, 32-bit at level 1: 4 entries */
    {V_T0SZ(32) | V_SL0(1) | V_TG0_4K | V_PS(0), 12, 32, 1, 1},
    /* 4K, 34-bit at level 2: 2^13 entries = 16 pages */
    {V_T0SZ(34) | V_SL0(0) | V_TG0_4K | V_PS(1), 12, 34, 2, 16},
    /* 4K, 25-bit at level 3 (SL0=3, FEAT_TTST): 2^13 entries = 16 pages */
    {V_T0SZ(25) | V_SL0(3) | V_TG0_4K | V_PS(0), 12, 25, 3, 16},
    /* 4K, 25-bit at level 2: 16 entries */
    {V_T0SZ(25) | V_SL0(0) | V_TG0_4K | V_PS(0), 12, 25, 2, 1},
    /* 16K, 48-bit must start at level 1 without DS: 2^12 = 2 pages */
    {V_T0SZ(48) | V_SL0(2) | V_TG0_16K | V_PS(5), 14, 48, 1, 2},
    /* 16K, 40-bit at level 2: 2^15 entries = 16 pages */
    {V_T0SZ(40) | V_SL0(1) | V_TG0_16K | V_PS(2), 14, 40, 2, 16},
    /* 16K, 36-bit at level 2: 2048 entries, 1 page */
    {V_T0SZ(36) | V_SL0(1) | V_TG0_16K | V_PS(1), 14, 36, 2, 1},
    /* 16K, 42-bit at level 1: 64 entries */
    {V_T0SZ(42) | V_SL0(2) | V_TG0_16K | V_PS(3), 14, 42, 1, 1},
    /* 16K, 29-bit at level 3: 2^15 entries = 16 pages */
    {V_T0SZ(29) | V_SL0(0) | V_TG0_16K | V_PS(0), 14, 29, 3, 16},
    /* 64K, 48-bit at level 1: 64 entries */
    {V_T0SZ(48) | V_SL0(2) | V_TG0_64K | V_PS(5), 16, 48, 1, 1},
    /* 64K, 46-bit at level 2: 2^17 entries = 16 pages */
    {V_T0SZ(46) | V_SL0(1) | V_TG0_64K | V_PS(5), 16, 46, 2, 16},
    /* 64K, 42-bit at level 2: 8192 entries, 1 page */
    {V_T0SZ(42) | V_SL0(1) | V_TG0_64K | V_PS(3), 16, 42, 2, 1},
    /* 64K, 52-bit IPA (FEAT_LPA) at level 1: 1024 entries */
    {V_T0SZ(52) | V_SL0(2) | V_TG0_64K | V_PS(6), 16, 52, 1, 1},
    /* 4K + LPA2, 52-bit at level -1 (SL2=1, SL0=0): 16 entries */
    {V_T0SZ(52) | V_SL2 | V_SL0(0) | V_TG0_4K | V_PS(6) | V_DS, 12, 52, -1,
     1},
    /* 4K + LPA2, 52-bit at level 0: 2^13 entries = 16 pages */
    {V_T0SZ(52) | V_SL0(2) | V_TG0_4K | V_PS(6) | V_DS, 12, 52, 0, 16},
    /* 16K + LPA2, 52-bit at level 0 (SL0=3 needs DS): 32 entries */
    {V_T0SZ(52) | V_SL0(3) | V_TG0_16K | V_PS(6) | V_DS, 14, 52, 0, 1},
};

static void test_s2_init_vtcr_gives_start_level_and_root_pages(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++) {
        const struct vcase *c = &legal[i];
        struct tmm m;
        struct pgt p;
        tmm_init(&m, (size_t)1 << c->gs, 40, ARENA_PA);
        int ret = pgt_s2_init_vtcr(&p, c->vtcr, 0, &tmm_ops, NULL, NULL);
        if (ret) {
            print_error("case %zu: vtcr %#llx: init returned %d\n", i,
                        (unsigned long long)c->vtcr, ret);
            fail();
        }
        if (p.geom.start_level != c->sl || p.geom.nr_root_pages != c->pages ||
            p.geom.granule_shift != c->gs || p.geom.ia_bits != c->ia) {
            print_error("case %zu: vtcr %#llx: level %d pages %u gs %u ia %u;"
                        " expected %d %u %u %u\n",
                        i, (unsigned long long)c->vtcr, p.geom.start_level,
                        p.geom.nr_root_pages, p.geom.granule_shift,
                        p.geom.ia_bits, c->sl, c->pages, c->gs, c->ia);
            fail();
        }
        assert_int_equal(p.regime, PGT_REGIME_S2);
        /* The root really is that many zeroed, contiguous pages. */
        assert_int_equal(m.live, c->pages);
        for (size_t b = 0; b < c->pages * ((size_t)1 << c->gs); b++)
            assert_int_equal(((uint8_t *)p.pgd)[b], 0);
        assert_u64(p.pgd_phys, ref_pa(&m, p.pgd));
        /* A concatenated root is aligned to its size. */
        assert_u64(p.pgd_phys % ((uint64_t)c->pages << c->gs), 0);
        pgt_s2_destroy(&p);
        assert_int_equal(m.live, 0);
        tmm_fini(&m);
    }
}

static void test_s2_vtcr_reports_back_the_value_it_was_built_from(
    void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++) {
        const struct vcase *c = &legal[i];
        struct tmm m;
        struct pgt p;
        tmm_init(&m, (size_t)1 << c->gs, 40, ARENA_PA);
        assert_int_equal(pgt_s2_init_vtcr(&p, c->vtcr, 0, &tmm_ops, NULL, NULL), 0);
        uint64_t got = pgt_s2_vtcr(&p);
        if (got != (c->vtcr | V_ATTRS)) {
            print_error("case %zu: pgt_s2_vtcr = %#llx, expected %#llx\n", i,
                        (unsigned long long)got,
                        (unsigned long long)(c->vtcr | V_ATTRS));
            fail();
        }
        pgt_s2_destroy(&p);
        tmm_fini(&m);
    }
}

static bool never_force(uint64_t addr, uint64_t end, enum pgt_prot prot)
{
    (void)addr;
    (void)end;
    (void)prot;
    return false;
}

static void test_s2_init_vtcr_keeps_flags_and_pte_ops(void **state)
{
    (void)state;
    static const struct pgt_pte_ops ops = {.force_pte = never_force};
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_4K, 8, ARENA_PA);
    assert_int_equal(pgt_s2_init_vtcr(&p, 0x80023558ull,
                                      PGT_S2_FWB | PGT_S2_XNX, &tmm_ops, NULL,
                                      &ops),
                     0);
    assert_int_equal(p.flags, PGT_S2_FWB | PGT_S2_XNX);
    assert_ptr_equal(p.pte_ops, &ops);
    assert_ptr_equal(p.mm_ops, &tmm_ops);
    assert_int_equal(p.regime, PGT_REGIME_S2);
    /* FWB shows in the descriptors: MemAttr 0b0110. */
    assert_int_equal(pgt_s2_map(&p, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, 0), 0);
    pgt_pte_t pte;
    assert_int_equal(pgt_get_leaf(&p, 0x40000000, &pte, NULL), 0);
    assert_u64(pte, 0x80000000ull | S2_XN | AF | SH_INNER | S2AP_RW |
                        MEMATTR(MA_FWB_NORMAL_WB) | D_PAGE);
    pgt_s2_destroy(&p);
    assert_int_equal(m.live, 0);
    tmm_fini(&m);
}

static void test_s2_vtcr_of_4k_40bit_level1_table_is_0x80023558(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* T0SZ 24 | SL0 1<<6 | IRGN0 1<<8 | ORGN0 1<<10 | SH0 3<<12 | TG0 0 |
     * PS 2<<16 | RES1 1<<31 */
    assert_u64(pgt_s2_vtcr(&f.pgt), 0x18ull | 0x40 | 0x100 | 0x400 | 0x3000 |
                                        0x20000 | 0x80000000ull);
    assert_u64(pgt_s2_vtcr(&f.pgt), 0x80023558ull);
    fx_fini(&f);
}

static void test_s2_init_vtcr_rejects_illegal_combinations(void **state)
{
    (void)state;
    static const struct {
        uint64_t vtcr;
        unsigned gs;
        const char *why;
    } bad[] = {
        {V_T0SZ(44) | V_SL0(1) | V_TG0_4K | V_PS(4), 12,
         "4K 44-bit at L1 needs 32 pages"},
        {V_T0SZ(48) | V_SL0(1) | V_TG0_4K | V_PS(5), 12,
         "4K 48-bit at L1 needs 512 pages"},
        {V_T0SZ(38) | V_SL0(2) | V_TG0_4K | V_PS(5), 12,
         "4K L0 start needs at least 40 bits"},
        {V_T0SZ(30) | V_SL0(1) | V_TG0_4K | V_PS(2), 12,
         "4K L1 start needs at least 31 bits"},
        {V_T0SZ(35) | V_SL0(0) | V_TG0_4K | V_PS(2), 12,
         "4K 35-bit at L2 needs 32 pages"},
        {V_T0SZ(48) | V_SL0(3) | V_TG0_64K | V_PS(5), 16,
         "64K SL0=3 is reserved"},
        {V_T0SZ(48) | V_SL0(2) | (3ull << 14) | V_PS(5), 12,
         "TG0=0b11 is reserved"},
        {V_T0SZ(48) | V_SL0(2) | V_TG0_4K | V_PS(7), 12,
         "PS=0b111 is reserved"},
        {V_T0SZ(52) | V_SL0(2) | V_TG0_4K | V_PS(6), 12,
         "4K 52-bit IPA without DS"},
        {V_T0SZ(48) | V_SL0(2) | V_TG0_4K | V_PS(6), 12,
         "4K 52-bit PA without DS"},
        {V_T0SZ(48) | V_SL2 | V_SL0(0) | V_TG0_4K | V_PS(5), 12,
         "SL2 without DS"},
        {V_T0SZ(52) | V_SL2 | V_SL0(1) | V_TG0_4K | V_PS(6) | V_DS, 12,
         "SL2:SL0 = 0b101 is reserved"},
        {V_T0SZ(52) | V_SL0(2) | V_TG0_16K | V_PS(6) | V_DS, 14,
         "16K 52-bit at L1 needs 32 pages"},
        {V_T0SZ(24) | V_SL0(0) | V_TG0_4K | V_PS(0), 12,
         "IPA smaller than 25 bits"},
        {V_T0SZ(53) | V_SL2 | V_SL0(0) | V_TG0_4K | V_PS(6) | V_DS, 12,
         "IPA larger than 52 bits"},
        {V_T0SZ(28) | V_SL0(1) | V_TG0_64K | V_PS(2), 16,
         "64K L2 start needs at least 30 bits"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tmm m;
        struct pgt p;
        tmm_init(&m, (size_t)1 << bad[i].gs, 40, ARENA_PA);
        memset(&p, 0xab, sizeof(p));
        struct pgt before = p;
        int ret = pgt_s2_init_vtcr(&p, bad[i].vtcr, 0, &tmm_ops, NULL, NULL);
        if (ret != -PGT_EINVAL) {
            print_error("vtcr %#llx (%s): returned %d, expected -EINVAL\n",
                        (unsigned long long)bad[i].vtcr, bad[i].why, ret);
            fail();
        }
        assert_memory_equal(&p, &before, sizeof(p));
        assert_int_equal(m.allocs, 0);
        assert_int_equal(m.live, 0);
        tmm_fini(&m);
    }
}

/* Was BUGS.md (utest -> core), fixed in 7e99cba. */
static void test_s2_init_vtcr_rejects_16k_sl0_3_without_ds(void **state)
{
    (void)state;
    /* AArch64.S2InvalidSL: TG0=16K, SL0=0b11 is valid only with DS=1
     * (R_DXBSH: a 16K 48-bit IPA starts at level 1, 2 pages). */
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_16K, 8, ARENA_PA);
    assert_int_equal(pgt_s2_init_vtcr(&p, V_T0SZ(48) | V_SL0(3) | V_TG0_16K |
                                              V_PS(5),
                                      0, &tmm_ops, NULL, NULL),
                     -PGT_EINVAL);
    /* The direct init has the same rule. */
    const struct pgt_s2_cfg cfg = {.granule = PGT_GRANULE_16K,
                                   .ia_bits = 48,
                                   .oa_bits = 48,
                                   .start_level = 0};
    assert_int_equal(pgt_s2_init(&p, &cfg, &tmm_ops, NULL, NULL), -PGT_EINVAL);
    assert_int_equal(m.allocs, 0);
    tmm_fini(&m);
}

static void test_s2_init_auto_picks_fewest_levels_with_at_most_16_pages(
    void **state)
{
    (void)state;
    /* s2.h: PGT_LEVEL_AUTO = the highest level (fewest lookups) whose
     * root needs at most 16 concatenated pages, as KVM does. */
    static const struct {
        unsigned gs, ia, oa;
        uint32_t gflags;
        int sl;
        unsigned pages;
    } c[] = {
        {12, 40, 40, 0, 1, 2},  /* L1: 2 pages (L2 would need 512) */
        {12, 43, 44, 0, 1, 16}, /* L1: 16 pages */
        {12, 44, 44, 0, 0, 1},  /* L1 would need 32: L0 */
        {12, 48, 48, 0, 0, 1},
        {12, 34, 36, 0, 2, 16}, /* L2: 16 pages */
        {14, 48, 48, 0, 1, 2},  /* 16K: L1, 2 pages */
        {14, 40, 40, 0, 2, 16}, /* 16K: L2, 16 pages */
        {16, 48, 48, 0, 1, 1},  /* 64K: L2 would need 64 pages */
        {16, 46, 48, 0, 2, 16}, /* 64K: L2, 16 pages */
        {12, 52, 52, PGT_GEOM_LPA2, 0, 16}, /* L0: 16 pages, not L-1 */
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct tmm m;
        struct pgt p;
        tmm_init(&m, (size_t)1 << c[i].gs, 40, ARENA_PA);
        const struct pgt_s2_cfg cfg = {.granule = (enum pgt_granule)c[i].gs,
                                       .ia_bits = c[i].ia,
                                       .oa_bits = c[i].oa,
                                       .start_level = PGT_LEVEL_AUTO,
                                       .geom_flags = c[i].gflags};
        assert_int_equal(pgt_s2_init(&p, &cfg, &tmm_ops, NULL, NULL), 0);
        if (p.geom.start_level != c[i].sl ||
            p.geom.nr_root_pages != c[i].pages) {
            print_error("case %zu: level %d pages %u, expected %d %u\n", i,
                        p.geom.start_level, p.geom.nr_root_pages, c[i].sl,
                        c[i].pages);
            fail();
        }
        pgt_s2_destroy(&p);
        tmm_fini(&m);
    }
}

/* ---------------- TCR_EL2 / TCR_EL1 ---------------- */

/* TCR_EL2 (nVHE) fields: T0SZ [5:0], IRGN0 [9:8], ORGN0 [11:10],
 * SH0 [13:12], TG0 [15:14] (0 4K, 1 64K, 2 16K), PS [18:16], RES1 bits 23
 * and 31, DS bit 32. */
#define T2_BASE (0x100ull | 0x400 | 0x3000 | (1ull << 23) | (1ull << 31))

static uint64_t hyp_tcr(unsigned gs, unsigned va, unsigned oa, uint32_t gflags)
{
    struct tmm m;
    struct pgt p;
    tmm_init(&m, (size_t)1 << gs, 4, ARENA_PA);
    assert_int_equal(pgt_s1_init(&p, PGT_REGIME_EL2, va, (enum pgt_granule)gs,
                                 oa, gflags, &tmm_ops, NULL), 0);
    uint64_t tcr = pgt_s1_tcr(&p);
    pgt_hyp_destroy(&p);
    tmm_fini(&m);
    return tcr;
}

static void test_s1_tcr_el2_holds_t0sz_tg0_ps_and_res1_bits(void **state)
{
    (void)state;
    /* 4K, 48-bit VA, 48-bit PA: T0SZ 16, PS 5. */
    assert_u64(hyp_tcr(12, 48, 48, 0), 16ull | (5ull << 16) | T2_BASE);
    assert_u64(hyp_tcr(12, 48, 48, 0), 0x80853510ull);
    /* 16K: TG0 = 0b10. */
    assert_u64(hyp_tcr(14, 48, 48, 0), 0x8085b510ull);
    /* 64K: TG0 = 0b01. */
    assert_u64(hyp_tcr(16, 48, 48, 0), 0x80857510ull);
    /* 4K, 39-bit VA, 40-bit PA: T0SZ 25, PS 2. */
    assert_u64(hyp_tcr(12, 39, 40, 0), 25ull | (2ull << 16) | T2_BASE);
    /* 4K + LPA2, 52-bit VA and PA: T0SZ 12, PS 6, DS; SH0 still inner
     * (with DS=1 shareability comes only from TCR.SH0). */
    assert_u64(hyp_tcr(12, 52, 52, PGT_GEOM_LPA2),
               12ull | (6ull << 16) | T2_BASE | (1ull << 32));
    /* 64K, 52-bit VA and PA (FEAT_LVA/FEAT_LPA): no DS (4K/16K only). */
    assert_u64(hyp_tcr(16, 52, 52, 0),
               12ull | (1ull << 14) | (6ull << 16) | T2_BASE);
    /* 16K + LPA2: TG0 = 0b10, DS. */
    assert_u64(hyp_tcr(14, 52, 52, PGT_GEOM_LPA2),
               12ull | (2ull << 14) | (6ull << 16) | T2_BASE | (1ull << 32));
}

static void test_s1_tcr_el1_sets_ttbr0_fields_ips_and_epd1(void **state)
{
    (void)state;
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_4K, 4, ARENA_PA);
    assert_int_equal(pgt_s1_init(&p, PGT_REGIME_EL10, 39, PGT_GRANULE_4K, 40,
                                 0, &tmm_ops, NULL), 0);
    uint64_t tcr = pgt_s1_tcr(&p);
    /* TCR_EL1: T0SZ [5:0], EPD0 bit 7, IRGN0/ORGN0/SH0/TG0 [15:8],
     * EPD1 bit 23, IPS [34:32]. Other fields are the embedder's. */
    uint64_t mask = 0x3full | (1ull << 7) | 0xff00ull | (1ull << 23) |
                    (3ull << 30) | (7ull << 32);
    /* TG1 [31:30] matches the granule: 0b10 4K, 0b01 16K, 0b11 64K. */
    assert_u64(tcr & mask, 25ull | 0x100 | 0x400 | 0x3000 | (1ull << 23) |
                               (2ull << 30) | (2ull << 32));
    pgt_hyp_destroy(&p);
    tmm_fini(&m);
    /* A 16K table takes 16K pages (its own arena). */
    tmm_init(&m, SZ_16K, 4, ARENA_PA);
    assert_int_equal(pgt_s1_init(&p, PGT_REGIME_EL10, 48, PGT_GRANULE_16K, 48,
                                 0, &tmm_ops, NULL), 0);
    assert_u64(pgt_s1_tcr(&p) & mask, 16ull | 0x100 | 0x400 | 0x3000 |
                                          (2ull << 14) | (1ull << 23) |
                                          (1ull << 30) | (5ull << 32));
    pgt_hyp_destroy(&p);
    tmm_fini(&m);
    tmm_init(&m, SZ_64K, 4, ARENA_PA);
    assert_int_equal(pgt_s1_init(&p, PGT_REGIME_EL10, 48, PGT_GRANULE_64K, 48,
                                 0, &tmm_ops, NULL), 0);
    assert_u64(pgt_s1_tcr(&p) & mask, 16ull | 0x100 | 0x400 | 0x3000 |
                                          (1ull << 14) | (1ull << 23) |
                                          (3ull << 30) | (5ull << 32));
    pgt_hyp_destroy(&p);
    tmm_fini(&m);
}

static void test_register_values_are_0_for_null_or_destroyed_table(
    void **state)
{
    (void)state;
    assert_u64(pgt_s2_vtcr(NULL), 0);
    assert_u64(pgt_s1_tcr(NULL), 0);
    assert_u64(pgt_ttbr_baddr(NULL), 0);
    assert_u64(pgt_count_table_pages(NULL), 0);
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    pgt_s2_destroy(&f.pgt);
    assert_u64(pgt_s2_vtcr(&f.pgt), 0);
    assert_u64(pgt_ttbr_baddr(&f.pgt), 0);
    assert_u64(pgt_count_table_pages(&f.pgt), 0);
    tmm_fini(&f.m);
    fx_hyp(&f, 12, 48, 0);
    pgt_hyp_destroy(&f.pgt);
    assert_u64(pgt_s1_tcr(&f.pgt), 0);
    tmm_fini(&f.m);
}

static void test_s1_tcr_el1_with_lpa2_sets_ds_bit_59_and_ips_52(
    void **state)
{
    (void)state;
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_4K, 4, ARENA_PA);
    assert_int_equal(pgt_s1_init(&p, PGT_REGIME_EL10, 52, PGT_GRANULE_4K, 52,
                                 PGT_GEOM_LPA2, &tmm_ops, NULL), 0);
    uint64_t tcr = pgt_s1_tcr(&p);
    /* TCR_EL1.DS is bit 59 (bit 32 is IPS[0] there, unlike TCR_EL2). */
    uint64_t mask = 0x3full | (1ull << 7) | 0xff00ull | (1ull << 23) |
                    (7ull << 32) | (1ull << 59);
    assert_u64(tcr & mask, 12ull | 0x100 | 0x400 | 0x3000 | (1ull << 23) |
                               (6ull << 32) | (1ull << 59));
    pgt_hyp_destroy(&p);
    tmm_fini(&m);
}

static void test_ttbr_baddr_is_root_pa_below_48_bits(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 43, 44, 1, 0, 0);
    assert_u64(pgt_ttbr_baddr(&f.pgt), ref_pa(&f.m, f.pgt.pgd));
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s2_init_vtcr_gives_start_level_and_root_pages),
        cmocka_unit_test(
            test_s2_vtcr_reports_back_the_value_it_was_built_from),
        cmocka_unit_test(test_s2_vtcr_of_4k_40bit_level1_table_is_0x80023558),
        cmocka_unit_test(test_s2_init_vtcr_keeps_flags_and_pte_ops),
        cmocka_unit_test(test_s2_init_vtcr_rejects_illegal_combinations),
        cmocka_unit_test(test_s2_init_vtcr_rejects_16k_sl0_3_without_ds),
        cmocka_unit_test(
            test_s2_init_auto_picks_fewest_levels_with_at_most_16_pages),
        cmocka_unit_test(test_s1_tcr_el2_holds_t0sz_tg0_ps_and_res1_bits),
        cmocka_unit_test(test_s1_tcr_el1_sets_ttbr0_fields_ips_and_epd1),
        cmocka_unit_test(test_s1_tcr_el1_with_lpa2_sets_ds_bit_59_and_ips_52),
        cmocka_unit_test(test_ttbr_baddr_is_root_pa_below_48_bits),
        cmocka_unit_test(
            test_register_values_are_0_for_null_or_destroyed_table),
    };
    return cmocka_run_group_tests_name("core_vtcr", tests, NULL, NULL);
}
