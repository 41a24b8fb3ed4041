/*
 * xml_test.c -- the XML writer (exact bytes, escaping, sticky errors) and
 * the request body parsers: what each keeps byte for byte, each limit at
 * its edge, DOCTYPE and entity refusal, every proper prefix of a valid body
 * refused, result reuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/xml.h"
#include "test.h"
#include "util/err.h"

#define NS "http://s3.amazonaws.com/doc/2006-03-01/"

static cf_slice S(const char *s)
{
    return slice_str(s);
}

static const uint8_t *U(const char *s)
{
    return (const uint8_t *)s;
}

/* span_is -- the span's bytes equal want. */
static bool span_is(const cf_buf *text, s3_xml_span sp, const char *want)
{
    cf_slice v = s3_xml_span_get(text, sp);
    return CHECK_MEM(v.ptr, v.len, want, strlen(want));
}

/* ---- writer ---- */

static void test_writer_document_exact_bytes(void)
{
    cf_buf b = {0};
    s3_xml_writer w;
    s3_xml_writer_init(&w, &b);
    s3_xml_decl(&w);
    s3_xml_open_ns(&w, "ListBucketResult", S3_XML_NS);
    s3_xml_elem_str(&w, "Name", "bucket");
    s3_xml_elem_u64(&w, "MaxKeys", 18446744073709551615ull);
    s3_xml_elem_bool(&w, "IsTruncated", false);
    s3_xml_open(&w, "Contents");
    s3_xml_elem(&w, "Key", S("a&b"));
    s3_xml_elem(&w, "Empty", slice_make(NULL, 0));
    s3_xml_close(&w);
    s3_xml_close(&w);
    CHECK_EQ(s3_xml_writer_finish(&w), 0);
    const char *want = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<ListBucketResult xmlns=\"" NS "\"><Name>bucket</Name>"
                       "<MaxKeys>18446744073709551615</MaxKeys><IsTruncated>false</IsTruncated>"
                       "<Contents><Key>a&amp;b</Key><Empty></Empty></Contents></ListBucketResult>";
    CHECK_MEM(b.data, b.len, want, strlen(want));
    buf_free(&b);
}

static void test_escape_specials_and_control_bytes(void)
{
    cf_buf b = {0};
    const char in[] = "\x01\t\n\r&<>\"'\xc3\xa9z\x1f";
    CHECK_EQ(s3_xml_escape(&b, slice_make(in, sizeof in - 1)), 0);
    const char *want = "&#x1;\t\n&#xD;&amp;&lt;&gt;&quot;&apos;\xc3\xa9z&#x1F;";
    CHECK_MEM(b.data, b.len, want, strlen(want));
    buf_clear(&b);
    char plain[3000];
    for (size_t i = 0; i < sizeof plain; i++)
        plain[i] = (char)('a' + i % 26);
    CHECK_EQ(s3_xml_escape(&b, slice_make(plain, sizeof plain)), 0);
    CHECK_MEM(b.data, b.len, plain, sizeof plain);
    buf_free(&b);
}

static void test_writer_errors_are_sticky(void)
{
    cf_buf b = {0};
    s3_xml_writer w;
    s3_xml_writer_init(&w, &b);
    CHECK_EQ(s3_xml_close(&w), CF_EINVAL);
    CHECK_EQ(s3_xml_open(&w, "A"), CF_EINVAL); /* sticky */
    CHECK_EQ(s3_xml_writer_finish(&w), CF_EINVAL);
    CHECK_EQ(b.len, 0);
    s3_xml_writer_init(&w, &b);
    for (int i = 0; i < S3_XML_WRITER_MAX_DEPTH; i++)
        CHECK_EQ(s3_xml_open(&w, "d"), 0);
    CHECK_EQ(s3_xml_open(&w, "d"), CF_ELIMIT);
    CHECK_EQ(s3_xml_writer_finish(&w), CF_ELIMIT);
    s3_xml_writer_init(&w, &b);
    s3_xml_open(&w, "open");
    CHECK_EQ(s3_xml_writer_finish(&w), CF_EINVAL); /* unclosed */
    buf_free(&b);
}

/* ---- DeleteObjects ---- */

