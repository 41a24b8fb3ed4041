/*
 * engine_commitlog_fuzz.c -- libFuzzer target for commitlog replay
 * (commitlog.c replay, log_format.c framing) and the batch records it
 * carries (batch.c, entry.c).
 *
 * The input is written as segment CL-0000000000000001.log in the scratch
 * directory (engine_files.h) and replayed by eng_commitlog_replay_segment(),
 * which eng_commitlog_replay() runs on each segment at every database open
 * (going through eng_commitlog_open() as well would only add its syncer
 * thread, whose start and join cost ~300 us a run on these hosts, and a
 * directory listing the input does not affect). The callback checks each
 * record: positions follow each other with no gap (seg 1, off = the
 * previous off + 8 + len), 1 <= len <= the record limit, and the payload
 * decodes as a batch record (eng_batch_iter_*, as the engine's replay does)
 * to entries whose slices lie inside the record and whose ts is the
 * batch's, ending in 0 or CF_ECORRUPT. Then:
 *   - as the last segment, replay either returns 0 and leaves the file cut
 *     exactly after the last record it delivered (the torn tail, invariant
 *     (4)), or, exactly when a valid record starts somewhere after the first
 *     bad byte (eng_log_record_find), returns CF_ECORRUPT and leaves the
 *     file alone (damage, not a torn write);
 *   - as an earlier segment, replay delivers the same records, leaves the
 *     file alone and returns CF_ECORRUPT exactly when the first run cut
 *     something, else 0.
 * Each input runs as given, then, if it changes anything, with every
 * record's crc recomputed for segment 1 (fuzz_log_fix_crcs), so mutated
 * payloads reach the batch decoder; the earlier-segment run uses the
 * fixed-up bytes.
 *
 * Seeds (fuzz/corpus/engine_commitlog/): the first and the last segment of
 * the database fuzz/seed_engine.sh has the engine write (4 KiB segments;
 * the last ends in its zero-filled tail; records after the first segment
 * only replay through the crc fix-up, their crcs being for their own
 * segment number), and inputs fuzzing found.
 *
 * Sources (fuzz/run.sh reads this line):
 * FUZZ_SRCS: src/engine/[a-z]*.c src/util/[a-z]*.c fuzz/engine_files.c
 */
#include "engine/batch.h"
#include "engine/commitlog.h"
#include "engine/log_format.h"
#include "engine_files.h"
#include "util/coding.h"
#include "util/crc.h"
#include "util/log.h"

typedef struct replayed {
    uint64_t records;
    uint64_t end_off; /* just past the last record */
    uint32_t digest;  /* crc32c over every position and payload */
} replayed;

static bool inside(cf_slice s, const uint8_t *rec, size_t len)
{
    return s.len == 0 || (s.ptr >= rec && s.len <= len && s.ptr - rec <= (ptrdiff_t)(len - s.len));
}

static int check_record(void *arg, eng_clog_pos pos, const uint8_t *rec, size_t len)
{
    replayed *r = arg;
    fuzz_require(pos.seg == 1 && pos.off == r->end_off);
    fuzz_require(len >= 1 && len <= ENG_CLOG_MAX_RECORD_BYTES);
    uint8_t at[16];
    put_u64(at, pos.off);
    put_u64(at + 8, len);
    r->digest = crc32c_extend(crc32c_extend(r->digest, at, sizeof at), rec, len);
    r->records++;
    r->end_off = pos.off + ENG_LOG_HEADER_BYTES + len;

    eng_batch_iter it;
    int rc = eng_batch_iter_init(&it, rec, len);
    fuzz_require(rc == 0 || rc == CF_ECORRUPT);
    uint32_t id;
    eng_entry e;
    while (rc == 0 && (rc = eng_batch_iter_next(&it, &id, &e)) == 1) {
        fuzz_require(e.key.sec <= ENG_SEC_ROW && e.ts == it.ts);
        fuzz_require(inside(e.key.pk, rec, len) && inside(e.key.ck, rec, len) &&
                     inside(e.key.col, rec, len) && inside(e.value, rec, len));
        rc = 0;
    }
    fuzz_require(rc == 0 || rc == CF_ECORRUPT);
    return 0;
}

static void run(const uint8_t *data, size_t size, bool also_earlier)
{
    char path[4096];
    fuzz_path(path, sizeof path, "CL-0000000000000001.log");
    fuzz_file_put(path, data, size);
    replayed last = {0}, earlier = {0};
    int rc = eng_commitlog_replay_segment(path, 1, true, check_record, &last);
    size_t next;
    bool valid_after = size > last.end_off &&
                       eng_log_record_find(1, data, size, (size_t)last.end_off + 1, &next) == 1;
    if (valid_after) { /* damage followed by a record: refused, nothing cut */
        fuzz_require(rc == CF_ECORRUPT);
        fuzz_require(fuzz_file_size(path) == (long long)size);
    } else {
        fuzz_require(rc == 0);
        fuzz_require(fuzz_file_size(path) == (long long)last.end_off); /* the torn tail was cut */
    }
    if (also_earlier) {
        fuzz_file_put(path, data, size);
        rc = eng_commitlog_replay_segment(path, 1, false, check_record, &earlier);
        fuzz_require(rc == (size > last.end_off ? CF_ECORRUPT : 0));
        fuzz_require(earlier.records == last.records && earlier.digest == last.digest);
        fuzz_require(fuzz_file_size(path) == (long long)size); /* never cut */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *fixed = fuzz_copy(data, size);
    bool changed = fuzz_log_fix_crcs(1, fixed, size);
    if (changed)
        run(data, size, false);
    run(fixed, size, true);
    return 0;
}
