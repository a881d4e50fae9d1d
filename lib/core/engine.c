// SPDX-License-Identifier: MIT
/*
 * The engine behind every range operation (map, unmap, set_owner,
 * stage-1 protect, split), for both stages. One function, apply(), walks
 * the range twice:
 *
 *   prepare: read-only. classify() decides, for each entry the range
 *            touches, what the operation does there; an entry that needs
 *            a new table counts one page, and the walk goes on into what
 *            that table would hold (a "virtual" table: the old entry's
 *            meaning one level down). Errors (a conflict, a bad entry)
 *            end it with nothing written. Then exactly the pages counted
 *            are allocated, all or none.
 *   commit:  the same walk with the same classify(), now acting: it
 *            cannot fail, and it takes a prepared page exactly where
 *            prepare counted one.
 *
 * A new table is filled and edited while it is still unlinked
 * ("offline": no break-before-make, no TLB maintenance inside it) and
 * linked with one store, so a split block changes with one
 * break-before-make however deep the change below it goes.
 *
 * The last level, where bulk operations spend their time, is committed by
 * run loops over each table page with one reference-count update and one
 * TLB invalidation per page.
 */
#include "internal.h"

enum op_kind {
    OP_MAP,   /* install leaves */
    OP_CLEAR, /* unmap / set_owner: write @annot (0 or an owner annotation) */
    OP_PROT,  /* new permission bits, in place (protect, wrprotect) */
    OP_SPLIT, /* blocks down to pages */
    OP_YOUNG, /* test (and clear) the access flag, in place */
    OP_DIRTY, /* report and clear the hardware dirty state, in place */
    OP_FOLD,  /* tables back into blocks where their entries allow */
};

/* What an operation does at one entry (classify()). */
enum act {
    ACT_NONE,    /* nothing */
    ACT_LEAF,    /* write a new leaf or invalid entry over a non-table */
    ACT_REPLACE, /* a table goes whole; a leaf or invalid entry replaces it */
    ACT_DESCEND, /* a table: go on inside it */
    ACT_TABLE,   /* a non-table needs a table below it: a new one */
};

struct op {
    struct pgt *pgt;
    enum op_kind kind;
    bool commit;        /* the pass: prepare (false) or commit */
    uint64_t addr, end; /* the range */
    uint64_t phys;      /* MAP: output address of @addr */
    pgt_pte_t attrs;    /* MAP, PROT: leaf attributes */
    pgt_pte_t annot;    /* CLEAR: the invalid entry to leave behind */
    bool stage1;        /* MAP: a different valid entry is a conflict */
    bool cmo_d, cmo_i;  /* MAP: cache maintenance of the mapped memory */
    bool free_empty;    /* CLEAR: release tables left without a counted entry */
    bool fold;          /* fold the tables it leaves uniform (fold_table()) */
    pgt_pte_t perm;     /* PROT: the bits it replaces with @attrs' */
    pgt_pte_t memtype;  /* PROT: bits that must already equal @attrs' (the
                         * memory type), 0: none */
    bool whole;         /* PROT, YOUNG: act on whole leaves (no split), and
                         * nothing can fail (no prepare pass) */
    bool mkold;         /* YOUNG: clear the access flags */
    bool young;         /* YOUNG: an access flag was set */
    pgt_dirty_fn dirty; /* DIRTY: told of each dirty leaf */
    void *dirty_arg;
    int64_t ndirty;     /* DIRTY: leaves reported */
    uint32_t terminal;  /* bit (level + 1): a fully covered entry at that
                         * level is finished there (see terminal_levels()) */
    pgt_pte_t oa_mask;  /* MAP: the descriptor's OA bits when the OA sits
                         * plainly in them, else 0 (pgt_make_leaf()) */
    void *mc;           /* zalloc_page() argument */
    void *pool;         /* prepared pages, linked through their first word */
    uint64_t need;      /* prepare: pages the commit will take */
    int64_t bytes;      /* CLEAR: bytes of valid leaves removed */
    bool found;         /* PROT: a valid leaf was seen */
    /* Leaf invalidations owed for in-place changes and removals (see
     * op_inval()): the span, how many leaves, one tlbi_all owed. */
    uint64_t inv_lo, inv_hi, inv_n;
    int inv_level;
    bool inv_all;
};

/* ---- what an operation does where ------------------------------------ */

/*
 * The levels where a fully covered entry is finished (a leaf, an
 * annotation, a cleared entry, a permission change) rather than needing
 * a table below it.
 */
static uint32_t terminal_levels(const struct op *op, bool force_pte)
{
    const struct pgt_geom *g = &op->pgt->geom;
    uint32_t m = 0;

    for (int l = g->start_level; l <= PGT_LEVEL_MAX; l++) {
        bool t;
        switch (op->kind) {
        case OP_MAP:
            /* A block needs IA and OA equally aligned to its size. */
            t = l == PGT_LEVEL_MAX ||
                (!force_pte && pgt_level_has_block(g, l) &&
                 !((op->phys - op->addr) & (pgt_level_size(g, l) - 1)));
            break;
        case OP_CLEAR:
            /* Owner annotations stand where a block could. */
            t = op->annot == 0 || l == PGT_LEVEL_MAX || pgt_level_has_block(g, l);
            break;
        default:
            t = true;
            break;
        }
        if (t)
            m |= 1u << (l + 1);
    }
    return m;
}

/* The leaf the map puts at @base on @level. */
static inline pgt_pte_t map_leaf(const struct op *op, uint64_t base, int level)
{
    uint64_t oa = op->phys + (base - op->addr);

    if (PGT_LIKELY(op->oa_mask))
        return (oa & op->oa_mask) | op->attrs | PGT_PTE_VALID |
               (level == PGT_LEVEL_MAX ? PGT_PTE_TYPE : 0);
    return pgt_make_leaf(&op->pgt->geom, oa, op->attrs, level);
}

/* Stage 1: whether the valid leaf @old (at @level, from @base, @size
 * bytes, only partly in the range) already maps its part as asked. */
static bool leaf_consistent(const struct op *op, pgt_pte_t old, uint64_t base,
                            uint64_t size, int level)
{
    uint64_t oa;

    if (op->addr > base) {
        if (op->phys < op->addr - base)
            return false;
        oa = op->phys - (op->addr - base);
    } else {
        oa = op->phys + (base - op->addr);
    }
    return !(oa & (size - 1)) &&
           (old & ~PGT_PTE_CONT) ==
               pgt_make_leaf(&op->pgt->geom, oa, op->attrs, level);
}

/*
 * What @op does at the entry @old at @level covering [base, base + size
 * of @level): an enum act, *@new for ACT_LEAF and ACT_REPLACE, or a
 * negative error (prepare stops there). The only decision maker: prepare
 * and commit both ask it, so the pages one counts are the pages the
 * other takes.
 */
