/*
 * store_int.h -- internals shared by the store's files: the store object,
 * its locks, the blob layout, the writer, and the row codecs of format.c.
 *
 * Not part of the layer's interface (that is store.h): only the .c files
 * of src/store and the store's unit tests include it.
 *
 * Lock order (a thread takes them in this order and never the reverse):
 *   bucket_lock (shared by object writers, exclusive by bucket create/delete)
 *   -> key lock stripes (two at most, in index order: store_key_lock2)
 *   -> a pin stripe (held for a few instructions, never across I/O).
 * The cache mutex is a leaf and never held with another lock.
 */
#ifndef STORE_STORE_INT_H
#define STORE_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "store/config.h"
#include "store/store.h"
#include "store/store_format.h"
#include "util/clock.h"

typedef struct store_pin store_pin;
typedef struct store_cdc store_cdc;               /* every bucket's change log state (cdc.c) */
typedef struct store_cdc_bucket store_cdc_bucket; /* one bucket's */
typedef struct store_change store_change;         /* one change of an object (cdc.c) */

/* One stripe of the pin table: the pins of open readers whose blob id hashes here. */
typedef struct store_pin_stripe {
    pthread_mutex_t mu;
    store_pin *head; /* doubly linked through store_pin.next/prev */
} store_pin_stripe;

struct store {
    eng_db *db;
    eng_table *buckets, *users, *objects, *refs, *chunks;
    eng_table *uploads, *parts, *oparts; /* multipart: uploads, their parts, completed layouts */
    eng_table *cdc_log, *cdc_windows;    /* the change log: records, and the windows' index */
    store_cdc *cdc;                      /* the buckets' log state (cdc.c) */
    bool oacs; /* the chunks table is OACS: large blobs ingested, dead blobs' files dropped */
    pthread_rwlock_t bucket_lock; /* see the lock order above */
    pthread_mutex_t user_lock;    /* users.c: a user's read-modify-write; taken alone */
    pthread_mutex_t key_locks[STORE_KEY_LOCKS];
    store_pin_stripe pins[STORE_PIN_STRIPES];
    pthread_mutex_t cache_mu;
    store_writer *cache[STORE_WRITER_CACHE]; /* idle writers for reuse */
    size_t n_cache;
    /* counters (store_stats) */
    _Atomic uint64_t list_rows, list_seeks, chunks_written, chunks_read, blobs_dropped;
    _Atomic uint64_t bytes_accepted, blob_files_dropped;
};

/* ---- store.c: locks ---- */

/* store_key_stripe -- the key-lock stripe of (bucket, key). */
size_t store_key_stripe(cf_slice bucket, cf_slice key);
void store_key_lock(store *s, size_t stripe);
void store_key_unlock(store *s, size_t stripe);
/* store_key_lock2 -- locks two stripes in index order (once if equal), so
 * two copies in opposite directions cannot deadlock. */
void store_key_lock2(store *s, size_t a, size_t b);
void store_key_unlock2(store *s, size_t a, size_t b);

/*
 * store_scan -- calls row(arg, it) for every row of t in key order, with it
 * positioned on the row; row's non-zero return stops the scan and is
 * returned, as is an engine error.
 */
int store_scan(eng_table *t, int (*row)(void *arg, eng_iter *it), void *arg);

/* An upload id becomes its object's layout id, a blob id (blob.c). */
_Static_assert(STORE_UPLOAD_ID_BYTES == STORE_BLOB_ID_BYTES, "upload ids are blob ids");

/* store_id -- a 16-byte blob or upload id as a key slice. */
static inline cf_slice store_id(const uint8_t *id)
{
    return slice_make(id, STORE_BLOB_ID_BYTES);
}

/* ---- store.c: the scratch of one write ---- */

/* A batch and the key and value buffers a write fills before writing it. */
typedef struct store_op {
    eng_batch *b;
    cf_buf pk, ck, ref, val;
} store_op;

