/*
 * http_session_fuzz.c -- libFuzzer target for the session: arbitrary client
 * bytes on an in-memory connection, arriving in pieces, served by a handler
 * that reads the body and answers in one of several ways.
 *
 * The first byte sets the piece size (how much arrives per on_readable
 * call and per blocking body read) and the handler's behaviour; the rest is
 * what the client sends, then it closes. Checks: the session never reads or
 * writes out of bounds (the sanitizers), ends with HTTP_SESSION_CLOSE once
 * the input is exhausted, every response starts with a status line, and a
 * "100 Continue" is never written after a final response to the same
 * request; the exchange's counts (http_exchange_stats) match the body
 * bytes the handler read and bound what it wrote, and the peer is the one
 * the connection gave. Build and run: fuzz/run.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

typedef struct conn {
    const uint8_t *in;
    size_t len, avail, off, step;
    cf_buf out;
    int mode;
    bool final_sent; /* a final response of the current request is out */
} conn;

static void require(bool ok)
{
    if (!ok)
        abort();
}

static ssize_t c_read(void *ctx, void *buf, size_t cap, int timeout_ms)
{
    conn *c = ctx;
    if (timeout_ms > 0 && c->off == c->avail)
        c->avail = c->len - c->avail < c->step ? c->len : c->avail + c->step;
    if (c->off == c->avail)
        return c->avail == c->len ? 0 : CF_EAGAIN;
    size_t n = c->avail - c->off < cap ? c->avail - c->off : cap;
    memcpy(buf, c->in + c->off, n);
    c->off += n;
    return (ssize_t)n;
}

static int c_writev(void *ctx, const struct iovec *iov, int n)
{
    conn *c = ctx;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len >= 12 && memcmp(iov[i].iov_base, "HTTP/1.1 100", 12) == 0)
            require(!c->final_sent);
        else if (iov[i].iov_len >= 9 && memcmp(iov[i].iov_base, "HTTP/1.1 ", 9) == 0)
            c->final_sent = true;
        buf_append(&c->out, iov[i].iov_base, iov[i].iov_len);
    }
    return 0;
}

static int c_sendfile(void *ctx, int fd, uint64_t off, uint64_t len)
{
    return CF_EIO;
}

static void handler(void *arg, http_exchange *ex)
{
    conn *c = arg;
    c->final_sent = false;
    const http_request *r = http_exchange_request(ex);
    require(r->method.len > 0);
    uint8_t buf[333];
    size_t total = 0;
    ssize_t n = 0;
    if (c->mode % 4 != 0) {
        while ((n = http_exchange_read_body(ex, buf, 1 + (size_t)c->mode * 7 % sizeof buf)) > 0)
            total += (size_t)n;
    }
    switch (c->mode % 5) {
    case 0:
        break; /* no answer: 500 */
    case 1:
        http_exchange_respond(ex, n < 0 ? 400 : 200, NULL, 0, 5);
        http_exchange_write(ex, "hello", 5);
        break;
    case 2:
        http_exchange_respond(ex, 200, NULL, 0, HTTP_NO_LENGTH);
        http_exchange_write(ex, buf, total < sizeof buf ? total : sizeof buf);
        break;
    case 3:
        http_exchange_close_after(ex);
        http_exchange_respond(ex, 204, NULL, 0, 0);
        break;
    default:
        http_exchange_respond(ex, 200, NULL, 0, 10);
        http_exchange_write(ex, "short", 5);
        break;
    }
    /* the access log's numbers agree with what the handler did */
    http_exchange_counts hc;
    http_exchange_stats(ex, &hc);
    require(hc.body_read_bytes == total);
    require(hc.status == 0 || (hc.status >= 200 && hc.status <= 599));
    require(hc.body_sent_bytes <= (total < sizeof buf ? total : sizeof buf) + 5);
    require(slice_eq(http_exchange_peer(ex), slice_str("192.0.2.1")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    conn c = {0};
    c.step = 1 + data[0] % 37;
    c.mode = data[0] / 37;
    c.in = data + 1;
    c.len = size - 1;
    http_io io = {&c, c_read, c_writev, c_sendfile, slice_str("192.0.2.1")};
    http_limits lim = {1000, 1000};
    http_session *s;
    require(http_session_new(&io, &lim, handler, &c, &s) == 0);
    int rc = HTTP_SESSION_WAIT;
    while (rc == HTTP_SESSION_WAIT) {
        require(c.avail <= c.len);
        bool was_all = c.avail == c.len;
        c.avail = c.len - c.avail < c.step ? c.len : c.avail + c.step;
        rc = http_session_on_readable(s);
        require(rc == HTTP_SESSION_WAIT || rc == HTTP_SESSION_CLOSE);
        require(!(was_all && rc == HTTP_SESSION_WAIT)); /* EOF was readable */
    }
    require(c.out.len == 0 || memcmp(c.out.data, "HTTP/1.1 ", 9) == 0);
    http_session_free(s);
    buf_free(&c.out);
    return 0;
}
