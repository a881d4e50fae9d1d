// SPDX-License-Identifier: MIT
/*
 * The operation engine behind map, unmap, set_owner and protect, for both
 * stages. Every operation runs in two passes over the generic walker:
 *
 *   prepare: read-only. Finds conflicts and bad entries (the operation
 *            fails there, nothing written) and counts exactly the table
 *            pages the commit will need. Those pages are then allocated
 *            up front; if one allocation fails they are all given back
 *            and the operation returns -PGT_ENOMEM with the table as it
 *            was.
 *   commit:  writes. Cannot fail: new tables come from the prepared pool.
 *
 * The last level goes through a run callback (one call per table page)
 * so the common case, filling or clearing a run of page entries, is a
 * tight loop with one reference-count update per run.
 */
#include "internal.h"

/* Entry region [base, base + size) at @level and its part in the range. */
struct ent {
    uint64_t base, size;
    bool full; /* entirely inside [op->addr, op->end) */
};

static struct ent ent_of(const struct pgt_op *op, uint64_t addr, int level)
{
    struct ent e;

    e.size = pgt_level_size(&op->pgt->geom, level);
    e.base = addr & ~(e.size - 1);
    e.full = e.base >= op->addr && e.base + e.size <= op->end;
    return e;
}

/*
 * Whether a fully covered entry at @level is finished at that level (a
 * leaf, an annotation, a cleared entry or a permission change) rather
 * than needing a table below it.
 */
static bool terminal(const struct pgt_op *op, int level)
{
    const struct pgt_geom *g = &op->pgt->geom;
    uint64_t size = pgt_level_size(g, level);

    switch (op->kind) {
    case PGT_OP_MAP:
        if (level == PGT_LEVEL_MAX)
            return true;
        if (op->force_pte || !pgt_level_has_block(g, level))
            return false;
        /* Block: IA and OA must be equally aligned to the block size. */
        return ((op->phys - op->addr) & (size - 1)) == 0;
    case PGT_OP_CLEAR:
        /* Owner annotations stand where a block could. */
        return op->annot == 0 || level == PGT_LEVEL_MAX ||
               pgt_level_has_block(g, level);
    default:
        return true;
    }
}

/* Tables needed below a fully covered, non-terminal entry at @level. */
static uint64_t full_cost(const struct pgt_op *op, int level)
{
    uint64_t cost = 0, per = pgt_ptes_per_page(&op->pgt->geom);
    int l;

    /* Find the first terminal level at or below @level, then go up. */
    for (l = level; !terminal(op, l); l++)
        ;
    for (l = l - 1; l >= level; l--)
        cost = 1 + per * cost;
    return cost;
}

/*
 * Tables a commit creates for [a, e) inside an entry at @level that gets
 * a new table (invalid entry filled, or a leaf split): the new table, and
 * below it the children that are cut by the range (at most two per level,
 * on its edges) and the fully covered children that still are not
 * terminal. Iterative: a small stack of cut children.
 */
static uint64_t virt_tables(const struct pgt_op *op, int level, uint64_t a,
                            uint64_t e)
{
    const struct pgt_geom *g = &op->pgt->geom;
    struct {
        int level;
        uint64_t a, e;
    } st[2 * PGT_MAX_LEVELS + 2];
    int sp = 0;
    uint64_t n = 0;

    st[sp].level = level;
    st[sp].a = a;
    st[sp].e = e;
    sp++;
    while (sp) {
        sp--;
        int l = st[sp].level + 1;
        uint64_t ca = st[sp].a, ce = st[sp].e;
        uint64_t csz = pgt_level_size(g, l);
        uint64_t first = ca & ~(csz - 1), last = (ce - 1) & ~(csz - 1);
        uint64_t nfull = ((last - first) >> pgt_level_shift(g, l)) + 1;

        n++; /* the table at level l */
        if (ca != first || ce < first + csz) {
            /* first child cut by the range */
            nfull--;
            st[sp].level = l;
            st[sp].a = ca;
            st[sp].e = ce < first + csz ? ce : first + csz;
            sp++;
        }
        if (last != first && ce != last + csz) {
            /* last child cut by the range */
            nfull--;
            st[sp].level = l;
            st[sp].a = last;
            st[sp].e = ce;
            sp++;
        }
        if (nfull && !terminal(op, l))
            n += nfull * full_cost(op, l);
    }
    return n;
}

