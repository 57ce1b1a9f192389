"""Query requests, their filters, and the iterator attributes used to page through large results."""

# `el()` returns a dataclasses.field (see requests_builder.model), which RUF009 cannot see through.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from requests_builder.enums import ACCOUNT_TYPE, ACTIVE_STATUS, ITERATOR, MATCH_CRITERION, PAID_STATUS
from requests_builder.errors import BuildError
from requests_builder.model import QBObject, Request, attr, el

Moment = datetime | date | str
Day = date | str


@dataclass(kw_only=True, slots=True)
class _MatchFilter(QBObject):
    """A text compared with QuickBooks' values from the start, anywhere, or at the end."""

    match_criterion: str | None = el("MatchCriterion", "enum", required=True, choices=MATCH_CRITERION)


@dataclass(kw_only=True, slots=True)
class NameFilter(_MatchFilter):
    name: str | None = el("Name", ident=True, required=True)


@dataclass(kw_only=True, slots=True)
class NameRangeFilter(QBObject):
    from_name: str | None = el("FromName", ident=True)
    to_name: str | None = el("ToName", ident=True)


@dataclass(kw_only=True, slots=True)
class ModifiedDateRangeFilter(QBObject):
    from_modified_date: Moment | None = el("FromModifiedDate", "datetime")
    to_modified_date: Moment | None = el("ToModifiedDate", "datetime")


@dataclass(kw_only=True, slots=True)
class TxnDateRangeFilter(QBObject):
    from_txn_date: Day | None = el("FromTxnDate", "date")
    to_txn_date: Day | None = el("ToTxnDate", "date")


def _exactly_one(obj: QBObject, field: str, names: tuple[str, ...]) -> None:
    given = [name for name in names if getattr(obj, name)]
    if len(given) != 1:
        raise BuildError(field, f"give exactly one of {', '.join(names)}", value=given or None)


@dataclass(kw_only=True, slots=True)
class _ListObjectFilter(QBObject):
    """Which list objects: by ListIDs or by full names, exactly one of the two. 209 characters is the
    longest full name of a customer's job (QuickBooks' limit where the schema gives none)."""

    SELECTORS: ClassVar[tuple[str, ...]] = ("list_ids", "full_names")

    list_ids: list[str] = el("ListID", "ids")
    full_names: list[str] = el("FullName", "texts", ident=True, max_len=209)

    def check(self, field: str, version: tuple[int, int]) -> None:
        _exactly_one(self, field, self.SELECTORS)


@dataclass(kw_only=True, slots=True)
class _TreeFilter(_ListObjectFilter):
    """A list object filter that can also take an object with everything below it."""

    SELECTORS: ClassVar[tuple[str, ...]] = (
        "list_ids",
        "full_names",
        "list_id_with_children",
        "full_name_with_children",
    )

    list_id_with_children: str | None = el("ListIDWithChildren", "id")
    full_name_with_children: str | None = el("FullNameWithChildren", ident=True, max_len=209)


@dataclass(kw_only=True, slots=True)
class EntityFilter(_TreeFilter):
    """The customer, vendor or employee of the transactions; ``..._with_children`` includes jobs."""


@dataclass(kw_only=True, slots=True)
class ItemFilter(_TreeFilter):
    """The items on the transactions' lines; ``..._with_children`` includes sub-items (five levels of
    31 characters)."""

    full_names: list[str] = el("FullName", "texts", ident=True, max_len=159)
    full_name_with_children: str | None = el("FullNameWithChildren", ident=True, max_len=159)


@dataclass(kw_only=True, slots=True)
class TimeTrackingEntityFilter(_ListObjectFilter):
    """The employees, vendors or other names whose time is wanted. Unlike ``EntityFilter`` it has no
    ``...WithChildren`` form: time belongs to a person, never to a job."""


