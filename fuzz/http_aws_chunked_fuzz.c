/*
 * http_aws_chunked_fuzz.c -- libFuzzer target for http_aws_chunked_feed.
 *
 * The first byte chooses want_trailers and a split point; the rest is
 * decoded whole, in two pieces, and (up to 4 KiB) one byte at a time. The
 * payload, the event sequence (with sizes, signatures and trailers) and the
 * result must agree; every CHUNK_START is followed by a CHUNK_END; payload
 * only comes inside a chunk and never exceeds its declared size; strings
 * the decoder hands out are NUL-terminated within their arrays.
 * Build and run: fuzz/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

typedef struct result {
    int rc; /* 0 at DONE, CF_EAGAIN when the input ended first, or the error */
    size_t used;
    cf_buf payload;
    cf_buf events;
} result;

static void require(bool ok)
{
    if (!ok)
        abort();
}

static void note_chunk(cf_buf *ev, const http_aws_chunked *c)
{
    require(memchr(c->sig, '\0', sizeof c->sig) != NULL);
    char text[96];
    int n = snprintf(text, sizeof text, "S%llx:%s ", (unsigned long long)c->chunk_size, c->sig);
    buf_append(ev, text, (size_t)n);
}

static void note_trailers(cf_buf *ev, const http_aws_chunked *c)
{
    require(c->n_trailers <= HTTP_AWS_MAX_TRAILERS);
    for (size_t i = 0; i < c->n_trailers; i++) {
        require(memchr(c->trailer_name[i], '\0', sizeof c->trailer_name[i]) != NULL);
        require(memchr(c->trailer_value[i], '\0', sizeof c->trailer_value[i]) != NULL);
        buf_append(ev, c->trailer_name[i], strlen(c->trailer_name[i]));
        buf_append(ev, "=", 1);
        buf_append(ev, c->trailer_value[i], strlen(c->trailer_value[i]));
        buf_append(ev, "\n", 1);
    }
}

static void decode(const uint8_t *in, size_t len, size_t first, size_t step, bool trailers,
                   result *r)
{
    static http_aws_chunked c;
    memset(&c, 0, sizeof c);
    c.want_trailers = trailers;
    buf_clear(&r->payload);
    buf_clear(&r->events);
    r->rc = CF_EAGAIN;
    r->used = 0;
    bool in_chunk = false;
    uint64_t chunk_left = 0;
    size_t pos = 0, end = first < len ? first : len;
    for (;;) {
        const uint8_t *data;
        size_t n;
        int ev;
        int rc = http_aws_chunked_feed(&c, in + pos, end - pos, &data, &n, &ev);
        if (rc < 0) {
            require(rc == CF_EINVAL || rc == CF_ELIMIT);
            r->rc = rc;
            return;
        }
        require((size_t)rc <= end - pos);
        require(n == 0 ||
                (in_chunk && n <= chunk_left && data >= in + pos && data + n <= in + pos + rc));
        chunk_left -= n;
        buf_append(&r->payload, data, n);
        pos += (size_t)rc;
        if (ev == HTTP_AWS_EV_CHUNK_START) {
            require(!in_chunk);
            in_chunk = true;
            chunk_left = c.chunk_size;
            note_chunk(&r->events, &c);
        } else if (ev == HTTP_AWS_EV_CHUNK_END) {
            require(in_chunk && chunk_left == 0);
            in_chunk = false;
            buf_append(&r->events, "E ", 2);
        } else if (ev == HTTP_AWS_EV_DONE) {
            require(!in_chunk);
            buf_append(&r->events, "D ", 2);
            note_trailers(&r->events, &c);
            r->rc = 0;
            break;
        } else {
            require(ev == HTTP_AWS_EV_NONE);
        }
        if (rc == 0 && ev == HTTP_AWS_EV_NONE) {
            if (end == len)
                break;
            end = len - end < step ? len : end + step;
        }
    }
    r->used = pos;
}

static bool same_buf(const cf_buf *a, const cf_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static bool same(const result *a, const result *b)
{
    if (a->rc != b->rc || !same_buf(&a->events, &b->events))
        return false;
    return (a->rc != 0 && a->rc != CF_EAGAIN) ||
           (a->used == b->used && same_buf(&a->payload, &b->payload));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static result whole, split;
    if (size == 0)
        return 0;
    bool trailers = data[0] & 1;
    size_t cut = (size_t)(data[0] >> 1) * 97 % size;
    data++;
    size--;
    decode(data, size, size, size, trailers, &whole);
    decode(data, size, cut, size, trailers, &split);
    require(same(&whole, &split));
    if (size <= 4096) {
        decode(data, size, 1, 1, trailers, &split);
        require(same(&whole, &split));
    }
    return 0;
}
