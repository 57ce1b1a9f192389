"""Requests of several steps in one message set (``wrap_requests``), QuickBooks' answer cut back into
one response per step (``split_by_request_id``), and a step settled from its own response."""

from __future__ import annotations

import pytest
from lxml import etree

from db.queue import StepRef
from mapping.plan import PlannedStep
from mapping.settling import settle_answer, settle_response
from mapping.step_kinds import StepKind
from requests_builder import BuildError, CustomerQuery, build_message_set, wrap_requests
from responses_parser import HostileXMLError, ResponseFormatError, read_statuses, split_by_request_id


def _built(name: str, request_id: str) -> str:
    return build_message_set([CustomerQuery(full_names=[name], request_id=request_id)], version="13.0").requests_xml


def test_wrapped_requests_are_the_same_requests_in_one_message_set() -> None:
    alone = build_message_set([CustomerQuery(full_names=["Acme"], request_id="7.0")], version="13.0")
    together = wrap_requests([alone.requests_xml, _built("Bolt", "8.0")], version="13.0", on_error="continueOnError")
    root = etree.fromstring(together.encode())
    messages = root.find("QBXMLMsgsRq")
    assert messages is not None and messages.get("onError") == "continueOnError"
    assert [(rq.tag, rq.get("requestID"), rq.findtext("FullName")) for rq in messages] == [
        ("CustomerQueryRq", "7.0", "Acme"),
        ("CustomerQueryRq", "8.0", "Bolt"),
    ]
    assert '<?qbxml version="13.0"?>' in together
    # A single request wrapped with the builder's own header is exactly what the builder writes.
    assert wrap_requests([alone.requests_xml], version="13.0", on_error="stopOnError") == alone.xml


def test_wrapping_refuses_an_unknown_version_or_on_error_mode() -> None:
    with pytest.raises(BuildError):
        wrap_requests([_built("Acme", "1")], version="99.0", on_error="continueOnError")
    with pytest.raises(BuildError) as raised:
        wrap_requests([_built("Acme", "1")], version="13.0", on_error="keepGoing")
    assert "on_error" in str(raised.value)


RESPONSE = """<?xml version="1.0" ?>
<QBXML>
<QBXMLMsgsRs newMessageSetID="42">
<CustomerQueryRs requestID="7.0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<CustomerRet><ListID>80000001-1</ListID><Name>Acme &amp; Sons</Name></CustomerRet>
</CustomerQueryRs>
<CustomerQueryRs requestID="8.0" statusCode="3140" statusSeverity="Error" statusMessage="There is an invalid reference" />
<CustomerQueryRs requestID="8.1" statusCode="1" statusSeverity="Info" statusMessage="No match" />
<CustomerQueryRs requestID="99" statusCode="0" statusSeverity="Info" statusMessage="Status OK" />
</QBXMLMsgsRs>
</QBXML>"""


def test_each_step_gets_a_response_of_its_own_requests_only() -> None:
    parts = split_by_request_id(RESPONSE, {"7": ["7.0"], "8": ["8.0", "8.1"], "9": ["9.0"]})
    assert set(parts) == {"7", "8"}, "a step none of whose requests is answered gets no part"
    first = etree.fromstring(parts["7"].encode())
    assert first.tag == "QBXML"
    messages = first.find("QBXMLMsgsRs")
    assert messages is not None and messages.get("newMessageSetID") == "42"
    assert first.findtext("QBXMLMsgsRs/CustomerQueryRs/CustomerRet/Name") == "Acme & Sons"
    assert [(s.request_id, s.status_code) for s in read_statuses(parts["8"])] == [("8.0", 3140), ("8.1", 1)]
    assert "99" not in parts["7"] + parts["8"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<QBXML><QBXMLMsgsRs>", ResponseFormatError),
        ("<QBXML><Other/></QBXML>", ResponseFormatError),
        ('<!DOCTYPE x [<!ENTITY a "b">]><QBXML><QBXMLMsgsRs/></QBXML>', HostileXMLError),
    ],
)
def test_an_unreadable_or_hostile_answer_is_refused(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        split_by_request_id(text, {"7": ["7.0"]})


def test_a_send_step_settles_from_the_response_to_its_own_request_and_the_others_are_counted() -> None:
    """Should an answer carry responses to other requests too, a step is settled from the one with its
    own requestID, not whichever comes first, and the others are counted as not its own."""
    intent = PlannedStep(request=CustomerQuery(full_names=["Acme"]), description="Look up Acme").to_intent()
    step = StepRef(id=8, job_id=1, position=0, kind=StepKind.QBXML_REQUEST, intent=intent, attempts=1, request_ids=["8.0"])
    # Read alone, such an answer settles nothing: it is not only this step's.
    assert settle_response(step, RESPONSE).foreign == 3
    [(_, part, outcome)] = (settled := settle_answer([step], RESPONSE, "", "")).steps
    assert settled.foreign == 3
    assert outcome.status_code == 3140 and outcome.state.value == "failed"
    assert part is not None and [s.request_id for s in read_statuses(part)] == ["8.0"]
    step = StepRef(id=7, job_id=1, position=0, kind=StepKind.QBXML_REQUEST, intent=intent, attempts=1, request_ids=["7.0"])
    [(_, _, outcome)] = settle_answer([step], RESPONSE, "", "").steps
    assert outcome.status_code == 0 and outcome.state.value == "succeeded"
    assert outcome.ids == {"listId": "80000001-1"}


def test_an_answer_without_a_response_to_the_step_leaves_its_outcome_unknown() -> None:
    """Only responses carrying requestIDs the step was sent with settle it; without one, whether
    QuickBooks saved it cannot be told (it is looked for in QuickBooks, never taken as failed)."""
    intent = PlannedStep(request=CustomerQuery(full_names=["Acme"]), description="Look up Acme").to_intent()
    step = StepRef(id=5, job_id=1, position=0, kind=StepKind.QBXML_REQUEST, intent=intent, attempts=1, request_ids=["5.0"])
    settled = settle_answer([step], RESPONSE, "", "")
    [(_, part, outcome)] = settled.steps
    assert settled.foreign == 4 and part is None
    assert outcome.state.value == "unknown_outcome" and outcome.status_code is None
    raw = StepRef(id=5, job_id=1, position=0, kind=StepKind.RAW_QBXML, intent={}, attempts=1, request_ids=["5.0", "5.1"])
    settled = settle_answer([raw], RESPONSE, "", "")
    assert settled.foreign == 4 and settled.steps[0][2].state.value == "unknown_outcome"
