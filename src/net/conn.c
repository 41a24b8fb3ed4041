/*
 * conn.c -- one connection: its http_session, the http_io callbacks over the
 * non-blocking socket, the handler wrapper with the transfer-rate floor, and
 * the lingering close.
 *
 * Called by loop.c on the owning worker's thread (invariant (1) of
 * internal.h); the session calls back into io_read / io_writev /
 * io_sendfile and, once per request, conn_serve(), all on that same thread.
 * The state machine is drawn in internal.h.
 *
 * The I/O callbacks try the non-blocking call first and, on EAGAIN, wait in
 * poll() on the socket and on the server's abort eventfd. So the session can
 * read a head without blocking (timeout 0), and a handler's body read or
 * response write waits for a slow client, but:
 *  (1) no callback waits more than its timeout without progress: read waits
 *      at most timeout_ms in all; writev and sendfile restart their
 *      limits.io_timeout_ms clock at every byte written, so a slow but
 *      moving reader is served and a stalled one gets CF_EAGAIN.
 *  (2) rate floor: inside a handler no wait goes past the request's start +
 *      io_timeout_ms + (bytes moved so far) / min_rate seconds (the rule of
 *      Apache's mod_reqtimeout). A client that keeps a worker by trickling a
 *      byte now and then, never idle long enough for (1), gets CF_EAGAIN
 *      once its average falls below min_rate bytes/s; a client that moved
 *      data at any sane speed has earned a long allowance.
 *  (3) once the server aborts (stop's drain time is over) every callback
 *      returns CF_EIO without blocking, so a handler waiting on a client
 *      comes back promptly.
 *  (4) no write raises SIGPIPE: sendmsg carries MSG_NOSIGNAL, and sendfile,
 *      which cannot, runs on a worker thread with SIGPIPE blocked (pool.c).
 *  (5) before waiting on its client, a handler's worker hands its other
 *      connections over (net_worker_block), so none waits behind it.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/config.h"
#include "net/internal.h"
#include "util/err.h"

static bool aborted(const net_conn *c)
{
    return atomic_load_explicit(&c->w->srv->aborting, memory_order_relaxed);
}

/* rate_deadline -- when the request falls below the rate floor (invariant 2). */
static int64_t rate_deadline(const net_conn *c)
{
    const net_opts *o = &c->w->srv->opts;
    if (c->xfer_start_ms == 0)
        return INT64_MAX; /* not inside a handler */
    return c->xfer_start_ms + o->limits.io_timeout_ms +
           (int64_t)(c->xfer_bytes * 1000 / (uint64_t)o->min_rate);
}

/* poll_io -- one wait of wait_io: 0 ready, CF_EAGAIN at deadline_ms, CF_EIO on abort. */
static int poll_io(const net_conn *c, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - net_now_ms();
        if (left <= 0)
            return CF_EAGAIN;
        struct pollfd p[2] = {{.fd = c->fd, .events = events},
                              {.fd = c->w->srv->abort_efd, .events = POLLIN}};
        int n = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
        if (n < 0 && errno != EINTR)
            return CF_EIO;
        if (n > 0 && p[1].revents)
            return CF_EIO; /* invariant (3) */
        if (n > 0)
            return 0;
    }
}

/*
 * wait_io -- waits until the socket is ready for events, or deadline_ms
 * (monotonic) or the rate floor passes (CF_EAGAIN), or the server aborts
 * (CF_EIO). Readiness includes an error on the socket: the retried call
 * reports it. Inside a handler, the worker's other connections are handed
 * over first (invariant 5).
 */
static int wait_io(net_conn *c, short events, int64_t deadline_ms)
{
    int64_t floor = rate_deadline(c);
    if (c->state == NET_CONN_SERVING)
        net_worker_block(c);
    return poll_io(c, events, floor < deadline_ms ? floor : deadline_ms);
}

