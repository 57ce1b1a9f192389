"""Rows as qbbridge wrote them at each migration head, to upgrade from (``test_upgrades.py``).

``FIXTURES[revision]`` fills a database whose schema is at ``revision`` with what a running service
would hold then: the admin key's digest, tenants with a Web Connector token and a tenant API key,
Web Connector sessions (one still open), raw qbXML jobs that succeeded, failed and wait in the queue,
and, from the revisions that added them, a sent sales order with its link, and imports. Each returns
what the product must read back after the upgrade (``Expected``).

A new migration is covered by adding the fixture for its head: usually the previous head's rows plus
values for what the migration added, written the way the code of that version writes them. Where a
later migration changed a table the earlier fixtures write (a column sealed, a table replaced, a
column that must be set), ``Rows`` writes the earlier rows the way the later version would.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection, MetaData, Table, inspect

from db import secrets as secret_values
from db.sealing import Keyring, new_key

# The service's secret key while these rows are upgraded and read (``Expected.env``): migration 0008
# seals plain-text API keys with it, and rows written at 0008 or later are sealed with it here.
SECRET_KEY = new_key()

RAW_QUERY = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
    '<QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><FullName>{name}</FullName>'
    "</CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)
HOST_RESPONSE = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><HostQueryRs requestID="0" statusCode="0" '
    'statusSeverity="Info" statusMessage="Status OK"><HostRet><ProductName>QuickBooks Premier Edition '
    "2014</ProductName><MajorVersion>24</MajorVersion><MinorVersion>0</MinorVersion><Country>US</Country>"
    "<SupportedQBXMLVersion>12.0</SupportedQBXMLVersion><SupportedQBXMLVersion>13.0</SupportedQBXMLVersion>"
    "</HostRet></HostQueryRs></QBXMLMsgsRs></QBXML>"
)
COMPANY_FILE = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Acme.qbw"


class ExpectedStep(NamedTuple):
    """A step as the admin API should show it after the upgrade, in the order a test reads it back."""

    state: str
    request: str | None = None
    response: str | None = None
    status_code: int | None = None
    error: str | None = None


@dataclass
class ExpectedJob:
    kind: str
    status: str
    steps: list[ExpectedStep]
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExpectedLink:
    entity: str
    code: str
    txn_id: str
    ref_number: str


@dataclass
class ExpectedImport:
    id: str
    entity: str
    status: str
    source_type: str
    source_id: str
    data: dict[str, Any]


@dataclass
class Expected:
    admin_key: str
    tenant_id: str
    tenant_name: str
    other_tenant_id: str
    tenant_key: str
    username: str
    token: str
    open_ticket: str  # a session open while the service was upgraded
    steps_done: int  # what that session had done before
    queued_job: str  # the job its next sendRequestXML gets
    queued_qbxml: str
    jobs: dict[str, ExpectedJob] = field(default_factory=dict)
    links: list[ExpectedLink] = field(default_factory=list)
    imports: list[ExpectedImport] = field(default_factory=list)
    fusion_api_base_url: str | None = None
    entity_for_link: dict[str, Any] | None = None  # the sales order the link was made for
    # The environment the upgraded service runs with.
    env: dict[str, str] = field(default_factory=lambda: {"QBBRIDGE_SECRET_KEY": SECRET_KEY})


class Rows:
    """Inserts into the tables as they are at the revision (reflected), refusing unknown columns."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.metadata = MetaData()
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.queue_seq = 0

    def table(self, name: str) -> Table:
        if name not in self.metadata.tables:
            Table(name, self.metadata, autoload_with=self.connection)
        return self.metadata.tables[name]

    def has(self, table_name: str, column: str | None = None) -> bool:
        if not inspect(self.connection).has_table(table_name):
            return False
        return column is None or column in self.table(table_name).c

    def insert(self, table_name: str, /, **values: Any) -> Any:
        if table_name == "auth_throttle" and not self.has("auth_throttle"):
            # 0009 counts failed logins per user name and address.
            table_name, values = "qbwc_login_throttle", {**values, "address": "198.51.100.0"}
        if table_name == "jobs" and self.has("jobs", "queue_seq") and "queue_seq" not in values:
            # 0010 numbers a tenant's jobs in the order they were queued.
            self.queue_seq += 1
            values = {**values, "queue_seq": self.queue_seq}
        table = self.table(table_name)
        unknown = set(values) - set(table.c.keys())
        assert not unknown, f"{table_name} has no {sorted(unknown)} at this revision"
        result = self.connection.execute(table.insert().values(**values))
        return result.inserted_primary_key[0] if result.inserted_primary_key else None

    def update(self, table_name: str, /, where: dict[str, Any], **values: Any) -> None:
        """Sets ``values`` on the rows whose columns equal ``where``'s."""
        table = self.table(table_name)
        matching = [table.c[column] == value for column, value in where.items()]
        self.connection.execute(table.update().where(*matching).values(**values))

    def ago(self, **delta: float) -> dt.datetime:
        return self.now - dt.timedelta(**delta)

    def set_fusion_api(self, tenant_id: str, base_url: str, api_key: str) -> None:
        """Where the tenant's imports are pushed: the key in plain text before 0008, sealed from it."""
        if self.has("tenants", "fusion_api_key"):
            key = {"fusion_api_key": api_key}
        else:
            key = {"fusion_api_key_sealed": Keyring([SECRET_KEY]).seal(api_key)}
        self.update("tenants", {"id": tenant_id}, fusion_api_base_url=base_url, **key)


