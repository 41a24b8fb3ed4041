#!/usr/bin/env bash
# run.sh -- the S3 front-end benchmark: coffer side by side, in one run, with
# nginx serving the same bytes from plain files, with Ceph's S3 gateway
# (radosgw, started on loopback by ../shared/peers/peers-up.sh), and with the
# two references of an upload: `openssl speed -evp md5` (the ETag costs one
# MD5 pass) and the disk's write speed (fio). Records the tables in
# bench/RESULTS.md under "## S3 front end (bench/s3/run.sh)", replacing that
# section if present (other sections are left as they are).
#
#   bench/s3/run.sh                        # whole run, ~8 min on 2 cores (+ ~2 min of apt the first time)
#   BENCH_DIR=/mnt/x bench/s3/run.sh       # temp data (coffer, nginx, ceph) elsewhere (default /tmp)
#   BENCH_BIG_MIB=256 bench/s3/run.sh      # smaller "large" objects (smoke run)
#   BENCH_NO_RGW=1 bench/s3/run.sh         # without radosgw
#   RESULTS=/dev/null bench/s3/run.sh      # print only, do not touch RESULTS.md
#
# Cases (the load generator is bench/s3/s3load.c: one keep-alive connection
# per thread, SigV4-presigned requests with UNSIGNED-PAYLOAD for coffer and
# radosgw, plain ones for nginx; GET bodies discarded in the kernel, PUT
# bodies sent with sendfile, so the client takes as little of the 2 cores as
# it can):
#   PUT 1 stream:  one BIG object (default 1 GiB) to each server; coffer's and
#                  radosgw's become the GET source, checked byte-exact (cmp)
#   GET large:     the BIG object and a 64 MiB one, 1, 4, 16 connections,
#                  GET_S seconds each, bytes received in the window
#   small 4 KiB:   PUT (new keys) and GET (1000 keys), 16 connections
#   PUT 4 streams: 4 BIG objects at once (then deleted)
#   RSS:           a fresh coffer, 16 BIG uploads at once; VmHWM of coffer
#                  (and VmRSS sampled every 0.5 s)
# Every case has a time cap (an upload still running at the cap is cut and
# reported as such), so a slow server cannot stretch the run without bound.
# nginx also takes PUTs (WebDAV module: temp file + rename, no fsync, no
# MD5): an upper bound for the transport and a check that the client is not
# the bottleneck.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PEERS=$ROOT/../shared/peers

BENCH_DIR=${BENCH_DIR:-/tmp}
RESULTS=${RESULTS:-bench/RESULTS.md}
BIG_MIB=${BENCH_BIG_MIB:-1024}
NO_RGW=${BENCH_NO_RGW:-0}
GET_S=5      # seconds per GET case
SMALL_S=5    # seconds per small-object case
CAP1_S=90    # time caps on the uploads: generous for 1 GiB at ~100 MB/s, and
CAP4_S=120   # bounding the run if a server is much slower than that
CAP16_S=240
T_START=$(date +%s)
log() { printf '[s3bench +%ss] %s\n' "$(($(date +%s) - T_START))" "$*" >&2; }

# ------------------------------------------------------------------ dependencies and build
bash scripts/deps.sh build
. bench/lib/nginx.sh
need=()
for p in nginx-light fio curl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    log "apt-get install ${need[*]}"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
log "building coffer (make BUILD=release) and s3load"
make BUILD=release build/release/coffer >/dev/null
make -C bench/s3 >/dev/null
# the source the binary was built from (other work may be in progress in the tree)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src 2>/dev/null || rev+=" + uncommitted changes in src/"
COFFER=$ROOT/build/release/coffer
LOAD=$ROOT/build/release/bench/s3load

