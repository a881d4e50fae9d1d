// SPDX-License-Identifier: MIT
/*
 * Every stage-1 regime: EL3, EL2 (E2H = 0), EL2&0 (E2H = 1) and EL1&0,
 * the last two with both VA ranges. Descriptors and register values are
 * written out here field by field from the Arm ARM (DDI 0487: D8.3.2
 * stage-1 attribute fields, D8.4 permissions, D19.2 TCR_EL1 / TCR_EL2 /
 * TCR_EL3 / TTBRn_ELx / MAIR_ELx); the reference reader (core_ref.c)
 * walks the tables by hand.
 *
 * An upper-range (TTBR1) table with a 48-bit VA translates
 * 0xffff000000000000 .. 0xffffffffffffffff; the hardware indexes its root
 * with VA[47:39] (4K), which is what the reference reader does with the
 * full VA too.
 */
#include "core_ref.h"

#include <stdio.h>
#include <string.h>

#include "pgtable/check.h"
#include "pgtable/dump.h"

/* Attribute sets written out (core_ref.h names the fields). */
#define NORMAL (AF | SH_INNER | S1_ATTRINDX(MAIR_NORMAL))
#define UXN S1_XN /* bit 54: UXN in the two-EL regimes, XN in EL2/EL3 */
#define S1_NS (1ull << 5)

/* TCR fields (D19.2), written from the register descriptions. */
#define T_T0SZ(n) ((uint64_t)(n))
#define T_EPD0 (1ull << 7)
#define T_WALK0                                                                \
    ((1ull << 8) | (1ull << 10) | (3ull << 12)) /* IRGN0 ORGN0 SH0 */
#define T_TG0_4K (0ull << 14)
#define T_TG0_64K (1ull << 14)
#define T_TG0_16K (2ull << 14)
#define T_PS(n) ((uint64_t)(n) << 16) /* TCR_EL3 / TCR_EL2 (E2H = 0) */
#define T_RES1_EL3 ((1ull << 31) | (1ull << 23))
#define T_DS_EL3 (1ull << 32)
#define T_T1SZ(n) ((uint64_t)(n) << 16)
#define T_EPD1 (1ull << 23)
#define T_WALK1                                                                \
    ((1ull << 24) | (1ull << 26) | (3ull << 28)) /* IRGN1 ORGN1 SH1 */
#define T_TG1_16K (1ull << 30)
#define T_TG1_4K (2ull << 30)
#define T_TG1_64K (3ull << 30)
#define T_IPS(n) ((uint64_t)(n) << 32)
#define T_AS (1ull << 36)
#define T_DS (1ull << 59)
/* PS/IPS: 0b010 40 bits, 0b101 48 bits, 0b110 52 bits. */
#define PS40 2
#define PS48 5
#define PS52 6

#define UPPER48 0xffff000000000000ull /* 2^64 - 2^48 */
#define UPPER39 0xffffff8000000000ull /* 2^64 - 2^39 */

static void fx_s1(struct fx *f, enum pgt_regime regime, unsigned gs,
                  unsigned va, int sl, uint32_t flags)
{
    fx_s1_(f, regime, gs, va, 48, sl, flags, 64, ARENA_PA, __FILE__, __LINE__);
    tmm_log_clear(&f->m);
}

/* ---------------- EL3 ---------------- */

