"""Every builder's output validates against Intuit's official qbXML 13.0 and 16.0 schemas."""

from __future__ import annotations

import pytest
from lxml import etree

from requests_builder import REQUEST_TYPES, build_message_set
from tests.qbxml.conftest import schema_errors
from tests.qbxml.examples import all_requests, sales_order

EXAMPLES = all_requests()


def _id(request: object) -> str:
    return type(request).__name__


@pytest.mark.parametrize("request_obj", EXAMPLES, ids=[_id(r) for r in EXAMPLES])
@pytest.mark.parametrize("version", ["13.0", "16.0"])
def test_each_request_is_schema_valid(request_obj, version, schema13, schema16):
    result = build_message_set([request_obj], version=version)
    schema = schema13 if version == "13.0" else schema16
    assert schema_errors(schema, result.xml) == []


def test_examples_cover_every_request_type():
    assert {type(r).__name__ for r in EXAMPLES} == set(REQUEST_TYPES)


def test_whole_message_set_with_every_request_is_valid(schema13):
    result = build_message_set(EXAMPLES, version="13.0", on_error="continueOnError")
    assert schema_errors(schema13, result.xml) == []
    assert len(set(result.request_ids)) == len(EXAMPLES)


def test_element_order_follows_schema_not_caller():
    root = etree.fromstring(build_message_set([sales_order()], version="13.0").xml.encode())
    body = root.find("QBXMLMsgsRq/SalesOrderAddRq/SalesOrderAdd")
    tags = [child.tag for child in body]
    assert tags.index("CustomerRef") == 0
    assert (
        tags.index("RefNumber") < tags.index("BillAddress") < tags.index("PONumber") < tags.index("ShipDate")
    )
    assert tags.index("ItemSalesTaxRef") < tags.index("IsManuallyClosed") < tags.index("Memo")
    assert tags[-1] == "SalesOrderLineAdd"
    line = [child.tag for child in body.find("SalesOrderLineAdd")]
    assert line[:4] == ["ItemRef", "Desc", "Quantity", "Rate"]
    assert line.index("ClassRef") < line.index("Amount") < line.index("SalesTaxCodeRef")


def test_older_version_is_schema_valid_when_fields_allow(schema13):
    # ExternalGUID (9.0) is left out with a warning for an 8.0 host; the rest must still validate.
    result = build_message_set([sales_order()], version="8.0")
    assert "ExternalGUID" not in result.xml
    assert any("ExternalGUID" in w.message for w in result.warnings)
    assert schema_errors(schema13, result.xml.replace('version="8.0"', 'version="13.0"')) == []
