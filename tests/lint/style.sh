#!/usr/bin/env bash
# tests/lint/style.sh -- checks the house rules a grep can check (STYLE.md 2, 3, 23).
#
#  layering   a .c or .h in src/<layer>/ includes only its own layer's headers,
#             the public header of the layer below, and util/ (net > http > s3 >
#             store > engine; util is below everything and includes only util/).
#             One stated exception: s3 includes http/http.h, because the
#             http_exchange handed to s3_handle() is the callback interface
#             through which a handler reads its request and writes its answer.
#  top        every .c and .h starts with "/*" and then " * <file> -- <what>"
#  no-dead    no "#if 0", no "STUB"
# Prints one PASS/FAIL line per rule and "RESULT: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
below() {
    case $1 in
        net) echo http ;; http) echo s3 ;; s3) echo store ;; store) echo engine ;; *) echo "" ;;
    esac
}
bad_layering=0
while IFS= read -r f; do
    layer=$(echo "$f" | cut -d/ -f2)
    low=$(below "$layer")
    while IFS= read -r inc; do
        ok=0
        case $inc in
            util/*) ok=1 ;;
            "$layer"/*) ok=1 ;;
        esac
        [ "$layer" = util ] && [ "${inc%%/*}" != util ] && ok=0
        [ -n "$low" ] && [ "$inc" = "$low/$low.h" ] && ok=1
        [ "$layer" = s3 ] && [ "$inc" = "http/http.h" ] && ok=1
        if [ $ok -eq 0 ]; then
            echo "  layering: $f includes \"$inc\""
            bad_layering=1
        fi
    done < <(grep -oE '^#include "[^"]+"' "$f" | sed -E 's/#include "([^"]+)"/\1/')
done < <(find src -mindepth 2 -name '*.[ch]' | sort)

bad_top=0
while IFS= read -r f; do
    base=$(basename "$f")
    if ! head -n 2 "$f" | tail -n 1 | grep -qE "^ \* $base -- "; then
        echo "  top: $f does not start with '/*' + ' * $base -- ...'"
        bad_top=1
    fi
    if [ "$(head -n 1 "$f")" != "/*" ]; then
        echo "  top: $f: first line is not '/*'"
        bad_top=1
    fi
done < <(find src -name '*.[ch]' | sort)

bad_dead=0
if grep -rnE '^\s*#\s*if\s+0|STUB' src; then
    bad_dead=1
fi

passed=0
failed=0
for rule in layering top dead; do
    var="bad_$rule"
    if [ "${!var}" -eq 0 ]; then
        echo "PASS $rule"
        passed=$((passed + 1))
    else
        echo "FAIL $rule"
        failed=$((failed + 1))
    fi
done
echo "RESULT: $passed passed, $failed failed"
[ $failed -eq 0 ]
