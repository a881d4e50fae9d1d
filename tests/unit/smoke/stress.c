// SPDX-License-Identifier: MIT
/*
 * Randomised self-check of the stage-2 engine against a per-page model:
 * map / unmap / set_owner / split with random sizes and alignments (so
 * blocks are made, split and replaced), with allocation failures injected
 * at random points. After every operation: every page of the window
 * translates as the model says (pgt_get_leaf, decoded by hand here), every
 * table page's refcount is 1 + its counted entries, the arena holds
 * exactly the reachable table pages, and a failed operation left the
 * table byte-identical (checksum of every reachable table page).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_mm.h"

#define PA_BASE 0x40000000000ull
#define WIN_PAGES 16384u

/* One table shape to exercise. */
struct scfg {
    const char *name;
    uint32_t gshift;     /* 12, 14, 16 */
    uint32_t ia, oa;
    int start_level;
    uint32_t geom_flags; /* PGT_GEOM_LPA2 */
    uint64_t win_base;   /* window: WIN_PAGES pages from here */
    uint64_t pa_far;     /* a far output address to map at */
    size_t arena_pages;
};

static const struct scfg *C;
static uint64_t GRAN, WIN_BASE;

struct mpage {
    uint8_t kind; /* 0 empty, 1 mapped, 2 owned */
    uint8_t owner;
    uint32_t prot;
    uint64_t pa;
};

static struct tmm mm;
static struct mpage model[WIN_PAGES];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The arena page index of table memory. */
static size_t arena_idx(const void *p)
{
    return (size_t)((const uint8_t *)p - mm.base) / mm.page_size;
}

struct tstate {
    uint64_t sum;
    long pages;
    int bad_refs;
};

/* Output address of a descriptor, decoded here from the Arm ARM layout:
 * OA[47:g] in place; LPA2 (DS=1): OA[49:48] in place, OA[51:50] in [9:8];
 * 64K: OA[51:48] in [15:12]. */
static uint64_t ref_oa(pgt_pte_t e)
{
    if (C->geom_flags & PGT_GEOM_LPA2)
        return (e & ((1ull << 50) - 1) & ~(GRAN - 1)) | (((e >> 8) & 3) << 50);
    if (C->gshift == 16)
        return (e & ((1ull << 48) - 1) & ~(GRAN - 1)) | (((e >> 12) & 0xf) << 48);
    return e & ((1ull << 48) - 1) & ~(GRAN - 1);
}

/* Walk every table page by hand (not with the library's walker). */
static void scan(const struct pgt *pgt, const pgt_pte_t *t, int level,
                 uint64_t n, struct tstate *st, int is_root)
{
    long counted = 0;
    for (uint64_t i = 0; i < n; i++) {
        pgt_pte_t e = t[i];
        st->sum = st->sum * 1000003u + e + i;
        if (!e)
            continue;
        bool table = level < 3 && (e & 3) == 3;
        bool leaf = (e & 1) && !table;
        if (!((pgt->flags & PGT_S2_HOST) && leaf))
            counted++;
        if (table) {
            uint64_t pa = ref_oa(e);
            scan(pgt, (const pgt_pte_t *)(mm.base + (pa - mm.pa_base)),
                 level + 1, GRAN / 8, st, 0);
        }
        if (is_root && ((i + 1) % 512 == 0 || i + 1 == n)) {
            /* per root page */
        }
    }
    if (!is_root) {
        st->pages++;
        if (mm.refcount[arena_idx(t)] != 1 + counted)
            st->bad_refs++;
    }
}

static struct tstate table_state(const struct pgt *pgt)
{
    struct tstate st = { 0, 0, 0 };
    uint64_t n = pgt_root_entries(&pgt->geom);
    scan(pgt, pgt->pgd, pgt->geom.start_level, n, &st, 1);
    /* root pages: count = 1 + counted entries in that page */
    uint64_t per = GRAN / 8;
    for (uint64_t p = 0; p < pgt->geom.nr_root_pages; p++) {
        long counted = 0;
        for (uint64_t i = 0; i < per && p * per + i < n; i++) {
            pgt_pte_t e = pgt->pgd[p * per + i];
            int sl = pgt->geom.start_level;
            bool leaf = (e & 1) && (sl == 3 || (e & 3) != 3);
            if (e && !((pgt->flags & PGT_S2_HOST) && leaf))
                counted++;
        }
        if (mm.refcount[arena_idx(pgt->pgd + p * per)] != 1 + counted)
            st.bad_refs++;
    }
    st.pages += pgt->geom.nr_root_pages;
    return st;
}

