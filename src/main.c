/*
 * main.c -- the `coffer` binary: flags, data directory, credentials, start/stop.
 *
 *   coffer [serve] [--data DIR] [--addr HOST:PORT] [--region R] [--domain D]
 *                  [--min-part-size BYTES] [--upload-expiry SECONDS] [--access-log FILE|-]
 *                  [--sweep-interval SECONDS]
 *                  [--bucket-defaults open|aws] [--metrics-public]
 *       serves S3 on HOST:PORT (COFFER_ADDR, default 127.0.0.1:9000) from the
 *       data directory DIR (COFFER_DATA, default ./coffer-data). Multipart
 *       parts but the last must be at least BYTES (COFFER_MIN_PART_SIZE,
 *       default 5 MiB as S3); uploads not completed SECONDS after they began
 *       are aborted (COFFER_UPLOAD_EXPIRY, default 7 days; 0: never), and
 *       change log windows past their retention dropped, checked every
 *       --sweep-interval SECONDS (COFFER_SWEEP_INTERVAL, default 60). New
 *       buckets get ACLs on and no public access block, as Ceph RGW
 *       (COFFER_BUCKET_DEFAULTS=open), or AWS's current defaults: ACLs
 *       disabled (BucketOwnerEnforced) and public access blocked (aws). With
 *       FILE (COFFER_ACCESS_LOG) one line per request is appended to it ("-":
 *       stderr; doc/formats.md "Access log"), and SIGHUP reopens it (rotation).
 *       GET /_coffer/metrics (doc/metrics.md) is for admins, or for anyone
 *       with --metrics-public (COFFER_METRICS_PUBLIC=1).
 *   coffer user add ACCESS_KEY [SECRET] | list | remove KEY | disable KEY | enable KEY |
 *               rotate KEY | admin KEY on|off
 *       manages users in the data directory while the server is stopped (a
 *       running server is managed through its admin API: doc/admin.md); add
 *       and rotate print the secret, generated unless given
 *   coffer shell [--data DIR]
 *       the engine's own line shell on standard input (debugging):
 *       put TABLE PK CK COL=VALUE... | get TABLE PK CK | del TABLE PK [CK] |
 *       scan TABLE [PK] [LIMIT] | flush TABLE | compact TABLE | stats TABLE
 *
 * Credentials: on first start an access key and secret are made from the
 * kernel's random source, kept in DIR/credentials (mode 0600) and stored as
 * the admin user; the secret is printed at that first start only. Every file
 * and directory coffer creates is private to its user (umask 077): the
 * users table holds every secret.
 * COFFER_ACCESS_KEY / COFFER_SECRET_KEY set the admin's key and secret
 * instead (a secret given this way is never printed). COFFER_REGION
 * (us-east-1) and COFFER_DOMAIN (virtual-host base, e.g. s3.localhost)
 * configure addressing and signing. SIGTERM and SIGINT drain connections,
 * then close the database cleanly (flush). Security: doc/security.md.
 * coffer starts on a full disk too: it serves reads, writes are 507 until
 * there is room, and orphan blobs the start-up sweep could not drop wait for
 * a later start (doc/limits.md, "A full disk").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "net/net.h"
#include "s3/s3.h"
#include "store/store.h"
#include "util/log.h"
#include "util/clock.h"

#define SHELL_MAX_ARGS 64

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* load_credentials -- reads DIR/credentials, creating it on first start. */
static int load_credentials(const char *dir, char *access, size_t acap, char *secret, size_t scap,
                            int *created)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/credentials", dir);
    *created = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        char a[STORE_USER_ACCESS_KEY_LEN + 1], s[STORE_USER_SECRET_LEN + 1];
        if (store_user_new_access_key(a) != 0 || store_user_new_secret(s) != 0)
            return -1;
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
            return -1;
        dprintf(fd, "access_key=%s\nsecret_key=%s\n", a, s);
        if (fsync(fd) != 0) {
            close(fd);
            return -1;
        }
        close(fd);
        *created = 1;
        f = fopen(path, "r");
        if (!f)
            return -1;
    }
    char line[256];
    access[0] = secret[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "access_key=", 11) == 0)
            snprintf(access, acap, "%s", line + 11);
        else if (strncmp(line, "secret_key=", 11) == 0)
            snprintf(secret, scap, "%s", line + 11);
    }
    fclose(f);
    return access[0] && secret[0] ? 0 : -1;
}

