/*
 * s3load.c -- the load generator of bench/s3/run.sh: N keep-alive HTTP/1.1
 * connections, one thread each, sending GET, PUT or DELETE requests for a
 * bounded time and/or count, presigned with SigV4 (query auth,
 * UNSIGNED-PAYLOAD) when keys are given, plain otherwise (nginx).
 *
 *   s3load [-X GET|PUT|DELETE] -a HOST:PORT -p PATH [-k KEYS] [-c CONNS]
 *          [-t SECONDS] [-n COUNT] [-f BODYFILE] [-A ACCESS -S SECRET [-r REGION]]
 *          [-L LABEL] [-R RATE] [-u]
 *
 * PATH is /bucket/key and may hold one printf conversion for an int (e.g.
 * /b/small/%06d): a GET fills it with a random index in [0, KEYS), a PUT or
 * DELETE with its ticket number (0, 1, 2, ... across all connections).
 * -f is the PUT body: up to 1 MiB it is read into memory and sent with
 * send(), larger files go with sendfile() from the page cache. -u prints the
 * presigned URL of PATH (index 0) and exits (for curl). -R paces the
 * requests at RATE per second across all connections (request t starts no
 * earlier than t / RATE seconds into the run: a steady load, not a flood).
 * One result line on
 * stdout:
 *
 *   LABEL ops=N err=N cut=N bytes=N secs=S MBps=X ops_s=Y p50_ms=A p99_ms=B client_cpu=C%
 *
 * cut counts requests still running when the time cap passed (closed, not
 * ops, not err). MBps is 10^6 bytes/s of body bytes; client_cpu is this process's user+sys
 * time over the wall time, in % of one core. The first failed response's
 * status line and body start go to stderr.
 *
 * Invariants:
 *  (1) the client costs as little CPU as it can, because on a 2-core host it
 *      shares the cores with the server it measures: a GET body is discarded
 *      in the kernel (recv MSG_TRUNC, no copy to user space), a large PUT
 *      body goes with sendfile() (no user-space copy), buffers are per
 *      thread and allocated once;
 *  (2) a request counts in ops only if it got a 2xx answer; any other
 *      answer, a reset or a timeout counts in err and the connection is
 *      reopened for the next request;
 *  (3) bytes count body bytes that crossed the socket: a GET cut by the
 *      time cap counts what it received (so a 1 GiB GET gives a rate over a
 *      window shorter than one object); a PUT counts only when answered 2xx;
 *  (4) the time cap is checked before each request and, while one runs, at
 *      least every LOAD_IO_SLICE_MS (socket send and receive timeouts), so a
 *      run ends within a slice of its cap; with no cap, a request that makes
 *      no progress for LOAD_IO_TIMEOUT_S fails, so no run hangs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOAD_MAX_CONNS 256
#define LOAD_BUF_BYTES (64u * 1024)          /* response heads, small bodies */
#define LOAD_DISCARD_BYTES (4u << 20)        /* asked of one MSG_TRUNC recv */
#define LOAD_MEM_BODY_MAX_BYTES (1u << 20)   /* bodies up to this are sent from memory */
/* Bytes asked of one sendfile(): a call that keeps making progress ignores
 * the send timeout, so the time cap is checked between calls of this size. */
#define LOAD_SENDFILE_BYTES (1u << 20)
#define LOAD_IO_SLICE_MS 200                 /* SO_RCVTIMEO/SO_SNDTIMEO: how often the time cap is checked */
/* A request with no progress this long fails. Long, because a server that
 * pins connections to busy threads may leave one unread for minutes. */
#define LOAD_IO_TIMEOUT_S 600.0
#define LOAD_EXPIRES_S 3600

typedef struct load_cfg {
    const char *method;     /* GET, PUT or DELETE */
    char host[64];          /* "127.0.0.1:PORT", also the Host header */
    struct sockaddr_in sa;  /* where to connect */
    const char *path;       /* may hold one %d-style conversion */
    long keys;              /* GET index range */
    int conns;
    double time_cap_s;      /* 0: none */
    uint64_t count_cap;     /* 0: none */
    double rate;            /* requests per second across connections; 0: as fast as answered */
    const char *access, *secret, *region; /* access NULL: plain requests */
    int body_fd;            /* -1: no body */
    uint64_t body_bytes;
    char *body_mem;         /* the body when body_bytes <= LOAD_MEM_BODY_MAX_BYTES */
    /* run time */
    double t0, deadline;    /* monotonic seconds; deadline 0: none */
    atomic_uint_fast64_t next_ticket;
    atomic_int reported;    /* the first error was printed */
} load_cfg;

