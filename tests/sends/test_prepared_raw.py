"""A raw qbXML step that declares its version is prepared once, when it is queued, and on PostgreSQL
its claim marks it sent from that preparation (db/queue/sql.py, ``_PREPARED_READY``; docs/qbwc.md,
"Raw qbXML"). What the Web Connector is handed, and what the step keeps of it, must be exactly what
rendering it at claim time writes (``requests_builder.raw.prepare_raw_qbxml``), on both databases,
for every host that takes the document as it is; any other host, a reconciliation, a document
without a version and one that already holds the stand-in are rendered at claim time, as before."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from db import batch, queue
from db import tenants as tenant_repo
from db.engine import Database
from db.models import Job, Step, WcSession, utcnow
from db.secrets import digest
from db.transaction import begin
from mapping import jobs as job_rules
from qbwc.options import ServiceOptions
from qbwc.service import WebConnectorService
from requests_builder.raw import check_and_template_raw_qbxml, prepare_raw_qbxml, version_level
from tests.support.servers import migrated_database

STAND_IN = queue.STEP_ID_STAND_IN


def raw(version: str | None = "13.0", *, body: str | None = None) -> str:
    header = f'<?qbxml version="{version}"?>' if version else ""
    body = body or (
        "<CustomerQueryRq><FullName>ACME &amp; Sons</FullName></CustomerQueryRq>"
        '<VendorQueryRq requestID="theirs"><FullName>STEELCO</FullName></VendorQueryRq>'
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{header}<QBXML>'
        f'<QBXMLMsgsRq onError="stopOnError">{body}</QBXMLMsgsRq></QBXML>'
    )


# --- the template against the rendering it stands for (no database) ----------------------------

DOCUMENTS = {
    "two requests, one with its own requestID": raw(),
    "a comment, a CDATA section and text beyond ASCII": raw(
        body="<!-- sent by the ERP --><CustomerAddRq><CustomerAdd><Name><![CDATA[Müller <GmbH>]]></Name>"
        "<Notes>naïve – “quoted” 𝄞</Notes></CustomerAdd></CustomerAddRq>"
    ),
    "an old version": raw("2.1"),
    "a version newer than any host": raw("99.0"),
    "a version without its minor number": raw("13"),
    "many requests": raw(
        body="".join(f"<ItemQueryRq><FullName>I{n}</FullName></ItemQueryRq>" for n in range(40))
    ),
}


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
@pytest.mark.parametrize("host", ["2.1", "13.0", "16.0"])
def test_the_template_filled_in_is_what_rendering_writes_on_every_host_that_takes_it(
    document: str, host: str
) -> None:
    check, template = check_and_template_raw_qbxml(document, stand_in=STAND_IN)
    assert template is not None and check.version is not None
    assert template.level == version_level(check.version)
    assert template.requests == len(check.request_types)
    rendered = prepare_raw_qbxml(document, request_id_prefix="4711", host_max_version=host)
    if version_level(host) >= template.level:
        assert template.xml.replace(STAND_IN, "4711") == rendered.xml
        assert rendered.request_ids == [f"4711.{n}" for n in range(template.requests)]
    else:
        # An older host gets the document with its own version header: the claim must not use it.
        assert template.xml.replace(STAND_IN, "4711") != rendered.xml


@pytest.mark.parametrize(
    "document",
    [
        raw(None),
        raw(body=f"<CustomerQueryRq><FullName>{STAND_IN}</FullName></CustomerQueryRq>"),
        raw(body=f"<!-- {STAND_IN} --><CustomerQueryRq><FullName>ACME</FullName></CustomerQueryRq>"),
    ],
    ids=["no version", "the stand-in in a name", "the stand-in in a comment"],
)
def test_a_document_without_a_version_or_holding_the_stand_in_gets_no_template(document: str) -> None:
    check, template = check_and_template_raw_qbxml(document, stand_in=STAND_IN)
    assert template is None and check.request_types


# --- a session's claim, on both databases --------------------------------------------------------


def new_tenant(database: Database) -> tuple[str, str, str]:
    """A tenant's id, Web Connector username and token."""
    with database.transaction() as session:
        created = tenant_repo.create_tenant(session, "Prepared raw")
        token = tenant_repo.issue_token(session, created)
        return created.id, created.qbwc_username, token


