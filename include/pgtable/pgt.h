/* SPDX-License-Identifier: MIT */
/*
 * struct pgt (one translation table: its geometry, root and hooks) and the
 * generic walker every operation is built on.
 */
#ifndef PGTABLE_PGT_H
#define PGTABLE_PGT_H

#include <stdbool.h>
#include <stdint.h>

#include "desc.h"
#include "errno.h"
#include "mm_ops.h"

/* Stage-2 table flags (struct pgt.flags); see s2.h. */
#define PGT_S2_FWB (1u << 0)  /* HCR_EL2.FWB=1: FWB MemAttr encodings, no CMO */
#define PGT_S2_XNX (1u << 1)  /* FEAT_XNX: XN[1:0] split into EL1/EL0 */
#define PGT_S2_HOST (1u << 2) /* host stage 2: identity only, leaves uncounted */
#define PGT_S2_HW_DIRTY (1u << 3) /* FEAT_HAFDBS: writable leaves carry DBM,
                                   * VTCR_EL2.HA/HD set (see s2.h) */
#define PGT_S2_COALESCE (1u << 4) /* fold tables a map leaves uniform back
                                   * into blocks (see s2.h) */
/*
 * Either stage: never set the contiguous hint. By default a map that
 * covers an aligned run of pgt_cont_entries() entries whole (16 pages at
 * 4K, 128 at 16K, 32 at 64K; 16 or 32 blocks at level 2, 16 1 GiB blocks
 * at 4K level 1), with its output addresses aligned to the run, writes
 * the run with the Contiguous bit so the TLB may hold it as one entry; a
 * split folds the runs of the new table. Any later change to part of a
 * run (unmap, protect, wrprotect, relax, set_owner, a map over part of
 * it, a split below it) first unfolds the whole run with
 * break-before-make; whole runs keep the hint through permission changes
 * and unmaps. The access flag is one per run: pgt_s2_mkyoung() and
 * pgt_s2_test_clear_young() act on the whole run of the leaf. One-page
 * maps never set it (the fault path stays one store); PGT_S2_HW_DIRTY
 * tables never do (the dirty state is kept per page). Opt out for an
 * erratum, or for an embedder whose own code changes leaves in place.
 */
#define PGT_NO_CONT (1u << 7)

/* Stage-1 table flags (struct pgt.flags, pgt_s1_init()); see s1.h. */
#define PGT_S1_LPA2 PGT_GEOM_LPA2 /* FEAT_LPA2 (TCR.DS = 1), 4K/16K */
#define PGT_S1_UPPER (1u << 4)    /* EL1&0, EL2&0: the upper VA range (TTBR1) */
#define PGT_S1_ASID16 (1u << 5)   /* EL1&0, EL2&0: 16-bit ASIDs (TCR.AS = 1) */
#define PGT_S1_ALLOW_WX (1u << 6) /* writable-and-executable leaves allowed */

/**
 * struct pgt_internal - library-internal state of a table, worked out at
 * init (and again when hyp_pgt_fix_refcounts() gives the table other
 * mm_ops) from its geometry, flags and mm_ops. Embedders must neither
 * read nor write it; its layout may change in any release.
 */