static void test_el3_page_descriptors_have_ap1_set_and_one_xn_bit(void **state)
{
    (void)state;
    struct fx f;
    fx_s1(&f, PGT_REGIME_EL3, 12, 39, 1, 0);
    assert_int_equal(f.pgt.regime, PGT_REGIME_EL3);
    assert_int_equal(pgt_s1_map(&f.pgt, 0x1000, SZ_4K, 0x80001000, PGT_PROT_RW),
                     0);
    assert_int_equal(pgt_s1_map(&f.pgt, 0x2000, SZ_4K, 0x80002000, PGT_PROT_RX),
                     0);
    assert_int_equal(pgt_s1_map(&f.pgt, 0x3000, SZ_4K, 0x80003000,
                                PGT_PROT_RW | PGT_PROT_NS),
                     0);
    /* RW: AP[2:1] = 0b01 (AP[1] RES1 with one privilege level), XN. */
    assert_u64(E(&f, 0x1000, 3),
               0x80001000ull | UXN | NORMAL | S1_AP1 | D_PAGE);
    assert_u64(E(&f, 0x1000, 3), 0x0040000080001743ull);
    /* RX: AP[2:1] = 0b11, XN clear. */
    assert_u64(E(&f, 0x2000, 3),
               0x80002000ull | NORMAL | S1_AP1 | S1_AP2_RO | D_PAGE);
    /* NS (bit 5): the non-secure PA space. */
    assert_u64(E(&f, 0x3000, 3),
               0x80003000ull | UXN | NORMAL | S1_AP1 | S1_NS | D_PAGE);
    enum pgt_prot prot = 0;
    uint64_t pa = 0;
    assert_int_equal(pgt_translate(&f.pgt, 0x3008, &pa, &prot), 0);
    assert_u64(pa, 0x80003008);
    assert_int_equal(prot, PGT_PROT_RW | PGT_PROT_NS);
    assert_int_equal(pgt_translate(&f.pgt, 0x2000, &pa, &prot), 0);
    assert_int_equal(prot, PGT_PROT_RX);
    fx_fini(&f);
}

static void test_el3_tcr_has_res1_bits_ps_and_ds(void **state)
{
    (void)state;
    struct fx f;
    fx_s1(&f, PGT_REGIME_EL3, 12, 39, 1, 0);
    /* 4K, 39-bit VA, 48-bit PA: T0SZ 25, PS 0b101. */
    assert_u64(pgt_s1_tcr(&f.pgt),
               T_T0SZ(25) | T_WALK0 | T_TG0_4K | T_PS(PS48) | T_RES1_EL3);
    assert_u64(pgt_s1_tcr(&f.pgt), 0x80853519ull);
    uint64_t ttbr = 1;
    assert_int_equal(pgt_s1_ttbr(&f.pgt, 0, &ttbr), 0);
    assert_u64(ttbr, ARENA_PA); /* the root: the arena's first page */
    fx_fini(&f);
    /* 16K, 48-bit VA with LPA2 (52-bit PA allowed): DS is bit 32. */
    fx_s1_(&f, PGT_REGIME_EL3, 14, 48, 52, 0, PGT_S1_LPA2, 8, ARENA_PA,
           __FILE__, __LINE__);
    assert_u64(pgt_s1_tcr(&f.pgt), T_T0SZ(16) | T_WALK0 | T_TG0_16K |
                                       T_PS(PS52) | T_RES1_EL3 | T_DS_EL3);
    fx_fini(&f);
    /* 64K, 42-bit VA. */
    fx_s1(&f, PGT_REGIME_EL3, 16, 42, 2, 0);
    assert_u64(pgt_s1_tcr(&f.pgt),
               T_T0SZ(22) | T_WALK0 | T_TG0_64K | T_PS(PS48) | T_RES1_EL3);
    fx_fini(&f);
}

/* ---------------- EL2&0 and EL1&0: two privilege levels ---------------- */

static void check_two_el_encoding(enum pgt_regime regime, uint32_t flags,
                                  uint64_t base)
{
    struct fx f;
    fx_s1(&f, regime, 12, 48, 0, flags);
    const struct {
        uint64_t off;
        enum pgt_prot prot;
        uint64_t attrs;
    } c[] = {
        /* kernel data: AP[2:1] = 0b00, PXN and UXN */
        {0x1000, PGT_PROT_RW, NORMAL | S1_PXN | UXN},
        /* kernel code: AP[2:1] = 0b10, UXN only */
        {0x2000, PGT_PROT_RX, NORMAL | S1_AP2_RO | UXN},
        /* user data: AP[2:1] = 0b01 */
        {0x3000, PGT_PROT_RW | PGT_PROT_USER, NORMAL | S1_AP1 | S1_PXN | UXN},
        /* user code: AP[2:1] = 0b11, PXN only */
        {0x4000, PGT_PROT_RX | PGT_PROT_USER,
         NORMAL | S1_AP1 | S1_AP2_RO | S1_PXN},
        /* not global: nG (bit 11) */
        {0x5000, PGT_PROT_R | PGT_PROT_NG,
         NORMAL | S1_AP2_RO | S1_PXN | UXN | S1_NG},
        /* device, user read-only */
        {0x6000, PGT_PROT_R | PGT_PROT_DEVICE | PGT_PROT_USER,
         AF | SH_INNER | S1_ATTRINDX(MAIR_DEVICE) | S1_AP1 | S1_AP2_RO |
             S1_PXN | UXN},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        uint64_t va = base + c[i].off, pa = 0x80000000ull + c[i].off;
        assert_int_equal(pgt_s1_map(&f.pgt, va, SZ_4K, pa, c[i].prot), 0);
        assert_u64(E(&f, va, 3), pa | c[i].attrs | D_PAGE);
        enum pgt_prot back = 0;
        assert_int_equal(pgt_translate(&f.pgt, va, NULL, &back), 0);
        assert_int_equal(back, c[i].prot);
    }
    fx_fini(&f);
}

