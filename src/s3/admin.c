/*
 * admin.c -- coffer's own endpoints beside the S3 API, for administrators:
 *
 *   GET /_coffer/stats   the store's counters and what its tables wrote to
 *                        disk, as one JSON object (application/json)
 *   GET /_coffer/metrics the Prometheus exposition (metrics.c); also for
 *                        unsigned requests with --metrics-public
 *
 * "_coffer" can never be a bucket (S3 names have no '_'), so these paths
 * cannot shadow an object. Every request is signed like any other; only an
 * admin user may read them (AccessDenied otherwise).
 */
#include <stdio.h>
#include <string.h>

#include "s3/s3_int.h"

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static void put_table(cf_buf *o, const char *name, const eng_table_stats *t)
{
    char line[512];
    snprintf(line, sizeof line,
             "\"%s\":{\"sstables\":%llu,\"sstable_bytes\":%llu,\"memtable_bytes\":%llu,"
             "\"logged_bytes\":%llu,\"flush_bytes\":%llu,\"compaction_bytes\":%llu,"
             "\"ingest_bytes\":%llu,\"flushes\":%llu,\"compactions\":%llu}",
             name, (unsigned long long)t->sstables, (unsigned long long)t->sstable_bytes,
             (unsigned long long)t->memtable_bytes, (unsigned long long)t->user_bytes,
             (unsigned long long)t->flush_bytes, (unsigned long long)t->compaction_bytes,
             (unsigned long long)t->ingest_bytes, (unsigned long long)t->flushes,
             (unsigned long long)t->compactions);
    buf_append(o, line, strlen(line));
}

/* GET /_coffer/stats */
static void stats(s3_req *r)
{
    store_stats st;
    store_disk_stats d;
    store_stats_get(r->ctx->st, &st);
    store_disk_stats_get(r->ctx->st, &d);
    const eng_table_stats *c = &d.chunks;
    uint64_t blob_disk = c->user_bytes + c->flush_bytes + c->compaction_bytes + c->ingest_bytes;
    char head[1024];
    snprintf(head, sizeof head,
             "{\"bytes_accepted\":%llu,\"chunks_written\":%llu,\"chunks_read\":%llu,"
             "\"blobs_dropped\":%llu,\"blob_files_dropped\":%llu,\"commitlog_bytes\":%llu,"
             "\"commitlog_syncs\":%llu,\"blob_bytes_written\":%llu,"
             "\"blob_write_amplification\":%.4f,",
             (unsigned long long)st.bytes_accepted, (unsigned long long)st.chunks_written,
             (unsigned long long)st.chunks_read, (unsigned long long)st.blobs_dropped,
             (unsigned long long)st.blob_files_dropped,
             (unsigned long long)d.db.commitlog_bytes, (unsigned long long)d.db.commitlog_syncs,
             (unsigned long long)blob_disk, ratio(blob_disk, st.bytes_accepted));
    cf_buf *o = &r->out;
    buf_clear(o);
    buf_append(o, head, strlen(head));
    put_table(o, "chunks", &d.chunks);
    buf_append(o, ",", 1);
    put_table(o, "metadata", &d.meta);
    buf_append(o, ",", 1);
    s3_metrics_server_json(r->ctx, o); /* the server figures (metrics.c) */
    buf_append(o, "}\n", 2);
    http_header h[] = {{slice_str("Content-Type"), slice_str("application/json")}};
    if (s3_respond_head(r, 200, h, 1, o->len) == 0 && !r->head)
        http_exchange_write(r->ex, o->data, o->len);
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
    if (get && slice_eq(s3_key(r), slice_str("stats"))) {
        stats(r);
        return;
    }
    s3_error(r, S3_ERR_NOT_IMPLEMENTED, "No such coffer endpoint.");
}
