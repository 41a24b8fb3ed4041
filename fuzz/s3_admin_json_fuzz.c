/*
 * s3_admin_json_fuzz.c -- libFuzzer target for the admin API's request bodies:
 * s3_admin_parse (src/s3/admin_json.c) with the schema of user creation, of
 * a user update and of the change log settings (PUT /BUCKET?cdc, s3/cdc.c)
 * on the fuzz bytes.
 *
 * Checks beyond "no crash, no leak, no UB": a refusal returns NULL with a
 * non-empty, NUL-terminated why; an acceptance is an object whose every
 * member is named by the schema with its type, and why is empty; an empty
 * body is accepted as an empty object.
 *
 * Sources and libraries (fuzz/run.sh reads these two lines):
 * FUZZ_SRCS: src/s3/admin_json.c
 * FUZZ_LIBS: -ljson-c
 */
#include <stdlib.h>
#include <string.h>

#include "s3/admin.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

static void one(cf_slice body, const char *const *names, const json_type *types)
{
    char why[160];
    memset(why, 'x', sizeof why);
    json_object *doc = s3_admin_parse(body, names, types, why, sizeof why);
    check(memchr(why, '\0', sizeof why) != NULL);
    if (!doc) {
        check(why[0] != '\0' && body.len > 0);
        return;
    }
    check(why[0] == '\0' && json_object_is_type(doc, json_type_object));
    json_object_object_foreach(doc, name, value)
    {
        size_t i = 0;
        while (names[i] && strcmp(names[i], name) != 0)
            i++;
        check(names[i] != NULL && json_object_is_type(value, types[i]));
    }
    json_object_put(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const create[] = {"access_key", "name", "admin", NULL};
    static const json_type create_t[] = {json_type_string, json_type_string, json_type_boolean};
    static const char *const update[] = {"name", "admin", "disabled", NULL};
    static const json_type update_t[] = {json_type_string, json_type_boolean, json_type_boolean};
    static const char *const cdc[] = {"enabled", "window_seconds", "retention_seconds", NULL};
    static const json_type cdc_t[] = {json_type_boolean, json_type_int, json_type_int};
    cf_slice body = slice_make(data, size);
    one(body, create, create_t);
    one(body, update, update_t);
    one(body, cdc, cdc_t);
    return 0;
}