typedef struct load_worker {
    load_cfg *cfg;
    pthread_t th;
    int fd;                 /* -1: not connected */
    uint64_t rng;
    uint64_t ops, errors, cut, bytes;
    double *lat_ms;         /* one per answered request, grown by doubling */
    size_t n_lat, cap_lat;
    char day[9];            /* the day the signing key is for */
    unsigned char sign_key[32];
    char buf[LOAD_BUF_BYTES];
} load_worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

static void hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out, &n);
}

/* Writes to target the request target of path: presigned (SigV4 query auth,
 * UNSIGNED-PAYLOAD, signed header host) when cfg->access is set, else path. */
static void make_target(load_worker *w, const char *path, char *target, size_t cap)
{
    const load_cfg *c = w->cfg;
    if (!c->access) {
        snprintf(target, cap, "%s", path);
        return;
    }
    char stamp[17], day[9], query[512], creq[1024], sts[256], hash_hex[65], sig_hex[65];
    unsigned char dig[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    memcpy(day, stamp, 8);
    day[8] = 0;
    if (strcmp(day, w->day) != 0) { /* the signing key changes once a day */
        char k0[300];
        unsigned char k1[32], k2[32], k3[32];
        snprintf(k0, sizeof k0, "AWS4%s", c->secret);
        hmac(k0, strlen(k0), day, k1);
        hmac(k1, 32, c->region, k2);
        hmac(k2, 32, "s3", k3);
        hmac(k3, 32, "aws4_request", w->sign_key);
        memcpy(w->day, day, sizeof day);
    }
    snprintf(query, sizeof query,
             "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s%%2F%s%%2F%s%%2Fs3%%2Faws4_request"
             "&X-Amz-Date=%s&X-Amz-Expires=%d&X-Amz-SignedHeaders=host",
             c->access, day, c->region, stamp, LOAD_EXPIRES_S);
    snprintf(creq, sizeof creq, "%s\n%s\n%s\nhost:%s\n\nhost\nUNSIGNED-PAYLOAD", c->method, path,
             query, c->host);
    SHA256((const unsigned char *)creq, strlen(creq), dig);
    hex(dig, 32, hash_hex);
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s", stamp, day,
             c->region, hash_hex);
    hmac(w->sign_key, 32, sts, dig);
    hex(dig, 32, sig_hex);
    snprintf(target, cap, "%s?%s&X-Amz-Signature=%s", path, query, sig_hex);
}

static void disconnect(load_worker *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

static int connect_to(load_worker *w)
{
    int one = 1;
    struct timeval slice = {0, LOAD_IO_SLICE_MS * 1000};
    w->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (w->fd < 0)
        return -1;
    setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &slice, sizeof slice);
    setsockopt(w->fd, SOL_SOCKET, SO_SNDTIMEO, &slice, sizeof slice);
    if (connect(w->fd, (const struct sockaddr *)&w->cfg->sa, sizeof w->cfg->sa) != 0) {
        disconnect(w);
        return -1;
    }
    return 0;
}

static int past_cap(const load_worker *w)
{
    return w->cfg->deadline > 0 && now_s() >= w->cfg->deadline;
}

/* After a send or recv that made no progress (errno set): 0 to try again,
 * -2 when the time cap passed, -1 on an error or the I/O timeout. */
static int retry_or_stop(const load_worker *w, double idle_since)
{
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return -1;
    double t = now_s();
    if (w->cfg->deadline > 0 && t >= w->cfg->deadline)
        return -2;
    return t - idle_since > LOAD_IO_TIMEOUT_S ? -1 : 0;
}

/* 0 when all n bytes are sent, else as retry_or_stop. */
static int send_all(load_worker *w, const char *p, size_t n, int more)
{
    double idle = now_s();
    while (n > 0) {
        ssize_t k = send(w->fd, p, n, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            idle = now_s();
            continue;
        }
        int rc = k == 0 ? -1 : retry_or_stop(w, idle);
        if (rc)
            return rc;
    }
    return 0;
}

