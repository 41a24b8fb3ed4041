/*
 * internal.h -- the net layer's private types, shared by listener.c, conn.c,
 * loop.c, pool.c and server.c. Not part of the public interface (that is net.h).
 *
 * Ownership: a net_server owns its listening socket, two eventfds and its
 * workers; a worker owns its epoll instance and the connections in its
 * lists; a connection owns its socket and its http_session. A connection
 * changes owner only when its owner is about to block on a slow client and
 * hands its other connections to a worker that is not blocked (pool.c).
 *
 * The connection's state machine:
 *
 *   accept --> OPEN --conn_serve()--> SERVING --(handler returned)--> OPEN
 *               |  \
 *               |   +--HTTP_SESSION_CLOSE--> LINGER --(peer EOF, error,
 *               |                              |       NET_LINGER_MS)--+
 *               +--(peer reset, idle expiry, eviction, stop)-----------+--> CLOSED --> freed
 *
 *   accept -> OPEN        loop.c accept_batch() via net_conn_new()
 *   OPEN -> SERVING       conn.c conn_serve(), the handler wrapper the session calls
 *   SERVING -> OPEN       conn.c conn_serve() after the handler returns
 *   OPEN -> LINGER        loop.c conn_linger() via net_conn_linger(): the response is
 *                         out, our side is shut (FIN), and what the peer still sends
 *                         (a body nobody read) is discarded, so closing with unread
 *                         bytes does not send a RST that destroys the response
 *                         before the client read it
 *   OPEN|LINGER -> CLOSED loop.c conn_close() via net_conn_shut()
 *   CLOSED -> freed       loop.c free_dead(), after the epoll batch, so a later
 *                         event of the same batch never touches freed memory
 *
 * Invariants:
 *  (1) a connection is touched only by its owner's thread, and its owner
 *      changes only under both workers' locks (pool.c); a worker's lists
 *      are changed only under its lock. One exception: a hand-over into a
 *      worker's lists reads the last_ms of the connections there, under
 *      that worker's lock, so last_ms too is written only under it (a
 *      handler, which runs unlocked, writes served_ms instead; found by
 *      ThreadSanitizer in tests/it/tsan.sh). The server's atomics and
 *      eventfds are the only other cross-thread state.
 *  (2) a worker's open list holds its OPEN connections ordered by last_ms,
 *      oldest first (last_ms only grows, and a connection whose last_ms moved
 *      goes to the tail; a hand-over merges in order), so the head is the
 *      next to expire and the first to evict. The linger list is ordered the
 *      same way by the time lingering started.
 *  (3) SERVING happens only inside http_session_on_readable on the worker's
 *      thread: while the worker runs its loop (accepting, expiring,
 *      draining) none of its connections is SERVING; the SERVING connection
 *      is never handed over.
 *  (4) server.n_conns counts connections between accept and conn_close
 *      (lingering ones included: they hold an fd).
 *  (5) an event in a worker's batch names a connection that worker owns and
 *      has not freed: a hand-over clears the events of the connections it
 *      moves from the batch.
 */
#ifndef NET_INTERNAL_H
#define NET_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>

#include "http/http.h"
#include "net/config.h"
#include "net/net.h"

typedef struct net_worker net_worker;
typedef struct net_conn net_conn;

/* A peer address as text and its NUL: INET6_ADDRSTRLEN, the longest IPv6 form. */
#define NET_PEER_MAX_BYTES 46

enum net_conn_state {
    NET_CONN_OPEN = 0,    /* waiting for (the rest of) a request head */
    NET_CONN_SERVING = 1, /* inside the handler */
    NET_CONN_LINGER = 2,  /* our side shut; discarding the peer's bytes until its EOF */
    NET_CONN_CLOSED = 3   /* socket closed; freed after the batch */
};

struct net_conn {
    int fd;                    /* the accepted socket, non-blocking */
    net_worker *w;             /* the owner (invariant 1) */
    http_session *session;     /* created at accept, freed at close */
    http_io io;                /* the callbacks the session calls; ctx = this, peer = peer */
    char peer[NET_PEER_MAX_BYTES]; /* the client's address as text (net_listener_accept) */
    /* run-time state */
    enum net_conn_state state;
    int64_t last_ms;           /* monotonic: accept, the end of the last request, or
                                  the start of lingering; written under the owner's
                                  lock only: a hand-over into the owner's lists reads
                                  it (pool.c insert) while the owner serves */
    int64_t served_ms;         /* the end of the last request, written by the handler
                                  unlocked; the owner's loop carries it to last_ms */
    int64_t xfer_start_ms;     /* the current request's start, 0 outside a handler (rate floor) */
    uint64_t xfer_bytes;       /* bytes the current request moved, both directions */
    net_conn *prev, *next;     /* the worker's open or linger list, or its dead list */
};

typedef struct net_conn_list {
    net_conn *head; /* oldest last_ms */
    net_conn *tail;
} net_conn_list;

struct net_worker {
    net_server *srv;
    int epfd;                  /* this worker's epoll instance */
    pthread_t thread;
    pthread_mutex_t mu;        /* guards the lists (invariant 1) */
    atomic_bool serving;       /* inside a handler (conn.c); pool.c hands over to others */
    /* run-time state, the worker thread's only (but the lists: mu) */
    bool listening;            /* the listener is in epfd */
    int64_t accept_resume_ms;  /* re-add the listener at this time; 0 = not paused */
    net_conn_list open;        /* OPEN and SERVING connections (invariant 2) */
    net_conn_list linger;      /* LINGER connections (invariant 2) */
    net_conn *dead;            /* closed during this batch (singly linked), freed after it */
    struct epoll_event batch[NET_MAX_EVENTS]; /* the events being served (invariant 5) */
    int n_batch;
};

