/*
 * server.c -- net_server: options and their defaults, the worker threads,
 * start, and stop with a bounded drain.
 *
 * Called by main.c (start, port, stats, stop). Owns the listening socket (listener.c),
 * the stop and abort eventfds, and the workers (pool.c starts them, loop.c
 * runs them).
 *
 * Stop, in order: (a) set stopping and shut the listener down, so the kernel
 * refuses new connections at once; (b) write the stop eventfd, which wakes
 * every worker (loop.c invariant (6)); a worker inside a handler sees it when
 * the handler returns, then closes all its connections and exits; (c) wait
 * for all workers up to drain_ms; (d) if some are still inside a handler,
 * set aborting and write the abort eventfd, so every connection I/O fails
 * with CF_EIO (conn.c invariant (2)) and the handlers return; (e) join,
 * close, free.
 *
 * Invariants:
 *  (1) the workers are created with SIGPIPE blocked (pool.c; the creating
 *      thread's mask is restored after): a write to a reset socket fails
 *      with EPIPE instead of killing the process, and the process's signal
 *      handling is left alone.
 *  (2) every started worker is joined before anything it uses is closed or
 *      freed; stopping is set under mu, where workers are started, so the
 *      count the joiner reads is final. Connections handed over to a worker
 *      that had already left its loop are closed after the joins.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
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
        o->max_workers > NET_MAX_WORKERS || o->max_conns < 0 || o->min_rate < 0)
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
    s->listen_fd = s->stop_efd = s->abort_efd = -1;
    atomic_init(&s->stopping, false);
    atomic_init(&s->aborting, false);
    atomic_init(&s->n_conns, 0);
    atomic_init(&s->n_accepted, 0);
    atomic_init(&s->n_workers, 0);
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

/* server_free -- stops and joins started workers (invariant 2), closes everything, frees s. */
static void server_free(net_server *s)
{
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->stopping, true); /* under mu: no worker is started after this */
    pthread_mutex_unlock(&s->mu);
    if (s->stop_efd >= 0)
        wake(s->stop_efd);
    int n = atomic_load(&s->n_workers);
    for (int i = 0; i < n; i++)
        pthread_join(s->workers[i].thread, NULL);
    for (int i = 0; i < n; i++) {
        net_worker_close_all(&s->workers[i]); /* hand-overs after a worker left (invariant 2) */
        net_worker_destroy(&s->workers[i]);
    }
    free(s->workers);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->stop_efd >= 0)
        close(s->stop_efd);
    if (s->abort_efd >= 0)
        close(s->abort_efd);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->exited_cv);
    free(s);
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
    s->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->abort_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->workers = calloc((size_t)opts.max_workers, sizeof *s->workers);
    rc = CF_ENOMEM;
    if (s->stop_efd < 0 || s->abort_efd < 0 || !s->workers)
        goto fail;
    rc = 0;
    pthread_mutex_lock(&s->mu);
    while (rc == 0 && atomic_load(&s->n_workers) < opts.workers)
        rc = net_worker_start(s);
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

void net_server_stats(const net_server *s, net_stats *out)
{
    int conns = atomic_load_explicit(&s->n_conns, memory_order_relaxed);
    /* n_conns counts a connection before accept_batch knows it has room for it (and
     * takes it back if not): it may read one above the connections really open */
    out->connections_open = conns > 0 ? (uint64_t)conns : 0;
    out->connections_accepted = atomic_load_explicit(&s->n_accepted, memory_order_relaxed);
    out->workers = (uint64_t)atomic_load_explicit(&s->n_workers, memory_order_relaxed);
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
    while (s->n_exited < atomic_load(&s->n_workers) && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->exited_cv, &s->mu, &at);
    bool all = s->n_exited == atomic_load(&s->n_workers);
    pthread_mutex_unlock(&s->mu);
    return all;
}

void net_server_stop(net_server *s, int drain_ms)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->stopping, true); /* under mu: invariant (2) */
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
