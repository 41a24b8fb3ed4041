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
 * Crash recovery: a crash mid-write leaves an orphan blob (never a torn
 * object); store_sweep at the next start drops it.
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
    bool disabled; /* its signatures are refused; the row and its buckets stay */
} store_user;

#define STORE_USER_ACCESS_KEY_LEN 20 /* a generated key: "CF" + 18 of [A-Z2-7] */
#define STORE_USER_SECRET_LEN 40     /* a generated secret: 40 of [A-Za-z0-9+/] */

/* store_user_put -- creates or replaces u. CF_EINVAL if the access key or
 * secret is empty or a field is not NUL-terminated within its array. */
int store_user_put(store *s, const store_user *u);
/* store_user_create -- a new user: an empty access_key or secret_key is generated (and
 * written back into u), an empty display name becomes the access key. CF_EEXIST if the
 * key exists, CF_EINVAL if it is not 3-128 of [A-Za-z0-9._-]. */
int store_user_create(store *s, store_user *u);
/* store_user_edit_fn -- changes *u in place; a non-zero return cancels the update and is returned. */
typedef int (*store_user_edit_fn)(void *arg, store_user *u);
/* store_user_update -- reads the user, lets edit change it, writes it back, all under one
 * lock; the result into out (may be NULL). CF_ENOTFOUND, or edit's error. */
int store_user_update(store *s, cf_slice access_key, store_user_edit_fn edit, void *arg,
                      store_user *out);
/* store_user_new_secret / store_user_new_access_key -- random credentials from getrandom(2). */
int store_user_new_secret(char out[STORE_USER_SECRET_LEN + 1]);
int store_user_new_access_key(char out[STORE_USER_ACCESS_KEY_LEN + 1]);
bool store_user_access_key_valid(cf_slice key);
int store_user_get(store *s, cf_slice access_key, store_user *out);
/* store_user_delete -- CF_ENOTFOUND if there is no such user. */
int store_user_delete(store *s, cf_slice access_key);
/* store_user_list -- calls fn for every user, in access key order; fn's non-zero return stops and is returned. */
int store_user_list(store *s, int (*fn)(void *arg, const store_user *u), void *arg);

/* ---- buckets ---- */

/*
 * A bucket's access settings are attributes the s3 layer defines and the
 * store keeps opaquely, each a cell of the bucket row (doc/formats.md,
 * "Store rows"): its ACL, Object Ownership, public access block and policy.
 * An absent attribute is the s3 layer's default.
 */
#define STORE_BUCKET_ACL "acl"       /* encoded ACL (s3/acl.h), at most STORE_MAX_ACL_BYTES */
#define STORE_BUCKET_OWNERSHIP "own" /* "BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter" */
#define STORE_BUCKET_BLOCK "pab"     /* public access block: four '0'/'1' flags */
#define STORE_BUCKET_POLICY "policy" /* the policy document as sent (JSON), at most 20 KiB */
#define STORE_BUCKET_CORS "cors"     /* CORS rules, encoded by s3/cors.h, at most STORE_MAX_CORS_BYTES */
#define STORE_BUCKET_CDC_SINK "cdcsink" /* where the change log is forwarded (s3/cdc_sink.c), JSON */
#define STORE_BUCKET_CDC_SINK_POS "cdcsinkpos" /* how far it was forwarded (s3/cdc_sink.c) */
#define STORE_MAX_CDC_SINK_BYTES 2048    /* a sink: endpoint, bucket, prefix <= 512, two keys */
#define STORE_MAX_CDC_SINK_POS_BYTES 64  /* "<sink id> <window start> <offset>" */
#define STORE_MAX_ACL_BYTES 4096
#define STORE_MAX_ATTR_BYTES 20480
#define STORE_MAX_CORS_BYTES 65536 /* S3 takes a CORS body of at most 64 KiB */

/* A bucket's change log settings (store.h "change data capture"). */
typedef struct store_cdc_config {
    bool enabled;         /* off by default */
    uint32_t window_s;    /* STORE_CDC_MIN_WINDOW_S ..= STORE_CDC_MAX_WINDOW_S (default 60) */
    uint32_t retention_s; /* window_s ..= STORE_CDC_MAX_RETENTION_S (default 7 days) */
} store_cdc_config;

