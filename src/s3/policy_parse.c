/*
 * policy_parse.c -- compiles a bucket policy document: the document, its statements, their
 * principals, actions and resources (the Condition block is policy_cond.c's).
 *
 * json-c parses the bytes (strict JSON, valid UTF-8, nesting at most
 * S3_POLICY_MAX_DEPTH: the only recursion, and json-c's own); this file then
 * walks the tree once, checking every field against the grammar of
 * doc/policy.md and copying what evaluation needs into the policy's arena.
 * The first problem found ends the walk with its MalformedPolicy message and
 * the whole policy is dropped (invariant (1) of policy.h). Messages S3 has
 * are S3's words ("Policy has invalid resource"); the rest name the field
 * or value at fault.
 */
#include <json-c/json.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/policy_int.h"
#include "util/err.h"

#define ARENA_BLOCK_BYTES 8192 /* a typical policy compiles into one or two blocks */

struct pol_block {
    pol_block *next;
    size_t used, cap; /* bytes of data[] */
    max_align_t data[];
};

void *pol_alloc(pol_parser *ps, size_t n)
{
    const size_t a = alignof(max_align_t);
    n = (n + a - 1) / a * a;
    pol_block *b = ps->p->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK_BYTES ? n : ARENA_BLOCK_BYTES;
        b = calloc(1, sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->next = ps->p->blocks;
        ps->p->blocks = b;
    }
    void *r = (char *)b->data + b->used;
    b->used += n;
    return r;
}

bool pol_copy(pol_parser *ps, cf_slice s, bool lower, cf_slice *out)
{
    uint8_t *d = pol_alloc(ps, s.len + 1);
    *out = slice_make(NULL, 0);
    if (!d)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        d[i] = lower && c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
    }
    *out = slice_make(d, s.len);
    return true;
}

int pol_fail(pol_parser *ps, const char *fmt, ...)
{
    if (ps->why_cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->why, ps->why_cap, fmt, ap);
        va_end(ap);
    }
    return CF_EINVAL;
}

bool pol_scalar_text(struct json_object *v, cf_slice *out)
{
    *out = slice_make(NULL, 0);
    switch (json_object_get_type(v)) {
    case json_type_string: {
        size_t n = (size_t)json_object_get_string_len(v);
        const char *s = json_object_get_string(v);
        if (memchr(s, '\0', n))
            return false;
        *out = slice_make(s, n);
        return true;
    }
    case json_type_int:
        /* json-c clamps an integer past 64 bits to these, losing its text: refuse them */
        if (json_object_get_int64(v) == INT64_MIN || json_object_get_uint64(v) == UINT64_MAX)
            return false;
        *out = slice_str(json_object_get_string(v));
        return true;
    case json_type_double: /* json-c keeps a parsed double's text as written */
    case json_type_boolean:
        *out = slice_str(json_object_get_string(v));
        return true;
    default:
        return false;
    }
}

/* is_ci -- s equals the ASCII string lit, ignoring ASCII case. */
static bool is_ci(cf_slice s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s.ptr[i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)lit[i])
            return false;
    }
    return true;
}

static bool starts_with(cf_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && memcmp(s.ptr, lit, n) == 0;
}

/* quote_len -- at most POL_MSG_TEXT_MAX bytes of s, for "%.*s" in a message. */
static int quote_len(cf_slice s)
{
    return (int)(s.len < POL_MSG_TEXT_MAX ? s.len : POL_MSG_TEXT_MAX);
}

/*
 * string_list -- a field that is one string or a non-empty array of strings,
 * as slices into json-c's tree (valid until it is freed) in out[0..*n). A
 * value that is neither, an empty array, a non-string element or a string
 * with a NUL answers `bad`; more than S3_POLICY_MAX_LIST or a string over
 * S3_POLICY_MAX_STRING_BYTES answer their limit.
 */
