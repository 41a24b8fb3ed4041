/*
 * bench_engine.c -- coffer's engine against RocksDB: same run, keys, values, durability.
 *
 * Every case runs on both engines (kv.h), each in a fresh directory under
 * $BENCH_DIR (default /tmp), and prints one row of a markdown table on
 * stdout: ops/s, MB/s (key + value bytes), p50 and p99 latency and the ratio
 * coffer/rocksdb. Progress goes to stderr.
 *
 *  write seq|rand, value 100 B | 4 KiB, 1 | 8 threads: one key per batch,
 *      sync on (acknowledged = fdatasync'd), a fresh database per run, the
 *      runs of the two engines interleaved (write_case).
 *      seq: keys ascend; rand: keys hashed from the op number.
 *  load: 400k rows of 100 B or 40k of 4 KiB in a shuffled order, 100 per
 *      batch, sync off (setup, reported for information), then a flush,
 *      then 5% more rows that stay in the memtable. On that database:
 *  get 1 | 8 threads: random existing keys, values checked byte-exact;
 *  scan: up to 50 rows of one partition from a random key, checked;
 *  full scan: every row, in order, counted and checked.
 *
 * Invariants:
 *  (1) both engines get the same key and value for op i; values come from
 *      one preallocated random pool (fresh memory is slow on these hosts),
 *      so no case allocates per op;
 *  (2) every read is verified; a wrong or missing value aborts the run
 *      rather than producing a number;
 *  (3) each phase stops at its op count or its time cap, whichever comes
 *      first, and the rates are computed from the ops actually done.
 *
 * Env: BENCH_DIR; BENCH_SCALE (multiplies op counts, default 1); BENCH_ONLY
 * ("write" or "read": run only those cases, for profiling). run.sh adds
 * fio's numbers for the disk.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kv.h"
#include "util/err.h"

#define MEMTABLE_BYTES (64ull << 20) /* coffer's default, given to RocksDB too */
#define POOL_BYTES (16u << 20)
#define PARTITIONS 1000
#define LOAD_BATCH 100
#define WRITE_CAP_S 2.5 /* per run; a write case runs each engine 4 times */
#define READ_CAP_S 4.0
#define MAX_THREADS 8

enum { PH_SEQ, PH_RAND, PH_GET, PH_SCAN };

/* result -- one engine's numbers for a case, summed over its runs. */
typedef struct result {
    uint64_t ops, bytes;
    double secs;
    uint32_t *lat_us; /* latency of each op done, in run order (malloc'd) */
    size_t n_lat;
    char notes[200]; /* kv notes() after the last run */
} result;

typedef struct phase {
    const kv_ops *ops;
    kv *k;
    int kind;
    uint64_t n; /* ops to do */
    size_t vlen;
    uint64_t nkeys;   /* PH_GET/PH_SCAN: rows in the database */
    size_t scan_rows; /* PH_SCAN: rows per scan */
    uint64_t salt;    /* varies the keys between phases of one kind */
    double deadline;
    uint32_t *lat_us; /* [n], UINT32_MAX where the op was not done */
    _Atomic uint64_t next, done, bytes;
    _Atomic int rc;
} phase;

/* scan_check -- what a scan callback checks rows against. */
typedef struct scan_check {
    size_t vlen;
    uint64_t rows, bytes, expect_k; /* expect_k: the next key index the scan must see */
    int stride;                     /* 1 inside a partition; 0: any increasing order */
    uint8_t last[KV_KEY_BYTES];
} scan_check;

static uint8_t *pool;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void make_key(uint8_t *key, uint64_t pk, uint64_t ck)
{
    put_be(key, pk, KV_PK_BYTES);
    put_be(key + KV_PK_BYTES, ck, KV_KEY_BYTES - KV_PK_BYTES);
}

/* Read databases: key index k lives in partition k % PARTITIONS at ck k / PARTITIONS. */
static void data_key(uint8_t *key, uint64_t k)
{
    make_key(key, k % PARTITIONS, k / PARTITIONS);
}

static uint64_t data_index(const uint8_t *key)
{
    return get_be(key + KV_PK_BYTES, KV_KEY_BYTES - KV_PK_BYTES) * PARTITIONS +
           get_be(key, KV_PK_BYTES);
}