static void print_row(eng_iter *it)
{
    cf_slice pk = eng_iter_pk(it), ck = eng_iter_ck(it);
    printf("%.*s %.*s", (int)pk.len, (const char *)pk.ptr, (int)ck.len, (const char *)ck.ptr);
    for (size_t i = 0; i < eng_iter_cell_count(it); i++) {
        eng_cell_view c = eng_iter_cell(it, i);
        printf(" %.*s=%.*s", (int)c.col.len, (const char *)c.col.ptr, (int)c.value.len,
               (const char *)c.value.ptr);
    }
    printf("\n");
}

static int cmd_put(eng_db *db, eng_table *t, char **argv, int argc, eng_batch *b)
{
    eng_cell cells[SHELL_MAX_ARGS];
    int n = 0;
    for (int i = 4; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            return CF_EINVAL;
        cells[n].col = slice_make(argv[i], (size_t)(eq - argv[i]));
        cells[n].value = slice_str(eq + 1);
        n++;
    }
    int rc = eng_batch_put(b, t, slice_str(argv[2]), slice_str(argv[3]), cells, (size_t)n);
    return rc ? rc : eng_db_write(db, b);
}

static int cmd_scan(eng_table *t, char **argv, int argc)
{
    eng_query q = {0};
    if (argc > 2) {
        q.pk_start = (eng_bound){slice_str(argv[2]), ENG_BOUND_INCL};
        q.pk_end = q.pk_start;
    }
    long limit = argc > 3 ? strtol(argv[3], NULL, 10) : 100;
    eng_iter *it;
    int rc = eng_iter_new(t, &q, &it);
    for (long i = 0; rc == 0 && eng_iter_valid(it) && i < limit; i++) {
        print_row(it);
        rc = eng_iter_next(it);
    }
    eng_iter_close(it);
    return rc;
}

static int cmd_stats(eng_db *db, eng_table *t)
{
    eng_table_stats ts;
    eng_db_stats ds;
    eng_table_stats_get(t, &ts);
    eng_db_stats_get(db, &ds);
    printf("sstables=%llu sstable_bytes=%llu memtable_bytes=%llu user_bytes=%llu "
           "flush_bytes=%llu compaction_bytes=%llu commitlog_bytes=%llu commitlog_syncs=%llu\n",
           (unsigned long long)ts.sstables, (unsigned long long)ts.sstable_bytes,
           (unsigned long long)ts.memtable_bytes, (unsigned long long)ts.user_bytes,
           (unsigned long long)ts.flush_bytes, (unsigned long long)ts.compaction_bytes,
           (unsigned long long)ds.commitlog_bytes, (unsigned long long)ds.commitlog_syncs);
    return 0;
}

/* run_command -- one shell line, already split into argv. */
static int run_command(eng_db *db, char **argv, int argc, eng_batch *b)
{
    const char *cmd = argv[0];
    if (strcmp(cmd, "help") == 0) {
        printf("put T PK CK COL=VAL... | get T PK CK | del T PK [CK] | scan T [PK] [LIMIT] | "
               "flush T | compact T | stats T | quit\n");
        return 0;
    }
    if (argc < 2)
        return CF_EINVAL;
    eng_table *t;
    int rc = eng_table_open(db, argv[1], "stcs", &t);
    if (rc)
        return rc;
    eng_batch_clear(b);
    if (strcmp(cmd, "put") == 0 && argc >= 4)
        return cmd_put(db, t, argv, argc, b);
    if (strcmp(cmd, "get") == 0 && argc == 4) {
        eng_iter *it;
        rc = eng_get(t, slice_str(argv[2]), slice_str(argv[3]), &it);
        if (rc == 0)
            print_row(it);
        eng_iter_close(it);
        return rc;
    }
    if (strcmp(cmd, "del") == 0 && (argc == 3 || argc == 4)) {
        rc = argc == 4 ? eng_batch_delete_row(b, t, slice_str(argv[2]), slice_str(argv[3]))
                       : eng_batch_delete_partition(b, t, slice_str(argv[2]));
        return rc ? rc : eng_db_write(db, b);
    }
    if (strcmp(cmd, "scan") == 0)
        return cmd_scan(t, argv, argc);
    if (strcmp(cmd, "flush") == 0)
        return eng_table_flush(t);
    if (strcmp(cmd, "compact") == 0)
        return eng_table_compact(t);
    if (strcmp(cmd, "stats") == 0)
        return cmd_stats(db, t);
    return CF_EINVAL;
}

