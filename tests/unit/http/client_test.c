/*
 * client_test.c -- the response-head parser (http_parse_response, table
 * driven, every prefix of every row) and the blocking client (client.c)
 * against a tiny server thread on 127.0.0.1 that answers each request with
 * canned bytes: Content-Length and chunked bodies, keep-alive reuse, the
 * server's idle close (retried once), Connection: close, a body ended by
 * the close, garbage, a server that never answers (timeout), a refused
 * connection.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "test.h"

/* ---- the parser ---- */

static void test_parse_response_table_and_every_prefix(void)
{
    static const struct {
        const char *in;
        int rc; /* the head's length, or the error */
        int status;
        const char *reason;
        size_t n_headers;
    } rows[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\nhello", 49, 200, "OK", 2},
        {"HTTP/1.0 503 Slow Down\r\n\r\n", 26, 503, "Slow Down", 0},
        {"HTTP/1.1 204 \r\n\r\n", 17, 204, "", 0},
        {"HTTP/1.1 20 OK\r\n\r\n", CF_EINVAL, 0, NULL, 0},
        {"HTTP/2 200 OK\r\n\r\n", CF_EINVAL, 0, NULL, 0},
        {"HTTP/1.1 099 Odd\r\n\r\n", CF_EINVAL, 0, NULL, 0},
        {"HTTP/1.1 200 OK\n\r\n", CF_EINVAL, 0, NULL, 0},
        {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", CF_EINVAL, 0, NULL, 0},
        {"HTTP/1.1 200 OK\r\n folded\r\n\r\n", CF_EINVAL, 0, NULL, 0},
        {"HTTP/1.1 200 OK\r\nA: \x01\r\n\r\n", CF_EINVAL, 0, NULL, 0},
        {"garbage", CF_EINVAL, 0, NULL, 0},
    };
    static http_response resp, part;
    for (size_t i = 0; i < TEST_COUNT(rows); i++) {
        const uint8_t *in = (const uint8_t *)rows[i].in;
        size_t len = strlen(rows[i].in);
        int rc = http_parse_response(in, len, &resp);
        if (!CHECK_EQ(rc, rows[i].rc))
            fprintf(stderr, "  row %zu\n", i);
        if (rc > 0) {
            CHECK_EQ(resp.status, rows[i].status);
            CHECK_MEM(resp.reason.ptr, resp.reason.len, rows[i].reason, strlen(rows[i].reason));
            CHECK_EQ(resp.n_headers, rows[i].n_headers);
        }
        for (size_t k = 0; k < len; k++) { /* parser.c invariant (1) */
            int p = http_parse_response(in, k, &part);
            if (!CHECK(p == CF_EAGAIN || p == rc))
                fprintf(stderr, "  row %zu prefix %zu: %d\n", i, k, p);
        }
    }
    http_parse_response((const uint8_t *)rows[0].in, strlen(rows[0].in), &resp);
    cf_slice v = http_response_header(&resp, "etag");
    CHECK_MEM(v.ptr, v.len, "\"x\"", 3);
    http_framing_kind kind;
    uint64_t n;
    CHECK_EQ(http_response_framing(&resp, &kind, &n), 0);
    CHECK(kind == HTTP_BODY_LENGTH && n == 5);
    http_parse_response((const uint8_t *)rows[1].in, strlen(rows[1].in), &resp);
    CHECK_EQ(http_response_framing(&resp, &kind, &n), 0);
    CHECK(kind == HTTP_BODY_CLOSE);
    http_parse_response((const uint8_t *)rows[2].in, strlen(rows[2].in), &resp);
    CHECK_EQ(http_response_framing(&resp, &kind, &n), 0);
    CHECK(kind == HTTP_BODY_NONE);
}

static void test_parse_response_head_over_limit(void)
{
    size_t len = HTTP_MAX_HEAD_BYTES + 10;
    char *big = malloc(len);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(big + 20, 'a', len - 20);
    http_response *resp = malloc(sizeof *resp);
    CHECK_EQ(http_parse_response((const uint8_t *)big, len, resp), CF_ELIMIT);
    free(resp);
    free(big);
}

/* ---- the client against canned answers ---- */

typedef struct canned {
    const char *reply; /* NULL: never answer (read until the client goes) */
    bool close_after;  /* close the connection after the reply */
} canned;

typedef struct server {
    int lfd;
    uint16_t port;
    pthread_t thread;
    const canned *script;
    size_t n;
    int accepts;
    char last_request[1024]; /* the head of the last request read */
} server;

/* read_request -- one request (head and Content-Length body) from fd; false at EOF or error. */
static bool read_request(server *s, int fd)
{
    static uint8_t buf[65536];
    size_t have = 0;
    http_request *req = malloc(sizeof *req);
    int head = CF_EAGAIN;
    while (head == CF_EAGAIN) {
        ssize_t r = recv(fd, buf + have, sizeof buf - have, 0);
        if (r <= 0)
            break;
        have += (size_t)r;
        head = http_parse_request(buf, have, req);
    }
    http_framing_kind kind;
    uint64_t body = 0;
    bool ok = head > 0 && http_body_framing(req, &kind, &body) == 0;
    free(req);
    if (!ok)
        return false;
    snprintf(s->last_request, sizeof s->last_request, "%.*s", head, (const char *)buf);
    while (have < (size_t)head + body) {
        ssize_t r = recv(fd, buf + have, sizeof buf - have, 0);
        if (r <= 0)
            return false;
        have += (size_t)r;
    }
    return true;
}

static void *serve(void *arg)
{
    server *s = arg;
    int fd = -1;
    for (size_t i = 0; i < s->n; i++) {
        if (fd < 0) {
            fd = accept(s->lfd, NULL, NULL);
            s->accepts++;
        }
        if (!read_request(s, fd)) {
            close(fd);
            fd = -1;
            i--; /* the client went (an idle close it noticed): serve this reply on the next */
            continue;
        }
        const canned *c = &s->script[i];
        if (!c->reply) {
            char b[64];
            while (recv(fd, b, sizeof b, 0) > 0)
                ;
        } else {
            (void)!write(fd, c->reply, strlen(c->reply));
        }
        if (!c->reply || c->close_after) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0) {
        char b[64];
        while (recv(fd, b, sizeof b, 0) > 0) /* until the client closes */
            ;
        close(fd);
    }
    return NULL;
}

static void server_start(server *s, const canned *script, size_t n)
{
    memset(s, 0, sizeof *s);
    s->script = script;
    s->n = n;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    bind(s->lfd, (struct sockaddr *)&a, sizeof a);
    listen(s->lfd, 8);
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, serve, s);
}

