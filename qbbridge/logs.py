"""The service's log: one format and level for the ``serve`` process and every worker process.

Worker processes are started fresh (``spawn``), so each configures its own logging the same way.
``QBBRIDGE_LOG_LEVEL`` sets the level of qbbridge's own lines as well as uvicorn's.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format=FORMAT)