static void test_el20_and_el10_descriptors_in_both_ranges(void **state)
{
    (void)state;
    check_two_el_encoding(PGT_REGIME_EL20, 0, 0);
    check_two_el_encoding(PGT_REGIME_EL20, PGT_S1_UPPER, UPPER48);
    check_two_el_encoding(PGT_REGIME_EL10, 0, 0);
    check_two_el_encoding(PGT_REGIME_EL10, PGT_S1_UPPER, UPPER48);
}

static void test_upper_range_blocks_at_every_granule(void **state)
{
    (void)state;
    struct fx f;
    /* 4K, 39-bit upper range (from 0xffffff8000000000): start level 1;
     * a 1G block at the top of the range and a 2M block. */
    fx_s1(&f, PGT_REGIME_EL10, 12, 39, 1, PGT_S1_UPPER);
    assert_u64(pgt_ia_start(&f.pgt), UPPER39);
    assert_int_equal(pgt_s1_map(&f.pgt, 0xffffffffc0000000ull, SZ_1G,
                                0x40000000, PGT_PROT_RW),
                     0);
    assert_int_equal(
        pgt_s1_map(&f.pgt, UPPER39 + SZ_2M, SZ_2M, 0x80200000, PGT_PROT_R), 0);
    /* VA[38:30] = 511: the root's last entry. */
    assert_u64(f.pgt.pgd[511], 0x40000000ull | NORMAL | S1_PXN | UXN | D_BLOCK);
    assert_u64(E(&f, UPPER39 + SZ_2M, 2),
               0x80200000ull | NORMAL | S1_AP2_RO | S1_PXN | UXN | D_BLOCK);
    pgt_pte_t pte = 0;
    int level = -9;
    assert_int_equal(pgt_get_leaf(&f.pgt, 0xfffffffffffff000ull, &pte, &level),
                     0);
    assert_int_equal(level, 1);
    assert_u64(pte, f.pgt.pgd[511]);
    uint64_t pa = 0;
    assert_int_equal(pgt_translate(&f.pgt, 0xffffffffc0123456ull, &pa, NULL),
                     0);
    assert_u64(pa, 0x40123456);
    assert_int_equal(pgt_s1_unmap(&f.pgt, UPPER39, 1ull << 39),
                     (int64_t)(SZ_1G + SZ_2M));
    fx_fini(&f);

    /* 16K, 47-bit upper range: start level 1, 32M blocks at level 2. */
    fx_s1(&f, PGT_REGIME_EL20, 14, 47, 1, PGT_S1_UPPER);
    assert_u64(pgt_ia_start(&f.pgt), 0xffff800000000000ull);
    assert_int_equal(pgt_s1_map(&f.pgt, 0xffff800002000000ull, SZ_32M,
                                0x82000000, PGT_PROT_RW),
                     0);
    assert_u64(E(&f, 0xffff800002000000ull, 2),
               0x82000000ull | NORMAL | S1_PXN | UXN | D_BLOCK);
    fx_fini(&f);

    /* 64K, 48-bit upper range: start level 1 (64 entries), 512M blocks. */
    fx_s1(&f, PGT_REGIME_EL10, 16, 48, 1, PGT_S1_UPPER);
    assert_int_equal(pgt_s1_map(&f.pgt, 0xffffffffe0000000ull, SZ_512M,
                                0xe0000000, PGT_PROT_RX),
                     0);
    assert_u64(E(&f, 0xffffffffe0000000ull, 2),
               0xe0000000ull | NORMAL | S1_AP2_RO | UXN | D_BLOCK);
    fx_fini(&f);
}

