/*
 * loop.c -- a worker thread: its epoll loop, accepting, idle expiry,
 * eviction at the connection limit, lingering closes, and the drain at stop.
 *
 * Started by pool.c and joined by server.c; calls conn.c for each
 * connection event and listener.c to accept. Everything here runs on the
 * worker's own thread (invariant (1) of internal.h), which also runs the
 * handlers: a connection is served synchronously inside
 * net_conn_on_readable. The worker holds its lock except while it waits in
 * epoll and while a connection's I/O (and handler) runs, so a worker that
 * blocks can hand its other connections over (pool.c) and another worker
 * can receive them.
 *
 * One listening socket, in every worker's epoll with EPOLLEXCLUSIVE, rather
 * than one SO_REUSEPORT socket per worker: with EPOLLEXCLUSIVE the kernel
 * wakes a worker that is waiting in epoll_wait, and passes over one that is
 * inside a handler (its epoll has no waiter), so a new connection goes to a
 * free worker. SO_REUSEPORT hashes each connection to a fixed socket: a
 * connection hashed to a worker blocked on a slow upload would sit in that
 * worker's queue until the upload ends, while other workers idle. One socket
 * also means stop closes one thing, and no connection is stranded in the
 * queue of a socket whose worker has left.
 *
 * Timers: the open list is ordered by last activity and all connections
 * share one idle timeout, so the list head is the next expiry (same for the
 * linger list); epoll_wait sleeps until the earliest of the two heads (or
 * the end of an accept pause), and no timer structure is needed. It sleeps
 * NET_MAX_WAIT_MS at most: connections handed over to a sleeping worker
 * may expire earlier than what it was sleeping for.
 *
 * Limits: at max_conns the accepting worker evicts its own least recently
 * active connection (lingering ones first) or, having none, closes the new
 * one (the policy is argued in net.h). When accept fails for want of fds or
 * memory the worker drops the listener from its epoll for
 * NET_ACCEPT_PAUSE_MS instead of spinning on it.
 *
 * Invariants (1)-(5) are those of internal.h; this file adds:
 *  (6) a connection is removed from epoll before its fd is closed (a forked
 *      child holding the file would otherwise keep it registered, and its
 *      events would name freed memory), and freed only after the batch of
 *      events that may still name it.
 *  (7) the stop eventfd is level-triggered and never read: once written, every
 *      epoll_wait of every worker returns at once.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/config.h"
#include "net/internal.h"
#include "util/err.h"
#include "util/log.h"

/* epoll data of the two non-connection fds; connections use data.ptr, which
 * is never 1 or 2. */
#define TAG_LISTEN ((uint64_t)1)
#define TAG_STOP ((uint64_t)2)

void net_list_push(net_conn_list *l, net_conn *c)
{
    assert(!l->tail || l->tail->last_ms <= c->last_ms); /* invariant (2) */
    assert(c->state == NET_CONN_OPEN || c->state == NET_CONN_LINGER);
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
}

void net_list_remove(net_conn_list *l, net_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
}

/* conn_close -- OPEN|LINGER -> CLOSED; the memory waits in w->dead (invariant 6). */
static void conn_close(net_worker *w, net_conn *c)
{
    assert(c->state == NET_CONN_OPEN || c->state == NET_CONN_LINGER); /* invariant (3) */
    net_list_remove(c->state == NET_CONN_LINGER ? &w->linger : &w->open, c);
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    net_conn_shut(c);
    c->next = w->dead;
    w->dead = c;
    int before = atomic_fetch_sub(&w->srv->n_conns, 1);
    assert(before > 0); /* invariant (4) */
    (void)before;
}

/* conn_linger -- OPEN -> LINGER (or straight to CLOSED if the peer already closed). */
static void conn_linger(net_worker *w, net_conn *c)
{
    net_list_remove(&w->open, c);
    int r = net_conn_linger(c, net_now_ms());
    net_list_push(&w->linger, c); /* its last_ms is the newest: invariant (2) */
    if (r == HTTP_SESSION_CLOSE)
        conn_close(w, c);
}

