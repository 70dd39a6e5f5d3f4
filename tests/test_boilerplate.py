from __future__ import annotations

from dedup import AccountBoilerplate
from dedup.boilerplate import split_sentences


def test_learns_recurring_sentences_per_account() -> None:
    accounts = ["甲"] * 4 + ["乙"] * 2
    bodies = [
        "[甲局]\n新闻一的内容在这里.甲局高度重视此项工作.",
        "[甲局]\n新闻二的内容不一样.甲局高度重视此项工作.",
        "[甲局]\n新闻三的内容也不同.甲局高度重视此项工作.",
        "新闻四没有页眉.",
        "乙的新闻一.[甲局]",
        "乙的新闻二.",
    ]
    bp = AccountBoilerplate(min_posts=3, min_share=0.0).fit(accounts, bodies)
    assert bp.count("甲") == 2 and bp.count("乙") == 0
    assert bp.is_boilerplate("甲", "[甲局]") and bp.is_boilerplate("甲", "甲局高度重视此项工作.")
    assert not bp.is_boilerplate("甲", "新闻四没有页眉.")
    assert bp.strip("甲", bodies[0]) == "新闻一的内容在这里."
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
    bodies = ["一.页脚文字.", "二.页脚文字.", "三.页脚文字.", "四."]
    a = AccountBoilerplate(min_posts=3, min_share=0.0).fit(accounts, bodies)
    b = AccountBoilerplate(min_posts=3, min_share=0.0).fit_keys(accounts, [post_keys(x) for x in bodies])
    assert [a.strip("甲", x) for x in bodies] == [b.strip("甲", x) for x in bodies] == ["一.", "二.", "三.", "四."]
