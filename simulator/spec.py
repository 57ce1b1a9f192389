# ruff: noqa: E501
"""Element order, required elements and length limits of the qbXML 13.0 messages the simulator knows.

QuickBooks parses every request against its spec and rejects a message set whose elements are out of
order, missing or too long, whether or not an XSD is at hand.  These tables carry that knowledge so the
own checks in `qbxml_in` work without the official schema folder.  They were transcribed from Intuit's
qbxmlops130.xsd / qbxml130.xsd (see docs/simulator.md): each entry lists the children of one aggregate in
schema order, with `!` for required, `*` for repeatable and `:N` for a maximum length.  Branches of an
`xsd:choice` are flattened in order, so the own check sees them as optional; the XSD, when present,
enforces the exclusivity.  `A|B*` is a repeated choice whose branches may come in any order (a
document's lines and group lines).
"""

from __future__ import annotations

from dataclasses import dataclass

ADDRESS = "Addr1:41 Addr2:41 Addr3:41 Addr4:41 Addr5:41 City:31 State:21 PostalCode:13 Country:31 Note:41"
REF = "ListID:36 FullName"

REQUESTS: dict[str, str] = {
    "HostQueryRq": "IncludeRetElement*:50",
    "CompanyQueryRq": "IncludeRetElement*:50 OwnerID*",
    "PreferencesQueryRq": "IncludeRetElement*:50",
    "AccountAdd": "Name!:31 IsActive ParentRef AccountType! DetailAccountType AccountNumber:7 BankNumber:25 Desc:200 OpenBalance OpenBalanceDate SalesTaxCodeRef TaxLineID CurrencyRef",
    "VendorAdd": "Name!:41 IsActive ClassRef CompanyName:41 Salutation:15 FirstName:25 MiddleName:5 LastName:25 Suffix JobTitle:41 VendorAddress ShipAddress Phone:21 Mobile:21 Pager:21 AltPhone:21 Fax:21 Email:1023 Cc:1023 Contact:41 AltContact:41 AdditionalContactRef* Contacts* NameOnCheck:41 AccountNumber:99 Notes:4095 AdditionalNotes* VendorTypeRef TermsRef CreditLimit VendorTaxIdent:15 IsVendorEligibleFor1099 OpenBalance OpenBalanceDate BillingRateRef ExternalGUID SalesTaxCodeRef SalesTaxCountry IsSalesTaxAgency SalesTaxReturnRef TaxRegistrationNumber:30 ReportingPeriod IsTaxTrackedOnPurchases TaxOnPurchasesAccountRef IsTaxTrackedOnSales TaxOnSalesAccountRef IsTaxOnTax PrefillAccountRef* CurrencyRef",
    "Contacts": "Salutation:15 FirstName!:25 MiddleName:5 LastName:25 JobTitle:41 AdditionalContactRef*",
    "AdditionalNotes": "Note!:4095",
    "CustomerAdd": "Name!:41 IsActive ClassRef ParentRef CompanyName:41 Salutation:15 FirstName:25 MiddleName:5 LastName:25 Suffix JobTitle:41 BillAddress ShipAddress ShipToAddress* PrintAs:41 Phone:21 Mobile:21 Pager:21 AltPhone:21 Fax:21 Email:1023 Cc:1023 Contact:41 AltContact:41 AdditionalContactRef* Contacts* CustomerTypeRef TermsRef SalesRepRef OpenBalance OpenBalanceDate SalesTaxCodeRef ItemSalesTaxRef SalesTaxCountry ResaleNumber:15 AccountNumber:99 CreditLimit PreferredPaymentMethodRef CreditCardInfo JobStatus JobStartDate JobProjectedEndDate JobEndDate JobDesc:99 JobTypeRef Notes:4095 AdditionalNotes* IsStatementWithParent DeliveryMethod PreferredDeliveryMethod PriceLevelRef ExternalGUID TaxRegistrationNumber:30 CurrencyRef",
    "CreditCardInfo": "CreditCardNumber:25 ExpirationMonth ExpirationYear NameOnCard:41 CreditCardAddress:41 CreditCardPostalCode:41",
    "EmployeeAdd": "Name IsActive Salutation:15 FirstName:25 MiddleName:5 LastName:25 Suffix JobTitle:41 SupervisorRef Department:31 Description:64 TargetBonus EmployeeAddress PrintAs:41 Phone:21 Mobile:21 Pager:21 PagerPIN:10 AltPhone:21 Fax:21 SSN:15 Email:1023 AdditionalContactRef* EmergencyContacts EmployeeType PartOrFullTime Exempt KeyEmployee Gender HiredDate OriginalHireDate AdjustedServiceDate ReleasedDate BirthDate USCitizen Ethnicity Disabled DisabilityDesc:25 OnFile WorkAuthExpireDate USVeteran MilitaryStatus AccountNumber:99 Notes:4095 AdditionalNotes* BillingRateRef EmployeePayrollInfo ExternalGUID",
    "EmergencyContacts": "PrimaryContact SecondaryContact",
    "PrimaryContact": "ContactName!:40 ContactValue!:255 Relation",
    "SecondaryContact": "ContactName!:40 ContactValue!:255 Relation",
    "EmployeePayrollInfo": "PayPeriod ClassRef ClearEarnings Earnings* UseTimeDataToCreatePaychecks SickHours VacationHours",
    "Earnings": "PayrollItemWageRef! Rate RatePercent",
    "SickHours": "HoursAvailable AccrualPeriod HoursAccrued MaximumHours IsResettingHoursEachNewYear HoursUsed AccrualStartDate",
    "VacationHours": "HoursAvailable AccrualPeriod HoursAccrued MaximumHours IsResettingHoursEachNewYear HoursUsed AccrualStartDate",
    "ItemServiceAdd": "Name!:31 BarCode IsActive ClassRef ParentRef UnitOfMeasureSetRef IsTaxIncluded SalesTaxCodeRef SalesOrPurchase SalesAndPurchase ExternalGUID",
    "BarCode": "BarCodeValue:50 AssignEvenIfUsed AllowOverride",
    "SalesOrPurchase": "Desc:4095 Price PricePercent AccountRef",
    "SalesAndPurchase": "SalesDesc:4095 SalesPrice IncomeAccountRef PurchaseDesc:4095 PurchaseCost PurchaseTaxCodeRef ExpenseAccountRef PrefVendorRef",
    "ItemNonInventoryAdd": "Name!:31 BarCode IsActive ParentRef ClassRef ManufacturerPartNumber:31 UnitOfMeasureSetRef IsTaxIncluded SalesTaxCodeRef SalesOrPurchase SalesAndPurchase ExternalGUID",
    "ItemInventoryAdd": "Name!:31 BarCode IsActive ClassRef ParentRef ManufacturerPartNumber:31 UnitOfMeasureSetRef IsTaxIncluded SalesTaxCodeRef SalesDesc:4095 SalesPrice IncomeAccountRef PurchaseDesc:4095 PurchaseCost PurchaseTaxCodeRef COGSAccountRef PrefVendorRef AssetAccountRef ReorderPoint Max QuantityOnHand TotalValue InventoryDate ExternalGUID",
    "PayrollItemWageAdd": "Name!:31 IsActive WageType! ExpenseAccountRef!",
    "ItemOtherChargeAdd": "Name!:31 BarCode IsActive ClassRef ParentRef IsTaxIncluded SalesTaxCodeRef SalesOrPurchase SalesAndPurchase ExternalGUID",
    "ItemSubtotalAdd": "Name!:31 BarCode IsActive ItemDesc:4095 ExternalGUID",
    "ItemDiscountAdd": "Name!:31 BarCode IsActive ClassRef ParentRef ItemDesc:4095 SalesTaxCodeRef DiscountRate DiscountRatePercent AccountRef ExternalGUID",
    "ItemPaymentAdd": "Name!:31 BarCode IsActive ClassRef ItemDesc:4095 DepositToAccountRef PaymentMethodRef ExternalGUID",
    "ItemSalesTaxAdd": "Name!:31 BarCode IsActive ClassRef ItemDesc:4095 TaxRate TaxVendorRef SalesTaxReturnLineRef ExternalGUID",
    "ItemGroupAdd": "Name!:31 BarCode IsActive ItemDesc:4095 UnitOfMeasureSetRef IsPrintItemsInGroup ExternalGUID ItemGroupLine*",
    "ItemGroupLine": "ItemRef Quantity UnitOfMeasure:31",
    "UnitOfMeasureSetAdd": "Name!:31 IsActive UnitOfMeasureType! BaseUnit! RelatedUnit* DefaultUnit*",
    "BaseUnit": "Name!:31 Abbreviation!:31",
    "RelatedUnit": "Name!:31 Abbreviation!:31 ConversionRatio!",
    "DefaultUnit": "UnitUsedFor! Unit!:31",
    "DataExtDefAdd": "OwnerID! DataExtName!:31 DataExtType! AssignToObject* DataExtListRequire DataExtTxnRequire DataExtFormatString",
    "DataExtAdd": "OwnerID! DataExtName!:31 ListDataExtType ListObjRef TxnDataExtType TxnID TxnLineID:36 OtherDataExtType DataExtValue!",
    "DataExtMod": "OwnerID! DataExtName!:31 ListDataExtType ListObjRef TxnDataExtType TxnID:36 TxnLineID:36 OtherDataExtType DataExtValue!",
    "SalesOrderAdd": "CustomerRef! ClassRef TemplateRef TxnDate RefNumber:11 BillAddress ShipAddress PONumber:25 TermsRef DueDate SalesRepRef FOB:13 ShipDate ShipMethodRef ItemSalesTaxRef IsManuallyClosed Memo:4095 CustomerMsgRef IsToBePrinted IsToBeEmailed IsTaxIncluded CustomerSalesTaxCodeRef Other:29 ExchangeRate ExternalGUID SalesOrderLineAdd|SalesOrderLineGroupAdd*",
    "SalesOrderLineAdd": "ItemRef Desc:4095 Quantity UnitOfMeasure:31 Rate RatePercent PriceLevelRef ClassRef Amount TaxAmount OptionForPriceRuleConflict InventorySiteRef InventorySiteLocationRef SerialNumber:4095 LotNumber:40 SalesTaxCodeRef IsManuallyClosed Other1:29 Other2:29 DataExt*",
    "DataExt": "OwnerID! DataExtName!:31 DataExtValue!",
    "SalesOrderLineGroupAdd": "ItemGroupRef! Desc Quantity UnitOfMeasure:31 InventorySiteRef InventorySiteLocationRef DataExt*",
    "SalesOrderMod": "TxnID!:36 EditSequence!:16 CustomerRef ClassRef TemplateRef TxnDate RefNumber:11 BillAddress ShipAddress PONumber:25 TermsRef DueDate SalesRepRef FOB:13 ShipDate ShipMethodRef ItemSalesTaxRef IsManuallyClosed Memo:4095 CustomerMsgRef IsToBePrinted IsToBeEmailed IsTaxIncluded CustomerSalesTaxCodeRef Other:29 ExchangeRate SalesOrderLineMod|SalesOrderLineGroupMod*",
    "SalesOrderLineMod": "TxnLineID!:36 ItemRef Desc:4095 Quantity UnitOfMeasure:31 OverrideUOMSetRef Rate RatePercent PriceLevelRef ClassRef Amount TaxAmount OptionForPriceRuleConflict InventorySiteRef InventorySiteLocationRef SerialNumber:4095 LotNumber:40 SalesTaxCodeRef IsManuallyClosed Other1:29 Other2:29",
    "SalesOrderLineGroupMod": "TxnLineID!:36 ItemGroupRef Quantity UnitOfMeasure:31 OverrideUOMSetRef SalesOrderLineMod*",
    "PurchaseOrderAdd": "VendorRef ClassRef InventorySiteRef ShipToEntityRef TemplateRef TxnDate RefNumber:11 VendorAddress ShipAddress TermsRef DueDate ExpectedDate ShipMethodRef FOB:13 Memo:4095 VendorMsg:99 IsToBePrinted IsToBeEmailed IsTaxIncluded SalesTaxCodeRef Other1:25 Other2:29 ExchangeRate ExternalGUID PurchaseOrderLineAdd|PurchaseOrderLineGroupAdd*",
    "PurchaseOrderLineAdd": "ItemRef ManufacturerPartNumber:31 Desc:4095 Quantity UnitOfMeasure:31 Rate ClassRef Amount TaxAmount InventorySiteLocationRef CustomerRef ServiceDate SalesTaxCodeRef OverrideItemAccountRef Other1:29 Other2:29 DataExt*",
    "PurchaseOrderLineGroupAdd": "ItemGroupRef! Desc Quantity UnitOfMeasure:31 ServiceDate InventorySiteLocationRef DataExt*",
    "BillAdd": "VendorRef! VendorAddress APAccountRef TxnDate DueDate RefNumber:20 TermsRef Memo:4095 IsTaxIncluded SalesTaxCodeRef ExchangeRate ExternalGUID LinkToTxnID*:36 ExpenseLineAdd* ItemLineAdd|ItemGroupLineAdd*",
    "ExpenseLineAdd": "AccountRef Amount TaxAmount Memo:4095 CustomerRef ClassRef SalesTaxCodeRef BillableStatus SalesRepRef DataExt*",
    "ItemLineAdd": "ItemRef InventorySiteRef InventorySiteLocationRef SerialNumber:4095 LotNumber:40 Desc:4095 Quantity UnitOfMeasure:31 Cost Amount TaxAmount CustomerRef ClassRef SalesTaxCodeRef BillableStatus OverrideItemAccountRef LinkToTxn SalesRepRef DataExt*",
    "LinkToTxn": "TxnID!:36 TxnLineID!:36",
    "ItemGroupLineAdd": "ItemGroupRef! Desc Quantity UnitOfMeasure:31 InventorySiteRef InventorySiteLocationRef DataExt*",
    "InvoiceAdd": "CustomerRef! ClassRef ARAccountRef TemplateRef TxnDate RefNumber:11 BillAddress ShipAddress IsPending IsFinanceCharge PONumber:25 TermsRef DueDate SalesRepRef FOB:13 ShipDate ShipMethodRef ItemSalesTaxRef Memo:4095 CustomerMsgRef IsToBePrinted IsToBeEmailed IsTaxIncluded CustomerSalesTaxCodeRef Other:29 ExchangeRate ExternalGUID LinkToTxnID*:36 SetCredit* InvoiceLineAdd|InvoiceLineGroupAdd* DiscountLineAdd SalesTaxLineAdd ShippingLineAdd",
    "SetCredit": "CreditTxnID! TxnLineID:36 AppliedAmount! Override",
    "InvoiceLineAdd": "ItemRef Desc:4095 Quantity UnitOfMeasure:31 Rate RatePercent PriceLevelRef ClassRef Amount TaxAmount OptionForPriceRuleConflict InventorySiteRef InventorySiteLocationRef SerialNumber:4095 LotNumber:40 ServiceDate SalesTaxCodeRef IsTaxable OverrideItemAccountRef Other1:29 Other2:29 LinkToTxn DataExt*",
    "InvoiceLineGroupAdd": "ItemGroupRef! Desc Quantity UnitOfMeasure:31 ServiceDate InventorySiteRef InventorySiteLocationRef DataExt*",
    "DiscountLineAdd": "Amount RatePercent IsTaxable AccountRef",
    "SalesTaxLineAdd": "Amount RatePercent AccountRef",
    "ShippingLineAdd": "Amount! AccountRef",
    "EstimateAdd": "CustomerRef! ClassRef TemplateRef TxnDate RefNumber:11 BillAddress ShipAddress IsActive PONumber:25 TermsRef DueDate SalesRepRef FOB:13 ItemSalesTaxRef Memo:4095 CustomerMsgRef IsToBeEmailed IsTaxIncluded CustomerSalesTaxCodeRef Other:29 ExchangeRate ExternalGUID EstimateLineAdd|EstimateLineGroupAdd*",
    "EstimateLineAdd": "ItemRef Desc:4095 Quantity UnitOfMeasure:31 Rate RatePercent ClassRef Amount TaxAmount OptionForPriceRuleConflict InventorySiteRef InventorySiteLocationRef SalesTaxCodeRef MarkupRate MarkupRatePercent PriceLevelRef OverrideItemAccountRef Other1:29 Other2:29 DataExt*",
    "EstimateLineGroupAdd": "ItemGroupRef! Desc Quantity UnitOfMeasure:31 InventorySiteRef InventorySiteLocationRef DataExt*",
    "TimeTrackingAdd": "TxnDate EntityRef! CustomerRef ItemServiceRef Rate Duration! ClassRef PayrollItemWageRef Notes:4095 BillableStatus ExternalGUID",
    "InventoryAdjustmentAdd": "AccountRef! TxnDate RefNumber:11 InventorySiteRef CustomerRef ClassRef Memo:4095 ExternalGUID InventoryAdjustmentLineAdd!*",
    "InventoryAdjustmentLineAdd": "ItemRef! QuantityAdjustment ValueAdjustment SerialNumberAdjustment LotNumberAdjustment",
    "QuantityAdjustment": "NewQuantity QuantityDifference SerialNumber:4095 LotNumber:40 InventorySiteLocationRef",
    "ValueAdjustment": "NewQuantity QuantityDifference NewValue* ValueDifference*",
    "SerialNumberAdjustment": "AddSerialNumber:4095 RemoveSerialNumber:4095 InventorySiteLocationRef",
    "LotNumberAdjustment": "LotNumber:40 CountAdjustment InventorySiteLocationRef",
    "TxnVoidRq": "TxnVoidType! TxnID!:36",
    "TxnDelRq": "TxnDelType! TxnID!:36",
    "AccountQueryRq": "ListID*:36 FullName* MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter NameRangeFilter AccountType* CurrencyFilter IncludeRetElement*:50 OwnerID*",
    "NameFilter": "MatchCriterion! Name!",
    "NameRangeFilter": "FromName ToName",
    "CurrencyFilter": "ListID*:36 FullName*:64",
    "CustomerQueryRq": "ListID*:36 FullName* MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter NameRangeFilter TotalBalanceFilter CurrencyFilter ClassFilter IncludeRetElement*:50 OwnerID*",
    "TotalBalanceFilter": "Operator! Amount!",
    "ClassFilter": "ListID*:36 FullName* ListIDWithChildren:36 FullNameWithChildren",
    "VendorQueryRq": "ListID*:36 FullName* MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter NameRangeFilter TotalBalanceFilter CurrencyFilter ClassFilter IncludeRetElement*:50 OwnerID*",
    "EmployeeQueryRq": "ListID*:36 FullName* MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter NameRangeFilter IncludeRetElement*:50 OwnerID*",
    "ItemQueryRq": "ListID*:36 FullName* MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter NameRangeFilter IncludeRetElement*:50 OwnerID*",
    "ItemServiceQueryRq": "ListID*:36 FullName* MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter NameRangeFilter ClassFilter IncludeRetElement*:50 OwnerID*",
    "ItemNonInventoryQueryRq": "ListID*:36 FullName* MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter NameRangeFilter ClassFilter IncludeRetElement*:50 OwnerID*",
    "ItemInventoryQueryRq": "ListID*:36 FullName* MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter NameRangeFilter ClassFilter IncludeRetElement*:50 OwnerID*",
    "PayrollItemWageQueryRq": "ListID*:36 FullName* MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter NameRangeFilter IncludeRetElement*:50",
    "UnitOfMeasureSetQueryRq": "ListID*:36 FullName*:31 MaxReturned ActiveStatus FromModifiedDate ToModifiedDate NameFilter NameRangeFilter IncludeRetElement*:50",
    "DataExtDefQueryRq": "OwnerID* AssignToObject* IncludeRetElement*:50",
    "SalesOrderQueryRq": "TxnID*:36 RefNumber* RefNumberCaseSensitive* MaxReturned ModifiedDateRangeFilter TxnDateRangeFilter EntityFilter RefNumberFilter RefNumberRangeFilter CurrencyFilter IncludeLineItems IncludeLinkedTxns IncludeRetElement*:50 OwnerID*",
    "ModifiedDateRangeFilter": "FromModifiedDate ToModifiedDate",
    "TxnDateRangeFilter": "FromTxnDate ToTxnDate DateMacro",
    "EntityFilter": "ListID*:36 FullName* ListIDWithChildren:36 FullNameWithChildren",
    "RefNumberFilter": "MatchCriterion! RefNumber!",
    "RefNumberRangeFilter": "FromRefNumber ToRefNumber",
    "PurchaseOrderQueryRq": "TxnID*:36 RefNumber* RefNumberCaseSensitive* MaxReturned ModifiedDateRangeFilter TxnDateRangeFilter EntityFilter AccountFilter RefNumberFilter RefNumberRangeFilter CurrencyFilter IncludeLineItems IncludeLinkedTxns IncludeRetElement*:50 OwnerID*",
    "AccountFilter": "ListID*:36 FullName* ListIDWithChildren:36 FullNameWithChildren",
    "BillQueryRq": "TxnID*:36 RefNumber* RefNumberCaseSensitive* MaxReturned ModifiedDateRangeFilter TxnDateRangeFilter EntityFilter AccountFilter RefNumberFilter RefNumberRangeFilter CurrencyFilter PaidStatus IncludeLineItems IncludeLinkedTxns IncludeRetElement*:50 OwnerID*",
    "InvoiceQueryRq": "TxnID*:36 RefNumber* RefNumberCaseSensitive* MaxReturned ModifiedDateRangeFilter TxnDateRangeFilter EntityFilter AccountFilter RefNumberFilter RefNumberRangeFilter CurrencyFilter PaidStatus IncludeLineItems IncludeLinkedTxns IncludeRetElement*:50 OwnerID*",
    "EstimateQueryRq": "TxnID*:36 RefNumber* RefNumberCaseSensitive* MaxReturned ModifiedDateRangeFilter TxnDateRangeFilter EntityFilter AccountFilter RefNumberFilter RefNumberRangeFilter CurrencyFilter IncludeLineItems IncludeLinkedTxns IncludeRetElement*:50 OwnerID*",
    "TimeTrackingQueryRq": "TxnID*:36 MaxReturned ModifiedDateRangeFilter TxnDateRangeFilter TimeTrackingEntityFilter IncludeRetElement*:50",
    "TimeTrackingEntityFilter": "ListID*:36 FullName*",
    "InventoryAdjustmentQueryRq": "TxnID*:36 RefNumber* RefNumberCaseSensitive* MaxReturned ModifiedDateRangeFilter TxnDateRangeFilter EntityFilter AccountFilter ItemFilter RefNumberFilter RefNumberRangeFilter IncludeLineItems IncludeRetElement*:50 OwnerID*",
    "ItemFilter": "ListID*:36 FullName*:159 ListIDWithChildren:36 FullNameWithChildren:159",
}

