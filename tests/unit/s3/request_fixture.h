/*
 * request_fixture.h -- an http_request built from static strings, as the
 * http parser would have made it, for the signature tests (sigv4_test.c,
 * sigv2_test.c) that feed the verifiers requests written out in the test.
 */
#ifndef S3_REQUEST_TEST_FIXTURE_H
#define S3_REQUEST_TEST_FIXTURE_H

#include <string.h>

#include "http/http.h"

/* build -- r from method, target (split at its first '?' into path and query) and
 * "Name: value" headers (NULL-terminated list; blanks after the colon skipped). */
static inline void build(http_request *r, const char *method, const char *target,
                         const char *const *hdrs)
{
    memset(r, 0, sizeof *r);
    r->method = slice_str(method);
    r->target = slice_str(target);
    const char *q = strchr(target, '?');
    r->path = slice_make(target, q ? (size_t)(q - target) : strlen(target));
    r->query = q ? slice_str(q + 1) : slice_make(NULL, 0);
    r->minor_version = 1;
    for (size_t i = 0; hdrs[i]; i++) {
        const char *colon = strchr(hdrs[i], ':');
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        r->headers[i].name = slice_make(hdrs[i], (size_t)(colon - hdrs[i]));
        r->headers[i].value = slice_str(v);
        r->n_headers++;
    }
}

#endif
