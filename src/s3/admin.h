/*
 * admin.h -- internal to the admin API's files (admin.c, admin_users.c,
 * admin_buckets.c, admin_json.c): the JSON plumbing they share. doc/admin.md is the
 * contract; s3_h_admin (s3_int.h) is the entry point.
 */
#ifndef S3_ADMIN_H
#define S3_ADMIN_H

#include <json-c/json.h>

#include "s3/s3_int.h"

/* s3_admin_method -- r's method is method (GET also matches HEAD). */
bool s3_admin_method(const s3_req *r, const char *method);
/* s3_admin_under -- path is top or top/...: rest gets what follows the '/' (empty if none). */
bool s3_admin_under(cf_slice path, const char *top, cf_slice *rest);
#define S3_ADMIN_MAX_BODY 4096 /* every admin request body is a handful of members */

/* s3_admin_json -- text parsed as one JSON value, all of it; NULL if it is not (admin_json.c). */
json_object *s3_admin_json(cf_slice text);
/*
 * s3_admin_parse -- body as a JSON object whose members are all named in
 * allowed (NULL-terminated) with the json_type at the same index in types;
 * an empty body is an empty object. NULL with why (cap bytes) naming the
 * problem otherwise. The caller puts the result.
 */
json_object *s3_admin_parse(cf_slice body, const char *const *allowed, const json_type *types,
                            char *why, size_t cap);
/* s3_admin_body -- s3_admin_parse of the request body; NULL after answering the error
 * (MalformedJSON naming the problem, or the body's own: too large, bad digest). */
json_object *s3_admin_body(s3_req *r, const char *const *allowed, const json_type *types);
/* s3_admin_reply -- answers status with doc as the JSON body, and puts doc. */
void s3_admin_reply(s3_req *r, int status, json_object *doc);

/* s3_cdc_settings_json -- bucket b's change log settings c as GET /BUCKET?cdc shows them (cdc.c). */
json_object *s3_cdc_settings_json(const store_bucket *b, const store_cdc_config *c);

void s3_admin_users(s3_req *r, cf_slice rest);   /* /_coffer/users... */
void s3_admin_buckets(s3_req *r, cf_slice rest); /* /_coffer/buckets... */

#endif
