"""A benchmark's command line: its docstring as the help, its number options, what shared ones mean."""

from __future__ import annotations

import argparse

# What the options several benchmarks share mean, said once: a script gives only its default.
SHARED = {
    "sessions": "concurrent Web Connector sessions",
    "requests": "requests per session",
    "workers": "server worker processes",
}


def parser(doc: str | None, /, **numbers: float | tuple[float, str]) -> argparse.ArgumentParser:
    """A benchmark's parser: ``doc`` (the script's docstring, its usage line kept as written) as the
    help, and an option ``--name`` for each of ``numbers``: ``name=default`` for one of ``SHARED``,
    else ``name=(default, help)``; typed as its default is, ``_`` in the name written ``-``."""
    made = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, given in numbers.items():
        default, text = given if isinstance(given, tuple) else (given, SHARED[name])
        made.add_argument("--" + name.replace("_", "-"), type=type(default), default=default, help=text)
    return made


def add_without_new_indexes(made: argparse.ArgumentParser, when: str) -> None:
    """``--without-new-indexes``: the benchmark drops bench/indexes.py's indexes ``when`` it says."""
    made.add_argument(
        "--without-new-indexes",
        action="store_true",
        help=f"drop the indexes added since 9032070 {when} (bench/indexes.py)",
    )