static int shell(eng_db *db)
{
    char line[8192];
    char *argv[SHELL_MAX_ARGS];
    eng_batch *b;
    if (eng_batch_new(&b) != 0)
        return 1;
    while (!stop_requested && fgets(line, sizeof line, stdin)) {
        int argc = 0;
        for (char *tok = strtok(line, " \t\r\n"); tok && argc < SHELL_MAX_ARGS;
             tok = strtok(NULL, " \t\r\n"))
            argv[argc++] = tok;
        if (argc == 0)
            continue;
        if (strcmp(argv[0], "quit") == 0)
            break;
        int rc = run_command(db, argv, argc, b);
        printf("%s\n", rc == 0 ? "ok" : cf_err_str(rc));
        fflush(stdout);
    }
    eng_batch_free(b);
    return 0;
}

typedef struct cli {
    const char *data;
    const char *addr;
    const char *region;
    const char *domain;
    const char *bucket_defaults; /* "open" or "aws" */
    const char *access_log; /* NULL: none; "-": stderr; else a file, reopened on SIGHUP */
    bool metrics_public;    /* GET /_coffer/metrics unsigned (a scraper without a key) */
    const char *mode;
    uint64_t min_part_bytes;
    uint64_t upload_expiry_s;
    uint64_t sweep_s; /* the sweeper's period: uploads past their expiry, logs past retention */
    net_opts net; /* the numeric limits below; 0 keeps the net layer's default */
    char *args[4];
    int n_args;
} cli;

/* The numeric options: each is --NAME VALUE or the environment variable
 * ENV, a non-negative decimal up to max, stored as a uint64_t or an int. */
typedef struct num_opt {
    const char *name;
    const char *env;
    uint64_t max;
    size_t off;  /* offset of the field in cli */
    bool is_int; /* the field is an int, else a uint64_t */
} num_opt;

#define U64_OPT(n, e, max, f) {n, e, max, offsetof(cli, f), false}
#define INT_OPT(n, e, max, f) {n, e, max, offsetof(cli, f), true}
static const num_opt num_opts[] = {
    U64_OPT("--min-part-size", "COFFER_MIN_PART_SIZE", UINT64_MAX, min_part_bytes),
    U64_OPT("--upload-expiry", "COFFER_UPLOAD_EXPIRY", INT64_MAX / 1000000, upload_expiry_s),
    U64_OPT("--sweep-interval", "COFFER_SWEEP_INTERVAL", 3600, sweep_s),
    INT_OPT("--workers", "COFFER_WORKERS", 1024, net.workers),
    INT_OPT("--max-workers", "COFFER_MAX_WORKERS", 1024, net.max_workers),
    INT_OPT("--max-conns", "COFFER_MAX_CONNS", 1 << 20, net.max_conns),
    INT_OPT("--idle-timeout-ms", "COFFER_IDLE_TIMEOUT_MS", INT32_MAX, net.limits.idle_timeout_ms),
    INT_OPT("--io-timeout-ms", "COFFER_IO_TIMEOUT_MS", INT32_MAX, net.limits.io_timeout_ms),
    INT_OPT("--min-rate", "COFFER_MIN_RATE", INT32_MAX, net.min_rate),
};

