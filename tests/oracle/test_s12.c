// SPDX-License-Identifier: MIT
/*
 * A guest's view: a library-built stage-1 EL1&0 table on top of a
 * library-built stage-2 table, both walked by the emulated CPU with
 * AT S12E1R/W (HCR_EL2.VM = 1, SCTLR_EL1.M = 1). The stage-1 tables live in
 * the arena, which stage 2 maps to itself, so the walker reaches them
 * through stage 2 as real hardware does.
 *
 * Every stage-1 mapped page and a sample of other VAs must translate as
 * the composition of the two reference models says, and as the
 * composition of the two pgt_get_leaf() walks says: stage-1 faults with
 * S = 0, stage-2 faults with S = 1, each at its own level, the combined
 * memory type (Device wins over Normal NC, which wins over WB) and the
 * shareability, after operations on either stage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "check.h"

#define ARENA_PA 0x80000000ull
#define ARENA_SIZE (32ull << 20)
#define MiB (1ull << 20)

struct stage {
    struct pgt pgt;
    struct ref ref;
};

struct s12 {
    const char *name;
    struct tmm mm;
    struct stage s1, s2;
    struct orc *o;
    uint64_t g;
    uint64_t seed;
    unsigned step;
    size_t bad;
};

/* One stage's answer for one input address. */
struct view {
    enum orc_fault fault; /* ORC_OK: translated (permissions not applied) */
    int level;
    uint64_t out;
    uint32_t prot;
};

static struct view ref_view(const struct ref *m, uint64_t ia)
{
    struct view v = {ORC_F_TRANS, ORC_ANY_LEVEL, 0, 0};
    const struct ref_region *r = ref_find(m, ia);
    if (!r || r->st != REF_MAPPED)
        return v;
    v.level = r->level;
    if (r->old) {
        v.fault = ORC_F_AF;
        return v;
    }
    v.fault = ORC_OK;
    v.out = r->pa + (ia - r->ia);
    v.prot = r->prot;
    return v;
}

static struct view lib_view(const struct pgt *p, uint64_t ia)
{
    struct view v = {ORC_F_TRANS, 0, 0, 0};
    pgt_pte_t pte = 0;
    if (pgt_get_leaf(p, ia, &pte, &v.level)) {
        v.fault = ORC_F_OTHER;
        return v;
    }
    if (!pgt_pte_is_leaf(pte, v.level))
        return v;
    if (!(pte & PGT_PTE_AF)) {
        v.fault = ORC_F_AF;
        return v;
    }
    v.fault = ORC_OK;
    v.out = pgt_oa_decode(&p->geom, pte) +
            (ia & (pgt_level_size(&p->geom, v.level) - 1));
    v.prot = pgt_leaf_prot(&p->geom, p->regime, p->flags, pte);
    return v;
}

enum memtype { MT_WB, MT_NC, MT_DEVICE };

static enum memtype memtype(uint32_t prot)
{
    return (prot & PGT_PROT_DEVICE)      ? MT_DEVICE
           : (prot & PGT_PROT_NORMAL_NC) ? MT_NC
                                         : MT_WB;
}

/*
 * Both stages, in the architecture's order: stage-1 fault, stage-1
 * permission, then stage 2 on the output IPA. Memory types combine to the
 * more restrictive (Device-nGnRE here 0x04 > Normal NC 0x44 > WB 0xff);
 * Device and NC results are reported outer shareable, WB keeps the
 * descriptors' inner shareability.
 */
static struct orc_expect compose(struct view s1, int s1_level_fallback,
                                 const struct view *s2p, int s2_level_fallback,
                                 bool write)
{
    struct orc_expect e = {.attr = -1, .sh = -1};
    if (s1.level == ORC_ANY_LEVEL)
        s1.level = s1_level_fallback;
    if (s1.fault != ORC_OK) {
        e.fault = s1.fault;
        e.level = s1.level;
        return e;
    }
    if (write && !(s1.prot & PGT_PROT_W)) {
        e.fault = ORC_F_PERM;
        e.level = s1.level;
        return e;
    }
    struct view s2 = *s2p;
    if (s2.level == ORC_ANY_LEVEL)
        s2.level = s2_level_fallback;
    e.s2 = true;
    e.level = s2.level;
    if (s2.fault != ORC_OK) {
        e.fault = s2.fault;
        return e;
    }
    if (write ? !(s2.prot & PGT_PROT_W) : !(s2.prot & PGT_PROT_R)) {
        e.fault = ORC_F_PERM;
        return e;
    }
    e.s2 = false;
    e.level = 0;
    e.fault = ORC_OK;
    e.pa = s2.out;
    enum memtype a = memtype(s1.prot), b = memtype(s2.prot);
    enum memtype mt = a > b ? a : b;
    e.attr = mt == MT_DEVICE ? 0x04 : mt == MT_NC ? 0x44 : 0xff;
    e.sh = mt == MT_WB ? 3 : 2;
    return e;
}

