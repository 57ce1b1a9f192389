"""Scalar rules: how each qbXML type is written, the text policy, and what happens at a length limit.

Text policy. QuickBooks Desktop is a code-page application: a US company file stores text in the
Windows code page, Windows-1252 (ISO-8859-1 plus 27 typographic characters such as curly quotes,
dashes and the euro sign); anything else turns into ``?`` or a parse error.

* Identifying text (names, ``RefNumber``, reference ``FullName``\\ s, IDs) is never changed: a changed
  name finds another record or none. Characters of Windows-1252 are sent as they are; any other
  character (or a control character) is refused with a :class:`BuildError` listing it.
* Free text (memos, descriptions, notes, addresses) is made to fit, and each change is reported once
  per field as a :class:`BuildWarning` naming each character and what it became:

  1. Typographic punctuation outside ISO-8859-1 is transliterated (see ``_TRANSLITERATE``): curly
     quotes become straight quotes, dashes become ``-``, the ellipsis ``...``, the euro sign ``EUR``.
  2. Other characters outside ISO-8859-1 are reduced to their base letter when Unicode can decompose
     them (``ő`` -> ``o``; ``Ł`` has no decomposition), else replaced by ``?``.
  3. Control characters (C0 except tab, line feed and carriage return; DEL; C1) are removed: XML 1.0
     cannot carry most of them and QuickBooks shows none of them.

The result is XML-escaped (``&``, ``<``, ``>``; carriage returns as ``&#13;`` so they survive parsing).

Lengths are counted in characters after the policy, as QuickBooks counts them. Identifying text over
the limit is refused: cutting it would silently point at a different record. Free text is cut with a
warning.

Numbers. QuickBooks keeps 5 decimal places of a quantity, price, rate or percentage (QUANTYPE,
PRICETYPE, PERCENTTYPE: at most 10 integer digits) and 2 of an amount (AMTTYPE: at most 13 integer
digits). A number with more decimal places is rounded half up with a warning giving both values, unless
rounding changes it materially, which is refused: when the rounded value differs from the given one by
more than one part in ten thousand (0.01 %) of it, or a value that is not zero would become zero.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from requests_builder.errors import BuildError, BuildWarning

_TRANSLITERATE: dict[str, str] = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u2039": "<", "\u203a": ">",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "*", "\u2122": "(TM)", "\u20ac": "EUR", "\u2044": "/",
    "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u2007": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u2060": "",
    "\u2116": "No.", "\u2030": "0/00", "\u2190": "<-", "\u2192": "->", "\u2264": "<=", "\u2265": ">=",
    "\u2260": "!=", "\u2248": "~",
}  # fmt: skip

# Anything that is not printable ISO-8859-1 (plus tab/LF/CR) needs the slow path.
_NEEDS_POLICY = re.compile("[^\t\n\r\x20-\x7e\xa0-\xff]")
_NEEDS_ESCAPE = re.compile("[&<>\r]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}


def _shown(ch: str) -> str:
    return f"U+{ord(ch):04X}" if not ch.isprintable() else f"{ch!r} (U+{ord(ch):04X})"


def to_latin1(value: str) -> tuple[str, list[str]]:
    """Apply steps 1-3 of the text policy; return the text and a list of the characters changed."""
    if not _NEEDS_POLICY.search(value):
        return value, []
    changed: list[str] = []
    out: list[str] = []
    for ch in value:
        code = ord(ch)
        if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF or ch in "\t\n\r":
            out.append(ch)
            continue
        if ch in _TRANSLITERATE:
            out.append(_TRANSLITERATE[ch])
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append("")
        else:
            base = "".join(
                c
                for c in unicodedata.normalize("NFKD", ch)
                if not unicodedata.combining(c) and ord(c) <= 0xFF
            )
            out.append(base if base and _NEEDS_POLICY.search(base) is None else "?")
        if ch not in changed:
            changed.append(ch)
    return "".join(out), changed


# Windows-1252 beyond ISO-8859-1: the characters of bytes 0x80-0x9F (five of those bytes are unused).
_CP1252_EXTRA = frozenset(bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore"))


def unstorable(value: str) -> list[str]:
    """The characters of ``value`` a US QuickBooks company file cannot store as they are (outside
    Windows-1252, or control characters other than tab, line feed and carriage return), in order."""
    found: list[str] = []
    for ch in value:
        code = ord(ch)
        if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF or ch in "\t\n\r" or ch in _CP1252_EXTRA:
            continue
        if ch not in found:
            found.append(ch)
    return found


def _replacement(ch: str) -> str:
    """What the free-text policy turns ``ch`` into (for the warning that reports it)."""
    became = to_latin1(ch)[0]
    return repr(became) if became else "removed"


def escape(value: str) -> str:
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], value)


def text(
    value: object,
    field: str,
    element: str,
    max_len: int | None,
    identifying: bool,
    warnings: list[BuildWarning],
) -> str:
    """Text for ``element``, policy applied, escaped; refuses or cuts at ``max_len`` (see module doc)."""
    if not isinstance(value, str):
        raise BuildError(field, f"{element} must be text", value=value)
    if value.isascii() and _NEEDS_POLICY.search(value) is None:
        clean = value
    else:
        if unicodedata.is_normalized("NFC", value) is False:
            value = unicodedata.normalize("NFC", value)
        if identifying:
            refused = unstorable(value)
            if refused:
                listed = ", ".join(_shown(c) for c in refused[:8]) + (" ..." if len(refused) > 8 else "")
                raise BuildError(
                    field,
                    f"{element} has characters QuickBooks cannot store: {listed}. A name must match the "
                    "QuickBooks record exactly, so it is not changed to fit",
                    limit="the Windows-1252 characters QuickBooks stores",
                    value=value,
                )
            clean = value
        else:
            clean, changed = to_latin1(value)
            if changed:
                listed = ", ".join(f"{_shown(c)} -> {_replacement(c)}" for c in changed[:8]) + (
                    " ..." if len(changed) > 8 else ""
                )
                message = f"{element}: characters QuickBooks cannot store were changed: {listed}"
                warnings.append(BuildWarning(field, message))
    if identifying and not clean.strip():
        raise BuildError(field, f"{element} cannot be empty", value=value)
    if max_len is not None and len(clean) > max_len:
        if identifying:
            raise BuildError(
                field,
                f"{element} is longer than QuickBooks allows",
                limit=f"{max_len} characters",
                value=value,
            )
        warnings.append(
            BuildWarning(
                field, f"{element} was cut from {len(clean)} to QuickBooks' limit of {max_len} characters"
            )
        )
        clean = clean[:max_len]
    return escape(clean)


def decimal_value(value: object, field: str, element: str) -> Decimal:
    if type(value) is Decimal:
        number = value
    elif isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise BuildError(field, f"{element} must be a number", value=value)
    else:
        try:
            number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
        except InvalidOperation as exc:
            raise BuildError(field, f"{element} must be a number", value=value) from exc
    if not number.is_finite():
        raise BuildError(field, f"{element} must be a finite number", value=value)
    return number


_TWO_PLACES = Decimal("0.01")
_FIVE_PLACES = Decimal("0.00001")
_AMOUNT_BOUND = Decimal("1e13")
_DECIMAL5_BOUND = Decimal("1e10")
# Rounding that moves a value by more than this share of it changes it materially (refused).
MATERIAL_SHARE = Decimal("0.0001")


def _fit_places(
    number: Decimal, places: Decimal, field: str, element: str, value: object, warnings: list[BuildWarning]
) -> Decimal:
    """``number`` rounded half up to ``places``; refused when that changes it materially (see the module
    doc), with a warning giving both values when it changes it at all."""
    rounded = number.quantize(places, ROUND_HALF_UP)
    if rounded == number:
        return rounded
    exponent = places.as_tuple().exponent
    assert isinstance(exponent, int)  # places is a finite quantum such as Decimal("0.01")
    kept = f"{-exponent} decimal places"
    given = f"{number:f}"
    shown = f"{rounded.normalize():f}" if rounded else "0"
    if rounded == 0:
        raise BuildError(
            field,
            f"{element} {given} has more decimal places than QuickBooks keeps; it would become 0",
            limit=kept,
            value=value,
        )
    if abs(rounded - number) > abs(number) * MATERIAL_SHARE:
        raise BuildError(
            field,
            f"{element} {given} has more decimal places than QuickBooks keeps; rounded it would be {shown}, "
            "a change of more than 0.01 %",
            limit=kept,
            value=value,
        )
    warnings.append(
        BuildWarning(field, f"{element} was rounded from {given} to {shown}: QuickBooks keeps {kept}")
    )
    return rounded


def amount(value: object, field: str, element: str, warnings: list[BuildWarning] | None = None) -> str:
    """AMTTYPE: at most 13 integer digits and exactly 2 decimals (rounding: see the module doc)."""
    number = decimal_value(value, field, element)
    # Check the size before rounding (quantize fails outright beyond decimal's precision) and after
    # (rounding can carry into a fourteenth digit).
    if abs(number) >= _AMOUNT_BOUND or (
        abs(number := _fit_places(number, _TWO_PLACES, field, element, value, _sink(warnings)))
        >= _AMOUNT_BOUND
    ):
        raise BuildError(field, f"{element} is too large for QuickBooks", limit="13 digits", value=value)
    return f"{number:f}"


def decimal5(value: object, field: str, element: str, warnings: list[BuildWarning] | None = None) -> str:
    """PRICETYPE / QUANTYPE / PERCENTTYPE: at most 10 integer digits and 5 decimals (rounding: see the
    module doc)."""
    number = decimal_value(value, field, element)
    if abs(number) >= _DECIMAL5_BOUND or (
        abs(number := _fit_places(number, _FIVE_PLACES, field, element, value, _sink(warnings)))
        >= _DECIMAL5_BOUND
    ):
        raise BuildError(field, f"{element} is too large for QuickBooks", limit="10 digits", value=value)
    number = number.normalize()
    written = f"{number:f}"
    return "0" if written in ("-0", "0") else written


def _sink(warnings: list[BuildWarning] | None) -> list[BuildWarning]:
    return warnings if warnings is not None else []


def integer(value: object, field: str, element: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BuildError(field, f"{element} must be a whole number", value=value)
    return str(value)


def boolean(value: object, field: str, element: str) -> str:
    if not isinstance(value, bool):
        raise BuildError(field, f"{element} must be true or false", value=value)
    return "true" if value else "false"


def date(value: object, field: str, element: str) -> str:
    """DATETYPE ``YYYY-MM-DD``; accepts a ``date`` or that text."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise BuildError(field, f"{element} must be a date", limit="YYYY-MM-DD", value=value)


