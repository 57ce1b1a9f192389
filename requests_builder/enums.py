"""Enumerated values the qbXML 13.0/16.0 schemas allow, for the fields we write, and the types the
fields that take them are declared with (see :mod:`requests_builder.request_fields`)."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from requests_builder.request_fields import Kind

BILLABLE_STATUS = ("Billable", "NotBillable", "HasBeenBilled")
JOB_STATUS = ("Awarded", "Closed", "InProgress", "None", "NotAwarded", "Pending")
ACTIVE_STATUS = ("ActiveOnly", "InactiveOnly", "All")
ACCOUNT_TYPE = (
    "AccountsPayable", "AccountsReceivable", "Bank", "CostOfGoodsSold", "CreditCard", "Equity", "Expense",
    "FixedAsset", "Income", "LongTermLiability", "NonPosting", "OtherAsset", "OtherCurrentAsset",
    "OtherCurrentLiability", "OtherExpense", "OtherIncome",
)  # fmt: skip
DATA_EXT_TYPE = (
    "AMTTYPE", "DATETIMETYPE", "INTTYPE", "PERCENTTYPE", "PRICETYPE", "QUANTYPE", "STR1024TYPE", "STR255TYPE"
)  # fmt: skip
ASSIGN_TO_OBJECT = (
    "Account", "ARRefundCreditCard", "Bill", "BillPaymentCheck", "BillPaymentCreditCard", "BuildAssembly",
    "Charge", "Check", "Company", "CreditCardCharge", "CreditCardCredit", "CreditMemo", "Customer", "Deposit",
    "Employee", "Estimate", "InventoryAdjustment", "Invoice", "Item", "ItemReceipt", "JournalEntry",
    "OtherName", "PurchaseOrder", "ReceivePayment", "SalesOrder", "SalesReceipt", "SalesTaxPaymentCheck",
    "Vendor", "VendorCredit",
)  # fmt: skip
LIST_DATA_EXT_TYPE = ("Account", "Customer", "Employee", "Item", "OtherName", "Vendor")
TXN_DATA_EXT_TYPE = (
    "ARRefundCreditCard", "Bill", "BillPaymentCheck", "BillPaymentCreditCard", "BuildAssembly", "Charge",
    "Check", "CreditCardCharge", "CreditCardCredit", "CreditMemo", "Deposit", "Estimate",
    "InventoryAdjustment", "Invoice", "ItemReceipt", "JournalEntry", "PurchaseOrder", "ReceivePayment",
    "SalesOrder", "SalesReceipt", "SalesTaxPaymentCheck", "VendorCredit",
)  # fmt: skip
OTHER_DATA_EXT_TYPE = ("Company",)
MATCH_CRITERION = ("StartsWith", "Contains", "EndsWith")
PAID_STATUS = ("All", "PaidOnly", "NotPaidOnly")
GENDER = ("Male", "Female")
EMPLOYEE_TYPE = ("Officer", "Owner", "Regular", "Statutory")
PRICE_RULE_CONFLICT = ("Zero", "BasePrice")
ITERATOR = ("Start", "Continue", "Stop")
ON_ERROR = ("stopOnError", "continueOnError", "rollbackOnError")

# The enumerated fields' types: each says the values its element takes; a list is a repeated element.
BillableStatus: TypeAlias = Annotated[str | None, Kind("enum", choices=BILLABLE_STATUS)]
JobStatus: TypeAlias = Annotated[str | None, Kind("enum", choices=JOB_STATUS)]
ActiveStatus: TypeAlias = Annotated[str | None, Kind("enum", choices=ACTIVE_STATUS)]
AccountTypes: TypeAlias = Annotated[list[str], Kind("enum", choices=ACCOUNT_TYPE)]
DataExtType: TypeAlias = Annotated[str | None, Kind("enum", choices=DATA_EXT_TYPE)]
AssignToObjects: TypeAlias = Annotated[list[str], Kind("enum", choices=ASSIGN_TO_OBJECT)]
ListDataExtType: TypeAlias = Annotated[str | None, Kind("enum", choices=LIST_DATA_EXT_TYPE)]
TxnDataExtType: TypeAlias = Annotated[str | None, Kind("enum", choices=TXN_DATA_EXT_TYPE)]
OtherDataExtType: TypeAlias = Annotated[str | None, Kind("enum", choices=OTHER_DATA_EXT_TYPE)]
MatchCriterion: TypeAlias = Annotated[str | None, Kind("enum", choices=MATCH_CRITERION)]
PaidStatus: TypeAlias = Annotated[str | None, Kind("enum", choices=PAID_STATUS)]
Gender: TypeAlias = Annotated[str | None, Kind("enum", choices=GENDER)]
EmployeeType: TypeAlias = Annotated[str | None, Kind("enum", choices=EMPLOYEE_TYPE)]
PriceRuleConflict: TypeAlias = Annotated[str | None, Kind("enum", choices=PRICE_RULE_CONFLICT)]
