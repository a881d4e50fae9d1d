// SPDX-License-Identifier: MIT
/*
 * Oracle self-test against the architecture: tables written by hand
 * (hand.h) from the Arm ARM descriptor formats, translation registers
 * composed by hand, and every expected PA / fault / attribute worked out
 * by hand in the comments. If these pass, the harness (guest code, EL
 * switching, PAR decoding, load/store path) reads the hardware correctly,
 * and the library tests can trust it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include "hand.h"
#include "oracle.h"

#define ARENA_PA 0x80000000ull
/* MAIR as libpgtable documents it: idx0 Normal WB 0xff, idx1 Device-nGnRE
 * 0x04, idx2 Normal NC 0x44, idx3 Device-nGnRnE 0x00. */
#define MAIR_DOC 0x00000000004404ffull

/* TCR/VTCR fields (Arm ARM D19.2), composed by hand. */
#define T0SZ(bits) (64ull - (bits))
#define WBWA_ISH ((1ull << 8) | (1ull << 10) | (3ull << 12))
#define TG0_4K (0ull << 14)
#define TG0_64K (1ull << 14)
#define TG0_16K (2ull << 14)
#define PS_40 (2ull << 16)
#define PS_44 (4ull << 16)
#define TCR_EL2_RES1 ((1ull << 31) | (1ull << 23))
#define TCR_EL1_EPD1 (1ull << 23)
#define TCR_EL1_TG1_4K (2ull << 30)
#define TCR_EL1_IPS_40 (2ull << 32)
#define VTCR_RES1 (1ull << 31)
#define T1SZ(bits) ((64ull - (bits)) << 16)
#define WBWA_ISH1 ((1ull << 24) | (1ull << 26) | (3ull << 28))
#define TCR_EL1_EPD0 (1ull << 7)
#define SL0(v) ((uint64_t)(v) << 6)

struct hcase {
    uint64_t va;
    enum orc_at op;
    struct orc_expect e;
};

#define OK(pa_, attr_, sh_) {ORC_OK, 0, false, (pa_), (attr_), (sh_), false, false}
#define FAULT(kind, lvl) {kind, lvl, false, 0, -1, -1, false, false}
#define S2FAULT(kind, lvl) {kind, lvl, true, 0, -1, -1, false, false}
/* Success with PAR.NS checked (EL3: the descriptor's NS bit). */
#define OKNS(pa_, attr_, sh_, ns_) {ORC_OK, 0, false, (pa_), (attr_), (sh_), true, (ns_)}
#define H_S1_NS (1ull << 5)

static void run_cases(struct orc *o, const char *what, const struct hcase *c,
                      size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t par;
        orc_at(o, c[i].op, &c[i].va, &par, 1);
        bad += orc_compare(what, c[i].op, &c[i].va, &par, &c[i].e, 1);
    }
    assert_int_equal(bad, 0);
}

/* Identity-map the harness windows: code read-only executable, data RW. */
static void map_windows_s1(struct hand *h, int level_page, bool el10)
{
    uint64_t g = 1ull << h->gs;
    uint64_t ro = el10 ? H_S1_RO : H_S1_RO;
    for (uint64_t a = ORC_CODE_PA; a < ORC_CODE_PA + ORC_WIN_SIZE; a += g)
        hand_leaf(h, a, a, level_page, H_AF | H_SH_INNER | ro);
    for (uint64_t a = ORC_DATA_PA; a < ORC_DATA_PA + ORC_WIN_SIZE; a += g)
        hand_leaf(h, a, a, level_page, H_AF | H_SH_INNER | H_S1_XN);
}

/*
 * 4K granule, stage 1 EL2, 39-bit VA: start level 1 (VA[38:30]), one root
 * page.
 *   L1[1] -> L2 table;  L2[0] -> L3 table
 *     L3[0] 0x40000000 -> 0x40000000 RW Normal (idx0)
 *     L3[1] 0x40001000 -> 0x40001000 RO
 *     L3[2] 0x40002000 -> 0x40002000 AF = 0
 *     L3[4] 0x40004000 -> 0x40005000 Normal NC (idx2)
 *   L2[1] 0x40200000 2M block -> 0x40200000 Device (idx1), SH 0
 *   L1[2] 0x80000000 1G block -> 0x1_0000_0000 RO
 *   L1[0] -> L2 -> L3: the harness windows (identity)
 */
