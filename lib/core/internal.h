/* SPDX-License-Identifier: MIT */
/*
 * What the files of the table core share (not installed):
 *   table.c   table lifecycle: create, destroy, reference counts, TLB
 *             maintenance, releasing a table left empty
 *   page.c    the single-address descent and the one-page map / unmap,
 *             instantiated per table shape
 *   engine.c  the prepare/commit engine behind every range operation
 *   walk.c    the generic walker of pgt_walk()
 *   desc.c    geometry and descriptor encoding
 *   s1.c s2.c the public operations: argument checks, then page.c or
 *             engine.c
 */
#ifndef PGT_CORE_INTERNAL_H
#define PGT_CORE_INTERNAL_H

#include "pgtable/pgtable.h"

#define PGT_LIKELY(x) __builtin_expect(!!(x), 1)
#define PGT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* For the fault handler's map and unmap calls and their instances: each
 * starts a 64-byte cache line, so where its branches fall within lines,
 * and what its fetch costs, does not change when unrelated code moves. */
#define PGT_LINE_ALIGNED __attribute__((aligned(64)))

/* ---- descriptors in memory ---------------------------------------------- */

/* A descriptor store: one single-copy-atomic 64-bit write (Arm ARM D8.2.1:
 * the walker must never see half an entry). */
static inline void pgt_write(pgt_pte_t *ptep, pgt_pte_t v)
{
    __atomic_store_n(ptep, v, __ATOMIC_RELAXED);
}

/* A store that makes a new table (or leaf) visible: the release orders
 * the stores that filled it before the entry that links it. */
static inline void pgt_publish(pgt_pte_t *ptep, pgt_pte_t v)
{
    __atomic_store_n(ptep, v, __ATOMIC_RELEASE);
}

static inline pgt_pte_t pgt_read(const pgt_pte_t *ptep)
{
    return __atomic_load_n(ptep, __ATOMIC_RELAXED);
}

/* The table page holding the entry at @ptep (tables, and each page of a
 * concatenated root, are granule aligned). */
static inline void *pgt_table_of(const struct pgt *pgt, const pgt_pte_t *ptep)
{
    return (void *)((uintptr_t)ptep &
                    ~(((uintptr_t)1 << pgt->geom.granule_shift) - 1));
}

/* Virtual address of the table a table entry @pte points to: inline with
 * a linear map, else through phys_to_virt. */
static inline pgt_pte_t *pgt_table_va(const struct pgt *pgt, pgt_pte_t pte)
{
    uint64_t pa = pgt_oa_decode(&pgt->geom, pte);

    if (pgt->mm_ops->linear)
        return (pgt_pte_t *)(uintptr_t)(pa + pgt->mm_ops->linear_offset);
    return pgt->mm_ops->phys_to_virt(pgt->mm_ctx, pa);
}

/* The level of the walk cache's table (internal.walk_tag / walk_tbl):
 * the last above the leaf tables. */
#define PGT_WALK_LEVEL (PGT_LEVEL_MAX - 1)

/*
 * A call that changes the table reached (or linked) the table at @va,
 * with table entry @pte, at @level, translating from @ia: remember it in
 * the page-walk caches of the one-page paths (internal.walk_tag /
 * walk_tbl, and without a linear map internal.p2v_pa / p2v_va).
 */
static inline void pgt_walk_keep(struct pgt *pgt, pgt_pte_t pte, int level,
                                 const pgt_pte_t *va, uint64_t ia)
{
    if (level == PGT_WALK_LEVEL) {
        pgt->internal.walk_tag = ia >> pgt_level_shift(&pgt->geom, level - 1);
        pgt->internal.walk_tbl = (pgt_pte_t *)va;
    }
    if (pgt->mm_ops->linear)
        return;
    pgt->internal.p2v_pa[level] = pgt_oa_decode(&pgt->geom, pte);
    pgt->internal.p2v_va[level] = (pgt_pte_t *)va;
}

/*
 * The table entry *@pe at @level, linking a table, is broken (written 0)
 * to unlink it: the walk cache goes when the tables unlinked may hold it.
 */
static inline void pgt_unlink(struct pgt *pgt, pgt_pte_t *pe, int level)
{
    pgt_write(pe, 0);
    if (level < PGT_WALK_LEVEL)
        pgt->internal.walk_tag = ~0ull;
}

