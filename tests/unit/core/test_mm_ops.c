// SPDX-License-Identifier: MIT
/*
 * The mm_ops contract (mm_ops.h, s2.h, pgt.h): which hooks are called with
 * what, which hooks are optional, and what get_leaf / destroy may touch.
 * The hooks are test_mm's, wrapped to record or to forbid calls.
 */
#include "core_ref.h"

#include <string.h>

static struct {
    void *want_arg;   /* zalloc_page must see this arg */
    void *want_ctx;   /* every hook must see this ctx (the table's mm_ctx) */
    long bad_ctx;
    long zalloc_calls, bad_arg;
    long exact_calls;
    bool forbid_all;  /* any hook but phys_to_virt fails the test */
    long forbidden;
} rec;

/* Every hook checks the context it gets, then runs test_mm's hook on the
 * current arena (NULL context). */
static void see_ctx(void *ctx)
{
    if (ctx != rec.want_ctx)
        rec.bad_ctx++;
}

static void *rec_zalloc_page(void *ctx, void *arg)
{
    see_ctx(ctx);
    rec.zalloc_calls++;
    if (arg != rec.want_arg)
        rec.bad_arg++;
    if (rec.forbid_all)
        rec.forbidden++;
    return tmm_ops.zalloc_page(NULL, arg);
}

static void *rec_zalloc_pages_exact(void *ctx, size_t size)
{
    see_ctx(ctx);
    rec.exact_calls++;
    if (rec.forbid_all)
        rec.forbidden++;
    return tmm_ops.zalloc_pages_exact(NULL, size);
}

static void rec_get_page(void *ctx, void *p)
{
    see_ctx(ctx);
    if (rec.forbid_all)
        rec.forbidden++;
    tmm_ops.get_page(NULL, p);
}

static void rec_put_page(void *ctx, void *p)
{
    see_ctx(ctx);
    if (rec.forbid_all)
        rec.forbidden++;
    tmm_ops.put_page(NULL, p);
}

static int rec_page_count(void *ctx, void *p)
{
    see_ctx(ctx);
    if (rec.forbid_all)
        rec.forbidden++;
    return tmm_ops.page_count(NULL, p);
}

static uint64_t rec_virt_to_phys(void *ctx, void *p)
{
    see_ctx(ctx);
    if (rec.forbid_all)
        rec.forbidden++;
    return tmm_ops.virt_to_phys(NULL, p);
}

static void rec_tlbi_va(const struct pgt *pgt, uint64_t addr, int level)
{
    see_ctx(pgt->mm_ctx);
    if (rec.forbid_all)
        rec.forbidden++;
    /* test_mm reads a non-NULL mm_ctx as its arena: hand it a copy of the
     * table with the current arena's NULL context instead. */
    struct pgt copy = *pgt;
    copy.mm_ctx = NULL;
    tmm_ops.tlbi_va(&copy, addr, level);
}

static void rec_free_pages_exact(void *ctx, void *addr, size_t size)
{
    see_ctx(ctx);
    tmm_ops.free_pages_exact(NULL, addr, size);
}

static void *rec_phys_to_virt(void *ctx, uint64_t pa)
{
    see_ctx(ctx);
    return tmm_ops.phys_to_virt(NULL, pa);
}

/* test_mm's hooks with recording allocation and the batched / range /
 * cache hooks removed. */
static const struct pgt_mm_ops rec_ops = {
    .zalloc_page = rec_zalloc_page,
    .zalloc_pages_exact = rec_zalloc_pages_exact,
    .free_pages_exact = NULL, /* set in setup_ops() */
    .get_page = rec_get_page,
    .put_page = rec_put_page,
    .page_count = rec_page_count,
    .virt_to_phys = rec_virt_to_phys,
    .tlbi_va = rec_tlbi_va,
};

static struct pgt_mm_ops ops;

static void setup_ops(void)
{
    memset(&rec, 0, sizeof(rec));
    ops = rec_ops;
    ops.free_pages_exact = rec_free_pages_exact;
    ops.phys_to_virt = rec_phys_to_virt;
}

