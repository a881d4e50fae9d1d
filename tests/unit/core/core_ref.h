/* SPDX-License-Identifier: MIT */
/*
 * Independent helpers for the core unit tests.
 *
 * Nothing here calls the library to compute an expectation: the descriptor
 * field names below are written out from the Arm ARM (DDI 0487, D8.3
 * descriptor formats, D8.5 memory attributes), and the reference reader
 * follows table descriptors by hand with the geometry the test states (it
 * never reads struct pgt_geom). Tests that use the reader first assert that
 * the library's geometry equals the hand-computed one.
 */
#ifndef PGT_CORE_REF_H
#define PGT_CORE_REF_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_mm.h"

/* ---- Descriptor fields, from the Arm ARM (not from desc.h) ---- */
#define D_VALID (1ull << 0)
#define D_BLOCK D_VALID                 /* bits[1:0] = 0b01, level < 3 */
#define D_PAGE (D_VALID | (1ull << 1))  /* bits[1:0] = 0b11, level 3 */
#define D_TABLE (D_VALID | (1ull << 1)) /* bits[1:0] = 0b11, level < 3 */
#define AF (1ull << 10)                 /* access flag */
#define SH_INNER (3ull << 8)            /* SH[1:0] = 0b11 */
#define SH_MASK (3ull << 8)
#define D_CONT (1ull << 52)             /* Contiguous: one run, one TLB entry */
#define SW(n) (1ull << (55 + (n)))      /* software bits [58:55] */

/* Stage 1 (lower attributes [11:2], upper [63:50]). */
#define S1_ATTRINDX(i) ((uint64_t)(i) << 2) /* AttrIndx[2:0] at [4:2] */
#define S1_AP1 (1ull << 6)   /* AP[1]: EL0 access; RES1 for EL2 (nVHE) */
#define S1_AP2_RO (1ull << 7) /* AP[2]: read-only */
#define S1_NG (1ull << 11)
#define S1_PXN (1ull << 53)
#define S1_XN (1ull << 54)   /* UXN / XN (EL2) */
#define MAIR_NORMAL 0        /* libpgtable's documented MAIR layout */
#define MAIR_DEVICE 1
#define MAIR_NORMAL_NC 2

/* Stage 2. */
#define MEMATTR(x) ((uint64_t)(x) << 2) /* MemAttr[3:0] at [5:2] */
#define MA_DEVICE_nGnRE 0x1ull          /* 0b0001 */
#define MA_NORMAL_NC 0x5ull             /* 0b0101: outer NC, inner NC */
#define MA_NORMAL_WB 0xfull             /* 0b1111: outer WB, inner WB */
#define MA_FWB_NORMAL_WB 0x6ull         /* FWB 0b0110: Normal WB */
#define S2AP_R (1ull << 6)
#define S2AP_W (1ull << 7)
#define S2AP_RW (S2AP_R | S2AP_W)
#define S2_XN (1ull << 54)       /* XN[1:0] = 0b10: no execution */
#define S2_XN_PXN (1ull << 53)   /* XN[1:0] = 0b01 (XNX): not at EL1 */
#define S2_XN_UXN (3ull << 53)   /* XN[1:0] = 0b11 (XNX): not at EL0 */

/* Owner annotation (pKVM convention, documented in desc.h): id at [9:2]. */
#define OWNER(id) ((uint64_t)(id) << 2)

/* Sizes. */
#define SZ_4K 0x1000ull
#define SZ_16K 0x4000ull
#define SZ_64K 0x10000ull
#define SZ_2M 0x200000ull
#define SZ_32M 0x2000000ull
#define SZ_512M 0x20000000ull
#define SZ_1G 0x40000000ull

/*
 * Tests that fail because of an open core bug (an open issue) are registered with
 * KNOWN_BUG(): built always, run only with -Dc_args=-DPGT_CORE_KNOWN_BUGS,
 * so main stays green. Remove the wrapper when the bug is fixed.
 */
#ifdef PGT_CORE_KNOWN_BUGS
#define KNOWN_BUG(t) cmocka_unit_test(t)
#else
#define KNOWN_BUG(t) {#t, known_bug_skip, NULL, NULL, (void *)(uintptr_t)(t)}
void known_bug_skip(void **state);
#endif

/* ---- 64-bit equality with hex output ---- */
void assert_u64_eq_(uint64_t got, uint64_t exp, const char *expr,
                    const char *file, int line);
