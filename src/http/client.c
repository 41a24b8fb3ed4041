/*
 * client.c -- a small blocking HTTP/1.1 client: one connection, one request
 * at a time, kept alive between requests (http.h, "the client"). Its user
 * is the change-log sink (s3/cdc_sink.c), which PUTs to another S3 store.
 *
 * The connection's states:
 *
 *   CLOSED --connect_to()--> OPEN --request answered, reusable--> OPEN
 *   OPEN --any failure, "Connection: close", HTTP/1.0, body to close--> CLOSED
 *
 * Invariants:
 *  (1) every wait is bounded: connect by poll(timeout_ms), every send and
 *      receive by SO_SNDTIMEO / SO_RCVTIMEO; a timeout is CF_EIO and closes
 *      the connection, so a half-read response never poisons the next one.
 *  (2) the response head is read into head[HTTP_MAX_HEAD_BYTES] and parsed
 *      by http_parse_response (parser.c, the request parser's field code);
 *      bytes after the head are the body's first bytes; the body is read by
 *      http_response_framing (Content-Length, chunked through
 *      http_chunked_feed, or to the close) and dropped but for its head.
 *  (3) a reused connection that yields nothing (EOF or reset before the
 *      first response byte) is the server's idle close: the request is sent
 *      once more on a fresh connection; any other failure is the caller's.
 *
 * Wire format: HTTP/1.1 (RFC 9112); what the parser accepts is in
 * doc/formats.md ("HTTP wire formats").
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http.h"

struct http_client {
    char host[256];
    uint16_t port;
    int timeout_ms;
    /* run time */
    int fd;                                /* -1: CLOSED */
    uint8_t head[HTTP_MAX_HEAD_BYTES];     /* the response head being read */
    http_response resp;                    /* parsed from head */
};

int http_client_new(const char *host, uint16_t port, int timeout_ms, http_client **out)
{
    *out = NULL;
    if (strlen(host) >= sizeof((http_client *)0)->host || timeout_ms <= 0)
        return CF_EINVAL;
    http_client *c = calloc(1, sizeof *c);
    if (!c)
        return CF_ENOMEM;
    snprintf(c->host, sizeof c->host, "%s", host);
    c->port = port;
    c->timeout_ms = timeout_ms;
    c->fd = -1;
    *out = c;
    return 0;
}

