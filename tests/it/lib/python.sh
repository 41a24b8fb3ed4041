#!/usr/bin/env bash
# tests/it/lib/python.sh TEST.py -- runs one Python integration test file
# against build/release/coffer with the first python3 that has boto3 (the
# image's Python has boto3 1.43; on a bare Debian machine scripts/deps.sh
# installs python3-boto3). The file prints "RESULT: N passed, N failed".
set -u
cd "$(dirname "$0")/../../.."
for py in python3 /usr/bin/python3; do
    if "$py" -c 'import boto3' 2>/dev/null; then
        exec "$py" "$1"
    fi
done
echo "no python3 with boto3"
echo "RESULT: 0 passed, 1 failed"
exit 1
