"""Rendering a queued step into qbXML for the connected host, and settling it from QuickBooks' answer.

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
from db.batch import Statement
from db.models import Job, Step
from db.states import StepPhase, StepState
from mapping import retrieval
from mapping.explain import (
    explain_hresult,
    explain_status,
    is_retryable_hresult,
    is_retryable_status,
)
from mapping.flows.validate import set_path
from mapping.item_types import KEPT, lookup_result
from mapping.plan import Binding, ItemCheck, LineFilter, Lookup, PlannedStep
from mapping.retries import MAX_ATTEMPTS, retry_delay
from mapping.retrieval_pages import DEFAULT_SOAP_BODY_LIMIT
from mapping.step_kinds import StepKind
from requests_builder import BuildError, Request, build_message_set, request_from_dict, wrap_requests
from requests_builder.queries import ModifiedDateRangeFilter
from requests_builder.raw import RawQbxmlError, prepare_raw_qbxml
from requests_builder.versions import version_tuple
from responses_parser import parse_response, split_answer
from responses_parser.safe_xml import HostileXMLError
from responses_parser.status import ResponseFormatError, read_statuses

# How far back a reconciliation looks for the document it may have created. Generous, because
# QuickBooks stamps TimeModified with the customer's PC clock, which may be off.
RECONCILE_WINDOW = dt.timedelta(days=3)
NON_US_REFUSAL = (
    "This QuickBooks company is outside the United States ({country}). qbbridge can retrieve orders "
    "from it, but sending from Fusion Operations to QuickBooks is only supported for US companies."
)
_ID_FIELDS = {
    "txn_id": "txnId",
    "list_id": "listId",
    "edit_sequence": "editSequence",
    "ref_number": "refNumber",
    "full_name": "fullName",
}


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


@dataclass(slots=True)
class Outcome:
    """What QuickBooks' answer means for a step."""

    state: StepState
    status_code: int | None = None
    status_severity: str | None = None
    status_message: str | None = None
    hresult: str | None = None
    error: str | None = None
    retry: bool = False
    resend: bool = False  # reconciliation found nothing: send the request again
    warnings: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    qb_type: str | None = None
    page: bool = False  # a retrieval page, stored by mapping.retrieval
    # Responses in the answer that answer none of this step's requests (their requestID is not one
    # it was sent with): counted, never read (see ``settle_answer``).
    foreign: int = 0


@dataclass(slots=True)
class Settlement:
    """What an answer means for the steps a session had in flight, each with the part of the answer
    to store on it, and how many responses in the answer carry a requestID none of them was sent
    with. Those are refused: an answer settles only the requests handed out in its session."""

    steps: list[tuple[queue.StepRef, str | None, Outcome]]
    foreign: int = 0


# --- rendering ---------------------------------------------------------------------------------


def render_step(session: Session, step: queue.StepRef, host: HostContext, *, now: dt.datetime) -> Rendered:
    kind = STEP_KINDS.get(step.kind)
    if kind is None:
        raise RenderError(f"qbbridge does not know how to send a step of kind {step.kind!r}")
    return kind.render(session, step, host, now)


def _render_raw(session: Session, step: queue.StepRef, host: HostContext, now: dt.datetime) -> Rendered:
    try:
        prepared = prepare_raw_qbxml(
            step.intent["qbxml"], request_id_prefix=str(step.id), host_max_version=host.qbxml_version
        )
    except (RawQbxmlError, HostileXMLError) as exc:
        raise RenderError(str(exc)) from exc
    return Rendered(xml=prepared.xml, request_ids=prepared.request_ids)


def _render_retrieval(session: Session, step: queue.StepRef, host: HostContext, now: dt.datetime) -> Rendered:
    queries = retrieval.render_queries(
        session,
        step,
        session_id=host.session_id,
        qbxml_version=host.qbxml_version,
        soap_body_limit=host.soap_body_limit,
    )
    return _build_all(queries, step.id, host, "the retrieval query")


def _render_planned(session: Session, step: queue.StepRef, host: HostContext, now: dt.datetime) -> Rendered:
    planned = PlannedStep.from_intent(step.intent)
    if _reconciling(step, planned):
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
    session: Session, steps: list[queue.StepRef], host: HostContext, *, now: dt.datetime
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


