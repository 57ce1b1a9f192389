"""QuickBooks' element order, version and length tables for every request we build.

Derived from Intuit's qbXML 13.0 specification (the ``qbxmlops130.xsd`` sequences and the per-field notes
of ``qbxmlops130.xml``: ``vX.Y`` = the version that added an element, ``max length = N for QBD``) and kept
here as our own table so that nothing at run time depends on the specification files. The tests validate
every builder against the official 13.0 and 16.0 schemas, which is what keeps this table honest.

``SEQUENCES[path]`` lists, in schema order, ``(element, since, max_length)`` for one aggregate. ``since``
is ``None`` for elements of the 1.x base set. The rows are written as text, a word per element:
``Memo:4095`` (at most 4095 characters), ``ExternalGUID@9.0`` (since qbXML 9.0), ``Other@6.0:29`` (both),
``TxnDate`` (neither); see ``_rows``. Elements of an ``xsd:choice`` appear in the order the schema writes
them; which combinations are allowed is checked by the request classes. An aggregate the schema defines
once as a named type (an address, a filter) is one named table here, and the list and transaction
queries, which share their heads and filters, are put together by ``_list_query`` and ``_txn_query``.
"""

from __future__ import annotations

from typing import Final

Rule = tuple[str, str | None, int | None]


def _rows(*parts: str | tuple[Rule, ...]) -> tuple[Rule, ...]:
    """The rows written in ``parts``, in order: a text gives one row per word, ``Element``,
    ``Element@since``, ``Element:max_length`` or ``Element@since:max_length``; a tuple is rows already
    made (a run several aggregates share)."""
    rows: list[Rule] = []
    for part in parts:
        if isinstance(part, str):
            for word in part.split():
                element, _, max_length = word.partition(":")
                element, _, since = element.partition("@")
                rows.append((element, since or None, int(max_length) if max_length else None))
        else:
            rows += part
    return tuple(rows)


# qbXML version that introduced each request; absent = part of the 1.x base set.
REQUEST_SINCE: Final[dict[str, str]] = {
    "DataExtAddRq": "2.0",
    "DataExtDefAddRq": "2.0",
    "DataExtDefQueryRq": "2.0",
    "DataExtModRq": "2.0",
    "InventoryAdjustmentAddRq": "2.0",
    "InventoryAdjustmentQueryRq": "2.0",
    "SalesOrderAddRq": "2.1",
    "SalesOrderModRq": "3.0",
    "SalesOrderQueryRq": "2.1",
    "UnitOfMeasureSetQueryRq": "7.0",
}

