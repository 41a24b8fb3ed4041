/*
 * xml_parse.c -- the request body parsers (xml.h): one bounded expat driver
 * and, per document, a table of the elements it knows plus the checks made
 * when each closes.
 *
 * The driver keeps a stack of element ids. An element is known when a rule
 * names it under its parent's id; a known element is either a container or
 * a text field (max_bytes > 0) whose character data is appended straight to
 * the result's text buffer, so a key is copied once, from expat's buffer to
 * its final place. Unknown elements are skipped with their subtree
 * (invariant (3)); only the root must be the expected one.
 *
 * Invariant (1) of xml.h is kept by aborting in the DOCTYPE and entity
 * declaration handlers and by never parsing parameter entities; expat then
 * only knows the five predefined entities and character references.
 * Invariant (2): the body length is checked before expat sees a byte, depth
 * in the start handler (skipped subtrees count too), field bytes in the text
 * handler before they are appended, item counts when an item opens.
 */
#include <expat.h>
#include <string.h>
#include <strings.h>

#include "s3/xml_int.h"

static void stop(s3_xml_parser *p, s3_err_code err, const char *msg)
{
    if (p->err)
        return;
    p->err = err;
    p->msg = msg;
    XML_StopParser(p->xp, XML_FALSE);
}

static const s3_xml_rule *find_rule(const s3_xml_doc *d, int parent, const char *name)
{
    for (size_t i = 0; i < d->n_rules; i++)
        if (d->rules[i].parent == parent && strcmp(d->rules[i].name, name) == 0)
            return &d->rules[i];
    return NULL;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    s3_xml_parser *p = ud;
    if (p->err)
        return;
    if (p->depth == S3_XML_MAX_DEPTH) {
        stop(p, S3_ERR_MALFORMED_XML, "The XML nests elements too deeply");
        return;
    }
    p->depth++;
    if (p->skip) {
        p->skip++;
        return;
    }
    if (p->field) {
        stop(p, S3_ERR_MALFORMED_XML, "An element appears inside a text field");
        return;
    }
    const char *local = strrchr(name, '|'); /* "namespace|local" when namespaced */
    local = local ? local + 1 : name;
    int parent = p->depth == 1 ? ROOT : p->stack[p->depth - 2];
    const s3_xml_rule *r = find_rule(p->doc, parent, local);
    if (!r) {
        if (p->depth == 1)
            stop(p, S3_ERR_MALFORMED_XML, "The root element is not the expected one");
        else
            p->skip = 1;
        return;
    }
    p->stack[p->depth - 1] = r->id;
    p->doc_seen |= 1u << r->id;
    if (r->max_bytes) {
        p->field = r;
        p->field_off = (uint32_t)p->text->len;
        return;
    }
    s3_err_code err = p->doc->start ? p->doc->start(p, r->id) : S3_ERR_NONE;
    if (err)
        stop(p, err, p->msg);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    s3_xml_parser *p = ud;
    if (p->err || p->skip || !p->field)
        return; /* text between elements or in skipped ones is ignored */
    if (p->text->len - p->field_off + (size_t)len > p->field->max_bytes) {
        stop(p, p->field->too_long, p->field->too_long_msg);
        return;
    }
    if (buf_append(p->text, s, (size_t)len))
        stop(p, S3_ERR_INTERNAL_ERROR, NULL);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    s3_xml_parser *p = ud;
    if (p->err)
        return;
    if (p->skip) {
        p->skip--;
        p->depth--;
        return;
    }
    int id = p->stack[p->depth - 1];
    s3_xml_span span = {(uint32_t)p->text->len, 0};
    if (p->field) {
        span.off = p->field_off;
        span.len = (uint32_t)p->text->len - p->field_off;
        p->field = NULL;
    }
    p->depth--;
    s3_err_code err = p->doc->end(p, id, span);
    if (err)
        stop(p, err, p->msg);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    stop(ud, S3_ERR_MALFORMED_XML, "A DOCTYPE is not allowed");
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param,
                                   const XML_Char *value, int value_len, const XML_Char *base,
                                   const XML_Char *sysid, const XML_Char *pubid,
                                   const XML_Char *notation)
{
    stop(ud, S3_ERR_MALFORMED_XML, "Entity declarations are not allowed");
}