def _reconciling(step: queue.StepRef, planned: PlannedStep) -> bool:
    # A step safe to repeat has no reconciliation query: in phase "reconcile" it is simply sent again.
    return step.phase == StepPhase.RECONCILE and planned.reconcile is not None


def _with_request_id(request: Request, request_id: str) -> Request:
    data = request.to_dict()
    data["request_id"] = request_id
    return request_from_dict(data)


def _reconcile_request(
    session: Session, step: queue.StepRef, planned: PlannedStep, host: HostContext, now: dt.datetime
) -> Request:
    """The query that finds the step's document, chosen by the version its request was written for;
    Unreconcilable when no way works on this QuickBooks."""
    assert planned.reconcile is not None
    lookup = planned.reconcile.lookup_for(step.sent_version)
    if lookup is None:
        why = _NOTHING_FINDS_IT.format(version=step.sent_version)
        raise Unreconcilable(_waits_for_a_person(planned, why))
    if lookup.needs is not None and version_tuple(lookup.needs) > version_tuple(host.qbxml_version):
        raise Unreconcilable(
            _waits_for_a_person(
                planned,
                f"it was sent with an ExternalGUID, which QuickBooks now running (qbXML "
                f"{host.qbxml_version}) cannot search for",
            )
        )
    return _reconcile_query(_bind(session, step, lookup.query, lookup.bindings), now)


_NOTHING_FINDS_IT = (
    "it was sent to a QuickBooks without ExternalGUID (qbXML {version}, before QuickBooks 2010), where "
    "it has nothing qbbridge can look it up by"
)


def _waits_for_a_person(planned: PlannedStep, why: str) -> str:
    assert planned.reconcile is not None
    look_for = planned.reconcile.look_for or "what this step creates"
    return (
        f"{planned.description}: QuickBooks' answer to it was lost, and {why}, so qbbridge cannot tell "
        f"whether QuickBooks saved it and does not send it again on a guess. Look in QuickBooks for "
        f"{look_for}. If it is not there, retry the job: qbbridge then sends it. If it is there, do not "
        "retry it (cancel the job if it has more to send)."
    )


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
    session: Session,
    step: queue.StepRef,
    request: Request,
    bindings: list[Binding],
    line_filter: LineFilter | None = None,
) -> Request:
    if not bindings and line_filter is None:
        return request
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
        value = (result.get("ids") or {}).get(_ID_FIELDS[binding.field])
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


# --- settling ----------------------------------------------------------------------------------


def settle_hresult(step: queue.StepRef, hresult: str, message: str) -> Outcome:
    """QuickBooks could not process the message set at all (the Web Connector reported an hresult)."""
    return Outcome(
        state=StepState.FAILED,
        hresult=hresult,
        status_message=message,
        error=explain_hresult(hresult, message),
        retry=is_retryable_hresult(hresult, message) and step.attempts < MAX_ATTEMPTS,
    )


def settle_answer(
    steps: list[queue.StepRef], response: str | None, hresult: str, message: str
) -> Settlement:
    """What QuickBooks' answer to a message set means for each step it carried, with the answer to
    store on each: a step sent alone keeps the whole answer, steps that shared the message set each
    their own part. ``hresult`` (stripped; "" for none) is the Web Connector's error for the set.

    A step is settled only from responses whose ``requestID`` is one it was sent with. Responses with
    any other requestID (or none) did not come from QuickBooks answering this session's requests:
    they are counted (``Settlement.foreign``) and ignored, and a step left without a response of its
    own has an unknown outcome, reconciled before anything is sent again, as after a lost answer."""
    if hresult:
        if len(steps) == 1:
            return Settlement([(steps[0], response, settle_hresult(steps[0], hresult, message))])
        return Settlement([(step, None, _settle_shared_hresult(step, hresult, message)) for step in steps])
    if len(steps) == 1:
        [step] = steps
        outcome = settle_response(step, response or "")
        if not outcome.foreign:
            return Settlement([(step, response, outcome)])
        # The answer carries someone else's responses too: read it again, keeping only the step's own
        # part (the rare path; the common one reads the answer once).
    return _settle_by_request_id(steps, response or "")