static void s2_with_ops(struct fx *f, const struct pgt_mm_ops *o, unsigned gs,
                        unsigned ia, int sl)
{
    memset(f, 0, sizeof(*f));
    tmm_init(&f->m, (size_t)1 << gs, 64, ARENA_PA);
    ref_init(&f->r, gs, ia, sl, false, false);
    struct pgt_s2_cfg cfg = {.granule = (enum pgt_granule)gs,
                             .ia_bits = ia,
                             .oa_bits = ia <= 40 ? 40 : 48,
                             .start_level = sl};
    assert_int_equal(pgt_s2_init(&f->pgt, &cfg, o, rec.want_ctx, NULL), 0);
    assert_int_equal(f->pgt.geom.start_level, sl);
}

static void test_s2_ops_pass_the_memcache_arg_to_zalloc_page(void **state)
{
    (void)state;
    struct fx f;
    setup_ops();
    s2_with_ops(&f, &ops, 12, 40, 1);
    int mc;
    rec.want_arg = &mc;
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, &mc, 0), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40001000, SZ_4K, 0x80001000,
                                PGT_PROT_RW, &mc, 0), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x80000000, SZ_4K, &mc, 1), 0);
    assert_int_equal(pgt_s2_split(&f.pgt, 0x40200000, SZ_2M, &mc), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0xc0000000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, &mc, 0), 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0xc0001000, SZ_4K, &mc), 0);
    /* L2 (first block), L3 (page), L2 + L3 (owner), L3 (split), L2
     * (second block), L3 (unmap split): at least 7 pages, all from @mc. */
    assert_true(rec.zalloc_calls >= 7);
    assert_int_equal(rec.bad_arg, 0);
    fx_fini(&f);
}

static void test_stage1_allocations_pass_a_null_arg(void **state)
{
    (void)state;
    setup_ops();
    rec.want_arg = NULL;
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_4K, 16, ARENA_PA);
    assert_int_equal(pgt_hyp_init(&p, 48, PGT_GRANULE_4K, &ops, NULL), 0);
    assert_int_equal(pgt_hyp_map(&p, 0x1ff000, SZ_2M + SZ_4K, 0x801ff000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_map(&p, 0x40000000, SZ_2M, 0x40000000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_unmap(&p, 0x201000, SZ_4K), SZ_4K);
    assert_int_equal(pgt_hyp_protect(&p, 0x40001000, SZ_4K, PGT_PROT_R), 0);
    /* Root, L1, L2, L3 (first page), L2 for 1G region... every page. */
    assert_true(rec.zalloc_calls >= 6);
    assert_int_equal(rec.bad_arg, 0);
    pgt_hyp_destroy(&p);
    assert_int_equal(m.live, 0);
    tmm_fini(&m);
}

static void test_single_page_root_comes_from_zalloc_page_with_null_arg(
    void **state)
{
    (void)state;
    struct fx f;
    setup_ops();
    rec.want_arg = NULL;
    /* 4K, 39-bit at level 1: one root page. */
    s2_with_ops(&f, &ops, 12, 39, 1);
    assert_int_equal(rec.zalloc_calls, 1);
    assert_int_equal(rec.bad_arg, 0);
    assert_int_equal(rec.exact_calls, 0);
    fx_fini(&f);
    setup_ops();
    /* 4K, 43-bit at level 1: 16 concatenated root pages in one call. */
    s2_with_ops(&f, &ops, 12, 43, 1);
    assert_int_equal(rec.exact_calls, 1);
    assert_int_equal(rec.zalloc_calls, 0);
    fx_fini(&f);
}

static void test_optional_hooks_may_be_null(void **state)
{
    (void)state;
    struct fx f;
    setup_ops();
    /* No get/put_page_n, tlbi_range, tlbi_all, dcache, icache. */
    s2_with_ops(&f, &ops, 12, 40, 1);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x401ff000, SZ_2M + 2 * SZ_4K,
                                0x801ff000, PGT_PROT_RWX, NULL, 0), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x401ff000, SZ_2M + 2 * SZ_4K,
                                0x901ff000, PGT_PROT_RW, NULL, 0), 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40300000, SZ_4K, NULL), 0);
    assert_int_equal(pgt_s2_wrprotect(&f.pgt, 0x40000000, SZ_1G), 0);
    assert_int_equal(pgt_s2_split(&f.pgt, 0x40000000, SZ_1G, NULL), 0);
    uint64_t ro = S2_XN | AF | SH_INNER | S2AP_R | MEMATTR(MA_NORMAL_WB);
    assert_u64(E(&f, 0x401ff000, 3), 0x901ff000ull | ro | D_PAGE);
    assert_u64(E(&f, 0x40200000, 3), 0x90200000ull | ro | D_PAGE);
    assert_u64(E(&f, 0x40300000, 3), 0);
    assert_u64(E(&f, 0x40400000, 3), 0x90400000ull | ro | D_PAGE);
    /* Without tlbi_range, the replaced leaves were invalidated one by
     * one with tlbi_va. */
    assert_true(log_tlbi_covers(&f.m, 0x401ff000));
    assert_true(log_tlbi_covers(&f.m, 0x40200000));
    assert_true(log_tlbi_covers(&f.m, 0x40400000));
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0, 1ull << 40, NULL), 0);
    assert_int_equal(f.m.live, 2);
    fx_fini(&f);

    /* Stage 1 with only the required hooks: no TLB hooks at all. */
    struct pgt_mm_ops min = {
        .zalloc_page = tmm_ops.zalloc_page,
        .get_page = tmm_ops.get_page,
        .put_page = tmm_ops.put_page,
        .page_count = tmm_ops.page_count,
        .phys_to_virt = tmm_ops.phys_to_virt,
        .virt_to_phys = tmm_ops.virt_to_phys,
    };
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_4K, 16, ARENA_PA);
    assert_int_equal(pgt_hyp_init(&p, 48, PGT_GRANULE_4K, &min, NULL), 0);
    assert_int_equal(pgt_hyp_map(&p, 0x200000, SZ_2M, 0x80200000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_unmap(&p, 0x201000, SZ_4K), SZ_4K);
    assert_int_equal(pgt_hyp_protect(&p, 0x200000, SZ_4K, PGT_PROT_R), 0);
    assert_int_equal(pgt_hyp_unmap(&p, 0, 1ull << 48), SZ_2M - SZ_4K);
    assert_int_equal(m.live, 1);
    pgt_hyp_destroy(&p);
    assert_int_equal(m.live, 0);
    tmm_fini(&m);
}

