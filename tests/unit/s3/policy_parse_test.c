/*
 * policy_parse_test.c -- bucket policies refused, each reason with its exact MalformedPolicy
 * message; every limit at its edge and one past it; s3_policy_is_public on two dozen policies,
 * s3_policy_statement_is_public and the public_allow that RestrictPublicBuckets reads.
 */
#include "policy_fixture.h"

/* ---- refusals ---- */

typedef struct bad_case {
    const char *name;
    const char *policy; /* ' for " */
    const char *why;
} bad_case;

#define ST_BODY "'Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'"
#define ONE_ST(body) "{'Version':'2012-10-17','Statement':{'Effect':'Allow'," body "}}"
#define WITH_COND(cond) ONE_ST(ST_BODY ",'Condition':" cond)

static const bad_case bad_cases[] = {
    {"first_byte_not_brace", " {'Statement':[]}",
     "Policies must be valid JSON and the first byte must be '{'"},
    {"empty_document", "", "Policies must be valid JSON and the first byte must be '{'"},
    {"array_document", "[]", "Policies must be valid JSON and the first byte must be '{'"},
    {"not_json", "{'Statement':", "This policy contains invalid Json"},
    {"trailing_comma", "{'Statement':[],}", "This policy contains invalid Json"},
    {"trailing_garbage", ONE_ST(ST_BODY) " x", "This policy contains invalid Json"},
    {"single_quotes_are_not_json", "{\\'Statement\\':1}", "This policy contains invalid Json"},
    {"invalid_utf8", "{'Id':'\xff'}", "This policy contains invalid Json"},
    {"unknown_top_field", "{'Statement':[],'Foo':1}", "Unknown field Foo"},
    {"bad_version", "{'Version':'2012-10-18','Statement':[]}",
     "The policy must contain a valid version string"},
    {"version_not_a_string", "{'Version':2012,'Statement':[]}",
     "The policy must contain a valid version string"},
    {"id_not_a_string", "{'Id':1,'Statement':[]}", "Id must be a string"},
    {"no_statement", "{'Version':'2012-10-17'}", "Missing required field Statement"},
    {"empty_statement", "{'Statement':[]}", "Could not parse the policy: Statement is empty!"},
    {"statement_not_object", "{'Statement':[1]}", "Statement must be an object"},
    {"unknown_statement_field", ONE_ST(ST_BODY ",'effect':'Allow'"), "Unknown field effect"},
    {"sid_not_a_string", ONE_ST(ST_BODY ",'Sid':1"), "Sid must be a string"},
    {"duplicate_sid",
     "{'Statement':[{'Sid':'S1','Effect':'Allow'," ST_BODY "},{'Sid':'S1','Effect':'Deny'," ST_BODY
     "}]}",
     "Statement IDs (SID) in a single policy must be unique: S1"},
    {"no_effect", "{'Statement':{" ST_BODY "}}", "Missing required field Effect"},
    {"effect_wrong_case", "{'Statement':{'Effect':'allow'," ST_BODY "}}", "Invalid effect: allow"},
    {"effect_not_a_string", "{'Statement':{'Effect':true," ST_BODY "}}", "Invalid effect"},
    {"no_principal", ONE_ST("'Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'"),
     "Missing required field Principal"},
    {"principal_and_not_principal", ONE_ST(ST_BODY ",'NotPrincipal':'*'"),
     "Statement has both Principal and NotPrincipal"},
    {"principal_service",
     ONE_ST("'Principal':{'Service':'logging.s3.amazonaws.com'},'Action':'s3:GetObject',"
            "'Resource':'arn:aws:s3:::bkt/*'"),
     "Invalid principal in policy"},
    {"principal_other_account",
     ONE_ST("'Principal':{'AWS':'arn:aws:iam::123456789012:root'},'Action':'s3:GetObject',"
            "'Resource':'arn:aws:s3:::bkt/*'"),
     "Invalid principal in policy"},
    {"principal_role",
     ONE_ST("'Principal':{'AWS':'arn:aws:iam::coffer:role/r'},'Action':'s3:GetObject',"
            "'Resource':'arn:aws:s3:::bkt/*'"),
     "Invalid principal in policy"},
    {"principal_wildcard_user",
     ONE_ST("'Principal':{'AWS':'arn:aws:iam::coffer:user/*'},'Action':'s3:GetObject',"
            "'Resource':'arn:aws:s3:::bkt/*'"),
     "Invalid principal in policy"},
    {"principal_string_not_star",
     ONE_ST("'Principal':'alice','Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'"),
     "Invalid principal in policy"},
    {"principal_empty_object",
     ONE_ST("'Principal':{},'Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'"),
     "Invalid principal in policy"},
    {"principal_empty_list",
     ONE_ST("'Principal':{'AWS':[]},'Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'"),
     "Invalid principal in policy"},
    {"principal_canonical_star",
     ONE_ST("'Principal':{'CanonicalUser':'*'},'Action':'s3:GetObject',"
            "'Resource':'arn:aws:s3:::bkt/*'"),
     "Invalid principal in policy"},
    {"principal_name_with_space",
     ONE_ST("'Principal':{'AWS':'a b'},'Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'"),
     "Invalid principal in policy"},
    {"no_action", ONE_ST("'Principal':'*','Resource':'arn:aws:s3:::bkt/*'"),
     "Missing required field Action"},
    {"action_and_not_action", ONE_ST(ST_BODY ",'NotAction':'s3:PutObject'"),
     "Statement has both Action and NotAction"},
    {"action_without_prefix",
     ONE_ST("'Principal':'*','Action':'GetObject','Resource':'arn:aws:s3:::bkt/*'"),
     "Policy has invalid action"},
    {"action_unknown_name",
     ONE_ST("'Principal':'*','Action':'s3:GetObjekt','Resource':'arn:aws:s3:::bkt/*'"),
     "Policy has invalid action"},
    {"action_wildcard_matching_nothing",
     ONE_ST("'Principal':'*','Action':'s3:Frob*','Resource':'arn:aws:s3:::bkt/*'"),
     "Policy has invalid action"},
    {"action_with_space",
     ONE_ST("'Principal':'*','Action':'s3:Get Object','Resource':'arn:aws:s3:::bkt/*'"),
     "Policy has invalid action"},
    {"action_empty_name", ONE_ST("'Principal':'*','Action':'s3:','Resource':'arn:aws:s3:::bkt/*'"),
     "Policy has invalid action"},
    {"action_other_service",
     ONE_ST("'Principal':'*','Action':'iam:GetUser','Resource':'arn:aws:s3:::bkt/*'"),
     "Policy has invalid action"},
    {"action_empty_list", ONE_ST("'Principal':'*','Action':[],'Resource':'arn:aws:s3:::bkt/*'"),
     "Policy has invalid action"},
    {"action_not_a_string", ONE_ST("'Principal':'*','Action':7,'Resource':'arn:aws:s3:::bkt/*'"),
     "Policy has invalid action"},
    {"no_resource", ONE_ST("'Principal':'*','Action':'s3:GetObject'"),
     "Missing required field Resource"},
    {"resource_and_not_resource", ONE_ST(ST_BODY ",'NotResource':'*'"),
     "Statement has both Resource and NotResource"},
    {"resource_other_bucket",
     ONE_ST("'Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::other/*'"),
     "Policy has invalid resource"},
    {"resource_bucket_prefix_of_ours",
     ONE_ST("'Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::bk/*'"),
     "Policy has invalid resource"},
    {"resource_wildcard_bucket_not_ours",
     ONE_ST("'Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::x*'"),
     "Policy has invalid resource"},
    {"resource_not_an_arn", ONE_ST("'Principal':'*','Action':'s3:GetObject','Resource':'bkt/*'"),
     "Policy has invalid resource"},
    {"resource_with_region",
     ONE_ST("'Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:us-east-1::bkt/*'"),
     "Policy has invalid resource"},
    {"resource_leading_slash",
     ONE_ST("'Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::/bkt'"),
     "Policy has invalid resource"},
    {"resource_prefix_only",
     ONE_ST("'Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::'"),
     "Policy has invalid resource"},
    {"resource_empty_list", ONE_ST("'Principal':'*','Action':'s3:GetObject','Resource':[]"),
     "Policy has invalid resource"},
    {"resource_policy_variable",
     ONE_ST("'Principal':'*','Action':'s3:GetObject',"
            "'Resource':'arn:aws:s3:::bkt/${aws:username}/*'"),
     "Policy variables are not supported: arn:aws:s3:::bkt/${aws:username}/*"},
    {"object_action_on_bucket_only",
     ONE_ST("'Principal':'*','Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt'"),
     "Action does not apply to any resource(s) in statement"},
    {"bucket_action_on_objects_only",
     ONE_ST("'Principal':'*','Action':['s3:GetObject','s3:ListBucket'],"
            "'Resource':'arn:aws:s3:::bkt/*'"),
     "Action does not apply to any resource(s) in statement"},
    {"condition_not_an_object", WITH_COND("[]"), "Condition must be an object"},
    {"condition_operator_not_an_object", WITH_COND("{'StringEquals':'x'}"),
     "Condition operator StringEquals must map keys to values"},
    {"condition_operator_empty", WITH_COND("{'StringEquals':{}}"),
     "Condition operator StringEquals must map keys to values"},
    {"unknown_operator", WITH_COND("{'StringFoo':{'aws:Referer':'x'}}"),
     "Unsupported condition operator: StringFoo"},
    {"binary_equals", WITH_COND("{'BinaryEquals':{'aws:Referer':'eA=='}}"),
     "Unsupported condition operator: BinaryEquals"},
    {"null_if_exists", WITH_COND("{'NullIfExists':{'aws:Referer':'true'}}"),
     "Unsupported condition operator: NullIfExists"},
    {"unknown_set_operator", WITH_COND("{'ForSomeValues:StringEquals':{'aws:Referer':'x'}}"),
     "Unsupported condition operator: ForSomeValues:StringEquals"},
    {"bare_if_exists", WITH_COND("{'IfExists':{'aws:Referer':'x'}}"),
     "Unsupported condition operator: IfExists"},
    {"unknown_key", WITH_COND("{'StringEquals':{'aws:SourceVpc':'vpc-1'}}"),
     "Unsupported condition key: aws:SourceVpc"},
    {"tag_key_without_a_key", WITH_COND("{'StringEquals':{'s3:ExistingObjectTag/':'x'}}"),
     "Unsupported condition key: s3:ExistingObjectTag/"},
    {"multivalued_key_plain_operator",
     WITH_COND("{'StringEquals':{'s3:RequestObjectTagKeys':'a'}}"),
     "Condition key s3:RequestObjectTagKeys is multivalued: use ForAnyValue: or ForAllValues:"},
    {"numeric_value_not_a_number", WITH_COND("{'NumericLessThan':{'s3:max-keys':'ten'}}"),
     "Invalid numeric value in condition: ten"},
    {"numeric_value_bare_dot", WITH_COND("{'NumericLessThan':{'s3:max-keys':'1.'}}"),
     "Invalid numeric value in condition: 1."},
    {"date_value_month_13", WITH_COND("{'DateLessThan':{'aws:CurrentTime':'2026-13-01'}}"),
     "Invalid date value in condition: 2026-13-01"},
    {"date_value_february_30", WITH_COND("{'DateLessThan':{'aws:CurrentTime':'2026-02-30'}}"),
     "Invalid date value in condition: 2026-02-30"},
    {"date_value_bad_zone",
     WITH_COND("{'DateLessThan':{'aws:CurrentTime':'2026-02-01T00:00:00+25:00'}}"),
     "Invalid date value in condition: 2026-02-01T00:00:00+25:00"},
    {"bool_value_yes", WITH_COND("{'Bool':{'aws:SecureTransport':'yes'}}"),
     "Invalid boolean value in condition: yes"},
    {"null_value_maybe", WITH_COND("{'Null':{'aws:Referer':'maybe'}}"),
     "Invalid boolean value in condition: maybe"},
    {"ip_prefix_too_long", WITH_COND("{'IpAddress':{'aws:SourceIp':'10.0.0.0/33'}}"),
     "Invalid IP address in condition: 10.0.0.0/33"},
    {"ip_v6_prefix_too_long", WITH_COND("{'IpAddress':{'aws:SourceIp':'::/129'}}"),
     "Invalid IP address in condition: ::/129"},
    {"ip_not_an_address", WITH_COND("{'NotIpAddress':{'aws:SourceIp':'not-an-ip'}}"),
     "Invalid IP address in condition: not-an-ip"},
    {"arn_value_not_an_arn", WITH_COND("{'ArnLike':{'aws:PrincipalArn':'alice'}}"),
     "Invalid ARN in condition: alice"},
    {"condition_value_null", WITH_COND("{'StringEquals':{'aws:Referer':null}}"),
     "Condition has an invalid value for aws:Referer"},
    {"condition_value_nested_array", WITH_COND("{'StringEquals':{'aws:Referer':[['x']]}}"),
     "Condition has an invalid value for aws:Referer"},
    {"condition_value_object", WITH_COND("{'StringEquals':{'aws:Referer':{'a':'b'}}}"),
     "Condition has an invalid value for aws:Referer"},
    {"condition_value_empty_list", WITH_COND("{'StringEquals':{'aws:Referer':[]}}"),
     "Condition has no value for aws:Referer"},
    {"condition_policy_variable", WITH_COND("{'StringLike':{'s3:prefix':'${aws:username}/*'}}"),
     "Policy variables are not supported: ${aws:username}/*"},
    {"condition_value_integer_past_64_bits",
     WITH_COND("{'NumericLessThan':{'s3:max-keys':123456789012345678901234567890}}"),
     "Condition has an invalid value for s3:max-keys"},
    {"condition_value_with_nul", WITH_COND("{'StringEquals':{'aws:Referer':'a\\u0000b'}}"),
     "Condition has an invalid value for aws:Referer"},
};

