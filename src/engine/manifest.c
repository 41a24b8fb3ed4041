/*
 * manifest.c -- the manifest log: edits, load, snapshot rewrite (manifest.h).
 *
 * An edit's payload is a sequence of operations, each an op byte and fields:
 *
 *   ENG_MAN_TABLE    id varint, name (len varint + bytes), strategy (same)
 *   ENG_MAN_ADD      table id varint, gen varint
 *   ENG_MAN_REMOVE   table id varint, gen varint
 *   ENG_MAN_FLUSHED  table id varint, seg varint, off varint
 *
 * The same apply_ops() replays edits at load and applies new ones, so the
 * state is built one way only.
 *
 * A full disk (invariant (4) of manifest.h) fails no more than the edit or
 * the snapshot it hit:
 *   - an edit's record is written at file_bytes with pwrite; if the write
 *     fails with ENOSPC, the bytes it left are cut (ftruncate back to
 *     file_bytes, which needs no space) and the edit is refused with
 *     CF_ENOSPC, the manifest unchanged and still usable. Nothing was
 *     fsynced, so no fsync is retried; a failed fdatasync still FAILS it.
 *   - a snapshot that fails before its rename leaves the current file in
 *     charge: the edit that triggered it stands (it is durable and applied)
 *     and the snapshot is tried again after the next edit. Only a failure
 *     after the rename (the directory fsync) FAILS the manifest, since it is
 *     then unknown which file open would read.
 *   - at open, when there is no space for the fresh snapshot, the file just
 *     read stays the current one (its torn tail cut), so a full disk does
 *     not keep the database from opening.
 */
#include "engine/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/log_format.h"
#include "util/coding.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/log.h"

enum { ENG_MAN_TABLE = 1, ENG_MAN_ADD = 2, ENG_MAN_REMOVE = 3, ENG_MAN_FLUSHED = 4 };

#define SNAPSHOT_SLACK_BYTES (1u << 20)

struct eng_manifest {
    char dir[PATH_MAX];
    pthread_mutex_t mu;
    int fd;                /* the current MANIFEST file, open for append */
    uint64_t number;       /* its number: the record file id */
    uint64_t file_bytes;   /* its size */
    uint64_t snapshot_bytes; /* size of the snapshot it started with */
    bool failed;           /* invariant (3) */
    bool snapshot_failing; /* the last snapshot failed (logged once until one succeeds) */
    bool edit_nospace;     /* the last edit was refused for space (logged once, likewise) */
    eng_manifest_table *tables;
    size_t n_tables, cap_tables;
    uint64_t max_gen;
    cf_buf scratch;        /* record framing, reused */
};

static int put_str(cf_buf *b, const char *s)
{
    size_t n = strlen(s);
    int rc = buf_append_varint(b, n);
    return rc ? rc : buf_append(b, s, n);
}

int eng_manifest_edit_table(eng_manifest_edit *e, uint32_t id, const char *name,
                            const char *strategy)
{
    uint8_t op = ENG_MAN_TABLE;
    int rc = buf_append(&e->ops, &op, 1);
    if (!rc)
        rc = buf_append_varint(&e->ops, id);
    if (!rc)
        rc = put_str(&e->ops, name);
    if (!rc)
        rc = put_str(&e->ops, strategy);
    return rc;
}

static int edit_gen(eng_manifest_edit *e, uint8_t op, uint32_t table_id, uint64_t gen)
{
    int rc = buf_append(&e->ops, &op, 1);
    if (!rc)
        rc = buf_append_varint(&e->ops, table_id);
    if (!rc)
        rc = buf_append_varint(&e->ops, gen);
    return rc;
}

int eng_manifest_edit_add(eng_manifest_edit *e, uint32_t table_id, uint64_t gen)
{
    return edit_gen(e, ENG_MAN_ADD, table_id, gen);
}

int eng_manifest_edit_remove(eng_manifest_edit *e, uint32_t table_id, uint64_t gen)
{
    return edit_gen(e, ENG_MAN_REMOVE, table_id, gen);
}

