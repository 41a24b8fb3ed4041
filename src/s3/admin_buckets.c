/*
 * admin_buckets.c -- the admin API's view of buckets (doc/admin.md):
 *
 *   GET /_coffer/buckets         every bucket: name, owner, created
 *   GET /_coffer/buckets/NAME    one bucket's settings in one answer: owner,
 *                                Object Ownership, public access block,
 *                                policy (and whether it is public), whether
 *                                its ACL is public, whether CORS rules exist,
 *                                its change log settings (as GET /NAME?cdc)
 *
 * Read-only: each setting is changed through its S3 API (PutBucketPolicy,
 * PutBucketCors, ...), which an admin may call on any bucket, so there is
 * one way to change each and one authorization point for it.
 */
#include <stdio.h>
#include <string.h>

#include "s3/acl.h"
#include "s3/policy.h"
#include "s3/admin.h"

static json_object *summary(const store_bucket *b)
{
    char created[32];
    s3_iso8601(b->created_us, created);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(b->name));
    json_object_object_add(o, "owner", json_object_new_string(b->owner));
    json_object_object_add(o, "created", json_object_new_string(created));
    return o;
}

static int add_bucket(void *arg, const store_bucket *b)
{
    json_object_array_add(arg, summary(b));
    return 0;
}

static void list(s3_req *r)
{
    json_object *all = json_object_new_array();
    int rc = store_bucket_list(r->ctx->st, add_bucket, all);
    if (rc) {
        json_object_put(all);
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        return;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "buckets", all);
    s3_admin_reply(r, 200, o);
}

/* block_json -- the four public access block flags ("" stored: none set). */
static json_object *block_json(const char *flags)
{
    static const char *const names[4] = {"BlockPublicAcls", "IgnorePublicAcls",
                                         "BlockPublicPolicy", "RestrictPublicBuckets"};
    json_object *o = json_object_new_object();
    for (size_t i = 0; i < 4; i++)
        json_object_object_add(o, names[i], json_object_new_boolean(flags[0] && flags[i] == '1'));
    return o;
}

/* add_policy -- "policy" (the stored document, parsed) and "policy_public". */
static int add_policy(s3_req *r, const store_bucket *b, json_object *o)
{
    json_object *doc = NULL;
    bool is_public = false;
    int rc = 0;
    if (b->policy_us) {
        cf_buf text = {0};
        s3_policy_ref *ref = NULL;
        rc = store_bucket_policy(r->ctx->st, slice_str(b->name), &text);
        if (!rc)
            doc = s3_admin_json(buf_slice(&text)); /* stored only after it parsed */
        buf_free(&text);
        if (!rc && (rc = s3_policy_acquire(r->ctx, b, &ref)) == 0) {
            is_public = s3_policy_is_public(s3_policy_of(ref));
            s3_policy_release(ref);
        }
    }
    json_object_object_add(o, "policy", doc);
    json_object_object_add(o, "policy_public", json_object_new_boolean(is_public));
    return rc == CF_ENOTFOUND ? 0 : rc; /* deleted since the row was read: none */
}

static void settings(s3_req *r, cf_slice name)
{
    store_bucket b;
    s3_acl acl;
    int rc = store_bucket_get(r->ctx->st, name, &b);
    if (!rc && b.acl[0])
        rc = s3_acl_decode(slice_str(b.acl), &acl);
    json_object *o = rc ? NULL : summary(&b);
    if (!rc) {
        json_object_object_add(o, "object_ownership",
                               b.ownership[0] ? json_object_new_string(b.ownership) : NULL);
        json_object_object_add(o, "public_access_block", block_json(b.block));
        json_object_object_add(o, "acl_public",
                               json_object_new_boolean(b.acl[0] && s3_acl_is_public(&acl)));
        json_object_object_add(o, "cors", json_object_new_boolean(b.has_cors));
        json_object_object_add(o, "change_log", s3_cdc_settings_json(&b, &b.cdc));
        rc = add_policy(r, &b, o);
    }
    if (rc) {
        json_object_put(o);
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        return;
    }
    s3_admin_reply(r, 200, o);
}

void s3_admin_buckets(s3_req *r, cf_slice rest)
{
    if (!s3_admin_method(r, "GET"))
        s3_error(r, S3_ERR_METHOD_NOT_ALLOWED, NULL);
    else if (!rest.len)
        list(r);
    else if (memchr(rest.ptr, '/', rest.len))
        s3_error(r, S3_ERR_INVALID_URI, "No such admin API path (doc/admin.md).");
    else
        settings(r, rest);
}
