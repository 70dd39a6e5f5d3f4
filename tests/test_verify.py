from __future__ import annotations

import dataclasses

import pytest

from dedup import Article, DedupConfig
from dedup.features import FeatureExtractor
from dedup.verify import Verdict, compare

C50 = DedupConfig(threshold=0.5)


def swapped(v: Verdict) -> Verdict:
    """The verdict of the pair in the other order (conflicts list each side's keys)."""
    return dataclasses.replace(v, conflicts=tuple((b, a) for a, b in v.conflicts))


BASE = (
    "6月12日上午，荷叶塘社区联合岳麓区城管局在社区文化广场开展垃圾分类主题宣传活动，社区党委书记王建华、30余名志愿者和200多名居民参加。\n"
    "活动现场，志愿者通过展板讲解、有奖问答和分类游戏等形式，向居民介绍可回收物、有害垃圾、厨余垃圾和其他垃圾的分类标准。\n"
    "社区还为居民发放了分类垃圾桶120个、宣传手册500余份，并在小区东门设置了两处智能回收点。"
)
SIBLING = (
    "6月18日下午，山水湾社区联合望城区城管局在社区邻里中心开展垃圾分类主题宣传活动，社区党委书记刘晓燕、45余名志愿者和350多名居民参加。\n"
    "活动现场，志愿者通过展板讲解、有奖问答和分类游戏等形式，向居民介绍可回收物、有害垃圾、厨余垃圾和其他垃圾的分类标准。\n"
    "社区还为居民发放了分类垃圾桶80个、宣传手册300余份，并在小区南门设置了三处智能回收点。"
)
OTHER = "3月21日，莲花镇在镇中心小学组织开展消防安全应急疏散演练，1200余名师生有序撤离，消防救援站队员讲解了灭火器的使用方法。"


@pytest.fixture(scope="module")
def fx() -> FeatureExtractor:
    return FeatureExtractor(DedupConfig())


def feats(fx: FeatureExtractor, text: str, i: int = 0):  # type: ignore[no-untyped-def]
    return fx.extract(Article(id=str(i), text=text), position=i)


def test_exact_after_normalization(fx: FeatureExtractor) -> None:
    v = compare(feats(fx, BASE), feats(fx, "关注我们\n" + BASE.replace("，", ",") + "\n编辑：马骏", 1), config=C50)
    assert v.kind == "exact" and v.score == 1.0


def test_truncated_lead_is_contained(fx: FeatureExtractor) -> None:
    v = compare(feats(fx, BASE), feats(fx, BASE[:90] + "…", 1), config=C50)
    assert v.kind == "contained"
    assert v.is_match


def test_template_sibling_is_not_a_match(fx: FeatureExtractor) -> None:
    v = compare(feats(fx, BASE), feats(fx, SIBLING, 1), config=C50)
    assert v.kind == "template"
    assert not v.is_match
    assert v.agreement is not None and v.agreement < 0.6


def test_unrelated_is_below_threshold(fx: FeatureExtractor) -> None:
    v = compare(feats(fx, BASE), feats(fx, OTHER, 1), config=C50)
    assert v.kind is None and v.score < 0.5


def test_compare_is_symmetric(fx: FeatureExtractor) -> None:
    for other in (SIBLING, OTHER, BASE[:100], BASE.split("\n")[0]):
        a, b = feats(fx, BASE), feats(fx, other, 1)
        assert compare(a, b, config=C50) == swapped(compare(b, a, config=C50))


def test_threshold_is_the_knob(fx: FeatureExtractor) -> None:
    a = feats(fx, BASE)
    b = feats(fx, BASE.split("\n")[0] + "\n" + OTHER, 1)
    v = compare(a, b, config=DedupConfig(threshold=0.0))
    assert compare(a, b, config=DedupConfig(threshold=min(1.0, v.score + 0.01))).kind is None
