from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedup import Article, DedupConfig, Deduplicator, read_articles
from dedup.tokenizer import JiebaTokenizer

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> JiebaTokenizer:
    """One initialized tokenizer for the session (dictionary loading is the slow part)."""
    return JiebaTokenizer(cache_dir=str(tmp_path_factory.mktemp("jieba-cache"))).initialize()


@pytest.fixture(scope="session")
def dedup() -> Deduplicator:
    return Deduplicator(DedupConfig())


@pytest.fixture(scope="session")
def news_path() -> Path:
    return DATA / "news_small.jsonl"


@pytest.fixture(scope="session")
def news(news_path: Path) -> list[Article]:
    return read_articles(news_path)


@pytest.fixture(scope="session")
def expected_groups(news_path: Path) -> list[list[str]]:
    """Stories with several posts in the fixture, from its `expected_story` labels."""
    groups: dict[str, list[str]] = {}
    for line in news_path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        groups.setdefault(record["expected_story"], []).append(record["id"])
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


@pytest.fixture(scope="session")
def report_and_follow_up() -> tuple[str, str]:
    """A report, and a follow-up that recaps it in one sentence of its own, then says what is new."""
    report = (
        "为进一步提升居民垃圾分类意识，荷叶塘社区联合区城管局在文化广场开展垃圾分类主题宣传活动。"
        "活动现场，志愿者通过展板讲解、有奖问答和分类游戏等形式，向居民介绍可回收物和有害垃圾的分类标准。"
        "社区还为居民发放了分类垃圾桶和宣传手册。"
    )
    follow_up = (
        "荷叶塘社区联合区城管局在文化广场开展垃圾分类主题宣传活动，"
        "志愿者通过展板讲解、有奖问答和分类游戏等形式介绍分类标准，今天起社区将逐户检查分类情况。"
    )
    return report, follow_up
