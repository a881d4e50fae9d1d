/* SPDX-License-Identifier: MIT */
/*
 * Descriptor layer: AArch64 VMSAv8-64 translation-table geometry and
 * descriptor encoding. Pure functions, no state, no allocation.
 *
 * Terms used throughout libpgtable:
 *   granule   translation granule: 4K, 16K or 64K (enum pgt_granule holds
 *             its log2, 12/14/16)
 *   level     lookup level, -1 (4K + LPA2 only) .. 3 (last level)
 *   IA / OA   input address (VA or IPA) / output address (PA or IPA)
 *   leaf      a block (level < 3) or page (level 3) descriptor
 *
 * Architecture reference: Arm ARM (DDI 0487) D8.3 "Translation table
 * descriptor formats" and D8.2 "Translation table walk".
 *
 * The geometry argument @g of every function here must not be NULL (only
 * pgt_geom_init() and pgt_leaf_attrs(), which can fail, check it).
 */
#ifndef PGTABLE_DESC_H
#define PGTABLE_DESC_H

#include <stdbool.h>
#include <stdint.h>

/* A translation-table entry (descriptor), as stored in memory. */
typedef uint64_t pgt_pte_t;

/* Translation granule; the value is the granule's log2 (page shift). */
enum pgt_granule {
    PGT_GRANULE_4K = 12,
    PGT_GRANULE_16K = 14,
    PGT_GRANULE_64K = 16,
};

#define PGT_LEVEL_MIN (-1)    /* 4K granule with FEAT_LPA2, 52-bit IA */
#define PGT_LEVEL_MAX 3       /* last level: page descriptors */
#define PGT_LEVEL_UNKNOWN 127 /* TLB hint: level not known (table zaps) */
#define PGT_LEVEL_AUTO (-128) /* ask pgt_geom_init to pick the start level */
#define PGT_MAX_LEVELS 5      /* -1..3 */
#define PGT_MAX_ROOT_PAGES 16 /* stage-2 start-level concatenation limit */

/* Bits common to all descriptors (D8.3). */
#define PGT_PTE_VALID (1ull << 0)
#define PGT_PTE_TYPE (1ull << 1) /* 1: table (level<3) or page (level 3) */

/* Lower/upper leaf attribute fields, stage 1 (D8.3.2). */
#define PGT_S1_ATTRINDX_SHIFT 2 /* [4:2] index into MAIR */
#define PGT_S1_ATTRINDX_MASK (7ull << 2)
#define PGT_S1_NS (1ull << 5) /* EL3: output in the non-secure PA space */
#define PGT_S1_AP_USER (1ull << 6) /* AP[1]: EL0 access; RES1 at EL2, EL3 */
#define PGT_S1_AP_RO (1ull << 7)   /* AP[2]: read-only */
#define PGT_S1_NG (1ull << 11) /* not global: tagged with the ASID */
#define PGT_S1_PXN (1ull << 53) /* EL1&0, EL2&0: no execution at EL1/EL2 */
#define PGT_S1_UXN (1ull << 54) /* EL1&0, EL2&0: no execution at EL0 */
#define PGT_S1_XN PGT_S1_UXN    /* EL2, EL3: no execution */

/* Lower/upper leaf attribute fields, stage 2 (D8.3.2). */
#define PGT_S2_MEMATTR_SHIFT 2 /* [5:2] */
#define PGT_S2_MEMATTR_MASK (0xfull << 2)
#define PGT_S2_S2AP_R (1ull << 6)
#define PGT_S2_S2AP_W (1ull << 7)
#define PGT_S2_XN_SHIFT 53 /* XN[1:0] at [54:53] with FEAT_XNX, else XN at 54 */
#define PGT_S2_XN_MASK (3ull << 53)
#define PGT_S2_XN (1ull << 54)

/* Stage-2 MemAttr values (D8.5.5); FWB variants apply with HCR_EL2.FWB=1. */
#define PGT_S2_MEMATTR_DEVICE_nGnRE 0x1ull
#define PGT_S2_MEMATTR_NORMAL_NC 0x5ull
#define PGT_S2_MEMATTR_NORMAL_WB 0xfull
#define PGT_S2_FWB_MEMATTR_DEVICE_nGnRE 0x1ull
#define PGT_S2_FWB_MEMATTR_NORMAL_NC 0x5ull
#define PGT_S2_FWB_MEMATTR_NORMAL_WB 0x6ull

