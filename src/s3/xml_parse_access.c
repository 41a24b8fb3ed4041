/*
 * xml_parse_access.c -- the request bodies of the access APIs (xml.h):
 * AccessControlPolicy (PutBucketAcl, PutObjectAcl), OwnershipControls and
 * PublicAccessBlockConfiguration, each a rule table for the bounded expat
 * driver of xml_parse.c (xml_int.h), so xml.h's invariants (1)-(4) hold.
 *
 * The parsers judge shape only (one grantee per Grant, a Permission, one
 * ownership rule, true/false flags); the values -- permission names, group
 * URIs, user ids, ownership names -- are judged by acl.c and access.c,
 * which know what coffer honours.
 */
#include <string.h>
#include <strings.h>

#include "s3/xml_int.h"

/* ---- AccessControlPolicy ---- */

enum { A_ROOT = 1, A_OWNER, A_OWNER_ID, A_LIST, A_GRANT, A_GRANTEE, A_ID, A_URI, A_EMAIL, A_PERM };

static const s3_xml_rule acl_rules[] = {
    {ROOT, "AccessControlPolicy", A_ROOT, 0, S3_ERR_NONE, NULL},
    {A_ROOT, "Owner", A_OWNER, 0, S3_ERR_NONE, NULL},
    {A_OWNER, "ID", A_OWNER_ID, 256, S3_ERR_MALFORMED_ACL_ERROR, "The Owner ID is too long"},
    {A_ROOT, "AccessControlList", A_LIST, 0, S3_ERR_NONE, NULL},
    {A_LIST, "Grant", A_GRANT, 0, S3_ERR_NONE, NULL},
    {A_GRANT, "Grantee", A_GRANTEE, 0, S3_ERR_NONE, NULL},
    {A_GRANTEE, "ID", A_ID, 256, S3_ERR_MALFORMED_ACL_ERROR, "A grantee ID is too long"},
    {A_GRANTEE, "URI", A_URI, 256, S3_ERR_MALFORMED_ACL_ERROR, "A grantee URI is too long"},
    {A_GRANTEE, "EmailAddress", A_EMAIL, 256, S3_ERR_MALFORMED_ACL_ERROR,
     "A grantee EmailAddress is too long"},
    {A_GRANT, "Permission", A_PERM, 32, S3_ERR_MALFORMED_ACL_ERROR, "A Permission is too long"},
};

static s3_xml_grant *cur_grant(s3_xml_parser *p)
{
    s3_acl_doc *d = p->out;
    return &d->grants[d->n_grants - 1];
}

static s3_err_code acl_start(s3_xml_parser *p, int id)
{
    s3_acl_doc *d = p->out;
    if (id != A_GRANT)
        return S3_ERR_NONE;
    if (d->n_grants == S3_XML_ACL_MAX_GRANTS)
        return s3_xml_fail(p, S3_ERR_MALFORMED_ACL_ERROR, "An ACL holds at most 100 grants");
    memset(&d->grants[d->n_grants++], 0, sizeof(s3_xml_grant));
    p->seen = 0;
    return S3_ERR_NONE;
}

static s3_err_code acl_end(s3_xml_parser *p, int id, s3_xml_span text)
{
    s3_acl_doc *d = p->out;
    switch (id) {
    case A_OWNER_ID:
        if (d->has_owner)
            return s3_xml_fail(p, S3_ERR_MALFORMED_ACL_ERROR, "The Owner is given twice");
        d->has_owner = true;
        d->owner = text;
        return S3_ERR_NONE;
    case A_ID:
    case A_URI:
    case A_EMAIL:
        if (cur_grant(p)->grantee)
            return s3_xml_fail(p, S3_ERR_MALFORMED_ACL_ERROR, "A Grantee names two grantees");
        cur_grant(p)->grantee = id == A_ID    ? S3_XML_GRANTEE_ID
                                : id == A_URI ? S3_XML_GRANTEE_URI
                                              : S3_XML_GRANTEE_EMAIL;
        cur_grant(p)->who = text;
        return S3_ERR_NONE;
    case A_PERM:
        if (!s3_xml_field_seen(p, id))
            return s3_xml_fail(p, S3_ERR_MALFORMED_ACL_ERROR, "A Grant has two Permissions");
        cur_grant(p)->perm = text;
        return S3_ERR_NONE;
    case A_GRANT:
        if (!cur_grant(p)->grantee || !(p->seen & (1u << A_PERM)))
            return s3_xml_fail(p, S3_ERR_MALFORMED_ACL_ERROR,
                               "A Grant needs a Grantee and a Permission");
        return S3_ERR_NONE;
    case A_ROOT:
        if (!(p->doc_seen & (1u << A_LIST)))
            return s3_xml_fail(p, S3_ERR_MALFORMED_ACL_ERROR,
                               "An AccessControlPolicy needs an AccessControlList");
        return S3_ERR_NONE;
    default: /* A_OWNER, A_LIST, A_GRANTEE */
        return S3_ERR_NONE;
    }
}

static const s3_xml_doc acl_xml = {acl_rules, sizeof acl_rules / sizeof acl_rules[0], acl_start,
                                   acl_end};

