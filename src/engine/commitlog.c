/*
 * commitlog.c -- the segmented write-ahead log with group commit.
 *
 * Owns the segment files <dir>/CL-<seq:016x>.log (framing in log_format.h,
 * layout in doc/formats.md, "Commitlog segments"). Called by the engine's
 * write path (append, sync_wait), by flush (release) and at open (replay).
 *
 * Group commit: appenders frame their record into the active in-memory
 * buffer under mu, holding it only for the copy and the position assignment.
 * One syncer thread swaps the active buffer with the spare one (both keep
 * their grown capacity: no allocation per write), writes the taken buffer
 * with one pwrite per segment it touches, covers it with one fdatasync,
 * publishes the new durable position and wakes every waiter. Whatever was
 * appended during that fdatasync rides on the next one, so N writers share
 * one sync. A batch may cross a segment boundary: the buffer remembers the
 * offsets ("splits") where the next segment starts.
 *
 * With sync = 1 the open segment is zero-filled ahead of its records so that
 * the per-batch fdatasync overwrites blocks and skips the journal
 * (CLOG_PREALLOC_BYTES); the zero tail is cut before the next segment starts.
 *
 * A full disk (invariant (9)): a zero-fill that fails with ENOSPC costs only
 * the preallocation; a record write or fsync that fails with ENOSPC fails
 * the log like any other error, and the log then answers CF_ENOSPC, so the
 * client is told the disk is full. Recovering from that needs a restart:
 * the records of the failed batch are in the memtables already (db.h (1)),
 * so the log cannot simply take writes again.
 *
 * At ~750 lines this is over the 500-line aim: the syncer, the appenders and
 * replay share the private struct. Replay (the last part) could move to its
 * own file behind an internal header if it grows.
 *
 * The public state machine (OPEN, REPLAYED, FAILED) is drawn in commitlog.h.
 * Its moves: eng_commitlog_open() -> OPEN; eng_commitlog_replay() OPEN ->
 * REPLAYED; syncer_main() (a write, fsync or open error, logged loudly
 * once) -> FAILED; eng_commitlog_close() frees from any state.
 *
 * Invariants (1)-(5) are those of commitlog.h; this file adds:
 *  (6) the active buffer, tail, durable, state and the segment list are
 *      touched only under mu; the taken buffer and the open file belong to
 *      the syncer alone between the swap and the publish.
 *  (7) durable <= tail, and durable.seg is the segment the syncer wrote last
 *      (or the fresh one right after replay): every segment below it is
 *      closed, so release() may delete it.
 *  (8) with sync = 0 nothing is fdatasync'd: records reach the file (a process
 *      crash loses nothing written) but invariants (1) and (3) hold only until
 *      the machine crashes; after a power loss replay may see a hole in an
 *      earlier segment and return CF_ECORRUPT. sync = 0 is for benchmarks.
 *  (9) a zero-fill that fails with ENOSPC leaves the log as it was: only
 *      zeros went past the last record, and they are cut at once, so the
 *      file still ends at its records or at whole zero-filled pieces. The
 *      records that follow extend the file, and zero-filling is tried again
 *      at the next CLOG_PREALLOC_BYTES boundary.
 */
#include "engine/commitlog.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/log_format.h"
#include "util/buf.h"
#include "util/coding.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/log.h"

/* Appenders wait once the active buffer holds this much: it bounds memory to
 * two buffers (plus one oversized record) while still letting one batch carry
 * several milliseconds of sequential writing. */
#define CLOG_BUFFER_BYTES (16u << 20)

/* With sync = 1 the syncer zero-fills the segment this far ahead of its
 * records. An fdatasync after a write that grows the file must commit the
 * inode through the journal (~2 ms here); after overwriting blocks that are
 * already written it flushes only data (~0.15 ms). The price is one extra
 * sequential write of the log and one slow sync per MiB, so it is paid only
 * for pieces below CLOG_ZERO_FILL_MAX_PIECE: a larger write takes longer
 * than the journal commit it would save. */
