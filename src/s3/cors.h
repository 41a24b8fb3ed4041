/*
 * cors.h -- bucket CORS rules: matching a request against the stored line
 * form and the Access-Control-* headers a match earns. Internal to the s3
 * layer; cors.c implements it with the PutBucketCors / GetBucketCors /
 * DeleteBucketCors handlers and the preflight (OPTIONS) answer. The line
 * form (xml_parse_cors.c writes it) is documented in doc/formats.md,
 * "Bucket CORS".
 *
 * Invariants:
 *  (1) the first rule whose origin, method and every requested header
 *      match wins; none match: no Access-Control-* header at all.
 *  (2) the header values are built into one buffer before any slice into
 *      it is taken, so the slices stay valid until that buffer changes.
 */
#ifndef S3_CORS_H
#define S3_CORS_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"
#include "util/buf.h"
#include "util/slice.h"

#define S3_CORS_MAX_HEADERS 8 /* Access-Control-* and Vary headers one answer carries */

typedef struct s3_cors_rule {
    cf_slice lines;  /* the rule's lines (after its "R\n"); a view into the stored form */
    bool any_origin; /* it matched by an AllowedOrigin of exactly "*" */
} s3_cors_rule;

/* s3_cors_valid -- is enc a line form xml_parse_cors.c could have written (rules each
 * starting "R" with an origin and a known method; only known tags)? coffer check's judge. */
bool s3_cors_valid(cf_slice enc);

/* s3_cors_wildcard -- does s match pat, whose one '*' (if any) stands for any bytes?
 * Case-insensitive when ci. */
bool s3_cors_wildcard(cf_slice pat, cf_slice s, bool ci);

/*
 * s3_cors_match -- the first rule of enc (the line form) allowing origin,
 * method and every name of req_headers (a comma-separated list, blanks
 * around names ignored; may be empty) into *out. false: none does.
 */
bool s3_cors_match(cf_slice enc, cf_slice origin, cf_slice method, cf_slice req_headers,
                   s3_cors_rule *out);

/*
 * s3_cors_headers -- the headers rule earns for a request from origin: Allow-Origin,
 * Allow-Methods, with preflight Allow-Headers (req_headers lowercased, if any),
 * Expose-Headers and Max-Age when configured, Allow-Credentials unless the origin
 * matched by "*", and Vary. Values go into vals (cleared first); h[S3_CORS_MAX_HEADERS]
 * gets views into it, valid until vals changes; *n their count. 0 or CF_ENOMEM.
 */
int s3_cors_headers(const s3_cors_rule *rule, cf_slice origin, bool preflight,
                    cf_slice req_headers, cf_buf *vals, http_header *h, size_t *n);

#endif
