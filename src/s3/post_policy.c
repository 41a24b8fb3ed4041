/*
 * post_policy.c -- parsing a POST policy document and checking a form
 * against it (post_policy.h has the contract and the invariants; the
 * document and S3's messages are in doc/formats.md, "POST Object: the form
 * and its policy").
 *
 * Parsing decodes the base64 into p->json, has json-c parse it strictly,
 * and walks the result once, copying each condition's strings into p->text
 * (invariant (2) of post_policy.h: the json-c tree is freed before
 * returning). The messages are S3's as its clients have recorded them; a
 * case nobody has recorded gets a message in the same style.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "s3/post_policy.h"
#include "s3/sigv4.h"

#define MSG_EXPIRED "Invalid according to Policy: Policy expired."
#define MSG_FAILED "Invalid according to Policy: Policy Condition failed: "
#define MSG_EXTRA "Invalid according to Policy: Extra input fields: "
#define MSG_JSON "Invalid Policy: Invalid JSON."

static void say(char *msg, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap); /* invariant (3): truncated, NUL-terminated */
    va_end(ap);
}

static bool ci_eq(cf_slice a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && strncasecmp((const char *)a.ptr, b, n) == 0;
}

static bool ci_prefix(cf_slice a, const char *b)
{
    size_t n = strlen(b);
    return a.len >= n && strncasecmp((const char *)a.ptr, b, n) == 0;
}

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * decode -- base64 (whitespace skipped, '=' only as the last quad's
 * padding) into p->json; its length, -1 if not base64, -2 if it decodes to
 * more than S3_POST_POLICY_MAX_BYTES (invariant (1)).
 */
static int decode(cf_slice b64, s3_post_policy *p)
{
    uint8_t q[4];
    size_t nq = 0, out = 0;
    bool ended = false;
    for (size_t i = 0; i < b64.len; i++) {
        uint8_t c = b64.ptr[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (ended)
            return -1; /* bytes after the padding */
        q[nq++] = c;
        if (nq < 4)
            continue;
        nq = 0;
        size_t pad = q[3] == '=' ? (q[2] == '=' ? 2 : 1) : 0;
        uint32_t bits = 0;
        for (size_t k = 0; k < 4; k++) {
            int v = k < 4 - pad ? b64_value(q[k]) : 0;
            if (v < 0)
                return -1;
            bits = bits << 6 | (uint32_t)v;
        }
        ended = pad > 0;
        if (out + 3 - pad > S3_POST_POLICY_MAX_BYTES)
            return -2;
        for (size_t k = 0; k < 3 - pad; k++)
            p->json[out++] = (char)(bits >> (16 - 8 * k));
    }
    return nq == 0 && out > 0 ? (int)out : -1;
}

/* single_quoted -- does the JSON text use a quote json-c would take but JSON has not? */
static bool single_quoted(const char *s, size_t n)
{
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        if (in_str && s[i] == '\\')
            i++;
        else if (s[i] == '"')
            in_str = !in_str;
        else if (!in_str && s[i] == '\'')
            return true;
    }
    return false;
}

/* keep -- copies s into p->text (invariant (1): it fits); its offset. */
static uint32_t keep(s3_post_policy *p, const char *s, size_t n)
{
    uint32_t off = p->text_len;
    memcpy(p->text + off, s, n);
    p->text_len += (uint32_t)n;
    return off;
}

static cf_slice text_of(const s3_post_policy *p, uint32_t off, uint32_t len)
{
    return slice_make(p->text + off, len);
}

