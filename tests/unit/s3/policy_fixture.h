/*
 * policy_fixture.h -- helpers shared by the bucket policy tests (policy_test.c,
 * policy_cond_test.c, policy_parse_test.c): a request described as data (action, resource,
 * user, condition key values) and judged against a policy, and tables of (policy, request,
 * expected effect) run case by case with the failing case named.
 *
 * Policies in the tables are written with ' for " (q() swaps them) so they stay readable.
 */
#ifndef S3_POLICY_TEST_FIXTURE_H
#define S3_POLICY_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/policy.h"
#include "test.h"
#include "util/err.h"

#define BUCKET "bkt"

typedef struct kv {
    s3_policy_key key;
    const char *sub;     /* tag key, or NULL */
    const char *vals[4]; /* NULL-terminated; vals[0] NULL ends the list */
} kv;

typedef struct req_spec {
    const char *action;
    const char *resource; /* after "arn:aws:s3:::" */
    const char *user;     /* access key; NULL: anonymous */
    kv kvs[6];
} req_spec;

static inline size_t spec_values(void *arg, s3_policy_key k, cf_slice sub, cf_slice *vals,
                                 size_t cap)
{
    const req_spec *r = arg;
    for (size_t i = 0; i < sizeof r->kvs / sizeof r->kvs[0] && r->kvs[i].vals[0]; i++) {
        const kv *e = &r->kvs[i];
        if (e->key != k || !slice_eq(sub, slice_str(e->sub ? e->sub : "")))
            continue;
        size_t n = 0;
        while (n < 4 && e->vals[n] && n < cap) {
            vals[n] = slice_str(e->vals[n]);
            n++;
        }
        return n;
    }
    return 0;
}

static inline s3_policy_effect eval_spec(const s3_policy *p, const req_spec *r, bool *public_allow)
{
    char resource[512], principal[256];
    snprintf(resource, sizeof resource, "arn:aws:s3:::%s", r->resource);
    snprintf(principal, sizeof principal, "arn:aws:iam::coffer:user/%s", r->user ? r->user : "");
    s3_policy_request req = {
        .action = r->action,
        .resource = slice_str(resource),
        .principal = r->user ? slice_str(principal) : slice_make(NULL, 0),
        .canonical_id = r->user ? slice_str(r->user) : slice_make(NULL, 0),
        .values = spec_values,
        .arg = (void *)r,
    };
    return s3_policy_eval(p, &req, public_allow);
}

/* q -- text with every ' turned into ", in a static buffer. */
static inline const char *q(const char *text)
{
    static char buf[S3_POLICY_MAX_BYTES + 64];
    size_t n = strlen(text);
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = text[i] == '\'' ? '"' : text[i];
    buf[n] = '\0';
    return buf;
}

/* parse -- the policy (with ' for ") for bucket "bkt"; NULL (and a FAIL naming case) if refused. */
static inline s3_policy *parse(const char *name, const char *policy)
{
    char why[256];
    s3_policy *p = NULL;
    int rc = s3_policy_parse(slice_str(q(policy)), slice_str(BUCKET), &p, why, sizeof why);
    if (!CHECK_EQ(rc, 0)) {
        fprintf(stderr, "  case %s: refused: %s\n", name, why);
        return NULL;
    }
    CHECK_MEM(why, strlen(why), "", 0);
    return p;
}

static inline const char *effect_name(s3_policy_effect e)
{
    return e == S3_POLICY_ALLOW ? "ALLOW" : e == S3_POLICY_DENY ? "DENY" : "NO_MATCH";
}

typedef struct eval_case {
    const char *name;
    const char *policy;
    req_spec req;
    s3_policy_effect want;
} eval_case;

static inline void run_eval_table(const eval_case *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s3_policy *p = parse(t[i].name, t[i].policy);
        if (!p)
            continue;
        s3_policy_effect got = eval_spec(p, &t[i].req, NULL);
        if (!CHECK_EQ(got, t[i].want))
            fprintf(stderr, "  case %s: got %s, want %s\n", t[i].name, effect_name(got),
                    effect_name(t[i].want));
        s3_policy_free(p);
    }
}

#define ALLOW S3_POLICY_ALLOW
#define DENY S3_POLICY_DENY
#define NONE S3_POLICY_NO_MATCH

/* a request: action, key (or bucket) under bkt, user */
#define GET(key) .action = "s3:GetObject", .resource = BUCKET "/" key
#define AS(u) .user = u

/* one Allow statement: principal, action, resource (JSON values, ' for ") */
#define ALLOW1(pr, act, res)                                                                       \
    "{'Version':'2012-10-17','Statement':{'Effect':'Allow','Principal':" pr ",'Action':" act       \
    ",'Resource':" res "}}"
/* everyone may GetObject any object, if cond holds */
#define GET_IF(cond)                                                                               \
    "{'Version':'2012-10-17','Statement':{'Effect':'Allow','Principal':'*',"                       \
    "'Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*','Condition':" cond "}}"
#define OBJS "'arn:aws:s3:::bkt/*'"
#define ALICE_ARN "arn:aws:iam::coffer:user/alice"

#define KV1(k, v) .kvs = {{k, NULL, {v}}}
#define REF(v) KV1(S3_PK_REFERER, v)
#define MAXK(v) KV1(S3_PK_MAX_KEYS, v)
#define NOW(v) KV1(S3_PK_CURRENT_TIME, v)
#define IP(v) KV1(S3_PK_SOURCE_IP, v)
#define PARN(v) KV1(S3_PK_PRINCIPAL_ARN, v)

#endif
