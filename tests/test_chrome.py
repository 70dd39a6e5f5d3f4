"""Page chrome: sentences around many different posts are not part of any story."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
from chrome_pages import EVENTS, NOTICE, pages

from dedup import Article, DedupConfig, Deduplicator, Params
from dedup.boilerplate import sentence_key, sentence_run
from dedup.chrome import PostSentences, body_sketch, body_sketches, learn_chrome, post_sentences
from dedup.extraction import Execution


def kinds(posts: list[Article], config: DedupConfig) -> dict[tuple[str, str], str]:
    """The kind of every matched pair, the pair's ids in sorted order."""
    result = Deduplicator(config).check(posts)
    return {tuple(sorted((m.a, m.b))): m.kind for s in result.stories for m in s.pairs}  # type: ignore[misc]


def test_a_copy_without_the_chrome_is_the_same_text() -> None:
    posts = [*pages(), Article(id="copy", text=EVENTS[0], account="公众号")]
    assert kinds(posts, DedupConfig()) == {("copy", "page0"): "exact"}
    # Without learning, the copy is only a part of the page.
    assert kinds(posts, DedupConfig(params=Params(chrome_min_posts=0))) == {("copy", "page0"): "contained"}


def test_chrome_needs_enough_distinct_posts() -> None:
    # Four pages, and the same page twice more (identical posts count once).
    few = pages(4)
    posts = [*few, dataclasses.replace(few[0], id="again1"), dataclasses.replace(few[1], id="again2")]
    posts.append(Article(id="copy", text=EVENTS[0], account="公众号"))
    for min_posts, kind in ((5, "contained"), (4, "exact")):
        got = kinds(posts, DedupConfig(params=Params(chrome_min_posts=min_posts)))
        assert {k for pair, k in got.items() if "copy" in pair} == {kind}


def test_a_story_copied_to_many_accounts_is_not_chrome() -> None:
    # The same story on eight accounts, each with its own short header: what recurs is
    # most of every post, so it stays the story.
    story = (
        "3月20日，县农业农村局在石桥村召开春季农业生产现场会，组织参会人员观摩高标准农田建设和智能育秧工厂，"
        "交流各乡镇备耕经验，部署全年粮食生产任务。"
    )
    posts = [
        Article(id=f"acct{i}", text=f"转自{name}：\n{story}", account=name) for i, name in enumerate("甲乙丙丁戊己庚辛")
    ]
    posts += pages()
    result = Deduplicator(DedupConfig()).check(posts)
    assert [sorted(s.ids) for s in result.stories] == [sorted(f"acct{i}" for i in range(8))]


def test_chrome_is_learned_whatever_the_order() -> None:
    posts = [*pages(), Article(id="copy", text=EVENTS[3], account="公众号")]
    expected = kinds(posts, DedupConfig())
    assert expected == {("copy", "page3"): "exact"}
    rng = random.Random(7)
    for _ in range(3):
        rng.shuffle(posts)
        assert kinds(posts, DedupConfig()) == expected


def test_learn_chrome_counts_identical_posts_once() -> None:
    footer = 99
    # Five posts with the footer, but only two distinct bodies.
    bodies = [10, 10, 10, 11, 11]
    sentences = [[1, footer], [1, footer], [1, footer], [2, footer], [2, footer]]
    posts = post_sentences(bodies, [60] * 5, sentences, [[40, 20]] * 5)
    assert learn_chrome(posts, min_posts=2).keys.tolist() == [footer]
    assert learn_chrome(posts, min_posts=3).keys.tolist() == []


@pytest.mark.parametrize("share", [20, 40])
def test_learn_chrome_keeps_blocks_that_are_most_of_their_posts(share: int) -> None:
    # A recurring sentence of 20 or 40 characters in 60-character posts: a small part, or most.
    posts = post_sentences(list(range(6)), [60] * 6, [[100 + i, 7] for i in range(6)], [[60 - share, share]] * 6)
    expected = [7] if share * 2 <= 60 else []
    assert learn_chrome(posts, min_posts=5).keys.tolist() == expected
    assert np.array_equal(learn_chrome(posts, min_posts=0).keys, np.zeros(0, dtype=np.uint64))