# ------------------------------------------------------------------ temp dir, ports, cleanup
W=$(mktemp -d "$BENCH_DIR/coffer-s3bench-XXXXXX")
coffer_pid=""
sampler_pid=""
peers_job=""
peers_started=0
cleanup() {
    set +e
    [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
    [ -n "$peers_job" ] && kill "$peers_job" 2>/dev/null
    [ -n "$coffer_pid" ] && kill "$coffer_pid" 2>/dev/null && wait "$coffer_pid" 2>/dev/null
    nginx_stop
    [ "$peers_started" = 1 ] && bash "$PEERS/peers-down.sh" "$W/peers" --wipe >/dev/null 2>&1
    rm -rf "$W"
}
trap cleanup EXIT

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
taken=" "
free_port() { # a port nobody listens on and not handed out before in this run
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        case $taken in *" $p "*) continue ;; esac
        port_busy "$p" || break
    done
    taken+="$p "
    echo "$p"
}
wait_port() { # wait_port PORT SECONDS
    for _ in $(seq $(($2 * 10))); do
        port_busy "$1" && return 0
        sleep 0.1
    done
    return 1
}
COFFER_PORT=$(free_port)
NGINX_PORT=$(free_port)
RGW_PORT=$(free_port)
AK=BENCHS3ACCESSKEY
SK=benchS3SecretKey0123456789abcdefghijklmn
RGW_AK=COFFERPEERRGWACCESS1
RGW_SK=cofferPeerRgwSecretKey0000000000000000001

# radosgw first: it takes about a minute to come up, and nothing is measured
# until it is up (its start-up load would skew the numbers).
rgw_ok=0
rgw_note=""
if [ "$NO_RGW" != 1 ]; then
    log "starting radosgw (peers-up.sh, port $RGW_PORT) in the background"
    peers_started=1
    RGW_PORT=$RGW_PORT MON_V2_PORT=$(free_port) MON_V1_PORT=$(free_port) PEERS_NO_S3RVER=1 \
        RGW_ACCESS_KEY=$RGW_AK RGW_SECRET_KEY=$RGW_SK \
        bash "$PEERS/peers-up.sh" "$W/peers" >"$W/peers.out" 2>&1 &
    peers_job=$!
else
    rgw_note="radosgw not run (BENCH_NO_RGW=1)."
fi

# ------------------------------------------------------------------ data: the same bytes for every server
mkdir -p "$W/www/s"
log "making the objects (${BIG_MIB} MiB, 64 MiB, 4 KiB x 1000) from /dev/urandom"
head -c "$((BIG_MIB << 20))" /dev/urandom >"$W/www/big"
head -c $((64 << 20)) /dev/urandom >"$W/www/mid"
head -c 4096 /dev/urandom >"$W/small"
for i in $(seq 0 999); do cp "$W/small" "$W/www/s/$(printf %06d "$i")"; done

if [ "$NO_RGW" != 1 ]; then
    if wait "$peers_job"; then
        rgw_ok=1
        log "radosgw up on 127.0.0.1:$RGW_PORT"
    else
        rgw_note="radosgw did not come up: $(grep -m1 ERROR "$W/peers.out" || tail -n 1 "$W/peers.out")"
        log "$rgw_note (continuing without it)"
        cp "$W/peers.out" "$BENCH_DIR/coffer-s3bench-peers.out" 2>/dev/null || true
    fi
fi

