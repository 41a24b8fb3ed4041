/*
 * commitlog.h -- the segmented write-ahead log with group commit.
 *
 * Every mutation batch is appended here before it is applied, and its writer
 * is acknowledged only when the record is durable. One syncer thread writes
 * whatever appenders have buffered and covers all of it with one fdatasync
 * (group commit), so N writers waiting together cost one fsync.
 *
 * Files: <dir>/CL-<seq:016x>.log, one per segment, record framing as in
 * log_format.h / doc/formats.md ("Log record").
 *
 * State machine of the log:
 *
 *     OPEN --replay()--> REPLAYED --append()/sync_wait()--> (same)
 *       |                   |
 *       +-------------------+-- write/fsync fails --> FAILED (sticky: every
 *                                                     call returns the error
 *                                                     that failed it)
 *     any state --close()--> freed
 *
 * Invariants:
 *  (1) sync_wait(pos) returns 0 only after an fdatasync that covered the
 *      record at pos (and everything before it) returned 0.
 *  (2) positions are totally ordered (seg, then off) and increase in append
 *      order; a record never spans segments.
 *  (3) a segment is written only after every earlier segment is fully durable,
 *      so after a crash a torn record can only be in the last segment.
 *  (4) replay yields every record that was durable at the crash, in order,
 *      and never one after an invalid record. An invalid record of the last
 *      segment after which no valid record starts at any offset is the torn
 *      tail, which is cut; an invalid record followed by a valid one, or in
 *      an earlier segment, is corruption: replay returns CF_ECORRUPT, logs
 *      the file, the offset and the way out (cut the file there), and leaves
 *      the file as it was (doc/formats.md, "Commitlog segments").
 *  (5) after a write or fsync error the log is FAILED; fsync is never retried.
 *      The error it answers from then on is the one that failed it:
 *      CF_ENOSPC if the device was full (the client must learn that, not
 *      see a generic fault), else CF_EIO. Only a restart (replay) clears it.
 *      A failed zero-fill is not such an error (commitlog.c (9)).
 */
#ifndef ENG_COMMITLOG_H
#define ENG_COMMITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct eng_commitlog eng_commitlog;

typedef struct eng_clog_pos {
    uint64_t seg; /* segment sequence number */
    uint64_t off; /* byte offset of the record in the segment */
} eng_clog_pos;

static inline int eng_clog_pos_cmp(eng_clog_pos a, eng_clog_pos b)
{
    if (a.seg != b.seg)
        return a.seg < b.seg ? -1 : 1;
    return (a.off > b.off) - (a.off < b.off);
}

typedef struct eng_commitlog_opts {
    uint64_t segment_bytes;    /* target segment size; a larger record gets its own segment */
    int sync;                  /* 1: fdatasync before acknowledging (the default); 0: never */
    uint64_t fail_after_bytes; /* tests: record writes fail with EIO past this many bytes;
                                  0 = never */
    uint64_t min_seq;          /* new segments get a seq >= this: the caller passes one past
                                  every position it has recorded, so positions never repeat
                                  even when every segment file was released */
} eng_commitlog_opts;

typedef struct eng_commitlog_stats {
    uint64_t bytes_written; /* record bytes written to segment files */
    uint64_t syncs;         /* fdatasync calls */
    uint64_t records;       /* records appended since open */
    uint64_t segments;      /* segment files currently on disk */
} eng_commitlog_stats;

/*
 * eng_commitlog_open -- opens (creating dir if needed) the log in dir.
 * Caller frees with eng_commitlog_close(). Appends are refused until
 * eng_commitlog_replay() has run once.
 */
int eng_commitlog_open(const char *dir, const eng_commitlog_opts *o, eng_commitlog **out);

/*
 * eng_commitlog_replay -- calls fn(arg, pos, rec, len) for every durable
 * record in order (invariant (4)). rec is valid only during the call. A
 * non-zero return from fn stops replay and is returned. Afterwards new
 * records go to a fresh segment.
 */
int eng_commitlog_replay(eng_commitlog *cl,
                         int (*fn)(void *arg, eng_clog_pos pos, const uint8_t *rec, size_t len),
                         void *arg);

/*
 * eng_commitlog_replay_segment -- replays the one segment file at path,
 * whose sequence number is seq, as eng_commitlog_replay() replays each of
 * its segments: fn(arg, pos, rec, len) for every valid record in order
 * (rec valid only during the call; a non-zero return stops and is
 * returned); then, if last, the rest of the file, the torn tail, is cut
 * (truncated and fsynced; CF_EIO if that fails) unless a valid record
 * starts anywhere in it (damage, not a torn write: CF_ECORRUPT, nothing
 * cut); if not last, any rest is CF_ECORRUPT (invariant (4)). For eng_commitlog_replay() and for feeding a single file
 * to replay without a log around it (the engine_commitlog fuzz target).
 */
int eng_commitlog_replay_segment(const char *path, uint64_t seq, bool last,
                                 int (*fn)(void *arg, eng_clog_pos pos, const uint8_t *rec,
                                           size_t len),
                                 void *arg);

/*
 * eng_commitlog_append -- copies the record rec[0..len) into the log buffer
 * and returns its position in *pos. Not yet durable: call sync_wait(). Thread
 * safe. The failure (CF_ENOSPC or CF_EIO) if FAILED, CF_ELIMIT if len exceeds
 * ENG_CLOG_MAX_RECORD_BYTES, CF_EINVAL if len is 0 or replay() has not run.
 */
int eng_commitlog_append(eng_commitlog *cl, const uint8_t *rec, size_t len, eng_clog_pos *pos);

/*
 * eng_commitlog_sync_wait -- blocks until the record at pos is durable
 * (invariant (1)). 0, or the failure (CF_ENOSPC or CF_EIO) if the log FAILED
 * before covering pos.
 * A record handed out by replay() is durable: 0 at once, even during replay.
 * CF_EINVAL if nothing was ever appended at pos.
 */
int eng_commitlog_sync_wait(eng_commitlog *cl, eng_clog_pos pos);

/*
 * eng_commitlog_next_pos -- the position the next appended record will have
 * at least (records appended later compare greater or equal).
 */
eng_clog_pos eng_commitlog_next_pos(eng_commitlog *cl);

/* eng_commitlog_status -- 0, or the error that FAILED the log (invariant (5)). */
int eng_commitlog_status(eng_commitlog *cl);

/*
 * eng_commitlog_release -- every record before upto is no longer needed
 * (flushed); segments wholly before upto are deleted. A no-op until replay()
 * has finished.
 */
void eng_commitlog_release(eng_commitlog *cl, eng_clog_pos upto);

void eng_commitlog_stats_get(eng_commitlog *cl, eng_commitlog_stats *out);

/* eng_commitlog_close -- syncs what is buffered, stops the syncer, frees. NULL is a no-op. */
void eng_commitlog_close(eng_commitlog *cl);

#endif
