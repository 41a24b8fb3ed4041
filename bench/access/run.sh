#!/usr/bin/env bash
# bench/access/run.sh -- what authorization costs, side by side in one run:
#   - 4 KiB GETs (presigned, 16 connections) from a bucket with no policy and
#     from the same bucket with a 20-statement policy that the evaluator must
#     walk on every request (principals, prefixes, conditions on the source
#     address and the user agent), alternated ROUNDS times, medians reported;
#   - anonymous 4 KiB GETs of objects a public policy opens, against nginx
#     serving the same bytes from plain files to the same load generator.
# Records the table in bench/RESULTS.md under "## Access control
# (bench/access/run.sh)" (bench/results.sh).
#
#   bench/access/run.sh                 # ~2 min on 2 cores
#   ROUNDS=5 SECS=8 bench/access/run.sh # longer
#   RESULTS=/dev/null bench/access/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
RESULTS=${RESULTS:-bench/RESULTS.md}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-5}
CONNS=16
T_START=$(date +%s)
log() { printf '[access +%ss] %s\n' "$(($(date +%s) - T_START))" "$*" >&2; }

bash scripts/deps.sh build
. bench/lib/nginx.sh
. bench/lib/coffer.sh
if ! command -v nginx >/dev/null; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
make -s BUILD=release build/release/coffer
make -s -C bench/s3 >/dev/null
bench_rev
COFFER=$ROOT/build/release/coffer
LOAD=$ROOT/build/release/bench/s3load

W=$(mktemp -d /tmp/coffer-accessbench-XXXXXX)
coffer_pid=""
cleanup() {
    set +e
    [ -n "$coffer_pid" ] && kill "$coffer_pid" 2>/dev/null && wait "$coffer_pid" 2>/dev/null
    nginx_stop
    rm -rf "$W"
}
trap cleanup EXIT
CP=$(bench_port)
NP=$(bench_port)
AK=BENCHACCESSKEY01
SK=benchAccessSecret0123456789abcdefghijkl

log "data: 1000 objects of 4 KiB"
head -c 4096 /dev/urandom >"$W/small"
mkdir -p "$W/www/bench/s"
for i in $(seq 0 999); do cp "$W/small" "$W/www/bench/s/$(printf %06d "$i")"; done
COFFER_DATA=$W/data COFFER_ADDR=127.0.0.1:$CP COFFER_ACCESS_KEY=$AK COFFER_SECRET_KEY=$SK \
    COFFER_LOG=warn "$COFFER" serve >"$W/coffer.log" 2>&1 &
coffer_pid=$!
bench_wait_port "$CP"
nginx_start "$W/nginx" "$W/www" "$NP"

s3() { # s3 METHOD PATH [BODY-FILE]: one signed request with curl (7.88 signs "?policy" only as "?policy=")
    local args=(-s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK"
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X "$1")
    [ $# -ge 3 ] && args+=(--data-binary "@$3")
    curl "${args[@]}" "http://127.0.0.1:$CP$2"
}
[ "$(s3 PUT /bench)" = 200 ]
"$LOAD" -X PUT -a "127.0.0.1:$CP" -A "$AK" -S "$SK" -p /bench/s/%06d -n 1000 -c 8 -f "$W/small" \
    -L fill >/dev/null

# 20 statements: 19 that the admin's presigned GETs walk without matching
# (other users, other prefixes, conditions), one that opens b/s/* to anyone
python3 - "$W/policy.json" <<'PY'
import json, sys
st = []
for i in range(6):
    st.append({"Sid": "user%d" % i, "Effect": "Allow",
               "Principal": {"AWS": "arn:aws:iam::coffer:user/BENCHACCESSKEY01"},
               "Action": ["s3:GetObject", "s3:PutObject"],
               "Resource": "arn:aws:s3:::bench/team%d/*" % i})
for i in range(6):
    st.append({"Sid": "ip%d" % i, "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
               "Resource": "arn:aws:s3:::bench/locked%d/*" % i,
               "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.%d.0.0/16" % i, "192.168.0.0/24"]}}})
