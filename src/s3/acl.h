/*
 * acl.h -- S3 access control lists: grants, canned ACLs, the x-amz-grant-*
 * headers, the AccessControlPolicy document, the form coffer stores them
 * in, and what an ACL grants a caller. Internal to the s3 layer (acl.c).
 *
 * A grantee is a user (canonical id = a coffer access key) or one of S3's
 * groups AllUsers (anyone, anonymous included), AuthenticatedUsers (any
 * signed request) and LogDelivery (kept and shown, grants nothing here).
 *
 * Stored form (doc/formats.md, "Access control lists"): one line of ASCII,
 *     OWNER ( ' ' KIND ':' [ID] ':' PERMISSION )*
 * KIND u (a user, ID its access key), all, auth, log; PERMISSION one of
 * FULL_CONTROL READ WRITE READ_ACP WRITE_ACP. Example: the canned
 * public-read ACL of a bucket owned by CFADMIN is
 *     CFADMIN u:CFADMIN:FULL_CONTROL all::READ
 * A bucket's ACL is its row's acl cell; an object's, the kept header line
 * "x-coffer-acl" of its meta (absent: owned by the bucket owner, private).
 *
 * Invariants:
 *  (1) s3_acl_decode accepts exactly what s3_acl_encode writes; anything
 *      else is CF_ECORRUPT (coffer check reports it), never a partial ACL.
 *  (2) ids are 1..128 bytes of [A-Za-z0-9._-] (access keys), so the stored
 *      form needs no escaping and the XML writer's escaping is belt and braces.
 */
#ifndef S3_ACL_H
#define S3_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s3/errors.h"
#include "s3/xml.h"
#include "util/buf.h"
#include "util/slice.h"

#define S3_ACL_MAX_GRANTS 100  /* S3's limit */
#define S3_ACL_MAX_ID_BYTES 128 /* an access key */

/* Permissions, as bits; FULL_CONTROL is all four. */
enum {
    S3_PERM_READ = 1,
    S3_PERM_WRITE = 2,
    S3_PERM_READ_ACP = 4,
    S3_PERM_WRITE_ACP = 8,
    S3_PERM_FULL_CONTROL = 15,
};

typedef enum s3_grantee {
    S3_GRANTEE_USER = 0,
    S3_GRANTEE_ALL_USERS,
    S3_GRANTEE_AUTH_USERS,
    S3_GRANTEE_LOG_DELIVERY,
} s3_grantee;

typedef struct s3_grant {
    uint8_t grantee; /* s3_grantee */
    uint8_t perm;    /* one S3_PERM_* value (FULL_CONTROL counts as one) */
    char id[S3_ACL_MAX_ID_BYTES + 1]; /* S3_GRANTEE_USER: the access key; else "" */
} s3_grant;

typedef struct s3_acl {
    char owner[S3_ACL_MAX_ID_BYTES + 1];
    size_t n;
    s3_grant grants[S3_ACL_MAX_GRANTS];
} s3_acl;

/* s3_acl_private -- the default ACL: owner has FULL_CONTROL. */
void s3_acl_private(s3_acl *a, const char *owner);

/*
 * s3_acl_canned -- the canned ACL name for a resource owned by owner in a
 * bucket owned by bucket_owner: private, public-read, public-read-write,
 * authenticated-read, bucket-owner-read, bucket-owner-full-control (the
 * last two as owner's private ACL on a bucket, as S3), log-delivery-write,
 * aws-exec-read (as private: coffer has no EC2). false for another name.
 */
bool s3_acl_canned(s3_acl *a, cf_slice name, const char *owner, const char *bucket_owner);

/*
 * s3_acl_grant_header -- adds the grants of one x-amz-grant-<perm> header
 * value ('id="..."', 'uri="..."', 'emailAddress="..."', comma-separated)
 * with permission perm. S3_ERR_NONE, InvalidArgument (bad syntax, an
 * unknown group URI, too many grants), UnresolvableGrantByEmailAddress.
 * Ids are checked against the users by the caller.
 */
s3_err_code s3_acl_grant_header(s3_acl *a, uint8_t perm, cf_slice value, const char **message);

/* s3_acl_perm_parse -- "READ" ... "FULL_CONTROL" to its bits; 0 for anything else. */
uint8_t s3_acl_perm_parse(cf_slice name);

/*
 * s3_acl_from_doc -- the ACL of a parsed AccessControlPolicy: grants
 * validated (permission names, group URIs; an email grantee is
 * UnresolvableGrantByEmailAddress) and the owner set to owner (S3 refuses a
 * document naming another owner: AccessDenied). MalformedACLError otherwise.
 */
s3_err_code s3_acl_from_doc(const s3_acl_doc *d, const char *owner, s3_acl *a,
                            const char **message);

/* s3_acl_encode -- the stored form into out (cleared first). CF_ELIMIT over cap bytes. */
int s3_acl_encode(const s3_acl *a, cf_buf *out, size_t cap);
/* s3_acl_decode -- a stored ACL (invariant (1)). 0 or CF_ECORRUPT. */
int s3_acl_decode(cf_slice enc, s3_acl *a);

/*
 * s3_acl_perms -- the permission bits a grants the caller: user (an access
 * key, or NULL for an anonymous request). ignore_public drops the grants to
 * AllUsers and AuthenticatedUsers (IgnorePublicAcls).
 */
uint8_t s3_acl_perms(const s3_acl *a, const char *user, bool ignore_public);

/* s3_acl_is_public -- does a grant anything to AllUsers or AuthenticatedUsers? */
bool s3_acl_is_public(const s3_acl *a);

/* s3_acl_is_owner_only -- is a exactly "owner has FULL_CONTROL" (what BucketOwnerEnforced allows)? */
bool s3_acl_is_owner_only(const s3_acl *a);

/* s3_acl_xml -- writes a as an AccessControlPolicy document with w (after the declaration). */
void s3_acl_xml(s3_xml_writer *w, const s3_acl *a);

#endif