def fill_0001(rows: Rows) -> Expected:
    """The foundation: tenants, keys, sessions, raw qbXML jobs and their steps, the audit log."""
    admin_key = "qbba_" + secret_values.new_secret(24)
    rows.insert("service_config", key="admin_api_key_digest", value=secret_values.digest(admin_key))

    tenant_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    token = secret_values.new_secret(24)
    username = f"qbb-acme-{uuid.uuid4().hex[:6]}"
    rows.insert(
        "tenants",
        id=tenant_id,
        name="Acme Manufacturing",
        qbwc_username=username,
        file_id="{" + str(uuid.uuid4()).upper() + "}",
        token_digest=secret_values.digest(token),
        token_created_at=rows.ago(days=30),
        company_file="",
        settings={},
        created_at=rows.ago(days=30),
        updated_at=rows.ago(minutes=2),
        last_contact_at=rows.ago(minutes=1),
        qbwc_version="2.3.0.215",
        connected_company_file=COMPANY_FILE,
        qb_product="QuickBooks Premier Edition 2014",
        qb_country="US",
        qbxml_version="13.0",
        supported_qbxml_versions=["12.0", "13.0"],
        host_info={"raw": HOST_RESPONSE},
        host_info_at=rows.ago(days=2),
    )
    rows.insert(
        "tenants",
        id=other_id,
        name="Other Customer",
        qbwc_username=f"qbb-other-{uuid.uuid4().hex[:6]}",
        file_id="{" + str(uuid.uuid4()).upper() + "}",
        company_file="",
        settings={},
        created_at=rows.ago(days=3),
        updated_at=rows.ago(days=3),
    )
    tenant_key = "qbbk_" + secret_values.new_secret(24)
    rows.insert(
        "api_keys",
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        name="Fusion Operations",
        prefix=tenant_key[:12],
        digest=secret_values.digest(tenant_key),
        created_at=rows.ago(days=29),
    )
    rows.insert("auth_throttle", username="qbb-typo", failures=2, window_started_at=rows.ago(minutes=5))
    rows.insert("qbwc_client_hello", address="203.0.113.7", version="2.3.0.215", seen_at=rows.ago(minutes=1))

    def session(ticket: str, state: str, steps_done: int, **times_and_reason: Any) -> Any:
        """A session of the tenant's Web Connector 2.3 with Acme's company file open in QuickBooks."""
        return rows.insert(
            "qbwc_sessions",
            tenant_id=tenant_id,
            ticket_digest=secret_values.digest(ticket),
            state=state,
            client_version="2.3.0.215",
            company_file=COMPANY_FILE,
            country="US",
            qbxml_version="13.0",
            hcp_received=True,
            wait_requested=False,
            steps_done=steps_done,
            waits=0,
            **times_and_reason,
        )

    two_days_ago = rows.ago(days=2)
    closed = session(
        secret_values.new_secret(24),
        "closed",
        2,
        created_at=two_days_ago,
        last_seen_at=two_days_ago,
        closed_at=two_days_ago,
        close_reason="the Web Connector closed it",
    )
    open_ticket = secret_values.new_secret(24)
    session(open_ticket, "open", 1, created_at=rows.ago(minutes=3), last_seen_at=rows.ago(minutes=1))

    expected = Expected(
        admin_key=admin_key,
        tenant_id=tenant_id,
        tenant_name="Acme Manufacturing",
        other_tenant_id=other_id,
        tenant_key=tenant_key,
        username=username,
        token=token,
        open_ticket=open_ticket,
        steps_done=1,
        queued_job="",
        queued_qbxml=RAW_QUERY.format(name="Waiting Customer"),
    )

    def raw_job(status: str, step: dict[str, Any], *, error: str | None = None, age: float = 60) -> str:
        public_id = str(uuid.uuid4())
        finished = status in ("succeeded", "failed")
        job_id = rows.insert(
            "jobs",
            public_id=public_id,
            tenant_id=tenant_id,
            kind="raw_qbxml",
            status=status,
            error=error,
            warnings=[],
            payload={"requestTypes": ["CustomerQueryRq"]},
            result={},
            created_at=rows.ago(minutes=age),
            updated_at=rows.ago(minutes=age - 1),
            finished_at=rows.ago(minutes=age - 1) if finished else None,
        )
        rows.insert(
            "job_steps",
            job_id=job_id,
            tenant_id=tenant_id,
            position=0,
            kind="raw_qbxml",
            request_ids=step.pop("request_ids", []),
            result={},
            attempts=1 if finished else 0,
            created_at=rows.ago(minutes=age),
            **step,
        )
        return public_id

    def answered(name: str, request_id: str, response: str, status: tuple[int, str, str]) -> dict[str, Any]:
        """A customer query sent in the closed session two days ago, with QuickBooks' answer."""
        code, severity, message = status
        return {
            "state": "succeeded" if code == 0 else "failed",
            "intent": {"qbxml": RAW_QUERY.format(name=name)},
            "request": RAW_QUERY.format(name=name).replace(
                "<CustomerQueryRq>", f'<CustomerQueryRq requestID="{request_id}">'
            ),
            "request_ids": [request_id],
            "response": response,
            "status_code": code,
            "status_severity": severity,
            "status_message": message,
            "session_id": closed,
            "claimed_at": two_days_ago,
            "completed_at": two_days_ago,
        }

    answer = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="1.0" statusCode="0" '
        'statusSeverity="Info" statusMessage="Status OK"><CustomerRet><ListID>80000001-1</ListID>'
        "<Name>Acme Corp</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    )
    step = answered("Acme Corp", "1.0", answer, (0, "Info", "Status OK"))
    sent = step["request"]
    done = raw_job("succeeded", step, age=3000)
    expected.jobs[done] = ExpectedJob("raw_qbxml", "succeeded", [ExpectedStep("succeeded", sent, answer, 0)])
    refused = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="2.0" statusCode="3100" '
        'statusSeverity="Error" statusMessage="The name &quot;Acme&quot; of the list element is already '
        'in use." /></QBXMLMsgsRs></QBXML>'
    )
    why = "QuickBooks refused the request (3100): the name is already used by another list entry."
    in_use = 'The name "Acme" of the list element is already in use.'
    step = {**answered("Acme", "2.0", refused, (3100, "Error", in_use)), "error": why}
    sent_again = step["request"]
    failed = raw_job("failed", step, error=why, age=2999)
    expected.jobs[failed] = ExpectedJob(
        "raw_qbxml", "failed", [ExpectedStep("failed", sent_again, refused, 3100, why)], error=why
    )
    queued = raw_job("queued", {"state": "queued", "intent": {"qbxml": expected.queued_qbxml}}, age=2)
    expected.jobs[queued] = ExpectedJob("raw_qbxml", "queued", [ExpectedStep("queued")])
    expected.queued_job = queued
    for action, job in (("job.queue", done), ("job.queue", failed), ("job.queue", queued)):
        rows.insert(
            "audit_log",
            tenant_id=tenant_id,
            actor="admin",
            action=action,
            detail={"job_id": job},
            created_at=rows.ago(minutes=2),
        )
    return expected


