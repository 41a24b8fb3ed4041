/*
 * engine_manifest_fuzz.c -- libFuzzer target for the manifest reader
 * (manifest.c: record framing, edit decoding and checking, replay).
 *
 * The input is written as MANIFEST-0000000000000001 in the scratch
 * directory (engine_files.h) and loaded by eng_manifest_open(), the path
 * every database open takes: it replays the file, writes the state as a
 * fresh snapshot MANIFEST-...2 and removes the input. Checks beyond no
 * crash, leak or UB:
 *   - open returns 0 or CF_ECORRUPT;
 *   - on 0, table ids are distinct and no live generation exceeds max_gen;
 *   - the snapshot open wrote loads back (a second eng_manifest_open) to the
 *     same state: the same tables in the same order, with the same names,
 *     strategies, flushed positions and live generations in order.
 * Each input runs as given, then, if it changes anything, with every
 * record's crc recomputed for file id 1 (fuzz_log_fix_crcs), so mutated
 * edits reach check_ops() and apply_ops() instead of stopping at the crc.
 *
 * Seeds (fuzz/corpus/engine_manifest/): the MANIFEST of the database that
 * fuzz/seed_engine.sh has the engine write (three tables, flushes, a
 * compaction's ADD and REMOVE edits), and inputs fuzzing found.
 *
 * Sources (fuzz/run.sh reads this line):
 * FUZZ_SRCS: src/engine/[a-z]*.c src/util/[a-z]*.c fuzz/engine_files.c
 */
#include <string.h>
#include <unistd.h>

#include "engine/manifest.h"
#include "engine_files.h"
#include "util/err.h"
#include "util/log.h"

#define MAX_NUMBER 3 /* the input is 1, the snapshots 2 and 3 */

static void manifest_file(char *out, size_t cap, uint64_t n)
{
    static const char *const names[MAX_NUMBER + 1] = {
        NULL, "MANIFEST-0000000000000001", "MANIFEST-0000000000000002",
        "MANIFEST-0000000000000003"};
    fuzz_path(out, cap, names[n]);
}

static void check_state(const eng_manifest *m)
{
    size_t n;
    const eng_manifest_table *t = eng_manifest_tables(m, &n);
    uint64_t max_gen = eng_manifest_max_gen(m);
    for (size_t i = 0; i < n; i++) {
        fuzz_require(memchr(t[i].name, '\0', sizeof t[i].name) != NULL);
        fuzz_require(memchr(t[i].strategy, '\0', sizeof t[i].strategy) != NULL);
        fuzz_require(t[i].n_gens <= t[i].cap_gens);
        for (size_t j = 0; j < i; j++)
            fuzz_require(t[j].id != t[i].id);
        for (size_t g = 0; g < t[i].n_gens; g++)
            fuzz_require(t[i].gens[g] <= max_gen);
    }
}

static void check_same(const eng_manifest *a, const eng_manifest *b)
{
    size_t na, nb;
    const eng_manifest_table *ta = eng_manifest_tables(a, &na);
    const eng_manifest_table *tb = eng_manifest_tables(b, &nb);
    fuzz_require(na == nb);
    for (size_t i = 0; i < na; i++) {
        fuzz_require(ta[i].id == tb[i].id && strcmp(ta[i].name, tb[i].name) == 0 &&
                     strcmp(ta[i].strategy, tb[i].strategy) == 0);
        fuzz_require(eng_clog_pos_cmp(ta[i].flushed, tb[i].flushed) == 0);
        fuzz_require(ta[i].n_gens == tb[i].n_gens);
        for (size_t g = 0; g < ta[i].n_gens; g++)
            fuzz_require(ta[i].gens[g] == tb[i].gens[g]);
    }
}

static void run(const uint8_t *data, size_t size)
{
    char path[4096];
    manifest_file(path, sizeof path, 1);
    fuzz_file_put(path, data, size);
    eng_manifest *m, *again;
    int rc = eng_manifest_open(fuzz_dir(), &m);
    fuzz_require(rc == 0 || rc == CF_ECORRUPT);
    fuzz_require((rc == 0) == (m != NULL));
    if (rc == 0) {
        check_state(m);
        fuzz_require(eng_manifest_open(fuzz_dir(), &again) == 0); /* loads MANIFEST-2 */
        check_same(m, again);
        eng_manifest_close(again);
        eng_manifest_close(m);
    }
    for (uint64_t n = 1; n <= MAX_NUMBER; n++) {
        manifest_file(path, sizeof path, n);
        unlink(path);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size);
    uint8_t *fixed = fuzz_copy(data, size);
    if (fuzz_log_fix_crcs(1, fixed, size))
        run(fixed, size);
    return 0;
}