static int classify(struct op *op, pgt_pte_t old, int level, uint64_t base,
                    pgt_pte_t *new)
{
    uint64_t size = pgt_level_size(&op->pgt->geom, level);
    bool full = base >= op->addr && base + size <= op->end;
    bool term = full && (op->terminal >> (level + 1) & 1);
    bool table = pgt_pte_is_table(old, level);

    switch (op->kind) {
    case OP_MAP:
        if (table) {
            /* Stage 1 never replaces a table: conflicts are found below. */
            if (!term || op->stage1)
                return ACT_DESCEND;
            *new = map_leaf(op, base, level);
            return ACT_REPLACE;
        }
        if (term) {
            /* Stage-2 prepare: a leaf here neither needs a page nor
             * fails, whatever is there. */
            if (!op->commit && !op->stage1)
                return ACT_LEAF;
            *new = map_leaf(op, base, level);
            if ((old & ~PGT_PTE_CONT) == *new)
                return ACT_NONE;
            if (op->stage1 && pgt_pte_valid(old))
                return -PGT_EEXIST;
            return ACT_LEAF;
        }
        /* Only part of this entry is mapped (or not with a leaf here):
         * stage 2 splits a valid leaf so the part is a leaf of its own;
         * stage 1 keeps one that maps the part as asked. */
        if (op->stage1 && pgt_pte_valid(old))
            return leaf_consistent(op, old, base, size, level) ? ACT_NONE
                                                               : -PGT_EEXIST;
        return ACT_TABLE;
    case OP_CLEAR:
        if (table) {
            if (!term)
                return ACT_DESCEND;
            *new = op->annot;
            return ACT_REPLACE;
        }
        if (old == op->annot)
            return ACT_NONE;
        if (!term)
            return ACT_TABLE;
        *new = op->annot;
        return ACT_LEAF;
    case OP_PROT:
        if (table)
            return ACT_DESCEND;
        if (!pgt_pte_valid(old))
            return ACT_NONE;
        /* Protect changes permissions, never the memory type. */
        if ((old & op->memtype) != (op->attrs & op->memtype))
            return -PGT_EINVAL;
        op->found = true;
        *new = (old & ~op->perm) | (op->attrs & op->perm);
        if (*new == old)
            return ACT_NONE;
        return full || op->whole ? ACT_LEAF : ACT_TABLE;
    case OP_FOLD:
        return table ? ACT_DESCEND : ACT_NONE;
    case OP_DIRTY:
        if (table)
            return ACT_DESCEND;
        return pgt_pte_is_leaf(old, level) &&
                       (old & (PGT_PTE_DBM | PGT_S2_S2AP_W)) ==
                           (PGT_PTE_DBM | PGT_S2_S2AP_W)
                   ? ACT_LEAF
                   : ACT_NONE;
    case OP_YOUNG:
        if (table)
            return ACT_DESCEND;
        if (!pgt_pte_is_leaf(old, level) || !(old & PGT_PTE_AF))
            return ACT_NONE;
        op->young = true;
        if (!op->mkold)
            return ACT_NONE;
        *new = old & ~PGT_PTE_AF;
        return ACT_LEAF;
    default: /* OP_SPLIT: a block anywhere in the range, whole */
        if (table)
            return ACT_DESCEND;
        return level < PGT_LEVEL_MAX && pgt_pte_valid(old) ? ACT_TABLE
                                                           : ACT_NONE;
    }
}

/* The entry at @level for IA @base in a new table below @parent (which
 * covers from @pbase): @parent's meaning one level down. */
/* A leaf's attributes: every bit but its output address, its type and
 * valid bits and the contiguous hint (which goes with the run it is in). */
static pgt_pte_t leaf_bits(const struct pgt_geom *g, pgt_pte_t pte)
{
    return pte & ~(pgt_oa_field_mask(g) | PGT_PTE_TYPE | PGT_PTE_VALID |
                   PGT_PTE_CONT);
}

static pgt_pte_t child_of(const struct op *op, pgt_pte_t parent, uint64_t pbase,
                          int level, uint64_t base)
{
    const struct pgt_geom *g = &op->pgt->geom;

    if (!pgt_pte_valid(parent))
        return parent; /* an annotation (or nothing) repeated */
    return pgt_make_leaf(g, pgt_oa_decode(g, parent) + (base - pbase),
                         leaf_bits(g, parent), level);
}

/* ---- the contiguous hint ------------------------------------------------ */

/*
 * Where a level has the hint (pgt_cont_shift()), an aligned run of its
 * entries that are valid leaves identical but for the output address,
 * following on from an address aligned to the run, may carry the
 * Contiguous bit, all of them together: the TLB may then hold the run as
 * one entry. The engine keeps every run with the bit uniform:
 *  - a map that covers a run whole writes it with the bit, unless one of
 *    its valid leaves would stay as it is (run_map(), run_blocks());
 *  - a new table made from a block (a split) gets the bit on every run
 *    it holds uniform (cont_fold_offline());
 *  - before any other change to part of a run, or a change that puts
 *    tables in it, the run is unfolded: break-before-make of all its
 *    entries, then the same leaves without the bit (cont_prepare());
 *  - a change the same on every entry of a run (permissions, the access
 *    flag, unmap) keeps it as it is; test_clear_young takes a run as one
 *    leaf, as a block (the TLB holds it as one entry).
 */

/* The leaf the uniform run @t[0..@n) at @level starts with, without the
 * Contiguous bit, when its output address is aligned to @align; else 0. */
static pgt_pte_t leaf_run(const struct pgt *pgt, const pgt_pte_t *t, uint64_t n,
                          int level, uint64_t align)
{
    const struct pgt_geom *g = &pgt->geom;
    uint64_t size = pgt_level_size(g, level);
    pgt_pte_t first = pgt_read(&t[0]) & ~PGT_PTE_CONT;

    if (!pgt_pte_is_leaf(first, level))
        return 0;
    uint64_t oa = pgt_oa_decode(g, first);
    pgt_pte_t attrs = leaf_bits(g, first);
    if (oa & (align - 1))
        return 0;
    for (uint64_t i = 1; i < n; i++)
        if ((pgt_read(&t[i]) & ~PGT_PTE_CONT) !=
            pgt_make_leaf(g, oa + i * size, attrs, level))
            return 0;
    return first;
}

/*
 * Unfold the run of 2^@cs entries from t[@g] at @level (covering from
 * @gbase): every entry invalid, the run invalidated, then the same leaves
 * without the hint. (The run is uniform; the access flag, which hardware
 * may set in any one entry, is kept if any had it.)
 */
static void cont_unfold(struct op *op, pgt_pte_t *t, uint64_t g, uint32_t cs,
                        uint64_t gbase, int level)
{
    struct pgt *pgt = op->pgt;
    const struct pgt_geom *gm = &pgt->geom;
    uint64_t n = 1ull << cs, size = pgt_level_size(gm, level);
    pgt_pte_t first = pgt_read(&t[g]), af = 0;

    for (uint64_t k = 0; k < n; k++)
        af |= __atomic_exchange_n(&t[g + k], 0, __ATOMIC_RELAXED) & PGT_PTE_AF;
    pgt_tlbi_leaves(pgt, gbase, n * size, level);
    uint64_t oa = pgt_oa_decode(gm, first);
    pgt_pte_t attrs = leaf_bits(gm, first) | af;
    for (uint64_t k = 0; k < n; k++)
        pgt_write(&t[g + k], pgt_make_leaf(gm, oa + k * size, attrs, level));
}

/* Whether @op changes one of the entries [@k0, @k1] of @t (at @level, @t
 * covering from @tbase). */
static bool changes_any(struct op *op, const pgt_pte_t *t, uint64_t tbase,
                        int level, uint64_t k0, uint64_t k1)
{
    uint32_t shift = pgt_level_shift(&op->pgt->geom, level);

    for (uint64_t k = k0; k <= k1; k++) {
        pgt_pte_t new;
        if (classify(op, pgt_read(&t[k]) & ~PGT_PTE_CONT, level,
                     tbase + (k << shift), &new) != ACT_NONE)
            return true;
    }
    return false;
}

/*
 * Before the commit changes entries [*@i0, *@i1] of the live table @t at
 * @level (covering from @tbase): unfold the runs with the hint the change
 * would leave mixed: a run only partly changed, or one whose entries
 * become tables (a split, a map below the level). Access-flag changes
 * widen to the runs at the ends instead.
 */
