// SPDX-License-Identifier: MIT
/*
 * The one-page paths: the single-address descent, and the one-page map,
 * one-page unmap and lookup built on it. Each is written once, as an
 * always-inline template over (granule, start level), and instantiated
 * for every table shape with both as constants, so every shift and mask
 * folds; one more instance reads the geometry from the table and goes
 * through phys_to_virt and the general OA decoder (no linear map, LPA2,
 * 52-bit 64K). struct pgt.internal.shape, worked out at init, picks the
 * instance, and pgt_derive() copies its functions into struct
 * pgt.internal for the public calls. A build may keep the instances of
 * a few shapes only (meson options one_page_shapes, one_page_modes): the
 * others' tables take the generic instance.
 *
 * They do what a fault handler does one page at a time: a page into an
 * empty entry (building the missing tables), a page removed (releasing
 * the tables it leaves empty), a lookup. Whatever else they meet (a block
 * or annotation on the way, an entry to replace) goes to the engine
 * before anything is written.
 */
#include "internal.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Where a descent stopped, and the entries on the way. */
struct descent {
    pgt_pte_t *ptep[PGT_MAX_LEVELS]; /* the entry at each depth (recorded) */
    pgt_pte_t *parent;               /* the entry before the last one */
    pgt_pte_t pte;                   /* the value of the last one */
    int level;                       /* its level */
    int depth;                       /* tables below the root on the way */
};

/* How an instance finds its table pages (its MODE): the shape's
 * constants with the linear map (LINEAR) or with mm_ops.phys_to_virt
 * (P2V), both for the plain OA format; or the geometry read from the
 * table and pgt_table_va(), for every format (GENERIC). */
#define MODE_LINEAR 0
#define MODE_P2V 1
#define MODE_GENERIC 2
#define HOOKED (MODE == MODE_GENERIC)

/* The descriptor bits holding a plain OA of granule shift @gs. */
#define PLAIN_OA_MASK(gs) (((1ull << 48) - 1) & ~((1ull << (gs)) - 1))

/*
 * An entry below the root, read once as pgt_read() does. A volatile load
 * rather than an __atomic one: AArch64 gcc folds the entry and the offset
 * into one register-offset LDR only for the former.
 */
static inline pgt_pte_t read_below_root(const pgt_pte_t *ptep)
{
    return *(const volatile pgt_pte_t *)ptep;
}

/* The walk cache's range holding @addr (internal.walk_tag): a level-1
 * entry's span, for granule shift @gs. */
ALWAYS_INLINE uint64_t walk_tag_of(uint64_t addr, const uint32_t gs)
{
    return addr >> (gs + 2 * (gs - 3));
}

/*
 * The descent below the entry *@ptep at @FROM (the root's level, or the
 * walk cache's): to the entry translating @addr (below 2^ia_bits), which
 * is a leaf or an invalid entry. @GS and @START are the instance's
 * granule shift and start level; with @MODE GENERIC they are read from
 * the table instead and table addresses come from pgt_table_va(); with
 * P2V from phys_to_virt of the plain OA, through the table's
 * phys_to_virt cache (internal.p2v_pa / p2v_va). @memo: the calls that
 * change the table, which the embedder serialises, refill the caches on
 * a miss; lookups (@memo NULL) only read them. @record keeps every entry
 * on the way in @d->ptep (from the root only).
 */
