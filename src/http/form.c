/*
 * form.c -- the decoder of multipart/form-data bodies (RFC 7578, framed as
 * RFC 2046 5.1 multipart), incremental and allocation-free: what an HTML
 * form upload (S3 POST Object) sends.
 *
 * Grammar and limits: doc/formats.md ("multipart/form-data bodies"). A body
 * is [preamble CRLF] "--" boundary padding CRLF part *(CRLF "--" boundary
 * padding CRLF part) CRLF "--" boundary "--" [epilogue]; a part is header
 * lines, an empty line, then data up to the next CRLF "--" boundary. The
 * delimiter is searched for as the byte string delim = CRLF "--" boundary;
 * the body's first delimiter may lack its CRLF, so the search starts as if
 * a CRLF had just been seen (f->match = 2 in PREAMBLE).
 *
 * State machine (f->state; every move is made in http_form_feed, scan() or
 * step()):
 *
 *   (begin) PREAMBLE --delim--> AFTER_DELIM
 *   AFTER_DELIM --'-'--> CLOSE_DASH --'-'--> [DONE] DONE (epilogue: ignored)
 *   AFTER_DELIM --SP/HTAB--> PADDING --CR--> DELIM_LF;  AFTER_DELIM --CR--> DELIM_LF
 *   DELIM_LF --LF--> HEAD_LINE --CR--> HEAD_LF --LF, line not empty--> HEAD_LINE
 *   HEAD_LF --LF, empty line--> [PART] DATA --delim--> [PART_END] AFTER_DELIM
 *   any state --bad byte--> FAIL_INVAL; --limit--> FAIL_LIMIT  (both sticky)
 *   (a failed begin) --> FAIL_INVAL
 *
 * Invariants:
 *  (1) a call stops right after the byte that completes an event, and
 *      returns right after a run of data; so the events, the data bytes and
 *      the result do not depend on how the input is split;
 *  (2) f->match bytes of delim have been consumed and not yet reported:
 *      they are held, and reported as data (from f->delim) if the delimiter
 *      turns out not to be one. delim holds CR only at its first byte (the
 *      boundary's characters are RFC 2046 bchars), so when a match breaks,
 *      no later start of a match can lie among the held bytes;
 *  (3) f->line < HTTP_FORM_MAX_LINE_BYTES while a header line is collected,
 *      f->head_bytes <= HTTP_FORM_MAX_HEAD_BYTES, f->n_parts <=
 *      HTTP_FORM_MAX_PARTS, f->field_bytes <= HTTP_FORM_MAX_FIELD_BYTES, or
 *      the state is FAIL_LIMIT.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

enum {
    ST_FAIL_INVAL = 0, /* a zeroed struct refuses everything until begun */
    ST_PREAMBLE,
    ST_AFTER_DELIM,
    ST_PADDING,
    ST_DELIM_LF,
    ST_CLOSE_DASH,
    ST_HEAD_LINE,
    ST_HEAD_LF,
    ST_DATA,
    ST_DONE,
    ST_FAIL_LIMIT,
};

static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 2046 bcharsnospace; a space is also allowed, but not last. */
static bool is_bchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("'()+_,-./:=? ", c) != NULL;
}

static bool ci_eq(cf_slice a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && strncasecmp((const char *)a.ptr, b, n) == 0;
}

static size_t skip_ows(cf_slice s, size_t i)
{
    while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t'))
        i++;
    return i;
}

/*
 * param_value -- a parameter value at s[*i]: a token, or a quoted-string
 * whose backslash escapes only '"' and '\' (RFC 9110 quoted-pair, but a
 * Windows path's other backslashes stay as sent, as browsers send them).
 * Copies it into out (cap bytes, NUL-terminated) unless out is NULL.
 * Returns its length, -1 if malformed, -2 if longer than cap - 1.
 */
