#!/usr/bin/env bash
# tests/it/security.sh -- authentication on every route, keys that look like paths, secrets
# kept out of the logs (tests/it/s3_security_test.py) against the real binary.
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_security_test.py
