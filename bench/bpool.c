// SPDX-License-Identifier: MIT
/*
 * The benchmark's embedder: a page pool behind pgt_mm_ops, shaped like a
 * hypervisor's memcache. zalloc_page pops the top of a LIFO free stack and
 * zeroes the page (the zeroing is part of the measured cost, as it is for
 * a real embedder); get/put/page_count keep one count per page; the cache
 * and TLB hooks are real out-of-line functions that count their calls.
 */
#include "bench.h"

#include "pgtable/hyp_pool.h"
#include "pgtable/mm_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NOINLINE __attribute__((noinline))

struct hook_counts hooks;
struct bpool *bp_cur;

void hooks_reset(void)
{
    memset(&hooks, 0, sizeof(hooks));
}

void *bench_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("pgt-bench: mmap");
        exit(2);
    }
    /* Huge pages before the first touch, so the host TLB behaves the same
     * in every run (no khugepaged collapse half-way through the bench). */
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    /* Fault everything in now so no host page fault lands in a timed run. */
    memset(p, 0x5a, bytes);
    return p;
}

void bpool_init(struct bpool *p, size_t gran, size_t nr_pages,
                uint64_t pa_base)
{
    memset(p, 0, sizeof(*p));
    p->gran = gran;
    p->gran_shift = (unsigned)__builtin_ctzll(gran);
    p->nr = nr_pages;
    p->pa_base = pa_base;
    /* Over-allocate so the pool itself can be aligned to 64 KiB. */
    size_t align = 64 * 1024;
    p->map_bytes = nr_pages * gran + align;
    uint8_t *raw = bench_map(p->map_bytes);
    p->map = raw;
    p->base = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
    p->stack = calloc(nr_pages, sizeof(*p->stack));
    p->ref = calloc(nr_pages, sizeof(*p->ref));
    /* 32 pages at the bottom for concatenated/multi-page roots. */
    p->exact_pages = 32;
    p->exact_used = calloc(p->exact_pages, 1);
    if (!p->stack || !p->ref || !p->exact_used) {
        fprintf(stderr, "pgt-bench: host out of memory\n");
        exit(2);
    }
    bpool_restack(p);
}

void bpool_restack(struct bpool *p)
{
    /* Lowest address on top: pages go out in address order. */
    p->nfree = 0;
    for (size_t i = p->nr; i > p->exact_pages; i--)
        p->stack[p->nfree++] = (uint32_t)(i - 1);
}

void bpool_fini(struct bpool *p)
{
    munmap(p->map, p->map_bytes);
    free(p->stack);
    free(p->ref);
    free(p->exact_used);
    if (bp_cur == p)
        bp_cur = NULL;
}

void bpool_use(struct bpool *p)
{
    bp_cur = p;
    /* The pool is one linear range, as a hypervisor's linear map: say so,
     * as a real embedder would. */
    bpool_ops.linear = true;
    bpool_ops.linear_offset = (uint64_t)(uintptr_t)p->base - p->pa_base;
    /* Its counts are an array of int32_t, one per page: say so too. */
    bpool_ops.count_base = p->ref;
    bpool_ops.count_va = (uintptr_t)p->base;
    bpool_ops.count_shift = 2;
    bpool_ops.count_width = 4;
    /* Its get/put of a page in use only change that count: the library
     * may change it there itself. */
    bpool_ops.count_writable = true;
    /* What an embedder that fills only the required hooks passes. */
    bpool_nh_ops = bpool_ops;
    bpool_nh_ops.linear = false;
    bpool_nh_ops.linear_offset = 0;
    bpool_nh_ops.count_base = NULL;
    bpool_nh_ops.count_va = 0;
    bpool_nh_ops.count_shift = 0;
    bpool_nh_ops.count_width = 0;
    bpool_nh_ops.count_writable = false;
    bpool_nh_ops.get_page_n = NULL;
    bpool_nh_ops.put_page_n = NULL;
    bpool_nr_ops = bpool_ops;
    bpool_nr_ops.tlbi_range = NULL;
}

void bpool_reset_peak(struct bpool *p)
{
    p->peak = p->used;
}

