// SPDX-License-Identifier: MIT
/*
 * Concurrency test: several threads allocate, scribble on, split, share
 * and free blocks of one hyp_pool protected by hyp_spinlock. A per-page
 * owner table (claimed with compare-and-swap when a block is handed out)
 * catches any page handed out twice; tags written into every page catch a
 * page handed to someone else while held; at the end every page must be
 * back and the pool fully coalesced. A shared page's count is hammered
 * with get/put from every thread, and a record's count with the atomic
 * helpers. Built twice: plainly, and with -fsanitize=thread (suite prop).
 *
 * Usage: threads_pool [THREADS [ITERATIONS]] (default 4 x 20000).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc_harness.h"

#define NPAGES 1024
#define HELD_MAX 24

static struct ah h;
static struct hyp_pool pool;
static struct hyp_spinlock lock;
static atomic_int owner[NPAGES];
static atomic_int failures;
static uint8_t *shared_page;
static struct hyp_page ext_rec; /* count changed with the atomic helpers only */
static struct hyp_vmemmap ext_vm;
static long iters;

#define PFN0 0x80000ull

static void fail(const char *what, long a, long b)
{
    fprintf(stderr, "threads_pool: FAILED: %s: %ld %ld\n", what, a, b);
    atomic_fetch_add(&failures, 1);
}

static void panic_hook(enum hyp_page_panic why, uint64_t pfn)
{
    fail("panic hook (why, pfn)", (long)why, (long)pfn);
}

struct held {
    uint8_t *va;
    int order;
    bool split;
};

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void release(int tid, struct held *b)
{
    int idx = (int)(ah_pfn(&h, b->va) - PFN0);
    int n = 1 << b->order;

    for (int i = 0; i < n; i++) {
        uint64_t tag;
        memcpy(&tag, b->va + (size_t)i * h.page_size, sizeof(tag));
        if (tag != ((uint64_t)tid << 32 | (uint64_t)(idx + i)))
            fail("page changed under its owner (page, tag)", idx + i, (long)tag);
        int want = tid + 1;
        if (!atomic_compare_exchange_strong(&owner[idx + i], &want, 0))
            fail("owner table broken (page, owner)", idx + i, want);
    }
    if (b->split) {
        for (int i = n - 1; i >= 0; i--)
            hyp_put_page(&pool, b->va + (size_t)i * h.page_size);
    } else {
        hyp_put_page(&pool, b->va);
    }
}

static void *worker(void *arg)
{
    int tid = (int)(intptr_t)arg;
    uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(tid + 1);
    struct held held[HELD_MAX];
    int nheld = 0;

    for (long it = 0; it < iters; it++) {
        unsigned r = (unsigned)(rnd(&s) % 16);

        if (r < 7 && nheld < HELD_MAX) {
            int order = (int)(rnd(&s) % 4);
            uint8_t *va = hyp_alloc_pages(&pool, (unsigned)order);
            if (!va)
                continue;
            int idx = (int)(ah_pfn(&h, va) - PFN0);
            for (int i = 0; i < (1 << order); i++) {
                int zero = 0;
                if (!atomic_compare_exchange_strong(&owner[idx + i], &zero, tid + 1))
                    fail("page handed out twice (page, other owner)", idx + i, zero);
            }
            if (!ah_is_zero(va, h.page_size << order))
                fail("block not zeroed (page, order)", idx, order);
            for (int i = 0; i < (1 << order); i++) {
                uint64_t tag = (uint64_t)tid << 32 | (uint64_t)(idx + i);
                memcpy(va + (size_t)i * h.page_size, &tag, sizeof(tag));
            }
            held[nheld++] = (struct held){va, order, false};
            if (order > 0 && rnd(&s) % 4 == 0) {
                hyp_split_page(&pool, hyp_virt_to_page(&h.vm, va));
                held[nheld - 1].split = true;
            }
        } else if (r < 13 && nheld > 0) {
            int k = (int)(rnd(&s) % (uint64_t)nheld);
            release(tid, &held[k]);
            held[k] = held[--nheld];
        } else if (r < 15) {
            hyp_get_page(&pool, shared_page);
            hyp_put_page(&pool, shared_page);
        } else {
            hyp_page_ref_inc_atomic(&ext_vm, &ext_rec);
            if (hyp_page_ref_dec_and_test_atomic(&ext_vm, &ext_rec))
                fail("shared atomic count reached 0", 0, 0);
        }
    }
    while (nheld > 0)
        release(tid, &held[--nheld]);
    return NULL;
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 4;
    pthread_t th[64];
    struct hyp_pool_cfg cfg = {.max_order = 10, .lock = &hyp_spinlock_ops, .lock_arg = &lock};

    iters = argc > 2 ? atol(argv[2]) : 20000;
    if (nthreads < 2 || nthreads > 64)
        nthreads = 4;
    ah_init(&h, 12, NPAGES, PFN0 << 12);
    h.vm.panic = panic_hook;
    if (hyp_pool_init(&pool, &h.vm, PFN0, NPAGES, 0, &cfg))
        return 1;
    shared_page = hyp_alloc_pages(&pool, 0);
    atomic_store(&owner[ah_pfn(&h, shared_page) - PFN0], 1000);
    memset(&ext_rec, 0, sizeof(ext_rec));
    hyp_vmemmap_init(&ext_vm, &ext_rec, 0x10, 1, 12, 0);
    ext_vm.panic = panic_hook;
    ext_rec.refcount = 1;

    for (int t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    for (int t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);

    if (hyp_page_count_va(&pool, shared_page) != 1)
        fail("shared page count", (long)hyp_page_count_va(&pool, shared_page), 1);
    if (ext_rec.refcount != 1)
        fail("atomic count", ext_rec.refcount, 1);
    hyp_put_page(&pool, shared_page);
    if (hyp_pool_nr_free_pages(&pool) != NPAGES)
        fail("pages lost (free, total)", (long)hyp_pool_nr_free_pages(&pool), NPAGES);
    if (hyp_pool_nr_free_blocks(&pool, 10) != 1)
        fail("not coalesced back to one order-10 block", (long)hyp_pool_nr_free_blocks(&pool, 10),
             1);
    for (int o = 0; o < 10; o++)
        if (hyp_pool_nr_free_blocks(&pool, (unsigned)o))
            fail("free blocks left at order", o, (long)hyp_pool_nr_free_blocks(&pool, (unsigned)o));
    ah_fini(&h);
    if (atomic_load(&failures))
        return 1;
    printf("threads_pool: OK, %d threads x %ld iterations\n", nthreads, iters);
    return 0;
}
