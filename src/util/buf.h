/*
 * buf.h -- a growable byte buffer meant to be reused.
 *
 * A cf_buf keeps its capacity across buf_clear(), so a writer that reuses one
 * buffer touches fresh memory only while it grows to its working size (fresh
 * pages are slow on these hosts; see DESIGN "Performance").
 */
#ifndef CF_BUF_H
#define CF_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

typedef struct cf_buf {
    uint8_t *data;
    size_t len; /* bytes in use */
    size_t cap; /* bytes allocated */
} cf_buf;

/* buf_reserve -- makes room for extra more bytes. CF_ENOMEM on failure. */
int buf_reserve(cf_buf *b, size_t extra);

/* buf_append -- appends n bytes. CF_ENOMEM on failure (b unchanged). */
int buf_append(cf_buf *b, const void *p, size_t n);

/* buf_appendf -- appends printf-formatted text (no NUL). CF_ENOMEM (b unchanged) or
 * CF_EINVAL (a bad format). */
int buf_appendf(cf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* buf_append_varint -- appends v as a LEB128 varint. */
int buf_append_varint(cf_buf *b, uint64_t v);

/* buf_append_u32 / buf_append_u64 -- append little-endian fixed-width values. */
int buf_append_u32(cf_buf *b, uint32_t v);
int buf_append_u64(cf_buf *b, uint64_t v);

static inline void buf_clear(cf_buf *b)
{
    b->len = 0;
}

/* buf_slice -- a view of b's bytes, valid until b changes. */
static inline cf_slice buf_slice(const cf_buf *b)
{
    return slice_make(b->data, b->len);
}

/* buf_free -- releases the memory; b is left empty and reusable. */
void buf_free(cf_buf *b);

#endif
