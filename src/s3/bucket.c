/*
 * bucket.c -- the bucket API family: ListBuckets, CreateBucket, DeleteBucket,
 * HeadBucket, GetBucketLocation, GetBucketVersioning.
 *
 * A bucket belongs to the user who created it; who else may do what to it
 * is decided by authz.c before these run. ListBuckets shows each user the
 * buckets they own (an admin: all). CreateBucket sets the new bucket's
 * Object Ownership (x-amz-object-ownership, else the server's default),
 * public access block (blocked under --bucket-defaults aws) and ACL
 * (x-amz-acl / x-amz-grant-*) in the same write as the bucket.
 */
#include <stdio.h>
#include <string.h>

#include "s3/s3_int.h"
#include "s3/xml.h"

typedef struct list_buckets_arg {
    s3_req *r;
} list_buckets_arg;

static int list_one_bucket(void *arg, const store_bucket *b)
{
    s3_req *r = ((list_buckets_arg *)arg)->r;
    if (!r->admin && strcmp(b->owner, r->access_key) != 0)
        return 0;
    char when[32];
    s3_iso8601(b->created_us, when);
    s3_xml_open(&r->xw, "Bucket");
    s3_xml_elem_str(&r->xw, "Name", b->name);
    s3_xml_elem_str(&r->xw, "CreationDate", when);
    s3_xml_close(&r->xw);
    return 0;
}

/* GET / -- ListBuckets */
void s3_h_list_buckets(s3_req *r)
{
    s3_doc_begin(r, "ListAllMyBucketsResult");
    s3_doc_user(r, "Owner", r->access_key);
    s3_xml_open(&r->xw, "Buckets");
    list_buckets_arg a = {r};
    int rc = store_bucket_list(r->ctx->st, list_one_bucket, &a);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_INTERNAL_ERROR);
        return;
    }
    s3_xml_close(&r->xw);
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
}

/*
 * new_bucket_attrs -- the attributes CreateBucket writes with the bucket: into attrs[]
 * (at most 3), their values kept in nb (ownership, block) and acl; the count, or -1
 * when the request was answered with an error.
 */
static int new_bucket_attrs(s3_req *r, store_bucket *nb, cf_buf *acl, store_attr *attrs)
{
    int n = 0;
    memset(nb, 0, sizeof *nb);
    snprintf(nb->owner, sizeof nb->owner, "%s", r->access_key);
    cf_slice own = s3_header(r, "x-amz-object-ownership");
    if (own.ptr && !slice_eq(own, slice_str("BucketOwnerEnforced")) &&
        !slice_eq(own, slice_str("BucketOwnerPreferred")) &&
        !slice_eq(own, slice_str("ObjectWriter"))) {
        s3_error(r, S3_ERR_INVALID_ARGUMENT, "Invalid x-amz-object-ownership header");
        return -1;
    }
    if (own.ptr || r->ctx->aws_defaults) {
        snprintf(nb->ownership, sizeof nb->ownership, "%.*s", own.ptr ? (int)own.len : 19,
                 own.ptr ? (const char *)own.ptr : "BucketOwnerEnforced");
        attrs[n++] = (store_attr){STORE_BUCKET_OWNERSHIP, slice_str(nb->ownership)};
    }
    if (r->ctx->aws_defaults) {
        snprintf(nb->block, sizeof nb->block, "1111");
        attrs[n++] = (store_attr){STORE_BUCKET_BLOCK, slice_str(nb->block)};
    }
    if (s3_acl_for_bucket(r, nb, acl) != 0)
        return -1;
    if (acl->len)
        attrs[n++] = (store_attr){STORE_BUCKET_ACL, buf_slice(acl)};
    return n;
}

/* Location names S3 still accepts for the region they stand for. */
static const struct {
    const char *legacy;
    const char *region;
} legacy_locations[] = {{"US", "us-east-1"}, {"EU", "eu-west-1"}};

/*
 * location_ok -- reads the request body, a CreateBucketConfiguration (or
 * nothing), and checks its LocationConstraint: absent, empty, the server's
 * region, or a legacy name of it. Otherwise answers (MalformedXML,
 * IllegalLocationConstraintException, ...) and returns false.
 */
