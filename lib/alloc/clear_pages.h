/* SPDX-License-Identifier: MIT */
/*
 * The portable page zeroing behind hyp_clear_pages(), inline for the
 * allocator's fast path (lib-internal).
 *  - x86-64 (host builds): REP STOSB, which CPUs with ERMS/FSRM run at
 *    memset speed.
 *  - elsewhere: one 64-byte line per iteration; -fno-builtin and
 *    -fno-tree-loop-distribute-patterns keep the compiler from turning it
 *    into a memset call. At EL2 (-mgeneral-regs-only) that is stp xzr
 *    pairs. DC ZVA is faster but faults on Device memory (MMU off), so an
 *    EL2 port that knows its memory is Normal plugs it in as a hook.
 * @size is a multiple of 64 bytes.
 */
#ifndef PGT_CLEAR_PAGES_H
#define PGT_CLEAR_PAGES_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
static inline void pgt_clear_pages_inline(void *addr, size_t size)
{
    __asm__ volatile("rep stosb" : "+D"(addr), "+c"(size) : "a"(0) : "memory");
}
#elif defined(__SSE2__)
typedef uint64_t pgt_clear_vec __attribute__((vector_size(16), aligned(16)));

static inline void pgt_clear_pages_inline(void *addr, size_t size)
{
    pgt_clear_vec *p = addr;
    pgt_clear_vec *end = (pgt_clear_vec *)((uint8_t *)addr + size);
    const pgt_clear_vec z = {0, 0};

    while (p < end) {
        p[0] = z;
        p[1] = z;
        p[2] = z;
        p[3] = z;
        p += 4;
    }
}
#else
static inline void pgt_clear_pages_inline(void *addr, size_t size)
{
    uint64_t *p = addr;
    uint64_t *end = (uint64_t *)((uint8_t *)addr + size);

    while (p < end) {
        p[0] = 0;
        p[1] = 0;
        p[2] = 0;
        p[3] = 0;
        p[4] = 0;
        p[5] = 0;
        p[6] = 0;
        p[7] = 0;
        p += 8;
    }
}
#endif

#endif /* PGT_CLEAR_PAGES_H */
