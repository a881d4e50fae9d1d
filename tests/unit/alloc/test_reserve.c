// SPDX-License-Identifier: MIT
/*
 * Reservation arithmetic, known answers worked out by hand.
 *
 * 4K granule, 48-bit stage 1: root at level 0; a level-1 table covers
 * 512 GiB, a level-2 table 1 GiB, a level-3 table 2 MiB (512 pages).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "alloc_harness.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

/* Geometries written out by hand (D8.2), not by pgt_geom_init. */
static const struct pgt_geom s1_4k_48 = {
    .granule_shift = 12, .bits_per_level = 9, .ia_bits = 48, .oa_bits = 48,
    .start_level = 0, .nr_root_pages = 1};
/* Stage 2, 4K, 40-bit IPA, start level 1 with 2 concatenated root pages. */
static const struct pgt_geom s2_4k_40 = {
    .granule_shift = 12, .bits_per_level = 9, .ia_bits = 40, .oa_bits = 40,
    .start_level = 1, .nr_root_pages = 2};
/* 16K, 47-bit stage 1: root level 1 (2 entries... one page), level-2
 * tables cover 64 GiB, level-3 tables 32 MiB (2048 pages). */
static const struct pgt_geom s1_16k_47 = {
    .granule_shift = 14, .bits_per_level = 11, .ia_bits = 47, .oa_bits = 48,
    .start_level = 0, .nr_root_pages = 1};
/* 64K, 42-bit: root at level 2 (8192 entries of 512 MiB), level-3 tables
 * cover 512 MiB (8192 pages). */
static const struct pgt_geom s1_64k_42 = {
    .granule_shift = 16, .bits_per_level = 13, .ia_bits = 42, .oa_bits = 48,
    .start_level = 2, .nr_root_pages = 1};

static uint64_t at(const struct pgt_geom *g, const struct pgt_mem_region *r, size_t n)
{
    uint64_t pages = 0xdead;
    assert_int_equal(pgt_table_pages_at(g, r, n, &pages), 0);
    return pages;
}

static uint64_t anywhere(const struct pgt_geom *g, const struct pgt_mem_region *r, size_t n)
{
    uint64_t pages = 0xdead;
    assert_int_equal(pgt_table_pages_anywhere(g, r, n, &pages), 0);
    return pages;
}

static void table_pages_at_known_answers(void **state)
{
    (void)state;
    /* 1 GiB at 2 GiB: root + 1 (L1) + 1 (L2) + 512 (L3). */
    assert_int_equal(at(&s1_4k_48, (struct pgt_mem_region[]){{2 * GiB, GiB}}, 1), 515);
    /* Unaligned 4 KiB at 0x8000_0800 rounds out to two pages, one L3. */
    assert_int_equal(at(&s1_4k_48, (struct pgt_mem_region[]){{0x80000800, 0x1000}}, 1), 4);
    /* Two pages straddling 2 MiB: two L3 tables. */
    assert_int_equal(at(&s1_4k_48, (struct pgt_mem_region[]){{0x801ff000, 0x2000}}, 1), 5);
    /* A 2-byte region straddling a page boundary at 0x8020_1000. */
    assert_int_equal(at(&s1_4k_48, (struct pgt_mem_region[]){{0x80000000, 2 * MiB},
                                                             {0x80200fff, 2}}, 2), 5);
    /* Duplicates and empty regions count once / not at all. */
    assert_int_equal(at(&s1_4k_48, (struct pgt_mem_region[]){{0x80000000, 0x1000},
                                                             {0x80000000, 0x1000},
                                                             {0x90000000, 0}}, 3), 4);
    /* Far apart: 0 and 513 GiB share only the root. */
    assert_int_equal(at(&s1_4k_48, (struct pgt_mem_region[]){{0, 0x1000},
                                                             {513 * GiB, 0x1000}}, 2), 7);
    /* Overlapping regions given out of order: [0, 6 MiB) and [2 MiB, 4 MiB). */
    assert_int_equal(at(&s1_4k_48, (struct pgt_mem_region[]){{2 * MiB, 2 * MiB},
                                                             {0, 6 * MiB}}, 2), 1 + 1 + 1 + 3);
    /* No regions: the root alone. */
    assert_int_equal(at(&s1_4k_48, NULL, 0), 1);
}

