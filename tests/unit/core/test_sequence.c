// SPDX-License-Identifier: MIT
/*
 * Operation sequences against an independent page-granular model. A fixed
 * pseudo-random sequence of map / unmap / set_owner / wrprotect / split
 * (stage 2) and map / unmap / protect (stage 1) runs over a window of four
 * level-2 blocks, for each granule. After every operation each page of the
 * window is translated with the independent reader (core_ref.c) and must
 * match the model: output address, attribute bits written out from the
 * Arm ARM, owner annotations; every table page's count must be 1 + its
 * counted entries and no page may leak.
 */
#include "core_ref.h"

#include <stdlib.h>
#include <string.h>

enum { NONE, MAPPED, OWNED };

struct mpage {
    uint8_t kind;
    uint8_t prot;  /* PGT_PROT_R/W/X bits */
    uint8_t owner;
    uint64_t pa;
};

struct seq {
    struct fx f;
    struct mpage *m;
    uint64_t base;  /* IA of the window */
    uint64_t P, B;  /* page and level-2 block size */
    uint64_t W;     /* pages in the window */
    uint64_t rng;
    bool s2;
    bool lpa2;       /* FEAT_LPA2 format: no SH in descriptors */
    uint64_t pa_top; /* output addresses start here */
};

static uint64_t rnd(struct seq *s, uint64_t n)
{
    s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
    return (s->rng >> 33) % n;
}

/* A range of pages [*first, *first + *n) inside the window. */
static void pick_range(struct seq *s, uint64_t *first, uint64_t *n)
{
    uint64_t bp = s->B / s->P; /* pages per block */
    switch (rnd(s, 3)) {
    case 0: /* whole blocks */
        *first = rnd(s, 4) * bp;
        *n = (1 + rnd(s, 4 - *first / bp)) * bp;
        break;
    case 1: /* a few pages */
        *first = rnd(s, s->W - 4);
        *n = 1 + rnd(s, 4);
        break;
    default: /* anything up to two blocks */
        *first = rnd(s, s->W - 1);
        *n = 1 + rnd(s, s->W - *first < 2 * bp ? s->W - *first : 2 * bp);
        break;
    }
}

static uint64_t s2_attrs(const struct seq *s, unsigned prot)
{
    return AF | (s->lpa2 ? 0 : SH_INNER) | MEMATTR(MA_NORMAL_WB) |
           ((prot & PGT_PROT_R) ? S2AP_R : 0) |
           ((prot & PGT_PROT_W) ? S2AP_W : 0) |
           ((prot & PGT_PROT_X) ? 0 : S2_XN);
}

static uint64_t s1_attrs(unsigned prot)
{
    return AF | SH_INNER | S1_AP1 | S1_ATTRINDX(MAIR_NORMAL) |
           ((prot & PGT_PROT_W) ? 0 : S1_AP2_RO) |
           ((prot & PGT_PROT_X) ? 0 : S1_XN);
}

/* Entries one contiguous run joins (Arm ARM, the Contiguous bit). */
static uint64_t cont_run(unsigned gs, int level)
{
    if (gs == 12)
        return 16;
    if (gs == 14)
        return level == 3 ? 128 : 32;
    return 32;
}

/* A leaf with the contiguous hint: every entry of its aligned run is a
 * leaf of the same level with the same attributes and consecutive output
 * addresses (anything else is a TLB conflict on hardware). */
static void check_cont_run(struct seq *s, uint64_t ia, uint64_t leaf,
                           int level)
{
    const struct ref *r = &s->f.r;
    uint64_t size = ref_shift(r, level), n = cont_run(r->gs, level);
    size = 1ull << size;
    uint64_t first = ia & ~(n * size - 1);
    uint64_t attrs = leaf & ~ref_oa_field(r, ref_oa(r, leaf));
    uint64_t oa0 = ref_oa(r, leaf) - (ia & ~(size - 1)) + first;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t e = ref_entry(r, &s->f.m, s->f.pgt.pgd, first + k * size,
                               level);
        if ((e & ~ref_oa_field(r, ref_oa(r, e))) != attrs ||
            ref_oa(r, e) != oa0 + k * size) {
            print_error("contiguous run at %#llx (level %d): entry %llu is "
                        "%#llx, leaf %#llx\n",
                        (unsigned long long)first, level,
                        (unsigned long long)k, (unsigned long long)e,
                        (unsigned long long)leaf);
            fail();
        }
    }
}