static void cont_prepare(struct op *op, pgt_pte_t *t, uint64_t tbase, int level,
                         uint64_t *i0, uint64_t *i1)
{
    uint32_t cs = pgt_cont_shift(op->pgt, level);
    uint32_t shift = pgt_level_shift(&op->pgt->geom, level);
    uint64_t n = 1ull << cs, m = n - 1;

    if (!cs || op->kind == OP_FOLD)
        return;
    if (op->kind == OP_YOUNG) {
        /* The TLB holds a run as one entry: it is young as a whole. */
        if (pgt_read(&t[*i0]) & PGT_PTE_CONT)
            *i0 &= ~m;
        if (pgt_read(&t[*i1]) & PGT_PTE_CONT)
            *i1 |= m;
        return;
    }
    bool reshape = op->kind == OP_SPLIT ||
                   (op->kind == OP_MAP && !(op->terminal >> (level + 1) & 1));
    for (uint64_t g = *i0 & ~m; g <= *i1; g += n) {
        if (!(pgt_read(&t[g]) & PGT_PTE_CONT))
            continue;
        uint64_t gbase = tbase + (g << shift);
        bool covered = gbase >= op->addr && gbase + (n << shift) <= op->end;
        uint64_t k0 = g > *i0 ? g : *i0, k1 = g + m < *i1 ? g + m : *i1;
        if (covered ? reshape : changes_any(op, t, tbase, level, k0, k1))
            cont_unfold(op, t, g, cs, gbase, level);
    }
}

/* A new table @t at @level (covering from @tbase), made from a block and
 * not linked yet: the hint on every run it holds uniform. */
static void cont_fold_offline(const struct pgt *pgt, pgt_pte_t *t, int level)
{
    uint32_t cs = pgt_cont_shift(pgt, level);
    uint64_t n = 1ull << cs, all = pgt_ptes_per_page(&pgt->geom);
    uint64_t span = n * pgt_level_size(&pgt->geom, level);

    if (!cs)
        return;
    for (uint64_t g = 0; g < all; g += n) {
        if ((t[g] & PGT_PTE_CONT) || !leaf_run(pgt, &t[g], n, level, span))
            continue;
        for (uint64_t k = 0; k < n; k++)
            t[g + k] |= PGT_PTE_CONT;
    }
}

/* ---- prepared pages -------------------------------------------------- */

static void pool_release(struct op *op)
{
    while (op->pool) {
        void **page = op->pool;
        op->pool = *page;
        *page = NULL;
        pgt_put(op->pgt, page);
    }
}

static int pool_fill(struct op *op)
{
    bool bad = false;

    for (uint64_t i = 0; i < op->need; i++) {
        void **page = (void **)pgt_table_alloc(op->pgt, op->mc, &bad);
        if (!page) {
            pool_release(op);
            return bad ? -PGT_EINVAL : -PGT_ENOMEM;
        }
        *page = op->pool;
        op->pool = page;
    }
    return 0;
}

static pgt_pte_t *pool_take(struct op *op)
{
    void **page = op->pool;

    op->pool = *page;
    *page = NULL; /* zeroed again: the link lived in word 0 */
    return (pgt_pte_t *)page;
}

/* ---- TLB maintenance of the leaves an operation changes in place -------- */

/*
 * Leaves changed in place or removed: @n of them at @level over
 * [@base, @base + @n spans). With tlbi_range the operation makes one
 * invalidation of the whole span it changed, at its end. Without, each
 * leaf gets its tlbi_va at once, up to the embedder's threshold (Linux's
 * 512 by default); past it, one tlbi_all at the end instead. An operation
 * so never issues more than threshold + 1 invalidations for its leaves.
 * (Break-before-make of a replaced leaf is invalidated before its make,
 * in batch_finish(), never deferred.)
 */
static void op_inval(struct op *op, uint64_t base, uint64_t n, int level)
{
    const struct pgt_mm_ops *mm = op->pgt->mm_ops;
    uint64_t size = pgt_level_size(&op->pgt->geom, level);
    uint32_t max = mm->tlbi_all_threshold ? mm->tlbi_all_threshold
                                           : PGT_TLBI_ALL_THRESHOLD;

    if (!n)
        return;
    if (!op->inv_n || base < op->inv_lo)
        op->inv_lo = base;
    if (!op->inv_n || base + n * size > op->inv_hi)
        op->inv_hi = base + n * size;
    op->inv_level = level;
    op->inv_n += n;
    if (mm->tlbi_range || op->inv_all)
        return;
    /* Past the threshold, one tlbi_all at the end: as soon as the leaves
     * seen, or those the operation's range can hold at this level, are
     * more than it (never one TLBI per page of a large range). */
    if (mm->tlbi_all &&
        (op->inv_n > max || (op->end - op->addr) >>
                                pgt_level_shift(&op->pgt->geom, level) > max)) {
        op->inv_all = true;
        return;
    }
    for (uint64_t i = 0; i < n; i++)
        pgt_tlbi_leaf(op->pgt, base + i * size, level);
}

/* The end of a commit: the invalidation op_inval() deferred. */
static void op_inval_finish(struct op *op)
{
    const struct pgt *pgt = op->pgt;

    if (op->inv_all)
        pgt->mm_ops->tlbi_all(pgt);
    else if (op->inv_n == 1 && pgt->mm_ops->tlbi_range)
        pgt_tlbi_leaf(pgt, op->inv_lo, op->inv_level);
    else if (op->inv_n && pgt->mm_ops->tlbi_range)
        pgt_tlbi_range(pgt, op->inv_lo, op->inv_hi - op->inv_lo);
}

/* ---- commit: one table page's changes, batched ----------------------- */

/* What the commit of one table page's entries leaves for the end. */
struct batch {
    int delta;            /* reference changes on the page */
    uint64_t inv0, inv1;  /* entries whose leaf changed or went: first, last */
    uint64_t brk0, brk1;  /* entries broken for break-before-make */
    bool inv, brk;
};

static void batch_mark(uint64_t i, bool *any, uint64_t *first, uint64_t *last)
{
    if (!*any) {
        *any = true;
        *first = i;
    }
    *last = i;
}

/*
 * The end of one table page's commit: one TLB invalidation for the
 * leaves changed or removed; for the leaves broken (break-before-make),
 * one invalidation and then the new leaves; one reference update.
 */
static void batch_finish(struct op *op, pgt_pte_t *t, uint64_t tbase, int level,
                         const struct batch *b)
{
    struct pgt *pgt = op->pgt;
    uint32_t shift = pgt_level_shift(&pgt->geom, level);

    if (b->inv)
        op_inval(op, tbase + (b->inv0 << shift), b->inv1 - b->inv0 + 1, level);
    if (b->brk) {
        pgt_tlbi_leaves(pgt, tbase + (b->brk0 << shift),
                        (b->brk1 - b->brk0 + 1) << shift, level);
        /* Only a map breaks entries, and every entry of the span it did
         * not break is non-zero now: the zero ones get their leaf. */
        for (uint64_t i = b->brk0; i <= b->brk1; i++) {
            uint64_t base = tbase + (i << shift);
            if (pgt_read(&t[i]) == 0)
                pgt_publish(&t[i], map_leaf(op, base, level));
        }
    }
    pgt_ref_delta(pgt, pgt_table_of(pgt, &t[0]), b->delta);
}

static bool dirty_clear(struct op *op, pgt_pte_t *ptep, uint64_t base,
                        uint64_t size);

/* ACT_LEAF: @new over the non-table @old at t[i]. */
static void commit_leaf(struct op *op, pgt_pte_t *t, uint64_t i, pgt_pte_t old,
                        pgt_pte_t new, uint64_t base, int level, bool offline,
                        struct batch *b)
{
    struct pgt *pgt = op->pgt;

