"""One rich example of every request the builders write, used by the schema and codec tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypedDict

from requests_builder import (
    AccountQuery,
    Address,
    BillAdd,
    BillExpenseLine,
    BillItemLine,
    BillQuery,
    CompanyQuery,
    CustomerAdd,
    CustomerQuery,
    DataExtAdd,
    DataExtDefAdd,
    DataExtDefQuery,
    DataExtMod,
    EmployeeAdd,
    EmployeeAddress,
    EmployeeQuery,
    EntityFilter,
    EstimateQuery,
    HostQuery,
    InventoryAdjustmentAdd,
    InventoryAdjustmentLine,
    InventoryAdjustmentQuery,
    InvoiceAdd,
    InvoiceLine,
    InvoiceQuery,
    ItemFilter,
    ItemInventoryAdd,
    ItemInventoryQuery,
    ItemNonInventoryAdd,
    ItemQuery,
    ItemServiceAdd,
    LineDataExt,
    LinkToTxn,
    ModifiedDateRangeFilter,
    NameFilter,
    PayrollItemWageQuery,
    PurchaseOrderAdd,
    PurchaseOrderLine,
    PurchaseOrderQuery,
    QuantityAdjustment,
    Ref,
    RefNumberFilter,
    Request,
    SalesAndPurchase,
    SalesOrderAdd,
    SalesOrderLine,
    SalesOrderLineMod,
    SalesOrderMod,
    SalesOrderQuery,
    SalesOrPurchase,
    TimeTrackingAdd,
    TimeTrackingEntityFilter,
    TimeTrackingQuery,
    TxnDateRangeFilter,
    UnitOfMeasureSetQuery,
    VendorQuery,
)

OWNER = "{6B063959-81B0-4B8A-9F4E-28B1B2A0C001}"
ADDRESS = Address(
    addr1="1 Main St",
    addr2="Suite 2",
    city="Springfield",
    state="IL",
    postal_code="62701",
    country="US",
    note="Back door",
)


def sales_order(lines: int = 2) -> SalesOrderAdd:
    # Fields deliberately set in an order unlike the schema's: the writer must reorder them.
    return SalesOrderAdd(
        memo="Rush order",
        lines=[
            SalesOrderLine(
                amount=Decimal("21.00"),
                item=Ref(full_name="Widgets:WIDGET-1"),
                quantity=2,
                rate=Decimal("10.5"),
                desc=f"Line {n}",
                class_ref=Ref(full_name="Shop"),
                sales_tax_code=Ref(full_name="Non"),
                is_manually_closed=False,
                other1="A",
                data_ext=[LineDataExt(owner_id="0", name="Color", value="Red")],
            )
            for n in range(lines)
        ],
        is_manually_closed=False,
        customer=Ref(full_name="Abercrombie, Kristy:Family Room"),
        ship_address=ADDRESS,
        ref_number="SO-1001",
        txn_date=date(2024, 3, 15),
        bill_address=ADDRESS,
        po_number="PO-77",
        terms=Ref(full_name="Net 30"),
        due_date="2024-04-14",
        ship_date=date(2024, 3, 20),
        fob="Origin",
        sales_rep=Ref(list_id="80000001-1415929219"),
        item_sales_tax=Ref(full_name="State Tax"),
        is_to_be_printed=True,
        other="x",
        exchange_rate=Decimal("1.0"),
        external_guid=OWNER,
        template=Ref(full_name="Custom Sales Order"),
        customer_sales_tax_code=Ref(full_name="Tax"),
        ship_method=Ref(full_name="UPS"),
        customer_msg=Ref(full_name="Thank you"),
    )


def all_requests() -> list[Request]:
    return [
        HostQuery(),
        HostQuery(include_ret_elements=["ProductName", "SupportedQBXMLVersion"]),
        CompanyQuery(owner_ids=[OWNER]),
        AccountQuery(active_status="ActiveOnly", account_types=["Income", "CostOfGoodsSold"]),
        AccountQuery(full_names=["Sales:Parts"]),
        CustomerQuery(
            iterator="Start", max_returned=100, from_modified_date=datetime(2024, 1, 1, 8, 0), owner_ids=["0"]
        ),
        CustomerQuery(
            iterator="Continue", iterator_id="{eb05f701-e727-472f-8ade-6753c4f67a46}", max_returned=100
        ),
        CustomerQuery(full_names=["Joe Customer:Equipment Installation"]),
        CustomerAdd(
            name="Abercrombie, Kristy",
            company_name="Kristy's",
            first_name="Kristy",
            last_name="Abercrombie",
            bill_address=ADDRESS,
            phone="555-1234",
            email="k@example.com",
            terms=Ref(full_name="Net 30"),
            credit_limit=Decimal("5000"),
            notes="VIP",
            external_guid=OWNER,
            is_active=True,
        ),
        CustomerAdd(
            parent=Ref(full_name="Abercrombie, Kristy"),
            name="Family Room",
            job_status="InProgress",
            job_start_date=date(2024, 1, 2),
            job_desc="Remodel",
            job_type=Ref(full_name="Remodel"),
        ),
        VendorQuery(name_filter=NameFilter(match_criterion="StartsWith", name="Acme"), active_status="All"),
        EmployeeQuery(list_ids=["80000001-1415929219"]),
        EmployeeAdd(
            first_name="Dan",
            last_name="Miller",
            employee_address=EmployeeAddress(addr1="5 Elm", city="X"),
            email="dan@example.com",
            hired_date=date(2020, 5, 1),
            gender="Male",
            external_guid=OWNER,
        ),
        ItemQuery(iterator="Start", max_returned=500, active_status="ActiveOnly"),
        ItemNonInventoryAdd(
            name="Bolt",
            parent=Ref(full_name="Hardware"),
            manufacturer_part_number="B-1",
            sales_or_purchase=SalesOrPurchase(
                desc="Bolt", price=Decimal("0.25"), account=Ref(full_name="Sales")
            ),
        ),
        ItemNonInventoryAdd(
            name="Nut",
            sales_and_purchase=SalesAndPurchase(
                sales_desc="Nut",
                sales_price=1,
                income_account=Ref(full_name="Sales"),
                purchase_desc="Nut",
                purchase_cost=Decimal("0.1"),
                expense_account=Ref(full_name="COGS"),
                pref_vendor=Ref(full_name="Acme"),
            ),
        ),
        ItemInventoryAdd(
            name="WIDGET-1",
            parent=Ref(full_name="Widgets"),
            sales_desc="Widget",
            sales_price=10,
            income_account=Ref(full_name="Sales"),
            purchase_cost=Decimal("4.5"),
            cogs_account=Ref(full_name="Cost of Goods Sold"),
            asset_account=Ref(full_name="Inventory Asset"),
            reorder_point=5,
            quantity_on_hand=10,
            inventory_date=date(2024, 1, 1),
        ),
        ItemServiceAdd(
            name="Labor",
            sales_or_purchase=SalesOrPurchase(price=Decimal("75"), account=Ref(full_name="Labor Income")),
        ),
        sales_order(),
        SalesOrderQuery(
            iterator="Start",
            max_returned=50,
            modified_date_range=ModifiedDateRangeFilter(from_modified_date="2024-01-01T00:00:00"),
            include_line_items=True,
            include_linked_txns=True,
            owner_ids=["0"],
        ),
        SalesOrderQuery(ref_numbers=["SO-1001", "SO-1002"], include_line_items=True),
        SalesOrderMod(txn_id="4C-1415942229", edit_sequence="1415942229", is_manually_closed=True),
        SalesOrderMod(
            txn_id="4C-1415942229",
            edit_sequence="1415942229",
            memo="changed",
            lines=[
                SalesOrderLineMod(txn_line_id="4E-1415942229", is_manually_closed=True),
                SalesOrderLineMod(txn_line_id="-1", item=Ref(full_name="Labor"), quantity=1, rate=75),
            ],
        ),
        PurchaseOrderAdd(
            vendor=Ref(full_name="Acme"),
            ref_number="PO-1",
            txn_date=date(2024, 3, 1),
            expected_date=date(2024, 3, 10),
            vendor_msg="Please ship fast",
            memo="m",
            lines=[
                PurchaseOrderLine(
                    item=Ref(full_name="WIDGET-1"),
                    quantity=10,
                    rate=Decimal("4.5"),
                    customer=Ref(full_name="Abercrombie, Kristy"),
                    data_ext=[LineDataExt(owner_id=OWNER, name="Op", value="10")],
                )
            ],
        ),
        PurchaseOrderQuery(
            txn_date_range=TxnDateRangeFilter(from_txn_date=date(2024, 1, 1)),
            entity_filter=EntityFilter(full_names=["Acme"]),
            include_line_items=True,
        ),
        BillAdd(
            vendor=Ref(full_name="Acme"),
            ref_number="INV-2024-000123",
            txn_date=date(2024, 3, 11),
            link_to_txn_ids=["1A-1415942229"],
            expense_lines=[
                BillExpenseLine(
                    account=Ref(full_name="Freight"), amount=Decimal("12.5"), billable_status="NotBillable"
                )
            ],
            item_lines=[
                BillItemLine(
                    item=Ref(full_name="WIDGET-1"),
                    quantity=10,
                    cost=Decimal("4.5"),
                    link_to_txn=LinkToTxn(txn_id="1A-1415942229", txn_line_id="1C-1415942229"),
                )
            ],
        ),
        InvoiceAdd(
            customer=Ref(full_name="Abercrombie, Kristy:Family Room"),
            ref_number="INV-1",
            txn_date=date(2024, 3, 21),
            link_to_txn_ids=["4C-1415942229"],
            memo="From SO-1001",
        ),
        InvoiceAdd(
            customer=Ref(list_id="80000009-1415929219"),
            lines=[
                InvoiceLine(
                    item=Ref(full_name="WIDGET-1"),
                    quantity=2,
                    rate=Decimal("10.5"),
                    service_date=date(2024, 3, 2),
                    link_to_txn=LinkToTxn(txn_id="4C-1415942229", txn_line_id="4E-1415942229"),
                )
            ],
        ),
        InvoiceQuery(
            paid_status="NotPaidOnly",
            ref_number_filter=RefNumberFilter(match_criterion="StartsWith", ref_number="INV"),
            iterator="Start",
            max_returned=10,
        ),
        EstimateQuery(txn_ids=["9-1415942229"], include_line_items=True),
        TimeTrackingAdd(
            entity=Ref(full_name="Dan Miller"),
            customer=Ref(full_name="Abercrombie, Kristy:Family Room"),
            item_service=Ref(full_name="Labor"),
            duration=timedelta(hours=2, minutes=30),
            txn_date=date(2024, 3, 5),
            notes="Install",
            billable_status="Billable",
            payroll_item_wage=Ref(full_name="Hourly"),
            external_guid=OWNER,
        ),
        InventoryAdjustmentAdd(
            account=Ref(full_name="Inventory Adjustments"),
            ref_number="ADJ-1",
            txn_date=date(2024, 3, 6),
            memo="Scrap",
            lines=[
                InventoryAdjustmentLine(
                    item=Ref(full_name="WIDGET-1"),
                    quantity_adjustment=QuantityAdjustment(quantity_difference=-2),
                )
            ],
        ),
        DataExtDefQuery(owner_ids=["0"]),
        DataExtDefQuery(assign_to_objects=["Customer", "SalesOrder"]),
        DataExtDefAdd(
            owner_id=OWNER,
            name="FusionOpsID",
            data_ext_type="STR255TYPE",
            assign_to_objects=["SalesOrder", "Customer"],
        ),
        *data_ext_values(),
        PayrollItemWageQuery(active_status="ActiveOnly"),
        UnitOfMeasureSetQuery(active_status="All", include_ret_elements=["ListID", "Name", "BaseUnit"]),
        *transaction_queries(),
    ]


class DataExtTarget(TypedDict, total=False):
    """What a custom field value belongs to: a list object, a transaction or one of its lines, or the
    company (``_DataExtValue``'s fields, in its groups)."""

    list_data_ext_type: str
    list_obj: Ref
    txn_data_ext_type: str
    txn_id: str
    txn_line_id: str
    other_data_ext_type: str


# A custom field value on each kind of object one can belong to: (owner, field name, value, where).
DATA_EXT_VALUES: list[tuple[str, str, str, DataExtTarget]] = [
    ("0", "Color", "Blue", {"list_data_ext_type": "Customer", "list_obj": Ref(full_name="Acme")}),
    (OWNER, "FusionOpsID", "SO-7781", {"txn_data_ext_type": "SalesOrder", "txn_id": "4C-1415942229"}),
    ("0", "Line note", "n", {"txn_data_ext_type": "Invoice", "txn_id": "4C-1", "txn_line_id": "4E-1"}),
    (OWNER, "FileID", "{00000ee-1111}", {"other_data_ext_type": "Company"}),
]


def data_ext_values() -> list[Request]:
    """Each of DATA_EXT_VALUES both set (``DataExtAdd``) and changed (``DataExtMod``): the two requests
    take the same fields, and each kind of object must be written right by both."""
    return [
        request(owner_id=owner, name=name, value=value, **target)
        for owner, name, value, target in DATA_EXT_VALUES
        for request in (DataExtAdd, DataExtMod)
    ]


def transaction_queries() -> list[Request]:
    """The bill, time, inventory adjustment and inventory item queries, in each of their shapes."""
    return [
        BillQuery(
            iterator="Start",
            max_returned=100,
            modified_date_range=ModifiedDateRangeFilter(
                from_modified_date=datetime(2024, 1, 1, 8, 0), to_modified_date="2024-02-01T00:00:00"
            ),
            entity_filter=EntityFilter(full_names=["Acme"]),
            ref_number_filter=RefNumberFilter(match_criterion="StartsWith", ref_number="INV-2024"),
            paid_status="NotPaidOnly",
            include_line_items=True,
            include_linked_txns=True,
            include_ret_elements=["TxnID", "RefNumber", "ExternalGUID"],
            owner_ids=["0"],
        ),
        BillQuery(ref_numbers=["INV-2024-000123"], include_line_items=True),
        BillQuery(
            iterator="Continue", iterator_id="{eb05f701-e727-472f-8ade-6753c4f67a46}", max_returned=100
        ),
        TimeTrackingQuery(
            iterator="Start",
            max_returned=200,
            txn_date_range=TxnDateRangeFilter(from_txn_date=date(2024, 3, 1), to_txn_date=date(2024, 3, 31)),
            entity_filter=TimeTrackingEntityFilter(full_names=["Dan Miller", "Acme"]),
            include_ret_elements=["TxnID", "Duration"],
        ),
        TimeTrackingQuery(txn_ids=["5A-1415942229", "5B-1415942229"]),
        TimeTrackingQuery(entity_filter=TimeTrackingEntityFilter(list_ids=["80000001-1415929219"])),
        InventoryAdjustmentQuery(
            iterator="Start",
            max_returned=50,
            modified_date_range=ModifiedDateRangeFilter(from_modified_date="2024-01-01T00:00:00"),
            entity_filter=EntityFilter(full_name_with_children="Abercrombie, Kristy"),
            item_filter=ItemFilter(full_names=["Widgets:WIDGET-1"]),
            include_line_items=True,
            owner_ids=["0"],
        ),
        InventoryAdjustmentQuery(ref_numbers_case_sensitive=["ADJ-1"], include_line_items=True),
        InventoryAdjustmentQuery(item_filter=ItemFilter(list_id_with_children="80000002-1415929219")),
        ItemInventoryQuery(
            iterator="Start",
            max_returned=500,
            active_status="All",
            from_modified_date=datetime(2024, 1, 1),
            name_filter=NameFilter(match_criterion="StartsWith", name="WIDGET"),
            include_ret_elements=["ListID", "FullName", "QuantityOnHand"],
            owner_ids=["0"],
        ),
        ItemInventoryQuery(full_names=["Widgets:WIDGET-1"]),
        ItemInventoryQuery(iterator="Stop", iterator_id="{eb05f701-e727-472f-8ade-6753c4f67a46}"),
    ]
