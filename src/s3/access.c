/*
 * access.c -- the bucket access settings API family: Put/Get/DeleteBucketPolicy,
 * GetBucketPolicyStatus, Put/Get/DeleteBucketOwnershipControls and
 * Put/Get/DeletePublicAccessBlock. Each setting is an attribute of the
 * bucket row (store.h); authz.c reads them on every request.
 *
 * A policy is parsed whole before it is stored (policy.h: one that does not
 * parse or uses what coffer does not support is refused with MalformedPolicy
 * naming the problem, and nothing changes); the document is stored as sent
 * and returned byte for byte, as S3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/policy.h"
#include "s3/s3_int.h"

static void set_attr(s3_req *r, const char *name, cf_slice value, int status)
{
    store_attr a = {name, value};
    int rc = store_bucket_set(r->ctx->st, s3_bucket(r), &a, 1);
    if (rc)
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
    else
        s3_respond_empty(r, status, NULL, 0);
}

/* PUT /{bucket}?policy -- PutBucketPolicy */
void s3_h_put_bucket_policy(s3_req *r)
{
    cf_buf body = {0};
    s3_policy *p = NULL;
    cf_slice *users = NULL;
    char why[256] = "";
    s3_err_code err = s3_read_small_body(r, S3_POLICY_MAX_BYTES + 1, &body);
    if (err == S3_ERR_MAX_MESSAGE_LENGTH_EXCEEDED || (!err && body.len > S3_POLICY_MAX_BYTES)) {
        s3_error(r, S3_ERR_MALFORMED_POLICY, "Policies must be no larger than 20480 bytes");
        goto out;
    }
    if (err) {
        s3_error(r, err, NULL);
        goto out;
    }
    int rc = s3_policy_parse(buf_slice(&body), s3_bucket(r), &p, why, sizeof why);
    if (rc == CF_ENOMEM) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    if (rc) {
        s3_error(r, S3_ERR_MALFORMED_POLICY, why[0] ? why : NULL);
        goto out;
    }
    /* principals must be users that exist, as S3 requires of accounts */
    size_t n = s3_policy_users(p, NULL, 0);
    users = calloc(n ? n : 1, sizeof *users);
    if (!users) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    s3_policy_users(p, users, n);
    for (size_t i = 0; i < n; i++) {
        store_user u;
        if (store_user_get(r->ctx->st, users[i], &u) != 0) {
            s3_error(r, S3_ERR_MALFORMED_POLICY, "Invalid principal in policy");
            goto out;
        }
    }
    if (s3_bucket_block(&r->b, S3_BLOCK_PUBLIC_POLICY) && s3_policy_is_public(p)) {
        s3_error(r, S3_ERR_ACCESS_DENIED,
                 "Access Denied because the bucket's public access block forbids public policies");
        goto out;
    }
    set_attr(r, STORE_BUCKET_POLICY, buf_slice(&body), 204);
out:
    free(users);
    s3_policy_free(p);
    buf_free(&body);
}

/* GET /{bucket}?policy -- GetBucketPolicy */
void s3_h_get_bucket_policy(s3_req *r)
{
    cf_buf doc = {0};
    int rc = store_bucket_policy(r->ctx->st, s3_bucket(r), &doc);
    if (rc)
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET_POLICY);
    else
        s3_respond_json(r, 200, buf_slice(&doc));
    buf_free(&doc);
}

/* DELETE /{bucket}?policy -- DeleteBucketPolicy (204 whether or not there was one) */
void s3_h_delete_bucket_policy(s3_req *r)
{
    set_attr(r, STORE_BUCKET_POLICY, slice_make(NULL, 0), 204);
}

/* GET /{bucket}?policyStatus -- GetBucketPolicyStatus */
void s3_h_bucket_policy_status(s3_req *r)
{
    s3_policy_ref *ref = NULL;
    int rc = r->b.policy_us ? s3_policy_acquire(r->ctx, &r->b, &ref) : CF_ENOTFOUND;
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET_POLICY);
        return;
    }
    s3_doc_begin(r, "PolicyStatus");
    s3_xml_elem_bool(&r->xw, "IsPublic", s3_policy_is_public(s3_policy_of(ref)));
    s3_xml_close(&r->xw);
    s3_policy_release(ref);
    s3_respond_xml(r, 200, NULL, 0);
}