static int record_visit(const struct pgt_visit_ctx *ctx,
                        enum pgt_walk_flags visit)
{
    uint64_t *seen = ctx->arg;
    (void)visit;
    if (pgt_pte_is_leaf(ctx->old, ctx->level)) {
        seen[seen[0] + 1] = ctx->addr;
        seen[0]++;
        seen[9] = ctx->end;
    }
    return 0;
}

static void test_upper_range_walk_tlb_hooks_and_dump_see_full_vas(void **state)
{
    (void)state;
    struct fx f;
    fx_s1(&f, PGT_REGIME_EL10, 12, 48, 0, PGT_S1_UPPER);
    const uint64_t top = 0xfffffffffffff000ull;
    assert_int_equal(
        pgt_s1_map(&f.pgt, UPPER48 + 0x5000, SZ_4K, 0x80005000, PGT_PROT_RW),
        0);
    assert_int_equal(pgt_s1_map(&f.pgt, top, SZ_4K, 0x8000f000, PGT_PROT_RW),
                     0);
    /* The walk reports the VAs the hardware translates; its end wraps to
     * 0 at the top of the address space. */
    uint64_t seen[10] = {0};
    struct pgt_walker w = {
        .cb = record_visit, .arg = seen, .flags = PGT_WALK_LEAF};
    assert_int_equal(pgt_walk(&f.pgt, UPPER48, 1ull << 48, &w), 0);
    assert_u64(seen[0], 2);
    assert_u64(seen[1], UPPER48 + 0x5000);
    assert_u64(seen[2], top);
    assert_u64(seen[9], 0);

    /* Unmapping a page next to another: tlbi_va at level 3 for the full
     * VA. */
    assert_int_equal(
        pgt_s1_map(&f.pgt, UPPER48 + 0x6000, SZ_4K, 0x80006000, PGT_PROT_RW),
        0);
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s1_unmap(&f.pgt, UPPER48 + 0x6000, SZ_4K),
                     (int64_t)SZ_4K);
    assert_int_equal(f.m.nlog, 1);
    assert_int_equal(f.m.log[0].kind, TMM_TLBI_VA);
    assert_int_equal(f.m.log[0].level, 3);
    assert_u64(f.m.log[0].addr, UPPER48 + 0x6000);
    /* The last page of its table: the table goes too, with one
     * invalidation by VA at any level, for the full VA. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s1_unmap(&f.pgt, UPPER48 + 0x5000, SZ_4K),
                     (int64_t)SZ_4K);
    assert_true(f.m.nlog >= 1);
    for (size_t i = 0; i < f.m.nlog; i++) {
        assert_int_equal(f.m.log[i].kind, TMM_TLBI_VA);
        assert_u64(f.m.log[i].addr, UPPER48 + 0x5000);
    }
    /* A range: tlbi_range (the test hooks have one) with the full VA. */
    assert_int_equal(pgt_s1_map(&f.pgt, top - 15 * SZ_4K, 15 * SZ_4K,
                                0x80100000, PGT_PROT_R),
                     0);
    tmm_log_clear(&f.m);
    assert_int_equal(
        pgt_s1_protect(&f.pgt, top - 15 * SZ_4K, 16 * SZ_4K, PGT_PROT_RW), 0);
    assert_true(f.m.nlog >= 1);
    for (size_t i = 0; i < f.m.nlog; i++)
        assert_true(f.m.log[i].addr >= top - 15 * SZ_4K);
    assert_true(log_tlbi_covers(&f.m, top - 15 * SZ_4K));
    assert_true(log_tlbi_covers(&f.m, top - 14 * SZ_4K));
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s1_unmap(&f.pgt, top - 15 * SZ_4K, 16 * SZ_4K),
                     (int64_t)(16 * SZ_4K));
    assert_true(log_tlbi_covers(&f.m, top));
    assert_true(log_tlbi_covers(&f.m, top - 15 * SZ_4K));
    fx_fini(&f);
}

