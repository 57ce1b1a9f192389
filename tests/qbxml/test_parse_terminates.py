"""Reading never hangs: a document cut anywhere, or damaged, ends in records or a clear error.

A reader that stops making progress would hold a server worker forever (and grow its memory), so
the reading runs in a child process with a deadline, and the test fails, instead of hanging, if it
is not done in time.
"""

from __future__ import annotations

import io
import multiprocessing

from responses_parser import HostileXMLError, ResponseFormatError, parse_host_response, parse_response
from tests.qbxml.test_fast_reader import KITCHEN_SINK, _document

DEADLINE_SECONDS = 60

HOST = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><HostQueryRs requestID="0" statusCode="0" '
    'statusSeverity="Info" statusMessage="Status OK"><HostRet><ProductName>QuickBooks Pro 2014</ProductName>'
    "<MajorVersion>24</MajorVersion><MinorVersion>0</MinorVersion><Country>US</Country>"
    "<SupportedQBXMLVersion>12.0</SupportedQBXMLVersion><SupportedQBXMLVersion>13.0</SupportedQBXMLVersion>"
    "<IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode></HostRet></HostQueryRs>"
    "</QBXMLMsgsRs></QBXML>"
)


def _outcome(read, data: bytes) -> str:
    try:
        read(data)
    except (ResponseFormatError, HostileXMLError) as exc:
        return type(exc).__name__
    return "read"


def _read_all(data: bytes) -> int:
    return sum(len(list(rs.records)) for rs in parse_response(io.BytesIO(data)))


def _read_host(data: bytes) -> object:
    return parse_host_response(data.decode("utf-8", errors="replace"))


def _variants(document: bytes) -> list[bytes]:
    """The document cut after every few bytes, and with a byte replaced at the same places."""
    cuts = [document[:end] for end in range(0, len(document), 7)]
    damaged = [document[:at] + b"<" + document[at + 1 :] for at in range(0, len(document), 13)]
    return [*cuts, *damaged, document]


def _read_every_variant(queue: multiprocessing.Queue) -> None:
    outcomes: dict[str, int] = {}
    for read, document in ((_read_all, _document(KITCHEN_SINK).encode()), (_read_host, HOST.encode())):
        for variant in _variants(document):
            outcome = _outcome(read, variant)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    queue.put(outcomes)


def test_every_cut_or_damaged_document_ends_within_the_deadline() -> None:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_read_every_variant, args=(queue,))
    child.start()
    child.join(DEADLINE_SECONDS)
    if child.is_alive():
        child.kill()
        child.join()
        raise AssertionError(f"reading cut or damaged documents did not end within {DEADLINE_SECONDS} s")
    assert child.exitcode == 0
    outcomes = queue.get(timeout=5)
    # Both kinds of ending are exercised: whole documents read, broken ones refused with a clear error.
    assert outcomes.get("read", 0) >= 2, outcomes
    assert outcomes.get("ResponseFormatError", 0) > 10, outcomes
