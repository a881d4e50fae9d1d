// SPDX-License-Identifier: MIT
/*
 * mm_ops.linear (mm_ops.h): with a linear map declared, lookups and walks
 * compute table addresses as pa + linear_offset instead of calling
 * phys_to_virt. The same hand-computed results must come out as with
 * phys_to_virt, for every granule, for an arena above 2^50 (the offset then
 * wraps modulo 2^64), and for both stages.
 */
#include "core_ref.h"

#include <string.h>

#if !defined(PGT_ONE_PAGE_P2V) || !defined(PGT_ONE_PAGE_4K_L0)
#error "built without the PGT_ONE_PAGE_* defines the library was built with"
#endif

static struct pgt_mm_ops lin_ops;
static bool lin_counts; /* also declare tmm's count array (mm_ops.count_base) */
static bool lin_no_put_n, lin_no_tlbi_va; /* leave out these optional hooks */
static bool lin_p2v; /* declare no linear map: tables through phys_to_virt */
static bool lin_count_write; /* with lin_counts: mm_ops.count_writable */
static uint8_t lin_count_width = 4; /* with lin_counts: 4, or 2 (the low
                                     * half of tmm's int32_t counts) */
static bool lin_no_get_n;    /* leave out get_page_n too */
static bool lin_count_p2v;   /* count the phys_to_virt calls in p2v_calls */
static unsigned long p2v_calls;

static void *counting_phys_to_virt(void *ctx, uint64_t phys)
{
    p2v_calls++;
    return tmm_ops.phys_to_virt(ctx, phys);
}

static void init_linear(struct fx *f, unsigned gs, unsigned ia, unsigned oa,
                        int sl, uint32_t gflags, uint64_t pa_base, bool s2)
{
    memset(f, 0, sizeof(*f));
    tmm_init(&f->m, (size_t)1 << gs, 64, pa_base);
    ref_init(&f->r, gs, ia, sl, (gflags & PGT_GEOM_LPA2) != 0,
             gs == 16 && oa == 52);
    lin_ops = tmm_ops;
    lin_ops.linear = !lin_p2v;
    lin_ops.linear_offset = (uint64_t)(uintptr_t)f->m.base - pa_base;
    if (lin_counts) {
        lin_ops.count_base = f->m.refcount; /* one int32_t per page */
        lin_ops.count_va = (uintptr_t)f->m.base;
        lin_ops.count_shift = 2;
        lin_ops.count_width = lin_count_width;
        lin_ops.count_writable = lin_count_write;
    }
    /* Before init: a table's ops must not change while it uses them. */
    if (lin_no_put_n)
        lin_ops.put_page_n = NULL;
    if (lin_no_get_n)
        lin_ops.get_page_n = NULL;
    if (lin_no_tlbi_va)
        lin_ops.tlbi_va = NULL;
    if (lin_count_p2v)
        lin_ops.phys_to_virt = counting_phys_to_virt;
    if (s2) {
        struct pgt_s2_cfg cfg = {.granule = (enum pgt_granule)gs,
                                 .ia_bits = ia,
                                 .oa_bits = oa,
                                 .start_level = sl,
                                 .geom_flags = gflags};
        assert_int_equal(pgt_s2_init(&f->pgt, &cfg, &lin_ops, NULL, NULL), 0);
    } else {
        assert_int_equal(pgt_s1_init(&f->pgt, PGT_REGIME_EL2, ia,
                                     (enum pgt_granule)gs, oa, gflags,
                                     &lin_ops, NULL),
                         0);
    }
    assert_int_equal(f->pgt.geom.start_level, sl);
}

static int count_visit(const struct pgt_visit_ctx *ctx,
                       enum pgt_walk_flags visit)
{
    (void)visit;
    (*(int *)ctx->arg)++;
    return 0;
}

/*
 * One stage-2 scenario for granule @gs: page map, block map, a page
 * unmapped out of the block, an owner annotation, get_leaf, walk, unmap
 * everything. @attrs: the leaf attribute bits expected for RW normal
 * memory in this format (SH present or not).
 */
static void s2_scenario(unsigned gs, unsigned ia, unsigned oa, int sl,
                        uint32_t gflags, uint64_t pa_base, uint64_t pa,
                        uint64_t attrs)
{
    struct fx f;
    init_linear(&f, gs, ia, oa, sl, gflags, pa_base, true);
    uint64_t p = 1ull << gs, blk = 1ull << (2 * gs - 3);
    const uint32_t nocmo = PGT_MAP_SKIP_DCACHE;
    assert_int_equal(pgt_s2_map(&f.pgt, 2 * blk + p, p, pa, PGT_PROT_RW, NULL,
                                nocmo), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 4 * blk, blk, pa, PGT_PROT_RW, NULL,
                                nocmo), 0);
    assert_u64(E(&f, 2 * blk + p, 3), ref_oa_field(&f.r, pa) | attrs | D_PAGE);
    assert_u64(E(&f, 4 * blk, 2), ref_oa_field(&f.r, pa) | attrs | D_BLOCK);
    /* Split by unmap: the rest of the block stays. */
    assert_int_equal(pgt_s2_unmap(&f.pgt, 4 * blk + 3 * p, p, NULL), 0);
    assert_u64(E(&f, 4 * blk + 3 * p, 3), 0);
    assert_u64(E(&f, 4 * blk + 4 * p, 3),
               ref_oa_field(&f.r, pa + 4 * p) | attrs | D_PAGE);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 6 * blk, p, NULL, 7), 0);
    assert_u64(E(&f, 6 * blk, 3), OWNER(7));
    pgt_pte_t pte;
    int level;
    assert_int_equal(pgt_get_leaf(&f.pgt, 4 * blk + 5 * p, &pte, &level), 0);
    assert_u64(pte, ref_oa_field(&f.r, pa + 5 * p) | attrs | D_PAGE);
    assert_int_equal(level, 3);
    uint64_t out;
    assert_int_equal(pgt_translate(&f.pgt, 2 * blk + p + 0x10, &out, NULL), 0);
    assert_u64(out, pa + 0x10);
    int visits = 0;
    struct pgt_walker w = {.cb = count_visit, .arg = &visits,
                           .flags = PGT_WALK_LEAF};
    assert_int_equal(pgt_walk(&f.pgt, 4 * blk, blk, &w), 0);
    assert_int_equal(visits, (int)(blk / p));
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    assert_int_equal(pgt_count_table_pages(&f.pgt), f.m.live);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0, 8 * blk, NULL), 0);
    assert_int_equal(f.m.live, f.r.nroot);
    fx_fini(&f);
}

