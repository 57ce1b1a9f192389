"""The Fusion Operations API key is encrypted at rest (Fernet, under the service's secret key): never
stored, answered or logged in plain text; earlier plain-text keys are encrypted by the upgrade; and
the secret key can be rotated."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, inspect, select, text

from db.engine import Database
from db.migrate import downgrade, upgrade
from db.models import Import
from db.sealing import Keyring, UnreadableSecret, new_key
from mapping.delivery.deliver import UNREADABLE_KEY_DELAY, UNREADABLE_KEY_ERROR, deliver_pending
from tests.foundation.helpers import new_tenant
from tests.support.servers import LiveServer, scratch_database, start_server

API_KEY = "fo-live-key-" + uuid.uuid4().hex


def _key_column(database_url: str, tenant_id: str, column: str = "fusion_api_key_sealed") -> str | None:
    """The tenant's Fusion Operations key as the database holds it: sealed, or in plain text (before 0008)."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        value = connection.execute(
            text(f"SELECT {column} FROM tenants WHERE id = :id"), {"id": tenant_id}
        ).scalar_one()
    engine.dispose()
    return value


def test_the_key_is_stored_encrypted_and_never_answered_or_logged(live_server: LiveServer) -> None:
    admin = live_server.client
    tenant = new_tenant(admin)
    put = admin.put(
        f"/api/v1/tenants/{tenant.id}/fusion-api", json={"baseUrl": "https://fo.example.com", "apiKey": API_KEY}
    )
    assert put.status_code == 200 and API_KEY not in put.text
    assert API_KEY not in admin.get(f"/api/v1/tenants/{tenant.id}/fusion-api").text
    sealed = _key_column(live_server.database_url, tenant.id)
    assert sealed is not None and API_KEY not in sealed
    # The key generated at first start, in a file of its own beside the default database, opens it.
    key_file = live_server.log_path.parent / "var" / "secret-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Keyring(key_file.read_text().split()).open(sealed) == API_KEY
    assert Fernet(key_file.read_text().strip().encode()).decrypt(sealed.encode()).decode() == API_KEY
    # Nothing else in the database holds it (the audit log records the URL only).
    engine = create_engine(live_server.database_url)
    with engine.connect() as connection:
        rows = [str(row) for table in ("tenants", "audit_log") for row in connection.execute(text(f"SELECT * FROM {table}"))]
    engine.dispose()
    assert not any(API_KEY in row for row in rows)
    assert API_KEY not in live_server.log_text()


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from scratch_database(request.param, tmp_path / "upgrade.db")


def _tenant_with_plain_key(url: str, key: str) -> str:
    tenant_id = str(uuid.uuid4())
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tenants (id, name, qbwc_username, file_id, company_file, settings, created_at, "
                "updated_at, fusion_api_base_url, fusion_api_key) VALUES (:id, 'Old', :user, :file, '', '{}', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'https://fo.example.com', :key)"
            ),
            {"id": tenant_id, "user": f"qbb-old-{tenant_id[:6]}", "file": "{" + tenant_id.upper() + "}", "key": key},
        )
    engine.dispose()
    return tenant_id


