/*
 * config.h -- the net layer's tunables, each with why it has its value.
 */
#ifndef NET_CONFIG_H
#define NET_CONFIG_H

/* Workers: a handler runs on its worker until its request is answered, and
 * blocks on the disk (group-commit fsync) and on slow clients (a body at
 * network speed, a full socket buffer), so a worker is one request in
 * flight. The pool starts at 8 per core, at least 16: enough writers in
 * flight for group commit to batch their fsyncs (bench/s3: 16 parallel
 * uploads). A worker about to wait on a slow client while every other is
 * blocked starts one more (pool.c), up to NET_DEFAULT_MAX_WORKERS: that many
 * slow requests at once before a ready connection waits. Each worker costs
 * ~8 MiB of reserved (not touched) stack and, inside a handler, the
 * handler's buffers (~2 MiB for a PUT streaming into the engine, measured
 * as RSS in bench/s3): 128 of them bound that to ~256 MiB. */
#define NET_WORKERS_PER_CORE 8
#define NET_MIN_WORKERS 16
#define NET_DEFAULT_MAX_WORKERS 128
/* An upper bound on o->workers and o->max_workers: a typo must not start a
 * million threads. */
#define NET_MAX_WORKERS 1024

/* 1024 connections: each holds an http_session with an ~80 KiB input
 * buffer (80 MiB in all) and one fd; 1024 is also the usual soft
 * RLIMIT_NOFILE, beyond which accept fails with EMFILE anyway. */
#define NET_DEFAULT_MAX_CONNS 1024

/* 75 s keep-alive, nginx's default: longer than the 60 s idle limit of the
 * AWS SDKs' connection pools, so the client, not the server, normally closes
 * an idle connection (a server close races with the client's next request). */
#define NET_DEFAULT_IDLE_TIMEOUT_MS 75000

/* 20 s without progress on a body read or response write: what Amazon S3
 * allows before its RequestTimeout error. */
#define NET_DEFAULT_IO_TIMEOUT_MS 20000

/* The rate floor (conn.c invariant 2): inside a handler, a request may take
 * io_timeout plus one second per NET_DEFAULT_MIN_RATE bytes it moved. 1 KiB/s
 * is far below any real client (a 1 GiB upload at 1 MB/s earns a million
 * seconds) but makes a worker cost an attacker a steady 1 KiB/s per
 * connection instead of a byte every 19 s. Apache's mod_reqtimeout uses
 * the same rule with 500 bytes/s. */
#define NET_DEFAULT_MIN_RATE 1024

/* A connection closed by the server after a response (Connection: close, an
 * error answered before its body was read) keeps reading and dropping the
 * client's bytes this long before the socket is closed. Closing a socket
 * with unread input sends a RST, and a RST can destroy the response in the
 * client's receive buffer before the client read it. 5 s lets a client
 * notice the answer and stop sending (nginx's lingering_timeout). */
#define NET_LINGER_MS 5000

/* Listen backlog: absorbs a burst of connects while every worker is busy;
 * the kernel caps it at net.core.somaxconn. */
#define NET_LISTEN_BACKLOG 1024

/* After EMFILE/ENFILE/ENOBUFS a worker stops polling the listener this long:
 * the pending connection keeps the listener readable, so polling it would
 * spin until an fd is freed. */
#define NET_ACCEPT_PAUSE_MS 100

/* Connections a worker accepts per wake-up: one, so a burst spreads over the
 * idle workers (EPOLLEXCLUSIVE wakes another for the next) instead of
 * queueing on one worker behind its first request; the cost is an
 * epoll_wait per accept. */
#define NET_ACCEPT_BATCH 1

/* Events per epoll_wait: one batch of ready connections. */
#define NET_MAX_EVENTS 64

/* The longest a worker sleeps in epoll_wait: connections handed over to it
 * (pool.c) may be due to expire before what it was sleeping for. */
#define NET_MAX_WAIT_MS 1000

/* iovec entries passed to one sendmsg(): bounds the stack copy the write
 * path needs to advance over a partial write. */
#define NET_IOV_WINDOW 64

/* Bytes asked of one sendfile() call (Linux caps a call at ~2 GiB). */
#define NET_SENDFILE_MAX_BYTES (1u << 30)

#endif
