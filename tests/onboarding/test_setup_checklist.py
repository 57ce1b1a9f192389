"""The five setup steps, each derived from what happened, over real HTTP with the simulator."""

from __future__ import annotations

from simulator.faults import Faults
from tests.onboarding.conftest import DEFAULT_COMPANY_FILE, Onboarding, connected, new_onboarding
from tests.support.servers import LiveServer


def test_the_five_steps_end_to_end(onboarding: Onboarding) -> None:
    assert onboarding.status() == dict.fromkeys(
        ["installConnector", "generateToken", "testConnection", "requestAccess", "testAccess"], "notStarted"
    )
    assert onboarding.api.get(onboarding.url("/qwc")).status_code == 200
    steps = onboarding.steps()
    assert steps["installConnector"]["status"] == "pending" and steps["installConnector"]["at"]
    assert "Update Selected" in steps["installConnector"]["detail"]

    onboarding.generate_token()
    assert onboarding.status()["generateToken"] == "done"
    assert onboarding.status()["testConnection"] == "pending"

    # The first session has no work, yet QuickBooks is opened once: the connection is tested, QuickBooks
    # lets qbbridge in, and the connection shows what was found.
    result = onboarding.sync()
    assert result.auth_status == ""
    assert result.calls.count("sendRequestXML") == 1 and result.requests_sent == 0
    assert result.last_error == "qbbridge has nothing more to send. The update is complete."
    status = onboarding.status()
    assert status["installConnector"] == status["testConnection"] == status["requestAccess"] == "done"
    assert status["testAccess"] == "notStarted"
    connection = onboarding.connection()
    assert connection["webConnectorVersion"] == "2.3.0.215"
    assert connection["companyFile"] == DEFAULT_COMPANY_FILE
    assert connection["boundCompanyFile"] == DEFAULT_COMPANY_FILE
    assert connection["quickbooksProduct"] == onboarding.qb.host.product_name
    assert connection["qbxmlVersion"] == "13.0" and connection["country"] == "US"
    assert "13.0" in connection["supportedQbxmlVersions"]
    # Once QuickBooks was reached with this token, a session with no work does not open it again.
    assert onboarding.sync().auth_status == "none"

    accepted = onboarding.api.post(onboarding.url("/setup/test-access"))
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["jobId"]
    assert onboarding.status()["testAccess"] == "pending"
    # A second call while it waits answers the same job.
    assert onboarding.api.post(onboarding.url("/setup/test-access")).json()["jobId"] == job_id
    assert onboarding.sync().ok
    job = onboarding.job(job_id)
    assert job["status"] == "succeeded", job
    assert [s["state"] for s in job["steps"]] == ["succeeded", "succeeded"]
    assert "DataExtDefQueryRq" in job["steps"][0]["request"]
    assert "DataExtDefAddRq" in job["steps"][1]["request"]
    body = onboarding.api.get(onboarding.url("/setup")).json()
    assert body["ready"] is True
    # The definition is private to qbbridge (its OwnerID), never one a QuickBooks user sees (OwnerID 0).
    private = [d for d in onboarding.qb.company.dataext_defs if d["DataExtName"] == "qbbridge access check"]
    assert len(private) == 1 and private[0]["OwnerID"] != "0"

    # Testing again reuses the definition (QuickBooks says the name is in use): still done.
    again = onboarding.api.post(onboarding.url("/setup/test-access")).json()["jobId"]
    assert again != job_id
    assert onboarding.sync().ok
    assert onboarding.job(again)["status"] == "succeeded"
    assert onboarding.status()["testAccess"] == "done"


def test_test_access_before_any_connection_says_what_must_happen_first(live_server: LiveServer) -> None:
    onboarding = new_onboarding(live_server)
    refused = onboarding.api.post(onboarding.url("/setup/test-access"))
    assert refused.status_code == 409
    assert "Generate a token" in refused.json()["detail"]
    onboarding.generate_token()
    refused = onboarding.api.post(onboarding.url("/setup/test-access"))
    assert refused.status_code == 409 and "Web Connector" in refused.json()["detail"]
    assert onboarding.api.get(onboarding.url("/jobs")).json()["items"] == []
    steps = onboarding.steps()
    assert steps["testAccess"]["status"] == "notStarted"
    assert "after requesting access" in steps["testAccess"]["detail"]
    assert onboarding.api.post("/api/v1/tenants/no-such-tenant/setup/test-access").status_code == 404
    assert onboarding.api.get("/api/v1/tenants/no-such-tenant/setup").status_code == 404