static void s1_el2_4k(void **state)
{
    (void)state;
    struct tmm m;
    struct hand h;
    tmm_init(&m, 4096, 64, ARENA_PA);
    hand_init(&h, &m, 39, 1);
    const uint64_t n = H_AF | H_SH_INNER;
    hand_leaf(&h, 0x40000000, 0x40000000, 3, n);
    hand_leaf(&h, 0x40001000, 0x40001000, 3, n | H_S1_RO);
    hand_leaf(&h, 0x40002000, 0x40002000, 3, H_SH_INNER);
    hand_leaf(&h, 0x40004000, 0x40005000, 3, n | H_S1_IDX(2));
    hand_leaf(&h, 0x40200000, 0x40200000, 2, H_AF | H_S1_IDX(1) | H_S1_XN);
    hand_leaf(&h, 0x80000000, 0x100000000, 1, n | H_S1_RO);
    map_windows_s1(&h, 3, false);

    struct orc *o = orc_open(&m);
    orc_set_s1_el2(o, h.root_pa,
                   T0SZ(39) | WBWA_ISH | TG0_4K | PS_40 | TCR_EL2_RES1,
                   MAIR_DOC);
    const struct hcase c[] = {
        {0x40000123, ORC_AT_S1E2R, OK(0x40000123, 0xff, 3)},
        {0x40000ff8, ORC_AT_S1E2W, OK(0x40000ff8, 0xff, 3)},
        {0x40001008, ORC_AT_S1E2R, OK(0x40001008, 0xff, 3)},
        {0x40001008, ORC_AT_S1E2W, FAULT(ORC_F_PERM, 3)},
        {0x40002000, ORC_AT_S1E2R, FAULT(ORC_F_AF, 3)},
        {0x40003000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 3)},
        {0x40004010, ORC_AT_S1E2R, OK(0x40005010, 0x44, 3)},
        {0x40201238, ORC_AT_S1E2W, OK(0x40201238, 0x04, 0)},
        {0x403ff000, ORC_AT_S1E2R, OK(0x403ff000, 0x04, 0)},
        {0x40400000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 2)},
        {0x80005000, ORC_AT_S1E2R, OK(0x100005000, 0xff, 3)},
        {0xbffff000, ORC_AT_S1E2R, OK(0x13ffff000, 0xff, 3)},
        {0x80005000, ORC_AT_S1E2W, FAULT(ORC_F_PERM, 1)},
        {0xc0000000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 1)},
        {0x7fe00000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 2)},
        {0x00020000, ORC_AT_S1E2R, OK(0x00020000, 0xff, 3)},
        {0x00040000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 3)},
    };
    run_cases(o, "hand 4K S1 EL2 39-bit", c, sizeof(c) / sizeof(c[0]));

    /* Loads: the data must be what sits at the PA the tables give. */
    const uint64_t lva[] = {0x40000000, 0x40000ff8, 0x40001800, 0x40004008,
                            0x40201000, 0x403ffff8};
    const uint64_t lpa[] = {0x40000000, 0x40000ff8, 0x40001800, 0x40005008,
                            0x40201000, 0x403ffff8};
    uint64_t val[6];
    assert_int_equal(orc_load(o, lva, val, 6), 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(val[i], orc_ram_word(lpa[i]));
    /* Stores land at the PA; a store to the RO page faults (index 1). */
    const uint64_t sva[] = {0x40000100, 0x40001100};
    const uint64_t sval[] = {0x1111, 0x2222};
    assert_int_equal(orc_store(o, sva, sval, 2), 1);
    assert_int_equal(*(uint64_t *)orc_phys(o, 0x40000100), 0x1111);
    assert_int_equal(*(uint64_t *)orc_phys(o, 0x40001100),
                     orc_ram_word(0x40001100));
    /* A load from an unmapped page and from an AF=0 page fault. */
    const uint64_t bad1[] = {0x40000008, 0x40003000};
    assert_int_equal(orc_load(o, bad1, val, 2), 1);
    const uint64_t bad2[] = {0x40002000};
    assert_int_equal(orc_load(o, bad2, val, 1), 0);
    /* AT still works after the round trip through EL2. */
    run_cases(o, "hand 4K S1 EL2 after loads", c, 3);
    orc_close(o);
    tmm_fini(&m);
}

/*
 * 16K granule, stage 1 EL2, 40-bit VA: level shifts 14/25/36, so the root
 * is at level 1 with 16 entries (VA[39:36]).
 *   0x1_0000_0000: L1[0] L2[128] L3[0] page -> 0x4000_8000 RW
 *   0x1_0000_4000: L3[1] page -> 0x4000_4000 RO, Device
 *   0x2_0000_0000: L2[256] 32M block -> 0x2_0200_0000
 */
static void s1_el2_16k(void **state)
{
    (void)state;
    struct tmm m;
    struct hand h;
    tmm_init(&m, 16384, 16, ARENA_PA);
    hand_init(&h, &m, 40, 1);
    const uint64_t n = H_AF | H_SH_INNER;
    hand_leaf(&h, 0x100000000, 0x40008000, 3, n);
    hand_leaf(&h, 0x100004000, 0x40004000, 3, n | H_S1_RO | H_S1_IDX(1));
    hand_leaf(&h, 0x200000000, 0x202000000, 2, n);
    struct orc *o = orc_open(&m);
    orc_set_s1_el2(o, h.root_pa,
                   T0SZ(40) | WBWA_ISH | TG0_16K | PS_40 | TCR_EL2_RES1,
                   MAIR_DOC);
    const struct hcase c[] = {
        {0x100001238, ORC_AT_S1E2W, OK(0x40009238, 0xff, 3)},
        {0x100007ff8, ORC_AT_S1E2R, OK(0x40007ff8, 0x04, 3)},
        {0x100004000, ORC_AT_S1E2W, FAULT(ORC_F_PERM, 3)},
        {0x100008000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 3)},
        {0x102000000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 2)},
        {0x201ffc000, ORC_AT_S1E2R, OK(0x203ffc000, 0xff, 3)},
        {0x1000000000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 1)},
        {0xff00000000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 1)},
    };
    run_cases(o, "hand 16K S1 EL2 40-bit", c, sizeof(c) / sizeof(c[0]));
    /* No harness windows in these tables: the load loop cannot even be
     * fetched, so no load completes, and the CPU must still come back
     * to EL3 for more ATs. */
    const uint64_t lva[] = {0x100001238};
    uint64_t val;
    assert_int_equal(orc_load(o, lva, &val, 1), 0);
    run_cases(o, "hand 16K S1 EL2 after a failed load", c,
              sizeof(c) / sizeof(c[0]));
    orc_close(o);
    tmm_fini(&m);
}

/*
 * 64K granule, stage 1 EL2, 42-bit VA: level shifts 16/29/42, root at
 * level 2 with 8192 entries (VA[41:29]), one page.
 *   0x2000_0000: L2[1] 512M block -> 0x1_2000_0000
 *   0x4000_0000: L2[2] -> L3[0] page -> 0x4001_0000 RO
 */
