"""A session's first ``sendRequestXML``: what QuickBooks the customer runs is recorded, and the session
is refused before anything is claimed when QuickBooks is too old for qbbridge, or has another company
file open than the tenant's."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from db import queue
from db import tenants as tenant_repo
from db.states import SessionState
from mapping.host import HostInfo, describe_host
from qbwc import onboarding
from qbwc.ticket_sessions import end_if_expired

log = logging.getLogger("qbbridge.qbwc")


def refuse_company(
    session: Session, touch: dict[str, object], company_file: str | None, now: dt.datetime
) -> bool:
    """A session's first call: refused when its tenant was disabled or QuickBooks has another
    company file open than the tenant's (qbwc/onboarding.py). Read only here, once a session."""
    wc_session = queue.find_session(session, str(touch["ticket_digest"]))
    if wc_session is None or wc_session.state != SessionState.OPEN or wc_session.hcp_received:
        return False
    reason = onboarding.check_company_file(session, wc_session, company_file, now)
    if reason is None:
        return False
    log.warning("sendRequestXML refused: tenant %s: %s", wc_session.tenant_id, wc_session.refusal)
    return True


def refuse_host(
    session: Session,
    touch: dict[str, object],
    hcp_response: str | None,
    described: HostInfo | None,
    reported: str | None,
    refusal: str,
    now: dt.datetime,
) -> str:
    """A QuickBooks too old for qbbridge: nothing is claimed or sent, what waits stays queued, and
    ``getLastError`` gives the Web Connector the refusal to show (which QuickBooks was found and
    what qbbridge needs). The tenant's connection shows it too."""
    wc_row = queue.touch_session(session, touch)
    if wc_row is None:
        end_if_expired(session, str(touch["ticket_digest"]), now)
        return ""
    if hcp_response and not wc_row.hcp_received:
        record_host(session, wc_row, hcp_response, described, reported, now)
    queue.set_last_error(session, wc_row.id, refusal)
    tenant_repo.note_connection_error(session, wc_row.tenant_id, refusal, now=now)
    log.info("sendRequestXML refused: QuickBooks older than qbbridge supports (%s)", reported)
    return ""


def record_host(
    session: Session,
    wc_row: queue.SessionRow,
    hcp_response: str,
    described: HostInfo | None,
    reported: str | None,
    now: dt.datetime,
) -> None:
    """The first sendRequestXML of a session says what QuickBooks the customer runs."""
    queue.mark_host_received(session, wc_row.id)
    described = described or describe_host(hcp_response)
    tenant_repo.note_host(
        session,
        wc_row.tenant_id,
        raw=hcp_response,
        company_file=wc_row.company_file,
        company_name=described.company_name,
        country=wc_row.country or described.country,
        qbxml_version=reported,
        qbwc_version=wc_row.client_version,
        product=described.product_name,
        supported_versions=list(described.supported_versions),
        now=now,
    )
