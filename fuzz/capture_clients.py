#!/usr/bin/env python3
"""fuzz/capture_clients.py -- records what real S3 clients send to coffer and
turns it into fuzz seeds (fuzz/corpus/README says which files it makes).

    fuzz/capture_clients.py [--keep DIR]    (after `make`; needs the clients)

Starts build/release/coffer on a scratch data directory with the example
credentials of the AWS SigV4 documentation (the secret the s3_sigv4 target's
lookup returns, so captured signatures verify there), puts a recording proxy
in front of it, and runs the AWS CLI, boto3, s3cmd, rclone and curl through
the proxy on small objects. The proxy also listens with TLS (a throwaway
self-signed certificate; the clients skip verification) because that is
when the AWS CLI and boto3 send uploads as aws-chunked with a trailing
checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER); over plain HTTP they sign
the payload and send the checksum as a header. Every connection's
client-to-server bytes are split into requests (head, then Content-Length
bytes, or a Transfer-Encoding: chunked body) and written as:

  http_request/real-<client>-<n>      one request, head and body
  http_session/real-<client>-<n>      '1' (13-byte pieces, handler mode 1),
                                      then consecutive requests of one
                                      connection, as many as fit
  http_chunked/real-<client>-<n>      a split byte, then a Transfer-Encoding:
                                      chunked body (how the AWS CLI and boto3
                                      frame aws-chunked over TLS)
  http_aws_chunked/real-<client>-<n>  control byte (bit 0: want trailers)
                                      then an aws-chunked body
  s3_sigv4/real-<client>-<n>          the target's line format: method,
                                      target, name:value headers, and for a
                                      streaming upload "--" and the body
  s3_xml/real-<client>-<n>            an XML request body

Only files up to MAX_SEED_BYTES are kept; a client missing from PATH is
skipped. Clients differ run to run only in dates, signatures and ids.
"""
import argparse
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
ACCESS = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
MAX_SEED_BYTES = 8192
SESSION_CONTROL = b"1"

label = ["none"]  # the client running now; connections take it when they start
captures = []     # (label, bytes sent by the client on one connection)
lock = threading.Lock()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pipe(src, dst, record):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            if record is not None:
                record.append(b)
            dst.sendall(b)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve_proxy(listener, target_port, tls):
    while True:
        client, _ = listener.accept()
        if tls:
            try:
                client = tls.wrap_socket(client, server_side=True)
            except (ssl.SSLError, OSError):
                client.close()
                continue
        server = socket.create_connection(("127.0.0.1", target_port))
        record = []
        name = label[0]

        def run(c=client, s=server, r=record, n=name):
            back = threading.Thread(target=pipe, args=(s, c, None))
            back.start()
            pipe(c, s, r)
            back.join()
            c.close()
            s.close()
            with lock:
                captures.append((n, b"".join(r)))

        threading.Thread(target=run, daemon=True).start()


def dechunk(data):
    """A Transfer-Encoding: chunked body at the start of data: (raw bytes, payload)."""
    at, payload = 0, b""
    while True:
        eol = data.index(b"\r\n", at)
        n = int(data[at:eol].split(b";")[0], 16)
        at = eol + 2
        if n == 0:
            at = data.index(b"\r\n\r\n", at - 2) + 4  # no trailers from these clients
            return data[:at], payload
        payload += data[at:at + n]
        at += n + 2


def split_requests(data):
    """Requests of one connection: (head, body as sent, body without TE chunking)."""
    out = []
    while data:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        head, rest = data[: end + 4], data[end + 4:]
        hs = {k.lower(): v for k, v in headers(head)[2]}
        if hs.get(b"transfer-encoding", b"").lower() == b"chunked":
            body, payload = dechunk(rest)
        else:
            body = payload = rest[:int(hs.get(b"content-length", b"0"))]
        out.append((head, body, payload))
        data = rest[len(body):]
    return out


def headers(head):
    lines = head.split(b"\r\n")
    method, target, _ = lines[0].split(b" ", 2)
    hs = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            hs.append((name.strip(), value.strip()))
    return method, target, hs


def write_seed(kind, name, data, counters):
    if len(data) > MAX_SEED_BYTES:
        return
    d = os.path.join(CORPUS, kind)
    os.makedirs(d, exist_ok=True)
    n = counters.get((kind, name), 0) + 1
    counters[(kind, name)] = n
    with open(os.path.join(d, f"real-{name}-{n}"), "wb") as f:
        f.write(data)


