/*
 * cdc_sink.h -- the change-log sink (doc/cdc_sink.md): a bucket's change log
 * forwarded into another S3 store. Internal to src/s3/.
 *
 * Files: cdc_sink_conf.c (the settings: the "sink" member of PUT
 * /BUCKET?cdc, its stored form in the bucket attribute cdcsink, the cursor
 * in cdcsinkpos, object names), cdc_sink_send.c (one signed PUT to the
 * target), cdc_sink.c (the forwarding thread, its stats).
 */
#ifndef S3_CDC_SINK_H
#define S3_CDC_SINK_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "s3/s3_int.h"

/* Tunables of the forwarder (doc/limits.md), each with why it has its value. */
/* An object at most 8 MiB: a minute of a busy bucket's records in a few
 * objects, one PUT a target takes without multipart, and the memory the
 * thread holds (one piece at a time). */
#define S3_CDC_SINK_MAX_OBJECT_BYTES (8u << 20)
/* connect, and every send and receive: a target that stalls longer is down */
#define S3_CDC_SINK_TIMEOUT_MS 10000
/* after a failure the next attempt waits 0.2 s, doubling up to 10 s: a
 * short outage costs little lag, a long one a request every 10 s */
#define S3_CDC_SINK_BACKOFF_MIN_MS 200
#define S3_CDC_SINK_BACKOFF_MAX_MS 10000
/* idle, the log is looked at every 100 ms (right away again after a PUT
 * moved data): the lag under a steady write load stays near 0.1 s */
#define S3_CDC_SINK_POLL_MS 100
/* the bucket rows are read for new, changed or removed sinks every second
 * (and at once after PUT /BUCKET?cdc on this server) */
#define S3_CDC_SINK_SCAN_MS 1000

#define S3_CDC_SINK_MAX_PREFIX_BYTES 512u
#define S3_CDC_SINK_MAX_KEY_BYTES 128u /* an access key or a secret (SigV4's limits) */

/* Where a bucket's log goes. Strings NUL-terminated. */
typedef struct s3_cdc_sink_conf {
    char endpoint[300];                                /* "http://HOST:PORT" as given */
    char host[256];                                    /* HOST (a name, IPv4, or [IPv6] unbracketed) */
    uint16_t port;
    char region[65];                                   /* signing region */
    char bucket[64];                                   /* the target bucket */
    char prefix[S3_CDC_SINK_MAX_PREFIX_BYTES + 1];     /* before every object name */
    char access_key[S3_CDC_SINK_MAX_KEY_BYTES + 1];
    char secret_key[S3_CDC_SINK_MAX_KEY_BYTES + 1];
    /* the target's identity: when endpoint, bucket or prefix were last set
     * (microseconds); a cursor belongs to one target (cdc_sink_conf.c) */
    int64_t target_us;
} s3_cdc_sink_conf;

/*
 * s3_cdc_sink_parse -- the "sink" member of a PUT /BUCKET?cdc body into
 * *out (target_us left 0). false with why (a constant message for
 * InvalidArgument) if a member is missing, unknown or invalid.
 */
bool s3_cdc_sink_parse(json_object *v, s3_cdc_sink_conf *out, const char **why);

/* s3_cdc_sink_encode -- c as its stored JSON (the secret included) into out (cleared). */
int s3_cdc_sink_encode(const s3_cdc_sink_conf *c, cf_buf *out);
/* s3_cdc_sink_decode -- the stored form back. CF_ECORRUPT if it is not one. */
int s3_cdc_sink_decode(cf_slice text, s3_cdc_sink_conf *out);
/* s3_cdc_sink_json -- c as GET /BUCKET?cdc shows it: everything but the secret. */
json_object *s3_cdc_sink_json(const s3_cdc_sink_conf *c);
/* s3_cdc_sink_same_target -- whether a and b write to the same place (endpoint, bucket, prefix). */
bool s3_cdc_sink_same_target(const s3_cdc_sink_conf *a, const s3_cdc_sink_conf *b);