int eng_manifest_edit_flushed(eng_manifest_edit *e, uint32_t table_id, eng_clog_pos pos)
{
    uint8_t op = ENG_MAN_FLUSHED;
    int rc = buf_append(&e->ops, &op, 1);
    if (!rc)
        rc = buf_append_varint(&e->ops, table_id);
    if (!rc)
        rc = buf_append_varint(&e->ops, pos.seg);
    if (!rc)
        rc = buf_append_varint(&e->ops, pos.off);
    return rc;
}

void eng_manifest_edit_free(eng_manifest_edit *e)
{
    buf_free(&e->ops);
}

static eng_manifest_table *find_table(eng_manifest *m, uint32_t id)
{
    for (size_t i = 0; i < m->n_tables; i++)
        if (m->tables[i].id == id)
            return &m->tables[i];
    return NULL;
}

static const uint8_t *get_str(const uint8_t *p, const uint8_t *end, char *out, size_t cap)
{
    uint64_t n;
    p = get_varint(p, end, &n);
    if (!p || n >= cap || n > (uint64_t)(end - p))
        return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    return p + n;
}

/* has_gen -- is gen live in t? */
static bool has_gen(const eng_manifest_table *t, uint64_t gen)
{
    for (size_t i = 0; i < t->n_gens; i++)
        if (t->gens[i] == gen)
            return true;
    return false;
}

/*
 * check_ops -- validates a whole edit against the state before any of it is
 * written or applied, so an edit is refused whole (edits are atomic) and a
 * durable edit always applies: syntax, known tables (or created earlier in
 * the same edit), new table ids, removals of live files only.
 */
static int check_ops(eng_manifest *m, const uint8_t *p, const uint8_t *end)
{
    uint32_t created[ENG_MAX_TABLES];
    size_t n_created = 0;
    while (p < end) {
        uint8_t op = *p++;
        uint64_t id, a = 0, b;
        char name[65], strat[17];
        p = get_varint(p, end, &id);
        if (!p || id > UINT32_MAX)
            return CF_ECORRUPT;
        eng_manifest_table *t = find_table(m, (uint32_t)id);
        bool known = t != NULL;
        for (size_t i = 0; i < n_created; i++)
            known = known || created[i] == id;
        switch (op) {
        case ENG_MAN_TABLE:
            p = get_str(p, end, name, sizeof name);
            if (p)
                p = get_str(p, end, strat, sizeof strat);
            if (!p || known || n_created == ENG_MAX_TABLES)
                return CF_ECORRUPT; /* !p: a name or strategy too long or cut short */
            created[n_created++] = (uint32_t)id;
            continue;
        case ENG_MAN_ADD:
        case ENG_MAN_REMOVE:
            p = get_varint(p, end, &a);
            break;
        case ENG_MAN_FLUSHED:
            p = get_varint(p, end, &a);
            if (p)
                p = get_varint(p, end, &b);
            break;
        default:
            return CF_ECORRUPT;
        }
        if (!p || !known)
            return CF_ECORRUPT;
        if (op == ENG_MAN_REMOVE && (!t || !has_gen(t, a)))
            return CF_ECORRUPT;
    }
    return 0;
}

static int table_push_gen(eng_manifest_table *t, uint64_t gen)
{
    if (t->n_gens == t->cap_gens) {
        size_t cap = t->cap_gens ? t->cap_gens * 2 : 16;
        uint64_t *g = realloc(t->gens, cap * sizeof *g);
        if (!g)
            return CF_ENOMEM;
        t->gens = g;
        t->cap_gens = cap;
    }
    t->gens[t->n_gens++] = gen;
    return 0;
}

