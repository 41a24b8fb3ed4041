#!/usr/bin/env bash
# fuzz/seed_engine.sh -- regenerates the seed corpora of the engine fuzz
# targets from a tiny database the engine writes (fuzz/seed_engine.c).
#
#   fuzz/seed_engine.sh        replaces the generated seeds in
#                              fuzz/corpus/engine_{sstable,manifest,commitlog}/
#
# The generator writes the database, then exits as a crash would; this
# script copies its files: every SSTable (engine_sstable/<table>-<gen>.sst),
# the MANIFEST (engine_manifest/MANIFEST), and the first and the last
# commitlog segment (engine_commitlog/CL-first.log, a finished segment cut
# at its last record, and CL-last.log, the open one with its zero-filled
# tail). The fuzz targets write their input as generation/segment/manifest
# number 1 where the number matters, so seeds from later files reach the
# decoders through the targets' checksum fix-up. Seeds that fuzzing found
# (crashes that were fixed) have other names and are kept. Timestamps
# differ from run to run; nothing else does.
set -eu
cd "$(dirname "$0")/.."
out=build/fuzz
mkdir -p "$out"
make -s build/release/libcoffer.a
cc -std=c17 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -Isrc \
    -o "$out/seed_engine" fuzz/seed_engine.c build/release/libcoffer.a \
    -lisal -lcrypto -lexpat -lpthread
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
rmdir "$db"
"$out/seed_engine" "$db"
c=fuzz/corpus
mkdir -p $c/engine_sstable $c/engine_manifest $c/engine_commitlog
rm -f $c/engine_sstable/*-*.sst $c/engine_manifest/MANIFEST $c/engine_commitlog/CL-*.log
for f in "$db"/tables/*/*.sst; do
    t=$(basename "$(dirname "$f")")
    cp "$f" "$c/engine_sstable/$t-$(basename "$f" .sst | sed 's/^0*//').sst"
done
cp "$db"/MANIFEST-* $c/engine_manifest/MANIFEST
segs=("$db"/commitlog/CL-*.log)
cp "${segs[0]}" $c/engine_commitlog/CL-first.log
cp "${segs[-1]}" $c/engine_commitlog/CL-last.log
ls -l $c/engine_sstable $c/engine_manifest $c/engine_commitlog
