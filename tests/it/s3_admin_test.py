"""s3_admin_test.py -- the admin API (/_coffer/users, /_coffer/buckets, /_coffer/stats;
doc/admin.md) against the real binary, and `coffer user` on the same store.

- users: list (never a secret), create with a generated key and secret (shown once; the
  new user signs with them at once), create with a chosen key, name and admin flag, refusals
  (duplicate, bad key, malformed/unknown/mistyped JSON), get, patch, rotate (the old secret
  stops at once), disable/enable (a disabled key is refused like an unknown one, presigned
  URLs too), delete (not while the user owns a bucket), an admin cannot lock themself out,
  twenty racing creates of one key make exactly one user;
- who may call it: a non-admin and an anonymous caller get AccessDenied, as JSON;
  wrong methods 405, unknown paths 400 InvalidURI;
- buckets: the list and one bucket's settings (owner, ownership, block, policy, CORS);
- stats: the counters as JSON;
- `coffer user` on the stopped server sees what the API did and its changes reach the API.

Run: python3 tests/it/s3_admin_test.py (prints "RESULT: N passed, N failed").
"""
import json
import os
import subprocess
import sys
import threading
import unittest
import urllib.request

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, BINARY, SECRET, CofferServer  # noqa: E402
from s3_helpers import code_of, make_client, run_module, send, sigv4_headers  # noqa: E402

SERVER = None


def call(method, path, doc=None, access=ACCESS, secret=SECRET, sign=True, raw=None):
    """(status, content type, parsed JSON or None) of one admin API request."""
    body = raw if raw is not None else (json.dumps(doc).encode() if doc is not None else b"")
    headers = {"Content-Type": "application/json"} if body else {}
    if sign:
        headers = sigv4_headers(method, SERVER.endpoint + path, headers, body, access, secret)
    status, hdrs, resp = send(SERVER.port, method, path, headers, body)
    ctype = dict((k.lower(), v) for k, v in hdrs).get("content-type")
    return status, ctype, (json.loads(resp) if resp else None)


def error(resp):
    status, ctype, doc = resp
    return status, ctype, doc["error"]["code"]


def create_user(**doc):
    st, _, u = call("POST", "/_coffer/users", doc)
    assert st == 201, (st, u)
    return u