static void free_dead(net_worker *w)
{
    while (w->dead) {
        net_conn *c = w->dead;
        w->dead = c->next;
        net_conn_free(c);
    }
}

/* evict_one -- closes w's least recently active connection (lingering ones
 * first: they have answered already). False if w has none. Invariant (3):
 * none of them is inside a handler. */
static bool evict_one(net_worker *w)
{
    net_conn *c = w->linger.head ? w->linger.head : w->open.head;
    if (!c)
        return false;
    conn_close(w, c);
    return true;
}

static void pause_accept(net_worker *w)
{
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->srv->listen_fd, NULL);
    w->listening = false;
    w->accept_resume_ms = net_now_ms() + NET_ACCEPT_PAUSE_MS;
}

static void resume_accept(net_worker *w, int64_t now)
{
    if (w->listening || now < w->accept_resume_ms)
        return;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = TAG_LISTEN};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->srv->listen_fd, &ev) == 0) {
        w->listening = true;
        w->accept_resume_ms = 0;
    } else {
        w->accept_resume_ms = now + NET_ACCEPT_PAUSE_MS;
    }
}

/* accept_batch -- accepts up to NET_ACCEPT_BATCH connections, keeping max_conns. */
static void accept_batch(net_worker *w)
{
    net_server *s = w->srv;
    for (int k = 0; k < NET_ACCEPT_BATCH; k++) {
        int fd;
        char peer[NET_PEER_MAX_BYTES];
        int rc = net_listener_accept(s->listen_fd, &fd, peer);
        if (rc == CF_ELIMIT) {
            log_warn("net: accept: out of file descriptors or memory; pausing %d ms",
                     NET_ACCEPT_PAUSE_MS);
            pause_accept(w);
            return;
        }
        if (rc < 0)
            return;
        if (atomic_fetch_add(&s->n_conns, 1) >= s->opts.max_conns && !evict_one(w)) {
            atomic_fetch_sub(&s->n_conns, 1); /* no room, and nothing of ours to evict */
            close(fd);
            continue;
        }
        net_conn *c;
        if (net_conn_new(w, fd, peer, net_now_ms(), &c) < 0) {
            atomic_fetch_sub(&s->n_conns, 1); /* fd was closed by net_conn_new */
            continue;
        }
        atomic_fetch_add_explicit(&s->n_accepted, 1, memory_order_relaxed);
        net_list_push(&w->open, c);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
            conn_close(w, c);
    }
}

static void on_conn_event(net_worker *w, net_conn *c, uint32_t events)
{
    if (c->state == NET_CONN_CLOSED)
        return; /* evicted earlier in this batch */
    if (events & (EPOLLERR | EPOLLHUP)) {
        /* reset, or both directions shut: nobody is left to answer. A peer
         * that only half-closed (EPOLLRDHUP) may still await its response,
         * so that is left to the session, which reads its EOF. */
        conn_close(w, c);
        return;
    }
    bool lingering = c->state == NET_CONN_LINGER;
    pthread_mutex_unlock(&w->mu); /* the I/O, and the handler, run unlocked */
    int r = lingering ? net_conn_on_linger_readable(c) : net_conn_on_readable(c);
    pthread_mutex_lock(&w->mu);
    if (lingering) {
        if (r == HTTP_SESSION_CLOSE)
            conn_close(w, c);
        return;
    }
    if (r == HTTP_SESSION_CLOSE) {
        conn_linger(w, c);
        return;
    }
    if (c->served_ms > c->last_ms) { /* a request completed: invariants (1), (2) */
        c->last_ms = c->served_ms;
        net_list_remove(&w->open, c);
        net_list_push(&w->open, c);
    }
}

/* expire -- closes connections past the idle timeout and lingerers past NET_LINGER_MS. */
static void expire(net_worker *w, int64_t now)
{
    int idle_ms = w->srv->opts.limits.idle_timeout_ms;
    while (w->open.head && now - w->open.head->last_ms >= idle_ms) {
        net_conn *c = w->open.head;
        char b;
        if (recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
            /* bytes this worker has not read yet: they came while it served
             * another connection, so the client is waiting, not idle; its
             * event is still pending and it is served next, not reset */
            net_list_remove(&w->open, c);
            c->last_ms = now;
            net_list_push(&w->open, c);
            continue;
        }
        conn_close(w, c);
    }
    while (w->linger.head && now - w->linger.head->last_ms >= NET_LINGER_MS)
        conn_close(w, w->linger.head);
}

