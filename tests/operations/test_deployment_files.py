"""The shipped deployment (docker-compose.yml, deploy/Caddyfile, Dockerfile) says what
docs/deployment.md promises: two instances behind Caddy with TLS, restart policies, readiness checks,
no default secret, and an image that holds every package of the product. (Docker itself does not run
on the test machine; tests/operations/test_scale_out.py runs the same Caddyfile with Debian's caddy.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from typing import Any

import pytest
import yaml

from tests.support.servers import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
SECRETS = (
    "POSTGRES_PASSWORD",
    "QBBRIDGE_ADMIN_API_KEY",
    "QBBRIDGE_SECRET_KEY",
    "QBBRIDGE_DOMAIN",
    "QBBRIDGE_TLS",
)


def _compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def test_compose_runs_two_instances_with_restart_policies_and_readiness_checks() -> None:
    services = _compose()["services"]
    instances = [name for name, service in services.items() if service.get("build") == "."]
    assert len(instances) == 2, instances
    for name in instances:
        service = services[name]
        assert service["restart"] == "unless-stopped"
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("postgres", "caddy"):
        assert services[name]["restart"] == "unless-stopped"
    caddy = services["caddy"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert all(caddy["depends_on"][name]["condition"] == "service_healthy" for name in instances)


def test_every_secret_must_be_given_and_none_has_a_default() -> None:
    text = COMPOSE.read_text()
    for secret in SECRETS:
        uses = re.findall(r"\$\{" + secret + r"([^}]*)\}", text)
        assert uses, f"{secret} is not used"
        # ${NAME:?message}: compose stops with the message when NAME is unset or empty.
        assert all(use.startswith(":?") for use in uses), f"{secret}: {uses}"
    assert "change-me" not in text
    example = (REPO_ROOT / "deploy" / "env.example").read_text()
    assert all(re.search(rf"^{secret}=", example, re.MULTILINE) for secret in SECRETS)
    assert "deploy/.env" in (REPO_ROOT / ".gitignore").read_text().split()


def test_the_image_holds_every_package_the_project_installs() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    packages = [name.rstrip("*") for name in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (REPO_ROOT / "Dockerfile").read_text(), re.MULTILINE))
    assert set(packages) <= copied, f"the Dockerfile does not copy {sorted(set(packages) - copied)}"


@pytest.mark.skipif(shutil.which("caddy") is None, reason="needs Caddy (Debian: apt-get install caddy)")
@pytest.mark.parametrize("tls", ["internal", "ops@example.com"])
def test_the_caddyfile_is_valid_for_both_kinds_of_certificate(tls: str) -> None:
    env = {"QBBRIDGE_DOMAIN": "qbbridge.example.com", "QBBRIDGE_TLS": tls, "PATH": "/usr/bin:/bin"}
    adapted = subprocess.run(
        ["caddy", "adapt", "--config", str(REPO_ROOT / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert adapted.returncode == 0, adapted.stderr
    assert '"upstreams":[{"dial":"qbbridge-a:8000"},{"dial":"qbbridge-b:8000"}]' in adapted.stdout
    assert '"uri":"/readyz"' in adapted.stdout
