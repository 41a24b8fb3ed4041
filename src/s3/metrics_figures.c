/*
 * metrics_figures.c -- the part of GET /_coffer/metrics read at scrape time
 * rather than counted per request: the server's connections and workers
 * (net/, through s3_config.server_stats), the process (/proc/self), and the
 * store's and engine's counters (store_stats_get, store_disk_stats_get: the
 * figures GET /_coffer/stats reads too); and their exposition. metrics.c
 * writes the request metrics before them.
 *
 * Reading is split from writing (s3_metrics_figures_get, then
 * s3_metrics_format_figures) so that metrics_test.c checks the text byte
 * for byte from fixed figures. Names, types and meanings: doc/metrics.md.
 * Nothing here runs on the request path of any other request.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "s3/s3_int.h"
#include "util/clock.h"

uint64_t s3_blob_disk_bytes(const store_disk_stats *d)
{
    const eng_table_stats *c = &d->chunks;
    return c->user_bytes + c->flush_bytes + c->compaction_bytes + c->ingest_bytes;
}

/* status_kib -- the "Name:   N kB" line of /proc/self/status text st, in bytes; 0 if absent. */
static uint64_t status_kib(const char *st, const char *name)
{
    const char *p = strstr(st, name);
    unsigned long long kib = 0;
    if (!p || sscanf(p + strlen(name), " %llu kB", &kib) != 1)
        return 0;
    return (uint64_t)kib * 1024;
}

/* process_get -- resident memory, its peak and open descriptors; false if /proc is not there. */
static bool process_get(s3_metrics_figures *f)
{
    char st[4096];
    FILE *fp = fopen("/proc/self/status", "re");
    if (!fp)
        return false;
    size_t n = fread(st, 1, sizeof st - 1, fp);
    fclose(fp);
    st[n] = '\0';
    f->rss_bytes = status_kib(st, "\nVmRSS:");
    f->rss_peak_bytes = status_kib(st, "\nVmHWM:");
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return false;
    uint64_t fds = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d))
        fds += e->d_name[0] != '.';
    closedir(d);
    f->open_fds = fds ? fds - 1 : 0; /* not the one opendir holds */
    return true;
}

void s3_metrics_figures_get(s3_ctx *c, s3_metrics_figures *f)
{
    memset(f, 0, sizeof *f);
    f->now_us = clock_now_us();
    f->start_us = c->start_us;
    if (c->server_stats) {
        c->server_stats(c->server_stats_arg, &f->server);
        f->has_server = true;
    }
    store_stats_get(c->st, &f->store);
    store_disk_stats_get(c->st, &f->disk);
    f->has_process = process_get(f);
}

/* ---- the exposition ---- */

int s3_metrics_figs(cf_buf *out, const s3_metrics_fig *figs, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = s3_metrics_family(out, figs[i].name, figs[i].type, figs[i].help);
        rc = rc ? rc
                : buf_appendf(out, "%s %llu\n", figs[i].name, (unsigned long long)figs[i].value);
    }
    return rc;
}

/* put_seconds_fig -- a gauge in seconds, from microseconds us. */
static int put_seconds_fig(cf_buf *out, const char *name, const char *help, int64_t us)
{
    int rc = s3_metrics_family(out, name, "gauge", help);
    rc = rc ? rc : buf_appendf(out, "%s", name);
    return rc ? rc : s3_metrics_seconds(out, us);
}

/* A per-table metric: which eng_table_stats field. */
typedef struct table_fig {
    const char *name;
    const char *type;
    const char *help;
    size_t off; /* offset of the uint64_t in eng_table_stats */
} table_fig;

#define TF(n, t, f, h)                                                                             \
    {                                                                                              \
        n, t, h, offsetof(eng_table_stats, f)                                                      \
    }
static const table_fig table_figs[] = {
    TF("coffer_table_sstables", "gauge", sstables, "Live SSTable files of the table."),
    TF("coffer_table_sstable_bytes", "gauge", sstable_bytes, "Total size of those SSTables."),
    TF("coffer_table_memtable_bytes", "gauge", memtable_bytes,
       "Bytes in the table's memtables (active and frozen)."),
    TF("coffer_table_logged_bytes_total", "counter", user_bytes,
       "Key and value bytes written to the table through the commitlog."),
    TF("coffer_table_flushes_total", "counter", flushes, "Memtable flushes of the table."),
    TF("coffer_table_flushed_bytes_total", "counter", flush_bytes,
       "Bytes its flushes wrote to SSTables."),
    TF("coffer_table_compactions_total", "counter", compactions, "Compactions of the table."),
    TF("coffer_table_compacted_bytes_total", "counter", compaction_bytes,
       "Bytes its compactions wrote."),
    TF("coffer_table_ingests_total", "counter", ingests,
       "SSTable ingests into the table (blobs written straight to their own files)."),
    TF("coffer_table_ingested_bytes_total", "counter", ingest_bytes, "Bytes its ingests wrote."),
    TF("coffer_table_sstables_consulted_total", "counter", sst_consulted,
       "SSTables its reads considered (key range, bloom filter)."),
};