static void table_pages_at_stage2_concatenated(void **state)
{
    (void)state;
    /* 2 roots + 1 (L2 covers 1 GiB) + 512 (L3). */
    assert_int_equal(at(&s2_4k_40, (struct pgt_mem_region[]){{2 * GiB, GiB}}, 1), 515);
    /* 1 GiB straddling a GiB boundary: 2 L2 + 512 L3 (one per 2 MiB). */
    assert_int_equal(at(&s2_4k_40, (struct pgt_mem_region[]){{2 * GiB + GiB / 2, GiB}}, 1),
                     2 + 2 + 512);
    uint64_t pages;
    assert_int_equal(hyp_s2_pgtable_pages(&s2_4k_40, (struct pgt_mem_region[]){{0, 0x1000}}, 1,
                                          &pages), 0);
    assert_int_equal(pages, 4);
}

static void table_pages_other_granules(void **state)
{
    (void)state;
    /* 16K: 1 GiB at 2 GiB = 65536 pages: root + 1 L1 (128 TiB span)
     * + 1 L2 (64 GiB span) + 32 L3 (32 MiB spans). */
    assert_int_equal(at(&s1_16k_47, (struct pgt_mem_region[]){{2 * GiB, GiB}}, 1), 35);
    /* 64K: 1 GiB at 2 GiB: root + 2 L3 (512 MiB spans). */
    assert_int_equal(at(&s1_64k_42, (struct pgt_mem_region[]){{2 * GiB, GiB}}, 1), 3);
    /* Worst case anywhere: 16384 pages, S = 8192: (16384 + 8190) / 8192 + 1 = 3. */
    assert_int_equal(anywhere(&s1_64k_42, (struct pgt_mem_region[]){{2 * GiB, GiB}}, 1), 4);
}

static void table_pages_anywhere_known_answers(void **state)
{
    (void)state;
    /* 1 GiB = 262144 pages anywhere: L1 2, L2 2, L3 (262144+510)/512+1 = 513. */
    assert_int_equal(anywhere(&s1_4k_48, (struct pgt_mem_region[]){{2 * GiB, GiB}}, 1),
                     1 + 2 + 2 + 513);
    /* One page: one table per level. */
    assert_int_equal(anywhere(&s1_4k_48, (struct pgt_mem_region[]){{0x1234, 1}}, 1), 4);
    /* 2 bytes over a page boundary = 2 pages: two tables per level. */
    assert_int_equal(anywhere(&s1_4k_48, (struct pgt_mem_region[]){{0xfff, 2}}, 1), 7);
    /* Two regions never share: 2 x 3 + root. */
    assert_int_equal(anywhere(&s1_4k_48, (struct pgt_mem_region[]){{0, 1}, {0, 1}}, 2), 7);
    /* 513 pages: 2 L3 tables at worst (1 + 512), 514 pages: 3 (1 + 512 + 1). */
    assert_int_equal(anywhere(&s1_4k_48, (struct pgt_mem_region[]){{0, 513 * 4096}}, 1),
                     1 + 2 + 2 + 2);
    assert_int_equal(anywhere(&s1_4k_48, (struct pgt_mem_region[]){{0, 514 * 4096}}, 1),
                     1 + 2 + 2 + 3);
    /* Level-1 tables capped by the root's 512 entries: 200 regions of 2
     * pages would want 400 L1 tables (fine), 300 of them 600 -> 512. */
    static struct pgt_mem_region many[300];
    for (int i = 0; i < 300; i++)
        many[i] = (struct pgt_mem_region){(uint64_t)i << 40, 0x2000};
    assert_int_equal(anywhere(&s1_4k_48, many, 300), 1 + 512 + 600 + 600);
    uint64_t pages;
    /* hyp stage 1: regions + 1 GiB private range, one root. */
    assert_int_equal(hyp_s1_pgtable_pages(&s1_4k_48, (struct pgt_mem_region[]){{0, 1}}, 1,
                                          GiB, &pages), 0);
    assert_int_equal(pages, 1 + 3 + (2 + 2 + 513));
}

