// SPDX-License-Identifier: MIT
/*
 * hyp_pool known answers. Arena PFNs start at 0x80000 (aligned to 2^19),
 * so block layouts below are worked out by hand from PFN alignment:
 *
 *   16 pages, PFN 0x80000..0x8000f, nothing reserved:
 *     one order-4 block [0..15]
 *   after alloc(0):  0:alloc | 1:o0 | 2-3:o1 | 4-7:o2 | 8-15:o3
 */
#define _DEFAULT_SOURCE /* mmap MAP_ANONYMOUS | MAP_NORESERVE */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/mman.h>

#include "alloc_harness.h"

#define PFN0 0x80000ull
#define PA0 (PFN0 << 12)

struct counts {
    uint64_t n[HYP_POOL_MAX_ORDER + 1];
};

/* Assert the free-block counts for orders 0..N-1; all others 0. */
static void expect_free(struct hyp_pool *pool, const uint64_t *want, int n)
{
    for (int o = 0; o <= HYP_POOL_MAX_ORDER; o++) {
        uint64_t w = o < n ? want[o] : 0;
        if (hyp_pool_nr_free_blocks(pool, (unsigned)o) != w)
            fail_msg("order %d: %llu free blocks, want %llu", o,
                     (unsigned long long)hyp_pool_nr_free_blocks(pool, (unsigned)o),
                     (unsigned long long)w);
    }
}

static uint64_t pfn_of(const struct ah *h, const void *va)
{
    assert_non_null(va);
    return ah_pfn(h, va);
}

static void init_aligned_pool_is_one_block(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    assert_int_equal(pool.max_order, 4);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 1}, 5);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 16);
    assert_true(ah_rec(&h, PFN0)->flags & HYP_PAGE_FREE);
    assert_int_equal(ah_rec(&h, PFN0)->order, 4);
    for (uint64_t i = 1; i < 16; i++) {
        assert_int_equal(ah_rec(&h, PFN0 + i)->order, HYP_NO_ORDER);
        assert_int_equal(hyp_page_count(ah_rec(&h, PFN0 + i)), 0);
    }
    ah_fini(&h);
}

static void init_unaligned_range_carves_aligned_blocks(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    (void)state;

    /* 0x80003..0x8000f (13 pages): 3:o0, 4-7:o2, 8-15:o3; max_order 3. */
    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0 + 3, 13, 0, NULL), 0);
    assert_int_equal(pool.max_order, 3);
    expect_free(&pool, (uint64_t[]){1, 0, 1, 1}, 4);
    assert_int_equal(ah_rec(&h, PFN0 + 3)->order, 0);
    assert_int_equal(ah_rec(&h, PFN0 + 4)->order, 2);
    assert_int_equal(ah_rec(&h, PFN0 + 8)->order, 3);
    ah_fini(&h);
}

static void init_reserved_pages_stay_allocated(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 3, NULL), 0);
    assert_int_equal(pool.max_order, 4);
    expect_free(&pool, (uint64_t[]){1, 0, 1, 1}, 4);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 13);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(hyp_page_count(ah_rec(&h, PFN0 + i)), 1);
        assert_int_equal(ah_rec(&h, PFN0 + i)->order, 0);
    }
    /* Giving the reserved pages back coalesces everything into one block. */
    hyp_put_page(&pool, ah_va(&h, PFN0 + 1));
    hyp_put_page(&pool, ah_va(&h, PFN0 + 0));
    expect_free(&pool, (uint64_t[]){1, 1, 1, 1}, 4);
    hyp_put_page(&pool, ah_va(&h, PFN0 + 2));
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 1}, 5);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 16);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void init_rejects_bad_arguments_and_changes_nothing(void **state)
{
    struct ah h;
    struct hyp_pool pool, before;
    struct hyp_pool_cfg cfg = {.max_order = HYP_POOL_MAX_ORDER + 1};
    struct hyp_pool_cfg badflags = {.max_order = 3, .flags = 1u << 7};
    struct hyp_lock_ops halfops = {.lock = hyp_spin_lock};
    struct hyp_pool_cfg badlock = {.max_order = 3, .lock = &halfops};
    struct hyp_page recs_before[16];
    (void)state;

    ah_init(&h, 12, 16, PA0);
    memcpy(recs_before, h.pages, sizeof(recs_before));
    memset(&pool, 0x33, sizeof(pool));
    before = pool;
    assert_int_equal(hyp_pool_init(NULL, &h.vm, PFN0, 16, 0, NULL), -PGT_EINVAL);
    assert_int_equal(hyp_pool_init(&pool, NULL, PFN0, 16, 0, NULL), -PGT_EINVAL);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 0, 0, NULL), -PGT_EINVAL);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 4, 5, NULL), -PGT_EINVAL);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0 - 1, 4, 0, NULL), -PGT_EINVAL);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0 + 8, 9, 0, NULL), -PGT_EINVAL);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0 + 17, 1, 0, NULL), -PGT_EINVAL);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, &cfg), -PGT_EINVAL);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, &badflags), -PGT_EINVAL);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, &badlock), -PGT_EINVAL);
    assert_memory_equal(&pool, &before, sizeof(pool));
    assert_memory_equal(h.pages, recs_before, sizeof(recs_before));
    ah_fini(&h);
}