def datetime(value: object, field: str, element: str) -> str:
    """DATETIMETYPE ``YYYY-MM-DDTHH:MM:SS`` with ``+HH:MM`` when the time zone is known."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise BuildError(field, f"{element} must be a date and time", value=value) from exc
    if isinstance(value, dt.datetime):
        offset = value.utcoffset()
        if offset is not None and offset.total_seconds() % 60:
            raise BuildError(field, f"{element} time zone offset must be whole minutes", value=value)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise BuildError(field, f"{element} must be a date and time", value=value)


_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def duration(value: object, field: str, element: str) -> str:
    """TIMEINTERVALTYPE ``PT{h}H{m}M{s}S`` (QuickBooks' own form); accepts a timedelta or that text."""
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match is None or not any(match.groups()):
            raise BuildError(field, f"{element} must be a duration", limit="PT#H#M#S", value=value)
        h, m, s = (int(g or 0) for g in match.groups())
        value = dt.timedelta(hours=h, minutes=m, seconds=s)
    if not isinstance(value, dt.timedelta):
        raise BuildError(field, f"{element} must be a duration", value=value)
    seconds = int(value.total_seconds())
    if seconds < 0:
        raise BuildError(field, f"{element} cannot be negative", value=value)
    if value.total_seconds() != seconds:
        raise BuildError(field, f"{element} must be whole seconds", value=value)
    return f"PT{seconds // 3600}H{seconds % 3600 // 60}M{seconds % 60}S"


_GUID = re.compile(r"^(0|\{[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\})$")


def guid(value: object, field: str, element: str) -> str:
    """GUIDTYPE: ``0`` (QuickBooks' own custom fields) or ``{8-4-4-4-12}`` hex."""
    if isinstance(value, str) and _GUID.match(value):
        return value
    raise BuildError(
        field,
        f"{element} must be 0 or a GUID in braces",
        limit="{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}",
        value=value,
    )


def identifier(value: object, field: str, element: str) -> str:
    """IDTYPE (ListID, TxnID, TxnLineID, EditSequence-like): 1-36 printable ASCII characters."""
    if not isinstance(value, str) or not value or not value.isascii() or not value.isprintable():
        raise BuildError(field, f"{element} must be a QuickBooks identifier", value=value)
    if len(value) > 36:
        raise BuildError(
            field, f"{element} is longer than QuickBooks allows", limit="36 characters", value=value
        )
    return escape(value)


def enum(value: object, field: str, element: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BuildError(
            field, f"{element} must be one of the values QuickBooks knows", limit=allowed, value=value
        )
    return str(value)