#define S2_RW (AF | S2AP_RW | MEMATTR(MA_NORMAL_WB) | S2_XN)

static void test_linear_map_gives_the_same_stage2_tables_4k(void **state)
{
    (void)state;
    s2_scenario(12, 40, 40, 1, 0, ARENA_PA, 0x80000000, S2_RW | SH_INNER);
}

static void test_linear_map_gives_the_same_stage2_tables_16k(void **state)
{
    (void)state;
    s2_scenario(14, 40, 40, 1, 0, ARENA_PA, 0x80000000, S2_RW | SH_INNER);
}

static void test_linear_map_gives_the_same_stage2_tables_64k(void **state)
{
    (void)state;
    s2_scenario(16, 48, 48, 1, 0, ARENA_PA, 0x80000000, S2_RW | SH_INNER);
}

static void test_linear_map_with_tables_above_2_50_and_lpa2(void **state)
{
    (void)state;
    /* Table pages at PA 0x000c_...: OA[51:50] of every table descriptor
     * in [9:8]; linear_offset wraps. */
    s2_scenario(12, 52, 52, -1, PGT_GEOM_LPA2, 0x000c000000000000ull,
                0x000c000080000000ull, S2_RW);
    s2_scenario(14, 52, 52, 0, PGT_GEOM_LPA2, 0x000c000000000000ull,
                0x0008000080000000ull, S2_RW);
}

static void test_linear_map_with_64k_tables_above_2_48(void **state)
{
    (void)state;
    s2_scenario(16, 52, 52, 1, 0, 0x000f000000000000ull,
                0x000f000080000000ull, S2_RW | SH_INNER);
}

static void test_linear_map_gives_the_same_hyp_tables(void **state)
{
    (void)state;
    struct fx f;
    init_linear(&f, 12, 48, 48, 0, 0, ARENA_PA, false);
    uint64_t rw = AF | SH_INNER | S1_AP1 | S1_XN;
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1ff000, SZ_2M + SZ_4K, 0x801ff000,
                                 PGT_PROT_RW), 0);
    assert_u64(E(&f, 0x1ff000, 3), 0x801ff000ull | rw | D_PAGE);
    assert_u64(E(&f, 0x200000, 2), 0x80200000ull | rw | D_BLOCK);
    assert_int_equal(pgt_hyp_unmap(&f.pgt, 0x201000, SZ_4K), SZ_4K);
    assert_u64(E(&f, 0x202000, 3), 0x80202000ull | rw | D_PAGE);
    uint64_t out;
    assert_int_equal(pgt_translate(&f.pgt, 0x3ff123, &out, NULL), 0);
    assert_u64(out, 0x803ff123ull);
    /* Mapped 2M + 4K, one page already removed. */
    assert_int_equal(pgt_hyp_unmap(&f.pgt, 0, 1ull << 48), SZ_2M);
    assert_int_equal(f.m.live, 1);
    fx_fini(&f);
}

/*
 * The stage-2 one-page unmap (4K, start level 1, linear map, default
 * counting), with a merged TLBI when tables go with their last leaf. Walk
 * it through every case, with and without the optional put_page_n and
 * tlbi_va hooks. Expected entries, live pages and TLB events are worked
 * out by hand below. Without tlbi_va, a lone leaf takes tlbi_all and a
 * removed table an invalidation of its whole span (test_mm has
 * tlbi_range).
 */