static void alloc_splits_lowest_block_first(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    void *a, *b, *c;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    a = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, a), PFN0);
    expect_free(&pool, (uint64_t[]){1, 1, 1, 1, 0}, 5);
    assert_int_equal(hyp_page_count(ah_rec(&h, PFN0)), 1);
    b = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, b), PFN0 + 1);
    expect_free(&pool, (uint64_t[]){0, 1, 1, 1}, 4);
    c = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, c), PFN0 + 2);
    expect_free(&pool, (uint64_t[]){1, 0, 1, 1}, 4);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 13);
    hyp_put_page(&pool, b);
    hyp_put_page(&pool, a);
    hyp_put_page(&pool, c);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 1}, 5);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 16);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void alloc_orders_are_naturally_aligned(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    void *o0, *o2, *o1, *o3;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    o0 = hyp_alloc_pages(&pool, 0); /* 0 */
    o2 = hyp_alloc_pages(&pool, 2); /* 4-7 */
    o1 = hyp_alloc_pages(&pool, 1); /* 2-3 */
    o3 = hyp_alloc_pages(&pool, 3); /* 8-15 */
    assert_int_equal(pfn_of(&h, o0), PFN0);
    assert_int_equal(pfn_of(&h, o2), PFN0 + 4);
    assert_int_equal(pfn_of(&h, o1), PFN0 + 2);
    assert_int_equal(pfn_of(&h, o3), PFN0 + 8);
    assert_int_equal(ah_rec(&h, PFN0 + 8)->order, 3);
    assert_int_equal(hyp_page_count(ah_rec(&h, PFN0 + 9)), 0);
    expect_free(&pool, (uint64_t[]){1}, 1);
    /* Nothing of order >= 1 left. */
    assert_null(hyp_alloc_pages(&pool, 1));
    expect_free(&pool, (uint64_t[]){1}, 1);
    assert_int_equal(pfn_of(&h, hyp_alloc_pages(&pool, 0)), PFN0 + 1);
    assert_null(hyp_alloc_pages(&pool, 0));
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 0);
    expect_free(&pool, NULL, 0);
    ah_fini(&h);
}

static void alloc_above_max_order_fails(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    struct hyp_pool_cfg cfg = {.max_order = 2};
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, &cfg), 0);
    assert_int_equal(pool.max_order, 2);
    expect_free(&pool, (uint64_t[]){0, 0, 4}, 3);
    assert_null(hyp_alloc_pages(&pool, 3));
    assert_null(hyp_alloc_pages(&pool, 40));
    expect_free(&pool, (uint64_t[]){0, 0, 4}, 3);
    /* Freed blocks coalesce only up to max_order. */
    void *a = hyp_alloc_pages(&pool, 2), *b = hyp_alloc_pages(&pool, 2);
    assert_int_equal(pfn_of(&h, a) ^ pfn_of(&h, b), 4);
    hyp_put_page(&pool, a);
    hyp_put_page(&pool, b);
    expect_free(&pool, (uint64_t[]){0, 0, 4}, 3);
    /* Pool size bounds max_order too: 13 pages -> 3 with a cap of 10
     * (on the records of the pool above, cleared: it is no longer used). */
    cfg.max_order = 10;
    memset(h.pages, 0, 16 * sizeof(struct hyp_page));
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 13, 0, &cfg), 0);
    assert_int_equal(pool.max_order, 3);
    ah_fini(&h);
}

static void blocks_are_zeroed_when_handed_out(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    uint8_t *a;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    memset(h.mem, 0xa5, 16 * 4096);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    /* Init writes no page memory by default. */
    assert_int_equal(h.mem[0], 0xa5);
    a = hyp_alloc_pages(&pool, 2);
    assert_true(ah_is_zero(a, 4 * 4096));
    /* The rest of the arena is untouched. */
    assert_int_equal(h.mem[4 * 4096], 0xa5);
    assert_int_equal(h.mem[16 * 4096 - 1], 0xa5);
    memset(a, 0x11, 4 * 4096);
    hyp_put_page(&pool, a);
    a = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, a), PFN0);
    assert_true(ah_is_zero(a, 4096));
    ah_fini(&h);
}

static void zeroed_memory_is_not_zeroed_again(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    struct hyp_pool_cfg cfg = {.max_order = 10, .flags = HYP_POOL_MEM_ZEROED};
    uint8_t *a;
    (void)state;

    /* The embedder's promise is trusted: a lie shows through, which proves
     * no work was done. Freed blocks are zeroed again. */
    ah_init(&h, 12, 16, PA0);
    memset(h.mem, 0xa5, 16 * 4096);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, &cfg), 0);
    uint8_t *b;
    a = hyp_alloc_pages(&pool, 0);
    b = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, a), PFN0);
    assert_int_equal(pfn_of(&h, b), PFN0 + 1);
    assert_int_equal(a[0], 0xa5);
    assert_int_equal(b[4095], 0xa5);
    hyp_put_page(&pool, a);
    a = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, a), PFN0);
    assert_true(ah_is_zero(a, 4096));
    /* A freed block merged with a clean buddy is dirty as a whole. */
    hyp_put_page(&pool, a);
    hyp_put_page(&pool, b);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 1}, 5);
    b = hyp_alloc_pages(&pool, 1);
    assert_true(ah_is_zero(b, 2 * 4096));
    assert_int_equal(h.mem[2 * 4096], 0xa5); /* the rest still untouched */
    ah_fini(&h);
}

