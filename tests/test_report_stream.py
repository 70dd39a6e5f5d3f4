"""iter_render: every format written piece by piece, the same text as render of the whole result."""

from __future__ import annotations

import json

import pytest

from dedup import Article, DedupConfig, Deduplicator, render
from dedup.pipeline import Execution
from dedup.report import FORMATS, iter_render
from dedup.report_html import report_data

EAGER = Execution(parallel_min=1, chunk_size=3, verify_chunk=5)


class Skipped:
    def to_dict(self) -> dict[str, object]:
        return {"path": "posts.jsonl", "lineno": 3, "field": "id", "reason": "missing id"}


def _options(fmt: str, batch: list[Article]) -> dict[str, object]:
    return {
        "articles": batch,
        "skipped": [Skipped()] if fmt == "json" else None,
        "title": "周报 <stream>",
        "normalize": DedupConfig().normalize,
    }


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("fmt", FORMATS)
def test_streamed_output_is_byte_identical(fmt: str, workers: int, news: list[Article]) -> None:
    config = DedupConfig(workers=workers)
    expected = render(Deduplicator(DedupConfig(workers=1)).check(news), fmt, **_options(fmt, news))  # type: ignore[arg-type]
    with Deduplicator(config, execution=EAGER).check_stream(news) as stream:
        pieces = list(iter_render(stream, fmt, **_options(fmt, news)))  # type: ignore[arg-type]
    assert len(pieces) > 2
    assert "".join(pieces) == expected
    with Deduplicator(config, execution=EAGER).check_stream(news) as stream:
        assert render(stream, fmt, **_options(fmt, news)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "html"])
def test_streamed_output_without_evidence_is_byte_identical(fmt: str, news: list[Article]) -> None:
    config = DedupConfig(evidence=False)
    expected = render(Deduplicator(config).check(news), fmt, **_options(fmt, news))  # type: ignore[arg-type]
    with Deduplicator(config).check_stream(news) as stream:
        assert "".join(iter_render(stream, fmt, **_options(fmt, news))) == expected  # type: ignore[arg-type]
    if fmt != "html":
        assert '"evidence"' not in expected


@pytest.mark.parametrize("view", ["accounts", "account_pairs"])
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_account_views_from_a_stream(view: str, fmt: str, news: list[Article]) -> None:
    expected = render(Deduplicator().check(news), fmt, articles=news, view=view)  # type: ignore[arg-type]
    with Deduplicator().check_stream(news) as stream:
        assert render(stream, fmt, articles=news, view=view) == expected  # type: ignore[arg-type]


def test_streamed_json_is_one_complete_document(news: list[Article]) -> None:
    with Deduplicator(execution=EAGER).check_stream(news) as stream:
        text = "".join(iter_render(stream, "json", skipped=[Skipped()]))
    doc = json.loads(text)
    assert list(doc) == ["stories", "template_pairs", "families", "summary", "skipped"]  # the summary after the stories
    assert len(doc["stories"]) == doc["summary"]["stories"] > 0
    assert doc["template_pairs"] and doc["skipped"] == [Skipped().to_dict()]
    assert all("evidence" in p for s in doc["stories"] for p in s["pairs"])
    assert text.endswith("}\n") and text.count("\n") == 1


def test_stories_are_written_before_all_evidence_is_computed(news: list[Article]) -> None:
    done: list[int] = []
    total: list[int] = []

    def progress(stage: str, n: int, of: int) -> None:
        if stage == "evidence":
            done.append(n)
            total.append(of)

    with Deduplicator(DedupConfig(workers=2), execution=EAGER).check_stream(news, progress=progress) as stream:
        pieces = iter_render(stream, "json")
        assert next(pieces) == '{"stories":['
        first_story = next(pieces)
        assert json.loads(first_story)["pairs"][0]["evidence"]
        assert done and done[-1] < total[-1]  # the later stories' evidence is not computed yet
        rest = list(pieces)
    assert done[-1] == total[-1]
    assert json.loads("".join(['{"stories":[', first_story, *rest]))


def test_html_data_streamed_equals_report_data(news: list[Article]) -> None:
    result = Deduplicator().check(news)
    with Deduplicator().check_stream(news) as stream:
        page = "".join(iter_render(stream, "html", articles=news))
    start = page.index('id="dedup-data">') + len('id="dedup-data">')
    embedded = json.loads(page[start : page.index("</script>", start)])
    assert embedded == report_data(result, news)
    assert list(embedded) == ["summary", "accounts", "stats", "matrix", "posts", "stories", "templates", "families"]


def test_bad_arguments_fail_before_any_piece(news: list[Article]) -> None:
    with Deduplicator().check_stream(news) as stream:
        with pytest.raises(ValueError, match="needs the articles"):
            iter_render(stream, "html")
        with pytest.raises(ValueError, match="output format"):
            iter_render(stream, "yaml")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="not rendered"):
            iter_render(stream, "jsonl", articles=news, view="accounts")