static void s1_el2_64k(void **state)
{
    (void)state;
    struct tmm m;
    struct hand h;
    tmm_init(&m, 65536, 8, ARENA_PA);
    hand_init(&h, &m, 42, 2);
    const uint64_t n = H_AF | H_SH_INNER;
    hand_leaf(&h, 0x20000000, 0x120000000, 2, n);
    hand_leaf(&h, 0x40000000, 0x40010000, 3, n | H_S1_RO);
    struct orc *o = orc_open(&m);
    orc_set_s1_el2(o, h.root_pa,
                   T0SZ(42) | WBWA_ISH | TG0_64K | PS_44 | TCR_EL2_RES1,
                   MAIR_DOC);
    const struct hcase c[] = {
        {0x2abcd008, ORC_AT_S1E2W, OK(0x12abcd008, 0xff, 3)},
        {0x4000fff8, ORC_AT_S1E2R, OK(0x4001fff8, 0xff, 3)},
        {0x4000fff8, ORC_AT_S1E2W, FAULT(ORC_F_PERM, 3)},
        {0x40010000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 3)},
        {0x60000000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 2)},
        {0x3ffffff0000, ORC_AT_S1E2R, FAULT(ORC_F_TRANS, 2)},
    };
    run_cases(o, "hand 64K S1 EL2 42-bit", c, sizeof(c) / sizeof(c[0]));
    orc_close(o);
    tmm_fini(&m);
}

/*
 * 4K granule, stage 1 EL1&0, 48-bit VA, start level 0.
 *   0x8000_0000_0000 region: L0[256]
 *   0x0000_1234_5000 user RW page -> 0x4000_0000
 *   0x0000_1234_6000 kernel RW page -> 0x4000_1000
 *   0x7fff_ffe0_0000 2M block, user RO -> 0x4020_0000
 */
static void s1_el10_4k(void **state)
{
    (void)state;
    struct tmm m;
    struct hand h;
    tmm_init(&m, 4096, 64, ARENA_PA);
    hand_init(&h, &m, 48, 0);
    const uint64_t n = H_AF | H_SH_INNER;
    hand_leaf(&h, 0x123455000, 0x40000000, 3, n | H_S1_USER | H_S1_PXN);
    hand_leaf(&h, 0x123456000, 0x40001000, 3, n);
    hand_leaf(&h, 0x7fffffe00000, 0x40200000, 2, n | H_S1_USER | H_S1_RO);
    map_windows_s1(&h, 3, true);
    struct orc *o = orc_open(&m);
    orc_set_s1_el10(o, h.root_pa,
                    T0SZ(48) | WBWA_ISH | TG0_4K | TCR_EL1_EPD1 |
                        TCR_EL1_TG1_4K | TCR_EL1_IPS_40,
                    MAIR_DOC);
    const struct hcase c[] = {
        {0x123455010, ORC_AT_S1E1R, OK(0x40000010, 0xff, 3)},
        {0x123455010, ORC_AT_S1E1W, OK(0x40000010, 0xff, 3)},
        {0x123455010, ORC_AT_S1E0R, OK(0x40000010, 0xff, 3)},
        {0x123455010, ORC_AT_S1E0W, OK(0x40000010, 0xff, 3)},
        {0x123456020, ORC_AT_S1E1W, OK(0x40001020, 0xff, 3)},
        {0x123456020, ORC_AT_S1E0R, FAULT(ORC_F_PERM, 3)},
        {0x7ffffff00008, ORC_AT_S1E0R, OK(0x40300008, 0xff, 3)},
        {0x7ffffff00008, ORC_AT_S1E0W, FAULT(ORC_F_PERM, 2)},
        {0x7ffffff00008, ORC_AT_S1E1W, FAULT(ORC_F_PERM, 2)},
        {0x123457000, ORC_AT_S1E1R, FAULT(ORC_F_TRANS, 3)},
        {0x123600000, ORC_AT_S1E1R, FAULT(ORC_F_TRANS, 2)},
        {0x140000000, ORC_AT_S1E1R, FAULT(ORC_F_TRANS, 1)},
        {0x800000000000 - 0x8000000000, ORC_AT_S1E1R, FAULT(ORC_F_TRANS, 1)},
        {0x8000000000, ORC_AT_S1E1R, FAULT(ORC_F_TRANS, 0)},
    };
    run_cases(o, "hand 4K S1 EL1&0 48-bit", c, sizeof(c) / sizeof(c[0]));
    const uint64_t lva[] = {0x123455ff8, 0x123456000, 0x7fffffe00008};
    uint64_t val[3];
    assert_int_equal(orc_load(o, lva, val, 3), 3);
    assert_int_equal(val[0], orc_ram_word(0x40000ff8));
    assert_int_equal(val[1], orc_ram_word(0x40001000));
    assert_int_equal(val[2], orc_ram_word(0x40200008));
    const uint64_t sva[] = {0x123456008, 0x7fffffe00008};
    const uint64_t sval[] = {7, 8};
    assert_int_equal(orc_store(o, sva, sval, 2), 1);
    assert_int_equal(*(uint64_t *)orc_phys(o, 0x40001008), 7);
    orc_close(o);
    tmm_fini(&m);
}

/*
 * 4K granule, stage 1 EL3, 39-bit VA (start level 1), SCTLR_EL3.M = 1: the
 * AT loop itself runs through these tables, so they map the code, data
 * and batch windows too.
 *   0x40000000 -> 0x40000000 RW (Secure PA space: PAR.NS 0)
 *   0x40001000 -> 0x40001000 RO
 *   0x40002000 -> 0x40003000 RW, NS = 1 (Non-secure PA space: PAR.NS 1)
 *   0x40200000 2M block -> 0x40200000 RO, NS
 */
