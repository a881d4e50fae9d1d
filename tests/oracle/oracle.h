/* SPDX-License-Identifier: MIT */
/*
 * The Unicorn oracle: an emulated AArch64 CPU (Unicorn Engine 2.0.1) walks
 * translation tables that live in a test_mm arena, in place, and reports
 * what the hardware would do with each address (AT + PAR_EL1), plus real
 * loads and stores through the tables.
 *
 * Physical memory seen by the emulated CPU (all below 2^44, the models'
 * PARange):
 *   ORC_CODE_PA   64 KiB  guest code (AT loops, setup, load/store loops)
 *   ORC_DATA_PA   64 KiB  load/store test arrays (address in, value out)
 *   ORC_BATCH_PA  2 MiB   AT input addresses / PAR_EL1 results
 *   ORC_RAM_PA    ORC_RAM_SIZE  "target RAM": every 8-byte word holds
 *                 orc_ram_word(its PA), so a load shows which PA it read
 *   the arena     at tmm.pa_base, mapped in place (uc_mem_map_ptr)
 *
 * The CPU is taken to EL3 (MMU off, SCR_EL3 = NS|RW|HCE) once; AT loops
 * run there and walk the regime the last orc_set_*() call programmed
 * (see ../../../shared/EMULATORS.md for why each step is done this way).
 */
#ifndef PGT_TEST_ORACLE_H
#define PGT_TEST_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "test_mm.h"

#define ORC_CODE_PA 0x20000ull
#define ORC_DATA_PA 0x30000ull
#define ORC_WIN_SIZE 0x10000ull /* each of code and data: one 64K page */
#define ORC_BATCH_PA 0x1000000ull
#define ORC_BATCH_MAX 65536     /* addresses per emulation run */
/* EL0 runs (orc_set_el0()) execute the code window and use the data
 * window through these aliases, which the tables under test must map to
 * ORC_CODE_PA (USER, read-only, executable) and ORC_DATA_PA (USER, RW). */
#define ORC_EL0_CODE_VA 0x08000000ull
#define ORC_EL0_DATA_VA 0x08010000ull
#define ORC_RAM_PA 0x40000000ull
#define ORC_RAM_SIZE 0x400000ull /* 4 MiB */
#define ORC_MEM_MAX 2048        /* addresses per load/store run */

static inline uint64_t orc_ram_word(uint64_t pa)
{
    return pa ^ 0x5eed000000000000ull;
}

/* Which AT instruction. */
enum orc_at {
    ORC_AT_S1E2R,
    ORC_AT_S1E2W,
    ORC_AT_S1E1R,
    ORC_AT_S1E1W,
    ORC_AT_S1E0R,
    ORC_AT_S1E0W,
    ORC_AT_S12E1R,
    ORC_AT_S12E1W,
    ORC_AT_S1E3R,
    ORC_AT_S1E3W,
    ORC_AT_NR,
};

/* Translation regime programmed for the next AT / load / store runs. */
enum orc_regime {
    ORC_NONE,
    ORC_S1_EL2,  /* TTBR0_EL2/TCR_EL2/MAIR_EL2, SCTLR_EL2.M = 1 */
    ORC_S1_EL10, /* TTBR0_EL1/TTBR1_EL1/TCR_EL1/MAIR_EL1, SCTLR_EL1.M = 1,
                  * HCR.VM = 0 */
    ORC_S1_EL3,  /* TTBR0_EL3/TCR_EL3/MAIR_EL3, SCTLR_EL3.M = 1: the AT
                  * loops then run through the tables under test, which
                  * must map the code, data and batch windows */
    ORC_S1_EL20, /* HCR_EL2.E2H = 1 (TGE = 0, as hVHE): TTBR0_EL2/
                  * TTBR1_EL2/TCR_EL2/MAIR_EL2, SCTLR_EL2.M = 1 for the
                  * loads, stores and fetches at EL2; the same tables in
                  * TTBR0_EL1/TTBR1_EL1/TCR_EL1 for AT (see
                  * orc_set_s1_el20()) */
    ORC_S2,      /* VTTBR_EL2/VTCR_EL2, HCR_EL2.VM = 1, SCTLR_EL1.M = 0,
                  * HCR_EL2.DC = 1 (see orc_set_s2) */
    ORC_S12,     /* both stages of EL1&0: stage-1 tables live in IPA space */
};

