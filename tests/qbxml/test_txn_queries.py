"""Bill, time tracking, inventory adjustment and inventory item queries, and the records they return."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from requests_builder import (
    BillQuery,
    BuildError,
    InventoryAdjustmentQuery,
    ItemFilter,
    ItemInventoryQuery,
    RefNumberFilter,
    RefNumberRangeFilter,
    TimeTrackingEntityFilter,
    TimeTrackingQuery,
    TxnDateRangeFilter,
    build_message_set,
)
from responses_parser import (
    Bill,
    Estimate,
    InventoryAdjustment,
    Invoice,
    PurchaseOrder,
    SalesOrder,
    TimeTracking,
    parse_response,
)
from responses_parser.records import TXN_IDENTITY
from tests.qbxml.conftest import schema_errors
from tests.qbxml.examples import transaction_queries

GUID = "{6B063959-81B0-4B8A-9F4E-28B1B2A0C001}"


def _body(request, version="13.0"):
    xml = build_message_set([request], version=version).xml
    rq = etree.fromstring(xml.encode()).find(f"QBXMLMsgsRq/{request.RQ}")
    return rq, [child.tag for child in rq]


@pytest.mark.parametrize("request_obj", transaction_queries(), ids=lambda r: type(r).__name__)
@pytest.mark.parametrize("version", ["5.0", "13.0", "16.0"])
def test_valid_against_both_schemas_from_the_iterator_version_up(request_obj, version, schema13, schema16):
    xml = build_message_set([request_obj], version=version).xml
    # The 13.0 schema also describes every older version's elements; the PI only names the host's.
    checked = xml.replace(f'version="{version}"', 'version="13.0"')
    assert schema_errors(schema13, checked) == []
    assert schema_errors(schema16, checked) == []


def test_bill_query_order_filters_and_attributes():
    rq, tags = _body(transaction_queries()[0])
    assert rq.get("iterator") == "Start" and rq.get("iteratorID") is None
    assert tags == [
        "MaxReturned", "ModifiedDateRangeFilter", "EntityFilter", "RefNumberFilter", "PaidStatus",
        "IncludeLineItems", "IncludeLinkedTxns", "IncludeRetElement", "IncludeRetElement",
        "IncludeRetElement", "OwnerID",
    ]  # fmt: skip
    continued, _ = _body(transaction_queries()[2])
    assert continued.get("iterator") == "Continue" and continued.get("iteratorID").startswith("{eb05")


def test_bill_query_reference_numbers_are_the_vendors_and_may_be_20_long():
    _, tags = _body(BillQuery(ref_numbers=["V" * 20]))
    assert tags == ["RefNumber"]
    with pytest.raises(BuildError, match="PaidStatus"):
        _body(BillQuery(paid_status="Sometimes"))


def test_time_tracking_query_uses_its_own_person_filter_and_has_no_reference_numbers():
    rq, tags = _body(transaction_queries()[3])
    assert (
        tags == ["MaxReturned", "TxnDateRangeFilter", "TimeTrackingEntityFilter"] + ["IncludeRetElement"] * 2
    )
    assert [c.text for c in rq.find("TimeTrackingEntityFilter")] == ["Dan Miller", "Acme"]
    with pytest.raises(TypeError):
        TimeTrackingQuery(ref_numbers=["1"])  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        TimeTrackingQuery(include_line_items=True)  # type: ignore[call-arg]
    with pytest.raises(BuildError, match="exactly one"):
        _body(TimeTrackingQuery(entity_filter=TimeTrackingEntityFilter()))
    with pytest.raises(BuildError, match="exactly one"):
        _body(TimeTrackingQuery(entity_filter=TimeTrackingEntityFilter(list_ids=["1-1"], full_names=["A"])))
    with pytest.raises(BuildError, match="209"):
        _body(TimeTrackingQuery(entity_filter=TimeTrackingEntityFilter(full_names=["N" * 210])))


def test_time_tracking_query_by_ids_excludes_filters():
    with pytest.raises(BuildError, match="give only one"):
        _body(TimeTrackingQuery(txn_ids=["1-1"], max_returned=5))
    with pytest.raises(BuildError, match="give only one"):
        _body(
            TimeTrackingQuery(
                txn_ids=["1-1"], entity_filter=TimeTrackingEntityFilter(full_names=["Dan Miller"])
            )
        )
    with pytest.raises(BuildError, match="modified_date_range, txn_date_range"):
        _body(
            TimeTrackingQuery(
                txn_date_range=TxnDateRangeFilter(from_txn_date=date(2024, 1, 1)),
                modified_date_range=transaction_queries()[0].modified_date_range,
            )
        )


def test_inventory_adjustment_query_order_item_filter_and_version():
    rq, tags = _body(transaction_queries()[6])
    assert tags == [
        "MaxReturned", "ModifiedDateRangeFilter", "EntityFilter", "ItemFilter", "IncludeLineItems", "OwnerID",
    ]  # fmt: skip
    assert [c.tag for c in rq.find("ItemFilter")] == ["FullName"]
    # QuickBooks added this query in 2.0, the oldest version we write, and case-sensitive numbers in 4.0.
    assert (
        "<TxnID>1-1</TxnID>"
        in build_message_set([InventoryAdjustmentQuery(txn_ids=["1-1"])], version="2.0").xml
    )
    with pytest.raises(BuildError, match=r"RefNumberCaseSensitive needs a newer QuickBooks.*4\.0"):
        _body(InventoryAdjustmentQuery(ref_numbers_case_sensitive=["ADJ-1"]), version="3.0")
    with pytest.raises(TypeError):
        InventoryAdjustmentQuery(include_linked_txns=True)  # type: ignore[call-arg]
    with pytest.raises(BuildError, match="exactly one"):
        _body(InventoryAdjustmentQuery(item_filter=ItemFilter(list_ids=["1-1"], full_names=["W"])))
    with pytest.raises(BuildError, match="159"):
        _body(InventoryAdjustmentQuery(item_filter=ItemFilter(full_names=["W" * 160])))
    with pytest.raises(BuildError, match="give only one"):
        _body(InventoryAdjustmentQuery(ref_numbers=["ADJ-1"], item_filter=ItemFilter(full_names=["W"])))
    with pytest.raises(BuildError, match="ref_number_filter, ref_number_range_filter"):
        _body(
            InventoryAdjustmentQuery(
                ref_number_filter=RefNumberFilter(match_criterion="Contains", ref_number="A"),
                ref_number_range_filter=RefNumberRangeFilter(from_ref_number="A"),
            )
        )


@pytest.mark.parametrize(
    "request_obj",
    [
        BillQuery(iterator="Start", max_returned=10),
        TimeTrackingQuery(iterator="Start", max_returned=10),
        InventoryAdjustmentQuery(iterator="Start", max_returned=10),
        ItemInventoryQuery(iterator="Start", max_returned=10),
    ],
    ids=lambda r: type(r).__name__,
)
def test_iterators_follow_the_shared_rules(request_obj):
    with pytest.raises(BuildError, match=r"qbXML 5\.0"):
        _body(request_obj, version="4.1")
    cls = type(request_obj)
    with pytest.raises(BuildError, match="iteratorID of the first response"):
        _body(cls(iterator="Continue"))
    with pytest.raises(BuildError, match="takes no iterator_id"):
        _body(cls(iterator="Start", iterator_id="{eb05f701-e727-472f-8ade-6753c4f67a46}"))
    with pytest.raises(BuildError, match="at least 1"):
        _body(cls(max_returned=0))


def test_fields_newer_than_the_host_are_refused():
    with pytest.raises(BuildError, match=r"IncludeRetElement needs a newer QuickBooks.*4\.0"):
        _body(TimeTrackingQuery(include_ret_elements=["TxnID"]), version="3.0")
    with pytest.raises(BuildError, match=r"RefNumberCaseSensitive needs a newer QuickBooks.*4\.0"):
        _body(BillQuery(ref_numbers_case_sensitive=["INV-1"]), version="3.0")
    with pytest.raises(BuildError, match=r"IncludeRetElement needs a newer QuickBooks.*4\.0"):
        _body(ItemInventoryQuery(include_ret_elements=["ListID"]), version="2.1")


def test_item_inventory_query_is_a_list_query():
    rq, tags = _body(transaction_queries()[9])
    assert tags == [
        "MaxReturned", "ActiveStatus", "FromModifiedDate", "NameFilter", "IncludeRetElement",
        "IncludeRetElement", "IncludeRetElement", "OwnerID",
    ]  # fmt: skip
    assert rq.findtext("FromModifiedDate") == "2024-01-01T00:00:00"
    with pytest.raises(BuildError, match="give only one"):
        _body(ItemInventoryQuery(full_names=["W"], active_status="All"))


# --- Records ------------------------------------------------------------------------------------------


def _ref(tag: str, name: str) -> str:
    return f"<{tag}><ListID>80000001-1415929219</ListID><FullName>{name}</FullName></{tag}>"


def _data_ext(value: str) -> str:
    return (
        "<DataExtRet><OwnerID>0</OwnerID><DataExtName>Op</DataExtName><DataExtType>STR255TYPE</DataExtType>"
        f"<DataExtValue>{value}</DataExtValue></DataExtRet>"
    )


def _txn(ret: str, txn_id: str, *parts: str) -> str:
    """A transaction record: its ID, times, edit sequence and number, then ``parts``."""
    head = (
        f"<TxnID>{txn_id}</TxnID><TimeCreated>2024-03-11T09:00:00-05:00</TimeCreated>"
        "<TimeModified>2024-03-12T10:30:00-05:00</TimeModified><EditSequence>1710253800</EditSequence>"
        "<TxnNumber>17</TxnNumber>"
    )
    return f"<{ret}>{head}{''.join(parts)}</{ret}>"


def _line_end(billable_status: str, data_ext: str) -> str:
    """How a bill's expense and item lines end: class, tax code, billable status, sales rep, a data ext."""
    return (
        _ref("ClassRef", "Shop")
        + _ref("SalesTaxCodeRef", "Non")
        + f"<BillableStatus>{billable_status}</BillableStatus>"
        + _ref("SalesRepRef", "DM")
        + _data_ext(data_ext)
    )


