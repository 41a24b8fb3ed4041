/*
 * memtable.c -- the memtable as a lock-free-read skiplist over an arena.
 *
 * The skiplist is LevelDB's: up to MT_MAX_HEIGHT levels, a node reaches
 * level i+1 with probability 1/MT_BRANCHING. Writers hold write_mu; readers
 * take no lock. Every next pointer is a C11 atomic: a writer fills a node
 * completely, then links it bottom-up with release stores; a reader follows
 * links with acquire loads, so whatever node it reaches is fully written.
 *
 * A node owns its key bytes and points to a "version": the ts, flags and
 * value of the entry that currently wins for that key. A version is never
 * changed after it is published; replacing an entry publishes a new version
 * with a release store of the node's version pointer. A reader loads that
 * pointer once per position, so the entry it returns is self-consistent.
 *
 * Layout of one arena allocation for a new key (all offsets 8-aligned):
 *
 *     struct node | next[height] | pk ck col bytes | pad | struct version | value
 *
 * and of a replacement: struct version | value. Lengths are 32-bit to keep
 * nodes small (24 bytes + 8 per level); a key part or value of 4 GiB or more
 * is refused with CF_EINVAL (no logged entry comes near: a commitlog record
 * holds at most ENG_CLOG_MAX_RECORD_BYTES, 64 MiB).
 *
 * Invariants (1)-(3) are memtable.h's; this file adds:
 *  (4) a node's key, height and version are written before the node is
 *      linked at level 0, and it is linked at level i before level i+1, so a
 *      reader that reached a node at any level sees all of that;
 *  (5) only the writer holding write_mu stores next pointers, versions,
 *      max_height, count, min_ts and touches the arena.
 */
#include "engine/memtable.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "util/err.h"

/* 12 levels of branching 4 keep searches logarithmic up to 4^12 = 16M keys,
 * more than a 64 MiB memtable of the smallest entries holds. */
#define MT_MAX_HEIGHT 12
#define MT_BRANCHING 4
_Static_assert(MT_BRANCHING == 4, "random_height() draws base-4 digits");

struct version {
    int64_t ts;         /* write timestamp, microseconds */
    uint32_t value_len; /* value bytes follow the struct */
    uint8_t flags;      /* ENG_F_* */
};

struct node {
    _Atomic(struct version *) ver; /* the winning entry (invariant (1)) */
    uint32_t pk_len;               /* key bytes follow next[height]: pk, ck, col */
    uint32_t ck_len;
    uint32_t col_len;
    uint8_t sec;
    uint8_t sub;
    uint8_t height;                /* levels this node is linked at */
    _Atomic(struct node *) next[]; /* next node at each level, NULL at the end */
};

struct eng_memtable {
    pthread_mutex_t write_mu; /* serialises adds (invariant (5)) */
    struct node *head;        /* MT_MAX_HEIGHT levels, no key; malloc'ed */
    /* Changed by adds, under write_mu; the atomics are also read without it. */
    eng_arena arena;
    uint64_t rng;           /* xorshift state for node heights */
    atomic_int max_height;  /* levels in use, 1..MT_MAX_HEIGHT */
    atomic_size_t count;    /* distinct keys */
    _Atomic int64_t min_ts; /* smallest ts added, INT64_MAX if none */
    /* Changed by anyone. */
    atomic_int refs;
};

typedef struct mt_iter {
    eng_iiter base;
    eng_memtable *mt;        /* referenced until close */
    const struct node *node; /* current position, NULL when not valid */
    eng_entry cur;           /* node's key and the version read when positioned */
} mt_iter;

static const uint8_t *node_key_bytes(const struct node *n)
{
    return (const uint8_t *)&n->next[n->height];
}

static void node_key(const struct node *n, eng_ikey *k)
{
    const uint8_t *p = node_key_bytes(n);
    k->pk = slice_make(p, n->pk_len);
    k->sec = n->sec;
    k->ck = slice_make(p + n->pk_len, n->ck_len);
    k->sub = n->sub;
    k->col = slice_make(p + n->pk_len + n->ck_len, n->col_len);
}

static int node_cmp(const struct node *n, const eng_ikey *key)
{
    eng_ikey k;
    node_key(n, &k);
    return eng_ikey_cmp(&k, key);
}

static struct node *next_acquire(const struct node *x, int level)
{
    return atomic_load_explicit(&x->next[level], memory_order_acquire);
}

/*
 * find_ge -- the first node >= key, or NULL. If prev is not NULL, fills
 * prev[level] with the last node < key at each level in use. *eq is set to
 * whether the node found equals key. A node compared once is not compared
 * again when the search meets it at a lower level.
 */
