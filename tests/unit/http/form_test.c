/*
 * form_test.c -- the multipart/form-data decoder.
 *
 * Each table row is decoded whole, split in two at every offset, and one
 * byte at a time; the transcript of events and data, and the result, must
 * be identical every way (the decoder keeps its state across calls, and
 * holds back bytes that may begin a delimiter). A transcript is
 * "P<name>|<filename>|<type>{<data>}" per part ('-' for an absent
 * parameter or header) and "D" at the close delimiter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "test.h"

typedef struct result {
    int rc;           /* 0 at DONE, CF_EAGAIN if the input ended first, or the error */
    size_t used;      /* bytes consumed (rc 0 or CF_EAGAIN) */
    cf_buf out;       /* the transcript */
    size_t max_field; /* the largest f.field_bytes seen */
} result;

static void put(cf_buf *b, const char *s, size_t n)
{
    buf_append(b, s, n);
}

static void put_str(cf_buf *b, const char *s, bool has)
{
    if (has)
        put(b, s, strlen(s));
    else
        put(b, "-", 1);
}

/* stream_names: parts with this name are marked streamed (their data is not counted). */
static const char *stream_name = "file";

/*
 * decode -- feeds the first first_cut bytes, then pieces of step bytes,
 * calling again while a piece has bytes left or a call made progress.
 */
static void decode(cf_slice ct, const uint8_t *in, size_t len, size_t first_cut, size_t step,
                   result *r)
{
    static http_form f;
    buf_clear(&r->out);
    r->max_field = 0;
    r->used = 0;
    r->rc = http_form_begin(&f, ct);
    if (r->rc)
        return;
    r->rc = CF_EAGAIN;
    size_t pos = 0, piece_end = first_cut < len ? first_cut : len;
    for (;;) {
        for (;;) {
            const uint8_t *data;
            size_t n;
            int ev;
            int rc = http_form_feed(&f, in + pos, piece_end - pos, &data, &n, &ev);
            if (rc < 0) {
                r->rc = rc;
                return;
            }
            if ((size_t)rc > piece_end - pos) {
                r->rc = -102; /* consumed more than it was given */
                return;
            }
            bool in_input = data >= in + pos && data + n <= in + pos + (size_t)rc;
            bool in_state =
                (const char *)data >= f.delim && (const char *)data + n <= f.delim + f.delim_len;
            if (n > 0 && !in_input && !in_state) {
                r->rc = -101; /* data neither among the consumed bytes nor held */
                return;
            }
            if (n > 0)
                put(&r->out, (const char *)data, n);
            pos += (size_t)rc;
            if (f.field_bytes > r->max_field)
                r->max_field = f.field_bytes;
            if (ev == HTTP_FORM_EV_PART) {
                put(&r->out, "P", 1);
                put_str(&r->out, f.name, f.has_name);
                put(&r->out, "|", 1);
                put_str(&r->out, f.filename, f.has_filename);
                put(&r->out, "|", 1);
                put_str(&r->out, f.type, f.has_type);
                put(&r->out, "{", 1);
                if (f.has_name && strcmp(f.name, stream_name) == 0)
                    f.stream = true;
            } else if (ev == HTTP_FORM_EV_PART_END) {
                put(&r->out, "}", 1);
            } else if (ev == HTTP_FORM_EV_DONE) {
                put(&r->out, "D", 1);
                r->rc = 0;
            }
            if (rc == 0 && n == 0 && ev == HTTP_FORM_EV_NONE) {
                if (pos < piece_end) {
                    r->rc = -100; /* no progress: a decoder bug */
                    return;
                }
                break;
            }
        }
        if (piece_end == len)
            break;
        piece_end = len - piece_end < step ? len : piece_end + step;
    }
    r->used = pos;
}

static bool same_result(const result *a, const result *b)
{
    /* After an error, how much was reported before it depends on the split. */
    if (a->rc != b->rc)
        return false;
    if (a->rc < 0)
        return true;
    return a->used == b->used && a->out.len == b->out.len &&
           (a->out.len == 0 || memcmp(a->out.data, b->out.data, a->out.len) == 0);
}

