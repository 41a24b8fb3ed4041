/*
 * s3_int.h -- the s3 layer's shared internals: the context, the per-request
 * state every handler gets, and the helpers handlers answer with.
 *
 * A request moves through router.c: addressing (path-style
 * "/bucket/key" or virtual-host "bucket.<domain>/key") and query decoding
 * (request.c), authentication (auth.c, SigV4), then one handler chosen by the
 * routing table. Every handler answers exactly once, through s3_error() or a
 * response helper; the request's buffers are freed in one call when it ends.
 */
#ifndef S3_S3_INT_H
#define S3_S3_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "s3/checksum.h"
#include "s3/errors.h"
#include "s3/s3.h"
#include "s3/sigv4.h"
#include "s3/xml.h"
#include "store/store.h"
#include "util/buf.h"

#define S3_MAX_PARAMS 64

struct s3_ctx {
    store *st;
    char region[64];
    char domain[256];
    int64_t max_skew_s;
    uint64_t min_part_bytes; /* every part of a completed upload but the last is at least this */
};

typedef struct s3_param {
    size_t name_off, name_len;   /* decoded, in s3_req.pbuf */
    size_t value_off, value_len;
    bool has_value;
} s3_param;

typedef struct s3_req {
    s3_ctx *ctx;
    http_exchange *ex;
    const http_request *hr;
    bool head;              /* HEAD: no body is sent */
    cf_buf bucket;          /* decoded bucket name, NUL-terminated ("" for the service) */
    cf_buf key;             /* decoded object key, NUL-terminated ("" for a bucket) */
    cf_buf pbuf;            /* decoded query parameter bytes */
    s3_param params[S3_MAX_PARAMS];
    size_t n_params;
    char access_key[129];   /* the authenticated user */
    bool admin;
    store_user user;        /* the signer, as the secret lookup found it */
    s3_sigv4_result auth;   /* what sigv4 found: payload mode, streaming seed */
    s3_sigv4_scratch sig_scratch;
    char request_id[17];
    bool responded;
    cf_buf out;             /* response body being built (XML) */
    s3_xml_writer xw;       /* writes into out (s3_doc_begin) */
} s3_req;

/* ---- request.c ---- */

/* s3_param_get -- the decoded value of query parameter name; ptr NULL if absent. */
cf_slice s3_param_get(const s3_req *r, const char *name);
/* s3_param_max -- a page size parameter (max-keys, max-uploads, max-parts): default
 * 1000, capped at 1000; false if it is not a number. */
bool s3_param_max(const s3_req *r, const char *name, uint32_t *out);
/* s3_header -- request header (case-insensitive); ptr NULL if absent. */
cf_slice s3_header(const s3_req *r, const char *name);
static inline cf_slice s3_bucket(const s3_req *r)
{
    return slice_make(r->bucket.data, r->bucket.len ? r->bucket.len - 1 : 0);
}
static inline cf_slice s3_key(const s3_req *r)
{
    return slice_make(r->key.data, r->key.len ? r->key.len - 1 : 0);
}

/* s3_error -- answers with the error XML of code (msg NULL: the table's message). */
void s3_error(s3_req *r, s3_err_code code, const char *msg);
/* s3_error_fields -- s3_error with extra children of <Error> (<ArgumentName>, <Region>...). */
void s3_error_fields(s3_req *r, s3_err_code code, const char *msg, const s3_err_field *extra,
                     size_t n_extra);
/* s3_err_of -- the S3 error for a cf_err from the store (notfound for CF_ENOTFOUND;
 * CF_ENOSPC, a full disk, is InsufficientStorage). */
s3_err_code s3_err_of(int cf_code, s3_err_code notfound);
/* s3_error_from -- answers with s3_err_of(cf_code, notfound). */
void s3_error_from(s3_req *r, int cf_code, s3_err_code notfound);

