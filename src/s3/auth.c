/*
 * auth.c -- who is asking: SigV4 or SigV2 verification against the store's
 * users.
 *
 * A request signed the SigV2 way ("Authorization: AWS AK:sig", or
 * AWSAccessKeyId in the query) goes to s3_sigv2_verify, every other one to
 * s3_sigv4_verify; both fill r->auth alike. A request with no signature at
 * all is the anonymous principal "*": authz.c allows it only what a bucket
 * policy or an ACL grants to anyone. The secret lookup reads the
 * users table through the store, so `coffer user add` takes effect at once.
 *
 * Refusals carry S3's extra error elements where clients read them:
 * <Region> with a wrong-region credential (s3cmd re-signs for it), and
 * <Expires> and <ServerTime> with an expired presigned URL.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "s3/s3_int.h"
#include "s3/sigv2.h"

int s3_user_load(s3_req *r, cf_slice access_key)
{
    int rc = store_user_get(r->ctx->st, access_key, &r->user);
    if (rc == 0 && r->user.disabled) {
        memset(&r->user, 0, sizeof r->user);
        rc = CF_ENOTFOUND;
    }
    return rc;
}

static int lookup_secret(void *arg, cf_slice access_key, cf_slice *secret)
{
    s3_req *r = arg;
    *secret = slice_make(NULL, 0);
    int rc = s3_user_load(r, access_key);
    if (rc)
        return rc;
    *secret = slice_str(r->user.secret_key);
    return 0;
}

/* iso_seconds -- "2007-03-28T19:12:00Z" (S3's form in <Expires> and <ServerTime>), out[32]. */
static void iso_seconds(int64_t unix_s, char *out)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        out[0] = '\0';
}

/* refuse -- answers a failed authentication, with the extra elements its code calls for. */
static void refuse(s3_req *r, int rc, int64_t now_s)
{
    s3_err_field f[2];
    size_t n = 0;
    char expires[32], server[32];
    if (rc == S3_AUTH_WRONG_REGION || rc == S3_AUTH_WRONG_REGION_QUERY) {
        f[n++] = (s3_err_field){"Region", slice_str(r->ctx->region)};
    } else if (rc == S3_AUTH_EXPIRED && r->auth.expires_at_s) {
        iso_seconds(r->auth.expires_at_s, expires);
        iso_seconds(now_s, server);
        f[n++] = (s3_err_field){"Expires", slice_str(expires)};
        f[n++] = (s3_err_field){"ServerTime", slice_str(server)};
    }
    s3_error_with(r, r->auth.code, r->auth.message, f, n);
}

/*
 * anonymous -- r is the anonymous principal. Its body is unsigned: an
 * x-amz-content-sha256 hash, if sent, is still checked by the body reader,
 * an unsigned-trailer stream is decoded, and a signed stream (which needs
 * a signature to chain from) is refused.
 */
static int anonymous(s3_req *r)
{
    r->anonymous = true;
    r->access_key[0] = '\0';
    r->auth.payload = S3_PAYLOAD_UNSIGNED;
    cf_slice declared = s3_header(r, "x-amz-content-sha256");
    if (!declared.ptr)
        return 0;
    int rc = s3_sigv4_payload_mode(declared, &r->auth);
    if (rc == S3_AUTH_OK && (r->auth.payload == S3_PAYLOAD_STREAMING ||
                             r->auth.payload == S3_PAYLOAD_STREAMING_TRAILER)) {
        s3_error(r, S3_ERR_ACCESS_DENIED, "A signed stream needs a signed request.");
        return -1;
    }
    if (rc != S3_AUTH_OK) {
        s3_error(r, s3_sigv4_err_code(rc, NULL), NULL);
        return -1;
    }
    return 0;
}

int s3_authenticate(s3_req *r)
{
    s3_sigv4_config cfg = {slice_str(r->ctx->region), lookup_secret, r};
    int64_t now_s = (int64_t)time(NULL);
    int rc;
    if (s3_sigv2_detect(r->hr))
        rc = s3_sigv2_verify(r->hr, &cfg, r->vhost ? s3_bucket(r) : slice_make(NULL, 0), now_s,
                             &r->sig_scratch, &r->auth);
    else
        rc = s3_sigv4_verify(r->hr, &cfg, now_s, &r->sig_scratch, &r->auth);
    if (rc == S3_AUTH_MISSING) /* no signature: the anonymous principal, for authz.c */
        return anonymous(r);
    if (rc != S3_AUTH_OK) {
        refuse(r, rc, now_s);
        return -1;
    }
    snprintf(r->access_key, sizeof r->access_key, "%s", r->auth.access_key);
    r->admin = r->user.admin;
    return 0;
}
