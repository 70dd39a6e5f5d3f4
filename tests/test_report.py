from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup import Article, Deduplicator, account_pairs, account_stats, render
from dedup.report import _clip, display_width, escape_controls, render_accounts


@pytest.fixture(scope="module")
def result(dedup: Deduplicator, news: list[Article]):  # type: ignore[no-untyped-def]
    return dedup.check(news)


def test_json_shape(result) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(render(result, "json"))
    assert set(doc) == {"stories", "template_pairs", "families", "summary"}
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


# -- output encodings (CSV for Excel) ------------------------------------------------------


def test_encode_output() -> None:
    from dedup.report import OUTPUT_ENCODINGS, default_output_encoding, encode_output

    assert encode_output("社区,1\r\n", encoding="utf-8-sig") == b"\xef\xbb\xbf" + "社区,1\r\n".encode()
    assert encode_output("社区", encoding="utf-8") == "社区".encode()
    # GB18030 covers all of Unicode, astral characters included
    assert encode_output("社区𠮷", encoding="gb18030").decode("gb18030") == "社区𠮷"
    assert encode_output("a\ud800b", encoding="utf-8") == b"a?b"  # a lone surrogate cannot crash the write
    assert set(OUTPUT_ENCODINGS) == {"utf-8-sig", "utf-8", "gb18030"}
    assert [default_output_encoding(f) for f in ("csv", "table", "json", "jsonl", "html")] == [
        "utf-8-sig",
        "utf-8",
        "utf-8",
        "utf-8",
        "utf-8",
    ]
    with pytest.raises(ValueError, match="must be one of utf-8-sig, utf-8, gb18030, got 'latin-1'"):
        encode_output("x", encoding="latin-1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flag", "prefix", "encoding"),
    [
        ([], b"\xef\xbb\xbfstory,id,", "utf-8-sig"),
        (["--output-encoding", "utf-8"], b"story,id,", "utf-8"),
        (["--output-encoding", "gb18030"], b"story,id,", "gb18030"),
    ],
)
def test_cli_csv_encodings(news_path, tmp_path, flag, prefix, encoding) -> None:  # type: ignore[no-untyped-def]
    from dedup.cli import main

    target = tmp_path / "stories.csv"
    argv = ["check", str(news_path), "--format", "csv", "-q", "-o", str(target), *flag]
    assert main(argv, stdout=io.StringIO(), stderr=io.StringIO()) == 1
    raw = target.read_bytes()
    assert raw.startswith(prefix)
    rows = list(csv.DictReader(io.StringIO(raw.decode(encoding))))
    assert any(r["account"] == "荷叶塘社区" for r in rows)


def test_cli_json_can_carry_a_bom(news_path) -> None:  # type: ignore[no-untyped-def]
    from dedup.cli import main

    out = io.StringIO()
    argv = ["check", str(news_path), "--format", "json", "-q", "--output-encoding", "utf-8-sig"]
    assert main(argv, stdout=out) == 1
    assert out.getvalue().startswith('\ufeff{"stories"')


@given(st.text(alphabet="社区a b\u0301\u200bＡ😀e\t", max_size=40), st.integers(min_value=1, max_value=30))
def test_clipped_cells_are_the_longest_prefix_that_fits(text: str, width: int) -> None:
    clipped = _clip(text, width)
    flat = " ".join(text.split())
    if display_width(flat) <= width:
        assert clipped == flat
    else:
        # the char-by-char definition: add characters until the next one would leave no column for "…"
        used, keep = 0, []
        for ch in flat:
            if used + display_width(ch) > width - 1:
                break
            keep.append(ch)
            used += display_width(ch)
        assert clipped == "".join(keep) + "…"
        assert display_width(clipped) <= width


# -- output people open: spreadsheets and terminals ------------------------------------

