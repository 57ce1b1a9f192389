"""A retrieved document's lines are read by what QuickBooks means by them: subtotals, discounts, sales
tax, payments, groups, units of measure and currencies; the rows add up to QuickBooks' subtotal, or
the import says why not. Records are QuickBooks answers (the shared samples, and schema-shaped ones)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mapping.entities import Product, PurchaseOrder, SalesOrder
from mapping.retrieval_lines import KnownItem, ListFacts, UnitSet
from mapping.retrieval_mapping import SKIP_NO_ROWS, MappedDocument, map_document
from mapping.settings import Settings, SettingsError, merge_settings
from responses_parser import parse_response
from tests.support.shared import shared_dir

SAMPLES = shared_dir() / "qbxml-samples"


def records(text: str | bytes) -> list:
    return [record for rs in parse_response(text) for record in rs.records]


def answer(body: str) -> list:
    return records(f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{body}</QBXMLMsgsRs></QBXML>')


def sample(name: str) -> bytes:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"real QuickBooks sample {name} not found under {SAMPLES} (set QBBRIDGE_SHARED_DIR)")
    return path.read_bytes()


def mapped(record, source_type: str, facts: ListFacts | None = None, **settings) -> MappedDocument:
    result = map_document(
        record,
        source_type=source_type,
        settings=Settings.model_validate(settings),
        is_ours=lambda _record: False,
        **({"facts": facts} if facts is not None else {}),
    )
    if result.skip_reason is None:
        (SalesOrder if result.entity == "salesOrder" else PurchaseOrder).model_validate(result.data)
        for product in result.products:
            Product.model_validate(product)
    return result


def rows(result: MappedDocument) -> list[tuple[str, object, object]]:
    return [(row["product"]["code"], row["quantity"], row.get("unitPrice")) for row in result.data["rows"]]


def rows_total(result: MappedDocument) -> Decimal:
    return sum(
        (Decimal(str(row["quantity"])) * Decimal(str(row["unitPrice"])) for row in result.data["rows"]),
        Decimal(0),
    )


# Items of a QuickBooks company, by ListID, with the type its ItemQuery answer gives.
ITEMS = {
    "80000001-1": KnownItem("ItemInventory"),
    "80000002-1": KnownItem("ItemNonInventory"),
    "80000003-1": KnownItem("ItemSubtotal"),
    "80000004-1": KnownItem("ItemDiscount"),
    "80000005-1": KnownItem("ItemPayment"),
    "80000006-1": KnownItem("ItemSalesTax"),
    "80000007-1": KnownItem("ItemInventory", unit_set_id="8000000A-1"),
    "80000008-1": KnownItem("ItemService"),
}
CASES = UnitSet("Count by case", "Each", "ea", (("Case", "cs", Decimal(12)), ("Pallet", "pl", Decimal(480))))
FACTS = ListFacts(
    items=ITEMS,
    unit_sets={"8000000A-1": CASES},
    unit_sets_by_name={"count by case": CASES},
    units_read=True,
)


def line(list_id: str, name: str, *, desc: str = "", qty: str = "", unit: str = "", rate: str = "",
         percent: str = "", amount: str = "", tag: str = "SalesOrderLineRet", extra: str = "") -> str:  # fmt: skip
    parts = [f"<TxnLineID>{list_id}-L</TxnLineID><ItemRef><ListID>{list_id}</ListID><FullName>{name}</FullName></ItemRef>"]
    parts += [f"<Desc>{desc}</Desc>"] if desc else []
    parts += [f"<Quantity>{qty}</Quantity>"] if qty else []
    parts += [f"<UnitOfMeasure>{unit}</UnitOfMeasure>"] if unit else []
    parts += [extra] if extra else []
    parts += [f"<Rate>{rate}</Rate>"] if rate else []
    parts += [f"<RatePercent>{percent}</RatePercent>"] if percent else []
    parts += [f"<Amount>{amount}</Amount>"] if amount else []
    return f"<{tag}>{''.join(parts)}</{tag}>"


def sales_order(lines: str, *, subtotal: str, tax: str = "", total: str = "", ref: str = "1001", header: str = "") -> str:  # fmt: skip
    tax_part = (
        f"<ItemSalesTaxRef><ListID>80000006-1</ListID><FullName>NY State</FullName></ItemSalesTaxRef>"
        f"<SalesTaxPercentage>8.00</SalesTaxPercentage><SalesTaxTotal>{tax}</SalesTaxTotal>"
        if tax
        else "<SalesTaxPercentage>0.00</SalesTaxPercentage><SalesTaxTotal>0.00</SalesTaxTotal>"
    )
    return f"""
    <SalesOrderQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
      <SalesOrderRet><TxnID>1A-1700000000</TxnID><TimeCreated>2026-11-02T09:15:00-05:00</TimeCreated>
        <TimeModified>2026-11-02T09:15:00-05:00</TimeModified><EditSequence>1700000000</EditSequence>
        <CustomerRef><ListID>80000010-1</ListID><FullName>ACME</FullName></CustomerRef>
        <TxnDate>2026-11-02</TxnDate><RefNumber>{ref}</RefNumber>
        <Subtotal>{subtotal}</Subtotal>{tax_part}<TotalAmount>{total or subtotal}</TotalAmount>
        {header}<IsManuallyClosed>false</IsManuallyClosed><IsFullyInvoiced>false</IsFullyInvoiced>
        {lines}
      </SalesOrderRet>
    </SalesOrderQueryRs>"""


WIDGETS = line("80000001-1", "Widget", desc="Widget, zinc", qty="10", rate="12.50", amount="125.00") + line(
    "80000002-1", "Gadget", qty="2", rate="37.50", amount="75.00"
)
SUBTOTAL = line("80000003-1", "Subtotal", desc="Subtotal", amount="200.00")
TEN_OFF = line("80000004-1", "10% off", desc="Loyal customer", percent="-10.0", amount="-20.00")
DEPOSIT = line("80000005-1", "Deposit", desc="Deposit received", rate="-50.00", amount="-50.00")


# --- Real QuickBooks answers ---------------------------------------------------------------------------


def test_a_real_invoice_with_sales_tax_adds_up_to_its_subtotal_and_says_the_tax_is_not_a_row():
    opening, invoice = records(sample("InvoiceQueryRs_iterator_example1.xml"))
    result = mapped(invoice, "Invoice", FACTS)
    assert result.skip_reason is None
    assert result.data["code"] == "INV-1"
    assert rows(result) == [("Test Service Item 1", 1, 39), ("Test Inventory Part 2", 2, 72)]
    assert rows_total(result) == invoice.subtotal == Decimal("183.00")
    assert result.notes == ["sales tax of 10.98 (CT State Tax, 6%) is tax, not a product: not in the rows"]
    # The opening-balance invoice has one line with an amount and no item: nothing to order, and said so.
    first = mapped(opening, "Invoice", FACTS)
    assert first.skip_reason == SKIP_NO_ROWS
    assert first.notes == ['line "Opening balance" has an amount (100.00) but no item: not a row']


def test_a_real_purchase_order_adds_up_to_its_total_with_nothing_to_say():
    (order,) = records(sample("PurchaseOrderQueryRs_example1.xml"))
    result = mapped(order, "PurchaseOrder", FACTS)
    assert result.data["code"] == "1"  # purchase orders keep QuickBooks' number (no prefix by default)
    assert rows_total(result) == order.total_amount == Decimal("125.00")
    assert result.notes == []


# --- Subtotals, discounts, payments and sales tax ------------------------------------------------------


def test_subtotal_discount_payment_and_tax_lines_are_read_by_their_meaning():
    body = sales_order(WIDGETS + SUBTOTAL + TEN_OFF + DEPOSIT, subtotal="130.00", tax="14.40", total="144.40")
    result = mapped(answer(body)[0], "SalesOrder", FACTS)
    # The subtotal is no row and no product; the 10% discount lowers the prices of the rows it applies to.
    assert rows(result) == [("Widget", 10, 11.25), ("Gadget", 2, 33.75)]
    assert [product["code"] for product in result.products] == ["Widget", "Gadget"]
    assert rows_total(result) == Decimal("180.00")
    assert result.notes == [
        'discount line "10% off" (-20.00) is taken off the prices of the rows it applies to (Widget, Gadget)',
        'payment line "Deposit" (-50.00) is a payment received, not a product: not a row',
        "sales tax of 14.40 (NY State, 8%) is tax, not a product: not in the rows; QuickBooks' total with "
        "tax is 144.40",
        "the rows add up to 180.00, not QuickBooks' subtotal of 130.00: the difference is payment line "
        '"Deposit" (-50.00)',
    ]


def test_without_the_discount_the_rows_add_up_to_the_subtotal_exactly_and_nothing_is_said():
    result = mapped(answer(sales_order(WIDGETS + SUBTOTAL, subtotal="200.00"))[0], "SalesOrder", FACTS)
    assert rows(result) == [("Widget", 10, 12.5), ("Gadget", 2, 37.5)]
    assert result.notes == []


def test_a_discount_after_a_subtotal_applies_only_to_the_lines_that_subtotal_sums():
    lines = (
        line("80000001-1", "Widget", qty="4", rate="25.00", amount="100.00")
        + line("80000003-1", "Subtotal", amount="100.00")
        + line("80000002-1", "Gadget", qty="5", rate="10.00", amount="50.00")
        + line("80000003-1", "Subtotal", amount="50.00")
        + line("80000004-1", "10% off", percent="-10.0", amount="-5.00")
    )
    result = mapped(answer(sales_order(lines, subtotal="145.00"))[0], "SalesOrder", FACTS)
    assert rows(result) == [("Widget", 4, 25), ("Gadget", 5, 9)]
    assert rows_total(result) == Decimal("145.00")
    assert 'discount line "10% off" (-5.00) is taken off the prices of the rows it applies to (Gadget)' in result.notes


def test_a_discount_under_one_line_lowers_that_line_only():
    lines = WIDGETS + line("80000004-1", "Gadget promo", rate="-15.00", amount="-15.00")
    result = mapped(answer(sales_order(lines, subtotal="185.00"))[0], "SalesOrder", FACTS)
    assert rows(result) == [("Widget", 10, 12.5), ("Gadget", 2, 30)]
    assert rows_total(result) == Decimal("185.00")


def test_a_discount_that_follows_no_product_is_said_and_explains_the_difference():
    lines = line("80000005-1", "Deposit", amount="-10.00") + line("80000004-1", "5 off", amount="-5.00") + WIDGETS
    result = mapped(answer(sales_order(lines, subtotal="185.00"))[0], "SalesOrder", FACTS)
    assert rows_total(result) == Decimal("200.00")
    assert result.notes[-1] == (
        "the rows add up to 200.00, not QuickBooks' subtotal of 185.00: the difference is payment line "
        '"Deposit" (-10.00), discount line "5 off" (-5.00)'
    )


def test_a_sales_tax_item_on_a_line_is_tax_not_a_product():
    lines = WIDGETS + line("80000006-1", "County tax", percent="1.5", amount="3.00")
    result = mapped(answer(sales_order(lines, subtotal="203.00"))[0], "SalesOrder", FACTS)
    assert [code for code, _, _ in rows(result)] == ["Widget", "Gadget"]
    assert result.notes == [
        'sales tax line "County tax" (1.5%, 3.00) is tax, not a product: not a row',
        "the rows add up to 200.00, not QuickBooks' subtotal of 203.00: the difference is sales tax line "
        '"County tax" (3.00)',
    ]


def test_without_the_item_list_a_subtotal_line_would_be_a_product_and_the_import_says_it_does_not_add_up():
    """Item types come from QuickBooks' item list; when it could not be read the line is goods, and the
    check against QuickBooks' subtotal says so instead of importing a wrong order silently."""
    body = sales_order(WIDGETS + SUBTOTAL, subtotal="200.00")
    result = mapped(answer(body)[0], "SalesOrder")
    assert rows_total(result) == Decimal("400.00")
    assert result.notes[-1].startswith("the rows add up to 400.00, not QuickBooks' subtotal of 200.00, and -200.00")