static void server_join(server *s)
{
    pthread_join(s->thread, NULL);
    close(s->lfd);
}

static int put(http_client *c, const char *body, http_client_result *res)
{
    http_header h[] = {{slice_str("Host"), slice_str("127.0.0.1")}};
    return http_client_request(c, "PUT", slice_str("/b/k"), h, 1, slice_str(body), res);
}

static void test_client_keep_alive_reuses_one_connection(void)
{
    static const canned script[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst", false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond", false},
    };
    server s;
    server_start(&s, script, 2);
    http_client *c;
    http_client_result res;
    CHECK_EQ(http_client_new("127.0.0.1", s.port, 2000, &c), 0);
    CHECK_EQ(put(c, "hello", &res), 0);
    CHECK_EQ(res.status, 200);
    CHECK_MEM(res.body_head, res.body_head_len, "first", 5);
    CHECK(strstr(s.last_request, "PUT /b/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"));
    CHECK_EQ(put(c, "again", &res), 0);
    CHECK_MEM(res.body_head, res.body_head_len, "second", 6);
    http_client_free(c);
    server_join(&s);
    CHECK_EQ(s.accepts, 1);
}

static void test_client_chunked_error_body_kept(void)
{
    static const canned script[] = {
        {"HTTP/1.1 503 Slow Down\r\nTransfer-Encoding: chunked\r\n\r\n"
         "a\r\n<Error><Co\r\n"
         "17\r\nde>SlowDown</Code></Err\r\n3\r\nor>\r\n0\r\n\r\n",
         false},
        {"HTTP/1.1 204 No Content\r\n\r\n", false},
    };
    server s;
    server_start(&s, script, 2);
    http_client *c;
    http_client_result res;
    http_client_new("127.0.0.1", s.port, 2000, &c);
    CHECK_EQ(put(c, "x", &res), 0);
    CHECK_EQ(res.status, 503);
    static const char want[] = "<Error><Code>SlowDown</Code></Error>";
    CHECK_MEM(res.body_head, res.body_head_len, want, sizeof want - 1);
    CHECK_EQ(put(c, "y", &res), 0); /* the chunked body was read to its end: the same connection */
    CHECK_EQ(res.status, 204);
    http_client_free(c);
    server_join(&s);
    CHECK_EQ(s.accepts, 1);
}

