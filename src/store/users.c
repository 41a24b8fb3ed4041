/*
 * users.c -- the users table: access key -> secret, display name, admin.
 *
 * One row per user (pk = access key, empty ck; cells secret, name, admin:
 * store_format.h). A put replaces all three cells, so a row never mixes two
 * versions of a user. The s3 layer reads a user on every signed request;
 * that is one engine point read.
 */
#include "store/store_int.h"

static cf_slice no_ck(void)
{
    return slice_make(NULL, 0);
}

/* field_ok -- a NUL-terminated field of cap bytes, at least min long. */
static bool field_ok(const char *f, size_t cap, size_t min)
{
    size_t n = strnlen(f, cap);
    return n < cap && n >= min;
}

int store_user_put(store *s, const store_user *u)
{
    if (!field_ok(u->access_key, sizeof u->access_key, 1) ||
        !field_ok(u->secret_key, sizeof u->secret_key, 1) ||
        !field_ok(u->display_name, sizeof u->display_name, 0))
        return CF_EINVAL;
    uint8_t admin = u->admin ? 1 : 0;
    eng_cell cells[3] = {
        {slice_str(STORE_C_SECRET), slice_str(u->secret_key)},
        {slice_str(STORE_C_NAME), slice_str(u->display_name)},
        {slice_str(STORE_C_ADMIN), slice_make(&admin, 1)},
    };
    eng_batch *b = NULL;
    int rc = eng_batch_new(&b);
    if (!rc)
        rc = eng_batch_put(b, s->users, slice_str(u->access_key), no_ck(), cells, 3);
    if (!rc)
        rc = eng_db_write(s->db, b);
    eng_batch_free(b);
    return rc;
}

/* copy_cell -- cell col of the row into f (cap bytes with the NUL). */
static int copy_cell(eng_iter *it, const char *col, char *f, size_t cap)
{
    eng_cell_view v;
    if (eng_iter_find(it, slice_str(col), &v) != 0 || v.value.len >= cap)
        return CF_ECORRUPT;
    memcpy(f, v.value.ptr, v.value.len);
    f[v.value.len] = '\0';
    return 0;
}

static int decode(eng_iter *it, store_user *out)
{
    cf_slice ak = eng_iter_pk(it);
    eng_cell_view admin;
    if (ak.len >= sizeof out->access_key)
        return CF_ECORRUPT;
    memcpy(out->access_key, ak.ptr, ak.len);
    out->access_key[ak.len] = '\0';
    int rc = copy_cell(it, STORE_C_SECRET, out->secret_key, sizeof out->secret_key);
    if (!rc)
        rc = copy_cell(it, STORE_C_NAME, out->display_name, sizeof out->display_name);
    if (!rc && (eng_iter_find(it, slice_str(STORE_C_ADMIN), &admin) != 0 || admin.value.len != 1 ||
                admin.value.ptr[0] > 1))
        rc = CF_ECORRUPT;
    if (!rc)
        out->admin = admin.value.ptr[0] == 1;
    return rc;
}

int store_user_get(store *s, cf_slice access_key, store_user *out)
{
    memset(out, 0, sizeof *out);
    eng_iter *it = NULL;
    int rc = access_key.len ? eng_get(s->users, access_key, no_ck(), &it) : CF_ENOTFOUND;
    if (!rc)
        rc = decode(it, out);
    eng_iter_close(it);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

/* store_user_delete -- CF_ENOTFOUND if there is no such user. */
int store_user_delete(store *s, cf_slice access_key)
{
    eng_iter *it = NULL;
    eng_batch *b = NULL;
    int rc = access_key.len ? eng_get(s->users, access_key, no_ck(), &it) : CF_ENOTFOUND;
    eng_iter_close(it);
    if (!rc)
        rc = eng_batch_new(&b);
    if (!rc)
        rc = eng_batch_delete_row(b, s->users, access_key, no_ck());
    if (!rc)
        rc = eng_db_write(s->db, b);
    eng_batch_free(b);
    return rc;
}

typedef struct user_list_arg {
    int (*fn)(void *arg, const store_user *u);
    void *arg;
} user_list_arg;

static int user_row(void *arg, eng_iter *it)
{
    user_list_arg *a = arg;
    store_user u;
    memset(&u, 0, sizeof u);
    int rc = decode(it, &u);
    return rc ? rc : a->fn(a->arg, &u);
}

int store_user_list(store *s, int (*fn)(void *arg, const store_user *u), void *arg)
{
    user_list_arg a = {fn, arg};
    return store_scan(s->users, user_row, &a);
}
