// SPDX-License-Identifier: MIT
/*
 * The one-page instances a build keeps (meson options one_page_shapes and
 * one_page_modes, passed to this test as the library gets them: the
 * PGT_ONE_PAGE_* defines). Every table shape the library has instances
 * for (stage 2; 16K from level 0, which stage 2 has only with LPA2, at
 * stage 1), with and without a linear map, with and without a count
 * array:
 *   - a shape and mode the build keeps has a get_leaf, map and unmap of
 *     its own; one left out has exactly those of a table only the generic
 *     instance serves (4K with LPA2), the unmap picked the same way;
 *   - either way, one-page maps, lookups and unmaps give the tables, page
 *     counts and TLB calls worked out by hand below.
 */
#include "core_ref.h"

#include <string.h>

#if !defined(PGT_ONE_PAGE_LINEAR) || !defined(PGT_ONE_PAGE_P2V) ||          \
    !defined(PGT_ONE_PAGE_4K_L0) || !defined(PGT_ONE_PAGE_64K_L3)
#error "built without the PGT_ONE_PAGE_* defines the library was built with"
#endif

/* One root page (or the fewest concatenated pages the start level
 * allows): ia = granule bits + bits per level * (3 - sl) + the root's. */
static const struct shape {
    const char *name;
    unsigned gs, ia;
    int sl;
    bool kept; /* the build keeps the shape */
    bool s1;   /* a stage-1 EL2 table, else stage 2 */
} shapes[] = {
    {"4K_L0", 12, 48, 0, PGT_ONE_PAGE_4K_L0, false},
    {"4K_L1", 12, 39, 1, PGT_ONE_PAGE_4K_L1, false},
    {"4K_L2", 12, 30, 2, PGT_ONE_PAGE_4K_L2, false},
    {"4K_L3", 12, 25, 3, PGT_ONE_PAGE_4K_L3, false}, /* 16 root pages */
    {"16K_L0", 14, 48, 0, PGT_ONE_PAGE_16K_L0, true}, /* 2 root entries */
    {"16K_L1", 14, 47, 1, PGT_ONE_PAGE_16K_L1, false},
    {"16K_L2", 14, 36, 2, PGT_ONE_PAGE_16K_L2, false},
    {"16K_L3", 14, 25, 3, PGT_ONE_PAGE_16K_L3, false},
    {"64K_L1", 16, 48, 1, PGT_ONE_PAGE_64K_L1, false},
    {"64K_L2", 16, 42, 2, PGT_ONE_PAGE_64K_L2, false},
    {"64K_L3", 16, 29, 3, PGT_ONE_PAGE_64K_L3, false},
};

struct table {
    struct tmm m;
    struct pgt_mm_ops ops;
    struct pgt pgt;
};

/* A table (stage 2 of @cfg, or with @s1 stage-1 EL2 of the same granule
 * and IA size) in an arena of its own (its mm_ctx), with a linear map
 * (@linear) and tmm's count array (@counts) declared or not. */
static void table_init(struct table *t, const struct pgt_s2_cfg *cfg, bool s1,
                       bool linear, bool counts)
{
    memset(t, 0, sizeof(*t));
    tmm_init(&t->m, (size_t)1 << cfg->granule, 32, ARENA_PA);
    t->ops = tmm_ops;
    if (linear) {
        t->ops.linear = true;
        t->ops.linear_offset = (uint64_t)(uintptr_t)t->m.base - ARENA_PA;
    }
    if (counts) {
        t->ops.count_base = t->m.refcount; /* one int32_t per page */
        t->ops.count_va = (uintptr_t)t->m.base;
        t->ops.count_shift = 2;
        t->ops.count_width = 4;
    }
    if (s1)
        assert_int_equal(pgt_s1_init(&t->pgt, PGT_REGIME_EL2, cfg->ia_bits,
                                     cfg->granule, cfg->oa_bits, 0, &t->ops,
                                     &t->m),
                         0);
    else
        assert_int_equal(pgt_s2_init(&t->pgt, cfg, &t->ops, &t->m, NULL), 0);
}

