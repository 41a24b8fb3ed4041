/*
 * response.c -- writing the response of an exchange: the head (status line,
 * the handler's fields, Date, Server, framing, Connection), the body as
 * written (Content-Length, chunked, or until close), and the minimal XML
 * errors the session sends itself. Called by the handler through
 * http_exchange_respond/write/sendfile and by exchange.c.
 *
 * The head is built in s->out by respond() and held there (head_pending)
 * so that it leaves in the same writev as the first body bytes; anything
 * that would make the client wait flushes it first (exchange.c invariant
 * (3)). Any write failure is final for the connection (s->failed).
 *
 * Invariants:
 *  (1) every byte written after the head is framed as the head said:
 *      never more than the Content-Length (CF_EINVAL), each write one chunk
 *      when chunked, nothing at all for HEAD, 204 and 304;
 *  (2) a header the handler passes never adds a line: names are tokens and
 *      values hold no CR, LF or other CTL but HTAB (response splitting).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/config.h"
#include "http/session.h"

static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* send_iov -- writes the pending head (into iov[0], which the caller leaves
 * free) and iov[1..n). Any failure breaks the response: s->failed. */
static int send_iov(http_exchange *ex, struct iovec *iov, int n)
{
    http_session *s = ex->s;
    int first = 1;
    if (ex->head_pending) {
        iov[0].iov_base = s->out.data;
        iov[0].iov_len = s->out.len;
        first = 0;
    }
    if (first == n)
        return 0;
    int rc = s->io.writev(s->io.ctx, iov + first, n - first);
    if (rc) {
        s->failed = true;
        return rc == CF_EAGAIN ? CF_EAGAIN : CF_EIO;
    }
    ex->head_pending = false;
    return 0;
}

int http_response_flush(http_exchange *ex)
{
    struct iovec iov[1];
    return ex->s->failed ? CF_EIO : send_iov(ex, iov, 1);
}

void http_response_end(http_exchange *ex)
{
    if (ex->resp_chunked && !ex->s->failed) {
        struct iovec iov[2] = {{0}, {(void *)"0\r\n\r\n", 5}};
        send_iov(ex, iov, 2);
    }
}

static const char *session_date(http_session *s)
{
    int64_t now = (int64_t)time(NULL);
    if (now != s->date_s) {
        http_date(now, s->date_str);
        s->date_s = now;
    }
    return s->date_str;
}

static bool header_ok(const http_header *h)
{
    if (h->name.len == 0)
        return false;
    for (size_t i = 0; i < h->name.len; i++) {
        if (!is_tchar(h->name.ptr[i]))
            return false;
    }
    for (size_t i = 0; i < h->value.len; i++) {
        uint8_t c = h->value.ptr[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) /* invariant (2) */
            return false;
    }
    return true;
}

static int put_str(cf_buf *b, const char *str)
{
    return buf_append(b, str, strlen(str));
}

/* build_head -- the status line and headers into s->out. */
static int build_head(http_exchange *ex, int status, const http_header *headers, size_t n,
                      const char *length_line, bool closing)
{
    http_session *s = ex->s;
    cf_buf *b = &s->out;
    char line[64];
    buf_clear(b);
    snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
    int rc = ex->continue_empty ? put_str(b, "HTTP/1.1 100 Continue\r\n\r\n") : 0; /* exchange.c (1) */
    rc = rc ? rc : put_str(b, line);
    rc = rc ? rc : put_str(b, http_status_reason(status));
    rc = rc ? rc : buf_append(b, "\r\n", 2);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = buf_append(b, headers[i].name.ptr, headers[i].name.len);
        rc = rc ? rc : buf_append(b, ": ", 2);
        rc = rc ? rc : buf_append(b, headers[i].value.ptr, headers[i].value.len);
        rc = rc ? rc : buf_append(b, "\r\n", 2);
    }
    rc = rc ? rc : put_str(b, "Date: ");
    rc = rc ? rc : put_str(b, session_date(s));
    rc = rc ? rc : put_str(b, "\r\nServer: coffer\r\n");
    rc = rc ? rc : put_str(b, length_line);
    if (closing)
        rc = rc ? rc : put_str(b, "Connection: close\r\n");
    else if (s->req.minor_version == 0)
        rc = rc ? rc : put_str(b, "Connection: keep-alive\r\n");
    return rc ? rc : buf_append(b, "\r\n", 2);
}

/* unread_body_closes -- at respond(): whether an unread body makes the
 * connection close (exchange.c invariant (2)), so the response says so. */
static bool unread_body_closes(const http_exchange *ex)
{
    if (ex->body_done)
        return false;
    if (ex->expect_continue && !ex->continue_sent)
        return true; /* the client may or may not send the body now: ambiguous */
    if (ex->framing == HTTP_BODY_LENGTH) {
        uint64_t buffered = ex->s->end - ex->rpos;
        return ex->body_left > buffered && ex->body_left - buffered > HTTP_DRAIN_MAX_BYTES;
    }
    return false; /* chunked: unknown length; finish() drains or closes */
}