def _settle_shared_hresult(step: queue.StepRef, hresult: str, message: str) -> Outcome:
    """QuickBooks reported an error for a message set that carried several steps, as a whole. Which
    request caused it cannot be told, and whether QuickBooks saved any before it failed is not
    certain, so each step goes back to the queue to be reconciled on its own (a step tried before
    never shares a message set: ``queue.claim_companions``): looked for in QuickBooks, then sent again
    only if it is not there, where its own outcome decides."""
    explanation = explain_hresult(hresult, message)
    return Outcome(
        # An unknown outcome: ``apply_outcome`` puts it back to be reconciled, as for a lost answer.
        state=StepState.UNKNOWN_OUTCOME,
        hresult=hresult,
        status_message=message,
        error=(
            f"QuickBooks could not process the message set this request was sent in ({explanation}). "
            "qbbridge will ask QuickBooks whether it was saved, and send it again on its own if not."
        ),
    )


def _settle_by_request_id(steps: list[queue.StepRef], response: str) -> Settlement:
    """Each step with its own part of QuickBooks' answer (the ``*Rs`` elements carrying its
    requestIDs) and its outcome; the responses no step owns are counted.

    A step whose requests the answer does not mention cannot be known to be saved or not: it is
    settled as an unknown outcome (reconciled before anything is sent again, as for a lost answer)."""
    try:
        split = split_answer(response, {str(step.id): step.request_ids for step in steps})
    except (ResponseFormatError, HostileXMLError) as exc:
        return Settlement([(step, response, _unreadable(exc)) for step in steps])
    settled: list[tuple[queue.StepRef, str | None, Outcome]] = []
    for step in steps:
        part = split.parts.get(str(step.id))
        if part is None:
            settled.append((step, None, _answered_by_others() if split.unowned else _unanswered()))
        else:
            settled.append((step, part, settle_response(step, part)))
    return Settlement(settled, foreign=split.unowned)


def _unanswered() -> Outcome:
    return Outcome(
        state=StepState.UNKNOWN_OUTCOME,
        error=(
            "QuickBooks' answer to the message set this request was sent in has no response to it, so "
            "we cannot tell whether QuickBooks saved it. It will not be sent again without checking; "
            "check QuickBooks, then retry or cancel the job."
        ),
    )


def _answered_by_others() -> Outcome:
    return Outcome(
        state=StepState.UNKNOWN_OUTCOME,
        error=(
            "The answer the Web Connector returned for this request carried responses to requests this "
            "session was not given, and none to this one; qbbridge ignored it, so we cannot tell "
            "whether QuickBooks saved this request. It will not be sent again without checking; check "
            "QuickBooks, then retry or cancel the job."
        ),
    )


def _foreign(count: int) -> Outcome:
    """An answer that carries ``count`` responses to requests the step was not sent with."""
    return replace(_answered_by_others(), foreign=count)


def _unreadable(exc: Exception) -> Outcome:
    # We cannot tell what QuickBooks did, so the step must not look failed (and be re-sent).
    return Outcome(
        state=StepState.UNKNOWN_OUTCOME,
        error=(
            f"QuickBooks' answer could not be read ({exc}), so we cannot tell whether QuickBooks "
            "saved this request. It will not be sent again without checking; check QuickBooks, then "
            "retry or cancel the job."
        ),
    )


def settle_response(step: queue.StepRef, response: str) -> Outcome:
    """What QuickBooks' answer means for ``step``, decided by its kind (a kind unknown here is read as
    raw qbXML: the statuses of its responses)."""
    kind = STEP_KINDS.get(step.kind)
    return kind.settle(step, response) if kind is not None else _settle_raw(step, response)


def _settle_page(step: queue.StepRef, response: str) -> Outcome:
    # A page of records is stored where the database is at hand: see apply_outcome.
    return Outcome(state=StepState.SUCCEEDED, page=True)