@pytest.fixture
def tenant(database: Database) -> tuple[str, str, str]:
    return new_tenant(database)


@pytest.fixture(scope="module")
def pg_database(postgres_url: str) -> Iterator[Database]:
    """For what only PostgreSQL does: SQLite runs no batch in one round trip."""
    yield from migrated_database(postgres_url)


def queue_raw(database: Database, tenant_id: str, qbxml: str) -> int:
    with database.transaction() as session:
        job = job_rules.queue_raw_qbxml(session, tenant_id=tenant_id, qbxml=qbxml)
        return job.id


def step_of(database: Database, job_id: int) -> Step:
    with database.sessions() as session:
        step = session.scalars(select(Step).where(Step.job_id == job_id)).one()
        session.expunge_all()
    return step


def answer(xml: str, status: int = 0) -> str:
    """QuickBooks' answer to every request of ``xml``, each with ``status``."""
    responses = "".join(
        f'<{kind[:-2]}Rs requestID="{request_id}" statusCode="{status}" statusSeverity='
        f'"{"Info" if status == 0 else "Error"}" statusMessage="{"Status OK" if status == 0 else "No"}"/>'
        for kind, request_id in re.findall(r'<(\w+Rq) requestID="([^"]+)"', xml)
    )
    return f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{responses}</QBXMLMsgsRs></QBXML>'


class Connector:
    """The calls of one Web Connector session, as the service receives them."""

    def __init__(self, database: Database, username: str, token: str, version: str = "13.0") -> None:
        self.service = WebConnectorService(database, ServiceOptions())
        ticket, _ = self.service.authenticate(username, token)
        assert ticket
        self.ticket = ticket
        self.major, _, minor = version.partition(".")
        self.minor = minor

    def send(self) -> str:
        return self.service.send_request_xml(
            self.ticket, "", "C:\\Books.qbw", "US", int(self.major), int(self.minor)
        )

    def receive(self, response: str) -> int:
        return self.service.receive_response_xml(self.ticket, response, "", "")


class _RolledBack(Exception):
    pass


def claim_once(database: Database, ticket: str) -> queue.StepRef | None:
    """The claim a sendRequestXML starts with (``queue.start_send``), rolled back: what it hands out."""
    now = utcnow()
    touch = queue.touch_params(digest(ticket), now=now, cutoff=now.replace(year=now.year - 1))
    with pytest.raises(_RolledBack) as caught, begin(database) as work:
        raise _RolledBack(queue.start_send(work, touch, orphan_reason="test").step)
    claimed: queue.StepRef | None = caught.value.args[0]
    return claimed


def queued_session(
    database: Database,
    documents: list[str],
    *,
    tenant: tuple[str, str, str] | None = None,
    version: str = "13.0",
) -> tuple[Connector, list[int]]:
    """A job queued for each document (for a new tenant unless one is given), and a session of the
    tenant's Web Connector on a host of ``version``."""
    tenant_id, username, token = tenant or new_tenant(database)
    jobs = [queue_raw(database, tenant_id, document) for document in documents]
    return Connector(database, username, token, version), jobs


def test_a_prepared_step_is_handed_out_and_kept_exactly_as_rendering_writes_it(
    database: Database, tenant: tuple[str, str, str]
) -> None:
    document = raw()
    connector, [job_id] = queued_session(database, [document], tenant=tenant)
    queued = step_of(database, job_id)
    assert queued.prepared_request is not None and queued.prepared_level == 1300
    assert queued.prepared_requests == 2

    sent = connector.send()
    expected = prepare_raw_qbxml(document, request_id_prefix=str(queued.id), host_max_version="13.0")
    assert sent == expected.xml
    step = step_of(database, job_id)
    assert (step.state, step.request, step.request_ids) == ("in_flight", expected.xml, expected.request_ids)
    assert step.attempts == 1 and step.sent_qbxml_version is None

    assert connector.receive(answer(sent)) == 100
    step = step_of(database, job_id)
    assert step.state == "succeeded" and step.prepared_request is None
    with database.sessions() as session:
        assert session.get(Job, job_id).status == "succeeded"  # type: ignore[union-attr]


