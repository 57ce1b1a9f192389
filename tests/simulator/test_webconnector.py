"""The Web Connector side against a scripted SOAP peer on a real port: envelopes, call order, faults."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from xml.sax.saxutils import escape

import pytest
from lxml import etree

from simulator import cli
from simulator.company import Company
from simulator.faults import Faults
from simulator.quickbooks import QuickBooks
from simulator.webconnector import WebConnector
from tests.simulator.conftest import message_set
from tests.support.quiet_http import QuietHandler
from tests.support.webconnector import METHODS

NS = "http://developer.intuit.com/"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def reply(method: str, inner: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{ENV}"><soap:Body>'
        f'<{method}Response xmlns="{NS}">{inner}</{method}Response></soap:Body></soap:Envelope>'
    ).encode()


class Peer:
    """Answers like a QBWC server would, from a script; records every raw request."""

    def __init__(self, script: Callable[[str, dict[str, str]], str]) -> None:
        self.script = script
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.calls: list[tuple[str, dict[str, str]]] = []

    def handle(self, headers: dict[str, str], body: bytes) -> bytes:
        self.requests.append((headers, body))
        root = etree.fromstring(body)
        call = root.find(f"{{{ENV}}}Body")[0]
        method = etree.QName(call).localname
        args = {etree.QName(c).localname: (c.text or "") for c in call}
        self.calls.append((method, args))
        return reply(method, self.script(method, args))


@pytest.fixture
def serve() -> Iterator[Callable[[Peer], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(peer: Peer) -> str:
        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.answer(200, "text/xml; charset=utf-8", peer.handle(dict(self.headers.items()), body))

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/qbwc"

    yield start
    for server in servers:
        server.shutdown()


ADD = message_set(
    '<CustomerAddRq requestID="q1"><CustomerAdd><Name>New Co</Name></CustomerAdd></CustomerAddRq>'
)


def work_script(requests: list[str], auth: str = "") -> Callable[[str, dict[str, str]], str]:
    queue = list(requests)
    state = {"noop": 0}

    def script(method: str, args: dict[str, str]) -> str:
        if method == "serverVersion":
            return "<serverVersionResult>test-peer</serverVersionResult>"
        if method == "clientVersion":
            return "<clientVersionResult></clientVersionResult>"
        if method == "authenticate":
            return (
                f"<authenticateResult><string>T1</string><string>{escape(auth)}</string></authenticateResult>"
            )
        if method == "sendRequestXML":
            if queue and queue[0] == "NOOP":
                queue.pop(0)
                state["noop"] = 1
                return "<sendRequestXMLResult></sendRequestXMLResult>"
            return f"<sendRequestXMLResult>{escape(queue.pop(0))}</sendRequestXMLResult>"
        if method == "receiveResponseXML":
            if args["hresult"]:
                return "<receiveResponseXMLResult>-1</receiveResponseXMLResult>"
            return f"<receiveResponseXMLResult>{100 if not queue else 50}</receiveResponseXMLResult>"
        if method == "getLastError":
            return f"<getLastErrorResult>{'NoOp' if state.pop('noop', 0) else 'Parse failed'}</getLastErrorResult>"
        if method == "connectionError":
            return "<connectionErrorResult>done</connectionErrorResult>"
        return "<closeConnectionResult>OK</closeConnectionResult>"

    return script


def connector(url: str, qb: QuickBooks, **kw: object) -> WebConnector:
    return WebConnector(url, "user", "secret", qb, noop_pause=0.01, out=io.StringIO(), **kw)  # type: ignore[arg-type]


def test_envelopes_are_shaped_like_the_real_web_connector(serve: Callable[[Peer], str]) -> None:
    peer = Peer(work_script([ADD]))
    qb = QuickBooks(Company.new(), use_default_schema=False)
    result = connector(serve(peer), qb).run_session()
    assert result.ok
    headers, first = peer.requests[0]
    assert first == (
        b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
        b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        b'<soap:Body><serverVersion xmlns="http://developer.intuit.com/" /></soap:Body></soap:Envelope>'
    )
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    assert headers["SOAPAction"] == '"http://developer.intuit.com/serverVersion"'
    assert (
        b'<authenticate xmlns="http://developer.intuit.com/"><strUserName>user</strUserName>'
        b"<strPassword>secret</strPassword></authenticate>" in peer.requests[2][1]
    )
    assert [m for m, _ in peer.calls] == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    assert peer.calls[1][1] == {"strVersion": "2.3.0.215"}
    send = peer.calls[3][1]
    assert list(send) == METHODS["sendRequestXML"]
    assert (
        send["strHCPResponse"].startswith('<?xml version="1.0" ?>')
        and "HostQueryRs" in send["strHCPResponse"]
    )
    assert (send["qbXMLCountry"], send["qbXMLMajorVers"], send["qbXMLMinorVers"]) == ("US", "13", "0")
    assert send["strCompanyFileName"].endswith("Demo.qbw")
    response = peer.calls[4][1]
    assert list(response) == ["ticket", "response", "hresult", "message"]
    assert 'requestID="q1"' in response["response"] and response["hresult"] == ""
    assert qb.company.customers[0]["Name"] == "New Co"
    assert result.progress == [100] and result.requests_processed == 1


def test_hcp_only_on_first_call_and_progress_loop(serve: Callable[[Peer], str]) -> None:
    peer = Peer(work_script([ADD, message_set("<CustomerQueryRq/>")], auth="C:\\Files\\acme.qbw"))
    result = connector(serve(peer), QuickBooks(Company.new(), use_default_schema=False)).run_session()
    sends = [a for m, a in peer.calls if m == "sendRequestXML"]
    assert [bool(s["strHCPResponse"]) for s in sends] == [True, False]
    assert sends[0]["strCompanyFileName"] == "C:\\Files\\acme.qbw"
    assert result.progress == [50, 100] and result.ok


def test_noop_pauses_then_asks_again(serve: Callable[[Peer], str]) -> None:
    peer = Peer(work_script(["NOOP", ADD]))
    result = connector(serve(peer), QuickBooks(Company.new(), use_default_schema=False)).run_session()
    assert [m for m, _ in peer.calls][3:] == [
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    assert result.ok


@pytest.mark.parametrize(("auth", "ok"), [("none", True), ("busy", True), ("nvu", False)])
def test_authenticate_outcomes_close_the_connection(
    serve: Callable[[Peer], str], auth: str, ok: bool
) -> None:
    peer = Peer(work_script([], auth=auth))
    result = connector(serve(peer), QuickBooks(Company.new(), use_default_schema=False)).run_session()
    assert [m for m, _ in peer.calls] == ["serverVersion", "clientVersion", "authenticate", "closeConnection"]
    assert (result.ok, result.auth_status) == (ok, auth)


@pytest.mark.parametrize(
    ("fault", "hresult"), [("connection-error", "0x80040408"), ("deny-access", "0x80040420")]
)
def test_connection_faults_call_connection_error(
    serve: Callable[[Peer], str], fault: str, hresult: str
) -> None:
    peer = Peer(work_script([ADD]))
    result = connector(
        serve(peer), QuickBooks(Company.new(), use_default_schema=False), faults=Faults.parse([fault])
    ).run_session()
    assert [m for m, _ in peer.calls][-1] == "connectionError"
    assert peer.calls[-1][1]["hresult"] == hresult
    assert not result.ok


def test_parse_error_fault_and_invalid_qbxml_send_hresult(serve: Callable[[Peer], str]) -> None:
    bad = message_set(
        "<CustomerAddRq><CustomerAdd><Phone>1</Phone><Name>X</Name></CustomerAdd></CustomerAddRq>"
    )
    for requests, faults in (([bad], Faults()), ([ADD], Faults(parse_error=1))):
        peer = Peer(work_script(requests))
        qb = QuickBooks(Company.new(), use_default_schema=False)
        result = connector(serve(peer), qb, faults=faults).run_session()
        received = next(a for m, a in peer.calls if m == "receiveResponseXML")
        assert received["response"] == "" and received["hresult"] == "0x80040400"
        assert received["message"] == "QuickBooks found an error when parsing the provided XML text stream."
        assert [m for m, _ in peer.calls][-2:] == ["getLastError", "closeConnection"]
        assert not result.ok and qb.company.customers == []


def test_drop_response_saves_but_never_reports(serve: Callable[[Peer], str]) -> None:
    peer = Peer(work_script([ADD]))
    qb = QuickBooks(Company.new(), use_default_schema=False)
    result = connector(serve(peer), qb, faults=Faults(drop_response=1)).run_session()
    assert "receiveResponseXML" not in [m for m, _ in peer.calls]
    assert qb.company.customers[0]["Name"] == "New Co"
    assert not result.ok


def test_lose_iterators_fault_makes_a_continue_answer_3120(serve: Callable[[Peer], str]) -> None:
    qb = QuickBooks(Company.new(), use_default_schema=False)
    qb.process(message_set(*[f"<CustomerAddRq><CustomerAdd><Name>C{n}</Name></CustomerAdd></CustomerAddRq>" for n in range(3)]))
    answers: list[str] = []
    base = work_script([])

    def script(method: str, args: dict[str, str]) -> str:
        if method == "sendRequestXML":
            if not answers:
                query = '<CustomerQueryRq iterator="Start"><MaxReturned>1</MaxReturned></CustomerQueryRq>'
            else:
                iterator_id = re.search(r'iteratorID="([^"]+)"', answers[0]).group(1)  # type: ignore[union-attr]
                query = f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator_id}"><MaxReturned>1</MaxReturned></CustomerQueryRq>'
            return f"<sendRequestXMLResult>{escape(message_set(query))}</sendRequestXMLResult>"
        if method == "receiveResponseXML":
            answers.append(args["response"])
            return f"<receiveResponseXMLResult>{50 if len(answers) < 2 else 100}</receiveResponseXMLResult>"
        return base(method, args)

    connector(serve(Peer(script)), qb, faults=Faults.parse(["lose-iterators=2"])).run_session()
    assert len(answers) == 2
    assert 'iteratorRemainingCount="2"' in answers[0] and 'statusCode="3120"' in answers[1]


def test_busy_fault_answers_3180_and_saves_nothing(serve: Callable[[Peer], str]) -> None:
    peer = Peer(work_script([ADD]))
    qb = QuickBooks(Company.new(), use_default_schema=False)
    connector(serve(peer), qb, faults=Faults(busy=1)).run_session()
    received = next(a for m, a in peer.calls if m == "receiveResponseXML")
    assert 'statusCode="3180"' in received["response"] and qb.company.customers == []


def test_soap_fault_ends_the_session_in_error(serve: Callable[[Peer], str]) -> None:
    def script(method: str, args: dict[str, str]) -> str:
        return "<x/>" if method != "serverVersion" else "<serverVersionResult>v</serverVersionResult>"

    peer = Peer(script)
    result = connector(serve(peer), QuickBooks(Company.new(), use_default_schema=False)).run_session()
    assert not result.ok


def test_cli_exit_status_and_company_file(serve: Callable[[Peer], str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    company = tmp_path / "acme.json"
    url = serve(Peer(work_script([ADD])))
    assert (
        cli.main(
            [
                "--url",
                url,
                "--username",
                "u",
                "--password",
                "p",
                "--company",
                str(company),
                "--noop-pause",
                "0",
            ]
        )
        == 0
    )
    assert Company.load(company).customers[0]["Name"] == "New Co"
    url = serve(Peer(work_script([ADD])))
    assert cli.main(["--url", url, "--username", "u", "--password", "p", "--fault", "drop-response=1"]) == 1
    assert cli.main(["--seed-demo", str(tmp_path / "demo.json")]) == 0
    assert Company.load(tmp_path / "demo.json").quantity_on_hand("WIDGET-1") == 100
    with pytest.raises(ValueError):
        Faults.parse(["explode"])
