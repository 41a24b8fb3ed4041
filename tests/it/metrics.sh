#!/usr/bin/env bash
# tests/it/metrics.sh -- GET /_coffer/metrics (tests/it/s3_metrics_test.py) against the real
# binary: every scrape parsed strictly as the Prometheus text format, counters moving by
# exactly the requests made, histograms cumulative, bytes, connections, store and engine
# figures, who may scrape (admin, --metrics-public), and /_coffer/stats's server figures.
set -u
cd "$(dirname "$0")/../.."
exec bash tests/it/lib/python.sh tests/it/s3_metrics_test.py
