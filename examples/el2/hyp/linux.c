// SPDX-License-Identifier: MIT
/*
 * The Linux host: pgt-hyp loads an unmodified arm64 kernel Image and an
 * initramfs that QEMU hands over as fw_cfg files, gives the host a DTB it
 * edited with libfdt, and enters the kernel at EL1 by the arm64 boot
 * protocol (Documentation/arch/arm64/booting.rst in Linux):
 *
 *   kernel    at a 2 MiB-aligned base + the header's text_offset, the
 *             header's image_size bytes free from there
 *   DTB       the next 2 MiB-aligned address (its own 2 MiB region)
 *   initramfs the 2 MiB region after it; /chosen linux,initrd-start/end
 *   entry     EL1h, MMU and D-cache off, x0 = DTB, x1..x3 = 0
 *
 * The host's DTB keeps the hypervisor's memory in /reserved-memory
 * (no-map) and loses every device that can write memory behind the CPU's
 * back (fw_cfg's DMA, the PCIe host bridge). With no fw_cfg files this is
 * the payload run, and nothing here changes it but the fw_cfg refusal.
 */
#include <libfdt.h>

#include "hyp.h"

#include "arch.h"
#include "fwcfg.h"
#include "semihost.h"
#include "uart.h"

#define FWCFG_KERNEL "opt/pgt-hyp/kernel"
#define FWCFG_INITRD "opt/pgt-hyp/initrd"
#define FWCFG_CMDLINE "opt/pgt-hyp/cmdline"

/* Always on the host's command line: its console, and a panic that ends
 * the run (PSCI SYSTEM_RESET) instead of hanging it. */
#define BASE_BOOTARGS "console=ttyAMA0 panic=-1"

/* Room the edited DTB may grow by (nodes and strings added). */
#define DTB_SLACK 0x4000ull
#define DTB_MAX SZ_2M

/* arm64 Image header (booting.rst), all little-endian. */
#define IMAGE_HDR_SIZE 64
#define IMAGE_MAGIC 0x644d5241u /* "ARM\x64" at offset 56 */
#define IMAGE_FLAG_BE (1ull << 0)
#define IMAGE_FLAG_PAGE_SHIFT 1

/* libfdt's stack-protector guard (Debian builds it with one). */
uint64_t __stack_chk_guard = 0x5ca1ab1e0ddba11ull;
void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
    hyp_fail("stack corruption detected in libfdt");
}

static uint8_t kernel_hdr[4096] __attribute__((aligned(4096)));
static char bootargs[512];

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint64_t le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void map_or_fail(struct hyp_state *h, uint64_t pa, uint64_t size,
                        enum pgt_prot prot, const char *what)
{
    uint64_t s = pa & ~(PAGE_SIZE - 1), e = align_up(pa + size, PAGE_SIZE);
    int ret = pgt_hyp_map(&h->hyp_s1, s, e - s, s, prot);
    if (ret < 0)
        hyp_fail("mapping %s 0x%lx-0x%lx in the hyp stage 1: error %d", what, s,
                 e, ret);
}

static void unmap(struct hyp_state *h, uint64_t pa, uint64_t size)
{
    uint64_t s = pa & ~(PAGE_SIZE - 1), e = align_up(pa + size, PAGE_SIZE);
    pgt_hyp_unmap(&h->hyp_s1, s, e - s);
}

/* The first "reg" entry of node @node: address and size. */
static int node_reg(const void *fdt, int node, uint64_t *base, uint64_t *size)
{
    int parent = fdt_parent_offset(fdt, node);
    int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
    int len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

    if (!reg || ac < 1 || ac > 2 || sc < 0 || sc > 2 ||
        len < (int)sizeof(fdt32_t) * (ac + sc))
        return -FDT_ERR_BADVALUE;
    *base = fdt32_to_cpu(reg[0]);
    if (ac == 2)
        *base = *base << 32 | fdt32_to_cpu(reg[1]);
    *size = 0;
    for (int i = 0; i < sc; i++)
        *size = *size << 32 | fdt32_to_cpu(reg[ac + i]);
    return 0;
}