/*
 * Every hook gets the table's mm_ctx: two tables on one ops struct, each
 * with its own context, through every operation that calls hooks.
 */
static void test_every_hook_gets_the_tables_context(void **state)
{
    (void)state;
    struct fx f;
    int ctx_a, ctx_b;

    setup_ops();
    rec.want_ctx = &ctx_a;
    s2_with_ops(&f, &ops, 12, 43, 1); /* 16-page root: the exact hooks */
    assert_ptr_equal(f.pgt.mm_ctx, &ctx_a);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, 0), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40001000, SZ_4K, 0x80001000,
                                PGT_PROT_RW, NULL, 0), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x80000000, SZ_4K, NULL, 1), 0);
    assert_int_equal(pgt_s2_split(&f.pgt, 0x40200000, SZ_2M, NULL), 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40201000, SZ_4K, NULL), 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40001000, SZ_4K, NULL), 0);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40200000, PGT_PROT_X), 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0, 1ull << 43, NULL), 0);
    pgt_s2_destroy(&f.pgt);
    assert_int_equal(f.m.live, 0);
    tmm_fini(&f.m);
    assert_true(rec.zalloc_calls >= 4);
    assert_int_equal(rec.exact_calls, 1);
    assert_int_equal(rec.bad_ctx, 0);

    /* Stage 1, another context. */
    struct tmm m;
    struct pgt p;
    rec.want_ctx = &ctx_b;
    tmm_init(&m, SZ_4K, 16, ARENA_PA);
    assert_int_equal(pgt_hyp_init(&p, 48, PGT_GRANULE_4K, &ops, &ctx_b), 0);
    assert_int_equal(pgt_hyp_map(&p, 0x1ff000, SZ_2M + SZ_4K, 0x801ff000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_unmap(&p, 0x201000, SZ_4K), SZ_4K);
    assert_int_equal(pgt_hyp_protect(&p, 0x1ff000, SZ_4K, PGT_PROT_R), 0);
    assert_int_equal(pgt_hyp_unmap(&p, 0, 1ull << 48), SZ_2M);
    pgt_hyp_destroy(&p);
    assert_int_equal(m.live, 0);
    tmm_fini(&m);
    assert_int_equal(rec.bad_ctx, 0);

    /* The check can fail: a table made with another context. */
    rec.want_ctx = &ctx_a;
    tmm_init(&m, SZ_4K, 16, ARENA_PA);
    assert_int_equal(pgt_hyp_init(&p, 48, PGT_GRANULE_4K, &ops, &ctx_b), 0);
    pgt_hyp_destroy(&p);
    tmm_fini(&m);
    assert_true(rec.bad_ctx > 0);
}