struct pgt_internal {
    uint8_t shape;        /* which instance of the one-page paths */
    uint8_t counting;     /* which entries hold a reference on their table */
    uint8_t count_width;  /* count array: 2 or 4 bytes per count, 0: none */
    uint8_t count_rshift; /* count array: granule shift - log2 of its stride */
    uint8_t flags;        /* PGT_INTERNAL_* */
    uint8_t cmo;          /* stage 2: the cache maintenance hooks that apply */
    uint32_t count_span;  /* count array: counts change in place within
                           * [1, 1 + count_span] (the width's limit);
                           * 0: they do not */
    uint64_t s2_end;      /* a live stage-2 table: 2^ia_bits, else 0 */
    uint64_t s2_page;     /* a live stage-2 table: its granule size, else 0 */
    uint64_t s2_phys_bad; /* a live stage-2 table: the PA bits a page must
                           * not have (below the granule, or at or above
                           * 2^oa_bits), else ~0 */
    pgt_pte_t dbm;        /* stage 2: DBM with write permission, or 0 */
    uint8_t cont[5];      /* per level + 1: log2 of the entries one
                           * contiguous run joins, 0: no hint there */
    uintptr_t entry_offset; /* linear map: the VA of the table a table
                             * entry links is the entry + entry_offset */
    uintptr_t count_base; /* count of the table page at VA v: at
                           * count_base + (v >> count_rshift) */
    uint64_t va_base;     /* the input address of the table's first entry
                           * (upper VA range: 2^64 - 2^ia_bits, else 0);
                           * the core works on offsets from it */
    uint64_t ia_size;     /* 2^ia_bits: offsets from va_base stay below */
    pgt_pte_t rwx_attrs[8]; /* stage 2: the leaf attributes of normal
                             * memory for each R/W/X permission set */
    uint8_t rwx_cmo[8];     /* stage 2: the cache maintenance a map of normal
                             * memory with that set needs (PGT_CMO_*) */
    /* The one-page paths' instances for this table, called directly by
     * pgt_get_leaf(), pgt_s2_map() / pgt_hyp_map() and pgt_s2_unmap(). */
    int (*get_leaf)(const struct pgt *pgt, uint64_t addr, pgt_pte_t *ptep,
                    int *level); /* the lookup */
    int (*map)(struct pgt *pgt, uint64_t addr, uint64_t phys, pgt_pte_t attrs,
               void *mc, unsigned int cmo); /* one page mapped */
    int (*unmap)(struct pgt *pgt, uint64_t addr, uint64_t size,
                 void *mc); /* stage 2: pgt_s2_unmap() of an address
                             * in range; one aligned page here, any
                             * other size or address through the
                             * general path */
    /* mm_ops' hooks the one-page unmap calls, one load away */
    void (*tlbi_va)(const struct pgt *pgt, uint64_t addr,
                    int level);                 /* mm_ops.tlbi_va */
    void (*put_page)(void *ctx, void *addr);   /* mm_ops.put_page */
    void (*put_page_n)(void *ctx, void *addr,
                       int n);                  /* mm_ops.put_page_n */
    /* Two caches for the one-page paths, which lookups read and the
     * calls that change the table refill, whether they succeed or not.
     * Without a linear map, the phys_to_virt cache: by level, the last
     * table such a call reached or linked there, and its phys_to_virt
     * (PA ~0: none). */
    uint64_t p2v_pa[PGT_LEVEL_MAX + 1];   /* the table's PA */
    pgt_pte_t *p2v_va[PGT_LEVEL_MAX + 1]; /* phys_to_virt of it */
    /* The walk cache, used by the shapes that start above level 2: the
     * last level-2 table (entries at level 2) such a call reached or
     * linked, and the input range it translates, so that a call there
     * starts at it. Dropped whenever a table at level 2 or above is
     * unlinked (pgt_walk() too, when a visitor changes a table entry
     * above level 2). */
    uint64_t walk_tag;   /* its range: offset >> the level-1 shift, ~0: none */
    pgt_pte_t *walk_tbl; /* the table */
};

/* struct pgt_internal.flags. Tests only: every operation through the
 * general engine (no one-page paths), to compare the two. */
#define PGT_INTERNAL_ENGINE_ONLY (1u << 0)
#define PGT_INTERNAL_SHAPE_ENGINE 12 /* the shape that goes with it */

/**
 * pgt_internal_set_engine_only() - tests only: from now on every operation
 * on @pgt goes through the general engine, without the one-page paths
 * (kept when the table is given other mm_ops).
 * @pgt: a live table.
 */
void pgt_internal_set_engine_only(struct pgt *pgt);
#define PGT_INTERNAL_SET_ENGINE_ONLY(pgt) pgt_internal_set_engine_only(pgt)

/**
 * struct pgt - one translation table. Fields are read-only for the
 * embedder except @priv. Created by pgt_s1_init()/pgt_hyp_init() or
 * pgt_s2_init*(); freed by pgt_s1_destroy()/pgt_hyp_destroy() or
 * pgt_s2_destroy(). One struct per table, used in place: the library
 * keeps what it last walked in @internal, so a change made through a copy
 * of the struct leaves the original's walk cache naming a table the
 * change may have freed.
 */
struct pgt {
    pgt_pte_t *pgd;         /* root table (all root pages), virtual address */
    uint64_t pgd_phys;      /* its physical address */
    struct pgt_geom geom;   /* granule, IA/OA size, start level, root pages */
    enum pgt_regime regime; /* PGT_REGIME_* */
    uint32_t flags;         /* PGT_S2_* for stage 2, PGT_S1_* for stage 1 */
    const struct pgt_mm_ops *mm_ops; /* the embedder's hooks */
    void *mm_ctx;           /* first argument of the mm_ops hooks */
    const struct pgt_pte_ops *pte_ops; /* stage 2 only; may be NULL */
    void *priv;             /* the embedder's, e.g. VMID for the TLB hooks */
    struct pgt_internal internal; /* the library's: do not touch */
};

/* Walker visit kinds, also used as the walker's flags. */
enum pgt_walk_flags {
    PGT_WALK_LEAF = 1u << 0,       /* every non-table entry in range */
    PGT_WALK_TABLE_PRE = 1u << 1,  /* a table entry, before its children */
    PGT_WALK_TABLE_POST = 1u << 2, /* a table entry, after its children */
};

/**
 * struct pgt_visit_ctx - what a visitor sees.
 */
struct pgt_visit_ctx {
    struct pgt *pgt; /* the table walked */
    pgt_pte_t *ptep; /* the entry (writable) */
    pgt_pte_t old;   /* its value when the visit started (for TABLE_POST:
                      * after the children were visited) */
    uint64_t addr;   /* walk position: first address in range under ptep
                      * (the walk's start for the first entry of each
                      * level, else the entry's first address) */
    uint64_t end;    /* end of the whole walk (exclusive; 0 for a walk
                      * that reaches the top of the upper VA range) */
    int level;       /* level of ptep */
    void *arg;       /* pgt_walker.arg */
};

