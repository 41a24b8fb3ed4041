#!/usr/bin/env bash
# bench/s3/limits.sh -- issue 16's figures that bench/s3/run.sh does not take, each
# against its reference in the same run. Records the table in bench/RESULTS.md under
# "## Limits (bench/s3/limits.sh)" (bench/results.sh).
#
#   durable 4 KiB PUTs: new keys and overwrites of one key, 32 connections, against the
#       rate one writer gets from the disk writing 4 KiB and fdatasync-ing each (fio);
#   time to first byte: 4 KiB ranged GETs at random offsets of a 100 GiB multipart object
#       of 1600 parts against a 1 MiB object (bench/s3/limits.py; the big object shares
#       one 64 MiB blob through UploadPartCopy, so it needs 64 MiB of disk);
#   memory: RssAnon, RssFile and VmRSS of a fresh server (sampled every 0.1 s) through
#       16 parallel BIG-MiB uploads, then through 16 parallel GETs of them; VmHWM.
#
#   bash bench/s3/limits.sh                  # ~3 min on 2 cores, 16 GiB of disk
#   BIG_MIB=256 SECS=3 bash bench/s3/limits.sh   # a smoke run
#   RESULTS=/dev/null bash bench/s3/limits.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/coffer.sh
RESULTS=${RESULTS:-bench/RESULTS.md}
BIG_MIB=${BIG_MIB:-1024}
SECS=${SECS:-5}
T_START=$(date +%s)
log() { printf '[limits +%ss] %s\n' "$(($(date +%s) - T_START))" "$*" >&2; }
command -v fio >/dev/null || apt-get install -y fio >/dev/null
make -s -j2 BUILD=release build/release/coffer
make -s -C bench/s3 >/dev/null
bench_rev
LOAD=build/release/bench/s3load
W=$(mktemp -d /tmp/coffer-limits-XXXXXX)
COFFER_PID=""
trap 'set +e; [ -n "$COFFER_PID" ] && kill "$COFFER_PID" 2>/dev/null; rm -rf "$W"' EXIT
stop() { kill "$COFFER_PID"; wait "$COFFER_PID" || true; COFFER_PID=""; }
field() { sed -nE "s/.*[ ^]$1=([0-9.]+).*/\1/p" <<<" $2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

log "fio: one writer, 4 KiB writes, fdatasync after each"
mkdir -p "$W/fio"
FIO_IOPS=$(fio --name=sync --directory="$W/fio" --rw=write --bs=4k --size=64M --fdatasync=1 \
    --runtime=10 --output-format=json | python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["jobs"][0]["write"]["iops"])')
rm -rf "$W/fio"
log "fio: $FIO_IOPS writes/s"

coffer_start "$W/data" "$W/coffer.log"
P=${COFFER_URL##*:}
A=(-a "127.0.0.1:$P" -A "$COFFER_BENCH_ACCESS" -S "$COFFER_BENCH_SECRET")
[ "$(coffer_req PUT /lim)" = 200 ]
head -c 4096 /dev/urandom >"$W/small"
"$LOAD" -X PUT "${A[@]}" -p /lim/warm%08d -c 32 -t 1 -f "$W/small" -L warm >/dev/null
NEW=$("$LOAD" -X PUT "${A[@]}" -p /lim/k%08d -c 32 -t "$SECS" -f "$W/small" -L new-keys)
log "$NEW"
SAME=$("$LOAD" -X PUT "${A[@]}" -p /lim/same -c 32 -t "$SECS" -f "$W/small" -L one-key)
log "$SAME"
log "time to first byte: building the 100 GiB object (1600 part copies)"
TTFB=$(python3 bench/s3/limits.py ttfb "$COFFER_URL" lim)
log "$TTFB"
stop

log "memory: 16 uploads of $BIG_MIB MiB at once, then 16 GETs"
head -c $((BIG_MIB << 20)) /dev/urandom >"$W/big"
coffer_start "$W/data2" "$W/coffer2.log"
P=${COFFER_URL##*:}
A=(-a "127.0.0.1:$P" -A "$COFFER_BENCH_ACCESS" -S "$COFFER_BENCH_SECRET")
[ "$(coffer_req PUT /mem)" = 200 ]
python3 bench/s3/limits.py rss "$COFFER_PID" "$W/up-done" >"$W/rss-up" &
sampler=$!
UP=$("$LOAD" -X PUT "${A[@]}" -p /mem/big%02d -c 16 -n 16 -t 900 -f "$W/big" -L up16)
touch "$W/up-done"
wait "$sampler"
log "$UP"
python3 bench/s3/limits.py rss "$COFFER_PID" "$W/down-done" >"$W/rss-down" &
sampler=$!
DOWN=$("$LOAD" -X GET "${A[@]}" -p /mem/big%02d -k 16 -c 16 -n 16 -t 900 -L down16)
touch "$W/down-done"
wait "$sampler"
log "$DOWN"
HWM=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$COFFER_PID/status")
stop
RSS_UP=$(cat "$W/rss-up") RSS_DOWN=$(cat "$W/rss-down")
log "uploads: $RSS_UP; GETs: $RSS_DOWN; VmHWM $HWM MiB"

section=$W/section.md
cat >"$section" <<EOF
## Limits (bench/s3/limits.sh)

\`bash bench/s3/limits.sh\` (coffer $rev, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)).
Issue 16's figures that bench/s3/run.sh does not take, each against its
reference in this run. 4 KiB PUTs: SigV4 presigned, UNSIGNED-PAYLOAD, 32
keep-alive connections, ${SECS} s, each acknowledged once durable; fio: one
writer, 4 KiB writes, \`fdatasync\` after each.

| figure | coffer | reference | ratio | goal |
|---|---:|---:|---:|---|
| durable 4 KiB PUT, new keys, 32 conns (PUT/s; p99 $(field p99_ms "$NEW") ms) | $(field ops_s "$NEW") | fio $FIO_IOPS writes/s | $(ratio "$(field ops_s "$NEW")" "$FIO_IOPS") | ≥ 2 |
| durable 4 KiB PUT, one key overwritten by 32 conns (PUT/s) | $(field ops_s "$SAME") | fio $FIO_IOPS writes/s | $(ratio "$(field ops_s "$SAME")" "$FIO_IOPS") | ≥ 0.5 |
| time to first byte, 4 KiB at random offsets, median (ms) | 100 GiB, 1600 parts: $(field big_median_ms "$TTFB") | 1 MiB object: $(field small_median_ms "$TTFB") | $(field ratio_median "$TTFB") | ≤ 2 |
| the same, p99 (ms) | $(field big_p99_ms "$TTFB") | $(field small_p99_ms "$TTFB") | $(field ratio_p99 "$TTFB") | |
| peak RssAnon (MiB): 16 × $BIG_MIB MiB uploads at once / then 16 GETs at once | $(field RssAnon_mib "$RSS_UP") / $(field RssAnon_mib "$RSS_DOWN") | | | ≤ 128 |
| peak RssFile (MiB): uploads / GETs | $(field RssFile_mib "$RSS_UP") / $(field RssFile_mib "$RSS_DOWN") | | | |
| peak total RSS (MiB): uploads / GETs; VmHWM over both | $(field VmRSS_mib "$RSS_UP") / $(field VmRSS_mib "$RSS_DOWN"); $HWM | | | ≤ 256 |

The 100 GiB object: one 64 MiB object shared by 1600 UploadPartCopy requests
($(field copy_s "$TTFB") s), completed in $(field complete_s "$TTFB") s; 400 timed GETs of each object,
interleaved in 4 rounds, on one kept-alive connection. The 16 uploads took
$(field secs "$UP") s ($(field MBps "$UP") MB/s), the 16 GETs $(field secs "$DOWN") s ($(field MBps "$DOWN") MB/s).
EOF
cat "$section"
bash bench/results.sh "$RESULTS" "## Limits (bench/s3/limits.sh)" "$section"