    b->delta += (int)pgt_counted(pgt, new, level) - (int)pgt_counted(pgt, old, level);
    switch (op->kind) {
    case OP_MAP:
        if (op->cmo_d || op->cmo_i)
            pgt_map_cmo(pgt, op->phys + (base - op->addr),
                        pgt_level_size(&pgt->geom, level), op->cmo_d, op->cmo_i);
        if (pgt_pte_valid(old) && !offline) {
            pgt_write(&t[i], 0); /* break; made in batch_finish() */
            batch_mark(i, &b->brk, &b->brk0, &b->brk1);
        } else {
            pgt_publish(&t[i], new);
        }
        break;
    case OP_CLEAR:
        pgt_write(&t[i], new);
        if (pgt_pte_valid(old)) {
            op->bytes += (int64_t)pgt_level_size(&pgt->geom, level);
            if (!offline)
                batch_mark(i, &b->inv, &b->inv0, &b->inv1);
        }
        break;
    case OP_YOUNG: /* the access flag: no TLB maintenance, as KVM */
        pgt_write(&t[i], new);
        break;
    case OP_DIRTY:
        if (dirty_clear(op, &t[i], base, pgt_level_size(&pgt->geom, level)))
            batch_mark(i, &b->inv, &b->inv0, &b->inv1);
        break;
    default: /* OP_PROT: permission changes need no break-before-make */
        pgt_write(&t[i], new);
        if (!offline)
            batch_mark(i, &b->inv, &b->inv0, &b->inv1);
        break;
    }
}

struct scan {
    uint64_t bytes; /* mapped by valid leaves */
    uint64_t pages; /* table pages */
};

/* What a subtree holds: bytes mapped by valid leaves, table pages. */
static void scan_subtree(const struct pgt *pgt, const pgt_pte_t *t, int level,
                         struct scan *s)
{
    uint64_t n = pgt_ptes_per_page(&pgt->geom), leaves = 0;

    s->pages++;
    if (level == PGT_LEVEL_MAX) {
        /* Leaves only: the valid ones counted with no branch per entry,
         * four entries an iteration. */
#pragma GCC unroll 4
        for (uint64_t i = 0; i < n; i++)
            leaves += t[i] & PGT_PTE_VALID;
    } else {
        for (uint64_t i = 0; i < n; i++) {
            pgt_pte_t e = t[i];
            if (!(e & PGT_PTE_VALID))
                continue;
            if (pgt_pte_is_table(e, level))
                scan_subtree(pgt, pgt_table_va(pgt, e), level + 1, s);
            else
                leaves++;
        }
    }
    s->bytes += leaves << pgt_level_shift(&pgt->geom, level);
}

/* ACT_REPLACE: the table @old at t[i] goes whole, @new takes its place. */
static void commit_replace(struct op *op, pgt_pte_t *t, uint64_t i,
                           pgt_pte_t old, pgt_pte_t new, uint64_t base,
                           int level, struct batch *b)
{
    struct pgt *pgt = op->pgt;
    pgt_pte_t *child = pgt_table_va(pgt, old);
    uint64_t size = pgt_level_size(&pgt->geom, level);
    struct scan s = {0, 0};

    scan_subtree(pgt, child, level + 1, &s);
    pgt_unlink(pgt, &t[i], level); /* break */
    /* Cached leaves, or walk-cache entries below its first table, are
     * cached for other addresses of the span too. */
    pgt_tlbi_table(pgt, base, size, s.bytes || s.pages > 1);
    pgt_free_subtree(pgt, child, level + 1);
    if (op->kind == OP_CLEAR)
        op->bytes += (int64_t)s.bytes;
    else
        pgt_map_cmo(pgt, op->phys + (base - op->addr), size, op->cmo_d,
                    op->cmo_i);
    if (new)
        pgt_publish(&t[i], new); /* make */
    b->delta += (int)pgt_counted(pgt, new, level) - (int)pgt_counted(pgt, old, level);
}

/* ---- folding tables back into blocks ---------------------------------- */

/*
 * What the table @t (entries at @level, covering from @tbase) could be
 * replaced by: a block at @level - 1 when its entries are one run of
 * leaves identical but for the output address, contiguous, the first
 * aligned to the block (Arm ARM: a block maps what the table did); or
 * its one owner annotation when all entries carry it. 0: neither.
 */
static pgt_pte_t uniform(const struct pgt *pgt, const pgt_pte_t *t, int level,
                         uint64_t tbase)
{
    const struct pgt_geom *g = &pgt->geom;
    uint64_t n = pgt_ptes_per_page(g);
    pgt_pte_t first = pgt_read(&t[0]);

    (void)tbase;
    if (!pgt_level_has_block(g, level - 1) || !first ||
        pgt_pte_is_table(first, level))
        return 0;
    if (!pgt_pte_valid(first)) {
        for (uint64_t i = 1; i < n; i++)
            if (pgt_read(&t[i]) != first)
                return 0;
        return first; /* an annotation, as a block-level one */
    }
    /* (the contiguous hint of its runs does not go up with them) */
    first = leaf_run(pgt, t, n, level, pgt_level_size(g, level - 1));
    if (!first)
        return 0;
    return pgt_make_leaf(g, pgt_oa_decode(g, first), leaf_bits(g, first),
                         level - 1);
}

/*
 * The table entry *@pe at @level (covering from @base) points to @t: if
 * uniform(), replace it by the block (or annotation) with
 * break-before-make and free @t. Returns whether it did. @delta: the
 * reference change on *@pe's table, for the caller to apply.
 */
static bool fold_table(struct pgt *pgt, pgt_pte_t *pe, pgt_pte_t *t,
                       int level, uint64_t base, int *delta)
{
    pgt_pte_t block = uniform(pgt, t, level + 1, base);
    pgt_pte_t link = pgt_read(pe);

    if (!block)
        return false;
    pgt_unlink(pgt, pe, level); /* break */
    /* Its leaves were cached for every address of the span. */
    pgt_tlbi_table(pgt, base, pgt_level_size(&pgt->geom, level),
                   pgt_pte_valid(block));
    pgt_ref_delta(pgt, t, -pgt->mm_ops->page_count(pgt->mm_ctx, t));
    pgt_publish(pe, block); /* make */
    *delta += (int)pgt_counted(pgt, block, level) - (int)pgt_counted(pgt, link, level);
    return true;
}

/* After a one-page map on a PGT_S2_COALESCE table: the tables on the way
 * to @addr that it left uniform, from the bottom up. */
void pgt_fold_path(struct pgt *pgt, uint64_t addr)
{
    const struct pgt_geom *g = &pgt->geom;
    pgt_pte_t *path[PGT_MAX_LEVELS];
    int level = g->start_level, depth = 0;
    pgt_pte_t *ptep = &pgt->pgd[pgt_level_index(g, addr, level)];

    path[0] = ptep;
    while (pgt_pte_is_table(pgt_read(ptep), level)) {
        pgt_pte_t *t = pgt_table_va(pgt, pgt_read(ptep));
        level++;
        ptep = &t[pgt_level_index(g, addr, level)];
        path[++depth] = ptep;
    }
    for (int d = depth; d > 0; d--) {
        int l = g->start_level + d - 1, delta = 0;
        uint64_t size = pgt_level_size(g, l);
        if (!fold_table(pgt, path[d - 1], pgt_table_of(pgt, path[d]), l,
                        addr & ~(size - 1), &delta))
            return;
        pgt_ref_delta(pgt, pgt_table_of(pgt, path[d - 1]), delta);
    }
}

static int apply(struct op *op, pgt_pte_t *t, pgt_pte_t parent, uint64_t tbase,
                 int level, uint64_t a, uint64_t e, bool offline);

/*
 * ACT_TABLE: the non-table @old at t[i] gets a table, filled with what
 * @old meant one level down and edited offline, then linked (with
 * break-before-make of a valid @old). A table that ends with no counted
 * entry is not linked at all when the operation releases empty tables.
 */
