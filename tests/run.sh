#!/usr/bin/env bash
# tests/run.sh -- runs every test binary and prints the total.
#
# Runs the ASan+UBSan unit and crash test binaries from build/asan/tests, then
# the style checks in tests/lint/*.sh and the integration scripts in
# tests/it/*.sh (if any) against the release binary. Each binary prints "RESULT: N passed, N failed"; a binary that dies
# without that line counts as one failure. A case the machine cannot run (no
# permission to mount a tmpfs, say) is skipped, not passed: its RESULT line
# ends with ", N skipped" and a "SKIP <case>: <why>" line names it; the
# skipped are summed on the line before the total. The client suites' COMPAT
# lines become tests/it/COMPATIBILITY.md (tests/it/lib/compat.py). The last
# line is the plain total "N passed, N failed" that CI reads.
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export COFFER_LOG=${COFFER_LOG:-error}
passed=0
failed=0
skipped=0
logdir=$(mktemp -d)
compat=$logdir/compat.lines # the client suites' COMPAT lines: tests/it/lib/compat.py
: >"$compat"
run_one() {
    local bin=$1 name log
    name=$(echo "$bin" | sed 's|build/[a-z]*/tests/||')
    log="$logdir/$(echo "$name" | tr '/' '_').log"
    local start=$SECONDS
    "$bin" >"$log" 2>&1
    local rc=$?
    local line
    line=$(grep -E '^RESULT: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        local p f s
        p=$(echo "$line" | sed -E 's/RESULT: ([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
        passed=$((passed + p))
        failed=$((failed + f))
        skipped=$((skipped + ${s:-0}))
    else
        failed=$((failed + 1))
        echo "CRASH $name (exit $rc, no RESULT line)"
    fi
    grep -E '^(FAIL|SKIP) ' "$log" | sed "s|^|  $name: |"
    grep -P '^COMPAT\t' "$log" >>"$compat"
    if [ "$rc" -ne 0 ]; then
        echo "---- $name output (tail) ----"
        tail -n 40 "$log"
    fi
    printf '%-40s %s (%ds)\n' "$name" "${line:-no result}" $((SECONDS - start))
}
for bin in $(find build/asan/tests -type f -perm -u+x 2>/dev/null | sort); do
    run_one "$bin"
done
for script in tests/lint/*.sh tests/it/*.sh; do
    [ -e "$script" ] || continue
    run_one "$script"
done
# the compatibility matrix, when the run included client suites (a partial run writes none)
python3 tests/it/lib/compat.py "$compat" tests/it/COMPATIBILITY.md
rm -rf "$logdir"
if [ "$skipped" -gt 0 ]; then echo "$skipped skipped"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