/* apply_ops -- applies a checked edit to the state. */
static int apply_ops(eng_manifest *m, const uint8_t *p, const uint8_t *end)
{
    int rc = check_ops(m, p, end);
    while (rc == 0 && p < end) {
        uint8_t op = *p++;
        uint64_t id = 0, a = 0, b = 0;
        p = get_varint(p, end, &id);
        if (op == ENG_MAN_TABLE) {
            eng_manifest_table t = {0};
            t.id = (uint32_t)id;
            p = get_str(p, end, t.name, sizeof t.name);
            p = get_str(p, end, t.strategy, sizeof t.strategy);
            if (find_table(m, t.id))
                return CF_ECORRUPT;
            if (m->n_tables == m->cap_tables) {
                size_t cap = m->cap_tables ? m->cap_tables * 2 : 8;
                eng_manifest_table *nt = realloc(m->tables, cap * sizeof *nt);
                if (!nt)
                    return CF_ENOMEM;
                m->tables = nt;
                m->cap_tables = cap;
            }
            m->tables[m->n_tables++] = t;
            continue;
        }
        eng_manifest_table *t = find_table(m, (uint32_t)id);
        if (!t)
            return CF_ECORRUPT;
        p = get_varint(p, end, &a);
        if (op == ENG_MAN_FLUSHED) {
            p = get_varint(p, end, &b);
            t->flushed.seg = a;
            t->flushed.off = b;
        } else if (op == ENG_MAN_ADD) {
            rc = table_push_gen(t, a);
            if (a > m->max_gen)
                m->max_gen = a;
        } else {
            size_t i = 0;
            while (i < t->n_gens && t->gens[i] != a)
                i++;
            if (i == t->n_gens)
                return CF_ECORRUPT;
            memmove(&t->gens[i], &t->gens[i + 1], (t->n_gens - i - 1) * sizeof *t->gens);
            t->n_gens--;
        }
    }
    return rc;
}

static void manifest_path(char *out, size_t cap, const char *dir, uint64_t n, const char *suffix)
{
    snprintf(out, cap, "%s/MANIFEST-%016llx%s", dir, (unsigned long long)n, suffix);
}

/* append_record -- frames payload as a log record and writes it at offset off of fd. */
static int append_record(eng_manifest *m, int fd, uint64_t off, uint64_t file_id,
                         const uint8_t *p, size_t n)
{
    buf_clear(&m->scratch);
    int rc = buf_reserve(&m->scratch, ENG_LOG_HEADER_BYTES + n);
    if (rc)
        return rc;
    put_u32(m->scratch.data, (uint32_t)n);
    put_u32(m->scratch.data + 4, eng_log_record_crc(file_id, p, (uint32_t)n));
    memcpy(m->scratch.data + ENG_LOG_HEADER_BYTES, p, n);
    m->scratch.len = ENG_LOG_HEADER_BYTES + n;
    return file_pwrite_all(fd, m->scratch.data, m->scratch.len, off);
}

/*
 * snapshot -- writes the whole state as one edit into MANIFEST-<n>, durably,
 * and switches to it. On error the current file stays in charge, unless the
 * rename was done: then the manifest is FAILED (invariant (3)).
 */
static int snapshot(eng_manifest *m, uint64_t n)
{
    char tmp[PATH_MAX + 40], path[PATH_MAX + 40], old[PATH_MAX + 40];
    eng_manifest_edit e = {0};
    int fd = -1, rc = 0;
    for (size_t i = 0; rc == 0 && i < m->n_tables; i++) {
        const eng_manifest_table *t = &m->tables[i];
        rc = eng_manifest_edit_table(&e, t->id, t->name, t->strategy);
        if (!rc)
            rc = eng_manifest_edit_flushed(&e, t->id, t->flushed);
        for (size_t g = 0; rc == 0 && g < t->n_gens; g++)
            rc = eng_manifest_edit_add(&e, t->id, t->gens[g]);
    }
    if (rc)
        goto fail;
    manifest_path(tmp, sizeof tmp, m->dir, n, ".tmp");
    manifest_path(path, sizeof path, m->dir, n, "");
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = file_err(errno);
        goto fail;
    }
    if (e.ops.len > 0)
        rc = append_record(m, fd, 0, n, e.ops.data, e.ops.len);
    if (!rc)
        rc = file_rename_durable(fd, tmp, path, m->dir);
    if (rc && access(path, F_OK) == 0)
        m->failed = true; /* renamed, not known durable: which file counts is unknown */
    if (rc)
        goto fail;
    if (m->fd >= 0) {
        close(m->fd);
        manifest_path(old, sizeof old, m->dir, m->number, "");
        unlink(old);
    }
    m->fd = fd;
    m->number = n;
    m->snapshot_bytes = m->file_bytes = e.ops.len ? e.ops.len + ENG_LOG_HEADER_BYTES : 0;
    if (m->snapshot_failing)
        log_info("manifest %s: snapshot %llu written", m->dir, (unsigned long long)n);
    m->snapshot_failing = false;
    eng_manifest_edit_free(&e);
    return 0;
