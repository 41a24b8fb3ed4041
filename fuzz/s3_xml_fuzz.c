/*
 * s3_xml_fuzz.c -- libFuzzer target for the s3 XML: each request body
 * parser on the fuzz bytes (DeleteObjects, CompleteMultipartUpload,
 * Tagging, CreateBucketConfiguration, AccessControlPolicy and what acl.c
 * makes of it, OwnershipControls, PublicAccessBlockConfiguration), and a
 * writer/parser round trip.
 *
 * Checks beyond "no crash, no leak, no UB": every span a successful parse
 * returns lies inside its text buffer, counts respect their limits, an
 * error leaves counts at 0; an ACL that acl.c accepts encodes to a stored
 * form that decodes back to the same form; and text the writer escapes as a
 * DeleteObjects key parses back to the same bytes whenever expat accepts it
 * (it refuses invalid UTF-8 and control characters XML 1.0 cannot carry).
 *
 * Result structures are reused across inputs, as the server reuses them.
 *
 * Sources and libraries (fuzz/run.sh reads these two lines):
 * FUZZ_SRCS: src/util/[a-z]*.c src/s3/errors.c src/s3/xml_write.c src/s3/xml_parse*.c src/s3/acl.c
 * FUZZ_LIBS: -ljson-c -lexpat -lisal -lpthread
 */
#include <stdlib.h>
#include <string.h>

#include "s3/acl.h"
#include "s3/xml.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

static void span_ok(const cf_buf *text, s3_xml_span s)
{
    check((size_t)s.off + s.len <= text->len || s.len == 0);
}

static void round_trip(const uint8_t *data, size_t size, s3_delete_req *d)
{
    static cf_buf doc;
    if (size > S3_XML_MAX_KEY_BYTES)
        size = S3_XML_MAX_KEY_BYTES;
    buf_clear(&doc);
    s3_xml_writer w;
    s3_xml_writer_init(&w, &doc);
    s3_xml_decl(&w);
    s3_xml_open_ns(&w, "Delete", S3_XML_NS);
    s3_xml_open(&w, "Object");
    s3_xml_elem(&w, "Key", slice_make(data, size));
    s3_xml_close(&w);
    s3_xml_close(&w);
    check(s3_xml_writer_finish(&w) == 0);
    if (s3_xml_parse_delete(doc.data, doc.len, d) != S3_ERR_NONE)
        return;
    check(d->n_objects == 1);
    cf_slice k = s3_xml_span_get(&d->text, s3_delete_req_objects(d)[0].key);
    check(k.len == size && (size == 0 || memcmp(k.ptr, data, size) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static s3_delete_req d;
    static s3_complete_req c;
    static s3_tagging t;
    static s3_create_bucket_conf b;

    if (s3_xml_parse_delete(data, size, &d) == S3_ERR_NONE) {
        check(d.n_objects >= 1 && d.n_objects <= S3_XML_DELETE_MAX_OBJECTS);
        for (size_t i = 0; i < d.n_objects; i++) {
            const s3_delete_object *o = &s3_delete_req_objects(&d)[i];
            span_ok(&d.text, o->key);
            span_ok(&d.text, o->version_id);
            check(o->key.len <= S3_XML_MAX_KEY_BYTES);
        }
    } else {
        check(d.n_objects == 0);
    }

    if (s3_xml_parse_complete(data, size, &c) == S3_ERR_NONE) {
        uint32_t last = 0;
        for (size_t i = 0; i < c.n_parts; i++) {
            const s3_complete_part *p = &s3_complete_req_parts(&c)[i];
            check(p->part_number > last && p->part_number <= S3_XML_COMPLETE_MAX_PARTS);
            last = p->part_number;
            span_ok(&c.text, p->etag);
            for (int k = 0; k < S3_CKSUM_COUNT; k++)
                span_ok(&c.text, p->checksum[k]);
        }
        check(c.n_parts >= 1);
    } else {
        check(c.n_parts == 0);
    }

    size_t max_tags = size && data[0] & 1 ? S3_XML_MAX_BUCKET_TAGS : S3_XML_MAX_OBJECT_TAGS;
    if (s3_xml_parse_tagging(data, size, max_tags, &t) == S3_ERR_NONE) {
        check(t.n_tags <= max_tags);
        for (size_t i = 0; i < t.n_tags; i++) {
            span_ok(&t.text, t.tags[i].key);
            span_ok(&t.text, t.tags[i].value);
            check(t.tags[i].key.len >= 1);
        }
    } else {
        check(t.n_tags == 0);
    }

    if (s3_xml_parse_create_bucket(data, size, &b) == S3_ERR_NONE && b.has_location)
        check(b.location.len <= S3_XML_MAX_LOCATION_BYTES &&
              b.location.off + b.location.len <= b.text.len);

    static s3_acl_doc ad;
    static s3_acl acl, back;
    static cf_buf enc, enc2;
    const char *msg;
    if (s3_xml_parse_acl(data, size, &ad) == S3_ERR_NONE) {
        check(ad.n_grants <= S3_XML_ACL_MAX_GRANTS);
        for (size_t i = 0; i < ad.n_grants; i++) {
            span_ok(&ad.text, ad.grants[i].who);
            span_ok(&ad.text, ad.grants[i].perm);
        }
        if (s3_acl_from_doc(&ad, "OWNER", &acl, &msg) == S3_ERR_NONE &&
            s3_acl_encode(&acl, &enc, 1 << 20) == 0) {
            check(s3_acl_decode(buf_slice(&enc), &back) == 0);
            check(s3_acl_encode(&back, &enc2, 1 << 20) == 0 && enc.len == enc2.len &&
                  memcmp(enc.data, enc2.data, enc.len) == 0);
        }
    } else {
        check(ad.n_grants == 0);
    }
    if (s3_acl_decode(slice_make(data, size), &acl) == 0) /* the stored form, from a damaged disk */
        check(acl.n <= S3_ACL_MAX_GRANTS);
    char own[32];
    bool flags[4];
    if (s3_xml_parse_ownership(data, size, own, sizeof own, &msg) == S3_ERR_NONE)
        check(strlen(own) < sizeof own);
    if (s3_xml_parse_public_block(data, size, flags, &msg) != S3_ERR_NONE)
        check(!flags[0] && !flags[1] && !flags[2] && !flags[3]);

    /* CORSConfiguration: on success a line form no longer than the body, every line
     * a tag letter and a value without control bytes, rules first; on error nothing */
    static cf_buf cors;
    static char cmsg[384];
    if (s3_xml_parse_cors(data, size, &cors, cmsg, sizeof cmsg, &msg) == S3_ERR_NONE) {
        check(cors.len <= size && cors.len >= 2 && cors.data[0] == 'R');
        check(cors.data[cors.len - 1] == '\n');
        for (size_t i = 0, start = 0; i < cors.len; i++)
            if (cors.data[i] == '\n') {
                check(i > start && strchr("RIOMHEA", cors.data[start]) != NULL);
                start = i + 1;
            } else {
                check(cors.data[i] >= 0x20);
            }
    } else {
        check(cors.len == 0);
    }

    round_trip(data, size, &d);
    return 0;
}
