// SPDX-License-Identifier: MIT
/*
 * hyp_page / vmemmap: conversions and checked reference counts.
 * Expected values are written out by hand from the arena layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "alloc_harness.h"

_Static_assert(sizeof(struct hyp_page) == 8, "hyp_page is 8 bytes");

static void vmemmap_init_rejects_bad_arguments(void **state)
{
    struct hyp_page recs[4];
    struct hyp_vmemmap vm, before;
    (void)state;

    memset(&vm, 0x77, sizeof(vm));
    before = vm;
    assert_int_equal(hyp_vmemmap_init(NULL, recs, 0, 4, 12, 0), -PGT_EINVAL);
    assert_int_equal(hyp_vmemmap_init(&vm, NULL, 0, 4, 12, 0), -PGT_EINVAL);
    assert_int_equal(hyp_vmemmap_init(&vm, recs, 0, 0, 12, 0), -PGT_EINVAL);
    assert_int_equal(hyp_vmemmap_init(&vm, recs, 0, 4, 13, 0), -PGT_EINVAL);
    assert_int_equal(hyp_vmemmap_init(&vm, recs, 0, 4, 15, 0), -PGT_EINVAL);
    /* 4K: PFNs end at 2^52. */
    assert_int_equal(hyp_vmemmap_init(&vm, recs, (1ull << 52) - 3, 4, 12, 0), -PGT_EINVAL);
    assert_int_equal(hyp_vmemmap_init(&vm, recs, UINT64_MAX - 1, 4, 12, 0), -PGT_EINVAL);
    assert_memory_equal(&vm, &before, sizeof(vm));
    assert_int_equal(hyp_vmemmap_init(&vm, recs, (1ull << 52) - 4, 4, 12, 0), 0);
    assert_int_equal(hyp_vmemmap_init(&vm, recs, 0, 4, 14, 0), 0);
    assert_int_equal(hyp_vmemmap_init(&vm, recs, 0, 4, 16, 0), 0);
}

static void conversions_4k(void **state)
{
    struct hyp_page recs[16];
    struct hyp_vmemmap vm;
    (void)state;

    /* PFN 0x80000 (PA 0x8000_0000) is recs[0]; virt = phys + 0x1000_0000. */
    assert_int_equal(hyp_vmemmap_init(&vm, recs, 0x80000, 16, 12, 0x10000000ull), 0);
    assert_int_equal(hyp_phys_to_pfn(&vm, 0x80003fffull), 0x80003);
    assert_int_equal(hyp_pfn_to_phys(&vm, 0x80003), 0x80003000ull);
    assert_ptr_equal(hyp_phys_to_page(&vm, 0x80003000ull), &recs[3]);
    assert_ptr_equal(hyp_phys_to_page(&vm, 0x80003abcull), &recs[3]);
    assert_int_equal(hyp_page_to_phys(&vm, &recs[5]), 0x80005000ull);
    assert_int_equal(hyp_page_to_pfn(&vm, &recs[15]), 0x8000f);
    assert_ptr_equal(hyp_pfn_to_page(&vm, 0x8000f), &recs[15]);
    assert_int_equal((uintptr_t)hyp_phys_to_virt(&vm, 0x80002000ull), 0x90002000ull);
    assert_int_equal(hyp_virt_to_phys(&vm, (void *)(uintptr_t)0x90002010ull), 0x80002010ull);
    assert_ptr_equal(hyp_virt_to_page(&vm, (void *)(uintptr_t)0x90007ff8ull), &recs[7]);
    assert_int_equal((uintptr_t)hyp_page_to_virt(&vm, &recs[1]), 0x90001000ull);
    assert_true(hyp_vmemmap_covers(&vm, 0x80000000ull));
    assert_true(hyp_vmemmap_covers(&vm, 0x8000ffffull));
    assert_false(hyp_vmemmap_covers(&vm, 0x80010000ull));
    assert_false(hyp_vmemmap_covers(&vm, 0x7ffff000ull));
}

