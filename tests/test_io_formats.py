"""The JSONL, CSV and plain-text parsers: records, bad records named by file, line and field."""

from __future__ import annotations

import codecs
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from io_helpers import (
    S,
    assert_one_line_error,
    check_json,
    groups,
    jline,
    run,
    write,
    write_lines,
)

from dedup import InputError, read_articles
from dedup.io import ArticleReader, max_line_bytes


def test_jsonl_fields(tmp_path: Path) -> None:
    p = write(
        tmp_path / "a.jsonl",
        '{"id": 7, "title": "标题", "content": "正文", "account": "岳麓街道", "published_at": "2024-06-12 08:30", "x": 1}\n'
        "\n"
        '{"id": "b", "body": "另一篇", "published_at": "2024-06-12T08:30:00+08:00"}\n',
    )
    a, b = read_articles(p)
    assert (a.id, a.title, a.text, a.account) == ("7", "标题", "正文", "岳麓街道")
    assert a.published_at == datetime(2024, 6, 12, 8, 30)
    assert a.extra == {"x": 1}
    assert (a.source, a.lineno, b.lineno) == (str(p), 1, 3)
    assert b.text == "另一篇" and b.published_at == datetime(2024, 6, 12, 8, 30, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": 1, "text": ', "a.jsonl:2: not valid JSON"),
        ('{"text": "x"}', "a.jsonl:2: field id: missing"),
        ('{"id": null, "text": "x"}', "a.jsonl:2: field id: must be a string or an integer"),
        ('{"id": true, "text": "x"}', "a.jsonl:2: field id: must be a string or an integer"),
        ('{"id": 2}', "a.jsonl:2: field text: missing"),
        ('{"id": 2, "text": ["x"]}', "a.jsonl:2: field text: must be a string"),
        ('{"id": 2, "text": "x", "published_at": "昨天"}', "a.jsonl:2: field published_at:"),
        ("[1, 2]", "a.jsonl:2: expected a JSON object"),
        ('{"id": 1, "text": "again"}', "a.jsonl:2: field id: duplicate id '1' (first seen at line 1)"),
    ],
)
def test_bad_jsonl_records_name_file_line_field(tmp_path: Path, line: str, message: str) -> None:
    p = write(tmp_path / "a.jsonl", '{"id": 1, "text": "好"}\n' + line + "\n" + '{"id": 3, "text": "好"}\n')
    with pytest.raises(InputError) as info:
        read_articles(p)
    assert str(info.value).endswith(message) or message in str(info.value)
    assert "\n" not in str(info.value)
    # --skip-bad keeps every good record and says what it skipped
    reader = ArticleReader(p, skip_bad=True)
    assert [a.id for a in reader] == ["1", "3"]
    assert len(reader.skipped) == 1 and reader.skipped[0].lineno == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "x9", "text": "未闭合的字符串', "not valid JSON"),
        ("[" * 100_000, "not valid JSON (nested too deeply)"),  # RecursionError in json
        ('{"id": 1' + "0" * 5000 + ', "text": "x"}', f"more than {sys.get_int_max_str_digits():,} digits"),
        ("\x00" * 40, "the line contains NUL bytes"),  # a file padded by a crash
        ('"just a string"', "expected a JSON object, got str"),
        ("{'id': 1, 'text': 'python repr'}", "not valid JSON"),
        # A byte-order mark inside the file (two files joined with cat): said as json.loads says it.
        (
            '\ufeff{"id": "c", "text": "x"}',
            "not valid JSON (Unexpected UTF-8 BOM (decode using utf-8-sig) at column 1)",
        ),
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


def test_csv_ragged_row_and_missing_id_column(tmp_path: Path) -> None:
    p = write(tmp_path / "a.csv", "id,text\n1,好\n2,好,多余\n3,好\n")
    with pytest.raises(InputError, match=r"a\.csv:3: has 3 fields, the header has 2"):
        read_articles(p)
    reader = ArticleReader(p, skip_bad=True)
    assert [a.id for a in reader] == ["1", "3"]
    q = write(tmp_path / "b.csv", "title,text\n标题,正文\n")
    with pytest.raises(InputError, match=r"b\.csv:1: field id: the header row has no id column"):
        read_articles(q)


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


def test_txt_one_article_per_line(tmp_path: Path) -> None:
    p = write(tmp_path / "a.txt", "第一篇\n\n第三行是第二篇\n")
    assert [(a.id, a.text) for a in read_articles(p)] == [("1", "第一篇"), ("3", "第三行是第二篇")]


def test_csv_rows_after_an_overlong_line_are_read(tmp_path: Path) -> None:
    # The rows after it were lost ("the rest of the CSV file cannot be read") and the
    # summary counted one skip for all of them.
    limit = max_line_bytes(100)
    p = tmp_path / "a.csv"
    p.write_bytes(
        f"id,text\na,{S[0]}\n".encode()
        + b"big,"
        + b"x" * limit
        + b"\n"
        + f'b,{S[1]}\nc,"{S[2]}\n{S[3]}"\nd,{S[0]}\n'.encode()
    )
    with pytest.raises(InputError, match=rf"a.csv:3: line is {limit + 5:,} bytes, more than the limit"):
        list(ArticleReader(p, max_length=100))
    reader = ArticleReader(p, max_length=100, skip_bad=True)
    assert [(a.id, a.lineno) for a in reader] == [("a", 2), ("b", 4), ("c", 5), ("d", 7)]
    assert [(s.lineno, s.reason) for s in reader.skipped] == [
        (3, f"line is {limit + 5:,} bytes, more than the limit of {limit:,} bytes (see max_length)")
    ]


def test_csv_overlong_line_inside_a_quoted_field_skips_that_record(tmp_path: Path) -> None:
    limit = max_line_bytes(100)
    p = tmp_path / "a.csv"
    p.write_bytes(f'id,text\na,{S[0]}\nb,"{S[1]}\n'.encode() + b"x" * limit + b'"\n' + f"c,{S[2]}\n".encode())
    reader = ArticleReader(p, max_length=100, skip_bad=True)
    assert [a.id for a in reader] == ["a", "c"]
    assert [(s.lineno, s.reason.split(":")[0]) for s in reader.skipped] == [(3, "lines 3-4")]
