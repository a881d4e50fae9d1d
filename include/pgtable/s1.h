/* SPDX-License-Identifier: MIT */
/*
 * Stage-1 tables for every regime code below an OS runs in:
 *
 *   regime            tables                      VA ranges   EL0  ASIDs
 *   PGT_REGIME_EL3    TTBR0_EL3                   one         no   no
 *   PGT_REGIME_EL2    TTBR0_EL2 (HCR_EL2.E2H=0)   one         no   no
 *   PGT_REGIME_EL20   TTBR0_EL2, TTBR1_EL2 (E2H=1) two        yes  yes
 *   PGT_REGIME_EL10   TTBR0_EL1, TTBR1_EL1        two         yes  yes
 *
 * A table covers one VA range: the lower one (TTBR0: 0 .. 2^va_bits - 1)
 * or, with PGT_S1_UPPER, the upper one (TTBR1: 2^64 - 2^va_bits ..
 * 2^64 - 1). Addresses passed to and reported by the library are the VAs
 * the hardware translates, 0xffff... ones included. The two halves of a
 * regime may differ in size and granule; the register helpers below
 * combine two tables into one TCR value.
 *
 * One API serves every regime (pgt_s1_*); the pKVM names (pgt_hyp_*) are
 * the same functions. Lookups and walks are pgt_get_leaf(),
 * pgt_translate() and pgt_walk() (pgt.h).
 *
 * TLB maintenance goes through the mm_ops hooks with the VA of what
 * changed; the hooks pick the TLBI for the regime (and the ASID from
 * pgt->priv, as the embedder keeps it).
 */
#ifndef PGTABLE_S1_H
#define PGTABLE_S1_H

#include "pgt.h"

/**
 * pgt_s1_init() - create an empty stage-1 table.
 * @pgt:     table to initialise (untouched on error)
 * @regime:  PGT_REGIME_EL3, PGT_REGIME_EL2, PGT_REGIME_EL20 or
 *           PGT_REGIME_EL10
 * @va_bits: size of the VA range (TnSZ = 64 - va_bits): 25..48, 52 with
 *           PGT_S1_LPA2 (4K/16K) or with the 64K granule (FEAT_LVA)
 * @granule: translation granule (TG0/TG1)
 * @oa_bits: PA size the table may map (a PS/IPS size: 32, 36, 40, 42, 44,
 *           48 or 52; 52 needs PGT_S1_LPA2 for 4K/16K)
 * @flags:   OR of PGT_S1_LPA2 (FEAT_LPA2 descriptors, TCR.DS = 1),
 *           PGT_S1_UPPER (the upper VA range; EL1&0 and EL2&0 only),
 *           PGT_S1_ASID16 (16-bit ASIDs, TCR.AS = 1; EL1&0 and EL2&0
 *           only; 8-bit otherwise), PGT_S1_ALLOW_WX (accept
 *           writable-and-executable mappings: for an embedder running
 *           with SCTLR_ELx.WXN = 0), PGT_NO_CONT (never set the
 *           contiguous hint; see pgt.h)
 * @mm_ops:  hooks; zalloc_page(mm_ctx, NULL) gives the root
 * @mm_ctx:  first argument of every mm_ops hook (the embedder's, may be
 *           NULL)
 *
 * Return: 0; -PGT_EINVAL for NULL @pgt, missing required hooks, a regime
 * that is not stage 1, unknown @flags, a flag the regime does not have
 * (an upper range or ASIDs at EL2 or EL3), or a geometry pgt_geom_init()
 * refuses; -PGT_ENOMEM when no root page could be had.
 */
int pgt_s1_init(struct pgt *pgt, enum pgt_regime regime, uint32_t va_bits,
                enum pgt_granule granule, uint32_t oa_bits, uint32_t flags,
                const struct pgt_mm_ops *mm_ops, void *mm_ctx);