# FullName limits of ``ListID``/``FullName`` references, by path of the reference element.
REF_FULLNAME_MAX: Final[dict[str, int]] = {
    "BillAdd/APAccountRef": 159,
    "BillAdd/ExpenseLineAdd/AccountRef": 159,
    "BillAdd/ExpenseLineAdd/ClassRef": 159,
    "BillAdd/ExpenseLineAdd/CustomerRef": 209,
    "BillAdd/ExpenseLineAdd/SalesRepRef": 5,
    "BillAdd/ItemLineAdd/ClassRef": 159,
    "BillAdd/ItemLineAdd/CustomerRef": 209,
    "BillAdd/ItemLineAdd/InventorySiteLocationRef": 31,
    "BillAdd/ItemLineAdd/InventorySiteRef": 31,
    "BillAdd/ItemLineAdd/OverrideItemAccountRef": 159,
    "BillAdd/ItemLineAdd/SalesRepRef": 5,
    "BillAdd/TermsRef": 31,
    "BillAdd/VendorRef": 41,
    "CustomerAdd/ClassRef": 159,
    "CustomerAdd/CurrencyRef": 64,
    "CustomerAdd/CustomerTypeRef": 159,
    "CustomerAdd/ItemSalesTaxRef": 31,
    "CustomerAdd/JobTypeRef": 159,
    "CustomerAdd/PreferredPaymentMethodRef": 31,
    "CustomerAdd/PriceLevelRef": 31,
    "CustomerAdd/SalesRepRef": 5,
    "CustomerAdd/SalesTaxCodeRef": 3,
    "CustomerAdd/TermsRef": 31,
    "DataExtAdd/ListObjRef": 159,
    "DataExtMod/ListObjRef": 159,
    "EmployeeAdd/BillingRateRef": 31,
    "EmployeeAdd/SupervisorRef": 209,
    "InventoryAdjustmentAdd/AccountRef": 159,
    "InventoryAdjustmentAdd/ClassRef": 159,
    "InventoryAdjustmentAdd/CustomerRef": 209,
    "InventoryAdjustmentAdd/InventoryAdjustmentLineAdd/QuantityAdjustment/InventorySiteLocationRef": 31,
    "InventoryAdjustmentAdd/InventorySiteRef": 31,
    "InvoiceAdd/ARAccountRef": 159,
    "InvoiceAdd/ClassRef": 159,
    "InvoiceAdd/CustomerMsgRef": 101,
    "InvoiceAdd/CustomerRef": 209,
    "InvoiceAdd/CustomerSalesTaxCodeRef": 3,
    "InvoiceAdd/InvoiceLineAdd/ClassRef": 159,
    "InvoiceAdd/InvoiceLineAdd/InventorySiteLocationRef": 31,
    "InvoiceAdd/InvoiceLineAdd/InventorySiteRef": 31,
    "InvoiceAdd/InvoiceLineAdd/OverrideItemAccountRef": 159,
    "InvoiceAdd/InvoiceLineAdd/PriceLevelRef": 31,
    "InvoiceAdd/InvoiceLineAdd/SalesTaxCodeRef": 3,
    "InvoiceAdd/ItemSalesTaxRef": 31,
    "InvoiceAdd/SalesRepRef": 5,
    "InvoiceAdd/ShipMethodRef": 15,
    "InvoiceAdd/TemplateRef": 31,
    "InvoiceAdd/TermsRef": 31,
    "ItemInventoryAdd/AssetAccountRef": 159,
    "ItemInventoryAdd/COGSAccountRef": 159,
    "ItemInventoryAdd/ClassRef": 159,
    "ItemInventoryAdd/IncomeAccountRef": 159,
    "ItemInventoryAdd/PrefVendorRef": 41,
    "ItemInventoryAdd/SalesTaxCodeRef": 3,
    "ItemInventoryAdd/UnitOfMeasureSetRef": 31,
    "ItemNonInventoryAdd/ClassRef": 159,
    "ItemNonInventoryAdd/SalesAndPurchase/ExpenseAccountRef": 159,
    "ItemNonInventoryAdd/SalesAndPurchase/IncomeAccountRef": 159,
    "ItemNonInventoryAdd/SalesAndPurchase/PrefVendorRef": 41,
    "ItemNonInventoryAdd/SalesOrPurchase/AccountRef": 159,
    "ItemNonInventoryAdd/SalesTaxCodeRef": 3,
    "ItemNonInventoryAdd/UnitOfMeasureSetRef": 31,
    "ItemServiceAdd/ClassRef": 159,
    "ItemServiceAdd/SalesAndPurchase/ExpenseAccountRef": 159,
    "ItemServiceAdd/SalesAndPurchase/IncomeAccountRef": 159,
    "ItemServiceAdd/SalesAndPurchase/PrefVendorRef": 41,
    "ItemServiceAdd/SalesOrPurchase/AccountRef": 159,
    "ItemServiceAdd/SalesTaxCodeRef": 3,
    "ItemServiceAdd/UnitOfMeasureSetRef": 31,
    "PurchaseOrderAdd/ClassRef": 159,
    "PurchaseOrderAdd/InventorySiteRef": 31,
    "PurchaseOrderAdd/PurchaseOrderLineAdd/ClassRef": 159,
    "PurchaseOrderAdd/PurchaseOrderLineAdd/CustomerRef": 209,
    "PurchaseOrderAdd/PurchaseOrderLineAdd/InventorySiteLocationRef": 31,
    "PurchaseOrderAdd/PurchaseOrderLineAdd/OverrideItemAccountRef": 159,
    "PurchaseOrderAdd/ShipMethodRef": 15,
    "PurchaseOrderAdd/ShipToEntityRef": 209,
    "PurchaseOrderAdd/TemplateRef": 31,
    "PurchaseOrderAdd/TermsRef": 31,
    "PurchaseOrderAdd/VendorRef": 41,
    "SalesOrderAdd/ClassRef": 159,
    "SalesOrderAdd/CustomerMsgRef": 101,
    "SalesOrderAdd/CustomerRef": 209,
    "SalesOrderAdd/CustomerSalesTaxCodeRef": 3,
    "SalesOrderAdd/ItemSalesTaxRef": 31,
    "SalesOrderAdd/SalesOrderLineAdd/ClassRef": 159,
    "SalesOrderAdd/SalesOrderLineAdd/InventorySiteLocationRef": 31,
    "SalesOrderAdd/SalesOrderLineAdd/InventorySiteRef": 31,
    "SalesOrderAdd/SalesOrderLineAdd/PriceLevelRef": 31,
    "SalesOrderAdd/SalesOrderLineAdd/SalesTaxCodeRef": 3,
    "SalesOrderAdd/SalesRepRef": 5,
    "SalesOrderAdd/ShipMethodRef": 15,
    "SalesOrderAdd/TemplateRef": 31,
    "SalesOrderAdd/TermsRef": 31,
    "SalesOrderMod/ClassRef": 159,
    "SalesOrderMod/CustomerMsgRef": 101,
    "SalesOrderMod/CustomerRef": 209,
    "SalesOrderMod/CustomerSalesTaxCodeRef": 3,
    "SalesOrderMod/ItemSalesTaxRef": 31,
    "SalesOrderMod/SalesOrderLineMod/ClassRef": 159,
    "SalesOrderMod/SalesOrderLineMod/InventorySiteLocationRef": 31,
    "SalesOrderMod/SalesOrderLineMod/InventorySiteRef": 31,
    "SalesOrderMod/SalesOrderLineMod/OverrideUOMSetRef": 31,
    "SalesOrderMod/SalesOrderLineMod/PriceLevelRef": 31,
    "SalesOrderMod/SalesOrderLineMod/SalesTaxCodeRef": 3,
    "SalesOrderMod/SalesRepRef": 5,
    "SalesOrderMod/ShipMethodRef": 15,
    "SalesOrderMod/TemplateRef": 31,
    "SalesOrderMod/TermsRef": 31,
    "TimeTrackingAdd/ClassRef": 159,
    "TimeTrackingAdd/CustomerRef": 209,
    "TimeTrackingAdd/EntityRef": 209,
    "TimeTrackingAdd/ItemServiceRef": 159,
    "TimeTrackingAdd/PayrollItemWageRef": 31,
}