static void commit_table(struct op *op, pgt_pte_t *t, uint64_t i, pgt_pte_t old,
                         uint64_t base, int level, uint64_t a, uint64_t e,
                         bool offline, struct batch *b)
{
    struct pgt *pgt = op->pgt;
    const struct pgt_geom *g = &pgt->geom;
    pgt_pte_t *child = pool_take(op);
    uint64_t n = pgt_ptes_per_page(g);
    int cl = level + 1, counted = 0;

    if (old) {
        uint64_t csize = pgt_level_size(g, cl);
        for (uint64_t k = 0; k < n; k++) {
            child[k] = child_of(op, old, base, cl, base + k * csize);
            counted += pgt_counted(pgt, child[k], cl);
        }
        pgt_ref_delta(pgt, child, counted);
    }
    apply(op, child, 0, base, cl, a, e, true);
    if (pgt_pte_valid(old))
        cont_fold_offline(pgt, child, cl);

    pgt_pte_t new;
    if (op->free_empty && pgt_table_count(pgt, child) == 1) {
        pgt_free_subtree(pgt, child, cl);
        new = 0;
    } else if (op->fold && (new = uniform(pgt, child, cl, base)) != 0) {
        /* Unlinked yet: it simply is not linked. */
        pgt_free_subtree(pgt, child, cl);
    } else {
        new = pgt_make_table(g, pgt->mm_ops->virt_to_phys(pgt->mm_ctx, child));
        pgt_walk_keep(pgt, new, cl, child, base);
    }
    if (pgt_pte_valid(old) && !offline) {
        pgt_write(&t[i], 0); /* break: the block goes */
        pgt_tlbi_leaf(pgt, base, level);
    }
    pgt_publish(&t[i], new); /* make: the table's contents first */
    b->delta += (int)pgt_counted(pgt, new, level) - (int)pgt_counted(pgt, old, level);
}

/* ---- the last level, committed in runs --------------------------------- */

/* What run_map() keeps while it maps the entries of one table page. */
struct mapping {
    pgt_pte_t d0;         /* the leaf of entry 0 (stepping) */
    uint64_t oa0;         /* its output address */
    uint64_t step;        /* one granule */
    int counted_new;      /* whether a new leaf holds a reference */
    int delta;            /* reference change on the page */
    uint64_t first, last; /* entries broken for break-before-make; first
                           * == none: no entry */
    uint64_t none;
    bool offline;
};

/* The leaf of entry @k: the descriptors of consecutive pages differ by
 * one granule (@STEPPING), unless the run crosses into the OA bits kept
 * elsewhere (LPA2, 64K 52-bit). */
static inline __attribute__((always_inline)) pgt_pte_t
leaf_at(const struct op *op, const struct mapping *m, uint64_t k,
        const bool STEPPING)
{
    if (STEPPING)
        return m->d0 + k * m->step;
    return pgt_make_leaf(&op->pgt->geom, m->oa0 + k * m->step, op->attrs,
                         PGT_LEVEL_MAX);
}

/* The leaf of entry @k + 1 from @d, entry @k's: the loops over a table
 * step the descriptor by one addition rather than derive each from its
 * index. */
static inline __attribute__((always_inline)) pgt_pte_t
leaf_next(const struct op *op, const struct mapping *m, uint64_t k,
          pgt_pte_t d, const bool STEPPING)
{
    return STEPPING ? d + m->step : leaf_at(op, m, k + 1, false);
}

/* run_map()'s step: the leaf @d into entry @k of @p. A valid leaf to
 * replace is broken, and marked for the make after one invalidation. */
static inline __attribute__((always_inline)) void
map_entry(struct op *op, pgt_pte_t *p, uint64_t k, pgt_pte_t d,
          struct mapping *m)
{
    pgt_pte_t old = p[k];

    if (PGT_LIKELY(old == 0)) {
        pgt_write(&p[k], d);
        m->delta += m->counted_new;
    } else if ((old & ~PGT_PTE_CONT) == d) {
        return;
    } else if (pgt_pte_valid(old) && !m->offline) {
        pgt_write(&p[k], 0);
        m->delta -= (int)pgt_counted(op->pgt, old, PGT_LEVEL_MAX);
        if (m->first == m->none)
            m->first = k;
        m->last = k;
    } else {
        /* an annotation, or a copy in an unlinked table */
        pgt_write(&p[k], d);
        m->delta +=
            m->counted_new - (int)pgt_counted(op->pgt, old, PGT_LEVEL_MAX);
    }
}

/*
 * A contiguous run @p[@k .. @k + @n) the map covers whole: its leaves
 * with the hint, unless one of its valid leaves stays as it is (then
 * without, entry by entry). Valid leaves to replace in a live table are
 * broken, the whole run, for the make after the invalidation.
 */
static inline __attribute__((always_inline)) void
map_run(struct op *op, pgt_pte_t *p, uint64_t k, uint64_t n, struct mapping *m,
        const bool STEPPING)
{
    bool stay = false, replace = false, same = true;
    pgt_pte_t any = 0;

    /* A table not linked yet (new, or a split's copy): nothing can see a
     * run half written, so it is written in one pass, four entries an
     * iteration (each is a load, a store and a test: the loop's own step
     * and branch were much of its cost). */
    pgt_pte_t d = leaf_at(op, m, k, STEPPING);
    if (m->offline) {
#pragma GCC unroll 4
        for (uint64_t j = k; j < k + n; d = leaf_next(op, m, j++, d, STEPPING)) {
            pgt_pte_t old = p[j];
            pgt_write(&p[j], d | PGT_PTE_CONT);
            if (PGT_UNLIKELY(old))
                m->delta -= (int)pgt_counted(op->pgt, old, PGT_LEVEL_MAX);
        }
        m->delta += (int)n * m->counted_new;
        return;
    }
    /* In a live table, the common case is a run of empty entries: one
     * pass to see it, one to write it. */
    for (uint64_t j = k; j < k + n; j++)
        any |= p[j];
    if (PGT_LIKELY(!any)) {
        for (uint64_t j = k; j < k + n; d = leaf_next(op, m, j++, d, STEPPING))
            pgt_write(&p[j], d | PGT_PTE_CONT);
        m->delta += (int)n * m->counted_new;
        return;
    }
    for (uint64_t j = k; j < k + n; j++) {
        pgt_pte_t old = p[j], dj = leaf_at(op, m, j, STEPPING);
        if (old == (dj | PGT_PTE_CONT))
            continue;
        same = false;
        if (pgt_pte_valid(old)) {
            if (old == dj)
                stay = true;
            else
                replace = true;
        }
    }
    if (same)
        return;
    if (stay) {
        for (uint64_t j = k; j < k + n; d = leaf_next(op, m, j++, d, STEPPING))
            map_entry(op, p, j, d, m);
        return;
    }
    if (replace && !m->offline) {
        for (uint64_t j = k; j < k + n; j++) {
            pgt_pte_t old = p[j];
            if (!old)
                continue;
            pgt_write(&p[j], 0);
            m->delta -= (int)pgt_counted(op->pgt, old, PGT_LEVEL_MAX);
        }
        if (m->first == m->none)
            m->first = k;
        m->last = k + n - 1;
        return;
    }
    for (uint64_t j = k; j < k + n; d = leaf_next(op, m, j++, d, STEPPING)) {
        pgt_pte_t old = p[j];
        pgt_write(&p[j], d | PGT_PTE_CONT);
        m->delta +=
            m->counted_new - (int)pgt_counted(op->pgt, old, PGT_LEVEL_MAX);
    }
}

/* The entries [@k0, @k1) of @p, with the whole runs [@c0, @c1) (of @n
 * entries each) taken together. */
static inline __attribute__((always_inline)) void
map_entries(struct op *op, pgt_pte_t *p, uint64_t k0, uint64_t c0, uint64_t c1,
            uint64_t k1, uint64_t n, struct mapping *m, const bool STEPPING)
{
    pgt_pte_t d = leaf_at(op, m, k0, STEPPING);
    /* Four entries an iteration, as in map_run(): the page-by-page map of
     * a new table is a load, a test and a store per entry. */
#pragma GCC unroll 4
    for (uint64_t k = k0; k < c0; d = leaf_next(op, m, k++, d, STEPPING))
        map_entry(op, p, k, d, m);
    for (uint64_t k = c0; k < c1; k += n)
        map_run(op, p, k, n, m, STEPPING);
    d = leaf_at(op, m, c1, STEPPING);
    for (uint64_t k = c1; k < k1; d = leaf_next(op, m, k++, d, STEPPING))
        map_entry(op, p, k, d, m);
}

