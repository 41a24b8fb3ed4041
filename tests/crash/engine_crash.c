/*
 * engine_crash.c -- kill -9 the engine under load, reopen, verify what it promised.
 *
 * A parent forks a child that opens the database (256 KiB memtables, 1 MiB
 * commitlog segments, background flush and compaction, sync on, gc grace 0
 * so compaction purges tombstones) and writes batches from NTHREADS threads.
 * After each eng_db_write() returns 0 the writer sends one 16-byte record
 * (one write(), atomic on a pipe) naming the batch now acknowledged. The
 * parent SIGKILLs the child at a random moment, reopens the directory in
 * process and compares the whole database with a model; the next round runs
 * on the same directory, so the state is cumulative.
 *
 * Key space: writer t owns partitions "t<t>.p<pp>" (NPARTS of them, even
 * ones in table crash_a, odd ones in crash_b), rows "r<rr>" (NROWS) and
 * columns "c0".."c3". No two writers touch the same key, and a batch touches
 * distinct partitions, so within a writer the batches apply in order and a
 * batch's mutations never conflict with each other. The content of batch i
 * of writer t in round n is a pure function of (seed, n, t, i); a value is a
 * pure function of its 64-bit id (its first 8 bytes are the id, which makes
 * a mismatch readable).
 *
 * What is checked after every kill:
 *  (1) every acknowledged batch is visible with exact bytes, unless a later
 *      acknowledged batch of the same writer changed the same cell;
 *  (2) the one batch per writer that may be in flight (sent, not yet
 *      acknowledged on the pipe) is applied entirely or not at all: the
 *      writer's whole key space must equal the model without it or the model
 *      with it. One batch in eight writes the same token into three
 *      partitions (often across both tables) to make half-applied batches
 *      stand out;
 *  (3) nothing else is visible: no row, cell or table the model lacks;
 *  (4) point reads (eng_get) agree with the scan.
 * CRASH_ROUNDS (default 30) bounds the rounds. In one round in four a
 * second child, which only opens the database, is killed before the
 * verification, at a random moment of its open (replay of the crashed log,
 * flushes during the replay, removal of leftovers) or just after. A last
 * round closes cleanly and must keep every batch. A kill -9 leaves the page
 * cache intact, so this checks the engine's own bookkeeping (log replay,
 * flush, manifest, compaction, tombstone purging), not that fdatasync
 * reached the disk.
 *
 * One file of ~780 lines: the Makefile makes each .c of tests/crash a binary,
 * and the generator, the model and the child harness are one test.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "test.h"

#define NTHREADS 4
#define NPARTS 8
#define NROWS 16
#define NCOLS 4
#define MAX_OPS 3
#define MAX_VALUE_BYTES (40u << 10)
#define REC_READY 100u  /* record tid: the child opened the database */
#define REC_CLOSED 101u /* record tid: the child closed the database cleanly */
#define CLEAN_BATCHES 60
#define KEYBUF 24 /* bytes of a buffer for a key or column name (pk_of, ck_of, col_of) */

enum { OP_PUT, OP_DEL_CELL, OP_DEL_ROW, OP_DEL_RANGE, OP_DEL_PART };

typedef struct op {
    uint8_t kind, part, row;
    uint8_t ncells;           /* OP_PUT: cells written; OP_DEL_CELL: 1 */
    uint8_t cols[NCOLS];      /* column indexes, distinct */
    uint64_t vids[NCOLS];     /* value ids of the put cells */
    uint8_t lo, hi;           /* OP_DEL_RANGE: row bounds */
    uint8_t lo_kind, hi_kind; /* ENG_BOUND_* */
} op;

typedef struct batch {
    int n;
    op ops[MAX_OPS];
} batch;

/* One writer's key space as the database should show it; vid 0 = no cell. */
typedef struct model {
    uint8_t row_live[NPARTS][NROWS]; /* row marker live */
    uint64_t vid[NPARTS][NROWS][NCOLS];
} model;

/* 16 bytes: written with one write(), so it is atomic on a pipe. */
typedef struct ack_rec {
    uint32_t tid; /* writer, or REC_* */
    int32_t rc;   /* 0, or the error eng_db_write/eng_db_open returned */
    uint64_t idx; /* batch acknowledged */
} ack_rec;

