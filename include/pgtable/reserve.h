/* SPDX-License-Identifier: MIT */
/*
 * Reservation arithmetic: how many pages a boot loader must carve out for
 * the hypervisor before anything runs (pKVM's kvm_hyp_reserve), and the
 * carving itself (pKVM's divide_memory_pool).
 *
 * Memory regions need not be page aligned: each is rounded outward to the
 * granule before counting (a region ending mid-page still needs that page
 * mapped and described).
 *
 * Table counts are for the worst case: every page of every region mapped
 * with last-level (page) leaves into an initially empty table, so no block
 * mapping ever saves a table. Two placements are offered:
 *  - at the regions' own addresses (identity: the host stage 2): the exact
 *    number of distinct table pages the union of the regions touches;
 *  - anywhere (the hyp stage 1, whose VA offset is not known before boot):
 *    each region counted as if it started one page before the boundary of
 *    the largest non-root table span, which maximises the tables at every
 *    level at once, and no two regions sharing a table.
 * Root pages (all concatenated pages for stage 2) are included.
 */
#ifndef PGTABLE_RESERVE_H
#define PGTABLE_RESERVE_H

#include <stddef.h>
#include <stdint.h>

#include "desc.h"
#include "early_alloc.h"
#include "errno.h"

/**
 * struct pgt_mem_region - a range of physical memory (or of input
 * addresses), rounded outward to the granule before counting.
 */
struct pgt_mem_region {
    uint64_t base; /* physical address, any alignment */
    uint64_t size; /* bytes, may be 0 (ignored) */
};

/**
 * pgt_table_pages_at() - table pages (root included) needed to map every
 * page of @regions at their own addresses with page leaves in table @g.
 * @g:       the table's geometry
 * @regions: the regions (NULL only with @n 0)
 * @n:       number of regions
 * @pages:   out: the count (untouched on error)
 *
 * Return: 0; -PGT_EINVAL for NULL @g or @pages, NULL @regions with @n > 0,
 * or a region whose end overflows; -PGT_ERANGE for a region beyond @g's
 * input address size.
 */
int pgt_table_pages_at(const struct pgt_geom *g, const struct pgt_mem_region *regions,
                       size_t n, uint64_t *pages);

/**
 * pgt_table_pages_anywhere() - worst case over placement: table pages
 * (root included) needed to map each region's pages, at any address, with
 * page leaves in table @g. A region's own address does not matter here.
 * @g:       the table's geometry
 * @regions: the regions (NULL only with @n 0)
 * @n:       number of regions
 * @pages:   out: the count (untouched on error)
 *
 * Return: 0; -PGT_EINVAL as pgt_table_pages_at(); -PGT_ERANGE if a region
 * alone is larger than the input address space.
 */
int pgt_table_pages_anywhere(const struct pgt_geom *g, const struct pgt_mem_region *regions,
                             size_t n, uint64_t *pages);

/**
 * hyp_s1_pgtable_pages() - pages for the hyp stage-1 table: every region
 * mapped anywhere, plus a private VA range (pKVM allows 1 GiB), one root.
 * @g:               the stage-1 table's geometry
 * @regions:         memory the hypervisor maps (NULL only with @n 0)
 * @n:               number of regions
 * @private_va_size: bytes of private VA range mapped besides
 * @pages:           out: the count (untouched on error)
 *
 * Return: 0; errors as pgt_table_pages_anywhere() (-PGT_ERANGE also when
 * @private_va_size is larger than the input address space).
 */
int hyp_s1_pgtable_pages(const struct pgt_geom *g, const struct pgt_mem_region *regions,
                         size_t n, uint64_t private_va_size, uint64_t *pages);

/**
 * hyp_s2_pgtable_pages() - pages for the host stage-2 table (identity map
 * of every region at its own address), concatenated root included.
 * @g:       the stage-2 table's geometry
 * @regions: the host's memory (NULL only with @n 0)
 * @n:       number of regions
 * @pages:   out: the count (untouched on error)
 *
 * Return: 0; errors as pgt_table_pages_at().
 */
