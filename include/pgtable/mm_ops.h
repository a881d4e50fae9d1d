/* SPDX-License-Identifier: MIT */
/*
 * The embedder's hooks: memory for table pages, their reference counts,
 * address conversion, cache maintenance and TLB invalidation.
 *
 * This is kvm_pgtable_mm_ops with TLB maintenance made pluggable. lib/
 * never issues a TLBI, DSB or cache instruction itself: it calls these
 * hooks at the points where the architecture requires the operation, and
 * the embedder supplies the instructions (the EL2 port in examples/) or a
 * recording model (the tests).
 */
#ifndef PGTABLE_MM_OPS_H
#define PGTABLE_MM_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "desc.h"

struct pgt;

/**
 * struct pgt_mm_ops - the embedder's hooks for one or more tables.
 *
 * Table pages are reference counted: a table page's count is 1 (for being
 * in use) plus the number of counted entries it holds (see pgt_pte_ops).
 * A table whose count falls back to 1 when an unmap or set_owner leaves it
 * is unlinked (break-before-make) and freed with put_page.
 *
 * Every hook but the TLB hooks gets @ctx first: the mm_ctx pointer given
 * when the table was created (opaque to the library, may be NULL). One
 * const ops struct can so serve any number of pools or arenas, each
 * table naming its own in @ctx. The TLB hooks get the table instead
 * (its mm_ctx and priv, e.g. the VMID, are both reachable from it).
 *
 * Required hooks: zalloc_page, get_page, put_page, page_count,
 * phys_to_virt, virt_to_phys. Stage-2 tables with a concatenated or
 * multi-page root also need zalloc_pages_exact and free_pages_exact.
 * Every other hook may be NULL. A table works out which of them are set
 * when it is created (and when hyp_pgt_fix_refcounts() gives it other
 * mm_ops), so the struct must not change while tables use it.
 */
struct pgt_mm_ops {
    /* One zeroed granule-sized page with count 1, or NULL. @arg is the
     * memcache argument of the operation (NULL for stage 1 and roots). */
    void *(*zalloc_page)(void *ctx, void *arg);
    /* @size bytes (a multiple of the granule) of zeroed, physically
     * contiguous pages aligned to @size rounded up to a power of two; each
     * page has count 1. Used for roots. */
    void *(*zalloc_pages_exact)(void *ctx, size_t size);
    /* Free what zalloc_pages_exact returned. */
    void (*free_pages_exact)(void *ctx, void *addr, size_t size);
    /* Count +1 on the page holding @addr. */
    void (*get_page)(void *ctx, void *addr);
    /* Count -1 on the page holding @addr; at 0 the page is freed. */
    void (*put_page)(void *ctx, void *addr);
    /* Optional batched forms: same effect as @n calls of get/put_page. The
     * bulk paths use them to take one reference update per run of
     * entries. */
    void (*get_page_n)(void *ctx, void *addr, int n);
    void (*put_page_n)(void *ctx, void *addr, int n); /* see get_page_n */
    /* The count of the page holding @addr. */
    int (*page_count)(void *ctx, void *addr);
    /* Virtual address of a table page's physical address @phys. The same
     * @phys must give the same address for as long as a table uses these
     * ops: the calls that change a table remember the last table they
     * reached at each level, for the one-page calls and lookups. */
    void *(*phys_to_virt)(void *ctx, uint64_t phys);
    /* Physical address of the table page at @addr. */
    uint64_t (*virt_to_phys)(void *ctx, void *addr);

    /* Cache maintenance of mapped memory (not of table pages): clean and
     * invalidate to PoC @size bytes at @addr (a phys_to_virt address), and
     * invalidate the instruction cache to PoU. Stage-2 map calls
     * dcache_clean_inval_poc for normal write-back memory when PGT_S2_FWB
     * is off, and icache_inval_pou for executable mappings (FWB or not,
     * as KVM), unless the call passes PGT_MAP_SKIP_*. Both are called
     * before the leaves become valid, once per block or once per run of
     * consecutive pages in one last-level table (@size is then the run's
     * size). */
    void (*dcache_clean_inval_poc)(void *ctx, void *addr, size_t size);
    void (*icache_inval_pou)(void *ctx, void *addr, size_t size); /* see above */