def fill_0002(rows: Rows) -> Expected:
    """Links: a sales order sent through the send flow, its job, its step and its link."""
    expected = fill_0001(rows)
    order = {
        "code": "SO-OLD-1",
        "client": {"id": None, "code": "ACME", "name": "Acme Corp"},
        "createdAt": "2026-11-19T10:00:00Z",
        "documentDate": "2026-11-20",
        "transferDate": "2026-11-21",
        "dueDate": "2026-12-01",
        "rows": [{"product": {"code": "WIDGET-1", "name": "Widget"}, "quantity": 5, "unitPrice": 12.5}],
    }
    ids = {"txnId": "14-1796460635", "editSequence": "1796460652", "refNumber": "41"}
    # What the link holds once the job succeeded: written into the rows below and expected back.
    link = ExpectedLink("salesOrder", "SO-OLD-1", ids["txnId"], ids["refNumber"])
    public_id = str(uuid.uuid4())
    result = {"quickbooks": {"type": "SalesOrder", **ids}}
    job_id = rows.insert(
        "jobs",
        public_id=public_id,
        tenant_id=expected.tenant_id,
        kind="salesOrder",
        status="succeeded",
        warnings=[],
        payload={
            "entity": order,
            "summary": "Sales order SO-OLD-1 for ACME",
            "reservations": [{"entity": link.entity, "code": link.code, "data": order}],
        },
        result=result,
        created_at=rows.ago(days=1),
        updated_at=rows.ago(days=1),
        finished_at=rows.ago(days=1),
        link_entity=link.entity,
        link_code=link.code,
    )
    request = (
        '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n<QBXML><QBXMLMsgsRq '
        'onError="stopOnError"><SalesOrderAddRq requestID="9.0"><SalesOrderAdd><CustomerRef><FullName>ACME'
        "</FullName></CustomerRef><TxnDate>2026-11-21</TxnDate><SalesOrderLineAdd><ItemRef><FullName>"
        "WIDGET-1</FullName></ItemRef><Quantity>5</Quantity><Rate>12.50</Rate></SalesOrderLineAdd>"
        "</SalesOrderAdd></SalesOrderAddRq></QBXMLMsgsRq></QBXML>"
    )
    response = (
        '<?xml version="1.0" ?>\n<QBXML><QBXMLMsgsRs><SalesOrderAddRs requestID="9.0" statusCode="0" '
        'statusSeverity="Info" statusMessage="Status OK"><SalesOrderRet><TxnID>14-1796460635</TxnID>'
        "<EditSequence>1796460652</EditSequence><RefNumber>41</RefNumber></SalesOrderRet></SalesOrderAddRs>"
        "</QBXMLMsgsRs></QBXML>"
    )
    rows.insert(
        "job_steps",
        job_id=job_id,
        tenant_id=expected.tenant_id,
        position=0,
        kind="qbxml_request",
        state="succeeded",
        intent={
            "request": {
                "type": "SalesOrderAdd",
                "customer": {"full_name": "ACME"},
                "txn_date": "2026-11-21",
                "lines": [{"item": {"full_name": "WIDGET-1"}, "quantity": "5", "rate": "12.5"}],
            },
            "description": "Create the sales order SO-OLD-1 for ACME",
        },
        request=request,
        request_ids=["9.0"],
        response=response,
        status_code=0,
        status_severity="Info",
        status_message="Status OK",
        result={"ids": ids, "note": "done", "description": "Create the sales order SO-OLD-1 for ACME"},
        attempts=1,
        created_at=rows.ago(days=1),
        claimed_at=rows.ago(days=1),
        completed_at=rows.ago(days=1),
        phase="send",
        reconcilable=True,
    )
    rows.insert(
        "links",
        tenant_id=expected.tenant_id,
        entity=link.entity,
        code=link.code,
        status="linked",
        qb_type="SalesOrder",
        txn_id=link.txn_id,
        ref_number=link.ref_number,
        edit_sequence=ids["editSequence"],
        job_id=job_id,
        data=order,
        created_at=rows.ago(days=1),
        updated_at=rows.ago(days=1),
    )
    expected.jobs[public_id] = ExpectedJob(
        "salesOrder", "succeeded", [ExpectedStep("succeeded", request, response, 0)], result=result
    )
    expected.links.append(link)
    expected.entity_for_link = order
    return expected