#define STORE_CDC_DEFAULT_WINDOW_S 60u
#define STORE_CDC_DEFAULT_RETENTION_S (7u * 86400)
#define STORE_CDC_MIN_WINDOW_S 1u
#define STORE_CDC_MAX_WINDOW_S 86400u
#define STORE_CDC_MAX_RETENTION_S (3660u * 86400)

typedef struct store_bucket {
    char name[64];
    char owner[129];   /* access key of the creator */
    int64_t created_us;
    char acl[STORE_MAX_ACL_BYTES + 1]; /* "" when absent */
    char ownership[32];                /* "" when absent */
    char block[8];                     /* "" when absent */
    /* when the policy was last set (microseconds, strictly increasing per
     * bucket): with name and created_us a key for a cache of parsed
     * policies; 0 when the bucket has no policy */
    int64_t policy_us;
    bool has_cors; /* a CORS configuration is set (read by store_bucket_cors) */
    bool has_cdc_sink; /* a change-log sink is set (read by store_bucket_attr) */
    store_cdc_config cdc; /* its change log settings (the defaults, off, if never set) */
} store_bucket;

/* A bucket attribute to set (value.ptr non-NULL) or remove (value.ptr NULL). */
typedef struct store_attr {
    const char *name; /* STORE_BUCKET_* */
    cf_slice value;
} store_attr;

/* store_bucket_name_valid -- S3's bucket naming rules (3-63 chars, lowercase, digits, '.', '-', ...). */
bool store_bucket_name_valid(cf_slice name);

/* store_bucket_create -- a new bucket with n initial attributes (attrs may be NULL if n is 0),
 * all in one write. CF_EINVAL bad name (or owner over 128 bytes, an unknown or oversized
 * attribute), CF_EEXIST if it exists (out gets the existing one). out may be NULL. */
int store_bucket_create(store *s, cf_slice name, cf_slice owner, const store_attr *attrs,
                        size_t n, store_bucket *out);
/* store_bucket_get -- the bucket row (its policy text is read by store_bucket_policy). */
int store_bucket_get(store *s, cf_slice name, store_bucket *out);
/* store_bucket_set -- sets or removes n attributes of the bucket in one write (setting or
 * removing the policy also advances policy_us). CF_ENOTFOUND, CF_EINVAL as above. */
int store_bucket_set(store *s, cf_slice name, const store_attr *attrs, size_t n);
/* store_bucket_attr -- the bucket's attribute name (STORE_BUCKET_*) into out (cleared
 * first); CF_ENOTFOUND if the bucket or the attribute does not exist. */
int store_bucket_attr(store *s, cf_slice bucket, const char *name, cf_buf *out);
/* store_bucket_policy -- the bucket's policy document into out (cleared first); CF_ENOTFOUND
 * if the bucket or its policy does not exist. */
int store_bucket_policy(store *s, cf_slice name, cf_buf *out);
/* store_bucket_cors -- the bucket's CORS attribute into out (cleared first); CF_ENOTFOUND
 * if the bucket or its CORS configuration does not exist. */
int store_bucket_cors(store *s, cf_slice name, cf_buf *out);
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
    /* 0: the object is the blob above. N > 0: a multipart object of N parts,
     * and blob_id is its layout (the upload id), whose parts are found in
     * order of offset (store_read_open, store_part_find). */
    uint32_t parts;
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

/*
 * Who made a change: written into the change log's record of it (cdc.c).
 * Every field may be NULL (then null in the record).
 */
typedef struct store_origin {
    const char *op;         /* the S3 operation: "PutObject", "DeleteObjects", ... */
    const char *access_key; /* the signer; NULL or "" when anonymous */
    const char *request_id;
} store_origin;

/* Conditions of a write or delete, and who asks for it. */
typedef struct store_cond {
    const store_origin *origin; /* for the change log; may be NULL */
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
               cf_slice dst_key, const store_meta *meta, const store_cond *cond, store_meta *out);

/* store_set_headers -- replaces the object's verbatim headers (tagging and ACL updates);
 * the blob, etag and mtime stay. CF_ENOTFOUND, CF_ELIMIT if headers do not fit, cond's
 * failures as store_put_commit (cond may be NULL). */
int store_set_headers(store *s, cf_slice bucket, cf_slice key, const char *headers,
                      const store_cond *cond);