static void test_malformed_policies_exact_messages(void)
{
    for (size_t i = 0; i < TEST_COUNT(bad_cases); i++) {
        char why[256];
        s3_policy *p = (s3_policy *)1;
        const char *doc = q(bad_cases[i].policy);
        int rc = s3_policy_parse(slice_str(doc), slice_str(BUCKET), &p, why, sizeof why);
        bool ok = CHECK_EQ(rc, CF_EINVAL) & CHECK(p == NULL) &
                  CHECK_MEM(why, strlen(why), bad_cases[i].why, strlen(bad_cases[i].why));
        if (!ok)
            fprintf(stderr, "  case %s: rc %d, why \"%s\"\n", bad_cases[i].name, rc, why);
        s3_policy_free(p);
    }
}

/* ---- limits ---- */

/* big -- a policy of n statements, each from stmt (with ' for "), into buf. */
static size_t repeat_statements(char *buf, size_t cap, const char *stmt, size_t n)
{
    size_t len = (size_t)snprintf(buf, cap, "{\"Statement\":[");
    for (size_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "," : "", q(stmt));
    if (len < cap)
        len += (size_t)snprintf(buf + len, cap - len, "]}");
    return len;
}

static int parse_why(const char *doc, size_t len, char *why, size_t cap)
{
    s3_policy *p = NULL;
    int rc = s3_policy_parse(slice_make(doc, len), slice_str(BUCKET), &p, why, cap);
    CHECK((rc == 0) == (p != NULL));
    s3_policy_free(p);
    return rc;
}

