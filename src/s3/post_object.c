/*
 * post_object.c -- PostObject: POST /{bucket} with a multipart/form-data
 * body, the upload an HTML form (or an SDK's presigned POST) makes.
 *
 * The router hands such a request over before authenticating it: its
 * signature is a form field, over the form's policy, not over the request.
 * The form is read through the http layer's decoder (http_form_*) up to the
 * part named "file"; the fields before it are kept (at most 20 KiB, the
 * decoder's bound), repeated names joined with ',' and ${filename} replaced
 * by the file's name (post_form.h). Then, in this order: the signature and
 * the policy (post_auth.c, post_policy.c), the one access decision
 * (s3_authorize: s3:PutObject), the fields' meaning, and the file, streamed into a
 * store writer exactly as PutObject's body is (s3_receive_from), bounded by
 * the policy's content-length-range and S3's 5 GiB. The rest of the form
 * is read to its close delimiter (fields after the file are ignored; a
 * second file is refused) before anything commits. Wire format and
 * messages: doc/formats.md ("POST Object: the form and its policy").
 *
 * Invariants:
 *  (1) nothing is stored unless the signature, the policy, the access
 *      decision, every check of the file's bytes and the whole form's
 *      framing passed: the writer commits last, and is aborted on every
 *      other path;
 *  (2) memory is bounded whatever the file's size: the fields are at most
 *      HTTP_FORM_MAX_FIELD_BYTES (POST_MAX_EXPANDED_BYTES after ${filename}),
 *      the body is read POST_IN_BYTES at a time, the file goes to the store
 *      writer as it arrives;
 *  (3) a field this server does not implement (grants, encryption, object
 *      lock, a website redirect, a storage class other than STANDARD, any
 *      other x-amz-* field it does not know) is refused with NotImplemented,
 *      never silently ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3/post_form.h"

/* The fields after ${filename} is replaced: 20 KiB of fields hold few of them, but
 * each may grow by a whole file name; past this the form is refused as too large. */
#define POST_MAX_EXPANDED_BYTES (64u * 1024)

static bool ci_eq(cf_slice a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && strncasecmp((const char *)a.ptr, b, n) == 0;
}

bool s3_post_object_wanted(const s3_req *r)
{
    return slice_eq(r->hr->method, slice_str("POST")) && s3_bucket(r).len > 0 &&
           s3_key(r).len == 0 && r->n_params == 0 &&
           s3_starts_with_ci(s3_header(r, "content-type"), "multipart/form-data");
}

cf_slice s3_post_form_get(const s3_post_form *pf, const char *name)
{
    for (size_t i = 0; i < pf->n_view; i++)
        if (ci_eq(pf->view[i].name, name))
            return pf->view[i].value;
    return slice_make(NULL, 0);
}

static cf_slice field_get(void *arg, const char *name)
{
    return s3_post_form_get(arg, name);
}

/* next -- feeds the decoder until it reports data or an event, reading the body as needed. */
static s3_err_code next(s3_post_form *pf, const uint8_t **data, size_t *len, int *ev)
{
    for (;;) {
        int used =
            http_form_feed(&pf->form, pf->in + pf->in_off, pf->in_len - pf->in_off, data, len, ev);
        if (used < 0)
            return used == CF_ELIMIT ? S3_ERR_MAX_POST_PRE_DATA_LENGTH_EXCEEDED
                                     : S3_ERR_MALFORMED_POST_REQUEST;
        pf->in_off += (size_t)used;
        if (*len > 0 || *ev != HTTP_FORM_EV_NONE)
            return S3_ERR_NONE;
        if (pf->in_off < pf->in_len)
            continue; /* header bytes consumed; more in the buffer */
        if (pf->eof)
            return S3_ERR_MALFORMED_POST_REQUEST; /* the body ended inside the form */
        ssize_t n = http_exchange_read_body(pf->r->ex, pf->in, sizeof pf->in);
        if (n < 0)
            return n == CF_EAGAIN ? S3_ERR_REQUEST_TIMEOUT : S3_ERR_INCOMPLETE_BODY;
        pf->in_off = 0;
        pf->in_len = (size_t)n;
        pf->eof = n == 0;
    }
}

