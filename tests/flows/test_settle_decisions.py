"""The settle decisions (mapping/settling.py) on their own: an answer in, an Outcome out, no database.

What the rest of the suite checks end to end through a session is pinned here at the level of the
decision, so a change to one rule shows as that rule's failure."""

from __future__ import annotations

from db.queue import StepRef
from db.states import StepPhase, StepState
from mapping.plan import Lookup, PlannedStep, Reconcile
from mapping.rendering import RENDER_BY_KIND
from mapping.retries import MAX_ATTEMPTS
from mapping.settling import SETTLE_BY_KIND, settle_answer, settle_hresult, settle_response
from mapping.step_kinds import StepKind
from requests_builder import Ref, SalesOrderAdd, SalesOrderQuery

GUID = "{3F2504E0-4F89-41D3-9A0C-0305E82C3301}"
PLANNED = PlannedStep(
    request=SalesOrderAdd(customer=Ref(full_name="ACME"), ref_number="SO-1", external_guid=GUID),
    description="Create the sales order SO-1 for ACME",
    reconcile=Reconcile(
        lookups=(
            Lookup(name="externalGuid", query=SalesOrderQuery(), match={"external_guid": GUID}, needs="9.0"),
        ),
        look_for="sales order SO-1",
    ),
    creates_link=True,
)


def _step(*, phase: str = StepPhase.SEND, attempts: int = 1, planned: PlannedStep = PLANNED) -> StepRef:
    return StepRef(
        id=7,
        job_id=1,
        position=0,
        kind=StepKind.QBXML_REQUEST,
        intent=planned.to_intent(),
        attempts=attempts,
        request_ids=["7.0"],
        phase=phase,
        sent_version="13.0",
    )


def _answer(rs: str) -> str:
    return f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{rs}</QBXMLMsgsRs></QBXML>'


def _added(code: int = 0, severity: str = "Info", message: str = "Status OK") -> str:
    ret = "<SalesOrderRet><TxnID>12-34</TxnID><EditSequence>99</EditSequence><RefNumber>SO-1</RefNumber></SalesOrderRet>"
    return _answer(
        f'<SalesOrderAddRs requestID="7.0" statusCode="{code}" statusSeverity="{severity}" '
        f'statusMessage="{message}">{ret if code in (0, 530) else ""}</SalesOrderAddRs>'
    )


def _found(*guids: str) -> str:
    rets = "".join(
        f"<SalesOrderRet><TxnID>5-{n}</TxnID><RefNumber>SO-{n}</RefNumber><ExternalGUID>{guid}</ExternalGUID>"
        "</SalesOrderRet>"
        for n, guid in enumerate(guids)
    )
    code, message = (0, "Status OK") if guids else (1, "A query request did not find a matching object")
    severity = "Info"
    return _answer(
        f'<SalesOrderQueryRs requestID="7.0" statusCode="{code}" statusSeverity="{severity}" '
        f'statusMessage="{message}">{rets}</SalesOrderQueryRs>'
    )


def test_a_saved_document_succeeds_with_its_ids_and_type() -> None:
    outcome = settle_response(_step(), _added())
    assert outcome.state == StepState.SUCCEEDED
    assert outcome.ids == {"txnId": "12-34", "editSequence": "99", "refNumber": "SO-1"}
    assert outcome.qb_type == "SalesOrder"
    assert outcome.result["note"] == "done" and outcome.warnings == []


def test_a_warning_is_kept_on_a_success() -> None:
    outcome = settle_response(_step(), _added(530, "Warn", "The ref number is a duplicate"))
    assert outcome.state == StepState.SUCCEEDED and len(outcome.warnings) == 1


def test_an_error_fails_the_step_with_its_description_and_is_not_retried() -> None:
    outcome = settle_response(_step(), _added(3140, "Error", "There is an invalid reference to QuickBooks Customer"))
    assert outcome.state == StepState.FAILED and not outcome.retry
    assert outcome.status_code == 3140
    assert outcome.error is not None and outcome.error.startswith("Create the sales order SO-1 for ACME: ")