struct text {
    char buf[2048];
    size_t len;
};

static void collect(void *arg, const char *line)
{
    struct text *t = arg;
    size_t n = strlen(line);
    assert_true(t->len + n < sizeof(t->buf));
    memcpy(t->buf + t->len, line, n + 1);
    t->len += n;
}

static void test_dump_of_an_upper_range_table_prints_full_vas(void **state)
{
    (void)state;
    struct fx f;
    struct text t = {{0}, 0};
    fx_s1(&f, PGT_REGIME_EL20, 12, 39, 1, PGT_S1_UPPER);
    assert_int_equal(pgt_s1_map(&f.pgt, 0xffffffffffe00000ull, SZ_2M,
                                0x80200000, PGT_PROT_RW | PGT_PROT_NG),
                     0);
    assert_int_equal(
        pgt_dump(&f.pgt, 0xffffffffc0000000ull, SZ_1G, collect, &t), 0);
    char title[160];
    snprintf(title, sizeof(title),
             "stage 1 EL2&0 upper range: 4K granule, 39-bit IA, 48-bit OA, "
             "start level 1, 1 root page at %#014llx\n",
             (unsigned long long)ARENA_PA);
    assert_memory_equal(t.buf, title, strlen(title));
    assert_non_null(strstr(t.buf,
                           "L2 0xffffffffffe00000-0xffffffffffffffff "
                           "1 block -> 0x000080200000 RW- normal-wb ng"));
    /* A range below the table's first VA is not the table's. */
    assert_int_equal(pgt_dump(&f.pgt, 0x0, SZ_1G, collect, &t), -PGT_ERANGE);
    fx_fini(&f);
}

/* ---------------- writable and executable ---------------- */

static void test_allow_wx_accepts_rwx_in_every_regime(void **state)
{
    (void)state;
    static const enum pgt_regime regimes[] = {PGT_REGIME_EL3, PGT_REGIME_EL2,
                                              PGT_REGIME_EL20, PGT_REGIME_EL10};
    for (size_t i = 0; i < 4; i++) {
        struct fx f;
        bool two =
            regimes[i] == PGT_REGIME_EL20 || regimes[i] == PGT_REGIME_EL10;
        fx_s1(&f, regimes[i], 12, 48, 0, 0);
        assert_int_equal(
            pgt_s1_map(&f.pgt, 0x1000, SZ_4K, 0x1000, PGT_PROT_RWX),
            -PGT_EINVAL);
        fx_fini(&f);
        fx_s1(&f, regimes[i], 12, 48, 0, PGT_S1_ALLOW_WX);
        assert_int_equal(
            pgt_s1_map(&f.pgt, 0x1000, SZ_4K, 0x1000, PGT_PROT_RWX), 0);
        /* RWX: AP[2:1] 0b01 at EL2/EL3 (AP[1] RES1), 0b00 with EL0 (kernel
         * RWX, UXN); no XN / no PXN. */
        assert_u64(E(&f, 0x1000, 3),
                   0x1000ull | NORMAL | (two ? UXN : S1_AP1) | D_PAGE);
        if (two) {
            assert_int_equal(pgt_s1_map(&f.pgt, 0x2000, SZ_4K, 0x2000,
                                        PGT_PROT_RWX | PGT_PROT_USER),
                             0);
            /* user RWX: AP[2:1] 0b01, PXN */
            assert_u64(E(&f, 0x2000, 3),
                       0x2000ull | NORMAL | S1_AP1 | S1_PXN | D_PAGE);
        }
        fx_fini(&f);
    }
}

/* ---------------- register values ---------------- */

/* The fixtures' tables act on the current arena (mm_ctx NULL). */
static void fini_pair(struct fx *lo, struct fx *hi)
{
    tmm_use(&lo->m);
    fx_fini(lo);
    tmm_use(&hi->m);
    fx_fini(hi);
}