static result whole, split;

/* check_splits -- two pieces at every offset (stride past the first and
 * last 160 bytes) and one byte at a time, against the whole input. */
static void check_splits(cf_slice ct, const uint8_t *in, size_t len, size_t stride)
{
    decode(ct, in, len, len, len, &whole);
    for (size_t k = 0; k <= len; k += (k < 160 || len - k < 160) ? 1 : stride) {
        decode(ct, in, len, k, len, &split);
        if (!CHECK(same_result(&split, &whole))) {
            fprintf(stderr, "  split at %zu: rc %d used %zu\n", k, split.rc, split.used);
            return;
        }
    }
    decode(ct, in, len, 1, 1, &split);
    CHECK(same_result(&split, &whole));
}

#define CT "multipart/form-data; boundary=XyZ"
#define B "--XyZ"

static const struct {
    const char *ct; /* NULL: CT */
    const char *in;
    int rc;
    const char *out;
} table[] = {
    /* the usual: fields, then a file, then nothing */
    {NULL,
     B "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuser/${filename}\r\n" B
       "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
       "Content-Type: text/plain\r\n\r\nhello\r\n" B "--\r\n",
     0, "Pkey|-|-{user/${filename}}Pfile|a.txt|text/plain{hello}D"},
    /* preamble and epilogue are skipped; padding after a delimiter */
    {NULL, "ignored\r\n" B " \t\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n" B "--tail",
     0, "Pa|-|-{1}D"},
    {NULL, "\r\n" B "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n" B "--", 0,
     "Pa|-|-{1}D"},
    /* a preamble that almost holds a delimiter */
    {NULL, "\r\n--Xy\r\n--XY\r\n" B "\r\n\r\nz\r\n" B "--", 0, "P-|-|-{z}D"},
    /* data holding near-delimiters: CR, CRLF, CRLF--, CRLF--XyQ */
    {NULL,
     B "\r\nContent-Disposition: form-data; name=d\r\n\r\na\rb\r\nc\r\n--d\r\n--XyQ\r\r\n--X\r\n" B
       "--",
     0, "Pd|-|-{a\rb\r\nc\r\n--d\r\n--XyQ\r\r\n--X}D"},
    /* a part with no headers and no data; an empty form */
    {NULL, B "\r\n\r\n\r\n" B "--", 0, "P-|-|-{}D"},
    {NULL, B "--", 0, "D"},
    /* quoted-string escapes, a Windows path, parameters in any case and order */
    {NULL,
     B "\r\ncontent-disposition: Form-Data; FILENAME=\"C:\\dir\\a \\\"b\\\".txt\"; Name=file\r\n"
       "\r\nx\r\n" B "--",
     0, "Pfile|C:\\dir\\a \"b\".txt|-{x}D"},
    /* other headers dropped; another disposition type; a trailing ';' */
    {NULL, B "\r\nX-Other: 1\r\nContent-Disposition: attachment; name=\"f\";\r\n\r\n\r\n" B "--", 0,
     "Pf|-|-{}D"},
    /* not done yet */
    {NULL, B "\r\nContent-Disposition: form-data; name=a\r\n\r\nabc\r\n-", CF_EAGAIN, "Pa|-|-{abc"},
    {NULL, B "\r\nContent-Disposition: form-data; name=a\r\n", CF_EAGAIN, ""},
    {NULL, "", CF_EAGAIN, ""},
    {NULL, "preamble only", CF_EAGAIN, ""},
    /* bad framing */
    {NULL, B "x\r\n\r\n\r\n" B "--", CF_EINVAL, ""}, /* the boundary followed by other text */
    {NULL, B "\n\r\n\r\n" B "--", CF_EINVAL, ""},    /* bare LF after the delimiter */
    {NULL, B "\r\nA: b\n\r\n", CF_EINVAL, ""},       /* bare LF in the headers */
    {NULL, B "\r\nA b\r\n\r\n", CF_EINVAL, ""},      /* no colon */
    {NULL, B "\r\nA : b\r\n\r\n", CF_EINVAL, ""},    /* whitespace before the colon */
    {NULL, B "\r\n folded\r\n\r\n", CF_EINVAL, ""},  /* obs-fold */
    {NULL, B "\r\nA: b\x01\r\n\r\n", CF_EINVAL, ""}, /* a CTL */
    {NULL, B "-x", CF_EINVAL, ""},                   /* one dash */
    {NULL, B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\n", CF_EINVAL, ""},
    {NULL, B "\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n", CF_EINVAL, ""},
    {NULL, B "\r\nContent-Disposition: form-data\r\nContent-Disposition: form-data\r\n\r\n",
     CF_EINVAL, ""},
    {NULL, B "\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n", CF_EINVAL, ""},
    {NULL, B "\r\nContent-Disposition: form-data; name\r\n\r\n", CF_EINVAL, ""},
    {NULL, B "\r\nContent-Disposition: form-data; name =a\r\n\r\n", CF_EINVAL, ""},
    {NULL, B "\r\nContent-Disposition: form-data, name=a\r\n\r\n", CF_EINVAL, ""},
    {NULL, B "\r\nContent-Disposition: ; name=a\r\n\r\n", CF_EINVAL, ""},
    {NULL, B "\r\nContent-Disposition: form-data; name=\r\n\r\n", CF_EINVAL, ""},
    /* the Content-Type header's boundary */
    {"Multipart/Form-Data; charset=utf-8; Boundary=\"a b:c\"", "--a b:c\r\n\r\nv\r\n--a b:c--", 0,
     "P-|-|-{v}D"},
    {"multipart/form-data;boundary=----WebKitFormBoundaryAbC123",
     "------WebKitFormBoundaryAbC123--", 0, "D"},
    {"multipart/form-data", "", CF_EINVAL, ""},
    {"multipart/form-data; boundary=", "", CF_EINVAL, ""},
    {"multipart/form-data; boundary=\"\"", "", CF_EINVAL, ""},
    {"multipart/form-data; boundary=\"ab \"", "", CF_EINVAL, ""}, /* ends in a space */
    {"multipart/form-data; boundary=a\rb", "", CF_EINVAL, ""},
    {"multipart/form-data; boundary=\"a\rb\"", "", CF_EINVAL, ""},
    {"multipart/form-data; boundary=a; boundary=b", "", CF_EINVAL, ""},
    {"multipart/mixed; boundary=a", "", CF_EINVAL, ""},
    {"text/plain", "", CF_EINVAL, ""},
    {"multipart/form-dataX; boundary=a", "", CF_EINVAL, ""},
    {"", "", CF_EINVAL, ""},
};

static void test_table_every_split(void)
{
    for (size_t i = 0; i < TEST_COUNT(table); i++) {
        const char *ct = table[i].ct ? table[i].ct : CT;
        const uint8_t *in = (const uint8_t *)table[i].in;
        size_t len = strlen(table[i].in);
        decode(slice_str(ct), in, len, len, len, &whole);
        if (!CHECK_EQ(whole.rc, table[i].rc) ||
            !CHECK_MEM(whole.out.data, whole.out.len, table[i].out, strlen(table[i].out))) {
            fprintf(stderr, "  row %zu: %s\n", i, table[i].in);
            continue;
        }
        if (whole.rc == 0 || whole.rc == CF_EAGAIN)
            CHECK_EQ(whole.used, len); /* the epilogue is consumed too */
        check_splits(slice_str(ct), in, len, 1);
    }
}

/* test_utf8_filename_is_kept -- obs-text (UTF-8) in a quoted filename is kept as sent. */
static void test_utf8_filename_is_kept(void)
{
    static const char in[] = B "\r\nContent-Disposition: form-data; name=file; "
                               "filename=\"\xc3\xa9t\xc3\xa9.jpg\"\r\n\r\nx\r\n" B "--";
    decode(slice_str(CT), (const uint8_t *)in, sizeof in - 1, sizeof in - 1, 1, &whole);
    const char want[] = "Pfile|\xc3\xa9t\xc3\xa9.jpg|-{x}D";
    CHECK_EQ(whole.rc, 0);
    CHECK_MEM(whole.out.data, whole.out.len, want, sizeof want - 1);
}

/* make_body -- a form of fields and a file whose data holds many near-delimiters. */
static void make_body(cf_buf *b, cf_buf *want, size_t file_len)
{
    static const char *fields[][2] = {
        {"key", "photos/${filename}"},
        {"x-amz-algorithm", "AWS4-HMAC-SHA256"},
        {"policy", "eyJleHBpcmF0aW9uIjoiMjAzMC0wMS0wMVQwMDowMDowMFoifQ=="},
        {"x-amz-meta-empty", ""}};
    buf_clear(b);
    buf_clear(want);
    for (size_t i = 0; i < 4; i++) {
        char head[256];
        int n =
            snprintf(head, sizeof head,
                     "--XyZ\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n", fields[i][0]);
        buf_append(b, head, (size_t)n);
        buf_append(b, fields[i][1], strlen(fields[i][1]));
        buf_append(b, "\r\n", 2);
        n = snprintf(head, sizeof head, "P%s|-|-{%s}", fields[i][0], fields[i][1]);
        buf_append(want, head, (size_t)n);
    }
    static const char fh[] = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                             "filename=\"p.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    buf_append(b, fh, sizeof fh - 1);
    buf_append(want, "Pfile|p.bin|application/octet-stream{", 37);
    static const char *const bits[] = {"\r",       "\r\n",      "\r\n-", "\r\n--",  "\r\n--X",
                                       "\r\n--Xy", "\r\n--XyQ", "--XyZ", "\n--XyZ", "abc"};
    size_t k = 0;
    while (k < file_len) {
        const char *bit = bits[test_rand() % 10];
        size_t n = strlen(bit) < file_len - k ? strlen(bit) : file_len - k;
        buf_append(b, bit, n);
        /* never the delimiter itself: "\r" + "\n--XyZ" or "\r\n" + "--XyZ" */
        size_t tail = b->len < 16 ? b->len : 16;
        if (memmem(b->data + b->len - tail, tail, "\r\n--XyZ", 7)) {
            b->len -= n;
            continue;
        }
        buf_append(want, bit, n);
        k += n;
    }
    static const char tail[] = "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"submit\"\r\n"
                               "\r\nUpload\r\n--XyZ--\r\n";
    buf_append(b, tail, sizeof tail - 1);
    buf_append(want, "}Psubmit|-|-{Upload}D", 21);
}

/* test_realistic_body_every_split -- a file of near-delimiters split everywhere. */
static void test_realistic_body_every_split(void)
{
    cf_buf body = {0}, want = {0};
    make_body(&body, &want, 1500);
    decode(slice_str(CT), body.data, body.len, body.len, body.len, &whole);
    CHECK_EQ(whole.rc, 0);
    CHECK_EQ(whole.used, body.len);
    CHECK_MEM(whole.out.data, whole.out.len, want.data, want.len);
    check_splits(slice_str(CT), body.data, body.len, 1);
    /* pieces of 2..17 bytes, as a slow reader delivers them */
    for (size_t step = 2; step < 18; step++) {
        decode(slice_str(CT), body.data, body.len, step, step, &split);
        CHECK(same_result(&split, &whole));
    }
    buf_free(&body);
    buf_free(&want);
}

/* test_streamed_data_is_not_counted -- 1 MiB in the file part, fields counted exactly. */
static void test_streamed_data_is_not_counted(void)
{
    cf_buf body = {0}, want = {0};
    make_body(&body, &want, 1u << 20);
    decode(slice_str(CT), body.data, body.len, body.len, 4096, &whole);
    CHECK_EQ(whole.rc, 0);
    CHECK_MEM(whole.out.data, whole.out.len, want.data, want.len);
    /* everything but the file's data and the epilogue "\r\n" */
    CHECK_EQ(whole.max_field, body.len - (1u << 20) - 2);
    stream_name = "none";
    decode(slice_str(CT), body.data, body.len, body.len, 4096, &whole);
    CHECK_EQ(whole.rc, CF_ELIMIT);
    stream_name = "file";
    buf_free(&body);
    buf_free(&want);
}

/* fill -- n bytes of c. */
static void fill(cf_buf *b, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_append(b, &c, 1);
}

/* field_form -- one field of value_len bytes: its length in all. */
static void field_form(cf_buf *b, size_t value_len)
{
    static const char head[] = "--XyZ\r\nContent-Disposition: form-data; name=v\r\n\r\n";
    buf_clear(b);
    buf_append(b, head, sizeof head - 1);
    fill(b, 'v', value_len);
    buf_append(b, "\r\n--XyZ--", 9);
}

/* test_field_bytes_limit -- HTTP_FORM_MAX_FIELD_BYTES exactly, and one more. */
static void test_field_bytes_limit(void)
{
    cf_buf b = {0};
    field_form(&b, 0);
    size_t frame = b.len; /* the head and the close delimiter around the value */
    field_form(&b, HTTP_FORM_MAX_FIELD_BYTES - frame);
    CHECK_EQ(b.len, HTTP_FORM_MAX_FIELD_BYTES);
    decode(slice_str(CT), b.data, b.len, b.len, 1000, &whole);
    CHECK_EQ(whole.rc, 0);
    CHECK_EQ(whole.max_field, HTTP_FORM_MAX_FIELD_BYTES);
    field_form(&b, HTTP_FORM_MAX_FIELD_BYTES - frame + 1);
    check_splits(slice_str(CT), b.data, b.len, 997);
    CHECK_EQ(whole.rc, CF_ELIMIT);
    buf_free(&b);
}

/* test_header_limits -- a line, a header section, a name, a filename, a type, parts. */
static void test_header_limits(void)
{
    cf_buf b = {0};
    /* a header line of HTTP_FORM_MAX_LINE_BYTES passes, one more does not */
    for (int extra = 0; extra < 2; extra++) {
        buf_clear(&b);
        buf_append(&b, "--XyZ\r\nX-Pad: ", 14);
        fill(&b, 'p', HTTP_FORM_MAX_LINE_BYTES - 7 + (size_t)extra);
        buf_append(&b, "\r\n\r\n\r\n--XyZ--", 13);
        decode(slice_str(CT), b.data, b.len, b.len, 1, &whole);
        CHECK_EQ(whole.rc, extra ? CF_ELIMIT : 0);
    }
    /* a header section of HTTP_FORM_MAX_HEAD_BYTES passes, one more does not */
    for (int extra = 0; extra < 2; extra++) {
        buf_clear(&b);
        buf_append(&b, "--XyZ\r\n", 7);
        size_t head = 0;
        while (head + 1000 <= HTTP_FORM_MAX_HEAD_BYTES - 2) {
            buf_append(&b, "X: ", 3);
            fill(&b, 'h', 995);
            buf_append(&b, "\r\n", 2);
            head += 1000;
        }
        size_t rest = HTTP_FORM_MAX_HEAD_BYTES - 2 - head + (size_t)extra; /* - the empty line */
        buf_append(&b, "Y: ", 3);
        fill(&b, 'h', rest - 5);
        buf_append(&b, "\r\n\r\n\r\n--XyZ--", 13);
        decode(slice_str(CT), b.data, b.len, b.len, 1, &whole);
        CHECK_EQ(whole.rc, extra ? CF_ELIMIT : 0);
    }
    /* name, filename and type values one past their limits */
    static const struct {
        const char *pre, *post;
        size_t limit;
    } v[] = {
        {"Content-Disposition: form-data; name=\"", "\"", HTTP_FORM_MAX_NAME_BYTES},
        {"Content-Disposition: form-data; name=f; filename=\"", "\"", HTTP_FORM_MAX_FILENAME_BYTES},
        {"Content-Type: ", "", HTTP_FORM_MAX_TYPE_BYTES}};
    for (size_t i = 0; i < 3; i++) {
        for (int extra = 0; extra < 2; extra++) {
            buf_clear(&b);
            buf_append(&b, "--XyZ\r\n", 7);
            buf_append(&b, v[i].pre, strlen(v[i].pre));
            fill(&b, 'n', v[i].limit + (size_t)extra);
            buf_append(&b, v[i].post, strlen(v[i].post));
            buf_append(&b, "\r\n\r\n\r\n--XyZ--", 13);
            decode(slice_str(CT), b.data, b.len, b.len, 7, &whole);
            CHECK_EQ(whole.rc, extra ? CF_ELIMIT : 0);
        }
    }
    /* HTTP_FORM_MAX_PARTS parts pass, one more does not */
    for (int extra = 0; extra < 2; extra++) {
        buf_clear(&b);
        for (size_t i = 0; i < HTTP_FORM_MAX_PARTS + (size_t)extra; i++)
            buf_append(&b, "--XyZ\r\n\r\n\r\n", 11);
        buf_append(&b, "--XyZ--", 7);
        decode(slice_str(CT), b.data, b.len, b.len, 64, &whole);
        CHECK_EQ(whole.rc, extra ? CF_ELIMIT : 0);
    }
    buf_free(&b);
}

/* test_boundary_of_70 -- 70 characters is the longest boundary, 71 is refused. */
static void test_boundary_of_70(void)
{
    char ct[128], body[256];
    memset(body, 0, sizeof body);
    char bnd[72];
    memset(bnd, 'b', 70);
    bnd[70] = '\0';
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", bnd);
    snprintf(body, sizeof body, "--%s\r\n\r\nv\r\n--%s--", bnd, bnd);
    check_splits(slice_str(ct), (const uint8_t *)body, strlen(body), 1);
    CHECK_EQ(whole.rc, 0);
    CHECK_MEM(whole.out.data, whole.out.len, "P-|-|-{v}D", 10);
    bnd[70] = 'b';
    bnd[71] = '\0';
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%s\"", bnd);
    decode(slice_str(ct), (const uint8_t *)body, strlen(body), 1, 1, &whole);
    CHECK_EQ(whole.rc, CF_EINVAL);
}