/* value_of -- invariant (1): the value of key index k, a view into the pool. */
static cf_slice value_of(uint64_t k, size_t vlen)
{
    return slice_make(pool + mix64(k ^ 0x5eed) % (POOL_BYTES - vlen), vlen);
}

static int check_row(void *arg, cf_slice key, cf_slice value)
{
    scan_check *c = arg;
    if (key.len != KV_KEY_BYTES || (c->rows && memcmp(key.ptr, c->last, KV_KEY_BYTES) <= 0)) {
        fprintf(stderr, "scan: key out of order or malformed after %llu rows\n",
                (unsigned long long)c->rows);
        return CF_ECORRUPT;
    }
    uint64_t k = data_index(key.ptr);
    cf_slice want = value_of(k, c->vlen);
    if ((c->stride && k != c->expect_k) || !slice_eq(value, want)) {
        fprintf(stderr, "scan: row %llu: key index %llu (expected %llu), value %zu B wrong\n",
                (unsigned long long)c->rows, (unsigned long long)k, (unsigned long long)c->expect_k,
                value.len);
        return CF_ECORRUPT;
    }
    memcpy(c->last, key.ptr, KV_KEY_BYTES);
    c->expect_k += PARTITIONS;
    c->rows++;
    c->bytes += key.len + value.len;
    return 0;
}

/* one_op -- op i of phase p on thread t; adds the bytes moved to *bytes. */
static int one_op(phase *p, kv_thread *t, uint64_t i, uint64_t *bytes)
{
    uint8_t key[KV_KEY_BYTES];
    uint64_t h = mix64(i ^ p->salt);
    cf_slice v;
    if (p->kind == PH_SEQ || p->kind == PH_RAND) {
        uint64_t per = (p->n + PARTITIONS - 1) / PARTITIONS;
        if (p->kind == PH_SEQ)
            make_key(key, i / per, i % per);
        else
            make_key(key, h % PARTITIONS, h >> 10);
        kv_pair pair = {slice_make(key, KV_KEY_BYTES), value_of(i, p->vlen)};
        *bytes += KV_KEY_BYTES + p->vlen;
        return p->ops->put(t, &pair, 1);
    }
    if (p->kind == PH_GET) {
        uint64_t k = h % p->nkeys;
        data_key(key, k);
        int rc = p->ops->get(t, slice_make(key, KV_KEY_BYTES), &v);
        if (rc == 0 && !slice_eq(v, value_of(k, p->vlen))) {
            fprintf(stderr, "%s get: key index %llu: wrong value (%zu B)\n", p->ops->name,
                    (unsigned long long)k, v.len);
            rc = CF_ECORRUPT;
        }
        *bytes += KV_KEY_BYTES + v.len;
        return rc;
    }
    uint64_t per = p->nkeys / PARTITIONS, pk = h % PARTITIONS;
    uint64_t ck = (h >> 10) % (per - p->scan_rows + 1); /* rows ck..ck+scan_rows-1 exist */
    scan_check c = {.vlen = p->vlen, .expect_k = ck * PARTITIONS + pk, .stride = 1};
    make_key(key, pk, ck);
    int rc = p->ops->scan(t, slice_make(key, KV_KEY_BYTES), p->scan_rows, check_row, &c);
    if (rc == 0 && c.rows != p->scan_rows) {
        fprintf(stderr, "%s scan: %llu rows, expected %zu\n", p->ops->name,
                (unsigned long long)c.rows, p->scan_rows);
        rc = CF_ECORRUPT;
    }
    *bytes += c.bytes;
    return rc;
}

