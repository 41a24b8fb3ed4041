/*
 * s3_int.h -- the s3 layer's shared internals: the context, the per-request
 * state every handler gets, and the helpers handlers answer with.
 *
 * A request moves through router.c: addressing (path-style
 * "/bucket/key" or virtual-host "bucket.<domain>/key") and query decoding
 * (request.c), authentication (auth.c, SigV4 or SigV2), then one handler chosen by the
 * routing table. Every handler answers exactly once, through s3_error() or a
 * response helper; the request's buffers are freed in one call when it ends.
 */
#ifndef S3_S3_INT_H
#define S3_S3_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "s3/acl.h"
#include "s3/authz.h"
#include "s3/checksum.h"
#include "s3/cors.h"
#include "s3/errors.h"
#include "s3/s3.h"
#include "s3/sigv4.h"
#include "s3/xml.h"
#include "store/store.h"
#include "util/buf.h"

#define S3_MAX_PARAMS 64

typedef struct s3_policy_cache s3_policy_cache;
typedef struct s3_metrics s3_metrics;

/* The operations the metrics count requests by: S3's API names, one per row
 * of the routing table (router.c), the copy variants the PUT handlers serve,
 * and the requests no row serves. Names: metrics.c; doc/metrics.md. */
typedef enum s3_op {
    S3_OP_OTHER = 0, /* no route: undecodable URI, NotImplemented */
    S3_OP_LIST_BUCKETS,
    S3_OP_CREATE_BUCKET,
    S3_OP_DELETE_BUCKET,
    S3_OP_HEAD_BUCKET,
    S3_OP_GET_BUCKET_LOCATION,
    S3_OP_GET_BUCKET_VERSIONING,
    S3_OP_GET_BUCKET_ACL,
    S3_OP_PUT_BUCKET_ACL,
    S3_OP_GET_BUCKET_POLICY,
    S3_OP_PUT_BUCKET_POLICY,
    S3_OP_DELETE_BUCKET_POLICY,
    S3_OP_GET_BUCKET_CORS,
    S3_OP_PUT_BUCKET_CORS,
    S3_OP_DELETE_BUCKET_CORS,
    S3_OP_GET_BUCKET_POLICY_STATUS,
    S3_OP_GET_BUCKET_OWNERSHIP_CONTROLS,
    S3_OP_PUT_BUCKET_OWNERSHIP_CONTROLS,
    S3_OP_DELETE_BUCKET_OWNERSHIP_CONTROLS,
    S3_OP_GET_PUBLIC_ACCESS_BLOCK,
    S3_OP_PUT_PUBLIC_ACCESS_BLOCK,
    S3_OP_DELETE_PUBLIC_ACCESS_BLOCK,
    S3_OP_LIST_OBJECT_VERSIONS,
    S3_OP_LIST_OBJECTS_V2,
    S3_OP_LIST_OBJECTS,
    S3_OP_DELETE_OBJECTS,
    S3_OP_LIST_MULTIPART_UPLOADS,
    S3_OP_GET_OBJECT_TAGGING,
    S3_OP_PUT_OBJECT_TAGGING,
    S3_OP_DELETE_OBJECT_TAGGING,
    S3_OP_GET_OBJECT_ACL,
    S3_OP_PUT_OBJECT_ACL,
    S3_OP_CREATE_MULTIPART_UPLOAD,
    S3_OP_UPLOAD_PART,
    S3_OP_UPLOAD_PART_COPY, /* UploadPart's route with x-amz-copy-source */
    S3_OP_COMPLETE_MULTIPART_UPLOAD,
    S3_OP_ABORT_MULTIPART_UPLOAD,
    S3_OP_LIST_PARTS,
    S3_OP_PUT_OBJECT,
    S3_OP_COPY_OBJECT, /* PutObject's route with x-amz-copy-source */
    S3_OP_GET_OBJECT,
    S3_OP_HEAD_OBJECT,
    S3_OP_DELETE_OBJECT,
    S3_OP_POST_OBJECT,  /* a browser form upload (post_object.c) */
    S3_OP_PREFLIGHT,    /* a CORS preflight, OPTIONS (cors.c) */
    S3_OP_GET_BUCKET_CDC, /* coffer's change log settings, GET|PUT /BUCKET?cdc (cdc.c) */
    S3_OP_PUT_BUCKET_CDC,
    S3_OP_ADMIN,        /* coffer's own /_coffer/ endpoints (admin.c) */
    S3_OP_CONSOLE,      /* the web console's static files, /_console/ (console.c) */
    S3_OP_COUNT
} s3_op;

