#!/usr/bin/env bash
# scripts/run.sh -- installs dependencies, builds, and runs coffer on ./coffer-data.
# Extra arguments go to coffer (e.g. --data DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
make -s -j"$(nproc)" BUILD=release
exec build/release/coffer serve "$@"
