#!/usr/bin/env bash
# tests/it/media.sh -- video and audio from coffer in headless Chromium (tests/it/s3_media_test.py):
# an MP4 (H.264 + AAC), a WebM (VP8 + Opus) and an MP3 made with ffmpeg play and seek from
# presigned URLs and from a public bucket, with and without the browser cache; each seek's
# ranged GET is found in the access log (206); a private object's unsigned URL is refused.
# A machine without ffmpeg, node or chromium reports SKIP (tests/it/browser/launch.mjs).
set -u
cd "$(dirname "$0")/../.."
. tests/it/lib/npm.sh tests/it/browser
exec bash tests/it/lib/python.sh tests/it/s3_media_test.py
