/*
 * router.c -- s3_handle: one request from the http layer to one handler.
 *
 * The routing table below is the whole S3 surface coffer serves: a request
 * is matched by method, by what it addresses (the service, a bucket, an
 * object) and by the one subresource query parameter that selects the API.
 * A request naming a subresource no row serves gets 501 NotImplemented, never
 * a wrong success (for example PUT ?policy must not store an object).
 *
 * Every request is authenticated (auth.c: a signature, or none: the
 * anonymous principal) before anything else looks at it; only one whose
 * URI cannot even be decoded is refused first, the web console's static
 * files (GET/HEAD /_console/..., console.c: they hold no secret) are
 * served unsigned, a CORS preflight (OPTIONS to
 * a bucket or object) is answered from the bucket's CORS rules alone
 * (cors.c: browsers send it without credentials), and a browser upload (POST
 * to a bucket with a multipart/form-data body) goes to post_object.c,
 * which authenticates it by the signature in its form. Then what a request
 * asks that coffer does not honour is refused (unsupported.c), and the
 * route's action is authorized (authz.c) before its handler runs: no
 * handler decides access by itself. Every request, refused or served, ends
 * with one access log line (access_log.c) and is counted in the metrics
 * (metrics.c) under its route's operation, found before authentication so
 * that a refused GetObject counts as one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "s3/cdc_sink.h"
#include "s3/s3_int.h"
#include "util/clock.h"

int s3_req_parse_query(s3_req *r);
int s3_req_address(s3_req *r);

enum { AT_SERVICE = 0, AT_BUCKET = 1, AT_OBJECT = 2 };

typedef struct s3_route {
    const char *method;
    int at;
    const char *param; /* the subresource that selects this API, NULL: none */
    void (*fn)(s3_req *r);
    s3_op op;          /* the S3 API it serves, as the metrics count it */
    s3_action action;  /* what s3_authorize decides before fn runs */
} s3_route;

