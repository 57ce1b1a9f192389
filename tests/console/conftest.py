"""Fixtures of the console's HTTP tests: the whole app in-process on each database, signed in with ``KEY``."""

from __future__ import annotations

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


