"""Enumerated values the qbXML 13.0/16.0 schemas allow, for the fields we write."""

from __future__ import annotations

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
