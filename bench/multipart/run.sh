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
. bench/lib/coffer.sh
bench_setup mpbench
trap 'kill "$COFFER_PID" 2>/dev/null || true; wait "$COFFER_PID" 2>/dev/null || true; rm -rf "$W"' EXIT
export COFFER_BENCH_DATA=$W/data
coffer_start "$W/data" "$W/coffer.log" COFFER_MIN_PART_SIZE=1
export COFFER_URL
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
