"""Custom fields: definitions (DataExtDef) and values (DataExt) on lists, transactions and the company.

``owner_id="0"`` addresses the custom fields a QuickBooks user sees; our own private fields use our
application's GUID as owner, so no user can edit or see them.
"""

# `el()` returns a dataclasses.field (see requests_builder.model), which RUF009 cannot see through.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass

from requests_builder.enums import (
    ASSIGN_TO_OBJECT,
    DATA_EXT_TYPE,
    LIST_DATA_EXT_TYPE,
    OTHER_DATA_EXT_TYPE,
    TXN_DATA_EXT_TYPE,
)
from requests_builder.errors import BuildError
from requests_builder.model import Ref, Request, el


@dataclass(kw_only=True, slots=True)
class DataExtDefQuery(Request, rq="DataExtDefQueryRq"):
    """Custom field definitions, by owner or by the kind of object they are assigned to (not both)."""

    owner_ids: list[str] = el("OwnerID", "guids")
    assign_to_objects: list[str] = el("AssignToObject", "enums", choices=ASSIGN_TO_OBJECT)
    include_ret_elements: list[str] = el("IncludeRetElement", "texts", ident=True)

    def check(self, field: str, version: tuple[int, int]) -> None:
        if self.owner_ids and self.assign_to_objects:
            raise BuildError(field, "give only one of owner_ids, assign_to_objects")


@dataclass(kw_only=True, slots=True)
class DataExtDefAdd(Request, body="DataExtDefAdd"):
    owner_id: str | None = el("OwnerID", "guid", required=True)
    name: str | None = el("DataExtName", ident=True, required=True, max_len=31)
    data_ext_type: str | None = el("DataExtType", "enum", required=True, choices=DATA_EXT_TYPE)
    assign_to_objects: list[str] = el("AssignToObject", "enums", choices=ASSIGN_TO_OBJECT)


@dataclass(kw_only=True, slots=True)
class _DataExtValue(Request):
    """One custom field value on a list object, a transaction (or one of its lines), or the company."""

    owner_id: str | None = el("OwnerID", "guid", required=True)
    name: str | None = el("DataExtName", ident=True, required=True, max_len=31)
    list_data_ext_type: str | None = el("ListDataExtType", "enum", choices=LIST_DATA_EXT_TYPE)
    list_obj: Ref | None = el("ListObjRef", "ref")
    txn_data_ext_type: str | None = el("TxnDataExtType", "enum", choices=TXN_DATA_EXT_TYPE)
    txn_id: str | None = el("TxnID", "id")
    txn_line_id: str | None = el("TxnLineID", "id")
    other_data_ext_type: str | None = el("OtherDataExtType", "enum", choices=OTHER_DATA_EXT_TYPE)
    # STR1024TYPE is the longest custom field; a shorter field type is QuickBooks' to enforce.
    value: str | None = el("DataExtValue", required=True, max_len=1024)

    def check(self, field: str, version: tuple[int, int]) -> None:
        on_list = self.list_data_ext_type is not None or self.list_obj is not None
        on_txn = self.txn_data_ext_type is not None or self.txn_id is not None or self.txn_line_id is not None
        on_other = self.other_data_ext_type is not None
        if on_list + on_txn + on_other != 1:
            raise BuildError(
                field,
                "say what the value belongs to: list_data_ext_type + list_obj, or txn_data_ext_type + txn_id "
                "(+ txn_line_id), or other_data_ext_type",
            )
        if on_list and (self.list_data_ext_type is None or self.list_obj is None):
            raise BuildError(field, "a list custom field needs both list_data_ext_type and list_obj")
        if on_txn and (self.txn_data_ext_type is None or self.txn_id is None):
            raise BuildError(field, "a transaction custom field needs both txn_data_ext_type and txn_id")


@dataclass(kw_only=True, slots=True)
class DataExtAdd(_DataExtValue, body="DataExtAdd"):
    """Set a custom field that has no value yet on this object."""


@dataclass(kw_only=True, slots=True)
class DataExtMod(_DataExtValue, body="DataExtMod"):
    """Change a custom field that already has a value on this object."""