# Aggregates the schema defines once as a named type and uses under many parents: one table each here.
_ADDRESS: Final = _rows(
    "Addr1:41 Addr2:41 Addr3:41 Addr4@2.0:41 Addr5@6.0:41 City:31 State:21 PostalCode:13 Country:31",
    "Note@6.0:41",
)
_DATA_EXT: Final = _rows(
    "OwnerID DataExtName:31 ListDataExtType ListObjRef TxnDataExtType TxnID TxnLineID@3.0",
    "OtherDataExtType DataExtValue",
)
_LINE_DATA_EXT: Final = _rows("OwnerID DataExtName:31 DataExtValue")
_LINK_TO_TXN: Final = _rows("TxnID TxnLineID")
_NAME_FILTER: Final = _rows("MatchCriterion Name")
_NAME_RANGE_FILTER: Final = _rows("FromName ToName")
_ENTITY_FILTER: Final = _rows("ListID@2.0 FullName ListIDWithChildren@2.0 FullNameWithChildren")
_MODIFIED_DATE_RANGE_FILTER: Final = _rows("FromModifiedDate ToModifiedDate")
_REF_NUMBER_FILTER: Final = _rows("MatchCriterion RefNumber")
_REF_NUMBER_RANGE_FILTER: Final = _rows("FromRefNumber ToRefNumber")
_TXN_DATE_RANGE_FILTER: Final = _rows("FromTxnDate ToTxnDate DateMacro")
# Runs of rows several aggregates have in the same order, each written once.
# A person's name as customers and employees both carry it.
_PERSON_NAME: Final = _rows("Salutation:15 FirstName:25 MiddleName:5 LastName:25 Suffix JobTitle@12.0:41")
# Runs of rows the two sales forms, invoices and sales orders (added or modified), have in common.
_SALES_FORM_TERMS: Final = _rows(
    "PONumber:25 TermsRef DueDate SalesRepRef FOB:13 ShipDate ShipMethodRef ItemSalesTaxRef"
)
_SALES_FORM_CLOSING: Final = _rows(
    "Memo:4095 CustomerMsgRef IsToBePrinted IsToBeEmailed@6.0 IsTaxIncluded@6.0",
    "CustomerSalesTaxCodeRef Other@6.0:29 ExchangeRate@8.0",
)
# The pricing and inventory rows of a sales line, on invoices and sales orders alike.
_SALES_LINE_PRICING: Final = _rows(
    "Rate RatePercent PriceLevelRef@4.0 ClassRef Amount TaxAmount@6.1 OptionForPriceRuleConflict@13.0",
    "InventorySiteRef@10.0 InventorySiteLocationRef@12.0 SerialNumber@11.0:4095 LotNumber@11.0:40",
)
# How a sales-order line ends, whether added or modified.
_SALES_ORDER_LINE_END: Final = _rows("SalesTaxCodeRef IsManuallyClosed Other1@6.0:29 Other2@6.0:29")
# The sales and purchase prices of an item, inventory or not.
_ITEM_PRICES: Final = _rows(
    "SalesDesc:4095 SalesPrice IncomeAccountRef PurchaseDesc:4095 PurchaseCost PurchaseTaxCodeRef@6.0"
)
_ITEM_SALES_OR_PURCHASE: Final = _rows("Desc:4095 Price PricePercent AccountRef")
_ITEM_SALES_AND_PURCHASE: Final = _rows(_ITEM_PRICES, "ExpenseAccountRef PrefVendorRef")
# How the service and non-inventory items end.
_NON_STOCK_ITEM_END: Final = _rows(
    "UnitOfMeasureSetRef@7.0 IsTaxIncluded@6.0 SalesTaxCodeRef SalesOrPurchase SalesAndPurchase",
    "ExternalGUID@8.0",
)