static bool location_ok(s3_req *r)
{
    cf_buf body = {0};
    s3_create_bucket_conf conf = {0};
    char msg[160];
    const char *why = NULL;
    s3_err_code err = s3_read_small_body(r, S3_XML_CREATE_BUCKET_MAX_BODY_BYTES, &body);
    if (!err && body.len)
        err = s3_xml_parse_create_bucket(body.data, body.len, &conf);
    why = err ? conf.message : NULL;
    cf_slice loc =
        conf.has_location ? s3_xml_span_get(&conf.text, conf.location) : slice_make(NULL, 0);
    bool same = loc.len == 0 || slice_eq(loc, slice_str(r->ctx->region));
    for (size_t i = 0; i < sizeof legacy_locations / sizeof legacy_locations[0]; i++)
        same |= slice_eq(loc, slice_str(legacy_locations[i].legacy)) &&
                strcmp(r->ctx->region, legacy_locations[i].region) == 0;
    if (!err && !same) {
        /* S3's words; loc is at most S3_XML_MAX_LOCATION_BYTES */
        snprintf(msg, sizeof msg,
                 "The %.*s location constraint is incompatible for the region specific endpoint "
                 "this request was sent to.",
                 (int)loc.len, (const char *)loc.ptr);
        err = S3_ERR_ILLEGAL_LOCATION_CONSTRAINT;
        why = msg;
    }
    if (err)
        s3_error(r, err, why);
    s3_create_bucket_conf_free(&conf);
    buf_free(&body);
    return !err;
}

/* PUT /{bucket} -- CreateBucket */
void s3_h_create_bucket(s3_req *r)
{
    if (!store_bucket_name_valid(s3_bucket(r))) {
        s3_error(r, S3_ERR_INVALID_BUCKET_NAME, NULL);
        return;
    }
    if (!location_ok(r))
        return;
    store_bucket nb;
    store_attr attrs[3];
    cf_buf acl = {0};
    int n_attrs = new_bucket_attrs(r, &nb, &acl, attrs);
    if (n_attrs < 0) {
        buf_free(&acl);
        return;
    }
    int rc = store_bucket_create(r->ctx->st, s3_bucket(r), slice_str(r->access_key), attrs,
                                 (size_t)n_attrs, &r->b);
    buf_free(&acl);
    if (rc == CF_EEXIST) {
        bool mine = strcmp(r->b.owner, r->access_key) == 0;
        s3_error(r, mine ? S3_ERR_BUCKET_ALREADY_OWNED_BY_YOU : S3_ERR_BUCKET_ALREADY_EXISTS,
                 NULL);
        return;
    }
    if (rc) {
        s3_error_from(r, rc, S3_ERR_INTERNAL_ERROR);
        return;
    }
    char loc[80];
    snprintf(loc, sizeof loc, "/%s", r->b.name);
    http_header h = {slice_str("Location"), slice_str(loc)};
    s3_respond_empty(r, 200, &h, 1);
}

/* DELETE /{bucket} -- DeleteBucket */
void s3_h_delete_bucket(s3_req *r)
{
    int rc = store_bucket_delete(r->ctx->st, s3_bucket(r));
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        return;
    }
    s3_respond_empty(r, 204, NULL, 0);
}

/* HEAD /{bucket} -- HeadBucket */
void s3_h_head_bucket(s3_req *r)
{
    http_header h = {slice_str("x-amz-bucket-region"), slice_str(r->ctx->region)};
    s3_respond_empty(r, 200, &h, 1);
}

/* GET /{bucket}?location -- GetBucketLocation */
void s3_h_bucket_location(s3_req *r)
{
    const char *region = strcmp(r->ctx->region, "us-east-1") == 0 ? "" : r->ctx->region;
    s3_doc_begin(r, "LocationConstraint");
    s3_xml_text(&r->xw, slice_str(region));
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
}

/* GET /{bucket}?versioning -- GetBucketVersioning (never enabled yet) */
void s3_h_bucket_versioning(s3_req *r)
{
    s3_doc_begin(r, "VersioningConfiguration");
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
}
