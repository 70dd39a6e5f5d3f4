"""Writing the report with ``-o FILE``: atomic for plain files, written through for the rest.

Nothing here touches the real ``/dev``: devices, FIFOs and links are made in ``tmp_path``.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from io_helpers import S, jline, run, write_lines

from dedup.exceptions import OutputError
from dedup.io_write import write_file


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    """A small batch with one story (so the report is small: it fits a pipe buffer)."""
    return write_lines(tmp_path / "posts.jsonl", [jline(id="a", text=S[0]), jline(id="b", text=S[0])])


def report(posts: Path, output: Path | str, *extra: str) -> tuple[int, str, str]:
    return run("check", posts, "--format", "json", "--workers", "1", "-q", "-o", str(output), *extra)


def test_a_character_device_is_written_through_not_replaced(posts: Path, tmp_path: Path) -> None:
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the same device as /dev/null
        os.close(os.open(null, os.O_WRONLY))
    except OSError as exc:  # no CAP_MKNOD, or a devices cgroup that refuses it
        pytest.skip(f"cannot make a device node here: {exc}")
    code, _, err = report(posts, null)
    assert code == 1, err
    assert stat.S_ISCHR(os.lstat(null).st_mode)  # still the device, not a regular file


def test_a_fifo_is_written_through(posts: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader waits, so the writer's open does not block
    try:
        code, _, err = report(posts, fifo)
        assert code == 1, err
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        doc = json.loads(os.read(reader, 1 << 16))
    finally:
        os.close(reader)
    assert doc["stories"][0]["ids"] == ["a", "b"]


def test_a_link_to_dev_stdout_writes_to_standard_output(posts: Path, tmp_path: Path) -> None:
    link = tmp_path / "out"
    link.symlink_to("/dev/stdout")
    out = subprocess.run(
        [sys.executable, "-m", "dedup", "check", str(posts), "--format", "json", "-q", "-o", str(link)],
        capture_output=True,
        check=False,
    )
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["stories"][0]["ids"] == ["a", "b"]
    assert link.is_symlink()


def test_a_link_to_a_file_replaces_the_target_and_stays_a_link(posts: Path, tmp_path: Path) -> None:
    real = tmp_path / "reports" / "real.json"
    real.parent.mkdir()
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "out.json"
    link.symlink_to(Path("reports") / "real.json")  # relative, as ln -s writes it
    code, _, err = report(posts, link)
    assert code == 1, err
    assert link.is_symlink() and os.readlink(link) == os.path.join("reports", "real.json")
    assert json.loads(real.read_text(encoding="utf-8"))["stories"][0]["ids"] == ["a", "b"]
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_a_link_planted_at_the_old_temporary_name_is_not_followed(posts: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me", encoding="utf-8")
    output = tmp_path / "out.json"
    (tmp_path / f"out.json.tmp{os.getpid()}").symlink_to(victim)
    code, _, err = report(posts, output)
    assert code == 1, err
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not output.is_symlink() and json.loads(output.read_text(encoding="utf-8"))["stories"]


def test_the_mode_of_an_existing_file_is_kept(posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    output.write_text("old", encoding="utf-8")
    output.chmod(0o600)
    code, _, err = report(posts, output)
    assert code == 1, err
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert json.loads(output.read_text(encoding="utf-8"))["stories"]


def test_a_new_file_gets_the_umask_mode(posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "new.json"
    old = os.umask(0o027)
    try:
        code, _, err = report(posts, output)
    finally:
        os.umask(old)
    assert code == 1, err
    assert stat.S_IMODE(output.stat().st_mode) == 0o640


def test_hard_links_keep_sharing_the_report(posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    output.write_text("old", encoding="utf-8")
    other = tmp_path / "also.json"
    os.link(output, other)
    code, _, err = report(posts, output)
    assert code == 1, err
    assert os.path.samefile(output, other) and output.stat().st_nlink == 2
    assert json.loads(other.read_text(encoding="utf-8"))["stories"][0]["ids"] == ["a", "b"]


def test_disk_full_is_one_line_exit_2_and_leaves_nothing_behind(
    posts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    output = out_dir / "report.json"
    output.write_text("previous report", encoding="utf-8")
    real_write = os.write

    def half_then_full(fd: int, data: bytes) -> int:
        if len(data) > 1:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", half_then_full)
    code, _, err = report(posts, output)
    monkeypatch.undo()
    assert code == 2
    assert err == f"dedup: error: cannot write {output}: No space left on device\n"
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.json"]  # no temporary file left
    assert output.read_text(encoding="utf-8") == "previous report"  # the old report is intact


def test_a_full_device_is_one_line_exit_2(posts: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.symlink_to("/dev/full")
    code, _, err = report(posts, full)
    assert code == 2
    assert err == f"dedup: error: cannot write {full}: No space left on device\n"
    assert full.is_symlink()


def test_a_directory_is_refused(posts: Path, tmp_path: Path) -> None:
    code, _, err = report(posts, tmp_path)
    assert code == 2
    assert err == f"dedup: error: cannot write {tmp_path}: it is a directory\n"


def test_a_missing_directory_is_one_line_exit_2(posts: Path, tmp_path: Path) -> None:
    code, _, err = report(posts, tmp_path / "nope" / "r.json")
    assert code == 2
    assert err == f"dedup: error: cannot write {tmp_path / 'nope' / 'r.json'}: No such file or directory\n"


def test_standard_output_full_is_one_line_exit_2(posts: Path) -> None:
    with open("/dev/full", "wb") as full:
        out = subprocess.run(
            [sys.executable, "-m", "dedup", "check", str(posts), "--format", "json", "-q"],
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert out.returncode == 2
    assert out.stderr == b"dedup: error: cannot write to standard output: No space left on device\n"


def test_write_file_raises_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as info:
        write_file(tmp_path, b"x")
    assert isinstance(info.value, OSError) and info.value.errno == errno.EISDIR
    write_file(tmp_path / "a", b"x")
    assert (tmp_path / "a").read_bytes() == b"x"