static bool prot_memtype_ok(const struct pgt_op *op, pgt_pte_t old)
{
    const pgt_pte_t m = PGT_S1_ATTRINDX_MASK;

    return (old & m) == (op->attrs & m);
}

/* The leaf @op's map puts at @base on @level. */
static pgt_pte_t map_leaf(const struct pgt_op *op, uint64_t base, int level)
{
    return pgt_leaf_of(&op->pgt->geom, op->phys + (base - op->addr),
                       op->attrs, level);
}

/*
 * Whether the valid leaf @old (at @level, covering @e) already translates
 * the part of the range it covers exactly as the map asks.
 */
static bool leaf_consistent(const struct pgt_op *op, pgt_pte_t old,
                            const struct ent *e, int level)
{
    uint64_t back = op->addr > e->base ? op->addr - e->base : 0;
    uint64_t oa;

    if (op->addr > e->base) {
        if (op->phys < back)
            return false;
        oa = op->phys - back;
    } else {
        oa = op->phys + (e->base - op->addr);
    }
    if (oa & (e->size - 1))
        return false;
    return old == pgt_make_leaf(&op->pgt->geom, oa, op->attrs, level);
}

/* PROT: @old with the new permissions. */
static pgt_pte_t prot_leaf(const struct pgt_op *op, pgt_pte_t old, int level)
{
    const struct pgt_geom *g = &op->pgt->geom;

    return pgt_make_leaf(g, pgt_oa_decode(g, old), op->attrs, level);
}

/*
 * Whether the entry @old at @level (not a table) needs a table below it
 * for this operation, where the range covers it only partly (or fully but
 * at a level where the operation cannot finish). 0: nothing to do there.
 * Negative: the operation must fail.
 */
static int needs_table(const struct pgt_op *op, pgt_pte_t old,
                       const struct ent *e, int level)
{
    switch (op->kind) {
    case PGT_OP_MAP:
        if (pgt_pte_valid(old)) {
            if (leaf_consistent(op, old, e, level))
                return 0;
            return op->stage1 ? -PGT_EEXIST : 1;
        }
        return 1;
    case PGT_OP_CLEAR:
        return old != op->annot;
    default:
        if (!pgt_pte_valid(old))
            return 0;
        return prot_leaf(op, old, level) != old;
    }
}

/* ---- prepare pass ---------------------------------------------------- */

static int prep_entry(struct pgt_op *op, pgt_pte_t old, uint64_t addr,
                      int level)
{
    struct ent e = ent_of(op, addr, level);
    uint64_t a = addr, end = e.base + e.size < op->end ? e.base + e.size
                                                       : op->end;
    int r;

    if (op->kind == PGT_OP_PROT && pgt_pte_valid(old)) {
        if (!prot_memtype_ok(op, old))
            return -PGT_EINVAL;
        op->found = true;
    }
    if (e.full && terminal(op, level)) {
        if (op->kind == PGT_OP_MAP && op->stage1 && pgt_pte_valid(old) &&
            old != map_leaf(op, e.base, level))
            return -PGT_EEXIST;
        return 0;
    }
    r = needs_table(op, old, &e, level);
    if (r < 0)
        return r;
    if (r)
        op->need += virt_tables(op, level, a, end);
    return 0;
}

static int prep_visit(const struct pgt_visit_ctx *ctx,
                      enum pgt_walk_flags visit)
{
    struct pgt_op *op = ctx->arg;

