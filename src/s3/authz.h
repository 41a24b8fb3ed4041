/*
 * authz.h -- who may do what: the S3 actions coffer serves and the one
 * function that decides whether a caller may perform one. Internal to the
 * s3 layer (authz.c; the policy cache in authz_cache.c).
 *
 * Every route of router.c names its action; the router calls s3_authorize
 * before the handler runs, and no handler compares owners itself. The only
 * other callers decide for a second resource of the same request: the
 * source of a copy, each key of DeleteObjects, the key of a form upload.
 *
 * The decision, for a caller (a user, or anonymous: no signature), on a
 * resource in a bucket (doc/security.md, "Who may do what"):
 *  1. the bucket policy, if any, is evaluated; an explicit Deny refuses,
 *     whoever asks (the bucket owner and an admin may still read, replace
 *     and delete the policy, so nobody locks themselves out);
 *  2. an admin may do anything else;
 *  3. the bucket owner may do anything to the bucket and its objects,
 *     except read an object (or its ACL) another user wrote and kept
 *     private under ObjectWriter ownership -- as S3;
 *  4. a policy Allow allows (unless RestrictPublicBuckets is on and the
 *     allow came only from public statements);
 *  5. unless the bucket enforces BucketOwnerEnforced, the ACL that governs
 *     the action (the bucket's, or the object's for reads of an object and
 *     of its ACL) allows when it grants the action's permission to the
 *     caller, AuthenticatedUsers (signed callers) or AllUsers (anyone);
 *     IgnorePublicAcls drops the last two;
 *  6. anything else is AccessDenied.
 */
#ifndef S3_AUTHZ_H
#define S3_AUTHZ_H

#include <stdbool.h>

#include "store/store.h"
#include "util/slice.h"

/* S3 actions, by IAM name (authz.c's table gives each its scope and ACL permission). */
typedef enum s3_action {
    S3_ACT_NONE = 0, /* not authorized by the table: _coffer admin endpoints */
    S3_ACT_LIST_ALL_MY_BUCKETS,
    S3_ACT_CREATE_BUCKET,
    S3_ACT_DELETE_BUCKET,
    S3_ACT_LIST_BUCKET,
    S3_ACT_LIST_BUCKET_VERSIONS,
    S3_ACT_LIST_BUCKET_MULTIPART_UPLOADS,
    S3_ACT_GET_BUCKET_LOCATION,
    S3_ACT_GET_BUCKET_VERSIONING,
    S3_ACT_GET_BUCKET_ACL,
    S3_ACT_PUT_BUCKET_ACL,
    S3_ACT_GET_BUCKET_POLICY,
    S3_ACT_PUT_BUCKET_POLICY,
    S3_ACT_DELETE_BUCKET_POLICY,
    S3_ACT_GET_BUCKET_POLICY_STATUS,
    S3_ACT_GET_BUCKET_CORS,
    S3_ACT_PUT_BUCKET_CORS, /* DeleteBucketCors too, as S3 */
    S3_ACT_GET_BUCKET_OWNERSHIP_CONTROLS,
    S3_ACT_PUT_BUCKET_OWNERSHIP_CONTROLS,
    S3_ACT_GET_BUCKET_PUBLIC_ACCESS_BLOCK,
    S3_ACT_PUT_BUCKET_PUBLIC_ACCESS_BLOCK,
    S3_ACT_GET_OBJECT,
    S3_ACT_PUT_OBJECT,
    S3_ACT_DELETE_OBJECT,
    S3_ACT_GET_OBJECT_ACL,
    S3_ACT_PUT_OBJECT_ACL,
    S3_ACT_GET_OBJECT_TAGGING,
    S3_ACT_PUT_OBJECT_TAGGING,
    S3_ACT_DELETE_OBJECT_TAGGING,
    S3_ACT_ABORT_MULTIPART_UPLOAD,
    S3_ACT_LIST_MULTIPART_UPLOAD_PARTS,
    S3_ACT_COUNT
} s3_action;

/* s3_action_name -- "s3:GetObject". */
const char *s3_action_name(s3_action a);

/* The public access block's four settings, in their stored order (store.h: "pab"). */
enum { S3_BLOCK_PUBLIC_ACLS = 0, S3_IGNORE_PUBLIC_ACLS, S3_BLOCK_PUBLIC_POLICY,
       S3_RESTRICT_PUBLIC_BUCKETS };

/* s3_bucket_block -- setting i of b's public access block (false when none is set). */
bool s3_bucket_block(const store_bucket *b, int i);

/* s3_bucket_acls_enabled -- false when b's Object Ownership is BucketOwnerEnforced. */
bool s3_bucket_acls_enabled(const store_bucket *b);

#endif
