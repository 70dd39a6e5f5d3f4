from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_streams import Streams


def test_duplicates_found_exit_1_and_table(news_path: Path) -> None:
    s = Streams()
    assert s.run("check", str(news_path)) == 1
    assert "Story 1: 5 posts" in s.stdout.getvalue()
    assert "荷叶塘社区" in s.stdout.getvalue()


def test_exit_zero(news_path: Path) -> None:
    assert Streams().run("check", str(news_path), "--exit-zero") == 0


def test_nothing_found_exit_0(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": 1, "text": "一篇关于社区开展垃圾分类宣传活动的新闻稿件。"}\n', encoding="utf-8")
    s = Streams()
    assert s.run("check", str(p), "--format", "json") == 0
    assert json.loads(s.stdout.getvalue())["stories"] == []


def test_json_to_file_with_summary_on_stderr(news_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "stories.json"
    s = Streams()
    assert s.run("check", str(news_path), "--format", "json", "-o", str(out)) == 1
    assert s.stdout.getvalue() == ""
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["stories"]) == 4
    assert "4 stories with several posts" in s.stderr.getvalue()


def test_stdin(news_path: Path) -> None:
    s = Streams(news_path.read_bytes())
    assert s.run("check", "-", "--format", "jsonl", "-q") == 1
    assert len(s.stdout.getvalue().splitlines()) == 4
    assert s.stderr.getvalue() == ""


def test_csv_has_bom(news_path: Path) -> None:
    s = Streams()
    s.run("check", str(news_path), "--format", "csv")
    assert s.stdout.getvalue().startswith("\ufeffstory,id,")


def test_threshold_knob(news_path: Path) -> None:
    s = Streams()
    assert s.run("check", str(news_path), "--format", "json", "--threshold", "1.0", "-q") == 1
    strict = json.loads(s.stdout.getvalue())["stories"]
    assert all(p["score"] >= 1.0 or p["kind"] == "exact" for st in strict for p in st["pairs"])


def test_cross_account_only_and_min_length(news_path: Path) -> None:
    assert Streams().run("check", str(news_path), "--cross-account-only", "--min-length", "5000") == 0


def test_bad_input_exit_2_with_one_line_error(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": 1, "text": "好"}\n{"id": 2, "text": \n', encoding="utf-8")
    s = Streams()
    assert s.run("check", str(p)) == 2
    err = s.stderr.getvalue()
    assert err.count("\n") == 1
    assert f"{p}:2: not valid JSON" in err


def test_skip_bad_counts_and_keeps_good(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
    p.write_text(
        json.dumps({"id": 1, "text": text}, ensure_ascii=False)
        + "\n{broken\n"
        + json.dumps({"id": 2, "text": text}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    s = Streams()
    assert s.run("check", str(p), "--skip-bad", "--format", "json") == 1
    doc = json.loads(s.stdout.getvalue())
    assert doc["stories"][0]["ids"] == ["1", "2"]
    assert doc["summary"]["skipped"] == 1
    assert "skipped 1 bad record(s)" in s.stderr.getvalue()
    assert f"{p}:2" in s.stderr.getvalue()


def _large_batch_with_late_bad_record(path: Path) -> int:
    """Enough records for the workers to start before the bad last line is read; its line number."""
    lines = [
        json.dumps(
            {"id": k, "text": f"{k % 28 + 1}日，第{k}号社区开展第{k}次垃圾分类宣传活动，发放资料{k * 3}份。"},
            ensure_ascii=False,
        )
        for k in range(2400)
    ]
    lines.append('{"id": "late", "text": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def test_bad_record_read_after_the_workers_started_is_exit_2(tmp_path: Path) -> None:
    # The batch is read while workers normalize what came before: a late error is still one line, exit 2.
    p = tmp_path / "late.jsonl"
    lineno = _large_batch_with_late_bad_record(p)
    s = Streams()
    assert s.run("check", str(p), "--workers", "2", "--format", "json") == 2
    err = s.stderr.getvalue()
    assert err.count("\n") == 1 and f"{p}:{lineno}: not valid JSON" in err
    assert s.stdout.getvalue() == ""  # no partial report
    s = Streams()
    assert s.run("check", str(p), "--workers", "2", "--format", "json", "--skip-bad", "--exit-zero") == 0
    doc = json.loads(s.stdout.getvalue())
    assert doc["summary"]["skipped"] == 1 and doc["summary"]["articles"] == lineno - 1
    assert f"skipped 1 bad record(s); {lineno - 1} read" in s.stderr.getvalue()


def test_usage_errors_exit_2() -> None:
    for argv in (["check"], ["check", "x", "--threshold", "2"], ["check", "x", "--format", "xml"], ["frobnicate"], []):
        s = Streams()
        assert s.run(*argv) == 2, argv
        assert s.stderr.getvalue()


def test_missing_file_exit_2(tmp_path: Path) -> None:
    s = Streams()
    assert s.run("check", str(tmp_path / "nope.jsonl")) == 2
    assert "no such file" in s.stderr.getvalue()


def test_sample_runs() -> None:
    s = Streams()
    assert s.run("check", "--sample") == 1
    assert "Story 1" in s.stdout.getvalue()


def test_python_dash_m(news_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dedup", "check", str(news_path), "--format", "json", "-q"],
        capture_output=True,
        check=False,
    )
    assert out.returncode == 1
    assert json.loads(out.stdout.decode("utf-8"))["summary"]["stories"] == 4
    assert out.stderr == b""


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_exit_0(flag: str) -> None:
    out = subprocess.run([sys.executable, "-m", "dedup", flag], capture_output=True, text=True, check=False)
    assert out.returncode == 0
    assert "dedup" in out.stdout


def test_progress_bar_only_on_a_terminal(news_path: Path) -> None:
    from dedup.cli import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    bar = Progress(out, delay=0.0, interval=0.0)
    bar("tokenize", 5, 10)
    bar.close()
    assert "tokenize" in out.getvalue() and "5/10" in out.getvalue()
    s = Streams()  # StringIO is not a terminal: no bar
    s.run("check", str(news_path), "--format", "json")
    assert "\r" not in s.stderr.getvalue()


def test_messages_escape_terminal_controls(tmp_path: Path) -> None:
    # File names and values echoed on stderr reached the terminal raw.
    bad = tmp_path / "a\x1b]0;pwned\x07.jsonl"
    bad.write_text('{"id": 1, "text": \n', encoding="utf-8")
    s = Streams()
    assert s.run("check", str(bad)) == 2
    assert "\x1b" not in s.stderr.getvalue() and "a\\x1b]0;pwned\\x07.jsonl:1: not valid JSON" in s.stderr.getvalue()
    s = Streams()
    assert s.run("check", str(bad), "--skip-bad") == 0
    assert "\x1b" not in s.stderr.getvalue() and "dedup: skipped " in s.stderr.getvalue()
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / ".\x1b[2J").write_text("x", encoding="utf-8")
    s = Streams()
    assert s.run("check", str(folder)) == 0
    assert "\x1b" not in s.stderr.getvalue() and ".\\x1b[2J: hidden" in s.stderr.getvalue()


def test_unexpected_errors_exit_2_with_one_line(news_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An exception that escaped main() ended the process with status 1: "duplicates found".
    from dedup.pipeline import Deduplicator

    def broken(*args: object, **kwargs: object) -> None:
        msg = "boom\nsecond line"
        raise RuntimeError(msg)

    monkeypatch.setattr(Deduplicator, "check_stream", broken)
    s = Streams()
    assert s.run("check", str(news_path)) == 2
    err = s.stderr.getvalue()
    assert err.count("\n") == 1 and err.startswith("dedup: internal error: RuntimeError: boom second line"), err
    assert "please report" in err


def test_keyboard_interrupt_exits_130(news_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup.pipeline import Deduplicator

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Deduplicator, "check_stream", interrupted)
    s = Streams()
    assert s.run("check", str(news_path)) == 130
    assert s.stderr.getvalue() == "dedup: interrupted\n"


def test_a_closed_standard_output_is_quiet_and_keeps_the_status(news_path: Path) -> None:
    # dedup check ... | head: the reader leaves early; no traceback, and duplicates still exit 1.
    for fmt in ("json", "table"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "dedup", "check", str(news_path), "--format", fmt, "-q", "--workers", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None
        proc.stdout.close()  # before dedup writes anything
        _, err = proc.communicate()
        assert (proc.returncode, err) == (1, b""), fmt


@pytest.mark.parametrize("command", [["check"], ["accounts"], ["index", "add"], ["index", "query"]])
def test_help_says_what_is_bounded(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from dedup.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Limits: a text over 1,000,000 characters, or a line (or a file in a directory) over 13,000,000" in text
    assert "104,000,000 bytes" in text and "100 times its size or 832,000,000 bytes" in text
    assert "--follow-links" in text