/* ---- what struct pgt.internal holds (table.c derives it) ---------------- */

/* internal.shape: the one-page paths' instance (page.c). */
enum pgt_shape {
    PGT_SHAPE_GENERIC = 0, /* geometry read from the table, hooks */
    PGT_SHAPE_4K_L0,
    PGT_SHAPE_4K_L1,
    PGT_SHAPE_4K_L2,
    PGT_SHAPE_4K_L3,
    PGT_SHAPE_16K_L0,
    PGT_SHAPE_16K_L1,
    PGT_SHAPE_16K_L2,
    PGT_SHAPE_16K_L3,
    PGT_SHAPE_64K_L1,
    PGT_SHAPE_64K_L2,
    PGT_SHAPE_64K_L3,
    PGT_SHAPE_ENGINE, /* no one-page paths: everything through the engine */
    /* PGT_SHAPE_P2V + a shape above: the same shape's constants, table
     * addresses from mm_ops.phys_to_virt (no linear map) */
    PGT_SHAPE_P2V = PGT_SHAPE_ENGINE,
};
_Static_assert(PGT_SHAPE_ENGINE == PGT_INTERNAL_SHAPE_ENGINE,
               "pgt.h names the engine-only shape");

/* internal.cmo, and the cache maintenance of a map: the same bits as
 * PGT_MAP_SKIP_DCACHE / PGT_MAP_SKIP_ICACHE. */
#define PGT_CMO_D (1u << 0) /* dcache_clean_inval_poc */
#define PGT_CMO_I (1u << 1) /* icache_inval_pou */

/* internal.counting: which entries hold a reference on their table. */
enum pgt_counting {
    PGT_COUNT_ALL = 0, /* every non-zero entry (the default) */
    PGT_COUNT_HOST,    /* PGT_S2_HOST: all but valid leaves */
    PGT_COUNT_CUSTOM,  /* pte_ops->pte_is_counted decides */
};

/* Work out pgt->internal from the geometry, flags, pte_ops and mm_ops;
 * called at init and whenever a table is given other mm_ops. */
void pgt_derive(struct pgt *pgt);

/* log2 of the entries one contiguous run joins at @level; 0: no hint
 * there (pgt_cont_entries(), PGT_NO_CONT). */
static inline uint32_t pgt_cont_shift(const struct pgt *pgt, int level)
{
    return pgt->internal.cont[level + 1];
}

/* ---- reference counts ----------------------------------------------------- */

/* Whether @pte at @level holds a reference on its table page. */
static inline bool pgt_counted(const struct pgt *pgt, pgt_pte_t pte, int level)
{
    if (!pte)
        return false;
    switch (pgt->internal.counting) {
    case PGT_COUNT_ALL:
        return true;
    case PGT_COUNT_HOST:
        return !pgt_pte_is_leaf(pte, level);
    default:
        return pgt->pte_ops->pte_is_counted(pte, level);
    }
}

/* Where the count of the table page at @table (a page address) is in the
 * embedder's count array (struct pgt_mm_ops.count_base); only for a
 * table that has one (internal.count_width 2 or 4). */
static inline uintptr_t pgt_count_addr(const struct pgt *pgt,
                                       const void *table)
{
    const struct pgt_internal *in = &pgt->internal;

    return in->count_base + ((uintptr_t)table >> in->count_rshift);
}

/* The count record at @rec (pgt_count_addr()), read, for a count array of
 * @width bytes a count (2 or 4; a constant where the caller knows it). */
static inline uint32_t pgt_count_read(uintptr_t rec, int width)
{
    if (width == 2)
        return __atomic_load_n((const uint16_t *)rec, __ATOMIC_RELAXED);
    return __atomic_load_n((const uint32_t *)rec, __ATOMIC_RELAXED);
}

/* The count of the table page at @table, from the count array. */
static inline int pgt_count_record(const struct pgt *pgt, const void *table)
{
    return (int)pgt_count_read(pgt_count_addr(pgt, table),
                               pgt->internal.count_width);
}

/* @c stored as the count record at @rec, of @width bytes (as
 * pgt_count_read()). */