class Users(unittest.TestCase):
    def test_list_has_the_admin_and_no_secret(self):
        st, ctype, doc = call("GET", "/_coffer/users")
        self.assertEqual((st, ctype), (200, "application/json"))
        me = [u for u in doc["users"] if u["access_key"] == ACCESS]
        self.assertEqual(me, [{"access_key": ACCESS, "name": "admin", "admin": True,
                               "disabled": False}])
        self.assertNotIn(SECRET, json.dumps(doc))
        keys = [u["access_key"] for u in doc["users"]]
        self.assertEqual(keys, sorted(keys))

    def test_create_generated_signs_at_once_and_is_not_admin(self):
        u = create_user(name="Ada Lovelace")
        self.assertRegex(u["access_key"], r"^CF[A-Z2-7]{18}$")
        self.assertEqual(len(u["secret_key"]), 40)
        self.assertEqual((u["name"], u["admin"], u["disabled"]), ("Ada Lovelace", False, False))
        s3 = make_client(SERVER.endpoint, u["access_key"], u["secret_key"])
        self.assertEqual(s3.list_buckets()["Buckets"], [])
        self.assertEqual(error(call("GET", "/_coffer/users", access=u["access_key"],
                                    secret=u["secret_key"])),
                         (403, "application/json", "AccessDenied"))
        st, _, got = call("GET", "/_coffer/users/" + u["access_key"])
        self.assertEqual(st, 200)
        self.assertNotIn("secret_key", got)

    def test_create_chosen_key_and_refusals(self):
        u = create_user(access_key="chosen.key-1", name="C", admin=True)
        self.assertEqual((u["access_key"], u["name"], u["admin"]), ("chosen.key-1", "C", True))
        # the member order of doc/formats.md's worked example ("Admin API")
        self.assertEqual(list(u), ["access_key", "name", "admin", "disabled", "secret_key"])
        self.assertEqual(error(call("POST", "/_coffer/users", {"access_key": "chosen.key-1"})),
                         (409, "application/json", "UserAlreadyExists"))
        for bad in ("a b", "ab", "x" * 129, "", "k/ey"):
            self.assertEqual(error(call("POST", "/_coffer/users", {"access_key": bad}))[:3],
                             (400, "application/json", "InvalidArgument"), bad)
        self.assertEqual(error(call("POST", "/_coffer/users", raw=b"{not json"))[2],
                         "MalformedJSON")
        self.assertEqual(error(call("POST", "/_coffer/users", raw=b"[1]"))[2], "MalformedJSON")
        self.assertEqual(error(call("POST", "/_coffer/users", raw=b'{"a":1} x'))[2],
                         "MalformedJSON")
        st, _, doc = call("POST", "/_coffer/users", {"secret_key": "mine"})
        self.assertEqual((st, doc["error"]["code"]), (400, "MalformedJSON"))
        self.assertIn('"secret_key"', doc["error"]["message"])
        st, _, doc = call("POST", "/_coffer/users", {"admin": "yes"})
        self.assertEqual((st, doc["error"]["code"]), (400, "MalformedJSON"))
        self.assertIn("boolean", doc["error"]["message"])
        self.assertEqual(error(call("GET", "/_coffer/users/nobody"))[:3],
                         (404, "application/json", "NoSuchUser"))

    def test_patch_admin_and_name(self):
        u = create_user()
        path = "/_coffer/users/" + u["access_key"]
        st, _, got = call("PATCH", path, {"admin": True, "name": "Grace"})
        self.assertEqual((st, got["admin"], got["name"], got["disabled"]), (200, True, "Grace", False))
        st, _, _ = call("GET", "/_coffer/users", access=u["access_key"], secret=u["secret_key"])
        self.assertEqual(st, 200)
        st, _, got = call("PATCH", path, {"admin": False})
        self.assertEqual((st, got["admin"], got["name"]), (200, False, "Grace"))
        self.assertEqual(error(call("PATCH", "/_coffer/users/nobody", {"admin": True}))[2],
                         "NoSuchUser")
        self.assertEqual(error(call("PATCH", path, {"access_key": "other"}))[2], "MalformedJSON")

    def test_disable_refuses_signatures_and_presigned_urls_then_enable(self):
        u = create_user()
        s3 = make_client(SERVER.endpoint, u["access_key"], u["secret_key"])
        s3.create_bucket(Bucket="adm-disable")
        s3.put_object(Bucket="adm-disable", Key="k", Body=b"v")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "adm-disable", "Key": "k"})
        path = "/_coffer/users/" + u["access_key"]
        st, _, got = call("PATCH", path, {"disabled": True})
        self.assertEqual((st, got["disabled"]), (200, True))
        with self.assertRaises(ClientError) as cm:
            s3.list_buckets()
        self.assertEqual(code_of(cm.exception), ("InvalidAccessKeyId", 403))
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(url)
        self.assertEqual(cm.exception.code, 403)
        self.assertIn(b"InvalidAccessKeyId", cm.exception.read())
        # the admin still reaches the bucket; nothing of the user's was removed
        admin = make_client(SERVER.endpoint)
        self.assertEqual(admin.get_object(Bucket="adm-disable", Key="k")["Body"].read(), b"v")
        st, _, got = call("PATCH", path, {"disabled": False})
        self.assertEqual((st, got["disabled"]), (200, False))
        self.assertEqual(urllib.request.urlopen(url).read(), b"v")

    def test_rotate_stops_the_old_secret(self):
        u = create_user()
        st, _, got = call("POST", "/_coffer/users/%s/rotate" % u["access_key"])
        self.assertEqual((st, got["access_key"]), (200, u["access_key"]))
        self.assertEqual(len(got["secret_key"]), 40)
        self.assertNotEqual(got["secret_key"], u["secret_key"])
        with self.assertRaises(ClientError) as cm:
            make_client(SERVER.endpoint, u["access_key"], u["secret_key"]).list_buckets()
        self.assertEqual(code_of(cm.exception), ("SignatureDoesNotMatch", 403))
        make_client(SERVER.endpoint, u["access_key"], got["secret_key"]).list_buckets()
        self.assertEqual(error(call("POST", "/_coffer/users/nobody/rotate"))[2], "NoSuchUser")
        self.assertEqual(error(call("GET", "/_coffer/users/%s/rotate" % u["access_key"]))[:1],
                         (405,))

    def test_delete_refused_while_owning_a_bucket(self):
        u = create_user()
        s3 = make_client(SERVER.endpoint, u["access_key"], u["secret_key"])
        s3.create_bucket(Bucket="adm-owned")
        path = "/_coffer/users/" + u["access_key"]
        self.assertEqual(error(call("DELETE", path))[:3], (409, "application/json", "Conflict"))
        s3.delete_bucket(Bucket="adm-owned")
        st, _, body = call("DELETE", path)
        self.assertEqual((st, body), (204, None))
        with self.assertRaises(ClientError) as cm:
            s3.list_buckets()
        self.assertEqual(code_of(cm.exception), ("InvalidAccessKeyId", 403))
        self.assertEqual(error(call("DELETE", path))[2], "NoSuchUser")

    def test_an_admin_cannot_lock_themself_out(self):
        me = "/_coffer/users/" + ACCESS
        for doc in ({"disabled": True}, {"admin": False}):
            self.assertEqual(error(call("PATCH", me, doc))[:3],
                             (409, "application/json", "Conflict"))
        self.assertEqual(error(call("DELETE", me))[2], "Conflict")
        st, _, got = call("GET", me)
        self.assertEqual((st, got["admin"], got["disabled"]), (200, True, False))

    def test_racing_creates_make_one_user(self):
        results = []

        def one():
            results.append(call("POST", "/_coffer/users", {"access_key": "RACEKEY0001"})[0])
        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [201] + [409] * 19)


