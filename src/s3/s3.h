/*
 * s3.h -- the S3 front end: routing, authentication, and one handler per API
 * family, on top of the store. The public header of the s3 layer.
 *
 * The http layer calls s3_handle() once per request (it is an
 * http_handler_fn); everything S3-shaped happens below it: addressing
 * (path-style and virtual-host-style), SigV4 (header, presigned, streaming),
 * the error table, XML bodies, and the mapping onto store calls.
 */
#ifndef S3_S3_H
#define S3_S3_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

typedef struct s3_ctx s3_ctx;

/* What the server around the s3 layer counts (net/, through main.c), for the metrics. */
typedef struct s3_server_stats {
    uint64_t connections_open;     /* accepted and not yet closed */
    uint64_t connections_accepted; /* since the start */
    uint64_t workers;              /* worker threads started */
} s3_server_stats;

/* Fills *out; called from any worker thread while a metrics request is served. */
typedef void (*s3_server_stats_fn)(void *arg, s3_server_stats *out);

typedef struct s3_config {
    const char *region;      /* signing region and GetBucketLocation answer ("us-east-1") */
    const char *domain;      /* virtual-host base: "<bucket>.<domain>" (NULL: path-style only) */
    int64_t max_skew_s;      /* allowed clock skew of signed requests (900) */
    uint64_t min_part_bytes; /* minimum size of a multipart part but the last (0: S3's 5 MiB) */
    const char *access_log;  /* one line per request (doc/formats.md "Access log") appended to
                                this file, "-": stderr, NULL: none */
    bool aws_defaults;       /* new buckets as AWS makes them: BucketOwnerEnforced, public
                                access blocked (false: as Ceph RGW, ACLs on, nothing blocked) */
    bool metrics_public;     /* GET /_coffer/metrics needs no signature (doc/metrics.md) */
    s3_server_stats_fn server_stats; /* NULL: the connection and worker metrics are left out */
    void *server_stats_arg;  /* passed to server_stats; must outlive the s3_ctx */
    bool cdc_sink;           /* run the change-log forwarder (doc/cdc_sink.md): the server does,
                                tools and unit tests that make an s3_ctx need not */
} s3_config;

/*
 * s3_new -- a front end over st (borrowed; must outlive it). Caller frees
 * with s3_free(). 0; CF_ENOMEM; CF_EIO when the access log cannot be opened
 * (logged), CF_EINVAL when its path is too long. *out is NULL on error.
 */
int s3_new(store *st, const s3_config *cfg, s3_ctx **out);
void s3_free(s3_ctx *ctx);

/*
 * s3_check -- store_check (`coffer check`) with the s3 layer's own rows
 * judged too: bucket access attributes and policies, object ACLs. Return
 * values as store_check's.
 */
int s3_check(store *st, store_check_stats *out);

/*
 * s3_access_log_reopen -- opens the access log's path again and writes
 * there from now on (after a rotation moved the file: main.c calls it on
 * SIGHUP). Safe while requests are served: a line goes whole to the old
 * file or the new one. 0 (also when the log is off or stderr); CF_EIO when
 * the path cannot be opened, logged, and the old file is kept.
 */
int s3_access_log_reopen(s3_ctx *ctx);

/* s3_handle -- serves one request (an http_handler_fn: arg is the s3_ctx). */
struct http_exchange;
void s3_handle(void *arg, struct http_exchange *ex);

#endif
