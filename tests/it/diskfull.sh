#!/usr/bin/env bash
# tests/it/diskfull.sh -- a full disk (tests/it/s3_diskfull_test.py): the data directory on a
# 64 MiB tmpfs (needs permission to mount; skipped otherwise), 507 InsufficientStorage, no loss.
# Where unshare(1) may, the test runs in a mount namespace of its own, so even a killed run
# leaves no tmpfs mounted behind (the test unmounts it itself on every other path).
cd "$(dirname "$0")/../.."
if unshare --mount --propagation private true 2>/dev/null; then
    exec unshare --mount --propagation private bash tests/it/lib/python.sh tests/it/s3_diskfull_test.py
fi
exec bash tests/it/lib/python.sh tests/it/s3_diskfull_test.py
