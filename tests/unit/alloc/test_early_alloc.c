// SPDX-License-Identifier: MIT
/* Early bump allocator and the pgt_mm_ops adapters (without a table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "alloc_harness.h"

#define PA0 0x80000000ull
#define PFN0 (PA0 >> 12)

static void early_init_rejects_bad_arguments(void **state)
{
    struct hyp_early_alloc ea, before;
    uint8_t *mem = aligned_alloc(4096, 4 * 4096);
    (void)state;

    memset(&ea, 0x44, sizeof(ea));
    before = ea;
    assert_int_equal(hyp_early_alloc_init(NULL, mem, PA0, 4096, 12), -PGT_EINVAL);
    assert_int_equal(hyp_early_alloc_init(&ea, NULL, PA0, 4096, 12), -PGT_EINVAL);
    assert_int_equal(hyp_early_alloc_init(&ea, mem, PA0 + 8, 4096, 12), -PGT_EINVAL);
    assert_int_equal(hyp_early_alloc_init(&ea, mem, PA0, 4095, 12), -PGT_EINVAL);
    assert_int_equal(hyp_early_alloc_init(&ea, mem, PA0, 0, 12), -PGT_EINVAL);
    assert_int_equal(hyp_early_alloc_init(&ea, mem, PA0, 4096, 13), -PGT_EINVAL);
    assert_int_equal(hyp_early_alloc_init(&ea, mem + 8, PA0, 4096, 12), -PGT_EINVAL);
    assert_int_equal(hyp_early_alloc_init(&ea, mem, 0xfffffffffffff000ull, 0x2000, 12),
                     -PGT_EINVAL);
    assert_memory_equal(&ea, &before, sizeof(ea));
    free(mem);
}

static void early_pages_are_zeroed_and_consecutive(void **state)
{
    struct hyp_early_alloc ea;
    uint8_t *mem = aligned_alloc(4096, 8 * 4096);
    uint8_t *p;
    (void)state;

    memset(mem, 0xee, 8 * 4096);
    assert_int_equal(hyp_early_alloc_init(&ea, mem, PA0, 8 * 4096, 12), 0);
    assert_int_equal(hyp_early_alloc_nr_used_pages(&ea), 0);
    p = hyp_early_alloc_page(&ea);
    assert_ptr_equal(p, mem);
    assert_true(ah_is_zero(p, 4096));
    assert_int_equal(mem[4096], 0xee);
    p = hyp_early_alloc_contig(&ea, 3);
    assert_ptr_equal(p, mem + 4096);
    assert_true(ah_is_zero(p, 3 * 4096));
    assert_int_equal(mem[4 * 4096], 0xee);
    assert_int_equal(hyp_early_alloc_nr_used_pages(&ea), 4);
    assert_int_equal(hyp_early_virt_to_phys(&ea, p), PA0 + 4096);
    assert_ptr_equal(hyp_early_phys_to_virt(&ea, PA0 + 0x3000), mem + 0x3000);
    /* Too many: NULL, nothing consumed. */
    assert_null(hyp_early_alloc_contig(&ea, 5));
    assert_null(hyp_early_alloc_contig(&ea, 0));
    assert_int_equal(hyp_early_alloc_nr_used_pages(&ea), 4);
    /* Aligned run: 4 pages aligned to 4 -> skips nothing at page 4. */
    p = hyp_early_alloc_contig_aligned(&ea, 2, 4);
    assert_ptr_equal(p, mem + 4 * 4096);
    /* Next aligned to 4 would start at page 8: past the end. */
    assert_null(hyp_early_alloc_contig_aligned(&ea, 1, 4));
    assert_null(hyp_early_alloc_contig_aligned(&ea, 1, 3));
    assert_int_equal(hyp_early_alloc_nr_used_pages(&ea), 6);
    p = hyp_early_alloc_contig_aligned(&ea, 1, 2); /* page 6 */
    assert_ptr_equal(p, mem + 6 * 4096);
    assert_non_null(hyp_early_alloc_page(&ea)); /* page 7 */
    assert_null(hyp_early_alloc_page(&ea));
    assert_int_equal(hyp_early_alloc_nr_used_pages(&ea), 8);
    free(mem);
}

static void early_aligned_skips_count_as_used(void **state)
{
    struct hyp_early_alloc ea;
    uint8_t *mem = aligned_alloc(4096, 16 * 4096);
    (void)state;

    assert_int_equal(hyp_early_alloc_init(&ea, mem, PA0, 16 * 4096, 12), 0);
    assert_non_null(hyp_early_alloc_page(&ea));
    assert_ptr_equal(hyp_early_alloc_contig_aligned(&ea, 2, 8), mem + 8 * 4096);
    assert_int_equal(hyp_early_alloc_nr_used_pages(&ea), 10);
    free(mem);
}