for i in range(4):
    st.append({"Sid": "ua%d" % i, "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
               "Resource": "arn:aws:s3:::bench/*",
               "Condition": {"StringLike": {"aws:UserAgent": "*badbot%d*" % i}}})
for i in range(3):
    st.append({"Sid": "list%d" % i, "Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
               "Resource": "arn:aws:s3:::bench",
               "Condition": {"StringEquals": {"s3:prefix": "pub%d/" % i}}})
st.append({"Sid": "public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
           "Resource": "arn:aws:s3:::bench/s/*"})
assert len(st) == 20
json.dump({"Version": "2012-10-17", "Statement": st}, open(sys.argv[1], "w"))
PY

declare -A R
run() { # run LABEL S3LOAD-ARGS...: prints ops/s, keeps the line
    local label=$1
    shift
    local line
    line=$("$LOAD" -X GET -p /bench/s/%06d -k 1000 -c "$CONNS" -t "$SECS" -L "$label" "$@")
    R[$label]="${R[$label]:-} $(echo "$line" | sed -E 's/.*ops_s=([0-9.]+).*/\1/')"
    P[$label]="${P[$label]:-} $(echo "$line" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/')"
    log "$line"
}
declare -A P
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
signed=(-a "127.0.0.1:$CP" -A "$AK" -S "$SK")
for r in $(seq "$ROUNDS"); do
    [ "$(s3 DELETE '/bench?policy=')" = 204 ]
    run nopolicy "${signed[@]}"
    [ "$(s3 PUT '/bench?policy=' "$W/policy.json")" = 204 ]
    run policy20 "${signed[@]}"
    run anon "${signed[@]:0:2}"
    run nginx -a "127.0.0.1:$NP"
done
# the anonymous GETs were answered by the policy: a 200 for each, checked once by hand too
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CP/bench/s/000007")" = 200 ]
cmp <(curl -s "http://127.0.0.1:$CP/bench/s/000007") "$W/small"

m() { echo "${R[$1]}" | median; }
p() { echo "${P[$1]}" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
NOP=$(m nopolicy) POL=$(m policy20) ANON=$(m anon) NGX=$(m nginx)
section=$W/section.md
cat >"$section" <<EOF
## Access control (bench/access/run.sh)

\`bash bench/access/run.sh\` (coffer $rev, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)).
4 KiB GETs, $CONNS keep-alive connections, ${SECS} s per case, the four
cases alternated $ROUNDS times; medians of req/s (each round's p99 in ms
alongside). A 20-statement bucket policy is evaluated on every request
(parsed once, cached by the bucket's policy time); the anonymous GETs are
unsigned and allowed by its public statement. nginx (2 workers, sendfile,
open_file_cache, no access log) serves the same 4 KiB files to the same load
generator. The presigned cases pay for SigV4 (an HMAC chain and a canonical
request per GET); the anonymous and nginx cases carry no signature, so they
are the pair to compare. Rounds vary by about 10% on this shared 2-core
host; the per-round ratios of the two presigned cases are in the raw lines
the script prints.

| case | req/s (median) | rounds (req/s) | p99 ms (median) | ratio |
|---|---:|---|---:|---:|
| presigned GET, no policy | $NOP | ${R[nopolicy]# } | $(p nopolicy) | 1.00 |
| presigned GET, 20-statement policy | $POL | ${R[policy20]# } | $(p policy20) | $(ratio "$POL" "$NOP") of no policy |
| anonymous GET, public by policy | $ANON | ${R[anon]# } | $(p anon) | $(ratio "$ANON" "$NGX") of nginx |
| nginx, same bytes | $NGX | ${R[nginx]# } | $(p nginx) | 1.00 |

Goal: the policy case at ≥ 0.95× of no policy.
EOF
cat "$section"
bash bench/results.sh "$RESULTS" "## Access control (bench/access/run.sh)" "$section"