int http_exchange_respond(http_exchange *ex, int status, const http_header *headers, size_t n,
                          uint64_t content_length)
{
    http_session *s = ex->s;
    if (ex->responded || status < 200 || status > 599)
        return CF_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!header_ok(&headers[i]))
            return CF_EINVAL;
    }
    if (s->failed)
        return CF_EIO;
    bool bodiless = status == 204 || status == 304;
    ex->resp_no_body = ex->is_head || bodiless;
    if (unread_body_closes(ex))
        ex->close_after = true;
    char length_line[48] = "";
    if (bodiless) {
        /* RFC 9110 8.6: no Content-Length on 204; 304 describes a
         * representation it does not carry, so none there either. */
    } else if (content_length != HTTP_NO_LENGTH) {
        snprintf(length_line, sizeof length_line, "Content-Length: %llu\r\n",
                 (unsigned long long)content_length);
        ex->resp_left = ex->is_head ? 0 : content_length;
    } else if (ex->is_head) {
        /* no body follows, so no framing is needed */
    } else if (s->req.minor_version == 1) {
        snprintf(length_line, sizeof length_line, "Transfer-Encoding: chunked\r\n");
        ex->resp_chunked = true;
    } else {
        ex->resp_until_close = true; /* HTTP/1.0 has no chunked coding */
        ex->close_after = true;
    }
    bool closing = ex->close_after || !ex->keep_alive;
    int rc = build_head(ex, status, headers, n, length_line, closing);
    if (rc) {
        s->failed = true;
        return rc;
    }
    ex->responded = true;
    ex->head_pending = true;
    ex->status = status;
    ex->head_sent_bytes += s->out.len; /* counted as built: it may still be held back */
    return 0;
}

/* body_ok -- common checks of write and sendfile; 1 when the bytes are to be
 * discarded, 0 to send them, or an error. */
static int body_ok(http_exchange *ex, uint64_t len)
{
    if (!ex->responded)
        return CF_EINVAL;
    if (ex->s->failed)
        return CF_EIO;
    if (len == 0 || ex->resp_no_body)
        return 1;
    if (!ex->resp_chunked && !ex->resp_until_close && len > ex->resp_left)
        return CF_EINVAL; /* invariant (1) */
    return 0;
}

int http_exchange_write(http_exchange *ex, const void *p, size_t len)
{
    int rc = body_ok(ex, len);
    if (rc)
        return rc < 0 ? rc : 0;
    struct iovec iov[4];
    char size_line[24];
    int n = 1;
    if (ex->resp_chunked) {
        iov[n].iov_base = size_line;
        iov[n++].iov_len = (size_t)snprintf(size_line, sizeof size_line, "%zx\r\n", len);
    }
    iov[n].iov_base = (void *)p;
    iov[n++].iov_len = len;
    if (ex->resp_chunked) {
        iov[n].iov_base = (void *)"\r\n";
        iov[n++].iov_len = 2;
    }
    rc = send_iov(ex, iov, n);
    if (rc == 0)
        ex->body_sent_bytes += len;
    if (rc == 0 && !ex->resp_chunked && !ex->resp_until_close)
        ex->resp_left -= len;
    return rc;
}

int http_exchange_sendfile(http_exchange *ex, int fd, uint64_t off, uint64_t len)
{
    http_session *s = ex->s;
    int rc = body_ok(ex, len);
    if (rc)
        return rc < 0 ? rc : 0;
    struct iovec iov[2];
    char size_line[24];
    int n = 1;
    if (ex->resp_chunked) {
        iov[n].iov_base = size_line;
        iov[n++].iov_len =
            (size_t)snprintf(size_line, sizeof size_line, "%llx\r\n", (unsigned long long)len);
    }
    rc = send_iov(ex, iov, n);
    if (rc)
        return rc;
    rc = s->io.sendfile(s->io.ctx, fd, off, len);
    if (rc) {
        s->failed = true;
        return rc == CF_EAGAIN ? CF_EAGAIN : CF_EIO;
    }
    ex->body_sent_bytes += len; /* all of it: io.sendfile sends len or fails */
    if (ex->resp_chunked) {
        iov[1].iov_base = (void *)"\r\n";
        iov[1].iov_len = 2;
        return send_iov(ex, iov, 2);
    }
    if (!ex->resp_until_close)
        ex->resp_left -= len;
    return 0;
}

void http_response_error(http_exchange *ex, int status)
{
    static const struct {
        int status;
        const char *code;
    } codes[] = {
        {400, "BadRequest"},
        {414, "RequestURITooLong"},
        {431, "RequestHeaderSectionTooLarge"},
        {500, "InternalError"},
    };
    const char *code = "InternalError";
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if (codes[i].status == status)
            code = codes[i].code;
    }
    char body[256];
    int len = snprintf(body, sizeof body,
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<Error><Code>%s</Code><Message>%s</Message></Error>",
                       code, http_status_reason(status));
    http_header h = {slice_str("Content-Type"), slice_str("application/xml")};
    if (http_exchange_respond(ex, status, &h, 1, (uint64_t)len) == 0)
        http_exchange_write(ex, body, (size_t)len);
}
