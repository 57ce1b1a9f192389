"""Fixtures of the console's HTTP tests: the whole app in-process on each database, signed in with ``KEY``."""

from __future__ import annotations

import secrets

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI

from db.engine import Database
from qbbridge.app import create_app
from qbbridge.config import load_settings

KEY = "console-admin-key"


@pytest.fixture(scope="module")
def app(database: Database) -> FastAPI:
    settings = load_settings(
        environ={
            "QBBRIDGE_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
            "QBBRIDGE_ADMIN_API_KEY": KEY,
            "QBBRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
            "QBBRIDGE_PUSH_INTERVAL_SECONDS": "0",
        }
    )
    return create_app(settings, database)


def client_address() -> tuple[str, int]:
    """An address of its own for each in-process client: sign-ins are counted per address, and a
    test's wrong keys must not block another's."""
    return (f"192.0.2.{secrets.randbelow(250) + 1}", 50000)
