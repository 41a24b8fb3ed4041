/*
 * engine_sstable_fuzz.c -- libFuzzer target for the SSTable reader
 * (sstable_read.c) and the composite-key decoder (keycodec.c).
 *
 * The input is written as <gen:016x>.sst in the scratch directory
 * (engine_files.h) and opened with eng_sst_open(), the engine's only way in;
 * gen is read from where the stats section would start, so any real file
 * is a valid seed whatever its generation (1 if that cannot be read). An
 * opened file is then:
 *   - iterated fully (eng_sst_iter_new, seek_first, next), checking each
 *     entry, its value's place in the file (value_file) and decoding its pk
 *     and ck as composite keys (eng_key_get_*: a decoded component must
 *     re-encode to the bytes it was decoded from);
 *   - iterated again with lazy values (eng_sst_iter_lazy_values), whose
 *     keys and values must be those of the first pass when both succeed,
 *     and again opened with ENG_SST_OPEN_NO_MAP (blocks read with pread, not
 *     in place), which must yield exactly the first pass, its end included;
 *   - point-looked-up (eng_sst_may_contain, then seek on one iterator, plain
 *     and again with lazy values) with keys derived from the input: some
 *     keys of the file, each with its successor (the same key with a 0
 *     byte appended to col), which must land exactly on the entry and the
 *     one after it when the scan saw strictly increasing keys; and a key
 *     made of the input's first bytes, which must land at or after it.
 * The open returns 0 or CF_ECORRUPT, iterators end with status 0 or
 * CF_ECORRUPT; anything else, a crash, a leak or UB is a finding. The input
 * bytes themselves also go through the key decoder.
 *
 * Each input runs as given, then, if it changes anything, with its checksums
 * recomputed (fix_crcs: every block the index names, the three sections, the
 * footer), so mutations reach the decoders behind the CRC32C checks.
 *
 * Seeds (fuzz/corpus/engine_sstable/): SSTables written by the engine, made
 * by fuzz/seed_engine.sh (a small database of store-like rows: composite
 * keys, every kind of tombstone, large values placed for both shapes of
 * the lazy path, 256-byte blocks so the index has several records).
 *
 * Sources (fuzz/run.sh reads this line):
 * FUZZ_SRCS: src/engine/[a-z]*.c src/util/[a-z]*.c fuzz/engine_files.c
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/sstable.h"
#include "engine/sstable_format.h"
#include "engine_files.h"
#include "util/coding.h"
#include "util/crc.h"

#define MAX_SAMPLES 24   /* keys kept for point lookups: indices 0, 1, 2, 4, 8, ... and the last */
#define RAW_KEY_BYTES 16 /* input bytes that make the raw lookup key */
#define MAX_COMPONENTS 8 /* composite-key components decoded per key (the store's have 1 to 3);
                            each failed bytes decode reads to the end, so no more than this */

/* A key of the file kept for lookup, and the key that followed it. */
typedef struct sample {
    cf_buf key;      /* pk, ck, col bytes */
    size_t pk_len, ck_len, col_len;
    uint8_t sec, sub;
    bool has_next;
    cf_buf next;     /* the following entry's key, same layout */
    size_t next_pk_len, next_ck_len, next_col_len;
    uint8_t next_sec, next_sub;
} sample;

typedef struct scan {
    int status;      /* the iterator's status at the end */
    uint64_t count;  /* entries */
    uint32_t digest; /* crc32c over every key and value */
    bool ordered;    /* keys strictly increasing */
} scan;

static int put_crc(uint8_t *at, uint32_t crc)
{
    int changed = get_u32(at) != crc;
    put_u32(at, crc);
    return changed;
}

/* skip_slice -- past a varint-prefixed slice of [p, end); NULL if it does not fit. */
static const uint8_t *skip_slice(const uint8_t *p, const uint8_t *end)
{
    uint64_t n;
    p = get_varint(p, end, &n);
    return p && n <= (uint64_t)(end - p) ? p + n : NULL;
}

/*
 * fix_block_crcs -- the crc after each block the index idx[0..len) names,
 * for blocks inside [0, data_end). Index records: sstable_format.h.
 */
static int fix_block_crcs(uint8_t *p, uint64_t data_end, const uint8_t *idx, uint64_t len)
{
    int changed = 0;
    const uint8_t *q = idx + 4, *end = idx + len;
    for (uint32_t i = 0, n = get_u32(idx); i < n && q; i++) {
        uint64_t off, blen;
        if (!(q = get_varint(q, end, &off)) || !(q = get_varint(q, end, &blen)))
            break;
        if (off <= data_end && blen <= data_end - off &&
            ENG_SST_BLOCK_TRAILER_BYTES <= data_end - off - blen)
            changed |= put_crc(p + off + blen, crc32c(p + off, (size_t)blen));
        q = skip_slice(q, end); /* pk, sec, ck, sub, col */
        q = q && q < end ? skip_slice(q + 1, end) : NULL;
        q = q && q < end ? skip_slice(q + 1, end) : NULL;
    }
    return changed;
}

