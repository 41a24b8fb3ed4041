/*
 * policy_int.h -- the compiled form of a bucket policy, shared by the policy_*.c files.
 *
 * s3_policy_parse (policy_parse.c, policy_cond.c) builds it; s3_policy_eval
 * (policy_eval.c) only reads it. Everything a policy owns lives in its arena:
 * a list of malloc'd blocks that never move, freed together by
 * s3_policy_free. Strings are copies (json-c's objects are gone after the
 * parse), already in the form evaluation compares: action patterns
 * lowercased, IgnoreCase values lowercased, numbers, dates and IP ranges
 * converted, ARN values split into their six fields.
 *
 * Invariants (numbering continues policy.h's):
 *  (4) every list in a compiled statement is non-empty where the grammar
 *      requires it (principals, actions, resources, condition values), and
 *      no longer than S3_POLICY_MAX_LIST;
 *  (5) a resource pattern either is "*" or starts with "arn:aws:s3:::" and
 *      can match this bucket or an object in it;
 *  (6) a statement's action_set holds exactly the rows of the action table
 *      that one of its action patterns matches, so for a request action in
 *      the table one bit test answers what matching the patterns would.
 */
#ifndef S3_POLICY_INT_H
#define S3_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s3/policy.h"

#define POL_RESOURCE_PREFIX "arn:aws:s3:::"
#define POL_IAM_PREFIX "arn:aws:iam::coffer:"
#define POL_MSG_TEXT_MAX 128 /* longest piece of the document a message quotes */

/* ---- typed values (policy_value.c) ---- */

typedef struct pol_ip {
    uint8_t addr[16]; /* IPv4 in addr[0..4) */
    uint8_t bits;     /* prefix length: 0..32 (v4) or 0..128 (v6) */
    bool v6;
} pol_ip;

/* pol_glob -- does s match pat, where * is any run of characters and ? one character (UTF-8)?
 * Case-sensitive; fold: s is compared ASCII-lowercased (pat must be lowercase already). */
bool pol_glob(cf_slice pat, cf_slice s, bool fold);

/* pol_glob_prefix -- could pat match some string that starts with prefix and has at least one
 * more character after it? (Resource validation: can a pattern match an object in a bucket.) */
bool pol_glob_prefix(cf_slice pat, cf_slice prefix);

bool pol_has_wild(cf_slice s); /* contains * or ? */

/* pol_num_parse -- a decimal number (JSON number syntax, leading zeros allowed): true, *v. */
bool pol_num_parse(cf_slice s, double *v);

/* pol_date_parse -- epoch seconds (digits) or ISO 8601 / W3C datetime (YYYY-MM-DD, optional
 * Thh:mm[:ss[.frac]] and Z or +-hh[:]mm): true and *ms since 1970-01-01T00:00:00Z. */
bool pol_date_parse(cf_slice s, int64_t *ms);

/* pol_ip_parse -- an IPv4 or IPv6 address, with /bits when cidr (a bare address is /32 or /128).
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) without /bits reads as the IPv4 address. */
bool pol_ip_parse(cf_slice s, bool cidr, pol_ip *out);

/* pol_ip_contains -- is addr inside the range net? (Families must agree.) */
bool pol_ip_contains(const pol_ip *net, const pol_ip *addr);

/* pol_arn_split -- "arn:partition:service:region:account:resource" into its six fields (the last
 * may hold more colons); false if s has fewer than five colons or does not start "arn:". */
bool pol_arn_split(cf_slice s, cf_slice parts[6]);

/* ---- actions (policy_actions.c) ---- */

enum { POL_RT_BUCKET = 1, POL_RT_OBJECT = 2, POL_RT_ALL = 3 };

#define POL_ACTION_WORDS 2 /* the action table has at most 64 * 2 rows */

/* A set of rows of the action table: which S3 actions some patterns match. */
typedef struct pol_action_set {
    uint64_t w[POL_ACTION_WORDS];
} pol_action_set;

/* pol_action_match -- adds to *set the S3 actions pattern (lowercase, after "s3:") matches;
 * returns their POL_RT_* resource types, 0 if it matches none. */
unsigned pol_action_match(cf_slice pattern, pol_action_set *set);

/* pol_action_index -- the table row of action name ("s3:GetObject", any case), or -1. */
int pol_action_index(cf_slice name);

size_t pol_action_count(void);         /* rows in the table */
const char *pol_action_name(size_t i); /* row i's name after "s3:", as AWS spells it */

/* ---- the compiled policy ---- */

