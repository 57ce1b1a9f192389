"""Intuit's qbXML schemas and real QuickBooks messages, which some tests check against.

They are not part of the project: the suite finds them in ``QBBRIDGE_SHARED_DIR`` (by default the
folder ``shared`` beside the repository), in ``qbxml-schema/`` and ``qbxml-samples/``. Where they
are missing, the tests that need them are skipped with one reason per missing folder, which the
end of the run counts (``tests/conftest.py``). With ``QBBRIDGE_REQUIRE_SHARED=1`` (CI) a missing
folder is a failure instead, and the run stops at once if either folder is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FOLDER = "qbxml-schema"
SAMPLES_FOLDER = "qbxml-samples"
# Every schema the suite validates against, and a sample that marks the samples folder.
SCHEMA_FILES = ("qbxmlops130.xsd", "qbxmlops160.xsd")
REQUIRE_VARIABLE = "QBBRIDGE_REQUIRE_SHARED"
SKIP_PREFIX = "needs the shared qbXML files:"


def shared_dir() -> Path:
    return Path(os.environ.get("QBBRIDGE_SHARED_DIR") or REPO_ROOT.parent / "shared")


def required() -> bool:
    return os.environ.get(REQUIRE_VARIABLE, "") not in ("", "0")


def schema_dir() -> Path | None:
    path = shared_dir() / SCHEMA_FOLDER
    return path if all((path / name).is_file() for name in SCHEMA_FILES) else None


def samples_dir() -> Path | None:
    path = shared_dir() / SAMPLES_FOLDER
    return path if path.is_dir() and any(path.glob("*.xml")) else None


def missing_reason(folder: str) -> str:
    """The one reason every test gives that needs ``folder`` and cannot find it."""
    return f"{SKIP_PREFIX} {shared_dir() / folder} not found (set QBBRIDGE_SHARED_DIR)"


def missing(folder: str) -> None:
    """Skip the calling test, or fail it when the shared files are required."""
    reason = missing_reason(folder)
    if required():
        pytest.fail(f"{reason}; {REQUIRE_VARIABLE} is set, so this is a failure", pytrace=False)
    pytest.skip(reason)


def _required(folder: Path | None, name: str) -> Path:
    if folder is None:
        missing(name)
    assert folder is not None
    return folder


def require_schema_dir() -> Path:
    return _required(schema_dir(), SCHEMA_FOLDER)


def require_samples_dir() -> Path:
    return _required(samples_dir(), SAMPLES_FOLDER)


def problems() -> list[str]:
    """What is missing of the shared files, for the check at the start of a run that requires them."""
    found = []
    if schema_dir() is None:
        names = ", ".join(SCHEMA_FILES)
        found.append(f"{shared_dir() / SCHEMA_FOLDER} does not hold {names}")
    if samples_dir() is None:
        found.append(f"{shared_dir() / SAMPLES_FOLDER} holds no .xml sample")
    return found
