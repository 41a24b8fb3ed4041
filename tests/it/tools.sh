#!/usr/bin/env bash
# tests/it/tools.sh -- coffer driven by the real command-line clients: AWS CLI
# (Debian's v2 and the image's v1 when present), s3cmd, rclone, and curl (SigV4
# and a presigned URL). Each check compares bytes or exit statuses; the script
# prints PASS/FAIL per check and "RESULT: N passed, N failed". The clients keep
# their default multipart behaviour: a ~40 MiB file goes up in parts with every
# tool (AWS CLI 8 MiB parts, s3cmd and rclone 5 MiB). On failure the tail of
# the server log is printed; COFFER_TOOLS_KEEP=1 keeps the temporary directory.
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
# the client and version the checks below belong to, for the compatibility matrix
# (tests/it/lib/compat.py): set by compat_client before each client's block
CLIENT=
CLIENT_VERSION=
compat_client() { # compat_client NAME VERSION-COMMAND...
    CLIENT=$1
    shift
    # the first word of its version line with a digit in it: aws-cli/2.9.19, 2.3.0, v1.60.1
    CLIENT_VERSION=$("$@" 2>&1 | head -n 1 | tr ' \t' '\n\n' | grep -m1 '[0-9]')
}
compat() { # compat OPERATION PASS|FAIL|SKIP
    [ -n "$CLIENT" ] && printf 'COMPAT\t%s\t%s\t%s\t%s\n' "$CLIENT" "$CLIENT_VERSION" "$1" "$2"
    return 0
}
check() { # check NAME COMMAND... : passes when the command exits 0
    local name=$1
    shift
    if "$@" >>"$T/checks.log" 2>&1; then
        echo "PASS $name"
        passed=$((passed + 1))
        compat "$name" PASS
    else
        echo "FAIL $name"
        failed=$((failed + 1))
        compat "$name" FAIL
        tail -n 5 "$T/checks.log" | sed 's/^/    /'
    fi
}
skip() { # skip NAME WHY
    echo "SKIP $1: $2"
    skipped=$((skipped + 1))
    compat "$1" SKIP
}
skipped=0
cleanup() {
    [ -n "${SPID:-}" ] && kill -TERM "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    if [ "$failed" -ne 0 ] && [ -s "$T/server.log" ]; then
        echo "server log (tail):"
        tail -n 20 "$T/server.log" | sed 's/^/    /'
    fi
    if [ -n "${COFFER_TOOLS_KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
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
HELLO_ETAG=$(md5sum <"$T/src/hello.txt" | cut -d' ' -f1)
# 40 MiB less a little: 5 parts of 8 MiB for the AWS CLI (the last one short),
# 8 parts of 5 MiB for s3cmd and rclone
BIGSIZE=$((40 * 1048576 - 12345))
mkdir -p "$T/big"
head -c $BIGSIZE /dev/urandom >"$T/big/forty"
mp_etag() { # mp_etag FILE PART-BYTES : S3's multipart ETag, md5 of the parts' md5s "-" count
    python3 - "$1" "$2" <<'PY'
import hashlib, sys
ds = []
with open(sys.argv[1], "rb") as f:
    while True:
        b = f.read(int(sys.argv[2]))
        if not b:
            break
        ds.append(hashlib.md5(b).digest())
print("%s-%d" % (hashlib.md5(b"".join(ds)).hexdigest(), len(ds)))
PY
}
ETAG8=$(mp_etag "$T/big/forty" 8388608)
ETAG5=$(mp_etag "$T/big/forty" 5242880)
# bytes 8 MiB - 8 .. 8 MiB + 7 straddle the first part boundary; part 2 is the second 8 MiB
dd if="$T/big/forty" of="$T/big-seam" bs=1 skip=8388600 count=16 status=none
dd if="$T/big/forty" of="$T/big-part2" bs=1M skip=8 count=8 status=none

export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
# no configuration but the keys and the region: each CLI's defaults (v1 presigns with
# SigV2, v2 with SigV4; multipart threshold and chunk size 8 MiB)
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# empty and one-byte files uploaded one at a time over one kept-alive connection.
# botocore sends "Expect: 100-continue" even with an empty body; a final response
# without "100 Continue" first leaves its connection expecting that status line
# again, so the next PUT on it waits out the read timeout and is retried
# (boto/botocore#3755): in a sync that is a silent 60 s stall. A server avoids
# it by writing "100 Continue" for an empty body too; where it does not, the
# check fails (AWS_MAX_ATTEMPTS=1, a 2 s read timeout).
mkdir -p "$T/seq"
for f in a c e; do : >"$T/seq/$f-empty"; done
for f in b d f; do printf $f >"$T/seq/$f-one"; done
printf '[default]\ns3 =\n  max_concurrent_requests = 1\n' >"$T/aws-serial.config"

same() { cmp -s "$1" "$2"; }
# curl signs an empty payload hash unless told otherwise; S3 users say UNSIGNED-PAYLOAD
CURL="curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user $AK:$SK -H x-amz-content-sha256:UNSIGNED-PAYLOAD"
etag_is() { # etag_is URL-PATH ETAG : a signed HEAD shows that ETag (a multipart one says how many parts)
    $CURL -I "$EP/$1" | tr -d '\r' | grep -qix "etag: \"$2\""
}

run_awscli() { # run_awscli LABEL AWS-BINARY
    local label=$1 aws=$2 b=cli-$1
    check "$label mb" "$aws" --endpoint-url "$EP" s3 mb "s3://$b"
    check "$label cp up" "$aws" --endpoint-url "$EP" s3 cp "$T/src/five-mb" "s3://$b/dir/five-mb"
    check "$label cp down bytes" bash -c "'$aws' --endpoint-url '$EP' s3 cp 's3://$b/dir/five-mb' '$T/out/$label-five' && cmp '$T/src/five-mb' '$T/out/$label-five'"
    check "$label empty then non-empty PUTs on one connection" env AWS_CONFIG_FILE="$T/aws-serial.config" AWS_MAX_ATTEMPTS=1 \
        "$aws" --cli-read-timeout 2 --endpoint-url "$EP" s3 cp --only-show-errors --recursive "$T/seq" "s3://$b/seq/"
    check "$label sync" "$aws" --endpoint-url "$EP" s3 sync "$T/src" "s3://$b/synced"
    check "$label ls recursive" bash -c "'$aws' --endpoint-url '$EP' s3 ls --recursive 's3://$b/synced/' | grep -c . | grep -qx 5"
    check "$label sync back bytes" bash -c "'$aws' --endpoint-url '$EP' s3 sync 's3://$b/synced' '$T/out/$label-sync' && diff -r '$T/src' '$T/out/$label-sync'"
    # --delete both ways: a file gone locally goes from the bucket, a key gone from the bucket goes locally
    rm "$T/out/$label-sync/one"
    check "$label sync up --delete" bash -c "'$aws' --endpoint-url '$EP' s3 sync --delete '$T/out/$label-sync' 's3://$b/synced' && ! '$aws' --endpoint-url '$EP' s3 ls 's3://$b/synced/one' && test \$('$aws' --endpoint-url '$EP' s3 ls --recursive 's3://$b/synced/' | grep -c .) = 4"
    check "$label sync down --delete" bash -c "'$aws' --endpoint-url '$EP' s3 rm 's3://$b/synced/empty' && cp '$T/src/one' '$T/out/$label-sync/one' && '$aws' --endpoint-url '$EP' s3 sync --delete 's3://$b/synced' '$T/out/$label-sync' && test ! -e '$T/out/$label-sync/empty' && test ! -e '$T/out/$label-sync/one' && cmp '$T/src/five-mb' '$T/out/$label-sync/five-mb'"
    check "$label s3api head-object" bash -c "'$aws' --endpoint-url '$EP' s3api head-object --bucket $b --key synced/sub/chunky | grep -q '\"ContentLength\": 131073'"
    check "$label s3api range" bash -c "'$aws' --endpoint-url '$EP' s3api get-object --bucket $b --key synced/sub/chunky --range bytes=131070-131072 '$T/out/$label-range' >/dev/null && cmp <(tail -c 3 '$T/src/sub/chunky') '$T/out/$label-range'"
    check "$label presign + curl" bash -c "curl -sf \"\$('$aws' --endpoint-url '$EP' s3 presign 's3://$b/synced/hello.txt' --expires-in 60)\" | cmp - '$T/src/hello.txt'"
    check "$label missing key fails" bash -c "! '$aws' --endpoint-url '$EP' s3 cp 's3://$b/nope' '$T/out/nope' 2>/dev/null"
    run_awscli_multipart "$label" "$aws" "$b"
    check "$label rm recursive" "$aws" --endpoint-url "$EP" s3 rm --recursive "s3://$b"
    check "$label rb" "$aws" --endpoint-url "$EP" s3 rb "s3://$b"
}
run_awscli_multipart() { # run_awscli_multipart LABEL AWS-BINARY BUCKET : default multipart settings
    # each CLI start costs about a second: what the CLI itself does not need to show is checked with curl
    local label=$1 aws=$2 b=$3 uid
    local A="'$aws' --endpoint-url '$EP'"
    check "$label mp cp up" "$aws" --endpoint-url "$EP" s3 cp "$T/big/forty" "s3://$b/big/forty"
    check "$label mp head-object etag" bash -c "test \"\$($A s3api head-object --bucket $b --key big/forty --query ETag --output text)\" = '\"$ETAG8\"'"
    check "$label mp cp down bytes" bash -c "$A s3 cp 's3://$b/big/forty' '$T/out/$label-forty' && cmp '$T/big/forty' '$T/out/$label-forty'"
    rm -f "$T/out/$label-forty"
    check "$label mp get part 2" bash -c "$A s3api get-object --bucket $b --key big/forty --part-number 2 '$T/out/$label-part2' | grep -q '\"PartsCount\": 5' && cmp '$T/big-part2' '$T/out/$label-part2'"
    check "$label mp range across parts" bash -c "$CURL -r 8388600-8388615 '$EP/$b/big/forty' | cmp - '$T/big-seam'"
    # above the threshold the CLI copies with UploadPartCopy and byte ranges
    check "$label mp server-side copy" "$aws" --endpoint-url "$EP" s3 cp "s3://$b/big/forty" "s3://$b/big/copy of forty"
    check "$label mp server-side copy bytes" bash -c "$CURL '$EP/$b/big/copy%20of%20forty' | cmp - '$T/big/forty'"
    check "$label mp server-side copy etag" etag_is "$b/big/copy%20of%20forty" "$ETAG8"
    check "$label mp stdin stream" bash -c "cat '$T/big/forty' | $A s3 cp - 's3://$b/stream/from stdin+1.bin' --expected-size $BIGSIZE"
    check "$label mp stdin stream bytes" bash -c "$CURL '$EP/$b/stream/from%20stdin%2B1.bin' | cmp - '$T/big/forty'"
    check "$label mp stdin stream etag" etag_is "$b/stream/from%20stdin%2B1.bin" "$ETAG8"
    uid=$("$aws" --endpoint-url "$EP" s3api create-multipart-upload --bucket "$b" --key pending/obj --query UploadId --output text 2>>"$T/checks.log")
    check "$label create-multipart-upload" test -n "$uid" -a "$uid" != None
    check "$label list-multipart-uploads" bash -c "test \"\$($A s3api list-multipart-uploads --bucket $b --query 'Uploads[].[Key,UploadId]' --output text)\" = 'pending/obj	$uid'"
    check "$label abort-multipart-upload" "$aws" --endpoint-url "$EP" s3api abort-multipart-upload --bucket "$b" --key pending/obj --upload-id "$uid"
    check "$label list-multipart-uploads empty" bash -c "out=\$($A s3api list-multipart-uploads --bucket $b --output json) && ! grep -q pending/obj <<<\"\$out\""
}
if [ -x /usr/bin/aws ]; then
    compat_client aws-cli-v2 /usr/bin/aws --version
    run_awscli v2 /usr/bin/aws
else
    CLIENT=aws-cli-v2 CLIENT_VERSION=none skip "v2 s3 and s3api" "Debian's awscli is not installed"
fi
# the v1 CLI is behind a pyenv shim that costs a second a start: run the script itself
AWS1=$(pyenv which aws 2>/dev/null || command -v aws)
if [ -n "$AWS1" ] && [ "$AWS1" != /usr/bin/aws ]; then
    compat_client aws-cli-v1 "$AWS1" --version
    run_awscli v1 "$AWS1"
else
    CLIENT=aws-cli-v1 CLIENT_VERSION=none skip "v1 s3 and s3api" "no AWS CLI v1 here"
fi

if command -v s3cmd >/dev/null; then
    compat_client s3cmd s3cmd --version
    # only the keys and the host (plain http): every other setting is s3cmd's default
    cat >"$T/s3cfg" <<CFG
[default]
access_key = $AK
secret_key = $SK
host_base = 127.0.0.1:$PORT
host_bucket = 127.0.0.1:$PORT
use_https = False
CFG
    S3CMD="s3cmd -c $T/s3cfg"
    check "s3cmd mb" $S3CMD mb s3://s3cmd-bkt
    check "s3cmd put" $S3CMD put "$T/src/sub/chunky" s3://s3cmd-bkt/a/chunky
    check "s3cmd get bytes" bash -c "$S3CMD get s3://s3cmd-bkt/a/chunky '$T/out/s3cmd-chunky' && cmp '$T/src/sub/chunky' '$T/out/s3cmd-chunky'"
    check "s3cmd ls" bash -c "$S3CMD ls s3://s3cmd-bkt/a/ | grep -q 'a/chunky'"
    # 5 MiB parts: 8 of them; s3cmd keeps the whole file's md5 in its attrs and checks it on get
    check "s3cmd put multipart" $S3CMD put --multipart-chunk-size-mb=5 "$T/big/forty" s3://s3cmd-bkt/big/forty
    check "s3cmd multipart etag" etag_is s3cmd-bkt/big/forty "$ETAG5"
    check "s3cmd get multipart bytes" bash -c "$S3CMD get s3://s3cmd-bkt/big/forty '$T/out/s3cmd-forty' && cmp '$T/big/forty' '$T/out/s3cmd-forty'"
    rm -f "$T/out/s3cmd-forty"
    # an upload left in progress (begun with curl: its SigV4 in curl 7.88 signs "?uploads"
    # as the query "uploads", not "uploads=", so the URL spells the empty value out)
    uid=$($CURL -X POST "$EP/s3cmd-bkt/pending/obj?uploads=" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
    check "curl create multipart upload" test -n "$uid"
    check "curl upload part" $CURL -T "$T/src/hello.txt" "$EP/s3cmd-bkt/pending/obj?partNumber=3&uploadId=$uid"
    check "s3cmd multipart lists upload" bash -c "$S3CMD multipart s3://s3cmd-bkt | grep -F 's3://s3cmd-bkt/pending/obj' | grep -qF -- '$uid'"
    check "s3cmd listmp lists part" bash -c "$S3CMD listmp s3://s3cmd-bkt/pending/obj '$uid' | grep -qP '\t3\t\"$HELLO_ETAG\"\t14\$'"
    check "s3cmd abortmp" $S3CMD abortmp s3://s3cmd-bkt/pending/obj "$uid"
    check "s3cmd multipart empty after abort" bash -c "out=\$($S3CMD multipart s3://s3cmd-bkt) && ! grep -q pending/obj <<<\"\$out\""
    check "s3cmd del multipart" $S3CMD del s3://s3cmd-bkt/big/forty
    check "s3cmd del" $S3CMD del s3://s3cmd-bkt/a/chunky
    check "s3cmd rb" $S3CMD rb s3://s3cmd-bkt
else
    CLIENT=s3cmd CLIENT_VERSION=none skip "s3cmd" "s3cmd is not installed"
fi

if command -v rclone >/dev/null; then
    export RCLONE_CONFIG_COFFER_TYPE=s3 RCLONE_CONFIG_COFFER_PROVIDER=Other
    export RCLONE_CONFIG_COFFER_ACCESS_KEY_ID=$AK RCLONE_CONFIG_COFFER_SECRET_ACCESS_KEY=$SK
    export RCLONE_CONFIG_COFFER_ENDPOINT=$EP RCLONE_CONFIG_COFFER_REGION=us-east-1
    export RCLONE_CONFIG_COFFER_FORCE_PATH_STYLE=true
    RC="env -u AWS_CA_BUNDLE rclone --config /dev/null"
    compat_client rclone rclone version
    check "rclone mkdir" $RC mkdir coffer:rclone-bkt
    check "rclone copy" $RC copy "$T/src" coffer:rclone-bkt/tree
    check "rclone check" $RC check "$T/src" coffer:rclone-bkt/tree
    check "rclone copy back bytes" bash -c "$RC copy coffer:rclone-bkt/tree '$T/out/rclone' && diff -r '$T/src' '$T/out/rclone'"
    # 8 parts of 5 MiB, four in flight at once; rclone keeps the md5 in X-Amz-Meta-Md5chksum
    check "rclone copyto multipart" $RC copyto --s3-upload-cutoff 5M --s3-chunk-size 5M --s3-upload-concurrency 4 \
        "$T/big/forty" coffer:rclone-bkt/big/forty
    check "rclone cat multipart bytes" bash -c "$RC cat coffer:rclone-bkt/big/forty | cmp - '$T/big/forty'"
    check "rclone check multipart" $RC check "$T/big" coffer:rclone-bkt/big
    check "rclone md5sum multipart" bash -c "test \"\$($RC md5sum coffer:rclone-bkt/big/forty)\" = \"\$(cd '$T/big' && md5sum forty)\""
    check "rclone multipart etag" etag_is rclone-bkt/big/forty "$ETAG5"
    # cat --offset/--count: a ranged GET from the middle of part 2 across into part 3
    check "rclone cat --offset --count" bash -c "$RC cat --offset 10485000 --count 1000000 coffer:rclone-bkt/big/forty | cmp - <(tail -c +10485001 '$T/big/forty' | head -c 1000000)"
    check "rclone sync --delete" bash -c "rm -f '$T/out/rclone/one' && $RC sync '$T/out/rclone' coffer:rclone-bkt/tree && $RC lsf -R coffer:rclone-bkt/tree | sort | tr '\n' ' ' | grep -qx 'empty five-mb hello.txt sub/ sub/chunky '"
    check "rclone purge" $RC purge coffer:rclone-bkt
else
    CLIENT=rclone CLIENT_VERSION=none skip "rclone" "rclone is not installed"
fi

compat_client curl curl --version
check "curl sigv4 create bucket" $CURL -X PUT "$EP/curl-bkt"
# a plain `curl --aws-sigv4 -T` sends no x-amz-content-sha256 (curl 7.88 signs an empty
# payload): S3's InvalidRequest names the header to add, before a byte is stored
check "curl sigv4 -T without x-amz-content-sha256: InvalidRequest names it" bash -c "curl -s --aws-sigv4 aws:amz:us-east-1:s3 --user $AK:$SK -T '$T/src/hello.txt' '$EP/curl-bkt/plain' | grep -qF '<Code>InvalidRequest</Code><Message>Missing required header for this request: x-amz-content-sha256</Message>' && test \$($CURL -o /dev/null -w '%{http_code}' -I '$EP/curl-bkt/plain' || true) = 404"
check "curl sigv4 put" $CURL -T "$T/src/hello.txt" "$EP/curl-bkt/hi%20there.txt"
check "curl sigv4 get bytes" bash -c "$CURL '$EP/curl-bkt/hi%20there.txt' | cmp - '$T/src/hello.txt'"
check "curl unsigned is 403" bash -c "test \$(curl -s -o /dev/null -w '%{http_code}' '$EP/curl-bkt/hi%20there.txt') = 403"

echo "RESULT: $passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
[ "$failed" -eq 0 ]
