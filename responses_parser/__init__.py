"""Reading what QuickBooks answers: streaming records, host information and the error catalogue."""

from responses_parser.catalogue import Category, Explanation, explain_hresult, explain_status
from responses_parser.host import HostInfo, parse_host_response
from responses_parser.records import (
    Account,
    AddressValue,
    Bill,
    Company,
    Customer,
    DataExtDef,
    DataExtValue,
    Employee,
    Estimate,
    GenericRecord,
    Host,
    InventoryAdjustment,
    Invoice,
    Item,
    LinkedTxn,
    PayrollItemWage,
    Preferences,
    PurchaseOrder,
    Record,
    RefValue,
    SalesOrder,
    TimeTracking,
    Transaction,
    TxnLine,
    UnitOfMeasureSet,
    UnitValue,
    Vendor,
)
from responses_parser.safe_xml import HostileXMLError
from responses_parser.split import SplitAnswer, split_answer, split_by_request_id
from responses_parser.status import ResponseFormatError, ResponseStatus, read_statuses
from responses_parser.stream import RsResult, parse_response

__all__ = [
    "Account", "AddressValue", "Bill", "Category", "Company", "Customer", "DataExtDef", "DataExtValue",
    "Employee", "Estimate", "Explanation", "GenericRecord", "Host", "HostInfo", "HostileXMLError",
    "InventoryAdjustment", "Invoice", "Item", "LinkedTxn", "PayrollItemWage", "Preferences", "PurchaseOrder",
    "Record", "RefValue", "ResponseFormatError", "ResponseStatus", "RsResult", "SalesOrder", "SplitAnswer",
    "TimeTracking", "Transaction", "TxnLine", "UnitOfMeasureSet", "UnitValue", "Vendor", "explain_hresult",
    "explain_status", "parse_host_response", "parse_response", "read_statuses", "split_answer",
    "split_by_request_id",
]  # fmt: skip