/* run -- parses body against d; returns p->err (S3_ERR_NONE on success). */
s3_err_code s3_xml_run(s3_xml_parser *p, const s3_xml_doc *d, void *out, cf_buf *text, const uint8_t *body,
                       size_t len, size_t max_len)
{
    memset(p, 0, sizeof *p);
    p->doc = d;
    p->out = out;
    p->text = text;
    if (len > max_len) {
        p->msg = "The XML body is larger than this request allows";
        return p->err = S3_ERR_MAX_MESSAGE_LENGTH_EXCEEDED;
    }
    p->xp = XML_ParserCreateNS(NULL, '|');
    if (!p->xp)
        return p->err = S3_ERR_INTERNAL_ERROR;
    XML_SetUserData(p->xp, p);
    XML_SetElementHandler(p->xp, on_start, on_end);
    XML_SetCharacterDataHandler(p->xp, on_text);
    XML_SetStartDoctypeDeclHandler(p->xp, on_doctype);
    XML_SetEntityDeclHandler(p->xp, on_entity_decl);
    XML_SetParamEntityParsing(p->xp, XML_PARAM_ENTITY_PARSING_NEVER);
    if (XML_Parse(p->xp, (const char *)body, (int)len, XML_TRUE) != XML_STATUS_OK && !p->err) {
        enum XML_Error e = XML_GetErrorCode(p->xp);
        p->err = e == XML_ERROR_NO_MEMORY ? S3_ERR_INTERNAL_ERROR : S3_ERR_MALFORMED_XML;
        p->msg = XML_ErrorString(e); /* a constant string of expat */
    }
    XML_ParserFree(p->xp);
    p->xp = NULL;
    return p->err;
}

bool s3_xml_field_seen(s3_xml_parser *p, int id)
{
    if (p->seen & (1u << id))
        return false;
    p->seen |= 1u << id;
    return true;
}

cf_slice s3_xml_trimmed(const s3_xml_parser *p, s3_xml_span s)
{
    cf_slice v = s3_xml_span_get(p->text, s);
    if (v.len == 0)
        return v;
    const uint8_t *a = v.ptr, *b = v.ptr + v.len;
    while (a < b && (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n' || b[-1] == '\r'))
        b--;
    return slice_make(a, (size_t)(b - a));
}

s3_err_code s3_xml_fail(s3_xml_parser *p, s3_err_code err, const char *msg)
{
    p->msg = msg;
    return err;
}

/* ---- DeleteObjects ---- */

enum { D_DELETE = 1, D_QUIET, D_OBJECT, D_KEY, D_VERSION };

static const s3_xml_rule delete_rules[] = {
    {ROOT, "Delete", D_DELETE, 0, S3_ERR_NONE, NULL},
    {D_DELETE, "Quiet", D_QUIET, 16, S3_ERR_MALFORMED_XML, "Quiet must be true or false"},
    {D_DELETE, "Object", D_OBJECT, 0, S3_ERR_NONE, NULL},
    {D_OBJECT, "Key", D_KEY, S3_XML_MAX_KEY_BYTES, S3_ERR_KEY_TOO_LONG, NULL},
    {D_OBJECT, "VersionId", D_VERSION, S3_XML_MAX_FIELD_BYTES, S3_ERR_MALFORMED_XML,
     "The VersionId is too long"},
};

static s3_delete_object *cur_object(s3_xml_parser *p)
{
    s3_delete_req *r = p->out;
    return (s3_delete_object *)(void *)r->objects.data + (r->n_objects - 1);
}

static s3_err_code delete_start(s3_xml_parser *p, int id)
{
    s3_delete_req *r = p->out;
    if (id != D_OBJECT)
        return S3_ERR_NONE;
    if (r->n_objects == S3_XML_DELETE_MAX_OBJECTS)
        return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "The request lists more than 1000 objects");
    s3_delete_object o = {{0, 0}, {0, 0}};
    if (buf_append(&r->objects, &o, sizeof o))
        return S3_ERR_INTERNAL_ERROR;
    r->n_objects++;
    p->seen = 0;
    return S3_ERR_NONE;
}

static s3_err_code delete_end(s3_xml_parser *p, int id, s3_xml_span text)
{
    s3_delete_req *r = p->out;
    switch (id) {
    case D_QUIET: {
        cf_slice v = s3_xml_trimmed(p, text);
        if (v.len == 4 && strncasecmp((const char *)v.ptr, "true", 4) == 0)
            r->quiet = true;
        else if (v.len == 5 && strncasecmp((const char *)v.ptr, "false", 5) == 0)
            r->quiet = false;
        else
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "Quiet must be true or false");
        r->text.len = text.off; /* not kept */
        return S3_ERR_NONE;
    }
    case D_KEY:
        if (!s3_xml_field_seen(p, id))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "An Object has two Keys");
        cur_object(p)->key = text;
        return S3_ERR_NONE;
    case D_VERSION:
        if (!s3_xml_field_seen(p, id))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "An Object has two VersionIds");
        cur_object(p)->version_id = text;
        return S3_ERR_NONE;
    case D_OBJECT:
        if (!(p->seen & (1u << D_KEY)))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "An Object has no Key");
        return S3_ERR_NONE;
    default: /* D_DELETE */
        if (r->n_objects == 0)
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "The request lists no objects");
        return S3_ERR_NONE;
    }
}

