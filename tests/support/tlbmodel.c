// SPDX-License-Identifier: MIT
/* Recording TLB and independent table walker; see tlbmodel.h. */
#include "tlbmodel.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- independent walker ---------------------------------------------- */

pgt_pte_t *tlbm_table_ptr(const struct tmm *m, uint64_t pa)
{
    if (pa < m->pa_base || (pa - m->pa_base) % m->page_size)
        return NULL;
    uint64_t idx = (pa - m->pa_base) / m->page_size;
    if (idx >= m->nr_pages || m->refcount[idx] <= 0)
        return NULL;
    return (pgt_pte_t *)(void *)(m->base + idx * m->page_size);
}

bool tlbm_level_has_leaf(const struct pgt *pgt, int level)
{
    if (level < pgt->geom.start_level || level > 3)
        return false;
    if (level >= 2)
        return true;
    /* Level 1 blocks (1 GiB) only with the 4K granule when OA is 48 bits;
     * level 0 never without LPA2 (Arm ARM D8.2, table of block sizes). */
    return level == 1 && pgt->geom.granule_shift == 12;
}

unsigned tlbm_cont_entries(const struct pgt *pgt, int level)
{
    if (!tlbm_level_has_leaf(pgt, level))
        return 0;
    switch (pgt->geom.granule_shift) {
    case 12:
        return 16;
    case 14:
        return level == 3 ? 128 : level == 2 ? 32 : 0;
    default:
        return level >= 2 ? 32 : 0;
    }
}

bool tlbm_walk(const struct tmm *m, const struct pgt *pgt, uint64_t addr,
               struct tlbm_walk_res *res)
{
    const struct pgt_geom *g = &pgt->geom;
    int level = g->start_level;
    uint32_t shift = tlbm_shift(pgt, level);
    uint64_t nentries = 1ull << (g->ia_bits - shift); /* whole root */
    const pgt_pte_t *table = pgt->pgd;

    memset(res, 0, sizeof(*res));
    if (g->ia_bits < 64 && addr >> g->ia_bits) {
        res->err = "address beyond the IA size";
        return false;
    }
    for (;;) {
        uint64_t idx = (addr >> shift) & (nentries - 1);
        pgt_pte_t pte = table[idx];
        res->pte = pte;
        res->level = level;
        if (!(pte & PGT_PTE_VALID))
            return true;
        if (level == 3) {
            if (!(pte & PGT_PTE_TYPE)) {
                res->err = "reserved level-3 descriptor (valid, type 0)";
                return false;
            }
            return true;
        }
        if (!(pte & PGT_PTE_TYPE)) {
            if (!tlbm_level_has_leaf(pgt, level)) {
                res->err = "block descriptor at a level without blocks";
                return false;
            }
            if (pte & ((1ull << shift) - 1) & ((1ull << 48) - 1) &
                ~((1ull << g->granule_shift) - 1)) {
                res->err = "block output address not aligned to its size";
                return false;
            }
            return true;
        }
        res->tables[res->nr_tables].level = level;
        res->tables[res->nr_tables].pte = pte;
        res->nr_tables++;
        table = tlbm_table_ptr(m, tlbm_oa(pgt, pte));
        if (!table) {
            res->err = "table descriptor points outside the live arena";
            return false;
        }
        level++;
        shift = tlbm_shift(pgt, level);
        nentries = 1ull << (g->granule_shift - 3);
    }
}

