"""Raw qbXML message sets written by a person or another program, made ready to send.

Raw jobs are the one place where we send text we did not build: it is checked on the way in
(:func:`check_raw_qbxml`) so a broken document is refused before it is queued, and prepared on the
way out (:func:`prepare_raw_qbxml`) with our own ``requestID`` on every request and a qbXML
version header no newer than the host supports.

A document that declares its version is also prepared once, when it is queued
(:func:`check_and_template_raw_qbxml`): the prepared text with a stand-in for the step's id, which
the database fills in when a session claims the step on a host that takes that version as it is
(db/queue/sql.py, ``_PREPARED_READY``). The claim then hands it out without reading it again.
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


@dataclass(frozen=True, slots=True)
class RawTemplate:
    """What :func:`prepare_raw_qbxml` writes for any step and any host of ``level`` or newer, with a
    stand-in for the step's id."""

    xml: str
    level: int  # the document's own qbXML version as major * 100 + minor (``version_level``)
    requests: int  # how many requests, so how many requestIDs: ``{step id}.0`` … ``{step id}.{n-1}``


def version_level(version: str) -> int:
    """A qbXML version as one comparable number: "13.0" is 1300, "2.1" is 201."""
    major, minor = _version_tuple(version)
    return major * 100 + minor


def _version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def check_raw_qbxml(text: str) -> RawCheck:
    """Validate the shape of a raw qbXML request message set; raise :class:`RawQbxmlError` if it is wrong."""
    return _checked(text)[1]


def check_and_template_raw_qbxml(text: str, *, stand_in: str) -> tuple[RawCheck, RawTemplate | None]:
    """``check_raw_qbxml``, and from the same parse the document's :class:`RawTemplate`, with
    ``stand_in`` where the step's id goes (``{stand_in}.{n}`` in every requestID), when it has one.
    None when it declares no version (its header is then the host's, known only at claim time) or
    when ``stand_in`` appears in it anywhere else: replacing it there would change what the person
    wrote."""
    root, check = _checked(text)
    if check.version is None or stand_in in text:
        return check, None
    xml, request_ids = _prepared(root, stand_in, check.version)
    if xml.count(stand_in) != len(request_ids):
        return check, None
    return check, RawTemplate(xml=xml, level=version_level(check.version), requests=len(request_ids))


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
    version = check.version or host_max_version
    if _version_tuple(version) > _version_tuple(host_max_version):
        version = host_max_version
    xml, request_ids = _prepared(root, request_id_prefix, version)
    return PreparedRaw(xml=xml, version=version, request_ids=request_ids)


def _prepared(root: etree._Element, request_id_prefix: str, version: str) -> tuple[str, list[str]]:
    """The checked document with our requestIDs and ``version`` in its header (changes ``root``)."""
    msgs = root.find("QBXMLMsgsRq")
    assert msgs is not None  # _checked guarantees it
    request_ids: list[str] = []
    for index, child in enumerate(c for c in msgs if isinstance(c.tag, str)):
        request_id = f"{request_id_prefix}.{index}"
        child.set("requestID", request_id)
        request_ids.append(request_id)
    body = etree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n{body}', request_ids
