/* SPDX-License-Identifier: MIT */
/*
 * Exception vectors shared by the EL2 images and the EL1 host payload: each
 * vector saves a struct trap_frame on the current stack and calls the
 * image's C handler with the vector's index (enum vec_kind); the handler's
 * changes to the frame (registers, ELR, SPSR) are restored by the eret.
 */
#ifndef EL2_TRAP_H
#define EL2_TRAP_H

#include <stdint.h>

struct trap_frame {
    uint64_t x[31];
    uint64_t elr;
    uint64_t spsr;
    uint64_t pad;
};

/* Vector index = offset / 0x80 (Arm ARM D1.10.2). */
enum vec_kind {
    VEC_CUR_SP0_SYNC = 0,
    VEC_CUR_SP0_IRQ,
    VEC_CUR_SP0_FIQ,
    VEC_CUR_SP0_SERROR,
    VEC_CUR_SPX_SYNC, /* 0x200 */
    VEC_CUR_SPX_IRQ,
    VEC_CUR_SPX_FIQ,
    VEC_CUR_SPX_SERROR,
    VEC_LOW64_SYNC, /* 0x400 */
    VEC_LOW64_IRQ,
    VEC_LOW64_FIQ,
    VEC_LOW64_SERROR,
    VEC_LOW32_SYNC, /* 0x600 */
    VEC_LOW32_IRQ,
    VEC_LOW32_FIQ,
    VEC_LOW32_SERROR,
};

/* Name of a vector, for reports ("lower EL AArch64 sync", ...). */
const char *vec_kind_name(unsigned kind);

/* The EL2 images' handler (weak default in common/trap.c: report, exit 1). */
void el2_trap(struct trap_frame *f, unsigned kind);

/* Report ESR/ELR/FAR/SPSR of an unexpected EL2 exception and stop QEMU
 * with exit status 1. */
void __attribute__((noreturn))
el2_unexpected(struct trap_frame *f, unsigned kind);

/* Called by start.S when entered at another exception level. */
void __attribute__((noreturn)) boot_wrong_el(uint64_t el);

#endif /* EL2_TRAP_H */
