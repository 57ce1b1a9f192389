"""The simulated QuickBooks checks each request against the qbXML version its message set names, as the
real one does: a request, element or iterator that version lacks fails the whole message set to parse.
Without this, a client writing newer elements for an older QuickBooks would pass every test here and
fail at a customer's."""

from __future__ import annotations

import pytest

from simulator import cli
from simulator.company import Company
from simulator.demo import seed_demo
from simulator.host import HostFacts
from simulator.quickbooks import QBXMLParseError, QuickBooks
from simulator.versions import (
    ANYWHERE_SINCE,
    ATTRIBUTE_SINCE,
    ELEMENT_SINCE,
    OPS_FILE,
    REQUEST_SINCE,
    load_notes,
)
from tests.simulator.conftest import message_set, rs_list, schema_dir

SALES_ORDER = (
    "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Abercrombie, Kristy</FullName></CustomerRef>{extra}"
    "<SalesOrderLineAdd><ItemRef><FullName>Widget</FullName></ItemRef><Quantity>1</Quantity></SalesOrderLineAdd>"
    "</SalesOrderAdd></SalesOrderAddRq>"
)
GUID = "<ExternalGUID>{6F0B8A52-3C1E-5D4B-9A57-2F4E1C0D7B31}</ExternalGUID>"
TIME = (
    "<TimeTrackingAddRq><TimeTrackingAdd><EntityRef><FullName>Dan Miller</FullName></EntityRef>"
    "<Duration>PT1H0M0S</Duration>{extra}</TimeTrackingAdd></TimeTrackingAddRq>"
)

# (what is sent, the version that introduced it)
NEWER_THAN = [
    (SALES_ORDER.format(extra=""), "2.1"),  # SalesOrderAdd itself
    (SALES_ORDER.format(extra=GUID), "9.0"),
    (SALES_ORDER.format(extra="<Other>QBB-1</Other>"), "6.0"),
    (TIME.format(extra="<BillableStatus>Billable</BillableStatus>"), "6.0"),
    ('<CustomerQueryRq iterator="Start"><MaxReturned>5</MaxReturned></CustomerQueryRq>', "5.0"),
    ("<CustomerQueryRq><IncludeRetElement>Name</IncludeRetElement></CustomerQueryRq>", "4.0"),
    (
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Abercrombie, Kristy</FullName></CustomerRef>"
        "<LinkToTxnID>1-1</LinkToTxnID></InvoiceAdd></InvoiceAddRq>",
        "6.0",
    ),
]


def _older(version: str) -> str:
    return {"2.1": "2.0", "4.0": "3.0", "5.0": "4.1", "6.0": "5.0", "9.0": "8.0"}[version]


def _quickbooks(with_schema: bool) -> QuickBooks:
    folder = schema_dir() if with_schema else None
    if with_schema and folder is None:
        pytest.skip(
            "the qbXML schema folder (../shared/qbxml-schema) is missing: Intuit's version notes are there"
        )
    return QuickBooks(
        seed_demo(), host=HostFacts(max_qbxml_version="16.0"), schema_dir=folder, use_default_schema=False
    )


@pytest.mark.parametrize("with_schema", [True, False], ids=["intuit-notes", "built-in"])
@pytest.mark.parametrize(("request_xml", "since"), NEWER_THAN)
def test_what_a_version_lacks_fails_the_message_set(request_xml: str, since: str, with_schema: bool) -> None:
    qb = _quickbooks(with_schema)
    before = len(qb.company.sales_orders)
    with pytest.raises(QBXMLParseError) as refused:
        qb.process(message_set(request_xml, version=_older(since)))
    assert refused.value.hresult == "0x80040400"
    assert f"(it was added in {since})" in refused.value.detail
    assert len(qb.company.sales_orders) == before
    # The same request in a message set naming the version that introduced it parses.
    [answer] = rs_list(qb.process(message_set(request_xml, version=since)))
    assert answer.get("statusCode") is not None


def test_a_version_above_the_host_fails_the_message_set() -> None:
    qb = QuickBooks(Company.new(), host=HostFacts(max_qbxml_version="8.0"), use_default_schema=False)
    with pytest.raises(QBXMLParseError, match=r"qbXML version 9\.0 is not supported"):
        qb.process(message_set("<CustomerQueryRq/>", version="9.0"))
    assert rs_list(qb.process(message_set("<CustomerQueryRq/>", version="8.0")))


def test_built_in_facts_agree_with_intuits_notes() -> None:
    folder = schema_dir()
    if folder is None:
        pytest.skip(
            "the qbXML schema folder (../shared/qbxml-schema) is missing: Intuit's version notes are there"
        )
    notes = load_notes(str(folder / OPS_FILE))
    assert len(notes) > 1000
    for request, since in REQUEST_SINCE.items():
        assert notes[(request,)] == since, request
    checked = 0
    for (parent, element), since in ELEMENT_SINCE.items():
        found = {version for path, version in notes.items() if path[-2:] == (parent, element)}
        if found:  # some parents (e.g. EstimateAdd) are not requests the notes list under that name
            assert found == {since}, (parent, element, found)
            checked += 1
    assert checked >= 10
    for element, since in ANYWHERE_SINCE.items():
        found = {version for path, version in notes.items() if len(path) == 2 and path[1] == element}
        assert since in found and all(version >= since for version in found), (element, found)
    assert set(ATTRIBUTE_SINCE) == {"iterator", "iteratorID", "metaData"}


def test_non_us_hosts_list_their_editions_own_versions() -> None:
    assert HostFacts(country="CA", max_qbxml_version="CA3.0").supported_versions == [
        "1.0",
        "1.1",
        "CA2.0",
        "CA3.0",
    ]
    old_uk = HostFacts(country="UK", max_qbxml_version="UK3.0")
    assert old_uk.qbxml_major_minor == (3, 0) and old_uk.supports("UK3.0") and not old_uk.supports("6.0")
    today = HostFacts(country="CA", max_qbxml_version="13.0")
    assert {"CA2.0", "CA3.0", "13.0"} <= set(today.supported_versions) and today.qbxml_major_minor == (13, 0)
    assert "CA3.0" not in HostFacts(country="US", max_qbxml_version="13.0").supported_versions
    assert HostFacts(max_qbxml_version="6.0").product_name == "QuickBooks Premier Edition 2007"
    with pytest.raises(ValueError, match=r"CA3\.0"):
        HostFacts(country="US", max_qbxml_version="CA3.0")


def test_the_command_line_takes_an_editions_version(tmp_path, capsys) -> None:
    parser = cli.build_parser(cli.argparse.ArgumentParser())
    args = parser.parse_args(
        ["--url", "http://127.0.0.1:9/qbwc", "--username", "u", "--password", "p", "--qbxml-version", "UK3.0"]
    )
    assert cli.run(args) == 2  # a US host (the default) has no UK version
    assert "UK3.0" in capsys.readouterr().err
