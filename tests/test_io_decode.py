"""Bytes to lines: encodings, undecodable bytes, line bounds, gzip."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from io_helpers import (
    TRADITIONAL_S0,
    S,
    assert_one_line_error,
    jline,
    run,
    write,
    write_lines,
)

from dedup import InputError, read_articles
from dedup.io import ArticleReader, detect_encoding, max_line_bytes


def test_detect_encoding() -> None:
    assert detect_encoding("社區開展活動的新聞報導".encode("big5")) == "big5"
    assert detect_encoding("社区开展活动的新闻报道".encode("gb18030")) == "gb18030"


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


def test_undecodable_bytes(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_bytes(
        '{"id": 1, "text": "好"}\n'.encode() + b'{"id": 2, "text": "\xff\xfe"}\n' + '{"id": 3, "text": "好"}\n'.encode()
    )
    with pytest.raises(InputError, match=r"a.jsonl:2: field text: byte 0xff at column \d+ is not valid utf-8"):
        read_articles(p)
    reader = ArticleReader(p, skip_bad=True)
    assert [a.id for a in reader] == ["1", "3"]


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


def test_jsonl_gz(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        fh.write('{"id": 1, "text": "正文"}\n')
    assert [a.id for a in read_articles(p)] == ["1"]


def test_truncated_gzip(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl.gz"
    payload = gzip.compress(("".join(f'{{"id": {i}, "text": "正文{i}"}}\n' for i in range(2000))).encode())
    p.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(InputError, match="truncated"):
        read_articles(p)


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


class _Endless(io.RawIOBase):
    """An endless stream of one byte (like /dev/zero) that fails the test past ``give_up`` bytes."""

    def __init__(self, byte: bytes, give_up: int) -> None:
        self.byte = byte
        self.give_up = give_up
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        assert self.served < self.give_up, f"read {self.served:,} bytes of an endless line and went on"
        buffer[: len(buffer)] = self.byte * len(buffer)
        self.served += len(buffer)
        return len(buffer)


@pytest.mark.parametrize("byte", [b"\x00", b"x"])
def test_an_endless_line_stops_reading_at_a_bound(byte: bytes) -> None:
    # dedup check /dev/zero skipped the over-long line by reading on to its end: forever.
    limit = max_line_bytes(10)
    endless = _Endless(byte, give_up=100 * limit)
    reader = ArticleReader("-", stdin=io.BufferedReader(endless), max_length=10, input_format="txt")
    with pytest.raises(InputError, match=rf"^-:1: line is more than {8 * limit:,} bytes without a line break"):
        list(reader)
    assert endless.served <= 8 * limit + (1 << 20)
    skipping = ArticleReader("-", stdin=io.BufferedReader(_Endless(byte, 100 * limit)), max_length=10, skip_bad=True)
    assert list(skipping) == []
    assert [(s.lineno, s.reason.split(";")[0]) for s in skipping.skipped] == [
        (1, f"line is more than {8 * limit:,} bytes without a line break (binary data, or an endless stream?)")
    ]


def test_dev_zero_is_a_one_line_error() -> None:
    code, _, err = run("check", "/dev/zero")
    assert_one_line_error(code, err, "/dev/zero:1: line is more than 104,000,000 bytes without a line break")
    code, out, err = run("check", "/dev/zero", "--skip-bad", "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["skipped"] == 1, err


def test_a_gzip_bomb_is_read_only_to_a_bound(tmp_path: Path) -> None:
    # 100 KB blank lines (skipped as blank): the file inflates about 1000 times.
    bound = 64 * max_line_bytes(10)
    lines = bound // 100_001 + 10
    p = tmp_path / "bomb.jsonl.gz"
    p.write_bytes(gzip.compress(jline(id="first", text="正文").encode() + b"\n" + (b" " * 100_000 + b"\n") * lines))
    assert 100 * p.stat().st_size < bound
    with pytest.raises(InputError, match=rf"bomb.jsonl.gz:\d+: the gzip file inflates to more than {bound:,} bytes"):
        list(ArticleReader(p, max_length=10))
    reader = ArticleReader(p, max_length=10, skip_bad=True)
    assert [a.id for a in reader] == ["first"]
    assert len(reader.skipped) == 1 and "inflates to more than" in reader.skipped[0].reason
    assert [a.id for a in ArticleReader(p)] == ["first"]  # without max_length, no bounds
