#!/usr/bin/env bash
# tests/it/multipart.sh -- the multipart integration tests (tests/it/s3_multipart_test.py) against the real binary.
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_multipart_test.py
