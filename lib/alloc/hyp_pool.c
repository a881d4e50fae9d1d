// SPDX-License-Identifier: MIT
/*
 * hyp_pool: buddy allocator with its free lists in the vmemmap.
 *
 * Free-list links are 24-bit record indices from pool->base (the pool's
 * link window; HYP_POOL_NIL = none): a free block's head record keeps
 * "next" in link[23:0] and "prev" split between the refcount bytes (bits
 * 15:0) and link[31:24] (bits 23:16). Records of pages that head no block
 * are kept in the "tail" state: count 0, order HYP_NO_ORDER, no flags, no
 * links. Order-0 pages on the put cache are free but on no list
 * (HYP_PAGE_FREE | HYP_PAGE_CACHED): the buddy test ignores them.
 */
#include "pgtable/hyp_pool.h"

#include "clear_pages.h"

#define LINK_MASK 0xffffffu

/* --- lock ---------------------------------------------------------------- */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

void hyp_spin_lock(void *lock)
{
    struct hyp_spinlock *l = lock;

    for (;;) {
        /* Acquire: the critical section's accesses stay after this. */
        if (!atomic_exchange_explicit(&l->locked, 1u, memory_order_acquire))
            return;
        while (atomic_load_explicit(&l->locked, memory_order_relaxed))
            cpu_relax();
    }
}

void hyp_spin_unlock(void *lock)
{
    struct hyp_spinlock *l = lock;

    /* Release: the critical section's accesses complete before this. */
    atomic_store_explicit(&l->locked, 0u, memory_order_release);
}

const struct hyp_lock_ops hyp_spinlock_ops = {
    .lock = hyp_spin_lock,
    .unlock = hyp_spin_unlock,
};

/*
 * The pool's lock. hyp_spinlock_ops is taken inline (one exchange, the
 * loop only when contended): the alloc/put fast paths then make no call,
 * so they keep everything in scratch registers.
 */
static inline void pool_lock(const struct hyp_pool *pool)
{
    if (pool->spin) {
        if (!atomic_exchange_explicit(&pool->spin->locked, 1u, memory_order_acquire))
            return;
        hyp_spin_lock(pool->spin);
    } else if (pool->lock) {
        pool->lock->lock(pool->lock_arg);
    }
}

static inline void pool_unlock(const struct hyp_pool *pool)
{
    if (pool->spin)
        atomic_store_explicit(&pool->spin->locked, 0u, memory_order_release);
    else if (pool->lock)
        pool->lock->unlock(pool->lock_arg);
}

/*
 * The fast paths: take the lock only where that needs no call (the
 * library's spinlock uncontended, or no lock at all); false leaves it
 * untaken and the caller goes the slow way, through pool_lock(). The fast
 * paths then make no call at all, so they need no callee-saved registers.
 */
static inline bool lock_inline(const struct hyp_pool *pool)
{
    if (pool->spin)
        return !atomic_exchange_explicit(&pool->spin->locked, 1u, memory_order_acquire);
    return !pool->lock;
}

static inline void unlock_inline(const struct hyp_pool *pool)
{
    if (pool->spin)
        atomic_store_explicit(&pool->spin->locked, 0u, memory_order_release);
}

/* --- records and links ---------------------------------------------------- */

static inline uint32_t page_idx(const struct hyp_pool *pool, const struct hyp_page *p)
{
    return (uint32_t)(p - pool->base);
}

/*
 * The record as one 64-bit word (little-endian): [15:0] refcount or
 * prev[15:0], [23:16] order, [31:24] flags, [55:32] next, [63:56]
 * prev[23:16]. Free-list updates are whole-word read-modify-writes.
 */
#define W_ORDER_SHIFT 16
#define W_FLAGS_SHIFT 24
#define W_NEXT_SHIFT 32
#define W_NEXT_MASK (0xffffffull << W_NEXT_SHIFT)
#define W_PREV_MASK (0xffffull | (0xffull << 56))
#define W_TAIL ((uint64_t)HYP_NO_ORDER << W_ORDER_SHIFT)
/* A page on the put cache: free, cached, dirty, nothing else. */
#define W_CACHED ((uint64_t)(HYP_PAGE_FREE | HYP_PAGE_CACHED | HYP_PAGE_DIRTY) << W_FLAGS_SHIFT)

