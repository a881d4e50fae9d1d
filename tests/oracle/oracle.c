// SPDX-License-Identifier: MIT
/*
 * Unicorn oracle harness; see oracle.h. The guest code is assembled here
 * from a handful of instruction encodings (each emitter names the
 * instruction it writes), so no cross assembler is needed at build time.
 */
#include "oracle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicorn/unicorn.h>

struct orc_stats orc_stats;

/* PSTATE values: DAIF masked, SPx selected. */
#define PSTATE_EL0T 0x3c0ull
#define PSTATE_EL1H 0x3c5ull
#define PSTATE_EL2H 0x3c9ull
#define PSTATE_EL3H 0x3cdull

/* SCR_EL3: NS, HCE (HVC enabled), RW (lower ELs are AArch64). */
#define SCR_NS (1ull << 0)
#define SCR_HCE (1ull << 8)
#define SCR_RW (1ull << 10)

#define HCR_VM (1ull << 0)
#define HCR_DC (1ull << 12)
#define HCR_RW (1ull << 31)

#define HCR_TGE (1ull << 27)
#define HCR_E2H (1ull << 34)

/* SCTLR RES1 bits (Arm ARM D19.2: SCTLR_EL2 without E2H and SCTLR_EL3,
 * SCTLR_EL1 and SCTLR_EL2 with E2H). */
#define SCTLR_EL2_RES1 0x30c50830ull
#define SCTLR_EL3_RES1 0x30c50830ull
#define SCTLR_EL1_RES1 0x30d00800ull
#define SCTLR_EL2_E2H_RES1 0x30d00800ull
#define SCTLR_M (1ull << 0)

/* System register operand: op0, op1, CRn, CRm, op2 at bits [20:5]. */
#define SYSREG(op0, op1, crn, crm, op2)                                       \
    (((uint32_t)(op0) << 19) | ((uint32_t)(op1) << 16) |                      \
     ((uint32_t)(crn) << 12) | ((uint32_t)(crm) << 8) | ((uint32_t)(op2) << 5))
#define R_HCR_EL2 SYSREG(3, 4, 1, 1, 0)
#define R_SCTLR_EL2 SYSREG(3, 4, 1, 0, 0)
#define R_TCR_EL2 SYSREG(3, 4, 2, 0, 2)
#define R_TTBR0_EL2 SYSREG(3, 4, 2, 0, 0)
#define R_MAIR_EL2 SYSREG(3, 4, 10, 2, 0)
#define R_SCTLR_EL1 SYSREG(3, 0, 1, 0, 0)
#define R_TCR_EL1 SYSREG(3, 0, 2, 0, 2)
#define R_TTBR0_EL1 SYSREG(3, 0, 2, 0, 0)
#define R_MAIR_EL1 SYSREG(3, 0, 10, 2, 0)
#define R_TTBR1_EL1 SYSREG(3, 0, 2, 0, 1)
#define R_TTBR1_EL2 SYSREG(3, 4, 2, 0, 1)
#define R_SCTLR_EL3 SYSREG(3, 6, 1, 0, 0)
#define R_TCR_EL3 SYSREG(3, 6, 2, 0, 2)
#define R_TTBR0_EL3 SYSREG(3, 6, 2, 0, 0)
#define R_MAIR_EL3 SYSREG(3, 6, 10, 2, 0)
#define R_VTCR_EL2 SYSREG(3, 4, 2, 1, 2)
#define R_VTTBR_EL2 SYSREG(3, 4, 2, 1, 0)
#define R_SCR_EL3 SYSREG(3, 6, 1, 1, 0)
#define R_SPSR_EL3 SYSREG(3, 6, 4, 0, 0)
#define R_ELR_EL3 SYSREG(3, 6, 4, 0, 1)
#define R_PAR_EL1 SYSREG(3, 0, 7, 4, 0)

/* AT operations: SYS #op1, C7, C8, #op2 (Arm ARM C5.5). */
static const uint32_t at_operand[ORC_AT_NR] = {
    [ORC_AT_S1E2R] = SYSREG(1, 4, 7, 8, 0),
    [ORC_AT_S1E2W] = SYSREG(1, 4, 7, 8, 1),
    [ORC_AT_S1E1R] = SYSREG(1, 0, 7, 8, 0),
    [ORC_AT_S1E1W] = SYSREG(1, 0, 7, 8, 1),
    [ORC_AT_S1E0R] = SYSREG(1, 0, 7, 8, 2),
    [ORC_AT_S1E0W] = SYSREG(1, 0, 7, 8, 3),
    [ORC_AT_S12E1R] = SYSREG(1, 4, 7, 8, 4),
    [ORC_AT_S12E1W] = SYSREG(1, 4, 7, 8, 5),
    [ORC_AT_S1E3R] = SYSREG(1, 6, 7, 8, 0),
    [ORC_AT_S1E3W] = SYSREG(1, 6, 7, 8, 1),
};