static void table_fini(struct table *t)
{
    tmm_table_fini(&t->pgt, &t->m);
}

/* Read-write normal memory, not executable, as a page descriptor. */
#define S2_RW (AF | S2AP_RW | MEMATTR(MA_NORMAL_WB) | S2_XN | SH_INNER | D_PAGE)
#define S1_RW (AF | S1_ATTRINDX(MAIR_NORMAL) | S1_AP1 | S1_XN | SH_INNER | D_PAGE)

/* One page at @addr to @pa, read-write; pgt_s2_map() without cache
 * maintenance, or pgt_hyp_map(). */
static int map1(struct table *t, uint64_t addr, uint64_t pa)
{
    uint64_t p = 1ull << t->pgt.geom.granule_shift;

    if (t->pgt.regime == PGT_REGIME_S2)
        return pgt_s2_map(&t->pgt, addr, p, pa, PGT_PROT_RW, NULL,
                          PGT_MAP_SKIP_DCACHE);
    return pgt_hyp_map(&t->pgt, addr, p, pa, PGT_PROT_RW);
}

/* One page unmapped: pgt_s2_unmap() (0) or pgt_hyp_unmap() (the bytes
 * that were mapped). */
static int64_t unmap1(struct table *t, uint64_t addr)
{
    uint64_t p = 1ull << t->pgt.geom.granule_shift;

    if (t->pgt.regime == PGT_REGIME_S2)
        return pgt_s2_unmap(&t->pgt, addr, p, NULL);
    return pgt_hyp_unmap(&t->pgt, addr, p);
}

/* The one TLB call an unmap made: tlbi_va of @addr at @level. */
static void one_tlbi_va(const struct tmm *m, uint64_t addr, int level)
{
    assert_int_equal(m->nlog, 1);
    assert_int_equal(m->log[0].kind, TMM_TLBI_VA);
    assert_u64(m->log[0].addr, addr);
    assert_int_equal(m->log[0].level, level);
}

