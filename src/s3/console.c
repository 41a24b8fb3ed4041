/*
 * console.c -- serves the built-in web console (console/, compiled into the
 * binary by tools/embed.c) at /_console/ on the S3 port.
 *
 *   GET|HEAD /_console/          index.html
 *   GET|HEAD /_console/<name>    one file of the table (console_files.h)
 *   /_console                    301 to /_console/ (relative URLs need the slash)
 *   an unknown name              404 NoSuchKey; other methods: 405 MethodNotAllowed
 *
 * router.c calls this before authentication: the files are static and hold
 * no secrets (the console signs its S3 requests in the page, with keys the
 * user types). "_console" can never be a bucket (S3 names have no '_'), so
 * nothing stored is shadowed; only path-style addressing reaches it.
 *
 * Every file is answered with a strong ETag (If-None-Match: 304), "no-cache"
 * (the browser revalidates, so a new binary's files are seen at once), and a
 * Content-Security-Policy that allows only the console's own scripts and
 * styles (no inline script), media and images from itself and blob:, and no
 * framing of the console. doc/console.md explains the security model.
 */
#include <stdio.h>
#include <string.h>

#include "s3/console_files.h"
#include "s3/range.h"
#include "s3/s3_int.h"

#define CONSOLE_CSP                                                                          \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "       \
    "media-src 'self' blob:; connect-src 'self'; frame-src 'self'; object-src 'none'; "     \
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const s3_console_file *s3_console_find(cf_slice name)
{
    size_t lo = 0, hi = s3_console_file_count;
    while (lo < hi) { /* invariant (1) of console_files.h: sorted by name */
        size_t mid = lo + (hi - lo) / 2;
        int c = slice_cmp(name, slice_str(s3_console_files[mid].name));
        if (c == 0)
            return &s3_console_files[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

bool s3_console_wanted(const s3_req *r)
{
    return !r->vhost && slice_eq(s3_bucket(r), slice_str("_console"));
}

/* GET|HEAD /_console/<name> -- the console's files, unauthenticated */
void s3_h_console(s3_req *r)
{
    r->cors_done = true; /* same-origin only: no bucket's CORS rules apply */
    bool get = slice_eq(r->hr->method, slice_str("GET")) || r->head;
    if (!get) { /* as S3's own MethodNotAllowed: the error XML, no Allow header */
        s3_error(r, S3_ERR_METHOD_NOT_ALLOWED, NULL);
        return;
    }
    if (slice_eq(r->hr->path, slice_str("/_console"))) {
        http_header loc = {slice_str("Location"), slice_str("/_console/")};
        s3_respond_empty(r, 301, &loc, 1);
        return;
    }
    cf_slice name = s3_key(r);
    const s3_console_file *f = s3_console_find(name.len ? name : slice_str("index.html"));
    if (!f) {
        s3_error(r, S3_ERR_NO_SUCH_KEY, "The console has no such file.");
        return;
    }
    char etag[40];
    snprintf(etag, sizeof etag, "\"%s\"", f->etag);
    http_header h[] = {
        {slice_str("Content-Type"), slice_str(f->content_type)},
        {slice_str("ETag"), slice_str(etag)},
        {slice_str("Cache-Control"), slice_str("no-cache")},
        {slice_str("Content-Security-Policy"), slice_str(CONSOLE_CSP)},
        {slice_str("X-Content-Type-Options"), slice_str("nosniff")},
        {slice_str("Referrer-Policy"), slice_str("no-referrer")},
    };
    size_t n = sizeof h / sizeof h[0];
    cf_slice inm = s3_header(r, "if-none-match");
    if (inm.ptr && s3_etag_matches(inm, f->etag)) {
        s3_respond_head(r, 304, h + 1, n - 1, 0);
        return;
    }
    if (s3_respond_head(r, 200, h, n, f->len) == 0 && !r->head)
        http_exchange_write(r->ex, f->data, f->len);
}