/* ---- multipart uploads (upload.c, complete.c, layout.c) ---- */

#define STORE_UPLOAD_ID_BYTES 16u
#define STORE_MAX_PARTS 10000u

/* A part: of an upload in progress (table parts), or of a completed object. */
typedef struct store_part {
    uint32_t number;       /* 1 ..= STORE_MAX_PARTS */
    uint64_t size;
    uint64_t offset;       /* of a completed object: where the part starts in it; else 0 */
    int64_t mtime_us;
    char etag[40];         /* MD5 hex of the part's bytes, no quotes */
    uint8_t checksum[32];  /* the upload's checksum of the part (raw digest), or none */
    uint8_t checksum_len;  /* 0: none */
    uint8_t blob_id[16];   /* set by the store */
    uint32_t chunk_bytes, partition_chunks;
} store_part;

/*
 * store_upload_create -- starts a multipart upload of bucket/key whose
 * object will get m's content type and headers; mtime_us (the initiation
 * time) is set if 0. The id is time-ordered: later uploads of a key sort
 * after earlier ones. CF_ENOTFOUND no bucket; key errors as store_put_begin.
 */
int store_upload_create(store *s, cf_slice bucket, cf_slice key, store_meta *m, uint8_t *upload_id);

/* store_upload_get -- the upload's meta; CF_ENOTFOUND if there is no such upload of bucket/key. */
int store_upload_get(store *s, cf_slice bucket, cf_slice key, const uint8_t *upload_id,
                     store_meta *out);

/*
 * store_part_commit -- makes w's blob (begun with store_put_begin on the
 * upload's bucket/key) part p->number of the upload, replacing a previous
 * part of that number (whose blob is released). p's number, etag and
 * checksum are the caller's; size must equal the bytes written (CF_EINVAL);
 * blob id, layout and mtime are set. CF_ENOTFOUND if the upload is gone
 * (completed or aborted meanwhile). Frees w in every case.
 */
int store_part_commit(store_writer *w, const uint8_t *upload_id, store_part *p);

/*
 * store_part_share -- makes the blob of the single-blob object *src part
 * p->number of the upload without copying a byte (a new reference), as
 * store_part_commit does for a written blob; p->size must be src's size.
 * CF_EINVAL if src is multipart; CF_ENOTFOUND if src or the upload is gone.
 */
int store_part_share(store *s, cf_slice bucket, cf_slice key, const uint8_t *upload_id,
                     cf_slice src_bucket, cf_slice src_key, store_part *p);

/*
 * store_parts_list -- calls fn for the upload's parts numbered after
 * `after`, in number order, at most max (<= 1000) of them; *truncated if
 * more remain. fn's non-zero return stops and is returned.
 */
int store_parts_list(store *s, const uint8_t *upload_id, uint32_t after, uint32_t max,
                     int (*fn)(void *arg, const store_part *p), void *arg, bool *truncated);

/* store_upload_abort -- removes the upload and releases its parts' blobs. CF_ENOTFOUND. */
int store_upload_abort(store *s, cf_slice bucket, cf_slice key, const uint8_t *upload_id);

/*
 * Completing an upload. The caller names the parts (numbers strictly
 * ascending, checked: CF_EINVAL) and judges each one: part() gets the i-th
 * requested part as stored, or NULL if there is no such part, with the
 * upload's meta; a non-zero return abandons the completion and is
 * returned (so the caller's checks: ETag, checksum, minimum size). Then
 * finish() fills the new object's etag and checksum headers in m (which
 * holds the upload's content type and headers, size and parts). Both run
 * under the key's lock, on parts that cannot change meanwhile.
 */
typedef struct store_complete {
    const uint32_t *numbers; /* n part numbers, 1 ..= STORE_MAX_PARTS parts */
    size_t n;
    const store_cond *cond;  /* on the object being replaced; may be NULL */
    void *arg;
    int (*part)(void *arg, size_t i, const store_part *p, const store_meta *upload);
    int (*finish)(void *arg, store_meta *m);
} store_complete;

/*
 * store_upload_complete -- makes the upload the object bucket/key: writes
 * the layout (one object_parts row per part) and the object row in one
 * batch with the removal of the upload; no chunk is copied. Parts not named
 * are released. out gets the object's meta. CF_ENOTFOUND no such upload
 * (unless it was completed into the current object already: then 0 and out
 * is that object, so a retried completion succeeds), CF_ELIMIT over
 * STORE_MAX_OBJECT_BYTES, cond failures as store_put_commit, or part() or
 * finish()'s code.
 */
