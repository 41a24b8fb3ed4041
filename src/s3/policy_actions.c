/*
 * policy_actions.c -- the S3 action names a bucket policy may use, and the resource each one
 * is authorized against.
 *
 * S3 refuses a policy naming an action it does not know ("Policy has invalid
 * action") and one whose actions apply to none of its resources ("Action
 * does not apply to any resource(s) in statement": s3:GetObject with only
 * the bucket's ARN). policy_parse.c checks both against this table. It holds
 * the bucket- and object-level actions of AWS's service authorization
 * reference for S3, not only those coffer serves: a policy written for AWS
 * must load (a statement about an action coffer never asks about never
 * matches). An action missing here refuses a valid policy: add its row.
 *
 * Rows are sorted by their lowercased name (pol_action_index searches them
 * by halves; policy_test.c checks the order), at most 64 * POL_ACTION_WORDS.
 */
#include <string.h>
#include <strings.h>

#include "s3/policy_int.h"

typedef struct action_row {
    const char *name; /* after "s3:", as AWS spells it */
    unsigned type;    /* POL_RT_* it is authorized against */
} action_row;

#define B POL_RT_BUCKET
#define O POL_RT_OBJECT
static const action_row actions[] = {
    {"AbortMultipartUpload", O},
    {"BypassGovernanceRetention", O},
    {"CreateBucket", B},
    {"CreateBucketMetadataTableConfiguration", B},
    {"DeleteBucket", B},
    {"DeleteBucketMetadataTableConfiguration", B},
    {"DeleteBucketOwnershipControls", B},
    {"DeleteBucketPolicy", B},
    {"DeleteBucketWebsite", B},
    {"DeleteObject", O},
    {"DeleteObjectTagging", O},
    {"DeleteObjectVersion", O},
    {"DeleteObjectVersionTagging", O},
    {"GetAccelerateConfiguration", B},
    {"GetAnalyticsConfiguration", B},
    {"GetBucketAcl", B},
    {"GetBucketCORS", B},
    {"GetBucketLocation", B},
    {"GetBucketLogging", B},
    {"GetBucketMetadataTableConfiguration", B},
    {"GetBucketNotification", B},
    {"GetBucketObjectLockConfiguration", B},
    {"GetBucketOwnershipControls", B},
    {"GetBucketPolicy", B},
    {"GetBucketPolicyStatus", B},
    {"GetBucketPublicAccessBlock", B},
    {"GetBucketRequestPayment", B},
    {"GetBucketTagging", B},
    {"GetBucketVersioning", B},
    {"GetBucketWebsite", B},
    {"GetEncryptionConfiguration", B},
    {"GetIntelligentTieringConfiguration", B},
    {"GetInventoryConfiguration", B},
    {"GetLifecycleConfiguration", B},
    {"GetMetricsConfiguration", B},
    {"GetObject", O},
    {"GetObjectAcl", O},
    {"GetObjectAttributes", O},
    {"GetObjectLegalHold", O},
    {"GetObjectRetention", O},
    {"GetObjectTagging", O},
    {"GetObjectTorrent", O},
    {"GetObjectVersion", O},
    {"GetObjectVersionAcl", O},
    {"GetObjectVersionAttributes", O},
    {"GetObjectVersionForReplication", O},
    {"GetObjectVersionTagging", O},
    {"GetObjectVersionTorrent", O},
    {"GetReplicationConfiguration", B},
    {"InitiateReplication", O},
    {"ListBucket", B},
    {"ListBucketMultipartUploads", B},
    {"ListBucketVersions", B},
    {"ListMultipartUploadParts", O},
    {"ObjectOwnerOverrideToBucketOwner", O},
    {"PutAccelerateConfiguration", B},
    {"PutAnalyticsConfiguration", B},
    {"PutBucketAcl", B},
    {"PutBucketCORS", B},
    {"PutBucketLogging", B},
    {"PutBucketNotification", B},
    {"PutBucketObjectLockConfiguration", B},
    {"PutBucketOwnershipControls", B},
    {"PutBucketPolicy", B},
    {"PutBucketPublicAccessBlock", B},
    {"PutBucketRequestPayment", B},
    {"PutBucketTagging", B},
    {"PutBucketVersioning", B},
    {"PutBucketWebsite", B},
    {"PutEncryptionConfiguration", B},
    {"PutIntelligentTieringConfiguration", B},
    {"PutInventoryConfiguration", B},
    {"PutLifecycleConfiguration", B},
    {"PutMetricsConfiguration", B},
    {"PutObject", O},
    {"PutObjectAcl", O},
    {"PutObjectLegalHold", O},
    {"PutObjectRetention", O},
    {"PutObjectTagging", O},
    {"PutObjectVersionAcl", O},
    {"PutObjectVersionTagging", O},
    {"PutReplicationConfiguration", B},
    {"ReplicateDelete", O},
    {"ReplicateObject", O},
    {"ReplicateTags", O},
    {"RestoreObject", O},
};
#undef B
#undef O

#define COUNT (sizeof actions / sizeof actions[0])
_Static_assert(COUNT <= 64 * POL_ACTION_WORDS, "pol_action_set holds one bit per row");

unsigned pol_action_match(cf_slice pattern, pol_action_set *set)
{
    unsigned types = 0;
    for (size_t i = 0; i < COUNT; i++) {
        if (pol_glob(pattern, slice_str(actions[i].name), true)) {
            types |= actions[i].type;
            set->w[i / 64] |= 1ull << (i % 64);
        }
    }
    return types;
}

int pol_action_index(cf_slice name)
{
    char buf[64]; /* longer than any name in the table */
    if (name.len < 3 || name.len - 3 >= sizeof buf || strncasecmp((const char *)name.ptr, "s3:", 3))
        return -1;
    memcpy(buf, name.ptr + 3, name.len - 3);
    buf[name.len - 3] = '\0';
    /* strcasecmp orders as the lowercased bytes, the table's order */
    size_t lo = 0, hi = COUNT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcasecmp(buf, actions[mid].name);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

size_t pol_action_count(void)
{
    return COUNT;
}

const char *pol_action_name(size_t i)
{
    return i < COUNT ? actions[i].name : NULL;
}
