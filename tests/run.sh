#!/usr/bin/env bash
# tests/run.sh -- runs every test binary and prints the total.
#
# Runs the ASan+UBSan unit and crash test binaries from build/asan/tests, then
# the style checks in tests/lint/*.sh and the integration scripts in
# tests/it/*.sh against the release binary. Each binary prints "RESULT: N
# passed, N failed"; a binary that dies without that line counts as one
# failure. A case the machine cannot run (no permission to mount a tmpfs, say)
# is skipped, not passed: its RESULT line ends with ", N skipped" and a "SKIP
# <case>: <why>" line names it; the skipped are summed on the line before the
# total. The client suites' COMPAT lines become tests/it/COMPATIBILITY.md
# (tests/it/lib/compat.py). The last line is the plain total "N passed, N
# failed" that CI reads.
#
# Up to COFFER_TEST_JOBS (default: the number of CPUs) tests run at once, each
# with its own server, port and data directory; a script whose text holds the
# line "# tests/run.sh: alone" (load-sensitive, or itself parallel) runs with
# nothing beside it. Results are reported in the order above, as each is known.
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export COFFER_LOG=${COFFER_LOG:-error}
JOBS=${COFFER_TEST_JOBS:-$(nproc)}
passed=0
failed=0
skipped=0
logdir=$(mktemp -d)
compat=$logdir/compat.lines # the client suites' COMPAT lines: tests/it/lib/compat.py
: >"$compat"

tests=()
for bin in $(find build/asan/tests -type f -perm -u+x 2>/dev/null | sort); do tests+=("$bin"); done
for script in tests/lint/*.sh tests/it/*.sh; do
    [ -e "$script" ] && tests+=("$script")
done

log_of() { # log_of TEST : its log file; TEST.res gets "exit-status seconds" when it ends
    echo "$logdir/$(echo "$1" | sed 's|build/[a-z]*/tests/||' | tr '/' '_').log"
}
run_one() {
    local log start=$SECONDS
    log=$(log_of "$1")
    "$1" >"$log" 2>&1
    echo "$? $((SECONDS - start))" >"$log.tmp" && mv "$log.tmp" "$log.res"
}
alone() { # alone TEST : a script that must run with nothing beside it
    case $1 in *.sh) grep -qx '# tests/run.sh: alone' "$1" ;; *) false ;; esac
}
launch_all() {
    for t in "${tests[@]}"; do
        if alone "$t"; then
            wait
            run_one "$t"
            continue
        fi
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
        run_one "$t" &
    done
    wait
}
report_one() {
    local t=$1 name log rc secs line
    name=$(echo "$t" | sed 's|build/[a-z]*/tests/||')
    log=$(log_of "$t")
    while [ ! -e "$log.res" ]; do sleep 0.5; done
    read -r rc secs <"$log.res"
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
    printf '%-40s %s (%ds)\n' "$name" "${line:-no result}" "$secs"
}

launch_all &
launcher=$!
for t in "${tests[@]}"; do
    report_one "$t"
done
wait "$launcher"
# the compatibility matrix, when the run included client suites (a partial run writes none)
python3 tests/it/lib/compat.py "$compat" tests/it/COMPATIBILITY.md
rm -rf "$logdir"
if [ "$skipped" -gt 0 ]; then echo "$skipped skipped"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
