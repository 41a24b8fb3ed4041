/*
 * admin.c -- coffer's admin API beside the S3 API: the dispatcher, its JSON
 * plumbing and the server's stats (doc/admin.md is the contract).
 *
 *   /_coffer/users[/KEY[/rotate]]   users and keys       admin_users.c
 *   /_coffer/buckets[/NAME]         a bucket's settings  admin_buckets.c
 *   /_coffer/stats                  counters as JSON     here
 *   /_coffer/metrics                the Prometheus exposition (metrics.c); also
 *                                   for unsigned scrapers with --metrics-public
 *
 * "_coffer" can never be a bucket (S3 names have no '_'), so these paths
 * cannot shadow an object. Every request is signed like any other and only
 * an admin user may make it (AccessDenied otherwise, to anonymous callers
 * too). Bodies and errors are JSON (request.c renders the errors of these
 * paths with s3_err_render_json). A method a path does not take is 405
 * MethodNotAllowed, an unknown path 400 InvalidURI.
 */
#include <stdio.h>
#include <string.h>

#include "s3/admin.h"
#include "s3/cdc_sink.h"

bool s3_admin_method(const s3_req *r, const char *method)
{
    if (strcmp(method, "GET") == 0 && r->head)
        return true;
    return slice_eq(r->hr->method, slice_str(method));
}

void s3_admin_reply(s3_req *r, int status, json_object *doc)
{
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    buf_clear(&r->out);
    if (!text || buf_append(&r->out, text, strlen(text)) != 0 || buf_append(&r->out, "\n", 1))
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    else
        s3_respond_json(r, status, buf_slice(&r->out));
    json_object_put(doc);
}

json_object *s3_admin_body(s3_req *r, const char *const *allowed, const json_type *types)
{
    cf_buf body = {0};
    char why[160];
    s3_err_code err = s3_read_small_body(r, S3_ADMIN_MAX_BODY, &body);
    json_object *doc = err ? NULL : s3_admin_parse(buf_slice(&body), allowed, types, why, sizeof why);
    buf_free(&body);
    if (err)
        s3_error(r, err, NULL);
    else if (!doc)
        s3_error(r, S3_ERR_MALFORMED_JSON, why);
    return doc;
}

/* add_u64 -- doc[name] = v (json-c's int64 holds every counter coffer keeps). */
static void add_u64(json_object *doc, const char *name, uint64_t v)
{
    json_object_object_add(doc, name, json_object_new_int64((int64_t)v));
}

static json_object *table_json(const eng_table_stats *t)
{
    json_object *o = json_object_new_object();
    add_u64(o, "sstables", t->sstables);
    add_u64(o, "sstable_bytes", t->sstable_bytes);
    add_u64(o, "memtable_bytes", t->memtable_bytes);
    add_u64(o, "logged_bytes", t->user_bytes);
    add_u64(o, "flush_bytes", t->flush_bytes);
    add_u64(o, "compaction_bytes", t->compaction_bytes);
    add_u64(o, "ingest_bytes", t->ingest_bytes);
    add_u64(o, "flushes", t->flushes);
    add_u64(o, "compactions", t->compactions);
    return o;
}

/* GET /_coffer/stats */
static void stats(s3_req *r)
{
    store_stats st;
    store_disk_stats d;
    store_stats_get(r->ctx->st, &st);
    store_disk_stats_get(r->ctx->st, &d);
    uint64_t blob_disk = s3_blob_disk_bytes(&d);
    json_object *o = json_object_new_object();
    add_u64(o, "bytes_accepted", st.bytes_accepted);
    add_u64(o, "chunks_written", st.chunks_written);
    add_u64(o, "chunks_read", st.chunks_read);
    add_u64(o, "blobs_dropped", st.blobs_dropped);
    add_u64(o, "blob_files_dropped", st.blob_files_dropped);
    add_u64(o, "commitlog_bytes", d.db.commitlog_bytes);
    add_u64(o, "commitlog_syncs", d.db.commitlog_syncs);
    add_u64(o, "blob_bytes_written", blob_disk);
    json_object_object_add(o, "blob_write_amplification",
                           json_object_new_double(st.bytes_accepted ? (double)blob_disk /
                                                                          (double)st.bytes_accepted
                                                                    : 0.0));
    json_object_object_add(o, "chunks", table_json(&d.chunks));
    json_object_object_add(o, "metadata", table_json(&d.meta));
    s3_metrics_server_json(r->ctx, o); /* uptime, connections, requests, bytes, memory */
    json_object_object_add(o, "cdc_sinks", s3_cdc_sinks_json(r->ctx->sinks));
    s3_admin_reply(r, 200, o);
}

void s3_h_admin(s3_req *r)
{
    bool get = slice_eq(r->hr->method, slice_str("GET")) || r->head;
    if (get && slice_eq(s3_key(r), slice_str("metrics")) && (r->admin || r->ctx->metrics_public)) {
        s3_h_metrics(r); /* anyone may scrape with --metrics-public (metrics.c) */
        return;
    }
    if (!r->admin) {
        s3_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return;
    }
    cf_slice path = s3_key(r), rest;
    if (slice_eq(path, slice_str("stats"))) {
        if (s3_admin_method(r, "GET"))
            stats(r);
        else
            s3_error(r, S3_ERR_METHOD_NOT_ALLOWED, NULL);
    } else if (s3_admin_under(path, "users", &rest)) {
        s3_admin_users(r, rest);
    } else if (s3_admin_under(path, "buckets", &rest)) {
        s3_admin_buckets(r, rest);
    } else {
        s3_error(r, S3_ERR_INVALID_URI, "No such admin API path (doc/admin.md).");
    }
}

bool s3_admin_under(cf_slice path, const char *top, cf_slice *rest)
{
    size_t n = strlen(top);
    if (path.len < n || memcmp(path.ptr, top, n) != 0 || (path.len > n && path.ptr[n] != '/'))
        return false;
    *rest = path.len > n ? slice_make(path.ptr + n + 1, path.len - n - 1) : slice_make(NULL, 0);
    return true;
}