struct net_server {
    net_opts opts;             /* defaults applied; opts.host is not kept */
    int listen_fd;
    uint16_t port;             /* bound port */
    int stop_efd;              /* written once by stop: wakes every worker's epoll */
    int abort_efd;             /* written once when the drain time is over: wakes blocked I/O */
    net_worker *workers;       /* max_workers entries; the first n_workers started */
    /* run-time state */
    atomic_int n_workers;      /* grows (pool.c); an entry is ready before it is counted */
    atomic_bool stopping;      /* no more accepting, new events or new workers */
    atomic_bool aborting;      /* connection I/O fails with CF_EIO */
    atomic_int n_conns;        /* open connections, all workers (invariant 4) */
    atomic_uint_fast64_t n_accepted; /* connections accepted and set up, ever (net_server_stats) */
    pthread_mutex_t mu;        /* guards n_exited and starting workers */
    pthread_cond_t exited_cv;  /* signalled as each worker exits; CLOCK_MONOTONIC */
    int n_exited;
};

/* net_now_ms -- CLOCK_MONOTONIC in milliseconds. */
static inline int64_t net_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- listener.c ---- */

/*
 * net_listener_open -- a non-blocking listening TCP socket bound to host:port
 * (host as in net_opts). Sets *fd and *bound_port. CF_EINVAL for a bad host,
 * CF_EEXIST when the address is in use, CF_EIO otherwise.
 */
int net_listener_open(const char *host, uint16_t port, int *fd, uint16_t *bound_port);

/*
 * net_listener_accept -- accepts one connection: non-blocking, close-on-exec,
 * TCP_NODELAY. Returns 0 with *cfd and the client's IP address as text in
 * peer (NUL-terminated, no port or brackets; an IPv4-mapped IPv6 address as
 * plain IPv4; "" if it cannot be formatted); CF_EAGAIN when none is pending
 * (or the listener was shut down); CF_ELIMIT when out of fds or kernel
 * memory. Connections that died in the queue are skipped.
 */
int net_listener_accept(int lfd, int *cfd, char peer[NET_PEER_MAX_BYTES]);

/* ---- conn.c ---- */

/*
 * net_conn_new -- a connection of worker w over the accepted socket fd from
 * the address peer (copied; what http_exchange_peer reports), with its
 * http_session; state OPEN, last_ms = now_ms. Takes ownership of fd (it is
 * closed on failure too). Caller frees with net_conn_shut() and net_conn_free().
 */
int net_conn_new(net_worker *w, int fd, const char *peer, int64_t now_ms, net_conn **out);

/*
 * net_conn_on_readable -- serves what the socket has (http_session_on_readable):
 * HTTP_SESSION_WAIT or HTTP_SESSION_CLOSE. Requests completed here advance
 * c->last_ms. REQUIRES: state OPEN, the owner's thread.
 */
int net_conn_on_readable(net_conn *c);

/*
 * net_conn_linger -- OPEN -> LINGER: frees the session, shuts our side down
 * and discards what the peer already sent; last_ms = now_ms. Returns
 * HTTP_SESSION_CLOSE when the peer's EOF (or an error) was seen, so the
 * caller closes at once; HTTP_SESSION_WAIT to keep lingering.
 */
int net_conn_linger(net_conn *c, int64_t now_ms);

/* net_conn_on_linger_readable -- discards the peer's bytes: as net_conn_linger's result. */
int net_conn_on_linger_readable(net_conn *c);

/* net_conn_shut -- frees the session and closes the socket; state CLOSED. */
void net_conn_shut(net_conn *c);

/* net_conn_free -- frees c. REQUIRES: net_conn_shut() was called. */
void net_conn_free(net_conn *c);

/* ---- loop.c ---- */

/*
 * net_worker_init -- w's lock and epoll instance with srv's stop eventfd and
 * listener registered. Caller releases with net_worker_destroy().
 */
int net_worker_init(net_worker *w, net_server *srv);

/* net_worker_main -- the worker thread (arg: net_worker *); returns after a stop. */
void *net_worker_main(void *arg);

/* net_worker_close_all -- closes and frees w's connections. REQUIRES: w's thread, or w joined. */
void net_worker_close_all(net_worker *w);

/* net_worker_destroy -- closes w's epoll instance. REQUIRES: the thread was joined or never started. */
void net_worker_destroy(net_worker *w);

/* net_list_push, net_list_remove -- a worker's connection list (invariant 2). */
void net_list_push(net_conn_list *l, net_conn *c);
void net_list_remove(net_conn_list *l, net_conn *c);

/* ---- pool.c ---- */

/*
 * net_worker_start -- initialises and starts worker number n_workers.
 * 0, CF_EIO or CF_ENOMEM. REQUIRES: srv->mu held, n_workers < max_workers.
 */
int net_worker_start(net_server *s);

/*
 * net_worker_block -- the connection c's handler is about to wait on its
 * client: hands every other connection c's worker owns to a worker that is
 * not inside a handler, starting one if none is free (pool.c).
 * REQUIRES: the owner's thread, inside c's handler.
 */
void net_worker_block(net_conn *c);

#endif
