#!/usr/bin/env bash
# bench/metrics/run.sh -- what the request metrics cost: 4 KiB GETs
# (presigned, 16 keep-alive connections) against two coffer binaries on the
# same data, alternated ROUNDS times in one run: BEFORE (a build without the
# metrics, e.g. the merge base's) and AFTER (this tree's). Medians of req/s
# and of the server's CPU time per GET (utime + stime of /proc/PID/stat over
# the round: less sensitive than req/s to whatever else runs on a shared
# host), and their ratios; records the table in bench/RESULTS.md under
# "## Request metrics (bench/metrics/run.sh)" (bench/results.sh).
#
#   BEFORE=/tmp/coffer-before bench/metrics/run.sh   # ~1 min on 2 cores
#   ROUNDS=5 SECS=8 BEFORE=... bench/metrics/run.sh
#   RESULTS=/dev/null BEFORE=... bench/metrics/run.sh
#
# Make BEFORE with e.g.: git worktree add /tmp/base BASE && make -C /tmp/base -s -j2 &&
# cp /tmp/base/build/release/coffer /tmp/coffer-before
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/coffer.sh
ROOT=$(pwd)
RESULTS=${RESULTS:-bench/RESULTS.md}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-5}
CONNS=16
BEFORE=${BEFORE:?BEFORE=path of a coffer binary without the metrics}
T_START=$(date +%s)
log() { printf '[metrics +%ss] %s\n' "$(($(date +%s) - T_START))" "$*" >&2; }

make -s -j2 BUILD=release build/release/coffer
make -s -C bench/s3 >/dev/null
bench_rev
AFTER=$ROOT/build/release/coffer
LOAD=$ROOT/build/release/bench/s3load

W=$(mktemp -d /tmp/coffer-metricsbench-XXXXXX)
pid=""
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=""; }
trap 'set +e; stop; rm -rf "$W"' EXIT
P=$(bench_port)
AK=BENCHMETRICSKEY1
SK=benchMetricsSecret0123456789abcdefghij
start() { # start BINARY: serves the one data directory on $P
    COFFER_DATA=$W/data COFFER_ADDR=127.0.0.1:$P COFFER_ACCESS_KEY=$AK COFFER_SECRET_KEY=$SK \
        COFFER_LOG=warn "$1" serve >>"$W/coffer.log" 2>&1 &
    pid=$!
    bench_wait_port "$P"
}
signed=(-a "127.0.0.1:$P" -A "$AK" -S "$SK")

log "data: 1000 objects of 4 KiB"
head -c 4096 /dev/urandom >"$W/small"
start "$AFTER"
[ "$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X PUT "http://127.0.0.1:$P/bench")" = 200 ]
"$LOAD" -X PUT "${signed[@]}" -p /bench/s/%06d -n 1000 -c 8 -f "$W/small" -L fill >/dev/null
stop

declare -A R P99 CPU
TCK=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; } # the server's utime + stime
run() { # run LABEL BINARY: one round of GETs against BINARY
    local line t0 t1 ops us
    start "$2"
    "$LOAD" -X GET "${signed[@]}" -p /bench/s/%06d -k 1000 -c "$CONNS" -t 1 -L warm >/dev/null
    t0=$(ticks)
    line=$("$LOAD" -X GET "${signed[@]}" -p /bench/s/%06d -k 1000 -c "$CONNS" -t "$SECS" -L "$1")
    t1=$(ticks)
    stop
    ops=$(echo "$line" | sed -E 's/.* ops=([0-9]+) .*/\1/')
    us=$(awk -v d="$((t1 - t0))" -v n="$ops" -v hz="$TCK" 'BEGIN { printf "%.2f", d * 1e6 / hz / n }')
    R[$1]="${R[$1]:-} $(echo "$line" | sed -E 's/.*ops_s=([0-9.]+).*/\1/')"
    P99[$1]="${P99[$1]:-} $(echo "$line" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/')"
    CPU[$1]="${CPU[$1]:-} $us"
    log "$line server_cpu_us_per_op=$us"
}
for _ in $(seq "$ROUNDS"); do
    run before "$BEFORE"
    run after "$AFTER"
done
# the scraped counters saw the GETs: one more server, a few GETs, one scrape
start "$AFTER"
"$LOAD" -X GET "${signed[@]}" -p /bench/s/%06d -k 1000 -c 2 -n 100 -L check >/dev/null
got=$(curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://127.0.0.1:$P/_coffer/metrics" |
    sed -nE 's/^coffer_requests_total\{op="GetObject",status="200"\} ([0-9]+)$/\1/p')
stop
[ "$got" = 100 ] || { echo "GetObject 200 counted $got times, not 100" >&2; exit 1; }

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
m() { echo "${R[$1]}" | median; }
p() { echo "${P99[$1]}" | median; }
c() { echo "${CPU[$1]}" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
B=$(m before) A=$(m after) CB=$(c before) CA=$(c after)
section=$W/section.md
cat >"$section" <<EOF
## Request metrics (bench/metrics/run.sh)

\`BEFORE=<build without metrics> bash bench/metrics/run.sh\` (coffer $rev, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)).
4 KiB presigned GETs, $CONNS keep-alive connections, ${SECS} s per round, the
binary without the metrics (before) and with them (after) alternated $ROUNDS
times on the same data directory; medians of req/s, each round's p99 in ms
alongside, and the server's CPU time per GET (its utime + stime over the
round, divided by the GETs answered). After counts every request (relaxed
atomic adds: requests by operation and status, a histogram bucket, the
duration sum, bytes in and out) and reads the monotonic clock at every
request's start and end. This 2-core host is shared with other work.

| binary | req/s (median) | rounds (req/s) | p99 ms (median) | CPU µs/GET (median) | rounds (µs) |
|---|---:|---|---:|---:|---|
| before (no metrics) | $B | ${R[before]# } | $(p before) | $CB | ${CPU[before]# } |
| after (metrics) | $A | ${R[after]# } | $(p after) | $CA | ${CPU[after]# } |

after ÷ before: req/s $(ratio "$A" "$B"), CPU per GET $(ratio "$CA" "$CB").
Goal: req/s at ≥ 0.98× of before, CPU per GET at ≤ 1.02× (within noise).
EOF
cat "$section"
bash bench/results.sh "$RESULTS" "## Request metrics (bench/metrics/run.sh)" "$section"
