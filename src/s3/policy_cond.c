/*
 * policy_cond.c -- compiles a statement's Condition block: {operator: {key: value | [values]}}.
 *
 * An operator is [ForAnyValue:|ForAllValues:]<base>[IfExists] (Null takes no
 * IfExists); names of operators and keys are case-insensitive, as in IAM.
 * Each (operator, key) pair becomes one pol_cond whose values are already
 * converted to the operator's type, so a value that cannot be one (a date
 * that is not a date) refuses the policy here instead of never matching
 * later. Only the keys coffer supplies (s3_policy_key) are accepted; any
 * other key refuses the policy, naming it: a condition on a key coffer
 * never sets would silently never match (or, negated, always match).
 */
#include <json-c/json.h>
#include <string.h>

#include "s3/policy_int.h"
#include "util/err.h"

#define TAG_KEY_MAX_BYTES 128 /* S3's longest tag key */

typedef struct op_row {
    const char *name; /* lowercase */
    uint8_t type, cmp;
    bool negated;
} op_row;

static const op_row ops[] = {
    {"stringequals", T_STRING, C_EQ, false},
    {"stringnotequals", T_STRING, C_EQ, true},
    {"stringequalsignorecase", T_STRING, C_EQ_IC, false},
    {"stringnotequalsignorecase", T_STRING, C_EQ_IC, true},
    {"stringlike", T_STRING, C_LIKE, false},
    {"stringnotlike", T_STRING, C_LIKE, true},
    {"numericequals", T_NUMERIC, C_EQ, false},
    {"numericnotequals", T_NUMERIC, C_EQ, true},
    {"numericlessthan", T_NUMERIC, C_LT, false},
    {"numericlessthanequals", T_NUMERIC, C_LE, false},
    {"numericgreaterthan", T_NUMERIC, C_GT, false},
    {"numericgreaterthanequals", T_NUMERIC, C_GE, false},
    {"dateequals", T_DATE, C_EQ, false},
    {"datenotequals", T_DATE, C_EQ, true},
    {"datelessthan", T_DATE, C_LT, false},
    {"datelessthanequals", T_DATE, C_LE, false},
    {"dategreaterthan", T_DATE, C_GT, false},
    {"dategreaterthanequals", T_DATE, C_GE, false},
    {"bool", T_BOOL, C_EQ, false},
    {"ipaddress", T_IP, C_EQ, false},
    {"notipaddress", T_IP, C_EQ, true},
    /* IAM's ArnEquals takes wildcards exactly as ArnLike does */
    {"arnequals", T_ARN, C_LIKE, false},
    {"arnlike", T_ARN, C_LIKE, false},
    {"arnnotequals", T_ARN, C_LIKE, true},
    {"arnnotlike", T_ARN, C_LIKE, true},
    {"null", T_NULL, C_EQ, false},
};

typedef struct key_row {
    const char *name; /* lowercase; a trailing "/" takes a tag key after it */
    uint8_t key;
} key_row;

static const key_row keys[] = {
    {"aws:sourceip", S3_PK_SOURCE_IP},
    {"aws:securetransport", S3_PK_SECURE_TRANSPORT},
    {"aws:currenttime", S3_PK_CURRENT_TIME},
    {"aws:epochtime", S3_PK_EPOCH_TIME},
    {"aws:referer", S3_PK_REFERER},
    {"aws:useragent", S3_PK_USER_AGENT},
    {"aws:username", S3_PK_USERNAME},
    {"aws:userid", S3_PK_USERID},
    {"aws:principaltype", S3_PK_PRINCIPAL_TYPE},
    {"aws:principalarn", S3_PK_PRINCIPAL_ARN},
    {"s3:prefix", S3_PK_PREFIX},
    {"s3:delimiter", S3_PK_DELIMITER},
    {"s3:max-keys", S3_PK_MAX_KEYS},
    {"s3:x-amz-acl", S3_PK_X_AMZ_ACL},
    {"s3:x-amz-content-sha256", S3_PK_CONTENT_SHA256},
    {"s3:x-amz-copy-source", S3_PK_COPY_SOURCE},
    {"s3:x-amz-metadata-directive", S3_PK_METADATA_DIRECTIVE},
    {"s3:x-amz-storage-class", S3_PK_STORAGE_CLASS},
    {"s3:signatureversion", S3_PK_SIGNATURE_VERSION},
    {"s3:authtype", S3_PK_AUTH_TYPE},
    {"s3:existingobjecttag/", S3_PK_EXISTING_OBJECT_TAG},
    {"s3:requestobjecttag/", S3_PK_REQUEST_OBJECT_TAG},
    {"s3:requestobjecttagkeys", S3_PK_REQUEST_OBJECT_TAG_KEYS},
};