static void test_limit_document_bytes(void)
{
    static char doc[S3_POLICY_MAX_BYTES + 2];
    char why[256];
    const char *head = "{\"Id\":\"";
    size_t h = strlen(head);
    /* {"Id":"xxxx...","Statement":...} padded to exactly the limit, then one byte over */
    const char *tail = "\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                       "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bkt/*\"}}";
    size_t t = strlen(tail), pad = S3_POLICY_MAX_BYTES - h - t;
    memcpy(doc, head, h);
    memset(doc + h, 'x', pad);
    memcpy(doc + h + pad, tail, t);
    CHECK_EQ(parse_why(doc, S3_POLICY_MAX_BYTES, why, sizeof why), 0);
    memmove(doc + h + 1, doc + h, S3_POLICY_MAX_BYTES - h);
    CHECK_EQ(parse_why(doc, S3_POLICY_MAX_BYTES + 1, why, sizeof why), CF_ELIMIT);
    CHECK_MEM(why, strlen(why), "Policy exceeds the maximum allowed document size", 48);
}

static void test_limit_statements(void)
{
    static char doc[200000];
    char why[256];
    const char *st = "{'Effect':'Allow','Principal':'*','Action':'s3:GetObject',"
                     "'Resource':'arn:aws:s3:::bkt/*'}";
    size_t len = repeat_statements(doc, sizeof doc, st, S3_POLICY_MAX_STATEMENTS);
    if (!CHECK(len < S3_POLICY_MAX_BYTES))
        return;
    CHECK_EQ(parse_why(doc, len, why, sizeof why), 0);
    len = repeat_statements(doc, sizeof doc, st, S3_POLICY_MAX_STATEMENTS + 1);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), CF_EINVAL);
    CHECK_MEM(why, strlen(why), "Policy has more than 128 statements", 35);
}

/* list_policy -- one statement whose Action lists n actions (or whose Condition has n keys). */
static size_t list_policy(char *doc, size_t cap, size_t n, bool conditions)
{
    size_t len = (size_t)snprintf(doc, cap,
                                  "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                                  "\"Resource\":\"arn:aws:s3:::bkt/*\",\"%s\":%s",
                                  conditions ? "Action\":\"s3:GetObject\",\"Condition" : "Action",
                                  conditions ? "{\"StringEquals\":{" : "[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(doc + len, cap - len,
                                conditions ? "%s\"s3:ExistingObjectTag/t%zu\":\"v\""
                                           : "%s\"s3:GetObject\"",
                                i ? "," : "", i);
    len += (size_t)snprintf(doc + len, cap - len, conditions ? "}}}}" : "]}}");
    return len;
}

static void test_limit_list_and_conditions(void)
{
    static char doc[S3_POLICY_MAX_BYTES];
    char why[256];
    size_t len = list_policy(doc, sizeof doc, S3_POLICY_MAX_LIST, false);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), 0);
    len = list_policy(doc, sizeof doc, S3_POLICY_MAX_LIST + 1, false);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), CF_EINVAL);
    CHECK_MEM(why, strlen(why), "Action has more than 128 values", 31);
    len = list_policy(doc, sizeof doc, S3_POLICY_MAX_CONDITIONS, true);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), 0);
    len = list_policy(doc, sizeof doc, S3_POLICY_MAX_CONDITIONS + 1, true);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), CF_EINVAL);
    CHECK_MEM(why, strlen(why), "Condition has more than 32 keys", 31);
}