static void test_tcr_pair_combines_two_tables_field_by_field(void **state)
{
    (void)state;
    struct fx lo, hi;
    /* Lower: 4K, 48-bit VA; upper: 16K, 47-bit VA (different sizes and
     * granules, as TCR allows). Both 48-bit PA. */
    fx_s1(&lo, PGT_REGIME_EL10, 12, 48, 0, 0);
    fx_s1(&hi, PGT_REGIME_EL10, 14, 47, 1, PGT_S1_UPPER);
    uint64_t tcr = 0;
    assert_int_equal(pgt_s1_tcr_pair(&lo.pgt, &hi.pgt, &tcr), 0);
    assert_u64(tcr, T_T0SZ(16) | T_WALK0 | T_TG0_4K | T_T1SZ(17) | T_WALK1 |
                        T_TG1_16K | T_IPS(PS48));
    assert_u64(tcr, 0x0000000575113510ull);
    /* One table alone: the other half disabled (EPDn), with the same
     * size and granule so that every field is defined. */
    assert_u64(pgt_s1_tcr(&lo.pgt), T_T0SZ(16) | T_WALK0 | T_TG0_4K |
                                        T_T1SZ(16) | T_EPD1 | T_WALK1 |
                                        T_TG1_4K | T_IPS(PS48));
    assert_int_equal(pgt_s1_tcr_pair(&lo.pgt, NULL, &tcr), 0);
    assert_u64(tcr, pgt_s1_tcr(&lo.pgt));
    assert_u64(pgt_s1_tcr(&hi.pgt), T_T0SZ(17) | T_EPD0 | T_WALK0 | T_TG0_16K |
                                        T_T1SZ(17) | T_WALK1 | T_TG1_16K |
                                        T_IPS(PS48));
    fini_pair(&lo, &hi);

    /* EL2&0 (TCR_EL2 with E2H = 1, the TCR_EL1 layout): 64K lower
     * 42-bit, 4K upper 39-bit, 16-bit ASIDs. */
    fx_s1(&lo, PGT_REGIME_EL20, 16, 42, 2, PGT_S1_ASID16);
    fx_s1(&hi, PGT_REGIME_EL20, 12, 39, 1, PGT_S1_UPPER | PGT_S1_ASID16);
    assert_int_equal(pgt_s1_tcr_pair(&lo.pgt, &hi.pgt, &tcr), 0);
    assert_u64(tcr, T_T0SZ(22) | T_WALK0 | T_TG0_64K | T_T1SZ(25) | T_WALK1 |
                        T_TG1_4K | T_IPS(PS48) | T_AS);
    fini_pair(&lo, &hi);

    /* DS serves both halves but only 4K and 16K read it: a 64K lower half
     * (48-bit VA, 48-bit PA, no LPA2) pairs with a 4K LPA2 upper half
     * (52-bit VA and PA). */
    fx_s1(&lo, PGT_REGIME_EL10, 16, 48, 1, 0);
    fx_s1_(&hi, PGT_REGIME_EL10, 12, 52, 52, -1, PGT_S1_UPPER | PGT_S1_LPA2, 8,
           ARENA_PA + 0x1000000, __FILE__, __LINE__);
    assert_int_equal(pgt_s1_tcr_pair(&lo.pgt, &hi.pgt, &tcr), 0);
    assert_u64(tcr, T_T0SZ(16) | T_WALK0 | T_TG0_64K | T_T1SZ(12) | T_WALK1 |
                        T_TG1_4K | T_IPS(PS52) | T_DS);
    assert_u64(tcr, 0x08000006b50c7510ull);
    fini_pair(&lo, &hi);

    /* LPA2, 52-bit VA upper range, 52-bit PA: DS is bit 59, IPS 0b110. */
    fx_s1_(&hi, PGT_REGIME_EL10, 12, 52, 52, -1, PGT_S1_UPPER | PGT_S1_LPA2, 8,
           ARENA_PA, __FILE__, __LINE__);
    assert_u64(pgt_s1_tcr(&hi.pgt), T_T0SZ(12) | T_EPD0 | T_WALK0 | T_TG0_4K |
                                        T_T1SZ(12) | T_WALK1 | T_TG1_4K |
                                        T_IPS(PS52) | T_DS);
    fx_fini(&hi);
}

