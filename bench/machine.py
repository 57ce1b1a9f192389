"""How fast this machine runs right now, printed with every benchmark's figures.

The development machines are shared: the same code gives figures up to twice apart from one hour to
the next. A fixed piece of plain Python work, timed before and after a benchmark, says which hour a
figure comes from, so figures from different runs can be read side by side (docs/performance.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable

ADDITIONS = 10_000_000


def loop_seconds() -> float:
    """The best of two runs of a plain loop of ten million additions."""
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        total = 0
        for number in range(ADDITIONS):
            total += number
        best = min(best, time.perf_counter() - started)
    return best


def describe(before: float, after: float) -> str:
    return (
        f"machine speed: a loop of 10 million additions took {before:.2f} s before and {after:.2f} s "
        "after (lower is faster; compare figures only from runs at similar speeds, see "
        "docs/performance.md)"
    )


def run_timed(main: Callable[[], None]) -> None:
    """Run a benchmark's ``main`` between two speed readings, then print them."""
    before = loop_seconds()
    main()
    print(describe(before, loop_seconds()))