static inline uint64_t w_prev(uint32_t prev)
{
    return (uint64_t)(prev & 0xffffu) | ((uint64_t)(prev >> 16) << 56);
}

static inline uint32_t link_next(const struct hyp_page *p)
{
    return (uint32_t)((p->word & W_NEXT_MASK) >> W_NEXT_SHIFT);
}

static inline uint32_t link_prev(const struct hyp_page *p)
{
    return (uint32_t)(p->word & 0xffffu) | (uint32_t)((p->word >> 56) << 16);
}

static inline void set_next(struct hyp_page *p, uint32_t next)
{
    p->word = (p->word & ~W_NEXT_MASK) | ((uint64_t)next << W_NEXT_SHIFT);
}

static inline void set_prev(struct hyp_page *p, uint32_t prev)
{
    p->word = (p->word & ~W_PREV_MASK) | w_prev(prev);
}

static inline void set_tail(struct hyp_page *p)
{
    p->word = W_TAIL;
}

/* Make @p the head of a free block of @order and push it on its list. */
static inline void push_free(struct hyp_pool *pool, struct hyp_page *p,
                             unsigned int order, uint8_t dirty)
{
    uint32_t idx = page_idx(pool, p);
    uint32_t head = pool->head[order];

    p->word = w_prev(HYP_POOL_NIL) | ((uint64_t)order << W_ORDER_SHIFT) |
              ((uint64_t)(HYP_PAGE_FREE | dirty) << W_FLAGS_SHIFT) |
              ((uint64_t)head << W_NEXT_SHIFT);
    if (head != HYP_POOL_NIL)
        set_prev(&pool->base[head], idx);
    pool->head[order] = idx;
    pool->nr_free[order]++;
}

/* Take free block @p of @order off its list (anywhere in it). */
static inline void unlink_free(struct hyp_pool *pool, struct hyp_page *p,
                               unsigned int order)
{
    uint32_t prev = link_prev(p);
    uint32_t next = link_next(p);

    if (prev != HYP_POOL_NIL)
        set_next(&pool->base[prev], next);
    else
        pool->head[order] = next;
    if (next != HYP_POOL_NIL)
        set_prev(&pool->base[next], prev);
    pool->nr_free[order]--;
}

static inline bool in_range(const struct hyp_pool *pool, uint64_t pfn)
{
    return pfn - pool->range_start < pool->range_end - pool->range_start;
}

/* Whether the vmemmap describes @p and a free list can link it. */
static inline bool page_ok(const struct hyp_pool *pool, const struct hyp_page *p)
{
    return (uint64_t)(p - pool->vm->pages) < pool->vm->nr_pages &&
           (uint64_t)(p - pool->base) < HYP_VMEMMAP_MAX_LINKED;
}

/* --- init ----------------------------------------------------------------- */

static inline unsigned int floor_log2(uint64_t x)
{
    return 63u - (unsigned int)__builtin_clzll(x);
}

