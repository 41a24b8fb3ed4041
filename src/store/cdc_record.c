/*
 * cdc_record.c -- one change-log record as a line of JSON (doc/cdc.md,
 * "Record", version 1).
 *
 * Invariants:
 *  (1) a record is one line: valid JSON (every string escaped, and any byte
 *      that is not part of valid UTF-8 replaced by U+FFFD, except in the
 *      key, which is then given whole as key_base64 too), ended by '\n',
 *      with no '\n' before it.
 *  (2) every record has every field, null where it does not apply, so a
 *      reader that infers a schema from a sample (DuckDB, Spark) sees one.
 */
#include <openssl/evp.h>
#include <string.h>

#include "store/store_int.h"
#include "util/civil.h"

/* utf8_len -- the length of the valid UTF-8 character at p[0..n), or 0 if none starts there. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len;
    uint32_t min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    uint32_t cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

bool store_cdc_utf8_valid(cf_slice s)
{
    for (size_t i = 0; i < s.len;) {
        size_t n = utf8_len(s.ptr + i, s.len - i);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

/* put_str -- s as a JSON string (invariant (1)). */
static int put_str(cf_buf *out, cf_slice s)
{
    int rc = buf_append(out, "\"", 1);
    for (size_t i = 0; !rc && i < s.len;) {
        uint8_t c = s.ptr[i];
        size_t n = utf8_len(s.ptr + i, s.len - i);
        if (n == 0) {
            rc = buf_append(out, "\xEF\xBF\xBD", 3);
            i++;
        } else if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = buf_append(out, e, 2);
            i++;
        } else if (c < 0x20) {
            static const char short_esc[] = "btn\0fr"; /* \b \t \n, \f \r: 8-13 but 11 */
            char e = c >= 8 && c <= 13 ? short_esc[c - 8] : 0;
            rc = e ? buf_appendf(out, "\\%c", e) : buf_appendf(out, "\\u%04x", c);
            i++;
        } else {
            rc = buf_append(out, s.ptr + i, n);
            i += n;
        }
    }
    return rc ? rc : buf_append(out, "\"", 1);
}

/* put_field -- ,"name": then the value s as a string, or null if s.ptr is NULL. */
static int put_field(cf_buf *out, const char *name, cf_slice s)
{
    int rc = buf_appendf(out, ",\"%s\":", name);
    if (!rc)
        rc = s.ptr ? put_str(out, s) : buf_append(out, "null", 4);
    return rc;
}

static cf_slice opt_str(const char *s)
{
    return s && *s ? slice_str(s) : slice_make(NULL, 0);
}

void store_cdc_time(int64_t us, char out[48])
{
    int64_t s = us / 1000000, frac = us % 1000000;
    if (frac < 0)
        frac += 1000000, s--;
    int64_t days = s / 86400, sod = s % 86400;
    if (sod < 0)
        sod += 86400, days--;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, 48, "%04lld-%02d-%02dT%02d:%02d:%02d.%06lldZ", (long long)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (long long)frac);
}

/*
 * header_lines -- calls fn for each "name: value\n" line of headers (store.h
 * store_meta.headers) whose name starts with prefix, with the rest of the
 * name and the value.
 */
