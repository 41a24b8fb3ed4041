"""s3_fuse_test.py -- a coffer bucket mounted with FUSE clients, checked byte for byte.

Four mount configurations, each on its own bucket of one coffer server:
  s3fs          default       Debian's s3fs, path-style (multipart uploads and, to
                              append to a large file, UploadPartCopy)
  s3fs          nomultipart   the same with -o nomultipart (one PUT per file)
  rclone-mount  cache off     rclone mount --vfs-cache-mode off (streams, no append)
  rclone-mount  cache writes  rclone mount --vfs-cache-mode writes (uploads after close,
                              so the S3 API checks poll until the object is there)
On each: nested mkdir; files of 0 B, 1 B, 1 MiB, 50 MiB and 200 MiB written with cp
(random bytes from a seeded generator); `ls -l` sizes and mtimes; the objects read back
through the S3 API (boto3) by SHA-256; append and in-place overwrite where the tool can;
rename of a file and of a directory; chmod and `touch -d` and the x-amz-meta-mode /
x-amz-meta-mtime they leave on the object; rm; a file name with characters SigV4 and
the XML listings escape; truncate; a symlink (s3fs); a directory of 1,100 objects PUT through
the S3 API listed through the mount (two list pages); `cp -r` of a 50-file tree and
`diff -r`;
unmount and remount; then `diff -r` again, every file's SHA-256 through the mount, 20
random reads in the largest file, and the metadata kept.

Every check prints PASS/FAIL/SKIP and, from the same place, its COMPAT line (issue 14's
compatibility matrix: "COMPAT<TAB>client<TAB>version<TAB><config>: <operation><TAB>verdict",
gathered by tests/run.sh into tests/it/COMPATIBILITY.md). A machine
without /dev/fuse or fusermount3, or where the kernel refuses the mount, SKIPs; a missing
s3fs or rclone SKIPs that client. The mounts live under $COFFER_FUSE_DIR (tests/it/fuse.sh
makes it and unmounts whatever is left there on exit); every mount is also unmounted in a
finally here (fusermount3 -u, then -u -z).

Run: bash tests/it/fuse.sh (prints "RESULT: N passed, N failed[, N skipped]").
"""
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, SECRET, CofferServer  # noqa: E402
from s3_helpers import make_client  # noqa: E402

MiB = 1 << 20
SIZES = [("0 B", 0), ("1 B", 1), ("1 MiB", MiB), ("50 MiB", 50 * MiB), ("200 MiB", 200 * MiB)]
MTIME_SLACK_S = 3        # ls -l's mtime may be the start or end of the write, in whole seconds
EVENTUAL_S = 60          # rclone --vfs-cache-mode writes uploads after close, in the background
MOUNT_WAIT_S = 30
TOUCH_EPOCH = 1614834367  # 2021-03-04 05:06:07 UTC
MANY_COUNT = 1100         # objects in one directory: more than one 1000-key list page
ODD_NAME = "we ird+na%me \u00fc &=?#~.txt"  # each byte SigV4 and XML listings must escape
# mount failures that are the machine's, not coffer's: the kernel or fusermount said no
ENV_FAILURE = re.compile(r"fusermount|/dev/fuse|fuse: (device|mount)|Operation not permitted")


def sha_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(MiB)
            if not b:
                return h.hexdigest()
            h.update(b)


def slurp(path):
    with open(path, "rb") as f:
        return f.read()


def first_line(cmd):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        return out.stdout.decode(errors="replace").splitlines()[0].strip()
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


def is_mounted(mp):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == mp for line in f)


def fuse_usable():
    """None when this machine can mount FUSE file systems, else why not."""
    if not shutil.which("fusermount3"):
        return "no fusermount3 (Debian package fuse3)"
    try:
        os.close(os.open("/dev/fuse", os.O_RDWR))
    except OSError as e:
        return "/dev/fuse: %s" % e.strerror
    return None


class Skip(Exception):
    pass


