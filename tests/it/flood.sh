#!/usr/bin/env bash
# tests/it/flood.sh -- slow and malformed connections vs a well-behaved client (tests/it/s3_flood_test.py).
# It measures whether the good client is served while the flood lasts: nothing else beside it.
# tests/run.sh: alone
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_flood_test.py
