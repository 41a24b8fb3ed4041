#!/usr/bin/env bash
# tests/it/post_object.sh -- POST Object (browser-form uploads) against the real binary, with
# boto3 and requests, curl -F, minio-js and a real HTML form in headless Chromium
# (tests/it/s3_post_object_test.py says what each check proves). Installs the npm packages
# the node checks use (tests/it/node: minio; tests/it/browser: playwright-core, which uses
# Debian's chromium and never downloads a browser) when their node_modules is missing; a
# check whose client is missing prints SKIP, never PASS. Prints PASS/FAIL per check and
# "RESULT: N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/../.."
. tests/it/lib/npm.sh tests/it/node tests/it/browser
exec bash tests/it/lib/python.sh tests/it/s3_post_object_test.py