typedef struct worker {
    eng_db *db;
    eng_table *tabs[2];
    uint64_t seed;
    uint32_t round, tid;
    uint64_t limit; /* batches to write */
    int fd;         /* ack pipe, or -1 */
    int rc;
} worker;

typedef struct totals {
    uint64_t acked_batches, acked_mutations, inflight_applied, inflight_absent;
    uint64_t rows, cells, gets;
    uint64_t sstables;       /* live SSTables of both tables at the last reopen */
    uint64_t open_kills;     /* children killed during or just after their open */
    uint64_t killed_opening; /* of them, those that died before eng_db_open returned */
    int64_t open_us;         /* the longest open of those, to aim the next kill */
} totals;

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t next(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ull;
    return mix64(*s);
}

/* Values: 9 in 10 are 10..300 bytes, 1 in 10 is 1 KiB..40 KiB. */
static size_t value_len(uint64_t vid)
{
    uint64_t h = mix64(vid * 3 + 1);
    if (h % 10 == 0)
        return 1024 + (h >> 16) % (MAX_VALUE_BYTES - 1024 + 1);
    return 10 + (h >> 16) % 291;
}

static void value_fill(uint64_t vid, uint8_t *buf, size_t len)
{
    memcpy(buf, &vid, 8);
    for (size_t i = 8; i < len; i += 8) {
        uint64_t x = mix64(vid + i);
        memcpy(buf + i, &x, len - i < 8 ? len - i : 8);
    }
}

static cf_slice pk_of(uint32_t tid, unsigned part, char *buf)
{
    return slice_make(buf, (size_t)snprintf(buf, KEYBUF, "t%u.p%02u", tid, part));
}

static cf_slice ck_of(unsigned row, char *buf)
{
    return slice_make(buf, (size_t)snprintf(buf, KEYBUF, "r%02u", row));
}

static cf_slice col_of(unsigned col, char *buf)
{
    return slice_make(buf, (size_t)snprintf(buf, KEYBUF, "c%u", col));
}

/* pick_parts -- n distinct partitions. */
static void pick_parts(uint64_t *s, int n, uint8_t *out)
{
    for (int i = 0; i < n; i++) {
        bool dup;
        do {
            out[i] = (uint8_t)(next(s) % NPARTS);
            dup = false;
            for (int j = 0; j < i; j++)
                dup |= out[j] == out[i];
        } while (dup);
    }
}

static void gen_batch(uint64_t seed, uint32_t round, uint32_t tid, uint64_t idx, batch *b)
{
    uint64_t s = mix64(seed ^ mix64(((uint64_t)round << 40) ^ ((uint64_t)tid << 36) ^ idx));
    uint64_t vbase = ((uint64_t)(round + 1) << 48) | ((uint64_t)tid << 44) | (idx << 8);
    uint8_t parts[MAX_OPS];
    memset(b, 0, sizeof *b);
    if (next(&s) % 8 == 0) { /* the same token into three partitions */
        uint8_t row = (uint8_t)(next(&s) % NROWS), col = (uint8_t)(next(&s) % NCOLS);
        b->n = 3;
        pick_parts(&s, 3, parts);
        for (int i = 0; i < 3; i++)
            b->ops[i] = (op){.kind = OP_PUT,
                             .part = parts[i],
                             .row = row,
                             .ncells = 1,
                             .cols = {col},
                             .vids = {vbase}};
        return;
    }
    b->n = 1 + (int)(next(&s) % MAX_OPS);
    pick_parts(&s, b->n, parts);
    for (int i = 0; i < b->n; i++) {
        op *o = &b->ops[i];
        unsigned k = (unsigned)(next(&s) % 100);
        o->part = parts[i];
        o->row = (uint8_t)(next(&s) % NROWS);
        if (k < 58) {
            o->kind = OP_PUT;
            o->ncells = k < 3 ? 0 : (uint8_t)(1 + next(&s) % 3);
            uint8_t first = (uint8_t)(next(&s) % NCOLS);
            for (int c = 0; c < o->ncells; c++) {
                o->cols[c] = (uint8_t)((first + c) % NCOLS);
                o->vids[c] = vbase | (uint64_t)(i * NCOLS + c);
            }
        } else if (k < 74) {
            o->kind = OP_DEL_CELL;
            o->ncells = 1;
            o->cols[0] = (uint8_t)(next(&s) % NCOLS);
        } else if (k < 86) {
            o->kind = OP_DEL_ROW;
        } else if (k < 96) {
            o->kind = OP_DEL_RANGE;
            o->lo = (uint8_t)(next(&s) % NROWS);
            o->hi = (uint8_t)(o->lo + next(&s) % (NROWS - o->lo));
            o->lo_kind = (uint8_t)(next(&s) % 3);
            o->hi_kind = (uint8_t)(next(&s) % 3);
            if ((o->lo_kind == ENG_BOUND_EXCL || o->hi_kind == ENG_BOUND_EXCL) && o->hi - o->lo < 2)
                o->lo_kind = o->hi_kind = ENG_BOUND_INCL; /* never an empty range */
        } else {
            o->kind = OP_DEL_PART;
        }
    }
}