def fill_0003(rows: Rows) -> Expected:
    """Retrievals: imports waiting for Fusion Operations, high-water marks, where to push."""
    expected = fill_0002(rows)
    base_url = "https://fusion.example.com/fusion-operations/v2/"
    rows.set_fusion_api(expected.tenant_id, base_url, "fo-key-" + uuid.uuid4().hex)
    expected.fusion_api_base_url = base_url
    rows.insert(
        "retrieval_marks",
        tenant_id=expected.tenant_id,
        entity="salesOrder",
        high_water=rows.ago(hours=1),
        last_started_at=rows.ago(hours=1),
        last_completed_at=rows.ago(hours=1),
    )
    product = {"code": "GADGET-9", "name": "Gadget", "type": "product"}
    order = {
        "code": "SO-QB-77",
        "client": {"code": "BETA", "name": "Beta Industries"},
        "documentDate": "2026-11-25",
        "rows": [{"product": {"code": "GADGET-9", "name": "Gadget"}, "quantity": 2, "unitPrice": 40.0}],
    }
    for entity, source_type, source_id, ref, data in (
        ("product", "Item", "GADGET-9", None, product),
        ("salesOrder", "SalesOrder", "77-1796460999", "SO-QB-77", order),
    ):
        _pending_import(
            rows,
            expected,
            ExpectedImport(str(uuid.uuid4()), entity, "pending", source_type, source_id, data),
            ref_number=ref,
            attempts=1,
            next_attempt_at=rows.ago(minutes=-5),
            last_error="Fusion Operations answered 503; trying again later",
            created_at=rows.ago(hours=1),
            updated_at=rows.ago(minutes=10),
        )
    return expected


