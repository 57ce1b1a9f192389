"""How each kind of document is found again when QuickBooks' answer to its Add was lost.

Every document carries a deterministic ExternalGUID; with "Order Code" numbering the RefNumber is ours
too and also survives hosts older than qbXML 9.0, which drop ExternalGUID. The queries ask only for the
identity fields, so even a broad search stays small.
"""

from __future__ import annotations

from mapping.plan import Reconcile
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

_IDENTITY = ["TxnID", "TimeModified", "EditSequence", "RefNumber", "ExternalGUID"]
_TXN_QUERIES: dict[str, type[SalesOrderQuery | PurchaseOrderQuery | InvoiceQuery | BillQuery]] = {
    "SalesOrder": SalesOrderQuery,
    "PurchaseOrder": PurchaseOrderQuery,
    "Invoice": InvoiceQuery,
    "Bill": BillQuery,
}


def reconcile_document(txn_type: str, *, party: str, guid: str, ref_number: str | None) -> Reconcile:
    """A sales order, purchase order, invoice or bill of ``party`` (customer or vendor full name)."""
    query_class = _TXN_QUERIES[txn_type]
    parties = EntityFilter(full_names=[party])
    if ref_number is not None:
        # A bill's RefNumber is the vendor's invoice number and may repeat across vendors, so the party
        # narrows the search and the exact number decides.
        query: Request = query_class(
            entity_filter=parties,
            ref_number_filter=RefNumberFilter(match_criterion="StartsWith", ref_number=ref_number),
            include_ret_elements=list(_IDENTITY),
        )
        return Reconcile(query=query, match={"ref_number": ref_number})
    query = query_class(entity_filter=parties, include_ret_elements=list(_IDENTITY))
    return Reconcile(query=query, match={"external_guid": guid})


def reconcile_time(*, employee: str, guid: str) -> Reconcile:
    query = TimeTrackingQuery(
        entity_filter=TimeTrackingEntityFilter(full_names=[employee]),
        include_ret_elements=["TxnID", "TimeModified", "EditSequence", "ExternalGUID"],
    )
    return Reconcile(query=query, match={"external_guid": guid})


def reconcile_inventory(*, guid: str) -> Reconcile:
    # No filter: the renderer narrows it to the time the step was first sent.
    query = InventoryAdjustmentQuery(include_ret_elements=list(_IDENTITY))
    return Reconcile(query=query, match={"external_guid": guid})
