/*
 * xml.h -- the s3 layer's XML: a small writer for response bodies and the
 * parsers of the request bodies S3 clients send (DeleteObjects,
 * CompleteMultipartUpload, Tagging, CreateBucketConfiguration,
 * AccessControlPolicy, OwnershipControls, PublicAccessBlockConfiguration,
 * CORSConfiguration).
 *
 * The writer appends to a cf_buf and escapes all text; element names are
 * trusted constants. Errors are sticky: a sequence of writes is checked once,
 * by s3_xml_writer_finish.
 *
 * The parsers run expat over a whole, already-read body and fill a result
 * the caller owns and reuses: its text bytes go into one cf_buf, its items
 * into another, as (offset, length) spans, so a parse allocates nothing per
 * element once the result has grown to its working size. Every limit is a
 * named constant below and breaking it has its own S3 error.
 *
 * Invariants:
 *  (1) a parse never expands an entity or reads a DTD: a DOCTYPE or entity
 *      declaration aborts it with MalformedXML (no billion laughs, no XXE).
 *  (2) a parse is bounded: body bytes, element depth, item count and
 *      bytes per text field, each checked before the bytes are kept.
 *  (3) elements the schema does not name are skipped with their subtree;
 *      text of known fields is kept byte for byte (keys are never trimmed).
 *  (4) on any error the result's counts are 0 and message says why, or is NULL.
 * The accepted documents and limits are described in doc/formats.md ("S3
 * wire formats").
 */
#ifndef S3_XML_H
#define S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s3/errors.h"
#include "util/buf.h"
#include "util/slice.h"

/* ---- writer ---- */

#define S3_XML_WRITER_MAX_DEPTH 16 /* open elements at once */

/* The namespace of every S3 response document's root element. */
#define S3_XML_NS "http://s3.amazonaws.com/doc/2006-03-01/"

typedef struct s3_xml_writer {
    cf_buf *out;                               /* appended to; borrowed */
    const char *open[S3_XML_WRITER_MAX_DEPTH]; /* names of the open elements */
    int depth;                                 /* elements open */
    int err;                                   /* first failure; sticky */
} s3_xml_writer;

/* s3_xml_writer_init -- a writer appending to out (not cleared). */
void s3_xml_writer_init(s3_xml_writer *w, cf_buf *out);

/* s3_xml_decl -- appends <?xml version="1.0" encoding="UTF-8"?> and a newline. */
int s3_xml_decl(s3_xml_writer *w);

/*
 * s3_xml_open / s3_xml_open_ns -- opens element name (with xmlns="ns").
 * name must stay valid until the matching close. CF_ELIMIT past
 * S3_XML_WRITER_MAX_DEPTH. Each writer call returns the sticky error.
 */
int s3_xml_open(s3_xml_writer *w, const char *name);
int s3_xml_open_ns(s3_xml_writer *w, const char *name, const char *ns);

/* s3_xml_close -- closes the innermost open element; CF_EINVAL if none is open. */
int s3_xml_close(s3_xml_writer *w);

/* s3_xml_text -- escaped text inside the current element. */
int s3_xml_text(s3_xml_writer *w, cf_slice text);

/* s3_xml_elem* -- <name>text</name> in one call. */
int s3_xml_elem(s3_xml_writer *w, const char *name, cf_slice text);
int s3_xml_elem_str(s3_xml_writer *w, const char *name, const char *text);
int s3_xml_elem_u64(s3_xml_writer *w, const char *name, uint64_t v);
int s3_xml_elem_bool(s3_xml_writer *w, const char *name, bool v);

/*
 * s3_xml_writer_finish -- 0 if every write succeeded and every element is
 * closed; else the first error (CF_ENOMEM, CF_ELIMIT, CF_EINVAL). The bytes
 * written so far stay in out either way.
 */
int s3_xml_writer_finish(const s3_xml_writer *w);