static void check_window(struct seq *s, int step)
{
    for (uint64_t i = 0; i < s->W; i++) {
        uint64_t ia = s->base + i * s->P, pa, leaf;
        int level;
        bool valid = ref_translate(&s->f.r, &s->f.m, s->f.pgt.pgd, ia, &pa,
                                   &leaf, &level);
        const struct mpage *e = &s->m[i];
        bool bad = false;
        if (e->kind == MAPPED) {
            uint64_t want = s->s2 ? s2_attrs(s, e->prot) : s1_attrs(e->prot);
            bad = !valid || pa != e->pa ||
                  (leaf & ~ref_oa_field(&s->f.r, ref_oa(&s->f.r, leaf)) &
                   ~3ull & ~D_CONT) != want;
            if (!bad && (leaf & D_CONT))
                check_cont_run(s, ia, leaf, level);
        } else {
            bad = valid || leaf != (e->kind == OWNED ? OWNER(e->owner) : 0);
        }
        if (bad) {
            print_error("step %d: page %llu (ia %#llx): entry %#llx; model "
                        "kind %u prot %#x owner %u pa %#llx\n",
                        step, (unsigned long long)i, (unsigned long long)ia,
                        (unsigned long long)leaf, e->kind, e->prot, e->owner,
                        (unsigned long long)e->pa);
            fail();
        }
    }
    ref_check_refcounts(&s->f.r, &s->f.m, s->f.pgt.pgd, false, false);
}

static void seq_init(struct seq *s, unsigned gs, unsigned ia, int sl, bool s2,
                     uint64_t seed, bool lpa2)
{
    memset(s, 0, sizeof(*s));
    s->s2 = s2;
    s->lpa2 = lpa2;
    s->pa_top = lpa2 ? 0x000c000080000000ull : 0x80000000ull;
    s->P = 1ull << gs;
    s->B = 1ull << (2 * gs - 3);
    s->W = 4 * (s->B / s->P);
    s->base = 4 * s->B;
    s->rng = seed;
    s->m = calloc(s->W, sizeof(*s->m));
    assert_non_null(s->m);
    if (s2)
        fx_s2_(&s->f, gs, ia, ia, sl, lpa2 ? PGT_GEOM_LPA2 : 0, 0, NULL, 256,
               lpa2 ? 0x000c000000000000ull : ARENA_PA, __FILE__, __LINE__);
    else
        fx_s1_(&s->f, PGT_REGIME_EL2, gs, ia, 48, sl, 0, 256, ARENA_PA,
               __FILE__, __LINE__);
}

static void seq_fini(struct seq *s)
{
    if (s->s2)
        assert_int_equal(pgt_s2_unmap(&s->f.pgt, 0, 16 * s->B, NULL), 0);
    else
        assert_true(pgt_hyp_unmap(&s->f.pgt, 0, 16 * s->B) >= 0);
    assert_int_equal(s->f.m.live, s->f.r.nroot);
    fx_fini(&s->f);
    free(s->m);
}

/* Output address for a map starting at window page @first: block-aligned
 * with the IA most of the time, so blocks get used. */
static uint64_t pick_pa(struct seq *s, uint64_t first)
{
    uint64_t pa = s->pa_top + rnd(s, 8) * s->B + first * s->P;
    if (rnd(s, 4) == 0)
        pa += (1 + rnd(s, 3)) * s->P; /* misaligned: pages only */
    return pa;
}

static void run_s2(unsigned gs, unsigned ia, int sl, int steps, uint64_t seed,
                   bool lpa2)
{
    static const unsigned prots[] = {0, PGT_PROT_R, PGT_PROT_RW, PGT_PROT_RX,
                                     PGT_PROT_RWX};
    struct seq *s = malloc(sizeof(*s));
    seq_init(s, gs, ia, sl, true, seed, lpa2);
    for (int step = 0; step < steps; step++) {
        uint64_t first, n;
        pick_range(s, &first, &n);
        uint64_t ia0 = s->base + first * s->P, size = n * s->P;
        switch (rnd(s, 6)) {
        case 0:
        case 1: {
            unsigned prot = prots[rnd(s, 5)];
            uint64_t pa = pick_pa(s, first);
            assert_int_equal(pgt_s2_map(&s->f.pgt, ia0, size, pa,
                                        (enum pgt_prot)prot, NULL,
                                        PGT_MAP_SKIP_DCACHE |
                                            PGT_MAP_SKIP_ICACHE),
                             0);
            for (uint64_t i = 0; i < n; i++)
                s->m[first + i] = (struct mpage){MAPPED, (uint8_t)prot, 0,
                                                 pa + i * s->P};
            break;
        }
        case 2:
            assert_int_equal(pgt_s2_unmap(&s->f.pgt, ia0, size, NULL), 0);
            for (uint64_t i = 0; i < n; i++)
                s->m[first + i] = (struct mpage){NONE, 0, 0, 0};
            break;
        case 3: {
            uint8_t id = (uint8_t)rnd(s, 4);
            assert_int_equal(pgt_s2_set_owner(&s->f.pgt, ia0, size, NULL, id),
                             0);
            for (uint64_t i = 0; i < n; i++)
                s->m[first + i] = (struct mpage){id ? OWNED : NONE, 0, id, 0};
            break;
        }
        case 4: {
            /* wrprotect on whole blocks only: what it does to a block
             * partly inside the range is not specified. */
            uint64_t bp = s->B / s->P;
            uint64_t b0 = first / bp, nb = 1 + rnd(s, 4 - b0);
            assert_int_equal(pgt_s2_wrprotect(&s->f.pgt, s->base + b0 * s->B,
                                              nb * s->B),
                             0);
            for (uint64_t i = b0 * bp; i < (b0 + nb) * bp; i++)
                s->m[i].prot &= (uint8_t)~PGT_PROT_W;
            break;
        }
        default:
            assert_int_equal(pgt_s2_split(&s->f.pgt, ia0, size, NULL), 0);
            break;
        }
        check_window(s, step);
    }
    seq_fini(s);
    free(s);
}

