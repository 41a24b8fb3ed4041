/*
 * aws_chunked.c -- the decoder of S3's aws-chunked content encoding
 * (SigV4 streaming uploads), incremental and allocation-free.
 *
 * Two variants share one grammar (doc/formats.md, "aws-chunked bodies"):
 * signed ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]"), where every size
 * line is "hex;chunk-signature=<64 hex>", and unsigned
 * ("STREAMING-UNSIGNED-PAYLOAD-TRAILER"), where it is "hex" alone. Both end
 * with a size-0 chunk, optional trailer lines "name:value", and an empty
 * line. This file only frames; the s3 layer verifies each signature and the
 * trailing checksum with what it reports.
 *
 * State machine (c->state; every move is made in http_aws_chunked_feed or
 * the step() it calls):
 *
 *   LINE --CR--> LINE_LF --LF--> [CHUNK_START] DATA --size bytes--> DATA_CR
 *   DATA_CR --CR--> DATA_LF --LF--> [CHUNK_END] LINE
 *   LINE_LF --LF, size 0--> [CHUNK_START] LAST_END --(no byte)--> [CHUNK_END] TR_FIRST
 *   TR_FIRST --CR--> BLANK_LF --LF--> [DONE] DONE, or TR_START if want_trailers
 *   TR_FIRST, TR_START --other--> TR_LINE --CR--> TR_LF --LF--> TR_START
 *   TR_START --CR--> END_LF --LF--> [DONE] DONE
 *   any state --bad byte--> FAIL_INVAL; --limit--> FAIL_LIMIT  (both sticky)
 *
 * Invariants:
 *  (1) a call stops right after the byte that completes an event, so the
 *      event sequence and the payload bytes do not depend on how the input
 *      is split;
 *  (2) c->line <= HTTP_AWS_MAX_LINE_BYTES < sizeof c->line_buf, so the
 *      line being collected always fits with room for its NUL;
 *  (3) c->mode is 0 until the first size line, then never changes.
 */
#include <limits.h>
#include <string.h>

#include "http/http.h"
#include "util/hex.h"

enum {
    ST_LINE = 0,
    ST_LINE_LF,
    ST_DATA,
    ST_DATA_CR,
    ST_DATA_LF,
    ST_LAST_END,
    ST_TR_FIRST,
    ST_BLANK_LF,
    ST_TR_START,
    ST_TR_LINE,
    ST_TR_LF,
    ST_END_LF,
    ST_DONE,
    ST_FAIL_INVAL,
    ST_FAIL_LIMIT,
};

enum { MODE_UNKNOWN = 0, MODE_SIGNED = 1, MODE_UNSIGNED = 2 };

static const char sig_ext[] = ";chunk-signature=";
#define SIG_EXT_LEN (sizeof sig_ext - 1)
#define SIG_HEX_LEN 64

_Static_assert(HTTP_AWS_MAX_LINE_BYTES < sizeof(((http_aws_chunked *)0)->line_buf),
               "invariant (2)");

static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* parse_size_line -- "hex" or "hex;chunk-signature=<64 lowercase hex>". */
static int parse_size_line(http_aws_chunked *c)
{
    const uint8_t *p = (const uint8_t *)c->line_buf;
    size_t n = c->line, i = 0;
    uint64_t v = 0;
    for (; i < n && hex_digit(p[i]) >= 0; i++) {
        if (v > UINT64_MAX >> 4)
            return ST_FAIL_LIMIT;
        v = v << 4 | (uint64_t)hex_digit(p[i]);
    }
    if (i == 0)
        return ST_FAIL_INVAL;
    int mode = i == n ? MODE_UNSIGNED : MODE_SIGNED;
    if (c->mode != MODE_UNKNOWN && c->mode != mode) /* invariant (3) */
        return ST_FAIL_INVAL;
    if (mode == MODE_SIGNED) {
        if (n - i != SIG_EXT_LEN + SIG_HEX_LEN || memcmp(p + i, sig_ext, SIG_EXT_LEN) != 0)
            return ST_FAIL_INVAL;
        const uint8_t *sig = p + i + SIG_EXT_LEN;
        for (size_t k = 0; k < SIG_HEX_LEN; k++) {
            if (!((sig[k] >= '0' && sig[k] <= '9') || (sig[k] >= 'a' && sig[k] <= 'f')))
                return ST_FAIL_INVAL;
        }
        memcpy(c->sig, sig, SIG_HEX_LEN);
        c->sig[SIG_HEX_LEN] = '\0';
    } else {
        c->sig[0] = '\0';
    }
    c->mode = (uint8_t)mode;
    c->chunk_size = v;
    c->left = v;
    return v > 0 ? ST_DATA : ST_LAST_END;
}