static const s3_xml_doc delete_doc = {delete_rules, sizeof delete_rules / sizeof delete_rules[0],
                               delete_start, delete_end};

s3_err_code s3_xml_parse_delete(const uint8_t *body, size_t len, s3_delete_req *out)
{
    out->quiet = false;
    out->n_objects = 0;
    out->message = NULL;
    buf_clear(&out->text);
    buf_clear(&out->objects);
    s3_xml_parser p;
    s3_err_code err =
        s3_xml_run(&p, &delete_doc, out, &out->text, body, len, S3_XML_DELETE_MAX_BODY_BYTES);
    if (err) {
        out->n_objects = 0;
        out->message = p.msg;
    }
    return err;
}

void s3_delete_req_free(s3_delete_req *r)
{
    buf_free(&r->text);
    buf_free(&r->objects);
    r->n_objects = 0;
}

/* ---- CompleteMultipartUpload ---- */

enum { C_ROOT = 1, C_PART, C_NUMBER, C_ETAG, C_CKSUM /* + S3_CKSUM_* */ };

static const s3_xml_rule complete_rules[] = {
    {ROOT, "CompleteMultipartUpload", C_ROOT, 0, S3_ERR_NONE, NULL},
    {C_ROOT, "Part", C_PART, 0, S3_ERR_NONE, NULL},
    {C_PART, "PartNumber", C_NUMBER, 32, S3_ERR_MALFORMED_XML, "The PartNumber is too long"},
    {C_PART, "ETag", C_ETAG, S3_XML_MAX_FIELD_BYTES, S3_ERR_MALFORMED_XML, "The ETag is too long"},
    {C_PART, "ChecksumCRC32", C_CKSUM + S3_CKSUM_CRC32, S3_XML_MAX_FIELD_BYTES,
     S3_ERR_MALFORMED_XML, "A checksum is too long"},
    {C_PART, "ChecksumCRC32C", C_CKSUM + S3_CKSUM_CRC32C, S3_XML_MAX_FIELD_BYTES,
     S3_ERR_MALFORMED_XML, "A checksum is too long"},
    {C_PART, "ChecksumCRC64NVME", C_CKSUM + S3_CKSUM_CRC64NVME, S3_XML_MAX_FIELD_BYTES,
     S3_ERR_MALFORMED_XML, "A checksum is too long"},
    {C_PART, "ChecksumSHA1", C_CKSUM + S3_CKSUM_SHA1, S3_XML_MAX_FIELD_BYTES, S3_ERR_MALFORMED_XML,
     "A checksum is too long"},
    {C_PART, "ChecksumSHA256", C_CKSUM + S3_CKSUM_SHA256, S3_XML_MAX_FIELD_BYTES,
     S3_ERR_MALFORMED_XML, "A checksum is too long"},
};

static s3_complete_part *cur_part(s3_xml_parser *p)
{
    s3_complete_req *r = p->out;
    return (s3_complete_part *)(void *)r->parts.data + (r->n_parts - 1);
}

static s3_err_code complete_start(s3_xml_parser *p, int id)
{
    s3_complete_req *r = p->out;
    if (id != C_PART)
        return S3_ERR_NONE;
    if (r->n_parts == S3_XML_COMPLETE_MAX_PARTS)
        return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "The request lists more than 10000 parts");
    s3_complete_part part;
    memset(&part, 0, sizeof part);
    if (buf_append(&r->parts, &part, sizeof part))
        return S3_ERR_INTERNAL_ERROR;
    r->n_parts++;
    p->seen = 0;
    return S3_ERR_NONE;
}

/* part_number -- decimal digits only; *n is capped past 10000 so it cannot overflow. */
static bool part_number(cf_slice v, uint32_t *n)
{
    *n = 0;
    if (v.len == 0)
        return false;
    for (size_t i = 0; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9')
            return false;
        if (*n <= S3_XML_COMPLETE_MAX_PARTS)
            *n = *n * 10 + (uint32_t)(v.ptr[i] - '0');
    }
    return true;
}

