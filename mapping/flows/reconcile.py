"""How each kind of document is found again when QuickBooks' answer to its Add was lost.

Each document gets the ways QuickBooks offers to look it up, best first; the one used is the first
the document's qbXML version allows (``Reconcile.lookup_for``), decided when a session sends it:

* ExternalGUID (qbXML 9.0, QuickBooks 2010 and later): every document carries a deterministic GUID,
  searched among the party's documents modified since it was sent.
* Below 9.0, sales orders, purchase orders, invoices and bills:
  - with "Order Code" numbering the RefNumber is ours: searched with the party;
  - with QuickBooks numbering, a sales order (purchase order) carries a reference of ours in its
    ``Other`` (``Other1``) field, which only custom templates show and qbbridge never fills otherwise;
  - with QuickBooks numbering, an invoice (bill) is the one QuickBooks linked to its sales order
    (purchase order) in the same save: qbbridge sends one per order, so a linked one is it, and none
    means it was not saved.
* Below 9.0, time entries and inventory adjustments have no number, no field of ours and no order to
  be linked to: nothing identifies them for certain, so a lost answer waits for a person
  (``look_for`` says what to look for).

The queries ask only for the identity fields, so even a broad search stays small.
"""

from __future__ import annotations

from mapping.plan import EXTERNAL_GUID_SINCE, Binding, LinkKey, Lookup, Reconcile
from requests_builder import Request
from requests_builder.queries import (
    BillQuery,
    EntityFilter,
    InventoryAdjustmentQuery,
    InvoiceQuery,
    PurchaseOrderQuery,
    RefNumberFilter,
    SalesOrderQuery,
    TimeTrackingEntityFilter,
    TimeTrackingQuery,
)

_IDENTITY = ["TxnID", "TimeModified", "EditSequence", "RefNumber"]
_TXN_QUERIES: dict[str, type[SalesOrderQuery | PurchaseOrderQuery | InvoiceQuery | BillQuery]] = {
    "SalesOrder": SalesOrderQuery,
    "PurchaseOrder": PurchaseOrderQuery,
    "Invoice": InvoiceQuery,
    "Bill": BillQuery,
}
# Where our reference goes below qbXML 9.0 with QuickBooks numbering: (request field, qbXML element).
MARKER_FIELDS: dict[str, tuple[str, str]] = {
    "SalesOrder": ("other", "Other"),
    "PurchaseOrder": ("other1", "Other1"),
}
# The order an invoice (bill) is linked to.
_ORDER_OF = {"Invoice": "SalesOrder", "Bill": "PurchaseOrder"}


def marker(guid: str) -> str:
    """Our reference for a document without ExternalGUID: the start of its GUID (64 bits), 20
    characters, within the 25 of a purchase order's ``Other1``."""
    return "QBB-" + guid.strip("{}").replace("-", "").upper()[:16]


def by_guid(query: Request, guid: str) -> Lookup:
    return Lookup(name="externalGuid", query=query, match={"external_guid": guid}, needs=EXTERNAL_GUID_SINCE)


def reconcile_document(
    txn_type: str,
    *,
    party: str,
    guid: str,
    ref_number: str | None,
    order: LinkKey | None = None,
    look_for: str = "",
) -> Reconcile:
    """A sales order, purchase order, invoice or bill of ``party`` (customer or vendor full name);
    ``order`` is the sales order (purchase order) an invoice (bill) is linked to."""
    query_class = _TXN_QUERIES[txn_type]
    parties = EntityFilter(full_names=[party])
    by_guid_query = query_class(entity_filter=parties, include_ret_elements=[*_IDENTITY, "ExternalGUID"])
    lookups = [by_guid(by_guid_query, guid)]
    if ref_number is not None:
        # A bill's RefNumber is the vendor's invoice number and may repeat across vendors, so the party
        # narrows the search and the exact number decides.
        query = query_class(
            entity_filter=parties,
            ref_number_filter=RefNumberFilter(match_criterion="StartsWith", ref_number=ref_number),
            include_ret_elements=list(_IDENTITY),
        )
        lookups.append(Lookup(name="refNumber", query=query, match={"ref_number": ref_number}))
    elif txn_type in MARKER_FIELDS:
        request_field, element = MARKER_FIELDS[txn_type]
        reference = marker(guid)
        query = query_class(entity_filter=parties, include_ret_elements=[*_IDENTITY, element])
        lookups.append(
            Lookup(
                name="marker",
                query=query,
                match={request_field: reference},
                marks={request_field: reference},
            )
        )
    elif order is not None and txn_type in _ORDER_OF:
        query = _TXN_QUERIES[_ORDER_OF[txn_type]](
            include_linked_txns=True, include_ret_elements=["TxnID", "LinkedTxn"]
        )
        lookups.append(
            Lookup(
                name="linkedToOrder",
                query=query,
                linked=txn_type,
                bindings=[Binding(path="txn_ids.0", link=order)],
            )
        )
    return Reconcile(lookups=tuple(lookups), look_for=look_for)


def reconcile_time(*, employee: str, guid: str, look_for: str = "") -> Reconcile:
    query = TimeTrackingQuery(
        entity_filter=TimeTrackingEntityFilter(full_names=[employee]),
        include_ret_elements=["TxnID", "TimeModified", "EditSequence", "ExternalGUID"],
    )
    return Reconcile(lookups=(by_guid(query, guid),), look_for=look_for)


def reconcile_inventory(*, guid: str, look_for: str = "") -> Reconcile:
    # No filter: the renderer narrows it to the time the step was first sent.
    query = InventoryAdjustmentQuery(include_ret_elements=[*_IDENTITY, "ExternalGUID"])
    return Reconcile(lookups=(by_guid(query, guid),), look_for=look_for)