    if (visit == PGT_WALK_TABLE_PRE) {
        struct ent e = ent_of(op, ctx->addr, ctx->level);

        /* A table the commit replaces whole: nothing to count below. */
        if (e.full && terminal(op, ctx->level) && op->kind != PGT_OP_PROT &&
            !(op->kind == PGT_OP_MAP && op->stage1))
            return PGT_WALK_SKIP;
        return 0;
    }
    return prep_entry(op, ctx->old, ctx->addr, ctx->level);
}

/*
 * Prepare, above the last level: a run of fully covered entries that
 * become leaves (blocks) needs no table. Returns the entries handled.
 */
static int64_t prep_block_run(struct pgt_op *op, const struct pgt_visit_ctx *ctx,
                              uint64_t n)
{
    const pgt_pte_t *p = ctx->ptep;
    int level = ctx->level;
    uint64_t size = pgt_level_size(&op->pgt->geom, level);
    uint64_t base = ctx->addr & ~(size - 1);
    uint64_t i;

    if (op->kind == PGT_OP_PROT || base < op->addr || !terminal(op, level))
        return 0;
    for (i = 0; i < n && base + size <= op->end; i++, base += size) {
        pgt_pte_t old = pgt_read(&p[i]);
        if (pgt_pte_is_table(old, level))
            break;
        if (op->kind == PGT_OP_MAP && op->stage1 && old &&
            old != map_leaf(op, base, level))
            return -PGT_EEXIST;
    }
    return (int64_t)i;
}

static int64_t prep_run(const struct pgt_visit_ctx *ctx, uint64_t n)
{
    struct pgt_op *op = ctx->arg;
    const pgt_pte_t *p = ctx->ptep;

    if (ctx->level < PGT_LEVEL_MAX)
        return prep_block_run(op, ctx, n);
    switch (op->kind) {
    case PGT_OP_MAP: {
        if (!op->stage1)
            return (int64_t)n; /* stage 2 replaces whatever is there */
        uint64_t step = pgt_granule(op->pgt);
        for (uint64_t i = 0; i < n; i++) {
            pgt_pte_t old = pgt_read(&p[i]);
            if (old && old != map_leaf(op, ctx->addr + i * step, PGT_LEVEL_MAX))
                return -PGT_EEXIST;
        }
        return (int64_t)n;
    }
    case PGT_OP_PROT:
        for (uint64_t i = 0; i < n; i++) {
            pgt_pte_t old = pgt_read(&p[i]);
            if (!pgt_pte_valid(old))
                continue;
            if (!prot_memtype_ok(op, old))
                return -PGT_EINVAL;
            op->found = true;
        }
        return (int64_t)n;
    default:
        return (int64_t)n;
    }
}

/* ---- page pool ------------------------------------------------------- */

void pgt_pool_release(struct pgt_op *op)
{
    while (op->pool) {
        void **page = op->pool;
        op->pool = *page;
        *page = NULL;
        op->pgt->mm_ops->put_page(op->pgt->mm_ctx, page);
    }
}

int pgt_pool_fill(struct pgt_op *op)
{
    for (uint64_t i = 0; i < op->need; i++) {
        void **page = op->pgt->mm_ops->zalloc_page(op->pgt->mm_ctx, op->mc);
        if (!page) {
            pgt_pool_release(op);
            return -PGT_ENOMEM;
        }
        *page = op->pool;
        op->pool = page;
    }
    return 0;
}

pgt_pte_t *pgt_pool_take(struct pgt_op *op)
{
    void **page = op->pool;

    op->pool = *page;
    *page = NULL; /* zeroed again: the pool link lived in word 0 */
    return (pgt_pte_t *)page;
}

/* ---- commit pass ----------------------------------------------------- */