# ------------------------------------------------------------------ references: MD5 and the disk
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "references: openssl md5, fio"
md5_mbps() { # md5_mbps PROCS -> MB/s of `openssl speed -evp md5` at 16 KiB blocks
    openssl speed -evp md5 -bytes 16384 -seconds 3 -multi "$1" 2>/dev/null |
        awk '$1 == "md5" { v = $NF; sub(/k$/, "", v); printf "%.0f", v / 1000 }'
}
MD5_1=$(md5_mbps 1)
MD5_2=$(md5_mbps 2)
mkdir -p "$W/fio"
fio_mbps() { # fio_mbps ARGS... -> MB/s (10^6) written
    fio --name=w --directory="$W/fio" --rw=write --output-format=terse --terse-version=3 "$@" |
        awk -F';' '{ printf "%.0f", $48 * 1024 / 1e6 }' # terse v3 field 48: write KiB/s
    rm -f "$W/fio"/*
}
DISK_SEQ=$(fio_mbps --bs=1M --size=2G --end_fsync=1)
DISK_SYNC1=$(fio_mbps --bs=128k --size=256M --fdatasync=1 --runtime=10)
DISK_SYNC4=$(fio_mbps --bs=128k --size=64M --fdatasync=1 --runtime=10 --numjobs=4 --group_reporting)

# ------------------------------------------------------------------ servers
start_coffer() { # start_coffer NAME: a fresh data dir
    rm -rf "$W/coffer-data"
    mkdir -p "$W/coffer-data"
    COFFER_DATA=$W/coffer-data COFFER_ADDR=127.0.0.1:$COFFER_PORT COFFER_ACCESS_KEY=$AK \
        COFFER_SECRET_KEY=$SK COFFER_LOG=info "$COFFER" serve >"$W/coffer-$1.log" 2>&1 &
    coffer_pid=$!
    wait_port "$COFFER_PORT" 30 || { cat "$W/coffer-$1.log"; exit 1; }
}
stop_coffer() { # stop_coffer NAME: SIGTERM, wait, keep the log's tail
    kill "$coffer_pid"
    local rc=0
    wait "$coffer_pid" || rc=$?
    coffer_pid=""
    echo "coffer $1 exit status $rc" >>"$W/coffer-$1.log"
    cp "$W/coffer-$1.log" "$BENCH_DIR/coffer-s3bench-$1.log"
}
start_coffer main
# WebDAV PUT: nginx takes uploads too (see the top comment)
nginx_start "$W/nginx" "$W/www" "$NGINX_PORT" "" \
    "dav_methods PUT DELETE; create_full_put_path on;"

# ------------------------------------------------------------------ load helpers
declare -A R # label -> s3load result line
: >"$W/raw.txt"
HZ=$(getconf CLK_TCK)
# srv_pids SERVER: the processes that do a server's work (radosgw: the gateway and the OSD)
srv_pids() {
    case $1 in
        coffer) echo "$coffer_pid" ;;
        nginx) pgrep -P "$NGINX_PID" ;;
        rgw) cat "$W/peers/pids/radosgw.pid" "$W/peers/pids/ceph-osd.pid" 2>/dev/null ;;
    esac
}
# cpu_ticks PID...: user + system clock ticks used so far by these processes
cpu_ticks() {
    local p
    for p in "$@"; do
        sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || true # fields after "pid (comm) "
    done | awk '{ t += $12 + $13 } END { print t + 0 }'
}
# load SERVER LABEL S3LOAD-ARGS...: one s3load run against SERVER (coffer|rgw|nginx)
load() {
    local srv=$1 label=$2 line
    shift 2
    local auth=()
    case $srv in
        coffer) auth=(-a "127.0.0.1:$COFFER_PORT" -A "$AK" -S "$SK") ;;
        rgw) auth=(-a "127.0.0.1:$RGW_PORT" -A "$RGW_AK" -S "$RGW_SK") ;;
        nginx) auth=(-a "127.0.0.1:$NGINX_PORT") ;;
    esac
    if [ "$srv" = rgw ] && [ "$rgw_ok" != 1 ]; then
        return 0
    fi
    local pids t0 t1
    pids=$(srv_pids "$srv")
    # shellcheck disable=SC2086 # one word per pid
    t0=$(cpu_ticks $pids)
    line=$("$LOAD" "${auth[@]}" -L "$srv/$label" "$@" 2>>"$W/load-errors.txt") || true
    # shellcheck disable=SC2086
    t1=$(cpu_ticks $pids)
    if [ -n "$line" ]; then # the server's CPU over the case, % of one core
        line+=$(echo "$line" | tr ' ' '\n' | awk -F= -v t="$((t1 - t0))" -v hz="$HZ" \
            '$1 == "secs" && $2 > 0 { printf " server_cpu=%.0f%%", 100 * t / hz / $2 }')
    else
        line="$srv/$label failed"
    fi
    R[$srv/$label]=$line
    echo "$line" >>"$W/raw.txt"
    log "$line"
}
# f LABEL FIELD: a field of a result, "-" if the case did not run or failed
f() {
    local v
    v=$(echo "${R[$1]:-}" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }')
    echo "${v:--}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
url() { # url SERVER PATH: a presigned GET URL
    if [ "$1" = coffer ]; then
        "$LOAD" -u -a "127.0.0.1:$COFFER_PORT" -A "$AK" -S "$SK" -p "$2"
    else
        "$LOAD" -u -a "127.0.0.1:$RGW_PORT" -A "$RGW_AK" -S "$RGW_SK" -p "$2"
    fi
}
check() { # check SERVER PATH FILE: the object reads back byte-exact
    if curl -sf "$(url "$1" "$2")" | cmp -s - "$3"; then
        echo "$1 $2 byte-exact" >>"$W/checks.txt"
    else
        echo "$1 $2 MISMATCH OR FAILED" >>"$W/checks.txt"
        log "$1 $2: read-back differs from the bytes put"
    fi
}
servers=(coffer)
[ "$rgw_ok" = 1 ] && servers+=(rgw)

# ------------------------------------------------------------------ PUT, 1 stream; the GET sources
log "PUT ${BIG_MIB} MiB, 1 stream"
for s in "${servers[@]}"; do load "$s" mkbucket -X PUT -p /bench -n 1; done
for s in "${servers[@]}" nginx; do
    load "$s" put1 -X PUT -p /bench/big -f "$W/www/big" -n 1 -t "$CAP1_S"
done
for s in "${servers[@]}"; do
    load "$s" putmid -X PUT -p /bench/mid -f "$W/www/mid" -n 1 -t "$CAP1_S"
    check "$s" /bench/big "$W/www/big"
    check "$s" /bench/mid "$W/www/mid"
done
rm -rf "$W/www/bench" # nginx's PUT copy; nginx serves /big and /mid

# ------------------------------------------------------------------ GET, large
log "GET large: ${BIG_MIB} MiB and 64 MiB, 1/4/16 connections, ${GET_S} s each"
for obj in big mid; do
    for c in 1 4 16; do
        load nginx "get-$obj-$c" -p "/$obj" -c "$c" -t "$GET_S"
        for s in "${servers[@]}"; do load "$s" "get-$obj-$c" -p "/bench/$obj" -c "$c" -t "$GET_S"; done
    done
done
curl_nginx=$(curl -s -o /dev/null -m 60 -w '%{speed_download}' "http://127.0.0.1:$NGINX_PORT/big" |
    awk '{ printf "%.0f", $1 / 1e6 }')
curl_coffer=$(curl -s -o /dev/null -m 60 -w '%{speed_download}' "$(url coffer /bench/big)" |
    awk '{ printf "%.0f", $1 / 1e6 }')

# ------------------------------------------------------------------ small objects
log "small 4 KiB objects, 16 connections, ${SMALL_S} s each"
for s in "${servers[@]}"; do load "$s" fill4k -X PUT -p /bench/s/%06d -f "$W/small" -n 1000 -c 16 -t 60; done
for s in "${servers[@]}" nginx; do
    load "$s" put4k -X PUT -p /bench/sp/%08d -f "$W/small" -c 16 -t "$SMALL_S"
done
rm -rf "$W/www/bench"
load nginx get4k -p /s/%06d -k 1000 -c 16 -t "$SMALL_S"
for s in "${servers[@]}"; do load "$s" get4k -p /bench/s/%06d -k 1000 -c 16 -t "$SMALL_S"; done

# ------------------------------------------------------------------ PUT, 4 streams
log "PUT ${BIG_MIB} MiB, 4 streams"
for s in "${servers[@]}" nginx; do
    load "$s" put4 -X PUT -p /bench/p4-%d -f "$W/www/big" -n 4 -c 4 -t "$CAP4_S"
done
for s in "${servers[@]}"; do load "$s" del4 -X DELETE -p /bench/p4-%d -n 4 -c 1 -t 60; done
rm -rf "$W/www/bench"
df_after_main=$(df -h "$W" | awk 'NR == 2 { print $4 " free" }')
du_main=$(du -sh "$W/coffer-data" | cut -f1)
stop_coffer main

# ------------------------------------------------------------------ RSS: 16 uploads at once
log "RSS: a fresh coffer, 16 x ${BIG_MIB} MiB uploads at once (cap ${CAP16_S} s)"
start_coffer rss
load coffer mkbucket16 -X PUT -p /bench -n 1
rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$coffer_pid/status")
(while [ -r "/proc/$coffer_pid/status" ]; do
    awk '/VmRSS/ { print $2 }' "/proc/$coffer_pid/status" 2>/dev/null
    sleep 0.5
done) >"$W/rss.txt" &
sampler_pid=$!
load coffer put16 -X PUT -p /bench/p16-%d -f "$W/www/big" -n 16 -c 16 -t "$CAP16_S"
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$coffer_pid/status")
rss_end=$(awk '/VmRSS/ { print $2 }' "/proc/$coffer_pid/status")
kill "$sampler_pid"
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""
rss_max=$(sort -n "$W/rss.txt" | tail -n 1)
rss_n=$(wc -l <"$W/rss.txt")
du_rss=$(du -sh "$W/coffer-data" | cut -f1)
rgw_mem=""
if [ "$rgw_ok" = 1 ]; then
    for p in radosgw ceph-osd; do
        pid=$(cat "$W/peers/pids/$p.pid" 2>/dev/null || true)
        [ -n "$pid" ] && rgw_mem+="$p VmHWM $(awk '/VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$pid/status"); "
    done
fi
stop_coffer rss
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------ tables
mb() { f "$1" MBps; }
get_table="| object | connections | nginx MB/s | coffer MB/s | radosgw MB/s | coffer/nginx | coffer/radosgw | server CPU % nginx / coffer / radosgw |
|---|---|---|---|---|---|---|---|"
for obj in big mid; do
    name="$BIG_MIB MiB"
    [ "$obj" = mid ] && name="64 MiB"
    for c in 1 4 16; do
        n=$(mb "nginx/get-$obj-$c")
        co=$(mb "coffer/get-$obj-$c")
        rg=$(mb "rgw/get-$obj-$c")
        cpus="$(f "nginx/get-$obj-$c" server_cpu) / $(f "coffer/get-$obj-$c" server_cpu) / $(f "rgw/get-$obj-$c" server_cpu)"
        get_table+=$'\n'"| $name | $c | $n | $co | $rg | $(ratio "$co" "$n") | $(ratio "$co" "$rg") | $cpus |"
    done
done
put_row() { # put_row LABEL STREAMS MD5_REF
    local co rg ng n_done
    co=$(mb "coffer/$1")
    rg=$(mb "rgw/$1")
    ng=$(mb "nginx/$1")
    n_done="$(f "coffer/$1" ops)/$2"
    [ "$(f "coffer/$1" err)" != 0 ] && n_done+=", $(f "coffer/$1" err) failed"
    [ "$(f "coffer/$1" cut)" != 0 ] && n_done+=", $(f "coffer/$1" cut) cut at the cap"
    echo "| $2 x $BIG_MIB MiB | $co | $n_done | $rg | $ng | $3 | $DISK_SEQ | $(ratio "$co" "$rg") | $(ratio "$co" "$3") | $(ratio "$co" "$DISK_SEQ") | $(f "coffer/$1" server_cpu) / $(f "rgw/$1" server_cpu) |"
}
put_table="| uploads at once | coffer MB/s | coffer uploads done | radosgw MB/s | nginx WebDAV MB/s | MD5 MB/s (openssl) | disk seq write MB/s | coffer/radosgw | coffer/md5 | coffer/disk | server CPU % coffer / radosgw |
|---|---|---|---|---|---|---|---|---|---|---|"
put_table+=$'\n'"$(put_row put1 1 "$MD5_1")"
put_table+=$'\n'"$(put_row put4 4 "$MD5_2")"
put_table+=$'\n'"$(put_row put16 16 "$MD5_2")"
small_row() { # small_row OP
    local co rg ng
    co=$(f "coffer/$1" ops_s)
    rg=$(f "rgw/$1" ops_s)
    ng=$(f "nginx/$1" ops_s)
    lat() { [ "$(f "$1" ops_s)" = - ] && echo - || echo "$(f "$1" p50_ms) / $(f "$1" p99_ms)"; }
    echo "| $1 | $co | $(lat "coffer/$1") | $rg | $(lat "rgw/$1") | $ng | $(lat "nginx/$1") | $(ratio "$co" "$ng") | $(ratio "$co" "$rg") | $(f "coffer/$1" server_cpu) / $(f "rgw/$1" server_cpu) / $(f "nginx/$1" server_cpu) |"
}
small_table="| 4 KiB, 16 connections | coffer ops/s | coffer p50 / p99 ms | radosgw ops/s | radosgw p50 / p99 ms | nginx ops/s | nginx p50 / p99 ms | coffer/nginx | coffer/radosgw | server CPU % coffer / radosgw / nginx |
|---|---|---|---|---|---|---|---|---|---|"
small_table+=$'\n'"$(small_row put4k)"
small_table+=$'\n'"$(small_row get4k)"
mem_line="coffer peak RSS (VmHWM) during 16 parallel ${BIG_MIB} MiB uploads: **$((hwm / 1024)) MiB**
(fresh process; VmRSS $((rss0 / 1024)) MiB before, at most $((rss_max / 1024)) MiB over $rss_n samples
0.5 s apart, $((rss_end / 1024)) MiB after; $(f coffer/put16 ops) of 16 uploads done, $(f coffer/put16 err)
failed, $(f coffer/put16 cut) cut at the ${CAP16_S} s cap; $(mb coffer/put16) MB/s; data dir $du_rss).${rgw_mem:+ For scale, at the end of the run: ${rgw_mem%; }.}"

secs=$(($(date +%s) - T_START))
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
fs=$(df -T "$BENCH_DIR" | awk 'NR == 2 { print $2 " on " $1 }')
ngv=$(nginx -v 2>&1 | sed 's/.*nginx\///')
cephv=$(dpkg-query -W -f '${Version}' radosgw 2>/dev/null || echo "not installed")
section=$(
    cat <<EOF
## S3 front end (bench/s3/run.sh)

$(date -u '+%Y-%m-%d %H:%M UTC'); command: \`bench/s3/run.sh\` (BENCH_BIG_MIB=$BIG_MIB, ${secs} s);
coffer $rev; machine: nproc $(nproc), memory $mem, $cpu, $fs ($BENCH_DIR), kernel $(uname -r);
load average $load_start at the start of the measurements, $load_end at the end (the host
is shared: other processes ran during the run); nginx $ngv (nginx-light, 2 workers, sendfile);
radosgw $cephv (Debian; 1 mon, 1 mgr, 1 BlueStore OSD on a sparse file, started by
../shared/peers/peers-up.sh on loopback in the same run).${rgw_note:+ $rgw_note}

All servers on 127.0.0.1, same bytes (random, from /dev/urandom). Client: bench/s3/s3load.c,
one keep-alive connection per thread; SigV4-presigned requests with UNSIGNED-PAYLOAD for
coffer and radosgw (the server computes MD5 for the ETag, no SHA-256), plain requests for
nginx; GET bodies are discarded in the kernel (recv MSG_TRUNC), PUT bodies go with sendfile
from the page cache, so the client uses as little of the 2 shared cores as it can. MB/s =
10^6 body bytes per second. GET: ${GET_S} s per case, bytes received in the window (a
${BIG_MIB} MiB GET may be cut by the window). PUT: single PUTs (no multipart), MB/s of
acknowledged uploads over the time until the last one; each PUT case has a cap (${CAP1_S} /
${CAP4_S} / ${CAP16_S} s for 1 / 4 / 16 uploads) and "done" says how many finished. nginx
takes PUTs through its WebDAV module (temp file + rename, no fsync, no MD5): the transport's
ceiling. Read-backs: $(paste -sd, "$W/checks.txt" | sed 's/,/; /g').

Large GET:

$get_table

curl, 1 stream, ${BIG_MIB} MiB to /dev/null (a second client, for scale): nginx $curl_nginx MB/s, coffer $curl_coffer MB/s.

Large PUT (acknowledged = durable for coffer; radosgw acknowledges after its OSD commit):

$put_table

References: \`openssl speed -evp md5 -bytes 16384\`: $MD5_1 MB/s with 1 process, $MD5_2 MB/s
with 2 (\`-multi 2\`). Disk (fio, ext4, one file): sequential 1 MiB writes + one fsync at the
end $DISK_SEQ MB/s; 128 KiB writes each followed by fdatasync $DISK_SYNC1 MB/s with 1 job,
$DISK_SYNC4 MB/s with 4 jobs. coffer/md5 uses 1 process for 1 upload and 2 for 4 and 16;
coffer/disk uses the sequential rate.

Small objects (PUT: new keys; GET: random keys of 1000 put before):

$small_table

$mem_line

coffer's main data dir after the GET/PUT/small cases: $du_main ($df_after_main on the disk).

Raw s3load lines (err = non-2xx answers or transport errors; cut = still running at the cap;
client_cpu = the load generator's CPU, server_cpu = the server's (nginx: its workers; radosgw:
radosgw + ceph-osd), both in % of one core over the case):

\`\`\`
$(cat "$W/raw.txt")
\`\`\`
EOF
)
if [ -s "$W/load-errors.txt" ]; then
    section+=$'\n\n'"First errors reported by s3load (stderr):"$'\n\n```\n'"$(sort -u "$W/load-errors.txt" | head -n 20)"$'\n```'
fi
echo "$section"

printf '%s\n' "$section" >"$W/section.md"
bench/results.sh "$RESULTS" "## S3 front end (bench/s3/run.sh)" "$W/section.md"
log "done in ${secs} s; coffer logs kept in $BENCH_DIR/coffer-s3bench-{main,rss}.log"
