#!/usr/bin/env bash
# tests/it/flood.sh -- slow and malformed connections vs a well-behaved client (tests/it/s3_flood_test.py).
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_flood_test.py