static int string_list(pol_parser *ps, struct json_object *v, const char *field, const char *bad,
                       cf_slice *out, size_t *n)
{
    *n = 0;
    size_t count = 1;
    bool array = json_object_is_type(v, json_type_array);
    if (array)
        count = json_object_array_length(v);
    if (count == 0)
        return pol_fail(ps, "%s", bad);
    if (count > S3_POLICY_MAX_LIST)
        return pol_fail(ps, "%s has more than %d values", field, S3_POLICY_MAX_LIST);
    for (size_t i = 0; i < count; i++) {
        struct json_object *e = array ? json_object_array_get_idx(v, i) : v;
        if (!json_object_is_type(e, json_type_string) || !pol_scalar_text(e, &out[i]))
            return pol_fail(ps, "%s", bad);
        if (out[i].len > S3_POLICY_MAX_STRING_BYTES)
            return pol_fail(ps, "%s has a value longer than %d bytes", field,
                            S3_POLICY_MAX_STRING_BYTES);
    }
    *n = count;
    return 0;
}

static bool has_variable(pol_parser *ps, cf_slice s)
{
    return ps->variables && s.len >= 2 && memmem(s.ptr, s.len, "${", 2) != NULL;
}

/* name_ok -- a coffer access key as a principal names it: 1..128 printable ASCII bytes, no
 * wildcard and no "/" (SigV4's credential scope could not carry it). */
static bool name_ok(cf_slice s)
{
    if (s.len == 0 || s.len > 128)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] <= ' ' || s.ptr[i] > '~' || s.ptr[i] == '*' || s.ptr[i] == '?' ||
            s.ptr[i] == '/')
            return false;
    return true;
}

/* principal_of -- one value of "AWS" (canonical: of "CanonicalUser") into *pr. */
static bool principal_of(pol_parser *ps, cf_slice s, bool canonical, pol_principal *pr, bool *oom)
{
    static const char user_prefix[] = POL_IAM_PREFIX "user/";
    *oom = false;
    if (!canonical && slice_eq(s, slice_str("*"))) {
        pr->kind = PR_ANY;
        return true;
    }
    if (!canonical && slice_eq(s, slice_str(POL_IAM_PREFIX "root"))) {
        pr->kind = PR_AUTHENTICATED;
        return true;
    }
    size_t skip = 0;
    if (!canonical && starts_with(s, user_prefix)) {
        pr->kind = PR_USER_ARN;
        skip = sizeof user_prefix - 1;
    } else if (!canonical && starts_with(s, "arn:")) {
        return false; /* another account, a role, a service: nothing coffer has */
    } else {
        pr->kind = PR_CANONICAL;
    }
    cf_slice name = slice_make(s.ptr + skip, s.len - skip);
    if (!name_ok(name))
        return false;
    if (!pol_copy(ps, s, false, &pr->text)) {
        *oom = true;
        return false;
    }
    pr->user = slice_make(pr->text.ptr + skip, name.len);
    return true;
}

static int principals(pol_parser *ps, struct json_object *v, pol_stmt *st)
{
    static const char bad[] = "Invalid principal in policy";
    cf_slice vals[S3_POLICY_MAX_LIST];
    pol_principal list[S3_POLICY_MAX_LIST];
    size_t n = 0;
    if (json_object_is_type(v, json_type_string)) {
        cf_slice s;
        if (!pol_scalar_text(v, &s) || !slice_eq(s, slice_str("*")))
            return pol_fail(ps, "%s", bad);
        list[n++] = (pol_principal){.kind = PR_ANY};
    } else if (json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0) {
        json_object_object_foreach(v, key, val)
        {
            bool canonical = strcmp(key, "CanonicalUser") == 0;
            if (!canonical && strcmp(key, "AWS") != 0)
                return pol_fail(ps, "%s", bad); /* Service, Federated: nothing coffer has */
            size_t k;
            int rc = string_list(ps, val, "Principal", bad, vals, &k);
            if (rc)
                return rc;
            for (size_t i = 0; i < k; i++) {
                bool oom;
                if (n == S3_POLICY_MAX_LIST)
                    return pol_fail(ps, "Principal has more than %d values", S3_POLICY_MAX_LIST);
                memset(&list[n], 0, sizeof list[n]);
                if (!principal_of(ps, vals[i], canonical, &list[n], &oom))
                    return oom ? CF_ENOMEM : pol_fail(ps, "%s", bad);
                n++;
            }
        }
    } else {
        return pol_fail(ps, "%s", bad);
    }
    pol_principal *dst = pol_alloc(ps, n * sizeof *dst);
    if (!dst)
        return CF_ENOMEM;
    memcpy(dst, list, n * sizeof *dst);
    st->principals = dst;
    st->n_principals = (uint32_t)n;
    return 0;
}