static void test_limit_string_bytes(void)
{
    static char doc[4096], key[S3_POLICY_MAX_STRING_BYTES + 2];
    char why[256];
    /* "arn:aws:s3:::bkt/" (17 bytes) + key = exactly the limit, then one more */
    size_t klen = S3_POLICY_MAX_STRING_BYTES - 17;
    memset(key, 'k', klen);
    key[klen] = '\0';
    size_t len =
        (size_t)snprintf(doc, sizeof doc,
                         "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                         "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bkt/%s\"}}",
                         key);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), 0);
    key[klen] = 'k';
    key[klen + 1] = '\0';
    len = (size_t)snprintf(doc, sizeof doc,
                           "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                           "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bkt/%s\"}}",
                           key);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), CF_EINVAL);
    CHECK_MEM(why, strlen(why), "Resource has a value longer than 1280 bytes", 43);
}

/* principals_policy -- a Principal with aws names in "AWS" and canonical in "CanonicalUser". */
static size_t principals_policy(char *doc, size_t cap, size_t aws, size_t canonical)
{
    size_t len = (size_t)snprintf(doc, cap, "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{");
    for (size_t k = 0; k < 2; k++) {
        size_t n = k ? canonical : aws;
        len += (size_t)snprintf(doc + len, cap - len, "%s\"%s\":[", k ? "," : "",
                                k ? "CanonicalUser" : "AWS");
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(doc + len, cap - len, "%s\"u%zu\"", i ? "," : "", i);
        len += (size_t)snprintf(doc + len, cap - len, "]");
    }
    len += (size_t)snprintf(doc + len, cap - len,
                            "},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bkt/*\"}}");
    return len;
}

