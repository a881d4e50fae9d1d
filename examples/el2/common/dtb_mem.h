/* SPDX-License-Identifier: MIT */
/*
 * A minimal flattened-device-tree reader (Devicetree Specification v0.4,
 * chapter 5): enough to find the RAM ranges ("memory" nodes under the root)
 * in the DTB QEMU passes in x0. Reads byte by byte (safe with the MMU off,
 * where unaligned accesses to Device memory fault), which is why the
 * hypervisor's MMU-off boot uses it; everything later uses libfdt
 * (hyp/linux.c).
 */
#ifndef EL2_DTB_MEM_H
#define EL2_DTB_MEM_H

#include <stdint.h>

struct dtb_region {
    uint64_t base;
    uint64_t size;
};

#define DTB_EBADMAGIC (-1)  /* not a DTB, or an unsupported version */
#define DTB_EBADSTRUCT (-2) /* structure block malformed or truncated */

/* Total size of the blob in bytes, or 0 if @fdt is not a DTB. */
uint32_t dtb_totalsize(const void *fdt);

/*
 * dtb_memory() - the RAM ranges of the root's memory nodes (nodes named
 * "memory" or "memory@..." whose device_type is "memory"), in DTB order.
 * @fdt: the blob; @out: array of @max regions
 * Return: number of regions found (entries past @max are counted, not
 * stored), or FDT_E* (negative).
 */
int dtb_memory(const void *fdt, struct dtb_region *out, int max);

#endif /* EL2_DTB_MEM_H */
