/*
 * console_files.h -- the web console's files compiled into the binary: the
 * table tools/embed.c generates from console/ (build/<BUILD>/gen/
 * console_files.c) and the lookup console.c serves from.
 *
 * Invariants of the generated table: (1) rows are sorted by name, strictly
 * (no name twice); (2) every name is [a-z0-9._-] with no '/', so a name is
 * never a path; (3) etag is the hex of the first 16 bytes of the SHA-256 of
 * data[0..len), so it changes whenever the bytes do (a strong validator).
 */
#ifndef S3_CONSOLE_FILES_H
#define S3_CONSOLE_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

typedef struct s3_console_file {
    const char *name;         /* "index.html", "app.js" */
    const uint8_t *data;      /* len bytes, static */
    size_t len;
    const char *content_type; /* "text/javascript; charset=utf-8" */
    const char *etag;         /* 32 hex digits, unquoted */
} s3_console_file;

extern const s3_console_file s3_console_files[];
extern const size_t s3_console_file_count;

/* s3_console_find -- the file named name (exactly), or NULL. */
const s3_console_file *s3_console_find(cf_slice name);

#endif