/* set_num -- parses v as o's value into c; false if v is not one. */
static bool set_num(cli *c, const num_opt *o, const char *v)
{
    char *end;
    errno = 0;
    unsigned long long n = v ? strtoull(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || v[0] == '-' || n > o->max)
        return false;
    char *field = (char *)c + o->off;
    if (o->is_int)
        *(int *)field = (int)n;
    else
        *(uint64_t *)field = n;
    return true;
}

/* find_num -- the numeric option named a, or NULL. */
static const num_opt *find_num(const char *a)
{
    for (size_t i = 0; i < sizeof num_opts / sizeof num_opts[0]; i++) {
        if (strcmp(a, num_opts[i].name) == 0)
            return &num_opts[i];
    }
    return NULL;
}

static int parse_cli(int argc, char **argv, cli *c)
{
    c->data = getenv("COFFER_DATA") ? getenv("COFFER_DATA") : "./coffer-data";
    c->addr = getenv("COFFER_ADDR") ? getenv("COFFER_ADDR") : "127.0.0.1:9000";
    c->region = getenv("COFFER_REGION") ? getenv("COFFER_REGION") : "us-east-1";
    c->domain = getenv("COFFER_DOMAIN");
    c->bucket_defaults =
        getenv("COFFER_BUCKET_DEFAULTS") ? getenv("COFFER_BUCKET_DEFAULTS") : "open";
    c->access_log = getenv("COFFER_ACCESS_LOG");
    c->metrics_public =
        getenv("COFFER_METRICS_PUBLIC") && !strcmp(getenv("COFFER_METRICS_PUBLIC"), "1");
    c->mode = "serve";
    c->min_part_bytes = 5ull << 20;
    c->upload_expiry_s = 7 * 24 * 3600;
    c->sweep_s = 60;
    for (size_t i = 0; i < sizeof num_opts / sizeof num_opts[0]; i++) {
        const char *v = getenv(num_opts[i].env);
        if (v && !set_num(c, &num_opts[i], v))
            return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const num_opt *o = find_num(a);
        if (o && i + 1 < argc) {
            if (!set_num(c, o, argv[++i]))
                return -1;
        } else if (i + 1 < argc && strcmp(a, "--data") == 0)
            c->data = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--addr") == 0)
            c->addr = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--region") == 0)
            c->region = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--domain") == 0)
            c->domain = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--bucket-defaults") == 0)
            c->bucket_defaults = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--access-log") == 0)
            c->access_log = argv[++i];
        else if (strcmp(a, "--metrics-public") == 0)
            c->metrics_public = true;
        else if (i == 1 && (!strcmp(a, "serve") || !strcmp(a, "shell") || !strcmp(a, "user") ||
                           !strcmp(a, "check")))
            c->mode = a;
        else if (a[0] != '-' && c->n_args < 4)
            c->args[c->n_args++] = argv[i];
        else
            return -1;
    }
    if (strcmp(c->bucket_defaults, "open") != 0 && strcmp(c->bucket_defaults, "aws") != 0)
        return -1;
    return c->min_part_bytes == 0 ? -1 : 0;
}

/*
 * The sweeper: a thread that aborts multipart uploads older than the expiry
 * (0: never) and drops change log windows past their bucket's retention,
 * every `every` seconds (--sweep-interval, at least 1, and at most a quarter
 * of the expiry, so an upload outlives it by at most a quarter), until told
 * to stop.
 */
typedef struct sweeper {
    store *st;
    int64_t expiry_s;
    int64_t every;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    pthread_t thread;
    bool started;
} sweeper;