#define CLOG_PREALLOC_BYTES (1u << 20)
#define CLOG_ZERO_FILL_MAX_PIECE (64u << 10)

static const uint8_t zero_block[64 * 1024];

enum clog_state { CLOG_OPEN, CLOG_REPLAYED, CLOG_FAILED };

typedef struct clog_batch {
    cf_buf bytes;     /* framed records in append order */
    cf_buf splits;    /* u64 offsets into bytes where the next segment starts */
    eng_clog_pos end; /* position just past the last record in bytes */
} clog_batch;

struct eng_commitlog {
    char *dir;
    uint64_t segment_bytes;
    int sync;
    uint64_t fail_after_bytes; /* fault injection, see commitlog.h */
    uint64_t min_seq;          /* floor of new segment seqs, see commitlog.h */
    pthread_t syncer;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* syncer: records buffered or closing */
    pthread_cond_t done_cv; /* waiters: durable advanced, FAILED, or buffer space */

    /* run-time state under mu, invariant (6) */
    enum clog_state state;
    int fail_rc; /* what failed the log (CF_ENOSPC or CF_EIO); 0 unless FAILED */
    int closing;
    int syncer_idle; /* syncer is waiting on work_cv */
    clog_batch bufs[2];
    clog_batch *active;   /* the buffer appenders fill */
    eng_clog_pos tail;    /* where the next record goes (before any roll) */
    eng_clog_pos durable; /* every record before this is durable, invariant (7) */
    uint64_t *segs;       /* seqs of segment files on disk, ascending */
    size_t seg_count;
    size_t seg_cap;
    uint64_t records;

    /* racy copies of tail, read without mu only to guess the crc's segment */
    _Atomic uint64_t hint_seg;
    _Atomic uint64_t hint_off;
    _Atomic uint64_t bytes_written;
    _Atomic uint64_t syncs;

    /* syncer only, invariant (6) */
    int fd;                    /* open segment, -1 until its first byte */
    uint64_t fd_seg;           /* seq of the segment the syncer writes */
    uint64_t fd_off;           /* record bytes written to it */
    uint64_t fd_alloc;         /* it is written or zero-filled up to here (may lag fd_off) */
    uint64_t fd_noalloc_below; /* after a zero-fill failed: none is tried below this offset */
    int fd_dirty;              /* written since its last fdatasync */
    char fd_path[PATH_MAX];
};

static void seg_path(const eng_commitlog *cl, uint64_t seq, char *out)
{
    snprintf(out, PATH_MAX, "%s/CL-%016llx.log", cl->dir, (unsigned long long)seq);
}

/* seg_push -- records seq (larger than every listed one) as on disk. REQUIRES: mu held. */
static int seg_push(eng_commitlog *cl, uint64_t seq)
{
    if (cl->seg_count == cl->seg_cap) {
        size_t cap = cl->seg_cap ? cl->seg_cap * 2 : 16;
        uint64_t *n = realloc(cl->segs, cap * sizeof *n);
        if (!n)
            return CF_ENOMEM;
        cl->segs = n;
        cl->seg_cap = cap;
    }
    cl->segs[cl->seg_count++] = seq;
    return 0;
}

static void clog_check(const eng_commitlog *cl)
{
    assert(eng_clog_pos_cmp(cl->durable, cl->tail) <= 0); /* invariant (7) */
    assert(cl->active == &cl->bufs[0] || cl->active == &cl->bufs[1]);
    for (size_t i = 1; i < cl->seg_count; i++)
        assert(cl->segs[i - 1] < cl->segs[i]);
    (void)cl;
}

/* ---- the syncer ---------------------------------------------------------- */