struct s3_ctx {
    store *st;
    s3_policy_cache *policies; /* parsed bucket policies (authz_cache.c) */
    bool aws_defaults;         /* new buckets: BucketOwnerEnforced, public access blocked */
    char region[64];
    char domain[256];
    int64_t max_skew_s;
    uint64_t min_part_bytes; /* every part of a completed upload but the last is at least this */
    int access_log_fd;       /* -1: no access log; STDERR_FILENO for "-" (access_log.c) */
    char access_log_path[4096]; /* the file reopened on SIGHUP; "" for stderr or none */
    atomic_bool access_log_failing; /* the last write failed: warned once, not per line */
    s3_metrics *metrics;     /* the request counters (metrics.c) */
    int64_t start_us;        /* wall clock at s3_new: the server's start, for the metrics */
    bool metrics_public;     /* GET /_coffer/metrics without a signature (s3_config) */
    s3_server_stats_fn server_stats; /* NULL: not known */
    void *server_stats_arg;
    struct s3_cdc_sinks *sinks; /* the change-log forwarder (cdc_sink.c); NULL: not started */
};

typedef struct s3_param {
    size_t name_off, name_len;   /* decoded, in s3_req.pbuf */
    size_t value_off, value_len;
    bool has_value;
} s3_param;

typedef struct s3_req {
    s3_ctx *ctx;
    http_exchange *ex;
    const http_request *hr;
    bool head;              /* HEAD: no body is sent */
    cf_buf bucket;          /* decoded bucket name, NUL-terminated ("" for the service) */
    cf_buf key;             /* decoded object key, NUL-terminated ("" for a bucket) */
    bool vhost;             /* the bucket came from Host (virtual-host addressing) */
    cf_buf pbuf;            /* decoded query parameter bytes */
    s3_param params[S3_MAX_PARAMS];
    size_t n_params;
    char access_key[129];   /* the authenticated user; "" when anonymous */
    bool anonymous;         /* no signature: the principal "*" */
    bool admin;
    bool post_form;         /* a form upload: signed by its fields (s3:authType POST) */
    cf_slice form_acl;      /* a form upload's acl field (ptr NULL: none): its x-amz-acl */
    bool post_tagging;      /* a form upload with a tagging field */
    store_bucket b;         /* the addressed bucket, once s3_authorize found it */
    store_meta *obj;        /* the addressed object's meta once s3_object_load read it (malloc'd) */
    int obj_rc;             /* s3_object_load's error once it failed (CF_ENOTFOUND: no such key) */
    store_user user;        /* the signer, as the secret lookup found it */
    s3_sigv4_result auth;   /* what sigv4 or sigv2 found: payload mode, streaming seed */
    s3_sigv4_scratch sig_scratch;
    char request_id[17];
    store_origin origin;    /* who changes what, for the change log (s3_origin) */
    bool addressed;         /* bucket and key were decoded (s3_req_address succeeded) */
    bool responded;
    s3_err_code err;        /* the error s3_error answered with; S3_ERR_NONE if none */
    int64_t object_size;    /* for the access log: the object's size (GET, HEAD) or the
                               payload bytes received (s3_receive); -1 unknown */
    int64_t start_us;       /* wall clock when s3_handle began (only with an access log) */
    int64_t start_mono_us;  /* CLOCK_MONOTONIC then, for the total time */
    int64_t total_us;       /* from then until the handler answered: the access log's
                               total time and the metrics' duration (one reading) */
    s3_op op;               /* what the metrics count the request as (router.c) */
    cf_buf out;             /* response body being built (XML) */
    s3_xml_writer xw;       /* writes into out (s3_doc_begin) */
    /* the Access-Control-* headers every response to this request carries
     * (cors.c s3_cors_prepare, run once by s3_respond_head) */
    bool cors_done;         /* s3_cors_prepare ran (or a preflight answers itself) */
    cf_buf cors;            /* their values; cors_h views into it */
    http_header cors_h[S3_CORS_MAX_HEADERS];
    size_t n_cors;
} s3_req;

/* ---- request.c ---- */

/* s3_param_get -- the decoded value of query parameter name; ptr NULL if absent. */
cf_slice s3_param_get(const s3_req *r, const char *name);
/* s3_param_max -- a page size parameter (max-keys, max-uploads, max-parts): default
 * 1000, capped at 1000; false if it is not a number. */
bool s3_param_max(const s3_req *r, const char *name, uint32_t *out);
/* s3_header -- request header (case-insensitive); ptr NULL if absent. An x-amz-* header
 * of a presigned request may also come as a query parameter (s3_param_is_header). */
cf_slice s3_header(const s3_req *r, const char *name);
/* s3_param_is_header -- is query parameter i an x-amz-* header rather than authentication? */
bool s3_param_is_header(const s3_req *r, size_t i);
static inline cf_slice s3_bucket(const s3_req *r)
{
    return slice_make(r->bucket.data, r->bucket.len ? r->bucket.len - 1 : 0);
}
static inline cf_slice s3_key(const s3_req *r)
{
    return slice_make(r->key.data, r->key.len ? r->key.len - 1 : 0);
}