/* Offsets (bytes) of the register block the setup routine loads. */
enum param {
    P_HCR_EL2,
    P_TCR_EL2,
    P_TTBR0_EL2,
    P_MAIR_EL2,
    P_TCR_EL1,
    P_TTBR0_EL1,
    P_MAIR_EL1,
    P_VTCR_EL2,
    P_VTTBR_EL2,
    P_SCTLR_EL2,
    P_SCTLR_EL1,
    P_TTBR1_EL1,
    P_TTBR1_EL2,
    P_TCR_EL3,
    P_TTBR0_EL3,
    P_MAIR_EL3,
    P_SCTLR_EL3, /* last: with its M bit set, what follows is translated */
    P_NR,
};
static const uint32_t param_reg[P_NR] = {
    [P_HCR_EL2] = R_HCR_EL2,     [P_TCR_EL2] = R_TCR_EL2,
    [P_TTBR0_EL2] = R_TTBR0_EL2, [P_MAIR_EL2] = R_MAIR_EL2,
    [P_TCR_EL1] = R_TCR_EL1,     [P_TTBR0_EL1] = R_TTBR0_EL1,
    [P_MAIR_EL1] = R_MAIR_EL1,   [P_VTCR_EL2] = R_VTCR_EL2,
    [P_VTTBR_EL2] = R_VTTBR_EL2, [P_SCTLR_EL2] = R_SCTLR_EL2,
    [P_SCTLR_EL1] = R_SCTLR_EL1, [P_TTBR1_EL1] = R_TTBR1_EL1,
    [P_TTBR1_EL2] = R_TTBR1_EL2, [P_TCR_EL3] = R_TCR_EL3,
    [P_TTBR0_EL3] = R_TTBR0_EL3, [P_MAIR_EL3] = R_MAIR_EL3,
    [P_SCTLR_EL3] = R_SCTLR_EL3,
};
#define PARAM_OFF 0x8000u /* register block inside the code page */

/* --- instruction emitters ------------------------------------------- */

static uint32_t i_msr(uint32_t reg, unsigned rt) { return 0xd5000000u | reg | rt; }
static uint32_t i_mrs(uint32_t reg, unsigned rt) { return 0xd5200000u | reg | rt; }
static uint32_t i_sys(uint32_t op, unsigned rt) { return 0xd5000000u | op | rt; }
/* LDR Xt, [Xn, #off] (unsigned offset, multiple of 8) */
static uint32_t i_ldr_uoff(unsigned rt, unsigned rn, unsigned off)
{
    return 0xf9400000u | ((off / 8) << 10) | (rn << 5) | rt;
}
/* LDR Xt, [Xn], #8 / STR Xt, [Xn], #8 (post-index) */
static uint32_t i_ldr_post8(unsigned rt, unsigned rn) { return 0xf8408400u | (rn << 5) | rt; }
static uint32_t i_str_post8(unsigned rt, unsigned rn) { return 0xf8008400u | (rn << 5) | rt; }
/* LDR Xt, [Xn] / STR Xt, [Xn] */
static uint32_t i_ldr(unsigned rt, unsigned rn) { return 0xf9400000u | (rn << 5) | rt; }
static uint32_t i_str(unsigned rt, unsigned rn) { return 0xf9000000u | (rn << 5) | rt; }
/* SUBS Xd, Xn, #1 */
static uint32_t i_subs1(unsigned rd) { return 0xf1000400u | (rd << 5) | rd; }
/* B.NE back by @insns instructions */
static uint32_t i_bne_back(unsigned insns)
{
    return 0x54000001u | (((uint32_t)(-(int32_t)insns) & 0x7ffffu) << 5);
}
#define I_ERET 0xd69f03e0u
#define I_ISB 0xd5033fdfu
#define I_DSB_SY 0xd5033f9fu
#define I_NOP 0xd503201fu
#define I_TLBI_ALLE2 0xd50c871fu
#define I_TLBI_ALLE1 0xd50c879fu
#define I_TLBI_ALLE3 0xd50e871fu
#define I_BLR_X3 0xd63f0060u

/* --- state ------------------------------------------------------------ */

struct routine {
    uint64_t start, stop; /* run from start until PC == stop */
};

