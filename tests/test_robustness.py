"""Bad and unusual input, end to end: every case is read correctly or named in one line.

Each test states the contract for one kind of input the issue lists: the run either
handles it (and the records come out right) or stops with exit 2 and one line naming
file, line and field; ``--skip-bad`` keeps every good record and lists what it left out.
"""

from __future__ import annotations

import codecs
import gzip
import io
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from dedup import Article, Deduplicator, InputError, read_articles
from dedup.cli import main
from dedup.io import ArticleReader, max_line_bytes
from dedup.normalize import normalize_text

# Made-up posts about different events, each well over the default min_length.
S = [
    "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。",
    "6月15日，山水湾社区举办消防安全演练，邀请消防员讲解灭火器使用方法，120余名居民参加疏散演练。",
    "7月3日，望城区图书馆推出暑期少儿阅读计划，设置绘本角和科普讲座，预计服务青少年读者3000人次。",
    "8月20日，浏阳市农业农村局组织专家深入田间，指导农户防治水稻病虫害，现场发放农药补贴券500张。",
]
TRADITIONAL_S0 = (
    "6月12日上午，荷葉塘社區在文化廣場開展垃圾分類宣傳活動，志願者向居民講解分類知識，發放宣傳資料200餘份。"
)


def jline(**fields: Any) -> str:
    return json.dumps(fields, ensure_ascii=False)


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def run(*argv: str | Path, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def check_json(*argv: str | Path) -> tuple[int, dict[str, Any], str]:
    code, out, err = run("check", *argv, "--format", "json", "--workers", "1")
    assert code in (0, 1), err
    return code, json.loads(out), err


def groups(doc: dict[str, Any]) -> list[list[str]]:
    return sorted(sorted(s["ids"]) for s in doc["stories"])


def assert_one_line_error(code: int, err: str, *parts: str) -> None:
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("dedup: error: "), err
    for part in parts:
        assert part in err, (part, err)


def skipped_of(reader: ArticleReader) -> list[tuple[int | None, str | None, str | None]]:
    return [(s.lineno, s.field, s.id) for s in reader.skipped]


# ---------------------------------------------------------------------------
# empty input


@pytest.mark.parametrize("name", ["a.jsonl", "a.csv", "a.txt", "a.jsonl.gz", "header-only.csv", "dir"])
def test_empty_input_is_an_empty_batch(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    if name == "dir":
        p.mkdir()
    elif name.endswith(".gz"):
        p.write_bytes(gzip.compress(b""))
    else:
        p.write_bytes(b"id,title,text\r\n" if name.startswith("header") else b"")
    code, doc, err = check_json(p)
    assert code == 0
    assert doc["stories"] == [] and doc["skipped"] == []
    assert doc["summary"]["articles"] == 0
    assert "no articles in the input" in err


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


# ---------------------------------------------------------------------------
# fields


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


def test_duplicate_ids_within_and_across_files(tmp_path: Path) -> None:
    a = write_lines(tmp_path / "a.jsonl", [jline(id=1, text=S[0]), jline(id="2", text=S[1])])
    b = write_lines(tmp_path / "b.jsonl", [jline(id="1", text=S[2]), jline(id=3, text=S[0])])
    code, _, err = run("check", a, b)
    assert_one_line_error(code, err, f"{b}:1: field id: duplicate id '1' (first seen at {a}:1)")
    _, doc, _ = check_json(a, b, "--skip-bad")
    assert groups(doc) == [["1", "3"]]  # the first record with the id is the one kept
    assert [(s["path"], s["lineno"], s["id"]) for s in doc["skipped"]] == [(str(b), 1, "1")]


# ---------------------------------------------------------------------------
# malformed JSON


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "x9", "text": "未闭合的字符串', "not valid JSON"),
        ("[" * 100_000, "not valid JSON (nested too deeply)"),  # RecursionError in json
        ('{"id": 1' + "0" * 5000 + ', "text": "x"}', f"more than {sys.get_int_max_str_digits():,} digits"),
        ("\x00" * 40, "the line contains NUL bytes"),  # a file padded by a crash
        ('"just a string"', "expected a JSON object, got str"),
        ("{'id': 1, 'text': 'python repr'}", "not valid JSON"),
    ],
)
def test_malformed_json_lines(tmp_path: Path, line: str, message: str) -> None:
    p = write_lines(tmp_path / "a.jsonl", [jline(id="a", text=S[0]), line, jline(id="b", text=S[0])])
    code, _, err = run("check", p)
    assert_one_line_error(code, err, f"{p}:2: ", message)
    reader = ArticleReader(p, skip_bad=True)
    assert [a.id for a in reader] == ["a", "b"]
    assert [s.lineno for s in reader.skipped] == [2]


