"""Optional validation against Intuit's official qbXML XSDs, when the schema folder is available."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from lxml import etree

from simulator.qbxml_in import QBXMLParseError

ENV_VAR = "QBBRIDGE_SCHEMA_DIR"


def default_schema_dir() -> Path | None:
    """`$QBBRIDGE_SCHEMA_DIR`, else `<repo root>/../shared/qbxml-schema` when it exists."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        return path if path.is_dir() else None
    candidate = Path(__file__).resolve().parent.parent.parent / "shared" / "qbxml-schema"
    return candidate if candidate.is_dir() else None


def _entry_point(schema_dir: Path, version: str) -> Path | None:
    try:
        major = int(float(version))
    except ValueError:
        major = 13
    names = ["qbxmlops160.xsd", "qbxmlops130.xsd"] if major >= 14 else ["qbxmlops130.xsd", "qbxmlops160.xsd"]
    for name in names:
        if (schema_dir / name).is_file():
            return schema_dir / name
    return None


@lru_cache(maxsize=8)
def _load(path: str) -> etree.XMLSchema:
    # The official files only include siblings by relative path; no network or DTD is needed.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(path, parser))


class SchemaValidator:
    def __init__(self, schema_dir: Path) -> None:
        self.schema_dir = schema_dir

    def schema_for(self, version: str) -> etree.XMLSchema | None:
        entry = _entry_point(self.schema_dir, version)
        return _load(str(entry)) if entry is not None else None

    def validate(self, document: etree._Element, version: str) -> None:
        schema = self.schema_for(version)
        if schema is None:
            return
        if not schema.validate(document):
            first = schema.error_log[0] if len(schema.error_log) else None
            raise QBXMLParseError(first.message if first is not None else "schema validation failed")

    def is_valid(self, document: etree._Element, version: str = "13.0") -> tuple[bool, str]:
        schema = self.schema_for(version)
        if schema is None:
            return True, ""
        ok = schema.validate(document)
        return ok, "" if ok else "; ".join(e.message for e in schema.error_log)