static void zero_now_clears_free_range_only(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    struct hyp_pool_cfg cfg = {.max_order = 10, .flags = HYP_POOL_ZERO_NOW};
    (void)state;

    ah_init(&h, 12, 16, PA0);
    memset(h.mem, 0xa5, 16 * 4096);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 2, &cfg), 0);
    assert_int_equal(h.mem[2 * 4096 - 1], 0xa5); /* reserved: kept */
    assert_true(ah_is_zero(h.mem + 2 * 4096, 14 * 4096));
    ah_fini(&h);
}

static unsigned clear_calls;
static size_t clear_bytes;
static void counting_clear(void *addr, size_t size)
{
    clear_calls++;
    clear_bytes += size;
    memset(addr, 0, size);
}

static void clear_pages_hook_is_used(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    h.vm.clear_pages = counting_clear;
    clear_calls = 0;
    clear_bytes = 0;
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    assert_non_null(hyp_alloc_pages(&pool, 3));
    assert_int_equal(clear_calls, 1);
    assert_int_equal(clear_bytes, 8 * 4096);
    ah_fini(&h);
}

static void get_put_counts_and_frees_at_zero(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    void *a;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    a = hyp_alloc_pages(&pool, 1);
    hyp_get_page(&pool, a);
    hyp_get_page_n(&pool, a, 5);
    assert_int_equal(hyp_page_count_va(&pool, a), 7);
    hyp_put_page_n(&pool, a, 4);
    assert_int_equal(hyp_page_count_va(&pool, a), 3);
    hyp_put_page(&pool, a);
    hyp_put_page(&pool, a);
    assert_int_equal(hyp_page_count_va(&pool, a), 1);
    expect_free(&pool, (uint64_t[]){0, 1, 1, 1}, 4);
    hyp_put_page_n(&pool, a, 1);
    assert_int_equal(hyp_page_count_va(&pool, a), 0);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 1}, 5);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void misuse_panics_and_changes_nothing(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    struct hyp_page recs[16];
    void *a;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    a = hyp_alloc_pages(&pool, 2); /* PFN0..+3 */
    memcpy(recs, h.pages, sizeof(recs));

    /* put of a free page */
    hyp_put_page(&pool, ah_va(&h, PFN0 + 4));
    assert_int_equal(ah_panics.count, 1);
    assert_int_equal(ah_panics.why, HYP_PANIC_REF_UNDERFLOW);
    assert_int_equal(ah_panics.pfn, PFN0 + 4);
    /* get of a free page */
    hyp_get_page(&pool, ah_va(&h, PFN0 + 8));
    assert_int_equal(ah_panics.count, 2);
    assert_int_equal(ah_panics.why, HYP_PANIC_FREE_PAGE);
    /* put of a tail page of an allocated block (count 0) */
    hyp_put_page(&pool, ah_va(&h, PFN0 + 1));
    assert_int_equal(ah_panics.count, 3);
    assert_int_equal(ah_panics.why, HYP_PANIC_REF_UNDERFLOW);
    assert_int_equal(ah_panics.pfn, PFN0 + 1);
    /* put_n beyond the count */
    hyp_put_page_n(&pool, a, 2);
    assert_int_equal(ah_panics.count, 4);
    /* split of a free block */
    hyp_split_page(&pool, ah_rec(&h, PFN0 + 8));
    assert_int_equal(ah_panics.count, 5);
    /* get overflow */
    ah_rec(&h, PFN0)->refcount = 0xffff;
    hyp_get_page(&pool, a);
    assert_int_equal(ah_panics.count, 6);
    assert_int_equal(ah_panics.why, HYP_PANIC_REF_OVERFLOW);
    ah_rec(&h, PFN0)->refcount = 1;
    /* a page outside the vmemmap */
    hyp_put_page(&pool, (uint8_t *)h.mem + 16 * 4096);
    assert_int_equal(ah_panics.count, 7);
    assert_int_equal(ah_panics.why, HYP_PANIC_BAD_PAGE);
    assert_int_equal(ah_panics.pfn, PFN0 + 16);

    assert_memory_equal(recs, h.pages, sizeof(recs));
    expect_free(&pool, (uint64_t[]){0, 0, 1, 1}, 4);
    ah_fini(&h);
}

