// SPDX-License-Identifier: MIT
/*
 * Dirty state kept by the hardware (FEAT_HAFDBS, PGT_S2_HW_DIRTY): DBM
 * on writable leaves, VTCR_EL2.HA/HD, and pgt_s2_test_clear_dirty()
 * reporting and re-arming. Descriptors by hand (Arm ARM D8.3.2: DBM is
 * bit 51; stage-2 S2AP[1], bit 7, is the write permission the hardware
 * sets on a write to a writable-clean DBM entry). The hardware's update is
 * done here by hand on the entry, as the CPU would.
 */
#include "core_ref.h"

#define DBM (1ull << 51)
#define NORMAL_RW (AF | SH_INNER | MEMATTR(0xf) | S2AP_RW | S2_XN)

struct seen {
    uint64_t addr[8], size[8];
    int n;
};

static void record(void *arg, uint64_t addr, uint64_t size)
{
    struct seen *s = arg;
    assert_true(s->n < 8);
    s->addr[s->n] = addr;
    s->size[s->n] = size;
    s->n++;
}

/* The hardware's write to a writable-clean entry: S2AP[1] set. */
static void hw_write(struct fx *f, uint64_t addr, int level)
{
    uint64_t *p = ref_ptep(&f->r, &f->m, f->pgt.pgd, addr, level);
    assert_non_null(p);
    assert_true((*p & DBM) != 0);
    *p |= S2AP_W;
}

static void test_hw_dirty_vtcr_and_dbm_on_writable_leaves(void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_HW_DIRTY);
    /* VTCR_EL2: HA bit 21, HD bit 22. */
    assert_u64(pgt_s2_vtcr(&f.pgt) & (3ull << 21), 3ull << 21);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40001000, SZ_4K, 0x80001000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0x40000000, 3), 0x80000000ull | NORMAL_RW | DBM | D_PAGE);
    assert_u64(E(&f, 0x40001000, 3),
               0x80001000ull | (NORMAL_RW & ~S2AP_W) | D_PAGE);
    /* Relaxing W on a read-only leaf gives it DBM too. */
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40001000, PGT_PROT_W), 0);
    assert_u64(E(&f, 0x40001000, 3), 0x80001000ull | NORMAL_RW | DBM | D_PAGE);
    fx_fini(&f);

    /* Without the flag: no DBM, no HA/HD; HD in a VTCR value sets it. */
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_u64(pgt_s2_vtcr(&f.pgt) & (3ull << 21), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_u64(E(&f, 0x40000000, 3), 0x80000000ull | NORMAL_RW | D_PAGE);
    fx_fini(&f);
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_4K, 8, ARENA_PA);
    /* T0SZ=24 SL0=1 IRGN/ORGN WBWA SH inner TG0=4K PS=40 bits, + HD */
    assert_int_equal(pgt_s2_init_vtcr(&p, 0x80023558ull | (1ull << 22), 0,
                                      &tmm_ops, &m, NULL), 0);
    assert_true(p.flags & PGT_S2_HW_DIRTY);
    pgt_s2_destroy(&p);
    tmm_fini(&m);
}

static void test_test_clear_dirty_reports_and_rearms(void **state)
{
    (void)state;
    struct fx f;
    struct seen s = {{0}, {0}, 0};
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_HW_DIRTY);
    /* Four pages and a 2 MiB block, all writable. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 4 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    /* Dirty logging starts: everything writable-clean. */
    assert_int_equal(pgt_s2_wrprotect(&f.pgt, 0x40000000, 2 * SZ_2M), 0);
    assert_u64(E(&f, 0x40001000, 3),
               0x80001000ull | (NORMAL_RW & ~S2AP_W) | DBM | D_PAGE);
    assert_int_equal(pgt_s2_test_clear_dirty(&f.pgt, 0x40000000, 2 * SZ_2M,
                                             record, &s), 0);
    assert_int_equal(s.n, 0);

    /* The guest writes pages 1 and 3 and the block. */
    hw_write(&f, 0x40001000, 3);
    hw_write(&f, 0x40003000, 3);
    hw_write(&f, 0x40200000, 2);
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_test_clear_dirty(&f.pgt, 0x40000000, 2 * SZ_2M,
                                             record, &s), 3);
    assert_int_equal(s.n, 3);
    assert_u64(s.addr[0], 0x40001000);
    assert_u64(s.size[0], SZ_4K);
    assert_u64(s.addr[1], 0x40003000);
    assert_u64(s.addr[2], 0x40200000);
    assert_u64(s.size[2], SZ_2M); /* a block reports its block */
    /* Re-armed: clean again, DBM kept, and invalidated (a cached
     * writable entry would let writes go unseen). */
    assert_u64(E(&f, 0x40003000, 3),
               0x80003000ull | (NORMAL_RW & ~S2AP_W) | DBM | D_PAGE);
    assert_u64(E(&f, 0x40200000, 2),
               0x80200000ull | (NORMAL_RW & ~S2AP_W) | DBM | D_BLOCK);
    assert_true(log_tlbi_covers(&f.m, 0x40001000));
    assert_true(log_tlbi_covers(&f.m, 0x40003000));
    assert_true(log_tlbi_covers(&f.m, 0x40200000));
    /* Nothing dirty since: nothing reported, no invalidation. */
    s.n = 0;
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_test_clear_dirty(&f.pgt, 0x40000000, 2 * SZ_2M,
                                             record, &s), 0);
    assert_int_equal(f.m.nlog, 0);
    /* Only the range asked for (whole leaves touching it). */
    hw_write(&f, 0x40000000, 3);
    hw_write(&f, 0x40002000, 3);
    assert_int_equal(pgt_s2_test_clear_dirty(&f.pgt, 0x40002000, SZ_4K,
                                             record, &s), 1);
    assert_u64(s.addr[0], 0x40002000);
    assert_u64(E(&f, 0x40000000, 3), 0x80000000ull | NORMAL_RW | DBM | D_PAGE);
    fx_fini(&f);
}

static void test_test_clear_dirty_refuses_bad_input(void **state)
{
    (void)state;
    struct fx f;
    struct seen s = {{0}, {0}, 0};
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_test_clear_dirty(&f.pgt, 0x40000000, SZ_4K, record,
                                             &s), -PGT_EINVAL); /* no flag */
    fx_fini(&f);
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_HW_DIRTY);
    assert_int_equal(pgt_s2_test_clear_dirty(&f.pgt, 0x40000000, SZ_4K, NULL,
                                             &s), -PGT_EINVAL);
    assert_int_equal(pgt_s2_test_clear_dirty(&f.pgt, 0x40000800, SZ_4K, record,
                                             &s), -PGT_EINVAL);
    assert_int_equal(pgt_s2_test_clear_dirty(&f.pgt, 1ull << 40, SZ_4K, record,
                                             &s), -PGT_ERANGE);
    assert_int_equal(pgt_s2_test_clear_dirty(NULL, 0, SZ_4K, record, &s),
                     -PGT_EINVAL);
    assert_int_equal(s.n, 0);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hw_dirty_vtcr_and_dbm_on_writable_leaves),
        cmocka_unit_test(test_test_clear_dirty_reports_and_rearms),
        cmocka_unit_test(test_test_clear_dirty_refuses_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