static const char *leaves_rec(const struct tmm *m, const struct pgt *pgt,
                              const pgt_pte_t *t, uint64_t n, int level,
                              uint64_t va, uint64_t a, uint64_t b,
                              tlbm_run_fn fn, void *arg)
{
    uint32_t shift = tlbm_shift(pgt, level);
    uint64_t sz = 1ull << shift;
    uint64_t i0 = a > va ? (a - va) >> shift : 0;
    /* Entries [i0, n) that start below b. */
    if (b - va < n * sz)
        n = (b - va + sz - 1) >> shift;
    for (uint64_t i = i0; i < n; i++) {
        pgt_pte_t pte = t[i];
        uint64_t cva = va + i * sz;
        if ((pte & PGT_PTE_VALID) && level < 3 && (pte & PGT_PTE_TYPE)) {
            const pgt_pte_t *child = tlbm_table_ptr(m, tlbm_oa(pgt, pte));
            if (!child)
                return "table descriptor points outside the live arena";
            const char *err =
                leaves_rec(m, pgt, child, 1ull << (pgt->geom.granule_shift - 3),
                           level + 1, cva, a, b, fn, arg);
            if (err)
                return err;
            continue;
        }
        if (pte & PGT_PTE_VALID) {
            if (level == 3 && !(pte & PGT_PTE_TYPE))
                return "reserved level-3 descriptor (valid, type 0)";
            if (level < 3 && !tlbm_level_has_leaf(pgt, level))
                return "block descriptor at a level without blocks";
            if (pte & (sz - 1) & ((1ull << 48) - 1) &
                ~((1ull << pgt->geom.granule_shift) - 1))
                return "block output address not aligned to its size";
            /* Leaves that continue this one are as checked as it is. */
            uint64_t j = i + 1;
            while (j < n && t[j] == pte + (j - i) * sz)
                j++;
            fn(arg, cva, level, pte, j - i);
            i = j - 1;
            continue;
        }
        uint64_t j = i + 1;
        while (j < n && t[j] == pte)
            j++;
        fn(arg, cva, level, pte, j - i);
        i = j - 1;
    }
    return NULL;
}

const char *tlbm_leaf_runs(const struct tmm *m, const struct pgt *pgt, uint64_t a,
                           uint64_t b, tlbm_run_fn fn, void *arg)
{
    const struct pgt_geom *g = &pgt->geom;
    uint32_t shift = tlbm_shift(pgt, g->start_level);
    if (b <= a)
        return NULL;
    return leaves_rec(m, pgt, pgt->pgd, 1ull << (g->ia_bits - shift),
                      g->start_level, 0, a, b, fn, arg);
}

struct per_entry {
    const struct pgt *pgt;
    tlbm_leaf_fn fn;
    void *arg;
};

static void per_entry(void *arg, uint64_t va, int level, pgt_pte_t pte, uint64_t count)
{
    const struct per_entry *pe = arg;
    uint64_t sz = 1ull << tlbm_shift(pe->pgt, level);
    for (uint64_t k = 0; k < count; k++)
        pe->fn(pe->arg, va + k * sz, level, pte);
}

const char *tlbm_leaves(const struct tmm *m, const struct pgt *pgt, uint64_t a,
                        uint64_t b, tlbm_leaf_fn fn, void *arg)
{
    struct per_entry pe = {pgt, fn, arg};
    return tlbm_leaf_runs(m, pgt, a, b, per_entry, &pe);
}

/* ---- recording TLB ---------------------------------------------------- */

static uint64_t rnd(struct tlbm *t)
{
    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 7;
    t->rng ^= t->rng << 17;
    return t->rng;
}

static void violation(struct tlbm *t, unsigned long *counter, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
    va_end(ap);
    t->violations++;
    (*counter)++;
    if (t->fatal) {
        if (t->report)
            t->report(t->report_arg, t->msg);
        else
            fprintf(stderr, "tlbmodel: %s\n", t->msg);
        abort();
    }
}

static uint64_t span_base(const struct tlbm *t, uint64_t addr, int level)
{
    return addr & ~((1ull << tlbm_shift(t->pgt, level)) - 1);
}

static uint64_t span_end(const struct tlbm *t, uint64_t va, int level)
{
    return va + (1ull << tlbm_shift(t->pgt, level));
}

/* End of the span a cached entry covers (a whole run for a contiguous
 * leaf). */
static uint64_t entry_end(const struct tlbm *t, const struct tlbm_entry *e)
{
    return e->va + ((1ull << tlbm_shift(t->pgt, e->level)) << e->cont);
}

static void insert(struct tlbm *t, uint64_t va, int level, bool walk,
                   pgt_pte_t pte, unsigned cont)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].va == va && t->e[i].level == level &&
            t->e[i].walk == walk && t->e[i].cont == cont)
            return; /* keep the older copy: it is what a TLB would hold */
    size_t i = t->n < TLBM_CAP ? t->n++ : (size_t)(rnd(t) % TLBM_CAP);
    t->e[i].va = va;
    t->e[i].level = (int8_t)level;
    t->e[i].walk = walk;
    t->e[i].cont = (uint8_t)cont;
    t->e[i].gone[0] = t->e[i].gone[1] = 0;
    t->e[i].pte = pte;
}

static void drop(struct tlbm *t, size_t i)
{
    t->e[i] = t->e[--t->n];
}