static void init_refuses_a_range_overlapping_a_live_pool(void **state)
{
    struct ah h;
    struct hyp_pool a, b, before;
    struct hyp_page recs[96];
    (void)state;

    /* A over 0..63; B asked for 32..95 shares 32..63 with it. */
    ah_init(&h, 12, 96, PA0);
    assert_int_equal(hyp_pool_init(&a, &h.vm, PFN0, 64, 0, NULL), 0);
    memcpy(recs, h.pages, sizeof(recs));
    memset(&b, 0x33, sizeof(b));
    before = b;
    assert_int_equal(hyp_pool_init(&b, &h.vm, PFN0 + 32, 64, 0, NULL), -PGT_EBUSY);
    /* The same with A's pages all handed out (their records hold counts),
     * and for a range with A's last page only. */
    for (int i = 0; i < 64; i++)
        assert_non_null(hyp_alloc_pages(&a, 0));
    memcpy(recs, h.pages, sizeof(recs));
    assert_int_equal(hyp_pool_init(&b, &h.vm, PFN0 + 32, 64, 0, NULL), -PGT_EBUSY);
    assert_int_equal(hyp_pool_init(&b, &h.vm, PFN0 + 63, 33, 0, NULL), -PGT_EBUSY);
    assert_memory_equal(&b, &before, sizeof(b));
    assert_memory_equal(h.pages, recs, sizeof(recs));
    /* Right after A is fine, and then B has exactly its own 32 pages. */
    assert_int_equal(hyp_pool_init(&b, &h.vm, PFN0 + 64, 32, 0, NULL), 0);
    for (int i = 0; i < 32; i++) {
        void *p = hyp_alloc_pages(&b, 0);
        assert_non_null(p);
        assert_true(pfn_of(&h, p) >= PFN0 + 64);
    }
    assert_null(hyp_alloc_pages(&b, 0));
    assert_null(hyp_alloc_pages(&a, 0));
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void init_refuses_records_not_cleared(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    (void)state;

    /* A vmemmap never cleared: one stray record is enough. */
    ah_init(&h, 12, 16, PA0);
    ah_rec(&h, PFN0 + 9)->flags = 0x40;
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), -PGT_EBUSY);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 4, NULL), -PGT_EBUSY);
    assert_int_equal(ah_rec(&h, PFN0)->word, 0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 9, 0, NULL), 0);
    ah_fini(&h);
}

/* alloc(@order) must fail through the panic hook with HYP_PANIC_BAD_FREE_BLOCK
 * at @pfn, leaving records and pool as they were. */
static void expect_bad_block(struct ah *h, struct hyp_pool *pool, unsigned int order,
                             uint64_t pfn)
{
    struct hyp_page recs[16];
    struct hyp_pool before = *pool;
    int panics = ah_panics.count;

    memcpy(recs, h->pages, sizeof(recs));
    assert_null(hyp_alloc_pages(pool, order));
    assert_int_equal(ah_panics.count, panics + 1);
    assert_int_equal(ah_panics.why, HYP_PANIC_BAD_FREE_BLOCK);
    assert_int_equal(ah_panics.pfn, pfn);
    assert_memory_equal(recs, h->pages, sizeof(recs));
    assert_memory_equal(pool, &before, sizeof(before));
}

static void alloc_checks_the_block_it_pops(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    struct hyp_page *r;
    uint64_t saved, saved8;
    void *a;
    (void)state;

    /* 12 pages: 0-7:o3, 8-11:o2. */
    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 12, 0, NULL), 0);
    expect_free(&pool, (uint64_t[]){0, 0, 1, 1}, 4);

    /* The o3 head taken by someone else (count 1, as another pool's
     * allocation writes it). */
    r = ah_rec(&h, PFN0);
    saved = r->word;
    r->word = 1;
    expect_bad_block(&h, &pool, 3, PFN0);
    r->word = saved;
    /* The same for the o2 block that alloc(0) would split. */
    saved8 = ah_rec(&h, PFN0 + 8)->word;
    ah_rec(&h, PFN0 + 8)->word = 1;
    expect_bad_block(&h, &pool, 0, PFN0 + 8);
    ah_rec(&h, PFN0 + 8)->word = saved8;
    /* A head whose order is not its list's. */
    r->order = 2;
    expect_bad_block(&h, &pool, 3, PFN0);
    r->word = saved;
    /* A head on the put cache's flag, though on a list. */
    r->flags |= HYP_PAGE_CACHED;
    expect_bad_block(&h, &pool, 3, PFN0);
    r->word = saved;
    /* A block of the range that is misaligned, or runs past its end:
     * the o2 list's head moved to PFN 6 or 10 (links stay valid). */
    pool.head[2] = (uint32_t)(PFN0 + 6 - h.vm.first_pfn);
    ah_rec(&h, PFN0 + 6)->word = ah_rec(&h, PFN0 + 8)->word;
    expect_bad_block(&h, &pool, 2, PFN0 + 6);
    ah_rec(&h, PFN0 + 6)->word = 0xff << 16;
    pool.head[2] = (uint32_t)(PFN0 + 10 - h.vm.first_pfn);
    ah_rec(&h, PFN0 + 10)->word = ah_rec(&h, PFN0 + 8)->word;
    expect_bad_block(&h, &pool, 2, PFN0 + 10);
    ah_rec(&h, PFN0 + 10)->word = 0xff << 16;
    pool.head[2] = (uint32_t)(PFN0 + 8 - h.vm.first_pfn);
    /* A list link beyond the vmemmap. */
    pool.head[2] = (uint32_t)h.vm.nr_pages + 5;
    {
        struct hyp_pool before = pool;
        int panics = ah_panics.count;
        assert_null(hyp_alloc_pages(&pool, 2));
        assert_int_equal(ah_panics.count, panics + 1);
        assert_int_equal(ah_panics.why, HYP_PANIC_BAD_FREE_BLOCK);
        assert_memory_equal(&pool, &before, sizeof(before));
    }
    pool.head[2] = (uint32_t)(PFN0 + 8 - h.vm.first_pfn);
    expect_free(&pool, (uint64_t[]){0, 0, 1, 1}, 4);

    /* A page on the put cache given out elsewhere meanwhile: neither
     * alloc(0) nor a drain may hand it out or free it. */
    a = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, a), PFN0 + 8);
    hyp_put_page(&pool, a);
    assert_int_equal(pool.nr_cached, 1);
    r = ah_rec(&h, PFN0 + 8);
    r->word = 1;
    expect_bad_block(&h, &pool, 0, PFN0 + 8);
    int panics = ah_panics.count;
    hyp_pool_drain(&pool);
    assert_int_equal(ah_panics.count, panics + 1);
    assert_int_equal(ah_panics.why, HYP_PANIC_BAD_FREE_BLOCK);
    assert_int_equal(r->word, 1);
    for (int o = 3; o >= 0; o--)
        for (uint64_t n = hyp_pool_nr_free_blocks(&pool, (unsigned)o); n; n--) {
            void *p = hyp_alloc_pages(&pool, (unsigned)o);
            assert_non_null(p);
            assert_int_not_equal(pfn_of(&h, p), PFN0 + 8);
        }
    assert_int_equal(ah_panics.count, panics + 1);
    ah_fini(&h);
}