struct orc {
    uc_engine *uc;
    struct tmm *arena;
    uint32_t *code; /* host copy of ORC_CODE_PA (mapped in place) */
    uint8_t *data;  /* ORC_DATA_PA */
    uint64_t *batch; /* ORC_BATCH_PA: [0, MAX) in, [MAX, 2*MAX) out */
    uint64_t *ram;  /* ORC_RAM_PA */
    uint64_t param[P_NR];
    enum orc_regime regime;
    bool vhe; /* the MAX model: FEAT_VHE, TTBR1_EL2 exists */
    bool el0; /* loads, stores and fetches at EL0 (orc_set_el0()) */
    uc_context *el3_ctx; /* the CPU at EL3, for the way back from EL0 */
    struct routine eret_trick, setup, tlbi, enter, at[ORC_AT_NR], load,
        store, exec;
    int fault_intno;
    /* Shadow mappings made for loads/stores (EMULATORS.md rule 3): pairs
     * of (base, size). */
    uint64_t *shadow;
    size_t nshadow, shadow_cap;
};

static void die_uc(const char *what, uc_err err)
{
    fprintf(stderr, "oracle: %s: %s\n", what, uc_strerror(err));
    abort();
}

#define UC(call)                                                              \
    do {                                                                      \
        uc_err e_ = (call);                                                   \
        if (e_ != UC_ERR_OK)                                                  \
            die_uc(#call, e_);                                                \
    } while (0)

static void cp_write(struct orc *o, uint32_t reg, uint64_t val)
{
    uc_arm64_cp_reg r = {
        .op0 = (reg >> 19) & 3,
        .op1 = (reg >> 16) & 7,
        .crn = (reg >> 12) & 15,
        .crm = (reg >> 8) & 15,
        .op2 = (reg >> 5) & 7,
        .val = val,
    };
    UC(uc_reg_write(o->uc, UC_ARM64_REG_CP_REG, &r));
}

static void xreg_write(struct orc *o, unsigned n, uint64_t v)
{
    UC(uc_reg_write(o->uc, UC_ARM64_REG_X0 + (int)n, &v));
}

static uint64_t xreg_read(struct orc *o, unsigned n)
{
    uint64_t v = 0;
    UC(uc_reg_read(o->uc, UC_ARM64_REG_X0 + (int)n, &v));
    return v;
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
    struct orc *o = user;
    o->fault_intno = (int)intno;
    uc_emu_stop(uc);
}

/* Run one routine; return the exception number taken (0: none). */
static int run(struct orc *o, const struct routine *r)
{
    o->fault_intno = 0;
    orc_stats.emu_runs++;
    uc_err e = uc_emu_start(o->uc, r->start, r->stop, 0, 0);
    if (e != UC_ERR_OK)
        die_uc("uc_emu_start", e);
    return o->fault_intno;
}

/* Emitter state: appends words to the code page. */
struct emit {
    uint32_t *code;
    size_t n;
};
static uint64_t here(const struct emit *e) { return ORC_CODE_PA + 4 * e->n; }
static void put(struct emit *e, uint32_t insn) { e->code[e->n++] = insn; }

static void build_code(struct orc *o)
{
    struct emit e = {o->code, 0};

    /* EL change by a real ERET (EMULATORS.md rule 2); stop on the NOP. */
    o->eret_trick.start = here(&e);
    put(&e, I_ERET);
    o->eret_trick.stop = here(&e);
    put(&e, I_NOP);

    /* Setup at EL3: x0 = register block; MSR each, then invalidate. */
    o->setup.start = here(&e);
    for (unsigned i = 0; i < P_NR; i++) {
        if (i == P_TTBR1_EL2 && !o->vhe)
            continue; /* UNDEFINED without FEAT_VHE */
        put(&e, i_ldr_uoff(1, 0, i * 8));
        put(&e, i_msr(param_reg[i], 1));
    }
    put(&e, I_ISB);
    o->tlbi.start = here(&e);
    put(&e, I_DSB_SY);
    put(&e, I_TLBI_ALLE3);
    put(&e, I_TLBI_ALLE2);
    put(&e, I_TLBI_ALLE1);
    put(&e, I_DSB_SY);
    put(&e, I_ISB);
    o->setup.stop = o->tlbi.stop = here(&e);
    put(&e, I_NOP);

    /* AT loops at EL3: x0 = addresses, x1 = PAR out, x2 = count > 0. */
    for (unsigned op = 0; op < ORC_AT_NR; op++) {
        o->at[op].start = here(&e);
        put(&e, i_ldr_post8(3, 0));
        put(&e, i_sys(at_operand[op], 3));
        put(&e, I_ISB);
        put(&e, i_mrs(R_PAR_EL1, 4));
        put(&e, i_str_post8(4, 1));
        put(&e, i_subs1(2));
        put(&e, i_bne_back(6));
        o->at[op].stop = here(&e);
        put(&e, I_NOP);
    }

    /* Drop from EL3: x5 = SPSR_EL3, x6 = ELR_EL3. */
    o->enter.start = here(&e);
    put(&e, i_msr(R_SPSR_EL3, 5));
    put(&e, i_msr(R_ELR_EL3, 6));
    put(&e, I_ISB);
    put(&e, I_ERET);

    /* Loads: x0 = VAs, x1 = values out, x2 = count > 0. */
    o->load.start = here(&e);
    put(&e, i_ldr_post8(3, 0));
    put(&e, i_ldr(4, 3));
    put(&e, i_str_post8(4, 1));
    put(&e, i_subs1(2));
    put(&e, i_bne_back(4));
    o->load.stop = here(&e);
    put(&e, I_NOP);

    /* Stores: x0 = VAs, x1 = values, x2 = count > 0. */
    o->store.start = here(&e);
    put(&e, i_ldr_post8(3, 0));
    put(&e, i_ldr_post8(4, 1));
    put(&e, i_str(4, 3));
    put(&e, i_subs1(2));
    put(&e, i_bne_back(4));
    o->store.stop = here(&e);
    put(&e, I_NOP);

    /* Fetches: x0 = VAs, x2 = count > 0; each target holds a RET. */
    o->exec.start = here(&e);
    put(&e, i_ldr_post8(3, 0));
    put(&e, I_BLR_X3);
    put(&e, i_subs1(2));
    put(&e, i_bne_back(3));
    o->exec.stop = here(&e);
    put(&e, I_NOP);

    if (4 * e.n > PARAM_OFF) {
        fprintf(stderr, "oracle: guest code too large\n");
        abort();
    }
}

/* Go to EL3h from wherever the CPU is (EMULATORS.md rule 2). */
static void goto_el3(struct orc *o)
{
    uint64_t ps = PSTATE_EL3H;
    uint64_t cont = o->eret_trick.stop;
    UC(uc_reg_write(o->uc, UC_ARM64_REG_PSTATE, &ps));
    cp_write(o, SYSREG(3, 0, 4, 0, 0), PSTATE_EL3H); /* SPSR_EL1 */
    cp_write(o, SYSREG(3, 4, 4, 0, 0), PSTATE_EL3H); /* SPSR_EL2 */
    cp_write(o, R_SPSR_EL3, PSTATE_EL3H);
    cp_write(o, SYSREG(3, 0, 4, 0, 1), cont); /* ELR_EL1 */
    cp_write(o, SYSREG(3, 4, 4, 0, 1), cont); /* ELR_EL2 */
    cp_write(o, R_ELR_EL3, cont);
    if (run(o, &o->eret_trick)) {
        fprintf(stderr, "oracle: exception on the way to EL3\n");
        abort();
    }
}

static void *xalloc(size_t size)
{
    void *p = aligned_alloc(0x10000, size);
    if (!p) {
        fprintf(stderr, "oracle: host out of memory\n");
        abort();
    }
    memset(p, 0, size);
    return p;
}

void orc_ram_reset(struct orc *o)
{
    for (uint64_t i = 0; i < ORC_RAM_SIZE / 8; i++)
        o->ram[i] = orc_ram_word(ORC_RAM_PA + 8 * i);
}

struct orc *orc_open(struct tmm *arena)
{
    return orc_open_cpu(arena, false);
}

struct orc *orc_open_cpu(struct tmm *arena, bool vhe)
{
    struct orc *o = calloc(1, sizeof(*o));
    if (!o)
        abort();
    o->arena = arena;
    o->vhe = vhe;
    UC(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &o->uc));
    UC(uc_ctl_set_cpu_model(o->uc, vhe ? UC_CPU_ARM64_MAX : UC_CPU_ARM64_A72));

    o->code = xalloc(ORC_WIN_SIZE);
    o->data = xalloc(ORC_WIN_SIZE);
    o->batch = xalloc(2 * ORC_BATCH_MAX * sizeof(uint64_t));
    o->ram = xalloc(ORC_RAM_SIZE);
    UC(uc_mem_map_ptr(o->uc, ORC_CODE_PA, ORC_WIN_SIZE, UC_PROT_ALL, o->code));
    UC(uc_mem_map_ptr(o->uc, ORC_DATA_PA, ORC_WIN_SIZE, UC_PROT_ALL, o->data));
    UC(uc_mem_map_ptr(o->uc, ORC_BATCH_PA, 2 * ORC_BATCH_MAX * sizeof(uint64_t),
                      UC_PROT_ALL, o->batch));
    UC(uc_mem_map_ptr(o->uc, ORC_RAM_PA, ORC_RAM_SIZE, UC_PROT_ALL, o->ram));
    size_t asize = arena->nr_pages * arena->page_size;
    UC(uc_mem_map_ptr(o->uc, arena->pa_base, (asize + 0xfff) & ~0xfffull,
                      UC_PROT_ALL, arena->base));
    orc_ram_reset(o);

    uc_hook h;
    UC(uc_hook_add(o->uc, &h, UC_HOOK_INTR, (void *)hook_intr, o, 1, 0));

    build_code(o);
    /* Reset is Secure EL1 with SCR_EL3 = 0: make lower ELs AArch64 and
     * non-secure before the first ERET (rule 1). */
    cp_write(o, R_SCR_EL3, SCR_NS | SCR_RW | SCR_HCE);
    goto_el3(o);
    UC(uc_context_alloc(o->uc, &o->el3_ctx));
    o->regime = ORC_NONE;
    return o;
}

