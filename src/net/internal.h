/*
 * internal.h -- the net layer's private types, shared by listener.c, conn.c,
 * loop.c and server.c. Not part of the public interface (that is net.h).
 *
 * Ownership: a net_server owns its listening socket, its one epoll instance,
 * a timerfd, two eventfds, the worker threads and a fixed table of
 * connection slots (max_conns of them); a connection slot owns, while in
 * use, its socket and its http_session.
 *
 * Any worker serves any connection. Every connection is in the one epoll
 * with EPOLLONESHOT: an event is delivered to one worker, and the
 * connection gets no other until that worker re-arms it. Between the two
 * the connection is "busy": that worker alone touches its socket and
 * session (reading a head, running the handler, lingering). A worker
 * blocked in a handler therefore holds exactly one connection; every other
 * ready connection goes to another worker, and when none is free a new one
 * is started (up to max_workers).
 *
 * The connection's state machine (slot states; "busy" is orthogonal):
 *
 *   FREE --accept--> OPEN --HTTP_SESSION_CLOSE--> LINGER --(peer EOF, error,
 *                     |                             |      NET_LINGER_MS)--+
 *                     +--(peer reset, idle expiry, eviction, stop)---------+--> FREE
 *
 *   FREE -> OPEN      loop.c accept_one() via net_conn_open()
 *   OPEN -> LINGER    loop.c conn_release() after net_conn_linger(): the response is
 *                     out, our side is shut (FIN), and what the peer still sends
 *                     (a body nobody read) is discarded, so closing with unread
 *                     bytes does not send a RST that destroys the response
 *                     before the client read it
 *   OPEN|LINGER -> FREE  loop.c conn_close() via net_conn_shut(); the slot's
 *                     generation is bumped, so an event already taken from
 *                     epoll for the old connection is recognised as stale
 *
 * Invariants:
 *  (1) slot state, busy, the open/linger/free lists, n_conns, the timer and
 *      the thread counts are touched only under net_server.mu. A busy
 *      connection's socket, session and transfer counters are touched only
 *      by the worker that took its event (outside the lock); a connection
 *      that is not busy is touched only under the lock.
 *  (2) the open list holds the OPEN connections ordered by last_ms, oldest
 *      first (last_ms changes only under the lock, only to "now", and the
 *      connection then moves to the tail), so the first connection that is
 *      not busy is the next to expire and the first to evict. The linger
 *      list is ordered the same way by the time lingering started.
 *  (3) a busy connection is never closed, expired or evicted by another
 *      thread; it stays in its list (skipped) until its worker releases it.
 *  (4) an armed connection (not busy, not FREE) is registered in epoll with
 *      EPOLLONESHOT and the data word of its slot and generation; it is
 *      re-armed only under the lock, so it is never re-armed after a close.
 *  (5) n_conns counts OPEN and LINGER slots (lingering ones hold an fd).
 */
#ifndef NET_INTERNAL_H
#define NET_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "http/http.h"
#include "net/net.h"

typedef struct net_conn net_conn;

enum net_conn_state {
    NET_CONN_FREE = 0,   /* the slot is unused */
    NET_CONN_OPEN = 1,   /* waiting for (the rest of) a request head, or serving one */
    NET_CONN_LINGER = 2  /* our side shut; discarding the peer's bytes until its EOF */
};

struct net_conn {
    net_server *srv;
    uint32_t slot;             /* index in srv->conns */
    uint32_t gen;              /* bumped at every close (invariant 4) */
    int fd;                    /* the accepted socket, non-blocking; -1 when FREE */
    http_session *session;     /* created at accept, freed at linger or close */
    http_io io;                /* the callbacks the session calls; ctx = this */
    /* guarded by srv->mu (invariant 1) */
    enum net_conn_state state;
    bool busy;                 /* a worker took its event and has not released it */
    int64_t last_ms;           /* monotonic: accept, the end of the last request, or
                                  the start of lingering */
    net_conn *prev, *next;     /* the open or linger list, or the free list (next only) */
    /* the busy worker's alone */
    bool served;               /* a request completed during this turn */
    int64_t xfer_start_ms;     /* the current request's start (rate floor, conn.c) */
    uint64_t xfer_bytes;       /* bytes it moved so far, both directions */
};

