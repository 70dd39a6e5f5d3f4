"""The reader as a whole: sources, standard input, duplicate ids, skip_bad, limits, streaming.

Every input record is read, or listed with its reason.
"""

from __future__ import annotations

import gzip
import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from io_helpers import (
    S,
    assert_one_line_error,
    check_json,
    groups,
    jline,
    run,
    skipped_of,
    write,
    write_lines,
)

from dedup import DuplicateIdError, InputError, read_articles
from dedup.io import ArticleReader


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


def test_stdin_sniffs_format() -> None:
    data = '{"id": 1, "text": "正文"}\n'.encode()
    assert [a.id for a in ArticleReader("-", stdin=io.BytesIO(data))] == ["1"]
    csv_data = "id,text\n5,正文\n".encode()
    assert [a.id for a in ArticleReader("-", stdin=io.BytesIO(csv_data))] == ["5"]
    txt = "一篇\n两篇\n".encode()
    assert [a.id for a in ArticleReader("-", stdin=io.BytesIO(txt), input_format="txt")] == ["1", "2"]


def test_missing_file_and_bad_options(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_articles(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="unknown encoding"):
        ArticleReader("x", encoding="klingon")


def test_missing_file_is_an_error_even_with_skip_bad(tmp_path: Path) -> None:
    code, _, err = run("check", tmp_path / "nope.jsonl", "--skip-bad")
    assert_one_line_error(code, err, "nope.jsonl: no such file or directory")


def test_duplicate_id_is_a_duplicate_id_error(tmp_path: Path) -> None:
    p = write(tmp_path / "a.jsonl", '{"id": 1, "text": "a"}\n{"id": "1", "text": "b"}\n')
    with pytest.raises(DuplicateIdError):
        read_articles(p)


def test_duplicate_across_files_names_the_first_file(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", '{"id": 1, "text": "a"}\n')
    b = write(tmp_path / "b.jsonl", '{"id": 1, "text": "b"}\n')
    with pytest.raises(DuplicateIdError, match=f"first seen at {a}:1"):
        read_articles([a, b])


def test_duplicate_ids_within_and_across_files(tmp_path: Path) -> None:
    a = write_lines(tmp_path / "a.jsonl", [jline(id=1, text=S[0]), jline(id="2", text=S[1])])
    b = write_lines(tmp_path / "b.jsonl", [jline(id="1", text=S[2]), jline(id=3, text=S[0])])
    code, _, err = run("check", a, b)
    assert_one_line_error(code, err, f"{b}:1: field id: duplicate id '1' (first seen at {a}:1)")
    _, doc, _ = check_json(a, b, "--skip-bad")
    assert groups(doc) == [["1", "3"]]  # the first record with the id is the one kept
    assert [(s["path"], s["lineno"], s["id"]) for s in doc["skipped"]] == [(str(b), 1, "1")]


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


def test_max_length(tmp_path: Path) -> None:
    p = write(tmp_path / "a.jsonl", '{"id": 1, "text": "长长长长长"}\n{"id": 2, "text": "短"}\n')
    with pytest.raises(InputError, match=r"a\.jsonl:1: field text: text is 5 characters"):
        list(ArticleReader(p, max_length=3))
    reader = ArticleReader(p, max_length=3, skip_bad=True)
    assert [a.id for a in reader] == ["2"]
    assert reader.skipped[0].id == "1"


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


def test_100000_jsonl_records_are_all_read(tmp_path: Path) -> None:
    p = write_lines(tmp_path / "a.jsonl", [jline(id=i, text=f"第{i}条") for i in range(100_000)])
    ids = [a.id for a in ArticleReader(p)]
    assert ids == [str(i) for i in range(100_000)]


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
