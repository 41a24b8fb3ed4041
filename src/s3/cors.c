/*
 * cors.c -- bucket CORS: PutBucketCors, GetBucketCors, DeleteBucketCors
 * (PUT/GET/DELETE /{bucket}?cors), the preflight answer (OPTIONS, before
 * authentication: router.c) and the Access-Control-* headers of actual
 * requests (s3_cors_prepare, called by the one place responses start:
 * request.c s3_respond_head).
 *
 * The rules are one bucket attribute (store.h STORE_BUCKET_CORS) in the line
 * form xml_parse_cors.c writes and cors.h's matcher reads (doc/formats.md,
 * "Bucket CORS"). A request without Origin costs nothing here: nothing is
 * read. One with Origin costs one read of the bucket row, skipped when
 * authz.c already read the row and it has no rules.
 *
 * Invariants: cors.h (1)-(2); a preflight is answered from the rules alone,
 * never authenticated or authorized (as S3: the browser sends no
 * credentials with it), and its answer carries no other bucket data.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "s3/cors.h"
#include "s3/s3_int.h"

/* next_line -- the next "<tag><value>\n" of *rest: false at its end. */
static bool next_line(cf_slice *rest, char *tag, cf_slice *value)
{
    if (rest->len < 2)
        return false;
    const uint8_t *nl = memchr(rest->ptr, '\n', rest->len);
    size_t end = nl ? (size_t)(nl - rest->ptr) : rest->len;
    *tag = (char)rest->ptr[0];
    *value = slice_make(rest->ptr + 1, end - 1);
    size_t skip = nl ? end + 1 : end;
    *rest = slice_make(rest->ptr + skip, rest->len - skip);
    return true;
}

/* next_rule -- the lines of the next rule of *rest (after its "R" line); false at the end. */
static bool next_rule(cf_slice *rest, cf_slice *rule)
{
    char tag;
    cf_slice v;
    while (next_line(rest, &tag, &v))
        if (tag == 'R') {
            const uint8_t *start = rest->ptr;
            cf_slice look = *rest;
            cf_slice before = look;
            while (next_line(&look, &tag, &v) && tag != 'R')
                before = look;
            *rule = slice_make(start, (size_t)(before.ptr - start));
            *rest = before;
            return true;
        }
    return false;
}

bool s3_cors_valid(cf_slice enc)
{
    static const char *const methods[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};
    char tag;
    cf_slice v;
    int rules = 0, origins = 0, n_methods = 0;
    if (enc.len == 0 || enc.ptr[enc.len - 1] != '\n')
        return false;
    while (next_line(&enc, &tag, &v)) {
        if (tag == 'R') {
            if (rules && (!origins || !n_methods))
                return false;
            rules++;
            origins = n_methods = 0;
        } else if (!rules || !strchr("IOMHEA", tag)) {
            return false;
        } else if (tag == 'O') {
            origins++;
        } else if (tag == 'M') {
            bool known = false;
            for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
                known = known || slice_eq(v, slice_str(methods[i]));
            if (!known)
                return false;
            n_methods++;
        }
    }
    return rules > 0 && origins > 0 && n_methods > 0;
}

static bool byte_eq(uint8_t a, uint8_t b, bool ci)
{
    if (ci) {
        a = (uint8_t)(a >= 'A' && a <= 'Z' ? a + 32 : a);
        b = (uint8_t)(b >= 'A' && b <= 'Z' ? b + 32 : b);
    }
    return a == b;
}

bool s3_cors_wildcard(cf_slice pat, cf_slice s, bool ci)
{
    const uint8_t *star = pat.len ? memchr(pat.ptr, '*', pat.len) : NULL;
    size_t pre = star ? (size_t)(star - pat.ptr) : pat.len;
    size_t suf = star ? pat.len - pre - 1 : 0;
    if (star ? s.len < pre + suf : s.len != pat.len)
        return false;
    for (size_t i = 0; i < pre; i++)
        if (!byte_eq(pat.ptr[i], s.ptr[i], ci))
            return false;
    for (size_t i = 0; i < suf; i++)
        if (!byte_eq(pat.ptr[pre + 1 + i], s.ptr[s.len - suf + i], ci))
            return false;
    return true;
}

/* next_name -- the next name of a comma-separated list, blanks trimmed; false at the end. */
static bool next_name(cf_slice *list, cf_slice *name)
{
    while (list->len) {
        size_t i = 0;
        while (i < list->len && list->ptr[i] != ',')
            i++;
        cf_slice n = slice_make(list->ptr, i);
        size_t skip = i < list->len ? i + 1 : i;
        *list = slice_make(list->ptr + skip, list->len - skip);
        while (n.len && (n.ptr[0] == ' ' || n.ptr[0] == '\t'))
            n = slice_make(n.ptr + 1, n.len - 1);
        while (n.len && (n.ptr[n.len - 1] == ' ' || n.ptr[n.len - 1] == '\t'))
            n.len--;
        if (n.len) {
            *name = n;
            return true;
        }
    }
    return false;
}

