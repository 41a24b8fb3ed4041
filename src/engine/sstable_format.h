/*
 * sstable_format.h -- constants of the SSTable file format (doc/formats.md,
 * "SSTable" and "Bloom filter").
 *
 * Shared by sstable_write.c, which produces the bytes, and sstable_read.c,
 * which checks and decodes them. The doc holds the byte tables, the worked
 * example and the rationale; this header holds only the numbers. Every
 * integer is little-endian.
 *
 *   file    = data_block* index filter stats footer
 *   block   = entry+ crc32c(entries):u32
 *   entry   = hdr:u8 [pk_len:varint pk] sec:u8 sub:u8 flags:u8
 *             ts:(zigzag varint | u64) ck_len:varint ck col_len:varint col
 *             value_len:varint value
 *   index   = count:u32 (off:varint len:varint pk_len:varint pk sec:u8
 *             ck_len:varint ck sub:u8 col_len:varint col){count}
 *   filter  = bits:u8{m/8} k:u8                          (bloom.h)
 *   stats   = 11 x u64, min_pk_len:u32 min_pk max_pk_len:u32 max_pk
 *   footer  = (off:u64 len:u64 crc:u32) x {index, filter, stats}
 *             version:u8 zero:u8{3} magic:u8{8} crc:u32
 */
#ifndef ENG_SSTABLE_FORMAT_H
#define ENG_SSTABLE_FORMAT_H

#include <stdint.h>

/* Bits of an entry's hdr byte; any other bit set is corruption. */
enum {
    ENG_SST_E_SHARED_PK = 1, /* pk is the previous entry's (never on a block's first entry) */
    ENG_SST_E_TS_FIXED = 2,  /* ts is a u64, not a zigzag varint (used when 8 bytes or fewer) */
};
#define ENG_SST_E_KNOWN_BITS (ENG_SST_E_SHARED_PK | ENG_SST_E_TS_FIXED)

#define ENG_SST_BLOCK_TRAILER_BYTES 4 /* the crc32c after each block's entries */

/* The smallest index record: six one-byte fields, every slice empty. */
#define ENG_SST_INDEX_MIN_RECORD_BYTES 7

/* Stats section: eleven u64 fields, then two u32-prefixed keys. */
#define ENG_SST_STATS_FIXED_BYTES (11 * 8)
#define ENG_SST_STATS_MIN_BYTES (ENG_SST_STATS_FIXED_BYTES + 4 + 4)

/* Footer: three section descriptors, version, padding, magic, crc. */
#define ENG_SST_FOOTER_BYTES 76
#define ENG_SST_FOOTER_SECTION_BYTES 20 /* off u64, len u64, crc u32 */
#define ENG_SST_FOOTER_VERSION_OFF 60
#define ENG_SST_FOOTER_MAGIC_OFF 64
#define ENG_SST_FOOTER_CRC_OFF 72       /* crc32c of footer bytes [0, 72) */

#define ENG_SST_VERSION 1

/*
 * The magic, after PNG's signature: 0x89 (high bit set, so a 7-bit channel
 * mangles it), "CFSST" (coffer SSTable), CR LF (a text-mode copy rewrites it).
 */
#define ENG_SST_MAGIC "\x89" "CFSST\r\n"
#define ENG_SST_MAGIC_BYTES 8

#define ENG_SST_SUFFIX ".sst"
#define ENG_SST_TMP_SUFFIX ".sst.tmp"

#endif
