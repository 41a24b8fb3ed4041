/*
 * policy_eval.c -- judges one request against a compiled bucket policy, and says whether a
 * policy is public.
 *
 * A statement matches a request when its principal, action and resource
 * (each possibly negated: NotPrincipal, NotAction, NotResource) match and
 * every condition holds. Any matching Deny decides DENY; else any matching
 * Allow decides ALLOW; else NO_MATCH (the caller falls back to ACLs and
 * ownership). Statements are tried in document order, cheapest test first
 * (action, resource, principal, then conditions, which call back into the
 * request for values).
 *
 * Conditions, as IAM evaluates them (doc/policy.md has the table):
 *  - the values of one key are OR'd, keys and operators are AND'd;
 *  - a negated operator holds for a request value that relates to none of
 *    the policy's values, so its values are NOR'd;
 *  - an absent key: IfExists -> true; Null -> its own test; ForAllValues ->
 *    true; ForAnyValue -> false; else negated operators true, others false;
 *  - a request value that does not parse as the operator's type (a number
 *    that is not one) relates to nothing, and a negated operator does not
 *    hold for it either.
 * No allocation, no recursion; work is bounded by the compiled policy and
 * S3_POLICY_MAX_KEY_VALUES values per key (invariant (3) of policy.h).
 */
#include <string.h>

#include "s3/policy_int.h"

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* eq_fold -- s equals the lowercase text low, ignoring ASCII case in s. */
static bool eq_fold(cf_slice low, cf_slice s)
{
    if (low.len != s.len)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (low.ptr[i] != lower(s.ptr[i]))
            return false;
    return true;
}

/* eq_fold_n -- the first n bytes of low (lowercase) and s agree, ignoring ASCII case in s. */
static bool eq_fold_n(const uint8_t *low, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (low[i] != lower(s[i]))
            return false;
    return true;
}

/* pattern_matches -- the literal prefix first (one memcmp for resources), then the rest. */
static bool pattern_matches(const pol_pattern *p, cf_slice s, bool fold)
{
    if (s.len < p->lit)
        return false;
    if (fold ? !eq_fold_n(p->text.ptr, s.ptr, p->lit) : memcmp(p->text.ptr, s.ptr, p->lit) != 0)
        return false;
    if (!p->wild)
        return s.len == p->lit;
    if (p->star_tail)
        return true;
    return pol_glob(slice_make(p->text.ptr + p->lit, p->text.len - p->lit),
                    slice_make(s.ptr + p->lit, s.len - p->lit), fold);
}

/* any_pattern -- does some pattern of list[0..n) match s? */
static bool any_pattern(const pol_pattern *list, uint32_t n, cf_slice s, bool fold)
{
    for (uint32_t i = 0; i < n; i++)
        if (pattern_matches(&list[i], s, fold))
            return true;
    return false;
}

/* action_matches -- a bit test for an action in the table (invariant (6)), else the patterns. */
static bool action_matches(const pol_stmt *st, int idx, cf_slice action)
{
    if (idx >= 0)
        return st->action_set.w[idx / 64] >> (idx % 64) & 1;
    return any_pattern(st->actions, st->n_actions, action, true);
}

static bool principal_matches(const pol_principal *pr, const s3_policy_request *req)
{
    switch (pr->kind) {
    case PR_ANY:
        return true;
    case PR_AUTHENTICATED:
        return req->principal.len > 0;
    case PR_USER_ARN:
        return req->principal.len > 0 && slice_eq(pr->text, req->principal);
    case PR_CANONICAL:
        return req->canonical_id.len > 0 && slice_eq(pr->text, req->canonical_id);
    default:
        return false;
    }
}

static bool any_principal(const pol_stmt *st, const s3_policy_request *req)
{
    for (uint32_t i = 0; i < st->n_principals; i++)
        if (principal_matches(&st->principals[i], req))
            return true;
    return false;
}

static bool cmp_holds(uint8_t cmp, double req, double pol)
{
    switch (cmp) {
    case C_EQ:
        return req == pol;
    case C_LT:
        return req < pol;
    case C_LE:
        return req <= pol;
    case C_GT:
        return req > pol;
    case C_GE:
        return req >= pol;
    default:
        return false;
    }
}

static bool string_relates(const pol_cond *c, const pol_value *v, cf_slice rv)
{
    switch (c->cmp) {
    case C_EQ:
        return slice_eq(v->text, rv);
    case C_EQ_IC:
        return eq_fold(v->text, rv);
    default:
        return pol_glob(v->text, rv, false);
    }
}

static bool arn_relates(const pol_value *v, const cf_slice req[6])
{
    for (int i = 0; i < 6; i++)
        if (!pol_glob(v->u.arn[i], req[i], false))
            return false;
    return true;
}

/*
 * relates -- does request value rv relate to some value of c under c's
 * positive operator (StringEquals for StringNotEquals)? *ok is false when rv
 * does not parse as c's type.
 */
