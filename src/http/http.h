/*
 * http.h -- HTTP/1.1 for coffer: the request parser, body decoders, the
 * response head writer, and the session that serves requests on one
 * connection. The public header of the http layer.
 *
 * Parsers here never allocate: they take (buf, len), point into buf, and
 * return bytes consumed, CF_EAGAIN (need more) or an error; every limit is a
 * named constant and breaking it has its own error. Every parser has a fuzz
 * target in fuzz/. Wire formats (request head, chunked, aws-chunked) are
 * described in doc/formats.md ("HTTP wire formats").
 *
 * Files: parser.c (request head), field.c (header lookup, lists, body
 * framing), query.c, chunked.c, aws_chunked.c, form.c (multipart/form-data),
 * date.c (dates, status reasons), session.c (the connection), exchange.c
 * (one request and its body) and response.c (its response).
 *
 * Who calls what: net/ owns sockets and calls http_session_*; the session
 * parses requests and calls the handler (the s3 layer) once per request with
 * an http_exchange, through which the handler reads the decoded body and
 * writes its response. The handler may block (on the store, the engine's
 * group commit, a slow client): the session's I/O callbacks carry timeouts.
 */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/slice.h"

/* Limits (each with its own failure): see http_parse_request. */
#define HTTP_MAX_HEAD_BYTES (16u * 1024)  /* request line + headers */
#define HTTP_MAX_HEADERS 100              /* header fields per request */
#define HTTP_MAX_TARGET_BYTES (8u * 1024) /* request-target (URL) */

typedef struct http_header {
    cf_slice name;  /* as sent; compare case-insensitively */
    cf_slice value; /* leading and trailing whitespace removed */
} http_header;

typedef struct http_request {
    cf_slice method;   /* "GET", "PUT", ... */
    cf_slice target;   /* the raw request-target */
    cf_slice path;     /* target up to '?', still percent-encoded */
    cf_slice query;    /* after '?', still percent-encoded; ptr NULL if no '?' */
    int minor_version; /* HTTP/1.0 -> 0, HTTP/1.1 -> 1 */
    size_t n_headers;
    http_header headers[HTTP_MAX_HEADERS];
} http_request;

/*
 * http_parse_request -- parses a request head (request line and headers up
 * to the empty line) from buf[0..len). Returns the bytes of the head (> 0)
 * when it is complete; CF_EAGAIN when more bytes are needed; CF_EINVAL for a
 * malformed head (answer 400); CF_ELIMIT when the head exceeds
 * HTTP_MAX_HEAD_BYTES or HTTP_MAX_HEADERS (answer 431), or the target
 * exceeds HTTP_MAX_TARGET_BYTES (then req->target.len says so: answer 414).
 * Strict: lines end in CRLF (a bare LF is CF_EINVAL), obs-fold, CTLs in
 * values, whitespace before ':' and versions other than HTTP/1.0 and 1.1
 * (the HTTP/2 preface included) are CF_EINVAL; empty lines before the
 * request line are the session's to skip, not the parser's.
 * The result for any prefix of an input is CF_EAGAIN or the result for the
 * whole input, so re-parsing a growing buffer is safe.
 * *req is reset on entry (headers[n_headers..] are left unspecified); its
 * slices point into buf. Never allocates.
 */
int http_parse_request(const uint8_t *buf, size_t len, http_request *req);

/* http_header_find -- the first header named name (case-insensitive); ptr NULL if absent. */
cf_slice http_header_find(const http_request *req, const char *name);

/* A response head (the client's, client.c), parsed by http_parse_response. */
typedef struct http_response {
    int minor_version; /* HTTP/1.0 -> 0, HTTP/1.1 -> 1 */
    int status;        /* 100 ..= 999 */
    cf_slice reason;   /* may be empty */
    size_t n_headers;
    http_header headers[HTTP_MAX_HEADERS];
} http_response;