int hyp_pool_init(struct hyp_pool *pool, const struct hyp_vmemmap *vm,
                  uint64_t pfn, uint64_t nr_pages, uint64_t reserved_pages,
                  const struct hyp_pool_cfg *cfg)
{
    unsigned int cap = HYP_POOL_DEFAULT_MAX_ORDER;
    uint32_t flags = 0;
    uint64_t i, cur, end, start;
    uint8_t dirty;

    if (!pool || !vm || !vm->pages || nr_pages == 0 || reserved_pages > nr_pages)
        return -PGT_EINVAL;
    if (cfg) {
        cap = cfg->max_order;
        flags = cfg->flags;
        if (cap > HYP_POOL_MAX_ORDER)
            return -PGT_EINVAL;
        if (flags & ~(uint32_t)(HYP_POOL_MEM_ZEROED | HYP_POOL_ZERO_NOW))
            return -PGT_EINVAL;
        if (cfg->lock && (!cfg->lock->lock || !cfg->lock->unlock))
            return -PGT_EINVAL;
    }
    if (pfn < vm->first_pfn || pfn - vm->first_pfn > vm->nr_pages ||
        nr_pages > vm->nr_pages - (pfn - vm->first_pfn))
        return -PGT_EINVAL;
    if (nr_pages >= HYP_VMEMMAP_MAX_LINKED)
        return -PGT_ERANGE;
    /*
     * Every record a live pool holds is non-zero (a tail has order
     * HYP_NO_ORDER, a free head HYP_PAGE_FREE, an allocated page a count),
     * so zero records are the range no pool owns. Anything else is a range
     * overlapping a live pool, or a vmemmap that was never cleared.
     */
    for (i = 0; i < nr_pages; i++)
        if (hyp_pfn_to_page(vm, pfn + i)->word)
            return -PGT_EBUSY;

    pool->vm = vm;
    /*
     * Links are 24-bit indices from pool->base: the vmemmap's start when
     * the pool lies within its first 2^24 - 1 records, else a window
     * reaching as far below the pool as above it, for external pages.
     */
    start = pfn - vm->first_pfn;
    if (start + nr_pages <= HYP_VMEMMAP_MAX_LINKED)
        pool->base = vm->pages;
    else
        pool->base = vm->pages + (start - (HYP_VMEMMAP_MAX_LINKED - nr_pages) / 2);
    pool->range_start = pfn;
    pool->range_end = pfn + nr_pages;
    for (i = 0; i <= HYP_POOL_MAX_ORDER; i++) {
        pool->head[i] = HYP_POOL_NIL;
        pool->nr_free[i] = 0;
    }
    pool->max_order = (uint8_t)(floor_log2(nr_pages) < cap ? floor_log2(nr_pages) : cap);
    pool->lock = cfg ? cfg->lock : NULL;
    pool->lock_arg = cfg ? cfg->lock_arg : NULL;
    pool->spin = pool->lock == &hyp_spinlock_ops ? pool->lock_arg : NULL;
    pool->free_pages = nr_pages - reserved_pages;
    pool->nr_cached = 0;

    /* Reserved pages: independent order-0 pages, count 1. */
    for (i = 0; i < reserved_pages; i++) {
        struct hyp_page *p = hyp_pfn_to_page(vm, pfn + i);

        set_tail(p);
        p->order = 0;
        p->refcount = 1;
    }
    cur = pfn + reserved_pages;
    end = pfn + nr_pages;
    for (i = cur; i < end; i++)
        set_tail(hyp_pfn_to_page(vm, i));

    if (flags & HYP_POOL_ZERO_NOW) {
        void (*clear)(void *, size_t) = vm->clear_pages ? vm->clear_pages : hyp_clear_pages;

        for (i = cur; i < end; i++)
            clear(hyp_phys_to_virt(vm, hyp_pfn_to_phys(vm, i)), 1ul << vm->granule_shift);
    }
    dirty = (flags & (HYP_POOL_MEM_ZEROED | HYP_POOL_ZERO_NOW)) ? 0 : HYP_PAGE_DIRTY;

    /*
     * Carve the free range into the largest naturally aligned blocks that
     * fit: exactly what freeing every page one by one and coalescing would
     * leave.
     */
    while (cur < end) {
        unsigned int order = cur ? (unsigned int)__builtin_ctzll(cur) : 63u;

        if (order > pool->max_order)
            order = pool->max_order;
        while (cur + (1ull << order) > end)
            order--;
        push_free(pool, hyp_pfn_to_page(vm, cur), order, dirty);
        cur += 1ull << order;
    }
    return 0;
}

/* --- alloc ---------------------------------------------------------------- */

static void drain_locked(struct hyp_pool *pool);

/* Zero @size bytes at @va with the vmemmap's hook; @va. */
static __attribute__((noinline)) void *clear_hooked(const struct hyp_vmemmap *vm,
                                                    void *va, size_t size)
{
    vm->clear_pages(va, size);
    return va;
}

