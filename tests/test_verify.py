from __future__ import annotations

import pytest

from dedup import Article, DedupConfig, compare
from dedup.features import FeatureExtractor
from dedup.normalize import normalize_with_offsets
from dedup.verify import build_evidence, find_shared_passages

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
    return fx.extract(Article(id=str(i), text=text), index=i)


def test_exact_after_normalization(fx: FeatureExtractor) -> None:
    v = compare(feats(fx, BASE), feats(fx, "关注我们\n" + BASE.replace("，", ",") + "\n编辑：马骏", 1), threshold=0.5)
    assert v.kind == "exact" and v.score == 1.0


def test_truncated_lead_is_contained(fx: FeatureExtractor) -> None:
    v = compare(feats(fx, BASE), feats(fx, BASE[:90] + "…", 1), threshold=0.5)
    assert v.kind == "contained"
    assert v.is_match


def test_template_sibling_is_not_a_match(fx: FeatureExtractor) -> None:
    v = compare(feats(fx, BASE), feats(fx, SIBLING, 1), threshold=0.5)
    assert v.kind == "template"
    assert not v.is_match
    assert v.agreement is not None and v.agreement < 0.6


def test_unrelated_is_below_threshold(fx: FeatureExtractor) -> None:
    v = compare(feats(fx, BASE), feats(fx, OTHER, 1), threshold=0.5)
    assert v.kind is None and v.score < 0.5


def test_compare_is_symmetric(fx: FeatureExtractor) -> None:
    for other in (SIBLING, OTHER, BASE[:100], BASE.split("\n")[0]):
        a, b = feats(fx, BASE), feats(fx, other, 1)
        assert compare(a, b, threshold=0.5) == compare(b, a, threshold=0.5)


def test_threshold_is_the_knob(fx: FeatureExtractor) -> None:
    a = feats(fx, BASE)
    b = feats(fx, BASE.split("\n")[0] + "\n" + OTHER, 1)
    v = compare(a, b, threshold=0.0)
    assert compare(a, b, threshold=min(1.0, v.score + 0.01)).kind is None


def test_shared_passages_survive_reordering() -> None:
    a = normalize_with_offsets(BASE)
    lines = BASE.split("\n")
    reordered = "<p>" + "</p><p>".join([lines[2], lines[0], lines[1]]) + "</p>"
    b = normalize_with_offsets(reordered)
    shared = find_shared_passages(a, b)
    assert len(shared) >= 3
    for (a0, a1), (b0, b1) in shared:
        assert BASE[a0:a1].rstrip("。，") in reordered[b0:b1] or reordered[b0:b1].rstrip("。，") in BASE[a0:a1]


def test_evidence_names_conflicting_specifics(fx: FeatureExtractor) -> None:
    fa, fb = feats(fx, BASE), feats(fx, SIBLING, 1)
    ev = build_evidence(normalize_with_offsets(BASE), normalize_with_offsets(SIBLING), fa.specifics, fb.specifics)
    assert "王建华" in ev.only_a and "刘晓燕" in ev.only_b
    assert ev.shared  # the template sentence is shared
    assert ev.to_dict()["only_a"] == list(ev.only_a)
