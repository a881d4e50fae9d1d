// SPDX-License-Identifier: MIT
/*
 * Out of memory at every allocation point. For k = 0, 1, 2, ... the arena
 * lets k allocations succeed and refuses the rest (tmm_fail_after); the
 * operation must then either succeed, or return -PGT_ENOMEM with every
 * table page byte-identical, the same pages allocated with the same counts
 * (nothing leaked), struct pgt unchanged: map, set_owner, split, unmap and
 * protect are all-or-nothing (s1.h, s2.h). Once the operation succeeds, its
 * result is checked against hand-computed descriptors.
 */
#include "core_ref.h"

#include <string.h>

typedef int64_t (*op_fn)(struct fx *f);

/*
 * Run @op under OOM injection until it succeeds. Returns the number of
 * allocations it was allowed when it first succeeded. @min_allocs is the
 * hand-computed number of table pages the operation needs at least: it
 * must fail with every smaller k.
 */
static long oom_until_success(struct fx *f, op_fn op, long min_allocs,
                              long max_k)
{
    for (long k = 0; k <= max_k; k++) {
        struct snap s;
        snap_take(&s, &f->m, &f->pgt);
        tmm_fail_after(&f->m, k);
        int64_t ret = op(f);
        tmm_fail_after(&f->m, -1);
        if (ret == -PGT_ENOMEM) {
            snap_check(&s, &f->m, &f->pgt, false);
            snap_free(&s);
            continue;
        }
        snap_free(&s);
        if (ret < 0) {
            print_error("k=%ld: returned %lld\n", k, (long long)ret);
            fail();
        }
        if (k < min_allocs) {
            print_error("succeeded with %ld allocations, needs %ld\n", k,
                        min_allocs);
            fail();
        }
        return k;
    }
    print_error("still failing after %ld allocations\n", max_k);
    fail();
    return -1;
}

/* ---------------- stage 2 ---------------- */

static int64_t s2_map_span(struct fx *f)
{
    /* [0x401ff000, 0x40403000): page, 2M block, 3 pages. */
    return pgt_s2_map(&f->pgt, 0x401ff000, SZ_2M + 4 * SZ_4K, 0x801ff000,
                      PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE);
}

static void test_oom_at_every_allocation_of_s2_map_changes_nothing(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* Something already there, in the same level-2 table. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40600000, SZ_4K, 0x90000000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40402000, SZ_4K, NULL, 5), 0);
    /* Needs: L3 under 0x40000000 (0x40400000's L3 exists: owner). */
    oom_until_success(&f, s2_map_span, 1, 64);
    assert_u64(E(&f, 0x401ff000, 3), 0x801ff000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_PAGE);
    assert_u64(E(&f, 0x40200000, 2), 0x80200000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_BLOCK);
    assert_u64(E(&f, 0x40402000, 3), 0x80402000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_PAGE);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static void test_oom_at_every_allocation_of_s2_map_in_empty_table(
    void **state)
{
    (void)state;
    static const struct {
        unsigned gs, ia;
        int sl;
    } g[] = {{12, 40, 1}, {14, 40, 1}, {16, 48, 1}};
    for (size_t i = 0; i < 3; i++) {
        struct fx f;
        fx_s2(&f, g[i].gs, g[i].ia, g[i].ia, g[i].sl, 0, 0);
        /* One page: a level-2 and a level-3 table. */
        uint64_t p = 1ull << g[i].gs;
        long k;
        for (k = 0;; k++) {
            struct snap s;
            snap_take(&s, &f.m, &f.pgt);
            tmm_fail_after(&f.m, k);
            int ret = pgt_s2_map(&f.pgt, 0x40000000, p, 0x80000000,
                                 PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE);
            tmm_fail_after(&f.m, -1);
            if (ret == -PGT_ENOMEM) {
                snap_check(&s, &f.m, &f.pgt, false);
                snap_free(&s);
                assert_true(k < 64);
                continue;
            }
            snap_free(&s);
            assert_int_equal(ret, 0);
            break;
        }
        assert_true(k >= 2);
        assert_u64(E(&f, 0x40000000, 3),
                   0x80000000ull | S2_XN | AF | SH_INNER | S2AP_RW |
                       MEMATTR(MA_NORMAL_WB) | D_PAGE);
        assert_int_equal(f.m.live, f.r.nroot + 2);
        fx_fini(&f);
    }
}