ALWAYS_INLINE pgt_pte_t *walk_from(const struct pgt *pgt, uint64_t addr,
                                   struct descent *d, const bool record,
                                   struct pgt_internal *memo,
                                   const uint32_t GS, const int START,
                                   const int MODE, const int FROM,
                                   pgt_pte_t *ptep)
{
    const uint32_t gs = HOOKED ? pgt->geom.granule_shift : GS;
    const int start = HOOKED ? pgt->geom.start_level : START;
    const uint32_t bpl = gs - 3;
    const uint64_t idx_mask = (1ull << bpl) - 1;
    const uintptr_t eoff = pgt->internal.entry_offset;
    pgt_pte_t pte = FROM == start ? pgt_read(ptep) : read_below_root(ptep);
    int level = FROM;

    d->parent = NULL;
    if (record)
        d->ptep[0] = ptep;
    /* At most four steps down; with constant levels the loop unrolls into
     * straight-line code with constant shifts. */
#pragma GCC unroll 4
    for (int l = FROM + 1; l <= PGT_LEVEL_MAX; l++) {
        const pgt_pte_t tbl = PGT_PTE_VALID | PGT_PTE_TYPE;
        if (MODE == MODE_GENERIC) {
            if ((pte & tbl) != tbl)
                break;
        } else if (PGT_UNLIKELY((pte & ~PLAIN_OA_MASK(gs)) != tbl)) {
            /* Not a table entry as pgt_make_table() writes it (address
             * and type bits only): a leaf, an invalid entry, or a table
             * entry with ignored bits set, which is still followed. One
             * compare tests both type bits and that no mask is needed. */
            if ((pte & tbl) != tbl)
                break;
            pte &= PLAIN_OA_MASK(gs) | tbl;
        }
        uint64_t idx = (addr >> (gs + bpl * (uint32_t)(PGT_LEVEL_MAX - l))) & idx_mask;
        pgt_pte_t *t; /* the table below */
        d->parent = ptep;
        if (MODE == MODE_GENERIC) {
            t = pgt_table_va(pgt, pte);
            ptep = t + idx;
        } else if (MODE == MODE_P2V) {
            const struct pgt_internal *in = &pgt->internal;
            uint64_t pa = pte - tbl;
            if (in->p2v_pa[l] == pa) {
                t = in->p2v_va[l];
            } else {
                /* A lookup writes nothing. The key is stored first, so
                 * that it need not be kept across the call. */
                if (memo)
                    memo->p2v_pa[l] = pa;
                t = pgt->mm_ops->phys_to_virt(pgt->mm_ctx, pa);
                if (memo)
                    memo->p2v_va[l] = t;
            }
            ptep = t + idx;
        } else {
            /* The entry is now the table's address plus the type bits
             * (eoff: the linear offset less them): the next entry is at
             * the entry plus an offset that does not depend on it, so
             * only the load sits between two dependent loads. */
            t = (pgt_pte_t *)(uintptr_t)(pte + eoff);
            ptep = (pgt_pte_t *)(uintptr_t)(pte + (eoff + idx * sizeof(*ptep)));
        }
        if (memo && l == PGT_WALK_LEVEL && MODE != MODE_GENERIC) {
            memo->walk_tag = walk_tag_of(addr, gs);
            memo->walk_tbl = t;
        }
        pte = HOOKED ? pgt_read(ptep) : read_below_root(ptep);
        level = l;
        if (record)
            d->ptep[l - start] = ptep;
    }
    d->pte = pte;
    d->level = level;
    d->depth = level - start;
    return ptep;
}

/*
 * The descent to the entry translating @addr: from the root, or, for the
 * shapes that start above the walk cache's level, from the walk cache's
 * table when @addr is in its range (not when @record). Arguments as
 * walk_from(). d->parent is NULL when the descent followed no table
 * entry (it does when it ends at the last level).
 */
ALWAYS_INLINE pgt_pte_t *descend(const struct pgt *pgt, uint64_t addr,
                                 struct descent *d, const bool record,
                                 struct pgt_internal *memo, const uint32_t GS,
                                 const int START, const int MODE)
{
    const uint32_t gs = HOOKED ? pgt->geom.granule_shift : GS;
    const int start = HOOKED ? pgt->geom.start_level : START;
    const uint32_t bpl = gs - 3;

    /* A hit, the cheaper case, falls through; a miss pays for its loads
     * from the root anyway. */
    if (!HOOKED && !record && START < PGT_WALK_LEVEL &&
        PGT_LIKELY(walk_tag_of(addr, gs) == pgt->internal.walk_tag)) {
        uint64_t idx = (addr >> (gs + bpl)) & ((1ull << bpl) - 1);
        return walk_from(pgt, addr, d, false, memo, GS, START, MODE,
                         PGT_WALK_LEVEL, pgt->internal.walk_tbl + idx);
    }
    return walk_from(pgt, addr, d, record, memo, GS, START, MODE, start,
                     &pgt->pgd[addr >> (gs + bpl * (uint32_t)(PGT_LEVEL_MAX - start))]);
}

/* The table page holding @ptep, for the instance's granule. */
ALWAYS_INLINE void *table_of(const pgt_pte_t *ptep, const uint32_t gs)
{
    return (void *)((uintptr_t)ptep & ~(((uintptr_t)1 << gs) - 1));
}

/*
 * A missing chain: the entry for @addr above the last level is empty, and
 * a table is needed at every level below it. Found again with the generic
 * descent (its lines are cached: it was just read), so that every rare
 * path takes the same arguments as the common one. The tables are
 * allocated first (nothing changes on failure), filled bottom up
 * off-line, and linked with one store.
 */
