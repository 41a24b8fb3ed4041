"""s3a_replay.py -- the requests of Hadoop's S3A connector (hadoop-aws 3.4, S3AFileSystem and
S3AInputStream with their defaults), sent to coffer as raw SigV4-signed requests, for
tests/it/s3_s3a_test.py (no Hadoop in Debian).

S3A(port, bucket) is one filesystem on one bucket: each method sends what the connector sends
for that call, in its order, and logs (method, key, query) so that a test asserts the sequence;
ops() gives the log as "HEAD key" / "LIST prefix/" / "DELETE* " strings. The settings modelled
(their names in S3A):

  fs.s3a.list.version=2, fs.s3a.paging.maximum (page), fs.s3a.bulk.delete.page.size
  (delete_page), fs.s3a.directory.marker.retention (markers: keep or delete),
  fs.s3a.multipart.size (PART), fs.s3a.fast.upload.active.blocks=4, fs.s3a.readahead.range
  (READAHEAD), fs.s3a.vectored.read.min.seek.size (MIN_SEEK) and .max.merged.size
  (MAX_MERGED), fs.s3a.change.detection.mode=server source=etag (If-Match on every GET,
  x-amz-copy-source-if-match on every copy), fs.s3a.bucket.probe=0 (no request at start).

The probes: getFileStatus is HEAD key (never for a key ending in /), then LIST prefix=key/
delimiter=/ max-keys=2 (the marker and one entry: enough to tell an empty directory);
mkdirs probes each path element from the leaf up, directory probe (LIST) first, then file
probe (HEAD), until one exists; create(overwrite=true) probes only for a directory (LIST).
"""
import base64
import concurrent.futures
import hashlib
import http.client
import xml.etree.ElementTree as ET
from urllib.parse import quote, unquote_plus
from xml.sax.saxutils import escape

from s3_helpers import send, signed_chunked_put, sigv4_headers

MiB = 1 << 20
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
PART = 5 * MiB          # fs.s3a.multipart.size at its minimum
READAHEAD = 64 * 1024   # fs.s3a.readahead.range
MIN_SEEK = 4096         # fs.s3a.vectored.read.min.seek.size
MAX_MERGED = MiB        # fs.s3a.vectored.read.max.merged.size


class FileNotFound(Exception):
    pass


def enc(s):
    return quote(s, safe="-_.~")


def status_of(kind, size=0, etag=None, empty=None):
    return {"kind": kind, "size": size, "etag": etag, "empty": empty}