/* is_file -- is the part that just began the upload's file? */
static bool is_file(const http_form *f)
{
    return f->form_data && f->has_name && ci_eq(slice_make(f->name, f->name_len), "file");
}

/*
 * read_fields -- the parts before the file into pf->fields; stops at the
 * file part's headers (pf->have_file) or at the end of the form.
 */
static s3_err_code read_fields(s3_post_form *pf)
{
    s3_post_form_field *cur = NULL;
    for (;;) {
        const uint8_t *data;
        size_t len;
        int ev;
        s3_err_code err = next(pf, &data, &len, &ev);
        if (err != S3_ERR_NONE)
            return err;
        if (len > 0 && cur) { /* the current field's value: always the tail of text */
            if (buf_append(&pf->text, data, len) != 0)
                return S3_ERR_INTERNAL_ERROR;
            cur->value_len += (uint32_t)len;
        }
        if (ev == HTTP_FORM_EV_DONE)
            return S3_ERR_NONE;
        if (ev != HTTP_FORM_EV_PART)
            continue;
        http_form *f = &pf->form;
        if (!f->has_name || f->name_len == 0)
            return S3_ERR_MALFORMED_POST_REQUEST; /* RFC 7578 4.2: every part is named */
        if (is_file(f)) {
            const char *base = f->filename;
            for (size_t i = 0; i < f->filename_len; i++)
                if (f->filename[i] == '/' || f->filename[i] == '\\')
                    base = f->filename + i + 1; /* a browser's path: its last component */
            pf->filename_len = (uint16_t)(f->filename + f->filename_len - base);
            memcpy(pf->filename, base, pf->filename_len);
            pf->has_filename = f->has_filename;
            pf->have_file = true;
            f->stream = true; /* invariant (2) */
            return S3_ERR_NONE;
        }
        cur = &pf->fields[pf->n_fields++]; /* n_parts <= HTTP_FORM_MAX_PARTS */
        cur->name_off = (uint32_t)pf->text.len;
        cur->name_len = f->name_len;
        if (buf_append(&pf->text, f->name, f->name_len) != 0)
            return S3_ERR_INTERNAL_ERROR;
        cur->value_off = (uint32_t)pf->text.len;
        cur->value_len = 0;
    }
}

/* expands -- does ${filename} in this field's value get replaced? (Not in what is signed.) */
static bool expands(cf_slice name)
{
    return !ci_eq(name, "policy") && !ci_eq(name, "x-amz-signature") && !ci_eq(name, "signature");
}

/* put -- n bytes into merged, never past POST_MAX_EXPANDED_BYTES (so never past its
 * reservation: the views already taken stay valid). 0, CF_ELIMIT or CF_ENOMEM. */
static int put(s3_post_form *pf, const void *p, size_t n)
{
    if (pf->merged.len + n > POST_MAX_EXPANDED_BYTES)
        return CF_ELIMIT; /* invariant (2) */
    return buf_append(&pf->merged, p, n);
}

/* put_value -- v into merged, ${filename} replaced when the file part named one. */
static int put_value(s3_post_form *pf, cf_slice v, bool expand)
{
    static const char var[] = "${filename}";
    size_t i = 0, start = 0;
    int rc = 0;
    while (expand && pf->has_filename && i + 11 <= v.len) {
        if (memcmp(v.ptr + i, var, 11) != 0) {
            i++;
            continue;
        }
        rc = put(pf, v.ptr + start, i - start);
        if (!rc)
            rc = put(pf, pf->filename, pf->filename_len);
        if (rc)
            return rc;
        i += 11;
        start = i;
    }
    return put(pf, v.ptr + start, v.len - start);
}

/*
 * merge -- pf->view: each name once (the first spelling), its values joined
 * with ',' in order, ${filename} replaced. Views point into merged, which is
 * reserved up front so it never moves while they are taken.
 */
