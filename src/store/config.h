/*
 * config.h -- the store layer's tunables, each with why it has its value.
 */
#ifndef STORE_CONFIG_H
#define STORE_CONFIG_H

/* 1024 key-lock stripes: a commit holds its stripe across one fsync, so two
 * PUTs to different keys wait for each other only on a collision; with 1024
 * stripes and a few hundred concurrent PUTs collisions are rare, and the
 * array is 40 KiB. */
#define STORE_KEY_LOCKS 1024u

/* 64 reader-pin stripes: a GET pins its blob at open and unpins at close,
 * each under one stripe mutex for a few instructions. */
#define STORE_PIN_STRIPES 64u

/* Up to 16 idle writers (each one 128 KiB chunk buffer and one batch of the
 * same size) are kept for reuse, so a PUT does not touch fresh memory; 16
 * covers the PUTs a 2-core host runs at once and bounds idle memory at 4 MiB. */
#define STORE_WRITER_CACHE 16u

/* After folding a common prefix, listing steps over up to 8 more rows before
 * it reopens an iterator past the prefix: most folded prefixes hold few keys,
 * and stepping is cheaper than a new iterator (a snapshot and one seek per
 * source); a prefix with many keys costs 8 steps and one seek. */
#define STORE_LIST_STEPS_BEFORE_SEEK 8u

/* Dropping a multipart object tombstones its parts' chunk partitions (up to
 * 10,000 parts, 80,000 partitions for 5 TiB) in batches of at most 4096
 * mutations: one commitlog record and one fsync per 4096, each record a few
 * hundred KiB, far below the 64 MiB record limit. */
#define STORE_DROP_BATCH 4096u

/* The change log's retention drops at most 256 windows per batch (two
 * tombstones each): small records, and a scan that never holds many. */
#define STORE_CDC_DROP_BATCH 256u

/* An upload's parts are completed from an iterator, and the parts it does
 * not name are released; their blobs are remembered in memory, at most
 * STORE_MAX_PARTS of them (40 bytes each). */

#endif