static void split_of_a_shared_block_panics(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    struct hyp_page recs[16];
    void *a;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    a = hyp_alloc_pages(&pool, 2);
    hyp_get_page(&pool, a);
    memcpy(recs, h.pages, sizeof(recs));
    hyp_split_page(&pool, ah_rec(&h, PFN0));
    assert_int_equal(ah_panics.count, 1);
    assert_int_equal(ah_panics.why, HYP_PANIC_BAD_PAGE);
    assert_int_equal(ah_panics.pfn, PFN0);
    assert_memory_equal(recs, h.pages, sizeof(recs));
    /* The block is still whole: two puts free all four pages at once. */
    hyp_put_page(&pool, a);
    hyp_put_page(&pool, a);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 1}, 5);
    assert_int_equal(ah_panics.count, 1);
    ah_fini(&h);
}

static void get_of_a_page_with_count_0_panics(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    struct hyp_page recs[16];
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    (void)hyp_alloc_pages(&pool, 2); /* 0-3; free: 4-7:o2, 8-15:o3 */
    memcpy(recs, h.pages, sizeof(recs));
    /* Inside the free o3 block (not its head). */
    hyp_get_page(&pool, ah_va(&h, PFN0 + 9));
    assert_int_equal(ah_panics.count, 1);
    assert_int_equal(ah_panics.why, HYP_PANIC_FREE_PAGE);
    assert_int_equal(ah_panics.pfn, PFN0 + 9);
    /* The tail page of the allocated block; and the batched form. */
    hyp_get_page(&pool, ah_va(&h, PFN0 + 1));
    assert_int_equal(ah_panics.count, 2);
    assert_int_equal(ah_panics.pfn, PFN0 + 1);
    hyp_get_page_n(&pool, ah_va(&h, PFN0 + 5), 3);
    assert_int_equal(ah_panics.count, 3);
    hyp_pool_get_page(&pool, ah_rec(&h, PFN0 + 2));
    assert_int_equal(ah_panics.count, 4);
    assert_memory_equal(recs, h.pages, sizeof(recs));
    expect_free(&pool, (uint64_t[]){0, 0, 1, 1}, 4);
    ah_fini(&h);
}

static void split_page_makes_independent_pages(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    uint8_t *a;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, NULL), 0);
    a = hyp_alloc_pages(&pool, 2);
    hyp_split_page(&pool, ah_rec(&h, PFN0));
    for (int i = 0; i < 4; i++) {
        assert_int_equal(hyp_page_count(ah_rec(&h, PFN0 + i)), 1);
        assert_int_equal(ah_rec(&h, PFN0 + i)->order, 0);
    }
    /* Free the pages one by one, out of order: 3, 1, 0, 2. */
    hyp_put_page(&pool, a + 3 * 4096);
    expect_free(&pool, (uint64_t[]){1, 0, 1, 1}, 4);
    hyp_put_page(&pool, a + 1 * 4096);
    expect_free(&pool, (uint64_t[]){2, 0, 1, 1}, 4);
    hyp_put_page(&pool, a);
    expect_free(&pool, (uint64_t[]){1, 1, 1, 1}, 4);
    hyp_put_page(&pool, a + 2 * 4096);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 1}, 5);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void coalescing_stops_at_the_pool_range(void **state)
{
    struct ah h;
    struct hyp_pool a, b;
    void *p;
    (void)state;

    /* A: 0..5 -> 0-3:o2, 4-5:o1; B: 6..15 -> 6-7:o1, 8-15:o3. */
    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&a, &h.vm, PFN0, 6, 0, NULL), 0);
    assert_int_equal(hyp_pool_init(&b, &h.vm, PFN0 + 6, 10, 0, NULL), 0);
    expect_free(&a, (uint64_t[]){0, 1, 1}, 3);
    expect_free(&b, (uint64_t[]){0, 1, 0, 1}, 4);
    p = hyp_alloc_pages(&b, 1);
    assert_int_equal(pfn_of(&h, p), PFN0 + 6);
    hyp_put_page(&b, p);
    /* 4-5 is free in A and is 6-7's buddy: no merge. */
    expect_free(&b, (uint64_t[]){0, 1, 0, 1}, 4);
    expect_free(&a, (uint64_t[]){0, 1, 1}, 3);
    p = hyp_alloc_pages(&a, 1);
    assert_int_equal(pfn_of(&h, p), PFN0 + 4);
    hyp_put_page(&a, p);
    expect_free(&a, (uint64_t[]){0, 1, 1}, 3);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void external_pages_are_not_coalesced(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    void *p;
    (void)state;

    /* Pool 1..7 (1:o0, 2-3:o1, 4-7:o2); page 0 is external, its buddy 1
     * is free in the pool. */
    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0 + 1, 7, 0, NULL), 0);
    expect_free(&pool, (uint64_t[]){1, 1, 1}, 3);
    memset(ah_rec(&h, PFN0), 0, sizeof(struct hyp_page));
    hyp_set_page_refcounted(&h.vm, ah_rec(&h, PFN0));
    memset(ah_va(&h, PFN0), 0x3c, 4096);
    hyp_put_page(&pool, ah_va(&h, PFN0));
    expect_free(&pool, (uint64_t[]){2, 1, 1}, 3);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 8);
    /* It is handed out again (last in, first out), zeroed. */
    p = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, p), PFN0);
    assert_true(ah_is_zero(p, 4096));
    hyp_put_page(&pool, p);
    p = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, p), PFN0);
    /* Freeing the pool's own page 1 merges 1 with nothing outside. */
    p = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, p), PFN0 + 1);
    hyp_put_page(&pool, p);
    expect_free(&pool, (uint64_t[]){1, 1, 1}, 3);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

