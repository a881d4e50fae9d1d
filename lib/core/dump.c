// SPDX-License-Identifier: MIT
/*
 * pgt_dump(): a table as text, built on the public walker and descriptor
 * helpers only. Lines are formatted here (no printf in lib/) and handed
 * to the embedder's print hook one at a time.
 */
#include "pgtable/dump.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgtable/desc.h"
#include "pgtable/errno.h"
#include "pgtable/pgt.h"

/* ---- a line buffer: appends never overflow, the tail is cut instead ---- */

struct line {
    char buf[PGT_DUMP_LINE_MAX];
    size_t len;
};

static void put_char(struct line *l, char c)
{
    /* Room is always left for the '\n' and the NUL. */
    if (l->len < PGT_DUMP_LINE_MAX - 2)
        l->buf[l->len++] = c;
}

static void put_str(struct line *l, const char *s)
{
    while (*s)
        put_char(l, *s++);
}

/* "0x" and @v in hexadecimal, at least @digits digits. */
static void put_hex(struct line *l, uint64_t v, unsigned int digits)
{
    static const char hex[] = "0123456789abcdef";
    unsigned int n = 1;

    while (n < 16 && (v >> (4 * n)) != 0)
        n++;
    if (n < digits)
        n = digits;
    put_str(l, "0x");
    while (n--)
        put_char(l, hex[(v >> (4 * n)) & 0xf]);
}

static void put_dec(struct line *l, uint64_t v)
{
    char tmp[20];
    unsigned int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put_char(l, tmp[--n]);
}

static void put_int(struct line *l, int v)
{
    if (v < 0) {
        put_char(l, '-');
        put_dec(l, (uint64_t)(-(int64_t)v));
    } else {
        put_dec(l, (uint64_t)v);
    }
}

static void emit(struct line *l, pgt_print_fn print, void *arg)
{
    l->buf[l->len++] = '\n';
    l->buf[l->len] = '\0';
    print(arg, l->buf);
    l->len = 0;
}

/* ---- the walk ---- */

/* A run of similar entries not printed yet. */
struct run {
    bool active;
    int level;
    uint64_t start;   /* first input address of the run */
    uint64_t end;     /* its last input address (inclusive) */
    uint64_t oa;      /* output address of its first entry (leaves) */
    uint64_t next_oa; /* the output address that would extend it */
    pgt_pte_t kind;   /* a leaf without its output address, or an invalid
                       * entry as it is */
    uint64_t count;
};

struct dump {
    const struct pgt *pgt;
    pgt_print_fn print;
    void *arg;
    unsigned int ia_digits, oa_digits;
    uint32_t flags; /* the flags pgt_leaf_attrs/prot take: the table's */
    struct run run;
};

static const char *granule_name(unsigned int shift)
{
    return shift == PGT_GRANULE_4K    ? "4K"
           : shift == PGT_GRANULE_16K ? "16K"
                                      : "64K";
}

static void put_head(struct dump *d, struct line *l, int level, uint64_t start,
                     uint64_t end)
{
    for (int i = d->pgt->geom.start_level; i < level; i++)
        put_str(l, "  ");
    put_char(l, 'L');
    put_int(l, level);
    put_char(l, ' ');
    put_hex(l, start, d->ia_digits);
    put_char(l, '-');
    put_hex(l, end, d->ia_digits);
    put_char(l, ' ');
}

static void put_leaf_attrs(struct dump *d, struct line *l, pgt_pte_t kind)
{
    const struct pgt *pgt = d->pgt;
    enum pgt_prot prot = pgt_leaf_prot(&pgt->geom, pgt->regime, d->flags, kind);
    /* The attribute bits (no OA, no type bits), for the comparison with
     * what the library writes itself. */
    pgt_pte_t attrs = kind & ~(pgt_oa_field_mask(&pgt->geom) | PGT_PTE_TYPE |
                               PGT_PTE_VALID);
    pgt_pte_t expect;
    static const char *const sw[] = { " sw0", " sw1", " sw2", " sw3" };

    put_char(l, prot & PGT_PROT_R ? 'R' : '-');
    put_char(l, prot & PGT_PROT_W ? 'W' : '-');
    put_char(l, prot & PGT_PROT_X ? 'X' : '-');
    put_str(l, prot & PGT_PROT_DEVICE      ? " device"
               : prot & PGT_PROT_NORMAL_NC ? " normal-nc"
                                           : " normal-wb");
    if (prot & PGT_PROT_USER)
        put_str(l, " user");
    if (prot & PGT_PROT_PXN)
        put_str(l, " pxn");
    if (prot & PGT_PROT_UXN)
        put_str(l, " uxn");
    if (prot & PGT_PROT_NG)
        put_str(l, " ng");
    if (prot & PGT_PROT_NS)
        put_str(l, " ns");
    for (unsigned int i = 0; i < 4; i++)
        if (prot & (PGT_PROT_SW0 << i))
            put_str(l, sw[i]);
    if (!(attrs & PGT_PTE_AF))
        put_str(l, " old");
    if (attrs & PGT_PTE_CONT)
        put_str(l, " cont");
    if (pgt_leaf_attrs(&pgt->geom, pgt->regime, d->flags, prot, &expect) ||
        expect != ((attrs & ~PGT_PTE_CONT) | PGT_PTE_AF)) {
        put_str(l, " attrs ");
        put_hex(l, attrs, 16);
    }
}