/* compile_pattern -- p's lit, wild and star_tail from its text. */
static void compile_pattern(pol_pattern *p)
{
    size_t lit = 0;
    while (lit < p->text.len && p->text.ptr[lit] != '*' && p->text.ptr[lit] != '?')
        lit++;
    p->lit = (uint32_t)lit;
    p->wild = lit < p->text.len;
    p->star_tail = lit + 1 == p->text.len && p->text.ptr[lit] == '*';
}

/* actions -- compiles Action / NotAction; types[i] is what action i applies to (POL_RT_*). */
static int actions(pol_parser *ps, struct json_object *v, pol_stmt *st, unsigned *types)
{
    static const char bad[] = "Policy has invalid action";
    cf_slice vals[S3_POLICY_MAX_LIST];
    size_t n;
    int rc = string_list(ps, v, "Action", bad, vals, &n);
    if (rc)
        return rc;
    pol_pattern *dst = pol_alloc(ps, n * sizeof *dst);
    if (!dst)
        return CF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        cf_slice a = vals[i];
        if (!pol_copy(ps, a, true, &dst[i].text))
            return CF_ENOMEM;
        compile_pattern(&dst[i]);
        if (slice_eq(a, slice_str("*"))) {
            types[i] = POL_RT_ALL;
            memset(&st->action_set, 0xff, sizeof st->action_set);
            continue;
        }
        if (a.len <= 3 || !is_ci(slice_make(a.ptr, 3), "s3:"))
            return pol_fail(ps, "%s", bad);
        for (size_t j = 3; j < a.len; j++) {
            uint8_t c = a.ptr[j];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '*' || c == '?'))
                return pol_fail(ps, "%s", bad);
        }
        /* invariant (6) */
        types[i] = pol_action_match(slice_make(dst[i].text.ptr + 3, a.len - 3), &st->action_set);
        if (types[i] == 0)
            return pol_fail(ps, "%s", bad); /* names no S3 action */
    }
    st->actions = dst;
    st->n_actions = (uint32_t)n;
    return 0;
}

/* resources -- compiles Resource / NotResource (invariant (5)); *types gets what they cover. */
static int resources(pol_parser *ps, struct json_object *v, pol_stmt *st, unsigned *types)
{
    static const char bad[] = "Policy has invalid resource";
    const size_t plen = sizeof POL_RESOURCE_PREFIX - 1;
    cf_slice vals[S3_POLICY_MAX_LIST];
    size_t n;
    int rc = string_list(ps, v, "Resource", bad, vals, &n);
    if (rc)
        return rc;
    pol_pattern *dst = pol_alloc(ps, n * sizeof *dst);
    if (!dst)
        return CF_ENOMEM;
    *types = 0;
    for (size_t i = 0; i < n; i++) {
        cf_slice r = vals[i];
        if (slice_eq(r, slice_str("*"))) {
            *types |= POL_RT_ALL;
        } else {
            if (!starts_with(r, POL_RESOURCE_PREFIX) || r.len == plen || r.ptr[plen] == '/')
                return pol_fail(ps, "%s", bad);
            cf_slice rest = slice_make(r.ptr + plen, r.len - plen);
            if (has_variable(ps, r))
                return pol_fail(ps, "Policy variables are not supported: %.*s", quote_len(r),
                                (const char *)r.ptr);
            unsigned t = 0;
            if (pol_glob(rest, ps->bucket, false))
                t |= POL_RT_BUCKET;
            if (pol_glob_prefix(rest, ps->bucket_slash))
                t |= POL_RT_OBJECT;
            if (t == 0)
                return pol_fail(ps, "%s", bad); /* another bucket */
            *types |= t;
        }
        if (!pol_copy(ps, r, false, &dst[i].text))
            return CF_ENOMEM;
        compile_pattern(&dst[i]);
    }
    st->resources = dst;
    st->n_resources = (uint32_t)n;
    return 0;
}

/* get -- the field name of obj, or NULL. */
static struct json_object *get(struct json_object *obj, const char *name)
{
    struct json_object *v = NULL;
    return json_object_object_get_ex(obj, name, &v) ? v : NULL;
}

/* one_of -- exactly one of the pair a / not_a is given: 0 and *v, *negated. */
static int one_of(pol_parser *ps, struct json_object *obj, const char *a, const char *not_a,
                  struct json_object **v, bool *negated)
{
    struct json_object *x = get(obj, a), *y = get(obj, not_a);
    *v = x ? x : y;
    *negated = !x && y;
    if (x && y)
        return pol_fail(ps, "Statement has both %s and %s", a, not_a);
    if (!x && !y)
        return pol_fail(ps, "Missing required field %s", a);
    return 0;
}