static void test_client_idle_close_is_retried_once(void)
{
    static const canned script[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true}, /* closes without saying so */
        {"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", false},
    };
    server s;
    server_start(&s, script, 2);
    http_client *c;
    http_client_result res;
    http_client_new("127.0.0.1", s.port, 2000, &c);
    CHECK_EQ(put(c, "a", &res), 0);
    usleep(50000); /* the close reaches the client's socket */
    CHECK_EQ(put(c, "b", &res), 0);
    CHECK_EQ(res.status, 201);
    http_client_free(c);
    server_join(&s);
    CHECK_EQ(s.accepts, 2);
}

static void test_client_connection_close_and_body_to_close(void)
{
    static const canned script[] = {
        {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true},
        {"HTTP/1.1 200 OK\r\n\r\nuntil the end", true},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false},
    };
    server s;
    server_start(&s, script, 3);
    http_client *c;
    http_client_result res;
    http_client_new("127.0.0.1", s.port, 2000, &c);
    CHECK_EQ(put(c, "1", &res), 0);
    CHECK_EQ(put(c, "2", &res), 0);
    CHECK_MEM(res.body_head, res.body_head_len, "until the end", 13);
    CHECK_EQ(put(c, "3", &res), 0);
    http_client_free(c);
    server_join(&s);
    CHECK_EQ(s.accepts, 3);
}

static void test_client_garbage_and_bad_framing_are_errors(void)
{
    static const canned script[] = {
        {"HTTP/1.1 2xx OK\r\n\r\n", true},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", true},
        {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", true},
    };
    server s;
    server_start(&s, script, 3);
    http_client *c;
    http_client_result res;
    http_client_new("127.0.0.1", s.port, 2000, &c);
    CHECK_EQ(put(c, "1", &res), CF_EINVAL);
    CHECK_EQ(put(c, "2", &res), CF_EINVAL);
    CHECK_EQ(put(c, "3", &res), CF_EIO); /* the body ended early */
    http_client_free(c);
    server_join(&s);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_client_silent_server_times_out(void)
{
    static const canned script[] = {{NULL, true}};
    server s;
    server_start(&s, script, 1);
    http_client *c;
    http_client_result res;
    http_client_new("127.0.0.1", s.port, 300, &c);
    int64_t t0 = now_ms();
    CHECK_EQ(put(c, "x", &res), CF_EIO);
    int64_t took = now_ms() - t0;
    CHECK(took >= 250 && took < 2000);
    http_client_free(c); /* closes: the server thread's read ends */
    server_join(&s);
}

static void test_client_refused_connection(void)
{
    server s;
    server_start(&s, NULL, 0);
    server_join(&s); /* the port is closed now */
    http_client *c;
    http_client_result res;
    CHECK_EQ(http_client_new("127.0.0.1", s.port, 1000, &c), 0);
    CHECK_EQ(put(c, "x", &res), CF_EIO);
    CHECK_EQ(res.status, 0);
    http_client_free(c);
    char host[300];
    memset(host, 'h', sizeof host - 1);
    host[sizeof host - 1] = '\0';
    CHECK_EQ(http_client_new(host, 80, 1000, &c), CF_EINVAL);
    CHECK(c == NULL);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_parse_response_table_and_every_prefix),
        TEST(test_parse_response_head_over_limit),
        TEST(test_client_keep_alive_reuses_one_connection),
        TEST(test_client_chunked_error_body_kept),
        TEST(test_client_idle_close_is_retried_once),
        TEST(test_client_connection_close_and_body_to_close),
        TEST(test_client_garbage_and_bad_framing_are_errors),
        TEST(test_client_silent_server_times_out),
        TEST(test_client_refused_connection),
    };
    return test_main(cases, TEST_COUNT(cases));
}
