/*
 * users.c -- the users table: access key -> secret, display name, admin,
 * disabled.
 *
 * One row per user (pk = access key, empty ck; cells secret, name, admin,
 * disabled: store_format.h, doc/formats.md "Store rows"). A write replaces
 * every cell, so a row never mixes two versions of a user; a row written
 * before `disabled` existed reads as enabled. The s3 layer reads a user on
 * every signed request: one engine point read.
 *
 * Invariant: every read-modify-write of a user (create-if-absent, update,
 * delete) holds user_lock, so two administrators creating the same key, or
 * one disabling a user while another rotates its secret, cannot lose either
 * change. store_user_put (a blind replace, for the server's own admin at
 * start) takes it too. user_lock is never held with another store lock.
 */
#include <stdio.h>
#include <sys/random.h>

#include "store/store_int.h"
#include "util/log.h"

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

static int write_user(store *s, const store_user *u)
{
    if (!field_ok(u->access_key, sizeof u->access_key, 1) ||
        !field_ok(u->secret_key, sizeof u->secret_key, 1) ||
        !field_ok(u->display_name, sizeof u->display_name, 0))
        return CF_EINVAL;
    uint8_t admin = u->admin ? 1 : 0, disabled = u->disabled ? 1 : 0;
    eng_cell cells[4] = {
        {slice_str(STORE_C_SECRET), slice_str(u->secret_key)},
        {slice_str(STORE_C_NAME), slice_str(u->display_name)},
        {slice_str(STORE_C_ADMIN), slice_make(&admin, 1)},
        {slice_str(STORE_C_DISABLED), slice_make(&disabled, 1)},
    };
    eng_batch *b = NULL;
    int rc = eng_batch_new(&b);
    if (!rc)
        rc = eng_batch_put(b, s->users, slice_str(u->access_key), no_ck(), cells, 4);
    if (!rc)
        rc = eng_db_write(s->db, b);
    eng_batch_free(b);
    return rc;
}

int store_user_put(store *s, const store_user *u)
{
    pthread_mutex_lock(&s->user_lock);
    int rc = write_user(s, u);
    pthread_mutex_unlock(&s->user_lock);
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

/* flag -- a one-byte 0/1 cell; absent is `absent` (or corrupt if absent < 0). */
static int flag(eng_iter *it, const char *col, int absent, bool *out)
{
    eng_cell_view v;
    if (eng_iter_find(it, slice_str(col), &v) != 0) {
        *out = absent == 1;
        return absent < 0 ? CF_ECORRUPT : 0;
    }
    if (v.value.len != 1 || v.value.ptr[0] > 1)
        return CF_ECORRUPT;
    *out = v.value.ptr[0] == 1;
    return 0;
}

static int decode(eng_iter *it, store_user *out)
{
    cf_slice ak = eng_iter_pk(it);
    if (ak.len >= sizeof out->access_key)
        return CF_ECORRUPT;
    memcpy(out->access_key, ak.ptr, ak.len);
    out->access_key[ak.len] = '\0';
    int rc = copy_cell(it, STORE_C_SECRET, out->secret_key, sizeof out->secret_key);
    if (!rc)
        rc = copy_cell(it, STORE_C_NAME, out->display_name, sizeof out->display_name);
    if (!rc)
        rc = flag(it, STORE_C_ADMIN, -1, &out->admin);
    if (!rc)
        rc = flag(it, STORE_C_DISABLED, 0, &out->disabled);
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

/* random_chars -- n characters of alphabet from getrandom, then a NUL. */
static int random_chars(char *out, size_t n, const char *alphabet)
{
    uint8_t raw[64];
    size_t k = strlen(alphabet);
    if (n > sizeof raw || getrandom(raw, n, 0) != (ssize_t)n)
        return CF_EIO;
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] % k]; /* k divides 256 for both alphabets: no bias */
    out[n] = '\0';
    return 0;
}

int store_user_new_secret(char out[STORE_USER_SECRET_LEN + 1])
{
    return random_chars(out, STORE_USER_SECRET_LEN,
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
}

int store_user_new_access_key(char out[STORE_USER_ACCESS_KEY_LEN + 1])
{
    out[0] = 'C';
    out[1] = 'F';
    /* 32 symbols: 26 letters and the digits 2-7 (base32's), so 256 % 32 == 0 */
    return random_chars(out + 2, STORE_USER_ACCESS_KEY_LEN - 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
}

bool store_user_access_key_valid(cf_slice key)
{
    if (key.len < 3 || key.len > 128)
        return false;
    for (size_t i = 0; i < key.len; i++) {
        char c = (char)key.ptr[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

int store_user_create(store *s, store_user *u)
{
    int rc = 0;
    if (!u->access_key[0])
        rc = store_user_new_access_key(u->access_key);
    if (!rc && !u->secret_key[0])
        rc = store_user_new_secret(u->secret_key);
    if (rc)
        return rc;
    if (!store_user_access_key_valid(slice_str(u->access_key)))
        return CF_EINVAL;
    if (!u->display_name[0])
        snprintf(u->display_name, sizeof u->display_name, "%s", u->access_key);
    store_user cur;
    pthread_mutex_lock(&s->user_lock);
    rc = store_user_get(s, slice_str(u->access_key), &cur);
    if (rc == 0)
        rc = CF_EEXIST;
    else if (rc == CF_ENOTFOUND)
        rc = write_user(s, u);
    pthread_mutex_unlock(&s->user_lock);
    return rc;
}

int store_user_update(store *s, cf_slice access_key, store_user_edit_fn edit, void *arg,
                      store_user *out)
{
    store_user u;
    pthread_mutex_lock(&s->user_lock);
    int rc = store_user_get(s, access_key, &u);
    if (!rc)
        rc = edit(arg, &u);
    /* the key is the row: an edit cannot rename the user */
    if (!rc && !slice_eq(slice_str(u.access_key), access_key))
        rc = CF_EINVAL;
    if (!rc)
        rc = write_user(s, &u);
    pthread_mutex_unlock(&s->user_lock);
    if (!rc && out)
        *out = u;
    return rc;
}

/* store_user_delete -- CF_ENOTFOUND if there is no such user. */
int store_user_delete(store *s, cf_slice access_key)
{
    store_user cur;
    eng_batch *b = NULL;
    pthread_mutex_lock(&s->user_lock);
    int rc = store_user_get(s, access_key, &cur);
    if (!rc)
        rc = eng_batch_new(&b);
    if (!rc)
        rc = eng_batch_delete_row(b, s->users, access_key, no_ck());
    if (!rc)
        rc = eng_db_write(s->db, b);
    pthread_mutex_unlock(&s->user_lock);
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

static int check_row(void *arg, eng_iter *it)
{
    store_check_stats *st = arg;
    store_user u;
    memset(&u, 0, sizeof u);
    st->users++;
    if (decode(it, &u) != 0 || !u.secret_key[0]) {
        cf_slice k = eng_iter_pk(it);
        st->bad_users++;
        log_error("check: user %.*s: the row does not decode (secret, name, admin, disabled)",
                  (int)(k.len > 128 ? 128 : k.len), (const char *)k.ptr);
    }
    return 0;
}

int store_check_users(store *s, store_check_stats *st)
{
    return store_scan(s->users, check_row, st);
}
