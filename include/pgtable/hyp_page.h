/* SPDX-License-Identifier: MIT */
/*
 * struct hyp_page and the vmemmap: one small record per physical page, in a
 * linear array the embedder places, as pKVM's hyp_vmemmap.
 *
 * A record holds the page's reference count (16 bits), the order of the
 * block it heads and a few flag bits. While a page heads a free block of a
 * hyp_pool, the record's refcount bytes and its spare word hold that free
 * list's links instead (the pool's lists live in the vmemmap, not in the
 * free pages, so freeing and coalescing never touch page memory): read the
 * count with hyp_page_count(), which gives 0 for a free page.
 *
 * Conversions phys <-> page <-> virt use the vmemmap's first PFN, granule
 * and a constant physical-to-virtual offset (pKVM's hyp_physvirt_offset).
 *
 * Reference count changes are checked: incrementing past 0xffff or
 * decrementing 0 calls the vmemmap's panic hook and leaves the count as it
 * was (never a silent wrap). The hook normally does not return.
 */
#ifndef PGTABLE_HYP_PAGE_H
#define PGTABLE_HYP_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"

/* hyp_page.flags */
#define HYP_PAGE_FREE (1u << 0)  /* heads a free block in some hyp_pool */
#define HYP_PAGE_DIRTY (1u << 1) /* free block may hold non-zero data */
#define HYP_PAGE_CACHED (1u << 2) /* free order-0 page in a pool's put cache
                                   * (with HYP_PAGE_FREE), not yet coalesced */

#define HYP_NO_ORDER 0xffu        /* order of a page heading no block */
#define HYP_PAGE_REFCOUNT_MAX 0xffffu

/**
 * struct hyp_page - the record of one physical page (8 bytes): its
 * reference count, the order of the block it heads and HYP_PAGE_* flags,
 * or, while it heads a free block, that free list's links.
 */
struct hyp_page {
    union {
        struct {
            union {
                uint16_t refcount; /* allocated page: reference count */
                uint16_t prev_lo;  /* free block head: prev link [15:0] */
            };
            uint8_t order; /* block order if the page heads a block, else HYP_NO_ORDER */
            uint8_t flags; /* HYP_PAGE_* */
            uint32_t link; /* free block head: next link in [23:0], prev
                            * link [23:16] in [31:24]; unused otherwise */
        };
        uint64_t word; /* the whole record, for single-store updates */
    };
};

_Static_assert(sizeof(struct hyp_page) <= 8, "struct hyp_page must fit in 8 bytes");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "hyp_page.word layout assumes little-endian");

/* Records one pool's free lists can link: a window of 2^24 - 1 records
 * (64 GiB of 4K pages, 1 TiB of 64K pages) holding the pool's range, and
 * the external pages freed into it. Pools may sit anywhere in a larger
 * vmemmap. */
#define HYP_VMEMMAP_MAX_LINKED 0xffffffu

/* Why the panic hook was called. */
enum hyp_page_panic {
    HYP_PANIC_REF_OVERFLOW = 1,  /* refcount increment past 0xffff */
    HYP_PANIC_REF_UNDERFLOW,     /* refcount decrement of 0 */
    HYP_PANIC_FREE_PAGE,         /* get/put/split of a page that is free */
    HYP_PANIC_BAD_PAGE,          /* page not described by the vmemmap, or
                                  * not linkable into a pool free list, or
                                  * not a block head a split accepts */
    HYP_PANIC_BAD_FREE_BLOCK,    /* a block on a pool's free list or put
                                  * cache whose record says it is not that
                                  * free block, or that lies outside the
                                  * pool (records overwritten) */
};

/**
 * struct hyp_vmemmap - the record array and how addresses map to it.
 * Fill with hyp_vmemmap_init(), set the hooks, then read-only. Records
 * cover PFNs [first_pfn, first_pfn + nr_pages).
 */