/* next_timeout_ms -- epoll_wait's timeout: until the earliest deadline, -1 if none. */
static int next_timeout_ms(const net_worker *w, int64_t now)
{
    int64_t at = INT64_MAX;
    if (w->open.head)
        at = w->open.head->last_ms + w->srv->opts.limits.idle_timeout_ms;
    if (w->linger.head && w->linger.head->last_ms + NET_LINGER_MS < at)
        at = w->linger.head->last_ms + NET_LINGER_MS;
    if (!w->listening && w->accept_resume_ms < at)
        at = w->accept_resume_ms;
    if (at <= now)
        return 0;
    return at - now > NET_MAX_WAIT_MS ? NET_MAX_WAIT_MS : (int)(at - now);
}

int net_worker_init(net_worker *w, net_server *srv)
{
    memset(w, 0, sizeof *w);
    w->srv = srv;
    atomic_init(&w->serving, false);
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        return CF_ENOMEM;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0) {
        pthread_mutex_destroy(&w->mu);
        return errno == ENOMEM ? CF_ENOMEM : CF_EIO;
    }
    struct epoll_event stop = {.events = EPOLLIN, .data.u64 = TAG_STOP}; /* invariant (7) */
    struct epoll_event lis = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = TAG_LISTEN};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, srv->stop_efd, &stop) != 0 ||
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, srv->listen_fd, &lis) != 0)
        goto fail;
    w->listening = true;
    return 0;

fail:
    close(w->epfd);
    w->epfd = -1;
    pthread_mutex_destroy(&w->mu);
    return CF_EIO;
}

void *net_worker_main(void *arg)
{
    net_worker *w = arg;
    net_server *s = w->srv;
    pthread_mutex_lock(&w->mu);
    while (!atomic_load(&s->stopping)) {
        int timeout = next_timeout_ms(w, net_now_ms());
        pthread_mutex_unlock(&w->mu);
        int n = epoll_wait(w->epfd, w->batch, NET_MAX_EVENTS, timeout);
        int err = errno;
        pthread_mutex_lock(&w->mu);
        if (n < 0 && err != EINTR) {
            log_error("net: epoll_wait: %s", strerror(err));
            break;
        }
        /* stopping is checked per event: after a long handler, the rest of
         * the batch is left to the drain */
        w->n_batch = n > 0 ? n : 0;
        for (int i = 0; i < w->n_batch && !atomic_load(&s->stopping); i++) {
            uint64_t tag = w->batch[i].data.u64;
            if (tag == TAG_STOP)
                break;
            if (tag == TAG_LISTEN) {
                if (w->listening)
                    accept_batch(w);
                continue;
            }
            if (w->batch[i].data.ptr) /* NULL: handed over (invariant 5) */
                on_conn_event(w, w->batch[i].data.ptr, w->batch[i].events);
        }
        w->n_batch = 0;
        free_dead(w); /* invariant (6): the batch is over */
        int64_t now = net_now_ms();
        expire(w, now);
        free_dead(w);
        resume_accept(w, now);
    }
    /* Drain: no connection is SERVING here (invariant 3); every request
     * whose handler had started has been answered. */
    net_worker_close_all(w);
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_lock(&s->mu);
    s->n_exited++;
    pthread_cond_signal(&s->exited_cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void net_worker_close_all(net_worker *w)
{
    while (w->open.head)
        conn_close(w, w->open.head);
    while (w->linger.head)
        conn_close(w, w->linger.head);
    free_dead(w);
}

void net_worker_destroy(net_worker *w)
{
    if (w->epfd >= 0) {
        close(w->epfd);
        pthread_mutex_destroy(&w->mu);
    }
    w->epfd = -1;
}
