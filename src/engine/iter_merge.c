/*
 * iter_merge.c -- the merging iterator: n sorted children seen as one.
 *
 * Reads (memtables + SSTables) and compactions (the inputs of a job) see
 * their sources through this iterator. It keeps the valid children in a
 * binary min-heap ordered by each child's current key; n is small (a table
 * rarely has more than a few dozen sources), so the heap costs O(log n) key
 * comparisons per step and no allocation after construction.
 *
 * Invariants:
 *  (1) heap[0..n_heap) holds exactly the valid children, and each node's key
 *      is <= the keys of its two heap children.
 *  (2) while the merge is valid, n_at_min children sit at the smallest key
 *      and `winner` is the one eng_entry_newer() prefers (entry.h invariant
 *      (1)); next() advances all n_at_min of them, so each key is yielded
 *      once.
 *  (3) a child that turns invalid with a non-zero status makes the merge
 *      invalid with that status until the next seek; its entries are never
 *      silently skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/iter.h"
#include "util/err.h"

typedef struct heap_node {
    eng_iiter *child;
    const eng_entry *e; /* child's current entry, cached: valid until the child moves */
} heap_node;

typedef struct merge_iter {
    eng_iiter base;
    eng_iiter **children; /* owned; all n closed with the merge */
    size_t n;
    heap_node *heap; /* n slots; invariant (1) */
    size_t n_heap;
    /* run-time state */
    const eng_entry *winner; /* the entry yielded; NULL when invalid */
    eng_iiter *winner_child; /* the child it comes from */
    size_t n_at_min;         /* children at the smallest key; invariant (2) */
    int status;              /* first child error; invariant (3) */
} merge_iter;

static int node_cmp(const heap_node *a, const heap_node *b)
{
    return eng_ikey_cmp(&a->e->key, &b->e->key);
}

static void sift_down(merge_iter *m, size_t i)
{
    heap_node *h = m->heap;
    heap_node x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m->n_heap)
            break;
        if (c + 1 < m->n_heap && node_cmp(&h[c + 1], &h[c]) < 0)
            c++;
        if (node_cmp(&h[c], &x) >= 0)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

/*
 * Walks the heap from the root through every node equal to the root's key:
 * a node greater than the root cannot have an equal descendant (invariant
 * (1)), so only the tied nodes and their direct children are compared.
 */
static void collect_min(merge_iter *m, size_t i, const eng_entry *min)
{
    if (i >= m->n_heap || eng_ikey_cmp(&m->heap[i].e->key, &min->key) != 0)
        return;
    m->n_at_min++;
    if (eng_entry_newer(m->heap[i].e, m->winner)) {
        m->winner = m->heap[i].e;
        m->winner_child = m->heap[i].child;
    }
    collect_min(m, 2 * i + 1, min);
    collect_min(m, 2 * i + 2, min);
}

static void find_winner(merge_iter *m)
{
    m->winner = NULL;
    m->n_at_min = 0;
    if (m->status || m->n_heap == 0)
        return;
    m->winner = m->heap[0].e;
    m->winner_child = m->heap[0].child;
    collect_min(m, 0, m->heap[0].e);
}

/* Records a child that just turned invalid; returns true if it failed. */
static bool child_failed(merge_iter *m, eng_iiter *child)
{
    int st = eng_iiter_status(child);
    if (st && !m->status)
        m->status = st;
    return st != 0;
}

/* Rebuilds the heap after every child was repositioned. */
static void rebuild(merge_iter *m)
{
    m->status = 0;
    m->n_heap = 0;
    for (size_t i = 0; i < m->n; i++) {
        eng_iiter *c = m->children[i];
        if (eng_iiter_valid(c)) {
            m->heap[m->n_heap].child = c;
            m->heap[m->n_heap].e = eng_iiter_entry(c);
            m->n_heap++;
        } else if (child_failed(m, c)) {
            break;
        }
    }
    for (size_t i = m->n_heap / 2; i-- > 0;)
        sift_down(m, i);
    find_winner(m);
}

static void merge_seek_first(eng_iiter *it)
{
    merge_iter *m = (merge_iter *)it;
    for (size_t i = 0; i < m->n; i++)
        eng_iiter_seek_first(m->children[i]);
    rebuild(m);
}

static void merge_seek(eng_iiter *it, const eng_ikey *target)
{
    merge_iter *m = (merge_iter *)it;
    for (size_t i = 0; i < m->n; i++)
        eng_iiter_seek(m->children[i], target);
    rebuild(m);
}

static bool merge_valid(const eng_iiter *it)
{
    return ((const merge_iter *)it)->winner != NULL;
}

/*
 * invariant (2): advance the root n_at_min times. Each advanced child moves
 * to a key strictly above the minimum (a child's keys increase), so after
 * the root is fixed the next tied child is at the root.
 */
static void merge_next(eng_iiter *it)
{
    merge_iter *m = (merge_iter *)it;
    if (!m->winner)
        return;
    for (size_t k = m->n_at_min; k > 0; k--) {
        heap_node *top = &m->heap[0];
        eng_iiter_next(top->child);
        if (eng_iiter_valid(top->child)) {
            top->e = eng_iiter_entry(top->child);
        } else {
            if (child_failed(m, top->child))
                break;
            m->heap[0] = m->heap[--m->n_heap];
        }
        sift_down(m, 0);
    }
    find_winner(m);
}

static const eng_entry *merge_entry(const eng_iiter *it)
{
    return ((const merge_iter *)it)->winner;
}

static int merge_status(const eng_iiter *it)
{
    return ((const merge_iter *)it)->status;
}

static void merge_close(eng_iiter *it)
{
    merge_iter *m = (merge_iter *)it;
    for (size_t i = 0; i < m->n; i++)
        eng_iiter_close(m->children[i]);
    free(m->children);
    free(m->heap);
    free(m);
}

static int merge_value_file(const eng_iiter *it, int *fd, uint64_t *off, const uint8_t **mapped)
{
    const merge_iter *m = (const merge_iter *)it;
    return m->winner ? eng_iiter_value_file(m->winner_child, fd, off, mapped) : CF_ENOTFOUND;
}

static const eng_iiter_ops merge_ops = {
    .seek_first = merge_seek_first,
    .seek = merge_seek,
    .valid = merge_valid,
    .next = merge_next,
    .entry = merge_entry,
    .status = merge_status,
    .close = merge_close,
    .value_file = merge_value_file,
};

int eng_merge_iter_new(eng_iiter **children, size_t n, eng_iiter **out)
{
    *out = NULL;
    merge_iter *m = calloc(1, sizeof *m);
    if (!m)
        goto fail;
    size_t slots = n ? n : 1;
    m->children = malloc(slots * sizeof *m->children);
    m->heap = malloc(slots * sizeof *m->heap);
    if (!m->children || !m->heap)
        goto fail;
    if (n)
        memcpy(m->children, children, n * sizeof *children);
    m->base.ops = &merge_ops;
    m->n = n;
    *out = &m->base;
    return 0;

fail:
    for (size_t i = 0; i < n; i++)
        eng_iiter_close(children[i]);
    if (m) {
        free(m->children);
        free(m->heap);
        free(m);
    }
    return CF_ENOMEM;
}
