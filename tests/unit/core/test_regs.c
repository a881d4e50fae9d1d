// SPDX-License-Identifier: MIT
/*
 * Register values for every granule and output-address size, each field
 * computed here from the Arm ARM's encoding tables (DDI 0487, D19:
 * TTBRn_ELx / VTTBR_EL2, TCR_EL3, TCR_EL2 (E2H = 0 and 1), TCR_EL1,
 * VTCR_EL2) and compared with what the library gives: pgt_ttbr_baddr(),
 * pgt_s1_tcr(), pgt_s1_ttbr() (stage 1 in every regime, both VA ranges),
 * pgt_s2_vtcr(). The root is placed at the top of each output address
 * size, so the base address has its highest bits set (bit 51 for 52-bit
 * output addresses, which must then move to BADDR[5:2]).
 */
#include "core_ref.h"

/* PS / IPS: 0b000 32 bits ... 0b110 52 bits. */
static uint64_t ps_code(unsigned oa)
{
    switch (oa) {
    case 32: return 0;
    case 36: return 1;
    case 40: return 2;
    case 42: return 3;
    case 44: return 4;
    case 48: return 5;
    default: return 6; /* 52 */
    }
}

/* TG0: 0b00 4K, 0b01 64K, 0b10 16K. TG1: 0b10 4K, 0b01 16K, 0b11 64K. */
static uint64_t tg0_code(unsigned gs)
{
    return gs == 12 ? 0 : gs == 16 ? 1 : 2;
}

static uint64_t tg1_code(unsigned gs)
{
    return gs == 12 ? 2 : gs == 14 ? 1 : 3;
}

/* VTCR_EL2.SL0 (and SL2) for a start level: 4K 0b00 = level 2, 0b01 = 1,
 * 0b10 = 0, level -1 as SL2 = 1 with SL0 = 0b00 (DS); 16K and 64K 0b00 =
 * level 3, 0b01 = 2, 0b10 = 1, 16K 0b11 = 0 (DS). */
static uint64_t sl_bits(unsigned gs, int level)
{
    if (gs == 12)
        return level == -1 ? 1ull << 33 : (uint64_t)(2 - level) << 6;
    return (uint64_t)(3 - level) << 6;
}

/* IRGN0 = ORGN0 = 0b01 (write-back, write-allocate), SH0 = 0b11. */
#define WALK_ATTRS ((1ull << 8) | (1ull << 10) | (3ull << 12))

/* TTBR / VTTBR BADDR of a root at @pa: PA[47:1] in place; with 52-bit
 * output addresses PA[51:48] in BADDR[5:2]. */
static uint64_t baddr(uint64_t pa, unsigned oa)
{
    uint64_t v = pa & ((1ull << 48) - 1);
    if (oa == 52)
        v |= ((pa >> 48) & 0xf) << 2;
    return v;
}

struct shape {
    unsigned gs, oa, ia;
    uint32_t geom_flags;
};

static bool lpa2(const struct shape *s)
{
    return (s->geom_flags & PGT_GEOM_LPA2) != 0;
}

/* An arena whose last page ends at 2^oa: the first pages handed out (the
 * root) sit at the top of the output address size. */
static void arena_at_top(struct tmm *m, const struct shape *s)
{
    size_t pages = 32;
    tmm_init(m, (size_t)1 << s->gs, pages, (1ull << s->oa) - (pages << s->gs));
}

/*
 * One stage-1 table of @regime (@flags: PGT_S1_UPPER, PGT_S1_ASID16) with
 * a VA as large as the output size allows: its TCR (TCR_EL3, TCR_EL2 with
 * E2H = 0, or the TCR_EL1 layout of EL1&0 and of EL2&0) and its TTBR with
 * an ASID where the regime has them.
 */