/* s3_respond_xml -- answers status with r->out as an XML body, plus extra headers. */
void s3_respond_xml(s3_req *r, int status, const http_header *extra, size_t n_extra);
/* s3_respond_empty -- answers status with no body. */
void s3_respond_empty(s3_req *r, int status, const http_header *extra, size_t n_extra);

/*
 * s3_doc_begin -- clears r->out and starts an S3 response document: the XML
 * declaration and <root xmlns="...">; r->xw then writes into it.
 */
void s3_doc_begin(s3_req *r, const char *root);

/* s3_doc_user -- <element><ID>id</ID><DisplayName>id</DisplayName></element> (Owner, Initiator). */
void s3_doc_user(s3_req *r, const char *element, const char *id);

/* s3_iso8601 -- "2024-01-02T03:04:05.000Z" for microseconds since the epoch (out[32]). */
void s3_iso8601(int64_t us, char *out);

/* ---- auth.c ---- */

/*
 * s3_authenticate -- verifies the request's SigV4 (header or presigned) and
 * fills r->access_key, r->admin, r->auth. On failure it answers the error
 * itself and returns non-zero.
 */
int s3_authenticate(s3_req *r);

/* s3_bucket_access -- the bucket exists and belongs to the user (or the user
 * is admin): 0 with *b filled; otherwise answers NoSuchBucket/AccessDenied
 * and returns non-zero. */
int s3_bucket_access(s3_req *r, store_bucket *b);

/* ---- body.c ---- */

/*
 * s3_body -- reads a request body: plain (Content-Length), or aws-chunked
 * (signed chunks verified against the seed signature, trailing checksums
 * collected), checking x-amz-content-sha256 when it is a hash.
 */
typedef struct s3_body s3_body;
int s3_body_open(s3_req *r, s3_body **out);
/* s3_body_read -- > 0 bytes, 0 at the end (all checks passed), < 0 failed: the
 * error code to answer is in *err. */
ssize_t s3_body_read(s3_body *b, void *buf, size_t cap, s3_err_code *err);
/* s3_body_trailer -- a trailing header's value after the end; ptr NULL if absent. */
cf_slice s3_body_trailer(const s3_body *b, const char *name);
/* s3_body_decoded_length -- the payload length the client declared (HTTP_NO_LENGTH if unknown). */
uint64_t s3_body_decoded_length(const s3_body *b);
void s3_body_close(s3_body *b);
/* s3_read_small_body -- a whole small body (XML) into out, at most max bytes
 * (else MaxMessageLengthExceeded); Content-MD5 is verified if sent. */
s3_err_code s3_read_small_body(s3_req *r, size_t max, cf_buf *out);

/* ---- receive.c ---- */

/* The checksum a write must verify: which algorithm, and where its value comes from. */
typedef struct s3_put_check {
    int alg;          /* s3_ck_alg, or -1 */
    cf_slice value;   /* from a header; ptr NULL if it comes in a trailer */
    char trailer[64]; /* the trailer's name when it does */
} s3_put_check;

/* s3_find_check -- the x-amz-checksum-* header or x-amz-trailer of the request (one at most). */
s3_err_code s3_find_check(s3_req *r, s3_put_check *c);
/* s3_find_check_in -- the same from any name -> value lookup (get: ptr NULL if absent;
 * the values found must outlive c): request headers, or a form's fields. */
s3_err_code s3_find_check_in(cf_slice (*get)(void *arg, const char *name), void *arg,
                             s3_put_check *c);

/* What s3_receive received. */
typedef struct s3_received {
    uint64_t size;
    uint8_t md5[16];
    int alg;                            /* the algorithm of digest, or -1 */
    uint8_t digest[S3_CK_MAX_DIGEST];
    size_t digest_len;
} s3_received;

/* The largest object one write (PutObject, PostObject) stores: S3's 5 GiB. */
#define S3_MAX_PUT_BYTES (5ull << 30)

