/*
 * console_test.c -- the web console's embedded table (tools/embed.c ->
 * console_files.h): one row per file of console/ with its exact bytes, the
 * rows sorted and named as console_files.h's invariants say, the ETag the
 * SHA-256 of the bytes, the content type by extension, and the lookup exact
 * (no prefix, no path, no empty name); tools/embed itself on doc/formats.md's
 * worked example, and refusing names it must not serve. Run from the
 * repository root (as tests/run.sh does): it reads console/ to compare, and
 * finds the embed tool beside this binary's build directory.
 */
#include <dirent.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "s3/console_files.h"
#include "test.h"

static void test_rows_are_sorted_and_named_safely(void)
{
    CHECK(s3_console_file_count >= 3);
    for (size_t i = 0; i < s3_console_file_count; i++) {
        const char *n = s3_console_files[i].name;
        CHECK(n[0] && n[0] != '.');
        CHECK(strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(n));
        if (i)
            CHECK(strcmp(s3_console_files[i - 1].name, n) < 0);
    }
}

static void test_every_file_of_console_dir_is_embedded_byte_exact(void)
{
    DIR *d = opendir("console");
    if (!CHECK(d != NULL))
        return;
    size_t seen = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        seen++;
        const s3_console_file *f = s3_console_find(slice_str(e->d_name));
        if (!CHECK(f != NULL))
            continue;
        char path[512];
        snprintf(path, sizeof path, "console/%s", e->d_name);
        FILE *in = fopen(path, "rb");
        if (!CHECK(in != NULL))
            continue;
        uint8_t *bytes = malloc(f->len + 1);
        size_t got = bytes ? fread(bytes, 1, f->len + 1, in) : 0;
        fclose(in);
        CHECK_MEM(bytes, got, f->data, f->len);
        free(bytes);
    }
    closedir(d);
    CHECK_EQ(seen, s3_console_file_count);
}

static void test_etag_is_the_sha256_prefix_of_the_bytes(void)
{
    for (size_t i = 0; i < s3_console_file_count; i++) {
        const s3_console_file *f = &s3_console_files[i];
        uint8_t md[SHA256_DIGEST_LENGTH];
        SHA256(f->data, f->len, md);
        char hex[33];
        for (int k = 0; k < 16; k++)
            snprintf(hex + 2 * k, 3, "%02x", md[k]);
        CHECK_MEM(f->etag, strlen(f->etag), hex, 32);
    }
}

static void test_content_types_follow_the_extension(void)
{
    const s3_console_file *html = s3_console_find(slice_str("index.html"));
    const s3_console_file *js = s3_console_find(slice_str("app.js"));
    const s3_console_file *css = s3_console_find(slice_str("style.css"));
    if (!CHECK(html && js && css))
        return;
    CHECK(strcmp(html->content_type, "text/html; charset=utf-8") == 0);
    CHECK(strcmp(js->content_type, "text/javascript; charset=utf-8") == 0);
    CHECK(strcmp(css->content_type, "text/css; charset=utf-8") == 0);
}

static void test_lookup_is_exact(void)
{
    CHECK(s3_console_find(slice_str("index.html")) != NULL);
    CHECK(s3_console_find(slice_str("")) == NULL);
    CHECK(s3_console_find(slice_str("index.htm")) == NULL);
    CHECK(s3_console_find(slice_str("index.html.")) == NULL);
    CHECK(s3_console_find(slice_str("/index.html")) == NULL);
    CHECK(s3_console_find(slice_str("x/index.html")) == NULL);
    CHECK(s3_console_find(slice_str("../console/index.html")) == NULL);
    CHECK(s3_console_find(slice_make("index.html\0", 11)) == NULL);
    /* every row is found by its own name, first and last included */
    for (size_t i = 0; i < s3_console_file_count; i++)
        CHECK(s3_console_find(slice_str(s3_console_files[i].name)) == &s3_console_files[i]);
}

/* embed_path -- build/<BUILD>/tools/embed, from build/<BUILD>/tests/unit/s3/console_test */
static bool embed_path(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0)
        return false;
    out[n] = 0;
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(out, '/');
        if (!slash)
            return false;
        *slash = 0;
    }
    return strlen(out) + sizeof "/tools/embed" <= cap && strcat(out, "/tools/embed");
}

/* run_embed -- runs the tool on files (a space-separated list under dir): its exit status */
static int run_embed(const char *dir, const char *files, const char *out)
{
    char tool[4096], cmd[8192];
    if (!embed_path(tool, sizeof tool))
        return -1;
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' '%s' %s 2>/dev/null", dir, tool, out, files);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (CHECK(f != NULL)) {
        fputs(text, f);
        fclose(f);
    }
}

/* doc/formats.md "The console's files": an index.html of "hello\n" */
static void test_embed_writes_the_documented_row(void)
{
    const char *dir = test_tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s/gen.c", dir);
    put_file(dir, "index.html", "hello\n");
    put_file(dir, "a.js", "");
    if (!CHECK_EQ(run_embed(dir, "index.html a.js", out), 0))
        return;
    FILE *f = fopen(out, "rb");
    if (!CHECK(f != NULL))
        return;
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    /* sorted by name: a.js (empty) first, then index.html */
    const char *a = strstr(text, "{\"a.js\", f0, 0, \"text/javascript; charset=utf-8\", "
                                 "\"e3b0c44298fc1c149afbf4c8996fb924\"},");
    const char *i = strstr(text, "{\"index.html\", f1, 6, \"text/html; charset=utf-8\", "
                                 "\"5891b5b522d5df086d0ff0b110fbd9d2\"},");
    CHECK(a != NULL && i != NULL && a < i);
    CHECK(strstr(text, "static const uint8_t f1[] = {\n104,101,108,108,111,10,\n};") != NULL);
    CHECK(strstr(text, "const size_t s3_console_file_count = 2;") != NULL);
}

static void test_embed_refuses_what_it_must_not_serve(void)
{
    const char *dir = test_tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s/gen.c", dir);
    put_file(dir, "Upper.html", "x");
    put_file(dir, "notes.txt", "x");
    put_file(dir, "app.js", "x");
    CHECK_EQ(run_embed(dir, "Upper.html", out), 1); /* not [a-z0-9._-] */
    CHECK_EQ(run_embed(dir, "notes.txt", out), 1);  /* no content type for it */
    CHECK_EQ(run_embed(dir, "missing.js", out), 1);
    CHECK_EQ(run_embed(dir, "app.js ./app.js", out), 1); /* one name twice */
    CHECK_EQ(run_embed(dir, "app.js", out), 0);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_rows_are_sorted_and_named_safely),
        TEST(test_every_file_of_console_dir_is_embedded_byte_exact),
        TEST(test_etag_is_the_sha256_prefix_of_the_bytes),
        TEST(test_content_types_follow_the_extension),
        TEST(test_lookup_is_exact),
        TEST(test_embed_writes_the_documented_row),
        TEST(test_embed_refuses_what_it_must_not_serve),
    };
    return test_main(cases, TEST_COUNT(cases));
}
