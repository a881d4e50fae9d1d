/* SPDX-License-Identifier: MIT */
/*
 * Where things are, shared by the loader, the payload and their linker
 * scripts (no C in here).
 *
 * Physical (QEMU virt: RAM from 0x40000000, the DTB at its start):
 *   0x09000000        PL011 UART
 *   0x40200000        the loader (LOADER_BASE): text, rodata with the
 *                     payload image in it, data, bss, its stack
 *   0x40800000        PAYLOAD_PA: where the loader copies the payload
 *   0x40900000        PAYLOAD_STACK_PA: the payload's stack pages
 * Virtual, loader (TTBR0_EL1, 39-bit lower range): the identity map of
 * its own image and of the UART.
 * Virtual, payload (TTBR1_EL1, 48-bit upper range, kernel style):
 *   0xffff800010000000  PAYLOAD_VA: its text, then its data (64 KiB apart)
 *   0xffff800020000000  PAYLOAD_STACK_TOP: 16 KiB of stack below it, and
 *                       below that one unmapped guard page
 *   0xffff800009000000  PAYLOAD_UART_VA: the UART again, for the payload
 */
#ifndef BOOTLOADER_LAYOUT_H
#define BOOTLOADER_LAYOUT_H

#define UART_PA 0x09000000
#define LOADER_BASE 0x40200000
#define PAYLOAD_PA 0x40800000
#define PAYLOAD_MAX 0x100000 /* what the loader copies and maps, at most */
#define PAYLOAD_STACK_PA 0x40900000
#define PAYLOAD_STACK_SIZE 0x4000

#define PAYLOAD_VA 0xffff800010000000
#define PAYLOAD_STACK_TOP 0xffff800020000000
#define PAYLOAD_GUARD_VA (PAYLOAD_STACK_TOP - PAYLOAD_STACK_SIZE - 0x1000)
#define PAYLOAD_UART_VA 0xffff800009000000

/* The payload image's header (its first bytes), as arm64 Linux's Image:
 *   +0   b payload_start (the entry)
 *   +8   PAYLOAD_MAGIC
 *   +16  text size: [0, text) read-only executable, 64 KiB aligned
 *   +24  file size: the bytes of the image
 *   +32  memory size: file size plus .bss (to be zeroed), 64 KiB aligned
 *   +40  the address it is linked at (must be PAYLOAD_VA) */
#define PAYLOAD_MAGIC 0x64616f6c796170 /* "payload" */

#endif
