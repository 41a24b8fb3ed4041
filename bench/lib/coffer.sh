#!/usr/bin/env bash
# bench/lib/coffer.sh -- sourced by the benches (from the repository root):
#   bench_setup NAME  installs the dependencies, builds, and makes the work
#                     directory W=$BENCH_DIR/coffer-NAME-XXXXXX (BENCH_DIR:
#                     /tmp; RESULTS: bench/RESULTS.md unless set)
#   coffer_start DATA_DIR LOG [VAR=VALUE...]  starts build/release/coffer on a
#                     free loopback port with the bench's admin credentials
#                     (COFFER_BENCH_ACCESS / _SECRET, exported here), waits
#                     until it accepts connections, sets COFFER_PID, COFFER_URL.
#   coffer_req METHOD PATH [BODY]  a SigV4-signed request (curl) to $COFFER_URL with
#                     the bench's credentials; prints the HTTP status
#   bench_port        prints a free loopback port
#   bench_wait_port PORT  waits (10 s at most) until PORT accepts connections
#   bench_rev         sets rev: the commit measured, and whether src/ differs from it
export COFFER_BENCH_ACCESS=BENCHADMIN0000000001 COFFER_BENCH_SECRET=benchsecret0000000000000000000000000000
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bench_setup() {
    BENCH_DIR=${BENCH_DIR:-/tmp}
    RESULTS=${RESULTS:-bench/RESULTS.md}
    bash scripts/deps.sh test >/dev/null
    make -j"$(nproc)" >/dev/null
    W=$(mktemp -d "$BENCH_DIR/coffer-$1-XXXXXX")
}

bench_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bench_wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

bench_rev() {
    rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    git diff --quiet HEAD -- src 2>/dev/null || rev+=" + uncommitted changes in src/"
}

coffer_start() {
    local data=$1 log=$2 port
    shift 2
    port=$(bench_port)
    env COFFER_DATA="$data" COFFER_ADDR=127.0.0.1:$port COFFER_LOG=warn \
        COFFER_ACCESS_KEY=$COFFER_BENCH_ACCESS COFFER_SECRET_KEY=$COFFER_BENCH_SECRET "$@" \
        build/release/coffer serve >"$log" 2>&1 &
    COFFER_PID=$!
    COFFER_URL=http://127.0.0.1:$port
    bench_wait_port "$port" && return 0
    echo "coffer did not start (log: $log)" >&2
    return 1
}

coffer_req() {
    curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
        --user "$COFFER_BENCH_ACCESS:$COFFER_BENCH_SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        -X "$1" ${3:+--data-binary "$3"} "$COFFER_URL$2"
}