static bool range_has(const op *o, unsigned r)
{
    bool lo_ok =
        o->lo_kind == ENG_BOUND_NONE || r > o->lo || (r == o->lo && o->lo_kind == ENG_BOUND_INCL);
    bool hi_ok =
        o->hi_kind == ENG_BOUND_NONE || r < o->hi || (r == o->hi && o->hi_kind == ENG_BOUND_INCL);
    return lo_ok && hi_ok;
}

static void model_apply(model *m, const batch *b)
{
    for (int i = 0; i < b->n; i++) {
        const op *o = &b->ops[i];
        for (unsigned r = 0; r < NROWS; r++) {
            bool hit = o->kind == OP_DEL_PART || (o->kind == OP_DEL_RANGE && range_has(o, r)) ||
                       (o->kind == OP_DEL_ROW && r == o->row);
            if (hit) {
                m->row_live[o->part][r] = 0;
                memset(m->vid[o->part][r], 0, sizeof m->vid[o->part][r]);
            }
        }
        if (o->kind == OP_PUT)
            m->row_live[o->part][o->row] = 1;
        for (int c = 0; c < o->ncells; c++)
            m->vid[o->part][o->row][o->cols[c]] = o->kind == OP_PUT ? o->vids[c] : 0;
    }
}

static bool model_row_visible(const model *m, unsigned p, unsigned r)
{
    bool any = m->row_live[p][r];
    for (unsigned c = 0; c < NCOLS; c++)
        any |= m->vid[p][r][c] != 0;
    return any;
}

/* build_batch -- the engine batch of b; vbuf is one value's scratch (puts copy). */
static int build_batch(eng_batch *eb, eng_table *const tabs[2], uint32_t tid, const batch *b,
                       uint8_t *vbuf[NCOLS])
{
    eng_batch_clear(eb);
    int rc = 0;
    for (int i = 0; i < b->n && rc == 0; i++) {
        const op *o = &b->ops[i];
        char pkb[KEYBUF], ckb[KEYBUF], colb[NCOLS][KEYBUF];
        eng_table *t = tabs[o->part & 1];
        cf_slice pk = pk_of(tid, o->part, pkb), ck = ck_of(o->row, ckb);
        eng_cell cells[NCOLS];
        switch (o->kind) {
        case OP_PUT:
            for (int c = 0; c < o->ncells; c++) {
                size_t len = value_len(o->vids[c]);
                value_fill(o->vids[c], vbuf[c], len);
                cells[c] = (eng_cell){col_of(o->cols[c], colb[c]), slice_make(vbuf[c], len)};
            }
            rc = eng_batch_put(eb, t, pk, ck, cells, o->ncells);
            break;
        case OP_DEL_CELL:
            rc = eng_batch_delete_cell(eb, t, pk, ck, col_of(o->cols[0], colb[0]));
            break;
        case OP_DEL_ROW:
            rc = eng_batch_delete_row(eb, t, pk, ck);
            break;
        case OP_DEL_RANGE: {
            char lob[KEYBUF], hib[KEYBUF];
            eng_bound lo = {ck_of(o->lo, lob), o->lo_kind}, hi = {ck_of(o->hi, hib), o->hi_kind};
            rc = eng_batch_delete_range(eb, t, pk, lo, hi);
            break;
        }
        default:
            rc = eng_batch_delete_partition(eb, t, pk);
        }
    }
    return rc;
}