/* 0 when the whole body is sent, else as retry_or_stop. */
static int send_body(load_worker *w)
{
    const load_cfg *c = w->cfg;
    if (c->body_mem)
        return send_all(w, c->body_mem, c->body_bytes, 0);
    off_t off = 0;
    double idle = now_s();
    while ((uint64_t)off < c->body_bytes) {
        if (past_cap(w))
            return -2;
        uint64_t left = c->body_bytes - (uint64_t)off;
        ssize_t k = sendfile(w->fd, c->body_fd, &off, left < LOAD_SENDFILE_BYTES ? left : LOAD_SENDFILE_BYTES);
        if (k > 0) {
            idle = now_s();
            continue;
        }
        int rc = k == 0 ? -1 : retry_or_stop(w, idle);
        if (rc)
            return rc;
    }
    return 0;
}

/* recv with the time cap and the I/O timeout: bytes read, 0 at EOF, else as
 * retry_or_stop. */
static ssize_t recv_capped(load_worker *w, void *p, size_t n, int flags, double *idle_since)
{
    for (;;) {
        ssize_t k = recv(w->fd, p, n, flags);
        if (k >= 0)
            return k;
        int rc = retry_or_stop(w, *idle_since);
        if (rc)
            return rc;
    }
}

/* Value of header name in head (NUL-terminated, lines end in CRLF), or NULL. */
static const char *header(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, name, n) == 0 && l[2 + n] == ':') {
            const char *v = l + 3 + n;
            while (*v == ' ')
                v++;
            return v;
        }
    }
    return NULL;
}

static void report_error(load_worker *w, const char *what, const char *detail)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&w->cfg->reported, &expected, 1))
        fprintf(stderr, "s3load: first error: %s: %.300s\n", what, detail);
}

/* One request and its answer. 0: answered 2xx; 1: answered otherwise;
 * -1: transport failure; -2: the time cap cut it. */
static int one_request(load_worker *w, const char *path)
{
    const load_cfg *c = w->cfg;
    char target[1024], head[1400];
    make_target(w, path, target, sizeof target);
    int hn = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: %s\r\n", c->method, target,
                      c->host);
    if (c->body_fd >= 0 || strcmp(c->method, "PUT") == 0)
        hn += snprintf(head + hn, sizeof head - (size_t)hn, "Content-Length: %llu\r\n",
                       (unsigned long long)c->body_bytes);
    hn += snprintf(head + hn, sizeof head - (size_t)hn, "\r\n");
    if (w->fd < 0 && connect_to(w) != 0)
        return -1;
    int src = send_all(w, head, (size_t)hn, c->body_bytes > 0);
    if (src == 0 && c->body_bytes > 0)
        src = send_body(w);
    if (src)
        return src;

    /* the head */
    size_t have = 0;
    char *end = NULL;
    double idle = now_s();
    while (!end) {
        if (have == sizeof w->buf - 1)
            return -1;
        ssize_t k = recv_capped(w, w->buf + have, sizeof w->buf - 1 - have, 0, &idle);
        if (k <= 0)
            return k == -2 ? -2 : -1;
        have += (size_t)k;
        w->buf[have] = 0;
        end = strstr(w->buf, "\r\n\r\n");
        idle = now_s();
    }
    *end = 0;
    int status = atoi(w->buf + 9);
    const char *cl = header(w->buf, "content-length");
    const char *conn = header(w->buf, "connection");
    int close_after = conn && strncasecmp(conn, "close", 5) == 0;
    int is_2xx = status >= 200 && status < 300;
    size_t body_have = have - (size_t)(end + 4 - w->buf);
    int to_eof = !cl && strcmp(c->method, "GET") == 0; /* chunked or unframed */
    uint64_t want = cl ? strtoull(cl, NULL, 10) : 0;

    /* the body: a 2xx body is discarded in the kernel; an error body is kept for the report */
    uint64_t got = body_have;
    char *err_body = end + 4;
    while (to_eof || got < want) {
        if (past_cap(w)) {
            if (is_2xx && strcmp(c->method, "GET") == 0)
                w->bytes += got;
            return -2;
        }
        size_t room = sizeof w->buf - 1 - have;
        int keep = !is_2xx && room > 0;
        ssize_t k = keep ? recv_capped(w, w->buf + have, room, 0, &idle)
                         : recv_capped(w, NULL, LOAD_DISCARD_BYTES, MSG_TRUNC, &idle);
        if (k == 0 && to_eof)
            break;
        if (k <= 0) {
            if (is_2xx && strcmp(c->method, "GET") == 0)
                w->bytes += got;
            return k == -2 ? -2 : -1;
        }
        if (keep) {
            have += (size_t)k;
            w->buf[have] = 0;
        }
        got += (uint64_t)k;
        idle = now_s();
    }
    if (to_eof || close_after)
        disconnect(w);
    if (!is_2xx) {
        w->buf[have] = 0;
        char line[600];
        snprintf(line, sizeof line, "%s %s -> %d", c->method, path, status);
        report_error(w, line, err_body);
        return 1;
    }
    w->bytes += strcmp(c->method, "GET") == 0 ? got : c->body_bytes;
    return 0;
}

