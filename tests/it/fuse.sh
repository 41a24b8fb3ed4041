#!/usr/bin/env bash
# tests/it/fuse.sh -- a coffer bucket mounted with s3fs and rclone mount, four
# configurations (tests/it/s3_fuse_test.py). The mounts live under one temporary
# directory; on exit, whatever is still mounted there is unmounted (fusermount3 -u,
# then -u -z) before the directory is removed, and the removal never crosses into
# a file system (a leftover mount is never emptied through). COFFER_FUSE_KEEP=1
# keeps the directory.
set -u
cd "$(dirname "$0")/../.."
COFFER_FUSE_DIR=$(mktemp -d /tmp/coffer-fuse-XXXXXX)
export COFFER_FUSE_DIR
cleanup() {
    local mp
    for mp in $(awk -v d="$COFFER_FUSE_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts); do
        fusermount3 -u "$mp" 2>/dev/null || fusermount3 -u -z "$mp"
    done
    if [ -n "${COFFER_FUSE_KEEP:-}" ]; then
        echo "kept $COFFER_FUSE_DIR"
    elif ! awk -v d="$COFFER_FUSE_DIR/" 'index($2, d) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
        rm -rf --one-file-system "$COFFER_FUSE_DIR"
    fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT
bash tests/it/lib/python.sh tests/it/s3_fuse_test.py
