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

struct hyp_early_alloc {
    uint64_t base;            /* first physical address */
    uint64_t end;             /* end of the range (exclusive) */
    uint64_t cur;             /* next free physical address */
    uint64_t physvirt_offset; /* virt = phys + offset */
    uint8_t granule_shift;
    /* Zeroing routine; NULL: hyp_clear_pages(). */
    void (*clear_pages)(void *addr, size_t size);
};

/**
 * hyp_early_alloc_init() - bump allocator over [@phys, @phys + @size).
 * @virt:  where the range is mapped (virt = phys + constant)
 * @phys, @size: granule aligned, @size > 0
 * @granule_shift: 12, 14 or 16
 * Return: 0; -PGT_EINVAL for NULL @ea/@virt, a bad granule, @phys, @size
 * or @virt not granule aligned, size 0, or a range reaching past 2^64
 * (@ea untouched then).
 */
int hyp_early_alloc_init(struct hyp_early_alloc *ea, void *virt, uint64_t phys,
                         uint64_t size, unsigned int granule_shift);

/* One zeroed page, or NULL (NULL @ea, or the range exhausted). */
void *hyp_early_alloc_page(struct hyp_early_alloc *ea);

/* @nr_pages (> 0) zeroed contiguous pages, or NULL (NULL @ea, @nr_pages
 * 0, or not enough left; nothing consumed). */
void *hyp_early_alloc_contig(struct hyp_early_alloc *ea, uint64_t nr_pages);

/* As contig, the run's physical address aligned to @align_pages (a power
 * of two: NULL otherwise); on success skipped pages count as used, on
 * NULL nothing is consumed. */
void *hyp_early_alloc_contig_aligned(struct hyp_early_alloc *ea, uint64_t nr_pages,
                                     uint64_t align_pages);

/* Pages consumed so far. */
uint64_t hyp_early_alloc_nr_used_pages(const struct hyp_early_alloc *ea);

/* Physical / virtual address conversions of the range's mapping. */
static inline void *hyp_early_phys_to_virt(const struct hyp_early_alloc *ea, uint64_t phys)
{
    return (void *)(uintptr_t)(phys + ea->physvirt_offset);
}

static inline uint64_t hyp_early_virt_to_phys(const struct hyp_early_alloc *ea, const void *virt)
{
    return (uint64_t)(uintptr_t)virt - ea->physvirt_offset;
}

#endif /* PGTABLE_EARLY_ALLOC_H */
