"""Fixtures for the simulator's own tests: message-set building and the optional shared references."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from simulator.company import Company
from simulator.demo import seed_demo
from simulator.quickbooks import QuickBooks
from tests.support.shared import require_schema_dir, schema_dir


def message_set(*requests: str, on_error: str = "stopOnError", version: str = "13.0") -> str:
    body = "".join(requests)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="{version}"?>'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{body}</QBXMLMsgsRq></QBXML>'
    )


def rs_list(response: str) -> list[etree._Element]:
    root = etree.fromstring(response.encode())
    return [c for c in root.find("QBXMLMsgsRs") if isinstance(c.tag, str)]


@pytest.fixture
def xsd() -> etree.XMLSchema:
    folder = require_schema_dir()
    return etree.XMLSchema(etree.parse(str(folder / "qbxmlops130.xsd")))


@pytest.fixture
def qb() -> QuickBooks:
    """A demo company; validates against the XSD too when the shared folder is there."""
    return QuickBooks(seed_demo(), schema_dir=schema_dir(), use_default_schema=False)


@pytest.fixture
def empty_qb() -> QuickBooks:
    return QuickBooks(Company.new(), schema_dir=schema_dir(), use_default_schema=False)


Send = Callable[..., list[etree._Element]]


@pytest.fixture
def send(qb: QuickBooks) -> Send:
    def _send(*requests: str, on_error: str = "stopOnError") -> list[etree._Element]:
        return rs_list(qb.process(message_set(*requests, on_error=on_error)))

    return _send
