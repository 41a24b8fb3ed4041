#!/usr/bin/env bash
# bench/media/run.sh -- how long a seek in a <video> takes when coffer serves the video, against
# nginx serving the same file from a plain directory (bench/lib/nginx.sh). A 202 MiB H.264 +
# AAC MP4 (720p, 14 Mbit/s, a keyframe every 2 s, faststart) is made once with ffmpeg into
# bench/media/cache/ (not committed; ~15 s). coffer holds it in a public bucket (anonymous GETs,
# as nginx's) and is also asked through a presigned URL; nginx's copy gets coffer's
# Last-Modified, so the browser treats both the same way when it caches.
# bench/media/seek.mjs then, in headless Chromium, loads the metadata and seeks to the same 20
# pseudo-random positions for each server, ROUNDS times, timing currentTime -> 'seeked'; with
# the browser cache off (each seek a request to the server) and on (as a person's browser:
# revalidations and If-Range requests). Then bench/media/ranges.py asks each server for the
# Ranges the seeks began with, without a browser (time to the response head and to the first
# MiB: the server's share of a seek). bench/media/report.py makes the tables: median and p90
# per server, coffer/nginx, the requests per seek and the bytes each server sent for them (from
# coffer's access log and nginx's). Records it in bench/RESULTS.md under "## Media seek
# (bench/media/run.sh)" (bench/results.sh).
#
#   bench/media/run.sh                      # RUNS=3 runs of ROUNDS=2 rounds, ~3 min
#   RUNS=1 ROUNDS=1 RESULTS=/dev/null bench/media/run.sh
#   KEEP=1 bench/media/run.sh               # keep the work dir (logs, each run's JSON)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
ROUNDS=${ROUNDS:-2}
SEEKS=20
. bench/lib/coffer.sh
. bench/lib/nginx.sh
T_START=$(date +%s)
log() { printf '[media +%ss] %s\n' "$(($(date +%s) - T_START))" "$*" >&2; }

bash scripts/deps.sh bench >/dev/null
bench_setup media
. tests/it/lib/npm.sh tests/it/browser
bench_rev

VIDEO=bench/media/cache/seek-720p25-g50-120s-14M.mp4
if [ ! -s "$VIDEO" ]; then
    log "making $VIDEO (once)"
    mkdir -p bench/media/cache
    ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=25 \
        -f lavfi -i sine=frequency=440:sample_rate=44100 -t 120 \
        -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 50 \
        -b:v 14M -minrate 14M -maxrate 14M -bufsize 4M -x264-params nal-hrd=cbr \
        -c:a aac -b:a 128k -movflags +faststart "$VIDEO.tmp.mp4"
    mv "$VIDEO.tmp.mp4" "$VIDEO"
fi

cleanup() {
    set +e
    [ -n "${COFFER_PID:-}" ] && kill "$COFFER_PID" 2>/dev/null && wait "$COFFER_PID" 2>/dev/null
    nginx_stop
    if [ -n "${KEEP:-}" ]; then echo "kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
coffer_start "$W/data" "$W/coffer.log" COFFER_ACCESS_LOG="$W/coffer-access.log"
log "coffer at $COFFER_URL: uploading $VIDEO"
read -r PRESIGNED LAST_MODIFIED < <(python3 - "$COFFER_URL" "$VIDEO" <<'PY'
import json, sys
import boto3
from botocore.config import Config
import benchlib
url, video = sys.argv[1:3]
s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id=benchlib.ACCESS,
                  aws_secret_access_key=benchlib.SECRET, region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
s3.create_bucket(Bucket="media")
s3.upload_file(video, "media", "seek.mp4", ExtraArgs={"ContentType": "video/mp4"})
s3.put_bucket_policy(Bucket="media", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::media/*"}]}))
head = s3.head_object(Bucket="media", Key="seek.mp4")
print(s3.generate_presigned_url("get_object", Params={"Bucket": "media", "Key": "seek.mp4"},
                                ExpiresIn=3600), int(head["LastModified"].timestamp()))
PY
)
mkdir -p "$W/www/media"
ln "$VIDEO" "$W/www/media/seek.mp4" 2>/dev/null || cp "$VIDEO" "$W/www/media/seek.mp4"
touch -d "@$LAST_MODIFIED" "$W/www/media/seek.mp4"
NGINX_PORT=$(bench_port)
# its request id in a header, so the page's requests are found in its log as coffer's are
nginx_start "$W/nginx" "$W/www" "$NGINX_PORT" \
    "log_format seek '\$request_id \$status \"\$http_range\" \$body_bytes_sent \$request_time';
    access_log $W/nginx-access.log seek;" \
    "add_header X-Request-Id \$request_id;"
PAGE_PORT=$(bench_port)

DURATION=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$VIDEO")
CFG=$(python3 - "$DURATION" "$SEEKS" "$ROUNDS" "$COFFER_URL" "$PRESIGNED" "$NGINX_PORT" <<'PY'
import json, random, sys
duration, n, rounds, coffer, presigned, nport = sys.argv[1:7]
rng = random.Random(13)  # the same positions for every server and every run
pos = [round(rng.uniform(1, float(duration) - 5), 3) for _ in range(int(n))]
print(json.dumps({"servers": [
    {"name": "coffer", "url": "%s/media/seek.mp4" % coffer},
    {"name": "coffer-presigned", "url": presigned},
    {"name": "nginx", "url": "http://127.0.0.1:%s/media/seek.mp4" % nport}],
    "positions": pos, "rounds": int(rounds)}))
PY
)
mkdir -p "$W/runs"
for run in $(seq "$RUNS"); do
    for cache in false true; do
        log "run $run, browser cache $cache"
        node bench/media/seek.mjs "$PAGE_PORT" "$CFG" "$cache" >"$W/runs/$run-cache-$cache.json"
    done
done
log "the seeks' first Ranges again without the browser (bench/media/ranges.py)"
python3 bench/media/ranges.py 3 "$W/runs/1-cache-false.json" coffer="$COFFER_URL/media/seek.mp4" \
    coffer-presigned="$PRESIGNED" nginx="http://127.0.0.1:$NGINX_PORT/media/seek.mp4" \
    >"$W/ranges.json"
sleep 1 # the last requests' log lines
section=$W/section.md
python3 bench/media/report.py "$W/runs" "$W/ranges.json" "$W/coffer-access.log" \
    "$W/nginx-access.log" "$VIDEO" "$SEEKS" "$ROUNDS" "$rev" "$(nproc)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >"$section"
cat "$section"
bash bench/results.sh "$RESULTS" "## Media seek (bench/media/run.sh)" "$section"
