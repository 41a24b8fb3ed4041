#!/usr/bin/env bash
# tests/it/asan.sh -- the Python integration suites again, against the ASan+UBSan
# server (build/asan/coffer, built by `make BUILD=asan unit`): any sanitizer report in
# a server's log fails the suite (server.py). Prints the summed RESULT line (with ", N skipped"
# when a suite could not run here, as run.sh counts them).
set -u
cd "$(dirname "$0")/../.."
. tests/it/lib/npm.sh tests/it/node tests/it/browser # the node checks of the suites below
[ -x build/asan/coffer ] || make BUILD=asan unit >/dev/null
export COFFER_BIN=build/asan/coffer
. tests/it/lib/tally.sh
for t in s3_boto3_test s3_multipart_test s3_oacs_test s3_faults_test s3_kill_test s3_flood_test \
    s3_security_test s3_diskfull_test s3_sigv2_test s3_access_test s3_post_object_test s3_cors_test s3_admin_test \
    s3_duckdb_test; do
    tally_add "$t (asan)" "$(bash tests/it/lib/python.sh "tests/it/$t.py" 2>&1)"
done
tally_result
