/*
 * exchange.c -- one request on a session: reading its body, writing its
 * response, and deciding whether the connection survives it. The handler
 * calls the http_exchange_* functions of http.h; session.c calls begin,
 * finish and reject around it.
 *
 * Exchange state machine (moves made by the function named):
 *
 *   BEGUN --read_body (first; Expect: 100-continue)--> "100 Continue" written
 *   BEGUN --respond--> RESPONDED (head held in s->out)
 *   RESPONDED --write / sendfile / blocking read_body / finish--> head written
 *   any --finish--> (500 if not RESPONDED) body completed, unread body drained
 *                   or the connection closed
 *
 * Invariants:
 *  (1) "100 Continue" is written at most once, only from read_body, and
 *      never after respond(): a handler that rejects early does not invite
 *      the body;
 *  (2) the connection is kept only when the request body was read to its
 *      end, the response was complete (its Content-Length fully written, or
 *      its last chunk sent) and no read or write failed;
 *  (3) the response head is written before, or in the same writev as, the
 *      first body byte, and before the handler blocks on a body read.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/config.h"
#include "http/session.h"

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool eq_ci(cf_slice a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && strncasecmp((const char *)a.ptr, b, n) == 0;
}

/* wants_keep_alive -- HTTP/1.1 unless "close"; HTTP/1.0 only with "keep-alive". */
static bool wants_keep_alive(const http_request *req)
{
    bool close = false, keep = false;
    for (size_t i = 0; i < req->n_headers; i++) {
        if (!eq_ci(req->headers[i].name, "connection"))
            continue;
        cf_slice list = req->headers[i].value, opt;
        while (http_list_next(&list, &opt)) {
            close |= eq_ci(opt, "close");
            keep |= eq_ci(opt, "keep-alive");
        }
    }
    return !close && (req->minor_version == 1 || keep);
}

int http_exchange_begin(http_session *s, size_t head_len)
{
    http_exchange *ex = &s->ex;
    memset(ex, 0, sizeof *ex);
    ex->s = s;
    ex->req = &s->req;
    ex->head_end = ex->rpos = s->start + head_len;
    int rc = http_body_framing(&s->req, &ex->framing, &ex->body_left);
    if (rc)
        return rc;
    ex->body_done =
        ex->framing == HTTP_BODY_NONE || (ex->framing == HTTP_BODY_LENGTH && ex->body_left == 0);
    ex->is_head = slice_eq(s->req.method, slice_str("HEAD"));
    ex->keep_alive = wants_keep_alive(&s->req);
    ex->expect_continue = s->req.minor_version == 1 && !ex->body_done &&
                          eq_ci(http_header_find(&s->req, "expect"), "100-continue");
    return 0;
}

const http_request *http_exchange_request(const http_exchange *ex)
{
    return ex->req;
}

