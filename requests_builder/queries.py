"""Query requests, their filters, and the iterator attributes used to page through large results."""

from __future__ import annotations

from typing import ClassVar

from requests_builder.enums import ITERATOR, AccountTypes, ActiveStatus, MatchCriterion, PaidStatus
from requests_builder.errors import BuildError
from requests_builder.model import QBObject, Request, attr, qbxml
from requests_builder.request_fields import Day, Flag, Guids, Id, Ident, Idents, Ids, Moment, Whole, el


@qbxml
class _MatchFilter(QBObject):
    """A text compared with QuickBooks' values from the start, anywhere, or at the end."""

    match_criterion: MatchCriterion = el(required=True)


@qbxml
class NameFilter(_MatchFilter):
    name: Ident = el(required=True)


@qbxml
class NameRangeFilter(QBObject):
    from_name: Ident
    to_name: Ident


@qbxml
class ModifiedDateRangeFilter(QBObject):
    from_modified_date: Moment
    to_modified_date: Moment


@qbxml
class TxnDateRangeFilter(QBObject):
    from_txn_date: Day
    to_txn_date: Day


def _exactly_one(obj: QBObject, field: str, names: tuple[str, ...]) -> None:
    given = [name for name in names if getattr(obj, name)]
    if len(given) != 1:
        raise BuildError(field, f"give exactly one of {', '.join(names)}", value=given or None)


@qbxml
class _ListObjectFilter(QBObject):
    """Which list objects: by ListIDs or by full names, exactly one of the two. 209 characters is the
    longest full name of a customer's job (QuickBooks' limit where the schema gives none)."""

    SELECTORS: ClassVar[tuple[str, ...]] = ("list_ids", "full_names")

    list_ids: Ids
    full_names: Idents = el(max_len=209)

    def check(self, field: str, version: tuple[int, int]) -> None:
        _exactly_one(self, field, self.SELECTORS)


@qbxml
class _TreeFilter(_ListObjectFilter):
    """A list object filter that can also take an object with everything below it."""

    SELECTORS: ClassVar[tuple[str, ...]] = (
        "list_ids",
        "full_names",
        "list_id_with_children",
        "full_name_with_children",
    )

    list_id_with_children: Id
    full_name_with_children: Ident = el(max_len=209)


@qbxml
class EntityFilter(_TreeFilter):
    """The customer, vendor or employee of the transactions; ``..._with_children`` includes jobs."""


@qbxml
class ItemFilter(_TreeFilter):
    """The items on the transactions' lines; ``..._with_children`` includes sub-items (five levels of
    31 characters: the schema table's 159, stricter than the 209 of the filters it shares)."""


@qbxml
class TimeTrackingEntityFilter(_ListObjectFilter):
    """The employees, vendors or other names whose time is wanted. Unlike ``EntityFilter`` it has no
    ``...WithChildren`` form: time belongs to a person, never to a job."""


@qbxml
class RefNumberFilter(_MatchFilter):
    ref_number: Ident = el(required=True)


@qbxml
class RefNumberRangeFilter(QBObject):
    from_ref_number: Ident
    to_ref_number: Ident


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


@qbxml
class _ListQuery(Request):
    list_ids: Ids
    full_names: Idents = el(max_len=209)
    max_returned: Whole
    active_status: ActiveStatus
    from_modified_date: Moment
    to_modified_date: Moment
    name_filter: NameFilter | None
    name_range_filter: NameRangeFilter | None
    include_ret_elements: Idents

    def check(self, field: str, version: tuple[int, int]) -> None:
        _one_selection(self, field, _LIST_SELECTORS, _LIST_FILTERS)
        if self.name_filter is not None and self.name_range_filter is not None:
            raise BuildError(field, "give only one of name_filter, name_range_filter")
        if self.max_returned is not None and self.max_returned < 1:
            raise BuildError(f"{field}.max_returned", "must be at least 1", value=self.max_returned)
        _check_iterator(self, field, version)


@qbxml
class _ListQueryWithOwner(_ListQuery):
    owner_ids: Guids


@qbxml
class _IteratedListQuery(_ListQueryWithOwner):
    iterator: str | None = attr("iterator")
    iterator_id: str | None = attr("iteratorID")


@qbxml
class CustomerQuery(_IteratedListQuery, rq="CustomerQueryRq"):
    """Customers and jobs; ``owner_ids=["0"]`` returns their custom fields."""


