"""``qbbridge config check`` and ``qbbridge --version``, run as the real command; the README's
configuration table names every variable."""

from __future__ import annotations

import re
from importlib.metadata import version as package_version
from pathlib import Path

from db.engine import Database
from db.migrate import head_revision, upgrade
from qbbridge import __version__
from qbbridge.config import VARIABLES
from tests.operations.conftest import clean_environment, run_qbbridge
from tests.support.servers import REPO_ROOT, free_port


def _table(stdout: str) -> dict[str, tuple[str, str]]:
    """``NAME  value  (origin)`` lines → {name: (value, origin)}."""
    rows = {}
    for line in stdout.splitlines():
        match = re.match(r"^(QBBRIDGE_\w+)\s+(.*?)\s+\(([^)]*)\)$", line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3))
    return rows


PASSWORD = "pa55word"
ADMIN_KEY = "admin-key-that-must-not-show"
# The variables the check is run with: {name: (the value given, the value the check shows for it)}.
GIVEN = {
    "QBBRIDGE_DATABASE_URL": (
        f"postgresql+psycopg://qbbridge:{PASSWORD}@127.0.0.1:1/qbbridge",
        "postgresql+psycopg://qbbridge:********@127.0.0.1:1/qbbridge",
    ),
    "QBBRIDGE_DATABASE_WAIT_SECONDS": ("0", "0"),
    "QBBRIDGE_ADMIN_API_KEY": (ADMIN_KEY, "********"),
    "QBBRIDGE_LOG_LEVEL": ("WARNING", "WARNING"),
    # Set to the default's value is still "set": the operator chose it.
    "QBBRIDGE_REQUESTS_PER_MESSAGE": ("10", "10"),
}


def test_config_check_shows_every_variable_with_secrets_masked(tmp_path: Path) -> None:
    given = {name: value for name, (value, _) in GIVEN.items()}
    env = clean_environment(**given, QBBRIDGE_TYPO_SETTING="1")
    run = run_qbbridge(["config", "check", "--port", "9123"], env, tmp_path)
    rows = _table(run.stdout)
    assert set(rows) >= {variable.name for variable in VARIABLES}
    for secret in (PASSWORD, ADMIN_KEY):
        assert secret not in run.stdout + run.stderr
    shown = {name: (value, "set") for name, (_, value) in GIVEN.items()}
    assert {name: rows.get(name) for name in GIVEN} == shown
    assert rows["QBBRIDGE_SESSION_TIMEOUT_MINUTES"] == ("30", "default")
    assert rows["QBBRIDGE_PUBLIC_URL"] == ("http://localhost:9123", "default")
    assert "QBBRIDGE_TYPO_SETTING" in run.stdout and "not a qbbridge setting" in run.stdout
    # The values are valid, but nothing answers at that address: the check says so and fails.
    assert run.returncode == 2
    assert "cannot connect to PostgreSQL at 127.0.0.1:1" in run.stderr


def test_config_check_passes_on_a_good_configuration(tmp_path: Path, database_url: str) -> None:
    database = Database(database_url)
    upgrade(database.engine)
    database.dispose()
    run = run_qbbridge(["config", "check"], clean_environment(QBBRIDGE_DATABASE_URL=database_url), tmp_path)
    assert run.returncode == 0, run.stderr
    assert f"schema at {head_revision()} (current)" in run.stdout
    assert run.stdout.rstrip().endswith("qbbridge: the configuration is valid")
    assert run.stderr == ""


def test_a_plain_postgresql_url_means_psycopg(tmp_path: Path, postgres_url: str) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    run = run_qbbridge(["config", "check"], clean_environment(QBBRIDGE_DATABASE_URL=plain), tmp_path)
    assert run.returncode == 0, run.stderr
    assert "answers" in run.stdout


def test_config_check_creates_no_sqlite_file(tmp_path: Path) -> None:
    target = tmp_path / "var" / "new.db"
    run = run_qbbridge(
        ["config", "check"], clean_environment(QBBRIDGE_DATABASE_URL=f"sqlite:///{target}"), tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert "does not exist yet" in run.stdout
    assert not target.parent.exists()


def test_config_check_lists_every_bad_variable_and_exits_2(tmp_path: Path) -> None:
    env = clean_environment(QBBRIDGE_LOG_LEVEL="loud", QBBRIDGE_PUBLIC_URL="garbage")
    run = run_qbbridge(["config", "check", "--port", str(free_port())], env, tmp_path)
    assert run.returncode == 2
    lines = run.stderr_lines()
    assert len(lines) == 2 and "Traceback" not in run.stderr
    assert any("QBBRIDGE_LOG_LEVEL='loud'" in line for line in lines)
    assert any("QBBRIDGE_PUBLIC_URL='garbage'" in line for line in lines)


def test_version_option(tmp_path: Path) -> None:
    run = run_qbbridge(["--version"], clean_environment(), tmp_path)
    assert run.returncode == 0
    assert run.stdout.strip() == f"qbbridge {__version__}"
    assert __version__ == package_version("qbbridge")


def test_readme_configuration_table_names_every_variable() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(QBBRIDGE_\w+)`", table))
    assert documented == {variable.name for variable in VARIABLES}