@dataclass(kw_only=True, slots=True)
class RefNumberFilter(_MatchFilter):
    ref_number: str | None = el("RefNumber", ident=True, required=True)


@dataclass(kw_only=True, slots=True)
class RefNumberRangeFilter(QBObject):
    from_ref_number: str | None = el("FromRefNumber", ident=True)
    to_ref_number: str | None = el("ToRefNumber", ident=True)


def _check_iterator(query: QBObject, field: str, version: tuple[int, int]) -> None:
    iterator = getattr(query, "iterator", None)
    iterator_id = getattr(query, "iterator_id", None)
    if iterator is None:
        if iterator_id is not None:
            raise BuildError(f"{field}.iterator_id", "iterator_id needs iterator='Continue' or 'Stop'")
        return
    if iterator not in ITERATOR:
        raise BuildError(f"{field}.iterator", "not an iterator action", limit=ITERATOR, value=iterator)
    if version < (5, 0):
        raise BuildError(f"{field}.iterator", "iterators need a newer QuickBooks", limit="qbXML 5.0")
    if iterator == "Start" and iterator_id is not None:
        raise BuildError(
            f"{field}.iterator_id", "iterator='Start' takes no iterator_id (QuickBooks assigns it)"
        )
    if iterator != "Start" and not iterator_id:
        raise BuildError(
            f"{field}.iterator_id", f"iterator={iterator!r} needs the iteratorID of the first response"
        )
    if iterator_id is not None and (
        not iterator_id.isascii()
        or not iterator_id.isprintable()
        or len(iterator_id) > 64
        or '"' in iterator_id
    ):
        raise BuildError(f"{field}.iterator_id", "not an iteratorID QuickBooks returns", value=iterator_id)


def _one_selection(query: QBObject, field: str, selectors: tuple[str, ...], filters: tuple[str, ...]) -> None:
    """The schema's top choice: look up by IDs, or by names/numbers, or filter — one of them."""
    used = [name for name in selectors if getattr(query, name)]
    if any(getattr(query, name, None) not in (None, []) for name in filters):
        used.append("filters")
    if len(used) > 1:
        raise BuildError(field, f"give only one of {', '.join(selectors)} or filters", value=used)


_LIST_SELECTORS = ("list_ids", "full_names")
_LIST_FILTERS = (
    "max_returned",
    "active_status",
    "from_modified_date",
    "to_modified_date",
    "name_filter",
    "name_range_filter",
)


@dataclass(kw_only=True, slots=True)
class _ListQuery(Request):
    list_ids: list[str] = el("ListID", "ids")
    full_names: list[str] = el("FullName", "texts", ident=True, max_len=209)
    max_returned: int | None = el("MaxReturned", "int")
    active_status: str | None = el("ActiveStatus", "enum", choices=ACTIVE_STATUS)
    from_modified_date: Moment | None = el("FromModifiedDate", "datetime")
    to_modified_date: Moment | None = el("ToModifiedDate", "datetime")
    name_filter: NameFilter | None = el("NameFilter", "agg", cls=NameFilter)
    name_range_filter: NameRangeFilter | None = el("NameRangeFilter", "agg", cls=NameRangeFilter)
    include_ret_elements: list[str] = el("IncludeRetElement", "texts", ident=True)

    def check(self, field: str, version: tuple[int, int]) -> None:
        _one_selection(self, field, _LIST_SELECTORS, _LIST_FILTERS)
        if self.name_filter is not None and self.name_range_filter is not None:
            raise BuildError(field, "give only one of name_filter, name_range_filter")
        if self.max_returned is not None and self.max_returned < 1:
            raise BuildError(f"{field}.max_returned", "must be at least 1", value=self.max_returned)
        _check_iterator(self, field, version)


@dataclass(kw_only=True, slots=True)
class _ListQueryWithOwner(_ListQuery):
    owner_ids: list[str] = el("OwnerID", "guids")


