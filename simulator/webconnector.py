"""The simulated QuickBooks Web Connector: drives one update session over HTTP like QBWC 2.x does."""

from __future__ import annotations

import http.client
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TextIO

import httpx

from simulator import soap, statuses
from simulator.faults import Faults
from simulator.qbxml_in import QBXMLParseError
from simulator.quickbooks import QuickBooks

DEFAULT_COMPANY_FILE = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Demo.qbw"


class HttpConnection(Protocol):
    """The connector's HTTP connection for one session: posts a SOAP envelope and returns the status and
    body. A server that cannot be reached raises ``OSError``, ``http.client.HTTPException`` or
    ``httpx.HTTPError``."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]: ...

    def close(self) -> None: ...


class HttpxConnection:
    """The default: httpx, which also honours proxies from the environment and reconnects when the
    server closed an idle keep-alive connection."""

    def __init__(self, timeout: float) -> None:
        self.client = httpx.Client(timeout=timeout)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        response = self.client.post(url, content=body, headers=headers)
        return response.status_code, response.content

    def close(self) -> None:
        self.client.close()


@dataclass
class SessionResult:
    ok: bool = False
    auth_status: str | None = None
    ticket: str = ""
    requests_sent: int = 0  # message sets the server handed over in sendRequestXML
    requests_processed: int = 0  # message sets QuickBooks actually processed (and saved)
    last_error: str = ""
    close_message: str = ""
    server_version: str = ""
    progress: list[int] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    status: str = ""


class SessionError(Exception):
    """Ends a session the way QBWC does on an exception: status shown, no further calls."""


class WebConnector:
    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        quickbooks: QuickBooks,
        *,
        client_version: str = "2.3.0.215",
        company_file: str = DEFAULT_COMPANY_FILE,
        noop_pause: float = 5.0,
        faults: Faults | None = None,
        slow: float = 0.0,
        out: TextIO | None = None,
        max_noops: int = 120,
        timeout: float = 100.0,
        connect: Callable[[float], HttpConnection] = HttpxConnection,
    ) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.quickbooks = quickbooks
        self.client_version = client_version
        self.company_file = company_file
        self.noop_pause = noop_pause
        self.faults = faults or Faults()
        self.slow = slow
        self.out = out if out is not None else sys.stdout
        self.max_noops = max_noops
        # .NET's SoapHttpClientProtocol defaults to a 100 s timeout; keep the same order of magnitude.
        self.timeout = timeout
        self.connect = connect

    # --- plumbing ---------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _call(
        self,
        client: HttpConnection,
        result: SessionResult,
        method: str,
        params: list[tuple[str, str | int]] | None = None,
    ) -> bytes:
        result.calls.append(method)
        try:
            status, content = client.post(
                self.url, soap.envelope(method, params).encode("utf-8"), soap.headers(method)
            )
        except (httpx.HTTPError, http.client.HTTPException, OSError) as exc:
            raise SessionError(f"{method}: cannot reach {self.url}: {exc}") from exc
        if status != 200 and b"Fault" not in content:
            raise SessionError(f"{method}: HTTP {status}")
        return content

    # --- the session ------------------------------------------------------------------------------
    def run_session(self) -> SessionResult:
        result = SessionResult()
        try:
            client = self.connect(self.timeout)
            try:
                self._session(client, result)
            finally:
                client.close()
        except soap.SoapFault as fault:
            result.ok = False
            result.last_error = f"SOAP fault {fault.code}: {fault.message}"
            self._say(f"Error: {result.last_error}")
        except SessionError as exc:
            result.ok = False
            result.last_error = str(exc)
            self._say(f"Error: {exc}")
        finally:
            self.quickbooks.end_session()
        result.status = "ok" if result.ok else "error"
        return result

    def _session(self, client: HttpConnection, result: SessionResult) -> None:
        result.server_version = soap.read_string("serverVersion", self._call(client, result, "serverVersion"))
        self._say(f"Server version: {result.server_version}")
        answer = soap.read_string(
            "clientVersion",
            self._call(client, result, "clientVersion", [("strVersion", self.client_version)]),
        )
        if answer.startswith("W:"):
            self._say(f"Warning: {answer[2:]}")
        elif answer.startswith(("E:", "O:")):
            result.last_error = (
                answer[2:] if answer.startswith("E:") else f"Update to version {answer[2:]} needed"
            )
            self._say(f"Error: {result.last_error}")
            return
        elif answer:
            raise SessionError("QBWC1046: Application sent incorrect syntax return value for clientVersion()")

        auth = soap.read_strings(
            "authenticate",
            self._call(
                client,
                result,
                "authenticate",
                [("strUserName", self.username), ("strPassword", self.password)],
            ),
        )
        if len(auth) < 2:
            raise SessionError("QBWC1012: authenticate returned fewer than two strings")
        result.ticket, decision = auth[0], auth[1]
        result.auth_status = decision
        if decision.lower() in ("nvu", "none", "busy"):
            self._finish_auth(client, result, decision.lower())
            return
        company_file = decision or self.company_file
        self._say(f"Authenticated; company file: {company_file}")
        open_file = self.faults.other_company_file
        if open_file is not None and decision and decision.lower() != open_file.lower():
            # QuickBooks has another company file open, and cannot open the one asked for while it
            # is; a returned "" makes the Web Connector use the open one.
            answer = self._report_connection_error(
                client, result, statuses.COULD_NOT_START_HRESULT, statuses.COULD_NOT_START_MESSAGE
            )
            if answer != "":
                result.ok = False
                return
            result.last_error = ""
        if open_file is not None:
            company_file = open_file
        if self.faults.connection_error or self.faults.deny_access or self.faults.dialog:
            self._connection_error(client, result)
            return
        self.quickbooks.read_only = self.faults.read_only
        self.quickbooks.begin_session()
        self._exchange(client, result, company_file)

    def _report_connection_error(
        self, client: HttpConnection, result: SessionResult, hresult: str, message: str
    ) -> str:
        result.last_error = f"{hresult}: {message}"
        self._say(f"Error: {message}")
        return self._call_connection_error(client, result, hresult, message)

    def _call_connection_error(
        self, client: HttpConnection, result: SessionResult, hresult: str, message: str
    ) -> str:
        return soap.read_string(
            "connectionError",
            self._call(
                client,
                result,
                "connectionError",
                [("ticket", result.ticket), ("hresult", hresult), ("message", message)],
            ),
        )

    def _finish_auth(self, client: HttpConnection, result: SessionResult, decision: str) -> None:
        text = {
            "nvu": "Invalid password for username",
            "none": "No Data Exchange",
            "busy": "Application Busy",
        }[decision]
        self._say(f"Status: {text}")
        result.ok = decision != "nvu"
        if decision == "nvu":
            result.last_error = text
        result.close_message = soap.read_string(
            "closeConnection", self._call(client, result, "closeConnection", [("ticket", result.ticket)])
        )

    def _connection_error(self, client: HttpConnection, result: SessionResult) -> None:
        if self.faults.deny_access:
            hresult, message = statuses.DENIED_HRESULT, statuses.DENIED_MESSAGE
        elif self.faults.dialog:
            hresult, message = statuses.DIALOG_HRESULT, statuses.DIALOG_MESSAGE
        else:
            hresult, message = statuses.COULD_NOT_START_HRESULT, statuses.COULD_NOT_START_MESSAGE
        answer = self._report_connection_error(client, result, hresult, message)
        # A returned path means "try that file"; the fault persists, so QBWC gives up after a retry.
        if answer.lower() != "done":
            self._call_connection_error(client, result, hresult, message)
        result.ok = False

    def _exchange(self, client: HttpConnection, result: SessionResult, company_file: str) -> None:
        first = True
        noops = 0
        major, minor = self.quickbooks.host.qbxml_major_minor
        while True:
            hcp = self.quickbooks.host_response() if first else ""
            request = soap.read_string(
                "sendRequestXML",
                self._call(
                    client,
                    result,
                    "sendRequestXML",
                    [
                        ("ticket", result.ticket),
                        ("strHCPResponse", hcp),
                        ("strCompanyFileName", company_file),
                        ("qbXMLCountry", self.quickbooks.host.country),
                        ("qbXMLMajorVers", major),
                        ("qbXMLMinorVers", minor),
                    ],
                ),
            )
            first = False
            if request == "" or request == "NoOp":
                message = soap.read_string(
                    "getLastError", self._call(client, result, "getLastError", [("ticket", result.ticket)])
                )
                if message == "NoOp" and noops < self.max_noops:
                    noops += 1
                    time.sleep(self.noop_pause)
                    continue
                self._say(f"Status: {message}")
                result.last_error = message
                self._close(client, result, ok=False)
                return
            result.requests_sent += 1
            number = result.requests_sent
            response, hresult, message = self._process(request, number, result)
            if self.faults.drop_response == number:
                self._say(f"Error: the Web Connector stopped before returning response {number}")
                result.last_error = f"connector died before receiveResponseXML of request {number}"
                result.ok = False
                return
            percent = soap.read_int(
                "receiveResponseXML",
                self._call(
                    client,
                    result,
                    "receiveResponseXML",
                    [
                        ("ticket", result.ticket),
                        ("response", response),
                        ("hresult", hresult),
                        ("message", message),
                    ],
                ),
            )
            if percent < 0:
                error = soap.read_string(
                    "getLastError", self._call(client, result, "getLastError", [("ticket", result.ticket)])
                )
                self._say(f"Status: {error}")
                result.last_error = error
                self._close(client, result, ok=False)
                return
            result.progress.append(percent)
            self._say(f"Progress: {percent}%")
            if percent >= 100:
                self._close(client, result, ok=True)
                return

    def _process(self, request: str, number: int, result: SessionResult) -> tuple[str, str, str]:
        if self.slow:
            time.sleep(self.slow)
        if self.faults.parse_error == number:
            return "", statuses.PARSE_HRESULT, statuses.PARSE_MESSAGE
        if self.faults.lose_iterators == number:
            self.quickbooks.forget_iterators()
        try:
            response = self.quickbooks.process(request, busy=self.faults.busy == number)
        except QBXMLParseError as exc:
            self._say(f"QuickBooks rejected request {number}: {exc.detail}")
            return "", exc.hresult, exc.message
        result.requests_processed += 1
        return response, "", ""

    def _close(self, client: HttpConnection, result: SessionResult, *, ok: bool) -> None:
        result.close_message = soap.read_string(
            "closeConnection", self._call(client, result, "closeConnection", [("ticket", result.ticket)])
        )
        self._say(f"Status: {result.close_message}")
        result.ok = ok
