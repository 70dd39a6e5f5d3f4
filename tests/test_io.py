from __future__ import annotations

import gzip
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dedup import DuplicateIdError, InputError, read_articles
from dedup.io import ArticleReader, detect_encoding, parse_datetime


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


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


def test_jsonl_gz(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        fh.write('{"id": 1, "text": "正文"}\n')
    assert [a.id for a in read_articles(p)] == ["1"]


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


def test_duplicate_id_is_a_duplicate_id_error(tmp_path: Path) -> None:
    p = write(tmp_path / "a.jsonl", '{"id": 1, "text": "a"}\n{"id": "1", "text": "b"}\n')
    with pytest.raises(DuplicateIdError):
        read_articles(p)


def test_duplicate_across_files_names_the_first_file(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", '{"id": 1, "text": "a"}\n')
    b = write(tmp_path / "b.jsonl", '{"id": 1, "text": "b"}\n')
    with pytest.raises(DuplicateIdError, match=f"first seen at {a}:1"):
        read_articles([a, b])


def test_undecodable_bytes(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_bytes(
        '{"id": 1, "text": "好"}\n'.encode() + b'{"id": 2, "text": "\xff\xfe"}\n' + '{"id": 3, "text": "好"}\n'.encode()
    )
    with pytest.raises(InputError, match=r"a.jsonl:2: field text: byte 0xff at column \d+ is not valid utf-8"):
        read_articles(p)
    reader = ArticleReader(p, skip_bad=True)
    assert [a.id for a in reader] == ["1", "3"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "big5"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    text = 'id,title,text,account\r\n1,標題一,社區開展活動，居民參與。,岳麓街道\r\n2,標題二,"多行\n正文",\r\n'
    if encoding != "big5":
        text = text.replace("標題", "标题").replace("社區開展活動", "社区开展活动").replace("參與", "参与")
    p = write(tmp_path / "a.csv", text, encoding)
    articles = read_articles(p)
    assert [a.id for a in articles] == ["1", "2"]
    assert articles[0].text.startswith(("社区", "社區"))
    assert articles[1].text == "多行\n正文" and articles[1].lineno == 3


def test_csv_ragged_row_and_missing_id_column(tmp_path: Path) -> None:
    p = write(tmp_path / "a.csv", "id,text\n1,好\n2,好,多余\n3,好\n")
    with pytest.raises(InputError, match=r"a\.csv:3: has 3 fields, the header has 2"):
        read_articles(p)
    reader = ArticleReader(p, skip_bad=True)
    assert [a.id for a in reader] == ["1", "3"]
    q = write(tmp_path / "b.csv", "title,text\n标题,正文\n")
    with pytest.raises(InputError, match=r"b\.csv:1: field id: the header row has no id column"):
        read_articles(q)


def test_txt_one_article_per_line(tmp_path: Path) -> None:
    p = write(tmp_path / "a.txt", "第一篇\n\n第三行是第二篇\n")
    assert [(a.id, a.text) for a in read_articles(p)] == [("1", "第一篇"), ("3", "第三行是第二篇")]


def test_directory_of_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path / "a.txt", "第一篇", "gb18030")
    write(tmp_path / "sub" / "b.md", "第二篇")
    write(tmp_path / "c.html", "<html><title>标题</title><p>第三篇</p></html>")
    write(tmp_path / "ignored.json", "{}")
    write(tmp_path / ".hidden.txt", "x")
    articles = read_articles(tmp_path)
    assert [a.id for a in articles] == ["a.txt", "c.html", "sub/b.md"]
    assert articles[0].text == "第一篇"
    assert articles[1].title == "标题"


def test_stdin_sniffs_format() -> None:
    data = '{"id": 1, "text": "正文"}\n'.encode()
    assert [a.id for a in ArticleReader("-", stdin=io.BytesIO(data))] == ["1"]
    csv_data = "id,text\n5,正文\n".encode()
    assert [a.id for a in ArticleReader("-", stdin=io.BytesIO(csv_data))] == ["5"]
    txt = "一篇\n两篇\n".encode()
    assert [a.id for a in ArticleReader("-", stdin=io.BytesIO(txt), input_format="txt")] == ["1", "2"]


def test_truncated_gzip(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl.gz"
    payload = gzip.compress(("".join(f'{{"id": {i}, "text": "正文{i}"}}\n' for i in range(2000))).encode())
    p.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(InputError, match="truncated"):
        read_articles(p)


def test_missing_file_and_bad_options(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_articles(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="unknown encoding"):
        ArticleReader("x", encoding="klingon")


def test_max_length(tmp_path: Path) -> None:
    p = write(tmp_path / "a.jsonl", '{"id": 1, "text": "长长长长长"}\n{"id": 2, "text": "短"}\n')
    with pytest.raises(InputError, match=r"a\.jsonl:1: field text: text is 5 characters"):
        list(ArticleReader(p, max_length=3))
    reader = ArticleReader(p, max_length=3, skip_bad=True)
    assert [a.id for a in reader] == ["2"]
    assert reader.skipped[0].id == "1"


def test_detect_encoding() -> None:
    assert detect_encoding("社區開展活動的新聞報導".encode("big5")) == "big5"
    assert detect_encoding("社区开展活动的新闻报道".encode("gb18030")) == "gb18030"


def test_parse_datetime_forms() -> None:
    assert parse_datetime("2024/06/12 08:30") == datetime(2024, 6, 12, 8, 30)
    assert parse_datetime("2024年6月12日 8:05") == datetime(2024, 6, 12, 8, 5)
    assert parse_datetime("2024-06-12T00:30:00Z").utcoffset() == timedelta(0)
    assert parse_datetime(0).year == 1970
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_datetime("下周一")
    with pytest.raises(ValueError, match="not a valid date"):
        parse_datetime("2024-02-30 08:00")
