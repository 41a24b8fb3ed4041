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
    $sudo DEBIAN_FRONTEND=noninteractive apt-get install -y librocksdb-dev fio
fi

make BUILD=release build/release/libcoffer.a
make -C bench/engine
bin=build/release/bench/bench_engine

# fio: write + fdatasync per write, the bytes of the single-thread sync write
# case (3000 ops) with one write the size of one coffer log record for that
# value: the value, the 12-byte key, column "v" and ~60 bytes of framing,
# timestamp and batch header (as measured by the benchmark's "log B/write").
fio_dir=$(mktemp -d "$BENCH_DIR/coffer-fio-XXXXXX")
trap 'rm -rf "$fio_dir"' EXIT
scale=${BENCH_SCALE:-1}
for v in 100 4096; do
    bs=$((v + 72))
    ops=$(awk -v s="$scale" 'BEGIN { printf "%d", 3000 * s }')
    out=$(fio --name=wal --directory="$fio_dir" --rw=write --bs="$bs" --fdatasync=1 \
        --size=$((bs * ops)) --numjobs=1 --output-format=terse --terse-version=3)
    # terse v3: field 49 is the write IOPS
    wps=$(echo "$out" | awk -F';' '{ print $49 }')
    export "FIO_$v=$bs $wps"
    rm -f "$fio_dir"/*
done

start=$(date +%s)
table=$("$bin")
secs=$(($(date +%s) - start))
echo "$table"

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
key per batch in the write cases; a fresh database per case and engine. Both
engines use 64 MiB memtables and a 10-bit bloom filter; RocksDB runs without
compression, otherwise both use their defaults (coffer 64 KiB blocks, no block
cache; RocksDB 4 KiB blocks and its default block cache). Reads run on a
database loaded in shuffled order, flushed, plus 5% more rows left in the
memtable; every value read is checked byte-exact. MB/s counts key + value
bytes. Each phase stops at its op count or after 5-6 s, whichever is first.
ratio = coffer ops/s / rocksdb ops/s (> 1: coffer faster).

$table
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