/* Fault kinds decoded from PAR_EL1.FST. */
enum orc_fault {
    ORC_OK = 0,
    ORC_F_TRANS,  /* translation fault */
    ORC_F_AF,     /* access flag fault */
    ORC_F_PERM,   /* permission fault */
    ORC_F_ASIZE,  /* address size fault */
    ORC_F_OTHER,  /* anything else (external abort, ...) */
};

/* A decoded PAR_EL1. */
struct orc_par {
    uint64_t raw;
    enum orc_fault fault;
    int level;     /* fault level (0..3; -1 for level -1) */
    bool s2;       /* S: fault at stage 2 */
    bool ptw;      /* PTW: stage-2 fault on a stage-1 table walk */
    uint32_t fst;  /* raw FST */
    uint64_t pa;   /* PA[51:12] << 12, on success */
    uint8_t attr;  /* ATTR (MAIR encoding), on success */
    uint8_t sh;    /* SH, on success */
    bool ns;
};

void orc_par_decode(uint64_t par, struct orc_par *out);
const char *orc_fault_name(enum orc_fault f);

struct orc;

/* Start an emulated CPU (Cortex-A72 model) at EL3 with @arena's pages as
 * physical RAM at arena->pa_base. Aborts on any Unicorn error. */
struct orc *orc_open(struct tmm *arena);
/* The same, on the MAX model with @vhe (FEAT_VHE: what orc_set_s1_el20()
 * needs), else Cortex-A72. */
struct orc *orc_open_cpu(struct tmm *arena, bool vhe);
void orc_close(struct orc *o);

/* Program a regime (from EL3, with TLBI ALLE2/ALLE1 + DSB + ISB after). */
void orc_set_s1_el2(struct orc *o, uint64_t ttbr0, uint64_t tcr, uint64_t mair);
void orc_set_s1_el10(struct orc *o, uint64_t ttbr0, uint64_t tcr,
                     uint64_t mair);
/* EL1&0 with both TTBRs. */
void orc_set_s1_el10_2(struct orc *o, uint64_t ttbr0, uint64_t ttbr1,
                       uint64_t tcr, uint64_t mair);
/* EL3: AT S1E3R/W and loads/stores/fetches at EL3. */
void orc_set_s1_el3(struct orc *o, uint64_t ttbr0, uint64_t tcr,
                    uint64_t mair);
/*
 * EL2&0 (E2H = 1): loads, stores and fetches at EL2 go through
 * TTBR0_EL2/TTBR1_EL2 with @tcr as TCR_EL2, the real EL2&0 regime.
 * Unicorn 2.0.1's AT S1E2R/W ignore E2H (they walk as E2H = 0, like
 * QEMU before 7.x), so for AT the same tables and @tcr go to
 * TTBR0_EL1/TTBR1_EL1/TCR_EL1 too: EL1&0 reads the same descriptor and
 * TCR layouts with the same rules (AP[1] EL0 access, PXN/UXN, nG, two
 * ranges), and AT S1E1R/W and S1E0R/W stand for S1E2R/W and EL0.
 */
void orc_set_s1_el20(struct orc *o, uint64_t ttbr0, uint64_t ttbr1,
                     uint64_t tcr, uint64_t mair);
/*
 * Stage 2 alone: stage 1 of EL1&0 is off, so S12E1R/W give the stage-2
 * translation of IA = IPA. HCR_EL2.DC = 1 makes "stage 1 off" Normal
 * write-back non-shareable (Arm ARM D8.2.11) instead of Device-nGnRnE, so
 * PAR_EL1.ATTR/SH show the stage-2 MemAttr and SH combined with it:
 * MemAttr WB -> 0xff with the descriptor's SH, Device-nGnRE -> 0x04,
 * Normal NC -> 0x44, both outer shareable (checked on this Unicorn).
 */
void orc_set_s2(struct orc *o, uint64_t vttbr, uint64_t vtcr);
/* Stage 1 EL1&0 on top of stage 2 (HCR_EL2.VM = 1, DC = 0): S12E1R/W
 * give the full translation, S1E1R/W the IPA. */
