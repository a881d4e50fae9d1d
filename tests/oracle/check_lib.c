// SPDX-License-Identifier: MIT
/*
 * The library's view for orc_check(): what pgt_get_leaf() says the
 * hardware must do with an address. Kept apart from check.c so the
 * harness can be linked (and tested on hand-written tables) without lib/.
 */
#include "check.h"
#include <stdio.h>
#include <string.h>

/* (1) from the library's walk. */
static struct orc_expect expect_lib(const struct orc_target *t, uint64_t ia,
                                    const struct orc_access *a, int *levelp)
{
    const struct pgt *p = t->pgt;
    bool s2 = t->regime == ORC_S2;
    pgt_pte_t pte = 0;
    int level = 0;
    int rc = pgt_get_leaf(p, ia, &pte, &level);
    struct orc_expect e = {.fault = ORC_F_TRANS, .level = level, .s2 = s2,
                           .attr = -1, .sh = -1};
    *levelp = level;
    if (rc) {
        e.fault = ORC_F_OTHER; /* never what the emulator reports */
        return e;
    }
    if ((pte & PGT_PTE_CONT) && (pte & PGT_PTE_VALID) && !a->write && !a->el0)
        orc_check_stats.cont++;
    if (!a->write && !a->el0) {
        /* pgt_translate() must tell the same story as the leaf. */
        uint64_t tpa = 0;
        enum pgt_prot tprot = 0;
        int trc = pgt_translate(p, ia, &tpa, &tprot);
        bool leaf = pgt_pte_is_leaf(pte, level);
        bool same =
            leaf ? trc == 0 &&
                       tpa == pgt_oa_decode(&p->geom, pte) +
                                  (ia & (pgt_level_size(&p->geom, level) - 1)) &&
                       tprot == pgt_leaf_prot(&p->geom, p->regime, p->flags,
                                              pte)
                 : trc == -PGT_ENOENT;
        if (!same) {
            fprintf(stderr, "oracle: pgt_translate(%#llx) = %d disagrees "
                            "with pgt_get_leaf\n",
                    (unsigned long long)ia, trc);
            e.fault = ORC_F_OTHER;
            return e;
        }
    }
    if (!pgt_pte_is_leaf(pte, level))
        return e;
    if (!(pte & PGT_PTE_AF)) {
        e.fault = ORC_F_AF;
        return e;
    }
    uint32_t prot = pgt_leaf_prot(&p->geom, p->regime, p->flags, pte);
    if (orc_perm_fault(t->regime, prot, a)) {
        e.fault = ORC_F_PERM;
        return e;
    }
    e.fault = ORC_OK;
    e.pa = pgt_oa_decode(&p->geom, pte) +
           (ia & (pgt_level_size(&p->geom, level) - 1));
    if (s2) {
        /* Stage-2 MemAttr[3:0] (non-FWB encodings, D8.5.5) combined with
         * the Normal WB non-shareable stage 1 that HCR_EL2.DC gives. */
        unsigned ma = (unsigned)((pte & PGT_S2_MEMATTR_MASK) >>
                                 PGT_S2_MEMATTR_SHIFT);
        e.attr = ma == 0xf   ? ORC_S2_ATTR_WB
                 : ma == 0x1 ? ORC_S2_ATTR_DEVICE
                 : ma == 0x5 ? ORC_S2_ATTR_NC
                             : 0x100; /* an encoding we never expect */
        e.sh = ma == 0xf ? (int)((pte & PGT_PTE_SH_MASK) >> PGT_PTE_SH_SHIFT)
                         : ORC_S2_SH_DEVICE_NC;
    } else {
        unsigned idx = (unsigned)((pte & PGT_S1_ATTRINDX_MASK) >>
                                  PGT_S1_ATTRINDX_SHIFT);
        e.attr = (int)((ORC_MAIR_DOC >> (8 * idx)) & 0xff);
        e.sh = (int)((pte & PGT_PTE_SH_MASK) >> PGT_PTE_SH_SHIFT);
        if (t->regime == ORC_S1_EL3) {
            e.check_ns = true;
            e.ns = (pte & PGT_S1_NS) != 0;
        }
    }
    return e;
}

size_t orc_pgt_check(const struct pgt *p, const char *label)
{
    struct pgt_check_fault f;
    int rc = pgt_check(p, 0, &f);

    if (rc == 0)
        return 0;
    fprintf(stderr, "oracle: %s: pgt_check = %d: %s at %#llx level %d (pte %#llx, "
                    "count %d, expected %d)\n",
            label, rc, pgt_check_what_str(f.what), (unsigned long long)f.addr, f.level,
            (unsigned long long)f.pte, f.count, f.expected);
    return 1;
}

void orc_target_pgt(struct orc_target *t, struct orc *o, const struct pgt *p)
{
    memset(t, 0, sizeof(*t));
    t->o = o;
    t->pgt = p;
    switch (p->regime) {
    case PGT_REGIME_EL3:
        t->regime = ORC_S1_EL3;
        break;
    case PGT_REGIME_EL2:
        t->regime = ORC_S1_EL2;
        break;
    case PGT_REGIME_EL20:
        t->regime = ORC_S1_EL20;
        break;
    case PGT_REGIME_EL10:
        t->regime = ORC_S1_EL10;
        break;
    default:
        t->regime = ORC_S2;
        break;
    }
    t->gs = p->geom.granule_shift;
    t->ia_bits = p->geom.ia_bits;
    t->va_base = pgt_ia_start(p);
    t->lib_expect = expect_lib;
}