def _pending_import(rows: Rows, expected: Expected, item: ExpectedImport, **rest: Any) -> None:
    """A document retrieved from QuickBooks, waiting to be pushed: written, then expected back."""
    rows.insert(
        "imports",
        public_id=item.id,
        tenant_id=expected.tenant_id,
        entity=item.entity,
        status=item.status,
        source_type=item.source_type,
        source_id=item.source_id,
        data=json.loads(json.dumps(item.data)),
        **rest,
    )
    expected.imports.append(item)


def fill_0004(rows: Rows) -> Expected:
    """0004 only indexes links by their job: the rows are those of 0003."""
    return fill_0003(rows)


def fill_0005(rows: Rows) -> Expected:
    """Sessions know how many requests were waiting when they started."""
    expected = fill_0004(rows)
    rows.update(
        "qbwc_sessions", {"ticket_digest": secret_values.digest(expected.open_ticket)}, planned_steps=2
    )
    return expected


def fill_0006(rows: Rows) -> Expected:
    """Retrieved documents keep their code (a prefix per QuickBooks document type) and notes; the
    QuickBooks item list read before a retrieval is kept."""
    expected = fill_0005(rows)
    for item in expected.imports:
        rows.update("imports", {"public_id": item.id}, code=item.data["code"], notes=[])
    invoice = {
        "code": "INV-1001",
        "client": {"code": "BETA", "name": "Beta Industries"},
        "documentDate": "2026-11-26",
        "rows": [{"product": {"code": "GADGET-9", "name": "Gadget"}, "quantity": 1, "unitPrice": 40.0}],
    }
    _pending_import(
        rows,
        expected,
        ExpectedImport(str(uuid.uuid4()), "salesOrder", "pending", "Invoice", "91-1796460999", invoice),
        ref_number="1001",
        code="INV-1001",
        notes=["QuickBooks adds sales tax of 3.20 to this invoice: tax is not a row."],
        attempts=0,
        created_at=rows.ago(minutes=30),
        updated_at=rows.ago(minutes=30),
    )
    rows.insert(
        "quickbooks_lists",
        tenant_id=expected.tenant_id,
        kind="item",
        list_id="80000009-1796460999",
        type="ItemInventory",
        full_name="GADGET-9",
        data={"unitOfMeasureSet": None},
        updated_at=rows.ago(minutes=30),
    )
    return expected