/* has_line -- does rule hold a tag line matching s (by wildcard when wild)? */
static bool has_line(cf_slice rule, char want, cf_slice s, bool wild, bool ci, cf_slice *which)
{
    char tag;
    cf_slice v;
    while (next_line(&rule, &tag, &v))
        if (tag == want && (wild ? s3_cors_wildcard(v, s, ci) : slice_eq(v, s))) {
            if (which)
                *which = v;
            return true;
        }
    return false;
}

bool s3_cors_match(cf_slice enc, cf_slice origin, cf_slice method, cf_slice req_headers,
                   s3_cors_rule *out)
{
    cf_slice rule, which = {0};
    memset(out, 0, sizeof *out);
    while (next_rule(&enc, &rule)) {
        if (!has_line(rule, 'O', origin, true, false, &which) ||
            !has_line(rule, 'M', method, false, false, NULL))
            continue;
        cf_slice list = req_headers, name;
        bool all = true;
        while (all && next_name(&list, &name))
            all = has_line(rule, 'H', name, true, true, NULL);
        if (!all)
            continue;
        out->lines = rule;
        out->any_origin = slice_eq(which, slice_str("*"));
        return true;
    }
    return false;
}

/* join -- appends rule's tag values, ", "-separated, and a NUL; *off where they start. */
static int join(cf_buf *vals, cf_slice rule, char want, size_t *off, size_t *count)
{
    char tag;
    cf_slice v;
    int rc = 0;
    *off = vals->len;
    *count = 0;
    while (rc == 0 && next_line(&rule, &tag, &v))
        if (tag == want) {
            if ((*count)++)
                rc = buf_append(vals, ", ", 2);
            if (!rc)
                rc = buf_append(vals, v.ptr, v.len);
        }
    return rc ? rc : buf_append(vals, "", 1);
}

int s3_cors_headers(const s3_cors_rule *rule, cf_slice origin, bool preflight,
                    cf_slice req_headers, cf_buf *vals, http_header *h, size_t *n)
{
    enum { ORIGIN, METHODS, ALLOW, EXPOSE, AGE, NV };
    size_t off[NV], count[NV];
    memset(count, 0, sizeof count);
    buf_clear(vals);
    *n = 0;
    int rc = 0;
    off[ORIGIN] = 0;
    if (rule->any_origin)
        rc = buf_append(vals, "*", 2);
    else if (!(rc = buf_append(vals, origin.ptr, origin.len)))
        rc = buf_append(vals, "", 1);
    if (!rc)
        rc = join(vals, rule->lines, 'M', &off[METHODS], &count[METHODS]);
    off[ALLOW] = vals->len;
    cf_slice list = req_headers, name;
    while (!rc && preflight && next_name(&list, &name)) { /* lowercased, as S3 */
        if (count[ALLOW]++)
            rc = buf_append(vals, ", ", 2);
        for (size_t i = 0; !rc && i < name.len; i++) {
            uint8_t c = name.ptr[i];
            c = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            rc = buf_append(vals, &c, 1);
        }
    }
    if (!rc)
        rc = buf_append(vals, "", 1);
    if (!rc)
        rc = join(vals, rule->lines, 'E', &off[EXPOSE], &count[EXPOSE]);
    if (!rc)
        rc = join(vals, rule->lines, 'A', &off[AGE], &count[AGE]);
    if (rc)
        return rc;
    /* invariant (2): vals is complete; only now are views taken */
    const char *v = (const char *)vals->data;
    h[(*n)++] = (http_header){slice_str("Access-Control-Allow-Origin"), slice_str(v + off[ORIGIN])};
    h[(*n)++] = (http_header){slice_str("Access-Control-Allow-Methods"),
                              slice_str(v + off[METHODS])};
    if (count[ALLOW])
        h[(*n)++] = (http_header){slice_str("Access-Control-Allow-Headers"),
                                  slice_str(v + off[ALLOW])};
    if (count[EXPOSE])
        h[(*n)++] = (http_header){slice_str("Access-Control-Expose-Headers"),
                                  slice_str(v + off[EXPOSE])};
    if (count[AGE])
        h[(*n)++] = (http_header){slice_str("Access-Control-Max-Age"), slice_str(v + off[AGE])};
    if (!rule->any_origin)
        h[(*n)++] = (http_header){slice_str("Access-Control-Allow-Credentials"),
                                  slice_str("true")};
    h[(*n)++] = (http_header){slice_str("Vary"),
                              slice_str("Origin, Access-Control-Request-Headers, "
                                        "Access-Control-Request-Method")};
    return 0;
}

/* cors_bucket -- does r address a bucket whose rules may be read? */
static bool cors_bucket(const s3_req *r)
{
    cf_slice b = s3_bucket(r);
    return r->addressed && b.len && !s3_admin_path(r);
}