/*
 * http_parse_response -- parses a response head: the status line
 * "HTTP/1.0|1 DDD reason" CRLF, then header fields exactly as
 * http_parse_request parses them (the same code, the same limits:
 * HTTP_MAX_HEAD_BYTES, HTTP_MAX_HEADERS). Returns the head's length (> 0),
 * CF_EAGAIN, CF_EINVAL (a malformed head, a status under 100) or CF_ELIMIT;
 * the answer for a prefix is CF_EAGAIN or the whole input's. *resp is reset
 * on entry; its slices point into buf. Never allocates.
 */
int http_parse_response(const uint8_t *buf, size_t len, http_response *resp);

/* http_response_header -- the first header named name (case-insensitive); ptr NULL if absent. */
cf_slice http_response_header(const http_response *resp, const char *name);

/*
 * http_list_next -- iterates a comma-separated field value ("a, b,,c"):
 * returns 1 and the next non-empty element with surrounding whitespace
 * removed, advancing *list; 0 at the end (*elem then has ptr NULL).
 */
int http_list_next(cf_slice *list, cf_slice *elem);

/* ---- percent-encoding and query strings ---- */

/*
 * http_pct_decode -- decodes %XX escapes of in into out (cleared first); with
 * plus_is_space, '+' becomes ' ' (query strings). CF_EINVAL on a bad escape
 * ('%' not followed by two hex digits; out is then empty), CF_ENOMEM.
 */
int http_pct_decode(cf_slice in, cf_buf *out, bool plus_is_space);

/*
 * http_pct_encode -- appends s with every byte but the RFC 3986 unreserved
 * ones (A-Z a-z 0-9 - . _ ~), and '/' when keep_slash, written as %XX
 * (upper case). CF_ENOMEM on failure.
 */
int http_pct_encode(cf_buf *out, cf_slice s, bool keep_slash);

/*
 * http_query_next -- iterates "a=1&b&c=" : takes *q, returns 1 and the next
 * raw (still encoded) name and value (value ptr NULL when there is no '='),
 * advancing *q; 0 at the end. Empty elements ("a&&b") are skipped; a
 * q with ptr NULL is empty. The slices point into *q's bytes.
 */
int http_query_next(cf_slice *q, cf_slice *name, cf_slice *value);

/* ---- bodies ---- */

typedef enum http_framing_kind {
    HTTP_BODY_NONE = 0,   /* no body */
    HTTP_BODY_LENGTH = 1, /* Content-Length bytes */
    HTTP_BODY_CHUNKED = 2, /* Transfer-Encoding: chunked */
    HTTP_BODY_CLOSE = 3    /* a response's body that ends when the connection closes */
} http_framing_kind;

/*
 * http_body_framing -- how the request's body is framed: HTTP_BODY_LENGTH
 * with *length (possibly 0) when Content-Length is present, CHUNKED when
 * Transfer-Encoding is exactly "chunked", NONE when neither (a request
 * without framing headers has no body). CF_EINVAL for a Content-Length that
 * is not all digits or overflows, several Content-Lengths that differ, both
 * Content-Length and Transfer-Encoding, a Transfer-Encoding other than one
 * "chunked" coding, or Transfer-Encoding in an HTTP/1.0 request (RFC 9112
 * 6.1: its framing cannot be trusted). aws-chunked is a Content-Encoding,
 * not framing: such a body is plain Content-Length (or chunked) here.
 * *kind and *length are set on every path.
 */
int http_body_framing(const http_request *req, http_framing_kind *kind, uint64_t *length);

/*
 * http_response_framing -- the same for a response: CF_EINVAL on the same
 * faults; no body (NONE) for a 1xx, 204 or 304 whatever the fields say;
 * HTTP_BODY_CLOSE when neither Content-Length nor Transfer-Encoding is set.
 */
int http_response_framing(const http_response *resp, http_framing_kind *kind, uint64_t *length);

/*
 * Chunked decoder (RFC 9112 section 7.1), incremental and in place. Feed it
 * bytes; it returns how many it consumed and points *data and *data_len at the
 * chunk payload bytes among them (possibly none). Chunk extensions are
 * skipped; trailers are skipped (bounded by HTTP_MAX_HEAD_BYTES). Lines end
 * in CRLF; a bare LF is CF_EINVAL.
 */