static void test_ttbr_holds_the_asid_in_bits_63_48(void **state)
{
    (void)state;
    struct fx f;
    uint64_t ttbr = 0;
    fx_s1(&f, PGT_REGIME_EL10, 12, 48, 0, PGT_S1_ASID16);
    assert_int_equal(pgt_s1_ttbr(&f.pgt, 0xbeef, &ttbr), 0);
    assert_u64(ttbr, (0xbeefull << 48) | ARENA_PA);
    fx_fini(&f);
    fx_s1(&f, PGT_REGIME_EL20, 12, 48, 0, PGT_S1_UPPER);
    assert_int_equal(pgt_s1_ttbr(&f.pgt, 0xff, &ttbr), 0);
    assert_u64(ttbr, (0xffull << 48) | ARENA_PA);
    fx_fini(&f);
    fx_s1(&f, PGT_REGIME_EL2, 12, 48, 0, 0);
    assert_int_equal(pgt_s1_ttbr(&f.pgt, 0, &ttbr), 0);
    assert_u64(ttbr, ARENA_PA);
    fx_fini(&f);
}

static void test_mair_value_field_by_field(void **state)
{
    (void)state;
    /* Attr0 Normal WB RW-allocate inner and outer 0xff, Attr1
     * Device-nGnRE 0x04, Attr2 Normal NC 0x44, Attr3.. Device-nGnRnE. */
    assert_u64(pgt_s1_mair(), 0xffull | (0x04ull << 8) | (0x44ull << 16));
    assert_u64(pgt_s1_mair(), PGT_MAIR_VALUE);
}

/* ---------------- protect keeps what is not a permission ---------------- */

static void test_protect_keeps_ng_and_ns(void **state)
{
    (void)state;
    struct fx f;
    fx_s1(&f, PGT_REGIME_EL10, 12, 48, 0, 0);
    assert_int_equal(
        pgt_s1_map(&f.pgt, 0x1000, SZ_4K, 0x1000, PGT_PROT_RW | PGT_PROT_NG),
        0);
    assert_int_equal(pgt_s1_protect(&f.pgt, 0x1000, SZ_4K,
                                    PGT_PROT_R | PGT_PROT_NG | PGT_PROT_USER),
                     0);
    assert_u64(E(&f, 0x1000, 3), 0x1000ull | NORMAL | S1_AP1 | S1_AP2_RO |
                                     S1_PXN | UXN | S1_NG | D_PAGE);
    fx_fini(&f);
}

/* ---------------- coalescing in the upper range ---------------- */

static void test_upper_range_coalesce_folds_pages_into_a_block(void **state)
{
    (void)state;
    struct fx f;
    fx_s1(&f, PGT_REGIME_EL20, 12, 48, 0, PGT_S1_UPPER);
    /* 512 pages one by one: a full last-level table of one run. */
    for (uint64_t i = 0; i < 512; i++)
        assert_int_equal(pgt_s1_map(&f.pgt, UPPER48 + SZ_2M + i * SZ_4K,
                                    SZ_4K, 0x80200000 + i * SZ_4K,
                                    PGT_PROT_RW),
                         0);
    assert_true(pgt_pte_is_table(E(&f, UPPER48 + SZ_2M, 2), 2));
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s1_coalesce(&f.pgt, UPPER48, 2 * SZ_2M), 0);
    /* The 2M block at level 2; the table went with a TLBI at its VA. */
    assert_u64(E(&f, UPPER48 + SZ_2M, 2),
               0x80200000ull | NORMAL | S1_PXN | UXN | D_BLOCK);
    assert_true(log_tlbi_covers(&f.m, UPPER48 + SZ_2M));
    assert_false(log_tlbi_covers(&f.m, SZ_2M));
    assert_int_equal(pgt_s1_coalesce(&f.pgt, SZ_2M, SZ_2M), -PGT_ERANGE);
    fx_fini(&f);
}

/* ---------------- pgt_check per regime ---------------- */