static s3_err_code complete_end(s3_xml_parser *p, int id, s3_xml_span text)
{
    s3_complete_req *r = p->out;
    if (id == C_ROOT)
        return r->n_parts ? S3_ERR_NONE
                          : s3_xml_fail(p, S3_ERR_MALFORMED_XML, "The request lists no parts");
    if (id == C_PART) {
        if ((p->seen & (1u << C_NUMBER | 1u << C_ETAG)) != (1u << C_NUMBER | 1u << C_ETAG))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A Part needs a PartNumber and an ETag");
        if (cur_part(p)->part_number <= p->last_part)
            return s3_xml_fail(p, S3_ERR_INVALID_PART_ORDER, NULL);
        p->last_part = cur_part(p)->part_number;
        return S3_ERR_NONE;
    }
    if (!s3_xml_field_seen(p, id))
        return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A Part repeats a field");
    if (id == C_NUMBER) {
        uint32_t n;
        if (!part_number(s3_xml_trimmed(p, text), &n))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A PartNumber is not a number");
        if (n < 1 || n > S3_XML_COMPLETE_MAX_PARTS)
            return s3_xml_fail(p, S3_ERR_INVALID_ARGUMENT,
                        "Part number must be an integer between 1 and 10000, inclusive");
        cur_part(p)->part_number = n;
        r->text.len = text.off; /* not kept */
    } else if (id == C_ETAG) {
        cur_part(p)->etag = text;
    } else {
        cur_part(p)->checksum[id - C_CKSUM] = text;
    }
    return S3_ERR_NONE;
}

static const s3_xml_doc complete_doc = {complete_rules, sizeof complete_rules / sizeof complete_rules[0],
                                 complete_start, complete_end};

s3_err_code s3_xml_parse_complete(const uint8_t *body, size_t len, s3_complete_req *out)
{
    out->n_parts = 0;
    out->message = NULL;
    buf_clear(&out->text);
    buf_clear(&out->parts);
    s3_xml_parser p;
    s3_err_code err =
        s3_xml_run(&p, &complete_doc, out, &out->text, body, len, S3_XML_COMPLETE_MAX_BODY_BYTES);
    if (err) {
        out->n_parts = 0;
        out->message = p.msg;
    }
    return err;
}

void s3_complete_req_free(s3_complete_req *r)
{
    buf_free(&r->text);
    buf_free(&r->parts);
    r->n_parts = 0;
}

/* ---- Tagging ---- */

enum { T_TAGGING = 1, T_TAGSET, T_TAG, T_KEY, T_VALUE };

static const s3_xml_rule tagging_rules[] = {
    {ROOT, "Tagging", T_TAGGING, 0, S3_ERR_NONE, NULL},
    {T_TAGGING, "TagSet", T_TAGSET, 0, S3_ERR_NONE, NULL},
    {T_TAGSET, "Tag", T_TAG, 0, S3_ERR_NONE, NULL},
    {T_TAG, "Key", T_KEY, S3_XML_TAG_KEY_MAX_CHARS * 4, S3_ERR_INVALID_TAG,
     "The TagKey you have provided is too long, max 128"},
    {T_TAG, "Value", T_VALUE, S3_XML_TAG_VALUE_MAX_CHARS * 4, S3_ERR_INVALID_TAG,
     "The TagValue you have provided is too long, max 256"},
};

typedef struct tagging_out {
    s3_tagging *t;
    size_t max_tags;
} tagging_out;

/* utf8_chars -- characters in s (expat hands out valid UTF-8): bytes that do not continue one. */
static size_t utf8_chars(cf_slice s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        n += (s.ptr[i] & 0xC0) != 0x80;
    return n;
}

static s3_err_code tagging_start(s3_xml_parser *p, int id)
{
    tagging_out *o = p->out;
    if (id != T_TAG)
        return S3_ERR_NONE;
    if (o->t->n_tags == o->max_tags)
        return s3_xml_fail(p, S3_ERR_INVALID_TAG, "The TagSet has more tags than allowed");
    memset(&o->t->tags[o->t->n_tags++], 0, sizeof(s3_tag));
    p->seen = 0;
    return S3_ERR_NONE;
}

static s3_err_code tag_done(s3_xml_parser *p, s3_tagging *t)
{
    if ((p->seen & (1u << T_KEY | 1u << T_VALUE)) != (1u << T_KEY | 1u << T_VALUE))
        return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A Tag needs a Key and a Value");
    const s3_tag *cur = &t->tags[t->n_tags - 1];
    cf_slice k = s3_xml_span_get(&t->text, cur->key);
    for (size_t i = 0; i + 1 < t->n_tags; i++)
        if (slice_eq(k, s3_xml_span_get(&t->text, t->tags[i].key)))
            return s3_xml_fail(p, S3_ERR_INVALID_TAG, "Cannot provide multiple Tags with the same key");
    return S3_ERR_NONE;
}