static s3_err_code merge(s3_post_form *pf)
{
    if (buf_reserve(&pf->merged, POST_MAX_EXPANDED_BYTES) != 0)
        return S3_ERR_INTERNAL_ERROR;
    bool done[HTTP_FORM_MAX_PARTS] = {false};
    for (size_t i = 0; i < pf->n_fields; i++) {
        if (done[i])
            continue;
        const s3_post_form_field *a = &pf->fields[i];
        cf_slice name = slice_make(pf->text.data + a->name_off, a->name_len);
        size_t start = pf->merged.len;
        int rc = 0;
        for (size_t k = i; rc == 0 && k < pf->n_fields; k++) {
            const s3_post_form_field *b = &pf->fields[k];
            if (done[k] || b->name_len != name.len ||
                strncasecmp((const char *)pf->text.data + b->name_off, (const char *)name.ptr,
                            name.len) != 0)
                continue;
            done[k] = true;
            if (pf->merged.len > start)
                rc = put(pf, ",", 1);
            if (!rc)
                rc = put_value(pf, slice_make(pf->text.data + b->value_off, b->value_len),
                               expands(name));
        }
        if (rc)
            return rc == CF_ELIMIT ? S3_ERR_MAX_POST_PRE_DATA_LENGTH_EXCEEDED
                                   : S3_ERR_INTERNAL_ERROR;
        pf->view[pf->n_view++] =
            (s3_post_field){name, slice_make(pf->merged.data + start, pf->merged.len - start)};
    }
    return S3_ERR_NONE;
}

/* refused -- the first field this server does not implement (invariant (3)), or NULL. */
static const char *refused(const s3_post_form *pf, char *why, size_t cap)
{
    static const char *const known[] = {
        "x-amz-algorithm",       "x-amz-credential",         "x-amz-date",
        "x-amz-signature",       "x-amz-checksum-algorithm", "x-amz-checksum-crc32",
        "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1",
        "x-amz-checksum-sha256", "x-amz-storage-class",      "x-amz-website-redirect-location"};
    for (size_t i = 0; i < pf->n_view; i++) {
        cf_slice n = pf->view[i].name, v = pf->view[i].value;
        const char *what = NULL;
        if (ci_eq(n, "x-amz-website-redirect-location"))
            what = "website redirects";
        else if (ci_eq(n, "x-amz-storage-class") && !slice_eq(v, slice_str("STANDARD")))
            what = "a storage class other than STANDARD";
        else if (s3_starts_with_ci(n, "x-amz-server-side-encryption"))
            what = "server-side encryption";
        else if (s3_starts_with_ci(n, "x-amz-object-lock-"))
            what = "object lock";
        else if (s3_starts_with_ci(n, "x-amz-grant-"))
            what = "ACL grants";
        else if (s3_starts_with_ci(n, "x-amz-") && !s3_starts_with_ci(n, "x-amz-meta-")) {
            bool ok = false;
            for (size_t k = 0; !ok && k < sizeof known / sizeof known[0]; k++)
                ok = ci_eq(n, known[k]);
            if (!ok)
                what = "this field";
        }
        if (what) {
            snprintf(why, cap, "The POST form field %.*s (%s) is not implemented.",
                     (int)(n.len < 128 ? n.len : 128), (const char *)n.ptr, what);
            return why;
        }
    }
    return NULL;
}

/*
 * object_meta -- the new object's meta and checksum from the fields;
 * S3_ERR_NONE or the error to answer (msg: its message, or "").
 */
static s3_err_code object_meta(s3_post_form *pf, store_meta *m, s3_put_check *chk, char *msg,
                               size_t cap)
{
    msg[0] = '\0';
    s3_meta_set_type(m, s3_post_form_get(pf, "content-type"));
    size_t user_bytes = 0;
    for (size_t i = 0; i < pf->n_view; i++) {
        s3_err_code err = s3_meta_field(m, pf->view[i].name, pf->view[i].value, &user_bytes);
        if (err != S3_ERR_NONE)
            return err;
    }
    cf_slice tagging = s3_post_form_get(pf, "tagging");
    if (tagging.ptr) {
        s3_tagging t;
        cf_buf q = {0};
        memset(&t, 0, sizeof t);
        s3_err_code err =
            s3_xml_parse_tagging(tagging.ptr, tagging.len, S3_XML_MAX_OBJECT_TAGS, &t);
        if (err != S3_ERR_NONE && t.message)
            snprintf(msg, cap, "%s", t.message);
        if (err == S3_ERR_NONE && s3_tags_to_query(&t, &q) != 0)
            err = S3_ERR_INTERNAL_ERROR;
        if (err == S3_ERR_NONE && q.len &&
            !s3_meta_add(m, slice_str("x-amz-tagging"), buf_slice(&q)))
            err = S3_ERR_METADATA_TOO_LARGE;
        s3_tagging_free(&t);
        buf_free(&q);
        if (err != S3_ERR_NONE)
            return err;
    }
    s3_err_code err = s3_find_check_in(field_get, pf, chk);
    if (err != S3_ERR_NONE) {
        snprintf(msg, cap, "Expecting a single x-amz-checksum- field.");
        return err;
    }
    cf_slice named = s3_post_form_get(pf, "x-amz-checksum-algorithm");
    if (named.ptr) {
        int alg = s3_ck_from_name(named);
        if (alg <= S3_CK_MD5) {
            snprintf(msg, cap, "Value for x-amz-checksum-algorithm is invalid.");
            return S3_ERR_INVALID_REQUEST;
        }
        if (chk->alg != alg) { /* S3: the algorithm needs its value in the form */
            snprintf(msg, cap, "x-amz-checksum-algorithm %s requires the field %s.",
                     s3_ck_name((s3_ck_alg)alg), s3_ck_header((s3_ck_alg)alg));
            return S3_ERR_INVALID_REQUEST;
        }
    }
    return S3_ERR_NONE;
}

