"""QuickBooks' other line items in the simulator: units of measure, subtotals, discounts, payments,
sales tax, item groups and foreign currencies, answered as QuickBooks shapes them."""

from __future__ import annotations

from lxml import etree

from simulator.company import Company
from simulator.quickbooks import QuickBooks
from tests.simulator.conftest import SPECIAL_LISTS, message_set, rs_list, schema_dir, special_order


def _company() -> QuickBooks:
    qb = QuickBooks(Company.new(), schema_dir=schema_dir(), use_default_schema=False)
    response = qb.process(
        message_set("<CustomerAddRq><CustomerAdd><Name>ACME</Name></CustomerAdd></CustomerAddRq>", *SPECIAL_LISTS)
    )
    assert 'statusSeverity="Error"' not in response, response
    return qb


def _query(qb: QuickBooks, *requests: str) -> list[etree._Element]:
    return rs_list(qb.process(message_set(*requests)))


def test_a_sales_order_with_every_kind_of_line_adds_up_as_quickbooks_does(xsd: etree.XMLSchema) -> None:
    qb = _company()
    (rs,) = rs_list(qb.process(message_set(special_order("SalesOrder", "ACME", "SP-1"))))
    assert rs.get("statusCode") == "0", etree.tostring(rs)
    order = rs.find("SalesOrderRet")
    lines = [child for child in order if child.tag in ("SalesOrderLineRet", "SalesOrderLineGroupRet")]
    # Lines keep the order they were entered in, the group among them.
    assert [(ln.tag, ln.findtext("ItemRef/FullName") or ln.findtext("ItemGroupRef/FullName"), ln.findtext("Amount") or ln.findtext("TotalAmount")) for ln in lines] == [
        ("SalesOrderLineRet", "BRACKET", "90.00"),
        ("SalesOrderLineRet", "BOLT-M8", "24.00"),
        ("SalesOrderLineRet", "Subtotal", "114.00"),
        ("SalesOrderLineRet", "Loyalty 10%", "-11.40"),
        ("SalesOrderLineGroupRet", "Starter kit", "72.00"),
        ("SalesOrderLineRet", "Deposit", "-50.00"),
    ]
    assert lines[1].findtext("UnitOfMeasure") == "Case" and lines[1].findtext("Rate") == "12.00"
    assert lines[3].findtext("RatePercent") == "-10"
    members = lines[4].findall("SalesOrderLineRet")
    assert [(m.findtext("ItemRef/FullName"), m.findtext("Quantity"), m.findtext("Amount")) for m in members] == [
        ("BRACKET", "2", "60.00"),
        ("BOLT-M8", "1", "12.00"),
    ]
    assert order.findtext("Subtotal") == "124.60"
    assert order.findtext("ItemSalesTaxRef/FullName") == "NY State"
    assert order.findtext("SalesTaxTotal") == "13.97"  # 8% of 90 + 24 - 11.40 + 72
    assert order.findtext("TotalAmount") == "138.57"
    document = etree.fromstring(qb.process(message_set(
        "<SalesOrderQueryRq><IncludeLineItems>true</IncludeLineItems></SalesOrderQueryRq>"
    )).encode())
    assert xsd.validate(document), xsd.error_log


def test_item_types_and_unit_sets_are_listed_as_quickbooks_lists_them(xsd: etree.XMLSchema) -> None:
    qb = _company()
    items, sets = _query(
        qb,
        "<ItemQueryRq><ActiveStatus>All</ActiveStatus><IncludeRetElement>ListID</IncludeRetElement>"
        "<IncludeRetElement>Name</IncludeRetElement><IncludeRetElement>FullName</IncludeRetElement>"
        "<IncludeRetElement>UnitOfMeasureSetRef</IncludeRetElement></ItemQueryRq>",
        "<UnitOfMeasureSetQueryRq><ActiveStatus>All</ActiveStatus></UnitOfMeasureSetQueryRq>",
    )
    names = {ret.findtext("FullName") or ret.findtext("Name"): ret.tag for ret in items}
    assert {name: names[name] for name in ("Subtotal", "Loyalty 10%", "Deposit", "NY State", "Starter kit", "BOLT-M8")} == {
        "Subtotal": "ItemSubtotalRet",
        "Loyalty 10%": "ItemDiscountRet",
        "Deposit": "ItemPaymentRet",
        "NY State": "ItemSalesTaxRet",
        "Starter kit": "ItemGroupRet",
        "BOLT-M8": "ItemInventoryRet",
    }
    # QuickBooks gives subtotal, payment, sales-tax and group items a Name and no FullName.
    subtotal = next(ret for ret in items if ret.tag == "ItemSubtotalRet")
    assert subtotal.findtext("FullName") is None and subtotal.findtext("Name") == "Subtotal"
    bolt = next(ret for ret in items if ret.findtext("FullName") == "BOLT-M8")
    unit_set = sets.find("UnitOfMeasureSetRet")
    assert bolt.findtext("UnitOfMeasureSetRef/ListID") == unit_set.findtext("ListID")
    assert [u.findtext("ConversionRatio") for u in unit_set.findall("RelatedUnit")] == ["12", "480"]
    full = etree.fromstring(qb.process(message_set("<ItemQueryRq/>", "<UnitOfMeasureSetQueryRq/>")).encode())
    assert xsd.validate(full), xsd.error_log


def test_a_customer_in_euros_gets_documents_in_euros(xsd: etree.XMLSchema) -> None:
    qb = _company()
    (rs,) = rs_list(qb.process(message_set(special_order("Invoice", "Euro Kunde GmbH", "EU-1", exchange_rate="1.085"))))
    invoice = rs.find("InvoiceRet")
    assert invoice.findtext("CurrencyRef/FullName") == "Euro"
    assert invoice.findtext("ExchangeRate") == "1.085"
    assert invoice.findtext("BalanceRemaining") == "138.57"
    assert invoice.findtext("BalanceRemainingInHomeCurrency") == "150.35"  # 138.57 × 1.085
    document = etree.fromstring(qb.process(message_set(
        "<InvoiceQueryRq><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>"
    )).encode())
    assert xsd.validate(document), xsd.error_log


def test_a_unit_ratio_outside_quickbooks_range_is_refused() -> None:
    qb = _company()
    (rs,) = rs_list(qb.process(message_set(
        "<UnitOfMeasureSetAddRq><UnitOfMeasureSetAdd><Name>Odd</Name><UnitOfMeasureType>Count</UnitOfMeasureType>"
        "<BaseUnit><Name>Piece</Name><Abbreviation>pc</Abbreviation></BaseUnit>"
        "<RelatedUnit><Name>Ton</Name><Abbreviation>t</Abbreviation><ConversionRatio>6000</ConversionRatio></RelatedUnit>"
        "</UnitOfMeasureSetAdd></UnitOfMeasureSetAddRq>"
    )))
    assert rs.get("statusSeverity") == "Error" and "ConversionRatio" in rs.get("statusMessage")
