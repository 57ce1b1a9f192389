"""Stored settings that no longer validate never stop a tenant: the default applies to each broken
option, GET …/settings reports it, the server logs it, and a Web Connector session works."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.foundation.helpers import queue_raw
from tests.sends.conftest import Customer
from tests.support.payloads import SALES_ORDER

# What an older version accepted, or a hand edit wrote: each option is broken in its own way.
BROKEN: dict[str, Any] = {
    "retrievalIntervalMinutes": 2_000_000_000_000,
    "retrievals": {"salesOrder": {"enabled": True, "automatic": True}},
    "syncWindow": None,
    "timezone": "Mars/Olympus_Mons",
    "inventory": {"tag": "x" * 300, "adjustmentMemo": "Counted"},
    "noSuchOption": True,
    "customFieldsToQuickbooks": [{"quickbooks": "Fusion Code", "fusion": "Code"}],
}
BROKEN_PATHS = {
    "retrievalIntervalMinutes",
    "timezone",
    "inventory.tag",
    "noSuchOption",
    "customFieldsToQuickbooks",
}


def _store(customer: Customer, document: Any) -> None:
    engine = create_engine(customer.server.database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE tenants SET settings = :doc WHERE id = :id"),
            {"doc": json.dumps(document), "id": customer.tenant_id},
        )
    engine.dispose()


def _stored(customer: Customer) -> Any:
    engine = create_engine(customer.server.database_url)
    with engine.connect() as connection:
        value = connection.execute(
            text("SELECT settings FROM tenants WHERE id = :id"), {"id": customer.tenant_id}
        ).scalar_one()
    engine.dispose()
    return json.loads(value) if isinstance(value, str) else value


def test_a_tenant_whose_stored_settings_do_not_validate_still_connects_and_works(customer: Customer) -> None:
    _store(customer, BROKEN)
    job_id = queue_raw(customer.api, customer.tenant_id)

    result = customer.sync()

    assert result.auth_status not in (None, "nvu"), result
    assert result.ok, (result.last_error, result.close_message)
    assert customer.job(job_id)["status"] == "succeeded"
    # The valid options still apply (automatic retrievals, memo), the broken ones have their default.
    settings = customer.api.get(customer.url("/settings")).json()
    assert settings["retrievalIntervalMinutes"] == 30
    assert settings["timezone"] == "America/New_York"
    assert settings["inventory"] == {**settings["inventory"], "tag": "Quickbooks", "adjustmentMemo": "Counted"}
    assert settings["retrievals"]["salesOrder"] == {"enabled": True, "automatic": True}
    assert settings["customFieldsToQuickbooks"] == []
    assert {problem["path"] for problem in settings["problems"]} == BROKEN_PATHS
    assert all(problem["message"] for problem in settings["problems"])
    # The automatic retrieval the valid options ask for was queued at that login.
    kinds = [job["kind"] for job in customer.api.get(customer.url("/jobs")).json()["items"]]
    assert "retrieval" in kinds
    customer.sync()
    customer.api.get(customer.url("/settings"))
    log = customer.server.log_text()
    # Logged once, however often the settings are read.
    assert log.count(f"tenant {customer.tenant_id}: stored settings do not validate") == 1
    assert "retrievalIntervalMinutes" in log


def test_sends_work_with_broken_stored_settings(customer: Customer) -> None:
    _store(customer, {"documentNumber": "noSuchChoice", "sends": {"salesOrder": {"enabled": "perhaps"}}})
    accepted = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-REPAIR"})
    customer.sync_until_idle()
    assert customer.job(accepted["jobId"])["status"] == "succeeded"


@pytest.mark.parametrize("document", [[1, 2], "text", 17])
def test_a_stored_document_that_is_not_an_object_gives_the_defaults(customer: Customer, document: Any) -> None:
    _store(customer, document)
    settings = customer.api.get(customer.url("/settings")).json()
    assert settings["problems"] == [
        {"path": "settings", "message": "the stored settings are not a JSON object; every option has its default"}
    ]
    assert customer.sync().ok


def test_a_put_repairs_the_stored_document(customer: Customer) -> None:
    _store(customer, BROKEN)
    response = customer.api.put(customer.url("/settings"), json={"documentNumber": "orderCode", "problems": []})
    assert response.status_code == 200, response.text
    assert response.json()["problems"] == []
    assert response.json()["documentNumber"] == "orderCode"
    stored = _stored(customer)
    assert stored["retrievalIntervalMinutes"] == 30 and "noSuchOption" not in stored
    assert customer.api.get(customer.url("/settings")).json()["problems"] == []


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"retrievalIntervalMinutes": 2_000_000_000_000}, "retrievalIntervalMinutes"),
        ({"retrievalIntervalMinutes": 0}, "retrievalIntervalMinutes"),
        ({"retrievalIntervalMinutes": 10081}, "retrievalIntervalMinutes"),
        ({"timezone": "x" * 65}, "timezone"),
        ({"inventory": {"adjustmentMemo": "m" * 4096}}, "inventory.adjustmentMemo"),
        ({"inventory": {"tag": "t" * 256}}, "inventory.tag"),
        ({"syncWindow": {"start": "١٩:٠٠", "end": "07:00"}}, "syncWindow.start"),
        ({"syncWindow": {"start": "19:00\n", "end": "07:00"}}, "syncWindow.start"),
        ({"createMissingItems": {"enabled": True, "incomeAccountId": "8" * 37}}, "createMissingItems.incomeAccountId"),
    ],
)
def test_every_setting_is_bounded(customer: Customer, patch: dict[str, Any], path: str) -> None:
    response = customer.api.put(customer.url("/settings"), json=patch)
    assert response.status_code == 422, response.text
    assert ["body", *path.split(".")] in [issue["loc"] for issue in response.json()["detail"]]
    assert customer.api.get(customer.url("/settings")).json()["retrievalIntervalMinutes"] == 30


def test_the_largest_allowed_values_are_accepted(customer: Customer) -> None:
    response = customer.api.put(
        customer.url("/settings"),
        json={"retrievalIntervalMinutes": 10080, "inventory": {"adjustmentMemo": "m" * 4095, "tag": "t" * 255}},
    )
    assert response.status_code == 200, response.text
    assert customer.sync().ok
