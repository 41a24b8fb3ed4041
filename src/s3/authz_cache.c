/*
 * authz_cache.c -- parsed bucket policies, shared by all workers, so a
 * request to a bucket with a policy costs one evaluation, not a JSON parse.
 *
 * A slot per hash of the bucket name holds the policy parsed for (name,
 * created_us, policy_us). store.h keeps policy_us strictly growing per
 * bucket and created_us tells a recreated bucket apart, so a slot whose key
 * matches the bucket row just read holds that row's policy (invariant (1)).
 *
 * Invariants:
 *  (1) a lent policy is the one stored when the bucket row was read: the
 *      key is compared whole, never by hash alone.
 *  (2) a policy is freed when its last holder releases it: the slot holds
 *      one reference, each borrower one more; eviction drops the slot's.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "s3/policy.h"
#include "s3/s3_int.h"
#include "util/hash.h"
#include "util/log.h"

#define CACHE_SLOTS 256 /* buckets with a policy kept parsed at once; a miss costs a parse */

struct s3_policy_ref {
    s3_policy *p;
    atomic_int refs;
};

typedef struct slot {
    char name[64];
    int64_t created_us, policy_us;
    s3_policy_ref *ref; /* NULL: empty */
} slot;

struct s3_policy_cache {
    pthread_mutex_t mu;
    slot slots[CACHE_SLOTS];
};

int s3_policy_cache_new(s3_policy_cache **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return CF_ENOMEM;
    pthread_mutex_init(&(*out)->mu, NULL);
    return 0;
}

void s3_policy_cache_free(s3_policy_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        s3_policy_release(c->slots[i].ref);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const s3_policy *s3_policy_of(const s3_policy_ref *ref)
{
    return ref->p;
}

void s3_policy_release(s3_policy_ref *ref)
{
    if (ref && atomic_fetch_sub(&ref->refs, 1) == 1) { /* invariant (2) */
        s3_policy_free(ref->p);
        free(ref);
    }
}

static size_t slot_of(const char *name)
{
    return hash64(name, strlen(name), 0) % CACHE_SLOTS;
}

static bool same(const slot *s, const store_bucket *b)
{
    return s->ref && s->created_us == b->created_us && s->policy_us == b->policy_us &&
           strcmp(s->name, b->name) == 0; /* invariant (1) */
}

int s3_policy_acquire(s3_ctx *c, const store_bucket *b, s3_policy_ref **out)
{
    *out = NULL;
    s3_policy_cache *pc = c->policies;
    slot *s = &pc->slots[slot_of(b->name)];
    pthread_mutex_lock(&pc->mu);
    if (same(s, b)) {
        atomic_fetch_add(&s->ref->refs, 1);
        *out = s->ref;
    }
    pthread_mutex_unlock(&pc->mu);
    if (*out)
        return 0;
    /* a miss: read and parse outside the lock (two racing misses parse twice; one slot wins) */
    cf_buf doc = {0};
    s3_policy_ref *ref = NULL;
    char why[256];
    int rc = store_bucket_policy(c->st, slice_str(b->name), &doc);
    if (!rc && !(ref = calloc(1, sizeof *ref)))
        rc = CF_ENOMEM;
    if (!rc && s3_policy_parse(buf_slice(&doc), slice_str(b->name), &ref->p, why, sizeof why)) {
        log_error("bucket %s: its stored policy does not parse (%s); denying by it", b->name, why);
        rc = CF_ECORRUPT;
    }
    buf_free(&doc);
    if (rc) {
        free(ref);
        return rc;
    }
    atomic_init(&ref->refs, 2); /* the slot's and the caller's */
    pthread_mutex_lock(&pc->mu);
    s3_policy_ref *old = s->ref;
    memcpy(s->name, b->name, sizeof s->name);
    s->created_us = b->created_us;
    s->policy_us = b->policy_us;
    s->ref = ref;
    pthread_mutex_unlock(&pc->mu);
    s3_policy_release(old);
    *out = ref;
    return 0;
}