/* The block at @va of @order, zeroed if @dirty. */
static inline void *clear_block(const struct hyp_vmemmap *vm, void *va,
                                unsigned int order, uint8_t dirty)
{
    size_t size = (size_t)1 << (vm->granule_shift + order);

    if (!dirty)
        return va;
    if (vm->clear_pages)
        return clear_hooked(vm, va, size);
    pgt_clear_pages_inline(va, size);
    return va;
}

/*
 * A record the pool was about to hand out is not what its list or cache
 * says (overwritten by a stray write or by a pool sharing the range):
 * report it, change nothing, and fail the allocation (pool lock held,
 * released here).
 */
static __attribute__((noinline, cold)) void *bad_free_block(struct hyp_pool *pool,
                                                           const struct hyp_page *p)
{
    uint64_t pfn = (uint64_t)(p - pool->vm->pages) + pool->vm->first_pfn;

    pool_unlock(pool);
    hyp_vmemmap_panic(pool->vm, HYP_PANIC_BAD_FREE_BLOCK, pfn);
    return NULL;
}

/* Whether @p heads a free block of @order that the pool may hand out:
 * a listed (not cached) free head, described by the vmemmap, and for a
 * block of the pool's own range, aligned and inside it. */
static inline bool free_block_ok(const struct hyp_pool *pool, const struct hyp_page *p,
                                 unsigned int order)
{
    const uint64_t mask = ((uint64_t)0xff << W_ORDER_SHIFT) |
                          ((uint64_t)(HYP_PAGE_FREE | HYP_PAGE_CACHED) << W_FLAGS_SHIFT);
    uint64_t idx = (uint64_t)(p - pool->vm->pages);
    uint64_t pfn = idx + pool->vm->first_pfn;

    /* A corrupt link may point anywhere: read only records that exist. */
    if (idx >= pool->vm->nr_pages)
        return false;
    if ((p->word & mask) !=
        (((uint64_t)order << W_ORDER_SHIFT) | ((uint64_t)HYP_PAGE_FREE << W_FLAGS_SHIFT)))
        return false;
    if (in_range(pool, pfn))
        return !(pfn & ((1ull << order) - 1)) && (1ull << order) <= pool->range_end - pfn;
    return (1ull << order) <= pool->vm->nr_pages - idx;
}

/* Pop the page freed last off the put cache (pool lock held); NULL, and
 * nothing popped, when its record says it is not a cached page. */
static inline struct hyp_page *take_cached(struct hyp_pool *pool, uint8_t *dirty)
{
    struct hyp_page *p = &pool->base[pool->cache[pool->nr_cached - 1]];

    if (__builtin_expect(p->word != W_CACHED, 0))
        return NULL;
    pool->nr_cached--;
    *dirty = HYP_PAGE_DIRTY;
    p->word = 1u; /* count 1, order 0, no flags */
    pool->free_pages--;
    return p;
}

/* hyp_alloc_pages() with the pool lock held (released on return). */
static __attribute__((noinline)) void *alloc_locked(struct hyp_pool *pool,
                                                    unsigned int order)
{
    struct hyp_page *p;
    unsigned int i = order;
    uint32_t idx, next;
    uint8_t dirty;

    if (pool->nr_cached) {
        if (order == 0) {
            p = take_cached(pool, &dirty);
            if (!p)
                return bad_free_block(pool, &pool->base[pool->cache[pool->nr_cached - 1]]);
            pool_unlock(pool);
            return clear_block(pool->vm, hyp_page_to_virt(pool->vm, p), 0, dirty);
        }
        drain_locked(pool);
    }
    while (pool->head[i] == HYP_POOL_NIL) {
        if (++i > pool->max_order) {
            pool_unlock(pool);
            return NULL;
        }
    }
    /* Pop the head of list i, once its record says it is that block. */
    idx = pool->head[i];
    p = &pool->base[idx];
    if (__builtin_expect(!free_block_ok(pool, p, i), 0))
        return bad_free_block(pool, p);
    next = link_next(p);
    pool->head[i] = next;
    if (next != HYP_POOL_NIL)
        set_prev(&pool->base[next], HYP_POOL_NIL);
    pool->nr_free[i]--;
    dirty = p->flags & HYP_PAGE_DIRTY;

    /* Give back the upper halves until the block has the order asked. */
    while (i > order) {
        i--;
        push_free(pool, p + (1u << i), i, dirty);
    }
    p->word = 1u | ((uint64_t)order << W_ORDER_SHIFT); /* count 1, no flags */
    pool->free_pages -= 1ull << order;
    pool_unlock(pool);

    /* The block is ours now: zero it outside the lock. */
    return clear_block(pool->vm, hyp_page_to_virt(pool->vm, p), order, dirty);
}

