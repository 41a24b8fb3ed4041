/*
 * acl_api.c -- ACLs as requests carry them: GetBucketAcl, PutBucketAcl,
 * GetObjectAcl, PutObjectAcl, and the ACL a write gives its new object or
 * bucket from x-amz-acl / x-amz-grant-* (PutObject, CopyObject,
 * CreateMultipartUpload, POST Object, CreateBucket).
 *
 * Every ACL a request sets passes the same checks (acl_judge): its user
 * ids exist; a bucket that enforces BucketOwnerEnforced takes none but the
 * owner's full control (AccessControlListNotSupported); BlockPublicAcls
 * refuses one that grants to AllUsers or AuthenticatedUsers (AccessDenied).
 * The model and stored form are acl.h's; who may call these is authz.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/s3_int.h"

static const struct {
    const char *header;
    uint8_t perm;
} grant_headers[] = {
    {"x-amz-grant-read", S3_PERM_READ},
    {"x-amz-grant-write", S3_PERM_WRITE},
    {"x-amz-grant-read-acp", S3_PERM_READ_ACP},
    {"x-amz-grant-write-acp", S3_PERM_WRITE_ACP},
    {"x-amz-grant-full-control", S3_PERM_FULL_CONTROL},
};

/*
 * acl_of_headers -- the ACL the request's x-amz-acl (canned) or x-amz-grant-*
 * headers name for a resource owned by owner in a bucket owned by bucket_owner.
 * *given is false when it has neither. S3_ERR_NONE or the error, *msg its text.
 */
static s3_err_code acl_of_headers(s3_req *r, cf_slice canned, const char *owner,
                                  const char *bucket_owner, s3_acl *a, bool *given,
                                  const char **msg)
{
    bool grants = false;
    *msg = NULL;
    for (size_t i = 0; i < sizeof grant_headers / sizeof grant_headers[0]; i++)
        grants = grants || s3_header(r, grant_headers[i].header).ptr;
    *given = canned.ptr || grants;
    if (canned.ptr && grants) {
        *msg = "Specifying both Canned ACLs and Header Grants is not allowed";
        return S3_ERR_INVALID_REQUEST;
    }
    if (canned.ptr) {
        if (!s3_acl_canned(a, canned, owner, bucket_owner)) {
            *msg = "The canned ACL is not one S3 knows";
            return S3_ERR_INVALID_ARGUMENT;
        }
        return S3_ERR_NONE;
    }
    snprintf(a->owner, sizeof a->owner, "%s", owner);
    a->n = 0;
    if (!grants) {
        s3_acl_private(a, owner);
        return S3_ERR_NONE;
    }
    /* grants replace the whole ACL: the owner keeps only what they grant themselves,
     * as S3 (the owner may always read and write the ACL: authz.c) */
    for (size_t i = 0; i < sizeof grant_headers / sizeof grant_headers[0]; i++) {
        const http_request *hr = r->hr;
        for (size_t h = 0; h < hr->n_headers; h++) {
            if (hr->headers[h].name.len != strlen(grant_headers[i].header) ||
                !s3_starts_with_ci(hr->headers[h].name, grant_headers[i].header))
                continue;
            s3_err_code err = s3_acl_grant_header(a, grant_headers[i].perm,
                                                  hr->headers[h].value, msg);
            if (err)
                return err;
        }
    }
    return S3_ERR_NONE;
}

/* acl_judge -- the checks every ACL a request sets passes (top comment). */
static s3_err_code acl_judge(s3_req *r, const store_bucket *b, const s3_acl *a, const char **msg)
{
    *msg = NULL;
    if (!s3_bucket_acls_enabled(b) && !s3_acl_is_owner_only(a))
        return S3_ERR_ACCESS_CONTROL_LIST_NOT_SUPPORTED;
    if (s3_bucket_block(b, S3_BLOCK_PUBLIC_ACLS) && s3_acl_is_public(a)) {
        *msg = "Access Denied because the bucket's public access block forbids public ACLs";
        return S3_ERR_ACCESS_DENIED;
    }
    for (size_t i = 0; i < a->n; i++) {
        store_user u;
        if (a->grants[i].grantee == S3_GRANTEE_USER &&
            store_user_get(r->ctx->st, slice_str(a->grants[i].id), &u) != 0) {
            *msg = "Invalid id";
            return S3_ERR_INVALID_ARGUMENT;
        }
    }
    return S3_ERR_NONE;
}

