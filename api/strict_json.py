"""Strict JSON for request bodies: only what qbbridge can store, compute with and answer.

Python's ``json`` module reads more than JSON: ``NaN`` and ``Infinity``, ``1e400`` (as infinity),
integers of thousands of digits, ``"\\u0000"`` (which PostgreSQL refuses in text and JSON) and
``"\\ud800"`` (a lone surrogate, which has no UTF-8 form). Each of these used to pass the parser and
fail later, as a 500. :func:`decode_body` refuses them at the door, every one with its path
(``["body", "rows", 0, "quantity"]``), for every operation that takes a JSON body, including the
free-form ones (settings, event data).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from api.errors import issue, printable
from mapping.fields import text_problem

# No payload of the API nests deeper than a handful of levels; deeper is refused before it is walked.
MAX_DEPTH = 32
# JSON numbers are read as 64-bit integers or finite doubles; nothing qbbridge keeps is larger.
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
# Issues reported for one body: enough to fix a payload, not a second copy of a hostile one.
MAX_ISSUES = 20


@dataclass(frozen=True, slots=True)
class _Refused:
    """A number read from the body that cannot be kept; replaced by an issue when the body is walked."""

    text: str
    message: str


class BodyRefused(ValueError):
    """The body is not JSON qbbridge accepts; ``issues`` say where and why."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(item["msg"] for item in issues))
        self.issues = issues


def _constant(name: str) -> _Refused:
    return _Refused(name, f"{name} is not a JSON number; send a finite number")


def _float(text: str) -> float | _Refused:
    value = float(text)
    if not math.isfinite(value):
        return _Refused(text, f"{text[:40]} is too large for a number; send a finite number")
    return value


def _int(text: str) -> int | _Refused:
    digits = text.lstrip("-")
    if len(digits) > 19 or not INT_MIN <= int(text) <= INT_MAX:
        return _Refused(
            text, f"the number is out of range; give a whole number between {INT_MIN} and {INT_MAX}"
        )
    return int(text)


def _walk(document: Any) -> list[dict[str, Any]]:
    """Issues for every refused number, unstorable text (keys too) and part nested too deeply."""
    issues: list[dict[str, Any]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ("body",))]
    while stack and len(issues) < MAX_ISSUES:
        value, path = stack.pop()
        if isinstance(value, _Refused):
            issues.append(issue(path, value.message, "number_invalid"))
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                issues.append(issue(path, f"the text {problem}", "text_invalid"))
        elif isinstance(value, dict | list):
            if len(path) > MAX_DEPTH:
                issues.append(
                    issue(path, f"nested more than {MAX_DEPTH} levels deep; no field needs that", "too_deep")
                )
                continue
            if isinstance(value, dict):
                for key, item in reversed(value.items()):
                    problem = text_problem(key)
                    if problem is not None:
                        issues.append(issue((*path, printable(key)), f"the key {problem}", "text_invalid"))
                    stack.append((item, (*path, printable(key))))
            else:
                stack.extend((item, (*path, index)) for index, item in reversed(list(enumerate(value))))
    return issues


def decode_body(raw: bytes) -> Any:
    """The JSON document in ``raw``, or :class:`BodyRefused` saying what to change."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"the body is not UTF-8 text (byte {exc.start}); send JSON in UTF-8"
        raise BodyRefused([issue(["body"], message, "json_invalid")]) from None
    refused: list[_Refused] = []

    def remember(value: Any) -> Any:
        if isinstance(value, _Refused):
            refused.append(value)
        return value

    try:
        document = json.loads(
            text,
            parse_constant=lambda name: remember(_constant(name)),
            parse_float=lambda number: remember(_float(number)),
            parse_int=lambda number: remember(_int(number)),
        )
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise BodyRefused([issue(["body"], message, "json_invalid")]) from None
    except RecursionError:
        message = f"nested more than {MAX_DEPTH} levels deep; no field needs that"
        raise BodyRefused([issue(["body"], message, "too_deep")]) from None
    # Text problems can only come from \u escapes (JSON forbids raw control characters, and the body
    # decoded as UTF-8), and depth only from brackets: most bodies need no walk at all.
    if refused or "\\u" in text or text.count("[") + text.count("{") > MAX_DEPTH:
        issues = _walk(document)
        if issues:
            raise BodyRefused(issues)
    return document
