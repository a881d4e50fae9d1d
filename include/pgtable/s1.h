/* SPDX-License-Identifier: MIT */
/*
 * Stage-1 tables: the EL2 (nVHE hyp) regime, like kvm_pgtable_hyp_*, and
 * the EL1&0 regime's lower VA range.
 */
#ifndef PGTABLE_S1_H
#define PGTABLE_S1_H

#include "pgt.h"

/**
 * pgt_s1_init() - create an empty stage-1 table.
 * @pgt:      table to initialise (untouched on error)
 * @regime:   PGT_REGIME_EL2 or PGT_REGIME_EL10
 * @va_bits:  VA size (T0SZ = 64 - va_bits), 25..48, 52 with LPA2/64K
 * @granule:  translation granule
 * @oa_bits:  PA size the table may map (32..52, a PS encoding)
 * @geom_flags: PGT_GEOM_LPA2 or 0
 * @mm_ops:   hooks; zalloc_page(mm_ctx, NULL) gives the root
 * @mm_ctx:   first argument of every mm_ops hook (the embedder's, may be
 *            NULL)
 *
 * Return: 0; -PGT_EINVAL for NULL @pgt, missing required hooks, a regime
 * other than EL2/EL1&0, unknown @geom_flags or a geometry
 * pgt_geom_init() refuses; -PGT_ENOMEM when no root page could be had.
 */
int pgt_s1_init(struct pgt *pgt, enum pgt_regime regime, uint32_t va_bits,
                enum pgt_granule granule, uint32_t oa_bits,
                uint32_t geom_flags, const struct pgt_mm_ops *mm_ops,
                void *mm_ctx);

/**
 * pgt_hyp_init() - create an empty EL2 (nVHE hyp) stage-1 table with a
 * 48-bit PA size: pgt_s1_init(@pgt, PGT_REGIME_EL2, @va_bits, @granule,
 * 48, 0, @mm_ops, @mm_ctx).
 * @pgt:     table to initialise (untouched on error)
 * @va_bits: VA size, 25..48
 * @granule: translation granule
 * @mm_ops:  hooks; zalloc_page(mm_ctx, NULL) gives the root
 * @mm_ctx:  first argument of every mm_ops hook (the embedder's, may be
 *           NULL)
 *
 * Return: as pgt_s1_init().
 */
int pgt_hyp_init(struct pgt *pgt, uint32_t va_bits, enum pgt_granule granule,
                 const struct pgt_mm_ops *mm_ops, void *mm_ctx);

/**
 * pgt_hyp_map() - map [@addr, @addr + @size) to @phys.
 * @pgt:  a stage-1 table
 * @addr: first VA, granule aligned
 * @size: bytes, granule aligned, > 0
 * @phys: first PA, granule aligned
 * @prot: see enum pgt_prot (stage-1 rules)
 *
 * Uses the largest block that the alignment of @addr, @phys and the
 * remaining size allow. Mapping over an existing identical leaf is
 * accepted (nothing changes); over a valid leaf with a different output or
 * attributes returns -PGT_EEXIST. All-or-nothing: conflicts are found and
 * the table pages needed are allocated before any entry is written, so on
 * any error the table is unchanged and no page is kept. New entries
 * replace only invalid ones, so no TLB maintenance is needed.
 *
 * Return: 0; -PGT_EINVAL (NULL, not a live stage-1 table, alignment,
 * size 0, prot); -PGT_ERANGE (beyond the VA or PA size); -PGT_EEXIST;
 * -PGT_ENOMEM.
 */
int pgt_hyp_map(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
                enum pgt_prot prot);

/**
 * pgt_s1_map_cost() - the table pages pgt_hyp_map() with these arguments
 * would allocate now.
 * @pgt:  as for pgt_hyp_map()
 * @addr: as for pgt_hyp_map()
 * @size: as for pgt_hyp_map()
 * @phys: as for pgt_hyp_map()
 * @prot: as for pgt_hyp_map()
 *
 * Reads the table only.
 *
 * Return: the number of pages (>= 0); or the error pgt_hyp_map() would
 * return (-PGT_EINVAL, -PGT_ERANGE, -PGT_EEXIST).
 */
