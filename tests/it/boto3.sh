#!/usr/bin/env bash
# tests/it/boto3.sh -- the boto3 integration tests (tests/it/s3_boto3_test.py) against the real binary.
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_boto3_test.py