def write_seeds():
    counters = {}
    for kind in ("http_request", "http_session", "http_chunked", "http_aws_chunked", "s3_sigv4",
                 "s3_xml"):
        d = os.path.join(CORPUS, kind)
        for f in os.listdir(d) if os.path.isdir(d) else []:
            if f.startswith("real-"):
                os.unlink(os.path.join(d, f))
    for name, data in captures:
        session = SESSION_CONTROL
        for head, body, payload in split_requests(data):
            if len(session) + len(head) + len(body) > MAX_SEED_BYTES:
                write_seed("http_session", name, session, counters)
                session = SESSION_CONTROL
            session += head + body
            write_seed("http_request", name, head + body, counters)
            method, target, hs = headers(head)
            lower = {k.lower(): v for k, v in hs}
            sig = b"\n".join([method, target] + [k + b":" + v for k, v in hs])
            streaming = lower.get(b"x-amz-content-sha256", b"").startswith(b"STREAMING-")
            if body != payload:
                write_seed("http_chunked", name, bytes([len(body) // 2 % 256]) + body, counters)
            if streaming:
                sig += b"\n--\n" + payload
                trailers = 1 if b"x-amz-trailer" in lower else 0
                write_seed("http_aws_chunked", name, bytes([trailers]) + payload, counters)
            write_seed("s3_sigv4", name, sig, counters)
            if payload.lstrip().startswith(b"<"):
                write_seed("s3_xml", name, payload, counters)
        if len(session) > len(SESSION_CONTROL):
            write_seed("http_session", name, session, counters)


def run_clients(port, tls_port, work):
    endpoint = f"http://127.0.0.1:{port}"
    tls_endpoint = f"https://127.0.0.1:{tls_port}"
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, PYTHONWARNINGS="ignore")
    env.pop("AWS_CA_BUNDLE", None)  # it would override "do not verify" (and rclone refuses it)
    small = os.path.join(work, "small.txt")
    with open(small, "wb") as f:
        f.write(b"hello from a real client\n" * 4)

    def run(name, argv, **kw):
        if not shutil.which(argv[0]):
            print(f"skip {name}: {argv[0]} not found")
            return
        label[0] = name
        r = subprocess.run(argv, env=env, cwd=work, capture_output=True, **kw)
        time.sleep(0.2)  # let the proxy record the connection's close
        print(f"{name}: {' '.join(argv[:4])[:60]} -> {r.returncode}")

    aws = ["aws", "--endpoint-url", endpoint]
    run("awscli", aws + ["s3", "mb", "s3://cap-cli"])
    run("awscli", aws + ["s3", "cp", small, "s3://cap-cli/dir/a b.txt"])
    run("awscli", aws + ["s3", "ls", "s3://cap-cli/", "--recursive"])
    run("awscli", aws + ["s3api", "head-object", "--bucket", "cap-cli", "--key", "dir/a b.txt"])
    run("awscli", aws + ["s3", "cp", "s3://cap-cli/dir/a b.txt", "got.txt"])
    run("awscli", aws + ["s3api", "put-object-tagging", "--bucket", "cap-cli", "--key",
                         "dir/a b.txt", "--tagging", "TagSet=[{Key=k,Value=v}]"])
    run("awscli", aws + ["s3api", "delete-objects", "--bucket", "cap-cli", "--delete",
                         'Objects=[{Key="dir/a b.txt"},{Key=x}]'])
    run("awscli-tls", ["aws", "--endpoint-url", tls_endpoint, "--no-verify-ssl", "s3", "cp",
                       small, "s3://cap-cli/tls.txt"])
    presign = f"""
import boto3, botocore.config
c = boto3.client("s3", endpoint_url="{endpoint}",
                 config=botocore.config.Config(signature_version="s3v4"))
print(c.generate_presigned_url("get_object", Params={{"Bucket": "cap-cli", "Key": "x y"}},
                               ExpiresIn=600))
"""
    url = subprocess.run([sys.executable, "-c", presign], env=env, capture_output=True,
                         text=True).stdout.strip()
    if url:
        run("curl-presigned", ["curl", "-s", "-o", os.devnull, url])

    boto = f"""
import boto3, io
s3 = boto3.client("s3", endpoint_url="{tls_endpoint}", verify=False)
s3.create_bucket(Bucket="cap-boto3")
s3.put_object(Bucket="cap-boto3", Key="k1", Body=b"0123456789" * 10)
s3.upload_fileobj(io.BytesIO(b"streamed " * 20), "cap-boto3", "k2")
u = s3.create_multipart_upload(Bucket="cap-boto3", Key="mp")
parts = []
for n, body in ((1, b"a" * 300), (2, b"b" * 100)):
    r = s3.upload_part(Bucket="cap-boto3", Key="mp", UploadId=u["UploadId"], PartNumber=n, Body=body)
    parts.append({{"ETag": r["ETag"], "PartNumber": n}})
s3.complete_multipart_upload(Bucket="cap-boto3", Key="mp", UploadId=u["UploadId"],
                             MultipartUpload={{"Parts": parts}})
s3.list_objects_v2(Bucket="cap-boto3", Prefix="k", MaxKeys=10)
s3.get_object(Bucket="cap-boto3", Key="k1", Range="bytes=2-5")["Body"].read()
s3.delete_objects(Bucket="cap-boto3", Delete={{"Objects": [{{"Key": "k1"}}, {{"Key": "k2"}}]}})
"""
    run("boto3-tls", [sys.executable, "-c", boto])

    s3cmd = ["s3cmd", f"--access_key={ACCESS}", f"--secret_key={SECRET}", "--no-ssl",
             f"--host=127.0.0.1:{port}", f"--host-bucket=127.0.0.1:{port}", "--region=us-east-1",
             "-c", os.devnull]
    run("s3cmd", s3cmd + ["mb", "s3://cap-s3cmd"])
    run("s3cmd", s3cmd + ["put", small, "s3://cap-s3cmd/s.txt"])
    run("s3cmd", s3cmd + ["ls", "s3://cap-s3cmd"])
    run("s3cmd", s3cmd + ["get", "--force", "s3://cap-s3cmd/s.txt", "s3cmd-got.txt"])

    rclone_env = {"RCLONE_CONFIG_C_TYPE": "s3", "RCLONE_CONFIG_C_PROVIDER": "Other",
                  "RCLONE_CONFIG_C_ACCESS_KEY_ID": ACCESS,
                  "RCLONE_CONFIG_C_SECRET_ACCESS_KEY": SECRET,
                  "RCLONE_CONFIG_C_ENDPOINT": endpoint, "RCLONE_CONFIG_C_REGION": "us-east-1"}
    env.update(rclone_env)
    run("rclone", ["rclone", "--config", os.devnull, "mkdir", "c:cap-rclone"])
    run("rclone", ["rclone", "--config", os.devnull, "copyto", small, "c:cap-rclone/r.txt"])
    run("rclone", ["rclone", "--config", os.devnull, "ls", "c:cap-rclone"])

    sig = ["curl", "-s", "-o", os.devnull, "--aws-sigv4", "aws:amz:us-east-1:s3",
           "--user", f"{ACCESS}:{SECRET}"]
    run("curl", sig + ["-X", "PUT", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                       "--data-binary", "@" + small, f"{endpoint}/cap-cli/c.txt"])
    run("curl", sig + [f"{endpoint}/cap-cli/c.txt"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", help="also keep the raw captures in this directory")
    args = ap.parse_args()
    coffer = os.path.join(ROOT, "build", "release", "coffer")
    work = tempfile.mkdtemp(prefix="coffer-capture-")
    port, proxy_port, tls_port = free_port(), free_port(), free_port()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", os.path.join(work, "key.pem"),
                    "-out", os.path.join(work, "cert.pem")], check=True, capture_output=True)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(os.path.join(work, "cert.pem"), os.path.join(work, "key.pem"))
    env = dict(os.environ, COFFER_ACCESS_KEY=ACCESS, COFFER_SECRET_KEY=SECRET)
    server = subprocess.Popen([coffer, "serve", "--data", os.path.join(work, "data"),
                               "--addr", f"127.0.0.1:{port}", "--min-part-size", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        for p, t in ((proxy_port, None), (tls_port, tls)):
            listener = socket.create_server(("127.0.0.1", p))
            threading.Thread(target=serve_proxy, args=(listener, port, t), daemon=True).start()
        run_clients(proxy_port, tls_port, work)
        time.sleep(0.5)
    finally:
        server.terminate()
        server.wait()
    with lock:
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for i, (name, data) in enumerate(captures):
                with open(os.path.join(args.keep, f"{i:03d}-{name}"), "wb") as f:
                    f.write(data)
        write_seeds()
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