/*
 * A visitor: called with the entry and the kind of visit; a non-zero
 * return stops the walk, which returns that value.
 */
typedef int (*pgt_visitor_fn)(const struct pgt_visit_ctx *ctx,
                              enum pgt_walk_flags visit);

/**
 * struct pgt_walker - what pgt_walk() calls, and for which visits.
 */
struct pgt_walker {
    pgt_visitor_fn cb; /* the visitor */
    void *arg;         /* pgt_visit_ctx.arg of every visit */
    uint32_t flags; /* which visits to make: OR of enum pgt_walk_flags */
};

/**
 * pgt_walk() - visit every entry covering [@addr, @addr + @size).
 * @pgt:    the table
 * @addr:   start, aligned to the granule
 * @size:   length, a multiple of the granule, > 0
 * @walker: callback, its argument and the visits wanted
 *
 * Entries are visited in address order, depth first. A table entry gets a
 * TABLE_PRE visit before its children and a TABLE_POST visit after; every
 * other entry (valid leaf or invalid) a LEAF visit. After a TABLE_PRE or
 * LEAF visit the entry is read again: if the visitor turned a leaf into a
 * table, the walk descends into it; if it removed a table, the walk does
 * not descend and makes no TABLE_POST visit. A visitor may change the
 * entry it visits and no other one (the walk forgets the table the
 * one-page calls keep, struct pgt.internal.walk_tbl, when a visit changes
 * a table entry above level 2). The walk is iterative (no
 * recursion) and does not allocate. Addresses, here and in the visits,
 * are input addresses as the hardware sees them: for an upper-range
 * stage-1 table, VAs from pgt_ia_start() up.
 *
 * Return: 0; the first non-zero value a visitor returned (the walk stops
 * there); -PGT_EINVAL for NULL @pgt, @walker or callback, a destroyed
 * table, or an unaligned or empty range; -PGT_ERANGE for a range beyond
 * the table's input-address size.
 */
int pgt_walk(struct pgt *pgt, uint64_t addr, uint64_t size,
             const struct pgt_walker *walker);

/**
 * pgt_get_leaf() - the entry that translates @addr.
 * @pgt:   the table
 * @addr:  input address (any alignment); for an upper-range stage-1
 *         table, the full VA (from pgt_ia_start())
 * @ptep:  out (may be NULL): the leaf, or the invalid entry where the walk
 *         stopped (0, or an owner annotation)
 * @level: out (may be NULL): the level of that entry
 *
 * Does not allocate, change, or call any hook but phys_to_virt.
 *
 * Return: 0 (also for an unmapped address: *ptep is then invalid);
 * -PGT_EINVAL for NULL @pgt or a destroyed table; -PGT_ERANGE for @addr
 * outside the table's input range.
 */
int pgt_get_leaf(const struct pgt *pgt, uint64_t addr, pgt_pte_t *ptep,
                 int *level);

/**
 * pgt_translate() - the output address and permissions of @addr
 * (convenience on top of pgt_get_leaf()).
 * @pgt:  the table
 * @addr: input address (any alignment)
 * @pa:   out (may be NULL): the output address of @addr
 * @prot: out (may be NULL): the leaf's permissions (pgt_leaf_prot())
 *
 * Return: 0 with *@pa and *@prot set; -PGT_ENOENT if @addr is not mapped
 * by a valid leaf; errors as pgt_get_leaf().
 */
int pgt_translate(const struct pgt *pgt, uint64_t addr, uint64_t *pa,
                  enum pgt_prot *prot);

/**
 * pgt_ttbr_baddr() - the root's physical address as TTBRn_ELx.BADDR /
 * VTTBR_EL2.BADDR hold it.
 * @pgt: the table
 *
 * Return: the BADDR field (OA[51:48] in bits [5:2] when the root is above
 * 48 bits), no ASID/VMID; 0 for a NULL or destroyed @pgt.
 */
uint64_t pgt_ttbr_baddr(const struct pgt *pgt);

/**
 * pgt_ia_start() - the lowest input address @pgt translates.
 * @pgt: the table
 *
 * A table translates pgt_ia_start() .. pgt_ia_start() + 2^ia_bits - 1:
 * from 0, or for an upper-range stage-1 table (PGT_S1_UPPER) from
 * 2^64 - 2^ia_bits (0xffff000000000000 for 48 bits) to 2^64 - 1.
 *
 * Return: that address; 0 for a NULL or destroyed @pgt.
 */
uint64_t pgt_ia_start(const struct pgt *pgt);

/**
 * pgt_count_table_pages() - table pages in use, root pages included (walks
 * the table).
 * @pgt: the table
 *
 * Return: the number of pages; 0 for a NULL or destroyed @pgt.
 */
uint64_t pgt_count_table_pages(const struct pgt *pgt);

#endif /* PGTABLE_PGT_H */
