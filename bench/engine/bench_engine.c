/*
 * bench_engine.c -- coffer's engine against RocksDB: same run, keys, values, durability.
 *
 * Every case runs on both engines (kv.h), coffer first, each in a fresh
 * directory under $BENCH_DIR (default /tmp), and prints one row of a
 * markdown table on stdout: ops/s, MB/s (key + value bytes), p99 latency
 * and the ratio coffer/rocksdb. Progress goes to stderr.
 *
 *  write seq|rand, value 100 B | 4 KiB, 1 | 8 threads: one key per batch,
 *      sync on (acknowledged = fdatasync'd), a fresh database per case.
 *      seq: keys ascend; rand: keys hashed from the op number.
 *  load: NKEYS rows in a shuffled order, 100 per batch, sync off (setup,
 *      reported for information), then a flush, then 5% more rows that stay
 *      in the memtable. On that database:
 *  get 1 | 8 threads: random existing keys, values checked byte-exact;
 *  scan: SCAN_ROWS rows of one partition from a random key;
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
 * Env: BENCH_DIR; BENCH_SCALE (multiplies op counts, default 1);
 * FIO_<value bytes>="<bs> <writes/s>" adds the disk reference table (run.sh).
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
#define WRITE_CAP_S 6.0
#define READ_CAP_S 5.0
#define MAX_THREADS 8

enum { PH_SEQ, PH_RAND, PH_GET, PH_SCAN };

typedef struct result {
    double ops_s, mb_s, p99_us;
    uint64_t ops;
    char notes[200];
} result;

typedef struct phase {
    const kv_ops *ops;
    kv *k;
    int kind;
    uint64_t n;       /* ops to do */
    size_t vlen;
    uint64_t nkeys;   /* PH_GET/PH_SCAN: rows in the database */
    size_t scan_rows; /* PH_SCAN: rows per scan */
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
                (unsigned long long)c->rows, (unsigned long long)k,
                (unsigned long long)c->expect_k, value.len);
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
    uint64_t h = mix64(i + 0x1234567ull * (uint64_t)p->kind);
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
    uint64_t per = p->nkeys / PARTITIONS, pk = h % PARTITIONS, ck = (h >> 10) % (per - p->scan_rows);
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

/* run_phase -- invariant (3): runs p on nthreads threads; fails the run on any error. */
static result run_phase(phase *p, int nthreads, double cap_s)
{
    pthread_t th[MAX_THREADS];
    result r = {0};
    p->lat_us = malloc(p->n * sizeof *p->lat_us);
    if (!p->lat_us)
        exit(2);
    memset(p->lat_us, 0xff, p->n * sizeof *p->lat_us); /* touched before the clock starts */
    double t0 = now_s();
    p->deadline = t0 + cap_s;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&th[i], NULL, phase_thread, p) != 0)
            exit(2);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    double secs = now_s() - t0;
    if (atomic_load(&p->rc) != 0) {
        fprintf(stderr, "%s: phase failed: %s\n", p->ops->name, cf_err_str(atomic_load(&p->rc)));
        exit(1);
    }
    size_t m = 0;
    for (uint64_t i = 0; i < p->n; i++)
        if (p->lat_us[i] != UINT32_MAX)
            p->lat_us[m++] = p->lat_us[i];
    qsort(p->lat_us, m, sizeof *p->lat_us, cmp_u32);
    r.ops = atomic_load(&p->done);
    r.ops_s = (double)r.ops / secs;
    r.mb_s = (double)atomic_load(&p->bytes) / secs / 1e6;
    r.p99_us = m ? p->lat_us[m * 99 / 100] : 0;
    free(p->lat_us);
    return r;
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

static void print_row(const char *name, const result r[2])
{
    printf("| %s | %.0f | %.1f | %.0f | %.0f | %.1f | %.0f | %.2f |\n", name, r[0].ops_s, r[0].mb_s,
           r[0].p99_us, r[1].ops_s, r[1].mb_s, r[1].p99_us,
           r[1].ops_s > 0 ? r[0].ops_s / r[1].ops_s : 0);
    fflush(stdout);
}

static const kv_ops *const engines[2] = {&kv_coffer_ops, &kv_rocksdb_ops};

