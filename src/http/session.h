/*
 * session.h -- the session and exchange structures, shared by session.c
 * (the connection: input buffer, head parsing, pipelining), exchange.c (one
 * request: its body, its end) and response.c (its response). Internal to
 * src/http/.
 *
 * The input buffer s->buf holds, in order: bytes already consumed
 * [0, start), the current request's head [start, ex.head_end), its raw body
 * bytes not yet decoded [ex.rpos, end), and free space [end, cap). Bytes
 * after the body (a pipelined request) stay in the buffer when a body
 * decoder reads past its end; the next request starts at ex.rpos.
 */
#ifndef HTTP_SESSION_H
#define HTTP_SESSION_H

#include "http/http.h"

struct http_exchange {
    http_session *s;
    const http_request *req; /* &s->req */
    /* The request body. */
    http_framing_kind framing;
    uint64_t body_left;   /* LENGTH: body bytes not yet returned to the handler */
    http_chunked chunked; /* CHUNKED: the decoder */
    size_t head_end;      /* offset in s->buf just past the head */
    size_t rpos;          /* offset in s->buf of the next raw body byte */
    int body_err;         /* sticky error of read_body; 0 if none */
    bool body_done;       /* every body byte was returned (or there is no body) */
    bool expect_continue; /* HTTP/1.1 "Expect: 100-continue" with a body to come */
    bool continue_sent;
    bool continue_empty;  /* it expects 100-continue with an empty body: sent before the response */
    bool is_head;    /* method HEAD */
    bool keep_alive; /* the request allows another request on this connection */
    /* The response. */
    bool responded;
    bool head_pending;     /* s->out holds the response head, not yet written */
    bool resp_no_body;     /* HEAD, 204, 304: body bytes are discarded */
    bool resp_chunked;     /* the body goes out with the chunked coding */
    bool resp_until_close; /* the body ends when the connection closes */
    uint64_t resp_left;    /* declared Content-Length bytes not yet written */
    bool close_after;      /* the connection closes after this response */
    /* Counts (http_exchange_stats). */
    int status;               /* the response's status once respond() succeeded */
    uint64_t body_read_bytes; /* body bytes read_body returned */
    uint64_t body_sent_bytes; /* body bytes written, framing excluded */
    uint64_t head_read_bytes; /* the request head's bytes */
    uint64_t head_sent_bytes; /* "100 Continue" written, and the response head once built */
};

struct http_session {
    http_io io;
    http_limits lim;
    http_handler_fn handler;
    void *arg;
    uint8_t *buf; /* input buffer, cap bytes, allocated once */
    size_t cap;
    /* Changed while serving. */
    size_t start;      /* first byte of buf not yet consumed */
    size_t end;        /* bytes of buf filled */
    size_t parsed_end; /* end of what the last CF_EAGAIN parse saw; <= start: not parsed yet */
    bool failed;       /* a read or write failed: the connection closes */
    cf_buf out;        /* the response head being built; reused */
    int64_t date_s;    /* the second date_str was made for */
    char date_str[30];
    http_request req; /* the current head; its slices point into buf */
    http_exchange ex; /* the current exchange */
};

/*
 * http_exchange_begin -- sets up s->ex for the head s->req, which is
 * head_len bytes at s->buf + s->start. CF_EINVAL for bad body framing
 * (answer 400 and close).
 */
int http_exchange_begin(http_session *s, size_t head_len);

/*
 * http_exchange_finish -- after the handler returned: answers 500 if it did
 * not respond, completes the response, drains a small unread body. Returns
 * true when the connection must close. Sets s->ex.rpos past the body when
 * it was read to its end.
 */
bool http_exchange_finish(http_exchange *ex);

/* http_exchange_reject -- answers a head that could not be parsed with status
 * (400, 414, 431) and "Connection: close". */
void http_exchange_reject(http_session *s, int status);

/* http_response_flush -- writes the response head held in s->out, if any.
 * 0, or CF_EAGAIN / CF_EIO (then s->failed is set). */
int http_response_flush(http_exchange *ex);

/* http_response_end -- writes the last chunk of a chunked response. */
void http_response_end(http_exchange *ex);

/* http_response_error -- responds status with a minimal S3-style XML error
 * body (Code from status: BadRequest, RequestURITooLong,
 * RequestHeaderSectionTooLarge, InternalError). REQUIRES: not responded. */
void http_response_error(http_exchange *ex, int status);

#endif