void pgt_adjust_count(struct pgt *pgt, pgt_pte_t *ptep, pgt_pte_t old,
                         pgt_pte_t new, int level)
{
    int d = (int)pgt_counted(pgt, new, level) - (int)pgt_counted(pgt, old, level);

    if (d > 0)
        pgt->mm_ops->get_page(pgt->mm_ctx, ptep);
    else if (d < 0)
        pgt->mm_ops->put_page(pgt->mm_ctx, ptep);
}

/* Cache maintenance before a cacheable leaf becomes visible (stage 2
 * without FWB): the guest may access it with caches off. */
static void map_cmo(const struct pgt_op *op, uint64_t oa, uint64_t size)
{
    const struct pgt *pgt = op->pgt;
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    void *va;

    if (!op->cmo_d && !op->cmo_i)
        return;
    va = mm->phys_to_virt(pgt->mm_ctx, oa);
    if (op->cmo_d)
        mm->dcache_clean_inval_poc(pgt->mm_ctx, va, (size_t)size);
    if (op->cmo_i)
        mm->icache_inval_pou(pgt->mm_ctx, va, (size_t)size);
}

/*
 * Replace entry @old at @ptep (a leaf or invalid entry, at @level, for IA
 * @base) by @new, a leaf or invalid entry. Break-before-make when a valid
 * leaf is replaced by another valid one; a valid leaf replaced by an
 * invalid entry needs the TLBI after the write only.
 */
static void set_entry(struct pgt_op *op, pgt_pte_t *ptep, pgt_pte_t old,
                      pgt_pte_t new, uint64_t base, int level)
{
    struct pgt *pgt = op->pgt;

    if (pgt_pte_valid(old)) {
        if (pgt_pte_valid(new)) {
            pgt_write(ptep, 0); /* break */
            pgt_tlbi_leaf(pgt, base, level);
        } else {
            pgt_write(ptep, new);
            pgt_tlbi_leaf(pgt, base, level);
            pgt_adjust_count(pgt, ptep, old, new, level);
            return;
        }
    }
    __atomic_store_n(ptep, new, __ATOMIC_RELEASE); /* make */
    pgt_adjust_count(pgt, ptep, old, new, level);
}

struct scan {
    uint64_t bytes; /* mapped by valid leaves */
    uint64_t pages; /* table pages */
};

static void scan_table(struct pgt *pgt, pgt_pte_t *table, int level, void *arg)
{
    struct scan *s = arg;
    uint64_t n = pgt_ptes_per_page(&pgt->geom);

    s->pages++;
    uint64_t size = pgt_level_size(&pgt->geom, level);

    for (uint64_t i = 0; i < n; i++)
        if (pgt_pte_is_leaf(pgt_read(&table[i]), level))
            s->bytes += size;
}

/*
 * What a removed subtree held: bytes mapped by valid leaves (returned) and
 * whether a TLBI by VA is not enough to forget it (*@wide): valid leaves
 * anywhere, or tables below its first table (walk-cache entries for the
 * other addresses of the span).
 */
static uint64_t subtree_scan(struct pgt *pgt, pgt_pte_t *table, int level,
                             bool *wide)
{
    struct scan s = { 0, 0 };

    pgt_for_each_table_post(pgt, table, level, pgt_ptes_per_page(&pgt->geom),
                            scan_table, &s);
    *wide = s.bytes != 0 || s.pages > 1;
    return s.bytes;
}

/*
 * Unlink the table entry @old at @ptep (level @level, covering
 * [base, base+size)) with break-before-make, free the whole subtree, and
 * write @new (leaf, annotation or 0) in its place.
 */