#define HTTP_CHUNK_MAX_LINE_BYTES 4096u /* a chunk-size line, extensions included */

typedef struct http_chunked {
    int state;     /* enum in chunked.c; 0 is the start */
    uint64_t left; /* payload bytes left in the current chunk (the size, while parsed) */
    uint32_t line; /* bytes of the current size line, or of the trailer section; bounded */
} http_chunked;

/*
 * http_chunked_feed -- consumes from in[0..len). Returns bytes consumed
 * (>= 0); payload bytes among them are at *data, *data_len (one contiguous
 * run: the call returns right after a run of payload bytes, so call again
 * with the rest); *done is set once the last chunk and its trailers are
 * consumed (nothing after them is consumed, and later calls consume 0).
 * Consumes at least one byte when len > 0 and not done. CF_EINVAL on bad
 * framing, CF_ELIMIT on a chunk size over 16 hex digits of value, a size
 * line over HTTP_CHUNK_MAX_LINE_BYTES or trailers over HTTP_MAX_HEAD_BYTES.
 * Errors are sticky. *data, *data_len, *done are set on every path.
 */
int http_chunked_feed(http_chunked *c, const uint8_t *in, size_t len, const uint8_t **data,
                      size_t *data_len, bool *done);

/*
 * aws-chunked decoder (the S3 streaming upload body: "hex;chunk-signature=
 * sig\r\n data \r\n ... 0;chunk-signature=sig\r\n [trailers] \r\n", and the
 * unsigned variant "hex\r\n data \r\n ... 0\r\n trailers \r\n"), incremental.
 * It yields payload bytes, and for each chunk, once its size line is parsed,
 * the chunk's declared signature (empty for unsigned) so the caller can
 * verify it after the chunk's data; and the trailer headers at the end.
 * Signatures are 64 lowercase hex digits (SigV4; SigV4a's 144-character
 * padded signatures are CF_EINVAL). The first chunk decides signed or
 * unsigned; a later chunk of the other kind is CF_EINVAL.
 *
 * want_trailers: set it (before the first feed) when the request announced
 * trailers (x-amz-trailer). Then one empty line between the final chunk's
 * line and the first trailer is tolerated, as the AWS documentation's
 * example shows ("0;chunk-signature=sig\r\n\r\nx-amz-checksum-...").
 * Without it an empty line right after the final chunk ends the body.
 */
#define HTTP_AWS_MAX_TRAILERS 8
#define HTTP_AWS_MAX_LINE_BYTES 255u /* a size or trailer line, without CRLF */

typedef struct http_aws_chunked {
    int state;           /* enum in aws_chunked.c; 0 is the start */
    uint64_t left;       /* payload bytes left in the current chunk */
    uint64_t chunk_size; /* size of the current chunk */
    uint32_t line;       /* bytes of the current line, bounded */
    char line_buf[256];  /* size line or trailer line being collected */
    char sig[65];        /* current chunk's signature, NUL-terminated ("" unsigned) */
    uint8_t mode;        /* 0 before the first chunk, then signed (1) or unsigned (2) */
    bool want_trailers;  /* set by the caller: see above */
    size_t n_trailers;
    char trailer_name[HTTP_AWS_MAX_TRAILERS][64];   /* as sent, NUL-terminated */
    char trailer_value[HTTP_AWS_MAX_TRAILERS][128]; /* whitespace-trimmed, NUL-terminated */
} http_aws_chunked;

/* Events http_aws_chunked_feed reports through *ev. */
enum {
    HTTP_AWS_EV_NONE = 0,
    HTTP_AWS_EV_CHUNK_START = 1, /* a size line was parsed: c->chunk_size, c->sig are set */
    HTTP_AWS_EV_CHUNK_END = 2,   /* the current chunk's data ended (verify its signature now) */
    HTTP_AWS_EV_DONE = 3,        /* final chunk and trailers parsed: c->trailer_* are set */
};

