// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: hyp_pool (buddy allocator) against a page-bitmap model.
 *
 * Input: byte 0 picks max_order (0..10) and the number of reserved pages
 * (0..7); then each operation is an opcode byte and an argument byte:
 *   alloc(order)  the model knows which pages are free: success only if a
 *                 naturally aligned run of 2^order free pages lies in the
 *                 range (buddies coalesce fully), failure only if none does;
 *                 a block must be aligned, inside the range, on free pages,
 *                 zeroed, count 1
 *   get / put     on a live block (put to 0 frees it, or its page after a
 *                 split)
 *   split         a live order-n block with count 1 -> 2^n pages
 * After every operation: the count of the block it touched and the pool's
 * free page count equal the model's; every CHECK_EVERY operations and at
 * the end, the count of every live block. At the end every block is put
 * back and the pool must hold every page again, in blocks whose counts add
 * up.
 *
 * Page contents: the target writes each page it is handed in three words
 * only (the first, the last and one that changes with every allocation),
 * with a value of its own. The rest of a page is never written by the
 * target, so a page handed out again is zero if those three words are
 * (checked for every page whose words were written), and one page of each
 * block is read whole besides, for anything the pool itself left in page
 * memory. When a page goes back to the pool its three words must still
 * hold the target's values: the pool wrote nothing into a live block.
 * (Reading and writing whole blocks would cost several times the pool's
 * own work per operation.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgtable/hyp_page.h"
#include "pgtable/hyp_pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPAGES 256u
#define PAGE 4096u
#define WORDS (PAGE / 8u)
#define FIRST_PFN 0x40000u /* fake PA 1 GiB */
#define CHECK_EVERY 16u    /* operations between checks of every count */

/* The model and the checks are the harness, not the code under test: no
 * coverage (their loops ran a tracing call per byte and per page, most of
 * the target's time), and not inlined into the instrumented caller. */
#if defined(__clang__)
#define HARNESS __attribute__((noinline, no_sanitize("coverage")))
/* A read of a whole page of the target's own arena, in bounds: no
 * sanitizer check per word (they kept it from being vectorised). */
#define NO_SAN __attribute__((no_sanitize("address", "undefined")))
#else
#define NO_SAN
#define HARNESS __attribute__((noinline))
#endif

struct block {
    uint32_t idx;   /* page index in the range */
    uint32_t order; /* 0 after a split */
    uint32_t ref;
};

static uint8_t *mem;
static struct hyp_page records[NPAGES];
static uint8_t busy[NPAGES]; /* model: page allocated */
static uint32_t nbusy;       /* pages allocated */
static uint8_t dirty[NPAGES]; /* written since the last input: to clear */
static uint16_t mark_at[NPAGES]; /* the page's third marked word */
static uint64_t mark[NPAGES];    /* the value of its marked words */
static uint32_t nallocs;         /* allocations in this input */
static struct block live[NPAGES];
static size_t nlive;

static void die(const char *what, unsigned a, unsigned b)
{
    fprintf(stderr, "fuzz_pool: %s (%u, %u)\n", what, a, b);
    abort();
}

static void on_panic(enum hyp_page_panic why, uint64_t pfn)
{
    die("panic hook called on a legal operation", (unsigned)why,
        (unsigned)pfn);
}

static void *va_of(uint32_t idx)
{
    return mem + (size_t)idx * PAGE;
}

static uint64_t *words_of(uint32_t idx)
{
    return (uint64_t *)va_of(idx);
}

HARNESS NO_SAN static bool page_zero(uint32_t idx)
{
    const uint64_t *w = words_of(idx);
    uint64_t any = 0;
    for (uint32_t i = 0; i < WORDS; i++)
        any |= w[i];
    return !any;
}

/*
 * Block [idx, idx + n) was just handed out: every page whose words the
 * target wrote must read zero there, and one page (a different one each
 * time) must be zero throughout. Then mark every page.
 */
HARNESS static void take_block(uint32_t idx, uint32_t n)
{
    for (uint32_t k = idx; k < idx + n; k++) {
        const uint64_t *w = words_of(k);
        if (dirty[k] && (w[0] | w[WORDS - 1] | w[mark_at[k]]))
            die("block not zeroed (a word the target wrote)", k, n);
    }
    uint32_t whole = idx + nallocs % n;
    if (!page_zero(whole))
        die("block not zeroed (a page read whole)", whole, n);
    for (uint32_t k = idx; k < idx + n; k++) {
        uint64_t *w = words_of(k);
        /* A word index and a value the pool cannot guess. */
        uint32_t h = (nallocs * 2654435761u) ^ (k * 40503u);
        mark_at[k] = (uint16_t)((h >> 7) % WORDS);
        mark[k] = 0xa5a5000000000000ull | ((uint64_t)nallocs << 16) | k;
        w[0] = w[WORDS - 1] = w[mark_at[k]] = mark[k];
        dirty[k] = 1;
    }
    nallocs++;
}

/* Pages [idx, idx + n) go back to the pool: still as the target left them. */
HARNESS static void give_back(uint32_t idx, uint32_t n)
{
    for (uint32_t k = idx; k < idx + n; k++) {
        const uint64_t *w = words_of(k);
        if (w[0] != mark[k] || w[WORDS - 1] != mark[k] || w[mark_at[k]] != mark[k])
            die("the pool wrote into a live page", k, n);
    }
}

HARNESS static bool aligned_free_run(unsigned order)
{
    uint32_t n = 1u << order;
    for (uint32_t i = 0; i + n <= NPAGES; i += n) {
        uint32_t k = 0;
        while (k < n && !busy[i + k])
            k++;
        if (k == n)
            return true;
    }
    return false;
}

static uint64_t model_free(void)
{
    return NPAGES - nbusy;
}

HARNESS static void check_count(struct hyp_pool *pool, const struct block *b)
{
    unsigned c = hyp_page_count_va(pool, va_of(b->idx));
    if (c != b->ref)
        die("page count differs from the model", c, b->ref);
}

/* The free page count, and the count of every live block (@all) or of
 * @b (NULL: none). */
HARNESS static void check(struct hyp_pool *pool, bool all, const struct block *b)
{
    if (all) {
        for (size_t i = 0; i < nlive; i++)
            check_count(pool, &live[i]);
    } else if (b) {
        check_count(pool, b);
    }
    uint64_t f = hyp_pool_nr_free_pages(pool);
    if (f != model_free())
        die("free pages differ from the model", (unsigned)f,
            (unsigned)model_free());
}

HARNESS static void drop(size_t i)
{
    uint32_t n = 1u << live[i].order;
    give_back(live[i].idx, n);
    for (uint32_t k = 0; k < n; k++)
        busy[live[i].idx + k] = 0;
    nbusy -= n;
    live[i] = live[--nlive];
}

/* The words written by the last input zero again, as HYP_POOL_MEM_ZEROED
 * says the range is (only the marked words were ever written). */
HARNESS static void reset_memory(void)
{
    for (uint32_t i = 0; i < NPAGES; i++)
        if (dirty[i]) {
            uint64_t *w = words_of(i);
            w[0] = w[WORDS - 1] = w[mark_at[i]] = 0;
            dirty[i] = 0;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!mem) {
        mem = aligned_alloc(PAGE * NPAGES, PAGE * NPAGES);
        if (!mem)
            abort();
        memset(mem, 0, PAGE * NPAGES);
    }
    reset_memory();
    memset(records, 0, sizeof(records));
    memset(busy, 0, sizeof(busy));
    nbusy = 0;
    nlive = 0;
    nallocs = 0;

    struct hyp_vmemmap vm;
    uint64_t phys = (uint64_t)FIRST_PFN * PAGE;
    if (hyp_vmemmap_init(&vm, records, FIRST_PFN, NPAGES, 12,
                         (uint64_t)(uintptr_t)mem - phys))
        die("vmemmap init failed", 0, 0);
    vm.panic = on_panic;

    struct hyp_pool_cfg cfg = {.max_order = data[0] % 11,
                               .flags = HYP_POOL_MEM_ZEROED};
    uint32_t reserved = (data[0] / 11) % 8;
    struct hyp_pool pool;
    if (hyp_pool_init(&pool, &vm, FIRST_PFN, NPAGES, reserved, &cfg))
        die("pool init failed", cfg.max_order, reserved);
    for (uint32_t i = 0; i < reserved; i++) {
        busy[i] = 1;
        nbusy++;
        live[nlive++] = (struct block){i, 0, 1};
        /* Reserved pages are the embedder's: as written as any other. */
        take_block(i, 1);
    }
    check(&pool, true, NULL);

    for (size_t pos = 1, nop = 1; pos + 1 < size; pos += 2, nop++) {
        uint8_t op = data[pos] % 4, arg = data[pos + 1];
        size_t pick = nlive ? arg % nlive : 0;
        const struct block *touched = NULL;
        switch (op) {
        case 0: {
            unsigned order = arg % (cfg.max_order + 2);
            uint8_t *p = hyp_alloc_pages(&pool, order);
            bool possible = order <= cfg.max_order && aligned_free_run(order);
            if (!p) {
                if (possible)
                    die("alloc failed with an aligned free run", order, 0);
                break;
            }
            if (!possible)
                die("alloc succeeded without a free run", order, 0);
            size_t off = (size_t)(p - mem);
            uint32_t idx = (uint32_t)(off / PAGE);
            uint32_t n = 1u << order;
            if (p < mem || off % ((size_t)PAGE << order) || idx + n > NPAGES)
                die("block misplaced or misaligned", idx, order);
            for (uint32_t k = 0; k < n; k++)
                if (busy[idx + k])
                    die("block overlaps a live page", idx + k, order);
            take_block(idx, n);
            for (uint32_t k = 0; k < n; k++)
                busy[idx + k] = 1;
            nbusy += n;
            live[nlive] = (struct block){idx, order, 1};
            touched = &live[nlive++];
            break;
        }
        case 1:
            if (!nlive || live[pick].ref >= 1000)
                break;
            hyp_get_page(&pool, va_of(live[pick].idx));
            live[pick].ref++;
            touched = &live[pick];
            break;
        case 2:
            if (!nlive)
                break;
            hyp_put_page(&pool, va_of(live[pick].idx));
            if (--live[pick].ref == 0)
                drop(pick);
            else
                touched = &live[pick];
            break;
        default: {
            if (!nlive || live[pick].ref != 1 || !live[pick].order)
                break;
            struct block b = live[pick];
            hyp_split_page(&pool, &records[b.idx]);
            live[pick] = live[--nlive];
            for (uint32_t k = 0; k < (1u << b.order); k++)
                live[nlive++] = (struct block){b.idx + k, 0, 1};
            touched = &live[nlive - (1u << b.order)]; /* its head page */
            break;
        }
        }
        /* The touched block, or all of them now and then (a write to
         * another block's record shows there, at the latest at the end). */
        check(&pool, nop % CHECK_EVERY == 0, touched);
    }
    check(&pool, true, NULL);

    while (nlive) {
        hyp_put_page(&pool, va_of(live[0].idx));
        if (--live[0].ref == 0)
            drop(0);
    }
    check(&pool, true, NULL);
    uint64_t sum = 0;
    for (unsigned o = 0; o <= HYP_POOL_MAX_ORDER; o++)
        sum += hyp_pool_nr_free_blocks(&pool, o) << o;
    if (sum != NPAGES || hyp_pool_nr_free_pages(&pool) != NPAGES)
        die("pool does not hold every page after all puts", (unsigned)sum,
            NPAGES);
    return 0;
}