@dataclass(kw_only=True, slots=True)
class _IteratedListQuery(_ListQueryWithOwner):
    iterator: str | None = attr("iterator")
    iterator_id: str | None = attr("iteratorID")


@dataclass(kw_only=True, slots=True)
class CustomerQuery(_IteratedListQuery, rq="CustomerQueryRq"):
    """Customers and jobs; ``owner_ids=["0"]`` returns their custom fields."""


@dataclass(kw_only=True, slots=True)
class VendorQuery(_IteratedListQuery, rq="VendorQueryRq"): ...


@dataclass(kw_only=True, slots=True)
class ItemQuery(_IteratedListQuery, rq="ItemQueryRq"):
    """Items of every type (inventory, non-inventory, service, assembly, group, ...)."""


@dataclass(kw_only=True, slots=True)
class ItemInventoryQuery(_IteratedListQuery, rq="ItemInventoryQueryRq"):
    """Inventory items only, with their quantities on hand, on order and on sales order."""


@dataclass(kw_only=True, slots=True)
class EmployeeQuery(_ListQueryWithOwner, rq="EmployeeQueryRq"):
    """Employees. QuickBooks offers no iterator for this query."""


@dataclass(kw_only=True, slots=True)
class AccountQuery(_ListQueryWithOwner, rq="AccountQueryRq"):
    account_types: list[str] = el("AccountType", "enums", choices=ACCOUNT_TYPE)


@dataclass(kw_only=True, slots=True)
class PayrollItemWageQuery(_ListQuery, rq="PayrollItemWageQueryRq"):
    """Payroll wage items (needed for time tracking by payroll item). No iterator, no custom fields."""


@dataclass(kw_only=True, slots=True)
class UnitOfMeasureSetQuery(_ListQuery, rq="UnitOfMeasureSetQueryRq"):
    """Unit-of-measure sets (qbXML 7.0): each set's base unit and the units defined as multiples of
    it. No iterator, no custom fields."""


_TXN_SELECTORS = ("txn_ids", "ref_numbers", "ref_numbers_case_sensitive")
_TXN_FILTERS = (
    "max_returned",
    "modified_date_range",
    "txn_date_range",
    "entity_filter",
    "ref_number_filter",
    "ref_number_range_filter",
    "paid_status",
    "item_filter",
)


def _check_txn_query(
    query: QBObject, field: str, version: tuple[int, int], selectors: tuple[str, ...]
) -> None:
    _one_selection(query, field, selectors, _TXN_FILTERS)
    if (
        getattr(query, "modified_date_range", None) is not None
        and getattr(query, "txn_date_range", None) is not None
    ):
        raise BuildError(field, "give only one of modified_date_range, txn_date_range")
    if (
        getattr(query, "ref_number_filter", None) is not None
        and getattr(query, "ref_number_range_filter", None) is not None
    ):
        raise BuildError(field, "give only one of ref_number_filter, ref_number_range_filter")
    max_returned = getattr(query, "max_returned", None)
    if max_returned is not None and max_returned < 1:
        raise BuildError(f"{field}.max_returned", "must be at least 1", value=max_returned)
    _check_iterator(query, field, version)


@dataclass(kw_only=True, slots=True)
class _DatedTxnQuery(Request):
    """The fields and rules of every transaction query, the time-tracking one included."""

    SELECTORS: ClassVar[tuple[str, ...]] = ("txn_ids",)

    iterator: str | None = attr("iterator")
    iterator_id: str | None = attr("iteratorID")
    txn_ids: list[str] = el("TxnID", "ids")
    max_returned: int | None = el("MaxReturned", "int")
    modified_date_range: ModifiedDateRangeFilter | None = el(
        "ModifiedDateRangeFilter", "agg", cls=ModifiedDateRangeFilter
    )
    txn_date_range: TxnDateRangeFilter | None = el("TxnDateRangeFilter", "agg", cls=TxnDateRangeFilter)
    include_ret_elements: list[str] = el("IncludeRetElement", "texts", ident=True)

    def check(self, field: str, version: tuple[int, int]) -> None:
        _check_txn_query(self, field, version, self.SELECTORS)