def test_unexplained_differences_are_said():
    result = mapped(answer(sales_order(WIDGETS, subtotal="210.00"))[0], "SalesOrder", FACTS)
    assert result.notes == [
        "the rows add up to 200.00, not QuickBooks' subtotal of 210.00, and 10.00 of the difference is not "
        "explained by the lines QuickBooks returned: check this order in QuickBooks before relying on its prices"
    ]


# --- Groups --------------------------------------------------------------------------------------------


GROUP = """
<InvoiceLineGroupRet><TxnLineID>G1</TxnLineID>
  <ItemGroupRef><ListID>80000020-1</ListID><FullName>Starter kit</FullName></ItemGroupRef>
  <Desc>Starter kit</Desc><Quantity>2</Quantity><IsPrintItemsInGroup>false</IsPrintItemsInGroup>
  <TotalAmount>60.00</TotalAmount>
  <InvoiceLineRet><TxnLineID>G1a</TxnLineID><ItemRef><ListID>80000001-1</ListID><FullName>Widget</FullName></ItemRef>
    <Desc>Widget</Desc><Quantity>4</Quantity><Rate>10.00</Rate><Amount>40.00</Amount></InvoiceLineRet>
  <InvoiceLineRet><TxnLineID>G1b</TxnLineID><ItemRef><ListID>80000002-1</ListID><FullName>Gadget</FullName></ItemRef>
    <Quantity>2</Quantity><Rate>10.00</Rate><Amount>20.00</Amount></InvoiceLineRet>
</InvoiceLineGroupRet>"""