/* test_errors_are_sticky -- after an error every call fails, even with no input. */
static void test_errors_are_sticky(void)
{
    http_form f;
    const uint8_t *data;
    size_t n;
    int ev;
    CHECK_EQ(http_form_begin(&f, slice_str(CT)), 0);
    CHECK_EQ(http_form_feed(&f, (const uint8_t *)"--XyZx", 6, &data, &n, &ev), CF_EINVAL);
    CHECK_EQ(http_form_feed(&f, (const uint8_t *)"\r\n", 2, &data, &n, &ev), CF_EINVAL);
    CHECK_EQ(http_form_feed(&f, NULL, 0, &data, &n, &ev), CF_EINVAL);
    CHECK(data == NULL && n == 0 && ev == HTTP_FORM_EV_NONE);
    /* a form that failed to begin refuses every feed */
    CHECK_EQ(http_form_begin(&f, slice_str("text/plain")), CF_EINVAL);
    CHECK_EQ(http_form_feed(&f, (const uint8_t *)"--XyZ--", 7, &data, &n, &ev), CF_EINVAL);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_table_every_split),
        TEST(test_utf8_filename_is_kept),
        TEST(test_realistic_body_every_split),
        TEST(test_streamed_data_is_not_counted),
        TEST(test_field_bytes_limit),
        TEST(test_header_limits),
        TEST(test_boundary_of_70),
        TEST(test_errors_are_sticky),
    };
    int rc = test_main(cases, TEST_COUNT(cases));
    buf_free(&whole.out);
    buf_free(&split.out);
    return rc;
}
