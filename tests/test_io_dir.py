"""Directories of article files."""

from __future__ import annotations

import gzip
import os
import stat
from pathlib import Path

import pytest
from io_helpers import TRADITIONAL_S0, S, run, write

from dedup import read_articles
from dedup.io import ArticleReader, max_line_bytes


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


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    """A folder to read, and a folder outside it."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    write(root / "a.txt", S[0])
    write(outside / "secret.txt", "不该读到的内容")
    (outside / "more").mkdir()
    write(outside / "more" / "x.txt", S[1])
    return root, outside


def test_links_out_of_the_folder_are_not_followed_unless_asked(tmp_path: Path) -> None:
    # A link to /proc/self/environ put the process environment into the HTML report.
    root, outside = _tree(tmp_path)
    (root / "env.txt").symlink_to("/proc/self/environ")
    (root / "out.txt").symlink_to(outside / "secret.txt")
    (root / "linked").symlink_to(outside / "more")
    reader = ArticleReader(root)
    assert [a.id for a in reader] == ["a.txt"]
    assert [(Path(n.path).name, n.reason.split(" (")[0]) for n in reader.not_read] == [
        ("env.txt", "a symbolic link out of the folder"),
        ("linked", "a symbolic link out of the folder"),
        ("out.txt", "a symbolic link out of the folder"),
    ]
    assert all("--follow-links reads it" in n.reason for n in reader.not_read)
    code, _, err = run("check", root, "--format", "json", "--workers", "1")
    assert code == 0
    assert f"dedup: not read: {root / 'env.txt'}: a symbolic link out of the folder" in err
    followed = ArticleReader(root, follow_links=True)
    assert [a.id for a in followed if a.id != "env.txt"] == ["a.txt", "linked/x.txt", "out.txt"]
    assert followed.not_read == []


def test_links_inside_the_folder_and_hard_links_read_each_file_once(tmp_path: Path) -> None:
    root, _ = _tree(tmp_path)
    (root / "sub").mkdir()
    write(root / "sub" / "b.txt", S[1])
    write(root / "notes.dat", S[2])
    (root / "link.txt").symlink_to(Path("sub") / "b.txt")  # read under its own name
    (root / "notes.txt").symlink_to("notes.dat")  # the only way to read notes.dat
    (root / "sub" / "up").symlink_to("..")  # a cycle
    os.link(root / "a.txt", root / "a-again.txt")
    for follow in (False, True):
        reader = ArticleReader(root, follow_links=follow)
        assert [a.id for a in reader] == ["a-again.txt", "notes.txt", "sub/b.txt"]
        assert [(Path(n.path).name, n.reason) for n in reader.not_read] == [
            ("a.txt", "the same file as a-again.txt (read once)"),
            ("link.txt", "a symbolic link to sub/b.txt, which is read under its own name"),
            ("up", "a symbolic link to ., which is read under its own name"),
            ("root", "1 file ending in .dat: only .txt, .md, .html and .htm files are read"),
        ]


def test_hidden_entries_record_files_and_other_files_are_reported(tmp_path: Path) -> None:
    # They were skipped without a word.
    root, _ = _tree(tmp_path)
    (root / ".git").mkdir()
    write(root / ".git" / "HEAD.txt", "ref")
    write(root / ".hidden.txt", S[1])
    write(root / "posts.jsonl", '{"id": 1, "text": "x"}\n')
    (root / "data.csv.gz").write_bytes(gzip.compress(b"id,text\n1,x\n"))
    (root / "img1.png").write_bytes(b"\x89PNG")
    (root / "img2.PNG").write_bytes(b"\x89PNG")
    os.mkfifo(root / "pipe.txt")  # would block a reader that opened it
    reader = ArticleReader(root)
    assert [a.id for a in reader] == ["a.txt"]
    assert [(os.path.relpath(n.path, root), n.reason) for n in reader.not_read] == [
        (".git", "hidden"),
        (".hidden.txt", "hidden"),
        ("data.csv.gz", "a file of records: give it as a FILE argument to read it"),
        ("pipe.txt", "not a regular file (a FIFO)"),
        ("posts.jsonl", "a file of records: give it as a FILE argument to read it"),
        (".", "2 files ending in .png: only .txt, .md, .html and .htm files are read"),
    ]
    code, _, err = run("check", root, "--workers", "1")
    assert code == 0 and err.count("dedup: not read: ") == 6
    code, _, err = run("check", root, "--workers", "1", "-q")
    assert code == 0 and err == ""


def test_the_size_cap_counts_bytes_read_not_st_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Files in /proc report st_size 0 whatever they hold.
    root, _ = _tree(tmp_path)
    limit = max_line_bytes(100)
    (root / "big.txt").write_bytes(b"x" * (limit + 1))
    real_stat, real_fstat = os.stat, os.fstat

    def procfs_like(result: os.stat_result) -> os.stat_result:
        fields = list(result)
        fields[stat.ST_SIZE] = 0 if stat.S_ISREG(result.st_mode) else fields[stat.ST_SIZE]
        return os.stat_result(fields)

    monkeypatch.setattr(os, "stat", lambda *a, **k: procfs_like(real_stat(*a, **k)))
    monkeypatch.setattr(os, "fstat", lambda fd: procfs_like(real_fstat(fd)))
    reader = ArticleReader(root, max_length=100, skip_bad=True)
    assert [a.id for a in reader] == ["a.txt"]
    monkeypatch.undo()
    assert [(s.id, s.field, s.reason) for s in reader.skipped] == [
        ("big.txt", "text", f"file is more than {limit:,} bytes, the limit for max_length 100")
    ]
