"""The shipped alert rules and Grafana dashboard: valid, about metrics qbbridge exports, and (with
Prometheus' own ``promtool``, Debian package ``prometheus``) each alert fires on the situation it
names and stays quiet on a healthy one (``alert_rules_test.yml``)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from qbbridge.metrics import QueueFigures, exposition
from tests.support.servers import REPO_ROOT

ALERTS = REPO_ROOT / "deploy" / "alerts.yml"
DASHBOARD = REPO_ROOT / "deploy" / "grafana-dashboard.json"
RULE_TESTS = Path(__file__).with_name("alert_rules_test.yml")
NAME = re.compile(r"\bqbbridge_[a-z_]+")
SUFFIXES = ("_total", "_bucket", "_count", "_sum")


def exported_families() -> set[str]:
    figures = QueueFigures(
        steps_waiting={"queued": 0, "in_flight": 0, "unknown_outcome": 0},
        oldest_queued=None,
        sessions_open=0,
        last_contact=None,
        read_at=dt.datetime.now(dt.UTC),
    )
    return {family.name for family in text_string_to_metric_families(exposition(figures).decode())}


def family_of(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def alert_expressions() -> list[str]:
    rules = yaml.safe_load(ALERTS.read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


@pytest.mark.parametrize("source", ["alerts", "dashboard"])
def test_every_metric_named_is_one_qbbridge_exports(source: str) -> None:
    expressions = alert_expressions() if source == "alerts" else dashboard_expressions()
    named = {family_of(name) for expr in expressions for name in NAME.findall(expr)}
    assert named, expressions
    assert named <= exported_families(), named - exported_families()


def test_the_alerts_the_operations_guide_promises_exist() -> None:
    names = {
        rule["alert"] for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]
    }
    assert {
        "QbbridgeQueueGrowing",
        "QbbridgeConnectorSilent",
        "QbbridgeQuickBooksErrorsRising",
        "QbbridgeImportDeliveriesFailing",
        "QbbridgeWebhookDeliveriesFailing",
    } <= names
    guide = (REPO_ROOT / "docs" / "operations.md").read_text()
    assert all(name in guide for name in names), names


@pytest.fixture
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool (Debian package prometheus) is not installed: scripts/test.sh installs it")
    return found


def test_promtool_accepts_the_rules(promtool: str) -> None:
    result = subprocess.run([promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_when_it_should_and_only_then(promtool: str) -> None:
    result = subprocess.run(
        [promtool, "test", "rules", RULE_TESTS.name], cwd=RULE_TESTS.parent, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
