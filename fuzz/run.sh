#!/usr/bin/env bash
# fuzz/run.sh -- builds every libFuzzer target fuzz/*_fuzz.c and runs each.
#
#   fuzz/run.sh [SECONDS [TARGET...]]   run each (or each named) target for
#                                      SECONDS (default 10); TARGET is a file
#                                      name without "_fuzz.c", e.g. http_request
#
# Each target is built with clang -fsanitize=fuzzer,address,undefined -Isrc
# against the sources it tests: by default src/<layer>/*.c (the layer is the
# name's first word: http_request -> src/http) and src/util/*.c, linked with
# -lisal -lcrypto -lpthread. A target that needs other sources or libraries
# says so with lines in its top comment, which replace the defaults:
#     * FUZZ_SRCS: src/s3/xml_parse.c src/util/buf.c
#     * FUZZ_LIBS: -lexpat
# The flags are the same for every target, so each distinct source file is
# compiled once per run (in parallel, into build/fuzz/obj/, emptied first)
# and the targets link the objects they name.
# It runs on a scratch directory plus its seed corpus fuzz/corpus/<target>/
# (read only: new inputs land in build/fuzz/corpus/, not in the tree). A crash leaves its input in
# build/fuzz/<target>-crash-*; reproduce with build/fuzz/<target> <file>.
# Installs clang and libclang-rt-14-dev with apt-get if they are missing.
# Prints one PASS/FAIL line per target and "RESULT: N passed, N failed";
# exits non-zero if any target crashed or failed to build.
set -u
cd "$(dirname "$0")/.."
secs=${1:-10}
out=build/fuzz
mkdir -p "$out"

have_fuzzer_rt() {
    command -v clang >/dev/null 2>&1 &&
        echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
        clang -x c -fsanitize=fuzzer -o "$out/.probe" - >/dev/null 2>&1
}
if ! have_fuzzer_rt; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get install -y clang libclang-rt-14-dev >/dev/null || true
fi

CFLAGS="-std=c17 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined
        -fno-sanitize-recover=all -fno-omit-frame-pointer"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
shift $(($# > 0 ? 1 : 0))
declare -A sources # target name -> its fuzz file and the sources it links
for src in fuzz/*_fuzz.c; do
    name=$(basename "$src" _fuzz.c)
    if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
        continue
    fi
    srcs=$(sed -n 's/^ \* FUZZ_SRCS: //p' "$src" | head -n 1)
    [ -n "$srcs" ] || srcs="src/${name%%_*}/*.c src/util/*.c"
    # shellcheck disable=SC2086,SC2116 # echo expands the globs
    sources[$name]="$src $(echo $srcs)"
done

obj="$out/obj"
rm -rf "$obj"
mkdir -p "$obj"
compile() {
    local o
    o="$obj/$(echo "$1" | tr / _).o"
    # shellcheck disable=SC2086
    clang $CFLAGS -c "$1" -o "$o" 2>"$o.log" || rm -f "$o"
}
export -f compile
export CFLAGS obj
# shellcheck disable=SC2068,SC2016 # each element is a list; $1 is bash -c's
printf '%s\n' ${sources[@]} | sort -u | xargs -P "$(nproc)" -I{} bash -c 'compile "$1"' _ {}

for src in fuzz/*_fuzz.c; do
    name=$(basename "$src" _fuzz.c)
    [ -n "${sources[$name]:-}" ] || continue
    bin="$out/${name}_fuzz"
    libs=$(sed -n 's/^ \* FUZZ_LIBS: //p' "$src" | head -n 1)
    [ -n "$libs" ] || libs="-lisal -lcrypto -lpthread"
    objs=""
    : >"$out/$name.build.log"
    for f in ${sources[$name]}; do
        o="$obj/$(echo "$f" | tr / _).o"
        objs="$objs $o"
        cat "$o.log" >>"$out/$name.build.log"
    done
    # shellcheck disable=SC2086
    if ! clang $CFLAGS $objs $libs -o "$bin" 2>>"$out/$name.build.log"; then
        echo "FAIL $name (build)"
        cat "$out/$name.build.log"
        failed=$((failed + 1))
        continue
    fi
    work="$out/corpus/$name"
    rm -rf "$work"
    mkdir -p "$work"
    seeds="fuzz/corpus/$name"
    [ -d "$seeds" ] || seeds=""
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/$name-" "$work" $seeds >"$out/$name.log" 2>&1
    rc=$?
    execs=$(grep -E '^stat::number_of_executed_units' "$out/$name.log" | awk '{print $2}')
    if [ $rc -eq 0 ]; then
        echo "PASS $name (${execs:-?} runs in ${secs}s)"
        passed=$((passed + 1))
    else
        echo "FAIL $name (exit $rc; log $out/$name.log)"
        grep -E 'ERROR|SUMMARY|Test unit written' "$out/$name.log" | head -n 5
        failed=$((failed + 1))
    fi
done
echo "RESULT: $passed passed, $failed failed"
[ $failed -eq 0 ]