static __attribute__((noinline)) void *alloc_slow(struct hyp_pool *pool,
                                                  unsigned int order)
{
    if (order > pool->max_order)
        return NULL;
    pool_lock(pool);
    return alloc_locked(pool, order);
}

void *hyp_alloc_pages(struct hyp_pool *pool, unsigned int order)
{
    struct hyp_page *p;
    uint8_t dirty;

    /* Fast path: order 0 from the put cache, the page freed last. */
    if (order != 0 || !lock_inline(pool))
        return alloc_slow(pool, order);
    if (!pool->nr_cached)
        return alloc_locked(pool, 0);
    p = take_cached(pool, &dirty);
    if (__builtin_expect(!p, 0))
        return alloc_locked(pool, 0); /* reports the bad record */
    unlock_inline(pool);
    return clear_block(pool->vm, hyp_page_to_virt(pool->vm, p), 0, dirty);
}

/* --- free ----------------------------------------------------------------- */

/* Put block @p of @order on the free lists, coalesced (pool lock held;
 * free_pages already accounts for it). */
static __attribute__((noinline)) void coalesce_block(struct hyp_pool *pool,
                                                    struct hyp_page *p,
                                                    unsigned int order)
{
    const struct hyp_vmemmap *vm = pool->vm;
    uint64_t pfn = hyp_page_to_pfn(vm, p);

    /* External pages go on their list as they are (pKVM's rule). */
    if (in_range(pool, pfn)) {
        while (order < pool->max_order) {
            uint64_t bpfn = pfn ^ (1ull << order);
            struct hyp_page *b;

            if (!in_range(pool, bpfn))
                break;
            b = hyp_pfn_to_page(vm, bpfn);
            /* The buddy must head a free block of the same order. */
            if ((b->word & (((uint64_t)0xff << W_ORDER_SHIFT) |
                            ((uint64_t)(HYP_PAGE_FREE | HYP_PAGE_CACHED) << W_FLAGS_SHIFT))) !=
                (((uint64_t)order << W_ORDER_SHIFT) |
                 ((uint64_t)HYP_PAGE_FREE << W_FLAGS_SHIFT)))
                break;
            unlink_free(pool, b, order);
            /* The higher half's record becomes a tail. */
            if (bpfn < pfn) {
                set_tail(p);
                p = b;
                pfn = bpfn;
            } else {
                set_tail(b);
            }
            order++;
        }
    }
    push_free(pool, p, order, HYP_PAGE_DIRTY);
}

/* Free and coalesce every cached page (pool lock held). */
static void drain_locked(struct hyp_pool *pool)
{
    while (pool->nr_cached) {
        struct hyp_page *p = &pool->base[pool->cache[--pool->nr_cached]];

        /* A record changed behind the pool's back: the page may be in use
         * elsewhere, so it must not reach the free lists. */
        if (__builtin_expect(p->word != W_CACHED, 0)) {
            hyp_vmemmap_panic(pool->vm, HYP_PANIC_BAD_FREE_BLOCK,
                              (uint64_t)(p - pool->vm->pages) + pool->vm->first_pfn);
            continue;
        }
        coalesce_block(pool, p, 0);
    }
}

/* @p's count just reached 0: free the block it heads (pool lock held). */
/* Free order-0 page @p onto the put cache, which has room (pool lock
 * held; free_pages already accounts for it). */
static inline void cache_page(struct hyp_pool *pool, struct hyp_page *p)
{
    p->word = W_CACHED;
    pool->cache[pool->nr_cached++] = page_idx(pool, p);
}

