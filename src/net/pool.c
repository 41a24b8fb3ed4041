/*
 * pool.c -- the worker pool: starting workers, and handing a worker's
 * connections over when it blocks on a slow client.
 *
 * Each worker has its own epoll instance and serves the connections it
 * owns: a connection's events reach the same thread, several at a time,
 * without waking another (measured: one shared epoll with one-shot events,
 * where any worker serves any connection, cost 22% more CPU per 4 KiB GET
 * and lost a third of the throughput of 64 keep-alive clients on 2 cores).
 * The price of ownership is that a handler blocks its worker, and with it
 * the worker's other connections. So, just before a handler waits on its
 * client (conn.c), net_worker_block picks a worker that is not inside a
 * handler (conn.c marks it), starting one if every worker is and fewer than
 * max_workers run (so one is always left to accept and serve; the pool
 * grows only when a handler waits on its client while all are busy, never
 * merely because they are), and, if it owns other connections, moves every
 * one of them to it: out of this epoll, into the other (a ready connection's event
 *      is queued there at once), merged into its lists in last_ms order,
 *      its pending events cleared from this worker's batch (internal.h
 *      invariant 5).
 * A worker inside a handler is not in epoll_wait, so the kernel gives new
 * connections to the others (EPOLLEXCLUSIVE, loop.c). A handler that
 * blocks elsewhere (an fsync, milliseconds) does not hand over.
 *
 * Locking: a hand-over holds both workers' locks, taken in address order;
 * the workers array is only appended to, under srv->mu, and an entry is
 * counted (n_workers, release) only once it is ready. Workers are started
 * with SIGPIPE blocked (sendfile cannot pass MSG_NOSIGNAL).
 */
#include <signal.h>

#include "net/internal.h"
#include "util/err.h"
#include "util/log.h"

int net_worker_start(net_server *s)
{
    int i = atomic_load(&s->n_workers);
    net_worker *w = &s->workers[i];
    int rc = net_worker_init(w, s);
    if (rc < 0)
        return rc;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    rc = pthread_create(&w->thread, NULL, net_worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        log_error("net: cannot start worker %d", i + 1);
        net_worker_destroy(w);
        return CF_EIO;
    }
    atomic_store(&s->n_workers, i + 1);
    return 0;
}

/* pick -- a worker other than w that is not inside a handler, or a new one,
 * or NULL (every worker busy and the pool at max_workers). */
static net_worker *pick(net_server *s, net_worker *w)
{
    int n = atomic_load(&s->n_workers);
    int from = (int)(w - s->workers) + 1; /* spread hand-overs: start after w */
    for (int k = 0; k < n; k++) {
        net_worker *t = &s->workers[(from + k) % n];
        if (t != w && !atomic_load(&t->serving))
            return t;
    }
    net_worker *t = NULL;
    pthread_mutex_lock(&s->mu);
    int now = atomic_load(&s->n_workers);
    /* a worker started since the scan is free, unless it is w itself (a
     * thread runs before its start counts it) */
    for (int i = n; i < now && !t; i++) {
        if (&s->workers[i] != w && !atomic_load(&s->workers[i].serving))
            t = &s->workers[i];
    }
    if (!t && now < s->opts.max_workers && !atomic_load(&s->stopping) && net_worker_start(s) == 0)
        t = &s->workers[now];
    pthread_mutex_unlock(&s->mu);
    return t;
}

/* insert -- adds x to t's list l in last_ms order (internal.h invariant 2). */
static void insert(net_conn_list *l, net_conn *x)
{
    net_conn *after = l->tail;
    while (after && after->last_ms > x->last_ms)
        after = after->prev;
    if (after == l->tail) {
        net_list_push(l, x);
        return;
    }
    x->prev = after;
    x->next = after ? after->next : l->head;
    x->next->prev = x;
    if (after)
        after->next = x;
    else
        l->head = x;
}

/* move -- x from w to t (both locked): epoll, lists, and w's batch (invariant 5). */
static void move(net_worker *w, net_worker *t, net_conn_list *from, net_conn_list *to, net_conn *x)
{
    net_list_remove(from, x);
    for (int i = 0; i < w->n_batch; i++) {
        if (w->batch[i].data.ptr == x)
            w->batch[i].data.ptr = NULL;
    }
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, x->fd, NULL);
    x->w = t;
    insert(to, x);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = x};
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, x->fd, &ev) != 0) {
        /* cannot watch it: close it here, it is in no batch */
        net_list_remove(to, x);
        net_conn_shut(x);
        net_conn_free(x);
        atomic_fetch_sub(&t->srv->n_conns, 1);
    }
}

void net_worker_block(net_conn *c)
{
    net_worker *w = c->w;
    net_server *s = w->srv;
    if (atomic_load(&s->stopping))
        return;
    pthread_mutex_lock(&w->mu);
    bool others = w->open.head != c || w->open.tail != c || w->linger.head;
    pthread_mutex_unlock(&w->mu);
    /* with nothing to hand over, pick still starts a worker if every one is
     * busy: someone must be in epoll_wait to accept and serve. Two workers
     * both inside handlers never pick each other (serving is set before). */
    net_worker *t = pick(s, w);
    if (!t || !others)
        return;
    net_worker *first = w < t ? w : t, *second = w < t ? t : w;
    pthread_mutex_lock(&first->mu);
    pthread_mutex_lock(&second->mu);
    for (net_conn *x = w->open.head, *next; x; x = next) {
        next = x->next;
        if (x != c)
            move(w, t, &w->open, &t->open, x);
    }
    while (w->linger.head)
        move(w, t, &w->linger, &t->linger, w->linger.head);
    pthread_mutex_unlock(&second->mu);
    pthread_mutex_unlock(&first->mu);
}
