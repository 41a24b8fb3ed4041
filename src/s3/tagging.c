/*
 * tagging.c -- object tagging: GetObjectTagging, PutObjectTagging,
 * DeleteObjectTagging.
 *
 * Tags live with the object's kept headers as "x-amz-tagging: k=v&k2=v2"
 * (the query-string form S3's x-amz-tagging request header uses), so a PUT
 * with that header, PutObjectTagging and a POST form's tagging field
 * (s3_tags_to_query) store the same thing.
 */
#include <stdlib.h>
#include <string.h>

#include "s3/s3_int.h"

/* object_for_tags -- bucket access and the object's metadata; answers errors itself. */
static int object_for_tags(s3_req *r, store_meta *m)
{
    int rc = store_head(r->ctx->st, s3_bucket(r), s3_key(r), m);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
        return -1;
    }
    return 0;
}

/* set_tags -- m's headers without x-amz-tagging, plus tags (if not empty), stored. */
static int set_tags(s3_req *r, const store_meta *m, cf_slice tags)
{
    store_meta *n = calloc(1, sizeof *n);
    if (!n)
        return CF_ENOMEM;
    int rc = 0;
    store_cond cond = {.origin = s3_origin(r)};
    s3_meta_copy(n, m, s3_meta_not_tagging);
    if (tags.len && !s3_meta_add(n, slice_str("x-amz-tagging"), tags))
        rc = CF_ELIMIT;
    if (!rc)
        rc = store_set_headers(r->ctx->st, s3_bucket(r), s3_key(r), n->headers, &cond);
    free(n);
    return rc;
}

int s3_tags_to_query(const s3_tagging *t, cf_buf *q)
{
    int rc = 0;
    buf_clear(q);
    for (size_t i = 0; rc == 0 && i < t->n_tags; i++) {
        if (i)
            rc = buf_append(q, "&", 1);
        if (!rc)
            rc = http_pct_encode(q, s3_xml_span_get(&t->text, t->tags[i].key), false);
        if (!rc)
            rc = buf_append(q, "=", 1);
        if (!rc)
            rc = http_pct_encode(q, s3_xml_span_get(&t->text, t->tags[i].value), false);
    }
    return rc;
}

/* GET /{bucket}/{key}?tagging -- GetObjectTagging */
void s3_h_get_tagging(s3_req *r)
{
    store_meta *m = calloc(1, sizeof *m);
    cf_buf name = {0}, value = {0};
    if (!m || object_for_tags(r, m))
        goto out;
    s3_doc_begin(r, "Tagging");
    s3_xml_open(&r->xw, "TagSet");
    cf_slice q = s3_meta_find(m, "x-amz-tagging"), k, v;
    while (q.ptr && http_query_next(&q, &k, &v) == 1) {
        http_pct_decode(k, &name, true);
        if (v.ptr)
            http_pct_decode(v, &value, true);
        else
            buf_clear(&value);
        s3_xml_open(&r->xw, "Tag");
        s3_xml_elem(&r->xw, "Key", buf_slice(&name));
        s3_xml_elem(&r->xw, "Value", buf_slice(&value));
        s3_xml_close(&r->xw);
    }
    s3_xml_close(&r->xw);
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
out:
    if (!m)
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    buf_free(&name);
    buf_free(&value);
    free(m);
}

/* PUT /{bucket}/{key}?tagging -- PutObjectTagging */
void s3_h_put_tagging(s3_req *r)
{
    store_meta *m = calloc(1, sizeof *m);
    cf_buf body = {0}, q = {0};
    s3_tagging t;
    memset(&t, 0, sizeof t);
    if (!m) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    if (object_for_tags(r, m))
        goto out;
    s3_err_code err = s3_read_small_body(r, S3_XML_TAGGING_MAX_BODY_BYTES, &body);
    if (err == S3_ERR_NONE)
        err = s3_xml_parse_tagging(body.data, body.len, S3_XML_MAX_OBJECT_TAGS, &t);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, t.message);
        goto out;
    }
    int rc = s3_tags_to_query(&t, &q);
    if (!rc)
        rc = set_tags(r, m, buf_slice(&q));
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
        goto out;
    }
    s3_respond_empty(r, 200, NULL, 0);
out:
    s3_tagging_free(&t);
    buf_free(&body);
    buf_free(&q);
    free(m);
}

/* DELETE /{bucket}/{key}?tagging -- DeleteObjectTagging */
void s3_h_delete_tagging(s3_req *r)
{
    store_meta *m = calloc(1, sizeof *m);
    if (!m) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    if (object_for_tags(r, m) == 0) {
        int rc = set_tags(r, m, slice_make("", 0));
        if (rc)
            s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
        else
            s3_respond_empty(r, 204, NULL, 0);
    }
    free(m);
}