static int open_segment(eng_commitlog *cl)
{
    seg_path(cl, cl->fd_seg, cl->fd_path);
    cl->fd = open(cl->fd_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (cl->fd < 0) {
        log_error("commitlog: cannot create %s: %s", cl->fd_path, strerror(errno));
        return file_err(errno);
    }
    cl->fd_off = 0;
    cl->fd_alloc = 0;
    cl->fd_noalloc_below = 0;
    pthread_mutex_lock(&cl->mu);
    int rc = seg_push(cl, cl->fd_seg);
    pthread_mutex_unlock(&cl->mu);
    /* The name must survive a crash before any record in it is acknowledged. */
    if (rc == 0 && cl->sync && (rc = file_fsync_dir(cl->dir)) != 0)
        log_error("commitlog: fsync of directory %s failed: %s", cl->dir, cf_err_str(rc));
    return rc;
}

static int sync_segment(eng_commitlog *cl)
{
    if (!cl->sync || !cl->fd_dirty)
        return 0;
    atomic_fetch_add_explicit(&cl->syncs, 1, memory_order_relaxed);
    if (fdatasync(cl->fd) != 0) {
        log_error("commitlog: fdatasync of %s failed: %s", cl->fd_path, strerror(errno));
        return file_err(errno); /* invariant (5): never retried */
    }
    cl->fd_dirty = 0;
    return 0;
}

/* zero_ahead -- zero-fills the segment up to the next CLOG_PREALLOC_BYTES
 * boundary past fd_off (never past segment_bytes); see CLOG_PREALLOC_BYTES.
 * Out of space, it cuts what it wrote and skips to that boundary (invariant (9)). */
static int zero_ahead(eng_commitlog *cl)
{
    uint64_t to = (cl->fd_off / CLOG_PREALLOC_BYTES + 1) * CLOG_PREALLOC_BYTES;
    if (to > cl->segment_bytes)
        to = cl->segment_bytes;
    uint64_t from = cl->fd_alloc > cl->fd_off ? cl->fd_alloc : cl->fd_off;
    uint64_t at = from;
    int rc = 0;
    while (rc == 0 && at < to) {
        size_t n = to - at < sizeof zero_block ? (size_t)(to - at) : sizeof zero_block;
        rc = file_pwrite_all(cl->fd, zero_block, n, at);
        at += rc == 0 ? n : 0;
    }
    if (rc == CF_ENOSPC) {
        if (ftruncate(cl->fd, (off_t)from) != 0) {
            log_error("commitlog: cannot cut the zero-fill of %s: %s", cl->fd_path,
                      strerror(errno));
            return file_err(errno);
        }
        log_warn("commitlog: no space to zero-fill %s past offset %llu; writing on without it",
                 cl->fd_path, (unsigned long long)from);
        cl->fd_noalloc_below = to;
        at = from;
        rc = 0;
    }
    if (rc != 0) {
        log_error("commitlog: zero-fill of %s failed: %s", cl->fd_path, cf_err_str(rc));
        return rc;
    }
    cl->fd_alloc = at;
    return 0;
}

static int write_piece(eng_commitlog *cl, const uint8_t *p, size_t n)
{
    if (cl->fd < 0) {
        int rc = open_segment(cl);
        if (rc != 0)
            return rc;
    }
    uint64_t done = atomic_load_explicit(&cl->bytes_written, memory_order_relaxed);
    size_t ok = n;
    if (cl->fail_after_bytes && done + n > cl->fail_after_bytes)
        ok = done < cl->fail_after_bytes ? (size_t)(cl->fail_after_bytes - done) : 0;
    int rc = file_pwrite_all(cl->fd, p, ok, cl->fd_off);
    if (rc == 0) {
        cl->fd_off += ok;
        cl->fd_dirty = 1;
        atomic_fetch_add_explicit(&cl->bytes_written, ok, memory_order_relaxed);
    }
    if (rc == 0 && ok < n)
        rc = CF_EIO; /* the injected failure: a torn write */
    if (rc != 0) {
        log_error("commitlog: write to %s failed: %s", cl->fd_path, cf_err_str(rc));
        return rc;
    }
    if (cl->sync && n < CLOG_ZERO_FILL_MAX_PIECE && cl->fd_off >= cl->fd_alloc &&
        cl->fd_off >= cl->fd_noalloc_below)
        return zero_ahead(cl);
    return 0;
}

/*
 * finish_segment -- cuts the zero-filled tail off the open segment and makes
 * it durable, so that an earlier segment ends exactly at its last record
 * (invariants (3) and (4)). Also used by close().
 */
static int finish_segment(eng_commitlog *cl)
{
    int cut = cl->fd_alloc > cl->fd_off;
    if (cut && ftruncate(cl->fd, (off_t)cl->fd_off) != 0) {
        log_error("commitlog: cannot truncate %s: %s", cl->fd_path, strerror(errno));
        return file_err(errno);
    }
    cl->fd_alloc = cl->fd_off;
    if (!cl->sync || (!cl->fd_dirty && !cut))
        return 0;
    atomic_fetch_add_explicit(&cl->syncs, 1, memory_order_relaxed);
    if (fsync(cl->fd) != 0) { /* fsync: the size changed */
        log_error("commitlog: fsync of %s failed: %s", cl->fd_path, strerror(errno));
        return file_err(errno);
    }
    cl->fd_dirty = 0;
    return 0;
}

static int next_segment(eng_commitlog *cl)
{
    if (cl->fd >= 0) {
        int rc = finish_segment(cl);
        if (rc != 0)
            return rc;
        close(cl->fd);
        cl->fd = -1;
    }
    cl->fd_seg++;
    return 0;
}

static int write_batch(eng_commitlog *cl, const clog_batch *b)
{
    size_t nsplit = b->splits.len / 8;
    size_t start = 0;
    for (size_t i = 0; i <= nsplit; i++) {
        size_t end = i < nsplit ? (size_t)get_u64(b->splits.data + 8 * i) : b->bytes.len;
        if (end > start) {
            int rc = write_piece(cl, b->bytes.data + start, end - start);
            if (rc != 0)
                return rc;
        }
        if (i < nsplit) {
            int rc = next_segment(cl);
            if (rc != 0)
                return rc;
        }
        start = end;
    }
    return sync_segment(cl); /* invariant (1): one fdatasync covers the batch */
}

static void *syncer_main(void *arg)
{
    eng_commitlog *cl = arg;
    pthread_mutex_lock(&cl->mu);
    for (;;) {
        while (cl->active->bytes.len == 0 && !cl->closing && cl->state != CLOG_FAILED) {
            cl->syncer_idle = 1;
            pthread_cond_wait(&cl->work_cv, &cl->mu);
            cl->syncer_idle = 0;
        }
        if (cl->state == CLOG_FAILED || cl->active->bytes.len == 0)
            break; /* failed, or closing with nothing left to write */
        clog_batch *b = cl->active;
        cl->active = b == &cl->bufs[0] ? &cl->bufs[1] : &cl->bufs[0];
        pthread_mutex_unlock(&cl->mu);

        int rc = write_batch(cl, b);

        pthread_mutex_lock(&cl->mu);
        if (rc != 0) {
            cl->state = CLOG_FAILED; /* invariant (5) */
            cl->fail_rc = rc;
            pthread_cond_broadcast(&cl->done_cv);
            break;
        }
        cl->durable = b->end;
        buf_clear(&b->bytes);
        buf_clear(&b->splits);
        clog_check(cl);
        pthread_cond_broadcast(&cl->done_cv);
    }
    int failed = cl->fail_rc;
    pthread_mutex_unlock(&cl->mu);
    if (failed) /* the one loud line: every later refusal only returns the code */
        log_error("commitlog: FAILED: %s. Every write is refused until the log is reopened "
                  "(restart coffer%s); acknowledged writes are safe.",
                  failed == CF_ENOSPC ? "the disk is full" : cf_err_str(failed),
                  failed == CF_ENOSPC ? " once space is free" : "");
    return NULL;
}

/* ---- open, append, wait, release, close ------------------------------------ */

int eng_commitlog_open(const char *dir, const eng_commitlog_opts *o, eng_commitlog **out)
{
    *out = NULL;
    if (strlen(dir) + sizeof "/CL-0123456789abcdef.log" > PATH_MAX)
        return CF_EINVAL;
    int rc = file_mkdir_p(dir);
    if (rc != 0)
        return rc;
    eng_commitlog *cl = calloc(1, sizeof *cl);
    if (!cl)
        return CF_ENOMEM;
    cl->dir = strdup(dir);
    if (!cl->dir) {
        rc = CF_ENOMEM;
        goto fail_cl;
    }
    cl->segment_bytes = o && o->segment_bytes ? o->segment_bytes : ENG_DEFAULT_SEGMENT_BYTES;
    cl->sync = o ? o->sync : 1;
    cl->fail_after_bytes = o ? o->fail_after_bytes : 0;
    cl->min_seq = o ? o->min_seq : 0;
    cl->state = CLOG_OPEN;
    cl->active = &cl->bufs[0];
    cl->fd = -1;
    if (pthread_mutex_init(&cl->mu, NULL) != 0) {
        rc = CF_ENOMEM;
        goto fail_dir;
    }
    if (pthread_cond_init(&cl->work_cv, NULL) != 0) {
        rc = CF_ENOMEM;
        goto fail_mu;
    }
    if (pthread_cond_init(&cl->done_cv, NULL) != 0) {
        rc = CF_ENOMEM;
        goto fail_work;
    }
    if (pthread_create(&cl->syncer, NULL, syncer_main, cl) != 0) {
        rc = CF_ENOMEM;
        goto fail_done;
    }
    *out = cl;
    return 0;

fail_done:
    pthread_cond_destroy(&cl->done_cv);
fail_work:
    pthread_cond_destroy(&cl->work_cv);
fail_mu:
    pthread_mutex_destroy(&cl->mu);
fail_dir:
    free(cl->dir);
fail_cl:
    free(cl);
    return rc;
}

/* wait_for_room -- 0 once rec_bytes may be buffered. REQUIRES: mu held. */
static int wait_for_room(eng_commitlog *cl, uint64_t rec_bytes)
{
    for (;;) {
        if (cl->state == CLOG_FAILED)
            return cl->fail_rc;
        if (cl->state == CLOG_OPEN)
            return CF_EINVAL;
        size_t used = cl->active->bytes.len;
        if (used == 0 || used + rec_bytes <= CLOG_BUFFER_BYTES)
            return 0;
        pthread_cond_wait(&cl->done_cv, &cl->mu);
    }
}

int eng_commitlog_append(eng_commitlog *cl, const uint8_t *rec, size_t len, eng_clog_pos *pos)
{
    pos->seg = 0;
    pos->off = 0;
    if (len == 0)
        return CF_EINVAL;
    if (len > ENG_CLOG_MAX_RECORD_BYTES)
        return CF_ELIMIT;
    uint64_t rec_bytes = ENG_LOG_HEADER_BYTES + len;
    /* The crc covers the segment seq, known for sure only under mu: guess it
     * from the racy hint and checksum outside the lock; a wrong guess (only
     * near a segment roll) is recomputed under the lock. */
    uint64_t hseg = atomic_load_explicit(&cl->hint_seg, memory_order_relaxed);
    uint64_t hoff = atomic_load_explicit(&cl->hint_off, memory_order_relaxed);
    uint64_t crc_seg = hseg + (hoff > 0 && hoff + rec_bytes > cl->segment_bytes);
    uint32_t crc = eng_log_record_crc(crc_seg, rec, (uint32_t)len);

    pthread_mutex_lock(&cl->mu);
    int rc = wait_for_room(cl, rec_bytes);
    if (rc != 0)
        goto out;
    clog_batch *b = cl->active;
    rc = buf_reserve(&b->bytes, rec_bytes);
    if (rc != 0)
        goto out;
    if (cl->tail.off > 0 && cl->tail.off + rec_bytes > cl->segment_bytes) {
        rc = buf_append_u64(&b->splits, b->bytes.len); /* invariant (2): never span */
        if (rc != 0)
            goto out;
        cl->tail.seg++;
        cl->tail.off = 0;
    }
    if (cl->tail.seg != crc_seg)
        crc = eng_log_record_crc(cl->tail.seg, rec, (uint32_t)len);
    uint8_t *h = b->bytes.data + b->bytes.len;
    put_u32(h, (uint32_t)len);
    put_u32(h + 4, crc);
    memcpy(h + ENG_LOG_HEADER_BYTES, rec, len);
    b->bytes.len += rec_bytes;
    *pos = cl->tail;
    cl->tail.off += rec_bytes;
    b->end = cl->tail;
    cl->records++;
    atomic_store_explicit(&cl->hint_seg, cl->tail.seg, memory_order_relaxed);
    atomic_store_explicit(&cl->hint_off, cl->tail.off, memory_order_relaxed);
    if (cl->syncer_idle)
        pthread_cond_signal(&cl->work_cv);
out:
    pthread_mutex_unlock(&cl->mu);
    return rc;
}

int eng_commitlog_sync_wait(eng_commitlog *cl, eng_clog_pos pos)
{
    int rc = 0;
    pthread_mutex_lock(&cl->mu);
    if (eng_clog_pos_cmp(pos, cl->durable) < 0)
        goto out; /* includes records handed out by replay */
    if (cl->state == CLOG_OPEN || eng_clog_pos_cmp(pos, cl->tail) >= 0) {
        rc = CF_EINVAL; /* never appended: it would wait forever */
        goto out;
    }
    while (eng_clog_pos_cmp(pos, cl->durable) >= 0 && cl->state != CLOG_FAILED)
        pthread_cond_wait(&cl->done_cv, &cl->mu);
    rc = eng_clog_pos_cmp(pos, cl->durable) < 0 ? 0 : cl->fail_rc; /* invariants (1), (5) */
out:
    pthread_mutex_unlock(&cl->mu);
    return rc;
}

eng_clog_pos eng_commitlog_next_pos(eng_commitlog *cl)
{
    pthread_mutex_lock(&cl->mu);
    eng_clog_pos p = cl->tail;
    pthread_mutex_unlock(&cl->mu);
    return p;
}

int eng_commitlog_status(eng_commitlog *cl)
{
    pthread_mutex_lock(&cl->mu);
    int rc = cl->fail_rc;
    pthread_mutex_unlock(&cl->mu);
    return rc;
}

void eng_commitlog_release(eng_commitlog *cl, eng_clog_pos upto)
{
    for (;;) {
        pthread_mutex_lock(&cl->mu);
        /* invariant (7): below durable.seg the syncer has closed the file;
         * while OPEN, replay is still walking the list. */
        uint64_t limit = upto.seg < cl->durable.seg ? upto.seg : cl->durable.seg;
        if (cl->state == CLOG_OPEN)
            limit = 0;
        int have = cl->seg_count > 0 && cl->segs[0] < limit;
        uint64_t seq = have ? cl->segs[0] : 0;
        if (have)
            memmove(cl->segs, cl->segs + 1, --cl->seg_count * sizeof *cl->segs);
        pthread_mutex_unlock(&cl->mu);
        if (!have)
            return;
        /* A lost unlink only makes a crash replay an already flushed segment. */
        char path[PATH_MAX];
        seg_path(cl, seq, path);
        if (unlink(path) != 0)
            log_warn("commitlog: cannot delete %s: %s", path, strerror(errno));
    }
}

void eng_commitlog_stats_get(eng_commitlog *cl, eng_commitlog_stats *out)
{
    pthread_mutex_lock(&cl->mu);
    out->bytes_written = atomic_load_explicit(&cl->bytes_written, memory_order_relaxed);
    out->syncs = atomic_load_explicit(&cl->syncs, memory_order_relaxed);
    out->records = cl->records;
    out->segments = cl->seg_count;
    pthread_mutex_unlock(&cl->mu);
}

void eng_commitlog_close(eng_commitlog *cl)
{
    if (!cl)
        return;
    pthread_mutex_lock(&cl->mu);
    cl->closing = 1;
    pthread_cond_signal(&cl->work_cv);
    pthread_mutex_unlock(&cl->mu);
    pthread_join(cl->syncer, NULL); /* it drains the buffer first, unless FAILED */
    /* A clean close leaves no zero tail for the next replay to cut. */
    if (cl->fd >= 0 && cl->state != CLOG_FAILED)
        finish_segment(cl);
    if (cl->fd >= 0)
        close(cl->fd);
    for (int i = 0; i < 2; i++) {
        buf_free(&cl->bufs[i].bytes);
        buf_free(&cl->bufs[i].splits);
    }
    pthread_cond_destroy(&cl->done_cv);
    pthread_cond_destroy(&cl->work_cv);
    pthread_mutex_destroy(&cl->mu);
    free(cl->segs);
    free(cl->dir);
    free(cl);
}

/* ---- replay ---------------------------------------------------------------- */

/* seg_name_seq -- 1 and *seq if name is exactly "CL-<16 lowercase hex>.log". */
static int seg_name_seq(const char *name, uint64_t *seq)
{
    if (strlen(name) != 23 || memcmp(name, "CL-", 3) != 0 || strcmp(name + 19, ".log") != 0)
        return 0;
    uint64_t v = 0;
    for (int i = 3; i < 19; i++) {
        char c = name[i];
        if (c >= '0' && c <= '9')
            v = v << 4 | (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v << 4 | (uint64_t)(c - 'a' + 10);
        else
            return 0;
    }
    *seq = v;
    return 1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* list_segments -- fills the segment list from the directory, ascending. */
static int list_segments(eng_commitlog *cl)
{
    DIR *d = opendir(cl->dir);
    if (!d) {
        log_error("commitlog: cannot list %s: %s", cl->dir, strerror(errno));
        return CF_EIO;
    }
    int rc = 0;
    pthread_mutex_lock(&cl->mu);
    cl->seg_count = 0;
    struct dirent *e;
    uint64_t seq;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (seg_name_seq(e->d_name, &seq))
            rc = seg_push(cl, seq);
    }
    if (cl->seg_count > 1)
        qsort(cl->segs, cl->seg_count, sizeof *cl->segs, cmp_u64);
    pthread_mutex_unlock(&cl->mu);
    closedir(d);
    return rc;
}

/*
 * report_damage -- logs a record replay refuses to pass: where it is, why it
 * is not a torn write, and the operator's way out (invariant (4)).
 */
static void report_damage(const char *path, size_t off, const char *what, int last, size_t next)
{
    if (last)
        log_error("commitlog: corrupt record in %s at offset %zu (%s), and a valid record "
                  "follows at offset %zu: not a torn write",
                  path, off, what, next);
    else
        log_error("commitlog: corrupt record in %s at offset %zu (%s) in a segment that is "
                  "not the last: not a torn write",
                  path, off, what);
    log_error("commitlog: replay stops there rather than drop the acknowledged writes after it. "
              "Keep a copy of the file; to start without the records from offset %zu on, "
              "cut it: truncate -s %zu %s",
              off, off, path);
}

/*
 * eng_commitlog_replay_segment -- feeds every valid record of segment seq to fn, in order,
 * up to the first offset that holds none (a record failing its check, or the
 * zero end marker). What the rest of the file means (invariant (4)):
 *  - in the last segment, only zeros (the preallocated part): the end of
 *    the log, cut off the file;
 *  - in the last segment, bytes in which no valid record starts: the torn
 *    tail of a crash, cut off the file with a warning. It was never
 *    acknowledged (invariant (1)) unless the damage hit the final record
 *    itself, which a torn write cannot be told from. The tail must be cut,
 *    not skipped: the next segment makes this one non-last, and a later
 *    replay would then call the leftover bytes corruption;
 *  - a valid record anywhere after it (eng_log_record_find tries every
 *    offset, since a damaged length says nothing of where the next record
 *    is), or any byte at all in an earlier segment (invariant (3)):
 *    corruption. Replay
 *    returns CF_ECORRUPT and changes nothing: stopping there would silently
 *    drop acknowledged records, skipping the damage would replay a log with
 *    a hole, so the operator decides (report_damage).
 */
int eng_commitlog_replay_segment(const char *path, uint64_t seq, bool last,
                                 int (*fn)(void *arg, eng_clog_pos pos, const uint8_t *rec,
                                           size_t len),
                                 void *arg)
{
    int rc = 0;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        log_error("commitlog: cannot open %s: %s", path, strerror(errno));
        return CF_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = CF_EIO;
        goto out_fd;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *map = NULL;
    if (size > 0) {
        map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
            log_error("commitlog: cannot map %s: %s", path, strerror(errno));
            rc = CF_EIO;
            goto out_fd;
        }
        madvise(map, size, MADV_SEQUENTIAL);
    }
    size_t off = 0;
    int64_t n;
    for (;;) {
        const uint8_t *p;
        uint32_t len;
        n = eng_log_record_parse(seq, map, size, off, &p, &len);
        if (n <= 0)
            break;
        eng_clog_pos pos = {seq, off};
        rc = fn(arg, pos, p, len);
        if (rc != 0)
            goto out_map;
        off += (size_t)n;
    }
    if (off == size)
        goto out_map;
    const char *what = n < 0 ? "it fails its length or CRC32C check" : "a zero length field";
    size_t nonzero = 0;
    for (size_t i = off; i < size; i++)
        nonzero += map[i] != 0;
    size_t next = 0;
    if (!last) { /* it ended exactly at its last record before the next began */
        report_damage(path, off, what, 0, 0);
        rc = CF_ECORRUPT;
        goto out_map;
    }
    rc = nonzero > 0 ? eng_log_record_find(seq, map, size, off + 1, &next) : 0;
    if (rc == 1) {
        report_damage(path, off, what, 1, next);
        rc = CF_ECORRUPT;
        goto out_map;
    }
    if (rc != 0)
        goto out_map;
    if (nonzero == 0)
        log_debug("commitlog: %s ends at offset %zu (zero-filled after)", path, off);
    else
        log_warn("commitlog: torn tail in %s at offset %zu (%s) with no valid record after "
                 "it: cut %zu bytes (%zu not zero)",
                 path, off, what, size - off, nonzero);
    if (ftruncate(fd, (off_t)off) != 0 || fsync(fd) != 0) {
        log_error("commitlog: cannot cut %s: %s", path, strerror(errno));
        rc = CF_EIO;
    }
out_map:
    if (map)
        munmap(map, size);
out_fd:
    close(fd);
    return rc;
}

int eng_commitlog_replay(eng_commitlog *cl,
                         int (*fn)(void *arg, eng_clog_pos pos, const uint8_t *rec, size_t len),
                         void *arg)
{
    pthread_mutex_lock(&cl->mu);
    int rc = cl->state == CLOG_OPEN ? 0 : cl->state == CLOG_FAILED ? cl->fail_rc : CF_EINVAL;
    pthread_mutex_unlock(&cl->mu);
    if (rc != 0)
        return rc;
    rc = list_segments(cl);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&cl->mu);
    /* Old segments stay immutable: new records start a fresh one. Every
     * position replay hands out is below it, so sync_wait() on a replayed
     * record (a flush during replay) returns 0 at once. */
    uint64_t next = cl->seg_count ? cl->segs[cl->seg_count - 1] + 1 : 1;
    if (next < cl->min_seq)
        next = cl->min_seq;
    cl->tail.seg = next;
    cl->tail.off = 0;
    cl->durable = cl->tail;
    cl->fd_seg = next;
    atomic_store_explicit(&cl->hint_seg, next, memory_order_relaxed);
    atomic_store_explicit(&cl->hint_off, 0, memory_order_relaxed);
    clog_check(cl);
    pthread_mutex_unlock(&cl->mu);
    /* While OPEN nothing else changes the list: release() is a no-op. */
    for (size_t i = 0; rc == 0 && i < cl->seg_count; i++) {
        char path[PATH_MAX];
        seg_path(cl, cl->segs[i], path);
        rc = eng_commitlog_replay_segment(path, cl->segs[i], i + 1 == cl->seg_count, fn, arg);
    }
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&cl->mu);
    cl->state = CLOG_REPLAYED;
    pthread_mutex_unlock(&cl->mu);
    return 0;
}
