from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from dedup import (
    Article,
    DedupConfig,
    Deduplicator,
    DedupResult,
    InputError,
    account_pairs,
    read_articles,
    render,
)
from dedup.cli import main
from dedup.report_html import render_html, report_data

DATA = Path(__file__).parent / "data"
_DATA_SCRIPT = re.compile(r'<script type="application/json" id="dedup-data">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def batch(news: list[Article]) -> list[Article]:
    """The fixture news plus two posts full of characters that need escaping."""
    return [*news, *read_articles(DATA / "report_tricky.jsonl")]


@pytest.fixture(scope="module")
def result(dedup: Deduplicator, batch: list[Article]) -> DedupResult:
    return dedup.check(batch)


@pytest.fixture(scope="module")
def page(result: DedupResult, batch: list[Article]) -> str:
    return render_html(result, batch, title="周报 <script>")


def embedded(page: str) -> Any:
    (raw,) = _DATA_SCRIPT.findall(page)
    return json.loads(raw)


def test_page_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    # nothing loaded from anywhere: no external scripts, styles, images or fonts; CSP forbids them
    assert not re.search(r"<(script|img|link|iframe)[^>]*\s(src|href)=", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page


def test_everything_is_escaped(page: str, batch: list[Article]) -> None:
    # only the report's own two scripts open and close; the posts' "</script><img ...>" stays data
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<img" not in page and "<!--" not in page and "\u2028" not in page
    assert "<title>周报 &lt;script&gt;</title>" in page
    data = embedded(page)
    texts = {post[0]: post[5] for post in data["posts"]}
    by_id = {a.id: a for a in batch}
    assert texts["x-1"] == by_id["x-1"].text  # round-trips exactly, astral characters included
    assert '岳麓区"融媒体"<中心>' in data["accounts"]


def test_summary_cards(page: str, result: DedupResult) -> None:
    s = result.summary
    assert f'data-key="stories"><b>{s.stories}</b>' in page
    assert f'data-key="posts"><b>{s.articles}</b>' in page
    assert f"{100 * s.copies / s.articles:.1f}%" in page


def test_every_pair_of_a_story_has_evidence(result: DedupResult, batch: list[Article]) -> None:
    data = report_data(result, batch)
    assert len(data["stories"]) == len(result.stories)
    for story, sd in zip(result.stories, data["stories"], strict=True):
        n = len(story.ids)
        pairs = {(row[0], row[1]) for row in sd["e"]}
        assert pairs == {(x, y) for x in range(n) for y in range(x + 1, n)}
        verified = [row for row in sd["e"] if row[2] is not None]
        assert len(verified) == len(story.pairs)
        assert [data["posts"][i][0] for i in sd["p"]] == list(story.ids)


def test_large_stories_get_evidence_against_the_original_only(result: DedupResult, batch: list[Article]) -> None:
    data = report_data(result, batch, pair_limit=2)
    for story, sd in zip(result.stories, data["stories"], strict=True):
        local = {pid: k for k, pid in enumerate(story.ids)}
        expected = {(0, y) for y in range(1, len(story.ids))}
        expected |= {(min(local[p.a], local[p.b]), max(local[p.a], local[p.b])) for p in story.pairs}
        assert {(min(r[0], r[1]), max(r[0], r[1])) for r in sd["e"]} == expected


def test_pair_limit_is_checked(result: DedupResult, batch: list[Article]) -> None:
    with pytest.raises(ValueError, match="pair_limit must be >= 2, got 1"):
        report_data(result, batch, pair_limit=1)


def test_passages_are_code_point_offsets_into_the_original_text(result: DedupResult, batch: list[Article]) -> None:
    data = report_data(result, batch)
    (k,) = [k for k, s in enumerate(result.stories) if "x-1" in s.ids]
    story = result.stories[k]
    (pair,) = story.pairs
    assert pair.evidence is not None
    (row,) = data["stories"][k]["e"]
    assert row[4] == [n for (a0, a1), (b0, b1) in pair.evidence.shared for n in (a0, a1, b0, b1)]
    texts = [data["posts"][i][5] for i in data["stories"][k]["p"]]
    first = texts[0][row[4][0] : row[4][1]]
    assert first.startswith("𠮷𠮷村讯") and first.endswith("书画展。")  # astral characters count as one


def test_specifics_per_post_reproduce_the_evidence(result: DedupResult, batch: list[Article]) -> None:
    """The page derives shared/only specifics from per-post lists; they must match the pipeline's Evidence."""
    data = report_data(result, batch)
    spec = {post[0]: post[6] for post in data["posts"]}
    pairs = [p for s in result.stories for p in s.pairs] + list(result.template_pairs)
    assert pairs
    for pair in pairs:
        ev = pair.evidence
        assert ev is not None
        a, b = spec[pair.a], spec[pair.b]
        assert a is not None and b is not None
        assert [x for x in a if x in b] == list(ev.shared_specifics)
        assert [x for x in a if x not in b] == list(ev.only_a)
        assert [x for x in b if x not in a] == list(ev.only_b)


def test_matrix_and_stats(result: DedupResult, batch: list[Article]) -> None:
    data = report_data(result, batch)
    names = data["accounts"]
    assert len(names) == len({a.account for a in batch}) == len(data["stats"])
    pairs = {(names[r[0]], names[r[1]]): r[2:] for r in data["matrix"]}
    assert pairs == {(p.a, p.b): [p.stories, p.a_from_b, p.b_from_a] for p in account_pairs(result)}


def test_without_evidence_passages_are_computed(batch: list[Article]) -> None:
    result = Deduplicator().check(batch)
    bare = Deduplicator(DedupConfig(evidence=False)).check(batch)
    assert all(p.evidence is None for s in bare.stories for p in s.pairs)
    with_ev, without = report_data(result, batch), report_data(bare, batch)
    assert [s["e"] for s in without["stories"]] == [s["e"] for s in with_ev["stories"]]
    assert all(post[6] is None for post in without["posts"])  # specifics unknown, said so on the page


def test_result_of_another_batch_is_rejected(result: DedupResult, batch: list[Article]) -> None:
    with pytest.raises(InputError, match="not among the articles"):
        render_html(result, batch[3:])


def test_render_hook_needs_articles(result: DedupResult, batch: list[Article]) -> None:
    assert render(result, "html", articles=batch).startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError, match="needs the articles"):
        render(result, "html")


def test_no_stories_still_renders() -> None:
    posts = [Article(id="1", text="只有一篇。")]
    page = render_html(Deduplicator().check(posts), posts)
    data = embedded(page)
    assert data["stories"] == [] and data["matrix"] == [] and data["posts"] == []


# -- dedup check --format html ---------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.BytesIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_the_report(news_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, out, err = run("check", str(news_path), "--format", "html", "-o", str(target))
    assert code == 1 and out == ""
    assert "4 stories with several posts" in err
    page = target.read_text(encoding="utf-8")
    assert "<title>dedup report: news_small.jsonl</title>" in page
    assert len(embedded(page)["stories"]) == 4


def test_cli_html_to_stdout_has_no_bom(news_path: Path) -> None:
    code, out, _ = run("check", str(news_path), "--format", "html", "-q", "--exit-zero")
    assert code == 0 and out.startswith("<!DOCTYPE html>")


def test_cli_html_is_always_utf8(news_path: Path) -> None:
    code, out, err = run("check", str(news_path), "--format", "html", "--output-encoding", "gb18030")
    assert code == 2 and out == ""
    assert err == "dedup check: error: the html report is always UTF-8; --output-encoding gb18030 is for csv\n"


def test_dates_at_the_ends_of_the_calendar(tmp_path: Path) -> None:
    # 0001-01-01 (China time) and 9999-12-31T23:59:59-12:00 are outside the UTC range of
    # datetime: --format html crashed with OverflowError (exit 1, read as "duplicates").
    body = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
    batch = tmp_path / "posts.jsonl"
    dates = ["0001-01-01", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2024-06-12 08:30"]
    batch.write_text(
        "".join(json.dumps({"id": f"d{k}", "text": body, "published_at": d}) + "\n" for k, d in enumerate(dates)),
        encoding="utf-8",
    )
    page = tmp_path / "report.html"
    err = io.StringIO()
    assert main(["check", str(batch), "--format", "html", "-o", str(page), "-q", "--workers", "1"], stderr=err) == 1
    assert err.getvalue() == ""
    posts = json.loads(_DATA_SCRIPT.search(page.read_text(encoding="utf-8")).group(1))["posts"]  # type: ignore[union-attr]
    shown = {p[0]: (p[2], p[3]) for p in posts}
    assert shown["d0"] == ("0001-01-01 00:00", -62135596800 - 8 * 3600)
    assert shown["d1"] == ("9999-12-31 23:59", 253402300799 + 12 * 3600)
    assert shown["d3"][0] == "2024-06-12 08:30"
