/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the table core (lib/core).
 * Not installed.
 */
#ifndef PGT_INTERNAL_H
#define PGT_INTERNAL_H

#include "pgtable/pgtable.h"

#define PGT_LIKELY(x) __builtin_expect(!!(x), 1)
#define PGT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/*
 * Internal walker extensions on top of pgt_walk():
 *  - with a @run callback, a visitor may return PGT_WALK_SKIP from a
 *    TABLE_PRE visit: the walk does not descend into that table and makes
 *    no TABLE_POST visit (without @run, as in pgt_walk(), it is an
 *    ordinary non-zero value that stops the walk).
 *  - @run, when set, is offered runs of entries before LEAF visits:
 *    at the last level it is called once per table page with the @n
 *    entries in range and handles them all; above it, it is called at
 *    each non-table entry with the @n entries left in that table and
 *    returns how many it handled (0: the walker makes the LEAF visit of
 *    the current entry as usual). Negative: an error that stops the walk.
 */
#define PGT_WALK_SKIP 0x40000000

typedef int64_t (*pgt_run_fn)(const struct pgt_visit_ctx *ctx, uint64_t n);

int pgt_walk_internal(struct pgt *pgt, uint64_t addr, uint64_t end,
                      const struct pgt_walker *walker, pgt_run_fn run);

/* Argument checks shared by the operations: NULL, alignment, empty
 * (-PGT_EINVAL), beyond the IA size (-PGT_ERANGE). */
static inline int pgt_check_range_of(const struct pgt *pgt, uint64_t addr,
                                     uint64_t size)
{
    uint64_t gmask = (1ull << pgt->geom.granule_shift) - 1;

    if (!size || (addr & gmask) || (size & gmask))
        return -PGT_EINVAL;
    if (addr + size < addr || addr + size > (1ull << pgt->geom.ia_bits))
        return -PGT_ERANGE;
    return 0;
}

/* The same for a @pgt not yet checked for NULL. */
static inline int pgt_check_range(const struct pgt *pgt, uint64_t addr,
                                  uint64_t size)
{
    if (!pgt || !pgt->pgd || !pgt->mm_ops)
        return -PGT_EINVAL;
    return pgt_check_range_of(pgt, addr, size);
}

static inline uint64_t pgt_granule(const struct pgt *pgt)
{
    return 1ull << pgt->geom.granule_shift;
}

/*
 * Whether descriptors of @g hold the OA plainly in bits [47:granule]: no
 * LPA2, and no 52-bit OA with 64K (below 2^48 the 64K OA[51:48] field,
 * bits [15:12], is zero).
 */
static inline bool pgt_simple_oa(const struct pgt_geom *g)
{
    return !g->lpa2 && (g->granule_shift != PGT_GRANULE_64K || g->oa_bits < 52);
}

/* pgt_oa_decode() with the common formats inline. */
static inline uint64_t pgt_oa_of(const struct pgt_geom *g, pgt_pte_t pte)
{
    if (PGT_LIKELY(pgt_simple_oa(g)))
        return pte & (((1ull << 48) - 1) & ~((1ull << g->granule_shift) - 1));
    return pgt_oa_decode(g, pte);
}

/* pgt_make_leaf() with the common formats inline. */
static inline pgt_pte_t pgt_leaf_of(const struct pgt_geom *g, uint64_t pa,
                                    pgt_pte_t attrs, int level)
{
    pgt_pte_t type = level == PGT_LEVEL_MAX ? PGT_PTE_TYPE : 0;

    if (PGT_LIKELY(pgt_simple_oa(g)))
        return (pa & (((1ull << 48) - 1) & ~((1ull << g->granule_shift) - 1))) |
               attrs | type | PGT_PTE_VALID;
    return pgt_make_leaf(g, pa, attrs, level);
}

/* Virtual address of a table page (inline with a linear map). */
static inline pgt_pte_t *pgt_phys_table(const struct pgt *pgt, uint64_t pa)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;

    if (mm->linear)
        return (pgt_pte_t *)(uintptr_t)(pa + mm->linear_offset);
    return (pgt_pte_t *)mm->phys_to_virt(pgt->mm_ctx, pa);
}

static inline pgt_pte_t *pgt_table_va(const struct pgt *pgt, pgt_pte_t pte)
{
    return pgt_phys_table(pgt, pgt_oa_of(&pgt->geom, pte));
}

/* Single-page fast paths: fast.h. */
#define PGT_FAST_FALLBACK 1

/* struct pgt.fast: the stage-2 one-page unmap of s2.c fits this table
 * (fast_is_4k_l1() in fast.h, checked once at init). */
#define PGT_FAST_S2_4K_L1 (1u << 0)

/* Work out pgt->fast and pgt->fc from the table's shape and mm_ops (s2.c);
 * called at init and whenever a table is given other mm_ops. */
void pgt_fast_update(struct pgt *pgt);

