#!/usr/bin/env bash
# tests/it/access_log.sh -- the access log of the real binary (--access-log FILE), driven by
# curl --aws-sigv4 and boto3: a PUT, GET, ranged GET, HEAD, 404 GET, a bad signature, an
# anonymous request, an undecodable URI, presigned URLs (good and tampered), boto3's PUT and
# GET, a client bound to 127.0.0.2, a user agent with quotes and UTF-8. Every line must parse
# with one regular expression (the same that parses the two worked examples of doc/formats.md
# "Access log"), and each request's fields are checked exactly: status, error code, bytes
# sent, object size, operation, key, requester, remote address, signature version and auth
# type, request id (= x-amz-request-id), time. No signature and no secret may appear in the
# file. Then SIGHUP rotation (every line in the old file or the new one, none lost) and 8
# concurrent clients (every line whole). Prints PASS/FAIL per check and
# "RESULT: N passed, N failed"; COFFER_ALOG_KEEP=1 keeps the temporary directory.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${COFFER_BIN:-$ROOT/build/release/coffer}
T=$(mktemp -d /tmp/coffer-alog-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
EP=http://127.0.0.1:$PORT
AK=CFALOGADMIN000000001
SK=alog-secret-0123456789abcdefghijklmnopq
B=alog-bucket
LOG=$T/access.log
cleanup() {
    [ -n "${SPID:-}" ] && kill -TERM "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    if [ -n "${COFFER_ALOG_KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
PY=
for py in python3 /usr/bin/python3; do
    if "$py" -c 'import boto3' 2>/dev/null; then PY=$py; break; fi
done
if [ -z "$PY" ]; then
    echo "FAIL no python3 with boto3"
    echo "RESULT: 0 passed, 1 failed"
    exit 1
fi

date +%s >"$T/t0"
COFFER_DATA=$T/data COFFER_ADDR=127.0.0.1:$PORT COFFER_ACCESS_KEY=$AK COFFER_SECRET_KEY=$SK \
    COFFER_LOG=warn "$BIN" serve --access-log "$LOG" >"$T/server.log" 2>&1 &
SPID=$!
for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
    sleep 0.1
done

# Every request is tagged by its user agent (-A), which the checker finds its line by.
# -D keeps the response head (x-amz-request-id), -o the body (its exact size), -v the
# request as sent (the Authorization header's signature, to look for in the log).
SIGN=(--aws-sigv4 aws:amz:us-east-1:s3 --user "$AK:$SK" -H x-amz-content-sha256:UNSIGNED-PAYLOAD)
req() { # req TAG CURL-ARGS... : one request, its head, body and trace under $T/r/TAG.*
    local tag=$1
    shift
    curl -s -A "$tag" -D "$T/r/$tag.head" -o "$T/r/$tag.body" -v "$@" 2>"$T/r/$tag.trace"
}
mkdir -p "$T/r"
printf 'hello, coffer' >"$T/hello"
req t-mb "${SIGN[@]}" -X PUT "$EP/$B"
req t-put "${SIGN[@]}" -T "$T/hello" "$EP/$B/dir/hello%20world.txt"
req t-get "${SIGN[@]}" "$EP/$B/dir/hello%20world.txt"
req t-range "${SIGN[@]}" -r 2-5 "$EP/$B/dir/hello%20world.txt"
req t-head "${SIGN[@]}" -I "$EP/$B/dir/hello%20world.txt"
req t-404 "${SIGN[@]}" "$EP/$B/nope"
req t-badsig --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK:wrong-secret" \
    -H x-amz-content-sha256:UNSIGNED-PAYLOAD "$EP/$B/dir/hello%20world.txt"
req t-anon "$EP/$B/dir/hello%20world.txt"
req t-baduri "${SIGN[@]}" "$EP/$B/bad%zzuri"
req t-list "${SIGN[@]}" "$EP/$B?list-type=2&prefix=dir%2F"
# a client bound to 127.0.0.2 (all of 127/8 is loopback on Linux)
if curl -s -o /dev/null --interface 127.0.0.2 "$EP/" 2>/dev/null; then
    req t-iface --interface 127.0.0.2 "${SIGN[@]}" "$EP/$B/dir/hello%20world.txt"
else
    : >"$T/no-127.0.0.2"
fi
# quotes, a backslash and UTF-8 in the user agent (the tag is its start)
curl -s -o /dev/null -A $'t-ua "q" \\ caf\xc3\xa9' "${SIGN[@]}" "$EP/$B/dir/hello%20world.txt"

# boto3: its PUT (aws-chunked with a CRC trailer where the SDK does so), its GET, and two
# presigned URLs fetched with curl: one as made, one with its signature altered
"$PY" - "$EP" "$AK" "$SK" "$B" "$T" <<'PY' >"$T/boto3.out" 2>&1
import sys, urllib.parse
import boto3
from botocore.config import Config
ep, ak, sk, b, t = sys.argv[1:6]
def client(tag):
    return boto3.client("s3", endpoint_url=ep, aws_access_key_id=ak, aws_secret_access_key=sk,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, user_agent_extra=tag,
                                      retries={"max_attempts": 1}))
data = bytes(range(256)) * 40  # 10240 bytes
client("t-boto3-put").put_object(Bucket=b, Key="boto/obj.bin", Body=data)
got = client("t-boto3-get").get_object(Bucket=b, Key="boto/obj.bin")
assert got["Body"].read() == data
def presign(version):
    c = boto3.client("s3", endpoint_url=ep, aws_access_key_id=ak, aws_secret_access_key=sk,
                     region_name="us-east-1",
                     config=Config(s3={"addressing_style": "path"}, signature_version=version))
    return c.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "dir/hello world.txt"},
                                    ExpiresIn=300)
