"""Benchmark 4 of issue #6: does okrbot slow down as a year of data piles up?

    .venv/bin/python bench/growth.py                       # 2,000 people, 4 quarters
    .venv/bin/python bench/growth.py --people 300 --repeat 2   # a quick run
    .venv/bin/python bench/growth.py --database-url postgresql://okrbot@127.0.0.1:5432/postgres

One database (a SQLite file in a temporary directory, or with --database-url a database of
its own on that PostgreSQL server, dropped at the end) lives through a simulated year of
the same company (bench/synthetic.py): each quarter's objectives, approvals, 13 weeks of
check-ins and the app's bookkeeping, then the quarter's close (owners score, objectives
closed). At the last Monday of the first quarter, and again of the last one, a fresh
process (bench/digest_home.py) times the digest and the App Home of the current quarter.
Target: after four quarters no worse than 1.5 times the first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import digest_home
import synthetic

from okrbot.domain.quarters import Quarter
from okrbot.store import schema
from okrbot.store.engine import create_engine

RATIO_TARGET = 1.5


async def run(args: argparse.Namespace) -> int:
    quarters = [Quarter(args.year, 1)]
    while len(quarters) < args.quarters:
        quarters.append(quarters[-1].next())
    measured: list[tuple[str, dict[str, Any], int, int]] = []
    tables: list[tuple[str, int]] = []
    async with digest_home.scratch_database(args.database_url, "growth") as url:
        await asyncio.to_thread(schema.upgrade, url)
        engine = create_engine(url)
        values = 0
        try:
            generator = synthetic.Generator(
                engine, synthetic.company(args.people), bookkeeping=not args.no_bookkeeping
            )
            first = synthetic.Calendar.of(quarters[0])
            await generator.add_people(first.now - timedelta(days=100))
            for number, quarter in enumerate(quarters, start=1):
                calendar = synthetic.Calendar.of(quarter)
                last = number == len(quarters)
                # The weeks measured here get their last Monday's digest from the
                # measurement itself; the others get it from the generator.
                measure = number == 1 or last
                started = time.perf_counter()
                stats = await generator.add_quarter(
                    calendar, digests=synthetic.WEEKS - 1 if measure else synthetic.WEEKS
                )
                values += stats.check_in_values
                print(
                    f"{quarter}: {stats.objectives:,} objectives, {stats.check_in_values:,} "
                    f"values written in {time.perf_counter() - started:.1f} s",
                    file=sys.stderr,
                )
                if measure:
                    await digest_home.analyze(url)
                    extra = ["--gc-freeze"] if args.gc_freeze else []
                    result = await asyncio.to_thread(
                        digest_home.run_worker, url, "--repeat", str(args.repeat), *extra
                    )
                    size = await digest_home.database_size(url)
                    tables = await digest_home.largest_tables(url)
                    label = f"after {number} quarter{'s' if number > 1 else ''} ({quarter})"
                    measured.append((label, result, size, values))
                if not last:
                    await generator.close_quarter(calendar)
        finally:
            await engine.dispose()
    code = report(measured, args)
    if tables:
        print(
            "Largest tables at the end, with their indexes: "
            + ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in tables)
        )
    return code


def report(measured: list[tuple[str, dict[str, Any], int, int]], args: Any) -> int:
    backend = measured[0][1]["backend"] if measured else "?"
    freeze = "" if args.gc_freeze else ", without okrbot serve's collector settings"
    print(f"\nBenchmark 4: a year of data ({backend}, {args.people:,} people{freeze})\n")
    rows = []
    for label, result, size, values in measured:
        digest = result["digest"]
        homes = result["home"]
        rows.append(
            [
                label,
                f"{size / 1e6:.0f} MB",
                f"{values:,}",
                f"{digest['first_s'] * 1000:.0f} ms",
                f"{digest['median_s'] * 1000:.0f} ms",
                f"{digest['cpu_median_s'] * 1000:.0f} ms",
                "/".join(str(n) for n in digest["statements"]),
                f"{max(h['median_s'] for h in homes.values()) * 1000:.1f} ms",
                f"{result['rss_peak_mb']:.0f} MB",
            ]
        )
    ratios: dict[str, float] = {}
    if len(measured) == 2:
        (_, before, size_before, _), (_, after, size_after, _) = measured
        ratios = {
            "digest": after["digest"]["median_s"] / before["digest"]["median_s"],
            "home": _home(after) / _home(before),
        }
        rows.append(
            [
                "ratio",
                f"{size_after / size_before:.2f}x",
                "",
                f"{after['digest']['first_s'] / before['digest']['first_s']:.2f}x",
                f"{ratios['digest']:.2f}x",
                f"{after['digest']['cpu_median_s'] / before['digest']['cpu_median_s']:.2f}x",
                "",
                f"{ratios['home']:.2f}x",
                "",
            ]
        )
    print(
        digest_home.table(
            [
                "",
                "db size",
                "check-in values",
                "digest 1st",
                "digest warm",
                "its CPU",
                "digest SQL",
                "Home warm (slowest)",
                "peak RSS",
            ],
            rows,
        )
    )
    print()
    missed = [f"{k} {v:.2f}x" for k, v in ratios.items() if v > RATIO_TARGET]
    if missed:
        print(f"Target missed (no worse than {RATIO_TARGET}x): " + ", ".join(missed))
        return 1
    if ratios:
        print(f"Target met: digest and App Home within {RATIO_TARGET}x of the first quarter.")
    return 0


def _home(result: dict[str, Any]) -> float:
    return float(max(h["median_s"] for h in result["home"].values()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Benchmark 4: a year of data",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--quarters", type=int, default=4, help="quarters to simulate (2 or more)")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=5, help="warm runs after the first")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (a role that may create databases); SQLite when absent",
    )
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="measure without the collector settings okrbot serve makes at start-up "
        "(gc.freeze(), young collections every 5,000 objects)",
    )
    parser.add_argument(
        "--no-bookkeeping",
        action="store_true",
        help="only OKR rows: no job runs, deliveries or outbox history",
    )
    args = parser.parse_args()
    if args.quarters < 2:
        parser.error("--quarters must be 2 or more")
    raise SystemExit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
