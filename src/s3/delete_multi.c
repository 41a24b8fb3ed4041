/*
 * delete_multi.c -- DeleteObjects: up to 1000 keys in one XML request.
 *
 * Each key is authorized (s3:DeleteObject) and deleted on its own (S3
 * gives no atomicity across keys) and reported as <Deleted> or <Error>; in
 * quiet mode only errors are listed.
 */
#include <string.h>

#include "s3/checksum.h"
#include "s3/s3_int.h"

/* POST /{bucket}?delete -- DeleteObjects */
void s3_h_delete_objects(s3_req *r)
{
    int rc = store_bucket_get(r->ctx->st, s3_bucket(r), &r->b);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        return;
    }
    /* without a policy the decision cannot depend on the key: made once for the request */
    if (!s3_expected_owner_ok(r, &r->b, "x-amz-expected-bucket-owner") ||
        (!r->b.policy_us &&
         !s3_authorize_other(r, S3_ACT_DELETE_OBJECT, &r->b, slice_make(NULL, 0), NULL))) {
        s3_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return;
    }
    cf_buf body = {0};
    s3_delete_req req = {0};
    s3_err_code err = s3_read_small_body(r, S3_XML_DELETE_MAX_BODY_BYTES, &body);
    if (err == S3_ERR_NONE)
        err = s3_xml_parse_delete(body.data, body.len, &req);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, req.message);
        goto out;
    }
    s3_doc_begin(r, "DeleteResult");
    const s3_delete_object *objs = s3_delete_req_objects(&req);
    for (size_t i = 0; i < req.n_objects; i++) {
        cf_slice key = s3_xml_span_get(&req.text, objs[i].key);
        cf_slice ver = s3_xml_span_get(&req.text, objs[i].version_id);
        s3_err_code code = S3_ERR_NONE;
        const char *msg = NULL;
        if (key.len == 0 || key.len > STORE_MAX_KEY_BYTES) {
            code = S3_ERR_INVALID_ARGUMENT;
            msg = "Invalid key";
        } else if (ver.ptr && !slice_eq(ver, slice_str("null"))) {
            code = S3_ERR_NO_SUCH_VERSION;
        } else if (!s3_authorize_other(r, S3_ACT_DELETE_OBJECT, &r->b, key, NULL)) {
            code = S3_ERR_ACCESS_DENIED; /* S3 authorizes each key on its own */
        } else {
            store_cond cond = {.origin = s3_origin(r)};
            rc = store_delete(r->ctx->st, s3_bucket(r), key, &cond);
            if (rc)
                code = s3_err_of(rc, S3_ERR_INTERNAL_ERROR); /* a full disk: InsufficientStorage */
        }
        if (code != S3_ERR_NONE) {
            s3_xml_open(&r->xw, "Error");
            s3_xml_elem(&r->xw, "Key", key.ptr ? key : slice_make("", 0));
            s3_xml_elem_str(&r->xw, "Code", s3_err_name(code));
            s3_xml_elem_str(&r->xw, "Message", msg ? msg : s3_err_message(code));
            s3_xml_close(&r->xw);
        } else if (!req.quiet) {
            s3_xml_open(&r->xw, "Deleted");
            s3_xml_elem(&r->xw, "Key", key);
            s3_xml_close(&r->xw);
        }
    }
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
out:
    s3_delete_req_free(&req);
    buf_free(&body);
}
