#!/usr/bin/env python3
"""fuzz/capture_forms.py -- records the multipart/form-data bodies real clients send for a
browser upload (S3 POST Object) and writes them as http_form fuzz seeds.

    fuzz/capture_forms.py       (needs python3 requests + boto3, curl, node; the node
                                 clients' npm packages: bash tests/it/post_object.sh once)

Starts a recording HTTP server on 127.0.0.1 (no coffer: only the bytes matter) that keeps
each POST's Content-Type and body and answers 303 to its /done page, serves an HTML form
page, and points these clients at it, each uploading a small file with presigned fields
made offline with the AWS documentation's example credentials:

  boto3      generate_presigned_post's fields posted with requests (files=)
  curl       curl -F / --form-string
  minio-js   presignedPostPolicy, posted with node's fetch and FormData
             (tests/it/node/minio_post.mjs)
  chromium   a real <form> in headless Chromium (tests/it/browser/submit_form.mjs)

Each body becomes fuzz/corpus/http_form/real-<client>-1 in the target's input format: a
control byte (bit 7: parts named "file" are streamed; the rest: where to split), the
Content-Type value, '\\n', the body. A client that is missing is skipped.
"""
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse

import boto3
import requests
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus", "http_form")
ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
captured = []  # (label, content type, body)
label = ["none"]


class Recorder(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        captured.append((label[0], self.headers.get("Content-Type", ""), self.rfile.read(n)))
        self.send_response(303)
        self.send_header("Location", "/done?bucket=b&key=k&etag=e")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        body = FORM.encode() if path == "/form" else b"<html><body>uploaded</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


FORM = ""


def main():
    global FORM
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    base = "http://127.0.0.1:%d" % port
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "photo.txt")
    with open(path, "wb") as f:
        f.write(b"hello\r\n--not-a-boundary\r\nfrom a form upload\n")
    s3 = boto3.client("s3", endpoint_url=base, aws_access_key_id=ACCESS,
                      aws_secret_access_key=SECRET, region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"}))
    p = s3.generate_presigned_post("bucket", "user/${filename}",
                                   Fields={"Content-Type": "text/plain",
                                           "success_action_redirect": base + "/done"},
                                   Conditions=[["starts-with", "$Content-Type", "text/"],
                                               {"success_action_redirect": base + "/done"}])
    label[0] = "boto3"
    requests.post(p["url"], data=p["fields"], files={"file": ("photo.txt", open(path, "rb"))},
                  allow_redirects=False)
    if shutil.which("curl"):
        label[0] = "curl"
        cmd = ["curl", "-s", "-o", "/dev/null"]
        for k, v in p["fields"].items():
            cmd += ["--form-string", "%s=%s" % (k, v)]
        subprocess.run(cmd + ["-F", "file=@%s" % path, p["url"]], check=False)
    node_dir = os.path.join(ROOT, "tests", "it", "node")
    if shutil.which("node") and os.path.isdir(os.path.join(node_dir, "node_modules")):
        label[0] = "minio-js"
        subprocess.run(["node", os.path.join(node_dir, "minio_post.mjs"), str(port), ACCESS,
                        SECRET, "bucket", "user/minio.bin", path], stdout=subprocess.DEVNULL,
                       check=False)
    browser_dir = os.path.join(ROOT, "tests", "it", "browser")
    if shutil.which("node") and os.path.isdir(os.path.join(browser_dir, "node_modules")):
        label[0] = "chromium"
        inputs = "".join('<input type="hidden" name="%s" value="%s">' % (k, v)
                         for k, v in p["fields"].items())
        FORM = ('<html><body><form action="%s" method="post" enctype="multipart/form-data">%s'
                '<input type="file" name="file"><input type="submit" name="submit" '
                'value="Upload"></form></body></html>' % (p["url"], inputs))
        subprocess.run(["node", os.path.join(browser_dir, "submit_form.mjs"), base + "/form",
                        path, base + "/done"], stdout=subprocess.DEVNULL, check=False)
    srv.shutdown()
    shutil.rmtree(tmp)
    os.makedirs(CORPUS, exist_ok=True)
    counts = {}
    for who, ctype, body in captured:
        counts[who] = counts.get(who, 0) + 1
        name = os.path.join(CORPUS, "real-%s-%d" % (who, counts[who]))
        with open(name, "wb") as f:
            f.write(bytes([0x80 | 64]) + ctype.encode() + b"\n" + body)
        print("wrote %s (%d bytes)" % (os.path.relpath(name, ROOT), len(body)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
