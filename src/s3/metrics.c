/*
 * metrics.c -- the request metrics behind GET /_coffer/metrics: requests
 * counted by operation and status, a latency histogram per operation, the
 * bytes received and sent; their exposition in the Prometheus text format,
 * the handler, and the server figures of GET /_coffer/stats.
 * metrics_figures.c adds what is read at scrape time (store, engine,
 * server, process).
 *
 * Who calls what: s3_new makes the counters (s3_metrics_new); s3_handle
 * counts every request at its end, after its access log line
 * (s3_metrics_request), under the operation router.c found for it;
 * admin.c dispatches GET /_coffer/metrics to s3_h_metrics. Every metric's
 * name, type, labels and meaning: doc/metrics.md; the text format with a
 * worked example metrics_test.c checks: doc/formats.md ("Metrics").
 *
 * Invariants:
 *  (1) recording takes no lock and allocates nothing: relaxed atomic adds
 *      into arrays fixed at compile time (operations x status slots,
 *      operations x buckets). A scrape reads them relaxed too: it may see a
 *      request in one series and not yet in another, never a torn value.
 *  (2) a histogram's buckets are kept per bucket, not cumulative, and
 *      summed as they are written: each exposition's buckets are cumulative
 *      and monotone, and its _count is its +Inf bucket, whatever is
 *      recorded meanwhile.
 *  (3) a series is written once it has counted something (an operation
 *      nobody asked for has no lines; HELP and TYPE lines always are), in
 *      operation, then status or bucket, order: the same counters always
 *      give the same text.
 */
#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/s3_int.h"

/* The statuses counted exactly: every one coffer's handlers and error table
 * send (errors.c); anything else (and 0, no response) is "other". */
static const int statuses[] = {200, 201, 204, 206, 303, 304, 400, 403, 404, 405,
                               409, 411, 412, 416, 431, 500, 501, 503, 507};
#define N_STATUS (sizeof statuses / sizeof statuses[0] + 1) /* + other */

/* Histogram bucket bounds: Prometheus's default buckets from 0.5 ms to 10 s,
 * in microseconds and as written in le="..."; the last bucket is +Inf. */