static void one_page_unmaps(bool has_put_n, bool has_tlbi_va)
{
    struct fx f;
    lin_no_put_n = !has_put_n;
    lin_no_tlbi_va = !has_tlbi_va;
    init_linear(&f, 12, 40, 40, 1, 0, ARENA_PA, true);
    lin_no_put_n = lin_no_tlbi_va = false;
    const uint64_t p = SZ_4K, pa = 0x80000000ull;
    const uint64_t A = 0x40000000ull + p;     /* alone in its L2 and L3 */
    const uint64_t B = 0x80000000ull;         /* B and C share an L3 table */
    const uint64_t C = 0x80000000ull + 3 * p;
    const uint64_t D = 0x80000000ull + SZ_2M; /* D: same L2 table as B, C */
    const uint64_t ia[] = {A, B, C, D};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pgt_s2_map(&f.pgt, ia[i], p, pa + ia[i], PGT_PROT_RW,
                                    NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* Root (2 concatenated pages) + L2 for A + L3 for A + L2 for B..D +
     * L3 for B, C + L3 for D. */
    assert_int_equal(f.m.live, 2 + 5);
    long live = f.m.live;

    /* B: its table keeps C. Leaf cleared, TLBI for the leaf, no page freed. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_unmap(&f.pgt, B, p, NULL), 0);
    assert_u64(E(&f, B, 3), 0);
    assert_u64(E(&f, C, 3), (pa + C) | S2_RW | SH_INNER | D_PAGE);
    assert_int_equal(f.m.live, live);
    assert_int_equal(f.m.nlog, 1);
    if (has_tlbi_va) {
        assert_int_equal(f.m.log[0].kind, TMM_TLBI_VA);
        assert_u64(f.m.log[0].addr, B);
        assert_int_equal(f.m.log[0].level, 3);
    } else {
        assert_int_equal(f.m.log[0].kind, TMM_TLBI_ALL);
    }

    /* C: its table goes with it, the L2 table stays (D). One TLBI at every
     * level for C covers the leaf and the table entry. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_unmap(&f.pgt, C, p, NULL), 0);
    assert_u64(E(&f, C, 2), 0);
    assert_u64(E(&f, D, 3), (pa + D) | S2_RW | SH_INNER | D_PAGE);
    assert_int_equal(f.m.live, live - 1);
    assert_int_equal(f.m.nlog, 1);
    if (has_tlbi_va) {
        assert_int_equal(f.m.log[0].kind, TMM_TLBI_VA);
        assert_u64(f.m.log[0].addr, C);
        assert_int_equal(f.m.log[0].level, PGT_LEVEL_UNKNOWN);
    } else {
        /* the level-2 entry's 2 MiB span */
        assert_int_equal(f.m.log[0].kind, TMM_TLBI_RANGE);
        assert_u64(f.m.log[0].addr, 0x80000000ull);
        assert_u64(f.m.log[0].size, SZ_2M);
    }

    /* A: both of its tables go; the root entry is cleared. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_unmap(&f.pgt, A, p, NULL), 0);
    assert_u64(E(&f, A, 1), 0);
    assert_int_equal(f.m.live, live - 3);
    assert_int_equal(f.m.nlog, 1);
    if (has_tlbi_va) {
        assert_u64(f.m.log[0].addr, A);
        assert_int_equal(f.m.log[0].level, PGT_LEVEL_UNKNOWN);
    } else {
        /* the root entry's 1 GiB span */
        assert_int_equal(f.m.log[0].kind, TMM_TLBI_RANGE);
        assert_u64(f.m.log[0].addr, 0x40000000ull);
        assert_u64(f.m.log[0].size, SZ_1G);
    }

    /* get_leaf has its own descent for this shape: D's page at level 3,
     * A's empty root entry at level 1, C's empty level-2 entry, and the
     * IA size checked. */
    pgt_pte_t pte;
    int lvl;
    assert_int_equal(pgt_get_leaf(&f.pgt, D + 0x123, &pte, &lvl), 0);
    assert_u64(pte, (pa + D) | S2_RW | SH_INNER | D_PAGE);
    assert_int_equal(lvl, 3);
    assert_int_equal(pgt_get_leaf(&f.pgt, A, &pte, &lvl), 0);
    assert_u64(pte, 0);
    assert_int_equal(lvl, 1);
    assert_int_equal(pgt_get_leaf(&f.pgt, C, &pte, &lvl), 0);
    assert_u64(pte, 0);
    assert_int_equal(lvl, 2);
    assert_int_equal(pgt_get_leaf(&f.pgt, 1ull << 40, &pte, &lvl), -PGT_ERANGE);

    /* A again: nothing mapped, nothing changes, no TLBI. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_unmap(&f.pgt, A, p, NULL), 0);
    assert_int_equal(f.m.live, live - 3);
    assert_int_equal(f.m.nlog, 0);

    /* Bad input: unaligned, beyond the IA size. Nothing changes. */
    assert_int_equal(pgt_s2_unmap(&f.pgt, D + 8, p, NULL), -PGT_EINVAL);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 1ull << 40, p, NULL), -PGT_ERANGE);
    assert_u64(E(&f, D, 3), (pa + D) | S2_RW | SH_INNER | D_PAGE);

    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    assert_int_equal(pgt_s2_unmap(&f.pgt, D, p, NULL), 0);
    assert_int_equal(f.m.live, f.r.nroot);
    /* A destroyed table refuses the call (no fast path left behind). */
    assert_int_equal(pgt_s2_map(&f.pgt, D, p, pa + D, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    pgt_s2_destroy(&f.pgt);
    assert_int_equal(f.m.live, 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, D, p, NULL), -PGT_EINVAL);
    assert_int_equal(f.m.live, 0);
    fx_fini(&f);
    lin_ops = tmm_ops;
}

static void test_one_page_unmap_4k_level1(void **state)
{
    (void)state;
    for (int counts = 0; counts < 2; counts++) {
        lin_counts = counts;
        one_page_unmaps(true, true);
        one_page_unmaps(false, true);
        one_page_unmaps(true, false);
        one_page_unmaps(false, false);
    }
    lin_counts = false;
}

/*
 * A count array whose records lie further apart than a page (mm_ops.h:
 * 1 << count_shift at most the granule) is not used: counts come from
 * page_count. Declared here over a zeroed buffer, where every count would
 * read 0 and no table would ever be released.
 */
