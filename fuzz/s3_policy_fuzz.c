/*
 * s3_policy_fuzz.c -- libFuzzer target for bucket policies: s3_policy_parse on the fuzz bytes
 * and, when they compile, s3_policy_eval against fixed requests and s3_policy_is_public.
 *
 * Checks beyond "no crash, no leak, no UB": a refusal leaves *out NULL and
 * a message (a NUL-terminated, non-empty why for CF_EINVAL); success leaves
 * why empty; an evaluation is one of the three effects, the same when
 * repeated, sets public_allow only with ALLOW; s3_policy_is_public is "some
 * statement is public"; s3_policy_users' count does not depend on cap.
 *
 * Sources and libraries (fuzz/run.sh reads these two lines):
 * FUZZ_SRCS: src/s3/policy_*.c
 * FUZZ_LIBS: -ljson-c
 */
#include <stdlib.h>
#include <string.h>

#include "s3/policy.h"
#include "util/err.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

typedef struct ctx {
    int variant; /* which set of condition values the request carries */
} ctx;

/* values -- every key present, with values that parse, values that do not, and several. */
static size_t values(void *arg, s3_policy_key k, cf_slice sub, cf_slice *vals, size_t cap)
{
    const ctx *c = arg;
    static const char *const good[S3_PK_COUNT] = {
        [S3_PK_SOURCE_IP] = "192.0.2.7",
        [S3_PK_SECURE_TRANSPORT] = "false",
        [S3_PK_CURRENT_TIME] = "2026-12-07T22:39:52Z",
        [S3_PK_EPOCH_TIME] = "1796683192",
        [S3_PK_REFERER] = "https://a.example/",
        [S3_PK_USER_AGENT] = "aws-cli/2.15",
        [S3_PK_USERNAME] = "alice",
        [S3_PK_USERID] = "alice",
        [S3_PK_PRINCIPAL_TYPE] = "User",
        [S3_PK_PRINCIPAL_ARN] = "arn:aws:iam::coffer:user/alice",
        [S3_PK_PREFIX] = "home/alice/",
        [S3_PK_DELIMITER] = "/",
        [S3_PK_MAX_KEYS] = "1000",
        [S3_PK_X_AMZ_ACL] = "private",
        [S3_PK_CONTENT_SHA256] = "UNSIGNED-PAYLOAD",
        [S3_PK_COPY_SOURCE] = "bkt/src",
        [S3_PK_METADATA_DIRECTIVE] = "COPY",
        [S3_PK_STORAGE_CLASS] = "STANDARD",
        [S3_PK_SIGNATURE_VERSION] = "AWS4-HMAC-SHA256",
        [S3_PK_AUTH_TYPE] = "REST-HEADER",
        [S3_PK_EXISTING_OBJECT_TAG] = "public",
        [S3_PK_REQUEST_OBJECT_TAG] = "ops",
        [S3_PK_REQUEST_OBJECT_TAG_KEYS] = "class",
    };
    (void)sub;
    check(k < S3_PK_COUNT && cap == S3_POLICY_MAX_KEY_VALUES);
    switch (c->variant) {
    case 0: /* anonymous: the identity keys are absent */
        if (k == S3_PK_USERNAME || k == S3_PK_USERID || k == S3_PK_PRINCIPAL_ARN)
            return 0;
        vals[0] = slice_str(good[k]);
        return 1;
    case 1: /* values of the wrong shape for every typed operator */
        vals[0] = slice_str(k == S3_PK_SOURCE_IP ? "::ffff:10.1.2.3" : "x*?");
        vals[1] = slice_str("");
        return 2;
    default: /* several values each */
        for (size_t i = 0; i < 3; i++)
            vals[i] = slice_str(i == 1 ? "2001:db8::1" : good[k]);
        return 3;
    }
}

static void eval_all(const s3_policy *p)
{
    static const struct {
        const char *action, *resource, *user;
    } reqs[] = {
        {"s3:GetObject", "arn:aws:s3:::bkt/public/cat.jpg", NULL},
        {"s3:PutObject", "arn:aws:s3:::bkt/home/alice/a.txt", "alice"},
        {"s3:ListBucket", "arn:aws:s3:::bkt", "bob"},
        {"s3:DeleteObject", "arn:aws:s3:::bkt/\xc3\xa9/x", "alice"},
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        for (int variant = 0; variant < 3; variant++) {
            ctx c = {variant};
            const char *u = reqs[i].user;
            s3_policy_request req = {
                .action = reqs[i].action,
                .resource = slice_str(reqs[i].resource),
                .principal = slice_str(u ? "arn:aws:iam::coffer:user/alice" : ""),
                .canonical_id = slice_str(u ? u : ""),
                .values = values,
                .arg = &c,
            };
            bool pub = true, pub2 = true;
            s3_policy_effect e = s3_policy_eval(p, &req, &pub);
            check(e == S3_POLICY_ALLOW || e == S3_POLICY_DENY || e == S3_POLICY_NO_MATCH);
            check(e == S3_POLICY_ALLOW || !pub);
            check(s3_policy_eval(p, &req, &pub2) == e && pub2 == pub);
            check(s3_policy_eval(p, &req, NULL) == e);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    s3_policy *p = (s3_policy *)1;
    memset(why, 'x', sizeof why);
    int rc = s3_policy_parse(slice_make(data, size), slice_str("bkt"), &p, why, sizeof why);
    check(memchr(why, '\0', sizeof why) != NULL);
    if (rc != 0) {
        check(p == NULL);
        check(rc == CF_EINVAL || rc == CF_ELIMIT || rc == CF_ENOMEM);
        check(rc == CF_ENOMEM || why[0] != '\0');
        check(rc != CF_ELIMIT || size > S3_POLICY_MAX_BYTES);
        return 0;
    }
    check(p != NULL && why[0] == '\0' && size <= S3_POLICY_MAX_BYTES);
    size_t n = s3_policy_statement_count(p);
    bool any = false;
    check(n >= 1 && n <= S3_POLICY_MAX_STATEMENTS);
    for (size_t i = 0; i < n; i++)
        any |= s3_policy_statement_is_public(p, i);
    check(any == s3_policy_is_public(p));
    check(!s3_policy_statement_is_public(p, n));
    cf_slice users[4];
    size_t total = s3_policy_users(p, NULL, 0);
    check(s3_policy_users(p, users, 4) == total);
    for (size_t i = 0; i < total && i < 4; i++)
        check(users[i].len >= 1 && users[i].len <= 128);
    eval_all(p);
    s3_policy_free(p);
    return 0;
}
