#!/usr/bin/env bash
# scripts/deps.sh -- installs the Debian packages coffer builds and tests with.
#
#   scripts/deps.sh build   compiler, make, ISA-L, OpenSSL, expat and json-c headers
#   scripts/deps.sh test    the above plus the real S3 clients the integration
#                           tests drive: AWS CLI v2, s3cmd, rclone, curl, and
#                           boto3 (Debian's, unless a python3 with boto3 exists),
#                           node and npm, chromium (browser uploads), ffmpeg
#                           (the media the browser plays), s3fs and fuse3's
#                           fusermount3 (tests/it/fuse.sh mounts buckets with
#                           s3fs and rclone mount), and clang's libFuzzer for
#                           the bounded fuzz runs
#   scripts/deps.sh bench   the build set plus RocksDB, fio and nginx (bench/
#                           references), and ffmpeg (bench/media's video)
# Installs only what is missing, so a second run costs one dpkg query.
set -euo pipefail
want=(gcc make libc6-dev libisal-dev libssl-dev libexpat1-dev libjson-c-dev)
case "${1:-build}" in
    build) ;;
    test)
        want+=(curl s3cmd rclone awscli clang libclang-rt-14-dev s3fs fuse3)
        python3 -c 'import boto3' 2>/dev/null || want+=(python3-boto3)
        python3 -c 'import requests' 2>/dev/null || want+=(python3-requests)
        # tests/it/post_object.sh: minio-js and playwright-core from npm, a real
        # browser (Debian's chromium; playwright never downloads one). A node
        # that brings its own npm (nodesource) must not get Debian's npm.
        command -v node >/dev/null 2>&1 || want+=(nodejs)
        command -v npm >/dev/null 2>&1 || want+=(npm)
        [ -x /usr/bin/chromium ] || want+=(chromium)
        # tests/it/media.sh: the MP4, WebM and MP3 it plays are made with ffmpeg
        want+=(ffmpeg)
        ;;
    bench) want+=(librocksdb-dev fio nginx-light ffmpeg) ;;
    *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