static int statement(pol_parser *ps, struct json_object *obj, pol_stmt *st, cf_slice *sid)
{
    static const char *const fields[] = {"Sid",          "Effect",      "Principal",
                                         "NotPrincipal", "Action",      "NotAction",
                                         "Resource",     "NotResource", "Condition"};
    unsigned atypes[S3_POLICY_MAX_LIST] = {0}, rtypes = POL_RT_ALL;
    struct json_object *v;
    bool neg;
    int rc;
    *sid = slice_make(NULL, 0);
    if (!json_object_is_type(obj, json_type_object))
        return pol_fail(ps, "Statement must be an object");
    json_object_object_foreach(obj, key, val)
    {
        (void)val;
        size_t i = 0;
        while (i < sizeof fields / sizeof fields[0] && strcmp(key, fields[i]) != 0)
            i++;
        if (i == sizeof fields / sizeof fields[0])
            return pol_fail(ps, "Unknown field %.*s", POL_MSG_TEXT_MAX, key);
    }
    if ((v = get(obj, "Sid")) &&
        (!json_object_is_type(v, json_type_string) || !pol_scalar_text(v, sid)))
        return pol_fail(ps, "Sid must be a string");
    cf_slice effect;
    if (!(v = get(obj, "Effect")))
        return pol_fail(ps, "Missing required field Effect");
    if (!json_object_is_type(v, json_type_string) || !pol_scalar_text(v, &effect))
        return pol_fail(ps, "Invalid effect");
    if (slice_eq(effect, slice_str("Allow")))
        st->effect = POL_ALLOW;
    else if (slice_eq(effect, slice_str("Deny")))
        st->effect = POL_DENY;
    else
        return pol_fail(ps, "Invalid effect: %.*s", quote_len(effect), (const char *)effect.ptr);

    if ((rc = one_of(ps, obj, "Principal", "NotPrincipal", &v, &neg)) ||
        (rc = principals(ps, v, st)))
        return rc;
    st->not_principal = neg;
    if ((rc = one_of(ps, obj, "Action", "NotAction", &v, &neg)) ||
        (rc = actions(ps, v, st, atypes)))
        return rc;
    st->not_action = neg;
    if ((rc = one_of(ps, obj, "Resource", "NotResource", &v, &neg)) ||
        (rc = resources(ps, v, st, &rtypes)))
        return rc;
    st->not_resource = neg;
    if ((v = get(obj, "Condition")) && (rc = pol_conditions(ps, v, st)))
        return rc;
    /* S3 refuses an action that applies to none of the statement's resources */
    for (size_t i = 0; !st->not_action && !st->not_resource && i < st->n_actions; i++)
        if (!(atypes[i] & rtypes))
            return pol_fail(ps, "Action does not apply to any resource(s) in statement");
    return 0;
}

static int document(pol_parser *ps, struct json_object *root)
{
    struct json_object *v, *stmts;
    cf_slice sids[S3_POLICY_MAX_STATEMENTS];
    int rc;
    json_object_object_foreach(root, key, val)
    {
        (void)val;
        if (strcmp(key, "Version") != 0 && strcmp(key, "Id") != 0 && strcmp(key, "Statement") != 0)
            return pol_fail(ps, "Unknown field %.*s", POL_MSG_TEXT_MAX, key);
    }
    if ((v = get(root, "Version"))) {
        cf_slice ver;
        if (!json_object_is_type(v, json_type_string) || !pol_scalar_text(v, &ver) ||
            (!slice_eq(ver, slice_str("2012-10-17")) && !slice_eq(ver, slice_str("2008-10-17"))))
            return pol_fail(ps, "The policy must contain a valid version string");
        ps->variables = slice_eq(ver, slice_str("2012-10-17"));
    }
    if ((v = get(root, "Id")) && !json_object_is_type(v, json_type_string))
        return pol_fail(ps, "Id must be a string");
    if (!(stmts = get(root, "Statement")))
        return pol_fail(ps, "Missing required field Statement");
    bool array = json_object_is_type(stmts, json_type_array);
    size_t n = array ? json_object_array_length(stmts) : 1;
    if (n == 0)
        return pol_fail(ps, "Could not parse the policy: Statement is empty!");
    if (n > S3_POLICY_MAX_STATEMENTS)
        return pol_fail(ps, "Policy has more than %d statements", S3_POLICY_MAX_STATEMENTS);
    pol_stmt *st = pol_alloc(ps, n * sizeof *st);
    if (!st)
        return CF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if ((rc = statement(ps, array ? json_object_array_get_idx(stmts, i) : stmts, &st[i],
                            &sids[i])))
            return rc;
        for (size_t j = 0; sids[i].len && j < i; j++)
            if (slice_eq(sids[i], sids[j]))
                return pol_fail(ps, "Statement IDs (SID) in a single policy must be unique: %.*s",
                                quote_len(sids[i]), (const char *)sids[i].ptr);
    }
    for (size_t i = 0; i < n; i++) {
        st[i].is_public = pol_stmt_public(&st[i]);
        ps->p->is_public |= st[i].is_public;
    }
    ps->p->stmts = st;
    ps->p->n_stmts = (uint32_t)n;
    return 0;
}

