// SPDX-License-Identifier: MIT
/* Test memory for translation tables; see test_mm.h. */
#include "test_mm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tmm *cur;

#define ARENA_ALIGN (64u * 1024u)

void tmm_init(struct tmm *m, size_t page_size, size_t nr_pages,
              uint64_t pa_base)
{
    memset(m, 0, sizeof(*m));
    if (pa_base % ARENA_ALIGN) {
        fprintf(stderr, "tmm_init: pa_base %#llx not 64K aligned\n",
                (unsigned long long)pa_base);
        abort();
    }
    m->page_size = page_size;
    m->nr_pages = nr_pages;
    m->pa_base = pa_base;
    m->base = aligned_alloc(ARENA_ALIGN,
                            (nr_pages * page_size + ARENA_ALIGN - 1) /
                                ARENA_ALIGN * ARENA_ALIGN);
    m->refcount = calloc(nr_pages, sizeof(*m->refcount));
    if (!m->base || !m->refcount) {
        fprintf(stderr, "tmm_init: host out of memory\n");
        abort();
    }
    /* Garbage, so a page handed out without zeroing is noticed. */
    memset(m->base, 0xa5, nr_pages * page_size);
    m->fail_countdown = -1;
    cur = m;
}

void tmm_fini(struct tmm *m)
{
    free(m->base);
    free(m->refcount);
    free(m->log);
    if (cur == m)
        cur = NULL;
    memset(m, 0, sizeof(*m));
}

void tmm_use(struct tmm *m)
{
    cur = m;
}

void tmm_reset(struct tmm *m)
{
    if (m->live) {
        fprintf(stderr, "tmm_reset: %ld pages still allocated\n", m->live);
        abort();
    }
    /* Allocation order restarts too: a rerun gets the same addresses. */
    m->next_hint = 0;
    m->allocs = m->frees = 0;
    m->get_calls = m->put_calls = 0;
    m->fail_countdown = -1;
    m->failed = 0;
    m->nlog = 0;
    m->on_event = NULL;
    m->on_free = NULL;
    m->observer_arg = NULL;
    cur = m;
}

void tmm_fail_after(struct tmm *m, long n)
{
    m->fail_countdown = n;
}

static size_t page_index(const struct tmm *m, const void *p)
{
    const uint8_t *b = p;
    if (!m || b < m->base || b >= m->base + m->nr_pages * m->page_size) {
        fprintf(stderr, "tmm: address %p is not in the arena\n", p);
        abort();
    }
    return (size_t)(b - m->base) / m->page_size;
}

int tmm_page_ref(const struct tmm *m, const void *p)
{
    return m->refcount[page_index(m, p)];
}

void tmm_log_clear(struct tmm *m)
{
    m->nlog = 0;
}

static int may_allocate(struct tmm *m)
{
    if (m->fail_countdown == 0) {
        m->failed++;
        return 0;
    }
    if (m->fail_countdown > 0)
        m->fail_countdown--;
    return 1;
}

/* First run of @n free pages whose index is a multiple of @align. */
static void *take_run(struct tmm *m, size_t n, size_t align)
{
    if (!may_allocate(m))
        return NULL;
    for (size_t pass = 0; pass < 2; pass++) {
        size_t start = pass ? 0 : (m->next_hint + align - 1) / align * align;
        for (size_t i = start; i + n <= m->nr_pages; i += align) {
            size_t j = 0;
            while (j < n && m->refcount[i + j] == 0)
                j++;
            if (j < n)
                continue;
            for (j = 0; j < n; j++)
                m->refcount[i + j] = 1;
            memset(m->base + i * m->page_size, 0, n * m->page_size);
            m->allocs += (long)n;
            m->live += (long)n;
            m->next_hint = i + n;
            return m->base + i * m->page_size;
        }
    }
    m->failed++;
    return NULL;
}

/* The arena a hook acts on: the table's mm_ctx, or the current one. */
static struct tmm *arena(void *ctx)
{
    return ctx ? ctx : cur;
}

static void *tmm_zalloc_page(void *ctx, void *arg)
{
    (void)arg;
    return take_run(arena(ctx), 1, 1);
}

static void *tmm_zalloc_pages_exact(void *ctx, size_t size)
{
    struct tmm *m = arena(ctx);
    size_t n = (size + m->page_size - 1) / m->page_size;
    size_t align = 1;
    while (align < n)
        align <<= 1;
    return take_run(m, n, align);
}

static void release(struct tmm *m, size_t idx)
{
    if (m->on_free)
        m->on_free(m, m->pa_base + idx * m->page_size);
    /* Poison freed pages so a use after free reads garbage. */
    memset(m->base + idx * m->page_size, 0x5a, m->page_size);
    m->frees++;
    m->live--;
}

