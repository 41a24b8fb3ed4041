/*
 * post_form.h -- a browser upload's form (S3 POST Object) as post_object.c
 * reads it, shared with post_auth.c, which decides who signed it and checks
 * it against its policy. Internal to src/s3/.
 *
 * The fields before the file part are kept as sent (names and values in
 * text), then viewed with each name once, repeats joined with ',' and
 * ${filename} replaced (merged); every lookup by name is ASCII
 * case-insensitive, as S3's field names are.
 */
#ifndef S3_POST_FORM_H
#define S3_POST_FORM_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "s3/post_policy.h"
#include "s3/s3_int.h"

#define POST_IN_BYTES (64u * 1024) /* body bytes read at a time */

typedef struct s3_post_form s3_post_form;

typedef struct s3_post_form_field {
    uint32_t name_off, name_len; /* in text */
    uint32_t value_off, value_len;
} s3_post_form_field;

struct s3_post_form {
    s3_req *r;
    http_form form;
    bool eof;        /* the request body ended */
    bool have_file;  /* the part named "file" began */
    bool file_ended; /* and its data ended */
    size_t in_off, in_len;
    const uint8_t *pend; /* file data the decoder reported, not yet handed out */
    size_t pend_len;
    size_t n_fields;
    s3_post_form_field fields[HTTP_FORM_MAX_PARTS]; /* as sent, in text */
    cf_buf text;
    size_t n_view;
    s3_post_field view[HTTP_FORM_MAX_PARTS]; /* distinct names, in merged */
    cf_buf merged;
    bool has_filename;
    uint16_t filename_len;
    char filename[HTTP_FORM_MAX_FILENAME_BYTES + 1]; /* the file part's, after the last / or \ */
    s3_post_policy policy;
    uint8_t in[POST_IN_BYTES];
};

/* s3_post_form_get -- a field's value (repeats joined, ${filename} replaced); ptr NULL if absent.
 */
cf_slice s3_post_form_get(const s3_post_form *pf, const char *name);

/* s3_post_missing -- answers InvalidArgument "Bucket POST must contain a field named '<name>'..."
 */
void s3_post_missing(s3_req *r, const char *name);

/* s3_post_bad_argument -- answers InvalidArgument msg about field name's value. */
void s3_post_bad_argument(s3_req *r, const char *msg, const char *name, cf_slice value);

/*
 * s3_post_authenticate -- who signed the form, and does it satisfy its
 * policy: 0 with r->access_key, r->admin and r->user set (empty for an
 * anonymous form: no signature fields, and a policy nobody vouches for is
 * not checked) and *min_len, *max_len the policy's content-length-range;
 * otherwise it answered the error itself and returns -1.
 * REQUIRES: the fields are merged (pf->view).
 */
int s3_post_authenticate(s3_post_form *pf, uint64_t *min_len, uint64_t *max_len);

#endif