def invoice(lines: str, subtotal: str) -> str:
    return f"""
    <InvoiceQueryRs requestID="3" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
      <InvoiceRet><TxnID>3E-1700000002</TxnID><TimeCreated>2026-11-05T14:00:00-05:00</TimeCreated>
        <TimeModified>2026-11-05T14:00:00-05:00</TimeModified><EditSequence>1700000002</EditSequence>
        <CustomerRef><FullName>ACME</FullName></CustomerRef><TxnDate>2026-11-05</TxnDate>
        <RefNumber>1001</RefNumber><Subtotal>{subtotal}</Subtotal><SalesTaxPercentage>0.00</SalesTaxPercentage>
        <SalesTaxTotal>0.00</SalesTaxTotal><AppliedAmount>0.00</AppliedAmount><BalanceRemaining>{subtotal}</BalanceRemaining>
        {lines}
      </InvoiceRet>
    </InvoiceQueryRs>"""


def test_a_group_is_counted_once_through_its_members():
    result = mapped(answer(invoice(GROUP, "60.00"))[0], "Invoice", FACTS)
    assert rows(result) == [("Widget", 4, 10), ("Gadget", 2, 10)]
    assert rows_total(result) == Decimal("60.00")
    assert result.notes == []
    assert [product["code"] for product in result.products] == ["Widget", "Gadget"]


