/* SPDX-License-Identifier: MIT */
/* libpgtable: AArch64 translation tables. Include this for the whole API. */
#ifndef PGTABLE_PGTABLE_H
#define PGTABLE_PGTABLE_H

#include "check.h"
#include "desc.h"
#include "dump.h"
#include "errno.h"
#include "hyp_page.h"
#include "hyp_pool.h"
#include "early_alloc.h"
#include "mm_pool.h"
#include "reserve.h"
#include "mm_ops.h"
#include "pgt.h"
#include "s1.h"
#include "s2.h"
/* Generated at configure time: in the build tree, or installed beside the
 * other headers. */
#include "pgtable/version.h"

#endif /* PGTABLE_PGTABLE_H */