/* fix_crcs -- recomputes every checksum of the file p[0..n) that can be located; whether any changed. */
static int fix_crcs(uint8_t *p, size_t n)
{
    if (n < ENG_SST_FOOTER_BYTES)
        return 0;
    uint8_t *f = p + n - ENG_SST_FOOTER_BYTES;
    uint64_t body = n - ENG_SST_FOOTER_BYTES, off = get_u64(f), len = get_u64(f + 8);
    int changed = 0;
    if (off <= body && len <= body - off && len >= 4)
        changed |= fix_block_crcs(p, off, p + off, len);
    for (int i = 0; i < 3; i++) {
        uint8_t *s = f + i * ENG_SST_FOOTER_SECTION_BYTES;
        off = get_u64(s);
        len = get_u64(s + 8);
        if (off <= body && len <= body - off)
            changed |= put_crc(s + 16, crc32c(p + off, (size_t)len));
    }
    return changed | put_crc(f + ENG_SST_FOOTER_CRC_OFF, crc32c(f, ENG_SST_FOOTER_CRC_OFF));
}

/* file_gen -- the u64 where the stats section (its gen field) starts, or 1. */
static uint64_t file_gen(const uint8_t *p, size_t n)
{
    if (n < ENG_SST_FOOTER_BYTES)
        return 1;
    uint64_t body = n - ENG_SST_FOOTER_BYTES;
    uint64_t off = get_u64(p + body + 2 * ENG_SST_FOOTER_SECTION_BYTES);
    return off <= body && body - off >= 8 ? get_u64(p + off) : 1;
}

/*
 * check_key_codec -- decodes s as a sequence of up to MAX_COMPONENTS
 * composite-key components, a bytes component where one parses, else a
 * u64. A decoded component must re-encode to exactly the bytes it
 * consumed; a failed decode must leave s as it was.
 */
static void check_key_codec(cf_slice s)
{
    static cf_buf out, enc;
    for (int i = 0; i < MAX_COMPONENTS && s.len > 0; i++) {
        cf_slice before = s;
        int rc = eng_key_get_bytes(&s, &out);
        fuzz_require(rc == 0 || rc == CF_ECORRUPT);
        buf_clear(&enc);
        if (rc == 0) {
            fuzz_require(eng_key_put_bytes(&enc, buf_slice(&out)) == 0);
        } else {
            fuzz_require(s.ptr == before.ptr && s.len == before.len);
            uint64_t v;
            if (eng_key_get_u64(&s, &v) != 0) {
                fuzz_require(s.ptr == before.ptr && s.len == before.len && v == 0);
                return;
            }
            fuzz_require(eng_key_put_u64(&enc, v) == 0);
        }
        fuzz_require(before.len - s.len == enc.len && s.ptr == before.ptr + enc.len &&
                     memcmp(before.ptr, enc.data, enc.len) == 0);
    }
}

static void digest_add(uint32_t *d, const void *p, size_t n)
{
    *d = crc32c_extend(*d, p, n);
}

static void digest_key(uint32_t *d, const eng_ikey *k)
{
    uint8_t lens[24] = {k->sec, k->sub};
    put_u64(lens + 8, k->pk.len);
    put_u64(lens + 16, k->ck.len);
    digest_add(d, lens, sizeof lens);
    digest_add(d, k->pk.ptr, k->pk.len);
    digest_add(d, k->ck.ptr, k->ck.len);
    digest_add(d, k->col.ptr, k->col.len);
}

static bool in_file(uint64_t off, uint64_t len, uint64_t file_bytes)
{
    return off <= file_bytes && len <= file_bytes - off;
}

/*
 * check_entry -- the entry's fields and where value_file() says its value
 * is; adds key and value to the digest. A lazily read value (ptr NULL) is
 * digested from the file, so both passes digest the same bytes.
 */