_INCLUDE_RET_ELEMENT: Final = _rows("IncludeRetElement@4.0:50")
_OWNER_ID: Final = _rows("OwnerID@2.0")

# The rows every list query (``ListQuery`` in the schema) begins with.
_LIST_QUERY_HEAD: Final = _rows(
    "ListID FullName MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter", "NameRangeFilter"
)
# What the customer and vendor queries add to the head: both are entities that carry a balance.
_BALANCE_QUERY_TAIL: Final = _rows(
    "TotalBalanceFilter CurrencyFilter@8.0 ClassFilter@12.0", _INCLUDE_RET_ELEMENT, _OWNER_ID
)
# The rows every transaction query begins with.
_TXN_QUERY_HEAD: Final = _rows(
    "TxnID RefNumber RefNumberCaseSensitive@4.0 MaxReturned ModifiedDateRangeFilter",
    "TxnDateRangeFilter EntityFilter",
)
# The two reference-number filters, which all but the time-tracking query take after their own filters.
_REF_NUMBER_FILTERS: Final = _rows("RefNumberFilter RefNumberRangeFilter")
# Estimates and purchase orders, QuickBooks' two non-posting transactions, take the same rows after the head.
_NON_POSTING_QUERY_TAIL: Final = _rows(
    "AccountFilter",
    _REF_NUMBER_FILTERS,
    "CurrencyFilter@8.0 IncludeLineItems IncludeLinkedTxns@3.0",
    _INCLUDE_RET_ELEMENT,
    _OWNER_ID,
)


def _request_of(aggregate: str) -> tuple[Rule, ...]:
    """The rows of a request that carries one aggregate: the aggregate, then the elements to return."""
    return _rows(aggregate, _INCLUDE_RET_ELEMENT)


def _list_query(rq: str, *rows: str | tuple[Rule, ...]) -> dict[str, tuple[Rule, ...]]:
    """A list query's rows with the rows of the two name filters every list query has."""
    return {rq: _rows(*rows), f"{rq}/NameFilter": _NAME_FILTER, f"{rq}/NameRangeFilter": _NAME_RANGE_FILTER}


def _txn_query(rq: str, *rows: str | tuple[Rule, ...]) -> dict[str, tuple[Rule, ...]]:
    """A transaction query's rows with the rows of the five filters every such query has."""
    return {
        rq: _rows(*rows),
        f"{rq}/EntityFilter": _ENTITY_FILTER,
        f"{rq}/ModifiedDateRangeFilter": _MODIFIED_DATE_RANGE_FILTER,
        f"{rq}/RefNumberFilter": _REF_NUMBER_FILTER,
        f"{rq}/RefNumberRangeFilter": _REF_NUMBER_RANGE_FILTER,
        f"{rq}/TxnDateRangeFilter": _TXN_DATE_RANGE_FILTER,
    }


