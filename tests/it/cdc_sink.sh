#!/usr/bin/env bash
# tests/it/cdc_sink.sh -- the change-log sink (tests/it/s3_cdc_sink_test.py): two coffer
# servers, one bucket's log forwarded into the other's bucket through outages and restarts
# of either side, then into Ceph RGW (/work/shared/peers/peers-up.sh; SKIP when it cannot run).
set -u
cd "$(dirname "$0")/../.."
exec bash tests/it/lib/python.sh tests/it/s3_cdc_sink_test.py
