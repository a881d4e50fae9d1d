/* SPDX-License-Identifier: MIT */
/*
 * hyp_pool: pKVM's buddy allocator over a physical range described by a
 * vmemmap (hyp_page.h).
 *
 * Blocks are 2^order pages, naturally aligned in physical memory (a block's
 * buddy is found by XOR-ing its PFN with 2^order). Free blocks sit on one
 * doubly linked list per order whose links live in the vmemmap records, so
 * every list operation is O(1) and freeing never touches page memory.
 *
 * Zeroing is lazy: a free block remembers whether it may hold data
 * (HYP_PAGE_DIRTY); hyp_alloc_pages() zeroes a dirty block when it hands it
 * out and skips the work for a block known to be zero (never handed out
 * since the pool was initialised with zeroed memory, or since it was last
 * zeroed). Every block handed out is zero.
 *
 * Reference counts: an allocated block's head page has count >= 1, its
 * other pages 0 (hyp_split_page() makes them independent order-0 pages).
 * A page whose count drops to 0 is freed and coalesced with its free
 * buddies up to the pool's max_order, never across the pool's range.
 *
 * External pages (outside [pfn, pfn + nr_pages) but described by the same
 * vmemmap, e.g. handed to the pool by hyp_set_page_refcounted() + put) are
 * accepted the way pKVM accepts them: freed into the list of their order
 * without coalescing, and handed out again like any other block.
 *
 * Deferred coalescing of order-0 pages: a freed order-0 page first goes
 * to a small per-pool stack (HYP_POOL_CACHE pages) that alloc(0) pops, so
 * an alloc/put pair does not split and re-merge a whole max-order block.
 * The stack is drained (every page freed and coalesced as usual) when it is
 * full, before any allocation of order > 0, when alloc(0) finds it empty,
 * and before hyp_pool_nr_free_blocks() reports: the per-order free counts
 * and the block layout anyone can observe are always those of an eagerly
 * coalescing buddy allocator. A cached page reads count 0 and is free for
 * get/put/split checks like any free page.
 *
 * Locking: every public function takes the pool's lock (hyp_pool_cfg.lock)
 * for its whole duration; with no lock the caller serialises. Several pools
 * may share one vmemmap; their ranges must not overlap, which
 * hyp_pool_init() enforces (a live pool's records are never zero). With
 * hyp_spinlock_ops the common paths (alloc(0) from the put cache, get, a
 * put that keeps the page or caches it) take it inline, without a call.
 */
#ifndef PGTABLE_HYP_POOL_H
#define PGTABLE_HYP_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "hyp_page.h"

/* Highest order a pool can be configured for, and the default cap
 * (pKVM's MAX_PAGE_ORDER for 4K pages: 4 MiB blocks). */
#define HYP_POOL_MAX_ORDER 23
#define HYP_POOL_DEFAULT_MAX_ORDER 10

/**
 * struct hyp_lock_ops - a lock: the embedder's, or hyp_spinlock_ops below.
 */
struct hyp_lock_ops {
    void (*lock)(void *lock);   /* take the lock at hyp_pool_cfg.lock_arg */
    void (*unlock)(void *lock); /* release it */
};

/**
 * struct hyp_spinlock - test-and-test-and-set spinlock on C11 atomics
 * (acquire/release), for hosts and for EL2 ports without their own.
 * Zero-initialised = unlocked.
 */
struct hyp_spinlock {
    atomic_uint locked; /* 1 while held */
};

/**
 * hyp_spin_lock() - take a struct hyp_spinlock, spinning until it is
 * free; acquire ordering.
 * @lock: the struct hyp_spinlock
 */
void hyp_spin_lock(void *lock);

/**
 * hyp_spin_unlock() - release a struct hyp_spinlock; release ordering.
 * @lock: the struct hyp_spinlock, held by the caller
 */
void hyp_spin_unlock(void *lock);

/* hyp_spin_lock/unlock as a struct hyp_lock_ops. */
extern const struct hyp_lock_ops hyp_spinlock_ops;

/* hyp_pool_cfg.flags */
#define HYP_POOL_MEM_ZEROED (1u << 0) /* the free range is already zero */
#define HYP_POOL_ZERO_NOW (1u << 1)   /* zero the free range in init */

/**
 * struct hyp_pool_cfg - optional pool configuration (a NULL cfg: max order
 * HYP_POOL_DEFAULT_MAX_ORDER, no lock, lazy zeroing).
 */
