/*
 * sstable_read.c -- opening an SSTable, its lifetime, and its iterator.
 *
 * eng_sst_open() reads the footer, then the index, filter and stats in one
 * pread into one allocation, which afterwards also holds the decoded index
 * (one sst_block per data block, keys pointing into the bytes). The fd stays
 * open for the sst's lifetime, and the whole file is mapped read-only once:
 * iterators read blocks in place through that mapping (the kernel's page
 * cache is the block cache: no syscall, no copy, no allocation and no lock
 * per block), checking each block's CRC32C before decoding it. When the
 * mapping fails (vm.max_map_count: a store of many large blobs has one file
 * each) or ENG_SST_OPEN_NO_MAP asks, iterators pread() blocks into a buffer
 * of their own instead; both ways yield the same entries. An I/O error under
 * a mapping raises SIGBUS rather than CF_EIO: the price of reading in place,
 * already paid by the values read by reference. Format: doc/formats.md
 * ("SSTable"), constants in sstable_format.h.
 *
 * Invariants (numbers of sstable.h):
 *  (3) nothing from the file is used before its CRC32C matched; every length
 *      and offset read is checked against the bytes that hold it, so garbage
 *      yields CF_ECORRUPT and a log line, never a crash or wrong data. The
 *      index must tile the data region exactly, in strictly increasing key
 *      order, and each block's last entry must equal its index key.
 *  (4) refs counts the opener, each iterator and each eng_sst_ref(); the
 *      release that drops it to zero closes the fd, and unlinks the file if
 *      eng_sst_mark_obsolete() was called before and eng_sst_unlink() was
 *      not (it unlinks at once; POSIX keeps the bytes for the open fd and
 *      the mapping until that last release).
 *  (5) an iterator's error is sticky: once status() is non-zero it stays
 *      invalid, so a merge cannot step over a bad block and miss its entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/bloom.h"
#include "engine/sstable.h"
#include "engine/sstable_format.h"
#include "util/coding.h"
#include "util/crc.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/hash.h"
#include "util/log.h"

typedef struct sst_block {
    eng_ikey last; /* the block's last key, pointing into eng_sst.meta */
    uint64_t off;  /* file offset of the block's entries */
    uint64_t len;  /* entry bytes, without the CRC trailer */
} sst_block;

struct eng_sst {
    /* fixed at open */
    int fd;              /* open until the last unref; shared by all iterators */
    const uint8_t *map;  /* the whole file mapped read-only, or NULL: blocks are read and
                            values by reference checked through it without a copy (mapped
                            once, so no per-read munmap and its cross-CPU TLB flush) */
    size_t map_len;
    eng_sst_stats stats; /* min_pk/max_pk point into meta */
    cf_slice filter;     /* into meta */
    sst_block *blocks;   /* nblocks records, inside meta after the section bytes */
    size_t nblocks;
    uint8_t *meta;       /* index, filter and stats bytes, then blocks[] */
    /* changes at run time */
    atomic_uint refs;    /* invariant (4) */
    atomic_int fate;      /* FATE_*: what the last unref does to the file */
    char path[];         /* <dir>/<gen:016x>.sst */
};

/* eng_sst.fate: the file lives on, or goes at the last unref, or has gone (eng_sst_unlink) */
enum { FATE_LIVE, FATE_OBSOLETE, FATE_UNLINKED };

typedef struct section {
    uint64_t off, len;
    uint32_t crc;
} section;

static int corrupt(const char *path, const char *what, uint64_t off)
{
    log_error("sstable %s: %s at offset %llu", path, what, (unsigned long long)off);
    return CF_ECORRUPT;
}

/* Checks magic, CRC, version and that the sections tile [sec[0].off, body). */
static int parse_footer(const char *path, const uint8_t *f, uint64_t body, section sec[3])
{
    if (memcmp(f + ENG_SST_FOOTER_MAGIC_OFF, ENG_SST_MAGIC, ENG_SST_MAGIC_BYTES) != 0)
        return corrupt(path, "bad footer magic", body + ENG_SST_FOOTER_MAGIC_OFF);
    if (get_u32(f + ENG_SST_FOOTER_CRC_OFF) != crc32c(f, ENG_SST_FOOTER_CRC_OFF))
        return corrupt(path, "footer checksum mismatch", body);
    if (f[ENG_SST_FOOTER_VERSION_OFF] != ENG_SST_VERSION)
        return corrupt(path, "unknown format version", body + ENG_SST_FOOTER_VERSION_OFF);
    uint64_t next = 0;
    for (int i = 0; i < 3; i++) {
        const uint8_t *p = f + i * ENG_SST_FOOTER_SECTION_BYTES;
        sec[i].off = get_u64(p);
        sec[i].len = get_u64(p + 8);
        sec[i].crc = get_u32(p + 16);
        if ((i > 0 && sec[i].off != next) || sec[i].off > body || sec[i].len > body - sec[i].off)
            return corrupt(path, "section out of bounds in footer", body);
        next = sec[i].off + sec[i].len;
    }
    if (next != body)
        return corrupt(path, "sections do not end at the footer", body);
    return 0;
}