struct hyp_vmemmap {
    struct hyp_page *pages; /* record of first_pfn */
    uint64_t first_pfn;     /* PFN of pages[0] */
    uint64_t nr_pages;      /* number of records */
    uint8_t granule_shift;  /* 12, 14 or 16 */
    uint64_t physvirt_offset; /* virt = phys + offset (mod 2^64) */
    /* Called on a broken invariant (see enum hyp_page_panic) with the PFN
     * concerned. May be NULL: then the check traps (__builtin_trap). If the
     * hook returns, the operation is skipped and state left unchanged. */
    void (*panic)(enum hyp_page_panic why, uint64_t pfn);
    /* Zero @size bytes at @addr (granule aligned, a multiple of the
     * granule). NULL: hyp_clear_pages(), the portable routine. An EL2
     * port can plug in DC ZVA, a host a vector memset. */
    void (*clear_pages)(void *addr, size_t size);
};

/**
 * hyp_vmemmap_init() - describe a vmemmap.
 * @vm:              out (untouched on error)
 * @pages:           the record array (nr_pages records), placed and backed
 *                   by the embedder; its content is not touched
 * @first_pfn:       PFN described by pages[0]
 * @nr_pages:        number of records
 * @granule_shift:   12, 14 or 16
 * @physvirt_offset: virt = phys + physvirt_offset for every page
 *
 * Hooks (panic, clear_pages) are NULL afterwards; set them directly.
 * Return: 0; -PGT_EINVAL for NULL @vm/@pages, a bad granule, zero pages, or
 * a PFN range that overflows the physical address space.
 */
int hyp_vmemmap_init(struct hyp_vmemmap *vm, struct hyp_page *pages,
                     uint64_t first_pfn, uint64_t nr_pages,
                     unsigned int granule_shift, uint64_t physvirt_offset);

/**
 * hyp_clear_pages() - zero memory: the portable default behind
 * hyp_vmemmap.clear_pages (REP STOSB on x86-64 hosts, unrolled stores
 * elsewhere; hyp_alloc_pages() runs it inline).
 * @addr: start, 16-byte aligned
 * @size: bytes, a multiple of 64
 */
void hyp_clear_pages(void *addr, size_t size);

/**
 * hyp_vmemmap_panic() - report a broken invariant through @vm's panic
 * hook; with no hook (or NULL @vm), trap.
 * @vm:  the vmemmap
 * @why: what broke
 * @pfn: the page concerned
 */
void hyp_vmemmap_panic(const struct hyp_vmemmap *vm, enum hyp_page_panic why,
                       uint64_t pfn);

/* --- conversions (no checks: the address must be described by the
 * vmemmap) --- */

/**
 * hyp_phys_to_pfn() - the PFN of a physical address.
 * @vm:   the vmemmap
 * @phys: physical address
 *
 * Return: @phys >> granule shift.
 */
static inline uint64_t hyp_phys_to_pfn(const struct hyp_vmemmap *vm, uint64_t phys)
{
    return phys >> vm->granule_shift;
}

/**
 * hyp_pfn_to_phys() - the physical address of a PFN.
 * @vm:  the vmemmap
 * @pfn: page frame number
 *
 * Return: @pfn << granule shift.
 */
static inline uint64_t hyp_pfn_to_phys(const struct hyp_vmemmap *vm, uint64_t pfn)
{
    return pfn << vm->granule_shift;
}

/**
 * hyp_phys_to_virt() - the virtual address of a physical address.
 * @vm:   the vmemmap
 * @phys: physical address
 *
 * Return: @phys + physvirt_offset, as a pointer.
 */
static inline void *hyp_phys_to_virt(const struct hyp_vmemmap *vm, uint64_t phys)
{
    return (void *)(uintptr_t)(phys + vm->physvirt_offset);
}

/**
 * hyp_virt_to_phys() - the physical address of a virtual address.
 * @vm:   the vmemmap
 * @virt: virtual address
 *
 * Return: @virt - physvirt_offset.
 */
static inline uint64_t hyp_virt_to_phys(const struct hyp_vmemmap *vm, const void *virt)
{
    return (uint64_t)(uintptr_t)virt - vm->physvirt_offset;
}

/**
 * hyp_pfn_to_page() - the record of a PFN.
 * @vm:  the vmemmap
 * @pfn: page frame number
 *
 * Return: pointer to the record.
 */
static inline struct hyp_page *hyp_pfn_to_page(const struct hyp_vmemmap *vm, uint64_t pfn)
{
    return vm->pages + (pfn - vm->first_pfn);
}