static void s1_el3_4k(void **state)
{
    (void)state;
    struct tmm m;
    struct hand h;
    tmm_init(&m, 4096, 64, ARENA_PA);
    hand_init(&h, &m, 39, 1);
    /* AP[1] is RES1 at EL3 (one privilege level). */
    const uint64_t n = H_AF | H_SH_INNER | H_S1_USER;
    hand_leaf(&h, 0x40000000, 0x40000000, 3, n | H_S1_XN);
    hand_leaf(&h, 0x40001000, 0x40001000, 3, n | H_S1_RO | H_S1_XN);
    hand_leaf(&h, 0x40002000, 0x40003000, 3, n | H_S1_NS | H_S1_XN);
    hand_leaf(&h, 0x40200000, 0x40200000, 2, n | H_S1_RO | H_S1_NS);
    map_windows_s1(&h, 3, false);
    for (uint64_t a = ORC_BATCH_PA; a < ORC_BATCH_PA + 0x100000; a += 4096)
        hand_leaf(&h, a, a, 3, n | H_S1_XN);
    struct orc *o = orc_open(&m);
    orc_set_s1_el3(o, h.root_pa,
                   T0SZ(39) | WBWA_ISH | TG0_4K | PS_40 | TCR_EL2_RES1,
                   MAIR_DOC);
    const struct hcase c[] = {
        {0x40000010, ORC_AT_S1E3R, OKNS(0x40000010, 0xff, 3, false)},
        {0x40000010, ORC_AT_S1E3W, OKNS(0x40000010, 0xff, 3, false)},
        {0x40001010, ORC_AT_S1E3R, OKNS(0x40001010, 0xff, 3, false)},
        {0x40001010, ORC_AT_S1E3W, FAULT(ORC_F_PERM, 3)},
        {0x40002ff8, ORC_AT_S1E3W, OKNS(0x40003ff8, 0xff, 3, true)},
        {0x40234568, ORC_AT_S1E3R, OKNS(0x40234568, 0xff, 3, true)},
        {0x40234568, ORC_AT_S1E3W, FAULT(ORC_F_PERM, 2)},
        {0x40004000, ORC_AT_S1E3R, FAULT(ORC_F_TRANS, 3)},
        {0x40400000, ORC_AT_S1E3R, FAULT(ORC_F_TRANS, 2)},
        {0x7fc0000000, ORC_AT_S1E3R, FAULT(ORC_F_TRANS, 1)},
    };
    run_cases(o, "hand 4K S1 EL3 39-bit", c, sizeof(c) / sizeof(c[0]));
    /* Loads, a store and fetches at EL3 with its MMU on. */
    const uint64_t lva[] = {0x40000ff8, 0x40002008, 0x40200010};
    uint64_t val[3];
    assert_int_equal(orc_load(o, lva, val, 3), 3);
    assert_int_equal(val[0], orc_ram_word(0x40000ff8));
    assert_int_equal(val[1], orc_ram_word(0x40003008));
    assert_int_equal(val[2], orc_ram_word(0x40200010));
    const uint64_t sva[] = {0x40001008};
    const uint64_t sval[] = {9};
    assert_int_equal(orc_store(o, sva, sval, 1), 0);
    *(uint32_t *)orc_phys(o, 0x40200100) = ORC_INSN_RET;
    *(uint32_t *)orc_phys(o, 0x40000100) = ORC_INSN_RET;
    const uint64_t xva[] = {0x40200100, 0x40000100};
    bool ok[2];
    assert_int_equal(orc_exec(o, xva, ok, 2), 1);
    assert_true(ok[0]);  /* XN clear */
    assert_false(ok[1]); /* XN set */
    orc_close(o);
    tmm_fini(&m);
}

/* The EL0 aliases of the windows (orc_set_el0()): code USER read-only
 * executable, data USER RW execute-never. */
static void map_el0_aliases(struct hand *h)
{
    const uint64_t n = H_AF | H_SH_INNER | H_S1_USER;
    for (uint64_t a = 0; a < ORC_WIN_SIZE; a += 4096) {
        hand_leaf(h, ORC_EL0_CODE_VA + a, ORC_CODE_PA + a, 3, n | H_S1_RO);
        hand_leaf(h, ORC_EL0_DATA_VA + a, ORC_DATA_PA + a, 3, n | H_S1_XN);
    }
}

/* Loads at EL0: @user works, @kernel and a store to read-only @user
 * fault. */
static void el0_probe(struct orc *o, uint64_t user, uint64_t user_pa,
                      uint64_t kernel, bool user_writable)
{
    uint64_t val[1], v = 1;
    orc_set_el0(o, true);
    assert_int_equal(orc_load(o, &user, val, 1), 1);
    assert_int_equal(val[0], orc_ram_word(user_pa));
    assert_int_equal(orc_load(o, &kernel, val, 1), 0);
    assert_int_equal(orc_store(o, &user, &v, 1), user_writable ? 1 : 0);
    if (user_writable)
        *(uint64_t *)orc_phys(o, user_pa) = orc_ram_word(user_pa);
    orc_set_el0(o, false);
    /* And back at EL1/EL2: the kernel page reads. */
    assert_int_equal(orc_load(o, &kernel, val, 1), 1);
}

/*
 * 4K granule, EL1&0 with both ranges, 39 bits each: TTBR0 holds the
 * windows, TTBR1 (VAs from 0xffffff8000000000, root indexed by VA[38:30])
 *   0xffffff8040000000 -> 0x40000000 RW, EL1 only
 *   0xffffff8040001000 -> 0x40001000 RO, EL0 too (AP[2:1] = 0b11)
 *   0xffffffffffe00000 2M block -> 0x40200000 RW (the top of the range)
 */