static void *phase_thread(void *arg)
{
    phase *p = arg;
    kv_thread *t = p->ops->thread_new(p->k);
    uint64_t bytes = 0, done = 0;
    int rc = t ? 0 : CF_ENOMEM;
    while (rc == 0) {
        uint64_t i = atomic_fetch_add(&p->next, 1);
        double t0 = now_s();
        if (i >= p->n || t0 > p->deadline)
            break;
        rc = one_op(p, t, i, &bytes);
        p->lat_us[i] = (uint32_t)((now_s() - t0) * 1e6);
        done++;
    }
    if (rc != 0)
        atomic_store(&p->rc, rc);
    atomic_fetch_add(&p->done, done);
    atomic_fetch_add(&p->bytes, bytes);
    p->ops->thread_free(t);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* run_phase -- invariant (3): runs p on nthreads threads into r; fails the run on any error. */
static void run_phase(phase *p, int nthreads, double cap_s, result *r)
{
    pthread_t th[MAX_THREADS];
    uint32_t *lat = realloc(r->lat_us, (r->n_lat + p->n) * sizeof *lat);
    if (!lat)
        exit(2);
    r->lat_us = lat;
    p->lat_us = lat + r->n_lat;
    memset(p->lat_us, 0xff, p->n * sizeof *lat); /* touched before the clock starts */
    double t0 = now_s();
    p->deadline = t0 + cap_s;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&th[i], NULL, phase_thread, p) != 0)
            exit(2);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    r->secs += now_s() - t0;
    if (atomic_load(&p->rc) != 0) {
        fprintf(stderr, "%s: phase failed: %s\n", p->ops->name, cf_err_str(atomic_load(&p->rc)));
        exit(1);
    }
    for (uint64_t i = 0; i < p->n; i++)
        if (p->lat_us[i] != UINT32_MAX)
            r->lat_us[r->n_lat++] = p->lat_us[i];
    r->ops += atomic_load(&p->done);
    r->bytes += atomic_load(&p->bytes);
}

static double ops_s(const result *r)
{
    return r->secs > 0 ? (double)r->ops / r->secs : 0;
}