def test_edited_copies_of_a_story_are_not_chrome() -> None:
    # Eight accounts post one story, each dropping one sentence and rewording another:
    # every sentence recurs in most posts, but as part of the same story each time (the
    # sentences recurring in exactly the same posts are a small part of each).
    sentences = [
        "4月8日上午，县委书记带队到城关镇督导春季森林防火工作。",
        "督导组先后来到东山林场、西岭瞭望塔和镇扑火队营地，详细了解防火物资储备和值班值守情况。",
        "督导组要求，各地要严格落实森林防火责任制，加强野外用火管控。",
        "要强化清明节期间的巡山护林，对重点区域实行网格化管理。",
        "要加强扑火队伍建设，确保一旦发生火情能够快速处置。",
        "城关镇负责同志表示，将以此次督导为契机，全面排查整改隐患。",
    ]
    posts = []
    for i, name in enumerate("甲乙丙丁戊己庚辛"):
        kept = [s for k, s in enumerate(sentences) if k != 2 + i % 3]  # sentences without specifics
        kept[i % 5] = kept[i % 5].replace("，", "，切实", 1)
        posts.append(Article(id=f"copy{i}", text="".join(kept), account=f"{name}街道"))
    posts += pages()
    learned = Deduplicator(DedupConfig()).check(posts)
    assert [sorted(s.ids) for s in learned.stories] == [[f"copy{i}" for i in range(8)]]
    unlearned = Deduplicator(DedupConfig(params=Params(chrome_min_posts=0))).check(posts)
    assert kinds(posts, DedupConfig()) == kinds(posts, DedupConfig(params=Params(chrome_min_posts=0)))
    assert learned.stories == unlearned.stories


def test_posts_sketched_on_demand_give_the_same_chrome() -> None:
    # Six pages ending in one notice, a story copied three times, and posts of their own;
    # only the posts holding a sentence of five posts or more need sketching.
    bodies = [f"{event}{NOTICE}" for event in EVENTS]
    bodies += ["社区开展垃圾分类宣传活动志愿者讲解分类知识。"] * 3 + [f"另一篇独立的报道第{i}篇。" for i in range(4)]
    sketches, grams = body_sketches(bodies)
    runs = [sentence_run(b, min_sentence=6) for b in bodies]

    def made(sketched: bool) -> PostSentences:
        posts = post_sentences(
            [sentence_key(b) for b in bodies],
            [len(b) for b in bodies],
            [keys for keys, _ in runs],
            [sizes for _, sizes in runs],
            sketches=sketches,
            grams=grams.tolist(),
        )
        return posts if sketched else dataclasses.replace(posts, sketches=None, grams=None)

    asked: list[list[int]] = []

    def sketch(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        asked.append(positions.tolist())
        return body_sketches([bodies[p] for p in positions.tolist()])

    expected = learn_chrome(made(True), min_posts=5)
    assert expected.keys.tolist() == [sentence_key(NOTICE)]
    assert learn_chrome(made(False), min_posts=5, sketch=sketch).keys.tolist() == expected.keys.tolist()
    assert asked == [list(range(6))]  # the pages with the notice, nothing else
    with pytest.raises(ValueError, match="sketch"):
        learn_chrome(made(False), min_posts=5)


def test_body_sketches_are_each_bodys_sketch() -> None:
    bodies = ["社区开展垃圾分类宣传活动", "", "居民", "志愿者向居民讲解垃圾分类知识" * 3]
    sketches, grams = body_sketches(bodies)
    for k, body in enumerate(bodies):
        one, n = body_sketch(body)
        assert np.array_equal(sketches[k], one) and grams[k] == n


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_chrome_sketched_by_workers_is_the_same(start_method: str) -> None:
    posts = [*pages(), Article(id="copy", text=EVENTS[0], account="公众号")]
    serial = Deduplicator(DedupConfig()).check(posts)
    execution = Execution(parallel_min=1, chunk_size=2, start_method=start_method)  # type: ignore[arg-type]
    parallel = Deduplicator(DedupConfig(workers=2), execution=execution).check(posts)
    assert parallel == serial
    assert [(m.a, m.b, m.kind) for s in parallel.stories for m in s.pairs] == [("page0", "copy", "exact")]
