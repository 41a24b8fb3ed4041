/*
 * sstable_write.c -- the SSTable writer: data blocks, index, filter, stats, footer.
 *
 * Called by flushes and compactions (compaction.h) through sstable.h. Entries
 * are encoded straight into one reused write buffer; a block is closed (CRC
 * appended, index record added) after the entry that makes it reach
 * block_bytes, so an entry is never split and a 128 KiB value is a block of
 * its own. Whole blocks leave the buffer in writes of about
 * WRITE_BATCH_BYTES. Values are copied raw, so a reader can later sendfile()
 * them from the file. Options left NULL or zero take the defaults of
 * config.h. The format is in doc/formats.md ("SSTable"), its constants in
 * sstable_format.h.
 *
 * State machine (the one of sstable.h, with the function making each move):
 *
 *     WS_OPEN --eng_sst_writer_add() ok--> WS_OPEN
 *     WS_OPEN --eng_sst_writer_add() fails--> WS_ABORTED   (temp unlinked)
 *     WS_OPEN --eng_sst_writer_finish() ok--> DONE          (renamed, w freed)
 *     WS_OPEN --eng_sst_writer_finish() fails--> freed      (temp unlinked)
 *     WS_ABORTED --add()--> WS_ABORTED, returns the first error again
 *     any --eng_sst_writer_abort()--> freed                 (temp unlinked)
 *
 * Invariants (numbers of sstable.h):
 *  (1) the file is complete, fsynced and renamed before <gen>.sst exists;
 *      the writer refuses a gen whose .sst exists (rename would replace it).
 *  (2) each key is compared with a copy of the previous one; a key not
 *      strictly greater is CF_EINVAL and aborts the writer.
 * Errors are sticky (STYLE 9): after the first failure nothing more is
 * written and every call returns that error. A write, fsync or rename that
 * fails for a full disk is CF_ENOSPC (fileio.h), and like every failure it
 * unlinks the temp file at once, so a failed writer gives the space back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/bloom.h"
#include "engine/config.h"
#include "engine/sstable.h"
#include "engine/sstable_format.h"
#include "util/coding.h"
#include "util/crc.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/hash.h"
#include "util/log.h"

/* Closed blocks are written once this much is buffered: few syscalls, and a
 * buffer that stays warm in cache (a tunable for config.h). */
#define WRITE_BATCH_BYTES (1u << 20)

enum writer_state { WS_OPEN, WS_ABORTED };

struct eng_sst_writer {
    /* fixed at open */
    uint64_t gen;
    uint32_t block_bytes;
    uint32_t bloom_bits_per_key;
    int fd;                  /* the temp file, -1 once closed */
    char dir[PATH_MAX];
    char path[PATH_MAX];     /* <dir>/<gen>.sst */
    char tmp_path[PATH_MAX]; /* <dir>/<gen>.sst.tmp */
    /* changes as entries are added */
    enum writer_state state;
    int err;                 /* the first error, returned by every later call */
    cf_buf wbuf;             /* closed blocks not yet written, then the open block */
    size_t block_start;      /* offset in wbuf of the open block's first entry */
    uint64_t block_entries;  /* entries in the open block */
    uint64_t flushed_bytes;  /* bytes written to fd */
    cf_buf index;            /* index section; its u32 count is patched at finish */
    uint32_t blocks;
    cf_buf last;             /* copy of the previous key's pk, ck, col bytes */
    size_t last_pk_len, last_ck_len, last_col_len;
    uint8_t last_sec, last_sub;
    uint64_t *pk_hashes;     /* hash64(pk, 0) of each partition, for the bloom filter */
    size_t pk_hashes_cap;
    cf_buf min_pk;           /* the first entry's pk */
    eng_sst_stats st;        /* min_pk/max_pk are filled at finish */
};

void eng_sst_path(char *out, size_t cap, const char *dir, uint64_t gen)
{
    snprintf(out, cap, "%s/%016llx" ENG_SST_SUFFIX, dir, (unsigned long long)gen);
}

static eng_ikey last_key(const eng_sst_writer *w)
{
    const uint8_t *p = w->last.data;
    eng_ikey k = {
        .pk = slice_make(p, w->last_pk_len),
        .sec = w->last_sec,
        .ck = slice_make(p + w->last_pk_len, w->last_ck_len),
        .sub = w->last_sub,
        .col = slice_make(p + w->last_pk_len + w->last_ck_len, w->last_col_len),
    };
    return k;
}