/* store_op_init -- zeroes o and makes its batch; store_op_free frees both (after a failed init too). */
int store_op_init(store_op *o);
void store_op_free(store_op *o);

/* ---- objects.c: object rows (shared with complete.c) ---- */

/* store_key_check -- CF_EINVAL for an empty key, CF_ELIMIT over STORE_MAX_KEY_BYTES. */
int store_key_check(cf_slice key);

/* store_object_read -- the object row (opk, key) into *m: 0, CF_ENOTFOUND or CF_ECORRUPT. */
int store_object_read(store *s, cf_slice opk, cf_slice key, store_meta *m);

/* store_cond_check -- c against the current object (found, cur): 0, CF_EEXIST,
 * CF_ENOTFOUND or CF_ECONFLICT (store.h store_cond). c may be NULL. */
int store_cond_check(const store_cond *c, bool found, const store_meta *cur);

/*
 * store_object_switch -- adds to b and writes it (store_change_write): the
 * object row (opk, c->key) = enc (the encoding of c->meta), a reference from
 * ref to its blob, and the removal of old's reference if old (the row
 * replaced, or NULL) had another blob. REQUIRES: the key's stripe held; the
 * caller then calls store_change_wait outside its locks.
 */
int store_object_switch(store *s, eng_batch *b, cf_slice opk, cf_slice ref, cf_slice enc,
                        const store_meta *old, store_change *c);

/* ---- buckets.c ---- */

/* store_bucket_check -- 0 if the bucket exists, else CF_ENOTFOUND (or a read error). */
int store_bucket_check(store *s, cf_slice name);

/* ---- blob layout and lifetime (blob.c) ---- */

/* A blob as its deletion and reading need it: id, size and layout. */
typedef struct store_blob {
    uint8_t id[STORE_BLOB_ID_BYTES];
    uint64_t size;             /* bytes */
    uint32_t chunk_bytes;      /* bytes per chunk (the last may be shorter) */
    uint32_t partition_chunks; /* chunks per partition */
    uint32_t parts;            /* 0: a blob of chunks; N: a multipart layout (id = upload id) */
} store_blob;

/* store_blob_of -- the blob of meta m, with 0 layout fields read as the defaults. */
void store_blob_of(const store_meta *m, store_blob *out);

/* store_blob_partitions -- chunk partitions a blob of this size and layout spans (0 if empty). */
uint64_t store_blob_partitions(const store_blob *b);

/* store_blob_has_refs -- *out = whether any blob_refs row names id. */
int store_blob_has_refs(store *s, const uint8_t *id, bool *out);

/*
 * store_blob_drop -- tombstones every chunk partition of b (a layout: its
 * parts' references, their blobs if that was their last reference, and its
 * object_parts rows), in batches of at most STORE_DROP_BATCH mutations.
 * REQUIRES: nothing references b (no blob_refs row, or b never committed).
 */
int store_blob_drop(store *s, const store_blob *b);

/*
 * store_blobs_release -- called after a batch removed a reference to each
 * of b[0..n): every one left with no reference is dropped now, or when its
 * last open reader closes (invariant (2) of store.h; readers:
 * blob_read.c); the drops share batches. The caller's operation has
 * already succeeded, so a failure here is logged, not returned: the blob
 * stays an orphan, for the start-up sweep (sweep.c).
 */
void store_blobs_release(store *s, const store_blob *b, size_t n);

static inline void store_blob_release(store *s, const store_blob *b)
{
    store_blobs_release(s, b, 1);
}

/* store_blob_of_part -- the blob of part p. */
void store_blob_of_part(const store_part *p, store_blob *out);

/* A growing list of blobs to release once a batch is written. */
typedef struct store_blob_list {
    store_blob *v;
    size_t n, cap;
} store_blob_list;

/*
 * store_part_unref -- adds to b the removal of the reference that upload
 * (or layout) id holds on part p's blob, and appends that blob to l (to be
 * released after b is written). ref is scratch.
 */
