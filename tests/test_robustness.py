"""Bad and unusual input, end to end: every case is read correctly or named in one line.

Each test states the contract for one kind of input the issue lists: the run either
handles it (and the records come out right) or stops with exit 2 and one line naming
file, line and field; ``--skip-bad`` keeps every good record and lists what it left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from io_helpers import (
    TRADITIONAL_S0,
    S,
    check_json,
    groups,
    jline,
    write_lines,
)

from dedup import Article, Deduplicator
from dedup.normalize import normalize_text


def test_empty_and_whitespace_texts_are_read_but_never_compared(tmp_path: Path) -> None:
    p = write_lines(
        tmp_path / "a.jsonl",
        [
            jline(id="e1", text=""),
            jline(id="e2", text=""),
            jline(id="w1", text=" \n\t\u3000 "),
            jline(id="w2", text=" \n\t\u3000 "),
            jline(id="z1", text="\u200b\u200b\ufeff"),
            jline(id="z2", text="\u200b\u200b\ufeff"),
            jline(id="g1", text=S[0]),
            jline(id="g2", text=S[0]),
        ],
    )
    code, doc, _ = check_json(p)
    assert code == 1
    assert groups(doc) == [["g1", "g2"]]  # identical empty texts are not a story
    assert doc["summary"]["articles"] == 8 and doc["summary"]["too_short"] == 6


def test_nul_bytes_do_not_stop_a_copy_from_matching(tmp_path: Path) -> None:
    raw = "\x00".join([S[0][:10], S[0][10:]])
    p = write_lines(
        tmp_path / "a.jsonl",
        [jline(id="clean", text=S[0]), jline(id="escaped", text=raw), '{"id": "raw", "text": "' + raw + '"}'],
    )
    c = tmp_path / "a.csv"
    c.write_text(f"id,text\ncsv,{raw}\n", encoding="utf-8")
    code, doc, _ = check_json(p, c)
    assert code == 1 and groups(doc) == [["clean", "csv", "escaped", "raw"]]


def test_a_long_article_and_its_copy_are_one_story(dedup: Deduplicator) -> None:
    long_text = "\n".join(f"第{i}段：{S[i % 4]}" for i in range(2000))  # ~110,000 characters
    other = "11月5日，天心区举办社区运动会，拔河、跳绳和趣味接力等项目吸引300多名居民报名参加。"
    result = dedup.check(
        [Article(id="a", text=long_text), Article(id="b", text=long_text), Article(id="c", text=other)]
    )
    assert [list(s.ids) for s in result.stories] == [["a", "b"]]


@pytest.mark.slow
def test_100000_one_line_articles(tmp_path: Path) -> None:
    # Mostly short replies (too short to compare) with a few planted copies.
    lines = [f"第{i}条回复：收到。" for i in range(100_000)]
    planted = {10: S[0], 50_000: S[0], 99_999: S[0], 20: S[1], 70_000: S[1]}
    for i, text in planted.items():
        lines[i] = text
    p = write_lines(tmp_path / "lines.txt", lines)
    code, doc, _ = check_json(p)
    assert code == 1
    assert groups(doc) == [["100000", "11", "50001"], ["21", "70001"]]
    assert doc["summary"]["articles"] == 100_000
    assert doc["summary"]["too_short"] == 100_000 - len(planted)


def test_emoji_zero_width_fullwidth_and_traditional_copies_group(dedup: Deduplicator) -> None:
    fullwidth = S[0].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    posts = [
        Article(id="plain", text=S[0]),
        Article(id="zero-width", text="\u200b".join(S[0]) + "\u2060\ufeff"),
        Article(id="full-width", text=fullwidth),
        Article(id="traditional", text=TRADITIONAL_S0),
        Article(id="emoji🎉", text="🎉🎉" + S[0].replace("，", "，👍", 2) + "😀"),
        Article(id="other", text=S[1] + "👍"),
    ]
    result = dedup.check(posts)
    assert [sorted(s.ids) for s in result.stories] == [
        sorted(["plain", "zero-width", "full-width", "traditional", "emoji🎉"])
    ]


def test_html_scripts_and_styles_are_not_text(dedup: Deduplicator) -> None:
    page = (
        f"<html><head><style>p {{ color: red }} /* {S[1]} */</style>"
        f"<script>var cached = '{S[1]}';</script></head>"
        f"<body><p>{S[0]}</p><SCRIPT type='text/javascript'>track('{S[2]}')</SCRIPT></body></html>"
    )
    unclosed = f"<div><p>{S[0]}</p></div><script>document.write('{S[3]}{S[3]}');"
    posts = [
        Article(id="page", text=page),
        Article(id="unclosed", text=unclosed),
        Article(id="s0", text=S[0]),
        Article(id="s1", text=S[1]),
        Article(id="s2", text=S[2]),
        Article(id="s3", text=S[3] + S[3]),
    ]
    result = dedup.check(posts)
    assert [sorted(s.ids) for s in result.stories] == [["page", "s0", "unclosed"]]
    # An unclosed script runs to the end, as in a browser: its code is not text.
    assert "document" not in normalize_text(unclosed)
    assert normalize_text("<p>正文</p><!-- 注释没有结束 <p>隐藏</p>") == "正文"