void *bpool_page(struct bpool *p, size_t idx)
{
    return p->base + idx * p->gran;
}

static inline size_t idx_of(const struct bpool *p, const void *addr)
{
    return (size_t)((const uint8_t *)addr - p->base) >> p->gran_shift;
}

static NOINLINE void *bp_zalloc_page(void *ctx, void *arg)
{
    (void)ctx;
    struct bpool *p = bp_cur;
    (void)arg;
    if (!p->nfree)
        return NULL;
    uint32_t i = p->stack[--p->nfree];
    void *va = bpool_page(p, i);
    memset(va, 0, p->gran);
    p->ref[i] = 1;
    if (++p->used > p->peak)
        p->peak = p->used;
    hooks.zalloc++;
    return va;
}

static NOINLINE void *bp_zalloc_pages_exact(void *ctx, size_t size)
{
    (void)ctx;
    struct bpool *p = bp_cur;
    size_t n = (size + p->gran - 1) / p->gran, al = 1;
    while (al < n)
        al <<= 1;
    for (size_t s = 0; s + n <= p->exact_pages; s += al) {
        size_t k;
        for (k = 0; k < n && !p->exact_used[s + k]; k++)
            ;
        if (k < n)
            continue;
        for (k = 0; k < n; k++) {
            p->exact_used[s + k] = 1;
            p->ref[s + k] = 1;
        }
        void *va = bpool_page(p, s);
        memset(va, 0, n * p->gran);
        p->used += n;
        if (p->used > p->peak)
            p->peak = p->used;
        return va;
    }
    return NULL;
}

static NOINLINE void bp_free_pages_exact(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    struct bpool *p = bp_cur;
    size_t s = idx_of(p, addr), n = (size + p->gran - 1) / p->gran;
    for (size_t k = 0; k < n; k++) {
        p->exact_used[s + k] = 0;
        p->ref[s + k] = 0;
    }
    p->used -= n;
}

static inline void release(struct bpool *p, size_t i)
{
    if (i < p->exact_pages) {
        p->exact_used[i] = 0;
    } else {
        p->stack[p->nfree++] = (uint32_t)i;
    }
    p->used--;
}

static NOINLINE void bp_get_page(void *ctx, void *addr)
{
    (void)ctx;
    bp_cur->ref[idx_of(bp_cur, addr)]++;
    hooks.get++;
}

static NOINLINE void bp_put_page(void *ctx, void *addr)
{
    (void)ctx;
    struct bpool *p = bp_cur;
    size_t i = idx_of(p, addr);
    hooks.put++;
    if (--p->ref[i] == 0)
        release(p, i);
}

static NOINLINE void bp_get_page_n(void *ctx, void *addr, int n)
{
    (void)ctx;
    bp_cur->ref[idx_of(bp_cur, addr)] += n;
    hooks.get++;
}

static NOINLINE void bp_put_page_n(void *ctx, void *addr, int n)
{
    (void)ctx;
    struct bpool *p = bp_cur;
    size_t i = idx_of(p, addr);
    hooks.put++;
    p->ref[i] -= n;
    if (p->ref[i] == 0)
        release(p, i);
}

static NOINLINE int bp_page_count(void *ctx, void *addr)
{
    (void)ctx;
    return bp_cur->ref[idx_of(bp_cur, addr)];
}

static NOINLINE void *bp_phys_to_virt(void *ctx, uint64_t phys)
{
    (void)ctx;
    return bp_cur->base + (phys - bp_cur->pa_base);
}

static NOINLINE uint64_t bp_virt_to_phys(void *ctx, void *addr)
{
    (void)ctx;
    return bp_cur->pa_base + (uint64_t)((uint8_t *)addr - bp_cur->base);
}

static NOINLINE void bp_dcache(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    (void)addr;
    (void)size;
    hooks.dcache++;
}

static NOINLINE void bp_icache(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    (void)addr;
    (void)size;
    hooks.icache++;
}

static NOINLINE void bp_tlbi_va(const struct pgt *pgt, uint64_t addr, int level)
{
    (void)pgt;
    (void)addr;
    (void)level;
    hooks.tlbi_va++;
}

