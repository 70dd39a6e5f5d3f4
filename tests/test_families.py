"""Template families: one line per template filled in for many different events."""

from __future__ import annotations

import json
import random
from datetime import datetime

from dedup import Article, DedupConfig, Deduplicator, Params, TemplateFamily
from dedup.report import iter_render, render

FORM = (
    "{day}上午，{place}社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，"
    "发放宣传资料{n}余份，现场还设置了有奖问答环节，吸引了不少居民参与。"
)
PLACES = ["荷叶塘", "山水湾", "金盆岭", "桂花坪", "东塘"]


def notices() -> list[Article]:
    return [
        Article(
            id=f"n{k}",
            title=f"{place}社区开展垃圾分类宣传",
            text=FORM.format(day=f"6月{k + 1}日", place=place, n=100 + 10 * k),
            account=f"{place}社区",
            published_at=datetime(2024, 6, k + 1, 9),
        )
        for k, place in enumerate(PLACES)
    ]


def families(posts: list[Article], config: DedupConfig | None = None) -> tuple[TemplateFamily, ...]:
    return Deduplicator(config or DedupConfig()).check(posts).families


def test_one_template_filled_in_five_times_is_one_family() -> None:
    result = Deduplicator(DedupConfig()).check(notices())
    assert result.stories == () and result.summary.template_pairs == 10
    assert result.summary.template_families == 1
    (family,) = result.families
    assert family.ids == ("n0", "n1", "n2", "n3", "n4") and family.example == "n0"
    assert family.title == "荷叶塘社区开展垃圾分类宣传"
    assert family.accounts == tuple(sorted(f"{p}社区" for p in PLACES))
    assert family.first == datetime(2024, 6, 1, 9) and family.last == datetime(2024, 6, 5, 9)
    assert len(family.pairs) == 3 and all(p.kind == "template" for p in family.pairs)
    scores = [p.score for p in family.pairs]
    assert scores == sorted(scores, reverse=True)
    assert all(p.evidence is not None and p.evidence.conflicts for p in family.pairs)
    doc = family.to_dict()
    assert doc["posts"] == 5 and doc["first"] == "2024-06-01T09:00:00" and len(doc["pairs"]) == 3


def test_families_do_not_depend_on_input_order() -> None:
    posts = notices()
    expected = [(f.ids, [(p.a, p.b) for p in f.pairs]) for f in families(posts)]
    rng = random.Random(3)
    for _ in range(3):
        rng.shuffle(posts)
        got = [(f.ids, [tuple(sorted((p.a, p.b))) for p in f.pairs]) for f in families(posts)]
        assert got == [(ids, [tuple(sorted(p)) for p in pairs]) for ids, pairs in expected]


def test_a_family_needs_enough_posts() -> None:
    two = notices()[:2]
    assert families(two) == ()
    (family,) = families(two, DedupConfig(params=Params(family_min_posts=2)))
    assert family.ids == ("n0", "n1")


def test_a_repost_joins_its_story_and_the_story_stays_in_the_family() -> None:
    posts = notices()
    posts.append(Article(id="repost", text="转自荷叶塘社区：" + posts[0].text, account="街道办"))
    result = Deduplicator(DedupConfig()).check(posts)
    assert [sorted(s.ids) for s in result.stories] == [["n0", "repost"]]
    (family,) = result.families
    assert {"n0", "n1", "n2", "n3", "n4"} <= set(family.ids)


def test_a_streamed_check_gives_the_same_families_with_their_reasons() -> None:
    config = DedupConfig(params=Params(max_template_pairs=2))  # the examples are not all reported pairs
    whole = Deduplicator(config).check(notices())
    with Deduplicator(config).check_stream(notices()) as stream:
        streamed = stream.families()
        assert stream.result() == whole
    assert streamed == whole.families
    (family,) = streamed
    assert all(p.evidence is not None and p.evidence.reason for p in family.pairs)


def test_reports_list_the_families() -> None:
    result = Deduplicator(DedupConfig()).check(notices())
    table = render(result, "table")
    assert "Template families (one template filled in for different events; not merged): 1" in table
    assert "  5 posts, 5 accounts, 2024-06-01 to 2024-06-05: 荷叶塘社区开展垃圾分类宣传" in table
    assert "(1 template family)" in table.splitlines()[-1]
    with Deduplicator(DedupConfig()).check_stream(notices()) as stream:
        doc = json.loads("".join(iter_render(stream, "json")))
    assert list(doc) == ["stories", "template_pairs", "families", "summary"]
    assert doc["families"] == [f.to_dict() for f in result.families]
    assert doc["summary"]["template_families"] == 1
