/*
 * server.c -- net_server: options and their defaults, the worker threads,
 * start, and stop with a bounded drain.
 *
 * Called by main.c (start, port, stop) and by loop.c (net_worker_spawn, as
 * the pool grows). Owns the listening socket (listener.c), the epoll
 * instance, the timerfd, the stop and abort eventfds, the connection slots
 * and the worker threads (loop.c).
 *
 * Stop, in order: (a) set stopping and shut the listener down, so the kernel
 * refuses new connections at once; (b) write the stop eventfd, which wakes
 * every worker (loop.c invariant (6)); the first to wake closes every
 * connection no worker holds; a worker inside a handler sees the stop when
 * the handler returns, closes that connection and exits; (c) wait
 * for all workers up to drain_ms; (d) if some are still inside a handler,
 * set aborting and write the abort eventfd, so every connection I/O fails
 * with CF_EIO (conn.c invariant (2)) and the handlers return; (e) join,
 * close, free.
 *
 * Invariants:
 *  (1) the workers are created with SIGPIPE blocked (the creating thread's
 *      mask is restored after): a write to a reset socket fails with EPIPE
 *      instead of killing the process, and the process's signal handling is
 *      left alone.
 *  (2) every started worker is joined before anything it uses is closed or
 *      freed; stopping is set under mu, so no worker is started after the
 *      joiner read n_threads.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "net/config.h"
#include "net/internal.h"
#include "util/err.h"
#include "util/log.h"

static int default_workers(void)
{
    cpu_set_t set;
    int cores = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        cores = CPU_COUNT(&set); /* the CPUs this process may use, not the host's */
    if (cores <= 0)
        cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores * NET_WORKERS_PER_CORE;
    return n < NET_MIN_WORKERS ? NET_MIN_WORKERS : n;
}

/* apply_defaults -- *out = *o with every 0 replaced by its default; CF_EINVAL for bad options. */
static int apply_defaults(const net_opts *o, net_opts *out)
{
    memset(out, 0, sizeof *out);
    if (!o->handler || o->workers < 0 || o->workers > NET_MAX_WORKERS || o->max_workers < 0 ||
        o->max_workers > NET_MAX_WORKERS || o->max_conns < 0 || o->max_conns > NET_MAX_CONNS ||
        o->min_rate < 0)
        return CF_EINVAL;
    *out = *o;
    out->host = NULL; /* borrowed; used only during start */
    if (out->workers == 0)
        out->workers = default_workers();
    if (out->max_conns == 0)
        out->max_conns = NET_DEFAULT_MAX_CONNS;
    if (out->max_workers == 0)
        out->max_workers = NET_DEFAULT_MAX_WORKERS;
    if (out->max_workers < out->workers)
        out->max_workers = out->workers;
    if (out->min_rate == 0)
        out->min_rate = NET_DEFAULT_MIN_RATE;
    if (out->limits.idle_timeout_ms <= 0)
        out->limits.idle_timeout_ms = NET_DEFAULT_IDLE_TIMEOUT_MS;
    if (out->limits.io_timeout_ms <= 0)
        out->limits.io_timeout_ms = NET_DEFAULT_IO_TIMEOUT_MS;
    return 0;
}

static void wake(int efd)
{
    uint64_t one = 1;
    /* cannot fail short of a bad fd: the counter is far from its maximum */
    (void)!write(efd, &one, sizeof one);
}