/* form_read -- the file part's data, for s3_receive_from (an s3_source). */
static ssize_t form_read(void *arg, void *buf, size_t cap, s3_err_code *err)
{
    s3_post_form *pf = arg;
    *err = S3_ERR_NONE;
    for (;;) {
        if (pf->pend_len > 0) {
            size_t n = pf->pend_len < cap ? pf->pend_len : cap;
            memcpy(buf, pf->pend, n);
            pf->pend += n;
            pf->pend_len -= n;
            return (ssize_t)n;
        }
        if (pf->file_ended)
            return 0;
        int ev;
        *err = next(pf, &pf->pend, &pf->pend_len, &ev);
        if (*err != S3_ERR_NONE)
            return -1;
        pf->file_ended = ev == HTTP_FORM_EV_PART_END;
    }
}

/* finish_form -- the rest of the form, to its close delimiter: fields ignored, no second file. */
static s3_err_code finish_form(s3_post_form *pf)
{
    for (;;) {
        const uint8_t *data;
        size_t len;
        int ev;
        s3_err_code err = next(pf, &data, &len, &ev);
        if (err != S3_ERR_NONE || ev == HTTP_FORM_EV_DONE)
            return err;
        if (ev == HTTP_FORM_EV_PART) {
            if (is_file(&pf->form))
                return S3_ERR_INCORRECT_NUMBER_OF_FILES_IN_POST_REQUEST;
            pf->form.stream = true; /* ignored: not counted, not kept */
        }
    }
}

/* form_encode -- s as application/x-www-form-urlencoded (space '+', the rest %XX) into out. */
static int form_encode(cf_buf *out, cf_slice s)
{
    int rc = 0;
    size_t start = 0;
    for (size_t i = 0; rc == 0 && i <= s.len; i++) {
        if (i < s.len && s.ptr[i] != ' ')
            continue;
        rc = http_pct_encode(out, slice_make(s.ptr + start, i - start), false);
        if (!rc && i < s.len)
            rc = buf_append(out, "+", 1);
        start = i + 1;
    }
    return rc;
}

/* redirect_url -- success_action_redirect (or redirect) with bucket, key and etag added;
 * false when there is none S3 would follow (not absolute http(s), or not a header value). */
static bool redirect_url(s3_post_form *pf, const char *etag, cf_buf *out)
{
    cf_slice url = s3_post_form_get(pf, "success_action_redirect");
    if (!url.ptr)
        url = s3_post_form_get(pf, "redirect");
    if (!url.ptr || !(s3_starts_with_ci(url, "http://") || s3_starts_with_ci(url, "https://")))
        return false;
    for (size_t i = 0; i < url.len; i++)
        if (url.ptr[i] < 0x20 || url.ptr[i] == 0x7f)
            return false;
    char quoted[96];
    snprintf(quoted, sizeof quoted, "\"%s\"", etag);
    bool query = memchr(url.ptr, '?', url.len) != NULL;
    int rc = buf_append(out, url.ptr, url.len);
    if (!rc)
        rc = buf_append(out, query ? "&bucket=" : "?bucket=", 8);
    if (!rc)
        rc = form_encode(out, s3_bucket(pf->r));
    if (!rc)
        rc = buf_append(out, "&key=", 5);
    if (!rc)
        rc = form_encode(out, s3_key(pf->r));
    if (!rc)
        rc = buf_append(out, "&etag=", 6);
    if (!rc)
        rc = form_encode(out, slice_str(quoted));
    return rc == 0;
}

