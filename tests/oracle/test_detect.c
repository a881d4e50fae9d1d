// SPDX-License-Identifier: MIT
/*
 * The oracle must be able to fail. Tables are written by hand (hand.h)
 * from a reference model; orc_check() must accept them as they are, and
 * must report a mismatch for each deliberately corrupted descriptor: an
 * output-address bit flipped, a permission bit flipped, a valid bit
 * cleared, a stage-2 owner annotation turned into a mapping, an access
 * flag cleared. Also checks that the checker itself (reference model,
 * address sampling, loads/stores) is right before it judges the library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include "check.h"
#include "hand.h"

#define ARENA_PA 0x80000000ull

/* Descriptor attributes for @prot, written from the Arm ARM (D8.3), not
 * from the library. */
static uint64_t hand_s1_attrs(uint32_t prot)
{
    uint64_t a = H_AF;
    if (prot & PGT_PROT_DEVICE)
        a |= H_S1_IDX(1);
    else if (prot & PGT_PROT_NORMAL_NC)
        a |= H_S1_IDX(2);
    else
        a |= H_SH_INNER;
    if (!(prot & PGT_PROT_W))
        a |= H_S1_RO;
    if (prot & PGT_PROT_USER)
        a |= H_S1_USER;
    if (!(prot & PGT_PROT_X))
        a |= H_S1_XN;
    return a;
}

static uint64_t hand_s2_attrs(uint32_t prot)
{
    uint64_t a = H_AF | H_SH_INNER;
    if (prot & PGT_PROT_DEVICE)
        a |= H_S2_MEMATTR(0x1);
    else if (prot & PGT_PROT_NORMAL_NC)
        a |= H_S2_MEMATTR(0x5);
    else
        a |= H_S2_MEMATTR(0xf);
    if (prot & PGT_PROT_R)
        a |= H_S2_R;
    if (prot & PGT_PROT_W)
        a |= H_S2_W;
    if (!(prot & PGT_PROT_X))
        a |= H_S2_XN;
    return a;
}

/* Write the model into hand tables, page leaves only. */
static void hand_from_ref(struct hand *h, const struct ref *m, bool s2)
{
    uint64_t g = 1ull << h->gs;
    for (size_t i = 0; i < m->n; i++) {
        const struct ref_region *r = &m->r[i];
        for (uint64_t off = 0; off < r->size; off += g) {
            if (r->st == REF_OWNED) {
                *hand_entry(h, r->ia + off, 3) = (uint64_t)r->owner << 2;
                continue;
            }
            uint64_t at = s2 ? hand_s2_attrs(r->prot) : hand_s1_attrs(r->prot);
            if (r->old)
                at &= ~H_AF;
            hand_leaf(h, r->ia + off, r->pa + off, 3, at);
        }
    }
}

static void windows(struct ref *m, bool s2)
{
    ref_map(m, ORC_CODE_PA, ORC_WIN_SIZE, ORC_CODE_PA,
            s2 ? PGT_PROT_RWX : PGT_PROT_RX);
    ref_map(m, ORC_DATA_PA, ORC_WIN_SIZE, ORC_DATA_PA, PGT_PROT_RW);
}

/* Flip @bits in the level-3 entry for @ia, check, flip back, check. */
static void expect_detected(const struct orc_target *t, struct hand *h,
                            const struct ref *m, uint64_t ia, uint64_t bits,
                            const char *what)
{
    /* Probe memory densely: every page here is in the RAM window, and
     * the corrupted one must be among the loads, stores and fetches. */
    struct orc_check_opts opt = {.what = what, .seed = 7, .unmapped = 64,
                                 .mem = 256};
    uint64_t *e = hand_entry(h, ia, 3);
    *e ^= bits;
    orc_tlbi(t->o);
    fprintf(stderr, "-- expected mismatches follow (%s):\n", what);
    size_t bad = orc_check(t, m, &opt);
    fprintf(stderr, "-- %zu mismatches found (%s)\n", bad, what);
    assert_true(bad > 0);
    *e ^= bits;
    orc_tlbi(t->o);
    opt.what = "restored";
    assert_int_equal(orc_check(t, m, &opt), 0);
}

