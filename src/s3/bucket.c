/*
 * bucket.c -- the bucket API family: ListBuckets, CreateBucket, DeleteBucket,
 * HeadBucket, GetBucketLocation, GetBucketVersioning, GetBucketAcl.
 *
 * A bucket belongs to the user who created it; another user (unless admin)
 * gets AccessDenied for it, and ListBuckets shows each user their own.
 */
#include <stdio.h>
#include <string.h>

#include "s3/s3_int.h"
#include "s3/xml.h"

int s3_bucket_access(s3_req *r, store_bucket *b)
{
    int rc = store_bucket_get(r->ctx->st, s3_bucket(r), b);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        return -1;
    }
    if (!r->admin && strcmp(b->owner, r->access_key) != 0) {
        s3_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return -1;
    }
    return 0;
}

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
    store_bucket b;
    if (!store_bucket_name_valid(s3_bucket(r))) {
        s3_error(r, S3_ERR_INVALID_BUCKET_NAME, NULL);
        return;
    }
    if (!location_ok(r))
        return;
    int rc = store_bucket_create(r->ctx->st, s3_bucket(r), slice_str(r->access_key), &b);
    if (rc == CF_EEXIST) {
        bool mine = strcmp(b.owner, r->access_key) == 0;
        s3_error(r, mine ? S3_ERR_BUCKET_ALREADY_OWNED_BY_YOU : S3_ERR_BUCKET_ALREADY_EXISTS,
                 NULL);
        return;
    }
    if (rc) {
        s3_error_from(r, rc, S3_ERR_INTERNAL_ERROR);
        return;
    }
    char loc[80];
    snprintf(loc, sizeof loc, "/%s", b.name);
    http_header h = {slice_str("Location"), slice_str(loc)};
    s3_respond_empty(r, 200, &h, 1);
}

/* DELETE /{bucket} -- DeleteBucket */
void s3_h_delete_bucket(s3_req *r)
{
    store_bucket b;
    if (s3_bucket_access(r, &b))
        return;
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
    store_bucket b;
    if (s3_bucket_access(r, &b))
        return;
    http_header h = {slice_str("x-amz-bucket-region"), slice_str(r->ctx->region)};
    s3_respond_empty(r, 200, &h, 1);
}

/* GET /{bucket}?location -- GetBucketLocation */
void s3_h_bucket_location(s3_req *r)
{
    store_bucket b;
    if (s3_bucket_access(r, &b))
        return;
    const char *region = strcmp(r->ctx->region, "us-east-1") == 0 ? "" : r->ctx->region;
    s3_doc_begin(r, "LocationConstraint");
    s3_xml_text(&r->xw, slice_str(region));
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
}

/* GET /{bucket}?versioning -- GetBucketVersioning (never enabled yet) */
void s3_h_bucket_versioning(s3_req *r)
{
    store_bucket b;
    if (s3_bucket_access(r, &b))
        return;
    s3_doc_begin(r, "VersioningConfiguration");
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
}

#define GRANTEE_OPEN                                                                      \
    "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">"

/* acl_body -- the owner's FULL_CONTROL grant, the only ACL coffer has. */
static void acl_body(s3_req *r, const char *owner)
{
    s3_doc_begin(r, "AccessControlPolicy");
    s3_doc_user(r, "Owner", owner);
    s3_xml_open(&r->xw, "AccessControlList");
    s3_xml_open(&r->xw, "Grant");
    /* the grantee carries xsi attributes the writer has no call for; owner ids are
     * access keys (letters and digits), so nothing in it needs escaping */
    buf_append(&r->out, GRANTEE_OPEN, strlen(GRANTEE_OPEN));
    s3_xml_elem_str(&r->xw, "ID", owner);
    s3_xml_elem_str(&r->xw, "DisplayName", owner);
    buf_append(&r->out, "</Grantee>", 10);
    s3_xml_elem_str(&r->xw, "Permission", "FULL_CONTROL");
    s3_xml_close(&r->xw); /* Grant */
    s3_xml_close(&r->xw); /* AccessControlList */
    s3_xml_close(&r->xw); /* AccessControlPolicy */
    s3_respond_xml(r, 200, NULL, 0);
}

/* GET /{bucket}?acl -- GetBucketAcl */
void s3_h_bucket_acl(s3_req *r)
{
    store_bucket b;
    if (s3_bucket_access(r, &b))
        return;
    acl_body(r, b.owner);
}

/* GET /{bucket}/{key}?acl -- GetObjectAcl */
void s3_h_object_acl(s3_req *r)
{
    store_bucket b;
    store_meta m;
    if (s3_bucket_access(r, &b))
        return;
    int rc = store_head(r->ctx->st, s3_bucket(r), s3_key(r), &m);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
        return;
    }
    acl_body(r, b.owner);
}