static void conversions_64k_negative_offset(void **state)
{
    struct hyp_page recs[4];
    struct hyp_vmemmap vm;
    (void)state;

    /* virt = phys - 0x4000_0000 (offset wraps mod 2^64). */
    assert_int_equal(hyp_vmemmap_init(&vm, recs, 0x10000, 4, 16, (uint64_t)-0x40000000ll), 0);
    assert_int_equal(hyp_pfn_to_phys(&vm, 0x10002), 0x100020000ull);
    assert_ptr_equal(hyp_phys_to_page(&vm, 0x10003ffffull), &recs[3]);
    assert_int_equal((uintptr_t)hyp_page_to_virt(&vm, &recs[2]), 0xC0020000ull);
    assert_ptr_equal(hyp_virt_to_page(&vm, (void *)(uintptr_t)0xC0010000ull), &recs[1]);
}

static void refcount_inc_dec_known_values(void **state)
{
    struct ah h;
    struct hyp_page *p;
    (void)state;

    ah_init(&h, 12, 4, 0x40000000);
    p = ah_rec(&h, 0x40001);
    memset(p, 0, sizeof(*p));
    hyp_set_page_refcounted(&h.vm, p);
    assert_int_equal(hyp_page_count(p), 1);
    assert_int_equal(p->order, 0);
    hyp_page_ref_inc(&h.vm, p);
    hyp_page_ref_inc(&h.vm, p);
    assert_int_equal(hyp_page_count(p), 3);
    hyp_page_ref_add(&h.vm, p, 10);
    assert_int_equal(hyp_page_count(p), 13);
    assert_false(hyp_page_ref_sub_and_test(&h.vm, p, 11));
    assert_int_equal(hyp_page_count(p), 2);
    hyp_page_ref_dec(&h.vm, p);
    assert_int_equal(hyp_page_count(p), 1);
    assert_true(hyp_page_ref_dec_and_test(&h.vm, p));
    assert_int_equal(hyp_page_count(p), 0);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void refcount_overflow_panics_and_does_not_wrap(void **state)
{
    struct ah h;
    struct hyp_page *p;
    (void)state;

    ah_init(&h, 12, 4, 0x40000000);
    p = ah_rec(&h, 0x40002);
    memset(p, 0, sizeof(*p));
    p->refcount = 0xfffe;
    hyp_page_ref_inc(&h.vm, p);
    assert_int_equal(p->refcount, 0xffff);
    assert_int_equal(ah_panics.count, 0);
    hyp_page_ref_inc(&h.vm, p);
    assert_int_equal(p->refcount, 0xffff);
    assert_int_equal(ah_panics.count, 1);
    assert_int_equal(ah_panics.why, HYP_PANIC_REF_OVERFLOW);
    assert_int_equal(ah_panics.pfn, 0x40002);
    p->refcount = 0xfff0;
    hyp_page_ref_add(&h.vm, p, 16); /* would be 0x10000 */
    assert_int_equal(p->refcount, 0xfff0);
    assert_int_equal(ah_panics.count, 2);
    hyp_page_ref_add(&h.vm, p, 15);
    assert_int_equal(p->refcount, 0xffff);
    p->refcount = 0xffff;
    hyp_page_ref_inc_atomic(&h.vm, p);
    assert_int_equal(p->refcount, 0xffff);
    assert_int_equal(ah_panics.count, 3);
    assert_int_equal(ah_panics.why, HYP_PANIC_REF_OVERFLOW);
    /* hyp_set_page_refcounted on a counted page is a bug too. */
    hyp_set_page_refcounted(&h.vm, p);
    assert_int_equal(p->refcount, 0xffff);
    assert_int_equal(ah_panics.count, 4);
    ah_fini(&h);
}

static void refcount_underflow_panics_and_does_not_wrap(void **state)
{
    struct ah h;
    struct hyp_page *p;
    (void)state;

    ah_init(&h, 12, 4, 0x40000000);
    p = ah_rec(&h, 0x40003);
    memset(p, 0, sizeof(*p));
    hyp_page_ref_dec(&h.vm, p);
    assert_int_equal(p->refcount, 0);
    assert_int_equal(ah_panics.count, 1);
    assert_int_equal(ah_panics.why, HYP_PANIC_REF_UNDERFLOW);
    assert_int_equal(ah_panics.pfn, 0x40003);
    assert_false(hyp_page_ref_dec_and_test(&h.vm, p));
    assert_int_equal(p->refcount, 0);
    assert_int_equal(ah_panics.count, 2);
    p->refcount = 3;
    assert_false(hyp_page_ref_sub_and_test(&h.vm, p, 4));
    assert_int_equal(p->refcount, 3);
    assert_int_equal(ah_panics.count, 3);
    p->refcount = 0;
    assert_false(hyp_page_ref_dec_and_test_atomic(&h.vm, p));
    assert_int_equal(p->refcount, 0);
    assert_int_equal(ah_panics.count, 4);
    ah_fini(&h);
}

static void atomic_refcount_known_values(void **state)
{
    struct ah h;
    struct hyp_page *p;
    (void)state;

    ah_init(&h, 12, 4, 0x40000000);
    p = ah_rec(&h, 0x40000);
    memset(p, 0, sizeof(*p));
    hyp_page_ref_inc_atomic(&h.vm, p);
    hyp_page_ref_inc_atomic(&h.vm, p);
    assert_int_equal(hyp_page_count_atomic(p), 2);
    assert_false(hyp_page_ref_dec_and_test_atomic(&h.vm, p));
    assert_true(hyp_page_ref_dec_and_test_atomic(&h.vm, p));
    assert_int_equal(hyp_page_count_atomic(p), 0);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void free_page_reads_count_zero(void **state)
{
    struct hyp_page p;
    (void)state;

    memset(&p, 0, sizeof(p));
    p.prev_lo = 0x1234; /* a link while free */
    p.flags = HYP_PAGE_FREE;
    assert_int_equal(hyp_page_count(&p), 0);
    assert_int_equal(hyp_page_count_atomic(&p), 0);
    p.flags = 0;
    assert_int_equal(hyp_page_count(&p), 0x1234);
}

static void clear_pages_zeroes_exactly_the_range(void **state)
{
    _Alignas(64) uint64_t buf[8 + 64 + 8];
    (void)state;

    for (int i = 0; i < 80; i++)
        buf[i] = 0xdeadbeefcafef00dull;
    hyp_clear_pages(&buf[8], 64 * 8);
    assert_int_equal(buf[7], 0xdeadbeefcafef00dull);
    assert_int_equal(buf[72], 0xdeadbeefcafef00dull);
    assert_true(ah_is_zero(&buf[8], 64 * 8));
}

static void panic_hook_gets_pfn_of_record(void **state)
{
    /* Only the hooked path is testable in-process; check the hook is used
     * and receives the PFN computed from the record index. */
    struct hyp_page recs[2];
    struct hyp_vmemmap vm;
    (void)state;

    memset(recs, 0, sizeof(recs));
    assert_int_equal(hyp_vmemmap_init(&vm, recs, 0x123, 2, 12, 0), 0);
    vm.panic = ah_panic_hook;
    ah_panic_reset();
    hyp_page_ref_dec(&vm, &recs[1]);
    assert_int_equal(ah_panics.pfn, 0x124);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vmemmap_init_rejects_bad_arguments),
        cmocka_unit_test(conversions_4k),
        cmocka_unit_test(conversions_64k_negative_offset),
        cmocka_unit_test(refcount_inc_dec_known_values),
        cmocka_unit_test(refcount_overflow_panics_and_does_not_wrap),
        cmocka_unit_test(refcount_underflow_panics_and_does_not_wrap),
        cmocka_unit_test(atomic_refcount_known_values),
        cmocka_unit_test(free_page_reads_count_zero),
        cmocka_unit_test(clear_pages_zeroes_exactly_the_range),
        cmocka_unit_test(panic_hook_gets_pfn_of_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
