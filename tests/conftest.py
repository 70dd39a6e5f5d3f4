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