static void early_mm_ops_hand_out_aligned_runs(void **state)
{
    struct hyp_early_alloc ea;
    uint8_t *mem = aligned_alloc(4096, 16 * 4096);
    const struct pgt_mm_ops *ops = &hyp_early_alloc_mm_ops;
    (void)state;

    assert_int_equal(hyp_early_alloc_init(&ea, mem, PA0, 16 * 4096, 12), 0);
    assert_ptr_equal(ops->zalloc_page(&ea, NULL), mem);
    /* 3 pages: aligned to 4 pages -> page 4. */
    assert_ptr_equal(ops->zalloc_pages_exact(&ea, 3 * 4096), mem + 4 * 4096);
    assert_null(ops->zalloc_pages_exact(&ea, 4096 + 1));
    assert_int_equal(hyp_early_alloc_nr_used_pages(&ea), 7);
    assert_int_equal(ops->virt_to_phys(&ea, mem + 0x2345), PA0 + 0x2345);
    assert_ptr_equal(ops->phys_to_virt(&ea, PA0 + 0x5000), mem + 0x5000);
    ops->get_page(&ea, mem);
    ops->put_page(&ea, mem);
    assert_int_equal(ops->page_count(&ea, mem), 1);
    free(mem);
}

/* --- hyp_pool adapter ---------------------------------------------------- */

static void pool_mm_ops_exact_runs_split_and_return(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    const struct pgt_mm_ops *ops = &hyp_pool_mm_ops;
    uint8_t *run;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    /* 3 pages: order-2 block at page 0, page 3 returned. */
    run = ops->zalloc_pages_exact(&pool, 3 * 4096);
    assert_ptr_equal(run, h.mem);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ops->page_count(&pool, run + i * 4096), 1);
    assert_int_equal(ops->page_count(&pool, run + 3 * 4096), 0);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 13);
    assert_int_equal(hyp_pool_nr_free_blocks(&pool, 0), 1);
    assert_int_equal(hyp_pool_nr_free_blocks(&pool, 2), 1);
    assert_int_equal(hyp_pool_nr_free_blocks(&pool, 3), 1);
    assert_null(ops->zalloc_pages_exact(&pool, 100));
    assert_null(ops->zalloc_pages_exact(&pool, 0));
    /* 16 + 1 pages cannot be had. */
    assert_null(ops->zalloc_pages_exact(&pool, 17 * 4096));
    ops->free_pages_exact(&pool, run, 3 * 4096);
    assert_int_equal(hyp_pool_nr_free_blocks(&pool, 4), 1);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 16);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void pool_mm_ops_count_pages(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    const struct pgt_mm_ops *ops = &hyp_pool_mm_ops;
    uint8_t *p;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    p = ops->zalloc_page(&pool, NULL);
    assert_ptr_equal(p, h.mem);
    ops->get_page(&pool, p + 100); /* any address inside the page */
    ops->get_page_n(&pool, p, 3);
    assert_int_equal(ops->page_count(&pool, p), 5);
    ops->put_page_n(&pool, p, 4);
    ops->put_page_n(&pool, p, 0);
    assert_int_equal(ops->page_count(&pool, p), 1);
    assert_int_equal(ops->virt_to_phys(&pool, p + 8), PA0 + 8);
    assert_ptr_equal(ops->phys_to_virt(&pool, PA0 + 0x1000), h.mem + 0x1000);
    ops->put_page(&pool, p);
    assert_int_equal(hyp_pool_nr_free_blocks(&pool, 4), 1);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

/* One ops struct, two pools: the context picks the pool. */
static void one_mm_ops_serves_two_pools_by_context(void **state)
{
    struct ah h;
    struct hyp_pool pool_a, pool_b;
    const struct pgt_mm_ops *ops = &hyp_pool_mm_ops;
    uint8_t *a, *b;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool_a, &h.vm, PFN0, 8, 0, NULL), 0);
    assert_int_equal(hyp_pool_init(&pool_b, &h.vm, PFN0 + 8, 8, 0, NULL), 0);
    a = ops->zalloc_page(&pool_a, NULL);
    b = ops->zalloc_page(&pool_b, NULL);
    assert_ptr_equal(a, h.mem);
    assert_ptr_equal(b, h.mem + 8 * 4096);
    assert_int_equal(hyp_pool_nr_free_pages(&pool_a), 7);
    assert_int_equal(hyp_pool_nr_free_pages(&pool_b), 7);
    assert_int_equal(ops->page_count(&pool_a, a), 1);
    assert_int_equal(ops->page_count(&pool_b, b), 1);
    ops->put_page(&pool_b, b);
    ops->put_page(&pool_a, a);
    assert_int_equal(hyp_pool_nr_free_blocks(&pool_a, 3), 1);
    assert_int_equal(hyp_pool_nr_free_blocks(&pool_b, 3), 1);
    ah_fini(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(early_init_rejects_bad_arguments),
        cmocka_unit_test(early_pages_are_zeroed_and_consecutive),
        cmocka_unit_test(early_aligned_skips_count_as_used),
        cmocka_unit_test(early_mm_ops_hand_out_aligned_runs),
        cmocka_unit_test(pool_mm_ops_exact_runs_split_and_return),
        cmocka_unit_test(pool_mm_ops_count_pages),
        cmocka_unit_test(one_mm_ops_serves_two_pools_by_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
