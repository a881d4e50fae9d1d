/* SPDX-License-Identifier: MIT */
/*
 * A table printed as text, for logs and debugging, without libc: the
 * library formats each line and hands it to the embedder's print hook
 * (a UART write at EL2, fputs on a host).
 */
#ifndef PGTABLE_DUMP_H
#define PGTABLE_DUMP_H

#include <stdint.h>

#include "pgt.h"

/* Longest line pgt_dump() prints, its '\n' and NUL included. */
#define PGT_DUMP_LINE_MAX 160

/**
 * typedef pgt_print_fn - the embedder's output hook for pgt_dump().
 * @arg:  the argument given to pgt_dump()
 * @line: one line, NUL-terminated and ending in '\n', at most
 *        PGT_DUMP_LINE_MAX bytes; valid only during the call
 */
typedef void (*pgt_print_fn)(void *arg, const char *line);

/**
 * pgt_dump() - print the entries of @pgt that cover a range, one line each,
 * with runs of similar entries folded into one line.
 * @pgt:   the table (not changed)
 * @addr:  start of the input range, aligned to the granule
 * @size:  length, a multiple of the granule, > 0 (the whole table:
 *         @addr 0, @size 1 << @pgt->geom.ia_bits)
 * @print: called once per line
 * @arg:   passed to @print
 *
 * The first line names the table: its stage (and regime), granule, input
 * and output address sizes, start level, root pages and the root's
 * physical address. Then, in address order, depth first, indented by two
 * spaces per level below the start level, every entry in the range that
 * is not zero:
 *
 *   L1 0x0040000000-0x007fffffff table -> 0x4000003000
 *     L2 0x0040000000-0x00401fffff table -> 0x4000004000
 *       L3 0x0040000000-0x0040002fff 3 pages -> 0x0080000000 RW- normal-wb
 *       L3 0x0040007000-0x0040008fff 2 invalid, owner 1
 *     L2 0x0040200000-0x00405fffff 2 blocks -> 0x0080200000 RWX normal-wb
 *
 * Addresses are hexadecimal, zero-padded to the width of the input (the
 * range, inclusive) or output address size. A table entry shows the
 * physical address of the next-level table. Consecutive leaves at one
 * level whose attributes are identical and whose output addresses follow
 * on are one line (a count of pages or blocks and the first output
 * address), as are consecutive identical invalid entries; a table entry
 * or a zero entry ends a run. A leaf shows its permissions (R, W, X or
 * '-'), its memory type (normal-wb, normal-nc, device), then "user",
 * "pxn", "uxn" and "sw0".."sw3" when in its permission set, "old" when
 * its access flag is clear, "cont" when it has the contiguous hint (the
 * hint is part of the attributes: runs with it are lines of their own),
 * and "attrs 0x..." (the raw attribute bits)
 * when they are not what the library itself would write for that
 * permission set. A non-zero invalid entry shows its owner annotation, or
 * "invalid 0x..." (the raw entry) if it is not one. A block partly inside
 * the range is shown whole.
 *
 * Does not allocate, change the table, or call any hook but phys_to_virt
 * (through pgt_walk()). Take the table's lock around it as for any walk.
 *
 * Return: 0 (also when nothing is mapped: only the first line is
 * printed); -PGT_EINVAL for NULL @pgt or @print, a destroyed table, or an
 * unaligned or empty range; -PGT_ERANGE for a range beyond the table's
 * input address size. Nothing is printed on error.
 */
int pgt_dump(const struct pgt *pgt, uint64_t addr, uint64_t size,
             pgt_print_fn print, void *arg);

#endif /* PGTABLE_DUMP_H */