struct hyp_pool_cfg {
    unsigned int max_order;           /* cap on block order, <= HYP_POOL_MAX_ORDER */
    const struct hyp_lock_ops *lock;  /* NULL: no locking */
    void *lock_arg;                   /* passed to lock/unlock */
    uint32_t flags;                   /* HYP_POOL_* */
};

#define HYP_POOL_NIL 0xffffffu /* empty list link */
#define HYP_POOL_CACHE 16      /* order-0 pages whose coalescing is deferred */

/**
 * struct hyp_pool - a buddy allocator's state; filled by hyp_pool_init(),
 * then changed only by the functions below (under its lock).
 */
struct hyp_pool {
    const struct hyp_vmemmap *vm; /* records of the pool's pages */
    struct hyp_page *base;       /* record of link index 0 (link window start) */
    uint64_t range_start;        /* first PFN of the pool's own range */
    uint64_t range_end;          /* PFN after it */
    uint32_t head[HYP_POOL_MAX_ORDER + 1];     /* free list heads */
    uint64_t nr_free[HYP_POOL_MAX_ORDER + 1];  /* free blocks per order */
    uint64_t free_pages;         /* pages in free blocks */
    uint8_t max_order;           /* largest block order (inclusive) */
    uint32_t nr_cached;          /* pages on the put cache */
    uint32_t cache[HYP_POOL_CACHE]; /* their link indices (a stack) */
    const struct hyp_lock_ops *lock; /* NULL: the caller serialises */
    void *lock_arg;              /* passed to lock/unlock */
    struct hyp_spinlock *spin;   /* internal: lock_arg when lock is
                                  * hyp_spinlock_ops (taken inline) */
};

/**
 * hyp_pool_init() - make [@pfn, @pfn + @nr_pages) a pool.
 * @pool:           out (untouched on error)
 * @vm:             vmemmap describing the whole range
 * @pfn:            first page of the range
 * @nr_pages:       pages in the range, > 0
 * @reserved_pages: the first @reserved_pages pages stay allocated, each an
 *                  order-0 page with count 1 (hyp_put_page() gives one to
 *                  the pool later); the rest are free
 * @cfg:            NULL or options (see struct hyp_pool_cfg)
 *
 * The records of the range must be zero, as in a freshly zeroed vmemmap
 * (pKVM backs it with zeroed pages): every record of a live pool is
 * non-zero, so this refuses a range that overlaps a live pool. To give
 * the range of a pool no longer used to a new pool, zero its records.
 *
 * max_order = min(floor(log2(@nr_pages)), cfg max_order). The free pages
 * are carved into the largest naturally aligned blocks that fit. Writes
 * the records of the range; page memory only with HYP_POOL_ZERO_NOW.
 *
 * Return: 0; -PGT_EINVAL for NULL @pool/@vm, @nr_pages 0, @reserved_pages >
 * @nr_pages, a range the vmemmap does not describe, max_order >
 * HYP_POOL_MAX_ORDER, a lock without both hooks, or unknown flags;
 * -PGT_ERANGE for a pool of HYP_VMEMMAP_MAX_LINKED pages or more;
 * -PGT_EBUSY when a record of the range is not zero (the range overlaps a
 * live pool, or the vmemmap was not cleared). External pages freed into the pool
 * must lie within the pool's link window (HYP_VMEMMAP_MAX_LINKED records:
 * the vmemmap's first ones if the pool fits there, else centred on the
 * pool); others go to the panic hook (HYP_PANIC_BAD_PAGE).
 */
int hyp_pool_init(struct hyp_pool *pool, const struct hyp_vmemmap *vm,
                  uint64_t pfn, uint64_t nr_pages, uint64_t reserved_pages,
                  const struct hyp_pool_cfg *cfg);

/**
 * hyp_alloc_pages() - allocate 2^@order zeroed, physically contiguous
 * pages aligned to their size. The head page's count is 1.
 * @pool:  the pool
 * @order: log2 of the number of pages
 *
 * Before handing a block out, its record is checked: a block a free list
 * or the put cache holds must head a free block of that order, lie in the
 * vmemmap and, for the pool's own range, be aligned and inside it. A
 * record that says otherwise was overwritten behind the pool's back: the
 * panic hook is called (HYP_PANIC_BAD_FREE_BLOCK) and, if it returns,
 * NULL with the pool unchanged.
 *
 * Return: the block's virtual address; NULL if @order > max_order, no
 * block is free, or a bad record was reported (the pool is unchanged).
 */