/*
 * s3_cdc_sink_object_name -- out (cleared) = the target key of the piece of
 * bucket's log starting at byte off of the window starting at window_us:
 * "<prefix><bucket>/YYYY/MM/DD/HH-MM-SS.<off, 12 digits>.ndjson"
 * (doc/formats.md, "Change-log sink objects"). 0, CF_EINVAL (a bucket name over 63
 * bytes), CF_ENOMEM.
 */
int s3_cdc_sink_object_name(const char *prefix, cf_slice bucket, int64_t window_us, uint64_t off,
                            cf_buf *out);

/* A cursor: the next byte to forward, (window start, byte offset in it). */
typedef struct s3_cdc_sink_pos {
    int64_t target_us; /* the target it belongs to (s3_cdc_sink_conf.target_us) */
    int64_t window_us;
    uint64_t off;
} s3_cdc_sink_pos;

/* s3_cdc_sink_pos_encode / _decode -- the cdcsinkpos attribute: "<target_us> <window_us> <off>". */
int s3_cdc_sink_pos_encode(const s3_cdc_sink_pos *p, cf_buf *out);
int s3_cdc_sink_pos_decode(cf_slice text, s3_cdc_sink_pos *out); /* CF_ECORRUPT */

/*
 * One attempt to forward a piece of the log (cdc_sink_send.c). A sender
 * holds a connection to one target and the scratch of its requests;
 * zero-initialise it, s3_cdc_sink_sender_reset when the target changes,
 * s3_cdc_sink_sender_free at the end.
 */
typedef struct s3_cdc_sink_sender {
    http_client *client;      /* NULL until the first attempt */
    cf_buf auth, path, key;   /* the Authorization value, request path, object key */
    s3_sigv4_scratch scratch; /* canonical request and string to sign */
} s3_cdc_sink_sender;

void s3_cdc_sink_sender_reset(s3_cdc_sink_sender *s); /* closes its connection */
void s3_cdc_sink_sender_free(s3_cdc_sink_sender *s);

/*
 * s3_cdc_sink_send -- PUTs body (whole records of bucket's window window_us,
 * starting at byte off) to c's target as s3_cdc_sink_object_name's object,
 * and writes the attempt's access log line through ctx. 0 when the target
 * answered 2xx; otherwise why (cap bytes) says what failed ("HOST:PORT
 * answered 403 AccessDenied", "...: connection failed or timed out") and
 * the return is CF_EIO (no answer, or not 2xx), CF_EINVAL (a malformed
 * answer or a name that cannot be made), CF_ENOMEM.
 */
int s3_cdc_sink_send(s3_ctx *ctx, s3_cdc_sink_sender *s, const s3_cdc_sink_conf *c,
                     cf_slice bucket, int64_t window_us, uint64_t off, cf_slice body, char *why,
                     size_t cap);

/*
 * The forwarder: one thread for every bucket with a sink. Started by
 * s3_new when s3_config.cdc_sink is set, stopped (joined) by s3_free.
 */
typedef struct s3_cdc_sinks s3_cdc_sinks;

/* s3_cdc_sinks_start -- starts the thread over ctx (borrowed). 0, CF_ENOMEM, CF_EIO. */
int s3_cdc_sinks_start(s3_ctx *ctx, s3_cdc_sinks **out);
/* s3_cdc_sinks_stop -- stops it (an attempt in flight finishes first) and frees. NULL: no-op. */
void s3_cdc_sinks_stop(s3_cdc_sinks *s);
/* s3_cdc_sinks_wake -- settings changed: rescan the buckets now. NULL: no-op. */
void s3_cdc_sinks_wake(s3_cdc_sinks *s);
/* s3_cdc_sinks_json -- every sink's state for GET /_coffer/stats (an empty array when none). */
json_object *s3_cdc_sinks_json(s3_cdc_sinks *s);

#endif