static void *worker_main(void *arg)
{
    load_worker *w = arg;
    load_cfg *c = w->cfg;
    char path[512];
    for (;;) {
        if (c->deadline > 0 && now_s() >= c->deadline)
            break;
        uint64_t t = atomic_fetch_add(&c->next_ticket, 1);
        if (c->count_cap && t >= c->count_cap)
            break;
        if (c->rate > 0) { /* -R: request t is due at t / rate */
            double wait = c->t0 + (double)t / c->rate - now_s();
            if (wait > 0)
                usleep((useconds_t)(wait * 1e6));
            if (c->deadline > 0 && now_s() >= c->deadline)
                break;
        }
        long idx = (long)t;
        if (strcmp(c->method, "GET") == 0) {
            w->rng = w->rng * 6364136223846793005ull + 1442695040888963407ull;
            idx = (long)((w->rng >> 33) % (uint64_t)c->keys);
        }
        snprintf(path, sizeof path, c->path, idx);
        double t0 = now_s();
        int rc = one_request(w, path);
        if (rc == -2) { /* cut by the time cap: a GET's bytes count, the request does not */
            w->cut++;
            break;
        }
        if (rc != 0) {
            if (rc < 0)
                report_error(w, "transport", strerror(errno));
            w->errors++;
            disconnect(w);
            continue;
        }
        w->ops++;
        if (w->n_lat == w->cap_lat) {
            size_t cap = w->cap_lat ? 2 * w->cap_lat : 4096;
            double *p = realloc(w->lat_ms, cap * sizeof *p);
            if (!p)
                continue;
            w->lat_ms = p;
            w->cap_lat = cap;
        }
        w->lat_ms[w->n_lat++] = (now_s() - t0) * 1000.0;
    }
    disconnect(w);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int parse_addr(load_cfg *c, const char *addr)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= 32 || strlen(addr) >= sizeof c->host)
        return -1;
    char ip[32];
    memcpy(ip, addr, (size_t)(colon - addr));
    ip[colon - addr] = 0;
    c->sa.sin_family = AF_INET;
    c->sa.sin_port = htons((uint16_t)atoi(colon + 1));
    snprintf(c->host, sizeof c->host, "%s", addr);
    return inet_pton(AF_INET, ip, &c->sa.sin_addr) == 1 ? 0 : -1;
}