static __attribute__((noinline)) int map_chain(struct pgt *pgt, uint64_t addr,
                                               uint64_t phys, pgt_pte_t attrs,
                                               void *mc, unsigned int cmo)
{
    const struct pgt_geom *g = &pgt->geom;
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    uint64_t mask = pgt_ptes_per_page(g) - 1;
    pgt_pte_t *tables[PGT_MAX_LEVELS]; /* tables[i] is at level + 1 + i */
    pgt_pte_t leaf = pgt_make_leaf(g, phys, attrs, PGT_LEVEL_MAX);
    struct descent d;
    pgt_pte_t *ptep = descend(pgt, addr, &d, false, NULL, 0, 0, MODE_GENERIC);
    int level = d.level, n = PGT_LEVEL_MAX - level;
    bool bad = false;

    for (int i = 0; i < n; i++) {
        tables[i] = pgt_table_alloc(pgt, mc, &bad);
        if (!tables[i]) {
            while (i--)
                pgt_put(pgt, tables[i]);
            return bad ? -PGT_EINVAL : -PGT_ENOMEM;
        }
    }
    pgt_pte_t *lp = &tables[n - 1][(addr >> g->granule_shift) & mask];
    pgt_map_cmo(pgt, phys, 1ull << g->granule_shift, cmo & PGT_CMO_D,
                cmo & PGT_CMO_I);
    pgt_write(lp, leaf);
    if (pgt_counted(pgt, leaf, PGT_LEVEL_MAX))
        pgt_get(pgt, tables[n - 1]);
    for (int i = n - 2; i >= 0; i--) {
        pgt_pte_t *e = &tables[i][(addr >> pgt_level_shift(g, level + 1 + i)) & mask];
        pgt_pte_t t = pgt_make_table(g, mm->virt_to_phys(pgt->mm_ctx, tables[i + 1]));
        pgt_write(e, t);
        pgt_walk_keep(pgt, t, level + 2 + i, tables[i + 1], addr);
        if (pgt_counted(pgt, t, level + 1 + i))
            pgt_get(pgt, tables[i]);
    }
    pgt_pte_t top = pgt_make_table(g, mm->virt_to_phys(pgt->mm_ctx, tables[0]));
    pgt_walk_keep(pgt, top, level + 1, tables[0], addr);
    pgt_publish(ptep, top);
    if (pgt_counted(pgt, top, level))
        pgt_get(pgt, pgt_table_of(pgt, ptep));
    return 0;
}

/* What the one-page map leaves to the engine: the same request (one page
 * is a page: no force_pte). */
static __attribute__((noinline)) int map_by_engine(struct pgt *pgt,
                                                   uint64_t addr,
                                                   uint64_t phys,
                                                   pgt_pte_t attrs, void *mc,
                                                   unsigned int cmo)
{
    return pgt_engine_map(pgt, addr, 1ull << pgt->geom.granule_shift, phys,
                          attrs, mc, cmo);
}

/* The empty last-level entry for @addr gets its leaf, with cache
 * maintenance, counting other than the default or coalescing: out of the
 * common path, which then makes its one call last. */
static __attribute__((noinline)) int map_leaf(struct pgt *pgt, uint64_t addr,
                                              uint64_t phys, pgt_pte_t attrs,
                                              void *mc, unsigned int cmo)
{
    struct descent d;
    pgt_pte_t *ptep = descend(pgt, addr, &d, false, NULL, 0, 0, MODE_GENERIC);
    pgt_pte_t leaf = pgt_make_leaf(&pgt->geom, phys, attrs, PGT_LEVEL_MAX);

    (void)mc;
    pgt_map_cmo(pgt, phys, 1ull << pgt->geom.granule_shift, cmo & PGT_CMO_D,
                cmo & PGT_CMO_I);
    pgt_write(ptep, leaf);
    if (pgt_counted(pgt, leaf, PGT_LEVEL_MAX))
        pgt_get(pgt, pgt_table_of(pgt, ptep));
    if (pgt->flags & PGT_S2_COALESCE && pgt->regime == PGT_REGIME_S2)
        pgt_fold_path(pgt, addr);
    return 0;
}

/* One reference more on the table page @t: in the count array of @W bytes
 * a count (2 or 4) when pgt_count_add_as() can, else (and with @W 0)
 * get_page. */
ALWAYS_INLINE void table_get(const struct pgt *pgt, void *t, const int W)
{
    if (!(W && pgt_count_add_as(pgt, t, 1, W)))
        pgt->mm_ops->get_page(pgt->mm_ctx, t);
}

