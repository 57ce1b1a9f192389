"""Benchmark: what noticing dead pooled connections costs per checkout, three ways, in one process.

Every Web Connector call and every admin call takes one connection from the pool. A PostgreSQL
restart closes every pooled connection; qbbridge notices at checkout with one ``poll()`` on the
socket (``db.engine.discard_if_closed``). The alternatives: nothing (the first call on each dead
connection fails), or SQLAlchemy's ``pool_pre_ping`` (a round trip to the server per checkout).
The three engines take turns, round after round, on one new database, so the machine's drift
touches them alike; wall time and this process's CPU are printed per checkout and return.

    .venv/bin/python bench/pool_checkout.py [--checkouts 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, event

from bench import machine
from db.engine import discard_if_closed, make_engine
from tests.support.servers import create_postgres_database, drop_postgres_database


def engines(url: str) -> dict[str, Engine]:
    unchecked = make_engine(url)
    event.remove(unchecked, "checkout", discard_if_closed)
    pre_ping = make_engine(url, pool_pre_ping=True)
    event.remove(pre_ping, "checkout", discard_if_closed)
    return {
        "no check": unchecked,
        "poll() at checkout (qbbridge)": make_engine(url),
        "pool_pre_ping": pre_ping,
    }


def checkouts(engine: Engine, count: int) -> tuple[float, float]:
    """Seconds of wall time and of this process's CPU per checkout and return."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        with engine.connect():
            pass
    return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkouts", type=int, default=5000, help="checkouts per engine and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = create_postgres_database()
    try:
        candidates = engines(url)
        for engine in candidates.values():
            checkouts(engine, 100)  # the pool's connection exists before timing
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in candidates}
        for _ in range(args.rounds):
            for name, engine in candidates.items():
                results[name].append(checkouts(engine, args.checkouts))
        print(f"checkouts per engine and round: {args.checkouts}; rounds: {args.rounds}")
        for name, runs in results.items():
            walls = [wall * 1e6 for wall, _ in runs]
            cpus = [cpu * 1e6 for _, cpu in runs]
            print(
                f"{name}: wall {statistics.median(walls):.1f} µs (rounds {min(walls):.1f}–{max(walls):.1f}), "
                f"CPU {statistics.median(cpus):.1f} µs (rounds {min(cpus):.1f}–{max(cpus):.1f}) per checkout"
            )
        for engine in candidates.values():
            engine.dispose()
    finally:
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
