/* SPDX-License-Identifier: MIT */
/*
 * QEMU's fw_cfg device (docs/specs/fw_cfg.rst in QEMU's tree), as the
 * hypervisor uses it to load the host's kernel and initramfs: named files
 * ("-fw_cfg name=opt/pgt-hyp/kernel,file=Image") read by DMA straight into
 * physical memory. The device can write any physical address, so only the
 * hypervisor may ever drive it: the host never sees it (linux.c).
 */
#ifndef PGT_HYP_FWCFG_H
#define PGT_HYP_FWCFG_H

#include <stdint.h>

/* Errors of the calls below (the library's codes name table errors). */
#define FWCFG_ENODEV (-19) /* no fw_cfg, or one without DMA */
#define FWCFG_ENOENT (-2)  /* no such file */
#define FWCFG_EIO (-5)     /* the device reported a DMA error */

/* Bind to the device's registers at @base (mapped device memory); checks
 * the "QEMU" signature and the DMA interface. 0 or FWCFG_ENODEV. */
int fwcfg_init(uint64_t base);

/* Look up file @name: its selector and size. 0 or FWCFG_ENOENT. */
int fwcfg_find(const char *name, uint16_t *select, uint32_t *size);

/* DMA @len bytes of item @select, starting @offset bytes in, to physical
 * address @pa. 0 or FWCFG_EIO. */
int fwcfg_read(uint16_t select, uint32_t offset, uint64_t pa, uint32_t len);

#endif /* PGT_HYP_FWCFG_H */
