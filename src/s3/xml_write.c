/*
 * xml_write.c -- the XML writer of s3 response bodies: elements, escaped
 * text, a sticky error (xml.h).
 *
 * Escaping runs over the text once and copies runs of plain bytes in one
 * append, so a listing of a thousand keys costs a thousand appends, not one
 * per byte.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "s3/xml.h"
#include "util/err.h"

static void fail(s3_xml_writer *w, int rc)
{
    if (rc && !w->err)
        w->err = rc;
}

static void put(s3_xml_writer *w, const void *p, size_t n)
{
    if (!w->err)
        fail(w, buf_append(w->out, p, n));
}

static void put_str(s3_xml_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

void s3_xml_writer_init(s3_xml_writer *w, cf_buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

int s3_xml_decl(s3_xml_writer *w)
{
    put_str(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    return w->err;
}

int s3_xml_escape(cf_buf *out, cf_slice text)
{
    if (text.len == 0)
        return 0;
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < text.len; i++) {
        uint8_t c = text.ptr[i];
        const char *ent = NULL;
        char ref[8];
        switch (c) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&apos;";
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n') {
                snprintf(ref, sizeof ref, "&#x%X;", c);
                ent = ref;
            }
        }
        if (!ent)
            continue;
        int rc = buf_append(out, text.ptr + run, i - run);
        if (!rc)
            rc = buf_append(out, ent, strlen(ent));
        if (rc)
            return rc;
        run = i + 1;
    }
    return buf_append(out, text.ptr + run, text.len - run);
}

static void open_tag(s3_xml_writer *w, const char *name, const char *ns)
{
    if (w->err)
        return;
    if (w->depth == S3_XML_WRITER_MAX_DEPTH) {
        fail(w, CF_ELIMIT);
        return;
    }
    w->open[w->depth++] = name;
    put(w, "<", 1);
    put_str(w, name);
    if (ns) {
        put_str(w, " xmlns=\"");
        put_str(w, ns);
        put(w, "\"", 1);
    }
    put(w, ">", 1);
}

int s3_xml_open(s3_xml_writer *w, const char *name)
{
    open_tag(w, name, NULL);
    return w->err;
}

int s3_xml_open_ns(s3_xml_writer *w, const char *name, const char *ns)
{
    open_tag(w, name, ns);
    return w->err;
}

int s3_xml_close(s3_xml_writer *w)
{
    if (w->err)
        return w->err;
    if (w->depth == 0) {
        fail(w, CF_EINVAL);
        return w->err;
    }
    const char *name = w->open[--w->depth];
    put(w, "</", 2);
    put_str(w, name);
    put(w, ">", 1);
    return w->err;
}

int s3_xml_text(s3_xml_writer *w, cf_slice text)
{
    if (!w->err)
        fail(w, s3_xml_escape(w->out, text));
    return w->err;
}

int s3_xml_elem(s3_xml_writer *w, const char *name, cf_slice text)
{
    open_tag(w, name, NULL);
    s3_xml_text(w, text);
    return s3_xml_close(w);
}

int s3_xml_elem_str(s3_xml_writer *w, const char *name, const char *text)
{
    return s3_xml_elem(w, name, slice_str(text));
}

int s3_xml_elem_u64(s3_xml_writer *w, const char *name, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRIu64, v);
    return s3_xml_elem(w, name, slice_make(num, (size_t)n));
}

int s3_xml_elem_bool(s3_xml_writer *w, const char *name, bool v)
{
    return s3_xml_elem_str(w, name, v ? "true" : "false");
}

int s3_xml_writer_finish(const s3_xml_writer *w)
{
    if (w->err)
        return w->err;
    return w->depth ? CF_EINVAL : 0;
}
