"""The service's logging: one format and level, and no log record longer than :data:`MAX_RECORD_CHARS`.

The ``serve`` process and every worker process log the same way: worker processes are started fresh
(``spawn``), so each configures its own logging (:func:`configure_logging`). ``QBBRIDGE_LOG_LEVEL``
sets the level of qbbridge's own lines as well as uvicorn's.

Whatever writes a record (qbbridge, uvicorn, a library), what reaches the log is bounded: every
handler in the process when the application starts (the root logger's, uvicorn's, the fallback for
loggers without one) gets a formatter that cuts a record's text, traceback included, to its first
and last characters with a note of how much was left out. A record that grew with its input (an
exception quoting a request, a library dumping a document) thus costs a few kilobytes at most.

Request bodies and argument values are not logged in the first place (qbwc/spyne_adapter.py silences
Spyne, which would); this bound is the second line.
"""

from __future__ import annotations

import logging

MAX_RECORD_CHARS = 4000
# QBBRIDGE_LOG_LEVEL's names (uvicorn's too: "trace" is its level below debug).
_LEVELS = {"critical": 50, "error": 40, "warning": 30, "info": 20, "debug": 10, "trace": 5}
LOG_LEVELS_KNOWN = frozenset(_LEVELS)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# How a cut record keeps its start and its end (the end of a traceback says what failed).
_HEAD_CHARS = 2800


def bounded(text: str, limit: int = MAX_RECORD_CHARS) -> str:
    """``text``, or its start and end with the number of characters left out between them."""
    if len(text) <= limit:
        return text
    head = min(_HEAD_CHARS, limit // 2 + limit // 5)
    note = f" … [{len(text) - limit} characters left out] … "
    tail = max(0, limit - head - len(note))
    return text[:head] + note + (text[-tail:] if tail else "")


class BoundedFormatter(logging.Formatter):
    """Formats a record with another formatter, then bounds the result."""

    def __init__(self, inner: logging.Formatter | None, limit: int = MAX_RECORD_CHARS) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()
        self.limit = limit

    def format(self, record: logging.LogRecord) -> str:
        return bounded(self.inner.format(record), self.limit)


def bound_handler(handler: logging.Handler) -> None:
    if not isinstance(handler.formatter, BoundedFormatter):
        handler.setFormatter(BoundedFormatter(handler.formatter))


def configure_logging(level: str = "info") -> None:
    """The root logger writes records of ``level`` and above to stderr in the service's format, and
    every handler present is bounded."""
    number = _LEVELS[level.lower()]
    logging.basicConfig(level=number, format=LOG_FORMAT)
    logging.getLogger().setLevel(number)
    bound_all_handlers()


def bound_all_handlers() -> None:
    """Bound every handler the process has now. Call it again once the server has set up its own
    loggers (uvicorn does so before it loads the application: ``qbbridge/app.py``)."""
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            bound_handler(handler)
    if logging.lastResort is not None:
        bound_handler(logging.lastResort)