/* Check the kernel's header (read into kernel_hdr) and its size; returns
 * text_offset and image_size. */
static void check_image(uint32_t file_size, uint64_t *text_offset,
                        uint64_t *image_size)
{
    const uint8_t *b = kernel_hdr;

    if (file_size < IMAGE_HDR_SIZE)
        hyp_fail("kernel Image truncated: %u bytes, less than its %u-byte "
                 "header",
                 file_size, IMAGE_HDR_SIZE);
    if (le(b + 56, 4) != IMAGE_MAGIC)
        hyp_fail("kernel is not an arm64 Image (magic 0x%lx at offset 56, "
                 "expected 0x%x)",
                 le(b + 56, 4), IMAGE_MAGIC);
    uint64_t flags = le(b + 24, 8);
    *text_offset = le(b + 8, 8);
    *image_size = le(b + 16, 8);
    if (flags & IMAGE_FLAG_BE)
        hyp_fail("kernel Image is big-endian");
    if (*image_size == 0)
        hyp_fail("kernel Image has no image_size (a pre-3.17 kernel)");
    if (file_size > *image_size)
        hyp_fail("kernel Image file (%u bytes) larger than its image_size "
                 "(%lu)",
                 file_size, *image_size);
    /* An EFI-stub kernel is also a PE/COFF file whose section table says
     * where its data ends: a shorter file was cut. */
    if (b[0] == 'M' && b[1] == 'Z') {
        uint64_t pe = le(b + 60, 4);
        if (pe + 24 > sizeof(kernel_hdr) || le(b + pe, 4) != 0x00004550u)
            hyp_fail("kernel Image: PE/COFF header missing at 0x%lx", pe);
        uint64_t nsec = le(b + pe + 6, 2), optsz = le(b + pe + 20, 2);
        uint64_t sec = pe + 24 + optsz, end = 0;
        if (sec + 40 * nsec > sizeof(kernel_hdr) || nsec == 0)
            hyp_fail("kernel Image: PE/COFF section table unreadable");
        for (uint64_t i = 0; i < nsec; i++) {
            uint64_t e =
                le(b + sec + 40 * i + 20, 4) + le(b + sec + 40 * i + 16, 4);
            if (e > end)
                end = e;
        }
        if (file_size < end)
            hyp_fail("kernel Image truncated: %u bytes, its PE/COFF "
                     "sections end at %lu",
                     file_size, end);
        /* Header flags bits [2:1]: the kernel's page size. */
        static const unsigned page_kib[4] = {0, 4, 16, 64};
        uart_printf("[linux] arm64 Image: text_offset 0x%lx, image_size "
                    "0x%lx, %uK pages, PE/COFF sections end at 0x%lx of "
                    "0x%x bytes: complete\n",
                    *text_offset, *image_size,
                    page_kib[(flags >> IMAGE_FLAG_PAGE_SHIFT) & 3], end,
                    file_size);
    } else {
        uart_printf("[linux] arm64 Image: text_offset 0x%lx, image_size "
                    "0x%lx (no PE/COFF header: size not checkable)\n",
                    *text_offset, *image_size);
    }
}

/* Hex of @v into @p (no leading zeros); returns the end. */
static char *put_hex(char *p, uint64_t v)
{
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    *p = 0;
    return p;
}

static void append(char *dst, size_t max, const char *s)
{
    size_t n = strlen(dst);
    while (*s && n + 1 < max)
        dst[n++] = *s++;
    dst[n] = 0;
}

static void fdt_or_fail(int ret, const char *what)
{
    if (ret < 0)
        hyp_fail("host DTB: %s: %s", what, fdt_strerror(ret));
}

