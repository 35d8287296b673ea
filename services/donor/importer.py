"""Bulk import entrypoint: `python -m donor.importer FILE.csv --station SITE_ID` (docs/api.md "Bulk import").

Streams the file (one batch in memory at a time), loads each row with the API's request schemas as a view would,
and hands each batch to one use case transaction (donor.services.imports) that also records where the file
stands, so a killed run resumes after its last committed batch and a repeated run finds everything there.
Refused rows go to FILE.rejects.csv with the reason. The last line printed is the summary.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from marshmallow import ValidationError
from tqdm import tqdm

from servicekit.db import make_engine, make_session_factory
from servicekit.logs import configure_logging
from servicekit.pii import PiiVault

from .config import Config
from .schemas import DonationCreateSchema, DonorCreateSchema
from .services import imports
from .unit_of_work import DonorUnitOfWork

HEADER = ("name", "national_id", "phone", "abo", "rhd", "kind", "collected_at", "volume_ml", "doses", "din")
REJECTS_HEADER = ("line", "code", "reason") + HEADER
DONOR_FIELDS = ("name", "national_id", "phone", "abo", "rhd")
DONATION_FIELDS = ("kind", "collected_at", "volume_ml", "doses", "din")
_DONOR = DonorCreateSchema(only=DONOR_FIELDS)
_DONATION = DonationCreateSchema(only=DONATION_FIELDS)
BATCH_ROWS = 5000
# A batch also ends at this many bytes of the file: rows of a malformed file can be huge (a cell of megabytes),
# and memory must stay flat whatever the rows hold.
BATCH_BYTES = 2 << 20


class MalformedFile(Exception):
    """The file as a whole cannot be imported (nothing of it is stored)."""


def file_key(path: Path) -> str:
    """Names the file's checkpoint: its size and first MiB (a different file of the same name starts afresh)."""
    digest = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as f:
        digest.update(f.read(1 << 20))
    return digest.hexdigest()