typedef enum pol_principal_kind {
    PR_ANY,           /* "*": everyone, anonymous included */
    PR_AUTHENTICATED, /* arn:aws:iam::coffer:root: any signed-in coffer user */
    PR_USER_ARN,      /* arn:aws:iam::coffer:user/NAME: text is the whole ARN */
    PR_CANONICAL,     /* a canonical user id: text is the id */
} pol_principal_kind;

typedef struct pol_principal {
    uint8_t kind; /* pol_principal_kind */
    cf_slice text;
    cf_slice user; /* the access key it names (PR_USER_ARN, PR_CANONICAL), else empty */
} pol_principal;

typedef struct pol_pattern {
    cf_slice text;
    uint32_t lit;   /* bytes before the first * or ?: compared at once */
    bool wild;      /* has * or ?; if not, equality decides */
    bool star_tail; /* the only wildcard is one * at the end: the literal prefix decides */
} pol_pattern;

typedef enum pol_type { T_STRING, T_NUMERIC, T_DATE, T_BOOL, T_IP, T_ARN, T_NULL } pol_type;
typedef enum pol_cmp { C_EQ, C_EQ_IC, C_LIKE, C_LT, C_LE, C_GT, C_GE } pol_cmp;
typedef enum pol_set { SET_NONE, SET_ANY, SET_ALL } pol_set;

typedef struct pol_value {
    cf_slice text; /* as written; lowercased for C_EQ_IC */
    bool wild;     /* text has * or ? (a value that is not fixed, for "is public") */
    union {
        double num;          /* T_NUMERIC */
        int64_t ms;          /* T_DATE */
        bool b;              /* T_BOOL, T_NULL */
        pol_ip ip;           /* T_IP */
        const cf_slice *arn; /* T_ARN: six fields */
    } u;
} pol_value;

typedef struct pol_cond {
    uint8_t type;   /* pol_type */
    uint8_t cmp;    /* pol_cmp */
    uint8_t set;    /* pol_set */
    bool negated;   /* a ...Not... operator: true when no policy value relates */
    bool if_exists; /* an absent key makes the condition true */
    uint8_t key;    /* s3_policy_key */
    cf_slice sub;   /* the tag key of the ...ObjectTag/<k> keys, else empty */
    uint32_t n_values;
    const pol_value *values;
} pol_cond;

enum { POL_ALLOW = 1, POL_DENY = 2 };

typedef struct pol_stmt {
    uint8_t effect; /* POL_ALLOW or POL_DENY */
    bool not_principal, not_action, not_resource;
    bool is_public; /* an Allow that s3_policy_is_public counts */
    uint32_t n_principals, n_actions, n_resources, n_conds;
    const pol_principal *principals;
    const pol_pattern *actions;   /* lowercase, whole ("s3:get*" or "*") */
    pol_action_set action_set;    /* the table's actions that actions match (invariant (6)) */
    const pol_pattern *resources; /* whole ("arn:aws:s3:::b/k*" or "*") */
    const pol_cond *conds;
} pol_stmt;

typedef struct pol_block pol_block;

struct s3_policy {
    uint32_t n_stmts;
    const pol_stmt *stmts;
    bool is_public;
    pol_block *blocks; /* the arena every pointer above points into */
};

/* ---- parse-time context (policy_parse.c, policy_cond.c) ---- */

typedef struct pol_parser {
    s3_policy *p;
    cf_slice bucket;
    cf_slice bucket_slash; /* bucket + "/", in the arena */
    bool variables;        /* Version 2012-10-17: "${" starts a policy variable (refused) */
    char *why;
    size_t why_cap;
} pol_parser;

/* pol_alloc -- n zeroed bytes from ps's arena, aligned for any type; NULL when out of memory. */
void *pol_alloc(pol_parser *ps, size_t n);

/* pol_copy -- s copied into the arena (lowercased when lower); false when out of memory. */
bool pol_copy(pol_parser *ps, cf_slice s, bool lower, cf_slice *out);

/* pol_fail -- writes the MalformedPolicy message (printf format) into ps->why; CF_EINVAL. */
int pol_fail(pol_parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct json_object;

/* pol_conditions -- compiles the Condition object obj into st (policy_cond.c). 0, CF_EINVAL
 * (message written), CF_ENOMEM. */
int pol_conditions(pol_parser *ps, struct json_object *obj, pol_stmt *st);

/* pol_scalar_text -- the text of a JSON string, number or bool (numbers as written, bools
 * "true"/"false"); false for other types and for strings holding a NUL. */
bool pol_scalar_text(struct json_object *v, cf_slice *out);

/* pol_stmt_public -- is st an Allow to everyone that no condition pins (policy_eval.c)? */
bool pol_stmt_public(const pol_stmt *st);

#endif