def test_a_wrong_password_fails_test_connection_and_a_new_token_resets_later_steps(
    live_server: LiveServer,
) -> None:
    onboarding = new_onboarding(live_server, token=True)
    result = onboarding.sync(password="not-the-token")
    assert result.auth_status == "nvu"
    steps = onboarding.steps()
    assert steps["installConnector"]["status"] == "done"  # the connector knows the user name
    assert steps["testConnection"]["status"] == "failed"
    assert "current token" in steps["testConnection"]["detail"]
    assert onboarding.sync().auth_status == ""
    assert onboarding.status()["requestAccess"] == "done"
    # A new token: the connection must be tested again with it, and QuickBooks reached again.
    onboarding.generate_token()
    status = onboarding.status()
    assert status["testConnection"] == "pending" and status["requestAccess"] == "notStarted"
    result = onboarding.sync()
    # QuickBooks is opened again, with the company file the tenant is bound to named.
    assert result.auth_status == DEFAULT_COMPANY_FILE and "sendRequestXML" in result.calls
    assert onboarding.status()["requestAccess"] == "done"


def test_access_denied_in_quickbooks_fails_request_access(live_server: LiveServer) -> None:
    onboarding = new_onboarding(live_server, token=True)
    result = onboarding.sync(faults=Faults(deny_access=True))
    assert not result.ok
    steps = onboarding.steps()
    assert steps["testConnection"]["status"] == "done"
    assert steps["requestAccess"]["status"] == "failed"
    assert "Integrated Applications" in steps["requestAccess"]["detail"]
    assert onboarding.connection()["lastConnectionError"] == steps["requestAccess"]["detail"]
    # Allowed in QuickBooks: the next update gets in.
    assert "sendRequestXML" in onboarding.sync().calls
    assert onboarding.status()["requestAccess"] == "done"


def test_quickbooks_busy_with_a_dialog_fails_request_access(live_server: LiveServer) -> None:
    onboarding = new_onboarding(live_server, token=True)
    assert not onboarding.sync(faults=Faults(dialog=True)).ok
    steps = onboarding.steps()
    assert steps["requestAccess"]["status"] == "failed"
    assert "close the open QuickBooks window" in steps["requestAccess"]["detail"]
    assert "0x80040414" in steps["requestAccess"]["detail"]


def test_read_only_access_fails_test_access(live_server: LiveServer) -> None:
    onboarding = connected(live_server)
    job_id = onboarding.api.post(onboarding.url("/setup/test-access")).json()["jobId"]
    onboarding.sync(faults=Faults(read_only=True))
    job = onboarding.job(job_id)
    assert job["status"] == "failed"
    assert [s["state"] for s in job["steps"]] == ["succeeded", "failed"]  # read, then the refused write
    steps = onboarding.steps()
    assert steps["testAccess"]["status"] == "failed"
    assert "read-only access" in steps["testAccess"]["detail"]
    assert "Integrated Applications" in steps["testAccess"]["detail"]
    # Once write access is given, testing again succeeds.
    onboarding.api.post(onboarding.url("/setup/test-access"))
    assert onboarding.sync().ok
    assert onboarding.status()["testAccess"] == "done"


def test_a_non_us_company_tests_reading_only(live_server: LiveServer) -> None:
    from tests.sends.conftest import new_company

    onboarding = new_onboarding(live_server, token=True)
    onboarding.qb = new_company(country="CA")
    onboarding.sync()
    assert onboarding.status()["requestAccess"] == "done"
    job_id = onboarding.api.post(onboarding.url("/setup/test-access")).json()["jobId"]
    assert onboarding.sync().ok
    job = onboarding.job(job_id)
    assert job["status"] == "succeeded" and len(job["steps"]) == 1
    assert onboarding.status()["testAccess"] == "done"


def test_without_the_qwc_download_a_session_without_work_does_not_open_quickbooks(
    live_server: LiveServer,
) -> None:
    """A connector set up outside the onboarding (no .qwc downloaded from qbbridge) is told "none"
    while there is no work, as before; the checklist still sees the connection tested."""
    onboarding = new_onboarding(live_server, token=True, qwc=False)
    result = onboarding.sync()
    assert result.ok and result.auth_status == "none"
    status = onboarding.status()
    assert status["installConnector"] == status["testConnection"] == "done"
    assert status["requestAccess"] == "pending"
