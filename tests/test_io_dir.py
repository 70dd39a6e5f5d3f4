"""Directories of article files."""

from __future__ import annotations

from pathlib import Path

from io_helpers import (
    TRADITIONAL_S0,
    S,
    write,
)

from dedup import read_articles


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
