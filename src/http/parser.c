/*
 * parser.c -- the head parsers: a request's (request line and header
 * fields, RFC 9112 sections 2-5, as http_parse_request in http.h describes)
 * and a response's (status line, then the same field section, for the
 * client in client.c: http_parse_response).
 *
 * Stateless and allocation-free: every call scans buf from its first byte,
 * one byte at a time through the state machine below, and stops at the end
 * of the head, at the first byte that cannot belong to a head, at a limit,
 * or at the end of the input. The session calls it again on the grown buffer
 * only when new bytes may finish the head (see session.c), so a head that
 * trickles in costs a few scans, not one per byte.
 *
 *   METHOD --SP--> TARGET --SP--> VERSION --CR--> LINE_LF --LF--> FIELD
 *   FIELD --tchar--> NAME --':'--> LEAD --vchar--> VALUE --CR--> FIELD_LF --LF--> FIELD
 *                                  LEAD ----------------CR--> FIELD_LF
 *   FIELD --CR--> END_LF --LF--> done (returns the head's length)
 *
 * The request line's transitions happen in http_parse_request's loop, the
 * field section's in parse_fields (shared with http_parse_response, whose
 * status line has the fixed shape "HTTP/1.x DDD " then a reason up to CR
 * LF); any byte without a transition is CF_EINVAL. The accepted grammar is in doc/formats.md
 * ("HTTP wire formats", "Request head").
 *
 * Invariants:
 *  (1) the answer depends only on the bytes scanned so far, and the scan
 *      never goes past HTTP_MAX_HEAD_BYTES, so the answer for any prefix of
 *      an input is CF_EAGAIN or the answer for the whole input;
 *  (2) on success every slice in *req points into buf[0..result).
 */
#include <string.h>

#include "http/http.h"

enum {
    ST_METHOD,
    ST_TARGET,
    ST_VERSION,
    ST_LINE_LF,
    ST_FIELD,
    ST_NAME,
    ST_LEAD,
    ST_VALUE,
    ST_FIELD_LF,
    ST_END_LF,
};

/* "HTTP/1." then the minor version digit; HTTP-name is case-sensitive. */
static const char version_prefix[] = "HTTP/1.";
#define VERSION_PREFIX_LEN (sizeof version_prefix - 1)

/* tchar of RFC 9110 5.6.2: the characters of methods and field names. */
static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A field-value byte other than whitespace: VCHAR or obs-text. */
static bool is_value_char(uint8_t c)
{
    return (c > 0x20 && c < 0x7f) || c >= 0x80;
}

static void set_target(http_request *req, const uint8_t *buf, size_t start, size_t end)
{
    req->target = slice_make(buf + start, end - start);
    const uint8_t *q = memchr(buf + start, '?', end - start);
    if (q) {
        req->path = slice_make(buf + start, (size_t)(q - (buf + start)));
        req->query = slice_make(q + 1, (size_t)(buf + end - (q + 1)));
    } else {
        req->path = req->target;
    }
}

/*
 * parse_fields -- the field section of a head whose start line ended at
 * buf[i] (FIELD state), up to lim: the head's length, CF_EAGAIN, CF_EINVAL
 * or CF_ELIMIT, as http_parse_request. Fills headers[0..*n).
 */
static int parse_fields(const uint8_t *buf, size_t i, size_t lim, size_t len,
                        http_header *headers, size_t *n)
{
    size_t mark = 0;      /* start of the current name or value */
    size_t value_end = 0; /* end of the value's last non-whitespace byte */
    int st = ST_FIELD;
    for (; i < lim; i++) {
        uint8_t c = buf[i];
        switch (st) {
        case ST_FIELD_LF:
            if (c != '\n')
                return CF_EINVAL;
            (*n)++;
            st = ST_FIELD;
            break;
        case ST_FIELD:
            if (c == '\r') {
                st = ST_END_LF;
                break;
            }
            /* SP or HTAB here is obs-fold (or space before the first field): rejected. */
            if (!is_tchar(c))
                return CF_EINVAL;
            if (*n == HTTP_MAX_HEADERS)
                return CF_ELIMIT;
            mark = i;
            st = ST_NAME;
            break;
        case ST_NAME:
            if (is_tchar(c))
                break;
            if (c != ':')
                return CF_EINVAL;
            headers[*n].name = slice_make(buf + mark, i - mark);
            st = ST_LEAD;
            break;
        case ST_LEAD:
        case ST_VALUE:
            if (c == ' ' || c == '\t')
                break;
            if (c == '\r') {
                if (st == ST_LEAD)
                    mark = value_end = i;
                headers[*n].value = slice_make(buf + mark, value_end - mark);
                st = ST_FIELD_LF;
                break;
            }
            if (!is_value_char(c))
                return CF_EINVAL;
            if (st == ST_LEAD)
                mark = i;
            value_end = i + 1;
            st = ST_VALUE;
            break;
        case ST_END_LF:
            if (c != '\n')
                return CF_EINVAL;
            return (int)(i + 1);
        }
    }
    return len >= HTTP_MAX_HEAD_BYTES ? CF_ELIMIT : CF_EAGAIN;
}