static void replace_table(struct pgt_op *op, pgt_pte_t *ptep, pgt_pte_t old,
                          pgt_pte_t new, uint64_t base, int level)
{
    struct pgt *pgt = op->pgt;
    pgt_pte_t *child = pgt_table_va(pgt, old);
    uint64_t size = pgt_level_size(&pgt->geom, level);
    bool wide;
    uint64_t bytes = subtree_scan(pgt, child, level + 1, &wide);

    pgt_write(ptep, 0); /* break: unlink the table */
    pgt_tlbi_table(pgt, base, size, wide);
    pgt_free_subtree(pgt, child, level + 1);
    op->bytes += (int64_t)bytes;
    if (new)
        __atomic_store_n(ptep, new, __ATOMIC_RELEASE); /* make */
    pgt_adjust_count(pgt, ptep, old, new, level);
}

/*
 * Give the entry @old at @ptep (level @level, IA @base) a table: a copy of
 * what the entry meant, one level down (a block split into smaller
 * leaves, an annotation repeated, or empty). Break-before-make if @old is
 * a valid leaf.
 */
static void install_table(struct pgt_op *op, pgt_pte_t *ptep, pgt_pte_t old,
                          uint64_t base, int level)
{
    struct pgt *pgt = op->pgt;
    const struct pgt_geom *g = &pgt->geom;
    pgt_pte_t *t = pgt_pool_take(op);
    uint64_t n = pgt_ptes_per_page(g);
    int cl = level + 1, counted = 0;

    if (pgt_pte_valid(old)) {
        uint64_t csz = pgt_level_size(g, cl);
        pgt_pte_t attrs = old & ~(pgt_oa_field_mask(g) | PGT_PTE_TYPE |
                                  PGT_PTE_VALID);
        uint64_t oa = pgt_oa_decode(g, old);
        for (uint64_t i = 0; i < n; i++, oa += csz) {
            pgt_pte_t c = pgt_make_leaf(g, oa, attrs, cl);
            t[i] = c;
            counted += pgt_counted(pgt, c, cl);
        }
    } else if (old) {
        for (uint64_t i = 0; i < n; i++)
            t[i] = old;
        counted = pgt_counted(pgt, old, cl) ? (int)n : 0;
    }
    pgt_get_n(pgt, t, counted);

    pgt_pte_t table = pgt_make_table(g, pgt->mm_ops->virt_to_phys(pgt->mm_ctx, t));
    if (pgt_pte_valid(old)) {
        pgt_write(ptep, 0); /* break: the block goes */
        pgt_tlbi_leaf(pgt, base, level);
    }
    /* make: the release orders the table's contents before the link */
    __atomic_store_n(ptep, table, __ATOMIC_RELEASE);
    pgt_adjust_count(pgt, ptep, old, table, level);
}

static void commit_entry(struct pgt_op *op, pgt_pte_t *ptep, pgt_pte_t old,
                         uint64_t addr, int level)
{
    struct ent e = ent_of(op, addr, level);

    if (e.full && terminal(op, level)) {
        pgt_pte_t new;

        switch (op->kind) {
        case PGT_OP_MAP:
            new = map_leaf(op, e.base, level);
            if (old == new)
                return;
            map_cmo(op, op->phys + (e.base - op->addr), e.size);
            break;
        case PGT_OP_CLEAR:
            new = op->annot;
            if (old == new)
                return;
            if (pgt_pte_valid(old))
                op->bytes += (int64_t)e.size;
            break;
        default:
            if (!pgt_pte_valid(old))
                return;
            new = prot_leaf(op, old, level);
            if (new == old)
                return;
            /* Permission changes need no break-before-make. */
            pgt_write(ptep, new);
            pgt_tlbi_leaf(op->pgt, e.base, level);
            return;
        }
        set_entry(op, ptep, old, new, e.base, level);
        return;
    }
    if (needs_table(op, old, &e, level) > 0)
        install_table(op, ptep, old, e.base, level);
}

static int commit_visit(const struct pgt_visit_ctx *ctx,
                        enum pgt_walk_flags visit)
{
    struct pgt_op *op = ctx->arg;
    struct pgt *pgt = op->pgt;
    int level = ctx->level;

    if (visit == PGT_WALK_LEAF) {
        commit_entry(op, ctx->ptep, ctx->old, ctx->addr, level);
        return 0;
    }

