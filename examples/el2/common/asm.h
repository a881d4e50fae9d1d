/* SPDX-License-Identifier: MIT */
/* Constants shared by the assembly files (no C in here). */
#ifndef EL2_ASM_H
#define EL2_ASM_H

/* SCTLR_EL2 with the MMU off: the nVHE RES1 bits only (see arch.h). */
#define SCTLR_EL2_MMU_OFF_VAL 0x30c50830

/* Trap frame: x0..x30, ELR, SPSR (struct trap_frame in trap.h). */
#define FRAME_X(n) ((n)*8)
#define FRAME_ELR (31 * 8)
#define FRAME_SPSR (32 * 8)
#define FRAME_SIZE (34 * 8) /* 16-byte aligned */

#endif
