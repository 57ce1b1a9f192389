"""Which qbXML versions we write, how a host's version strings read, and how a field or request newer
than the host's version is handled."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from requests_builder.errors import BuildError

# Every US qbXML version from the one that introduced custom fields (2.0) to the newest schema we test
# against. 1.x hosts (QuickBooks 2002 and older) are not supported. Which of these a customer's
# QuickBooks may be spoken to at is the product's decision (mapping/host.py).
SUPPORTED_VERSIONS: tuple[str, ...] = (
    "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0", "8.0",
    "9.0", "10.0", "11.0", "12.0", "13.0", "14.0", "15.0", "16.0",
)  # fmt: skip

# Before one specification served every edition, QuickBooks outside the United States spoke versions
# of its own, listed with a prefix in HostRet's SupportedQBXMLVersion: CA2.0, CA3.0, UK2.0, UK3.0,
# OZ2.0, AU3.0. qbbridge writes none of them.
EDITION_PREFIXES: tuple[str, ...] = ("CA", "UK", "AU", "OZ")


@lru_cache(maxsize=256)
def version_tuple(version: str) -> tuple[int, int]:
    """``"13.0"`` -> ``(13, 0)``; raises ValueError for anything else (e.g. the old ``"CA3.0"``)."""
    major, dot, minor = version.strip().partition(".")
    if not major.isdigit() or (dot and not minor.isdigit()):
        raise ValueError(f"not a qbXML version: {version!r}")
    return int(major), int(minor or 0)


def read_host_version(version: str) -> tuple[str | None, tuple[int, int]] | None:
    """A version string as a host lists it: ``(None, (13, 0))`` for ``"13.0"``, ``("CA", (3, 0))`` for
    the Canadian edition's own ``"CA3.0"``; None for anything else."""
    text = version.strip()
    edition = next((prefix for prefix in EDITION_PREFIXES if text.upper().startswith(prefix)), None)
    try:
        return edition, version_tuple(text[len(edition) :] if edition else text)
    except ValueError:
        return None


def check_version(version: str) -> tuple[int, int]:
    if version not in SUPPORTED_VERSIONS:
        raise BuildError(
            "version",
            "this qbXML version is not one we write",
            limit=f"{SUPPORTED_VERSIONS[0]}..{SUPPORTED_VERSIONS[-1]}",
            value=version,
        )
    return version_tuple(version)


def pick_version(host_versions: Iterable[str], *, at_most: str | None = None) -> str:
    """The highest version both we and the host support, from HostRet's ``SupportedQBXMLVersion`` list,
    and no higher than ``at_most`` (what the Web Connector reports as the host's level) when given.

    Edition-specific entries (``CA3.0``, ``UK3.0``; see :data:`EDITION_PREFIXES`) are not versions we
    write and are skipped; a host listing nothing else gets a BuildError naming what it listed.
    """
    ours = {version_tuple(v): v for v in SUPPORTED_VERSIONS}
    cap = version_tuple(at_most) if at_most is not None else max(ours)
    common: list[tuple[int, int]] = []
    seen: list[str] = []
    for raw in host_versions:
        seen.append(raw)
        read = read_host_version(raw)
        if read is None or read[0] is not None:
            continue
        if read[1] in ours and read[1] <= cap:
            common.append(read[1])
    if not common:
        raise BuildError(
            "host.supported_versions",
            "QuickBooks on this computer supports no qbXML version we can write; it needs updating",
            limit=f"{SUPPORTED_VERSIONS[0]}..{SUPPORTED_VERSIONS[-1]}",
            value=seen,
        )
    return ours[max(common)]