    struct ent e = ent_of(op, ctx->addr, level);

    if (visit == PGT_WALK_TABLE_PRE) {
        if (!e.full || !terminal(op, level) || op->kind == PGT_OP_PROT ||
            (op->kind == PGT_OP_MAP && op->stage1))
            return 0; /* descend */
        pgt_pte_t new = op->kind == PGT_OP_MAP ? map_leaf(op, e.base, level)
                                               : op->annot;
        if (op->kind == PGT_OP_MAP)
            map_cmo(op, op->phys + (e.base - op->addr), e.size);
        replace_table(op, ctx->ptep, ctx->old, new, e.base, level);
        return 0;
    }

    /* TABLE_POST: free a table left without counted entries. */
    pgt_pte_t *child = pgt_table_va(pgt, ctx->old);
    if (pgt->mm_ops->page_count(pgt->mm_ctx, child) != 1)
        return 0;
    bool wide;
    subtree_scan(pgt, child, level + 1, &wide);
    pgt_write(ctx->ptep, 0); /* break: unlink */
    pgt_tlbi_table(pgt, e.base, e.size, wide);
    pgt_free_subtree(pgt, child, level + 1);
    pgt_adjust_count(pgt, ctx->ptep, ctx->old, 0, level);
    return 0;
}

/* Last level, map: the hot loop. */
static int commit_run_map(struct pgt_op *op, pgt_pte_t *p, uint64_t addr,
                          uint64_t n)
{
    struct pgt *pgt = op->pgt;
    const struct pgt_geom *g = &pgt->geom;
    uint64_t step = pgt_granule(pgt);
    uint64_t oa = op->phys + (addr - op->addr);
    uint64_t oa_last = oa + (n - 1) * step;
    uint32_t top = g->lpa2 ? 50 : 48;
    pgt_pte_t d = pgt_leaf_of(g, oa, op->attrs, PGT_LEVEL_MAX);
    bool fast_oa = (oa >> top) == (oa_last >> top);
    bool const_count = !(pgt->pte_ops && pgt->pte_ops->pte_is_counted);
    int counted_new = pgt_counted(pgt, d, PGT_LEVEL_MAX);
    int added = 0;

    map_cmo(op, oa, n * step);
    if (PGT_LIKELY(fast_oa && const_count)) {
        pgt_pte_t d0 = d;
        uint64_t first = n, last = 0;

        for (uint64_t i = 0; i < n; i++, d += step) {
            pgt_pte_t old = p[i];
            if (PGT_LIKELY(old == 0)) {
                pgt_write(&p[i], d);
                added += counted_new;
            } else if (old == d) {
                continue;
            } else if (pgt_pte_valid(old)) {
                /* break now, make after one invalidation for the run */
                pgt_write(&p[i], 0);
                if (first == n)
                    first = i;
                last = i;
            } else {
                /* an annotation: invalid, replaced directly */
                pgt_write(&p[i], d);
                added += counted_new - (int)pgt_counted(pgt, old, PGT_LEVEL_MAX);
            }
        }
        if (first != n) {
            /* Break-before-make for the replaced leaves: all broken
             * above, one TLB invalidation, then made. Entries of the
             * span that are 0 now are exactly the broken ones (the
             * empty ones were filled in the first loop). */
            pgt_tlbi_leaves(pgt, addr + first * step, (last - first + 1) * step,
                            PGT_LEVEL_MAX);
            d = d0 + first * step;
            for (uint64_t i = first; i <= last; i++, d += step)
                if (p[i] == 0)
                    __atomic_store_n(&p[i], d, __ATOMIC_RELEASE);
        }
        pgt_ref_delta(pgt, p, added);
        return 0;
    }
    for (uint64_t i = 0; i < n; i++, oa += step) {
        d = pgt_make_leaf(g, oa, op->attrs, PGT_LEVEL_MAX);
        pgt_pte_t old = p[i];
        if (old != d)
            set_entry(op, &p[i], old, d, addr + i * step, PGT_LEVEL_MAX);
    }
    return 0;
}