/*
 * http_aws_chunked_feed -- consumes from in[0..len), stopping after at most
 * one event. Returns bytes consumed (>= 0); payload bytes among them are at
 * *data, *data_len (one contiguous run, always of the current chunk and
 * before the event). Every CHUNK_START is followed by a CHUNK_END; the final
 * (size 0) chunk's CHUNK_END is reported by a call that consumes 0 bytes, so
 * call again after every event even with no input left. After DONE nothing
 * more is consumed (ev NONE). CF_EINVAL on bad framing, CF_ELIMIT on a size
 * over 16 hex digits of value, a line over HTTP_AWS_MAX_LINE_BYTES, a trailer
 * name over 63 or value over 127 bytes, or more than HTTP_AWS_MAX_TRAILERS
 * trailers. Errors are sticky. *data, *data_len, *ev are set on every path.
 */
int http_aws_chunked_feed(http_aws_chunked *c, const uint8_t *in, size_t len, const uint8_t **data,
                          size_t *data_len, int *ev);

/*
 * multipart/form-data decoder (RFC 7578 over RFC 2046 5.1): the body of an
 * HTML form upload (S3 POST Object), incremental and allocation-free. Begin
 * it with the request's Content-Type (which carries the boundary), then feed
 * it body bytes; it reports each part's headers (HTTP_FORM_EV_PART: the
 * Content-Disposition name and filename and the Content-Type are in the
 * struct), the part's data in pieces, the part's end (HTTP_FORM_EV_PART_END)
 * and the close delimiter (HTTP_FORM_EV_DONE). The preamble before the first
 * delimiter and the epilogue after the last are skipped. Part header lines
 * end in CRLF (a bare LF is CF_EINVAL); headers other than
 * Content-Disposition and Content-Type are checked for shape and dropped.
 *
 * Every byte of the form counts against HTTP_FORM_MAX_FIELD_BYTES except the
 * data of parts the caller marks streamed (f->stream = true after their
 * HTTP_FORM_EV_PART): an upload's fields are bounded, its file is not.
 */
#define HTTP_FORM_MAX_BOUNDARY_BYTES 70  /* RFC 2046: a boundary is 1..70 characters */
#define HTTP_FORM_MAX_LINE_BYTES 2048u   /* one part header line, without its CRLF */
#define HTTP_FORM_MAX_HEAD_BYTES 4096u   /* one part's header section, CRLFs included */
#define HTTP_FORM_MAX_PARTS 128u         /* parts in one form */
#define HTTP_FORM_MAX_FIELD_BYTES 20480u /* the form but streamed data (S3's 20 KB of fields) */
#define HTTP_FORM_MAX_NAME_BYTES 255u    /* a part's name parameter */
#define HTTP_FORM_MAX_FILENAME_BYTES 1024u /* a filename parameter (an S3 key is <= 1024) */
#define HTTP_FORM_MAX_TYPE_BYTES 255u    /* a part's Content-Type value */

typedef struct http_form {
    int state;                                   /* enum in form.c; 0 before begin */
    uint8_t delim_len;                           /* bytes of delim */
    char delim[4 + HTTP_FORM_MAX_BOUNDARY_BYTES]; /* "\r\n--" boundary */
    uint32_t match;         /* bytes of delim matched at the end of the input so far */
    uint32_t line;          /* bytes of the header line being collected, bounded */
    uint32_t head_bytes;    /* bytes of the current part's header section, bounded */
    uint32_t n_parts;       /* parts begun, bounded */
    uint64_t field_bytes;   /* bytes counted against HTTP_FORM_MAX_FIELD_BYTES */
    bool stream;            /* set by the caller: the current part's data is not counted */
    /* the current part, set when HTTP_FORM_EV_PART is reported: */
    bool has_disposition;   /* a Content-Disposition header was seen */
    bool form_data;         /* its type is "form-data" (any case) */
    bool has_name, has_filename, has_type;
    uint16_t name_len, filename_len, type_len;
    char name[HTTP_FORM_MAX_NAME_BYTES + 1];         /* unquoted, NUL-terminated, no CTLs */
    char filename[HTTP_FORM_MAX_FILENAME_BYTES + 1]; /* as sent, unquoted */
    char type[HTTP_FORM_MAX_TYPE_BYTES + 1];         /* whitespace-trimmed */
    char line_buf[HTTP_FORM_MAX_LINE_BYTES];         /* header line being collected */
} http_form;