/* set_object_acl_line -- m's headers with its x-coffer-acl line replaced by a's (none when a
 * is the default: private to the bucket owner). false if the headers do not fit. */
static bool set_object_acl_line(store_meta *m, const store_bucket *b, const s3_acl *a)
{
    store_meta *kept = calloc(1, sizeof *kept);
    if (!kept)
        return false;
    s3_meta_copy(kept, m, s3_meta_not_acl); /* fits: it is m's headers less one line */
    memcpy(m->headers, kept->headers, sizeof m->headers);
    free(kept);
    if (strcmp(a->owner, b->owner) == 0 && s3_acl_is_owner_only(a))
        return true;
    cf_buf enc = {0};
    bool ok = s3_acl_encode(a, &enc, STORE_MAX_ACL_BYTES) == 0 &&
              s3_meta_add(m, slice_str("x-coffer-acl"), buf_slice(&enc));
    buf_free(&enc);
    return ok;
}

int s3_acl_for_write(s3_req *r, store_meta *m)
{
    const store_bucket *b = &r->b;
    s3_acl *a = malloc(sizeof *a);
    const char *msg = NULL;
    bool given;
    s3_err_code err = a ? S3_ERR_NONE : S3_ERR_INTERNAL_ERROR;
    /* the object's owner (Object Ownership): the writer, unless the bucket enforces its
     * owner, or prefers it and the writer hands it full control; an anonymous writer's
     * object belongs to the bucket owner */
    const char *owner = r->anonymous ? b->owner : r->access_key;
    cf_slice canned = r->post_form ? r->form_acl : s3_header(r, "x-amz-acl");
    if (!s3_bucket_acls_enabled(b) ||
        (strcmp(b->ownership, "BucketOwnerPreferred") == 0 &&
         slice_eq(canned, slice_str("bucket-owner-full-control"))))
        owner = b->owner;
    if (!err)
        err = acl_of_headers(r, canned, owner, b->owner, a, &given, &msg);
    if (!err && !s3_bucket_acls_enabled(b) && given &&
        !slice_eq(canned, slice_str("bucket-owner-full-control")))
        err = S3_ERR_ACCESS_CONTROL_LIST_NOT_SUPPORTED;
    if (!err)
        err = acl_judge(r, b, a, &msg);
    if (!err && !set_object_acl_line(m, b, a))
        err = S3_ERR_METADATA_TOO_LARGE;
    free(a);
    if (err) {
        s3_error(r, err, msg);
        return -1;
    }
    return 0;
}

int s3_acl_for_bucket(s3_req *r, const store_bucket *b, cf_buf *enc)
{
    s3_acl *a = malloc(sizeof *a);
    const char *msg = NULL;
    bool given = false;
    s3_err_code err = a ? S3_ERR_NONE : S3_ERR_INTERNAL_ERROR;
    buf_clear(enc);
    if (!err)
        err = acl_of_headers(r, s3_header(r, "x-amz-acl"), b->owner, b->owner, a, &given, &msg);
    if (!err && given && !s3_bucket_acls_enabled(b) && !s3_acl_is_owner_only(a))
        err = S3_ERR_INVALID_BUCKET_ACL_WITH_OBJECT_OWNERSHIP;
    if (!err && given)
        err = acl_judge(r, b, a, &msg);
    if (!err && given && !s3_acl_is_owner_only(a) && s3_acl_encode(a, enc, STORE_MAX_ACL_BYTES))
        err = S3_ERR_INVALID_ARGUMENT;
    free(a);
    if (err) {
        s3_error(r, err, msg);
        return -1;
    }
    return 0;
}

/* respond_acl -- a as an AccessControlPolicy document. */
static void respond_acl(s3_req *r, const s3_acl *a)
{
    buf_clear(&r->out);
    s3_xml_writer_init(&r->xw, &r->out);
    s3_xml_decl(&r->xw);
    s3_acl_xml(&r->xw, a);
    s3_respond_xml(r, 200, NULL, 0);
}

/*
 * acl_of_put -- the ACL a PUT ?acl sets on a resource owned by owner: from the
 * AccessControlPolicy body, or from the headers (exactly one of the two), judged.
 */
