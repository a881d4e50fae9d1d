// SPDX-License-Identifier: MIT
/* Minimal FDT walker: root cells and memory nodes. */
#include "dtb_mem.h"

#include <stdbool.h>
#include <stddef.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

/* Header word offsets (all fields big-endian 32-bit). */
#define HDR_MAGIC 0
#define HDR_TOTALSIZE 4
#define HDR_OFF_STRUCT 8
#define HDR_OFF_STRINGS 12
#define HDR_VERSION 20
#define HDR_SIZE_STRUCT 36

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static bool str_eq(const uint8_t *a, const char *b)
{
    while (*b && *a == (uint8_t)*b) {
        a++;
        b++;
    }
    return *b == 0 && *a == 0;
}

/* "memory" or "memory@<unit>" */
static bool is_memory_name(const uint8_t *name)
{
    const char *m = "memory";
    while (*m && *name == (uint8_t)*m) {
        m++;
        name++;
    }
    return *m == 0 && (*name == 0 || *name == '@');
}

static size_t str_len(const uint8_t *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

uint32_t dtb_totalsize(const void *fdt)
{
    const uint8_t *b = fdt;
    if (be32(b + HDR_MAGIC) != FDT_MAGIC)
        return 0;
    return be32(b + HDR_TOTALSIZE);
}

/* A value of @cells 32-bit cells (1 or 2) at @p. */
static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < cells; i++)
        v = v << 32 | be32(p + 4 * i);
    return v;
}

int dtb_memory(const void *fdt, struct dtb_region *out, int max)
{
    const uint8_t *b = fdt;
    if (be32(b + HDR_MAGIC) != FDT_MAGIC || be32(b + HDR_VERSION) < 17)
        return DTB_EBADMAGIC;

    const uint8_t *st = b + be32(b + HDR_OFF_STRUCT);
    const uint8_t *strs = b + be32(b + HDR_OFF_STRINGS);
    uint32_t size = be32(b + HDR_SIZE_STRUCT);
    uint32_t addr_cells = 2, size_cells = 1; /* spec defaults */
    int depth = 0, found = 0;
    /* Properties of the memory node being read (depth 1). */
    bool in_mem = false, mem_is_memory = false;
    const uint8_t *mem_reg = NULL;
    uint32_t mem_reg_len = 0;

    for (uint32_t off = 0; off + 4 <= size;) {
        uint32_t tok = be32(st + off);
        off += 4;
        switch (tok) {
        case FDT_BEGIN_NODE: {
            const uint8_t *name = st + off;
            size_t len = str_len(name, size - off);
            off += (uint32_t)((len + 1 + 3) & ~(size_t)3);
            depth++;
            if (depth == 2 && is_memory_name(name)) {
                in_mem = true;
                mem_is_memory = false;
                mem_reg = NULL;
            }
            break;
        }
        case FDT_END_NODE:
            if (depth == 2 && in_mem) {
                in_mem = false;
                uint32_t cells = addr_cells + size_cells;
                if (mem_is_memory && mem_reg && cells >= 2 && cells <= 4) {
                    for (uint32_t i = 0; i + 4 * cells <= mem_reg_len;
                         i += 4 * cells) {
                        if (found < max) {
                            out[found].base =
                                read_cells(mem_reg + i, addr_cells);
                            out[found].size = read_cells(
                                mem_reg + i + 4 * addr_cells, size_cells);
                        }
                        found++;
                    }
                }
            }
            if (depth == 0)
                return DTB_EBADSTRUCT;
            depth--;
            break;
        case FDT_PROP: {
            if (off + 8 > size)
                return DTB_EBADSTRUCT;
            uint32_t len = be32(st + off);
            const uint8_t *name = strs + be32(st + off + 4);
            const uint8_t *val = st + off + 8;
            off += 8 + ((len + 3) & ~3u);
            if (off > size)
                return DTB_EBADSTRUCT;
            if (depth == 1 && len == 4 && str_eq(name, "#address-cells"))
                addr_cells = be32(val);
            else if (depth == 1 && len == 4 && str_eq(name, "#size-cells"))
                size_cells = be32(val);
            else if (depth == 2 && in_mem && str_eq(name, "device_type"))
                mem_is_memory = len >= 7 && str_eq(val, "memory");
            else if (depth == 2 && in_mem && str_eq(name, "reg")) {
                mem_reg = val;
                mem_reg_len = len;
            }
            break;
        }
        case FDT_NOP:
            break;
        case FDT_END:
            return found;
        default:
            return DTB_EBADSTRUCT;
        }
    }
    return DTB_EBADSTRUCT;
}