/**
 * hyp_page_to_pfn() - the PFN a record describes.
 * @vm: the vmemmap
 * @p:  the record
 *
 * Return: the PFN.
 */
static inline uint64_t hyp_page_to_pfn(const struct hyp_vmemmap *vm, const struct hyp_page *p)
{
    return (uint64_t)(p - vm->pages) + vm->first_pfn;
}

/**
 * hyp_phys_to_page() - the record of the page holding a physical address.
 * @vm:   the vmemmap
 * @phys: physical address
 *
 * Return: pointer to the record.
 */
static inline struct hyp_page *hyp_phys_to_page(const struct hyp_vmemmap *vm, uint64_t phys)
{
    return hyp_pfn_to_page(vm, hyp_phys_to_pfn(vm, phys));
}

/**
 * hyp_page_to_phys() - the physical address of a record's page.
 * @vm: the vmemmap
 * @p:  the record
 *
 * Return: the page's physical address.
 */
static inline uint64_t hyp_page_to_phys(const struct hyp_vmemmap *vm, const struct hyp_page *p)
{
    return hyp_pfn_to_phys(vm, hyp_page_to_pfn(vm, p));
}

/**
 * hyp_virt_to_page() - the record of the page holding a virtual address.
 * @vm:   the vmemmap
 * @virt: virtual address
 *
 * Return: pointer to the record.
 */
static inline struct hyp_page *hyp_virt_to_page(const struct hyp_vmemmap *vm, const void *virt)
{
    return hyp_phys_to_page(vm, hyp_virt_to_phys(vm, virt));
}

/**
 * hyp_page_to_virt() - the virtual address of a record's page.
 * @vm: the vmemmap
 * @p:  the record
 *
 * Return: the page's virtual address.
 */
static inline void *hyp_page_to_virt(const struct hyp_vmemmap *vm, const struct hyp_page *p)
{
    return hyp_phys_to_virt(vm, hyp_page_to_phys(vm, p));
}

/**
 * hyp_vmemmap_covers() - whether @phys lies in a page the vmemmap
 * describes.
 * @vm:   the vmemmap
 * @phys: physical address
 *
 * Return: true if its PFN is in [first_pfn, first_pfn + nr_pages).
 */
static inline bool hyp_vmemmap_covers(const struct hyp_vmemmap *vm, uint64_t phys)
{
    return hyp_phys_to_pfn(vm, phys) - vm->first_pfn < vm->nr_pages;
}

/* --- reference counts (not atomic: the caller holds the owner's lock) --- */

/**
 * hyp_page_count() - reference count of a page.
 * @p: its record
 *
 * Return: the count; 0 for a page heading a free block.
 */
static inline unsigned int hyp_page_count(const struct hyp_page *p)
{
    return (p->flags & HYP_PAGE_FREE) ? 0 : p->refcount;
}

/**
 * hyp_page_ref_inc() - count +1; past HYP_PAGE_REFCOUNT_MAX the panic
 * hook is called and the count stays.
 * @vm: the vmemmap (for the panic hook)
 * @p:  the page's record
 */
static inline void hyp_page_ref_inc(const struct hyp_vmemmap *vm, struct hyp_page *p)
{
    if (p->refcount == HYP_PAGE_REFCOUNT_MAX) {
        hyp_vmemmap_panic(vm, HYP_PANIC_REF_OVERFLOW, hyp_page_to_pfn(vm, p));
        return;
    }
    p->refcount++;
}

/**
 * hyp_page_ref_add() - add @n references at once, all or nothing: past
 * HYP_PAGE_REFCOUNT_MAX the panic hook is called and the count stays.
 * @vm: the vmemmap (for the panic hook)
 * @p:  the page's record
 * @n:  references to add, > 0
 */
static inline void hyp_page_ref_add(const struct hyp_vmemmap *vm, struct hyp_page *p,
                                    unsigned int n)
{
    if (n > HYP_PAGE_REFCOUNT_MAX - p->refcount) {
        hyp_vmemmap_panic(vm, HYP_PANIC_REF_OVERFLOW, hyp_page_to_pfn(vm, p));
        return;
    }
    p->refcount = (uint16_t)(p->refcount + n);
}