url = presign("s3v4")
sig = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["X-Amz-Signature"][0]
bad_sig = ("0" if sig[0] != "0" else "1") + sig[1:]
v2 = presign("s3")  # SigV2, which coffer refuses: its Signature must not be logged either
v2_sig = urllib.parse.parse_qs(urllib.parse.urlparse(v2).query)["Signature"][0]
open(t + "/presigned.url", "w").write(url)
open(t + "/presigned-bad.url", "w").write(url.replace(sig, bad_sig))
open(t + "/presigned-v2.url", "w").write(v2)
with open(t + "/signatures", "a") as f:
    # as they travel in the URL (percent-encoded) and decoded
    for s in (sig, bad_sig, v2_sig, urllib.parse.quote(v2_sig, safe="")):
        f.write(s + "\n")
print("ok")
PY
req t-presigned "$(cat "$T/presigned.url" 2>/dev/null)"
req t-presigned-bad "$(cat "$T/presigned-bad.url" 2>/dev/null)"
req t-presigned-v2 "$(cat "$T/presigned-v2.url" 2>/dev/null)"
# the Authorization headers' signatures curl sent
grep -ohE 'Signature=[0-9a-f]{64}' "$T"/r/*.trace | cut -d= -f2 >>"$T/signatures"
date +%s >"$T/t1"


cat >"$T/check.py" <<'PY'
import os, re, sys, time, calendar
mode, t, log, ak, sk, doc = sys.argv[1:7]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(doc)), "..", "tests", "it"))
from s3_helpers import ACCESS_LOG_LINE as LINE  # noqa: E402
passed = failed = 0
def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS " + name)
    else:
        failed += 1
        print("FAIL " + name + (": " + detail if detail else ""))


def first():
    # the worked examples of the doc parse with the same expression
    ex = [l.rstrip("\n") for l in open(doc) if l.startswith("- photos [06/Feb/2019:")]
    check("doc has the two worked examples", len(ex) == 2, "%d found" % len(ex))
    m0 = LINE.match(ex[0]) if ex else None
    check("doc example 1 parses", bool(m0) and m0["status"] == "206" and m0["bytes_sent"] == "1024"
          and m0["object_size"] == "48213" and m0["key"] == "2019/cat%20pic.jpg"
          and m0["auth_type"] == "AuthHeader", ex[0] if ex else "")
    m1 = LINE.match(ex[1]) if len(ex) > 1 else None
    check("doc example 2 parses", bool(m1) and m1["status"] == "403" and m1["error_code"] == "AccessDenied"
          and m1["requester"] == "-" and m1["remote"] == "2001:db8::7"
          and m1["request_uri"].endswith("X-Amz-Signature=REDACTED HTTP/1.1"), ex[1] if len(ex) > 1 else "")

    # wait for the last request's line (written after its response went out)
    for _ in range(50):
        if "t-presigned-v2" in open(log, errors="replace").read():
            break
        time.sleep(0.1)
    raw = open(log, "rb").read()
    lines = raw.decode("ascii", errors="replace").split("\n")
    check("file ends with a newline", raw.endswith(b"\n"))
    lines = lines[:-1]
    check("file is printable ASCII", all(c == 10 or 32 <= c < 127 for c in raw))
    bad = [l for l in lines if not LINE.match(l)]
    check("every line parses (%d lines)" % len(lines), not bad and len(lines) >= 15, "; ".join(bad[:3]))
    by_tag = {}
    for l in lines:
        m = LINE.match(l)
        if m:
            ua = m["user_agent"]
            tag = ua.split(" ")[0] if ua.startswith("t-") else next((w for w in ua.split(" ") if w.startswith("t-")), ua)
            by_tag[tag] = m

    t0, t1 = int(open(t + "/t0").read()), int(open(t + "/t1").read())
    def body_len(tag):
        return os.path.getsize("%s/r/%s.body" % (t, tag))
    def head_id(tag):
        for h in open("%s/r/%s.head" % (t, tag), errors="replace"):
            if h.lower().startswith("x-amz-request-id:"):
                return h.split(":", 1)[1].strip()
        return None
    def fields(tag, **want):
        m = by_tag.get(tag)
        if not m:
            check(tag + " logged", False, "no line")
            return
        got = {k: m[k] for k in want}
        check(tag + " fields", got == want,
              "; ".join("%s=%r (want %r)" % (k, got[k], want[k]) for k in want if got[k] != want[k]))
        tm = calendar.timegm(time.strptime(m["time"], "%d/%b/%Y:%H:%M:%S +0000"))
        check(tag + " time and total", t0 - 1 <= tm <= t1 + 1 and int(m["total_ms"]) < 10000,
              "%s %s" % (m["time"], m["total_ms"]))
        if os.path.exists("%s/r/%s.head" % (t, tag)):
            check(tag + " request id is x-amz-request-id", m["request_id"] == head_id(tag),
                  "%s vs %s" % (m["request_id"], head_id(tag)))

    signed = dict(remote="127.0.0.1", requester=ak, sig_version="SigV4", auth_type="AuthHeader")
    anon = dict(remote="127.0.0.1", requester="-", sig_version="-", auth_type="-")
    K = "dir/hello%20world.txt"
    fields("t-mb", operation="REST.PUT.BUCKET", bucket="alog-bucket", key="-", status="200",
           error_code="-", bytes_sent="-", object_size="-", request_uri="PUT /alog-bucket HTTP/1.1", **signed)
    fields("t-put", operation="REST.PUT.OBJECT", bucket="alog-bucket", key=K, status="200",
           error_code="-", bytes_sent="-", object_size="13",
           request_uri="PUT /alog-bucket/dir/hello%20world.txt HTTP/1.1", **signed)
    fields("t-get", operation="REST.GET.OBJECT", key=K, status="200", error_code="-",
           bytes_sent="13", object_size="13", **signed)
    fields("t-range", operation="REST.GET.OBJECT", key=K, status="206", error_code="-",
           bytes_sent="4", object_size="13", **signed)
    fields("t-head", operation="REST.HEAD.OBJECT", key=K, status="200", error_code="-",
           bytes_sent="-", object_size="13", **signed)
    fields("t-404", operation="REST.GET.OBJECT", key="nope", status="404", error_code="NoSuchKey",
           bytes_sent=str(body_len("t-404")), object_size="-", **signed)
    fields("t-badsig", operation="REST.GET.OBJECT", key=K, status="403",
           error_code="SignatureDoesNotMatch", bytes_sent=str(body_len("t-badsig")), **anon)
    fields("t-anon", operation="REST.GET.OBJECT", key=K, status="403", error_code="AccessDenied",
           bytes_sent=str(body_len("t-anon")), **anon)
    fields("t-baduri", operation="REST.GET.SERVICE", bucket="-", key="-", status="400",
           error_code="InvalidArgument", bytes_sent=str(body_len("t-baduri")),
           request_uri="GET /alog-bucket/bad%zzuri HTTP/1.1", **anon)
    fields("t-list", operation="REST.GET.BUCKET", bucket="alog-bucket", key="-", status="200",
           error_code="-", bytes_sent=str(body_len("t-list")),
           request_uri="GET /alog-bucket?list-type=2&prefix=dir%2F HTTP/1.1", **signed)
    if os.path.exists(t + "/no-127.0.0.2"):
        print("SKIP t-iface: curl cannot bind 127.0.0.2 on this machine")
    else:
        fields("t-iface", operation="REST.GET.OBJECT", key=K, status="200", bytes_sent="13",
               remote="127.0.0.2", requester=ak, sig_version="SigV4", auth_type="AuthHeader")
    check("user agent with quotes, backslash, UTF-8 escaped",
          any(LINE.match(l)["user_agent"] == 't-ua \\x22q\\x22 \\x5C caf\\xC3\\xA9' for l in lines if LINE.match(l)))
    fields("t-boto3-put", operation="REST.PUT.OBJECT", key="boto/obj.bin", status="200",
           error_code="-", bytes_sent="-", object_size="10240", **signed)
    fields("t-boto3-get", operation="REST.GET.OBJECT", key="boto/obj.bin", status="200",
           error_code="-", bytes_sent="10240", object_size="10240", **signed)
    pre = by_tag.get("t-presigned")
    fields("t-presigned", operation="REST.GET.OBJECT", key=K, status="200", error_code="-",
           bytes_sent="13", remote="127.0.0.1", requester=ak, sig_version="SigV4", auth_type="QueryString")
    check("presigned request-URI redacted",
          bool(pre) and "&X-Amz-Signature=REDACTED HTTP/1.1" in pre["request_uri"]
          and "X-Amz-Credential=" + ak in pre["request_uri"], pre["request_uri"] if pre else "")
    fields("t-presigned-bad", operation="REST.GET.OBJECT", key=K, status="403",
           error_code="SignatureDoesNotMatch", **anon)
    v2 = by_tag.get("t-presigned-v2")
    fields("t-presigned-v2", operation="REST.GET.OBJECT", key=K, status="200", error_code="-",
           bytes_sent="13", remote="127.0.0.1", requester=ak, sig_version="SigV2",
           auth_type="QueryString")
    check("SigV2 presigned request-URI redacted",
          bool(v2) and "&Signature=REDACTED&" in v2["request_uri"] + "&", v2["request_uri"] if v2 else "")
    sigs = [s for s in open(t + "/signatures").read().split() if s]
    check("signatures were captured (%d)" % len(sigs), len(sigs) >= 14)
    text = raw.decode("ascii", errors="replace")
    leaked = [s for s in sigs if s in text]
    check("no signature in the log", not leaked, ", ".join(leaked[:3]))
    check("no secret in the log", sk not in text and "wrong-secret" not in text)

def rotated():
    """SIGHUP rotation and 8 concurrent clients: every line whole, in one of the two files."""
    old = open(log + ".1", "rb").read().decode("ascii", "replace").split("\n")[:-1]
    new = open(log, "rb").read().decode("ascii", "replace").split("\n")[:-1]
    n0 = int(open(t + "/n0").read())
    check("old file kept its %d lines after the rotation" % n0, len(old) == n0, "%d" % len(old))
    check("request after SIGHUP in the new file only",
          any("\"t-rotated\"" in l for l in new) and not any("t-rotated" in l for l in old))
    bad = [l for l in old + new if not LINE.match(l)]
    check("every line of both files parses (%d)" % (len(old) + len(new)), not bad, "; ".join(bad[:3]))
    conc = [LINE.match(l) for l in old + new if re.search(r'"c-\d"', l)]
    check("200 concurrent requests, 200 whole lines", len(conc) == 200, "%d" % len(conc))
    per = {}
    for m in conc:
        if m:
            per[m["user_agent"]] = per.get(m["user_agent"], 0) + 1
            if m["status"] != "200" or m["bytes_sent"] != "13":
                per["bad"] = per.get("bad", 0) + 1
    check("25 lines per concurrent client, each 200 with 13 bytes",
          per == {"c-%d" % i: 25 for i in range(8)}, repr(per))

if mode == "first":
    first()
else:
    rotated()
print("RESULT: %d passed, %d failed" % (passed, failed))
PY
tally() { # tally OUTPUT-FILE : prints its lines (but RESULT) and adds its counts
    grep -v '^RESULT' "$1"
    local line
    line=$(grep -E '^RESULT: [0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL checker died"
        failed=$((failed + 1))
        return
    fi
    passed=$((passed + $(echo "$line" | sed -E 's/RESULT: ([0-9]+) passed.*/\1/')))
    failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
}
passed=0
failed=0
"$PY" "$T/check.py" first "$T" "$LOG" "$AK" "$SK" "$ROOT/doc/formats.md" >"$T/check1.out" 2>&1
tally "$T/check1.out"