struct lock_rec {
    int depth, max_depth, locks, unlocks;
};
static void rec_lock(void *arg)
{
    struct lock_rec *r = arg;
    r->locks++;
    if (++r->depth > r->max_depth)
        r->max_depth = r->depth;
}
static void rec_unlock(void *arg)
{
    struct lock_rec *r = arg;
    r->unlocks++;
    r->depth--;
}

static void every_operation_takes_the_lock_once(void **state)
{
    static const struct hyp_lock_ops ops = {rec_lock, rec_unlock};
    struct lock_rec r = {0};
    struct hyp_pool_cfg cfg = {.max_order = 10, .lock = &ops, .lock_arg = &r};
    struct ah h;
    struct hyp_pool pool;
    void *a;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, &cfg), 0);
    assert_int_equal(r.locks, 0);
    a = hyp_alloc_pages(&pool, 1);
    assert_int_equal(r.locks, 1);
    hyp_get_page(&pool, a);
    hyp_put_page(&pool, a);
    hyp_split_page(&pool, hyp_virt_to_page(&h.vm, a));
    hyp_put_page_n(&pool, a, 1);
    (void)hyp_pool_nr_free_pages(&pool);
    assert_int_equal(r.locks, 6);
    assert_null(hyp_alloc_pages(&pool, 9)); /* above max_order: no lock */
    assert_int_equal(r.locks, 6);
    assert_int_equal(r.unlocks, r.locks);
    assert_int_equal(r.max_depth, 1);
    ah_fini(&h);
}

static void spinlock_locks_and_unlocks(void **state)
{
    struct hyp_spinlock l = {0};
    (void)state;

    hyp_spinlock_ops.lock(&l);
    assert_int_equal(atomic_load(&l.locked), 1);
    hyp_spinlock_ops.unlock(&l);
    assert_int_equal(atomic_load(&l.locked), 0);
}

/*
 * A pool on hyp_spinlock_ops takes the lock inline on its fast paths
 * (alloc(0) from the put cache, get, put that keeps or caches the page)
 * and through the hooks elsewhere: every operation must leave it free,
 * and the pool must behave as with any other lock.
 */
static void spinlock_pool_frees_the_lock_after_every_operation(void **state)
{
    struct hyp_spinlock l = {0};
    struct hyp_pool_cfg cfg = {.max_order = 10, .lock = &hyp_spinlock_ops, .lock_arg = &l};
    struct ah h;
    struct hyp_pool pool;
    uint8_t *a, *b;
    (void)state;

    ah_init(&h, 12, 16, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 16, 0, &cfg), 0);
    a = hyp_alloc_pages(&pool, 0); /* cache empty: the slow path */
    assert_int_equal(atomic_load(&l.locked), 0);
    assert_ptr_equal(a, h.mem);
    hyp_get_page(&pool, a);
    assert_int_equal(atomic_load(&l.locked), 0);
    hyp_get_page_n(&pool, a, 2);
    assert_int_equal(hyp_page_count_va(&pool, a), 4);
    hyp_put_page(&pool, a);
    assert_int_equal(atomic_load(&l.locked), 0);
    hyp_put_page_n(&pool, a, 2);
    assert_int_equal(hyp_page_count_va(&pool, a), 1);
    a[100] = 0x5a;
    hyp_put_page(&pool, a); /* count 0: onto the put cache */
    assert_int_equal(atomic_load(&l.locked), 0);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 16);
    b = hyp_alloc_pages(&pool, 0); /* the cached page, zeroed again */
    assert_int_equal(atomic_load(&l.locked), 0);
    assert_ptr_equal(b, a);
    assert_true(ah_is_zero(b, 4096));
    b = hyp_alloc_pages(&pool, 2); /* a block: the slow path */
    assert_int_equal(atomic_load(&l.locked), 0);
    assert_non_null(b);
    hyp_put_page(&pool, b);
    hyp_put_page(&pool, a);
    assert_int_equal(atomic_load(&l.locked), 0);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 1}, 5);
    assert_int_equal(ah_panics.count, 0);
    /* A put on a free page still panics (the checks run inline too). */
    hyp_put_page(&pool, a);
    assert_int_equal(ah_panics.count, 1);
    assert_int_equal(atomic_load(&l.locked), 0);
    ah_fini(&h);
}