static int put_tables(cf_buf *out, const store_disk_stats *d)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof table_figs / sizeof table_figs[0] && !rc; i++) {
        const table_fig *t = &table_figs[i];
        uint64_t chunks, meta;
        memcpy(&chunks, (const char *)&d->chunks + t->off, sizeof chunks);
        memcpy(&meta, (const char *)&d->meta + t->off, sizeof meta);
        rc = s3_metrics_family(out, t->name, t->type, t->help);
        rc = rc ? rc
                : buf_appendf(out, "%s{table=\"chunks\"} %llu\n%s{table=\"metadata\"} %llu\n",
                              t->name, (unsigned long long)chunks, t->name,
                              (unsigned long long)meta);
    }
    return rc;
}

int s3_metrics_format_figures(const s3_metrics_figures *f, cf_buf *out)
{
    int rc = put_seconds_fig(out, "coffer_uptime_seconds", "Seconds since the server started.",
                             f->now_us - f->start_us);
    rc = rc ? rc
            : put_seconds_fig(out, "coffer_process_start_time_seconds",
                              "When the server started, in seconds since the Unix epoch.",
                              f->start_us);
    if (!rc && f->has_process) {
        const s3_metrics_fig p[] = {
            {"coffer_process_resident_memory_bytes", "gauge", "Resident memory of the process.",
             f->rss_bytes},
            {"coffer_process_resident_memory_peak_bytes", "gauge",
             "Peak resident memory of the process.", f->rss_peak_bytes},
            {"coffer_process_open_fds", "gauge", "File descriptors the process has open.",
             f->open_fds},
        };
        rc = s3_metrics_figs(out, p, sizeof p / sizeof p[0]);
    }
    if (!rc && f->has_server) {
        const s3_metrics_fig s[] = {
            {"coffer_connections_open", "gauge", "Client connections open now.",
             f->server.connections_open},
            {"coffer_connections_accepted_total", "counter", "Client connections accepted.",
             f->server.connections_accepted},
            {"coffer_worker_threads", "gauge", "Worker threads serving connections.",
             f->server.workers},
        };
        rc = s3_metrics_figs(out, s, sizeof s / sizeof s[0]);
    }
    uint64_t blob_disk = s3_blob_disk_bytes(&f->disk);
    const s3_metrics_fig st[] = {
        {"coffer_blob_accepted_bytes_total", "counter", "Object data bytes the store accepted.",
         f->store.bytes_accepted},
        {"coffer_blob_written_bytes_total", "counter",
         "Bytes the chunks table wrote to disk for object data (logged, flushed, compacted, "
         "ingested).",
         blob_disk},
        {"coffer_chunks_written_total", "counter", "Chunk rows written.", f->store.chunks_written},
        {"coffer_chunks_read_total", "counter", "Chunk rows read and verified.",
         f->store.chunks_read},
        {"coffer_blobs_dropped_total", "counter", "Blobs whose chunks were deleted.",
         f->store.blobs_dropped},
        {"coffer_blob_files_dropped_total", "counter", "SSTables of dropped blobs unlinked whole.",
         f->store.blob_files_dropped},
        {"coffer_list_rows_total", "counter", "Engine rows listings visited.", f->store.list_rows},
        {"coffer_commitlog_written_bytes_total", "counter", "Bytes written to the commitlog.",
         f->disk.db.commitlog_bytes},
        {"coffer_commitlog_syncs_total", "counter", "Commitlog fdatasync calls (group commits).",
         f->disk.db.commitlog_syncs},
        {"coffer_commitlog_segments", "gauge", "Commitlog segments on disk.",
         f->disk.db.commitlog_segments},
        {"coffer_engine_writes_total", "counter", "Write batches the engine acknowledged.",
         f->disk.db.writes},
    };
    rc = rc ? rc : s3_metrics_figs(out, st, sizeof st / sizeof st[0]);
    /* the ratio of two counters: 4 decimals, 0 before any byte was accepted */
    double amp = f->store.bytes_accepted ? (double)blob_disk / (double)f->store.bytes_accepted : 0;
    rc = rc ? rc
            : s3_metrics_family(out, "coffer_blob_write_amplification", "gauge",
                                "Object data bytes written to disk per byte accepted.");
    rc = rc ? rc : buf_appendf(out, "coffer_blob_write_amplification %.4f\n", amp);
    return rc ? rc : put_tables(out, &f->disk);
}