static int header_lines(const char *headers, const char *prefix,
                        int (*fn)(void *arg, cf_slice name, cf_slice value), void *arg)
{
    size_t plen = strlen(prefix);
    for (const char *p = headers; *p;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon && (size_t)(colon - p) >= plen && strncasecmp(p, prefix, plen) == 0) {
            const char *v = colon + 1;
            while (v < end && *v == ' ')
                v++;
            int rc = fn(arg, slice_make(p + plen, (size_t)(colon - p) - plen),
                        slice_make(v, (size_t)(end - v)));
            if (rc)
                return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

typedef struct obj_arg {
    cf_buf *out;
    bool first;
    bool checksums; /* names lower-cased, and x-amz-checksum-type (not a checksum) left out */
} obj_arg;

static int obj_member(void *arg, cf_slice name, cf_slice value)
{
    obj_arg *a = arg;
    char low[64];
    if (a->checksums && slice_eq(name, slice_str("type")))
        return 0;
    if (a->checksums && name.len < sizeof low) {
        for (size_t i = 0; i < name.len; i++)
            low[i] = (char)(name.ptr[i] >= 'A' && name.ptr[i] <= 'Z' ? name.ptr[i] + 32 : name.ptr[i]);
        name = slice_make(low, name.len);
    }
    int rc = buf_append(a->out, a->first ? "{" : ",", 1);
    a->first = false;
    if (!rc)
        rc = put_str(a->out, name);
    if (!rc)
        rc = buf_append(a->out, ":", 1);
    return rc ? rc : put_str(a->out, value);
}

/* put_object -- ,"name": an object of the header lines with prefix, or null if there are none. */
static int put_object(cf_buf *out, const char *name, const char *headers, const char *prefix,
                      bool checksums)
{
    obj_arg a = {out, true, checksums};
    int rc = buf_appendf(out, ",\"%s\":", name);
    if (!rc)
        rc = header_lines(headers, prefix, obj_member, &a);
    if (!rc)
        rc = buf_append(out, a.first ? "null" : "}", a.first ? 4 : 1);
    return rc;
}

/* tagging_value -- the value of the x-amz-tagging line (a query string), not of longer names. */
static int tagging_value(void *arg, cf_slice name, cf_slice value)
{
    if (name.len)
        return 0;
    *(cf_slice *)arg = value;
    return 1;
}

int store_cdc_record(cf_buf *out, const store_cdc_rec *r)
{
    static const char *const events[] = {"put", "update", "delete"};
    const store_meta *m = r->event == STORE_CDC_DELETE ? NULL : r->meta;
    char when[48];
    store_cdc_time(r->ts_us, when);
    bool key_ok = store_cdc_utf8_valid(r->key);
    int rc = buf_appendf(out, "{\"v\":%u,\"time\":\"%s\",\"seq\":%llu,\"event\":\"%s\"",
                         STORE_CDC_RECORD_VERSION, when, (unsigned long long)r->seq,
                         events[r->event]);
    if (!rc)
        rc = put_field(out, "op", opt_str(r->origin ? r->origin->op : NULL));
    if (!rc)
        rc = put_field(out, "bucket", r->bucket);
    if (!rc)
        rc = put_field(out, "key", r->key);
    if (!rc && key_ok)
        rc = buf_append(out, ",\"key_base64\":null", 18);
    if (!rc && !key_ok) {
        char b64[4 * ((STORE_MAX_KEY_BYTES + 2) / 3) + 1];
        int n = EVP_EncodeBlock((unsigned char *)b64, r->key.ptr, (int)r->key.len);
        rc = put_field(out, "key_base64", slice_make(b64, (size_t)n));
    }
    if (!rc)
        rc = buf_appendf(out, ",\"version_id\":null,\"deleted\":%s",
                         r->event == STORE_CDC_DELETE ? "true" : "false");
    if (!rc && m)
        rc = buf_appendf(out, ",\"size\":%llu", (unsigned long long)m->size);
    if (!rc && !m)
        rc = buf_append(out, ",\"size\":null", 12);
    char etag[84];
    if (m)
        snprintf(etag, sizeof etag, "\"%s\"", m->etag);
    if (!rc)
        rc = put_field(out, "etag", m ? slice_str(etag) : slice_make(NULL, 0));
    if (!rc)
        rc = m ? put_object(out, "checksum", m->headers, "x-amz-checksum-", true)
               : buf_append(out, ",\"checksum\":null", 16);
    if (!rc)
        rc = put_field(out, "content_type", m ? opt_str(m->content_type) : slice_make(NULL, 0));
    if (!rc)
        rc = m ? put_object(out, "meta", m->headers, "x-amz-meta-", false)
               : buf_append(out, ",\"meta\":null", 12);
    cf_slice tags = slice_make(NULL, 0);
    if (!rc && m)
        header_lines(m->headers, "x-amz-tagging", tagging_value, &tags);
    if (!rc)
        rc = put_field(out, "tags", tags);
    if (!rc)
        rc = put_field(out, "access_key", opt_str(r->origin ? r->origin->access_key : NULL));
    if (!rc)
        rc = put_field(out, "request_id", opt_str(r->origin ? r->origin->request_id : NULL));
    return rc ? rc : buf_append(out, "}\n", 2);
}
