"""Logging through a formatter under test into a file of its own."""

from __future__ import annotations

import logging
from pathlib import Path


def log_a_huge_failure(path: Path, formatter: logging.Formatter, logger_name: str, **extra: object) -> str:
    """Logs, through ``formatter`` into ``path``, an exception whose message argument and traceback
    are 100,000 characters each (with ``extra`` fields on the record); returns what the file holds.
    The logger does not propagate, so the test's handlers and the console see none of it."""
    handler = logging.FileHandler(path)
    handler.setFormatter(formatter)
    logger = logging.getLogger(logger_name)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("v" * 100_000)
        except ValueError:
            logger.exception("failed with %s", "a" * 100_000, extra=extra or None)
    finally:
        logger.removeHandler(handler)
        handler.close()
    return path.read_text()