int http_parse_request(const uint8_t *buf, size_t len, http_request *req)
{
    req->method = slice_make(NULL, 0);
    req->target = slice_make(NULL, 0);
    req->path = slice_make(NULL, 0);
    req->query = slice_make(NULL, 0);
    req->minor_version = 0;
    req->n_headers = 0;

    size_t lim = len < HTTP_MAX_HEAD_BYTES ? len : HTTP_MAX_HEAD_BYTES; /* invariant (1) */
    size_t mark = 0; /* start of the current target */
    size_t vpos = 0; /* bytes of the version matched */
    int st = ST_METHOD;
    for (size_t i = 0; i < lim; i++) {
        uint8_t c = buf[i];
        switch (st) {
        case ST_METHOD:
            if (is_tchar(c))
                break;
            if (c != ' ' || i == 0)
                return CF_EINVAL;
            req->method = slice_make(buf, i);
            mark = i + 1;
            st = ST_TARGET;
            break;
        case ST_TARGET:
            if (c > 0x20 && c < 0x7f) {
                if (i + 1 - mark > HTTP_MAX_TARGET_BYTES) {
                    req->target = slice_make(buf + mark, i + 1 - mark);
                    return CF_ELIMIT;
                }
                break;
            }
            if (c != ' ' || i == mark)
                return CF_EINVAL;
            set_target(req, buf, mark, i);
            st = ST_VERSION;
            break;
        case ST_VERSION:
            if (vpos < VERSION_PREFIX_LEN) {
                if (c != (uint8_t)version_prefix[vpos++])
                    return CF_EINVAL;
            } else if (vpos == VERSION_PREFIX_LEN) {
                if (c != '0' && c != '1')
                    return CF_EINVAL;
                req->minor_version = c - '0';
                vpos++;
            } else if (c == '\r') {
                st = ST_LINE_LF;
            } else {
                return CF_EINVAL;
            }
            break;
        case ST_LINE_LF:
            if (c != '\n')
                return CF_EINVAL;
            return parse_fields(buf, i + 1, lim, len, req->headers, &req->n_headers);
        }
    }
    return len >= HTTP_MAX_HEAD_BYTES ? CF_ELIMIT : CF_EAGAIN;
}

/*
 * http_parse_response -- the status line "HTTP/1.x SSS reason CRLF" (the
 * reason may be empty; its bytes are HTAB, SP, VCHAR, obs-text), then the
 * same field section as a request's.
 */
int http_parse_response(const uint8_t *buf, size_t len, http_response *resp)
{
    resp->minor_version = 0;
    resp->status = 0;
    resp->reason = slice_make(NULL, 0);
    resp->n_headers = 0;

    size_t lim = len < HTTP_MAX_HEAD_BYTES ? len : HTTP_MAX_HEAD_BYTES; /* invariant (1) */
    static const char shape[] = "HTTP/1.x 000 "; /* x: the minor version, 0: a digit */
    size_t n = sizeof shape - 1;
    for (size_t i = 0; i < n && i < lim; i++) {
        uint8_t c = buf[i];
        bool ok = shape[i] == '0' ? c >= '0' && c <= '9'
                  : shape[i] == 'x' ? c == '0' || c == '1'
                                    : c == (uint8_t)shape[i];
        if (!ok)
            return CF_EINVAL;
    }
    if (lim < n)
        return len >= HTTP_MAX_HEAD_BYTES ? CF_ELIMIT : CF_EAGAIN;
    resp->minor_version = buf[7] - '0';
    resp->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    if (resp->status < 100)
        return CF_EINVAL;
    for (size_t i = n; i < lim; i++) {
        uint8_t c = buf[i];
        if (c == '\r') {
            if (i + 1 == lim)
                break;
            if (buf[i + 1] != '\n')
                return CF_EINVAL;
            resp->reason = slice_make(buf + n, i - n);
            return parse_fields(buf, i + 2, lim, len, resp->headers, &resp->n_headers);
        }
        if (c != '\t' && c != ' ' && !is_value_char(c))
            return CF_EINVAL;
    }
    return len >= HTTP_MAX_HEAD_BYTES ? CF_ELIMIT : CF_EAGAIN;
}
