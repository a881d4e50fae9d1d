// SPDX-License-Identifier: MIT
/*
 * The generic walker (pgt.h): visit order, kinds, the context each visit
 * sees, error propagation, and the re-read after a TABLE_PRE visit.
 *
 * Table used (4K, 40-bit IPA, root at level 1, 2 pages):
 *
 *   L1[1] (0x40000000) -> L2 table
 *        L2[0] (0x40000000) -> L3 table: [0] page, [1] page, rest empty
 *        L2[1] (0x40200000)  2M block
 */
#include "core_ref.h"

#include <stdlib.h>
#include <string.h>

struct visit {
    uint64_t addr, end, old;
    int level;
    unsigned kind;
};

struct trace {
    struct visit v[1200];
    size_t n;
    size_t fail_at;   /* return -77 at this visit (1-based); 0: never */
    bool zap_l2_table; /* at TABLE_PRE level 2: clear the entry */
    pgt_pte_t saved;
};

static int record(const struct pgt_visit_ctx *ctx, enum pgt_walk_flags visit)
{
    struct trace *t = ctx->arg;
    assert_true(t->n < 1200);
    struct visit *v = &t->v[t->n++];
    v->addr = ctx->addr;
    v->end = ctx->end;
    v->old = ctx->old;
    v->level = ctx->level;
    v->kind = visit;
    assert_u64(*ctx->ptep, ctx->old);
    if (t->fail_at && t->n == t->fail_at)
        return -77;
    if (t->zap_l2_table && visit == PGT_WALK_TABLE_PRE && ctx->level == 2) {
        t->saved = *ctx->ptep;
        *ctx->ptep = 0;
    }
    return 0;
}

