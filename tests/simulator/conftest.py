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


def customer_data_ext(operation: str, value: str) -> str:
    """A DataExtAddRq or DataExtModRq (``operation`` "Add" or "Mod") giving Globex's "Fusion Order" field
    ``value``."""
    return (
        f"<DataExt{operation}Rq><DataExt{operation}><OwnerID>0</OwnerID><DataExtName>Fusion Order</DataExtName>"
        "<ListDataExtType>Customer</ListDataExtType><ListObjRef><FullName>Globex</FullName></ListObjRef>"
        f"<DataExtValue>{value}</DataExtValue></DataExt{operation}></DataExt{operation}Rq>"
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


def status_of(send: Send, request: str) -> tuple[str, str, str]:
    """QuickBooks' answer to ``request`` sent alone: its status code, severity and message."""
    (rs,) = send(request)
    return rs.get("statusCode"), rs.get("statusSeverity"), rs.get("statusMessage")


# Lists of a company that uses QuickBooks' other line items: units of measure, a subtotal, a discount,
# a payment item, sales tax, an item group, and a customer billed in euros. Names avoid the demo's and
# the send tests' companies, so it can be added to either.
SPECIAL_LISTS = (
    "<UnitOfMeasureSetAddRq><UnitOfMeasureSetAdd><Name>Count by case</Name><UnitOfMeasureType>Count</UnitOfMeasureType>"
    "<BaseUnit><Name>Each</Name><Abbreviation>ea</Abbreviation></BaseUnit>"
    "<RelatedUnit><Name>Case</Name><Abbreviation>cs</Abbreviation><ConversionRatio>12</ConversionRatio></RelatedUnit>"
    "<RelatedUnit><Name>Pallet</Name><Abbreviation>pl</Abbreviation><ConversionRatio>480</ConversionRatio></RelatedUnit>"
    "<DefaultUnit><UnitUsedFor>Sales</UnitUsedFor><Unit>Case</Unit></DefaultUnit>"
    "</UnitOfMeasureSetAdd></UnitOfMeasureSetAddRq>",
    "<ItemInventoryAddRq><ItemInventoryAdd><Name>BOLT-M8</Name><UnitOfMeasureSetRef><FullName>Count by case</FullName></UnitOfMeasureSetRef>"
    "<SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef><SalesDesc>Bolt M8, zinc</SalesDesc><SalesPrice>1.00</SalesPrice>"
    "<IncomeAccountRef><FullName>Sales</FullName></IncomeAccountRef><COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef>"
    "<AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef></ItemInventoryAdd></ItemInventoryAddRq>",
    "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>BRACKET</Name><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef>"
    "<SalesOrPurchase><Desc>Wall bracket</Desc><Price>30.00</Price><AccountRef><FullName>Sales</FullName></AccountRef>"
    "</SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>",
    "<ItemSubtotalAddRq><ItemSubtotalAdd><Name>Subtotal</Name><ItemDesc>Subtotal</ItemDesc></ItemSubtotalAdd></ItemSubtotalAddRq>",
    "<ItemDiscountAddRq><ItemDiscountAdd><Name>Loyalty 10%</Name><ItemDesc>Loyal customer discount</ItemDesc>"
    "<SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef><DiscountRatePercent>10.0</DiscountRatePercent>"
    "<AccountRef><FullName>Sales</FullName></AccountRef></ItemDiscountAdd></ItemDiscountAddRq>",
    "<ItemPaymentAddRq><ItemPaymentAdd><Name>Deposit</Name><ItemDesc>Deposit received</ItemDesc></ItemPaymentAdd></ItemPaymentAddRq>",
    "<ItemSalesTaxAddRq><ItemSalesTaxAdd><Name>NY State</Name><ItemDesc>NY state sales tax</ItemDesc><TaxRate>8.0</TaxRate>"
    "</ItemSalesTaxAdd></ItemSalesTaxAddRq>",
    "<ItemGroupAddRq><ItemGroupAdd><Name>Starter kit</Name><ItemDesc>Starter kit</ItemDesc><IsPrintItemsInGroup>false</IsPrintItemsInGroup>"
    "<ItemGroupLine><ItemRef><FullName>BRACKET</FullName></ItemRef><Quantity>2</Quantity></ItemGroupLine>"
    "<ItemGroupLine><ItemRef><FullName>BOLT-M8</FullName></ItemRef><Quantity>1</Quantity><UnitOfMeasure>Case</UnitOfMeasure></ItemGroupLine>"
    "</ItemGroupAdd></ItemGroupAddRq>",
    "<CustomerAddRq><CustomerAdd><Name>Euro Kunde GmbH</Name><CurrencyRef><FullName>Euro</FullName></CurrencyRef></CustomerAdd></CustomerAddRq>",
)


def special_order(kind: str, customer: str, ref: str, *, exchange_rate: str = "") -> str:
    """A document of ``kind`` (SalesOrder, Invoice, Estimate) using every line of SPECIAL_LISTS:
    3 brackets (90.00), 2 cases of bolts (24.00), a subtotal (114.00), 10% off it (-11.40), a starter
    kit (2 brackets, 1 case of bolts: 72.00) and a 50.00 deposit; 8% NY sales tax on the taxable lines.
    Subtotal 124.60, tax 13.97, total 138.57."""
    line, group = f"{kind}LineAdd", f"{kind}LineGroupAdd"
    tax = "" if kind == "PurchaseOrder" else "<ItemSalesTaxRef><FullName>NY State</FullName></ItemSalesTaxRef>"
    rate = f"<ExchangeRate>{exchange_rate}</ExchangeRate>" if exchange_rate else ""
    return (
        f"<{kind}AddRq><{kind}Add><CustomerRef><FullName>{customer}</FullName></CustomerRef>"
        f"<TxnDate>2026-11-10</TxnDate><RefNumber>{ref}</RefNumber>{tax}{rate}"
        f"<{line}><ItemRef><FullName>BRACKET</FullName></ItemRef><Quantity>3</Quantity></{line}>"
        f"<{line}><ItemRef><FullName>BOLT-M8</FullName></ItemRef><Quantity>2</Quantity><UnitOfMeasure>Case</UnitOfMeasure></{line}>"
        f"<{line}><ItemRef><FullName>Subtotal</FullName></ItemRef></{line}>"
        f"<{line}><ItemRef><FullName>Loyalty 10%</FullName></ItemRef></{line}>"
        f"<{group}><ItemGroupRef><FullName>Starter kit</FullName></ItemGroupRef><Quantity>1</Quantity></{group}>"
        f"<{line}><ItemRef><FullName>Deposit</FullName></ItemRef><Amount>50.00</Amount></{line}>"
        f"</{kind}Add></{kind}AddRq>"
    )
