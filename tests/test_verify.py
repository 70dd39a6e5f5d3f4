from __future__ import annotations

import dataclasses

import pytest

from dedup import Article, DedupConfig, Params
from dedup.features import FeatureExtractor
from dedup.steps import link_of
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


# A forum's furniture, the whole scraped body of two different threads.
FORUM = (
    "进入贴吧全吧搜索吧内搜索搜贴搜人进吧搜标签签到排名今日本吧第个签到，本吧因你更精彩，明天继续来努力！"
    "本吧签到人数一键签到成为超级会员，使用一键签到本月漏签次，成为超级会员赠送补签卡，点击日历上漏签日期即可进行补签。"
)


def titled(fx: FeatureExtractor, title: str, text: str, i: int):  # type: ignore[no-untyped-def]
    return fx.extract(Article(id=str(i), title=title, text=text), position=i)


def test_shared_furniture_under_unrelated_headlines_is_no_story(fx: FeatureExtractor) -> None:
    a = titled(fx, "华为手机的桌面备份和锁定在哪里设置_手机吧_百度贴吧", FORUM, 0)
    b = titled(fx, "表演系师哥有问题请留言中央戏剧学院吧_百度贴吧", FORUM + "关注我们", 1)
    v = compare(a, b, config=C50)
    assert v.unanchored and v.kind == "template" and not v.is_match
    assert compare(b, a, config=C50) == swapped(v)


def test_a_new_headline_over_the_same_story_still_matches(fx: FeatureExtractor) -> None:
    # The headline changed, but it names what the (copied) body says.
    a = titled(fx, "荷叶塘社区开展垃圾分类主题宣传活动", BASE, 0)
    b = titled(fx, "志愿者向居民讲解垃圾分类标准 发放分类垃圾桶", BASE + "\n来源：岳麓发布", 1)
    v = compare(a, b, config=C50)
    assert v.is_match and not v.unanchored
    # Without headlines (or with headlines too short to say anything) nothing is anchored.
    assert not compare(feats(fx, FORUM), feats(fx, FORUM + "关注我们", 1), config=C50).unanchored
    short = compare(titled(fx, "通知", FORUM, 0), titled(fx, "公告", FORUM + "关注我们", 1), config=C50)
    assert not short.unanchored and short.is_match


def test_a_short_headline_does_not_hide_furniture_under_a_long_unrelated_one(fx: FeatureExtractor) -> None:
    # One headline of a single word, the other about something the body never says.
    a = titled(fx, "西班牙", FORUM, 0)
    b = titled(fx, "表演系师哥有问题请留言中央戏剧学院", FORUM, 1)
    v = compare(a, b, config=C50)
    assert v.kind == "template" and v.unanchored
    assert compare(b, a, config=C50) == swapped(v)
    # A repost under a one-word headline of a story whose headline its body says is a copy.
    story = titled(fx, "荷叶塘社区开展垃圾分类宣传活动", BASE, 2)
    assert compare(titled(fx, "转发", BASE, 3), story, config=C50).kind == "exact"


def test_title_anchor_is_a_param(fx: FeatureExtractor) -> None:
    a = titled(fx, "华为手机的桌面备份和锁定在哪里设置", FORUM, 0)
    b = titled(fx, "表演系师哥有问题请留言中央戏剧学院", FORUM + "关注我们", 1)
    off = DedupConfig(threshold=0.5, params=dataclasses.replace(DedupConfig().params, min_title_words=0))
    assert compare(a, b, config=off).is_match


def test_identical_furniture_under_unrelated_headlines_is_no_copy(fx: FeatureExtractor) -> None:
    a = titled(fx, "华为手机的桌面备份和锁定在哪里设置", FORUM, 0)
    b = titled(fx, "表演系师哥有问题请留言中央戏剧学院", FORUM, 1)
    v = compare(a, b, config=C50)
    assert v.kind == "template" and v.unanchored and v.score == 1.0
    # The same body reposted under a headline about it (or the same headline) is a copy.
    assert (
        compare(
            titled(fx, "荷叶塘社区开展垃圾分类宣传活动", BASE, 0),
            titled(fx, "志愿者讲解垃圾分类标准", BASE, 1),
            config=C50,
        ).kind
        == "exact"
    )
    assert compare(a, titled(fx, "华为手机的桌面备份和锁定在哪里设置", FORUM, 2), config=C50).kind == "exact"


def test_a_follow_up_recapping_a_report_is_neither_match_nor_veto(
    fx: FeatureExtractor, report_and_follow_up: tuple[str, str]
) -> None:
    report, follow_up = feats(fx, report_and_follow_up[0]), feats(fx, report_and_follow_up[1], 1)
    v = compare(report, follow_up, config=C50)
    assert v.recap and v.kind is None and v.score >= 0.5
    assert compare(follow_up, report, config=C50) == v
    link = link_of(v, C50)
    assert not link.support and not link.veto
    # The test is a param: off, the shared run of words makes the pair a rewrite.
    off = DedupConfig(threshold=0.5, params=Params(min_held_sentences=0.0))
    assert compare(report, follow_up, config=off).kind == "rewritten"
