"""A retrieval step's requests for the next page: the first page's query with its filter, or the
iterator's Continue, each asking for as many documents as the page sizing allows
(``mapping.retrieval_pages``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import queue
from db.models import Step
from db.states import StepPhase
from mapping import retrieval_lists
from mapping.retrieval import ENTITIES
from mapping.retrieval_pages import DEFAULT_SOAP_BODY_LIMIT, PAGE_SIZES, PageSizing
from requests_builder import (
    ModifiedDateRangeFilter,
    Request,
)


def render_queries(
    session: Session,
    step: queue.StepRef,
    *,
    session_id: int | None,
    qbxml_version: str | None,
    soap_body_limit: int = DEFAULT_SOAP_BODY_LIMIT,
) -> list[Request]:
    """The requests of the step's next page; ``soap_body_limit`` is the largest SOAP body the endpoint
    reads (QBBRIDGE_MAX_SOAP_BODY_BYTES), which a page of documents is sized against."""
    entity = step.intent["entity"]
    state = step_state(session, step)
    continuing = (
        step.phase == StepPhase.CONTINUE
        and state.get("iteratorId")
        and state.get("iteratorSession") == session_id
    )
    if entity == retrieval_lists.LISTS:
        since = step.intent.get("since")
        return retrieval_lists.lists_queries(
            since=dt.datetime.fromisoformat(since) if since else None,
            page_size=PAGE_SIZES[entity],
            qbxml_version=qbxml_version,
            first=not continuing,
            iterator_id=state.get("iteratorId"),
        )
    sizing = step_sizing(step, state)
    if continuing:
        return [
            ENTITIES[entity].query(
                iterator="Continue",
                iterator_id=state["iteratorId"],
                max_returned=sizing.next_page(entity, soap_body_limit),
            )
        ]
    since = dt.datetime.fromisoformat(step.intent["since"])
    return [first_page_query(entity, since, page_size=sizing.first_page(entity, soap_body_limit))]


def step_sizing(step: queue.StepRef, state: dict[str, Any]) -> PageSizing:
    sizing = PageSizing.from_result(state)
    # A step in phase "reconcile" lost its last page's answer (its session ended first, as it does when
    # a page is over the SOAP body limit): it starts again, its pages no larger than the first's.
    return sizing.lost() if step.phase == StepPhase.RECONCILE else sizing


def first_page_query(entity: str, since: dt.datetime, *, page_size: int | None = None) -> Request:
    """The query that starts retrieving ``entity``: every document modified since ``since``, with its
    lines, linked transactions and custom fields, ``page_size`` (by default ``PAGE_SIZES[entity]``,
    the size for when nothing has been seen yet) at a time."""
    return ENTITIES[entity].query(
        iterator="Start",
        max_returned=page_size or PAGE_SIZES[entity],
        modified_date_range=ModifiedDateRangeFilter(from_modified_date=since),
        include_line_items=True,
        include_linked_txns=True,
        owner_ids=["0"],  # custom fields (QuickBooks' own, OwnerID 0) come back as DataExtRet
    )


def step_state(session: Session, step: queue.StepRef) -> dict[str, Any]:
    result = session.execute(select(Step.result).where(Step.id == step.id)).scalar_one_or_none()
    return dict(result or {})
