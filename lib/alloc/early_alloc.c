// SPDX-License-Identifier: MIT
/* The early bump allocator (see early_alloc.h). */
#include "pgtable/early_alloc.h"
#include "pgtable/hyp_page.h"

int hyp_early_alloc_init(struct hyp_early_alloc *ea, void *virt, uint64_t phys,
                         uint64_t size, unsigned int granule_shift)
{
    uint64_t mask;

    if (!ea || !virt)
        return -PGT_EINVAL;
    if (granule_shift != 12 && granule_shift != 14 && granule_shift != 16)
        return -PGT_EINVAL;
    mask = (1ull << granule_shift) - 1;
    if (size == 0 || (phys & mask) || (size & mask) || phys + size < phys ||
        ((uint64_t)(uintptr_t)virt & mask))
        return -PGT_EINVAL;
    ea->base = phys;
    ea->end = phys + size;
    ea->cur = phys;
    ea->physvirt_offset = (uint64_t)(uintptr_t)virt - phys;
    ea->granule_shift = (uint8_t)granule_shift;
    ea->clear_pages = NULL;
    return 0;
}

void *hyp_early_alloc_contig_aligned(struct hyp_early_alloc *ea, uint64_t nr_pages,
                                     uint64_t align_pages)
{
    uint64_t start, avail, size;
    void *va;

    if (!ea || nr_pages == 0 || align_pages == 0 || (align_pages & (align_pages - 1)))
        return NULL;
    if (align_pages > (1ull << (63 - ea->granule_shift)))
        return NULL;
    /* Round cur up to the alignment without overflowing. */
    start = ea->cur + ((align_pages << ea->granule_shift) - 1);
    if (start < ea->cur)
        return NULL;
    start &= ~((align_pages << ea->granule_shift) - 1);
    if (start >= ea->end)
        return NULL;
    avail = (ea->end - start) >> ea->granule_shift;
    if (nr_pages > avail)
        return NULL;
    size = nr_pages << ea->granule_shift;
    ea->cur = start + size;
    va = hyp_early_phys_to_virt(ea, start);
    if (ea->clear_pages)
        ea->clear_pages(va, size);
    else
        hyp_clear_pages(va, size);
    return va;
}

void *hyp_early_alloc_contig(struct hyp_early_alloc *ea, uint64_t nr_pages)
{
    return hyp_early_alloc_contig_aligned(ea, nr_pages, 1);
}

void *hyp_early_alloc_page(struct hyp_early_alloc *ea)
{
    return hyp_early_alloc_contig_aligned(ea, 1, 1);
}

uint64_t hyp_early_alloc_nr_used_pages(const struct hyp_early_alloc *ea)
{
    return (ea->cur - ea->base) >> ea->granule_shift;
}