/* eq_ci -- a (any case) equals lowercase lit over n bytes. */
static bool eq_ci(const uint8_t *a, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = a[i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)lit[i])
            return false;
    }
    return true;
}

/* parse_op -- the operator name s: true, its row, set operator and IfExists. */
static bool parse_op(cf_slice s, const op_row **row, uint8_t *set, bool *if_exists)
{
    static const char any[] = "foranyvalue:", all[] = "forallvalues:", ife[] = "ifexists";
    *row = NULL;
    *set = SET_NONE;
    *if_exists = false;
    if (s.len > sizeof any - 1 && eq_ci(s.ptr, any, sizeof any - 1)) {
        *set = SET_ANY;
        s = slice_make(s.ptr + sizeof any - 1, s.len - (sizeof any - 1));
    } else if (s.len > sizeof all - 1 && eq_ci(s.ptr, all, sizeof all - 1)) {
        *set = SET_ALL;
        s = slice_make(s.ptr + sizeof all - 1, s.len - (sizeof all - 1));
    }
    if (s.len > sizeof ife - 1 && eq_ci(s.ptr + s.len - (sizeof ife - 1), ife, sizeof ife - 1)) {
        *if_exists = true;
        s.len -= sizeof ife - 1;
    }
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (strlen(ops[i].name) == s.len && eq_ci(s.ptr, ops[i].name, s.len)) {
            if (ops[i].type == T_NULL && *if_exists)
                return false; /* IAM has no NullIfExists */
            *row = &ops[i];
            return true;
        }
    }
    return false;
}

/* parse_key -- the condition key s: true, *key and *sub (a tag key, in the document's case). */
static bool parse_key(cf_slice s, uint8_t *key, cf_slice *sub)
{
    *sub = slice_make(NULL, 0);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t n = strlen(keys[i].name);
        bool tagged = keys[i].name[n - 1] == '/';
        if (tagged ? s.len <= n : s.len != n)
            continue;
        if (!eq_ci(s.ptr, keys[i].name, n))
            continue;
        if (tagged) {
            *sub = slice_make(s.ptr + n, s.len - n);
            if (sub->len > TAG_KEY_MAX_BYTES)
                return false;
        }
        *key = keys[i].key;
        return true;
    }
    return false;
}

static bool is_bool(cf_slice s, bool *b)
{
    if (s.len == 4 && eq_ci(s.ptr, "true", 4))
        *b = true;
    else if (s.len == 5 && eq_ci(s.ptr, "false", 5))
        *b = false;
    else
        return false;
    return true;
}

/* value -- one policy value s for condition c, converted to c's type, into *out. */
static int value(pol_parser *ps, const pol_cond *c, cf_slice s, pol_value *out)
{
    int q = (int)(s.len < POL_MSG_TEXT_MAX ? s.len : POL_MSG_TEXT_MAX);
    const char *t = (const char *)s.ptr;
    bool var = ps->variables && s.len >= 2 && memmem(s.ptr, s.len, "${", 2) != NULL;
    out->wild = pol_has_wild(s);
    if (var && (c->type == T_STRING || c->type == T_ARN))
        return pol_fail(ps, "Policy variables are not supported: %.*s", q, t);
    if (!pol_copy(ps, s, c->cmp == C_EQ_IC, &out->text))
        return CF_ENOMEM;
    switch (c->type) {
    case T_STRING:
        return 0;
    case T_NUMERIC:
        return pol_num_parse(s, &out->u.num)
                   ? 0
                   : pol_fail(ps, "Invalid numeric value in condition: %.*s", q, t);
    case T_DATE:
        return pol_date_parse(s, &out->u.ms)
                   ? 0
                   : pol_fail(ps, "Invalid date value in condition: %.*s", q, t);
    case T_BOOL:
    case T_NULL:
        return is_bool(s, &out->u.b)
                   ? 0
                   : pol_fail(ps, "Invalid boolean value in condition: %.*s", q, t);
    case T_IP:
        return pol_ip_parse(s, true, &out->u.ip)
                   ? 0
                   : pol_fail(ps, "Invalid IP address in condition: %.*s", q, t);
    case T_ARN: {
        cf_slice *parts = pol_alloc(ps, 6 * sizeof *parts);
        if (!parts)
            return CF_ENOMEM;
        out->u.arn = parts;
        return pol_arn_split(out->text, parts)
                   ? 0
                   : pol_fail(ps, "Invalid ARN in condition: %.*s", q, t);
    }
    default:
        return CF_EINVAL;
    }
}