class Tally:
    """PASS/FAIL/SKIP lines, each with its COMPAT line, and the RESULT line."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def emit(self, cfg, op, verdict, why="", took_s=None):
        name = "%s %s: %s" % (cfg.client, cfg.name, op)
        if took_s is not None:
            name += " (%.1f s)" % took_s
        if verdict == "PASS":
            self.passed += 1
            print("PASS " + name)
        elif verdict == "SKIP":
            self.skipped += 1
            print("SKIP %s: %s" % (name, why))
        else:
            self.failed += 1
            print("FAIL %s\n    %s" % (name, why.replace("\n", "\n    ")))
        print("COMPAT\t%s\t%s\t%s: %s\t%s" % (cfg.client, cfg.version, cfg.name, op, verdict),
              flush=True)

    def check(self, cfg, op, fn, *args):
        """Runs fn(*args): PASS when it returns, FAIL on any exception, SKIP on Skip.
        Returns (verdict, why)."""
        start = time.time()
        try:
            fn(*args)
        except Skip as e:
            verdict, why = "SKIP", str(e)
        except Exception as e:  # noqa: BLE001 -- any failure of the op is its FAIL
            verdict, why = "FAIL", "%s: %s" % (type(e).__name__, e)
        else:
            verdict, why = "PASS", ""
        self.emit(cfg, op, verdict, why, time.time() - start)
        return verdict, why

    def result(self):
        print("RESULT: %d passed, %d failed%s" % (
            self.passed, self.failed, ", %d skipped" % self.skipped if self.skipped else ""))
        return 1 if self.failed else 0


class Mount:
    """One FUSE client process in the foreground, its mount point and its log."""

    def __init__(self, cfg, work, endpoint):
        self.cfg, self.work, self.endpoint = cfg, work, endpoint
        self.mp = os.path.join(work, "mnt")
        self.log_path = os.path.join(work, "client.log")
        self.proc = None
        self.mounts = 0  # how many times mounted: each mount gets a fresh rclone cache
        os.makedirs(self.mp, exist_ok=True)

    def command(self):
        cfg = self.cfg
        if cfg.client == "s3fs":
            passwd = os.path.join(self.work, "passwd-s3fs")
            with open(passwd, "w") as f:
                f.write("%s:%s\n" % (ACCESS, SECRET))
            os.chmod(passwd, 0o600)
            return ["s3fs", cfg.bucket, self.mp, "-f", "-o", "passwd_file=" + passwd,
                    "-o", "use_path_request_style,url=" + self.endpoint] + cfg.options
        conf = os.path.join(self.work, "rclone.conf")
        with open(conf, "w") as f:
            f.write("[coffer]\ntype = s3\nprovider = Other\naccess_key_id = %s\n"
                    "secret_access_key = %s\nendpoint = %s\n" % (ACCESS, SECRET, self.endpoint))
        # a fresh cache directory per mount: what is read after a remount comes from coffer
        return ["rclone", "--config", conf, "mount", "coffer:" + cfg.bucket, self.mp,
                "--cache-dir", os.path.join(self.work, "rclone-cache-%d" % self.mounts)] \
            + cfg.options

    def log_tail(self, n=8):
        with open(self.log_path, errors="replace") as f:
            return "".join(f.readlines()[-n:]).strip()

    def mount(self):
        # rclone refuses every S3 remote when AWS_CA_BUNDLE names a file and the
        # transport is its own ("unable to load custom CA bundle"); plain HTTP needs none
        env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
        self.mounts += 1
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=log, env=env,
                                         stdin=subprocess.DEVNULL)
        deadline = time.time() + MOUNT_WAIT_S
        while not is_mounted(self.mp):
            if self.proc.poll() is not None or time.time() > deadline:
                self.unmount()
                tail = self.log_tail()
                refused = [ln for ln in tail.splitlines() if ENV_FAILURE.search(ln)]
                if refused:
                    raise Skip("the machine refused the mount: " + refused[0])
                raise AssertionError("not mounted after %ss: %s" % (MOUNT_WAIT_S, tail))
            time.sleep(0.1)

    def unmount(self):
        """fusermount3 -u (retried while busy), then -u -z; waits for the client to exit.
        Returns the client's exit status (None if it had to be killed)."""
        for _ in range(10):
            if not is_mounted(self.mp):
                break
            if subprocess.run(["fusermount3", "-u", self.mp], stderr=subprocess.DEVNULL).returncode:
                time.sleep(0.5)
        if is_mounted(self.mp):
            subprocess.run(["fusermount3", "-u", "-z", self.mp], stderr=subprocess.DEVNULL)
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        try:
            return proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None


class Config:
    def __init__(self, client, name, bucket, options, version, cannot=None):
        self.client, self.name, self.bucket, self.options = client, name, bucket, options
        self.version = version
        self.cannot = cannot or {}   # op -> why the tool cannot do it (a SKIP)