_ADDRESS = (
    "<Addr1>1 Main St</Addr1><Addr2>Suite 2</Addr2><Addr3>c/o</Addr3><Addr4>x</Addr4><Addr5>y</Addr5>"
    "<City>Springfield</City><State>IL</State><PostalCode>62701</PostalCode><Country>US</Country>"
    "<Note>Dock</Note>"
)


def _item_line(line_id: str) -> str:
    return (
        f"<ItemLineRet><TxnLineID>{line_id}</TxnLineID>"
        + _ref("ItemRef", "WIDGET-1")
        + _ref("InventorySiteRef", "Main")
        + _ref("InventorySiteLocationRef", "Bin 4")
        + "<LotNumber>L-9</LotNumber><ExpirationDateForSerialLotNumber>2026-01-01</ExpirationDateForSerialLotNumber>"
        "<Desc>Widget</Desc><Quantity>10</Quantity><UnitOfMeasure>Each</UnitOfMeasure>"
        + _ref("OverrideUOMSetRef", "Count")
        + "<Cost>4.50</Cost><Amount>45.00</Amount><TaxAmount>0.00</TaxAmount>"
        + _ref("CustomerRef", "Abercrombie, Kristy")
        + _line_end("NotBillable", "line")
        + "</ItemLineRet>"
    )