int store_upload_complete(store *s, cf_slice bucket, cf_slice key, const uint8_t *upload_id,
                          const store_complete *c, store_meta *out);

/*
 * store_part_find -- part number of the multipart object m (its offset
 * within the object set). CF_ENOTFOUND if the object has no such part (or
 * was deleted since m was read). A single-blob object is part 1.
 */
int store_part_find(store *s, const store_meta *m, uint32_t number, store_part *out);

/*
 * store_uploads_expire -- aborts every upload begun before before_us;
 * *aborted (may be NULL) counts them.
 */
int store_uploads_expire(store *s, int64_t before_us, uint64_t *aborted);

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
    /* upload -- store_list_uploads: one upload in progress, in (key, id) order */
    int (*upload)(void *arg, cf_slice key, const uint8_t *upload_id, const store_meta *m);
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

/*
 * store_list_uploads -- store_list over the uploads in progress: each upload
 * is an entry (cb->upload), ordered by key, then by initiation. With
 * after_id (may be NULL) the listing resumes inside key start_after, after
 * that upload; otherwise after the key. *next and next_id give the last
 * entry returned (next_id is zeroed when the last entry was a prefix).
 */
int store_list_uploads(store *s, cf_slice bucket, const store_list_req *req,
                       const uint8_t *after_id, const store_list_cb *cb, bool *truncated,
                       cf_buf *next, uint8_t *next_id);

/* ---- change data capture (cdc.c, cdc_read.c, cdc_record.c; doc/cdc.md) ---- */

/*
 * A bucket's change log: with it on, every change of an object (a PUT, POST,
 * copy, multipart completion, delete, tag or ACL update) appends one record,
 * a line of JSON (doc/cdc.md), in the same engine batch as the change itself,
 * so the log neither misses nor invents a change, across a crash too.
 * Records are grouped into windows of window_s seconds, each readable as one
 * growing object of newline-delimited JSON; a window whose last record is
 * older than retention_s is dropped whole (store_cdc_expire).
 *
 * Readers see a window's durable prefix only: a record appears once it and
 * every record before it in the bucket's log are on disk, so a byte offset a
 * reader reached stays valid forever (the log is appended in record order).
 */

/* store_cdc_get -- the bucket's log settings (the defaults, off, if never set). CF_ENOTFOUND. */
int store_cdc_get(store *s, cf_slice bucket, store_cdc_config *out);
/* store_cdc_set -- changes them; takes effect for the next change. CF_ENOTFOUND, CF_EINVAL
 * out of range. Windows already written keep their records whatever the new settings. */
int store_cdc_set(store *s, cf_slice bucket, const store_cdc_config *c);

/* One window of a bucket's log as readers see it. */
typedef struct store_cdc_window {
    int64_t start_us; /* the window's start: a multiple of the window length when it began */
    uint64_t bytes;    /* its readable (durable) bytes */
    uint64_t last_seq; /* the sequence of its last readable record */
    int64_t last_us;   /* the commit time of that record */
} store_cdc_window;

/*
 * store_cdc_windows -- the bucket's windows that start after after_us (-1:
 * all), in time order, at most max (1..1000); *truncated if more remain.
 * A window with no readable record yet is not listed. fn's non-zero return
 * stops and is returned. CF_ENOTFOUND no bucket.
 */
int store_cdc_windows(store *s, cf_slice bucket, int64_t after_us, uint32_t max,
                      int (*fn)(void *arg, const store_cdc_window *w), void *arg,
                      bool *truncated);
/* store_cdc_window_get -- the window that starts at start_us. CF_ENOTFOUND. */
int store_cdc_window_get(store *s, cf_slice bucket, int64_t start_us, store_cdc_window *out);

/*
 * Reading a window: bytes [off, off + len) of w (from store_cdc_window_get;
 * CF_EINVAL if the range is not inside w->bytes), in pieces valid until the
 * next call: store_cdc_read_next returns 1 with a piece, 0 at the end.
 * Memory is one record whatever the window's size.
 */
