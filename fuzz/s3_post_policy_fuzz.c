/*
 * s3_post_policy_fuzz.c -- libFuzzer target for the POST policy:
 * s3_post_policy_parse on the fuzz bytes, then s3_post_policy_check of a
 * small form against what parsed.
 *
 * Input: one control byte, then the document. Bit 0 of the control byte:
 * the document is given as the base64 text a form carries (else it is JSON,
 * base64-encoded here first, so the JSON walk gets most of the runs); bit 1:
 * check as SigV2; the remaining bits pick the check's clock.
 *
 * Checks beyond "no crash, no leak, no UB": every message is NUL-terminated
 * inside its buffer; a failed parse leaves no conditions; every kept span
 * lies inside p->text; the range is ordered as set; a form that passes has
 * every field named by a condition (or exempt).
 *
 * Sources and libraries (fuzz/run.sh reads these two lines):
 * FUZZ_SRCS: src/s3/post_policy.c src/s3/sigv4_parse.c src/util/[a-z]*.c
 * FUZZ_LIBS: -ljson-c -lcrypto -lisal -lpthread
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "s3/post_policy.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

#define F(n, v)                                                                                    \
    {                                                                                              \
        {(const uint8_t *)(n), sizeof(n) - 1},                                                     \
        {                                                                                          \
            (const uint8_t *)(v), sizeof(v) - 1                                                    \
        }                                                                                          \
    }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static s3_post_policy p;
    static char b64[S3_POST_POLICY_MAX_BYTES * 2 + 8];
    static const s3_post_field form[] = {
        F("key", "user/42/a.jpg"), F("Content-Type", "image/jpeg,image/png"),
        F("x-amz-meta-a", ""),     F("AWSAccessKeyId", "AK"),
        F("policy", "p"),          F("x-ignore-z", "1"),
    };
    static const int64_t clocks[] = {0, 1451347200, 1893456000, INT64_MAX};
    if (size == 0)
        return 0;
    uint8_t ctl = data[0];
    data++;
    size--;
    cf_slice doc = slice_make(data, size);
    if (!(ctl & 1)) {
        if (size > S3_POST_POLICY_MAX_BYTES + 16)
            return 0;
        int n = EVP_EncodeBlock((unsigned char *)b64, data, (int)size);
        doc = slice_make(b64, (size_t)n);
    }
    char msg[S3_POST_POLICY_MESSAGE_BYTES];
    memset(msg, 'x', sizeof msg);
    s3_err_code err = s3_post_policy_parse(doc, &p, msg, sizeof msg);
    check(memchr(msg, 0, sizeof msg) != NULL);
    if (err != S3_ERR_NONE) {
        check(err == S3_ERR_INVALID_POLICY_DOCUMENT && p.n_conds == 0 && msg[0] != '\0');
        return 0;
    }
    check(msg[0] == '\0' && p.n_conds <= S3_POST_POLICY_MAX_CONDITIONS);
    check(p.text_len <= S3_POST_POLICY_MAX_BYTES);
    for (size_t i = 0; i < p.n_conds; i++) {
        const s3_post_cond *c = &p.conds[i];
        check(c->op >= S3_POST_EQ && c->op <= S3_POST_RANGE);
        check((uint64_t)c->a_off + c->a_len <= p.text_len);
        check((uint64_t)c->b_off + c->b_len <= p.text_len);
    }
    uint64_t lo = 1, hi = 1;
    char small[48];
    bool sigv2 = ctl & 2;
    int64_t now = clocks[(ctl >> 2) & 3];
    err = s3_post_policy_check(&p, now, slice_str("bucket"), form, sizeof form / sizeof form[0],
                               sigv2, &lo, &hi, (ctl & 16) ? small : msg,
                               (ctl & 16) ? sizeof small : sizeof msg);
    check(memchr((ctl & 16) ? small : msg, 0, (ctl & 16) ? sizeof small : sizeof msg) != NULL);
    if (err != S3_ERR_NONE) {
        check(err == S3_ERR_ACCESS_DENIED && lo == 0 && hi == UINT64_MAX);
        return 0;
    }
    check(now <= p.expiration_s);
    /* every field but policy, x-ignore-* (and with sigv2 AWSAccessKeyId) is named */
    for (size_t i = 0; i < sizeof form / sizeof form[0]; i++) {
        if (i == 4 || i == 5 || (i == 3 && sigv2))
            continue;
        bool named = false;
        for (size_t k = 0; k < p.n_conds && !named; k++) {
            const s3_post_cond *c = &p.conds[k];
            const char *nm = p.text + c->a_off;
            size_t len = c->a_len;
            if (c->op == S3_POST_RANGE)
                continue;
            if (!c->simple) {
                if (len == 0 || nm[0] != '$')
                    continue;
                nm++;
                len--;
            }
            named = len == form[i].name.len &&
                    strncasecmp(nm, (const char *)form[i].name.ptr, len) == 0;
        }
        check(named);
    }
    return 0;
}