BILL_RET = _txn(
    "BillRet",
    "1F-1710253800",
    _ref("VendorRef", "Acme"),
    f"<VendorAddress>{_ADDRESS}</VendorAddress>",
    _ref("APAccountRef", "Accounts Payable"),
    "<TxnDate>2024-03-11</TxnDate><DueDate>2024-04-10</DueDate><AmountDue>57.50</AmountDue>",
    _ref("CurrencyRef", "US Dollar"),
    "<ExchangeRate>1</ExchangeRate><AmountDueInHomeCurrency>57.50</AmountDueInHomeCurrency>"
    "<RefNumber>INV-2024-000123</RefNumber><IsPending>false</IsPending>",
    _ref("TermsRef", "Net 30"),
    _ref("ClassRef", "Shop"),
    "<Memo>fusion-ops:PO-77</Memo><IsTaxIncluded>false</IsTaxIncluded>",
    _ref("SalesTaxCodeRef", "Non"),
    f"<IsPaid>false</IsPaid><ExternalGUID>{GUID}</ExternalGUID>",
    "<LinkedTxn><TxnID>1A-1415942229</TxnID><TxnType>PurchaseOrder</TxnType><TxnDate>2024-03-01</TxnDate>"
    "<RefNumber>PO-1</RefNumber><LinkType>QUANTYPE</LinkType><Amount>45.00</Amount></LinkedTxn>",
    "<ExpenseLineRet><TxnLineID>20-1</TxnLineID>",
    _ref("AccountRef", "Freight"),
    "<Amount>12.50</Amount><TaxAmount>0.00</TaxAmount><Memo>Freight in</Memo>",
    _ref("CustomerRef", "Abercrombie, Kristy"),
    _ref("VendorRef", "Acme"),
    _line_end("Billable", "exp"),
    "</ExpenseLineRet>",
    _item_line("21-1"),
    "<ItemGroupLineRet><TxnLineID>22-1</TxnLineID>",
    _ref("ItemGroupRef", "Kit"),
    "<Desc>Kit</Desc><Quantity>1</Quantity><UnitOfMeasure>Each</UnitOfMeasure>",
    _ref("OverrideUOMSetRef", "Count"),
    "<TotalAmount>45.00</TotalAmount>",
    _item_line("23-1"),
    "</ItemGroupLineRet><OpenAmount>57.50</OpenAmount>",
    _data_ext("bill"),
)
TIME_RET = _txn(
    "TimeTrackingRet",
    "5A-1415942229",
    "<TxnDate>2024-03-05</TxnDate>",
    _ref("EntityRef", "Dan Miller"),
    _ref("CustomerRef", "Abercrombie, Kristy:Family Room"),
    _ref("ItemServiceRef", "Labor"),
    "<Rate>75.00</Rate><Duration>PT2H30M0S</Duration>",
    _ref("ClassRef", "Shop"),
    _ref("PayrollItemWageRef", "Hourly"),
    f"<Notes>fusion-ops:OP-10</Notes><BillableStatus>Billable</BillableStatus><ExternalGUID>{GUID}</ExternalGUID>",
)
ADJUSTMENT_RET = _txn(
    "InventoryAdjustmentRet",
    "6B-1415942229",
    _ref("AccountRef", "Inventory Adjustments"),
    _ref("InventorySiteRef", "Main"),
    "<TxnDate>2024-03-06</TxnDate><RefNumber>ADJ-1</RefNumber>",
    _ref("CustomerRef", "Abercrombie, Kristy"),
    _ref("ClassRef", "Shop"),
    f"<Memo>Scrap</Memo><ExternalGUID>{GUID}</ExternalGUID>",
    "<InventoryAdjustmentLineRet><TxnLineID>6C-1</TxnLineID>",
    _ref("ItemRef", "WIDGET-1"),
    "<SerialNumber>SN-1</SerialNumber><SerialNumberAddedOrRemoved>Removed</SerialNumberAddedOrRemoved>"
    "<ExpirationDateForSerialLotNumber>2026-01-01</ExpirationDateForSerialLotNumber>",
    _ref("InventorySiteLocationRef", "Bin 4"),
    "<QuantityDifference>-2</QuantityDifference><ValueDifference>-9.00</ValueDifference>"
    "</InventoryAdjustmentLineRet>",
    _data_ext("adj"),
)