/*
 * s3_xml_escape -- appends text to out with & < > " ' as entities and the
 * control bytes XML 1.0 cannot hold literally (all below 0x20 except tab and
 * newline) as &#xH; references. Bytes >= 0x80 pass through: the caller
 * supplies valid UTF-8. CF_ENOMEM.
 */
int s3_xml_escape(cf_buf *out, cf_slice text);

/* ---- request body parsers ---- */

#define S3_XML_MAX_DEPTH 16                       /* element nesting */
#define S3_XML_DELETE_MAX_BODY_BYTES (2u << 20)   /* 1000 keys of 1 KiB, plus markup */
#define S3_XML_DELETE_MAX_OBJECTS 1000            /* S3's limit */
#define S3_XML_MAX_KEY_BYTES 1024                 /* S3's key limit */
#define S3_XML_COMPLETE_MAX_BODY_BYTES (5u << 20) /* 10,000 parts with checksums */
#define S3_XML_COMPLETE_MAX_PARTS 10000           /* S3's part number range is 1..10000 */
#define S3_XML_TAGGING_MAX_BODY_BYTES (256u << 10)
#define S3_XML_MAX_OBJECT_TAGS 10      /* S3's limit per object */
#define S3_XML_MAX_BUCKET_TAGS 50      /* S3's limit per bucket */
#define S3_XML_TAG_KEY_MAX_CHARS 128   /* Unicode characters */
#define S3_XML_TAG_VALUE_MAX_CHARS 256 /* Unicode characters */
#define S3_XML_CREATE_BUCKET_MAX_BODY_BYTES (64u << 10)
#define S3_XML_MAX_LOCATION_BYTES 64 /* a region name */
#define S3_XML_MAX_FIELD_BYTES 1024  /* any other text field (ETag, VersionId) */

/* s3_xml_span -- bytes [off, off + len) of a result's text buffer. */
typedef struct s3_xml_span {
    uint32_t off;
    uint32_t len;
} s3_xml_span;

static inline cf_slice s3_xml_span_get(const cf_buf *text, s3_xml_span s)
{
    return s.len ? slice_make(text->data + s.off, s.len) : slice_make(NULL, 0);
}

/* POST /{bucket}?delete body: <Delete><Quiet/><Object><Key/><VersionId/></Object>...</Delete> */
typedef struct s3_delete_object {
    s3_xml_span key;        /* may be empty: the handler reports it per key */
    s3_xml_span version_id; /* len 0: none given */
} s3_delete_object;

typedef struct s3_delete_req {
    bool quiet;
    size_t n_objects;    /* 1 ..= S3_XML_DELETE_MAX_OBJECTS on success */
    cf_buf text;         /* key and version id bytes */
    cf_buf objects;      /* n_objects s3_delete_object, in document order */
    const char *message; /* on error: a detail for the response, or NULL */
} s3_delete_req;

static inline const s3_delete_object *s3_delete_req_objects(const s3_delete_req *r)
{
    return (const s3_delete_object *)(const void *)r->objects.data;
}

/*
 * s3_xml_parse_delete -- parses a DeleteObjects body into out (reset on
 * entry, its buffers reused). Returns S3_ERR_NONE, MalformedXML (bad XML, a
 * DOCTYPE, no or too many objects, an Object without Key, a Quiet other than
 * true/false), KeyTooLongError, MaxMessageLengthExceeded, InternalError (no
 * memory). Caller frees out with s3_delete_req_free().
 */
s3_err_code s3_xml_parse_delete(const uint8_t *body, size_t len, s3_delete_req *out);
void s3_delete_req_free(s3_delete_req *r);

/* POST /{bucket}/{key}?uploadId=U body: <CompleteMultipartUpload><Part>...</Part>... */
enum {
    S3_CKSUM_CRC32 = 0,
    S3_CKSUM_CRC32C = 1,
    S3_CKSUM_CRC64NVME = 2,
    S3_CKSUM_SHA1 = 3,
    S3_CKSUM_SHA256 = 4,
    S3_CKSUM_COUNT = 5
};

