// SPDX-License-Identifier: MIT
/*
 * Ge, the floor for (e): a lookup's call with no walk. Compiled apart from
 * the scenarios, so that the call is a real one, it has pgt_get_leaf()'s
 * shape: an entry that checks its table and the address against the
 * table's size, then an indirect tail call through the table to a
 * function that writes both results when asked for them.
 */
#include "call_floor.h"

#include <stddef.h>

static int call_floor_leaf(const struct call_floor *cf, uint64_t addr,
                           uint64_t *ptep, int *level)
{
    if (ptep)
        *ptep = cf->attrs | (addr + cf->gran);
    if (level)
        *level = 3;
    return 0;
}

void call_floor_init(struct call_floor *cf, uint64_t size, uint64_t gran,
                     uint64_t attrs)
{
    cf->leaf = call_floor_leaf;
    cf->size = size;
    cf->gran = gran;
    cf->attrs = attrs;
}

int call_floor_get(const struct call_floor *cf, uint64_t addr, uint64_t *ptep,
                   int *level)
{
    if (!cf)
        return -1;
    if (addr >= cf->size)
        return -2;
    return cf->leaf(cf, addr, ptep, level);
}
