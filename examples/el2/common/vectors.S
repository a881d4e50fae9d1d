/* SPDX-License-Identifier: MIT */
/*
 * Exception vector tables. "vector_table NAME, EL, HANDLER" builds a 2 KiB
 * aligned table whose sixteen entries each save a trap frame (asm.h) on the
 * current stack and call HANDLER(frame, index); when HANDLER returns, the
 * frame (possibly edited: registers, ELR, SPSR) is restored and the entry
 * erets. This file builds el2_vectors (VBAR_EL2, handler el2_trap); the
 * host payload includes it to build its VBAR_EL1 table.
 */
#include "asm.h"

.macro ventry name, kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #FRAME_X(0)]
    mov     x0, #\kind
    b       \name\()_common
.endm

.macro vector_table name, el, handler
    .section .text.vectors, "ax"
    .balign 0x800
    .global \name
\name:
    ventry \name, 0
    ventry \name, 1
    ventry \name, 2
    ventry \name, 3
    ventry \name, 4
    ventry \name, 5
    ventry \name, 6
    ventry \name, 7
    ventry \name, 8
    ventry \name, 9
    ventry \name, 10
    ventry \name, 11
    ventry \name, 12
    ventry \name, 13
    ventry \name, 14
    ventry \name, 15
    .balign 0x80
\name\()_common:
    stp     x2, x3, [sp, #FRAME_X(2)]
    stp     x4, x5, [sp, #FRAME_X(4)]
    stp     x6, x7, [sp, #FRAME_X(6)]
    stp     x8, x9, [sp, #FRAME_X(8)]
    stp     x10, x11, [sp, #FRAME_X(10)]
    stp     x12, x13, [sp, #FRAME_X(12)]
    stp     x14, x15, [sp, #FRAME_X(14)]
    stp     x16, x17, [sp, #FRAME_X(16)]
    stp     x18, x19, [sp, #FRAME_X(18)]
    stp     x20, x21, [sp, #FRAME_X(20)]
    stp     x22, x23, [sp, #FRAME_X(22)]
    stp     x24, x25, [sp, #FRAME_X(24)]
    stp     x26, x27, [sp, #FRAME_X(26)]
    stp     x28, x29, [sp, #FRAME_X(28)]
    mrs     x1, elr_el\el
    mrs     x2, spsr_el\el
    stp     x30, x1, [sp, #FRAME_X(30)]
    str     x2, [sp, #FRAME_SPSR]

    mov     x1, x0                      /* vector index */
    mov     x0, sp                      /* struct trap_frame * */
    bl      \handler

    ldr     x2, [sp, #FRAME_SPSR]
    ldp     x30, x1, [sp, #FRAME_X(30)]
    msr     elr_el\el, x1
    msr     spsr_el\el, x2
    ldp     x0, x1, [sp, #FRAME_X(0)]
    ldp     x2, x3, [sp, #FRAME_X(2)]
    ldp     x4, x5, [sp, #FRAME_X(4)]
    ldp     x6, x7, [sp, #FRAME_X(6)]
    ldp     x8, x9, [sp, #FRAME_X(8)]
    ldp     x10, x11, [sp, #FRAME_X(10)]
    ldp     x12, x13, [sp, #FRAME_X(12)]
    ldp     x14, x15, [sp, #FRAME_X(14)]
    ldp     x16, x17, [sp, #FRAME_X(16)]
    ldp     x18, x19, [sp, #FRAME_X(18)]
    ldp     x20, x21, [sp, #FRAME_X(20)]
    ldp     x22, x23, [sp, #FRAME_X(22)]
    ldp     x24, x25, [sp, #FRAME_X(24)]
    ldp     x26, x27, [sp, #FRAME_X(26)]
    ldp     x28, x29, [sp, #FRAME_X(28)]
    add     sp, sp, #FRAME_SIZE
    eret
.endm

#ifndef VECTORS_NO_EL2
vector_table el2_vectors, 2, el2_trap
#endif