static void *sweep_main(void *arg)
{
    sweeper *sw = arg;
    int64_t every = sw->every;
    pthread_mutex_lock(&sw->mu);
    while (!sw->stop) {
        int64_t now_us = clock_now_us();
        pthread_mutex_unlock(&sw->mu);
        int rc = sw->expiry_s ? store_uploads_expire(sw->st, now_us - sw->expiry_s * 1000000, NULL)
                              : 0;
        if (rc)
            log_warn("coffer: expiring uploads failed: %s", cf_err_str(rc));
        rc = store_cdc_expire(sw->st, now_us, NULL);
        if (rc)
            log_warn("coffer: dropping change log windows failed: %s", cf_err_str(rc));
        pthread_mutex_lock(&sw->mu);
        struct timespec ts = {(time_t)(now_us / 1000000 + every), (long)(now_us % 1000000 * 1000)};
        while (!sw->stop && pthread_cond_timedwait(&sw->cv, &sw->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&sw->mu);
    return NULL;
}

static void sweeper_start(sweeper *sw, store *st, int64_t expiry_s, int64_t every)
{
    memset(sw, 0, sizeof *sw);
    sw->st = st;
    sw->expiry_s = expiry_s;
    if (expiry_s > 0 && every > expiry_s / 4)
        every = expiry_s / 4;
    sw->every = every < 1 ? 1 : every;
    pthread_mutex_init(&sw->mu, NULL);
    pthread_cond_init(&sw->cv, NULL);
    if (st)
        sw->started = pthread_create(&sw->thread, NULL, sweep_main, sw) == 0;
}

static void sweeper_stop(sweeper *sw)
{
    pthread_mutex_lock(&sw->mu);
    sw->stop = true;
    pthread_cond_signal(&sw->cv);
    pthread_mutex_unlock(&sw->mu);
    if (sw->started)
        pthread_join(sw->thread, NULL);
    pthread_mutex_destroy(&sw->mu);
    pthread_cond_destroy(&sw->cv);
}

/* split_addr -- "host:port" or "[v6]:port" into host (cap bytes) and port. */
static int split_addr(const char *addr, char *host, size_t cap, uint16_t *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr)
        return -1;
    size_t n = (size_t)(colon - addr);
    if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']') {
        addr++;
        n -= 2;
    }
    if (n >= cap)
        return -1;
    memcpy(host, addr, n);
    host[n] = '\0';
    long p = strtol(colon + 1, NULL, 10);
    if (p < 0 || p > 65535)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

/* reopens_log -- the access log is a file: SIGHUP reopens it (else SIGHUP keeps its default). */
static bool reopens_log(const cli *c)
{
    return c->access_log && c->access_log[0] && strcmp(c->access_log, "-") != 0;
}

/* ensure_admin -- the admin user of the credentials exists in the store. */
static int ensure_admin(store *st, const char *access, const char *secret)
{
    if (strlen(access) > 128 || strlen(secret) > 128)
        return CF_EINVAL;
    store_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.access_key, sizeof u.access_key, "%.128s", access);
    snprintf(u.secret_key, sizeof u.secret_key, "%.128s", secret);
    snprintf(u.display_name, sizeof u.display_name, "admin");
    u.admin = true;
    store_user cur;
    int rc = store_user_get(st, slice_str(access), &cur);
    if (rc == 0 && strcmp(cur.secret_key, secret) == 0 && cur.admin)
        return 0;
    return store_user_put(st, &u);
}

/* server_stats -- the net layer's counts for the s3 layer's metrics
 * (s3_config.server_stats). arg is serve()'s published server: NULL until
 * net_server_start returned (its workers may serve a scrape before that)
 * and again from the start of the stop, so a scrape never reads a server
 * being freed. */
static void server_stats(void *arg, s3_server_stats *out)
{
    net_server *srv = atomic_load((_Atomic(net_server *) *)arg);
    net_stats ns = {0};
    if (srv)
        net_server_stats(srv, &ns);
    out->connections_open = ns.connections_open;
    out->connections_accepted = ns.connections_accepted;
    out->workers = ns.workers;
}