static void check_s1(const struct shape *s, enum pgt_regime regime,
                     uint32_t flags)
{
    struct tmm m;
    struct pgt p;
    uint64_t tcr, want, ttbr = 0, asid = 0;
    unsigned va = s->oa == 52 ? 52 : 48;
    bool one_range = regime == PGT_REGIME_EL2 || regime == PGT_REGIME_EL3;
    bool upper = flags & PGT_S1_UPPER;
    const char *name = regime == PGT_REGIME_EL2   ? "EL2"
                       : regime == PGT_REGIME_EL3 ? "EL3"
                       : regime == PGT_REGIME_EL20 ? "EL2&0"
                                                   : "EL1&0";

    arena_at_top(&m, s);
    assert_int_equal(pgt_s1_init(&p, regime, va, (enum pgt_granule)s->gs, s->oa,
                                 s->geom_flags | flags, &tmm_ops, &m), 0);
    assert_u64(pgt_ttbr_baddr(&p), baddr(p.pgd_phys, s->oa));
    assert_true(p.pgd_phys >> (s->oa - 1)); /* the root really is at the top */
    tcr = pgt_s1_tcr(&p);
    if (one_range) {
        /* TCR_EL3 and TCR_EL2 (E2H = 0): T0SZ [5:0], walk attributes
         * [13:8], TG0 [15:14], PS [18:16], RES1 23 and 31, DS 32. */
        want = (64 - va) | WALK_ATTRS | tg0_code(s->gs) << 14 | ps_code(s->oa) << 16 |
               (1ull << 23) | (1ull << 31) | (lpa2(s) ? 1ull << 32 : 0);
    } else {
        /* TCR_EL1 (and TCR_EL2 with E2H = 1), one half enabled, the other
         * with the same size and granule: T0SZ [5:0], EPD0 7, walk
         * attributes [13:8], TG0 [15:14], T1SZ [21:16], EPD1 23, walk
         * attributes [29:24], TG1 [31:30], IPS [34:32], AS 36, DS 59. */
        want = (64 - va) | WALK_ATTRS | tg0_code(s->gs) << 14 | (uint64_t)(64 - va) << 16 |
               WALK_ATTRS << 16 | tg1_code(s->gs) << 30 | ps_code(s->oa) << 32 |
               (upper ? 1ull << 7 : 1ull << 23) |
               (flags & PGT_S1_ASID16 ? 1ull << 36 : 0) | (lpa2(s) ? 1ull << 59 : 0);
        asid = flags & PGT_S1_ASID16 ? 0xbeef : 0xa5;
    }
    if (tcr != want) {
        print_error("%s%s %uK oa %u va %u: TCR %#llx, expected %#llx\n", name,
                    upper ? " upper" : "", 1u << (s->gs - 10), s->oa, va,
                    (unsigned long long)tcr, (unsigned long long)want);
        fail();
    }
    /* TTBR: ASID [63:48] (0 without ASIDs), BADDR, CnP 0. */
    assert_int_equal(pgt_s1_ttbr(&p, (uint32_t)asid, &ttbr), 0);
    assert_u64(ttbr, asid << 48 | baddr(p.pgd_phys, s->oa));
    pgt_s1_destroy(&p);
    tmm_fini(&m);
}

static void check_s2(const struct shape *s)
{
    struct tmm m;
    struct pgt p;
    struct pgt_s2_cfg cfg = {
        .granule = (enum pgt_granule)s->gs,
        .ia_bits = s->ia,
        .oa_bits = s->oa,
        .start_level = PGT_LEVEL_AUTO,
        .geom_flags = s->geom_flags,
    };
    uint64_t vtcr, want;

    arena_at_top(&m, s);
    assert_int_equal(pgt_s2_init(&p, &cfg, &tmm_ops, &m, NULL), 0);
    /* The root pages the start level implies (Arm ARM: 2^(ia - level
     * shift) entries, 2^(gs - 3) a page). */
    int sl = p.geom.start_level;
    unsigned shift = s->gs + (s->gs - 3) * (unsigned)(3 - sl);
    uint64_t entries = 1ull << (s->ia - shift);
    uint64_t per = 1ull << (s->gs - 3);
    assert_u64(p.geom.nr_root_pages, entries > per ? entries / per : 1);
    assert_u64(pgt_ttbr_baddr(&p), baddr(p.pgd_phys, s->oa));
    assert_true(p.pgd_phys >> (s->oa - 1));
    /* VTCR_EL2: T0SZ, SL0 [7:6] (SL2 33), walk attributes, TG0, PS,
     * RES1 31, DS 32. */
    want = (64 - s->ia) | sl_bits(s->gs, sl) | WALK_ATTRS | tg0_code(s->gs) << 14 |
           ps_code(s->oa) << 16 | (1ull << 31) | (lpa2(s) ? 1ull << 32 : 0);
    vtcr = pgt_s2_vtcr(&p);
    if (vtcr != want) {
        print_error("S2 %uK oa %u ia %u (start level %d): VTCR %#llx, expected %#llx\n",
                    1u << (s->gs - 10), s->oa, s->ia, sl, (unsigned long long)vtcr,
                    (unsigned long long)want);
        fail();
    }
    pgt_s2_destroy(&p);
    tmm_fini(&m);
}

static void test_registers_for_every_granule_and_oa_size(void **state)
{
    (void)state;
    static const unsigned oas[] = {32, 36, 40, 42, 44, 48, 52};
    unsigned n = 0;

    for (unsigned gs = 12; gs <= 16; gs += 2) {
        for (size_t i = 0; i < sizeof(oas) / sizeof(oas[0]); i++) {
            /* 52-bit output addresses: FEAT_LPA2 for 4K and 16K, FEAT_LPA
             * (no flag) for 64K. */
            uint32_t flags = oas[i] == 52 && gs != 16 ? PGT_GEOM_LPA2 : 0;
            struct shape s = {gs, oas[i], oas[i] < 48 ? oas[i] : 48, flags};

            check_s1(&s, PGT_REGIME_EL2, 0);
            check_s1(&s, PGT_REGIME_EL3, 0);
            check_s1(&s, PGT_REGIME_EL10, 0);
            check_s1(&s, PGT_REGIME_EL10, PGT_S1_UPPER);
            check_s1(&s, PGT_REGIME_EL20, PGT_S1_ASID16);
            check_s1(&s, PGT_REGIME_EL20, PGT_S1_UPPER | PGT_S1_ASID16);
            check_s2(&s);
            n += 7;
            if (oas[i] == 52) {
                /* And a 52-bit IPA (4K: a level -1 root, SL2). */
                s.ia = 52;
                check_s2(&s);
                n++;
            }
        }
    }
    assert_int_equal(n, 3 * 7 * 7 + 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registers_for_every_granule_and_oa_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
