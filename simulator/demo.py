"""A small demo company, built through the simulator's own qbXML path so it is always consistent."""

from __future__ import annotations

from simulator.company import Company
from simulator.quickbooks import QuickBooks

_DEMO_REQUESTS = """<?xml version="1.0" encoding="utf-8"?>
<?qbxml version="13.0"?>
<QBXML><QBXMLMsgsRq onError="stopOnError">
<CustomerAddRq><CustomerAdd><Name>Acme Manufacturing</Name><CompanyName>Acme Manufacturing Inc.</CompanyName>
<BillAddress><Addr1>1 Industrial Way</Addr1><City>Springfield</City><State>IL</State>
<PostalCode>62701</PostalCode></BillAddress><Email>orders@acme.example</Email></CustomerAdd></CustomerAddRq>
<CustomerAddRq><CustomerAdd><Name>Plant 2</Name><ParentRef><FullName>Acme Manufacturing</FullName></ParentRef>
<JobStatus>InProgress</JobStatus></CustomerAdd></CustomerAddRq>
<CustomerAddRq><CustomerAdd><Name>Globex</Name></CustomerAdd></CustomerAddRq>
<VendorAddRq><VendorAdd><Name>Steel Supply Co</Name></VendorAdd></VendorAddRq>
<EmployeeAddRq><EmployeeAdd><FirstName>Dana</FirstName><LastName>Smith</LastName></EmployeeAdd></EmployeeAddRq>
<PayrollItemWageAddRq><PayrollItemWageAdd><Name>Hourly Regular</Name><WageType>HourlyRegular</WageType>
<ExpenseAccountRef><FullName>Payroll Expenses</FullName></ExpenseAccountRef>
</PayrollItemWageAdd></PayrollItemWageAddRq>
<ItemInventoryAddRq><ItemInventoryAdd><Name>WIDGET-1</Name><SalesDesc>Widget, steel</SalesDesc>
<SalesPrice>25.00</SalesPrice>
<IncomeAccountRef><FullName>Sales</FullName></IncomeAccountRef><PurchaseCost>10.00</PurchaseCost>
<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef>
<AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef><QuantityOnHand>100</QuantityOnHand>
</ItemInventoryAdd></ItemInventoryAddRq>
<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>PAINT</Name><SalesOrPurchase><Desc>Paint, per litre</Desc>
<Price>8.50</Price><AccountRef><FullName>Job Materials</FullName></AccountRef></SalesOrPurchase>
</ItemNonInventoryAdd></ItemNonInventoryAddRq>
<ItemServiceAddRq><ItemServiceAdd><Name>LABOR</Name><SalesOrPurchase><Desc>Labor, per hour</Desc>
<Price>60.00</Price>
<AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>
<DataExtDefAddRq><DataExtDefAdd><OwnerID>0</OwnerID><DataExtName>Fusion Order</DataExtName>
<DataExtType>STR255TYPE</DataExtType><AssignToObject>Customer</AssignToObject></DataExtDefAdd></DataExtDefAddRq>
<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Acme Manufacturing:Plant 2</FullName></CustomerRef>
<TxnDate>2024-03-01</TxnDate><SalesOrderLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>4</Quantity>
</SalesOrderLineAdd><SalesOrderLineAdd><ItemRef><FullName>LABOR</FullName></ItemRef><Quantity>2</Quantity>
</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>
<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Steel Supply Co</FullName></VendorRef>
<TxnDate>2024-03-02</TxnDate><PurchaseOrderLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef>
<Quantity>50</Quantity><Rate>10.00</Rate></PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>
</QBXMLMsgsRq></QBXML>
"""


def seed_demo(company_name: str = "Demo Manufacturing") -> Company:
    company = Company.new(company_name)
    QuickBooks(company, use_default_schema=False).process(_DEMO_REQUESTS)
    return company