def test_an_accepted_error_counts_as_done_already() -> None:
    accepting = PlannedStep(request=PLANNED.request, description="Ensure", accept_status=frozenset({3100}))
    outcome = settle_response(_step(planned=accepting), _added(3100, "Error", "The name is already in use"))
    assert outcome.state == StepState.SUCCEEDED and outcome.result["note"] == "already in QuickBooks"


def test_something_in_use_is_retried_until_the_attempts_run_out() -> None:
    busy = _added(3180, "Error", "There was an error when saving a Sales Order. The record is in use")
    assert settle_response(_step(attempts=1), busy).retry
    assert not settle_response(_step(attempts=MAX_ATTEMPTS), busy).retry


def test_an_unreadable_answer_leaves_the_outcome_unknown_never_failed() -> None:
    outcome = settle_response(_step(), "<QBXML><QBXMLMsgsRs>")
    assert outcome.state == StepState.UNKNOWN_OUTCOME


def test_reconciling_one_match_succeeds_with_what_was_found() -> None:
    outcome = settle_response(_step(phase=StepPhase.RECONCILE), _found(GUID))
    assert outcome.state == StepState.SUCCEEDED
    assert outcome.ids == {"txnId": "5-0", "refNumber": "SO-0"}
    assert outcome.result["foundBy"] == "externalGuid"


def test_reconciling_no_match_sends_again() -> None:
    outcome = settle_response(_step(phase=StepPhase.RECONCILE), _found())
    assert outcome.state == StepState.QUEUED and outcome.resend


def test_reconciling_several_matches_waits_for_a_person() -> None:
    outcome = settle_response(_step(phase=StepPhase.RECONCILE), _found(GUID, GUID))
    assert outcome.state == StepState.UNKNOWN_OUTCOME
    assert outcome.error is not None and "2 records that could be it" in outcome.error


def test_reconciling_ignores_records_that_do_not_match() -> None:
    other = "{00000000-0000-0000-0000-000000000000}"
    outcome = settle_response(_step(phase=StepPhase.RECONCILE), _found(other))
    assert outcome.state == StepState.QUEUED and outcome.resend


def test_an_hresult_fails_the_step_and_is_retried_only_when_it_passes() -> None:
    step = _step()
    not_running = settle_hresult(step, "0x80040408", "Could not start QuickBooks.")
    assert not_running.state == StepState.FAILED and not_running.hresult == "0x80040408"
    assert not_running.error is not None and "0x80040408" in not_running.error


def test_raw_qbxml_is_decided_by_its_first_error_and_keeps_warnings() -> None:
    raw = StepRef(id=7, job_id=1, position=0, kind=StepKind.RAW_QBXML, intent={}, attempts=1, request_ids=["7.0", "7.1"])
    answer = _answer(
        '<CustomerQueryRs requestID="7.0" statusCode="530" statusSeverity="Warn" statusMessage="w"/>'
        '<CustomerQueryRs requestID="7.1" statusCode="3120" statusSeverity="Error" statusMessage="e"/>'
    )
    outcome = settle_response(raw, answer)
    assert outcome.state == StepState.FAILED and outcome.status_code == 3120
    assert len(outcome.warnings) == 1


def test_a_retrieval_page_is_stored_by_the_use_case() -> None:
    page = StepRef(id=7, job_id=1, position=0, kind=StepKind.RETRIEVAL_QUERY, intent={}, attempts=1)
    outcome = settle_response(page, "<anything/>")
    assert outcome.state == StepState.SUCCEEDED and outcome.page


def test_an_answer_to_a_single_step_is_settled_whole() -> None:
    settled = settle_answer([_step()], _added(), "", "")
    [(_, part, outcome)] = settled.steps
    assert settled.foreign == 0 and part == _added() and outcome.state == StepState.SUCCEEDED


def test_every_step_kind_is_both_rendered_and_settled() -> None:
    # A new kind needs both halves: a StepKind member alone would be refused at render time.
    assert set(RENDER_BY_KIND) == set(SETTLE_BY_KIND) == set(StepKind)
