/*
 * session.c -- one HTTP/1.1 connection: the input buffer, finding and
 * parsing request heads, and serving them in order (pipelining). Called by
 * net/ through http_session_on_readable; exchange.c serves each request.
 *
 * Connection state machine (the states are where on_readable returns or
 * calls out; every move is made in http_session_on_readable or the
 * serve_buffered it calls):
 *
 *   WAIT_HEAD --bytes, head complete--> SERVING (handler runs; exchange.c)
 *   SERVING --handler done, keep-alive--> WAIT_HEAD (next head may be buffered)
 *   SERVING --close decided--> CLOSED
 *   WAIT_HEAD --bad head--> 400/414/431 written --> CLOSED
 *   WAIT_HEAD --EOF or read error--> CLOSED (nothing written)
 *
 * A head is parsed again from its start each time bytes arrive that may
 * finish it (see head_may_be_complete), never once per byte.
 *
 * Invariants:
 *  (1) between calls, buf[start, end) is shorter than HTTP_MAX_HEAD_BYTES
 *      and holds no complete head (each complete one was served);
 *  (2) a head is parsed only when at least HTTP_MAX_HEAD_BYTES +
 *      HTTP_SESSION_MIN_ROOM_BYTES are free from its first byte, so its
 *      body can be read behind it;
 *  (3) nothing is read from the socket while a complete head is buffered:
 *      requests are answered in the order they arrived.
 */
#include <stdlib.h>
#include <string.h>

#include "http/config.h"
#include "http/session.h"

int http_session_new(const http_io *io, const http_limits *lim, http_handler_fn handler, void *arg,
                     http_session **out)
{
    *out = NULL;
    if (!io->read || !io->writev || !io->sendfile || !handler)
        return CF_EINVAL;
    http_session *s = calloc(1, sizeof *s);
    if (!s)
        goto fail;
    s->cap = HTTP_MAX_HEAD_BYTES + HTTP_SESSION_BODY_BYTES;
    s->buf = malloc(s->cap);
    if (!s->buf)
        goto fail_session;
    s->io = *io;
    s->lim = *lim;
    s->handler = handler;
    s->arg = arg;
    s->date_s = -1;
    *out = s;
    return 0;

fail_session:
    free(s);
fail:
    return CF_ENOMEM;
}

void http_session_free(http_session *s)
{
    if (!s)
        return;
    buf_free(&s->out);
    free(s->buf);
    free(s);
}

/* compact -- moves the unconsumed bytes to the front of the buffer. */
static void compact(http_session *s)
{
    size_t n = s->end - s->start;
    if (s->start == 0)
        return;
    memmove(s->buf, s->buf + s->start, n);
    s->parsed_end = s->parsed_end > s->start ? s->parsed_end - s->start : 0;
    s->start = 0;
    s->end = n;
}

/* head_may_be_complete -- whether parsing now can answer more than CF_EAGAIN
 * did last time: nothing of this head was parsed yet (bad bytes are caught
 * on the first read), a new line ended since, or the size limit is reached. */
static bool head_may_be_complete(const http_session *s)
{
    if (s->parsed_end <= s->start)
        return true;
    if (s->end - s->start >= HTTP_MAX_HEAD_BYTES)
        return true;
    return memchr(s->buf + s->parsed_end, '\n', s->end - s->parsed_end) != NULL;
}

/* serve_one -- runs the handler for the head of head_len bytes at start. */
static bool serve_one(http_session *s, size_t head_len)
{
    if (http_exchange_begin(s, head_len) != 0) {
        http_exchange_reject(s, 400);
        return true;
    }
    s->handler(s->arg, &s->ex);
    bool close = http_exchange_finish(&s->ex);
    s->start = s->ex.rpos;
    s->parsed_end = 0;
    return close;
}

/* serve_buffered -- serves every complete head in the buffer, in order.
 * Returns true when the connection must close. */
static bool serve_buffered(http_session *s)
{
    for (;;) {
        /* RFC 9112 2.2: empty lines before a request line are ignored. */
        while (s->end - s->start >= 2 && s->buf[s->start] == '\r' && s->buf[s->start + 1] == '\n')
            s->start += 2;
        if (s->start == s->end) {
            s->start = s->end = s->parsed_end = 0;
            return false;
        }
        if (s->end - s->start == 1 && s->buf[s->start] == '\r')
            return false; /* maybe the first half of an empty line */
        if (!head_may_be_complete(s))
            return false;
        if (s->cap - s->start < HTTP_MAX_HEAD_BYTES + HTTP_SESSION_MIN_ROOM_BYTES)
            compact(s); /* invariant (2) */
        int n = http_parse_request(s->buf + s->start, s->end - s->start, &s->req);
        if (n == CF_EAGAIN) {
            s->parsed_end = s->end;
            return false;
        }
        if (n < 0) {
            bool uri = n == CF_ELIMIT && s->req.target.len > HTTP_MAX_TARGET_BYTES;
            http_exchange_reject(s, n == CF_EINVAL ? 400 : uri ? 414 : 431);
            return true;
        }
        if (serve_one(s, (size_t)n))
            return true;
    }
}

int http_session_on_readable(http_session *s)
{
    for (;;) {
        if (serve_buffered(s))
            return HTTP_SESSION_CLOSE;
        if (s->end == s->cap)
            compact(s); /* invariant (1): what is left is a partial head */
        ssize_t n = s->io.read(s->io.ctx, s->buf + s->end, s->cap - s->end, 0);
        if (n == CF_EAGAIN)
            return HTTP_SESSION_WAIT;
        if (n <= 0)
            return HTTP_SESSION_CLOSE; /* the peer closed, or the read failed */
        s->end += (size_t)n;
    }
}
