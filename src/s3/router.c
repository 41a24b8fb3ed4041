/*
 * router.c -- s3_handle: one request from the http layer to one handler.
 *
 * The routing table below is the whole S3 surface coffer serves: a request
 * is matched by method, by what it addresses (the service, a bucket, an
 * object) and by the one subresource query parameter that selects the API.
 * A request naming a subresource no row serves gets 501 NotImplemented, never
 * a wrong success (for example PUT ?policy must not store an object).
 *
 * Every request is authenticated (auth.c) before anything else looks at
 * it; only one whose URI cannot even be decoded is refused first, and a
 * browser upload (POST to a bucket with a multipart/form-data body) goes
 * to post_object.c, which authenticates it by the signature in its form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "s3/s3_int.h"

int s3_req_parse_query(s3_req *r);
int s3_req_address(s3_req *r);

enum { AT_SERVICE = 0, AT_BUCKET = 1, AT_OBJECT = 2 };

typedef struct s3_route {
    const char *method;
    int at;
    const char *param; /* the subresource that selects this API, NULL: none */
    void (*fn)(s3_req *r);
} s3_route;

static const s3_route routes[] = {
    {"GET", AT_SERVICE, NULL, s3_h_list_buckets},
    {"PUT", AT_BUCKET, NULL, s3_h_create_bucket},
    {"DELETE", AT_BUCKET, NULL, s3_h_delete_bucket},
    {"HEAD", AT_BUCKET, NULL, s3_h_head_bucket},
    {"GET", AT_BUCKET, "location", s3_h_bucket_location},
    {"GET", AT_BUCKET, "versioning", s3_h_bucket_versioning},
    {"GET", AT_BUCKET, "acl", s3_h_bucket_acl},
    {"GET", AT_BUCKET, "versions", s3_h_list_versions},
    {"GET", AT_BUCKET, "list-type", s3_h_list_objects_v2},
    {"GET", AT_BUCKET, NULL, s3_h_list_objects},
    {"POST", AT_BUCKET, "delete", s3_h_delete_objects},
    {"GET", AT_BUCKET, "uploads", s3_h_list_uploads},
    {"GET", AT_OBJECT, "tagging", s3_h_get_tagging},
    {"PUT", AT_OBJECT, "tagging", s3_h_put_tagging},
    {"DELETE", AT_OBJECT, "tagging", s3_h_delete_tagging},
    {"GET", AT_OBJECT, "acl", s3_h_object_acl},
    {"POST", AT_OBJECT, "uploads", s3_h_create_upload},
    {"PUT", AT_OBJECT, "uploadId", s3_h_upload_part},
    {"POST", AT_OBJECT, "uploadId", s3_h_complete_upload},
    {"DELETE", AT_OBJECT, "uploadId", s3_h_abort_upload},
    {"GET", AT_OBJECT, "uploadId", s3_h_list_parts},
    {"PUT", AT_OBJECT, NULL, s3_h_put_object},
    {"GET", AT_OBJECT, NULL, s3_h_get_object},
    {"HEAD", AT_OBJECT, NULL, s3_h_get_object},
    {"DELETE", AT_OBJECT, NULL, s3_h_delete_object},
};

/* Query parameters that select an API (S3's subresources). */
static const char *const subresources[] = {
    "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption",
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

/* route_find -- the row serving r, or NULL (NotImplemented / MethodNotAllowed). */
static const s3_route *route_find(const s3_req *r)
{
    int at = s3_bucket(r).len == 0 ? AT_SERVICE : s3_key(r).len == 0 ? AT_BUCKET : AT_OBJECT;
    /* the subresource the request names, if any */
    cf_slice sub = {NULL, 0};
    for (size_t i = 0; i < r->n_params; i++) {
        cf_slice name = slice_make(r->pbuf.data + r->params[i].name_off, r->params[i].name_len);
        if (is_subresource(name)) {
            sub = name;
            break;
        }
    }
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
    snprintf(c->region, sizeof c->region, "%s", cfg && cfg->region ? cfg->region : "us-east-1");
    snprintf(c->domain, sizeof c->domain, "%s", cfg && cfg->domain ? cfg->domain : "");
    c->max_skew_s = cfg && cfg->max_skew_s > 0 ? cfg->max_skew_s : 900;
    c->min_part_bytes = cfg && cfg->min_part_bytes > 0 ? cfg->min_part_bytes : 5ull << 20;
    *out = c;
    return 0;
}

void s3_free(s3_ctx *c)
{
    free(c);
}

void s3_h_not_implemented(s3_req *r)
{
    s3_error(r, S3_ERR_NOT_IMPLEMENTED, NULL);
}

void s3_handle(void *arg, http_exchange *ex)
{
    s3_req r;
    memset(&r, 0, sizeof r);
    r.ctx = arg;
    r.ex = ex;
    r.hr = http_exchange_request(ex);
    r.head = slice_eq(r.hr->method, slice_str("HEAD"));
    uint8_t id[8];
    if (getrandom(id, sizeof id, 0) != (ssize_t)sizeof id)
        memset(id, 0, sizeof id);
    for (int i = 0; i < 8; i++)
        snprintf(r.request_id + 2 * i, 3, "%02X", id[i]);

    if (s3_req_address(&r) != 0 || s3_req_parse_query(&r) != 0) {
        s3_error(&r, S3_ERR_INVALID_ARGUMENT, "The request URI could not be decoded.");
        goto out;
    }
    if (s3_post_object_wanted(&r)) { /* signed by its form, not its head: post_object.c */
        s3_h_post_object(&r);
        goto answered;
    }
    if (s3_authenticate(&r) != 0)
        goto out;
    cf_slice key = s3_key(&r);
    if (key.len && memchr(key.ptr, 0, key.len)) {
        /* no listing could return such a key: XML 1.0 cannot carry a NUL */
        s3_error(&r, S3_ERR_INVALID_URI, "Object keys cannot contain a NUL byte.");
        goto out;
    }
    if (slice_eq(s3_bucket(&r), slice_str("_coffer"))) { /* never a bucket: admin.c */
        s3_h_admin(&r);
        goto out;
    }
    const s3_route *rt = route_find(&r);
    if (!rt) {
        s3_error(&r, S3_ERR_NOT_IMPLEMENTED, NULL);
        goto out;
    }
    rt->fn(&r);
answered:
    if (!r.responded)
        s3_error(&r, S3_ERR_INTERNAL_ERROR, NULL);
out:
    buf_free(&r.bucket);
    buf_free(&r.key);
    buf_free(&r.pbuf);
    buf_free(&r.out);
    s3_sigv4_result_free(&r.auth);
    s3_sigv4_scratch_free(&r.sig_scratch);
}