/**
 * pgt_s1_map() - map [@va, @va + @size) to @phys.
 * @pgt:  a stage-1 table
 * @va:   first VA, granule aligned, inside the table's range
 * @size: length, a multiple of the granule, > 0
 * @phys: first PA, granule aligned
 * @prot: see enum pgt_prot (the stage-1 rules of the table's regime)
 *
 * Uses the largest block that the alignment of @va, @phys and the
 * remaining size allow. Mapping over an existing identical leaf is
 * accepted (nothing changes); over a valid leaf with a different output or
 * attributes returns -PGT_EEXIST. All-or-nothing: conflicts are found and
 * the table pages needed are allocated before any entry is written, so on
 * any error the table is unchanged and no page is kept. New entries
 * replace only invalid ones, so no TLB maintenance is needed.
 *
 * Return: 0; -PGT_EINVAL (NULL, not a live stage-1 table, alignment,
 * size 0, a @prot the regime refuses); -PGT_ERANGE (@va outside the
 * table's range, @phys beyond the PA size); -PGT_EEXIST; -PGT_ENOMEM.
 */
int pgt_s1_map(struct pgt *pgt, uint64_t va, uint64_t size, uint64_t phys,
               enum pgt_prot prot);

/**
 * pgt_s1_map_cost() - the table pages pgt_s1_map() with these arguments
 * would allocate now.
 * @pgt:  a stage-1 table
 * @va:   as for pgt_s1_map()
 * @size: as for pgt_s1_map()
 * @phys: as for pgt_s1_map()
 * @prot: as for pgt_s1_map()
 *
 * Reads the table only.
 *
 * Return: the number of pages (>= 0); or the error pgt_s1_map() would
 * return (-PGT_EINVAL, -PGT_ERANGE, -PGT_EEXIST).
 */
int64_t pgt_s1_map_cost(const struct pgt *pgt, uint64_t va, uint64_t size,
                        uint64_t phys, enum pgt_prot prot);

/**
 * pgt_s1_unmap() - remove every leaf in [@va, @va + @size).
 * @pgt:  a stage-1 table
 * @va:   first VA, granule aligned, inside the table's range
 * @size: length, a multiple of the granule, > 0
 *
 * A block only partly inside the range is split first (this may allocate;
 * on -PGT_ENOMEM nothing has been unmapped). Each removed leaf is
 * invalidated (tlbi_va at its level); tables left with no counted entry
 * are unlinked, invalidated (PGT_LEVEL_UNKNOWN) and freed.
 *
 * Return: bytes unmapped (>= 0); -PGT_EINVAL (NULL, not a live stage-1
 * table, alignment, size 0); -PGT_ERANGE (outside the table's range);
 * -PGT_ENOMEM.
 */
int64_t pgt_s1_unmap(struct pgt *pgt, uint64_t va, uint64_t size);

/**
 * pgt_s1_protect() - change the permissions of the mapped leaves in
 * [@va, @va + @size).
 * @pgt:  a stage-1 table
 * @va:   first VA, granule aligned, inside the table's range
 * @size: length, a multiple of the granule, > 0
 * @prot: the new permissions (the rules of pgt_s1_map())
 *
 * R/W/X, USER and the software bits SW0..SW3 are all replaced by @prot's;
 * the memory type (DEVICE, NORMAL_NC or normal), NS and NG must stay the
 * same, else -PGT_EINVAL and nothing changes. Done in place (permission
 * changes need no break-before-make) followed by TLB invalidation. Blocks
 * partly inside the range are split first (all-or-nothing on
 * -PGT_ENOMEM).
 *
 * Return: 0; -PGT_EINVAL (NULL, not a live stage-1 table, alignment,
 * size 0, prot, a change of memory type, NS or NG); -PGT_ERANGE (outside
 * the table's range); -PGT_ENOENT if nothing is mapped in the range;
 * -PGT_ENOMEM.
 */
int pgt_s1_protect(struct pgt *pgt, uint64_t va, uint64_t size,
                   enum pgt_prot prot);

