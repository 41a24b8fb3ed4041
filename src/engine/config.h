/*
 * config.h -- the engine's tunables, each with why it has its value.
 */
#ifndef ENG_CONFIG_H
#define ENG_CONFIG_H

/* 64 MiB memtables: big enough that flushes write large sequential files,
 * small enough that replaying a full one at start takes well under a second. */
#define ENG_DEFAULT_MEMTABLE_BYTES (64ull << 20)

/* Two frozen memtables per table may wait for flush before writers stall:
 * one flushing, one queued, so a burst does not stall on a single flush. */
#define ENG_DEFAULT_MAX_FROZEN_MEMTABLES 2

/* 64 MiB segments: a segment is freed only when everything in it is flushed,
 * so segments about the size of a memtable keep the log short. */
#define ENG_DEFAULT_SEGMENT_BYTES (64ull << 20)

/* 4 KiB blocks: a point lookup reads and checksums one small block (64 KiB
 * blocks made a get 5x slower than RocksDB: bench/RESULTS.md); a 128 KiB
 * chunk is still one block of its own, since blocks end after an entry. */
#define ENG_DEFAULT_BLOCK_BYTES (4u << 10)

/* Linux maps the cached pages around a read fault of a file mapping: 64 KiB
 * of small pages, or whole large folios (up to 2 MiB: kernel 6.18 with ext4
 * here), so a reader done with a value drops 2 MiB before it too
 * (eng_iter_cell_file_done), which later rows' reads mapped back in: with 64
 * KiB, half of every 1 GiB object read stayed resident (RssFile 518 of 1024
 * MiB after four 256 MiB GETs); with 2 MiB, 6 MiB (bench/RESULTS.md
 * "Limits"). Zapping absent pages costs next to nothing. */
#define ENG_FAULT_AROUND_BYTES (2u << 20)

/* The values a reader is done with are dropped 4 MiB at a time (32 chunks):
 * one madvise per chunk over its 2 MiB before cost one-stream GETs 10%;
 * each reader then holds at most 4 + 2 MiB of them resident. */
#define ENG_DROP_BATCH_BYTES (4u << 20)

/* 10 bits per key: ~1% bloom false positives for 1.25 bytes per partition. */
#define ENG_DEFAULT_BLOOM_BITS 10

/* Compaction outputs up to 1 GiB each, so one merge never holds the whole
 * table in one file and outputs can be dropped independently. */
#define ENG_DEFAULT_MAX_SSTABLE_BYTES (1ull << 30)

/* Tombstones live at least 10 minutes: one machine has no replicas to
 * repair, but a reader's snapshot or a delayed write from a gateway may still
 * carry older timestamps for that long. */
#define ENG_DEFAULT_GC_GRACE_US (600ll * 1000 * 1000)

/* eng_log_record_find keeps the CRC32C of every 256-byte prefix step of the
 * range it searches: 1 MiB of memory for a 64 MiB segment, and at most 255
 * bytes hashed to reach any offset from the checkpoint before it. */
#define ENG_LOG_FIND_STRIDE 256u

#endif

/* Keys (partition, clustering) up to 64 KiB: S3 keys are 1 KiB, composite
 * keys add little; the bound keeps one index entry small. */
#define ENG_MAX_KEY_BYTES 65535u

/* Column names up to 255 bytes: they are schema names, not data. */
#define ENG_MAX_COLUMN_BYTES 255u

/* At most this many tables in one database (ids are small integers). */
#define ENG_MAX_TABLES 256u