static void granule_64k_pool(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    uint8_t *a;
    (void)state;

    /* PA 0x4000_0000 = PFN 0x4000 with 64K pages; 8 pages -> one o3. */
    ah_init(&h, 16, 8, 0x40000000ull);
    memset(h.mem, 0xff, 8 * 65536);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, 0x4000, 8, 0, NULL), 0);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 1}, 4);
    a = hyp_alloc_pages(&pool, 1);
    assert_ptr_equal(a, h.mem);
    assert_true(ah_is_zero(a, 2 * 65536));
    assert_int_equal(h.mem[2 * 65536], 0xff);
    hyp_put_page(&pool, a);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 1}, 4);
    ah_fini(&h);
}

static void put_cache_defers_coalescing_invisibly(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    void *a, *b, *p[HYP_POOL_CACHE + 1];
    (void)state;

    ah_init(&h, 12, 64, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 64, 0, NULL), 0);
    a = hyp_alloc_pages(&pool, 0);
    assert_int_equal(pfn_of(&h, a), PFN0);
    hyp_put_page(&pool, a);
    /* Page 0 sits on the put cache: free, count 0, not coalesced yet. */
    assert_int_equal(pool.nr_cached, 1);
    assert_int_equal(ah_rec(&h, PFN0)->flags, HYP_PAGE_FREE | HYP_PAGE_CACHED | HYP_PAGE_DIRTY);
    assert_int_equal(hyp_page_count(ah_rec(&h, PFN0)), 0);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 64);
    /* alloc(0) takes it back without touching the lists. */
    b = hyp_alloc_pages(&pool, 0);
    assert_ptr_equal(b, a);
    assert_int_equal(pool.nr_cached, 0);
    assert_int_equal(pool.nr_free[0], 1); /* page 1, from the first split */
    hyp_put_page(&pool, b);
    /* Counting drains: one order-6 block, as if coalesced at once. */
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 0, 0, 1}, 7);
    assert_int_equal(pool.nr_cached, 0);
    assert_int_equal(ah_rec(&h, PFN0)->order, 6);
    /* Misuse of a cached page is caught like for any free page. */
    a = hyp_alloc_pages(&pool, 0);
    hyp_put_page(&pool, a);
    hyp_get_page(&pool, a);
    assert_int_equal(ah_panics.count, 1);
    assert_int_equal(ah_panics.why, HYP_PANIC_FREE_PAGE);
    hyp_put_page(&pool, a);
    assert_int_equal(ah_panics.count, 2);
    assert_int_equal(ah_panics.why, HYP_PANIC_REF_UNDERFLOW);
    hyp_split_page(&pool, ah_rec(&h, PFN0));
    assert_int_equal(ah_panics.count, 3);
    assert_int_equal(pool.nr_cached, 1);
    /* An allocation of order > 0 drains first: page 0 coalesces and the
     * order-1 block comes from the start again. */
    b = hyp_alloc_pages(&pool, 1);
    assert_int_equal(pfn_of(&h, b), PFN0);
    assert_int_equal(pool.nr_cached, 0);
    hyp_put_page(&pool, b);
    /* A full cache is drained before the next page goes on it. */
    for (int i = 0; i <= HYP_POOL_CACHE; i++)
        p[i] = hyp_alloc_pages(&pool, 0);
    for (int i = 0; i < HYP_POOL_CACHE; i++)
        hyp_put_page(&pool, p[i]);
    assert_int_equal(pool.nr_cached, HYP_POOL_CACHE);
    hyp_put_page(&pool, p[HYP_POOL_CACHE]);
    assert_int_equal(pool.nr_cached, 1);
    hyp_pool_drain(&pool);
    assert_int_equal(pool.nr_cached, 0);
    assert_int_equal(pool.nr_free[6], 1);
    assert_int_equal(hyp_pool_nr_free_pages(&pool), 64);
    ah_fini(&h);
}

static void record_forms_and_stats_edges(void **state)
{
    struct ah h;
    struct hyp_pool pool;
    struct hyp_page *p;
    (void)state;

    ah_init(&h, 12, 8, PA0);
    assert_int_equal(hyp_pool_init(&pool, &h.vm, PFN0, 8, 0, NULL), 0);
    p = hyp_virt_to_page(&h.vm, hyp_alloc_pages(&pool, 2));
    assert_ptr_equal(p, ah_rec(&h, PFN0));
    hyp_pool_get_page(&pool, p);
    assert_int_equal(hyp_page_count(p), 2);
    hyp_pool_put_page(&pool, p);
    hyp_pool_put_page(&pool, p);
    assert_int_equal(hyp_page_count(p), 0);
    assert_int_equal(hyp_pool_nr_free_blocks(&pool, 3), 1);
    assert_int_equal(hyp_pool_nr_free_blocks(&pool, HYP_POOL_MAX_ORDER + 1), 0);
    assert_int_equal(hyp_pool_nr_free_blocks(&pool, 1000), 0);
    /* get_n / put_n of 0 change nothing and take no reference. */
    void *a = hyp_alloc_pages(&pool, 0);
    hyp_get_page_n(&pool, a, 0);
    hyp_put_page_n(&pool, a, 0);
    assert_int_equal(hyp_page_count_va(&pool, a), 1);
    assert_int_equal(ah_panics.count, 0);
    ah_fini(&h);
}

