/*
 * xml_parse_cors.c -- the PutBucketCors body (xml.h): CORSConfiguration as
 * a rule table for the bounded expat driver of xml_parse.c (xml_int.h), so
 * xml.h's invariants (1)-(4) hold.
 *
 * The result is not spans but the stored line form itself (doc/formats.md,
 * "Bucket CORS"; cors.c matches requests against it): one line per value,
 * "R" opening each rule, then "I" ID, "O" origin, "M" method, "H" allowed
 * header, "E" expose header, "A" max age, each followed by its value and
 * '\n'. A value holding a byte below 0x20 is refused, so a line never splits.
 * The line form is never longer than the body it came from (each value's
 * tags are longer than its one letter and newline), so it fits the store's
 * 64 KiB bound.
 */
#include <stdio.h>
#include <string.h>

#include "s3/xml_int.h"

enum { C_ROOT = 1, C_RULE, C_ID, C_ORIGIN, C_METHOD, C_HEADER, C_EXPOSE, C_AGE };

#define FIELD(parent, name, id)                                                                    \
    {parent, name, id, S3_XML_CORS_MAX_FIELD_BYTES, S3_ERR_MALFORMED_XML, "A CORS value is too long"}

static const s3_xml_rule cors_rules[] = {
    {ROOT, "CORSConfiguration", C_ROOT, 0, S3_ERR_NONE, NULL},
    {C_ROOT, "CORSRule", C_RULE, 0, S3_ERR_NONE, NULL},
    FIELD(C_RULE, "ID", C_ID),
    FIELD(C_RULE, "AllowedOrigin", C_ORIGIN),
    FIELD(C_RULE, "AllowedMethod", C_METHOD),
    FIELD(C_RULE, "AllowedHeader", C_HEADER),
    FIELD(C_RULE, "ExposeHeader", C_EXPOSE),
    FIELD(C_RULE, "MaxAgeSeconds", C_AGE),
};

typedef struct cors_out {
    cf_buf text;  /* the driver's field text */
    cf_buf *enc;  /* the line form being built; borrowed */
    size_t rules; /* CORSRule elements opened */
    char *msgbuf; /* for messages naming a value */
    size_t msgcap;
} cors_out;

static const char tag_of[] = {[C_ID] = 'I',     [C_ORIGIN] = 'O', [C_METHOD] = 'M',
                              [C_HEADER] = 'H', [C_EXPOSE] = 'E', [C_AGE] = 'A'};

static s3_err_code cors_start(s3_xml_parser *p, int id)
{
    cors_out *o = p->out;
    if (id != C_RULE)
        return S3_ERR_NONE;
    if (o->rules == S3_XML_CORS_MAX_RULES)
        return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A CORS configuration holds at most 100 rules");
    o->rules++;
    p->seen = 0;
    if (buf_append(o->enc, "R\n", 2) != 0)
        return s3_xml_fail(p, S3_ERR_INTERNAL_ERROR, NULL);
    return S3_ERR_NONE;
}

static size_t stars(cf_slice v)
{
    size_t n = 0;
    for (size_t i = 0; i < v.len; i++)
        n += v.ptr[i] == '*';
    return n;
}

/* named -- a message quoting value v: fmt has one %.*s. */
static s3_err_code named(s3_xml_parser *p, s3_err_code err, const char *fmt, cf_slice v)
{
    cors_out *o = p->out;
    snprintf(o->msgbuf, o->msgcap, fmt, (int)(v.len > 256 ? 256 : v.len), (const char *)v.ptr);
    return s3_xml_fail(p, err, o->msgbuf);
}

static s3_err_code check_value(s3_xml_parser *p, int id, cf_slice v)
{
    static const char *const methods[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};
    if (v.len == 0 && id != C_ID)
        return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A CORS value is empty");
    for (size_t i = 0; i < v.len; i++)
        if (v.ptr[i] < 0x20)
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A CORS value holds a control character");
    if (id == C_METHOD) {
        for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
            if (slice_eq(v, slice_str(methods[i])))
                return S3_ERR_NONE;
        return named(p, S3_ERR_INVALID_REQUEST,
                     "Found unsupported HTTP method in CORS config. Unsupported method is %.*s", v);
    }
    if (id == C_ORIGIN && stars(v) > 1)
        return named(p, S3_ERR_INVALID_REQUEST,
                     "AllowedOrigin \"%.*s\" can not have more than one wildcard.", v);
    if (id == C_HEADER && stars(v) > 1)
        return named(p, S3_ERR_INVALID_REQUEST,
                     "AllowedHeader \"%.*s\" can not have more than one wildcard.", v);
    if (id == C_AGE) {
        uint64_t n;
        if (v.len > 10 || !slice_to_u64(v, &n) || n > INT32_MAX)
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "MaxAgeSeconds must be a number");
    }
    return S3_ERR_NONE;
}

static s3_err_code cors_end(s3_xml_parser *p, int id, s3_xml_span text)
{
    cors_out *o = p->out;
    switch (id) {
    case C_ROOT:
        if (o->rules == 0)
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A CORS configuration needs a CORSRule");
        return S3_ERR_NONE;
    case C_RULE:
        if (!(p->seen & (1u << C_ORIGIN)) || !(p->seen & (1u << C_METHOD)))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML,
                               "A CORSRule needs an AllowedOrigin and an AllowedMethod");
        return S3_ERR_NONE;
    default: {
        if ((id == C_ID || id == C_AGE) && !s3_xml_field_seen(p, id))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML,
                               "A CORSRule has at most one ID and one MaxAgeSeconds");
        p->seen |= 1u << id;
        cf_slice v = s3_xml_trimmed(p, text);
        s3_err_code err = check_value(p, id, v);
        if (err)
            return err;
        if (buf_append(o->enc, &tag_of[id], 1) != 0 || buf_append(o->enc, v.ptr, v.len) != 0 ||
            buf_append(o->enc, "\n", 1) != 0)
            return s3_xml_fail(p, S3_ERR_INTERNAL_ERROR, NULL);
        return S3_ERR_NONE;
    }
    }
}

static const s3_xml_doc cors_xml = {cors_rules, sizeof cors_rules / sizeof cors_rules[0],
                                    cors_start, cors_end};

s3_err_code s3_xml_parse_cors(const uint8_t *body, size_t len, cf_buf *out, char *msgbuf,
                              size_t msgcap, const char **message)
{
    cors_out o;
    memset(&o, 0, sizeof o);
    o.enc = out;
    o.msgbuf = msgbuf;
    o.msgcap = msgcap;
    buf_clear(out);
    *message = NULL;
    s3_xml_parser p;
    s3_err_code err =
        s3_xml_run(&p, &cors_xml, &o, &o.text, body, len, S3_XML_CORS_MAX_BODY_BYTES);
    if (err)
        buf_clear(out);
    *message = p.msg;
    buf_free(&o.text);
    return err;
}
