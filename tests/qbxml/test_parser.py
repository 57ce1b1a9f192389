"""The streaming reader: sample messages, typed records, leniency, hostile XML and the build/read round trip."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest

from requests_builder import build_message_set
from responses_parser import (
    Category,
    Customer,
    GenericRecord,
    HostileXMLError,
    Invoice,
    Item,
    PurchaseOrder,
    ResponseFormatError,
    SalesOrder,
    parse_host_response,
    parse_response,
)
from tests.qbxml.conftest import response_samples
from tests.qbxml.examples import sales_order


def _read(samples_dir, name):
    path = samples_dir / name
    if not path.exists():
        # The samples folder is there (the fixture checked) but lacks this message: a failure, not a skip.
        pytest.fail(f"sample {name} not found in {samples_dir}")
    return path.read_bytes()


def _all(data):
    return [(rs, list(rs.records)) for rs in parse_response(data)]


def test_sales_order_add_mixed_statuses(samples_dir):
    results = _all(_read(samples_dir, "SalesOrderAddRs_mixed_status1_3140_example1.xml"))
    assert [(rs.request_type, rs.status_code) for rs, _ in results] == [
        ("ItemInventoryQueryRs", 1), ("ItemInventoryQueryRs", 1), ("SalesOrderAddRs", 0), ("SalesOrderAddRs", 3140),
    ]  # fmt: skip
    assert results[0][0].explain().category is Category.NO_MATCH
    order = results[2][1][0]
    assert isinstance(order, SalesOrder)
    assert (
        order.txn_id == "4C-1415942229"
        and order.ref_number == "13"
        and order.total_amount == Decimal("200.00")
    )
    assert order.customer.full_name == "a123191" and order.bill_address.city == "Hollywood"
    assert order.is_manually_closed is False and order.is_fully_invoiced is False
    line = order.lines[0]
    assert (line.item.full_name, line.quantity, line.rate, line.invoiced) == (
        "SPREE-T-SHIRT",
        2,
        Decimal("100.00"),
        0,
    )
    failed = results[3][0]
    assert failed.is_error and failed.records is not None
    explanation = failed.explain()
    assert explanation.category is Category.NEEDS_USER_ACTION
    assert '"nononononoImNotThereAlrightDylan"' in explanation.text and "customer" in explanation.text


def test_purchase_order_query_with_custom_fields_and_iterator(samples_dir):
    ((rs, records),) = _all(_read(samples_dir, "PurchaseOrderQueryRs_example1.xml"))
    assert rs.iterator_id and rs.iterator_remaining_count is not None
    po = records[0]
    assert isinstance(po, PurchaseOrder) and po.lines
    assert {d.owner_id for d in po.data_ext} == {"0"} and len(po.data_ext) == 3


def test_invoice_query_linked_txns_and_jobs(samples_dir):
    ((rs, records),) = _all(_read(samples_dir, "InvoiceQueryRs_iterator_example1.xml"))
    assert rs.iterator_remaining_count == 0 and len(records) == 2
    assert all(isinstance(r, Invoice) for r in records)
    assert any(r.customer.full_name == "Keith Palmer:QuickBooks Integration" for r in records)
    linked = [t for r in records for t in r.linked_txns]
    assert linked and linked[0].link_type == "AMTTYPE"


def test_customer_and_item_queries(samples_dir):
    ((_, customers),) = _all(_read(samples_dir, "CustomerQueryRs_example1.xml"))
    assert customers and all(isinstance(c, Customer) for c in customers) and customers[0].list_id
    ((_, items),) = _all(_read(samples_dir, "ItemQueryRs_example1.xml"))
    assert items and all(isinstance(i, Item) and i.item_type.startswith("Item") for i in items)


@pytest.mark.parametrize(
    ("name", "code", "category"),
    [
        ("CustomerQueryRs_error3120_example1.xml", 3120, Category.NEEDS_USER_ACTION),
        ("CustomerQueryRs_warn500_example1.xml", 500, Category.WARNING),
        ("CustomerAddRs_error3180_example1.xml", 3180, Category.RETRY_LATER),
        ("ItemInventoryAddRs_error3100_example1.xml", 3100, Category.NEEDS_USER_ACTION),
        ("ItemInventoryQueryRs_status1_example2.xml", 1, Category.NO_MATCH),
    ],
)
def test_error_samples(samples_dir, name, code, category):
    ((rs, _),) = _all(_read(samples_dir, name))
    assert rs.status_code == code
    assert rs.explain().category is category


def test_every_wellformed_sample_response_parses(samples_dir):
    samples = response_samples(samples_dir)
    assert samples
    for path, data in samples:
        results = _all(data)
        assert results, path.name
        for rs, records in results:
            assert rs.status_severity in ("Info", "Warn", "Error")
            for record in records:
                assert record.to_dict()["record_type"]


def test_soap_envelope_payload_after_extraction(samples_dir):
    # This capture embeds the message set as markup (in the SOAP default namespace); take it as text.
    raw = _read(samples_dir, "SalesOrderAddRs_error3140_soap_example1.xml").decode()
    payload = raw[raw.index("<QBXML>") : raw.index("</QBXML>") + len("</QBXML>")]
    ((rs, _),) = _all(payload)
    assert rs.status_code == 3140
    explanation = rs.explain()
    assert '"Joe Smith"' in explanation.text and explanation.object_type == "Customer"


def test_host_response(samples_dir):
    info = parse_host_response(_read(samples_dir, "HostQueryRs_strHCPResponse_fixed_example1.xml").decode())
    assert info.product_name == "QuickBooks Pro 2014" and info.major_version == 24
    assert info.supported_versions[-1] == "13.0" and info.country == "US"
    assert info.company_name == "myCompany" and info.file_id == "{00000ee-1111-ffff-cccc-5ff123456047}"
    assert info.uses_class_tracking is False
    assert parse_host_response("").product_name is None


def test_round_trip_builder_to_parser():
    request = sales_order(lines=3)
    built = build_message_set([request], version="13.0").xml
    body = built[built.index("<SalesOrderAdd>") : built.index("</SalesOrderAdd>") + len("</SalesOrderAdd>")]
    # QuickBooks echoes an Add as a Ret with the same element names; make one from what we wrote.
    ret = re.sub(r"(</?)SalesOrderAdd>", r"\1SalesOrderRet>", body)
    ret = re.sub(r"(</?)SalesOrderLineAdd>", r"\1SalesOrderLineRet>", ret)
    ret = re.sub(r"(</?)DataExt>", r"\1DataExtRet>", ret)
    response = (
        f'<QBXML><QBXMLMsgsRs><SalesOrderAddRs requestID="1" statusCode="0" statusSeverity="Info">{ret}'
    )
    response += "</SalesOrderAddRs></QBXMLMsgsRs></QBXML>"
    ((rs, (order,)),) = _all(response)
    assert rs.request_id == "1"
    assert order.customer.full_name == request.customer.full_name
    assert order.ref_number == request.ref_number and order.txn_date == date(2024, 3, 15)
    assert order.memo == request.memo and order.is_manually_closed is False
    assert order.bill_address.addr1 == request.bill_address.addr1 and order.bill_address.note == "Back door"
    assert order.sales_rep.list_id == request.sales_rep.list_id
    assert len(order.lines) == 3
    for got, sent in zip(order.lines, request.lines, strict=True):
        assert got.item.full_name == sent.item.full_name and got.desc == sent.desc
        assert got.quantity == sent.quantity and got.rate == sent.rate and got.amount == sent.amount
        assert got.data_ext[0].name == "Color" and got.data_ext[0].value == "Red"


def test_unknown_elements_and_enum_values_are_kept():
    response = (
        '<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
        "<CustomerRet><ListID>1-1</ListID><Name>A</Name><JobStatus>Dormant</JobStatus>"
        "<FutureField><Inner>x</Inner></FutureField></CustomerRet>"
        "<FutureThingRet><A>1</A></FutureThingRet></CustomerQueryRs>"
        '<FutureQueryRs statusCode="0" statusSeverity="Info"><FooRet><B>2</B></FooRet></FutureQueryRs>'
        "</QBXMLMsgsRs></QBXML>"
    )
    results = _all(response)
    customer, future = results[0][1]
    assert customer.job_status == "Dormant" and ("FutureField", {"Inner": "x"}) in customer.extra
    assert isinstance(future, GenericRecord) and future.data == {"A": "1"}
    assert results[1][0].request_type == "FutureQueryRs" and results[1][1][0].tag == "FooRet"


def test_hostile_xml_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><QBXML>&b;</QBXML>'
    with pytest.raises(HostileXMLError):
        list(parse_response(bomb))
    with pytest.raises(HostileXMLError):
        list(parse_response(io.BytesIO(bomb)))
    external = b'<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><QBXML/>'
    with pytest.raises(HostileXMLError):
        list(parse_response(external))
    with pytest.raises(ResponseFormatError):
        list(parse_response(b"<QBXML><QBXMLMsgsRs><Broken></QBXMLMsgsRs>"))
    with pytest.raises(ResponseFormatError):
        list(parse_response(b"<QBXML></QBXML>"))


def test_streaming_drops_records_once_read_and_skips_unread():
    orders = "".join(f"<SalesOrderRet><TxnID>{n}</TxnID></SalesOrderRet>" for n in range(50))
    text = (
        '<QBXML><QBXMLMsgsRs><SalesOrderQueryRs requestID="1" statusCode="0" statusSeverity="Info" retCount="50">'
        f"{orders}</SalesOrderQueryRs>"
        '<HostQueryRs requestID="2" statusCode="0" statusSeverity="Info"/></QBXMLMsgsRs></QBXML>'
    )
    results = parse_response(io.BytesIO(text.encode()))
    first = next(results)
    assert first.ret_count == 50
    assert next(first.records).txn_id == "0"
    second = next(results)  # the 49 unread orders are skipped
    assert second.request_id == "2"
    assert list(results) == []


def test_unit_of_measure_sets_and_what_a_line_says_of_its_unit_and_currency():
    """What retrievals need to convert quantities and to tell a foreign-currency document: a set's
    base and related units, a line's unit and override set, a group line's flags, the home-currency total."""
    text = """<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>
    <UnitOfMeasureSetQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
      <UnitOfMeasureSetRet><ListID>80000001-1</ListID><Name>Count by case</Name><IsActive>true</IsActive>
        <UnitOfMeasureType>Count</UnitOfMeasureType>
        <BaseUnit><Name>Each</Name><Abbreviation>ea</Abbreviation></BaseUnit>
        <RelatedUnit><Name>Case</Name><Abbreviation>cs</Abbreviation><ConversionRatio>12</ConversionRatio></RelatedUnit>
        <DefaultUnit><UnitUsedFor>Sales</UnitUsedFor><Unit>Case</Unit></DefaultUnit>
      </UnitOfMeasureSetRet>
    </UnitOfMeasureSetQueryRs>
    <SalesOrderQueryRs requestID="2" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
      <SalesOrderRet><TxnID>1-1</TxnID><TxnDate>2026-01-02</TxnDate><Subtotal>240.00</Subtotal>
        <TotalAmount>240.00</TotalAmount><CurrencyRef><FullName>Euro</FullName></CurrencyRef>
        <ExchangeRate>1.085</ExchangeRate><TotalAmountInHomeCurrency>260.40</TotalAmountInHomeCurrency>
        <SalesOrderLineGroupRet><TxnLineID>G</TxnLineID><ItemGroupRef><FullName>Kit</FullName></ItemGroupRef>
          <Quantity>1</Quantity><IsPrintItemsInGroup>false</IsPrintItemsInGroup><TotalAmount>240.00</TotalAmount>
          <SalesOrderLineRet><TxnLineID>L</TxnLineID><ItemRef><FullName>Widget</FullName></ItemRef>
            <Quantity>2</Quantity><UnitOfMeasure>Case</UnitOfMeasure>
            <OverrideUOMSetRef><ListID>80000001-1</ListID></OverrideUOMSetRef>
            <Rate>120</Rate><Amount>240.00</Amount></SalesOrderLineRet>
        </SalesOrderLineGroupRet>
      </SalesOrderRet>
    </SalesOrderQueryRs></QBXMLMsgsRs></QBXML>"""
    (_, (unit_set,)), (_, (order,)) = _all(text)
    assert unit_set.name == "Count by case" and unit_set.base_unit.abbreviation == "ea"
    assert [(u.name, u.conversion_ratio) for u in unit_set.related_units] == [("Case", Decimal("12"))]
    assert order.currency.full_name == "Euro" and order.exchange_rate == Decimal("1.085")
    assert order.total_amount_in_home_currency == Decimal("260.40")
    (group,) = order.lines
    assert group.is_print_items_in_group is False and group.total_amount == Decimal("240.00")
    (line,) = group.lines
    assert line.unit_of_measure == "Case" and line.override_uom_set.list_id == "80000001-1"
