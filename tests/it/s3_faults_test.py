"""s3_faults_test.py -- damaged files on disk, through the real binary.

A byte flipped inside a blob's SSTable is caught by the chunk's CRC32C: the
GET that reaches it is cut short (its status line is out already) and every
byte sent before the cut is the object's own, so damaged bytes are never
served; the damage is logged; every other object still reads byte-exact.
"""
import os
import sys
import unittest
import urllib.error
import urllib.request
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import CofferServer  # noqa: E402
from s3_helpers import data, make_client, run_module  # noqa: E402


def read_url(url):
    """The body a GET of url returns, or the prefix it got before the connection was cut."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.read(), True
    except http.client.IncompleteRead as e:
        return e.partial, False
    except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
        return b"", False


class FaultsTest(unittest.TestCase):
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