static const int64_t bucket_us[] = {500,    1000,   2500,   5000,    10000,   25000,   50000,
                                    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
static const char *const bucket_le[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                        "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                        "1",      "2.5",   "5",      "10",    "+Inf"};
#define N_BUCKET (sizeof bucket_us / sizeof bucket_us[0] + 1) /* + +Inf */

struct s3_metrics {
    atomic_uint_fast64_t requests[S3_OP_COUNT][N_STATUS];
    atomic_uint_fast64_t duration[S3_OP_COUNT][N_BUCKET]; /* per bucket (invariant (2)) */
    atomic_uint_fast64_t duration_sum_us[S3_OP_COUNT];
    atomic_uint_fast64_t received_bytes; /* request heads and bodies */
    atomic_uint_fast64_t sent_bytes;     /* response heads and bodies */
};

/* S3's API names (the API Reference's action names); coffer's own for the rest. */
static const char *const op_names[S3_OP_COUNT] = {
    [S3_OP_OTHER] = "Other",
    [S3_OP_LIST_BUCKETS] = "ListBuckets",
    [S3_OP_CREATE_BUCKET] = "CreateBucket",
    [S3_OP_DELETE_BUCKET] = "DeleteBucket",
    [S3_OP_HEAD_BUCKET] = "HeadBucket",
    [S3_OP_GET_BUCKET_LOCATION] = "GetBucketLocation",
    [S3_OP_GET_BUCKET_VERSIONING] = "GetBucketVersioning",
    [S3_OP_GET_BUCKET_ACL] = "GetBucketAcl",
    [S3_OP_PUT_BUCKET_ACL] = "PutBucketAcl",
    [S3_OP_GET_BUCKET_POLICY] = "GetBucketPolicy",
    [S3_OP_PUT_BUCKET_POLICY] = "PutBucketPolicy",
    [S3_OP_DELETE_BUCKET_POLICY] = "DeleteBucketPolicy",
    [S3_OP_GET_BUCKET_CORS] = "GetBucketCors",
    [S3_OP_PUT_BUCKET_CORS] = "PutBucketCors",
    [S3_OP_DELETE_BUCKET_CORS] = "DeleteBucketCors",
    [S3_OP_GET_BUCKET_POLICY_STATUS] = "GetBucketPolicyStatus",
    [S3_OP_GET_BUCKET_OWNERSHIP_CONTROLS] = "GetBucketOwnershipControls",
    [S3_OP_PUT_BUCKET_OWNERSHIP_CONTROLS] = "PutBucketOwnershipControls",
    [S3_OP_DELETE_BUCKET_OWNERSHIP_CONTROLS] = "DeleteBucketOwnershipControls",
    [S3_OP_GET_PUBLIC_ACCESS_BLOCK] = "GetPublicAccessBlock",
    [S3_OP_PUT_PUBLIC_ACCESS_BLOCK] = "PutPublicAccessBlock",
    [S3_OP_DELETE_PUBLIC_ACCESS_BLOCK] = "DeletePublicAccessBlock",
    [S3_OP_LIST_OBJECT_VERSIONS] = "ListObjectVersions",
    [S3_OP_LIST_OBJECTS_V2] = "ListObjectsV2",
    [S3_OP_LIST_OBJECTS] = "ListObjects",
    [S3_OP_DELETE_OBJECTS] = "DeleteObjects",
    [S3_OP_LIST_MULTIPART_UPLOADS] = "ListMultipartUploads",
    [S3_OP_GET_OBJECT_TAGGING] = "GetObjectTagging",
    [S3_OP_PUT_OBJECT_TAGGING] = "PutObjectTagging",
    [S3_OP_DELETE_OBJECT_TAGGING] = "DeleteObjectTagging",
    [S3_OP_GET_OBJECT_ACL] = "GetObjectAcl",
    [S3_OP_PUT_OBJECT_ACL] = "PutObjectAcl",
    [S3_OP_CREATE_MULTIPART_UPLOAD] = "CreateMultipartUpload",
    [S3_OP_UPLOAD_PART] = "UploadPart",
    [S3_OP_UPLOAD_PART_COPY] = "UploadPartCopy",
    [S3_OP_COMPLETE_MULTIPART_UPLOAD] = "CompleteMultipartUpload",
    [S3_OP_ABORT_MULTIPART_UPLOAD] = "AbortMultipartUpload",
    [S3_OP_LIST_PARTS] = "ListParts",
    [S3_OP_PUT_OBJECT] = "PutObject",
    [S3_OP_COPY_OBJECT] = "CopyObject",
    [S3_OP_GET_OBJECT] = "GetObject",
    [S3_OP_HEAD_OBJECT] = "HeadObject",
    [S3_OP_DELETE_OBJECT] = "DeleteObject",
    [S3_OP_POST_OBJECT] = "PostObject",
    [S3_OP_PREFLIGHT] = "CorsPreflight",
    [S3_OP_GET_BUCKET_CDC] = "CofferGetBucketChangeLog",
    [S3_OP_PUT_BUCKET_CDC] = "CofferPutBucketChangeLog",
    [S3_OP_ADMIN] = "CofferAdmin",
    [S3_OP_CONSOLE] = "CofferConsole",
};

const char *s3_op_name(s3_op op)
{
    return op >= 0 && op < S3_OP_COUNT && op_names[op] ? op_names[op] : op_names[S3_OP_OTHER];
}

s3_metrics *s3_metrics_new(void)
{
    /* calloc: every counter starts at 0 (an all-zero atomic_uint_fast64_t is 0) */
    return calloc(1, sizeof(s3_metrics));
}

void s3_metrics_free(s3_metrics *m)
{
    free(m);
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i < N_STATUS - 1; i++) {
        if (statuses[i] == status)
            return i;
    }
    return N_STATUS - 1;
}

static size_t bucket_of(int64_t us)
{
    size_t i = 0;
    while (i < N_BUCKET - 1 && us > bucket_us[i])
        i++;
    return i;
}

static void add(atomic_uint_fast64_t *a, uint64_t n)
{
    atomic_fetch_add_explicit(a, n, memory_order_relaxed); /* invariant (1) */
}

static uint64_t get(const atomic_uint_fast64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

void s3_metrics_record(s3_metrics *m, s3_op op, int status, int64_t total_us, uint64_t in_bytes,
                       uint64_t out_bytes)
{
    if (op < 0 || op >= S3_OP_COUNT)
        op = S3_OP_OTHER;
    if (total_us < 0)
        total_us = 0;
    add(&m->requests[op][status_slot(status)], 1);
    add(&m->duration[op][bucket_of(total_us)], 1);
    add(&m->duration_sum_us[op], (uint64_t)total_us);
    add(&m->received_bytes, in_bytes);
    add(&m->sent_bytes, out_bytes);
}

s3_op s3_req_op(const s3_req *r)
{
    /* the copies share their route with the plain writes: the handlers tell
     * them apart by this header, as the access log's REST.COPY.* does */
    if ((r->op == S3_OP_PUT_OBJECT || r->op == S3_OP_UPLOAD_PART) &&
        s3_header(r, "x-amz-copy-source").ptr)
        return r->op == S3_OP_PUT_OBJECT ? S3_OP_COPY_OBJECT : S3_OP_UPLOAD_PART_COPY;
    return r->op;
}

void s3_metrics_request(s3_req *r)
{
    http_exchange_counts hc;
    http_exchange_stats(r->ex, &hc);
    s3_op op = s3_req_op(r);
    s3_metrics_record(r->ctx->metrics, op, hc.status, r->total_us,
                      hc.head_read_bytes + hc.body_read_bytes,
                      hc.head_sent_bytes + hc.body_sent_bytes);
}

void s3_metrics_totals(const s3_metrics *m, uint64_t *requests, uint64_t *in_bytes,
                       uint64_t *out_bytes)
{
    uint64_t n = 0;
    for (size_t op = 0; op < S3_OP_COUNT; op++) {
        for (size_t s = 0; s < N_STATUS; s++)
            n += get(&m->requests[op][s]);
    }
    *requests = n;
    *in_bytes = get(&m->received_bytes);
    *out_bytes = get(&m->sent_bytes);
}

/* ---- the exposition ---- */

int s3_metrics_family(cf_buf *out, const char *name, const char *type, const char *help)
{
    return buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int s3_metrics_seconds(cf_buf *out, int64_t us)
{
    uint64_t u = us > 0 ? (uint64_t)us : 0;
    return buf_appendf(out, " %llu.%06llu\n", (unsigned long long)(u / 1000000),
                       (unsigned long long)(u % 1000000));
}

static int put_requests(const s3_metrics *m, cf_buf *out)
{
    int rc = s3_metrics_family(out, "coffer_requests_total", "counter",
                               "Requests the S3 layer answered, by operation and HTTP status.");
    for (size_t op = 0; op < S3_OP_COUNT && !rc; op++) {
        for (size_t s = 0; s < N_STATUS && !rc; s++) {
            uint64_t n = get(&m->requests[op][s]);
            char status[8] = "other";
            if (s < N_STATUS - 1)
                snprintf(status, sizeof status, "%d", statuses[s]);
            if (n) /* invariant (3) */
                rc = buf_appendf(out, "coffer_requests_total{op=\"%s\",status=\"%s\"} %llu\n",
                                 op_names[op], status, (unsigned long long)n);
        }
    }
    return rc;
}

static int put_durations(const s3_metrics *m, cf_buf *out)
{
    static const char name[] = "coffer_request_duration_seconds";
    int rc = s3_metrics_family(out, name, "histogram",
                               "Time from the request head parsed to the response answered, "
                               "by operation.");
    for (size_t op = 0; op < S3_OP_COUNT && !rc; op++) {
        uint64_t b[N_BUCKET], total = 0; /* one read of each bucket: invariant (2) */
        for (size_t i = 0; i < N_BUCKET; i++) {
            b[i] = get(&m->duration[op][i]);
            total += b[i];
        }
        uint64_t sum_us = get(&m->duration_sum_us[op]);
        if (!total) /* invariant (3) */
            continue;
        total = 0;
        for (size_t i = 0; i < N_BUCKET && !rc; i++) {
            total += b[i]; /* cumulative as written */
            rc = buf_appendf(out, "%s_bucket{op=\"%s\",le=\"%s\"} %llu\n", name, op_names[op],
                             bucket_le[i], (unsigned long long)total);
        }
        rc = rc ? rc : buf_appendf(out, "%s_sum{op=\"%s\"}", name, op_names[op]);
        rc = rc ? rc : s3_metrics_seconds(out, sum_us);
        rc = rc ? rc
                : buf_appendf(out, "%s_count{op=\"%s\"} %llu\n", name, op_names[op],
                              (unsigned long long)total);
    }
    return rc;
}

int s3_metrics_format_requests(const s3_metrics *m, cf_buf *out)
{
    int rc = put_requests(m, out);
    rc = rc ? rc : put_durations(m, out);
    const s3_metrics_fig bytes[] = {
        {"coffer_received_bytes_total", "counter",
         "Request bytes received by the S3 layer: heads and bodies.", get(&m->received_bytes)},
        {"coffer_sent_bytes_total", "counter",
         "Response bytes sent by the S3 layer: heads and bodies.", get(&m->sent_bytes)},
    };
    return rc ? rc : s3_metrics_figs(out, bytes, sizeof bytes / sizeof bytes[0]);
}

void s3_metrics_write(s3_ctx *c, cf_buf *out)
{
    s3_metrics_figures f;
    s3_metrics_figures_get(c, &f);
    buf_clear(out);
    int rc = s3_metrics_format_requests(c->metrics, out);
    rc = rc ? rc : s3_metrics_format_figures(&f, out);
    if (rc)
        buf_clear(out); /* s3_h_metrics answers InternalError rather than half a scrape */
}

void s3_metrics_server_json(s3_ctx *c, json_object *o)
{
    s3_metrics_figures f;
    uint64_t requests, in_bytes, out_bytes;
    s3_metrics_figures_get(c, &f);
    s3_metrics_totals(c->metrics, &requests, &in_bytes, &out_bytes);
    const struct {
        const char *name;
        int64_t value;
    } m[] = {
        {"uptime_seconds", (f.now_us - f.start_us) / 1000000},
        {"connections_open", (int64_t)f.server.connections_open},
        {"requests_total", (int64_t)requests},
        {"bytes_in", (int64_t)in_bytes},
        {"bytes_out", (int64_t)out_bytes},
        {"rss_bytes", (int64_t)f.rss_bytes},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        json_object_object_add(o, m[i].name, json_object_new_int64(m[i].value));
}

/* GET /_coffer/metrics -- the exposition, Prometheus text format 0.0.4 (HEAD: its head) */
void s3_h_metrics(s3_req *r)
{
    s3_metrics_write(r->ctx, &r->out);
    if (!r->out.len) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    http_header h[] = {
        {slice_str("Content-Type"), slice_str("text/plain; version=0.0.4; charset=utf-8")}};
    if (s3_respond_head(r, 200, h, 1, r->out.len) == 0 && !r->head)
        http_exchange_write(r->ex, r->out.data, r->out.len);
}