static int serve(eng_db *db, const cli *c)
{
    char access[256], secret[256], host[128];
    uint16_t port;
    int created, rc = 1;
    store *st = NULL;
    s3_ctx *s3 = NULL;
    net_server *srv = NULL;
    _Atomic(net_server *) published = NULL; /* srv for server_stats */
    sweeper sw;
    sweeper_start(&sw, NULL, 0, 0);
    if (split_addr(c->addr, host, sizeof host, &port) != 0) {
        fprintf(stderr, "coffer: bad address %s (want HOST:PORT)\n", c->addr);
        return 2;
    }
    if (load_credentials(c->data, access, sizeof access, secret, sizeof secret, &created) != 0) {
        fprintf(stderr, "coffer: cannot read or create %s/credentials\n", c->data);
        return 1;
    }
    if (getenv("COFFER_ACCESS_KEY"))
        snprintf(access, sizeof access, "%s", getenv("COFFER_ACCESS_KEY"));
    if (getenv("COFFER_SECRET_KEY"))
        snprintf(secret, sizeof secret, "%s", getenv("COFFER_SECRET_KEY"));
    /* COFFER_CHUNKS_STRATEGY=stcs makes a new data directory's chunks table
     * size-tiered, for bench/oacs to compare with; the default is OACS */
    int orc = store_open_with(db, getenv("COFFER_CHUNKS_STRATEGY"), &st);
    if (!orc)
        orc = ensure_admin(st, access, secret);
    if (!orc)
        orc = store_sweep(st, NULL, NULL);
    if (orc == CF_ENOSPC) /* orphans are only garbage: serve reads, and writes once there is room */
        log_warn("coffer: the disk is full: orphan blobs stay until a start with free space");
    else if (orc) {
        fprintf(stderr, "coffer: cannot open the store in %s: %s\n", c->data, cf_err_str(orc));
        goto out;
    }
    s3_config sc = {.region = c->region,
                    .domain = c->domain,
                    .max_skew_s = 900,
                    .min_part_bytes = c->min_part_bytes,
                    .access_log = c->access_log,
                    .aws_defaults = strcmp(c->bucket_defaults, "aws") == 0,
                    .metrics_public = c->metrics_public,
                    .server_stats = server_stats,
                    .server_stats_arg = &published,
                    .cdc_sink = true};
    int src = s3_new(st, &sc, &s3);
    if (src) {
        fprintf(stderr, "coffer: cannot start the S3 front end: %s\n", cf_err_str(src));
        goto out;
    }
    sweeper_stop(&sw);
    sweeper_start(&sw, st, (int64_t)c->upload_expiry_s, (int64_t)c->sweep_s);
    net_opts no = c->net;
    no.host = host;
    no.port = port;
    no.handler = s3_handle;
    no.handler_arg = s3;
    int nrc = net_server_start(&no, &srv);
    if (nrc) {
        fprintf(stderr, "coffer: cannot listen on %s: %s\n", c->addr, cf_err_str(nrc));
        goto out;
    }
    atomic_store(&published, srv);
    printf("coffer: serving S3 on http://%s:%u (region %s)\n", host, net_server_port(srv),
           c->region);
    printf("coffer: data directory %s (%s)\n", c->data, created ? "new" : "existing");
    printf("coffer: access key %s\n", access);
    /* The secret is printed once, when it was just generated here. One given
     * in COFFER_SECRET_KEY is known to whoever set it: echoing it would only
     * copy it into whatever keeps this output (journal, container logs). */
    if (getenv("COFFER_SECRET_KEY"))
        printf("coffer: secret key from COFFER_SECRET_KEY (not printed)\n");
    else if (created)
        printf("coffer: secret key %s\n", secret);
    else
        printf("coffer: secret key in %s/credentials (printed at first start only)\n", c->data);
    fflush(stdout);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    if (reopens_log(c))
        sigaddset(&sigs, SIGHUP);
    int sig = 0;
    /* blocked in every thread since main(); SIGHUP (only with a log file)
     * reopens the access log after a rotation and serving goes on */
    while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP) {
        if (s3_access_log_reopen(s3) == 0)
            log_info("coffer: SIGHUP: access log %s reopened", c->access_log);
    }
    log_info("coffer: signal %d: draining connections", sig);
    rc = 0;
out:
    atomic_store(&published, NULL);
    net_server_stop(srv, 10000);
    sweeper_stop(&sw);
    s3_free(s3);
    store_close(st);
    return rc;
}

