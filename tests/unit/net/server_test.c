/*
 * server_test.c -- unit tests of the net layer, over real sockets.
 *
 * Each case starts a net_server on an ephemeral port with the test handler
 * below and drives it from plain blocking client sockets (with a receive
 * timeout, so a broken server fails a case instead of hanging it). Covers:
 * one request; 100 keep-alive requests; two pipelined requests in one write;
 * 50 concurrent connections; a 10 MiB streamed body (CRC32C); an 8 MiB
 * response to a slow reader and a stalled one (io timeout); the idle
 * timeout (silent, trickling, and busy-but-served connections); a stalled
 * half head on a one-worker server; a busy worker not delaying a new
 * connection; a pooled connection not stuck behind a slow client on its
 * worker; the pool growing past slow clients; a trickled body cut by the
 * rate floor; sendfile of a file range; max_conns (eviction of the oldest,
 * and recovery after idle expiry); lingering close delivering an early
 * error response; a half-closed client; stop draining an in-flight request
 * (and the request pipelined behind it, answered "Connection: close") while
 * refusing new connections; stop aborting a handler stuck on a client; IPv6,
 * localhost and the option errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "test.h"
#include "util/crc.h"
#include "util/err.h"

#define BIG_BYTES (8u << 20)
#define FILE_BYTES (3u << 20)
#define FILE_OFF 1000u

/* What the handler saw; reset by start(). */
static atomic_int slow_entered;   /* /slow and /stall: the handler has started */
static atomic_int handler_rc;     /* /big, /stall: result of the last I/O call */
static atomic_int handler_done;   /* /big, /stall: the handler returned */
static int slow_ms;               /* /slow sleeps this long */
static char file_path[300];       /* /file sends FILE_OFF.. of this file */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* big_byte -- byte i of the /big response and of the test file. */
static uint8_t big_byte(uint64_t i)
{
    return (uint8_t)(i * 31 + (i >> 12));
}

static bool path_is(const http_exchange *ex, const char *p)
{
    cf_slice path = http_exchange_request(ex)->path;
    return path.len == strlen(p) && memcmp(path.ptr, p, path.len) == 0;
}

static void respond_text(http_exchange *ex, int status, const char *text)
{
    if (http_exchange_respond(ex, status, NULL, 0, strlen(text)) == 0)
        http_exchange_write(ex, text, strlen(text));
}

/* read_all_body -- reads the body to its end; its length and CRC32C, or < 0. */
static int64_t read_all_body(http_exchange *ex, uint32_t *crc)
{
    static _Thread_local uint8_t buf[65536];
    int64_t total = 0;
    *crc = 0;
    for (;;) {
        ssize_t n = http_exchange_read_body(ex, buf, sizeof buf);
        if (n < 0)
            return n;
        if (n == 0)
            return total;
        *crc = crc32c_extend(*crc, buf, (size_t)n);
        total += n;
    }
}

static void serve_big(http_exchange *ex)
{
    static _Thread_local uint8_t chunk[256 * 1024];
    int rc = http_exchange_respond(ex, 200, NULL, 0, BIG_BYTES);
    for (uint64_t off = 0; rc == 0 && off < BIG_BYTES; off += sizeof chunk) {
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = big_byte(off + i);
        rc = http_exchange_write(ex, chunk, sizeof chunk);
    }
    atomic_store(&handler_rc, rc);
    atomic_store(&handler_done, 1);
}

static void serve_file(http_exchange *ex)
{
    int fd = open(file_path, O_RDONLY);
    uint64_t len = FILE_BYTES - 2 * FILE_OFF;
    if (fd < 0) {
        respond_text(ex, 500, "no file");
        return;
    }
    if (http_exchange_respond(ex, 200, NULL, 0, len) == 0)
        http_exchange_sendfile(ex, fd, FILE_OFF, len);
    close(fd);
}