typedef struct s3_complete_part {
    uint32_t part_number;                 /* 1 ..= 10000, strictly ascending */
    s3_xml_span etag;                     /* as sent, quotes included */
    s3_xml_span checksum[S3_CKSUM_COUNT]; /* <ChecksumCRC32> ...; len 0: absent */
} s3_complete_part;

typedef struct s3_complete_req {
    size_t n_parts;      /* >= 1 on success */
    cf_buf text;         /* etag and checksum bytes */
    cf_buf parts;        /* n_parts s3_complete_part */
    const char *message; /* on error: a detail, or NULL */
} s3_complete_req;

static inline const s3_complete_part *s3_complete_req_parts(const s3_complete_req *r)
{
    return (const s3_complete_part *)(const void *)r->parts.data;
}

/*
 * s3_xml_parse_complete -- parses a CompleteMultipartUpload body. Returns
 * S3_ERR_NONE, MalformedXML (bad XML, no parts, a Part without PartNumber or
 * ETag, a PartNumber that is not a number), InvalidArgument (PartNumber
 * outside 1..10000), InvalidPartOrder (not strictly ascending),
 * MaxMessageLengthExceeded, InternalError. Caller frees with s3_complete_req_free().
 */
s3_err_code s3_xml_parse_complete(const uint8_t *body, size_t len, s3_complete_req *out);
void s3_complete_req_free(s3_complete_req *r);

/* PUT ?tagging body: <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging> */
typedef struct s3_tag {
    s3_xml_span key;
    s3_xml_span value;
} s3_tag;

typedef struct s3_tagging {
    size_t n_tags; /* may be 0: an empty TagSet */
    s3_tag tags[S3_XML_MAX_BUCKET_TAGS];
    cf_buf text;
    const char *message;
} s3_tagging;

/*
 * s3_xml_parse_tagging -- parses a Tagging body allowing at most max_tags
 * tags (S3_XML_MAX_OBJECT_TAGS or S3_XML_MAX_BUCKET_TAGS). Returns
 * S3_ERR_NONE, MalformedXML (bad XML, a Tag without Key or Value),
 * InvalidTag (too many tags, a key of 0 or more than 128 characters, a value
 * over 256 characters, a repeated key, a key starting "aws:"),
 * MaxMessageLengthExceeded, InternalError. Caller frees with s3_tagging_free().
 */
s3_err_code s3_xml_parse_tagging(const uint8_t *body, size_t len, size_t max_tags, s3_tagging *out);
void s3_tagging_free(s3_tagging *t);

/* PUT /{bucket} body: <CreateBucketConfiguration><LocationConstraint/>... */
typedef struct s3_create_bucket_conf {
    bool has_location;
    s3_xml_span location; /* the region name */
    cf_buf text;
    const char *message;
} s3_create_bucket_conf;

/*
 * s3_xml_parse_create_bucket -- parses a CreateBucketConfiguration body
 * (an empty body is the caller's case: no configuration). Returns
 * S3_ERR_NONE, MalformedXML, InvalidLocationConstraint (over
 * S3_XML_MAX_LOCATION_BYTES), MaxMessageLengthExceeded, InternalError.
 * Caller frees with s3_create_bucket_conf_free().
 */
s3_err_code s3_xml_parse_create_bucket(const uint8_t *body, size_t len, s3_create_bucket_conf *out);
void s3_create_bucket_conf_free(s3_create_bucket_conf *c);

/* PUT ?acl body: <AccessControlPolicy><Owner><ID/></Owner><AccessControlList><Grant>
 * <Grantee><ID/>|<URI/>|<EmailAddress/></Grantee><Permission/></Grant>...</...> */
#define S3_XML_ACL_MAX_BODY_BYTES (64u << 10)
#define S3_XML_ACL_MAX_GRANTS 100 /* S3's limit per ACL */