    /*
     * TLB maintenance. Each hook must make the preceding descriptor stores
     * visible to the table walker first (DSB ISHST), invalidate, and
     * complete the invalidation (DSB ISH) before returning. The regime and
     * VMID/ASID are the embedder's: @pgt->priv identifies the context.
     *
     * tlbi_va:    invalidate the entries for @addr. @level is the leaf's
     *             level when a leaf was removed or changed, or
     *             PGT_LEVEL_UNKNOWN when a table entry was removed: then
     *             invalidate at every level (no TTL hint), and @addr may
     *             be any address of the table's span (a one-page unmap
     *             that frees the table passes the page's address, so the
     *             one call covers the leaf too). When
     *             the removed subtree held valid leaves or tables below
     *             its first table (entries cached for other addresses of
     *             its span), tlbi_range over the whole span follows (or
     *             tlbi_all when tlbi_range is NULL).
     * tlbi_range: invalidate [@addr, @addr + @size); a range operation
     *             (wrprotect, protect, unmap...) calls it once for the span
     *             of the leaves it changed, at its end. NULL: tlbi_va is
     *             called per leaf instead, up to @tlbi_all_threshold
     *             leaves per operation; past that, one tlbi_all.
     * tlbi_all:   invalidate everything for this table's context.
     */
    void (*tlbi_va)(const struct pgt *pgt, uint64_t addr, int level);
    void (*tlbi_range)(const struct pgt *pgt, uint64_t addr, uint64_t size); /* see above */
    void (*tlbi_all)(const struct pgt *pgt); /* see above */
    /* Without tlbi_range: the most leaves an operation invalidates one by
     * one before it takes one tlbi_all instead. 0: 512 (Linux's
     * MAX_TLBI_OPS). */
    uint32_t tlbi_all_threshold;

    /*
     * Optional, for speed: set @linear when every table page satisfies
     * phys_to_virt(ctx, pa) == (void *)(uintptr_t)(pa + @linear_offset)
     * (arithmetic modulo 2^64, as a hypervisor's linear map). Lookups and
     * the one-page paths then compute table addresses inline instead of
     * calling phys_to_virt at every level. phys_to_virt stays required (it
     * is still used for everything else, e.g. the cache-maintenance
     * hooks). Read when the table is created: do not change it (or any
     * ops a table uses) while a table uses them; to give a table other
     * ops, use hyp_pgt_fix_refcounts() (mm_pool.h), which reads them
     * again.
     */
    bool linear;
    uint64_t linear_offset; /* see @linear */

    /*
     * Optional, for speed: where the counts page_count returns live, for
     * embedders that keep one record per page in an array (a vmemmap, as
     * pKVM's hyp_page). With @count_base set, for every table page at
     * virtual address va, page_count(ctx, va) must equal the naturally
     * aligned unsigned integer of @count_width bytes (2 or 4) at
     *     @count_base + (((va - @count_va) >> granule shift) << @count_shift)
     * (@count_va a page address; @count_width <= 1 << @count_shift <= the
     * granule), read with a single-copy-atomic load: the caller holds the
     * table's lock, so only its own get/put change those counts meanwhile.
     * For example 4-byte counts in an array (@count_width 4, @count_shift
     * 2), or 2-byte counts at the start of 8-byte records (@count_width 2,
     * @count_shift 3, as struct hyp_page). Other layouts are ignored. The
     * library then reads counts there instead of calling page_count; it
     * writes there only with @count_writable. Read when the table is
     * created, like @linear.
     */
    const void *count_base;
    uintptr_t count_va;  /* virtual address of the page whose count is at
                          * @count_base */
    uint8_t count_shift; /* log2 of the distance between two counts */
    uint8_t count_width; /* bytes per count: 2 or 4 */

    /*
     * Optional, for speed, with a count array (@count_base): true lets
     * the library change a table page's count there itself, with a
     * single-copy-atomic store, whenever the count stays at 1 or more.
     * get_page and get_page_n are then not called for table pages, and
     * put_page and put_page_n only with the references that free a page;
     * the counts, and the pages freed, are the same as without. For
     * embedders whose get/put of a page in use do nothing but change its
     * count, and where nothing else changes a table page's count while
     * the table's lock is held (hyp_pool_mm_ops_hints() sets it). Read
     * when the table is created, like @linear.
     */
    bool count_writable;
};

/**
 * struct pgt_pte_ops - stage-2 policy callbacks, as Android's pKVM
 * kvm_pgtable_pte_ops. Both are optional; NULL gives the defaults
 * described.
 */
struct pgt_pte_ops {
    /* true: map [@addr, @end) with page (last-level) leaves only, never
     * blocks. Default: blocks wherever alignment allows. */
    bool (*force_pte)(uint64_t addr, uint64_t end, enum pgt_prot prot);
    /* true: @pte at @level counts towards its table page's refcount.
     * Default: any non-zero entry counts; with PGT_S2_HOST, valid leaves
     * do not count (identity mappings can be dropped and re-faulted),
     * tables and owner annotations do. */
    bool (*pte_is_counted)(pgt_pte_t pte, int level);
};

#endif /* PGTABLE_MM_OPS_H */