static bool gone(const struct tlbm_entry *e, uint64_t k)
{
    return e->gone[k / 64] >> (k % 64) & 1;
}

/* An invalidation of [@addr, @end) hits entry @i: a single entry goes; a
 * run loses the entries in the range, and goes when none is left. */
static void forget(struct tlbm *t, size_t i, uint64_t addr, uint64_t end)
{
    struct tlbm_entry *e = &t->e[i];
    uint64_t n = 1ull << e->cont, sz = 1ull << tlbm_shift(t->pgt, e->level);
    bool all = true;

    if (!e->cont) {
        drop(t, i);
        return;
    }
    for (uint64_t k = 0; k < n; k++) {
        uint64_t va = e->va + k * sz;
        if (va < end && va + sz > addr)
            e->gone[k / 64] |= 1ull << (k % 64);
        all = all && gone(e, k);
    }
    if (all)
        drop(t, i);
}

void tlbm_touch(struct tlbm *t, uint64_t addr)
{
    struct tlbm_walk_res r;
    if (!tlbm_walk(t->mm, t->pgt, addr, &r))
        return;
    for (int i = 0; i < r.nr_tables; i++)
        insert(t, span_base(t, addr, r.tables[i].level), r.tables[i].level,
               true, r.tables[i].pte, 0);
    if (r.pte & PGT_PTE_VALID) {
        unsigned n =
            (r.pte & PGT_PTE_CONT) ? tlbm_cont_entries(t->pgt, r.level) : 0;
        uint64_t va = span_base(t, addr, r.level);
        if (n > 1) {
            /* One entry for the run, from this leaf: the leaf the run's
             * first address would have if the run is as it claims. */
            uint64_t sz = 1ull << tlbm_shift(t->pgt, r.level);
            uint64_t k = (va / sz) & (n - 1);
            insert(t, va - k * sz, r.level, false,
                   (r.pte & ~PGT_PTE_AF) - k * sz, (unsigned)__builtin_ctz(n));
        } else {
            insert(t, va, r.level, false, r.pte & ~PGT_PTE_AF, 0);
        }
    }
    t->refills++;
}

void tlbm_init(struct tlbm *t, struct tmm *m, const struct pgt *pgt,
               uint64_t seed)
{
    memset(t, 0, sizeof(*t));
    t->mm = m;
    t->pgt = pgt;
    t->rng = seed | 1;
    t->fatal = true;
    m->on_event = tlbm_on_event;
    m->on_free = tlbm_on_free;
    m->observer_arg = t;
}

void tlbm_fini(struct tlbm *t, struct tmm *m)
{
    free(t->pre);
    t->pre = NULL;
    if (m->observer_arg == t) {
        m->on_event = NULL;
        m->on_free = NULL;
        m->observer_arg = NULL;
    }
}

void tlbm_flush(struct tlbm *t)
{
    t->n = 0;
}

/* Pre-operation leaf runs: sorted by va, valid leaves only. */
static void pre_add(struct tlbm *t, uint64_t va, int level, pgt_pte_t pte)
{
    if (t->npre == t->precap) {
        t->precap = t->precap ? t->precap * 2 : 1024;
        t->pre = realloc(t->pre, t->precap * sizeof(*t->pre));
        if (!t->pre)
            abort();
    }
    struct tlbm_run *r = &t->pre[t->npre++];
    r->va = va;
    r->level = level;
    r->pte = pte;
    r->broken = false;
}

static void pre_leaf(void *arg, uint64_t va, int level, pgt_pte_t pte, uint64_t count)
{
    struct tlbm *t = arg;
    uint64_t sz = 1ull << tlbm_shift(t->pgt, level);
    if (pte & PGT_PTE_VALID)
        for (uint64_t k = 0; k < count; k++)
            pre_add(t, va + k * sz, level, pte + k * sz);
}

void tlbm_begin_op(struct tlbm *t, uint64_t addr, uint64_t end)
{
    t->in_op = true;
    t->op_addr = addr;
    t->op_end = end;
    t->npre = 0;
    /* A broken table is reported by the property test itself. */
    (void)tlbm_leaf_runs(t->mm, t->pgt, addr, end, pre_leaf, t);
}

