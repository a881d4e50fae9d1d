/* SPDX-License-Identifier: MIT */
/* What the loader hands the payload (in x0), and the payload's header. */
#ifndef BOOTLOADER_BOOT_INFO_H
#define BOOTLOADER_BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC 0x6f666e69746f6f62 /* "bootinfo" */

/* In the loader's data: the payload reads it through the identity map
 * (TTBR0), which stays in place. */
struct boot_info {
    uint64_t magic;      /* BOOT_INFO_MAGIC */
    uint64_t payload_pa; /* where the image was copied */
    uint64_t text_size;  /* its read-only executable part */
    uint64_t mem_size;   /* all of it, .bss included */
    uint64_t stack_pa;   /* the stack pages under PAYLOAD_STACK_TOP */
};

/* The payload image's first bytes (layout.h). */
struct payload_header {
    uint32_t branch; /* b payload_start */
    uint32_t pad;
    uint64_t magic;
    uint64_t text_size;
    uint64_t file_size;
    uint64_t mem_size;
    uint64_t link_va;
};

#endif