static void test_count_array_with_records_wider_than_a_page_is_ignored(void **state)
{
    (void)state;
    static uint16_t zeros[64 * 8192 / sizeof(uint16_t)];
    struct fx f;
    memset(&f, 0, sizeof(f));
    tmm_init(&f.m, SZ_4K, 64, ARENA_PA);
    ref_init(&f.r, 12, 40, 1, false, false);
    lin_ops = tmm_ops;
    lin_ops.linear = !lin_p2v;
    lin_ops.linear_offset = (uint64_t)(uintptr_t)f.m.base - ARENA_PA;
    lin_ops.count_base = zeros;
    lin_ops.count_va = (uintptr_t)f.m.base;
    lin_ops.count_shift = 13;
    lin_ops.count_width = 2;
    struct pgt_s2_cfg cfg = {.granule = PGT_GRANULE_4K, .ia_bits = 40,
                             .oa_bits = 40, .start_level = 1};
    assert_int_equal(pgt_s2_init(&f.pgt, &cfg, &lin_ops, NULL, NULL), 0);
    long roots = f.m.live;
    const uint64_t A = 0x40000000ull + SZ_4K;
    assert_int_equal(pgt_s2_map(&f.pgt, A, SZ_4K, 0x80000000ull, PGT_PROT_RW,
                                NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(f.m.live, roots + 2);
    /* The page takes both its tables with it. */
    assert_int_equal(pgt_s2_unmap(&f.pgt, A, SZ_4K, NULL), 0);
    assert_int_equal(f.m.live, roots);
    assert_u64(E(&f, A, 1), 0);
    fx_fini(&f);
    lin_ops = tmm_ops;
}

/*
 * The one-page map of the same shape has its own code too: a new page in
 * new tables, a new page in an existing table (with and without cache
 * maintenance), the same page again (nothing to do), a different one
 * (break-before-make, the general path). Expected descriptors and cache
 * hook calls by hand (mm_ops.h: dcache to PoC for write-back memory
 * without FWB, icache to PoU for executable memory; the mapped PAs lie
 * outside the arena, where test_mm's phys_to_virt is the identity).
 */
static void test_one_page_map_4k_level1(void **state)
{
    (void)state;
    struct fx f;
    init_linear(&f, 12, 40, 40, 1, 0, ARENA_PA, true);
    const uint64_t p = SZ_4K, A = 0x40001000ull, pa = 0x80000000ull;
    const uint64_t rw = MEMATTR(MA_NORMAL_WB) | S2AP_RW | SH_INNER | AF;

    /* New tables (root entry empty): dcache only, as RW. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_map(&f.pgt, A, p, pa, PGT_PROT_RW, NULL, 0), 0);
    assert_u64(E(&f, A, 3), pa | rw | S2_XN | D_PAGE);
    assert_int_equal(f.m.live, 2 + 2);
    assert_int_equal(f.m.nlog, 1);
    assert_int_equal(f.m.log[0].kind, TMM_DCACHE);
    assert_u64(f.m.log[0].addr, pa);
    assert_u64(f.m.log[0].size, p);

    /* Existing table, executable: dcache and icache for that page. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_map(&f.pgt, A + p, p, pa + p, PGT_PROT_RWX, NULL, 0), 0);
    assert_u64(E(&f, A + p, 3), (pa + p) | rw | D_PAGE);
    assert_int_equal(f.m.nlog, 2);
    assert_int_equal(log_count(&f.m, TMM_DCACHE), 1);
    assert_int_equal(log_count(&f.m, TMM_ICACHE), 1);
    assert_u64(f.m.log[0].addr, pa + p);
    assert_u64(f.m.log[1].addr, pa + p);

    /* Skip flags: only what is not skipped. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_map(&f.pgt, A + 2 * p, p, pa + 2 * p, PGT_PROT_RWX,
                                NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(f.m.nlog, 1);
    assert_int_equal(f.m.log[0].kind, TMM_ICACHE);
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_map(&f.pgt, A + 3 * p, p, pa + 3 * p, PGT_PROT_R, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_u64(E(&f, A + 3 * p, 3),
               (pa + 3 * p) | MEMATTR(MA_NORMAL_WB) | S2AP_R | SH_INNER | AF |
                   S2_XN | D_PAGE);
    assert_int_equal(f.m.nlog, 0);
    assert_int_equal(f.m.live, 2 + 2); /* the same two tables */

    /* The same page again: nothing changes, nothing is called. */
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_map(&f.pgt, A, p, pa, PGT_PROT_RW, NULL, 0), 0);
    assert_int_equal(f.m.nlog, 0);
    /* Another PA there: break-before-make (a TLBI between). */
    assert_int_equal(pgt_s2_map(&f.pgt, A, p, pa + 16 * p, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, A, 3), (pa + 16 * p) | rw | S2_XN | D_PAGE);
    assert_int_equal(log_count(&f.m, TMM_TLBI_VA) + log_count(&f.m, TMM_TLBI_RANGE) +
                         log_count(&f.m, TMM_TLBI_ALL),
                     1);
    /* Bad input is refused before anything: unaligned PA, PA beyond the
     * OA size, a bad flag. */
    assert_int_equal(pgt_s2_map(&f.pgt, A + 5 * p, p, pa + 8, PGT_PROT_RW, NULL, 0),
                     -PGT_EINVAL);
    assert_int_equal(pgt_s2_map(&f.pgt, A + 5 * p, p, 1ull << 40, PGT_PROT_RW, NULL, 0),
                     -PGT_ERANGE);
    assert_int_equal(pgt_s2_map(&f.pgt, A + 5 * p, p, pa, PGT_PROT_RW, NULL, 1u << 7),
                     -PGT_EINVAL);
    assert_u64(E(&f, A + 5 * p, 3), 0);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

/*
 * Table entries with ignored bits set (bits [58:55] and [11:2], which this
 * library never writes but an embedder or a debugger may): the one-page
 * paths and the lookups still follow them to the leaf, for every granule
 * and start level, with and without a linear map, and leave those bits
 * as they were.
 */
static void ignored_bits_in_table_entries(unsigned gs, unsigned ia, int sl,
                                          bool p2v)
{
    struct fx f;
    lin_p2v = p2v;
    init_linear(&f, gs, ia, 48, sl, 0, ARENA_PA, true);
    lin_p2v = false;
    const uint64_t p = 1ull << gs, pa = 0x80000000ull;
    const uint64_t B = 3ull << (gs + (gs - 3)); /* the 4th level-2 block */
    const uint64_t C = B + 5 * p;                   /* same leaf table as B */
    const uint64_t leaf = S2_RW | SH_INNER | D_PAGE;
    const uint64_t junk = SW(0) | SW(3) | (1ull << 2) | (1ull << 11);
    assert_int_equal(pgt_s2_map(&f.pgt, C, p, pa + C, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, B, p, pa + B, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    for (int l = sl; l < 3; l++) {
        uint64_t *t = ref_ptep(&f.r, &f.m, f.pgt.pgd, B, l);
        assert_non_null(t);
        assert_u64(*t & 3, D_TABLE);
        *t |= junk;
    }
    long live = f.m.live;

    pgt_pte_t pte = 0;
    int lvl = -1;
    assert_int_equal(pgt_get_leaf(&f.pgt, B + 8, &pte, &lvl), 0);
    assert_u64(pte, (pa + B) | leaf);
    assert_int_equal(lvl, 3);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, C, PGT_PROT_X), 0);
    assert_u64(E(&f, C, 3), (pa + C) | (leaf & ~S2_XN));

    /* Unmapped and mapped again one page at a time: the leaf table stays
     * (C), no page comes or goes. */
    assert_int_equal(pgt_s2_unmap(&f.pgt, B, p, NULL), 0);
    assert_u64(E(&f, B, 3), 0);
    assert_u64(E(&f, C, 3), (pa + C) | (leaf & ~S2_XN));
    assert_int_equal(pgt_s2_map(&f.pgt, B, p, pa + B + p, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, B, 3), (pa + B + p) | leaf);
    assert_int_equal(f.m.live, live);
    for (int l = sl; l < 3; l++)
        assert_u64(E(&f, B, l) & junk, junk);

    /* The last page of the leaf table: the leaf table goes. */
    assert_int_equal(pgt_s2_unmap(&f.pgt, B, p, NULL), 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, C, p, NULL), 0);
    assert_int_equal(pgt_get_leaf(&f.pgt, C, &pte, &lvl), 0);
    assert_u64(pte, 0);
    assert_true(lvl < 3);
    assert_true(f.m.live < live);
    fx_fini(&f);
}

static void test_table_entries_with_ignored_bits_are_followed(void **state)
{
    (void)state;
    for (int p2v = 0; p2v < 2; p2v++) {
        ignored_bits_in_table_entries(12, 48, 0, p2v);
        ignored_bits_in_table_entries(12, 40, 1, p2v);
        ignored_bits_in_table_entries(12, 36, 1, p2v);
        ignored_bits_in_table_entries(14, 47, 1, p2v);
        ignored_bits_in_table_entries(14, 40, 2, p2v);
        ignored_bits_in_table_entries(16, 42, 2, p2v);
    }
}

/*
 * mm_ops.count_writable: the library changes table pages' counts in the
 * count array itself while they stay at 1 or more, so get_page(_n) is
 * never called and put_page(_n) only with the references that free a
 * page (one call per table freed by a one-page unmap; by a range, one
 * each when every hook has its _n form here). Without it (@write false)
 * the array is only read: every reference taken or dropped is a hook
 * call. Either way the counts always
 * equal 1 + the entries each table holds (counted by hand), for one-page
 * and range calls, every granule, with and without the linear map, for
 * 4-byte and 2-byte counts (the one-page paths have an instance for
 * each).
 */
static void counts_in_array(unsigned gs, unsigned ia, int sl, bool p2v,
                            bool n_hooks, bool write)
{
    struct fx f;
    lin_p2v = p2v;
    lin_counts = true;
    lin_count_write = write;
    lin_no_put_n = lin_no_get_n = !n_hooks;
    init_linear(&f, gs, ia, 48, sl, 0, ARENA_PA, true);
    lin_p2v = lin_counts = lin_count_write = false;
    lin_no_put_n = lin_no_get_n = false;
    const uint64_t p = 1ull << gs, pa = 0x80000000ull;
    const uint64_t blk = 1ull << (gs + (gs - 3)); /* a level-2 block */
    const uint64_t A = 3 * blk, B = A + 5 * p;     /* one leaf table */
    const uint64_t R = 6 * blk - 4 * p;            /* range over two */
    const uint32_t nocmo = PGT_MAP_SKIP_DCACHE;
    long live0 = f.m.live;

    assert_int_equal(pgt_s2_map(&f.pgt, A, p, pa, PGT_PROT_RW, NULL, nocmo), 0);
    long gets = f.m.get_calls;
    /* A page beside it: one reference on its table. */
    assert_int_equal(pgt_s2_map(&f.pgt, B, p, pa, PGT_PROT_RW, NULL, nocmo), 0);
    assert_int_equal(f.m.get_calls - gets, write ? 0 : 1);
    assert_int_equal(pgt_s2_map(&f.pgt, R, 8 * p, pa, PGT_PROT_RW, NULL, nocmo), 0);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    if (write)
        assert_int_equal(f.m.get_calls, 0);
    else
        assert_true(f.m.get_calls > gets + 1);
    assert_int_equal(f.m.put_calls, 0);
    long live = f.m.live;
    assert_true(live > live0);
    gets = f.m.get_calls;

    /* One page out of a table that keeps another: nothing freed. */
    assert_int_equal(pgt_s2_unmap(&f.pgt, A, p, NULL), 0);
    assert_int_equal(f.m.put_calls, write ? 0 : 1);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    /* The last page of the leaf table: it goes, and the level-2 table
     * above it when the start level is above 2 (it held that link only,
     * R is under another level-2 entry of the same level-2 table for
     * 4K and 16K, and in the root for 64K/42). Without @write the link's
     * reference on the table above is one more call. */
    long puts = f.m.put_calls;
    assert_int_equal(pgt_s2_unmap(&f.pgt, B, p, NULL), 0);
    long freed = live - f.m.live;
    assert_int_equal(freed, 1);
    if (write) /* the leaf's reference dropped in place too */
        assert_int_equal(f.m.put_calls - puts, freed);
    else
        assert_int_equal(f.m.put_calls - puts, (n_hooks ? 1 : 2) + 1);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);

    /* The range: both its leaf tables go, and what held only them. */
    puts = f.m.put_calls;
    live = f.m.live;
    assert_int_equal(pgt_s2_unmap(&f.pgt, R, 8 * p, NULL), 0);
    assert_int_equal(f.m.live, live0);
    assert_true(live - live0 >= 2);
    if (n_hooks && write)
        assert_int_equal(f.m.put_calls - puts, live - live0);
    assert_int_equal(f.m.get_calls, gets);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_counts_in_array(void **state)
{
    (void)state;
    _Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
                   "2-byte counts as the low half of an int32_t");
    for (lin_count_width = 2; lin_count_width <= 4; lin_count_width += 2) {
        for (int p2v = 0; p2v < 2; p2v++) {
            for (int n = 0; n < 2; n++) {
                for (int w = 0; w < 2; w++) {
                    counts_in_array(12, 48, 0, p2v, n, w);
                    counts_in_array(12, 40, 1, p2v, n, w);
                    counts_in_array(14, 47, 1, p2v, n, w);
                    counts_in_array(16, 42, 2, p2v, n, w);
                }
            }
        }
    }
    lin_count_width = 4;
}