def test_a_discount_under_a_group_lowers_its_members():
    lines = GROUP + line("80000004-1", "Kit promo", percent="-10.0", amount="-6.00", tag="InvoiceLineRet")
    result = mapped(answer(invoice(lines, "54.00"))[0], "Invoice", FACTS)
    assert rows(result) == [("Widget", 4, 9), ("Gadget", 2, 9)]
    assert rows_total(result) == Decimal("54.00")


# --- Units of measure ----------------------------------------------------------------------------------


def test_a_line_in_cases_is_converted_to_base_units_with_the_unit_on_the_row():
    lines = line("80000007-1", "Bolt M8", desc="Bolt M8 zinc", qty="2", unit="Case", rate="120.00", amount="240.00")
    result = mapped(answer(sales_order(lines, subtotal="240.00"))[0], "SalesOrder", FACTS)
    assert rows(result) == [("Bolt M8", 24, 10)]
    assert result.data["rows"][0]["observations"] == "Bolt M8 zinc (2 Case = 24 Each)"
    assert result.products == [{"code": "Bolt M8", "name": "Bolt M8 zinc"}]
    assert rows_total(result) == Decimal("240.00")
    assert result.notes == ['line for "Bolt M8" is in Case: converted to 2 Case = 24 Each']


def test_the_override_set_of_a_line_decides_its_unit_and_abbreviations_count():
    override = "<OverrideUOMSetRef><ListID>8000000A-1</ListID><FullName>Count by case</FullName></OverrideUOMSetRef>"
    lines = line("80000002-1", "Gadget", qty="0.5", unit="pl", rate="960.00", amount="480.00", extra=override)
    result = mapped(answer(sales_order(lines, subtotal="480.00"))[0], "SalesOrder", FACTS)
    assert rows(result) == [("Gadget", 240, 2)]


