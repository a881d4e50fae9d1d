/* SPDX-License-Identifier: MIT */
/*
 * pgt_check(): verify the invariants the table code relies on, by walking
 * the table. For tests and fuzzers after every operation, and for an
 * embedder's debug build: freestanding, no allocation, no hook but
 * phys_to_virt and page_count, so it runs at EL2 as well as on a host.
 *
 * What it checks, for every table page the walk reaches (root pages
 * included, each concatenated root page on its own) and every entry:
 *  - the page's count (mm_ops->page_count) is 1 + its counted entries
 *    (the core's rule: non-zero entries; with PGT_S2_HOST valid leaves do
 *    not count; or pgt_pte_ops->pte_is_counted);
 *  - a table page below the root holds at least one non-zero entry;
 *  - table pages are aligned to the granule, and the root to the size of
 *    all its pages (a concatenated root's base alignment);
 *  - a table descriptor is exactly pgt_make_table() of its address (no
 *    table attribute or ignored bit set: the library sets none);
 *  - a valid leaf is a block at a level the geometry allows blocks at, or
 *    a page at the last level (valid with type 0 there is reserved), and
 *    its attributes are what pgt_leaf_attrs() gives for the permissions
 *    they decode to in the table's regime (the access flag and the
 *    contiguous bit aside): no reserved memory type or attribute index,
 *    no RES0 bit, no DBM bit where the library writes none;
 *  - a leaf with the contiguous bit is at a level where the table uses
 *    the hint (pgt_cont_entries(), not with PGT_NO_CONT or
 *    PGT_S2_HW_DIRTY), and its aligned run is uniform: every entry has
 *    the bit and the same bits but the output address, which follows on
 *    from an address aligned to the run;
 *  - every output address (leaf or table) lies within the table's OA size
 *    and a leaf's is aligned to the leaf's size;
 *  - an invalid entry is zero or, in a stage-2 table, a well-formed owner
 *    annotation (pgt_make_owner() of an id 1..255, nothing else set).
 * pgt_check() (the whole table) then checks the library's walk cache:
 * the level-2 table it keeps for the one-page calls must be the one the
 * walk reaches for its range (PGT_CHECK_WALK_CACHE).
 * The first fault in walk order (the root pages in the range first, then a
 * table page before its entries, entries in address order, depth first)
 * is reported and the walk stops there, so it never descends through a
 * bad table descriptor. It reads the tables itself rather than through
 * pgt_walk(), so a broken walker cannot hide what it would skip.
 */
#ifndef PGTABLE_CHECK_H
#define PGTABLE_CHECK_H

#include <stdint.h>

#include "desc.h"
#include "errno.h"
#include "pgt.h"

/* Which invariant a pgt_check_fault reports. */
enum pgt_check_what {
    PGT_CHECK_OK = 0,
    PGT_CHECK_COUNT,      /* page count is not 1 + its counted entries */
    PGT_CHECK_EMPTY,      /* non-root table page without a non-zero entry */
    PGT_CHECK_ALIGN,      /* table page (or root) misaligned */
    PGT_CHECK_TABLE_DESC, /* table descriptor with bits besides OA and type */
    PGT_CHECK_LEAF_DESC,  /* reserved or illegal leaf encoding */
    PGT_CHECK_OA,         /* OA beyond the OA size, or a leaf's misaligned */
    PGT_CHECK_OWNER,      /* invalid entry neither zero nor an annotation */
    PGT_CHECK_CONT,       /* contiguous bit where the table has no hint, or
                           * on a run that is not uniform */
    PGT_CHECK_WALK_CACHE, /* the table's walk cache (struct pgt.internal)
                           * names a table the walk does not reach */
};

/* pgt_check() flags. */
#define PGT_CHECK_NO_COUNTS (1u << 0) /* skip page counts: for ops that do
                                       * not count (the early allocator's
                                       * before the hand-over), or a quick
                                       * check that reads each table page
                                       * only up to its first entry */

/**
 * struct pgt_check_fault - the first fault pgt_check() found, and where.
 */
struct pgt_check_fault {
    enum pgt_check_what what; /* the invariant, PGT_CHECK_OK if none */
    uint64_t addr;  /* first input address the entry (or table page) maps */
    int level;      /* the entry's level, or the table page's */
    pgt_pte_t pte;  /* the entry; for a table page, the entry pointing at
                     * it (0 for a root page) */
    int count;      /* PGT_CHECK_COUNT: the page's count ... */
    int expected;   /* ... and 1 + its counted entries */
};

/**
 * pgt_check() - verify the whole table (see above).
 * @pgt:   the table
 * @flags: PGT_CHECK_* flags
 * @fault: out (may be NULL): the first fault, what = PGT_CHECK_OK if none
 *
 * Changes nothing and calls no hook but phys_to_virt and page_count.
 * Return: 0; -PGT_EFAULT with *@fault set when an invariant is broken;
 * -PGT_EINVAL for a NULL or destroyed @pgt, unknown flags, or a table
 * whose mm_ops lack phys_to_virt (or page_count, unless
 * PGT_CHECK_NO_COUNTS).
 */
int pgt_check(const struct pgt *pgt, uint32_t flags, struct pgt_check_fault *fault);

/**
 * pgt_check_region() - as pgt_check(), over the entries covering a range
 * and the table pages holding them (each such page is counted whole: its
 * count depends on all its entries).
 * @pgt:   the table
 * @addr:  start of the input range, aligned to the granule (for an
 *         upper-range stage-1 table a VA from pgt_ia_start(); fault
 *         addresses are reported the same way)
 * @size:  length, a multiple of the granule, > 0
 * @flags: PGT_CHECK_* flags
 * @fault: out (may be NULL): the first fault, what = PGT_CHECK_OK if none
 *
 * Return: as pgt_check(); also -PGT_EINVAL for an unaligned or empty
 * range and -PGT_ERANGE for one outside the table's input range.
 */
int pgt_check_region(const struct pgt *pgt, uint64_t addr, uint64_t size, uint32_t flags,
                    struct pgt_check_fault *fault);

/**
 * pgt_check_what_str() - a short description of a fault kind, for messages.
 * @what: the kind
 *
 * Return: a constant string ("unknown" for a value not in the enum).
 */
const char *pgt_check_what_str(enum pgt_check_what what);

#endif /* PGTABLE_CHECK_H */
