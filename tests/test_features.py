from __future__ import annotations

import pickle

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