static void check_model(const struct pgt *pgt)
{
    for (uint32_t i = 0; i < WIN_PAGES; i++) {
        uint64_t ipa = WIN_BASE + i * GRAN;
        pgt_pte_t pte;
        int level;
        assert_int_equal(pgt_get_leaf(pgt, ipa, &pte, &level), 0);
        const struct mpage *m = &model[i];
        if (m->kind == 1) {
            if (!(pte & 1)) {
                fprintf(stderr, "page %#llx: want mapped, pte %#llx L%d\n",
                        (unsigned long long)ipa, (unsigned long long)pte, level);
                fail();
            }
            uint64_t lsz = 1ull << (C->gshift + (C->gshift - 3) * (uint32_t)(3 - level));
            uint64_t pa = (ref_oa(pte) & ~(lsz - 1)) + (ipa & (lsz - 1));
            assert_int_equal(pa, m->pa);
            /* S2AP W bit and XN bit */
            assert_int_equal(!!(pte & (1ull << 7)), !!(m->prot & PGT_PROT_W));
            assert_int_equal(!(pte & (1ull << 54)), !!(m->prot & PGT_PROT_X));
        } else {
            if (pte & 1) {
                fprintf(stderr, "page %#llx: want invalid (kind %d), pte %#llx\n",
                        (unsigned long long)ipa, m->kind, (unsigned long long)pte);
                fail();
            }
            assert_int_equal((pte >> 2) & 0xff, m->kind == 2 ? m->owner : 0);
        }
    }
}

static void run(const struct scfg *c, uint32_t flags, int nops)
{
    struct pgt pgt;
    struct pgt_s2_cfg cfg = { (enum pgt_granule)c->gshift, c->ia, c->oa,
                              c->start_level, c->geom_flags, flags };
    uint32_t per = (uint32_t)(1u << (c->gshift - 3));
    static const uint32_t prots[] = { PGT_PROT_RW, PGT_PROT_R, PGT_PROT_RWX,
                                      PGT_PROT_RW | PGT_PROT_DEVICE };

    C = c;
    GRAN = 1ull << c->gshift;
    WIN_BASE = c->win_base;
    memset(model, 0, sizeof(model));
    tmm_init(&mm, GRAN, c->arena_pages, PA_BASE);
    /* guest runs use the linear-map hint, host runs phys_to_virt */
    static struct pgt_mm_ops ops;
    ops = tmm_ops;
    if (!(flags & PGT_S2_HOST)) {
        ops.linear = true;
        ops.linear_offset = (uint64_t)(uintptr_t)mm.base - mm.pa_base;
    }
    assert_int_equal(pgt_s2_init(&pgt, &cfg, &ops, NULL, NULL), 0);

    for (int op = 0; op < nops; op++) {
        uint64_t r = rnd();
        uint32_t first, npages;
        /* sizes: a page, a few pages, up to 2 MiB-ish, or a big span */
        switch (r % 4) {
        case 0: npages = 1; break;
        case 1: npages = 1 + (uint32_t)(rnd() % 16); break;
        case 2: npages = per * (1 + (uint32_t)(rnd() % 3)); break;
        default: npages = 1 + (uint32_t)(rnd() % 4096); break;
        }
        first = (uint32_t)(rnd() % WIN_PAGES);
        if ((r >> 8) % 3 == 0)
            first &= ~(per - 1); /* block aligned start */
        if (first + npages > WIN_PAGES)
            npages = WIN_PAGES - first;
        uint64_t addr = WIN_BASE + first * GRAN, size = npages * GRAN;
        int kind = (int)((r >> 16) % 4);
        uint64_t phys = (flags & PGT_S2_HOST) ? addr
                        : ((r >> 24) % 2) ? (addr + c->pa_far) & ((1ull << c->oa) - 1)
                                          : c->pa_far + (rnd() % 4096) * GRAN;
        uint32_t prot = prots[(r >> 32) % 4];
        uint8_t owner = (uint8_t)(1 + (r >> 40) % 3);
        if ((r >> 44) % 4 == 0)
            owner = 0;

        struct tstate before = table_state(&pgt);
        long live_before = mm.live;
        long fail_at = ((r >> 48) % 3 == 0) ? (long)(rnd() % 4) : -1;
        tmm_fail_after(&mm, fail_at);
        int ret;
        switch (kind) {
        case 0: ret = pgt_s2_map(&pgt, addr, size, phys, prot, NULL, 0); break;
        case 1: ret = pgt_s2_unmap(&pgt, addr, size, NULL); break;
        case 2: ret = pgt_s2_set_owner(&pgt, addr, size, NULL, owner); break;
        default: ret = pgt_s2_split(&pgt, addr, size, NULL); break;
        }
        tmm_fail_after(&mm, -1);
        if (ret == -PGT_ENOMEM) {
            struct tstate after = table_state(&pgt);
            assert_true(after.sum == before.sum);
            assert_int_equal(mm.live, live_before);
            continue;
        }
        if (ret) {
            fprintf(stderr, "op %d kind %d addr %#llx size %#llx: %d\n", op, kind,
                    (unsigned long long)addr, (unsigned long long)size, ret);
            fail();
        }
        for (uint32_t i = first; i < first + npages; i++) {
            struct mpage *m = &model[i];
            if (kind == 0) {
                m->kind = 1;
                m->prot = prot;
                m->pa = phys + (i - first) * GRAN;
            } else if (kind == 1 || (kind == 2 && owner == 0)) {
                m->kind = 0;
            } else if (kind == 2) {
                m->kind = 2;
                m->owner = owner;
            }
        }
        struct tstate st = table_state(&pgt);
        if (st.bad_refs) {
            fprintf(stderr, "op %d kind %d: %d bad refcounts\n", op, kind, st.bad_refs);
            fail();
        }
        assert_int_equal(st.pages, mm.live);
        assert_int_equal((uint64_t)st.pages, pgt_count_table_pages(&pgt));
        if ((flags & PGT_S2_HOST) && (kind == 1 || kind == 2)) {
            /* host unmap/set_owner drop identity leaves of tables they empty */
            for (uint32_t i = 0; i < WIN_PAGES; i++)
                if (model[i].kind == 1) {
                    pgt_pte_t pte;
                    int level;
                    pgt_get_leaf(&pgt, WIN_BASE + i * GRAN, &pte, &level);
                    if (!(pte & 1))
                        model[i].kind = 0;
                }
        }
        check_model(&pgt);
    }
    assert_int_equal(pgt_s2_unmap(&pgt, 0, 1ull << c->ia, NULL), 0);
    assert_int_equal(mm.live, pgt.geom.nr_root_pages);
    pgt_s2_destroy(&pgt);
    assert_int_equal(mm.live, 0);
    tmm_fini(&mm);
}