/*
 * Where the bytes of a write come from: read() returns > 0 bytes, 0 at the
 * end (every check of the source passed), < 0 with the error to answer in
 * *err; trailer() (may be NULL) a trailing header's value after the end.
 */
typedef struct s3_source {
    ssize_t (*read)(void *arg, void *buf, size_t cap, s3_err_code *err);
    cf_slice (*trailer)(void *arg, const char *name);
    void *arg;
    uint64_t declared;    /* the length the client declared, HTTP_NO_LENGTH if none */
    cf_slice content_md5; /* base64 MD5 to verify; ptr NULL if none */
} s3_source;

/*
 * s3_receive_from -- streams src into w (more than max bytes:
 * EntityTooLarge, nothing past max is written), computing MD5 and the
 * checksum chk names, or else `also` (an s3_ck_alg or -1; when both are set
 * they are equal), checking the declared length, src->content_md5 and chk's
 * value. S3_ERR_NONE or the error to answer.
 */
s3_err_code s3_receive_from(const s3_source *src, store_writer *w, const s3_put_check *chk,
                            int also, uint64_t max, s3_received *out);

/* s3_meta_received -- m's ETag, size, mtime and checksum header from what a write received;
 * the checksum's base64 (or "") into b64 (cap >= 64). S3_ERR_NONE or MetadataTooLarge. */
s3_err_code s3_meta_received(store_meta *m, const s3_received *got, char *b64, size_t cap);

/*
 * s3_receive -- streams the request body into w (more than max bytes:
 * EntityTooLarge), computing MD5 and the checksum chk names, or else
 * `also` (an s3_ck_alg or -1; when both are set they are equal), checking
 * Content-MD5 and chk's value. S3_ERR_NONE or the error to answer.
 */
s3_err_code s3_receive(s3_req *r, store_writer *w, const s3_put_check *chk, int also,
                       uint64_t max, s3_received *out);

/* s3_verify_digest -- does base64 value b64 decode to exactly digest[0..n)? */
bool s3_verify_digest(cf_slice b64, const uint8_t *digest, size_t n);

/*
 * s3_write_meta -- the first steps of a write to this request's key: the
 * bucket is the user's, the key is not too long, and the new object's meta
 * (content type, kept headers) from the request, malloc'd. NULL if the
 * request was answered with an error.
 */
store_meta *s3_write_meta(s3_req *r);

/* s3_write_cond -- If-None-Match (only "*") and If-Match of a write into *cond (if_match
 * points into the caller's buffer). Answers NotImplemented and returns -1 for other values. */
int s3_write_cond(s3_req *r, store_cond *cond, char *if_match, size_t cap);
/* s3_write_cond_error -- answers a failed conditional commit (a missing key for If-Match is NoSuchKey). */
void s3_write_cond_error(s3_req *r, int rc, const store_cond *cond, s3_err_code notfound);

/* ---- meta.c ---- */

/* s3_starts_with_ci -- does s start with prefix (ASCII case-insensitive)? */
bool s3_starts_with_ci(cf_slice s, const char *prefix);
/* s3_meta_add -- appends "name: value\n" (name lowercased); false if it does not fit. */
bool s3_meta_add(store_meta *m, cf_slice name, cf_slice value);
/*
 * s3_meta_next -- the kept header line at *p ("name: value\n") as name and
 * value (pointing into the headers), advancing *p; false at the end.
 */
