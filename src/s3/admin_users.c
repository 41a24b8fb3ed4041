/*
 * admin_users.c -- the admin API's users and keys (doc/admin.md):
 *
 *   GET    /_coffer/users              list (never a secret)
 *   POST   /_coffer/users              create; the answer holds the secret, once
 *   GET    /_coffer/users/KEY          one user
 *   PATCH  /_coffer/users/KEY          name, admin, disabled
 *   POST   /_coffer/users/KEY/rotate   a new secret; the old one stops at once
 *   DELETE /_coffer/users/KEY
 *
 * Every change goes through the store calls `coffer user` makes on a stopped
 * server (store_user_create / _update / _delete), so both keep the same
 * rules. Two more rules protect the server from its administrators: an
 * admin cannot disable, demote or delete themself (409 Conflict: the last
 * admin could lock everyone out), and a user who owns buckets cannot be
 * deleted (409 Conflict), since a bucket whose owner is gone could then be
 * claimed by a new user created with the same key.
 */
#include <stdio.h>
#include <string.h>

#include "s3/admin.h"

static json_object *user_json(const store_user *u)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "access_key", json_object_new_string(u->access_key));
    json_object_object_add(o, "name", json_object_new_string(u->display_name));
    json_object_object_add(o, "admin", json_object_new_boolean(u->admin));
    json_object_object_add(o, "disabled", json_object_new_boolean(u->disabled));
    return o;
}

/* reply_with_secret -- the user, and the secret it was just given (201 create, rotate). */
static void reply_with_secret(s3_req *r, int status, const store_user *u)
{
    json_object *o = user_json(u);
    json_object_object_add(o, "secret_key", json_object_new_string(u->secret_key));
    s3_admin_reply(r, status, o);
}

static void fail(s3_req *r, int rc)
{
    if (rc == CF_ENOTFOUND)
        s3_error(r, S3_ERR_NO_SUCH_USER, NULL);
    else if (rc == CF_EEXIST)
        s3_error(r, S3_ERR_USER_ALREADY_EXISTS, NULL);
    else if (rc == CF_EINVAL)
        s3_error(r, S3_ERR_INVALID_ARGUMENT,
                 "An access key is 3 to 128 of A-Z a-z 0-9 . _ - and a name at most 128 bytes.");
    else if (rc == CF_ECONFLICT)
        s3_error(r, S3_ERR_CONFLICT, "An administrator cannot disable, demote or delete themself.");
    else
        s3_error_from(r, rc, S3_ERR_NO_SUCH_USER);
}

static int add_user(void *arg, const store_user *u)
{
    json_object_array_add(arg, user_json(u));
    return 0;
}

static void list(s3_req *r)
{
    json_object *users = json_object_new_array();
    int rc = store_user_list(r->ctx->st, add_user, users);
    if (rc) {
        json_object_put(users);
        fail(r, rc);
        return;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "users", users);
    s3_admin_reply(r, 200, o);
}

/* copy_string -- member name of doc, if present, into f (cap bytes); false if too long. */
static bool copy_string(json_object *doc, const char *name, char *f, size_t cap)
{
    json_object *v;
    if (!json_object_object_get_ex(doc, name, &v))
        return true;
    if ((size_t)json_object_get_string_len(v) >= cap)
        return false;
    snprintf(f, cap, "%s", json_object_get_string(v));
    return true;
}

static void create(s3_req *r)
{
    static const char *const names[] = {"access_key", "name", "admin", NULL};
    static const json_type types[] = {json_type_string, json_type_string, json_type_boolean};
    json_object *doc = s3_admin_body(r, names, types), *admin;
    if (!doc)
        return;
    store_user u;
    memset(&u, 0, sizeof u);
    int rc = 0;
    if (!copy_string(doc, "access_key", u.access_key, sizeof u.access_key) ||
        !copy_string(doc, "name", u.display_name, sizeof u.display_name))
        rc = CF_EINVAL;
    /* a key given as "" is refused, not silently replaced by a generated one */
    if (json_object_object_get_ex(doc, "access_key", NULL) && !u.access_key[0])
        rc = CF_EINVAL;
    if (json_object_object_get_ex(doc, "admin", &admin))
        u.admin = json_object_get_boolean(admin);
    json_object_put(doc);
    if (!rc)
        rc = store_user_create(r->ctx->st, &u);
    if (rc)
        fail(r, rc);
    else
        reply_with_secret(r, 201, &u);
}