def _response(rs: str, ret: str) -> str:
    return (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        f'<{rs} requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK" retCount="1"'
        f' iteratorRemainingCount="0" iteratorID="{{eb05f701-e727-472f-8ade-6753c4f67a46}}">{ret}</{rs}>'
        "</QBXMLMsgsRs></QBXML>"
    )


def _one(text: str):
    """The only result and its only record (records must be read before moving to the next result)."""
    results = parse_response(text)
    result = next(results)
    (record,) = list(result.records)
    assert list(results) == []
    return result, record


def _no_extra(record) -> None:
    """Every element the 16.0 schema allows was read into a field (nothing left in ``extra``)."""
    assert record.extra == (), record.extra
    for name in ("lines", "linked_txns", "data_ext"):
        for child in getattr(record, name, ()):
            _no_extra(child)


@pytest.mark.parametrize(
    ("rs", "ret", "cls"),
    [
        ("BillQueryRs", BILL_RET, Bill),
        ("TimeTrackingQueryRs", TIME_RET, TimeTracking),
        ("InventoryAdjustmentQueryRs", ADJUSTMENT_RET, InventoryAdjustment),
    ],
)
def test_records_read_every_element_of_the_schema(rs, ret, cls, schema16):
    text = _response(rs, ret)
    assert schema_errors(schema16, text) == []
    result, record = _one(text)
    assert result.request_type == rs and result.iterator_remaining_count == 0
    assert isinstance(record, cls)
    _no_extra(record)
    assert record.txn_id and record.edit_sequence == "1710253800" and record.external_guid == GUID
    assert record.time_modified == datetime.fromisoformat("2024-03-12T10:30:00-05:00")
    assert record.to_dict()["record_type"] == cls.__name__