static const s3_route routes[] = {
    {"GET", AT_SERVICE, NULL, s3_h_list_buckets, S3_OP_LIST_BUCKETS, S3_ACT_LIST_ALL_MY_BUCKETS},
    {"PUT", AT_BUCKET, NULL, s3_h_create_bucket, S3_OP_CREATE_BUCKET, S3_ACT_CREATE_BUCKET},
    {"DELETE", AT_BUCKET, NULL, s3_h_delete_bucket, S3_OP_DELETE_BUCKET, S3_ACT_DELETE_BUCKET},
    {"HEAD", AT_BUCKET, NULL, s3_h_head_bucket, S3_OP_HEAD_BUCKET, S3_ACT_LIST_BUCKET},
    {"GET", AT_BUCKET, "location", s3_h_bucket_location, S3_OP_GET_BUCKET_LOCATION,
     S3_ACT_GET_BUCKET_LOCATION},
    {"GET", AT_BUCKET, "versioning", s3_h_bucket_versioning, S3_OP_GET_BUCKET_VERSIONING,
     S3_ACT_GET_BUCKET_VERSIONING},
    {"GET", AT_BUCKET, "acl", s3_h_get_bucket_acl, S3_OP_GET_BUCKET_ACL, S3_ACT_GET_BUCKET_ACL},
    {"PUT", AT_BUCKET, "acl", s3_h_put_bucket_acl, S3_OP_PUT_BUCKET_ACL, S3_ACT_PUT_BUCKET_ACL},
    {"GET", AT_BUCKET, "policy", s3_h_get_bucket_policy, S3_OP_GET_BUCKET_POLICY,
     S3_ACT_GET_BUCKET_POLICY},
    {"PUT", AT_BUCKET, "policy", s3_h_put_bucket_policy, S3_OP_PUT_BUCKET_POLICY,
     S3_ACT_PUT_BUCKET_POLICY},
    {"DELETE", AT_BUCKET, "policy", s3_h_delete_bucket_policy, S3_OP_DELETE_BUCKET_POLICY,
     S3_ACT_DELETE_BUCKET_POLICY},
    {"GET", AT_BUCKET, "cors", s3_h_get_cors, S3_OP_GET_BUCKET_CORS, S3_ACT_GET_BUCKET_CORS},
    {"PUT", AT_BUCKET, "cors", s3_h_put_cors, S3_OP_PUT_BUCKET_CORS, S3_ACT_PUT_BUCKET_CORS},
    {"DELETE", AT_BUCKET, "cors", s3_h_delete_cors, S3_OP_DELETE_BUCKET_CORS,
     S3_ACT_PUT_BUCKET_CORS}, /* as S3 */
    {"GET", AT_BUCKET, "policyStatus", s3_h_bucket_policy_status, S3_OP_GET_BUCKET_POLICY_STATUS,
     S3_ACT_GET_BUCKET_POLICY_STATUS},
    {"GET", AT_BUCKET, "ownershipControls", s3_h_get_ownership, S3_OP_GET_BUCKET_OWNERSHIP_CONTROLS,
     S3_ACT_GET_BUCKET_OWNERSHIP_CONTROLS},
    {"PUT", AT_BUCKET, "ownershipControls", s3_h_put_ownership, S3_OP_PUT_BUCKET_OWNERSHIP_CONTROLS,
     S3_ACT_PUT_BUCKET_OWNERSHIP_CONTROLS},
    {"DELETE", AT_BUCKET, "ownershipControls", s3_h_delete_ownership,
     S3_OP_DELETE_BUCKET_OWNERSHIP_CONTROLS, S3_ACT_PUT_BUCKET_OWNERSHIP_CONTROLS},
    {"GET", AT_BUCKET, "publicAccessBlock", s3_h_get_public_block, S3_OP_GET_PUBLIC_ACCESS_BLOCK,
     S3_ACT_GET_BUCKET_PUBLIC_ACCESS_BLOCK},
    {"PUT", AT_BUCKET, "publicAccessBlock", s3_h_put_public_block, S3_OP_PUT_PUBLIC_ACCESS_BLOCK,
     S3_ACT_PUT_BUCKET_PUBLIC_ACCESS_BLOCK},
    {"DELETE", AT_BUCKET, "publicAccessBlock", s3_h_delete_public_block,
     S3_OP_DELETE_PUBLIC_ACCESS_BLOCK, S3_ACT_PUT_BUCKET_PUBLIC_ACCESS_BLOCK},
    {"GET", AT_BUCKET, "cdc", s3_h_get_cdc, S3_OP_GET_BUCKET_CDC, S3_ACT_NONE}, /* owner, admin */
    {"PUT", AT_BUCKET, "cdc", s3_h_put_cdc, S3_OP_PUT_BUCKET_CDC, S3_ACT_NONE},
    {"GET", AT_BUCKET, "versions", s3_h_list_versions, S3_OP_LIST_OBJECT_VERSIONS,
     S3_ACT_LIST_BUCKET_VERSIONS},
    {"GET", AT_BUCKET, "list-type", s3_h_list_objects_v2, S3_OP_LIST_OBJECTS_V2,
     S3_ACT_LIST_BUCKET},
    {"GET", AT_BUCKET, NULL, s3_h_list_objects, S3_OP_LIST_OBJECTS, S3_ACT_LIST_BUCKET},
    {"POST", AT_BUCKET, "delete", s3_h_delete_objects, S3_OP_DELETE_OBJECTS,
     S3_ACT_NONE}, /* per key, inside */
    {"GET", AT_BUCKET, "uploads", s3_h_list_uploads, S3_OP_LIST_MULTIPART_UPLOADS,
     S3_ACT_LIST_BUCKET_MULTIPART_UPLOADS},
    {"GET", AT_OBJECT, "tagging", s3_h_get_tagging, S3_OP_GET_OBJECT_TAGGING,
     S3_ACT_GET_OBJECT_TAGGING},
    {"PUT", AT_OBJECT, "tagging", s3_h_put_tagging, S3_OP_PUT_OBJECT_TAGGING,
     S3_ACT_PUT_OBJECT_TAGGING},
    {"DELETE", AT_OBJECT, "tagging", s3_h_delete_tagging, S3_OP_DELETE_OBJECT_TAGGING,
     S3_ACT_DELETE_OBJECT_TAGGING},
    {"GET", AT_OBJECT, "acl", s3_h_get_object_acl, S3_OP_GET_OBJECT_ACL, S3_ACT_GET_OBJECT_ACL},
    {"PUT", AT_OBJECT, "acl", s3_h_put_object_acl, S3_OP_PUT_OBJECT_ACL, S3_ACT_PUT_OBJECT_ACL},
    {"POST", AT_OBJECT, "uploads", s3_h_create_upload, S3_OP_CREATE_MULTIPART_UPLOAD,
     S3_ACT_PUT_OBJECT},
    {"PUT", AT_OBJECT, "uploadId", s3_h_upload_part, S3_OP_UPLOAD_PART, S3_ACT_PUT_OBJECT},
    {"POST", AT_OBJECT, "uploadId", s3_h_complete_upload, S3_OP_COMPLETE_MULTIPART_UPLOAD,
     S3_ACT_PUT_OBJECT},
    {"DELETE", AT_OBJECT, "uploadId", s3_h_abort_upload, S3_OP_ABORT_MULTIPART_UPLOAD,
     S3_ACT_ABORT_MULTIPART_UPLOAD},
    {"GET", AT_OBJECT, "uploadId", s3_h_list_parts, S3_OP_LIST_PARTS,
     S3_ACT_LIST_MULTIPART_UPLOAD_PARTS},
    {"PUT", AT_OBJECT, NULL, s3_h_put_object, S3_OP_PUT_OBJECT, S3_ACT_PUT_OBJECT},
    {"GET", AT_OBJECT, NULL, s3_h_get_object, S3_OP_GET_OBJECT, S3_ACT_GET_OBJECT},
    {"HEAD", AT_OBJECT, NULL, s3_h_get_object, S3_OP_HEAD_OBJECT, S3_ACT_GET_OBJECT},
    {"DELETE", AT_OBJECT, NULL, s3_h_delete_object, S3_OP_DELETE_OBJECT, S3_ACT_DELETE_OBJECT},
};

