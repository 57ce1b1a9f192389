"""Explanations a bookkeeper reads on a failed job or the connection, end to end with the simulated
QuickBooks: each names only settings that exist and change that flow's outcome, by their name on the
integration page and their API key, and each reads as plain sentences."""

from __future__ import annotations

import copy

from tests.sends.conftest import Customer
from tests.support.payloads import PRODUCTION_ORDER, RECEIVING, SALES_ORDER
from tests.support.sentences import grammar_problems
from tests.support.webconnector import WebConnectorClient


def _failed_error(customer: Customer, job_id: str) -> str:
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "failed", job
    error = str(job["error"])
    assert grammar_problems(error[error.index(": ") + 2 :] if ": " in error[:80] else error) == [], error
    return error


def test_a_sales_order_item_quickbooks_lacks_offers_no_setting_that_does_not_apply(customer: Customer) -> None:
    order = copy.deepcopy(SALES_ORDER)
    order["rows"][0]["product"]["code"] = "GADGET-9"
    error = _failed_error(customer, customer.send("/sales-orders", order)["jobId"])
    assert 'QuickBooks has no item "GADGET-9", which this sales order line refers to.' in error, error
    # "Create missing items" applies to purchase orders only: it is not offered here.
    assert "Create missing" not in error and "or change the name in Fusion Operations, then retry." in error


def test_a_customer_quickbooks_lacks_offers_the_customer_name_setting(customer: Customer) -> None:
    order = copy.deepcopy(SALES_ORDER)
    order["client"]["code"] = "NEWCO"
    error = _failed_error(customer, customer.send("/sales-orders", order)["jobId"])
    assert "Create missing customers" not in error, error
    assert 'or choose another "Quickbooks Customer Name" (setting customerName), then retry.' in error, error


def test_a_custom_field_quickbooks_lacks_is_named_with_its_setting_not_a_relink(customer: Customer) -> None:
    customer.settings({"entityCodeCustomField": "No Such Field"})
    error = _failed_error(customer, customer.send("/sales-orders", SALES_ORDER)["jobId"])
    assert 'QuickBooks has no custom field "No Such Field"' in error, error
    assert '"Save Fusion Operations Entity Code to Quickbooks Custom Field" (setting entityCodeCustomField)' in error
    assert "re-link" not in error.lower()


def test_an_employee_quickbooks_lacks_offers_create_missing_employee_while_it_is_off(customer: Customer) -> None:
    order = copy.deepcopy(PRODUCTION_ORDER)
    order["timeRecords"][0]["worker"]["name"] = "Bo Lind"
    error = _failed_error(customer, customer.send("/production-orders", order)["jobId"])
    assert 'turn on "Create missing employee" (setting timesheets.createMissingEmployee)' in error, error


def test_a_receiving_of_a_purchase_order_never_sent_is_refused_in_plain_words(customer: Customer) -> None:
    response = customer.api.post(customer.url("/receivings"), json=RECEIVING)
    assert response.status_code == 422
    message = response.json()["detail"][0]["msg"]
    assert "so there is no purchase order there to bill this receiving against" in message, message
    assert "receiving to bill" not in message


def test_a_connection_error_says_once_what_happened(customer: Customer) -> None:
    wc = WebConnectorClient(customer.server.qbwc_url)
    customer.send("/sales-orders", SALES_ORDER)
    ticket, _ = wc.authenticate(customer.username, customer.token)
    assert wc.connection_error(ticket, "0x80040408", "Could not start QuickBooks.") == "done"
    text = customer.api.get(customer.url("/connection")).json()["lastConnectionError"]
    assert text == (
        "The Web Connector could not start QuickBooks. Open QuickBooks with the company file on that computer "
        "(and close any dialog it shows), then run the Web Connector again. The Web Connector said: "
        '"Could not start QuickBooks." Web Connector error code: 0x80040408.'
    )
    assert grammar_problems(text) == []