void orc_close(struct orc *o)
{
    if (!o)
        return;
    uc_context_free(o->el3_ctx);
    uc_close(o->uc);
    free(o->code);
    free(o->data);
    free(o->batch);
    free(o->ram);
    free(o->shadow);
    free(o);
}

void *orc_phys(struct orc *o, uint64_t pa)
{
    if (pa >= ORC_RAM_PA && pa - ORC_RAM_PA < ORC_RAM_SIZE)
        return (uint8_t *)o->ram + (pa - ORC_RAM_PA);
    struct tmm *m = o->arena;
    if (pa >= m->pa_base && pa - m->pa_base < m->nr_pages * m->page_size)
        return m->base + (pa - m->pa_base);
    return NULL;
}

static void program(struct orc *o, enum orc_regime regime)
{
    memcpy((uint8_t *)o->code + PARAM_OFF, o->param, sizeof(o->param));
    xreg_write(o, 0, ORC_CODE_PA + PARAM_OFF);
    if (run(o, &o->setup)) {
        fprintf(stderr, "oracle: exception while programming the regime\n");
        abort();
    }
    o->regime = regime;
}

static void base_params(struct orc *o)
{
    memset(o->param, 0, sizeof(o->param));
    o->param[P_HCR_EL2] = HCR_RW;
    o->param[P_SCTLR_EL2] = SCTLR_EL2_RES1;
    o->param[P_SCTLR_EL1] = SCTLR_EL1_RES1;
    o->param[P_SCTLR_EL3] = SCTLR_EL3_RES1;
}