static const uint8_t *get_slice(const uint8_t *p, const uint8_t *end, cf_slice *s)
{
    uint64_t n;
    p = get_varint(p, end, &n);
    if (!p || n > (uint64_t)(end - p))
        return NULL;
    *s = slice_make(p, (size_t)n);
    return p + n;
}

static const uint8_t *get_index_record(const uint8_t *p, const uint8_t *end, sst_block *b)
{
    eng_ikey *k = &b->last;
    if (!(p = get_varint(p, end, &b->off)) || !(p = get_varint(p, end, &b->len)))
        return NULL;
    if (!(p = get_slice(p, end, &k->pk)) || p == end)
        return NULL;
    k->sec = *p++;
    if (k->sec > ENG_SEC_ROW || !(p = get_slice(p, end, &k->ck)) || p == end)
        return NULL;
    k->sub = *p++;
    return get_slice(p, end, &k->col);
}

/*
 * Decodes the index into s->blocks, which the caller placed after the bytes.
 * idx is the index section at file offset data_end.
 */
static int decode_index(eng_sst *s, const uint8_t *idx, uint64_t len, uint64_t data_end)
{
    const uint8_t *p = idx + 4, *end = idx + len;
    uint64_t next_off = 0;
    for (size_t i = 0; i < s->nblocks; i++) {
        sst_block *b = &s->blocks[i];
        uint64_t rec_off = data_end + (uint64_t)(p - idx);
        p = get_index_record(p, end, b);
        if (!p)
            return corrupt(s->path, "malformed index record", rec_off);
        uint64_t avail = data_end - next_off; /* the check below keeps next_off <= data_end */
        if (b->off != next_off || b->len == 0 || avail < ENG_SST_BLOCK_TRAILER_BYTES ||
            b->len > avail - ENG_SST_BLOCK_TRAILER_BYTES)
            return corrupt(s->path, "index record outside the data", rec_off);
        if (i > 0 && eng_ikey_cmp(&s->blocks[i - 1].last, &b->last) >= 0)
            return corrupt(s->path, "index keys out of order", rec_off);
        next_off = b->off + b->len + ENG_SST_BLOCK_TRAILER_BYTES;
    }
    if (p != end || next_off != data_end)
        return corrupt(s->path, "index does not cover the data", data_end);
    return 0;
}

static int decode_stats(eng_sst *s, const uint8_t *p, uint64_t len, uint64_t off)
{
    const uint8_t *end = p + len;
    uint64_t v[11];
    cf_slice pk[2];
    if (len < ENG_SST_STATS_MIN_BYTES)
        return corrupt(s->path, "stats too short", off);
    for (int i = 0; i < 11; i++, p += 8)
        v[i] = get_u64(p);
    for (int i = 0; i < 2; i++) {
        if (end - p < 4 || get_u32(p) > (uint64_t)(end - p) - 4)
            return corrupt(s->path, "stats key out of bounds", off);
        pk[i] = slice_make(p + 4, get_u32(p));
        p += 4 + pk[i].len;
    }
    if (p != end)
        return corrupt(s->path, "stats longer than their fields", off);
    s->stats = (eng_sst_stats){
        .gen = v[0], .file_bytes = v[1], .data_bytes = v[2], .entries = v[3],
        .partitions = v[4], .partition_tombstones = v[5], .range_tombstones = v[6],
        .row_tombstones = v[7], .cell_tombstones = v[8], .min_ts = (int64_t)v[9],
        .max_ts = (int64_t)v[10], .min_pk = pk[0], .max_pk = pk[1],
    };
    return 0;
}

/*
 * Reads index, filter and stats in one pread, checks each CRC, then grows
 * the allocation to hold the decoded index after the bytes.
 */