/* Map: entries [i0, i1] of the last-level table @p (from @tbase). */
static void run_map(struct op *op, pgt_pte_t *p, uint64_t tbase, uint64_t i0,
                    uint64_t i1, bool offline)
{
    struct pgt *pgt = op->pgt;
    const struct pgt_geom *g = &pgt->geom;
    uint64_t step = 1ull << g->granule_shift, n = i1 - i0 + 1;
    uint64_t addr = tbase + (i0 << g->granule_shift);
    uint64_t oa = op->phys + (addr - op->addr);
    uint64_t oa_last = oa + (n - 1) * step;
    uint32_t top = g->lpa2 ? 50 : 48;
    uint32_t cs = pgt_cont_shift(pgt, PGT_LEVEL_MAX);
    struct mapping m;

    p += i0;
    m.d0 = pgt_make_leaf(g, oa, op->attrs, PGT_LEVEL_MAX);
    m.oa0 = oa;
    m.step = step;
    m.counted_new = pgt_counted(pgt, m.d0, PGT_LEVEL_MAX);
    m.delta = 0;
    m.first = m.none = n;
    m.last = 0;
    m.offline = offline;
    /* The whole contiguous runs inside [i0, i1]: [c0, c1) from @p. */
    uint64_t run = 1ull << cs, c0 = n, c1 = n;
    /* (a run's output addresses too are aligned to its span) */
    if (cs && !((op->phys - op->addr) & ((run << g->granule_shift) - 1))) {
        uint64_t r0 = (i0 + run - 1) & ~(run - 1), r1 = (i1 + 1) & ~(run - 1);
        if (r0 < r1) {
            c0 = r0 - i0;
            c1 = r1 - i0;
        }
    }
    if (op->cmo_d || op->cmo_i) {
        /* Cache maintenance for the leaves that change (from the first to
         * the last), before any of them becomes valid. */
        uint64_t lo = 0, hi = n;
        while (lo < n &&
               (p[lo] & ~PGT_PTE_CONT) ==
                   pgt_make_leaf(g, oa + lo * step, op->attrs, PGT_LEVEL_MAX))
            lo++;
        while (hi > lo && (p[hi - 1] & ~PGT_PTE_CONT) ==
                              pgt_make_leaf(g, oa + (hi - 1) * step, op->attrs,
                                            PGT_LEVEL_MAX))
            hi--;
        if (lo < hi)
            pgt_map_cmo(pgt, oa + lo * step, (hi - lo) * step, op->cmo_d,
                        op->cmo_i);
    }
    if (PGT_LIKELY((oa >> top) == (oa_last >> top)))
        map_entries(op, p, 0, c0, c1, n, run, &m, true);
    else
        map_entries(op, p, 0, c0, c1, n, run, &m, false);
    if (m.first != n) {
        /* Break-before-make for the replaced leaves: every entry of the
         * span that is zero now was broken above (the empty ones were
         * filled), so each gets its leaf after the invalidation, a whole
         * run broken together with the hint. */
        pgt_tlbi_leaves(pgt, addr + m.first * step,
                        (m.last - m.first + 1) * step, PGT_LEVEL_MAX);
        for (uint64_t k = m.first; k <= m.last; k++) {
            pgt_pte_t cont = 0;
            if (k >= c0 && k < c1 && !((k - c0) & (run - 1))) {
                uint64_t j = k;
                while (j < k + run && p[j] == 0)
                    j++;
                if (j == k + run)
                    cont = PGT_PTE_CONT;
            }
            uint64_t end = cont ? k + run : k + 1;
            for (; k < end; k++) {
                if (p[k] != 0)
                    continue;
                pgt_publish(&p[k], pgt_make_leaf(g, oa + k * step, op->attrs,
                                                 PGT_LEVEL_MAX) |
                                       cont);
                m.delta += m.counted_new;
            }
            k--;
        }
    }
    pgt_ref_delta(pgt, pgt_table_of(pgt, p), m.delta);
}

/* Unmap / set_owner: entries [i0, i1] of the last-level table @p. */
static void run_clear(struct op *op, pgt_pte_t *p, uint64_t tbase, uint64_t i0,
                      uint64_t i1, bool offline)
{
    struct pgt *pgt = op->pgt;
    uint32_t gs = pgt->geom.granule_shift;
    uint64_t n = i1 - i0 + 1, first = n, last = 0, removed = 0;
    pgt_pte_t new = op->annot;
    int delta = 0, cnew = pgt_counted(pgt, new, PGT_LEVEL_MAX);

    p += i0;
    for (uint64_t k = 0; k < n; k++) {
        pgt_pte_t old = p[k];
        if (old == new)
            continue;
        pgt_write(&p[k], new);
        delta += cnew - (int)pgt_counted(pgt, old, PGT_LEVEL_MAX);
        if (pgt_pte_valid(old)) {
            removed++;
            if (first == n)
                first = k;
            last = k;
        }
    }
    pgt_ref_delta(pgt, pgt_table_of(pgt, p), delta);
    if (removed) {
        op->bytes += (int64_t)(removed << gs);
        if (!offline)
            op_inval(op, tbase + ((i0 + first) << gs), last - first + 1,
                     PGT_LEVEL_MAX);
    }
}

/* Permissions (wrprotect, protect): entries [i0, i1] of the last-level
 * table @p, in place; valid leaves only. */
static void run_prot(struct op *op, pgt_pte_t *p, uint64_t tbase, uint64_t i0,
                     uint64_t i1, bool offline)
{
    uint64_t n = i1 - i0 + 1, first = n, last = 0;
    pgt_pte_t keep = ~op->perm, set = op->attrs & op->perm;

    p += i0;
    /* Four entries an iteration: each is a load, a mask, a test and a
     * store, and the loop's own step and branch were much of the cost. */
#pragma GCC unroll 4
    for (uint64_t k = 0; k < n; k++) {
        pgt_pte_t old = p[k];
        pgt_pte_t new = (old & keep) | set;
        if (!(old & PGT_PTE_VALID) || new == old)
            continue;
        pgt_write(&p[k], new);
        if (first == n)
            first = k;
        last = k;
    }
    if (first != n && !offline)
        op_inval(op, tbase + ((i0 + first) << op->pgt->geom.granule_shift),
                 last - first + 1, PGT_LEVEL_MAX);
}

/*
 * A dirty leaf at @ptep covering [@base, @base + @size): reported, and its
 * write permission cleared with a compare-and-swap, since the hardware
 * may set it (or the access flag) in the same entry meanwhile. Returns
 * whether it was dirty.
 */
