#!/usr/bin/env bash
# bench/cdc/run.sh -- what the change log costs a writer: 4 KiB PUTs of new
# keys (SigV4, 32 keep-alive connections, durable on acknowledgement) into
# two buckets of one server, one with the change log off and one with it on
# (60 s windows), alternated ROUNDS times in one run; medians of PUT/s and
# p99, and the ratio on/off. Records the table in bench/RESULTS.md under
# "## Change log (bench/cdc/run.sh)" (bench/results.sh).
#
#   bash bench/cdc/run.sh                      # ~1 min on 2 cores
#   ROUNDS=5 SECS=8 bash bench/cdc/run.sh
#   RESULTS=/dev/null bash bench/cdc/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/coffer.sh
ROOT=$(pwd)
RESULTS=${RESULTS:-bench/RESULTS.md}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-5}
CONNS=${CONNS:-32}
T_START=$(date +%s)
log() { printf '[cdc +%ss] %s\n' "$(($(date +%s) - T_START))" "$*" >&2; }

make -s -j2 BUILD=release build/release/coffer
make -s -C bench/s3 >/dev/null
bench_rev
LOAD=$ROOT/build/release/bench/s3load
W=$(mktemp -d /tmp/coffer-cdcbench-XXXXXX)
COFFER_PID=""
trap 'set +e; [ -n "$COFFER_PID" ] && kill "$COFFER_PID" 2>/dev/null; rm -rf "$W"' EXIT
AK=$COFFER_BENCH_ACCESS SK=$COFFER_BENCH_SECRET
head -c 4096 /dev/urandom >"$W/small"

declare -A R P99
run() { # run BUCKET: PUTs of new keys for SECS seconds
    local line
    line=$("$LOAD" -X PUT -a "127.0.0.1:$P" -A "$AK" -S "$SK" -p "/$1/k%08d" -c "$CONNS" -t "$SECS" \
        -f "$W/small" -L "$1")
    R[$1]="${R[$1]:-} $(echo "$line" | sed -E 's/.*ops_s=([0-9.]+).*/\1/')"
    P99[$1]="${P99[$1]:-} $(echo "$line" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/')"
    log "$line"
}
count() { # count: "records objects" of bucket log-on, the records read through the view
    python3 - "$P" "$AK" "$SK" <<'EOF'
import sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%s" % sys.argv[1], aws_access_key_id=sys.argv[2],
                  aws_secret_access_key=sys.argv[3], region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}))
n = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="coffer-cdc", Prefix="log-on/"):
    for w in page.get("Contents", []):
        n += s3.get_object(Bucket="coffer-cdc", Key=w["Key"])["Body"].read().count(b"\n")
keys = sum(page.get("KeyCount", 0) for page in
           s3.get_paginator("list_objects_v2").paginate(Bucket="log-on"))
print(n, keys)
EOF
}
# each round on a fresh data directory (the data grows fast: a stall of a flush or a
# compaction would fall on whichever ran later), the order alternating
for i in $(seq "$ROUNDS"); do
    coffer_start "$W/data$i" "$W/coffer$i.log"
    P=${COFFER_URL##*:}
    for b in log-off log-on; do
        [ "$(coffer_req PUT "/$b")" = 200 ] || { echo "cannot create bucket $b" >&2; exit 1; }
    done
    [ "$(coffer_req PUT '/log-on?cdc=' '{"enabled":true,"window_seconds":60,"retention_seconds":86400}')" = 200 ] ||
        { echo "cannot turn the change log on" >&2; exit 1; }
    "$LOAD" -X PUT -a "127.0.0.1:$P" -A "$AK" -S "$SK" -p "/log-off/warm-%06d" -c "$CONNS" -t 1 \
        -f "$W/small" -L warm >/dev/null
    if [ $((i % 2)) = 1 ]; then
        run log-off
        run log-on
    else
        run log-on
        run log-off
    fi
    records=$(count)
    kill "$COFFER_PID"
    wait "$COFFER_PID" || true
    COFFER_PID=""
    rm -rf "$W/data$i"
done
read -r nrec nkeys <<<"$records"
[ "$nrec" = "$nkeys" ] || { echo "the log has $nrec records for $nkeys objects" >&2; exit 1; }

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
m() { echo "${R[$1]}" | median; }
p() { echo "${P99[$1]}" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
OFF=$(m log-off) ON=$(m log-on)
section=$W/section.md
cat >"$section" <<EOF
## Change log (bench/cdc/run.sh)

\`bash bench/cdc/run.sh\` (coffer $rev, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)).
4 KiB PUTs of new keys, SigV4 (UNSIGNED-PAYLOAD), $CONNS keep-alive connections,
each acknowledged once durable (group commit), ${SECS} s per round, into a
bucket with the change log off and one with it on (60 s windows), both on
one server started on a fresh data directory per round, $ROUNDS rounds
alternating which goes first; medians of PUT/s and of each round's p99. The
last round's log had exactly one record per object written ($nrec), counted
through the view.

| bucket | PUT/s (median) | rounds (PUT/s) | p99 ms (median) | rounds (p99 ms) |
|---|---:|---|---:|---|
| log off | $OFF | ${R[log-off]# } | $(p log-off) | ${P99[log-off]# } |
| log on | $ON | ${R[log-on]# } | $(p log-on) | ${P99[log-on]# } |

on ÷ off: PUT/s $(ratio "$ON" "$OFF"). Goal (issue 15): ≥ 0.9.
EOF
cat "$section"
bash bench/results.sh "$RESULTS" "## Change log (bench/cdc/run.sh)" "$section"