/* print_row -- one table row; frees the latencies. */
static void print_row(const char *name, result r[2])
{
    char p99[2][32]; /* "p50 / p99" */
    for (int e = 0; e < 2; e++) {
        snprintf(p99[e], sizeof p99[e], "-");
        if (r[e].n_lat) {
            qsort(r[e].lat_us, r[e].n_lat, sizeof *r[e].lat_us, cmp_u32);
            snprintf(p99[e], sizeof p99[e], "%u / %u", r[e].lat_us[r[e].n_lat / 2],
                     r[e].lat_us[r[e].n_lat * 99 / 100]);
        }
        free(r[e].lat_us);
        r[e].lat_us = NULL;
        r[e].n_lat = 0;
    }
    printf("| %s | %.0f | %.1f | %s | %.0f | %.1f | %s | %.2f |\n", name, ops_s(&r[0]),
           (double)r[0].bytes / r[0].secs / 1e6, p99[0], ops_s(&r[1]),
           (double)r[1].bytes / r[1].secs / 1e6, p99[1],
           ops_s(&r[1]) > 0 ? ops_s(&r[0]) / ops_s(&r[1]) : 0);
    fflush(stdout);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static const char *scratch_root;

static kv *open_fresh(const kv_ops *ops, const char *what, int sync, char *dir, size_t dir_len)
{
    kv *k = NULL;
    snprintf(dir, dir_len, "%s/%s-%s", scratch_root, ops->name, what);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    int rc = ops->open(dir, sync, MEMTABLE_BYTES, &k);
    if (rc != 0) {
        fprintf(stderr, "%s: open %s: %s\n", ops->name, dir, cf_err_str(rc));
        exit(1);
    }
    return k;
}

static void close_and_remove(const kv_ops *ops, kv *k, const char *dir)
{
    ops->close(k);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const kv_ops *const engines[2] = {&kv_coffer_ops, &kv_rocksdb_ops};

/*
 * write_case -- sync writes: each engine does 4 runs of n ops, each on a
 * fresh database, in the order coffer, rocksdb, rocksdb, coffer, coffer,
 * rocksdb, rocksdb, coffer, so a drift of the disk's speed during the case
 * (large on shared virtual disks) favours neither.
 */
static void write_case(int kind, size_t vlen, int nthreads, uint64_t n, result r[2])
{
    static const int order[8] = {0, 1, 1, 0, 0, 1, 1, 0};
    char dir[512];
    memset(r, 0, 2 * sizeof *r);
    for (int i = 0; i < 8; i++) {
        int e = order[i];
        kv *k = open_fresh(engines[e], "write", 1, dir, sizeof dir);
        phase p = {.ops = engines[e], .k = k, .kind = kind, .n = n, .vlen = vlen};
        fprintf(stderr, "%s: write %s %zu B, %d thr ...\n", engines[e]->name,
                kind == PH_SEQ ? "seq" : "rand", vlen, nthreads);
        run_phase(&p, nthreads, WRITE_CAP_S, &r[e]);
        engines[e]->notes(k, r[e].notes, sizeof r[e].notes);
        close_and_remove(engines[e], k, dir);
    }
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t c = a % b;
        a = b;
        b = c;
    }
    return a;
}

/* load -- keys [from, to) in a shuffled order, LOAD_BATCH per batch; returns rows/s. */
static double load(const kv_ops *ops, kv *k, uint64_t from, uint64_t to, size_t vlen)
{
    kv_thread *t = ops->thread_new(k);
    uint8_t keys[LOAD_BATCH][KV_KEY_BYTES];
    kv_pair pairs[LOAD_BATCH];
    uint64_t n = to - from, step = 2654435761ull % n | 1, i = 0;
    while (gcd(step, n) != 1) /* i * step % n then visits every i once */
        step++;
    double t0 = now_s();
    while (i < n) {
        size_t m = 0;
        for (; m < LOAD_BATCH && i < n; m++, i++) {
            uint64_t key_index = from + i * step % n;
            data_key(keys[m], key_index);
            pairs[m] = (kv_pair){slice_make(keys[m], KV_KEY_BYTES), value_of(key_index, vlen)};
        }
        int rc = t ? ops->put(t, pairs, m) : CF_ENOMEM;
        if (rc != 0) {
            fprintf(stderr, "%s: load: %s\n", ops->name, cf_err_str(rc));
            exit(1);
        }
    }
    ops->thread_free(t);
    return (double)n / (now_s() - t0);
}

/* read_cases -- loads a database per engine and runs the read phases on it. */
static void read_cases(size_t vlen, uint64_t nkeys, uint64_t nops, uint64_t nscans)
{
    if (nkeys < 4 * PARTITIONS)
        nkeys = 4 * PARTITIONS; /* every partition has rows to scan */
    uint64_t total = nkeys + nkeys / 20;
    size_t scan_rows = total / PARTITIONS / 2 < 50 ? total / PARTITIONS / 2 : 50;
    result load_r[2] = {0}, get1[2] = {0}, get8[2] = {0}, scan[2] = {0}, full[2] = {0};
    char dir[512];
    for (int e = 0; e < 2; e++) {
        const kv_ops *ops = engines[e];
        kv *k = open_fresh(ops, "read", 0, dir, sizeof dir);
        fprintf(stderr, "%s: load %llu x %zu B ...\n", ops->name, (unsigned long long)total, vlen);
        double t0 = now_s();
        load(ops, k, 0, nkeys, vlen);
        int rc = ops->flush(k);
        load(ops, k, nkeys, total, vlen); /* stays in the memtable */
        load_r[e] =
            (result){.ops = total, .bytes = total * (KV_KEY_BYTES + vlen), .secs = now_s() - t0};
        if (rc != 0) {
            fprintf(stderr, "%s: flush: %s\n", ops->name, cf_err_str(rc));
            exit(1);
        }
        phase g1 = {.ops = ops, .k = k, .kind = PH_GET, .n = nops, .vlen = vlen, .nkeys = total};
        phase g8 = {.ops = ops,
                    .k = k,
                    .kind = PH_GET,
                    .n = nops,
                    .vlen = vlen,
                    .nkeys = total,
                    .salt = 0x8888};
        phase sc = {.ops = ops,
                    .k = k,
                    .kind = PH_SCAN,
                    .n = nscans,
                    .vlen = vlen,
                    .nkeys = total,
                    .scan_rows = scan_rows};
        fprintf(stderr, "%s: reads ...\n", ops->name);
        run_phase(&g1, 1, READ_CAP_S, &get1[e]);
        run_phase(&g8, 8, READ_CAP_S, &get8[e]);
        run_phase(&sc, 1, READ_CAP_S, &scan[e]);
        kv_thread *t = ops->thread_new(k);
        scan_check c = {.vlen = vlen};
        t0 = now_s();
        rc = t ? ops->scan(t, slice_make(NULL, 0), 0, check_row, &c) : CF_ENOMEM;
        full[e] = (result){.ops = c.rows, .bytes = c.bytes, .secs = now_s() - t0};
        ops->thread_free(t);
        if (rc != 0 || c.rows != total) {
            fprintf(stderr, "%s: full scan: %s, %llu rows of %llu\n", ops->name, cf_err_str(rc),
                    (unsigned long long)c.rows, (unsigned long long)total);
            exit(1);
        }
        ops->notes(k, load_r[e].notes, sizeof load_r[e].notes);
        close_and_remove(ops, k, dir);
    }
    char name[96];
    snprintf(name, sizeof name, "load %llu x %zu B (sync off, %d/batch) + flush",
             (unsigned long long)total, vlen, LOAD_BATCH);
    print_row(name, load_r);
    snprintf(name, sizeof name, "get %zu B, 1 thr", vlen);
    print_row(name, get1);
    snprintf(name, sizeof name, "get %zu B, 8 thr", vlen);
    print_row(name, get8);
    snprintf(name, sizeof name, "scan %zu rows x %zu B (ops = scans)", scan_rows, vlen);
    print_row(name, scan);
    snprintf(name, sizeof name, "full scan %zu B (ops = rows)", vlen);
    print_row(name, full);
    fprintf(stderr, "after load %zu B: coffer: %s\n  rocksdb: %s\n", vlen, load_r[0].notes,
            load_r[1].notes);
}

int main(void)
{
    static const size_t vlens[2] = {100, 4096};
    const char *base = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    double scale = getenv("BENCH_SCALE") ? atof(getenv("BENCH_SCALE")) : 1;
    char root[512];
    result r[2];
    char notes[8][2][200], names[8][64];
    int nn = 0;
    snprintf(root, sizeof root, "%s/coffer-bench-XXXXXX", base);
    pool = malloc(POOL_BYTES);
    if (!pool || !mkdtemp(root))
        return 2;
    scratch_root = root;
    for (size_t i = 0; i < POOL_BYTES; i += 8) {
        uint64_t x = mix64(i);
        memcpy(pool + i, &x, 8);
    }
    printf("| case | coffer ops/s | coffer MB/s | coffer p50 / p99 µs | rocksdb ops/s | "
           "rocksdb MB/s | rocksdb p50 / p99 µs | coffer/rocksdb |\n"
           "|---|---|---|---|---|---|---|---|\n");
    const char *only = getenv("BENCH_ONLY") ? getenv("BENCH_ONLY") : "";
    for (int v = 0; v < 2 && strcmp(only, "read") != 0; v++)
        for (int kind = PH_SEQ; kind <= PH_RAND; kind++)
            for (int thr = 1; thr <= 8; thr += 7) {
                write_case(kind, vlens[v], thr, (uint64_t)(scale * (thr == 1 ? 1500 : 6000)), r);
                snprintf(names[nn], sizeof names[nn], "write %s %zu B, %d thr",
                         kind == PH_SEQ ? "seq" : "rand", vlens[v], thr);
                memcpy(notes[nn][0], r[0].notes, sizeof r[0].notes);
                memcpy(notes[nn][1], r[1].notes, sizeof r[1].notes);
                nn++;
                print_row(names[nn - 1], r);
            }
    if (strcmp(only, "write") != 0) {
        read_cases(100, (uint64_t)(scale * 400000), (uint64_t)(scale * 200000),
                   (uint64_t)(scale * 20000));
        read_cases(4096, (uint64_t)(scale * 40000), (uint64_t)(scale * 100000),
                   (uint64_t)(scale * 20000));
    }
    printf("\nGroup commit during the sync write cases:\n\n");
    for (int i = 0; i < nn; i++)
        printf("- %s: coffer %s; rocksdb %s\n", names[i], notes[i][0], notes[i][1]);
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(pool);
    return 0;
}
