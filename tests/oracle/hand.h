/* SPDX-License-Identifier: MIT */
/*
 * A deliberately tiny, independent translation-table writer for the oracle
 * tests: it writes descriptors straight from the Arm ARM formats (D8.3)
 * into test_mm arena pages, with no code from lib/. Used to validate the
 * harness against the architecture, to build the reference tables the
 * library's output is compared with, and to map the harness windows.
 */
#ifndef PGT_TEST_ORACLE_HAND_H
#define PGT_TEST_ORACLE_HAND_H

#include <stdint.h>
#include <string.h>

#include "test_mm.h"

/* Descriptor bits (Arm ARM D8.3), spelled out here on purpose. */
#define H_VALID 0x1ull
#define H_TABLE 0x3ull /* table (level < 3) or page (level 3) */
#define H_AF (1ull << 10)
#define H_SH_INNER (3ull << 8)
#define H_SH_OUTER (2ull << 8)
#define H_S1_IDX(n) ((uint64_t)(n) << 2)
#define H_S1_USER (1ull << 6)
#define H_S1_RO (1ull << 7)
#define H_S1_PXN (1ull << 53)
#define H_S1_XN (1ull << 54)
#define H_S2_MEMATTR(a) ((uint64_t)(a) << 2)
#define H_S2_R (1ull << 6)
#define H_S2_W (1ull << 7)
#define H_S2_XN (1ull << 54)

struct hand {
    struct tmm *m;
    unsigned gs;      /* granule shift */
    unsigned ia_bits;
    int sl;           /* start level */
    uint64_t root_pa;
    size_t next_page; /* next arena page to hand out */
};

static inline unsigned hand_shift(const struct hand *h, int level)
{
    return h->gs + (h->gs - 3) * (unsigned)(3 - level);
}

static inline uint64_t *hand_va(const struct hand *h, uint64_t pa)
{
    return (uint64_t *)(h->m->base + (pa - h->m->pa_base));
}

static inline uint64_t hand_index(const struct hand *h, uint64_t ia, int level)
{
    unsigned s = hand_shift(h, level);
    unsigned bits = level == h->sl ? h->ia_bits - s : h->gs - 3;
    return (ia >> s) & ((1ull << bits) - 1);
}

static inline uint64_t hand_alloc(struct hand *h, size_t pages)
{
    uint64_t pa = h->m->pa_base + h->next_page * h->m->page_size;
    memset(h->m->base + h->next_page * h->m->page_size, 0,
           pages * h->m->page_size);
    h->next_page += pages;
    return pa;
}

/* Root at arena page @first (aligned to the root's size), tables after
 * it. The arena's page size must be the granule. */
static inline void hand_init_at(struct hand *h, struct tmm *m,
                                unsigned ia_bits, int sl, size_t first)
{
    h->m = m;
    h->gs = 0;
    while ((1ull << h->gs) < m->page_size)
        h->gs++;
    h->ia_bits = ia_bits;
    h->sl = sl;
    h->next_page = first;
    uint64_t root_bytes = 8ull << (ia_bits - hand_shift(h, sl));
    size_t pages = (size_t)((root_bytes + m->page_size - 1) / m->page_size);
    h->root_pa = hand_alloc(h, pages);
}

/* Root at the start of the arena (aligned: the arena's PA base is). */
static inline void hand_init(struct hand *h, struct tmm *m, unsigned ia_bits,
                             int sl)
{
    hand_init_at(h, m, ia_bits, sl, 0);
}

/* The entry for @ia at @level, creating tables on the way down. */
static inline uint64_t *hand_entry(struct hand *h, uint64_t ia, int level)
{
    uint64_t table = h->root_pa;
    for (int l = h->sl;; l++) {
        uint64_t *e = hand_va(h, table) + hand_index(h, ia, l);
        if (l == level)
            return e;
        if ((*e & 3) != H_TABLE)
            *e = hand_alloc(h, 1) | H_TABLE;
        table = *e & 0x0000fffffffff000ull & ~((1ull << h->gs) - 1);
    }
}

/* A leaf at @level: block (level < 3) or page. @attrs: AF, SH, AP... */
static inline void hand_leaf(struct hand *h, uint64_t ia, uint64_t pa,
                             int level, uint64_t attrs)
{
    *hand_entry(h, ia, level) = pa | attrs | (level == 3 ? H_TABLE : H_VALID);
}

#endif /* PGT_TEST_ORACLE_HAND_H */
