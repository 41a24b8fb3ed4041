"""s3_faults_test.py -- damaged files on disk, through the real binary.

A byte flipped inside a blob's SSTable is caught by the chunk's CRC32C: the
GET that reaches it is cut short (its status line is out already) and every
byte sent before the cut is the object's own, so damaged bytes are never
served; the damage is logged; every other object still reads byte-exact.

A byte flipped in the commitlog (small objects killed with SIGKILL before any
flush, so they live only there) is caught by the record's CRC32C at replay
(doc/formats.md, "Commitlog segments"). Followed by valid records it is
damage, not a torn write: the server refuses to start, names the file and
offset and the way out, and leaves the file as it was; cutting the file
there as told serves the objects before it byte-exact and nothing of the
rest. In the final record it cannot be told from a torn write: the record is
cut with a warning, the objects before it read back byte-exact and the
damaged one is absent.
"""
import glob
import os
import struct
import sys
import unittest
import urllib.error
import urllib.request
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import CofferServer  # noqa: E402
from s3_helpers import code_of, crc_digest, data, make_client, run_module  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


def read_url(url):
    """The body a GET of url returns, or the prefix it got before the connection was cut."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.read(), True
    except http.client.IncompleteRead as e:
        return e.partial, False
    except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
        return b"", False


def log_records(data_dir):
    """Every record of the commitlog: (path, offset, payload, crc_ok), in log order."""
    out = []
    for path in sorted(glob.glob(os.path.join(data_dir, "commitlog", "CL-*.log"))):
        seq = int(os.path.basename(path)[3:19], 16)
        raw = open(path, "rb").read()
        off = 0
        while off + 8 <= len(raw):
            n, crc = struct.unpack_from("<II", raw, off)
            if n == 0:
                break
            payload = raw[off + 8:off + 8 + n]
            want = int.from_bytes(crc_digest(struct.pack("<QI", seq, n) + payload, "CRC32C"), "big")
            out.append((path, off, payload, crc == want))
            off += 8 + n
    return out


def flip(path, off, mask=0x40):
    with open(path, "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ mask]))


def server_log(srv):
    with open(os.path.join(srv.data, "server.log"), "rb") as f:
        return f.read().decode(errors="replace")


class FaultsTest(unittest.TestCase):
    SMALL = ["s%d" % i for i in range(6)]

    def body_of(self, key):
        return data(3000 + 1000 * self.SMALL.index(key), 40 + self.SMALL.index(key))

    def logged_small_objects(self):
        """A data dir whose six small objects live only in the commitlog.

        Returns the stopped server, the log's records and {key: (segment path, body offset)}.
        """
        srv = CofferServer(env={"COFFER_LOG": "warn"}).start()
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="faults")
        for k in self.SMALL:
            s3.put_object(Bucket="faults", Key=k, Body=self.body_of(k))
        srv.kill()
        # nothing was flushed: no SSTable anywhere, every object is in one valid record
        self.assertEqual(glob.glob(os.path.join(srv.data, "tables", "*", "*.sst")), [])
        recs = log_records(srv.data)
        self.assertTrue(all(ok for _, _, _, ok in recs))
        where, last = {}, -1
        for k in self.SMALL:
            hits = [(i, path, off + 8 + payload.index(self.body_of(k)))
                    for i, (path, off, payload, _) in enumerate(recs) if self.body_of(k) in payload]
            self.assertEqual(len(hits), 1, k)
            self.assertGreater(hits[0][0], last)  # in PUT order
            last = hits[0][0]
            where[k] = hits[0][1:]
        self.assertEqual(last, len(recs) - 1)  # the last PUT is the last record
        return srv, recs, where

    def assert_objects(self, srv, present, absent):
        s3 = make_client(srv.endpoint)
        for k in present:
            self.assertEqual(s3.get_object(Bucket="faults", Key=k)["Body"].read(), self.body_of(k))
        for k in absent:
            with self.assertRaises(ClientError) as cm:
                s3.get_object(Bucket="faults", Key=k)
            self.assertEqual(code_of(cm.exception), ("NoSuchKey", 404))
        listed = s3.list_objects_v2(Bucket="faults").get("Contents", [])
        self.assertEqual([(o["Key"], o["Size"]) for o in listed],
                         [(k, len(self.body_of(k))) for k in present])

    def test_flipped_byte_mid_commitlog_refuses_to_start(self):
        srv, recs, where = self.logged_small_objects()
        path, body_off = where["s2"]
        rec_off = [off for p, off, payload, _ in recs if self.body_of("s2") in payload][0]
        next_off = [off for p, off, _, _ in recs if p == path and off > rec_off][0]
        flip(path, body_off + 1500)
        damaged = open(path, "rb").read()
        with self.assertRaises(RuntimeError):
            srv.start()
        self.assertEqual(srv.proc.returncode, 1)
        srv.log.close()
        srv.sanitizer_check()  # the refusing path leaks nothing either
        log = server_log(srv)
        self.assertIn("ERROR commitlog: corrupt record in %s at offset %d (it fails its length or "
                      "CRC32C check), and a valid record follows at offset %d: not a torn write\n"
                      % (path, rec_off, next_off), log)
        self.assertIn("ERROR commitlog: replay stops there rather than drop the acknowledged "
                      "writes after it. Keep a copy of the file; to start without the records "
                      "from offset %d on, cut it: truncate -s %d %s\n" % (rec_off, rec_off, path),
                      log)
        self.assertIn("coffer: cannot open %s: ECORRUPT\n" % srv.data, log)
        self.assertEqual(open(path, "rb").read(), damaged)  # left as it was, for the operator
        # the way out the error names: the objects before the damage, byte-exact; none after
        os.truncate(path, rec_off)
        srv.start()
        try:
            self.assert_objects(srv, self.SMALL[:2], self.SMALL[2:])
        finally:
            srv.stop()
        self.assertNotIn("torn tail", server_log(srv))

    def test_flipped_byte_in_last_commitlog_record_is_cut_as_torn_tail(self):
        srv, recs, where = self.logged_small_objects()
        path, body_off = where["s5"]
        rec_off = recs[-1][1]
        flip(path, body_off + 2000)
        raw = open(path, "rb").read()
        nonzero = sum(1 for b in raw[rec_off:] if b)
        srv.start()
        try:
            self.assert_objects(srv, self.SMALL[:5], ["s5"])
            self.assertEqual(os.path.getsize(path), rec_off)  # cut; flushed and dropped at stop
            self.assertIn("WARN  commitlog: torn tail in %s at offset %d (it fails its length "
                          "or CRC32C check) with no valid record after it: cut %d bytes "
                          "(%d not zero)\n"
                          % (path, rec_off, len(raw) - rec_off, nonzero), server_log(srv))
            srv.stop()
            srv.start()  # and it stays that way
            self.assert_objects(srv, self.SMALL[:5], ["s5"])
        finally:
            srv.stop()

    def test_flipped_byte_in_an_sstable_is_never_served(self):
        srv = CofferServer().start()
        try:
            s3 = make_client(srv.endpoint)
            s3.create_bucket(Bucket="faults")
            big, other = data(1 << 20, 31), data(600 << 10, 32)
            s3.put_object(Bucket="faults", Key="big", Body=big)
            s3.put_object(Bucket="faults", Key="other", Body=other)
            srv.stop()
            d = os.path.join(srv.data, "tables", "chunks")
            files = sorted((os.path.getsize(os.path.join(d, f)), f) for f in os.listdir(d)
                           if f.endswith(".sst"))
            # the larger file is big's own: flip one byte in the middle of its data
            path = os.path.join(d, files[-1][1])
            with open(path, "r+b") as f:
                f.seek(files[-1][0] // 3)
                b = f.read(1)
                f.seek(files[-1][0] // 3)
                f.write(bytes([b[0] ^ 0x40]))
            srv.start()
            s3 = make_client(srv.endpoint)
            url = s3.generate_presigned_url("get_object", Params={"Bucket": "faults", "Key": "big"})
            body, complete = read_url(url)
            self.assertTrue(big.startswith(body), "a damaged byte was served")
            self.assertFalse(complete, "a damaged object was served whole")
            self.assertLess(len(body), len(big))
            # the same for a range inside the damaged chunk's neighbourhood
            off = len(big) // 3
            rng = s3.generate_presigned_url("get_object", Params={
                "Bucket": "faults", "Key": "big", "Range": "bytes=%d-%d" % (off - 1000, off + 1000)})
            req = urllib.request.Request(rng, headers={"Range": "bytes=%d-%d" % (off - 1000, off + 1000)})
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    part = resp.read()
                    self.assertEqual(part, big[off - 1000:off + 1001])  # chunk intact: fine
            except http.client.IncompleteRead as e:
                self.assertTrue(big[off - 1000:].startswith(e.partial))
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
                pass
            # every other object is intact
            self.assertEqual(s3.get_object(Bucket="faults", Key="other")["Body"].read(), other)
            log = open(os.path.join(srv.data, "server.log"), "rb").read().decode(errors="replace")
            self.assertIn("fails its length or CRC32C check", log)
        finally:
            srv.stop()


if __name__ == "__main__":
    sys.exit(run_module(__name__))
