"""The whole app in-process on a database (no server, no push loop), as the console's HTTP tests and
bench/console.py drive it through httpx's ASGI transport."""

from __future__ import annotations

from cryptography.fernet import Fernet
from fastapi import FastAPI

from db.engine import Database
from qbbridge.app import create_app
from qbbridge.config import load_settings


def in_process_app(database: Database, admin_key: str) -> FastAPI:
    settings = load_settings(
        environ={
            "QBBRIDGE_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
            "QBBRIDGE_ADMIN_API_KEY": admin_key,
            "QBBRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
            # Pushes to Fusion Operations are not what these measure or check.
            "QBBRIDGE_PUSH_INTERVAL_SECONDS": "0",
        }
    )
    return create_app(settings, database)
