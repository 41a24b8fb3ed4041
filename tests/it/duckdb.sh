#!/usr/bin/env bash
# tests/it/duckdb.sh -- DuckDB reads coffer through S3 (issue 15; tests/it/s3_duckdb_test.py):
# @duckdb/duckdb-wasm in node (tests/it/node/duckdb_read.mjs) reads a Parquet file it wrote
# and NDJSON change-log windows by s3:// glob with SigV4 and ranged GETs, checked in the access
# log. Installs tests/it/node's npm packages from its package-lock.json when needed; without
# node or the package every test is a SKIP, never a PASS.
set -u
cd "$(dirname "$0")/../.."
. tests/it/lib/npm.sh tests/it/node
exec bash tests/it/lib/python.sh tests/it/s3_duckdb_test.py
