"""Schemathesis fuzzes every operation of the admin API from its OpenAPI document, on a live server,
once with the admin key and once with a tenant's key, on PostgreSQL and on SQLite.

It sends the documented examples, then values at and past every documented bound, then random valid
and invalid requests, then request sequences along the API's links (a tenant created, then used).
The run passes only with no server error, no status code the OpenAPI does not list, no answer that
breaks its documented schema and no undocumented content type.

Each run is bounded in time (``QBBRIDGE_FUZZ_SECONDS``, default 30, four runs) so the whole test stays
under three minutes on the 2-core CI machine. Requests go one at a time: the fuzzer looks for answers
that break the contract, not for throughput.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import LiveServer, create_postgres_database, drop_postgres_database, start_server

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
SECONDS = int(os.environ.get("QBBRIDGE_FUZZ_SECONDS", "30"))
RAW_QBXML = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><MaxReturned>2</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def fuzzed_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own on a new database: the fuzzer creates hundreds of tenants."""
    workdir = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    url = create_postgres_database() if request.param == "postgresql" else f"sqlite:///{workdir / 'fuzz.db'}"
    server = start_server(url, workdir, extra_env={"QBBRIDGE_PUSH_INTERVAL_SECONDS": "0"})
    yield server
    server.stop()
    if request.param == "postgresql":
        drop_postgres_database(url)


def _config(workdir: Path, tenant_id: str, job_id: str) -> Path:
    # Most generated ids are the real tenant's and job's, so operations get past the 404 and the
    # fuzzer reaches what they do; the rest stay random, so unknown ids are fuzzed too.
    path = workdir / "schemathesis.toml"
    path.write_text(
        "[dictionaries]\n"
        f'tenants = {{ values = ["{tenant_id}"] }}\n'
        f'jobs = {{ values = ["{job_id}"] }}\n\n'
        "[parameters]\n"
        '"path.tenant_id" = { dictionary = "tenants", probability = 0.8 }\n'
        '"path.job_id" = { dictionary = "jobs", probability = 0.8 }\n'
    )
    return path


@pytest.mark.parametrize("key_kind", ["admin key", "tenant key"])
def test_the_fuzzer_finds_no_server_error_and_no_contract_violation(
    fuzzed_server: LiveServer, key_kind: str, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    admin = fuzzed_server.client
    tenant = admin.post("/api/v1/tenants", json={"name": "Fuzzed"}).json()
    job = admin.post(f"/api/v1/tenants/{tenant['id']}/qbxml", json={"qbxml": RAW_QBXML}).json()
    key = fuzzed_server.admin_key
    if key_kind == "tenant key":
        key = admin.post(f"/api/v1/tenants/{tenant['id']}/api-keys", json={"name": "fuzzer"}).json()["key"]
    config = _config(tmp_path, tenant["id"], job["jobId"])
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
        f"{fuzzed_server.base_url}/openapi.json",
        "--header", f"Authorization: Bearer {key}",
        "--checks", CHECKS,
        "--max-examples", "10",
        "--max-time", str(SECONDS),
        "--workers", "1",
        "--request-timeout", "30",
        "--generation-database", "none",
        "--no-color",
    ]  # fmt: skip
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=SECONDS + 240)
    output = run.stdout + run.stderr
    numbers = re.search(r"(\d+) generated, (.*)", output)
    # Shown in the run's summary (tests/conftest.py), so every CI log says how much was fuzzed.
    record_property("schemathesis", numbers.group(0) if numbers else "no summary")
    (tmp_path / "schemathesis-output.txt").write_text(output)
    failures = output[output.find("= FAILURES =") :] if "= FAILURES =" in output else output
    assert run.returncode == 0, failures[:30000]
    assert numbers is not None and int(numbers.group(1)) > 100, output[-5000:]
    assert "failures" not in numbers.group(2) and "errored" not in numbers.group(2), numbers.group(0)
    assert "Traceback" not in fuzzed_server.log_text()
    assert httpx.get(fuzzed_server.base_url + "/healthz").status_code == 200