/* Stage 1 (EL2): map must refuse conflicts with -PGT_EEXIST, unmap
 * reports the bytes it removed, protect keeps the memory type. */
static void check_s1_model(const struct pgt *pgt)
{
    for (uint32_t i = 0; i < WIN_PAGES; i++) {
        uint64_t va = WIN_BASE + i * GRAN, pa;
        enum pgt_prot prot;
        int ret = pgt_translate(pgt, va, &pa, &prot);
        if (model[i].kind != 1) {
            assert_int_equal(ret, -PGT_ENOENT);
            continue;
        }
        assert_int_equal(ret, 0);
        assert_int_equal(pa, model[i].pa);
        assert_int_equal(prot, model[i].prot);
    }
}

static void run_s1(const struct scfg *c, int nops)
{
    struct pgt pgt;
    static const uint32_t prots[] = { PGT_PROT_RW, PGT_PROT_R, PGT_PROT_RX,
                                      PGT_PROT_RW | PGT_PROT_DEVICE };
    uint32_t per = (uint32_t)(1u << (c->gshift - 3));

    C = c;
    GRAN = 1ull << c->gshift;
    WIN_BASE = c->win_base;
    memset(model, 0, sizeof(model));
    tmm_init(&mm, GRAN, c->arena_pages, PA_BASE);
    assert_int_equal(pgt_s1_init(&pgt, PGT_REGIME_EL2, c->ia,
                                 (enum pgt_granule)c->gshift, c->oa,
                                 c->geom_flags, &tmm_ops, NULL), 0);
    for (int op = 0; op < nops; op++) {
        uint64_t r = rnd();
        uint32_t first = (uint32_t)(rnd() % WIN_PAGES), npages;
        switch (r % 3) {
        case 0: npages = 1 + (uint32_t)(rnd() % 8); break;
        case 1: npages = per * (1 + (uint32_t)(rnd() % 2)); break;
        default: npages = 1 + (uint32_t)(rnd() % 2048); break;
        }
        if ((r >> 8) % 2)
            first &= ~(per - 1);
        if (first + npages > WIN_PAGES)
            npages = WIN_PAGES - first;
        uint64_t addr = WIN_BASE + first * GRAN, size = npages * GRAN;
        uint64_t phys = ((r >> 12) % 2) ? (addr + c->pa_far) & ((1ull << c->oa) - 1)
                                         : c->pa_far + (rnd() % 64) * GRAN;
        uint32_t prot = prots[(r >> 16) % 4];
        int kind = (int)((r >> 20) % 3);
        uint32_t nmapped = 0;
        bool conflict = false, memtype_bad = false;
        for (uint32_t i = first; i < first + npages; i++) {
            if (model[i].kind != 1)
                continue;
            nmapped++;
            if (model[i].pa != phys + (i - first) * GRAN || model[i].prot != prot)
                conflict = true;
            if ((model[i].prot & PGT_PROT_DEVICE) != (prot & PGT_PROT_DEVICE))
                memtype_bad = true;
        }
        struct tstate before = table_state(&pgt);
        long fail_at = ((r >> 24) % 3 == 0) ? (long)(rnd() % 4) : -1;
        tmm_fail_after(&mm, fail_at);
        int64_t ret;
        if (kind == 0)
            ret = pgt_hyp_map(&pgt, addr, size, phys, prot);
        else if (kind == 1)
            ret = pgt_hyp_unmap(&pgt, addr, size);
        else
            ret = pgt_hyp_protect(&pgt, addr, size, prot);
        tmm_fail_after(&mm, -1);
        if (ret == -PGT_ENOMEM || (kind == 0 && conflict) ||
            (kind == 2 && (memtype_bad || !nmapped))) {
            int64_t want = (kind == 0 && conflict) ? -PGT_EEXIST
                           : (kind == 2 && memtype_bad) ? -PGT_EINVAL
                           : (kind == 2 && !nmapped) ? -PGT_ENOENT
                                                     : -PGT_ENOMEM;
            if (ret != -PGT_ENOMEM)
                assert_int_equal(ret, want);
            struct tstate after = table_state(&pgt);
            assert_true(after.sum == before.sum);
            assert_int_equal(after.pages, before.pages);
            continue;
        }
        if (kind == 1)
            assert_int_equal(ret, (int64_t)nmapped * (int64_t)GRAN);
        else
            assert_int_equal(ret, 0);
        for (uint32_t i = first; i < first + npages; i++) {
            if (kind == 0) {
                model[i].kind = 1;
                model[i].pa = phys + (i - first) * GRAN;
                model[i].prot = prot;
            } else if (kind == 1) {
                model[i].kind = 0;
            } else if (model[i].kind == 1) {
                model[i].prot = prot;
            }
        }
        struct tstate st = table_state(&pgt);
        assert_int_equal(st.bad_refs, 0);
        assert_int_equal(st.pages, mm.live);
        check_s1_model(&pgt);
    }
    assert_int_equal(pgt_hyp_unmap(&pgt, 0, 1ull << c->ia) >= 0, 1);
    assert_int_equal(mm.live, 1);
    pgt_hyp_destroy(&pgt);
    assert_int_equal(mm.live, 0);
    tmm_fini(&mm);
}

