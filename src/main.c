/*
 * main.c -- the `coffer` binary: flags, data directory, credentials, start/stop.
 *
 *   coffer [serve] [--data DIR]   open the data directory (COFFER_DATA, default
 *                                 ./coffer-data), print the credentials, and run
 *                                 the engine shell on standard input until EOF
 *   coffer shell [--data DIR]     the same, without the banner
 *
 * The S3 front end (issue 4) will take over `serve`; until then the engine's
 * own line shell is what a user can drive:
 *
 *   put TABLE PK CK COL=VALUE...   get TABLE PK CK       del TABLE PK [CK]
 *   scan TABLE [PK] [LIMIT]        flush TABLE           compact TABLE
 *   stats TABLE                    help                  quit
 *
 * Credentials: on first start an access key and secret are made from the
 * kernel's random source and kept in DIR/credentials (mode 0600); the secret
 * is printed at that first start only, and COFFER_ACCESS_KEY /
 * COFFER_SECRET_KEY override them. SIGTERM and SIGINT close the database cleanly (flush).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/engine.h"
#include "util/log.h"

#define SHELL_MAX_ARGS 64

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void random_chars(char *out, size_t n, const char *alphabet)
{
    uint8_t raw[64];
    size_t k = strlen(alphabet);
    if (getrandom(raw, n, 0) != (ssize_t)n) {
        log_error("getrandom failed: %s", strerror(errno));
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] % k];
    out[n] = '\0';
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
        char a[21], s[41];
        memcpy(a, "CF", 2);
        random_chars(a + 2, 18, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
        random_chars(s, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
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

int main(int argc, char **argv)
{
    const char *data = getenv("COFFER_DATA") ? getenv("COFFER_DATA") : "./coffer-data";
    const char *mode = "serve";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "serve") == 0 || strcmp(argv[i], "shell") == 0)
            mode = argv[i];
        else {
            fprintf(stderr, "usage: coffer [serve|shell] [--data DIR]\n");
            return 2;
        }
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    eng_db_opts o;
    eng_db_opts_default(&o, data);
    eng_db *db;
    int rc = eng_db_open(&o, &db);
    if (rc) {
        fprintf(stderr, "coffer: cannot open %s: %s\n", data, cf_err_str(rc));
        return 1;
    }
    if (strcmp(mode, "serve") == 0) {
        char access[256], secret[256];
        int created;
        if (load_credentials(data, access, sizeof access, secret, sizeof secret, &created) != 0) {
            fprintf(stderr, "coffer: cannot read or create %s/credentials\n", data);
            eng_db_close(db);
            return 1;
        }
        if (getenv("COFFER_ACCESS_KEY"))
            snprintf(access, sizeof access, "%s", getenv("COFFER_ACCESS_KEY"));
        if (getenv("COFFER_SECRET_KEY"))
            snprintf(secret, sizeof secret, "%s", getenv("COFFER_SECRET_KEY"));
        printf("coffer: data directory %s (%s)\n", data, created ? "new" : "existing");
        printf("coffer: access key %s\n", access);
        if (created || getenv("COFFER_SECRET_KEY"))
            printf("coffer: secret key %s\n", secret);
        else
            printf("coffer: secret key in %s/credentials (printed at first start only)\n",
                   data);
        printf("coffer: the S3 front end is not built yet; this is the engine shell "
               "(type help)\n");
        fflush(stdout);
    }
    shell(db);
    eng_db_close(db);
    return 0;
}
