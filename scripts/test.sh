#!/usr/bin/env bash
# scripts/test.sh -- installs dependencies, builds (ASan+UBSan and release), runs every test.
# The last line of output is "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
make -s -j"$(nproc)" BUILD=asan unit
make -s -j"$(nproc)" BUILD=release all
exec bash tests/run.sh
