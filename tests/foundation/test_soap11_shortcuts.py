"""qbwc/soap11.py reads plain arguments and writes plain answers itself: the results must be Spyne's
own, to the byte, for every operation and for odd and hostile input; and the common call must take
the shortcut (else the comparison proves nothing).

Two WSGI applications of the same service declarations are compared: the endpoint's (with the
shortcuts), and one whose protocols are Spyne's own code paths (tests/support/spyne_reference.py). The
service behind both records the arguments it is called with and answers what the test sets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spyne.protocol.soap import Soap11
from spyne.protocol.xml import XmlDocument
from spyne.server.wsgi import WsgiApplication

from qbwc import soap11
from qbwc.endpoint import wsgi_environ
from qbwc.soap11 import TemplatedSoap11, escape_text
from qbwc.soap_guard import inspect_envelope
from qbwc.spyne_adapter import NAMESPACE, OPERATIONS, SERVICE_NAME, build_wsgi
from tests.support.spyne_reference import MAX_BODY_BYTES, spyne_messages_wsgi
from tests.support.webconnector import INTUIT, METHODS, SOAP_ENV

XSI = "http://www.w3.org/2001/XMLSchema-instance"


class Recorder:
    """Stands in for WebConnectorService behind the adapter: records each call, answers ``answer``."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.answer: Any = ""

    def _record(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((*args, *sorted(kwargs.items())))
        return self.answer

    server_version = client_version = authenticate = send_request_xml = _record
    receive_response_xml = connection_error = get_last_error = close_connection = _record


class Pair:
    """The same call through the endpoint's application and through Spyne's own code paths."""

    def __init__(self) -> None:
        self.shortcut_service, self.spyne_service = Recorder(), Recorder()
        self.shortcut = build_wsgi(self.shortcut_service, max_body_bytes=MAX_BODY_BYTES)  # type: ignore[arg-type]
        self.spyne = spyne_messages_wsgi(self.spyne_service)

    def call(
        self, method: str, inner: str, answer: Any = "", *, attributes: str = ""
    ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """(arguments, status and bytes) from the shortcut's side and from Spyne's side."""
        results = []
        for wsgi, service in ((self.shortcut, self.shortcut_service), (self.spyne, self.spyne_service)):
            service.calls.clear()
            service.answer = answer
            results.append((service.calls, _post(wsgi, method, inner, attributes=attributes)))
        (shortcut_calls, shortcut_out), (spyne_calls, spyne_out) = results
        return (tuple(shortcut_calls), shortcut_out), (tuple(spyne_calls), spyne_out)


def _post(wsgi: WsgiApplication, method: str, inner: str, *, attributes: str = "") -> tuple[str, bytes]:
    """The call through one application; ``attributes`` go on the operation's element."""
    body = (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:xsi="{XSI}"><soap:Body>'
        f'<{method} xmlns="{INTUIT}"{attributes}>{inner}</{method}></soap:Body></soap:Envelope>'
    ).encode()
    environ = wsgi_environ(
        inspect_envelope(body, OPERATIONS).document,
        content_type="text/xml; charset=utf-8",
        soap_action=f'"{INTUIT}{method}"',
        server_name="127.0.0.1",
        remote_addr="127.0.0.1",
    )
    statuses: list[str] = []
    try:
        written = b"".join(wsgi(environ, lambda status, *_: statuses.append(status)))
    except Exception as exc:  # the endpoint answers a Server fault then (qbwc/endpoint.py)
        return "raised", type(exc).__name__.encode()
    return statuses[0], written


@pytest.fixture(scope="module")
def pair() -> Pair:
    return Pair()


@pytest.fixture
def spyne_counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """How often Spyne's general reading and writing ran."""
    counts = {"read": 0, "write": 0}
    read, write = XmlDocument.complex_from_element, Soap11.serialize

    def counting_read(self: Any, *args: Any) -> Any:
        counts["read"] += 1
        return read(self, *args)

    def counting_write(self: Any, *args: Any) -> Any:
        counts["write"] += 1
        return write(self, *args)

    monkeypatch.setattr(XmlDocument, "complex_from_element", counting_read)
    monkeypatch.setattr(Soap11, "serialize", counting_write)
    yield counts


def _plain(method: str, values: dict[str, str]) -> str:
    return "".join(f"<{name}>{escape(values[name])}</{name}>" for name in METHODS[method] if name in values)


# What the Web Connector sends for each operation (one value per argument).
COMMON = {
    "serverVersion": {"strVersion": "2.3.0.215"},
    "clientVersion": {"strVersion": "2.3.0.215"},
    "authenticate": {"strUserName": "qbb-user", "strPassword": "secret"},
    "sendRequestXML": {
        "ticket": "8f0c2c3e-1b7e-4c55-9d0f-0a7c3f1d2e11",
        "strHCPResponse": "",
        "strCompanyFileName": "C:\\Users\\Public\\Company.qbw",
        "qbXMLCountry": "US",
        "qbXMLMajorVers": "13",
        "qbXMLMinorVers": "0",
    },
    "receiveResponseXML": {
        "ticket": "8f0c2c3e-1b7e-4c55-9d0f-0a7c3f1d2e11",
        "response": '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="1" '
        'statusCode="0" statusSeverity="Info" statusMessage="Status OK" /></QBXMLMsgsRs></QBXML>',
        "hresult": "",
        "message": "",
    },
    "connectionError": {"ticket": "t", "hresult": "0x80040408", "message": "Could not start QuickBooks."},
    "getLastError": {"ticket": "t"},
    "closeConnection": {"ticket": "t"},
}
# An answer of each operation's type.
ANSWERS: dict[str, Any] = {
    "serverVersion": "2.1.0",
    "clientVersion": "",
    "authenticate": ["ticket", "none"],
    "sendRequestXML": '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    '<CustomerQueryRq requestID="1"><FullName>A &amp; B</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>',
    "receiveResponseXML": 55,
    "connectionError": "done",
    "getLastError": "QuickBooks could not open the company file.",
    "closeConnection": "OK",
}


@pytest.mark.parametrize("method", sorted(COMMON))
def test_the_common_call_of_every_operation_is_spyne_s_to_the_byte(pair: Pair, method: str) -> None:
    shortcut, spyne = pair.call(method, _plain(method, COMMON[method]), ANSWERS[method])
    assert shortcut == spyne
    assert shortcut[1][0].startswith("200"), shortcut[1]
    assert len(shortcut[0]) == 1


@pytest.mark.parametrize("method", sorted(set(COMMON) - {"authenticate"}))
def test_the_common_call_takes_the_shortcut_both_ways(
    pair: Pair, method: str, spyne_counted: dict[str, int]
) -> None:
    pair.shortcut_service.answer = ANSWERS[method]
    status, _ = _post(pair.shortcut, method, _plain(method, COMMON[method]))
    assert status.startswith("200")
    assert spyne_counted == {"read": 0, "write": 0}


def test_authenticate_s_array_is_written_by_spyne(pair: Pair, spyne_counted: dict[str, int]) -> None:
    pair.shortcut_service.answer = ["ticket", "none"]
    _post(pair.shortcut, "authenticate", _plain("authenticate", COMMON["authenticate"]))
    assert spyne_counted["write"] == 1 and spyne_counted["read"] == 0


_ODD_SEND = {
    "empty elements": "<ticket/><strHCPResponse></strHCPResponse><qbXMLMajorVers/><qbXMLMinorVers></qbXMLMinorVers>",
    "nothing": "",
    "spaces kept": "<ticket>  t \n</ticket><qbXMLMajorVers> 13 </qbXMLMajorVers><qbXMLMinorVers>+0</qbXMLMinorVers>",
    "nil": '<ticket xsi:nil="true"/><qbXMLMajorVers>13</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers>',
    "nil integer": '<ticket>t</ticket><qbXMLMajorVers xsi:nil="true"/>',
    "repeated": "<ticket>a</ticket><ticket>b</ticket><qbXMLMajorVers>13</qbXMLMajorVers>",
    "unknown element": "<foo>a</foo><ticket>b</ticket><qbXMLMajorVers>13</qbXMLMajorVers>",
    "other namespace": '<ticket xmlns="urn:other">a</ticket><qbXMLMajorVers>13</qbXMLMajorVers>',
    "no namespace": '<ticket xmlns="">a</ticket><qbXMLMajorVers>13</qbXMLMajorVers>',
    "prefixed": '<i:ticket xmlns:i="http://developer.intuit.com/">a</i:ticket><qbXMLMajorVers>1</qbXMLMajorVers>',
    "child element": "<ticket>a<b>c</b>d</ticket><qbXMLMajorVers>13</qbXMLMajorVers>",
    "comment": "<ticket>a<!--x-->b</ticket><!--y--><qbXMLMajorVers>13</qbXMLMajorVers>",
    "cdata": "<ticket><![CDATA[a<b]]></ticket><qbXMLMajorVers>13</qbXMLMajorVers>",
    "entities": "<ticket>a&amp;b&#13;c&#x1F600;</ticket><qbXMLMajorVers>13</qbXMLMajorVers>",
    "attribute": '<ticket foo="1">a</ticket><qbXMLMajorVers>13</qbXMLMajorVers>',
    "member as attribute": "<ticket>a</ticket><qbXMLMajorVers>13</qbXMLMajorVers>",
    "reversed": "<qbXMLMinorVers>0</qbXMLMinorVers><qbXMLMajorVers>13</qbXMLMajorVers><ticket>a</ticket>",
    "exponent": "<ticket>a</ticket><qbXMLMajorVers>1e3</qbXMLMajorVers>",
    "decimal": "<ticket>a</ticket><qbXMLMajorVers>13.0</qbXMLMajorVers>",
    "word": "<ticket>a</ticket><qbXMLMajorVers>thirteen</qbXMLMajorVers>",
    "huge integer": "<ticket>a</ticket><qbXMLMajorVers>99999999999999999999999999</qbXMLMajorVers>",
    "longest plain integer": "<ticket>a</ticket><qbXMLMajorVers>999999999999999999</qbXMLMajorVers>",
    "negative": "<ticket>a</ticket><qbXMLMajorVers>-13</qbXMLMajorVers><qbXMLMinorVers>-0</qbXMLMinorVers>",
    "leading zeros": "<ticket>a</ticket><qbXMLMajorVers>0013</qbXMLMajorVers>",
    "arabic digits": "<ticket>a</ticket><qbXMLMajorVers>\u0661\u0663</qbXMLMajorVers>",
    "fullwidth digits": "<ticket>a</ticket><qbXMLMajorVers>\uff11\uff13</qbXMLMajorVers>",
    "underscore": "<ticket>a</ticket><qbXMLMajorVers>1_3</qbXMLMajorVers>",
    "integer only": "<qbXMLMajorVers>13</qbXMLMajorVers>",
    "large text": f"<ticket>{'x' * 300_000}</ticket><qbXMLMajorVers>13</qbXMLMajorVers>",
    "non-ascii": "<ticket>\u00e9\u4e2d\U0001f600</ticket><strCompanyFileName>C:\\Bücher.qbw</strCompanyFileName>",
}


@pytest.mark.parametrize("inner", _ODD_SEND.values(), ids=list(_ODD_SEND))
def test_odd_arguments_read_as_spyne_reads_them(pair: Pair, inner: str) -> None:
    shortcut, spyne = pair.call("sendRequestXML", inner, "")
    assert shortcut == spyne


def test_attributes_on_the_operation_element_are_spyne_s_to_read(pair: Pair) -> None:
    shortcut, spyne = pair.call("receiveResponseXML", "<ticket>t</ticket>", 5, attributes=' ticket="x"')
    assert shortcut == spyne


_ODD_ANSWERS: dict[str, Any] = {
    "empty": "",
    "markup": "<a b=\"c\" d='e'>&amp; ]]> </a>",
    "line ends": "a\r\nb\rc\nd\te",
    "non-ascii": "\u00e9\u4e2d\U0001f600 \u2028 \ufeff",
    "last BMP characters": "\ud7ff\ue000\ufffd",
    "NUL": "a\x00b",
    "control character": "a\x01b",
    "lone surrogate": "a\ud800b",
    "not a character": "a\ufffeb",
    "None": None,
    "a number for a string": 5,
    "long": "x" * 2_000_000,
}


@pytest.mark.parametrize("answer", _ODD_ANSWERS.values(), ids=list(_ODD_ANSWERS))
@pytest.mark.parametrize("method", ["sendRequestXML", "getLastError", "closeConnection"])
def test_odd_string_answers_are_written_as_spyne_writes_them(pair: Pair, method: str, answer: Any) -> None:
    shortcut, spyne = pair.call(method, "<ticket>t</ticket>", answer)
    assert shortcut == spyne


@pytest.mark.parametrize(
    "answer", [0, -1, 100, -101, 2**70, True, False, None, "5", 5.0], ids=lambda value: repr(value)[:20]
)
def test_odd_integer_answers_are_written_as_spyne_writes_them(pair: Pair, answer: Any) -> None:
    shortcut, spyne = pair.call("receiveResponseXML", "<ticket>t</ticket>", answer)
    assert shortcut == spyne


_XML_CHARACTERS = st.characters(exclude_categories=["Cs"], exclude_characters="\ufffe\uffff").filter(
    lambda c: c in "\t\n\r" or ord(c) >= 0x20
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ticket=st.text(_XML_CHARACTERS, max_size=40),
    major=st.one_of(st.integers(min_value=-(10**20), max_value=10**20).map(str), st.text(max_size=4)),
    answer=st.text(max_size=60),
)
def test_any_text_reads_and_writes_as_spyne_does(pair: Pair, ticket: str, major: str, answer: str) -> None:
    inner = f"<ticket>{escape(ticket)}</ticket><qbXMLMajorVers>{escape(major)}</qbXMLMajorVers>"
    if any(not (c in "\t\n\r" or ord(c) >= 0x20) or 0xD800 <= ord(c) <= 0xDFFF for c in major):
        inner = f"<ticket>{escape(ticket)}</ticket>"
    shortcut, spyne = pair.call("sendRequestXML", inner, answer)
    assert shortcut == spyne


def test_escaping_is_lxml_s() -> None:
    assert escape_text("a&b<c>d\"e'f\rg\nh") == "a&amp;b&lt;c&gt;d\"e'f&#13;g\nh"


def test_a_template_is_not_used_when_spyne_writes_the_marker_anywhere_else() -> None:
    # The marker must appear once: an envelope that held it twice could not be cut at the result.
    assert soap11._MARKER_TEXT not in NAMESPACE + SERVICE_NAME
    assert isinstance(TemplatedSoap11(), Soap11)


def test_an_envelope_spyne_could_not_write_around_the_marker_leaves_the_answer_to_spyne(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fresh = Pair()
    write = Soap11.serialize
    failures = []

    def fails_once(self: Any, ctx: Any, message: Any) -> Any:
        if not failures:
            failures.append(ctx.out_object)
            raise RuntimeError("cannot write this envelope")
        return write(self, ctx, message)

    monkeypatch.setattr(Soap11, "serialize", fails_once)
    status, written = _post(fresh.shortcut, "getLastError", "<ticket>t</ticket>")
    monkeypatch.setattr(Soap11, "serialize", write)
    assert failures and status.startswith("200")
    fresh.spyne_service.answer = fresh.shortcut_service.answer
    assert (status, written) == _post(fresh.spyne, "getLastError", "<ticket>t</ticket>")
    # Spyne writes this operation's answers from now on; the comparison still holds.
    shortcut, spyne = fresh.call("getLastError", "<ticket>t</ticket>", "a & b")
    assert shortcut == spyne