/* location -- the new object's URL: http://host[/bucket]/key, the key's '/' encoded as S3 does. */
static int location(s3_req *r, cf_buf *out)
{
    bool vhost = r->hr->path.len == 1; /* "/": the bucket was in the Host */
    int rc = buf_append(out, "http://", 7);
    cf_slice host = s3_header(r, "host");
    for (size_t i = 0; i < host.len; i++)
        if (host.ptr[i] < 0x21 || host.ptr[i] == 0x7f)
            host.len = 0; /* not a header value we can repeat */
    if (!rc)
        rc = buf_append(out, host.ptr, host.len);
    if (!rc && !vhost) {
        rc = buf_append(out, "/", 1);
        if (!rc)
            rc = http_pct_encode(out, s3_bucket(r), false);
    }
    if (!rc)
        rc = buf_append(out, "/", 1);
    if (!rc)
        rc = http_pct_encode(out, s3_key(r), false);
    return rc;
}

/* respond -- 303 to the redirect, else success_action_status: 200, 201 (PostResponse) or 204. */
static void respond(s3_post_form *pf, const store_meta *m, const char *checksum_b64, int alg)
{
    s3_req *r = pf->r;
    char etag[96];
    snprintf(etag, sizeof etag, "\"%s\"", m->etag);
    cf_buf loc = {0}, redirect = {0};
    http_header h[3];
    size_t n = 0;
    h[n++] = (http_header){slice_str("ETag"), slice_str(etag)};
    if (alg >= 0)
        h[n++] = (http_header){slice_str(s3_ck_header((s3_ck_alg)alg)), slice_str(checksum_b64)};
    if (redirect_url(pf, m->etag, &redirect)) {
        h[n++] = (http_header){slice_str("Location"), buf_slice(&redirect)};
        s3_respond_empty(r, 303, h, n);
        goto out;
    }
    if (location(r, &loc) != 0) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    h[n++] = (http_header){slice_str("Location"), buf_slice(&loc)};
    cf_slice status = s3_post_form_get(pf, "success_action_status");
    if (slice_eq(status, slice_str("201"))) {
        buf_clear(&r->out); /* S3's PostResponse has no namespace */
        s3_xml_writer_init(&r->xw, &r->out);
        s3_xml_decl(&r->xw);
        s3_xml_open(&r->xw, "PostResponse");
        s3_xml_elem(&r->xw, "Location", buf_slice(&loc));
        s3_xml_elem(&r->xw, "Bucket", s3_bucket(r));
        s3_xml_elem(&r->xw, "Key", s3_key(r));
        s3_xml_elem_str(&r->xw, "ETag", etag);
        s3_xml_close(&r->xw);
        if (s3_xml_writer_finish(&r->xw) != 0)
            s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        else
            s3_respond_xml(r, 201, h, n);
    } else {
        s3_respond_empty(r, slice_eq(status, slice_str("200")) ? 200 : 204, h, n);
    }
out:
    buf_free(&loc);
    buf_free(&redirect);
}

/* set_key -- the key field as r's key; answers the error itself. */
static int set_key(s3_post_form *pf)
{
    s3_req *r = pf->r;
    cf_slice key = s3_post_form_get(pf, "key");
    if (!key.ptr) {
        s3_post_missing(r, "key");
        return -1;
    }
    buf_clear(&r->key);
    if (buf_append(&r->key, key.ptr, key.len) != 0 || buf_append(&r->key, "", 1) != 0) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return -1;
    }
    return 0;
}

/* check_key -- S3's rules for the key, once access is decided; answers the error itself. */
static int check_key(s3_req *r)
{
    cf_slice key = s3_key(r);
    if (key.len == 0)
        s3_post_bad_argument(r, "User key must have a length greater than 0.", "key", key);
    else if (key.len > STORE_MAX_KEY_BYTES)
        s3_error(r, S3_ERR_KEY_TOO_LONG, NULL);
    else if (memchr(key.ptr, 0, key.len))
        s3_error(r, S3_ERR_INVALID_ARGUMENT, "Object keys cannot contain a NUL byte.");
    else
        return 0;
    return -1;
}

