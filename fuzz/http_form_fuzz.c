/*
 * http_form_fuzz.c -- libFuzzer target for http_form_begin and
 * http_form_feed (multipart/form-data).
 *
 * Input: one byte (where to split, and bit 7: mark parts named "file"
 * streamed), the Content-Type value up to the first '\n', then the body.
 * The body is decoded three ways: whole, in two pieces split where the
 * first byte says, and (up to 4 KiB) one byte at a time. The events, the
 * data and the result must agree; every call must make progress; data must
 * lie among the bytes a call consumed or in the decoder's held delimiter
 * bytes; the counters must respect their limits.
 * Build and run: fuzz/run.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

typedef struct result {
    int rc;
    size_t used;
    cf_buf out;
} result;

static void require(bool ok)
{
    if (!ok)
        abort();
}

static void note(cf_buf *b, const void *p, size_t n)
{
    buf_append(b, p, n);
}

static void decode(cf_slice ct, const uint8_t *in, size_t len, size_t first, size_t step,
                   bool stream_file, result *r)
{
    static http_form f;
    buf_clear(&r->out);
    r->used = 0;
    r->rc = http_form_begin(&f, ct);
    if (r->rc)
        return;
    r->rc = CF_EAGAIN;
    size_t pos = 0, end = first < len ? first : len;
    for (;;) {
        for (;;) {
            const uint8_t *data;
            size_t n;
            int ev;
            int rc = http_form_feed(&f, in + pos, end - pos, &data, &n, &ev);
            if (rc < 0) {
                require(rc == CF_EINVAL || rc == CF_ELIMIT);
                require(data == NULL && n == 0 && ev == HTTP_FORM_EV_NONE);
                r->rc = rc;
                return;
            }
            require((size_t)rc <= end - pos);
            bool in_input = data >= in + pos && data + n <= in + pos + (size_t)rc;
            bool held = (const char *)data >= f.delim && (const char *)data + n <= f.delim + 74;
            require(n == 0 || in_input || held);
            require(f.field_bytes <= HTTP_FORM_MAX_FIELD_BYTES);
            require(f.n_parts <= HTTP_FORM_MAX_PARTS && f.line <= HTTP_FORM_MAX_LINE_BYTES);
            require(f.head_bytes <= HTTP_FORM_MAX_HEAD_BYTES);
            note(&r->out, data, n);
            pos += (size_t)rc;
            if (ev == HTTP_FORM_EV_PART) {
                require(f.name_len <= HTTP_FORM_MAX_NAME_BYTES && f.name[f.name_len] == '\0');
                require(f.filename_len <= HTTP_FORM_MAX_FILENAME_BYTES &&
                        f.filename[f.filename_len] == '\0');
                require(f.type_len <= HTTP_FORM_MAX_TYPE_BYTES && f.type[f.type_len] == '\0');
                note(&r->out, "\x01", 1);
                note(&r->out, f.name, f.name_len);
                note(&r->out, "\x02", 1);
                note(&r->out, f.filename, f.filename_len);
                note(&r->out, "\x03", 1);
                note(&r->out, f.type, f.type_len);
                if (stream_file && strcmp(f.name, "file") == 0)
                    f.stream = true;
            } else if (ev == HTTP_FORM_EV_PART_END) {
                note(&r->out, "\x04", 1);
            } else if (ev == HTTP_FORM_EV_DONE) {
                note(&r->out, "\x05", 1);
                r->rc = 0;
            }
            if (rc == 0 && n == 0 && ev == HTTP_FORM_EV_NONE) {
                require(pos == end); /* progress while there is input */
                break;
            }
        }
        if (end == len)
            break;
        end = len - end < step ? len : end + step;
    }
    r->used = pos;
}

static bool same(const result *a, const result *b)
{
    if (a->rc != b->rc)
        return false;
    if (a->rc < 0)
        return true; /* how much was reported before an error depends on the split */
    return a->used == b->used && a->out.len == b->out.len &&
           (a->out.len == 0 || memcmp(a->out.data, b->out.data, a->out.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static result whole, split;
    if (size == 0)
        return 0;
    bool stream_file = data[0] & 0x80;
    size_t cut_byte = data[0] & 0x7f;
    data++;
    size--;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ct_len = nl ? (size_t)(nl - data) : size;
    cf_slice ct = slice_make(data, ct_len);
    const uint8_t *body = nl ? nl + 1 : data + size;
    size_t len = nl ? size - ct_len - 1 : 0;
    size_t cut = len ? cut_byte * len / 128 : 0;
    decode(ct, body, len, len, len, stream_file, &whole);
    if (whole.rc == 0 || whole.rc == CF_EAGAIN)
        require(whole.used == len);
    decode(ct, body, len, cut, len, stream_file, &split);
    require(same(&whole, &split));
    if (len <= 4096) {
        decode(ct, body, len, 1, 1, stream_file, &split);
        require(same(&whole, &split));
    }
    return 0;
}