/* referer_policy -- a StringEquals on aws:Referer with n values of value_bytes bytes each. */
static size_t referer_policy(char *doc, size_t cap, size_t n, size_t value_bytes)
{
    size_t len = (size_t)snprintf(doc, cap,
                                  "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                                  "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bkt/*\","
                                  "\"Condition\":{\"StringEquals\":{\"aws:Referer\":[");
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(doc + len, cap - len, "%s\"", i ? "," : "");
        for (size_t j = 0; j < value_bytes && len < cap; j++)
            doc[len++] = (char)('a' + (i + j) % 26);
        len += (size_t)snprintf(doc + len, cap - len, "\"");
    }
    len += (size_t)snprintf(doc + len, cap - len, "]}}}}");
    return len;
}

static void test_limit_principals_and_condition_values(void)
{
    static char doc[S3_POLICY_MAX_BYTES];
    char why[256];
    /* the principals of "AWS" and "CanonicalUser" count together */
    size_t len = principals_policy(doc, sizeof doc, 100, S3_POLICY_MAX_LIST - 100);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), 0);
    len = principals_policy(doc, sizeof doc, 100, S3_POLICY_MAX_LIST - 99);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), CF_EINVAL);
    CHECK_MEM(why, strlen(why), "Principal has more than 128 values", 34);
    len = referer_policy(doc, sizeof doc, S3_POLICY_MAX_LIST, 3);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), 0);
    len = referer_policy(doc, sizeof doc, S3_POLICY_MAX_LIST + 1, 3);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), CF_EINVAL);
    CHECK_MEM(why, strlen(why), "Condition has more than 128 values for aws:Referer", 50);
    len = referer_policy(doc, sizeof doc, 2, S3_POLICY_MAX_STRING_BYTES);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), 0);
    len = referer_policy(doc, sizeof doc, 2, S3_POLICY_MAX_STRING_BYTES + 1);
    CHECK_EQ(parse_why(doc, len, why, sizeof why), CF_EINVAL);
    const char *want = "Condition has a value longer than 1280 bytes for aws:Referer";
    CHECK_MEM(why, strlen(why), want, strlen(want));
}

