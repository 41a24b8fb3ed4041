"""s3_media_test.py -- video and audio that play and seek in headless Chromium, from coffer.

Media made here with Debian's ffmpeg (a few seconds): an MP4 (H.264 + AAC, faststart), a WebM
(VP8 + Opus) and an MP3, each ~10-20 MB so that the middle lies megabytes beyond what Chromium
preloads (10 s of media, at least 2 MiB, plus 1 MiB): a seek there needs a new ranged GET.
They are uploaded with boto3 (ContentType set) to a private bucket and to a bucket whose policy
grants s3:GetObject to "*". tests/it/browser/media_seek.mjs puts a <video>/<audio> in a page
on another origin and, for each URL: loadedmetadata, play(), currentTime = the middle,
'seeked', playback going on past it.

- presigned URL and public bucket, browser cache off (DevTools' "disable cache"): every request
  the page makes is one request on the wire, so each is found in coffer's access log by its
  x-amz-request-id: the seek's request has a Range starting in the 32 KiB block (Chromium's
  read unit) of the byte where the seeked frame's data begins (ffprobe), the page saw 206 and
  the Content-Type uploaded, and the log line says 206, GET object, the key, the object's size,
  and who (the signer and QueryString, or anonymous);
- the same with the browser cache on, as a person's browser runs: Chromium revalidates the
  bytes it holds (a conditional ranged GET: 304) and fetches the rest with If-Range (206); the
  page sees 206 only, and every line for the key is 206 or 304;
- an unsigned URL of a private object: 403 AccessDenied in the log, the element fires 'error';
- If-Range, as the browser cache sends it: the range while the object is the one it names, the
  whole new object once it was replaced (raw requests).
Any page error or console error fails a case. No ffmpeg, node or chromium: SKIP.

Run: python3 tests/it/s3_media_test.py (prints "RESULT: N passed, N failed[, N skipped]").
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, SECRET, CofferServer, free_port  # noqa: E402
from s3_helpers import access_log_lines, make_client, run_module, send  # noqa: E402

SERVER = None
ACCESS_LOG = None
BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser")
SKIP_EXIT = 77  # tests/it/browser/launch.mjs: no browser here
BLOCK = 32768   # Chromium's media cache reads and requests in 32 KiB blocks

# name -> (element, Content-Type, frames per second (0: audio), ffmpeg arguments)
MEDIA = {
    "clip.mp4": ("video", "video/mp4", 25, [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "60",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25",
        "-b:v", "2500k", "-minrate", "2500k", "-maxrate", "2500k", "-bufsize", "1M",
        "-x264-params", "nal-hrd=cbr", "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart"]),
    # noise keeps VP8 at its bitrate (testsrc2 alone compresses to a few hundred kbit/s); the
    # index (Cues) in front, as web-ready WebM has it: with it at the end (ffmpeg's default)
    # Chromium seeked by reading every cluster from where it was to the target
    "clip.webm": ("video", "video/webm", 10, [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "60",
        "-vf", "noise=alls=20:allf=t", "-c:v", "libvpx", "-deadline", "realtime",
        "-cpu-used", "8", "-b:v", "2M", "-g", "10", "-c:a", "libopus", "-cues_to_front", "1"]),
    "clip.mp3": ("audio", "audio/mpeg", 0, [
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "300",
        "-c:a", "libmp3lame", "-b:a", "320k"]),
}
FILES = {}  # name -> {"path", "size", "duration", "at", "byte"}: made once by make_media()
MEDIA_SKIP = None  # why the machine cannot make them, if it cannot


def ffprobe(path, *args):
    p = subprocess.run(["ffprobe", "-v", "error", *args, path], stdout=subprocess.PIPE,
                       check=True, timeout=60)
    return p.stdout.decode()


def seek_byte(path, at, video):
    """Where the data of a seek to `at` starts: the last video keyframe at or before `at`
    (decoding starts there), or for audio the packet holding `at`. ffprobe's packet pos."""
    rows = ffprobe(path, "-select_streams", "v" if video else "a", "-show_entries",
                   "packet=pts_time,pos,flags", "-of", "csv=p=0", "-read_intervals",
                   "%f%%%f" % (max(0, at - 5), at + 1))
    best = None
    for row in rows.split():
        pts, pos, flags = row.split(",")
        if float(pts) <= at and (not video or "K" in flags):
            best = int(pos)
    return best