RETS: dict[str, str] = {
    "AccountRet": "ListID TimeCreated TimeModified EditSequence Name FullName IsActive ParentRef Sublevel AccountType DetailAccountType SpecialAccountType IsTaxAccount AccountNumber BankNumber LastCheckNumber Desc Balance TotalBalance SalesTaxCodeRef TaxLineInfoRet CashFlowClassification CurrencyRef DataExtRet",
    "TaxLineInfoRet": "TaxLineID TaxLineName",
    "DataExtRet": "OwnerID DataExtName DataExtType DataExtValue",
    "VendorRet": "ListID TimeCreated TimeModified EditSequence Name IsActive ClassRef IsTaxAgency CompanyName Salutation FirstName MiddleName LastName Suffix JobTitle VendorAddress VendorAddressBlock ShipAddress Phone Mobile Pager AltPhone Fax Email Cc Contact AltContact AdditionalContactRef ContactsRet NameOnCheck AccountNumber Notes AdditionalNotesRet VendorTypeRef TermsRef CreditLimit VendorTaxIdent IsVendorEligibleFor1099 Balance BillingRateRef ExternalGUID SalesTaxCodeRef SalesTaxCountry IsSalesTaxAgency SalesTaxReturnRef TaxRegistrationNumber ReportingPeriod IsTaxTrackedOnPurchases TaxOnPurchasesAccountRef IsTaxTrackedOnSales TaxOnSalesAccountRef IsTaxOnTax PrefillAccountRef CurrencyRef DataExtRet",
    "ContactsRet": "ListID TimeCreated TimeModified EditSequence Contact Salutation FirstName MiddleName LastName JobTitle AdditionalContactRef",
    "AdditionalNotesRet": "NoteID Date Note",
    "CustomerRet": "ListID TimeCreated TimeModified EditSequence Name FullName IsActive ClassRef ParentRef Sublevel CompanyName Salutation FirstName MiddleName LastName Suffix JobTitle BillAddress BillAddressBlock ShipAddress ShipAddressBlock ShipToAddress PrintAs Phone Mobile Pager AltPhone Fax Email Cc Contact AltContact AdditionalContactRef ContactsRet CustomerTypeRef TermsRef SalesRepRef Balance TotalBalance SalesTaxCodeRef ItemSalesTaxRef SalesTaxCountry ResaleNumber AccountNumber CreditLimit PreferredPaymentMethodRef CreditCardInfo JobStatus JobStartDate JobProjectedEndDate JobEndDate JobDesc JobTypeRef Notes AdditionalNotesRet IsStatementWithParent DeliveryMethod PreferredDeliveryMethod PriceLevelRef ExternalGUID TaxRegistrationNumber CurrencyRef DataExtRet",
    "ShipToAddress": "Name Addr1 Addr2 Addr3 Addr4 Addr5 City State PostalCode Country Note DefaultShipTo",
    "CreditCardInfo": "CreditCardNumber ExpirationMonth ExpirationYear NameOnCard CreditCardAddress CreditCardPostalCode",
    "EmployeeRet": "ListID TimeCreated TimeModified EditSequence Name IsActive Salutation FirstName MiddleName LastName Suffix JobTitle SupervisorRef Department Description TargetBonus EmployeeAddress PrintAs Phone Mobile Pager PagerPIN AltPhone Fax SSN Email AdditionalContactRef EmergencyContacts EmployeeType PartOrFullTime Exempt KeyEmployee Gender HiredDate OriginalHireDate AdjustedServiceDate ReleasedDate BirthDate USCitizen Ethnicity Disabled DisabilityDesc OnFile WorkAuthExpireDate USVeteran MilitaryStatus AccountNumber Notes AdditionalNotesRet BillingRateRef EmployeePayrollInfo ExternalGUID DataExtRet",
    "EmergencyContacts": "PrimaryContact SecondaryContact",
    "PrimaryContact": "ContactName ContactValue Relation",
    "SecondaryContact": "ContactName ContactValue Relation",
    "EmployeePayrollInfo": "PayPeriod ClassRef ClearEarnings Earnings UseTimeDataToCreatePaychecks SickHours VacationHours",
    "Earnings": "PayrollItemWageRef Rate RatePercent",
    "SickHours": "HoursAvailable AccrualPeriod HoursAccrued MaximumHours IsResettingHoursEachNewYear HoursUsed AccrualStartDate",
    "VacationHours": "HoursAvailable AccrualPeriod HoursAccrued MaximumHours IsResettingHoursEachNewYear HoursUsed AccrualStartDate",
    "ItemServiceRet": "ListID TimeCreated TimeModified EditSequence Name FullName BarCodeValue IsActive ClassRef ParentRef Sublevel UnitOfMeasureSetRef IsTaxIncluded SalesTaxCodeRef SalesOrPurchase SalesAndPurchase ExternalGUID DataExtRet",
    "SalesOrPurchase": "Desc Price PricePercent AccountRef",
    "SalesAndPurchase": "SalesDesc SalesPrice IncomeAccountRef PurchaseDesc PurchaseCost PurchaseTaxCodeRef ExpenseAccountRef PrefVendorRef",
    "ItemNonInventoryRet": "ListID TimeCreated TimeModified EditSequence Name FullName BarCodeValue IsActive ClassRef ParentRef Sublevel ManufacturerPartNumber UnitOfMeasureSetRef IsTaxIncluded SalesTaxCodeRef SalesOrPurchase SalesAndPurchase ExternalGUID DataExtRet",
    "ItemInventoryRet": "ListID TimeCreated TimeModified EditSequence Name FullName BarCodeValue IsActive ClassRef ParentRef Sublevel ManufacturerPartNumber UnitOfMeasureSetRef IsTaxIncluded SalesTaxCodeRef SalesDesc SalesPrice IncomeAccountRef PurchaseDesc PurchaseCost PurchaseTaxCodeRef COGSAccountRef PrefVendorRef AssetAccountRef ReorderPoint Max QuantityOnHand AverageCost QuantityOnOrder QuantityOnSalesOrder ExternalGUID DataExtRet",
    "PayrollItemWageRet": "ListID TimeCreated TimeModified EditSequence Name IsActive WageType ExpenseAccountRef",
    "ItemOtherChargeRet": "ListID TimeCreated TimeModified EditSequence Name FullName BarCodeValue IsActive ClassRef ParentRef Sublevel IsTaxIncluded SalesTaxCodeRef SalesOrPurchase SalesAndPurchase SpecialItemType ExternalGUID DataExtRet",
    "ItemSubtotalRet": "ListID TimeCreated TimeModified EditSequence Name BarCodeValue IsActive ItemDesc SpecialItemType ExternalGUID DataExtRet",
    "ItemDiscountRet": "ListID TimeCreated TimeModified EditSequence Name FullName BarCodeValue IsActive ClassRef ParentRef Sublevel ItemDesc SalesTaxCodeRef DiscountRate DiscountRatePercent AccountRef ExternalGUID DataExtRet",
    "ItemPaymentRet": "ListID TimeCreated TimeModified EditSequence Name BarCodeValue IsActive ClassRef ItemDesc DepositToAccountRef PaymentMethodRef ExternalGUID DataExtRet",
    "ItemSalesTaxRet": "ListID TimeCreated TimeModified EditSequence Name BarCodeValue IsActive ClassRef ItemDesc TaxRate TaxVendorRef SalesTaxReturnLineRef ExternalGUID DataExtRet",
    "ItemGroupRet": "ListID TimeCreated TimeModified EditSequence Name BarCodeValue IsActive ItemDesc UnitOfMeasureSetRef IsPrintItemsInGroup SpecialItemType ExternalGUID ItemGroupLine DataExtRet",
    "ItemGroupLine": "ItemRef Quantity UnitOfMeasure",
    "UnitOfMeasureSetRet": "ListID TimeCreated TimeModified EditSequence Name IsActive UnitOfMeasureType BaseUnit RelatedUnit DefaultUnit",
    "BaseUnit": "Name Abbreviation",
    "RelatedUnit": "Name Abbreviation ConversionRatio",
    "DefaultUnit": "UnitUsedFor Unit",
    "DataExtDefRet": "OwnerID DataExtID DataExtName DataExtType AssignToObject DataExtListRequire DataExtTxnRequire DataExtFormatString",
    "SalesOrderRet": "TxnID TimeCreated TimeModified EditSequence TxnNumber CustomerRef ClassRef TemplateRef TxnDate RefNumber BillAddress BillAddressBlock ShipAddress ShipAddressBlock PONumber TermsRef DueDate SalesRepRef FOB ShipDate ShipMethodRef Subtotal ItemSalesTaxRef SalesTaxPercentage SalesTaxTotal TotalAmount CurrencyRef ExchangeRate TotalAmountInHomeCurrency IsManuallyClosed IsFullyInvoiced Memo CustomerMsgRef IsToBePrinted IsToBeEmailed IsTaxIncluded CustomerSalesTaxCodeRef Other ExternalGUID LinkedTxn SalesOrderLineRet SalesOrderLineGroupRet DataExtRet",
    "LinkedTxn": "TxnID TxnType TxnDate RefNumber LinkType Amount TxnLineDetail",
    "TxnLineDetail": "TxnLineID Amount",
    "SalesOrderLineRet": "TxnLineID ItemRef Desc Quantity UnitOfMeasure OverrideUOMSetRef Rate RatePercent ClassRef Amount TaxAmount InventorySiteRef InventorySiteLocationRef SerialNumber LotNumber SalesTaxCodeRef Invoiced IsManuallyClosed Other1 Other2 DataExtRet",
    "SalesOrderLineGroupRet": "TxnLineID ItemGroupRef Desc Quantity UnitOfMeasure OverrideUOMSetRef IsPrintItemsInGroup TotalAmount SalesOrderLineRet DataExtRet",
    "PurchaseOrderRet": "TxnID TimeCreated TimeModified EditSequence TxnNumber VendorRef ClassRef InventorySiteRef ShipToEntityRef TemplateRef TxnDate RefNumber VendorAddress VendorAddressBlock ShipAddress ShipAddressBlock TermsRef DueDate ExpectedDate ShipMethodRef FOB TotalAmount CurrencyRef ExchangeRate TotalAmountInHomeCurrency IsManuallyClosed IsFullyReceived Memo VendorMsg IsToBePrinted IsToBeEmailed IsTaxIncluded SalesTaxCodeRef Other1 Other2 ExternalGUID LinkedTxn PurchaseOrderLineRet PurchaseOrderLineGroupRet DataExtRet",
    "PurchaseOrderLineRet": "TxnLineID ItemRef ManufacturerPartNumber Desc Quantity UnitOfMeasure OverrideUOMSetRef Rate ClassRef Amount TaxAmount InventorySiteLocationRef CustomerRef ServiceDate SalesTaxCodeRef ReceivedQuantity UnbilledQuantity IsBilled IsManuallyClosed Other1 Other2 DataExtRet",
    "PurchaseOrderLineGroupRet": "TxnLineID ItemGroupRef Desc Quantity UnitOfMeasure OverrideUOMSetRef IsPrintItemsInGroup TotalAmount ServiceDate PurchaseOrderLineRet DataExtRet",
    "BillRet": "TxnID TimeCreated TimeModified EditSequence TxnNumber VendorRef VendorAddress APAccountRef TxnDate DueDate AmountDue CurrencyRef ExchangeRate AmountDueInHomeCurrency RefNumber TermsRef Memo IsTaxIncluded SalesTaxCodeRef IsPaid ExternalGUID LinkedTxn ExpenseLineRet ItemLineRet ItemGroupLineRet OpenAmount DataExtRet",
    "ExpenseLineRet": "TxnLineID AccountRef Amount TaxAmount Memo CustomerRef ClassRef SalesTaxCodeRef BillableStatus SalesRepRef DataExtRet",
    "ItemLineRet": "TxnLineID ItemRef InventorySiteRef InventorySiteLocationRef SerialNumber LotNumber Desc Quantity UnitOfMeasure OverrideUOMSetRef Cost Amount TaxAmount CustomerRef ClassRef SalesTaxCodeRef BillableStatus SalesRepRef DataExtRet",
    "ItemGroupLineRet": "TxnLineID ItemGroupRef Desc Quantity UnitOfMeasure OverrideUOMSetRef TotalAmount ItemLineRet DataExt",
    "DataExt": "OwnerID DataExtName DataExtValue",
    "InvoiceRet": "TxnID TimeCreated TimeModified EditSequence TxnNumber CustomerRef ClassRef ARAccountRef TemplateRef TxnDate RefNumber BillAddress BillAddressBlock ShipAddress ShipAddressBlock IsPending IsFinanceCharge PONumber TermsRef DueDate SalesRepRef FOB ShipDate ShipMethodRef Subtotal ItemSalesTaxRef SalesTaxPercentage SalesTaxTotal AppliedAmount BalanceRemaining CurrencyRef ExchangeRate BalanceRemainingInHomeCurrency Memo IsPaid CustomerMsgRef IsToBePrinted IsToBeEmailed IsTaxIncluded CustomerSalesTaxCodeRef SuggestedDiscountAmount SuggestedDiscountDate Other ExternalGUID LinkedTxn InvoiceLineRet InvoiceLineGroupRet DiscountLineRet SalesTaxLineRet ShippingLineRet DataExtRet",
    "InvoiceLineRet": "TxnLineID ItemRef Desc Quantity UnitOfMeasure OverrideUOMSetRef Rate RatePercent ClassRef Amount TaxAmount InventorySiteRef InventorySiteLocationRef SerialNumber LotNumber ServiceDate SalesTaxCodeRef IsTaxable Other1 Other2 DataExtRet",
    "InvoiceLineGroupRet": "TxnLineID ItemGroupRef Desc Quantity UnitOfMeasure OverrideUOMSetRef IsPrintItemsInGroup TotalAmount ServiceDate InvoiceLineRet DataExtRet",
    "DiscountLineRet": "Amount RatePercent IsTaxable AccountRef",
    "SalesTaxLineRet": "Amount RatePercent AccountRef",
    "ShippingLineRet": "Amount AccountRef",
    "EstimateRet": "TxnID TimeCreated TimeModified EditSequence TxnNumber CustomerRef ClassRef TemplateRef TxnDate RefNumber BillAddress BillAddressBlock ShipAddress ShipAddressBlock IsActive PONumber TermsRef DueDate SalesRepRef FOB Subtotal ItemSalesTaxRef SalesTaxPercentage SalesTaxTotal TotalAmount CurrencyRef ExchangeRate TotalAmountInHomeCurrency Memo CustomerMsgRef IsToBeEmailed IsTaxIncluded CustomerSalesTaxCodeRef Other ExternalGUID LinkedTxn EstimateLineRet EstimateLineGroupRet DataExtRet",
    "EstimateLineRet": "TxnLineID ItemRef Desc Quantity UnitOfMeasure OverrideUOMSetRef Rate RatePercent ClassRef Amount TaxAmount InventorySiteRef InventorySiteLocationRef SalesTaxCodeRef MarkupRate MarkupRatePercent Other1 Other2 DataExtRet",
    "EstimateLineGroupRet": "TxnLineID ItemGroupRef Desc Quantity UnitOfMeasure OverrideUOMSetRef IsPrintItemsInGroup TotalAmount EstimateLineRet DataExtRet",
    "TimeTrackingRet": "TxnID TimeCreated TimeModified EditSequence TxnNumber TxnDate EntityRef CustomerRef ItemServiceRef Rate Duration ClassRef PayrollItemWageRef Notes BillableStatus ExternalGUID",
    "InventoryAdjustmentRet": "TxnID TimeCreated TimeModified EditSequence TxnNumber AccountRef InventorySiteRef TxnDate RefNumber CustomerRef ClassRef Memo ExternalGUID InventoryAdjustmentLineRet DataExtRet",
    "InventoryAdjustmentLineRet": "TxnLineID ItemRef SerialNumber SerialNumberAddedOrRemoved LotNumber InventorySiteLocationRef QuantityDifference ValueDifference",
    "TxnVoidRs": "TxnVoidType TxnID TimeCreated TimeModified RefNumber ErrorRecovery",
    "ErrorRecovery": "ListID OwnerID TxnID TxnNumber EditSequence ExternalGUID",
    "HostRet": "ProductName MajorVersion MinorVersion Country SupportedQBXMLVersion IsAutomaticLogin QBFileMode",
    "CompanyRet": "IsSampleCompany CompanyName LegalCompanyName Address AddressBlock LegalAddress CompanyAddressForCustomer CompanyAddressBlockForCustomer Phone Fax Email CompanyEmailForCustomer CompanyWebSite FirstMonthFiscalYear FirstMonthIncomeTaxYear CompanyType EIN SSN TaxForm SubscribedServices AccountantCopy DataExtRet",
    "SubscribedServices": "Service",
    "Service": "Name Domain ServiceStatus",
    "AccountantCopy": "AccountantCopyExists DividingDate",
    "TxnDelRs": "TxnDelType TxnID TimeDeleted RefNumber ErrorRecovery",
}


@dataclass(frozen=True)
class Field:
    name: str
    required: bool
    repeatable: bool
    max_length: int | None
    slot: int = -1  # position in schema order; the branches of an `A|B*` choice share one


def fields(spec: str) -> list[Field]:
    out: list[Field] = []
    for slot, token in enumerate(spec.split()):
        name, _, length = token.partition(":")
        required = "!" in name
        repeatable = "*" in name
        for branch in name.strip("!*").split("|"):
            out.append(Field(branch, required, repeatable, int(length) if length else None, slot))
    return out


def ret_order(tag: str) -> list[str] | None:
    spec = RETS.get(tag)
    return spec.split() if spec is not None else None
