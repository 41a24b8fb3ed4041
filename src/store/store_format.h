/*
 * store_format.h -- the constants of the store's row formats: table and
 * column names, key layouts, the object row version.
 *
 * The formats are documented in doc/formats.md ("Store rows"); the encoders
 * and decoders are in format.c. Composite keys use the engine's codec
 * (eng_key_put_bytes: bytes escaped 0x00 -> 0x00 0xFF, ended by 0x00 0x01;
 * eng_key_put_u64: 8 bytes big-endian); blob ids are a fixed 16 raw bytes.
 *
 *   table      pk                          ck                         cells
 *   buckets    name                        empty                      owner, created_us, shards
 *   users      access key                  empty                      secret, name, admin
 *   objects    bytes(bucket) u64(shard 0)  key                        m: object meta v1
 *   blob_refs  blob id                     bytes(bucket) bytes(key)   none: the row is the ref
 *   chunks     blob id u64(partition)      u64(chunk in partition)    d: crc32c u32 LE, bytes
 *   uploads    bytes(bucket) u64(shard 0)  key                        <upload id>: upload meta
 *   parts      upload id                   u64(part number)           p: part record
 *   object_parts upload id                 u64(end offset) u64(number)  p: part record
 *   cdc_log    bytes(bucket) u64(created_us) u64(window)  u64(ts) u64(seq)  r: the record's line
 *   cdc_windows bytes(bucket) u64(created_us) u64(window)                   w: window state
 *
 * The change log is keyed by the bucket's creation time too, so a bucket
 * deleted and created again never shows the old one's log (store_cdc_expire
 * drops it).
 *
 * A blob_refs row's referrer is an object (bytes(bucket) bytes(key)) or a
 * part (bytes("") upload id u64(part number)); a bucket name is never empty,
 * so the two never meet. A multipart object's blob id is its upload id (its
 * "layout"): the layout is referenced by objects like a blob, and it
 * references its parts' blobs.
 *
 * name, access key and key are raw bytes; a blob id is 16 raw bytes (fixed
 * width, so it needs no escaping to keep its order, like a u64).
 *
 * Raw keys are used where a key is the whole pk or ck: memcmp order of the
 * raw bytes is already the order we want (S3 lists keys in byte order), and
 * a raw object key lets listing bound its scans by the key bytes themselves.
 */
#ifndef STORE_FORMAT_H
#define STORE_FORMAT_H

/* Table names (engine.h: 1..64 of [a-z0-9_]) and their strategy. */
#define STORE_T_BUCKETS "buckets"
#define STORE_T_USERS "users"
#define STORE_T_OBJECTS "objects"
#define STORE_T_BLOB_REFS "blob_refs"
#define STORE_T_CHUNKS "chunks"
#define STORE_T_UPLOADS "uploads"
#define STORE_T_PARTS "parts"
#define STORE_T_OBJECT_PARTS "object_parts"
#define STORE_T_CDC_LOG "cdc_log"
#define STORE_T_CDC_WINDOWS "cdc_windows"
#define STORE_STRATEGY "stcs"
/* The chunks table: OACS, objects named by the 16-byte blob id that begins every partition key. */
#define STORE_CHUNKS_STRATEGY "oacs:16"

/* Column names. */
#define STORE_C_OWNER "owner"        /* buckets: creator's access key, raw bytes */
#define STORE_C_CREATED "created_us" /* buckets: creation time, i64 LE, microseconds */
#define STORE_C_SHARDS "shards"      /* buckets: index shard count N, u32 LE (always 1 here) */
#define STORE_C_POLICY_US "policy_us" /* buckets: when the policy was set, i64 LE, us */
#define STORE_C_SECRET "secret"      /* users: secret key, raw bytes */
#define STORE_C_NAME "name"          /* users: display name, raw bytes */
#define STORE_C_ADMIN "admin"        /* users: one byte, 0 or 1 */
#define STORE_C_DISABLED "disabled"  /* users: one byte, 0 or 1; absent is 0 */
#define STORE_C_CDC "cdc"           /* buckets: change log settings, see below */
#define STORE_C_RECORD "r"           /* cdc_log: one record, a line of JSON ended by '\n' */
#define STORE_C_WINDOW "w"           /* cdc_windows: u64 LE bytes | u64 LE records | i64 LE last ts */
#define STORE_C_META "m"             /* objects: the object meta, see below */
#define STORE_C_DATA "d"             /* chunks: crc32c (u32 LE) of the bytes, then the bytes */
#define STORE_C_PART "p"             /* parts, object_parts: the part record, see below */

/* The embedded engine keeps each bucket's index in one partition (N = 1). */
#define STORE_SHARDS 1u
#define STORE_SHARD 0u

#define STORE_BLOB_ID_BYTES 16u
#define STORE_CRC_BYTES 4u

/*
 * Object meta, cell "m", version 2 (integers are LEB128 varints):
 *   version u8 = 2 | size | chunk_bytes | partition_chunks | parts |
 *   blob id (16) | zigzag(mtime_us) | etag_len etag |
 *   content_type_len content_type | headers_len headers
 * Version 1 is the same without parts (0). Nothing may follow. A decoder
 * refuses other versions (CF_ECORRUPT). An upload's meta (cell named by the
 * upload id in uploads) is the same record.
 */
#define STORE_META_VERSION 2u

/*
 * Part record, cell "p", version 1:
 *   version u8 = 1 | number | size | chunk_bytes | partition_chunks |
 *   blob id (16) | zigzag(mtime_us) | etag_len etag | checksum_len checksum
 */
#define STORE_PART_VERSION 1u

/*
 * Change log settings, bucket cell "cdc", version 1 (10 bytes):
 *   version u8 = 1 | enabled u8 (0, 1) | window_s u32 LE | retention_s u32 LE
 */
#define STORE_CDC_CONFIG_VERSION 1u
#define STORE_CDC_CONFIG_BYTES 10u
#define STORE_CDC_WINDOW_BYTES 24u

/* A stored layout outside these bounds is corrupt (and would divide by 0). */
#define STORE_MAX_CHUNK_BYTES (16u << 20)
#define STORE_MAX_PARTITION_CHUNKS (1u << 20)

#endif