static const struct scfg cfgs[] = {
    /* 4K, 40-bit IPA, level 1 (2 root pages), window across 1 GiB */
    { "4k", 12, 40, 48, 1, 0, 0x3c000000ull, 0x100000000ull, 8192 },
    /* 16K, 40-bit IPA, level 2 (16 root pages), across 64 GiB at L1 */
    { "16k", 14, 40, 48, 2, 0, 0xff8000000ull, 0x200000000ull, 2048 },
    /* 64K, 52-bit IPA/OA (FEAT_LPA): OA[51:48] in [15:12], 4 TiB blocks */
    { "64k-lpa", 16, 52, 52, 1, 0, 0x3ffffe0000000ull, 0x8000000000000ull, 512 },
    /* 4K LPA2, 52-bit IPA/OA from level -1: OA[51:50] in [9:8] */
    { "4k-lpa2", 12, 52, 52, -1, PGT_GEOM_LPA2, 0xffffffc000000ull,
      0xc000000000000ull, 8192 },
    /* 64K, 32-bit IPA from level 3: 8 concatenated last-level root
     * pages (runs must stop at each root page's boundary) */
    { "64k-l3", 16, 32, 40, 3, 0, 0x80000000ull, 0x4000000000ull, 512 },
    /* 16K LPA2, 52-bit from level 0 */
    { "16k-lpa2", 14, 52, 52, 0, PGT_GEOM_LPA2, 0x7ffff0000000ull,
      0x8000000000000ull, 2048 },
};

static int nops(void)
{
    return getenv("PGT_STRESS_OPS") ? atoi(getenv("PGT_STRESS_OPS")) : 300;
}

static void seed(void)
{
    rng = 0x9e3779b97f4a7c15ull;
    if (getenv("PGT_STRESS_SEED"))
        rng = strtoull(getenv("PGT_STRESS_SEED"), NULL, 0);
}

static void stress_guest(void **state)
{
    for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
        (void)state;
        seed();
        run(&cfgs[i], 0, nops());
    }
}

static void stress_host(void **state)
{
    for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
        (void)state;
        seed();
        run(&cfgs[i], PGT_S2_HOST, nops());
    }
}

static void stress_hyp(void **state)
{
    for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
        (void)state;
        seed();
        run_s1(&cfgs[i], nops());
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stress_guest),
        cmocka_unit_test(stress_host),
        cmocka_unit_test(stress_hyp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
