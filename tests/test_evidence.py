from __future__ import annotations

import random
import re
from datetime import datetime

import numpy as np
import pytest

from dedup import Article, DedupConfig, Deduplicator, NormalizeConfig
from dedup.evidence import (
    Passages,
    build_evidence,
    find_shared_passages,
    in_specific_order,
    pairs_evidence,
    shared_passages,
    specific_order,
)
from dedup.features import FeatureExtractor
from dedup.normalize import normalize_with_offsets

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


def test_specifics_are_listed_names_first() -> None:
    assert sorted(["30", "王建华", "12", "荷叶塘"], key=specific_order) == ["王建华", "荷叶塘", "12", "30"]


def test_specifics_in_report_order_whatever_order_they_come_in() -> None:
    # Features hold theirs sorted; any other collection is sorted here. A decimal digit
    # of another script, or a circled one, is a number too.
    items = ["30", "王建华", "①号楼", "12", "荷叶塘", "٣", "30", "A栋"]
    expected = ("A栋", "王建华", "荷叶塘", "12", "30", "٣", "①号楼")
    assert in_specific_order(items) == expected
    assert in_specific_order(tuple(sorted(set(items)))) == expected
    assert in_specific_order(tuple(reversed(sorted(set(items))))) == expected
    assert in_specific_order(()) == () and in_specific_order(("荷叶塘",)) == ("荷叶塘",)


def test_a_sentence_said_twice_pairs_with_its_first_occurrence() -> None:
    said_twice = "社区开展垃圾分类宣传活动。居民积极参与了活动。社区开展垃圾分类宣传活动。"
    a = Passages(said_twice)
    first, second, third = a.spans
    # The first two follow on in both: one passage; the third pairs with the first.
    assert shared_passages(a, Passages(said_twice)) == (
        ((first[0], second[1]), (first[0], second[1])),
        (third, first),
    )
    # A copy: each paragraph one passage, its sentences joined.
    once = Passages(BASE)
    lines = [(m.start(), m.end()) for m in re.finditer("[^\n]+", BASE)]
    assert shared_passages(once, Passages(BASE)) == tuple(zip(lines, lines, strict=True))


def test_template_pairs_name_what_sets_them_apart() -> None:
    form = (
        "{day}上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，"
        "发放宣传资料{n}余份，现场还设置了有奖问答环节，吸引了不少居民参与。"
    )
    posts = [
        Article(id="a", text=form.format(day="6月12日", n=200)),
        Article(id="b", text=form.format(day="6月19日", n=200)),
        Article(id="c", text=form.format(day="5月12日", n=300), published_at=datetime(2024, 5, 12)),
        Article(
            id="d", text=form.format(day="5月12日", n=300) + "活动持续两小时。", published_at=datetime(2024, 9, 12)
        ),
    ]
    result = Deduplicator(DedupConfig()).check(posts)
    assert result.stories == ()
    found = {(p.a, p.b): p.evidence for p in result.template_pairs}
    assert found[("a", "b")] is not None and found[("a", "b")].conflicts == (("12", "19"),)
    assert found[("a", "b")].reason == "12 / 19"
    assert found[("a", "c")] is not None and found[("a", "c")].conflicts == (("6", "5"), ("200", "300"))
    late = found[("c", "d")]
    assert late is not None and late.conflicts == () and late.days_apart == 123
    assert late.reason == "published 123 days apart"
    assert late.to_dict()["days_apart"] == 123 and found[("a", "b")].to_dict()["conflicts"] == [["12", "19"]]


def test_pages_sharing_furniture_say_so() -> None:
    forum = (
        "进入贴吧全吧搜索吧内搜索搜贴搜人进吧搜标签签到排名今日本吧第个签到，本吧因你更精彩，明天继续来努力！"
        "本吧签到人数一键签到成为超级会员，使用一键签到本月漏签次，成为超级会员赠送补签卡，点击日历上漏签日期即可进行补签。"
    )
    posts = [
        Article(id="a", title="华为手机的桌面备份和锁定在哪里设置_手机吧_百度贴吧", text=forum),
        Article(id="b", title="表演系师哥有问题请留言_中央戏剧学院吧_百度贴吧", text=forum + "关注我们"),
    ]
    result = Deduplicator(DedupConfig()).check(posts)
    assert result.stories == ()
    (pair,) = result.template_pairs
    assert pair.evidence is not None and pair.evidence.headlines_apart and pair.evidence.conflicts == ()
    assert pair.evidence.reason == "headlines about different things: shared page furniture"
    assert pair.evidence.to_dict()["headlines_apart"] is True


