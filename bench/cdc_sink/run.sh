#!/usr/bin/env bash
# bench/cdc_sink/run.sh -- the change-log sink's lag under a steady PUT load
# (doc/cdc_sink.md, goal: well under 1 s at 500 PUT/s): two coffer servers,
# the source's bucket log forwarded into the target; s3load PUTs 1 KiB
# objects into the source at RATE per second (default 500; 0: as fast as it
# can) for SECS seconds on CONNS connections while
# bench/cdc_sink/sample.py reads lag_seconds from /_coffer/stats and fetches
# what reached the target every ~50 ms. Records under "## Change log sink
# (bench/cdc_sink/run.sh)" in bench/RESULTS.md (bench/results.sh): the PUT
# rate, each record's end-to-end lag (seen at the target minus committed at
# the source) and the sink's own lag_seconds, median, p99 and maximum.
#
#   bench/cdc_sink/run.sh              # ~20 s on 2 cores
#   SECS=20 CONNS=4 RATE=2000 bench/cdc_sink/run.sh
#   RESULTS=/dev/null bench/cdc_sink/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/coffer.sh
RESULTS=${RESULTS:-bench/RESULTS.md}
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
put=$(build/release/bench/s3load -X PUT -a "${SRC#http://}" -A "$COFFER_BENCH_ACCESS" \
    -S "$COFFER_BENCH_SECRET" -p /src/o/%08d -c "$CONNS" -t "$SECS" -f "$W/body" -L put \
    $([ "$RATE" != 0 ] && echo "-R $RATE"))
wait "$sampler"
echo "$put"
lag=$(cat "$W/lag")
echo "$lag"
f() { sed -nE "s/.* $1=([0-9.]+).*/\1/p" <<<" $2 "; }
section=$W/section.md
cat >"$section" <<EOF
## Change log sink (bench/cdc_sink/run.sh)

\`RATE=$RATE SECS=$SECS CONNS=$CONNS bash bench/cdc_sink/run.sh\` (coffer $rev, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)).
Two coffer servers on this host; 1 KiB PUTs into the source's bucket (change
log on, 60 s windows, a sink into the target) paced at $RATE/s on $CONNS
connections for ${SECS} s. End-to-end lag: each record's arrival at the
target (seen by a reader polling the target every ~50 ms, so up to that
period is the reader's, not the sink's) minus its commit time at the
source. lag_seconds: the sink's own figure in /_coffer/stats, sampled at
the same period.

| PUT/s achieved | records | end-to-end lag median / p99 / max (s) | lag_seconds median / p99 / max (s) | caught up after the load (s) | sink errors |
|---:|---:|---|---|---:|---:|
| $(f ops_s "$put") | $(f records "$lag") | $(f e2e_median "$lag") / $(f e2e_p99 "$lag") / $(f e2e_max "$lag") | $(f lag_median "$lag") / $(f lag_p99 "$lag") / $(f lag_max "$lag") | $(f caught_up_s "$lag") | $(f errors "$lag") |

Goal (issue 15): p99 ≤ 1 s under a steady 500 PUT/s.
EOF
cat "$section"
bash bench/results.sh "$RESULTS" "## Change log sink (bench/cdc_sink/run.sh)" "$section"