fail:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    eng_manifest_edit_free(&e);
    if (!m->snapshot_failing || m->failed)
        log_error("manifest %s: cannot write snapshot %llu: %s%s", m->dir, (unsigned long long)n,
                  cf_err_str(rc), m->failed ? "" : "; the current file stays in charge");
    m->snapshot_failing = true;
    return rc;
}

/* load -- replays MANIFEST-<n> into the state up to a torn last record; *valid is
 * where that record starts (the file size if there is none). */
static int load(eng_manifest *m, uint64_t n, uint64_t *valid)
{
    char path[PATH_MAX + 40];
    manifest_path(path, sizeof path, m->dir, n, "");
    int rc = 0;
    uint8_t *data = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = CF_EIO;
        goto out;
    }
    size_t size = (size_t)st.st_size;
    data = malloc(size ? size : 1);
    if (!data) {
        rc = CF_ENOMEM;
        goto out;
    }
    rc = file_pread_all(fd, data, size, 0);
    size_t off = 0;
    while (rc == 0 && off < size) {
        const uint8_t *payload;
        uint32_t len;
        int64_t used = eng_log_record_parse(n, data, size, off, &payload, &len);
        uint64_t claimed = size - off >= ENG_LOG_HEADER_BYTES ? get_u32(data + off) : 0;
        if (used < 0 && claimed <= ENG_CLOG_MAX_RECORD_BYTES &&
            ENG_LOG_HEADER_BYTES + claimed < size - off) {
            /* bytes follow the bad record, so a later append followed it, which
             * happens only after its fdatasync: it was durable, this is damage */
            log_error("manifest %s: corrupt record at offset %zu", path, off);
            rc = CF_ECORRUPT;
            break;
        }
        if (used <= 0) {
            /* A torn record can only be the last one. Damage that a valid
             * record follows is not a torn write: the edits after it name
             * live SSTables, which open would delete as leftovers. */
            size_t next;
            rc = eng_log_record_find(n, data, size, off + 1, &next);
            if (rc == 1) {
                log_error("manifest %s: corrupt edit at offset %zu, and a valid edit follows at "
                          "offset %zu: not a torn write; refusing to open",
                          path, off, next);
                rc = CF_ECORRUPT;
            } else if (rc == 0) {
                log_warn("manifest %s: cut %zu bytes of torn tail at offset %zu", path, size - off,
                         off);
            }
            break;
        }
        rc = apply_ops(m, payload, payload + len);
        if (rc)
            log_error("manifest %s: invalid edit at offset %zu: %s", path, off, cf_err_str(rc));
        off += (size_t)used;
    }
    *valid = off;
out:
    if (fd >= 0)
        close(fd);
    free(data);
    return rc;
}

/*
 * keep_file -- makes MANIFEST-<n>, read by load() up to valid, the current
 * file again: its torn tail is cut (that needs no space) and edits are
 * appended at valid. Open's way on a full disk.
 */
static int keep_file(eng_manifest *m, uint64_t n, uint64_t valid)
{
    char path[PATH_MAX + 40];
    manifest_path(path, sizeof path, m->dir, n, "");
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int rc = fd < 0 ? file_err(errno) : 0;
    if (!rc && (ftruncate(fd, (off_t)valid) != 0 || fsync(fd) != 0))
        rc = file_err(errno);
    if (rc) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    log_warn("manifest %s: no space for a fresh snapshot; appending to %s", m->dir, path);
    m->fd = fd;
    m->number = n;
    m->snapshot_bytes = m->file_bytes = valid;
    return 0;
}

