// SPDX-License-Identifier: MIT
/*
 * pgt_dump() (dump.h): the exact text printed for tables whose entries are
 * written here by hand, descriptor by descriptor (fields from core_ref.h,
 * i.e. from the Arm ARM), so the expected lines depend on nothing the
 * library computes.
 *
 * Stage-2 table (4K, 40-bit IPA, root at level 1: 2 pages at ARENA_PA):
 *
 *   L1[1]    -> L2 table (arena page 60)
 *       L2[0] -> L3 table (arena page 61)
 *           [0..2] RW pages 0x80000000..      one line: 3 pages
 *           [3]    RW page 0x80009000         OA does not follow on
 *           [4]    RW page 0x8000a000, AF 0   "old"
 *           [5..6] zero                       not shown
 *           [7..8] owner 1                    one line
 *           [9]    device page 0x09000000
 *           [10]   invalid, AF bit only       not an owner annotation
 *       L2[1..2] RWX 2M blocks 0x80200000..   one line: 2 blocks
 *       L2[3]    RWX block + SW0              "sw0"
 *       L2[4]    RWX block + bit 11           not the library's encoding
 *   L1[2]    R 1G block 0xc0000000
 *   L1[1023] RW normal-NC 1G block 0xffc0000000 (last entry of the IA)
 */
#include "core_ref.h"

#include <stdio.h>
#include <string.h>

#include "pgtable/dump.h"

#define T2_PA (ARENA_PA + 60 * SZ_4K)
#define T3_PA (ARENA_PA + 61 * SZ_4K)

/* Stage-2 leaf attributes: MemAttr, S2AP, SH, AF, XN. */
#define S2_RW_WB (MEMATTR(MA_NORMAL_WB) | S2AP_RW | SH_INNER | AF | S2_XN)
#define S2_RWX_WB (MEMATTR(MA_NORMAL_WB) | S2AP_RW | SH_INNER | AF)
#define S2_R_WB (MEMATTR(MA_NORMAL_WB) | S2AP_R | SH_INNER | AF | S2_XN)
#define S2_RW_NC (MEMATTR(MA_NORMAL_NC) | S2AP_RW | SH_INNER | AF | S2_XN)
#define S2_RW_DEV (MEMATTR(MA_DEVICE_nGnRE) | S2AP_RW | SH_INNER | AF | S2_XN)

/* Everything printed, concatenated, and the number of lines. */
struct out {
    char text[4096];
    size_t len;
    int lines;
};

static void collect(void *arg, const char *line)
{
    struct out *o = arg;
    size_t n = strlen(line);

    assert_true(n > 0 && n < PGT_DUMP_LINE_MAX);
    assert_int_equal(line[n - 1], '\n');
    assert_true(o->len + n < sizeof(o->text));
    memcpy(o->text + o->len, line, n + 1);
    o->len += n;
    o->lines++;
}

/* An arena page the library does not use (free pages are poisoned). */
static uint64_t *page_va(struct fx *f, uint64_t pa)
{
    uint64_t *p = ref_va(&f->m, pa);

    memset(p, 0, SZ_4K);
    return p;
}

static void build_s2(struct fx *f)
{
    fx_s2(f, 12, 40, 40, 1, 0, 0);
    assert_u64(f->pgt.pgd_phys, ARENA_PA);
    uint64_t *root = f->pgt.pgd;
    uint64_t *t2 = page_va(f, T2_PA);
    uint64_t *t3 = page_va(f, T3_PA);

    root[1] = T2_PA | D_TABLE;
    t2[0] = T3_PA | D_TABLE;
    t3[0] = 0x80000000 | S2_RW_WB | D_PAGE;
    t3[1] = 0x80001000 | S2_RW_WB | D_PAGE;
    t3[2] = 0x80002000 | S2_RW_WB | D_PAGE;
    t3[3] = 0x80009000 | S2_RW_WB | D_PAGE;
    t3[4] = 0x8000a000 | (S2_RW_WB & ~AF) | D_PAGE;
    t3[7] = OWNER(1);
    t3[8] = OWNER(1);
    t3[9] = 0x09000000 | S2_RW_DEV | D_PAGE;
    t3[10] = AF;
    t2[1] = 0x80200000 | S2_RWX_WB | D_BLOCK;
    t2[2] = 0x80400000 | S2_RWX_WB | D_BLOCK;
    t2[3] = 0x80600000 | S2_RWX_WB | SW(0) | D_BLOCK;
    t2[4] = 0x80800000 | S2_RWX_WB | (1ull << 11) | D_BLOCK;
    root[2] = 0xc0000000 | S2_R_WB | D_BLOCK;
    root[1023] = 0xffc0000000 | S2_RW_NC | D_BLOCK;
}