static inline void pgt_count_set(uintptr_t rec, uint32_t c, int width)
{
    if (width == 2)
        __atomic_store_n((uint16_t *)rec, (uint16_t)c, __ATOMIC_RELAXED);
    else
        __atomic_store_n((uint32_t *)rec, c, __ATOMIC_RELAXED);
}

/* @old + @delta, stored as the count record at @rec that holds @old, of
 * @width bytes (as pgt_count_read()), when the page is in use and stays
 * so: count in [1, 1 + @span] before and after (@span internal.count_span,
 * 0 when no count changes in place: then no @delta but 0 passes). True if
 * done. */
static inline bool pgt_count_put(uintptr_t rec, uint32_t old, int delta,
                                 int width, uint32_t span)
{
    uint32_t c = old + (uint32_t)delta;

    /* One unsigned compare for a step of one (the bounds of old shifted
     * by it), one for each end otherwise. */
    if (delta == 1 || delta == -1) {
        if (old - (delta < 0 ? 2u : 1u) >= span)
            return false;
    } else if (old - 1 > span || c - 1 > span) {
        return false;
    }
    pgt_count_set(rec, c, width);
    return true;
}

/*
 * Add @delta to the count of the table page at @table in the count array
 * itself, when the embedder allows it (mm_ops.count_writable) and
 * pgt_count_put() can: true if done. Otherwise the caller calls the
 * hooks, which free a page whose count reaches 0 and report misuse.
 * @width as pgt_count_read(); pgt_count_store() when the caller has read
 * the count (@old) at @rec already. Both are for a table that has a
 * count array (the one-page paths' instances of its width): there the
 * bound alone says whether counts change in place (count_span 0 refuses
 * every step), so that neither tests anything else.
 */
static inline bool pgt_count_add_as(const struct pgt *pgt, const void *table,
                                    int delta, int width)
{
    uintptr_t rec = pgt_count_addr(pgt, table);

    return pgt_count_put(rec, pgt_count_read(rec, width), delta, width,
                         pgt->internal.count_span);
}

static inline bool pgt_count_store(const struct pgt *pgt, uintptr_t rec,
                                   uint32_t old, int delta, int width)
{
    return pgt_count_put(rec, old, delta, width, pgt->internal.count_span);
}

/* pgt_count_add_as() with the table's count width, for any table: false,
 * with nothing read, when counts do not change in place (no count array,
 * or one the embedder changes itself); else the width is tested once,
 * before the load. */
static inline bool pgt_count_add(const struct pgt *pgt, const void *table,
                                 int delta)
{
    if (!pgt->internal.count_span)
        return false;
    if (pgt->internal.count_width == 2)
        return pgt_count_add_as(pgt, table, delta, 2);
    return pgt_count_add_as(pgt, table, delta, 4);
}

/* The count of the table page at @table (a page address): from the
 * embedder's count array when mm_ops declares one, else page_count. */
static inline int pgt_table_count(const struct pgt *pgt, const void *table)
{
    if (pgt->internal.count_width)
        return pgt_count_record(pgt, table);
    return pgt->mm_ops->page_count(pgt->mm_ctx, (void *)table);
}

/* One reference more, or one less, on the table page at @table: in the
 * count array when pgt_count_add() can, else get_page / put_page. */
static inline void pgt_get(const struct pgt *pgt, void *table)
{
    if (!pgt_count_add(pgt, table, 1))
        pgt->mm_ops->get_page(pgt->mm_ctx, table);
}

static inline void pgt_put(const struct pgt *pgt, void *table)
{
    if (!pgt_count_add(pgt, table, -1))
        pgt->mm_ops->put_page(pgt->mm_ctx, table);
}

/* get (@delta > 0) or put (@delta < 0) |@delta| references on @table: in
 * the count array when pgt_count_add() can, else batched with get_page_n
 * / put_page_n when the embedder has them. */
void pgt_ref_delta(const struct pgt *pgt, void *table, int delta);

/* ---- table pages ------------------------------------------------------- */

/* One zeroed table page from zalloc_page(mc), or NULL (with PGT_DEBUG_CHECKS,
 * also for a page not aligned to the granule: *@bad is then set). */
pgt_pte_t *pgt_table_alloc(const struct pgt *pgt, void *mc, bool *bad);