/*
 * One page into an empty entry: the leaf is written and counted, missing
 * tables are built; an identical leaf is left alone. Everything else
 * (replacing an entry, a block or annotation above the last level) is the
 * engine's.
 */
ALWAYS_INLINE int map_one(struct pgt *pgt, uint64_t addr, uint64_t phys,
                          pgt_pte_t attrs, void *mc, unsigned int cmo,
                          const uint32_t GS, const int START, const int MODE,
                          const int W)
{
    const uint32_t gs = HOOKED ? pgt->geom.granule_shift : GS;
    pgt_pte_t leaf = HOOKED ? pgt_make_leaf(&pgt->geom, phys, attrs,
                                            PGT_LEVEL_MAX)
                            : (phys & PLAIN_OA_MASK(gs)) | attrs |
                                  PGT_PTE_TYPE | PGT_PTE_VALID;
    struct descent d;
    pgt_pte_t *ptep = descend(pgt, addr, &d, false, &pgt->internal, GS, START, MODE);

    if (PGT_LIKELY(d.level == PGT_LEVEL_MAX)) {
        if (PGT_LIKELY(d.pte == 0)) {
            if (cmo || pgt->internal.counting != PGT_COUNT_ALL ||
                (pgt->flags & PGT_S2_COALESCE))
                return map_leaf(pgt, addr, phys, attrs, mc, cmo);
            pgt_write(ptep, leaf);
            table_get(pgt, table_of(ptep, gs), W);
            return 0;
        }
        if (d.pte == leaf)
            return 0;
        return map_by_engine(pgt, addr, phys, attrs, mc, cmo);
    }
    if (d.pte)
        return map_by_engine(pgt, addr, phys, attrs, mc, cmo);
    return map_chain(pgt, addr, phys, attrs, mc, cmo);
}

/* The count of the table page @t: from its record @rec in the count
 * array, of @W bytes a count (2 or 4), else (@W 0) from page_count. */
ALWAYS_INLINE uint32_t table_count(const struct pgt *pgt, const void *t,
                                   uintptr_t rec, const int W)
{
    if (W)
        return pgt_count_read(rec, W);
    return (uint32_t)pgt->mm_ops->page_count(pgt->mm_ctx, (void *)t);
}

/*
 * The page at @addr goes and takes two or more tables with it: each table
 * on the way left without a counted entry is released, from the bottom
 * up, with one TLB invalidation for all of them. The entries on the way
 * are found again (their lines were just read) so that unmap_one()
 * records nothing.
 */
ALWAYS_INLINE int64_t release_one(struct pgt *pgt, uint64_t addr,
                                  const uint32_t GS, const int START,
                                  const int MODE)
{
    const uint32_t gs = HOOKED ? pgt->geom.granule_shift : GS;
    const int start = HOOKED ? pgt->geom.start_level : START;
    struct descent d;
    pgt_pte_t *ptep = descend(pgt, addr, &d, true, &pgt->internal, GS, START, MODE);
    pgt_pte_t pte = d.pte;
    int refs = pgt_counted(pgt, pte, d.level);
    int top = d.depth - 1;
    pgt_pte_t *tables[PGT_MAX_LEVELS];

    if (top < 0) /* a root-level page: no table to release */
        return 0;
    /* Above the leaf's table, each one whose only counted entry is the
     * link to the one below (a table entry: its count is 2) goes too. The
     * root stays. */
    while (top > 0 && pgt_table_count(pgt, table_of(d.ptep[top], gs)) == 2)
        top--;
    (void)ptep; /* the leaf goes with its table: not cleared */
    int n = d.depth - top;
    for (int i = 0; i < n; i++)
        tables[i] = table_of(d.ptep[top + 1 + i], gs);
    /* One tlbi_va(addr, PGT_LEVEL_UNKNOWN) covers the leaf too. */
    pgt_release_tables(pgt, d.ptep[top], start + top, addr, tables, n, refs);
    return pgt_pte_valid(pte) ? (int64_t)1 << gs : 0;
}

/*
 * The leaf's last-level table @t goes with it (the table of the entry
 * @parent linking it stays): released with one invalidation. Out of line:
 * the fault handler's tables take unmap_fast() instead.
 */
static __attribute__((noinline)) int64_t unmap_table(struct pgt *pgt,
                                                     uint64_t addr,
                                                     pgt_pte_t *parent,
                                                     pgt_pte_t *t, int refs,
                                                     int64_t bytes)
{
    pgt_release_tables(pgt, parent, PGT_LEVEL_MAX - 1, addr, &t, 1, refs);
    return bytes;
}

