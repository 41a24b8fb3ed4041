/*
 * chunked.c -- the decoder of the chunked transfer coding (RFC 9112 7.1),
 * incremental, in place and allocation-free.
 *
 * State machine (c->state; every move is made in http_chunked_feed):
 *
 *   SIZE0 --hex--> SIZE --CR--> SIZE_LF --LF, size > 0--> DATA --size bytes--> DATA_CR
 *                  SIZE --SP/HTAB--> SIZE_WS --';'--> EXT --CR--> SIZE_LF
 *                  SIZE --';'--> EXT
 *   DATA_CR --CR--> DATA_LF --LF--> SIZE0
 *   SIZE_LF --LF, size 0--> TRAILER --CR--> END_LF --LF--> DONE
 *   TRAILER --tchar--> TNAME --':'--> TVALUE --CR--> TRAILER_LF --LF--> TRAILER
 *   any state --bad byte--> FAIL_INVAL;  --limit--> FAIL_LIMIT  (both sticky)
 *
 * Extensions are skipped (any non-CTL byte but HTAB up to CR); trailer
 * fields are checked for shape and dropped. Grammar and limits are in
 * doc/formats.md ("HTTP wire formats", "Chunked request bodies").
 *
 * Invariants:
 *  (1) a call consumes every byte it is given unless it stops right after a
 *      run of payload bytes, reaches DONE, or fails; so the output for an
 *      input does not depend on how the input was split;
 *  (2) while in SIZE0..SIZE_LF, c->left is the chunk size parsed so far and
 *      never overflows (CF_ELIMIT first); in DATA it is the payload left;
 *  (3) c->line counts the current size line's bytes without CRLF (bound
 *      HTTP_CHUNK_MAX_LINE_BYTES), or from TRAILER on the trailer section's
 *      bytes, final CRLF included (bound HTTP_MAX_HEAD_BYTES).
 */
#include <limits.h>
#include <string.h>

#include "http/http.h"
#include "util/hex.h"

enum {
    ST_SIZE0 = 0,
    ST_SIZE,
    ST_SIZE_WS,
    ST_EXT,
    ST_SIZE_LF,
    ST_DATA,
    ST_DATA_CR,
    ST_DATA_LF,
    ST_TRAILER,
    ST_TNAME,
    ST_TVALUE,
    ST_TRAILER_LF,
    ST_END_LF,
    ST_DONE,
    ST_FAIL_INVAL,
    ST_FAIL_LIMIT,
};

static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Bytes allowed in an extension or a field value: HTAB, SP, VCHAR, obs-text. */
static bool is_text(uint8_t c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* step -- one framing byte in state st; returns the next state. */
static int step(http_chunked *c, int st, uint8_t b)
{
    if (st <= ST_EXT && b != '\r' && ++c->line > HTTP_CHUNK_MAX_LINE_BYTES)
        return ST_FAIL_LIMIT; /* the line without its CRLF */
    if (st >= ST_TRAILER && st <= ST_END_LF && ++c->line > HTTP_MAX_HEAD_BYTES)
        return ST_FAIL_LIMIT;
    int h;
    switch (st) {
    case ST_SIZE0:
    case ST_SIZE:
        h = hex_digit(b);
        if (h >= 0) {
            if (c->left > UINT64_MAX >> 4) /* invariant (2) */
                return ST_FAIL_LIMIT;
            c->left = c->left << 4 | (uint64_t)h;
            return ST_SIZE;
        }
        if (st == ST_SIZE0)
            return ST_FAIL_INVAL;
        if (b == '\r')
            return ST_SIZE_LF;
        if (b == ';')
            return ST_EXT;
        return b == ' ' || b == '\t' ? ST_SIZE_WS : ST_FAIL_INVAL;
    case ST_SIZE_WS:
        if (b == ';')
            return ST_EXT;
        return b == ' ' || b == '\t' ? ST_SIZE_WS : ST_FAIL_INVAL;
    case ST_EXT:
        if (b == '\r')
            return ST_SIZE_LF;
        return is_text(b) ? ST_EXT : ST_FAIL_INVAL;
    case ST_SIZE_LF:
        if (b != '\n')
            return ST_FAIL_INVAL;
        c->line = 0;
        return c->left > 0 ? ST_DATA : ST_TRAILER;
    case ST_DATA_CR:
        return b == '\r' ? ST_DATA_LF : ST_FAIL_INVAL;
    case ST_DATA_LF:
        if (b != '\n')
            return ST_FAIL_INVAL;
        c->line = 0;
        c->left = 0;
        return ST_SIZE0;
    case ST_TRAILER:
        if (b == '\r')
            return ST_END_LF;
        return is_tchar(b) ? ST_TNAME : ST_FAIL_INVAL; /* SP/HTAB: obs-fold */
    case ST_TNAME:
        if (b == ':')
            return ST_TVALUE;
        return is_tchar(b) ? ST_TNAME : ST_FAIL_INVAL;
    case ST_TVALUE:
        if (b == '\r')
            return ST_TRAILER_LF;
        return is_text(b) ? ST_TVALUE : ST_FAIL_INVAL;
    case ST_TRAILER_LF:
        return b == '\n' ? ST_TRAILER : ST_FAIL_INVAL;
    case ST_END_LF:
        return b == '\n' ? ST_DONE : ST_FAIL_INVAL;
    default:
        return ST_FAIL_INVAL;
    }
}

int http_chunked_feed(http_chunked *c, const uint8_t *in, size_t len, const uint8_t **data,
                      size_t *data_len, bool *done)
{
    *data = NULL;
    *data_len = 0;
    *done = c->state == ST_DONE;
    if (len > INT_MAX) /* the count consumed must fit the int result */
        len = INT_MAX;
    size_t i = 0;
    while (i < len) {
        switch (c->state) {
        case ST_DONE:
            *done = true;
            return (int)i;
        case ST_FAIL_INVAL:
            return CF_EINVAL;
        case ST_FAIL_LIMIT:
            return CF_ELIMIT;
        case ST_DATA: {
            size_t n = len - i;
            if (n > c->left)
                n = (size_t)c->left;
            *data = in + i;
            *data_len = n;
            c->left -= n;
            if (c->left == 0)
                c->state = ST_DATA_CR;
            return (int)(i + n); /* invariant (1): stop after a payload run */
        }
        default:
            c->state = step(c, c->state, in[i++]);
        }
    }
    if (c->state == ST_FAIL_INVAL)
        return CF_EINVAL;
    if (c->state == ST_FAIL_LIMIT)
        return CF_ELIMIT;
    *done = c->state == ST_DONE;
    return (int)i;
}
