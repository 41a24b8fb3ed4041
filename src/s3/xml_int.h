/*
 * xml_int.h -- the bounded expat driver behind the request body parsers,
 * shared by the files that define documents (xml_parse.c: DeleteObjects,
 * CompleteMultipartUpload, Tagging, CreateBucketConfiguration;
 * xml_parse_access.c: AccessControlPolicy, OwnershipControls,
 * PublicAccessBlockConfiguration; xml_parse_cors.c: CORSConfiguration).
 * Internal to the s3 layer; the public
 * face of each document is in xml.h, whose invariants (1)-(4) the driver
 * keeps for every document.
 *
 * A document is a table of rules: an element is known when a rule names it
 * under its parent's id; a known element is a container or a text field
 * (max_bytes > 0) whose text goes straight into the result's text buffer.
 * Ids double as bits of parser.seen and parser.doc_seen, so they are < 32.
 */
#ifndef S3_XML_INT_H
#define S3_XML_INT_H

#include <expat.h>

#include "s3/xml.h"

enum { ROOT = 0 }; /* the parent id of a document's root element */

typedef struct s3_xml_rule {
    int parent;
    const char *name;     /* local name (any namespace) */
    int id;               /* < 32: ids double as bits of parser.seen */
    uint32_t max_bytes;   /* a text field of at most this many bytes; 0: a container */
    s3_err_code too_long; /* the error when the field is longer */
    const char *too_long_msg;
} s3_xml_rule;

typedef struct s3_xml_parser s3_xml_parser;

typedef struct s3_xml_doc {
    const s3_xml_rule *rules;
    size_t n_rules;
    /* start -- a known container opened */
    s3_err_code (*start)(s3_xml_parser *p, int id);
    /* end -- a known element closed; text is its field text (len 0 for containers) */
    s3_err_code (*end)(s3_xml_parser *p, int id, s3_xml_span text);
} s3_xml_doc;

struct s3_xml_parser {
    XML_Parser xp;
    const s3_xml_doc *doc;
    void *out;    /* the result being filled */
    cf_buf *text; /* the result's text buffer */
    int stack[S3_XML_MAX_DEPTH];
    int depth;          /* elements open, skipped ones included */
    int skip;           /* > 0: inside an unknown element, this many levels deep */
    const s3_xml_rule *field;  /* the text field being collected, or NULL */
    uint32_t field_off; /* where its text starts in *text */
    s3_err_code err;
    const char *msg;
    /* per-document state */
    uint32_t seen;      /* bit per field id seen in the current item */
    uint32_t doc_seen;  /* bit per element id seen anywhere */
    uint32_t last_part; /* CompleteMultipartUpload: the previous part number */
};

/* s3_xml_run -- parses body (at most max_len bytes) against d, filling out through d's
 * callbacks and text; returns p->err (S3_ERR_NONE on success), p->msg says why. */
s3_err_code s3_xml_run(s3_xml_parser *p, const s3_xml_doc *d, void *out, cf_buf *text, const uint8_t *body,
                       size_t len, size_t max_len);

/* s3_xml_field_seen -- records field id in the current item; false if it was already there. */
bool s3_xml_field_seen(s3_xml_parser *p, int id);

/* s3_xml_trimmed -- the text of span s without surrounding blanks. */
cf_slice s3_xml_trimmed(const s3_xml_parser *p, s3_xml_span s);

/* s3_xml_fail -- sets p->msg and returns err (for the end/start callbacks). */
s3_err_code s3_xml_fail(s3_xml_parser *p, s3_err_code err, const char *msg);

#endif