def fill_0007(rows: Rows) -> Expected:
    """Each sent request keeps the qbXML version it was written for."""
    expected = fill_0006(rows)
    steps = rows.table("job_steps")
    rows.connection.execute(
        steps.update().where(steps.c.request.is_not(None)).values(sent_qbxml_version="13.0")
    )
    return expected


def fill_0008(rows: Rows) -> Expected:
    """0008 seals the Fusion Operations API key: the rows are those of 0007, the key sealed."""
    return fill_0007(rows)


def fill_0009(rows: Rows) -> Expected:
    """Failed logins are counted per user name and address: a stranger's address is blocked for the
    tenant's user name, which must not stop the tenant's own connector (another address)."""
    expected = fill_0008(rows)
    rows.insert(
        "qbwc_login_throttle",
        username=expected.username,
        address="203.0.113.66",
        failures=5,
        window_started_at=rows.ago(minutes=3),
        blocked_until=rows.ago(minutes=-12),
    )
    return expected


def fill_0010(rows: Rows) -> Expected:
    """Jobs are numbered in their tenant's queue order (``Rows`` numbers them as they are written)."""
    expected = fill_0009(rows)
    if rows.has("tenants", "last_queue_seq"):
        rows.update("tenants", {"id": expected.tenant_id}, last_queue_seq=rows.queue_seq)
    else:  # 0015 keeps it in a table of its own
        rows.insert("tenant_queues", tenant_id=expected.tenant_id, last_queue_seq=rows.queue_seq)
    return expected


def fill_0011(rows: Rows) -> Expected:
    """Onboarding: the tenant is bound to its company file and its setup traces are kept; a session
    with another company file open was refused; a deleted tenant's user name is retired; the tenant
    key was used."""
    expected = fill_0010(rows)
    rows.update(
        "tenants",
        {"id": expected.tenant_id},
        bound_company_file=COMPANY_FILE,
        bound_company_name="Acme Manufacturing",
        bound_at=rows.ago(days=29),
        connector_seen_at=rows.ago(minutes=3),
        qwc_downloaded_at=rows.ago(days=30),
    )
    rows.insert(
        "qbwc_sessions",
        tenant_id=expected.tenant_id,
        ticket_digest=secret_values.digest(secret_values.new_secret(24)),
        state="closed",
        created_at=rows.ago(days=1),
        last_seen_at=rows.ago(days=1),
        closed_at=rows.ago(days=1),
        company_file="C:\\Other\\Else.qbw",
        hcp_received=False,
        wait_requested=False,
        steps_done=0,
        waits=0,
        close_reason="refused: other_company_file",
        refusal="other_company_file",
        requested_company_file=COMPANY_FILE,
        retried_open_file=True,
        last_error="QuickBooks has the company file C:\\Other\\Else.qbw open, but this connection belongs to ...",
    )
    rows.insert("retired_usernames", username="qbb-gone-000000", retired_at=rows.ago(days=5))
    rows.update("api_keys", {"tenant_id": expected.tenant_id}, last_used_at=rows.ago(hours=1))
    return expected


