#!/usr/bin/env bash
# tests/it/kill.sh -- SIGKILL under load (tests/it/s3_kill_test.py): CRASH_ROUNDS rounds (6 here;
# CRASH_ROUNDS=500 for the long run a person starts), every acknowledged write checked byte-exact.
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_kill_test.py