/* trailing_ok -- only JSON whitespace after the document. */
static bool trailing_ok(cf_slice json, size_t end)
{
    for (size_t i = end; i < json.len; i++)
        if (!strchr(" \t\r\n", json.ptr[i]) || json.ptr[i] == '\0')
            return false;
    return true;
}

int s3_policy_parse(cf_slice json, cf_slice bucket, s3_policy **out, char *why, size_t why_cap)
{
    pol_parser ps = {.bucket = bucket, .why = why, .why_cap = why_cap};
    struct json_tokener *tok = NULL;
    struct json_object *root = NULL;
    int rc;
    *out = NULL;
    if (why_cap)
        why[0] = '\0';
    if (json.len > S3_POLICY_MAX_BYTES) {
        pol_fail(&ps, "Policy exceeds the maximum allowed document size");
        return CF_ELIMIT;
    }
    if (json.len == 0 || json.ptr[0] != '{')
        return pol_fail(&ps, "Policies must be valid JSON and the first byte must be '{'");
    ps.p = calloc(1, sizeof *ps.p);
    tok = json_tokener_new_ex(S3_POLICY_MAX_DEPTH + 1); /* json-c allows depth - 1 levels */
    if (!ps.p || !tok || !pol_copy(&ps, bucket, false, &ps.bucket_slash)) {
        rc = CF_ENOMEM;
        goto fail;
    }
    /* pol_copy allocated one byte past the copy: room for the "/" */
    ((uint8_t *)ps.bucket_slash.ptr)[ps.bucket_slash.len++] = '/';
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, (const char *)json.ptr, (int)json.len);
    if (!root || json_tokener_get_error(tok) != json_tokener_success ||
        !json_object_is_type(root, json_type_object) ||
        !trailing_ok(json, json_tokener_get_parse_end(tok))) {
        rc = pol_fail(&ps, "This policy contains invalid Json");
        goto fail;
    }
    if ((rc = document(&ps, root)))
        goto fail;
    json_object_put(root);
    json_tokener_free(tok);
    *out = ps.p;
    return 0;
fail:
    if (rc == CF_ENOMEM && why_cap)
        why[0] = '\0';
    json_object_put(root);
    json_tokener_free(tok);
    s3_policy_free(ps.p);
    return rc;
}

void s3_policy_free(s3_policy *p)
{
    if (!p)
        return;
    pol_block *b = p->blocks;
    while (b) {
        pol_block *next = b->next;
        free(b);
        b = next;
    }
    free(p);
}

size_t s3_policy_statement_count(const s3_policy *p)
{
    return p->n_stmts;
}

bool s3_policy_statement_is_public(const s3_policy *p, size_t i)
{
    return i < p->n_stmts && p->stmts[i].is_public;
}

bool s3_policy_is_public(const s3_policy *p)
{
    return p->is_public;
}

size_t s3_policy_users(const s3_policy *p, cf_slice *out, size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < p->n_stmts; i++) {
        const pol_stmt *st = &p->stmts[i];
        for (uint32_t j = 0; j < st->n_principals; j++) {
            if (st->principals[j].user.len == 0)
                continue;
            if (n < cap)
                out[n] = st->principals[j].user;
            n++;
        }
    }
    return n;
}