/* Query parameters that select an API (S3's subresources). */
static const char *const subresources[] = {
    "accelerate", "acl", "analytics", "attributes", "cdc", "cors", "delete", "encryption",
    "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "list-type", "location",
    "logging", "metrics", "notification", "object-lock", "ownershipControls", "policy",
    "policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore",
    "retention", "select", "tagging", "torrent", "uploadId", "uploads", "versioning",
    "versions", "website", "session", "renameObject"};

static bool is_subresource(cf_slice name)
{
    for (size_t i = 0; i < sizeof subresources / sizeof subresources[0]; i++)
        if (slice_eq(name, slice_str(subresources[i])))
            return true;
    return false;
}

cf_slice s3_req_subresource(const s3_req *r)
{
    for (size_t i = 0; i < r->n_params; i++) {
        cf_slice name = slice_make(r->pbuf.data + r->params[i].name_off, r->params[i].name_len);
        if (is_subresource(name))
            return name;
    }
    return slice_make(NULL, 0);
}

/* route_find -- the row serving r, or NULL (NotImplemented / MethodNotAllowed). */
static const s3_route *route_find(const s3_req *r)
{
    int at = s3_bucket(r).len == 0 ? AT_SERVICE : s3_key(r).len == 0 ? AT_BUCKET : AT_OBJECT;
    cf_slice sub = s3_req_subresource(r);
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const s3_route *rt = &routes[i];
        if (rt->at != at || !slice_eq(r->hr->method, slice_str(rt->method)))
            continue;
        if (rt->param ? slice_eq(sub, slice_str(rt->param)) : sub.ptr == NULL)
            return rt;
    }
    return NULL;
}

