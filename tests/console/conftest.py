"""Fixtures of the console's HTTP tests: the whole app in-process on each database, signed in with ``KEY``."""

from __future__ import annotations

import secrets

import pytest
from fastapi import FastAPI

from db.engine import Database
from tests.support.in_process import in_process_app

KEY = "console-admin-key"


@pytest.fixture(scope="module")
def app(database: Database) -> FastAPI:
    return in_process_app(database, KEY)


def client_address() -> tuple[str, int]:
    """An address of its own for each in-process client: sign-ins are counted per address, and a
    test's wrong keys must not block another's."""
    return (f"192.0.2.{secrets.randbelow(250) + 1}", 50000)