typedef struct patch {
    json_object *doc;
    const char *self; /* the calling admin's access key */
} patch;

static int apply_patch(void *arg, store_user *u)
{
    const patch *p = arg;
    json_object *v;
    if (!copy_string(p->doc, "name", u->display_name, sizeof u->display_name))
        return CF_EINVAL;
    bool self = strcmp(u->access_key, p->self) == 0;
    if (json_object_object_get_ex(p->doc, "admin", &v)) {
        if (self && !json_object_get_boolean(v))
            return CF_ECONFLICT;
        u->admin = json_object_get_boolean(v);
    }
    if (json_object_object_get_ex(p->doc, "disabled", &v)) {
        if (self && json_object_get_boolean(v))
            return CF_ECONFLICT;
        u->disabled = json_object_get_boolean(v);
    }
    return 0;
}

static void update(s3_req *r, cf_slice key)
{
    static const char *const names[] = {"name", "admin", "disabled", NULL};
    static const json_type types[] = {json_type_string, json_type_boolean, json_type_boolean};
    patch p = {s3_admin_body(r, names, types), r->access_key};
    if (!p.doc)
        return;
    store_user u;
    int rc = store_user_update(r->ctx->st, key, apply_patch, &p, &u);
    json_object_put(p.doc);
    if (rc)
        fail(r, rc);
    else
        s3_admin_reply(r, 200, user_json(&u));
}

static int new_secret(void *arg, store_user *u)
{
    (void)arg;
    return store_user_new_secret(u->secret_key);
}

static void rotate(s3_req *r, cf_slice key)
{
    store_user u;
    int rc = store_user_update(r->ctx->st, key, new_secret, NULL, &u);
    if (rc)
        fail(r, rc);
    else
        reply_with_secret(r, 200, &u);
}

static int owned_by(void *arg, const store_bucket *b)
{
    return strcmp(b->owner, arg) == 0 ? CF_ECONFLICT : 0;
}

static void delete_user(s3_req *r, cf_slice key)
{
    char k[129];
    if (key.len >= sizeof k) {
        fail(r, CF_ENOTFOUND);
        return;
    }
    snprintf(k, sizeof k, "%.*s", (int)key.len, (const char *)key.ptr);
    if (strcmp(k, r->access_key) == 0) {
        fail(r, CF_ECONFLICT);
        return;
    }
    /* a bucket created between this scan and the delete is its creator's
     * request racing an administrator's: the bucket keeps its owner's key,
     * and only an admin can reach it until the key is created again */
    int rc = store_bucket_list(r->ctx->st, owned_by, k);
    if (rc == CF_ECONFLICT) {
        s3_error(r, S3_ERR_CONFLICT,
                 "The user owns buckets: delete them or have an administrator take them over "
                 "first.");
        return;
    }
    if (!rc)
        rc = store_user_delete(r->ctx->st, key);
    if (rc)
        fail(r, rc);
    else
        s3_respond_empty(r, 204, NULL, 0);
}

void s3_admin_users(s3_req *r, cf_slice rest)
{
    const uint8_t *slash = rest.len ? memchr(rest.ptr, '/', rest.len) : NULL;
    cf_slice key = slash ? slice_make(rest.ptr, (size_t)(slash - rest.ptr)) : rest;
    cf_slice sub = slash ? slice_make(slash + 1, rest.len - key.len - 1) : slice_make(NULL, 0);
    bool ok = true;
    if (!rest.len && s3_admin_method(r, "GET"))
        list(r);
    else if (!rest.len && s3_admin_method(r, "POST"))
        create(r);
    else if (!rest.len)
        ok = false;
    else if (!key.len || (slash && !slice_eq(sub, slice_str("rotate"))))
        s3_error(r, S3_ERR_INVALID_URI, "No such admin API path (doc/admin.md).");
    else if (slash && s3_admin_method(r, "POST"))
        rotate(r, key);
    else if (slash)
        ok = false;
    else if (s3_admin_method(r, "GET")) {
        store_user u;
        int rc = store_user_get(r->ctx->st, key, &u);
        if (rc)
            fail(r, rc);
        else
            s3_admin_reply(r, 200, user_json(&u));
    } else if (s3_admin_method(r, "PATCH"))
        update(r, key);
    else if (s3_admin_method(r, "DELETE"))
        delete_user(r, key);
    else
        ok = false;
    if (!ok)
        s3_error(r, S3_ERR_METHOD_NOT_ALLOWED, NULL);
}