def _settle_raw(step: queue.StepRef, response: str) -> Outcome:
    """Read the ``*Rs`` statuses of a response message set and decide the step's outcome.

    ``statusCode`` 1 ("no match") is not an error; ``statusSeverity="Error"`` is. With several
    requests in one message set, the first error decides, and warnings are kept.
    """
    try:
        statuses = read_statuses(response)
    except (ResponseFormatError, HostileXMLError) as exc:
        return _unreadable(exc)
    ours = [s for s in statuses if s.request_id in step.request_ids]
    if len(ours) < len(statuses):
        # Someone else's responses: ``settle_answer`` settles the step from its own part, if any.
        return _foreign(len(statuses) - len(ours))
    if not ours:
        return Outcome(
            state=StepState.FAILED, error="QuickBooks answered without any response to our request."
        )
    first_error = next((s for s in ours if s.is_error), None)
    decisive = first_error or ours[-1]
    warnings = [
        explain_status(
            s.status_code, s.status_message, severity=s.status_severity, request_type=s.request_type
        )
        for s in ours
        if s.status_severity.lower() == "warn"
    ]
    outcome = Outcome(
        state=StepState.FAILED if first_error else StepState.SUCCEEDED,
        status_code=decisive.status_code,
        status_severity=decisive.status_severity,
        status_message=decisive.status_message,
        warnings=warnings,
        result={
            "responses": [
                {
                    "type": s.request_type,
                    "requestId": s.request_id,
                    "statusCode": s.status_code,
                    "statusSeverity": s.status_severity,
                    "statusMessage": s.status_message,
                }
                for s in ours
            ]
        },
    )
    if first_error is not None:
        outcome.error = explain_status(
            first_error.status_code,
            first_error.status_message,
            severity=first_error.status_severity,
            request_type=first_error.request_type,
        )
        outcome.retry = (
            is_retryable_status(first_error.status_code, first_error.status_message)
            and step.attempts < MAX_ATTEMPTS
        )
    return outcome


def _settle_planned(step: queue.StepRef, response: str) -> Outcome:
    planned = PlannedStep.from_intent(step.intent)
    try:
        results = list(_read_results(response))
    except (ResponseFormatError, HostileXMLError, ValueError) as exc:
        return _unreadable(exc)
    ours = [result for result in results if result[0].request_id in step.request_ids]
    if len(ours) < len(results):
        # Someone else's responses: ``settle_answer`` settles the step from its own part, if any.
        return _foreign(len(results) - len(ours))
    if not results:
        return Outcome(
            state=StepState.FAILED, error="QuickBooks answered without any response to our request."
        )
    rs, records = results[0]
    base = {
        "status_code": rs.status_code,
        "status_severity": rs.status_severity,
        "status_message": rs.status_message,
    }
    if _reconciling(step, planned):
        return _settle_reconcile(step, planned, rs, records, base)
    if rs.is_error and rs.status_code not in planned.accept_status:
        return Outcome(
            state=StepState.FAILED,
            error=f"{planned.description}: "
            + explain_status(
                rs.status_code,
                rs.status_message,
                severity=rs.status_severity,
                request_type=rs.request_type,
                remedies=planned.remedies,
            ),
            retry=is_retryable_status(rs.status_code, rs.status_message) and step.attempts < MAX_ATTEMPTS,
            **base,
        )
    if planned.item_check is not None:
        return _settle_item_check(planned.item_check, records, base)
    ids = _ids_of(records[0]) if records else {}
    warnings = []
    if rs.status_severity.lower() == "warn":
        warnings.append(
            explain_status(
                rs.status_code,
                rs.status_message,
                severity=rs.status_severity,
                request_type=rs.request_type,
                remedies=planned.remedies,
            )
        )
    note = "already in QuickBooks" if rs.is_error else "done"
    return Outcome(
        state=StepState.SUCCEEDED,
        warnings=warnings,
        ids=ids,
        qb_type=_qb_type(planned.request),
        result={"ids": ids, "note": note, "description": planned.description},
        **base,
    )


def _settle_item_check(check: ItemCheck, records: list[Any], base: dict[str, Any]) -> Outcome:
    """QuickBooks said which items it has and of what type: keep those a later step may send, warn
    about the others, and fail when none is left (the later step would then have nothing to send)."""
    decision, result = lookup_result(check, records)
    refusal = decision.refusal
    if refusal is not None:
        return Outcome(state=StepState.FAILED, error=refusal, result=result, **base)
    return Outcome(
        state=StepState.SUCCEEDED, warnings=decision.warnings, result={**result, "note": "done"}, **base
    )


