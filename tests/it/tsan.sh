#!/usr/bin/env bash
# tests/it/tsan.sh -- ThreadSanitizer: the multi-threaded unit tests (net, the
# engine's db and group-commit commitlog) built with -fsanitize=thread, then the
# flood, boto3, multipart and kill suites against the TSan server
# (build/tsan/coffer); any TSan report fails (halt_on_error for the unit tests,
# server.py's sanitizer_check for the server's log). Prints the summed RESULT line.
set -u
cd "$(dirname "$0")/../.."
units="tests/unit/net/server_test tests/unit/engine/db_test tests/unit/engine/commitlog_test"
make -j2 BUILD=tsan build/tsan/coffer $(printf 'build/tsan/%s ' $units) >/dev/null || {
    echo "RESULT: 0 passed, 1 failed"
    exit 1
}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
passed=0
failed=0
count() { # count NAME OUTPUT: adds OUTPUT's RESULT line to the totals
    local line
    line=$(echo "$2" | grep -E '^RESULT: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ] || echo "$2" | grep -q "WARNING: ThreadSanitizer"; then
        echo "$2" | grep -A 30 "WARNING: ThreadSanitizer" | head -n 60
        echo "$2" | tail -n 20
        failed=$((failed + 1))
        return
    fi
    echo "$1 (tsan): $line"
    echo "$2" | grep -E '^(FAIL|ERROR):' || true
    passed=$((passed + $(echo "$line" | sed -E 's/RESULT: ([0-9]+) passed.*/\1/')))
    failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
}
for u in $units; do
    count "$(basename "$u")" "$("build/tsan/$u" 2>&1)"
done
export COFFER_BIN=build/tsan/coffer
for t in s3_flood_test s3_boto3_test s3_multipart_test s3_kill_test; do
    count "$t" "$(bash tests/it/lib/python.sh "tests/it/$t.py" 2>&1)"
done
echo "RESULT: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