static void test_delete_keeps_keys_byte_for_byte(void)
{
    const char *body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<Delete xmlns=\"" NS "\">\n  <Quiet> TRUE </Quiet>\n"
                       "  <Object><Key> sp ace </Key></Object>\n"
                       "  <Object><Key>a&amp;b&lt;&#x4E2D;<![CDATA[<x>]]></Key>"
                       "<VersionId>v1</VersionId><ETag>\"e\"</ETag><Foo><Bar>z</Bar></Foo></Object>"
                       "<Object><Key></Key></Object></Delete>";
    s3_delete_req d;
    memset(&d, 0, sizeof d);
    CHECK_EQ(s3_xml_parse_delete(U(body), strlen(body), &d), S3_ERR_NONE);
    CHECK(d.quiet);
    if (CHECK_EQ(d.n_objects, 3)) {
        const s3_delete_object *o = s3_delete_req_objects(&d);
        span_is(&d.text, o[0].key, " sp ace ");
        CHECK_EQ(o[0].version_id.len, 0);
        span_is(&d.text, o[1].key, "a&b<\xe4\xb8\xad<x>");
        span_is(&d.text, o[1].version_id, "v1");
        CHECK_EQ(o[2].key.len, 0);
    }
    /* a prefixed namespace is the same document; reuse resets the result */
    body = "<s3:Delete xmlns:s3=\"" NS "\"><s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>";
    CHECK_EQ(s3_xml_parse_delete(U(body), strlen(body), &d), S3_ERR_NONE);
    CHECK(!d.quiet);
    CHECK_EQ(d.n_objects, 1);
    span_is(&d.text, s3_delete_req_objects(&d)[0].key, "k");
    s3_delete_req_free(&d);
}

static void test_delete_rejections(void)
{
    static const struct {
        const char *body;
        s3_err_code want;
    } cases[] = {
        {"", S3_ERR_MALFORMED_XML},
        {"<Delete></Delete>", S3_ERR_MALFORMED_XML},
        {"<Delete><Quiet>true</Quiet></Delete>", S3_ERR_MALFORMED_XML},
        {"<Delete><Object></Object></Delete>", S3_ERR_MALFORMED_XML},
        {"<Delete><Object><VersionId>v</VersionId></Object></Delete>", S3_ERR_MALFORMED_XML},
        {"<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>", S3_ERR_MALFORMED_XML},
        {"<Delete><Object><Key>a<b/></Key></Object></Delete>", S3_ERR_MALFORMED_XML},
        {"<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>",
         S3_ERR_MALFORMED_XML},
        {"<Remove><Object><Key>a</Key></Object></Remove>", S3_ERR_MALFORMED_XML},
        {"<Delete><Object><Key>a</Key></Object>", S3_ERR_MALFORMED_XML},
        {"<Delete><Object><Key>&foo;</Key></Object></Delete>", S3_ERR_MALFORMED_XML},
        {"<Delete><Object><Key>&#0;</Key></Object></Delete>", S3_ERR_MALFORMED_XML},
        {"<Delete><Object><Key>a</Key></Object></Delete><Delete/>", S3_ERR_MALFORMED_XML},
        {"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
         "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
         "<Delete><Object><Key>&lol2;</Key></Object></Delete>",
         S3_ERR_MALFORMED_XML},
        {"<!DOCTYPE Delete SYSTEM \"file:///etc/passwd\"><Delete/>", S3_ERR_MALFORMED_XML},
        {"<Delete><Object><Key>\xff</Key></Object></Delete>", S3_ERR_MALFORMED_XML},
    };
    s3_delete_req d;
    memset(&d, 0, sizeof d);
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        s3_err_code err = s3_xml_parse_delete(U(cases[i].body), strlen(cases[i].body), &d);
        if (!CHECK_EQ(err, cases[i].want))
            fprintf(stderr, "  case %zu\n", i);
        CHECK_EQ(d.n_objects, 0);
    }
    s3_delete_req_free(&d);
}

static void test_doctype_is_refused_before_any_entity(void)
{
    /* billion laughs: refused at the DOCTYPE, before a single entity is declared */
    const char *body = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\">"
                       "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                       "<Delete><Object><Key>&b;</Key></Object></Delete>";
    s3_delete_req d;
    memset(&d, 0, sizeof d);
    CHECK_EQ(s3_xml_parse_delete(U(body), strlen(body), &d), S3_ERR_MALFORMED_XML);
    CHECK(d.message && strcmp(d.message, "A DOCTYPE is not allowed") == 0);
    CHECK_EQ(d.text.len, 0);
    s3_delete_req_free(&d);
}

