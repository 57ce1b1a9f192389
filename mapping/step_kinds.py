"""The kinds of step a job is made of: each kind is rendered and settled its own way
(``mapping/steps.py``, ``STEP_KINDS``). Stored in ``job_steps.kind``; the queue itself (``db/``)
knows none of them."""

from __future__ import annotations

from enum import StrEnum


class StepKind(StrEnum):
    # A mapping.plan.PlannedStep: a typed request, its bindings, accepted statuses and reconciliation.
    QBXML_REQUEST = "qbxml_request"
    # A message set written elsewhere (POST …/qbxml), sent as given with our requestIDs.
    RAW_QBXML = "raw_qbxml"
    # One page of a retrieval: a query per QuickBooks entity, continued with an iterator.
    RETRIEVAL_QUERY = "retrieval_query"