def test_evidence_of_many_pairs_is_each_pairs_evidence(fx: FeatureExtractor) -> None:
    texts = {0: BASE, 1: SIBLING, 2: "<p>" + BASE.replace("\n", "</p><p>") + "</p>", 3: OTHER}
    specifics = {k: feats(fx, text, k).specifics for k, text in texts.items()}
    pairs = [(0, 1), (0, 2), (2, 1), (3, 0)]
    found = pairs_evidence(texts, specifics, pairs, config=DedupConfig().normalize)
    for (i, j), ev in zip(pairs, found, strict=True):
        assert ev == build_evidence(Passages(texts[i]), Passages(texts[j]), specifics[i], specifics[j])
    assert found[1].shared and not found[1].only_a and not found[1].only_b


def test_passages_are_sentences_with_spans_in_the_original() -> None:
    text = "本报讯（记者 张三） 社区开展活动……居民参加.共计3.5万元!\r\n  ，，编辑：李四\n<p>志愿者讲解分类标准。</p>"
    got = [(piece, text[a:b]) for piece, (a, b) in Passages(text).sentences]
    assert got == [
        ("社区开展活动…居民参加.", "社区开展活动……居民参加."),  # the byline and the run of marks folded away
        ("共计3.5万元!", "共计3.5万元!"),  # a dot before a digit is a decimal point
        ("志愿者讲解分类标准.", "志愿者讲解分类标准。"),  # markup left out; the boilerplate line dropped
    ]
    # Any decimal digit (Unicode Nd) after a dot, one past the BMP too, keeps the sentence whole.
    assert [s for s, _ in Passages("面积约为12.𝟙公顷的公园开放").sentences] == ["面积约为12.𝟙公顷的公园开放"]
    assert Passages("").sentences == [] and Passages("短句。").sentences == []


@pytest.mark.parametrize(
    ("line", "config"),
    [
        # A default pattern, with a hint character; an added one, without.
        ("点击上方蓝字关注我们获取更多资讯", NormalizeConfig()),
        ("本文来自社区融媒体中心供稿", NormalizeConfig(extra_boilerplate=("本文来自.{2,20}供稿",))),
    ],
)
def test_passages_leave_out_the_boilerplate_lines_normalization_drops(line: str, config: NormalizeConfig) -> None:
    text = f"{BASE}\n{line}\n{OTHER}"
    assert line not in normalize_with_offsets(text, config).text
    pieces = Passages(text, config).pieces
    assert len(pieces) == len(Passages(f"{BASE}\n{OTHER}", config).pieces)
    assert not any(line in piece or piece in line for piece in pieces)
    # Without the added pattern the line is text like any other.
    if config.extra_boilerplate:
        assert any(piece.startswith(line) for piece in Passages(text).pieces)


@pytest.mark.parametrize(
    "texts",
    [
        # A byline closing one text runs on over the next one's leading blank lines.
        ["本报讯（记者 张三）", "  \n编辑：张三\n社区开展活动居民积极参与。"],
        # Runs of ellipsis marks meeting at a text boundary, dots of both kinds mixed.
        ["社区开展活动…", "…...居民积极参与活动...", "……居民积极参与....", ".3社区开展活动居民参与"],
        ["", BASE, "\r\n".join(SIBLING.split("\n")), "<p>" + OTHER + "</p>&nbsp;", "点击上方蓝字关注我们\n" + BASE],
    ],
)
def test_passages_of_many_texts_are_each_texts_passages(texts: list[str]) -> None:
    many = Passages.of_texts(texts)
    assert [p.sentences for p in many] == [Passages(t).sentences for t in texts]
    assert [p.text for p in many] == texts


def test_sentences_are_found_as_the_regular_expression_defines_them() -> None:
    # The vectorized finder against its definition, on strings of the characters that matter.
    from dedup.evidence import _classes, _sentence_spans, _sentences

    alphabet = list(" ,.!?;。！？；\n0123456789٣𝟙社区ab\x00…")
    rng = random.Random(3)
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        starts, ends = _sentence_spans(codes, _classes()[np.minimum(codes, 0x10000)])
        assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == _sentences(text), repr(text)