static void s1_el10_ttbr1_4k(void **state)
{
    (void)state;
    struct tmm m;
    struct hand lo, hi;
    tmm_init(&m, 4096, 64, ARENA_PA);
    hand_init_at(&lo, &m, 39, 1, 0);
    map_windows_s1(&lo, 3, true);
    map_el0_aliases(&lo);
    hand_init_at(&hi, &m, 39, 1, lo.next_page);
    const uint64_t n = H_AF | H_SH_INNER;
    hand_leaf(&hi, 0xffffff8040000000ull, 0x40000000, 3,
              n | H_S1_PXN | H_S1_XN);
    hand_leaf(&hi, 0xffffff8040001000ull, 0x40001000, 3,
              n | H_S1_USER | H_S1_RO | H_S1_PXN | H_S1_XN);
    hand_leaf(&hi, 0xffffffffffe00000ull, 0x40200000, 2,
              n | H_S1_PXN | H_S1_XN);
    struct orc *o = orc_open(&m);
    orc_set_s1_el10_2(o, lo.root_pa, hi.root_pa,
                      T0SZ(39) | WBWA_ISH | TG0_4K | T1SZ(39) | WBWA_ISH1 |
                          TCR_EL1_TG1_4K | TCR_EL1_IPS_40,
                      MAIR_DOC);
    const struct hcase c[] = {
        {0xffffff8040000010ull, ORC_AT_S1E1W, OK(0x40000010, 0xff, 3)},
        {0xffffff8040000010ull, ORC_AT_S1E0R, FAULT(ORC_F_PERM, 3)},
        {0xffffff8040001010ull, ORC_AT_S1E0R, OK(0x40001010, 0xff, 3)},
        {0xffffff8040001010ull, ORC_AT_S1E1W, FAULT(ORC_F_PERM, 3)},
        {0xfffffffffffffff8ull, ORC_AT_S1E1R, OK(0x403ffff8, 0xff, 3)},
        {0xffffff8040002000ull, ORC_AT_S1E1R, FAULT(ORC_F_TRANS, 3)},
        {0xffffff8080000000ull, ORC_AT_S1E1R, FAULT(ORC_F_TRANS, 1)},
        /* Neither range (VA[63:39] not all zeros or all ones). */
        {0xffff000040000000ull, ORC_AT_S1E1R, FAULT(ORC_F_TRANS, 0)},
        /* TTBR0: L1[1] (VA[38:30] = 1) is empty there. */
        {0x40000000, ORC_AT_S1E1R, FAULT(ORC_F_TRANS, 1)},
    };
    run_cases(o, "hand 4K S1 EL1&0 TTBR1", c, sizeof(c) / sizeof(c[0]));
    const uint64_t lva[] = {0xffffff8040000ff8ull, 0xfffffffffff00000ull};
    uint64_t val[2];
    assert_int_equal(orc_load(o, lva, val, 2), 2);
    assert_int_equal(val[0], orc_ram_word(0x40000ff8));
    assert_int_equal(val[1], orc_ram_word(0x40300000));
    /* At EL0 (AP[2:1] = 0b11 page readable, 0b00 page not). */
    el0_probe(o, 0xffffff8040001008ull, 0x40001008, 0xffffff8040000008ull,
              false);
    orc_close(o);
    tmm_fini(&m);
}

/*
 * EL2&0 (HCR_EL2.E2H = 1) on the MAX model, 4K, 39 bits per range:
 * TTBR0_EL2 holds the windows with kernel-style code (AP[2:1] = 0b10,
 * UXN set, PXN clear: executable at EL2 only when E2H makes bit 54 UXN;
 * with E2H = 0 it would be XN); TTBR1_EL2
 *   0xffffff8040000000 -> 0x40000000 RW, UXN (kernel: executable)
 *   0xffffff8040001000 -> 0x40001000 RW, PXN (not executable at EL2)
 */
static void s1_el20_4k(void **state)
{
    (void)state;
    struct tmm m;
    struct hand lo, hi;
    tmm_init(&m, 4096, 64, ARENA_PA);
    hand_init_at(&lo, &m, 39, 1, 0);
    const uint64_t n = H_AF | H_SH_INNER;
    for (uint64_t a = ORC_CODE_PA; a < ORC_CODE_PA + ORC_WIN_SIZE; a += 4096)
        hand_leaf(&lo, a, a, 3, n | H_S1_RO | H_S1_XN);
    for (uint64_t a = ORC_DATA_PA; a < ORC_DATA_PA + ORC_WIN_SIZE; a += 4096)
        hand_leaf(&lo, a, a, 3, n | H_S1_PXN | H_S1_XN);
    map_el0_aliases(&lo);
    hand_init_at(&hi, &m, 39, 1, lo.next_page);
    hand_leaf(&hi, 0xffffff8040000000ull, 0x40000000, 3, n | H_S1_XN);
    hand_leaf(&hi, 0xffffff8040001000ull, 0x40001000, 3, n | H_S1_PXN);
    hand_leaf(&hi, 0xffffff8040002000ull, 0x40002000, 3,
              n | H_S1_USER | H_S1_PXN | H_S1_XN);
    struct orc *o = orc_open_cpu(&m, true);
    orc_set_s1_el20(o, lo.root_pa, hi.root_pa,
                    T0SZ(39) | WBWA_ISH | TG0_4K | T1SZ(39) | WBWA_ISH1 |
                        TCR_EL1_TG1_4K | TCR_EL1_IPS_40,
                    MAIR_DOC);
    /* AT walks the same tables as EL1&0 (orc_set_s1_el20()). */
    const struct hcase c[] = {
        {0xffffff8040000010ull, ORC_AT_S1E1W, OK(0x40000010, 0xff, 3)},
        {0xffffff8040001010ull, ORC_AT_S1E0R, FAULT(ORC_F_PERM, 3)},
    };
    run_cases(o, "hand 4K S1 EL2&0", c, sizeof(c) / sizeof(c[0]));
    /* The real EL2&0 regime: loads, a store and fetches at EL2. */
    const uint64_t lva[] = {0xffffff8040000ff8ull, 0xffffff8040001008ull};
    uint64_t val[2];
    assert_int_equal(orc_load(o, lva, val, 2), 2);
    assert_int_equal(val[0], orc_ram_word(0x40000ff8));
    assert_int_equal(val[1], orc_ram_word(0x40001008));
    const uint64_t sva[] = {0xffffff8040001010ull};
    const uint64_t sval[] = {5};
    assert_int_equal(orc_store(o, sva, sval, 1), 1);
    assert_int_equal(*(uint64_t *)orc_phys(o, 0x40001010), 5);
    *(uint32_t *)orc_phys(o, 0x40000200) = ORC_INSN_RET;
    *(uint32_t *)orc_phys(o, 0x40001200) = ORC_INSN_RET;
    const uint64_t xva[] = {0xffffff8040000200ull, 0xffffff8040001200ull};
    bool ok[2];
    assert_int_equal(orc_exec(o, xva, ok, 2), 1);
    assert_true(ok[0]);  /* UXN only: EL2 may execute */
    assert_false(ok[1]); /* PXN */
    /* EL0 of EL2&0 (HCR_EL2.TGE = 1 for the run): the USER page only. */
    el0_probe(o, 0xffffff8040002010ull, 0x40002010, 0xffffff8040000010ull,
              true);
    orc_close(o);
    tmm_fini(&m);
}