typedef struct net_conn_list {
    net_conn *head; /* oldest last_ms */
    net_conn *tail;
} net_conn_list;

struct net_server {
    net_opts opts;             /* defaults applied; opts.host is not kept */
    int listen_fd;
    uint16_t port;             /* bound port */
    int epfd;                  /* the one epoll instance of every worker */
    int timer_fd;              /* the earliest idle/linger deadline or accept resume */
    int stop_efd;              /* written once by stop: wakes every worker */
    int abort_efd;             /* written once when the drain time is over: wakes blocked I/O */
    net_conn *conns;           /* max_conns slots */
    pthread_t *threads;        /* max_workers entries; the first n_threads started */
    /* run-time state */
    atomic_bool stopping;      /* no more accepting, growing or new events */
    atomic_bool aborting;      /* connection I/O fails with CF_EIO */
    pthread_mutex_t mu;        /* guards everything below (invariant 1) */
    pthread_cond_t exited_cv;  /* signalled as each worker exits; CLOCK_MONOTONIC */
    net_conn_list open;        /* invariant (2) */
    net_conn_list linger;
    net_conn *free;            /* unused slots */
    int n_conns;               /* invariant (5) */
    int n_threads;             /* workers started */
    int n_idle;                /* workers waiting in epoll_wait */
    int n_exited;
    int64_t timer_at;          /* deadline the timerfd is set to; 0: disarmed */
    bool listening;            /* the listener is armed in epoll */
    int64_t accept_resume_ms;  /* re-arm the listener then; 0 = not paused */
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
 * TCP_NODELAY. Returns 0 with *cfd; CF_EAGAIN when none is pending (or the
 * listener was shut down); CF_ELIMIT when out of fds or kernel memory.
 * Connections that died in the queue are skipped.
 */
int net_listener_accept(int lfd, int *cfd);

/* ---- conn.c ---- */

/*
 * net_conn_open -- makes the FREE slot c a connection over the accepted
 * socket fd, with a new http_session; state OPEN, last_ms = now_ms. Takes
 * ownership of fd (it is closed on failure too; c stays FREE).
 */
int net_conn_open(net_conn *c, int fd, int64_t now_ms);

/*
 * net_conn_on_readable -- serves what the socket has (http_session_on_readable):
 * HTTP_SESSION_WAIT or HTTP_SESSION_CLOSE. Sets c->served when a request
 * completed. REQUIRES: state OPEN, busy, the busy worker's thread.
 */
int net_conn_on_readable(net_conn *c);

/*
 * net_conn_linger -- frees the session, shuts our side down and discards
 * what the peer already sent. Returns HTTP_SESSION_CLOSE when the peer's EOF
 * (or an error) was seen, so the caller closes at once; HTTP_SESSION_WAIT to
 * keep lingering. The state change is the caller's.
 */
int net_conn_linger(net_conn *c);

/* net_conn_on_linger_readable -- discards the peer's bytes: as net_conn_linger's result. */
int net_conn_on_linger_readable(net_conn *c);

/* net_conn_shut -- frees the session and closes the socket. */
void net_conn_shut(net_conn *c);

/* ---- loop.c ---- */

/*
 * net_loop_init -- registers the stop eventfd, the timerfd and the listener
 * in s->epfd and fills the free list. Everything it uses is created by the
 * caller.
 */
int net_loop_init(net_server *s);

/* net_worker_main -- a worker thread (arg: the net_server); returns after a stop. */
void *net_worker_main(void *arg);

/*
 * net_worker_spawn -- starts one more worker. CF_EIO if the thread could not
 * be created. REQUIRES: s->mu held, n_threads < max_workers, not stopping.
 */
int net_worker_spawn(net_server *s);

/* net_loop_close_all -- closes every connection. REQUIRES: every worker was joined. */
void net_loop_close_all(net_server *s);

#endif
