/* SPDX-License-Identifier: MIT */
/*
 * Host memory for allocator tests: an arena of pages with a fake physical
 * base, its vmemmap, and a panic hook that records instead of trapping.
 * Header-only; shared by the unit and property allocator tests.
 */
#ifndef PGT_ALLOC_HARNESS_H
#define PGT_ALLOC_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgtable/pgtable.h"

struct ah {
    uint8_t *mem;            /* arena, aligned to its page size */
    size_t page_size;
    uint64_t nr_pages;
    uint64_t phys_base;      /* fake physical address of mem */
    struct hyp_page *pages;  /* vmemmap records */
    struct hyp_vmemmap vm;
};

struct ah_panic_log {
    int count;
    enum hyp_page_panic why;
    uint64_t pfn;
};

static struct ah_panic_log ah_panics;

static inline void ah_panic_hook(enum hyp_page_panic why, uint64_t pfn)
{
    ah_panics.count++;
    ah_panics.why = why;
    ah_panics.pfn = pfn;
}

static inline void ah_panic_reset(void)
{
    memset(&ah_panics, 0, sizeof(ah_panics));
}

/* An arena of @nr_pages pages of 2^@shift bytes at fake PA @phys_base;
 * the vmemmap covers exactly the arena. Records start zero, as
 * hyp_pool_init() requires of a range no pool owns. */
static inline void ah_init(struct ah *h, unsigned int shift, uint64_t nr_pages,
                           uint64_t phys_base)
{
    memset(h, 0, sizeof(*h));
    h->page_size = (size_t)1 << shift;
    h->nr_pages = nr_pages;
    h->phys_base = phys_base;
    h->mem = aligned_alloc(h->page_size, h->page_size * nr_pages);
    h->pages = malloc(sizeof(struct hyp_page) * nr_pages);
    if (!h->mem || !h->pages) {
        fprintf(stderr, "ah_init: out of host memory\n");
        abort();
    }
    memset(h->pages, 0, sizeof(struct hyp_page) * nr_pages);
    if (hyp_vmemmap_init(&h->vm, h->pages, phys_base >> shift, nr_pages, shift,
                         (uint64_t)(uintptr_t)h->mem - phys_base)) {
        fprintf(stderr, "ah_init: hyp_vmemmap_init failed\n");
        abort();
    }
    h->vm.panic = ah_panic_hook;
    ah_panic_reset();
}

static inline void ah_fini(struct ah *h)
{
    free(h->mem);
    free(h->pages);
    memset(h, 0, sizeof(*h));
}

static inline uint64_t ah_pfn0(const struct ah *h)
{
    return h->phys_base / h->page_size;
}

/* Host address of page @pfn, computed from the arena, not the library. */
static inline void *ah_va(const struct ah *h, uint64_t pfn)
{
    return h->mem + (pfn - ah_pfn0(h)) * h->page_size;
}

/* PFN of host address @va, computed from the arena. */
static inline uint64_t ah_pfn(const struct ah *h, const void *va)
{
    return ah_pfn0(h) + (uint64_t)((const uint8_t *)va - h->mem) / h->page_size;
}

static inline struct hyp_page *ah_rec(const struct ah *h, uint64_t pfn)
{
    return &h->pages[pfn - ah_pfn0(h)];
}

/* Whether @n bytes at @p are all zero. */
static inline int ah_is_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

#endif /* PGT_ALLOC_HARNESS_H */