/* Events http_form_feed reports through *ev. */
enum {
    HTTP_FORM_EV_NONE = 0,
    HTTP_FORM_EV_PART = 1,     /* a part's headers were parsed: f->name, ... are set */
    HTTP_FORM_EV_PART_END = 2, /* the current part's data ended (a delimiter) */
    HTTP_FORM_EV_DONE = 3,     /* the close delimiter: the form is complete */
};

/*
 * http_form_begin -- resets f for a body of the given Content-Type value,
 * which must be multipart/form-data (any case) with a boundary parameter
 * (token or quoted-string) of 1..70 RFC 2046 characters, not ending in a
 * space; other parameters are ignored. 0, or CF_EINVAL (f then refuses
 * every feed with CF_EINVAL).
 */
int http_form_begin(http_form *f, cf_slice content_type);

/*
 * http_form_feed -- consumes from in[0..len), stopping after at most one
 * event. Returns bytes consumed (>= 0). Data of the current part among them
 * is at *data, *data_len: one contiguous run, before the event, pointing
 * into in or, for bytes an earlier call held back as a possible delimiter
 * that was not one, into f; valid until the next call. A call consumes at
 * least one byte or reports data unless len is 0 or the form is done; after
 * HTTP_FORM_EV_DONE every byte (the epilogue) is consumed and ignored.
 * CF_EINVAL on bad framing (a delimiter line not ending in CRLF, a bad
 * header line, a repeated Content-Disposition, Content-Type or parameter);
 * CF_ELIMIT on breaking a limit above. Errors are sticky. *data, *data_len
 * and *ev are set on every path.
 */
int http_form_feed(http_form *f, const uint8_t *in, size_t len, const uint8_t **data,
                   size_t *data_len, int *ev);

/* ---- responses ---- */

/* http_status_reason -- "OK", "Not Found", ... for status (or "Unknown"). */
const char *http_status_reason(int status);

/*
 * http_date -- formats t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT")
 * into out[30], NUL-terminated. Times before 1970 or after 9999-12-31
 * 23:59:59 are clamped to those bounds.
 */
void http_date(int64_t unix_s, char out[30]);

/*
 * http_date_parse -- parses IMF-fixdate (and RFC 850 / asctime), exactly
 * (case-sensitive names, fixed widths, no surrounding whitespace); an RFC 850
 * two-digit year yy is 20yy below 70, else 19yy. CF_EINVAL if not a date
 * (day not in its month, hour > 23, ...). *unix_s is 0 on error.
 */
int http_date_parse(cf_slice s, int64_t *unix_s);

/* ---- the session: serving one connection ---- */

/*
 * The connection's I/O, provided by net/. Each call blocks at most the
 * connection's timeout (timeout_ms 0: do not block at all).
 */
typedef struct http_io {
    void *ctx;
    /* read -- up to cap bytes: > 0 bytes read, 0 the peer closed, CF_EAGAIN
     * nothing within timeout_ms, CF_EIO error */
    ssize_t (*read)(void *ctx, void *buf, size_t cap, int timeout_ms);
    /* writev -- writes all of iov or fails: 0, CF_EAGAIN (timed out), CF_EIO */
    int (*writev)(void *ctx, const struct iovec *iov, int iovcnt);
    /* sendfile -- sends len bytes of fd from off: 0, CF_EAGAIN, CF_EIO */
    int (*sendfile)(void *ctx, int fd, uint64_t off, uint64_t len);
    /* peer -- the remote IP address as text, no port ("127.0.0.1", "::1":
     * no brackets; an IPv4-mapped IPv6 peer as its IPv4 address); borrowed
     * like ctx, which it must outlive; empty when unknown */
    cf_slice peer;
} http_io;

typedef struct http_limits {
    int idle_timeout_ms; /* keep-alive connection with no request: closed (net/ applies it) */
    int io_timeout_ms;   /* a body read or response write that makes no progress */
} http_limits;

typedef struct http_exchange http_exchange;

