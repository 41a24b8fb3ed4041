/*
 * unsupported.c -- never a silent yes: request headers and parameters that
 * ask S3 for a promise coffer does not (yet) keep are refused before any
 * handler runs, so nothing is stored and the client is not misled.
 *
 * Accepting an encryption, lock or version header and ignoring it is the
 * worst kind of bug: the user believes their data is protected. Each row
 * below goes when its feature lands (issue 17 for most). The subresource
 * APIs coffer lacks are refused by the routing table (router.c).
 *
 * Invariant: s3_refuse_unsupported runs after authentication and routing,
 * before authorization and the handler; it reads only headers and the query.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "s3/s3_int.h"

/* Headers refused whenever present (prefix match, case-insensitive), and why. */
static const struct {
    const char *prefix;
    const char *why;
} refused[] = {
    {"x-amz-server-side-encryption", "coffer does not encrypt objects yet"},
    {"x-amz-copy-source-server-side-encryption", "coffer does not encrypt objects yet"},
    {"x-amz-object-lock-", "coffer has no object lock yet"},
    {"x-amz-website-redirect-location", "coffer does not serve websites"},
    {"x-amz-mfa", "coffer has no MFA delete"},
    {"x-amz-write-offset-bytes", "coffer does not append to objects"},
};

/* Storage classes S3 knows; only STANDARD is what coffer keeps. */
static const char *const classes[] = {
    "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",     "INTELLIGENT_TIERING", "GLACIER",
    "DEEP_ARCHIVE",       "OUTPOSTS",    "GLACIER_IR",     "SNOW",                "EXPRESS_ONEZONE",
};

static bool eq_ci(cf_slice s, const char *word)
{
    return s.len == strlen(word) && strncasecmp((const char *)s.ptr, word, s.len) == 0;
}

/* version_named -- does v (a versionId value) name a version other than the null one? */
static bool version_named(cf_slice v)
{
    return v.ptr && !slice_eq(v, slice_str("null"));
}

int s3_refuse_unsupported(s3_req *r)
{
    char msg[160];
    /* x-amz-* query parameters are headers only in a presigned URL (request.c s3_header);
     * the ones a handler reads by iterating headers (metadata, grants) are not taken there */
    for (size_t i = 0; i < r->n_params; i++) {
        if (!s3_param_is_header(r, i))
            continue;
        cf_slice n = slice_make(r->pbuf.data + r->params[i].name_off, r->params[i].name_len);
        if (r->auth.presigned && !s3_starts_with_ci(n, "x-amz-meta-") &&
            !s3_starts_with_ci(n, "x-amz-grant-"))
            continue;
        snprintf(msg, sizeof msg, "The query parameter %.*s is not applied here: send it as a "
                 "header.", (int)n.len, (const char *)n.ptr);
        s3_error(r, S3_ERR_NOT_IMPLEMENTED, msg);
        return -1;
    }
    const http_request *hr = r->hr;
    for (size_t i = 0; i < hr->n_headers + r->n_params; i++) {
        cf_slice name;
        if (i < hr->n_headers) {
            name = hr->headers[i].name;
        } else if (s3_param_is_header(r, i - hr->n_headers)) { /* presigned: a header too */
            const s3_param *p = &r->params[i - hr->n_headers];
            name = slice_make(r->pbuf.data + p->name_off, p->name_len);
        } else {
            continue;
        }
        for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
            if (!s3_starts_with_ci(name, refused[k].prefix))
                continue;
            snprintf(msg, sizeof msg, "%.*s is not implemented: %s.", (int)name.len,
                     (const char *)name.ptr, refused[k].why);
            s3_error(r, S3_ERR_NOT_IMPLEMENTED, msg);
            return -1;
        }
    }
    cf_slice lock = s3_header(r, "x-amz-bucket-object-lock-enabled");
    if (lock.ptr && !eq_ci(lock, "false")) {
        s3_error(r, S3_ERR_NOT_IMPLEMENTED, "Object lock is not implemented yet.");
        return -1;
    }
    cf_slice sc = s3_header(r, "x-amz-storage-class");
    if (sc.ptr && !slice_eq(sc, slice_str("STANDARD"))) {
        for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++)
            if (slice_eq(sc, slice_str(classes[k]))) {
                s3_error(r, S3_ERR_NOT_IMPLEMENTED, "coffer keeps every object as STANDARD.");
                return -1;
            }
        s3_error(r, S3_ERR_INVALID_STORAGE_CLASS, NULL);
        return -1;
    }
    /* without versioning every object is the null version: that one is served */
    cf_slice src = s3_header(r, "x-amz-copy-source");
    const uint8_t *q = src.ptr ? memchr(src.ptr, '?', src.len) : NULL;
    bool src_version = false;
    if (q) {
        cf_slice rest = slice_make(q + 1, src.len - (size_t)(q + 1 - src.ptr));
        src_version = rest.len > 10 && memcmp(rest.ptr, "versionId=", 10) == 0 &&
                      version_named(slice_make(rest.ptr + 10, rest.len - 10));
    }
    if (version_named(s3_param_get(r, "versionId")) || src_version) {
        s3_error(r, S3_ERR_NOT_IMPLEMENTED,
                 "Versioning is not implemented yet: only the null version exists.");
        return -1;
    }
    return 0;
}