int hyp_s2_pgtable_pages(const struct pgt_geom *g, const struct pgt_mem_region *regions,
                         size_t n, uint64_t *pages);

/**
 * hyp_vmemmap_pages() - granule pages backing the vmemmap records of every
 * page of @regions. Pages shared by neighbouring regions count once.
 * @regions:       the memory described (NULL only with @n 0)
 * @n:             number of regions
 * @granule_shift: 12, 14 or 16
 * @first_pfn:     PFN whose record starts the granule-aligned array (the
 *                 record of PFN p is at byte (p - @first_pfn) * @entry_size)
 * @entry_size:    bytes per record, 1..4096
 * @pages:         out: the count (untouched on error)
 *
 * Return: 0; -PGT_EINVAL for NULL @pages (or @regions with @n > 0), a bad
 * @entry_size or granule, or a region whose end overflows; -PGT_ERANGE
 * for a region below @first_pfn.
 */
int hyp_vmemmap_pages(const struct pgt_mem_region *regions, size_t n,
                      unsigned int granule_shift, uint64_t first_pfn,
                      size_t entry_size, uint64_t *pages);

/**
 * struct hyp_reserve - what kvm_hyp_reserve adds up, in pages of the hyp
 * granule.
 */
struct hyp_reserve {
    uint64_t vmemmap; /* vmemmap records of every memory page */
    uint64_t s1;      /* hyp stage-1 table pages */
    uint64_t s2;      /* host stage-2 table pages */
    uint64_t extra;   /* the embedder's (pKVM: VM table, FF-A buffers, ...) */
    uint64_t total;   /* the sum: the carve-out */
};

/**
 * hyp_reserve_compute() - add up the carve-out for @regions: vmemmap
 * (8-byte struct hyp_page records from PFN 0, pKVM's layout), stage 1,
 * stage 2 and the embedder's extra pages.
 * @regions:         the machine's memory (NULL only with @n 0)
 * @n:               number of regions
 * @s1:              the hyp stage-1 table's geometry
 * @private_va_size: bytes of private VA range the stage 1 maps besides
 * @s2:              the host stage-2 table's geometry, same granule as
 *                   @s1; NULL: no stage 2
 * @extra_pages:     pages the embedder adds
 * @out:             out: the counts (untouched on error)
 *
 * Return: 0; -PGT_EINVAL for NULL @s1 or @out, granules that differ, or a
 * total that overflows; otherwise the first error of
 * hyp_vmemmap_pages(), hyp_s1_pgtable_pages(), hyp_s2_pgtable_pages(), in
 * that order. @out is written on success only.
 */
int hyp_reserve_compute(const struct pgt_mem_region *regions, size_t n,
                        const struct pgt_geom *s1, uint64_t private_va_size,
                        const struct pgt_geom *s2, uint64_t extra_pages,
                        struct hyp_reserve *out);

/**
 * struct hyp_carveout - the parts carved out of the reservation: virtual
 * addresses of zeroed pages, NULL for a part of zero pages.
 */
struct hyp_carveout {
    void *vmemmap; /* res.vmemmap pages for the vmemmap records */
    void *s1;      /* res.s1 pages for the hyp stage-1 tables */
    void *s2;      /* res.s2 pages for the host stage-2 tables */
    void *extra;   /* res.extra pages for the embedder */
};

/**
 * hyp_divide_memory_pool() - carve @res out of @ea in pKVM's order:
 * vmemmap, stage-1 tables, stage-2 tables, extra; each part contiguous.
 * @ea:  the early allocator over the reservation
 * @res: the counts (hyp_reserve_compute())
 * @out: out: the parts
 *
 * Return: 0; -PGT_EINVAL for NULL; -PGT_ENOMEM if @ea has fewer pages
 * left than the four parts (then @ea and @out are unchanged).
 */
int hyp_divide_memory_pool(struct hyp_early_alloc *ea, const struct hyp_reserve *res,
                           struct hyp_carveout *out);

#endif /* PGTABLE_RESERVE_H */
