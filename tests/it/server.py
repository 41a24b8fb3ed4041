"""server.py -- starts the real coffer binary for integration tests.

CofferServer(tmpdir) picks a free port, runs build/release/coffer serve on a
fresh data directory with known admin credentials, waits until it accepts
connections, and stops it with SIGTERM (or kill() for SIGKILL). Extra users
are added with `coffer user add` before start. The server's output goes to
<data>/server.log unless log_path names another file (a test that fills the
data directory's disk keeps its log elsewhere). args: extra flags after
`serve` (e.g. ["--metrics-public"]).
"""
import os
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("COFFER_BIN", os.path.join(ROOT, "build", "release", "coffer"))
ACCESS = "CFTESTADMINKEY000001"
SECRET = "testsecret/with+chars0123456789abcdefgh"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class CofferServer:
    def __init__(self, data_dir=None, env=None, log_path=None, args=None):
        self.data = data_dir or tempfile.mkdtemp(prefix="coffer-it-")
        self.args = list(args or [])
        self.log_path = log_path or os.path.join(self.data, "server.log")
        self.extra_env = env or {}
        self.port = None
        self.proc = None
        self.log = None

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def add_user(self, access, secret):
        env = dict(os.environ, COFFER_DATA=self.data)
        subprocess.run([BINARY, "user", "add", access, secret], env=env, check=True,
                       stdout=subprocess.DEVNULL)

    def start(self, port=None):
        """Starts the server on port (default: a free one), e.g. its old port to restart it
        where a client (another server's change-log sink) keeps sending."""
        self.port = port or free_port()
        env = dict(os.environ, COFFER_DATA=self.data, COFFER_ADDR="127.0.0.1:%d" % self.port,
                   COFFER_ACCESS_KEY=ACCESS, COFFER_SECRET_KEY=SECRET, COFFER_DOMAIN="s3.test",
                   COFFER_LOG=os.environ.get("COFFER_LOG", "warn"))
        env.update(self.extra_env)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BINARY, "serve"] + self.args, env=env, stdout=self.log,
                                     stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("coffer exited with %s" % self.proc.returncode)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("coffer did not start")

    def check(self):
        """Runs `coffer check` on the (stopped) server's data directory: (exit code, output).
        A sanitizer report in its output counts as a failure."""
        env = dict(os.environ, COFFER_DATA=self.data)
        p = subprocess.run([BINARY, "check"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=600)
        out = p.stdout.decode(errors="replace")
        bad = any(m in out for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                     "runtime error:", "WARNING: ThreadSanitizer"))
        return (p.returncode if not bad else 99), out

    def sanitizer_check(self):
        """Raises if the server's log holds an ASan/LSan/UBSan or TSan report
        (COFFER_BIN=build/asan/coffer or build/tsan/coffer)."""
        with open(self.log_path, "rb") as f:
            log = f.read().decode(errors="replace")
        for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer"):
            if mark in log:
                raise RuntimeError("sanitizer report in %s: %s" % (self.log_path, mark))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
            self.sanitizer_check()
        return self.proc.returncode if self.proc else None

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        self.sanitizer_check()
