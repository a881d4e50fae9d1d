/* SPDX-License-Identifier: MIT */
/*
 * Ge, the floor for (e): the cost of a lookup's call structure alone (see
 * call_floor.c).
 */
#ifndef PGT_BENCH_CALL_FLOOR_H
#define PGT_BENCH_CALL_FLOOR_H

#include <stdint.h>

struct call_floor {
    int (*leaf)(const struct call_floor *cf, uint64_t addr, uint64_t *ptep,
                int *level); /* what the entry calls, as a table's instance */
    uint64_t size;           /* addresses at or above it are refused */
    uint64_t gran;           /* the "leaf" maps addr to addr + gran */
    uint64_t attrs;          /* and carries these attributes */
};

void call_floor_init(struct call_floor *cf, uint64_t size, uint64_t gran,
                     uint64_t attrs);
/* pgt_get_leaf()'s shape: 0 and the two results, or a negative value. */
int call_floor_get(const struct call_floor *cf, uint64_t addr, uint64_t *ptep,
                   int *level);

#endif
