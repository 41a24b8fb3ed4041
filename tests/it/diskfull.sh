#!/usr/bin/env bash
# tests/it/diskfull.sh -- a full disk (tests/it/s3_diskfull_test.py): the data directory on a
# 64 MiB tmpfs (needs permission to mount; skipped otherwise), 507 InsufficientStorage, no loss.
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_diskfull_test.py