/*
 * Without a linear map, the calls that change the table remember the
 * table they last reached or linked at each level: a page beside the
 * last one makes no phys_to_virt call, one in another leaf table calls it
 * for that table only, and lookups read the same memory without adding
 * to it. A build without the shape's instance (@kept false: options
 * one_page_shapes, one_page_modes) serves it with the generic one, which
 * calls it for every table on the way. Either way every page translates
 * to what it was given, and the counts match the tables.
 */
static void p2v_calls_of_neighbours(unsigned gs, unsigned ia, int sl,
                                    bool kept)
{
    struct fx f;
    lin_p2v = lin_count_p2v = true;
    init_linear(&f, gs, ia, 48, sl, 0, ARENA_PA, true);
    lin_p2v = lin_count_p2v = false;
    const uint64_t p = 1ull << gs, pa = 0x80000000ull;
    const uint64_t blk = 1ull << (gs + (gs - 3)); /* one leaf table's span */
    const uint64_t A = 3 * blk, B = A + blk;
    const unsigned long depth = (unsigned long)(PGT_LEVEL_MAX - sl);
    const uint32_t nocmo = PGT_MAP_SKIP_DCACHE;

    /* The first page builds the tables, which are remembered as they are
     * linked: its neighbour makes no call. */
    assert_int_equal(pgt_s2_map(&f.pgt, A, p, pa, PGT_PROT_RW, NULL, nocmo), 0);
    p2v_calls = 0;
    assert_int_equal(pgt_s2_map(&f.pgt, A + p, p, pa + 2 * p, PGT_PROT_RW,
                                NULL, nocmo), 0);
    assert_int_equal(p2v_calls, kept ? 0 : depth);
    /* Beside it: none, to map or to unmap. */
    p2v_calls = 0;
    assert_int_equal(pgt_s2_map(&f.pgt, A + 2 * p, p, pa + 3 * p, PGT_PROT_RW,
                                NULL, nocmo), 0);
    assert_int_equal(pgt_s2_unmap(&f.pgt, A + 2 * p, p, NULL), 0);
    assert_int_equal(p2v_calls, kept ? 0 : 2 * depth);
    /* The next leaf table, once built: none; back in the first, one. */
    assert_int_equal(pgt_s2_map(&f.pgt, B, p, pa + p, PGT_PROT_RW, NULL, nocmo), 0);
    p2v_calls = 0;
    assert_int_equal(pgt_s2_map(&f.pgt, B + p, p, pa + 4 * p, PGT_PROT_RW,
                                NULL, nocmo), 0);
    assert_int_equal(p2v_calls, kept ? 0 : depth);
    assert_int_equal(pgt_s2_map(&f.pgt, A + 3 * p, p, pa + 5 * p, PGT_PROT_RW,
                                NULL, nocmo), 0);
    assert_int_equal(p2v_calls, kept ? 1 : 2 * depth);
    /* A lookup reads what they remember and writes nothing: in the
     * tables of the last map, no call; in the other leaf table, one,
     * and one again next time. */
    p2v_calls = 0;
    assert_int_equal(pgt_get_leaf(&f.pgt, A + p, NULL, NULL), 0);
    assert_int_equal(p2v_calls, kept ? 0 : depth);
    assert_int_equal(pgt_get_leaf(&f.pgt, B, NULL, NULL), 0);
    assert_int_equal(pgt_get_leaf(&f.pgt, B + p, NULL, NULL), 0);
    assert_int_equal(p2v_calls, kept ? 2 : 3 * depth);

    const uint64_t ipa[] = {A, B, A + p, B + p, A + 3 * p};
    const uint64_t opa[] = {pa, pa + p, pa + 2 * p, pa + 4 * p, pa + 5 * p};
    for (unsigned i = 0; i < 5; i++) {
        uint64_t out;
        assert_int_equal(pgt_translate(&f.pgt, ipa[i] + 8, &out, NULL), 0);
        assert_u64(out, opa[i] + 8);
    }
    assert_int_equal(pgt_translate(&f.pgt, A + 2 * p, NULL, NULL),
                     -PGT_ENOENT);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);

    /* Emptied page by page, tables and all, then built again on the
     * same pages: still right. */
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(pgt_s2_unmap(&f.pgt, ipa[i], p, NULL), 0);
    assert_int_equal(f.m.live, f.r.nroot);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(pgt_s2_map(&f.pgt, ipa[4 - i], p, opa[i],
                                    PGT_PROT_RW, NULL, nocmo), 0);
    for (unsigned i = 0; i < 5; i++) {
        uint64_t out;
        assert_int_equal(pgt_translate(&f.pgt, ipa[4 - i], &out, NULL), 0);
        assert_u64(out, opa[i]);
    }
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_p2v_calls_shared_by_neighbouring_pages(void **state)
{
    (void)state;
    p2v_calls_of_neighbours(12, 48, 0, PGT_ONE_PAGE_4K_L0 && PGT_ONE_PAGE_P2V);
    p2v_calls_of_neighbours(12, 40, 1, PGT_ONE_PAGE_4K_L1 && PGT_ONE_PAGE_P2V);
    p2v_calls_of_neighbours(12, 36, 1, PGT_ONE_PAGE_4K_L1 && PGT_ONE_PAGE_P2V);
    p2v_calls_of_neighbours(14, 47, 1, PGT_ONE_PAGE_16K_L1 && PGT_ONE_PAGE_P2V);
    p2v_calls_of_neighbours(16, 42, 2, PGT_ONE_PAGE_64K_L2 && PGT_ONE_PAGE_P2V);
}

