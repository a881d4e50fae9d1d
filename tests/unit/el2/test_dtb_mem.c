// SPDX-License-Identifier: MIT
/*
 * pgt-hyp's MMU-off DTB reader (examples/el2/common/dtb_mem.c), built for
 * the host: the RAM ranges it finds, and the DTBs the hypervisor must
 * refuse before it sizes its carve-out (no memory node: main.c stops with
 * "no usable memory node in the DTB"). QEMU always gives pgt-hyp a memory
 * node, so this is where those inputs are tested. Each blob is written
 * out here by the Devicetree Specification v0.4, chapter 5.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dtb_mem.h"

/* A tiny DTB writer: header, empty reservation map, structure, strings. */
struct blob {
    uint8_t b[1024];
    uint32_t st[128];
    unsigned nst;
    char strs[128];
    unsigned nstr;
};

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t cpu_to_be(uint32_t v)
{
    uint8_t p[4];
    uint32_t r;
    be32(p, v);
    memcpy(&r, p, 4);
    return r;
}

static void tok(struct blob *d, uint32_t v)
{
    d->st[d->nst++] = cpu_to_be(v);
}

static void node(struct blob *d, const char *name)
{
    tok(d, 1); /* FDT_BEGIN_NODE */
    size_t n = strlen(name) + 1, words = (n + 3) / 4;
    memset(&d->st[d->nst], 0, words * 4);
    memcpy(&d->st[d->nst], name, n);
    d->nst += (unsigned)words;
}

static void prop(struct blob *d, const char *name, const void *val,
                 uint32_t len)
{
    uint32_t off = d->nstr;
    strcpy(d->strs + d->nstr, name);
    d->nstr += (unsigned)strlen(name) + 1;
    tok(d, 3); /* FDT_PROP */
    tok(d, len);
    tok(d, off);
    memset(&d->st[d->nst], 0, (len + 3) / 4 * 4);
    memcpy(&d->st[d->nst], val, len);
    d->nst += (len + 3) / 4;
}

static void prop_u32(struct blob *d, const char *name, uint32_t v)
{
    uint32_t be = cpu_to_be(v);
    prop(d, name, &be, 4);
}

static void end_node(struct blob *d)
{
    tok(d, 2); /* FDT_END_NODE */
}

/* Header (version 17), reservation map (one empty entry), blocks. */
static const void *finish(struct blob *d, uint32_t struct_size_cut)
{
    tok(d, 9); /* FDT_END */
    uint32_t off_rsv = 40, off_st = off_rsv + 16;
    uint32_t size_st = d->nst * 4, off_str = off_st + size_st;
    memset(d->b, 0, sizeof(d->b));
    be32(d->b + 0, 0xd00dfeed);
    be32(d->b + 4, off_str + d->nstr);
    be32(d->b + 8, off_st);
    be32(d->b + 12, off_str);
    be32(d->b + 16, off_rsv);
    be32(d->b + 20, 17);
    be32(d->b + 24, 16);
    be32(d->b + 32, d->nstr);
    be32(d->b + 36, size_st - struct_size_cut);
    memcpy(d->b + off_st, d->st, size_st);
    memcpy(d->b + off_str, d->strs, d->nstr);
    return d->b;
}

/* / with 2 address and 2 size cells, and a /chosen node. */
static void root(struct blob *d)
{
    memset(d, 0, sizeof(*d));
    node(d, "");
    prop_u32(d, "#address-cells", 2);
    prop_u32(d, "#size-cells", 2);
    node(d, "chosen");
    end_node(d);
}

static void memory(struct blob *d, const char *name, bool typed,
                   const uint32_t *reg, uint32_t cells)
{
    uint32_t be[8];
    node(d, name);
    if (typed)
        prop(d, "device_type", "memory", 7);
    for (uint32_t i = 0; i < cells; i++)
        be[i] = cpu_to_be(reg[i]);
    prop(d, "reg", be, 4 * cells);
    end_node(d);
}

static void test_qemu_virt_memory_node_gives_one_region(void **state)
{
    (void)state;
    struct blob d;
    const uint32_t reg[] = {0, 0x40000000, 0, 0x10000000};
    root(&d);
    memory(&d, "memory@40000000", true, reg, 4);
    end_node(&d);
    struct dtb_region r[4];
    assert_int_equal(dtb_memory(finish(&d, 0), r, 4), 1);
    assert_true(r[0].base == 0x40000000 && r[0].size == 0x10000000);
}

static void test_two_reg_entries_give_two_regions(void **state)
{
    (void)state;
    struct blob d;
    const uint32_t reg[] = {0, 0x40000000, 0, 0x8000000,
                            0x8, 0x80000000, 0x1, 0x0};
    root(&d);
    memory(&d, "memory", true, reg, 8);
    end_node(&d);
    struct dtb_region r[4];
    assert_int_equal(dtb_memory(finish(&d, 0), r, 4), 2);
    assert_true(r[1].base == 0x880000000ull && r[1].size == 0x100000000ull);
}

static void test_dtb_without_memory_node_gives_no_region(void **state)
{
    (void)state;
    struct blob d;
    root(&d);
    end_node(&d);
    struct dtb_region r[4];
    assert_int_equal(dtb_memory(finish(&d, 0), r, 4), 0);
}

static void test_memory_node_without_device_type_is_not_ram(void **state)
{
    (void)state;
    struct blob d;
    const uint32_t reg[] = {0, 0x40000000, 0, 0x10000000};
    root(&d);
    memory(&d, "memory@40000000", false, reg, 4);
    end_node(&d);
    struct dtb_region r[4];
    assert_int_equal(dtb_memory(finish(&d, 0), r, 4), 0);
}

static void test_truncated_structure_block_is_refused(void **state)
{
    (void)state;
    struct blob d;
    const uint32_t reg[] = {0, 0x40000000, 0, 0x10000000};
    root(&d);
    memory(&d, "memory@40000000", true, reg, 4);
    end_node(&d);
    struct dtb_region r[4];
    /* FDT_END and the root's FDT_END_NODE cut off */
    assert_int_equal(dtb_memory(finish(&d, 8), r, 4), DTB_EBADSTRUCT);
}

static void test_not_a_dtb_is_refused(void **state)
{
    (void)state;
    static const uint8_t zeros[64];
    struct dtb_region r[4];
    assert_int_equal(dtb_memory(zeros, r, 4), DTB_EBADMAGIC);
    assert_int_equal(dtb_totalsize(zeros), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_virt_memory_node_gives_one_region),
        cmocka_unit_test(test_two_reg_entries_give_two_regions),
        cmocka_unit_test(test_dtb_without_memory_node_gives_no_region),
        cmocka_unit_test(test_memory_node_without_device_type_is_not_ram),
        cmocka_unit_test(test_truncated_structure_block_is_refused),
        cmocka_unit_test(test_not_a_dtb_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