static bool dirty_clear(struct op *op, pgt_pte_t *ptep, uint64_t base,
                        uint64_t size)
{
    const pgt_pte_t dirty = PGT_PTE_VALID | PGT_PTE_DBM | PGT_S2_S2AP_W;
    pgt_pte_t old = pgt_read(ptep);

    do {
        if ((old & dirty) != dirty)
            return false;
    } while (!__atomic_compare_exchange_n(ptep, &old, old & ~PGT_S2_S2AP_W,
                                          false, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    op->ndirty++;
    op->dirty(op->dirty_arg, base, size);
    return true;
}

/* Dirty state: entries [i0, i1] of the last-level table @p. */
static void run_dirty(struct op *op, pgt_pte_t *p, uint64_t tbase, uint64_t i0,
                      uint64_t i1)
{
    const pgt_pte_t dirty = PGT_PTE_VALID | PGT_PTE_TYPE | PGT_PTE_DBM |
                            PGT_S2_S2AP_W;
    uint32_t gs = op->pgt->geom.granule_shift;
    uint64_t first = i1 + 1, last = 0;

    for (uint64_t k = i0; k <= i1; k++) {
        if ((pgt_read(&p[k]) & dirty) != dirty ||
            !dirty_clear(op, &p[k], tbase + (k << gs), 1ull << gs))
            continue;
        if (first > i1)
            first = k;
        last = k;
    }
    if (first <= i1)
        op_inval(op, tbase + (first << gs), last - first + 1, PGT_LEVEL_MAX);
}

/* Access flags: entries [i0, i1] of the last-level table @p. */
static void run_young(struct op *op, pgt_pte_t *p, uint64_t i0, uint64_t i1)
{
    const pgt_pte_t young = PGT_PTE_VALID | PGT_PTE_TYPE | PGT_PTE_AF;

    for (uint64_t k = i0; k <= i1; k++) {
        pgt_pte_t old = p[k];
        if ((old & young) != young)
            continue;
        op->young = true;
        if (op->mkold)
            pgt_write(&p[k], old & ~PGT_PTE_AF);
    }
}

/*
 * run_blocks()'s contiguous run: the 2^@cs entries from t[@i] (at @level,
 * the first covering from @base), all inside the map. Returns whether it
 * mapped them, with the hint: not when one is a table or a valid leaf
 * that stays as it is (the caller maps them one by one, without). Valid
 * leaves to replace in a live table are broken and invalidated, the whole
 * run, before the new ones are written.
 */
static bool map_block_run(struct op *op, pgt_pte_t *t, uint64_t i,
                          uint64_t base, int level, uint32_t cs, bool offline,
                          struct batch *b)
{
    struct pgt *pgt = op->pgt;
    uint64_t n = 1ull << cs, size = pgt_level_size(&pgt->geom, level);
    bool replace = false, same = true;

    for (uint64_t k = 0; k < n; k++) {
        pgt_pte_t old = pgt_read(&t[i + k]);
        pgt_pte_t d = map_leaf(op, base + k * size, level);
        if (old == (d | PGT_PTE_CONT))
            continue;
        same = false;
        if (pgt_pte_is_table(old, level) || old == d)
            return false;
        replace |= pgt_pte_valid(old);
    }
    if (same)
        return true;
    if (replace && !offline) {
        for (uint64_t k = 0; k < n; k++) {
            pgt_pte_t old = pgt_read(&t[i + k]);
            if (!pgt_pte_valid(old))
                continue;
            pgt_write(&t[i + k], 0);
            b->delta -= (int)pgt_counted(pgt, old, level);
        }
        pgt_tlbi_leaves(pgt, base, n * size, level);
    }
    pgt_map_cmo(pgt, op->phys + (base - op->addr), n * size, op->cmo_d,
                op->cmo_i);
    for (uint64_t k = 0; k < n; k++) {
        pgt_pte_t old = pgt_read(&t[i + k]);
        pgt_pte_t d = map_leaf(op, base + k * size, level) | PGT_PTE_CONT;
        pgt_publish(&t[i + k], d);
        b->delta +=
            (int)pgt_counted(pgt, d, level) - (int)pgt_counted(pgt, old, level);
    }
    return true;
}

/*
 * Map above the last level: the run of entries from @i that the range
 * covers whole at a level where they become blocks (classify() says
 * ACT_LEAF or ACT_NONE for each), in one loop: committed, or in a
 * stage-2 prepare passed over (up to a table, which needs a look inside:
 * none in a table the commit would create, @t NULL). Returns the first
 * entry it did not take (a table, or the range's end).
 */
static __attribute__((noinline)) uint64_t
run_blocks(struct op *op, pgt_pte_t *t, uint64_t tbase,
                           int level, uint64_t i, uint64_t i1, bool offline,
                           struct batch *b)
{
    struct pgt *pgt = op->pgt;
    uint32_t shift = pgt_level_shift(&pgt->geom, level);
    uint32_t cs = op->commit ? pgt_cont_shift(pgt, level) : 0;
    uint64_t run = 1ull << cs;

    /* (a run's output addresses too are aligned to its span) */
    if ((op->phys - op->addr) & ((run << shift) - 1))
        cs = 0;

    for (; i <= i1; i++) {
        uint64_t base = tbase + (i << shift);
        if (base < op->addr || base + (1ull << shift) > op->end)
            break;
        if (!op->commit) {
            /* stage-2 prepare: nothing to count or refuse */
            if (t && pgt_pte_is_table(pgt_read(&t[i]), level))
                break;
            continue;
        }
        if (cs && !(i & (run - 1)) && i + run - 1 <= i1 &&
            base + (run << shift) <= op->end &&
            map_block_run(op, t, i, base, level, cs, offline, b)) {
            i += run - 1;
            continue;
        }
        pgt_pte_t old = pgt_read(&t[i]);
        if (pgt_pte_is_table(old, level))
            break;
        pgt_pte_t new = map_leaf(op, base, level);
        if ((old & ~PGT_PTE_CONT) == new)
            continue;
        if (PGT_LIKELY(old == 0 && !op->cmo_d && !op->cmo_i)) {
            pgt_publish(&t[i], new);
            b->delta += pgt_counted(pgt, new, level);
        } else {
            commit_leaf(op, t, i, old, new, base, level, offline, b);
        }
    }
    return i;
}

/* ---- the walk ---------------------------------------------------------- */

/*
 * Apply @op to the entries of the table page @t at @level that cover
 * [a, e) (@t's entry 0 covers from @tbase). In prepare, @t is NULL for a
 * table the commit would create below the entry @parent: its entries are
 * child_of(@parent). @offline: @t is not linked yet.
 */
static int apply(struct op *op, pgt_pte_t *t, pgt_pte_t parent, uint64_t tbase,
                 int level, uint64_t a, uint64_t e, bool offline)
{
    struct pgt *pgt = op->pgt;
    uint32_t shift = pgt_level_shift(&pgt->geom, level);
    uint64_t size = 1ull << shift;
    uint64_t i0 = (a - tbase) >> shift, i1 = (e - 1 - tbase) >> shift;
    struct batch b = {0, 0, 0, 0, 0, false, false};
    int ret;

    if (op->commit && !offline)
        cont_prepare(op, t, tbase, level, &i0, &i1);
    if (level == PGT_LEVEL_MAX) {
        /* Nothing at the last level needs a page; prepare only looks
         * there for what can fail (stage-1 conflicts, protect). */
        if (!op->commit) {
            if (!t || !((op->kind == OP_MAP && op->stage1) || op->kind == OP_PROT))
                return 0;
        } else if (op->kind == OP_MAP) {
            run_map(op, t, tbase, i0, i1, offline);
            return 0;
        } else if (op->kind == OP_CLEAR) {
            run_clear(op, t, tbase, i0, i1, offline);
            return 0;
        } else if (op->kind == OP_PROT) {
            run_prot(op, t, tbase, i0, i1, offline);
            return 0;
        } else if (op->kind == OP_YOUNG) {
            run_young(op, t, i0, i1);
            return 0;
        } else if (op->kind == OP_DIRTY) {
            run_dirty(op, t, tbase, i0, i1);
            return 0;
        } else if (op->kind == OP_FOLD) {
            return 0;
        } else {
            return 0; /* OP_SPLIT: pages stay */
        }
    }

    bool blocks = op->kind == OP_MAP && (op->commit || !op->stage1) &&
                  level < PGT_LEVEL_MAX && (op->terminal >> (level + 1) & 1);
    for (uint64_t i = i0; i <= i1; i++) {
        if (blocks) {
            i = run_blocks(op, t, tbase, level, i, i1, offline, &b);
            if (i > i1)
                break;
        }
        uint64_t base = tbase + (i << shift);
        uint64_t ca = a > base ? a : base;
        uint64_t ce = e < base + size ? e : base + size;
        pgt_pte_t old = t ? pgt_read(&t[i]) : child_of(op, parent, tbase, level, base);
        pgt_pte_t new = 0;
        int act = classify(op, old, level, base, &new);

        if (act < 0)
            return act;
        if (act == ACT_NONE || (!op->commit && act != ACT_DESCEND && act != ACT_TABLE))
            continue;
        if (act == ACT_TABLE && op->kind == OP_SPLIT) {
            ca = base; /* a block splits whole */
            ce = base + size;
        }
        if (!op->commit) {
            if (act == ACT_TABLE)
                op->need++;
            ret = apply(op, act == ACT_TABLE ? NULL : pgt_table_va(pgt, old), old,
                        base, level + 1, ca, ce, false);
            if (ret)
                return ret;
            continue;
        }
        switch (act) {
        case ACT_LEAF:
            commit_leaf(op, t, i, old, new, base, level, offline, &b);
            break;
        case ACT_REPLACE:
            commit_replace(op, t, i, old, new, base, level, &b);
            break;
        case ACT_TABLE:
            commit_table(op, t, i, old, base, level, ca, ce, offline, &b);
            break;
        default: { /* ACT_DESCEND */
            pgt_pte_t *child = pgt_table_va(pgt, old);
            pgt_walk_keep(pgt, old, level + 1, child, base);
            apply(op, child, 0, base, level + 1, ca, ce, offline);
            if (op->free_empty && pgt_table_count(pgt, child) == 1)
                pgt_release_tables(pgt, &t[i], level, base, &child, 1, 0);
            else if (op->fold)
                fold_table(pgt, &t[i], child, level, base, &b.delta);
            break;
        }
        }
    }
    if (op->commit)
        batch_finish(op, t, tbase, level, &b);
    return 0;
}

/* One pass over the range, root page by root page (each page of a
 * concatenated root keeps its own reference count). */
static int apply_root(struct op *op)
{
    struct pgt *pgt = op->pgt;
    const struct pgt_geom *g = &pgt->geom;
    int level = g->start_level;
    uint64_t page_span = 1ull << (pgt_level_shift(g, level) + g->bits_per_level);
    uint64_t per_page = pgt_ptes_per_page(g);

    for (uint64_t a = op->addr; a < op->end;) {
        uint64_t pbase = a & ~(page_span - 1);
        uint64_t e = pbase + page_span < op->end ? pbase + page_span : op->end;
        pgt_pte_t *t = pgt->pgd + (pbase / page_span) * per_page;
        int ret = apply(op, t, 0, pbase, level, a, e, false);
        if (ret)
            return ret;
        a = e;
    }
    return 0;
}

static void op_init(struct op *op, struct pgt *pgt, enum op_kind kind,
                    uint64_t addr, uint64_t size)
{
    op->pgt = pgt;
    op->kind = kind;
    op->commit = false;
    op->addr = addr;
    op->end = addr + size;
    op->phys = 0;
    op->attrs = 0;
    op->annot = 0;
    op->stage1 = false;
    op->cmo_d = false;
    op->cmo_i = false;
    op->free_empty = false;
    op->fold = false;
    op->perm = 0;
    op->memtype = 0;
    op->whole = false;
    op->mkold = false;
    op->young = false;
    op->dirty = NULL;
    op->dirty_arg = NULL;
    op->ndirty = 0;
    op->inv_lo = 0;
    op->inv_hi = 0;
    op->inv_n = 0;
    op->inv_level = PGT_LEVEL_MAX;
    op->inv_all = false;
    op->terminal = 0;
    op->oa_mask = 0;
    op->mc = NULL;
    op->pool = NULL;
    op->need = 0;
    op->bytes = 0;
    op->found = false;
}

/* Prepare, allocate, commit; then the invalidations owed. An operation on
 * whole leaves needs no page and cannot fail: it only commits. */
static int run(struct op *op)
{
    int ret;

    if (!op->whole) {
        ret = apply_root(op);
        if (ret)
            return ret;
        if (op->kind == OP_PROT && !op->found)
            return -PGT_ENOENT;
        ret = pool_fill(op);
        if (ret)
            return ret;
    }
    op->commit = true;
    apply_root(op);
    op_inval_finish(op);
    /* Prepare counted exactly what commit took: nothing is left. */
    pool_release(op);
    return 0;
}

static void map_op(struct op *op, struct pgt *pgt, uint64_t addr, uint64_t size,
                   uint64_t phys, pgt_pte_t attrs, void *mc, unsigned int flags)
{
    op_init(op, pgt, OP_MAP, addr, size);
    op->phys = phys;
    op->attrs = attrs;
    op->stage1 = pgt->regime != PGT_REGIME_S2;
    op->fold = !op->stage1 && (pgt->flags & PGT_S2_COALESCE);
    op->cmo_d = flags & PGT_CMO_D;
    op->cmo_i = flags & PGT_CMO_I;
    op->mc = mc;
    op->terminal = terminal_levels(op, flags & PGT_MAP_FORCE_PTE);
    const struct pgt_geom *g = &pgt->geom;
    if (!g->lpa2 && (g->granule_shift != PGT_GRANULE_64K || g->oa_bits < 52))
        op->oa_mask = ((1ull << 48) - 1) & ~((1ull << g->granule_shift) - 1);
}

int pgt_engine_map(struct pgt *pgt, uint64_t addr, uint64_t size,
                   uint64_t phys, pgt_pte_t attrs, void *mc,
                   unsigned int flags)
{
    struct op op;

    map_op(&op, pgt, addr, size, phys, attrs, mc, flags);
    return run(&op);
}

int64_t pgt_engine_map_cost(const struct pgt *pgt, uint64_t addr,
                            uint64_t size, uint64_t phys, pgt_pte_t attrs,
                            unsigned int flags)
{
    struct op op;
    int ret;

    /* Prepare only reads the table. */
    map_op(&op, (struct pgt *)pgt, addr, size, phys, attrs, NULL, flags);
    ret = apply_root(&op);
    return ret ? ret : (int64_t)op.need;
}

int64_t pgt_engine_clear(struct pgt *pgt, uint64_t addr, uint64_t size,
                         pgt_pte_t annot, void *mc)
{
    struct op op;
    int ret;

    op_init(&op, pgt, OP_CLEAR, addr, size);
    op.annot = annot;
    op.mc = mc;
    op.free_empty = true;
    op.terminal = terminal_levels(&op, false);
    ret = run(&op);
    return ret ? ret : op.bytes;
}

int pgt_engine_protect(struct pgt *pgt, uint64_t addr, uint64_t size,
                       pgt_pte_t attrs, pgt_pte_t perm, pgt_pte_t memtype,
                       bool whole)
{
    struct op op;

    op_init(&op, pgt, OP_PROT, addr, size);
    op.attrs = attrs;
    op.perm = perm & ~PGT_PTE_CONT; /* the hint is the engine's */
    op.memtype = memtype;
    op.whole = whole;
    op.terminal = terminal_levels(&op, false);
    return run(&op);
}

int pgt_engine_young(struct pgt *pgt, uint64_t addr, uint64_t size, bool mkold)
{
    struct op op;

    op_init(&op, pgt, OP_YOUNG, addr, size);
    op.mkold = mkold;
    op.whole = true;
    op.terminal = terminal_levels(&op, false);
    run(&op);
    return op.young;
}

int64_t pgt_engine_dirty(struct pgt *pgt, uint64_t addr, uint64_t size,
                         pgt_dirty_fn fn, void *arg)
{
    struct op op;

    op_init(&op, pgt, OP_DIRTY, addr, size);
    op.dirty = fn;
    op.dirty_arg = arg;
    op.whole = true;
    op.terminal = terminal_levels(&op, false);
    run(&op);
    return op.ndirty;
}

int pgt_engine_fold(struct pgt *pgt, uint64_t addr, uint64_t size)
{
    struct op op;

    op_init(&op, pgt, OP_FOLD, addr, size);
    op.fold = true;
    op.whole = true;
    op.terminal = terminal_levels(&op, false);
    return run(&op);
}

int pgt_engine_split(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc)
{
    struct op op;

    op_init(&op, pgt, OP_SPLIT, addr, size);
    op.mc = mc;
    op.terminal = terminal_levels(&op, false);
    return run(&op);
}
