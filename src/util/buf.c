/*
 * buf.c -- growable byte buffer; grows by doubling, never shrinks until freed.
 */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/coding.h"
#include "util/err.h"

int buf_reserve(cf_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    size_t need = b->len + extra;
    if (need < b->len)
        return CF_ENOMEM;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap * 2 > cap ? cap * 2 : need;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return CF_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(cf_buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int buf_appendf(cf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CF_EINVAL;
    int rc = buf_reserve(b, (size_t)n + 1); /* vsnprintf writes a NUL after the text */
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int buf_append_varint(cf_buf *b, uint64_t v)
{
    int rc = buf_reserve(b, CODING_VARINT64_MAX_LEN);
    if (rc)
        return rc;
    b->len += put_varint(b->data + b->len, v);
    return 0;
}

int buf_append_u32(cf_buf *b, uint32_t v)
{
    int rc = buf_reserve(b, 4);
    if (rc)
        return rc;
    put_u32(b->data + b->len, v);
    b->len += 4;
    return 0;
}

int buf_append_u64(cf_buf *b, uint64_t v)
{
    int rc = buf_reserve(b, 8);
    if (rc)
        return rc;
    put_u64(b->data + b->len, v);
    b->len += 8;
    return 0;
}

void buf_free(cf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
