from __future__ import annotations

import pickle

import pytest

from dedup import Article, DedupConfig, FeatureExtractor
from dedup.features import clean_title


def test_title_column_labels_are_dropped() -> None:
    assert clean_title("【基层风采】社区开展活动") == "社区开展活动"
    assert clean_title("[工作动态]社区开展活动") == "社区开展活动"
    assert clean_title("聚焦|社区开展活动") == "社区开展活动"
    assert clean_title("社区开展活动") == "社区开展活动"
    assert clean_title("【标签】") == "【标签】"


def test_account_name_words_are_not_specifics() -> None:
    fx = FeatureExtractor(DedupConfig())
    text = "长沙县民政局高度重视此项工作。6月12日，岳麓区开展活动。"
    own = fx.extract(Article(id="1", text=text, account="长沙县民政局"), index=0)
    other = fx.extract(Article(id="2", text=text, account="岳麓街道"), index=1)
    assert "长沙县" not in own.specifics
    assert "长沙县" in other.specifics


def test_char_tokenizer_config() -> None:
    fx = FeatureExtractor(DedupConfig(tokenizer="char"))
    f = fx.extract(Article(id="1", text="社区开展活动2024"), index=0)
    assert f.n_words > 0 and len(f.shingles) > 0


def test_extractor_pickles() -> None:
    fx = FeatureExtractor(DedupConfig(seed=9))
    copy = pickle.loads(pickle.dumps(fx))
    assert copy.config == fx.config
    a = fx.extract(Article(id="1", text="社区开展活动"), index=0)
    b = copy.extract(Article(id="1", text="社区开展活动"), index=0)
    assert (a.shingles == b.shingles).all() and a.specifics == b.specifics


def test_a_full_token_cache_is_emptied_without_changing_features(monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup.features import _Vocabulary

    posts = [
        Article(id=str(i), text=text, account="荷叶塘社区")
        for i, text in enumerate(
            [
                "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者发放宣传资料200余份。",
                "6月15日，山水湾社区举办消防安全演练，邀请消防员讲解灭火器使用方法。\n居民踊跃参加。",
                "湖光社区组织老年人参观红色教育基地，重温入党誓词，共有38名党员参加。",
            ]
        )
    ]
    expected = [FeatureExtractor(DedupConfig()).extract(a, index=i) for i, a in enumerate(posts)]
    # A cache smaller than one post: emptied before every post, never in the middle of one.
    monkeypatch.setattr(_Vocabulary, "MAX_ENTRIES", 10)
    small = FeatureExtractor(DedupConfig())
    for _ in range(2):
        got = [small.extract(a, index=i) for i, a in enumerate(posts)]
        for g, e in zip(got, expected, strict=True):
            assert g.specifics == e.specifics and g.digest == e.digest
            assert (g.shingles == e.shingles).all() and (g.sequence == e.sequence).all()