static int print_user(void *arg, const store_user *u)
{
    (void)arg;
    printf("%s %s%s%s\n", u->access_key, u->display_name, u->admin ? " (admin)" : "",
           u->disabled ? " (disabled)" : "");
    return 0;
}

/* The edits of `coffer user disable|enable|rotate|admin`, the same the admin API makes. */
static int edit_disabled(void *arg, store_user *u)
{
    u->disabled = *(const bool *)arg;
    return 0;
}

static int edit_admin(void *arg, store_user *u)
{
    u->admin = *(const bool *)arg;
    return 0;
}

static int edit_rotate(void *arg, store_user *u)
{
    (void)arg;
    return store_user_new_secret(u->secret_key);
}

static int user_report(int rc, const char *key)
{
    if (rc)
        fprintf(stderr, "coffer user: %s: %s\n", key,
                rc == CF_ENOTFOUND ? "no such user"
                : rc == CF_EEXIST  ? "the user exists"
                : rc == CF_EINVAL  ? "an access key is 3-128 of A-Z a-z 0-9 . _ -"
                                   : cf_err_str(rc));
    return rc ? 1 : 0;
}

/*
 * user_cmd -- coffer user add KEY [SECRET] | list | remove KEY | disable KEY | enable KEY |
 * rotate KEY | admin KEY on|off: the store calls the admin API (src/s3/admin_users.c) makes.
 */
static int user_cmd(eng_db *db, const cli *c)
{
    store *st;
    if (store_open(db, &st) != 0)
        return 1;
    const char *op = c->n_args ? c->args[0] : "";
    const char *key = c->n_args >= 2 ? c->args[1] : "";
    store_user u;
    memset(&u, 0, sizeof u);
    bool on = true, off = false;
    int rc = 2;
    if (c->n_args >= 2 && c->n_args <= 3 && strcmp(op, "add") == 0) {
        snprintf(u.access_key, sizeof u.access_key, "%s", key);
        if (c->n_args == 3)
            snprintf(u.secret_key, sizeof u.secret_key, "%s", c->args[2]);
        rc = user_report(store_user_create(st, &u), key);
        if (rc == 0)
            printf("access key %s\nsecret key %s\n", u.access_key, u.secret_key);
    } else if (c->n_args == 1 && strcmp(op, "list") == 0) {
        rc = store_user_list(st, print_user, NULL) == 0 ? 0 : 1;
    } else if (c->n_args == 2 && strcmp(op, "remove") == 0) {
        rc = user_report(store_user_delete(st, slice_str(key)), key);
    } else if (c->n_args == 2 && (!strcmp(op, "disable") || !strcmp(op, "enable"))) {
        bool *v = strcmp(op, "disable") == 0 ? &on : &off;
        rc = user_report(store_user_update(st, slice_str(key), edit_disabled, v, NULL), key);
    } else if (c->n_args == 2 && strcmp(op, "rotate") == 0) {
        rc = user_report(store_user_update(st, slice_str(key), edit_rotate, NULL, &u), key);
        if (rc == 0)
            printf("access key %s\nsecret key %s\n", u.access_key, u.secret_key);
    } else if (c->n_args == 3 && strcmp(op, "admin") == 0 &&
               (!strcmp(c->args[2], "on") || !strcmp(c->args[2], "off"))) {
        bool *v = strcmp(c->args[2], "on") == 0 ? &on : &off;
        rc = user_report(store_user_update(st, slice_str(key), edit_admin, v, NULL), key);
    } else {
        fprintf(stderr, "usage: coffer user add KEY [SECRET] | list | remove KEY | disable KEY | "
                        "enable KEY | rotate KEY | admin KEY on|off\n");
    }
    store_close(st);
    return rc;
}

/*
 * check_cmd -- coffer check: opens the data directory as a start does
 * (commitlog replay, the orphan sweep), then runs the engine's and the
 * store's consistency checks (eng_db_verify, store_check). 0 if both hold.
 */