static void test_oom_at_every_allocation_of_s2_range_map_in_empty_table(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* Page, block, 4 pages: a level-2 and two level-3 tables. */
    oom_until_success(&f, s2_map_span, 3, 64);
    assert_u64(E(&f, 0x401ff000, 3), 0x801ff000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_PAGE);
    assert_u64(E(&f, 0x40200000, 2), 0x80200000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_BLOCK);
    assert_int_equal(f.m.live, 2 + 3);
    fx_fini(&f);
}

static int64_t s2_map_page_in_block(struct fx *f)
{
    return pgt_s2_map(&f->pgt, 0x40203000, SZ_4K, 0x90000000, PGT_PROT_R,
                      NULL, PGT_MAP_SKIP_DCACHE);
}

static void test_oom_while_map_splits_a_block_changes_nothing(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    oom_until_success(&f, s2_map_page_in_block, 1, 64);
    assert_u64(E(&f, 0x40203000, 3), 0x90000000ull | S2_XN | AF | SH_INNER |
                                         S2AP_R | MEMATTR(MA_NORMAL_WB) |
                                         D_PAGE);
    assert_u64(E(&f, 0x40204000, 3), 0x80204000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_PAGE);
    fx_fini(&f);
}

static int64_t s2_set_owner_span(struct fx *f)
{
    /* Empty 1G region: a level-2 and a level-3 table needed. */
    return pgt_s2_set_owner(&f->pgt, 0x80000000, 2 * SZ_4K, NULL, 9);
}

static int64_t s2_set_owner_in_block(struct fx *f)
{
    return pgt_s2_set_owner(&f->pgt, 0x40201000, SZ_4K, NULL, 9);
}