/* parse_trailer -- "name:value" with optional whitespace around the value. */
static int parse_trailer(http_aws_chunked *c)
{
    const uint8_t *p = (const uint8_t *)c->line_buf;
    size_t n = c->line;
    const uint8_t *colon = memchr(p, ':', n);
    if (!colon || colon == p)
        return ST_FAIL_INVAL;
    size_t name_len = (size_t)(colon - p);
    for (size_t i = 0; i < name_len; i++) {
        if (!is_tchar(p[i]))
            return ST_FAIL_INVAL;
    }
    size_t v = name_len + 1, v_end = n;
    while (v < v_end && (p[v] == ' ' || p[v] == '\t'))
        v++;
    while (v_end > v && (p[v_end - 1] == ' ' || p[v_end - 1] == '\t'))
        v_end--;
    if (name_len >= sizeof c->trailer_name[0] || v_end - v >= sizeof c->trailer_value[0] ||
        c->n_trailers == HTTP_AWS_MAX_TRAILERS)
        return ST_FAIL_LIMIT;
    memcpy(c->trailer_name[c->n_trailers], p, name_len);
    c->trailer_name[c->n_trailers][name_len] = '\0';
    memcpy(c->trailer_value[c->n_trailers], p + v, v_end - v);
    c->trailer_value[c->n_trailers][v_end - v] = '\0';
    c->n_trailers++;
    return ST_TR_START;
}

/* collect -- appends b to the line being collected; returns the next state. */
static int collect(http_aws_chunked *c, uint8_t b, int st)
{
    if (b != '\t' && (b < 0x20 || b == 0x7f)) /* CTLs, and LF without CR */
        return ST_FAIL_INVAL;
    if (c->line == HTTP_AWS_MAX_LINE_BYTES) /* invariant (2) */
        return ST_FAIL_LIMIT;
    c->line_buf[c->line++] = (char)b;
    return st;
}

/* step -- one framing byte; returns the next state and sets *ev on an event. */
static int step(http_aws_chunked *c, int st, uint8_t b, int *ev)
{
    int next;
    switch (st) {
    case ST_LINE:
        return b == '\r' ? ST_LINE_LF : collect(c, b, ST_LINE);
    case ST_LINE_LF:
        if (b != '\n')
            return ST_FAIL_INVAL;
        next = parse_size_line(c);
        c->line = 0;
        if (next == ST_DATA || next == ST_LAST_END)
            *ev = HTTP_AWS_EV_CHUNK_START;
        return next;
    case ST_DATA_CR:
        return b == '\r' ? ST_DATA_LF : ST_FAIL_INVAL;
    case ST_DATA_LF:
        if (b != '\n')
            return ST_FAIL_INVAL;
        *ev = HTTP_AWS_EV_CHUNK_END;
        return ST_LINE;
    case ST_TR_FIRST:
        return b == '\r' ? ST_BLANK_LF : collect(c, b, ST_TR_LINE);
    case ST_BLANK_LF:
        if (b != '\n')
            return ST_FAIL_INVAL;
        if (c->want_trailers)
            return ST_TR_START;
        *ev = HTTP_AWS_EV_DONE;
        return ST_DONE;
    case ST_TR_START:
        return b == '\r' ? ST_END_LF : collect(c, b, ST_TR_LINE);
    case ST_TR_LINE:
        return b == '\r' ? ST_TR_LF : collect(c, b, ST_TR_LINE);
    case ST_TR_LF:
        if (b != '\n')
            return ST_FAIL_INVAL;
        next = parse_trailer(c);
        c->line = 0;
        return next;
    case ST_END_LF:
        if (b != '\n')
            return ST_FAIL_INVAL;
        *ev = HTTP_AWS_EV_DONE;
        return ST_DONE;
    default:
        return ST_FAIL_INVAL;
    }
}

int http_aws_chunked_feed(http_aws_chunked *c, const uint8_t *in, size_t len, const uint8_t **data,
                          size_t *data_len, int *ev)
{
    *data = NULL;
    *data_len = 0;
    *ev = HTTP_AWS_EV_NONE;
    if (len > INT_MAX) /* the count consumed must fit the int result */
        len = INT_MAX;
    if (c->state == ST_LAST_END) {
        c->state = ST_TR_FIRST;
        *ev = HTTP_AWS_EV_CHUNK_END;
        return 0;
    }
    size_t i = 0;
    while (i < len && c->state != ST_DONE) {
        if (c->state == ST_FAIL_INVAL || c->state == ST_FAIL_LIMIT)
            break;
        if (c->state == ST_DATA) {
            size_t n = len - i;
            if (n > c->left)
                n = (size_t)c->left;
            *data = in + i;
            *data_len = n;
            c->left -= n;
            i += n;
            if (c->left > 0)
                return (int)i;
            c->state = ST_DATA_CR; /* go on: the CRLF and CHUNK_END may follow */
            continue;
        }
        c->state = step(c, c->state, in[i++], ev);
        if (*ev != HTTP_AWS_EV_NONE)
            return (int)i; /* invariant (1) */
    }
    if (c->state == ST_FAIL_INVAL || c->state == ST_FAIL_LIMIT) {
        *data = NULL;
        *data_len = 0;
        return c->state == ST_FAIL_INVAL ? CF_EINVAL : CF_ELIMIT;
    }
    return (int)i;
}