void http_exchange_close_after(http_exchange *ex)
{
    ex->close_after = true;
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

static int flush_head(http_exchange *ex)
{
    struct iovec iov[1];
    return send_iov(ex, iov, 1);
}

/* ---- the request body ---- */

/* read_result -- what a body read's n means: bytes (0 returned), a timeout,
 * or the end of the connection. The peer closing mid-body (n == 0) may be a
 * half-close, so the response is still written; a read error is not. */
static int read_result(http_session *s, ssize_t n)
{
    if (n > 0 || n == CF_EAGAIN)
        return n > 0 ? 0 : CF_EAGAIN;
    if (n < 0)
        s->failed = true;
    return CF_EIO;
}

/* fill -- reads more raw body bytes into the buffer behind the head. */
static int fill(http_exchange *ex)
{
    http_session *s = ex->s;
    if (ex->rpos == s->end) /* nothing buffered: reuse the room behind the head */
        ex->rpos = s->end = ex->head_end;
    if (ex->head_pending && flush_head(ex) != 0) /* invariant (3) */
        return CF_EIO;
    ssize_t n = s->io.read(s->io.ctx, s->buf + s->end, s->cap - s->end, s->lim.io_timeout_ms);
    if (n > 0)
        s->end += (size_t)n;
    return read_result(s, n);
}

static ssize_t read_length(http_exchange *ex, uint8_t *buf, size_t cap)
{
    http_session *s = ex->s;
    size_t want = cap < ex->body_left ? cap : (size_t)ex->body_left;
    ssize_t n;
    if (ex->rpos < s->end) {
        size_t avail = s->end - ex->rpos;
        n = (ssize_t)(want < avail ? want : avail);
        memcpy(buf, s->buf + ex->rpos, (size_t)n);
        ex->rpos += (size_t)n;
    } else {
        /* Nothing buffered: straight into the caller's buffer, never past
         * the body (the next request's bytes must stay in the socket). */
        if (ex->head_pending && flush_head(ex) != 0) /* invariant (3) */
            return CF_EIO;
        n = s->io.read(s->io.ctx, buf, want, s->lim.io_timeout_ms);
        if (n <= 0)
            return read_result(s, n);
    }
    ex->body_left -= (uint64_t)n;
    ex->body_done = ex->body_left == 0;
    return n;
}

static ssize_t read_chunked(http_exchange *ex, uint8_t *buf, size_t cap)
{
    http_session *s = ex->s;
    for (;;) {
        if (ex->rpos == s->end) {
            int rc = fill(ex);
            if (rc)
                return rc;
        }
        size_t avail = s->end - ex->rpos;
        const uint8_t *data;
        size_t n;
        bool done;
        /* At most cap input bytes, so at most cap payload bytes come out. */
        int used = http_chunked_feed(&ex->chunked, s->buf + ex->rpos, avail < cap ? avail : cap,
                                     &data, &n, &done);
        if (used < 0)
            return used;
        ex->rpos += (size_t)used;
        if (n > 0)
            memcpy(buf, data, n);
        ex->body_done = done;
        if (n > 0 || done)
            return (ssize_t)n;
    }
}

ssize_t http_exchange_read_body(http_exchange *ex, void *buf, size_t cap)
{
    http_session *s = ex->s;
    if (ex->body_err)
        return ex->body_err;
    if (ex->body_done)
        return 0;
    if (cap == 0)
        return CF_EINVAL;
    if (s->failed)
        return ex->body_err = CF_EIO;
    if (ex->expect_continue && !ex->continue_sent && !ex->responded) { /* invariant (1) */
        struct iovec iov = {(void *)continue_line, sizeof continue_line - 1};
        if (s->io.writev(s->io.ctx, &iov, 1) != 0) {
            s->failed = true;
            return ex->body_err = CF_EIO;
        }
        ex->continue_sent = true;
    }
    ssize_t n =
        ex->framing == HTTP_BODY_LENGTH ? read_length(ex, buf, cap) : read_chunked(ex, buf, cap);
    if (n < 0 && n != CF_EAGAIN) {
        ex->body_err = (int)n;
        ex->close_after = true;
    }
    return n;
}

/* drain -- discards up to HTTP_DRAIN_MAX_BYTES of unread body; whether the
 * body then ended. */
static bool drain(http_exchange *ex)
{
    uint8_t scratch[HTTP_DRAIN_STEP_BYTES];
    size_t budget = HTTP_DRAIN_MAX_BYTES;
    while (!ex->body_done && budget > 0) {
        ssize_t n =
            http_exchange_read_body(ex, scratch, budget < sizeof scratch ? budget : sizeof scratch);
        if (n < 0)
            return false;
        budget -= (size_t)n;
    }
    return ex->body_done;
}

/* ---- the response ---- */

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
        if ((c < 0x20 && c != '\t') || c == 0x7f) /* CR, LF: response splitting */
            return false;
    }
    return true;
}

static int put(cf_buf *b, const void *p, size_t n)
{
    return buf_append(b, p, n);
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
    int rc = put_str(b, line);
    rc = rc ? rc : put_str(b, http_status_reason(status));
    rc = rc ? rc : put(b, "\r\n", 2);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = put(b, headers[i].name.ptr, headers[i].name.len);
        rc = rc ? rc : put(b, ": ", 2);
        rc = rc ? rc : put(b, headers[i].value.ptr, headers[i].value.len);
        rc = rc ? rc : put(b, "\r\n", 2);
    }
    rc = rc ? rc : put_str(b, "Date: ");
    rc = rc ? rc : put_str(b, session_date(s));
    rc = rc ? rc : put_str(b, "\r\nServer: coffer\r\n");
    rc = rc ? rc : put_str(b, length_line);
    if (closing)
        rc = rc ? rc : put_str(b, "Connection: close\r\n");
    else if (s->req.minor_version == 0)
        rc = rc ? rc : put_str(b, "Connection: keep-alive\r\n");
    return rc ? rc : put(b, "\r\n", 2);
}

/* unread_body_closes -- at respond(): whether an unread body makes the
 * connection close (invariant (2)), so the response can say so. */
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
        return CF_EINVAL;
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
    if (ex->resp_chunked) {
        iov[1].iov_base = (void *)"\r\n";
        iov[1].iov_len = 2;
        return send_iov(ex, iov, 2);
    }
    if (!ex->resp_until_close)
        ex->resp_left -= len;
    return 0;
}

/* send_error -- a complete minimal S3-style XML error response. */
static void send_error(http_exchange *ex, int status)
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

bool http_exchange_finish(http_exchange *ex)
{
    http_session *s = ex->s;
    if (!ex->responded && !s->failed)
        send_error(ex, 500);
    if (ex->head_pending)
        flush_head(ex);
    if (ex->resp_chunked && !s->failed) {
        struct iovec iov[2] = {{0}, {(void *)"0\r\n\r\n", 5}};
        send_iov(ex, iov, 2);
    }
    if (ex->resp_left > 0) /* the response is shorter than it said: unframed */
        ex->close_after = true;
    if (!ex->body_done && !ex->close_after && !s->failed && !drain(ex))
        ex->close_after = true;
    return s->failed || ex->close_after || !ex->keep_alive;
}

void http_exchange_reject(http_session *s, int status)
{
    http_exchange *ex = &s->ex;
    memset(ex, 0, sizeof *ex);
    ex->s = s;
    ex->req = &s->req;
    ex->body_done = true;
    ex->close_after = true;
    send_error(ex, status);
    if (ex->head_pending)
        flush_head(ex);
}
