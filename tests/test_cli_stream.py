"""dedup check writes its report as the stories are assembled: same bytes, safe files, --no-evidence."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_streams import Streams

from dedup import DedupConfig, Deduplicator, read_articles
from dedup.exceptions import DedupError, OutputError
from dedup.io_write import open_output, write_report
from dedup.report import FORMATS, default_output_encoding, encode_output, render


def _expected(news_path: Path, fmt: str, *, evidence: bool = True) -> bytes:
    """What render gives for the whole result, encoded as the CLI encodes it."""
    articles = read_articles(news_path)
    config = DedupConfig(workers=1, evidence=evidence and fmt in ("json", "jsonl", "html"))
    text = render(
        Deduplicator(config).check(articles),
        fmt,  # type: ignore[arg-type]
        articles=articles,
        skipped=[] if fmt == "json" else None,
        title=f"dedup report: {news_path.name}",
        normalize=config.normalize,
    )
    return encode_output(text, encoding=default_output_encoding(fmt))


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_to_a_file_is_what_render_gives(fmt: str, workers: str, news_path: Path, tmp_path: Path) -> None:
    out = tmp_path / f"report.{fmt}"
    s = Streams()
    assert s.run("check", str(news_path), "--format", fmt, "--workers", workers, "-q", "-o", str(out)) == 1
    assert out.read_bytes() == _expected(news_path, fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary file left


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_to_standard_output_is_what_render_gives(fmt: str, news_path: Path) -> None:
    s = Streams()
    assert s.run("check", str(news_path), "--format", fmt, "--workers", "2", "-q") == 1
    assert s.stdout.getvalue() == _expected(news_path, fmt).decode("utf-8")  # csv: its BOM as a character


def test_no_evidence_lists_the_same_stories_without_evidence(news_path: Path) -> None:
    s = Streams()
    assert s.run("check", str(news_path), "--format", "json", "--workers", "1", "-q", "--no-evidence") == 1
    bare = json.loads(s.stdout.getvalue())
    full = json.loads(_expected(news_path, "json"))
    assert s.stdout.getvalue().encode() == _expected(news_path, "json", evidence=False)
    assert [st["ids"] for st in bare["stories"]] == [st["ids"] for st in full["stories"]]
    assert bare["summary"] == full["summary"]
    assert all("evidence" not in p for st in bare["stories"] for p in st["pairs"])
    assert all("evidence" not in p for p in bare["template_pairs"])
    assert all("evidence" in p for st in full["stories"] for p in st["pairs"])


def test_no_evidence_html_still_shows_shared_passages(news_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert Streams().run("check", str(news_path), "--format", "html", "-q", "--no-evidence", "-o", str(out)) == 1
    assert out.read_bytes() == _expected(news_path, "html", evidence=False)


def test_a_failure_while_writing_leaves_the_old_report(
    news_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dedup.cli

    real = dedup.cli.iter_render

    def failing(*args: object, **kwargs: object) -> Iterator[str]:
        pieces = real(*args, **kwargs)  # type: ignore[arg-type]
        yield next(pieces)
        yield next(pieces)
        msg = "a worker process died"
        raise DedupError(msg)

    monkeypatch.setattr(dedup.cli, "iter_render", failing)
    out = tmp_path / "report.json"
    out.write_text("previous report", encoding="utf-8")
    s = Streams()
    assert s.run("check", str(news_path), "--format", "json", "-q", "-o", str(out)) == 2
    assert s.stderr.getvalue() == "dedup: error: a worker process died\n"
    assert out.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_open_output_shows_nothing_before_the_end(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o640)
    with open_output(target) as out:
        out.write(b'{"stories": [')
        out.write(b"]}")
        assert target.read_text(encoding="utf-8") == "old"
    assert target.read_bytes() == b'{"stories": []}'
    assert target.stat().st_mode & 0o777 == 0o640
    with pytest.raises(RuntimeError), open_output(target) as out:
        out.write(b"half")
        raise RuntimeError
    assert target.read_bytes() == b'{"stories": []}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_open_output_writes_a_linked_file_in_place(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("a longer old report", encoding="utf-8")
    other = tmp_path / "also.json"
    os.link(target, other)
    with open_output(target) as out:
        out.write(b"new")
    assert other.read_bytes() == b"new" and os.path.samefile(target, other)


def test_open_output_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="it is a directory"):
        open_output(tmp_path)


def test_write_report_puts_one_bom_at_the_start(tmp_path: Path) -> None:
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="ascii")
    write_report(["a,b\r\n", "社区,1\r\n", "", "x\ud800\r\n"], None, stdout, encoding="utf-8-sig")
    assert raw.getvalue() == "\ufeffa,b\r\n社区,1\r\nx?\r\n".encode("utf-8")
    target = tmp_path / "r.csv"
    write_report(["a,b\r\n", "社区\r\n"], target, stdout, encoding="utf-8-sig")
    assert target.read_bytes() == encode_output("a,b\r\n社区\r\n", encoding="utf-8-sig")
    write_report(["社区", "活动"], target, stdout, encoding="gb18030")
    assert target.read_bytes() == "社区活动".encode("gb18030")


def test_write_report_stops_making_pieces_when_the_reader_leaves() -> None:
    class Gone(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: object) -> int:
            raise BrokenPipeError

    made: list[int] = []

    def pieces() -> Iterator[str]:
        for k in range(1000):
            made.append(k)
            yield "x" * 1000

    stdout = io.TextIOWrapper(io.BufferedWriter(Gone(), buffer_size=1), encoding="utf-8")
    write_report(pieces(), None, stdout)
    assert 0 < len(made) < 1000