static void build(struct fx *f)
{
    fx_s2(f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f->pgt, 0x40000000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f->pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
}

static void expect(const struct visit *v, unsigned kind, int level,
                   uint64_t addr)
{
    if (v->kind != kind || v->level != level || v->addr != addr) {
        print_error("visit kind %u level %d addr %#llx; expected %u %d "
                    "%#llx\n",
                    v->kind, v->level, (unsigned long long)v->addr, kind,
                    level, (unsigned long long)addr);
        fail();
    }
}

static void test_walk_visits_tables_pre_and_post_and_every_leaf_in_order(
    void **state)
{
    (void)state;
    struct fx f;
    struct trace *t = calloc(1, sizeof(*t));
    build(&f);
    struct pgt_walker w = {.cb = record, .arg = t,
                           .flags = PGT_WALK_LEAF | PGT_WALK_TABLE_PRE |
                                    PGT_WALK_TABLE_POST};
    assert_int_equal(pgt_walk(&f.pgt, 0x40000000, 2 * SZ_2M, &w), 0);
    /* PRE L1, PRE L2, 512 L3 leaves, POST L2, block, POST L1. */
    assert_int_equal(t->n, 517);
    expect(&t->v[0], PGT_WALK_TABLE_PRE, 1, 0x40000000);
    expect(&t->v[1], PGT_WALK_TABLE_PRE, 2, 0x40000000);
    for (size_t i = 0; i < 512; i++)
        expect(&t->v[2 + i], PGT_WALK_LEAF, 3, 0x40000000 + i * SZ_4K);
    expect(&t->v[514], PGT_WALK_TABLE_POST, 2, 0x40000000);
    expect(&t->v[515], PGT_WALK_LEAF, 2, 0x40200000);
    expect(&t->v[516], PGT_WALK_TABLE_POST, 1, 0x40000000);
    /* What the leaves saw. */
    uint64_t attrs = S2_XN | AF | SH_INNER | S2AP_RW | MEMATTR(MA_NORMAL_WB);
    assert_u64(t->v[2].old, 0x80000000ull | attrs | D_PAGE);
    assert_u64(t->v[3].old, 0x80001000ull | attrs | D_PAGE);
    assert_u64(t->v[4].old, 0);
    assert_u64(t->v[515].old, 0x80200000ull | attrs | D_BLOCK);
    for (size_t i = 0; i < t->n; i++)
        assert_u64(t->v[i].end, 0x40400000);
    free(t);
    fx_fini(&f);
}

static void test_walk_with_leaf_flag_only_skips_table_visits(void **state)
{
    (void)state;
    struct fx f;
    struct trace *t = calloc(1, sizeof(*t));
    build(&f);
    struct pgt_walker w = {.cb = record, .arg = t, .flags = PGT_WALK_LEAF};
    assert_int_equal(pgt_walk(&f.pgt, 0x40001000, SZ_4K, &w), 0);
    assert_int_equal(t->n, 1);
    expect(&t->v[0], PGT_WALK_LEAF, 3, 0x40001000);
    /* Empty root entries are single leaf visits at the start level. */
    t->n = 0;
    assert_int_equal(pgt_walk(&f.pgt, 0x80000000, 2 * SZ_1G, &w), 0);
    assert_int_equal(t->n, 2);
    expect(&t->v[0], PGT_WALK_LEAF, 1, 0x80000000);
    expect(&t->v[1], PGT_WALK_LEAF, 1, 0xc0000000);
    /* Across the boundary of the two concatenated root pages. */
    t->n = 0;
    assert_int_equal(pgt_walk(&f.pgt, 0x7fc0000000ull, 2 * SZ_1G, &w), 0);
    assert_int_equal(t->n, 2);
    expect(&t->v[0], PGT_WALK_LEAF, 1, 0x7fc0000000ull);
    expect(&t->v[1], PGT_WALK_LEAF, 1, 0x8000000000ull);
    free(t);
    fx_fini(&f);
}

static void test_walk_inside_a_block_visits_it_once_at_the_walk_start(
    void **state)
{
    (void)state;
    struct fx f;
    struct trace *t = calloc(1, sizeof(*t));
    build(&f);
    struct pgt_walker w = {.cb = record, .arg = t,
                           .flags = PGT_WALK_LEAF | PGT_WALK_TABLE_PRE |
                                    PGT_WALK_TABLE_POST};
    assert_int_equal(pgt_walk(&f.pgt, 0x40234000, 3 * SZ_4K, &w), 0);
    /* PRE L1, the block (addr = first address of the walk under it),
     * POST L1. */
    assert_int_equal(t->n, 3);
    expect(&t->v[0], PGT_WALK_TABLE_PRE, 1, 0x40234000);
    expect(&t->v[1], PGT_WALK_LEAF, 2, 0x40234000);
    expect(&t->v[2], PGT_WALK_TABLE_POST, 1, 0x40234000);
    assert_u64(t->v[1].end, 0x40237000);
    free(t);
    fx_fini(&f);
}

static void test_walk_stops_at_first_visitor_error_and_returns_it(
    void **state)
{
    (void)state;
    struct fx f;
    struct trace *t = calloc(1, sizeof(*t));
    build(&f);
    t->fail_at = 3;
    struct pgt_walker w = {.cb = record, .arg = t,
                           .flags = PGT_WALK_LEAF | PGT_WALK_TABLE_PRE |
                                    PGT_WALK_TABLE_POST};
    assert_int_equal(pgt_walk(&f.pgt, 0x40000000, 2 * SZ_2M, &w), -77);
    assert_int_equal(t->n, 3);
    free(t);
    fx_fini(&f);
}

static void test_walk_does_not_descend_into_table_removed_at_table_pre(
    void **state)
{
    (void)state;
    struct fx f;
    struct trace *t = calloc(1, sizeof(*t));
    build(&f);
    t->zap_l2_table = true;
    struct pgt_walker w = {.cb = record, .arg = t,
                           .flags = PGT_WALK_LEAF | PGT_WALK_TABLE_PRE |
                                    PGT_WALK_TABLE_POST};
    assert_int_equal(pgt_walk(&f.pgt, 0x40000000, 2 * SZ_2M, &w), 0);
    /* PRE L1, PRE L2 (zapped: no children, no POST), block, POST L1. */
    assert_int_equal(t->n, 4);
    expect(&t->v[0], PGT_WALK_TABLE_PRE, 1, 0x40000000);
    expect(&t->v[1], PGT_WALK_TABLE_PRE, 2, 0x40000000);
    expect(&t->v[2], PGT_WALK_LEAF, 2, 0x40200000);
    expect(&t->v[3], PGT_WALK_TABLE_POST, 1, 0x40000000);
    /* Put the table back so destroy finds a consistent tree. */
    *ref_ptep(&f.r, &f.m, f.pgt.pgd, 0x40000000, 2) = t->saved;
    free(t);
    fx_fini(&f);
}

static int make_table(const struct pgt_visit_ctx *ctx,
                      enum pgt_walk_flags visit)
{
    struct trace *t = ctx->arg;
    t->v[t->n].addr = ctx->addr;
    t->v[t->n].level = ctx->level;
    t->v[t->n].kind = visit;
    t->n++;
    /* Turn the empty level-2 entry for 0x40400000 into a table. */
    if (visit == PGT_WALK_LEAF && ctx->level == 2 &&
        ctx->addr == 0x40400000) {
        void *page = ctx->pgt->mm_ops->zalloc_page(ctx->pgt->mm_ctx, NULL);
        assert_non_null(page);
        ctx->pgt->mm_ops->get_page(ctx->pgt->mm_ctx, ctx->ptep);
        *ctx->ptep = ctx->pgt->mm_ops->virt_to_phys(ctx->pgt->mm_ctx, page) | D_TABLE;
    }
    return 0;
}

static void test_walk_descends_into_table_installed_at_leaf_visit(
    void **state)
{
    (void)state;
    struct fx f;
    struct trace *t = calloc(1, sizeof(*t));
    build(&f);
    struct pgt_walker w = {.cb = make_table, .arg = t,
                           .flags = PGT_WALK_LEAF | PGT_WALK_TABLE_POST};
    assert_int_equal(pgt_walk(&f.pgt, 0x40400000, SZ_2M, &w), 0);
    /* LEAF L2 (becomes a table), 512 L3 leaves, POST L2, POST L1. */
    assert_int_equal(t->n, 1 + 512 + 2);
    expect(&t->v[0], PGT_WALK_LEAF, 2, 0x40400000);
    expect(&t->v[1], PGT_WALK_LEAF, 3, 0x40400000);
    expect(&t->v[512], PGT_WALK_LEAF, 3, 0x405ff000);
    expect(&t->v[513], PGT_WALK_TABLE_POST, 2, 0x40400000);
    /* ctx->addr is the first address of the walk under the entry. */
    expect(&t->v[514], PGT_WALK_TABLE_POST, 1, 0x40400000);
    free(t);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_walk_visits_tables_pre_and_post_and_every_leaf_in_order),
        cmocka_unit_test(test_walk_with_leaf_flag_only_skips_table_visits),
        cmocka_unit_test(
            test_walk_inside_a_block_visits_it_once_at_the_walk_start),
        cmocka_unit_test(test_walk_stops_at_first_visitor_error_and_returns_it),
        cmocka_unit_test(
            test_walk_does_not_descend_into_table_removed_at_table_pre),
        cmocka_unit_test(
            test_walk_descends_into_table_installed_at_leaf_visit),
    };
    return cmocka_run_group_tests_name("core_walk", tests, NULL, NULL);
}