/* First pre run whose span ends above @addr. */
static size_t pre_first(const struct tlbm *t, uint64_t addr)
{
    size_t lo = 0, hi = t->npre;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (span_end(t, t->pre[mid].va, t->pre[mid].level) <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct mark_ctx {
    struct tlbm *t;
    uint64_t addr;
    int level;
    size_t cur; /* pre runs before this one end before the entries seen */
};

/* An entry invalid now: the pre-op entries whose check point is in it
 * were invalidated while invalid. */
static void mark_leaf(void *arg, uint64_t va, int level, pgt_pte_t pte, uint64_t count)
{
    struct mark_ctx *c = arg;
    struct tlbm *t = c->t;
    uint64_t end = va + count * (span_end(t, va, level) - va);
    if (pte & PGT_PTE_VALID)
        return;
    while (c->cur < t->npre &&
           span_end(t, t->pre[c->cur].va, t->pre[c->cur].level) <= va)
        c->cur++;
    for (size_t i = c->cur; i < t->npre && t->pre[i].va < end; i++) {
        struct tlbm_run *r = &t->pre[i];
        uint64_t at = r->va > c->addr ? r->va : c->addr;
        if (at >= va && at < end && (c->level < 0 || r->level == c->level))
            r->broken = true;
    }
}

/* Invalidation of [addr, end) at @level (or any level: -1) happened now:
 * remember which pre-op entries it broke. */
static void mark_broken(struct tlbm *t, uint64_t addr, uint64_t end, int level)
{
    if (!t->in_op || !t->npre)
        return;
    uint64_t lo = addr > t->pre[0].va ? addr : t->pre[0].va;
    uint64_t last = span_end(t, t->pre[t->npre - 1].va, t->pre[t->npre - 1].level);
    uint64_t hi = end < last ? end : last;
    if (lo >= hi)
        return;
    struct mark_ctx c = {t, addr, level, pre_first(t, lo)};
    (void)tlbm_leaf_runs(t->mm, t->pgt, lo, hi, mark_leaf, &c);
}

static bool entry_overlaps(const struct tlbm *t, const struct tlbm_entry *e,
                           uint64_t addr, uint64_t end)
{
    return e->va < end && entry_end(t, e) > addr;
}

void tlbm_on_event(struct tmm *m, const struct pgt *pgt,
                   const struct tmm_event *ev)
{
    struct tlbm *t = m->observer_arg;
    (void)pgt;
    if (!t || ev->kind == TMM_DCACHE || ev->kind == TMM_ICACHE)
        return;
    t->events++;
    switch (ev->kind) {
    case TMM_TLBI_VA:
        if (ev->level == PGT_LEVEL_UNKNOWN) {
            for (size_t i = t->n; i-- > 0;)
                if (entry_overlaps(t, &t->e[i], ev->addr, ev->addr + 1))
                    forget(t, i, ev->addr, ev->addr + 1);
            mark_broken(t, ev->addr, ev->addr + 1, -1);
        } else if (!tlbm_level_has_leaf(t->pgt, ev->level)) {
            violation(t, &t->hint,
                      "HINT: tlbi_va(%#" PRIx64 ", level %d): no leaf can "
                      "exist at that level in this geometry (granule %u, "
                      "start level %d)",
                      ev->addr, ev->level, 1u << t->pgt->geom.granule_shift,
                      t->pgt->geom.start_level);
        } else {
            for (size_t i = t->n; i-- > 0;)
                if (!t->e[i].walk && t->e[i].level == ev->level &&
                    entry_overlaps(t, &t->e[i], ev->addr, ev->addr + 1))
                    forget(t, i, ev->addr, ev->addr + 1);
            mark_broken(t, ev->addr, ev->addr + 1, ev->level);
        }
        tlbm_touch(t, ev->addr); /* the walker may refill right away */
        break;
    case TMM_TLBI_RANGE:
        for (size_t i = t->n; i-- > 0;)
            if (entry_overlaps(t, &t->e[i], ev->addr, ev->addr + ev->size))
                forget(t, i, ev->addr, ev->addr + ev->size);
        mark_broken(t, ev->addr, ev->addr + ev->size, -1);
        tlbm_touch(t, ev->addr);
        if (ev->size > t->mm->page_size)
            tlbm_touch(t, ev->addr + ev->size - t->mm->page_size);
        break;
    case TMM_TLBI_ALL:
        t->n = 0;
        mark_broken(t, 0, UINT64_MAX, -1);
        break;
    default:
        break;
    }
}

void tlbm_on_free(struct tmm *m, uint64_t pa)
{
    struct tlbm *t = m->observer_arg;
    if (!t || !t->in_op)
        return; /* destroy: the embedder invalidates the whole VMID */
    for (size_t i = 0; i < t->n; i++) {
        const struct tlbm_entry *e = &t->e[i];
        if (e->walk && tlbm_oa(t->pgt, e->pte) == pa)
            violation(t, &t->freed,
                      "FREED: table page %#" PRIx64 " freed while the TLB "
                      "still holds the level %d table entry for va %#" PRIx64
                      " pointing at it (free before invalidation)",
                      pa, e->level, e->va);
    }
}

static pgt_pte_t memtype(const struct tlbm *t, pgt_pte_t pte)
{
    return t->pgt->regime == PGT_REGIME_S2 ? pte & PGT_S2_MEMATTR_MASK
                                           : pte & PGT_S1_ATTRINDX_MASK;
}

static void bbm_leaf(void *arg, uint64_t va, int level, pgt_pte_t pte, uint64_t count)
{
    struct tlbm *t = arg;
    /* A run of leaves is one mapping: OA linear, same attributes. */
    uint64_t end = va + count * (span_end(t, va, level) - va);
    if (!(pte & PGT_PTE_VALID))
        return;
    uint64_t lo = va > t->op_addr ? va : t->op_addr;
    uint64_t hi = end < t->op_end ? end : t->op_end;
    while (t->cur < t->npre &&
           span_end(t, t->pre[t->cur].va, t->pre[t->cur].level) <= lo)
        t->cur++;
    for (size_t i = t->cur; i < t->npre && t->pre[i].va < hi; i++) {
        struct tlbm_run *p = &t->pre[i];
        if (p->broken)
            continue;
        uint64_t at = p->va > lo ? p->va : lo;
        uint64_t oa_old = tlbm_oa(t->pgt, p->pte) + (at - p->va);
        uint64_t oa_new = tlbm_oa(t->pgt, pte) + (at - va);
        const char *what = NULL;
        if (oa_old != oa_new)
            what = "output address";
        else if (memtype(t, p->pte) != memtype(t, pte))
            what = "memory type";
        else if (p->level != level)
            what = "block size";
        else if ((p->pte ^ pte) & PGT_PTE_CONT)
            what = "contiguous bit";
        if (what)
            violation(t, &t->bbm,
                      "BBM: %s of %#" PRIx64 " changed (level %d pte %#" PRIx64
                      " -> level %d pte %#" PRIx64
                      ") without an invalidation while invalid",
                      what, at, p->level, p->pte, level, pte);
        p->broken = true; /* report each old entry once */
    }
}

static void check_bbm(struct tlbm *t)
{
    t->cur = 0;
    if (t->npre)
        (void)tlbm_leaf_runs(t->mm, t->pgt, t->op_addr, t->op_end, bbm_leaf, t);
}

/* The run of @level holding @va, whose entry there has the contiguous
 * bit: uniform, or a CONT violation. */
static void check_run(struct tlbm *t, uint64_t va, int level)
{
    unsigned n = tlbm_cont_entries(t->pgt, level);
    uint64_t sz = 1ull << tlbm_shift(t->pgt, level);
    struct tlbm_walk_res r, r0;

    if (n == 0) {
        violation(t, &t->cont,
                  "CONT: leaf at va %#" PRIx64 " level %d has the contiguous "
                  "bit, which that level does not have",
                  va, level);
        return;
    }
    uint64_t base = va & ~(n * sz - 1);
    const pgt_pte_t oa_mask = ((1ull << 48) - 1) & ~(sz - 1);
    if (!tlbm_walk(t->mm, t->pgt, base, &r0))
        return; /* broken tables: the property test reports them */
    for (unsigned k = 0; k < n; k++) {
        const char *why = NULL;
        if (!k)
            r = r0;
        else if (!tlbm_walk(t->mm, t->pgt, base + k * sz, &r))
            return;
        if (!(r.pte & PGT_PTE_VALID) || r.level != level)
            why = "an entry of the run is not a leaf of its level";
        else if (!(r.pte & PGT_PTE_CONT))
            why = "an entry of the run lacks the contiguous bit";
        else if ((r.pte & ~oa_mask) != (r0.pte & ~oa_mask))
            why = "entries of the run differ in attributes";
        else if ((r.pte & oa_mask) != (r0.pte & oa_mask) + k * sz ||
                 ((r0.pte & oa_mask) & (n * sz - 1)))
            why = "the run's output addresses do not follow on from an "
                  "aligned one";
        if (why) {
            violation(t, &t->cont,
                      "CONT: run of %u at va %#" PRIx64 " level %d (entry %u, "
                      "pte %#" PRIx64 "): %s",
                      n, base, level, k, r.pte, why);
            return;
        }
    }
}

struct cont_ctx {
    struct tlbm *t;
    uint64_t last_base;
    int last_level;
};

static void cont_check_once(struct cont_ctx *c, uint64_t va, int level)
{
    unsigned n = tlbm_cont_entries(c->t->pgt, level);
    uint64_t run = (uint64_t)(n ? n : 1) << tlbm_shift(c->t->pgt, level);
    uint64_t base = va & ~(run - 1);

    if (base == c->last_base && level == c->last_level)
        return;
    c->last_base = base;
    c->last_level = level;
    check_run(c->t, va, level);
}

/* A run of @count leaves following on, all with the same bits: the runs
 * with the hint at its two ends are checked whole; those between hold
 * entries of this run only, uniform with the first's alignment. */
static void cont_leaves(void *arg, uint64_t va, int level, pgt_pte_t pte,
                        uint64_t count)
{
    struct cont_ctx *c = arg;

    if (!(pte & PGT_PTE_VALID) || !(pte & PGT_PTE_CONT))
        return;
    cont_check_once(c, va, level);
    cont_check_once(
        c, va + (count - 1) * (1ull << tlbm_shift(c->t->pgt, level)), level);
}

/* Every run with the hint that [addr, end) touches: the leaves inside,
 * and the runs holding either end, at every level. */
static void check_cont(struct tlbm *t, uint64_t addr, uint64_t end)
{
    struct cont_ctx c = {t, 1, -9};

    (void)tlbm_leaf_runs(t->mm, t->pgt, addr, end, cont_leaves, &c);
    for (int level = t->pgt->geom.start_level; level <= 3; level++) {
        unsigned n = tlbm_cont_entries(t->pgt, level);
        uint64_t run = (uint64_t)n << tlbm_shift(t->pgt, level);
        if (!n)
            continue;
        uint64_t lo = addr & ~(run - 1), hi = (end - 1) & ~(run - 1);
        (void)tlbm_leaf_runs(t->mm, t->pgt, lo, lo + run, cont_leaves, &c);
        if (hi != lo)
            (void)tlbm_leaf_runs(t->mm, t->pgt, hi, hi + run, cont_leaves, &c);
    }
}

unsigned long tlbm_end_op(struct tlbm *t)
{
    unsigned long before = t->violations;
    t->checks++;
    for (size_t i = t->n; i-- > 0;) {
        struct tlbm_entry *e = &t->e[i];
        struct tlbm_walk_res r;
        bool ok = tlbm_walk(t->mm, t->pgt, e->va, &r);
        if (ok && e->walk) {
            ok = false;
            for (int k = 0; k < r.nr_tables; k++)
                if (r.tables[k].level == e->level && r.tables[k].pte == e->pte)
                    ok = true;
        } else if (ok) {
            /* Every address the entry translates: one, or the entries of
             * a run not invalidated yet. */
            const pgt_pte_t mask = ~(PGT_PTE_AF | PGT_PTE_CONT);
            uint64_t sz = 1ull << tlbm_shift(t->pgt, e->level);
            for (uint64_t k = 0; ok && k < (1ull << e->cont); k++) {
                if (gone(e, k))
                    continue;
                if (k || e->cont)
                    ok = tlbm_walk(t->mm, t->pgt, e->va + k * sz, &r);
                ok = ok && (r.pte & PGT_PTE_VALID) && r.level == e->level &&
                     (r.pte & mask) == ((e->pte + k * sz) & mask);
            }
        }
        if (!ok) {
            violation(t, &t->stale,
                      "STALE: the TLB still holds %s level %d va %#" PRIx64
                      " pte %#" PRIx64 " but the tables now give level %d pte "
                      "%#" PRIx64 " (missing or mis-hinted invalidation)",
                      e->walk ? "table entry" : "leaf", e->level, e->va,
                      e->pte, r.level, r.pte);
            drop(t, i);
        }
    }
    if (t->in_op) {
        check_bbm(t);
        if (t->op_end > t->op_addr)
            check_cont(t, t->op_addr, t->op_end);
    }
    t->in_op = false;
    return t->violations - before;
}
