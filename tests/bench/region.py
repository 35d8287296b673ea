"""A synthetic region's donation history, as `donor.importer` reads it (docs/api.md "Bulk import").

    python -m tests.bench.region --donors 1000000 --years 5 --out FILE.csv [--station SH-S1] [--seed 1]

One row per donation, streamed to the file (constant memory). Distributions (issue #18): ABO as in China (O 30 %,
A 28 %, B 31 %, AB 10 %, normalised), RhD-negative 0.4 %; repeat donors (about 3 donations per donor on average,
a long tail of regular platelet donors); whole blood 200 / 300 / 400 ml and platelets of 1 or 2 doses; collection
days spread over the years before today, in Asia/Shanghai office hours. National IDs are valid GB 11643 numbers
(donor.model's check character) and DINs valid ISBT 128 numbers of the station's facility (donor.din), so every
row passes the importer's checks.
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from donor.din import compose, default_facility_id
from donor.model import SHANGHAI, gb11643_check_char

HEADER = ("name", "national_id", "phone", "abo", "rhd", "kind", "collected_at", "volume_ml", "doses", "din")
ABO = (("O", 30), ("A", 28), ("B", 31), ("AB", 10))
RHD_NEGATIVE = 0.004
WHOLE_BLOOD_ML = ((200, 15), (300, 35), (400, 50))
PLATELET_SHARE = 0.12
# Donations per donor over the period: most give once or twice, regulars many times (mean ≈ 3).
DONATIONS_PER_DONOR = ((1, 42), (2, 22), (3, 12), (4, 8), (5, 5), (6, 3), (8, 3), (10, 2), (15, 2), (24, 1))
DISTRICTS = ("310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113", "310114",
             "310115", "310116", "310117", "310118", "310120", "310151")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕建国志文斌浩宇欣怡子涵梓轩雨晨思远嘉琪"
FIRST_BIRTH = date(1966, 1, 1)      # donors aged 18-60 over the period
BIRTH_DAYS = 15_000


def national_id(i: int) -> str:
    """The i-th donor's number: unique for i below 240 million (district × birth day × sequence)."""
    district = DISTRICTS[i % len(DISTRICTS)]
    birth = FIRST_BIRTH + timedelta(days=(i // len(DISTRICTS)) % BIRTH_DAYS)
    seq = (i // (len(DISTRICTS) * BIRTH_DAYS)) % 1000
    first17 = f"{district}{birth:%Y%m%d}{seq:03d}"
    return first17 + gb11643_check_char(first17)


def phone(i: int) -> str:
    return f"1{3 + i % 7}{i % 1_000_000_000:09d}"


def _pick(rng: random.Random, weighted) -> object:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def rows(donors: int, years: int, *, station: str = "SH-S1", seed: int = 1, today: date | None = None,
         heavy: int = 0):
    """Donation rows, donor by donor (each donor's donations oldest first). `heavy` donors give 200 times each
    (the bench's "a donor's history with 200 donations")."""
    rng = random.Random(seed)
    today = today or datetime.now(SHANGHAI).date()
    first_day = today - timedelta(days=365 * years)
    span = (today - first_day).days - 1
    facility = default_facility_id(station)
    sequences: dict[int, int] = {}
    abo_values, abo_weights = [a for a, _ in ABO], [w for _, w in ABO]
    for i in range(donors):
        count = 200 if i < heavy else _pick(rng, DONATIONS_PER_DONOR)
        days = sorted(rng.sample(range(span), min(count, span)))
        person = (rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else ""),
                  national_id(i), phone(i), rng.choices(abo_values, abo_weights)[0],
                  "neg" if rng.random() < RHD_NEGATIVE else "pos")
        regular = count >= 8 or rng.random() < PLATELET_SHARE
        for offset in days:
            day = first_day + timedelta(days=offset)
            at = datetime(day.year, day.month, day.day, rng.randint(8, 16), rng.randint(0, 59), rng.randint(0, 59),
                          tzinfo=SHANGHAI)
            seq = sequences[day.year] = sequences.get(day.year, 0) + 1
            din = compose(facility, day.year, seq)
            if regular and rng.random() < 0.8:
                yield (*person, "platelets", at.isoformat(), "", str(rng.choice((1, 1, 2))), din)
            else:
                yield (*person, "whole_blood", at.isoformat(), str(_pick(rng, WHOLE_BLOOD_ML)), "", din)


def write(path: Path, donors: int, years: int, **kwargs) -> int:
    """Write the file; returns the number of donation rows."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(HEADER)
        for row in rows(donors, years, **kwargs):
            out.writerow(row)
            n += 1
    return n


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tests.bench.region", description=__doc__.splitlines()[0])
    parser.add_argument("--donors", type=int, required=True)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--station", default="SH-S1", help="the collecting station (its facility id prefixes DINs)")
    parser.add_argument("--heavy", type=int, default=0, help="donors with 200 donations each")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    n = write(args.out, args.donors, args.years, station=args.station, seed=args.seed, heavy=args.heavy)
    print(f"wrote {n} donations of {args.donors} donors to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
