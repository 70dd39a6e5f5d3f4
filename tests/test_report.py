from __future__ import annotations

import csv
import io
import json

import pytest

from dedup import Article, Deduplicator, render
from dedup.report import display_width


@pytest.fixture(scope="module")
def result(dedup: Deduplicator, news: list[Article]):  # type: ignore[no-untyped-def]
    return dedup.check(news)


def test_json_shape(result) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(render(result, "json"))
    assert set(doc) == {"stories", "template_pairs", "summary"}
    story = doc["stories"][0]
    assert set(story) == {"ids", "original", "accounts", "posts", "pairs"}
    assert all(isinstance(i, str) for i in story["ids"])
    assert set(story["posts"][0]) == {"id", "account", "published_at", "title"}
    assert set(story["pairs"][0]) == {"a", "b", "score", "kind", "evidence"}
    assert doc["summary"]["articles"] == 16
    assert all(len(s["ids"]) >= 2 for s in doc["stories"])


def test_json_keeps_chinese_readable(result) -> None:  # type: ignore[no-untyped-def]
    text = render(result, "json")
    assert "荷叶塘社区" in text and "\\u" not in text


def test_jsonl_one_story_per_line(result) -> None:  # type: ignore[no-untyped-def]
    lines = render(result, "jsonl").splitlines()
    assert len(lines) == len(result.stories)
    assert json.loads(lines[0])["ids"] == list(result.stories[0].ids)


def test_csv_one_row_per_post(result) -> None:  # type: ignore[no-untyped-def]
    rows = list(csv.DictReader(io.StringIO(render(result, "csv"))))
    assert len(rows) == sum(len(s.ids) for s in result.stories)
    first = rows[0]
    assert first["story"] == "1" and first["original"] == "yes" and first["score"] == ""
    assert rows[1]["kind"] in ("exact", "near", "contained", "rewritten")


def test_table_is_aligned_for_cjk(result) -> None:  # type: ignore[no-untyped-def]
    table = render(result, "table")
    block = table.split("\n\n")[0].splitlines()
    header, rows = block[1], block[2:]
    col = display_width(header[: header.index("published")])
    for row in rows:
        # the published column starts at the same display column in every row
        prefix = row[: row.index("2024-")]
        assert display_width(prefix) == col
    assert "Template pairs" in table
    assert table.rstrip().splitlines()[-1].startswith("16 articles: 4 stories")


def test_unknown_format(result) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="output format"):
        render(result, "xml")  # type: ignore[arg-type]


def test_display_width() -> None:
    assert display_width("社区ab") == 6