/* range_operand -- a content-length-range bound: a non-negative integer or a string. */
static s3_err_code range_operand(s3_post_policy *p, json_object *o, bool *is_str, uint32_t *off,
                                 uint32_t *len, char *msg, size_t cap)
{
    char num[24];
    const char *s;
    size_t n;
    if (json_object_is_type(o, json_type_string)) {
        *is_str = true;
        s = json_object_get_string(o);
        n = (size_t)json_object_get_string_len(o);
    } else if (json_object_is_type(o, json_type_int)) {
        *is_str = false;
        if (json_object_get_int64(o) < 0) {
            say(msg, cap,
                "Invalid Policy: Invalid content-length-range: the range must not be "
                "negative.");
            return S3_ERR_INVALID_POLICY_DOCUMENT;
        }
        n = (size_t)snprintf(num, sizeof num, "%llu",
                             (unsigned long long)json_object_get_uint64(o));
        s = num;
    } else {
        say(msg, cap, MSG_JSON); /* S3 says so for 512.0 */
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    *off = keep(p, s, n);
    *len = (uint32_t)n;
    return S3_ERR_NONE;
}

/* simple_condition -- {"name": "value"}. */
static s3_err_code simple_condition(s3_post_policy *p, json_object *o, s3_post_cond *c, char *msg,
                                    size_t cap)
{
    if (json_object_object_length(o) != 1) {
        say(msg, cap,
            "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have "
            "exactly one property specified.");
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    json_object_object_foreach(o, name, value)
    {
        if (!value) {
            say(msg, cap, MSG_JSON); /* S3 says so for null */
            return S3_ERR_INVALID_POLICY_DOCUMENT;
        }
        if (!json_object_is_type(value, json_type_string)) {
            say(msg, cap, "Invalid Policy: Invalid Simple-Condition: value must be a string.");
            return S3_ERR_INVALID_POLICY_DOCUMENT;
        }
        c->op = S3_POST_EQ;
        c->simple = true;
        c->a_len = (uint32_t)strlen(name);
        c->a_off = keep(p, name, c->a_len);
        c->b_len = (uint32_t)json_object_get_string_len(value);
        c->b_off = keep(p, json_object_get_string(value), c->b_len);
    }
    return S3_ERR_NONE;
}

/* array_condition -- ["eq" | "starts-with", "$name", "value"] or ["content-length-range", a, b]. */
static s3_err_code array_condition(s3_post_policy *p, json_object *o, s3_post_cond *c, char *msg,
                                   size_t cap)
{
    size_t n = json_object_array_length(o);
    json_object *op = n ? json_object_array_get_idx(o, 0) : NULL;
    if (!op || !json_object_is_type(op, json_type_string)) {
        say(msg, cap, "Invalid Policy: Invalid Condition: missing operation identifier.");
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    cf_slice name = slice_make(json_object_get_string(op), (size_t)json_object_get_string_len(op));
    if (ci_eq(name, "eq"))
        c->op = S3_POST_EQ;
    else if (ci_eq(name, "starts-with"))
        c->op = S3_POST_STARTS_WITH;
    else if (ci_eq(name, "content-length-range"))
        c->op = S3_POST_RANGE;
    if (!c->op) {
        say(msg, cap, "Invalid Policy: Invalid Condition: unknown operation '%.*s'.",
            (int)(name.len < 128 ? name.len : 128), (const char *)name.ptr);
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    if (n != 3) {
        say(msg, cap, "Invalid Policy: Invalid %s: wrong number of arguments.",
            c->op == S3_POST_EQ      ? "eq"
            : c->op == S3_POST_RANGE ? "content-length-range"
                                     : "starts-with");
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    json_object *a = json_object_array_get_idx(o, 1), *b = json_object_array_get_idx(o, 2);
    if (c->op == S3_POST_RANGE) {
        s3_err_code err = range_operand(p, a, &c->a_str, &c->a_off, &c->a_len, msg, cap);
        return err != S3_ERR_NONE ? err
                                  : range_operand(p, b, &c->b_str, &c->b_off, &c->b_len, msg, cap);
    }
    if (!json_object_is_type(a, json_type_string) || !json_object_is_type(b, json_type_string)) {
        say(msg, cap, MSG_JSON);
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    c->a_len = (uint32_t)json_object_get_string_len(a);
    c->a_off = keep(p, json_object_get_string(a), c->a_len);
    c->b_len = (uint32_t)json_object_get_string_len(b);
    c->b_off = keep(p, json_object_get_string(b), c->b_len);
    return S3_ERR_NONE;
}

/* expiration -- "YYYY-MM-DDTHH:MM:SS[.fraction]Z" to Unix seconds (the fraction dropped). */
static bool expiration(cf_slice s, int64_t *t)
{
    const uint8_t *v = s.ptr;
    if (s.len < 20 || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' ||
        v[s.len - 1] != 'Z')
        return false;
    if (s.len > 20) { /* ".d...dZ" */
        if (v[19] != '.' || s.len == 21)
            return false;
        for (size_t i = 20; i < s.len - 1; i++)
            if (v[i] < '0' || v[i] > '9')
                return false;
    }
    char compact[17];
    memcpy(compact, v, 4);
    memcpy(compact + 4, v + 5, 2);
    memcpy(compact + 6, v + 8, 2);
    compact[8] = 'T';
    memcpy(compact + 9, v + 11, 2);
    memcpy(compact + 11, v + 14, 2);
    memcpy(compact + 13, v + 17, 2);
    compact[15] = 'Z';
    compact[16] = '\0';
    return s3_sigv4_parse_amz_date(slice_make(compact, 16), t) == 0;
}

/* walk -- the parsed document into p. */
static s3_err_code walk(s3_post_policy *p, json_object *root, char *msg, size_t cap)
{
    if (!json_object_is_type(root, json_type_object)) {
        say(msg, cap, MSG_JSON);
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    json_object *exp = NULL, *conds = NULL;
    bool have_exp = false, have_conds = false;
    json_object_object_foreach(root, key, value)
    {
        if (strcmp(key, "expiration") == 0) {
            exp = value;
            have_exp = true;
        } else if (strcmp(key, "conditions") == 0) {
            conds = value;
            have_conds = true;
        } else {
            char lower[64];
            size_t i = 0;
            for (; key[i] && i < sizeof lower - 1; i++)
                lower[i] = (char)((key[i] >= 'A' && key[i] <= 'Z') ? key[i] + 32 : key[i]);
            lower[i] = '\0';
            say(msg, cap, "Invalid Policy: Unexpected: '%s'", lower);
            return S3_ERR_INVALID_POLICY_DOCUMENT;
        }
    }
    if (!have_exp) {
        say(msg, cap, "Invalid Policy: Policy missing expiration.");
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    if (!have_conds) {
        say(msg, cap, "Invalid Policy: Policy missing conditions.");
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    const char *e = exp ? json_object_get_string(exp) : "null";
    if (!json_object_is_type(exp, json_type_string) ||
        !expiration(slice_make(e, (size_t)json_object_get_string_len(exp)), &p->expiration_s)) {
        say(msg, cap, "Invalid Policy: Invalid 'expiration' value: '%.200s'", e);
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    if (!json_object_is_type(conds, json_type_array)) {
        say(msg, cap, "Invalid Policy: Invalid 'conditions' value: must be a List.");
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    size_t n = json_object_array_length(conds);
    if (n > S3_POST_POLICY_MAX_CONDITIONS) { /* invariant (1) */
        say(msg, cap, "Invalid Policy: Too many conditions: at most %u.",
            S3_POST_POLICY_MAX_CONDITIONS);
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(conds, i);
        s3_post_cond *c = &p->conds[i];
        memset(c, 0, sizeof *c);
        s3_err_code err;
        if (json_object_is_type(o, json_type_object)) {
            err = simple_condition(p, o, c, msg, cap);
        } else if (json_object_is_type(o, json_type_array)) {
            err = array_condition(p, o, c, msg, cap);
        } else {
            say(msg, cap, "Invalid Policy: Invalid condition test: must be a List or Object.");
            err = S3_ERR_INVALID_POLICY_DOCUMENT;
        }
        if (err != S3_ERR_NONE)
            return err;
        p->n_conds = i + 1;
    }
    return S3_ERR_NONE;
}

s3_err_code s3_post_policy_parse(cf_slice b64, s3_post_policy *p, char *msg, size_t cap)
{
    p->expiration_s = 0;
    p->n_conds = 0;
    p->text_len = 0;
    say(msg, cap, "%s", "");
    int len = decode(b64, p);
    if (len < 0) {
        say(msg, cap,
            len == -1 ? "Invalid Policy: Invalid Base64 encoding."
                      : "Invalid Policy: Policy document is too large.");
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    if (single_quoted(p->json, (size_t)len)) {
        say(msg, cap, MSG_JSON);
        return S3_ERR_INVALID_POLICY_DOCUMENT;
    }
    json_tokener *tok = json_tokener_new_ex(16);
    if (!tok) {
        say(msg, cap, "We encountered an internal error. Please try again.");
        return S3_ERR_INTERNAL_ERROR;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, p->json, len);
    s3_err_code err = S3_ERR_INVALID_POLICY_DOCUMENT;
    if (!root || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != (size_t)len)
        say(msg, cap, MSG_JSON);
    else
        err = walk(p, root, msg, cap);
    json_object_put(root); /* invariant (2) */
    json_tokener_free(tok);
    if (err != S3_ERR_NONE)
        p->n_conds = 0;
    return err;
}

/* put -- n bytes into out[*at..cap), advancing *at; false (nothing put) if they do not fit. */
static bool put(char *out, size_t cap, size_t *at, const char *s, size_t n)
{
    if (*at + n >= cap)
        return false;
    memcpy(out + *at, s, n);
    *at += n;
    out[*at] = '\0';
    return true;
}

/* quote -- prefix and s as one JSON string into out[*at..cap) (truncating). */
static void quote(char *out, size_t cap, size_t *at, const char *prefix, cf_slice s)
{
    char esc[8];
    if (!put(out, cap, at, "\"", 1) || !put(out, cap, at, prefix, strlen(prefix)))
        return;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        bool ok;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            ok = put(out, cap, at, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            ok = put(out, cap, at, esc, 6);
        } else {
            ok = put(out, cap, at, (const char *)&c, 1);
        }
        if (!ok)
            return;
    }
    put(out, cap, at, "\"", 1);
}

/* operand -- a range bound as written (a number bare, a string quoted), else a string. */
static void operand(char *out, size_t cap, size_t *at, cf_slice v, bool bare)
{
    if (!bare || !put(out, cap, at, (const char *)v.ptr, v.len))
        quote(out, cap, at, "", v);
}

/* failed -- "... Policy Condition failed: [\"eq\", \"$key\", \"v\"]" for c. */
static s3_err_code failed(const s3_post_policy *p, const s3_post_cond *c, char *msg, size_t cap)
{
    static const char *const ops[] = {"", "[\"eq\", ", "[\"starts-with\", ",
                                      "[\"content-length-range\", "};
    cf_slice a = text_of(p, c->a_off, c->a_len), b = text_of(p, c->b_off, c->b_len);
    size_t at = 0;
    msg[0] = '\0';
    put(msg, cap, &at, MSG_FAILED, strlen(MSG_FAILED));
    put(msg, cap, &at, ops[c->op], strlen(ops[c->op]));
    bool range = c->op == S3_POST_RANGE;
    if (range)
        operand(msg, cap, &at, a, !c->a_str);
    else
        quote(msg, cap, &at, c->simple ? "$" : "",
              a); /* S3 quotes {"k": "v"} as ["eq", "$k", "v"] */
    put(msg, cap, &at, ", ", 2);
    if (range)
        operand(msg, cap, &at, b, !c->b_str);
    else
        quote(msg, cap, &at, "", b);
    put(msg, cap, &at, "]", 1);
    return S3_ERR_ACCESS_DENIED;
}

/* field_of -- the value of the field c tests: true and *v, or false (absent, or no '$'). */
static bool field_of(const s3_post_policy *p, const s3_post_cond *c, cf_slice bucket,
                     const s3_post_field *fields, size_t n, cf_slice *v)
{
    cf_slice name = text_of(p, c->a_off, c->a_len);
    if (!c->simple) {
        if (name.len == 0 || name.ptr[0] != '$')
            return false; /* ["eq", "key", ...] names no field: S3 fails it */
        name.ptr++;
        name.len--;
    }
    if (ci_eq(name, "bucket")) {
        *v = bucket;
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        if (fields[i].name.len == name.len &&
            strncasecmp((const char *)fields[i].name.ptr, (const char *)name.ptr, name.len) == 0) {
            *v = fields[i].value;
            return true;
        }
    }
    return false;
}

static bool starts_with(cf_slice v, cf_slice prefix)
{
    return v.len >= prefix.len && (prefix.len == 0 || memcmp(v.ptr, prefix.ptr, prefix.len) == 0);
}

/* holds -- does condition c hold for the form? Updates the range for RANGE. */
static bool holds(const s3_post_policy *p, const s3_post_cond *c, cf_slice bucket,
                  const s3_post_field *fields, size_t n, uint64_t *min_len, uint64_t *max_len)
{
    cf_slice a = text_of(p, c->a_off, c->a_len), b = text_of(p, c->b_off, c->b_len), v;
    if (c->op == S3_POST_RANGE) {
        uint64_t lo, hi;
        if (a.len > 20 || b.len > 20 || !slice_to_u64(a, &lo) || !slice_to_u64(b, &hi))
            return false; /* ["content-length-range", "test", "10"] */
        if (lo > *min_len)
            *min_len = lo;
        if (hi < *max_len)
            *max_len = hi;
        return true;
    }
    if (!field_of(p, c, bucket, fields, n, &v))
        return false;
    if (c->op == S3_POST_EQ)
        return slice_eq(v, b);
    cf_slice name = slice_make(a.ptr + 1, a.len - 1);
    if (!ci_eq(name, "content-type"))
        return starts_with(v, b);
    /* Content-Type: "image/jpg,image/png" holds for "image/" if each element does */
    size_t start = 0;
    for (size_t i = 0; i <= v.len; i++) {
        if (i == v.len || v.ptr[i] == ',') {
            size_t s = start;
            while (s < i && v.ptr[s] == ' ')
                s++;
            if (!starts_with(slice_make(v.ptr + s, i - s), b))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* exempt -- a field the policy need not name. */
static bool exempt(cf_slice name, bool sigv2)
{
    if (ci_eq(name, "policy") || ci_eq(name, "x-amz-signature") || ci_eq(name, "file") ||
        ci_prefix(name, "x-ignore-"))
        return true;
    return sigv2 && (ci_eq(name, "awsaccesskeyid") || ci_eq(name, "signature"));
}

/* named -- is the field named by an eq or starts-with condition? */
static bool named(const s3_post_policy *p, cf_slice field)
{
    for (size_t i = 0; i < p->n_conds; i++) {
        const s3_post_cond *c = &p->conds[i];
        if (c->op == S3_POST_RANGE)
            continue;
        cf_slice name = text_of(p, c->a_off, c->a_len);
        if (!c->simple) {
            if (name.len == 0 || name.ptr[0] != '$')
                continue;
            name = slice_make(name.ptr + 1, name.len - 1);
        }
        if (name.len == field.len &&
            strncasecmp((const char *)name.ptr, (const char *)field.ptr, name.len) == 0)
            return true;
    }
    return false;
}

s3_err_code s3_post_policy_check(const s3_post_policy *p, int64_t now_s, cf_slice bucket,
                                 const s3_post_field *fields, size_t n, bool sigv2,
                                 uint64_t *min_len, uint64_t *max_len, char *msg, size_t cap)
{
    *min_len = 0;
    *max_len = UINT64_MAX;
    say(msg, cap, "%s", "");
    if (now_s > p->expiration_s) {
        say(msg, cap, MSG_EXPIRED);
        return S3_ERR_ACCESS_DENIED;
    }
    for (size_t i = 0; i < p->n_conds; i++) {
        if (!holds(p, &p->conds[i], bucket, fields, n, min_len, max_len)) {
            *min_len = 0;
            *max_len = UINT64_MAX;
            return failed(p, &p->conds[i], msg, cap);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!exempt(fields[i].name, sigv2) && !named(p, fields[i].name)) {
            say(msg, cap, MSG_EXTRA "%.*s",
                (int)(fields[i].name.len < 256 ? fields[i].name.len : 256),
                (const char *)fields[i].name.ptr);
            *min_len = 0;
            *max_len = UINT64_MAX;
            return S3_ERR_ACCESS_DENIED;
        }
    }
    return S3_ERR_NONE;
}
