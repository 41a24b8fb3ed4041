/*
 * hex.h -- hexadecimal digits: one decoder and one encoder for every layer
 * (chunk sizes, percent-escapes, signatures, blob ids, digests).
 */
#ifndef CF_HEX_H
#define CF_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* hex_digit -- the value of hex digit c (either case), -1 if c is not one. */
static inline int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* hex_encode -- n bytes as lowercase hex into out (2n + 1 bytes, NUL-terminated). */
static inline void hex_encode(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/*
 * hex_decode -- decodes exactly 2n hex digits at s into n bytes at out;
 * false (out partly written) if any is not a hex digit.
 */
static inline bool hex_decode(const uint8_t *s, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

#endif
