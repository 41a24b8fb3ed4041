#!/usr/bin/env bash
# tests/it/oacs.sh -- the oacs integration tests (tests/it/s3_oacs_test.py) against the real binary.
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_oacs_test.py
