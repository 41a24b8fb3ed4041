/*
 * manifest.h -- the durable record of which SSTables make up each table.
 *
 * The manifest is a log of edits in <dir>/MANIFEST-<n:016x>, framed like the
 * commitlog (log_format.h, with n as the file id). An edit is applied to the
 * in-memory state only after its record is fdatasync'd, so the state on disk
 * and in memory never disagree on what has been acknowledged. An edit is
 * atomic: a compaction adds its outputs and removes its inputs in one record,
 * so a crash leaves either the inputs or the outputs, never both or neither.
 *
 * When the file grows past twice the size of a fresh snapshot (plus 1 MiB),
 * the whole state is written to MANIFEST-<n+1>.tmp, fsynced, renamed and the
 * directory fsynced; then the old file is removed. At open the highest
 * numbered complete MANIFEST is read; a torn last record is cut (that edit was
 * never acknowledged), but an invalid record that a valid one follows is
 * corruption; *.tmp leftovers are removed.
 *
 * Invariants:
 *  (1) an SSTable is part of a table iff an ADD edit for it is durable and no
 *      later REMOVE is. Files in a table directory that are not part of it
 *      are leftovers of an interrupted flush or compaction.
 *  (2) a table's flushed position P means: every commitlog record before P
 *      that touches the table is in the table's SSTables.
 *  (3) after a failed write or fsync the manifest is FAILED (sticky CF_EIO),
 *      except as (4) says.
 *  (4) a full disk refuses edits, never corrupts or FAILS the manifest: an
 *      edit whose write fails with ENOSPC is cut off the file and refused
 *      (CF_ENOSPC), the state unchanged; a snapshot that cannot be written
 *      leaves the current file in charge; open on a full disk appends to the
 *      file it read (manifest.c says how).
 *
 * Edit format: doc/formats.md ("Manifest").
 */
#ifndef ENG_MANIFEST_H
#define ENG_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "engine/commitlog.h"
#include "util/buf.h"

typedef struct eng_manifest eng_manifest;

typedef struct eng_manifest_table {
    uint32_t id;
    char name[65];
    char strategy[17];
    eng_clog_pos flushed; /* invariant (2) */
    uint64_t *gens;       /* live SSTable generations, in the order added */
    size_t n_gens, cap_gens;
} eng_manifest_table;

/* An edit under construction: a sequence of operations, applied atomically. */
typedef struct eng_manifest_edit {
    cf_buf ops;
} eng_manifest_edit;

/* Each appends one operation to the edit; CF_ENOMEM on failure. */
int eng_manifest_edit_table(eng_manifest_edit *e, uint32_t id, const char *name,
                            const char *strategy);
int eng_manifest_edit_add(eng_manifest_edit *e, uint32_t table_id, uint64_t gen);
int eng_manifest_edit_remove(eng_manifest_edit *e, uint32_t table_id, uint64_t gen);
int eng_manifest_edit_flushed(eng_manifest_edit *e, uint32_t table_id, eng_clog_pos pos);
void eng_manifest_edit_free(eng_manifest_edit *e);

/*
 * eng_manifest_open -- loads the newest manifest in dir (an empty state if
 * none) and starts a fresh snapshot file. Caller frees with
 * eng_manifest_close(). CF_ECORRUPT (logged with the file name) if a record
 * before the last is invalid or an edit contradicts the state.
 */
int eng_manifest_open(const char *dir, eng_manifest **out);

/*
 * eng_manifest_apply -- makes edit e durable, then applies it to the state.
 * Thread-safe. 0 means the edit is durable and applied; on error it is
 * neither. CF_ENOSPC when the disk is full (invariant (4): later edits may
 * succeed), CF_EIO when FAILED (invariant (3)).
 */
int eng_manifest_apply(eng_manifest *m, const eng_manifest_edit *e);

/*
 * eng_manifest_tables -- the state's tables; valid until the next apply.
 * REQUIRES: no concurrent eng_manifest_apply (used at open only).
 */
const eng_manifest_table *eng_manifest_tables(const eng_manifest *m, size_t *n);

/* eng_manifest_max_gen -- the largest SSTable generation ever added. */
uint64_t eng_manifest_max_gen(const eng_manifest *m);

void eng_manifest_close(eng_manifest *m);

#endif
