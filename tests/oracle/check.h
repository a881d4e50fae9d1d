/* SPDX-License-Identifier: MIT */
/*
 * The oracle's checks: a plain reference model of what a table should map
 * (a list of regions, updated by the same operations the test applies to
 * the library), and orc_check(), which runs AT on the emulated CPU for
 * every mapped page and a random sample of unmapped addresses and demands
 * that the emulator's answer equal both
 *   (1) the library's own view (pgt_get_leaf), and
 *   (2) the reference model (written from the operations, not the tables),
 * including fault kind and level, stage, PA, attributes and shareability;
 * plus real loads and stores through a sample of the mappings.
 */
#ifndef PGT_TEST_ORACLE_CHECK_H
#define PGT_TEST_ORACLE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oracle.h"
#include "pgtable/pgtable.h"

/* MAIR as libpgtable documents it (desc.h comment): idx0 Normal WB 0xff,
 * idx1 Device-nGnRE 0x04, idx2 Normal NC 0x44, idx3 Device-nGnRnE 0x00. */
#define ORC_MAIR_DOC 0x00000000004404ffull

enum ref_state {
    REF_MAPPED = 1,
    REF_OWNED,
};

struct ref_region {
    uint64_t ia, size, pa;
    enum ref_state st;
    uint32_t prot;  /* enum pgt_prot, REF_MAPPED */
    uint32_t owner; /* REF_OWNED */
    bool old;       /* access flag clear (stage 2 mkold) */
    int level;      /* leaf level the test expects, or ORC_ANY_LEVEL */
};

struct ref {
    struct ref_region *r;
    size_t n, cap;
};

void ref_init(struct ref *m);
void ref_fini(struct ref *m);
void ref_map(struct ref *m, uint64_t ia, uint64_t size, uint64_t pa,
             uint32_t prot);
void ref_unmap(struct ref *m, uint64_t ia, uint64_t size);
void ref_set_owner(struct ref *m, uint64_t ia, uint64_t size, uint32_t owner);
/* Clear W on every mapping in range. */
void ref_wrprotect(struct ref *m, uint64_t ia, uint64_t size);
/* Replace the permission bits (R/W/X/USER) of every mapping in range. */
void ref_set_perms(struct ref *m, uint64_t ia, uint64_t size, uint32_t prot);
/* Add permission bits to every mapping in range. */
void ref_relax(struct ref *m, uint64_t ia, uint64_t size, uint32_t prot);
void ref_set_old(struct ref *m, uint64_t ia, uint64_t size, bool old);
/* Record the leaf level the test expects for mappings in range (checked
 * against both the library's walk and the emulator's fault levels). */
void ref_set_level(struct ref *m, uint64_t ia, uint64_t size, int level);
const struct ref_region *ref_find(const struct ref *m, uint64_t ia);
/* Number of granule pages mapped. */
uint64_t ref_mapped_pages(const struct ref *m, unsigned gs);

/* One access kind: which AT, and what it stands for. */
struct orc_access {
    enum orc_at op;
    bool write;
    bool el0;
};

/* What PAR_EL1 reports for a stage-2-only AT under orc_set_s2()
 * (HCR_EL2.DC = 1) for each stage-2 memory type. */
#define ORC_S2_ATTR_WB 0xff
#define ORC_S2_ATTR_DEVICE 0x04
#define ORC_S2_ATTR_NC 0x44
#define ORC_S2_SH_DEVICE_NC 2 /* Device and Normal NC: outer shareable */

struct orc_target;
typedef struct orc_expect (*orc_lib_expect_fn)(const struct orc_target *t,
                                               uint64_t ia,
                                               const struct orc_access *a,
                                               int *level);

/* What orc_check() checks against. */
struct orc_target {
    struct orc *o;
    enum orc_regime regime;
    const struct pgt *pgt; /* NULL: tables not built by the library */
    unsigned gs;           /* granule shift */
    unsigned ia_bits;
    uint64_t va_base;      /* VA of the table's first entry: the reference
                            * model holds offsets from it (upper range) */
    orc_lib_expect_fn lib_expect; /* NULL: no library view to compare */
};

/* The accesses checked for @regime, into @a[0..3]; returns how many:
 * S1E3R/W, S1E2R/W, S1E1R/W + S1E0R/W (EL1&0 and EL2&0, see
 * orc_set_s1_el20()), S12E1R/W. */
size_t orc_accesses(enum orc_regime regime, struct orc_access *a);

/* Whether an access with @prot faults on permissions in @regime. */
bool orc_perm_fault(enum orc_regime regime, uint32_t prot,
                    const struct orc_access *a);

/* Target for a library-built table (check_lib.c, links lib/). */
void orc_target_pgt(struct orc_target *t, struct orc *o, const struct pgt *p);

/* The library's own pgt_check() of the whole table @p (check_lib.c): 0,
 * or 1 after printing the fault with @label. */
size_t orc_pgt_check(const struct pgt *p, const char *label);

struct orc_check_opts {
    const char *what;      /* label for messages */
    uint64_t seed;
    size_t unmapped;       /* random unmapped addresses to sample */
    size_t mem;            /* loads/stores to try (windows must be mapped) */
    uint64_t max_pages;    /* 0: every mapped page; else a sample */
};

/* Totals for the closing line. */
struct orc_check_stats {
    uint64_t pages;        /* mapped pages translated on the emulator */
    uint64_t unmapped;     /* unmapped addresses translated */
    uint64_t checks;       /* orc_check calls */
    uint64_t cont;         /* of the pages, those the library maps with a
                            * leaf that has the contiguous hint */
};
extern struct orc_check_stats orc_check_stats;

/* Return: the number of mismatches (0 = the emulator agrees). */
size_t orc_check(const struct orc_target *t, const struct ref *m,
                 const struct orc_check_opts *opt);

/* Deterministic PRNG used by the tests (xorshift64*). */
static inline uint64_t orc_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

#endif /* PGT_TEST_ORACLE_CHECK_H */
