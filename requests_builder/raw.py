"""Raw qbXML message sets written by a person or another program, made ready to send.

Raw jobs are the one place where we send text we did not build: it is checked on the way in
(:func:`check_raw_qbxml`) so a broken document is refused before it is queued, and prepared on the
way out (:func:`prepare_raw_qbxml`) with our own ``requestID`` on every request and a qbXML
version header no newer than the host supports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from responses_parser.safe_xml import HostileXMLError, parse_document

_VERSION_PI = re.compile(r"<\?qbxml\s+version\s*=\s*(['\"])([^'\"]*)\1\s*\?>")


class RawQbxmlError(ValueError):
    """The raw document cannot be sent; the message says why and what to fix."""


@dataclass(frozen=True, slots=True)
class RawCheck:
    version: str | None
    request_types: list[str]
    on_error: str


@dataclass(frozen=True, slots=True)
class PreparedRaw:
    xml: str
    version: str
    request_ids: list[str]


def _version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def check_raw_qbxml(text: str) -> RawCheck:
    """Validate the shape of a raw qbXML request message set; raise :class:`RawQbxmlError` if it is wrong."""
    return _checked(text)[1]


def _checked(text: str) -> tuple[etree._Element, RawCheck]:
    """The parsed document and what its check found (``check_raw_qbxml``)."""
    if not text.strip():
        raise RawQbxmlError("qbxml: the document is empty")
    try:
        root = parse_document(text)
    except HostileXMLError as exc:
        raise RawQbxmlError(f"qbxml: {exc}") from exc
    except etree.XMLSyntaxError as exc:
        raise RawQbxmlError(f"qbxml: not well-formed XML: {exc}") from exc
    if root.tag != "QBXML":
        raise RawQbxmlError(f"qbxml: the root element must be QBXML, not {root.tag}")
    msgs = root.find("QBXMLMsgsRq")
    if msgs is None:
        raise RawQbxmlError("qbxml: QBXML must contain a QBXMLMsgsRq element")
    requests = [child for child in msgs if isinstance(child.tag, str)]
    if not requests:
        raise RawQbxmlError("qbxml: QBXMLMsgsRq contains no request")
    bad = [child.tag for child in requests if not child.tag.endswith("Rq")]
    if bad:
        raise RawQbxmlError(f"qbxml: QBXMLMsgsRq may contain only *Rq requests, found {', '.join(bad)}")
    on_error = msgs.get("onError")
    if on_error not in {"stopOnError", "continueOnError", "rollbackOnError"}:
        raise RawQbxmlError(
            'qbxml: QBXMLMsgsRq needs onError="stopOnError", "continueOnError" or "rollbackOnError"'
        )
    match = _VERSION_PI.search(text)
    version = match.group(2) if match else None
    if version is not None:
        try:
            _version_tuple(version)
        except ValueError as exc:
            raise RawQbxmlError(f"qbxml: the qbxml version {version!r} is not of the form X.Y") from exc
    return root, RawCheck(version=version, request_types=[r.tag for r in requests], on_error=on_error)


def prepare_raw_qbxml(text: str, *, request_id_prefix: str, host_max_version: str) -> PreparedRaw:
    """Return the document with our requestIDs (``{prefix}.{n}``) and a version the host accepts.

    The version header is the document's own, lowered to ``host_max_version`` when the host is older.
    """
    # Checked again on the way out (it was stored as text), from the one parse that is then prepared.
    root, check = _checked(text)
    msgs = root.find("QBXMLMsgsRq")
    assert msgs is not None  # _checked guarantees it
    request_ids: list[str] = []
    for index, child in enumerate(c for c in msgs if isinstance(c.tag, str)):
        request_id = f"{request_id_prefix}.{index}"
        child.set("requestID", request_id)
        request_ids.append(request_id)
    version = check.version or host_max_version
    if _version_tuple(version) > _version_tuple(host_max_version):
        version = host_max_version
    body = etree.tostring(root, encoding="unicode")
    xml = f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n{body}'
    return PreparedRaw(xml=xml, version=version, request_ids=request_ids)
