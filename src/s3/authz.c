/*
 * authz.c -- the authorization point (authz.h): each S3 action's scope and
 * ACL permission, the decision of authz.h's steps 1-6, and the values of
 * the policy condition keys for the request being judged.
 *
 * Invariants:
 *  (1) every path that cannot decide (a stored policy or ACL that does not
 *      decode, no memory) denies: authorization fails closed.
 *  (2) the object is read only when the decision depends on it (its ACL,
 *      its tags in a condition) and then at most once per request; GET and
 *      HEAD reuse what was read (r->obj).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3/policy.h"
#include "s3/s3_int.h"
#include "util/log.h"

enum { SC_SERVICE, SC_BUCKET, SC_OBJECT };

typedef struct action_row {
    const char *name;
    uint8_t scope;
    uint8_t perm;     /* the ACL permission that grants it; 0: owner and policy only */
    bool object_acl;  /* the object's ACL governs it, not the bucket's */
    bool policy_mgmt; /* the owner may do it despite a Deny (no lock-out) */
} action_row;

static const action_row actions[S3_ACT_COUNT] = {
    [S3_ACT_NONE] = {"", SC_SERVICE, 0, false, false},
    [S3_ACT_LIST_ALL_MY_BUCKETS] = {"s3:ListAllMyBuckets", SC_SERVICE, 0, false, false},
    [S3_ACT_CREATE_BUCKET] = {"s3:CreateBucket", SC_SERVICE, 0, false, false},
    [S3_ACT_DELETE_BUCKET] = {"s3:DeleteBucket", SC_BUCKET, 0, false, false},
    [S3_ACT_LIST_BUCKET] = {"s3:ListBucket", SC_BUCKET, S3_PERM_READ, false, false},
    [S3_ACT_LIST_BUCKET_VERSIONS] = {"s3:ListBucketVersions", SC_BUCKET, S3_PERM_READ, false, false},
    [S3_ACT_LIST_BUCKET_MULTIPART_UPLOADS] = {"s3:ListBucketMultipartUploads", SC_BUCKET,
                                              S3_PERM_READ, false, false},
    [S3_ACT_GET_BUCKET_LOCATION] = {"s3:GetBucketLocation", SC_BUCKET, 0, false, false},
    [S3_ACT_GET_BUCKET_VERSIONING] = {"s3:GetBucketVersioning", SC_BUCKET, 0, false, false},
    [S3_ACT_GET_BUCKET_ACL] = {"s3:GetBucketAcl", SC_BUCKET, S3_PERM_READ_ACP, false, false},
    [S3_ACT_PUT_BUCKET_ACL] = {"s3:PutBucketAcl", SC_BUCKET, S3_PERM_WRITE_ACP, false, false},
    [S3_ACT_GET_BUCKET_POLICY] = {"s3:GetBucketPolicy", SC_BUCKET, 0, false, true},
    [S3_ACT_PUT_BUCKET_POLICY] = {"s3:PutBucketPolicy", SC_BUCKET, 0, false, true},
    [S3_ACT_DELETE_BUCKET_POLICY] = {"s3:DeleteBucketPolicy", SC_BUCKET, 0, false, true},
    [S3_ACT_GET_BUCKET_POLICY_STATUS] = {"s3:GetBucketPolicyStatus", SC_BUCKET, 0, false, false},
    [S3_ACT_GET_BUCKET_CORS] = {"s3:GetBucketCORS", SC_BUCKET, 0, false, false},
    [S3_ACT_PUT_BUCKET_CORS] = {"s3:PutBucketCORS", SC_BUCKET, 0, false, false},
    [S3_ACT_GET_BUCKET_OWNERSHIP_CONTROLS] = {"s3:GetBucketOwnershipControls", SC_BUCKET, 0,
                                              false, false},
    [S3_ACT_PUT_BUCKET_OWNERSHIP_CONTROLS] = {"s3:PutBucketOwnershipControls", SC_BUCKET, 0,
                                              false, false},
    [S3_ACT_GET_BUCKET_PUBLIC_ACCESS_BLOCK] = {"s3:GetBucketPublicAccessBlock", SC_BUCKET, 0,
                                               false, false},
    [S3_ACT_PUT_BUCKET_PUBLIC_ACCESS_BLOCK] = {"s3:PutBucketPublicAccessBlock", SC_BUCKET, 0,
                                               false, false},
    [S3_ACT_GET_OBJECT] = {"s3:GetObject", SC_OBJECT, S3_PERM_READ, true, false},
    [S3_ACT_PUT_OBJECT] = {"s3:PutObject", SC_OBJECT, S3_PERM_WRITE, false, false},
    [S3_ACT_DELETE_OBJECT] = {"s3:DeleteObject", SC_OBJECT, S3_PERM_WRITE, false, false},
    [S3_ACT_GET_OBJECT_ACL] = {"s3:GetObjectAcl", SC_OBJECT, S3_PERM_READ_ACP, true, false},
    [S3_ACT_PUT_OBJECT_ACL] = {"s3:PutObjectAcl", SC_OBJECT, S3_PERM_WRITE_ACP, true, false},
    [S3_ACT_GET_OBJECT_TAGGING] = {"s3:GetObjectTagging", SC_OBJECT, 0, false, false},
    [S3_ACT_PUT_OBJECT_TAGGING] = {"s3:PutObjectTagging", SC_OBJECT, 0, false, false},
    [S3_ACT_DELETE_OBJECT_TAGGING] = {"s3:DeleteObjectTagging", SC_OBJECT, 0, false, false},
    [S3_ACT_ABORT_MULTIPART_UPLOAD] = {"s3:AbortMultipartUpload", SC_OBJECT, S3_PERM_WRITE, false,
                                       false},
    [S3_ACT_LIST_MULTIPART_UPLOAD_PARTS] = {"s3:ListMultipartUploadParts", SC_OBJECT, S3_PERM_READ,
                                            false, false},
};

