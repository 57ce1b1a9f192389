"""No test is skipped without a word: the end of a run counts the skipped tests by reason and says how
to give the suite the shared qbXML files; with QBBRIDGE_REQUIRE_SHARED=1 (CI) their absence fails the
run; ``.ci/find-shared`` finds them for CI or says where it looked. Each run here is a real pytest (or
script) in a subprocess on a tiny selection."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import shared

REPO_ROOT = Path(__file__).resolve().parents[2]
# Needs only the samples, runs in about a second, and no database.
SELECTION = "tests/qbxml/test_parser.py"


def _pytest(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("QBBRIDGE_SHARED_DIR", shared.REQUIRE_VARIABLE)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_skips_are_counted_by_reason_at_the_end_with_where_to_point_the_suite(tmp_path: Path) -> None:
    run = _pytest(SELECTION, env={"QBBRIDGE_SHARED_DIR": str(tmp_path)})
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    closing = lines[-1]
    assert " skipped" in closing and "passed" in closing, closing
    skipped = int(closing.split(" skipped")[0].rsplit(" ", 1)[-1])
    assert skipped >= 10
    # The summary is the last thing before pytest's closing line, after its own short summary.
    header = next(i for i, line in enumerate(lines) if f"{skipped} tests skipped: they checked nothing" in line)
    assert header > next(i for i, line in enumerate(lines) if "short test summary info" in line)
    assert lines[header + 1].strip() == (
        f"{skipped} × needs the shared qbXML files: {tmp_path / 'qbxml-samples'} not found (set QBBRIDGE_SHARED_DIR)"
    )
    hint = lines[header + 2]
    assert "Point QBBRIDGE_SHARED_DIR at the folder holding qbxml-schema/ and qbxml-samples/" in hint
    assert f"(looked in {tmp_path})" in hint
    assert header + 3 == len(lines) - 1


def test_a_run_without_skips_prints_no_skip_summary() -> None:
    shared.require_samples_dir()
    run = _pytest(SELECTION, env={"QBBRIDGE_SHARED_DIR": str(shared.shared_dir())})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "skipped" not in run.stdout


def test_requiring_the_shared_files_stops_a_run_without_them(tmp_path: Path) -> None:
    run = _pytest(SELECTION, env={"QBBRIDGE_SHARED_DIR": str(tmp_path), shared.REQUIRE_VARIABLE: "1"})
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    output = run.stdout + run.stderr
    assert "QBBRIDGE_REQUIRE_SHARED is set but the shared qbXML files are missing" in output
    assert f"{tmp_path / 'qbxml-schema'} does not hold qbxmlops130.xsd, qbxmlops160.xsd" in output
    assert f"{tmp_path / 'qbxml-samples'} holds no .xml sample" in output
    assert " passed" not in output


def test_requiring_the_shared_files_passes_with_them() -> None:
    shared.require_samples_dir()
    shared.require_schema_dir()
    run = _pytest(SELECTION, env={"QBBRIDGE_SHARED_DIR": str(shared.shared_dir()), shared.REQUIRE_VARIABLE: "1"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "skipped" not in run.stdout


def test_a_test_that_needs_a_missing_folder_skips_or_fails_when_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QBBRIDGE_SHARED_DIR", str(tmp_path))
    monkeypatch.delenv(shared.REQUIRE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs the shared qbXML files"):
        shared.require_schema_dir()
    monkeypatch.setenv(shared.REQUIRE_VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match="QBBRIDGE_REQUIRE_SHARED is set, so this is a failure"):
        shared.require_samples_dir()


# --- .ci/find-shared ----------------------------------------------------------------------------------


def _find_shared(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "QBBRIDGE_SHARED_DIR"}
    return subprocess.run(["bash", str(script)], env={**clean, **env}, capture_output=True, text=True, timeout=30)


def _fake_shared(folder: Path) -> Path:
    (folder / "qbxml-schema").mkdir(parents=True)
    (folder / "qbxml-schema" / "qbxmlops130.xsd").write_text("<schema/>")
    (folder / "qbxml-samples").mkdir()
    return folder


def test_ci_takes_the_shared_folder_named_by_the_variable(tmp_path: Path) -> None:
    folder = _fake_shared(tmp_path / "elsewhere")
    found = _find_shared(REPO_ROOT / ".ci" / "find-shared", {"QBBRIDGE_SHARED_DIR": str(folder)})
    assert found.returncode == 0 and found.stdout.strip() == str(folder), found


def test_ci_fails_loudly_when_the_named_folder_lacks_the_files(tmp_path: Path) -> None:
    found = _find_shared(REPO_ROOT / ".ci" / "find-shared", {"QBBRIDGE_SHARED_DIR": str(tmp_path)})
    assert found.returncode == 1 and found.stdout == ""
    assert f"QBBRIDGE_SHARED_DIR={tmp_path} does not hold qbxml-schema/qbxmlops130.xsd and qbxml-samples/" in found.stderr


def test_ci_looks_beside_the_clone_without_the_variable(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    (clone / ".ci").mkdir(parents=True)
    shutil.copy(REPO_ROOT / ".ci" / "find-shared", clone / ".ci" / "find-shared")
    beside = _fake_shared(tmp_path / "shared")
    found = _find_shared(clone / ".ci" / "find-shared", {})
    assert found.returncode == 0 and found.stdout.strip() == str(beside), found
