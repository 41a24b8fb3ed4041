/*
 * loop.c -- the workers' shared event loop: taking one event at a time from
 * the server's epoll, accepting, serving a connection's turn, idle and
 * linger expiry on a timerfd, eviction at the connection limit, growing the
 * worker pool, and closing everything at stop.
 *
 * Started by server.c (net_worker_main, net_worker_spawn); calls conn.c for
 * each connection's I/O and listener.c to accept. The shared state and its
 * lock are described in internal.h, with invariants (1)-(5).
 *
 * Why one epoll with EPOLLONESHOT rather than one epoll per worker: a handler
 * blocks its thread (a group-commit fsync, a client sending its body at
 * network speed). With per-worker epolls a connection belongs to the worker
 * that accepted it, so a pooled keep-alive connection waits behind whatever
 * its worker is blocked in, up to the io timeout, while other workers idle.
 * Here a ready connection goes to whichever worker is waiting, and
 * EPOLLONESHOT keeps two workers from taking the same connection. Each
 * epoll_wait takes a single event: a worker that took a batch and then
 * blocked in a handler would strand the rest of its batch (one-shot events
 * are not delivered twice).
 *
 * The pool grows: a worker that takes an event when no other worker is
 * waiting starts one more (up to max_workers), so there is always a free
 * worker while fewer than max_workers connections are inside handlers. The
 * pool never shrinks; an idle thread costs its (untouched) stack reservation.
 *
 * Timers: all connections share one idle timeout, so the open list's first
 * connection that is not busy is the next expiry (the same for the linger
 * list). One timerfd, in epoll with EPOLLONESHOT, is set to the earliest
 * deadline; the worker that takes its event expires what is due and sets
 * it again. Deadlines only move later, except when a busy connection (which
 * the timer skipped) is released without having completed a request: then
 * the timer is pulled in if needed (timer_want).
 *
 * Limits: at max_conns the accepting worker evicts the least recently
 * active connection that is not busy (lingering ones first) or, finding
 * none, closes the new one. When accept fails for want of fds or memory the
 * listener is left disarmed for NET_ACCEPT_PAUSE_MS instead of spinning.
 *
 * This file adds:
 *  (6) the stop eventfd is level-triggered and never read: once written,
 *      every epoll_wait of every worker returns at once.
 *  (7) a connection is removed from epoll before its fd is closed (a forked
 *      child holding the file would otherwise keep it registered).
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "net/config.h"
#include "net/internal.h"
#include "util/err.h"
#include "util/log.h"

/* epoll data of the three non-connection fds; a connection's data is its
 * generation << 32 | slot, and slots are below NET_MAX_CONNS. */
#define TAG_LISTEN UINT64_MAX
#define TAG_STOP (UINT64_MAX - 1)
#define TAG_TIMER (UINT64_MAX - 2)

static uint64_t conn_tag(const net_conn *c)
{
    return (uint64_t)c->gen << 32 | c->slot;
}

static void list_push(net_conn_list *l, net_conn *c)
{
    assert(!l->tail || l->tail->last_ms <= c->last_ms); /* invariant (2) */
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
}

static void list_remove(net_conn_list *l, net_conn *c)
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

static net_conn_list *list_of(net_server *s, const net_conn *c)
{
    return c->state == NET_CONN_LINGER ? &s->linger : &s->open;
}

/* first_idle -- the list's oldest connection that is not busy, or NULL. */
static net_conn *first_idle(const net_conn_list *l)
{
    net_conn *c = l->head;
    while (c && c->busy)
        c = c->next;
    return c;
}

/* arm -- (re-)registers the one-shot read interest of c (invariant 4). */
static int arm(net_server *s, net_conn *c, int op)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = conn_tag(c)};
    return epoll_ctl(s->epfd, op, c->fd, &ev);
}

static void rearm_fd(net_server *s, int fd, uint64_t tag)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = tag};
    epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* timer_want -- makes sure the timer fires no later than at (monotonic ms). */
static void timer_want(net_server *s, int64_t at)
{
    if (s->timer_at != 0 && s->timer_at <= at)
        return;
    s->timer_at = at;
    struct itimerspec its = {.it_value = {.tv_sec = at / 1000, .tv_nsec = at % 1000 * 1000000}};
    timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* schedule -- sets the timer to the earliest deadline: idle, linger, accept resume. */
static void schedule(net_server *s)
{
    net_conn *o = first_idle(&s->open), *l = first_idle(&s->linger);
    if (o)
        timer_want(s, o->last_ms + s->opts.limits.idle_timeout_ms);
    if (l)
        timer_want(s, l->last_ms + NET_LINGER_MS);
    if (!s->listening && s->accept_resume_ms)
        timer_want(s, s->accept_resume_ms);
}

/* conn_close -- OPEN|LINGER -> FREE. REQUIRES: mu held, c not busy or the caller is its worker. */
static void conn_close(net_server *s, net_conn *c)
{
    list_remove(list_of(s, c), c);
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL); /* invariant (7) */
    net_conn_shut(c);
    c->state = NET_CONN_FREE;
    c->busy = false;
    c->gen++;
    c->next = s->free;
    s->free = c;
    s->n_conns--;
    assert(s->n_conns >= 0); /* invariant (5) */
}