static void table_pages_reject_bad_input(void **state)
{
    uint64_t pages = 77;
    (void)state;

    assert_int_equal(pgt_table_pages_at(NULL, NULL, 0, &pages), -PGT_EINVAL);
    assert_int_equal(pgt_table_pages_at(&s1_4k_48, NULL, 1, &pages), -PGT_EINVAL);
    assert_int_equal(pgt_table_pages_at(&s1_4k_48, NULL, 0, NULL), -PGT_EINVAL);
    /* Ends past 2^48. */
    assert_int_equal(pgt_table_pages_at(&s1_4k_48,
                                        (struct pgt_mem_region[]){{(1ull << 48) - 0x1000, 0x1001}},
                                        1, &pages), -PGT_ERANGE);
    /* Wraps. */
    assert_int_equal(pgt_table_pages_at(&s1_4k_48,
                                        (struct pgt_mem_region[]){{UINT64_MAX - 10, 100}}, 1,
                                        &pages), -PGT_EINVAL);
    assert_int_equal(pgt_table_pages_anywhere(&s1_4k_48,
                                              (struct pgt_mem_region[]){{UINT64_MAX - 0x800, 0x100}},
                                              1, &pages), -PGT_EINVAL);
    assert_int_equal(pgt_table_pages_anywhere(&s1_64k_42,
                                              (struct pgt_mem_region[]){{0, (1ull << 42) + 1}}, 1,
                                              &pages), -PGT_ERANGE);
    assert_int_equal(pages, 77);
    /* Exactly the whole IA space is fine. */
    assert_int_equal(pgt_table_pages_at(&s1_64k_42,
                                        (struct pgt_mem_region[]){{0, 1ull << 42}}, 1, &pages), 0);
    assert_int_equal(pages, 1 + 8192); /* 2^42 / 512 MiB level-3 tables */
}

static void vmemmap_pages_known_answers(void **state)
{
    uint64_t pages = 0;
    (void)state;

    /* 1 GiB at 2 GiB, 8-byte records from PFN 0: records at bytes
     * 0x40_0000..0x60_0000 -> 512 pages. */
    assert_int_equal(hyp_vmemmap_pages((struct pgt_mem_region[]){{2 * GiB, GiB}}, 1, 12, 0, 8,
                                       &pages), 0);
    assert_int_equal(pages, 512);
    /* From PFN 0x80000: bytes 0..0x20_0000 -> 512 as well. */
    assert_int_equal(hyp_vmemmap_pages((struct pgt_mem_region[]){{2 * GiB, GiB}}, 1, 12, 0x80000,
                                       8, &pages), 0);
    assert_int_equal(pages, 512);
    /* Two adjacent pages share one vmemmap page; a third far away adds one. */
    assert_int_equal(hyp_vmemmap_pages((struct pgt_mem_region[]){{0x80000000, 0x1000},
                                                                 {0x80001000, 0x1000},
                                                                 {0x100000000ull, 1}}, 3, 12, 0, 8,
                                       &pages), 0);
    assert_int_equal(pages, 2);
    /* 513 records straddle: pages 0x80000..0x80200 (0x201 records) start at
     * byte 0x40_0000: 0x1008 bytes -> 2 pages. */
    assert_int_equal(hyp_vmemmap_pages((struct pgt_mem_region[]){{0x80000000, 0x201000}}, 1, 12,
                                       0, 8, &pages), 0);
    assert_int_equal(pages, 2);
    /* 16K: 65536 pages x 8 bytes = 512 KiB = 32 pages of 16K. */
    assert_int_equal(hyp_vmemmap_pages((struct pgt_mem_region[]){{2 * GiB, GiB}}, 1, 14, 0, 8,
                                       &pages), 0);
    assert_int_equal(pages, 32);
    /* Unaligned 1-byte region at 0x80000fff: one record, one page. */
    assert_int_equal(hyp_vmemmap_pages((struct pgt_mem_region[]){{0x80000fff, 1}}, 1, 12, 0, 8,
                                       &pages), 0);
    assert_int_equal(pages, 1);
    pages = 99;
    assert_int_equal(hyp_vmemmap_pages((struct pgt_mem_region[]){{0x1000, 1}}, 1, 12, 2, 8,
                                       &pages), -PGT_ERANGE);
    assert_int_equal(hyp_vmemmap_pages((struct pgt_mem_region[]){{0x1000, 1}}, 1, 13, 0, 8,
                                       &pages), -PGT_EINVAL);
    assert_int_equal(hyp_vmemmap_pages((struct pgt_mem_region[]){{0x1000, 1}}, 1, 12, 0, 0,
                                       &pages), -PGT_EINVAL);
    assert_int_equal(pages, 99);
}

