#!/usr/bin/env bash
# tests/it/fuzz.sh -- every libFuzzer target in fuzz/ for a bounded time
# (FUZZ_SECONDS, default 10 each) under ASan+UBSan; a crash fails the run.
set -u
cd "$(dirname "$0")/../.."
exec bash fuzz/run.sh "${FUZZ_SECONDS:-10}"