def _settle_reconcile(
    step: queue.StepRef, planned: PlannedStep, rs: Any, records: list[Any], base: dict[str, Any]
) -> Outcome:
    """What the answer to a reconciliation query says: the document is there (exactly one match),
    it is not (none: send it again), or a person must tell (an error, or several that could be it)."""
    assert planned.reconcile is not None
    if rs.is_error:
        return Outcome(
            state=StepState.UNKNOWN_OUTCOME,
            error=(
                f"{planned.description}: the answer to this request was lost, and QuickBooks could not be "
                "asked whether it saved it ("
                + explain_status(
                    rs.status_code,
                    rs.status_message,
                    severity=rs.status_severity,
                    request_type=rs.request_type,
                )
                + "). Check QuickBooks, then retry or cancel the job."
            ),
            **base,
        )
    # The way render_step chose, from the same version.
    lookup = planned.reconcile.lookup_for(step.sent_version)
    if lookup is None:  # render_step parks such a step; never guess if one is answered anyway
        why = _NOTHING_FINDS_IT.format(version=step.sent_version)
        return Outcome(state=StepState.UNKNOWN_OUTCOME, error=_waits_for_a_person(planned, why), **base)
    found = _found(lookup, records)
    if len(found) > 1:
        return Outcome(
            state=StepState.UNKNOWN_OUTCOME,
            error=(
                f"{planned.description}: the answer to this request was lost, and QuickBooks has "
                f"{len(found)} records that could be it ({_found_words(found)}), so qbbridge does not "
                "guess which. Keep the one that should be there and delete the others in QuickBooks, "
                "then retry the job: qbbridge then links the one left."
            ),
            **base,
        )
    if found:
        ids = found[0]
        return Outcome(
            state=StepState.SUCCEEDED,
            ids=ids,
            qb_type=_qb_type(planned.request),
            result={
                "ids": ids,
                "note": (
                    "found in QuickBooks: it had been saved before the connection was lost; not sent again"
                ),
                "foundBy": lookup.name,
                "description": planned.description,
            },
            **base,
        )
    return Outcome(state=StepState.QUEUED, resend=True, **base)


def _found(lookup: Lookup, records: list[Any]) -> list[dict[str, str]]:
    """The IDs of every record the lookup accepts: matching records, or the queried order's linked
    transactions of the lookup's type."""
    if lookup.linked is not None:
        return [
            _ids_of(linked)
            for record in records
            for linked in getattr(record, "linked_txns", ())
            if linked.txn_type == lookup.linked
        ]
    return [
        _ids_of(record)
        for record in records
        if all(str(getattr(record, key, None) or "") == value for key, value in lookup.match.items())
    ]


def _found_words(found: list[dict[str, str]]) -> str:
    return ", ".join(
        f"number {ids['refNumber']}" if ids.get("refNumber") else f"TxnID {ids.get('txnId', '?')}"
        for ids in found
    )


def _read_results(response: str) -> Any:
    for rs in parse_response(response):
        yield rs, list(rs.records)


def _ids_of(record: Any) -> dict[str, str]:
    ids = {}
    for attribute, key in _ID_FIELDS.items():
        value = getattr(record, attribute, None)
        if value:
            ids[key] = str(value)
    return ids


