/*
 * admin_json.c -- the admin API's request bodies: one JSON object whose
 * members are named by the endpoint, each of a given type (doc/admin.md).
 *
 * Pure functions of their input (no request, no store), so that
 * fuzz/s3_admin_json_fuzz.c drives them with any bytes. json-c parses;
 * this file decides what is acceptable: exactly one JSON value filling the
 * whole body, an object, no member the endpoint does not name, each member
 * of its type (a member of type object may also be null). A body is at most S3_ADMIN_MAX_BODY bytes (admin.c reads it
 * with that cap), so json-c's memory per request is bounded.
 */
#include <stdio.h>
#include <string.h>

#include "s3/admin.h"

json_object *s3_admin_json(cf_slice text)
{
    json_tokener *tok = text.len <= INT32_MAX ? json_tokener_new() : NULL;
    json_object *doc = tok ? json_tokener_parse_ex(tok, (const char *)text.ptr, (int)text.len) : NULL;
    /* a complete value that stops short of the end, or a prefix waiting for more, is refused */
    if (doc && (json_tokener_get_error(tok) != json_tokener_success ||
                json_tokener_get_parse_end(tok) != text.len)) {
        json_object_put(doc);
        doc = NULL;
    }
    json_tokener_free(tok);
    return doc;
}

/* check_members -- why gets the first member of doc not in allowed or not of its type. */
static void check_members(json_object *doc, const char *const *allowed, const json_type *types,
                          char *why, size_t cap)
{
    json_object_object_foreach(doc, name, value)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], name) != 0)
            i++;
        if (!allowed[i])
            snprintf(why, cap, "Unknown member \"%.64s\".", name);
        /* an object member may be null: "remove what it sets" (the cdc sink) */
        else if (!json_object_is_type(value, types[i]) &&
                 !(types[i] == json_type_object && value == NULL))
            snprintf(why, cap, "Member \"%.64s\" must be a %s.", name, json_type_to_name(types[i]));
        if (why[0])
            return;
    }
}

json_object *s3_admin_parse(cf_slice body, const char *const *allowed, const json_type *types,
                            char *why, size_t cap)
{
    why[0] = '\0';
    json_object *doc = body.len ? s3_admin_json(body) : json_object_new_object();
    if (!json_object_is_type(doc, json_type_object))
        snprintf(why, cap, "The body is not one JSON object.");
    else
        check_members(doc, allowed, types, why, cap);
    if (why[0]) {
        json_object_put(doc);
        return NULL;
    }
    return doc;
}
