"""What QuickBooks' answer means for a step: pure decisions, data in and an :class:`Outcome` out.

Nothing here reads or writes the database; :func:`mapping.steps.apply_outcome` applies an outcome
through ``db/``. Each kind of step (:class:`mapping.step_kinds.StepKind`) is read its own way
(``SETTLE_BY_KIND``); an answer shared by several steps is split by requestID first
(:func:`settle_answer`).
"""


from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from db import queue
from db.states import StepPhase, StepState
from mapping.explain import (
    explain_hresult,
    explain_status,
    is_retryable_hresult,
    is_retryable_status,
)
from mapping.item_types import lookup_result
from mapping.plan import ItemCheck, Lookup, PlannedStep
from mapping.retries import MAX_ATTEMPTS
from mapping.step_kinds import StepKind
from requests_builder import Request
from responses_parser import parse_response, split_answer
from responses_parser.safe_xml import HostileXMLError
from responses_parser.status import ResponseFormatError, read_statuses

ID_FIELDS = {
    "txn_id": "txnId",
    "list_id": "listId",
    "edit_sequence": "editSequence",
    "ref_number": "refNumber",
    "full_name": "fullName",
}


def reconciling(step: queue.StepRef, planned: PlannedStep) -> bool:
    # A step safe to repeat has no reconciliation query: in phase "reconcile" it is simply sent again.
    return step.phase == StepPhase.RECONCILE and planned.reconcile is not None


NOTHING_FINDS_IT = (
    "it was sent to a QuickBooks without ExternalGUID (qbXML {version}, before QuickBooks 2010), where "
    "it has nothing qbbridge can look it up by"
)


def waits_for_a_person(planned: PlannedStep, why: str) -> str:
    assert planned.reconcile is not None
    look_for = planned.reconcile.look_for or "what this step creates"
    return (
        f"{planned.description}: QuickBooks' answer to it was lost, and {why}, so qbbridge cannot tell "
        f"whether QuickBooks saved it and does not send it again on a guess. Look in QuickBooks for "
        f"{look_for}. If it is not there, retry the job: qbbridge then sends it. If it is there, do not "
        "retry it (cancel the job if it has more to send)."
    )


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
    page: bool = False  # a retrieval page, stored by mapping.retrieval_store
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
    settle = SETTLE_BY_KIND.get(step.kind, _settle_raw)
    return settle(step, response)


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
    warnings = [explain_status(s) for s in ours if s.status_severity.lower() == "warn"]
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
        outcome.error = explain_status(first_error)
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
    if reconciling(step, planned):
        return _settle_reconcile(step, planned, rs, records, base)
    if rs.is_error and rs.status_code not in planned.accept_status:
        return Outcome(
            state=StepState.FAILED,
            error=f"{planned.description}: " + explain_status(rs, planned.remedies),
            retry=is_retryable_status(rs.status_code, rs.status_message) and step.attempts < MAX_ATTEMPTS,
            **base,
        )
    if planned.item_check is not None:
        return _settle_item_check(planned.item_check, records, base)
    ids = _ids_of(records[0]) if records else {}
    warnings = []
    if rs.status_severity.lower() == "warn":
        warnings.append(explain_status(rs, planned.remedies))
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
                + explain_status(rs)
                + "). Check QuickBooks, then retry or cancel the job."
            ),
            **base,
        )
    # The way render_step chose, from the same version.
    lookup = planned.reconcile.lookup_for(step.sent_version)
    if lookup is None:  # render_step parks such a step; never guess if one is answered anyway
        why = NOTHING_FINDS_IT.format(version=step.sent_version)
        return Outcome(state=StepState.UNKNOWN_OUTCOME, error=waits_for_a_person(planned, why), **base)
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
    for attribute, key in ID_FIELDS.items():
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



# A new kind of step: its decision here, and its rendering in mapping.rendering.RENDER_BY_KIND.
SETTLE_BY_KIND: dict[str, Callable[[queue.StepRef, str], Outcome]] = {
    StepKind.QBXML_REQUEST: _settle_planned,
    StepKind.RAW_QBXML: _settle_raw,
    StepKind.RETRIEVAL_QUERY: _settle_page,
}
