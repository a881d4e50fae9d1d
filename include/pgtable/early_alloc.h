/* SPDX-License-Identifier: MIT */
/*
 * The early allocator: a bump allocator over a physical range, used before
 * the vmemmap is backed (pKVM's hyp_early_alloc). It hands out zeroed pages
 * and contiguous runs and never frees; what it used becomes the reserved
 * head of a hyp_pool afterwards (hyp_pool_init's @reserved_pages), and
 * hyp_pgt_fix_refcounts() (mm_pool.h) then counts the table built from it.
 */
#ifndef PGTABLE_EARLY_ALLOC_H
#define PGTABLE_EARLY_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "errno.h"

/**
 * struct hyp_early_alloc - a bump allocator's state; filled by
 * hyp_early_alloc_init(), then read-only for the embedder but for
 * @clear_pages.
 */
struct hyp_early_alloc {
    uint64_t base;            /* first physical address */
    uint64_t end;             /* end of the range (exclusive) */
    uint64_t cur;             /* next free physical address */
    uint64_t physvirt_offset; /* virt = phys + offset */
    uint8_t granule_shift;    /* page size: 12, 14 or 16 */
    /* Zeroing routine; NULL: hyp_clear_pages(). */
    void (*clear_pages)(void *addr, size_t size);
};

/**
 * hyp_early_alloc_init() - bump allocator over [@phys, @phys + @size).
 * @ea:            allocator to fill (untouched on error)
 * @virt:          where the range is mapped (virt = phys + constant),
 *                 granule aligned
 * @phys:          first physical address, granule aligned
 * @size:          bytes, granule aligned, > 0
 * @granule_shift: 12, 14 or 16
 *
 * Return: 0; -PGT_EINVAL for NULL @ea/@virt, a bad granule, @phys, @size
 * or @virt not granule aligned, size 0, or a range reaching past 2^64
 * (@ea untouched then).
 */
int hyp_early_alloc_init(struct hyp_early_alloc *ea, void *virt, uint64_t phys,
                         uint64_t size, unsigned int granule_shift);

/**
 * hyp_early_alloc_page() - one zeroed page.
 * @ea: the allocator
 *
 * Return: the page's virtual address; NULL when the range is exhausted
 * (nothing consumed) or @ea is NULL.
 */
void *hyp_early_alloc_page(struct hyp_early_alloc *ea);

/**
 * hyp_early_alloc_contig() - zeroed, physically contiguous pages.
 * @ea:       the allocator
 * @nr_pages: number of pages, > 0
 *
 * Return: the first page's virtual address; NULL (nothing consumed) when
 * @ea is NULL, @nr_pages is 0 or fewer pages are left.
 */
void *hyp_early_alloc_contig(struct hyp_early_alloc *ea, uint64_t nr_pages);

/**
 * hyp_early_alloc_contig_aligned() - as hyp_early_alloc_contig(), the
 * run's physical address aligned to @align_pages pages; the pages skipped
 * to align it count as used.
 * @ea:          the allocator
 * @nr_pages:    number of pages, > 0
 * @align_pages: alignment in pages, a power of two
 *
 * Return: the first page's virtual address; NULL (nothing consumed) when
 * @ea is NULL, @nr_pages is 0, @align_pages is not a power of two or the
 * aligned run does not fit in what is left.
 */
void *hyp_early_alloc_contig_aligned(struct hyp_early_alloc *ea, uint64_t nr_pages,
                                     uint64_t align_pages);

/**
 * hyp_early_alloc_nr_used_pages() - pages consumed so far.
 * @ea: the allocator
 *
 * Return: the pages from the start of the range to the next free one
 * (alignment gaps included): what hyp_pool_init() takes as
 * @reserved_pages.
 */
uint64_t hyp_early_alloc_nr_used_pages(const struct hyp_early_alloc *ea);

/**
 * hyp_early_phys_to_virt() - virtual address of a physical address of the
 * range (no check).
 * @ea:   the allocator
 * @phys: physical address
 *
 * Return: @phys + the range's physical-to-virtual offset, as a pointer.
 */
static inline void *hyp_early_phys_to_virt(const struct hyp_early_alloc *ea, uint64_t phys)
{
    return (void *)(uintptr_t)(phys + ea->physvirt_offset);
}

/**
 * hyp_early_virt_to_phys() - physical address of a virtual address of the
 * range (no check).
 * @ea:   the allocator
 * @virt: virtual address
 *
 * Return: @virt - the range's physical-to-virtual offset.
 */
static inline uint64_t hyp_early_virt_to_phys(const struct hyp_early_alloc *ea, const void *virt)
{
    return (uint64_t)(uintptr_t)virt - ea->physvirt_offset;
}

#endif /* PGTABLE_EARLY_ALLOC_H */
