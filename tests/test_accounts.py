from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_streams import Streams

from dedup import (
    AccountStats,
    Article,
    Deduplicator,
    DedupResult,
    InputError,
    Post,
    Story,
    Summary,
    account_pairs,
    account_stats,
)
from dedup.accounts import copy_sources

CST = timezone(timedelta(hours=8))
T0 = datetime(2024, 6, 12, 8, 0, tzinfo=CST)


def _post(pid: str, account: str, hours: int) -> Post:
    return Post(id=pid, account=account, published_at=T0 + timedelta(hours=hours), title="")


def _story(*posts: Post) -> Story:
    accounts: list[str] = []
    for p in posts:
        if p.account not in accounts:
            accounts.append(p.account)
    return Story(ids=tuple(p.id for p in posts), original=posts[0].id, accounts=tuple(accounts), posts=posts, pairs=())


# A hand-built batch, so the expected figures follow from its design, not from the pipeline:
#   story 1: 街道 first, 社区 repeats 街道, 街道 posts it again (a repeat), 城管局 copies
#   story 2: 社区 first, 街道 copies
#   文明办 posts twice, alone.
STORY_1 = _story(_post("s1", "街道", 0), _post("s2", "社区", 1), _post("s3", "街道", 2), _post("s4", "城管局", 3))
STORY_2 = _story(_post("t1", "社区", 0), _post("t2", "街道", 5))
ARTICLES = [
    Article(id=pid, text="正文", account=acc)
    for pid, acc in [
        ("s1", "街道"),
        ("s2", "社区"),
        ("s3", "街道"),
        ("s4", "城管局"),
        ("t1", "社区"),
        ("t2", "街道"),
        ("u1", "文明办"),
        ("u2", "文明办"),
    ]
]
RESULT = DedupResult(
    stories=(STORY_1, STORY_2), summary=Summary(articles=8, stories=2, copies=4, cross_account_stories=2)
)


def test_copy_sources_follow_publication_order() -> None:
    assert copy_sources(STORY_1) == {"s1": None, "s2": "街道", "s3": "社区", "s4": "街道"}


def test_copy_sources_same_account_only_is_a_repeat() -> None:
    story = _story(_post("a", "社区", 0), _post("b", "社区", 1))
    assert copy_sources(story) == {"a": None, "b": None}


def test_account_stats_figures() -> None:
    stats = {s.account: s for s in account_stats(ARTICLES, RESULT)}
    assert set(stats) == {"街道", "社区", "城管局", "文明办"}
    jd = stats["街道"]
    # s3 copies: 社区 (s2) published before it, from another account.
    assert (jd.posts, jd.in_stories, jd.originals, jd.copies, jd.repeats) == (3, 3, 1, 2, 0)
    assert jd.copied_by == 2  # s2 and s4 both take 街道 as their source
    assert jd.partners == 2 and jd.shared_stories == 2
    assert jd.copy_share == pytest.approx(2 / 3)
    sq = stats["社区"]
    assert (sq.posts, sq.originals, sq.copies, sq.copied_by) == (2, 1, 1, 2)
    assert stats["城管局"].copy_share == 1.0
    wm = stats["文明办"]
    assert (wm.posts, wm.in_stories, wm.copies, wm.copy_share, wm.partners) == (2, 0, 0, 0.0, 0)


def test_account_stats_repeats() -> None:
    story = _story(_post("a", "社区", 0), _post("b", "社区", 1))
    articles = [Article(id="a", text="x", account="社区"), Article(id="b", text="x", account="社区")]
    result = DedupResult(stories=(story,), summary=Summary(articles=2, stories=1, copies=1, cross_account_stories=0))
    (only,) = account_stats(articles, result)
    assert (only.copies, only.repeats, only.originals, only.shared_stories) == (0, 1, 1, 0)


def test_account_stats_sorted_most_copies_first() -> None:
    stats = account_stats(ARTICLES, RESULT)
    keys = [(-s.copies, -s.posts, s.account) for s in stats]
    assert keys == sorted(keys)


def test_account_stats_rejects_a_result_of_another_batch() -> None:
    with pytest.raises(InputError, match=r"'s1'.*not among the articles"):
        account_stats(ARTICLES[1:], RESULT)


