/* SPDX-License-Identifier: MIT */
/*
 * Stage-2 tables, like kvm_pgtable_stage2_*. Operations that may allocate
 * take @mc, passed unchanged to mm_ops->zalloc_page() (a memcache).
 *
 * TLB maintenance: every removed or replaced valid leaf is invalidated with
 * tlbi_va(addr, level) (or tlbi_range for large ranges); every removed table
 * with tlbi_va(addr, PGT_LEVEL_UNKNOWN). A valid entry is never replaced by
 * a different valid one without break-before-make (write invalid, TLBI,
 * write new) except for the changes the architecture allows in place:
 * permission relaxation/restriction and the access flag.
 *
 * Granularity: map, unmap, set_owner and protect change exactly their
 * range: a block only partly inside it is split first (the rest of it
 * stays mapped as smaller leaves), even when it already maps the range as
 * asked. relax_perms, mkyoung, wrprotect and test_clear_young act on whole
 * leaves: a block touching the address or range changes as a whole.
 * split splits every block touching its range, whole.
 *
 * Arguments are checked before anything changes: every operation that
 * returns an error leaves the table exactly as it was. Callers serialise
 * the operations on one table (the embedder's lock); lookups
 * (pgt_get_leaf(), pgt_translate()) may run beside one another, but not
 * beside a call that changes the table.
 */
#ifndef PGTABLE_S2_H
#define PGTABLE_S2_H

#include "pgt.h"

/* Flags for pgt_s2_map(). */
#define PGT_MAP_SKIP_DCACHE (1u << 0) /* no dcache_clean_inval_poc */
#define PGT_MAP_SKIP_ICACHE (1u << 1) /* no icache_inval_pou for X */

/* VTCR_EL2 fields (D19.2 VTCR_EL2). */
#define PGT_VTCR_T0SZ_SHIFT 0
#define PGT_VTCR_SL0_SHIFT 6
#define PGT_VTCR_IRGN0_SHIFT 8
#define PGT_VTCR_ORGN0_SHIFT 10
#define PGT_VTCR_SH0_SHIFT 12
#define PGT_VTCR_TG0_SHIFT 14 /* 0: 4K, 1: 64K, 2: 16K */
#define PGT_VTCR_PS_SHIFT 16  /* 0:32 1:36 2:40 3:42 4:44 5:48 6:52 bits */
#define PGT_VTCR_HA (1ull << 21) /* hardware access flag update */
#define PGT_VTCR_HD (1ull << 22) /* hardware dirty state (DBM) update */
#define PGT_VTCR_DS (1ull << 32)
#define PGT_VTCR_SL2 (1ull << 33)
#define PGT_VTCR_RES1 (1ull << 31)

/**
 * struct pgt_s2_cfg - explicit geometry for pgt_s2_init().
 */
struct pgt_s2_cfg {
    enum pgt_granule granule; /* translation granule */
    uint32_t ia_bits;    /* IPA size */
    uint32_t oa_bits;    /* PA size (VTCR.PS) */
    int start_level;     /* PGT_LEVEL_AUTO: lowest root-page count rule
                          * (the highest level with at most 16 pages) */
    uint32_t geom_flags; /* PGT_GEOM_LPA2 (PGT_GEOM_CONCAT is implied) */
    uint32_t flags;      /* PGT_S2_FWB, PGT_S2_XNX, PGT_S2_HOST,
                          * PGT_S2_HW_DIRTY, PGT_S2_COALESCE, PGT_NO_CONT
                          * (pgt.h) */
};

/**
 * pgt_s2_init() - create an empty stage-2 table.
 * @pgt:     table to fill (untouched on error)
 * @cfg:     geometry and flags
 * @mm_ops:  hooks (mm_ops.h)
 * @mm_ctx:  first argument of every mm_ops hook (the embedder's, may be
 *           NULL)
 * @pte_ops: policy callbacks, or NULL
 *
 * The root is one page (zalloc_page(mm_ctx, NULL)) or 2..16 concatenated
 * pages (zalloc_pages_exact).
 *
 * Return: 0; -PGT_EINVAL for a NULL argument, missing required hooks, an
 * illegal geometry or flags; -PGT_ENOMEM.
 */
int pgt_s2_init(struct pgt *pgt, const struct pgt_s2_cfg *cfg,
                const struct pgt_mm_ops *mm_ops, void *mm_ctx,
                const struct pgt_pte_ops *pte_ops);

