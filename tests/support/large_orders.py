"""Large real-world orders in a simulated QuickBooks, for sizing retrieval pages (bench/retrieval_page_size.py
and tests/retrieval/test_page_size.py).

A *large* order is big but ordinary: 200 lines, each a categorised item with a 250-character
description, a quantity in a unit of measure, a class, a tax code, Other1/Other2 and two line custom
fields; a 1,000-character memo, full addresses, ten custom fields and 25 linked transactions (partial
invoices or receipts, payments). Text carries the characters XML escapes (``&``, ``<``, ``"``) and
accented letters, as customers' data does. One order is entered through qbXML, so QuickBooks' own
rules shape it; the rest are copies with new IDs and numbers. Custom fields and links are written onto
the company's records directly: entering them one request at a time would take thousands of requests
and change nothing of their size.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from simulator.company import Company
from simulator.quickbooks import QuickBooks
from tests.simulator.conftest import message_set

KINDS = {
    "salesOrder": "SalesOrder",
    "purchaseOrder": "PurchaseOrder",
    "invoice": "Invoice",
    "estimate": "Estimate",
}


@dataclass(frozen=True)
class Profile:
    lines: int = 200
    description: int = 250
    memo: int = 1000
    custom_fields: int = 10
    line_custom_fields: int = 2
    linked: int = 25


LARGE = Profile()
# The longest text QuickBooks keeps (Desc and Memo: 4,095 characters) on every line.
LONGEST_TEXT = Profile(description=4095, memo=4095)


def _text(length: int, seed: str) -> str:
    base = f'{seed}: Ø40×40 mm "heavy duty" bracket, zinc & nickel plated <M8>, für Außeneinsatz; '
    return (base * (length // len(base) + 1))[:length]


def _address(tag: str) -> str:
    return (
        f"<{tag}><Addr1>Großhandel Müller &amp; Söhne GmbH</Addr1><Addr2>Attn: Receiving, Dock 14</Addr2>"
        "<Addr3>Industriestraße 122-124</Addr3><Addr4>Gebäude C, 3. OG</Addr4><Addr5>Tor 7</Addr5>"
        f"<City>Saint-Jean-sur-Richelieu</City><State>Québec</State><PostalCode>J3B 7B7</PostalCode>"
        f"<Country>Canada</Country><Note>Call 2 h ahead</Note></{tag}>"
    )


def _lists() -> list[str]:
    requests = [
        "<CustomerAddRq><CustomerAdd><Name>Großhandel Müller</Name><CompanyName>Großhandel Müller &amp; Söhne</CompanyName>"
        f"{_address('BillAddress')}{_address('ShipAddress')}</CustomerAdd></CustomerAddRq>",
        "<CustomerAddRq><CustomerAdd><Name>Werk Süd</Name><ParentRef><FullName>Großhandel Müller</FullName></ParentRef>"
        "</CustomerAdd></CustomerAddRq>",
        f"<VendorAddRq><VendorAdd><Name>Stahlwerk Nord GmbH</Name>{_address('VendorAddress')}</VendorAdd></VendorAddRq>",
        "<UnitOfMeasureSetAddRq><UnitOfMeasureSetAdd><Name>Count by case</Name><UnitOfMeasureType>Count</UnitOfMeasureType>"
        "<BaseUnit><Name>Each</Name><Abbreviation>ea</Abbreviation></BaseUnit>"
        "<RelatedUnit><Name>Case</Name><Abbreviation>cs</Abbreviation><ConversionRatio>12</ConversionRatio></RelatedUnit>"
        "</UnitOfMeasureSetAdd></UnitOfMeasureSetAddRq>",
    ]
    for parent, child in (("Hardware", None), ("Fasteners", "Hardware")):
        under = f"<ParentRef><FullName>{child}</FullName></ParentRef>" if child else ""
        requests.append(
            f"<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>{parent}</Name>{under}<SalesOrPurchase>"
            "<AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>"
        )
    for n in range(20):
        requests.append(
            f"<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt M8x{40 + n} zinc-nickel</Name>"
            "<ParentRef><FullName>Hardware:Fasteners</FullName></ParentRef>"
            "<UnitOfMeasureSetRef><FullName>Count by case</FullName></UnitOfMeasureSetRef>"
            "<SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef><SalesPrice>1.25</SalesPrice>"
            "<IncomeAccountRef><FullName>Sales</FullName></IncomeAccountRef><PurchaseCost>0.60</PurchaseCost>"
            "<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef>"
            "<AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef></ItemInventoryAdd></ItemInventoryAddRq>"
        )
    return requests


def _order(kind: str, profile: Profile) -> str:
    purchase = kind == "PurchaseOrder"
    line_tag = f"{kind}LineAdd"
    lines = []
    for n in range(profile.lines):
        item = f"<ItemRef><FullName>Hardware:Fasteners:Bolt M8x{40 + n % 20} zinc-nickel</FullName></ItemRef>"
        desc = f"<Desc>{_escape(_text(profile.description, f'L{n}'))}</Desc>"
        if purchase:
            body = (
                f"{item}<ManufacturerPartNumber>MPN-{n:05d}-ZN</ManufacturerPartNumber>{desc}<Quantity>{n % 9 + 1}</Quantity>"
                "<UnitOfMeasure>Case</UnitOfMeasure><Rate>7.20</Rate><ClassRef><FullName>Production:Line 2</FullName></ClassRef>"
                "<CustomerRef><FullName>Großhandel Müller:Werk Süd</FullName></CustomerRef>"
                "<Other1>Batch 2026-11-A</Other1><Other2>Cert EN 10204 3.1</Other2>"
            )
        else:
            tax = "<SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef>"
            body = (
                f"{item}{desc}<Quantity>{n % 9 + 1}</Quantity><UnitOfMeasure>Case</UnitOfMeasure><Rate>15.00</Rate>"
                f"<ClassRef><FullName>Production:Line 2</FullName></ClassRef>{tax}"
                "<Other1>Batch 2026-11-A</Other1><Other2>Cert EN 10204 3.1</Other2>"
            )
        lines.append(f"<{line_tag}>{body}</{line_tag}>")
    memo = f"<Memo>{_escape(_text(profile.memo, 'Memo'))}</Memo>"
    if purchase:
        header = (
            "<VendorRef><FullName>Stahlwerk Nord GmbH</FullName></VendorRef><ClassRef><FullName>Production</FullName></ClassRef>"
            "<TemplateRef><FullName>Custom Purchase Order</FullName></TemplateRef><TxnDate>2026-11-10</TxnDate>"
            "<RefNumber>PO-000001</RefNumber>"
            f"{_address('VendorAddress')}{_address('ShipAddress')}<TermsRef><FullName>Net 30</FullName></TermsRef>"
            "<DueDate>2026-12-10</DueDate><ExpectedDate>2026-11-30</ExpectedDate>"
            "<ShipMethodRef><FullName>Freight</FullName></ShipMethodRef><FOB>Hamburg</FOB>"
            f"{memo}<VendorMsg>Please quote our PO number on every delivery note.</VendorMsg>"
            "<Other1>Project 4711</Other1><Other2>Cost centre 300</Other2>"
        )
    else:
        header = (
            "<CustomerRef><FullName>Großhandel Müller:Werk Süd</FullName></CustomerRef>"
            "<ClassRef><FullName>Production</FullName></ClassRef><TemplateRef><FullName>Custom Sales Order</FullName></TemplateRef>"
            "<TxnDate>2026-11-10</TxnDate><RefNumber>000001</RefNumber>"
            f"{_address('BillAddress')}{_address('ShipAddress')}<PONumber>PO-2026-000123-B</PONumber>"
            "<TermsRef><FullName>Net 30</FullName></TermsRef><DueDate>2026-12-10</DueDate>"
            "<SalesRepRef><FullName>JMK</FullName></SalesRepRef><FOB>Hamburg</FOB>"
            + ("<ShipDate>2026-11-20</ShipDate>" if kind != "Estimate" else "")
            + ("<ShipMethodRef><FullName>Freight</FullName></ShipMethodRef>" if kind != "Estimate" else "")
            + f"{memo}<CustomerMsgRef><FullName>Thank you for your business.</FullName></CustomerMsgRef>"
            "<Other>Project 4711</Other>"
        )
    return f"<{kind}AddRq><{kind}Add>{header}{''.join(lines)}</{kind}Add></{kind}AddRq>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _custom_fields(count: int, seed: str) -> list[dict[str, str]]:
    return [
        {
            "OwnerID": "0",
            "DataExtName": f"Custom field {n + 1}"[:31],
            "DataExtType": "STR255TYPE",
            "DataExtValue": _text(60, f"{seed}{n}"),
        }
        for n in range(count)
    ]


def _linked(count: int, kind: str) -> list[dict[str, str]]:
    other = {"SalesOrder": "Invoice", "Estimate": "SalesOrder", "Invoice": "ReceivePayment"}.get(kind, "Bill")
    return [
        {
            "TxnID": f"{0x1000 + n:X}-1796460000",
            "TxnType": other,
            "TxnDate": "2026-11-12",
            "RefNumber": f"{other[:3].upper()}-{n:07d}",
            "LinkType": "QUANTYPE" if other != "ReceivePayment" else "AMTTYPE",
            "Amount": "-1234.56",
        }
        for n in range(count)
    ]


def add_large_orders(qb: QuickBooks, kind: str, count: int, profile: Profile = LARGE) -> None:
    """``count`` large orders of ``kind`` (SalesOrder, PurchaseOrder, Invoice, Estimate) in ``qb``."""
    company = qb.company
    if company.customer("Großhandel Müller") is None:
        response = qb.process(message_set(*_lists()))
        assert 'statusSeverity="Error"' not in response, response[:2000]
    response = qb.process(message_set(_order(kind, profile)))
    assert 'statusSeverity="Error"' not in response, response[:2000]
    records = company.collection(kind)
    first = records[-1]
    line_key = f"{kind}LineRet"
    for n, line in enumerate(first.get(line_key, [])):
        line["DataExtRet"] = _custom_fields(profile.line_custom_fields, f"Line {n}")
    first["DataExtRet"] = _custom_fields(profile.custom_fields, "Order")
    first["LinkedTxn"] = _linked(profile.linked, kind)
    for n in range(1, count):
        twin = copy.deepcopy(first)
        twin["TxnID"] = company.new_txn_id()
        twin["RefNumber"] = f"{n + 1:06d}"
        for line in twin.get(line_key, []):
            line["TxnLineID"] = company.new_txn_id()
        records.append(twin)


def large_company(kind: str, count: int, profile: Profile = LARGE) -> QuickBooks:
    qb = QuickBooks(Company.new("Large orders"), use_default_schema=False)
    add_large_orders(qb, kind, count, profile)
    return qb