/* Unhook the hand-made tables so destroy frees only the library's root. */
static void unbuild_s2(struct fx *f)
{
    uint64_t *root = f->pgt.pgd;

    root[1] = root[2] = root[1023] = 0;
    fx_fini(f);
}

static const char s2_title[] =
    "stage 2: 4K granule, 40-bit IA, 40-bit OA, start level 1, "
    "2 root pages at 0x4000000000\n";

static void whole_stage2_table_folds_runs(void **state)
{
    (void)state;
    struct fx f;
    struct out o = { .len = 0 };

    build_s2(&f);
    assert_int_equal(pgt_dump(&f.pgt, 0, 1ull << 40, collect, &o), 0);
    assert_string_equal(o.text,
        "stage 2: 4K granule, 40-bit IA, 40-bit OA, start level 1, "
        "2 root pages at 0x4000000000\n"
        "L1 0x0040000000-0x007fffffff table -> 0x400003c000\n"
        "  L2 0x0040000000-0x00401fffff table -> 0x400003d000\n"
        "    L3 0x0040000000-0x0040002fff 3 pages -> 0x0080000000 RW- normal-wb\n"
        "    L3 0x0040003000-0x0040003fff 1 page -> 0x0080009000 RW- normal-wb\n"
        "    L3 0x0040004000-0x0040004fff 1 page -> 0x008000a000 RW- normal-wb old\n"
        "    L3 0x0040007000-0x0040008fff 2 invalid, owner 1\n"
        "    L3 0x0040009000-0x0040009fff 1 page -> 0x0009000000 RW- device\n"
        "    L3 0x004000a000-0x004000afff 1 invalid 0x0000000000000400\n"
        "  L2 0x0040200000-0x00405fffff 2 blocks -> 0x0080200000 RWX normal-wb\n"
        "  L2 0x0040600000-0x00407fffff 1 block -> 0x0080600000 RWX normal-wb sw0\n"
        "  L2 0x0040800000-0x00409fffff 1 block -> 0x0080800000 RWX normal-wb "
        "attrs 0x0000000000000ffc\n"
        "L1 0x0080000000-0x00bfffffff 1 block -> 0x00c0000000 R-- normal-wb\n"
        "L1 0xffc0000000-0xffffffffff 1 block -> 0xffc0000000 RW- normal-nc\n");
    assert_int_equal(o.lines, 14);
    unbuild_s2(&f);
}

static void range_shows_only_the_entries_it_covers(void **state)
{
    (void)state;
    struct fx f;
    struct out o = { .len = 0 };

    build_s2(&f);
    /* Pages [1..2] of the first run: the run starts at the range. */
    assert_int_equal(pgt_dump(&f.pgt, 0x40001000, 2 * SZ_4K, collect, &o), 0);
    assert_string_equal(o.text, "stage 2: 4K granule, 40-bit IA, 40-bit OA, "
        "start level 1, 2 root pages at 0x4000000000\n"
        "L1 0x0040000000-0x007fffffff table -> 0x400003c000\n"
        "  L2 0x0040000000-0x00401fffff table -> 0x400003d000\n"
        "    L3 0x0040001000-0x0040002fff 2 pages -> 0x0080001000 RW- normal-wb\n");

    /* A block partly inside the range is shown whole. */
    o.len = 0;
    o.lines = 0;
    assert_int_equal(pgt_dump(&f.pgt, 0x80001000, SZ_4K, collect, &o), 0);
    assert_string_equal(o.text, "stage 2: 4K granule, 40-bit IA, 40-bit OA, "
        "start level 1, 2 root pages at 0x4000000000\n"
        "L1 0x0080000000-0x00bfffffff 1 block -> 0x00c0000000 R-- normal-wb\n");

    /* Nothing mapped: the title alone. */
    o.len = 0;
    o.lines = 0;
    assert_int_equal(pgt_dump(&f.pgt, 0x100000000ull, SZ_1G, collect, &o), 0);
    assert_string_equal(o.text, s2_title);
    unbuild_s2(&f);
}

