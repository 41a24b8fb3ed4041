/*
 * acl.c -- S3 access control lists (acl.h): canned ACLs, grant headers,
 * the AccessControlPolicy document both ways, the stored form, and what an
 * ACL grants. Which request needs which permission is authz.c's table.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "s3/acl.h"
#include "util/err.h"

#define URI_ALL_USERS "http://acs.amazonaws.com/groups/global/AllUsers"
#define URI_AUTH_USERS "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
#define URI_LOG_DELIVERY "http://acs.amazonaws.com/groups/s3/LogDelivery"

static const struct {
    const char *name;
    uint8_t bits;
} perms[] = {
    {"FULL_CONTROL", S3_PERM_FULL_CONTROL}, {"READ", S3_PERM_READ},
    {"WRITE", S3_PERM_WRITE},               {"READ_ACP", S3_PERM_READ_ACP},
    {"WRITE_ACP", S3_PERM_WRITE_ACP},
};

/* The kinds of the stored form and the XML group URIs, indexed by s3_grantee. */
static const char *const kinds[] = {"u", "all", "auth", "log"};
static const char *const uris[] = {NULL, URI_ALL_USERS, URI_AUTH_USERS, URI_LOG_DELIVERY};

uint8_t s3_acl_perm_parse(cf_slice name)
{
    for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++)
        if (slice_eq(name, slice_str(perms[i].name)))
            return perms[i].bits;
    return 0;
}

static const char *perm_name(uint8_t bits)
{
    for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++)
        if (perms[i].bits == bits)
            return perms[i].name;
    return "READ"; /* unreachable: grants hold one of the values above */
}

