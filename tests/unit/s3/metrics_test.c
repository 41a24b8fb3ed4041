/*
 * metrics_test.c -- the metrics of GET /_coffer/metrics (src/s3/metrics.c,
 * metrics_figures.c): requests recorded -> the exact exposition lines
 * (counters by operation and status, cumulative histograms with their
 * bucket edges, bytes), figures -> their exact lines, every operation
 * named, the server figures of /_coffer/stats, and the worked example of
 * doc/formats.md ("Metrics") rebuilt exactly from the inputs the doc states
 * (run from the repository root, as tests/run.sh does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine/engine.h"
#include "s3/s3_int.h"
#include "test.h"

/* text_is -- out holds exactly want, printing both on a mismatch. */
static bool text_is(const cf_buf *out, const char *want)
{
    bool ok = CHECK_MEM(out->data, out->len, want, strlen(want));
    if (!ok)
        fprintf(stderr, "  got:\n%.*s  want:\n%s", (int)out->len, (const char *)out->data, want);
    return ok;
}

/* has_text -- out holds want somewhere (a run of whole lines). */
static bool has_text(const cf_buf *out, const char *want)
{
    cf_buf z = {0};
    buf_append(&z, out->data, out->len);
    buf_append(&z, "", 1);
    bool ok = CHECK(strstr((const char *)z.data, want) != NULL);
    if (!ok)
        fprintf(stderr, "  missing:\n%s  in:\n%s", want, (const char *)z.data);
    buf_free(&z);
    return ok;
}

static const char families_only[] =
    "# HELP coffer_requests_total Requests the S3 layer answered, by operation and HTTP status.\n"
    "# TYPE coffer_requests_total counter\n"
    "# HELP coffer_request_duration_seconds Time from the request head parsed to the response "
    "answered, by operation.\n"
    "# TYPE coffer_request_duration_seconds histogram\n"
    "# HELP coffer_received_bytes_total Request bytes received by the S3 layer: heads and bodies.\n"
    "# TYPE coffer_received_bytes_total counter\n"
    "coffer_received_bytes_total 0\n"
    "# HELP coffer_sent_bytes_total Response bytes sent by the S3 layer: heads and bodies.\n"
    "# TYPE coffer_sent_bytes_total counter\n"
    "coffer_sent_bytes_total 0\n";

static void test_nothing_counted_writes_no_series(void)
{
    s3_metrics *m = s3_metrics_new();
    cf_buf out = {0};
    if (!CHECK(m != NULL))
        return;
    CHECK_EQ(s3_metrics_format_requests(m, &out), 0);
    text_is(&out, families_only);
    buf_free(&out);
    s3_metrics_free(m);
}

static void test_every_operation_has_its_own_name(void)
{
    for (int a = 0; a < S3_OP_COUNT; a++) {
        const char *na = s3_op_name((s3_op)a);
        CHECK(na != NULL && na[0] >= 'A' && na[0] <= 'Z');
        CHECK(a == S3_OP_OTHER || strcmp(na, "Other") != 0); /* a missing row reads "Other" */
        for (int b = a + 1; b < S3_OP_COUNT; b++)
            CHECK(strcmp(na, s3_op_name((s3_op)b)) != 0);
    }
    CHECK(strcmp(s3_op_name(S3_OP_GET_OBJECT), "GetObject") == 0);
    CHECK(strcmp(s3_op_name(S3_OP_COPY_OBJECT), "CopyObject") == 0);
    CHECK(strcmp(s3_op_name(S3_OP_COUNT), "Other") == 0);
}

static void test_requests_are_counted_by_operation_then_status(void)
{
    s3_metrics *m = s3_metrics_new();
    cf_buf out = {0};
    for (int i = 0; i < 3; i++)
        s3_metrics_record(m, S3_OP_PUT_OBJECT, 200, 100, 1000, 10);
    s3_metrics_record(m, S3_OP_GET_OBJECT, 404, 100, 10, 300);
    s3_metrics_record(m, S3_OP_GET_OBJECT, 206, 100, 10, 300);
    s3_metrics_record(m, S3_OP_GET_OBJECT, 418, 100, 10, 300); /* not in the list: other */
    s3_metrics_record(m, S3_OP_GET_OBJECT, 0, 100, 10, 0);     /* no response: other */
    s3_metrics_record(m, S3_OP_OTHER, 501, 100, 10, 300);
    CHECK_EQ(s3_metrics_format_requests(m, &out), 0);
    has_text(&out, "# TYPE coffer_requests_total counter\n"
                   "coffer_requests_total{op=\"Other\",status=\"501\"} 1\n"
                   "coffer_requests_total{op=\"PutObject\",status=\"200\"} 3\n"
                   "coffer_requests_total{op=\"GetObject\",status=\"206\"} 1\n"
                   "coffer_requests_total{op=\"GetObject\",status=\"404\"} 1\n"
                   "coffer_requests_total{op=\"GetObject\",status=\"other\"} 2\n"
                   "# HELP coffer_request_duration_seconds ");
    has_text(&out, "coffer_received_bytes_total 3050\n");
    has_text(&out, "coffer_sent_bytes_total 1230\n");
    uint64_t n, in, sent;
    s3_metrics_totals(m, &n, &in, &sent);
    CHECK_EQ(n, 8);
    CHECK_EQ(in, 3050);
    CHECK_EQ(sent, 1230);
    buf_free(&out);
    s3_metrics_free(m);
}