/* Identity-map the harness windows at stage 2 (RWX). */
static void map_windows_s2(struct hand *h)
{
    uint64_t g = 1ull << h->gs;
    for (uint64_t a = ORC_CODE_PA; a < ORC_DATA_PA + ORC_WIN_SIZE; a += g)
        hand_leaf(h, a, a, 3,
                  H_AF | H_SH_INNER | H_S2_MEMATTR(0xf) | H_S2_R | H_S2_W);
}

/*
 * 4K granule, stage 2, 40-bit IPA, start level 1: 1024 root entries = two
 * concatenated root pages (VTCR.SL0 = 1).
 *   0x80_4000_0000: root[513] (second root page) -> L2 -> L3[0]
 *                   page -> 0x4000_3000, S2AP R only
 *   0x80_4000_1000: page -> 0x4000_4000 RW, AF = 0
 *   0x80_4000_2000: invalid entry with an owner annotation (0x7 << 2)
 *   0x4000_0000:    root[1] 1G block -> 0x1_4000_0000 RW
 *   0x0:            harness windows
 */
static void s2_4k_concat(void **state)
{
    (void)state;
    struct tmm m;
    struct hand h;
    tmm_init(&m, 4096, 64, ARENA_PA);
    hand_init(&h, &m, 40, 1);
    assert_int_equal(h.next_page, 2);
    const uint64_t n = H_SH_INNER | H_S2_MEMATTR(0xf);
    hand_leaf(&h, 0x8040000000, 0x40003000, 3, n | H_AF | H_S2_R);
    hand_leaf(&h, 0x8040001000, 0x40004000, 3, n | H_S2_R | H_S2_W);
    *hand_entry(&h, 0x8040002000, 3) = 0x7ull << 2;
    hand_leaf(&h, 0x40000000, 0x140000000, 1, n | H_AF | H_S2_R | H_S2_W);
    map_windows_s2(&h);
    struct orc *o = orc_open(&m);
    orc_set_s2(o, h.root_pa,
               T0SZ(40) | SL0(1) | WBWA_ISH | TG0_4K | PS_40 | VTCR_RES1);
    /* Stage 1 off with HCR_EL2.DC = 1: Normal WB non-shareable, combined
     * with stage 2's Normal WB inner shareable: ATTR 0xff, SH 3. */
    const struct hcase c[] = {
        {0x8040000ab8, ORC_AT_S12E1R, OK(0x40003ab8, 0xff, 3)},
        {0x8040000ab8, ORC_AT_S12E1W, S2FAULT(ORC_F_PERM, 3)},
        {0x8040001000, ORC_AT_S12E1R, S2FAULT(ORC_F_AF, 3)},
        {0x8040002000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 3)},
        {0x8040200000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 2)},
        {0x8080000000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 1)},
        {0x7fc0000000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 1)},
        {0x7ffffff000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 1)},
        {0x7ffff000, ORC_AT_S12E1W, OK(0x17ffff000, 0xff, 3)},
        {0x00030008, ORC_AT_S12E1W, OK(0x00030008, 0xff, 3)},
    };
    run_cases(o, "hand 4K S2 40-bit concat x2", c, sizeof(c) / sizeof(c[0]));
    /* With HCR_EL2.DC = 0, stage 1 off is Device-nGnRnE (ATTR 0x00),
     * reported outer shareable, whatever stage 2 says. */
    orc_set_s2_hcr(o, h.root_pa,
                   T0SZ(40) | SL0(1) | WBWA_ISH | TG0_4K | PS_40 | VTCR_RES1,
                   1 /* VM */);
    const struct hcase dc0[] = {
        {0x8040000ab8, ORC_AT_S12E1R, OK(0x40003ab8, 0x00, 2)},
        {0x7ffff000, ORC_AT_S12E1W, OK(0x17ffff000, 0x00, 2)},
    };
    run_cases(o, "hand 4K S2 DC=0", dc0, 2);
    orc_set_s2(o, h.root_pa,
               T0SZ(40) | SL0(1) | WBWA_ISH | TG0_4K | PS_40 | VTCR_RES1);
    const uint64_t lva[] = {0x8040000ab8, 0x8040000000};
    uint64_t val[2];
    assert_int_equal(orc_load(o, lva, val, 2), 2);
    assert_int_equal(val[0], orc_ram_word(0x40003ab8));
    assert_int_equal(val[1], orc_ram_word(0x40003000));
    const uint64_t sva[] = {0x8040000ab8};
    assert_int_equal(orc_store(o, sva, val, 1), 0);
    const uint64_t bad[] = {0x8040002000};
    assert_int_equal(orc_load(o, bad, val, 1), 0);
    orc_close(o);
    tmm_fini(&m);
}