_BODY = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
# Cells a spreadsheet would run as formulas (CWE-1236), and plain numbers, which it would not.
_FORMULAS = ['=HYPERLINK("http://x.invalid","点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tx", "\rx"]
_TOPIC = " 垃圾分类宣传"


@pytest.fixture(scope="module")
def hostile(dedup: Deduplicator):  # type: ignore[no-untyped-def]
    # (Headlines naming what the body says: one story, whatever else they carry.)
    articles = [
        Article(id=f, text=_BODY, account=f, title=f + _TOPIC, published_at=datetime(2024, 6, 12, 8, k))
        for k, f in enumerate(_FORMULAS)
    ]
    articles.append(Article(id="-5", text=_BODY, account="1.5e3", title="-0.25"))
    return articles, dedup.check(articles)


def test_csv_cells_that_spreadsheets_run_are_neutralised(hostile) -> None:  # type: ignore[no-untyped-def]
    _, result = hostile
    rows = list(csv.DictReader(io.StringIO(render(result, "csv"))))
    assert {r["id"] for r in rows} == {"'" + f for f in _FORMULAS} | {"-5"}
    assert {r["account"] for r in rows} == {"'" + f for f in _FORMULAS} | {"1.5e3"}
    assert {r["title"] for r in rows} == {"'" + f + _TOPIC for f in _FORMULAS} | {"-0.25"}
    raw = list(csv.DictReader(io.StringIO(render(result, "csv", escape_formulas=False))))
    assert {r["id"] for r in raw} == {*_FORMULAS, "-5"}


def test_account_csv_cells_are_neutralised(hostile) -> None:  # type: ignore[no-untyped-def]
    articles, result = hostile
    stats, pairs = account_stats(articles, result), account_pairs(result)
    rows = list(csv.DictReader(io.StringIO(render_accounts(stats, pairs, "csv"))))
    assert {r["account"] for r in rows} == {"'" + f for f in _FORMULAS} | {"1.5e3"}
    pair_rows = list(csv.DictReader(io.StringIO(render_accounts(stats, pairs, "csv", pairs_only=True))))
    assert pair_rows and all(r["a"][0] not in "=+-@\t\r" or r["a"] == "-5" for r in pair_rows)
    assert {r["a"] for r in pair_rows} | {r["b"] for r in pair_rows} == {"'" + f for f in _FORMULAS} | {"1.5e3"}
    raw = render_accounts(stats, pairs, "csv", pairs_only=True, escape_formulas=False)
    assert {r["a"] for r in csv.DictReader(io.StringIO(raw))} <= {*_FORMULAS, "1.5e3"}


def test_cli_raw_csv_option(hostile, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dedup.cli import main

    articles, _ = hostile
    batch = tmp_path / "posts.jsonl"
    batch.write_text("".join(json.dumps({"id": a.id, "text": a.text, "account": a.account}) + "\n" for a in articles))
    for command in (["check"], ["accounts"], ["accounts", "--pairs"]):
        safe, raw = io.StringIO(), io.StringIO()
        assert main([*command, str(batch), "--format", "csv", "-q", "--workers", "1"], stdout=safe) == 1
        assert main([*command, str(batch), "--format", "csv", "-q", "--workers", "1", "--raw-csv"], stdout=raw) == 1
        assert "'=HYPERLINK" in safe.getvalue() and "'=HYPERLINK" not in raw.getvalue(), command
        assert '"=HYPERLINK' in raw.getvalue()


_ESCAPES = {
    "osc": "\x1b]0;pwned\x07id",  # sets the terminal title
    "csi": "\x1b[2J\x1b[31m号",  # clears the screen, turns red
    "c1": "\x9b2J标题",  # the 8-bit CSI
    "bidi": "abc\u202edcba",  # shows the rest reversed
}


@pytest.fixture(scope="module")
def escapes(dedup: Deduplicator):  # type: ignore[no-untyped-def]
    articles = [
        Article(id=_ESCAPES["osc"], text=_BODY, account=_ESCAPES["csi"], title=_ESCAPES["c1"]),
        Article(id=_ESCAPES["bidi"], text=_BODY, account=_ESCAPES["osc"], title=_ESCAPES["bidi"]),
    ]
    return articles, dedup.check(articles)


def _no_controls(text: str) -> bool:
    return not any(ch in text for ch in "\x1b\x07\x9b\u202e")


def test_table_escapes_terminal_controls(escapes) -> None:  # type: ignore[no-untyped-def]
    articles, result = escapes
    table = render(result, "table")
    assert _no_controls(table), table
    assert "\\x1b]0;pwned\\x07id" in table and "\\x9b2J标题" in table and "abc\\u202edcba" in table
    accounts = render_accounts(account_stats(articles, result), account_pairs(result), "table", pairs_only=False)
    assert _no_controls(accounts) and "\\x1b[2J\\x1b[31m号" in accounts
    pairs = render_accounts(account_stats(articles, result), account_pairs(result), "table", pairs_only=True)
    assert _no_controls(pairs) and "\\x1b]0;pwned\\x07id" in pairs


def test_escape_controls() -> None:
    assert escape_controls("a\x1b[0m\tb\u202e\x00") == "a\\x1b[0m\\x09b\\u202e\\x00"
    assert escape_controls("荷叶塘社区 👍") == "荷叶塘社区 👍"