/* A pgt_walk() visitor that unlinks the level-2 table it reaches (its
 * entry saved in *arg). */
static int unlink_level2(const struct pgt_visit_ctx *ctx,
                         enum pgt_walk_flags visit)
{
    if (visit == PGT_WALK_TABLE_PRE && ctx->level == 1) {
        *(pgt_pte_t *)ctx->arg = *ctx->ptep;
        *ctx->ptep = 0;
    }
    return 0;
}

/*
 * The walk cache: a table that starts above level 2 remembers the last
 * level-2 table a call that changed it reached, with the range that table
 * translates, and the one-page calls there start from it. With the root's
 * entry for that range hidden (zeroed behind the library's back), a
 * lookup there still finds the page, and one elsewhere under the entry
 * does not. Whatever unlinks the table forgets it: an embedder's walk
 * visitor, a block mapped over the range, a range unmap, a one-page unmap
 * that takes the tables along; the range then translates as the tables
 * say. Shapes without the walk cache (start level 2, or @kept false: the
 * generic instance) see the hidden entry.
 */
static void walk_cache(unsigned gs, unsigned ia, int sl, bool p2v, bool kept)
{
    struct fx f;
    lin_p2v = p2v;
    init_linear(&f, gs, ia, 48, sl, 0, ARENA_PA, true);
    lin_p2v = false;
    const uint64_t p = 1ull << gs, pa = 0x80000000ull, pa2 = 1ull << 40;
    const uint32_t l1 = gs + 2 * (gs - 3); /* a level-1 entry's span */
    const uint64_t span = 1ull << l1;
    const uint64_t A = sl < 2 ? 3 * span + 5 * p : 5 * p;
    const uint64_t *root = &f.pgt.pgd[A >> pgt_level_shift(&f.pgt.geom, sl)];
    const bool shortcut = kept && sl < 2;
    const uint32_t nocmo = PGT_MAP_SKIP_DCACHE;
    pgt_pte_t pte;
    int level;

    assert_int_equal(pgt_s2_map(&f.pgt, A, p, pa, PGT_PROT_RW, NULL, nocmo), 0);
    pgt_pte_t was = *root;
    *(uint64_t *)root = 0;
    assert_int_equal(pgt_get_leaf(&f.pgt, A, &pte, &level), 0);
    assert_int_equal(level, shortcut ? 3 : sl);
    assert_u64(pte & PGT_PTE_VALID, shortcut);
    if (sl == 0) { /* the next level-1 entry's range, under the same entry */
        assert_int_equal(pgt_get_leaf(&f.pgt, A + span, &pte, &level), 0);
        assert_int_equal(level, 0);
        assert_u64(pte, 0);
    }
    *(uint64_t *)root = was;
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    if (sl < 2) {
        /* An embedder's visitor unlinks the table: forgotten too. */
        pgt_pte_t link = 0;
        struct pgt_walker w = {.cb = unlink_level2, .arg = &link,
                               .flags = PGT_WALK_TABLE_PRE};
        assert_int_equal(pgt_walk(&f.pgt, 3 * span, span, &w), 0);
        assert_true(pgt_pte_is_table(link, 1));
        assert_int_equal(pgt_get_leaf(&f.pgt, A, &pte, &level), 0);
        assert_int_equal(level, 1);
        assert_u64(pte, 0);
        uint64_t *e1 = ref_ptep(&f.r, &f.m, f.pgt.pgd, A, 1);
        *e1 = link;
        assert_int_equal(pgt_get_leaf(&f.pgt, A, &pte, &level), 0);
        assert_int_equal(level, 3);
    }
    if (sl == 2) {
        fx_fini(&f);
        return;
    }

    /* A block over the range: the largest the granule allows there. */
    int bl = pgt_level_has_block(&f.pgt.geom, 1) ? 1 : 2;
    uint64_t bsize = 1ull << pgt_level_shift(&f.pgt.geom, bl);
    assert_int_equal(pgt_s2_map(&f.pgt, 3 * span, span, pa2, PGT_PROT_RW, NULL,
                                nocmo), 0);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    assert_int_equal(pgt_get_leaf(&f.pgt, A, &pte, &level), 0);
    assert_int_equal(level, bl);
    assert_u64(pgt_oa_decode(&f.pgt.geom, pte), pa2 + ((A - 3 * span) & ~(bsize - 1)));
    /* Unmapped whole, then one page built again and unmapped with its
     * tables: nothing is left to find. */
    assert_int_equal(pgt_s2_unmap(&f.pgt, 3 * span, span, NULL), 0);
    assert_int_equal(f.m.live, f.r.nroot);
    assert_int_equal(pgt_get_leaf(&f.pgt, A, &pte, &level), 0);
    assert_int_equal(level, sl);
    assert_u64(pte, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, A + p, p, pa, PGT_PROT_RW, NULL, nocmo), 0);
    assert_int_equal(pgt_get_leaf(&f.pgt, A + p, &pte, &level), 0);
    assert_int_equal(level, 3);
    assert_u64(pgt_oa_decode(&f.pgt.geom, pte), pa);
    assert_int_equal(pgt_s2_unmap(&f.pgt, A + p, p, NULL), 0);
    assert_int_equal(f.m.live, f.r.nroot);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    assert_int_equal(pgt_get_leaf(&f.pgt, A + p, &pte, &level), 0);
    assert_int_equal(level, sl);
    assert_u64(pte, 0);
    fx_fini(&f);
}