bool s3_meta_next(const char **p, cf_slice *name, cf_slice *value);
/* s3_meta_find -- a kept header's value; ptr NULL if absent. Points into m. */
cf_slice s3_meta_find(const store_meta *m, const char *name);
/* s3_meta_copy -- appends src's kept headers whose name keep() accepts to dst; false if one did not fit. */
bool s3_meta_copy(store_meta *dst, const store_meta *src, bool (*keep)(cf_slice name));
/* s3_meta_not_tagging -- keep() for every header but the tags. */
bool s3_meta_not_tagging(cf_slice name);
/* s3_meta_from_request -- content type and kept headers of the request into m. */
s3_err_code s3_meta_from_request(s3_req *r, store_meta *m);
/* s3_meta_set_type -- m's content type: ct, or S3's default binary/octet-stream if ct.ptr is NULL. */
void s3_meta_set_type(store_meta *m, cf_slice ct);
/*
 * s3_meta_field -- one request header or form field into m if an object
 * keeps it (x-amz-meta-*, the Content-* headers S3 returns, ...), adding
 * user metadata bytes to *user_bytes. S3_ERR_NONE, or MetadataTooLarge (it
 * does not fit, or user metadata passes 2 KiB).
 */
s3_err_code s3_meta_field(store_meta *m, cf_slice name, cf_slice value, size_t *user_bytes);

/* ---- copy.c ---- */

/*
 * s3_copy_source -- the object x-amz-copy-source names (its bucket and key
 * decoded into sbucket, skey; its meta into src), readable by the user and
 * passing the x-amz-copy-source-if-* conditions; otherwise answers the
 * error and returns -1.
 */
int s3_copy_source(s3_req *r, cf_buf *sbucket, cf_buf *skey, store_meta *src);

/* ---- handlers (one file per API family) ---- */

void s3_h_list_buckets(s3_req *r);
void s3_h_create_bucket(s3_req *r);
void s3_h_delete_bucket(s3_req *r);
void s3_h_head_bucket(s3_req *r);
void s3_h_bucket_location(s3_req *r);
void s3_h_bucket_versioning(s3_req *r);
void s3_h_bucket_acl(s3_req *r);
void s3_h_list_objects(s3_req *r);
void s3_h_list_objects_v2(s3_req *r);
void s3_h_list_versions(s3_req *r);
void s3_h_delete_objects(s3_req *r);
void s3_h_put_object(s3_req *r);
void s3_h_copy_object(s3_req *r);
void s3_h_get_object(s3_req *r);
void s3_h_delete_object(s3_req *r);
void s3_h_object_acl(s3_req *r);
void s3_h_get_tagging(s3_req *r);
void s3_h_put_tagging(s3_req *r);
void s3_h_delete_tagging(s3_req *r);
void s3_h_not_implemented(s3_req *r);
void s3_h_create_upload(s3_req *r);
void s3_h_upload_part(s3_req *r);
void s3_h_upload_part_copy(s3_req *r);
void s3_h_complete_upload(s3_req *r);
void s3_h_abort_upload(s3_req *r);
void s3_h_list_parts(s3_req *r);
void s3_h_list_uploads(s3_req *r);
void s3_h_admin(s3_req *r);
void s3_h_post_object(s3_req *r);

/* ---- post_object.c ---- */

/* s3_post_object_wanted -- is r a browser upload: POST to a bucket, no query, multipart/form-data?
 * Such a request carries its signature in the form: the router hands it over unauthenticated. */
bool s3_post_object_wanted(const s3_req *r);

/* ---- tagging.c ---- */

/* s3_tags_to_query -- a parsed Tagging document as the stored "k=v&k2=v2" form into q. */
int s3_tags_to_query(const s3_tagging *t, cf_buf *q);

/* ---- multipart.c ---- */

/* s3_upload_id_parse -- an upload id from its 32 hex digits; false if v is not one. */
bool s3_upload_id_parse(cf_slice v, uint8_t *id);
/* s3_part_number -- ?partNumber as 1..10000; otherwise answers InvalidArgument, returns -1. */
int s3_part_number(s3_req *r, uint32_t *out);
/* s3_upload_checksum -- the checksum algorithm an upload's (or a completed object's)
 * headers name, or -1; *full_object: its type is FULL_OBJECT. */
int s3_upload_checksum(const store_meta *up, bool *full_object);

#endif