enum { S3_XML_GRANTEE_ID = 1, S3_XML_GRANTEE_URI, S3_XML_GRANTEE_EMAIL };

typedef struct s3_xml_grant {
    int grantee;       /* S3_XML_GRANTEE_*: which child named the grantee */
    s3_xml_span who;   /* its text */
    s3_xml_span perm;  /* Permission, as sent */
} s3_xml_grant;

typedef struct s3_acl_doc {
    bool has_owner;
    s3_xml_span owner; /* Owner/ID */
    size_t n_grants;
    s3_xml_grant grants[S3_XML_ACL_MAX_GRANTS];
    cf_buf text;
    const char *message;
} s3_acl_doc;

/*
 * s3_xml_parse_acl -- parses an AccessControlPolicy body. Returns
 * S3_ERR_NONE, MalformedACLError (bad XML, a Grant without exactly one
 * grantee or without a Permission, more than 100 grants),
 * MaxMessageLengthExceeded, InternalError. The caller judges the values.
 * Caller frees with s3_acl_doc_free().
 */
s3_err_code s3_xml_parse_acl(const uint8_t *body, size_t len, s3_acl_doc *out);
void s3_acl_doc_free(s3_acl_doc *d);

/* PUT ?ownershipControls body: <OwnershipControls><Rule><ObjectOwnership/></Rule></...>,
 * one rule; PUT ?publicAccessBlock body: <PublicAccessBlockConfiguration> with
 * BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets. */
#define S3_XML_SMALL_MAX_BODY_BYTES (16u << 10)

/*
 * s3_xml_parse_ownership -- the ObjectOwnership value into out[cap] (NUL-
 * terminated, not judged). S3_ERR_NONE, MalformedXML (bad XML, not exactly
 * one Rule with one ObjectOwnership), MaxMessageLengthExceeded.
 */
s3_err_code s3_xml_parse_ownership(const uint8_t *body, size_t len, char *out, size_t cap,
                                   const char **message);

/*
 * s3_xml_parse_public_block -- flags[i] for BlockPublicAcls, IgnorePublicAcls,
 * BlockPublicPolicy, RestrictPublicBuckets (in that order): true or false, an
 * absent element false as S3. MalformedXML for a value other than true/false.
 */
s3_err_code s3_xml_parse_public_block(const uint8_t *body, size_t len, bool flags[4],
                                      const char **message);

/* PUT ?cors body: <CORSConfiguration><CORSRule><ID/><AllowedOrigin/>...<AllowedMethod/>...
 * <AllowedHeader/>...<ExposeHeader/>...<MaxAgeSeconds/></CORSRule>...</CORSConfiguration> */
#define S3_XML_CORS_MAX_BODY_BYTES (64u << 10) /* S3's limit */
#define S3_XML_CORS_MAX_RULES 100              /* S3's limit */
#define S3_XML_CORS_MAX_FIELD_BYTES 1024       /* an origin, header name, ID */

/*
 * s3_xml_parse_cors -- parses a CORSConfiguration body into its line form
 * (doc/formats.md, "Bucket CORS"; cors.h reads it), appended to out after
 * clearing it. S3_ERR_NONE, MalformedXML (bad XML, no rule, more than 100,
 * a rule without AllowedOrigin or AllowedMethod, two IDs or MaxAgeSeconds, a
 * MaxAgeSeconds that is not a number, an empty value or one holding a
 * control byte), InvalidRequest (a method other than GET PUT POST DELETE
 * HEAD; an origin or header with two wildcards), MaxMessageLengthExceeded,
 * InternalError. *message says why, or is NULL; it may point into msgbuf[msgcap].
 */
s3_err_code s3_xml_parse_cors(const uint8_t *body, size_t len, cf_buf *out, char *msgbuf,
                              size_t msgcap, const char **message);

#endif