/* A no-map /reserved-memory child "NAME@ADDR" covering [start, end). */
static void reserve_node(void *fdt, int rsv, const char *name, uint64_t start,
                         uint64_t end)
{
    char unit[64] = "";
    fdt32_t reg[4];

    append(unit, sizeof(unit), name);
    append(unit, sizeof(unit), "@");
    put_hex(unit + strlen(unit), start);
    int node = fdt_add_subnode(fdt, rsv, unit);
    fdt_or_fail(node, "adding a /reserved-memory node");
    reg[0] = cpu_to_fdt32((uint32_t)(start >> 32));
    reg[1] = cpu_to_fdt32((uint32_t)start);
    reg[2] = cpu_to_fdt32((uint32_t)((end - start) >> 32));
    reg[3] = cpu_to_fdt32((uint32_t)(end - start));
    fdt_or_fail(fdt_setprop(fdt, node, "reg", reg, sizeof(reg)), "reg");
    fdt_or_fail(fdt_setprop_empty(fdt, node, "no-map"), "no-map");
}

/* The host stage 2 refuses [base, base + size) to the host. */
static void refuse(struct linux_host *l, const char *name, uint64_t base,
                   uint64_t size)
{
    if (l->nr_refused == (int)(sizeof(l->refused) / sizeof(l->refused[0])))
        hyp_fail("too many devices to refuse (%s)", name);
    l->refused[l->nr_refused].name = name;
    l->refused[l->nr_refused].start = base & ~(PAGE_SIZE - 1);
    l->refused[l->nr_refused].end = align_up(base + size, PAGE_SIZE);
    l->nr_refused++;
}

/* Remove every node compatible with @compat; their names go to @log. With
 * @name, each one's MMIO is refused in the host stage 2 as well (its
 * parent must map addresses 1:1, as QEMU virt's do). */
static void remove_devices(struct linux_host *l, void *fdt, const char *compat,
                           const char *name, char *log, size_t max)
{
    int node;
    while ((node = fdt_node_offset_by_compatible(fdt, -1, compat)) >= 0) {
        uint64_t base, size;
        append(log, max, " ");
        append(log, max, fdt_get_name(fdt, node, NULL));
        if (name && node_reg(fdt, node, &base, &size) == 0)
            refuse(l, name, base, size);
        fdt_or_fail(fdt_del_node(fdt, node), "removing a device");
    }
}

/* The CPUs the host may start: the DTB's cpu nodes, at most HYP_MAX_CPUS
 * (the others are taken out of the host's DTB). */
static void read_cpus(struct hyp_state *h, void *fdt, bool edit)
{
    int cpus = fdt_path_offset(fdt, "/cpus");
    int node, n = 0;

    fdt_or_fail(cpus, "no /cpus node");
restart:
    fdt_for_each_subnode(node, fdt, cpus)
    {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        uint64_t mpidr, unused;
        if (!type || strcmp(type, "cpu") != 0)
            continue;
        if (node_reg(fdt, node, &mpidr, &unused) < 0)
            continue;
        bool known = false;
        for (int i = 0; i < n; i++)
            known |= h->cpu[i].mpidr == mpidr;
        if (known)
            continue;
        if (n == HYP_MAX_CPUS) {
            if (!edit)
                continue;
            uart_printf("[dtb] cpu MPIDR 0x%lx left out: pgt-hyp runs at most "
                        "%d CPUs\n",
                        mpidr, HYP_MAX_CPUS);
            fdt_or_fail(fdt_del_node(fdt, node), "removing a cpu");
            n = 0;
            goto restart; /* offsets moved */
        }
        h->cpu[n++].mpidr = mpidr;
    }
    h->nr_cpus = n;
}

