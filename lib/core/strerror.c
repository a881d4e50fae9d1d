// SPDX-License-Identifier: MIT
/*
 * pgt_strerror(): the error codes of errno.h as text, for logs.
 */
#include "pgtable/errno.h"

#include <stddef.h>

const char *pgt_strerror(int err)
{
    if (err >= 0)
        return "no error";
    switch (err) {
    case -PGT_EPERM:
        return "-PGT_EPERM: operation not allowed on this table or page";
    case -PGT_ENOENT:
        return "-PGT_ENOENT: nothing mapped there";
    case -PGT_EAGAIN:
        return "-PGT_EAGAIN: already as asked, nothing done";
    case -PGT_ENOMEM:
        return "-PGT_ENOMEM: out of memory for table pages";
    case -PGT_EFAULT:
        return "-PGT_EFAULT: corrupt table or allocator state";
    case -PGT_EBUSY:
        return "-PGT_EBUSY: resource in use";
    case -PGT_EEXIST:
        return "-PGT_EEXIST: a conflicting mapping is already there";
    case -PGT_EINVAL:
        return "-PGT_EINVAL: invalid argument";
    case -PGT_ERANGE:
        return "-PGT_ERANGE: address or size out of range";
    default:
        return "unknown error";
    }
}
