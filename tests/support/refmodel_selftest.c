// SPDX-License-Identifier: MIT
/*
 * The reference model against the plainest model there is: one state per
 * page in an array. Random rm_set()/rm_unmap() calls (many of them
 * setting what is already there, as the interpreter's leaf-wide updates
 * do) go to both; after each, rm_get() and rm_piece() must match the
 * array page by page, rm_mapped_bytes() must match its count, and the
 * runs must be sorted, disjoint, non-empty and minimal (no two touching
 * runs that continue each other).
 *
 *   refmodel-selftest [SEED]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "refmodel.h"

#define PAGE 0x1000ull
#define NPAGES 96u
#define STEPS 20000u

static struct rm_val pages[NPAGES]; /* pa: the page's own output address */
static uint64_t rng;

static uint64_t rnd(uint64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
}

static unsigned step;

static void fail(const char *what, uint64_t addr)
{
    fprintf(stderr, "refmodel-selftest: step %u: %s at %#" PRIx64 "\n", step, what,
            addr);
    exit(1);
}

static struct rm_val random_val(void)
{
    struct rm_val v = {0};
    v.kind = (uint8_t)rnd(3);
    if (v.kind == RM_OWNED)
        v.owner = (uint16_t)(1 + rnd(3));
    if (v.kind == RM_MAPPED) {
        v.young = (uint8_t)rnd(3);
        v.prot = (uint32_t)(1 + rnd(3));
        v.pa = (1 + rnd(4)) * 64 * PAGE + rnd(8) * PAGE;
    }
    return v;
}

/* The state of page @p as rm_get() reports it (pa of that page). */
static struct rm_val page_val(unsigned p)
{
    return pages[p];
}

static void set_pages(unsigned first, unsigned n, const struct rm_val *v)
{
    for (unsigned k = 0; k < n; k++) {
        pages[first + k] = *v;
        if (v->kind == RM_MAPPED)
            pages[first + k].pa = v->pa + k * PAGE;
        else
            pages[first + k].pa = 0;
        if (v->kind != RM_OWNED)
            pages[first + k].owner = 0;
        if (v->kind != RM_MAPPED) {
            pages[first + k].prot = 0;
            pages[first + k].young = 0;
        }
    }
}

static void check(const struct refmodel *m)
{
    uint64_t mapped = 0;
    for (unsigned p = 0; p < NPAGES; p++) {
        struct rm_val want = page_val(p), got = rm_get(m, p * PAGE);
        if (want.kind == RM_MAPPED)
            mapped += PAGE;
        if (!rm_val_eq(&want, &got))
            fail("rm_get differs from the page array", p * PAGE);
    }
    /* Pieces from every start cover the range and agree page by page. */
    unsigned from = (unsigned)rnd(NPAGES), to = from + 1 + (unsigned)rnd(NPAGES - from);
    uint64_t e;
    struct rm_val v;
    uint64_t q = from * PAGE;
    while (rm_piece(m, q, to * PAGE, &e, &v)) {
        if (e <= q || e > to * PAGE)
            fail("rm_piece made no progress or overshot", q);
        for (uint64_t a = q; a < e; a += PAGE) {
            struct rm_val want = page_val((unsigned)(a / PAGE)), at = v;
            if (at.kind == RM_MAPPED)
                at.pa += a - q;
            if (!rm_val_eq(&want, &at))
                fail("rm_piece differs from the page array", a);
        }
        q = e;
    }
    if (q != to * PAGE)
        fail("rm_piece stopped early", q);
    if (rm_mapped_bytes(m, 0, NPAGES * PAGE) != mapped)
        fail("rm_mapped_bytes differs from the page array", 0);
    for (size_t i = 0; i < m->n; i++) {
        const struct rm_run *r = &m->runs[i];
        if (r->start >= r->end || r->v.kind == RM_UNMAPPED)
            fail("empty or unmapped run stored", r->start);
        if (i && m->runs[i - 1].end > r->start)
            fail("runs out of order or overlapping", r->start);
        if (i && m->runs[i - 1].end == r->start) {
            struct rm_val prev = m->runs[i - 1].v;
            if (prev.kind == RM_MAPPED)
                prev.pa += r->start - m->runs[i - 1].start;
            if (rm_val_eq(&prev, &r->v))
                fail("two runs that continue each other (not minimal)", r->start);
        }
    }
}

int main(int argc, char **argv)
{
    struct refmodel m;
    rng = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x2545f4914f6cdd1dull;
    if (!rng)
        rng = 1;
    rm_init(&m, PAGE);
    unsigned same = 0;
    for (step = 0; step < STEPS; step++) {
        unsigned first = (unsigned)rnd(NPAGES);
        unsigned n = 1 + (unsigned)rnd(rnd(4) ? 4 : NPAGES - first);
        if (first + n > NPAGES)
            n = NPAGES - first;
        struct rm_val v;
        if (rnd(2)) {
            /* What page @first holds already, over a run of pages that may
             * or may not hold the same: mostly a no-op. */
            v = page_val(first);
            same++;
        } else {
            v = random_val();
        }
        if (v.kind == RM_UNMAPPED && rnd(2))
            rm_unmap(&m, first * PAGE, n * PAGE);
        else
            rm_set(&m, first * PAGE, n * PAGE, &v);
        set_pages(first, n, &v);
        check(&m);
    }
    rm_fini(&m);
    printf("refmodel-selftest: %u steps (%u re-setting a page's own state), model == "
           "page array\n",
           STEPS, same);
    return 0;
}