/* s3_admin_path -- r addresses coffer's admin API (/_coffer/..., admin.c), never a bucket. */
static inline bool s3_admin_path(const s3_req *r)
{
    return slice_eq(s3_bucket(r), slice_str("_coffer"));
}

/* s3_error -- answers with the error XML of code (msg NULL: the table's message). */
void s3_error(s3_req *r, s3_err_code code, const char *msg);
/* s3_error_with -- s3_error with n extra children of <Error> (<Region>, ...) after <Message>. */
void s3_error_with(s3_req *r, s3_err_code code, const char *msg, const s3_err_field *fields,
                   size_t n);
/* s3_err_of -- the S3 error for a cf_err from the store (notfound for CF_ENOTFOUND;
 * CF_ENOSPC, a full disk, is InsufficientStorage). */
s3_err_code s3_err_of(int cf_code, s3_err_code notfound);
/* s3_error_from -- answers with s3_err_of(cf_code, notfound). */
void s3_error_from(s3_req *r, int cf_code, s3_err_code notfound);

/* s3_respond_head -- the one place a response starts: http_exchange_respond with h[n]
 * plus the request's CORS headers (s3_cors_prepare); sets r->responded. */
int s3_respond_head(s3_req *r, int status, const http_header *h, size_t n, uint64_t len);

/* ---- cors.c ---- */

/* s3_cors_prepare -- computes r's CORS headers once: none without Origin (nothing read). */
void s3_cors_prepare(s3_req *r);
/* s3_preflight_wanted -- an OPTIONS request to a bucket or object (answered before auth). */
bool s3_preflight_wanted(const s3_req *r);
void s3_h_preflight(s3_req *r);
void s3_h_put_cors(s3_req *r);
void s3_h_get_cors(s3_req *r);
void s3_h_delete_cors(s3_req *r);

/* ---- cdc.c: the change log through S3 (doc/cdc.md) ---- */

#define S3_CDC_BUCKET "coffer-cdc" /* the read-only view: a window is BUCKET/YYYY/MM/DD/HH-MM-SS.ndjson */

/* s3_cdc_view -- r addresses the view bucket (answered by s3_h_cdc_view after authentication). */
bool s3_cdc_view(const s3_req *r);
void s3_h_cdc_view(s3_req *r);
/* s3_cdc_list -- store_list's contract over the view: the windows of the buckets the caller
 * may list, keyed by their names. */
int s3_cdc_list(s3_req *r, const store_list_req *q, const store_list_cb *cb, bool *truncated,
                cf_buf *next);
/* s3_cdc_window_name -- into out (NUL-terminated) the view's key of bucket's window that starts
 * at start_us (cdc_name.c); its length, 0 if it does not fit in cap bytes. */
size_t s3_cdc_window_name(cf_slice bucket, int64_t start_us, char *out, size_t cap);
/* s3_cdc_window_parse -- key as a window's name: its bucket and start; false if it is not one. */
bool s3_cdc_window_parse(cf_slice key, cf_slice *bucket, int64_t *start_us);
void s3_h_get_cdc(s3_req *r); /* GET /BUCKET?cdc */
void s3_h_put_cdc(s3_req *r); /* PUT /BUCKET?cdc */

/* ---- console.c ---- */

/* s3_console_wanted -- a path-style request for /_console or below (answered before auth). */
bool s3_console_wanted(const s3_req *r);
/* s3_h_console -- serves the embedded web console's files (console_files.h). */
void s3_h_console(s3_req *r);

/* s3_respond_xml -- answers status with r->out as an XML body, plus extra headers. */
void s3_respond_xml(s3_req *r, int status, const http_header *extra, size_t n_extra);
/* s3_respond_json -- answers status with body as application/json (policies, the admin API). */
void s3_respond_json(s3_req *r, int status, cf_slice body);
/* s3_respond_empty -- answers status with no body. */
void s3_respond_empty(s3_req *r, int status, const http_header *extra, size_t n_extra);

/*
 * s3_doc_begin -- clears r->out and starts an S3 response document: the XML
 * declaration and <root xmlns="...">; r->xw then writes into it.
 */
void s3_doc_begin(s3_req *r, const char *root);

/* s3_doc_user -- <element><ID>id</ID><DisplayName>id</DisplayName></element> (Owner, Initiator). */
void s3_doc_user(s3_req *r, const char *element, const char *id);

/* s3_iso8601 -- "2024-01-02T03:04:05.000Z" for microseconds since the epoch (out[32]). */
void s3_iso8601(int64_t us, char *out);