static void bad_arguments_print_nothing(void **state)
{
    (void)state;
    struct fx f;
    struct out o = { .len = 0 };

    build_s2(&f);
    assert_int_equal(pgt_dump(NULL, 0, SZ_4K, collect, &o), -PGT_EINVAL);
    assert_int_equal(pgt_dump(&f.pgt, 0, SZ_4K, NULL, &o), -PGT_EINVAL);
    assert_int_equal(pgt_dump(&f.pgt, 0x800, SZ_4K, collect, &o), -PGT_EINVAL);
    assert_int_equal(pgt_dump(&f.pgt, 0, 0x1800, collect, &o), -PGT_EINVAL);
    assert_int_equal(pgt_dump(&f.pgt, 0, 0, collect, &o), -PGT_EINVAL);
    assert_int_equal(pgt_dump(&f.pgt, 1ull << 40, SZ_4K, collect, &o), -PGT_ERANGE);
    assert_int_equal(pgt_dump(&f.pgt, (1ull << 40) - SZ_4K, 2 * SZ_4K, collect, &o),
                     -PGT_ERANGE);
    assert_int_equal(pgt_dump(&f.pgt, SZ_4K, ~0ull - SZ_4K + 1, collect, &o),
                     -PGT_ERANGE);
    assert_int_equal(o.lines, 0);
    unbuild_s2(&f);

    /* A destroyed table. */
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    pgt_s2_destroy(&f.pgt);
    assert_int_equal(pgt_dump(&f.pgt, 0, SZ_4K, collect, &o), -PGT_EINVAL);
    assert_int_equal(o.lines, 0);
    tmm_fini(&f.m);
}

/* Stage 1 EL2 (4K, 39-bit VA, root at level 1, one page):
 *   L1[1] -> L2 table (page 60); L2[0] -> L3 table (page 61):
 *     [0..1] text R-X, [2] data RW- XN, [3] UART device RW- XN,
 *     [4] RWX: a combination the library refuses to write. */
static void stage1_el2_table(void **state)
{
    (void)state;
    struct fx f;
    struct out o = { .len = 0 };
    const uint64_t text = S1_ATTRINDX(MAIR_NORMAL) | S1_AP1 | S1_AP2_RO | SH_INNER | AF;
    const uint64_t data = S1_ATTRINDX(MAIR_NORMAL) | S1_AP1 | SH_INNER | AF | S1_XN;
    const uint64_t dev = S1_ATTRINDX(MAIR_DEVICE) | S1_AP1 | SH_INNER | AF | S1_XN;
    const uint64_t rwx = S1_ATTRINDX(MAIR_NORMAL) | S1_AP1 | SH_INNER | AF;

    fx_hyp(&f, 12, 39, 1);
    uint64_t *root = f.pgt.pgd;
    uint64_t *t2 = page_va(&f, T2_PA);
    uint64_t *t3 = page_va(&f, T3_PA);
    root[1] = T2_PA | D_TABLE;
    t2[0] = T3_PA | D_TABLE;
    t3[0] = 0x40200000 | text | D_PAGE;
    t3[1] = 0x40201000 | text | D_PAGE;
    t3[2] = 0x40220000 | data | D_PAGE;
    t3[3] = 0x09000000 | dev | D_PAGE;
    t3[4] = 0x40300000 | rwx | D_PAGE;

    assert_int_equal(pgt_dump(&f.pgt, 0, 1ull << 39, collect, &o), 0);
    assert_string_equal(o.text,
        "stage 1 EL2: 4K granule, 39-bit IA, 48-bit OA, start level 1, "
        "1 root page at 0x004000000000\n"
        "L1 0x0040000000-0x007fffffff table -> 0x00400003c000\n"
        "  L2 0x0040000000-0x00401fffff table -> 0x00400003d000\n"
        "    L3 0x0040000000-0x0040001fff 2 pages -> 0x000040200000 R-X normal-wb\n"
        "    L3 0x0040002000-0x0040002fff 1 page -> 0x000040220000 RW- normal-wb\n"
        "    L3 0x0040003000-0x0040003fff 1 page -> 0x000009000000 RW- device\n"
        "    L3 0x0040004000-0x0040004fff 1 page -> 0x000040300000 RWX normal-wb "
        "attrs 0x0000000000000740\n");
    root[1] = 0;
    fx_fini(&f);
}