void orc_set_s1_el2(struct orc *o, uint64_t ttbr0, uint64_t tcr, uint64_t mair)
{
    base_params(o);
    o->param[P_TTBR0_EL2] = ttbr0;
    o->param[P_TCR_EL2] = tcr;
    o->param[P_MAIR_EL2] = mair;
    o->param[P_SCTLR_EL2] |= SCTLR_M;
    program(o, ORC_S1_EL2);
}

void orc_set_s1_el10(struct orc *o, uint64_t ttbr0, uint64_t tcr,
                     uint64_t mair)
{
    base_params(o);
    o->param[P_TTBR0_EL1] = ttbr0;
    o->param[P_TCR_EL1] = tcr;
    o->param[P_MAIR_EL1] = mair;
    o->param[P_SCTLR_EL1] |= SCTLR_M;
    program(o, ORC_S1_EL10);
}

void orc_set_s1_el10_2(struct orc *o, uint64_t ttbr0, uint64_t ttbr1,
                       uint64_t tcr, uint64_t mair)
{
    base_params(o);
    o->param[P_TTBR0_EL1] = ttbr0;
    o->param[P_TTBR1_EL1] = ttbr1;
    o->param[P_TCR_EL1] = tcr;
    o->param[P_MAIR_EL1] = mair;
    o->param[P_SCTLR_EL1] |= SCTLR_M;
    program(o, ORC_S1_EL10);
}

void orc_set_s1_el3(struct orc *o, uint64_t ttbr0, uint64_t tcr,
                    uint64_t mair)
{
    base_params(o);
    o->param[P_TTBR0_EL3] = ttbr0;
    o->param[P_TCR_EL3] = tcr;
    o->param[P_MAIR_EL3] = mair;
    o->param[P_SCTLR_EL3] |= SCTLR_M;
    program(o, ORC_S1_EL3);
}

void orc_set_s1_el20(struct orc *o, uint64_t ttbr0, uint64_t ttbr1,
                     uint64_t tcr, uint64_t mair)
{
    if (!o->vhe) {
        fprintf(stderr, "oracle: EL2&0 needs orc_open_cpu(..., true)\n");
        abort();
    }
    base_params(o);
    o->param[P_HCR_EL2] = HCR_RW | HCR_E2H;
    o->param[P_TTBR0_EL2] = ttbr0;
    o->param[P_TTBR1_EL2] = ttbr1;
    o->param[P_TCR_EL2] = tcr;
    o->param[P_MAIR_EL2] = mair;
    o->param[P_SCTLR_EL2] = SCTLR_EL2_E2H_RES1 | SCTLR_M;
    /* The same tables as EL1&0, for AT S1E1R/W and S1E0R/W. */
    o->param[P_TTBR0_EL1] = ttbr0;
    o->param[P_TTBR1_EL1] = ttbr1;
    o->param[P_TCR_EL1] = tcr;
    o->param[P_MAIR_EL1] = mair;
    o->param[P_SCTLR_EL1] |= SCTLR_M;
    program(o, ORC_S1_EL20);
}