static void run_hyp(unsigned gs, unsigned ia, int sl, int steps, uint64_t seed)
{
    static const unsigned prots[] = {PGT_PROT_R, PGT_PROT_RW, PGT_PROT_RX};
    struct seq *s = malloc(sizeof(*s));
    seq_init(s, gs, ia, sl, false, seed, false);
    for (int step = 0; step < steps; step++) {
        uint64_t first, n;
        pick_range(s, &first, &n);
        uint64_t ia0 = s->base + first * s->P, size = n * s->P;
        switch (rnd(s, 3)) {
        case 0: {
            unsigned prot = prots[rnd(s, 3)];
            uint64_t pa = pick_pa(s, first);
            bool conflict = false;
            for (uint64_t i = 0; i < n; i++) {
                const struct mpage *e = &s->m[first + i];
                if (e->kind == MAPPED &&
                    (e->pa != pa + i * s->P || e->prot != prot))
                    conflict = true;
            }
            int ret = pgt_hyp_map(&s->f.pgt, ia0, size, pa,
                                  (enum pgt_prot)prot);
            assert_int_equal(ret, conflict ? -PGT_EEXIST : 0);
            if (!conflict)
                for (uint64_t i = 0; i < n; i++)
                    s->m[first + i] = (struct mpage){MAPPED, (uint8_t)prot,
                                                     0, pa + i * s->P};
            break;
        }
        case 1: {
            uint64_t mapped = 0;
            for (uint64_t i = 0; i < n; i++) {
                mapped += s->m[first + i].kind == MAPPED;
                s->m[first + i] = (struct mpage){NONE, 0, 0, 0};
            }
            assert_int_equal(pgt_hyp_unmap(&s->f.pgt, ia0, size),
                             (int64_t)(mapped * s->P));
            break;
        }
        default: {
            unsigned prot = prots[rnd(s, 3)];
            uint64_t mapped = 0;
            for (uint64_t i = 0; i < n; i++)
                mapped += s->m[first + i].kind == MAPPED;
            int ret = pgt_hyp_protect(&s->f.pgt, ia0, size,
                                      (enum pgt_prot)prot);
            assert_int_equal(ret, mapped ? 0 : -PGT_ENOENT);
            for (uint64_t i = 0; i < n; i++)
                if (s->m[first + i].kind == MAPPED)
                    s->m[first + i].prot = (uint8_t)prot;
            break;
        }
        }
        check_window(s, step);
    }
    seq_fini(s);
    free(s);
}

static void test_s2_sequence_4k_matches_the_model(void **state)
{
    (void)state;
    run_s2(12, 40, 1, 300, 1, false);
}

static void test_s2_sequence_16k_matches_the_model(void **state)
{
    (void)state;
    run_s2(14, 40, 1, 150, 2, false);
}

static void test_s2_sequence_64k_matches_the_model(void **state)
{
    (void)state;
    run_s2(16, 48, 1, 60, 3, false);
}

static void test_s2_sequence_with_lpa2_above_2_50_matches_the_model(
    void **state)
{
    (void)state;
    run_s2(12, 52, -1, 200, 7, true);
    run_s2(14, 52, 0, 100, 8, true);
}

static void test_hyp_sequence_4k_matches_the_model(void **state)
{
    (void)state;
    run_hyp(12, 48, 0, 300, 4);
}

static void test_hyp_sequence_16k_matches_the_model(void **state)
{
    (void)state;
    run_hyp(14, 48, 0, 150, 5);
}

static void test_hyp_sequence_64k_matches_the_model(void **state)
{
    (void)state;
    run_hyp(16, 48, 1, 60, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s2_sequence_4k_matches_the_model),
        cmocka_unit_test(test_s2_sequence_16k_matches_the_model),
        cmocka_unit_test(test_s2_sequence_64k_matches_the_model),
        cmocka_unit_test(
            test_s2_sequence_with_lpa2_above_2_50_matches_the_model),
        cmocka_unit_test(test_hyp_sequence_4k_matches_the_model),
        cmocka_unit_test(test_hyp_sequence_16k_matches_the_model),
        cmocka_unit_test(test_hyp_sequence_64k_matches_the_model),
    };
    return cmocka_run_group_tests_name("core_sequence", tests, NULL, NULL);
}
