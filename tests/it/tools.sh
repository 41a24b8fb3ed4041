#!/usr/bin/env bash
# tests/it/tools.sh -- coffer driven by the real command-line clients: AWS CLI
# (Debian's v2 and the image's v1 when present), s3cmd, rclone, and curl (SigV4
# and a presigned URL). Each check compares bytes or exit statuses; the script
# prints PASS/FAIL per check and "RESULT: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${COFFER_BIN:-$ROOT/build/release/coffer}
T=$(mktemp -d /tmp/coffer-tools-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
EP=http://127.0.0.1:$PORT
AK=CFTOOLSADMIN00000001
SK=tools-secret-0123456789abcdefghijklmnop
passed=0
failed=0
check() { # check NAME COMMAND... : passes when the command exits 0
    local name=$1
    shift
    if "$@" >>"$T/checks.log" 2>&1; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        failed=$((failed + 1))
        tail -n 5 "$T/checks.log" | sed 's/^/    /'
    fi
}
cleanup() {
    [ -n "${SPID:-}" ] && kill -TERM "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

COFFER_DATA=$T/data COFFER_ADDR=127.0.0.1:$PORT COFFER_ACCESS_KEY=$AK COFFER_SECRET_KEY=$SK \
    COFFER_LOG=warn "$BIN" serve >"$T/server.log" 2>&1 &
SPID=$!
for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
    sleep 0.1
done

mkdir -p "$T/src/sub" "$T/out"
head -c 1 /dev/urandom >"$T/src/one"
head -c 131073 /dev/urandom >"$T/src/sub/chunky"
head -c 5000000 /dev/urandom >"$T/src/five-mb"
: >"$T/src/empty"
printf 'hello, coffer\n' >"$T/src/hello.txt"

export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$T/aws.config AWS_SHARED_CREDENTIALS_FILE=/dev/null
# multipart is a later issue: keep the CLI on single PUTs for these sizes
# presigned URLs with SigV4 (the v1 CLI still defaults to SigV2, which coffer refuses)
printf '[default]\ns3 =\n  multipart_threshold = 64MB\n  signature_version = s3v4\n' >"$AWS_CONFIG_FILE"

same() { cmp -s "$1" "$2"; }

run_awscli() { # run_awscli LABEL AWS-BINARY
    local label=$1 aws=$2 b=cli-$1
    check "$label mb" "$aws" --endpoint-url "$EP" s3 mb "s3://$b"
    check "$label cp up" "$aws" --endpoint-url "$EP" s3 cp "$T/src/five-mb" "s3://$b/dir/five-mb"
    check "$label cp down bytes" bash -c "'$aws' --endpoint-url '$EP' s3 cp 's3://$b/dir/five-mb' '$T/out/$label-five' && cmp '$T/src/five-mb' '$T/out/$label-five'"
    check "$label sync" "$aws" --endpoint-url "$EP" s3 sync "$T/src" "s3://$b/synced"
    check "$label ls recursive" bash -c "'$aws' --endpoint-url '$EP' s3 ls --recursive 's3://$b/synced/' | grep -c . | grep -qx 5"
    check "$label sync back bytes" bash -c "'$aws' --endpoint-url '$EP' s3 sync 's3://$b/synced' '$T/out/$label-sync' && diff -r '$T/src' '$T/out/$label-sync'"
    check "$label s3api head-object" bash -c "'$aws' --endpoint-url '$EP' s3api head-object --bucket $b --key synced/sub/chunky | grep -q '\"ContentLength\": 131073'"
    check "$label s3api range" bash -c "'$aws' --endpoint-url '$EP' s3api get-object --bucket $b --key synced/sub/chunky --range bytes=131070-131072 '$T/out/$label-range' >/dev/null && cmp <(tail -c 3 '$T/src/sub/chunky') '$T/out/$label-range'"
    check "$label presign + curl" bash -c "curl -sf \"\$('$aws' --endpoint-url '$EP' s3 presign 's3://$b/synced/hello.txt' --expires-in 60)\" | cmp - '$T/src/hello.txt'"
    check "$label missing key fails" bash -c "! '$aws' --endpoint-url '$EP' s3 cp 's3://$b/nope' '$T/out/nope' 2>/dev/null"
    check "$label rm recursive" "$aws" --endpoint-url "$EP" s3 rm --recursive "s3://$b"
    check "$label rb" "$aws" --endpoint-url "$EP" s3 rb "s3://$b"
}
[ -x /usr/bin/aws ] && run_awscli v2 /usr/bin/aws
AWS1=$(command -v aws)
if [ -n "$AWS1" ] && [ "$AWS1" != /usr/bin/aws ]; then run_awscli v1 "$AWS1"; fi

if command -v s3cmd >/dev/null; then
    cat >"$T/s3cfg" <<CFG
[default]
access_key = $AK
secret_key = $SK
host_base = 127.0.0.1:$PORT
host_bucket = 127.0.0.1:$PORT
use_https = False
signature_v2 = False
bucket_location = us-east-1
CFG
    S3CMD="s3cmd -c $T/s3cfg"
    check "s3cmd mb" $S3CMD mb s3://s3cmd-bkt
    check "s3cmd put" $S3CMD put "$T/src/sub/chunky" s3://s3cmd-bkt/a/chunky
    check "s3cmd get bytes" bash -c "$S3CMD get s3://s3cmd-bkt/a/chunky '$T/out/s3cmd-chunky' && cmp '$T/src/sub/chunky' '$T/out/s3cmd-chunky'"
    check "s3cmd ls" bash -c "$S3CMD ls s3://s3cmd-bkt/a/ | grep -q 'a/chunky'"
    check "s3cmd del" $S3CMD del s3://s3cmd-bkt/a/chunky
    check "s3cmd rb" $S3CMD rb s3://s3cmd-bkt
fi

if command -v rclone >/dev/null; then
    export RCLONE_CONFIG_COFFER_TYPE=s3 RCLONE_CONFIG_COFFER_PROVIDER=Other
    export RCLONE_CONFIG_COFFER_ACCESS_KEY_ID=$AK RCLONE_CONFIG_COFFER_SECRET_ACCESS_KEY=$SK
    export RCLONE_CONFIG_COFFER_ENDPOINT=$EP RCLONE_CONFIG_COFFER_REGION=us-east-1
    export RCLONE_CONFIG_COFFER_FORCE_PATH_STYLE=true
    RC="env -u AWS_CA_BUNDLE rclone --config /dev/null --s3-upload-cutoff 64M"
    check "rclone mkdir" $RC mkdir coffer:rclone-bkt
    check "rclone copy" $RC copy "$T/src" coffer:rclone-bkt/tree
    check "rclone check" $RC check "$T/src" coffer:rclone-bkt/tree
    check "rclone copy back bytes" bash -c "$RC copy coffer:rclone-bkt/tree '$T/out/rclone' && diff -r '$T/src' '$T/out/rclone'"
    check "rclone purge" $RC purge coffer:rclone-bkt
fi

# curl signs an empty payload hash unless told otherwise; S3 users say UNSIGNED-PAYLOAD
CURL="curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user $AK:$SK -H x-amz-content-sha256:UNSIGNED-PAYLOAD"
check "curl sigv4 create bucket" $CURL -X PUT "$EP/curl-bkt"
check "curl sigv4 put" $CURL -T "$T/src/hello.txt" "$EP/curl-bkt/hi%20there.txt"
check "curl sigv4 get bytes" bash -c "$CURL '$EP/curl-bkt/hi%20there.txt' | cmp - '$T/src/hello.txt'"
check "curl unsigned is 403" bash -c "test \$(curl -s -o /dev/null -w '%{http_code}' '$EP/curl-bkt/hi%20there.txt') = 403"

echo "RESULT: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