void orc_set_s2(struct orc *o, uint64_t vttbr, uint64_t vtcr)
{
    orc_set_s2_hcr(o, vttbr, vtcr, HCR_VM | HCR_DC);
}

void orc_set_s2_hcr(struct orc *o, uint64_t vttbr, uint64_t vtcr,
                    uint64_t hcr)
{
    base_params(o);
    o->param[P_VTTBR_EL2] = vttbr;
    o->param[P_VTCR_EL2] = vtcr;
    o->param[P_HCR_EL2] = hcr | HCR_RW;
    program(o, ORC_S2);
}

void orc_set_s12(struct orc *o, uint64_t ttbr0_el1, uint64_t tcr_el1,
                 uint64_t mair_el1, uint64_t vttbr, uint64_t vtcr)
{
    base_params(o);
    o->param[P_TTBR0_EL1] = ttbr0_el1;
    o->param[P_TCR_EL1] = tcr_el1;
    o->param[P_MAIR_EL1] = mair_el1;
    o->param[P_SCTLR_EL1] |= SCTLR_M;
    o->param[P_VTTBR_EL2] = vttbr;
    o->param[P_VTCR_EL2] = vtcr;
    o->param[P_HCR_EL2] |= HCR_VM;
    program(o, ORC_S12);
}

void orc_tlbi(struct orc *o)
{
    if (run(o, &o->tlbi)) {
        fprintf(stderr, "oracle: exception in TLBI\n");
        abort();
    }
}

void orc_at(struct orc *o, enum orc_at op, const uint64_t *ia, uint64_t *par,
            size_t n)
{
    while (n) {
        size_t k = n < ORC_BATCH_MAX ? n : ORC_BATCH_MAX;
        memcpy(o->batch, ia, k * sizeof(*ia));
        xreg_write(o, 0, ORC_BATCH_PA);
        xreg_write(o, 1, ORC_BATCH_PA + ORC_BATCH_MAX * sizeof(uint64_t));
        xreg_write(o, 2, k);
        if (run(o, &o->at[op])) {
            fprintf(stderr, "oracle: exception in the AT loop\n");
            abort();
        }
        memcpy(par, o->batch + ORC_BATCH_MAX, k * sizeof(*par));
        orc_stats.ats += k;
        ia += k;
        par += k;
        n -= k;
    }
}

/*
 * Make the VA exist in Unicorn's map (rule 3). Unicorn 2.0.1 allows only
 * about 4096 memory regions, so shadow whole 1 MiB chunks, falling back to
 * 64 KiB and 4 KiB where a chunk would overlap a real region (code, data,
 * RAM, arena: a VA inside one of those needs no shadow).
 */
static void shadow_map(struct orc *o, uint64_t va)
{
    for (size_t i = 0; i < o->nshadow; i += 2)
        if (va - o->shadow[i] < o->shadow[i + 1])
            return;
    static const uint64_t sizes[] = {0x100000, 0x10000, 0x1000};
    uint64_t base = 0, size = 0;
    for (size_t k = 0; k < 3; k++) {
        base = va & ~(sizes[k] - 1);
        size = sizes[k];
        uc_err e = uc_mem_map(o->uc, base, size, UC_PROT_ALL);
        if (e == UC_ERR_OK)
            break;
        if (e != UC_ERR_MAP)
            die_uc("uc_mem_map (shadow)", e);
        /* Overlaps something: at 4K it is a real region, fine. */
    }
    if (o->nshadow + 2 > o->shadow_cap) {
        o->shadow_cap = o->shadow_cap ? 2 * o->shadow_cap : 256;
        o->shadow = realloc(o->shadow, o->shadow_cap * sizeof(*o->shadow));
        if (!o->shadow)
            abort();
    }
    o->shadow[o->nshadow++] = base;
    o->shadow[o->nshadow++] = size;
}

/* Run the load or store loop at the regime's EL, then come back to EL3. */
void orc_set_el0(struct orc *o, bool el0)
{
    o->el0 = el0;
}

/* The EL0 alias of an address in the code or data window. */
static uint64_t el0_alias(uint64_t pa)
{
    return pa >= ORC_DATA_PA ? ORC_EL0_DATA_VA + (pa - ORC_DATA_PA)
                             : ORC_EL0_CODE_VA + (pa - ORC_CODE_PA);
}