def test_the_upgrade_encrypts_keys_stored_in_plain_text_and_the_downgrade_restores_them(empty_database: str) -> None:
    database = Database(empty_database)
    try:
        upgrade(database.engine, "0005")
        tenant_id = _tenant_with_plain_key(empty_database, API_KEY)
        # Without the secret key the upgrade stops, and nothing changes.
        with pytest.raises(RuntimeError, match="secret key"):
            upgrade(database.engine)
        assert "fusion_api_key" in {c["name"] for c in inspect(database.engine).get_columns("tenants")}
        keyring = Keyring([new_key()])
        upgrade(database.engine, keyring=keyring)
        columns = {c["name"] for c in inspect(database.engine).get_columns("tenants")}
        assert "fusion_api_key" not in columns and "fusion_api_key_sealed" in columns
        sealed = _key_column(empty_database, tenant_id)
        assert sealed is not None and API_KEY not in sealed and keyring.open(sealed) == API_KEY
        downgrade(database.engine, "0005", keyring=keyring)
        assert _key_column(empty_database, tenant_id, "fusion_api_key") == API_KEY
    finally:
        database.dispose()


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qbbridge.cli", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_rotation_re_encrypts_every_key_under_the_new_secret_key(empty_database: str, tmp_path: Path) -> None:
    old, new, lost = new_key(), new_key(), new_key()
    database = Database(empty_database)
    upgrade(database.engine)
    database.dispose()
    engine = create_engine(empty_database)
    ids = {}
    with engine.begin() as connection:
        for name, key in [("a", old), ("b", old), ("gone", lost)]:
            tenant_id = str(uuid.uuid4())
            ids[name] = tenant_id
            connection.execute(
                text(
                    "INSERT INTO tenants (id, name, qbwc_username, file_id, company_file, settings, created_at, "
                    "updated_at, fusion_api_base_url, fusion_api_key_sealed) VALUES (:id, :name, :user, :file, "
                    "'', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'https://fo.example.com', :sealed)"
                ),
                {
                    "id": tenant_id,
                    "name": name,
                    "user": f"qbb-{name}-{tenant_id[:6]}",
                    "file": "{" + tenant_id.upper() + "}",
                    "sealed": Keyring([key]).seal(f"key-of-{name}"),
                },
            )
    engine.dispose()
    env = {"QBBRIDGE_DATABASE_URL": empty_database, "QBBRIDGE_SECRET_KEY": f"{new},{old}"}
    rotated = _cli("secret-key", "rotate", env=env, cwd=tmp_path)
    # The one no configured key opens is reported and left as it was; the others are re-encrypted.
    assert rotated.returncode == 1, rotated.stdout + rotated.stderr
    assert "2 stored secret(s) re-encrypted" in rotated.stdout
    assert ids["gone"] in rotated.stderr
    only_new = Keyring([new])
    for name in ("a", "b"):
        assert only_new.open(_key_column(empty_database, ids[name]) or "") == f"key-of-{name}"
    with pytest.raises(UnreadableSecret):
        only_new.open(_key_column(empty_database, ids["gone"]) or "")
    assert not (tmp_path / "var" / "secret-key").exists()  # the environment's key is used, no file made
    assert "key-of-" not in rotated.stdout + rotated.stderr


def test_generate_prints_a_fernet_key_and_a_bad_key_stops_the_server(tmp_path: Path, sqlite_url: str) -> None:
    generated = _cli("secret-key", "generate", env={}, cwd=tmp_path)
    assert generated.returncode == 0
    Keyring([generated.stdout.strip()])
    with pytest.raises(RuntimeError, match=r"QBBRIDGE_SECRET_KEY='\*+': key 1 is not a Fernet key"):
        start_server(sqlite_url, tmp_path, extra_env={"QBBRIDGE_SECRET_KEY": "not-a-key"})


def test_a_key_no_secret_key_opens_holds_its_imports_back_and_says_why(
    empty_database: str, tmp_path: Path
) -> None:
    database = Database(empty_database)
    upgrade(database.engine)
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    lost = Keyring([new_key()])
    tenant_id = str(uuid.uuid4())
    with database.transaction() as session:
        session.execute(
            text(
                "INSERT INTO tenants (id, name, qbwc_username, file_id, company_file, settings, created_at, "
                "updated_at, fusion_api_base_url, fusion_api_key_sealed) VALUES (:id, 'Lost key', :user, :file, "
                "'', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'https://fo.example.com', :sealed)"
            ),
            {"id": tenant_id, "user": f"qbb-lost-{tenant_id[:6]}", "file": "{" + tenant_id.upper() + "}", "sealed": lost.seal(API_KEY)},
        )
        session.add(
            Import(public_id="imp-1", tenant_id=tenant_id, entity="product", status="pending", source_type="Item", source_id="I-1", data={"code": "P"})
        )
    try:
        report = deliver_pending(database, now=now, keyring=Keyring([new_key()]))
        assert report.deferred == ["imp-1"] and report.attempted == 0
        assert report.errors == {"imp-1": UNREADABLE_KEY_ERROR}
        with database.sessions() as session:
            row = session.scalars(select(Import).where(Import.public_id == "imp-1")).one()
        assert row.last_error == UNREADABLE_KEY_ERROR and row.attempts == 0
        assert dt.timedelta(0) <= row.next_attempt_at - (now + UNREADABLE_KEY_DELAY) < dt.timedelta(seconds=5)
    finally:
        database.dispose()
    # The service starts all the same, and says how many tenants are affected.
    server = start_server(empty_database, tmp_path / "server")
    try:
        assert server.client.get("/api/v1/tenants").status_code == 200
        assert "1 tenant(s) have a Fusion Operations API key" in server.log_text()
        assert tenant_id in server.log_text() and API_KEY not in server.log_text()
    finally:
        server.stop()

