"""Rendering a queued step into qbXML for the connected host, and settling it from QuickBooks' answer.

A step stores intent; the qbXML is written only when a session claims it, because only then do we
know the host's qbXML version (and, for later steps, the IDs that earlier steps returned).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from db.models import Step
from db.states import StepState
from mapping.explain import explain_hresult, explain_status, is_retryable_hresult, is_retryable_status
from requests_builder.raw import RawQbxmlError, prepare_raw_qbxml
from responses_parser.safe_xml import HostileXMLError
from responses_parser.status import ResponseFormatError, read_statuses

RAW_QBXML = "raw_qbxml"

# Transient QuickBooks conditions are retried on a later session, this many times at most.
MAX_ATTEMPTS = 5
RETRY_DELAY = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class HostContext:
    """What the connected QuickBooks told us about itself, at claim time."""

    qbxml_version: str  # highest version the host supports, "13.0"
    country: str  # "US", "CA", "UK", "AU"


@dataclass(frozen=True, slots=True)
class Rendered:
    xml: str
    request_ids: list[str]


class RenderError(Exception):
    """The step cannot be turned into qbXML for this host; the message says why in plain language."""


def render_step(step: Step, host: HostContext) -> Rendered:
    if step.kind == RAW_QBXML:
        try:
            prepared = prepare_raw_qbxml(
                step.intent["qbxml"], request_id_prefix=str(step.id), host_max_version=host.qbxml_version
            )
        except (RawQbxmlError, HostileXMLError) as exc:
            raise RenderError(str(exc)) from exc
        return Rendered(xml=prepared.xml, request_ids=prepared.request_ids)
    raise RenderError(f"qbbridge does not know how to send a step of kind {step.kind!r}")


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
    warnings: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


def settle_response(step: Step, response: str) -> Outcome:
    """Read the ``*Rs`` statuses of a response message set and decide the step's outcome.

    ``statusCode`` 1 ("no match") is not an error; ``statusSeverity="Error"`` is. With several
    requests in one message set, the first error decides, and warnings are kept.
    """
    try:
        statuses = read_statuses(response)
    except (ResponseFormatError, HostileXMLError) as exc:
        # We cannot tell what QuickBooks did, so the step must not look failed (and be re-sent).
        return Outcome(
            state=StepState.UNKNOWN_OUTCOME,
            error=(
                f"QuickBooks' answer could not be read ({exc}), so we cannot tell whether QuickBooks "
                "saved this request. It will not be sent again automatically; check QuickBooks, then "
                "retry or cancel the job."
            ),
        )
    ours = [s for s in statuses if s.request_id is None or s.request_id in step.request_ids] or statuses
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
    result = {
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
    }
    outcome = Outcome(
        state=StepState.FAILED if first_error else StepState.SUCCEEDED,
        status_code=decisive.status_code,
        status_severity=decisive.status_severity,
        status_message=decisive.status_message,
        warnings=warnings,
        result=result,
    )
    if first_error is not None:
        outcome.error = explain_status(
            first_error.status_code,
            first_error.status_message,
            severity=first_error.status_severity,
            request_type=first_error.request_type,
        )
        outcome.retry = is_retryable_status(first_error.status_code) and step.attempts < MAX_ATTEMPTS
    return outcome


def settle_hresult(step: Step, hresult: str, message: str) -> Outcome:
    """QuickBooks could not process the message set at all (the Web Connector reported an hresult)."""
    return Outcome(
        state=StepState.FAILED,
        hresult=hresult,
        status_message=message,
        error=explain_hresult(hresult, message),
        retry=is_retryable_hresult(hresult) and step.attempts < MAX_ATTEMPTS,
    )