static struct node *find_ge(const eng_memtable *mt, const eng_ikey *key, struct node **prev,
                            bool *eq)
{
    struct node *x = mt->head;
    struct node *bigger = NULL; /* the last node found >= key */
    int bigger_cmp = 1;
    int level = atomic_load_explicit(&mt->max_height, memory_order_relaxed) - 1;
    for (;;) {
        struct node *next = next_acquire(x, level);
        if (next && next != bigger) {
            int c = node_cmp(next, key);
            if (c < 0) {
                x = next;
                continue;
            }
            bigger = next;
            bigger_cmp = c;
        }
        if (prev)
            prev[level] = x;
        if (level == 0) {
            *eq = next && bigger_cmp == 0;
            return next;
        }
        level--;
    }
}

/* random_height -- 1 + the number of trailing zero base-4 digits of a random word. */
static int random_height(eng_memtable *mt)
{
    uint64_t x = mt->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    mt->rng = x;
    int h = 1 + __builtin_ctzll(x | (1ull << 63)) / 2;
    return h < MT_MAX_HEIGHT ? h : MT_MAX_HEIGHT;
}

static void version_fill(struct version *v, const eng_entry *e)
{
    v->ts = e->ts;
    v->flags = e->flags;
    v->value_len = (uint32_t)e->value.len;
    if (e->value.len)
        memcpy(v + 1, e->value.ptr, e->value.len);
}

/* replace_version -- invariant (1): publishes e for node x only if it wins. */
static int replace_version(eng_memtable *mt, struct node *x, const eng_entry *e)
{
    const struct version *old = atomic_load_explicit(&x->ver, memory_order_relaxed);
    eng_entry cur = {.ts = old->ts, .flags = old->flags};
    cur.value = slice_make(old + 1, old->value_len);
    if (!eng_entry_newer(e, &cur))
        return 0; /* e loses: nothing is copied, the arena does not grow */
    struct version *v = eng_arena_alloc(&mt->arena, sizeof *v + e->value.len);
    if (!v)
        return CF_ENOMEM;
    version_fill(v, e);
    atomic_store_explicit(&x->ver, v, memory_order_release);
    return 0;
}

/* insert_node -- links a new node for e after prev[] (invariants (2) and (4)). */
static int insert_node(eng_memtable *mt, const eng_entry *e, struct node **prev)
{
    int height = random_height(mt);
    int max_height = atomic_load_explicit(&mt->max_height, memory_order_relaxed);
    if (height > max_height) {
        for (int i = max_height; i < height; i++)
            prev[i] = mt->head;
        /* A reader seeing the new height before the links finds NULL at the
         * new levels of head and just drops down: no ordering is needed. */
        atomic_store_explicit(&mt->max_height, height, memory_order_relaxed);
    }
    const eng_ikey *k = &e->key;
    size_t key_off = sizeof(struct node) + (size_t)height * sizeof(struct node *);
    size_t key_len = k->pk.len + k->ck.len + k->col.len;
    size_t ver_off = (key_off + key_len + ENG_ARENA_ALIGN - 1) & ~(ENG_ARENA_ALIGN - 1);
    uint8_t *mem = eng_arena_alloc(&mt->arena, ver_off + sizeof(struct version) + e->value.len);
    if (!mem)
        return CF_ENOMEM;

    struct node *x = (struct node *)mem;
    x->pk_len = (uint32_t)k->pk.len;
    x->ck_len = (uint32_t)k->ck.len;
    x->col_len = (uint32_t)k->col.len;
    x->sec = k->sec;
    x->sub = k->sub;
    x->height = (uint8_t)height;
    uint8_t *p = mem + key_off;
    const cf_slice parts[3] = {k->pk, k->ck, k->col};
    for (int i = 0; i < 3; i++) {
        if (parts[i].len)
            memcpy(p, parts[i].ptr, parts[i].len);
        p += parts[i].len;
    }
    struct version *v = (struct version *)(mem + ver_off);
    version_fill(v, e);
    atomic_init(&x->ver, v);

    /* invariant (4): bottom-up, each link published with a release store. */
    for (int i = 0; i < height; i++) {
        struct node *after = atomic_load_explicit(&prev[i]->next[i], memory_order_relaxed);
        atomic_init(&x->next[i], after);
        atomic_store_explicit(&prev[i]->next[i], x, memory_order_release);
    }
    size_t n = atomic_load_explicit(&mt->count, memory_order_relaxed);
    atomic_store_explicit(&mt->count, n + 1, memory_order_relaxed);
    return 0;
}

