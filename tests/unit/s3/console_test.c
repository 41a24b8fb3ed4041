/*
 * console_test.c -- the web console's embedded table (tools/embed.c ->
 * console_files.h): one row per file of console/ with its exact bytes, the
 * rows sorted and named as console_files.h's invariants say, the ETag the
 * SHA-256 of the bytes, the content type by extension, and the lookup exact
 * (no prefix, no path, no empty name). Run from the repository root (as
 * tests/run.sh does): it reads console/ to compare.
 */
#include <dirent.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    static const test_case cases[] = {
        TEST(test_rows_are_sorted_and_named_safely),
        TEST(test_every_file_of_console_dir_is_embedded_byte_exact),
        TEST(test_etag_is_the_sha256_prefix_of_the_bytes),
        TEST(test_content_types_follow_the_extension),
        TEST(test_lookup_is_exact),
    };
    return test_main(cases, TEST_COUNT(cases));
}
