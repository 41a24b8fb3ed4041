/*
 * policy_test.c -- bucket policies judged: (policy, request) -> ALLOW / DENY / NO_MATCH for
 * every principal form, both wildcards in actions and resources, NotPrincipal / NotAction /
 * NotResource, explicit deny beating allow; the named users; a values callback breaking its
 * contract; doc/policy.md's worked example, read from the doc itself, and every proper prefix
 * of it refused; the glob against a reference matcher; the action table's order and lookup,
 * and actions outside it; the speed of a 20-statement policy. Conditions are
 * policy_cond_test.c's; refusals, limits, "is public" and public_allow policy_parse_test.c's.
 */
#include <strings.h>
#include <time.h>

#include "policy_fixture.h"
#include "s3/policy_int.h"

/* ---- principals ---- */

static const eval_case principal_cases[] = {
    {"star_allows_anonymous", ALLOW1("'*'", "'s3:GetObject'", OBJS), {GET("a")}, ALLOW},
    {"aws_star_allows_a_user",
     ALLOW1("{'AWS':'*'}", "'s3:GetObject'", OBJS),
     {GET("a"), AS("alice")},
     ALLOW},
    {"aws_star_allows_anonymous", ALLOW1("{'AWS':'*'}", "'s3:GetObject'", OBJS), {GET("a")}, ALLOW},
    {"user_arn_matches_that_user",
     ALLOW1("{'AWS':'arn:aws:iam::coffer:user/alice'}", "'s3:GetObject'", OBJS),
     {GET("a"), AS("alice")},
     ALLOW},
    {"user_arn_not_another_user",
     ALLOW1("{'AWS':'arn:aws:iam::coffer:user/alice'}", "'s3:GetObject'", OBJS),
     {GET("a"), AS("bob")},
     NONE},
    {"user_arn_not_anonymous",
     ALLOW1("{'AWS':'arn:aws:iam::coffer:user/alice'}", "'s3:GetObject'", OBJS),
     {GET("a")},
     NONE},
    {"user_arn_is_case_sensitive",
     ALLOW1("{'AWS':'arn:aws:iam::coffer:user/Alice'}", "'s3:GetObject'", OBJS),
     {GET("a"), AS("alice")},
     NONE},
    {"user_arn_in_a_list",
     ALLOW1("{'AWS':['arn:aws:iam::coffer:user/bob','arn:aws:iam::coffer:user/alice']}",
            "'s3:GetObject'", OBJS),
     {GET("a"), AS("alice")},
     ALLOW},
    {"root_is_any_authenticated_user",
     ALLOW1("{'AWS':'arn:aws:iam::coffer:root'}", "'s3:GetObject'", OBJS),
     {GET("a"), AS("bob")},
     ALLOW},
    {"root_is_not_anonymous",
     ALLOW1("{'AWS':'arn:aws:iam::coffer:root'}", "'s3:GetObject'", OBJS),
     {GET("a")},
     NONE},
    {"bare_aws_string_is_a_canonical_id",
     ALLOW1("{'AWS':'alice'}", "'s3:GetObject'", OBJS),
     {GET("a"), AS("alice")},
     ALLOW},
    {"canonical_user_list",
     ALLOW1("{'CanonicalUser':['bob','alice']}", "'s3:GetObject'", OBJS),
     {GET("a"), AS("alice")},
     ALLOW},
    {"canonical_user_not_anonymous",
     ALLOW1("{'CanonicalUser':'alice'}", "'s3:GetObject'", OBJS),
     {GET("a")},
     NONE},
    {"aws_and_canonical_together",
     ALLOW1("{'AWS':'arn:aws:iam::coffer:user/bob','CanonicalUser':'alice'}", "'s3:GetObject'",
            OBJS),
     {GET("a"), AS("alice")},
     ALLOW},
    {"not_principal_spares_the_named_user",
     "{'Statement':[{'Effect':'Deny','NotPrincipal':{'AWS':'arn:aws:iam::coffer:user/alice'},"
     "'Action':'s3:*','Resource':'arn:aws:s3:::bkt/*'},"
     "{'Effect':'Allow','Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'}]}",
     {GET("a"), AS("alice")},
     ALLOW},
    {"not_principal_denies_everyone_else",
     "{'Statement':[{'Effect':'Deny','NotPrincipal':{'AWS':'arn:aws:iam::coffer:user/alice'},"
     "'Action':'s3:*','Resource':'arn:aws:s3:::bkt/*'},"
     "{'Effect':'Allow','Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'}]}",
     {GET("a"), AS("bob")},
     DENY},
    {"not_principal_root_applies_to_anonymous",
     "{'Statement':{'Effect':'Deny','NotPrincipal':{'AWS':'arn:aws:iam::coffer:root'},"
     "'Action':'s3:*','Resource':'arn:aws:s3:::bkt/*'}}",
     {GET("a")},
     DENY},
    {"not_principal_root_spares_users",
     "{'Statement':{'Effect':'Deny','NotPrincipal':{'AWS':'arn:aws:iam::coffer:root'},"
     "'Action':'s3:*','Resource':'arn:aws:s3:::bkt/*'}}",
     {GET("a"), AS("bob")},
     NONE},
};