/* Enters WS_ABORTED: the first error sticks, the temp file goes at once
 * (closed too: an unlinked file's space comes back only at its last close). */
static int writer_fail(eng_sst_writer *w, int rc)
{
    if (w->state == WS_OPEN) {
        w->state = WS_ABORTED;
        w->err = rc;
        if (unlink(w->tmp_path) != 0 && errno != ENOENT)
            log_warn("sstable %s: unlink failed: %s", w->tmp_path, strerror(errno));
        if (w->fd >= 0)
            close(w->fd);
        w->fd = -1;
    }
    return w->err;
}

int eng_sst_writer_open(const char *dir, uint64_t gen, const eng_sst_writer_opts *o,
                        eng_sst_writer **out)
{
    *out = NULL;
    if (strlen(dir) + 32 >= PATH_MAX)
        return CF_EINVAL;
    int rc = CF_ENOMEM;
    eng_sst_writer *w = calloc(1, sizeof *w);
    if (!w)
        return rc;
    w->fd = -1;
    w->gen = gen;
    w->block_bytes = o && o->block_bytes ? o->block_bytes : ENG_DEFAULT_BLOCK_BYTES;
    w->bloom_bits_per_key = o && o->bloom_bits_per_key ? o->bloom_bits_per_key
                                                       : ENG_DEFAULT_BLOOM_BITS;
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    eng_sst_path(w->path, sizeof w->path, dir, gen);
    snprintf(w->tmp_path, sizeof w->tmp_path, "%s/%016llx" ENG_SST_TMP_SUFFIX, dir,
             (unsigned long long)gen);
    rc = buf_append_u32(&w->index, 0);
    if (rc)
        goto fail;
    if (access(w->path, F_OK) == 0) { /* invariant (1) */
        rc = CF_EEXIST;
        goto fail;
    }
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        rc = cf_err_from_errno(errno);
        goto fail;
    }
    *out = w;
    return 0;
fail:
    buf_free(&w->index);
    free(w);
    return rc;
}

static int encode_entry(cf_buf *b, const eng_entry *e, bool shared_pk)
{
    const eng_ikey *k = &e->key;
    size_t need = 4 + 5 * CODING_VARINT64_MAX_LEN + k->pk.len + k->ck.len + k->col.len +
                  e->value.len;
    int rc = buf_reserve(b, need);
    if (rc)
        return rc;
    uint8_t *p = b->data + b->len;
    uint64_t zts = zigzag_enc(e->ts);
    bool ts_fixed = varint_len(zts) >= 8; /* 8 fixed bytes decode faster at equal size */
    *p++ = (uint8_t)((shared_pk ? ENG_SST_E_SHARED_PK : 0) | (ts_fixed ? ENG_SST_E_TS_FIXED : 0));
    if (!shared_pk) {
        p += put_varint(p, k->pk.len);
        if (k->pk.len)
            memcpy(p, k->pk.ptr, k->pk.len);
        p += k->pk.len;
    }
    *p++ = k->sec;
    *p++ = k->sub;
    *p++ = e->flags;
    if (ts_fixed) {
        put_u64(p, (uint64_t)e->ts);
        p += 8;
    } else {
        p += put_varint(p, zts);
    }
    const cf_slice parts[3] = {k->ck, k->col, e->value};
    for (int i = 0; i < 3; i++) {
        p += put_varint(p, parts[i].len);
        if (parts[i].len)
            memcpy(p, parts[i].ptr, parts[i].len);
        p += parts[i].len;
    }
    b->len = (size_t)(p - b->data);
    return 0;
}

/* An index record's key: the block's last key, every field whole. */
static int append_index_key(cf_buf *b, const eng_ikey *k)
{
    int rc = buf_append_varint(b, k->pk.len);
    rc = rc ? rc : buf_append(b, k->pk.ptr, k->pk.len);
    rc = rc ? rc : buf_append(b, &k->sec, 1);
    rc = rc ? rc : buf_append_varint(b, k->ck.len);
    rc = rc ? rc : buf_append(b, k->ck.ptr, k->ck.len);
    rc = rc ? rc : buf_append(b, &k->sub, 1);
    rc = rc ? rc : buf_append_varint(b, k->col.len);
    return rc ? rc : buf_append(b, k->col.ptr, k->col.len);
}

static int flush_wbuf(eng_sst_writer *w)
{
    int rc = file_write_all(w->fd, w->wbuf.data, w->wbuf.len);
    if (rc)
        return rc;
    w->flushed_bytes += w->wbuf.len;
    buf_clear(&w->wbuf);
    w->block_start = 0;
    return 0;
}

