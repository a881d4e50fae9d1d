/* SPDX-License-Identifier: MIT */
/*
 * Reference model of a translation table: what every page of the input
 * address space should translate to, written from the operations'
 * documented semantics only (never read back from the tables).
 *
 * The model is page-granular in meaning but stored as a sorted array of
 * runs [start, end) of pages with the same state, so a 1 GiB block costs
 * one run. A page is unmapped (no run covers it), owned (an invalid
 * stage-2 entry carrying an owner id) or mapped (output address, prot,
 * access flag). Within a mapped run the output address grows with the
 * input address.
 */
#ifndef PGT_TEST_REFMODEL_H
#define PGT_TEST_REFMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rm_kind {
    RM_UNMAPPED = 0,
    RM_OWNED = 1,
    RM_MAPPED = 2,
};

#define RM_YOUNG_UNKNOWN 2 /* either is right; learnt at the next compare */

struct rm_val {
    uint8_t kind;   /* enum rm_kind */
    uint8_t young;  /* mapped: access flag 0/1, or RM_YOUNG_UNKNOWN */
    uint16_t owner; /* owned: the owner id (1..255) */
    uint32_t prot;  /* mapped: enum pgt_prot as given to map/protect */
    uint64_t pa;    /* mapped: output address of the piece's first page */
};

struct rm_run {
    uint64_t start, end; /* input addresses, page aligned, end exclusive */
    struct rm_val v;     /* v.pa is the output address of start */
};

struct refmodel {
    uint64_t page; /* page size in bytes */
    struct rm_run *runs;
    size_t n, cap;
};

void rm_init(struct refmodel *m, uint64_t page_size);
void rm_fini(struct refmodel *m);
void rm_clear(struct refmodel *m);

/* Set [addr, addr + size) to @v (v->pa: output address of @addr). */
void rm_set(struct refmodel *m, uint64_t addr, uint64_t size,
            const struct rm_val *v);

static inline void rm_unmap(struct refmodel *m, uint64_t addr, uint64_t size)
{
    struct rm_val v = {0};
    rm_set(m, addr, size, &v);
}

/* The state of the page holding @addr (pa adjusted to that page). */
struct rm_val rm_get(const struct refmodel *m, uint64_t addr);

/*
 * Iterate [addr, end) as maximal pieces of one run or one gap: on return
 * *s = addr, *e = the end of the piece (<= end), *v its state with pa
 * adjusted to *s. Call with addr = *e to continue; returns false when
 * addr >= end.
 */
bool rm_piece(const struct refmodel *m, uint64_t addr, uint64_t end,
              uint64_t *e, struct rm_val *v);

/* Whether the two states are the same translation (pa compared as is). */
bool rm_val_eq(const struct rm_val *a, const struct rm_val *b);

/* Number of mapped bytes in [addr, addr + size). */
uint64_t rm_mapped_bytes(const struct refmodel *m, uint64_t addr,
                         uint64_t size);

#endif /* PGT_TEST_REFMODEL_H */