/* id_valid -- invariant (2). */
static bool id_valid(cf_slice id)
{
    if (id.len == 0 || id.len > S3_ACL_MAX_ID_BYTES)
        return false;
    for (size_t i = 0; i < id.len; i++) {
        uint8_t c = id.ptr[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* add -- appends a grant; false if the ACL is full or the id is not one. */
static bool add(s3_acl *a, s3_grantee g, cf_slice id, uint8_t perm)
{
    if (a->n == S3_ACL_MAX_GRANTS || (g == S3_GRANTEE_USER && !id_valid(id)))
        return false;
    s3_grant *gr = &a->grants[a->n++];
    gr->grantee = (uint8_t)g;
    gr->perm = perm;
    size_t n = g == S3_GRANTEE_USER ? id.len : 0;
    if (n)
        memcpy(gr->id, id.ptr, n);
    gr->id[n] = '\0';
    return true;
}

void s3_acl_private(s3_acl *a, const char *owner)
{
    snprintf(a->owner, sizeof a->owner, "%s", owner);
    a->n = 0;
    add(a, S3_GRANTEE_USER, slice_str(owner), S3_PERM_FULL_CONTROL);
}

bool s3_acl_canned(s3_acl *a, cf_slice name, const char *owner, const char *bucket_owner)
{
    s3_acl_private(a, owner);
    cf_slice none = slice_make(NULL, 0);
    bool other = strcmp(owner, bucket_owner) != 0;
    if (slice_eq(name, slice_str("private")) || slice_eq(name, slice_str("aws-exec-read")))
        return true;
    if (slice_eq(name, slice_str("public-read")))
        return add(a, S3_GRANTEE_ALL_USERS, none, S3_PERM_READ);
    if (slice_eq(name, slice_str("public-read-write")))
        return add(a, S3_GRANTEE_ALL_USERS, none, S3_PERM_READ) &&
               add(a, S3_GRANTEE_ALL_USERS, none, S3_PERM_WRITE);
    if (slice_eq(name, slice_str("authenticated-read")))
        return add(a, S3_GRANTEE_AUTH_USERS, none, S3_PERM_READ);
    if (slice_eq(name, slice_str("bucket-owner-read")))
        return !other || add(a, S3_GRANTEE_USER, slice_str(bucket_owner), S3_PERM_READ);
    if (slice_eq(name, slice_str("bucket-owner-full-control")))
        return !other || add(a, S3_GRANTEE_USER, slice_str(bucket_owner), S3_PERM_FULL_CONTROL);
    if (slice_eq(name, slice_str("log-delivery-write")))
        return add(a, S3_GRANTEE_LOG_DELIVERY, none, S3_PERM_WRITE) &&
               add(a, S3_GRANTEE_LOG_DELIVERY, none, S3_PERM_READ_ACP);
    return false;
}

/* group -- the grantee a group URI names; -1 for another URI. */
static int group(cf_slice uri)
{
    for (int g = S3_GRANTEE_ALL_USERS; g <= S3_GRANTEE_LOG_DELIVERY; g++)
        if (slice_eq(uri, slice_str(uris[g])))
            return g;
    return -1;
}

static cf_slice trim(cf_slice s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t'))
        s = slice_make(s.ptr + 1, s.len - 1);
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

s3_err_code s3_acl_grant_header(s3_acl *a, uint8_t perm, cf_slice value, const char **message)
{
    *message = "Invalid grant header";
    while (value.len) {
        const uint8_t *comma = memchr(value.ptr, ',', value.len);
        size_t n = comma ? (size_t)(comma - value.ptr) : value.len;
        cf_slice item = trim(slice_make(value.ptr, n));
        value = comma ? slice_make(comma + 1, value.len - n - 1) : slice_make(NULL, 0);
        const uint8_t *eq = memchr(item.ptr, '=', item.len);
        if (!eq)
            return S3_ERR_INVALID_ARGUMENT;
        cf_slice type = trim(slice_make(item.ptr, (size_t)(eq - item.ptr)));
        cf_slice v = trim(slice_make(eq + 1, item.len - (size_t)(eq - item.ptr) - 1));
        if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"')
            v = slice_make(v.ptr + 1, v.len - 2);
        if (type.len == 2 && strncasecmp((const char *)type.ptr, "id", 2) == 0) {
            if (!add(a, S3_GRANTEE_USER, v, perm)) {
                *message = "Invalid id";
                return S3_ERR_INVALID_ARGUMENT;
            }
        } else if (type.len == 3 && strncasecmp((const char *)type.ptr, "uri", 3) == 0) {
            int g = group(v);
            if (g < 0 || !add(a, (s3_grantee)g, slice_make(NULL, 0), perm)) {
                *message = "Invalid group uri";
                return S3_ERR_INVALID_ARGUMENT;
            }
        } else if (type.len == 12 && strncasecmp((const char *)type.ptr, "emailAddress", 12) == 0) {
            *message = NULL;
            return S3_ERR_UNRESOLVABLE_GRANT_BY_EMAIL_ADDRESS;
        } else {
            return S3_ERR_INVALID_ARGUMENT;
        }
    }
    *message = NULL;
    return S3_ERR_NONE;
}

s3_err_code s3_acl_from_doc(const s3_acl_doc *d, const char *owner, s3_acl *a,
                            const char **message)
{
    *message = NULL;
    snprintf(a->owner, sizeof a->owner, "%s", owner);
    a->n = 0;
    if (d->has_owner && !slice_eq(s3_xml_span_get(&d->text, d->owner), slice_str(owner))) {
        *message = "The Owner in the ACL is not the owner of the resource";
        return S3_ERR_ACCESS_DENIED;
    }
    for (size_t i = 0; i < d->n_grants; i++) {
        const s3_xml_grant *g = &d->grants[i];
        cf_slice who = s3_xml_span_get(&d->text, g->who);
        uint8_t perm = s3_acl_perm_parse(s3_xml_span_get(&d->text, g->perm));
        if (!perm) {
            *message = "A Permission is not one of FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP";
            return S3_ERR_MALFORMED_ACL_ERROR;
        }
        if (g->grantee == S3_XML_GRANTEE_EMAIL)
            return S3_ERR_UNRESOLVABLE_GRANT_BY_EMAIL_ADDRESS;
        int kind = g->grantee == S3_XML_GRANTEE_URI ? group(who) : S3_GRANTEE_USER;
        if (kind < 0 || !add(a, (s3_grantee)kind, who, perm)) {
            *message = kind < 0 ? "A grantee URI is not a group S3 knows" : "Invalid id";
            return kind < 0 ? S3_ERR_MALFORMED_ACL_ERROR : S3_ERR_INVALID_ARGUMENT;
        }
    }
    return S3_ERR_NONE;
}

int s3_acl_encode(const s3_acl *a, cf_buf *out, size_t cap)
{
    buf_clear(out);
    int rc = buf_append(out, a->owner, strlen(a->owner));
    for (size_t i = 0; !rc && i < a->n; i++) {
        const s3_grant *g = &a->grants[i];
        char item[200];
        int n = snprintf(item, sizeof item, " %s:%s:%s", kinds[g->grantee], g->id,
                         perm_name(g->perm));
        rc = buf_append(out, item, (size_t)n);
    }
    return rc ? rc : out->len > cap ? CF_ELIMIT : 0;
}

/* next_token -- the bytes up to the next ' ' (or the end) of *s, advancing past it. */
static cf_slice next_token(cf_slice *s)
{
    const uint8_t *sp = memchr(s->ptr, ' ', s->len);
    size_t n = sp ? (size_t)(sp - s->ptr) : s->len;
    cf_slice t = slice_make(s->ptr, n);
    *s = sp ? slice_make(sp + 1, s->len - n - 1) : slice_make(NULL, 0);
    return t;
}

int s3_acl_decode(cf_slice enc, s3_acl *a)
{
    a->n = 0;
    a->owner[0] = '\0';
    cf_slice owner = next_token(&enc);
    if (!id_valid(owner))
        return CF_ECORRUPT;
    memcpy(a->owner, owner.ptr, owner.len);
    a->owner[owner.len] = '\0';
    while (enc.ptr) {
        cf_slice t = next_token(&enc);
        const uint8_t *c1 = memchr(t.ptr, ':', t.len);
        const uint8_t *c2 = c1 ? memchr(c1 + 1, ':', t.len - (size_t)(c1 + 1 - t.ptr)) : NULL;
        if (!c2)
            goto bad;
        cf_slice kind = slice_make(t.ptr, (size_t)(c1 - t.ptr));
        cf_slice id = slice_make(c1 + 1, (size_t)(c2 - c1 - 1));
        uint8_t perm = s3_acl_perm_parse(slice_make(c2 + 1, t.len - (size_t)(c2 + 1 - t.ptr)));
        int g = -1;
        for (int k = 0; k < (int)(sizeof kinds / sizeof kinds[0]); k++)
            if (slice_eq(kind, slice_str(kinds[k])))
                g = k;
        if (g < 0 || !perm || (g != S3_GRANTEE_USER && id.len) || !add(a, (s3_grantee)g, id, perm))
            goto bad;
    }
    return 0;
bad:
    a->n = 0;
    return CF_ECORRUPT;
}

uint8_t s3_acl_perms(const s3_acl *a, const char *user, bool ignore_public)
{
    uint8_t bits = 0;
    for (size_t i = 0; i < a->n; i++) {
        const s3_grant *g = &a->grants[i];
        bool match = false;
        switch (g->grantee) {
        case S3_GRANTEE_USER: match = user && strcmp(g->id, user) == 0; break;
        case S3_GRANTEE_ALL_USERS: match = !ignore_public; break;
        case S3_GRANTEE_AUTH_USERS: match = !ignore_public && user; break;
        default: break; /* LogDelivery: no such principal here */
        }
        if (match)
            bits |= g->perm;
    }
    return bits;
}

bool s3_acl_is_public(const s3_acl *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->grants[i].grantee == S3_GRANTEE_ALL_USERS ||
            a->grants[i].grantee == S3_GRANTEE_AUTH_USERS)
            return true;
    return false;
}

bool s3_acl_is_owner_only(const s3_acl *a)
{
    return a->n == 1 && a->grants[0].grantee == S3_GRANTEE_USER &&
           a->grants[0].perm == S3_PERM_FULL_CONTROL && strcmp(a->grants[0].id, a->owner) == 0;
}

/* grantee -- <Grantee xmlns:xsi=... xsi:type="T">: the writer has no attributes, so the open
 * tag goes in as bytes (constants only); the children through the writer. */
static void grantee_open(s3_xml_writer *w, const char *type)
{
    char open[200];
    int n = snprintf(open, sizeof open,
                     "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                     "xsi:type=\"%s\">",
                     type);
    if (!w->err && buf_append(w->out, open, (size_t)n))
        w->err = CF_ENOMEM;
}

void s3_acl_xml(s3_xml_writer *w, const s3_acl *a)
{
    s3_xml_open_ns(w, "AccessControlPolicy", S3_XML_NS);
    s3_xml_open(w, "Owner");
    s3_xml_elem_str(w, "ID", a->owner);
    s3_xml_elem_str(w, "DisplayName", a->owner);
    s3_xml_close(w);
    s3_xml_open(w, "AccessControlList");
    for (size_t i = 0; i < a->n; i++) {
        const s3_grant *g = &a->grants[i];
        s3_xml_open(w, "Grant");
        if (g->grantee == S3_GRANTEE_USER) {
            grantee_open(w, "CanonicalUser");
            s3_xml_elem_str(w, "ID", g->id);
            s3_xml_elem_str(w, "DisplayName", g->id);
        } else {
            grantee_open(w, "Group");
            s3_xml_elem_str(w, "URI", uris[g->grantee]);
        }
        if (!w->err && buf_append(w->out, "</Grantee>", 10))
            w->err = CF_ENOMEM;
        s3_xml_elem_str(w, "Permission", perm_name(g->perm));
        s3_xml_close(w);
    }
    s3_xml_close(w);
    s3_xml_close(w);
}