/* Closes the open block: CRC trailer, index record, and a write if enough is buffered. */
static int end_block(eng_sst_writer *w)
{
    size_t len = w->wbuf.len - w->block_start;
    uint32_t crc = crc32c(w->wbuf.data + w->block_start, len);
    int rc = buf_append_u32(&w->wbuf, crc);
    if (rc)
        return rc;
    eng_ikey k = last_key(w);
    rc = buf_append_varint(&w->index, w->flushed_bytes + w->block_start);
    rc = rc ? rc : buf_append_varint(&w->index, len);
    rc = rc ? rc : append_index_key(&w->index, &k);
    if (rc)
        return rc;
    w->blocks++;
    w->block_entries = 0;
    w->block_start = w->wbuf.len;
    return w->wbuf.len >= WRITE_BATCH_BYTES ? flush_wbuf(w) : 0;
}

/* Copies e's key as the new previous key and folds e into the statistics. */
static int remember(eng_sst_writer *w, const eng_entry *e, bool new_pk)
{
    const eng_ikey *k = &e->key;
    int rc = 0;
    if (new_pk) {
        buf_clear(&w->last);
        rc = buf_append(&w->last, k->pk.ptr, k->pk.len);
        if (rc)
            return rc;
        w->last_pk_len = k->pk.len;
    }
    w->last.len = w->last_pk_len;
    rc = buf_append(&w->last, k->ck.ptr, k->ck.len);
    rc = rc ? rc : buf_append(&w->last, k->col.ptr, k->col.len);
    if (rc)
        return rc;
    w->last_ck_len = k->ck.len;
    w->last_col_len = k->col.len;
    w->last_sec = k->sec;
    w->last_sub = k->sub;

    if (new_pk) {
        if (w->st.partitions == w->pk_hashes_cap) {
            size_t cap = w->pk_hashes_cap ? w->pk_hashes_cap * 2 : 1024;
            uint64_t *h = realloc(w->pk_hashes, cap * sizeof *h);
            if (!h)
                return CF_ENOMEM;
            w->pk_hashes = h;
            w->pk_hashes_cap = cap;
        }
        w->pk_hashes[w->st.partitions++] = hash64(k->pk.ptr, k->pk.len, 0);
        if (w->st.entries == 0 && (rc = buf_append(&w->min_pk, k->pk.ptr, k->pk.len)))
            return rc;
    }
    if (w->st.entries == 0 || e->ts < w->st.min_ts)
        w->st.min_ts = e->ts;
    if (w->st.entries == 0 || e->ts > w->st.max_ts)
        w->st.max_ts = e->ts;
    w->st.entries++;
    if (k->sec == ENG_SEC_PARTITION)
        w->st.partition_tombstones++;
    else if (k->sec == ENG_SEC_RANGE)
        w->st.range_tombstones++;
    else if (k->sub == ENG_SUB_ROW_DEL)
        w->st.row_tombstones++;
    else if (eng_entry_is_tombstone(e))
        w->st.cell_tombstones++;
    return 0;
}

int eng_sst_writer_add(eng_sst_writer *w, const eng_entry *e)
{
    if (w->state != WS_OPEN)
        return w->err;
    int rc = CF_EINVAL;
    bool new_pk = true;
    if (e->key.sec > ENG_SEC_ROW)
        goto fail;
    if (w->st.entries > 0) {
        eng_ikey prev = last_key(w);
        if (eng_ikey_cmp(&e->key, &prev) <= 0) /* invariant (2) */
            goto fail;
        new_pk = !slice_eq(e->key.pk, prev.pk);
    }
    rc = encode_entry(&w->wbuf, e, !new_pk && w->block_entries > 0);
    if (rc)
        goto fail;
    rc = remember(w, e, new_pk);
    if (rc)
        goto fail;
    w->block_entries++;
    if (w->wbuf.len - w->block_start >= w->block_bytes && (rc = end_block(w)))
        goto fail;
    return 0;
fail:
    return writer_fail(w, rc);
}

uint64_t eng_sst_writer_bytes(const eng_sst_writer *w)
{
    return w->flushed_bytes + w->wbuf.len;
}

uint64_t eng_sst_writer_entries(const eng_sst_writer *w)
{
    return w->st.entries;
}

static void append_section(uint8_t *p, uint64_t off, uint64_t len, uint32_t crc)
{
    put_u64(p, off);
    put_u64(p + 8, len);
    put_u32(p + 16, crc);
}