class Lines:
    """The file's decoded lines from `offset`, keeping `offset` at the end of the last line handed out. csv.reader
    takes exactly the lines of one row before yielding it, so after each row `offset` is where the next row
    starts: the resume point. A line that is not UTF-8 is handed out with replacement characters and flagged."""

    def __init__(self, f, offset: int):
        self.f, self.offset, self.bad = f, offset, False
        f.seek(offset)

    def __iter__(self):
        return self

    def __next__(self) -> str:
        raw = self.f.readline()
        if not raw:
            raise StopIteration
        self.offset += len(raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.bad = True
            return raw.decode("utf-8", errors="replace")


def read_header(f) -> int:
    """Checks the header; returns the offset of the first row. An empty file has no rows (and no header)."""
    first = f.readline()
    if not first:
        return 0
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFile("文件不是 UTF-8 编码 (not UTF-8)") from exc
    columns = tuple(c.strip() for c in next(csv.reader([text]), []))
    if columns != HEADER:
        raise MalformedFile(f"表头应为 {','.join(HEADER)}（实为 {','.join(columns)}）(wrong header)")
    return len(first)


def load_row(line: int, values: list[str]) -> imports.ImportRow | imports.Rejected:
    """One row through the API's request schemas (empty cells are absent fields, as in a JSON body)."""
    if len(values) != len(HEADER):
        return imports.Rejected(line, "malformed_row", f"应有 {len(HEADER)} 列，实为 {len(values)} 列")
    cells = {k: v for k, v in zip(HEADER, values) if v.strip() != ""}
    errors: dict = {}
    loaded: dict = {}
    for schema, names in ((_DONOR, DONOR_FIELDS), (_DONATION, DONATION_FIELDS)):
        try:
            loaded.update(schema.load({k: cells[k] for k in names if k in cells}))
        except ValidationError as exc:
            errors.update(exc.messages)
    if "collected_at" not in cells and "collected_at" not in errors:
        errors["collected_at"] = ["历史献血须填写采集时间 (required)"]
    if errors:
        detail = "; ".join(f"{name}: {', '.join(map(str, messages))}" for name, messages in sorted(errors.items()))
        return imports.Rejected(line, "validation_failed", f"请求参数校验失败: {detail}")
    loaded.pop("id_type", None)
    return imports.ImportRow(line=line, **loaded)


class Rejects:
    """FILE.rejects.csv: the refused rows as they were, with line, code and reason. Cut back to the committed
    length before each batch writes, so a batch retried or resumed never lists a row twice."""

    def __init__(self, path: Path, resume_at: int | None):
        self.path = path
        fresh = resume_at is None or not path.exists()
        self.f = path.open("w+b" if fresh else "r+b")
        if fresh:
            self.f.write(self._encode([REJECTS_HEADER]))
            self.f.flush()
        self.committed = self.f.tell() if fresh else resume_at
        self.raw: dict[int, list[str]] = {}

    @staticmethod
    def _encode(rows) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode()

    def write(self, rejected: list[imports.Rejected]) -> int:
        self.f.seek(self.committed)
        self.f.truncate()
        self.f.write(self._encode([(r.line, r.code, r.reason, *self.raw.get(r.line, ())) for r in rejected]))
        self.f.flush()
        os.fsync(self.f.fileno())
        return self.f.tell()

    def close(self) -> None:
        self.f.close()


def run(path: Path, *, station: str, region: str, config: Config, batch_rows: int = BATCH_ROWS,
        out=sys.stdout) -> tuple[imports.Checkpoint, float]:
    started = time.monotonic()
    engine = make_engine(config.database_url)
    try:
        uow = lambda: DonorUnitOfWork(make_session_factory(engine))   # noqa: E731
        vault, facility_ids, key = PiiVault(config.pii_key), config.facility_ids(), file_key(path)
        with path.open("rb") as f:
            first_row = read_header(f)
            checkpoint = imports.load_checkpoint(uow(), key)
            resumed = checkpoint is not None
            checkpoint = checkpoint or imports.Checkpoint(byte_offset=first_row, line_no=1)
            if resumed:
                print(f"从第 {checkpoint.line_no + 1} 行继续 (resuming after line {checkpoint.line_no})", file=out)
            rejects = Rejects(path.with_name(path.name + ".rejects.csv"), checkpoint.rejects_bytes if resumed else None)
            size = path.stat().st_size
            bar = tqdm(total=size, initial=checkpoint.byte_offset, unit="B", unit_scale=True, desc="导入",
                       disable=not sys.stderr.isatty(), file=sys.stderr)
            try:
                _import_rows(f, checkpoint, rejects, bar, uow=uow, vault=vault, key=key, station=station,
                             region=region, facility_ids=facility_ids, batch_rows=batch_rows, started=started)
            finally:
                bar.close()
                rejects.close()
        imports.finish(uow(), key)
    finally:
        engine.dispose()
    return checkpoint, time.monotonic() - started


def _import_rows(f, checkpoint, rejects, bar, *, uow, vault, key, station, region, facility_ids, batch_rows,
                 started) -> None:
    lines = Lines(f, checkpoint.byte_offset)
    reader = csv.reader(lines)
    batch: list[imports.ImportRow] = []
    refused: list[imports.Rejected] = []
    rows_done, read, first_line, batch_start = 0, checkpoint.line_no, checkpoint.line_no, lines.offset

    def flush() -> None:
        nonlocal batch, refused, batch_start
        now = datetime.now(timezone.utc)
        good = []
        for row in batch:
            vetted = imports.vet(row, region, now)
            (refused if isinstance(vetted, imports.Rejected) else good).append(vetted)
        imports.import_batch(uow(), vault, good, site_id=station, region=region, file_key=key, checkpoint=checkpoint,
                             upto=(lines.offset, read), rejected=refused, write_rejects=rejects.write,
                             facility_ids=facility_ids, now=now)
        rejects.committed = checkpoint.rejects_bytes
        bar.update(lines.offset - bar.n)
        bar.set_postfix_str(f"{rows_done / max(time.monotonic() - started, 1e-6):,.0f} 行/s")
        batch, refused, batch_start = [], [], lines.offset
        rejects.raw.clear()

    while True:
        start = read + 1                       # the row's first line (a quoted newline spans several)
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:               # e.g. a field over csv's size limit: that row alone is refused
            values, loaded = [], imports.Rejected(start, "malformed_row", f"无法解析该行 (unparseable): {exc}")
        else:
            loaded = None if not values else (
                imports.Rejected(start, "malformed_row", "该行不是 UTF-8 编码 (not UTF-8)") if lines.bad
                else load_row(start, values))
        lines.bad = False
        read = first_line + reader.line_num
        if loaded is None:
            continue                           # a blank line
        rows_done += 1
        rejects.raw[start] = values
        (refused if isinstance(loaded, imports.Rejected) else batch).append(loaded)
        if len(batch) + len(refused) >= batch_rows or lines.offset - batch_start >= BATCH_BYTES:
            flush()
    flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="donor.importer", description="导入献血历史 (bulk import of donation history)")
    parser.add_argument("file", type=Path, help="UTF-8 CSV: " + ",".join(HEADER))
    parser.add_argument("--station", required=True, help="the collecting station's site id")
    parser.add_argument("--region", help="the station's region (default: DEFAULT_REGION)")
    parser.add_argument("--batch-rows", type=int, default=BATCH_ROWS, help="rows per transaction")
    args = parser.parse_args(argv)
    config = Config.from_env()
    configure_logging("donor-importer", config.log_level)
    config.check_secrets()
    if not args.file.is_file():
        parser.exit(2, f"{parser.prog}: 找不到文件 (no such file): {args.file}\n")
    try:
        done, seconds = run(args.file, station=args.station, region=args.region or config.default_region,
                            config=config, batch_rows=args.batch_rows)
    except MalformedFile as exc:
        parser.exit(2, f"{parser.prog}: 文件无法导入，未做任何更改 (nothing imported): {exc}\n")
    if done.duplicates:
        print(f"已存在，跳过 {done.duplicates} 行 (already imported: {done.duplicates} rows)")
    print(f"imported {done.donors} donors, {done.donations} donations, {done.rejected} rejected in {seconds:.1f} s")


if __name__ == "__main__":
    main()
