/*
 * listener.c -- the listening socket: address parsing, bind, listen, accept.
 *
 * Called by server.c (open, once per server) and loop.c (accept, from every
 * worker; it also gives the client's address as text, what
 * http_exchange_peer reports). The host is a literal (IPv4 "127.0.0.1", IPv6
 * "::1" or "[::1]") or "localhost", which means 127.0.0.1; names are never
 * resolved, so start never waits on DNS and binds exactly where it was
 * told. "::" binds both IPv6 and IPv4 (IPV6_V6ONLY off).
 *
 * Invariants:
 *  (1) the listening socket is non-blocking: a worker woken for a connection
 *      another worker already took gets EAGAIN, not a blocked thread.
 *  (2) every accepted socket is non-blocking, close-on-exec and TCP_NODELAY
 *      (responses are written whole with writev; Nagle would only delay
 *      the last segment of each).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/config.h"
#include "net/internal.h"
#include "util/err.h"
#include "util/log.h"

/* parse_host -- host as a socket address with port; CF_EINVAL if it is not a literal. */
static int parse_host(const char *host, uint16_t port, struct sockaddr_storage *ss,
                      socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    *len = 0;
    if (!host || strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *len = sizeof *v4;
        return 0;
    }
    char lit[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n >= sizeof lit)
        return CF_EINVAL;
    memcpy(lit, host, n);
    lit[n] = '\0';
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, lit, &v6->sin6_addr) != 1)
        return CF_EINVAL;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *len = sizeof *v6;
    return 0;
}

int net_listener_open(const char *host, uint16_t port, int *fd, uint16_t *bound_port)
{
    *fd = -1;
    *bound_port = 0;
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = parse_host(host, port, &ss, &len);
    if (rc < 0)
        return rc;
    int s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return (errno == ENOMEM || errno == ENOBUFS) ? CF_ENOMEM : CF_EIO;
    int one = 1, zero = 0;
    if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        goto fail_errno;
    if (ss.ss_family == AF_INET6 &&
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0)
        goto fail_errno;
    if (bind(s, (struct sockaddr *)&ss, len) != 0) {
        if (errno == EADDRINUSE) {
            rc = CF_EEXIST;
            goto fail;
        }
        if (errno == EADDRNOTAVAIL) {
            rc = CF_EINVAL; /* not an address of this host */
            goto fail;
        }
        goto fail_errno;
    }
    if (listen(s, NET_LISTEN_BACKLOG) != 0)
        goto fail_errno;
    len = sizeof ss;
    if (getsockname(s, (struct sockaddr *)&ss, &len) != 0)
        goto fail_errno;
    if (ss.ss_family == AF_INET)
        *bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else
        *bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    *fd = s;
    return 0;

fail_errno:
    log_error("net: listen on %s:%u: %s", host ? host : "127.0.0.1", port, strerror(errno));
    rc = CF_EIO;
fail:
    close(s);
    return rc;
}

/* peer_text -- the IP address of sa as text into out (NET_PEER_MAX_BYTES):
 * IPv6 without brackets, an IPv4-mapped IPv6 address (a v4 client of a "::"
 * listener) as plain IPv4, so policies see one form per client; "" for
 * another family. */
static void peer_text(const struct sockaddr_storage *ss, char out[NET_PEER_MAX_BYTES])
{
    out[0] = '\0';
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &v4->sin_addr, out, NET_PEER_MAX_BYTES);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
            inet_ntop(AF_INET, v6->sin6_addr.s6_addr + 12, out, NET_PEER_MAX_BYTES);
        else
            inet_ntop(AF_INET6, &v6->sin6_addr, out, NET_PEER_MAX_BYTES);
    }
}

int net_listener_accept(int lfd, int *cfd, char peer[NET_PEER_MAX_BYTES])
{
    *cfd = -1;
    peer[0] = '\0';
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            switch (errno) {
            case EINTR:
            case ECONNABORTED: /* died in the queue: take the next */
            case EPROTO:
            case EPERM: /* refused by a firewall rule */
                continue;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                return CF_ELIMIT;
            default: /* EAGAIN; EINVAL once stop shut the listener down */
                return CF_EAGAIN;
            }
        }
        int one = 1;
        /* invariant (2); a failure here only costs latency */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        peer_text(&ss, peer);
        *cfd = fd;
        return 0;
    }
}