/**
 * pgt_s2_init_vtcr() - create an empty stage-2 table from a VTCR_EL2 value.
 * @pgt:     table to fill (untouched on error)
 * @vtcr:    T0SZ gives the IPA size, TG0 the granule, SL0 (and SL2 with
 *           DS) the start level, PS the OA size, DS the LPA2 format
 * @flags:   PGT_S2_FWB, PGT_S2_XNX, PGT_S2_HOST, PGT_S2_HW_DIRTY,
 *           PGT_S2_COALESCE, PGT_NO_CONT
 * @mm_ops:  hooks (mm_ops.h)
 * @mm_ctx:  first argument of every mm_ops hook (may be NULL)
 * @pte_ops: policy callbacks, or NULL
 *
 * Return: 0; -PGT_EINVAL for a reserved or illegal encoding, bad flags,
 * a NULL argument or missing hooks; -PGT_ENOMEM.
 */
int pgt_s2_init_vtcr(struct pgt *pgt, uint64_t vtcr, uint32_t flags,
                     const struct pgt_mm_ops *mm_ops, void *mm_ctx,
                     const struct pgt_pte_ops *pte_ops);

/**
 * pgt_s2_vtcr() - the VTCR_EL2 value for a stage-2 table.
 * @pgt: the table
 *
 * Return: T0SZ, SL0/SL2, inner/outer WBWA, inner shareable (SH0 kept with
 * DS=1), TG0, PS, DS; RES1 bit 31. 0 for a NULL or destroyed @pgt.
 */
uint64_t pgt_s2_vtcr(const struct pgt *pgt);

/**
 * pgt_s2_map() - map [@addr, @addr + @size) to @phys with @prot.
 * @pgt:   the table
 * @addr:  first IPA, granule aligned
 * @size:  bytes, a multiple of the granule, > 0
 * @phys:  output address of @addr, granule aligned
 * @prot:  permissions and memory type (enum pgt_prot, stage-2 rules)
 * @mc:    memcache: passed to zalloc_page() for every table page
 * @flags: PGT_MAP_SKIP_* (cache maintenance)
 *
 * Blocks wherever alignment allows (unless pte_ops->force_pte says no).
 * Existing entries in the range are replaced: valid leaves and owner
 * annotations with break-before-make, tables in the way of a block are
 * unlinked and freed; a block only partly covered is split so the rest of
 * it stays mapped, even one that already maps the part as asked (so the
 * part can get its own permissions later). An identical leaf exactly
 * covering its part is left alone. With PGT_S2_HOST, @phys must equal
 * @addr (identity). Cache maintenance (mm_ops.h) covers the leaves that
 * change, before they become valid.
 * All-or-nothing: the pages needed are allocated before any entry is
 * written; on -PGT_ENOMEM the table is unchanged.
 *
 * Return: 0; -PGT_EINVAL (NULL or not a stage-2 table, alignment, size 0,
 * @prot, @flags, non-identity host map; with PGT_DEBUG_CHECKS also a
 * table page from zalloc_page() not aligned to the granule); -PGT_ERANGE
 * (beyond the IPA or PA size); -PGT_ENOMEM.
 */
int pgt_s2_map(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
               enum pgt_prot prot, void *mc, uint32_t flags);

/**
 * pgt_s2_map_cost() - the table pages pgt_s2_map() with these arguments
 * would allocate now.
 * @pgt:   as for pgt_s2_map()
 * @addr:  as for pgt_s2_map()
 * @size:  as for pgt_s2_map()
 * @phys:  as for pgt_s2_map()
 * @prot:  as for pgt_s2_map()
 * @flags: as for pgt_s2_map()
 *
 * Reads the table only. A fault handler tops up its memcache with this
 * many pages: the map that follows (the table unchanged meanwhile, the
 * memcache handing out at least that many) cannot fail for memory.
 *
 * Return: the number of pages (>= 0); or the error pgt_s2_map() would
 * return for these arguments (-PGT_EINVAL, -PGT_ERANGE).
 */
int64_t pgt_s2_map_cost(const struct pgt *pgt, uint64_t addr, uint64_t size,
                        uint64_t phys, enum pgt_prot prot, uint32_t flags);

/**
 * pgt_s2_unmap() - remove every leaf and owner annotation in
 * [@addr, @addr + @size).
 * @pgt:  the table
 * @addr: first IPA, granule aligned
 * @size: bytes, a multiple of the granule, > 0
 * @mc:   memcache for the tables a straddling block needs when split
 *
 * Blocks that straddle the range's ends are split; tables left without a
 * counted entry are unlinked, invalidated and freed (with PGT_S2_HOST,
 * with whatever uncounted leaves they still hold: the host re-faults
 * them).
 *
 * Return: 0; -PGT_EINVAL; -PGT_ERANGE; -PGT_ENOMEM (only when a straddling
 * block must be split; nothing changed then).
 */
