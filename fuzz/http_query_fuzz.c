/*
 * http_query_fuzz.c -- libFuzzer target for http_query_next and
 * http_pct_decode.
 *
 * Checks: iteration consumes the whole query, hands out non-empty elements
 * inside it and never one containing '&'; a decode succeeds exactly when
 * every '%' starts a valid escape, never grows the input, and on failure
 * leaves the output empty; percent-encoding any bytes and decoding them
 * gives them back. Build and run: fuzz/run.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static void require(bool ok)
{
    if (!ok)
        abort();
}

static bool is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool escapes_valid(cf_slice s)
{
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] != '%')
            continue;
        if (i + 2 >= s.len || !is_hex(s.ptr[i + 1]) || !is_hex(s.ptr[i + 2]))
            return false;
        i += 2;
    }
    return true;
}

static void check_decode(cf_slice s, cf_buf *out)
{
    for (int plus = 0; plus <= 1; plus++) {
        int rc = http_pct_decode(s, out, plus);
        require(rc == 0 || rc == CF_EINVAL);
        require((rc == 0) == escapes_valid(s));
        require(rc == 0 ? out->len <= s.len : out->len == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_buf out = {0}, enc = {0};
    cf_slice q = slice_make(data, size), name, value;
    size_t seen = 0;
    while (http_query_next(&q, &name, &value)) {
        require(name.len + (value.ptr ? value.len + 1 : 0) > 0);
        require(name.len == 0 || (name.ptr >= data && name.ptr + name.len <= data + size));
        require(memchr(name.ptr, '&', name.len) == NULL && memchr(name.ptr, '=', name.len) == NULL);
        require(!value.ptr || (value.ptr >= data && value.ptr + value.len <= data + size &&
                               memchr(value.ptr, '&', value.len) == NULL));
        check_decode(name, &out);
        if (value.ptr)
            check_decode(value, &out);
        seen++;
    }
    require(q.len == 0 && seen <= size);
    check_decode(slice_make(data, size), &out);
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < size; i++) {
        char e[3] = {'%', hex[data[i] >> 4], hex[data[i] & 15]};
        buf_append(&enc, e, 3);
    }
    require(http_pct_decode(slice_make(enc.data, enc.len), &out, true) == 0);
    require(out.len == size && (size == 0 || memcmp(out.data, data, size) == 0));
    buf_free(&out);
    buf_free(&enc);
    return 0;
}