/* The handler: called once per request, must answer it (respond) before
 * returning; a handler that does not is answered 500 for it. */
typedef void (*http_handler_fn)(void *arg, http_exchange *ex);

typedef struct http_session http_session;

/*
 * http_session_new -- a session over io (copied; io->ctx is borrowed and must
 * outlive the session). Caller frees with http_session_free(). The input
 * buffer is HTTP_MAX_HEAD_BYTES + 64 KiB, allocated once. 0, CF_EINVAL (a
 * callback of io or the handler is NULL) or CF_ENOMEM; *out is NULL on error.
 */
int http_session_new(const http_io *io, const http_limits *lim, http_handler_fn handler, void *arg,
                     http_session **out);

/* http_session_free -- releases s; NULL is a no-op. Does not close io. */
void http_session_free(http_session *s);

/* Results of http_session_on_readable. */
enum { HTTP_SESSION_WAIT = 0, HTTP_SESSION_CLOSE = 1 };

/*
 * http_session_on_readable -- called by net/ when the socket is readable:
 * reads without blocking, serves every complete request in the buffer
 * (pipelining; answering "100 Continue" when a request expects it), and
 * returns HTTP_SESSION_WAIT when it needs more bytes for the next request
 * head, or HTTP_SESSION_CLOSE when the connection must be closed (peer
 * closed, Connection: close, HTTP/1.0 without keep-alive, an error that
 * leaves the stream unframed). A malformed head is answered 400/414/431
 * before CLOSE. Empty lines (CRLF) before a request line are skipped.
 * REQUIRES: not called again after it returned HTTP_SESSION_CLOSE.
 */
int http_session_on_readable(http_session *s);

/* ---- what a handler uses ---- */

/*
 * Everything below is called from inside the handler, with the ex it was
 * given; ex and every slice of its request are valid until the handler
 * returns.
 */

/* http_exchange_request -- the parsed request head. */
const http_request *http_exchange_request(const http_exchange *ex);

/*
 * http_exchange_read_body -- decoded body bytes (Content-Length or chunked;
 * aws-chunked framing is left to the caller, which sees the raw chunked
 * stream as body bytes). Returns > 0 bytes, 0 at the end of the body,
 * CF_EAGAIN on timeout (may be retried), CF_EINVAL on bad chunked framing
 * (CF_ELIMIT on an over-long chunk line), CF_EIO when the connection failed
 * or the peer closed before the end; errors other than CF_EAGAIN are sticky
 * and close the connection after the response. CF_EINVAL when cap is 0.
 * The first call writes "HTTP/1.1 100 Continue" if the request expects it
 * and no response has been started.
 */
ssize_t http_exchange_read_body(http_exchange *ex, void *buf, size_t cap);

/*
 * http_exchange_respond -- writes the status line and headers (plus Date,
 * Server, Content-Length: content_length unless content_length is
 * HTTP_NO_LENGTH, and Connection as the session decided). Call once.
 * With HTTP_NO_LENGTH the body is sent chunked to HTTP/1.1 clients and
 * delimited by closing the connection for HTTP/1.0 clients. For a HEAD
 * request, and for statuses 204 and 304, only the head is sent and body
 * writes are discarded (HEAD keeps the Content-Length given; 204 and 304
 * carry no Content-Length). The head may be held back and written with the
 * first body bytes, before the handler blocks on a body read, or when the
 * handler returns. status is 200..599; header names are tokens and values
 * hold no CTL but HTAB. Returns 0; CF_EINVAL (called twice, bad status or
 * header); CF_EIO (the connection failed earlier); CF_ENOMEM.
 */
#define HTTP_NO_LENGTH UINT64_MAX
int http_exchange_respond(http_exchange *ex, int status, const http_header *headers, size_t n,
                          uint64_t content_length);

/*
 * http_exchange_write -- body bytes after respond(). Returns 0; CF_EINVAL
 * before respond() or past the declared Content-Length; CF_EAGAIN (write
 * timed out) or CF_EIO, after which the response is broken, every later
 * write fails and the connection is closed.
 */