static void test_principals_each_form(void)
{
    run_eval_table(principal_cases, TEST_COUNT(principal_cases));
}

/* ---- actions ---- */

static const eval_case action_cases[] = {
    {"exact_name_any_case", ALLOW1("'*'", "'S3:getobject'", OBJS), {GET("a")}, ALLOW},
    {"exact_name_other_action",
     ALLOW1("'*'", "'s3:GetObject'", OBJS),
     {.action = "s3:GetObjectAcl", .resource = "bkt/a"},
     NONE},
    {"star_suffix",
     ALLOW1("'*'", "'s3:Get*'", OBJS),
     {.action = "s3:GetObjectTagging", .resource = "bkt/a"},
     ALLOW},
    {"star_suffix_other_verb",
     ALLOW1("'*'", "'s3:Get*'", OBJS),
     {.action = "s3:PutObject", .resource = "bkt/a"},
     NONE},
    {"star_in_the_middle",
     ALLOW1("'*'", "'s3:*Object'", OBJS),
     {.action = "s3:DeleteObject", .resource = "bkt/a"},
     ALLOW},
    {"question_is_one_character", ALLOW1("'*'", "'s3:?etObject'", OBJS), {GET("a")}, ALLOW},
    {"three_questions_three_characters",
     ALLOW1("'*'",
            "'s3:GetObject?"
            "?"
            "?'",
            OBJS),
     {.action = "s3:GetObjectAcl", .resource = "bkt/a"},
     ALLOW},
    {"three_questions_not_seven",
     ALLOW1("'*'",
            "'s3:GetObject?"
            "?"
            "?'",
            OBJS),
     {.action = "s3:GetObjectTagging", .resource = "bkt/a"},
     NONE},
    {"star_alone_is_every_action",
     ALLOW1("'*'", "'*'", OBJS),
     {.action = "s3:PutObject", .resource = "bkt/a"},
     ALLOW},
    {"s3_star",
     ALLOW1("'*'", "'s3:*'", OBJS),
     {.action = "s3:DeleteObject", .resource = "bkt/a"},
     ALLOW},
    {"list_of_actions", ALLOW1("'*'", "['s3:PutObject','s3:GetObject']", OBJS), {GET("a")}, ALLOW},
    {"not_action_matches_the_others",
     "{'Statement':{'Effect':'Allow','Principal':'*','NotAction':'s3:GetObject',"
     "'Resource':'arn:aws:s3:::bkt/*'}}",
     {.action = "s3:PutObject", .resource = "bkt/a"},
     ALLOW},
    {"not_action_not_the_named",
     "{'Statement':{'Effect':'Allow','Principal':'*','NotAction':'s3:GetObject',"
     "'Resource':'arn:aws:s3:::bkt/*'}}",
     {GET("a")},
     NONE},
    {"not_action_with_wildcard",
     "{'Statement':{'Effect':'Allow','Principal':'*','NotAction':['s3:Delete*','s3:Put*'],"
     "'Resource':'arn:aws:s3:::bkt/*'}}",
     {.action = "s3:PutObjectTagging", .resource = "bkt/a"},
     NONE},
};