/* Last level, clear (unmap / set_owner). */
static int commit_run_clear(struct pgt_op *op, pgt_pte_t *p, uint64_t addr,
                            uint64_t n)
{
    struct pgt *pgt = op->pgt;
    uint64_t step = pgt_granule(pgt);
    pgt_pte_t new = op->annot;
    int delta = 0, cnew = pgt_counted(pgt, new, PGT_LEVEL_MAX);
    uint64_t first = n, last = 0, removed = 0;

    for (uint64_t i = 0; i < n; i++) {
        pgt_pte_t old = p[i];
        if (old == new)
            continue;
        pgt_write(&p[i], new);
        delta += cnew - (int)pgt_counted(pgt, old, PGT_LEVEL_MAX);
        if (pgt_pte_valid(old)) {
            removed++;
            if (first == n)
                first = i;
            last = i;
        }
    }
    pgt_ref_delta(pgt, p, delta);
    if (removed) {
        op->bytes += (int64_t)(removed * step);
        pgt_tlbi_leaves(pgt, addr + first * step, (last - first + 1) * step,
                        PGT_LEVEL_MAX);
    }
    return 0;
}

/*
 * Commit, above the last level, unmap/set_owner: a run of fully covered
 * blocks and invalid entries becomes @op->annot; one TLB invalidation for
 * the blocks removed. Returns the entries handled.
 */
static int64_t clear_block_run(struct pgt_op *op, pgt_pte_t *p, uint64_t base,
                               int level, uint64_t n)
{
    struct pgt *pgt = op->pgt;
    uint64_t size = pgt_level_size(&pgt->geom, level);
    uint64_t start = base, first = n, last = 0, i;
    pgt_pte_t new = op->annot;
    int delta = 0, cnew = pgt_counted(pgt, new, level);

    for (i = 0; i < n && base + size <= op->end; i++, base += size) {
        pgt_pte_t old = pgt_read(&p[i]);
        if (pgt_pte_is_table(old, level))
            break;
        if (old == new)
            continue;
        pgt_write(&p[i], new); /* invalid: the break itself */
        delta += cnew - (int)pgt_counted(pgt, old, level);
        if (pgt_pte_valid(old)) {
            op->bytes += (int64_t)size;
            if (first == n)
                first = i;
            last = i;
        }
    }
    pgt_ref_delta(pgt, p, delta);
    if (first != n)
        pgt_tlbi_leaves(pgt, start + first * size, (last - first + 1) * size,
                        level);
    return (int64_t)i;
}

/*
 * Commit, above the last level: a run of fully covered entries (not
 * tables) that become blocks, written in one loop with one reference
 * update. Returns the entries handled; the first entry it does not take
 * goes through the walker's LEAF visit.
 */
static int64_t commit_block_run(struct pgt_op *op, pgt_pte_t *p, uint64_t addr,
                                int level, uint64_t n)
{
    struct pgt *pgt = op->pgt;
    uint64_t size = pgt_level_size(&pgt->geom, level);
    uint64_t base = addr & ~(size - 1);
    int added = 0;
    uint64_t i;

    if (op->kind == PGT_OP_PROT || base < op->addr || !terminal(op, level))
        return 0;
    if (op->kind == PGT_OP_CLEAR)
        return clear_block_run(op, p, base, level, n);
    for (i = 0; i < n && base + size <= op->end; i++, base += size) {
        pgt_pte_t old = pgt_read(&p[i]);
        if (pgt_pte_is_table(old, level))
            break;
        pgt_pte_t new = map_leaf(op, base, level);
        if (old == new)
            continue;
        map_cmo(op, op->phys + (base - op->addr), size);
        if (PGT_LIKELY(old == 0)) {
            __atomic_store_n(&p[i], new, __ATOMIC_RELEASE);
            added += pgt_counted(pgt, new, level);
        } else {
            set_entry(op, &p[i], old, new, base, level);
        }
    }
    pgt_get_n(pgt, p, added);
    return (int64_t)i;
}