static void check_entry(eng_iiter *it, const eng_entry *e, uint64_t file_bytes, uint32_t *d)
{
    fuzz_require(e->key.sec <= ENG_SEC_ROW);
    fuzz_require(!e->key.pk.len || e->key.pk.ptr);
    fuzz_require(!e->key.ck.len || e->key.ck.ptr);
    fuzz_require(!e->key.col.len || e->key.col.ptr);
    digest_key(d, &e->key);
    uint8_t meta[9] = {e->flags};
    put_u64(meta + 1, (uint64_t)e->ts);
    digest_add(d, meta, sizeof meta);
    int fd;
    uint64_t off;
    const uint8_t *mapped;
    int rc = eng_iiter_value_file(it, &fd, &off, &mapped);
    if (e->value.len == 0) {
        fuzz_require(rc == CF_ENOTFOUND);
        return;
    }
    fuzz_require(rc == 0 && fd >= 0 && in_file(off, e->value.len, file_bytes));
    const uint8_t *v = e->value.ptr ? e->value.ptr : mapped ? mapped + off : NULL;
    fuzz_require(v != NULL);
    if (e->value.ptr && mapped)
        fuzz_require(memcmp(mapped + off, v, e->value.len) == 0);
    digest_add(d, v, e->value.len);
}

static void key_copy(cf_buf *b, const eng_ikey *k, size_t *pk, size_t *ck, size_t *col)
{
    buf_clear(b);
    fuzz_require(buf_reserve(b, 1) == 0 && /* key_view adds offsets to b->data: never NULL */
                 buf_append(b, k->pk.ptr, k->pk.len) == 0 &&
                 buf_append(b, k->ck.ptr, k->ck.len) == 0 &&
                 buf_append(b, k->col.ptr, k->col.len) == 0);
    *pk = k->pk.len;
    *ck = k->ck.len;
    *col = k->col.len;
}

static eng_ikey key_view(const cf_buf *b, size_t pk, size_t ck, size_t col, uint8_t sec,
                         uint8_t sub)
{
    return (eng_ikey){.pk = slice_make(b->data, pk), .sec = sec,
                      .ck = slice_make(b->data + pk, ck), .sub = sub,
                      .col = slice_make(b->data + pk + ck, col)};
}

static bool sampled(uint64_t i)
{
    return (i & (i - 1)) == 0; /* 0, 1, 2, 4, 8, ... */
}

/* scan_all -- one pass over the file; samples keys when samples is not NULL. */
static scan scan_all(eng_sst *s, uint32_t lazy_min, uint64_t file_bytes, sample *samples,
                     size_t *n_samples)
{
    scan r = {.ordered = true};
    eng_iiter *it;
    fuzz_require(eng_sst_iter_new(s, &it) == 0);
    if (lazy_min)
        eng_sst_iter_lazy_values(it, lazy_min);
    static cf_buf prev;
    size_t ppk = 0, pck = 0, pcol = 0;
    uint8_t psec = 0, psub = 0;
    for (eng_iiter_seek_first(it); eng_iiter_valid(it); eng_iiter_next(it)) {
        const eng_entry *e = eng_iiter_entry(it);
        check_entry(it, e, file_bytes, &r.digest);
        if (r.count > 0) {
            eng_ikey p = key_view(&prev, ppk, pck, pcol, psec, psub);
            r.ordered = r.ordered && eng_ikey_cmp(&p, &e->key) < 0;
        }
        if (samples) {
            check_key_codec(e->key.pk);
            check_key_codec(e->key.ck);
            if (*n_samples > 0 && !samples[*n_samples - 1].has_next) {
                sample *q = &samples[*n_samples - 1];
                key_copy(&q->next, &e->key, &q->next_pk_len, &q->next_ck_len, &q->next_col_len);
                q->next_sec = e->key.sec;
                q->next_sub = e->key.sub;
                q->has_next = true;
            }
            if (sampled(r.count) && *n_samples < MAX_SAMPLES - 1) {
                sample *q = &samples[(*n_samples)++];
                key_copy(&q->key, &e->key, &q->pk_len, &q->ck_len, &q->col_len);
                q->sec = e->key.sec;
                q->sub = e->key.sub;
                q->has_next = false;
            }
        }
        key_copy(&prev, &e->key, &ppk, &pck, &pcol);
        psec = e->key.sec;
        psub = e->key.sub;
        r.count++;
    }
    r.status = eng_iiter_status(it);
    fuzz_require(r.status == 0 || r.status == CF_ECORRUPT);
    if (samples && r.count > 0 && !sampled(r.count - 1) && *n_samples < MAX_SAMPLES) {
        sample *q = &samples[(*n_samples)++]; /* the last key */
        eng_ikey last = key_view(&prev, ppk, pck, pcol, psec, psub);
        key_copy(&q->key, &last, &q->pk_len, &q->ck_len, &q->col_len);
        q->sec = psec;
        q->sub = psub;
        q->has_next = false;
    }
    eng_iiter_close(it);
    return r;
}

