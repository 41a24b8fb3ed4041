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
 * worker thread that owns the connection.
 *
 * Threads: `workers` threads at start, each with its own epoll instance,
 * all sharing the one listening socket registered with EPOLLEXCLUSIVE (see
 * loop.c for why not SO_REUSEPORT). A connection belongs to one worker,
 * which serves it and its neighbours without handing events between
 * threads. Handlers block (group-commit fsync, slow clients); before a
 * handler waits on its client, its worker hands its other connections to a
 * worker that is not inside a handler, starting one if none is (pool.c, up
 * to `max_workers`), so a slow client holds one worker and no other
 * client's connection.
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
 * Connection limit: at max_conns open connections, a worker accepting one
 * more closes its own least recently active connection to make room (none of
 * a worker's connections is inside a handler while it accepts, so only idle
 * or half-received connections are evicted); if it has none, it closes the
 * new one at once. Either way the kernel's accept queue never fills with
 * clients nobody will serve, and a flood of idle connections costs a new
 * client at most the idle timeout.
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
    int workers;             /* worker threads at start; 0: 8 x cores, at least 16 (net/config.h) */
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

/* What a server counted since its start (read at any time, from any thread). */
typedef struct net_stats {
    uint64_t connections_open;     /* accepted and not yet closed (lingering ones included) */
    uint64_t connections_accepted; /* accepted and served since the start (none refused at
                                      max_conns, none that failed to set up) */
    uint64_t workers;              /* worker threads started (the pool only grows) */
} net_stats;

/* net_server_stats -- s's counts into *out: relaxed reads of its atomics, no lock. */
void net_server_stats(const net_server *s, net_stats *out);

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
