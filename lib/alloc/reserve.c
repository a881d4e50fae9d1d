// SPDX-License-Identifier: MIT
/*
 * Reservation arithmetic (see reserve.h). Everything is counted in pages
 * of the table's granule; no allocation, no state.
 */
#include "pgtable/reserve.h"
#include "pgtable/hyp_page.h"

/* Region @r rounded outward to 2^@gs: [*lo, *hi) in bytes. false if empty;
 * *bad set when the rounded end does not fit in 64 bits. */
static bool round_region(const struct pgt_mem_region *r, unsigned int gs, uint64_t *lo,
                         uint64_t *hi, bool *bad)
{
    uint64_t mask = (1ull << gs) - 1;
    uint64_t end;

    if (r->size == 0)
        return false;
    if (r->size - 1 > UINT64_MAX - r->base) {
        *bad = true;
        return false;
    }
    end = r->base + (r->size - 1); /* last byte */
    if (end > UINT64_MAX - mask) {
        *bad = true;
        return false;
    }
    *lo = r->base & ~mask;
    *hi = (end | mask) + 1;
    return true;
}

/*
 * Interval sources for union_count(): region i as an inclusive range of
 * span indices (a span is 2^shift bytes of address, or for the vmemmap
 * one granule page of records).
 */
struct spans {
    const struct pgt_mem_region *regions;
    unsigned int gs;        /* granule shift */
    unsigned int shift;     /* table spans: log2 bytes covered by one table page */
    bool vmemmap;           /* vmemmap mode: */
    uint64_t first_pfn;
    uint64_t entry_size;
};

static bool span_of(const struct spans *s, size_t i, uint64_t *a, uint64_t *b)
{
    uint64_t lo, hi;
    bool bad = false;

    if (!round_region(&s->regions[i], s->gs, &lo, &hi, &bad))
        return false;
    if (!s->vmemmap) {
        *a = lo >> s->shift;
        *b = (hi - 1) >> s->shift;
    } else {
        uint64_t first = ((lo >> s->gs) - s->first_pfn) * s->entry_size;
        uint64_t last = ((hi >> s->gs) - s->first_pfn) * s->entry_size - 1;

        *a = first >> s->gs;
        *b = last >> s->gs;
    }
    return true;
}

/* Number of distinct span indices in the union of every region's range:
 * repeatedly take the range reaching furthest among those starting
 * earliest past what is already counted (O(n^2), n is small). */
static uint64_t union_count(const struct spans *s, size_t n)
{
    uint64_t total = 0, done = 0;
    bool have = false;

    for (;;) {
        uint64_t best_s = 0, best_b = 0, a, b, st;
        bool found = false;

        for (size_t i = 0; i < n; i++) {
            if (!span_of(s, i, &a, &b))
                continue;
            if (have && b <= done)
                continue;
            st = (have && a <= done) ? done + 1 : a;
            if (!found || st < best_s || (st == best_s && b > best_b)) {
                best_s = st;
                best_b = b;
                found = true;
            }
        }
        if (!found)
            return total;
        total += best_b - best_s + 1;
        done = best_b;
        have = true;
    }
}

/* Check every region: rounding fits, and (if @ia_limit) ends within it. */
static int check_regions(const struct pgt_mem_region *regions, size_t n, unsigned int gs,
                         uint64_t ia_limit)
{
    if (n && !regions)
        return -PGT_EINVAL;
    for (size_t i = 0; i < n; i++) {
        uint64_t lo, hi;
        bool bad = false;

        if (!round_region(&regions[i], gs, &lo, &hi, &bad)) {
            if (bad)
                return -PGT_EINVAL;
            continue;
        }
        if (ia_limit && hi > ia_limit)
            return -PGT_ERANGE;
    }
    return 0;
}

static uint64_t ia_size(const struct pgt_geom *g)
{
    return g->ia_bits >= 64 ? 0 : 1ull << g->ia_bits;
}

int pgt_table_pages_at(const struct pgt_geom *g, const struct pgt_mem_region *regions,
                       size_t n, uint64_t *pages)
{
    struct spans s = {.regions = regions};
    uint64_t total;
    int ret;

    if (!g || !pages)
        return -PGT_EINVAL;
    s.gs = g->granule_shift;
    ret = check_regions(regions, n, s.gs, ia_size(g));
    if (ret)
        return ret;
    total = g->nr_root_pages;
    /* A table at level L (below the root) covers what one level L-1 entry
     * maps: count the distinct such spans the regions touch. */
    for (int level = g->start_level + 1; level <= PGT_LEVEL_MAX; level++) {
        s.shift = pgt_level_shift(g, level - 1);
        total += union_count(&s, n);
    }
    *pages = total;
    return 0;
}

/* Worst-case tables for a run of @nr pages at one level whose tables span
 * S = 2^@sp pages each: starting on a span's last page, the run touches
 * floor((nr + S - 2) / S) + 1 spans (1 for nr == 1, 2 for 2 <= nr <= S). */
static uint64_t worst_spans(uint64_t nr, unsigned int sp)
{
    uint64_t S = 1ull << sp;

    return nr == 0 ? 0 : (nr + S - 2) / S + 1;
}