static void s1_el2_detects_corruption(void **state)
{
    (void)state;
    struct tmm mm;
    struct hand h;
    struct ref m;
    tmm_init(&mm, 4096, 64, ARENA_PA);
    hand_init(&h, &mm, 39, 1);
    ref_init(&m);
    windows(&m, false);
    ref_map(&m, 0x40000000, 0x10000, 0x40000000, PGT_PROT_RW);
    ref_map(&m, 0x40100000, 0x4000, 0x40100000,
            PGT_PROT_R | PGT_PROT_DEVICE);
    ref_map(&m, 0x40200000, 0x4000, 0x40300000,
            PGT_PROT_RW | PGT_PROT_NORMAL_NC);
    ref_map(&m, 0x7fff0000, 0x8000, 0x40200000, PGT_PROT_RX);
    hand_from_ref(&h, &m, false);

    struct orc *o = orc_open(&mm);
    orc_set_s1_el2(o, h.root_pa,
                   25 | (1ull << 8) | (1ull << 10) | (3ull << 12) |
                       (2ull << 16) | (1ull << 31) | (1ull << 23),
                   ORC_MAIR_DOC);
    struct orc_target t = {.o = o, .regime = ORC_S1_EL2, .gs = 12,
                           .ia_bits = 39};
    struct orc_check_opts opt = {.what = "hand S1 EL2", .seed = 1,
                                 .unmapped = 4096, .mem = 64};
    assert_int_equal(orc_check(&t, &m, &opt), 0);

    expect_detected(&t, &h, &m, 0x40005000, 1ull << 13, "OA bit 13 flipped");
    expect_detected(&t, &h, &m, 0x40005000, 1ull << 40, "OA bit 40 flipped");
    expect_detected(&t, &h, &m, 0x40003000, H_S1_RO, "AP[2] set on RW page");
    expect_detected(&t, &h, &m, 0x40100000, H_S1_RO, "AP[2] cleared on RO");
    expect_detected(&t, &h, &m, 0x40101000, H_VALID, "valid bit cleared");
    expect_detected(&t, &h, &m, 0x40102000, H_AF, "AF cleared");
    expect_detected(&t, &h, &m, 0x40201000, H_S1_IDX(3), "AttrIndx 2 -> 1");
    expect_detected(&t, &h, &m, 0x40000000, 1ull << 8, "SH inner -> outer");
    expect_detected(&t, &h, &m, 0x40002000, H_S1_XN, "XN cleared on RW page");
    expect_detected(&t, &h, &m, 0x7fff3000, H_S1_XN, "XN set on RX page");
    /* An entry appearing where the model has nothing. */
    expect_detected(&t, &h, &m, 0x40010000,
                    0x40010000 | hand_s1_attrs(PGT_PROT_R) | 3,
                    "extra mapping");
    orc_close(o);
    ref_fini(&m);
    tmm_fini(&mm);
}

static void s2_detects_corruption(void **state)
{
    (void)state;
    struct tmm mm;
    struct hand h;
    struct ref m;
    tmm_init(&mm, 4096, 64, ARENA_PA);
    hand_init(&h, &mm, 40, 1); /* two concatenated root pages */
    ref_init(&m);
    windows(&m, true);
    ref_map(&m, 0x8040000000, 0x20000, 0x40000000, PGT_PROT_RW);
    ref_map(&m, 0x8040020000, 0x4000, 0x40020000, PGT_PROT_R);
    ref_map(&m, 0x8040024000, 0x4000, 0x40024000, PGT_PROT_W);
    ref_map(&m, 0x8040028000, 0x4000, 0x40028000, PGT_PROT_RW);
    ref_set_old(&m, 0x8040028000, 0x2000, true);
    ref_set_owner(&m, 0x8040030000, 0x8000, 3);
    ref_map(&m, 0x8040040000, 0x4000, 0x40040000,
            PGT_PROT_RW | PGT_PROT_DEVICE);
    ref_map(&m, 0x8040044000, 0x4000, 0x40044000,
            PGT_PROT_RWX | PGT_PROT_NORMAL_NC);
    hand_from_ref(&h, &m, true);

    struct orc *o = orc_open(&mm);
    orc_set_s2(o, h.root_pa,
               24 | (1ull << 6) | (1ull << 8) | (1ull << 10) | (3ull << 12) |
                   (2ull << 16) | (1ull << 31));
    struct orc_target t = {.o = o, .regime = ORC_S2, .gs = 12, .ia_bits = 40};
    struct orc_check_opts opt = {.what = "hand S2", .seed = 2,
                                 .unmapped = 4096, .mem = 64};
    assert_int_equal(orc_check(&t, &m, &opt), 0);

    expect_detected(&t, &h, &m, 0x8040001000, 1ull << 12, "OA bit 12 flipped");
    expect_detected(&t, &h, &m, 0x8040020000, H_S2_W, "S2AP W added");
    expect_detected(&t, &h, &m, 0x8040024000, H_S2_R, "S2AP R added");
    expect_detected(&t, &h, &m, 0x8040028000, H_AF, "AF set on old page");
    expect_detected(&t, &h, &m, 0x8040004000, H_S2_XN, "S2 XN cleared");
    expect_detected(&t, &h, &m, 0x8040045000, H_S2_XN, "S2 XN set on RWX");
    expect_detected(&t, &h, &m, 0x8040002000, H_S2_MEMATTR(0xe),
                    "MemAttr WB -> Device-nGnRE");
    expect_detected(&t, &h, &m, 0x8040041000, H_S2_MEMATTR(0x4),
                    "MemAttr Device -> Normal NC");
    expect_detected(&t, &h, &m, 0x8040045000, H_S2_MEMATTR(0xa),
                    "MemAttr Normal NC -> WB");
    expect_detected(&t, &h, &m, 0x8040003000, 1ull << 8,
                    "SH inner -> outer (stage 2)");
    expect_detected(&t, &h, &m, 0x8040030000,
                    (0x40030000ull | hand_s2_attrs(PGT_PROT_RW) | 3),
                    "owner annotation -> mapping");
    orc_close(o);
    ref_fini(&m);
    tmm_fini(&mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(s1_el2_detects_corruption),
        cmocka_unit_test(s2_detects_corruption),
    };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("oracle detect: %llu pages + %llu other addresses checked in %llu "
           "checks, %llu ATs, %llu loads, %llu stores, %llu+%llu fetches "
           "(ok+faulted), %.2f s\n",
           (unsigned long long)orc_check_stats.pages,
           (unsigned long long)orc_check_stats.unmapped,
           (unsigned long long)orc_check_stats.checks,
           (unsigned long long)orc_stats.ats,
           (unsigned long long)orc_stats.loads,
           (unsigned long long)orc_stats.stores,
           (unsigned long long)orc_stats.fetches,
           (unsigned long long)orc_stats.fetch_faults,
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return rc;
}