/* The leaf (or annotation) is cleared and its reference dropped; its
 * table stays. */
ALWAYS_INLINE int64_t clear_leaf(struct pgt *pgt, uint64_t addr,
                                 pgt_pte_t *ptep, pgt_pte_t *t, int refs,
                                 int64_t bytes)
{
    pgt_write(ptep, 0);
    if (bytes)
        pgt_tlbi_leaf(pgt, addr, PGT_LEVEL_MAX);
    if (refs)
        pgt_put(pgt, t);
    return bytes;
}

/*
 * One page removed. The entry where the descent stopped (a page, or an
 * empty entry at any level) is what goes; its table too when that leaves
 * it without a counted entry (with host counting, a table of uncounted
 * leaves goes with any unmap that reaches it, as in the engine). Both
 * counts are read before anything is written or called. A block or
 * annotation above the last level is split by the engine, and a page of a
 * contiguous run unfolds it there.
 */
ALWAYS_INLINE int64_t unmap_one(struct pgt *pgt, uint64_t addr, void *mc,
                                const uint32_t GS, const int START,
                                const int MODE)
{
    const uint32_t gs = HOOKED ? pgt->geom.granule_shift : GS;
    struct descent d;
    pgt_pte_t *ptep = descend(pgt, addr, &d, false, &pgt->internal, GS, START, MODE);
    pgt_pte_t pte = d.pte;
    pgt_pte_t *t = table_of(ptep, gs);
    int64_t bytes = pgt_pte_valid(pte) ? (int64_t)1 << gs : 0;
    uint8_t counting = pgt->internal.counting;

    if (PGT_UNLIKELY((d.level != PGT_LEVEL_MAX && pte) ||
                     counting == PGT_COUNT_CUSTOM || (pte & PGT_PTE_CONT)))
        return pgt_engine_clear(pgt, addr, 1ull << gs, 0, mc);
    /* pgt_counted() for the two modes left: every entry, or (host) all
     * but valid leaves. */
    int refs = pte && (counting == PGT_COUNT_ALL || !pgt_pte_is_leaf(pte, d.level));
    if (d.depth > 0 && pgt_table_count(pgt, t) == 1 + refs) {
        /* The table above goes too when its only counted entry is the
         * link (count 2) and it is not the root: the rarer chain. */
        if (d.level != PGT_LEVEL_MAX ||
            (d.depth > 1 &&
             pgt_table_count(pgt, table_of(d.parent, gs)) == 2))
            return pgt_page(pgt)->release(pgt, addr);
        return unmap_table(pgt, addr, d.parent, t, refs, bytes);
    }
    if (!pte)
        return 0;
    return clear_leaf(pgt, addr, ptep, t, refs, bytes);
}

/* A one-page unmap's result as pgt_s2_unmap() returns it. */
static inline int s2_result(int64_t ret)
{
    return ret < 0 ? (int)ret : 0;
}

/* The last-level table @t, unlinked with the page at @addr, goes: one
 * TLBI by VA at every level, then the @refs references it still holds:
 * 2 (its own and the leaf's), or 1 when the leaf's was dropped in the
 * count array. */
ALWAYS_INLINE void leaf_table_gone(struct pgt *pgt, uint64_t addr, void *t,
                                   const int refs)
{
    const struct pgt_internal *in = &pgt->internal;

    in->tlbi_va(pgt, addr, PGT_LEVEL_UNKNOWN);
    if (refs == 1) {
        in->put_page(pgt->mm_ctx, t);
    } else if (PGT_LIKELY(in->put_page_n != NULL)) {
        in->put_page_n(pgt->mm_ctx, t, 2);
    } else {
        in->put_page(pgt->mm_ctx, t);
        in->put_page(pgt->mm_ctx, t);
    }
}

/*
 * The stage-2 one-page unmap of a table whose every non-zero entry is
 * counted and whose mm_ops have tlbi_va (pgt_derive() picks it), with
 * pgt_s2_unmap()'s arguments and result, so that the public call ends in
 * it: the fault handler's two cases, a page that leaves its table and a
 * page that takes it along, with their hook calls in line. Anything else,
 * @ANY: unmap_one() of the same shape. @W: the count array's width (2 or
 * 4), or 0 for counts from page_count.
 */