void s3_cors_prepare(s3_req *r)
{
    if (r->cors_done)
        return;
    r->cors_done = true;
    r->n_cors = 0;
    cf_slice origin = http_header_find(r->hr, "origin");
    if (!origin.ptr || !cors_bucket(r))
        return; /* no Origin: nothing read, nothing added */
    if (r->b.name[0] && !r->b.has_cors)
        return; /* authz.c read the row: no rules */
    cf_buf enc = {0};
    s3_cors_rule rule;
    if (store_bucket_cors(r->ctx->st, s3_bucket(r), &enc) == 0 &&
        s3_cors_match(buf_slice(&enc), origin, r->hr->method, slice_make(NULL, 0), &rule) &&
        s3_cors_headers(&rule, origin, false, slice_make(NULL, 0), &r->cors, r->cors_h,
                        &r->n_cors) != 0)
        r->n_cors = 0;
    buf_free(&enc);
}

bool s3_preflight_wanted(const s3_req *r)
{
    return slice_eq(r->hr->method, slice_str("OPTIONS")) && cors_bucket(r);
}

void s3_h_preflight(s3_req *r)
{
    r->cors_done = true; /* its own Access-Control-* headers, below, not an actual request's */
    cf_slice origin = http_header_find(r->hr, "origin");
    cf_slice method = http_header_find(r->hr, "access-control-request-method");
    cf_slice hdrs = http_header_find(r->hr, "access-control-request-headers");
    cf_buf enc = {0};
    s3_cors_rule rule;
    http_header h[S3_CORS_MAX_HEADERS];
    size_t n = 0;
    if (!origin.ptr || !method.ptr) {
        s3_error(r, S3_ERR_BAD_REQUEST, "Insufficient information. Origin request header needed.");
        goto out;
    }
    int rc = store_bucket_cors(r->ctx->st, s3_bucket(r), &enc);
    if (rc == CF_ENOTFOUND && store_bucket_get(r->ctx->st, s3_bucket(r), &r->b) == CF_ENOTFOUND) {
        s3_error(r, S3_ERR_CORS_RESPONSE, NULL);
        goto out;
    }
    if (rc && rc != CF_ENOTFOUND) {
        s3_error_from(r, rc, S3_ERR_INTERNAL_ERROR);
        goto out;
    }
    if (rc || !s3_cors_match(buf_slice(&enc), origin, method, hdrs, &rule)) {
        s3_error(r, S3_ERR_ACCESS_FORBIDDEN, NULL);
        goto out;
    }
    if (s3_cors_headers(&rule, origin, true, hdrs, &r->cors, h, &n) != 0) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    s3_respond_empty(r, 200, h, n);
out:
    buf_free(&enc);
}

/* PUT /{bucket}?cors -- PutBucketCors */
void s3_h_put_cors(s3_req *r)
{
    cf_buf body = {0}, enc = {0};
    char msg[384];
    const char *why = NULL;
    s3_err_code err = s3_read_small_body(r, S3_XML_CORS_MAX_BODY_BYTES, &body);
    if (!err && body.len == 0)
        err = S3_ERR_MISSING_REQUEST_BODY;
    if (!err)
        err = s3_xml_parse_cors(body.data, body.len, &enc, msg, sizeof msg, &why);
    if (err) {
        s3_error(r, err, why);
    } else {
        store_attr a = {STORE_BUCKET_CORS, buf_slice(&enc)};
        int rc = store_bucket_set(r->ctx->st, s3_bucket(r), &a, 1);
        if (rc)
            s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        else
            s3_respond_empty(r, 200, NULL, 0);
    }
    buf_free(&enc);
    buf_free(&body);
}

/* rule_xml -- one <CORSRule> of the line form, its children in S3's order. */
static void rule_xml(s3_xml_writer *w, cf_slice rule)
{
    static const struct {
        char tag;
        const char *name;
    } order[] = {{'I', "ID"},           {'H', "AllowedHeader"}, {'M', "AllowedMethod"},
                 {'O', "AllowedOrigin"}, {'E', "ExposeHeader"},  {'A', "MaxAgeSeconds"}};
    s3_xml_open(w, "CORSRule");
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        cf_slice rest = rule, v;
        char tag;
        while (next_line(&rest, &tag, &v))
            if (tag == order[k].tag)
                s3_xml_elem(w, order[k].name, v);
    }
    s3_xml_close(w);
}

/* GET /{bucket}?cors -- GetBucketCors */
void s3_h_get_cors(s3_req *r)
{
    cf_buf enc = {0};
    int rc = store_bucket_cors(r->ctx->st, s3_bucket(r), &enc);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_CORS_CONFIGURATION);
    } else {
        s3_doc_begin(r, "CORSConfiguration");
        cf_slice rest = buf_slice(&enc), rule;
        while (next_rule(&rest, &rule))
            rule_xml(&r->xw, rule);
        s3_xml_close(&r->xw);
        if (s3_xml_writer_finish(&r->xw) != 0)
            s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        else
            s3_respond_xml(r, 200, NULL, 0);
    }
    buf_free(&enc);
}

/* DELETE /{bucket}?cors -- DeleteBucketCors (204 whether or not there were rules) */
void s3_h_delete_cors(s3_req *r)
{
    store_attr a = {STORE_BUCKET_CORS, slice_make(NULL, 0)};
    int rc = store_bucket_set(r->ctx->st, s3_bucket(r), &a, 1);
    if (rc)
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
    else
        s3_respond_empty(r, 204, NULL, 0);
}