static void tmm_free_pages_exact(void *ctx, void *addr, size_t size)
{
    struct tmm *m = arena(ctx);
    size_t idx = page_index(m, addr);
    size_t n = (size + m->page_size - 1) / m->page_size;
    for (size_t i = idx; i < idx + n; i++) {
        if (m->refcount[i] != 1) {
            fprintf(stderr, "tmm: free_pages_exact of page %zu with count %d\n",
                    i, m->refcount[i]);
            abort();
        }
        m->refcount[i] = 0;
        release(m, i);
    }
}

static void tmm_get_page_n(void *ctx, void *addr, int n)
{
    struct tmm *m = arena(ctx);
    size_t idx = page_index(m, addr);
    m->get_calls++;
    if (m->refcount[idx] <= 0) {
        fprintf(stderr, "tmm: get_page on free page %zu\n", idx);
        abort();
    }
    m->refcount[idx] += n;
}

static void tmm_put_page_n(void *ctx, void *addr, int n)
{
    struct tmm *m = arena(ctx);
    size_t idx = page_index(m, addr);
    m->put_calls++;
    if (m->refcount[idx] < n) {
        fprintf(stderr, "tmm: put_page underflow on page %zu (%d - %d)\n", idx,
                m->refcount[idx], n);
        abort();
    }
    m->refcount[idx] -= n;
    if (m->refcount[idx] == 0)
        release(m, idx);
}

static void tmm_get_page(void *ctx, void *addr)
{
    tmm_get_page_n(ctx, addr, 1);
}

static void tmm_put_page(void *ctx, void *addr)
{
    tmm_put_page_n(ctx, addr, 1);
}

static int tmm_page_count(void *ctx, void *addr)
{
    struct tmm *m = arena(ctx);
    return m->refcount[page_index(m, addr)];
}

static void *tmm_phys_to_virt(void *ctx, uint64_t phys)
{
    struct tmm *m = arena(ctx);
    uint64_t off = phys - m->pa_base;
    if (phys >= m->pa_base && off < m->nr_pages * m->page_size)
        return m->base + off;
    /* Mapped memory outside the arena (cache hooks only): never read. */
    return (void *)(uintptr_t)phys;
}

static uint64_t tmm_virt_to_phys(void *ctx, void *addr)
{
    struct tmm *m = arena(ctx);
    return m->pa_base + (uint64_t)((uint8_t *)addr - m->base);
}

static void log_event(struct tmm *m, const struct pgt *pgt,
                      enum tmm_event_kind kind, uint64_t addr, uint64_t size,
                      int level)
{
    if (m->nlog == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->log = realloc(m->log, m->cap * sizeof(*m->log));
        if (!m->log)
            abort();
    }
    struct tmm_event *ev = &m->log[m->nlog++];
    ev->kind = kind;
    ev->addr = addr;
    ev->size = size;
    ev->level = level;
    ev->seq = m->nlog;
    if (m->on_event)
        m->on_event(m, pgt, ev);
}

static void tmm_dcache(void *ctx, void *addr, size_t size)
{
    log_event(arena(ctx), NULL, TMM_DCACHE, (uint64_t)(uintptr_t)addr, size, 0);
}

static void tmm_icache(void *ctx, void *addr, size_t size)
{
    log_event(arena(ctx), NULL, TMM_ICACHE, (uint64_t)(uintptr_t)addr, size, 0);
}

static void tmm_tlbi_va(const struct pgt *pgt, uint64_t addr, int level)
{
    log_event(arena(pgt->mm_ctx), pgt, TMM_TLBI_VA, addr, 0, level);
}

static void tmm_tlbi_range(const struct pgt *pgt, uint64_t addr, uint64_t size)
{
    log_event(arena(pgt->mm_ctx), pgt, TMM_TLBI_RANGE, addr, size, 0);
}

static void tmm_tlbi_all(const struct pgt *pgt)
{
    log_event(arena(pgt->mm_ctx), pgt, TMM_TLBI_ALL, 0, 0, 0);
}

const struct pgt_mm_ops tmm_ops = {
    .zalloc_page = tmm_zalloc_page,
    .zalloc_pages_exact = tmm_zalloc_pages_exact,
    .free_pages_exact = tmm_free_pages_exact,
    .get_page = tmm_get_page,
    .put_page = tmm_put_page,
    .get_page_n = tmm_get_page_n,
    .put_page_n = tmm_put_page_n,
    .page_count = tmm_page_count,
    .phys_to_virt = tmm_phys_to_virt,
    .virt_to_phys = tmm_virt_to_phys,
    .dcache_clean_inval_poc = tmm_dcache,
    .icache_inval_pou = tmm_icache,
    .tlbi_va = tmm_tlbi_va,
    .tlbi_range = tmm_tlbi_range,
    .tlbi_all = tmm_tlbi_all,
};