def test_bill_record_values():
    _, bill = _one(_response("BillQueryRs", BILL_RET))
    assert (bill.ref_number, bill.memo, bill.vendor.full_name) == (
        "INV-2024-000123",
        "fusion-ops:PO-77",
        "Acme",
    )
    assert bill.amount_due_in_home_currency == Decimal("57.50") and bill.is_pending is False
    assert bill.vendor_address.note == "Dock" and bill.sales_tax_code.full_name == "Non"
    expense, item, group = bill.lines
    assert (
        expense.kind == "ExpenseLineRet"
        and expense.vendor.full_name == "Acme"
        and expense.memo == "Freight in"
    )
    assert item.override_uom_set.full_name == "Count" and item.sales_rep.full_name == "DM"
    assert item.tax_amount == Decimal("0.00") and item.expiration_date_for_serial_lot_number == "2026-01-01"
    assert group.kind == "ItemGroupLineRet" and group.lines[0].txn_line_id == "23-1"
    assert bill.linked_txns[0].txn_type == "PurchaseOrder" and bill.data_ext[0].value == "bill"


def test_time_tracking_and_adjustment_values():
    _, entry = _one(_response("TimeTrackingQueryRs", TIME_RET))
    assert entry.entity.full_name == "Dan Miller" and entry.duration == "PT2H30M0S"
    assert entry.rate == Decimal("75.00") and entry.billable_status == "Billable"
    # Time has no RefNumber or Memo in QuickBooks: the shared names answer None and the notes.
    assert entry.ref_number is None and entry.memo == entry.notes == "fusion-ops:OP-10"
    assert "memo" not in entry.to_dict() and "ref_number" not in entry.to_dict()

    _, adjustment = _one(_response("InventoryAdjustmentQueryRs", ADJUSTMENT_RET))
    assert (adjustment.ref_number, adjustment.memo) == ("ADJ-1", "Scrap")
    (line,) = adjustment.lines
    assert line.kind == "InventoryAdjustmentLineRet" and line.serial_number_added_or_removed == "Removed"
    assert line.quantity_difference == Decimal("-2") and line.value_difference == Decimal("-9.00")


@pytest.mark.parametrize(
    "cls", [SalesOrder, PurchaseOrder, Invoice, Estimate, Bill, TimeTracking, InventoryAdjustment]
)
def test_every_transaction_record_answers_the_identity_fields(cls):
    empty = cls()
    for name in TXN_IDENTITY:
        assert getattr(empty, name) is None, name
