"""Shared fixtures: the official qbXML schemas (loaded once per session) and the sample messages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("QBBRIDGE_SHARED_DIR", REPO_ROOT.parent / "shared"))
SCHEMA_DIR = SHARED / "qbxml-schema"
SAMPLES_DIR = SHARED / "qbxml-samples"


def _load_schema(version: str) -> etree.XMLSchema:
    path = SCHEMA_DIR / f"qbxmlops{version}.xsd"
    if not path.exists():
        pytest.skip(f"official qbXML schema not available at {path} (set QBBRIDGE_SHARED_DIR)")
    return etree.XMLSchema(etree.parse(str(path)))


@pytest.fixture(scope="session")
def schema13() -> etree.XMLSchema:
    return _load_schema("130")


@pytest.fixture(scope="session")
def schema16() -> etree.XMLSchema:
    return _load_schema("160")


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip(f"qbXML sample messages not available at {SAMPLES_DIR} (set QBBRIDGE_SHARED_DIR)")
    return SAMPLES_DIR


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
