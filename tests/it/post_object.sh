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
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
for d in tests/it/node tests/it/browser; do
    [ -d "$d/node_modules" ] && continue
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm is not installed: the checks that need $d will SKIP"
        continue
    fi
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
        echo "npm ci in $d failed: the checks that need it will SKIP"
done
exec bash tests/it/lib/python.sh tests/it/s3_post_object_test.py