static inline void attach_page(struct hyp_pool *pool, struct hyp_page *p)
{
    unsigned int order = p->order;

    pool->free_pages += 1ull << order;
    if (order == 0) {
        /* Defer: onto the put cache (drained first when full). */
        if (__builtin_expect(pool->nr_cached == HYP_POOL_CACHE, 0))
            drain_locked(pool);
        cache_page(pool, p);
        return;
    }
    coalesce_block(pool, p, order);
}

/* Checks shared by get/put/split: panics and returns false on misuse. */
static inline bool check_page(const struct hyp_pool *pool, const struct hyp_page *p,
                              enum hyp_page_panic free_why)
{
    if (!page_ok(pool, p)) {
        hyp_vmemmap_panic(pool->vm, HYP_PANIC_BAD_PAGE,
                          (uint64_t)(p - pool->vm->pages) + pool->vm->first_pfn);
        return false;
    }
    if (p->flags & HYP_PAGE_FREE) {
        hyp_vmemmap_panic(pool->vm, free_why, hyp_page_to_pfn(pool->vm, p));
        return false;
    }
    return true;
}

static inline void put_locked(struct hyp_pool *pool, struct hyp_page *p, unsigned int n)
{
    if (!check_page(pool, p, HYP_PANIC_REF_UNDERFLOW))
        return;
    if (n > p->refcount) {
        hyp_vmemmap_panic(pool->vm, HYP_PANIC_REF_UNDERFLOW, hyp_page_to_pfn(pool->vm, p));
        return;
    }
    if (p->order > HYP_POOL_MAX_ORDER && p->refcount == n) {
        /* A count that falls to 0 on a page heading no block. */
        hyp_vmemmap_panic(pool->vm, HYP_PANIC_BAD_PAGE, hyp_page_to_pfn(pool->vm, p));
        return;
    }
    p->refcount = (uint16_t)(p->refcount - n);
    if (p->refcount == 0)
        attach_page(pool, p);
}

static inline void get_locked(struct hyp_pool *pool, struct hyp_page *p, unsigned int n)
{
    if (!check_page(pool, p, HYP_PANIC_FREE_PAGE))
        return;
    /* Count 0 without HYP_PAGE_FREE: a page inside a free block or a
     * block's tail page. Neither may gain a reference. */
    if (p->refcount == 0) {
        hyp_vmemmap_panic(pool->vm, HYP_PANIC_FREE_PAGE, hyp_page_to_pfn(pool->vm, p));
        return;
    }
    hyp_page_ref_add(pool->vm, p, n);
}

static __attribute__((noinline)) void put_slow(struct hyp_pool *pool,
                                               struct hyp_page *p, unsigned int n)
{
    pool_lock(pool);
    put_locked(pool, p, n);
    pool_unlock(pool);
}

static __attribute__((noinline)) void get_slow(struct hyp_pool *pool,
                                               struct hyp_page *p, unsigned int n)
{
    pool_lock(pool);
    get_locked(pool, p, n);
    pool_unlock(pool);
}

/* put_locked() and the unlock (pool lock held), out of line. */
static __attribute__((noinline)) void put_unlock(struct hyp_pool *pool,
                                                 struct hyp_page *p, unsigned int n)
{
    put_locked(pool, p, n);
    unlock_inline(pool);
}

static __attribute__((noinline)) void get_unlock(struct hyp_pool *pool,
                                                 struct hyp_page *p, unsigned int n)
{
    get_locked(pool, p, n);
    unlock_inline(pool);
}

/*
 * Drop @n (> 0) references on @p. Inline, the two common cases: the count
 * stays above zero, or an order-0 page goes onto a put cache with room.
 * Every other case (misuse, a block, a full cache) is put_locked()'s.
 */
static inline void put_n(struct hyp_pool *pool, struct hyp_page *p, unsigned int n)
{
    if (!lock_inline(pool))
        return put_slow(pool, p, n);
    if (page_ok(pool, p) && !(p->flags & HYP_PAGE_FREE)) {
        if (p->refcount > n) {
            p->refcount = (uint16_t)(p->refcount - n);
            unlock_inline(pool);
            return;
        }
        if (p->refcount == n && p->order == 0 && pool->nr_cached < HYP_POOL_CACHE) {
            pool->free_pages++;
            cache_page(pool, p);
            unlock_inline(pool);
            return;
        }
    }
    put_unlock(pool, p, n);
}