/* Shared leaf fields. */
#define PGT_PTE_SH_SHIFT 8 /* [9:8]; holds OA[51:50] instead with LPA2 */
#define PGT_PTE_SH_MASK (3ull << 8)
#define PGT_SH_NONE 0ull
#define PGT_SH_OUTER 2ull
#define PGT_SH_INNER 3ull
#define PGT_PTE_AF (1ull << 10)
#define PGT_PTE_DBM (1ull << 51)
#define PGT_PTE_CONT (1ull << 52)
#define PGT_PTE_SW_SHIFT 55 /* [58:55] software-defined */
#define PGT_PTE_SW_MASK (0xfull << 55)

/*
 * Owner annotation in an invalid stage-2 entry (pKVM's convention): bits
 * [9:2] hold an owner id, bit 0 (valid) is clear. Id 0 means "no owner":
 * an annotation with id 0 is the all-zero entry.
 */
#define PGT_OWNER_SHIFT 2
#define PGT_OWNER_MASK (0xffull << 2)
#define PGT_MAX_OWNER_ID 0xffu

/*
 * Stage-1 memory attributes: the MAIR_ELx value libpgtable's stage-1
 * AttrIndx values assume, the same for every regime. Program it into
 * MAIR_EL1, MAIR_EL2 or MAIR_EL3 (pgt_s1_mair() returns it). Field by
 * field (Arm ARM D19.2, MAIR_ELx.Attr<n>, 8 bits each):
 *   Attr0 [7:0]   0xff  Normal, Outer and Inner Write-Back Non-transient,
 *                       Read-Allocate, Write-Allocate
 *   Attr1 [15:8]  0x04  Device-nGnRE
 *   Attr2 [23:16] 0x44  Normal, Outer and Inner Non-cacheable
 *   Attr3 [31:24] 0x00  Device-nGnRnE (never used by the library)
 *   Attr4..7      0x00  unused (Device-nGnRnE)
 */
#define PGT_MAIR_IDX_NORMAL 0
#define PGT_MAIR_IDX_DEVICE 1
#define PGT_MAIR_IDX_NORMAL_NC 2
#define PGT_MAIR_IDX_DEVICE_nGnRnE 3
#define PGT_MAIR_VALUE 0x00000000004404ffull

/*
 * The permission/attribute vocabulary, like kvm_pgtable_prot. A mapping's
 * prot is an OR of these. Normal write-back memory is the default; DEVICE
 * (Device-nGnRE) and NORMAL_NC are mutually exclusive.
 *
 * Rules (bad combinations return -PGT_EINVAL):
 *  - stage 1 (every regime): R is required; X with DEVICE is refused;
 *    W|X together is refused (what SCTLR_ELx.WXN = 1 would enforce)
 *    unless the table was created with PGT_S1_ALLOW_WX.
 *  - USER (access from EL0) only in the regimes with EL0: EL1&0 and
 *    EL2&0.
 *  - NG (not global: the leaf is tagged with the current ASID) only in
 *    the regimes with ASIDs: EL1&0 and EL2&0.
 *  - NS (the output address is in the non-secure PA space) only at EL3,
 *    the one Secure-state regime.
 *  - stage 2: any subset of R/W/X, including none (a valid entry that
 *    faults on every access); X with DEVICE is refused.
 *  - PXN / UXN only with X, and only on stage-2 tables created with
 *    PGT_S2_XNX (they remove execute permission at EL1 / EL0).
 *  - SW0..SW3 go to the descriptor's software bits [58:55] unchanged.
 *
 * Encoding (pgt_leaf_attrs): AF always set; SH inner shareable (not in
 * the descriptor with LPA2); stage 1: AttrIndx by memory type (see
 * PGT_MAIR_VALUE), AP[2] unless W.
 *   EL2, EL3 (one privilege level): AP[1] set (RES1), XN (bit 54) unless
 *   X; EL3: NS from NS.
 *   EL1&0, EL2&0: AP[1] = USER; no X: PXN|UXN; X|USER: PXN (user code);
 *   X alone: UXN (kernel code); nG from NG.
 * Stage 2: MemAttr per FWB, S2AP from R/W, XN[1:0] 0b10 without X, 0b00
 * with X, 0b01 with X|PXN, 0b11 with X|UXN.
 */