int store_part_unref(store *s, eng_batch *b, const uint8_t *id, const store_part *p, cf_buf *ref,
                     store_blob_list *l);

/* ---- layout.c: the parts of a completed multipart object ---- */

/*
 * store_layout_seek -- an iterator over the object_parts rows of layout id
 * from the first part whose (end offset, number) >= (end, number). The
 * caller closes it.
 */
int store_layout_seek(store *s, const uint8_t *id, uint64_t end, uint32_t number, eng_iter **out);

/* store_layout_part -- decodes the part at it (valid) into *out. CF_ECORRUPT. */
int store_layout_part(eng_iter *it, store_part *out);

/*
 * Pins: an open reader pins its blob so that a release while it reads
 * defers the drop to the last pin's removal instead of tombstoning chunks
 * under the reader (a GET racing an overwrite of the same key).
 */
struct store_pin {
    store_pin *next, *prev;
    store_blob blob;
    bool drop_pending; /* the blob lost its last reference while pinned */
};

/* store_pin_add -- pins p->blob (p->blob set by the caller). */
void store_pin_add(store *s, store_pin *p);

/* store_pin_remove -- unpins; true if the caller must now drop the blob
 * (it was released while pinned and p was its last pin). */
bool store_pin_remove(store *s, store_pin *p);

/* ---- blob_write.c ---- */

struct store_writer {
    store *s;
    store_blob blob;    /* id; size = bytes accepted so far */
    uint8_t *chunk;     /* STORE_CRC_BYTES + STORE_CHUNK_BYTES: crc, then the bytes */
    size_t fill;        /* bytes of the current chunk filled */
    uint64_t chunk_no;  /* blob-wide index of the chunk being filled */
    eng_batch *batch;   /* the first chunk's batch; then the commit batch */
    eng_ingest *ing;    /* the later chunks' ingest, or NULL (blob_write.c (1)) */
    bool ingested;      /* the chunks went to an ingest (none was logged): blob_write.c (3) */
    cf_buf pk, ck, val; /* reused key and value scratch */
    int err;            /* sticky: the first failure of a write */
    size_t bucket_len, key_len;
    uint8_t bucket[64];
    uint8_t key[STORE_MAX_KEY_BYTES];
};

/*
 * store_writer_stage_tail -- empties w->batch and stages the last chunk
 * (if any bytes are buffered) in it; every earlier chunk is durable. The
 * caller adds the object row and writes the batch (blob_write.c (1)).
 * Returns w's sticky error, if any.
 */
int store_writer_stage_tail(store_writer *w);

/* store_writer_release -- returns w to the store's cache (or frees it). */
void store_writer_release(store_writer *w);

/* store_writer_free -- frees w's memory (store_close frees the cached ones). */
void store_writer_free(store_writer *w);

/* ---- upload.c: uploads in progress (shared with complete.c) ---- */

/* store_upload_read -- the upload's meta from its row (opk, key), and how
 * many uploads that key has (may be NULL). CF_ENOTFOUND. */
int store_upload_read(store *s, cf_slice opk, cf_slice key, const uint8_t *id, store_meta *m,
                      size_t *uploads_of_key);

/* store_upload_remove -- adds to b the removal of the upload (its cell, or
 * the row with its last cell) and of its parts rows. */
int store_upload_remove(store *s, eng_batch *b, cf_slice opk, cf_slice key, const uint8_t *id,
                        size_t uploads_of_key);

/* store_uploads_abort_bucket -- aborts every upload of the bucket whose objects partition is opk. */
int store_uploads_abort_bucket(store *s, cf_slice opk);

/*
 * store_upload_parts_unref -- store_part_unref for every part of upload id
 * whose number is not in keep[0..n_keep) (ascending); out collects their
 * blobs (the caller frees out->v). REQUIRES: the key stripe held.
 */
int store_upload_parts_unref(store *s, eng_batch *b, const uint8_t *id, const uint32_t *keep,
                             size_t n_keep, store_blob_list *out);

/* ---- format.c: keys and values (store_format.h, doc/formats.md "Store rows") ---- */