/*
 * lookup -- seeks it to target: an entry >= target or none; when exact, the
 * entry must be want (none when want is NULL) with status 0.
 */
static void lookup(eng_sst *s, eng_iiter *it, const eng_ikey *target, const eng_ikey *want,
                   bool exact)
{
    (void)eng_sst_may_contain(s, target->pk);
    eng_iiter_seek(it, target);
    int st = eng_iiter_status(it);
    fuzz_require(st == 0 || st == CF_ECORRUPT);
    if (eng_iiter_valid(it))
        fuzz_require(eng_ikey_cmp(&eng_iiter_entry(it)->key, target) >= 0);
    if (exact) {
        fuzz_require(st == 0 && eng_iiter_valid(it) == (want != NULL));
        if (want)
            fuzz_require(eng_ikey_cmp(&eng_iiter_entry(it)->key, want) == 0);
    }
}

/*
 * lookups -- each sample and its successor, then the raw key, on one
 * iterator (so seeks reuse the block it holds, as a reader's do); lazy_min
 * as in scan_all.
 */
static void lookups(eng_sst *s, uint32_t lazy_min, sample *samples, size_t n, bool exact,
                    const uint8_t *in, size_t size)
{
    static cf_buf succ;
    eng_iiter *it;
    fuzz_require(eng_sst_iter_new(s, &it) == 0);
    if (lazy_min)
        eng_sst_iter_lazy_values(it, lazy_min);
    for (size_t i = 0; i < n; i++) {
        sample *q = &samples[i];
        eng_ikey k = key_view(&q->key, q->pk_len, q->ck_len, q->col_len, q->sec, q->sub);
        eng_ikey next = q->has_next ? key_view(&q->next, q->next_pk_len, q->next_ck_len,
                                               q->next_col_len, q->next_sec, q->next_sub)
                                    : k;
        lookup(s, it, &k, &k, exact);
        /* the successor of k: nothing sorts between col and col "\0" */
        buf_clear(&succ);
        fuzz_require(buf_append(&succ, q->key.data, q->key.len) == 0 &&
                     buf_append(&succ, "", 1) == 0);
        eng_ikey after = key_view(&succ, q->pk_len, q->ck_len, q->col_len + 1, q->sec, q->sub);
        lookup(s, it, &after, q->has_next ? &next : NULL, exact);
    }
    size_t n_raw = size < RAW_KEY_BYTES ? size : RAW_KEY_BYTES;
    eng_ikey raw = {.pk = slice_make(in, n_raw / 2), .sec = n_raw ? in[0] % 3 : 0,
                    .ck = slice_make(in + n_raw / 2, n_raw - n_raw / 2)};
    lookup(s, it, &raw, NULL, false);
    eng_iiter_close(it);
}

static void run(const uint8_t *data, size_t size)
{
    static sample samples[MAX_SAMPLES];
    char name[32], path[4096];
    uint64_t gen = file_gen(data, size);
    snprintf(name, sizeof name, "%016llx.sst", (unsigned long long)gen);
    fuzz_path(path, sizeof path, name);
    fuzz_file_put(path, data, size);
    eng_sst *s;
    int rc = eng_sst_open(fuzz_dir(), gen, 0, &s);
    fuzz_require(rc == 0 || rc == CF_ECORRUPT);
    fuzz_require((rc == 0) == (s != NULL));
    if (rc == 0) {
        const eng_sst_stats *st = eng_sst_get_stats(s);
        fuzz_require(st->gen == gen && st->file_bytes == size);
        size_t n = 0;
        scan whole = scan_all(s, 0, size, samples, &n);
        scan lazy = scan_all(s, 1, size, NULL, NULL);
        if (whole.status == 0 && lazy.status == 0)
            fuzz_require(whole.count == lazy.count && whole.digest == lazy.digest);
        bool exact = whole.status == 0 && whole.ordered;
        lookups(s, 0, samples, n, exact, data, size);
        lookups(s, 1, samples, n, exact, data, size);
        eng_sst_unref(s);
        /* read with pread instead of in place: the same entries, the same end */
        fuzz_require(eng_sst_open(fuzz_dir(), gen, ENG_SST_OPEN_NO_MAP, &s) == 0);
        scan unmapped = scan_all(s, 0, size, NULL, NULL);
        fuzz_require(unmapped.status == whole.status && unmapped.count == whole.count &&
                     unmapped.digest == whole.digest);
        eng_sst_unref(s);
    }
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_key_codec(slice_make(data, size));
    run(data, size);
    uint8_t *fixed = fuzz_copy(data, size);
    if (fix_crcs(fixed, size))
        run(fixed, size);
    return 0;
}
