#!/usr/bin/env bash
# bench/cdc_sink/run.sh -- the change-log sink's lag under a steady PUT load
# (doc/cdc_sink.md, goal: well under 1 s at 500 PUT/s): two coffer servers,
# the source's bucket log forwarded into the target; s3load PUTs 1 KiB
# objects into the source at RATE per second (default 500; 0: as fast as it
# can) for SECS seconds on CONNS connections while
# bench/cdc_sink/sample.py reads lag_seconds from /_coffer/stats every 50 ms.
# Prints the PUT rate, the lag's median, p99 and maximum, and the time from
# the load's end until the target held every record. Nothing is recorded in
# bench/RESULTS.md.
#
#   bench/cdc_sink/run.sh              # ~20 s on 2 cores
#   SECS=20 CONNS=4 RATE=2000 bench/cdc_sink/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/coffer.sh
SECS=${SECS:-10}
CONNS=${CONNS:-2}
RATE=${RATE:-500}
make -s -j2 BUILD=release build/release/coffer
make -s -C bench/s3 >/dev/null
bench_rev
W=$(mktemp -d /tmp/coffer-sinkbench-XXXXXX)
pids=()
trap 'set +e; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$W"' EXIT
coffer_start "$W/dst" "$W/dst.log"
pids+=("$COFFER_PID")
DST=$COFFER_URL
coffer_start "$W/src" "$W/src.log"
pids+=("$COFFER_PID")
SRC=$COFFER_URL
head -c 1024 /dev/urandom >"$W/body"
python3 bench/cdc_sink/sample.py setup "$SRC" "$DST"
python3 bench/cdc_sink/sample.py sample "$SRC" "$DST" "$((SECS + 1))" >"$W/lag" &
sampler=$!
build/release/bench/s3load -X PUT -a "${SRC#http://}" -A "$COFFER_BENCH_ACCESS" \
    -S "$COFFER_BENCH_SECRET" -p /src/o/%08d -c "$CONNS" -t "$SECS" -f "$W/body" -L put \
    $([ "$RATE" != 0 ] && echo "-R $RATE")
wait "$sampler"
cat "$W/lag"
echo "revision: $rev"
