/*
 * net.h -- coffer's network front: a TCP listener and a pool of epoll worker
 * threads that hand each connection to an http_session. The public header of
 * the net layer.
 *
 * Who calls what: main.c starts one net_server with the s3 layer's handler;
 * net/ accepts connections, creates an http_session per connection with the
 * connection's http_io (non-blocking socket reads and writes that wait with
 * poll() up to a timeout, and sendfile), and calls http_session_on_readable
 * whenever the socket is readable. The handler runs synchronously on the
 * worker thread that took the connection's event.
 *
 * Threads: a pool of worker threads waits on one epoll instance in which
 * every connection is registered one-shot, so any free worker serves any
 * ready connection and no two serve the same one (loop.c argues the design).
 * Handlers block (group-commit fsync, slow clients): a worker inside a
 * handler holds that one connection and no other. The pool starts at
 * `workers` and grows, whenever a worker takes an event while none other is
 * free, up to `max_workers`; only that many slow requests at once make a
 * ready connection wait.
 *
 * Timeouts: a connection that completes no request for
 * limits.idle_timeout_ms after its accept or its previous request is closed,
 * whatever it sends meanwhile (a slowly trickled head does not keep it open,
 * and does not hold a worker: heads are read without blocking). A body read
 * or response write that makes no progress for limits.io_timeout_ms fails
 * with CF_EAGAIN inside the handler, and so does one whose request has moved
 * fewer than min_rate bytes per second on average once io_timeout_ms has
 * passed (the rate floor, conn.c).
 *
 * Connection limit: at max_conns open connections, the accepting worker
 * closes the least recently active connection that is not inside a handler
 * to make room; if there is none, it closes the new one at once. Either way
 * the kernel's accept queue never fills with clients nobody will serve, and
 * a flood of idle connections costs a new client at most the idle timeout.
 *
 * SIGPIPE is blocked in the worker threads (sendfile(2) has no MSG_NOSIGNAL);
 * the process's own disposition is not changed.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdint.h>

#include "http/http.h"
#include "util/err.h"

typedef struct net_server net_server;

typedef struct net_opts {
    const char *host;        /* IPv4 or IPv6 literal ("[::1]" or "::1"), or "localhost"
                                (127.0.0.1); NULL means 127.0.0.1. Names are not resolved. */
    uint16_t port;           /* 0: an ephemeral port (read it with net_server_port) */
    int workers;             /* worker threads at start; 0: 2 x cores, at least 4 (net/config.h) */
    int max_workers;         /* the pool's bound; 0: NET_DEFAULT_MAX_WORKERS (at least workers) */
    int max_conns;           /* open connections; 0: NET_DEFAULT_MAX_CONNS */
    int min_rate;            /* the rate floor, bytes/s; 0: NET_DEFAULT_MIN_RATE */
    http_limits limits;      /* a field <= 0 takes its default from net/config.h */
    http_handler_fn handler; /* called once per request on a worker thread */
    void *handler_arg;       /* passed to handler; must outlive the server */
} net_opts;

/*
 * net_server_start -- binds o->host:o->port (SO_REUSEADDR), listens, and
 * starts the workers. Returns once the socket accepts connections. Caller
 * stops and frees with net_server_stop(). o is copied (o->host is not kept).
 * Returns 0; CF_EINVAL for a host that is not a literal address or
 * "localhost", a NULL handler or a negative count; CF_EEXIST when the
 * address is in use; CF_ENOMEM; CF_EIO for other socket or thread errors.
 * *out is NULL on failure.
 */
int net_server_start(const net_opts *o, net_server **out);

/* net_server_port -- the port the server is bound to (the kernel's pick when o->port was 0). */
uint16_t net_server_port(const net_server *s);

/*
 * net_server_stop -- stops accepting (new connections are refused), closes
 * every connection that is not inside a handler, lets handlers already
 * running finish their request for up to drain_ms (the connection is closed
 * after that response; a pipelined request started during the drain is
 * answered with "Connection: close"), then makes every socket wait in a
 * still-running handler fail with CF_EIO, joins the workers, closes all
 * sockets and frees s. Requests received but not yet started are not
 * served: their connection is closed. A handler blocked outside the
 * connection's I/O (an fsync) is waited for: stop returns after it does.
 * NULL is a no-op.
 * REQUIRES: not called from a handler; called once per server.
 */
void net_server_stop(net_server *s, int drain_ms);

#endif