/* PUT /{bucket}?ownershipControls -- PutBucketOwnershipControls */
void s3_h_put_ownership(s3_req *r)
{
    cf_buf body = {0};
    char value[32];
    const char *msg = NULL;
    s3_err_code err = s3_read_small_body(r, S3_XML_SMALL_MAX_BODY_BYTES, &body);
    if (!err)
        err = s3_xml_parse_ownership(body.data, body.len, value, sizeof value, &msg);
    if (!err && strcmp(value, "BucketOwnerEnforced") != 0 &&
        strcmp(value, "BucketOwnerPreferred") != 0 && strcmp(value, "ObjectWriter") != 0) {
        err = S3_ERR_MALFORMED_XML;
        msg = "ObjectOwnership must be BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter";
    }
    /* S3 refuses to disable ACLs while the bucket's ACL grants anyone but its owner */
    if (!err && strcmp(value, "BucketOwnerEnforced") == 0 && r->b.acl[0]) {
        err = S3_ERR_INVALID_BUCKET_ACL_WITH_OBJECT_OWNERSHIP;
        msg = NULL;
    }
    if (err)
        s3_error(r, err, msg);
    else
        set_attr(r, STORE_BUCKET_OWNERSHIP, slice_str(value), 200);
    buf_free(&body);
}

/* GET /{bucket}?ownershipControls -- GetBucketOwnershipControls */
void s3_h_get_ownership(s3_req *r)
{
    if (!r->b.ownership[0]) {
        s3_error(r, S3_ERR_NO_SUCH_OWNERSHIP_CONTROLS, NULL);
        return;
    }
    s3_doc_begin(r, "OwnershipControls");
    s3_xml_open(&r->xw, "Rule");
    s3_xml_elem_str(&r->xw, "ObjectOwnership", r->b.ownership);
    s3_xml_close(&r->xw);
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
}

/* DELETE /{bucket}?ownershipControls -- DeleteBucketOwnershipControls */
void s3_h_delete_ownership(s3_req *r)
{
    set_attr(r, STORE_BUCKET_OWNERSHIP, slice_make(NULL, 0), 204);
}

static const char *const block_names[4] = {"BlockPublicAcls", "IgnorePublicAcls",
                                           "BlockPublicPolicy", "RestrictPublicBuckets"};

/* PUT /{bucket}?publicAccessBlock -- PutPublicAccessBlock */
void s3_h_put_public_block(s3_req *r)
{
    cf_buf body = {0};
    bool flags[4];
    const char *msg = NULL;
    s3_err_code err = s3_read_small_body(r, S3_XML_SMALL_MAX_BODY_BYTES, &body);
    if (!err && body.len == 0)
        err = S3_ERR_MISSING_REQUEST_BODY;
    if (!err)
        err = s3_xml_parse_public_block(body.data, body.len, flags, &msg);
    if (err) {
        s3_error(r, err, msg);
    } else {
        char v[5];
        for (int i = 0; i < 4; i++)
            v[i] = flags[i] ? '1' : '0';
        v[4] = '\0';
        set_attr(r, STORE_BUCKET_BLOCK, slice_make(v, 4), 200);
    }
    buf_free(&body);
}

/* GET /{bucket}?publicAccessBlock -- GetPublicAccessBlock */
void s3_h_get_public_block(s3_req *r)
{
    if (!r->b.block[0]) {
        s3_error(r, S3_ERR_NO_SUCH_PUBLIC_ACCESS_BLOCK_CONFIGURATION, NULL);
        return;
    }
    s3_doc_begin(r, "PublicAccessBlockConfiguration");
    for (int i = 0; i < 4; i++)
        s3_xml_elem_bool(&r->xw, block_names[i], s3_bucket_block(&r->b, i));
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
}

/* DELETE /{bucket}?publicAccessBlock -- DeletePublicAccessBlock */
void s3_h_delete_public_block(s3_req *r)
{
    set_attr(r, STORE_BUCKET_BLOCK, slice_make(NULL, 0), 204);
}