/* ---- router.c ---- */

/* s3_req_subresource -- the first query parameter that names an S3
 * subresource ("acl", "uploadId", ...); ptr NULL if none. Points into r->pbuf. */
cf_slice s3_req_subresource(const s3_req *r);

/* ---- access_log.c ---- */

/* What a request addressed, for its operation name. */
enum { S3_AT_SERVICE = 0, S3_AT_BUCKET = 1, S3_AT_OBJECT = 2, S3_AT_ADMIN = 3 };

/* One access log line's values (doc/formats.md "Access log"). Slices are
 * borrowed; empty ones (and NULL strings) are written as "-". */
typedef struct s3_access_entry {
    int64_t time_s;          /* when the request began, Unix seconds */
    cf_slice bucket;         /* decoded bucket name */
    cf_slice remote;         /* the client's IP address */
    cf_slice requester;      /* the authenticated access key; empty: anonymous or refused */
    cf_slice request_id;
    const char *operation;   /* "REST.GET.OBJECT" (s3_access_operation) */
    cf_slice key;            /* decoded object key; written percent-encoded */
    cf_slice method;         /* the request line: method, target (secrets redacted), version */
    cf_slice target;
    int minor_version;
    int status;              /* the status sent; <= 0: none was */
    const char *error_code;  /* the S3 error code sent, or NULL */
    uint64_t bytes_sent;     /* response body bytes */
    int64_t object_size;     /* the object's size or the bytes received; -1 unknown */
    int64_t total_ms;        /* from s3_handle's start until the handler answered */
    cf_slice referer;
    cf_slice user_agent;
    const char *sig_version; /* "SigV4", or NULL when not authenticated */
    const char *auth_type;   /* "AuthHeader", "QueryString", or NULL */
    cf_slice host;           /* the Host header */
} s3_access_entry;

/*
 * s3_access_log_format -- appends e as one log line, '\n' included: every
 * client-chosen byte escaped, secret query values redacted (access_log.c
 * invariants (2) and (3)). 0 or CF_ENOMEM.
 */
int s3_access_log_format(cf_buf *out, const s3_access_entry *e);

/*
 * s3_access_operation -- S3's operation name "REST.<METHOD>.<TYPE>" into
 * out (cap bytes, NUL-terminated) for a request of method addressing at
 * (S3_AT_*) with subresource sub (empty: none); copy: it carries
 * x-amz-copy-source (a PUT of an object or a part is then REST.COPY.*).
 */
void s3_access_operation(cf_slice method, int at, cf_slice sub, bool copy, char *out, size_t cap);

/* s3_access_log_open -- opens path for c (NULL or "": off; "-": stderr). 0, CF_EIO, CF_EINVAL. */
int s3_access_log_open(s3_ctx *c, const char *path);
/* s3_access_log_close -- closes c's log file (not stderr). */
void s3_access_log_close(s3_ctx *c);
/* s3_access_log_begin -- notes the request's start times (the wall clock only when the
 * log is on; the monotonic one always: the metrics time every request). */
void s3_access_log_begin(s3_req *r);
/* s3_access_log_write -- writes e's line (one write(2)) if the log is on: for what the
 * server does on its own, like the change-log sink's PUTs (cdc_sink.c). */
void s3_access_log_write(s3_ctx *c, const s3_access_entry *e);
/* s3_access_log_request -- writes r's line: one write(2), after the handler answered. */
void s3_access_log_request(s3_req *r);

/* ---- metrics.c (doc/metrics.md; the exposition format: doc/formats.md "Metrics") ---- */

/* s3_metrics_new / _free -- the zeroed counters s3_new makes. NULL: out of memory. */
s3_metrics *s3_metrics_new(void);
void s3_metrics_free(s3_metrics *m); /* NULL is a no-op */

/*
 * s3_metrics_record -- counts one request of op answered with status (0: no
 * response could be sent) after total_us microseconds, which moved in_bytes
 * and out_bytes (heads and bodies). Relaxed atomic adds into fixed arrays:
 * no lock, no allocation; safe from every worker at once.
 */
void s3_metrics_record(s3_metrics *m, s3_op op, int status, int64_t total_us, uint64_t in_bytes,
                       uint64_t out_bytes);

/* s3_metrics_request -- s3_metrics_record for r once it was answered (s3_handle's end). */
void s3_metrics_request(s3_req *r);

/* s3_metrics_totals -- every request counted, and their bytes in and out. */
void s3_metrics_totals(const s3_metrics *m, uint64_t *requests, uint64_t *in_bytes,
                       uint64_t *out_bytes);

/* s3_req_op -- the operation r is: its route's, or the copy variant of a PUT that copies. */
s3_op s3_req_op(const s3_req *r);