class Callers(unittest.TestCase):
    def test_anonymous_and_non_admin_are_denied_as_json(self):
        u = create_user()
        for path in ("/_coffer/users", "/_coffer/stats", "/_coffer/buckets", "/_coffer/nothing"):
            self.assertEqual(error(call("GET", path, sign=False)),
                             (403, "application/json", "AccessDenied"), path)
            self.assertEqual(error(call("GET", path, access=u["access_key"],
                                        secret=u["secret_key"])),
                             (403, "application/json", "AccessDenied"), path)
        status, ctype, code = error(call("GET", "/_coffer/users", secret="wrong"))
        self.assertEqual((status, ctype, code), (403, "application/json", "SignatureDoesNotMatch"))

    def test_methods_and_paths(self):
        self.assertEqual(error(call("PUT", "/_coffer/users", {}))[:1], (405,))
        self.assertEqual(error(call("DELETE", "/_coffer/users"))[:3],
                         (405, "application/json", "MethodNotAllowed"))
        self.assertEqual(error(call("POST", "/_coffer/stats"))[2], "MethodNotAllowed")
        self.assertEqual(error(call("POST", "/_coffer/buckets"))[2], "MethodNotAllowed")
        for path in ("/_coffer/nothing", "/_coffer/users/a/b", "/_coffer/usersx",
                     "/_coffer/buckets/a/b"):
            self.assertEqual(error(call("GET", path))[:3],
                             (400, "application/json", "InvalidURI"), path)