/* Run the load or store loop at the regime's EL (or EL0), then come back
 * to EL3. */
static size_t mem_run(struct orc *o, const struct routine *r,
                      const uint64_t *va, size_t n, uint64_t *stats)
{
    uint64_t spsr;
    switch (o->regime) {
    case ORC_S1_EL3:
        spsr = PSTATE_EL3H;
        break;
    case ORC_S1_EL2:
    case ORC_S1_EL20:
        spsr = PSTATE_EL2H;
        break;
    case ORC_S1_EL10:
    case ORC_S2:
    case ORC_S12:
        spsr = PSTATE_EL1H;
        break;
    default:
        fprintf(stderr, "oracle: no regime programmed\n");
        abort();
    }
    bool el0 = o->el0;
    if (el0 && o->regime != ORC_S1_EL10 && o->regime != ORC_S1_EL20) {
        fprintf(stderr, "oracle: EL0 runs need EL1&0 or EL2&0\n");
        abort();
    }
    for (size_t i = 0; i < n; i++)
        shadow_map(o, va[i]);
    memcpy(o->data, va, n * sizeof(*va));
    uint64_t data = ORC_DATA_PA, start = r->start, stop = r->stop;
    if (el0) {
        for (uint64_t a = 0; a < ORC_WIN_SIZE; a += 0x1000) {
            shadow_map(o, ORC_EL0_CODE_VA + a);
            shadow_map(o, ORC_EL0_DATA_VA + a);
        }
        data = el0_alias(ORC_DATA_PA);
        start = el0_alias(start);
        stop = el0_alias(stop);
        spsr = PSTATE_EL0T;
        UC(uc_context_save(o->uc, o->el3_ctx));
        /* EL0 belongs to EL2&0 only with TGE set (the ERET below takes
         * the new value into account). */
        if (o->regime == ORC_S1_EL20)
            cp_write(o, R_HCR_EL2, HCR_RW | HCR_E2H | HCR_TGE);
    }
    xreg_write(o, 0, data);
    xreg_write(o, 1, data + ORC_WIN_SIZE / 2);
    xreg_write(o, 2, n);
    xreg_write(o, 5, spsr);
    xreg_write(o, 6, start);
    struct routine enter = {o->enter.start, stop};
    int exc = run(o, &enter);
    size_t done = n;
    if (exc)
        done = n - (size_t)xreg_read(o, 2);
    if (el0) {
        /* An ERET at EL0 is undefined: back to EL3 as it was. */
        UC(uc_context_restore(o->uc, o->el3_ctx));
    } else {
        /* The way back fetches one ERET through the tables under test:
         * turn their MMU off first so broken tables (an unmapped code
         * window) cannot strand the CPU. */
        cp_write(o, R_SCTLR_EL3, SCTLR_EL3_RES1);
        cp_write(o, R_SCTLR_EL2, SCTLR_EL2_RES1);
        cp_write(o, R_SCTLR_EL1, SCTLR_EL1_RES1);
        cp_write(o, R_HCR_EL2, HCR_RW); /* stage 2 and E2H off too */
        goto_el3(o);
    }
    program(o, o->regime);
    *stats += done;
    if (el0)
        orc_stats.el0 += done + (done < n);
    return done;
}

size_t orc_load(struct orc *o, const uint64_t *va, uint64_t *val, size_t n)
{
    if (n == 0 || n > ORC_MEM_MAX)
        abort();
    size_t done = mem_run(o, &o->load, va, n, &orc_stats.loads);
    memcpy(val, o->data + ORC_WIN_SIZE / 2, done * sizeof(*val));
    return done;
}

size_t orc_store(struct orc *o, const uint64_t *va, const uint64_t *val,
                 size_t n)
{
    if (n == 0 || n > ORC_MEM_MAX)
        abort();
    memcpy(o->data + ORC_WIN_SIZE / 2, val, n * sizeof(*val));
    return mem_run(o, &o->store, va, n, &orc_stats.stores);
}

size_t orc_exec(struct orc *o, const uint64_t *va, bool *ok, size_t n)
{
    size_t good = 0;
    while (n) {
        size_t k = n < ORC_MEM_MAX ? n : ORC_MEM_MAX;
        size_t done = mem_run(o, &o->exec, va, k, &orc_stats.fetches);
        for (size_t i = 0; i < done; i++)
            ok[i] = true;
        good += done;
        if (done < k) {
            ok[done] = false; /* this fetch faulted: go on after it */
            orc_stats.fetch_faults++;
            done++;
        }
        va += done;
        ok += done;
        n -= done;
    }
    return good;
}

/* --- PAR_EL1 ------------------------------------------------------- */