int pgt_table_pages_anywhere(const struct pgt_geom *g, const struct pgt_mem_region *regions,
                             size_t n, uint64_t *pages)
{
    uint64_t total;
    unsigned int gs;
    int ret;

    if (!g || !pages)
        return -PGT_EINVAL;
    gs = g->granule_shift;
    ret = check_regions(regions, n, gs, 0);
    if (ret)
        return ret;
    for (size_t i = 0; i < n; i++) {
        uint64_t lo, hi;
        bool bad = false;

        if (round_region(&regions[i], gs, &lo, &hi, &bad) && hi - lo > ia_size(g))
            return -PGT_ERANGE;
    }
    total = g->nr_root_pages;
    for (int level = g->start_level + 1; level <= PGT_LEVEL_MAX; level++) {
        unsigned int sh = pgt_level_shift(g, level - 1);
        uint64_t at_level = 0, max_tables = 1ull << (g->ia_bits - sh);

        for (size_t i = 0; i < n; i++) {
            uint64_t lo, hi;
            bool bad = false;

            if (round_region(&regions[i], gs, &lo, &hi, &bad))
                at_level += worst_spans((hi - lo) >> gs, sh - gs);
        }
        total += at_level < max_tables ? at_level : max_tables;
    }
    *pages = total;
    return 0;
}

int hyp_s1_pgtable_pages(const struct pgt_geom *g, const struct pgt_mem_region *regions,
                         size_t n, uint64_t private_va_size, uint64_t *pages)
{
    struct pgt_mem_region priv = {.base = 0, .size = private_va_size};
    uint64_t mem, extra;
    int ret;

    ret = pgt_table_pages_anywhere(g, regions, n, &mem);
    if (ret)
        return ret;
    ret = pgt_table_pages_anywhere(g, &priv, 1, &extra);
    if (ret)
        return ret;
    /* One root for both. */
    *pages = mem + extra - g->nr_root_pages;
    return 0;
}

int hyp_s2_pgtable_pages(const struct pgt_geom *g, const struct pgt_mem_region *regions,
                         size_t n, uint64_t *pages)
{
    return pgt_table_pages_at(g, regions, n, pages);
}

int hyp_vmemmap_pages(const struct pgt_mem_region *regions, size_t n,
                      unsigned int granule_shift, uint64_t first_pfn,
                      size_t entry_size, uint64_t *pages)
{
    struct spans s = {.regions = regions, .vmemmap = true, .first_pfn = first_pfn,
                      .entry_size = entry_size};
    int ret;

    if (!pages || entry_size == 0 || entry_size > 4096)
        return -PGT_EINVAL;
    if (granule_shift != 12 && granule_shift != 14 && granule_shift != 16)
        return -PGT_EINVAL;
    s.gs = granule_shift;
    ret = check_regions(regions, n, granule_shift, 0);
    if (ret)
        return ret;
    for (size_t i = 0; i < n; i++) {
        uint64_t lo, hi;
        bool bad = false;

        if (round_region(&regions[i], granule_shift, &lo, &hi, &bad) &&
            (lo >> granule_shift) < first_pfn)
            return -PGT_ERANGE;
    }
    *pages = union_count(&s, n);
    return 0;
}

int hyp_reserve_compute(const struct pgt_mem_region *regions, size_t n,
                        const struct pgt_geom *s1, uint64_t private_va_size,
                        const struct pgt_geom *s2, uint64_t extra_pages,
                        struct hyp_reserve *out)
{
    struct hyp_reserve r = {0};
    int ret;

    if (!s1 || !out || (s2 && s2->granule_shift != s1->granule_shift))
        return -PGT_EINVAL;
    ret = hyp_vmemmap_pages(regions, n, s1->granule_shift, 0, sizeof(struct hyp_page),
                            &r.vmemmap);
    if (ret)
        return ret;
    ret = hyp_s1_pgtable_pages(s1, regions, n, private_va_size, &r.s1);
    if (ret)
        return ret;
    if (s2) {
        ret = hyp_s2_pgtable_pages(s2, regions, n, &r.s2);
        if (ret)
            return ret;
    }
    r.extra = extra_pages;
    r.total = r.vmemmap + r.s1 + r.s2 + r.extra;
    if (r.total < r.extra)
        return -PGT_EINVAL;
    /* Field by field: a struct copy may become a memcpy call. */
    out->vmemmap = r.vmemmap;
    out->s1 = r.s1;
    out->s2 = r.s2;
    out->extra = r.extra;
    out->total = r.total;
    return 0;
}

int hyp_divide_memory_pool(struct hyp_early_alloc *ea, const struct hyp_reserve *res,
                           struct hyp_carveout *out)
{
    uint64_t parts[4], left;
    void **dst[4];

    if (!ea || !res || !out)
        return -PGT_EINVAL;
    parts[0] = res->vmemmap;
    parts[1] = res->s1;
    parts[2] = res->s2;
    parts[3] = res->extra;
    dst[0] = &out->vmemmap;
    dst[1] = &out->s1;
    dst[2] = &out->s2;
    dst[3] = &out->extra;
    left = (ea->end - ea->cur) >> ea->granule_shift;
    for (int i = 0; i < 4; i++) {
        if (parts[i] > left)
            return -PGT_ENOMEM;
        left -= parts[i];
    }
    for (int i = 0; i < 4; i++)
        *dst[i] = parts[i] ? hyp_early_alloc_contig(ea, parts[i]) : NULL;
    return 0;
}
