#!/usr/bin/env python3
"""Which tables and indexes a run wrote: the frames of a SQLite WAL file,
counted by the B-tree each page belongs to.

    wal-pages.py DB WAL [DELIVERIES]

DB and WAL are copies of a store and of its -wal file taken before the store
was closed (closing checkpoints the WAL away); run the store with
`PRAGMA wal_autocheckpoint = 0` so the WAL holds every frame of the run.
BenchmarkRecordRealistic keeps both when CALWATCH_BENCH_KEEP_WAL names a
folder. Pages are mapped to B-trees with the sqlite3 shell's dbstat table.
With DELIVERIES, counts are per delivery. The files given are not changed:
the shell reads copies.
"""
import collections
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: wal-pages.py DB WAL [DELIVERIES]")
    per = int(sys.argv[3]) if len(sys.argv) == 4 else 1
    with open(sys.argv[2], "rb") as f:
        wal = f.read()
    if len(wal) < 32 or struct.unpack(">I", wal[:4])[0] not in (0x377F0682, 0x377F0683):
        sys.exit(f"{sys.argv[2]}: not a SQLite WAL file")
    page_size = struct.unpack(">I", wal[8:12])[0]
    frames, commits, off = [], 0, 32
    while off + 24 + page_size <= len(wal):
        page, db_size = struct.unpack(">II", wal[off:off + 8])
        frames.append(page)
        commits += db_size != 0
        off += 24 + page_size
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "copy.db")
        shutil.copyfile(sys.argv[1], db)
        shutil.copyfile(sys.argv[2], db + "-wal")
        out = subprocess.run(["sqlite3", db, "SELECT pageno, name FROM dbstat"],
                             capture_output=True, text=True, check=True).stdout
    owner = {}
    for line in out.splitlines():
        page, name = line.split("|", 1)
        owner[int(page)] = name
    written = collections.Counter(owner.get(p, "(free)") for p in frames)
    distinct = collections.Counter(owner.get(p, "(free)") for p in set(frames))
    print(f"page size {page_size}, {len(frames)} frames in {commits} commits, "
          f"{len(set(frames))} distinct pages; {len(frames) / per:.2f} frames per delivery")
    print(f"{'table or index':32s} {'frames':>8s} {'distinct pages':>15s}")
    for name, n in written.most_common():
        print(f"{name:32s} {n / per:8.2f} {distinct[name] / per:15.2f}")


if __name__ == "__main__":
    main()