enum pgt_prot {
    PGT_PROT_X = 1u << 0,
    PGT_PROT_W = 1u << 1,
    PGT_PROT_R = 1u << 2,
    PGT_PROT_DEVICE = 1u << 3,
    PGT_PROT_NORMAL_NC = 1u << 4,
    PGT_PROT_USER = 1u << 5,
    PGT_PROT_PXN = 1u << 6,
    PGT_PROT_UXN = 1u << 7,
    PGT_PROT_SW0 = 1u << 8,
    PGT_PROT_SW1 = 1u << 9,
    PGT_PROT_SW2 = 1u << 10,
    PGT_PROT_SW3 = 1u << 11,
    PGT_PROT_NG = 1u << 12,
    PGT_PROT_NS = 1u << 13,
};
#define PGT_PROT_RW (PGT_PROT_R | PGT_PROT_W)
#define PGT_PROT_RX (PGT_PROT_R | PGT_PROT_X)
#define PGT_PROT_RWX (PGT_PROT_R | PGT_PROT_W | PGT_PROT_X)
#define PGT_PROT_SW_SHIFT 8
#define PGT_PROT_SW_MASK (0xfu << 8)

/*
 * Translation regime / stage a descriptor belongs to. The stage-1 regimes
 * with two VA ranges (EL1&0, EL2&0) take one table per range: the lower
 * range (TTBR0, addresses from 0) or, with PGT_S1_UPPER, the upper range
 * (TTBR1, addresses up to 2^64 - 1).
 */
enum pgt_regime {
    PGT_REGIME_EL2 = 0,  /* stage 1, EL2 with HCR_EL2.E2H = 0 (nVHE hyp),
                          * one VA range, TTBR0_EL2 */
    PGT_REGIME_EL10 = 1, /* stage 1, EL1&0, TTBR0_EL1 / TTBR1_EL1 */
    PGT_REGIME_S2 = 2,   /* stage 2, EL1&0, VTTBR_EL2 */
    PGT_REGIME_EL3 = 3,  /* stage 1, EL3, one VA range, TTBR0_EL3 */
    PGT_REGIME_EL20 = 4, /* stage 1, EL2&0 with HCR_EL2.E2H = 1 (VHE, hVHE),
                          * TTBR0_EL2 / TTBR1_EL2 */
};

/* Geometry flags for pgt_geom_init(). */
#define PGT_GEOM_LPA2 (1u << 0)    /* FEAT_LPA2 (TCR.DS/VTCR.DS = 1), 4K/16K */
#define PGT_GEOM_CONCAT (1u << 1)  /* allow start-level concatenation (stage 2) */

/**
 * struct pgt_geom - derived geometry of one table. Filled by
 * pgt_geom_init(); every other function takes it as read-only input.
 */
struct pgt_geom {
    uint8_t granule_shift;  /* 12, 14, 16 */
    uint8_t bits_per_level; /* granule_shift - 3: 9, 11, 13 */
    uint8_t ia_bits;        /* input address size, 25..52 */
    uint8_t oa_bits;        /* output address size: 32,36,40,42,44,48,52 */
    int8_t start_level;     /* level of the root table */
    uint8_t nr_root_pages;  /* 1, or 2..16 concatenated root pages */
    uint8_t lpa2;           /* 1: FEAT_LPA2 descriptor format (DS=1) */
    uint8_t pad;            /* zero */
};

/**
 * pgt_geom_init() - compute and check the geometry of a table.
 * @g:           geometry to fill (untouched on error)
 * @granule:     translation granule
 * @ia_bits:     input address size in bits. Minimum 25; maximum 48, or 52
 *               with PGT_GEOM_LPA2 (4K/16K) or with the 64K granule
 *               (FEAT_LVA/FEAT_LPA).
 * @oa_bits:     output address size: one of 32, 36, 40, 42, 44, 48, 52
 *               (PS/IPS encodings). 52 needs PGT_GEOM_LPA2 for 4K/16K.
 * @start_level: the root's level, or PGT_LEVEL_AUTO for the highest level
 *               with a single root page (the stage-1 rule). A level that
 *               needs 2..16 concatenated root pages is accepted only with
 *               PGT_GEOM_CONCAT.
 * @flags:       PGT_GEOM_* flags.
 *
 * Return: 0, or -PGT_EINVAL for an illegal combination (the Arm ARM's rules
 * for T0SZ, SL0/SL2, TG0 and DS).
 */
int pgt_geom_init(struct pgt_geom *g, enum pgt_granule granule,
                  uint32_t ia_bits, uint32_t oa_bits, int start_level,
                  uint32_t flags);

