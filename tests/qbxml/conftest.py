"""Shared fixtures: the official qbXML schemas (loaded once per session) and the sample messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.support.shared import require_samples_dir, require_schema_dir


def _load_schema(version: str) -> etree.XMLSchema:
    path = require_schema_dir() / f"qbxmlops{version}.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


@pytest.fixture(scope="session")
def schema13() -> etree.XMLSchema:
    return _load_schema("130")


@pytest.fixture(scope="session")
def schema16() -> etree.XMLSchema:
    return _load_schema("160")


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return require_samples_dir()


def response_samples(samples_dir: Path) -> list[tuple[Path, bytes]]:
    """The sample responses that are plain well-formed message sets: two samples are kept verbatim
    although not well-formed, and SOAP captures hold their message set as markup of the envelope."""
    found = []
    for path in sorted(samples_dir.glob("*Rs_*.xml")):
        data = path.read_bytes()
        try:
            etree.fromstring(data)
        except etree.XMLSyntaxError:
            continue
        if b"QBXMLMsgsRs" not in data or b"soap:" in data.lower() or b"Envelope" in data:
            continue
        found.append((path, data))
    return found


def schema_errors(schema: etree.XMLSchema, xml: str) -> list[str]:
    document = etree.fromstring(xml.encode("utf-8"))
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
