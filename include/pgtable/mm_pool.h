/* SPDX-License-Identifier: MIT */
/*
 * Ready-made pgt_mm_ops: translation tables backed by a hyp_pool or by the
 * early allocator, and the hand-over from one to the other. Each adapter
 * is one const ops struct; the table's mm_ctx names the allocator (the
 * struct hyp_pool or struct hyp_early_alloc), so any number of pools can
 * back tables at once.
 */
#ifndef PGTABLE_MM_POOL_H
#define PGTABLE_MM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "early_alloc.h"
#include "hyp_pool.h"
#include "mm_ops.h"
#include "pgt.h"

/* --- hyp_pool as a page source ------------------------------------------ */

/**
 * hyp_pool_zalloc_page() - one page for a table, as mm_ops.zalloc_page.
 * @pool: the pool
 *
 * Return: a zeroed page with count 1 (hyp_alloc_pages(@pool, 0)); NULL
 * when the pool has no free page.
 */
void *hyp_pool_zalloc_page(struct hyp_pool *pool);

/**
 * hyp_pool_zalloc_pages_exact() - contiguous pages for a concatenated
 * root, as mm_ops.zalloc_pages_exact: a block of the covering order is
 * allocated and split, the pages beyond @size are put back.
 * @pool: the pool
 * @size: bytes, a multiple of the granule, > 0
 *
 * Return: the first of @size bytes of zeroed, contiguous pages aligned to
 * @size rounded up to a power of two, each page with count 1; NULL (pool
 * unchanged) if @size is 0, not a multiple of the granule or larger than
 * the largest order, or no block of the covering order is free.
 */
void *hyp_pool_zalloc_pages_exact(struct hyp_pool *pool, size_t size);

/**
 * hyp_pool_free_pages_exact() - put every page of a
 * hyp_pool_zalloc_pages_exact() run (count -1 each: freed at 0).
 * @pool: the pool the run came from
 * @addr: the run's first page
 * @size: the size it was allocated with
 */
void hyp_pool_free_pages_exact(struct hyp_pool *pool, void *addr, size_t size);

/**
 * hyp_pool_mm_ops_hints() - fill the speed hints of @ops from @pool's
 * vmemmap: the linear map (mm_ops.linear) and the vmemmap's counts
 * (mm_ops.count_base: 2-byte counts at the start of 8-byte struct
 * hyp_page records), which the library may change in place
 * (mm_ops.count_writable: the pool changes a page's record only when it
 * allocates or frees that page). Tables must come from pages that
 * vmemmap describes (as they do from any pool on it). Call before the
 * table's init.
 * @ops:  a writable copy of hyp_pool_mm_ops (e.g. with the embedder's
 *        TLB hooks added)
 * @pool: the pool whose vmemmap the tables' pages are in
 */
void hyp_pool_mm_ops_hints(struct pgt_mm_ops *ops, const struct hyp_pool *pool);

/*
 * pgt_mm_ops over a hyp_pool: give the struct hyp_pool * as the table's
 * mm_ctx. TLB and cache hooks are NULL: a live table needs them, so copy
 * the struct and set them (the embedder's TLBI and cache instructions).
 */
extern const struct pgt_mm_ops hyp_pool_mm_ops;

/* --- the early allocator as a page source -------------------------------- */

/*
 * pgt_mm_ops over the early allocator: give the struct hyp_early_alloc *
 * as the table's mm_ctx. For building tables only (map): pages are
 * never freed, get/put are no-ops and page_count reports 1, as pKVM's
 * early ops; the counts are made right at the hand-over.
 * zalloc_pages_exact aligns the run as mm_ops requires (skipped pages are
 * used up).
 */
extern const struct pgt_mm_ops hyp_early_alloc_mm_ops;

/* --- hand-over --------------------------------------------------------- */

/**
 * hyp_pgt_fix_refcounts() - hand a table built from the early allocator
 * over to a pool (pKVM's fix_hyp_pgtable_refcnt / fix_host_ownership idea).
 * @pgt:    the table; its pages must now be pool pages with count 1 each
 *          (the early allocator's pages given to hyp_pool_init() as
 *          @reserved_pages) and no entry counted yet
 * @mm_ops: the pool's ops (hyp_pool_mm_ops or a copy with TLB hooks),
 *          installed in @pgt->mm_ops before the walk; NULL keeps
 *          @pgt->mm_ops and @pgt->mm_ctx
 * @mm_ctx: the new ops' context (the struct hyp_pool *), installed in
 *          @pgt->mm_ctx with @mm_ops
 *
 * Walks the whole input range and takes, with mm_ops->get_page, one
 * reference on the table page holding every counted entry (the core's rule:
 * non-zero entries; with PGT_S2_HOST valid leaves are not counted; or
 * pte_ops->pte_is_counted), so that each table page ends with 1 + its
 * counted entries, as if the table had been built on the pool. From then
 * on unmap frees emptied tables into the pool and destroy returns them all.
 * No entry is changed and no TLB maintenance is done.
 *
 * Every table page (root pages included) must read count 1 through the
 * new ops first: a table already handed over, or one whose pages are not
 * the pool's reserved pages, is refused with everything (ops included)
 * left as it was.
 *
 * Return: 0; -PGT_EINVAL for NULL @pgt, a table without a root, or ops
 * without get_page / phys_to_virt / page_count; -PGT_EBUSY when a table
 * page's count is not 1; or the walker's error.
 */
int hyp_pgt_fix_refcounts(struct pgt *pgt, const struct pgt_mm_ops *mm_ops,
                          void *mm_ctx);

#endif /* PGTABLE_MM_POOL_H */