/* store_objects_pk -- out = bytes(bucket) u64(shard 0). out is cleared first. */
int store_objects_pk(cf_buf *out, cf_slice bucket);
/* store_ref_ck -- out = bytes(bucket) bytes(key): the referrer of a blob_refs row. */
int store_ref_ck(cf_buf *out, cf_slice bucket, cf_slice key);
/* store_chunk_pk -- out = blob id (16 raw) u64(partition). */
int store_chunk_pk(cf_buf *out, const uint8_t *id, uint64_t partition);
/* store_u64_key -- out = u64(v): a chunk number within its partition, a part number. */
int store_u64_key(cf_buf *out, uint64_t v);
/* store_part_ref_ck -- out = bytes("") upload id u64(number): a part's blob_refs referrer. */
int store_part_ref_ck(cf_buf *out, const uint8_t *upload_id, uint32_t number);
/* store_layout_ck -- out = u64(end offset) u64(number): an object_parts row's key. */
int store_layout_ck(cf_buf *out, uint64_t end, uint32_t number);

/* store_meta_encode -- out = cell "m" of m (version 1). CF_EINVAL if a string field is
 * unterminated. */
int store_meta_encode(cf_buf *out, const store_meta *m);
/* store_meta_decode -- parses cell "m" into *out (zeroed first). CF_ECORRUPT if malformed. */
int store_meta_decode(cf_slice v, store_meta *out);
/* store_meta_row / store_part_row -- the object meta (cell "m") or the part
 * (cell "p") of the row at it (valid), decoded; CF_ECORRUPT if absent or malformed. */
int store_meta_row(const eng_iter *it, store_meta *out);
int store_part_row(const eng_iter *it, store_part *out);
/* store_part_encode -- out = cell "p" of p. CF_EINVAL if the etag is unterminated. */
int store_part_encode(cf_buf *out, const store_part *p);
/* store_part_decode -- parses cell "p" into *out (zeroed first; offset stays 0). CF_ECORRUPT. */
int store_part_decode(cf_slice v, store_part *out);

/* ---- users.c ---- */

/* store_check_users -- store_check's pass over the users table: counts rows into st->users,
 * and each that does not decode (or has no secret) into st->bad_users, logged. */
int store_check_users(store *s, store_check_stats *st);

/* ---- cdc.c, cdc_record.c: the change log's write side (store.h "change data capture") ---- */

enum { STORE_CDC_PUT = 0, STORE_CDC_UPDATE = 1, STORE_CDC_DELETE = 2 };


/*
 * A change of one object, as its writer describes it to store_change_write;
 * the fields after origin are the change log's, set there and read by
 * store_change_wait.
 */
struct store_change {
    int event;                  /* STORE_CDC_* */
    cf_slice bucket, key;
    const store_meta *meta;     /* the object after the change; the removed one for a delete */
    const store_origin *origin; /* may be NULL */
    store_cdc_bucket *cb;       /* the bucket's log if this change has a record in it */
    struct store_cdc_pending *pending; /* the record's place in cb's queue (owned by the queue) */
    int64_t ts_us, window_us;   /* the record's commit time and window */
    uint64_t seq;               /* its sequence in the window */
    cf_buf line, pk, ck;        /* its line and keys (freed by store_change_wait) */
};

/*
 * store_change_write -- writes b, a batch holding the change c, without
 * waiting for it to be durable: with c's bucket logging, the record (its
 * time and sequence given under the bucket log's lock) is added to b, and b
 * gets the record's commit time as its timestamp. The caller holds the
 * key's lock (its changes are logged in the order they happen), then calls
 * store_change_wait outside its locks, whatever this returned.
 */
int store_change_write(store *s, eng_batch *b, store_change *c);
/* store_change_wait -- waits until b is durable and lets readers see c's record once every
 * record before it is durable too (cdc.c (3)); returns the wait's error, or rc
 * (store_change_write's) if that is not 0: c's record then never exists. */