int eng_memtable_new(eng_memtable **out)
{
    *out = NULL;
    eng_memtable *mt = malloc(sizeof *mt);
    if (!mt)
        goto fail;
    mt->head = malloc(sizeof(struct node) + MT_MAX_HEIGHT * sizeof(struct node *));
    if (!mt->head)
        goto fail_mt;
    if (pthread_mutex_init(&mt->write_mu, NULL) != 0)
        goto fail_head;
    memset(mt->head, 0, sizeof(struct node));
    atomic_init(&mt->head->ver, NULL);
    mt->head->height = MT_MAX_HEIGHT;
    for (int i = 0; i < MT_MAX_HEIGHT; i++)
        atomic_init(&mt->head->next[i], NULL);
    eng_arena_init(&mt->arena);
    mt->rng = 0x9e3779b97f4a7c15ull; /* any nonzero seed; heights need no secrecy */
    atomic_init(&mt->max_height, 1);
    atomic_init(&mt->count, 0);
    atomic_init(&mt->min_ts, INT64_MAX);
    atomic_init(&mt->refs, 1);
    *out = mt;
    return 0;

fail_head:
    free(mt->head);
fail_mt:
    free(mt);
fail:
    return CF_ENOMEM;
}

int eng_memtable_add(eng_memtable *mt, const eng_entry *e)
{
    if (e->key.pk.len > UINT32_MAX || e->key.ck.len > UINT32_MAX || e->key.col.len > UINT32_MAX ||
        e->value.len > UINT32_MAX)
        return CF_EINVAL;
    struct node *prev[MT_MAX_HEIGHT];
    bool eq;
    int rc;
    pthread_mutex_lock(&mt->write_mu);
    struct node *x = find_ge(mt, &e->key, prev, &eq);
    rc = eq ? replace_version(mt, x, e) : insert_node(mt, e, prev);
    if (rc == 0 && e->ts < atomic_load_explicit(&mt->min_ts, memory_order_relaxed))
        atomic_store_explicit(&mt->min_ts, e->ts, memory_order_relaxed);
    pthread_mutex_unlock(&mt->write_mu);
    return rc;
}

size_t eng_memtable_bytes(const eng_memtable *mt)
{
    return eng_arena_bytes(&mt->arena);
}

size_t eng_memtable_count(const eng_memtable *mt)
{
    return atomic_load_explicit(&mt->count, memory_order_relaxed);
}

int64_t eng_memtable_min_ts(const eng_memtable *mt)
{
    return atomic_load_explicit(&mt->min_ts, memory_order_relaxed);
}

void eng_memtable_ref(eng_memtable *mt)
{
    if (mt)
        atomic_fetch_add_explicit(&mt->refs, 1, memory_order_relaxed);
}

void eng_memtable_unref(eng_memtable *mt)
{
    /* acq_rel: every use by other holders happens before the free. */
    if (!mt || atomic_fetch_sub_explicit(&mt->refs, 1, memory_order_acq_rel) != 1)
        return;
    eng_arena_free(&mt->arena);
    pthread_mutex_destroy(&mt->write_mu);
    free(mt->head);
    free(mt);
}

/* position -- moves to x, reading its version exactly once. */
static void position(mt_iter *it, const struct node *x)
{
    it->node = x;
    if (!x)
        return;
    node_key(x, &it->cur.key);
    const struct version *v = atomic_load_explicit(&x->ver, memory_order_acquire);
    it->cur.ts = v->ts;
    it->cur.flags = v->flags;
    it->cur.value = slice_make(v + 1, v->value_len);
}

static void mt_iter_seek_first(eng_iiter *base)
{
    mt_iter *it = (mt_iter *)base;
    position(it, next_acquire(it->mt->head, 0));
}

static void mt_iter_seek(eng_iiter *base, const eng_ikey *target)
{
    mt_iter *it = (mt_iter *)base;
    bool eq;
    position(it, find_ge(it->mt, target, NULL, &eq));
}

static bool mt_iter_valid(const eng_iiter *base)
{
    return ((const mt_iter *)base)->node != NULL;
}

static void mt_iter_next(eng_iiter *base)
{
    mt_iter *it = (mt_iter *)base;
    position(it, next_acquire(it->node, 0));
}

static const eng_entry *mt_iter_entry(const eng_iiter *base)
{
    return &((const mt_iter *)base)->cur;
}

/* A memtable cannot fail a read: the status is always 0. */
static int mt_iter_status(const eng_iiter *base)
{
    return 0;
}

static void mt_iter_close(eng_iiter *base)
{
    mt_iter *it = (mt_iter *)base;
    eng_memtable_unref(it->mt);
    free(it);
}

static const eng_iiter_ops mt_iter_ops = {
    .seek_first = mt_iter_seek_first,
    .seek = mt_iter_seek,
    .valid = mt_iter_valid,
    .next = mt_iter_next,
    .entry = mt_iter_entry,
    .status = mt_iter_status,
    .close = mt_iter_close,
};

int eng_memtable_iter_new(eng_memtable *mt, eng_iiter **out)
{
    *out = NULL;
    mt_iter *it = calloc(1, sizeof *it);
    if (!it)
        return CF_ENOMEM;
    it->base.ops = &mt_iter_ops;
    it->mt = mt;
    eng_memtable_ref(mt);
    *out = &it->base;
    return 0;
}