/* Copy QEMU's DTB to @dst and edit it for the host. */
static void build_host_dtb(struct hyp_state *h, const void *src, void *dst,
                           uint64_t size)
{
    struct linux_host *l = &h->linux;
    char removed[128] = "";

    fdt_or_fail(fdt_open_into(src, dst, (int)size), "copying QEMU's DTB");
    void *fdt = dst;

    int mem = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory",
                                            sizeof("memory"));
    fdt_or_fail(mem, "no memory node");

    read_cpus(h, fdt, true);

    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen < 0)
        chosen = fdt_add_subnode(fdt, 0, "chosen");
    fdt_or_fail(chosen, "/chosen");
    fdt_or_fail(fdt_setprop_string(fdt, chosen, "bootargs", bootargs),
                "bootargs");
    fdt_or_fail(fdt_setprop_u64(fdt, chosen, "linux,initrd-start", l->initrd),
                "linux,initrd-start");
    fdt_or_fail(fdt_setprop_u64(fdt, chosen, "linux,initrd-end", l->initrd_end),
                "linux,initrd-end");

    int rsv = fdt_path_offset(fdt, "/reserved-memory");
    if (rsv < 0) {
        rsv = fdt_add_subnode(fdt, 0, "reserved-memory");
        fdt_or_fail(rsv, "adding /reserved-memory");
        fdt_or_fail(fdt_setprop_u32(fdt, rsv, "#address-cells", 2), "cells");
        fdt_or_fail(fdt_setprop_u32(fdt, rsv, "#size-cells", 2), "cells");
        fdt_or_fail(fdt_setprop_empty(fdt, rsv, "ranges"), "ranges");
    } else if (fdt_address_cells(fdt, rsv) != 2 ||
               fdt_size_cells(fdt, rsv) != 2) {
        hyp_fail("host DTB: /reserved-memory does not use 2 address and 2 "
                 "size cells");
    }
    reserve_node(fdt, rsv, "pgt-hyp", h->image.start, h->image.end);
    reserve_node(fdt, rsv, "pgt-hyp-carveout", h->carveout.start,
                 h->carveout.end);

    /* fw_cfg is refused already (linux_prepare); a GICv3 ITS writes its
     * tables wherever the host points it; PCIe devices could DMA (none
     * are attached: -nic none, no -device). */
    remove_devices(l, fdt, "qemu,fw-cfg-mmio", NULL, removed, sizeof(removed));
    remove_devices(l, fdt, "arm,gic-v3-its", "gic-v3-its", removed,
                   sizeof(removed));
    remove_devices(l, fdt, "pci-host-ecam-generic", NULL, removed,
                   sizeof(removed));
    fdt_or_fail(fdt_pack(fdt), "packing");
    l->dtb_size = fdt_totalsize(fdt);

    uart_printf("[dtb] host DTB at 0x%lx (%lu bytes), edited with libfdt: "
                "/reserved-memory no-map 0x%lx-0x%lx (pgt-hyp) and "
                "0x%lx-0x%lx (carve-out)\n",
                l->dtb, l->dtb_size, h->image.start, h->image.end,
                h->carveout.start, h->carveout.end);
    uart_printf("[dtb] removed (can DMA):%s\n", removed);
    uart_printf("[dtb] /chosen: bootargs \"%s\", initrd 0x%lx-0x%lx\n",
                bootargs, l->initrd, l->initrd_end);
    uart_printf("[dtb] cpus: %d:", h->nr_cpus);
    for (int i = 0; i < h->nr_cpus; i++)
        uart_printf(" MPIDR 0x%lx", h->cpu[i].mpidr);
    uart_printf("\n");
}

static void load(uint16_t sel, uint32_t offset, uint64_t pa, uint32_t len,
                 const char *what)
{
    if (fwcfg_read(sel, offset, pa, len) < 0)
        hyp_fail("fw_cfg DMA of the %s failed", what);
}

/* Clean [pa, pa + size) to PoC: the host reads it with its MMU off. */
static void clean_range(uint64_t pa, uint64_t size)
{
    uint64_t line = 4ull << ((read_sysreg(ctr_el0) >> 16) & 0xf);
    for (uint64_t a = pa & ~(line - 1); a < pa + size; a += line)
        __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    dsb(sy);
}