/* Every code errno.h defines, with its text. */
/* A map the library makes with the contiguous hint: the runs with the
 * hint are their own lines, marked "cont". */
static void contiguous_runs_are_marked(void **state)
{
    (void)state;
    struct fx f;
    struct out o = { .len = 0 };

    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* 49 pages from 0x40003000: 13 pages, two runs of 16, 4 pages. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40003000, 49 * SZ_4K, 0x80003000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_dump(&f.pgt, 0x40000000, SZ_2M, collect, &o), 0);
    /* The tables' addresses, read by the reference walker. */
    unsigned long long l2 = ref_oa(&f.r, E(&f, 0x40000000, 1));
    unsigned long long l3 = ref_oa(&f.r, E(&f, 0x40000000, 2));
    char want[1024];
    snprintf(want, sizeof(want),
             "%s"
             "L1 0x0040000000-0x007fffffff table -> 0x%010llx\n"
             "  L2 0x0040000000-0x00401fffff table -> 0x%010llx\n"
             "    L3 0x0040003000-0x004000ffff 13 pages -> 0x0080003000 RW- "
             "normal-wb\n"
             "    L3 0x0040010000-0x004002ffff 32 pages -> 0x0080010000 RW- "
             "normal-wb cont\n"
             "    L3 0x0040030000-0x0040033fff 4 pages -> 0x0080030000 RW- "
             "normal-wb\n",
             s2_title, l2, l3);
    assert_string_equal(o.text, want);
    fx_fini(&f);
}

static void strerror_names_every_code(void **state)
{
    (void)state;
    static const struct {
        int err;
        const char *text;
    } codes[] = {
        { -PGT_EPERM, "-PGT_EPERM: operation not allowed on this table or page" },
        { -PGT_ENOENT, "-PGT_ENOENT: nothing mapped there" },
        { -PGT_EAGAIN, "-PGT_EAGAIN: already as asked, nothing done" },
        { -PGT_ENOMEM, "-PGT_ENOMEM: out of memory for table pages" },
        { -PGT_EFAULT, "-PGT_EFAULT: corrupt table or allocator state" },
        { -PGT_EBUSY, "-PGT_EBUSY: resource in use" },
        { -PGT_EEXIST, "-PGT_EEXIST: a conflicting mapping is already there" },
        { -PGT_EINVAL, "-PGT_EINVAL: invalid argument" },
        { -PGT_ERANGE, "-PGT_ERANGE: address or size out of range" },
    };

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        assert_string_equal(pgt_strerror(codes[i].err), codes[i].text);
    assert_string_equal(pgt_strerror(0), "no error");
    assert_string_equal(pgt_strerror(4096), "no error");
    assert_string_equal(pgt_strerror(-3), "unknown error");
    assert_string_equal(pgt_strerror(-1000), "unknown error");
    assert_string_equal(pgt_strerror(-2147483647 - 1), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_stage2_table_folds_runs),
        cmocka_unit_test(range_shows_only_the_entries_it_covers),
        cmocka_unit_test(bad_arguments_print_nothing),
        cmocka_unit_test(stage1_el2_table),
        cmocka_unit_test(contiguous_runs_are_marked),
        cmocka_unit_test(strerror_names_every_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