static int acl_of_put(s3_req *r, const char *owner, s3_acl *a)
{
    cf_buf body = {0};
    s3_acl_doc doc;
    memset(&doc, 0, sizeof doc);
    const char *msg = NULL;
    bool given = false;
    s3_err_code err =
        acl_of_headers(r, s3_header(r, "x-amz-acl"), owner, r->b.owner, a, &given, &msg);
    if (!err)
        err = s3_read_small_body(r, S3_XML_ACL_MAX_BODY_BYTES, &body);
    if (!err && given && body.len) {
        msg = "Specifying both an ACL document and ACL headers is not allowed";
        err = S3_ERR_INVALID_REQUEST;
    }
    if (!err && !given && body.len == 0)
        err = S3_ERR_MISSING_REQUEST_BODY;
    if (!err && !given) {
        err = s3_xml_parse_acl(body.data, body.len, &doc);
        msg = doc.message;
        if (!err)
            err = s3_acl_from_doc(&doc, owner, a, &msg);
    }
    if (!err && !s3_bucket_acls_enabled(&r->b) && !s3_acl_is_owner_only(a))
        err = S3_ERR_ACCESS_CONTROL_LIST_NOT_SUPPORTED;
    if (!err)
        err = acl_judge(r, &r->b, a, &msg);
    s3_acl_doc_free(&doc);
    buf_free(&body);
    if (err) {
        s3_error(r, err, msg);
        return -1;
    }
    return 0;
}

/* GET /{bucket}?acl -- GetBucketAcl */
void s3_h_get_bucket_acl(s3_req *r)
{
    s3_acl *a = malloc(sizeof *a);
    if (!a || (r->b.acl[0] ? s3_acl_decode(slice_str(r->b.acl), a) : 0) != 0) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    if (!r->b.acl[0] || !s3_bucket_acls_enabled(&r->b))
        s3_acl_private(a, r->b.owner);
    respond_acl(r, a);
out:
    free(a);
}

/* PUT /{bucket}?acl -- PutBucketAcl */
void s3_h_put_bucket_acl(s3_req *r)
{
    s3_acl *a = malloc(sizeof *a);
    cf_buf enc = {0};
    if (!a) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    if (acl_of_put(r, r->b.owner, a) != 0)
        goto out;
    /* the default (owner's full control) is stored as no ACL at all */
    store_attr attr = {STORE_BUCKET_ACL, slice_make(NULL, 0)};
    if (!s3_acl_is_owner_only(a)) {
        if (s3_acl_encode(a, &enc, STORE_MAX_ACL_BYTES) != 0) {
            s3_error(r, S3_ERR_INVALID_ARGUMENT, "The ACL is too large");
            goto out;
        }
        attr.value = buf_slice(&enc);
    }
    int rc = store_bucket_set(r->ctx->st, s3_bucket(r), &attr, 1);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        goto out;
    }
    s3_respond_empty(r, 200, NULL, 0);
out:
    buf_free(&enc);
    free(a);
}

/* object_meta -- the addressed object (s3_object_load), or answers NoSuchKey. */
static store_meta *object_meta(s3_req *r)
{
    int rc = s3_object_load(r);
    if (rc)
        s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
    return r->obj;
}

/* GET /{bucket}/{key}?acl -- GetObjectAcl */
void s3_h_get_object_acl(s3_req *r)
{
    store_meta *m = object_meta(r);
    s3_acl *a = m ? malloc(sizeof *a) : NULL;
    if (!m)
        return; /* answered */
    if (a && !s3_bucket_acls_enabled(&r->b)) /* S3 shows the bucket owner's full control */
        s3_acl_private(a, r->b.owner);
    if (!a || (s3_bucket_acls_enabled(&r->b) && s3_object_acl(&r->b, m, a) != 0))
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    else
        respond_acl(r, a);
    free(a);
}

/* PUT /{bucket}/{key}?acl -- PutObjectAcl */
void s3_h_put_object_acl(s3_req *r)
{
    store_meta *m = object_meta(r);
    s3_acl *a = malloc(sizeof *a), *cur = malloc(sizeof *cur);
    if (!m)
        goto out;
    if (!a || !cur || s3_object_acl(&r->b, m, cur) != 0) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    if (acl_of_put(r, cur->owner, a) != 0) /* the owner stays who it is */
        goto out;
    if (!set_object_acl_line(m, &r->b, a)) {
        s3_error(r, S3_ERR_METADATA_TOO_LARGE, NULL);
        goto out;
    }
    store_cond cond = {.origin = s3_origin(r)};
    int rc = store_set_headers(r->ctx->st, s3_bucket(r), s3_key(r), m->headers, &cond);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
        goto out;
    }
    s3_respond_empty(r, 200, NULL, 0);
out:
    free(a);
    free(cur);
}