@qbxml
class VendorQuery(_IteratedListQuery, rq="VendorQueryRq"): ...


@qbxml
class ItemQuery(_IteratedListQuery, rq="ItemQueryRq"):
    """Items of every type (inventory, non-inventory, service, assembly, group, ...)."""


@qbxml
class ItemInventoryQuery(_IteratedListQuery, rq="ItemInventoryQueryRq"):
    """Inventory items only, with their quantities on hand, on order and on sales order."""


@qbxml
class EmployeeQuery(_ListQueryWithOwner, rq="EmployeeQueryRq"):
    """Employees. QuickBooks offers no iterator for this query."""


@qbxml
class AccountQuery(_ListQueryWithOwner, rq="AccountQueryRq"):
    account_types: AccountTypes


@qbxml
class PayrollItemWageQuery(_ListQuery, rq="PayrollItemWageQueryRq"):
    """Payroll wage items (needed for time tracking by payroll item). No iterator, no custom fields."""


@qbxml
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


@qbxml
class _DatedTxnQuery(Request):
    """The fields and rules of every transaction query, the time-tracking one included."""

    SELECTORS: ClassVar[tuple[str, ...]] = ("txn_ids",)

    iterator: str | None = attr("iterator")
    iterator_id: str | None = attr("iteratorID")
    txn_ids: Ids
    max_returned: Whole
    modified_date_range: ModifiedDateRangeFilter | None = el("ModifiedDateRangeFilter")
    txn_date_range: TxnDateRangeFilter | None = el("TxnDateRangeFilter")
    include_ret_elements: Idents

    def check(self, field: str, version: tuple[int, int]) -> None:
        _check_txn_query(self, field, version, self.SELECTORS)


@qbxml
class _TxnQueryHead(_DatedTxnQuery):
    """What every transaction query but the time-tracking one adds: reference numbers, an entity
    filter, line items and custom fields."""

    SELECTORS: ClassVar[tuple[str, ...]] = _TXN_SELECTORS

    ref_numbers: Idents
    ref_numbers_case_sensitive: Idents = el("RefNumberCaseSensitive")
    entity_filter: EntityFilter | None
    ref_number_filter: RefNumberFilter | None
    ref_number_range_filter: RefNumberRangeFilter | None
    include_line_items: Flag
    owner_ids: Guids


@qbxml
class _TxnQuery(_TxnQueryHead):
    include_linked_txns: Flag


@qbxml
class _PaidTxnQuery(_TxnQuery):
    """A query of transactions that get paid, which can ask for the paid or the unpaid ones."""

    paid_status: PaidStatus


@qbxml
class InvoiceQuery(_PaidTxnQuery, rq="InvoiceQueryRq"): ...


@qbxml
class BillQuery(_PaidTxnQuery, rq="BillQueryRq"):
    """Vendor bills; ``ref_numbers`` are the vendor's invoice numbers (up to 20 characters)."""


@qbxml
class SalesOrderQuery(_TxnQuery, rq="SalesOrderQueryRq"): ...


@qbxml
class PurchaseOrderQuery(_TxnQuery, rq="PurchaseOrderQueryRq"): ...


@qbxml
class EstimateQuery(_TxnQuery, rq="EstimateQueryRq"): ...


@qbxml
class InventoryAdjustmentQuery(_TxnQueryHead, rq="InventoryAdjustmentQueryRq"):
    """Inventory adjustments (qbXML 2.0). Unlike the sales and purchase queries it can filter by item and
    has no linked transactions or currency filter."""

    item_filter: ItemFilter | None


@qbxml
class TimeTrackingQuery(_DatedTxnQuery, rq="TimeTrackingQueryRq"):
    """Time entries. QuickBooks gives them no reference number, lines or custom fields, so the only
    look-up is by ``txn_ids``; the person filter is ``TimeTrackingEntityFilter``."""

    entity_filter: TimeTrackingEntityFilter | None = el("TimeTrackingEntityFilter")


@qbxml
class HostQuery(Request, rq="HostQueryRq"):
    """Product, version and the qbXML versions the host supports."""

    include_ret_elements: Idents


@qbxml
class CompanyQuery(Request, rq="CompanyQueryRq"):
    """Company name and address; ``owner_ids`` returns company custom fields (our FileID)."""

    include_ret_elements: Idents
    owner_ids: Guids
