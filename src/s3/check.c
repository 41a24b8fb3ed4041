/*
 * check.c -- s3_check: `coffer check`'s part for the rows whose format the
 * s3 layer defines (store_check's hooks): every bucket's ownership, public
 * access block and ACL decode and its stored policy parses; every object's
 * ACL line decodes. A row that fails is logged and counted by store_check;
 * authz.c denies by such a row (it fails closed), so check is where an
 * operator learns of it. A bucket's CORS rules must be a well-formed line
 * form (cors.h), its change-log sink decode (cdc_sink_conf.c).
 */
#include <stdlib.h>
#include <string.h>

#include "s3/cdc_sink.h"
#include "s3/cors.h"
#include "s3/policy.h"
#include "s3/s3_int.h"

static const char *bucket_hook(void *arg, const store_bucket *b)
{
    store *st = arg;
    const char *own = b->ownership;
    if (own[0] && strcmp(own, "BucketOwnerEnforced") != 0 &&
        strcmp(own, "BucketOwnerPreferred") != 0 && strcmp(own, "ObjectWriter") != 0)
        return "its Object Ownership is not one S3 knows";
    if (b->block[0] && (strlen(b->block) != 4 || strspn(b->block, "01") != 4))
        return "its public access block is not four 0/1 flags";
    s3_acl *a = malloc(sizeof *a);
    int rc = !a ? CF_ENOMEM : b->acl[0] ? s3_acl_decode(slice_str(b->acl), a) : 0;
    free(a);
    if (rc)
        return "its ACL does not decode";
    cf_buf doc = {0};
    if (b->has_cors) {
        rc = store_bucket_cors(st, slice_str(b->name), &doc);
        bool ok = rc == CF_ENOTFOUND || (rc == 0 && s3_cors_valid(buf_slice(&doc)));
        buf_free(&doc);
        if (!ok)
            return "its CORS rules do not decode";
    }
    if (b->has_cdc_sink) {
        s3_cdc_sink_conf sc;
        rc = store_bucket_attr(st, slice_str(b->name), STORE_BUCKET_CDC_SINK, &doc);
        bool ok = rc == CF_ENOTFOUND || (rc == 0 && s3_cdc_sink_decode(buf_slice(&doc), &sc) == 0);
        buf_free(&doc);
        if (!ok)
            return "its change-log sink does not decode";
    }
    if (!b->policy_us)
        return NULL;
    s3_policy *p = NULL;
    rc = store_bucket_policy(st, slice_str(b->name), &doc);
    if (rc != CF_ENOTFOUND && (rc || s3_policy_parse(buf_slice(&doc), slice_str(b->name), &p,
                                                     NULL, 0) != 0))
        rc = CF_ECORRUPT;
    else
        rc = 0;
    s3_policy_free(p);
    buf_free(&doc);
    return rc ? "its policy does not parse" : NULL;
}

static const char *object_hook(void *arg, const store_bucket *b, cf_slice key, const store_meta *m)
{
    s3_acl *a = malloc(sizeof *a);
    int rc = a ? s3_object_acl(b, m, a) : CF_ENOMEM;
    free(a);
    return rc ? "its ACL line does not decode" : NULL;
}

int s3_check(store *st, store_check_stats *out)
{
    store_check_hooks hooks = {st, bucket_hook, object_hook};
    return store_check(st, &hooks, out);
}
