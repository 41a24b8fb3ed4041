#!/usr/bin/env bash
# tests/it/tsan.sh -- ThreadSanitizer: the multi-threaded unit tests (net, the
# engine's db and group-commit commitlog, the change log's racing writers) built
# with -fsanitize=thread, then the flood, boto3, multipart, kill, access and metrics suites against the TSan server
# (build/tsan/coffer); any TSan report fails (halt_on_error for the unit tests,
# server.py's sanitizer_check for the server's log). Prints the summed RESULT line.
set -u
cd "$(dirname "$0")/../.."
. tests/it/lib/npm.sh tests/it/node tests/it/browser # the node checks of the suites below
units="tests/unit/net/server_test tests/unit/engine/db_test tests/unit/engine/commitlog_test tests/unit/store/cdc_test"
make -j2 BUILD=tsan build/tsan/coffer $(printf 'build/tsan/%s ' $units) >/dev/null || {
    echo "RESULT: 0 passed, 1 failed"
    exit 1
}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
. tests/it/lib/tally.sh
for u in $units; do
    tally_add "$(basename "$u") (tsan)" "$("build/tsan/$u" 2>&1)"
done
export COFFER_BIN=build/tsan/coffer
for t in s3_flood_test s3_boto3_test s3_multipart_test s3_kill_test s3_access_test s3_admin_test s3_metrics_test; do
    tally_add "$t (tsan)" "$(bash tests/it/lib/python.sh "tests/it/$t.py" 2>&1)"
done
tally_result
