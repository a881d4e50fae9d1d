/* SPDX-License-Identifier: MIT */
/*
 * AArch64 system-register access, barriers and the register fields the EL2
 * examples program. Field positions are from the Arm ARM (DDI 0487), chapter
 * D19 (AArch64 system register descriptions).
 */
#ifndef EL2_ARCH_H
#define EL2_ARCH_H

#include <stdint.h>

#define read_sysreg(r)                                                         \
    ({                                                                         \
        uint64_t __v;                                                          \
        __asm__ volatile("mrs %0, " #r : "=r"(__v));                           \
        __v;                                                                   \
    })

#define write_sysreg(v, r)                                                     \
    do {                                                                       \
        uint64_t __v = (uint64_t)(v);                                          \
        __asm__ volatile("msr " #r ", %0" : : "r"(__v));                       \
    } while (0)

#define isb() __asm__ volatile("isb" : : : "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt : : : "memory")

/* CurrentEL.EL is bits [3:2]. */
#define CURRENTEL_EL(v) (((v) >> 2) & 3)

/* HCR_EL2 (D19.2.48). */
#define HCR_VM (1ull << 0) /* stage-2 translation for EL1&0 */
#define HCR_SWIO (1ull << 1)
#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)
#define HCR_AMO (1ull << 5)
#define HCR_DC (1ull << 12)  /* EL1&0 stage 1 off = Normal WB */
#define HCR_TSC (1ull << 19) /* trap SMC from EL1 */
#define HCR_RW (1ull << 31)  /* EL1 is AArch64 */
#define HCR_E2H (1ull << 34) /* 0: nVHE */
#define HCR_APK (1ull << 40) /* EL1 pointer-auth key registers not trapped */
#define HCR_API (1ull << 41) /* EL1 pointer-auth instructions not trapped */
/* The nVHE host: AArch64 EL1, no VHE, nothing routed but SMC. */
#define HCR_HOST_NVHE (HCR_RW | HCR_TSC)

/* SCTLR_EL2, non-VHE layout (D19.2.118). */
#define SCTLR_M (1ull << 0)
#define SCTLR_A (1ull << 1)
#define SCTLR_C (1ull << 2)
#define SCTLR_SA (1ull << 3)
#define SCTLR_I (1ull << 12)
#define SCTLR_WXN (1ull << 19)
#define SCTLR_EE (1ull << 25)
/* RES1 bits of SCTLR_EL2 when HCR_EL2.E2H == 0: 4, 5, 11, 16, 18, 22, 23,
 * 28, 29. */
#define SCTLR_EL2_RES1 0x30c50830ull
#define SCTLR_EL2_MMU_OFF (SCTLR_EL2_RES1)
#define SCTLR_EL2_MMU_ON                                                       \
    (SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I | SCTLR_WXN)

/* CNTHCTL_EL2 with HCR_EL2.E2H == 0 (D19.11.2): EL1 physical counter
 * and timer access. */
#define CNTHCTL_EL1PCTEN (1ull << 0)
#define CNTHCTL_EL1PCEN (1ull << 1)

/* CPTR_EL2 with HCR_EL2.E2H == 0 (D19.2.32): RES1 bits 13, 9, 7:0; TZ
 * (SVE) and TSM (SME) are RES1 without their feature too. */
#define CPTR_EL2_RES1 0x22ffull
#define CPTR_EL2_TZ (1ull << 8)
#define CPTR_EL2_TSM (1ull << 12)
/* ZCR_EL2.LEN / SMCR_EL2.LEN at their maximum: the host picks. */
#define ZCR_ELX_LEN_MAX 0xfull
#define SMCR_ELX_LEN_MAX 0xfull
#define SMCR_ELX_FA64 (1ull << 31)

/* ICC_SRE_EL2 (GICv3): system-register interface at EL2, and EL1 may use
 * it too. */
#define ICC_SRE_EL2_SRE (1ull << 0)
#define ICC_SRE_EL2_ENABLE (1ull << 3)

/* SCTLR_EL1 RES1 bits (7, 8 are SED/ITD for AArch32; 11, 20, 22, 23, 28,
 * 29 are RES1 without the features that redefine them). */
#define SCTLR_EL1_RES1 0x30d00800ull

/* SPSR for an exception return to EL1h with DAIF masked (C5.2.19). */
#define SPSR_EL1H 0x5ull
#define SPSR_MODE_MASK 0xfull
#define SPSR_EL0T 0x0ull
#define SPSR_EL1T 0x4ull
#define SPSR_DAIF (0xfull << 6)
#define SPSR_SSBS (1ull << 12)
#define SPSR_PAN (1ull << 22)
#define SPSR_DIT (1ull << 24)
/* SCTLR_EL1 bits that decide PSTATE on an exception to EL1. */
#define SCTLR_EL1_SPAN (1ull << 23)
#define SCTLR_EL1_DSSBS (1ull << 44)

/* ESR_ELx (D19.2.41). */
#define ESR_EC_SHIFT 26
#define ESR_EC(esr) (((esr) >> ESR_EC_SHIFT) & 0x3f)
#define ESR_IL (1ull << 25)
#define ESR_ISS(esr) ((esr)&0x1ffffff)
#define ESR_EC_UNKNOWN 0x00
#define ESR_EC_HVC64 0x16
#define ESR_EC_SMC64 0x17
#define ESR_EC_SYS64 0x18
#define ESR_EC_IABT_LOW 0x20
#define ESR_EC_IABT_CUR 0x21
#define ESR_EC_DABT_LOW 0x24
#define ESR_EC_DABT_CUR 0x25
/* Data/instruction abort ISS: fault status code, and the WnR bit. */
#define ESR_FSC(esr) ((esr)&0x3f)
#define ESR_FSC_TYPE(esr) ((esr)&0x3c)
#define ESR_FSC_TRANS 0x04 /* translation fault, level in [1:0] */
#define ESR_FSC_PERM 0x0c
#define ESR_FSC_SEA 0x10 /* synchronous external abort, not on a walk */
#define ESR_CM (1ull << 8)
#define ESR_WNR (1ull << 6)
#define ESR_S1PTW (1ull << 7)

/* HPFAR_EL2.FIPA holds IPA[51:12] in bits [47:4] (D19.2.51). */
#define HPFAR_FIPA_MASK 0x0000fffffffffff0ull /* [47:4] with FEAT_LPA */
static inline uint64_t hpfar_to_ipa(uint64_t hpfar)
{
    return (hpfar & HPFAR_FIPA_MASK) << 8;
}

/* PAR_EL1 (D19.2.100). */
#define PAR_F (1ull << 0)
#define PAR_FST(par) (((par) >> 1) & 0x3f)
#define PAR_S (1ull << 9)
#define PAR_PA_MASK 0x000ffffffffff000ull /* PA[51:12] */
#define PAR_ATTR(par) ((par) >> 56)
#define PAR_SH(par) (((par) >> 7) & 3)

/* PSCI function ids and a return code (DEN0022). */
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_RET_INVALID_PARAMS (-2)

#endif /* EL2_ARCH_H */
