// SPDX-License-Identifier: MIT
/* PL011 polled output and a minimal printf for the EL2 examples. */
#include "uart.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* PL011 registers (PrimeCell UART PL011 TRM, 3.2). */
#define UARTDR 0x000
#define UARTFR 0x018
#define UARTFR_TXFF (1u << 5) /* transmit FIFO full */

static volatile uint32_t *uart_reg(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(UART_BASE + off);
}

void uart_putc(char c)
{
    if (c == '\n')
        uart_putc('\r');
    while (*uart_reg(UARTFR) & UARTFR_TXFF)
        ;
    *uart_reg(UARTDR) = (uint32_t)(unsigned char)c;
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

static void put_num(uint64_t v, unsigned base, int width, char pad, bool neg)
{
    char buf[24];
    int n = 0;

    do {
        unsigned d = (unsigned)(v % base);
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    if (neg)
        buf[n++] = '-';
    while (n < width--)
        uart_putc(pad);
    while (n)
        uart_putc(buf[--n]);
}

bool uart_smp;
static uint32_t uart_lock_word;

void uart_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    uart_vprintf(fmt, ap);
    va_end(ap);
}

void uart_vprintf(const char *fmt, va_list ap)
{
    bool locked = uart_smp;

    if (locked)
        while (__atomic_exchange_n(&uart_lock_word, 1, __ATOMIC_ACQUIRE))
            ;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            uart_putc(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, longs = 0;
        bool left = false;
        if (*fmt == '-') {
            left = true;
            fmt++;
        }
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            int n = 0;
            if (!s)
                s = "(null)";
            while (s[n])
                n++;
            while (!left && n < width--)
                uart_putc(' ');
            uart_puts(s);
            while (left && n < width--)
                uart_putc(' ');
            break;
        }
        case 'c':
            uart_putc((char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_num(v < 0 ? (uint64_t)-v : (uint64_t)v, 10, width, pad, v < 0);
            break;
        }
        case 'u':
            put_num(longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10,
                    width, pad, false);
            break;
        case 'x':
            put_num(longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16,
                    width, pad, false);
            break;
        case 'p':
            uart_puts("0x");
            put_num((uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, ' ', false);
            break;
        case '%':
            uart_putc('%');
            break;
        default:
            uart_putc('%');
            uart_putc(*fmt);
            break;
        }
    }
    if (locked)
        __atomic_store_n(&uart_lock_word, 0, __ATOMIC_RELEASE);
}
