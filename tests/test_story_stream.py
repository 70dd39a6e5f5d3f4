"""StoryStream (Deduplicator.check_stream): stories handed out one at a time, evidence computed a batch of stories at a time."""

from __future__ import annotations

import multiprocessing

import pytest

from dedup import Article, DedupConfig, Deduplicator, StoryStream
from dedup.pipeline import Execution

# Workers for every batch, however small, and a task of evidence per few posts.
EAGER = Execution(parallel_min=1, chunk_size=3, verify_chunk=5)


def _notices() -> list[Article]:
    """Made-up notices: reposts of a few events, and siblings from one template (template pairs)."""
    base = "{d}日上午，{u}社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料{n}余份，{p}书记到场指导。"
    posts = []
    for k, (day, unit, n, person) in enumerate(
        [
            (12, "荷叶塘", 200, "王建华"),
            (15, "山水湾", 150, "李志强"),
            (18, "桃花岭", 320, "周敏"),
            (21, "新民", 90, "黄磊"),
        ]
    ):
        text = "6月" + base.format(d=day, u=unit, n=n, p=person)
        posts.append(Article(id=f"e{k}", text=text, account=f"{unit}社区"))
        posts.append(Article(id=f"e{k}-r1", text="关注我们\n" + text + "\n责任编辑：马骏", account="岳麓街道"))
        posts.append(Article(id=f"e{k}-r2", text=text.replace("，", ",") + "（转载）", account="岳麓区文明办"))
    return posts


@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker", "2-workers"])
def workers(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def _dedup(workers: int, **options: object) -> Deduplicator:
    return Deduplicator(DedupConfig(workers=workers, **options), execution=EAGER)  # type: ignore[arg-type]


@pytest.mark.parametrize("batch_name", ["news", "notices"])
def test_the_stream_is_what_check_returns(workers: int, batch_name: str, news: list[Article]) -> None:
    batch = news if batch_name == "news" else _notices()
    expected = Deduplicator(DedupConfig(workers=1)).check(batch)
    with _dedup(workers).check_stream(batch) as stream:
        assert stream.summary == expected.summary  # known before the first story
        assert len(stream) == len(expected.stories)
        assert tuple(stream) == expected.stories
        assert stream.template_pairs() == expected.template_pairs
    assert _dedup(workers).check(batch) == expected
    assert all(p.evidence is not None for s in expected.stories for p in s.pairs)


def test_template_pairs_asked_first_are_the_same(news: list[Article]) -> None:
    expected = Deduplicator().check(news)
    assert expected.template_pairs
    with _dedup(2).check_stream(news) as stream:
        assert stream.template_pairs() == expected.template_pairs
        assert tuple(stream) == expected.stories
        assert stream.result() == expected  # a second iteration builds the same stories


def test_skeletons_are_the_stories_without_evidence(news: list[Article]) -> None:
    with Deduplicator().check_stream(news) as stream:
        skeletons = list(stream.skeletons())
        stories = list(stream)
    assert [s.ids for s in skeletons] == [s.ids for s in stories]
    assert all(p.evidence is None for s in skeletons for p in s.pairs)
    bare = Deduplicator(DedupConfig(evidence=False)).check(news)
    assert tuple(skeletons) == bare.stories


def test_evidence_is_computed_a_batch_of_stories_at_a_time(workers: int) -> None:
    # Progress reports the evidence stage per task: when the first story is handed out,
    # only the pairs of the first batches of stories have evidence.
    batch = _notices()
    seen: list[tuple[int, int]] = []
    read: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "evidence":
            seen.append((done, total))

    with _dedup(workers).check_stream(batch, progress=progress) as stream:
        assert seen == []  # nothing computed before the stories are read
        for story in stream:
            read.append(len(seen))
            assert story.pairs and all(p.evidence is not None for p in story.pairs)
    # Four stories of three posts, a task each (chunk_size=3); then one for the template pairs.
    assert read == [1, 2, 3, 4]
    total = seen[-1][1]
    assert [d for d, _ in seen] == [2, 4, 6, 8, total] and total > 8


def test_leaving_early_stops_the_workers() -> None:
    with _dedup(2).check_stream(_notices()) as stream:
        first = next(iter(stream))
        assert first.pairs
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("workers", [1, 2])
def test_the_batch_is_left_out_of_garbage_collections_until_the_stream_closes(workers: int) -> None:
    import gc

    with _dedup(workers).check_stream(_notices()) as stream:
        # The articles (and what the check keeps) are frozen while the stories are read.
        assert gc.get_freeze_count() >= len(stream.articles)
        list(stream)
    assert gc.get_freeze_count() == 0


def test_a_stream_never_closed_lets_go_of_the_batch_when_it_is_freed() -> None:
    import gc

    stories = [story.ids for story in _dedup(2).check_stream(_notices())]
    assert stories
    assert gc.get_freeze_count() == 0


def test_a_check_that_fails_midway_lets_go_of_the_batch() -> None:
    import gc

    class Interrupted(Exception):
        pass

    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "candidates":  # after the articles and features are held
            assert gc.get_freeze_count() > 0
            raise Interrupted(stage)

    with pytest.raises(Interrupted):
        _dedup(2).check_stream(_notices(), progress=interrupt)
    assert gc.get_freeze_count() == 0


def test_a_host_programs_frozen_objects_stay_frozen() -> None:
    import gc

    host = [{"k": k} for k in range(1000)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen >= len(host)
        with _dedup(2).check_stream(_notices()) as stream:
            list(stream)
        # The check froze its batch too, and leaves the permanent generation to its owner.
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


def test_without_evidence_nothing_is_computed(news: list[Article]) -> None:
    seen: list[str] = []
    with _dedup(2, evidence=False).check_stream(news, progress=lambda stage, *_: seen.append(stage)) as stream:
        stories = list(stream)
        templates = stream.template_pairs()
    assert "evidence" not in seen
    assert stories and all(p.evidence is None for s in stories for p in s.pairs)
    assert templates and all(p.evidence is None for p in templates)
    assert stream.specifics(stories[0].original) is None


def test_specifics_are_what_each_pair_evidence_lists(news: list[Article]) -> None:
    result = Deduplicator().check(news)
    with Deduplicator().check_stream(news) as stream:
        for pair in [p for s in result.stories for p in s.pairs] + list(result.template_pairs):
            assert pair.evidence is not None
            for post_id, only in ((pair.a, pair.evidence.only_a), (pair.b, pair.evidence.only_b)):
                assert set(stream.specifics(post_id) or ()) == {*pair.evidence.shared_specifics, *only}
        in_no_pair = {a.id for a in news} - {i for s in result.stories for i in s.ids}
        in_no_pair -= {i for p in result.template_pairs for i in (p.a, p.b)}
        assert in_no_pair and all(stream.specifics(i) is None for i in in_no_pair)
        assert stream.specifics("no such id") is None


def test_an_empty_batch_streams_nothing() -> None:
    seen: list[tuple[str, int, int]] = []
    with Deduplicator().check_stream([], progress=lambda *a: seen.append(a)) as stream:
        assert isinstance(stream, StoryStream) and list(stream) == [] and stream.template_pairs() == ()
        assert stream.summary.articles == 0
    assert ("evidence", 0, 0) in seen