const char *s3_action_name(s3_action a)
{
    return a > S3_ACT_NONE && a < S3_ACT_COUNT ? actions[a].name : "";
}

bool s3_bucket_block(const store_bucket *b, int i)
{
    return strlen(b->block) == 4 && b->block[i] == '1';
}

bool s3_bucket_acls_enabled(const store_bucket *b)
{
    return strcmp(b->ownership, "BucketOwnerEnforced") != 0;
}

int s3_object_acl(const store_bucket *b, const store_meta *m, s3_acl *out)
{
    cf_slice line = m ? s3_meta_find(m, "x-coffer-acl") : slice_make(NULL, 0);
    if (!line.ptr) {
        s3_acl_private(out, b->owner);
        return 0;
    }
    return s3_acl_decode(line, out);
}

/* ---- the request as policy conditions see it ---- */

typedef struct judge {
    s3_req *r;
    s3_action act;
    const store_bucket *b;
    cf_slice key;
    const store_meta *m; /* the object, when known */
    bool m_known;        /* m was looked for (NULL then means: no such object) */
    char arn[200];
    char now_iso[32], now_epoch[24]; /* aws:CurrentTime, aws:EpochTime: made when asked */
    cf_buf tags; /* decoded tags of the request or the object, "k\0v\0..." */
} judge;

/* tag_values -- the value of tag `sub` (or every key when sub.ptr is NULL) of an
 * "&"-joined, percent-encoded tag set, decoded into j->tags (reserved once: no realloc
 * while slices into it are out). */
