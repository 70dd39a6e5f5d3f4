"""dedup.jsontext: every JSON report is written one way, whatever text it carries."""

from __future__ import annotations

import json

import pytest

from dedup import Article, find_duplicates, render
from dedup.jsontext import dumps
from dedup.report import encode_output

VALUES = [
    {"id": "社区-1", "score": 0.8125, "ids": ("a", "b"), "evidence": None, "apart": True},
    {"shared": [[[0, 12], [3, 15]]], "only_a": ["7月3日"], "days_apart": 123},
    ["\x1b[2J", "\u2028", "𠀀", 'quote " and \\', 0.0001, -0.0, 10**18],
    {},
]


@pytest.mark.parametrize("value", VALUES)
def test_text_is_compact_json_with_non_ascii_kept(value: object) -> None:
    text = dumps(value)
    assert json.loads(text) == json.loads(json.dumps(value))
    assert text == json.dumps(value, ensure_ascii=False, separators=(",", ":"))  # the same text as json
    if "社区-1" in json.dumps(value, ensure_ascii=False):
        assert "社区-1" in text  # ensure_ascii=False: characters, not \\u escapes


def test_lone_surrogate_is_written_like_json_does() -> None:
    value = {"title": "a\ud800b", "n": 1}
    assert dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_report_of_articles_with_a_lone_surrogate_is_one_json_document() -> None:
    # The readers refuse lone surrogates; an Article built by a caller may still carry one.
    text = "6月12日上午，荷叶塘社区在社区广场开展垃圾分类宣传活动，发放宣传资料三百份，居民踊跃参加。"
    batch = [Article(id="a", title="x\ud800y", text=text), Article(id="b", title="标题", text=text)]
    rendered = render(find_duplicates(batch), "json")
    doc = json.loads(rendered)
    assert [s["ids"] for s in doc["stories"]] == [["a", "b"]]
    assert {p["title"] for p in doc["stories"][0]["posts"]} == {"x\ud800y", "标题"}
    assert json.loads(encode_output(rendered).decode("utf-8"))["stories"][0]["ids"] == ["a", "b"]