/* evict_one -- closes the least recently active connection that is not busy
 * (lingering ones first: they have answered already). False if none. */
static bool evict_one(net_server *s)
{
    net_conn *c = first_idle(&s->linger);
    if (!c)
        c = first_idle(&s->open);
    if (!c)
        return false;
    conn_close(s, c);
    return true;
}

/* on_listen -- accepts one connection, keeping max_conns, and re-arms the
 * listener: a burst of connects wakes one waiting worker per connection
 * instead of queueing on the first. mu held. */
static void on_listen(net_server *s)
{
    pthread_mutex_unlock(&s->mu);
    int fd;
    int rc = net_listener_accept(s->listen_fd, &fd);
    pthread_mutex_lock(&s->mu);
    if (rc == CF_ELIMIT) {
        log_warn("net: accept: out of file descriptors or memory; pausing %d ms",
                 NET_ACCEPT_PAUSE_MS);
        s->listening = false;
        s->accept_resume_ms = net_now_ms() + NET_ACCEPT_PAUSE_MS;
        timer_want(s, s->accept_resume_ms);
        return; /* left disarmed until the timer re-arms it */
    }
    if (rc == 0 && s->n_conns >= s->opts.max_conns && !evict_one(s)) {
        close(fd); /* no room, and nothing idle to evict */
    } else if (rc == 0) {
        net_conn *c = s->free;
        s->free = c->next;
        s->n_conns++;
        if (net_conn_open(c, fd, net_now_ms()) < 0) {
            c->next = s->free;
            s->free = c;
            s->n_conns--;
        } else {
            list_push(&s->open, c);
            if (arm(s, c, EPOLL_CTL_ADD) != 0)
                conn_close(s, c);
            else
                timer_want(s, c->last_ms + s->opts.limits.idle_timeout_ms);
        }
    }
    if (!atomic_load(&s->stopping))
        rearm_fd(s, s->listen_fd, TAG_LISTEN);
}

/* What a connection's turn ended with. */
enum turn { TURN_KEEP, TURN_LINGER, TURN_CLOSE };

/* serve_turn -- the busy connection's I/O, outside the lock. */
static enum turn serve_turn(net_conn *c, enum net_conn_state st, uint32_t events)
{
    if (events & (EPOLLERR | EPOLLHUP)) {
        /* reset, or both directions shut: nobody is left to answer. A peer
         * that only half-closed (EPOLLRDHUP) may still await its response,
         * so that is left to the session, which reads its EOF. */
        return TURN_CLOSE;
    }
    if (st == NET_CONN_LINGER)
        return net_conn_on_linger_readable(c) == HTTP_SESSION_CLOSE ? TURN_CLOSE : TURN_KEEP;
    if (net_conn_on_readable(c) != HTTP_SESSION_CLOSE)
        return TURN_KEEP;
    return net_conn_linger(c) == HTTP_SESSION_CLOSE ? TURN_CLOSE : TURN_LINGER;
}

/* release -- ends a connection's turn under the lock: re-arm, move or close. */
static void release(net_server *s, net_conn *c, enum turn t)
{
    c->busy = false;
    if (t == TURN_CLOSE || atomic_load(&s->stopping)) {
        conn_close(s, c); /* at stop nobody would serve it again */
        return;
    }
    int64_t now = net_now_ms(); /* read under the lock: invariant (2) */
    if (t == TURN_LINGER) {
        list_remove(&s->open, c);
        c->state = NET_CONN_LINGER;
        c->last_ms = now;
        list_push(&s->linger, c);
    } else if (c->served && c->state == NET_CONN_OPEN) {
        list_remove(&s->open, c); /* a completed request restarts the idle clock */
        c->last_ms = now;
        list_push(&s->open, c);
    }
    if (arm(s, c, EPOLL_CTL_MOD) != 0) {
        conn_close(s, c);
        return;
    }
    /* the timer skipped c while it was busy: its deadline may be the earliest */
    timer_want(s, c->last_ms + (c->state == NET_CONN_LINGER ? NET_LINGER_MS
                                                             : s->opts.limits.idle_timeout_ms));
}