static void test_limit_nesting_depth(void)
{
    char why[256];
    /* the object and 7 arrays: 8 levels, json-c parses it and the grammar refuses the Id */
    const char *d8 = "{\"Id\":[[[[[[[1]]]]]]],\"Statement\":[]}";
    CHECK_EQ(parse_why(d8, strlen(d8), why, sizeof why), CF_EINVAL);
    CHECK_MEM(why, strlen(why), "Id must be a string", 19);
    const char *d9 = "{\"Id\":[[[[[[[[1]]]]]]]],\"Statement\":[]}";
    CHECK_EQ(parse_why(d9, strlen(d9), why, sizeof why), CF_EINVAL);
    CHECK_MEM(why, strlen(why), "This policy contains invalid Json", 33);
}

/* ---- is public ---- */

typedef struct public_case {
    const char *name;
    const char *policy;
    bool want;
} public_case;

#define PUB(pr, cond)                                                                              \
    "{'Statement':{'Effect':'Allow','Principal':" pr ",'Action':'s3:GetObject',"                   \
    "'Resource':'arn:aws:s3:::bkt/*'" cond "}}"

static const public_case public_cases[] = {
    {"star_no_condition", PUB("'*'", ""), true},
    {"aws_star", PUB("{'AWS':'*'}", ""), true},
    {"star_among_named", PUB("{'AWS':['arn:aws:iam::coffer:user/alice','*']}", ""), true},
    {"named_user", PUB("{'AWS':'arn:aws:iam::coffer:user/alice'}", ""), false},
    {"root_account", PUB("{'AWS':'arn:aws:iam::coffer:root'}", ""), false},
    {"canonical_user", PUB("{'CanonicalUser':'alice'}", ""), false},
    {"not_principal_allow",
     "{'Statement':{'Effect':'Allow','NotPrincipal':{'AWS':'arn:aws:iam::coffer:user/bob'},"
     "'Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/*'}}",
     true},
    {"deny_to_everyone_is_not_public",
     "{'Statement':{'Effect':'Deny','Principal':'*','Action':'s3:GetObject',"
     "'Resource':'arn:aws:s3:::bkt/*'}}",
     false},
    {"source_ip_range_pins", PUB("'*'", ",'Condition':{'IpAddress':{'aws:SourceIp':'10.0.0.0/8'}}"),
     false},
    {"source_ip_slash_0_does_not_pin",
     PUB("'*'", ",'Condition':{'IpAddress':{'aws:SourceIp':'0.0.0.0/0'}}"), true},
    {"source_ip_v6_slash_0_among_others",
     PUB("'*'", ",'Condition':{'IpAddress':{'aws:SourceIp':['10.0.0.0/8','::/0']}}"), true},
    {"not_ip_address_does_not_pin",
     PUB("'*'", ",'Condition':{'NotIpAddress':{'aws:SourceIp':'10.0.0.0/8'}}"), true},
    {"ip_if_exists_does_not_pin",
     PUB("'*'", ",'Condition':{'IpAddressIfExists':{'aws:SourceIp':'10.0.0.0/8'}}"), true},
    {"username_fixed_pins", PUB("'*'", ",'Condition':{'StringEquals':{'aws:username':'alice'}}"),
     false},
    {"userid_fixed_pins", PUB("'*'", ",'Condition':{'StringEquals':{'aws:userid':'alice'}}"),
     false},
    {"username_wildcard_does_not_pin",
     PUB("'*'", ",'Condition':{'StringLike':{'aws:username':'a*'}}"), true},
    {"principal_arn_fixed_pins",
     PUB("'*'", ",'Condition':{'ArnEquals':{'aws:PrincipalArn':'" ALICE_ARN "'}}"), false},
    {"principal_arn_wildcard_does_not_pin",
     PUB("'*'", ",'Condition':{'ArnLike':{'aws:PrincipalArn':'arn:aws:iam::coffer:user/*'}}"),
     true},
    {"username_if_exists_does_not_pin",
     PUB("'*'", ",'Condition':{'StringEqualsIfExists':{'aws:username':'alice'}}"), true},
    {"username_not_equals_does_not_pin",
     PUB("'*'", ",'Condition':{'StringNotEquals':{'aws:username':'alice'}}"), true},
    {"principal_type_does_not_pin",
     PUB("'*'", ",'Condition':{'StringEquals':{'aws:PrincipalType':'User'}}"), true},
    {"null_username_does_not_pin", PUB("'*'", ",'Condition':{'Null':{'aws:username':'false'}}"),
     true},
    {"one_pinning_condition_among_others",
     PUB("'*'", ",'Condition':{'StringLike':{'aws:Referer':'*'},"
                "'IpAddress':{'aws:SourceIp':'192.0.2.0/24'}}"),
     false},
    {"one_public_statement_makes_the_policy_public",
     "{'Statement':[{'Effect':'Allow','Principal':{'AWS':'arn:aws:iam::coffer:user/alice'},"
     "'Action':'s3:*','Resource':'arn:aws:s3:::bkt/*'},{'Effect':'Allow','Principal':'*',"
     "'Action':'s3:GetObject','Resource':'arn:aws:s3:::bkt/pub/*'}]}",
     true},
};