int linux_prepare(struct hyp_state *h)
{
    struct linux_host *l = &h->linux;
    const void *qdtb = (const void *)(uintptr_t)h->dtb;
    uint64_t qsize = h->dtb_size;

    /* QEMU's DTB, read-only, for as long as we read it. */
    map_or_fail(h, h->dtb, qsize, PGT_PROT_R, "QEMU's DTB");
    if (fdt_check_header(qdtb) < 0)
        hyp_fail("the DTB at 0x%lx is not valid for libfdt", h->dtb);
    /* The CPUs PSCI CPU_ON may name (the payload's too). */
    read_cpus(h, (void *)(uintptr_t)qdtb, false);
    h->cpu[0].online = true;

    int node = fdt_node_offset_by_compatible(qdtb, -1, "qemu,fw-cfg-mmio");
    if (node < 0 || node_reg(qdtb, node, &l->fwcfg, &l->fwcfg_size) < 0) {
        unmap(h, h->dtb, qsize);
        return 0; /* no fw_cfg: nothing to load, nothing to hide */
    }
    refuse(l, "fw_cfg", l->fwcfg, l->fwcfg_size);
    map_or_fail(h, l->fwcfg, l->fwcfg_size, PGT_PROT_RW | PGT_PROT_DEVICE,
                "fw_cfg");
    uint16_t ksel = 0, isel = 0, csel = 0;
    uint32_t ksize = 0, isize = 0, csize = 0;
    bool fw = fwcfg_init(l->fwcfg) == 0;
    bool k = fw && fwcfg_find(FWCFG_KERNEL, &ksel, &ksize) == 0;
    bool i = fw && fwcfg_find(FWCFG_INITRD, &isel, &isize) == 0;
    bool c = fw && fwcfg_find(FWCFG_CMDLINE, &csel, &csize) == 0;
    if (!k && !i && !c) {
        unmap(h, l->fwcfg, l->fwcfg_size);
        unmap(h, h->dtb, qsize);
        return 0; /* the payload run */
    }

    /* A Linux run: QEMU has no -semihosting, and the host must not get it
     * either (EL2 cannot trap HLT from EL1). */
    semihost_enabled = false;
    l->enabled = true;
    uart_printf("[linux] fw_cfg at 0x%lx: %s %u bytes, %s %u bytes, %s %u "
                "bytes\n",
                l->fwcfg, FWCFG_KERNEL, ksize, FWCFG_INITRD, isize,
                FWCFG_CMDLINE, csize);
    if (!k || ksize == 0)
        hyp_fail("no kernel Image: fw_cfg file %s missing or empty (QEMU "
                 "-fw_cfg name=%s,file=Image)",
                 FWCFG_KERNEL, FWCFG_KERNEL);
    if (!i || isize == 0)
        hyp_fail("no initramfs: fw_cfg file %s missing or empty (QEMU "
                 "-fw_cfg name=%s,file=initrd.gz)",
                 FWCFG_INITRD, FWCFG_INITRD);

    bootargs[0] = 0;
    append(bootargs, sizeof(bootargs), BASE_BOOTARGS);
    if (c && csize) {
        static char extra[256];
        if (csize >= sizeof(extra))
            hyp_fail("%s: %u bytes, at most %lu", FWCFG_CMDLINE, csize,
                     (uint64_t)sizeof(extra) - 1);
        load(csel, 0, (uint64_t)(uintptr_t)extra, csize, "command line");
        extra[csize] = 0;
        if (csize && extra[csize - 1] == '\n')
            extra[csize - 1] = 0;
        append(bootargs, sizeof(bootargs), " ");
        append(bootargs, sizeof(bootargs), extra);
    }

    uint32_t hdr = ksize < sizeof(kernel_hdr) ? ksize : sizeof(kernel_hdr);
    load(ksel, 0, (uint64_t)(uintptr_t)kernel_hdr, hdr, "kernel header");
    uint64_t text_offset, image_size;
    check_image(ksize, &text_offset, &image_size);

    /* Placement: everything below the carve-out, in the RAM region that
     * holds the hypervisor. */
    uint64_t base = align_up(h->image.end, SZ_2M);
    l->kernel = base + text_offset;
    l->kernel_end = l->kernel + image_size;
    l->dtb = align_up(l->kernel_end, SZ_2M);
    l->initrd = l->dtb + DTB_MAX;
    l->initrd_end = l->initrd + isize;
    uint64_t limit = h->carveout.start;
    for (int r = 0; r < h->nr_ram; r++)
        if (h->image.start >= h->ram[r].base &&
            h->image.start - h->ram[r].base < h->ram[r].size &&
            h->ram[r].base + h->ram[r].size < limit)
            limit = h->ram[r].base + h->ram[r].size;
    if (l->initrd_end > limit)
        hyp_fail("kernel (image_size %lu KiB) and initramfs (%u KiB) do not "
                 "fit in RAM: they need 0x%lx-0x%lx, RAM for the host ends "
                 "at 0x%lx (carve-out 0x%lx-0x%lx)",
                 image_size >> 10, isize >> 10, base, l->initrd_end, limit,
                 h->carveout.start, h->carveout.end);
    if (qsize + DTB_SLACK > DTB_MAX)
        hyp_fail("QEMU's DTB is %lu bytes: too large for the host's 2 MiB",
                 qsize);

    /* Straight to physical memory: the hypervisor never maps these, so
     * no cache line of its own can hold stale data for them. */
    load(ksel, 0, l->kernel, ksize, "kernel");
    load(isel, 0, l->initrd, isize, "initramfs");
    uint32_t magic = 0;
    load(isel, 0, (uint64_t)(uintptr_t)&magic, sizeof(magic),
         "initramfs header");
    if ((magic & 0xffff) != 0x8b1f && magic != 0x37303730u /* "0707" */)
        hyp_fail("initramfs is neither gzip nor cpio (starts 0x%08x)", magic);
    uart_printf("[linux] loaded by fw_cfg DMA: kernel 0x%lx-0x%lx, "
                "initramfs 0x%lx-0x%lx\n",
                l->kernel, l->kernel_end, l->initrd, l->initrd_end);

    uint64_t dsize = align_up(qsize + DTB_SLACK, PAGE_SIZE);
    map_or_fail(h, l->dtb, dsize, PGT_PROT_RW, "the host's DTB");
    build_host_dtb(h, qdtb, (void *)(uintptr_t)l->dtb, dsize);
    clean_range(l->dtb, l->dtb_size);
    /* Nothing of the host's stays in the hypervisor's stage 1. */
    unmap(h, l->dtb, dsize);
    unmap(h, l->fwcfg, l->fwcfg_size);
    unmap(h, h->dtb, qsize);
    return 0;
}

