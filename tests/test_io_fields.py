"""The record validator: ids, text fields, dates."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from io_helpers import (
    S,
    assert_one_line_error,
    check_json,
    groups,
    jline,
    run,
    write_lines,
)

from dedup import ArticleReader
from dedup.io import parse_datetime


def test_missing_title_is_fine_missing_text_is_an_error(tmp_path: Path) -> None:
    p = write_lines(
        tmp_path / "a.jsonl",
        [jline(id="t1", text=S[0]), jline(id="t2", title="只有标题，没有正文"), jline(id="t3", text=S[0])],
    )
    code, _, err = run("check", p)
    assert_one_line_error(code, err, f"{p}:2: field text: missing")
    code, doc, _ = check_json(p, "--skip-bad")
    assert code == 1 and groups(doc) == [["t1", "t3"]]
    assert doc["skipped"] == [
        {"path": str(p), "lineno": 2, "field": "text", "reason": doc["skipped"][0]["reason"], "id": "t2"}
    ]


@pytest.mark.parametrize(
    ("raw_id", "message"),
    [
        (None, "field id: missing"),
        ("null", "field id: must be a string or an integer, got null"),
        ("true", "field id: must be a string or an integer, got true"),
        ("1.5", "field id: must be a string or an integer, got 1.5"),
        ("NaN", "field id: must be a string or an integer, got nan"),
        ('{"x": 1}', "field id: must be a string or an integer, got dict"),
        ("[1]", "field id: must be a string or an integer, got list"),
        ('"  "', "field id: is empty"),
        ('"\\ud800"', "field id: contains U+D800, a lone surrogate"),
    ],
)
def test_bad_ids_are_named_and_skippable(tmp_path: Path, raw_id: str | None, message: str) -> None:
    body = json.dumps(S[1], ensure_ascii=False)
    bad = f'{{"text": {body}}}' if raw_id is None else f'{{"id": {raw_id}, "text": {body}}}'
    p = write_lines(tmp_path / "a.jsonl", [jline(id="a", text=S[0]), bad, jline(id="b", text=S[0])])
    code, _, err = run("check", p)
    assert_one_line_error(code, err, f"{p}:2: {message}")
    reader = ArticleReader(p, skip_bad=True)
    assert [a.id for a in reader] == ["a", "b"]
    assert [(s.lineno, s.field, s.id) for s in reader.skipped] == [(2, "id", None)]


def test_integer_and_unusual_string_ids_are_echoed_exactly(tmp_path: Path) -> None:
    ids: list[Any] = [7, "帖子🎉1", " spaced ", "a\tb", "1e3"]
    p = write_lines(tmp_path / "a.jsonl", [jline(id=i, text=S[0]) for i in ids])
    code, doc, _ = check_json(p)
    assert code == 1
    assert groups(doc) == [sorted(["7", "帖子🎉1", " spaced ", "a\tb", "1e3"])]


def test_parse_datetime_forms() -> None:
    assert parse_datetime("2024/06/12 08:30") == datetime(2024, 6, 12, 8, 30)
    assert parse_datetime("2024年6月12日 8:05") == datetime(2024, 6, 12, 8, 5)
    assert parse_datetime("2024-06-12T00:30:00Z").utcoffset() == timedelta(0)
    assert parse_datetime(0).year == 1970
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_datetime("下周一")
    with pytest.raises(ValueError, match="not a valid date"):
        parse_datetime("2024-02-30 08:00")