static void test_handler(void *arg, http_exchange *ex)
{
    char text[64];
    uint32_t crc;
    if (path_is(ex, "/hello")) {
        respond_text(ex, 200, "hello");
    } else if (path_is(ex, "/len")) {
        int64_t n = read_all_body(ex, &crc);
        snprintf(text, sizeof text, "%lld", (long long)n);
        respond_text(ex, 200, text);
    } else if (path_is(ex, "/crc")) {
        int64_t n = read_all_body(ex, &crc);
        snprintf(text, sizeof text, "%lld %08x", (long long)n, crc);
        respond_text(ex, 200, text);
    } else if (path_is(ex, "/big")) {
        serve_big(ex);
    } else if (path_is(ex, "/file")) {
        serve_file(ex);
    } else if (path_is(ex, "/slow")) {
        atomic_store(&slow_entered, 1);
        sleep_ms(slow_ms);
        respond_text(ex, 200, "done");
    } else if (path_is(ex, "/stall")) {
        atomic_store(&slow_entered, 1);
        int64_t n = read_all_body(ex, &crc);
        atomic_store(&handler_rc, (int)n);
        atomic_store(&handler_done, 1);
        respond_text(ex, 400, "stalled");
    } else if (path_is(ex, "/peer")) {
        cf_slice p = http_exchange_peer(ex);
        snprintf(text, sizeof text, "%.*s", (int)p.len, (const char *)p.ptr);
        respond_text(ex, 200, text);
    } else if (path_is(ex, "/reject")) {
        http_exchange_close_after(ex);
        respond_text(ex, 413, "too large");
    } else {
        respond_text(ex, 404, "no such path");
    }
}

/* start_with -- a server with options o and the test handler; resets what the handler saw. */
static net_server *start_with(net_opts o)
{
    atomic_store(&slow_entered, 0);
    atomic_store(&handler_rc, 1);
    atomic_store(&handler_done, 0);
    slow_ms = 300;
    o.handler = test_handler;
    net_server *s = NULL;
    int rc = net_server_start(&o, &s);
    CHECK_EQ(rc, 0);
    return s;
}

static net_server *start_opts(const char *host, int workers, int max_conns, int idle_ms, int io_ms)
{
    return start_with((net_opts){.host = host, .workers = workers, .max_conns = max_conns,
                                 .limits = {.idle_timeout_ms = idle_ms, .io_timeout_ms = io_ms}});
}

static net_server *start(int workers)
{
    return start_opts("127.0.0.1", workers, 0, 5000, 5000);
}

/* ---- the client ---- */

typedef struct client {
    int fd;
    size_t len;        /* buffered bytes not yet parsed */
    uint8_t buf[65536];
} client;

typedef struct response {
    int status;
    bool conn_close;   /* "Connection: close" was sent */
    size_t body_len;
    uint8_t *body;     /* malloc'd, NUL-terminated; freed by resp_free */
} response;

static int connect_to(int family, uint16_t port, int rcvbuf)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static client *cli_open(uint16_t port)
{
    client *c = calloc(1, sizeof *c);
    c->fd = connect_to(AF_INET, port, 0);
    return c;
}

