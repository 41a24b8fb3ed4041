#!/usr/bin/env bash
# tests/it/cdc.sh -- the change log (tests/it/s3_cdc_test.py) against the real binary:
# settings, the exact record sequence, the coffer-cdc view with boto3, the AWS CLI and
# rclone, authorization, retention, restarts, coffer check, and the example consumer
# (doc/examples/cdc_consumer.py) resuming exactly once.
set -u
cd "$(dirname "$0")/../.."
exec bash tests/it/lib/python.sh tests/it/s3_cdc_test.py