class Run:
    """The operations on one mount configuration, in order; each is one check."""

    def __init__(self, tally, cfg, s3, src, work, endpoint):
        self.t, self.cfg, self.s3, self.src, self.work = tally, cfg, s3, src, work
        self.m = Mount(cfg, work, endpoint)
        self.mp = self.m.mp
        self.expect = {}   # key (path under the mount) -> local file with its bytes
        self.written = {}  # key -> (start, end) of its write, epoch seconds
        self.many = ["k-%04d" % i for i in range(MANY_COUNT)]

    def at(self, key):
        return os.path.join(self.mp, key)

    def local(self, name, body):
        path = os.path.join(self.work, "expect-" + name)
        with open(path, "wb") as f:
            f.write(body)
        return path

    # -- the S3 API's view --

    def object_sha(self, key):
        h = hashlib.sha256()
        for chunk in self.s3.get_object(Bucket=self.cfg.bucket, Key=key)["Body"].iter_chunks(MiB):
            h.update(chunk)
        return h.hexdigest()

    def eventually(self, fn):
        """fn() until it stops raising, for EVENTUAL_S (rclone uploads after close)."""
        deadline = time.time() + EVENTUAL_S
        while True:
            try:
                return fn()
            except Exception:  # noqa: BLE001 -- retried until the deadline, then raised
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

    def assert_objects(self, keys):
        def same():
            for k in keys:
                got = self.object_sha(k)
                assert got == sha_file(self.expect[k]), "%s: sha256 %s via S3 API" % (k, got)
        self.eventually(same)

    def assert_no_object(self, key):
        def gone():
            keys = [o["Key"] for o in self.s3.list_objects_v2(
                Bucket=self.cfg.bucket, Prefix=key).get("Contents", [])]
            assert key not in keys, "%s still listed by the S3 API" % key
        self.eventually(gone)

    def head_meta(self, key):
        return self.s3.head_object(Bucket=self.cfg.bucket, Key=key)["Metadata"]

    # -- the operations --

    def mkdir_nested(self):
        os.makedirs(self.at("deep/a/b/c"))
        os.mkdir(self.at("files"))
        assert os.path.isdir(self.at("deep/a/b/c"))
        assert sorted(os.listdir(self.mp)) == ["deep", "files", "many"], os.listdir(self.mp)

    def write(self, name):
        key = "files/" + name
        start = time.time()
        subprocess.run(["cp", os.path.join(self.src, name), self.at(key)], check=True)
        self.written[key] = (start, time.time())
        self.expect[key] = os.path.join(self.src, name)

    def ls_sizes_mtimes(self):
        out = subprocess.run(["ls", "-ln", "--time-style=+%s", self.at("files")], check=True,
                             stdout=subprocess.PIPE).stdout.decode()
        rows = {f[6]: (int(f[4]), int(f[5])) for f in (ln.split() for ln in out.splitlines())
                if len(f) == 7}
        for key, (start, end) in self.written.items():
            size, mtime = rows[key.split("/")[1]]
            assert size == os.path.getsize(self.expect[key]), "%s: size %d" % (key, size)
            assert start - MTIME_SLACK_S <= mtime <= end + MTIME_SLACK_S, \
                "%s: mtime %d, written %.0f..%.0f" % (key, mtime, start, end)

    def append(self, base, extra):
        key = "files/app-" + base
        body = slurp(os.path.join(self.src, base))
        tail = random.Random(len(body)).randbytes(extra)
        subprocess.run(["cp", os.path.join(self.src, base), self.at(key)], check=True)
        with open(self.at(key), "ab") as f:
            f.write(tail)
        self.expect[key] = self.local("app-" + base, body + tail)
        assert sha_file(self.at(key)) == sha_file(self.expect[key])
        self.assert_objects([key])

    def overwrite_truncate(self):
        key = "files/over"
        with open(self.at(key), "wb") as f:
            f.write(b"first version, longer than the second\n")
        with open(self.at(key), "wb") as f:
            f.write(b"second\n")
        self.expect[key] = self.local("over", b"second\n")
        assert slurp(self.at(key)) == b"second\n"
        self.assert_objects([key])

    def overwrite_range(self):
        key = "files/patched"
        body = bytearray(slurp(os.path.join(self.src, "f-1m")))
        patch = random.Random(7).randbytes(1000)
        subprocess.run(["cp", os.path.join(self.src, "f-1m"), self.at(key)], check=True)
        with open(self.at(key), "r+b") as f:
            f.seek(300000)
            f.write(patch)
        body[300000:301000] = patch
        self.expect[key] = self.local("patched", bytes(body))
        assert sha_file(self.at(key)) == sha_file(self.expect[key])
        self.assert_objects([key])

    def rename_file(self):
        os.rename(self.at("files/f-1m"), self.at("files/f-1m.renamed"))
        self.expect["files/f-1m.renamed"] = self.expect.pop("files/f-1m")
        assert not os.path.exists(self.at("files/f-1m"))
        assert sha_file(self.at("files/f-1m.renamed")) == sha_file(self.expect["files/f-1m.renamed"])
        self.assert_objects(["files/f-1m.renamed"])
        self.assert_no_object("files/f-1m")

    def rename_dir(self):
        names = sorted(os.listdir(self.at("files")))
        os.rename(self.at("files"), self.at("moved"))
        self.expect = {("moved/" + k[6:] if k.startswith("files/") else k): v
                       for k, v in self.expect.items()}
        assert not os.path.exists(self.at("files"))
        assert sorted(os.listdir(self.at("moved"))) == names, os.listdir(self.at("moved"))
        self.assert_objects(sorted(k for k in self.expect if k.startswith("moved/")))
        self.assert_no_object("files/f-1")

    def chmod(self):
        key = "moved/f-1"
        os.chmod(self.at(key), 0o640)
        assert os.stat(self.at(key)).st_mode & 0o7777 == 0o640, oct(os.stat(self.at(key)).st_mode)
        self.eventually(lambda: self.assert_meta(key, "mode", 0o100640))

    def assert_meta(self, key, name, want):
        got = self.head_meta(key).get(name)
        assert got is not None and int(float(got)) == want, "x-amz-meta-%s: %r" % (name, got)

    def touch_d(self):
        key = "moved/f-1"
        # -c: set the times by path; without it touch opens the file for writing
        # first, which rclone without a cache refuses for an existing file
        subprocess.run(["touch", "-c", "-d", "@%d" % TOUCH_EPOCH, self.at(key)], check=True)
        assert int(os.stat(self.at(key)).st_mtime) == TOUCH_EPOCH, os.stat(self.at(key)).st_mtime
        self.eventually(lambda: self.assert_meta(key, "mtime", TOUCH_EPOCH))
        self.assert_objects([key])

    def rm(self):
        key = "moved/doomed"
        with open(self.at(key), "wb") as f:
            f.write(b"short-lived\n")
        self.expect[key] = self.local("doomed", b"short-lived\n")
        self.assert_objects([key])
        os.remove(self.at(key))
        del self.expect[key]
        assert not os.path.exists(self.at(key))
        self.assert_no_object(key)

    def put_many(self):
        """MANY_COUNT objects PUT through the S3 API before the first mount (rclone lists a
        directory once and keeps the listing: objects put later would not show)."""
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: self.s3.put_object(Bucket=self.cfg.bucket, Key="many/" + n,
                                                       Body=n.encode()), self.many))

    def ls_many(self):
        """The objects of put_many are listed, and read, through the mount."""
        names = self.many
        got = sorted(os.listdir(self.at("many")))
        assert got == names, "%d names listed, first missing %s" % (
            len(got), next((n for n in names if n not in got), None))
        assert slurp(self.at("many/" + names[-1])) == names[-1].encode()

    def odd_name(self):
        key = "moved/" + ODD_NAME
        with open(self.at(key), "wb") as f:
            f.write(b"odd\n")
        self.expect[key] = self.local("odd", b"odd\n")
        assert ODD_NAME in os.listdir(self.at("moved"))
        self.assert_objects([key])

    def truncate(self):
        key = "moved/trunc"
        body = slurp(os.path.join(self.src, "f-1m"))
        with open(self.at(key), "wb") as f:
            f.write(body)
        # truncate -s: open, then ftruncate. (A truncate(2) by path, with the file not
        # open, makes s3fs 1.90 PUT zeros of the new size without reading the object:
        # the PUT's payload hash is that of zeros, so no answer of coffer's is involved.)
        subprocess.run(["truncate", "-s", "5000", self.at(key)], check=True)
        assert slurp(self.at(key)) == body[:5000], "shortened: other bytes"
        subprocess.run(["truncate", "-s", "200000", self.at(key)], check=True)
        self.expect[key] = self.local("trunc", body[:5000] + bytes(195000))
        assert slurp(self.at(key)) == slurp(self.expect[key])
        self.assert_objects([key])

    def symlink(self):
        os.symlink("f-1", self.at("moved/link"))
        self.symlink_kept()

    def symlink_kept(self):
        assert os.readlink(self.at("moved/link")) == "f-1"
        assert slurp(self.at("moved/link")) == slurp(self.expect["moved/f-1"])

    def tree_keys(self):
        out = {}
        for d, _, files in os.walk(self.tree):
            for f in files:
                p = os.path.join(d, f)
                out["tree/" + os.path.relpath(p, self.tree)] = p
        return out

    def cp_tree(self, tree):
        self.tree = tree
        subprocess.run(["cp", "-r", tree, self.at("tree")], check=True)
        self.diff_tree()
        self.expect.update(self.tree_keys())
        self.assert_objects(sorted(self.tree_keys()))

    def diff_tree(self):
        r = subprocess.run(["diff", "-r", self.tree, self.at("tree")], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        assert r.returncode == 0, r.stdout.decode(errors="replace")[:2000]

    def unmount(self):
        rc = self.m.unmount()
        assert not is_mounted(self.mp), "still mounted"
        assert rc == 0, "client exited %r: %s" % (rc, self.m.log_tail())

    def read_back(self, key):
        assert sha_file(self.at(key)) == sha_file(self.expect[key]), key

    def random_reads(self, key):
        rng = random.Random(20)
        size = os.path.getsize(self.expect[key])
        with open(self.expect[key], "rb") as want, open(self.at(key), "rb") as got:
            for i in range(20):
                off = size - 1 if i == 0 else rng.randrange(size)
                n = rng.randrange(1, 128 * 1024)
                want.seek(off)
                got.seek(off)
                assert got.read(n) == want.read(n), "bytes at %d..+%d differ" % (off, n)

    def mode_kept(self):
        st = os.stat(self.at("moved/f-1"))
        assert st.st_mode & 0o7777 == 0o640, oct(st.st_mode)

    def mtime_kept(self):
        st = os.stat(self.at("moved/f-1"))
        assert int(st.st_mtime) == TOUCH_EPOCH, st.st_mtime

    def s3_all(self):
        self.assert_objects(sorted(self.expect))

    def ops(self, tree):
        """(operation, fn, args) in order; a check the tool cannot do is a SKIP (cfg.cannot)."""
        ops = [("mount", self.m.mount, ()),
               ("ls of %d objects put through the S3 API" % MANY_COUNT, self.ls_many, ()),
               ("mkdir nested", self.mkdir_nested, ())]
        ops += [("write " + label, self.write, ("f-%s" % short(n),)) for label, n in SIZES]
        ops += [("ls -l sizes and mtimes", self.ls_sizes_mtimes, ()),
                ("S3 API GET of the written files", self.s3_all, ()),
                ("append to 1 MiB file", self.append, ("f-1m", 4097)),
                ("append to 50 MiB file", self.append, ("f-50m", 12345)),
                ("overwrite with O_TRUNC", self.overwrite_truncate, ()),
                ("overwrite a range in place", self.overwrite_range, ()),
                ("rename file", self.rename_file, ()),
                ("rename directory", self.rename_dir, ()),
                ("chmod (x-amz-meta-mode)", self.chmod, ()),
                ("touch -d (x-amz-meta-mtime)", self.touch_d, ()),
                ("rm", self.rm, ()),
                ("file name with space + % \u00fc & = ? # ~", self.odd_name, ()),
                ("truncate -s shorter and longer", self.truncate, ()),
                ("symlink", self.symlink, ()),
                ("cp -r 50-file tree + diff -r", self.cp_tree, (tree,)),
                ("unmount", self.unmount, ()),
                ("remount", self.m.mount, ()),
                ("diff -r after remount", self.diff_tree, ())]
        ops += [("read back %s after remount (sha256)" % label, self.read_back, (key,))
                for label, key in (("0 B", "moved/f-0"), ("1 B", "moved/f-1"),
                                   ("1 MiB", "moved/f-1m.renamed"), ("50 MiB", "moved/f-50m"),
                                   ("200 MiB", "moved/f-200m"))]
        ops += [("20 random reads in 200 MiB after remount", self.random_reads, ("moved/f-200m",)),
                ("mode kept after remount", self.mode_kept, ()),
                ("mtime kept after remount", self.mtime_kept, ()),
                ("symlink kept after remount", self.symlink_kept, ()),
                ("S3 API GET of everything after remount", self.s3_all, ()),
                ("unmount at the end", self.unmount, ())]
        return ops

    def run(self, tree, skip_all=None):
        """All ops in order. A mount the machine refused SKIPs the rest; one that failed
        otherwise FAILs the rest ("not mounted"): nothing runs on the bare mount point."""
        broken = None
        try:
            for op, fn, args in self.ops(tree):
                why = skip_all or self.cfg.cannot.get(op)
                if why:
                    self.t.emit(self.cfg, op, "SKIP", why)
                elif broken:
                    self.t.emit(self.cfg, op, "FAIL", broken)
                else:
                    verdict, why = self.t.check(self.cfg, op, fn, *args)
                    if fn == self.m.mount and verdict == "SKIP":
                        skip_all = "not mounted (see the SKIP of the mount)"
                    elif fn == self.m.mount and verdict == "FAIL":
                        broken = "not mounted"
        finally:
            self.m.unmount()


def short(n):
    return {0: "0", 1: "1", MiB: "1m", 50 * MiB: "50m", 200 * MiB: "200m"}[n]


def make_sources(src, tree):
    rng = random.Random(14)
    for _, n in SIZES:
        with open(os.path.join(src, "f-" + short(n)), "wb") as f:
            f.write(rng.randbytes(n))
    dirs = ["", "a", "a/b", "a/b/c", "docs", "docs/old"]
    for d in dirs:
        os.makedirs(os.path.join(tree, d), exist_ok=True)
    for i in range(50):
        with open(os.path.join(tree, dirs[i % len(dirs)], "file-%02d.bin" % i), "wb") as f:
            f.write(rng.randbytes(rng.choice([0, 1, 100, 4096, 20000, 70000])))


def configs():
    s3fs_v = first_line(["s3fs", "--version"]) if shutil.which("s3fs") else None
    rclone_v = first_line(["rclone", "version"]) if shutil.which("rclone") else None
    no_append = "rclone --vfs-cache-mode off cannot append, write at an offset or " \
                "truncate (an open without O_TRUNC of an existing file is refused)"
    no_mode = "rclone mount keeps no file mode (chmod is accepted and dropped)"
    no_link = "rclone mount makes no symlinks (EIO)"
    rclone_cannot = {"chmod (x-amz-meta-mode)": no_mode, "mode kept after remount": no_mode,
                     "symlink": no_link, "symlink kept after remount": no_link}
    return [
        Config("s3fs", "default", "fuse-s3fs", [], s3fs_v),
        Config("s3fs", "nomultipart", "fuse-s3fs-nomp", ["-o", "nomultipart"], s3fs_v),
        Config("rclone-mount", "vfs-cache-mode off", "fuse-rclone-off",
               ["--vfs-cache-mode", "off"], rclone_v,
               cannot=dict(rclone_cannot, **{"append to 1 MiB file": no_append,
                                             "append to 50 MiB file": no_append,
                                             "overwrite a range in place": no_append,
                                             "truncate -s shorter and longer": no_append})),
        Config("rclone-mount", "vfs-cache-mode writes", "fuse-rclone-writes",
               ["--vfs-cache-mode", "writes"], rclone_v, cannot=rclone_cannot),
    ]


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    base = os.environ.get("COFFER_FUSE_DIR") or tempfile.mkdtemp(prefix="coffer-fuse-")
    src, tree = os.path.join(base, "src"), os.path.join(base, "tree")
    os.makedirs(src, exist_ok=True)
    make_sources(src, tree)
    tally = Tally()
    no_fuse = fuse_usable()
    os.makedirs(os.path.join(base, "data"))
    server = CofferServer(data_dir=os.path.join(base, "data")).start()
    try:
        s3 = make_client(server.endpoint)
        for cfg in configs():
            work = os.path.join(base, cfg.bucket)
            os.makedirs(work)
            skip = no_fuse or (None if cfg.version else "%s is not installed" % cfg.client)
            cfg.version = cfg.version or "none"
            start = time.time()
            run = Run(tally, cfg, s3, src, work, server.endpoint)
            if not skip:
                s3.create_bucket(Bucket=cfg.bucket)
                run.put_many()
            run.run(tree, skip)
            print("# %s %s: %.1f s" % (cfg.client, cfg.name, time.time() - start), flush=True)
    finally:
        server.stop()
    return tally.result()


if __name__ == "__main__":
    sys.exit(main())
