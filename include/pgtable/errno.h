/* SPDX-License-Identifier: MIT */
/*
 * libpgtable error codes.
 *
 * Every libpgtable function that can fail returns one of these, negated
 * (for example -PGT_EINVAL). The values are Linux's errno numbers so an
 * embedder that already speaks -EINVAL can compare directly.
 */
#ifndef PGTABLE_ERRNO_H
#define PGTABLE_ERRNO_H

#define PGT_EPERM   1  /* operation not allowed on this table/regime */
#define PGT_ENOENT  2  /* nothing mapped where a mapping was required */
#define PGT_EAGAIN  11 /* nothing to do / retry: entry already as asked */
#define PGT_ENOMEM  12 /* page allocation failed */
#define PGT_EFAULT  14 /* broken internal state detected (table corrupt) */
#define PGT_EBUSY   16 /* resource in use (e.g. pool page still referenced) */
#define PGT_EEXIST  17 /* conflicting valid mapping already present */
#define PGT_EINVAL  22 /* bad argument: alignment, range, flags, NULL */
#define PGT_ERANGE  34 /* address or size outside the table's IA/OA range */

/**
 * pgt_strerror() - an error code as text, for logs.
 * @err: a value a libpgtable function returned
 *
 * Return: for a negative code of this header, a constant string that
 * starts with its name (e.g. "-PGT_ENOMEM: out of memory for table
 * pages"); "unknown error" for another negative value; "no error" for 0
 * and positive values (the counts some functions return).
 */
const char *pgt_strerror(int err);

#endif /* PGTABLE_ERRNO_H */
