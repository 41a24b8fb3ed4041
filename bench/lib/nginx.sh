#!/usr/bin/env bash
# bench/lib/nginx.sh -- sourced by the benches that measure coffer against nginx serving the
# same bytes from plain files (bench/s3, bench/access, bench/media), so the reference is
# configured one way everywhere: 2 workers (the machine's cores), sendfile, keep-alive without
# a request limit, open_file_cache, no access log unless HTTP_CONF sets one (an `access_log
# off` beside it would turn it off: nginx reads both at one level).
#
#   nginx_start DIR ROOT PORT [HTTP_CONF [LOCATION_CONF]]
#       writes DIR/nginx.conf serving ROOT on 127.0.0.1:PORT (extra lines HTTP_CONF in the
#       http block, LOCATION_CONF in `location /`), starts nginx in the foreground in the
#       background, waits (10 s at most) until it accepts connections, sets NGINX_PID.
#       DIR holds its pid file, error.log, stdout and temp files.
#   nginx_stop  SIGTERM to NGINX_PID and wait; a no-op when it is not running.
nginx_start() {
    local dir=$1 root=$2 port=$3 http_conf=${4:-} location_conf=${5:-}
    mkdir -p "$dir/tmp"
    # nginx drops to "nobody" when started as root; the benches' temp dirs are private to root
    cat >"$dir/nginx.conf" <<EOF
worker_processes 2;
$([ "$(id -u)" = 0 ] && echo "user root;")
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    $([[ $http_conf == *access_log* ]] || echo "access_log off;")
    sendfile on;
    tcp_nopush on;
    keepalive_requests 10000000;
    keepalive_timeout 75s;
    open_file_cache max=4000 inactive=60s;
    client_body_temp_path $dir/tmp;
    client_max_body_size 0;
    $http_conf
    server {
        listen 127.0.0.1:$port;
        root $root;
        location / { $location_conf }
    }
}
EOF
    nginx -c "$dir/nginx.conf" -p "$dir" -g 'daemon off;' >"$dir/stdout" 2>&1 &
    NGINX_PID=$!
    local _
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$dir/stdout" "$dir/error.log" >&2
    return 1
}

nginx_stop() {
    [ -n "${NGINX_PID:-}" ] || return 0
    kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    NGINX_PID=""
    return 0
}