/* Drop every reference on the table page @table at @level and on every
 * table below it (they are freed), children first. */
void pgt_free_subtree(const struct pgt *pgt, pgt_pte_t *table, int level);

/* Free every table page of @pgt, root included, and zero @pgt (no TLB
 * maintenance). Nothing for a NULL or destroyed table. */
void pgt_destroy(struct pgt *pgt);

bool pgt_mm_ops_ok(const struct pgt_mm_ops *mm);

/* Create the root of a table of geometry @g and fill @pgt (untouched on
 * error): -PGT_EINVAL (hooks missing), -PGT_ENOMEM. */
int pgt_create(struct pgt *pgt, const struct pgt_geom *g,
               enum pgt_regime regime, uint32_t flags,
               const struct pgt_mm_ops *mm_ops, void *mm_ctx,
               const struct pgt_pte_ops *pte_ops);

/* ---- cache and TLB maintenance ------------------------------------------ */

/* Cache maintenance of [oa, oa + size) before a map makes it visible:
 * clean and invalidate the data cache to PoC (@dcache: stage 2 without
 * FWB, normal cacheable memory) and invalidate the instruction cache to
 * PoU (@icache: executable). */
void pgt_map_cmo(const struct pgt *pgt, uint64_t oa, uint64_t size, bool dcache,
                 bool icache);


/*
 * The core works on input addresses relative to the table's first entry
 * (internal.va_base, non-zero for an upper-range stage-1 table); the TLB
 * hooks get the address the hardware sees. Every tlbi_va and tlbi_range
 * call adds va_base back: through the helpers below, or in place.
 */

/* One leaf at @level covering @addr was removed or changed. */
static inline void pgt_tlbi_leaf(const struct pgt *pgt, uint64_t addr,
                                 int level)
{
    if (pgt->mm_ops->tlbi_va)
        pgt->mm_ops->tlbi_va(pgt, addr + pgt->internal.va_base, level);
    else if (pgt->mm_ops->tlbi_all)
        pgt->mm_ops->tlbi_all(pgt);
}

/* mm_ops.tlbi_range (which must exist) for [@addr, @addr + @size). */
static inline void pgt_tlbi_range(const struct pgt *pgt, uint64_t addr,
                                  uint64_t size)
{
    pgt->mm_ops->tlbi_range(pgt, addr + pgt->internal.va_base, size);
}

/* Leaves past this many (mm_ops.tlbi_all_threshold unset), without
 * tlbi_range, are invalidated with one tlbi_all (Linux's MAX_TLBI_OPS). */
#define PGT_TLBI_ALL_THRESHOLD 512

/* Leaves at @level in [addr, addr + size) changed: tlbi_range, else
 * per-leaf tlbi_va, or tlbi_all past the threshold. */
void pgt_tlbi_leaves(const struct pgt *pgt, uint64_t addr, uint64_t size,
                     int level);

/*
 * A table entry covering [addr, addr + size) was removed: tlbi_va(addr,
 * PGT_LEVEL_UNKNOWN), and with @wide (valid leaves or tables below the
 * first table were reachable through it, cached for other addresses than
 * @addr) the whole span too (tlbi_range, else tlbi_all).
 */
void pgt_tlbi_table(const struct pgt *pgt, uint64_t addr, uint64_t size,
                    bool wide);

/* ---- releasing tables left empty --------------------------------------- */

/* pgt_release_tables() when uncounted entries may be left in the tables
 * (host or custom counting): they go with them. */
void pgt_release_uncounted(struct pgt *pgt, pgt_pte_t *pe, int level,
                           uint64_t addr, pgt_pte_t *const *tables, int n);

/*
 * Release a chain of tables left without a counted entry: the table entry
 * *@pe at @level (in a table that stays) points to the first of @n tables
 * @tables[0..n-1], each linked from the one before and holding no counted
 * entry but that link; the last one still holds @refs references of
 * entries the caller has cleared. Unlinks *@pe (break), invalidates with
 * one tlbi_va(@addr, PGT_LEVEL_UNKNOWN) (@addr: any address under *@pe;
 * widened to the whole span when uncounted valid entries went with the
 * tables), frees the tables and drops the link's reference on *@pe's
 * table. The one way tables are released (unmap, set_owner, one page or
 * a range).
 */
