"""Which qbXML versions we write, and how a field or request newer than the host's version is handled."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from requests_builder.errors import BuildError

# Every US qbXML version from the one that introduced custom fields (2.0) to the newest schema we test
# against. 1.x hosts (QuickBooks 2002 and older) are not supported.
SUPPORTED_VERSIONS: tuple[str, ...] = (
    "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0", "8.0",
    "9.0", "10.0", "11.0", "12.0", "13.0", "14.0", "15.0", "16.0",
)  # fmt: skip


@lru_cache(maxsize=256)
def version_tuple(version: str) -> tuple[int, int]:
    """``"13.0"`` -> ``(13, 0)``; raises ValueError for anything else (e.g. the old ``"CA3.0"``)."""
    major, dot, minor = version.strip().partition(".")
    if not major.isdigit() or (dot and not minor.isdigit()):
        raise ValueError(f"not a qbXML version: {version!r}")
    return int(major), int(minor or 0)


def check_version(version: str) -> tuple[int, int]:
    if version not in SUPPORTED_VERSIONS:
        raise BuildError(
            "version",
            "this qbXML version is not one we write",
            limit=f"{SUPPORTED_VERSIONS[0]}..{SUPPORTED_VERSIONS[-1]}",
            value=version,
        )
    return version_tuple(version)


def pick_version(host_versions: Iterable[str]) -> str:
    """The highest version both we and the host support, from HostRet's ``SupportedQBXMLVersion`` list.

    Entries that are not plain ``X.Y`` (Canadian and UK hosts of old listed ``CA3.0``/``UK3.0``) are
    ignored: since 6.0 one specification serves every edition.
    """
    ours = {version_tuple(v): v for v in SUPPORTED_VERSIONS}
    common: list[tuple[int, int]] = []
    seen: list[str] = []
    for raw in host_versions:
        seen.append(raw)
        try:
            key = version_tuple(raw)
        except ValueError:
            continue
        if key in ours:
            common.append(key)
    if not common:
        raise BuildError(
            "host.supported_versions",
            "QuickBooks on this computer supports no qbXML version we can write; it needs updating",
            limit=f"{SUPPORTED_VERSIONS[0]}..{SUPPORTED_VERSIONS[-1]}",
            value=seen,
        )
    return ours[max(common)]
