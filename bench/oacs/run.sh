#!/usr/bin/env bash
# run.sh -- the Object-Aware Compaction Strategy against size-tiered
# compaction on the chunks table, the same workload in one run (about 20 GiB
# written per strategy: PUTs from 4 KiB to 256 MiB, overwrites, deletes; see
# oacs_bench.py). Reports write amplification (engine counters, and the
# bytes the kernel wrote for the server), space amplification, read
# throughput and the space left right after deleting everything. Records
# its section in bench/RESULTS.md under "## OACS (bench/oacs/run.sh)".
#
#   bench/oacs/run.sh                  # ~10 min on 2 cores, 2 x 20 GiB written
#   BENCH_GIB=2 bench/oacs/run.sh      # smoke run
#   RESULTS=/dev/null bench/oacs/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/coffer.sh
bench_setup oacsbench
COFFER_PID=
trap '[ -n "$COFFER_PID" ] && kill "$COFFER_PID" 2>/dev/null; rm -rf "$W"' EXIT
start=$SECONDS
for strategy in stcs oacs; do
    chunks=oacs:16
    [ "$strategy" = stcs ] && chunks=stcs
    coffer_start "$W/$strategy" "$W/$strategy.log" COFFER_CHUNKS_STRATEGY=$chunks
    python3 bench/oacs/oacs_bench.py "$strategy" "$COFFER_URL" "$W/$strategy" "$COFFER_PID" \
        >>"$W/results.jsonl"
    kill "$COFFER_PID"
    wait "$COFFER_PID" || true
    COFFER_PID=
    rm -rf "${W:?}/$strategy"
done
secs=$((SECONDS - start))
python3 - "$W/results.jsonl" "$secs" "$BENCH_DIR" >"$W/section.md" <<'PY'
import json, sys, datetime, os
rows = [json.loads(l) for l in open(sys.argv[1])]
secs, where = sys.argv[2], sys.argv[3]
mib = lambda b: "%.0f MiB" % (b / 1048576)
print("## OACS (bench/oacs/run.sh)\n")
print("Command: `bench/oacs/run.sh` (%s, %d cores, %s, %s s). The same workload under each "
      "strategy of the chunks table: %d PUTs (4 KiB to 256 MiB, keys from a pool of 300, so "
      "overwrites) and %d DELETEs, %s sent by 4 boto3 clients on the same host.\n"
      % (datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%MZ"), os.cpu_count(), where, secs,
         rows[0]["puts"], rows[0]["deletes"], mib(rows[0]["sent"])))
print("| | STCS | OACS | OACS / STCS |")
print("|---|---:|---:|---:|")
def row(name, key, fmt, better_low=True):
    a, b = rows[0][key], rows[1][key]
    r = (b / a) if a else float("nan")
    print("| %s | %s | %s | %.2fx |" % (name, fmt(a), fmt(b), r))
fx = lambda v: "%.3f" % v
for r in rows:
    r["wa_proc"] = r["proc_write_bytes"] / r["accepted"]
    r["sa"] = r["disk_live"] / r["live_bytes"] if r["live_bytes"] else 0
    r["read_mbs"] = r["read_bytes"] / r["t_read"] / 1e6
    r["write_mbs"] = r["sent"] / r["t_write"] / 1e6
    r["blob_disk"] = r["logged"] + r["flush"] + r["compaction"] + r["ingest"]
row("blob bytes accepted", "accepted", mib)
row("  written by the commitlog (chunks logged)", "logged", mib)
row("  written by flushes", "flush", mib)
row("  written by compactions", "compaction", mib)
row("  written by ingests (straight to the blob's SSTables)", "ingest", mib)
row("write amplification of blob data (engine counters)", "wa_engine", fx)
row("bytes the kernel wrote for the server / bytes accepted (/proc/PID/io)", "wa_proc", fx)
row("write throughput (MB/s, client view)", "write_mbs", lambda v: "%.0f" % v)
row("live bytes at the end", "live_bytes", mib)
row("chunks table on disk at the end", "disk_live", mib)
row("space amplification (disk / live)", "sa", fx)
row("read of every live object (MB/s)", "read_mbs", lambda v: "%.0f" % v)
row("chunks table right after deleting everything", "disk_after_delete", mib)
row("... and 5 s later", "disk_after_5s", mib)
row("blob files unlinked whole", "blob_files_dropped", lambda v: "%d" % v)
PY
cat "$W/section.md"
bench/results.sh "$RESULTS" "## OACS (bench/oacs/run.sh)" "$W/section.md"
