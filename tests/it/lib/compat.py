"""compat.py -- writes tests/it/COMPATIBILITY.md from the COMPAT lines of a test run.

tests/run.sh gathers every line of the form

    COMPAT<TAB>client<TAB>version<TAB>operation<TAB>PASS|FAIL|SKIP

that the client suites print (tests/it/tools.sh, fuse.sh, jsclients.sh, ...) and runs

    python3 tests/it/lib/compat.py LINES-FILE OUT.md

The matrix says, per client and version, what was proved to work in that run: a
summary table, then each client's operations. An operation reported twice keeps its
worst verdict (FAIL over SKIP over PASS). Nothing is written when there are no lines
(a run of a subset of the suites must not erase the matrix).
"""
import re
import subprocess
import sys
import time

ORDER = {"FAIL": 2, "SKIP": 1, "PASS": 0}
SHOW = {"PASS": "pass", "FAIL": "**FAIL**", "SKIP": "skipped"}


def short_version(v):
    """The first word that looks like a version ("V1.90", "aws-cli/2.9.19"), else v."""
    for w in v.split():
        if re.match(r"(?i)v?\d", w) or re.search(r"/\d", w):
            return w
    return v.strip() or "unknown"


def read(path):
    clients = {}  # client -> {"versions": set, "ops": {op: verdict}}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5 or parts[0] != "COMPAT" or parts[4] not in ORDER:
                continue
            _, client, version, op, verdict = parts
            c = clients.setdefault(client, {"versions": set(), "ops": {}})
            c["versions"].add(short_version(version))
            old = c["ops"].get(op)
            if old is None or ORDER[verdict] > ORDER[old]:
                c["ops"][op] = verdict
    return clients


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def render(clients):
    out = ["# Client compatibility", "",
           "Written by `tests/run.sh` (`tests/it/lib/compat.py`) from the checks of the last full",
           "test run -- do not edit by hand. Each row is a check that ran against the real `coffer`",
           "binary with the client's default configuration plus the endpoint and keys; *skipped*",
           "means the check could not run -- the machine lacked what it needs, or the client",
           "cannot do that (the suite's SKIP line says which) -- never that it passed.", "",
           "Run: %s, coffer commit %s." % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                           commit()), "",
           "| client | version | pass | fail | skipped |", "|---|---|---:|---:|---:|"]
    for name in sorted(clients):
        c = clients[name]
        v = list(c["ops"].values())
        out.append("| [%s](#%s) | %s | %d | %d | %d |" % (
            name, name.lower(), ", ".join(sorted(c["versions"])), v.count("PASS"),
            v.count("FAIL"), v.count("SKIP")))
    for name in sorted(clients):
        c = clients[name]
        out += ["", "## %s" % name, "", "Version: %s" % ", ".join(sorted(c["versions"])), "",
                "| operation | result |", "|---|---|"]
        for op in c["ops"]:
            out.append("| %s | %s |" % (op.replace("|", "\\|"), SHOW[c["ops"][op]]))
    return "\n".join(out) + "\n"


def main():
    clients = read(sys.argv[1])
    if not clients:
        return 0
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(render(clients))
    print("compatibility matrix: %d clients written to %s" % (len(clients), sys.argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
