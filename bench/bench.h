/* SPDX-License-Identifier: MIT */
/*
 * pgt-bench internals: the timing harness, the embedder-style page pool
 * behind the tables' mm_ops, and the scenario groups (issue 6).
 *
 * Every scenario is a setup (untimed), one timed run, and a teardown
 * (untimed), repeated; the harness keeps every sample and reports best and
 * median in ns per unit (a 4 KiB page of input address space, a call, or
 * an allocator operation).
 */
#ifndef PGT_BENCH_H
#define PGT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pgtable/pgtable.h"

#define BENCH_MAX_REPS 64
#define BENCH_MAX_CPUS 64 /* CPUs --cpu auto times at most */

/* ---- options ---- */
struct bench_opts {
    int reps;         /* repetitions per scenario */
    bool quick;       /* fewer repetitions, smaller allocator loops */
    bool check;       /* verify results (translations, coalescing) */
    const char *only; /* comma-separated ids, id@shape or @shape, or NULL */
    const char *json; /* JSON output path, or NULL */
    double load_start, load_end; /* 1-minute load average around the run */
    const char *cpu_spec;        /* --cpu: "auto", "none" or a number */
    int cpu;                     /* the CPU the run is pinned to, or -1 */
    int ncal;                    /* CPUs timed by --cpu auto */
    int cal_cpu[BENCH_MAX_CPUS]; /* their numbers */
    double cal_ns[BENCH_MAX_CPUS]; /* their call loop's ns per call */
    double end_ns;               /* the chosen CPU's call loop at the end */
};
extern struct bench_opts bopt;

/* ---- targets ---- */
enum target_kind {
    TGT_NONE = 0,
    TGT_NS,      /* median ns/unit <= value */
    TGT_X_G,     /* median / G (same granule) <= value */
    TGT_X_GD,    /* median / Gd <= value */
    TGT_X_ZERO,  /* median / (zero 2 MiB) <= value */
    TGT_INFO,    /* no bound: value is a figure for context (Linux) */
    TGT_X_LINUX, /* Linux figure (the row's INFO) / median >= value */
    TGT_X_REF,   /* median / median of the row named by result.cmp <= value */
    TGT_TLBI,    /* TLB-hook calls in one run <= value (not a time) */
};

#define BENCH_MAX_TARGETS 4

struct target {
    enum target_kind kind;
    double value;
};

/* ---- results ---- */
struct result {
    char name[16];     /* scenario id: "a", "c2", "G", "h"... */
    char granule[8];   /* "4K", "16K", "64K" or "-" */
    char shape[12];    /* granule/IPA bits ("4K/40", "16K/47"...) or "-" */
    const char *desc;  /* one line */
    const char *unit;  /* "4KiB", "call", "op", "page" */
    uint64_t units;    /* units per timed run */
    int nsamples;
    double sample_ns[BENCH_MAX_REPS]; /* whole-run times */
    double best, median;              /* ns per unit */
    double ratio;      /* median / reference (G, Gd, zero), 0 if none */
    const char *ratio_ref; /* "G", "Gd", "Z" */
    uint64_t table_pages; /* table pages in use at the end of the run
                           * (maps) or before it (unmaps/walks) */
    uint64_t peak_bytes;  /* peak table (or pool) memory during the run */
    uint64_t tlbi;        /* TLB-hook calls in one run */
    uint64_t tlb_entries; /* TLB entries the GiB's leaves need, the
                           * contiguous hint counted (0: not measured) */
    struct target tgt[BENCH_MAX_TARGETS];
    const char *cmp;      /* a row of the same shape the ratio is taken
                           * against (TGT_X_REF), or NULL */
    double linux_ns;      /* the row's INFO figure, 0 if none */
    double x_faster;      /* linux_ns / median, 0 if no figure */
    bool pass;            /* every bounded target met (by median) */
    bool ran;
    const char *skip;     /* reason it did not run, or NULL */
    bool check_failed;
};

/* @shape: "4K/40" style, or "-" (the granule is its part before '/'). */
struct result *result_new(const char *name, const char *shape,
                          const char *desc, const char *unit);
struct result *result_find(const char *name, const char *shape);
void result_add_sample(struct result *r, double run_ns);
void result_finish(struct result *r); /* best/median; call once */
void results_evaluate(void);          /* ratios and pass/miss */
void results_print(void);
/* After the table: per one-page scenario, the spread across the shapes of
 * bench_shapes and each shape's no-hints / hinted ratio. */
void results_print_shapes(void);
int results_write_json(const char *path);
int results_check_failures(void);

bool scenario_wanted(const char *name);            /* at shape "-" */
bool scenario_wanted_at(const char *name, const char *shape);
void bench_fail(struct result *r, const char *fmt, ...);

