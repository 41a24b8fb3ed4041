#!/usr/bin/env bash
# run.sh -- the multipart benchmark: what completing an upload costs as the
# part count grows (2 to 10,000 parts; the 2-part time is the reference, so
# the table reads as ratios), and a 100 GiB object assembled from one 64 MiB
# object by UploadPartCopy (blobs shared, no byte copied) on a disk that
# could not hold 100 GiB. Records its section in bench/RESULTS.md under
# "## Multipart (bench/multipart/run.sh)".
#
#   bench/multipart/run.sh                    # ~2 min on 2 cores
#   BENCH_ROUNDS=1 BENCH_BIG_PARTS=160 bench/multipart/run.sh   # smoke run (10 GiB object)
#   RESULTS=/dev/null bench/multipart/run.sh  # print only
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/tmp}
RESULTS=${RESULTS:-bench/RESULTS.md}
bash scripts/deps.sh test >/dev/null
make -j"$(nproc)" >/dev/null
W=$(mktemp -d "$BENCH_DIR/coffer-mpbench-XXXXXX")
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$W"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export COFFER_BENCH_URL=http://127.0.0.1:$port COFFER_BENCH_DATA=$W/data
export COFFER_BENCH_ACCESS=BENCHADMIN0000000001 COFFER_BENCH_SECRET=benchsecret0000000000000000000000000000
COFFER_DATA=$W/data COFFER_ADDR=127.0.0.1:$port COFFER_MIN_PART_SIZE=1 COFFER_LOG=warn \
    COFFER_ACCESS_KEY=$COFFER_BENCH_ACCESS COFFER_SECRET_KEY=$COFFER_BENCH_SECRET \
    build/release/coffer serve >"$W/coffer.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
start=$SECONDS
python3 bench/multipart/mp_bench.py >"$W/tables.md"
secs=$((SECONDS - start))
{
    echo "## Multipart (bench/multipart/run.sh)"
    echo
    echo "Command: \`bench/multipart/run.sh\` ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores," \
        "$(df -T "$BENCH_DIR" | awk 'NR == 2 { print $2 }') under $BENCH_DIR, ${secs} s)." \
        "coffer with COFFER_MIN_PART_SIZE=1; client boto3 on the same host."
    echo
    cat "$W/tables.md"
} >"$W/section.md"
cat "$W/section.md"
bench/results.sh "$RESULTS" "## Multipart (bench/multipart/run.sh)" "$W/section.md"
