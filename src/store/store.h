/*
 * store.h -- buckets, objects, blobs, listing and users on top of the engine.
 * The public header of the store layer; the s3 layer is its only caller.
 *
 * Data model (../shared/DESIGN.md, "The data model"): tables buckets, users,
 * objects ((bucket, shard) -> key), blob_refs, chunks ((blob id, partition)
 * -> chunk number). A blob's byte o is in partition o / 64 MiB, chunk
 * (o % 64 MiB) / 128 KiB: readers compute chunk keys, never look them up.
 * Every chunk carries its CRC32C, verified on every read.
 *
 * Invariants:
 *  (1) every PUT writes a new blob; the object row is switched to it only
 *      after all its chunks are durable (the last chunk rides in the same
 *      atomic batch as the row), so a reader never sees a partial object,
 *      and a crash mid-PUT leaves an orphan blob, never a torn object.
 *  (2) a blob is deleted (its chunk partitions tombstoned) only when its last
 *      blob_refs row goes; a whole-object copy adds a reference, copying no
 *      chunk.
 *  (3) conditional writes (if-none-match *, if-match etag) check and switch
 *      under the same per-key lock, so two writers cannot both succeed.
 *  (4) memory per reader or writer is one chunk, whatever the object size.
 *
 * Errors: CF_ENOTFOUND (no such bucket/key/user), CF_EEXIST (bucket exists;
 * if-none-match failed), CF_ENOTEMPTY (bucket not empty), CF_ECONFLICT
 * (precondition failed: if-match mismatch), CF_ECORRUPT (chunk checksum),
 * CF_EINVAL (bad name or argument), CF_ELIMIT (too large), CF_EIO.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/slice.h"

#define STORE_CHUNK_BYTES (128u * 1024)
#define STORE_PARTITION_BYTES (64u * 1024 * 1024)
#define STORE_MAX_KEY_BYTES 1024
#define STORE_MAX_META_BYTES 2048
#define STORE_MAX_OBJECT_BYTES (5ull << 40)

typedef struct store store;

/*
 * store_open -- opens the store's tables in db (creating them). Caller frees
 * with store_close(); db must outlive the store.
 */
int store_open(eng_db *db, store **out);
/* store_close -- NULL is a no-op. REQUIRES: no writer or reader of s is open. */
void store_close(store *s);

/* ---- users ---- */

typedef struct store_user {
    char access_key[129];
    char secret_key[129];
    char display_name[129];
    bool admin;
} store_user;

/* store_user_put -- creates or replaces u. CF_EINVAL if the access key or
 * secret is empty or a field is not NUL-terminated within its array. */
int store_user_put(store *s, const store_user *u);
int store_user_get(store *s, cf_slice access_key, store_user *out);
/* store_user_delete -- CF_ENOTFOUND if there is no such user. */
int store_user_delete(store *s, cf_slice access_key);
/* store_user_list -- calls fn for every user, in access key order; fn's non-zero return stops and is returned. */
int store_user_list(store *s, int (*fn)(void *arg, const store_user *u), void *arg);

/* ---- buckets ---- */

typedef struct store_bucket {
    char name[64];
    char owner[129];   /* access key of the creator */
    int64_t created_us;
} store_bucket;

/* store_bucket_name_valid -- S3's bucket naming rules (3-63 chars, lowercase, digits, '.', '-', ...). */
bool store_bucket_name_valid(cf_slice name);

/* store_bucket_create -- CF_EINVAL bad name (or owner over 128 bytes), CF_EEXIST if it exists
 * (out gets the existing one). out may be NULL. */
int store_bucket_create(store *s, cf_slice name, cf_slice owner, store_bucket *out);
int store_bucket_get(store *s, cf_slice name, store_bucket *out);
/* store_bucket_delete -- CF_ENOTFOUND, CF_ENOTEMPTY if any object remains. */
int store_bucket_delete(store *s, cf_slice name);
/* store_bucket_list -- every bucket in name order (all owners; the caller filters). */
int store_bucket_list(store *s, int (*fn)(void *arg, const store_bucket *b), void *arg);