def test_a_line_in_the_base_unit_is_left_as_it_is():
    lines = line("80000007-1", "Bolt M8", desc="Bolt", qty="7", unit="ea", rate="1.00", amount="7.00")
    result = mapped(answer(sales_order(lines, subtotal="7.00"))[0], "SalesOrder", FACTS)
    assert rows(result) == [("Bolt M8", 7, 1)]
    assert result.data["rows"][0]["observations"] == "Bolt"
    assert result.notes == []


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (ListFacts(items=ITEMS), "QuickBooks' unit-of-measure sets could not be read"),
        (ListFacts(items={}, units_read=True), "the item has no unit-of-measure set qbbridge knows"),
        (FACTS, '"Crate" is not a unit of the set "Count by case"'),
    ],
)
def test_a_line_in_a_unit_that_cannot_be_converted_is_left_out_and_named(facts, reason):
    unit = "Crate" if facts is FACTS else "Case"
    lines = WIDGETS + line("80000007-1", "Bolt M8", qty="2", unit=unit, rate="120.00", amount="240.00")
    result = mapped(answer(sales_order(lines, subtotal="440.00"))[0], "SalesOrder", facts)
    # Never imported as if it were 2 base units: the order comes without it, and says which line.
    assert [code for code, _, _ in rows(result)] == ["Widget", "Gadget"]
    assert f'line for "Bolt M8" is in "{unit}", and {reason}; left out, add it by hand in base units' in result.notes
    assert result.notes[-1] == (
        "the rows add up to 200.00, not QuickBooks' subtotal of 440.00: the difference is line for "
        '"Bolt M8" (left out) (240.00)'
    )


def test_an_unknown_override_set_is_named():
    override = "<OverrideUOMSetRef><ListID>X-1</ListID><FullName>Weight by sack</FullName></OverrideUOMSetRef>"
    lines = line("80000001-1", "Widget", qty="2", unit="Sack", rate="5.00", amount="10.00", extra=override)
    result = mapped(answer(sales_order(lines, subtotal="10.00"))[0], "SalesOrder", FACTS)
    assert result.skip_reason == SKIP_NO_ROWS
    assert result.notes == [
        'line for "Widget" is in "Sack", and its unit-of-measure set "Weight by sack" is unknown; left out, '
        "add it by hand in base units"
    ]


# --- Currencies ----------------------------------------------------------------------------------------


def test_a_document_in_a_foreign_currency_says_so():
    header = (
        "<CurrencyRef><ListID>8000000C-1</ListID><FullName>Euro</FullName></CurrencyRef>"
        "<ExchangeRate>1.085</ExchangeRate><TotalAmountInHomeCurrency>217.00</TotalAmountInHomeCurrency>"
    )
    result = mapped(answer(sales_order(WIDGETS, subtotal="200.00", header=header))[0], "SalesOrder", FACTS)
    assert result.notes == [
        "amounts are in Euro, not the home currency (QuickBooks' exchange rate 1.085; 217 in the home "
        "currency): prices are imported as QuickBooks shows them, in Euro"
    ]
    assert result.data["quickbooks"]["currency"] == "Euro"
    assert result.data["quickbooks"]["exchangeRate"] == 1.085
    assert rows(result) == [("Widget", 10, 12.5), ("Gadget", 2, 37.5)]