/*
 * PGT_DEBUG_CHECKS: a zalloc_page that hands a 16K table pages that are
 * only 4 KiB aligned (an allocator of the wrong granule) is refused with
 * -PGT_EINVAL, the table unchanged and nothing leaked, on every path that
 * allocates: the root, the one-page map's new tables, the engine's
 * prepared pages, and a concatenated root from zalloc_pages_exact.
 */
#ifdef PGT_DEBUG_CHECKS
static bool shift_pages;

static void *shifted_zalloc_page(void *ctx, void *arg)
{
    uint8_t *p = tmm_ops.zalloc_page(ctx, arg);
    return p && shift_pages ? p + 4096 : p;
}

static void *shifted_zalloc_pages_exact(void *ctx, size_t size)
{
    uint8_t *p = tmm_ops.zalloc_pages_exact(ctx, size);
    return p && shift_pages ? p + 4096 : p;
}

static void shifted_free_pages_exact(void *ctx, void *addr, size_t size)
{
    uintptr_t a = (uintptr_t)addr & ~(uintptr_t)(SZ_16K - 1);
    tmm_ops.free_pages_exact(ctx, (void *)a, size);
}
#endif

static void test_misaligned_table_pages_are_refused(void **state)
{
    (void)state;
#ifndef PGT_DEBUG_CHECKS
    skip(); /* built without -Ddebug_checks=true */
#else
    struct pgt_mm_ops ops = tmm_ops;
    ops.zalloc_page = shifted_zalloc_page;
    ops.zalloc_pages_exact = shifted_zalloc_pages_exact;
    ops.free_pages_exact = shifted_free_pages_exact;
    struct tmm m;
    struct pgt p;
    struct pgt_s2_cfg one = {.granule = PGT_GRANULE_16K, .ia_bits = 36,
                             .oa_bits = 40, .start_level = 2};
    struct pgt_s2_cfg cat = {.granule = PGT_GRANULE_16K, .ia_bits = 40,
                             .oa_bits = 40, .start_level = 2};
    tmm_init(&m, SZ_16K, 64, ARENA_PA);

    /* The root. */
    shift_pages = true;
    assert_int_equal(pgt_s2_init(&p, &one, &ops, &m, NULL), -PGT_EINVAL);
    assert_int_equal(pgt_s2_init(&p, &cat, &ops, &m, NULL), -PGT_EINVAL);
    assert_int_equal(m.live, 0);

    /* New tables below a good root: one page, and a range. */
    shift_pages = false;
    assert_int_equal(pgt_s2_init(&p, &one, &ops, &m, NULL), 0);
    assert_int_equal(pgt_s2_map(&p, 0x40000000, SZ_16K, 0x80000000,
                                PGT_PROT_RW, NULL, 0), 0);
    assert_int_equal(pgt_s2_map(&p, 0x42000000, 0x2000000, 0x82000000,
                                PGT_PROT_RW, NULL, 0), 0); /* a 32 MiB block */
    long live = m.live;
    struct snap s;
    snap_take(&s, &m, &p);
    shift_pages = true;
    assert_int_equal(pgt_s2_map(&p, 0x20000000, SZ_16K, 0x80000000,
                                PGT_PROT_RW, NULL, 0), -PGT_EINVAL);
    assert_int_equal(pgt_s2_map(&p, 0x20000000, 4 * SZ_16K, 0x80000000,
                                PGT_PROT_RW, NULL, 0), -PGT_EINVAL);
    /* A page of the block with other permissions: the split's table. */
    assert_int_equal(pgt_s2_map(&p, 0x42004000, SZ_16K, 0x82004000,
                                PGT_PROT_R, NULL, 0), -PGT_EINVAL);
    assert_int_equal(m.live, live); /* refused pages were given back */
    snap_check(&s, &m, &p, false);
    snap_free(&s);

    /* The check can fail: aligned pages again, the same maps go in. */
    shift_pages = false;
    assert_int_equal(pgt_s2_map(&p, 0x20000000, SZ_16K, 0x80000000,
                                PGT_PROT_RW, NULL, 0), 0);
    pgt_s2_destroy(&p);
    assert_int_equal(m.live, 0);
    tmm_fini(&m);
#endif
}