static NOINLINE void bp_tlbi_range(const struct pgt *pgt, uint64_t addr,
                                   uint64_t size)
{
    (void)pgt;
    if (!hooks.tlbi_range || addr < hooks.range_lo)
        hooks.range_lo = addr;
    if (!hooks.tlbi_range || addr + size > hooks.range_hi)
        hooks.range_hi = addr + size;
    hooks.tlbi_range++;
}

static NOINLINE void bp_tlbi_all(const struct pgt *pgt)
{
    (void)pgt;
    hooks.tlbi_all++;
}

struct pgt_mm_ops bpool_ops = {
    .zalloc_page = bp_zalloc_page,
    .zalloc_pages_exact = bp_zalloc_pages_exact,
    .free_pages_exact = bp_free_pages_exact,
    .get_page = bp_get_page,
    .put_page = bp_put_page,
    .get_page_n = bp_get_page_n,
    .put_page_n = bp_put_page_n,
    .page_count = bp_page_count,
    .phys_to_virt = bp_phys_to_virt,
    .virt_to_phys = bp_virt_to_phys,
    .dcache_clean_inval_poc = bp_dcache,
    .icache_inval_pou = bp_icache,
    .tlbi_va = bp_tlbi_va,
    .tlbi_range = bp_tlbi_range,
    .tlbi_all = bp_tlbi_all,
};

struct pgt_mm_ops bpool_nh_ops;
struct pgt_mm_ops bpool_nr_ops;

/*
 * The same pages behind the library's own allocator: a vmemmap and a
 * hyp_pool over the whole bpool (zeroed once at init, then zeroed lazily
 * by hyp_alloc_pages), with the mm_ops an embedder writes around it. Used
 * for the "-hp" rows so the allocator's share of a table operation shows.
 */
static struct {
    struct hyp_page *rec;
    struct hyp_vmemmap vm;
    struct hyp_pool pool;
    struct hyp_spinlock lock;
} hp;

/* The library's own adapter (mm_pool.h), bound to this pool, with the
 * counting TLB/cache hooks added. */
struct pgt_mm_ops hpool_ops;

void *bpool_mm_ctx(const struct pgt_mm_ops *ops)
{
    return ops == &hpool_ops ? (void *)&hp.pool : (void *)bp_cur;
}

int bpool_hyp_pool_init(struct bpool *p)
{
    free(hp.rec);
    hp.rec = calloc(p->nr, sizeof(*hp.rec));
    if (!hp.rec)
        return -1;
    uint64_t off = (uint64_t)(uintptr_t)p->base - p->pa_base;
    unsigned shift = (unsigned)__builtin_ctzll(p->gran);
    int ret = hyp_vmemmap_init(&hp.vm, hp.rec, p->pa_base >> shift, p->nr,
                               shift, off);
    if (ret)
        return ret;
    struct hyp_pool_cfg cfg = {
        .max_order = HYP_POOL_DEFAULT_MAX_ORDER,
        .lock = &hyp_spinlock_ops,
        .lock_arg = &hp.lock,
        .flags = HYP_POOL_ZERO_NOW,
    };
    p->used = p->peak = 0;
    hpool_ops = hyp_pool_mm_ops;
    hpool_ops.dcache_clean_inval_poc = bp_dcache;
    hpool_ops.icache_inval_pou = bp_icache;
    hpool_ops.tlbi_va = bp_tlbi_va;
    hpool_ops.tlbi_range = bp_tlbi_range;
    hpool_ops.tlbi_all = bp_tlbi_all;
    ret = hyp_pool_init(&hp.pool, &hp.vm, p->pa_base >> shift, p->nr, 0, &cfg);
    if (ret)
        return ret;
    /* Linear map and vmemmap counts, as an embedder of hyp_pool would. */
    hyp_pool_mm_ops_hints(&hpool_ops, &hp.pool);
    return hpool_ops.linear_offset == off ? 0 : -1;
}

size_t bpool_hyp_pool_used(void)
{
    return (size_t)(hp.pool.range_end - hp.pool.range_start) -
           (size_t)hyp_pool_nr_free_pages(&hp.pool);
}
