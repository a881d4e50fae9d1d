#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot an EL2 image under qemu-system-aarch64 and check what it prints.

    run_el2.py IMAGE [--profile hyp|lpa2|dirty|linux|...] [--cpu CPU]
               [--qemu BIN] [--timeout S] [--show] [--expect REGEX]...
    run_el2.py pgt-hyp.elf --profile linux --kernel Image --initrd initrd.gz

The image is entered at EL2 (-M virt,virtualization=on) and ends the run
through semihosting SYS_EXIT (-semihosting), so QEMU's exit status is the
image's verdict. The run passes when QEMU exits 0 within the timeout, every
expected line appears in order, and no line reports a failure.

Profiles: 'hyp' checks every step of pgt-hyp's boot and of its EL1 host's
proofs (examples/el2/README.md), and decodes the first refused access's
ESR_EL2/FAR_EL2/HPFAR_EL2 against the Arm ARM; 'lpa2' checks the 52-bit
output-address test; 'dirty' the stage-2 hardware dirty-state test
(tests/qemu/dirty: no fault, the leaves the hardware dirtied, what the
library reported, the controls); 'crash' expects pgt-hyp built with
-DPGT_HYP_CRASH_TEST to have its EL2 vectors report an unexpected data
abort (ESR/FAR decoded) and stop with status 1; 'unprotected' passes only if the 'hyp' checks
fail on a pgt-hyp built without the ownership annotation, because the
host's read of hypervisor memory was not refused. 'bootloader' boots
examples/bootloader at EL1 on plain -M virt (no EL2 or EL3) and checks
its tables, registers and every check of its upper-range payload. --show prints the console as it comes (the demo).