static void flip_and_expect(struct fx *f, uint64_t va, uint64_t bits,
                            uint64_t fault_va)
{
    uint64_t *p = ref_ptep(&f->r, &f->m, f->pgt.pgd, va, 3);
    struct pgt_check_fault flt;

    assert_non_null(p);
    *p ^= bits;
    assert_int_equal(pgt_check(&f->pgt, 0, &flt), -PGT_EFAULT);
    assert_int_equal(flt.what, PGT_CHECK_LEAF_DESC);
    assert_u64(flt.addr, fault_va);
    assert_int_equal(flt.level, 3);
    *p ^= bits;
    assert_int_equal(pgt_check(&f->pgt, 0, &flt), 0);
}

static void test_check_knows_each_regimes_encodings(void **state)
{
    (void)state;
    struct fx f;
    /* EL3: NS is legal, nG and PXN are not (one privilege level). */
    fx_s1(&f, PGT_REGIME_EL3, 12, 39, 1, 0);
    assert_int_equal(pgt_s1_map(&f.pgt, 0x1000, 2 * SZ_4K, 0x1000,
                                PGT_PROT_RW | PGT_PROT_NS),
                     0);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    flip_and_expect(&f, 0x1000, S1_NG, 0x1000);
    flip_and_expect(&f, 0x2000, S1_PXN, 0x2000);
    flip_and_expect(&f, 0x2000, S1_NS | S1_AP1, 0x2000); /* AP[1] RES1 */
    fx_fini(&f);
    /* EL2 (E2H = 0): no NS either. */
    fx_s1(&f, PGT_REGIME_EL2, 12, 39, 1, 0);
    assert_int_equal(pgt_s1_map(&f.pgt, 0x1000, SZ_4K, 0x1000, PGT_PROT_R), 0);
    flip_and_expect(&f, 0x1000, S1_NS, 0x1000);
    fx_fini(&f);
    /* EL2&0 upper range: nG legal; NS not; faults reported at the VA;
     * an RWX leaf only with PGT_S1_ALLOW_WX. */
    fx_s1(&f, PGT_REGIME_EL20, 12, 48, 0, PGT_S1_UPPER);
    assert_int_equal(pgt_s1_map(&f.pgt, UPPER48 + 0x1000, SZ_4K, 0x1000,
                                PGT_PROT_RW | PGT_PROT_NG),
                     0);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    assert_int_equal(pgt_check_region(&f.pgt, UPPER48, SZ_2M, 0, NULL), 0);
    assert_int_equal(pgt_check_region(&f.pgt, 0, SZ_2M, 0, NULL), -PGT_ERANGE);
    flip_and_expect(&f, UPPER48 + 0x1000, S1_NS, UPPER48 + 0x1000);
    flip_and_expect(&f, UPPER48 + 0x1000, S1_PXN, UPPER48 + 0x1000); /* RWX */
    fx_fini(&f);
    fx_s1(&f, PGT_REGIME_EL10, 12, 48, 0, PGT_S1_ALLOW_WX);
    assert_int_equal(pgt_s1_map(&f.pgt, 0x1000, SZ_4K, 0x1000, PGT_PROT_RWX),
                     0);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_el3_page_descriptors_have_ap1_set_and_one_xn_bit),
        cmocka_unit_test(test_el3_tcr_has_res1_bits_ps_and_ds),
        cmocka_unit_test(test_el20_and_el10_descriptors_in_both_ranges),
        cmocka_unit_test(test_upper_range_blocks_at_every_granule),
        cmocka_unit_test(test_upper_range_walk_tlb_hooks_and_dump_see_full_vas),
        cmocka_unit_test(test_dump_of_an_upper_range_table_prints_full_vas),
        cmocka_unit_test(test_allow_wx_accepts_rwx_in_every_regime),
        cmocka_unit_test(test_tcr_pair_combines_two_tables_field_by_field),
        cmocka_unit_test(test_ttbr_holds_the_asid_in_bits_63_48),
        cmocka_unit_test(test_mair_value_field_by_field),
        cmocka_unit_test(test_protect_keeps_ng_and_ns),
        cmocka_unit_test(test_check_knows_each_regimes_encodings),
        cmocka_unit_test(
            test_upper_range_coalesce_folds_pages_into_a_block),
    };
    return cmocka_run_group_tests_name("core_regimes", tests, NULL, NULL);
}