def _qb_type(request: Request) -> str:
    name = type(request).__name__
    for suffix in ("Add", "Mod", "Query"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# --- applying an outcome -----------------------------------------------------------------------


def apply_outcome(
    session: Session,
    step: queue.StepRef,
    response: str | None,
    outcome: Outcome,
    *,
    now: dt.datetime,
    session_id: int | None = None,
    check_runnable_for: str | None = None,
) -> bool | None:
    """Store the answer on the step, move the step and its job, and write the link it created.

    With ``check_runnable_for``: whether that tenant has a step to send afterwards, asked in the batch
    that settles the step (see ``queue.settle_step``); None for a retrieval's page, where the caller
    asks.
    """
    if outcome.page:
        # Responses of the page that are not the step's own are only known once it is read.
        outcome.foreign = retrieval.apply_page(session, step, response or "", now=now, session_id=session_id)
        return None
    if outcome.warnings:
        job = session.get(Job, step.job_id)
        assert job is not None
        job.warnings = [*job.warnings, *outcome.warnings]
    answer = queue.Answer(
        response=response or None,
        status_code=outcome.status_code,
        status_severity=outcome.status_severity,
        status_message=outcome.status_message,
        hresult=outcome.hresult,
        error=outcome.error,
        result=outcome.result,
    )

    def requeue(*, phase: StepPhase | None = None, not_before: dt.datetime | None = None) -> bool | None:
        return queue.settle_step(
            session,
            step,
            StepState.QUEUED,
            answer,
            now=now,
            phase=phase,
            not_before=not_before,
            check_runnable_for=check_runnable_for,
        )

    if outcome.resend:
        return requeue(phase=StepPhase.SEND)
    if outcome.retry:
        # After an error from the Web Connector (an hresult) QuickBooks may have saved the request
        # before it failed: look for it before sending it again, as for a lost answer.
        phase = StepPhase.RECONCILE if outcome.hresult and _can_reconcile(step) else None
        return requeue(phase=phase, not_before=now + retry_delay(step.attempts))
    state = outcome.state
    if state == StepState.UNKNOWN_OUTCOME and _can_reconcile(step):
        # Unreadable answer: ask QuickBooks before deciding, exactly as for a lost one.
        return requeue(phase=StepPhase.RECONCILE)
    before: list[tuple[Statement, dict[str, Any]]] = []
    if state == StepState.SUCCEEDED and step.kind == StepKind.QBXML_REQUEST:
        planned = PlannedStep.from_intent(step.intent)
        job_ref = step.job or _job_ref(session, step.job_id)
        if planned.creates_link and job_ref.link_entity and job_ref.link_code:
            # The link and the job's result are written in the batch that settles the step.
            link = link_repo.complete_params(
                tenant_id=job_ref.tenant_id,
                entity=job_ref.link_entity,
                code=job_ref.link_code,
                qb_type=outcome.qb_type,
                ids=outcome.ids,
                now=now,
            )
            result = {**job_ref.result, "quickbooks": {"type": outcome.qb_type, **outcome.ids}}
            before += [
                (link_repo.COMPLETE, link),
                (queue.SET_JOB_RESULT, {"job_id": step.job_id, "result": result}),
            ]
    return queue.settle_step(
        session, step, state, answer, now=now, before=before, check_runnable_for=check_runnable_for
    )


def _can_reconcile(step: queue.StepRef) -> bool:
    """Whether the step can be looked for in QuickBooks (or safely sent again) before it is re-sent:
    a typed request in phase ``send`` with a reconciliation query, or one safe to repeat."""
    if step.kind != StepKind.QBXML_REQUEST or step.phase != StepPhase.SEND:
        return False
    planned = PlannedStep.from_intent(step.intent)
    return planned.reconcile is not None or planned.safe_to_repeat


def _job_ref(session: Session, job_id: int) -> queue.JobRef:
    job = session.get(Job, job_id)
    assert job is not None
    return queue.JobRef(
        tenant_id=job.tenant_id,
        link_entity=job.link_entity,
        link_code=job.link_code,
        result=dict(job.result or {}),
    )


# --- the step kinds ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KindRules:
    """How a step of one kind is written for the host and what an answer to it means."""

    render: Callable[[Session, queue.StepRef, HostContext, dt.datetime], Rendered]
    settle: Callable[[queue.StepRef, str], Outcome]


# A new kind of step: a StepKind member, and its rules here.
STEP_KINDS: dict[str, KindRules] = {
    StepKind.QBXML_REQUEST: KindRules(render=_render_planned, settle=_settle_planned),
    StepKind.RAW_QBXML: KindRules(render=_render_raw, settle=_settle_raw),
    StepKind.RETRIEVAL_QUERY: KindRules(render=_render_retrieval, settle=_settle_page),
}