/* write_case -- sync writes, a fresh database per engine; r[e] gets the result. */
static void write_case(int kind, size_t vlen, int nthreads, uint64_t n, result r[2])
{
    char name[64], dir[512];
    snprintf(name, sizeof name, "write %s %zu B, %d thr", kind == PH_SEQ ? "seq" : "rand", vlen,
             nthreads);
    for (int e = 0; e < 2; e++) {
        kv *k = open_fresh(engines[e], "write", 1, dir, sizeof dir);
        phase p = {.ops = engines[e], .k = k, .kind = kind, .n = n, .vlen = vlen};
        fprintf(stderr, "%s: %s ...\n", engines[e]->name, name);
        r[e] = run_phase(&p, nthreads, WRITE_CAP_S);
        engines[e]->notes(k, r[e].notes, sizeof r[e].notes);
        close_and_remove(engines[e], k, dir);
    }
    print_row(name, r);
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
    uint64_t total = nkeys + nkeys / 20;
    size_t scan_rows = total / PARTITIONS / 2 < 50 ? total / PARTITIONS / 2 : 50;
    result load_r[2] = {0}, get1[2], get8[2], scan[2], full[2];
    char dir[512];
    for (int e = 0; e < 2; e++) {
        const kv_ops *ops = engines[e];
        kv *k = open_fresh(ops, "read", 0, dir, sizeof dir);
        fprintf(stderr, "%s: load %llu x %zu B ...\n", ops->name, (unsigned long long)total, vlen);
        double t0 = now_s();
        load(ops, k, 0, nkeys, vlen);
        int rc = ops->flush(k);
        load(ops, k, nkeys, total, vlen); /* stays in the memtable */
        double secs = now_s() - t0;
        load_r[e].ops_s = (double)total / secs;
        load_r[e].mb_s = (double)total * (double)(KV_KEY_BYTES + vlen) / secs / 1e6;
        if (rc != 0) {
            fprintf(stderr, "%s: flush: %s\n", ops->name, cf_err_str(rc));
            exit(1);
        }
        phase g1 = {.ops = ops, .k = k, .kind = PH_GET, .n = nops, .vlen = vlen, .nkeys = total};
        phase g8 = {.ops = ops, .k = k, .kind = PH_GET, .n = nops, .vlen = vlen, .nkeys = total};
        phase sc = {.ops = ops, .k = k, .kind = PH_SCAN, .n = nscans, .vlen = vlen, .nkeys = total,
                    .scan_rows = scan_rows};
        fprintf(stderr, "%s: reads ...\n", ops->name);
        get1[e] = run_phase(&g1, 1, READ_CAP_S);
        get8[e] = run_phase(&g8, 8, READ_CAP_S);
        scan[e] = run_phase(&sc, 1, READ_CAP_S);
        kv_thread *t = ops->thread_new(k);
        scan_check c = {.vlen = vlen};
        t0 = now_s();
        rc = t ? ops->scan(t, slice_make(NULL, 0), 0, check_row, &c) : CF_ENOMEM;
        secs = now_s() - t0;
        ops->thread_free(t);
        if (rc != 0 || c.rows != total) {
            fprintf(stderr, "%s: full scan: %s, %llu rows of %llu\n", ops->name, cf_err_str(rc),
                    (unsigned long long)c.rows, (unsigned long long)total);
            exit(1);
        }
        full[e] = (result){.ops_s = (double)c.rows / secs, .mb_s = (double)c.bytes / secs / 1e6};
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

/* fio_table -- the disk reference run.sh measured, against single-thread sync writes. */
static void fio_table(const size_t *vlens, const result seq1[][2], int nv)
{
    int header = 0;
    for (int v = 0; v < nv; v++) {
        char var[32];
        double bs = 0, wps = 0;
        snprintf(var, sizeof var, "FIO_%zu", vlens[v]);
        if (!getenv(var) || sscanf(getenv(var), "%lf %lf", &bs, &wps) != 2 || wps <= 0)
            continue;
        if (!header++)
            printf("\n| disk reference | fio writes/s | coffer 1 thr seq / fio | rocksdb 1 thr "
                   "seq / fio |\n|---|---|---|---|\n");
        printf("| fio write+fdatasync, bs %.0f B (value %zu B) | %.0f | %.2f | %.2f |\n", bs,
               vlens[v], wps, seq1[v][0].ops_s / wps, seq1[v][1].ops_s / wps);
    }
}

int main(void)
{
    static const size_t vlens[2] = {100, 4096};
    const char *base = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    double scale = getenv("BENCH_SCALE") ? atof(getenv("BENCH_SCALE")) : 1;
    char root[512];
    result seq1[2][2], r[2];
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
    printf("| case | coffer ops/s | coffer MB/s | coffer p99 µs | rocksdb ops/s | rocksdb MB/s | "
           "rocksdb p99 µs | coffer/rocksdb |\n|---|---|---|---|---|---|---|---|\n");
    for (int v = 0; v < 2; v++)
        for (int kind = PH_SEQ; kind <= PH_RAND; kind++)
            for (int thr = 1; thr <= 8; thr += 7) {
                write_case(kind, vlens[v], thr, (uint64_t)(scale * (thr == 1 ? 3000 : 12000)), r);
                if (kind == PH_SEQ && thr == 1)
                    memcpy(seq1[v], r, sizeof r);
                snprintf(names[nn], sizeof names[nn], "%s %zu B, %d thr",
                         kind == PH_SEQ ? "seq" : "rand", vlens[v], thr);
                memcpy(notes[nn][0], r[0].notes, sizeof r[0].notes);
                memcpy(notes[nn][1], r[1].notes, sizeof r[1].notes);
                nn++;
            }
    read_cases(100, (uint64_t)(scale * 400000), (uint64_t)(scale * 200000),
               (uint64_t)(scale * 20000));
    read_cases(4096, (uint64_t)(scale * 40000), (uint64_t)(scale * 100000),
               (uint64_t)(scale * 20000));
    fio_table(vlens, (const result(*)[2])seq1, 2);
    printf("\nGroup commit during the sync write cases:\n\n");
    for (int i = 0; i < nn; i++)
        printf("- %s: coffer %s; rocksdb %s\n", names[i], notes[i][0], notes[i][1]);
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(pool);
    return 0;
}