@dataclass(kw_only=True, slots=True)
class _TxnQueryHead(_DatedTxnQuery):
    """What every transaction query but the time-tracking one adds: reference numbers, an entity
    filter, line items and custom fields."""

    SELECTORS: ClassVar[tuple[str, ...]] = _TXN_SELECTORS

    ref_numbers: list[str] = el("RefNumber", "texts", ident=True)
    ref_numbers_case_sensitive: list[str] = el("RefNumberCaseSensitive", "texts", ident=True)
    entity_filter: EntityFilter | None = el("EntityFilter", "agg", cls=EntityFilter)
    ref_number_filter: RefNumberFilter | None = el("RefNumberFilter", "agg", cls=RefNumberFilter)
    ref_number_range_filter: RefNumberRangeFilter | None = el(
        "RefNumberRangeFilter", "agg", cls=RefNumberRangeFilter
    )
    include_line_items: bool | None = el("IncludeLineItems", "bool")
    owner_ids: list[str] = el("OwnerID", "guids")


@dataclass(kw_only=True, slots=True)
class _TxnQuery(_TxnQueryHead):
    include_linked_txns: bool | None = el("IncludeLinkedTxns", "bool")


@dataclass(kw_only=True, slots=True)
class SalesOrderQuery(_TxnQuery, rq="SalesOrderQueryRq"): ...


@dataclass(kw_only=True, slots=True)
class PurchaseOrderQuery(_TxnQuery, rq="PurchaseOrderQueryRq"): ...


@dataclass(kw_only=True, slots=True)
class EstimateQuery(_TxnQuery, rq="EstimateQueryRq"): ...


@dataclass(kw_only=True, slots=True)
class InvoiceQuery(_TxnQuery, rq="InvoiceQueryRq"):
    paid_status: str | None = el("PaidStatus", "enum", choices=PAID_STATUS)


@dataclass(kw_only=True, slots=True)
class BillQuery(_TxnQuery, rq="BillQueryRq"):
    """Vendor bills; ``ref_numbers`` are the vendor's invoice numbers (up to 20 characters)."""

    paid_status: str | None = el("PaidStatus", "enum", choices=PAID_STATUS)


@dataclass(kw_only=True, slots=True)
class InventoryAdjustmentQuery(_TxnQueryHead, rq="InventoryAdjustmentQueryRq"):
    """Inventory adjustments (qbXML 2.0). Unlike the sales and purchase queries it can filter by item and
    has no linked transactions or currency filter."""

    item_filter: ItemFilter | None = el("ItemFilter", "agg", cls=ItemFilter)


@dataclass(kw_only=True, slots=True)
class TimeTrackingQuery(_DatedTxnQuery, rq="TimeTrackingQueryRq"):
    """Time entries. QuickBooks gives them no reference number, lines or custom fields, so the only
    look-up is by ``txn_ids``; the person filter is ``TimeTrackingEntityFilter``."""

    entity_filter: TimeTrackingEntityFilter | None = el(
        "TimeTrackingEntityFilter", "agg", cls=TimeTrackingEntityFilter
    )


@dataclass(kw_only=True, slots=True)
class HostQuery(Request, rq="HostQueryRq"):
    """Product, version and the qbXML versions the host supports."""

    include_ret_elements: list[str] = el("IncludeRetElement", "texts", ident=True)


@dataclass(kw_only=True, slots=True)
class CompanyQuery(Request, rq="CompanyQueryRq"):
    """Company name and address; ``owner_ids`` returns company custom fields (our FileID)."""

    include_ret_elements: list[str] = el("IncludeRetElement", "texts", ident=True)
    owner_ids: list[str] = el("OwnerID", "guids")