int eng_manifest_open(const char *dir, eng_manifest **out)
{
    *out = NULL;
    eng_manifest *m = calloc(1, sizeof *m);
    if (!m)
        return CF_ENOMEM;
    m->fd = -1;
    pthread_mutex_init(&m->mu, NULL);
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    int rc = file_mkdir_p(dir);
    uint64_t newest = 0;
    bool found = false;
    DIR *d = rc ? NULL : opendir(dir);
    if (!rc && !d)
        rc = CF_EIO;
    for (struct dirent *de; d && (de = readdir(d));) {
        unsigned long long n;
        char tail[8];
        int k = sscanf(de->d_name, "MANIFEST-%16llx%7s", &n, tail);
        if (k == 2 && strcmp(tail, ".tmp") == 0) {
            char p[PATH_MAX + 300];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        } else if (k == 1 && (!found || n > newest)) {
            newest = n;
            found = true;
        }
    }
    if (d)
        closedir(d);
    uint64_t valid = 0;
    if (!rc && found)
        rc = load(m, newest, &valid);
    if (!rc)
        rc = snapshot(m, found ? newest + 1 : 1);
    if (rc == CF_ENOSPC && found && !m->failed)
        rc = keep_file(m, newest, valid); /* invariant (4) */
    if (!rc && found && m->number != newest) {
        char old[PATH_MAX + 40];
        manifest_path(old, sizeof old, dir, newest, "");
        unlink(old);
    }
    if (rc) {
        eng_manifest_close(m);
        return rc;
    }
    *out = m;
    return 0;
}

int eng_manifest_apply(eng_manifest *m, const eng_manifest_edit *e)
{
    pthread_mutex_lock(&m->mu);
    int rc = m->failed ? CF_EIO : check_ops(m, e->ops.data, e->ops.data + e->ops.len);
    if (rc)
        goto out;
    rc = append_record(m, m->fd, m->file_bytes, m->number, e->ops.data, e->ops.len);
    if (rc == CF_ENOSPC && ftruncate(m->fd, (off_t)m->file_bytes) == 0) {
        if (!m->edit_nospace)
            log_warn("manifest %s: no space for an edit; refused, the manifest is unchanged",
                     m->dir);
        m->edit_nospace = true;
        goto out; /* invariant (4): nothing was fsynced, the file is as before */
    }
    if (!rc && fdatasync(m->fd) != 0)
        rc = file_err(errno);
    if (rc) {
        m->failed = true; /* invariant (3): never retry an fsync */
        log_error("manifest %s: write failed: %s", m->dir, cf_err_str(rc));
        goto out;
    }
    m->file_bytes += ENG_LOG_HEADER_BYTES + e->ops.len;
    m->edit_nospace = false;
    rc = apply_ops(m, e->ops.data, e->ops.data + e->ops.len);
    if (rc) {
        m->failed = true; /* durable, checked, yet not applied (no memory): stop here */
        log_error("manifest %s: cannot apply edit: %s", m->dir, cf_err_str(rc));
        goto out;
    }
    /* the edit is durable and applied: a failed snapshot is not its failure (invariant (4)) */
    if (m->file_bytes > 2 * m->snapshot_bytes + SNAPSHOT_SLACK_BYTES)
        snapshot(m, m->number + 1);
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

const eng_manifest_table *eng_manifest_tables(const eng_manifest *m, size_t *n)
{
    *n = m->n_tables;
    return m->tables;
}

uint64_t eng_manifest_max_gen(const eng_manifest *m)
{
    return m->max_gen;
}

void eng_manifest_close(eng_manifest *m)
{
    if (!m)
        return;
    if (m->fd >= 0)
        close(m->fd);
    for (size_t i = 0; i < m->n_tables; i++)
        free(m->tables[i].gens);
    free(m->tables);
    buf_free(&m->scratch);
    pthread_mutex_destroy(&m->mu);
    free(m);
}