int pgt_s2_unmap(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc);

/**
 * pgt_s2_set_owner() - annotate [@addr, @addr + @size) as owned by
 * @owner_id.
 * @pgt:      the table
 * @addr:     first IPA, granule aligned
 * @size:     bytes, a multiple of the granule, > 0
 * @mc:       memcache for new tables
 * @owner_id: 0..PGT_MAX_OWNER_ID
 *
 * Every entry becomes the invalid owner annotation, as blocks where they
 * fit and at page granularity where a block straddles the range (it is
 * split). Owner 0 removes annotations (and with them, any mapping).
 * Valid leaves are removed with break-before-make.
 *
 * Return: 0; -PGT_EINVAL (id > PGT_MAX_OWNER_ID, alignment); -PGT_ERANGE;
 * -PGT_ENOMEM (table unchanged).
 */
int pgt_s2_set_owner(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc,
                     uint32_t owner_id);

/**
 * pgt_s2_relax_perms() - add permissions to the leaf translating @addr.
 * @pgt:  the table
 * @addr: any IPA inside the leaf (a whole block changes)
 * @prot: R/W/X to add; with PGT_S2_XNX, X|PXN adds EL0 execute, X|UXN EL1
 *        execute, X both
 *
 * The leaf changes in place, then tlbi_va at its level (nothing when it
 * already allows it all). A leaf with the contiguous hint first has its
 * run unfolded (break-before-make of the run, invalidated), so only that
 * leaf gains the permissions.
 *
 * Return: 0; -PGT_ENOENT (no valid leaf); -PGT_ERANGE (@addr beyond the
 * IPA size); -PGT_EINVAL (NULL or not a stage-2 table, @prot holds other
 * than R/W/X/PXN/UXN, PXN/UXN without X or PGT_S2_XNX, or X with a device
 * mapping).
 */
int pgt_s2_relax_perms(struct pgt *pgt, uint64_t addr, enum pgt_prot prot);

/**
 * pgt_s2_wrprotect() - clear write permission on every valid leaf touching
 * [@addr, @addr + @size).
 * @pgt:  the table
 * @addr: first IPA, granule aligned
 * @size: bytes, a multiple of the granule, > 0
 *
 * In place (whole leaves), then the changed leaves are invalidated: one
 * tlbi_range over their span when the embedder has it, else tlbi_va per
 * leaf up to mm_ops.tlbi_all_threshold leaves and one tlbi_all past it.
 *
 * Return: 0; -PGT_EINVAL; -PGT_ERANGE.
 */
int pgt_s2_wrprotect(struct pgt *pgt, uint64_t addr, uint64_t size);

/**
 * pgt_s2_protect() - set the permissions of every valid leaf in
 * [@addr, @addr + @size) to @prot's.
 * @pgt:  the table
 * @addr: first IPA, granule aligned
 * @size: bytes, a multiple of the granule, > 0
 * @prot: R/W/X (PXN/UXN with PGT_S2_XNX), and the memory type the leaves
 *        already have (DEVICE, NORMAL_NC or neither)
 *
 * The permission bits (S2AP, XN) are replaced; memory type, access flag
 * and software bits stay. In place (a block partly in the range is split
 * first, so only the range changes), then the changed leaves are
 * invalidated as wrprotect does. All-or-nothing.
 *
 * Return: 0; -PGT_EINVAL (alignment, @prot, or a leaf of another memory
 * type: nothing changed); -PGT_ERANGE; -PGT_ENOENT (nothing mapped in the
 * range); -PGT_ENOMEM.
 */
int pgt_s2_protect(struct pgt *pgt, uint64_t addr, uint64_t size,
                   enum pgt_prot prot);

/**
 * pgt_s2_mkyoung() - set the access flag of the leaf translating @addr.
 * @pgt:  the table
 * @addr: any IPA inside the leaf
 *
 * No TLB maintenance is needed for the access flag. A leaf with the
 * contiguous hint gets it on its whole run (the TLB holds the run as one
 * entry).
 *
 * Return: 0; -PGT_ENOENT (no valid leaf); -PGT_ERANGE (@addr beyond the
 * IPA size); -PGT_EINVAL (NULL or not a stage-2 table).
 */