/* A bound belongs to its own bucket (le: less than or equal); one
 * microsecond more is the next bucket's; past 10 s is +Inf only. */
static void test_histogram_buckets_are_cumulative_with_inclusive_edges(void)
{
    s3_metrics *m = s3_metrics_new();
    cf_buf out = {0};
    static const int64_t us[] = {0, 500, 501, 1000, 2500000, 10000000, 10000001, -5};
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++)
        s3_metrics_record(m, S3_OP_HEAD_OBJECT, 200, us[i], 0, 0);
    CHECK_EQ(s3_metrics_format_requests(m, &out), 0);
    has_text(&out,
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"0.0005\"} 3\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"0.001\"} 5\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"0.0025\"} 5\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"0.005\"} 5\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"0.01\"} 5\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"0.025\"} 5\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"0.05\"} 5\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"0.1\"} 5\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"0.25\"} 5\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"0.5\"} 5\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"1\"} 5\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"2.5\"} 6\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"5\"} 6\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"10\"} 7\n"
             "coffer_request_duration_seconds_bucket{op=\"HeadObject\",le=\"+Inf\"} 8\n"
             "coffer_request_duration_seconds_sum{op=\"HeadObject\"} 22.502002\n"
             "coffer_request_duration_seconds_count{op=\"HeadObject\"} 8\n");
    buf_free(&out);
    s3_metrics_free(m);
}

/* The figures, fixed: every line as written. */
static void test_figures_are_written_exactly(void)
{
    s3_metrics_figures f;
    memset(&f, 0, sizeof f);
    f.start_us = 1796690000123456;
    f.now_us = f.start_us + 3723000001;
    f.has_server = true;
    f.server = (s3_server_stats){.connections_open = 3, .connections_accepted = 41, .workers = 16};
    f.store.bytes_accepted = 4096;
    f.store.chunks_written = 1;
    f.disk.chunks.user_bytes = 4096;
    f.disk.chunks.flush_bytes = 4200;
    f.disk.chunks.ingests = 2;
    f.disk.meta.sstables = 5;
    f.disk.db.commitlog_syncs = 9;
    f.has_process = true;
    f.rss_bytes = 7 << 20;
    f.rss_peak_bytes = 9 << 20;
    f.open_fds = 26;
    cf_buf out = {0};
    CHECK_EQ(s3_metrics_format_figures(&f, &out), 0);
    has_text(&out, "# HELP coffer_uptime_seconds Seconds since the server started.\n"
                   "# TYPE coffer_uptime_seconds gauge\n"
                   "coffer_uptime_seconds 3723.000001\n");
    has_text(&out, "# TYPE coffer_process_start_time_seconds gauge\n"
                   "coffer_process_start_time_seconds 1796690000.123456\n");
    has_text(&out, "coffer_process_resident_memory_bytes 7340032\n");
    has_text(&out, "coffer_process_resident_memory_peak_bytes 9437184\n");
    has_text(&out, "coffer_process_open_fds 26\n");
    has_text(&out, "# TYPE coffer_connections_open gauge\ncoffer_connections_open 3\n");
    has_text(&out, "# TYPE coffer_connections_accepted_total counter\n"
                   "coffer_connections_accepted_total 41\n");
    has_text(&out, "coffer_worker_threads 16\n");
    has_text(&out, "coffer_blob_accepted_bytes_total 4096\n");
    has_text(&out, "coffer_blob_written_bytes_total 8296\n");
    has_text(&out, "coffer_blob_write_amplification 2.0254\n");
    has_text(&out, "coffer_commitlog_syncs_total 9\n");
    has_text(&out, "# TYPE coffer_table_sstables gauge\n"
                   "coffer_table_sstables{table=\"chunks\"} 0\n"
                   "coffer_table_sstables{table=\"metadata\"} 5\n");
    has_text(&out, "coffer_table_ingests_total{table=\"chunks\"} 2\n"
                   "coffer_table_ingests_total{table=\"metadata\"} 0\n");
    buf_free(&out);
}

/* Without a server callback or /proc, those families are left out, not written as 0. */
static void test_unknown_figures_are_left_out(void)
{
    s3_metrics_figures f;
    memset(&f, 0, sizeof f);
    cf_buf out = {0};
    CHECK_EQ(s3_metrics_format_figures(&f, &out), 0);
    buf_append(&out, "", 1);
    CHECK(strstr((const char *)out.data, "coffer_connections_open") == NULL);
    CHECK(strstr((const char *)out.data, "coffer_process_open_fds") == NULL);
    CHECK(strstr((const char *)out.data, "coffer_blob_write_amplification 0.0000\n") != NULL);
    buf_free(&out);
}