/* values -- the values of one (operator, key) pair: a scalar or a non-empty array of them. */
static int values(pol_parser *ps, struct json_object *v, const char *key, pol_cond *c)
{
    bool array = json_object_is_type(v, json_type_array);
    size_t n = array ? json_object_array_length(v) : 1;
    if (n == 0)
        return pol_fail(ps, "Condition has no value for %.*s", POL_MSG_TEXT_MAX, key);
    if (n > S3_POLICY_MAX_LIST)
        return pol_fail(ps, "Condition has more than %d values for %.*s", S3_POLICY_MAX_LIST,
                        POL_MSG_TEXT_MAX, key);
    pol_value *dst = pol_alloc(ps, n * sizeof *dst);
    if (!dst)
        return CF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        cf_slice s;
        if (!pol_scalar_text(array ? json_object_array_get_idx(v, i) : v, &s))
            return pol_fail(ps, "Condition has an invalid value for %.*s", POL_MSG_TEXT_MAX, key);
        if (s.len > S3_POLICY_MAX_STRING_BYTES)
            return pol_fail(ps, "Condition has a value longer than %d bytes for %.*s",
                            S3_POLICY_MAX_STRING_BYTES, POL_MSG_TEXT_MAX, key);
        int rc = value(ps, c, s, &dst[i]);
        if (rc)
            return rc;
    }
    c->values = dst;
    c->n_values = (uint32_t)n;
    return 0;
}

int pol_conditions(pol_parser *ps, struct json_object *obj, pol_stmt *st)
{
    size_t n = 0, k = 0;
    if (!json_object_is_type(obj, json_type_object))
        return pol_fail(ps, "Condition must be an object");
    json_object_object_foreach(obj, op, block)
    {
        if (!json_object_is_type(block, json_type_object) || json_object_object_length(block) == 0)
            return pol_fail(ps, "Condition operator %.*s must map keys to values", POL_MSG_TEXT_MAX,
                            op);
        n += (size_t)json_object_object_length(block);
    }
    if (n > S3_POLICY_MAX_CONDITIONS)
        return pol_fail(ps, "Condition has more than %d keys", S3_POLICY_MAX_CONDITIONS);
    pol_cond *dst = pol_alloc(ps, (n ? n : 1) * sizeof *dst);
    if (!dst)
        return CF_ENOMEM;
    /* a second walk; json_object_object_foreach declared op and block in this scope */
    struct json_object_iterator it = json_object_iter_begin(obj), end = json_object_iter_end(obj);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *opname = json_object_iter_peek_name(&it);
        struct json_object *blk = json_object_iter_peek_value(&it);
        const op_row *row;
        uint8_t set;
        bool if_exists;
        if (!parse_op(slice_str(opname), &row, &set, &if_exists))
            return pol_fail(ps, "Unsupported condition operator: %.*s", POL_MSG_TEXT_MAX, opname);
        json_object_object_foreach(blk, key, v)
        {
            pol_cond *c = &dst[k++];
            c->type = row->type;
            c->cmp = row->cmp;
            c->negated = row->negated;
            c->set = set;
            c->if_exists = if_exists;
            if (!parse_key(slice_str(key), &c->key, &c->sub))
                return pol_fail(ps, "Unsupported condition key: %.*s", POL_MSG_TEXT_MAX, key);
            if (c->sub.len && !pol_copy(ps, c->sub, false, &c->sub))
                return CF_ENOMEM;
            /* a multivalued key with a single-valued operator never matches in IAM: refuse it */
            if (c->key == S3_PK_REQUEST_OBJECT_TAG_KEYS && set == SET_NONE && c->type != T_NULL)
                return pol_fail(ps,
                                "Condition key %.*s is multivalued: use ForAnyValue: or "
                                "ForAllValues:",
                                POL_MSG_TEXT_MAX, key);
            int rc = values(ps, v, key, c);
            if (rc)
                return rc;
        }
    }
    st->conds = dst;
    st->n_conds = (uint32_t)k;
    return 0;
}
