#!/usr/bin/env bash
# tests/it/duckdb.sh -- DuckDB reads coffer through S3 (issue 15; tests/it/s3_duckdb_test.py):
# @duckdb/duckdb-wasm in node (tests/it/node/duckdb_read.mjs) reads a Parquet file it wrote,
# a bucket's change log from the view bucket coffer-cdc and hand-made NDJSON windows, by
# s3:// glob (ListObjectsV2), SigV4-signed, with ranged GETs checked in the access log. Installs tests/it/node's npm packages from its package-lock.json when needed; without
# node or the package every test is a SKIP, never a PASS.
set -u
cd "$(dirname "$0")/../.."
. tests/it/lib/npm.sh tests/it/node
exec bash tests/it/lib/python.sh tests/it/s3_duckdb_test.py