/* s3_op_name -- op's S3 API name ("GetObject"). */
const char *s3_op_name(s3_op op);

/*
 * s3_metrics_format_requests -- appends the request metrics of m (requests
 * by operation and status, the duration histograms, bytes received and
 * sent) in the Prometheus text format: the series with a count only, in
 * operation then status order. 0 or CF_ENOMEM.
 */
int s3_metrics_format_requests(const s3_metrics *m, cf_buf *out);

/* What the metrics read from the layers below and the process at a scrape. */
typedef struct s3_metrics_figures {
    int64_t now_us;          /* wall clock, microseconds since the epoch */
    int64_t start_us;        /* when the server started (s3_new), the same clock */
    bool has_server;         /* server is known (s3_config.server_stats) */
    s3_server_stats server;
    store_stats store;
    store_disk_stats disk;
    bool has_process;        /* the process figures could be read (/proc) */
    uint64_t rss_bytes;      /* resident set size */
    uint64_t rss_peak_bytes; /* its peak (VmHWM) */
    uint64_t open_fds;       /* descriptors open */
} s3_metrics_figures;

/* s3_metrics_figures_get -- reads c's figures now (the store's counters, the
 * server's, /proc/self). Takes the engine's table locks briefly. */
void s3_metrics_figures_get(s3_ctx *c, s3_metrics_figures *f);

/* s3_metrics_format_figures -- appends f in the Prometheus text format
 * (metrics_figures.c). 0 or CF_ENOMEM. */
int s3_metrics_format_figures(const s3_metrics_figures *f, cf_buf *out);

/* s3_blob_disk_bytes -- the bytes the chunks table wrote to disk for blob
 * data (logged, flushed, compacted, ingested): the numerator of the blob
 * write amplification (store.h store_disk_stats). */
uint64_t s3_blob_disk_bytes(const store_disk_stats *d);

/* s3_metrics_family -- a metric family's "# HELP name help" and "# TYPE name type" lines. */
int s3_metrics_family(cf_buf *out, const char *name, const char *type, const char *help);
/* One metric with one value and no labels. */
typedef struct s3_metrics_fig {
    const char *name;
    const char *type; /* "counter" or "gauge" */
    const char *help;
    uint64_t value;
} s3_metrics_fig;
/* s3_metrics_figs -- the HELP, TYPE and sample lines of each of figs[0..n) (metrics_figures.c). */
int s3_metrics_figs(cf_buf *out, const s3_metrics_fig *figs, size_t n);
/* s3_metrics_seconds -- " S.UUUUUU" and '\n': microseconds us (< 0: 0) as seconds, exactly. */
int s3_metrics_seconds(cf_buf *out, int64_t us);

/* s3_metrics_write -- the whole exposition of GET /_coffer/metrics into out (cleared first). */
void s3_metrics_write(s3_ctx *c, cf_buf *out);

/* s3_metrics_server_json -- adds the members uptime_seconds, connections_open,
 * requests_total, bytes_in, bytes_out and rss_bytes (integers) to the JSON
 * object o, for GET /_coffer/stats (admin.c). */
struct json_object;
void s3_metrics_server_json(s3_ctx *c, struct json_object *o);

/* s3_h_metrics -- GET or HEAD /_coffer/metrics. REQUIRES: the caller decided the
 * requester may read it (an admin, or anyone with metrics_public). */
void s3_h_metrics(s3_req *r);

/* ---- auth.c ---- */

/*
 * s3_authenticate -- verifies the request's SigV4 or SigV2 (header or
 * presigned) and fills r->access_key, r->admin, r->auth. On failure it
 * answers the error itself and returns non-zero.
 */
int s3_authenticate(s3_req *r);
/* s3_user_load -- the user of access_key into r->user; a disabled user is CF_ENOTFOUND,
 * so its signatures are refused as those of a key that does not exist. */
int s3_user_load(s3_req *r, cf_slice access_key);

/* ---- authz.c (authz.h) ---- */

/*
 * s3_authorize -- may the caller perform act on what r addresses? Finds the
 * bucket (into r->b) and, when the decision needs it, the object (r->obj).
 * 0 if allowed; otherwise answers (NoSuchBucket, AccessDenied) and returns -1.
 */
int s3_authorize(s3_req *r, s3_action act);

/*
 * s3_authorize_other -- the same decision for act on another resource of
 * this request: key (empty for the bucket itself) of bucket b, whose
 * object meta is m (NULL if there is none or it is not needed). true if
 * allowed; nothing is answered.
 */
bool s3_authorize_other(s3_req *r, s3_action act, const store_bucket *b, cf_slice key,
                        const store_meta *m);