void orc_par_decode(uint64_t par, struct orc_par *p)
{
    memset(p, 0, sizeof(*p));
    p->raw = par;
    if (!(par & 1)) {
        p->fault = ORC_OK;
        p->pa = par & 0x000ffffffffff000ull;
        p->sh = (uint8_t)((par >> 7) & 3);
        p->ns = (par >> 9) & 1;
        p->attr = (uint8_t)(par >> 56);
        return;
    }
    /* F = 1: FST [6:1], PTW [8], S [9] (Arm ARM D19.2 PAR_EL1). */
    p->fst = (uint32_t)((par >> 1) & 0x3f);
    p->ptw = (par >> 8) & 1;
    p->s2 = (par >> 9) & 1;
    p->level = (int)(p->fst & 3);
    switch (p->fst & 0x3c) {
    case 0x00:
        p->fault = ORC_F_ASIZE;
        break;
    case 0x04:
        p->fault = ORC_F_TRANS;
        break;
    case 0x08:
        p->fault = ORC_F_AF;
        break;
    case 0x0c:
        p->fault = ORC_F_PERM;
        break;
    default:
        p->fault = ORC_F_OTHER;
        break;
    }
}

const char *orc_fault_name(enum orc_fault f)
{
    switch (f) {
    case ORC_OK:
        return "ok";
    case ORC_F_TRANS:
        return "translation";
    case ORC_F_AF:
        return "access-flag";
    case ORC_F_PERM:
        return "permission";
    case ORC_F_ASIZE:
        return "address-size";
    default:
        return "other";
    }
}

const char *orc_at_name(enum orc_at op)
{
    static const char *const names[ORC_AT_NR] = {
        "S1E2R", "S1E2W", "S1E1R", "S1E1W",  "S1E0R",
        "S1E0W", "S12E1R", "S12E1W", "S1E3R", "S1E3W",
    };
    return op < ORC_AT_NR ? names[op] : "?";
}

static void describe(char *buf, size_t len, const struct orc_par *p)
{
    if (p->fault == ORC_OK)
        snprintf(buf, len, "ok pa=%#llx attr=%#04x sh=%u ns=%d",
                 (unsigned long long)p->pa, p->attr, p->sh, p->ns);
    else
        snprintf(buf, len, "%s fault L%d%s%s", orc_fault_name(p->fault),
                 p->level, p->s2 ? " stage-2" : "", p->ptw ? " ptw" : "");
}

size_t orc_compare(const char *what, enum orc_at op, const uint64_t *ia,
                   const uint64_t *par, const struct orc_expect *exp,
                   size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        struct orc_par p;
        const struct orc_expect *e = &exp[i];
        orc_par_decode(par[i], &p);
        bool ok = p.fault == e->fault;
        if (ok && e->fault == ORC_OK) {
            ok = p.pa == (e->pa & ~0xfffull) &&
                 (e->attr < 0 || p.attr == e->attr) &&
                 (e->sh < 0 || p.sh == e->sh) &&
                 (!e->check_ns || p.ns == e->ns);
        } else if (ok) {
            ok = (e->level == ORC_ANY_LEVEL || p.level == e->level) &&
                 p.s2 == e->s2;
        }
        if (ok)
            continue;
        if (bad++ < 8) {
            char got[96], want[96];
            describe(got, sizeof(got), &p);
            if (e->fault == ORC_OK) {
                int n = snprintf(want, sizeof(want), "ok pa=%#llx",
                                 (unsigned long long)(e->pa & ~0xfffull));
                if (e->attr >= 0)
                    n += snprintf(want + n, sizeof(want) - (size_t)n,
                                  " attr=%#04x", (unsigned)e->attr);
                if (e->sh >= 0)
                    n += snprintf(want + n, sizeof(want) - (size_t)n,
                                  " sh=%d", e->sh);
                if (e->check_ns)
                    snprintf(want + n, sizeof(want) - (size_t)n, " ns=%d",
                             e->ns);
            } else if (e->level == ORC_ANY_LEVEL) {
                snprintf(want, sizeof(want), "%s fault%s",
                         orc_fault_name(e->fault), e->s2 ? " stage-2" : "");
            } else {
                snprintf(want, sizeof(want), "%s fault L%d%s",
                         orc_fault_name(e->fault), e->level,
                         e->s2 ? " stage-2" : "");
            }
            fprintf(stderr,
                    "oracle mismatch [%s] AT %s %#llx: emulator %s (PAR %#llx), "
                    "expected %s\n",
                    what, orc_at_name(op), (unsigned long long)ia[i], got,
                    (unsigned long long)par[i], want);
        }
    }
    if (bad > 8)
        fprintf(stderr, "oracle [%s]: %zu mismatches in all\n", what, bad);
    return bad;
}