static size_t tag_values(judge *j, cf_slice set, cf_slice sub, cf_slice *vals, size_t cap)
{
    size_t n = 0;
    cf_slice q = set, name, value;
    cf_buf tmp = {0};
    buf_clear(&j->tags);
    if (buf_reserve(&j->tags, set.len + 1) != 0)
        return 0;
    while (q.ptr && q.len && http_query_next(&q, &name, &value) == 1 && n < cap) {
        cf_slice k, v;
        if (http_pct_decode(name, &tmp, true) != 0)
            break;
        k = slice_make(j->tags.data + j->tags.len, tmp.len);
        buf_append(&j->tags, tmp.data, tmp.len);
        if (http_pct_decode(value.ptr ? value : slice_make("", 0), &tmp, true) != 0)
            break;
        v = slice_make(j->tags.data + j->tags.len, tmp.len);
        buf_append(&j->tags, tmp.data, tmp.len);
        if (!sub.ptr)
            vals[n++] = k;
        else if (slice_eq(k, sub))
            vals[n++] = v;
    }
    buf_free(&tmp);
    return n;
}

static const store_meta *object_of(judge *j);

static size_t one(cf_slice *vals, cf_slice v)
{
    if (!v.ptr)
        return 0;
    vals[0] = v;
    return 1;
}

