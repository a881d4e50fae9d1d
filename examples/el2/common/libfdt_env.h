/* SPDX-License-Identifier: MIT */
/*
 * The environment libfdt expects from its embedder (libfdt.h includes
 * <libfdt_env.h>), for pgt-hyp's freestanding build: the DTB's big-endian
 * cell types and the few C library functions libfdt calls, which
 * common/libc.c provides. Debian's libfdt-dev ships a hosted version of
 * this file; the build leaves it out so that this one is found.
 */
#ifndef EL2_LIBFDT_ENV_H
#define EL2_LIBFDT_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Cells are stored big-endian; the types only document that. */
typedef uint16_t fdt16_t;
typedef uint32_t fdt32_t;
typedef uint64_t fdt64_t;

static inline uint16_t fdt16_to_cpu(fdt16_t x)
{
    return __builtin_bswap16(x);
}
static inline fdt16_t cpu_to_fdt16(uint16_t x)
{
    return __builtin_bswap16(x);
}
static inline uint32_t fdt32_to_cpu(fdt32_t x)
{
    return __builtin_bswap32(x);
}
static inline fdt32_t cpu_to_fdt32(uint32_t x)
{
    return __builtin_bswap32(x);
}
static inline uint64_t fdt64_to_cpu(fdt64_t x)
{
    return __builtin_bswap64(x);
}
static inline fdt64_t cpu_to_fdt64(uint64_t x)
{
    return __builtin_bswap64(x);
}

void *memchr(const void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
unsigned long strtoul(const char *s, char **end, int base);

#endif /* EL2_LIBFDT_ENV_H */
