from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from cli_streams import Streams
from redis_server import redis_server_fixture, redis_url_fixture  # noqa: F401  (fixtures)

from dedup import DedupIndex


@pytest.fixture
def split(news_path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The fixture in two files: one post of each of four stories is held back for queries."""
    lines = news_path.read_text(encoding="utf-8").splitlines()
    held = {"hyt-05", "lhz-03", "yh-02", "wc-01"}
    published = tmp_path / "published.jsonl"
    new = tmp_path / "new.jsonl"
    published.write_text("\n".join(x for x in lines if json.loads(x)["id"] not in held) + "\n", encoding="utf-8")
    new.write_text("\n".join(x for x in lines if json.loads(x)["id"] in held) + "\n", encoding="utf-8")
    return published, new


def test_add_then_query_json(split: tuple[Path, Path], tmp_path: Path) -> None:
    published, new = split
    index = str(tmp_path / "posts.dedup")
    s = Streams()
    assert s.run("index", "add", index, str(published)) == 0
    assert s.stdout.getvalue() == ""
    assert "added 12 post(s); the index has 12" in s.stderr.getvalue()
    q = Streams()
    assert q.run("index", "query", index, str(new), "--format", "json", "-k", "0") == 1
    doc = json.loads(q.stdout.getvalue())
    assert list(doc) == ["results"]
    assert [r["id"] for r in doc["results"]] == ["hyt-05", "lhz-03", "yh-02", "wc-01"]  # input order
    by_id = {r["id"]: r["matches"] for r in doc["results"]}
    assert {m["id"] for m in by_id["hyt-05"]} == {"hyt-01", "hyt-02", "hyt-03", "hyt-04"}
    assert {m["id"] for m in by_id["lhz-03"]} == {"lhz-01", "lhz-02"}
    assert {m["id"] for m in by_id["yh-02"]} == {"yh-01", "yh-03"}
    assert by_id["wc-01"] == []
    for r in doc["results"]:
        for m in r["matches"]:
            assert list(m) == ["id", "score", "kind"]
            assert 0.0 <= m["score"] <= 1.0 and m["kind"] in ("exact", "near", "contained", "rewritten")
    assert "3 of 4 post(s) matched" in q.stderr.getvalue()


def test_query_answers_like_the_library(split: tuple[Path, Path], tmp_path: Path) -> None:
    published, new = split
    index = str(tmp_path / "posts.dedup")
    assert Streams().run("index", "add", index, str(published), "-q") == 0
    q = Streams()
    q.run("index", "query", index, str(new), "--format", "json", "-k", "2")
    loaded = DedupIndex.load(index)
    from dedup import read_articles

    for result, article in zip(json.loads(q.stdout.getvalue())["results"], read_articles(new), strict=True):
        expected = [{"id": m.id, "score": round(m.score, 4), "kind": m.kind} for m in loaded.query(article, k=2)]
        assert result == {"id": article.id, "matches": expected}


def test_query_table_and_exit_codes(split: tuple[Path, Path], tmp_path: Path) -> None:
    published, new = split
    index = str(tmp_path / "posts.dedup")
    Streams().run("index", "add", index, str(published), "-q")
    s = Streams()
    assert s.run("index", "query", index, str(new)) == 1
    out = s.stdout.getvalue()
    assert "hyt-05: 4 matches" in out and "wc-01: no match" in out
    assert "  hyt-01  1.0000  contained  荷叶塘社区" in out
    assert Streams().run("index", "query", index, str(new), "--exit-zero") == 0
    lonely = tmp_path / "lonely.jsonl"
    lonely.write_text(
        '{"id": "q", "text": "一篇关于社区开展消防演练活动的新闻稿件，内容与已发布文章无关。"}\n',
        encoding="utf-8",
    )
    s = Streams()
    assert s.run("index", "query", index, str(lonely), "--format", "json") == 0
    assert json.loads(s.stdout.getvalue()) == {"results": [{"id": "q", "matches": []}]}


def test_templates_are_listed_only_on_request(news_path: Path, tmp_path: Path) -> None:
    lines = news_path.read_text(encoding="utf-8").splitlines()
    index = str(tmp_path / "posts.dedup")
    ssw = tmp_path / "ssw.jsonl"
    ssw.write_text("\n".join(x for x in lines if json.loads(x)["id"] == "ssw-01") + "\n", encoding="utf-8")
    hyt = tmp_path / "hyt.jsonl"
    hyt.write_text("\n".join(x for x in lines if json.loads(x)["id"] == "hyt-01") + "\n", encoding="utf-8")
    Streams().run("index", "add", index, str(ssw), "-q")
    plain = Streams()
    assert plain.run("index", "query", index, str(hyt), "--format", "json") == 0
    assert json.loads(plain.stdout.getvalue())["results"][0]["matches"] == []
    s = Streams()
    assert s.run("index", "query", index, str(hyt), "--format", "json", "--templates") == 0  # not a story
    assert [m["kind"] for m in json.loads(s.stdout.getvalue())["results"][0]["matches"]] == ["template"]


def test_query_from_stdin(split: tuple[Path, Path], tmp_path: Path) -> None:
    published, new = split
    index = str(tmp_path / "posts.dedup")
    Streams().run("index", "add", index, str(published), "-q")
    s = Streams(stdin=new.read_bytes())
    assert s.run("index", "query", index, "-", "--format", "json") == 1
    assert len(json.loads(s.stdout.getvalue())["results"]) == 4


def test_remove_and_info(split: tuple[Path, Path], tmp_path: Path) -> None:
    published, new = split
    index = str(tmp_path / "posts.dedup")
    Streams().run("index", "add", index, str(published), "-q")
    s = Streams()
    assert s.run("index", "remove", index, "lhz-01", "lhz-02") == 0
    assert "removed 2 post(s); the index has 10" in s.stderr.getvalue()
    q = Streams()
    q.run("index", "query", index, str(new), "--format", "json")
    assert {r["id"]: r["matches"] for r in json.loads(q.stdout.getvalue())["results"]}["lhz-03"] == []
    bad = Streams()
    assert bad.run("index", "remove", index, "hyt-01", "nope") == 2
    assert bad.stderr.getvalue() == "dedup: error: 1 id(s) not in the index: 'nope'\n"
    assert len(DedupIndex.load(index)) == 10  # nothing removed
    assert Streams().run("index", "remove", index, "hyt-01", "nope", "--missing-ok", "-q") == 0
    info = Streams()
    assert info.run("index", "info", index) == 0
    text = info.stdout.getvalue()
    assert "backend: memory" in text and "posts: 9" in text and "seed=1" in text
    js = Streams()
    assert js.run("index", "info", index, "--format", "json") == 0
    doc = json.loads(js.stdout.getvalue())
    assert doc["posts"] == 9 and doc["format"] == "dedup-index" and doc["config"]["threshold"] == 0.5


def test_options_set_up_a_new_index_only(split: tuple[Path, Path], tmp_path: Path) -> None:
    published, _ = split
    index = str(tmp_path / "posts.dedup")
    assert Streams().run("index", "add", index, str(published), "--threshold", "0.7", "--min-length", "30", "-q") == 0
    assert DedupIndex.load(index).config.threshold == 0.7
    extra = tmp_path / "extra.jsonl"
    extra.write_text('{"id": "x1", "text": "又一篇新的社区新闻稿件，讲述志愿者服务活动。"}\n', encoding="utf-8")
    s = Streams()
    assert s.run("index", "add", index, str(extra), "--threshold", "0.6") == 2
    assert "was built with another config: --threshold 0.6 (index has 0.7)" in s.stderr.getvalue()
    assert Streams().run("index", "add", index, str(extra), "--threshold", "0.7", "-q") == 0
    assert len(DedupIndex.load(index)) == 13


def test_errors_exit_2(split: tuple[Path, Path], tmp_path: Path) -> None:
    published, new = split
    missing = str(tmp_path / "missing.dedup")
    s = Streams()
    assert s.run("index", "query", missing, str(new)) == 2
    assert s.stderr.getvalue() == f"dedup: error: {missing}: no such index file\n"
    assert Streams().run("index", "info", missing) == 2
    broken = tmp_path / "broken.dedup"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    s = Streams()
    assert s.run("index", "info", str(broken)) == 2
    assert "not a dedup index, or the file is truncated" in s.stderr.getvalue()
    index = str(tmp_path / "posts.dedup")
    Streams().run("index", "add", index, str(published), "-q")
    s = Streams()
    assert s.run("index", "add", index, str(published)) == 2
    assert "is already in the index" in s.stderr.getvalue()
    usage = Streams()
    assert usage.run("index") == 2
    assert "the following arguments are required: ACTION" in usage.stderr.getvalue()
    assert Streams().run("index", "query", index) == 2
    nodir = str(tmp_path / "no" / "such" / "dir" / "x.dedup")
    s = Streams()
    assert s.run("index", "add", nodir, str(published), "-q") == 2
    assert s.stderr.getvalue().startswith("dedup: error: ")


def test_unreachable_redis_exit_2(split: tuple[Path, Path]) -> None:
    _, new = split
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = Streams()
    assert s.run("index", "query", f"redis://127.0.0.1:{port}/0", str(new)) == 2
    assert s.stderr.getvalue().startswith(f"dedup: error: cannot reach Redis at redis://127.0.0.1:{port}/0")


def test_redis_index_from_the_command_line(split: tuple[Path, Path], redis_url: str, tmp_path: Path) -> None:
    published, new = split
    s = Streams()
    assert s.run("index", "add", redis_url, str(published)) == 0
    assert "the index has 12" in s.stderr.getvalue()
    shared = Streams()
    assert shared.run("index", "query", redis_url, str(new), "--format", "json") == 1
    local = str(tmp_path / "posts.dedup")
    Streams().run("index", "add", local, str(published), "-q")
    file_based = Streams()
    file_based.run("index", "query", local, str(new), "--format", "json")
    assert json.loads(shared.stdout.getvalue()) == json.loads(file_based.stdout.getvalue())
    assert Streams().run("index", "remove", redis_url, "hyt-01", "-q") == 0
    info = Streams()
    assert info.run("index", "info", redis_url, "--format", "json") == 0
    doc = json.loads(info.stdout.getvalue())
    assert doc["backend"] == "redis" and doc["posts"] == 11
    missing = Streams()
    assert missing.run("index", "info", redis_url.replace("?index=", "?index=nothing-")) == 2
    assert "no index at" in missing.stderr.getvalue()


def test_index_add_and_query_read_lines_within_the_bound_check_has(split: tuple[Path, Path], tmp_path: Path) -> None:
    # dedup check refuses lines over 13 MB before reading them; index add/query read
    # them whole (a 4 GB line ended in MemoryError) and under --skip-bad an over-long
    # text aborted the whole add instead of skipping the record.
    published, _ = split
    index = str(tmp_path / "posts.dedup")
    good = '{"id": "ok", "text": "又一篇新的社区新闻稿件，讲述志愿者服务活动的经过。"}\n'
    long_text = tmp_path / "long.jsonl"
    long_text.write_text('{"id": "long", "text": "' + "长" * 1_000_001 + '"}\n' + good, encoding="utf-8")
    s = Streams()
    assert s.run("index", "add", index, str(published), str(long_text), "--skip-bad") == 0, s.stderr.getvalue()
    assert f"{long_text}:1: field text: text is 1,000,001 characters, more than the limit" in s.stderr.getvalue()
    assert "added 13 post(s)" in s.stderr.getvalue()
    giant = tmp_path / "giant.jsonl"
    giant.write_bytes(b'{"id": "giant", "text": "' + b"x" * 13_000_000 + b'"}\n' + good.replace("ok", "ok2").encode())
    for action in ("add", "query"):
        s = Streams()
        assert s.run("index", action, index, str(giant)) == 2
        assert s.stderr.getvalue() == (
            f"dedup: error: {giant}:1: line is 13,000,028 bytes, more than the limit of 13,000,000 bytes (see max_length)\n"
        )
    q = Streams()
    assert q.run("index", "query", index, str(giant), "--skip-bad", "--format", "json", "-q") == 1
    results = json.loads(q.stdout.getvalue())["results"]
    assert [(r["id"], [m["id"] for m in r["matches"]]) for r in results] == [("ok2", ["ok"])]
    assert len(DedupIndex.load(index)) == 13


def test_query_table_escapes_terminal_controls(tmp_path: Path) -> None:
    text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
    published = tmp_path / "published.jsonl"
    published.write_text(
        json.dumps({"id": "\x1b[2Jold", "text": text, "account": "\x9b31m号"}) + "\n", encoding="utf-8"
    )
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps({"id": "\x1b]0;x\x07new", "text": text}) + "\n", encoding="utf-8")
    index = str(tmp_path / "posts.dedup")
    assert Streams().run("index", "add", index, str(published), "-q") == 0
    s = Streams()
    assert s.run("index", "query", index, str(new)) == 1
    out = s.stdout.getvalue()
    assert not any(ch in out for ch in "\x1b\x07\x9b"), out
    assert "\\x1b]0;x\\x07new: 1 match" in out and "\\x1b[2Jold" in out and "\\x9b31m号" in out


def _posts_file(path: Path, prefix: str, n: int) -> Path:
    lines = [
        json.dumps(
            {
                "id": f"{prefix}{k}",
                "account": f"{prefix}社区",
                "text": f"第{k}期{prefix}社区开展主题活动，共有{k * 3 + 7}名居民参加，现场发放宣传资料{k * 11 + 5}份。",
            },
            ensure_ascii=False,
        )
        for k in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_two_concurrent_adds_to_one_file_lose_no_post(tmp_path: Path) -> None:
    import subprocess
    import sys

    index = tmp_path / "posts.dedup"
    files = [_posts_file(tmp_path / f"{p}.jsonl", p, 300) for p in ("a", "b")]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dedup", "index", "add", str(index), str(f)], stderr=subprocess.PIPE, text=True
        )
        for f in files
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "added 300 post(s)" in err
    assert len(DedupIndex.load(index)) == 600


def test_skip_bad_skips_posts_already_indexed(tmp_path: Path) -> None:
    index = str(tmp_path / "posts.dedup")
    first = _posts_file(tmp_path / "first.jsonl", "a", 5)
    assert Streams().run("index", "add", index, str(first), "-q") == 0
    again = Streams()
    assert again.run("index", "add", index, str(first)) == 2  # without --skip-bad: an error, nothing added
    assert "already in the index" in again.stderr.getvalue()
    s = Streams()
    more = _posts_file(tmp_path / "more.jsonl", "a", 8)  # a0..a4 again, a5..a7 new
    assert s.run("index", "add", index, str(more), "--skip-bad") == 0
    assert "skipped 5 post(s) already in the index" in s.stderr.getvalue()
    assert len(DedupIndex.load(index)) == 8


def test_an_index_built_with_a_user_dict_needs_it(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("荷叶塘社区 100 ns\n", encoding="utf-8")
    index = str(tmp_path / "posts.dedup")
    posts = _posts_file(tmp_path / "a.jsonl", "a", 3)
    assert Streams().run("index", "add", index, str(posts), "--user-dict", str(words), "-q") == 0
    s = Streams()
    assert s.run("index", "info", index) == 2
    assert "--user-dict" in s.stderr.getvalue()
    assert Streams().run("index", "info", index, "--user-dict", str(words)) == 0
    q = Streams()
    # Each post stands for itself (compared with the others: different events).
    assert q.run("index", "query", index, str(posts), "--user-dict", str(words), "--format", "json") == 0
    assert [r["id"] for r in json.loads(q.stdout.getvalue())["results"]] == ["a0", "a1", "a2"]