static void check(struct s12 *t, const char *what)
{
    char label[160];
    snprintf(label, sizeof(label), "%s step %u (%s) seed %#llx", t->name,
             t->step++, what, (unsigned long long)t->seed);
    uint64_t s = t->seed + t->step;
    size_t n = 0, cap = 4096;
    uint64_t *va = malloc(cap * sizeof(*va));
    /* Every stage-1 mapped page, then random VAs below 2^39. */
    for (size_t i = 0; i < t->s1.ref.n; i++) {
        const struct ref_region *r = &t->s1.ref.r[i];
        if (r->st != REF_MAPPED)
            continue;
        for (uint64_t off = 0; off < r->size; off += t->g) {
            if (n == cap)
                va = realloc(va, (cap *= 2) * sizeof(*va));
            va[n++] = r->ia + off + (orc_rand(&s) & (t->g - 8));
        }
    }
    for (int i = 0; i < 512; i++) {
        if (n == cap)
            va = realloc(va, (cap *= 2) * sizeof(*va));
        va[n++] = orc_rand(&s) & ((1ull << t->s1.pgt.geom.ia_bits) - 8);
    }
    uint64_t *par = malloc(n * sizeof(*par));
    struct orc_expect *er = malloc(n * sizeof(*er));
    struct orc_expect *el = malloc(n * sizeof(*el));
    for (int w = 0; w < 2; w++) {
        enum orc_at op = w ? ORC_AT_S12E1W : ORC_AT_S12E1R;
        orc_at(t->o, op, va, par, n);
        for (size_t i = 0; i < n; i++) {
            struct view l1 = lib_view(&t->s1.pgt, va[i]);
            struct view l2 = {ORC_F_TRANS, 0, 0, 0};
            if (l1.fault == ORC_OK)
                l2 = lib_view(&t->s2.pgt, l1.out);
            el[i] = compose(l1, l1.level, &l2, l2.level, w);
            struct view r1 = ref_view(&t->s1.ref, va[i]);
            struct view r2 = {ORC_F_TRANS, ORC_ANY_LEVEL, 0, 0};
            /* The reference model's IPA, looked up in its own stage 2;
             * levels the model does not pin come from the library. */
            int lib2_level = l2.level;
            if (r1.fault == ORC_OK) {
                r2 = ref_view(&t->s2.ref, r1.out);
                struct view x = lib_view(&t->s2.pgt, r1.out);
                lib2_level = x.level;
            }
            er[i] = compose(r1, l1.level, &r2, lib2_level, w);
        }
        char l2[200];
        snprintf(l2, sizeof(l2), "%s: vs reference models", label);
        t->bad += orc_compare(l2, op, va, par, er, n);
        snprintf(l2, sizeof(l2), "%s: vs pgt_get_leaf x2", label);
        t->bad += orc_compare(l2, op, va, par, el, n);
    }
    t->bad += orc_pgt_check(&t->s1.pgt, label) + orc_pgt_check(&t->s2.pgt, label);
    orc_check_stats.pages += n - 512;
    orc_check_stats.unmapped += 512;
    orc_check_stats.checks++;
    free(va);
    free(par);
    free(er);
    free(el);
}

static void s1_map(struct s12 *t, uint64_t va, uint64_t size, uint64_t ipa,
                   uint32_t prot, int level)
{
    assert_int_equal(pgt_hyp_map(&t->s1.pgt, va, size, ipa, prot), 0);
    ref_map(&t->s1.ref, va, size, ipa, prot);
    ref_set_level(&t->s1.ref, va, size, level);
}

static void s2_map(struct s12 *t, uint64_t ipa, uint64_t size, uint64_t pa,
                   uint32_t prot, int level)
{
    assert_int_equal(pgt_s2_map(&t->s2.pgt, ipa, size, pa, prot, NULL, 0),
                     0);
    ref_map(&t->s2.ref, ipa, size, pa, prot);
    ref_set_level(&t->s2.ref, ipa, size, level);
}

static void sync(struct s12 *t)
{
    orc_tlbi(t->o);
}

/* One granule's layout (g = granule size):
 *   VA 0x4000_0000 +32 pages RW      -> IPA 0x1000_0000 (+32 pages)
 *   VA 0x4080_0000 +16 pages RO      -> IPA 0x1000_0000 (aliases)
 *   VA 0x4100_0000  +8 pages RW NC   -> IPA 0x1000_0000 + 20g
 *   IPA 0x1000_0000 +16 pages RW     -> PA RAM
 *   IPA +16g         +4 pages R      -> PA RAM + 16g
 *   IPA +20g         +4 pages RW Device -> PA RAM + 20g
 *   IPA +24g         +4 pages owned by 3; IPA +28g.. unmapped
 *   arena and harness windows: identity at stage 2, windows at stage 1
 * For 4K also a 2M stage-1 block on a 2M stage-2 block, later split. */