def test_the_home_currency_says_nothing():
    header = "<CurrencyRef><FullName>US Dollar</FullName></CurrencyRef><ExchangeRate>1</ExchangeRate>"
    result = mapped(answer(sales_order(WIDGETS, subtotal="200.00", header=header))[0], "SalesOrder", FACTS)
    assert result.notes == []
    assert "currency" not in result.data["quickbooks"]


# --- Codes ---------------------------------------------------------------------------------------------


def estimate(ref: str) -> str:
    return f"""
    <EstimateQueryRs requestID="4" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
      <EstimateRet><TxnID>4A-1700000003</TxnID><TimeCreated>2026-11-06T11:00:00-05:00</TimeCreated>
        <TimeModified>2026-11-06T11:00:00-05:00</TimeModified><EditSequence>1700000003</EditSequence>
        <CustomerRef><FullName>ACME</FullName></CustomerRef><TxnDate>2026-11-06</TxnDate>
        <RefNumber>{ref}</RefNumber><Subtotal>200.00</Subtotal><TotalAmount>200.00</TotalAmount>
        {WIDGETS.replace("SalesOrderLineRet", "EstimateLineRet")}
      </EstimateRet>
    </EstimateQueryRs>"""


def test_an_estimate_a_sales_order_and_an_invoice_with_one_number_get_three_codes():
    order = mapped(answer(sales_order(WIDGETS, subtotal="200.00", ref="1001"))[0], "SalesOrder", FACTS)
    quote = mapped(answer(estimate("1001"))[0], "Estimate", FACTS)
    bill = mapped(answer(invoice(GROUP, "60.00"))[0], "Invoice", FACTS)
    assert [order.data["code"], quote.data["code"], bill.data["code"]] == ["1001", "EST-1001", "INV-1001"]
    # The QuickBooks number is kept as it is in the import's reference.
    assert quote.data["quickbooks"]["refNumber"] == "1001"


def test_code_prefixes_are_a_setting():
    prefixes = {"salesOrder": "SO-", "invoice": "I/", "estimate": "Q-", "purchaseOrder": "PO-"}
    quote = mapped(answer(estimate("1001"))[0], "Estimate", FACTS, retrievedCodePrefixes=prefixes)
    order = mapped(answer(sales_order(WIDGETS, subtotal="200.00"))[0], "SalesOrder", FACTS, retrievedCodePrefixes=prefixes)
    assert (quote.data["code"], order.data["code"]) == ("Q-1001", "SO-1001")


def test_prefixes_that_would_give_two_documents_one_code_are_refused():
    with pytest.raises(SettingsError) as refused:
        merge_settings(None, {"retrievedCodePrefixes": {"estimate": "", "salesOrder": ""}})
    (path, message), = refused.value.problems
    assert path == "retrievedCodePrefixes.estimate"
    assert "different prefixes" in message
    # Purchase orders become Fusion Operations purchase orders: their prefix may equal a sales one.
    assert merge_settings(None, {"retrievedCodePrefixes": {"purchaseOrder": "INV-"}}).retrieved_code_prefixes.invoice == "INV-"


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        (" EST-", "a code prefix cannot start or end with a blank (Fusion Operations trims codes)"),
        ("E" * 21, "String should have at most 20 characters"),
    ],
)
def test_a_prefix_with_blanks_around_or_over_20_characters_is_refused(prefix: str, message: str):
    with pytest.raises(SettingsError) as refused:
        merge_settings(None, {"retrievedCodePrefixes": {"estimate": prefix}})
    assert refused.value.problems == [("retrievedCodePrefixes.estimate", message)]


def test_the_default_prefixes_are_documented_defaults():
    assert Settings().model_dump(by_alias=True)["retrievedCodePrefixes"] == {
        "salesOrder": "",
        "purchaseOrder": "",
        "invoice": "INV-",
        "estimate": "EST-",
    }