static void disconnect(http_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

void http_client_free(http_client *c)
{
    if (c)
        disconnect(c);
    free(c);
}

/* connect_addr -- a socket connected to ai within the timeout (invariant (1)), or -1. */
static int connect_addr(const struct addrinfo *ai, int timeout_ms)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        struct pollfd p = {fd, POLLOUT, 0};
        int err = 0;
        socklen_t el = sizeof err;
        if (errno != EINPROGRESS || poll(&p, 1, timeout_ms) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)
            goto fail;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int one = 1;
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

/* connect_to -- CLOSED -> OPEN: the first of host's addresses that answers. */
static int connect_to(http_client *c)
{
    char port[8];
    snprintf(port, sizeof port, "%u", c->port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(c->host, port, &hints, &res) != 0)
        return CF_EIO;
    for (struct addrinfo *ai = res; ai && c->fd < 0; ai = ai->ai_next)
        c->fd = connect_addr(ai, c->timeout_ms);
    freeaddrinfo(res);
    return c->fd >= 0 ? 0 : CF_EIO;
}

/* send_all -- writes iov[0..n) whole (SO_SNDTIMEO bounds each wait). */
static int send_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        struct msghdr m = {0};
        m.msg_iov = iov;
        m.msg_iovlen = (size_t)n;
        ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return CF_EIO;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* recv_some -- bytes read (> 0), 0 at EOF, CF_EIO on error or timeout. */
static ssize_t recv_some(int fd, void *buf, size_t cap)
{
    for (;;) {
        ssize_t r = recv(fd, buf, cap, 0);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return CF_EIO;
    }
}

/* keep_head -- appends body bytes to out->body_head while there is room. */
static void keep_head(http_client_result *out, const uint8_t *p, size_t n)
{
    size_t room = sizeof out->body_head - out->body_head_len;
    n = n < room ? n : room;
    if (n == 0) /* p may be NULL then (no payload in a chunked piece) */
        return;
    memcpy(out->body_head + out->body_head_len, p, n);
    out->body_head_len += n;
}

/*
 * read_body -- the body after the head (extra[0..n) already read) by its
 * framing; *reusable is whether the connection can carry another request.
 */
static int read_body(http_client *c, const uint8_t *extra, size_t n, http_client_result *out,
                     bool *reusable)
{
    http_framing_kind kind;
    uint64_t left;
    http_chunked ch = {0};
    bool done = false;
    uint8_t buf[8192];
    if (http_response_framing(&c->resp, &kind, &left) != 0)
        return CF_EINVAL;
    *reusable = kind != HTTP_BODY_CLOSE;
    for (;;) {
        if (kind == HTTP_BODY_NONE)
            return n == 0 ? 0 : CF_EINVAL; /* bytes nobody asked for: do not reuse */
        if (kind == HTTP_BODY_LENGTH) {
            if (n > left)
                return CF_EINVAL;
            keep_head(out, extra, n);
            left -= n;
            if (left == 0)
                return 0;
        } else if (kind == HTTP_BODY_CHUNKED) {
            while (n > 0 && !done) {
                const uint8_t *data;
                size_t dlen;
                int used = http_chunked_feed(&ch, extra, n, &data, &dlen, &done);
                if (used < 0)
                    return used;
                keep_head(out, data, dlen);
                extra += used;
                n -= (size_t)used;
            }
            if (done)
                return n == 0 ? 0 : CF_EINVAL;
        } else {
            keep_head(out, extra, n);
        }
        ssize_t r = recv_some(c->fd, buf, sizeof buf);
        if (r == 0 && kind == HTTP_BODY_CLOSE)
            return 0;
        if (r <= 0)
            return CF_EIO;
        extra = buf;
        n = (size_t)r;
    }
}

/*
 * exchange -- one attempt on the open connection: send, then read the head
 * and body. *got_any: whether a response byte arrived (invariant (3)).
 */
static int exchange(http_client *c, struct iovec *iov, int niov, http_client_result *out,
                    bool *got_any)
{
    *got_any = false;
    int rc = send_all(c->fd, iov, niov);
    size_t have = 0;
    int head = CF_EAGAIN;
    while (!rc && head == CF_EAGAIN) {
        ssize_t r = recv_some(c->fd, c->head + have, sizeof c->head - have);
        if (r <= 0) {
            rc = CF_EIO;
            break;
        }
        *got_any = true;
        have += (size_t)r;
        head = http_parse_response(c->head, have, &c->resp);
        if (head > 0 && c->resp.status < 200) { /* an interim response: drop it, read on */
            memmove(c->head, c->head + head, have - (size_t)head);
            have -= (size_t)head;
            head = have ? http_parse_response(c->head, have, &c->resp) : CF_EAGAIN;
        }
    }
    if (!rc && head < 0)
        rc = head;
    bool reusable = false;
    if (!rc) {
        out->status = c->resp.status;
        rc = read_body(c, c->head + head, have - (size_t)head, out, &reusable);
    }
    cf_slice conn = rc ? slice_make(NULL, 0) : http_response_header(&c->resp, "connection");
    if (rc || !reusable || c->resp.minor_version == 0 ||
        (conn.len == 5 && strncasecmp((const char *)conn.ptr, "close", 5) == 0))
        disconnect(c);
    return rc;
}

int http_client_request(http_client *c, const char *method, cf_slice target,
                        const http_header *headers, size_t n, cf_slice body,
                        http_client_result *out)
{
    memset(out, 0, sizeof *out);
    cf_buf h = {0};
    int rc = buf_appendf(&h, "%s %.*s HTTP/1.1\r\n", method, (int)target.len,
                         (const char *)target.ptr);
    for (size_t i = 0; !rc && i < n; i++)
        rc = buf_appendf(&h, "%.*s: %.*s\r\n", (int)headers[i].name.len,
                         (const char *)headers[i].name.ptr, (int)headers[i].value.len,
                         (const char *)headers[i].value.ptr);
    if (!rc && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        rc = buf_appendf(&h, "Content-Length: %zu\r\n", body.len);
    if (!rc)
        rc = buf_append(&h, "\r\n", 2);
    for (int attempt = 0; !rc; attempt++) {
        bool reused = c->fd >= 0, got_any;
        if (!reused && (rc = connect_to(c)) != 0)
            break;
        struct iovec iov[2] = {{h.data, h.len}, {(void *)body.ptr, body.len}};
        out->sent_bytes = h.len + body.len;
        rc = exchange(c, iov, body.len ? 2 : 1, out, &got_any);
        if (rc && reused && !got_any && attempt == 0) { /* invariant (3) */
            memset(out, 0, sizeof *out);
            rc = 0;
            continue;
        }
        break;
    }
    buf_free(&h);
    return rc;
}