/* Reference counting of table pages, batched where the embedder allows. */
void pgt_get_n(const struct pgt *pgt, void *p, int n);
void pgt_put_n(const struct pgt *pgt, void *p, int n);
/* get (@delta > 0) or put (@delta < 0) |@delta| references on @p's page. */
void pgt_ref_delta(const struct pgt *pgt, void *p, int delta);

/* Whether @pte at @level counts towards its table page's refcount. */
static inline bool pgt_counted(const struct pgt *pgt, pgt_pte_t pte, int level)
{
    if (pgt->pte_ops && pgt->pte_ops->pte_is_counted)
        return pte != 0 && pgt->pte_ops->pte_is_counted(pte, level);
    if (!pte)
        return false;
    if ((pgt->flags & PGT_S2_HOST) && pgt_pte_is_leaf(pte, level))
        return false;
    return true;
}

typedef void (*pgt_table_fn)(struct pgt *pgt, pgt_pte_t *table, int level,
                             void *arg);
/* Call @fn on every table page under and including @table (at @level,
 * @nr_entries entries), children before parents. Iterative. */
void pgt_for_each_table_post(struct pgt *pgt, pgt_pte_t *table, int level,
                             uint64_t nr_entries, pgt_table_fn fn, void *arg);

/* Free every table page of @pgt, root included. */
void pgt_destroy_tables(struct pgt *pgt);


/* Drop every reference on a table page (frees it), children first. */
void pgt_free_subtree(struct pgt *pgt, pgt_pte_t *table, int level);

/* Shared operation engine (ops.c). */
enum pgt_op_kind {
    PGT_OP_MAP,   /* install leaves (stage 1 or 2) */
    PGT_OP_CLEAR, /* unmap / set_owner: write @annot (0 or an owner id) */
    PGT_OP_PROT,  /* stage-1 protect: change permissions in place */
};

struct pgt_op {
    struct pgt *pgt;
    enum pgt_op_kind kind;
    uint64_t addr, end;  /* IA range */
    uint64_t phys;       /* MAP: output address of @addr */
    pgt_pte_t attrs;     /* MAP, PROT: leaf attribute bits */
    pgt_pte_t annot;     /* CLEAR: the invalid entry to leave behind */
    bool stage1;         /* MAP: conflict (-EEXIST) instead of replace */
    bool force_pte;      /* MAP: last-level leaves only */
    bool cmo_d, cmo_i;   /* MAP: dcache / icache maintenance per leaf */
    bool free_empty;     /* free tables left with no counted entry */
    void *mc;            /* zalloc_page() argument */
    /* prepared pages, linked through their first word */
    void *pool;
    uint64_t need;
    int64_t bytes;       /* CLEAR: bytes of valid leaves removed */
    bool found;          /* PROT: some valid leaf seen */
};

int pgt_op_run(struct pgt_op *op);

/* Set every field of @op (no struct-literal zeroing: that may become a
 * memset call). */
void pgt_op_init(struct pgt_op *op, struct pgt *pgt, enum pgt_op_kind kind,
                 uint64_t addr, uint64_t size);

/* Copy a geometry field by field (a struct copy may become memcpy). */
static inline void pgt_geom_copy(struct pgt_geom *d, const struct pgt_geom *s)
{
    d->granule_shift = s->granule_shift;
    d->bits_per_level = s->bits_per_level;
    d->ia_bits = s->ia_bits;
    d->oa_bits = s->oa_bits;
    d->start_level = s->start_level;
    d->nr_root_pages = s->nr_root_pages;
    d->lpa2 = s->lpa2;
    d->pad = 0;
}

/* Zero a struct pgt field by field (destroy). */
void pgt_clear(struct pgt *pgt);

/* Prepared pages: allocate op->need pages (all or none), take one (zeroed),
 * give back what is left. */
int pgt_pool_fill(struct pgt_op *op);
pgt_pte_t *pgt_pool_take(struct pgt_op *op);
void pgt_pool_release(struct pgt_op *op);

/* get_page/put_page on the page holding @ptep when @old -> @new changes
 * whether the entry is counted. */
void pgt_adjust_count(struct pgt *pgt, pgt_pte_t *ptep, pgt_pte_t old,
                      pgt_pte_t new, int level);

bool pgt_mm_ops_ok(const struct pgt_mm_ops *mm);
uint64_t pgt_ps_encode(uint32_t oa_bits);
uint64_t pgt_tg0_encode(uint32_t granule_shift);

/* TLB maintenance for one removed or changed leaf. */
static inline void pgt_tlbi_leaf(const struct pgt *pgt, uint64_t addr,
                                 int level)
{
    if (pgt->mm_ops->tlbi_va)
        pgt->mm_ops->tlbi_va(pgt, addr, level);
    else if (pgt->mm_ops->tlbi_all)
        pgt->mm_ops->tlbi_all(pgt);
}

/* TLB maintenance after many leaves in [addr, addr+size) changed. */
void pgt_tlbi_leaves(const struct pgt *pgt, uint64_t addr, uint64_t size,
                     int level);

