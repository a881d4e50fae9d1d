/* SPDX-License-Identifier: MIT */
/*
 * Test memory for translation tables: an arena of granule-sized pages with
 * fake physical addresses, per-page reference counts, allocation failure
 * injection, and a log of every TLB and cache-maintenance hook call.
 *
 * The hooks act on the table's mm_ctx when it is a struct tmm, else (a
 * table created with a NULL mm_ctx) on the current arena (tmm_use()).
 * Tests are single-threaded.
 */
#ifndef PGT_TEST_MM_H
#define PGT_TEST_MM_H

#include <stddef.h>
#include <stdint.h>

#include "pgtable/pgtable.h"

enum tmm_event_kind {
    TMM_TLBI_VA = 1,
    TMM_TLBI_RANGE,
    TMM_TLBI_ALL,
    TMM_DCACHE,
    TMM_ICACHE,
};

struct tmm_event {
    enum tmm_event_kind kind;
    uint64_t addr; /* IA for TLBI, host VA for cache hooks */
    uint64_t size; /* TLBI_RANGE / cache hooks */
    int level;     /* TLBI_VA */
    uint64_t seq;  /* write sequence number when the hook ran */
};

struct tmm {
    uint8_t *base;        /* arena, aligned to 64 KiB */
    uint64_t pa_base;     /* fake physical address of base */
    size_t page_size;     /* granule size */
    size_t nr_pages;
    int32_t *refcount;    /* per page; 0 = free */
    size_t next_hint;     /* where the next search for a free page starts */
    long allocs, frees;   /* successful page allocations / pages freed */
    long live;            /* pages currently allocated */
    long get_calls, put_calls; /* get_page(_n) / put_page(_n) calls */
    long fail_countdown;  /* >0: that many more allocations succeed, then
                           * every one fails; <0: never fail */
    long failed;          /* allocations refused */
    struct tmm_event *log;
    size_t nlog, cap;
    /* Optional observer called on every TLB/cache hook (after logging). */
    void (*on_event)(struct tmm *m, const struct pgt *pgt,
                     const struct tmm_event *ev);
    /* Optional observer called when a page is freed (its count reached 0),
     * with its fake physical address, before it is poisoned. */
    void (*on_free)(struct tmm *m, uint64_t pa);
    void *observer_arg;
};

/* Create an arena of @nr_pages pages of @page_size bytes at fake PA
 * @pa_base (aligned to 64 KiB) and make it current. Aborts on host OOM. */
void tmm_init(struct tmm *m, size_t page_size, size_t nr_pages,
              uint64_t pa_base);
void tmm_fini(struct tmm *m);
void tmm_use(struct tmm *m);

/* Make @m current and as tmm_init() left it, without a new arena: for a
 * caller that runs many short tests (a fuzzer). Every page must be free
 * (aborts otherwise); free pages keep the garbage they were poisoned
 * with. */
void tmm_reset(struct tmm *m);

/* After @n more successful allocations, fail every allocation; -1 to stop
 * failing. */
void tmm_fail_after(struct tmm *m, long n);

/* Reference count of the arena page holding host address @p. */
int tmm_page_ref(const struct tmm *m, const void *p);

/* Forget logged events. */
void tmm_log_clear(struct tmm *m);

/* The hooks (mm_ctx: a struct tmm *, or NULL for the current arena);
 * TLB/cache hooks only log. */
extern const struct pgt_mm_ops tmm_ops;

#endif /* PGT_TEST_MM_H */
