from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from dedup import Article, DedupConfig
from dedup.columns import FeatureColumns
from dedup.feature_table import FeatureTable
from dedup.features import FeatureExtractor, Features

POSTS = [
    Article(
        id="a",
        title="荷叶塘社区开展垃圾分类宣传",
        text="6月12日上午，荷叶塘社区开展垃圾分类宣传活动。\n志愿者向居民讲解分类知识，发放资料200余份。",
        account="荷叶塘社区",
        published_at=datetime(2024, 6, 12, 10, 0),
    ),
    Article(id="b", text="", account=""),
    Article(
        id="c", title="【动态】消防演练", text="3月21日，莲花镇组织开展消防安全应急疏散演练，1200余名师生有序撤离。"
    ),
    Article(id="d", title="莲花镇演练", text="", account="莲花镇", published_at=datetime(2024, 3, 22)),
]
FIELDS = [name for name in Features.__slots__ if not name.startswith("_")]


def equal(a: Features, b: Features) -> bool:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            if x.dtype != y.dtype or not np.array_equal(x, y):
                return False
        elif x != y and not (name == "published" and np.isnan(x) and np.isnan(y)):
            return False
    return True


@pytest.fixture(scope="module")
def feats() -> list[Features]:
    return FeatureExtractor(DedupConfig()).extract_many(POSTS)


def test_a_table_gives_back_every_field_of_every_post(feats: list[Features]) -> None:
    table = FeatureTable.of(feats)
    assert len(table) == 4
    assert all(equal(t, f) for t, f in zip(table, feats, strict=True))
    assert equal(table[-1], feats[3]) and [f.id for f in table[1:3]] == ["b", "c"]
    assert table.specifics() == [f.specifics for f in feats]
    assert table.body_hashes() == [f.body_hash for f in feats]
    assert table.comparable(DedupConfig()).tolist() == [True, False, True, False]
    with pytest.raises(IndexError, match="out of range"):
        table[4]


def test_blocks_in_several_parts_read_like_one(feats: list[Features]) -> None:
    blocks = [FeatureColumns.pack(feats[:1], names=False), FeatureColumns.pack(feats[1:], start=1, names=False)]
    table = FeatureTable(blocks, [f.id for f in feats], [f.account for f in feats])
    assert all(equal(t, f) for t, f in zip(table, feats, strict=True))


def test_a_copy_reads_its_body_from_its_source_and_keeps_its_own_headline(feats: list[Features]) -> None:
    table = FeatureTable.of(feats).with_copies(np.array([0, 1, 2, 2]), {3: ("21", "莲花镇")})
    copy, source = table[3], feats[2]
    for name in ("length", "n_words", "body_hash", "shingles", "lead", "sequence", "key_positions", "key_words"):
        x, y = getattr(copy, name), getattr(source, name)
        assert np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y, name
    assert (copy.id, copy.account, copy.position, copy.specifics) == ("d", "莲花镇", 3, ("21", "莲花镇"))
    assert np.array_equal(copy.title_words, feats[3].title_words) and copy.published == feats[3].published
    assert table.comparable(DedupConfig()).tolist() == [True, False, True, True]
    assert table.body_hashes()[3] == source.body_hash and table.specifics()[3] == ("21", "莲花镇")


def test_inconsistent_tables_are_refused(feats: list[Features]) -> None:
    block = FeatureColumns.pack(feats, start=1, names=False)
    ids, accounts = [f.id for f in feats], [f.account for f in feats]
    with pytest.raises(ValueError, match="consecutive"):
        FeatureTable([block], ids, accounts)
    with pytest.raises(ValueError, match="ids"):
        FeatureTable([FeatureColumns.pack(feats, names=False)], ids[:3], accounts[:3])
    with pytest.raises(ValueError, match="body_of"):
        FeatureTable.of(feats).with_copies(np.array([0, 1, 2, 4]), {})
    with pytest.raises(ValueError, match="position order"):
        FeatureTable.of(feats[1:])