static void test_oom_at_every_allocation_of_set_owner_changes_nothing(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    oom_until_success(&f, s2_set_owner_span, 2, 64);
    assert_u64(E(&f, 0x80000000, 3), OWNER(9));
    assert_u64(E(&f, 0x80001000, 3), OWNER(9));
    oom_until_success(&f, s2_set_owner_in_block, 1, 64);
    assert_u64(E(&f, 0x40201000, 3), OWNER(9));
    assert_u64(E(&f, 0x40200000, 3), 0x80200000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_PAGE);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static int64_t s2_split_two_blocks(struct fx *f)
{
    return pgt_s2_split(&f->pgt, 0x40200000, 2 * SZ_2M, NULL);
}

static void test_oom_at_every_allocation_of_split_changes_nothing(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, 2 * SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* Two level-3 tables. */
    oom_until_success(&f, s2_split_two_blocks, 2, 64);
    for (uint64_t off = 0; off < 2 * SZ_2M; off += 0x3f000)
        assert_u64(E(&f, 0x40200000 + off, 3),
                   (0x80200000ull + off) | S2_XN | AF | SH_INNER | S2AP_RW |
                       MEMATTR(MA_NORMAL_WB) | D_CONT | D_PAGE);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

static uint64_t g_blk; /* level-2 block size of the current granule */
static uint64_t g_page;

static int64_t s2_split_blk(struct fx *f)
{
    return pgt_s2_split(&f->pgt, 4 * g_blk, g_blk, NULL);
}

static int64_t s2_owner_in_blk(struct fx *f)
{
    return pgt_s2_set_owner(&f->pgt, 5 * g_blk + 3 * g_page, g_page, NULL, 4);
}

static void test_oom_in_split_and_set_owner_for_16k_and_64k(void **state)
{
    (void)state;
    static const struct {
        unsigned gs, ia;
        int sl;
    } g[] = {{14, 40, 1}, {16, 48, 1}};
    for (size_t i = 0; i < 2; i++) {
        struct fx f;
        fx_s2(&f, g[i].gs, g[i].ia, g[i].ia, g[i].sl, 0, 0);
        g_page = 1ull << g[i].gs;
        g_blk = 1ull << (2 * g[i].gs - 3);
        /* Two level-2 blocks at 4 and 5 block sizes. */
        assert_int_equal(pgt_s2_map(&f.pgt, 4 * g_blk, 2 * g_blk, 0,
                                    PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE),
                         0);
        oom_until_success(&f, s2_split_blk, 1, 64);
        oom_until_success(&f, s2_owner_in_blk, 1, 64);
        assert_u64(E(&f, 4 * g_blk + 7 * g_page, 3),
                   (7 * g_page) | S2_XN | AF | SH_INNER | S2AP_RW |
                       MEMATTR(MA_NORMAL_WB) | D_CONT | D_PAGE);
        /* Page 4 shares its run (128 pages at 16K, 32 at 64K) with the
         * owned page 3: no hint there. */
        assert_u64(E(&f, 5 * g_blk + 3 * g_page, 3), OWNER(4));
        assert_u64(E(&f, 5 * g_blk + 4 * g_page, 3),
                   (g_blk + 4 * g_page) | S2_XN | AF | SH_INNER | S2AP_RW |
                       MEMATTR(MA_NORMAL_WB) | D_PAGE);
        ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
        fx_fini(&f);
    }
}

static int64_t s2_split_1g(struct fx *f)
{
    return pgt_s2_split(&f->pgt, 0x40000000, SZ_1G, NULL);
}

static void test_oom_while_splitting_1g_block_changes_nothing(void **state)
{
    (void)state;
    struct fx f;
    fx_s2_(&f, 12, 40, 40, 1, 0, 0, NULL, 600, ARENA_PA, __FILE__, __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_1G, 0xc0000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* 1 level-2 + 512 level-3 tables: fail at a few points, then let it
     * through. */
    static const long ks[] = {0, 1, 2, 257, 511, 512};
    for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
        struct snap s;
        snap_take(&s, &f.m, &f.pgt);
        tmm_fail_after(&f.m, ks[i]);
        int ret = s2_split_1g(&f);
        tmm_fail_after(&f.m, -1);
        assert_int_equal(ret, -PGT_ENOMEM);
        snap_check(&s, &f.m, &f.pgt, false);
        snap_free(&s);
    }
    assert_int_equal(s2_split_1g(&f), 0);
    assert_int_equal(f.m.live, 2 + 1 + 512);
    fx_fini(&f);
}

static int64_t s2_unmap_in_block(struct fx *f)
{
    return pgt_s2_unmap(&f->pgt, 0x40201000, SZ_4K, NULL);
}

static void test_oom_while_unmap_splits_a_block_changes_nothing(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    oom_until_success(&f, s2_unmap_in_block, 1, 64);
    assert_u64(E(&f, 0x40201000, 3), 0);
    fx_fini(&f);
}

static int64_t s2_unmap_straddling_two_blocks(struct fx *f)
{
    return pgt_s2_unmap(&f->pgt, 0x40300000, SZ_2M, NULL);
}

static int64_t hyp_protect_straddling_two_blocks(struct fx *f)
{
    return pgt_hyp_protect(&f->pgt, 0x300000, SZ_2M, PGT_PROT_R);
}

static void test_oom_while_splitting_both_ends_of_a_range_changes_nothing(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, 2 * SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* Two level-3 tables, one per straddled block. */
    oom_until_success(&f, s2_unmap_straddling_two_blocks, 2, 64);
    assert_u64(E(&f, 0x402ff000, 3), 0x802ff000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_CONT | D_PAGE);
    assert_u64(E(&f, 0x40300000, 3), 0);
    assert_u64(E(&f, 0x404ff000, 3), 0);
    assert_u64(E(&f, 0x40500000, 3), 0x80500000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_CONT | D_PAGE);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);

    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, 2 * SZ_2M, 0x80200000,
                                 PGT_PROT_RW), 0);
    oom_until_success(&f, hyp_protect_straddling_two_blocks, 2, 64);
    assert_u64(E(&f, 0x2ff000, 3), 0x802ff000ull | S1_XN | AF | SH_INNER |
                                       S1_AP1 | D_CONT | D_PAGE);
    assert_u64(E(&f, 0x300000, 3), 0x80300000ull | S1_XN | AF | SH_INNER |
                                       S1_AP1 | S1_AP2_RO | D_CONT | D_PAGE);
    assert_u64(E(&f, 0x4ff000, 3), 0x804ff000ull | S1_XN | AF | SH_INNER |
                                       S1_AP1 | S1_AP2_RO | D_CONT | D_PAGE);
    assert_u64(E(&f, 0x500000, 3), 0x80500000ull | S1_XN | AF | SH_INNER |
                                       S1_AP1 | D_CONT | D_PAGE);
    fx_fini(&f);
}