static int param_value(cf_slice s, size_t *i, char *out, size_t cap)
{
    size_t n = 0, k = *i;
    bool quoted = k < s.len && s.ptr[k] == '"';
    if (quoted)
        k++;
    for (;; k++) {
        if (k == s.len) {
            if (quoted)
                return -1; /* no closing quote */
            break;
        }
        uint8_t c = s.ptr[k];
        if (quoted && c == '"') {
            k++;
            break;
        }
        if (!quoted && !is_tchar(c))
            break;
        if (quoted && c == '\\' && k + 1 < s.len && (s.ptr[k + 1] == '"' || s.ptr[k + 1] == '\\'))
            c = s.ptr[++k];
        if (out) {
            if (n + 1 >= cap)
                return -2;
            out[n] = (char)c;
        }
        n++;
    }
    if (!quoted && n == 0)
        return -1;
    if (out)
        out[n] = '\0';
    *i = k;
    return (int)n;
}

/*
 * parse_disposition -- form-data; name="x"; filename="y" into f. Returns the
 * next state: HEAD_LINE, or FAIL_INVAL / FAIL_LIMIT.
 */
static int parse_disposition(http_form *f, cf_slice v)
{
    size_t i = 0;
    while (i < v.len && is_tchar(v.ptr[i]))
        i++;
    if (i == 0)
        return ST_FAIL_INVAL;
    f->form_data = ci_eq(slice_make(v.ptr, i), "form-data");
    for (;;) {
        i = skip_ows(v, i);
        if (i == v.len)
            return ST_HEAD_LINE;
        if (v.ptr[i] != ';')
            return ST_FAIL_INVAL;
        i = skip_ows(v, i + 1);
        if (i == v.len)
            return ST_HEAD_LINE; /* a trailing ';' */
        size_t name_start = i;
        while (i < v.len && is_tchar(v.ptr[i]))
            i++;
        cf_slice name = slice_make(v.ptr + name_start, i - name_start);
        if (name.len == 0 || i == v.len || v.ptr[i] != '=')
            return ST_FAIL_INVAL;
        i++;
        char *out = NULL;
        size_t cap = 0;
        bool *seen = NULL;
        uint16_t *len = NULL;
        if (ci_eq(name, "name")) {
            out = f->name, cap = sizeof f->name, seen = &f->has_name, len = &f->name_len;
        } else if (ci_eq(name, "filename")) {
            out = f->filename, cap = sizeof f->filename, seen = &f->has_filename;
            len = &f->filename_len;
        }
        if (seen && *seen)
            return ST_FAIL_INVAL; /* a repeated parameter: which one would be meant? */
        int n = param_value(v, &i, out, cap);
        if (n == -2)
            return ST_FAIL_LIMIT;
        if (n < 0)
            return ST_FAIL_INVAL;
        if (seen) {
            *seen = true;
            *len = (uint16_t)n;
        }
    }
}

/* parse_header -- one part header line "Name: value"; returns the next state. */
static int parse_header(http_form *f)
{
    cf_slice line = slice_make(f->line_buf, f->line);
    size_t i = 0;
    while (i < line.len && is_tchar(line.ptr[i]))
        i++;
    if (i == 0 || i == line.len || line.ptr[i] != ':')
        return ST_FAIL_INVAL; /* no name, whitespace before ':', or obs-fold */
    cf_slice name = slice_make(line.ptr, i);
    size_t v = skip_ows(line, i + 1), end = line.len;
    while (end > v && (line.ptr[end - 1] == ' ' || line.ptr[end - 1] == '\t'))
        end--;
    cf_slice value = slice_make(line.ptr + v, end - v);
    if (ci_eq(name, "content-disposition")) {
        if (f->has_disposition)
            return ST_FAIL_INVAL;
        f->has_disposition = true;
        return parse_disposition(f, value);
    }
    if (ci_eq(name, "content-type")) {
        if (f->has_type)
            return ST_FAIL_INVAL;
        if (value.len > HTTP_FORM_MAX_TYPE_BYTES)
            return ST_FAIL_LIMIT;
        memcpy(f->type, value.ptr, value.len);
        f->type[value.len] = '\0';
        f->type_len = (uint16_t)value.len;
        f->has_type = true;
    }
    return ST_HEAD_LINE;
}

/* start_part -- the delimiter line ended: a new part's headers follow. */
static int start_part(http_form *f)
{
    if (++f->n_parts > HTTP_FORM_MAX_PARTS) /* invariant (3) */
        return ST_FAIL_LIMIT;
    f->line = 0;
    f->head_bytes = 0;
    f->stream = false;
    f->has_disposition = f->form_data = f->has_name = f->has_filename = f->has_type = false;
    f->name_len = f->filename_len = f->type_len = 0;
    f->name[0] = f->filename[0] = f->type[0] = '\0';
    return ST_HEAD_LINE;
}