static int load_meta(eng_sst *s, const section sec[3], uint64_t gen, uint64_t file_bytes)
{
    uint64_t base = sec[0].off, len = file_bytes - ENG_SST_FOOTER_BYTES - base;
    static const char *const names[3] = {"index checksum mismatch", "filter checksum mismatch",
                                         "stats checksum mismatch"};
    if (len > SIZE_MAX / 2)
        return CF_ENOMEM;
    s->meta = malloc(len ? len : 1);
    if (!s->meta)
        return CF_ENOMEM;
    int rc = file_pread_all(s->fd, s->meta, len, base);
    if (rc == CF_ECORRUPT)
        return corrupt(s->path, "file ends inside its sections", base);
    if (rc)
        return rc;
    for (int i = 0; i < 3; i++)
        if (crc32c(s->meta + (sec[i].off - base), sec[i].len) != sec[i].crc)
            return corrupt(s->path, names[i], sec[i].off);
    if (sec[0].len < 4 || get_u32(s->meta) > (sec[0].len - 4) / ENG_SST_INDEX_MIN_RECORD_BYTES)
        return corrupt(s->path, "bad index block count", base);
    s->nblocks = get_u32(s->meta);
    size_t at = (len + _Alignof(sst_block) - 1) / _Alignof(sst_block) * _Alignof(sst_block);
    uint8_t *m = realloc(s->meta, at + s->nblocks * sizeof(sst_block) + 1);
    if (!m)
        return CF_ENOMEM;
    s->meta = m;
    s->blocks = (sst_block *)(void *)(m + at);
    if ((rc = decode_index(s, m, sec[0].len, base)))
        return rc;
    s->filter = slice_make(m + (sec[1].off - base), sec[1].len);
    if ((rc = decode_stats(s, m + (sec[2].off - base), sec[2].len, sec[2].off)))
        return rc;
    const eng_sst_stats *st = &s->stats;
    if (st->gen != gen || st->file_bytes != file_bytes || st->data_bytes != base ||
        (st->entries == 0) != (s->nblocks == 0))
        return corrupt(s->path, "stats disagree with the file", sec[2].off);
    return 0;
}

int eng_sst_open(const char *dir, uint64_t gen, unsigned flags, eng_sst **out)
{
    *out = NULL;
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, dir, gen);
    size_t plen = strlen(path);
    eng_sst *s = calloc(1, sizeof *s + plen + 1);
    if (!s)
        return CF_ENOMEM;
    memcpy(s->path, path, plen + 1);
    atomic_init(&s->refs, 1);
    atomic_init(&s->fate, FATE_LIVE);
    int rc;
    struct stat sb;
    uint8_t foot[ENG_SST_FOOTER_BYTES];
    section sec[3];
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        rc = cf_err_from_errno(errno);
        goto fail;
    }
    if (fstat(s->fd, &sb) != 0) {
        rc = CF_EIO;
        goto fail;
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (size < ENG_SST_FOOTER_BYTES) {
        rc = corrupt(path, "file shorter than its footer", size);
        goto fail;
    }
    rc = file_pread_all(s->fd, foot, sizeof foot, size - ENG_SST_FOOTER_BYTES);
    if (rc == 0)
        rc = parse_footer(path, foot, size - ENG_SST_FOOTER_BYTES, sec);
    if (rc == 0)
        rc = load_meta(s, sec, gen, size);
    if (rc)
        goto fail;
    void *m = (flags & ENG_SST_OPEN_NO_MAP) ? MAP_FAILED
                                            : mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, s->fd, 0);
    if (m != MAP_FAILED) { /* without it, blocks and values by reference are read with pread */
        s->map = m;
        s->map_len = (size_t)size;
    }
    *out = s;
    return 0;
fail:
    if (s->fd >= 0)
        close(s->fd);
    free(s->meta);
    free(s);
    return rc;
}

static void unlink_file(const eng_sst *s)
{
    if (unlink(s->path) != 0)
        log_warn("sstable %s: unlink of obsolete file failed: %s", s->path, strerror(errno));
}