static void fake_server(void *arg, s3_server_stats *out)
{
    *out = *(const s3_server_stats *)arg;
}

/* The whole exposition of a real front end, and the server figures of /_coffer/stats. */
static void test_front_end_writes_requests_then_figures(void)
{
    const char *dir = test_tmpdir();
    eng_db_opts o;
    eng_db_opts_default(&o, dir);
    eng_db *db = NULL;
    store *st = NULL;
    s3_ctx *c = NULL;
    s3_server_stats srv = {.connections_open = 2, .connections_accepted = 5, .workers = 16};
    s3_config cfg = {.server_stats = fake_server, .server_stats_arg = &srv};
    if (!CHECK_EQ(eng_db_open(&o, &db), 0) || !CHECK_EQ(store_open(db, &st), 0) ||
        !CHECK_EQ(s3_new(st, &cfg, &c), 0))
        goto out;
    s3_metrics_record(c->metrics, S3_OP_PUT_OBJECT, 200, 700, 4200, 250);
    s3_metrics_record(c->metrics, S3_OP_GET_OBJECT, 200, 300, 200, 4300);
    cf_buf out = {0};
    s3_metrics_write(c, &out);
    has_text(&out, "# TYPE coffer_requests_total counter\n"
                   "coffer_requests_total{op=\"PutObject\",status=\"200\"} 1\n"
                   "coffer_requests_total{op=\"GetObject\",status=\"200\"} 1\n");
    has_text(&out, "coffer_sent_bytes_total 4550\n# HELP coffer_uptime_seconds ");
    has_text(&out, "coffer_connections_open 2\n");
    has_text(&out, "coffer_connections_accepted_total 5\n");
    buf_clear(&out);
    json_object *doc = json_object_new_object();
    s3_metrics_server_json(c, doc);
    static const char *const names[] = {"uptime_seconds", "connections_open", "requests_total",
                                        "bytes_in", "bytes_out", "rss_bytes"};
    int64_t v[6];
    for (size_t i = 0; i < 6; i++) {
        json_object *m = NULL;
        CHECK(json_object_object_get_ex(doc, names[i], &m) && json_object_is_type(m, json_type_int));
        v[i] = m ? json_object_get_int64(m) : -1;
    }
    CHECK_EQ(json_object_object_length(doc), 6);
    json_object_put(doc);
    CHECK(v[0] >= 0 && v[0] < 60);
    CHECK_EQ(v[1], 2);
    CHECK_EQ(v[2], 2);
    CHECK_EQ(v[3], 4400);
    CHECK_EQ(v[4], 4550);
    CHECK(v[5] > 0);
    buf_free(&out);
out:
    s3_free(c);
    store_close(st);
    eng_db_close(db);
}

/* doc_block -- the fenced block of doc/formats.md that starts with line first. */
static bool doc_block(const char *first, cf_buf *out)
{
    FILE *f = fopen("doc/formats.md", "r");
    char line[1024];
    bool in = false, done = false;
    if (!f) {
        fprintf(stderr, "  doc/formats.md not found: run from the repository root\n");
        return false;
    }
    while (!done && fgets(line, sizeof line, f)) {
        if (!in && strcmp(line, first) == 0)
            in = true;
        if (in && strncmp(line, "```", 3) == 0)
            done = true;
        else if (in)
            buf_append(out, line, strlen(line));
    }
    fclose(f);
    return done;
}

/* The worked example of doc/formats.md ("Metrics"): two GetObject answered
 * 200 in 0.3 ms and 4 ms, one answered 404 in 0.2 ms, one PutObject 200 in
 * 12 ms; 1500 bytes received and 9000 sent in all. */
static void test_doc_example_is_exact(void)
{
    s3_metrics *m = s3_metrics_new();
    cf_buf out = {0}, doc = {0};
    s3_metrics_record(m, S3_OP_GET_OBJECT, 200, 300, 300, 4300);
    s3_metrics_record(m, S3_OP_GET_OBJECT, 200, 4000, 300, 4300);
    s3_metrics_record(m, S3_OP_GET_OBJECT, 404, 200, 300, 300);
    s3_metrics_record(m, S3_OP_PUT_OBJECT, 200, 12000, 600, 100);
    CHECK_EQ(s3_metrics_format_requests(m, &out), 0);
    if (CHECK(doc_block("# HELP coffer_requests_total Requests the S3 layer answered, by "
                        "operation and HTTP status.\n",
                        &doc)))
        CHECK_MEM(out.data, out.len, doc.data, doc.len);
    buf_free(&out);
    buf_free(&doc);
    s3_metrics_free(m);
}

static const test_case cases[] = {
    TEST(test_nothing_counted_writes_no_series),
    TEST(test_every_operation_has_its_own_name),
    TEST(test_requests_are_counted_by_operation_then_status),
    TEST(test_histogram_buckets_are_cumulative_with_inclusive_edges),
    TEST(test_figures_are_written_exactly),
    TEST(test_unknown_figures_are_left_out),
    TEST(test_front_end_writes_requests_then_figures),
    TEST(test_doc_example_is_exact),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