int s3_new(store *st, const s3_config *cfg, s3_ctx **out)
{
    *out = NULL;
    s3_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return CF_ENOMEM;
    c->st = st;
    c->aws_defaults = cfg && cfg->aws_defaults;
    if (s3_policy_cache_new(&c->policies) != 0) {
        free(c);
        return CF_ENOMEM;
    }
    snprintf(c->region, sizeof c->region, "%s", cfg && cfg->region ? cfg->region : "us-east-1");
    snprintf(c->domain, sizeof c->domain, "%s", cfg && cfg->domain ? cfg->domain : "");
    c->max_skew_s = cfg && cfg->max_skew_s > 0 ? cfg->max_skew_s : 900;
    c->min_part_bytes = cfg && cfg->min_part_bytes > 0 ? cfg->min_part_bytes : 5ull << 20;
    c->start_us = clock_now_us();
    c->metrics_public = cfg && cfg->metrics_public;
    c->server_stats = cfg ? cfg->server_stats : NULL;
    c->server_stats_arg = cfg ? cfg->server_stats_arg : NULL;
    c->metrics = s3_metrics_new();
    int rc = c->metrics ? s3_access_log_open(c, cfg ? cfg->access_log : NULL) : CF_ENOMEM;
    if (!rc && cfg && cfg->cdc_sink)
        rc = s3_cdc_sinks_start(c, &c->sinks);
    if (rc) {
        s3_access_log_close(c);
        s3_metrics_free(c->metrics);
        s3_policy_cache_free(c->policies);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void s3_free(s3_ctx *c)
{
    if (c) {
        s3_cdc_sinks_stop(c->sinks); /* first: it logs and reads the store through c */
        s3_policy_cache_free(c->policies);
        s3_access_log_close(c);
        s3_metrics_free(c->metrics);
    }
    free(c);
}

/*
 * request_id -- 16 hex digits naming a request in its answer and the logs.
 * Unique, not secret: a per-thread stream (splitmix64 over a counter from a
 * random start) instead of a getrandom(2) call per request, which the 4 KiB
 * GET profile showed as a syscall and a CRNG refill per request.
 */
static void request_id(char out[17])
{
    static _Thread_local uint64_t state;
    static _Thread_local bool seeded;
    if (!seeded) {
        if (getrandom(&state, sizeof state, 0) != (ssize_t)sizeof state)
            state = (uint64_t)(uintptr_t)&state ^ (uint64_t)clock_mono_us();
        seeded = true;
    }
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    snprintf(out, 17, "%016llX", (unsigned long long)z);
}

void s3_handle(void *arg, http_exchange *ex)
{
    s3_req r;
    memset(&r, 0, sizeof r);
    r.ctx = arg;
    r.ex = ex;
    r.hr = http_exchange_request(ex);
    r.head = slice_eq(r.hr->method, slice_str("HEAD"));
    r.object_size = -1;
    s3_access_log_begin(&r);
    request_id(r.request_id);

    if (s3_req_address(&r) != 0 || s3_req_parse_query(&r) != 0) {
        s3_error(&r, S3_ERR_INVALID_ARGUMENT, "The request URI could not be decoded.");
        goto out;
    }
    if (s3_console_wanted(&r)) { /* static files, unsigned: console.c */
        r.op = S3_OP_CONSOLE;
        s3_h_console(&r);
        goto answered;
    }
    if (s3_preflight_wanted(&r)) { /* CORS preflight: from the bucket's rules, unsigned */
        r.op = S3_OP_PREFLIGHT;
        s3_h_preflight(&r);
        goto answered;
    }
    if (s3_post_object_wanted(&r)) { /* signed by its form, not its head: post_object.c */
        r.op = S3_OP_POST_OBJECT;
        s3_h_post_object(&r);
        goto answered;
    }
    bool admin = s3_admin_path(&r);
    const s3_route *rt = admin ? NULL : route_find(&r);
    r.op = admin ? S3_OP_ADMIN : rt ? rt->op : S3_OP_OTHER;
    if (s3_authenticate(&r) != 0)
        goto out;
    cf_slice key = s3_key(&r);
    if (key.len && memchr(key.ptr, 0, key.len)) {
        /* no listing could return such a key: XML 1.0 cannot carry a NUL */
        s3_error(&r, S3_ERR_INVALID_URI, "Object keys cannot contain a NUL byte.");
        goto out;
    }
    if (admin) { /* "_coffer" is never a bucket: admin.c */
        s3_h_admin(&r);
        goto out;
    }
    if (s3_cdc_view(&r)) { /* the change log's read-only view: cdc.c */
        s3_h_cdc_view(&r);
        goto out;
    }
    if (!rt) { /* nothing is granted to anyone on what coffer does not serve */
        s3_error(&r, r.anonymous ? S3_ERR_ACCESS_DENIED : S3_ERR_NOT_IMPLEMENTED, NULL);
        goto out;
    }
    if (s3_refuse_unsupported(&r) != 0)
        goto out;
    if (rt->action != S3_ACT_NONE && s3_authorize(&r, rt->action) != 0)
        goto out;
    rt->fn(&r);
answered:
    if (!r.responded)
        s3_error(&r, S3_ERR_INTERNAL_ERROR, NULL);
out:
    r.total_us = clock_mono_us() - r.start_mono_us;
    s3_access_log_request(&r); /* every request, refused ones too: access_log.c */
    s3_metrics_request(&r);
    buf_free(&r.bucket);
    buf_free(&r.key);
    buf_free(&r.pbuf);
    buf_free(&r.out);
    buf_free(&r.cors);
    free(r.obj);
    s3_sigv4_result_free(&r.auth);
    s3_sigv4_scratch_free(&r.sig_scratch);
}
