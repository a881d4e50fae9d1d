// SPDX-License-Identifier: MIT
/* QEMU fw_cfg over MMIO with the DMA interface (see fwcfg.h). */
#include "fwcfg.h"

#include <stdbool.h>
#include <stddef.h>

#include "arch.h"

/* MMIO layout on Arm: data, then a 16-bit selector, then the 64-bit DMA
 * address register; all big-endian. */
#define FWCFG_DATA 0x00
#define FWCFG_SELECTOR 0x08
#define FWCFG_DMA 0x10

/* Fixed items. */
#define FWCFG_SIGNATURE 0x0000 /* "QEMU" */
#define FWCFG_ID 0x0001        /* feature bits, little-endian */
#define FWCFG_FILE_DIR 0x0019
#define FWCFG_ID_DMA (1u << 1)

/* DMA control word. */
#define DMA_ERROR (1u << 0)
#define DMA_READ (1u << 1)
#define DMA_SKIP (1u << 2)
#define DMA_SELECT (1u << 3)

struct fwcfg_dma {
    uint32_t control; /* big-endian, like every field */
    uint32_t length;
    uint64_t address;
};

struct fwcfg_file {
    uint32_t size;
    uint16_t select;
    uint16_t reserved;
    char name[56];
};

static uint64_t fw_base;
/* The DMA descriptor and directory entry live in our data, where VA == PA
 * (the device reads and writes them by physical address). */
static volatile struct fwcfg_dma dma __attribute__((aligned(16)));
static struct fwcfg_file entry;

static volatile uint8_t *reg8(uint64_t off)
{
    return (volatile uint8_t *)(uintptr_t)(fw_base + off);
}

static uint32_t be32(uint32_t v)
{
    return __builtin_bswap32(v);
}

/* One DMA transfer: @control (SELECT/READ/SKIP bits, selector in [31:16])
 * of @len bytes to physical @pa. */
static int dma_op(uint32_t control, uint32_t len, uint64_t pa)
{
    dma.control = be32(control);
    dma.length = be32(len);
    dma.address = __builtin_bswap64(pa);
    /* The descriptor must be in memory before the device is told. */
    dsb(sy);
    *(volatile uint64_t *)(uintptr_t)(fw_base + FWCFG_DMA) =
        __builtin_bswap64((uint64_t)(uintptr_t)&dma);
    uint32_t c;
    while ((c = be32(dma.control)) & ~DMA_ERROR)
        ;
    dsb(sy);
    return c & DMA_ERROR ? FWCFG_EIO : 0;
}

int fwcfg_init(uint64_t base)
{
    fw_base = base;
    /* Selector write, then four data-register bytes. */
    *(volatile uint16_t *)(uintptr_t)(base + FWCFG_SELECTOR) =
        __builtin_bswap16(FWCFG_SIGNATURE);
    char sig[4];
    for (int i = 0; i < 4; i++)
        sig[i] = (char)*reg8(FWCFG_DATA);
    if (sig[0] != 'Q' || sig[1] != 'E' || sig[2] != 'M' || sig[3] != 'U')
        return FWCFG_ENODEV;
    *(volatile uint16_t *)(uintptr_t)(base + FWCFG_SELECTOR) =
        __builtin_bswap16(FWCFG_ID);
    uint32_t id = 0;
    for (int i = 0; i < 4; i++)
        id |= (uint32_t)*reg8(FWCFG_DATA) << (8 * i);
    return id & FWCFG_ID_DMA ? 0 : FWCFG_ENODEV;
}

static bool name_eq(const char *a, const char *b, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        if (a[i] != b[i])
            return false;
        if (!a[i])
            return true;
    }
    return false;
}

int fwcfg_find(const char *name, uint16_t *select, uint32_t *size)
{
    static uint32_t count;
    int ret = dma_op((uint32_t)FWCFG_FILE_DIR << 16 | DMA_SELECT | DMA_READ,
                     sizeof(count), (uint64_t)(uintptr_t)&count);
    if (ret)
        return ret;
    /* Entries follow the count; each read continues where the last one
     * stopped. */
    for (uint32_t i = 0; i < be32(count); i++) {
        ret = dma_op(DMA_READ, sizeof(entry), (uint64_t)(uintptr_t)&entry);
        if (ret)
            return ret;
        if (name_eq(entry.name, name, sizeof(entry.name))) {
            *select = __builtin_bswap16(entry.select);
            *size = be32(entry.size);
            return 0;
        }
    }
    return FWCFG_ENOENT;
}

int fwcfg_read(uint16_t select, uint32_t offset, uint64_t pa, uint32_t len)
{
    int ret = dma_op((uint32_t)select << 16 | DMA_SELECT | DMA_SKIP, offset, 0);
    if (ret)
        return ret;
    return dma_op(DMA_READ, len, pa);
}