static void pool_beyond_linkable_records_is_refused(void **state)
{
    struct hyp_vmemmap vm;
    struct hyp_pool pool;
    struct hyp_page dummy;
    (void)state;

    /* Records are never touched when the pool is refused. */
    assert_int_equal(hyp_vmemmap_init(&vm, &dummy, 0, 1ull << 30, 12, 0), 0);
    assert_int_equal(hyp_pool_init(&pool, &vm, 0, HYP_VMEMMAP_MAX_LINKED, 0, NULL),
                     -PGT_ERANGE);
}

static void pool_high_in_a_large_vmemmap(void **state)
{
    /* pKVM's layout: records from PFN 0, RAM at 512 GiB (PFN 0x800_0000,
     * beyond 2^24 records). The vmemmap is reserved, not committed. */
    const uint64_t pfn = 0x8000000, n = 32, below = 8;
    size_t vm_bytes = (size_t)(pfn + n) * sizeof(struct hyp_page);
    struct hyp_page *recs = mmap(NULL, vm_bytes, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    uint8_t *mem = aligned_alloc(4096, (n + below) * 4096);
    uint64_t pa_mem = (pfn - below) << 12; /* PA of mem */
    struct hyp_vmemmap vm;
    struct hyp_pool pool;
    uint8_t *a;
    (void)state;

    assert_true(recs != MAP_FAILED);
    assert_int_equal(hyp_vmemmap_init(&vm, recs, 0, pfn + n, 12,
                                      (uint64_t)(uintptr_t)mem - pa_mem), 0);
    vm.panic = ah_panic_hook;
    ah_panic_reset();
    assert_int_equal(hyp_pool_init(&pool, &vm, pfn, n, 0, NULL), 0);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 0, 1}, 6);
    a = hyp_alloc_pages(&pool, 0);
    assert_ptr_equal(a, mem + below * 4096);
    assert_int_equal(hyp_page_count(&recs[pfn]), 1);
    hyp_put_page(&pool, a);
    expect_free(&pool, (uint64_t[]){0, 0, 0, 0, 0, 1}, 6);
    /* An external page just below the pool is linkable. */
    hyp_set_page_refcounted(&vm, &recs[pfn - 3]);
    hyp_put_page(&pool, mem + (below - 3) * 4096);
    expect_free(&pool, (uint64_t[]){1, 0, 0, 0, 0, 1}, 6);
    a = hyp_alloc_pages(&pool, 0);
    assert_ptr_equal(a, mem + (below - 3) * 4096);
    /* One far outside the window is refused through the panic hook. */
    recs[16].refcount = 1;
    recs[16].order = 0;
    hyp_put_page(&pool, hyp_phys_to_virt(&vm, 16ull << 12));
    assert_int_equal(ah_panics.count, 1);
    assert_int_equal(ah_panics.why, HYP_PANIC_BAD_PAGE);
    assert_int_equal(ah_panics.pfn, 16);
    assert_int_equal(recs[16].refcount, 1);
    free(mem);
    munmap(recs, vm_bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_aligned_pool_is_one_block),
        cmocka_unit_test(init_unaligned_range_carves_aligned_blocks),
        cmocka_unit_test(init_reserved_pages_stay_allocated),
        cmocka_unit_test(init_rejects_bad_arguments_and_changes_nothing),
        cmocka_unit_test(alloc_splits_lowest_block_first),
        cmocka_unit_test(alloc_orders_are_naturally_aligned),
        cmocka_unit_test(alloc_above_max_order_fails),
        cmocka_unit_test(blocks_are_zeroed_when_handed_out),
        cmocka_unit_test(zeroed_memory_is_not_zeroed_again),
        cmocka_unit_test(zero_now_clears_free_range_only),
        cmocka_unit_test(clear_pages_hook_is_used),
        cmocka_unit_test(get_put_counts_and_frees_at_zero),
        cmocka_unit_test(misuse_panics_and_changes_nothing),
        cmocka_unit_test(init_refuses_a_range_overlapping_a_live_pool),
        cmocka_unit_test(init_refuses_records_not_cleared),
        cmocka_unit_test(alloc_checks_the_block_it_pops),
        cmocka_unit_test(split_of_a_shared_block_panics),
        cmocka_unit_test(get_of_a_page_with_count_0_panics),
        cmocka_unit_test(split_page_makes_independent_pages),
        cmocka_unit_test(coalescing_stops_at_the_pool_range),
        cmocka_unit_test(external_pages_are_not_coalesced),
        cmocka_unit_test(every_operation_takes_the_lock_once),
        cmocka_unit_test(spinlock_locks_and_unlocks),
        cmocka_unit_test(spinlock_pool_frees_the_lock_after_every_operation),
        cmocka_unit_test(granule_64k_pool),
        cmocka_unit_test(put_cache_defers_coalescing_invisibly),
        cmocka_unit_test(record_forms_and_stats_edges),
        cmocka_unit_test(pool_beyond_linkable_records_is_refused),
        cmocka_unit_test(pool_high_in_a_large_vmemmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