/**
 * pgt_s1_coalesce() - fold the tables in [@va, @va + @size) back into
 * blocks where their entries allow, as pgt_s2_coalesce() does.
 * @pgt:  a stage-1 table
 * @va:   first VA, granule aligned, inside the table's range
 * @size: length, a multiple of the granule, > 0
 *
 * Return: 0; -PGT_EINVAL (NULL, not a live stage-1 table, alignment,
 * size 0); -PGT_ERANGE (outside the table's range).
 */
int pgt_s1_coalesce(struct pgt *pgt, uint64_t va, uint64_t size);

/**
 * pgt_s1_destroy() - free every table page, root included (put_page).
 * @pgt: the table (NULL or already destroyed: nothing happens)
 *
 * No TLB maintenance: the table must no longer be live. @pgt is zeroed.
 */
void pgt_s1_destroy(struct pgt *pgt);

/* ---- pKVM's names ------------------------------------------------------ */

/**
 * pgt_hyp_init() - an EL2 (nVHE) table, as kvm_pgtable_hyp_init().
 * @pgt:     table to initialise
 * @va_bits: VA size
 * @granule: translation granule
 * @mm_ops:  hooks
 * @mm_ctx:  first argument of every mm_ops hook
 *
 * Return: pgt_s1_init(@pgt, PGT_REGIME_EL2, @va_bits, @granule, 48, 0,
 * @mm_ops, @mm_ctx).
 */
int pgt_hyp_init(struct pgt *pgt, uint32_t va_bits, enum pgt_granule granule,
                 const struct pgt_mm_ops *mm_ops, void *mm_ctx);

/**
 * pgt_hyp_map() - pgt_s1_map() under kvm_pgtable's name.
 * @pgt:  a stage-1 table
 * @addr: first VA
 * @size: length
 * @phys: first PA
 * @prot: permissions
 *
 * Return: as pgt_s1_map().
 */
int pgt_hyp_map(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
                enum pgt_prot prot);

/**
 * pgt_hyp_unmap() - pgt_s1_unmap() under kvm_pgtable's name.
 * @pgt:  a stage-1 table
 * @addr: first VA
 * @size: length
 *
 * Return: as pgt_s1_unmap().
 */
int64_t pgt_hyp_unmap(struct pgt *pgt, uint64_t addr, uint64_t size);

/**
 * pgt_hyp_coalesce() - pgt_s1_coalesce() under the pKVM-style name.
 * @pgt:  a stage-1 table
 * @addr: first VA
 * @size: length
 *
 * Return: as pgt_s1_coalesce().
 */
int pgt_hyp_coalesce(struct pgt *pgt, uint64_t addr, uint64_t size);

/**
 * pgt_hyp_protect() - pgt_s1_protect() under kvm_pgtable's name.
 * @pgt:  a stage-1 table
 * @addr: first VA
 * @size: length
 * @prot: the new permissions
 *
 * Return: as pgt_s1_protect().
 */
int pgt_hyp_protect(struct pgt *pgt, uint64_t addr, uint64_t size,
                    enum pgt_prot prot);

/**
 * pgt_hyp_destroy() - pgt_s1_destroy() under kvm_pgtable's name.
 * @pgt: the table
 */
void pgt_hyp_destroy(struct pgt *pgt);

/* ---- register values --------------------------------------------------- */

/**
 * pgt_s1_tcr() - the translation control register value for one table.
 * @pgt: a stage-1 table
 *
 * EL3: TCR_EL3; EL2: TCR_EL2 (E2H = 0 layout). Both layouts:
 *   [5:0]   T0SZ   64 - va_bits
 *   [9:8]   IRGN0  0b01: table walks Inner Write-Back Read/Write-Allocate
 *   [11:10] ORGN0  0b01: Outer Write-Back Read/Write-Allocate
 *   [13:12] SH0    0b11: Inner Shareable
 *   [15:14] TG0    granule: 0b00 4K, 0b10 16K, 0b01 64K
 *   [18:16] PS     PA size: 0b000 32 .. 0b101 48, 0b110 52 bits
 *   [23]    RES1, [31] RES1
 *   [32]    DS     1 with PGT_S1_LPA2
 *   TBI, HA, HD, HPD and the rest 0.
 * EL2&0 and EL1&0: pgt_s1_tcr_pair() with this table as its half and the
 * other half disabled (TCR_EL2 with E2H = 1, or TCR_EL1).
 *
 * Return: the value; 0 for a NULL, destroyed or stage-2 @pgt.
 */