static void reserve_compute_adds_up(void **state)
{
    struct hyp_reserve r;
    struct pgt_mem_region mem[] = {{2 * GiB, GiB}};
    (void)state;

    assert_int_equal(hyp_reserve_compute(mem, 1, &s1_4k_48, GiB, &s2_4k_40, 10, &r), 0);
    assert_int_equal(r.vmemmap, 512);
    /* stage 1: root + 1 GiB anywhere twice (memory + private range). */
    assert_int_equal(r.s1, 1 + 2 * (2 + 2 + 513));
    assert_int_equal(r.s2, 515);
    assert_int_equal(r.extra, 10);
    assert_int_equal(r.total, 512 + 1035 + 515 + 10);
    assert_int_equal(hyp_reserve_compute(mem, 1, &s1_4k_48, GiB, NULL, 0, &r), 0);
    assert_int_equal(r.s2, 0);
    assert_int_equal(hyp_reserve_compute(mem, 1, &s1_4k_48, GiB, &s1_64k_42, 0, &r), -PGT_EINVAL);
}

static void divide_memory_pool_in_pkvm_order(void **state)
{
    struct hyp_early_alloc ea, before;
    struct hyp_carveout out, out_before;
    struct hyp_reserve r = {.vmemmap = 3, .s1 = 5, .s2 = 7, .extra = 2, .total = 17};
    uint8_t *mem = aligned_alloc(4096, 17 * 4096);
    (void)state;

    memset(mem, 0xcc, 17 * 4096);
    assert_int_equal(hyp_early_alloc_init(&ea, mem, 0x40000000, 16 * 4096, 12), 0);
    before = ea;
    memset(&out, 0x11, sizeof(out));
    out_before = out;
    assert_int_equal(hyp_divide_memory_pool(&ea, &r, &out), -PGT_ENOMEM);
    assert_memory_equal(&ea, &before, sizeof(ea));
    assert_memory_equal(&out, &out_before, sizeof(out));
    assert_int_equal(hyp_early_alloc_init(&ea, mem, 0x40000000, 17 * 4096, 12), 0);
    assert_int_equal(hyp_divide_memory_pool(&ea, &r, &out), 0);
    assert_ptr_equal(out.vmemmap, mem);
    assert_ptr_equal(out.s1, mem + 3 * 4096);
    assert_ptr_equal(out.s2, mem + 8 * 4096);
    assert_ptr_equal(out.extra, mem + 15 * 4096);
    assert_true(ah_is_zero(mem, 17 * 4096));
    assert_int_equal(hyp_early_alloc_nr_used_pages(&ea), 17);
    r.extra = 0;
    assert_int_equal(hyp_early_alloc_init(&ea, mem, 0x40000000, 17 * 4096, 12), 0);
    assert_int_equal(hyp_divide_memory_pool(&ea, &r, &out), 0);
    assert_null(out.extra);
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_pages_at_known_answers),
        cmocka_unit_test(table_pages_at_stage2_concatenated),
        cmocka_unit_test(table_pages_other_granules),
        cmocka_unit_test(table_pages_anywhere_known_answers),
        cmocka_unit_test(table_pages_reject_bad_input),
        cmocka_unit_test(vmemmap_pages_known_answers),
        cmocka_unit_test(reserve_compute_adds_up),
        cmocka_unit_test(divide_memory_pool_in_pkvm_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
