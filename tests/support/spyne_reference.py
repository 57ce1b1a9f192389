"""The endpoint's Spyne application with Spyne's own reading of arguments and writing of answers:
what qbwc/soap11.py's shortcuts are compared with (tests/foundation/test_soap11_shortcuts.py) and
measured against (bench/soap_cost.py --compare-spyne-messages)."""

from __future__ import annotations

from typing import Any

from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from qbwc.soap11 import PreparsedSoap11
from qbwc.spyne_adapter import build_application

MAX_BODY_BYTES = 64 * 1024 * 1024


class SpyneReading(PreparsedSoap11):
    """The endpoint's input protocol (the envelope the guard parsed) with Spyne's own reading of the
    arguments."""

    def deserialize(self, ctx: Any, message: Any) -> None:
        Soap11.deserialize(self, ctx, message)


def spyne_messages_wsgi(service: Any) -> WsgiApplication:
    """The same service declarations, every message read and written by Spyne's own code."""
    application = build_application(service, in_protocol=SpyneReading(validator=None), out_protocol=Soap11())
    return WsgiApplication(application, max_content_length=MAX_BODY_BYTES)