static int check_cmd(eng_db *db)
{
    store *st;
    if (store_open(db, &st) != 0)
        return 1;
    uint64_t blobs = 0, layouts = 0;
    eng_verify_stats ev;
    store_check_stats sc;
    int src = store_sweep(st, &blobs, &layouts);
    int erc = eng_db_verify(db, &ev);
    int crc = s3_check(st, &sc);
    store_close(st);
    printf("engine: %llu tables, %llu sstables, %llu entries, %llu bytes read; %llu damaged: %s\n",
           (unsigned long long)ev.tables, (unsigned long long)ev.files,
           (unsigned long long)ev.entries, (unsigned long long)ev.bytes,
           (unsigned long long)ev.corrupt_files, erc ? cf_err_str(erc) : "ok");
    printf("store: %llu buckets, %llu objects (%llu multipart, %llu parts), %llu bytes verified; "
           "%llu damaged, %llu buckets with bad settings; %llu users, %llu damaged; %llu orphan "
           "blobs, %llu orphan layouts dropped: %s\n",
           (unsigned long long)sc.buckets, (unsigned long long)sc.objects,
           (unsigned long long)sc.multipart_objects, (unsigned long long)sc.parts,
           (unsigned long long)sc.bytes, (unsigned long long)sc.bad_objects,
           (unsigned long long)sc.bad_buckets, (unsigned long long)sc.users,
           (unsigned long long)sc.bad_users, (unsigned long long)blobs, (unsigned long long)layouts,
           src ? cf_err_str(src) : crc ? cf_err_str(crc) : "ok");
    printf("change log: %llu windows, %llu records; %llu windows damaged\n",
           (unsigned long long)sc.cdc_windows, (unsigned long long)sc.cdc_records,
           (unsigned long long)sc.bad_cdc_windows);
    return src || erc || crc ? 1 : 0;
}

int main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    if (parse_cli(argc, argv, &c) != 0) {
        fprintf(stderr, "usage: coffer [serve|check|shell|user ...] [--data DIR] [--addr HOST:PORT] "
                        "[--region R] [--domain D] [--min-part-size BYTES] [--upload-expiry SECONDS]\n"
                        "       [--bucket-defaults open|aws] [--metrics-public]\n"
                        "       [--access-log FILE|-] [--workers N] [--max-workers N] [--max-conns N] [--idle-timeout-ms MS]\n"
                        "       [--io-timeout-ms MS] [--min-rate BYTES_PER_S]\n"
                        "numeric options may also be set as COFFER_MIN_PART_SIZE, COFFER_WORKERS, ...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* The data directory holds every user's secret (the users table, the
     * credentials file) and every object's bytes: whatever coffer creates in
     * it is for its own user only. */
    umask(S_IRWXG | S_IRWXO);
    /* every connection and SSTable is a descriptor: take all the hard limit allows */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    if (strcmp(c.mode, "serve") == 0) {
        /* serve takes SIGTERM/SIGINT (and SIGHUP with a log file) with
         * sigwait: block them before any thread starts */
        sigset_t sigs;
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        if (reopens_log(&c))
            sigaddset(&sigs, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    } else {
        struct sigaction sa = {0};
        sa.sa_handler = on_signal; /* the shell: no SA_RESTART, so a blocked read returns */
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
    }

    eng_db_opts o;
    eng_db_opts_default(&o, c.data);
    eng_db *db;
    int rc = eng_db_open(&o, &db);
    if (rc) {
        fprintf(stderr, "coffer: cannot open %s: %s\n", c.data, cf_err_str(rc));
        return 1;
    }
    struct stat st;
    if (stat(c.data, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        log_warn("coffer: data directory %s is open to other users (mode %03o) and holds the "
                 "users' secrets: chmod 700 it",
                 c.data, (unsigned)(st.st_mode & 0777));
    if (strcmp(c.mode, "serve") == 0)
        rc = serve(db, &c);
    else if (strcmp(c.mode, "user") == 0)
        rc = user_cmd(db, &c);
    else if (strcmp(c.mode, "check") == 0)
        rc = check_cmd(db);
    else
        rc = shell(db);
    eng_db_close(db);
    return rc;
}