static void send_rec(int fd, uint32_t tid, int32_t rc, uint64_t idx)
{
    ack_rec r = {tid, rc, idx};
    if (fd >= 0 && write(fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(3); /* the parent is gone */
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    eng_batch *eb = NULL;
    uint8_t *vbuf[NCOLS] = {0};
    w->rc = eng_batch_new(&eb);
    for (int c = 0; c < NCOLS && w->rc == 0; c++)
        if (!(vbuf[c] = malloc(MAX_VALUE_BYTES)))
            w->rc = CF_ENOMEM;
    for (uint64_t i = 0; i < w->limit && w->rc == 0; i++) {
        batch b;
        gen_batch(w->seed, w->round, w->tid, i, &b);
        w->rc = build_batch(eb, w->tabs, w->tid, &b, vbuf);
        if (w->rc == 0)
            w->rc = eng_db_write(w->db, eb);
        send_rec(w->fd, w->tid, w->rc, i); /* invariant (1): sent only after the ack */
    }
    for (int c = 0; c < NCOLS; c++)
        free(vbuf[c]);
    eng_batch_free(eb);
    return NULL;
}

static void opts_for(eng_db_opts *o, const char *dir)
{
    eng_db_opts_default(o, dir);
    o->memtable_bytes = 256u << 10;
    o->commitlog_segment_bytes = 1u << 20;
    o->block_bytes = 4u << 10;
    o->gc_grace_us = 0;
    o->sync = 1;
    o->background = 1;
}

/* open_db -- opens dir with opts_for(), or with the default 64 MiB memtables if big_memtable. */
static int open_db(const char *dir, bool big_memtable, eng_db **db, eng_table *tabs[2])
{
    eng_db_opts o;
    opts_for(&o, dir);
    if (big_memtable)
        o.memtable_bytes = 64u << 20;
    int rc = eng_db_open(&o, db);
    if (rc == 0)
        rc = eng_table_open(*db, "crash_a", "stcs", &tabs[0]);
    if (rc == 0)
        rc = eng_table_open(*db, "crash_b", "stcs", &tabs[1]);
    return rc;
}

/* write_all -- runs NTHREADS writers of round on db until each wrote limit batches. */
static int write_all(eng_db *db, eng_table *tabs[2], uint64_t seed, uint32_t round, uint64_t limit,
                     int fd)
{
    worker w[NTHREADS];
    pthread_t th[NTHREADS];
    int rc = 0;
    for (uint32_t t = 0; t < NTHREADS; t++) {
        w[t] = (worker){db, {tabs[0], tabs[1]}, seed, round, t, limit, fd, 0};
        if (pthread_create(&th[t], NULL, worker_main, &w[t]) != 0)
            _exit(4);
    }
    for (uint32_t t = 0; t < NTHREADS; t++) {
        pthread_join(th[t], NULL);
        rc = rc ? rc : w[t].rc;
    }
    return rc;
}

/*
 * How a child's life ends: killed by the parent 20-300 ms after its open;
 * killed while opening (it writes nothing); killing itself once
 * CLEAN_BATCHES per writer are acknowledged, having written with 64 MiB
 * memtables (so nothing was flushed and the replay, with 256 KiB memtables,
 * must flush several); or closing cleanly.
 */
enum { MODE_KILL_LOAD, MODE_KILL_OPEN, MODE_KILL_AFTER, MODE_CLEAN };

/* child_main -- the process that gets killed. Never returns. */
static void child_main(const char *dir, uint64_t seed, uint32_t round, int mode, int fd)
{
    eng_db *db = NULL;
    eng_table *tabs[2];
    bool bounded = mode == MODE_KILL_AFTER || mode == MODE_CLEAN;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int rc = open_db(dir, mode == MODE_KILL_AFTER, &db, tabs);
    send_rec(fd, REC_READY, rc, 0);
    if (rc != 0)
        _exit(5);
    while (mode == MODE_KILL_OPEN)
        pause(); /* background flushes and compactions go on until the kill */
    rc = write_all(db, tabs, seed, round, bounded ? CLEAN_BATCHES : UINT64_MAX, fd);
    if (rc == 0 && mode == MODE_KILL_AFTER)
        raise(SIGKILL);
    eng_db_close(db);
    send_rec(fd, REC_CLOSED, rc, 0);
    _exit(rc == 0 ? 0 : 6);
}

/* ---- the parent: models, verification, rounds ---- */

/* check -- one writer's key space compared with the model without (0) and with (1) its in-flight
 * batch. */
typedef struct check {
    model m[2];
    unsigned bad[2];  /* mismatches against each */
    char why[2][400]; /* the first of them */
    uint8_t seen[NPARTS][NROWS];
} check;

/* row_equal -- whether the row at it is model row (p, r); if not, says why in why[0..n). */
static bool row_equal(const model *m, uint32_t t, unsigned p, unsigned r, const eng_iter *it,
                      uint8_t *scratch, char *why, size_t n)
{
    if (!model_row_visible(m, p, r)) {
        snprintf(why, n, "row t%u.p%02u/r%02u is visible, expected absent", t, p, r);
        return false;
    }
    size_t want = 0;
    for (unsigned c = 0; c < NCOLS; c++)
        want += m->vid[p][r][c] != 0;
    if (eng_iter_cell_count(it) != want) {
        int off = snprintf(why, n, "row t%u.p%02u/r%02u has %zu cells, expected %zu:", t, p, r,
                           eng_iter_cell_count(it), want);
        for (unsigned c = 0; c < NCOLS && off > 0 && (size_t)off < n; c++)
            off += snprintf(why + off, n - (size_t)off, " %016llx",
                            (unsigned long long)m->vid[p][r][c]);
        for (size_t i = 0; i < eng_iter_cell_count(it) && off > 0 && (size_t)off < n; i++) {
            eng_cell_view cv = eng_iter_cell(it, i);
            uint64_t got = 0;
            if (cv.value.len >= 8)
                memcpy(&got, cv.value.ptr, 8);
            off += snprintf(why + off, n - (size_t)off, " | found %.*s=%016llx ts %lld",
                            (int)cv.col.len, (const char *)cv.col.ptr, (unsigned long long)got,
                            (long long)cv.ts);
        }
        return false;
    }
    for (unsigned c = 0; c < NCOLS; c++) {
        uint64_t vid = m->vid[p][r][c], got = 0;
        char colb[KEYBUF];
        eng_cell_view cv;
        if (!vid)
            continue;
        if (eng_iter_find(it, col_of(c, colb), &cv) != 0) {
            snprintf(why, n, "row t%u.p%02u/r%02u lacks cell c%u", t, p, r, c);
            return false;
        }
        size_t len = value_len(vid);
        value_fill(vid, scratch, len);
        if (cv.value.len != len || memcmp(cv.value.ptr, scratch, len) != 0) {
            if (cv.value.len >= 8)
                memcpy(&got, cv.value.ptr, 8);
            snprintf(why, n, "t%u.p%02u/r%02u/c%u holds %016llx (%zu B), expected %016llx (%zu B)",
                     t, p, r, c, (unsigned long long)got, cv.value.len, (unsigned long long)vid,
                     len);
            return false;
        }
    }
    return true;
}

static bool parse_key(cf_slice pk, cf_slice ck, uint32_t *t, unsigned *p, unsigned *r)
{
    char a[32] = {0}, b[32] = {0};
    char tail;
    if (pk.len >= sizeof a || ck.len >= sizeof b)
        return false;
    memcpy(a, pk.ptr, pk.len);
    memcpy(b, ck.ptr, ck.len);
    return sscanf(a, "t%u.p%u%c", t, p, &tail) == 2 && sscanf(b, "r%u%c", r, &tail) == 1 &&
           *t < NTHREADS && *p < NPARTS && *r < NROWS;
}

/* scan_table -- compares every row of table tab with both models of its writer. */
static void scan_table(eng_table *tab, unsigned tab_no, check *k, uint8_t *scratch, totals *tot)
{
    eng_query q;
    eng_iter *it = NULL;
    memset(&q, 0, sizeof q); /* every bound ENG_BOUND_NONE: the whole table */
    if (!CHECK_EQ(eng_iter_new(tab, &q, &it), 0))
        return;
    for (; eng_iter_valid(it); eng_iter_next(it)) {
        uint32_t t;
        unsigned p, r;
        if (!CHECK(parse_key(eng_iter_pk(it), eng_iter_ck(it), &t, &p, &r)) ||
            !CHECK_EQ(p & 1, tab_no) || !CHECK(!k[t].seen[p][r]))
            continue;
        k[t].seen[p][r] = 1;
        tot->rows++;
        tot->cells += eng_iter_cell_count(it);
        for (int w = 0; w < 2; w++)
            if (!row_equal(&k[t].m[w], t, p, r, it, scratch, k[t].why[w], sizeof k[t].why[w]))
                k[t].bad[w]++;
    }
    CHECK_EQ(eng_iter_status(it), 0);
    eng_iter_close(it);
}

/* get_all -- invariant (4): eng_get of every row of writer t agrees with m. */
static void get_all(eng_table *tabs[2], uint32_t t, const model *m, uint8_t *scratch, totals *tot)
{
    for (unsigned p = 0; p < NPARTS; p++)
        for (unsigned r = 0; r < NROWS; r++) {
            char pkb[KEYBUF], ckb[KEYBUF], why[400];
            eng_iter *it = NULL;
            int rc = eng_get(tabs[p & 1], pk_of(t, p, pkb), ck_of(r, ckb), &it);
            tot->gets++;
            if (!model_row_visible(m, p, r)) {
                CHECK_EQ(rc, CF_ENOTFOUND);
            } else if (CHECK_EQ(rc, 0) &&
                       !CHECK(row_equal(m, t, p, r, it, scratch, why, sizeof why))) {
                fprintf(stderr, "  eng_get: %s\n", why);
            }
            eng_iter_close(it);
        }
}

/*
 * verify -- reopens dir and compares it with m[t], alone or with inflight[t]
 * applied (invariants 1-4); m[t] becomes the state found. false on failure.
 */
static bool verify(const char *dir, uint32_t round, model m[NTHREADS],
                   const batch inflight[NTHREADS], totals *tot)
{
    eng_db *db = NULL;
    eng_table *tabs[2];
    check *k = calloc(NTHREADS, sizeof *k);
    uint8_t *scratch = malloc(MAX_VALUE_BYTES);
    bool ok = CHECK(k && scratch) && CHECK_EQ(open_db(dir, false, &db, tabs), 0);
    for (uint32_t t = 0; ok && t < NTHREADS; t++) {
        k[t].m[0] = k[t].m[1] = m[t];
        model_apply(&k[t].m[1], &inflight[t]);
    }
    for (unsigned tab = 0; ok && tab < 2; tab++) {
        eng_table_stats ts;
        eng_table_stats_get(tabs[tab], &ts);
        tot->sstables = (tab ? tot->sstables : 0) + ts.sstables;
        scan_table(tabs[tab], tab, k, scratch, tot);
    }
    for (uint32_t t = 0; ok && t < NTHREADS; t++) {
        for (int w = 0; w < 2; w++)
            for (unsigned p = 0; p < NPARTS; p++)
                for (unsigned r = 0; r < NROWS; r++)
                    if (!k[t].seen[p][r] && model_row_visible(&k[t].m[w], p, r) && !k[t].bad[w]++)
                        snprintf(k[t].why[w], sizeof k[t].why[w], "row t%u.p%02u/r%02u is missing",
                                 t, p, r);
        if (!CHECK(k[t].bad[0] == 0 || k[t].bad[1] == 0)) {
            fprintf(stderr,
                    "  round %u writer %u: %u mismatches without the in-flight batch "
                    "(first: %s), %u with it (first: %s)\n",
                    round, t, k[t].bad[0], k[t].why[0], k[t].bad[1], k[t].why[1]);
            ok = false;
            continue;
        }
        tot->inflight_applied += k[t].bad[0] != 0;
        tot->inflight_absent += k[t].bad[1] != 0;
        m[t] = k[t].m[k[t].bad[0] != 0];
        get_all(tabs, t, &m[t], scratch, tot);
    }
    eng_db_close(db);
    free(scratch);
    free(k);
    return ok;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* take_recs -- handles the whole records in buf[0..*len); keeps a partial tail. */
static bool take_recs(uint8_t *buf, size_t *len, uint64_t acked[NTHREADS], int64_t *ready_us)
{
    size_t off = 0;
    bool ok = true;
    for (; *len - off >= sizeof(ack_rec); off += sizeof(ack_rec)) {
        ack_rec r;
        memcpy(&r, buf + off, sizeof r);
        ok &= CHECK_EQ(r.rc, 0);
        if (r.tid == REC_READY)
            *ready_us = now_us();
        else if (r.tid < NTHREADS)
            ok &= CHECK_EQ(r.idx, acked[r.tid]++); /* acks come in order, one at a time */
        else
            ok &= CHECK_EQ(r.tid, REC_CLOSED);
    }
    memmove(buf, buf + off, *len - off);
    *len -= off;
    return ok;
}

/*
 * run_round -- one life of the child, ended as mode says. Sets acked[t] to
 * the batches writer t had acknowledged. false on failure.
 */
static bool run_round(const char *dir, uint64_t seed, uint32_t round, int mode,
                      uint64_t acked[NTHREADS], totals *tot)
{
    int pfd[2];
    if (!CHECK_EQ(pipe(pfd), 0))
        return false;
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        child_main(dir, seed, round, mode, pfd[1]);
    }
    close(pfd[1]);
    int64_t start = now_us(), ready = -1, kill_at = -1;
    int64_t delay = mode == MODE_KILL_OPEN ? (int64_t)(test_rand() % (uint64_t)(tot->open_us + 1))
                                           : 20000 + (int64_t)(test_rand() % 280001);
    uint8_t buf[4096];
    size_t len = 0;
    bool ok = CHECK(pid > 0), killed = false;
    while (ok) {
        if (mode == MODE_KILL_OPEN)
            kill_at = start + delay;
        else if (mode == MODE_KILL_LOAD && ready >= 0)
            kill_at = ready + delay;
        int64_t limit = kill_at >= 0 && !killed ? kill_at : start + 60000000;
        struct pollfd pf = {pfd[0], POLLIN, 0};
        int64_t wait_us = limit - now_us();
        if (wait_us > 0 && wait_us < 1000 && kill_at >= 0 && !killed)
            usleep((useconds_t)wait_us); /* poll() counts in ms; open kills need finer aim */
        if (wait_us < 1000 || poll(&pf, 1, (int)(wait_us / 1000)) == 0) {
            ok = CHECK(!killed && kill_at >= 0); /* else: the child hung for 60 s */
            kill(pid, SIGKILL);
            killed = true;
            continue;
        }
        ssize_t n = read(pfd[0], buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EOF: every copy of the write end is gone, the child is dead */
        len += (size_t)n;
        ok = take_recs(buf, &len, acked, &ready);
    }
    if (!ok && !killed)
        kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    close(pfd[0]);
    if (mode == MODE_KILL_OPEN) {
        tot->open_kills++;
        tot->killed_opening += ready < 0; /* no READY record came before EOF */
        if (ready >= 0 && ready - start > tot->open_us)
            tot->open_us = ready - start;
    }
    if (mode == MODE_CLEAN)
        ok &= CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    else
        ok &= CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    return ok && CHECK_EQ(len, 0);
}

static void apply_acked(model m[NTHREADS], uint64_t seed, uint32_t round,
                        const uint64_t acked[NTHREADS], totals *tot)
{
    for (uint32_t t = 0; t < NTHREADS; t++)
        for (uint64_t i = 0; i < acked[t]; i++) {
            batch b;
            gen_batch(seed, round, t, i, &b);
            model_apply(&m[t], &b);
            tot->acked_batches++;
            tot->acked_mutations += (uint64_t)b.n;
        }
}

static void test_engine_clean_close_reopen_keeps_every_batch(void)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    uint64_t seed = test_rand(), acked[NTHREADS];
    model *m = calloc(NTHREADS, sizeof *m);
    batch none[NTHREADS] = {0};
    totals tot = {0};
    eng_db *db = NULL;
    eng_table *tabs[2];
    if (!CHECK(m) || !CHECK_EQ(open_db(dir, false, &db, tabs), 0))
        goto out;
    CHECK_EQ(write_all(db, tabs, seed, 0, CLEAN_BATCHES, -1), 0);
    eng_db_close(db);
    for (uint32_t t = 0; t < NTHREADS; t++)
        acked[t] = CLEAN_BATCHES;
    apply_acked(m, seed, 0, acked, &tot);
    /* twice: the first reopen replays and flushes, the second finds it done */
    if (verify(dir, 0, m, none, &tot))
        verify(dir, 0, m, none, &tot);
    CHECK(tot.rows > 0);
out:
    free(m);
}

static void test_engine_kill9_keeps_acked_batches_whole(void)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    const char *env = getenv("CRASH_ROUNDS");
    uint32_t rounds = env ? (uint32_t)strtoul(env, NULL, 10) : 30, round = 0;
    uint64_t seed = test_rand();
    model *m = calloc(NTHREADS, sizeof *m);
    totals tot = {0};
    int64_t start = now_us();
    bool ok = CHECK(m);
    tot.open_us = 50000; /* a first guess; each open seen whole raises it */
    for (; ok && round <= rounds; round++) {
        int mode = round == rounds ? MODE_CLEAN : MODE_KILL_LOAD;
        uint64_t acked[NTHREADS] = {0}, none[NTHREADS] = {0};
        batch inflight[NTHREADS];
        ok = run_round(dir, seed, round, mode, acked, &tot);
        apply_acked(m, seed, round, acked, &tot);
        for (uint32_t t = 0; t < NTHREADS; t++) {
            gen_batch(seed, round, t, acked[t], &inflight[t]);
            if (mode == MODE_CLEAN)
                inflight[t].n = 0;
        }
        if (ok && mode == MODE_KILL_LOAD && round % 4 == 3) /* crash the recovery too */
            ok = run_round(dir, seed, round, MODE_KILL_OPEN, none, &tot);
        ok = ok && verify(dir, round, m, inflight, &tot);
    }
    uint32_t passed = ok ? round : round - 1; /* rounds that passed, the clean one included */
    printf("engine_crash: %u of %u kill rounds passed (%llu also killed their recovery, %llu of "
           "them before the open returned)%s in %.1f s "
           "(seed %llu); %llu batches (%llu mutations) acknowledged; in flight at the kill: "
           "%llu applied whole, %llu absent; verified %llu rows, %llu cells, %llu point reads; "
           "%llu SSTables at the end\n",
           passed < rounds ? passed : rounds, rounds, (unsigned long long)tot.open_kills,
           (unsigned long long)tot.killed_opening, passed > rounds ? " + the clean close" : "",
           (double)(now_us() - start) / 1e6, (unsigned long long)seed,
           (unsigned long long)tot.acked_batches, (unsigned long long)tot.acked_mutations,
           (unsigned long long)tot.inflight_applied, (unsigned long long)tot.inflight_absent,
           (unsigned long long)tot.rows, (unsigned long long)tot.cells,
           (unsigned long long)tot.gets, (unsigned long long)tot.sstables);
    CHECK_EQ(round, rounds + 1);
    free(m);
}

/*
 * Regressions, both from this test's first runs: a replay holding more than
 * a memtable flushes during open (the flush waited for the log's sync and
 * failed the open with EINVAL); and a reopen that only replays and closes
 * released every segment, so the next life numbered its log from 1 again,
 * below the manifest's flushed position, and the replay after its crash
 * skipped its acknowledged batches as "already flushed".
 */
static void test_engine_kill_after_acks_replays_several_memtables_twice(void)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    uint64_t seed = test_rand();
    model *m = calloc(NTHREADS, sizeof *m);
    batch none[NTHREADS] = {0};
    totals tot = {0};
    bool ok = CHECK(m);
    for (uint32_t round = 0; ok && round < 2; round++) {
        uint64_t acked[NTHREADS] = {0};
        ok = run_round(dir, seed, round, MODE_KILL_AFTER, acked, &tot);
        for (uint32_t t = 0; t < NTHREADS; t++)
            ok &= CHECK_EQ(acked[t], CLEAN_BATCHES);
        apply_acked(m, seed, round, acked, &tot);
        ok = ok && verify(dir, round, m, none, &tot);
    }
    CHECK(tot.rows > 0);
    free(m);
}

static const test_case cases[] = {
    TEST(test_engine_clean_close_reopen_keeps_every_batch),
    TEST(test_engine_kill_after_acks_replays_several_memtables_twice),
    TEST(test_engine_kill9_keeps_acked_batches_whole),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