static void check_shape(const struct shape *s, bool linear, bool counts)
{
    const bool kept = s->kept && (linear ? PGT_ONE_PAGE_LINEAR : PGT_ONE_PAGE_P2V);
    struct pgt_s2_cfg cfg = {.granule = (enum pgt_granule)s->gs,
                             .ia_bits = s->ia, .oa_bits = 48,
                             .start_level = s->sl};
    struct pgt_s2_cfg lpa2 = {.granule = PGT_GRANULE_4K, .ia_bits = 48,
                              .oa_bits = 52, .start_level = PGT_LEVEL_AUTO,
                              .geom_flags = PGT_GEOM_LPA2};
    struct table t, g;
    struct ref r;

    print_message("%s %s%s: %s\n", s->name, linear ? "linear" : "p2v",
                  counts ? " counts" : "", kept ? "own instance" : "generic");
    table_init(&t, &cfg, s->s1, linear, counts);
    table_init(&g, &lpa2, false, linear, counts);
    ref_init(&r, s->gs, s->ia, s->sl, false, false);
    assert_int_equal(t.pgt.geom.start_level, s->sl);
    assert_int_equal(t.pgt.geom.nr_root_pages, r.nroot);

    /* Which instance serves the table. */
    const struct pgt_internal *in = &t.pgt.internal, *gin = &g.pgt.internal;
    if (kept) {
        assert_ptr_not_equal(in->get_leaf, gin->get_leaf);
        assert_ptr_not_equal(in->map, gin->map);
        assert_ptr_not_equal(in->unmap, gin->unmap);
    } else {
        assert_ptr_equal(in->get_leaf, gin->get_leaf);
        assert_ptr_equal(in->map, gin->map);
        assert_ptr_equal(in->unmap, gin->unmap);
    }
    table_fini(&g);

    /* A and A + p share every table; B, the last page of the IA space,
     * is under another root entry. Each takes 3 - sl tables. */
    const uint64_t p = 1ull << s->gs, pa = 0x80000000ull;
    const uint64_t A = p, B = (1ull << s->ia) - p;
    const uint64_t rw = s->s1 ? S1_RW : S2_RW;
    const int64_t gone = s->s1 ? (int64_t)p : 0; /* what an unmap returns */
    const long chain = 3 - s->sl;
    pgt_pte_t pte;
    int level;

    assert_int_equal(pgt_get_leaf(&t.pgt, A, &pte, &level), 0);
    assert_u64(pte, 0);
    assert_int_equal(level, s->sl);

    tmm_log_clear(&t.m);
    assert_int_equal(map1(&t, A, pa), 0);
    assert_int_equal(t.m.live, (long)r.nroot + chain);
    assert_int_equal(map1(&t, A + p, pa + p), 0);
    assert_int_equal(map1(&t, B, pa + 8 * p), 0);
    assert_int_equal(t.m.live, (long)r.nroot + 2 * chain);
    assert_int_equal(t.m.nlog, 0); /* no cache maintenance, no TLBI */
    assert_u64(ref_entry(&r, &t.m, t.pgt.pgd, A, 3), pa | rw);
    assert_u64(ref_entry(&r, &t.m, t.pgt.pgd, A + p, 3), (pa + p) | rw);
    assert_u64(ref_entry(&r, &t.m, t.pgt.pgd, B, 3), (pa + 8 * p) | rw);
    ref_check_refcounts(&r, &t.m, t.pgt.pgd, false, false);

    assert_int_equal(pgt_get_leaf(&t.pgt, A + p + 0x18, &pte, &level), 0);
    assert_u64(pte, (pa + p) | rw);
    assert_int_equal(level, 3);
    assert_int_equal(pgt_get_leaf(&t.pgt, A + 2 * p, &pte, &level), 0);
    assert_u64(pte, 0);
    assert_int_equal(level, 3);

    /* The same page again: nothing to do. */
    assert_int_equal(map1(&t, A, pa), 0);
    assert_int_equal(t.m.nlog, 0);

    /* A: A + p keeps its table. One TLBI for the leaf. */
    assert_int_equal(unmap1(&t, A), gone);
    assert_u64(ref_entry(&r, &t.m, t.pgt.pgd, A, 3), 0);
    assert_int_equal(t.m.live, (long)r.nroot + 2 * chain);
    one_tlbi_va(&t.m, A, 3);

    /* A + p: its tables go with it, one TLBI at every level (a leaf in
     * the root takes no table along). */
    tmm_log_clear(&t.m);
    assert_int_equal(unmap1(&t, A + p), gone);
    assert_int_equal(t.m.live, (long)r.nroot + chain);
    one_tlbi_va(&t.m, A + p, chain ? PGT_LEVEL_UNKNOWN : 3);
    assert_int_equal(pgt_get_leaf(&t.pgt, A + p, &pte, &level), 0);
    assert_u64(pte, 0);
    assert_int_equal(level, s->sl);

    tmm_log_clear(&t.m);
    assert_int_equal(unmap1(&t, B), gone);
    assert_int_equal(t.m.live, (long)r.nroot);
    one_tlbi_va(&t.m, B, chain ? PGT_LEVEL_UNKNOWN : 3);
    /* Nothing there: no change, no TLBI. */
    tmm_log_clear(&t.m);
    assert_int_equal(unmap1(&t, B), 0);
    assert_int_equal(t.m.nlog, 0);
    assert_int_equal(pgt_get_leaf(&t.pgt, 1ull << s->ia, &pte, &level),
                     -PGT_ERANGE);
    table_fini(&t);
}

static void test_each_shape_takes_its_instance_or_the_generic_one(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        for (int mode = 0; mode < 4; mode++)
            check_shape(&shapes[i], mode & 1, mode & 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_shape_takes_its_instance_or_the_generic_one),
    };
    return cmocka_run_group_tests_name("core_one_page", tests, NULL, NULL);
}
