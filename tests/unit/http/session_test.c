/*
 * session_test.c -- the session and exchange over an in-memory http_io.
 *
 * The fake connection (mem_io) holds everything the client will send; the
 * test decides how much of it has "arrived". A read with timeout 0 returns
 * only what has arrived; a blocking read (a body read) lets more arrive
 * first, as waiting on a real socket would, except past a gate that opens
 * only once "100 Continue" was written (a client waiting for it). Every
 * written byte is captured; Date values are blanked before comparing, and
 * responses are compared byte for byte.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"
#include "test.h"

typedef struct mem_io {
    const uint8_t *in;
    size_t in_len;  /* everything the client sends */
    size_t avail;   /* bytes arrived so far */
    size_t off;     /* bytes the server read */
    size_t step;    /* bytes a blocking read lets arrive (0: all) */
    size_t gate;    /* if > 0: bytes from here on arrive only after "100 Continue" */
    bool continued; /* "100 Continue" was written */
    bool eof;       /* once everything was read, read returns 0 (peer closed) */
    int writes;     /* writev calls */
    int fail_write; /* if > 0: this writev call (1-based) and later ones fail */
    cf_buf out;     /* every byte written */
} mem_io;

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

static ssize_t mem_read(void *ctx, void *buf, size_t cap, int timeout_ms)
{
    mem_io *m = ctx;
    size_t lim = m->gate > 0 && !m->continued ? m->gate : m->in_len;
    if (timeout_ms > 0 && m->off == m->avail && m->avail < lim) /* waiting: more arrives */
        m->avail = m->step == 0 || lim - m->avail < m->step ? lim : m->avail + m->step;
    size_t arrived = m->avail < lim ? m->avail : lim;
    if (m->off >= arrived)
        return m->eof && m->off == m->in_len ? 0 : CF_EAGAIN;
    size_t ready = arrived - m->off;
    size_t n = ready < cap ? ready : cap;
    memcpy(buf, m->in + m->off, n);
    m->off += n;
    return (ssize_t)n;
}

static int mem_writev(void *ctx, const struct iovec *iov, int n)
{
    mem_io *m = ctx;
    m->writes++;
    if (m->fail_write > 0 && m->writes >= m->fail_write)
        return CF_EIO;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len == sizeof continue_line - 1 &&
            memcmp(iov[i].iov_base, continue_line, iov[i].iov_len) == 0)
            m->continued = true;
        buf_append(&m->out, iov[i].iov_base, iov[i].iov_len);
    }
    return 0;
}

