"""The builder's version table (requests_builder/schema.py) against Intuit's own notes: every element and
request we write is refused below the version Intuit says introduced it, never later or earlier."""

from __future__ import annotations

import pytest

from requests_builder.schema import REQUEST_SINCE, SEQUENCES
from requests_builder.versions import version_tuple
from simulator.versions import OPS_FILE, load_notes
from tests.support.shared import require_schema_dir

# Elements whose version Intuit's notes do not give (they come in a branch of a choice the notes mark
# on another line); the builder asks for 11.0, the version of the serial and lot number features.
STRICTER = {"SerialNumber", "LotNumber"}


@pytest.fixture(scope="module")
def notes() -> dict[tuple[str, ...], tuple[int, int]]:
    path = require_schema_dir() / OPS_FILE
    if not path.is_file():
        pytest.skip(f"Intuit's {OPS_FILE} not available at {path} (set QBBRIDGE_SHARED_DIR)")
    return load_notes(str(path))


def _intuit_path(table_path: str, element: str) -> tuple[str, ...]:
    parts = table_path.split("/")
    head = (parts[0] + "Rq",) if not parts[0].endswith("Rq") else ()
    return (*head, *parts, element)


def test_every_element_we_write_has_intuits_version(notes: dict[tuple[str, ...], tuple[int, int]]) -> None:
    checked = 0
    for table_path, rows in SEQUENCES.items():
        for element, since, _ in rows:
            noted = notes.get(_intuit_path(table_path, element))
            ours = version_tuple(since) if since else None
            if element in STRICTER and noted is None:
                assert ours == (11, 0), (table_path, element)
                continue
            assert ours == noted, (table_path, element, since, noted)
            checked += 1
    assert checked > 900


def test_every_request_we_write_has_intuits_version(notes: dict[tuple[str, ...], tuple[int, int]]) -> None:
    for rq, since in REQUEST_SINCE.items():
        assert notes.get((rq,)) == version_tuple(since), rq
    base = {path[0] for table_path in SEQUENCES for path in [_intuit_path(table_path, "")]} - set(
        REQUEST_SINCE
    )
    for rq in base:
        assert notes.get((rq,)) is None, f"{rq} is newer than the 1.x base set: add it to REQUEST_SINCE"
