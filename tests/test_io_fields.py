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

from dedup import read_articles
from dedup.io import ArticleReader, parse_datetime


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


def test_an_empty_text_field_falls_through_to_content(tmp_path: Path) -> None:
    # A CSV row with an empty text cell ignored its content column.
    c = tmp_path / "a.csv"
    c.write_text(f"id,text,content\nr1,,{S[0]}\nr2,  ,{S[1]}\nr3,{S[2]},{S[3]}\nr4,,\n", encoding="utf-8")
    assert [(a.id, a.text) for a in read_articles(c)] == [("r1", S[0]), ("r2", S[1]), ("r3", S[2]), ("r4", "")]
    j = write_lines(
        tmp_path / "a.jsonl",
        [jline(id="j1", text="", content=S[0]), jline(id="j2", text=None, body=S[1]), jline(id="j3", text="")],
    )
    assert [(a.id, a.text) for a in read_articles(j)] == [("j1", S[0]), ("j2", S[1]), ("j3", "")]


@pytest.mark.parametrize("raw_id", ["1.2345678901234567e22", "9007199254740993.0", "1e300", "-1e17"])
def test_a_float_id_too_large_to_be_exact_is_a_bad_record(tmp_path: Path, raw_id: str) -> None:
    # 1.2345678901234567e22 became 12345678901234567741440, another number.
    p = write_lines(tmp_path / "a.jsonl", [f'{{"id": {raw_id}, "text": "正文"}}', '{"id": 1e3, "text": "正文"}'])
    reader = ArticleReader(p, skip_bad=True)
    assert [a.id for a in reader] == ["1000"]
    assert [(s.lineno, s.field) for s in reader.skipped] == [(1, "id")]
    assert "write the id as a string" in reader.skipped[0].reason