/* step -- one byte outside data and preamble; returns the next state, sets *ev. */
static int step(http_form *f, int st, uint8_t b, int *ev)
{
    if (st == ST_HEAD_LINE || st == ST_HEAD_LF) {
        if (++f->head_bytes > HTTP_FORM_MAX_HEAD_BYTES) /* invariant (3) */
            return ST_FAIL_LIMIT;
    }
    switch (st) {
    case ST_AFTER_DELIM:
    case ST_PADDING:
        if (b == '-' && st == ST_AFTER_DELIM)
            return ST_CLOSE_DASH;
        if (b == ' ' || b == '\t')
            return ST_PADDING; /* transport padding */
        return b == '\r' ? ST_DELIM_LF : ST_FAIL_INVAL;
    case ST_DELIM_LF:
        return b == '\n' ? start_part(f) : ST_FAIL_INVAL;
    case ST_CLOSE_DASH:
        if (b != '-')
            return ST_FAIL_INVAL;
        *ev = HTTP_FORM_EV_DONE;
        return ST_DONE;
    case ST_HEAD_LINE:
        if (b == '\r')
            return ST_HEAD_LF;
        if (b != '\t' && (b < 0x20 || b == 0x7f)) /* CTLs, and LF without CR */
            return ST_FAIL_INVAL;
        if (f->line == HTTP_FORM_MAX_LINE_BYTES) /* invariant (3) */
            return ST_FAIL_LIMIT;
        f->line_buf[f->line++] = (char)b;
        return ST_HEAD_LINE;
    case ST_HEAD_LF: {
        if (b != '\n')
            return ST_FAIL_INVAL;
        if (f->line == 0) {
            *ev = HTTP_FORM_EV_PART;
            f->match = 0;
            return ST_DATA;
        }
        int next = parse_header(f);
        f->line = 0;
        return next;
    }
    default:
        return ST_FAIL_INVAL;
    }
}

/* count -- n more bytes against HTTP_FORM_MAX_FIELD_BYTES; false past it. */
static bool count(http_form *f, size_t n)
{
    f->field_bytes += n;
    return f->field_bytes <= HTTP_FORM_MAX_FIELD_BYTES; /* invariant (3) */
}

/*
 * scan -- PREAMBLE or DATA: looks for delim in p[0..n). Returns bytes
 * consumed, with a run of data at *data (DATA only; the preamble is
 * dropped) and HTTP_FORM_EV_PART_END in *ev when a DATA delimiter ends.
 * Consumes everything (holding a partial match, invariant (2)) unless it
 * stops after held bytes that were data or at a delimiter. Consumed bytes
 * count against HTTP_FORM_MAX_FIELD_BYTES, except in a streamed part's
 * data, where only the delimiter that ends it counts.
 */
static size_t scan(http_form *f, const uint8_t *p, size_t n, const uint8_t **data, size_t *data_len,
                   int *ev)
{
    bool in_data = f->state == ST_DATA;
    size_t k = 0;
    if (f->match > 0) { /* held bytes: does the delimiter go on? */
        while (k < n && f->match < f->delim_len && p[k] == (uint8_t)f->delim[f->match]) {
            f->match++;
            k++;
        }
        if (f->match < f->delim_len && k < n) { /* it does not: invariant (2) */
            if (in_data) {
                *data = (const uint8_t *)f->delim;
                *data_len = f->match;
            }
            f->match = 0; /* the preamble's are dropped, and the caller scans on */
        }
    } else {
        k = n; /* unless a '\r' starts a delimiter, all of it is data */
        const uint8_t *cr = memchr(p, '\r', n);
        while (cr) {
            size_t at = (size_t)(cr - p), j = at;
            uint32_t m = 0;
            while (j < n && m < f->delim_len && p[j] == (uint8_t)f->delim[m]) {
                j++;
                m++;
            }
            if (m == f->delim_len || j == n) { /* a delimiter, or a match to hold */
                f->match = m;
                k = j;
                n = at; /* the data before it */
                break;
            }
            cr = memchr(p + j, '\r', n - j); /* invariant (2): p[j] may start one */
        }
        if (in_data && n > 0 && k > 0) {
            *data = p;
            *data_len = k < n ? k : n;
        }
    }
    bool done = f->match == f->delim_len;
    if (!(in_data && f->stream)) {
        if (!count(f, k))
            f->state = ST_FAIL_LIMIT;
    } else if (done && !count(f, f->delim_len)) {
        f->state = ST_FAIL_LIMIT;
    }
    if (done && f->state != ST_FAIL_LIMIT) { /* the delimiter, held bytes and all */
        f->match = 0;
        f->state = ST_AFTER_DELIM;
        if (in_data)
            *ev = HTTP_FORM_EV_PART_END;
    }
    return k;
}