# rotation: move the file away, SIGHUP, and the next line is in a new file
wc -l <"$LOG" | tr -d ' ' >"$T/n0"
mv "$LOG" "$LOG.1"
kill -HUP "$SPID"
for _ in $(seq 50); do
    [ -e "$LOG" ] && break
    sleep 0.1
done
curl -s -o /dev/null -A t-rotated "${SIGN[@]}" "$EP/$B/dir/hello%20world.txt"
# 8 clients at once, 25 GETs each on one connection
for i in $(seq 0 7); do
    urls=()
    for _ in $(seq 25); do urls+=("$EP/$B/dir/hello%20world.txt" -o /dev/null); done
    curl -s -A "c-$i" "${SIGN[@]}" "${urls[@]}" &
done
wait $(jobs -p | grep -v "^$SPID\$") 2>/dev/null
for _ in $(seq 50); do
    [ "$(cat "$LOG" "$LOG.1" | grep -c '"c-[0-7]"')" -ge 200 ] && break
    sleep 0.1
done
sleep 0.2
"$PY" "$T/check.py" rotated "$T" "$LOG" "$AK" "$SK" "$ROOT/doc/formats.md" >"$T/check2.out" 2>&1
tally "$T/check2.out"
if kill -0 "$SPID" 2>/dev/null; then
    echo "PASS server still serving after SIGHUP"
    passed=$((passed + 1))
else
    echo "FAIL server died (SIGHUP?)"
    failed=$((failed + 1))
fi
if [ "$failed" -ne 0 ]; then
    echo "server log (tail):"
    tail -n 20 "$T/server.log" | sed 's/^/    /'
    echo "boto3:"
    sed 's/^/    /' "$T/boto3.out" | tail -n 10
fi
echo "RESULT: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
