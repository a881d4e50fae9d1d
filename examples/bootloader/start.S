/* SPDX-License-Identifier: MIT */
/*
 * The loader's entry: QEMU (-M virt, no EL2 or EL3) jumps here at EL1
 * with the MMU off and x0 = the DTB. Sets the stack, zeroes .bss and
 * calls loader_main(dtb).
 */
    .section .text.boot, "ax"
    .global _start
_start:
    mov     x19, x0
    adrp    x1, __stack_top
    add     x1, x1, :lo12:__stack_top
    mov     sp, x1
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2              /* 16-byte aligned: 8-byte stores are */
    b.hs    2f                  /* aligned (MMU off: memory is Device) */
    str     xzr, [x1], #8
    b       1b
2:  mov     x0, x19
    bl      loader_main
3:  wfi
    b       3b
