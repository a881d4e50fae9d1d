/* SPDX-License-Identifier: MIT */
/*
 * Ready-made pgt_mm_ops: translation tables backed by a hyp_pool or by the
 * early allocator, and the hand-over from one to the other.
 *
 * pgt_mm_ops hooks carry no context, so an adapter is bound to its
 * allocator either at run time (hyp_pool_mm_ops_use(): one current pool
 * for hyp_pool_mm_ops) or at compile time (HYP_POOL_MM_OPS_DEFINE: a
 * static ops table per pool, for several pools at once).
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

/* A zeroed page with count 1, or NULL. */
void *hyp_pool_zalloc_page(struct hyp_pool *pool);

/* @size bytes (a multiple of the granule, > 0) of zeroed contiguous pages,
 * aligned to @size rounded up to a power of two, each page with count 1
 * (alloc of the covering order, split, surplus pages put back). NULL if
 * @size is bad or no block is free. */
void *hyp_pool_zalloc_pages_exact(struct hyp_pool *pool, size_t size);

/* Put every page of a zalloc_pages_exact() run. */
void hyp_pool_free_pages_exact(struct hyp_pool *pool, void *addr, size_t size);

/*
 * Fill the speed hints of @ops (a writable copy of a hyp_pool adapter's
 * ops) from @pool's vmemmap: the linear map (mm_ops.linear) and the
 * vmemmap's counts (mm_ops.count_base: 2-byte counts at the start of
 * 8-byte struct hyp_page records). Tables must come from pages that
 * vmemmap describes (as they do from @pool). Call before the table's init.
 */
void hyp_pool_mm_ops_hints(struct pgt_mm_ops *ops, const struct hyp_pool *pool);

/* pgt_mm_ops bound to the pool last passed to hyp_pool_mm_ops_use(). */
extern const struct pgt_mm_ops hyp_pool_mm_ops;
void hyp_pool_mm_ops_use(struct hyp_pool *pool);

/*
 * Define `static const struct pgt_mm_ops NAME` bound to the pool at
 * @POOL_PTR (an expression evaluated on every call, e.g. &host_s2_pool).
 * TLB and cache hooks are NULL: set them on a copy if the table needs them.
 */
#define HYP_POOL_MM_OPS_DEFINE(NAME, POOL_PTR)                                         \
    HYP_POOL_MM_OPS_FNS(NAME, POOL_PTR)                                                \
    static const struct pgt_mm_ops NAME = HYP_POOL_MM_OPS_INIT(NAME)

/* The two halves of HYP_POOL_MM_OPS_DEFINE: the hook functions, and an
 * initializer for a struct pgt_mm_ops using them. */
#define HYP_POOL_MM_OPS_FNS(NAME, POOL_PTR)                                            \
    static void *NAME##_zalloc_page(void *arg)                                         \
    {                                                                                  \
        (void)arg;                                                                     \
        return hyp_pool_zalloc_page(POOL_PTR);                                         \
    }                                                                                  \
    static void *NAME##_zalloc_pages_exact(size_t size)                                \
    {                                                                                  \
        return hyp_pool_zalloc_pages_exact(POOL_PTR, size);                            \
    }                                                                                  \
    static void NAME##_free_pages_exact(void *addr, size_t size)                       \
    {                                                                                  \
        hyp_pool_free_pages_exact(POOL_PTR, addr, size);                               \
    }                                                                                  \
    static void NAME##_get_page(void *addr) { hyp_get_page(POOL_PTR, addr); }          \
    static void NAME##_put_page(void *addr) { hyp_put_page(POOL_PTR, addr); }          \
    static void NAME##_get_page_n(void *addr, int n)                                   \
    {                                                                                  \
        if (n > 0)                                                                     \
            hyp_get_page_n(POOL_PTR, addr, (unsigned int)n);                           \
    }                                                                                  \
    static void NAME##_put_page_n(void *addr, int n)                                   \
    {                                                                                  \
        if (n > 0)                                                                     \
            hyp_put_page_n(POOL_PTR, addr, (unsigned int)n);                           \
    }                                                                                  \
    static int NAME##_page_count(void *addr)                                           \
    {                                                                                  \
        return (int)hyp_page_count_va(POOL_PTR, addr);                                 \
    }                                                                                  \
    static void *NAME##_phys_to_virt(uint64_t phys)                                    \
    {                                                                                  \
        return hyp_phys_to_virt((POOL_PTR)->vm, phys);                                 \
    }                                                                                  \
    static uint64_t NAME##_virt_to_phys(void *addr)                                    \
    {                                                                                  \
        return hyp_virt_to_phys((POOL_PTR)->vm, addr);                                 \
    }

#define HYP_POOL_MM_OPS_INIT(NAME)                                                     \
    {                                                                                  \
        .zalloc_page = NAME##_zalloc_page,                                             \
        .zalloc_pages_exact = NAME##_zalloc_pages_exact,                               \
        .free_pages_exact = NAME##_free_pages_exact,                                   \
        .get_page = NAME##_get_page,                                                   \
        .put_page = NAME##_put_page,                                                   \
        .get_page_n = NAME##_get_page_n,                                               \
        .put_page_n = NAME##_put_page_n,                                               \
        .page_count = NAME##_page_count,                                               \
        .phys_to_virt = NAME##_phys_to_virt,                                           \
        .virt_to_phys = NAME##_virt_to_phys,                                           \
    }

/* --- the early allocator as a page source -------------------------------- */

/*
 * pgt_mm_ops bound to the early allocator last passed to
 * hyp_early_alloc_mm_ops_use(). For building tables only (map): pages are
 * never freed, get/put are no-ops and page_count reports 1, as pKVM's
 * early ops; the counts are made right at the hand-over.
 * zalloc_pages_exact aligns the run as mm_ops requires (skipped pages are
 * used up).
 */
extern const struct pgt_mm_ops hyp_early_alloc_mm_ops;
void hyp_early_alloc_mm_ops_use(struct hyp_early_alloc *ea);

/* --- hand-over --------------------------------------------------------- */

/**
 * hyp_pgt_fix_refcounts() - hand a table built from the early allocator
 * over to a pool (pKVM's fix_hyp_pgtable_refcnt / fix_host_ownership idea).
 * @pgt:    the table; its pages must now be pool pages with count 1 each
 *          (the early allocator's pages given to hyp_pool_init() as
 *          @reserved_pages) and no entry counted yet
 * @mm_ops: the pool's ops (e.g. from HYP_POOL_MM_OPS_DEFINE), installed in
 *          @pgt->mm_ops before the walk; NULL keeps @pgt->mm_ops
 *
 * Walks the whole input range and takes, with mm_ops->get_page, one
 * reference on the table page holding every counted entry (the core's rule:
 * non-zero entries; with PGT_S2_HOST valid leaves are not counted; or
 * pte_ops->pte_is_counted), so that each table page ends with 1 + its
 * counted entries, as if the table had been built on the pool. From then
 * on unmap frees emptied tables into the pool and destroy returns them all.
 * No entry is changed and no TLB maintenance is done.
 *
 * Return: 0; -PGT_EINVAL for NULL @pgt, a table without a root, or ops
 * without get_page / phys_to_virt; or the walker's error.
 */
int hyp_pgt_fix_refcounts(struct pgt *pgt, const struct pgt_mm_ops *mm_ops);

#endif /* PGTABLE_MM_POOL_H */
