"""What the first ``sendRequestXML`` tells us about the customer's QuickBooks, and which QuickBooks
versions qbbridge works with.

qbbridge speaks qbXML 6.0 (QuickBooks 2007) to 16.0 (QuickBooks 2023 and later; a newer host is spoken
to at 16.0). 6.0 is the oldest version on which every send flow and every retrieval works:

* an invoice can be linked to its sales order only from 6.0 (``InvoiceAdd/LinkToTxnID``); below it a
  shipping could only make an invoice the sales order never hears of;
* a time entry's billable status (``BillableStatus``) exists from 6.0;
* retrievals page through QuickBooks' answers with iterators, which exist from 5.0;
* from 6.0 one specification serves every edition; older QuickBooks outside the United States spoke
  versions of its own (``CA3.0``, ``UK3.0``), which qbbridge does not write.

A host below 6.0 is refused plainly at the first ``sendRequestXML`` of every session (see
``qbwc/service.py``): nothing is sent, nothing queued fails, and the Web Connector shows the text of
:func:`host_version`'s refusal. Between 6.0 and 8.0 documents carry no ExternalGUID (9.0); how a
document whose answer was lost is found again there is in ``mapping/flows/reconcile.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from requests_builder.versions import SUPPORTED_VERSIONS, read_host_version, version_tuple
from responses_parser.host import HostInfo, parse_host_response
from responses_parser.safe_xml import HostileXMLError
from responses_parser.status import ResponseFormatError

MIN_QBXML_VERSION = "6.0"
MIN_QUICKBOOKS = "QuickBooks 2007"
MAX_QBXML_VERSION = "16.0"
# Spoken to when a host says nothing about its version (a Web Connector always does; tests may not).
DEFAULT_QBXML_VERSION = "13.0"

_EDITIONS = {"CA": "Canadian", "UK": "UK", "AU": "Australian", "OZ": "Australian"}
_MIN = version_tuple(MIN_QBXML_VERSION)
_MAX = version_tuple(MAX_QBXML_VERSION)
_OURS = sorted(version_tuple(v) for v in SUPPORTED_VERSIONS if _MIN <= version_tuple(v) <= _MAX)


def describe_host(hcp_response: str) -> HostInfo:
    """Product, supported qbXML versions, country and company from the host/company/preferences answers.

    An unreadable answer is not an error for the session: we simply learn nothing from it.
    """
    try:
        return parse_host_response(hcp_response)
    except (HostileXMLError, ResponseFormatError, ValueError):
        return HostInfo()


@dataclass(frozen=True, slots=True)
class HostVersion:
    """The qbXML version qbbridge speaks to a host (None: the host is refused), the highest version the
    host itself claims, as it wrote it, and the refusal shown to the user when it is too old."""

    version: str | None
    highest: str | None
    refusal: str | None = None


def _text(key: tuple[int, int]) -> str:
    return f"{key[0]}.{key[1]}"


def host_version(
    *, reported: str | None, listed: Sequence[str] = (), product: str | None = None
) -> HostVersion:
    """The version to speak to a host: the highest one qbbridge writes, within 6.0–16.0, that the host
    lists in ``SupportedQBXMLVersion`` (``listed``, from the first ``strHCPResponse``) and that is no
    higher than what the Web Connector ``reported`` (``qbXMLMajorVers.qbXMLMinorVers``).

    Edition-specific entries (``CA3.0``) count as what the host speaks, for the refusal, but are never
    spoken. A host with nothing qbbridge may speak is refused with a text naming what it found.
    """
    cap = _MAX
    reported_key = read_host_version(reported) if reported else None
    if reported_key is not None and reported_key[0] is None:
        cap = min(cap, reported_key[1])
    entries = [(raw.strip(), read) for raw in listed if (read := read_host_version(raw)) is not None]
    highest: str | None = None
    if entries:
        top = max(entries, key=lambda entry: (entry[1][1], entry[1][0] is None))
        highest = top[0]
        if reported_key is not None and reported_key[0] is None and reported_key[1] < top[1][1]:
            highest = _text(reported_key[1])  # the Web Connector says it speaks less than it lists
        plain = {read[1] for _, read in entries if read[0] is None}
        candidates = [key for key in _OURS if key in plain and key <= cap]
    elif reported_key is not None:
        highest = reported.strip() if reported else None
        candidates = [key for key in _OURS if key <= cap] if reported_key[0] is None else []
    else:
        return HostVersion(version=DEFAULT_QBXML_VERSION, highest=None)
    if candidates:
        return HostVersion(version=_text(max(candidates)), highest=highest)
    return HostVersion(version=None, highest=highest, refusal=refusal_text(highest, product))


def refusal_text(highest: str | None, product: str | None) -> str:
    """What the Web Connector shows for a QuickBooks too old for qbbridge (plain language)."""
    name = product or "The QuickBooks on this computer"
    found = f"qbXML {highest}" if highest else "no qbXML version qbbridge knows"
    read = read_host_version(highest) if highest else None
    if read is not None and read[0] is not None:
        edition = _EDITIONS.get(read[0], read[0])
        found += f" (the {edition} edition's own version, which qbbridge does not write)"
    return (
        f"{name} speaks {found} at most, and qbbridge needs qbXML {MIN_QBXML_VERSION} or newer "
        f"({MIN_QUICKBOOKS} or later). Nothing was sent and nothing is lost: what is waiting stays "
        "queued. Update QuickBooks, then run the Web Connector again."
    )


def version_for_sends(reported: str | None) -> tuple[str, str | None]:
    """The version a send is checked at before it is queued: the one its tenant's QuickBooks was last
    spoken to at, and a warning when that QuickBooks is too old (the send then waits, checked at the
    oldest version qbbridge speaks)."""
    if not reported:
        return DEFAULT_QBXML_VERSION, None
    decided = host_version(reported=reported)
    if decided.version is not None:
        return decided.version, None
    return MIN_QBXML_VERSION, (
        f"QuickBooks on this company last reported qbXML {reported}; qbbridge needs "
        f"{MIN_QBXML_VERSION} or newer ({MIN_QUICKBOOKS} or later). This is queued and waits until "
        "QuickBooks is updated."
    )