static int count_visit(const struct pgt_visit_ctx *ctx,
                       enum pgt_walk_flags visit)
{
    (void)visit;
    (*(int *)ctx->arg)++;
    return 0;
}

static void test_get_leaf_translate_and_walk_touch_no_hook_but_phys_to_virt(
    void **state)
{
    (void)state;
    struct fx f;
    setup_ops();
    s2_with_ops(&f, &ops, 12, 40, 1);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M + SZ_4K, 0x80200000,
                                PGT_PROT_RW, NULL, 0), 0);
    struct snap s;
    snap_take(&s, &f.m, &f.pgt);
    rec.forbid_all = true;
    pgt_pte_t pte;
    int level;
    uint64_t pa;
    enum pgt_prot prot;
    assert_int_equal(pgt_get_leaf(&f.pgt, 0x40400000, &pte, &level), 0);
    assert_int_equal(level, 3);
    assert_int_equal(pgt_get_leaf(&f.pgt, 0x40300000, NULL, NULL), 0);
    assert_int_equal(pgt_translate(&f.pgt, 0x40300000, &pa, &prot), 0);
    assert_u64(pa, 0x80300000);
    assert_int_equal(pgt_translate(&f.pgt, 0x50000000, NULL, NULL),
                     -PGT_ENOENT);
    int visits = 0;
    struct pgt_walker w = {.cb = count_visit, .arg = &visits,
                           .flags = PGT_WALK_LEAF | PGT_WALK_TABLE_PRE |
                                    PGT_WALK_TABLE_POST};
    assert_int_equal(pgt_walk(&f.pgt, 0x40000000, SZ_1G, &w), 0);
    /* PRE+POST L1, block, PRE+POST L3 table, 512 pages, 510 empty L2. */
    assert_int_equal(visits, 2 + 1 + 2 + 512 + 510);
    rec.forbid_all = false;
    assert_int_equal(rec.forbidden, 0);
    snap_check(&s, &f.m, &f.pgt, true);
    snap_free(&s);
    fx_fini(&f);
}

static void test_destroy_zeroes_pgt_and_does_no_tlb_maintenance(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M + SZ_4K, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x1000, SZ_4K, NULL, 1), 0);
    tmm_log_clear(&f.m);
    pgt_s2_destroy(&f.pgt);
    static const struct pgt zero;
    assert_memory_equal(&f.pgt, &zero, sizeof(zero));
    assert_int_equal(f.m.nlog, 0);
    assert_int_equal(f.m.live, 0);
    tmm_fini(&f.m);

    fx_hyp(&f, 16, 48, 1);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x10000, SZ_64K, 0x80010000,
                                 PGT_PROT_RW), 0);
    tmm_log_clear(&f.m);
    pgt_hyp_destroy(&f.pgt);
    assert_memory_equal(&f.pgt, &zero, sizeof(zero));
    assert_int_equal(f.m.nlog, 0);
    assert_int_equal(f.m.live, 0);
    tmm_fini(&f.m);
}

static void test_young_operations_do_no_tlb_maintenance(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M + SZ_4K, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_test_clear_young(&f.pgt, 0x40200000,
                                             SZ_2M + SZ_4K, true), 1);
    /* The block and the page lost AF. */
    assert_u64(E(&f, 0x40200000, 2) & AF, 0);
    assert_u64(E(&f, 0x40400000, 3) & AF, 0);
    assert_int_equal(pgt_s2_mkyoung(&f.pgt, 0x40234000), 0);
    assert_u64(E(&f, 0x40200000, 2) & AF, AF);
    assert_int_equal(f.m.nlog, 0);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s2_ops_pass_the_memcache_arg_to_zalloc_page),
        cmocka_unit_test(test_stage1_allocations_pass_a_null_arg),
        cmocka_unit_test(
            test_single_page_root_comes_from_zalloc_page_with_null_arg),
        cmocka_unit_test(test_optional_hooks_may_be_null),
        cmocka_unit_test(test_every_hook_gets_the_tables_context),
        cmocka_unit_test(test_misaligned_table_pages_are_refused),
        cmocka_unit_test(
            test_get_leaf_translate_and_walk_touch_no_hook_but_phys_to_virt),
        cmocka_unit_test(test_destroy_zeroes_pgt_and_does_no_tlb_maintenance),
        cmocka_unit_test(test_young_operations_do_no_tlb_maintenance),
    };
    return cmocka_run_group_tests_name("core_mm_ops", tests, NULL, NULL);
}
