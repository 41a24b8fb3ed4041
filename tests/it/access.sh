#!/usr/bin/env bash
# tests/it/access.sh -- who may do what (tests/it/s3_access_test.py) against the real binary:
# refused headers, ACLs, bucket policies, public access block, Object Ownership,
# --bucket-defaults aws, x-amz-expected-bucket-owner, a public and a private <img> in
# headless Chromium (tests/it/browser), and the real CLIs (s3cmd, AWS CLI v2 and v1, curl;
# each one the machine lacks is a SKIP) run by the same file.
set -u
cd "$(dirname "$0")/../.."
. tests/it/lib/npm.sh tests/it/browser
exec bash tests/it/lib/python.sh tests/it/s3_access_test.py