static void cli_close(client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

static int send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static int cli_fill(client *c)
{
    if (c->len == sizeof c->buf)
        return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (n <= 0)
        return -1;
    c->len += (size_t)n;
    return 0;
}

static void resp_free(response *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* cli_read -- reads one response (Content-Length framed). 0 or -1. */
static int cli_read(client *c, response *r)
{
    memset(r, 0, sizeof *r);
    uint8_t *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
        if (cli_fill(c) < 0)
            return -1;
    }
    size_t hl = (size_t)(end - c->buf) + 4;
    char head[8192];
    if (hl >= sizeof head)
        return -1;
    memcpy(head, c->buf, hl);
    head[hl] = '\0';
    for (char *p = head; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    if (sscanf(head, "http/1.1 %d", &r->status) != 1)
        return -1;
    char *cl = strstr(head, "\r\ncontent-length:");
    if (!cl)
        return -1;
    r->body_len = strtoull(cl + 17, NULL, 10);
    r->conn_close = strstr(head, "\r\nconnection: close\r\n") != NULL;
    memmove(c->buf, c->buf + hl, c->len - hl);
    c->len -= hl;
    r->body = malloc(r->body_len + 1);
    size_t got = 0;
    while (got < r->body_len) {
        if (c->len == 0 && cli_fill(c) < 0)
            return -1;
        size_t n = c->len < r->body_len - got ? c->len : r->body_len - got;
        memcpy(r->body + got, c->buf, n);
        memmove(c->buf, c->buf + n, c->len - n);
        c->len -= n;
        got += n;
    }
    r->body[r->body_len] = '\0';
    return 0;
}

/* request -- sends "METHOD path" with body, reads the response. 0 or -1. */
static int request(client *c, const char *method, const char *path, const char *body,
                   response *r)
{
    char req[512];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, blen, body ? body : "");
    memset(r, 0, sizeof *r);
    if (send_all(c->fd, req, (size_t)n) < 0)
        return -1;
    return cli_read(c, r);
}

static bool body_is(const response *r, const char *s)
{
    return r->body && r->body_len == strlen(s) && memcmp(r->body, s, r->body_len) == 0;
}

/* peer_closed -- waits up to ms for the server to close fd (EOF or reset). */
static bool peer_closed(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return false;
    char b;
    return recv(fd, &b, 1, MSG_DONTWAIT) <= 0;
}

/* ---- cases ---- */

static void test_net_one_request_exact_body(void)
{
    net_server *s = start(2);
    client *c = cli_open(net_server_port(s));
    response r;
    CHECK(net_server_port(s) != 0);
    if (CHECK_EQ(request(c, "GET", "/hello", NULL, &r), 0)) {
        CHECK_EQ(r.status, 200);
        CHECK_MEM(r.body, r.body_len, "hello", 5);
        CHECK(!r.conn_close);
    }
    resp_free(&r);
    CHECK_EQ(request(c, "GET", "/nope", NULL, &r), 0);
    CHECK_EQ(r.status, 404);
    resp_free(&r);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_keepalive_100_requests_on_one_connection(void)
{
    net_server *s = start(2);
    client *c = cli_open(net_server_port(s));
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        char body[128], want[32];
        snprintf(body, sizeof body, "%0*d", i + 1, 0);
        snprintf(want, sizeof want, "%d", i + 1);
        response r;
        if (request(c, "POST", "/len", body, &r) == 0 && r.status == 200 && body_is(&r, want))
            ok++;
        resp_free(&r);
    }
    CHECK_EQ(ok, 100);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_two_pipelined_requests_in_one_write(void)
{
    net_server *s = start(2);
    client *c = cli_open(net_server_port(s));
    const char *both = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                       "POST /len HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc";
    CHECK_EQ(send_all(c->fd, both, strlen(both)), 0);
    response r1, r2;
    CHECK_EQ(cli_read(c, &r1), 0);
    CHECK_EQ(cli_read(c, &r2), 0);
    CHECK(body_is(&r1, "hello"));
    CHECK(body_is(&r2, "3"));
    resp_free(&r1);
    resp_free(&r2);
    cli_close(c);
    net_server_stop(s, 1000);
}

typedef struct conc_arg {
    uint16_t port;
    int seed;
    atomic_int *ok;
} conc_arg;

static void *conc_client(void *p)
{
    conc_arg *a = p;
    client *c = cli_open(a->port);
    static const size_t lens[4] = {1, 1500, 4096, 3000};
    for (int i = 0; i < 20; i++) {
        char body[4097], want[32];
        size_t len = lens[(a->seed + i) % 4];
        for (size_t k = 0; k < len; k++)
            body[k] = (char)('a' + (k + (size_t)a->seed) % 26);
        body[len] = '\0';
        char req[4300];
        int n = snprintf(req, sizeof req, "POST /crc HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s",
                         len, body);
        snprintf(want, sizeof want, "%zu %08x", len, crc32c(body, len));
        response r;
        if (send_all(c->fd, req, (size_t)n) == 0 && cli_read(c, &r) == 0 && body_is(&r, want))
            atomic_fetch_add(a->ok, 1);
        resp_free(&r);
    }
    cli_close(c);
    return NULL;
}

static void test_net_50_concurrent_connections_all_served(void)
{
    net_server *s = start(4);
    atomic_int ok = 0;
    pthread_t th[50];
    conc_arg args[50];
    for (int i = 0; i < 50; i++) {
        args[i] = (conc_arg){net_server_port(s), i, &ok};
        pthread_create(&th[i], NULL, conc_client, &args[i]);
    }
    for (int i = 0; i < 50; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(atomic_load(&ok), 50 * 20);
    net_server_stop(s, 1000);
}

static void test_net_10mib_body_streamed_crc32c(void)
{
    net_server *s = start(2);
    client *c = cli_open(net_server_port(s));
    const size_t total = 10u << 20;
    char head[128];
    int n = snprintf(head, sizeof head, "PUT /crc HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", total);
    CHECK_EQ(send_all(c->fd, head, (size_t)n), 0);
    uint8_t *chunk = malloc(65536);
    uint32_t crc = 0;
    for (size_t off = 0; off < total; off += 65536) {
        for (size_t i = 0; i < 65536; i++)
            chunk[i] = big_byte(off + i);
        crc = crc32c_extend(crc, chunk, 65536);
        if (send_all(c->fd, chunk, 65536) < 0)
            break;
    }
    char want[64];
    snprintf(want, sizeof want, "%zu %08x", total, crc);
    response r;
    CHECK_EQ(cli_read(c, &r), 0);
    CHECK(body_is(&r, want));
    resp_free(&r);
    free(chunk);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_8mib_response_to_slow_reader(void)
{
    net_server *s = start_opts("127.0.0.1", 2, 0, 5000, 2000);
    client *c = calloc(1, sizeof *c);
    c->fd = connect_to(AF_INET, net_server_port(s), 16384);
    const char *req = "GET /big HTTP/1.1\r\n\r\n";
    CHECK_EQ(send_all(c->fd, req, strlen(req)), 0);
    /* read the head, then the body in small reads with pauses: the server's
     * socket buffer fills and its writes wait on POLLOUT many times */
    uint8_t *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)) && cli_fill(c) == 0) {
    }
    size_t got = 0, bad = 0;
    if (CHECK(end != NULL)) {
        size_t hl = (size_t)(end - c->buf) + 4;
        for (size_t i = hl; i < c->len; i++, got++)
            bad += c->buf[i] != big_byte(got);
        for (int k = 0; got < BIG_BYTES; k++) {
            uint8_t b[8192];
            ssize_t n = recv(c->fd, b, sizeof b, 0);
            if (n <= 0)
                break;
            for (ssize_t i = 0; i < n; i++, got++)
                bad += b[i] != big_byte(got);
            if (k % 64 == 0)
                sleep_ms(5);
        }
    }
    CHECK_EQ(got, BIG_BYTES);
    CHECK_EQ(bad, 0);
    for (int i = 0; i < 200 && !atomic_load(&handler_done); i++)
        sleep_ms(10);
    CHECK_EQ(atomic_load(&handler_rc), 0);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_stalled_reader_gets_eagain_after_io_timeout(void)
{
    net_server *s = start_opts("127.0.0.1", 2, 0, 5000, 300);
    client *c = calloc(1, sizeof *c);
    c->fd = connect_to(AF_INET, net_server_port(s), 16384);
    const char *req = "GET /big HTTP/1.1\r\n\r\n";
    int64_t t0 = now_ms();
    CHECK_EQ(send_all(c->fd, req, strlen(req)), 0);
    for (int i = 0; i < 500 && !atomic_load(&handler_done); i++)
        sleep_ms(10);
    int64_t waited = now_ms() - t0;
    CHECK_EQ(atomic_load(&handler_done), 1);
    CHECK_EQ(atomic_load(&handler_rc), CF_EAGAIN);
    CHECK(waited >= 300);
    CHECK(waited < 3000);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_idle_timeout_closes_silent_connection(void)
{
    net_server *s = start_opts("127.0.0.1", 2, 0, 200, 5000);
    client *c = cli_open(net_server_port(s));
    int64_t t0 = now_ms();
    CHECK(peer_closed(c->fd, 3000));
    int64_t t = now_ms() - t0;
    CHECK(t >= 180);
    CHECK(t < 2000);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_trickled_head_is_closed_at_idle_timeout(void)
{
    net_server *s = start_opts("127.0.0.1", 2, 0, 300, 5000);
    client *c = cli_open(net_server_port(s));
    const char *head = "GET /hello HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    int64_t t0 = now_ms();
    bool closed = false;
    for (size_t i = 0; i < strlen(head) && !closed; i++) {
        if (send(c->fd, head + i, 1, MSG_NOSIGNAL) != 1)
            break;
        closed = peer_closed(c->fd, 40);
    }
    closed = closed || peer_closed(c->fd, 2000);
    int64_t t = now_ms() - t0;
    CHECK(closed);
    CHECK(t >= 280);
    CHECK(t < 1500);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_requests_keep_connection_past_idle_timeout(void)
{
    net_server *s = start_opts("127.0.0.1", 2, 0, 300, 5000);
    client *c = cli_open(net_server_port(s));
    int ok = 0;
    for (int i = 0; i < 8; i++) { /* 8 x 100 ms: well past one idle timeout */
        response r;
        if (request(c, "GET", "/hello", NULL, &r) == 0 && body_is(&r, "hello"))
            ok++;
        resp_free(&r);
        sleep_ms(100);
    }
    CHECK_EQ(ok, 8);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_half_head_stall_does_not_block_one_worker(void)
{
    net_server *s = start(1);
    client *a = cli_open(net_server_port(s));
    client *b = cli_open(net_server_port(s));
    const char *part1 = "GET /hello HTTP/1.1\r\nHo", *part2 = "st: x\r\n\r\n";
    CHECK_EQ(send_all(a->fd, part1, strlen(part1)), 0);
    sleep_ms(50);
    int ok = 0;
    for (int i = 0; i < 10; i++) {
        response r;
        if (request(b, "GET", "/hello", NULL, &r) == 0 && body_is(&r, "hello"))
            ok++;
        resp_free(&r);
    }
    CHECK_EQ(ok, 10);
    CHECK_EQ(send_all(a->fd, part2, strlen(part2)), 0);
    response r;
    CHECK_EQ(cli_read(a, &r), 0);
    CHECK(body_is(&r, "hello"));
    resp_free(&r);
    cli_close(a);
    cli_close(b);
    net_server_stop(s, 1000);
}

static void test_net_busy_worker_does_not_delay_new_connection(void)
{
    net_server *s = start(2);
    slow_ms = 1500;
    client *a = cli_open(net_server_port(s));
    const char *req = "GET /slow HTTP/1.1\r\n\r\n";
    CHECK_EQ(send_all(a->fd, req, strlen(req)), 0);
    for (int i = 0; i < 300 && !atomic_load(&slow_entered); i++)
        sleep_ms(5);
    CHECK_EQ(atomic_load(&slow_entered), 1);
    int64_t t0 = now_ms();
    for (int i = 0; i < 5; i++) { /* each a new connection: every one to the free worker */
        client *b = cli_open(net_server_port(s));
        response r;
        CHECK_EQ(request(b, "GET", "/hello", NULL, &r), 0);
        CHECK(body_is(&r, "hello"));
        resp_free(&r);
        cli_close(b);
    }
    CHECK(now_ms() - t0 < 1000);
    response r;
    CHECK_EQ(cli_read(a, &r), 0);
    CHECK(body_is(&r, "done"));
    resp_free(&r);
    cli_close(a);
    net_server_stop(s, 1000);
}

/* send_stall_head -- starts a PUT /stall whose 1000-byte body the client
 * then holds back: its handler waits on the client. */
static client *send_stall_head(uint16_t port)
{
    client *a = cli_open(port);
    const char *head = "PUT /stall HTTP/1.1\r\nContent-Length: 1000\r\n\r\nxx";
    CHECK_EQ(send_all(a->fd, head, strlen(head)), 0);
    return a;
}

/* finish_stall -- sends the rest of the held-back body; the handler answers 400 "stalled". */
static void finish_stall(client *a)
{
    static const char rest[998] = {0};
    CHECK_EQ(send_all(a->fd, rest, sizeof rest), 0);
    response r;
    CHECK_EQ(cli_read(a, &r), 0);
    CHECK_EQ(r.status, 400);
    resp_free(&r);
    cli_close(a);
}

/* A pooled keep-alive connection must not wait behind a slow client whose
 * handler runs on the worker that owns it: with one worker at start, the
 * worker hands it over (to a worker it starts) before waiting. */
static void test_net_keepalive_connection_not_stuck_behind_slow_client(void)
{
    net_server *s = start_with((net_opts){.host = "127.0.0.1", .workers = 1, .max_workers = 2});
    client *b = cli_open(net_server_port(s));
    response r;
    CHECK_EQ(request(b, "GET", "/hello", NULL, &r), 0); /* b is now a served, pooled connection */
    resp_free(&r);
    client *a = send_stall_head(net_server_port(s));
    for (int i = 0; i < 300 && !atomic_load(&slow_entered); i++)
        sleep_ms(5);
    CHECK_EQ(atomic_load(&slow_entered), 1);
    int64_t t0 = now_ms();
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(request(b, "GET", "/hello", NULL, &r), 0);
        CHECK(body_is(&r, "hello"));
        resp_free(&r);
    }
    CHECK(now_ms() - t0 < 1000);
    CHECK_EQ(atomic_load(&handler_done), 0); /* a's handler still waits */
    finish_stall(a);
    cli_close(b);
    net_server_stop(s, 1000);
}

/* Six handlers waiting on slow clients at once, on a server started with
 * one worker: the pool grows so that new clients are still served. */
static void test_net_pool_grows_past_slow_clients(void)
{
    net_server *s = start_with((net_opts){.host = "127.0.0.1", .workers = 1, .max_workers = 8});
    client *slow[6];
    for (int i = 0; i < 6; i++) {
        slow[i] = send_stall_head(net_server_port(s));
        sleep_ms(20);
    }
    int64_t t0 = now_ms();
    client *c = cli_open(net_server_port(s));
    response r;
    CHECK_EQ(request(c, "GET", "/hello", NULL, &r), 0);
    CHECK(body_is(&r, "hello"));
    CHECK(now_ms() - t0 < 1000);
    resp_free(&r);
    for (int i = 0; i < 6; i++)
        finish_stall(slow[i]);
    cli_close(c);
    net_server_stop(s, 1000);
}

/* A body trickled a byte every 100 ms never stalls for the io timeout
 * (400 ms) but falls below the rate floor (100 bytes/s): the handler's read
 * fails with CF_EAGAIN once start + 400 ms + bytes x 10 ms has passed. */
static void test_net_trickled_body_cut_by_rate_floor(void)
{
    net_server *s = start_with((net_opts){.host = "127.0.0.1", .workers = 2, .min_rate = 100,
                                          .limits = {.io_timeout_ms = 400}});
    client *c = cli_open(net_server_port(s));
    const char *head = "PUT /stall HTTP/1.1\r\nContent-Length: 1000\r\n\r\n";
    int64_t t0 = now_ms();
    CHECK_EQ(send_all(c->fd, head, strlen(head)), 0);
    while (!atomic_load(&handler_done) && now_ms() - t0 < 5000) {
        send(c->fd, "x", 1, MSG_NOSIGNAL);
        sleep_ms(100);
    }
    int64_t took = now_ms() - t0;
    CHECK_EQ(atomic_load(&handler_done), 1);
    CHECK_EQ(atomic_load(&handler_rc), CF_EAGAIN);
    CHECK(took >= 400);
    CHECK(took < 2000);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_sendfile_sends_exact_file_range(void)
{
    snprintf(file_path, sizeof file_path, "%s/f", test_tmpdir());
    uint8_t *data = malloc(FILE_BYTES);
    for (size_t i = 0; i < FILE_BYTES; i++)
        data[i] = big_byte(i * 7 + 3);
    FILE *f = fopen(file_path, "wb");
    CHECK_EQ(fwrite(data, 1, FILE_BYTES, f), FILE_BYTES);
    fclose(f);
    net_server *s = start(2);
    client *c = cli_open(net_server_port(s));
    response r;
    if (CHECK_EQ(request(c, "GET", "/file", NULL, &r), 0))
        CHECK_MEM(r.body, r.body_len, data + FILE_OFF, FILE_BYTES - 2 * FILE_OFF);
    resp_free(&r);
    free(data);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_max_conns_evicts_oldest_idle_connection(void)
{
    net_server *s = start_opts("127.0.0.1", 1, 4, 5000, 5000);
    client *idle[4];
    for (int i = 0; i < 4; i++) {
        idle[i] = cli_open(net_server_port(s));
        sleep_ms(20); /* accepted in this order: idle[0] is the oldest */
    }
    client *c = cli_open(net_server_port(s));
    response r;
    CHECK_EQ(request(c, "GET", "/hello", NULL, &r), 0);
    CHECK(body_is(&r, "hello"));
    resp_free(&r);
    CHECK(peer_closed(idle[0]->fd, 1000));
    for (int i = 1; i < 4; i++)
        CHECK(!peer_closed(idle[i]->fd, 0));
    for (int i = 0; i < 4; i++)
        cli_close(idle[i]);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_idle_flood_at_max_conns_then_new_client_served(void)
{
    net_server *s = start_opts("127.0.0.1", 4, 8, 300, 5000);
    client *idle[8];
    for (int i = 0; i < 8; i++)
        idle[i] = cli_open(net_server_port(s));
    sleep_ms(50);
    int64_t t0 = now_ms();
    bool served = false;
    while (!served && now_ms() - t0 < 2000) {
        client *c = cli_open(net_server_port(s));
        response r;
        served = request(c, "GET", "/hello", NULL, &r) == 0 && body_is(&r, "hello");
        resp_free(&r);
        cli_close(c);
        if (!served)
            sleep_ms(20);
    }
    CHECK(served);
    CHECK(now_ms() - t0 < 1000); /* at most about one idle timeout */
    for (int i = 0; i < 8; i++)
        cli_close(idle[i]);
    net_server_stop(s, 1000);
}

static void test_net_early_error_response_survives_unread_body(void)
{
    net_server *s = start(2);
    client *c = cli_open(net_server_port(s));
    const size_t total = 4u << 20;
    char head[128];
    int n = snprintf(head, sizeof head, "PUT /reject HTTP/1.1\r\nContent-Length: %zu\r\n\r\n",
                     total);
    CHECK_EQ(send_all(c->fd, head, (size_t)n), 0);
    uint8_t *body = calloc(1, total);
    CHECK_EQ(send_all(c->fd, body, total), 0); /* the server discards it while lingering */
    response r;
    if (CHECK_EQ(cli_read(c, &r), 0)) {
        CHECK_EQ(r.status, 413);
        CHECK(body_is(&r, "too large"));
    }
    resp_free(&r);
    CHECK(peer_closed(c->fd, 2000));
    free(body);
    cli_close(c);
    net_server_stop(s, 1000);
}

static void test_net_half_closed_client_still_gets_response(void)
{
    net_server *s = start(2);
    client *c = cli_open(net_server_port(s));
    const char *req = "GET /hello HTTP/1.1\r\n\r\n";
    CHECK_EQ(send_all(c->fd, req, strlen(req)), 0);
    shutdown(c->fd, SHUT_WR);
    response r;
    CHECK_EQ(cli_read(c, &r), 0);
    CHECK(body_is(&r, "hello"));
    resp_free(&r);
    cli_close(c);
    net_server_stop(s, 1000);
}

typedef struct drain_arg {
    uint16_t port;
    net_server *s;
    response r, r2; /* /slow, then /hello pipelined behind it */
    int rc;
    bool closed_after; /* the server closed the connection after the response */
    int64_t stop_ms;   /* how long net_server_stop took */
} drain_arg;

static void *slow_client(void *p)
{
    drain_arg *a = p;
    client *c = cli_open(a->port);
    const char *two = "GET /slow HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n";
    a->rc = send_all(c->fd, two, strlen(two));
    a->rc = a->rc ? a->rc : cli_read(c, &a->r);
    a->rc = a->rc ? a->rc : cli_read(c, &a->r2);
    a->closed_after = peer_closed(c->fd, 2000);
    cli_close(c);
    return NULL;
}

static void *stopper(void *p)
{
    drain_arg *a = p;
    int64_t t0 = now_ms();
    net_server_stop(a->s, 5000);
    a->stop_ms = now_ms() - t0;
    return NULL;
}

static void test_net_stop_drains_inflight_request(void)
{
    net_server *s = start(2);
    slow_ms = 600;
    uint16_t port = net_server_port(s);
    client *idle = cli_open(port);
    drain_arg a = {.port = port, .s = s, .rc = -1};
    pthread_t cl, st;
    pthread_create(&cl, NULL, slow_client, &a);
    for (int i = 0; i < 300 && !atomic_load(&slow_entered); i++)
        sleep_ms(5);
    CHECK_EQ(atomic_load(&slow_entered), 1);
    pthread_create(&st, NULL, stopper, &a);
    sleep_ms(150); /* stop has begun; the handler sleeps ~450 ms more */
    CHECK_EQ(connect_to(AF_INET, port, 0), -1); /* refused during the drain */
    pthread_join(st, NULL);
    pthread_join(cl, NULL);
    CHECK_EQ(a.rc, 0);
    CHECK_EQ(a.r.status, 200);
    CHECK(body_is(&a.r, "done"));
    CHECK(body_is(&a.r2, "hello")); /* started during the drain: the last answer */
    CHECK(!a.r.conn_close);
    CHECK(a.r2.conn_close);
    CHECK(a.closed_after);
    CHECK(a.stop_ms >= 300);
    CHECK(a.stop_ms < 3000);
    CHECK(peer_closed(idle->fd, 0));
    resp_free(&a.r);
    resp_free(&a.r2);
    cli_close(idle);
}

static void test_net_stop_aborts_handler_stuck_on_client(void)
{
    net_server *s = start_opts("127.0.0.1", 2, 0, 5000, 10000);
    client *c = cli_open(net_server_port(s));
    const char *head = "PUT /stall HTTP/1.1\r\nContent-Length: 100\r\n\r\n";
    CHECK_EQ(send_all(c->fd, head, strlen(head)), 0);
    for (int i = 0; i < 300 && !atomic_load(&slow_entered); i++)
        sleep_ms(5);
    CHECK_EQ(atomic_load(&slow_entered), 1);
    int64_t t0 = now_ms();
    net_server_stop(s, 200);
    int64_t t = now_ms() - t0;
    CHECK(t >= 190);
    CHECK(t < 2000);
    CHECK_EQ(atomic_load(&handler_done), 1);
    CHECK_EQ(atomic_load(&handler_rc), CF_EIO);
    CHECK(peer_closed(c->fd, 1000));
    cli_close(c);
}

static void test_net_ipv6_and_localhost_hosts(void)
{
    const char *hosts[3] = {"::1", "[::1]", "localhost"};
    const int fam[3] = {AF_INET6, AF_INET6, AF_INET};
    for (int i = 0; i < 3; i++) {
        net_server *s = start_opts(hosts[i], 1, 0, 5000, 5000);
        if (!CHECK(s != NULL))
            continue;
        client *c = calloc(1, sizeof *c);
        c->fd = connect_to(fam[i], net_server_port(s), 0);
        response r;
        CHECK_EQ(request(c, "GET", "/hello", NULL, &r), 0);
        CHECK(body_is(&r, "hello"));
        resp_free(&r);
        cli_close(c);
        net_server_stop(s, 1000);
    }
}

/* peer_seen -- what /peer answers to a client of family (bound to the IPv4
 * address local unless NULL) on the server s; "" on failure. */
static const char *peer_seen(net_server *s, int family, const char *local, char *out, size_t cap)
{
    out[0] = '\0';
    client *c = calloc(1, sizeof *c);
    if (local) {
        struct sockaddr_in me = {.sin_family = AF_INET};
        struct sockaddr_in srv = {.sin_family = AF_INET, .sin_port = htons(net_server_port(s))};
        srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (inet_pton(AF_INET, local, &me.sin_addr) != 1 ||
            bind(c->fd, (struct sockaddr *)&me, sizeof me) != 0 ||
            connect(c->fd, (struct sockaddr *)&srv, sizeof srv) != 0) {
            close(c->fd);
            c->fd = -1;
        }
    } else {
        c->fd = connect_to(family, net_server_port(s), 0);
    }
    response r;
    if (c->fd >= 0 && request(c, "GET", "/peer", NULL, &r) == 0) {
        snprintf(out, cap, "%s", (const char *)r.body);
        resp_free(&r);
    }
    cli_close(c);
    return out;
}

/* http_exchange_peer is the address the connection was accepted from: a
 * client bound to 127.0.0.2 is seen as that, IPv6 without brackets, and a
 * v4 client of a dual-stack "::" listener as plain IPv4. */
static void test_net_peer_is_the_accepted_address(void)
{
    char got[64];
    net_server *s = start(1);
    CHECK(strcmp(peer_seen(s, AF_INET, NULL, got, sizeof got), "127.0.0.1") == 0);
    CHECK(strcmp(peer_seen(s, AF_INET, "127.0.0.2", got, sizeof got), "127.0.0.2") == 0);
    net_server_stop(s, 1000);
    s = start_opts("::", 1, 0, 5000, 5000);
    if (!CHECK(s != NULL))
        return;
    CHECK(strcmp(peer_seen(s, AF_INET6, NULL, got, sizeof got), "::1") == 0);
    CHECK(strcmp(peer_seen(s, AF_INET, NULL, got, sizeof got), "127.0.0.1") == 0);
    net_server_stop(s, 1000);
}

static void test_net_bad_options_and_port_in_use(void)
{
    net_server *s = (net_server *)&s, *t = NULL;
    net_opts o = {.host = "example.com", .handler = test_handler};
    CHECK_EQ(net_server_start(&o, &s), CF_EINVAL);
    CHECK(s == NULL);
    o.host = "127.0.0.1";
    o.handler = NULL;
    CHECK_EQ(net_server_start(&o, &s), CF_EINVAL);
    o.handler = test_handler;
    o.workers = -1;
    CHECK_EQ(net_server_start(&o, &s), CF_EINVAL);
    o.workers = 1;
    CHECK_EQ(net_server_start(&o, &s), 0);
    o.port = net_server_port(s);
    CHECK_EQ(net_server_start(&o, &t), CF_EEXIST);
    CHECK(t == NULL);
    net_server_stop(s, 1000);
    net_server_stop(NULL, 0);
}

static const test_case cases[] = {
    TEST(test_net_one_request_exact_body),
    TEST(test_net_keepalive_100_requests_on_one_connection),
    TEST(test_net_two_pipelined_requests_in_one_write),
    TEST(test_net_50_concurrent_connections_all_served),
    TEST(test_net_10mib_body_streamed_crc32c),
    TEST(test_net_8mib_response_to_slow_reader),
    TEST(test_net_stalled_reader_gets_eagain_after_io_timeout),
    TEST(test_net_idle_timeout_closes_silent_connection),
    TEST(test_net_trickled_head_is_closed_at_idle_timeout),
    TEST(test_net_requests_keep_connection_past_idle_timeout),
    TEST(test_net_half_head_stall_does_not_block_one_worker),
    TEST(test_net_busy_worker_does_not_delay_new_connection),
    TEST(test_net_keepalive_connection_not_stuck_behind_slow_client),
    TEST(test_net_pool_grows_past_slow_clients),
    TEST(test_net_trickled_body_cut_by_rate_floor),
    TEST(test_net_sendfile_sends_exact_file_range),
    TEST(test_net_max_conns_evicts_oldest_idle_connection),
    TEST(test_net_idle_flood_at_max_conns_then_new_client_served),
    TEST(test_net_early_error_response_survives_unread_body),
    TEST(test_net_half_closed_client_still_gets_response),
    TEST(test_net_stop_drains_inflight_request),
    TEST(test_net_stop_aborts_handler_stuck_on_client),
    TEST(test_net_ipv6_and_localhost_hosts),
    TEST(test_net_peer_is_the_accepted_address),
    TEST(test_net_bad_options_and_port_in_use),
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return test_main(cases, TEST_COUNT(cases));
}