class S3A:
    """The requests of one S3AFileSystem on one bucket. log: (method, key, query) per request."""

    def __init__(self, port, bucket, markers="keep", page=5000, delete_page=250):
        self.port, self.bucket, self.markers = port, bucket, markers
        self.page, self.delete_page = page, delete_page  # fs.s3a.paging.maximum, bulk.delete
        self.url_encoding = False  # list with encoding-type=url (as boto3 does; SDKs decode)
        self.log = []

    def req(self, method, key="", query=(), headers=None, body=b"", expect=None):
        """One signed request: (status, lowercased headers, body); expect: the statuses
        allowed (AssertionError otherwise)."""
        path = "/%s/%s" % (self.bucket, quote(key, safe="/-_.~"))
        qs = "&".join(k if v is None else "%s=%s" % (k, enc(str(v))) for k, v in query)
        target = path + ("?" + qs if qs else "")
        h = sigv4_headers(method, "http://127.0.0.1:%d%s" % (self.port, target), headers or {},
                          body)
        st, got, resp = send(self.port, method, target, h, body)
        self.log.append((method, key, dict(query)))
        if expect is not None and st not in expect:
            raise AssertionError("%s %s: %d %r" % (method, target, st, resp[:300]))
        return st, {k.lower(): v for k, v in got}, resp

    def ops(self):
        """The log as 'METHOD key' strings (LIST prefix for a ListObjectsV2, DELETE* for a
        DeleteObjects), then cleared."""
        out = ["%s %s" % ("LIST" if "list-type" in q else "DELETE*" if "delete" in q else m,
                          q.get("prefix", k)) for m, k, q in self.log]
        self.log = []
        return out


    def head(self, key):
        st, h, body = self.req("HEAD", key, expect=(200, 404))
        if st == 404:
            assert body == b"", body
            return None
        return status_of("file", int(h["content-length"]), h["etag"]), h

    def list(self, prefix, delimiter=None, max_keys=None, token=None):
        """One ListObjectsV2 page: (keys [(key, size)], prefixes, next token or None)."""
        q = [("list-type", 2)]
        if token:
            q.append(("continuation-token", token))
        if delimiter:
            q.append(("delimiter", delimiter))
        if self.url_encoding:
            q.append(("encoding-type", "url"))
        q += [("max-keys", max_keys or self.page), ("prefix", prefix)]
        _, _, body = self.req("GET", "", q, expect=(200,))
        root = ET.fromstring(body)
        dec = unquote_plus if self.url_encoding else str
        keys = [(dec(c.findtext(NS + "Key")), int(c.findtext(NS + "Size")))
                for c in root.findall(NS + "Contents")]
        prefixes = [dec(p.findtext(NS + "Prefix")) for p in root.findall(NS + "CommonPrefixes")]
        assert int(root.findtext(NS + "KeyCount")) == len(keys) + len(prefixes), body
        assert len(keys) + len(prefixes) <= (max_keys or self.page), body
        truncated = root.findtext(NS + "IsTruncated") == "true"
        nxt = root.findtext(NS + "NextContinuationToken")
        assert truncated == bool(nxt), body
        return keys, prefixes, nxt

    def list_all(self, prefix, delimiter=None):
        keys, prefixes, token = [], [], None
        while True:
            k, p, token = self.list(prefix, delimiter, token=token)
            keys += k
            prefixes += p
            if not token:
                return keys, prefixes

    def dir_probe(self, key):
        keys, prefixes, _ = self.list(key + "/", "/", 2)
        if not keys and not prefixes:
            return None
        return status_of("dir", empty=keys == [(key + "/", 0)] and not prefixes)

    def get_file_status(self, key, probes=("head", "list")):
        found = self.head(key) if "head" in probes else None
        if found:
            return found[0]
        found = self.dir_probe(key) if "list" in probes else None
        if found:
            return found
        raise FileNotFound(key)

    def probe(self, key, probes):
        try:
            return self.get_file_status(key, probes)
        except FileNotFound:
            return None


    def parents(self, key):
        parts = key.split("/")[:-1]
        return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]

    def delete_parent_markers(self, key):
        """After a write under key's parents: their markers go, with the delete policy."""
        if self.markers == "delete" and self.parents(key):
            self.delete_objects([p + "/" for p in self.parents(key)])

    def mkdirs(self, key):
        for k in [key] + self.parents(key):
            st = self.probe(k, ("list",)) or self.probe(k, ("head",))
            if st and st["kind"] == "file":
                raise FileExistsError(k)
            if st:
                if k == key:
                    return False
                break
        self.req("PUT", key + "/", headers={"Content-Type": "application/x-directory"},
                 expect=(200,))
        self.delete_parent_markers(key)
        return True

    def maybe_parent_marker(self, key):
        """After a rename or delete: the parent directory is kept by a marker if now empty."""
        parents = self.parents(key)
        if parents and not self.probe(parents[0], ("list",)):
            self.req("PUT", parents[0] + "/", headers={"Content-Type": "application/x-directory"},
                     expect=(200,))

    def delete_objects(self, keys):
        """DeleteObjects in pages of delete_page, quiet: every key deleted or a failure."""
        for i in range(0, len(keys), self.delete_page):
            body = ("<Delete><Quiet>true</Quiet>%s</Delete>" % "".join(
                "<Object><Key>%s</Key></Object>" % escape(k)
                for k in keys[i:i + self.delete_page])).encode()
            md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
            _, _, resp = self.req("POST", "", [("delete", None)], {"Content-MD5": md5}, body,
                                  expect=(200,))
            root = ET.fromstring(resp)
            assert root.findall(NS + "Deleted") == [] and root.findall(NS + "Error") == [], resp


    def create(self, key, body, headers=None, conditional=False):
        """create(path, overwrite=True) then close: the ETag of the object written."""
        st = self.probe(key, ("list",))
        if st:
            raise IsADirectoryError(key)
        h = dict(headers or {})
        if conditional:
            h["If-None-Match"] = "*"
        if len(body) < PART:
            if h:  # signed_chunked_put sends no other headers
                _, rh, _ = self.req("PUT", key, headers=h, body=body, expect=(200, 412))
                etag = rh.get("etag")
            else:
                st, resp = signed_chunked_put(self.port, self.bucket, quote(key, safe="/-_.~"),
                                              body)
                self.log.append(("PUT", key, {}))
                assert st == 200, resp
                etag = '"%s"' % hashlib.md5(body).hexdigest()  # the ETag of a single PUT
        else:
            _, _, resp = self.req("POST", key, [("uploads", None)], h, expect=(200,))
            upload = ET.fromstring(resp).findtext(NS + "UploadId")
            blocks = [body[i:i + PART] for i in range(0, len(body), PART)]

            def part(n):
                _, rh, _ = self.req("PUT", key, [("partNumber", n), ("uploadId", upload)],
                                    body=blocks[n - 1], expect=(200,))
                return rh["etag"]
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                etags = list(pool.map(part, range(1, len(blocks) + 1)))
            xml = "<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
                "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (n + 1, escape(e))
                for n, e in enumerate(etags))
            st, _, resp = self.req("POST", key, [("uploadId", upload)],
                                   {"If-None-Match": "*"} if conditional else {},
                                   xml.encode(), expect=(200, 412))
            etag = ET.fromstring(resp).findtext(NS + "ETag") if st == 200 else None
        if etag:
            self.delete_parent_markers(key)
        return etag

    def open(self, key):
        st = self.get_file_status(key, ("head",))
        return Stream(self, key, st)


    def copy(self, src, dst):
        _, h = self.head(src)
        meta = {k: v for k, v in h.items() if k.startswith("x-amz-meta-")}
        meta.update({k: h[k] for k in ("content-type", "cache-control", "content-encoding",
                                       "content-disposition", "content-language") if k in h})
        meta.update({"x-amz-copy-source": "%s/%s" % (self.bucket, quote(src, safe="/-_.~")),
                     "x-amz-metadata-directive": "REPLACE",
                     "x-amz-copy-source-if-match": h["etag"]})
        return self.req("PUT", dst, headers=meta, expect=(200, 412))

    def rename(self, src, dst):
        sst = self.get_file_status(src)
        if self.probe(dst, ("head", "list")):
            raise FileExistsError(dst)
        dparents = self.parents(dst)
        if dparents and dparents[0] != (self.parents(src) or [""])[0]:
            pst = self.probe(dparents[0], ("head",))
            if pst and pst["kind"] == "file":
                raise NotADirectoryError(dparents[0])
        if sst["kind"] == "file":
            st, _, resp = self.copy(src, dst)
            assert st == 200, resp
            self.req("DELETE", src, expect=(204,))
        else:
            keys, _ = self.list_all(src + "/")
            names = [k for k, _ in keys]
            copies = [k for k in names if not k.endswith("/") or
                      not any(o != k and o.startswith(k) for o in names)]
            for k in copies:  # files, and markers with nothing below them
                st, _, resp = self.copy(k, dst + "/" + k[len(src) + 1:])
                assert st == 200, resp
            self.delete_objects(names)
        self.maybe_parent_marker(src)
        self.delete_parent_markers(dst)

    def delete(self, key, recursive):
        try:
            st = self.get_file_status(key)
        except FileNotFound:
            return False
        if st["kind"] == "file":
            self.req("DELETE", key, expect=(204,))
        elif not recursive and not st["empty"]:
            raise OSError("PathIsNotEmptyDirectoryException: " + key)
        else:
            keys, _ = self.list_all(key + "/")
            self.delete_objects([k for k, _ in keys])
        self.maybe_parent_marker(key)
        return True

    def list_status(self, key):
        """listStatus: [(name, size or 'dir')] sorted by key, each entry once."""
        keys, prefixes = self.list_all(key + "/", "/")
        if not keys and not prefixes:
            st = self.get_file_status(key)
            return [(key, st["size"])] if st["kind"] == "file" else []
        out = [(k, s) for k, s in keys if k != key + "/"] + [(p[:-1], "dir") for p in prefixes]
        return sorted(out)

    def list_files(self, key):
        """listFiles(recursive=true): [(key, size)] of the files, markers skipped."""
        keys, _ = self.list_all(key + "/")
        files = [(k, s) for k, s in keys if not k.endswith("/")]
        if not keys:
            st = self.get_file_status(key)
            return [(key, st["size"])] if st["kind"] == "file" else []
        return files