void linux_enter(struct hyp_state *h)
{
    struct linux_host *l = &h->linux;

    hyp_boot_params.ttbr0 = read_sysreg(ttbr0_el2);
    hyp_boot_params.tcr = read_sysreg(tcr_el2);
    hyp_boot_params.mair = read_sysreg(mair_el2);
    el2_setup_for_host();
    host_s2_enable(h);
    uart_printf("[host] entering Linux at 0x%lx: EL1h, MMU off, x0 = DTB "
                "0x%lx; HCR_EL2=0x%lx CPTR_EL2=0x%lx CNTHCTL_EL2=0x%lx "
                "(%lu ms since reset)\n",
                l->kernel, l->dtb, read_sysreg(hcr_el2), read_sysreg(cptr_el2),
                read_sysreg(cnthctl_el2), hyp_now_ms());
    hyp_enter_host(l->kernel, l->dtb, 0, 0, 0, 0);
}

void linux_host_exit(struct hyp_state *h, bool reset)
{
    hyp_spin_lock(&h->host_mmu_lock);
    uart_printf("\nhyp: host asked for %s (%lu ms since reset)\n",
                reset ? "SYSTEM_RESET" : "SYSTEM_OFF", hyp_now_ms());
    host_print_stats(h);
    unsigned bad = host_s2_check(h) + h->failures;
    hyp_spin_unlock(&h->host_mmu_lock);
    if (reset) {
        /* Passed on; in these runs it only comes from a kernel panic. */
        uart_printf("pgt-hyp: FAIL: the host reset (a kernel panic, with "
                    "panic=-1)\n");
        psci_firmware_reset();
    }
    uart_printf("pgt-hyp: %s (host powered off, %u hypervisor check "
                "failures)\n",
                bad ? "FAIL" : "PASS", bad);
    hyp_exit(bad ? 1 : 0);
}
