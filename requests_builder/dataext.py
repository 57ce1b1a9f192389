"""Custom fields: definitions (DataExtDef) and values (DataExt) on lists, transactions and the company.

``owner_id="0"`` addresses the custom fields a QuickBooks user sees; our own private fields use our
application's GUID as owner, so no user can edit or see them.
"""

from __future__ import annotations

from requests_builder.enums import (
    AssignToObjects,
    DataExtType,
    ListDataExtType,
    OtherDataExtType,
    TxnDataExtType,
)
from requests_builder.errors import BuildError
from requests_builder.model import Ref, Request, qbxml
from requests_builder.request_fields import Guid, Guids, Id, Ident, Idents, Text, el


@qbxml
class DataExtDefQuery(Request, rq="DataExtDefQueryRq"):
    """Custom field definitions, by owner or by the kind of object they are assigned to (not both)."""

    owner_ids: Guids
    assign_to_objects: AssignToObjects
    include_ret_elements: Idents

    def check(self, field: str, version: tuple[int, int]) -> None:
        if self.owner_ids and self.assign_to_objects:
            raise BuildError(field, "give only one of owner_ids, assign_to_objects")


@qbxml
class DataExtDefAdd(Request, body="DataExtDefAdd"):
    owner_id: Guid = el(required=True)
    name: Ident = el("DataExtName", required=True)
    data_ext_type: DataExtType = el(required=True)
    assign_to_objects: AssignToObjects


@qbxml
class _DataExtValue(Request):
    """One custom field value on a list object, a transaction (or one of its lines), or the company."""

    owner_id: Guid = el(required=True)
    name: Ident = el("DataExtName", required=True)
    list_data_ext_type: ListDataExtType
    list_obj: Ref | None
    txn_data_ext_type: TxnDataExtType
    txn_id: Id
    txn_line_id: Id
    other_data_ext_type: OtherDataExtType
    # STR1024TYPE is the longest custom field; a shorter field type is QuickBooks' to enforce.
    value: Text = el("DataExtValue", required=True, max_len=1024)

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


@qbxml
class DataExtAdd(_DataExtValue, body="DataExtAdd"):
    """Set a custom field that has no value yet on this object."""


@qbxml
class DataExtMod(_DataExtValue, body="DataExtMod"):
    """Change a custom field that already has a value on this object."""
