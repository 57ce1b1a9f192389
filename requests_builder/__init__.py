"""Typed qbXML request builders: schema order, lengths, versions and text rules enforced by construction.

See docs/qbxml.md. Build with :func:`build_message_set`; store with ``request.to_dict()`` and
:func:`request_from_dict`.
"""

from requests_builder.codec import request_from_dict
from requests_builder.dataext import DataExtAdd, DataExtDefAdd, DataExtDefQuery, DataExtMod
from requests_builder.errors import BuildError, BuildWarning
from requests_builder.lists import (
    CustomerAdd,
    EmployeeAdd,
    EmployeeAddress,
    ItemInventoryAdd,
    ItemNonInventoryAdd,
    ItemServiceAdd,
    SalesAndPurchase,
    SalesOrPurchase,
)
from requests_builder.message import BuildResult, build_message_set, wrap_requests
from requests_builder.model import REQUEST_TYPES, Address, LineDataExt, LinkToTxn, QBObject, Ref, Request
from requests_builder.queries import (
    AccountQuery,
    BillQuery,
    CompanyQuery,
    CustomerQuery,
    EmployeeQuery,
    EntityFilter,
    EstimateQuery,
    HostQuery,
    InventoryAdjustmentQuery,
    InvoiceQuery,
    ItemFilter,
    ItemInventoryQuery,
    ItemQuery,
    ModifiedDateRangeFilter,
    NameFilter,
    NameRangeFilter,
    PayrollItemWageQuery,
    PurchaseOrderQuery,
    RefNumberFilter,
    RefNumberRangeFilter,
    SalesOrderQuery,
    TimeTrackingEntityFilter,
    TimeTrackingQuery,
    TxnDateRangeFilter,
    UnitOfMeasureSetQuery,
    VendorQuery,
)
from requests_builder.transactions import (
    BillAdd,
    BillExpenseLine,
    BillItemLine,
    InventoryAdjustmentAdd,
    InventoryAdjustmentLine,
    InvoiceAdd,
    InvoiceLine,
    PurchaseOrderAdd,
    PurchaseOrderLine,
    QuantityAdjustment,
    SalesOrderAdd,
    SalesOrderLine,
    SalesOrderLineMod,
    SalesOrderMod,
    TimeTrackingAdd,
)
from requests_builder.versions import SUPPORTED_VERSIONS, pick_version

__all__ = [
    "REQUEST_TYPES", "SUPPORTED_VERSIONS", "AccountQuery", "Address", "BillAdd", "BillExpenseLine",
    "BillItemLine", "BillQuery", "BuildError", "BuildResult", "BuildWarning", "CompanyQuery", "CustomerAdd",
    "CustomerQuery", "DataExtAdd", "DataExtDefAdd", "DataExtDefQuery", "DataExtMod", "EmployeeAdd",
    "EmployeeAddress", "EmployeeQuery", "EntityFilter", "EstimateQuery", "HostQuery",
    "InventoryAdjustmentAdd", "InventoryAdjustmentLine", "InventoryAdjustmentQuery", "InvoiceAdd",
    "InvoiceLine", "InvoiceQuery", "ItemFilter", "ItemInventoryAdd", "ItemInventoryQuery",
    "ItemNonInventoryAdd", "ItemQuery", "ItemServiceAdd", "LineDataExt", "LinkToTxn",
    "ModifiedDateRangeFilter", "NameFilter", "NameRangeFilter", "PayrollItemWageQuery", "PurchaseOrderAdd",
    "PurchaseOrderLine", "PurchaseOrderQuery", "QBObject", "QuantityAdjustment", "Ref", "RefNumberFilter",
    "RefNumberRangeFilter", "Request", "SalesAndPurchase", "SalesOrPurchase", "SalesOrderAdd",
    "SalesOrderLine", "SalesOrderLineMod", "SalesOrderMod", "SalesOrderQuery", "TimeTrackingAdd",
    "TimeTrackingEntityFilter", "TimeTrackingQuery", "TxnDateRangeFilter", "UnitOfMeasureSetQuery",
    "VendorQuery", "build_message_set", "pick_version", "request_from_dict", "wrap_requests",
]  # fmt: skip
