// SPDX-License-Identifier: MIT
/* Reference model of a translation table; see refmodel.h. */
#include "refmodel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rm_init(struct refmodel *m, uint64_t page_size)
{
    memset(m, 0, sizeof(*m));
    m->page = page_size;
}

void rm_fini(struct refmodel *m)
{
    free(m->runs);
    memset(m, 0, sizeof(*m));
}

void rm_clear(struct refmodel *m)
{
    m->n = 0;
}

bool rm_val_eq(const struct rm_val *a, const struct rm_val *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case RM_OWNED:
        return a->owner == b->owner;
    case RM_MAPPED:
        return a->pa == b->pa && a->prot == b->prot && a->young == b->young;
    default:
        return true;
    }
}

/* Index of the first run whose end is above @addr (n if none). */
static size_t first_after(const struct refmodel *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->runs[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct rm_val val_at(const struct rm_run *r, uint64_t addr)
{
    struct rm_val v = r->v;
    if (v.kind == RM_MAPPED)
        v.pa += addr - r->start;
    return v;
}

/* Two runs that touch and continue each other (same state, pa linear). */
static bool mergeable(const struct rm_run *a, const struct rm_run *b)
{
    if (a->end != b->start)
        return false;
    struct rm_val va = val_at(a, b->start);
    return rm_val_eq(&va, &b->v);
}

static void reserve(struct refmodel *m, size_t extra)
{
    if (m->n + extra <= m->cap)
        return;
    size_t cap = m->cap ? m->cap * 2 : 64;
    while (cap < m->n + extra)
        cap *= 2;
    m->runs = realloc(m->runs, cap * sizeof(*m->runs));
    if (!m->runs) {
        fprintf(stderr, "refmodel: host out of memory\n");
        abort();
    }
    m->cap = cap;
}

void rm_set(struct refmodel *m, uint64_t addr, uint64_t size,
            const struct rm_val *v)
{
    uint64_t end = addr + size;
    if (!size)
        return;
    size_t i = first_after(m, addr);
    size_t j = i;
    while (j < m->n && m->runs[j].start < end)
        j++;

    /* Nothing changes: unmapping a gap, or setting what one run already
     * holds there. Leaf-wide updates (access flag, write protection) call
     * this once per leaf, mostly with what the model has already. */
    if (v->kind == RM_UNMAPPED ? i == j
                               : j == i + 1 && m->runs[i].start <= addr &&
                                     m->runs[i].end >= end) {
        struct rm_val cur = i < j ? val_at(&m->runs[i], addr) : *v;
        if (rm_val_eq(&cur, v))
            return;
    }

    struct rm_run repl[3];
    size_t nr = 0;
    if (i < j && m->runs[i].start < addr) {
        repl[nr] = m->runs[i];
        repl[nr++].end = addr;
    }
    if (v->kind != RM_UNMAPPED) {
        repl[nr].start = addr;
        repl[nr].end = end;
        repl[nr++].v = *v;
    }
    if (i < j && m->runs[j - 1].end > end) {
        repl[nr].start = end;
        repl[nr].end = m->runs[j - 1].end;
        repl[nr++].v = val_at(&m->runs[j - 1], end);
    }

    /* Replace runs [i, j) by repl[0..nr). The array is NULL until the
     * first run is stored: no zero-length copies from or to it. */
    reserve(m, nr);
    if (j < m->n)
        memmove(&m->runs[i + nr], &m->runs[j], (m->n - j) * sizeof(*m->runs));
    if (nr)
        memcpy(&m->runs[i], repl, nr * sizeof(*repl));
    m->n = m->n - (j - i) + nr;

    /* Merge around the change so the array stays minimal. */
    size_t lo = i ? i - 1 : 0;
    size_t hi = i + nr < m->n ? i + nr : m->n - 1;
    for (size_t k = hi; k > lo && k < m->n; k--) {
        if (mergeable(&m->runs[k - 1], &m->runs[k])) {
            m->runs[k - 1].end = m->runs[k].end;
            memmove(&m->runs[k], &m->runs[k + 1],
                    (m->n - k - 1) * sizeof(*m->runs));
            m->n--;
        }
    }
}

struct rm_val rm_get(const struct refmodel *m, uint64_t addr)
{
    struct rm_val v = {0};
    size_t i = first_after(m, addr);
    if (i < m->n && m->runs[i].start <= addr)
        v = val_at(&m->runs[i], addr);
    return v;
}

bool rm_piece(const struct refmodel *m, uint64_t addr, uint64_t end,
              uint64_t *e, struct rm_val *v)
{
    if (addr >= end)
        return false;
    size_t i = first_after(m, addr);
    if (i < m->n && m->runs[i].start <= addr) {
        *v = val_at(&m->runs[i], addr);
        *e = m->runs[i].end < end ? m->runs[i].end : end;
    } else {
        memset(v, 0, sizeof(*v));
        *e = (i < m->n && m->runs[i].start < end) ? m->runs[i].start : end;
    }
    return true;
}

uint64_t rm_mapped_bytes(const struct refmodel *m, uint64_t addr,
                         uint64_t size)
{
    uint64_t total = 0, e;
    struct rm_val v;
    for (uint64_t a = addr; rm_piece(m, a, addr + size, &e, &v); a = e)
        if (v.kind == RM_MAPPED)
            total += e - a;
    return total;
}