class Stream:
    """S3AInputStream: GETs with If-Match: the ETag the HEAD saw."""

    def __init__(self, fs, key, st):
        self.fs, self.key, self.len, self.etag = fs, key, st["size"], st["etag"]

    def get(self, start, end, etag=None):
        """GET bytes=start-end whole: (status, body)."""
        st, _, body = self.fs.req("GET", self.key, headers={
            "Range": "bytes=%d-%d" % (start, end), "If-Match": etag or self.etag})
        return st, body

    def read_random(self, pos, n):
        """fadvise=random: a read of n bytes at pos is one GET of max(readahead, n) bytes."""
        end = min(pos + max(READAHEAD, n), self.len) - 1
        st, body = self.get(pos, end)
        assert st == 206, (st, body[:200])
        assert len(body) == end - pos + 1
        return body[:n]

    def read_sequential(self, pos, n):
        """fadvise=sequential: GET pos to EOF, read n bytes of it, abort the rest."""
        target = "/%s/%s" % (self.fs.bucket, quote(self.key, safe="/-_.~"))
        h = sigv4_headers("GET", "http://127.0.0.1:%d%s" % (self.fs.port, target),
                          {"Range": "bytes=%d-%d" % (pos, self.len - 1), "If-Match": self.etag},
                          b"")
        conn = http.client.HTTPConnection("127.0.0.1", self.fs.port, timeout=30)
        try:
            conn.request("GET", target, headers=h)
            resp = conn.getresponse()
            self.fs.log.append(("GET", self.key, {}))
            assert resp.status == 206, resp.status
            assert int(resp.getheader("content-length")) == self.len - pos
            assert resp.getheader("content-range") == "bytes %d-%d/%d" % (pos, self.len - 1,
                                                                          self.len)
            out = bytearray()
            while len(out) < n:  # the application's 64 KiB reads
                chunk = resp.read(min(65536, n - len(out)))
                assert chunk, "short read"
                out += chunk
            return bytes(out)
        finally:
            conn.close()  # abort: the rest is never read

    def read_vectored(self, ranges):
        """readVectored: the merged ranges S3A fetches, then each range's bytes."""
        merged = []
        for off, n in sorted(ranges):
            if merged and off - merged[-1][1] <= MIN_SEEK and \
                    off + n - merged[-1][0] <= MAX_MERGED:
                merged[-1][1] = max(merged[-1][1], off + n)
                merged[-1][2].append((off, n))
            else:
                merged.append([off, off + n, [(off, n)]])
        got = {}
        for start, end, parts in merged:
            st, body = self.get(start, end - 1)
            assert st == 206 and len(body) == end - start, (st, len(body))
            for off, n in parts:
                got[(off, n)] = body[off - start:off - start + n]
        return [(s, e) for s, e, _ in merged], [got[r] for r in ranges]