'linux' hands pgt-hyp Debian's kernel and a busybox initramfs as fw_cfg
files and runs two CPUs without -semihosting (a host could reach the
machine running QEMU through it): QEMU exits through PSCI SYSTEM_OFF, and
the verdict is the console's: every hypervisor step, the kernel's boot,
each check of tests/qemu/linux/init, the hypervisor's statistics (both
CPUs faulted into the host stage 2, 2 MiB blocks used, the three devmem
reads refused) and its invariants. 'linux-bad' passes when the hypervisor
stops with 'pgt-hyp: FAIL: ' and the --expect-fail reason, in time. A
missing kernel or initramfs file is a SKIP (exit 77). On a timeout the
report names the last step seen and the one it waited for.
"""
import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

HEX = r'0x[0-9a-f]+'

# pgt-hyp: (regex, what it proves), in the order they must appear.
HYP_STEPS = [
    (r'^\[boot\] pgt-hyp entered at EL2\b', 'entered at EL2'),
    (r'^\[boot\] nVHE: HCR_EL2=0x80080000 SCTLR_EL2=0x30c50830 \(MMU off\) '
     r'VBAR_EL2=0x402[0-9a-f]{5}$', 'nVHE HCR_EL2, SCTLR_EL2 MMU off, vectors'),
    (r'^\[dtb\] memory: 0x40000000-RAM_END \(RAM_MIB MiB\)$',
     'RAM from the DTB'),
    (r'^\[reserve\] vmemmap \d+ \+ hyp stage-1 \d+ \+ host stage-2 \d+ pages',
     'carve-out sized by the reservation functions'),
    (r'^\[reserve\] carve-out ' + HEX + '-RAM_END; image 0x40200000-',
     'carve-out at the top of RAM'),
    (r'^\[early\] divide_memory_pool: vmemmap ' + HEX + ', stage-1 ' + HEX +
     ', stage-2 ' + HEX + '; early allocator over ', 'early allocator'),
    (r'^\[s1\] hyp stage 1: 4K granule, 39-bit VA, start level 1',
     'hyp stage 1 created'),
    (r'^\[s1\]   text +0x40200000-' + HEX + ' R-X$', 'text RX'),
    (r'^\[s1\]   idmap +' + HEX + '-' + HEX + ' R-X$', 'switch page idmap'),
    (r'^\[s1\]   rodata +' + HEX + '-' + HEX + ' R-- XN$', 'rodata R'),
    (r'^\[s1\]   data +' + HEX + '-' + HEX + ' RW- XN$', 'data RW XN'),
    (r'^\[s1\]   stack +' + HEX + '-' + HEX + ' RW- XN$', 'stack RW XN'),
    (r'^\[s1\]   carveout +' + HEX + '-RAM_END RW- XN$', 'carve-out RW XN'),
    (r'^\[s1\]   uart +0x9000000-0x9001000 RW device XN$', 'UART device'),
    (r'^\[switch\] TTBR0_EL2=' + HEX + ' TCR_EL2=' + HEX +
     ' MAIR_EL2=0x4404ff', 'TTBR0/TCR/MAIR_EL2'),
    (r'^\[switch\] MMU on: SCTLR_EL2=0x30cd183d, running on the hyp stack',
     'MMU on, new stack'),
    (r'^\[s1\] checked by AT S1E2R/W and fetches: .*: as built$',
     'hyp stage 1 permissions checked by the CPU'),
    (r'^\[pool\] vmemmap backed: \d+ pages at hyp VA 0x4000000000 ',
     'vmemmap backed'),
    (r'^\[pool\] hyp_pool over ' + HEX + '-' + HEX + r': (\d+) early pages '
     r'reserved, \d+ free; hand-over: \1 table pages counted \(root count '
     r'ROOT_COUNT\)$',
     'hyp_pool, hand-over'),
    (r'^\[pool\] host stage-2 pool over ', 'host stage-2 pool'),
    (r'^\[s2\] host stage 2 from VTCR 0x80023558: 40-bit IPA, start level 1, '
     r'2 root pages; library\'s VTCR 0x80023558$', 'host stage 2 geometry'),
    (r'^\[s2\] owner 1 \(hyp\): 0x40200000-' + HEX + ' and ' + HEX +
     '-RAM_END$', 'hypervisor memory owned by the hypervisor'),
    # HCR_EL2: RW | TSC | DC | VM, with API | APK where the CPU has PAuth.
    (r'^\[s2\] VTCR_EL2=0x80023558 VTTBR_EL2=' + HEX +
     ' HCR_EL2=0x(300)?80081001 ', 'VTCR/VTTBR/HCR.VM programmed'),
    (r'^\[host\] eret to the EL1 host at 0x41000000 \(\d+ ms since reset\)$',
     'eret to EL1'),
    (r'^host: \[ok\] host runs at EL1$', 'host at EL1'),
    (r'^host: \[ok\] host reads the DTB$', 'host reads the DTB'),
    (r'^host: \[ok\] host RAM reads and writes work$', 'host RAM works'),
    (r'^host: host stage-2 faults during the sweep: (\d+) \(expected \1: ',
     'fault count printed'),
    (r'^host: \[ok\] host stage 2 filled lazily with the largest blocks',
     'lazy idmap with largest blocks'),
    (r'^hyp: host read at IPA 0x40200000 refused \(not the host\'s memory\): '
     r'ESR_EL2=(' + HEX + ') FAR_EL2=(' + HEX + ') HPFAR_EL2=(' + HEX + ')$',
     'hypervisor reports ESR/FAR/HPFAR'),
    (r'^host: \[ok\] every hypervisor page faults at stage 2 on read$',
     'every hyp page refused'),
    (r'^host: \[ok\] writes to hypervisor data and carve-out refused$',
     'writes refused'),
    (r'^host: \[ok\] instruction fetch from hypervisor text refused$',
     'exec refused'),
    (r'^host: \[ok\] hypervisor\'s refusal count matches$', 'refusal count'),
    (r'^hyp: share ' + HEX + r': host keeps it \(SHARED_OWNED\), hyp maps it '
     r'\(SHARED_BORROWED, [1-9]\d* table pages from the pool\)', 'share'),
    (r'^host: \[ok\] share: hypervisor reads the host\'s data$', 'share read'),
    (r'^host: \[ok\] share: host reads the hypervisor\'s write$', 'share write'),
    (r'^host: \[ok\] share: host still writes its page$', 'share host access'),
    (r'^host: \[ok\] share: page mapped in the hypervisor\'s stage 1$',
     'share hyp mapping'),
    (r'^host: \[ok\] share of a hypervisor page refused', 'bad share refused'),
    (r'^hyp: unshare ' + HEX + r': hyp stage-1 mapping gone \(walk and AT '
     r'S1E2R\); hyp pool (\d+) free pages, \1 before the share$',
     'unshare (hyp): mapping and table pages gone'),
    (r'^host: \[ok\] unshare: hypervisor\'s stage-1 mapping gone$', 'unshare'),
    (r'^host: \[ok\] unshare of a page not shared refused', 'bad unshare'),
    (r'^host: \[ok\] unshare: host keeps its page$', 'unshare host access'),
    (r'^hyp: donate ' + HEX + ': host stage 2 owner 1', 'donate (hyp)'),
    (r'^host: \[ok\] donate: page mapped in the hypervisor\'s stage 1$',
     'donate hyp mapping'),
    (r'^host: \[ok\] donate: host access to the donated page refused$',
     'donated page refused'),
    (r'^host: \[ok\] share of a donated page refused', 'bad share refused'),
    (r'^hyp: host PSCI CPU_ON for MPIDR 0x7 refused: no such CPU \(1 '
     r'known\)$', 'PSCI relay refuses a CPU that does not exist'),
    (r'^host: \[ok\] PSCI CPU_ON of a CPU that does not exist refused',
     'host sees INVALID_PARAMETERS'),
    (r'^host: all checks passed \(0 failures\), powering off$', 'host verdict'),
    (r'^pgt-hyp: PASS$', 'hypervisor verdict'),
]

def _lpa2_steps():
    """Each granule's lines in the order the test prints them: its stage-1,
    stage-2 and EL2 checks of 52-bit output addresses, then (once per
    granule) the upper VA range with a 52-bit VA: EL1&0 (TTBR1_EL1, AT
    S1E1R/W) and EL2&0 (TTBR1_EL2 with HCR_EL2.E2H = 1, AT S1E2R/W)."""
    steps = [(r'^\[lpa2\] 52-bit output addresses on qemu: ', 'test started')]
    for name, s1, s2, upper in [
            (r'4K\+LPA2 52-bit VA/IPA', '-1', '-1 x1', None),
            (r'4K\+LPA2 52-bit VA/IPA', '-1', '0 x16', r'4K\+LPA2'),
            (r'16K\+LPA2 48-bit VA/IPA', '0', '1 x2', r'16K\+LPA2'),
            (r'64K\+LPA 52-bit VA/IPA', '1', '1 x1', r'64K\+LVA')]:
        for stage, level in [('1', s1), ('2', s2), ('1 EL2', s1)]:
            steps.append((r'^\[lpa2\] stage %s %s: start level %s.*: 20 ATs '
                          r'match$' % (stage, name, level),
                          '%s stage %s' % (name, stage)))
        for el in ([] if upper is None else ['', 'EL2&0 ']):
            steps.append((r'^\[lpa2\] stage 1 %supper range 52-bit VA %s: '
                          r'start level %s, .*: 20 ATs match$'
                          % (el, upper, s1),
                          '%s upper range %s' % (upper, el)))
    steps.append((r'^lpa2: PASS \(\d+ translations checked\)$', 'verdict'))
    return steps


LPA2_STEPS = _lpa2_steps()

# examples/bootloader (profile 'bootloader'): entered at EL1 on plain
# -M virt; both tables printed as built, the registers from the library,
# then every check of its upper-range payload, in order.
BOOTLOADER_STEPS = [
    (r'^\[loader\] entered at EL1, MMU off$', 'loader at EL1'),
    (r'^\[loader\] payload: \d+ bytes \(text 65536, \.bss \d+\) copied to '
     r'0x40800000$', 'payload copied'),
    (r'^\[loader\] identity map \(TTBR0_EL1, 39-bit VA\):$', 'identity map'),
    (r'^\[loader\]   text +0x0000000040200000-0x00000000402[0-9a-f]{5} -> '
     r'0x40200000 R-X$', 'loader text R-X'),
    (r'^\[loader\]   uart +0x0000000009000000-0x0000000009000fff -> '
     r'0x09000000 RW- device$', 'loader UART'),
    (r'^\[loader\] kernel map \(TTBR1_EL1, 48-bit VA from '
     r'0xffff000000000000\):$', 'upper-range table'),
    (r'^\[loader\]   text +0xffff800010000000-0xffff80001000ffff -> '
     r'0x40800000 R-X$', 'payload text high'),
    (r'^\[loader\]   data +0xffff800010010000-0xffff8000100[0-9a-f]{5} -> '
     r'0x40810000 RW-$', 'payload data high'),
    (r'^\[loader\]   stack +0xffff80001fffc000-0xffff80001fffffff -> '
     r'0x40900000 RW-$', 'payload stack high'),
    (r'^\[loader\]   guard +0xffff80001fffb000 \(unmapped\)', 'guard page'),
    # TCR_EL1: T0SZ 25, T1SZ 16, TG0 4K, TG1 4K (0b10), inner-shareable
    # WBWA walks for both halves, IPS 40 bits (D19.2).
    (r'^\[loader\] MAIR_EL1=0x4404ff TCR_EL1=0x2b5103519 TTBR0_EL1=' + HEX +
     ' TTBR1_EL1=' + HEX + '$', 'MAIR/TCR/TTBR0/TTBR1 from the library'),
    (r'^\[loader\] MMU on; calling the payload at 0xffff800010000000$',
     'MMU on, jump high'),
    (r'^payload: running at 0xffff80001000[0-9a-f]{4}, stack at '
     r'0xffff80001fff[c-f][0-9a-f]{3}$', 'payload runs high'),
] + [
    (r'^payload: \[ok\] ' + re.escape(what) + '$', what) for what in [
        "the loader's boot_info read through the identity map (TTBR0)",
        'running in the upper VA range (TTBR1), inside its text',
        'stack in its own upper-range pages',
        'AT S1E1R: text -> the PA it was copied to',
        'AT S1E1W: data -> its PA, writable',
        "AT S1E1W: stack top -> the stack pages' PA",
        'AT S1E1W: text is read-only (permission fault, level 3)',
        'AT S1E1R: the guard page is unmapped (translation fault, level 3)',
        'initialised data reads back',
        'data takes a write',
        '.bss is zero',
        'a store to its text faults (permission, level 3)',
        'a branch to its data faults (execute never)',
        'a read of the guard page under its stack faults (translation, '
        'level 3)',
        'the lowest stack byte above the guard page reads',
    ]
] + [
    (r'^payload: all checks passed$', 'payload verdict'),
    (r'^\[loader\] payload returned 0: PASS$', 'loader verdict'),
]

# The stage-2 hardware dirty state (tests/qemu/dirty): each round's
# faults, what the hardware set and what the library reported.
DIRTY_STEPS = [
    (r'^\[dirty\] stage-2 dirty state on qemu: ID_AA64MMFR1_EL1=' + HEX +
     r' \(HAFDBS 2\)$', 'the CPU has FEAT_HAFDBS (access flag and dirty)'),
    (r'^\[dirty\] stage 2 with PGT_S2_HW_DIRTY: VTCR_EL2=' + HEX +
     r' \(HA 1, HD 1\)', 'VTCR_EL2.HA/HD from pgt_s2_vtcr()'),
    (r'^\[dirty\] wrprotect 0x80000000-0x80600000: 64 pages and 2 blocks '
     r'writable-clean .*: ok$', 'wrprotect: writable-clean'),
] + [
    step for name, what, hw, rep in [
        ('round 1', 'round 1', '0x80000000\\+4K 0x80005000\\+4K 0x80006000\\+4K '
         '0x8003f000\\+4K 0x80200000\\+2M', '5'),
        ('round 2', 'round 2',
         '0x80001000\\+4K 0x80005000\\+4K 0x80400000\\+2M', '3'),
        (r'round 3 \(access flags clear\)', 'round 3', '0x80003000\\+4K',
         '1')]
    for step in [
        (r'^\[dirty\] %s: guest writes \d+, reads \d+; stage-2 permission '
         r'faults 0, access-flag faults 0$' % name,
         '%s: no stage-2 fault' % what),
        (r'^\[dirty\]   S2AP\[1\] set by the hardware: %s: the written '
         r'leaves$' % hw, '%s: the hardware set S2AP[1]' % what),
        (r'^\[dirty\]   pgt_s2_test_clear_dirty: %s \(returned %s, \d+ '
         r'TLB-hook calls\): as written$' % (hw, rep),
         '%s: test_clear_dirty reports the written leaves' % what),
        (r'^\[dirty\] %s: every leaf writable-clean again: ok$' % name,
         '%s: re-armed' % what)]
] + [
    (r'^\[dirty\] access flag \(HA\): read page young, written page young, '
     r'untouched page old, untouched block old: ok$', 'hardware access flag'),
    (r'^\[dirty\] control: re-armed with the TLB hooks doing nothing, the '
     r'next write is unseen .*: as expected$', 'control: a missing TLBI shows'),
    (r'^\[dirty\] software way \(VTCR_EL2=' + HEX + r', no HA/HD\): round '
     r"1's 6 writes took 5 permission faults at the 5 written leaves; round 3 "
     r'took 2 access-flag faults: as expected$',
     'control: the software way faults'),
    (r'^dirty: PASS \(\d+ checks\)$', 'verdict'),
]

# A pgt-hyp built with -DPGT_HYP_CRASH_TEST reads its stack's guard page
# after the switch: the EL2 vectors must report it and stop with status 1.
CRASH_STEPS = HYP_STEPS[:HYP_STEPS.index(next(
    s for s in HYP_STEPS if s[1] == 'hyp stage 1 permissions checked by the '
    'CPU')) + 1] + [
    (r'^\[crash-test\] reading the hyp stack\'s guard page (' + HEX + ')$',
     'crash test starts'),
    (r'^EL2: UNEXPECTED EXCEPTION: sync from current EL with SPx$',
     'vectors report the exception'),
    (r'^  ESR_EL2=(' + HEX + r') \(EC 0x25\) ELR_EL2=' + HEX +
     ' FAR_EL2=(' + HEX + ')$', 'ESR/ELR/FAR reported'),
    (r'^EL2: stopping \(exit 1\)$', 'stopped'),
]

# Debian's Linux kernel as pgt-hyp's host, on two CPUs (profile 'linux'):
# the hypervisor's boot up to its pools, then the Linux-specific steps.
_POOLS = [s for s in HYP_STEPS if s[1] == 'host stage-2 pool'][0]
LINUX_STEPS = HYP_STEPS[:HYP_STEPS.index(_POOLS) + 1] + [
    (r'^\[linux\] fw_cfg at 0x9020000: opt/pgt-hyp/kernel [1-9]\d* bytes, '
     r'opt/pgt-hyp/initrd [1-9]\d* bytes, ', 'kernel and initramfs in fw_cfg'),
    (r'^\[linux\] arm64 Image: text_offset 0x0, image_size ' + HEX +
     ', 4K pages, PE/COFF sections end at ' + HEX + ' of ' + HEX +
     ' bytes: complete$', 'Image header and size checked'),
    (r'^\[linux\] loaded by fw_cfg DMA: kernel 0x40400000-' + HEX +
     ', initramfs ' + HEX + '-' + HEX + '$', 'kernel at 2 MiB + text_offset'),
    (r'^\[dtb\] host DTB at ' + HEX + r' \(\d+ bytes\), edited with libfdt: '
     r'/reserved-memory no-map 0x40200000-' + HEX + r' \(pgt-hyp\) and ' +
     HEX + r'-RAM_END \(carve-out\)$', 'hypervisor memory reserved, no-map'),
    (r'^\[dtb\] removed \(can DMA\): fw-cfg@9020000 .*pcie@',
     'fw_cfg and PCIe out of the host DTB'),
    (r'^\[dtb\] /chosen: bootargs "console=ttyAMA0 panic=-1[^"]*", initrd ' +
     HEX + '-' + HEX + '$', 'bootargs and initrd in /chosen'),
    (r'^\[dtb\] cpus: 2: MPIDR 0x0 MPIDR 0x1$', 'two CPUs'),
    (r'^\[s2\] owner 1 \(hyp\): 0x40200000-' + HEX + ' and ' + HEX +
     '-RAM_END$', 'hypervisor memory owned by the hypervisor'),
    (r'^\[s2\] owner 1 \(hyp\): fw_cfg 0x9020000-0x9021000 ',
     'fw_cfg refused in the host stage 2'),
    (r'^\[s2\] VTCR_EL2=0x80023558 VTTBR_EL2=' + HEX +
     r' HCR_EL2=0x(300)?80080001 \(VM\)$', 'HCR_EL2 for a kernel (no DC)'),
    (r'^\[host\] entering Linux at 0x40400000: EL1h, MMU off, x0 = DTB ' + HEX,
     'kernel entered at EL1'),
    # The kernel's log reaches the console only once its console driver
    # is up: after the hypervisor's lines of the secondary CPU's start.
    (r'^\[psci\] host CPU_ON MPIDR 0x1 \(cpu1\) at ' + HEX + ': relayed ',
     'CPU_ON relayed'),
    (r'^\[psci\] cpu1 \(MPIDR 0x1\) at EL2: own stack, ', 'per-CPU init'),
    (r'\] Linux version \d', 'kernel prints'),
    (r'\] psci: PSCIv\d', 'kernel talks PSCI through the relay'),
    (r'\] smp: Brought up 1 node, 2 CPUs$', 'kernel has two CPUs'),
    (r'\] Run /init as init process$', 'kernel runs /init'),
    (r'^init: userspace reached', 'userspace reached'),
    (r'^init: \[ok\] both CPUs online \(0-1\)$', 'both CPUs online'),
    (r'^init: \[ok\] a process runs on CPU 1$', 'CPU 1 runs a process'),
    (r'^init: \[ok\] DTB: hypervisor memory in /reserved-memory',
     'kernel sees the reserved memory'),
    (r'^init: \[ok\] DTB: no fw-cfg device$', 'kernel sees no fw_cfg'),
    (r'^init: \[ok\] RAM: \d+ MiB of \d+ MiB free written in tmpfs .*: '
     r'(\d+) chunks, (\d+) bytes, md5 ([0-9a-f]{32})$',
     'most of RAM written and read back'),
    (r'^hyp: host read at IPA (' + HEX + r') refused \(not the host\'s '
     r'memory\): ESR_EL2=(' + HEX + ') FAR_EL2=(' + HEX + ') HPFAR_EL2=(' +
     HEX + ')$', 'first refusal (devmem of the carve-out)'),
    (r'^init: \[ok\] devmem ' + HEX + r' \(hypervisor carve-out\): SIGBUS$',
     'carve-out read: SIGBUS'),
    (r'^init: \[ok\] devmem 0x40200000 \(hypervisor image\): SIGBUS$',
     'image read: SIGBUS'),
    (r'^init: \[ok\] devmem 0x9020000 \(hypervisor fw_cfg\): SIGBUS$',
     'fw_cfg read: SIGBUS'),
    (r'^init: \[ok\] kernel alive after the refused accesses$',
     'kernel lives on'),
    (r'^init: all checks passed \(0 failures\), powering off$', 'init verdict'),
    (r'^hyp: host asked for SYSTEM_OFF', 'PSCI SYSTEM_OFF reaches the hypervisor'),
    (r'^\[stats\] host stage-2 faults mapped: (\d+) \(cpu0 (\d+), cpu1 '
     r'(\d+)\)$', 'faults per CPU'),
    (r'^\[stats\] host stage 2 mapped on demand: (\d+) 1G blocks (\d+) 2M '
     r'blocks (\d+) 4K pages$', 'blocks and pages mapped'),
    (r'^\[stats\] host accesses refused: (\d+)$', 'refusals counted'),
    (r'^\[stats\] pools: hyp \d+ pages used of \d+, host stage-2 \d+ used',
     'pool pages used'),
    (r'^\[check\] host stage 2 refuses every hypervisor page and '
     r'DMA-capable device: \d+ pages checked, 0 not: ok$',
     'invariant: hypervisor pages refused'),
    (r'^\[check\] host stage-2 table pages (\d+), host stage-2 pool pages in '
     r'use \1: ok$', 'invariant: table pages = pool pages in use'),
    (r'^pgt-hyp: PASS \(host powered off, 0 hypervisor check failures\)$',
     'hypervisor verdict'),
]

FAIL_PATTERNS = [r'\[FAIL\]', r'UNEXPECTED', r'PANIC', r'\bFAIL\b',
                 r'Kernel panic', r'Internal error:', r'Unable to handle',
                 r'\bBUG:', r'\bOops\b']


def check_refusal(m):
    """The first refused access is the host's read of the hypervisor's
    first page (0x40200000): decode the registers by the Arm ARM."""
    esr, far, hpfar = (int(x, 16) for x in m.groups())
    errors = []
    ec = esr >> 26
    if ec != 0x24:
        errors.append('ESR_EL2.EC 0x%x is not 0x24 (data abort from a lower '
                      'EL)' % ec)
    if esr & (1 << 6):
        errors.append('ESR_EL2.WnR set for a read')
    fsc = esr & 0x3f
    if fsc != 0x07:
        errors.append('ESR_EL2.DFSC 0x%x is not 0x07 (translation fault, '
                      'level 3: the owner annotation is page granular)' % fsc)
    if far != 0x40200000:
        errors.append('FAR_EL2 0x%x is not 0x40200000' % far)
    if hpfar != 0x40200000 >> 8:
        errors.append('HPFAR_EL2 0x%x is not 0x402000 (FIPA = IPA[47:12] '
                      'in bits [43:4])' % hpfar)
    return errors


def ram_md5(busybox, chunks):
    """The md5 tests/qemu/linux/init's tmpfs file must have: chunk i is
    'pgt-hyp RAM chunk i' and busybox twice."""
    data = open(busybox, 'rb').read()
    h = hashlib.md5()
    for i in range(chunks):
        h.update(b'pgt-hyp RAM chunk %d\n' % i)
        h.update(data)
        h.update(data)
    return h.hexdigest(), chunks * (2 * len(data)) + sum(
        len(b'pgt-hyp RAM chunk %d\n' % i) for i in range(chunks))


def check_linux(what, m, carveout, busybox=None):
    """Decode what the Linux run's statistics and first refusal say."""
    errors = []
    if what == 'most of RAM written and read back' and busybox:
        chunks, size, md5 = int(m.group(1)), int(m.group(2)), m.group(3)
        want, want_size = ram_md5(busybox, chunks)
        if (md5, size) != (want, want_size):
            errors.append('RAM: the host read back %d bytes with md5 %s; '
                          '%d chunks are %d bytes with md5 %s'
                          % (size, md5, chunks, want_size, want))
    elif what == 'first refusal (devmem of the carve-out)':
        ipa, esr, far, hpfar = (int(x, 16) for x in m.groups())
        if esr >> 26 != 0x24:
            errors.append('refusal: ESR_EL2.EC 0x%x is not 0x24' % (esr >> 26))
        if esr & 0x3c != 0x04:
            errors.append('refusal: ESR_EL2.DFSC 0x%x is not a translation '
                          'fault' % (esr & 0x3f))
        if hpfar != ipa >> 8:
            errors.append('refusal: HPFAR_EL2 0x%x is not IPA 0x%x >> 8'
                          % (hpfar, ipa))
        if carveout is not None and ipa != carveout:
            errors.append('refusal at 0x%x, devmem read the carve-out at 0x%x'
                          % (ipa, carveout))
        if far >> 48:
            errors.append('refusal: FAR_EL2 0x%x is not a user address' % far)
    elif what == 'faults per CPU':
        total, c0, c1 = (int(x) for x in m.groups())
        if c0 == 0 or c1 == 0 or c0 + c1 != total:
            errors.append('faults per CPU: %d + %d for %d: both CPUs must '
                          'fault into the host stage 2' % (c0, c1, total))
    elif what == 'blocks and pages mapped':
        if int(m.group(2)) == 0:
            errors.append('no 2 MiB block mapped: not the largest blocks')
    elif what == 'refusals counted':
        if int(m.group(1)) < 3:
            errors.append('the hypervisor counted %s refusals, the three '
                          'devmem reads make at least 3' % m.group(1))
    return errors