static void test_delete_depth_limit(void)
{
    char body[1024];
    for (int depth = 15; depth <= 17; depth++) {
        /* Delete, Object, then unknown elements nested down to depth */
        int n = snprintf(body, sizeof body, "<Delete><Object><Key>k</Key>");
        for (int i = 2; i < depth; i++)
            n += snprintf(body + n, sizeof body - (size_t)n, "<x>");
        for (int i = 2; i < depth; i++)
            n += snprintf(body + n, sizeof body - (size_t)n, "</x>");
        n += snprintf(body + n, sizeof body - (size_t)n, "</Object></Delete>");
        s3_delete_req d;
        memset(&d, 0, sizeof d);
        s3_err_code err = s3_xml_parse_delete(U(body), (size_t)n, &d);
        CHECK_EQ(err, depth <= S3_XML_MAX_DEPTH ? S3_ERR_NONE : S3_ERR_MALFORMED_XML);
        s3_delete_req_free(&d);
    }
}

/* delete_body -- n objects of keys key_len bytes long into b. */
static void delete_body(cf_buf *b, size_t n, size_t key_len)
{
    buf_clear(b);
    buf_append(b, "<Delete>", 8);
    char *key = malloc(key_len + 1);
    memset(key, 'k', key_len);
    for (size_t i = 0; i < n; i++) {
        buf_append(b, "<Object><Key>", 13);
        buf_append(b, key, key_len);
        buf_append(b, "</Key></Object>", 15);
    }
    buf_append(b, "</Delete>", 9);
    free(key);
}

static void test_delete_limits_at_their_edges(void)
{
    cf_buf b = {0};
    s3_delete_req d;
    memset(&d, 0, sizeof d);
    delete_body(&b, S3_XML_DELETE_MAX_OBJECTS, S3_XML_MAX_KEY_BYTES);
    CHECK_EQ(s3_xml_parse_delete(b.data, b.len, &d), S3_ERR_NONE);
    CHECK_EQ(d.n_objects, 1000);
    CHECK_EQ(s3_delete_req_objects(&d)[999].key.len, 1024);
    delete_body(&b, S3_XML_DELETE_MAX_OBJECTS + 1, 1);
    CHECK_EQ(s3_xml_parse_delete(b.data, b.len, &d), S3_ERR_MALFORMED_XML);
    delete_body(&b, 1, S3_XML_MAX_KEY_BYTES + 1);
    CHECK_EQ(s3_xml_parse_delete(b.data, b.len, &d), S3_ERR_KEY_TOO_LONG);
    buf_clear(&b);
    buf_reserve(&b, S3_XML_DELETE_MAX_BODY_BYTES + 1);
    memset(b.data, ' ', S3_XML_DELETE_MAX_BODY_BYTES + 1);
    CHECK_EQ(s3_xml_parse_delete(b.data, S3_XML_DELETE_MAX_BODY_BYTES + 1, &d),
             S3_ERR_MAX_MESSAGE_LENGTH_EXCEEDED);
    CHECK(d.message != NULL);
    buf_free(&b);
    s3_delete_req_free(&d);
}

static void test_every_proper_prefix_is_refused(void)
{
    const char *body = "<Delete><Quiet>false</Quiet><Object><Key>a&amp;b</Key>"
                       "<VersionId>1</VersionId></Object></Delete>";
    size_t n = strlen(body);
    s3_delete_req d;
    memset(&d, 0, sizeof d);
    for (size_t cut = 0; cut < n; cut++)
        CHECK_EQ(s3_xml_parse_delete(U(body), cut, &d), S3_ERR_MALFORMED_XML);
    CHECK_EQ(s3_xml_parse_delete(U(body), n, &d), S3_ERR_NONE);
    s3_delete_req_free(&d);
}

/* ---- CompleteMultipartUpload ---- */

