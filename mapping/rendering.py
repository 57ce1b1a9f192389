"""Rendering a queued step into qbXML for the connected host.

A step stores intent; the qbXML is written only when a session claims it, because only then do we
know the host's qbXML version and country, and the IDs that earlier steps returned. Two kinds:

* ``raw_qbxml``: a message set written elsewhere, sent as given with our ``requestID``s.
* ``qbxml_request``: a :class:`mapping.plan.PlannedStep` (typed request, bindings, accepted status
  codes, reconciliation), built with ``requests_builder``.

A ``qbxml_request`` step in phase ``reconcile`` sends its reconciliation query instead of its
request: QuickBooks' answer to the request was lost, so we first ask whether it saved it. How it is
looked for depends on the qbXML version its request was written for (``Reconcile.lookup_for``, with
the version kept on the step when it is sent); when no way works on this QuickBooks, the step waits
for a person instead (:class:`Unreconcilable`), and nothing is sent on a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import links as link_repo
from db import queue
from db.models import Job, Step
from db.transaction import Work, session_of
from mapping import retrieval_queries
from mapping.flows.validate import set_path
from mapping.item_types import KEPT
from mapping.plan import Binding, LineFilter, PlannedStep
from mapping.retrieval_pages import DEFAULT_SOAP_BODY_LIMIT
from mapping.settling import ID_FIELDS, NOTHING_FINDS_IT, reconciling, waits_for_a_person
from mapping.step_kinds import StepKind
from requests_builder import BuildError, Request, build_message_set, request_from_dict, wrap_requests
from requests_builder.queries import ModifiedDateRangeFilter
from requests_builder.raw import RawQbxmlError, prepare_raw_qbxml
from requests_builder.versions import version_tuple
from responses_parser.safe_xml import HostileXMLError

# How far back a reconciliation looks for the document it may have created. Generous, because
# QuickBooks stamps TimeModified with the customer's PC clock, which may be off.
RECONCILE_WINDOW = dt.timedelta(days=3)
NON_US_REFUSAL = (
    "This QuickBooks company is outside the United States ({country}). qbbridge can retrieve orders "
    "from it, but sending from Fusion Operations to QuickBooks is only supported for US companies."
)


@dataclass(frozen=True, slots=True)
class HostContext:
    """What a step is written for: what the connected QuickBooks told us about itself, at claim time,
    and how large an answer the endpoint reads."""

    qbxml_version: str  # the version the session speaks (mapping/host.py: host_version), "13.0"
    country: str  # "US", "CA", "UK", "AU"
    session_id: int | None = None  # the Web Connector session (iterators live only within one)
    # QBBRIDGE_MAX_SOAP_BODY_BYTES: retrieval pages are sized to an eighth of it (mapping.retrieval_pages).
    soap_body_limit: int = DEFAULT_SOAP_BODY_LIMIT


# Steps sent together are independent (each of another job): QuickBooks must go on after one fails.
SHARED_ON_ERROR = "continueOnError"
# The one kind of step that may share a message set with other jobs' steps: raw qbXML is sent as
# given, and a retrieval page alone (the queue takes the kind from here: db/queue/claim.py).
SHARED_KIND = StepKind.QBXML_REQUEST


@dataclass(frozen=True, slots=True)
class Rendered:
    xml: str
    request_ids: list[str]
    # The requests without their message set, for a message set shared with other steps ("" for raw
    # qbXML, which is always sent as given).
    requests_xml: str = ""
    # The qbXML version a typed step's own request was written for; None when what is sent is its
    # reconciliation query (or raw qbXML).
    sent_version: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """What one ``sendRequestXML`` hands the Web Connector: ``xml``, carrying the requests of the
    steps in ``sent`` (each with its own request, as stored on it), and the steps that could not be
    rendered (``refused``), which the caller fails."""

    xml: str
    sent: list[tuple[queue.StepRef, Rendered]]
    refused: list[tuple[queue.StepRef, RenderError]]
    # Steps to be reconciled that this QuickBooks cannot be asked about: they wait for a person
    # (``queue.park_unknown``).
    unknowable: list[tuple[queue.StepRef, Unreconcilable]] = field(default_factory=list)


class RenderError(Exception):
    """The step cannot be turned into qbXML for this host; the message says why in plain language."""


class Unreconcilable(Exception):
    """The step's answer was lost and this QuickBooks offers no certain way to find out whether it
    saved the step; the message tells a person what to look for and how to go on."""


# --- rendering ---------------------------------------------------------------------------------


def render_step(session: Work, step: queue.StepRef, host: HostContext, *, now: dt.datetime) -> Rendered:
    render = RENDER_BY_KIND.get(step.kind)
    if render is None:
        raise RenderError(f"qbbridge does not know how to send a step of kind {step.kind!r}")
    return render(session, step, host, now)


def _render_raw(session: Work, step: queue.StepRef, host: HostContext, now: dt.datetime) -> Rendered:
    try:
        prepared = prepare_raw_qbxml(
            step.intent["qbxml"], request_id_prefix=str(step.id), host_max_version=host.qbxml_version
        )
    except (RawQbxmlError, HostileXMLError) as exc:
        raise RenderError(str(exc)) from exc
    return Rendered(xml=prepared.xml, request_ids=prepared.request_ids)


def _render_retrieval(session: Work, step: queue.StepRef, host: HostContext, now: dt.datetime) -> Rendered:
    queries = retrieval_queries.render_queries(
        session_of(session),
        step,
        session_id=host.session_id,
        qbxml_version=host.qbxml_version,
        soap_body_limit=host.soap_body_limit,
    )
    return _build_all(queries, step.id, host, "the retrieval query")


def _render_planned(session: Work, step: queue.StepRef, host: HostContext, now: dt.datetime) -> Rendered:
    planned = PlannedStep.from_intent(step.intent)
    if reconciling(step, planned):
        request = _reconcile_request(session, step, planned, host, now)
        return _build(request, f"{step.id}.0", host, planned.description)
    if host.country.upper() != "US":
        raise RenderError(NON_US_REFUSAL.format(country=host.country))
    request = _with_marks(
        _bind(session, step, planned.request, planned.bindings, planned.line_filter), planned, host
    )
    rendered = _build(request, f"{step.id}.0", host, planned.description)
    return replace(rendered, sent_version=host.qbxml_version)


def render_message(
    session: Work, steps: list[queue.StepRef], host: HostContext, *, now: dt.datetime
) -> Message:
    """One message set for ``steps``: a step alone is sent exactly as ``render_step`` writes it;
    several (typed requests of different jobs, ``queue.claim_companions``) share one message set with
    ``onError="continueOnError"``, so a request QuickBooks refuses does not stop the others. Each
    step keeps its own request, in a message set of its own with the same header."""
    sent: list[tuple[queue.StepRef, Rendered]] = []
    refused: list[tuple[queue.StepRef, RenderError]] = []
    unknowable: list[tuple[queue.StepRef, Unreconcilable]] = []
    for step in steps:
        try:
            sent.append((step, render_step(session, step, host, now=now)))
        except RenderError as exc:
            refused.append((step, exc))
        except Unreconcilable as exc:
            unknowable.append((step, exc))
    if len(sent) <= 1:
        return Message(xml=sent[0][1].xml if sent else "", sent=sent, refused=refused, unknowable=unknowable)
    version = host.qbxml_version
    own = [
        (
            step,
            replace(
                rendered,
                xml=wrap_requests([rendered.requests_xml], version=version, on_error=SHARED_ON_ERROR),
            ),
        )
        for step, rendered in sent
    ]
    xml = wrap_requests(
        [rendered.requests_xml for _, rendered in sent], version=version, on_error=SHARED_ON_ERROR
    )
    return Message(xml=xml, sent=own, refused=refused, unknowable=unknowable)


def _build(request: Request, request_id: str, host: HostContext, description: str) -> Rendered:
    try:
        built = build_message_set([_with_request_id(request, request_id)], version=host.qbxml_version)
    except BuildError as exc:
        raise RenderError(
            f"{description}: QuickBooks ({host.qbxml_version}) cannot accept this request: {exc}"
        ) from exc
    return Rendered(xml=built.xml, request_ids=built.request_ids, requests_xml=built.requests_xml)


def _build_all(requests: list[Request], step_id: int, host: HostContext, description: str) -> Rendered:
    """Several requests of one step in one message set, ``<step>.0``, ``<step>.1``... as request IDs."""
    if len(requests) == 1:
        return _build(requests[0], f"{step_id}.0", host, description)
    try:
        built = build_message_set(
            [_with_request_id(request, f"{step_id}.{index}") for index, request in enumerate(requests)],
            version=host.qbxml_version,
            # The requests of one step are independent reads: each is answered whatever the other does.
            on_error=SHARED_ON_ERROR,
        )
    except BuildError as exc:
        raise RenderError(
            f"{description}: QuickBooks ({host.qbxml_version}) cannot accept this request: {exc}"
        ) from exc
    return Rendered(xml=built.xml, request_ids=built.request_ids, requests_xml=built.requests_xml)


def _with_request_id(request: Request, request_id: str) -> Request:
    data = request.to_dict()
    data["request_id"] = request_id
    return request_from_dict(data)


def _reconcile_request(
    session: Work, step: queue.StepRef, planned: PlannedStep, host: HostContext, now: dt.datetime
) -> Request:
    """The query that finds the step's document, chosen by the version its request was written for;
    Unreconcilable when no way works on this QuickBooks."""
    assert planned.reconcile is not None
    lookup = planned.reconcile.lookup_for(step.sent_version)
    if lookup is None:
        why = NOTHING_FINDS_IT.format(version=step.sent_version)
        raise Unreconcilable(waits_for_a_person(planned, why))
    if lookup.needs is not None and version_tuple(lookup.needs) > version_tuple(host.qbxml_version):
        raise Unreconcilable(
            waits_for_a_person(
                planned,
                f"it was sent with an ExternalGUID, which QuickBooks now running (qbXML "
                f"{host.qbxml_version}) cannot search for",
            )
        )
    return _reconcile_query(_bind(session, step, lookup.query, lookup.bindings), now)


def _with_marks(request: Request, planned: PlannedStep, host: HostContext) -> Request:
    """The request with the reference of ours that the way it will be found by needs (a marker in a
    field the user does not fill, for documents without ExternalGUID)."""
    lookup = planned.reconcile.lookup_for(host.qbxml_version) if planned.reconcile else None
    if lookup is None or not lookup.marks:
        return request
    data = request.to_dict()
    data.update(lookup.marks)
    return request_from_dict(data)


def _reconcile_query(query: Request, now: dt.datetime) -> Request:
    """Narrowed to what was modified since the step was first sent, unless it asks for records by ID."""
    data = query.to_dict()
    fields = _fields_of(query)
    by_id = any(data.get(name) for name in ("txn_ids", "ref_numbers", "ref_numbers_case_sensitive"))
    if "modified_date_range" in fields and not data.get("modified_date_range") and not by_id:
        data["modified_date_range"] = ModifiedDateRangeFilter(
            from_modified_date=now - RECONCILE_WINDOW
        ).to_dict()
    return request_from_dict(data)


def _fields_of(request: Request) -> set[str]:
    return set(getattr(request, "__dataclass_fields__", {}))


def _bind(
    work: Work,
    step: queue.StepRef,
    request: Request,
    bindings: list[Binding],
    line_filter: LineFilter | None = None,
) -> Request:
    if not bindings and line_filter is None:
        return request
    session = session_of(work)
    data = request.to_dict()
    job = session.get(Job, step.job_id)
    assert job is not None
    for binding in bindings:
        set_path(data, binding.path, _bound_value(session, job, binding))
    if line_filter is not None:
        _keep_lines(session, job, data, line_filter)
    return request_from_dict(data)


def _step_result(session: Session, job: Job, position: int) -> dict[str, Any]:
    result = session.execute(
        select(Step.result).where(Step.job_id == job.id, Step.position == position)
    ).scalar_one_or_none()
    return dict(result or {})


def _keep_lines(session: Session, job: Job, data: dict[str, Any], line_filter: LineFilter) -> None:
    """Drop the lines whose item the lookup step ``line_filter.step`` did not keep."""
    kept = _step_result(session, job, line_filter.step).get(KEPT)
    if kept is None:
        raise RenderError(
            f"step {line_filter.step + 1} of this job did not report which items QuickBooks can take, "
            "which this step needs; retry the job"
        )
    wanted = {str(name).casefold() for name in kept}
    lines = [line for line in data.get(line_filter.lines) or [] if _item_of(line, line_filter.item) in wanted]
    if not lines:
        raise RenderError("none of the items of this step can be sent to QuickBooks; nothing was sent")
    data[line_filter.lines] = lines


def _item_of(line: Any, path: str) -> str | None:
    node = line
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node.casefold() if isinstance(node, str) else None


def _bound_value(session: Session, job: Job, binding: Binding) -> str:
    if binding.step is not None:
        result = _step_result(session, job, binding.step)
        value = (result.get("ids") or {}).get(ID_FIELDS[binding.field])
        if not value:
            raise RenderError(
                f"step {binding.step + 1} of this job did not return the QuickBooks {binding.field} "
                "this step needs; retry the job"
            )
        return str(value)
    assert binding.link is not None
    link = link_repo.get(session, job.tenant_id, binding.link.entity, binding.link.code)
    value = (
        getattr(link, binding.field, None) if link is not None and link.status == link_repo.LINKED else None
    )
    if not value:
        raise RenderError(
            f"the {_entity_words(binding.link.entity)} {binding.link.code} is not in QuickBooks yet "
            "(send it first, or retry the job that sends it), so this cannot be linked to it"
        )
    return str(value)


def _entity_words(entity: str) -> str:
    return "".join(" " + c.lower() if c.isupper() else c for c in entity).strip()


# A new kind of step: its rendering here, and its decision in mapping.settling.SETTLE_BY_KIND.
RENDER_BY_KIND: dict[str, Callable[[Work, queue.StepRef, HostContext, dt.datetime], Rendered]] = {
    StepKind.QBXML_REQUEST: _render_planned,
    StepKind.RAW_QBXML: _render_raw,
    StepKind.RETRIEVAL_QUERY: _render_retrieval,
}