struct s12_cfg {
    const char *name;
    enum pgt_granule granule;
    unsigned s1_bits, s2_bits;
    int s2_start;
};

static void run_s12(const struct s12_cfg *c)
{
    struct s12 t;
    memset(&t, 0, sizeof(t));
    t.name = c->name;
    t.g = 1ull << c->granule;
    t.seed = 0x512 ^ c->granule;
    tmm_init(&t.mm, t.g, ARENA_SIZE / t.g, ARENA_PA);
    struct pgt_s2_cfg c2 = {.granule = c->granule, .ia_bits = c->s2_bits,
                            .oa_bits = 40, .start_level = c->s2_start};
    assert_int_equal(pgt_s2_init(&t.s2.pgt, &c2, &tmm_ops, NULL, NULL), 0);
    assert_int_equal(pgt_s1_init(&t.s1.pgt, PGT_REGIME_EL10, c->s1_bits,
                                 c->granule, 40, 0, &tmm_ops, NULL),
                     0);
    ref_init(&t.s1.ref);
    ref_init(&t.s2.ref);
    const uint64_t g = t.g;
    const uint64_t ipa = 0x10000000;

    /* Stage 2 maps the arena (where stage-1 tables live) to itself, and
     * the harness windows. */
    s2_map(&t, ARENA_PA, ARENA_SIZE, ARENA_PA, PGT_PROT_RW, ORC_ANY_LEVEL);
    s2_map(&t, ORC_CODE_PA, 2 * ORC_WIN_SIZE, ORC_CODE_PA, PGT_PROT_RWX, 3);
    s1_map(&t, ORC_CODE_PA, ORC_WIN_SIZE, ORC_CODE_PA, PGT_PROT_RX, 3);
    s1_map(&t, ORC_DATA_PA, ORC_WIN_SIZE, ORC_DATA_PA, PGT_PROT_RW, 3);

    s2_map(&t, ipa, 16 * g, ORC_RAM_PA, PGT_PROT_RW, 3);
    s2_map(&t, ipa + 16 * g, 4 * g, ORC_RAM_PA + 16 * g, PGT_PROT_R, 3);
    s2_map(&t, ipa + 20 * g, 4 * g, ORC_RAM_PA + 20 * g,
           PGT_PROT_RW | PGT_PROT_DEVICE, 3);
    assert_int_equal(pgt_s2_set_owner(&t.s2.pgt, ipa + 24 * g, 4 * g, NULL, 3),
                     0);
    ref_set_owner(&t.s2.ref, ipa + 24 * g, 4 * g, 3);
    s1_map(&t, 0x40000000, 32 * g, ipa, PGT_PROT_RW, 3);
    s1_map(&t, 0x40800000, 16 * g, ipa, PGT_PROT_R, 3);
    s1_map(&t, 0x41000000, 8 * g, ipa + 20 * g,
           PGT_PROT_RW | PGT_PROT_NORMAL_NC, 3);

    t.o = orc_open(&t.mm);
    orc_set_s12(t.o, pgt_ttbr_baddr(&t.s1.pgt), pgt_s1_tcr(&t.s1.pgt),
                PGT_MAIR_VALUE, pgt_ttbr_baddr(&t.s2.pgt),
                pgt_s2_vtcr(&t.s2.pgt));
    check(&t, "both stages mapped");

    /* Loads through both stages land on the PA of the composition. */
    uint64_t va[4] = {0x40000008, 0x40000000 + 5 * g + 0xff0,
                      0x40800000 + 3 * g + 0xff8, 0x40000000 + 17 * g + 0x10};
    uint64_t pa[4] = {ORC_RAM_PA + 8, ORC_RAM_PA + 5 * g + 0xff0,
                      ORC_RAM_PA + 3 * g + 0xff8,
                      ORC_RAM_PA + 17 * g + 0x10};
    uint64_t val[4];
    assert_int_equal(orc_load(t.o, va, val, 4), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(val[i], orc_ram_word(pa[i]));

    /* Stage-2 operations under a live stage 1. */
    assert_int_equal(pgt_s2_unmap(&t.s2.pgt, ipa + 8 * g, 2 * g, NULL), 0);
    ref_unmap(&t.s2.ref, ipa + 8 * g, 2 * g);
    assert_int_equal(pgt_s2_set_owner(&t.s2.pgt, ipa + 10 * g, 2 * g, NULL, 5),
                     0);
    ref_set_owner(&t.s2.ref, ipa + 10 * g, 2 * g, 5);
    assert_int_equal(pgt_s2_wrprotect(&t.s2.pgt, ipa, 4 * g), 0);
    ref_wrprotect(&t.s2.ref, ipa, 4 * g);
    sync(&t);
    check(&t, "stage 2 unmap, set_owner, wrprotect");

    /* Stage-1 protection change over stage-2 read-only memory. */
    assert_int_equal(pgt_hyp_protect(&t.s1.pgt, 0x40000000, 8 * g,
                                     PGT_PROT_R),
                     0);
    ref_set_perms(&t.s1.ref, 0x40000000, 8 * g, PGT_PROT_R);
    sync(&t);
    check(&t, "stage 1 protect");

    if (c->granule == PGT_GRANULE_4K) {
        /* Block on block: a 2M stage-1 block onto a 2M stage-2 block in
         * the RAM window, then the stage-2 block split into pages and the
         * stage-1 block partly unmapped. */
        s2_map(&t, 0x10200000, 2 * MiB, ORC_RAM_PA + 2 * MiB, PGT_PROT_RW, 2);
        s1_map(&t, 0x40400000, 2 * MiB, 0x10200000, PGT_PROT_RW, 2);
        sync(&t);
        check(&t, "block on block");
        assert_int_equal(pgt_s2_split(&t.s2.pgt, 0x10200000, 2 * MiB, NULL),
                         0);
        ref_set_level(&t.s2.ref, 0x10200000, 2 * MiB, 3);
        assert_int_equal(pgt_s2_wrprotect(&t.s2.pgt, 0x10300000, 4 * g), 0);
        ref_wrprotect(&t.s2.ref, 0x10300000, 4 * g);
        sync(&t);
        check(&t, "stage-2 block split");
        assert_true(pgt_hyp_unmap(&t.s1.pgt, 0x40500000, 16 * g) >= 0);
        ref_unmap(&t.s1.ref, 0x40500000, 16 * g);
        ref_set_level(&t.s1.ref, 0x40400000, 2 * MiB, ORC_ANY_LEVEL);
        sync(&t);
        check(&t, "stage-1 block partly unmapped");
    }

    /* Stage-1 unmap and stage-2 hand-back of the owned pages. */
    assert_true(pgt_hyp_unmap(&t.s1.pgt, 0x40000000 + 30 * g, 2 * g) >= 0);
    ref_unmap(&t.s1.ref, 0x40000000 + 30 * g, 2 * g);
    assert_int_equal(pgt_s2_set_owner(&t.s2.pgt, ipa + 24 * g, 4 * g, NULL, 0),
                     0);
    ref_set_owner(&t.s2.ref, ipa + 24 * g, 4 * g, 0);
    sync(&t);
    check(&t, "stage-1 unmap, stage-2 owner 0");

    size_t bad = t.bad;
    orc_close(t.o);
    pgt_hyp_destroy(&t.s1.pgt);
    pgt_s2_destroy(&t.s2.pgt);
    assert_int_equal(t.mm.live, 0);
    ref_fini(&t.s1.ref);
    ref_fini(&t.s2.ref);
    tmm_fini(&t.mm);
    assert_int_equal(bad, 0);
}

static const struct s12_cfg s12_cfgs[] = {
    {"S1 EL1&0 39-bit over S2 40-bit (L1, 2 pages), 4K", PGT_GRANULE_4K, 39,
     40, PGT_LEVEL_AUTO},
    {"S1 EL1&0 40-bit over S2 40-bit (L2, 16 pages), 16K", PGT_GRANULE_16K,
     40, 40, 2},
    {"S1 EL1&0 42-bit over S2 42-bit (L2), 64K", PGT_GRANULE_64K, 42, 42,
     PGT_LEVEL_AUTO},
};

static void test_s12(void **state)
{
    run_s12((const struct s12_cfg *)*state);
}

int main(void)
{
    enum { N = sizeof(s12_cfgs) / sizeof(s12_cfgs[0]) };
    struct CMUnitTest tests[N];
    for (size_t i = 0; i < N; i++)
        tests[i] = (struct CMUnitTest){s12_cfgs[i].name, test_s12, NULL, NULL,
                                       (void *)&s12_cfgs[i]};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = _cmocka_run_group_tests("oracle-s12", tests, N, NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("oracle s12: %llu checks, %llu mapped pages + %llu other "
           "addresses translated through both stages, %llu ATs, %llu loads, "
           "%.2f s\n",
           (unsigned long long)orc_check_stats.checks,
           (unsigned long long)orc_check_stats.pages,
           (unsigned long long)orc_check_stats.unmapped,
           (unsigned long long)orc_stats.ats,
           (unsigned long long)orc_stats.loads,
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return rc;
}
