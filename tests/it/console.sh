#!/usr/bin/env bash
# tests/it/console.sh -- the built-in web console (tests/it/s3_console_test.py) against the
# real binary: exact statuses and headers of /_console/, then a person's session in headless
# Chromium (tests/it/browser/console_flow.mjs; a machine without it reports SKIP).
set -u
cd "$(dirname "$0")/../.."
. tests/it/lib/npm.sh tests/it/browser
exec bash tests/it/lib/python.sh tests/it/s3_console_test.py