/* POST /{bucket} (Content-Type: multipart/form-data) -- PostObject */
void s3_h_post_object(s3_req *r)
{
    s3_post_form *pf = calloc(1, sizeof *pf);
    store_meta *m = calloc(1, sizeof *m);
    store_writer *w = NULL;
    char msg[256];
    if (!pf || !m) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    pf->r = r;
    s3_err_code err = S3_ERR_MALFORMED_POST_REQUEST; /* no boundary, or not form-data */
    if (http_form_begin(&pf->form, s3_header(r, "content-type")) == 0)
        err = read_fields(pf);
    if (err == S3_ERR_NONE)
        err = merge(pf);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, NULL);
        goto out;
    }
    if (!pf->have_file) {
        s3_err_field extra[2] = {{"ArgumentName", slice_str("file")},
                                 {"ArgumentValue", slice_str("0")}};
        s3_error_with(r, S3_ERR_INVALID_ARGUMENT,
                        "POST requires exactly one file upload per request.", extra, 2);
        goto out;
    }
    uint64_t min_len, max_len;
    if (set_key(pf) != 0 || s3_post_authenticate(pf, &min_len, &max_len) != 0)
        goto out;
    /* the one access decision (authz.c): the form's signer, or anonymous; a policy's
     * s3:x-amz-acl condition sees the form's acl field */
    r->form_acl = s3_post_form_get(pf, "acl");
    r->post_tagging = s3_post_form_get(pf, "tagging").ptr != NULL;
    if (s3_authorize(r, S3_ACT_PUT_OBJECT) != 0)
        goto out;
    if (check_key(r) != 0)
        goto out;
    if (refused(pf, msg, sizeof msg)) {
        s3_error(r, S3_ERR_NOT_IMPLEMENTED, msg);
        goto out;
    }
    s3_put_check chk;
    err = object_meta(pf, m, &chk, msg, sizeof msg);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, msg[0] ? msg : NULL);
        goto out;
    }
    if (s3_acl_for_write(r, m) != 0)
        goto out;
    int rc = store_put_begin(r->ctx->st, s3_bucket(r), s3_key(r), &w);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        goto out;
    }
    uint64_t max = max_len < S3_MAX_PUT_BYTES ? max_len : S3_MAX_PUT_BYTES;
    s3_source src = {form_read, NULL, pf, HTTP_NO_LENGTH, s3_post_form_get(pf, "content-md5")};
    s3_received got;
    err = s3_receive_from(&src, w, &chk, -1, max, &got);
    char num[2][24];
    if (err == S3_ERR_ENTITY_TOO_LARGE && max == max_len) {
        snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)max_len);
        s3_err_field extra = {"MaxSizeAllowed", slice_str(num[0])};
        s3_error_with(r, err, "Your proposed upload exceeds the maximum allowed size", &extra, 1);
        goto out;
    }
    if (err == S3_ERR_NONE && got.size < min_len) {
        snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)got.size);
        snprintf(num[1], sizeof num[1], "%llu", (unsigned long long)min_len);
        s3_err_field extra[2] = {{"ProposedSize", slice_str(num[0])},
                                 {"MinSizeAllowed", slice_str(num[1])}};
        s3_error_with(r, S3_ERR_ENTITY_TOO_SMALL,
                        "Your proposed upload is smaller than the minimum allowed size", extra, 2);
        goto out;
    }
    if (err == S3_ERR_NONE)
        err = finish_form(pf);
    char b64[64];
    if (err == S3_ERR_NONE)
        err = s3_meta_received(m, &got, b64, sizeof b64);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, NULL);
        goto out;
    }
    store_cond cond;
    memset(&cond, 0, sizeof cond);
    cond.origin = s3_origin(r);
    rc = store_put_commit(w, m, &cond); /* invariant (1): last */
    w = NULL;
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        goto out;
    }
    respond(pf, m, b64, got.alg);
out:
    store_put_abort(w);
    if (pf) {
        buf_free(&pf->text);
        buf_free(&pf->merged);
    }
    free(pf);
    free(m);
}
