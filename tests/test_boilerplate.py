from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.boilerplate import AccountBoilerplate, post_keys, split_sentences, strip_keys


def test_learns_recurring_sentences_per_account() -> None:
    accounts = ["甲"] * 4 + ["乙"] * 2
    bodies = [
        "[甲局]\n新闻一的内容在这里,这是一段足够长的正文,讲述了本次活动的时间地点和参加人员.甲局高度重视此项工作.",
        "[甲局]\n新闻二的内容不一样,这是一段足够长的正文,讲述了本次活动的时间地点和参加人员.甲局高度重视此项工作.",
        "[甲局]\n新闻三的内容也不同,这是一段足够长的正文,讲述了本次活动的时间地点和参加人员.甲局高度重视此项工作.",
        "新闻四没有页眉.",
        "乙的新闻一.[甲局]",
        "乙的新闻二.",
    ]
    bp = AccountBoilerplate(min_posts=3, min_share=0.0).fit(accounts, bodies)
    assert bp.count("甲") == 2 and bp.count("乙") == 0
    assert bp.is_boilerplate("甲", "[甲局]") and bp.is_boilerplate("甲", "甲局高度重视此项工作.")
    assert not bp.is_boilerplate("甲", "新闻四没有页眉.")
    assert bp.strip("甲", bodies[0]) == "新闻一的内容在这里,这是一段足够长的正文,讲述了本次活动的时间地点和参加人员."
    # another account's text is untouched
    assert bp.strip("乙", bodies[4]) == bodies[4]


def test_posts_without_account_learn_nothing() -> None:
    bp = AccountBoilerplate(min_posts=2, min_share=0.0).fit(["", ""], ["同一句话.", "同一句话."])
    assert bp.strip("", "同一句话.") == "同一句话."


def test_split_sentences() -> None:
    assert split_sentences("一.二!三?\n四…五") == ["一.", "二!", "三?", "四…", "五"]


def test_identical_posts_of_one_account_count_once() -> None:
    bp = AccountBoilerplate(min_posts=3, min_share=0.0).fit(["甲"] * 3, ["同一篇新闻的正文."] * 3)
    assert bp.count("甲") == 0


def test_learning_from_keys_equals_learning_from_bodies() -> None:
    from dedup.boilerplate import post_keys

    accounts = ["甲"] * 4
    long = "的正文足够长,讲述了活动的时间地点和参加人员."
    bodies = [f"一{long}页脚文字.", f"二{long}页脚文字.", f"三{long}页脚文字.", f"四{long}"]
    a = AccountBoilerplate(min_posts=3, min_share=0.0).fit(accounts, bodies)
    b = AccountBoilerplate(min_posts=3, min_share=0.0).fit_keys(accounts, [post_keys(x) for x in bodies])
    assert (
        [a.strip("甲", x) for x in bodies]
        == [b.strip("甲", x) for x in bodies]
        == [f"一{long}", f"二{long}", f"三{long}", f"四{long}"]
    )


def test_near_copies_of_one_account_are_not_stripped_away() -> None:
    story = "6月12日上午荷叶塘社区开展垃圾分类宣传活动.志愿者向居民讲解分类知识.发放宣传资料200余份."
    bodies = [story + "第一版结尾.", story + "第二版结尾.", story + "第三版结尾."]
    bp = AccountBoilerplate(min_posts=3, min_share=0.0).fit(["甲"] * 3, bodies)
    assert bp.count("甲") == 3
    assert [bp.strip("甲", b) for b in bodies] == bodies


@given(st.text(alphabet="新闻正文.!; \n\t\u3000", max_size=60))
@settings(max_examples=300, deadline=None)
def test_stripping_nothing_takes_a_shortcut_with_the_same_result(body: str) -> None:
    # A learned key that no sentence has turns the shortcut off.
    assert strip_keys(body, ()) == strip_keys(body, {0})


def test_strip_with_touched_false_equals_full_strip() -> None:
    accounts = ["甲"] * 3
    bodies = [f"第{i}条新闻的正文内容. 本号编辑部出品." for i in range(3)]
    bp = AccountBoilerplate(min_posts=2, min_share=0.0).fit(accounts, bodies)
    for body in ["另一条新闻的正文. 没有页脚.", "另一条新闻的正文.没有页脚."]:
        assert not bp.touches("甲", post_keys(body))
        assert bp.strip("甲", body, touched=False) == bp.strip("甲", body)
    footer = "又一条新闻的正文内容. 本号编辑部出品."
    assert bp.touches("甲", post_keys(footer))
    assert bp.strip("甲", footer) == "又一条新闻的正文内容."


@given(st.text(alphabet="社区a .。!！?？;；…\n\t", max_size=60))
def test_sentences_are_the_pieces_between_final_marks_and_line_breaks(text: str) -> None:
    # reference: split after every sentence-final mark and at every line break
    reference = [s for s in (p.strip() for p in re.split(r"(?<=[.!?;。！？；…])|\n", text)) if s]
    assert split_sentences(text) == reference
