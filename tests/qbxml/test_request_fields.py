"""How a request field is declared (requests_builder/request_fields.py, model.qbxml): the element its name
gives, the kind its type gives, what el() adds, and the defaults the decorator supplies."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from requests_builder import REQUEST_TYPES, Address, LineDataExt, QBObject, Ref
from requests_builder.enums import PaidStatus
from requests_builder.model import qbxml
from requests_builder.render import plan
from requests_builder.request_fields import Day, ExternalGuid, Ident, Ids, LeafName, Number, el
from responses_parser.element_names import element_name


def test_element_name_follows_the_field_name() -> None:
    names = {"txn_date": "TxnDate", "txn_id": "TxnID", "po_number": "PONumber", "other1": "Other1"}
    names |= {"external_guid": "ExternalGUID"}
    refs = {"customer": "CustomerRef", "class_ref": "ClassRef", "ar_account": "ARAccountRef"}
    refs |= {"cogs_account": "COGSAccountRef"}
    assert {field: element_name(field) for field in names} == names
    assert {field: element_name(field, ref=True) for field in refs} == refs


@qbxml
class _Probe(QBObject):
    name: LeafName = el(required=True)
    po_number: Ident
    txn_date: Day
    quantity: Number
    external_guid: ExternalGuid
    paid_status: PaidStatus
    customer: Ref | None
    ship_address: Address | None
    txn_ids: Ids
    data_ext: list[LineDataExt]
    lines: list[LineDataExt] = el("LineAdd")
    value: Ident = el("DataExtValue", max_len=7)


def _meta(name: str, *keys: str) -> tuple[Any, ...]:
    """The metadata ``keys`` of field ``name`` of the probe class."""
    metadata = {fld.name: fld for fld in dataclasses.fields(_Probe)}[name].metadata
    return tuple(metadata[key] for key in keys)


def test_the_type_gives_the_kind_and_the_name_the_element() -> None:
    fields = {fld.name: fld for fld in dataclasses.fields(_Probe)}
    assert dict(fields["po_number"].metadata) == {
        "element": "PONumber", "kind": "text", "ident": True, "required": False, "drop_if_old": False,
        "choices": None, "max_len": None, "cls": None, "leaf_name": False,
    }  # fmt: skip
    assert _meta("name", "element", "kind", "leaf_name", "required") == ("Name", "text", True, True)
    assert _meta("txn_date", "element", "kind") == ("TxnDate", "date")
    assert _meta("quantity", "kind") == ("price",)
    assert _meta("external_guid", "element", "kind", "drop_if_old") == ("ExternalGUID", "guid", True)
    assert _meta("paid_status", "kind", "choices") == ("enum", ("All", "PaidOnly", "NotPaidOnly"))
    assert _meta("customer", "element", "kind") == ("CustomerRef", "ref")
    assert _meta("ship_address", "element", "kind", "cls") == ("ShipAddress", "agg", Address)


def test_a_repeated_field_is_named_in_the_plural() -> None:
    assert _meta("txn_ids", "element", "kind") == ("TxnID", "ids")
    assert _meta("data_ext", "element", "kind", "cls") == ("DataExt", "aggs", LineDataExt)


def test_el_names_the_element_and_the_limit_the_name_and_schema_do_not_give() -> None:
    assert _meta("lines", "element", "kind") == ("LineAdd", "aggs")
    assert _meta("value", "element", "max_len") == ("DataExtValue", 7)


def test_every_field_has_its_default_and_each_object_its_own_lists() -> None:
    first, second = _Probe(), _Probe()
    assert first.po_number is None and first.customer is None and first.txn_ids == []
    first.txn_ids.append("1-1")
    assert second.txn_ids == []
    assert Ref("80000001-1").list_id == "80000001-1"  # Ref alone takes its fields by position


def test_a_declaration_the_decorator_cannot_read_is_refused() -> None:
    with pytest.raises(TypeError, match="declared by its type"):

        @qbxml
        class _GivenDefault(QBObject):
            memo: Ident = "x"

    with pytest.raises(TypeError, match="needs a default"):

        @qbxml
        class _PlainWithoutDefault(QBObject):
            note: str | None


def _walk(cls: type[QBObject], path: str) -> list[str]:
    """The elements of ``cls`` written at ``path`` (and below) that the schema table does not know."""
    steps, _ = plan(cls, path)  # type: ignore[arg-type]
    unknown = [step.sub_path for step in steps if not step.known]
    for step in steps:
        aggregate = {fld.name: fld for fld in dataclasses.fields(cls)}[step.attr].metadata["cls"]
        if aggregate is not None and step.known:
            unknown += _walk(aggregate, step.sub_path)
    return unknown


def test_every_element_a_name_gives_is_in_the_schema_table() -> None:
    # Most element names come from the field names now: a name the rule spells otherwise than
    # QuickBooks would only show when that field is set, so every field of every request is checked.
    for cls in REQUEST_TYPES.values():
        assert _walk(cls, cls.BODY or cls.RQ) == [], cls.__name__