def test_skipped_malformed_line_keeps_its_id_when_it_leads_the_object(tmp_path: Path) -> None:
    p = write_lines(tmp_path / "a.jsonl", ['{"id": "x9", "text": "未闭合', '{"id": 12, "text": "x", }'])
    reader = ArticleReader(p, skip_bad=True)
    assert list(reader) == []
    assert [s.id for s in reader.skipped] == ["x9", "12"]


# ---------------------------------------------------------------------------
# CSV


def test_csv_ragged_rows_are_named_and_skippable(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text(f"id,text\na,{S[0]}\nb,{S[1]},多余\nc\nd,{S[0]}\n", encoding="utf-8")
    code, _, err = run("check", p)
    assert_one_line_error(code, err, f"{p}:3: has 3 fields, the header has 2")
    code, doc, _ = check_json(p, "--skip-bad")
    assert groups(doc) == [["a", "d"]]
    assert [(s["lineno"], s["id"]) for s in doc["skipped"]] == [(3, "b"), (4, "c")]


def test_csv_embedded_newlines_crlf_and_bom(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    body = S[0].replace("，", "，\r\n", 1)
    p.write_bytes(
        codecs.BOM_UTF8 + f'"id","title","text"\r\na,标题,"{body}"\r\nb,"带""引号""的标题",{S[0]}\r\n'.encode()
    )
    a, b = read_articles(p)
    assert (a.id, a.text, a.lineno) == ("a", body.replace("\r\n", "\n"), 2)  # line ends read as \n
    assert (b.id, b.title, b.lineno) == ("b", '带"引号"的标题', 4)


def test_csv_unclosed_quote_no_longer_swallows_later_records(tmp_path: Path) -> None:
    # Non-strict csv read b's text as everything to the end of the file: c and d
    # vanished without a word.
    p = tmp_path / "a.csv"
    p.write_text(f'id,text\na,{S[0]}\nb,"{S[1]}\nc,{S[0]}\nd,{S[2]}\n', encoding="utf-8")
    code, _, err = run("check", p)
    assert_one_line_error(code, err, f"{p}:3: not valid CSV: a quoted field is never closed; lines 3-5")
    reader = ArticleReader(p, skip_bad=True)
    assert [a.id for a in reader] == ["a"]
    assert [s.lineno for s in reader.skipped] == [3]
    assert "lines 3-5" in reader.skipped[0].reason


def test_csv_stray_quote_is_an_error_and_the_next_records_are_read(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text(f'id,text\na,{S[0]}\nb,"{S[1]}" 尾巴\nc,{S[0]}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"a.csv:3: not valid CSV"):
        read_articles(p)
    reader = ArticleReader(p, skip_bad=True)
    assert [a.id for a in reader] == ["a", "c"]
    assert [s.lineno for s in reader.skipped] == [3]


def test_csv_undecodable_byte_names_the_column_and_skip_bad_continues(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes(b"id,title,text\n" + f"a,t,{S[0]}\n".encode() + b"b,\xff\xfe,x\n" + f"c,t,{S[0]}\n".encode())
    with pytest.raises(InputError, match=r"a.csv:3: field title: byte 0xff at column 3 is not valid utf-8"):
        read_articles(p)
    _, doc, _ = check_json(p, "--skip-bad")
    assert groups(doc) == [["a", "c"]]
    assert [(s["lineno"], s["field"], s["id"]) for s in doc["skipped"]] == [(3, "title", "b")]


def test_csv_field_longer_than_csv_default_limit(tmp_path: Path) -> None:
    long_text = S[0] * 4000  # 216,000 characters: over csv's default 131,072 limit
    p = tmp_path / "a.csv"
    p.write_text(f"id,text\na,{long_text}\nb,{S[1]}\n", encoding="utf-8")
    assert [(a.id, len(a.text)) for a in read_articles(p)] == [("a", len(long_text)), ("b", len(S[1]))]


# ---------------------------------------------------------------------------
# encodings


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "big5", "utf-8-sig", "utf-16", "utf-16-le"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "txt"])
def test_chinese_encodings_are_detected_per_file(tmp_path: Path, encoding: str, fmt: str) -> None:
    texts = [TRADITIONAL_S0, "臺灣新聞報導，居民參與志願服務。"] if encoding == "big5" else [S[0], S[1] + "㐀"]
    if encoding == "gbk":
        texts[1] = S[1]  # 㐀 needs GB18030's four-byte form
    if fmt == "jsonl":
        lines = [jline(id=f"r{i}", text=t) for i, t in enumerate(texts)]
    elif fmt == "csv":
        lines = ["id,text", *(f"r{i},{t}" for i, t in enumerate(texts))]
    else:
        lines = texts
    p = write_lines(tmp_path / f"a.{fmt}", lines, encoding)
    assert [a.text for a in read_articles(p)] == texts


def test_mixed_encodings_in_one_directory(tmp_path: Path) -> None:
    files = {
        "utf8.txt": (S[0], "utf-8"),
        "bom.txt": (S[1], "utf-8-sig"),
        "gbk.txt": (S[2], "gbk"),
        "gb18030.md": (S[3] + "㐀", "gb18030"),
        "big5.txt": (TRADITIONAL_S0, "big5"),
        "big5-short.txt": ("臺灣", "big5"),  # short: GB18030 also accepts these bytes
        "utf16.html": (f"<p>{S[1]}</p>", "utf-16"),
    }
    for name, (text, encoding) in files.items():
        (tmp_path / name).write_bytes(text.encode(encoding))
    got = {a.id: a.text for a in read_articles(tmp_path)}
    assert got == {name: text for name, (text, _) in files.items()}


def test_bomless_utf16_is_recognised(tmp_path: Path) -> None:
    p = write_lines(tmp_path / "a.jsonl", [jline(id="a", text=S[0]), jline(id="b", text=S[1])], "utf-16-le")
    assert [a.text for a in read_articles(p)] == [S[0], S[1]]


def test_gbk_after_a_long_ascii_start_asks_for_encoding(tmp_path: Path) -> None:
    ascii_lines = [jline(id=f"en{i}", text="community news " * 8) for i in range(800)]  # > 64 KiB
    p = tmp_path / "a.jsonl"
    p.write_bytes(("\n".join(ascii_lines) + "\n").encode() + (jline(id="zh", text=S[0]) + "\n").encode("gbk"))
    with pytest.raises(InputError, match=r"a.jsonl:801: field text: byte 0x\w\w at column \d+ is not valid utf-8"):
        read_articles(p)
    assert read_articles(p, encoding="gb18030")[-1].text == S[0]


# ---------------------------------------------------------------------------
# invalid bytes, NUL


def test_invalid_utf8_in_each_format(tmp_path: Path) -> None:
    bad = b"\xed\xa0\x80"  # an encoded surrogate: not valid UTF-8
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_bytes(f"{jline(id='a', text=S[0])}\n".encode() + b'{"id": "b", "text": "' + bad + b'"}\n')
    txt = tmp_path / "a.txt"
    txt.write_bytes(f"{S[0]}\n".encode() + bad + b"\n" + f"{S[1]}\n".encode())
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "bad.txt").write_bytes(b"\x80\x80\x80")
    (folder / "good.txt").write_text(S[2], encoding="utf-8")
    reader = ArticleReader([jsonl, txt, folder], skip_bad=True)
    assert [a.id for a in reader] == ["a", "1", "3", "good.txt"]
    assert skipped_of(reader) == [(2, "text", "b"), (2, None, "2"), (1, None, "bad.txt")]
    assert all("not valid" in s.reason for s in reader.skipped)


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


# ---------------------------------------------------------------------------
# size


def test_a_5mb_article_is_a_clear_error_and_skippable(tmp_path: Path) -> None:
    huge = "社区新闻" * 437_000  # 1,748,000 characters, 5,244,000 bytes of UTF-8
    p = write_lines(
        tmp_path / "a.jsonl",
        [jline(id="a", text=S[0]), jline(id="huge", text=huge), jline(id="b", text=S[0])],
    )
    c = tmp_path / "a.csv"
    c.write_text(f"id,text\nhuge2,{huge}\nc,{S[0]}\n", encoding="utf-8")
    limit = "more than the limit of 1,000,000"
    code, _, err = run("check", p)
    assert_one_line_error(code, err, f"{p}:2: field text: text is 1,748,000 characters, {limit}")
    code, _, err = run("check", c)  # csv used to fail with its own 131,072 field limit
    assert_one_line_error(code, err, f"{c}:2: field text: text is 1,748,000 characters, {limit}")
    code, doc, err = check_json(p, c, "--skip-bad")
    assert groups(doc) == [["a", "b", "c"]]
    assert [(s["lineno"], s["field"], s["id"]) for s in doc["skipped"]] == [
        (2, "text", "huge"),
        (2, "text", "huge2"),
    ]


def test_an_overlong_line_is_not_read_into_memory(tmp_path: Path) -> None:
    limit = max_line_bytes(10)
    p = tmp_path / "a.jsonl"
    p.write_bytes(
        b'{"id": "big", "text": "' + b"x" * (2 * limit) + b'"}\n' + jline(id="a", text="短文").encode() + b"\n"
    )
    with pytest.raises(InputError, match=rf"a.jsonl:1: line is {2 * limit + 26:,} bytes, more than the limit"):
        list(ArticleReader(p, max_length=10))
    reader = ArticleReader(p, max_length=10, skip_bad=True)
    assert [a.id for a in reader] == ["a"] and [s.lineno for s in reader.skipped] == [1]
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "big.txt").write_bytes(b"x" * (limit + 1))
    reader = ArticleReader(folder, max_length=10, skip_bad=True)
    assert list(reader) == [] and "file is" in reader.skipped[0].reason


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


def test_100000_jsonl_records_are_all_read(tmp_path: Path) -> None:
    p = write_lines(tmp_path / "a.jsonl", [jline(id=i, text=f"第{i}条") for i in range(100_000)])
    ids = [a.id for a in ArticleReader(p)]
    assert ids == [str(i) for i in range(100_000)]


# ---------------------------------------------------------------------------
# characters and markup


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


# ---------------------------------------------------------------------------
# gzip


def test_truncated_gzip_exit_2_or_keeps_what_was_read(tmp_path: Path) -> None:
    records = [jline(id=f"r{i}", text=f"第{i}条：{S[i % 4]}") for i in range(3000)]
    payload = gzip.compress(("\n".join(records) + "\n").encode())
    p = tmp_path / "a.jsonl.gz"
    p.write_bytes(payload[: len(payload) // 2])
    after = write_lines(tmp_path / "b.jsonl", [jline(id="after", text=S[0])])
    code, _, err = run("check", p, after)
    assert_one_line_error(code, err, str(p), "the gzip file is truncated")
    reader = ArticleReader([p, after], skip_bad=True)
    ids = [a.id for a in reader]
    assert [s.path for s in reader.skipped] == [str(p)]
    stop = reader.skipped[0].lineno
    assert stop is not None and 1 < stop < 3000
    # Every record before the cut is read, none after it is made up, and the next file is read.
    assert ids == [f"r{i}" for i in range(stop - 1)] + ["after"]


def test_a_file_named_gz_that_is_not_gzip(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl.gz"
    p.write_text(jline(id="a", text=S[0]), encoding="utf-8")
    code, _, err = run("check", p)
    assert_one_line_error(code, err, str(p), "not a valid gzip file")


def test_missing_file_is_an_error_even_with_skip_bad(tmp_path: Path) -> None:
    code, _, err = run("check", tmp_path / "nope.jsonl", "--skip-bad")
    assert_one_line_error(code, err, "nope.jsonl: no such file or directory")


# ---------------------------------------------------------------------------
# the invariant: every input id is read, or listed as skipped with its reason


def test_every_input_id_is_read_or_skipped_with_its_reason(tmp_path: Path) -> None:
    good: list[str] = []
    topic: dict[str, int] = {}  # good, long enough to compare -> which of S
    bad: dict[tuple[str, int], str | None] = {}  # (path, line) -> id, when the line has one
    jsonl_lines: list[bytes] = []

    def add(line: str | bytes, record_id: str | None, ok: bool, path: Path, lines: list[bytes]) -> None:
        lines.append(line if isinstance(line, bytes) else line.encode())
        if ok:
            assert record_id is not None
            good.append(record_id)
        else:
            bad[(str(path), len(lines))] = record_id

    j = tmp_path / "a.jsonl"
    for i in range(40):
        text = S[i % 4] if i % 3 else S[i % 4][:8]  # some too short to compare
        kind = i % 8
        if kind == 0:
            add(jline(id=f"j{i}", text=text), f"j{i}", True, j, jsonl_lines)
            if i % 3:
                topic[f"j{i}"] = i % 4
        elif kind == 1:
            add(jline(title="no id", text=text), None, False, j, jsonl_lines)
        elif kind == 2:
            add(f'{{"id": "j{i}", "text": "broken', f"j{i}", False, j, jsonl_lines)
        elif kind == 3:
            add(b'{"id": "j%d", "text": "\xff"}' % i, f"j{i}", False, j, jsonl_lines)
        elif kind == 4:
            add(jline(id=f"j{i}", title="no text"), f"j{i}", False, j, jsonl_lines)
        elif kind == 5:
            add(jline(id="j0", text=text), "j0", False, j, jsonl_lines)  # duplicate id
        else:
            add(jline(id=f"j{i}", text=text, account=f"号{i % 3}"), f"j{i}", True, j, jsonl_lines)
            if i % 3:
                topic[f"j{i}"] = i % 4
    j.write_bytes(b"\n".join(jsonl_lines) + b"\n")
    c = tmp_path / "b.csv"
    csv_lines: list[bytes] = []
    csv_lines.append(b"id,account,text")
    for i in range(20):
        kind = i % 4
        if kind == 0:
            add(f"c{i},号,{S[i % 4]}", f"c{i}", True, c, csv_lines)
            topic[f"c{i}"] = i % 4
        elif kind == 1:
            add(f"c{i},号,{S[i % 4]},多余", f"c{i}", False, c, csv_lines)
        elif kind == 2:
            add(b"c%d,\xff,x" % i, f"c{i}", False, c, csv_lines)
        else:
            add(f'c{i},"号",{S[i % 4]}', f"c{i}", True, c, csv_lines)
            topic[f"c{i}"] = i % 4
    c.write_bytes(b"\n".join(csv_lines) + b"\n")

    code, doc, _ = check_json(j, c, "--skip-bad")
    assert doc["summary"]["articles"] == len(good)
    assert doc["summary"]["skipped"] == len(bad) == len(doc["skipped"])
    assert {(s["path"], s["lineno"]): s["id"] for s in doc["skipped"]} == bad
    assert all(s["reason"] for s in doc["skipped"])
    # Every good record long enough to compare is in one story with the others of its topic.
    by_topic: dict[int, list[str]] = {}
    for record_id, k in topic.items():
        by_topic.setdefault(k, []).append(record_id)
    assert groups(doc) == sorted(sorted(ids) for ids in by_topic.values() if len(ids) > 1)
    assert code == 1


class _EndlessJsonl(io.RawIOBase):
    """A long stdin (20 MB, as good as endless here): JSONL records, counting bytes handed out."""

    LIMIT = 20_000_000

    def __init__(self) -> None:
        self.served = 0
        self._n = 0
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.served >= self.LIMIT:
            return 0
        while len(self._pending) < len(buffer):
            self._n += 1
            self._pending += jline(id=f"p{self._n}", text=f"第{self._n}条社区新闻的正文内容。").encode() + b"\n"
        size = len(buffer)
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.served += size
        return size


def test_reading_streams_records_instead_of_loading_the_input() -> None:
    # A reader that loaded its input first would take all 20 MB before the first record.
    endless = _EndlessJsonl()
    reader = ArticleReader("-", stdin=io.BufferedReader(endless), input_format="jsonl")
    first = list(itertools.islice(reader, 1000))
    assert [a.id for a in first[:2]] == ["p1", "p2"] and first[-1].id == "p1000"
    assert endless.served < 1_000_000  # read ahead by buffers, not to the end