/**
 * pgt_level_shift() - log2 of the size of the region one entry at @level
 * maps.
 * @g:     the geometry
 * @level: a level of the table, start level..3
 *
 * Return: granule shift + bits per level * (3 - @level).
 */
static inline uint32_t pgt_level_shift(const struct pgt_geom *g, int level)
{
    return g->granule_shift + (uint32_t)(g->bits_per_level * (3 - level));
}

/**
 * pgt_level_size() - size of the region one entry at @level maps.
 * @g:     the geometry
 * @level: a level of the table, start level..3
 *
 * Return: the size in bytes (1 << pgt_level_shift()).
 */
static inline uint64_t pgt_level_size(const struct pgt_geom *g, int level)
{
    return 1ull << pgt_level_shift(g, level);
}

/**
 * pgt_ptes_per_page() - entries in one (non-root) table page.
 * @g: the geometry
 *
 * Return: 512, 2048 or 8192.
 */
static inline uint64_t pgt_ptes_per_page(const struct pgt_geom *g)
{
    return 1ull << g->bits_per_level;
}

/**
 * pgt_root_entries() - entries in the whole root (all concatenated pages).
 * @g: the geometry
 *
 * Return: 2^(ia_bits - pgt_level_shift(start level)).
 */
uint64_t pgt_root_entries(const struct pgt_geom *g);

/**
 * pgt_level_index() - index of @addr's entry in a table at @level.
 * @g:     the geometry
 * @addr:  input address
 * @level: a level of the table, start level..3
 *
 * Return: the index; for the root, across all its pages.
 */
uint64_t pgt_level_index(const struct pgt_geom *g, uint64_t addr, int level);

/**
 * pgt_level_has_block() - whether a leaf (block or page) may be placed at
 * @level with this geometry.
 * @g:     the geometry
 * @level: any level
 *
 * Return: false below the start level or above 3; true for levels 2 and
 * 3; level 1 for 4K (1 GiB blocks) and, with LPA2, for 16K (64 GiB);
 * level 0 for 4K with LPA2 (512 GiB); 64K: level 1 (4 TiB) with 52-bit
 * OA; false otherwise.
 */
bool pgt_level_has_block(const struct pgt_geom *g, int level);

/**
 * pgt_cont_entries() - how many entries the contiguous hint joins at a
 * level (Arm ARM, the Contiguous bit): 16 at 4K (levels 1, 2 and 3); at
 * 16K 32 at level 2 and 128 at level 3; at 64K 32 at levels 2 and 3.
 * @g:     the geometry
 * @level: any level
 *
 * Return: the number of entries of one contiguous run, aligned to that
 * many entries; 0 where the library sets no hint (levels without blocks,
 * level 1 of 16K and 64K, level 0, and 4K level 1 with LPA2).
 */
uint32_t pgt_cont_entries(const struct pgt_geom *g, int level);

/**
 * pgt_oa_encode() - a descriptor's OA field for an output address.
 * @g:  the geometry (LPA2 and 64K 52-bit OA move OA[51:48] or OA[51:50])
 * @pa: output address, aligned to the granule
 *
 * Return: the OA field bits alone, to OR with type and attribute bits.
 */
pgt_pte_t pgt_oa_encode(const struct pgt_geom *g, uint64_t pa);

/**
 * pgt_oa_decode() - the output address held by a descriptor.
 * @g:   the geometry
 * @pte: a table or leaf descriptor
 *
 * Return: the next-level table's or the leaf's output address.
 */
uint64_t pgt_oa_decode(const struct pgt_geom *g, pgt_pte_t pte);

/**
 * pgt_oa_field_mask() - the descriptor bits that hold the output address.
 * @g: the geometry
 *
 * A leaf's attributes are pte & ~(pgt_oa_field_mask(g) | PGT_PTE_TYPE |
 * PGT_PTE_VALID).
 *
 * Return: the mask (with LPA2 it includes [9:8], with 64K and 52-bit OA
 * [15:12]).
 */
pgt_pte_t pgt_oa_field_mask(const struct pgt_geom *g);

/**
 * pgt_pte_is_table() - whether @pte is a valid table descriptor at @level.
 * @pte:   the entry
 * @level: its level
 *
 * Return: true for a valid entry with the type bit set above level 3.
 */
