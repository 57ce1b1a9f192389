"""Transactions, links, quantities, custom fields, iterators — checked through qbXML and the company."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from simulator.quickbooks import QuickBooks
from tests.simulator.conftest import Send, customer_data_ext, message_set, rs_list, status_of

SO_QUERY = (
    "<SalesOrderQueryRq><RefNumber>{ref}</RefNumber><IncludeLineItems>true</IncludeLineItems>"
    "<IncludeLinkedTxns>true</IncludeLinkedTxns></SalesOrderQueryRq>"
)


def test_sales_order_gets_sequential_ref_number_and_line_amounts(send: Send, qb: QuickBooks) -> None:
    rs = send(
        "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Globex</FullName></CustomerRef>"
        "<SalesOrderLineAdd><ItemRef><FullName>PAINT</FullName></ItemRef><Quantity>3</Quantity></SalesOrderLineAdd>"
        "</SalesOrderAdd></SalesOrderAddRq>"
    )
    ret = rs[0].find("SalesOrderRet")
    assert ret.findtext("RefNumber") == "2"  # the demo company already holds order 1
    assert ret.findtext("SalesOrderLineRet/Amount") == "25.50"
    assert ret.findtext("TotalAmount") == "25.50"
    assert ret.findtext("IsFullyInvoiced") == "false"
    assert len(qb.company.sales_orders) == 2


def test_invoice_linked_to_sales_order_invoices_every_line(send: Send, qb: QuickBooks) -> None:
    order = qb.company.sales_order("1")
    rs = send(
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Manufacturing:Plant 2</FullName></CustomerRef>"
        f"<LinkToTxnID>{order['TxnID']}</LinkToTxnID></InvoiceAdd></InvoiceAddRq>",
        SO_QUERY.format(ref="1"),
    )
    assert rs[0].get("statusCode") == "0"
    invoice = rs[0].find("InvoiceRet")
    assert [ln.findtext("ItemRef/FullName") for ln in invoice.findall("InvoiceLineRet")] == [
        "WIDGET-1",
        "LABOR",
    ]
    assert invoice.findtext("LinkedTxn/TxnID") == order["TxnID"]
    so = rs[1].find("SalesOrderRet")
    assert so.findtext("IsFullyInvoiced") == "true"
    assert [ln.findtext("Invoiced") for ln in so.findall("SalesOrderLineRet")] == ["4", "2"]
    assert so.findtext("LinkedTxn/TxnType") == "Invoice"
    assert qb.company.quantity_on_hand("WIDGET-1") == Decimal(96)


def test_bill_receiving_purchase_order_raises_quantity_on_hand(send: Send, qb: QuickBooks) -> None:
    po = qb.company.purchase_orders[0]
    rs = send(
        "<BillAddRq><BillAdd><VendorRef><FullName>Steel Supply Co</FullName></VendorRef>"
        f"<RefNumber>INV-778</RefNumber><LinkToTxnID>{po['TxnID']}</LinkToTxnID></BillAdd></BillAddRq>",
        "<PurchaseOrderQueryRq><IncludeLineItems>true</IncludeLineItems></PurchaseOrderQueryRq>",
        "<BillQueryRq><RefNumber>INV-778</RefNumber><IncludeLineItems>true</IncludeLineItems></BillQueryRq>",
    )
    assert [r.get("statusCode") for r in rs] == ["0", "0", "0"]
    assert rs[1].findtext("PurchaseOrderRet/IsFullyReceived") == "true"
    assert rs[1].findtext("PurchaseOrderRet/PurchaseOrderLineRet/ReceivedQuantity") == "50"
    assert rs[2].findtext("BillRet/AmountDue") == "500.00"
    assert qb.company.quantity_on_hand("WIDGET-1") == Decimal(150)


def test_inventory_adjustment_changes_quantity_on_hand(send: Send, qb: QuickBooks) -> None:
    rs = send(
        "<InventoryAdjustmentAddRq><InventoryAdjustmentAdd><AccountRef><FullName>Inventory Adjustments</FullName>"
        "</AccountRef><InventoryAdjustmentLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef>"
        "<QuantityAdjustment><QuantityDifference>-7</QuantityDifference></QuantityAdjustment>"
        "</InventoryAdjustmentLineAdd></InventoryAdjustmentAdd></InventoryAdjustmentAddRq>",
        "<ItemInventoryQueryRq><FullName>WIDGET-1</FullName></ItemInventoryQueryRq>",
        "<InventoryAdjustmentQueryRq><IncludeLineItems>true</IncludeLineItems></InventoryAdjustmentQueryRq>",
    )
    assert rs[1].findtext("ItemInventoryRet/QuantityOnHand") == "93"
    assert rs[2].findtext("InventoryAdjustmentRet/InventoryAdjustmentLineRet/QuantityDifference") == "-7"


def test_sales_order_mod_checks_edit_sequence_and_closes(send: Send, qb: QuickBooks) -> None:
    order = qb.company.sales_order("1")
    stale = send(
        f"<SalesOrderModRq><SalesOrderMod><TxnID>{order['TxnID']}</TxnID><EditSequence>1</EditSequence>"
        "<IsManuallyClosed>true</IsManuallyClosed></SalesOrderMod></SalesOrderModRq>"
    )
    assert stale[0].get("statusCode") == "3200"
    assert stale[0].get("statusMessage") == 'The provided edit sequence "1" is out-of-date. '
    before = order["EditSequence"]
    ok = send(
        f"<SalesOrderModRq><SalesOrderMod><TxnID>{order['TxnID']}</TxnID><EditSequence>{before}</EditSequence>"
        "<IsManuallyClosed>true</IsManuallyClosed></SalesOrderMod></SalesOrderModRq>"
    )
    ret = ok[0].find("SalesOrderRet")
    assert ret.findtext("IsManuallyClosed") == "true"
    assert ret.findtext("EditSequence") != before


def test_time_tracking_and_estimate_adds_and_queries(send: Send) -> None:
    rs = send(
        "<TimeTrackingAddRq><TimeTrackingAdd><TxnDate>2024-03-04</TxnDate><EntityRef><FullName>Dana Smith</FullName>"
        "</EntityRef><CustomerRef><FullName>Globex</FullName></CustomerRef><ItemServiceRef><FullName>LABOR</FullName>"
        "</ItemServiceRef><Duration>PT2H30M0S</Duration></TimeTrackingAdd></TimeTrackingAddRq>",
        "<EstimateAddRq><EstimateAdd><CustomerRef><FullName>Globex</FullName></CustomerRef>"
        "<EstimateLineAdd><ItemRef><FullName>LABOR</FullName></ItemRef><Quantity>1</Quantity></EstimateLineAdd>"
        "</EstimateAdd></EstimateAddRq>",
        "<TimeTrackingQueryRq><TxnDateRangeFilter><FromTxnDate>2024-03-01</FromTxnDate>"
        "<ToTxnDate>2024-03-31</ToTxnDate></TxnDateRangeFilter></TimeTrackingQueryRq>",
        "<EstimateQueryRq><EntityFilter><FullName>Globex</FullName></EntityFilter></EstimateQueryRq>",
    )
    assert [r.get("statusCode") for r in rs] == ["0"] * 4
    assert rs[2].findtext("TimeTrackingRet/Duration") == "PT2H30M0S"
    assert rs[3].findtext("EstimateRet/TotalAmount") == "60.00"
    assert rs[3].find("EstimateRet/EstimateLineRet") is None  # IncludeLineItems not asked for


def test_entity_filter_with_children_and_modified_date_filter(send: Send) -> None:
    rs = send(
        "<SalesOrderQueryRq><EntityFilter><FullNameWithChildren>Acme Manufacturing</FullNameWithChildren>"
        "</EntityFilter></SalesOrderQueryRq>",
        "<SalesOrderQueryRq><ModifiedDateRangeFilter><FromModifiedDate>2999-01-01</FromModifiedDate>"
        "</ModifiedDateRangeFilter></SalesOrderQueryRq>",
        on_error="continueOnError",
    )
    assert rs[0].findtext("SalesOrderRet/CustomerRef/FullName") == "Acme Manufacturing:Plant 2"
    assert rs[1].get("statusCode") == "1"


def test_custom_fields_definition_values_and_owner_id(send: Send) -> None:
    rs = send(
        customer_data_ext("Add", "FO-1"),
        customer_data_ext("Mod", "FO-2"),
        "<CustomerQueryRq><FullName>Globex</FullName><OwnerID>0</OwnerID></CustomerQueryRq>",
        "<CustomerQueryRq><FullName>Globex</FullName></CustomerQueryRq>",
        "<DataExtDefQueryRq><OwnerID>0</OwnerID></DataExtDefQueryRq>",
    )
    assert [r.get("statusCode") for r in rs] == ["0"] * 5
    assert rs[2].findtext("CustomerRet/DataExtRet/DataExtValue") == "FO-2"
    assert rs[2].findtext("CustomerRet/DataExtRet/OwnerID") == "0"
    assert rs[3].find("CustomerRet/DataExtRet") is None
    assert rs[4].findtext("DataExtDefRet/DataExtName") == "Fusion Order"


def test_dataext_mod_without_value_is_not_found(send: Send) -> None:
    code = status_of(
        send,
        customer_data_ext("Mod", "x"),
    )[0]
    assert code == "3120"


def test_iterator_pages_and_dies_with_the_session(qb: QuickBooks) -> None:
    qb.begin_session()
    first = rs_list(
        qb.process(
            message_set(
                '<CustomerQueryRq requestID="7" iterator="Start"><MaxReturned>2</MaxReturned></CustomerQueryRq>'
            )
        )
    )[0]
    assert (first.get("retCount"), first.get("iteratorRemainingCount")) == ("2", "1")
    iterator_id = first.get("iteratorID")
    assert iterator_id.startswith("{") and iterator_id.endswith("}")
    nxt = rs_list(
        qb.process(
            message_set(
                f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator_id}"><MaxReturned>2</MaxReturned>'
                "</CustomerQueryRq>"
            )
        )
    )[0]
    assert nxt.get("iteratorRemainingCount") == "0" and len(nxt.findall("CustomerRet")) == 1
    names = [c.findtext("FullName") for c in [*first, *nxt]]
    assert sorted(names) == ["Acme Manufacturing", "Acme Manufacturing:Plant 2", "Globex"]
    again = rs_list(
        qb.process(
            message_set('<CustomerQueryRq iterator="Start"><MaxReturned>1</MaxReturned></CustomerQueryRq>')
        )
    )[0]
    qb.end_session()
    qb.begin_session()
    dead = rs_list(
        qb.process(
            message_set(
                f'<CustomerQueryRq iterator="Continue" iteratorID="{again.get("iteratorID")}">'
                "<MaxReturned>1</MaxReturned></CustomerQueryRq>"
            )
        )
    )[0]
    assert dead.get("statusCode") == "3120"


def test_a_continue_returns_as_many_as_its_own_max_returned_asks(qb: QuickBooks) -> None:
    qb.begin_session()

    def query(attributes: str, max_returned: int | None) -> etree._Element:
        limit = f"<MaxReturned>{max_returned}</MaxReturned>" if max_returned else ""
        return rs_list(qb.process(message_set(f"<CustomerQueryRq {attributes}>{limit}</CustomerQueryRq>")))[0]

    first = query('iterator="Start"', 1)
    assert (len(first.findall("CustomerRet")), first.get("iteratorRemainingCount")) == (1, "2")
    more = query(f'iterator="Continue" iteratorID="{first.get("iteratorID")}"', 2)
    assert (len(more.findall("CustomerRet")), more.get("iteratorRemainingCount")) == (2, "0")
    # Without a MaxReturned of its own, a Continue asks for as many as its Start did.
    again = query('iterator="Start"', 1)
    rest = query(f'iterator="Continue" iteratorID="{again.get("iteratorID")}"', None)
    assert (len(rest.findall("CustomerRet")), rest.get("iteratorRemainingCount")) == (1, "1")


def test_void_and_delete(send: Send, qb: QuickBooks) -> None:
    order = qb.company.sales_order("1")
    rs = send(
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Globex</FullName></CustomerRef>"
        "<InvoiceLineAdd><ItemRef><FullName>PAINT</FullName></ItemRef><Quantity>2</Quantity></InvoiceLineAdd>"
        "</InvoiceAdd></InvoiceAddRq>",
    )
    invoice_id = rs[0].findtext("InvoiceRet/TxnID")
    rs = send(
        f"<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>{invoice_id}</TxnID></TxnVoidRq>",
        f"<TxnDelRq><TxnDelType>SalesOrder</TxnDelType><TxnID>{order['TxnID']}</TxnID></TxnDelRq>",
        f"<InvoiceQueryRq><TxnID>{invoice_id}</TxnID></InvoiceQueryRq>",
    )
    assert [r.get("statusCode") for r in rs] == ["0", "0", "0"]
    assert rs[0].findtext("TxnID") == invoice_id
    assert rs[2].findtext("InvoiceRet/Subtotal") == "0.00"
    assert rs[2].findtext("InvoiceRet/Memo").startswith("VOID:")
    assert qb.company.sales_order("1") is None


def test_company_round_trips_through_json(qb: QuickBooks, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from simulator.company import Company

    path = tmp_path / "company.json"
    qb.company.save(path)
    loaded = Company.load(path)
    assert loaded.to_dict() == qb.company.to_dict()
    assert Company.load(tmp_path / "missing.json").accounts  # defaults when missing