static void test_is_public_policies(void)
{
    for (size_t i = 0; i < TEST_COUNT(public_cases); i++) {
        s3_policy *p = parse(public_cases[i].name, public_cases[i].policy);
        if (!p)
            continue;
        if (!CHECK_EQ(s3_policy_is_public(p), public_cases[i].want))
            fprintf(stderr, "  case %s\n", public_cases[i].name);
        s3_policy_free(p);
    }
}

static void test_public_allow_and_statement_is_public(void)
{
    s3_policy *p = parse("mixed", public_cases[TEST_COUNT(public_cases) - 1].policy);
    if (!p)
        return;
    CHECK_EQ(s3_policy_statement_count(p), 2);
    CHECK(!s3_policy_statement_is_public(p, 0));
    CHECK(s3_policy_statement_is_public(p, 1));
    CHECK(!s3_policy_statement_is_public(p, 2));
    bool pub = false;
    req_spec anon = {GET("pub/a")}, alice = {GET("pub/a"), AS("alice")};
    CHECK_EQ(eval_spec(p, &anon, &pub), ALLOW);
    CHECK(pub); /* only the public statement allowed it */
    pub = true;
    CHECK_EQ(eval_spec(p, &alice, &pub), ALLOW);
    CHECK(!pub); /* alice's own statement allowed it too */
    pub = true;
    req_spec miss = {GET("priv/a")};
    CHECK_EQ(eval_spec(p, &miss, &pub), NONE);
    CHECK(!pub);
    CHECK_EQ(eval_spec(p, &miss, NULL), NONE);
    s3_policy_free(p);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_malformed_policies_exact_messages),
        TEST(test_limit_document_bytes),
        TEST(test_limit_statements),
        TEST(test_limit_list_and_conditions),
        TEST(test_limit_string_bytes),
        TEST(test_limit_principals_and_condition_values),
        TEST(test_limit_nesting_depth),
        TEST(test_is_public_policies),
        TEST(test_public_allow_and_statement_is_public),
    };
    return test_main(cases, TEST_COUNT(cases));
}
