#!/usr/bin/env bash
# tests/it/cors.sh -- bucket CORS (tests/it/s3_cors_test.py) against the real binary:
# Put/Get/DeleteBucketCors with boto3, raw preflights and actual requests with exact
# statuses, codes and headers, and fetch() from another origin in headless Chromium
# (tests/it/browser; a machine without it reports SKIP).
set -u
cd "$(dirname "$0")/../.."
. tests/it/lib/npm.sh tests/it/browser
exec bash tests/it/lib/python.sh tests/it/s3_cors_test.py