/* server_new -- an empty server with its lock and condition variable. */
static int server_new(const net_opts *opts, net_server **out)
{
    *out = NULL;
    net_server *s = calloc(1, sizeof *s);
    if (!s)
        return CF_ENOMEM;
    s->opts = *opts;
    s->listen_fd = s->epfd = s->timer_fd = s->stop_efd = s->abort_efd = -1;
    atomic_init(&s->stopping, false);
    atomic_init(&s->aborting, false);
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        goto fail;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int crc = pthread_cond_init(&s->exited_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (crc != 0)
        goto fail;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        goto fail_cond;
    *out = s;
    return 0;

fail_cond:
    pthread_cond_destroy(&s->exited_cv);
fail:
    free(s);
    return CF_ENOMEM;
}

static void close_fd(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* server_free -- stops and joins started workers (invariant 2), closes everything, frees s. */
static void server_free(net_server *s)
{
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->stopping, true); /* under mu: no worker starts another after this */
    int n = s->n_threads;
    pthread_mutex_unlock(&s->mu);
    if (s->stop_efd >= 0)
        wake(s->stop_efd);
    for (int i = 0; i < n; i++)
        pthread_join(s->threads[i], NULL);
    if (s->conns)
        net_loop_close_all(s);
    free(s->conns);
    free(s->threads);
    close_fd(s->listen_fd);
    close_fd(s->epfd);
    close_fd(s->timer_fd);
    close_fd(s->stop_efd);
    close_fd(s->abort_efd);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->exited_cv);
    free(s);
}

/* net_worker_spawn -- one more worker thread, created with SIGPIPE blocked (invariant 1). */
int net_worker_spawn(net_server *s)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&s->threads[s->n_threads], NULL, net_worker_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        log_error("net: cannot start worker %d", s->n_threads + 1);
        return CF_EIO;
    }
    s->n_threads++;
    return 0;
}

int net_server_start(const net_opts *o, net_server **out)
{
    *out = NULL;
    net_opts opts;
    int rc = apply_defaults(o, &opts);
    if (rc < 0)
        return rc;
    net_server *s;
    rc = server_new(&opts, &s);
    if (rc < 0)
        return rc;
    rc = net_listener_open(o->host, o->port, &s->listen_fd, &s->port);
    if (rc < 0)
        goto fail;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    s->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->abort_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->conns = calloc((size_t)opts.max_conns, sizeof *s->conns);
    s->threads = calloc((size_t)opts.max_workers, sizeof *s->threads);
    rc = CF_ENOMEM;
    if (s->epfd < 0 || s->timer_fd < 0 || s->stop_efd < 0 || s->abort_efd < 0 || !s->conns ||
        !s->threads)
        goto fail;
    rc = net_loop_init(s);
    if (rc < 0)
        goto fail;
    pthread_mutex_lock(&s->mu);
    while (rc == 0 && s->n_threads < opts.workers)
        rc = net_worker_spawn(s);
    pthread_mutex_unlock(&s->mu);
    if (rc < 0)
        goto fail;
    *out = s;
    return 0;

fail:
    server_free(s);
    return rc;
}

uint16_t net_server_port(const net_server *s)
{
    return s->port;
}

/* wait_workers -- true once every worker has exited, false when drain_ms passed first. */
static bool wait_workers(net_server *s, int drain_ms)
{
    struct timespec at;
    clock_gettime(CLOCK_MONOTONIC, &at);
    at.tv_sec += drain_ms / 1000;
    at.tv_nsec += (long)(drain_ms % 1000) * 1000000L;
    if (at.tv_nsec >= 1000000000L) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    while (s->n_exited < s->n_threads && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->exited_cv, &s->mu, &at);
    bool all = s->n_exited == s->n_threads;
    pthread_mutex_unlock(&s->mu);
    return all;
}

void net_server_stop(net_server *s, int drain_ms)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->stopping, true); /* under mu: the pool stops growing */
    pthread_mutex_unlock(&s->mu);
    /* Refuse new connections now, not after the drain; the workers' accept
     * then fails with EINVAL, which net_listener_accept reports as EAGAIN. */
    shutdown(s->listen_fd, SHUT_RDWR);
    wake(s->stop_efd);
    if (!wait_workers(s, drain_ms < 0 ? 0 : drain_ms)) {
        log_warn("net: drain time (%d ms) is over: aborting the remaining requests", drain_ms);
        atomic_store(&s->aborting, true);
        wake(s->abort_efd);
    }
    server_free(s);
}