static int64_t host_map_span(struct fx *f)
{
    return pgt_s2_map(&f->pgt, 0x401ff000, SZ_2M + 4 * SZ_4K, 0x401ff000,
                      PGT_PROT_RWX, NULL,
                      PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE);
}

static int64_t host_owner_in_block(struct fx *f)
{
    return pgt_s2_set_owner(&f->pgt, 0x80203000, SZ_4K, NULL, 1);
}

static void test_oom_in_host_mode_map_and_set_owner_changes_nothing(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_HOST);
    oom_until_success(&f, host_map_span, 3, 64);
    assert_u64(E(&f, 0x40200000, 2), 0x40200000ull | AF | SH_INNER | S2AP_RW |
                                         MEMATTR(MA_NORMAL_WB) | D_BLOCK);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x80200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    oom_until_success(&f, host_owner_in_block, 1, 64);
    assert_u64(E(&f, 0x80203000, 3), OWNER(1));
    assert_u64(E(&f, 0x80204000, 3), 0x80204000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_PAGE);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, true, false);
    fx_fini(&f);
}

static int64_t hyp_map_gran(struct fx *f)
{
    uint64_t p = f->r.gs == 14 ? SZ_16K : SZ_64K;
    uint64_t blk = 1ull << (2 * f->r.gs - 3);
    return pgt_hyp_map(&f->pgt, 3 * blk - p, blk + 2 * p, 0x80000000 - p,
                       PGT_PROT_RW);
}

static void test_oom_in_hyp_map_for_16k_and_64k(void **state)
{
    (void)state;
    static const struct {
        unsigned gs;
        int sl;
        long tables; /* tables the map needs below the root */
    } g[] = {{14, 0, 4}, {16, 1, 3}};
    for (size_t i = 0; i < 2; i++) {
        struct fx f;
        fx_hyp(&f, g[i].gs, 48, g[i].sl);
        /* A page, a level-2 block, a page: 16K needs L1, L2 and two L3;
         * 64K needs L2 and two L3. */
        oom_until_success(&f, hyp_map_gran, g[i].tables, 64);
        assert_int_equal(f.m.live, 1 + g[i].tables);
        fx_fini(&f);
    }
}

static void test_oom_in_s2_init_allocates_nothing(void **state)
{
    (void)state;
    struct tmm m;
    struct pgt p, before;
    tmm_init(&m, SZ_4K, 32, ARENA_PA);
    const struct pgt_s2_cfg cfg = {.granule = PGT_GRANULE_4K,
                                   .ia_bits = 43,
                                   .oa_bits = 44,
                                   .start_level = 1};
    memset(&p, 0xab, sizeof(p));
    before = p;
    tmm_fail_after(&m, 0);
    assert_int_equal(pgt_s2_init(&p, &cfg, &tmm_ops, NULL, NULL), -PGT_ENOMEM);
    assert_memory_equal(&p, &before, sizeof(p));
    assert_int_equal(m.live, 0);
    assert_int_equal(pgt_hyp_init(&p, 48, PGT_GRANULE_4K, &tmm_ops, NULL),
                     -PGT_ENOMEM);
    assert_int_equal(m.live, 0);
    tmm_fail_after(&m, -1);
    tmm_fini(&m);
}