SEQUENCES: Final[dict[str, tuple[Rule, ...]]] = {
    **_list_query(
        "AccountQueryRq", _LIST_QUERY_HEAD, "AccountType CurrencyFilter@8.0", _INCLUDE_RET_ELEMENT, _OWNER_ID
    ),
    "BillAdd": _rows(
        "VendorRef VendorAddress@13.0 APAccountRef@2.0 TxnDate DueDate RefNumber:20 TermsRef Memo:4095",
        "IsTaxIncluded@6.0 SalesTaxCodeRef@6.0 ExchangeRate@8.0 ExternalGUID@9.0 LinkToTxnID@4.0",
        "ExpenseLineAdd ItemLineAdd ItemGroupLineAdd",
    ),
    "BillAdd/ExpenseLineAdd": _rows(
        "AccountRef Amount TaxAmount@6.1 Memo:4095 CustomerRef ClassRef SalesTaxCodeRef@6.0",
        "BillableStatus@2.0 SalesRepRef@13.0 DataExt@13.0",
    ),
    "BillAdd/ExpenseLineAdd/DataExt": _LINE_DATA_EXT,
    "BillAdd/ItemLineAdd": _rows(
        "ItemRef InventorySiteRef@10.0 InventorySiteLocationRef@12.0 SerialNumber@11.0:4095",
        "LotNumber@11.0:40 Desc:4095 Quantity UnitOfMeasure@7.0:31 Cost Amount TaxAmount@6.1 CustomerRef",
        "ClassRef SalesTaxCodeRef@6.0 BillableStatus@2.0 OverrideItemAccountRef@2.0 LinkToTxn@4.0",
        "SalesRepRef@13.0 DataExt@13.0",
    ),
    "BillAdd/ItemLineAdd/DataExt": _LINE_DATA_EXT,
    "BillAdd/ItemLineAdd/LinkToTxn": _LINK_TO_TXN,
    "BillAdd/VendorAddress": _ADDRESS,
    "BillAddRq": _request_of("BillAdd"),
    **_txn_query(
        "BillQueryRq",
        _TXN_QUERY_HEAD,
        "AccountFilter",
        _REF_NUMBER_FILTERS,
        "CurrencyFilter@8.0 PaidStatus IncludeLineItems IncludeLinkedTxns@2.0",
        _INCLUDE_RET_ELEMENT,
        _OWNER_ID,
    ),
    "CompanyQueryRq": _rows(_INCLUDE_RET_ELEMENT, _OWNER_ID),
    "CustomerAdd": _rows(
        "Name:41 IsActive ClassRef@12.0 ParentRef CompanyName:41",
        _PERSON_NAME,
        "BillAddress ShipAddress ShipToAddress@12.0 PrintAs Phone:21 Mobile Pager AltPhone:21 Fax:21",
        "Email:1023 Cc@12.0:1023 Contact:41 AltContact:41 AdditionalContactRef@12.0 Contacts@12.0",
        "CustomerTypeRef TermsRef SalesRepRef OpenBalance OpenBalanceDate SalesTaxCodeRef ItemSalesTaxRef",
        "SalesTaxCountry@6.0 ResaleNumber:15 AccountNumber:99 CreditLimit PreferredPaymentMethodRef@3.0",
        "CreditCardInfo@3.0 JobStatus JobStartDate JobProjectedEndDate JobEndDate JobDesc:99 JobTypeRef",
        "Notes@3.0:4095 AdditionalNotes@12.0 IsStatementWithParent DeliveryMethod",
        "PreferredDeliveryMethod@12.0 PriceLevelRef@4.0 ExternalGUID@8.0 TaxRegistrationNumber@8.0",
        "CurrencyRef@8.0",
    ),
    "CustomerAdd/BillAddress": _ADDRESS,
    "CustomerAdd/ShipAddress": _ADDRESS,
    "CustomerAddRq": _request_of("CustomerAdd"),
    **_list_query("CustomerQueryRq", _LIST_QUERY_HEAD, _BALANCE_QUERY_TAIL),
    "DataExtAdd": _DATA_EXT,
    "DataExtAddRq": _rows("DataExtAdd"),
    "DataExtDefAdd": _rows(
        "OwnerID DataExtName:31 DataExtType AssignToObject DataExtListRequire@12.0 DataExtTxnRequire@12.0",
        "DataExtFormatString@12.0",
    ),
    "DataExtDefAddRq": _request_of("DataExtDefAdd"),
    "DataExtDefQueryRq": _rows("OwnerID AssignToObject", _INCLUDE_RET_ELEMENT),
    "DataExtMod": _DATA_EXT,
    "DataExtModRq": _rows("DataExtMod"),
    "EmployeeAdd": _rows(
        "Name IsActive",
        _PERSON_NAME,
        "SupervisorRef@13.0 Department@13.0:31 Description@13.0:64 TargetBonus@13.0 EmployeeAddress",
        "PrintAs:41 Phone:21 Mobile@2.1:21 Pager@2.1:21 PagerPIN@2.1:10 AltPhone:21 Fax@2.1:21 SSN:15",
        "Email:1023 AdditionalContactRef@12.0 EmergencyContacts@13.0 EmployeeType PartOrFullTime@13.0",
        "Exempt@13.0 KeyEmployee@13.0 Gender HiredDate OriginalHireDate@13.0 AdjustedServiceDate@13.0",
        "ReleasedDate BirthDate@2.0 USCitizen@13.0 Ethnicity@13.0 Disabled@13.0 DisabilityDesc@13.0:25",
        "OnFile@13.0 WorkAuthExpireDate@13.0 USVeteran@13.0 MilitaryStatus@13.0 AccountNumber:99",
        "Notes@3.0:4095 AdditionalNotes@12.0 BillingRateRef@6.0 EmployeePayrollInfo@2.0 ExternalGUID@8.0",
    ),
    "EmployeeAdd/EmployeeAddress": _rows(
        "Addr1:41 Addr2:41 Addr3 Addr4@2.0 City:31 State:21 PostalCode:13 Country"
    ),
    "EmployeeAddRq": _request_of("EmployeeAdd"),
    **_list_query("EmployeeQueryRq", _LIST_QUERY_HEAD, _INCLUDE_RET_ELEMENT, _OWNER_ID),
    **_txn_query("EstimateQueryRq", _TXN_QUERY_HEAD, _NON_POSTING_QUERY_TAIL),
    "HostQueryRq": _rows("IncludeListMetaData@6.0", _INCLUDE_RET_ELEMENT),
    "InventoryAdjustmentAdd": _rows(
        "AccountRef TxnDate RefNumber:11 InventorySiteRef@10.0 CustomerRef ClassRef Memo:4095",
        "ExternalGUID@9.0 InventoryAdjustmentLineAdd",
    ),
    "InventoryAdjustmentAdd/InventoryAdjustmentLineAdd": _rows(
        "ItemRef QuantityAdjustment ValueAdjustment SerialNumberAdjustment@11.0 LotNumberAdjustment@11.0"
    ),
    "InventoryAdjustmentAdd/InventoryAdjustmentLineAdd/QuantityAdjustment": _rows(
        "NewQuantity QuantityDifference SerialNumber@11.0:4095 LotNumber@11.0:40",
        "InventorySiteLocationRef@12.0",
    ),
    "InventoryAdjustmentAdd/InventoryAdjustmentLineAdd/ValueAdjustment": _rows(
        "NewQuantity QuantityDifference@10.0 NewValue ValueDifference@10.0"
    ),
    "InventoryAdjustmentAddRq": _request_of("InventoryAdjustmentAdd"),
    **_txn_query(
        "InventoryAdjustmentQueryRq",
        _TXN_QUERY_HEAD,
        "AccountFilter ItemFilter",
        _REF_NUMBER_FILTERS,
        "IncludeLineItems",
        _INCLUDE_RET_ELEMENT,
        "OwnerID",
    ),
    "InventoryAdjustmentQueryRq/ItemFilter": _rows(
        "ListID FullName:159 ListIDWithChildren FullNameWithChildren:159"
    ),
    "InvoiceAdd": _rows(
        "CustomerRef ClassRef ARAccountRef TemplateRef@3.0 TxnDate RefNumber:11 BillAddress ShipAddress",
        "IsPending IsFinanceCharge@8.0",
        _SALES_FORM_TERMS,
        _SALES_FORM_CLOSING,
        "ExternalGUID@9.0 LinkToTxnID@6.0 SetCredit@10.0 InvoiceLineAdd InvoiceLineGroupAdd",
        "DiscountLineAdd@4.0 SalesTaxLineAdd@4.0 ShippingLineAdd@4.0",
    ),
    "InvoiceAdd/BillAddress": _ADDRESS,
    "InvoiceAdd/InvoiceLineAdd": _rows(
        "ItemRef Desc:4095 Quantity UnitOfMeasure@7.0:31",
        _SALES_LINE_PRICING,
        "ServiceDate SalesTaxCodeRef IsTaxable@4.0 OverrideItemAccountRef@2.0 Other1@6.0:29 Other2@6.0:29",
        "LinkToTxn@6.0 DataExt@5.0",
    ),
    "InvoiceAdd/InvoiceLineAdd/DataExt": _LINE_DATA_EXT,
    "InvoiceAdd/InvoiceLineAdd/LinkToTxn": _LINK_TO_TXN,
    "InvoiceAdd/ShipAddress": _ADDRESS,
    "InvoiceAddRq": _request_of("InvoiceAdd"),
    **_txn_query(
        "InvoiceQueryRq",
        _TXN_QUERY_HEAD,
        "AccountFilter",
        _REF_NUMBER_FILTERS,
        "CurrencyFilter@8.0 PaidStatus IncludeLineItems IncludeLinkedTxns@1.1",
        _INCLUDE_RET_ELEMENT,
        _OWNER_ID,
    ),
    "ItemInventoryAdd": _rows(
        "Name:31 BarCode@12.0 IsActive ClassRef@12.0 ParentRef ManufacturerPartNumber@7.0:31",
        "UnitOfMeasureSetRef@7.0 IsTaxIncluded@6.0 SalesTaxCodeRef",
        _ITEM_PRICES,
        "COGSAccountRef PrefVendorRef AssetAccountRef ReorderPoint Max@13.0 QuantityOnHand TotalValue",
        "InventoryDate ExternalGUID@8.0",
    ),
    "ItemInventoryAddRq": _request_of("ItemInventoryAdd"),
    **_list_query(
        "ItemInventoryQueryRq", _LIST_QUERY_HEAD, "ClassFilter@12.0", _INCLUDE_RET_ELEMENT, _OWNER_ID
    ),
    "ItemNonInventoryAdd": _rows(
        "Name:31 BarCode@12.0 IsActive ParentRef ClassRef@12.0 ManufacturerPartNumber@7.0:31",
        _NON_STOCK_ITEM_END,
    ),
    "ItemNonInventoryAdd/SalesAndPurchase": _ITEM_SALES_AND_PURCHASE,
    "ItemNonInventoryAdd/SalesOrPurchase": _ITEM_SALES_OR_PURCHASE,
    "ItemNonInventoryAddRq": _request_of("ItemNonInventoryAdd"),
    **_list_query("ItemQueryRq", _LIST_QUERY_HEAD, _INCLUDE_RET_ELEMENT, _OWNER_ID),
    "ItemServiceAdd": _rows("Name:31 BarCode@12.0 IsActive ClassRef@12.0 ParentRef", _NON_STOCK_ITEM_END),
    "ItemServiceAdd/SalesAndPurchase": _ITEM_SALES_AND_PURCHASE,
    "ItemServiceAdd/SalesOrPurchase": _ITEM_SALES_OR_PURCHASE,
    "ItemServiceAddRq": _request_of("ItemServiceAdd"),
    **_list_query("PayrollItemWageQueryRq", _LIST_QUERY_HEAD, _INCLUDE_RET_ELEMENT),
    **_list_query(
        "UnitOfMeasureSetQueryRq", "ListID FullName:31", _LIST_QUERY_HEAD[2:], _INCLUDE_RET_ELEMENT
    ),
    "PurchaseOrderAdd": _rows(
        "VendorRef ClassRef InventorySiteRef@10.0 ShipToEntityRef TemplateRef@3.0 TxnDate RefNumber:11",
        "VendorAddress ShipAddress TermsRef DueDate ExpectedDate ShipMethodRef FOB:13 Memo:4095",
        "VendorMsg:99 IsToBePrinted IsToBeEmailed@6.0 IsTaxIncluded@6.0 SalesTaxCodeRef@6.0 Other1@6.0:25",
        "Other2@6.0:29 ExchangeRate@8.0 ExternalGUID@9.0 PurchaseOrderLineAdd PurchaseOrderLineGroupAdd",
    ),
    "PurchaseOrderAdd/PurchaseOrderLineAdd": _rows(
        "ItemRef ManufacturerPartNumber@7.0:31 Desc:4095 Quantity UnitOfMeasure@7.0:31 Rate ClassRef",
        "Amount TaxAmount@6.1 InventorySiteLocationRef@12.0 CustomerRef ServiceDate SalesTaxCodeRef@6.0",
        "OverrideItemAccountRef@2.0 Other1@6.0:29 Other2@6.0:29 DataExt@5.0",
    ),
    "PurchaseOrderAdd/PurchaseOrderLineAdd/DataExt": _LINE_DATA_EXT,
    "PurchaseOrderAdd/ShipAddress": _ADDRESS,
    "PurchaseOrderAdd/VendorAddress": _ADDRESS,
    "PurchaseOrderAddRq": _request_of("PurchaseOrderAdd"),
    **_txn_query("PurchaseOrderQueryRq", _TXN_QUERY_HEAD, _NON_POSTING_QUERY_TAIL),
    "SalesOrderAdd": _rows(
        "CustomerRef ClassRef TemplateRef@3.0 TxnDate RefNumber:11 BillAddress ShipAddress",
        _SALES_FORM_TERMS,
        "IsManuallyClosed",
        _SALES_FORM_CLOSING,
        "ExternalGUID@9.0 SalesOrderLineAdd SalesOrderLineGroupAdd",
    ),
    "SalesOrderAdd/BillAddress": _ADDRESS,
    "SalesOrderAdd/SalesOrderLineAdd": _rows(
        "ItemRef Desc:4095 Quantity UnitOfMeasure@7.0:31",
        _SALES_LINE_PRICING,
        _SALES_ORDER_LINE_END,
        "DataExt@5.0",
    ),
    "SalesOrderAdd/SalesOrderLineAdd/DataExt": _LINE_DATA_EXT,
    "SalesOrderAdd/ShipAddress": _ADDRESS,
    "SalesOrderAddRq": _request_of("SalesOrderAdd"),
    "SalesOrderMod": _rows(
        "TxnID EditSequence:16 CustomerRef ClassRef TemplateRef TxnDate RefNumber:11 BillAddress",
        "ShipAddress",
        _SALES_FORM_TERMS,
        "IsManuallyClosed",
        _SALES_FORM_CLOSING,
        "SalesOrderLineMod SalesOrderLineGroupMod",
    ),
    "SalesOrderMod/BillAddress": _ADDRESS,
    "SalesOrderMod/SalesOrderLineMod": _rows(
        "TxnLineID ItemRef Desc:4095 Quantity UnitOfMeasure@7.0:31 OverrideUOMSetRef@7.0",
        _SALES_LINE_PRICING,
        _SALES_ORDER_LINE_END,
    ),
    "SalesOrderMod/ShipAddress": _ADDRESS,
    "SalesOrderModRq": _request_of("SalesOrderMod"),
    **_txn_query(
        "SalesOrderQueryRq",
        _TXN_QUERY_HEAD,
        _REF_NUMBER_FILTERS,
        "CurrencyFilter@8.0 IncludeLineItems IncludeLinkedTxns@2.0",
        _INCLUDE_RET_ELEMENT,
        _OWNER_ID,
    ),
    "TimeTrackingAdd": _rows(
        "TxnDate EntityRef CustomerRef ItemServiceRef Rate Duration ClassRef PayrollItemWageRef",
        "Notes:4095 BillableStatus@6.0 ExternalGUID@9.0",
    ),
    "TimeTrackingAddRq": _request_of("TimeTrackingAdd"),
    "TimeTrackingQueryRq": _rows(
        "TxnID MaxReturned ModifiedDateRangeFilter TxnDateRangeFilter TimeTrackingEntityFilter",
        _INCLUDE_RET_ELEMENT,
    ),
    "TimeTrackingQueryRq/ModifiedDateRangeFilter": _MODIFIED_DATE_RANGE_FILTER,
    "TimeTrackingQueryRq/TimeTrackingEntityFilter": _rows("ListID FullName"),
    "TimeTrackingQueryRq/TxnDateRangeFilter": _TXN_DATE_RANGE_FILTER,
    **_list_query("VendorQueryRq", _LIST_QUERY_HEAD, _BALANCE_QUERY_TAIL),
}