static void test_walk_cache_starts_at_the_last_level2_table(void **state)
{
    (void)state;
    for (int p2v = 0; p2v < 2; p2v++) {
        bool mode = p2v ? PGT_ONE_PAGE_P2V : PGT_ONE_PAGE_LINEAR;
        walk_cache(12, 48, 0, p2v, PGT_ONE_PAGE_4K_L0 && mode);
        walk_cache(12, 40, 1, p2v, PGT_ONE_PAGE_4K_L1 && mode);
        walk_cache(12, 36, 1, p2v, PGT_ONE_PAGE_4K_L1 && mode);
        walk_cache(14, 47, 1, p2v, PGT_ONE_PAGE_16K_L1 && mode);
        walk_cache(16, 48, 1, p2v, PGT_ONE_PAGE_64K_L1 && mode);
        walk_cache(16, 42, 2, p2v, PGT_ONE_PAGE_64K_L2 && mode);
    }
}

/*
 * The walk cache of an upper-range stage-1 table (EL1&0 TTBR1, 4K, 48-bit
 * VAs from 0xffff000000000000), which works on offsets from its first VA:
 * with the root entry hidden a one-page map's page is still found; after
 * a page in another level-1 range, both translate; unmapped, the tables
 * go and nothing is found.
 */
static void test_walk_cache_in_an_upper_range_table(void **state)
{
    (void)state;
    struct fx f;
    const uint64_t base = 0xffff000000000000ull;
    const uint64_t va = base + 3 * SZ_1G + 5 * SZ_4K, va2 = va + SZ_1G;
    const bool kept = PGT_ONE_PAGE_4K_L0 && PGT_ONE_PAGE_P2V;
    pgt_pte_t pte;
    int level;
    uint64_t pa;

    fx_s1_(&f, PGT_REGIME_EL10, 12, 48, 48, 0, PGT_S1_UPPER, 64, ARENA_PA,
           __FILE__, __LINE__);
    assert_int_equal(pgt_s1_map(&f.pgt, va, SZ_4K, 0x80001000, PGT_PROT_RW), 0);
    uint64_t *root = &f.pgt.pgd[(va - base) >> 39];
    uint64_t was = *root;
    *root = 0;
    assert_int_equal(pgt_get_leaf(&f.pgt, va, &pte, &level), 0);
    assert_int_equal(level, kept ? 3 : 0);
    *root = was;
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    assert_int_equal(pgt_s1_map(&f.pgt, va2, SZ_4K, 0x80002000, PGT_PROT_RW), 0);
    assert_int_equal(pgt_translate(&f.pgt, va + 8, &pa, NULL), 0);
    assert_u64(pa, 0x80001008);
    assert_int_equal(pgt_translate(&f.pgt, va2, &pa, NULL), 0);
    assert_u64(pa, 0x80002000);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    assert_int_equal(pgt_s1_unmap(&f.pgt, va2, SZ_4K), SZ_4K);
    assert_int_equal(pgt_s1_unmap(&f.pgt, va, SZ_4K), SZ_4K);
    assert_int_equal(f.m.live, f.r.nroot);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    assert_int_equal(pgt_get_leaf(&f.pgt, va, &pte, &level), 0);
    assert_int_equal(level, 0);
    assert_u64(pte, 0);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_map_gives_the_same_stage2_tables_4k),
        cmocka_unit_test(test_linear_map_gives_the_same_stage2_tables_16k),
        cmocka_unit_test(test_linear_map_gives_the_same_stage2_tables_64k),
        cmocka_unit_test(test_linear_map_with_tables_above_2_50_and_lpa2),
        cmocka_unit_test(test_linear_map_with_64k_tables_above_2_48),
        cmocka_unit_test(test_linear_map_gives_the_same_hyp_tables),
        cmocka_unit_test(test_one_page_unmap_4k_level1),
        cmocka_unit_test(test_one_page_map_4k_level1),
        cmocka_unit_test(test_count_array_with_records_wider_than_a_page_is_ignored),
        cmocka_unit_test(test_table_entries_with_ignored_bits_are_followed),
        cmocka_unit_test(test_counts_in_array),
        cmocka_unit_test(test_p2v_calls_shared_by_neighbouring_pages),
        cmocka_unit_test(test_walk_cache_starts_at_the_last_level2_table),
        cmocka_unit_test(test_walk_cache_in_an_upper_range_table),
    };
    return cmocka_run_group_tests_name("core_linear", tests, NULL, NULL);
}