static void flush(struct dump *d)
{
    struct run *r = &d->run;
    struct line l;

    if (!r->active)
        return;
    r->active = false;
    l.len = 0;
    put_head(d, &l, r->level, r->start, r->end);
    put_dec(&l, r->count);
    if (pgt_pte_valid(r->kind)) {
        put_str(&l, r->level == PGT_LEVEL_MAX ? " page" : " block");
        if (r->count > 1)
            put_char(&l, 's');
        put_str(&l, " -> ");
        put_hex(&l, r->oa, d->oa_digits);
        put_char(&l, ' ');
        put_leaf_attrs(d, &l, r->kind);
    } else if (r->kind == pgt_make_owner(pgt_pte_owner(r->kind))) {
        put_str(&l, " invalid, owner ");
        put_dec(&l, pgt_pte_owner(r->kind));
    } else {
        put_str(&l, " invalid ");
        put_hex(&l, r->kind, 16);
    }
    emit(&l, d->print, d->arg);
}

static int dump_visit(const struct pgt_visit_ctx *ctx, enum pgt_walk_flags visit)
{
    struct dump *d = ctx->arg;
    const struct pgt_geom *g = &d->pgt->geom;
    uint64_t size = pgt_level_size(g, ctx->level);
    uint64_t base = ctx->addr & ~(size - 1);
    pgt_pte_t pte = ctx->old;
    struct run *r = &d->run;

    if (visit == PGT_WALK_TABLE_PRE) {
        struct line l;

        flush(d);
        l.len = 0;
        put_head(d, &l, ctx->level, base, base + size - 1);
        put_str(&l, "table -> ");
        put_hex(&l, pgt_oa_decode(g, pte), d->oa_digits);
        emit(&l, d->print, d->arg);
        return 0;
    }
    if (pte == 0) {
        flush(d); /* a gap ends a run; zero entries are not shown */
        return 0;
    }

    bool valid = pgt_pte_valid(pte);
    pgt_pte_t kind = valid ? pte & ~pgt_oa_field_mask(g) : pte;
    uint64_t oa = valid ? pgt_oa_decode(g, pte) : 0;

    if (r->active && r->level == ctx->level && r->kind == kind &&
        r->end + 1 == base && (!valid || r->next_oa == oa)) {
        r->end = base + size - 1;
        r->next_oa += size;
        r->count++;
        return 0;
    }
    flush(d);
    r->active = true;
    r->level = ctx->level;
    r->start = base;
    r->end = base + size - 1;
    r->oa = oa;
    r->next_oa = oa + size;
    r->kind = kind;
    r->count = 1;
    return 0;
}

static void print_title(struct dump *d)
{
    const struct pgt *pgt = d->pgt;
    struct line l;

    l.len = 0;
    switch (pgt->regime) {
    case PGT_REGIME_S2:
        put_str(&l, "stage 2");
        break;
    case PGT_REGIME_EL3:
        put_str(&l, "stage 1 EL3");
        break;
    case PGT_REGIME_EL2:
        put_str(&l, "stage 1 EL2");
        break;
    default:
        put_str(&l, pgt->regime == PGT_REGIME_EL20 ? "stage 1 EL2&0"
                                                   : "stage 1 EL1&0");
        put_str(&l, pgt->internal.va_base ? " upper range" : " lower range");
        break;
    }
    put_str(&l, ": ");
    put_str(&l, granule_name(pgt->geom.granule_shift));
    put_str(&l, " granule, ");
    put_dec(&l, pgt->geom.ia_bits);
    put_str(&l, "-bit IA, ");
    put_dec(&l, pgt->geom.oa_bits);
    put_str(&l, "-bit OA, start level ");
    put_int(&l, pgt->geom.start_level);
    put_str(&l, ", ");
    put_dec(&l, pgt->geom.nr_root_pages);
    put_str(&l, pgt->geom.nr_root_pages > 1 ? " root pages at " : " root page at ");
    put_hex(&l, pgt->pgd_phys, d->oa_digits);
    emit(&l, d->print, d->arg);
}

int pgt_dump(const struct pgt *pgt, uint64_t addr, uint64_t size,
             pgt_print_fn print, void *arg)
{
    struct dump d;
    struct pgt_walker walker = {
        .cb = dump_visit,
        .arg = &d,
        .flags = PGT_WALK_LEAF | PGT_WALK_TABLE_PRE,
    };
    uint64_t granule, off;
    int ret;

    /* The walker's own checks, made first so that nothing is printed
     * for a call that fails. */
    if (!pgt || !pgt->pgd || !print)
        return -PGT_EINVAL;
    granule = 1ull << pgt->geom.granule_shift;
    if (size == 0 || ((addr | size) & (granule - 1)))
        return -PGT_EINVAL;
    off = addr - pgt->internal.va_base;
    if (off + size < off || off + size > (1ull << pgt->geom.ia_bits))
        return -PGT_ERANGE;

    d.pgt = pgt;
    d.print = print;
    d.arg = arg;
    d.run.active = false;
    d.ia_digits = pgt->internal.va_base ? 16 : (pgt->geom.ia_bits + 3) / 4;
    d.oa_digits = (pgt->geom.oa_bits + 3) / 4;
    d.flags = pgt->flags;
    print_title(&d);
    /* The visitor only reads: the walker's non-const table is not
     * written through. */
    ret = pgt_walk((struct pgt *)(uintptr_t)pgt, addr, size, &walker);
    flush(&d);
    return ret;
}