def settled_once(database: Database, tenant: tuple[str, str, str]) -> Connector:
    """A session that handed out one prepared request and settled its answer: its version is known
    (from its first sendRequestXML) and it has nothing out."""
    connector, [job_id] = queued_session(database, [raw()], tenant=tenant)
    connector.receive(answer(connector.send()))
    assert step_of(database, job_id).state == "succeeded"
    return connector


def test_on_postgresql_the_claim_itself_marks_a_prepared_step_sent(
    database: Database, tenant: tuple[str, str, str]
) -> None:
    connector = settled_once(database, tenant)
    second = queue_raw(database, tenant[0], raw())
    claimed = claim_once(database, connector.ticket)
    assert claimed is not None and claimed.job_id == second
    if database.is_postgresql:
        step_id = step_of(database, second).id
        assert (
            claimed.sent_xml
            == prepare_raw_qbxml(raw(), request_id_prefix=str(step_id), host_max_version="13.0").xml
        )
        assert claimed.request_ids == [f"{step_id}.0", f"{step_id}.1"]
        # Nothing to render: the claim did not read the document back.
        assert claimed.intent == {}
    else:
        assert claimed.sent_xml is None and claimed.intent == {"qbxml": raw()}
    # Rolled back: the step is still queued, with nothing stored as sent.
    step = step_of(database, second)
    assert (step.state, step.request, step.request_ids, step.attempts) == ("queued", None, [], 0)


@pytest.mark.parametrize(("document_version", "host"), [("13.0", "10.0"), ("16.0", "13.0")])
def test_a_host_older_than_the_document_gets_it_rendered_for_its_own_version(
    database: Database, tenant: tuple[str, str, str], document_version: str, host: str
) -> None:
    document = raw(document_version)
    connector, [job_id] = queued_session(database, [document], tenant=tenant, version=host)
    sent = connector.send()
    step = step_of(database, job_id)
    assert f'<?qbxml version="{host}"?>' in sent
    assert sent == prepare_raw_qbxml(document, request_id_prefix=str(step.id), host_max_version=host).xml
    assert step.request == sent and step.request_ids == [f"{step.id}.0", f"{step.id}.1"]


@pytest.mark.parametrize(
    ("document", "kept"),
    [
        (raw(None), '<?qbxml version="13.0"?>'),
        (
            raw(body=f"<CustomerQueryRq><FullName>{STAND_IN}</FullName></CustomerQueryRq>"),
            f"<FullName>{STAND_IN}<",
        ),
    ],
    ids=["no version", "the stand-in in a name"],
)
def test_a_step_without_a_preparation_is_rendered_at_claim_time_as_before(
    database: Database, tenant: tuple[str, str, str], document: str, kept: str
) -> None:
    connector, [job_id] = queued_session(database, [document], tenant=tenant)
    assert step_of(database, job_id).prepared_request is None
    sent = connector.send()
    step = step_of(database, job_id)
    assert sent == prepare_raw_qbxml(document, request_id_prefix=str(step.id), host_max_version="13.0").xml
    # The host's version for a document without one; what the person wrote, the stand-in included.
    assert kept in sent
    assert step.request == sent
    assert connector.receive(answer(sent)) == 100


