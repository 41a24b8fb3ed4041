/*
 * exchange.c -- one request on a session: setting it up, reading its body,
 * and deciding whether the connection survives it; response.c writes the
 * response. The handler calls the http_exchange_* functions of http.h;
 * session.c calls begin, finish and reject around it.
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
 *      the body; except that a request expecting it with an empty body
 *      (Content-Length: 0) gets it just before its response (respond()),
 *      which RFC 9110 allows and some clients need: botocore otherwise
 *      misreads the next response on the connection (boto/botocore#3755);
 *  (2) the connection is kept only when the request body was read to its
 *      end, the response was complete (its Content-Length fully written, or
 *      its last chunk sent) and no read or write failed;
 *  (3) the response head is written before, or in the same writev as, the
 *      first body byte, and before the handler blocks on a body read.
 */
#include <string.h>
#include <strings.h>

#include "http/config.h"
#include "http/session.h"

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

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
    ex->head_read_bytes = head_len;
    int rc = http_body_framing(&s->req, &ex->framing, &ex->body_left);
    if (rc)
        return rc;
    ex->body_done =
        ex->framing == HTTP_BODY_NONE || (ex->framing == HTTP_BODY_LENGTH && ex->body_left == 0);
    ex->is_head = slice_eq(s->req.method, slice_str("HEAD"));
    ex->keep_alive = wants_keep_alive(&s->req);
    bool expects = s->req.minor_version == 1 &&
                   eq_ci(http_header_find(&s->req, "expect"), "100-continue");
    ex->expect_continue = expects && !ex->body_done;
    ex->continue_empty = expects && ex->body_done && ex->framing == HTTP_BODY_LENGTH;
    return 0;
}

const http_request *http_exchange_request(const http_exchange *ex)
{
    return ex->req;
}

cf_slice http_exchange_peer(const http_exchange *ex)
{
    return ex->s->io.peer.ptr ? ex->s->io.peer : slice_make("", 0);
}

void http_exchange_stats(const http_exchange *ex, http_exchange_counts *out)
{
    out->status = ex->status;
    out->body_read_bytes = ex->body_read_bytes;
    out->body_sent_bytes = ex->body_sent_bytes;
    out->head_read_bytes = ex->head_read_bytes;
    out->head_sent_bytes = ex->head_sent_bytes;
}

void http_exchange_close_after(http_exchange *ex)
{
    ex->close_after = true;
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
    if (ex->head_pending && http_response_flush(ex) != 0) /* invariant (3) */
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
        if (ex->head_pending && http_response_flush(ex) != 0) /* invariant (3) */
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
        ex->head_sent_bytes += sizeof continue_line - 1;
    }
    ssize_t n =
        ex->framing == HTTP_BODY_LENGTH ? read_length(ex, buf, cap) : read_chunked(ex, buf, cap);
    if (n < 0 && n != CF_EAGAIN) {
        ex->body_err = (int)n;
        ex->close_after = true;
    }
    if (n > 0)
        ex->body_read_bytes += (uint64_t)n;
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

bool http_exchange_finish(http_exchange *ex)
{
    http_session *s = ex->s;
    if (!ex->responded && !s->failed)
        http_response_error(ex, 500);
    http_response_end(ex); /* with the head, if still held */
    if (ex->head_pending)
        http_response_flush(ex);
    if (ex->resp_left > 0) /* the response is shorter than it said: unframed */
        ex->close_after = true;
    if (!ex->body_done && !ex->close_after && !s->failed && !drain(ex))
        ex->close_after = true; /* invariant (2) */
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
    http_response_error(ex, status);
    if (ex->head_pending)
        http_response_flush(ex);
}