ALWAYS_INLINE int unmap_fast(struct pgt *pgt, uint64_t addr, uint64_t size,
                             void *mc, const uint32_t GS, const int START,
                             const int MODE, const int W,
                             int64_t (*const ANY)(struct pgt *, uint64_t,
                                                  void *))
{
    const uint32_t gs = HOOKED ? pgt->geom.granule_shift : GS;
    const struct pgt_internal *in = &pgt->internal;

    if (PGT_UNLIKELY(size != 1ull << gs || (addr & (size - 1))))
        return pgt_s2_unmap_range(pgt, addr, size, mc);

    struct descent d;
    pgt_pte_t *ptep = descend(pgt, addr, &d, false, &pgt->internal, GS, START, MODE);
    pgt_pte_t *t = table_of(ptep, gs);

    if (PGT_UNLIKELY(d.level != PGT_LEVEL_MAX ||
                     (d.pte & (PGT_PTE_VALID | PGT_PTE_CONT)) != PGT_PTE_VALID))
        return s2_result(ANY(pgt, addr, mc));
    /* A count of 2 (the table's own and the leaf's): the leaf is the
     * table's last entry. The root stays. A count that can drop in place
     * drops before the invalidation (the table stays either way), so that
     * nothing is needed after the hook calls. */
    uintptr_t rec = W ? pgt_count_addr(pgt, t) : 0;
    uint32_t count = W || d.depth ? table_count(pgt, t, rec, W) : 0;
    if (d.depth == 0 || count != 2) {
        pgt_write(ptep, 0);
        if (W && pgt_count_store(pgt, rec, count, -1, W)) {
            in->tlbi_va(pgt, addr, PGT_LEVEL_MAX);
            return 0;
        }
        in->tlbi_va(pgt, addr, PGT_LEVEL_MAX);
        in->put_page(pgt->mm_ctx, t);
        return 0;
    }
    pgt_pte_t *up = table_of(d.parent, gs);
    uintptr_t up_rec = W ? pgt_count_addr(pgt, up) : 0;
    uint32_t up_count = W || d.depth > 1 ? table_count(pgt, up, up_rec, W) : 0;
    if (d.depth > 1 && up_count == 2)
        return s2_result(pgt_page(pgt)->release(pgt, addr));
    /* Break the link (the leaf goes with its table) and drop its count in
     * the table above, which stays; then leaf_table_gone(). Where that
     * count changed in place, so does the leaf's reference on @t (2 to
     * 1): one put_page() then frees it, with or without put_page_n. */
    pgt_write(d.parent, 0);
    if (W && pgt_count_store(pgt, up_rec, up_count, -1, W)) {
        pgt_count_set(rec, 1, W);
        leaf_table_gone(pgt, addr, t, 1);
        return 0;
    }
    leaf_table_gone(pgt, addr, t, 2);
    in->put_page(pgt->mm_ctx, up);
    return 0;
}

ALWAYS_INLINE pgt_pte_t *lookup_one(const struct pgt *pgt, uint64_t addr,
                                    int *level, const uint32_t GS,
                                    const int START, const int MODE)
{
    struct descent d;
    pgt_pte_t *ptep = descend(pgt, addr, &d, false, NULL, GS, START, MODE);

    *level = d.level;
    return ptep;
}

ALWAYS_INLINE int get_leaf_one(const struct pgt *pgt, uint64_t addr,
                               pgt_pte_t *ptep, int *level, const uint32_t GS,
                               const int START, const int MODE)
{
    struct descent d;

    descend(pgt, addr, &d, false, NULL, GS, START, MODE);
    if (ptep)
        *ptep = d.pte;
    if (level)
        *level = d.level;
    return 0;
}

/* ---- the instances --------------------------------------------------- */

/* A one-page map instance, and a stage-2 one-page unmap instance (@any:
 * its fallback), for the count width @w (map_one()'s and unmap_fast()'s
 * @W). These and the lookup instances, which the public calls jump to,
 * start on a cache line, so that a change to the code before them does
 * not move theirs across line boundaries. */
#define MAP_INSTANCE(fn, gs, sl, hooked, w)                                    \
    PGT_LINE_ALIGNED                                                           \
    static int fn(struct pgt *pgt, uint64_t addr, uint64_t phys,               \
                  pgt_pte_t attrs, void *mc, unsigned int cmo)                 \
    {                                                                          \
        return map_one(pgt, addr, phys, attrs, mc, cmo, gs, sl, hooked, w);    \
    }