def test_account_pairs() -> None:
    pairs = {(p.a, p.b): p for p in account_pairs(RESULT)}
    assert set(pairs) == {("城管局", "社区"), ("城管局", "街道"), ("社区", "街道")}
    both = pairs[("社区", "街道")]
    assert both.stories == 2
    # 社区 copied 街道 once (s2); 街道 copied 社区 twice (s3 in story 1, t2 in story 2).
    assert (both.a_from_b, both.b_from_a) == (1, 2)
    assert pairs[("城管局", "街道")].a_from_b == 1
    assert pairs[("城管局", "社区")].to_dict() == {
        "a": "城管局",
        "b": "社区",
        "stories": 1,
        "a_from_b": 0,
        "b_from_a": 0,
    }


def test_figures_add_up_on_a_real_check(dedup: Deduplicator, news: list[Article]) -> None:
    result = dedup.check(news)
    stats = account_stats(news, result)
    assert sum(s.posts for s in stats) == len(news)
    assert sum(s.originals for s in stats) == len(result.stories)
    assert sum(s.copies + s.repeats for s in stats) == result.summary.copies
    assert sum(s.copies for s in stats) == sum(s.copied_by for s in stats)
    assert all(isinstance(s, AccountStats) and 0.0 <= s.copy_share <= 1.0 for s in stats)
    pairs = account_pairs(result)
    # every story counted once per pair of its accounts
    expected = sum(len(s.accounts) * (len(s.accounts) - 1) // 2 for s in result.stories)
    assert sum(p.stories for p in pairs) == expected


# -- dedup accounts ---------------------------------------------------------------------


def test_cli_json(news_path: Path, news: list[Article], dedup: Deduplicator) -> None:
    s = Streams()
    assert s.run("accounts", str(news_path), "--format", "json") == 1
    doc = json.loads(s.stdout.getvalue())
    assert set(doc) == {"accounts", "pairs"}
    expected = [a.to_dict() for a in account_stats(news, dedup.check(news))]
    assert doc["accounts"] == expected
    assert "荷叶塘社区" in s.stdout.getvalue()  # not \\u-escaped
    assert "accounts" in s.stderr.getvalue()


def test_cli_table_lists_accounts_and_pairs(news_path: Path) -> None:
    s = Streams()
    assert s.run("accounts", str(news_path), "--exit-zero") == 0
    out = s.stdout.getvalue()
    assert out.startswith("Accounts: 16")
    assert "Account pairs sharing most stories" in out
    assert "荷叶塘社区" in out


def test_cli_csv_has_bom_and_one_row_per_account(news_path: Path) -> None:
    s = Streams()
    s.run("accounts", str(news_path), "--format", "csv", "-q")
    text = s.stdout.getvalue()
    assert text.startswith("\ufeffaccount,posts,")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 16
    assert sum(int(r["posts"]) for r in rows) == 16
    assert s.stderr.getvalue() == ""


def test_cli_csv_pairs_gb18030_file(news_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "pairs.csv"
    s = Streams()
    argv = [
        "accounts",
        str(news_path),
        "--format",
        "csv",
        "--pairs",
        "--output-encoding",
        "gb18030",
        "-o",
        str(out),
    ]
    assert s.run(*argv) == 1
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("gb18030"))))
    assert rows[0] == ["a", "b", "stories", "a_from_b", "b_from_a"]
    assert any("荷叶塘社区" in r for r in rows[1:])
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_cli_needs_a_file() -> None:
    s = Streams()
    assert s.run("accounts") == 2
    assert (
        s.stderr.getvalue() == "dedup accounts: error: give at least one FILE (or - for standard input, or --sample)\n"
    )


def test_cli_rejects_html_format(news_path: Path) -> None:
    s = Streams()
    assert s.run("accounts", str(news_path), "--format", "html") == 2
    assert "invalid choice: 'html'" in s.stderr.getvalue()


def test_cli_sample() -> None:
    s = Streams()
    assert s.run("accounts", "--sample", "--format", "json", "-q") == 1
    assert json.loads(s.stdout.getvalue())["accounts"]