s3_err_code s3_xml_parse_acl(const uint8_t *body, size_t len, s3_acl_doc *out)
{
    out->has_owner = false;
    out->n_grants = 0;
    out->message = NULL;
    buf_clear(&out->text);
    s3_xml_parser p;
    s3_err_code err = s3_xml_run(&p, &acl_xml, out, &out->text, body, len,
                                 S3_XML_ACL_MAX_BODY_BYTES);
    if (err == S3_ERR_MALFORMED_XML)
        err = S3_ERR_MALFORMED_ACL_ERROR; /* S3's code for an ACL body that does not parse */
    if (err) {
        out->n_grants = 0;
        out->has_owner = false;
        out->message = p.msg;
    }
    return err;
}

void s3_acl_doc_free(s3_acl_doc *d)
{
    buf_free(&d->text);
    d->n_grants = 0;
}

/* ---- OwnershipControls ---- */

enum { O_ROOT = 1, O_RULE, O_VALUE };

static const s3_xml_rule ownership_rules[] = {
    {ROOT, "OwnershipControls", O_ROOT, 0, S3_ERR_NONE, NULL},
    {O_ROOT, "Rule", O_RULE, 0, S3_ERR_NONE, NULL},
    {O_RULE, "ObjectOwnership", O_VALUE, 64, S3_ERR_MALFORMED_XML,
     "The ObjectOwnership is too long"},
};

typedef struct small_out {
    cf_buf text;
    s3_xml_span value; /* ownership */
    int rules;         /* Rule elements seen */
    bool flags[4];     /* public access block */
} small_out;

static s3_err_code ownership_end(s3_xml_parser *p, int id, s3_xml_span text)
{
    small_out *o = p->out;
    if (id == O_VALUE) {
        if (!s3_xml_field_seen(p, id))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A Rule has two ObjectOwnership values");
        o->value = text;
    } else if (id == O_RULE) {
        if (++o->rules > 1 || !(p->seen & (1u << O_VALUE)))
            return s3_xml_fail(p, S3_ERR_MALFORMED_XML,
                               "OwnershipControls takes exactly one Rule with an ObjectOwnership");
    } else if (o->rules != 1) { /* O_ROOT */
        return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "OwnershipControls takes exactly one Rule");
    }
    return S3_ERR_NONE;
}

static const s3_xml_doc ownership_xml = {
    ownership_rules, sizeof ownership_rules / sizeof ownership_rules[0], NULL, ownership_end};

s3_err_code s3_xml_parse_ownership(const uint8_t *body, size_t len, char *out, size_t cap,
                                   const char **message)
{
    small_out o;
    memset(&o, 0, sizeof o);
    out[0] = '\0';
    *message = NULL;
    s3_xml_parser p;
    s3_err_code err = s3_xml_run(&p, &ownership_xml, &o, &o.text, body, len,
                                 S3_XML_SMALL_MAX_BODY_BYTES);
    cf_slice v = s3_xml_trimmed(&p, o.value);
    if (!err && v.len >= cap)
        err = s3_xml_fail(&p, S3_ERR_MALFORMED_XML, "The ObjectOwnership is too long");
    if (!err) {
        memcpy(out, v.ptr, v.len);
        out[v.len] = '\0';
    }
    *message = p.msg;
    buf_free(&o.text);
    return err;
}

/* ---- PublicAccessBlockConfiguration ---- */

enum { P_ROOT = 1, P_FLAG /* + 0..3 */ };

static const s3_xml_rule block_rules[] = {
    {ROOT, "PublicAccessBlockConfiguration", P_ROOT, 0, S3_ERR_NONE, NULL},
    {P_ROOT, "BlockPublicAcls", P_FLAG + 0, 16, S3_ERR_MALFORMED_XML, "A flag is too long"},
    {P_ROOT, "IgnorePublicAcls", P_FLAG + 1, 16, S3_ERR_MALFORMED_XML, "A flag is too long"},
    {P_ROOT, "BlockPublicPolicy", P_FLAG + 2, 16, S3_ERR_MALFORMED_XML, "A flag is too long"},
    {P_ROOT, "RestrictPublicBuckets", P_FLAG + 3, 16, S3_ERR_MALFORMED_XML, "A flag is too long"},
};

static s3_err_code block_end(s3_xml_parser *p, int id, s3_xml_span text)
{
    small_out *o = p->out;
    if (id == P_ROOT)
        return S3_ERR_NONE;
    if (!s3_xml_field_seen(p, id))
        return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A flag is given twice");
    cf_slice v = s3_xml_trimmed(p, text);
    if (v.len == 4 && strncasecmp((const char *)v.ptr, "true", 4) == 0)
        o->flags[id - P_FLAG] = true;
    else if (!(v.len == 5 && strncasecmp((const char *)v.ptr, "false", 5) == 0))
        return s3_xml_fail(p, S3_ERR_MALFORMED_XML, "A flag must be true or false");
    return S3_ERR_NONE;
}

static const s3_xml_doc block_xml = {block_rules, sizeof block_rules / sizeof block_rules[0],
                                     NULL, block_end};

s3_err_code s3_xml_parse_public_block(const uint8_t *body, size_t len, bool flags[4],
                                      const char **message)
{
    small_out o;
    memset(&o, 0, sizeof o);
    s3_xml_parser p;
    s3_err_code err = s3_xml_run(&p, &block_xml, &o, &o.text, body, len,
                                 S3_XML_SMALL_MAX_BODY_BYTES);
    for (int i = 0; i < 4; i++)
        flags[i] = !err && o.flags[i];
    *message = p.msg;
    buf_free(&o.text);
    return err;
}