int http_form_begin(http_form *f, cf_slice ct)
{
    memset(f, 0, sizeof *f); /* state FAIL_INVAL until the boundary is found */
    size_t i = 0;
    while (i < ct.len && ct.ptr[i] != ';' && ct.ptr[i] != ' ' && ct.ptr[i] != '\t')
        i++;
    if (!ci_eq(slice_make(ct.ptr, i), "multipart/form-data"))
        return CF_EINVAL;
    char boundary[HTTP_FORM_MAX_BOUNDARY_BYTES + 1];
    int blen = -1;
    for (;;) {
        i = skip_ows(ct, i);
        if (i == ct.len)
            break;
        if (ct.ptr[i] != ';')
            return CF_EINVAL;
        i = skip_ows(ct, i + 1);
        if (i == ct.len)
            break;
        size_t name_start = i;
        while (i < ct.len && is_tchar(ct.ptr[i]))
            i++;
        cf_slice name = slice_make(ct.ptr + name_start, i - name_start);
        if (name.len == 0 || i == ct.len || ct.ptr[i] != '=')
            return CF_EINVAL;
        i++;
        bool is_boundary = ci_eq(name, "boundary");
        if (is_boundary && blen >= 0)
            return CF_EINVAL; /* two boundaries */
        int n = param_value(ct, &i, is_boundary ? boundary : NULL, sizeof boundary);
        if (n < 0)
            return CF_EINVAL;
        if (is_boundary)
            blen = n;
    }
    if (blen <= 0 || boundary[blen - 1] == ' ')
        return CF_EINVAL;
    for (int k = 0; k < blen; k++) {
        if (!is_bchar((uint8_t)boundary[k]))
            return CF_EINVAL; /* invariant (2) needs a CR-free boundary */
    }
    memcpy(f->delim, "\r\n--", 4);
    memcpy(f->delim + 4, boundary, (size_t)blen);
    f->delim_len = (uint8_t)(4 + blen);
    f->match = 2; /* the body may begin with the delimiter less its CRLF */
    f->state = ST_PREAMBLE;
    return 0;
}

int http_form_feed(http_form *f, const uint8_t *in, size_t len, const uint8_t **data,
                   size_t *data_len, int *ev)
{
    *data = NULL;
    *data_len = 0;
    *ev = HTTP_FORM_EV_NONE;
    if (len > INT_MAX) /* the count consumed must fit the int result */
        len = INT_MAX;
    size_t i = 0;
    while (i < len) {
        int st = f->state;
        if (st == ST_DONE)
            return (int)len; /* the epilogue */
        if (st == ST_FAIL_INVAL || st == ST_FAIL_LIMIT)
            break;
        if (st == ST_PREAMBLE || st == ST_DATA) {
            i += scan(f, in + i, len - i, data, data_len, ev);
            if (*data_len > 0 || *ev != HTTP_FORM_EV_NONE || st == ST_DATA)
                break; /* invariant (1) */
            continue;
        }
        if (!count(f, 1)) {
            f->state = ST_FAIL_LIMIT;
            break;
        }
        f->state = step(f, st, in[i++], ev);
        if (*ev != HTTP_FORM_EV_NONE)
            break; /* invariant (1) */
    }
    if (f->state == ST_FAIL_INVAL || f->state == ST_FAIL_LIMIT) {
        *data = NULL;
        *data_len = 0;
        *ev = HTTP_FORM_EV_NONE;
        return f->state == ST_FAIL_INVAL ? CF_EINVAL : CF_ELIMIT;
    }
    return (int)i;
}