static void test_actions_names_and_wildcards(void)
{
    run_eval_table(action_cases, TEST_COUNT(action_cases));
}

/* ---- resources ---- */

static const eval_case resource_cases[] = {
    {"exact_key",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::bkt/a.txt'"),
     {GET("a.txt")},
     ALLOW},
    {"exact_key_is_not_a_prefix",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::bkt/a.txt'"),
     {GET("a.txt2")},
     NONE},
    {"star_spans_slashes", ALLOW1("'*'", "'s3:GetObject'", OBJS), {GET("x/y/z")}, ALLOW},
    {"prefix_star",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::bkt/pub/*'"),
     {GET("pub/x")},
     ALLOW},
    {"prefix_star_needs_the_slash",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::bkt/pub/*'"),
     {GET("pubx")},
     NONE},
    {"question_one_character",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::bkt/a?c'"),
     {GET("abc")},
     ALLOW},
    {"question_not_zero_characters",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::bkt/a?c'"),
     {GET("ac")},
     NONE},
    {"question_not_two_characters",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::bkt/a?c'"),
     {GET("abbc")},
     NONE},
    {"question_is_one_utf8_character",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::bkt/?'"),
     {GET("\xc3\xa9")},
     ALLOW},
    {"key_match_is_case_sensitive",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::bkt/A*'"),
     {GET("abc")},
     NONE},
    {"star_then_literal_backtracks",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::bkt/*.jpg'"),
     {GET("a.jpg.png.jpg")},
     ALLOW},
    {"bucket_arn_for_bucket_actions",
     ALLOW1("'*'", "'s3:ListBucket'", "'arn:aws:s3:::bkt'"),
     {.action = "s3:ListBucket", .resource = "bkt"},
     ALLOW},
    {"bucket_arn_is_not_its_objects",
     ALLOW1("'*'", "'s3:*'", "'arn:aws:s3:::bkt'"),
     {GET("a")},
     NONE},
    {"object_arn_is_not_the_bucket",
     ALLOW1("'*'", "'s3:*'", OBJS),
     {.action = "s3:ListBucket", .resource = "bkt"},
     NONE},
    {"wildcard_in_the_bucket_part",
     ALLOW1("'*'", "'s3:GetObject'", "'arn:aws:s3:::b?t/*'"),
     {GET("k")},
     ALLOW},
    {"star_after_prefix_covers_bucket_and_objects",
     ALLOW1("'*'", "'s3:*'", "'arn:aws:s3:::bk*'"),
     {.action = "s3:ListBucket", .resource = "bkt"},
     ALLOW},
    {"star_resource", ALLOW1("'*'", "'s3:GetObject'", "'*'"), {GET("k")}, ALLOW},
    {"not_resource_spares_the_named",
     "{'Statement':[{'Effect':'Deny','Principal':'*','Action':'s3:GetObject',"
     "'NotResource':'arn:aws:s3:::bkt/public/*'},"
     "{'Effect':'Allow','Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'}]}",
     {GET("public/x")},
     ALLOW},
    {"not_resource_denies_the_rest",
     "{'Statement':[{'Effect':'Deny','Principal':'*','Action':'s3:GetObject',"
     "'NotResource':'arn:aws:s3:::bkt/public/*'},"
     "{'Effect':'Allow','Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'}]}",
     {GET("private/x")},
     DENY},
};

static void test_resources_patterns(void)
{
    run_eval_table(resource_cases, TEST_COUNT(resource_cases));
}

/* ---- effects ---- */

#define ALLOW_ALL_DENY_SECRET                                                                      \
    "{'Statement':[{'Effect':'Allow','Principal':'*','Action':'s3:GetObject',"                     \
    "'Resource':'arn:aws:s3:::bkt/*'},{'Effect':'Deny','Principal':'*','Action':'s3:GetObject',"   \
    "'Resource':'arn:aws:s3:::bkt/secret/*'}]}"
#define DENY_SECRET_ALLOW_ALL                                                                      \
    "{'Statement':[{'Effect':'Deny','Principal':'*','Action':'s3:GetObject',"                      \
    "'Resource':'arn:aws:s3:::bkt/secret/*'},{'Effect':'Allow','Principal':'*',"                   \
    "'Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'}]}"

static const eval_case effect_cases[] = {
    {"explicit_deny_beats_allow", ALLOW_ALL_DENY_SECRET, {GET("secret/x")}, DENY},
    {"allow_where_no_deny", ALLOW_ALL_DENY_SECRET, {GET("open/x")}, ALLOW},
    {"deny_first_same_answer", DENY_SECRET_ALLOW_ALL, {GET("secret/x")}, DENY},
    {"deny_first_allow_elsewhere", DENY_SECRET_ALLOW_ALL, {GET("open/x")}, ALLOW},
    {"nothing_matches",
     ALLOW_ALL_DENY_SECRET,
     {.action = "s3:PutObject", .resource = "bkt/x"},
     NONE},
    {"deny_alone_is_deny",
     "{'Statement':{'Effect':'Deny','Principal':'*','Action':'s3:*','Resource':'*'}}",
     {GET("x"), AS("alice")},
     DENY},
    {"deny_of_plain_http",
     "{'Statement':[{'Effect':'Deny','Principal':'*','Action':'s3:*','Resource':'*',"
     "'Condition':{'Bool':{'aws:SecureTransport':'false'}}},"
     "{'Effect':'Allow','Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'}]}",
     {GET("x"), .kvs = {{S3_PK_SECURE_TRANSPORT, NULL, {"false"}}}},
     DENY},
    {"deny_of_plain_http_spares_tls",
     "{'Statement':[{'Effect':'Deny','Principal':'*','Action':'s3:*','Resource':'*',"
     "'Condition':{'Bool':{'aws:SecureTransport':'false'}}},"
     "{'Effect':'Allow','Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'}]}",
     {GET("x"), .kvs = {{S3_PK_SECURE_TRANSPORT, NULL, {"true"}}}},
     ALLOW},
};

static void test_effects_deny_wins(void)
{
    run_eval_table(effect_cases, TEST_COUNT(effect_cases));
}

/* ---- the rest of the interface ---- */

static void test_users_lists_named_access_keys(void)
{
    s3_policy *p =
        parse("users", "{'Statement':[{'Effect':'Allow','Principal':{'AWS':["
                       "'arn:aws:iam::coffer:user/alice','*','arn:aws:iam::coffer:root','carol']},"
                       "'Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'},"
                       "{'Effect':'Deny','NotPrincipal':{'CanonicalUser':'bob'},"
                       "'Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'}]}");
    if (!p)
        return;
    cf_slice u[2];
    CHECK_EQ(s3_policy_users(p, u, 2), 3);
    CHECK_MEM(u[0].ptr, u[0].len, "alice", 5);
    CHECK_MEM(u[1].ptr, u[1].len, "carol", 5);
    cf_slice all[8];
    CHECK_EQ(s3_policy_users(p, all, 8), 3);
    CHECK_MEM(all[2].ptr, all[2].len, "bob", 3);
    CHECK_EQ(s3_policy_users(p, NULL, 0), 3);
    s3_policy_free(p);
    s3_policy_free(NULL);
}

static size_t too_many_values(void *arg, s3_policy_key k, cf_slice sub, cf_slice *vals, size_t cap)
{
    (void)arg, (void)k, (void)sub, (void)vals;
    return cap + 1;
}

static void test_values_callback_over_cap_denies(void)
{
    s3_policy *p = parse("cap", GET_IF("{'StringNotEquals':{'aws:Referer':'x'}}"));
    if (!p)
        return;
    s3_policy_request req = {.action = "s3:GetObject",
                             .resource = slice_str("arn:aws:s3:::bkt/k"),
                             .values = too_many_values};
    bool pub = true;
    CHECK_EQ(s3_policy_eval(p, &req, &pub), DENY);
    CHECK(!pub);
    req.values = NULL; /* every key absent: StringNotEquals holds */
    CHECK_EQ(s3_policy_eval(p, &req, &pub), ALLOW);
    CHECK(pub);
    s3_policy_free(p);
}

static void test_parse_resets_outputs_and_oversized_why(void)
{
    s3_policy *p = (s3_policy *)1;
    char why[8] = "garbage";
    /* a message longer than why is cut, NUL-terminated */
    CHECK_EQ(s3_policy_parse(slice_str("{}"), slice_str(BUCKET), &p, why, sizeof why), CF_EINVAL);
    CHECK(p == NULL);
    CHECK_MEM(why, strlen(why), "Missing", 7);
    p = (s3_policy *)1;
    CHECK_EQ(s3_policy_parse(slice_str("x"), slice_str(BUCKET), &p, NULL, 0), CF_EINVAL);
    CHECK(p == NULL);
}

/* ---- the worked example of doc/policy.md ---- */

/* read_doc -- doc/policy.md (from the repository root, where tests run, or next to this file). */
static char *read_doc(size_t *len)
{
    static const char *paths[] = {"doc/policy.md", "../doc/policy.md", "../../doc/policy.md"};
    for (size_t i = 0; i < TEST_COUNT(paths); i++) {
        FILE *f = fopen(paths[i], "rb");
        if (!f)
            continue;
        char *buf = malloc(1 << 20);
        *len = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
        fclose(f);
        if (buf)
            buf[*len] = '\0';
        return buf;
    }
    return NULL;
}

/* example_json -- the first ```json block after "## Worked example" in the doc. */
static bool example_json(const char *doc, cf_slice *out)
{
    const char *sec = strstr(doc, "\n## Worked example\n");
    const char *start = sec ? strstr(sec, "\n```json\n") : NULL;
    const char *end = start ? strstr(start + 9, "\n```\n") : NULL;
    if (!end)
        return false;
    *out = slice_make(start + 9, (size_t)(end - (start + 9)) + 1);
    return true;
}

static s3_policy *example_policy(char **doc_out, cf_slice *json)
{
    size_t len = 0;
    char why[256];
    char *doc = read_doc(&len);
    s3_policy *p = NULL;
    *doc_out = doc;
    if (!CHECK(doc != NULL) || !CHECK(example_json(doc, json)))
        return NULL;
    if (!CHECK_EQ(s3_policy_parse(*json, slice_str("photos"), &p, why, sizeof why), 0))
        fprintf(stderr, "  doc example refused: %s\n", why);
    return p;
}

static void test_doc_worked_example_outcomes(void)
{
    char *doc;
    cf_slice json;
    s3_policy *p = example_policy(&doc, &json);
    static const struct {
        req_spec r;
        s3_policy_effect want;
        bool want_public;
    } rows[] = {
        {{"s3:GetObject",
          "photos/public/cat.jpg",
          NULL,
          {{S3_PK_SOURCE_IP, NULL, {"203.0.113.9"}}, {S3_PK_SECURE_TRANSPORT, NULL, {"false"}}}},
         ALLOW,
         true},
        {{"s3:GetObject",
          "photos/private/cat.jpg",
          NULL,
          {{S3_PK_SOURCE_IP, NULL, {"203.0.113.9"}}, {S3_PK_SECURE_TRANSPORT, NULL, {"false"}}}},
         NONE,
         false},
        {{"s3:PutObject",
          "photos/2026/a.jpg",
          "alice",
          {{S3_PK_SOURCE_IP, NULL, {"192.0.2.7"}}, {S3_PK_SECURE_TRANSPORT, NULL, {"false"}}}},
         ALLOW,
         false},
        {{"s3:PutObject",
          "photos/2026/a.jpg",
          "alice",
          {{S3_PK_SOURCE_IP, NULL, {"198.51.100.1"}}, {S3_PK_SECURE_TRANSPORT, NULL, {"false"}}}},
         NONE,
         false},
        {{"s3:ListBucket",
          "photos",
          "alice",
          {{S3_PK_SOURCE_IP, NULL, {"2001:db8::5"}}, {S3_PK_SECURE_TRANSPORT, NULL, {"true"}}}},
         ALLOW,
         false},
        {{"s3:DeleteObject",
          "photos/2026/a.jpg",
          "alice",
          {{S3_PK_SOURCE_IP, NULL, {"192.0.2.7"}}, {S3_PK_SECURE_TRANSPORT, NULL, {"false"}}}},
         DENY,
         false},
        {{"s3:DeleteObject",
          "photos/2026/a.jpg",
          "alice",
          {{S3_PK_SOURCE_IP, NULL, {"192.0.2.7"}}, {S3_PK_SECURE_TRANSPORT, NULL, {"true"}}}},
         ALLOW,
         false},
    };
    if (p) {
        for (size_t i = 0; i < TEST_COUNT(rows); i++) {
            bool pub = !rows[i].want_public;
            if (!CHECK_EQ(eval_spec(p, &rows[i].r, &pub), rows[i].want) ||
                !CHECK_EQ(pub, rows[i].want_public))
                fprintf(stderr, "  doc example row %zu\n", i + 1);
        }
        CHECK(s3_policy_is_public(p));
    }
    s3_policy_free(p);
    free(doc);
}

static void test_every_prefix_of_the_example_is_refused(void)
{
    char *doc;
    cf_slice json;
    s3_policy *p = example_policy(&doc, &json);
    s3_policy_free(p);
    if (p) {
        /* the block ends "}\n": every prefix that stops before the closing brace is not JSON */
        size_t last = json.len - 2;
        for (size_t n = 0; n <= last; n++) {
            char why[128];
            s3_policy *x = NULL;
            int rc =
                s3_policy_parse(slice_make(json.ptr, n), slice_str("photos"), &x, why, sizeof why);
            if (!CHECK_EQ(rc, CF_EINVAL) || !CHECK(x == NULL))
                fprintf(stderr, "  prefix of %zu bytes\n", n);
            s3_policy_free(x);
        }
    }
    free(doc);
}

/* ---- the glob against a reference ---- */

/* ref_glob -- the definition, by recursion over characters (é is one character, two bytes). */
static bool ref_glob(const char *p, const char *s)
{
    size_t c = (unsigned char)*s >= 0xC0 ? 2 : 1; /* bytes of s's first character */
    if (*p == '\0')
        return *s == '\0';
    if (*p == '*')
        return ref_glob(p + 1, s) || (*s && ref_glob(p, s + c));
    if (*s == '\0')
        return false;
    if (*p == '?')
        return ref_glob(p + 1, s + c);
    return *p == *s && ref_glob(p + 1, s + 1);
}

/* nth -- the n-th string over alphabet (k symbols) in length-then-lexicographic order. */
static void nth(char *out, size_t n, const char *const *alphabet, size_t k)
{
    size_t len = 0, count = 1;
    while (n >= count) {
        n -= count;
        count *= k;
        len++;
    }
    out[0] = '\0';
    for (size_t i = 0; i < len; i++) {
        strcat(out, alphabet[n % k]);
        n /= k;
    }
}

static void test_glob_matches_a_reference(void)
{
    static const char *const pat_syms[] = {"a", "b", "/", "*", "?"};
    static const char *const str_syms[] = {"a", "b", "/", "\xc3\xa9"};
    static const char *const tail_syms[] = {"a", "b", "/", "x"};
    char pat[16], str[16], full[32];
    size_t bad = 0;
    /* every pattern of up to 4 symbols against every string of up to 4 characters */
    for (size_t i = 0; i < 5 + 25 + 125 + 625 + 1; i++) {
        nth(pat, i, pat_syms, 5);
        for (size_t j = 0; j < 4 + 16 + 64 + 256 + 1; j++) {
            nth(str, j, str_syms, 4);
            bad += pol_glob(slice_str(pat), slice_str(str), false) != ref_glob(pat, str);
        }
        /* pol_glob_prefix against trying every completion of 1..4 characters */
        bool any = false;
        for (size_t j = 1; j < 4 + 16 + 64 + 256 + 1 && !any; j++) {
            nth(str, j, tail_syms, 4);
            snprintf(full, sizeof full, "ab/%s", str);
            any = ref_glob(pat, full);
        }
        bad += pol_glob_prefix(slice_str(pat), slice_str("ab/")) != any;
    }
    CHECK_EQ(bad, 0);
    /* folding: the pattern is lowercase, the text any case */
    CHECK(pol_glob(slice_str("s3:get*"), slice_str("s3:GetObject"), true));
    CHECK(!pol_glob(slice_str("s3:get*"), slice_str("s3:GetObject"), false));
}

/* ---- the action table ---- */

static void test_action_table_sorted_and_indexed_in_any_case(void)
{
    size_t n = pol_action_count();
    CHECK(n >= 80 && n <= 64 * POL_ACTION_WORDS);
    for (size_t i = 0; i < n; i++) {
        char name[80], up[80], low[80];
        snprintf(name, sizeof name, "s3:%s", pol_action_name(i));
        for (size_t j = 0; j <= strlen(name); j++) {
            up[j] = (char)(name[j] >= 'a' && name[j] <= 'z' ? name[j] - 32 : name[j]);
            low[j] = (char)(name[j] >= 'A' && name[j] <= 'Z' ? name[j] + 32 : name[j]);
        }
        CHECK_EQ(pol_action_index(slice_str(name)), i);
        CHECK_EQ(pol_action_index(slice_str(up)), i);
        CHECK_EQ(pol_action_index(slice_str(low)), i);
        if (i > 0 && !CHECK(strcasecmp(pol_action_name(i - 1), pol_action_name(i)) < 0))
            fprintf(stderr, "  %s sorts before %s\n", pol_action_name(i), pol_action_name(i - 1));
    }
    CHECK_EQ(pol_action_index(slice_str("s3:GetObjec")), -1);
    CHECK_EQ(pol_action_index(slice_str("s3:GetObjectt")), -1);
    CHECK_EQ(pol_action_index(slice_str("iam:GetObject")), -1);
    CHECK_EQ(pol_action_index(slice_str("s3")), -1);
    CHECK_EQ(pol_action_index(slice_str("s3:")), -1);
    CHECK(pol_action_name(n) == NULL);
}

/* an action the table does not have is still judged, by the patterns */
static const eval_case unlisted_action_cases[] = {
    {"unlisted_action_star",
     ALLOW1("'*'", "'*'", OBJS),
     {.action = "s3:GetObjectFrobnicated", .resource = "bkt/a"},
     ALLOW},
    {"unlisted_action_prefix_pattern",
     ALLOW1("'*'", "'s3:GetObject*'", OBJS),
     {.action = "s3:GetObjectFrobnicated", .resource = "bkt/a"},
     ALLOW},
    {"unlisted_action_exact_pattern",
     ALLOW1("'*'", "'s3:GetObject'", OBJS),
     {.action = "s3:GetObjectFrobnicated", .resource = "bkt/a"},
     NONE},
    {"unlisted_action_not_action",
     "{'Statement':{'Effect':'Deny','Principal':'*','NotAction':'s3:Get*',"
     "'Resource':'arn:aws:s3:::bkt/*'}}",
     {.action = "s3:FrobObject", .resource = "bkt/a"},
     DENY},
};

static void test_actions_outside_the_table(void)
{
    run_eval_table(unlisted_action_cases, TEST_COUNT(unlisted_action_cases));
}

/* ---- speed ---- */

static void test_eval_twenty_statements_is_fast(void)
{
    static char doc[S3_POLICY_MAX_BYTES];
    size_t len = (size_t)snprintf(doc, sizeof doc, "{\"Version\":\"2012-10-17\",\"Statement\":[");
    for (int i = 0; i < 19; i++)
        len += (size_t)snprintf(
            doc + len, sizeof doc - len,
            "{\"Sid\":\"S%d\",\"Effect\":\"%s\",\"Principal\":{\"AWS\":"
            "\"arn:aws:iam::coffer:user/u%d\"},\"Action\":[\"s3:PutObject\",\"s3:Delete*\"],"
            "\"Resource\":\"arn:aws:s3:::bkt/dir%d/*\",\"Condition\":{\"IpAddress\":"
            "{\"aws:SourceIp\":\"10.%d.0.0/16\"},\"StringLike\":{\"aws:UserAgent\":\"*boto*\"}}},",
            i, i % 3 ? "Allow" : "Deny", i, i, i);
    len += (size_t)snprintf(doc + len, sizeof doc - len,
                            "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                            "\"Resource\":\"arn:aws:s3:::bkt/*\",\"Condition\":{\"IpAddress\":"
                            "{\"aws:SourceIp\":[\"10.0.0.0/8\",\"192.168.0.0/16\"]}}}]}");
    char why[256];
    s3_policy *p = NULL;
    if (!CHECK_EQ(s3_policy_parse(slice_make(doc, len), slice_str(BUCKET), &p, why, sizeof why), 0))
        return;
    /* the request built once, as the router would: only the evaluation is timed */
    req_spec r = {GET("dir7/obj-000123"), AS("alice"), IP("10.1.2.3")};
    s3_policy_request req = {
        .action = r.action,
        .resource = slice_str("arn:aws:s3:::bkt/dir7/obj-000123"),
        .principal = slice_str("arn:aws:iam::coffer:user/alice"),
        .canonical_id = slice_str("alice"),
        .values = spec_values,
        .arg = &r,
    };
    enum { N = 200000 };
    struct timespec a, b;
    size_t allowed = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < N; i++)
        allowed += s3_policy_eval(p, &req, NULL) == ALLOW;
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / N;
    CHECK_EQ(allowed, N);
    printf("  eval of a 20-statement policy: %.0f ns (this build)\n", ns);
    /* generous: this runs under ASan+UBSan on a shared machine; the release build is ~5x less */
    CHECK(ns < 20000);
    s3_policy_free(p);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_principals_each_form),
        TEST(test_actions_names_and_wildcards),
        TEST(test_resources_patterns),
        TEST(test_effects_deny_wins),
        TEST(test_users_lists_named_access_keys),
        TEST(test_values_callback_over_cap_denies),
        TEST(test_parse_resets_outputs_and_oversized_why),
        TEST(test_doc_worked_example_outcomes),
        TEST(test_every_prefix_of_the_example_is_refused),
        TEST(test_glob_matches_a_reference),
        TEST(test_action_table_sorted_and_indexed_in_any_case),
        TEST(test_actions_outside_the_table),
        TEST(test_eval_twenty_statements_is_fast),
    };
    return test_main(cases, TEST_COUNT(cases));
}