static void test_complete_parts_and_checksums(void)
{
    const char *body =
        "<CompleteMultipartUpload xmlns=\"" NS "\">"
        "<Part><PartNumber> 1 </PartNumber><ETag>\"a54357aff0632cce46d942af68356b38\""
        "</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>"
        "<Part><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag>"
        "<PartNumber>2</PartNumber><ChecksumSHA256>x</ChecksumSHA256>"
        "<ChecksumCRC64NVME>y</ChecksumCRC64NVME></Part>"
        "<Part><PartNumber>10000</PartNumber><ETag>e</ETag><Size>5</Size></Part>"
        "</CompleteMultipartUpload>";
    s3_complete_req c;
    memset(&c, 0, sizeof c);
    CHECK_EQ(s3_xml_parse_complete(U(body), strlen(body), &c), S3_ERR_NONE);
    if (CHECK_EQ(c.n_parts, 3)) {
        const s3_complete_part *p = s3_complete_req_parts(&c);
        CHECK_EQ(p[0].part_number, 1);
        span_is(&c.text, p[0].etag, "\"a54357aff0632cce46d942af68356b38\"");
        span_is(&c.text, p[0].checksum[S3_CKSUM_CRC32], "AAAAAA==");
        CHECK_EQ(p[0].checksum[S3_CKSUM_SHA256].len, 0);
        CHECK_EQ(p[1].part_number, 2);
        span_is(&c.text, p[1].etag, "\"0c78aef83f66abc1fa1e8477f296d394\"");
        span_is(&c.text, p[1].checksum[S3_CKSUM_SHA256], "x");
        span_is(&c.text, p[1].checksum[S3_CKSUM_CRC64NVME], "y");
        CHECK_EQ(p[2].part_number, 10000);
    }
    s3_complete_req_free(&c);
}

static void test_complete_rejections(void)
{
#define PART(n) "<Part><PartNumber>" n "</PartNumber><ETag>e</ETag></Part>"
    static const struct {
        const char *body;
        s3_err_code want;
    } cases[] = {
        {"<CompleteMultipartUpload/>", S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload>" PART("2") PART("1") "</CompleteMultipartUpload>",
         S3_ERR_INVALID_PART_ORDER},
        {"<CompleteMultipartUpload>" PART("1") PART("1") "</CompleteMultipartUpload>",
         S3_ERR_INVALID_PART_ORDER},
        {"<CompleteMultipartUpload>" PART("0") "</CompleteMultipartUpload>",
         S3_ERR_INVALID_ARGUMENT},
        {"<CompleteMultipartUpload>" PART("10001") "</CompleteMultipartUpload>",
         S3_ERR_INVALID_ARGUMENT},
        {"<CompleteMultipartUpload>" PART("99999999999999999999999") "</CompleteMultipartUpload>",
         S3_ERR_INVALID_ARGUMENT},
        {"<CompleteMultipartUpload>" PART("-1") "</CompleteMultipartUpload>", S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload>" PART("") "</CompleteMultipartUpload>", S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload>" PART("1 2") "</CompleteMultipartUpload>",
         S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"
         "</CompleteMultipartUpload>",
         S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>",
         S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag><ETag>f</ETag>"
         "</Part></CompleteMultipartUpload>",
         S3_ERR_MALFORMED_XML},
        {"<Complete>" PART("1") "</Complete>", S3_ERR_MALFORMED_XML},
    };
#undef PART
    s3_complete_req c;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        s3_err_code err = s3_xml_parse_complete(U(cases[i].body), strlen(cases[i].body), &c);
        if (!CHECK_EQ(err, cases[i].want))
            fprintf(stderr, "  case %zu\n", i);
        CHECK_EQ(c.n_parts, 0);
    }
    s3_complete_req_free(&c);
}

static void test_complete_ten_thousand_parts(void)
{
    cf_buf b = {0};
    char part[200];
    buf_append(&b, "<CompleteMultipartUpload>", 25);
    for (int i = 1; i <= S3_XML_COMPLETE_MAX_PARTS; i++) {
        int n = snprintf(part, sizeof part,
                         "<Part><PartNumber>%d</PartNumber><ETag>\"%032d\"</ETag>"
                         "<ChecksumCRC32C>AAAAAA==</ChecksumCRC32C></Part>",
                         i, i);
        buf_append(&b, part, (size_t)n);
    }
    buf_append(&b, "</CompleteMultipartUpload>", 26);
    CHECK(b.len <= S3_XML_COMPLETE_MAX_BODY_BYTES);
    s3_complete_req c;
    memset(&c, 0, sizeof c);
    CHECK_EQ(s3_xml_parse_complete(b.data, b.len, &c), S3_ERR_NONE);
    CHECK_EQ(c.n_parts, 10000);
    CHECK_EQ(s3_complete_req_parts(&c)[9999].part_number, 10000);
    span_is(&c.text, s3_complete_req_parts(&c)[9999].etag, "\"00000000000000000000000000010000\"");
    s3_complete_req_free(&c);
    buf_free(&b);
}