def parse_mem(text):
    """QEMU's -m size ('128M', '3G', '512') in bytes."""
    units = {'K': 10, 'M': 20, 'G': 30, 'T': 40}
    if text[-1].upper() in units:
        return int(text[:-1]) << units[text[-1].upper()]
    return int(text) << 20


def check_crash(m, guard):
    """The guard-page read at EL2: a data abort from the current EL,
    translation fault at level 3, FAR = the guard page."""
    esr, far = (int(x, 16) for x in m.groups())
    errors = []
    if esr >> 26 != 0x25:
        errors.append('ESR_EL2.EC 0x%x is not 0x25' % (esr >> 26))
    if esr & 0x3f != 0x07:
        errors.append('ESR_EL2.DFSC 0x%x is not 0x07 (translation fault, '
                      'level 3)' % (esr & 0x3f))
    if far != guard:
        errors.append('FAR_EL2 0x%x is not the guard page 0x%x'
                      % (far, guard or 0))
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('image')
    ap.add_argument('--profile', choices=['hyp', 'unprotected', 'crash',
                                          'lpa2', 'dirty', 'linux',
                                          'linux-bad', 'bootloader', 'none'],
                    default='hyp')
    ap.add_argument('--kernel', help='arm64 Image for the Linux host')
    ap.add_argument('--initrd', help='initramfs for the Linux host')
    ap.add_argument('--cmdline', help='extra kernel command line')
    ap.add_argument('--busybox', help="the initramfs's busybox: the RAM "
                    "check's expected md5 is computed from it")
    ap.add_argument('--truncate-kernel', type=int, metavar='BYTES',
                    help='hand over only the first BYTES of --kernel')
    ap.add_argument('--truncate-initrd', type=int, metavar='BYTES',
                    help='hand over only the first BYTES of --initrd')
    ap.add_argument('--no-kernel', action='store_true',
                    help='hand over the initramfs alone')
    ap.add_argument('--skip', metavar='REASON',
                    help='report SKIP (exit 77) with REASON, run nothing')
    ap.add_argument('--expect-fail', metavar='REGEX',
                    help="linux-bad: the hypervisor's 'pgt-hyp: FAIL: ' "
                    'reason that must end the run')
    ap.add_argument('--smp', type=int, default=None)
    ap.add_argument('--gic-version', default=None)
    ap.add_argument('--qemu', default='qemu-system-aarch64')
    ap.add_argument('--cpu', default=None)
    ap.add_argument('--mem', default='128M')
    ap.add_argument('--timeout', type=float, default=10.0)
    ap.add_argument('--show', action='store_true',
                    help='print the console as it comes')
    ap.add_argument('--expect', action='append', default=[],
                    help='another regex that must appear (after the '
                    "profile's)")
    args = ap.parse_args()

    cpu = args.cpu or ('max' if args.profile in ('lpa2', 'dirty')
                       else 'cortex-a72')
    linux = args.profile in ('linux', 'linux-bad')
    steps = {'hyp': HYP_STEPS, 'unprotected': HYP_STEPS, 'crash': CRASH_STEPS,
             'lpa2': LPA2_STEPS, 'dirty': DIRTY_STEPS,
             'linux': LINUX_STEPS, 'linux-bad': [],
             'bootloader': BOOTLOADER_STEPS, 'none': []}[args.profile]
    if args.profile == 'linux-bad':
        steps = [(r'^pgt-hyp: FAIL: ' + args.expect_fail,
                  'the hypervisor refuses the bad input')]
    steps = steps + [(e, e) for e in args.expect]
    # QEMU virt: RAM from 0x40000000, -m bytes of it, one memory node.
    mib = parse_mem(args.mem) >> 20
    ram_end = 0x40000000 + (mib << 20)
    # The hyp stage-1 root (4K, 39-bit VA: 1 GiB per entry) holds the UART's
    # entry (0), the image's (1), the carve-out's (top of RAM) and the
    # vmemmap's (VA 0x40_0000_0000: 256); its count is 1 + those entries.
    root_count = 1 + len({0, 1, (ram_end - 1) >> 30, 256})
    steps = [(rx.replace('RAM_END', '0x%x' % ram_end)
              .replace('RAM_MIB', str(mib))
              .replace('ROOT_COUNT', str(root_count)), what)
             for rx, what in steps]
    # The boot loader starts at EL1: plain virt, no EL2 or EL3.
    machine = 'virt' if args.profile == 'bootloader' else 'virt,virtualization=on'
    if args.gic_version:
        machine += ',gic-version=' + args.gic_version
    cmd = [args.qemu, '-M', machine, '-cpu', cpu,
           '-smp', str(args.smp or (2 if linux else 1)),
           '-m', args.mem, '-display', 'none', '-serial', 'stdio',
           '-monitor', 'none', '-nic', 'none', '-no-reboot',
           '-kernel', args.image]
    if not os.path.exists(args.image):
        print('run_el2: no image %s (build it first)' % args.image)
        return 1
    if args.skip:
        print('SKIP: ' + args.skip)
        return 77
    tmp = None
    if linux:
        # Both CPUs run in parallel (one host thread each).
        cmd += ['-accel', 'tcg,thread=multi']
        # No -semihosting: EL2 cannot trap a host's HLT #0xF000, which would
        # reach the machine running QEMU. The verdict is on the console.
        for what, path in (('kernel', args.kernel), ('initramfs', args.initrd)):
            if path and not os.path.isfile(path):
                print("SKIP: no %s at %s: run ./scripts/bootstrap.sh test "
                      "(it fetches Debian's arm64 kernel and busybox)"
                      % (what, path))
                return 77
        tmp = tempfile.TemporaryDirectory()

        def truncated(path, size, name):
            if path is None or size is None:
                return path
            out = os.path.join(tmp.name, name)
            with open(path, 'rb') as f, open(out, 'wb') as g:
                g.write(f.read(size))
            return out
        kernel = None if args.no_kernel else truncated(
            args.kernel, args.truncate_kernel, 'Image.truncated')
        initrd = truncated(args.initrd, args.truncate_initrd,
                           'initrd.truncated')
        for name, path in (('kernel', kernel), ('initrd', initrd)):
            if path:
                cmd += ['-fw_cfg', 'name=opt/pgt-hyp/%s,file=%s' % (name, path)]
        if args.cmdline:
            cmd += ['-fw_cfg', 'name=opt/pgt-hyp/cmdline,string=' +
                    args.cmdline]
    else:
        cmd += ['-semihosting']

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    timed_out = threading.Event()

    def watchdog():
        timed_out.set()
        proc.kill()

    timer = threading.Timer(args.timeout, watchdog)
    timer.start()
    lines = []
    try:
        for raw in proc.stdout:
            line = raw.decode('utf-8', 'replace').rstrip('\r\n')
            lines.append(line)
            if args.show:
                print(line, flush=True)
        proc.wait()
    finally:
        timer.cancel()
    elapsed = time.monotonic() - t0

    errors = []
    if timed_out.is_set():
        # Say where it stopped: the last step seen, and the next one.
        reached, pos = None, 0
        for rx, what in steps:
            r = re.compile(rx)
            hit = next((i for i in range(pos, len(lines))
                        if r.search(lines[i])), None)
            if hit is None:
                errors.append('timed out after %.1f s: hung after "%s", '
                              'waiting for "%s"; last line: %s'
                              % (args.timeout, reached or 'QEMU start', what,
                                 lines[-1] if lines else '(none)'))
                break
            reached, pos = what, hit + 1
        else:
            errors.append('timed out after %.1f s (every step seen)'
                          % args.timeout)
    elif linux:
        pass  # PSCI SYSTEM_OFF: QEMU exits 0; the console has the verdict
    elif args.profile == 'crash':
        if proc.returncode != 1:
            errors.append('QEMU exit status %d, not 1' % proc.returncode)
    elif proc.returncode != 0:
        errors.append('QEMU exit status %d (semihosting verdict), not 0'
                      % proc.returncode)
    pos = 0
    guard = None
    carveout = None
    for rx, what in steps:
        r = re.compile(rx)
        for i in range(pos, len(lines)):
            m = r.search(lines[i])
            if m:
                pos = i + 1
                if what == 'hypervisor reports ESR/FAR/HPFAR':
                    errors += check_refusal(m)
                elif what == 'crash test starts':
                    guard = int(m.group(1), 16)
                elif what == 'ESR/ELR/FAR reported':
                    errors += check_crash(m, guard)
                elif what == 'hypervisor memory reserved, no-map':
                    carveout = int(re.search(r'and (0x[0-9a-f]+)-',
                                             lines[i]).group(1), 16)
                elif linux:
                    errors += check_linux(what, m, carveout, args.busybox)
                break
        else:
            errors.append('missing step (%s): /%s/' % (what, rx))
    for line in lines:
        if args.profile == 'crash' and re.search('UNEXPECTED', line):
            continue
        if args.profile == 'linux-bad':
            continue
        if any(re.search(p, line) for p in FAIL_PATTERNS):
            errors.append('failure reported: %s' % line)

    if args.profile == 'unprotected':
        # A hypervisor built without the ownership annotation: the hyp
        # profile's checks must catch it, by the host's own probe.
        caught = ('failure reported: host: [FAIL] every hypervisor page '
                  'faults at stage 2 on read')
        if proc.returncode != 0 and caught in errors:
            print('run_el2: unprotected build caught as expected:')
            for e in errors:
                print('run_el2:   ' + e)
            errors = []
        else:
            errors = ['unprotected build NOT caught (exit %s)'
                      % proc.returncode] + errors
    if errors and not args.show:
        print('\n'.join(lines))
    print('run_el2: %s in %.2f s (%d console lines, %d steps checked)'
          % ('FAIL' if errors else 'PASS', elapsed, len(lines), len(steps)))
    for e in errors:
        print('run_el2: ' + e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