/* io_read -- http_io.read: recv, then poll up to timeout_ms in all (invariant 1). */
static ssize_t io_read(void *ctx, void *buf, size_t cap, int timeout_ms)
{
    net_conn *c = ctx;
    int64_t deadline = 0;
    if (cap == 0)
        return CF_EINVAL; /* a 0 would read as the peer's EOF */
    for (;;) {
        if (aborted(c))
            return CF_EIO;
        ssize_t n = recv(c->fd, buf, cap, MSG_DONTWAIT);
        if (n >= 0) {
            c->xfer_bytes += (uint64_t)n;
            return n;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return CF_EIO;
        if (timeout_ms <= 0)
            return CF_EAGAIN;
        if (deadline == 0)
            deadline = net_now_ms() + timeout_ms;
        int rc = wait_io(c, POLLIN, deadline);
        if (rc < 0)
            return rc;
    }
}

/*
 * wait_writable -- the socket's buffer is full: waits for room, the clock
 * started at the first wait since the last progress (*deadline 0: none yet).
 */
static int wait_writable(net_conn *c, int64_t *deadline, int lim_ms)
{
    if (*deadline == 0)
        *deadline = net_now_ms() + lim_ms;
    return wait_io(c, POLLOUT, *deadline);
}

/*
 * io_writev -- http_io.writev: sendmsg until all of iov is written. The
 * window copies at most NET_IOV_WINDOW entries from the first unwritten
 * byte, so iov itself (const) is never modified.
 */
static int io_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
    net_conn *c = ctx;
    int lim_ms = c->w->srv->opts.limits.io_timeout_ms;
    struct iovec win[NET_IOV_WINDOW];
    int i = 0;      /* first entry with unwritten bytes */
    size_t off = 0; /* bytes of iov[i] already written */
    int64_t deadline = 0;
    while (i < iovcnt) {
        if (off == iov[i].iov_len) {
            i++;
            off = 0;
            continue;
        }
        if (aborted(c))
            return CF_EIO;
        int k = 0;
        for (int j = i; j < iovcnt && k < NET_IOV_WINDOW; j++, k++)
            win[k] = iov[j];
        win[0].iov_base = (char *)win[0].iov_base + off;
        win[0].iov_len -= off;
        struct msghdr m = {.msg_iov = win, .msg_iovlen = (size_t)k};
        ssize_t n = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_writable(c, &deadline, lim_ms);
            if (rc < 0)
                return rc;
            continue;
        }
        if (n < 0)
            return CF_EIO;
        deadline = 0; /* progress restarts the clock (invariant 1) */
        c->xfer_bytes += (uint64_t)n;
        size_t left = (size_t)n;
        while (left > 0) {
            size_t room = iov[i].iov_len - off;
            if (left < room) {
                off += left;
                break;
            }
            left -= room;
            i++;
            off = 0;
        }
    }
    return 0;
}

/* io_sendfile -- http_io.sendfile: sendfile(2) until len bytes of fd from off are sent. */
static int io_sendfile(void *ctx, int fd, uint64_t off, uint64_t len)
{
    net_conn *c = ctx;
    int lim_ms = c->w->srv->opts.limits.io_timeout_ms;
    if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off)
        return CF_EINVAL;
    off_t pos = (off_t)off;
    int64_t deadline = 0;
    while (len > 0) {
        if (aborted(c))
            return CF_EIO;
        size_t ask = len < NET_SENDFILE_MAX_BYTES ? (size_t)len : NET_SENDFILE_MAX_BYTES;
        ssize_t n = sendfile(c->fd, fd, &pos, ask); /* advances pos */
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_writable(c, &deadline, lim_ms);
            if (rc < 0)
                return rc;
            continue;
        }
        if (n <= 0)
            return CF_EIO; /* 0: the file ends before off + len */
        deadline = 0;
        c->xfer_bytes += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return 0;
}

/* conn_serve -- the handler the session calls: OPEN -> SERVING -> OPEN, timing the request
 * (the idle clock, and the rate floor of invariant 2). */
static void conn_serve(void *arg, http_exchange *ex)
{
    net_conn *c = arg;
    net_server *s = c->w->srv;
    c->state = NET_CONN_SERVING;
    if (atomic_load(&s->stopping))
        http_exchange_close_after(ex); /* draining: this is the connection's last answer */
    c->xfer_start_ms = net_now_ms();
    c->xfer_bytes = 0;
    atomic_store(&c->w->serving, true);
    s->opts.handler(s->opts.handler_arg, ex);
    atomic_store(&c->w->serving, false);
    c->xfer_start_ms = 0;
    c->state = NET_CONN_OPEN;
    c->served_ms = net_now_ms(); /* the loop restarts the idle clock (internal.h (1)) */
}

int net_conn_new(net_worker *w, int fd, const char *peer, int64_t now_ms, net_conn **out)
{
    *out = NULL;
    net_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return CF_ENOMEM;
    }
    c->fd = fd;
    c->w = w;
    c->io.ctx = c;
    c->io.read = io_read;
    c->io.writev = io_writev;
    c->io.sendfile = io_sendfile;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    c->io.peer = slice_str(c->peer);
    c->state = NET_CONN_OPEN;
    c->last_ms = now_ms;
    int rc = http_session_new(&c->io, &w->srv->opts.limits, conn_serve, c, &c->session);
    if (rc < 0)
        goto fail;
    *out = c;
    return 0;

fail:
    close(fd);
    free(c);
    return rc;
}

int net_conn_on_readable(net_conn *c)
{
    return http_session_on_readable(c->session);
}

/* discard -- reads and drops what the peer sent: HTTP_SESSION_CLOSE at its EOF or an error. */
static int discard(net_conn *c)
{
    char sink[16384];
    for (;;) {
        ssize_t n = recv(c->fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return HTTP_SESSION_WAIT;
        return HTTP_SESSION_CLOSE;
    }
}

int net_conn_linger(net_conn *c, int64_t now_ms)
{
    http_session_free(c->session);
    c->session = NULL;
    c->state = NET_CONN_LINGER;
    c->last_ms = now_ms;
    if (shutdown(c->fd, SHUT_WR) != 0)
        return HTTP_SESSION_CLOSE;
    return discard(c);
}

int net_conn_on_linger_readable(net_conn *c)
{
    return discard(c);
}

void net_conn_shut(net_conn *c)
{
    http_session_free(c->session);
    c->session = NULL;
    close(c->fd);
    c->fd = -1;
    c->state = NET_CONN_CLOSED;
}

void net_conn_free(net_conn *c)
{
    free(c);
}