/* ---- objects ---- */

/* What is stored about an object; the s3 layer fills it at PUT. */
typedef struct store_meta {
    uint64_t size;
    char etag[80];          /* without quotes: md5 hex, or md5-of-md5s "-N" */
    int64_t mtime_us;
    char content_type[256];
    /* other headers kept verbatim as "name: value\n" lines (Content-Encoding,
     * Content-Disposition, Cache-Control, Content-Language, Expires,
     * x-amz-meta-*, x-amz-checksum-*, x-amz-tagging as a query string) */
    char headers[STORE_MAX_META_BYTES + 1024];
    uint8_t blob_id[16];    /* set by the store */
    /* The blob's layout, set by the store (DESIGN: every blob records its own
     * chunk size and chunks per partition); 0 in a hand-made meta means the
     * defaults STORE_CHUNK_BYTES and STORE_PARTITION_BYTES / STORE_CHUNK_BYTES. */
    uint32_t chunk_bytes;
    uint32_t partition_chunks;
} store_meta;

typedef struct store_writer store_writer;

/*
 * store_put_begin -- starts writing a new blob for bucket/key (the bucket
 * must exist: CF_ENOTFOUND; an empty key is CF_EINVAL, one over
 * STORE_MAX_KEY_BYTES CF_ELIMIT). Bytes go in with store_put_write in any
 * sizes; chunks are written as they fill. Caller ends with commit or abort.
 */
int store_put_begin(store *s, cf_slice bucket, cf_slice key, store_writer **out);
/* store_put_write -- CF_ELIMIT past STORE_MAX_OBJECT_BYTES; a failure is
 * sticky: later writes and the commit return it (the caller still commits
 * or aborts to free w). */
int store_put_write(store_writer *w, const void *p, size_t len);
/* store_put_size -- bytes written so far. */
uint64_t store_put_size(const store_writer *w);

/* Conditions of a write or delete. */
typedef struct store_cond {
    bool if_none_match_any; /* fail with CF_EEXIST if the key exists */
    const char *if_match;   /* fail with CF_ECONFLICT unless the current etag equals it
                               (CF_ENOTFOUND if there is no object); "*" matches any
                               etag, and one pair of surrounding quotes is ignored */
} store_cond;

/*
 * store_put_commit -- makes the blob durable, then (under the key lock,
 * checking cond) switches the object row to it (invariant (1), (3)); the
 * previous blob loses its reference. meta->size must equal the bytes
 * written (else CF_EINVAL, as for a string field not NUL-terminated in its
 * array); meta->blob_id and the layout fields are set, and mtime_us if it
 * was 0. CF_ENOTFOUND if the bucket is gone. Frees w in every case; on
 * failure the new blob is removed. cond may be NULL.
 */
int store_put_commit(store_writer *w, store_meta *meta, const store_cond *cond);
/* store_put_abort -- discards the blob and frees w. NULL is a no-op. */
void store_put_abort(store_writer *w);

/* store_head -- the object's metadata. CF_ENOTFOUND for a missing bucket or key. */
int store_head(store *s, cf_slice bucket, cf_slice key, store_meta *out);

/*
 * Reading: store_read_open over [off, off + len) of the blob in meta (from
 * store_head; CF_EINVAL if the range is not inside the object); each
 * store_read_next gives the next piece (at most one chunk, verified against
 * its CRC32C: CF_ECORRUPT otherwise), valid until the next call; returns 1
 * with a piece, 0 at the end. CF_ENOTFOUND if the object was replaced or
 * deleted (and its blob dropped) between store_head and store_read_open; a
 * replacement after the open does not disturb the reader, which keeps the
 * old blob alive until store_read_close. Errors are sticky.
 */
typedef struct store_reader store_reader;
int store_read_open(store *s, const store_meta *meta, uint64_t off, uint64_t len,
                    store_reader **out);