/*
 * Writes everything after the data blocks: the index from its own buffer,
 * then filter, stats and footer built together in wbuf (empty by now).
 */
static int write_tail(eng_sst_writer *w)
{
    cf_buf *b = &w->wbuf;
    eng_sst_stats *st = &w->st;
    put_u32(w->index.data, w->blocks);
    uint64_t index_off = w->flushed_bytes;
    uint64_t filter_off = index_off + w->index.len;
    int rc = eng_bloom_build(b, w->pk_hashes, st->partitions, w->bloom_bits_per_key);
    if (rc)
        return rc;
    size_t filter_len = b->len;
    uint64_t stats_off = filter_off + filter_len;
    eng_ikey max = last_key(w);
    size_t stats_len = ENG_SST_STATS_MIN_BYTES + w->min_pk.len + max.pk.len;
    st->file_bytes = stats_off + stats_len + ENG_SST_FOOTER_BYTES;
    st->data_bytes = index_off;
    const uint64_t fixed[11] = {
        w->gen, st->file_bytes, st->data_bytes, st->entries, st->partitions,
        st->partition_tombstones, st->range_tombstones, st->row_tombstones,
        st->cell_tombstones, (uint64_t)st->min_ts, (uint64_t)st->max_ts,
    };
    for (int i = 0; i < 11 && !rc; i++)
        rc = buf_append_u64(b, fixed[i]);
    rc = rc ? rc : buf_append_u32(b, (uint32_t)w->min_pk.len);
    rc = rc ? rc : buf_append(b, w->min_pk.data, w->min_pk.len);
    rc = rc ? rc : buf_append_u32(b, (uint32_t)max.pk.len);
    rc = rc ? rc : buf_append(b, max.pk.ptr, max.pk.len);
    rc = rc ? rc : buf_reserve(b, ENG_SST_FOOTER_BYTES);
    if (rc)
        return rc;
    uint8_t *f = b->data + b->len;
    memset(f, 0, ENG_SST_FOOTER_BYTES);
    append_section(f, index_off, w->index.len, crc32c(w->index.data, w->index.len));
    append_section(f + ENG_SST_FOOTER_SECTION_BYTES, filter_off, filter_len,
                   crc32c(b->data, filter_len));
    append_section(f + 2 * ENG_SST_FOOTER_SECTION_BYTES, stats_off, stats_len,
                   crc32c(b->data + filter_len, stats_len));
    f[ENG_SST_FOOTER_VERSION_OFF] = ENG_SST_VERSION;
    memcpy(f + ENG_SST_FOOTER_MAGIC_OFF, ENG_SST_MAGIC, ENG_SST_MAGIC_BYTES);
    put_u32(f + ENG_SST_FOOTER_CRC_OFF, crc32c(f, ENG_SST_FOOTER_CRC_OFF));
    b->len += ENG_SST_FOOTER_BYTES;
    rc = file_write_all(w->fd, w->index.data, w->index.len);
    return rc ? rc : flush_wbuf(w);
}

static void writer_free(eng_sst_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    buf_free(&w->wbuf);
    buf_free(&w->index);
    buf_free(&w->last);
    buf_free(&w->min_pk);
    free(w->pk_hashes);
    free(w);
}

int eng_sst_writer_finish(eng_sst_writer *w, eng_sst **out)
{
    if (out)
        *out = NULL;
    int rc = w->err;
    bool renamed = false;
    if (w->state != WS_OPEN)
        goto done;
    if (w->block_entries > 0 && (rc = end_block(w)))
        goto fail;
    if ((rc = flush_wbuf(w)) || (rc = write_tail(w)))
        goto fail;
    rc = file_rename_durable(w->fd, w->tmp_path, w->path, w->dir); /* invariant (1) */
    renamed = access(w->path, F_OK) == 0;
    if (rc)
        goto fail;
    if (close(w->fd) != 0) {
        w->fd = -1;
        rc = file_err(errno);
        goto fail;
    }
    w->fd = -1;
    if (out && (rc = eng_sst_open(w->dir, w->gen, 0, out)))
        goto fail;
    goto done;
fail:
    writer_fail(w, rc);
    if (renamed && unlink(w->path) != 0) /* the caller is told no file was made */
        log_warn("sstable %s: unlink failed: %s", w->path, strerror(errno));
done:
    writer_free(w);
    return rc;
}

void eng_sst_writer_abort(eng_sst_writer *w)
{
    if (!w)
        return;
    writer_fail(w, CF_EINVAL);
    writer_free(w);
}