int64_t pgt_s1_map_cost(const struct pgt *pgt, uint64_t addr, uint64_t size,
                        uint64_t phys, enum pgt_prot prot);

/**
 * pgt_hyp_unmap() - remove every leaf in [@addr, @addr + @size).
 * @pgt:  a stage-1 table
 * @addr: first VA, granule aligned
 * @size: bytes, granule aligned, > 0
 *
 * A block only partly inside the range is split first (this may allocate;
 * on -PGT_ENOMEM nothing has been unmapped). Each removed leaf is
 * invalidated (tlbi_va at its level); tables left with no counted entry
 * are unlinked, invalidated (PGT_LEVEL_UNKNOWN) and freed.
 *
 * Return: bytes unmapped (>= 0); -PGT_EINVAL (NULL, not a live stage-1
 * table, alignment, size 0); -PGT_ERANGE (beyond the VA size);
 * -PGT_ENOMEM.
 */
int64_t pgt_hyp_unmap(struct pgt *pgt, uint64_t addr, uint64_t size);

/**
 * pgt_hyp_coalesce() - fold the tables in [@addr, @addr + @size) back into
 * blocks where their entries allow, as pgt_s2_coalesce() does.
 * @pgt:  the table
 * @addr: first VA, granule aligned
 * @size: bytes, a multiple of the granule, > 0
 *
 * Return: 0; -PGT_EINVAL; -PGT_ERANGE.
 */
int pgt_hyp_coalesce(struct pgt *pgt, uint64_t addr, uint64_t size);

/**
 * pgt_hyp_protect() - change the permissions of the mapped leaves in
 * [@addr, @addr + @size) to @prot.
 * @pgt:  a stage-1 table
 * @addr: first VA, granule aligned
 * @size: bytes, granule aligned, > 0
 * @prot: the new permissions (stage-1 rules of enum pgt_prot)
 *
 * R/W/X, USER and the software bits SW0..SW3 are all replaced by
 * @prot's; the memory type (DEVICE, NORMAL_NC or normal) must stay the
 * same, else -PGT_EINVAL and nothing changes. Done in place (permission
 * changes need no break-before-make) followed by TLB invalidation. Blocks
 * partly inside the range are split first (all-or-nothing on
 * -PGT_ENOMEM).
 *
 * Return: 0; -PGT_EINVAL (NULL, not a live stage-1 table, alignment,
 * size 0, prot, a memory type change); -PGT_ERANGE (beyond the VA size);
 * -PGT_ENOENT if nothing is mapped in the range; -PGT_ENOMEM.
 */
int pgt_hyp_protect(struct pgt *pgt, uint64_t addr, uint64_t size,
                    enum pgt_prot prot);

/**
 * pgt_hyp_destroy() - free every table page, root included (put_page). No
 * TLB maintenance: the table must no longer be live. @pgt is zeroed;
 * nothing happens for a NULL or destroyed table.
 * @pgt: a stage-1 table
 */
void pgt_hyp_destroy(struct pgt *pgt);

/**
 * pgt_s1_tcr() - the translation control register value for this table.
 * @pgt: a stage-1 table
 *
 * Return: TCR_EL2 (nVHE layout: RES1 bits 31 and 23 set): T0SZ,
 * inner/outer WBWA, inner shareable, TG0, PS, and DS=1 for LPA2. For the
 * EL1&0 regime, the TTBR0 half of TCR_EL1 (IPS, EPD1=1 and a TG1 matching
 * the granule included). 0 for a NULL or destroyed @pgt.
 */
uint64_t pgt_s1_tcr(const struct pgt *pgt);

#endif /* PGTABLE_S1_H */