int store_read_next(store_reader *r, const uint8_t **p, size_t *len);

/*
 * A piece of a blob: bytes in memory (fd < 0), or a range of an immutable
 * SSTable file (fd >= 0, p NULL) whose chunk the store has verified
 * against its CRC32C through a read-only mapping of the page cache, so the
 * caller can sendfile() it without the bytes passing through user memory.
 * Both are valid until the next call on the reader.
 */
typedef struct store_piece {
    const uint8_t *p;
    size_t len;
    int fd;
    uint64_t file_off;
} store_piece;

/* store_read_piece -- store_read_next, but a piece on disk is not copied. 1, 0 or < 0 as above. */
int store_read_piece(store_reader *r, store_piece *out);

void store_read_close(store_reader *r);

/* store_delete -- removes the object (checking cond.if_match; cond may be NULL); deleting a
 * missing key is 0 (CF_ENOTFOUND with if_match, or if the bucket does not exist). */
int store_delete(store *s, cf_slice bucket, cf_slice key, const store_cond *cond);

/*
 * store_copy -- dst gets src's blob (a new reference, no bytes copied) with
 * meta *meta if not NULL (its blob_id, size and layout are taken from src),
 * else src's metadata. mtime_us is meta's if set, else the time of the copy.
 * out (which may be meta) receives the new object's metadata. src == dst
 * replaces the metadata only. CF_ENOTFOUND if src or dst's bucket is missing.
 */
int store_copy(store *s, cf_slice src_bucket, cf_slice src_key, cf_slice dst_bucket,
               cf_slice dst_key, const store_meta *meta, store_meta *out);

/* store_set_headers -- replaces the object's verbatim headers (tagging updates); the
 * blob, etag and mtime stay. CF_ENOTFOUND, CF_ELIMIT if headers do not fit. */
int store_set_headers(store *s, cf_slice bucket, cf_slice key, const char *headers);

/* ---- listing ---- */

typedef struct store_list_req {
    cf_slice prefix;
    cf_slice delimiter;   /* empty: none */
    cf_slice start_after; /* list keys strictly after this (marker / start-after / token) */
    uint32_t max_keys;    /* 0..1000 */
} store_list_req;

/* Listing callbacks: the slices and meta are valid during the call only. */
typedef struct store_list_cb {
    void *arg;
    /* object -- one key with its metadata, in key order */
    int (*object)(void *arg, cf_slice key, const store_meta *m);
    /* prefix -- one common prefix (delimiter folding), in key order */
    int (*prefix)(void *arg, cf_slice prefix);
} store_list_cb;

/*
 * store_list -- keys of bucket after start_after with prefix, folding keys
 * that contain the delimiter after the prefix into common prefixes (each
 * counted once toward max_keys, and skipped past with one seek). A common
 * prefix is returned only if it sorts after start_after, so a page that
 * ended on one resumes past all its keys. Sets *truncated (more entries
 * remain; with max_keys 0: any entry exists) and *next (the last key or
 * prefix returned, for the next page). Cost is proportional to the page,
 * not the bucket. CF_ENOTFOUND no bucket, CF_EINVAL max_keys > 1000; a
 * callback's non-zero return stops the listing and is returned.
 */
int store_list(store *s, cf_slice bucket, const store_list_req *req, const store_list_cb *cb,
               bool *truncated, cf_buf *next);

/* ---- statistics ---- */

/* Counters since store_open, for metrics and for tests that prove costs. */
typedef struct store_stats {
    uint64_t list_rows;      /* engine rows visited by store_list */
    uint64_t list_seeks;     /* iterators store_list opened (one per page + one per skip) */
    uint64_t chunks_written; /* chunk rows written by writers (or staged in a commit batch) */
    uint64_t chunks_read;    /* chunk rows read (and verified) by readers */
    uint64_t blobs_dropped;  /* blobs whose chunk partitions were tombstoned */
} store_stats;

void store_stats_get(store *s, store_stats *out);

#endif
