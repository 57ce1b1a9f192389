"""JSON text for the database (db/json_text.py): the same JSON values as ``json.dumps`` writes,
including what orjson alone would refuse."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from db import json_text

VALUES = [
    {"code": "SO-1", "lines": [{"qty": 2.5, "name": "Crème brûlée 12\" — ½"}], "ok": True, "none": None},
    {"emoji": "\U0001f600", "cjk": "見積書", "control": "a\x01b\tc\n", "quote": 'say "hi"\\'},
    [0, -1, 1.0, 1e-7, 123456789012345678, "", {}, []],
    {"big": 2**70},  # wider than 64 bits: orjson refuses, json.dumps writes it
    {"lone": "\ud800"},  # a lone surrogate: orjson refuses, json.dumps escapes it
    {1: "a", 2: "b"},  # keys that are not strings become strings, as json.dumps does
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_text_reads_back_as_the_standard_librarys_does(value: object) -> None:
    text = json_text.dumps(value)
    assert json.loads(text) == json.loads(json.dumps(value))
    assert json_text.dumps_bytes(value) == text.encode()


def test_what_json_dumps_refuses_is_refused() -> None:
    for value in ({"amount": Decimal("1.50")}, {"items": {1, 2}}):
        with pytest.raises(TypeError):
            json.dumps(value)
        with pytest.raises(TypeError):
            json_text.dumps(value)