/* ---- clock ---- */
uint64_t now_ns(void);

/* ---- shared helpers (harness.c) ---- */
/* Sorts @s[0..@n) in place (so @s[0] is the least) and returns the median. */
double bench_median(double *s, int n);
struct call_floor;
/* Ge's loop: call_floor_get() at every @gran step of [0, @size), the sum of
 * both results (for a sink). Outside call_floor.c, so each call is real. */
uint64_t bench_call_floor_loop(const struct call_floor *cf, uint64_t size,
                               uint64_t gran);

/* ---- CPU placement (cpu.c) ---- */
/* Pin the process as --cpu @spec says ("auto": the fastest CPU at a short
 * call loop); fills bopt.cpu and the calibration. 0, or -1 with a message. */
int bench_pin(const char *spec);
/* The chosen CPU's call loop again, after the scenarios. */
void bench_pin_recheck(void);
/* One line saying where the run ran, what each CPU timed at the start and
 * the chosen one at the end. */
void bench_pin_print(FILE *f);

/* ---- deterministic random numbers (splitmix64) ---- */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
void shuffle_u64(uint64_t *v, size_t n, uint64_t seed);
void shuffle_u32(uint32_t *v, size_t n, uint64_t seed);

/* ---- the embedder's page pool (bpool.c) ---- */
/*
 * A pool of granule-sized pages over one host buffer with fake physical
 * addresses, as an embedder's memcache/hyp_pool would be: zalloc_page pops
 * a page from a LIFO free stack and zeroes it (inside the timed region),
 * get/put keep a per-page count, and the TLB/cache hooks are real,
 * separately compiled functions that count their calls.
 */
struct bpool {
    uint8_t *base;
    void *map;          /* the host mapping behind base, and its size */
    size_t map_bytes;
    uint64_t pa_base;
    size_t gran;        /* page size */
    unsigned gran_shift; /* log2(gran): no division in the hooks */
    size_t nr;          /* pages */
    uint32_t *stack;    /* free page indices; top = stack[nfree - 1] */
    size_t nfree;
    int32_t *ref;
    size_t exact_pages; /* first pages kept for zalloc_pages_exact */
    uint8_t *exact_used;
    size_t used, peak;  /* pages handed out (incl. exact), high-water */
};

struct hook_counts {
    uint64_t tlbi_va, tlbi_range, tlbi_all, dcache, icache;
    uint64_t zalloc, get, put;
    uint64_t range_lo, range_hi; /* the span the tlbi_range calls covered */
};
extern struct hook_counts hooks;
extern struct bpool *bp_cur;
extern struct pgt_mm_ops bpool_ops; /* linear: set by bpool_use() */
/* The same pool with only the required hooks: no linear map, no count
 * array, no get_page_n/put_page_n (set by bpool_use() too). */
extern struct pgt_mm_ops bpool_nh_ops;
/* The same pool without tlbi_range: range operations invalidate leaf by
 * leaf up to the threshold, then with one tlbi_all (set by bpool_use()). */
extern struct pgt_mm_ops bpool_nr_ops;

/* Host memory, huge-page backed where the kernel allows, faulted in. */
void *bench_map(size_t bytes);
void bpool_init(struct bpool *p, size_t gran, size_t nr_pages,
                uint64_t pa_base);
void bpool_fini(struct bpool *p);
void bpool_use(struct bpool *p);
void bpool_reset_peak(struct bpool *p);
/* Restore the initial free order (so each repetition sees the same pages
 * in the same order); only valid when nothing is allocated. */
void bpool_restack(struct bpool *p);
void *bpool_page(struct bpool *p, size_t idx);
static inline uint64_t hooks_tlbi(void)
{
    return hooks.tlbi_va + hooks.tlbi_range + hooks.tlbi_all;
}
void hooks_reset(void);

/* The same pages behind the library's hyp_pool (call after every other
 * user of the bpool's memory: it zeroes the pool once). */
int bpool_hyp_pool_init(struct bpool *p);
extern struct pgt_mm_ops hpool_ops;
/* The mm_ctx a table on @ops needs (the bpool, or the hyp_pool). */
void *bpool_mm_ctx(const struct pgt_mm_ops *ops);
size_t bpool_hyp_pool_used(void); /* pages of the hyp_pool in use */

/* ---- scenario groups ---- */
void bench_tables(void);    /* a..f, G, Gd for 4K, 16K, 64K; the shapes */
/* The stage-2 shapes the one-page scenarios are compared across. */
extern const char *const bench_shapes[];
extern const int bench_nshapes;
void bench_zero(void);      /* Z: zeroing 2 MiB (reference for i) */
void bench_alloc(void);     /* h, i, k1, k2, l, j */

#endif /* PGT_BENCH_H */
