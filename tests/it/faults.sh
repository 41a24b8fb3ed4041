#!/usr/bin/env bash
# tests/it/faults.sh -- damaged files on disk (tests/it/s3_faults_test.py) against the real binary.
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_faults_test.py