static size_t values(void *arg, s3_policy_key k, cf_slice sub, cf_slice *vals, size_t cap)
{
    judge *j = arg;
    s3_req *r = j->r;
    bool v4 = !r->auth.sigv2;
    switch (k) {
    case S3_PK_SOURCE_IP: return one(vals, http_exchange_peer(r->ex));
    case S3_PK_SECURE_TRANSPORT: return one(vals, slice_str("false")); /* no TLS in coffer */
    case S3_PK_CURRENT_TIME:
    case S3_PK_EPOCH_TIME:
        if (!j->now_epoch[0]) { /* only when a condition asks: gmtime_r takes a global lock */
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            strftime(j->now_iso, sizeof j->now_iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
            snprintf(j->now_epoch, sizeof j->now_epoch, "%lld", (long long)now);
        }
        return one(vals, slice_str(k == S3_PK_EPOCH_TIME ? j->now_epoch : j->now_iso));
    case S3_PK_REFERER: return one(vals, s3_header(r, "referer"));
    case S3_PK_USER_AGENT: return one(vals, s3_header(r, "user-agent"));
    case S3_PK_USERNAME:
    case S3_PK_USERID: return r->anonymous ? 0 : one(vals, slice_str(r->access_key));
    case S3_PK_PRINCIPAL_TYPE:
        return one(vals, slice_str(r->anonymous ? "Anonymous" : "User"));
    case S3_PK_PRINCIPAL_ARN: return r->anonymous ? 0 : one(vals, slice_str(j->arn));
    case S3_PK_PREFIX: return one(vals, s3_param_get(r, "prefix"));
    case S3_PK_DELIMITER: return one(vals, s3_param_get(r, "delimiter"));
    case S3_PK_MAX_KEYS: return one(vals, s3_param_get(r, "max-keys"));
    case S3_PK_X_AMZ_ACL:
        return one(vals, r->post_form ? r->form_acl : s3_header(r, "x-amz-acl"));
    case S3_PK_CONTENT_SHA256: return one(vals, s3_header(r, "x-amz-content-sha256"));
    case S3_PK_COPY_SOURCE: return one(vals, s3_header(r, "x-amz-copy-source"));
    case S3_PK_METADATA_DIRECTIVE: return one(vals, s3_header(r, "x-amz-metadata-directive"));
    case S3_PK_STORAGE_CLASS: return one(vals, s3_header(r, "x-amz-storage-class"));
    case S3_PK_SIGNATURE_VERSION:
        return r->anonymous ? 0 : one(vals, slice_str(v4 ? "AWS4-HMAC-SHA256" : "AWS"));
    case S3_PK_AUTH_TYPE:
        if (r->anonymous)
            return 0;
        return one(vals, slice_str(r->post_form       ? "POST"
                                   : r->auth.presigned ? "REST-QUERY-STRING"
                                                       : "REST-HEADER"));
    case S3_PK_EXISTING_OBJECT_TAG: {
        const store_meta *m = j->key.len ? object_of(j) : NULL;
        return m ? tag_values(j, s3_meta_find(m, "x-amz-tagging"), sub, vals, cap) : 0;
    }
    case S3_PK_REQUEST_OBJECT_TAG:
    case S3_PK_REQUEST_OBJECT_TAG_KEYS:
        /* tags in a body (PutObjectTagging, a form's tagging field) are read after this
         * decision: a condition on them cannot be judged, so it fails closed (more values
         * than cap make s3_policy_eval deny) rather than passing as "no tags" */
        if (j->act == S3_ACT_PUT_OBJECT_TAGGING ||
            (r->post_form && r->post_tagging))
            return cap + 1;
        return tag_values(j, s3_header(r, "x-amz-tagging"),
                          k == S3_PK_REQUEST_OBJECT_TAG ? sub : slice_make(NULL, 0), vals, cap);
    default: return 0;
    }
}

/* ---- the decision ---- */

/* policy_effect -- step 1 and 4's input: the bucket policy's verdict on act (DENY when it
 * cannot be judged, invariant (1)); *public_only as s3_policy_eval sets it. */
static s3_policy_effect policy_effect(judge *j, s3_action act, bool *public_only)
{
    *public_only = false;
    if (!j->b->policy_us)
        return S3_POLICY_NO_MATCH;
    s3_policy_ref *ref = NULL;
    int rc = s3_policy_acquire(j->r->ctx, j->b, &ref);
    if (rc == CF_ENOTFOUND)
        return S3_POLICY_NO_MATCH; /* deleted since the row was read */
    if (rc)
        return S3_POLICY_DENY;
    char res[1200];
    int n = snprintf(res, sizeof res, "arn:aws:s3:::%s%s%.*s", j->b->name, j->key.len ? "/" : "",
                     (int)j->key.len, (const char *)j->key.ptr);
    s3_policy_request pr = {
        actions[act].name,
        slice_make(res, n < (int)sizeof res ? (size_t)n : sizeof res - 1),
        j->r->anonymous ? slice_make(NULL, 0) : slice_str(j->arn),
        j->r->anonymous ? slice_make(NULL, 0) : slice_str(j->r->access_key),
        values,
        j,
    };
    s3_policy_effect e = s3_policy_eval(s3_policy_of(ref), &pr, public_only);
    s3_policy_release(ref);
    return e;
}

int s3_object_load(s3_req *r)
{
    if (!r->obj && !r->obj_rc) {
        r->obj = calloc(1, sizeof *r->obj);
        r->obj_rc = r->obj ? store_head(r->ctx->st, s3_bucket(r), s3_key(r), r->obj) : CF_ENOMEM;
        if (r->obj_rc) {
            free(r->obj);
            r->obj = NULL;
        }
    }
    return r->obj_rc;
}

/* object_of -- the object meta the decision needs (step 3 or 5, or a tag condition): the
 * addressed object, read once (invariant (2)), or the one the caller gave; NULL if none. */
static const store_meta *object_of(judge *j)
{
    if (!j->m_known && j->b == &j->r->b)
        j->m = s3_object_load(j->r) == 0 ? j->r->obj : NULL;
    j->m_known = true;
    return j->m;
}

/* missing_key_visible -- S3 answers a GET of a missing key with NoSuchKey only to a
 * caller who may list the bucket, AccessDenied to others (no probing for keys). */
static bool missing_key_visible(judge *j)
{
    return s3_authorize_other(j->r, S3_ACT_LIST_BUCKET, j->b, slice_make(NULL, 0), NULL);
}

static bool decide(judge *j, s3_action act)
{
    s3_req *r = j->r;
    const action_row *a = &actions[act];
    const store_bucket *b = j->b;
    if (a->scope == SC_SERVICE)
        return !r->anonymous; /* list and create: any signed user */
    bool owner = !r->anonymous && strcmp(b->owner, r->access_key) == 0;
    bool public_only;
    s3_policy_effect eff = policy_effect(j, act, &public_only); /* step 1 */
    if (eff == S3_POLICY_DENY && !(a->policy_mgmt && (owner || r->admin)))
        return false;
    if (r->admin) /* step 2 */
        return true;
    bool acls = s3_bucket_acls_enabled(b);
    bool ignore_public = s3_bucket_block(b, S3_IGNORE_PUBLIC_ACLS);
    if (owner) { /* step 3 */
        if (!a->object_acl || !acls)
            return true;
        const store_meta *m = object_of(j);
        s3_acl acl;
        if (!m)
            return true; /* the handler answers NoSuchKey */
        if (s3_object_acl(b, m, &acl) != 0)
            return false;
        if (strcmp(acl.owner, b->owner) == 0 || eff == S3_POLICY_ALLOW)
            return true;
        return (s3_acl_perms(&acl, r->access_key, ignore_public) & a->perm) == a->perm;
    }
    if (eff == S3_POLICY_ALLOW && !(public_only && s3_bucket_block(b, S3_RESTRICT_PUBLIC_BUCKETS)))
        return act != S3_ACT_GET_OBJECT || object_of(j) || missing_key_visible(j); /* step 4 */
    if (!acls || !a->perm) /* step 5 */
        return false;
    const char *who = r->anonymous ? NULL : r->access_key;
    s3_acl acl;
    if (!a->object_acl) {
        if (b->acl[0] == '\0')
            s3_acl_private(&acl, b->owner);
        else if (s3_acl_decode(slice_str(b->acl), &acl) != 0)
            return false;
        return (s3_acl_perms(&acl, who, ignore_public) & a->perm) == a->perm;
    }
    const store_meta *m = object_of(j);
    if (!m)
        return act != S3_ACT_GET_OBJECT || missing_key_visible(j);
    if (s3_object_acl(b, m, &acl) != 0)
        return false;
    uint8_t have = s3_acl_perms(&acl, who, ignore_public);
    if (who && strcmp(acl.owner, who) == 0) /* an object's owner may always read and write its ACL */
        have |= S3_PERM_READ_ACP | S3_PERM_WRITE_ACP;
    return (have & a->perm) == a->perm;
}

static bool judge_run(s3_req *r, s3_action act, const store_bucket *b, cf_slice key,
                      const store_meta *m, bool m_known)
{
    judge j;
    memset(&j, 0, sizeof j);
    j.r = r;
    j.act = act;
    j.b = b;
    j.key = key;
    j.m = m;
    j.m_known = m_known;
    snprintf(j.arn, sizeof j.arn, "arn:aws:iam::coffer:user/%s", r->access_key);
    bool ok = decide(&j, act);
    buf_free(&j.tags);
    return ok;
}

bool s3_authorize_other(s3_req *r, s3_action act, const store_bucket *b, cf_slice key,
                        const store_meta *m)
{
    return judge_run(r, act, b, key, m, true);
}

bool s3_expected_owner_ok(s3_req *r, const store_bucket *b, const char *header)
{
    cf_slice expected = s3_header(r, header);
    return !expected.ptr || slice_eq(expected, slice_str(b->owner));
}

int s3_authorize(s3_req *r, s3_action act)
{
    if (actions[act].scope == SC_SERVICE) {
        if (judge_run(r, act, NULL, slice_make(NULL, 0), NULL, true))
            return 0;
        s3_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return -1;
    }
    int rc = store_bucket_get(r->ctx->st, s3_bucket(r), &r->b);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        return -1;
    }
    bool ok = s3_expected_owner_ok(r, &r->b, "x-amz-expected-bucket-owner");
    cf_slice key = actions[act].scope == SC_OBJECT ? s3_key(r) : slice_make(NULL, 0);
    if (ok)
        ok = judge_run(r, act, &r->b, key, NULL, false);
    if (!ok) {
        s3_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return -1;
    }
    return 0;
}