def test_a_retried_step_is_sent_again_as_it_was_with_the_same_request_ids(
    database: Database, tenant: tuple[str, str, str]
) -> None:
    connector, [job_id] = queued_session(database, [raw()], tenant=tenant)
    first = connector.send()
    connector.receive(answer(first, status=3100))
    # Not kept past the step's end (a second copy of the payload): the retry renders it.
    assert step_of(database, job_id).prepared_request is None
    with database.transaction() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "failed"
        job_rules.retry(session, job, now=utcnow())
    _, username, token = tenant
    again = Connector(database, username, token, "13.0").send()
    assert again == first
    step = step_of(database, job_id)
    assert step.attempts == 2 and step.request == first


def test_a_step_whose_answer_was_lost_is_not_sent_again(
    database: Database, tenant: tuple[str, str, str]
) -> None:
    connector, [job_id] = queued_session(database, [raw()], tenant=tenant)
    assert connector.send()
    # The Web Connector asks again without answering: the first request's outcome is unknown, and
    # a raw step cannot be reconciled, so it waits for a person instead of going out twice.
    assert connector.send() == ""
    step = step_of(database, job_id)
    assert step.state == "unknown_outcome" and step.attempts == 1


def test_a_step_queued_before_preparations_existed_is_rendered_as_before(
    database: Database, tenant: tuple[str, str, str]
) -> None:
    document = raw()
    connector, [job_id] = queued_session(database, [document], tenant=tenant)
    # As migration 0020 leaves a step queued before it: no preparation.
    with database.transaction() as session:
        session.execute(
            update(Step)
            .where(Step.job_id == job_id)
            .values(prepared_request=None, prepared_level=None, prepared_requests=None)
        )
    sent = connector.send()
    step = step_of(database, job_id)
    assert sent == prepare_raw_qbxml(document, request_id_prefix=str(step.id), host_max_version="13.0").xml
    assert connector.receive(answer(sent)) == 100


# --- a whole sendRequestXML in one round trip (PostgreSQL) --------------------------------------