class Buckets(unittest.TestCase):
    def test_list_and_settings(self):
        u = create_user()
        s3 = make_client(SERVER.endpoint, u["access_key"], u["secret_key"])
        s3.create_bucket(Bucket="adm-settings", ObjectOwnership="BucketOwnerPreferred")
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::adm-settings/*"}]}
        s3.put_bucket_policy(Bucket="adm-settings", Policy=json.dumps(policy))
        s3.put_bucket_cors(Bucket="adm-settings", CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
        s3.put_public_access_block(Bucket="adm-settings", PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False})
        st, _, doc = call("GET", "/_coffer/buckets")
        self.assertEqual(st, 200)
        mine = [b for b in doc["buckets"] if b["name"] == "adm-settings"]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["owner"], u["access_key"])
        self.assertRegex(mine[0]["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        st, _, got = call("GET", "/_coffer/buckets/adm-settings")
        self.assertEqual(st, 200)
        self.assertEqual(got, {
            "name": "adm-settings", "owner": u["access_key"], "created": mine[0]["created"],
            "object_ownership": "BucketOwnerPreferred",
            "public_access_block": {"BlockPublicAcls": True, "IgnorePublicAcls": False,
                                    "BlockPublicPolicy": False, "RestrictPublicBuckets": False},
            "acl_public": False, "cors": True, "policy": policy, "policy_public": True,
            "change_log": {"enabled": False, "window_seconds": 60, "retention_seconds": 604800,
                           "view": "s3://coffer-cdc/adm-settings/"}})
        s3.delete_bucket_policy(Bucket="adm-settings")
        st, _, got = call("GET", "/_coffer/buckets/adm-settings")
        self.assertEqual((got["policy"], got["policy_public"]), (None, False))
        self.assertEqual(error(call("GET", "/_coffer/buckets/no-such-bucket"))[:3],
                         (404, "application/json", "NoSuchBucket"))

    def test_stats(self):
        make_client(SERVER.endpoint).create_bucket(Bucket="adm-stats")
        make_client(SERVER.endpoint).put_object(Bucket="adm-stats", Key="k", Body=b"x" * 1000)
        st, ctype, doc = call("GET", "/_coffer/stats")
        self.assertEqual((st, ctype), (200, "application/json"))
        self.assertGreaterEqual(doc["bytes_accepted"], 1000)
        self.assertGreaterEqual(doc["commitlog_syncs"], 1)
        for table in ("chunks", "metadata"):
            self.assertEqual(set(doc[table]), {
                "sstables", "sstable_bytes", "memtable_bytes", "logged_bytes", "flush_bytes",
                "compaction_bytes", "ingest_bytes", "flushes", "compactions"})


def cli(server, *args):
    p = subprocess.run([BINARY, "user"] + list(args), env=dict(os.environ, COFFER_DATA=server.data),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class Cli(unittest.TestCase):
    """`coffer user` on a stopped server and the admin API share the store's users."""

    def test_cli_and_api_share_users(self):
        global SERVER
        own = CofferServer().start()
        saved, SERVER = SERVER, own
        try:
            api_user = create_user(access_key="FROMAPI01", name="api")
            call("PATCH", "/_coffer/users/FROMAPI01", {"disabled": True})
            own.stop()
            rc, out, _ = cli(own, "list")
            self.assertEqual(rc, 0)
            self.assertIn("FROMAPI01 api (disabled)\n", out)
            self.assertEqual(cli(own, "enable", "FROMAPI01")[0], 0)
            self.assertEqual(cli(own, "admin", "FROMAPI01", "on")[0], 0)
            rc, out, _ = cli(own, "rotate", "FROMAPI01")
            self.assertEqual(rc, 0)
            new_secret = out.split("secret key ")[1].strip()
            self.assertNotEqual(new_secret, api_user["secret_key"])
            rc, out, _ = cli(own, "add", "FROMCLI01")
            self.assertEqual(rc, 0)
            cli_secret = out.split("secret key ")[1].strip()
            rc, _, err = cli(own, "add", "FROMCLI01")
            self.assertEqual((rc, err.strip()), (1, "coffer user: FROMCLI01: the user exists"))
            self.assertEqual(cli(own, "disable", "nobody")[0], 1)
            self.assertEqual(cli(own, "frobnicate")[0], 2)
            own.start()
            st, _, got = call("GET", "/_coffer/users/FROMAPI01")
            self.assertEqual((st, got["admin"], got["disabled"]), (200, True, False))
            st, _, _ = call("GET", "/_coffer/users", access="FROMAPI01", secret=new_secret)
            self.assertEqual(st, 200)
            make_client(own.endpoint, "FROMCLI01", cli_secret).list_buckets()
            self.assertEqual(call("DELETE", "/_coffer/users/FROMCLI01")[0], 204)
            own.stop()
            rc, out, _ = cli(own, "list")
            self.assertNotIn("FROMCLI01", out)
            self.assertEqual(cli(own, "remove", "FROMAPI01")[0], 0)
            self.assertEqual(cli(own, "remove", "FROMAPI01")[0], 1)
        finally:
            own.stop()
            SERVER = saved


if __name__ == "__main__":
    SERVER = CofferServer().start()
    sys.exit(run_module(__name__, lambda: SERVER))