void eng_sst_ref(eng_sst *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void eng_sst_unref(eng_sst *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (atomic_load_explicit(&s->fate, memory_order_acquire) == FATE_OBSOLETE)
        unlink_file(s);
    if (s->map)
        munmap((void *)s->map, s->map_len);
    close(s->fd); /* invariant (4): the last reference closes */
    free(s->meta);
    free(s);
}

void eng_sst_mark_obsolete(eng_sst *s)
{
    int live = FATE_LIVE;
    atomic_compare_exchange_strong_explicit(&s->fate, &live, FATE_OBSOLETE, memory_order_acq_rel,
                                            memory_order_acquire);
}

void eng_sst_unlink(eng_sst *s)
{
    if (atomic_exchange_explicit(&s->fate, FATE_UNLINKED, memory_order_acq_rel) != FATE_UNLINKED)
        unlink_file(s);
}

bool eng_sst_may_contain(const eng_sst *s, cf_slice pk)
{
    const eng_sst_stats *st = &s->stats;
    if (st->entries == 0 || slice_cmp(pk, st->min_pk) < 0 || slice_cmp(pk, st->max_pk) > 0)
        return false;
    return eng_bloom_may_contain(s->filter, hash64(pk.ptr, pk.len, 0));
}

const eng_sst_stats *eng_sst_get_stats(const eng_sst *s)
{
    return &s->stats;
}

typedef struct sst_iter {
    eng_iiter base;
    eng_sst *s;          /* referenced until close */
    cf_buf buf;          /* without a mapping: the bytes read; reused across blocks */
    const uint8_t *bytes; /* block blk's bytes (or the head of a lazy one): in the
                             mapping or in buf */
    size_t blk;          /* block at bytes, s->nblocks when none */
    const uint8_t *p;    /* next entry to decode at bytes */
    const uint8_t *end;  /* end of the block's entries */
    eng_entry cur;
    bool valid;
    int status;          /* invariant (5): sticky once non-zero */
    uint32_t lazy_min;   /* 0, or: values this big are not read (eng_sst_iter_lazy_values) */
    bool lazy_block;     /* bytes holds only the head of block blk; its last value is not read */
    bool lazy_pending;   /* that last entry comes after the entries in [p, end) */
    const uint8_t *lazy_start; /* the last entry, at bytes */
    size_t lazy_vlen;    /* its value's length */
    uint64_t lazy_value_off; /* and the value's file offset */
} sst_iter;

static void iter_fail(sst_iter *it, int rc, const char *what, uint64_t off)
{
    if (rc == CF_ECORRUPT)
        corrupt(it->s->path, what, off);
    else
        log_error("sstable %s: read failed (%s) at offset %llu", it->s->path, cf_err_str(rc),
                  (unsigned long long)off);
    it->valid = false;
    it->status = rc;
    it->blk = it->s->nblocks; /* bytes no longer holds a checked block */
}

/*
 * view -- len bytes of the file at off (inside the data region: decode_index
 * checked it): a view into the mapping, or read into it->buf without one,
 * valid until the next view. 0, or the read's error.
 */
static int view(sst_iter *it, uint64_t off, size_t len, const uint8_t **out)
{
    *out = NULL;
    if (it->s->map) {
        *out = it->s->map + off;
        return 0;
    }
    buf_clear(&it->buf);
    int rc = buf_reserve(&it->buf, len);
    if (rc == 0)
        rc = file_pread_all(it->s->fd, it->buf.data, len, off);
    if (rc)
        return rc;
    it->buf.len = len;
    *out = it->buf.data;
    return 0;
}

/*
 * decode_entry_head -- decodes an entry up to its value from [p, end);
 * returns a pointer to the value's length varint, NULL if malformed.
 */
static const uint8_t *decode_entry_head(const uint8_t *p, const uint8_t *end, bool first,
                                        eng_entry *e)
{
    if (p == end || (*p & ~ENG_SST_E_KNOWN_BITS) || (first && (*p & ENG_SST_E_SHARED_PK)))
        return NULL;
    uint8_t hdr = *p++;
    if (!(hdr & ENG_SST_E_SHARED_PK) && !(p = get_slice(p, end, &e->key.pk)))
        return NULL;
    if (end - p < 3 || p[0] > ENG_SEC_ROW)
        return NULL;
    e->key.sec = *p++;
    e->key.sub = *p++;
    e->flags = *p++;
    if (hdr & ENG_SST_E_TS_FIXED) {
        if (end - p < 8)
            return NULL;
        e->ts = (int64_t)get_u64(p);
        p += 8;
    } else {
        uint64_t z;
        if (!(p = get_varint(p, end, &z)))
            return NULL;
        e->ts = zigzag_dec(z);
    }
    if (!(p = get_slice(p, end, &e->key.ck)) || !(p = get_slice(p, end, &e->key.col)))
        return NULL;
    return p;
}

/* Decodes one entry from [p, end); first forbids a shared pk. NULL if malformed. */
static const uint8_t *decode_entry(const uint8_t *p, const uint8_t *end, bool first, eng_entry *e)
{
    p = decode_entry_head(p, end, first, e);
    return p ? get_slice(p, end, &e->value) : NULL;
}

/* Decodes the entry at it->p; the block's last one must match its index key (invariant (3)). */
static void iter_decode(sst_iter *it)
{
    const sst_block *b = &it->s->blocks[it->blk];
    uint64_t off = b->off + (uint64_t)(it->p - it->bytes);
    const uint8_t *p = decode_entry(it->p, it->end, it->p == it->bytes, &it->cur);
    if (!p) {
        iter_fail(it, CF_ECORRUPT, "malformed entry in data block", off);
        return;
    }
    if (p == it->end && !it->lazy_pending && eng_ikey_cmp(&it->cur.key, &b->last) != 0) {
        iter_fail(it, CF_ECORRUPT, "data block's last key differs from the index", off);
        return;
    }
    it->p = p;
    it->valid = true;
}

/*
 * load_lazy -- reads only the head of block i when it holds one entry whose
 * value is at least lazy_min bytes and ends the block: the value stays in
 * the file (value_file says where) and is not checksummed here. Returns
 * true when it did; false (nothing changed) for any other block.
 */
#define LAZY_HEAD_BYTES 1024 /* enough for a chunk row's keys; a longer head is read whole */

/* emit_lazy -- makes the block's lazily read last entry current (value left in the file). */
static void emit_lazy(sst_iter *it)
{
    const sst_block *b = &it->s->blocks[it->blk];
    const uint8_t *end = it->bytes + LAZY_HEAD_BYTES;
    it->lazy_pending = false;
    if (!decode_entry_head(it->lazy_start, end, it->lazy_start == it->bytes, &it->cur) ||
        eng_ikey_cmp(&it->cur.key, &b->last) != 0) { /* invariant (3) */
        iter_fail(it, CF_ECORRUPT, "data block's last key differs from the index", b->off);
        return;
    }
    it->cur.value = slice_make(NULL, it->lazy_vlen);
    it->p = it->end;
    it->valid = true;
}

/*
 * load_lazy -- reads only the head of block i when its last entry's value is
 * at least lazy_min bytes and does not fit in the head: the entries before
 * it are decoded from the head as usual; the last one's value stays in the
 * file (value_file says where) and the block's checksum is not verified
 * (eng_sst_iter_lazy_values). Returns false, changing nothing the caller
 * relies on, for any other block.
 */
static bool load_lazy(sst_iter *it, size_t i)
{
    const sst_block *b = &it->s->blocks[i];
    if (!it->lazy_min || b->len <= LAZY_HEAD_BYTES || b->len < it->lazy_min)
        return false;
    const uint8_t *head;
    it->blk = it->s->nblocks; /* bytes will not hold a whole block */
    if (view(it, b->off, LAZY_HEAD_BYTES, &head) != 0)
        return false;
    it->bytes = head;
    const uint8_t *q = head, *end = head + LAZY_HEAD_BYTES, *p, *vp;
    eng_entry e;
    memset(&e, 0, sizeof e);
    uint64_t vlen;
    for (;;) { /* walk the entries whose values fit in the head */
        if (!(vp = decode_entry_head(q, end, q == head, &e)) ||
            !(p = get_varint(vp, end, &vlen)))
            return false;
        if (vlen <= (uint64_t)(end - p)) {
            q = p + vlen;
            continue;
        }
        break;
    }
    if ((uint64_t)(p - head) + vlen != b->len || vlen < it->lazy_min)
        return false; /* a big value that is not the block's last entry: read it all */
    it->blk = i;
    it->lazy_block = true;
    it->lazy_pending = true;
    it->lazy_start = q;
    it->lazy_vlen = (size_t)vlen;
    it->lazy_value_off = b->off + (uint64_t)(p - head);
    it->p = head;
    it->end = q;
    if (it->p < it->end)
        iter_decode(it);
    else
        emit_lazy(it);
    return true;
}

/* Makes block i current (reading it unless it is at bytes) and decodes its first entry. */
static void iter_load(sst_iter *it, size_t i)
{
    const sst_block *b = &it->s->blocks[i];
    if (it->lazy_block && it->blk == i) { /* re-seek into the lazily read block */
        it->p = it->bytes;
        it->lazy_pending = true;
        if (it->p < it->end)
            iter_decode(it);
        else
            emit_lazy(it);
        return;
    }
    it->lazy_block = false;
    it->lazy_pending = false;
    if (it->blk != i && load_lazy(it, i))
        return;
    if (it->blk != i) {
        const uint8_t *block;
        int rc = view(it, b->off, (size_t)b->len + ENG_SST_BLOCK_TRAILER_BYTES, &block);
        if (rc) {
            iter_fail(it, rc, "data block cut short", b->off);
            return;
        }
        if (crc32c(block, (size_t)b->len) != get_u32(block + b->len)) { /* invariant (3) */
            iter_fail(it, CF_ECORRUPT, "data block checksum mismatch", b->off);
            return;
        }
        it->bytes = block;
        it->blk = i;
    }
    it->p = it->bytes;
    it->end = it->bytes + b->len;
    iter_decode(it);
}

static void iter_next(eng_iiter *base)
{
    sst_iter *it = (sst_iter *)base;
    if (!it->valid)
        return;
    if (it->p < it->end)
        iter_decode(it);
    else if (it->lazy_pending)
        emit_lazy(it);
    else if (it->blk + 1 < it->s->nblocks)
        iter_load(it, it->blk + 1);
    else
        it->valid = false;
}

static void iter_seek_first(eng_iiter *base)
{
    sst_iter *it = (sst_iter *)base;
    it->valid = false;
    if (it->status == 0 && it->s->nblocks > 0)
        iter_load(it, 0);
}

/* The first block whose last key >= target holds the first entry >= target. */
static void iter_seek(eng_iiter *base, const eng_ikey *target)
{
    sst_iter *it = (sst_iter *)base;
    it->valid = false;
    if (it->status != 0)
        return;
    size_t lo = 0, hi = it->s->nblocks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (eng_ikey_cmp(&it->s->blocks[mid].last, target) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == it->s->nblocks)
        return;
    iter_load(it, lo);
    while (it->valid && eng_ikey_cmp(&it->cur.key, target) < 0)
        iter_next(base);
}

static bool iter_valid(const eng_iiter *base)
{
    return ((const sst_iter *)base)->valid;
}

static const eng_entry *iter_entry(const eng_iiter *base)
{
    return &((const sst_iter *)base)->cur;
}

static int iter_status(const eng_iiter *base)
{
    return ((const sst_iter *)base)->status;
}

static void iter_close(eng_iiter *base)
{
    sst_iter *it = (sst_iter *)base;
    buf_free(&it->buf);
    eng_sst_unref(it->s);
    free(it);
}

/* Values are stored raw in their block (doc/formats.md, "Data block"), so a
 * value's file offset is its block's offset plus its place in the block. */
static int iter_value_file(const eng_iiter *base, int *fd, uint64_t *off, const uint8_t **mapped)
{
    const sst_iter *it = (const sst_iter *)base;
    if (!it->valid || it->cur.value.len == 0)
        return CF_ENOTFOUND;
    *fd = it->s->fd;
    *mapped = it->s->map;
    *off = !it->cur.value.ptr ? it->lazy_value_off
                              : it->s->blocks[it->blk].off + (uint64_t)(it->cur.value.ptr - it->bytes);
    return 0;
}

static const eng_iiter_ops sst_iter_ops = {
    .seek_first = iter_seek_first,
    .seek = iter_seek,
    .valid = iter_valid,
    .next = iter_next,
    .entry = iter_entry,
    .status = iter_status,
    .close = iter_close,
    .value_file = iter_value_file,
};

void eng_sst_iter_lazy_values(eng_iiter *base, uint32_t min_bytes)
{
    ((sst_iter *)base)->lazy_min = min_bytes;
}

int eng_sst_iter_new(eng_sst *s, eng_iiter **out)
{
    sst_iter *it = calloc(1, sizeof *it);
    *out = NULL;
    if (!it)
        return CF_ENOMEM;
    it->base.ops = &sst_iter_ops;
    it->s = s;
    it->blk = s->nblocks;
    eng_sst_ref(s);
    *out = &it->base;
    return 0;
}
