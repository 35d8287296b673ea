"""The importer's memory on a 2 GB file against a small one, in the same run (issue #18: constant memory whatever
the file's size). `python -m tests.bench.import_memory [GiB]`; part of `make bench-scale`.

The large file is 2 GiB: 5,000 donors' valid rows (~15,000 donations) with, after every other one and then to the
end, rows whose name is a 256 KiB field (over csv's field limit: each is refused as `malformed_row`, as a corrupt
export's lines would be). A 2 GB file of valid rows holds ~20 M donations, about two hours of importing on this
machine: the bytes are what a file's size can do to memory (a line is read whole, a batch ends at a row count or
2 MiB, whichever comes first), the valid rows what the data can (the 1 M-donor import of bench-scale).
"""
from __future__ import annotations

import csv
import io
import sys
import tempfile
from pathlib import Path

from servicekit.testing import PG_ADMIN_URL, DatabaseFactory
from tests.bench import region

BIG_FIELD = 256 << 10


def write(path: Path, *, donors: int, gib: float) -> int:
    """The file; returns the number of oversized rows in it."""
    target, oversized = int(gib * (1 << 30)), 0
    with path.open("wb") as f:
        def put(row) -> None:
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerow(row)
            f.write(out.getvalue().encode())

        put(region.HEADER)
        last = None
        for i, row in enumerate(region.rows(donors, 5, station="SH-S1", seed=3)):
            put(row)
            last = row
            if i % 2 == 0 and f.tell() < target:
                put(("x" * BIG_FIELD, *row[1:]))
                oversized += 1
        big = io.StringIO()
        csv.writer(big, lineterminator="\n").writerow(("x" * BIG_FIELD, *last[1:]))
        line = big.getvalue().encode()
        while f.tell() < target:
            f.write(line)
            oversized += 1
    return oversized


def run(factory: DatabaseFactory, workdir: Path, gib: float = 2.0) -> dict:
    from tests.bench.scale import import_file

    small, large = workdir / "memory-small.csv", workdir / "memory-large.csv"
    region.write(small, 300, 5, station="SH-S1", heavy=0, seed=4)
    oversized = write(large, donors=5000, gib=gib)
    figures = {"oversized": oversized, "bytes": {"small": small.stat().st_size, "large": large.stat().st_size}}
    try:
        for label, path in (("small", small), ("large", large)):
            figures[label] = import_file(path, factory.new("donor", "postgresql"))
    finally:
        large.unlink(missing_ok=True)
    return figures


def main() -> None:
    gib = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    with tempfile.TemporaryDirectory(prefix="hemolink-memory-") as tmp:
        factory = DatabaseFactory(Path(tmp), PG_ADMIN_URL)
        try:
            f = run(factory, Path(tmp), gib)
        finally:
            factory.drop_all()
    for label in ("small", "large"):
        print(f"{label}: {f['bytes'][label] / 1e9:.3f} GB, peak RSS {f[label]['peak_rss_mb']:.0f} MB, "
              f"{f[label]['seconds']:.0f} s: {f[label]['summary']}")


if __name__ == "__main__":
    main()