typedef struct store_cdc_reader store_cdc_reader;
int store_cdc_read_open(store *s, cf_slice bucket, const store_cdc_window *w, uint64_t off,
                        uint64_t len, store_cdc_reader **out);
int store_cdc_read_next(store_cdc_reader *r, const uint8_t **p, size_t *len);
void store_cdc_read_close(store_cdc_reader *r); /* NULL is a no-op */

/*
 * store_cdc_expire -- drops every window whose last record is older than
 * its bucket's retention at now_us, and the logs of deleted buckets;
 * *dropped (may be NULL) counts the windows.
 */
int store_cdc_expire(store *s, int64_t now_us, uint64_t *dropped);

/* ---- recovery ---- */

/*
 * store_sweep -- drops the blobs and multipart layouts nothing references
 * (left by a crash mid-write); *blobs and *layouts (may be NULL) count them.
 * REQUIRES: no writer is open (call it at start, before serving).
 */
int store_sweep(store *s, uint64_t *blobs, uint64_t *layouts);

typedef struct store_check_stats {
    uint64_t buckets;
    uint64_t objects;           /* read whole and checked */
    uint64_t multipart_objects; /* of which multipart */
    uint64_t parts;             /* their parts */
    uint64_t bytes;             /* object bytes read and verified */
    uint64_t bad_objects;       /* objects that failed a check (each logged) */
    uint64_t bad_buckets;       /* buckets whose attributes a hook refused (each logged) */
    uint64_t users;             /* user rows read */
    uint64_t bad_users;         /* user rows that do not decode or have no secret (each logged) */
    uint64_t cdc_windows;       /* change log windows read */
    uint64_t cdc_records;       /* their records */
    uint64_t bad_cdc_windows;   /* windows whose records or row failed a check (each logged) */
} store_check_stats;

/* What the layer above checks of the rows it defines: each returns NULL if the
 * bucket (or object) holds, else a constant saying what is wrong. */
typedef struct store_check_hooks {
    void *arg;
    const char *(*bucket)(void *arg, const store_bucket *b);
    const char *(*object)(void *arg, const store_bucket *b, cf_slice key, const store_meta *m);
} store_check_hooks;

/*
 * store_check -- the store's consistency check (check.c): reads every object
 * whole, verifying each chunk's CRC32C, its size, its ETag (the MD5, or for
 * a multipart object each part's MD5, the layout's tiling and the MD5 of
 * MD5s), and whatever hooks (may be NULL) judge of each bucket and object.
 * 0 if every bucket and object holds; CF_ECORRUPT if any failed (each
 * logged, all still checked); CF_ENOMEM or an engine error.
 */
int store_check(store *s, const store_check_hooks *hooks, store_check_stats *out);

/* ---- statistics ---- */

/* Counters since store_open, for metrics and for tests that prove costs. */
typedef struct store_stats {
    uint64_t list_rows;      /* engine rows visited by store_list */
    uint64_t list_seeks;     /* iterators store_list opened (one per page + one per skip) */
    uint64_t chunks_written; /* chunk rows written by writers (or staged in a commit batch) */
    uint64_t chunks_read;    /* chunk rows read (and verified) by readers */
    uint64_t blobs_dropped;  /* blobs whose chunk partitions were tombstoned */
    uint64_t blob_files_dropped; /* SSTables of dropped blobs unlinked whole (OACS) */
    uint64_t bytes_accepted; /* blob bytes writers accepted (chunks written) */
} store_stats;

void store_stats_get(store *s, store_stats *out);

/*
 * What the store's tables wrote to disk since open: the chunks table (blob
 * bytes) apart from the metadata tables (summed), and the commitlog. The
 * write amplification of blob data is (chunks.user_bytes, logged, +
 * flush_bytes + compaction_bytes + ingest_bytes) / bytes_accepted.
 */
typedef struct store_disk_stats {
    eng_table_stats chunks;
    eng_table_stats meta;
    eng_db_stats db;
} store_disk_stats;

void store_disk_stats_get(store *s, store_disk_stats *out);

/*
 * store_open_with -- store_open, creating the chunks table (if new) with
 * strategy chunks_strategy (NULL: "oacs:16"; "stcs" for comparisons, which
 * also writes every chunk through the commitlog, as before OACS).
 */
int store_open_with(eng_db *db, const char *chunks_strategy, store **out);

#endif