#define UNMAP_S2_INSTANCE(fn, any, gs, sl, hooked, w)                          \
    PGT_LINE_ALIGNED                                                           \
    static int fn(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc)     \
    {                                                                          \
        return unmap_fast(pgt, addr, size, mc, gs, sl, hooked, w, any);        \
    }

/*
 * Each instance is a function of its own: the shapes with a linear map
 * make no call on their common path, so they keep nothing across one;
 * those without one call phys_to_virt for a table on the way that the
 * last call to change the table did not reach.
 */
#define INSTANCE(name, gs, sl, hooked)                                         \
    PGT_LINE_ALIGNED                                                           \
    static int get_leaf_##name(const struct pgt *pgt, uint64_t addr,           \
                               pgt_pte_t *ptep, int *level)                    \
    {                                                                          \
        return get_leaf_one(pgt, addr, ptep, level, gs, sl, hooked);           \
    }                                                                          \
    static pgt_pte_t *lookup_##name(const struct pgt *pgt, uint64_t addr,      \
                                    int *level)                                \
    {                                                                          \
        return lookup_one(pgt, addr, level, gs, sl, hooked);                   \
    }                                                                          \
    MAP_INSTANCE(map_##name, gs, sl, hooked, 0)                                \
    MAP_INSTANCE(map_##name##_16, gs, sl, hooked, 2)                           \
    MAP_INSTANCE(map_##name##_32, gs, sl, hooked, 4)                           \
    static int64_t unmap_##name(struct pgt *pgt, uint64_t addr, void *mc)      \
    {                                                                          \
        return unmap_one(pgt, addr, mc, gs, sl, hooked);                       \
    }                                                                          \
    UNMAP_S2_INSTANCE(unmap_##name##_fast, unmap_##name, gs, sl, hooked, 0)    \
    UNMAP_S2_INSTANCE(unmap_##name##_fast16, unmap_##name, gs, sl, hooked, 2)  \
    UNMAP_S2_INSTANCE(unmap_##name##_fast32, unmap_##name, gs, sl, hooked, 4)  \
    static int64_t release_##name(struct pgt *pgt, uint64_t addr)              \
    {                                                                          \
        return release_one(pgt, addr, gs, sl, hooked);                         \
    }

/* Every shape with an instance of its own: name, granule, start level. */
#define SHAPES(X)                          \
    X(4K_L0, PGT_GRANULE_4K, 0)            \
    X(4K_L1, PGT_GRANULE_4K, 1)            \
    X(4K_L2, PGT_GRANULE_4K, 2)            \
    X(4K_L3, PGT_GRANULE_4K, 3)            \
    X(16K_L0, PGT_GRANULE_16K, 0)          \
    X(16K_L1, PGT_GRANULE_16K, 1)          \
    X(16K_L2, PGT_GRANULE_16K, 2)          \
    X(16K_L3, PGT_GRANULE_16K, 3)          \
    X(64K_L1, PGT_GRANULE_64K, 1)          \
    X(64K_L2, PGT_GRANULE_64K, 2)          \
    X(64K_L3, PGT_GRANULE_64K, 3)

/*
 * The instances the build keeps: PGT_ONE_PAGE_<shape> for each shape
 * above and PGT_ONE_PAGE_LINEAR / PGT_ONE_PAGE_P2V, each 1 or 0, set by
 * the meson options one_page_shapes and one_page_modes. A shape's
 * instance in a mode is built when both are 1; otherwise its row of
 * pgt_page_fns[] holds the generic instance, which serves every table,
 * with the same results. Built without them: every instance.
 */
#ifndef PGT_ONE_PAGE_LINEAR
#define PGT_ONE_PAGE_4K_L0 1
#define PGT_ONE_PAGE_4K_L1 1
#define PGT_ONE_PAGE_4K_L2 1
#define PGT_ONE_PAGE_4K_L3 1
#define PGT_ONE_PAGE_16K_L0 1
#define PGT_ONE_PAGE_16K_L1 1
#define PGT_ONE_PAGE_16K_L2 1
#define PGT_ONE_PAGE_16K_L3 1
#define PGT_ONE_PAGE_64K_L1 1
#define PGT_ONE_PAGE_64K_L2 1
#define PGT_ONE_PAGE_64K_L3 1
#define PGT_ONE_PAGE_LINEAR 1
#define PGT_ONE_PAGE_P2V 1
#endif

/* KEPT(shape flag, mode flag, yes, no): @yes when both flags are 1, else
 * @no (the flags are expanded to their values before they are pasted). */
#define KEPT(s, m, yes, no) KEPT_(s, m, yes, no)
#define KEPT_(s, m, yes, no) KEPT_##s##m(yes, no)
#define KEPT_11(yes, no) yes
#define KEPT_10(yes, no) no
#define KEPT_01(yes, no) no
#define KEPT_00(yes, no) no
#define NO_INSTANCE(name, gs, sl, mode)

#define LINEAR_INSTANCE(name, gs, sl)                                          \
    KEPT(PGT_ONE_PAGE_##name, PGT_ONE_PAGE_LINEAR, INSTANCE, NO_INSTANCE)      \
    (name, gs, sl, MODE_LINEAR)
#define P2V_INSTANCE(name, gs, sl)                                             \
    KEPT(PGT_ONE_PAGE_##name, PGT_ONE_PAGE_P2V, INSTANCE, NO_INSTANCE)         \
    (name##_P2V, gs, sl, MODE_P2V)
SHAPES(LINEAR_INSTANCE)
SHAPES(P2V_INSTANCE)
INSTANCE(GENERIC, 0, 0, MODE_GENERIC)

/* PGT_SHAPE_ENGINE (tests): lookups as the generic shape, map and unmap
 * through the engine. */
static int64_t unmap_by_engine(struct pgt *pgt, uint64_t addr, void *mc)
{
    return pgt_engine_clear(pgt, addr, 1ull << pgt->geom.granule_shift, 0, mc);
}

static int s2_unmap_by_engine(struct pgt *pgt, uint64_t addr, uint64_t size,
                              void *mc)
{
    return pgt_s2_unmap_range(pgt, addr, size, mc);
}

/* The stage-2 one-page unmap of the tables unmap_fast() does not fit. */
int pgt_s2_unmap_any(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc)
{
    if (size != 1ull << pgt->geom.granule_shift || (addr & (size - 1)))
        return pgt_s2_unmap_range(pgt, addr, size, mc);
    return s2_result(pgt_page(pgt)->unmap(pgt, addr, mc));
}

/* The instances by internal.shape, the generic one in the rows of the
 * shapes and modes the build leaves out (a table of macro calls: kept as
 * written, one row per line). */
/* clang-format off */
#define FNS_AT(index, name) FNS_AT_(index, name)
#define FNS_AT_(index, name)                                                  \
    [index] = {get_leaf_##name, lookup_##name,                                \
               {map_##name, map_##name##_16, map_##name##_32},                \
               unmap_##name,                                                  \
               {unmap_##name##_fast, unmap_##name##_fast16,                   \
                unmap_##name##_fast32},                                       \
               release_##name},
#define FNS(name, gs, sl)                                                     \
    FNS_AT(PGT_SHAPE_##name,                                                  \
           KEPT(PGT_ONE_PAGE_##name, PGT_ONE_PAGE_LINEAR, name, GENERIC))
#define FNS_P2V(name, gs, sl)                                                 \
    FNS_AT(PGT_SHAPE_##name + PGT_SHAPE_P2V,                                  \
           KEPT(PGT_ONE_PAGE_##name, PGT_ONE_PAGE_P2V, name##_P2V, GENERIC))
const struct pgt_page_fns pgt_page_fns[] = {
    SHAPES(FNS)
    SHAPES(FNS_P2V)
    FNS_AT(PGT_SHAPE_GENERIC, GENERIC)
    [PGT_SHAPE_ENGINE] = {get_leaf_GENERIC, lookup_GENERIC,
                          {map_by_engine, map_by_engine, map_by_engine},
                          unmap_by_engine,
                          {s2_unmap_by_engine, s2_unmap_by_engine, s2_unmap_by_engine},
                          release_GENERIC},
};
/* clang-format on */

pgt_pte_t *pgt_lookup(const struct pgt *pgt, uint64_t addr, int *level)
{
    return pgt_page(pgt)->lookup(pgt, addr, level);
}

int pgt_get_leaf(const struct pgt *pgt, uint64_t addr, pgt_pte_t *ptep,
                 int *level)
{
    if (!pgt)
        return -PGT_EINVAL;
    /* From the table's first address: an address below it wraps round
     * to beyond the IA size. A destroyed table is all zero (ia_size 0),
     * so this one test also sends it to the error path. */
    addr -= pgt->internal.va_base;
    if (PGT_UNLIKELY(addr >= pgt->internal.ia_size))
        return !pgt->pgd || !pgt->mm_ops ? -PGT_EINVAL : -PGT_ERANGE;
    return pgt->internal.get_leaf(pgt, addr, ptep, level);
}