uint64_t pgt_s1_tcr(const struct pgt *pgt);

/**
 * pgt_s1_tcr_pair() - TCR_EL1, or TCR_EL2 with HCR_EL2.E2H = 1, for a
 * regime's two VA ranges.
 * @lower: the lower-range (TTBR0) table, or NULL: TTBR0 walks disabled
 * @upper: the upper-range (TTBR1, PGT_S1_UPPER) table, or NULL: TTBR1
 *         walks disabled
 * @tcr:   out: the value (untouched on error)
 *
 * Fields (the TCR_EL1 layout, which TCR_EL2 has when E2H = 1):
 *   [5:0]   T0SZ   64 - @lower's va_bits
 *   [7]     EPD0   1 without @lower
 *   [9:8]   IRGN0, [11:10] ORGN0  0b01: walks Write-Back R/W-Allocate
 *   [13:12] SH0    0b11: Inner Shareable
 *   [15:14] TG0    @lower's granule: 0b00 4K, 0b10 16K, 0b01 64K
 *   [21:16] T1SZ   64 - @upper's va_bits
 *   [22]    A1     0: the ASID is TTBR0's (pgt_s1_ttbr() of @lower)
 *   [23]    EPD1   1 without @upper
 *   [25:24] IRGN1, [27:26] ORGN1  0b01
 *   [29:28] SH1    0b11
 *   [31:30] TG1    @upper's granule: 0b10 4K, 0b01 16K, 0b11 64K
 *   [34:32] IPS    the larger PA size of the two
 *   [36]    AS     1 with PGT_S1_ASID16 (16-bit ASIDs)
 *   [59]    DS     1 when either half has PGT_S1_LPA2
 *   TBI0/1, HA, HD, HPD0/1, E0PD0/1 and the rest 0.
 * A disabled half gets the other half's size and granule, so that every
 * field holds a value the architecture defines.
 *
 * Return: 0; -PGT_EINVAL if both are NULL, either is not a live table of
 * the EL1&0 or EL2&0 regime with the range of its argument, the two are
 * of different regimes, they disagree on PGT_S1_ASID16 (one AS field
 * serves both), or one has PGT_S1_LPA2 and the other is a 4K or 16K table
 * without it (one DS field serves both; the 64K granule does not read it,
 * so a 64K half pairs with either).
 */
int pgt_s1_tcr_pair(const struct pgt *lower, const struct pgt *upper,
                    uint64_t *tcr);

/**
 * pgt_s1_ttbr() - the TTBRn_ELx value for a table.
 * @pgt:  a stage-1 table
 * @asid: address space id: 0 in the regimes without ASIDs (EL2, EL3);
 *        below 2^8, or 2^16 with PGT_S1_ASID16
 * @ttbr: out: the value (untouched on error)
 *
 * Fields: [63:48] ASID; [47:1] BADDR, the root's physical address (with
 * a 52-bit PA, PA[51:48] in bits [5:2]); [0] CnP 0. With TCR.A1 = 0 (see
 * pgt_s1_tcr_pair()) the hardware takes the ASID from TTBR0; an upper
 * table's value may carry one too.
 *
 * Return: 0; -PGT_EINVAL for a NULL, destroyed or stage-2 @pgt, or an
 * @asid the table's regime or declared ASID size cannot hold.
 */
int pgt_s1_ttbr(const struct pgt *pgt, uint32_t asid, uint64_t *ttbr);

/**
 * pgt_s1_mair() - the MAIR_ELx value the stage-1 tables assume.
 *
 * Return: PGT_MAIR_VALUE (desc.h documents it field by field), the same
 * for MAIR_EL1, MAIR_EL2 and MAIR_EL3.
 */
uint64_t pgt_s1_mair(void);

#endif /* PGTABLE_S1_H */
