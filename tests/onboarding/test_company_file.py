"""One company file per tenant: the first that reaches QuickBooks binds the tenant; another is refused
with a message naming both, nothing is lost; disconnect forgets the binding; a move replaces it."""

from __future__ import annotations

from simulator.faults import Faults
from tests.onboarding.conftest import DEFAULT_COMPANY_FILE, OTHER_FILE, connected
from tests.support.servers import LiveServer

RAW = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)


def test_another_company_file_gets_no_request_and_a_message_naming_both_files(
    live_server: LiveServer,
) -> None:
    onboarding = connected(live_server)
    tenant = onboarding.api.get(onboarding.url()).json()
    assert tenant["companyFile"] == DEFAULT_COMPANY_FILE
    job_id = onboarding.api.post(onboarding.url("/qbxml"), json={"qbxml": RAW}).json()["jobId"]
    processed = len(onboarding.qb.processed)

    result = onboarding.sync(faults=Faults(other_company_file=OTHER_FILE))
    # authenticate named the bound file; QuickBooks could not open it while another is open; qbbridge
    # asked once to retry with the open one, and then refused that one.
    assert result.auth_status == DEFAULT_COMPANY_FILE
    assert result.calls.count("connectionError") == 1
    assert result.requests_sent == 0 and len(onboarding.qb.processed) == processed
    assert OTHER_FILE in result.last_error and DEFAULT_COMPANY_FILE in result.last_error
    assert result.close_message == result.last_error
    # The connection shows it, the checklist too, and the work waits.
    connection = onboarding.connection()
    assert (
        OTHER_FILE in connection["lastConnectionError"]
        and DEFAULT_COMPANY_FILE in connection["lastConnectionError"]
    )
    assert connection["boundCompanyFile"] == DEFAULT_COMPANY_FILE
    steps = onboarding.steps()
    assert steps["requestAccess"]["status"] == "failed" and OTHER_FILE in steps["requestAccess"]["detail"]
    assert onboarding.job(job_id)["status"] == "queued"

    # With the right file open again, the queued work goes out.
    assert onboarding.sync().ok
    assert onboarding.job(job_id)["status"] == "succeeded"
    assert onboarding.status()["requestAccess"] == "done"


def test_a_session_that_does_not_name_the_file_is_refused_before_anything_is_claimed(
    live_server: LiveServer,
) -> None:
    """A connector that opens whatever is open (authenticate's file ignored) is still refused at its
    first sendRequestXML, and the session cannot be handed work afterwards."""
    from tests.support.webconnector import WebConnectorClient

    onboarding = connected(live_server)
    job_id = onboarding.api.post(onboarding.url("/qbxml"), json={"qbxml": RAW}).json()["jobId"]
    client = WebConnectorClient(live_server.qbwc_url)
    ticket, company = client.authenticate(onboarding.username, onboarding.token)[:2]
    assert company == DEFAULT_COMPANY_FILE
    hcp = onboarding.qb.host_response()
    assert client.send_request_xml(ticket, hcp=hcp, company_file=OTHER_FILE) == ""
    assert OTHER_FILE in client.get_last_error(ticket)
    assert client.send_request_xml(ticket, company_file=OTHER_FILE) == ""
    assert client.send_request_xml(ticket, company_file=DEFAULT_COMPANY_FILE) == ""
    assert onboarding.job(job_id)["status"] == "queued"
    # Case and slashes do not make another file.
    ticket = client.authenticate(onboarding.username, onboarding.token)[0]
    same = DEFAULT_COMPANY_FILE.upper().replace("\\", "/")
    assert "CustomerQueryRq" in client.send_request_xml(ticket, hcp=hcp, company_file=same)


def test_disconnect_forgets_the_binding_and_is_idempotent(live_server: LiveServer) -> None:
    onboarding = connected(live_server)
    old_token = onboarding.token
    job_id = onboarding.api.post(onboarding.url("/qbxml"), json={"qbxml": RAW}).json()["jobId"]
    first = onboarding.api.post(onboarding.url("/disconnect"))
    assert first.status_code == 200, first.text
    assert first.json()["hasToken"] is False and first.json()["companyFile"] == ""
    again = onboarding.api.post(onboarding.url("/disconnect"))
    assert again.status_code == 200 and again.json() == first.json()
    # The old token no longer logs in; the checklist is back to generating a token.
    assert onboarding.sync(password=old_token).auth_status == "nvu"
    assert onboarding.status()["generateToken"] == "notStarted"
    # On the new computer, another company file binds the tenant; the queued work was kept.
    onboarding.generate_token()
    result = onboarding.sync(company_file=OTHER_FILE)
    assert result.auth_status == "" and result.ok
    assert onboarding.connection()["boundCompanyFile"] == OTHER_FILE
    assert onboarding.job(job_id)["status"] == "succeeded"
    assert onboarding.api.post("/api/v1/tenants/no-such-tenant/disconnect").status_code == 404


def test_a_moved_company_file_is_bound_again_explicitly(live_server: LiveServer) -> None:
    onboarding = connected(live_server)
    moved = "D:\\QuickBooks\\Acme (moved).qbw"
    assert onboarding.sync(company_file=moved, faults=Faults(other_company_file=moved)).requests_sent == 0
    replaced = onboarding.api.put(onboarding.url("/binding"), json={"companyFile": moved})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["companyFile"] == moved
    assert onboarding.connection()["lastConnectionError"] is None
    result = onboarding.sync(company_file=moved)
    assert result.auth_status in ("none", moved)
    job_id = onboarding.api.post(onboarding.url("/qbxml"), json={"qbxml": RAW}).json()["jobId"]
    result = onboarding.sync(faults=Faults(other_company_file=moved))
    assert result.auth_status == moved and result.ok
    assert onboarding.job(job_id)["status"] == "succeeded"
    # Bad input: nothing changes.
    bad = onboarding.api.put(onboarding.url("/binding"), json={"companyFile": ""})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "companyFile"]
    assert onboarding.connection()["boundCompanyFile"] == moved
