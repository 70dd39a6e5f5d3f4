from __future__ import annotations

import pickle

import pytest

from dedup import Article, DedupConfig
from dedup.features import FeatureExtractor, clean_title


def test_title_column_labels_are_dropped() -> None:
    assert clean_title("【基层风采】社区开展活动") == "社区开展活动"
    assert clean_title("[工作动态]社区开展活动") == "社区开展活动"
    assert clean_title("聚焦|社区开展活动") == "社区开展活动"
    assert clean_title("社区开展活动") == "社区开展活动"
    assert clean_title("【标签】") == "【标签】"
    # A scraped page's channel and site names after the headline.
    assert clean_title("社区开展活动_社区动态_某某区人民政府") == "社区开展活动"
    assert clean_title("社区开展活动 - 某某新闻网") == "社区开展活动"
    assert clean_title("某某网|社区开展垃圾分类宣传活动") == "社区开展垃圾分类宣传活动"
    assert clean_title("2019-2020学年工作总结") == "2019-2020学年工作总结"


def test_account_name_words_are_not_specifics() -> None:
    fx = FeatureExtractor(DedupConfig())
    text = "长沙县民政局高度重视此项工作。6月12日，岳麓区开展活动。"
    own = fx.extract(Article(id="1", text=text, account="长沙县民政局"), position=0)
    other = fx.extract(Article(id="2", text=text, account="岳麓街道"), position=1)
    assert "长沙县" not in own.specifics
    assert "长沙县" in other.specifics


def test_char_tokenizer_config() -> None:
    fx = FeatureExtractor(DedupConfig(tokenizer="char"))
    f = fx.extract(Article(id="1", text="社区开展活动2024"), position=0)
    assert f.n_words > 0 and len(f.shingles) > 0


def test_extractor_pickles() -> None:
    fx = FeatureExtractor(DedupConfig(seed=9))
    copy = pickle.loads(pickle.dumps(fx))
    assert copy.config == fx.config
    a = fx.extract(Article(id="1", text="社区开展活动"), position=0)
    b = copy.extract(Article(id="1", text="社区开展活动"), position=0)
    assert (a.shingles == b.shingles).all() and a.specifics == b.specifics


def test_a_full_token_cache_is_emptied_without_changing_features(monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup.vocabulary import Vocabulary as _Vocabulary

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
    expected = [FeatureExtractor(DedupConfig()).extract(a, position=i) for i, a in enumerate(posts)]
    # A cache smaller than one post: emptied before every post, never in the middle of one.
    monkeypatch.setattr(_Vocabulary, "MAX_ENTRIES", 10)
    small = FeatureExtractor(DedupConfig())
    for _ in range(2):
        got = [small.extract(a, position=i) for i, a in enumerate(posts)]
        for g, e in zip(got, expected, strict=True):
            assert g.specifics == e.specifics and g.body_hash == e.body_hash
            assert (g.shingles == e.shingles).all() and (g.sequence == e.sequence).all()


def _same(a: object, b: object) -> bool:
    import numpy as np

    from dedup.features import Features

    assert isinstance(a, Features) and isinstance(b, Features)
    arrays = ("shingles", "lead", "sequence", "paragraphs", "paragraph_bounds")
    scalars = ("position", "id", "account", "length", "n_words", "body_hash", "specifics")
    return all(
        np.array_equal(getattr(a, f), getattr(b, f)) and getattr(a, f).dtype == getattr(b, f).dtype for f in arrays
    ) and all(getattr(a, f) == getattr(b, f) for f in scalars)


_MIXED_POSTS = [
    # paragraphs, blank lines, a title with specifics, runs that split into several
    # words (www.gov.cn, COVID-19), an empty body, a post shorter than one shingle
    Article(
        id="a",
        title="【社区动态】6月12日荷叶塘社区开展垃圾分类宣传",
        text="6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者发放宣传资料200余份。\n\n"
        "详情见www.gov.cn，咨询电话0731-84123456。\n居民纷纷表示，将从自身做起，做好垃圾分类。",
        account="荷叶塘社区",
    ),
    Article(id="b", text="", title="山水湾社区消防演练"),
    Article(id="c", text="活动", account="岳麓街道"),
    Article(
        id="d",
        text="COVID-19疫苗接种点设在社区卫生服务中心。\n接种时间为每周一至周五，共有38名医护人员参加保障。\n"
        "\n\n湖光社区组织老年人参观红色教育基地，重温入党誓词。",
        account="湖光社区",
    ),
]


@pytest.mark.parametrize("options", [{}, {"scheme": "affine64"}, {"tokenizer": "char"}, {"ngram_size": 1}])
def test_a_chunk_gives_the_features_of_each_post_alone(options: dict[str, object]) -> None:
    config = DedupConfig(**options)  # type: ignore[arg-type]
    alone = [FeatureExtractor(config).extract(a, position=7 + i) for i, a in enumerate(_MIXED_POSTS)]
    together = FeatureExtractor(config).extract_many(_MIXED_POSTS, start=7)
    assert [f.position for f in together] == [7, 8, 9, 10]
    assert all(_same(t, a) for t, a in zip(together, alone, strict=True))
    # the paragraphs of the first and last posts are found (blank lines count once)
    assert len(together[0].paragraph_bounds) - 1 >= 2 and len(together[3].paragraph_bounds) - 1 >= 2
    assert together[1].n_words == 0 and len(together[1].shingles) == 0


def test_extract_many_takes_normalized_texts_one_per_article() -> None:
    fx = FeatureExtractor(DedupConfig())
    feats = fx.extract_many(_MIXED_POSTS[:2], titles=["", ""], bodies=["社区开展活动", "6月12日"])
    assert feats[0].n_words == 3 and feats[1].specifics == ("12", "6")
    with pytest.raises(ValueError, match="2 articles, 1 titles, 2 bodies"):
        fx.extract_many(_MIXED_POSTS[:2], titles=[""], bodies=["a", "b"])