/*
 * 16K granule, stage 2, 40-bit IPA, start level 2: 2^(40-25) = 32768
 * entries = 16 concatenated root pages (VTCR.SL0 = 1 for 16K).
 *   0xf0_0000_0000: root[30720] (page 15) 32M block -> 0x4200_0000
 *   0x0_0200_4000:  root[1] -> L3[1] page -> 0x4000_c000 W only
 */
static void s2_16k_concat16(void **state)
{
    (void)state;
    struct tmm m;
    struct hand h;
    tmm_init(&m, 16384, 32, ARENA_PA);
    hand_init(&h, &m, 40, 2);
    assert_int_equal(h.next_page, 16);
    const uint64_t n = H_AF | H_SH_INNER | H_S2_MEMATTR(0xf);
    hand_leaf(&h, 0xf000000000, 0x42000000, 2, n | H_S2_R | H_S2_W);
    hand_leaf(&h, 0x02004000, 0x4000c000, 3, n | H_S2_W);
    /* Device-nGnRE and Normal NC at stage 2 (MemAttr 0b0001, 0b0101). */
    hand_leaf(&h, 0x02008000, 0x4000c000, 3,
              H_AF | H_S2_MEMATTR(0x1) | H_S2_R);
    hand_leaf(&h, 0x0200c000, 0x4000c000, 3,
              H_AF | H_SH_INNER | H_S2_MEMATTR(0x5) | H_S2_R);
    struct orc *o = orc_open(&m);
    orc_set_s2(o, h.root_pa,
               T0SZ(40) | SL0(1) | WBWA_ISH | TG0_16K | PS_40 | VTCR_RES1);
    const struct hcase c[] = {
        {0xf001234560, ORC_AT_S12E1R, OK(0x43234560, 0xff, 3)},
        {0xf001ffc000, ORC_AT_S12E1W, OK(0x43ffc000, 0xff, 3)},
        {0x02008008, ORC_AT_S12E1R, OK(0x4000c008, 0x04, 2)},
        {0x0200c008, ORC_AT_S12E1R, OK(0x4000c008, 0x44, 2)},
        {0xf002000000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 2)},
        {0x02004008, ORC_AT_S12E1R, S2FAULT(ORC_F_PERM, 3)},
        {0x02007ff8, ORC_AT_S12E1W, OK(0x4000fff8, 0xff, 3)},
        {0x02000000, ORC_AT_S12E1W, S2FAULT(ORC_F_TRANS, 3)},
        {0xeffe000000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 2)},
    };
    run_cases(o, "hand 16K S2 40-bit concat x16", c,
              sizeof(c) / sizeof(c[0]));
    orc_close(o);
    tmm_fini(&m);
}

/*
 * 64K granule, stage 2, 44-bit IPA, start level 1 (VTCR.SL0 = 2):
 * 2^(44-42) = 4 root entries, one page.
 *   0x0_4000_0000: root[0] -> L2[2] 512M block -> 0x2_0000_0000 R
 *   0xc00_0001_0000: root[3] -> L2[0] -> L3[1] page -> 0x4003_0000 RW
 */
static void s2_64k(void **state)
{
    (void)state;
    struct tmm m;
    struct hand h;
    tmm_init(&m, 65536, 8, ARENA_PA);
    hand_init(&h, &m, 44, 1);
    const uint64_t n = H_AF | H_SH_INNER | H_S2_MEMATTR(0xf);
    hand_leaf(&h, 0x40000000, 0x200000000, 2, n | H_S2_R);
    hand_leaf(&h, 0xc0000010000, 0x40030000, 3, n | H_S2_R | H_S2_W);
    struct orc *o = orc_open(&m);
    orc_set_s2(o, h.root_pa,
               T0SZ(44) | SL0(2) | WBWA_ISH | TG0_64K | PS_44 | VTCR_RES1);
    const struct hcase c[] = {
        {0x5ffffff8, ORC_AT_S12E1R, OK(0x21ffffff8, 0xff, 3)},
        {0x40000000, ORC_AT_S12E1W, S2FAULT(ORC_F_PERM, 2)},
        {0x60000000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 2)},
        {0xc000001abc8, ORC_AT_S12E1W, OK(0x4003abc8, 0xff, 3)},
        {0xc0000020000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 3)},
        {0x80000000000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 1)},
    };
    run_cases(o, "hand 64K S2 44-bit", c, sizeof(c) / sizeof(c[0]));
    orc_close(o);
    tmm_fini(&m);
}

/*
 * Both stages of EL1&0, 4K: stage-1 tables (39-bit VA) live at IPAs that
 * stage 2 (40-bit IPA, two concatenated root pages) maps to themselves,
 * except the page holding the stage-1 level-2 table for VA 0x8000_0000.
 *   VA 0x4000_0000 -> IPA 0x1000_0000 -> PA 0x4000_3000 (WB, RW both)
 *   VA 0x4000_1000 -> IPA 0x1000_1000 -> (stage 2: nothing)
 *   VA 0x4000_2000 -> IPA 0x1000_2000 -> PA 0x4000_4000 Device, S2 R only
 *   VA 0x4000_3000 -> IPA 0x1000_3000 RO at stage 1 -> PA 0x4000_5000
 *   VA 0x8000_0000 -> walk needs the stage-1 L2 table: stage-2 fault on
 *                     the stage-1 walk (S = 1, PTW = 1)
 */
