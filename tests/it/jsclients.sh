#!/usr/bin/env bash
# tests/it/jsclients.sh -- coffer driven by the JavaScript S3 clients (issue 14): the AWS SDK
# for JavaScript v3 (tests/it/node/aws_sdk_v3.mjs: client-s3, lib-storage, s3-request-presigner)
# and minio-js (tests/it/node/minio_js.mjs), each with its default configuration, against the
# real binary on a fresh data directory. Installs tests/it/node's npm packages from its
# package-lock.json when node_modules is missing (tests/it/lib/npm.sh). Each check prints
# PASS/FAIL and a COMPAT line (the compatibility matrix); without node or the packages the
# checks are SKIP, never PASS. Ends with "RESULT: N passed, N failed[, N skipped]".
# On failure the tail of the server log is printed; COFFER_JS_KEEP=1 keeps the temporary directory.
# COFFER_BIN=build/asan/coffer runs it against the sanitizer build (a report in the log fails).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${COFFER_BIN:-$ROOT/build/release/coffer}
. tests/it/lib/npm.sh tests/it/node
. tests/it/lib/tally.sh

if ! command -v node >/dev/null 2>&1; then
    for client in aws-sdk-js-v3 minio-js; do
        echo "SKIP $client: node is not installed"
        printf 'COMPAT\t%s\t%s\t%s\tSKIP\n' "$client" "not installed" "every operation"
    done
    echo "RESULT: 0 passed, 0 failed, 2 skipped"
    exit 0
fi

T=$(mktemp -d /tmp/coffer-js-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export COFFER_ENDPOINT=http://127.0.0.1:$PORT
export COFFER_ACCESS=CFJSCLIENTSADMIN0001
export COFFER_SECRET=js-secret/with+chars0123456789abcdefgh
export COFFER_JS_TMP=$T/files
mkdir -p "$COFFER_JS_TMP"
stop_server() {
    [ -n "${SPID:-}" ] && kill -TERM "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    SPID=
}
cleanup() {
    stop_server
    if [ "$failed" -ne 0 ] && [ -s "$T/server.log" ]; then
        echo "server log (tail):"
        tail -n 20 "$T/server.log" | sed 's/^/    /'
    fi
    if [ -n "${COFFER_JS_KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

COFFER_DATA=$T/data COFFER_ADDR=127.0.0.1:$PORT COFFER_ACCESS_KEY=$COFFER_ACCESS \
    COFFER_SECRET_KEY=$COFFER_SECRET COFFER_LOG=warn "$BIN" serve >"$T/server.log" 2>&1 &
SPID=$!
for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
    sleep 0.1
done

for suite in aws_sdk_v3 minio_js; do
    # the SDK's deprecation notices go to stderr, kept out of the suite's output
    out=$(node "tests/it/node/$suite.mjs" 2>"$T/$suite.stderr")
    echo "$out" | grep -v '^RESULT: ' # tally_add prints it, labelled
    if ! echo "$out" | grep -qE '^RESULT: '; then
        tail -n 20 "$T/$suite.stderr" | sed 's/^/    /'
    fi
    tally_add "$suite" "$out"
done
# with COFFER_BIN=build/asan/coffer: a sanitizer report in the server's log is a failure
stop_server
if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' "$T/server.log"; then
    echo "FAIL server: a sanitizer report in its log"
    failed=$((failed + 1))
fi
tally_result