int store_change_wait(store *s, eng_batch *b, store_change *c, int rc);

/* store_cdc_open / store_cdc_close -- the log state of s (cdc.c). */
int store_cdc_open(store *s);
void store_cdc_close(store *s);
/* store_cdc_forget -- the bucket was deleted: its log state is read afresh if it comes back. */
void store_cdc_forget(store *s, cf_slice bucket);

/* store_cdc_config_decode -- the bucket row's cell "cdc" at it into *out (the defaults if
 * absent). CF_ECORRUPT if malformed or out of range. */
int store_cdc_config_decode(const eng_iter *it, store_cdc_config *out);
/* store_cdc_windows_pk / store_cdc_log_pk -- keys of the change log's tables (store_format.h). */
int store_cdc_windows_pk(cf_buf *out, cf_slice bucket, int64_t created_us);
int store_cdc_log_pk(cf_buf *out, cf_slice bucket, int64_t created_us, int64_t window_us);
/*
 * store_cdc_window_row -- the window at it (a cdc_windows row of bucket's log, created_us)
 * into *w: its final state, or, while it is open (cell "w" empty), what its records add up
 * to now (*open true). CF_ECORRUPT if the row is malformed.
 */
int store_cdc_window_row(store *s, cf_slice bucket, int64_t created_us, const eng_iter *it,
                         store_cdc_window *w, bool *open);
/* store_cdc_window_close -- writes w's final state into its row (not waited for: if it is
 * lost, the row stays open and readers add its records up). */
int store_cdc_window_close(store *s, cf_slice bucket, int64_t created_us,
                           const store_cdc_window *w);

/* What readers of a bucket's log may see: its key and its durable tail (cdc.c invariant (3)). */
typedef struct store_cdc_view {
    int64_t created_us;
    store_cdc_config cfg;
    store_cdc_window last; /* the newest window with a durable record (start_us 0: none) */
} store_cdc_view;

/* store_cdc_visible -- *out for bucket. CF_ENOTFOUND no bucket. */
int store_cdc_visible(store *s, cf_slice bucket, store_cdc_view *out);
/* store_cdc_lock -- store_cdc_visible, keeping the bucket's log locked (*b) until
 * store_cdc_unlock: no record is written meanwhile. */
int store_cdc_lock(store *s, cf_slice bucket, store_cdc_bucket **b, store_cdc_view *out);
void store_cdc_unlock(store_cdc_bucket *b);
/* store_cdc_reset_below -- windows up to window_us were dropped: if the log's open window was
 * one of them, the log starts afresh (its next record opens a new window). b locked. */
void store_cdc_reset_below(store_cdc_bucket *b, int64_t window_us);
/* store_check_cdc -- store_check's pass over the change log: each window's records are in
 * time and sequence order, each one line of JSON, and its cdc_windows row, once closed,
 * agrees with them. */
int store_check_cdc(store *s, store_check_stats *st);

#define STORE_CDC_RECORD_VERSION 1u

/* A record as cdc_record.c renders it. */
typedef struct store_cdc_rec {
    int event;
    int64_t ts_us;
    uint64_t seq;
    cf_slice bucket, key;
    const store_meta *meta;
    const store_origin *origin;
} store_cdc_rec;

/* store_cdc_record -- appends r's line of JSON, '\n' included (doc/cdc.md "Record"). */
int store_cdc_record(cf_buf *out, const store_cdc_rec *r);
/* store_cdc_time -- "2026-12-07T21:04:05.123456Z" for microseconds since the epoch. */
void store_cdc_time(int64_t us, char out[48]);
/* store_cdc_utf8_valid -- s is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
bool store_cdc_utf8_valid(cf_slice s);

/* ---- list.c ---- */

/*
 * store_key_successor -- turns k into the smallest key greater than every
 * key that starts with k: drops trailing 0xFF bytes and increments the last
 * byte left. false (k emptied) if k is all 0xFF: no such key exists.
 */
bool store_key_successor(cf_buf *k);

#endif
