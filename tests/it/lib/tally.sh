# tests/it/lib/tally.sh -- sourced by the scripts that run several suites
# (asan.sh, tsan.sh): sums their "RESULT: N passed, N failed[, N skipped]"
# lines into one. A suite that printed no RESULT line, or whose output holds
# a ThreadSanitizer report, counts as one failure and its output's end is shown.
passed=0
failed=0
skipped=0

# tally_add LABEL OUTPUT -- adds OUTPUT's last RESULT line to the totals.
tally_add() {
    local line s
    line=$(echo "$2" | grep -E '^RESULT: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ] || echo "$2" | grep -q "WARNING: ThreadSanitizer"; then
        echo "$2" | grep -A 30 "WARNING: ThreadSanitizer" | head -n 60
        echo "$2" | tail -n 30
        failed=$((failed + 1))
        return
    fi
    echo "$1: $line"
    echo "$2" | grep -E '^(FAIL|ERROR):|^SKIP ' || true
    passed=$((passed + $(echo "$line" | sed -E 's/RESULT: ([0-9]+) passed.*/\1/')))
    failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
    s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
    skipped=$((skipped + ${s:-0}))
}

# tally_result -- prints the summed RESULT line; fails if anything failed.
tally_result() {
    echo "RESULT: $passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
    [ "$failed" -eq 0 ]
}