static bool relates(const pol_cond *c, cf_slice rv, bool *ok)
{
    double num = 0;
    int64_t ms = 0;
    bool b = false;
    pol_ip ip;
    cf_slice arn[6];
    *ok = true;
    switch (c->type) {
    case T_STRING:
        break;
    case T_NUMERIC:
        *ok = pol_num_parse(rv, &num);
        break;
    case T_DATE:
        *ok = pol_date_parse(rv, &ms);
        break;
    case T_BOOL:
        *ok = (rv.len == 4 && eq_fold(slice_str("true"), rv)) ||
              (rv.len == 5 && eq_fold(slice_str("false"), rv));
        b = rv.len == 4;
        break;
    case T_IP:
        *ok = pol_ip_parse(rv, false, &ip);
        break;
    case T_ARN:
        *ok = pol_arn_split(rv, arn);
        break;
    default:
        *ok = false;
    }
    if (!*ok)
        return false;
    for (uint32_t i = 0; i < c->n_values; i++) {
        const pol_value *v = &c->values[i];
        bool r;
        switch (c->type) {
        case T_STRING:
            r = string_relates(c, v, rv);
            break;
        case T_NUMERIC:
            r = cmp_holds(c->cmp, num, v->u.num);
            break;
        case T_DATE:
            r = cmp_holds(c->cmp, (double)ms, (double)v->u.ms);
            break;
        case T_BOOL:
            r = b == v->u.b;
            break;
        case T_IP:
            r = pol_ip_contains(&v->u.ip, &ip);
            break;
        default:
            r = arn_relates(v, arn);
            break;
        }
        if (r)
            return true;
    }
    return false;
}

/* holds -- does c's operator (negated or not) hold for one request value? */
static bool holds(const pol_cond *c, cf_slice rv)
{
    bool ok, r = relates(c, rv, &ok);
    return ok && (c->negated ? !r : r);
}

/* cond_eval -- 1: c holds, 0: it does not, -1: the values callback broke its contract. */
static int cond_eval(const pol_cond *c, const s3_policy_request *req)
{
    cf_slice vals[S3_POLICY_MAX_KEY_VALUES];
    size_t n = req->values ? req->values(req->arg, (s3_policy_key)c->key, c->sub, vals,
                                         S3_POLICY_MAX_KEY_VALUES)
                           : 0;
    if (n > S3_POLICY_MAX_KEY_VALUES)
        return -1;
    if (c->type == T_NULL) {
        for (uint32_t i = 0; i < c->n_values; i++)
            if (c->values[i].u.b == (n == 0))
                return 1;
        return 0;
    }
    if (n == 0) {
        if (c->if_exists || c->set == SET_ALL)
            return 1;
        return c->set == SET_NONE && c->negated;
    }
    /* SET_NONE on a single-valued key that came with several values: any one decides a
     * positive operator, and a negated one must hold for all (its values are NOR'd) */
    bool all = c->set == SET_ALL || (c->set == SET_NONE && c->negated);
    for (size_t i = 0; i < n; i++) {
        bool h = holds(c, vals[i]);
        if (all && !h)
            return 0;
        if (!all && h)
            return 1;
    }
    return all;
}

/* stmt_matches -- 1: st applies to req, 0: it does not, -1: evaluation error (fail closed). */
static int stmt_matches(const pol_stmt *st, const s3_policy_request *req, int idx, cf_slice action)
{
    if (action_matches(st, idx, action) == st->not_action)
        return 0;
    if (any_pattern(st->resources, st->n_resources, req->resource, false) == st->not_resource)
        return 0;
    if (any_principal(st, req) == st->not_principal)
        return 0;
    for (uint32_t i = 0; i < st->n_conds; i++) {
        int r = cond_eval(&st->conds[i], req);
        if (r <= 0)
            return r;
    }
    return 1;
}

s3_policy_effect s3_policy_eval(const s3_policy *p, const s3_policy_request *req,
                                bool *public_allow)
{
    cf_slice action = slice_str(req->action);
    int idx = pol_action_index(action);
    bool allow = false, allow_private = false;
    if (public_allow)
        *public_allow = false;
    for (uint32_t i = 0; i < p->n_stmts; i++) {
        const pol_stmt *st = &p->stmts[i];
        /* once a non-public Allow matched, another Allow changes nothing: only Deny can */
        if (st->effect == POL_ALLOW && allow_private)
            continue;
        int r = stmt_matches(st, req, idx, action);
        if (r < 0)
            return S3_POLICY_DENY;
        if (r == 0)
            continue;
        if (st->effect == POL_DENY)
            return S3_POLICY_DENY;
        allow = true;
        allow_private |= !st->is_public;
    }
    if (!allow)
        return S3_POLICY_NO_MATCH;
    if (public_allow)
        *public_allow = !allow_private;
    return S3_POLICY_ALLOW;
}

/*
 * pins -- does condition c confine a statement to fixed values, as S3's
 * "meaning of public" counts it? aws:SourceIp by IpAddress to ranges none of
 * which is /0, or aws:PrincipalArn / aws:userid / aws:username by an
 * equality or Like operator (String or Arn) to values without a wildcard.
 * Only a plain positive operator pins: a negated one excludes, IfExists and
 * ForAllValues pass an absent key, ForAnyValue is left out for simplicity
 * (counted public: the safe side).
 */
static bool pins(const pol_cond *c)
{
    if (c->set != SET_NONE || c->if_exists || c->negated)
        return false;
    bool ip = c->key == S3_PK_SOURCE_IP && c->type == T_IP;
    bool who =
        (c->key == S3_PK_PRINCIPAL_ARN || c->key == S3_PK_USERID || c->key == S3_PK_USERNAME) &&
        (c->type == T_STRING || c->type == T_ARN);
    if (!ip && !who)
        return false;
    for (uint32_t i = 0; i < c->n_values; i++) {
        const pol_value *v = &c->values[i];
        if (ip ? v->u.ip.bits == 0 : v->wild)
            return false;
    }
    return true;
}

bool pol_stmt_public(const pol_stmt *st)
{
    if (st->effect != POL_ALLOW)
        return false;
    bool everyone = st->not_principal;
    for (uint32_t i = 0; i < st->n_principals; i++)
        everyone |= st->principals[i].kind == PR_ANY;
    if (!everyone)
        return false;
    for (uint32_t i = 0; i < st->n_conds; i++)
        if (pins(&st->conds[i]))
            return false;
    return true;
}
