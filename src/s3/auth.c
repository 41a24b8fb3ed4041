/*
 * auth.c -- who is asking: SigV4 verification against the store's users.
 *
 * A request with no signature at all is the anonymous principal "*":
 * authz.c allows it only what a bucket policy or an ACL grants to anyone. The secret lookup reads the
 * users table through the store, so `coffer user add` takes effect at once.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "s3/s3_int.h"

static int lookup_secret(void *arg, cf_slice access_key, cf_slice *secret)
{
    s3_req *r = arg;
    *secret = slice_make(NULL, 0);
    int rc = store_user_get(r->ctx->st, access_key, &r->user);
    if (rc)
        return rc;
    *secret = slice_str(r->user.secret_key);
    return 0;
}

int s3_authenticate(s3_req *r)
{
    s3_sigv4_config cfg = {slice_str(r->ctx->region), lookup_secret, r};
    int rc = s3_sigv4_verify(r->hr, &cfg, (int64_t)time(NULL), &r->sig_scratch, &r->auth);
    if (rc == S3_AUTH_MISSING) { /* no signature: the anonymous principal, for authz.c */
        r->anonymous = true;
        r->access_key[0] = '\0';
        return 0;
    }
    if (rc != S3_AUTH_OK) {
        s3_error(r, r->auth.code, r->auth.message);
        return -1;
    }
    snprintf(r->access_key, sizeof r->access_key, "%s", r->auth.access_key);
    r->admin = r->user.admin;
    return 0;
}