static inline void pgt_release_tables(struct pgt *pgt, pgt_pte_t *pe,
                                      int level, uint64_t addr,
                                      pgt_pte_t *const *tables, int n, int refs)
{
    if (PGT_UNLIKELY(pgt->internal.counting != PGT_COUNT_ALL)) {
        pgt_release_uncounted(pgt, pe, level, addr, tables, n);
        return;
    }
    /* Every non-zero entry is counted, so the tables hold nothing but the
     * links (and the entries the caller cleared, or left for the tables
     * to take with them): one TLBI by VA at every level forgets all they
     * held. */
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    pgt_unlink(pgt, pe, level); /* break */
    if (PGT_LIKELY(mm->tlbi_va != NULL))
        mm->tlbi_va(pgt, addr + pgt->internal.va_base, PGT_LEVEL_UNKNOWN);
    else
        pgt_tlbi_table(pgt, addr, pgt_level_size(&pgt->geom, level), false);
    /* Each table: its own reference and the link below it (the last
     * one: the cleared entries' references). */
    if (PGT_LIKELY(mm->put_page_n != NULL))
        mm->put_page_n(pgt->mm_ctx, tables[n - 1], 1 + refs);
    else
        pgt_ref_delta(pgt, tables[n - 1], -(1 + refs));
    for (int i = n - 2; i >= 0; i--)
        pgt_ref_delta(pgt, tables[i], -2);
    pgt_put(pgt, pgt_table_of(pgt, pe)); /* the link's reference */
}

/* ---- geometry shared by s1.c and s2.c ------------------------------------ */

uint64_t pgt_ps_encode(uint32_t oa_bits);
uint64_t pgt_tg0_encode(uint32_t granule_shift);

/* Copy a geometry (a struct copy may become a memcpy call). */
void pgt_geom_copy(struct pgt_geom *d, const struct pgt_geom *s);

/* -PGT_EINVAL (unaligned or empty) or -PGT_ERANGE (beyond the IA size)
 * for [addr, addr + size) in @pgt, else 0. */
static inline int pgt_check_range(const struct pgt *pgt, uint64_t addr,
                                  uint64_t size)
{
    uint64_t gmask = (1ull << pgt->geom.granule_shift) - 1;

    if (!size || (addr & gmask) || (size & gmask))
        return -PGT_EINVAL;
    if (addr + size < addr || addr + size > (1ull << pgt->geom.ia_bits))
        return -PGT_ERANGE;
    return 0;
}

/* ---- what s1.c/s2.c hand to page.c and engine.c ------------------------- */

/* pgt_engine_map() @flags: PGT_CMO_D, PGT_CMO_I and this. */
#define PGT_MAP_FORCE_PTE (1u << 2) /* last-level leaves only */

/*
 * One shape's instances of the one-page paths (page.c), indexed by
 * struct pgt.internal.shape (the generic instance's for a shape or mode
 * the build leaves out); pgt_derive() copies the table's get_leaf,
 * map and unmap into internal, where the public calls find them. Each
 * takes checked arguments and hands what it does not handle to the
 * engine.
 *   map:   one granule at @addr to @phys, @cmo: PGT_CMO_* to do; stage 1
 *          (a conflict is -PGT_EEXIST) or 2 (replaced) by the regime.
 *          Return as pgt_s2_map() / pgt_hyp_map().
 *   unmap: one granule at @addr. Return: bytes unmapped (>= 0),
 *          -PGT_ENOMEM (a block to split).
 *   release: unmap's rarer half, when tables go with the page.
 */
struct pgt_page_fns {
    int (*get_leaf)(const struct pgt *pgt, uint64_t addr, pgt_pte_t *ptep,
                    int *level);
    pgt_pte_t *(*lookup)(const struct pgt *pgt, uint64_t addr, int *level);
    /* with counts changed through the hooks [0] or in a count array of
     * 2-byte [1] or 4-byte [2] counts */
    int (*map[3])(struct pgt *pgt, uint64_t addr, uint64_t phys,
                  pgt_pte_t attrs, void *mc, unsigned int cmo);
    int64_t (*unmap)(struct pgt *pgt, uint64_t addr, void *mc);
    /* stage 2, returning as pgt_s2_unmap(): page.c's unmap_fast(), for
     * the tables pgt_derive() finds it fits, with counts from page_count
     * [0] or a count array of 2-byte [1] or 4-byte [2] counts */
    int (*unmap_s2[3])(struct pgt *pgt, uint64_t addr, uint64_t size,
                       void *mc);
    int64_t (*release)(struct pgt *pgt, uint64_t addr); /* unmap's tail */
};
extern const struct pgt_page_fns pgt_page_fns[];
/* The stage-2 one-page unmap of every other table (unmap, as
 * pgt_s2_unmap() returns). */