static s3_err_code tagging_end(s3_xml_parser *p, int id, s3_xml_span text)
{
    tagging_out *o = p->out;
    s3_tagging *t = o->t;
    cf_slice v = s3_xml_span_get(&t->text, text); /* empty for containers */
    switch (id) {
    case T_KEY:
        if (!s3_xml_field_seen(p, id))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A Tag has two Keys");
        if (utf8_chars(v) < 1 || utf8_chars(v) > S3_XML_TAG_KEY_MAX_CHARS)
            return s3_xml_fail(p, S3_ERR_INVALID_TAG, "A TagKey must be 1 to 128 characters long");
        if (v.len >= 4 && memcmp(v.ptr, "aws:", 4) == 0)
            return s3_xml_fail(p, S3_ERR_INVALID_TAG, "System tags cannot be added/updated by requester");
        t->tags[t->n_tags - 1].key = text;
        return S3_ERR_NONE;
    case T_VALUE:
        if (!s3_xml_field_seen(p, id))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A Tag has two Values");
        if (utf8_chars(v) > S3_XML_TAG_VALUE_MAX_CHARS)
            return s3_xml_fail(p, S3_ERR_INVALID_TAG,
                        "The TagValue you have provided is too long, max 256");
        t->tags[t->n_tags - 1].value = text;
        return S3_ERR_NONE;
    case T_TAG:
        return tag_done(p, t);
    case T_TAGGING:
        if (!(p->doc_seen & (1u << T_TAGSET)))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "Tagging needs a TagSet");
        return S3_ERR_NONE;
    default: /* T_TAGSET */
        return S3_ERR_NONE;
    }
}

static const s3_xml_doc tagging_doc = {tagging_rules, sizeof tagging_rules / sizeof tagging_rules[0],
                                tagging_start, tagging_end};

s3_err_code s3_xml_parse_tagging(const uint8_t *body, size_t len, size_t max_tags, s3_tagging *out)
{
    out->n_tags = 0;
    out->message = NULL;
    buf_clear(&out->text);
    tagging_out o = {out, max_tags < S3_XML_MAX_BUCKET_TAGS ? max_tags : S3_XML_MAX_BUCKET_TAGS};
    s3_xml_parser p;
    s3_err_code err =
        s3_xml_run(&p, &tagging_doc, &o, &out->text, body, len, S3_XML_TAGGING_MAX_BODY_BYTES);
    if (err) {
        out->n_tags = 0;
        out->message = p.msg;
    }
    return err;
}

void s3_tagging_free(s3_tagging *t)
{
    buf_free(&t->text);
    t->n_tags = 0;
}

/* ---- CreateBucketConfiguration ---- */

enum { B_ROOT = 1, B_LOCATION };

static const s3_xml_rule create_bucket_rules[] = {
    {ROOT, "CreateBucketConfiguration", B_ROOT, 0, S3_ERR_NONE, NULL},
    {B_ROOT, "LocationConstraint", B_LOCATION, S3_XML_MAX_LOCATION_BYTES,
     S3_ERR_INVALID_LOCATION_CONSTRAINT, NULL},
};

static s3_err_code create_bucket_end(s3_xml_parser *p, int id, s3_xml_span text)
{
    s3_create_bucket_conf *c = p->out;
    if (id != B_LOCATION)
        return S3_ERR_NONE;
    if (!s3_xml_field_seen(p, id))
        return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "LocationConstraint is given twice");
    c->has_location = true;
    c->location = text;
    return S3_ERR_NONE;
}

static const s3_xml_doc create_bucket_doc = {create_bucket_rules,
                                      sizeof create_bucket_rules / sizeof create_bucket_rules[0],
                                      NULL, create_bucket_end};

s3_err_code s3_xml_parse_create_bucket(const uint8_t *body, size_t len, s3_create_bucket_conf *out)
{
    out->has_location = false;
    out->location.off = out->location.len = 0;
    out->message = NULL;
    buf_clear(&out->text);
    s3_xml_parser p;
    s3_err_code err = s3_xml_run(&p, &create_bucket_doc, out, &out->text, body, len,
                          S3_XML_CREATE_BUCKET_MAX_BODY_BYTES);
    if (err) {
        out->has_location = false;
        out->message = p.msg;
    }
    return err;
}

void s3_create_bucket_conf_free(s3_create_bucket_conf *c)
{
    buf_free(&c->text);
    c->has_location = false;
}