/* ---- Tagging ---- */

static void test_tagging_keys_and_values(void)
{
    const char *body = "<Tagging xmlns=\"" NS "\"><TagSet>"
                       "<Tag><Key>project</Key><Value>coffer &amp; co</Value></Tag>"
                       "<Tag><Value></Value><Key>empty</Key></Tag>"
                       "</TagSet></Tagging>";
    s3_tagging t;
    memset(&t, 0, sizeof t);
    CHECK_EQ(s3_xml_parse_tagging(U(body), strlen(body), S3_XML_MAX_OBJECT_TAGS, &t), S3_ERR_NONE);
    if (CHECK_EQ(t.n_tags, 2)) {
        span_is(&t.text, t.tags[0].key, "project");
        span_is(&t.text, t.tags[0].value, "coffer & co");
        span_is(&t.text, t.tags[1].key, "empty");
        CHECK_EQ(t.tags[1].value.len, 0);
    }
    body = "<Tagging><TagSet/></Tagging>";
    CHECK_EQ(s3_xml_parse_tagging(U(body), strlen(body), S3_XML_MAX_OBJECT_TAGS, &t), S3_ERR_NONE);
    CHECK_EQ(t.n_tags, 0);
    s3_tagging_free(&t);
}

/* tags_body -- n tags with distinct keys into b. */
static void tags_body(cf_buf *b, size_t n)
{
    char tag[64];
    buf_clear(b);
    buf_append(b, "<Tagging><TagSet>", 17);
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(tag, sizeof tag, "<Tag><Key>k%zu</Key><Value>v</Value></Tag>", i);
        buf_append(b, tag, (size_t)k);
    }
    buf_append(b, "</TagSet></Tagging>", 19);
}

/* one_tag -- "<Tagging>...<Key>key</Key><Value>value</Value>..." parsed with max 10. */
static s3_err_code one_tag(const char *key, const char *value)
{
    char body[4096];
    snprintf(body, sizeof body,
             "<Tagging><TagSet><Tag><Key>%s</Key><Value>%s</Value></Tag></TagSet></Tagging>", key,
             value);
    s3_tagging t;
    memset(&t, 0, sizeof t);
    s3_err_code err = s3_xml_parse_tagging(U(body), strlen(body), 10, &t);
    s3_tagging_free(&t);
    return err;
}

static void test_tagging_limits(void)
{
    cf_buf b = {0};
    s3_tagging t;
    memset(&t, 0, sizeof t);
    tags_body(&b, 10);
    CHECK_EQ(s3_xml_parse_tagging(b.data, b.len, S3_XML_MAX_OBJECT_TAGS, &t), S3_ERR_NONE);
    tags_body(&b, 11);
    CHECK_EQ(s3_xml_parse_tagging(b.data, b.len, S3_XML_MAX_OBJECT_TAGS, &t), S3_ERR_INVALID_TAG);
    CHECK(t.message != NULL);
    CHECK_EQ(s3_xml_parse_tagging(b.data, b.len, S3_XML_MAX_BUCKET_TAGS, &t), S3_ERR_NONE);
    tags_body(&b, 51);
    CHECK_EQ(s3_xml_parse_tagging(b.data, b.len, 1000, &t), S3_ERR_INVALID_TAG);
    buf_free(&b);
    s3_tagging_free(&t);

    char k128[2 * 128 + 1], k129[2 * 129 + 1], v256[2 * 256 + 1], v257[257 + 1];
    for (int i = 0; i < 129; i++)
        memcpy(k129 + 2 * i, "\xc3\xa9", 2); /* é: two bytes, one character */
    k129[2 * 129] = 0;
    memcpy(k128, k129, 2 * 128);
    k128[2 * 128] = 0;
    for (int i = 0; i < 256; i++)
        memcpy(v256 + 2 * i, "\xc3\xa9", 2);
    v256[2 * 256] = 0;
    memset(v257, 'v', 257);
    v257[257] = 0;
    CHECK_EQ(one_tag(k128, v256), S3_ERR_NONE);
    CHECK_EQ(one_tag(k129, "v"), S3_ERR_INVALID_TAG);
    CHECK_EQ(one_tag("k", v257), S3_ERR_INVALID_TAG);
    CHECK_EQ(one_tag("", "v"), S3_ERR_INVALID_TAG);
    CHECK_EQ(one_tag("aws:createdBy", "v"), S3_ERR_INVALID_TAG);
    CHECK_EQ(one_tag("k</Key><Key>k2", "v"), S3_ERR_MALFORMED_XML);
}