/* s3_object_load -- reads the addressed object's meta into r->obj once per request (the
 * authorization, a GET and an ACL handler share the read): 0, or the store's error (kept). */
int s3_object_load(s3_req *r);

/* s3_expected_owner_ok -- false when the request's header (x-amz-expected-bucket-owner, or
 * x-amz-source-expected-bucket-owner for a copy source) names another owner than b's: the
 * caller's guard against a bucket that changed hands (S3 answers AccessDenied). */
bool s3_expected_owner_ok(s3_req *r, const store_bucket *b, const char *header);

/* s3_object_acl -- the ACL of object m in bucket b (its x-coffer-acl line, else private to
 * the bucket owner). CF_ECORRUPT if the stored line does not decode. */
int s3_object_acl(const store_bucket *b, const store_meta *m, s3_acl *out);

/* ---- authz_cache.c ---- */

/* s3_policy_cache_new / _free -- the cache of parsed policies s3_new makes. */
int s3_policy_cache_new(s3_policy_cache **out);
void s3_policy_cache_free(s3_policy_cache *c);

/* A parsed policy lent by the cache: valid until s3_policy_release. */
typedef struct s3_policy_ref s3_policy_ref;
const struct s3_policy *s3_policy_of(const s3_policy_ref *ref);

/*
 * s3_policy_acquire -- the parsed policy of bucket b (b->policy_us != 0),
 * from the cache or read and parsed now. 0 and *out; CF_ENOTFOUND if the
 * bucket has no policy any more; CF_ECORRUPT if the stored document does
 * not parse (the caller denies: fail closed); CF_ENOMEM.
 */
int s3_policy_acquire(s3_ctx *c, const store_bucket *b, s3_policy_ref **out);
void s3_policy_release(s3_policy_ref *ref); /* NULL is a no-op */

/* ---- acl_api.c ---- */

/*
 * s3_acl_for_write -- gives the object a write creates (meta m, its headers
 * built) the owner and ACL of Object Ownership and the request's x-amz-acl
 * or x-amz-grant-* headers (a form's acl field: r->form_acl), as m's
 * x-coffer-acl line. 0, or answers (AccessControlListNotSupported,
 * AccessDenied, InvalidArgument, ...) and -1.
 * REQUIRES: r->b is the bucket written to (s3_authorize ran).
 */
int s3_acl_for_write(s3_req *r, store_meta *m);

/*
 * s3_acl_for_bucket -- the stored ACL (enc, empty for the default) of the
 * bucket b that CreateBucket is making, from the request's ACL headers.
 * 0, or answers and -1.
 */
int s3_acl_for_bucket(s3_req *r, const store_bucket *b, cf_buf *enc);

/* ---- unsupported.c ---- */

/* s3_refuse_unsupported -- answers NotImplemented (or S3's 400) for a header or parameter
 * that asks for something coffer does not honour; returns -1 then, else 0. */
int s3_refuse_unsupported(s3_req *r);

/* ---- body.c ---- */

/*
 * s3_body -- reads a request body: plain (Content-Length), or aws-chunked
 * (signed chunks verified against the seed signature, trailing checksums
 * collected), checking x-amz-content-sha256 when it is a hash.
 */
typedef struct s3_body s3_body;
int s3_body_open(s3_req *r, s3_body **out);
/* s3_body_read -- > 0 bytes, 0 at the end (all checks passed), < 0 failed: the
 * error code to answer is in *err. */
ssize_t s3_body_read(s3_body *b, void *buf, size_t cap, s3_err_code *err);
/* s3_body_trailer -- a trailing header's value after the end; ptr NULL if absent. */
cf_slice s3_body_trailer(const s3_body *b, const char *name);
/* s3_body_decoded_length -- the payload length the client declared (HTTP_NO_LENGTH if unknown). */
uint64_t s3_body_decoded_length(const s3_body *b);
void s3_body_close(s3_body *b);
/* s3_read_small_body -- a whole small body (XML) into out, at most max bytes
 * (else MaxMessageLengthExceeded); Content-MD5 is verified if sent. */
s3_err_code s3_read_small_body(s3_req *r, size_t max, cf_buf *out);

/* ---- receive.c ---- */

/* The checksum a write must verify: which algorithm, and where its value comes from. */
typedef struct s3_put_check {
    int alg;          /* s3_ck_alg, or -1 */
    cf_slice value;   /* from a header; ptr NULL if it comes in a trailer */
    char trailer[64]; /* the trailer's name when it does */
} s3_put_check;

/* s3_find_check -- the x-amz-checksum-* header or x-amz-trailer of the request (one at most). */
s3_err_code s3_find_check(s3_req *r, s3_put_check *c);
/* s3_find_check_in -- the same from any name -> value lookup (get: ptr NULL if absent;
 * the values found must outlive c): request headers, or a form's fields. */