/* ---------------- stage 1 ---------------- */

static int64_t hyp_map_span(struct fx *f)
{
    return pgt_hyp_map(&f->pgt, 0x401ff000, SZ_2M + 2 * SZ_4K, 0x801ff000,
                       PGT_PROT_RW);
}

static void test_oom_at_every_allocation_of_hyp_map_changes_nothing(
    void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    /* L1, L2, two L3 tables. */
    oom_until_success(&f, hyp_map_span, 4, 64);
    assert_u64(E(&f, 0x401ff000, 3), 0x801ff000ull | S1_XN | AF | SH_INNER |
                                         S1_AP1 | D_PAGE);
    assert_u64(E(&f, 0x40200000, 2), 0x80200000ull | S1_XN | AF | SH_INNER |
                                         S1_AP1 | D_BLOCK);
    assert_u64(E(&f, 0x40400000, 3), 0x80400000ull | S1_XN | AF | SH_INNER |
                                         S1_AP1 | D_PAGE);
    assert_int_equal(f.m.live, 5);
    fx_fini(&f);
}

static int64_t hyp_unmap_in_block(struct fx *f)
{
    return pgt_hyp_unmap(&f->pgt, 0x201000, SZ_4K);
}

static int64_t hyp_protect_in_block(struct fx *f)
{
    return pgt_hyp_protect(&f->pgt, 0x602000, SZ_4K, PGT_PROT_R);
}

static void test_oom_while_hyp_unmap_or_protect_splits_changes_nothing(
    void **state)
{
    (void)state;
    struct fx f;
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x80200000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x600000, SZ_2M, 0x80600000,
                                 PGT_PROT_RW), 0);
    oom_until_success(&f, hyp_unmap_in_block, 1, 64);
    assert_u64(E(&f, 0x201000, 3), 0);
    oom_until_success(&f, hyp_protect_in_block, 1, 64);
    assert_u64(E(&f, 0x602000, 3), 0x80602000ull | S1_XN | AF | SH_INNER |
                                       S1_AP1 | S1_AP2_RO | D_PAGE);
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, false, false);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_oom_at_every_allocation_of_s2_map_changes_nothing),
        cmocka_unit_test(test_oom_at_every_allocation_of_s2_map_in_empty_table),
        cmocka_unit_test(
            test_oom_at_every_allocation_of_s2_range_map_in_empty_table),
        cmocka_unit_test(test_oom_while_map_splits_a_block_changes_nothing),
        cmocka_unit_test(
            test_oom_at_every_allocation_of_set_owner_changes_nothing),
        cmocka_unit_test(test_oom_at_every_allocation_of_split_changes_nothing),
        cmocka_unit_test(test_oom_while_splitting_1g_block_changes_nothing),
        cmocka_unit_test(test_oom_in_split_and_set_owner_for_16k_and_64k),
        cmocka_unit_test(test_oom_while_unmap_splits_a_block_changes_nothing),
        cmocka_unit_test(
            test_oom_while_splitting_both_ends_of_a_range_changes_nothing),
        cmocka_unit_test(
            test_oom_in_host_mode_map_and_set_owner_changes_nothing),
        cmocka_unit_test(test_oom_in_hyp_map_for_16k_and_64k),
        cmocka_unit_test(test_oom_in_s2_init_allocates_nothing),
        cmocka_unit_test(
            test_oom_at_every_allocation_of_hyp_map_changes_nothing),
        cmocka_unit_test(
            test_oom_while_hyp_unmap_or_protect_splits_changes_nothing),
    };
    return cmocka_run_group_tests_name("core_oom", tests, NULL, NULL);
}
