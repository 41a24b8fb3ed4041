/*
 * config.h -- the http layer's tunables, each with why it has its value.
 * Internal to src/http/; the protocol limits the s3 layer must know
 * (HTTP_MAX_HEAD_BYTES, ...) are in http.h.
 */
#ifndef HTTP_CONFIG_H
#define HTTP_CONFIG_H

/* The session's input buffer holds a full head plus 64 KiB: one read can
 * take a head and the start of its body, or several pipelined requests, and
 * a chunked body is decoded from it 64 KiB at a time. */
#define HTTP_SESSION_BODY_BYTES (64u * 1024)

/* Room a head may start with: when less than a full head plus 16 KiB is
 * free after it, the buffer is compacted first, so a body read into the
 * buffer behind a head always gets at least 16 KiB per read. */
#define HTTP_SESSION_MIN_ROOM_BYTES (16u * 1024)

/* A body the handler left unread is discarded up to 64 KiB so the
 * connection can serve the next request (an early 4xx for a small PUT);
 * past that, closing is cheaper than reading what nobody wants. */
#define HTTP_DRAIN_MAX_BYTES (64u * 1024)

/* Draining reads through a stack buffer of this size. */
#define HTTP_DRAIN_STEP_BYTES (8u * 1024)

#endif
