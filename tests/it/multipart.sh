#!/usr/bin/env bash
# tests/it/multipart.sh -- runs the multipart upload integration tests (boto3)
# against build/release/coffer. Uses the first python3 that has boto3 (the
# image's Python has boto3 1.43; on a bare Debian machine scripts/deps.sh
# installs python3-boto3).
set -u
cd "$(dirname "$0")/../.."
for py in python3 /usr/bin/python3; do
    if "$py" -c 'import boto3' 2>/dev/null; then
        exec "$py" tests/it/s3_multipart_test.py
    fi
done
echo "no python3 with boto3"
echo "RESULT: 0 passed, 1 failed"
exit 1