/*
 * TLB maintenance for a removed table entry covering [addr, addr+size):
 * tlbi_va(addr, PGT_LEVEL_UNKNOWN), and with @wide (valid leaves or
 * nested tables were reachable through it: cached for other addresses
 * than @addr) the whole span too (tlbi_range, else tlbi_all).
 */
void pgt_tlbi_table(const struct pgt *pgt, uint64_t addr, uint64_t size,
                    bool wide);

/* Descriptor store: one single-copy-atomic 64-bit write. */
static inline void pgt_write(pgt_pte_t *ptep, pgt_pte_t v)
{
    __atomic_store_n(ptep, v, __ATOMIC_RELAXED);
}

static inline pgt_pte_t pgt_read(const pgt_pte_t *ptep)
{
    return __atomic_load_n(ptep, __ATOMIC_RELAXED);
}

struct descent {
    pgt_pte_t pte; /* the entry where the descent stopped */
    int level;     /* its level */
    int depth;     /* tables below the root on the way */
};

/*
 * Walk down to the entry translating @addr through the phys_to_virt hook
 * or a non-plain OA format, recording entry pointers and tables on the way
 * when @path/@tbl are given. Out of line (walk.c): the fast paths and
 * pgt_get_leaf() inline only the call-free linear descent.
 */
pgt_pte_t *pgt_descend_hooked(const struct pgt *pgt, uint64_t addr,
                              struct descent *dc, pgt_pte_t **path,
                              pgt_pte_t **tbl);

/*
 * The common descent (a linear map, plain OA bits) for granule shift @gs,
 * a constant at each call site below so the masks and shifts fold.
 */
static inline __attribute__((always_inline)) pgt_pte_t *
descend_linear(const struct pgt *pgt, uint64_t addr, struct descent *dc,
               pgt_pte_t **path, pgt_pte_t **tbl, const uint32_t gs,
               const int start)
{
    const uint32_t bpl = gs - 3;
    const uint64_t mask = (1ull << bpl) - 1;
    const uint64_t oa_mask = ((1ull << 48) - 1) & ~((1ull << gs) - 1);
    uintptr_t lin_off = (uintptr_t)pgt->mm_ops->linear_offset;
    int level = start, d = 0;
    uint32_t shift = gs + bpl * (uint32_t)(3 - level);
    pgt_pte_t *ptep = &pgt->pgd[addr >> shift];
    pgt_pte_t pte = pgt_read(ptep);

    if (path) {
        path[0] = ptep;
        tbl[0] = pgt->pgd;
    }
    while (level < PGT_LEVEL_MAX &&
           (pte & (PGT_PTE_VALID | PGT_PTE_TYPE)) ==
               (PGT_PTE_VALID | PGT_PTE_TYPE)) {
        level++;
        d++;
        shift -= bpl;
        /* The entry's offset (linear offset included) is formed off the
         * dependency chain: one AND and one ADD between dependent loads. */
        uintptr_t off = lin_off + ((addr >> shift) & mask) * sizeof(pgt_pte_t);
        if (path) {
            tbl[d] = (pgt_pte_t *)((uintptr_t)(pte & oa_mask) + lin_off);
            path[d] = (pgt_pte_t *)((uintptr_t)(pte & oa_mask) + off);
        }
        ptep = (pgt_pte_t *)((uintptr_t)(pte & oa_mask) + off);
        pte = pgt_read(ptep);
    }
    dc->pte = pte;
    dc->level = level;
    dc->depth = d;
    return ptep;
}

/*
 * Walk down to the entry translating @addr; record the entry pointers and
 * tables on the way when @path/@tbl are given. The common case (a linear
 * map, plain OA bits) runs inline with no call in the loop.
 */
static inline __attribute__((always_inline)) pgt_pte_t *
descend(const struct pgt *pgt, uint64_t addr,
                                 struct descent *dc, pgt_pte_t **path,
                                 pgt_pte_t **tbl)
{
    const struct pgt_geom *g = &pgt->geom;
    if (PGT_LIKELY(pgt->mm_ops->linear && !g->lpa2)) {
        int sl = g->start_level;
        if (g->granule_shift == PGT_GRANULE_4K) {
            /* The usual stage-2 shape (start level 1) fully unrolled. */
            if (sl == 1)
                return descend_linear(pgt, addr, dc, path, tbl,
                                      PGT_GRANULE_4K, 1);
            return descend_linear(pgt, addr, dc, path, tbl, PGT_GRANULE_4K,
                                  sl);
        }
        if (g->granule_shift == PGT_GRANULE_16K)
            return descend_linear(pgt, addr, dc, path, tbl, PGT_GRANULE_16K,
                                  sl);
        if (g->oa_bits < 52)
            return descend_linear(pgt, addr, dc, path, tbl, PGT_GRANULE_64K,
                                  sl);
    }
    return pgt_descend_hooked(pgt, addr, dc, path, tbl);
}

#endif /* PGT_INTERNAL_H */
