/* SPDX-License-Identifier: MIT */
/*
 * An independent reader of translation tables for the allocator tests:
 * follows table descriptors (bits[1:0] == 0b11 below the last level, OA in
 * bits [47:granule]: the formats these tests use, 48-bit OA without LPA2)
 * and reports every table page with its number of counted entries
 * (non-zero ones; valid leaves excluded in host stage-2 mode).
 */
#ifndef PGT_TABLE_SCAN_H
#define PGT_TABLE_SCAN_H

#include <stdint.h>

#include "alloc_harness.h"

typedef void (*ts_page_fn)(void *page, int level, int nonzero, void *arg);

/* Host stage 2 (PGT_S2_HOST): valid leaves are not counted. */
static bool ts_host_mode;

static inline bool ts_counted(uint64_t e, int level)
{
    bool leaf = (e & 1) && (level == 3 ? (e & 2) != 0 : (e & 2) == 0);
    return e != 0 && !(ts_host_mode && leaf);
}

static inline void ts_scan_table(const struct ah *h, unsigned gs, uint64_t *t, uint64_t nent,
                                 int level, ts_page_fn fn, void *arg)
{
    uint64_t per_page = 1ull << (gs - 3);
    uint64_t oa_mask = ((1ull << 48) - 1) & ~((1ull << gs) - 1);

    /* Each page of the table separately (roots may be several pages). */
    for (uint64_t pg = 0; pg < (nent + per_page - 1) / per_page; pg++) {
        int nonzero = 0;
        uint64_t *e = t + pg * per_page;
        uint64_t n = nent - pg * per_page < per_page ? nent - pg * per_page : per_page;
        for (uint64_t i = 0; i < n; i++) {
            if (!e[i])
                continue;
            nonzero += ts_counted(e[i], level);
            if (level < 3 && (e[i] & 3) == 3) {
                uint64_t pa = e[i] & oa_mask;
                uint64_t *child = (uint64_t *)(h->mem + (pa - h->phys_base));
                ts_scan_table(h, gs, child, per_page, level + 1, fn, arg);
            }
        }
        fn(e, level, nonzero, arg);
    }
}

/* Scan the table whose root (of @root_pages pages) is at host VA @root. */
static inline void ts_scan(const struct ah *h, const struct pgt *pgt, ts_page_fn fn, void *arg)
{
    unsigned gs = pgt->geom.granule_shift;
    int sl = pgt->geom.start_level;
    /* Root entries: IA bits above the root level's shift. */
    unsigned shift = gs + (gs - 3) * (unsigned)(3 - sl);
    uint64_t nent = 1ull << (pgt->geom.ia_bits - shift);
    ts_scan_table(h, gs, pgt->pgd, nent, sl, fn, arg);
}

struct ts_count {
    int pages;
    int bad;           /* pages whose pool count is not 1 + non-zero entries */
    const struct ah *h;
    bool check_counts; /* compare with the vmemmap record */
    bool leaves_uncounted; /* host stage 2: valid leaves do not count */
};

static inline void ts_count_fn(void *page, int level, int nonzero, void *arg)
{
    struct ts_count *c = arg;
    (void)level;
    c->pages++;
    if (c->check_counts) {
        unsigned want = 1u + (unsigned)nonzero;
        unsigned got = hyp_page_count(hyp_virt_to_page(&c->h->vm, page));
        if (got != want) {
            fprintf(stderr, "table page %p level %d: count %u, want %u\n", page, level, got,
                    want);
            c->bad++;
        }
    }
}

#endif /* PGT_TABLE_SCAN_H */
