"""A tenant whose simulated QuickBooks holds orders of every kind, for end-to-end retrieval tests."""

from __future__ import annotations

import pytest

from tests.sends.conftest import Customer
from tests.sends.conftest import customer as customer
from tests.simulator.conftest import message_set, rs_list


def qb_add(customer: Customer, *requests: str) -> list:
    response = customer.qb.process(message_set(*requests))
    results = rs_list(response)
    assert all(r.get("statusSeverity") != "Error" for r in results), response
    return results


def sales_order(customer_name: str, *lines: tuple[str, str, str], memo: str = "", ref: str | None = None, closed: bool = False) -> str:
    body = f"<CustomerRef><FullName>{customer_name}</FullName></CustomerRef><TxnDate>2026-11-10</TxnDate>"
    if ref:
        body += f"<RefNumber>{ref}</RefNumber>"
    if closed:
        body += "<IsManuallyClosed>true</IsManuallyClosed>"
    if memo:
        body += f"<Memo>{memo}</Memo>"
    for item, quantity, rate in lines:
        body += f"<SalesOrderLineAdd><ItemRef><FullName>{item}</FullName></ItemRef><Desc>{item} desc</Desc><Quantity>{quantity}</Quantity><Rate>{rate}</Rate></SalesOrderLineAdd>"
    return f"<SalesOrderAddRq><SalesOrderAdd>{body}</SalesOrderAdd></SalesOrderAddRq>"


@pytest.fixture
def stocked(customer: Customer) -> Customer:
    """Lists the seeded orders refer to: a categorised item and a customer with a non-ASCII name."""
    qb_add(
        customer,
        "<CustomerAddRq><CustomerAdd><Name>Café Müller</Name></CustomerAdd></CustomerAddRq>",
        "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Widgets</Name><SalesOrPurchase><AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>",
        "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Blue</Name><ParentRef><FullName>Widgets</FullName></ParentRef><SalesOrPurchase><Desc>Blue widget</Desc><AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>",
    )
    return customer