/* Take @n (> 0) references on @p; inline when the count stays in range. */
static inline void get_n(struct hyp_pool *pool, struct hyp_page *p, unsigned int n)
{
    if (!lock_inline(pool))
        return get_slow(pool, p, n);
    if (page_ok(pool, p) && !(p->flags & HYP_PAGE_FREE) && p->refcount &&
        n <= HYP_PAGE_REFCOUNT_MAX - p->refcount) {
        p->refcount = (uint16_t)(p->refcount + n);
        unlock_inline(pool);
        return;
    }
    get_unlock(pool, p, n);
}

void hyp_pool_put_page(struct hyp_pool *pool, struct hyp_page *p)
{
    put_n(pool, p, 1);
}

void hyp_pool_get_page(struct hyp_pool *pool, struct hyp_page *p)
{
    get_n(pool, p, 1);
}

void hyp_put_page(struct hyp_pool *pool, void *addr)
{
    put_n(pool, hyp_virt_to_page(pool->vm, addr), 1);
}

void hyp_get_page(struct hyp_pool *pool, void *addr)
{
    get_n(pool, hyp_virt_to_page(pool->vm, addr), 1);
}

void hyp_put_page_n(struct hyp_pool *pool, void *addr, unsigned int n)
{
    if (n == 0)
        return;
    put_n(pool, hyp_virt_to_page(pool->vm, addr), n);
}

void hyp_get_page_n(struct hyp_pool *pool, void *addr, unsigned int n)
{
    if (n == 0)
        return;
    get_n(pool, hyp_virt_to_page(pool->vm, addr), n);
}

/* --- split and statistics -------------------------------------------------- */

void hyp_split_page(struct hyp_pool *pool, struct hyp_page *p)
{
    unsigned int order, i;

    pool_lock(pool);
    if (!check_page(pool, p, HYP_PANIC_FREE_PAGE))
        goto out;
    order = p->order;
    /* Only the sole holder may split: with other references the block
     * must stay whole for them. */
    if (order == HYP_NO_ORDER || p->refcount != 1) {
        hyp_vmemmap_panic(pool->vm, HYP_PANIC_BAD_PAGE, hyp_page_to_pfn(pool->vm, p));
        goto out;
    }
    for (i = 1; i < (1u << order); i++) {
        struct hyp_page *t = p + i;

        t->flags = 0;
        t->link = 0;
        t->order = 0;
        t->refcount = 1;
    }
    p->order = 0;
out:
    pool_unlock(pool);
}

/*
 * Lock-free, as pKVM's hyp_page_count(): one single-copy-atomic read of
 * the whole record gives a consistent count (0 while the page heads a free
 * block). The table code asks for the count of every table page it may
 * free; a lock round trip there was two atomics per question.
 */
unsigned int hyp_page_count_va(const struct hyp_pool *pool, const void *addr)
{
    const struct hyp_page *p = hyp_virt_to_page(pool->vm, addr);
    uint64_t w = __atomic_load_n(&p->word, __ATOMIC_RELAXED);

    if ((w >> W_FLAGS_SHIFT) & HYP_PAGE_FREE)
        return 0;
    return (unsigned int)(w & 0xffff);
}

uint64_t hyp_pool_nr_free_blocks(struct hyp_pool *pool, unsigned int order)
{
    uint64_t n;

    if (order > HYP_POOL_MAX_ORDER)
        return 0;
    pool_lock(pool);
    drain_locked(pool);
    n = pool->nr_free[order];
    pool_unlock(pool);
    return n;
}

void hyp_pool_drain(struct hyp_pool *pool)
{
    pool_lock(pool);
    drain_locked(pool);
    pool_unlock(pool);
}

uint64_t hyp_pool_nr_free_pages(const struct hyp_pool *pool)
{
    uint64_t n;

    pool_lock(pool);
    n = pool->free_pages;
    pool_unlock(pool);
    return n;
}