class RoundTrips:
    """Counts the round trips of PostgreSQL batches (``db.batch._exchange``: one per batch), as a
    spy that still runs every one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = batch._exchange

        def counted(pgconn: Any) -> Any:
            self.count += 1
            return real(pgconn)

        monkeypatch.setattr(batch, "_exchange", counted)


def session_row(database: Database, ticket: str) -> WcSession:
    with database.sessions() as session:
        row = session.scalars(select(WcSession).where(WcSession.ticket_digest == digest(ticket))).one()
        session.expunge_all()
    return row


def test_a_prepared_step_goes_out_in_one_round_trip_once_the_session_is_known(
    pg_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = pg_database
    connector, jobs = queued_session(database, [raw()] * 3)
    trips = RoundTrips(monkeypatch)
    for job_id in jobs:
        before = trips.count
        sent = connector.send()
        step = step_of(database, job_id)
        assert sent == prepare_raw_qbxml(raw(), request_id_prefix=str(step.id), host_max_version="13.0").xml
        assert (step.state, step.request, step.attempts) == ("in_flight", sent, 1)
        # Touch, claim and COMMIT in one; the first call of a session (the host's description, and
        # with it the session's version) is the usual two.
        assert trips.count - before == 1
        assert connector.receive(answer(sent)) >= 0
    assert [step_of(database, job_id).state for job_id in jobs] == ["succeeded"] * 3


def test_a_session_whose_steps_are_rendered_tries_one_round_trip_once(
    pg_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = pg_database
    # Three rendered when claimed (no version), then one prepared.
    connector, jobs = queued_session(database, [raw(None)] * 3 + [raw()])
    trips = RoundTrips(monkeypatch)
    spent = []
    for job_id in jobs:
        before = trips.count
        sent = connector.send()
        step = step_of(database, job_id)
        assert step.request == sent and step.state == "in_flight"
        spent.append(trips.count - before)
        connector.receive(answer(sent))
    # The try that found a step to render (3: the try, then claim and store), then the usual two;
    # the prepared step after them goes in the usual two (claim, COMMIT), and the session is
    # remembered as one to try again.
    assert spent == [3, 2, 2, 2]
    assert connector.service._prepared_last[digest(connector.ticket)] is True


def test_one_round_trip_ends_the_wait_the_session_was_asked_for_and_only_when_it_claims(
    database: Database, tenant: tuple[str, str, str]
) -> None:
    connector = settled_once(database, tenant)
    with database.transaction() as session:
        session.execute(
            update(WcSession)
            .where(WcSession.ticket_digest == digest(connector.ticket))
            .values(wait_requested=True, waits=1)
        )
    # Nothing to claim: the wait stands.
    connector.service.send_request_xml(connector.ticket, "", "C:\\Books.qbw", "US", 13, 0)
    assert session_row(database, connector.ticket).wait_requested is True
    second = queue_raw(database, tenant[0], raw())
    assert connector.send()
    assert step_of(database, second).state == "in_flight"
    assert session_row(database, connector.ticket).wait_requested is False


# --- a receiveResponseXML that settles one step commits in the batch that settles it -------------


def test_an_answer_that_settles_a_step_commits_in_its_settling_batch(
    pg_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = pg_database
    connector, jobs = queued_session(database, [raw()] * 2)
    trips = RoundTrips(monkeypatch)
    progress = []
    for job_id in jobs:
        sent = connector.send()
        before = trips.count
        progress.append(connector.receive(answer(sent)))
        # The touch with the read of the step out, then the settling batch with the COMMIT.
        assert trips.count - before == 2
        assert step_of(database, job_id).state == "succeeded"
    assert progress == [50, 100]


def _two_step_job(database: Database, tenant_id: str, *, depends_on: int | None = None) -> int:
    with database.transaction() as session:
        job = queue.enqueue(
            session,
            tenant_id=tenant_id,
            kind="raw_qbxml",
            payload={},
            steps=[queue.NewStep(kind="raw_qbxml", intent={"qbxml": raw()}) for _ in range(2)],
            depends_on_job_id=depends_on,
        )
        return job.id


def cancelled_while_out(database: Database, tenant: tuple[str, str, str]) -> tuple[Connector, str, int, int]:
    """A two-step job whose first step is out when a person cancels the job, and a job waiting for
    it: the connector, the request it holds, the job and the one waiting."""
    tenant_id, username, token = tenant
    job_id = _two_step_job(database, tenant_id)
    waiting = _two_step_job(database, tenant_id, depends_on=job_id)
    connector = Connector(database, username, token, "13.0")
    sent = connector.send()
    with database.transaction() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job_rules.cancel(session, job, now=utcnow())
    return connector, sent, job_id, waiting


def test_a_success_whose_job_was_cancelled_meanwhile_fails_the_jobs_waiting_for_it(
    database: Database, tenant: tuple[str, str, str]
) -> None:
    """The job's new status (cancelled) needs work after the settling: its dependents failed. On
    PostgreSQL the settling batch meant to commit is refused before its COMMIT, and the call is made
    again with that work in it; nothing is lost or done twice."""
    connector, sent, job_id, waiting = cancelled_while_out(database, tenant)
    assert connector.receive(answer(sent)) == 100
    with database.sessions() as session:
        states = {
            s.position: s.state for s in session.scalars(select(Step).where(Step.job_id == job_id)).all()
        }
        assert states == {0: "succeeded", 1: "cancelled"}
        assert session.get(Job, job_id).status == "cancelled"  # type: ignore[union-attr]
        assert session.get(Job, waiting).status == "failed"  # type: ignore[union-attr]
    # The answer was counted once.
    assert session_row(database, connector.ticket).steps_done == 1


def test_a_refused_commit_is_made_again_in_full_and_costs_one_more_transaction(
    pg_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector, sent, _, waiting = cancelled_while_out(pg_database, new_tenant(pg_database))
    trips = RoundTrips(monkeypatch)
    assert connector.receive(answer(sent)) == 100
    # Touch and settle refused (2), then touch, settle, the job's follow-up and COMMIT again.
    assert trips.count > 4
    with pg_database.sessions() as session:
        assert session.get(Job, waiting).status == "failed"  # type: ignore[union-attr]