s3_err_code s3_find_check_in(cf_slice (*get)(void *arg, const char *name), void *arg,
                             s3_put_check *c);

/* What s3_receive received. */
typedef struct s3_received {
    uint64_t size;
    uint8_t md5[16];
    int alg;                            /* the algorithm of digest, or -1 */
    uint8_t digest[S3_CK_MAX_DIGEST];
    size_t digest_len;
} s3_received;

/* The largest object one write (PutObject, PostObject) stores: S3's 5 GiB. */
#define S3_MAX_PUT_BYTES (5ull << 30)

/*
 * Where the bytes of a write come from: read() returns > 0 bytes, 0 at the
 * end (every check of the source passed), < 0 with the error to answer in
 * *err; trailer() (may be NULL) a trailing header's value after the end.
 */
typedef struct s3_source {
    ssize_t (*read)(void *arg, void *buf, size_t cap, s3_err_code *err);
    cf_slice (*trailer)(void *arg, const char *name);
    void *arg;
    uint64_t declared;    /* the length the client declared, HTTP_NO_LENGTH if none */
    cf_slice content_md5; /* base64 MD5 to verify; ptr NULL if none */
} s3_source;

/*
 * s3_receive_from -- streams src into w (more than max bytes:
 * EntityTooLarge, nothing past max is written), computing MD5 and the
 * checksum chk names, or else `also` (an s3_ck_alg or -1; when both are set
 * they are equal), checking the declared length, src->content_md5 and chk's
 * value. S3_ERR_NONE or the error to answer.
 */
s3_err_code s3_receive_from(const s3_source *src, store_writer *w, const s3_put_check *chk,
                            int also, uint64_t max, s3_received *out);

/* s3_meta_received -- m's ETag, size, mtime and checksum header from what a write received;
 * the checksum's base64 (or "") into b64 (cap >= 64). S3_ERR_NONE or MetadataTooLarge. */
s3_err_code s3_meta_received(store_meta *m, const s3_received *got, char *b64, size_t cap);

/*
 * s3_receive -- streams the request body into w (more than max bytes:
 * EntityTooLarge), computing MD5 and the checksum chk names, or else
 * `also` (an s3_ck_alg or -1; when both are set they are equal), checking
 * Content-MD5 and chk's value. S3_ERR_NONE or the error to answer.
 */
s3_err_code s3_receive(s3_req *r, store_writer *w, const s3_put_check *chk, int also,
                       uint64_t max, s3_received *out);

/* s3_verify_digest -- does base64 value b64 decode to exactly digest[0..n)? */
bool s3_verify_digest(cf_slice b64, const uint8_t *digest, size_t n);

/*
 * s3_write_meta -- the first steps of a write to this request's key: the
 * bucket is the user's, the key is not too long, and the new object's meta
 * (content type, kept headers) from the request, malloc'd. NULL if the
 * request was answered with an error.
 */
store_meta *s3_write_meta(s3_req *r);

/* s3_write_cond -- If-None-Match (only "*") and If-Match of a write into *cond (if_match
 * points into the caller's buffer). Answers NotImplemented and returns -1 for other values. */
int s3_write_cond(s3_req *r, store_cond *cond, char *if_match, size_t cap);
/* s3_origin -- r's operation, signer and request id, for the change log's record of its change. */
const store_origin *s3_origin(s3_req *r);
/* s3_write_cond_error -- answers a failed conditional commit (a missing key for If-Match is NoSuchKey). */
void s3_write_cond_error(s3_req *r, int rc, const store_cond *cond, s3_err_code notfound);

/* ---- meta.c ---- */

/* s3_starts_with_ci -- does s start with prefix (ASCII case-insensitive)? */
bool s3_starts_with_ci(cf_slice s, const char *prefix);
/* s3_meta_add -- appends "name: value\n" (name lowercased); false if it does not fit. */
bool s3_meta_add(store_meta *m, cf_slice name, cf_slice value);
/*
 * s3_meta_next -- the kept header line at *p ("name: value\n") as name and
 * value (pointing into the headers), advancing *p; false at the end.
 */