/* Paths are signed as given, so they must need no URI encoding. */
static int path_ok(const char *p)
{
    if (p[0] != '/')
        return 0;
    for (; *p; p++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_.-~%", *p))
            return 0;
    return 1;
}

static int open_body(load_cfg *c, const char *file)
{
    struct stat st;
    c->body_fd = open(file, O_RDONLY | O_CLOEXEC);
    if (c->body_fd < 0 || fstat(c->body_fd, &st) != 0)
        return -1;
    c->body_bytes = (uint64_t)st.st_size;
    if (c->body_bytes > LOAD_MEM_BODY_MAX_BYTES)
        return 0;
    c->body_mem = malloc(c->body_bytes + 1);
    return c->body_mem && pread(c->body_fd, c->body_mem, c->body_bytes, 0) ==
                              (ssize_t)c->body_bytes ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: s3load [-X GET|PUT|DELETE] -a HOST:PORT -p PATH [-k KEYS] [-c CONNS] "
                    "[-t SECONDS] [-n COUNT] [-f BODYFILE] [-A ACCESS -S SECRET [-r REGION]] "
                    "[-L LABEL] [-R RATE] [-u]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static load_cfg c = {.method = "GET", .keys = 1, .conns = 1, .time_cap_s = 10,
                         .region = "us-east-1", .body_fd = -1};
    const char *addr = NULL, *label = "s3load", *file = NULL;
    int url_only = 0, opt, rc = 1;
    load_worker *ws = NULL;
    while ((opt = getopt(argc, argv, "X:a:p:k:c:t:n:f:A:S:r:L:R:u")) != -1) {
        switch (opt) {
        case 'X': c.method = optarg; break;
        case 'a': addr = optarg; break;
        case 'p': c.path = optarg; break;
        case 'k': c.keys = atol(optarg); break;
        case 'c': c.conns = atoi(optarg); break;
        case 't': c.time_cap_s = atof(optarg); break;
        case 'n': c.count_cap = strtoull(optarg, NULL, 10); break;
        case 'f': file = optarg; break;
        case 'A': c.access = optarg; break;
        case 'S': c.secret = optarg; break;
        case 'r': c.region = optarg; break;
        case 'L': label = optarg; break;
        case 'R': c.rate = atof(optarg); break;
        case 'u': url_only = 1; break;
        default: usage();
        }
    }
    if (!addr || !c.path || !path_ok(c.path) || c.keys < 1 || c.conns < 1 ||
        c.conns > LOAD_MAX_CONNS || (c.access && !c.secret) || parse_addr(&c, addr) != 0 ||
        (c.time_cap_s <= 0 && c.count_cap == 0))
        usage();
    if (file && open_body(&c, file) != 0) {
        fprintf(stderr, "s3load: cannot read %s\n", file);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    ws = calloc((size_t)c.conns, sizeof *ws);
    if (!ws)
        goto out;
    if (url_only) {
        char path[512], target[1024];
        ws[0].cfg = &c;
        snprintf(path, sizeof path, c.path, 0L);
        make_target(&ws[0], path, target, sizeof target);
        printf("http://%s%s\n", c.host, target);
        rc = 0;
        goto out;
    }
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    c.t0 = now_s();
    c.deadline = c.time_cap_s > 0 ? c.t0 + c.time_cap_s : 0;
    int started = 0;
    for (; started < c.conns; started++) {
        ws[started] = (load_worker){.cfg = &c, .fd = -1, .rng = 0x9e3779b97f4a7c15ull * (started + 1)};
        if (pthread_create(&ws[started].th, NULL, worker_main, &ws[started]) != 0)
            break;
    }
    uint64_t ops = 0, errors = 0, cut = 0, bytes = 0;
    size_t n_lat = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(ws[i].th, NULL);
        ops += ws[i].ops;
        errors += ws[i].errors;
        cut += ws[i].cut;
        bytes += ws[i].bytes;
        n_lat += ws[i].n_lat;
    }
    double secs = now_s() - c.t0;
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec -
                          ru0.ru_stime.tv_sec) +
                 (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec -
                  ru0.ru_stime.tv_usec) / 1e6;
    double *lat = malloc((n_lat ? n_lat : 1) * sizeof *lat);
    if (!lat)
        goto out;
    size_t k = 0;
    for (int i = 0; i < started; i++)
        for (size_t j = 0; j < ws[i].n_lat; j++)
            lat[k++] = ws[i].lat_ms[j];
    qsort(lat, n_lat, sizeof *lat, cmp_double);
    double p50 = n_lat ? lat[n_lat / 2] : 0, p99 = n_lat ? lat[(n_lat * 99) / 100] : 0;
    free(lat);
    printf("%s ops=%llu err=%llu cut=%llu bytes=%llu secs=%.2f MBps=%.1f ops_s=%.0f p50_ms=%.2f "
           "p99_ms=%.2f client_cpu=%.0f%%\n",
           label, (unsigned long long)ops, (unsigned long long)errors, (unsigned long long)cut,
           (unsigned long long)bytes,
           secs, bytes / secs / 1e6, ops / secs, p50, p99, 100.0 * cpu / secs);
    rc = started == c.conns && errors == 0 ? 0 : 1;
out:
    for (int i = 0; ws && i < c.conns; i++)
        free(ws[i].lat_ms);
    free(ws);
    free(c.body_mem);
    if (c.body_fd >= 0)
        close(c.body_fd);
    return rc;
}