int pgt_s2_unmap_any(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc);
/* pgt_s2_unmap() of anything but one page at an aligned address of a live
 * stage-2 table (s2.c): every check, then the engine. */
int pgt_s2_unmap_range(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc);

static inline const struct pgt_page_fns *pgt_page(const struct pgt *pgt)
{
    return &pgt_page_fns[pgt->internal.shape];
}


/* The entry translating @addr (< 2^ia_bits) and its level: the leaf, or
 * the invalid entry where the walk stopped. */
pgt_pte_t *pgt_lookup(const struct pgt *pgt, uint64_t addr, int *level);

/* ---- the engine (engine.c) ----------------------------------------------- */

/* Map [@addr, @addr + @size) to @phys with leaf attributes @attrs,
 * arguments checked; @mc for zalloc_page(), @flags PGT_CMO_* and
 * PGT_MAP_FORCE_PTE. Stage 1 (a different valid entry is -PGT_EEXIST) or
 * 2 (replaced) by the table's regime. */
int pgt_engine_map(struct pgt *pgt, uint64_t addr, uint64_t size,
                   uint64_t phys, pgt_pte_t attrs, void *mc,
                   unsigned int flags);
int64_t pgt_engine_clear(struct pgt *pgt, uint64_t addr, uint64_t size,
                         pgt_pte_t annot, void *mc);
/* The stage-1 leaf fields a protect must find unchanged (its @memtype
 * below): the memory type, the PA space and the nG bit are not
 * permissions, and the in-place change a protect makes is only safe for
 * permissions. */
#define PGT_S1_PROTECT_KEEP (PGT_S1_ATTRINDX_MASK | PGT_S1_NS | PGT_S1_NG)

/*
 * New permissions on every valid leaf of the range: the bits @perm of
 * each take @attrs' (the rest stays); with @memtype, a leaf whose @memtype
 * bits differ from @attrs' refuses the whole operation (-PGT_EINVAL).
 * @whole: on whole leaves, nothing can fail (wrprotect); else blocks
 * partly in the range are split (-PGT_ENOMEM) and -PGT_ENOENT when no
 * leaf is mapped there.
 */
int pgt_engine_protect(struct pgt *pgt, uint64_t addr, uint64_t size,
                       pgt_pte_t attrs, pgt_pte_t perm, pgt_pte_t memtype,
                       bool whole);
/* Whether a leaf touching the range has its access flag set; with
 * @mkold, clear them (whole leaves, no TLB maintenance). */
int pgt_engine_young(struct pgt *pgt, uint64_t addr, uint64_t size, bool mkold);
/* Report each leaf the hardware made dirty to @fn and clear its write
 * permission again (whole leaves); the number reported. */
int64_t pgt_engine_dirty(struct pgt *pgt, uint64_t addr, uint64_t size,
                         pgt_dirty_fn fn, void *arg);
/* Fold every table in the range that its entries allow back into a
 * block (or a block-level annotation), from the bottom up. */
int pgt_engine_fold(struct pgt *pgt, uint64_t addr, uint64_t size);
/* The same for the tables on the way to @addr (one-page map). */
void pgt_fold_path(struct pgt *pgt, uint64_t addr);
/* Split every block leaf touching the range down to pages. */
int pgt_engine_split(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc);
/* The table pages pgt_engine_map() would allocate now, or the error it
 * would return before allocating (-PGT_EEXIST). */
int64_t pgt_engine_map_cost(const struct pgt *pgt, uint64_t addr,
                            uint64_t size, uint64_t phys, pgt_pte_t attrs,
                            unsigned int flags);

#endif /* PGT_CORE_INTERNAL_H */