bool s3_meta_next(const char **p, cf_slice *name, cf_slice *value);
/* s3_meta_find -- a kept header's value; ptr NULL if absent. Points into m. */
cf_slice s3_meta_find(const store_meta *m, const char *name);
/* s3_meta_copy -- appends src's kept headers whose name keep() accepts to dst; false if one did not fit. */
bool s3_meta_copy(store_meta *dst, const store_meta *src, bool (*keep)(cf_slice name));
/* s3_meta_not_tagging -- keep() for every header but the tags. */
bool s3_meta_not_tagging(cf_slice name);
/* s3_meta_not_acl -- keep() for every header but the ACL line (x-coffer-acl). */
bool s3_meta_not_acl(cf_slice name);
/* s3_meta_not_tagging_or_acl -- keep() for every header but the tags and the ACL (a copy). */
bool s3_meta_not_tagging_or_acl(cf_slice name);
/* s3_meta_from_request -- content type and kept headers of the request into m. */
s3_err_code s3_meta_from_request(s3_req *r, store_meta *m);
/* s3_meta_set_type -- m's content type: ct, or S3's default binary/octet-stream if ct.ptr is NULL. */
void s3_meta_set_type(store_meta *m, cf_slice ct);
/*
 * s3_meta_field -- one request header or form field into m if an object
 * keeps it (x-amz-meta-*, the Content-* headers S3 returns, ...), adding
 * user metadata bytes to *user_bytes. S3_ERR_NONE, or MetadataTooLarge (it
 * does not fit, or user metadata passes 2 KiB).
 */
s3_err_code s3_meta_field(store_meta *m, cf_slice name, cf_slice value, size_t *user_bytes);

/* ---- copy.c ---- */

/*
 * s3_copy_source -- the object x-amz-copy-source names (its bucket and key
 * decoded into sbucket, skey; its meta into src), readable by the user and
 * passing the x-amz-copy-source-if-* conditions; otherwise answers the
 * error and returns -1.
 */
int s3_copy_source(s3_req *r, cf_buf *sbucket, cf_buf *skey, store_meta *src);

/* ---- handlers (one file per API family) ---- */

void s3_h_list_buckets(s3_req *r);
void s3_h_create_bucket(s3_req *r);
void s3_h_delete_bucket(s3_req *r);
void s3_h_head_bucket(s3_req *r);
void s3_h_bucket_location(s3_req *r);
void s3_h_bucket_versioning(s3_req *r);
void s3_h_get_bucket_acl(s3_req *r);
void s3_h_put_bucket_acl(s3_req *r);
void s3_h_get_bucket_policy(s3_req *r);
void s3_h_put_bucket_policy(s3_req *r);
void s3_h_delete_bucket_policy(s3_req *r);
void s3_h_bucket_policy_status(s3_req *r);
void s3_h_get_ownership(s3_req *r);
void s3_h_put_ownership(s3_req *r);
void s3_h_delete_ownership(s3_req *r);
void s3_h_get_public_block(s3_req *r);
void s3_h_put_public_block(s3_req *r);
void s3_h_delete_public_block(s3_req *r);
void s3_h_list_objects(s3_req *r);
void s3_h_list_objects_v2(s3_req *r);
void s3_h_list_versions(s3_req *r);
void s3_h_delete_objects(s3_req *r);
void s3_h_put_object(s3_req *r);
void s3_h_copy_object(s3_req *r);
void s3_h_get_object(s3_req *r);
void s3_h_delete_object(s3_req *r);
void s3_h_get_object_acl(s3_req *r);
void s3_h_put_object_acl(s3_req *r);
void s3_h_get_tagging(s3_req *r);
void s3_h_put_tagging(s3_req *r);
void s3_h_delete_tagging(s3_req *r);
void s3_h_create_upload(s3_req *r);
void s3_h_upload_part(s3_req *r);
void s3_h_upload_part_copy(s3_req *r);
void s3_h_complete_upload(s3_req *r);
void s3_h_abort_upload(s3_req *r);
void s3_h_list_parts(s3_req *r);
void s3_h_list_uploads(s3_req *r);
void s3_h_admin(s3_req *r);
void s3_h_post_object(s3_req *r);

/* ---- post_object.c ---- */

/* s3_post_object_wanted -- is r a browser upload: POST to a bucket, no query, multipart/form-data?
 * Such a request carries its signature in the form: the router hands it over unauthenticated. */
bool s3_post_object_wanted(const s3_req *r);

/* ---- tagging.c ---- */

/* s3_tags_to_query -- a parsed Tagging document as the stored "k=v&k2=v2" form into q. */
int s3_tags_to_query(const s3_tagging *t, cf_buf *q);

/* ---- multipart.c ---- */

/* s3_upload_id_parse -- an upload id from its 32 hex digits; false if v is not one. */
bool s3_upload_id_parse(cf_slice v, uint8_t *id);
/* s3_part_number -- ?partNumber as 1..10000; otherwise answers InvalidArgument, returns -1. */
int s3_part_number(s3_req *r, uint32_t *out);
/* s3_upload_checksum -- the checksum algorithm an upload's (or a completed object's)
 * headers name, or -1; *full_object: its type is FULL_OBJECT. */
int s3_upload_checksum(const store_meta *up, bool *full_object);

#endif
