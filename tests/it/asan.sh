#!/usr/bin/env bash
# tests/it/asan.sh -- the Python integration suites again, against the ASan+UBSan
# server (build/asan/coffer, built by `make BUILD=asan unit`): any sanitizer report in
# a server's log fails the suite (server.py). Prints the summed RESULT line (with ", N skipped"
# when a suite could not run here, as run.sh counts them).
set -u
cd "$(dirname "$0")/../.."
[ -x build/asan/coffer ] || make BUILD=asan unit >/dev/null
export COFFER_BIN=build/asan/coffer
passed=0
failed=0
skipped=0
for t in s3_boto3_test s3_multipart_test s3_oacs_test s3_faults_test s3_kill_test s3_flood_test \
    s3_security_test s3_diskfull_test; do
    out=$(bash tests/it/lib/python.sh "tests/it/$t.py" 2>&1)
    line=$(echo "$out" | grep -E '^RESULT: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        echo "$out" | tail -n 30
        failed=$((failed + 1))
        continue
    fi
    echo "$t (asan): $line"
    echo "$out" | grep -E '^(FAIL|ERROR):|^SKIP ' || true
    passed=$((passed + $(echo "$line" | sed -E 's/RESULT: ([0-9]+) passed.*/\1/')))
    failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
    s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
    skipped=$((skipped + ${s:-0}))
done
echo "RESULT: $passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
[ "$failed" -eq 0 ]
