// SPDX-License-Identifier: MIT
/*
 * pgt_s2_map_cost() and pgt_s1_map_cost(): the table pages a map would
 * allocate, counted by hand from the geometry (Arm ARM D8.2), and the
 * promise that a memcache of exactly that many pages is enough.
 */
#include "core_ref.h"

/* 4K, 40-bit IPA, start level 1 (two root pages): a page needs a level-2
 * and a level-3 table, a 2 MiB block a level-2 table, a 1 GiB block
 * nothing. */
static void test_s2_cost_by_hand_4k(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    const enum pgt_prot rw = PGT_PROT_RW;

    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x40000000, SZ_4K, 0x80000000, rw, 0), 2);
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x40200000, SZ_2M, 0x80200000, rw, 0), 1);
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x40000000, SZ_1G, 0x80000000, rw, 0), 0);
    /* 1 GiB of pages: one level-2 table and 512 level-3 tables. */
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x40000000, SZ_1G, 0x80001000, rw, 0), 513);
    /* Straddling two 1 GiB regions: 2 level-2 tables, 2 level-3. */
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x7ffff000, 2 * SZ_4K, 0x80000000, rw, 0), 4);

    /* After a 2 MiB block: the same map costs nothing, a page of it one
     * table (the block splits), a page next to it one (level 3). */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000, rw, NULL, 0), 0);
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x40200000, SZ_2M, 0x80200000, rw, 0), 0);
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x40201000, SZ_4K, 0x80201000, rw, 0), 1);
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x40000000, SZ_4K, 0x80000000, rw, 0), 1);

    /* Errors are those of pgt_s2_map(); the table is only read. */
    long live = f.m.live;
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x40000800, SZ_4K, 0x80000000, rw, 0),
                     -PGT_EINVAL);
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 1ull << 40, SZ_4K, 0x80000000, rw, 0),
                     -PGT_ERANGE);
    assert_int_equal(pgt_s2_map_cost(NULL, 0, SZ_4K, 0, rw, 0), -PGT_EINVAL);
    assert_int_equal(f.m.live, live);
    assert_int_equal(f.m.allocs, live);
    fx_fini(&f);
}

/* 64K, 42-bit IPA, start level 2 (one root page): a page needs one
 * level-3 table, a 512 MiB block nothing. */
static void test_s2_cost_by_hand_64k(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 16, 42, 42, 2, 0, 0);
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x40000000, SZ_64K, 0x80000000,
                                     PGT_PROT_RW, 0), 1);
    assert_int_equal(pgt_s2_map_cost(&f.pgt, 0x40000000, 0x20000000, 0x80000000,
                                     PGT_PROT_RW, 0), 0);
    fx_fini(&f);
}

/* Stage 1, 4K, 48-bit VA (start level 0): a page needs levels 1, 2, 3; a
 * conflicting map is refused as pgt_hyp_map() would. */
static void test_s1_cost_by_hand(void **state)
{
    (void)state;
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_4K, 32, ARENA_PA);
    assert_int_equal(pgt_hyp_init(&p, 48, PGT_GRANULE_4K, &tmm_ops, &m), 0);
    assert_int_equal(pgt_s1_map_cost(&p, 0x1000, SZ_4K, 0x80001000, PGT_PROT_R), 3);
    assert_int_equal(pgt_hyp_map(&p, 0x1000, SZ_4K, 0x80001000, PGT_PROT_R), 0);
    assert_int_equal(pgt_s1_map_cost(&p, 0x2000, SZ_4K, 0x80002000, PGT_PROT_R), 0);
    assert_int_equal(pgt_s1_map_cost(&p, 0x1000, SZ_4K, 0x80001000, PGT_PROT_R), 0);
    assert_int_equal(pgt_s1_map_cost(&p, 0x1000, SZ_4K, 0x90001000, PGT_PROT_R),
                     -PGT_EEXIST);
    assert_int_equal(pgt_s1_map_cost(&p, 0x1000, SZ_4K, 0x80001000,
                                     PGT_PROT_RW | PGT_PROT_X), -PGT_EINVAL);
    pgt_hyp_destroy(&p);
    tmm_fini(&m);
}

/* The promise: with exactly the cost in the memcache the map succeeds,
 * with one page less it fails for memory and changes nothing. */
static void test_cost_pages_are_enough_and_needed(void **state)
{
    (void)state;
    static const struct {
        uint64_t addr, size, phys;
    } maps[] = {
        {0x40000000, SZ_4K, 0x80000000},
        {0x7ffff000, 2 * SZ_4K, 0x80000000},
        {0x40000000, 8 * SZ_2M, 0x80001000},
        {0x40200000, SZ_2M, 0x80200000},
    };
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        struct fx f;
        fx_s2(&f, 12, 40, 40, 1, 0, 0);
        /* Something to split on the way for the last one. */
        assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_1G, 0x40000000,
                                    PGT_PROT_R, NULL, 0), 0);
        int64_t cost = pgt_s2_map_cost(&f.pgt, maps[i].addr, maps[i].size,
                                       maps[i].phys, PGT_PROT_RW, 0);
        assert_true(cost > 0);
        struct snap s;
        snap_take(&s, &f.m, &f.pgt);
        tmm_fail_after(&f.m, cost - 1);
        assert_int_equal(pgt_s2_map(&f.pgt, maps[i].addr, maps[i].size,
                                    maps[i].phys, PGT_PROT_RW, NULL, 0),
                         -PGT_ENOMEM);
        snap_check(&s, &f.m, &f.pgt, false);
        snap_free(&s);
        tmm_fail_after(&f.m, cost);
        assert_int_equal(pgt_s2_map(&f.pgt, maps[i].addr, maps[i].size,
                                    maps[i].phys, PGT_PROT_RW, NULL, 0), 0);
        tmm_fail_after(&f.m, -1);
        fx_fini(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s2_cost_by_hand_4k),
        cmocka_unit_test(test_s2_cost_by_hand_64k),
        cmocka_unit_test(test_s1_cost_by_hand),
        cmocka_unit_test(test_cost_pages_are_enough_and_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