int pgt_s2_mkyoung(struct pgt *pgt, uint64_t addr);

/**
 * pgt_s2_test_clear_young() - whether any valid leaf touching
 * [@addr, @addr + @size) has its access flag set.
 * @pgt:   the table
 * @addr:  first IPA, granule aligned
 * @size:  bytes, a multiple of the granule, > 0
 * @mkold: also clear the access flags (no TLB maintenance, as KVM)
 *
 * A leaf with the contiguous hint counts with its whole run, as a block
 * does: its run is young or old as one.
 *
 * Return: 1 young, 0 not; -PGT_EINVAL; -PGT_ERANGE.
 */
int pgt_s2_test_clear_young(struct pgt *pgt, uint64_t addr, uint64_t size,
                            bool mkold);

/* pgt_s2_test_clear_dirty() reports a dirty leaf covering [@addr,
 * @addr + @size) to @arg's owner. */
typedef void (*pgt_dirty_fn)(void *arg, uint64_t addr, uint64_t size);

/**
 * pgt_s2_test_clear_dirty() - report and re-arm the leaves the hardware
 * made dirty in [@addr, @addr + @size) (FEAT_HAFDBS).
 * @pgt:  a table created with PGT_S2_HW_DIRTY (VTCR_EL2.HD set)
 * @addr: first IPA, granule aligned
 * @size: bytes, a multiple of the granule, > 0
 * @fn:   called once per dirty leaf with its whole span (a block reports
 *        its block), in address order
 * @arg:  @fn's first argument
 *
 * Dirty logging the hardware way: on such a table a writable leaf also
 * carries DBM. pgt_s2_wrprotect() makes it writable-clean (S2AP[1]
 * cleared, DBM kept); the first guest write makes the hardware set
 * S2AP[1] again, with no fault. This call reports every leaf touching the
 * range that is writable with DBM (dirty), clears its S2AP[1] again with
 * an atomic update (the hardware may be updating the same entry), then
 * invalidates them as wrprotect does, before it returns: a write after
 * the return dirties the leaf anew. Dirty logging the software way needs
 * no flag: pgt_s2_wrprotect(), then the fault handler's
 * pgt_s2_relax_perms(W) of the one page, which it records.
 *
 * Return: the number of dirty leaves reported (>= 0); -PGT_EINVAL (NULL
 * @fn, a table without PGT_S2_HW_DIRTY, alignment); -PGT_ERANGE.
 */
int64_t pgt_s2_test_clear_dirty(struct pgt *pgt, uint64_t addr, uint64_t size,
                                pgt_dirty_fn fn, void *arg);

/**
 * pgt_s2_coalesce() - fold the tables in [@addr, @addr + @size) back into
 * blocks where their entries allow.
 * @pgt:  the table
 * @addr: first IPA, granule aligned
 * @size: bytes, a multiple of the granule, > 0
 *
 * A table whose entries are one run of leaves identical but for the
 * output address (contiguous, the first aligned to the block) is
 * replaced by the block at the level above, where the granule allows a
 * block there; one whose entries all carry one owner annotation by that
 * annotation. Bottom up, so a fold can make the table above foldable.
 * Each with break-before-make: the table entry removed, the span
 * invalidated, the table freed, the block written. Translations do not
 * change. Tables created with PGT_S2_COALESCE fold what a map leaves
 * uniform by themselves.
 *
 * Return: 0; -PGT_EINVAL; -PGT_ERANGE.
 */
int pgt_s2_coalesce(struct pgt *pgt, uint64_t addr, uint64_t size);

/**
 * pgt_s2_split() - split every block leaf touching [@addr, @addr + @size)
 * down to page (last-level) leaves with the same attributes and output.
 * @pgt:  the table
 * @addr: first IPA, granule aligned
 * @size: bytes, a multiple of the granule, > 0
 * @mc:   memcache for the new tables
 *
 * Each block is replaced by its complete subtree, built before it is
 * linked, with one break-before-make.
 *
 * Return: 0; -PGT_EINVAL; -PGT_ERANGE; -PGT_ENOMEM (table unchanged).
 */
int pgt_s2_split(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc);

/**
 * pgt_s2_destroy() - free every table page, root included. No TLB
 * maintenance: the table must no longer be live. @pgt is zeroed; nothing
 * happens for a NULL or destroyed table.
 * @pgt: a stage-2 table
 */
void pgt_s2_destroy(struct pgt *pgt);

#endif /* PGTABLE_S2_H */
