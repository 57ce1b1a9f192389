"""The service's logging: one structured line per event, one format and level, every line bounded.

Every record, whoever writes it (qbbridge, uvicorn and its access log, Spyne, SQLAlchemy, alembic),
goes through one formatter (structlog's ``ProcessorFormatter``): a JSON object per line
(``QBBRIDGE_LOG_FORMAT=json``) or a line for people (``console``); ``auto``, the default, picks the
console format when stderr is a terminal and JSON otherwise (a file, a pipe, a container's log).
Each line carries the time (UTC), the level, the logger's name and the message, and where they apply
``request_id`` (the request's ``X-Request-ID``, or one generated for it and returned:
``qbbridge/request_context.py``), ``tenant_id`` and ``job_id`` (from the admin route's path, or given
by the code that logs), and ``wc_session`` (the first characters of the digest of the Web Connector's
ticket: it tells a session's calls apart without showing the ticket).

The ``serve`` process and every worker process log the same way: worker processes are started fresh
(``spawn``), so each configures its own logging (:func:`configure_logging`). ``QBBRIDGE_LOG_LEVEL``
sets the level of qbbridge's own lines as well as uvicorn's.

Whatever writes a record, what reaches the log is bounded to :data:`MAX_RECORD_CHARS`: the message
and the traceback are cut to their first and last characters with a note of how much was left out
(``bounded``) before the line is written, so a JSON line stays valid JSON, and a line still too long
loses its other fields. Request bodies and argument values are not logged in the first place
(qbwc/spyne_adapter.py silences Spyne, which would); this bound is the second line.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor

MAX_RECORD_CHARS = 4000
# QBBRIDGE_LOG_LEVEL's names (uvicorn's too: "trace" is its level below debug).
_LEVELS = {"critical": 50, "error": 40, "warning": 30, "info": 20, "debug": 10, "trace": 5}
LOG_LEVELS_KNOWN = frozenset(_LEVELS)
LOG_FORMATS = ("auto", "json", "console")
# How a cut record keeps its start and its end (the end of a traceback says what failed).
_HEAD_CHARS = 2800
# What each part of a line may take, so that the whole stays within MAX_RECORD_CHARS.
_EVENT_CHARS = 1500
_EXCEPTION_CHARS = 1800
_FIELD_CHARS = 200
# Fields that code may give with ``extra=`` and that the line carries as its own.
CONTEXT_FIELDS = ("request_id", "tenant_id", "job_id", "wc_session")

_format = "json"


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


def _bound_fields(_: Any, __: str, event_dict: EventDict) -> EventDict:
    for key, value in list(event_dict.items()):
        if key == "event":
            event_dict[key] = bounded(str(value), _EVENT_CHARS)
        elif key == "exception" and isinstance(value, str):
            event_dict[key] = bounded(value, _EXCEPTION_CHARS)
        elif isinstance(value, str):
            event_dict[key] = bounded(value, _FIELD_CHARS)
        elif not isinstance(value, int | float | bool | type(None)):
            event_dict[key] = bounded(repr(value), _FIELD_CHARS)
    return event_dict


_FIRST = ("timestamp", "level", "logger", "event")


def _in_reading_order(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """When, how bad, who and what first; the context after."""
    ordered = {key: event_dict[key] for key in _FIRST if key in event_dict}
    ordered.update((key, value) for key, value in event_dict.items() if key not in ordered)
    return ordered


def _request_context(_: Any, __: str, event_dict: EventDict) -> EventDict:
    # Imported here: the request context imports the web stack, which the command line need not load.
    from qbbridge import request_context

    for key, value in request_context.current().items():
        event_dict.setdefault(key, value)
    return event_dict


class JsonLineFormatter(structlog.stdlib.ProcessorFormatter):
    """One JSON object per record, never longer than :data:`MAX_RECORD_CHARS`."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if len(line) <= MAX_RECORD_CHARS:
            return line
        # Many long fields: keep what says what happened.
        parsed: MutableMapping[str, Any] = json.loads(line)
        kept = {
            key: parsed[key] for key in ("timestamp", "level", "logger", *CONTEXT_FIELDS) if key in parsed
        }
        kept["event"] = bounded(str(parsed.get("event", "")), _EVENT_CHARS)
        kept["fields_left_out"] = True
        return json.dumps(kept, ensure_ascii=False)


def _shared_processors() -> list[Processor]:
    return [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(allow=CONTEXT_FIELDS),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.contextvars.merge_contextvars,
        _request_context,
    ]


def formatter(log_format: str) -> logging.Formatter:
    """The formatter every handler gets: ``json`` or ``console``."""
    if log_format == "console":
        console = structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_shared_processors(),
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _bound_fields,
                structlog.dev.ConsoleRenderer(
                    colors=False, exception_formatter=structlog.dev.plain_traceback, sort_keys=False
                ),
            ],
        )
        # A console line's traceback is formatted by the renderer: bound the whole.
        return BoundedFormatter(console)
    return JsonLineFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _bound_fields,
            _in_reading_order,
            structlog.processors.JSONRenderer(ensure_ascii=False, sort_keys=False),
        ],
    )


def resolve_format(log_format: str) -> str:
    """``auto``: ``console`` when stderr is a terminal, ``json`` otherwise."""
    if log_format == "auto":
        return "console" if sys.stderr.isatty() else "json"
    return log_format


def configure_logging(level: str = "info", log_format: str = "auto") -> None:
    """The root logger writes records of ``level`` and above to stderr in the service's format, and
    every handler present gets that format."""
    global _format
    _format = resolve_format(log_format)
    number = _LEVELS[level.lower()]
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    root.setLevel(number)
    format_all_handlers()


def format_all_handlers() -> None:
    """Give every handler the process has now the service's format. Call it again once the server has
    set up its own loggers (uvicorn does so before it loads the application: ``qbbridge/app.py``)."""
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if getattr(handler.formatter, "qbbridge_format", None) != _format:
                handler.setFormatter(_tagged(formatter(_format)))
    if logging.lastResort is not None:
        logging.lastResort.setFormatter(_tagged(formatter(_format)))


def _tagged(chosen: logging.Formatter) -> logging.Formatter:
    # A mark of ours on a stdlib Formatter, which declares no such attribute (read back to tell ours).
    chosen.qbbridge_format = _format  # type: ignore[attr-defined]
    return chosen


# The name it had before every line was structured: the application calls it once uvicorn is set up.
bound_all_handlers = format_all_handlers