/* on_conn -- one connection's turn: take it, serve it unlocked, release it. mu held. */
static void on_conn(net_server *s, uint64_t tag, uint32_t events)
{
    uint32_t slot = (uint32_t)tag;
    if (slot >= (uint32_t)s->opts.max_conns)
        return;
    net_conn *c = &s->conns[slot];
    if (c->gen != (uint32_t)(tag >> 32) || c->state == NET_CONN_FREE || c->busy)
        return; /* its connection was closed since the event was queued */
    c->busy = true;
    c->served = false;
    enum net_conn_state st = c->state;
    pthread_mutex_unlock(&s->mu);
    enum turn t = serve_turn(c, st, events);
    pthread_mutex_lock(&s->mu);
    release(s, c, t);
}

/* expire -- closes connections past the idle timeout and lingerers past NET_LINGER_MS. */
static void expire(net_server *s, int64_t now)
{
    int idle_ms = s->opts.limits.idle_timeout_ms;
    net_conn *c = s->open.head;
    while (c && now - c->last_ms >= idle_ms) {
        net_conn *next = c->next;
        char b;
        if (c->busy) {
            /* invariant (3): its worker releases it */
        } else if (recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
            /* bytes nobody has read yet: every worker was busy when they
             * came, so the client is waiting, not idle; its event is
             * pending and it is served next, not reset */
            list_remove(&s->open, c);
            c->last_ms = now;
            list_push(&s->open, c);
        } else {
            conn_close(s, c);
        }
        c = next;
    }
    c = s->linger.head;
    while (c && now - c->last_ms >= NET_LINGER_MS) {
        net_conn *next = c->next;
        if (!c->busy)
            conn_close(s, c);
        c = next;
    }
}

/* on_timer -- expiry and accept resume, then the next deadline. mu held. */
static void on_timer(net_server *s)
{
    uint64_t ticks;
    (void)!read(s->timer_fd, &ticks, sizeof ticks); /* EAGAIN if already read: harmless */
    s->timer_at = 0;
    int64_t now = net_now_ms();
    expire(s, now);
    if (!s->listening && s->accept_resume_ms && now >= s->accept_resume_ms &&
        !atomic_load(&s->stopping)) {
        s->listening = true;
        s->accept_resume_ms = 0;
        rearm_fd(s, s->listen_fd, TAG_LISTEN);
    }
    schedule(s);
    rearm_fd(s, s->timer_fd, TAG_TIMER);
}

int net_loop_init(net_server *s)
{
    for (int i = s->opts.max_conns - 1; i >= 0; i--) {
        net_conn *c = &s->conns[i];
        c->srv = s;
        c->slot = (uint32_t)i;
        c->fd = -1;
        c->next = s->free;
        s->free = c;
    }
    struct epoll_event stop = {.events = EPOLLIN, .data.u64 = TAG_STOP}; /* invariant (6) */
    struct epoll_event timer = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = TAG_TIMER};
    struct epoll_event lis = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = TAG_LISTEN};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stop_efd, &stop) != 0 ||
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->timer_fd, &timer) != 0 ||
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &lis) != 0)
        return CF_EIO;
    s->listening = true;
    return 0;
}

/* close_idle -- at stop: closes every connection no worker holds. mu held. */
static void close_idle(net_server *s)
{
    for (net_conn_list *l = &s->open; l; l = l == &s->open ? &s->linger : NULL) {
        net_conn *c = l->head;
        while (c) {
            net_conn *next = c->next;
            if (!c->busy)
                conn_close(s, c);
            c = next;
        }
    }
}

void *net_worker_main(void *arg)
{
    net_server *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!atomic_load(&s->stopping)) {
        s->n_idle++;
        pthread_mutex_unlock(&s->mu);
        struct epoll_event ev;
        int n = epoll_wait(s->epfd, &ev, 1, -1);
        int err = errno;
        pthread_mutex_lock(&s->mu);
        s->n_idle--;
        if (n < 0 && err != EINTR) {
            log_error("net: epoll_wait: %s", strerror(err));
            break;
        }
        if (n <= 0 || atomic_load(&s->stopping) || ev.data.u64 == TAG_STOP)
            continue;
        if (s->n_idle == 0 && s->n_threads < s->opts.max_workers)
            net_worker_spawn(s); /* keep one worker waiting while this one works */
        if (ev.data.u64 == TAG_LISTEN)
            on_listen(s);
        else if (ev.data.u64 == TAG_TIMER)
            on_timer(s);
        else
            on_conn(s, ev.data.u64, ev.events);
    }
    /* Stopping: what no worker holds is closed now; a connection inside a
     * handler is closed by its worker when the handler returns (release). */
    if (atomic_load(&s->stopping))
        close_idle(s);
    s->n_exited++;
    pthread_cond_signal(&s->exited_cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void net_loop_close_all(net_server *s)
{
    pthread_mutex_lock(&s->mu);
    while (s->open.head)
        conn_close(s, s->open.head);
    while (s->linger.head)
        conn_close(s, s->linger.head);
    pthread_mutex_unlock(&s->mu);
}