void orc_set_s12(struct orc *o, uint64_t ttbr0_el1, uint64_t tcr_el1,
                 uint64_t mair_el1, uint64_t vttbr, uint64_t vtcr);
/* Stage 2 with an exact HCR_EL2 (RW is forced on). */
void orc_set_s2_hcr(struct orc *o, uint64_t vttbr, uint64_t vtcr,
                    uint64_t hcr);
/* Same regime, tables edited: TLBI + DSB + ISB from the guest. */
void orc_tlbi(struct orc *o);

/* Run @op on each of @ia[0..n) and store PAR_EL1 in @par[i]. */
void orc_at(struct orc *o, enum orc_at op, const uint64_t *ia, uint64_t *par,
            size_t n);

/*
 * Loads and stores at the EL the regime belongs to (EL3 for ORC_S1_EL3,
 * EL2 for ORC_S1_EL2 and ORC_S1_EL20, EL1 for ORC_S1_EL10 and ORC_S2),
 * running the code at ORC_CODE_PA and
 * using ORC_DATA_PA: the tables under test must map both windows
 * identically (code executable, data writable). @va must be 8-byte
 * aligned. Every VA is shadow-mapped in Unicorn first (EMULATORS.md rule 3).
 *
 * orc_load: @val[i] = *(u64 *)va[i] for i < n; stops at the first access
 * that faults. orc_store: *(u64 *)va[i] = val[i].
 * Return: n if no access faulted, else the index of the faulting access.
 */
size_t orc_load(struct orc *o, const uint64_t *va, uint64_t *val, size_t n);
/* From now on (@el0 true) loads, stores and fetches run at EL0, in the
 * EL1&0 or EL2&0 regime programmed (EL2&0 with HCR_EL2.TGE = 1 for the
 * run), through the ORC_EL0_* aliases. The CPU comes back to EL3 by
 * restoring its saved context (an ERET at EL0 is undefined). */
void orc_set_el0(struct orc *o, bool el0);
size_t orc_store(struct orc *o, const uint64_t *va, const uint64_t *val,
                 size_t n);

/*
 * Instruction fetches: branch-and-link to each @va[i] (which must hold
 * ORC_INSN_RET at its PA) at the regime's EL, with the same window and
 * shadow rules as loads. @ok[i]: the fetch and return worked (false: the
 * fetch faulted). Return: the number that worked.
 */
#define ORC_INSN_RET 0xd65f03c0u
size_t orc_exec(struct orc *o, const uint64_t *va, bool *ok, size_t n);

/* The host pointer to emulated physical memory at @pa (RAM window or
 * arena), or NULL. */
void *orc_phys(struct orc *o, uint64_t pa);
/* Refill the RAM window with orc_ram_word(). */
void orc_ram_reset(struct orc *o);

/* What one AT must return; attr/sh < 0: not checked. */
#define ORC_ANY_LEVEL (-100)
struct orc_expect {
    enum orc_fault fault;
    int level;    /* fault level, or ORC_ANY_LEVEL */
    bool s2;      /* fault reported at stage 2 */
    uint64_t pa;  /* on success: the full PA of the input address */
    int attr;     /* PAR.ATTR */
    int sh;       /* PAR.SH */
    bool check_ns; /* compare PAR.NS (EL3: the descriptor's NS bit) */
    bool ns;
};

/*
 * Compare PAR values with expectations. Prints the first few mismatches,
 * labelled with @what, the AT name and the address.
 * Return: number of mismatches.
 */
size_t orc_compare(const char *what, enum orc_at op, const uint64_t *ia,
                   const uint64_t *par, const struct orc_expect *exp,
                   size_t n);
const char *orc_at_name(enum orc_at op);

/* Totals over the process (for the closing line of each test). */
struct orc_stats {
    uint64_t ats;        /* AT instructions run */
    uint64_t loads;      /* loads run */
    uint64_t stores;     /* stores run */
    uint64_t fetches;    /* instruction fetches (orc_exec) that worked */
    uint64_t fetch_faults; /* ... and that faulted */
    uint64_t emu_runs;   /* uc_emu_start calls */
    uint64_t el0;        /* loads, stores, fetches tried at EL0 */
};
extern struct orc_stats orc_stats;

#endif /* PGT_TEST_ORACLE_H */
