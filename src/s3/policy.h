/*
 * policy.h -- bucket policies: the IAM policy language as S3 evaluates it for bucket policies.
 *
 * A policy document (JSON, at most S3_POLICY_MAX_BYTES) is compiled once, by
 * s3_policy_parse, into an immutable s3_policy; every request to the bucket
 * is then judged by s3_policy_eval against that compiled form, which reads
 * no JSON and allocates nothing. The grammar, the principal forms, the
 * operators, the condition keys, the limits and everything refused are in
 * doc/policy.md.
 *
 * Files: policy_parse.c (document, statements, principals, actions,
 * resources), policy_cond.c (the Condition block), policy_value.c (typed
 * values: numbers, dates, IP ranges, the * and ? glob), policy_actions.c
 * (S3's action names), policy_eval.c (evaluation and "is public");
 * policy_int.h is the compiled form they share.
 *
 * Invariants:
 *  (1) a policy is applied whole or not at all: anything unsupported or
 *      malformed refuses the whole document (CF_EINVAL with the reason);
 *  (2) a compiled s3_policy is never written after s3_policy_parse returns,
 *      so any number of threads may evaluate it at once;
 *  (3) evaluation is bounded by the compiled size, which the named limits
 *      bound: no allocation, no recursion, no JSON.
 */
#ifndef S3_POLICY_H
#define S3_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/slice.h"

/* compiled, immutable after parse: safe to share across threads */
typedef struct s3_policy s3_policy;

#define S3_POLICY_MAX_BYTES 20480 /* S3's bucket policy size limit */

/* Bounds of a document beyond its size; breaking one is CF_EINVAL with a message naming it. */
#define S3_POLICY_MAX_DEPTH 8           /* JSON nesting; the grammar needs 6 (json-c enforces) */
#define S3_POLICY_MAX_STATEMENTS 128    /* statements per policy */
#define S3_POLICY_MAX_LIST 128          /* principals, actions, resources, values in one list */
#define S3_POLICY_MAX_CONDITIONS 32     /* (operator, key) pairs per statement */
#define S3_POLICY_MAX_STRING_BYTES 1280 /* one string: an ARN with a 1,024-byte key fits */
#define S3_POLICY_MAX_KEY_VALUES 64     /* values one condition key may have in a request */

/*
 * s3_policy_parse -- compiles policy document json for bucket `bucket`. 0 and *out (caller frees
 * with s3_policy_free), or CF_EINVAL with a message for S3's MalformedPolicy written into
 * why[why_cap] (e.g. "Policy has invalid action", "Unsupported condition operator: StringFoo",
 * "Policy has invalid resource" -- name the problem), or CF_ELIMIT (over S3_POLICY_MAX_BYTES),
 * CF_ENOMEM. A policy that uses anything not supported is refused WHOLE (never applied in part).
 * *out is NULL on every error; why is "" on success (why may be NULL when why_cap is 0).
 */
int s3_policy_parse(cf_slice json, cf_slice bucket, s3_policy **out, char *why, size_t why_cap);
void s3_policy_free(s3_policy *p); /* NULL is a no-op */

typedef enum s3_policy_effect {
    S3_POLICY_NO_MATCH = 0,
    S3_POLICY_ALLOW,
    S3_POLICY_DENY
} s3_policy_effect;

/* Condition keys coffer supplies (the only ones a policy may use; others: MalformedPolicy
 * naming it). */