static int mem_sendfile(void *ctx, int fd, uint64_t off, uint64_t len)
{
    mem_io *m = ctx;
    char tmp[4096];
    while (len > 0) {
        ssize_t n = pread(fd, tmp, len < sizeof tmp ? (size_t)len : sizeof tmp, (off_t)off);
        if (n <= 0)
            return CF_EIO;
        buf_append(&m->out, tmp, (size_t)n);
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return 0;
}

/* ---- handlers ---- */

typedef struct handler_ctx {
    mem_io *io;
    int calls;
    int read_rc;               /* the last read_body result */
    bool continue_before_read; /* "100 Continue" was out before the first read */
    cf_buf body;               /* the body bytes read */
    size_t read_cap;           /* bytes per read_body call (0: 4096) */
    int fd;                    /* for h_sendfile */
    http_exchange_counts counts; /* h_counted: the exchange's counts as it returned */
    char peer[64];               /* h_counted: http_exchange_peer */
} handler_ctx;

static void read_all(handler_ctx *h, http_exchange *ex)
{
    uint8_t tmp[4096];
    size_t cap = h->read_cap ? h->read_cap : sizeof tmp;
    h->continue_before_read = h->io->continued;
    buf_clear(&h->body);
    ssize_t n;
    while ((n = http_exchange_read_body(ex, tmp, cap)) > 0)
        buf_append(&h->body, tmp, (size_t)n);
    h->read_rc = (int)n;
}

static void respond_text(http_exchange *ex, int status, const char *text)
{
    http_header h = {slice_str("Content-Type"), slice_str("text/plain")};
    CHECK_EQ(http_exchange_respond(ex, status, &h, 1, strlen(text)), 0);
    CHECK_EQ(http_exchange_write(ex, text, strlen(text)), 0);
}

/* h_echo -- reads the body, answers "<method> <target> <body bytes>". */
static void h_echo(void *arg, http_exchange *ex)
{
    handler_ctx *h = arg;
    h->calls++;
    read_all(h, ex);
    const http_request *r = http_exchange_request(ex);
    char text[256];
    snprintf(text, sizeof text, "%.*s %.*s %zu", (int)r->method.len, (const char *)r->method.ptr,
             (int)r->target.len, (const char *)r->target.ptr, h->body.len);
    respond_text(ex, h->read_rc == 0 ? 200 : 400, text);
}

/* h_reject -- answers 403 without touching the body. */
static void h_reject(void *arg, http_exchange *ex)
{
    handler_ctx *h = arg;
    h->calls++;
    respond_text(ex, 403, "no");
}

/* h_respond_first -- answers, then reads the body. */
static void h_respond_first(void *arg, http_exchange *ex)
{
    handler_ctx *h = arg;
    h->calls++;
    CHECK_EQ(http_exchange_respond(ex, 200, NULL, 0, 0), 0);
    read_all(h, ex);
}

/* h_silent -- returns without answering. */
static void h_silent(void *arg, http_exchange *ex)
{
    ((handler_ctx *)arg)->calls++;
}

/* h_stream -- answers without a length, in two writes. */
static void h_stream(void *arg, http_exchange *ex)
{
    ((handler_ctx *)arg)->calls++;
    CHECK_EQ(http_exchange_respond(ex, 200, NULL, 0, HTTP_NO_LENGTH), 0);
    CHECK_EQ(http_exchange_write(ex, "hello", 5), 0);
    CHECK_EQ(http_exchange_write(ex, "", 0), 0);
    CHECK_EQ(http_exchange_write(ex, " world", 6), 0);
}

/* h_empty_stream -- answers without a length and writes nothing. */
static void h_empty_stream(void *arg, http_exchange *ex)
{
    ((handler_ctx *)arg)->calls++;
    CHECK_EQ(http_exchange_respond(ex, 200, NULL, 0, HTTP_NO_LENGTH), 0);
}

/* h_broken -- as h_stream on a connection whose second write fails. */
static void h_broken(void *arg, http_exchange *ex)
{
    ((handler_ctx *)arg)->calls++;
    CHECK_EQ(http_exchange_respond(ex, 200, NULL, 0, HTTP_NO_LENGTH), 0);
    CHECK_EQ(http_exchange_write(ex, "hello", 5), 0);
    CHECK_EQ(http_exchange_write(ex, " world", 6), CF_EIO);
    CHECK_EQ(http_exchange_write(ex, "!", 1), CF_EIO); /* sticky */
}

/* h_sendfile -- answers with bytes 2..9 of h->fd. */
static void h_sendfile(void *arg, http_exchange *ex)
{
    handler_ctx *h = arg;
    h->calls++;
    CHECK_EQ(http_exchange_respond(ex, 200, NULL, 0, 8), 0);
    CHECK_EQ(http_exchange_sendfile(ex, h->fd, 2, 8), 0);
}

/* h_counted -- reads the body, answers chunked with "hello" and bytes 2..9
 * of h->fd, and records the counts and the peer as it returns. */
static void h_counted(void *arg, http_exchange *ex)
{
    handler_ctx *h = arg;
    h->calls++;
    http_exchange_stats(ex, &h->counts);
    CHECK_EQ(h->counts.status, 0); /* nothing yet */
    CHECK_EQ(h->counts.body_read_bytes, 0);
    read_all(h, ex);
    CHECK_EQ(http_exchange_respond(ex, 201, NULL, 0, HTTP_NO_LENGTH), 0);
    CHECK_EQ(http_exchange_write(ex, "hello", 5), 0);
    CHECK_EQ(http_exchange_sendfile(ex, h->fd, 2, 8), 0);
    http_exchange_stats(ex, &h->counts);
    cf_slice p = http_exchange_peer(ex);
    snprintf(h->peer, sizeof h->peer, "%.*s", (int)p.len, (const char *)p.ptr);
}

/* h_broken_counted -- h_broken, recording the counts as it returns. */
static void h_broken_counted(void *arg, http_exchange *ex)
{
    h_broken(arg, ex);
    http_exchange_stats(ex, &((handler_ctx *)arg)->counts);
}

/* h_short -- declares 10 bytes, writes 5, tries to write 6 more. */
static void h_short(void *arg, http_exchange *ex)
{
    ((handler_ctx *)arg)->calls++;
    CHECK_EQ(http_exchange_respond(ex, 200, NULL, 0, 10), 0);
    CHECK_EQ(http_exchange_write(ex, "12345", 5), 0);
    CHECK_EQ(http_exchange_write(ex, "678901", 6), CF_EINVAL);
}

/* h_misuse -- the calls a handler must not make. */
static void h_misuse(void *arg, http_exchange *ex)
{
    ((handler_ctx *)arg)->calls++;
    CHECK_EQ(http_exchange_write(ex, "x", 1), CF_EINVAL); /* before respond */
    http_header bad[] = {{slice_str("X-A"), slice_str("v\r\nSet-Cookie: x")}};
    CHECK_EQ(http_exchange_respond(ex, 200, bad, 1, 0), CF_EINVAL);
    http_header bad_name[] = {{slice_str("X A"), slice_str("v")}};
    CHECK_EQ(http_exchange_respond(ex, 200, bad_name, 1, 0), CF_EINVAL);
    CHECK_EQ(http_exchange_respond(ex, 100, NULL, 0, 0), CF_EINVAL);
    CHECK_EQ(http_exchange_respond(ex, 204, NULL, 0, 0), 0);
    CHECK_EQ(http_exchange_respond(ex, 200, NULL, 0, 0), CF_EINVAL); /* twice */
    CHECK_EQ(http_exchange_write(ex, "dropped", 7), 0);              /* 204: discarded */
    char one;
    CHECK_EQ(http_exchange_read_body(ex, &one, 0), CF_EINVAL);
}

/* ---- running a session ---- */

typedef struct run {
    mem_io io;
    handler_ctx h;
    http_session *s;
    int result; /* the last on_readable result */
} run;

static void run_open(run *r, const char *in, size_t len, http_handler_fn fn)
{
    memset(r, 0, sizeof *r);
    r->io.in = (const uint8_t *)in;
    r->io.in_len = len;
    r->io.avail = len;
    r->h.io = &r->io;
    r->h.fd = -1;
    http_io io = {&r->io, mem_read, mem_writev, mem_sendfile, slice_str("192.0.2.7")};
    http_limits lim = {30000, 1000};
    CHECK_EQ(http_session_new(&io, &lim, fn, &r->h, &r->s), 0);
}

static void run_close(run *r)
{
    http_session_free(r->s);
    buf_free(&r->io.out);
    buf_free(&r->h.body);
}

/* output -- what was written, with every Date value replaced by "-". */
static const char *output(run *r)
{
    static char text[4 << 20];
    size_t n = 0;
    const char *p = (const char *)r->io.out.data, *end = p + r->io.out.len;
    while (p < end && n < sizeof text - 1) {
        if (end - p >= 37 && memcmp(p, "\r\nDate: ", 8) == 0) {
            memcpy(text + n, "\r\nDate: -", 9);
            n += 9;
            p += 37;
        } else {
            text[n++] = *p++;
        }
    }
    text[n] = '\0';
    return text;
}

static bool output_is(run *r, const char *want)
{
    const char *got = output(r);
    if (strcmp(got, want) == 0)
        return true;
    fprintf(stderr, "  output:\n%s\n  wanted:\n%s\n", got, want);
    return false;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

#define OK_TEXT(body_len, body)                                                                    \
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: -\r\nServer: coffer\r\n"                 \
    "Content-Length: " body_len "\r\n\r\n" body

static const char two_gets[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b?c=d HTTP/1.1\r\n\r\n";

static void test_session_serves_two_pipelined_requests_in_order(void)
{
    run r;
    run_open(&r, two_gets, strlen(two_gets), h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK_EQ(r.h.calls, 2);
    CHECK(output_is(&r, OK_TEXT("8", "GET /a 0") OK_TEXT("12", "GET /b?c=d 0")));
    CHECK_EQ(r.io.writes, 2); /* head and body in one writev each */
    run_close(&r);
}

static const char mixed[] =
    "PUT /k HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
    "\r\n" /* a stray empty line between requests */
    "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    "GET /z HTTP/1.1\r\n\r\n";

#define MIXED_OUT OK_TEXT("8", "PUT /k 5") OK_TEXT("9", "POST /c 5") OK_TEXT("8", "GET /z 0")

static void test_session_split_at_every_byte_answers_the_same(void)
{
    size_t len = strlen(mixed);
    run r;
    run_open(&r, mixed, len, h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK(output_is(&r, MIXED_OUT));
    run_close(&r);
    for (size_t k = 0; k <= len; k++) { /* two pieces */
        run_open(&r, mixed, len, h_echo);
        r.io.avail = k;
        int rc1 = http_session_on_readable(r.s);
        r.io.avail = len;
        int rc2 = http_session_on_readable(r.s);
        bool ok = CHECK_EQ(rc1, HTTP_SESSION_WAIT) && CHECK_EQ(rc2, HTTP_SESSION_WAIT) &&
                  output_is(&r, MIXED_OUT);
        run_close(&r);
        if (!ok) {
            fprintf(stderr, "  split at %zu\n", k);
            return;
        }
    }
    run_open(&r, mixed, len, h_echo); /* one byte at a time, body reads too */
    r.io.step = 1;
    r.io.avail = 0;
    r.h.read_cap = 1;
    while (r.io.avail < len) {
        r.io.avail++;
        CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    }
    CHECK(output_is(&r, MIXED_OUT));
    run_close(&r);
}

static void test_session_connection_close_stops_after_its_response(void)
{
    const char in[] = "GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
    run r;
    run_open(&r, in, strlen(in), h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.h.calls, 1);
    CHECK(output_is(&r,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: -\r\n"
                    "Server: coffer\r\nContent-Length: 8\r\nConnection: close\r\n\r\nGET /a 0"));
    run_close(&r);
}

static void test_session_http10_keeps_alive_only_when_asked(void)
{
    const char plain[] = "GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n";
    run r;
    run_open(&r, plain, strlen(plain), h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.h.calls, 1);
    CHECK(output_is(&r,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: -\r\n"
                    "Server: coffer\r\nContent-Length: 8\r\nConnection: close\r\n\r\nGET /a 0"));
    run_close(&r);
    const char keep[] = "GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
    run_open(&r, keep, strlen(keep), h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK(output_is(&r, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: -\r\n"
                        "Server: coffer\r\nContent-Length: 8\r\nConnection: keep-alive\r\n\r\n"
                        "GET /a 0"));
    run_close(&r);
}

static const char expect_put[] = "PUT /k HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"
                                 "\r\nhello";

static void test_session_100_continue_written_on_first_body_read(void)
{
    run r;
    run_open(&r, expect_put, strlen(expect_put), h_echo);
    r.io.gate = strlen(expect_put) - 5; /* the client waits for 100 before the body */
    r.io.avail = r.io.gate;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK(!r.h.continue_before_read);
    CHECK_EQ(r.h.read_rc, 0);
    CHECK(output_is(&r, "HTTP/1.1 100 Continue\r\n\r\n" OK_TEXT("8", "PUT /k 5")));
    run_close(&r);
}

static void test_session_100_continue_not_sent_when_handler_rejects_early(void)
{
    run r;
    run_open(&r, expect_put, strlen(expect_put), h_reject);
    r.io.gate = strlen(expect_put) - 5;
    r.io.avail = r.io.gate;
    /* Whether the client now sends the body is its choice: close. */
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK(!r.io.continued);
    CHECK(output_is(&r, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nDate: -\r\n"
                        "Server: coffer\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"));
    run_close(&r);
}

static void test_session_100_continue_never_follows_a_response(void)
{
    run r;
    run_open(&r, expect_put, strlen(expect_put), h_respond_first);
    r.io.gate = strlen(expect_put) - 5;
    r.io.avail = r.io.gate;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK(!r.io.continued);
    CHECK_EQ(r.h.read_rc, CF_EAGAIN); /* the client still waits for 100 */
    CHECK(output_is(&r, "HTTP/1.1 200 OK\r\nDate: -\r\nServer: coffer\r\n"
                        "Content-Length: 0\r\nConnection: close\r\n\r\n"));
    run_close(&r);
}

/* An empty body expecting 100: the interim response comes just before the
 * final one (botocore misreads the next response otherwise). */
static void test_session_100_continue_precedes_response_to_empty_body(void)
{
    const char in[] = "PUT /k HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n";
    run r;
    run_open(&r, in, strlen(in), h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK(output_is(&r, "HTTP/1.1 100 Continue\r\n\r\n" OK_TEXT("8", "PUT /k 0")));
    run_close(&r);
}

static void test_session_chunked_body_then_next_request(void)
{
    const char in[] = "PUT /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nGET /n HTTP/1.1\r\n\r\n";
    run r;
    run_open(&r, in, strlen(in), h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK_MEM(r.h.body.data, r.h.body.len, "", 0); /* the last request's (GET) body */
    CHECK(output_is(&r, OK_TEXT("9", "PUT /k 11") OK_TEXT("8", "GET /n 0")));
    run_close(&r);
}

static void test_session_bad_chunked_body_is_einval_and_closes(void)
{
    const char in[] = "PUT /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX"
                      "GET /n HTTP/1.1\r\n\r\n";
    run r;
    run_open(&r, in, strlen(in), h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.h.read_rc, CF_EINVAL);
    CHECK_EQ(r.h.calls, 1);
    CHECK(output_is(&r, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nDate: -\r\n"
                        "Server: coffer\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"
                        "PUT /k 5"));
    run_close(&r);
}

static void test_session_unread_small_body_is_drained_and_kept(void)
{
    const char in[] = "PUT /k HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789"
                      "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
                      "GET /n HTTP/1.1\r\n\r\n";
    run r;
    run_open(&r, in, strlen(in), h_reject);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK_EQ(r.h.calls, 3);
    const char *one = "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nDate: -\r\n"
                      "Server: coffer\r\nContent-Length: 2\r\n\r\nno";
    char want[1024];
    snprintf(want, sizeof want, "%s%s%s", one, one, one);
    CHECK(output_is(&r, want));
    run_close(&r);
}

static void test_session_unread_large_body_closes(void)
{
    size_t body = 1 << 20;
    char *in = malloc(body + 128);
    int n = sprintf(in, "PUT /k HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", body);
    memset(in + n, 'b', body);
    run r;
    run_open(&r, in, (size_t)n + body, h_reject);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK(output_is(&r, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nDate: -\r\n"
                        "Server: coffer\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"));
    CHECK(r.io.off < (size_t)n + 100 * 1024); /* the body was not read to its end */
    run_close(&r);
    free(in);
}

static void test_session_unread_chunked_body_past_drain_limit_closes(void)
{
    cf_buf in = {0};
    const char *head = "PUT /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    buf_append(&in, head, strlen(head));
    for (int i = 0; i < 40; i++) {
        char chunk[4096 + 16];
        int n = sprintf(chunk, "1000\r\n");
        memset(chunk + n, 'c', 4096);
        buf_append(&in, chunk, (size_t)n + 4096);
        buf_append(&in, "\r\n", 2);
    }
    buf_append(&in, "0\r\n\r\nGET /n HTTP/1.1\r\n\r\n", 24);
    run r;
    run_open(&r, (const char *)in.data, in.len, h_reject);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE); /* 160 KiB > 64 KiB */
    CHECK_EQ(r.h.calls, 1);
    run_close(&r);
    buf_free(&in);
}

static void test_session_head_writes_the_head_only(void)
{
    const char in[] = "HEAD /k HTTP/1.1\r\n\r\nGET /k HTTP/1.1\r\n\r\n";
    run r;
    run_open(&r, in, strlen(in), h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK(output_is(&r, OK_TEXT("9", "") OK_TEXT("8", "GET /k 0")));
    run_close(&r);
    run_open(&r, in, strlen(in), h_stream); /* no length: no body, no chunked coding */
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK(output_is(&r,
                    "HTTP/1.1 200 OK\r\nDate: -\r\nServer: coffer\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nDate: -\r\nServer: coffer\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    run_close(&r);
}

static void test_session_empty_chunked_response_is_one_write(void)
{
    const char in[] = "GET /k HTTP/1.1\r\n\r\n";
    run r;
    run_open(&r, in, strlen(in), h_empty_stream);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK(output_is(&r, "HTTP/1.1 200 OK\r\nDate: -\r\nServer: coffer\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
    CHECK_EQ(r.io.writes, 1);
    run_close(&r);
}

static void test_session_no_length_is_close_delimited_for_http10(void)
{
    const char in[] = "GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    run r;
    run_open(&r, in, strlen(in), h_stream);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK(output_is(&r, "HTTP/1.1 200 OK\r\nDate: -\r\nServer: coffer\r\n"
                        "Connection: close\r\n\r\nhello world"));
    run_close(&r);
}

static void test_session_idle_eof_closes_silently(void)
{
    run r;
    run_open(&r, "", 0, h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT); /* nothing yet */
    r.io.eof = true;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.io.out.len, 0);
    CHECK_EQ(r.h.calls, 0);
    run_close(&r);
    run_open(&r, two_gets, strlen(two_gets), h_echo); /* EOF after a request: served first */
    r.io.eof = true;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.h.calls, 2);
    run_close(&r);
    run_open(&r, "GET / HTTP/1.1\r\nHo", 18, h_echo); /* EOF in a head */
    r.io.eof = true;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.io.out.len, 0);
    run_close(&r);
}

static void test_session_eof_in_body_is_eio(void)
{
    const char in[] = "PUT /k HTTP/1.1\r\nContent-Length: 10\r\n\r\n012";
    run r;
    run_open(&r, in, strlen(in), h_echo);
    r.io.eof = true;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.h.read_rc, CF_EIO);
    CHECK_EQ(r.h.body.len, 3);
    /* Reading hit EOF, but the peer may have only half-closed: answered. */
    CHECK(output_is(&r, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nDate: -\r\n"
                        "Server: coffer\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"
                        "PUT /k 3"));
    run_close(&r);
}

static void check_rejected(const char *in, size_t len, const char *want_head, const char *code,
                           const char *reason)
{
    run r;
    run_open(&r, in, len, h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.h.calls, 0);
    char body[256], want[1024];
    int n = snprintf(body, sizeof body,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<Error><Code>%s</Code><Message>%s</Message></Error>",
                     code, reason);
    snprintf(want, sizeof want,
             "%s\r\nContent-Type: application/xml\r\nDate: -\r\nServer: coffer\r\n"
             "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
             want_head, n, body);
    CHECK(output_is(&r, want));
    run_close(&r);
}

static void test_session_malformed_heads_get_400_and_close(void)
{
    const char *bad[] = {
        "GET / HTTP/1.1\nHost: x\n\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
        "\x16\x03\x01\x02\x10\x01",
        "PUT / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    };
    for (size_t i = 0; i < TEST_COUNT(bad); i++)
        check_rejected(bad[i], strlen(bad[i]), "HTTP/1.1 400 Bad Request", "BadRequest",
                       "Bad Request");
}

static void test_session_limits_get_414_and_431(void)
{
    char *in = malloc(64 * 1024);
    int n = sprintf(in, "GET /");
    memset(in + n, 'a', HTTP_MAX_TARGET_BYTES);
    n += HTTP_MAX_TARGET_BYTES;
    n += sprintf(in + n, " HTTP/1.1\r\n\r\n");
    check_rejected(in, (size_t)n, "HTTP/1.1 414 URI Too Long", "RequestURITooLong", "URI Too Long");
    n = sprintf(in, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
        n += sprintf(in + n, "X-%d: v\r\n", i);
    n += sprintf(in + n, "\r\n");
    check_rejected(in, (size_t)n, "HTTP/1.1 431 Request Header Fields Too Large",
                   "RequestHeaderSectionTooLarge", "Request Header Fields Too Large");
    n = sprintf(in, "GET / HTTP/1.1\r\nBig: ");
    memset(in + n, 'v', HTTP_MAX_HEAD_BYTES); /* never ends: the limit decides */
    check_rejected(in, (size_t)n + HTTP_MAX_HEAD_BYTES,
                   "HTTP/1.1 431 Request Header Fields Too Large", "RequestHeaderSectionTooLarge",
                   "Request Header Fields Too Large");
    free(in);
}

static void test_session_oversized_head_arriving_in_pieces_gets_431(void)
{
    /* After its first line, no byte ends a line: only the size can decide. */
    char *in = malloc(HTTP_MAX_HEAD_BYTES + 100);
    int n = sprintf(in, "GET / HTTP/1.1\r\nBig: ");
    memset(in + n, 'v', HTTP_MAX_HEAD_BYTES + 100 - (size_t)n);
    run r;
    run_open(&r, in, HTTP_MAX_HEAD_BYTES + 100, h_echo);
    int rc = HTTP_SESSION_WAIT;
    for (r.io.avail = (size_t)n; rc == HTTP_SESSION_WAIT && r.io.avail < r.io.in_len;) {
        r.io.avail += 1000;
        rc = http_session_on_readable(r.s);
    }
    CHECK_EQ(rc, HTTP_SESSION_CLOSE);
    CHECK(r.io.off >= HTTP_MAX_HEAD_BYTES && r.io.off < HTTP_MAX_HEAD_BYTES + 1000);
    CHECK(memcmp(r.io.out.data, "HTTP/1.1 431 ", 13) == 0);
    run_close(&r);
    free(in);
}

/* fill_gets -- GET requests of exactly len bytes in all. */
static void fill_gets(cf_buf *in, size_t len)
{
    const char *get = "GET /x HTTP/1.1\r\n\r\n"; /* 19 bytes */
    while (len >= 2 * 19) {
        buf_append(in, get, 19);
        len -= 19;
    }
    char last[64];
    int n = sprintf(last, "GET /");
    memset(last + n, 'p', len - 18);
    n += (int)(len - 18);
    n += sprintf(last + n, " HTTP/1.1\r\n\r\n");
    buf_append(in, last, (size_t)n);
}

static void test_session_large_chunked_body_behind_a_head_at_the_buffer_end(void)
{
    /* The first read fills the buffer exactly, ending with a PUT's head:
     * its body is read into the room the buffer makes behind the head. */
    const char *head = "PUT /big HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    size_t cap = HTTP_MAX_HEAD_BYTES + 64 * 1024;
    cf_buf in = {0};
    fill_gets(&in, cap - strlen(head));
    buf_append(&in, head, strlen(head));
    CHECK_EQ(in.len, cap);
    char *chunk = malloc(40000 + 16);
    for (int i = 0; i < 10; i++) { /* 400000 bytes: several buffers' worth */
        int n = sprintf(chunk, "9c40\r\n");
        memset(chunk + n, 'c', 40000);
        buf_append(&in, chunk, (size_t)n + 40000);
        buf_append(&in, "\r\n", 2);
    }
    const char *end = "0\r\n\r\nGET /after HTTP/1.1\r\n\r\n";
    buf_append(&in, end, strlen(end));
    run r;
    run_open(&r, (const char *)in.data, in.len, h_echo);
    r.io.avail = cap;
    r.io.step = 3000;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK_EQ(r.h.read_rc, 0);
    const char *out = output(&r);
    const char *tail = OK_TEXT("15", "PUT /big 400000") OK_TEXT("12", "GET /after 0");
    CHECK(ends_with(out, tail));
    run_close(&r);
    buf_free(&in);
    free(chunk);
}

static void test_session_lone_cr_at_the_buffer_end_then_next_request(void)
{
    /* A body ends one byte before the end of a full buffer, and the byte
     * left is the CR of an empty line: the buffer must make room. */
    size_t cap = HTTP_MAX_HEAD_BYTES + 64 * 1024;
    char head[128];
    int n = sprintf(head, "PUT /k HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", cap - 1 - 42);
    CHECK_EQ(n, 42);
    cf_buf in = {0};
    buf_append(&in, head, (size_t)n);
    buf_reserve(&in, cap);
    memset(in.data + in.len, 'b', cap - 1 - 42);
    in.len = cap - 1;
    const char *next = "\r\nGET /last HTTP/1.1\r\n\r\n";
    buf_append(&in, next, strlen(next));
    run r;
    run_open(&r, (const char *)in.data, in.len, h_echo);
    r.io.avail = cap;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    r.io.avail = in.len;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    const char *out = output(&r);
    const char *tail = OK_TEXT("12", "PUT /k 81877") OK_TEXT("11", "GET /last 0");
    CHECK(ends_with(out, tail));
    run_close(&r);
    buf_free(&in);
}

static void test_session_handler_without_response_gets_500(void)
{
    run r;
    run_open(&r, two_gets, strlen(two_gets), h_silent);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT); /* the framing is intact */
    CHECK_EQ(r.h.calls, 2);
    const char *body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError"
                       "</Code><Message>Internal Server Error</Message></Error>";
    char one[512], want[1024];
    snprintf(one, sizeof one,
             "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\n"
             "Date: -\r\nServer: coffer\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    snprintf(want, sizeof want, "%s%s", one, one);
    CHECK(output_is(&r, want));
    run_close(&r);
}

static void test_session_body_timeout_is_eagain_then_closes(void)
{
    const char in[] = "PUT /k HTTP/1.1\r\nContent-Length: 5\r\n\r\nGET /n HTTP/1.1\r\n\r\n";
    run r;
    run_open(&r, in, 38, h_echo); /* the body never arrives */
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.h.read_rc, CF_EAGAIN);
    CHECK_EQ(r.h.calls, 1);
    CHECK(output_is(&r, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nDate: -\r\n"
                        "Server: coffer\r\nContent-Length: 8\r\n\r\nPUT /k 0"));
    run_close(&r);
}

static void test_session_write_failure_closes(void)
{
    run r;
    run_open(&r, two_gets, strlen(two_gets), h_broken);
    r.io.fail_write = 2; /* the head and "hello" go out; " world" fails */
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.h.calls, 1);
    CHECK(output_is(&r, "HTTP/1.1 200 OK\r\nDate: -\r\nServer: coffer\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"));
    run_close(&r);
}

static void test_session_short_response_closes(void)
{
    run r;
    run_open(&r, two_gets, strlen(two_gets), h_short);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.h.calls, 1);
    CHECK(output_is(&r, "HTTP/1.1 200 OK\r\nDate: -\r\nServer: coffer\r\n"
                        "Content-Length: 10\r\n\r\n12345"));
    run_close(&r);
}

static void test_session_sendfile_body(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/f", test_tmpdir());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (!CHECK(fd >= 0))
        return;
    CHECK_EQ(write(fd, "0123456789ab", 12), 12);
    run r;
    run_open(&r, two_gets, strlen(two_gets), h_sendfile);
    r.h.fd = fd;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK(output_is(&r, "HTTP/1.1 200 OK\r\nDate: -\r\nServer: coffer\r\nContent-Length: 8\r\n\r\n"
                        "23456789"
                        "HTTP/1.1 200 OK\r\nDate: -\r\nServer: coffer\r\nContent-Length: 8\r\n\r\n"
                        "23456789"));
    run_close(&r);
    close(fd);
}

/* The access log's numbers: status sent, decoded body bytes read (the
 * chunked framing is not counted), body bytes written by write and
 * sendfile (the chunk framing is not counted), the peer from http_io; a
 * HEAD's discarded body counts nothing. */
static void test_session_counts_body_bytes_and_status_and_peer(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/f", test_tmpdir());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (!CHECK(fd >= 0))
        return;
    CHECK_EQ(write(fd, "0123456789ab", 12), 12);
    const char in[] = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    run r;
    run_open(&r, in, strlen(in), h_counted);
    r.h.fd = fd;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK_EQ(r.h.counts.status, 201);
    CHECK_EQ(r.h.counts.body_read_bytes, 5);
    CHECK_EQ(r.h.counts.body_sent_bytes, 13);
    /* the heads: as received, and as built (an IMF-fixdate is 29 bytes) */
    CHECK_EQ(r.h.counts.head_read_bytes,
             strlen(in) - strlen("3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
    CHECK_EQ(r.h.counts.head_sent_bytes,
             strlen("HTTP/1.1 201 Created\r\nDate: \r\nServer: coffer\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n") +
                 29);
    CHECK(strcmp(r.h.peer, "192.0.2.7") == 0);
    CHECK(output_is(&r,
                    "HTTP/1.1 201 Created\r\nDate: -\r\nServer: coffer\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n8\r\n23456789\r\n0\r\n\r\n"));
    run_close(&r);
    const char head[] = "HEAD /c HTTP/1.1\r\n\r\n";
    run_open(&r, head, strlen(head), h_counted);
    r.h.fd = fd;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK_EQ(r.h.counts.status, 201);
    CHECK_EQ(r.h.counts.body_read_bytes, 0);
    CHECK_EQ(r.h.counts.body_sent_bytes, 0);
    CHECK_EQ(r.h.counts.head_read_bytes, strlen(head));
    CHECK_EQ(r.h.counts.head_sent_bytes,
             strlen("HTTP/1.1 201 Created\r\nDate: \r\nServer: coffer\r\n\r\n") + 29);
    run_close(&r);
    close(fd);
}

/* A connection whose second write fails: only the first write is counted. */
static void test_session_counts_nothing_of_a_failed_write(void)
{
    run r;
    run_open(&r, two_gets, strlen(two_gets), h_broken_counted);
    r.io.fail_write = 2;
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_CLOSE);
    CHECK_EQ(r.h.calls, 1);
    CHECK_EQ(r.h.counts.status, 200);
    CHECK_EQ(r.h.counts.body_sent_bytes, 5);
    run_close(&r);
}

static void test_session_rejects_handler_misuse(void)
{
    const char in[] = "PUT /k HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    run r;
    run_open(&r, in, strlen(in), h_misuse);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT); /* body drained */
    CHECK(output_is(&r, "HTTP/1.1 204 No Content\r\nDate: -\r\nServer: coffer\r\n\r\n"));
    run_close(&r);
}

static void test_session_full_buffer_of_pipelined_requests(void)
{
    /* More pipelined requests than the buffer holds at once, each head
     * crossing reads at a different offset. */
    cf_buf in = {0};
    char one[64];
    for (int i = 0; i < 6000; i++)
        buf_append(&in, one, (size_t)sprintf(one, "GET /%d HTTP/1.1\r\n\r\n", i));
    run r;
    run_open(&r, (const char *)in.data, in.len, h_echo);
    CHECK_EQ(http_session_on_readable(r.s), HTTP_SESSION_WAIT);
    CHECK(in.len > HTTP_MAX_HEAD_BYTES + 64 * 1024);
    CHECK_EQ(r.h.calls, 6000);
    const char *last = OK_TEXT("11", "GET /5999 0");
    const char *out = output(&r);
    CHECK(ends_with(out, last));
    run_close(&r);
    buf_free(&in);
}

static const test_case cases[] = {
    TEST(test_session_serves_two_pipelined_requests_in_order),
    TEST(test_session_split_at_every_byte_answers_the_same),
    TEST(test_session_connection_close_stops_after_its_response),
    TEST(test_session_http10_keeps_alive_only_when_asked),
    TEST(test_session_100_continue_written_on_first_body_read),
    TEST(test_session_100_continue_not_sent_when_handler_rejects_early),
    TEST(test_session_100_continue_never_follows_a_response),
    TEST(test_session_100_continue_precedes_response_to_empty_body),
    TEST(test_session_chunked_body_then_next_request),
    TEST(test_session_bad_chunked_body_is_einval_and_closes),
    TEST(test_session_unread_small_body_is_drained_and_kept),
    TEST(test_session_unread_large_body_closes),
    TEST(test_session_unread_chunked_body_past_drain_limit_closes),
    TEST(test_session_head_writes_the_head_only),
    TEST(test_session_empty_chunked_response_is_one_write),
    TEST(test_session_no_length_is_close_delimited_for_http10),
    TEST(test_session_idle_eof_closes_silently),
    TEST(test_session_eof_in_body_is_eio),
    TEST(test_session_malformed_heads_get_400_and_close),
    TEST(test_session_limits_get_414_and_431),
    TEST(test_session_oversized_head_arriving_in_pieces_gets_431),
    TEST(test_session_large_chunked_body_behind_a_head_at_the_buffer_end),
    TEST(test_session_lone_cr_at_the_buffer_end_then_next_request),
    TEST(test_session_handler_without_response_gets_500),
    TEST(test_session_body_timeout_is_eagain_then_closes),
    TEST(test_session_write_failure_closes),
    TEST(test_session_short_response_closes),
    TEST(test_session_sendfile_body),
    TEST(test_session_counts_body_bytes_and_status_and_peer),
    TEST(test_session_counts_nothing_of_a_failed_write),
    TEST(test_session_rejects_handler_misuse),
    TEST(test_session_full_buffer_of_pipelined_requests),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