#define assert_u64(got, exp) \
    assert_u64_eq_((uint64_t)(got), (uint64_t)(exp), #got, __FILE__, __LINE__)

/* ---- Hand geometry and reference reader ---- */
struct ref {
    unsigned gs;    /* granule shift: 12, 14, 16 */
    unsigned bpl;   /* bits per level: gs - 3 */
    unsigned ia;    /* input address bits */
    int sl;         /* start level */
    unsigned nroot; /* root pages (concatenation) */
    bool lpa2;      /* FEAT_LPA2 format: OA[51:50] in [9:8], no SH */
    bool lpa64;     /* 64K with 52-bit OA: OA[51:48] in [15:12] */
};

void ref_init(struct ref *r, unsigned gs, unsigned ia, int sl, bool lpa2,
              bool lpa64);
uint64_t ref_shift(const struct ref *r, int level);
/* Output / next-level address held by a descriptor. */
uint64_t ref_oa(const struct ref *r, uint64_t desc);
/* OA field of a descriptor for @pa (the encoding tests write out by hand
 * elsewhere; used only to build table descriptors for walk checks). */
uint64_t ref_oa_field(const struct ref *r, uint64_t pa);

/* Host pointer for fake PA @pa inside arena @m (fails the test if not). */
void *ref_va(const struct tmm *m, uint64_t pa);
uint64_t ref_pa(const struct tmm *m, const void *p);

/* Pointer to the entry at @level that covers @addr, following table
 * descriptors from the root; NULL when a higher entry is not a table. */
uint64_t *ref_ptep(const struct ref *r, const struct tmm *m, uint64_t *pgd,
                   uint64_t addr, int level);
/* The entry at @level covering @addr (fails the test if unreachable). */
uint64_t ref_entry(const struct ref *r, const struct tmm *m, uint64_t *pgd,
                   uint64_t addr, int level);
/* Walk to the first non-table entry; its level in *@level. */
uint64_t ref_leaf(const struct ref *r, const struct tmm *m, uint64_t *pgd,
                  uint64_t addr, int *level);

/* Translate @addr by hand: true with *@pa (and *@leaf, *@level when not
 * NULL) for a valid leaf, false otherwise. */
bool ref_translate(const struct ref *r, const struct tmm *m, uint64_t *pgd,
                   uint64_t addr, uint64_t *pa, uint64_t *leaf, int *level);

/* Table pages reachable from the root, root pages included. */
long ref_count_tables(const struct ref *r, const struct tmm *m,
                      uint64_t *pgd);
/* Every non-root table page: refcount == 1 + counted entries. With @host,
 * valid leaves are not counted. With @root, root pages are checked too. */
void ref_check_refcounts(const struct ref *r, const struct tmm *m,
                         uint64_t *pgd, bool host, bool root);

/* ---- Snapshot of the arena and the struct pgt ---- */
struct snap {
    uint8_t *mem;
    int32_t *refc;
    size_t bytes, nr_pages;
    long live, allocs, frees;
    size_t nlog;
    struct pgt pgt;
};
void snap_take(struct snap *s, const struct tmm *m, const struct pgt *pgt);
/* Every page in use has the same bytes and count, same pages in use, same
 * struct pgt. @strict: also no allocation, free or hook call happened. */
void snap_check_(const struct snap *s, const struct tmm *m,
                 const struct pgt *pgt, bool strict, const char *file,
                 int line);
#define snap_check(s, m, p, strict) \
    snap_check_((s), (m), (p), (strict), __FILE__, __LINE__)
void snap_free(struct snap *s);

/* ---- Event log queries ---- */
/* Whether some TLBI event in the log covers @addr (va/range/all). */
bool log_tlbi_covers(const struct tmm *m, uint64_t addr);
/* Number of events of @kind. */
size_t log_count(const struct tmm *m, enum tmm_event_kind kind);

/* ---- Fixtures ---- */
#define ARENA_PA 0x4000000000ull /* 256 GiB: inside every OA size >= 40 */

struct fx {
    struct tmm m;
    struct pgt pgt;
    struct ref r;
};

/* Arena of @nr_pages granule pages at @pa_base, then pgt_s2_init() with
 * the given configuration, asserting success and that the library's
 * geometry equals the hand-computed one (@sl, root pages from @ia). */
void fx_s2_(struct fx *f, unsigned gs, unsigned ia, unsigned oa, int sl,
            uint32_t geom_flags, uint32_t flags,
            const struct pgt_pte_ops *ops, size_t nr_pages, uint64_t pa_base,
            const char *file, int line);
#define fx_s2(f, gs, ia, oa, sl, gflags, flags) \
    fx_s2_((f), (gs), (ia), (oa), (sl), (gflags), (flags), NULL, 64, \
           ARENA_PA, __FILE__, __LINE__)
/* Stage-1 table (pgt_s1_init) with the hand start level @sl. */
void fx_s1_(struct fx *f, enum pgt_regime regime, unsigned gs, unsigned va,
            unsigned oa, int sl, uint32_t geom_flags, size_t nr_pages,
            uint64_t pa_base, const char *file, int line);
#define fx_hyp(f, gs, va, sl) \
    fx_s1_((f), PGT_REGIME_EL2, (gs), (va), 48, (sl), 0, 64, ARENA_PA, \
           __FILE__, __LINE__)
/* Destroy @pgt (stage 2 or stage 1), assert every page of arena @m came
 * back, free the arena. */
void tmm_table_fini(struct pgt *pgt, struct tmm *m);
/* tmm_table_fini() of the fixture's table and arena. */
void fx_fini(struct fx *f);

/* Entry at @level for @addr in the fixture's table. */
#define E(f, addr, level) ref_entry(&(f)->r, &(f)->m, (f)->pgt.pgd, (addr), (level))

#endif /* PGT_CORE_REF_H */