static inline bool pgt_pte_is_table(pgt_pte_t pte, int level)
{
    return level < PGT_LEVEL_MAX && (pte & (PGT_PTE_VALID | PGT_PTE_TYPE)) ==
                                        (PGT_PTE_VALID | PGT_PTE_TYPE);
}

/**
 * pgt_pte_is_leaf() - whether @pte is a valid leaf (block or page) at
 * @level.
 * @pte:   the entry
 * @level: its level
 *
 * Return: true for a valid block (type bit clear, level < 3) or page
 * (type bit set, level 3).
 */
static inline bool pgt_pte_is_leaf(pgt_pte_t pte, int level)
{
    if (!(pte & PGT_PTE_VALID))
        return false;
    return level == PGT_LEVEL_MAX ? (pte & PGT_PTE_TYPE) != 0
                                  : (pte & PGT_PTE_TYPE) == 0;
}

/**
 * pgt_pte_valid() - whether @pte is valid (bit 0).
 * @pte: the entry
 *
 * Return: true if the valid bit is set.
 */
static inline bool pgt_pte_valid(pgt_pte_t pte)
{
    return (pte & PGT_PTE_VALID) != 0;
}

/**
 * pgt_leaf_attrs() - leaf attribute bits (everything but OA and type) for
 * @prot in @regime.
 * @g:      geometry (LPA2 moves SH out of the descriptor)
 * @regime: PGT_REGIME_*
 * @flags:  the table's flags (struct pgt.flags): for stage 2 PGT_S2_FWB /
 *          PGT_S2_XNX, for stage 1 PGT_S1_ALLOW_WX (pgt.h); others are
 *          ignored
 * @prot:   permission set
 * @attrs:  out: the attribute bits, AF set
 *
 * Return: 0, or -PGT_EINVAL for a combination the regime cannot express
 * or @flags forbid (see enum pgt_prot).
 */
int pgt_leaf_attrs(const struct pgt_geom *g, enum pgt_regime regime,
                   uint32_t flags, enum pgt_prot prot, pgt_pte_t *attrs);

/**
 * pgt_leaf_prot() - decode a valid leaf's attributes back to enum pgt_prot.
 * @g:      the geometry
 * @regime: PGT_REGIME_*
 * @flags:  the table's flags, as for pgt_leaf_attrs()
 * @pte:    the leaf
 *
 * Return: the permission set; the inverse of pgt_leaf_attrs() for every
 * prot it accepts.
 */
enum pgt_prot pgt_leaf_prot(const struct pgt_geom *g, enum pgt_regime regime,
                            uint32_t flags, pgt_pte_t pte);

/**
 * pgt_make_leaf() - a complete leaf descriptor. No checks.
 * @g:     the geometry
 * @pa:    output address, aligned to pgt_level_size(@level)
 * @attrs: attribute bits (pgt_leaf_attrs())
 * @level: a level that allows a leaf (pgt_level_has_block())
 *
 * Return: pgt_oa_encode(@pa) | @attrs | valid and type bits for @level
 * (block at levels < 3, page at level 3).
 */
pgt_pte_t pgt_make_leaf(const struct pgt_geom *g, uint64_t pa,
                        pgt_pte_t attrs, int level);

/**
 * pgt_make_table() - a table descriptor.
 * @g:        the geometry
 * @table_pa: physical address of the next-level table, granule aligned
 *
 * Return: pgt_oa_encode(@table_pa) | valid and type bits.
 */
pgt_pte_t pgt_make_table(const struct pgt_geom *g, uint64_t table_pa);

/**
 * pgt_make_owner() - an invalid stage-2 entry carrying an owner id.
 * @owner_id: 0..PGT_MAX_OWNER_ID (higher bits are dropped)
 *
 * Return: the annotation; 0 (the zero entry) for id 0.
 */
static inline pgt_pte_t pgt_make_owner(uint32_t owner_id)
{
    return ((pgt_pte_t)owner_id << PGT_OWNER_SHIFT) & PGT_OWNER_MASK;
}

/**
 * pgt_pte_owner() - the owner id an entry holds.
 * @pte: the entry
 *
 * Return: bits [9:2] of an invalid entry; 0 for a valid entry.
 */
static inline uint32_t pgt_pte_owner(pgt_pte_t pte)
{
    if (pgt_pte_valid(pte))
        return 0;
    return (uint32_t)((pte & PGT_OWNER_MASK) >> PGT_OWNER_SHIFT);
}

#endif /* PGTABLE_DESC_H */
