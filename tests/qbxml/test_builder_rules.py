"""Lengths, versions, types, text policy, message sets and the JSON codec of the builders."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from requests_builder import (
    SUPPORTED_VERSIONS,
    BuildError,
    CustomerAdd,
    CustomerQuery,
    EmployeeQuery,
    HostQuery,
    InventoryAdjustmentQuery,
    InvoiceAdd,
    ItemFilter,
    ItemInventoryAdd,
    Ref,
    SalesOrderAdd,
    SalesOrderLine,
    SalesOrderMod,
    TimeTrackingAdd,
    UnitOfMeasureSetQuery,
    build_message_set,
    pick_version,
    request_from_dict,
)
from requests_builder.fields import to_latin1
from tests.qbxml.examples import all_requests, sales_order


def _so(**kwargs):
    base = {"customer": Ref(full_name="Acme"), "lines": [SalesOrderLine(item=Ref(full_name="W"), quantity=1)]}
    base.update(kwargs)
    return SalesOrderAdd(**base)


def _xml(*requests, version="13.0"):
    return build_message_set(list(requests), version=version)


def test_identifying_field_over_limit_is_refused_naming_field_limit_and_value():
    with pytest.raises(BuildError) as caught:
        _xml(_so(ref_number="SO-123456789"))
    error = caught.value
    assert error.field == "SalesOrderAdd.ref_number"
    assert "11" in str(error) and "SO-123456789" in str(error) and "RefNumber" in str(error)


def test_customer_name_limit_and_colon_rule():
    with pytest.raises(BuildError, match="41"):
        _xml(CustomerAdd(name="N" * 42))
    with pytest.raises(BuildError, match="ParentRef"):
        _xml(CustomerAdd(name="Parent:Child"))
    assert "<Name>" + "N" * 41 + "</Name>" in _xml(CustomerAdd(name="N" * 41)).xml


def test_ref_full_name_limit_depends_on_the_reference():
    _xml(_so(customer=Ref(full_name="C" * 209)))
    with pytest.raises(BuildError, match="209"):
        _xml(_so(customer=Ref(full_name="C" * 210)))
    with pytest.raises(BuildError, match="5 characters"):
        _xml(_so(sales_rep=Ref(full_name="TOOLONG")))


def test_a_list_querys_full_names_meet_the_shorter_limit_of_its_own_list():
    # Customers' jobs reach 209 characters; a unit-of-measure set's name (flat, no parent) 31. The
    # full-names filter all list queries share takes the stricter of its own limit and the list's.
    assert _xml(CustomerQuery(full_names=["C" * 209]))
    _xml(UnitOfMeasureSetQuery(full_names=["U" * 31]))
    with pytest.raises(BuildError, match="31 characters") as caught:
        _xml(UnitOfMeasureSetQuery(full_names=["U" * 32]))
    assert caught.value.field == "UnitOfMeasureSetQuery.full_names[0]"
    # Items: five levels of 31 characters and their colons, 159, for either way of naming them.
    _xml(InventoryAdjustmentQuery(item_filter=ItemFilter(full_names=["I" * 159])))
    _xml(InventoryAdjustmentQuery(item_filter=ItemFilter(full_name_with_children="I" * 159)))
    with pytest.raises(BuildError, match="159 characters"):
        _xml(InventoryAdjustmentQuery(item_filter=ItemFilter(full_names=["I" * 160])))
    with pytest.raises(BuildError, match="159 characters"):
        _xml(InventoryAdjustmentQuery(item_filter=ItemFilter(full_name_with_children="I" * 160)))


def test_free_text_is_cut_with_a_warning():
    result = _xml(_so(memo="m" * 5000))
    assert "<Memo>" + "m" * 4095 + "</Memo>" in result.xml
    assert [w.field for w in result.warnings] == ["SalesOrderAdd.memo"]
    assert "4095" in result.warnings[0].message


def test_amounts_round_to_two_decimals_and_prices_to_five():
    line = SalesOrderLine(
        item=Ref(full_name="W"), quantity=Decimal("1.123456"), rate="2.5", amount=Decimal("1000.005")
    )
    result = _xml(_so(lines=[line]))
    assert "<Amount>1000.01</Amount>" in result.xml
    assert "<Quantity>1.12346</Quantity>" in result.xml
    assert "<Rate>2.5</Rate>" in result.xml
    # Never silently: each rounding is a warning with both values and the precision kept.
    messages = {w.field: w.message for w in result.warnings}
    assert messages["SalesOrderAdd.lines[0].amount"] == (
        "Amount was rounded from 1000.005 to 1000.01: QuickBooks keeps 2 decimal places"
    )
    assert messages["SalesOrderAdd.lines[0].quantity"] == (
        "Quantity was rounded from 1.123456 to 1.12346: QuickBooks keeps 5 decimal places"
    )
    assert "<Quantity>2</Quantity>" in (plain := _xml(_so(lines=[SalesOrderLine(item=Ref(full_name="W"), quantity=Decimal("2.000000"))]))).xml
    assert plain.warnings == []  # trailing zeros change nothing
    with pytest.raises(BuildError, match="number"):
        _xml(_so(lines=[SalesOrderLine(item=Ref(full_name="W"), amount="abc")]))
    for huge in (1e23, Decimal("9999999999999.995")):
        with pytest.raises(BuildError, match="too large"):
            _xml(_so(lines=[SalesOrderLine(item=Ref(full_name="W"), amount=huge)]))
    with pytest.raises(BuildError, match="too large"):
        _xml(_so(lines=[SalesOrderLine(item=Ref(full_name="W"), quantity=1e23)]))
    with pytest.raises(BuildError, match="finite"):
        _xml(_so(lines=[SalesOrderLine(item=Ref(full_name="W"), amount=float("nan"))]))


@pytest.mark.parametrize(
    ("kind", "given", "why"),
    [
        ("amount", Decimal("2.805"), "2.81, a change of more than 0.01 %"),  # 0.18 %: material
        ("amount", Decimal("0.004"), "it would become 0"),
        ("quantity", Decimal("0.000016"), "0.00002, a change of more than 0.01 %"),
        ("quantity", Decimal("0.000004"), "it would become 0"),
        ("quantity", Decimal("-0.000001"), "it would become 0"),
        ("rate", Decimal("0.0000049"), "it would become 0"),
    ],
)
def test_a_material_rounding_is_refused_with_both_values_and_the_precision(kind, given, why):
    line = SalesOrderLine(item=Ref(full_name="W"), **{kind: given})
    with pytest.raises(BuildError) as caught:
        _xml(_so(lines=[line]))
    assert caught.value.field == f"SalesOrderAdd.lines[0].{kind}"
    assert f"{given:f}" in caught.value.message and why in caught.value.message
    assert caught.value.limit == ("2 decimal places" if kind == "amount" else "5 decimal places")


def test_the_edge_of_material_rounding_is_one_part_in_ten_thousand():
    # 100.000049 -> 100.00005 moves it by 1e-6 (immaterial); 0.100049 -> 0.10005 by 1e-6 out of 0.1,
    # exactly 0.001 %: immaterial; 0.0100049 -> 0.01 by 4.9e-6 out of 0.01, 0.049 %: refused.
    for given, written in ((Decimal("100.000049"), "100.00005"), (Decimal("0.100049"), "0.10005")):
        result = _xml(_so(lines=[SalesOrderLine(item=Ref(full_name="W"), quantity=given)]))
        assert f"<Quantity>{written}</Quantity>" in result.xml and len(result.warnings) == 1
    with pytest.raises(BuildError, match=r"0\.01 %"):
        _xml(_so(lines=[SalesOrderLine(item=Ref(full_name="W"), quantity=Decimal("0.0100049"))]))


def test_dates_and_durations_in_quickbooks_formats():
    xml = _xml(TimeTrackingAdd(entity=Ref(full_name="Dan"), duration=timedelta(hours=26, seconds=5),
                               txn_date=date(2024, 2, 29))).xml  # fmt: skip
    assert "<Duration>PT26H0M5S</Duration>" in xml and "<TxnDate>2024-02-29</TxnDate>" in xml
    assert (
        "<Duration>PT1H30M0S</Duration>"
        in _xml(TimeTrackingAdd(entity=Ref(full_name="Dan"), duration="PT1H30M")).xml
    )
    with pytest.raises(BuildError, match="negative"):
        _xml(TimeTrackingAdd(entity=Ref(full_name="Dan"), duration=timedelta(minutes=-1)))
    with pytest.raises(BuildError, match="date"):
        _xml(_so(txn_date="15/03/2024"))


def test_xml_special_characters_are_escaped():
    result = _xml(_so(memo='a & b < c > d "e"'))
    root = etree.fromstring(result.xml.encode())
    assert root.findtext(".//Memo") == 'a & b < c > d "e"'


def test_text_policy_transliterates_and_replaces_outside_latin1():
    assert to_latin1("“Quote” – it’s…") == ('"Quote" - it\'s...', ["“", "”", "–", "’", "…"])
    assert to_latin1("Café Größe")[0] == "Café Größe"  # ISO-8859-1 already
    assert to_latin1("Łódź ő 漢")[0] == "?ódz o ?"
    assert to_latin1("a\x00b\x1bc")[0] == "abc"
    result = _xml(_so(memo="Smile 😀 “ok”"))
    assert '<Memo>Smile ? "ok"</Memo>' in result.xml
    # The warning names each character and what it became.
    assert "U+1F600) -> '?'" in result.warnings[0].message
    assert "'“' (U+201C) -> '\"'" in result.warnings[0].message


@pytest.mark.parametrize("name", ["Łódź", "ACME 😀", "漢字", "A\x07B"])
def test_a_name_quickbooks_cannot_store_is_refused_never_changed(name):
    for request in (_so(customer=Ref(full_name=name)), CustomerAdd(name=name)):
        with pytest.raises(BuildError) as caught:
            _xml(request)
        assert "cannot store" in caught.value.message and "U+" in caught.value.message
        assert caught.value.limit == "the Windows-1252 characters QuickBooks stores"


def test_a_name_with_windows_1252_characters_is_sent_as_it_is():
    # QuickBooks (US) stores Windows-1252: a curly apostrophe or a dash is part of the name there, and
    # a look-alike would name another record.
    result = _xml(_so(customer=Ref(full_name="O’Brien – Café €"), memo="O’Brien"))
    assert "<FullName>O’Brien – Café €</FullName>" in result.xml
    assert "<Memo>O'Brien</Memo>" in result.xml  # free text still made plain, with a warning
    assert [w.field for w in result.warnings] == ["SalesOrderAdd.memo"]


def test_fields_newer_than_the_host_are_refused_or_left_out():
    invoice = InvoiceAdd(customer=Ref(full_name="Acme"), link_to_txn_ids=["4C-1"])
    with pytest.raises(BuildError) as caught:
        _xml(invoice, version="5.0")
    assert "6.0" in str(caught.value) and caught.value.field == "InvoiceAdd.link_to_txn_ids"
    assert "<LinkToTxnID>4C-1</LinkToTxnID>" in _xml(invoice, version="6.0").xml
    with pytest.raises(BuildError, match=r"2\.1"):
        _xml(_so(), version="2.0")
    with pytest.raises(BuildError, match=r"3\.0"):
        _xml(SalesOrderMod(txn_id="1-1", edit_sequence="1", is_manually_closed=True), version="2.1")
    with pytest.raises(BuildError, match=r"5\.0"):
        _xml(CustomerQuery(iterator="Start", max_returned=10), version="4.1")


def test_required_fields_and_choices():
    with pytest.raises(BuildError, match="CustomerRef is required"):
        _xml(SalesOrderAdd(lines=[SalesOrderLine(item=Ref(full_name="W"))]))
    with pytest.raises(BuildError, match="at least one line"):
        _xml(SalesOrderAdd(customer=Ref(full_name="Acme")))
    with pytest.raises(BuildError, match="only one of rate"):
        _xml(_so(lines=[SalesOrderLine(item=Ref(full_name="W"), rate=1, rate_percent=5)]))
    with pytest.raises(BuildError, match="ListID or a FullName"):
        _xml(_so(customer=Ref()))
    with pytest.raises(BuildError, match="COGSAccountRef is required"):
        _xml(ItemInventoryAdd(name="W", income_account=Ref(full_name="S"), asset_account=Ref(full_name="A")))
    with pytest.raises(BuildError, match="iteratorID"):
        _xml(CustomerQuery(iterator="Continue"))
    with pytest.raises(BuildError, match="only one of"):
        _xml(CustomerQuery(list_ids=["1-1"], max_returned=5))


def test_message_set_header_on_error_and_request_ids():
    result = build_message_set(
        [HostQuery(request_id="2"), EmployeeQuery(), CustomerQuery()],
        version="13.0",
        on_error="continueOnError",
    )
    assert result.xml.startswith('<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n')
    assert '<QBXMLMsgsRq onError="continueOnError">' in result.xml
    assert result.request_ids == ["2", "1", "3"]
    with pytest.raises(BuildError, match="onError"):
        build_message_set([HostQuery()], version="13.0", on_error="ignore")
    with pytest.raises(BuildError, match="twice"):
        build_message_set([HostQuery(request_id="a"), HostQuery(request_id="a")], version="13.0")
    with pytest.raises(BuildError, match="version"):
        build_message_set([HostQuery()], version="99.0")


def test_pick_version():
    assert pick_version(["1.0", "2.0", "12.0", "13.0"]) == "13.0"
    assert pick_version(["13.0", "16.0", "17.0"]) == "16.0"
    assert pick_version(["CA3.0", "8.0"]) == "8.0"
    with pytest.raises(BuildError):
        pick_version(["1.0", "1.1"])
    assert SUPPORTED_VERSIONS[-1] == "16.0"


@pytest.mark.parametrize("request_obj", all_requests(), ids=lambda r: type(r).__name__)
def test_json_codec_round_trip(request_obj):
    stored = json.loads(json.dumps(request_obj.to_dict()))
    rebuilt = request_from_dict(stored)
    assert type(rebuilt) is type(request_obj)
    assert (
        build_message_set([rebuilt], version="13.0").xml
        == build_message_set([request_obj], version="13.0").xml
    )


def test_codec_restores_exact_values_and_refuses_unknown():
    order = sales_order()
    rebuilt = request_from_dict(json.loads(json.dumps(order.to_dict())))
    assert rebuilt.lines[0].rate == Decimal("10.5")
    assert rebuilt.txn_date == date(2024, 3, 15)
    assert rebuilt.customer == Ref(full_name="Abercrombie, Kristy:Family Room")
    with pytest.raises(BuildError, match="type"):
        request_from_dict({"type": "DropTables"})
    with pytest.raises(BuildError, match="no such field"):
        request_from_dict({"type": "HostQuery", "bogus": 1})