def fill_0012(rows: Rows) -> Expected:
    """0012 only indexes jobs and links for the console's sync log: the rows are those of 0011."""
    return fill_0011(rows)


def fill_0013(rows: Rows) -> Expected:
    """0013 marks what retention pruned; nothing is pruned yet, and a lease is held by a process that
    has stopped (it expired): the upgraded service takes it over."""
    expected = fill_0012(rows)
    rows.insert("leases", name="retention", holder="stopped-process", expires_at=rows.ago(minutes=5))
    return expected


def fill_0014(rows: Rows) -> Expected:
    """Webhooks: the tenant has one, with an event delivered and a job already announced."""
    expected = fill_0013(rows)
    # A webhook, with one event delivered (its secret sealed as the service seals it).
    rows.update(
        "tenants",
        {"id": expected.tenant_id},
        webhook_url="https://fusion.example.com/events",
        webhook_secret_sealed=Keyring([SECRET_KEY]).seal("whsec_" + "A" * 32),
        webhook_since=rows.ago(days=3),
    )
    rows.insert(
        "webhook_events",
        public_id="msg_" + uuid.uuid4().hex,
        tenant_id=expected.tenant_id,
        type="job.succeeded",
        payload={"type": "job.succeeded", "data": {}},
        status="delivered",
        attempts=1,
        delivered_at=rows.ago(days=2),
        created_at=rows.ago(days=2),
        updated_at=rows.ago(days=2),
    )
    rows.update("jobs", {"status": "succeeded"}, notified_status="succeeded")
    return expected


def fill_0015(rows: Rows) -> Expected:
    """0015 only moves the tenants' last queue places to a table of their own: the rows are those of
    0014 (tests/foundation/test_migrations.py checks the places carry over)."""
    return fill_0014(rows)


def fill_0016(rows: Rows) -> Expected:
    """0016 only indexes the Web Connector sessions for the setup checklist: the rows are those of 0015."""
    return fill_0015(rows)


def fill_0017(rows: Rows) -> Expected:
    """0017 only makes the links' QuickBooks-number index partial: the rows are those of 0016."""
    return fill_0016(rows)


def fill_0018(rows: Rows) -> Expected:
    """0018 only adds an index of the tenants' inventory jobs: the rows are those of 0017."""
    return fill_0017(rows)


def fill_0019(rows: Rows) -> Expected:
    """0019 only adds a function (PostgreSQL) that a send's last batch calls: the rows are those of 0018."""
    return fill_0018(rows)


def fill_0020(rows: Rows) -> Expected:
    """0020 only adds the prepared-request columns of a step, NULL for the steps queued before it
    (sent as before: tests/sends/test_prepared_raw.py): the rows are those of 0019."""
    return fill_0019(rows)


def fill_0021(rows: Rows) -> Expected:
    """0021 only adds a function (PostgreSQL) that a settling batch calls: the rows are those of 0020."""
    return fill_0020(rows)


FIXTURES: dict[str, Callable[[Rows], Expected]] = {
    "0001": fill_0001,
    "0002": fill_0002,
    "0003": fill_0003,
    "0004": fill_0004,
    "0005": fill_0005,
    "0006": fill_0006,
    "0007": fill_0007,
    "0008": fill_0008,
    "0009": fill_0009,
    "0010": fill_0010,
    "0011": fill_0011,
    "0012": fill_0012,
    "0013": fill_0013,
    "0014": fill_0014,
    "0015": fill_0015,
    "0016": fill_0016,
    "0017": fill_0017,
    "0018": fill_0018,
    "0019": fill_0019,
    "0020": fill_0020,
    "0021": fill_0021,
}
