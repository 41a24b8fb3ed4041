#!/usr/bin/env bash
# tests/it/admin.sh -- the admin API (doc/admin.md) and `coffer user` against the real binary
# (tests/it/s3_admin_test.py).
set -u
cd "$(dirname "$0")/../.."
exec bash tests/it/lib/python.sh tests/it/s3_admin_test.py