static void test_tagging_rejections(void)
{
    static const struct {
        const char *body;
        s3_err_code want;
    } cases[] = {
        {"<Tagging/>", S3_ERR_MALFORMED_XML},
        {"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>", S3_ERR_MALFORMED_XML},
        {"<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>", S3_ERR_MALFORMED_XML},
        {"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>"
         "<Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>",
         S3_ERR_INVALID_TAG},
        {"<TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet>", S3_ERR_MALFORMED_XML},
    };
    s3_tagging t;
    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        s3_err_code err = s3_xml_parse_tagging(U(cases[i].body), strlen(cases[i].body), 10, &t);
        if (!CHECK_EQ(err, cases[i].want))
            fprintf(stderr, "  case %zu\n", i);
        CHECK_EQ(t.n_tags, 0);
    }
    s3_tagging_free(&t);
}

/* ---- CreateBucketConfiguration ---- */

static void test_create_bucket_configuration(void)
{
    s3_create_bucket_conf c;
    memset(&c, 0, sizeof c);
    const char *body = "<CreateBucketConfiguration xmlns=\"" NS "\">"
                       "<LocationConstraint>eu-west-1</LocationConstraint>"
                       "<Location><Name>x</Name></Location></CreateBucketConfiguration>";
    CHECK_EQ(s3_xml_parse_create_bucket(U(body), strlen(body), &c), S3_ERR_NONE);
    CHECK(c.has_location);
    span_is(&c.text, c.location, "eu-west-1");
    body = "<CreateBucketConfiguration></CreateBucketConfiguration>";
    CHECK_EQ(s3_xml_parse_create_bucket(U(body), strlen(body), &c), S3_ERR_NONE);
    CHECK(!c.has_location);
    body = "<CreateBucketConfiguration><LocationConstraint>a</LocationConstraint>"
           "<LocationConstraint>b</LocationConstraint></CreateBucketConfiguration>";
    CHECK_EQ(s3_xml_parse_create_bucket(U(body), strlen(body), &c), S3_ERR_MALFORMED_XML);
    CHECK(!c.has_location);
    char big[200];
    snprintf(big, sizeof big,
             "<CreateBucketConfiguration><LocationConstraint>%065d</LocationConstraint>"
             "</CreateBucketConfiguration>",
             0);
    CHECK_EQ(s3_xml_parse_create_bucket(U(big), strlen(big), &c),
             S3_ERR_INVALID_LOCATION_CONSTRAINT);
    s3_create_bucket_conf_free(&c);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_writer_document_exact_bytes),
        TEST(test_escape_specials_and_control_bytes),
        TEST(test_writer_errors_are_sticky),
        TEST(test_delete_keeps_keys_byte_for_byte),
        TEST(test_delete_rejections),
        TEST(test_doctype_is_refused_before_any_entity),
        TEST(test_delete_depth_limit),
        TEST(test_delete_limits_at_their_edges),
        TEST(test_every_proper_prefix_is_refused),
        TEST(test_complete_parts_and_checksums),
        TEST(test_complete_rejections),
        TEST(test_complete_ten_thousand_parts),
        TEST(test_tagging_keys_and_values),
        TEST(test_tagging_limits),
        TEST(test_tagging_rejections),
        TEST(test_create_bucket_configuration),
    };
    return test_main(cases, TEST_COUNT(cases));
}