/**
 * hyp_page_ref_dec() - count -1; at 0 the panic hook is called and the
 * count stays.
 * @vm: the vmemmap (for the panic hook)
 * @p:  the page's record
 */
static inline void hyp_page_ref_dec(const struct hyp_vmemmap *vm, struct hyp_page *p)
{
    if (p->refcount == 0) {
        hyp_vmemmap_panic(vm, HYP_PANIC_REF_UNDERFLOW, hyp_page_to_pfn(vm, p));
        return;
    }
    p->refcount--;
}

/**
 * hyp_page_ref_dec_and_test() - count -1, and whether that freed the page.
 * @vm: the vmemmap (for the panic hook)
 * @p:  the page's record
 *
 * Return: true when the count reached 0 (the caller frees the page);
 * false otherwise, and for a count already 0 (the panic hook is called,
 * the count stays).
 */
static inline bool hyp_page_ref_dec_and_test(const struct hyp_vmemmap *vm, struct hyp_page *p)
{
    if (p->refcount == 0) {
        hyp_vmemmap_panic(vm, HYP_PANIC_REF_UNDERFLOW, hyp_page_to_pfn(vm, p));
        return false;
    }
    return --p->refcount == 0;
}

/**
 * hyp_page_ref_sub_and_test() - subtract @n references at once, all or
 * nothing.
 * @vm: the vmemmap (for the panic hook)
 * @p:  the page's record
 * @n:  references to drop, > 0
 *
 * Return: true when the count reached 0; false otherwise, and when @n
 * exceeds the count (the panic hook is called, the count stays).
 */
static inline bool hyp_page_ref_sub_and_test(const struct hyp_vmemmap *vm,
                                             struct hyp_page *p, unsigned int n)
{
    if (n > p->refcount) {
        hyp_vmemmap_panic(vm, HYP_PANIC_REF_UNDERFLOW, hyp_page_to_pfn(vm, p));
        return false;
    }
    p->refcount = (uint16_t)(p->refcount - n);
    return p->refcount == 0;
}

/**
 * hyp_set_page_refcounted() - a page starting its life outside any pool
 * (pKVM's hyp_set_page_refcounted): count 1, order 0, no flags. A page
 * whose count is not 0 goes to the panic hook (HYP_PANIC_REF_OVERFLOW)
 * and is left as it is.
 * @vm: the vmemmap (for the panic hook)
 * @p:  the page's record
 */
static inline void hyp_set_page_refcounted(const struct hyp_vmemmap *vm, struct hyp_page *p)
{
    if (hyp_page_count(p) != 0) {
        hyp_vmemmap_panic(vm, HYP_PANIC_REF_OVERFLOW, hyp_page_to_pfn(vm, p));
        return;
    }
    p->flags = 0;
    p->order = 0;
    p->link = 0;
    p->refcount = 1;
}

/*
 * Atomic variants, for counts changed without the pool lock (e.g. pages
 * shared between CPUs that are never freed through a pool concurrently).
 * Same checks as above; they never wrap even under contention.
 */

/**
 * hyp_page_ref_inc_atomic() - hyp_page_ref_inc() with compare-and-swap.
 * @vm: the vmemmap (for the panic hook)
 * @p:  the page's record
 */
void hyp_page_ref_inc_atomic(const struct hyp_vmemmap *vm, struct hyp_page *p);

/**
 * hyp_page_ref_dec_and_test_atomic() - hyp_page_ref_dec_and_test() with
 * compare-and-swap.
 * @vm: the vmemmap (for the panic hook)
 * @p:  the page's record
 *
 * Return: true when this call took the count to 0; false otherwise, and
 * for a count already 0 (the panic hook is called).
 */
bool hyp_page_ref_dec_and_test_atomic(const struct hyp_vmemmap *vm, struct hyp_page *p);

/**
 * hyp_page_count_atomic() - hyp_page_count() with atomic loads.
 * @p: the page's record
 *
 * Return: the count; 0 for a page heading a free block.
 */
unsigned int hyp_page_count_atomic(const struct hyp_page *p);

#endif /* PGTABLE_HYP_PAGE_H */
