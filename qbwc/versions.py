"""Version strings of the Web Connector, compared as tuples of integers.

Which qbXML versions qbbridge speaks to QuickBooks is decided in ``mapping/host.py``.
"""

from __future__ import annotations


def version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.strip().split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)
