#!/usr/bin/env bash
# bench/results.sh -- one way for every bench to record its section in
# bench/RESULTS.md: the section titled TITLE ("## ...") is replaced (or
# appended) with the contents of SECTION_FILE; other sections are kept.
#
#   bench/results.sh RESULTS_FILE TITLE SECTION_FILE
set -euo pipefail
results=$1 title=$2 section=$3
[ "$results" = /dev/null ] && exit 0
touch "$results"
tmp=$(mktemp)
awk -v title="$title" '
    $0 == title { skip = 1; next }
    skip && /^## / { skip = 0 }
    !skip { print }' "$results" >"$tmp"
if [ -s "$tmp" ]; then
    printf '%s\n\n%s\n' "$(cat "$tmp")" "$(cat "$section")" >"$results" # $() drops trailing blank lines
else
    printf '%s\n' "$(cat "$section")" >"$results"
fi
rm -f "$tmp"
echo "wrote $results"
