#!/usr/bin/env bash
# run.sh -- runs the engine benchmark (coffer vs RocksDB, with fio as the
# disk's reference) and records it in bench/RESULTS.md under
# "## Engine (bench/engine/run.sh)", replacing that section if present.
#
#   bench/engine/run.sh                 # whole run, under 5 minutes on 2 cores
#   BENCH_DIR=/mnt/x bench/engine/run.sh  # put the databases on another disk
#   BENCH_SCALE=0.2 bench/engine/run.sh   # a smoke run (op counts x 0.2)
#   RESULTS=/dev/null bench/engine/run.sh # print only, do not touch RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/../.."

BENCH_DIR=${BENCH_DIR:-/tmp}
RESULTS=${RESULTS:-bench/RESULTS.md}
export BENCH_DIR

# Dependencies: RocksDB's C API and fio, from Debian.
if [ ! -f /usr/include/rocksdb/c.h ] || ! command -v fio >/dev/null; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y librocksdb-dev fio
fi

make BUILD=release build/release/libcoffer.a
make -C bench/engine
bin=build/release/bench/bench_engine

# fio: write + fdatasync per write, one job, the bytes of one run of the
# single-thread sync write case (1500 writes), each write the size of one
# coffer log record for that value: value + key + column + framing, timestamp
# and batch header = value + 64 bytes (the benchmark prints "log B/write").
# Measured before and after the benchmark: these virtual disks drift.
scale=${BENCH_SCALE:-1}
fio_dir=$(mktemp -d "$BENCH_DIR/coffer-fio-XXXXXX")
trap 'rm -rf "$fio_dir"' EXIT
fio_wps() { # fio_wps <bs> -> write IOPS
    local ops out
    ops=$(awk -v s="$scale" 'BEGIN { printf "%d", 1500 * s }')
    out=$(fio --name=wal --directory="$fio_dir" --rw=write --bs="$1" --fdatasync=1 \
        --size=$(($1 * ops)) --numjobs=1 --output-format=terse --terse-version=3)
    rm -f "$fio_dir"/*
    echo "$out" | awk -F';' '{ printf "%.0f", $49 }' # terse v3: field 49 is write IOPS
}
declare -A before after
for v in 100 4096; do before[$v]=$(fio_wps $((v + 64))); done

start=$(date +%s)
table=$("$bin")
secs=$(($(date +%s) - start))
for v in 100 4096; do after[$v]=$(fio_wps $((v + 64))); done

# ratio of the engines' single-thread sync write rate to the disk's mean rate
fio_table="| disk reference: fio write+fdatasync, 1 job | fio writes/s before / after | coffer write seq 1 thr / fio | rocksdb write seq 1 thr / fio |
|---|---|---|---|"
for v in 100 4096; do
    row=$(echo "$table" | awk -F' *[|] *' -v c="write seq $v B, 1 thr" '$2 == c { print $3, $6 }')
    fio_table+=$'\n'$(echo "$row" | awk -v b="${before[$v]}" -v a="${after[$v]}" -v bs=$((v + 64)) \
        -v v="$v" '{ m = (a + b) / 2; printf "| bs %d B (value %d B) | %d / %d | %.2f | %.2f |", bs, v, b, a, $1 / m, $2 / m }')
done
main_table=$(echo "$table" | sed '/^$/,$d') # the bench prints the table, a blank line, notes
notes=$(echo "$table" | sed '1,/^$/d')
echo "$main_table"
echo
echo "$fio_table"
echo
echo "$notes"

mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
fs=$(df -T "$BENCH_DIR" | awk 'NR == 2 { print $2 " on " $1 }')
rocks=$(dpkg-query -W -f '${Version}' librocksdb-dev 2>/dev/null || echo unknown)
section=$(cat <<EOF
## Engine (bench/engine/run.sh)

$(date -u '+%Y-%m-%d %H:%M UTC'); command: \`bench/engine/run.sh\` (BENCH_SCALE=$scale, ${secs} s);
machine: nproc $(nproc), memory $mem, $cpu, $fs ($BENCH_DIR), kernel $(uname -r);
RocksDB $rocks (Debian librocksdb-dev).

Same keys (12 bytes: 4-byte partition of 1000, 8-byte clustering key; RocksDB
gets the concatenation), same values (random bytes from one preallocated
pool), same durability: sync writes are acknowledged after fdatasync (coffer
sync=1 with its group commit; RocksDB WriteOptions.sync=1 with its own). One
key per batch in the write cases; a fresh database per run, and each engine
runs each write case 4 times, interleaved as coffer, rocksdb, rocksdb, coffer,
coffer, rocksdb, rocksdb, coffer (rate = total ops / total time, latency
percentiles over all runs) so a drift of the disk favours neither. Both
engines use 64 MiB memtables and a 10-bit bloom filter; RocksDB runs without
compression, otherwise both use their defaults (coffer: 4 KiB blocks read in
place through a read-only mapping of each file, CRC32C checked on every visit,
no block cache of its own; its bloom filter is over partition keys, and with
1000 partitions every file holds every partition, so a get reads a block of
each file; RocksDB: 4 KiB blocks, its default block cache, its bloom filter
over whole keys). Reads run on a
database loaded in shuffled order, flushed, plus 5% more rows left in the
memtable; every value read is checked byte-exact. MB/s counts key + value
bytes. Each run stops at its op count or its time cap (2.5 s per write run,
4 s per read phase), whichever is first.
ratio = coffer ops/s / rocksdb ops/s (> 1: coffer faster).

$main_table

$fio_table

$notes
EOF
)

if [ "$RESULTS" != /dev/null ]; then
    touch "$RESULTS"
    # Replace our section (up to the next "## " heading) or append it.
    SECTION=$section awk '
        BEGIN { sec = ENVIRON["SECTION"] }
        /^## Engine \(bench\/engine\/run\.sh\)/ { print sec; skip = 1; done = 1; next }
        skip && /^## / { skip = 0; print "" }
        !skip { print }
        END { if (!done) { if (NR) print ""; print sec } }
    ' "$RESULTS" > "$RESULTS.tmp"
    mv "$RESULTS.tmp" "$RESULTS"
    echo "wrote $RESULTS"
fi
