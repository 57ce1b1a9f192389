"""Version strings of the Web Connector, compared as tuples of integers.

Which qbXML versions qbbridge speaks to QuickBooks is decided in ``mapping/host.py``.
"""

from __future__ import annotations


def version_tuple(version: str) -> tuple[int, ...]:
    """Each dot-separated part's ASCII digits as a number (0 when it has none). Other characters
    that count as digits ("²") are ignored: ``int`` cannot read them."""
    parts = []
    for piece in version.strip().split("."):
        digits = "".join(ch for ch in piece if "0" <= ch <= "9")[:18]
        parts.append(int(digits) if digits else 0)
    return tuple(parts)
