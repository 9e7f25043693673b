"""Benchmark 2 of issue #6: the Monday digest and the App Home at scale.

    .venv/bin/python bench/scale.py                          # 100, 1,000 and 2,000 people
    .venv/bin/python bench/scale.py --sizes 100,500 --repeat 2   # a quick run
    .venv/bin/python bench/scale.py --database-url postgresql://okrbot@127.0.0.1:5432/postgres

For each size a synthetic company (bench/synthetic.py: 3 objectives a person, 4 key
results each, 13 weeks of check-ins, approvals and the app's bookkeeping) is written into
a fresh database: a SQLite file in a temporary directory, or with --database-url a
database of its own on that PostgreSQL server, dropped at the end. A fresh process
(bench/digest_home.py) then times the digest as the Monday job builds it and the App Home
as the app_home_opened listener builds it, counts their SQL statements and reports its
peak RSS. Targets: digest under 1 s, App Home under 100 ms, peak RSS under 300 MB, and
the same number of statements at every size.
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

DIGEST_TARGET_S = 1.0
HOME_TARGET_S = 0.1
RSS_TARGET_MB = 300.0


async def prepare(
    database_url: str, people: int, quarter: Quarter, bookkeeping: bool
) -> dict[str, Any]:
    """Migrate and fill the database; what was written and how long it took."""
    started = time.perf_counter()
    await asyncio.to_thread(schema.upgrade, database_url)
    engine = create_engine(database_url)
    try:
        generator = synthetic.Generator(engine, synthetic.company(people), bookkeeping=bookkeeping)
        calendar = synthetic.Calendar.of(quarter)
        await generator.add_people(calendar.now - timedelta(days=120))
        stats = await generator.add_quarter(calendar)
    finally:
        await engine.dispose()
    await digest_home.analyze(database_url)
    return {
        "people": people,
        "objectives": stats.objectives,
        "key_results": stats.key_results,
        "check_ins": stats.check_ins,
        "values": stats.check_in_values,
        "approvals": stats.approvals,
        "bookkeeping": stats.bookkeeping_rows,
        "generated_s": time.perf_counter() - started,
    }


async def run(args: argparse.Namespace) -> int:
    quarter = Quarter.parse(args.quarter)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: list[tuple[dict[str, Any], dict[str, Any], int]] = []
    for people in sizes:
        async with digest_home.scratch_database(args.database_url, f"p{people}") as url:
            made = await prepare(url, people, quarter, not args.no_bookkeeping)
            extra = ["--profile"] if args.profile else []
            extra += ["--gc-freeze"] if args.gc_freeze else []
            measured = await asyncio.to_thread(
                digest_home.run_worker, url, "--repeat", str(args.repeat), *extra
            )
            size = await digest_home.database_size(url)
        results.append((made, measured, size))
        print(
            f"{people:>6} people: written in {made['generated_s']:.1f} s, measured",
            file=sys.stderr,
        )
        if args.profile and measured.get("profile"):
            print(measured["profile"], file=sys.stderr)
    return report(results, args)


def report(results: list[tuple[dict[str, Any], dict[str, Any], int]], args: Any) -> int:
    backend = results[0][1]["backend"] if results else "?"
    freeze = "" if args.gc_freeze else ", without okrbot serve's collector settings"
    print(
        f"\nBenchmark 2: digest and App Home at scale ({backend}, quarter {args.quarter}{freeze})\n"
    )
    rows = []
    for made, measured, size in results:
        digest = measured["digest"]
        home = measured["home"]
        slowest_home = max(h["median_s"] for h in home.values())
        slowest_home_first = max(h["first_s"] for h in home.values())
        home_statements = sorted({n for h in home.values() for n in h["statements"]})
        rows.append(
            [
                f"{made['people']:,}",
                f"{made['objectives']:,}",
                f"{made['key_results']:,}",
                f"{made['values']:,}",
                f"{size / 1e6:.0f} MB",
                f"{digest['first_s'] * 1000:.0f} ms",
                f"{digest['median_s'] * 1000:.0f} ms",
                "/".join(str(n) for n in digest["statements"]),
                f"{slowest_home_first * 1000:.1f} ms",
                f"{slowest_home * 1000:.1f} ms",
                "/".join(str(n) for n in home_statements),
                f"{measured['rss_peak_mb']:.0f} MB",
            ]
        )
    print(
        digest_home.table(
            [
                "people",
                "objectives",
                "KRs",
                "check-in values",
                "db size",
                "digest 1st",
                "digest warm",
                "digest SQL",
                "Home 1st",
                "Home warm",
                "Home SQL",
                "peak RSS",
            ],
            rows,
        )
    )
    if results:
        _, measured, _ = results[-1]
        parts = measured["digest"]["parts_median_s"]
        size = measured["digest"]["size"]
        print(
            "\nDigest at the largest size, warm, by step: "
            + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in parts.items())
            + f" (this process's CPU: {measured['digest']['cpu_median_s'] * 1000:.0f} ms)"
            + f"; {size['parts']} messages, {size['teams']} teams, payload {size['payload_kb']} kB"
        )
        print(
            f"RSS there: {measured['rss_start_mb']:.0f} MB at start, "
            f"{measured['rss_after_digest_mb']:.0f} MB after the digests, "
            f"{measured['rss_peak_mb']:.0f} MB peak"
        )
        if args.show_sql:
            print("\nThe digest's statements:")
            for statement in measured["digest_sql"]:
                print("  " + statement[:160])
            print("The App Home's statements:")
            for statement in measured["home_sql"]:
                print("  " + statement[:160])
    return check(results)


def check(results: list[tuple[dict[str, Any], dict[str, Any], int]]) -> int:
    problems = []
    counts = {tuple(m["digest"]["statements"]) for _, m, _ in results}
    home_counts = {
        tuple(sorted({n for h in m["home"].values() for n in h["statements"]}))
        for _, m, _ in results
    }
    if len(counts) > 1:
        problems.append(f"the digest's statement count varies with size: {sorted(counts)}")
    if len(home_counts) > 1:
        problems.append(f"the Home's statement count varies with size: {sorted(home_counts)}")
    for made, measured, _ in results:
        people = made["people"]
        if measured["digest"]["first_s"] > DIGEST_TARGET_S:
            problems.append(f"{people} people: digest {measured['digest']['first_s']:.2f} s > 1 s")
        for user, home in measured["home"].items():
            if home["median_s"] > HOME_TARGET_S:
                problems.append(f"{people} people: Home of {user} {home['median_s']:.3f} s")
        if measured["rss_peak_mb"] > RSS_TARGET_MB:
            problems.append(f"{people} people: peak RSS {measured['rss_peak_mb']:.0f} MB")
    print()
    if problems:
        print("Targets missed:\n  " + "\n  ".join(problems))
        return 1
    print(
        "Targets met: digest < 1 s (first run), App Home < 100 ms, peak RSS < 300 MB, "
        "statement counts independent of size."
    )
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Benchmark 2: the digest and App Home at scale",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--sizes", default="100,1000,2000", help="people, comma separated")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs after the first")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (a role that may create databases); SQLite when absent",
    )
    parser.add_argument("--quarter", default="2026-Q4", help="the quarter to simulate")
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
    parser.add_argument("--profile", action="store_true", help="cProfile one digest per size")
    parser.add_argument("--show-sql", action="store_true", help="list the statements issued")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