static void s12_4k(void **state)
{
    (void)state;
    struct tmm m;
    struct hand h2, h1;
    tmm_init(&m, 4096, 128, ARENA_PA);
    hand_init(&h2, &m, 40, 1);          /* stage 2: pages 0.. */
    hand_init_at(&h1, &m, 39, 1, 64);   /* stage 1: pages 64.. */
    const uint64_t s1 = H_AF | H_SH_INNER;
    hand_leaf(&h1, 0x40000000, 0x10000000, 3, s1);
    hand_leaf(&h1, 0x40001000, 0x10001000, 3, s1);
    hand_leaf(&h1, 0x40002000, 0x10002000, 3, s1);
    hand_leaf(&h1, 0x40003000, 0x10003000, 3, s1 | H_S1_RO);
    size_t l2_page = h1.next_page; /* the next table: L2 for 0x8000_0000 */
    hand_leaf(&h1, 0x80000000, 0x10004000, 3, s1);
    assert_int_equal(h1.next_page, l2_page + 2);
    map_windows_s1(&h1, 3, true);

    const uint64_t s2 = H_AF | H_SH_INNER | H_S2_MEMATTR(0xf) | H_S2_R;
    hand_leaf(&h2, 0x10000000, 0x40003000, 3, s2 | H_S2_W);
    hand_leaf(&h2, 0x10002000, 0x40004000, 3,
              H_AF | H_S2_MEMATTR(0x1) | H_S2_R);
    hand_leaf(&h2, 0x10003000, 0x40005000, 3, s2 | H_S2_W);
    hand_leaf(&h2, 0x10004000, 0x40006000, 3, s2 | H_S2_W);
    for (size_t p = 64; p < h1.next_page; p++) {
        uint64_t ipa = ARENA_PA + p * 4096;
        if (p != l2_page)
            hand_leaf(&h2, ipa, ipa, 3, s2);
    }
    map_windows_s2(&h2);
    assert_true(h2.next_page <= 64);

    struct orc *o = orc_open(&m);
    orc_set_s12(o, h1.root_pa,
                T0SZ(39) | WBWA_ISH | TG0_4K | TCR_EL1_EPD1 | TCR_EL1_TG1_4K |
                    TCR_EL1_IPS_40,
                MAIR_DOC, h2.root_pa,
                T0SZ(40) | SL0(1) | WBWA_ISH | TG0_4K | PS_40 | VTCR_RES1);
    struct orc_expect ptw = {ORC_F_TRANS, ORC_ANY_LEVEL, true, 0, -1, -1,
                             false, false};
    const struct hcase c[] = {
        {0x40000010, ORC_AT_S12E1R, OK(0x40003010, 0xff, 3)},
        {0x40000010, ORC_AT_S12E1W, OK(0x40003010, 0xff, 3)},
        {0x40000010, ORC_AT_S1E1R, OK(0x10000010, 0xff, 3)},
        {0x40001000, ORC_AT_S12E1R, S2FAULT(ORC_F_TRANS, 3)},
        {0x40001000, ORC_AT_S1E1R, OK(0x10001000, 0xff, 3)},
        /* Stage-1 Normal WB + stage-2 Device-nGnRE = Device-nGnRE. */
        {0x40002008, ORC_AT_S12E1R, OK(0x40004008, 0x04, 2)},
        {0x40002008, ORC_AT_S12E1W, S2FAULT(ORC_F_PERM, 3)},
        {0x40003000, ORC_AT_S12E1R, OK(0x40005000, 0xff, 3)},
        {0x40003000, ORC_AT_S12E1W, FAULT(ORC_F_PERM, 3)},
        {0x80000000, ORC_AT_S12E1R, ptw},
    };
    run_cases(o, "hand 4K S1+S2", c, sizeof(c) / sizeof(c[0]));
    /* PTW is set only for the table-walk fault (the level Unicorn reports
     * there is the stage-1 one: see EMULATORS.md). */
    uint64_t va[2] = {0x80000000, 0x40001000}, par[2];
    orc_at(o, ORC_AT_S12E1R, va, par, 2);
    struct orc_par p0, p1;
    orc_par_decode(par[0], &p0);
    orc_par_decode(par[1], &p1);
    fprintf(stderr, "S12E1R 0x80000000 (PTW): PAR %#llx, FST %#x, S %d PTW %d\n",
            (unsigned long long)par[0], p0.fst, p0.s2, p0.ptw);
    assert_true(p0.ptw);
    assert_false(p1.ptw);
    /* Loads through both stages. */
    const uint64_t lva[] = {0x40000ff8, 0x40003008};
    uint64_t val[2];
    assert_int_equal(orc_load(o, lva, val, 2), 2);
    assert_int_equal(val[0], orc_ram_word(0x40003ff8));
    assert_int_equal(val[1], orc_ram_word(0x40005008));
    const uint64_t bad[] = {0x40001000};
    assert_int_equal(orc_load(o, bad, val, 1), 0);
    orc_close(o);
    tmm_fini(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(s1_el2_4k),       cmocka_unit_test(s1_el2_16k),
        cmocka_unit_test(s1_el2_64k),      cmocka_unit_test(s1_el10_4k),
        cmocka_unit_test(s2_4k_concat),    cmocka_unit_test(s2_16k_concat16),
        cmocka_unit_test(s2_64k),          cmocka_unit_test(s12_4k),
        cmocka_unit_test(s1_el3_4k),       cmocka_unit_test(s1_el10_ttbr1_4k),
        cmocka_unit_test(s1_el20_4k),
    };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("oracle arch: %llu ATs, %llu loads, %llu stores, %llu emulator "
           "runs, %.2f s\n",
           (unsigned long long)orc_stats.ats,
           (unsigned long long)orc_stats.loads,
           (unsigned long long)orc_stats.stores,
           (unsigned long long)orc_stats.emu_runs,
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return rc;
}