static int64_t commit_run(const struct pgt_visit_ctx *ctx, uint64_t n)
{
    struct pgt_op *op = ctx->arg;

    if (ctx->level < PGT_LEVEL_MAX)
        return commit_block_run(op, ctx->ptep, ctx->addr, ctx->level, n);
    if (op->kind == PGT_OP_MAP)
        commit_run_map(op, ctx->ptep, ctx->addr, n);
    else if (op->kind == PGT_OP_CLEAR)
        commit_run_clear(op, ctx->ptep, ctx->addr, n);
    else
        for (uint64_t i = 0; i < n; i++)
            commit_entry(op, &ctx->ptep[i], pgt_read(&ctx->ptep[i]),
                         ctx->addr + (i << op->pgt->geom.granule_shift),
                         PGT_LEVEL_MAX);
    return (int64_t)n;
}

void pgt_op_init(struct pgt_op *op, struct pgt *pgt, enum pgt_op_kind kind,
                 uint64_t addr, uint64_t size)
{
    op->pgt = pgt;
    op->kind = kind;
    op->addr = addr;
    op->end = addr + size;
    op->phys = 0;
    op->attrs = 0;
    op->annot = 0;
    op->stage1 = false;
    op->force_pte = false;
    op->cmo_d = false;
    op->cmo_i = false;
    op->free_empty = false;
    op->mc = NULL;
    op->pool = NULL;
    op->need = 0;
    op->bytes = 0;
    op->found = false;
}

void pgt_clear(struct pgt *pgt)
{
    pgt->pgd = NULL;
    pgt->pgd_phys = 0;
    pgt->geom.granule_shift = 0;
    pgt->geom.bits_per_level = 0;
    pgt->geom.ia_bits = 0;
    pgt->geom.oa_bits = 0;
    pgt->geom.start_level = 0;
    pgt->geom.nr_root_pages = 0;
    pgt->geom.lpa2 = 0;
    pgt->geom.pad = 0;
    pgt->regime = PGT_REGIME_EL2;
    pgt->flags = 0;
    pgt->mm_ops = NULL;
    pgt->mm_ctx = NULL;
    pgt->pte_ops = NULL;
    pgt->priv = NULL;
    pgt->fast = 0;
    pgt->fc.unmap_end = 0;
    pgt->fc.linear_offset = 0;
    pgt->fc.counts = 0;
    pgt->fc.tlbi_va = NULL;
    pgt->fc.put_page_n = NULL;
    pgt->fc.put_page = NULL;
}

int pgt_op_run(struct pgt_op *op)
{
    struct pgt_walker w;
    int ret;

    op->pool = NULL;
    op->need = 0;
    op->bytes = 0;
    op->found = false;

    w.cb = prep_visit;
    w.arg = op;
    w.flags = PGT_WALK_LEAF | PGT_WALK_TABLE_PRE;
    ret = pgt_walk_internal(op->pgt, op->addr, op->end, &w, prep_run);
    if (ret)
        return ret;
    if (op->kind == PGT_OP_PROT && !op->found)
        return -PGT_ENOENT;
    ret = pgt_pool_fill(op);
    if (ret)
        return ret;

    w.cb = commit_visit;
    w.flags = PGT_WALK_LEAF | PGT_WALK_TABLE_PRE;
    if (op->free_empty)
        w.flags |= PGT_WALK_TABLE_POST;
    pgt_walk_internal(op->pgt, op->addr, op->end, &w, commit_run);
    /* Exact accounting leaves the pool empty; be safe if not. */
    pgt_pool_release(op);
    return 0;
}