int http_exchange_write(http_exchange *ex, const void *p, size_t len);

/* http_exchange_sendfile -- body bytes from a file, copy-free where the
 * kernel allows. Results as http_exchange_write. */
int http_exchange_sendfile(http_exchange *ex, int fd, uint64_t off, uint64_t len);

/*
 * http_exchange_peer -- the client's IP address as text, without port or
 * brackets ("127.0.0.1", "2001:db8::1"): the address the connection was
 * accepted from (http_io.peer). Empty (len 0) when net/ did not give one.
 * Valid for the exchange's life.
 */
cf_slice http_exchange_peer(const http_exchange *ex);

/* What an exchange moved so far (for the access log and the metrics): read at any time,
 * complete once the handler has answered. */
typedef struct http_exchange_counts {
    int status;               /* the response's status; 0 before respond() succeeded */
    uint64_t body_read_bytes; /* decoded request body bytes read_body returned (chunked:
                                 payload only; aws-chunked: its raw stream, as read_body) */
    uint64_t body_sent_bytes; /* response body bytes written (write and sendfile), framing
                                 and head excluded; a write that failed counts nothing */
    uint64_t head_read_bytes; /* the request head: request line, headers, empty line */
    uint64_t head_sent_bytes; /* interim "100 Continue" written, plus the response head
                                 from the moment respond() built it (it may be held back
                                 and written with the first body bytes or at the end) */
} http_exchange_counts;

/* http_exchange_stats -- fills *out with ex's counts. */
void http_exchange_stats(const http_exchange *ex, http_exchange_counts *out);

/*
 * http_exchange_close_after -- the connection is closed after this response
 * (used when the request body was not read to its end). Called before
 * respond(), the response also says "Connection: close".
 */
void http_exchange_close_after(http_exchange *ex);

/* ---- the client: one blocking HTTP/1.1 connection (client.c) ---- */

/*
 * A small client for coffer's own outgoing requests (the change-log sink,
 * doc/cdc_sink.md): plain http:// only, one request at a time, the
 * connection kept alive between requests. Not thread-safe: one user at a
 * time. The response head is read into a bounded buffer
 * (HTTP_MAX_HEAD_BYTES) and parsed by http_parse_response; the body is read
 * by its framing and discarded, but for its first HTTP_CLIENT_BODY_HEAD_BYTES
 * (an S3 error's XML, for the caller's error message).
 */
#define HTTP_CLIENT_BODY_HEAD_BYTES 512u

typedef struct http_client http_client;

/* What an answered request got. */
typedef struct http_client_result {
    int status;                                  /* the response's status */
    size_t body_head_len;                        /* bytes in body_head */
    uint8_t body_head[HTTP_CLIENT_BODY_HEAD_BYTES]; /* the body's first bytes */
    uint64_t sent_bytes;                         /* head and body written, last attempt */
} http_client_result;

/*
 * http_client_new -- a client of host:port (host copied, at most 255 bytes:
 * a name or an address) whose connect, each send and each receive time out
 * after timeout_ms. Connects lazily. Caller frees with http_client_free().
 * 0, CF_EINVAL (host too long, timeout_ms <= 0), CF_ENOMEM.
 */
int http_client_new(const char *host, uint16_t port, int timeout_ms, http_client **out);
void http_client_free(http_client *c); /* NULL is a no-op */

/*
 * http_client_request -- sends "method target HTTP/1.1", the n headers
 * (the caller gives Host and any others; the client adds Content-Length:
 * body.len when method is not GET or HEAD), the body; reads the response.
 * A kept-alive connection the server closed meanwhile (nothing came back
 * on it) is reconnected and the request sent once more: the caller's
 * requests must be safe to repeat. Returns 0 with *out filled (any status);
 * CF_EIO when connecting, sending or receiving failed or timed out (the
 * connection is then closed), CF_EINVAL for a malformed response head or
 * framing, CF_ELIMIT for a head over the limits. *out is zeroed on entry.
 */
int http_client_request(http_client *c, const char *method, cf_slice target,
                        const http_header *headers, size_t n, cf_slice body,
                        http_client_result *out);

#endif