void *hyp_alloc_pages(struct hyp_pool *pool, unsigned int order);

/**
 * hyp_get_page() - count +1 on the page at @addr (the pool's lock taken
 * inside). A page with count 0 (free, inside a free block, or a block's
 * tail page: all of HYP_PANIC_FREE_PAGE), an overflow, or a page the pool
 * cannot link (see hyp_pool_init()) goes to the panic hook and changes
 * nothing.
 * @pool: the pool the page belongs to
 * @addr: the page's virtual address
 */
void hyp_get_page(struct hyp_pool *pool, void *addr);

/**
 * hyp_put_page() - count -1 on the page at @addr; at 0 the block it heads
 * is freed and coalesced. Underflow (count 0: a free page or a block's
 * tail page) or a page the pool cannot link goes to the panic hook and
 * changes nothing.
 * @pool: the pool the page belongs to
 * @addr: the page's virtual address
 */
void hyp_put_page(struct hyp_pool *pool, void *addr);

/**
 * hyp_get_page_n() - the count of @n calls of hyp_get_page(), with one
 * lock round trip, all or nothing (a count that cannot take all @n goes
 * to the panic hook unchanged); @n 0 does nothing.
 * @pool: the pool the page belongs to
 * @addr: the page's virtual address
 * @n:    references to add
 */
void hyp_get_page_n(struct hyp_pool *pool, void *addr, unsigned int n);

/**
 * hyp_put_page_n() - the count of @n calls of hyp_put_page(), with one
 * lock round trip, all or nothing (a count that cannot give all @n goes
 * to the panic hook unchanged); @n 0 does nothing.
 * @pool: the pool the page belongs to
 * @addr: the page's virtual address
 * @n:    references to drop
 */
void hyp_put_page_n(struct hyp_pool *pool, void *addr, unsigned int n);

/**
 * hyp_pool_get_page() - hyp_get_page() by page record (no address
 * conversion).
 * @pool: the pool the page belongs to
 * @p:    the page's record
 */
void hyp_pool_get_page(struct hyp_pool *pool, struct hyp_page *p);

/**
 * hyp_pool_put_page() - hyp_put_page() by page record (no address
 * conversion).
 * @pool: the pool the page belongs to
 * @p:    the page's record
 */
void hyp_pool_put_page(struct hyp_pool *pool, struct hyp_page *p);

/**
 * hyp_split_page() - make an allocated block of order n 2^n independent
 * order-0 pages, each with count 1 (as pKVM, for exact-size allocations:
 * put the pages not needed). @p must be the block's head with count 1
 * (its only holder); a free page goes to the panic hook as
 * HYP_PANIC_FREE_PAGE, any other count or a page heading no block as
 * HYP_PANIC_BAD_PAGE, and nothing changes.
 * @pool: the pool the block came from
 * @p:    the block's head page record
 */
void hyp_split_page(struct hyp_pool *pool, struct hyp_page *p);

/**
 * hyp_page_count_va() - reference count of the page at @addr, read
 * without the lock: a consistent snapshot, stable while the caller holds
 * a reference.
 * @pool: the pool the page belongs to
 * @addr: the page's virtual address
 *
 * Return: the count; 0 for a free page (in a free block or the put cache).
 */
unsigned int hyp_page_count_va(const struct hyp_pool *pool, const void *addr);

/**
 * hyp_pool_nr_free_blocks() - free blocks of one order; drains the put
 * cache first, so the count is the coalesced one.
 * @pool:  the pool
 * @order: the order asked about
 *
 * Return: the number of free blocks of @order: 0 above
 * HYP_POOL_MAX_ORDER; above the pool's max_order only external blocks
 * freed into it count.
 */
uint64_t hyp_pool_nr_free_blocks(struct hyp_pool *pool, unsigned int order);

/**
 * hyp_pool_drain() - free and coalesce every page of the put cache now.
 * @pool: the pool
 */
void hyp_pool_drain(struct hyp_pool *pool);

/**
 * hyp_pool_nr_free_pages() - free pages, all orders.
 * @pool: the pool
 *
 * Return: the pages in free blocks and on the put cache.
 */
uint64_t hyp_pool_nr_free_pages(const struct hyp_pool *pool);

#endif /* PGTABLE_HYP_POOL_H */
