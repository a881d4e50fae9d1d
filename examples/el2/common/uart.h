/* SPDX-License-Identifier: MIT */
/*
 * Polled output on QEMU virt's PL011 UART (0x09000000) and a tiny printf.
 * QEMU needs no baud-rate set-up: writing the data register is enough.
 */
#ifndef EL2_UART_H
#define EL2_UART_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#define UART_BASE 0x09000000ull
#define UART_SIZE 0x1000ull

void uart_putc(char c);
void uart_puts(const char *s);
/*
 * printf subset: %s %c %d %u %x %lx %llx %p, widths (%0Nx, %Nd, %-Ns);
 * 'l' modifiers are accepted (every integer is handled as 64-bit when 'l'
 * is given, 32-bit otherwise). Freestanding: no libc.
 */
void uart_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void uart_vprintf(const char *fmt, va_list ap);

/* Once several CPUs print (uart_smp set, only with every printing CPU's
 * MMU on: exclusives need normal memory), each uart_printf holds a lock so
 * that lines do not interleave. */
extern bool uart_smp;

#endif /* EL2_UART_H */