def make_media(tmp):
    """Makes the three files in parallel (the machine has 2 cores; ~3 s)."""
    procs = {name: subprocess.Popen(["ffmpeg", "-v", "error", "-y", *args,
                                     os.path.join(tmp, name)], stderr=subprocess.PIPE)
             for name, (_, _, _, args) in MEDIA.items()}
    for name, p in procs.items():
        _, err = p.communicate(timeout=120)
        if p.returncode != 0:
            raise RuntimeError("ffmpeg %s: %s" % (name, err.decode()[-2000:]))
    for name, (tag, _, _, _) in MEDIA.items():
        path = os.path.join(tmp, name)
        duration = float(ffprobe(path, "-show_entries", "format=duration", "-of", "csv=p=0"))
        at = round(duration / 2, 1) + 0.5  # the middle, between two keyframes
        FILES[name] = {"path": path, "size": os.path.getsize(path), "duration": duration,
                       "at": at, "byte": seek_byte(path, at, tag == "video")}


class MediaTest(unittest.TestCase):
    """One private and one public bucket holding the three files, uploaded once."""

    @classmethod
    def setUpClass(cls):
        cls.skip = MEDIA_SKIP
        if not cls.skip and not shutil.which("node"):
            cls.skip = "node is not installed"
        if not cls.skip and not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules")):
            cls.skip = "npm packages are not installed in %s" % BROWSER_DIR
        if cls.skip:
            return
        cls.s3 = make_client(SERVER.endpoint, ACCESS, SECRET)
        cls.priv, cls.pub = "media-private", "media-public"
        for b in (cls.priv, cls.pub):
            cls.s3.create_bucket(Bucket=b)
            for name, (_, ctype, _, _) in MEDIA.items():
                cls.s3.upload_file(FILES[name]["path"], b, name, ExtraArgs={"ContentType": ctype})
        cls.s3.put_bucket_policy(Bucket=cls.pub, Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::%s/*" % cls.pub}]}))

    def setUp(self):
        if self.skip:
            self.skipTest(self.skip)
        self.log_mark = len(access_log_lines(ACCESS_LOG))

    def run_page(self, cases):
        p = subprocess.run(["node", os.path.join(BROWSER_DIR, "media_seek.mjs"), str(free_port()),
                            json.dumps(cases)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=300)
        if p.returncode == SKIP_EXIT:
            self.skipTest(p.stdout.decode().strip().removeprefix("SKIP "))
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-2000:])
        got = json.loads(p.stdout.decode().strip().splitlines()[-1])
        self.assertEqual([g["name"] for g in got], [c["name"] for c in cases])
        return got

    def cases(self, how, cache):
        out = []
        for name, (tag, _, _, _) in MEDIA.items():
            if how == "presigned":
                url = self.s3.generate_presigned_url(
                    "get_object", Params={"Bucket": self.priv, "Key": name}, ExpiresIn=600)
            else:
                url = "%s/%s/%s" % (SERVER.endpoint, self.pub, name)
            out.append({"name": name, "tag": tag, "url": url, "at": FILES[name]["at"],
                        "expect": "play", "cache": cache})
        return out

    def log_lines(self, bucket, key, want_ids=()):
        """This test's access log lines for bucket/key. A line is written when coffer has
        answered; the requests the browser dropped at the end may take a moment."""
        for _ in range(50):
            lines = [ln for ln in access_log_lines(ACCESS_LOG)[self.log_mark:]
                     if ln["bucket"] == bucket and ln["key"] == key]
            if set(want_ids) <= {ln["request_id"] for ln in lines}:
                break
            time.sleep(0.1)
        return lines

    def assertPlayedAndSeeked(self, r):
        name = r["name"]
        f = FILES[name]
        fps = MEDIA[name][2]
        self.assertNotIn("failed", r, r)
        self.assertEqual(r["errors"], [], name)
        self.assertNotIn("error", r, r)
        self.assertAlmostEqual(r["duration"], f["duration"], delta=0.1, msg=name)
        # within two frames of the target (audio: two MP3 frames of 1152 samples)
        frame = 1.0 / fps if fps else 1152 / 44100
        self.assertLessEqual(abs(r["seek"]["currentTime"] - f["at"]), 2 * frame, r["seek"])
        self.assertGreater(r["advanced"], f["at"], name)
        ctype = MEDIA[name][1]
        for n in r["net"]:
            self.assertEqual(n["method"], "GET", n)
            self.assertTrue((n["range"] or "").startswith("bytes="), n)
            if "status" in n:  # answered (an aborted read-ahead may not have been)
                self.assertEqual((n["status"], n["contentType"]), (206, ctype), n)

    def check_uncached(self, bucket, how, got):
        for r in got:
            name, f = r["name"], FILES[r["name"]]
            self.assertPlayedAndSeeked(r)
            # the seek's request: a Range from the block holding the seeked frame's first byte
            start = f["byte"] - f["byte"] % BLOCK
            seeks = [n for n in r["after"] if n["range"] == "bytes=%d-" % start]
            self.assertEqual(len(seeks), 1, "%s: no request for bytes=%d- (byte %d) after the "
                             "seek in %s" % (name, start, f["byte"], r["after"]))
            s = seeks[0]
            self.assertEqual((s["status"], s["contentRange"]),
                             (206, "bytes %d-%d/%d" % (start, f["size"] - 1, f["size"])), s)
            # every answered request of the page is one line of the access log (cache off)
            ids = [n["requestId"] for n in r["net"] if "requestId" in n]
            lines = {ln["request_id"]: ln for ln in self.log_lines(bucket, name, ids)}
            for n in r["net"]:
                if "requestId" not in n:
                    continue
                ln = lines.get(n["requestId"])
                self.assertIsNotNone(ln, "%s: %s not in the access log" % (name, n))
                self.assertEqual(
                    (ln["operation"], ln["status"], ln["error_code"], ln["object_size"]),
                    ("REST.GET.OBJECT", "206", "-", str(f["size"])), ln)
                self.assertEqual((ln["requester"], ln["auth_type"]),
                                 (ACCESS, "QueryString") if how == "presigned" else ("-", "-"))
                sent = f["size"] - int(n["range"][6:].rstrip("-"))
                self.assertLessEqual(int(ln["bytes_sent"].replace("-", "0")), sent, ln)

    def check_cached(self, bucket, got):
        for r in got:
            self.assertPlayedAndSeeked(r)
            self.assertTrue(any(n.get("status") == 206 for n in r["after"]), r["after"])
            lines = self.log_lines(bucket, r["name"])
            self.assertTrue(lines, r["name"])
            self.assertEqual({(ln["operation"], ln["error_code"]) for ln in lines},
                             {("REST.GET.OBJECT", "-")}, lines)
            self.assertLessEqual({ln["status"] for ln in lines}, {"206", "304"}, lines)

    def test_uploaded_content_types(self):
        for name, (_, ctype, _, _) in MEDIA.items():
            h = self.s3.head_object(Bucket=self.priv, Key=name)
            self.assertEqual((h["ContentType"], h["ContentLength"]),
                             (ctype, FILES[name]["size"]))

    def test_presigned_urls_play_and_seek_with_ranged_gets(self):
        self.check_uncached(self.priv, "presigned", self.run_page(self.cases("presigned", False)))

    def test_public_bucket_plays_and_seeks_with_ranged_gets(self):
        self.check_uncached(self.pub, "public", self.run_page(self.cases("public", False)))

    def test_with_the_browser_cache_revalidations_and_if_range(self):
        self.check_cached(self.priv, self.run_page(self.cases("presigned", True)))
        self.check_cached(self.pub, self.run_page(self.cases("public", True)))

    def test_private_object_unsigned_is_refused(self):
        cases = [{"name": name, "tag": tag, "url": "%s/%s/%s" % (SERVER.endpoint, self.priv, name),
                  "at": 1, "expect": "error"} for name, (tag, _, _, _) in MEDIA.items()]
        for r in self.run_page(cases):
            self.assertNotIn("failed", r, r)
            # MEDIA_ERR_SRC_NOT_SUPPORTED: the 403's XML body is no media
            self.assertEqual(r.get("error"), 4, r)
            self.assertEqual(r["errors"], [], r)
            # one request, which the page never saw answered: the browser blocks the 403's
            # XML body (opaque-response blocking), so its status is the server's to tell
            self.assertEqual(len(r["net"]), 1, r)
            self.assertIn("failure", r["net"][0], r)
            self.assertNotIn("status", r["net"][0], r)
            lines = self.log_lines(self.priv, r["name"])
            self.assertEqual([(ln["status"], ln["error_code"], ln["requester"]) for ln in lines],
                             [("403", "AccessDenied", "-")], lines)


class IfRangeTest(unittest.TestCase):
    """Needs no browser: raw requests as the browser cache sends them."""

    def setUp(self):
        self.s3 = make_client(SERVER.endpoint, ACCESS, SECRET)
        self.b = "media-if-range"
        self.s3.create_bucket(Bucket=self.b)
        self.s3.put_bucket_policy(Bucket=self.b, Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::%s/*" % self.b}]}))

    def test_if_range_of_a_replaced_object_sends_it_whole(self):
        # Chromium asks for the rest of a video it holds in part with If-Range: the range only
        # while the object is the one it names, else the whole new object (RFC 9110 13.1.5).
        # Regression: coffer ignored If-Range and sent the new object's bytes for the range.
        key = "/%s/replaced.bin" % self.b
        self.s3.put_object(Bucket=self.b, Key="replaced.bin", Body=b"old video bytes")
        h = dict(send(SERVER.port, "HEAD", key, {})[1])
        etag, lastmod = h["ETag"], h["Last-Modified"]
        for validator in (etag, lastmod):
            st, got, body = send(SERVER.port, "GET", key,
                                 {"Range": "bytes=4-", "If-Range": validator})
            self.assertEqual((st, dict(got)["Content-Range"], body), (206, "bytes 4-14/15",
                                                                      b"video bytes"))
        time.sleep(1.1)  # a Last-Modified a second later
        self.s3.put_object(Bucket=self.b, Key="replaced.bin", Body=b"NEW VIDEO, LONGER")
        for validator in (etag, lastmod, "W/" + etag):
            st, got, body = send(SERVER.port, "GET", key,
                                 {"Range": "bytes=4-", "If-Range": validator})
            self.assertEqual((st, body), (200, b"NEW VIDEO, LONGER"), validator)
            self.assertNotIn("Content-Range", dict(got))


def main():
    global SERVER, ACCESS_LOG, MEDIA_SKIP
    tmp = tempfile.mkdtemp(prefix="coffer-media-")
    try:
        if not shutil.which("ffmpeg") or not shutil.which("ffprobe"):
            MEDIA_SKIP = "ffmpeg is not installed (apt-get install ffmpeg)"
        else:
            make_media(tmp)
        ACCESS_LOG = os.path.join(tmp, "access.log")
        # its data dir inside tmp: ~90 MB of media, removed with it
        os.mkdir(os.path.join(tmp, "data"))
        SERVER = CofferServer(data_dir=os.path.join(tmp, "data"),
                              env={"COFFER_ACCESS_LOG": ACCESS_LOG})
        SERVER.start()
        return run_module(__name__, lambda: SERVER)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
