"""Version strings of the Web Connector and of qbXML, compared as tuples of integers."""

from __future__ import annotations

# The newest qbXML version qbbridge writes; a host reporting more is spoken to at this version.
MAX_QBXML_VERSION = "16.0"
DEFAULT_QBXML_VERSION = "13.0"


def version_tuple(version: str) -> tuple[int, ...]:
    """Each dot-separated part's ASCII digits as a number (0 when it has none). Other characters
    that count as digits ("²") are ignored: ``int`` cannot read them."""
    parts = []
    for piece in version.strip().split("."):
        digits = "".join(ch for ch in piece if "0" <= ch <= "9")[:18]
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def lower_version(a: str, b: str) -> str:
    return a if version_tuple(a) <= version_tuple(b) else b
