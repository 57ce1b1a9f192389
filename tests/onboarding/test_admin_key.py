"""``qbbridge admin-key rotate``: the new key works and the old one stops at once, in every worker."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import start_server


def _status(base_url: str, key: str) -> set[int]:
    # A new connection each time, so the calls reach both worker processes.
    return {
        httpx.get(f"{base_url}/api/v1/tenants", headers={"Authorization": f"Bearer {key}"}).status_code
        for _ in range(12)
    }


def test_admin_key_rotation_without_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rotate.db'}"
    env = {"QBBRIDGE_ADMIN_API_KEY": ""}
    server = start_server(url, tmp_path, extra_env=env, workers=2)
    try:
        log = ""
        for _ in range(50):
            log = "".join(p.read_text() for p in tmp_path.glob("server-*.log"))
            if "admin API key" in log:
                break
            time.sleep(0.1)
        old = re.search(r"admin API key \(shown once[^)]*\): (\S+)", log)
        assert old, log
        old_key = old.group(1)
        assert _status(server.base_url, old_key) == {200}
        rotated = subprocess.run(
            [sys.executable, "-m", "qbbridge.cli", "admin-key", "rotate"],
            env={**os.environ, "QBBRIDGE_DATABASE_URL": url, **env},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert rotated.returncode == 0, rotated.stderr
        new_key = rotated.stdout.strip()
        assert new_key.startswith("qbba_") and new_key != old_key
        assert "old one no longer works" in rotated.stderr
        assert _status(server.base_url, old_key) == {401}
        assert _status(server.base_url, new_key) == {200}
        # A revoked tenant key is refused at once by both workers too.
        admin = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {new_key}"})
        tenant = admin.post("/api/v1/tenants", json={"name": "Two workers"}).json()["id"]
        key = admin.post(f"/api/v1/tenants/{tenant}/api-keys", json={"name": "fo"}).json()
        assert _status(server.base_url, key["key"]) == {200}
        assert admin.delete(f"/api/v1/tenants/{tenant}/api-keys/{key['id']}").status_code == 204
        assert _status(server.base_url, key["key"]) == {401}
    finally:
        server.stop()


def test_admin_key_rotation_refuses_an_environment_key(tmp_path: Path) -> None:
    rotated = subprocess.run(
        [sys.executable, "-m", "qbbridge.cli", "admin-key", "rotate"],
        env={
            **os.environ,
            "QBBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}",
            "QBBRIDGE_ADMIN_API_KEY": "from-the-environment",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rotated.returncode == 2
    assert "QBBRIDGE_ADMIN_API_KEY is set" in rotated.stderr and rotated.stdout == ""