typedef enum s3_policy_key {
    S3_PK_SOURCE_IP,               /* aws:SourceIp            "127.0.0.1" or an IPv6 address */
    S3_PK_SECURE_TRANSPORT,        /* aws:SecureTransport     "true"/"false" */
    S3_PK_CURRENT_TIME,            /* aws:CurrentTime         "2026-12-07T22:39:52Z" */
    S3_PK_EPOCH_TIME,              /* aws:EpochTime           "1796682000" */
    S3_PK_REFERER,                 /* aws:Referer */
    S3_PK_USER_AGENT,              /* aws:UserAgent */
    S3_PK_USERNAME,                /* aws:username            absent for anonymous */
    S3_PK_USERID,                  /* aws:userid */
    S3_PK_PRINCIPAL_TYPE,          /* aws:PrincipalType       "Anonymous" | "User" */
    S3_PK_PRINCIPAL_ARN,           /* aws:PrincipalArn */
    S3_PK_PREFIX,                  /* s3:prefix   (ListBucket) */
    S3_PK_DELIMITER,               /* s3:delimiter */
    S3_PK_MAX_KEYS,                /* s3:max-keys */
    S3_PK_X_AMZ_ACL,               /* s3:x-amz-acl */
    S3_PK_CONTENT_SHA256,          /* s3:x-amz-content-sha256 */
    S3_PK_COPY_SOURCE,             /* s3:x-amz-copy-source */
    S3_PK_METADATA_DIRECTIVE,      /* s3:x-amz-metadata-directive */
    S3_PK_STORAGE_CLASS,           /* s3:x-amz-storage-class */
    S3_PK_SIGNATURE_VERSION,       /* s3:signatureversion    "AWS" | "AWS4-HMAC-SHA256" */
    S3_PK_AUTH_TYPE,               /* s3:authType  "REST-HEADER" | "REST-QUERY-STRING" | "POST" */
    S3_PK_EXISTING_OBJECT_TAG,     /* s3:ExistingObjectTag/<tag-key>   (sub = tag key) */
    S3_PK_REQUEST_OBJECT_TAG,      /* s3:RequestObjectTag/<tag-key>    (sub = tag key) */
    S3_PK_REQUEST_OBJECT_TAG_KEYS, /* s3:RequestObjectTagKeys (multi-valued) */
    S3_PK_COUNT
} s3_policy_key;

/* The request as the evaluator sees it. */
typedef struct s3_policy_request {
    const char *action; /* "s3:GetObject" (exact case as AWS spells it) */
    cf_slice resource;  /* "arn:aws:s3:::bucket" or "arn:aws:s3:::bucket/key" */
    /* the caller's ARN "arn:aws:iam::coffer:user/<ACCESS_KEY>"; empty: anonymous */
    cf_slice principal;
    cf_slice canonical_id; /* the caller's canonical user id (= its access key); empty: anonymous */
    /* values -- the values of condition key k (sub: the tag key for the */
    /* ...ObjectTag/<k> keys, else empty) into vals[0..cap); returns how many (0: key absent). */
    /* The slices stay valid until the evaluation returns. */
    size_t (*values)(void *arg, s3_policy_key k, cf_slice sub, cf_slice *vals, size_t cap);
    void *arg;
} s3_policy_request;

/*
 * s3_policy_eval -- DENY if any matching statement denies (explicit deny wins), else ALLOW if
 * one allows, else NO_MATCH. *public_allow (may be NULL) is set when the ALLOW came only from
 * statements that s3_policy_statement_is_public would call public (for RestrictPublicBuckets).
 * values() is called only for the keys of conditions of statements whose principal, action and
 * resource match, with cap = S3_POLICY_MAX_KEY_VALUES; a count above cap breaks its contract
 * and makes the evaluation DENY (fail closed). values may be NULL: every key is then absent.
 * REQUIRES: p and req non-NULL, req->action NUL-terminated.
 */
s3_policy_effect s3_policy_eval(const s3_policy *p, const s3_policy_request *req,
                                bool *public_allow);

/*
 * s3_policy_is_public -- S3's "is this policy public" (GetBucketPolicyStatus, BlockPublicPolicy):
 * some Allow statement grants to Principal "*" (or {"AWS":"*"}) or uses NotPrincipal, without a
 * condition that pins it to fixed values (doc/policy.md, "Public policies", lists the keys and
 * operators that pin).
 */
bool s3_policy_is_public(const s3_policy *p);

/* s3_policy_statement_count -- how many statements p has. */
size_t s3_policy_statement_count(const s3_policy *p);

/* s3_policy_statement_is_public -- is statement i (0-based, in document order) a public Allow?
 * false for i out of range. s3_policy_is_public is "any statement is public". */
bool s3_policy_statement_is_public(const s3_policy *p, size_t i);

/*
 * s3_policy_users -- the access keys the policy names as principals (from
 * "arn:aws:iam::coffer:user/NAME", a bare canonical id in "AWS", and
 * "CanonicalUser"), in document order, duplicates kept: the first cap into
 * out[], and the total is returned. PutBucketPolicy checks each exists and
 * answers MalformedPolicy "Invalid principal in policy" if one does not (as
 * S3 does); the parser cannot, it has no store. The slices live as long as p.
 */
size_t s3_policy_users(const s3_policy *p, cf_slice *out, size_t cap);

#endif
