"""The verdict store: matches as verdicts, template pairs as arrays, one link per pair."""

from __future__ import annotations

import numpy as np

from dedup import Article, DedupConfig
from dedup.cluster import Link
from dedup.features import FeatureExtractor
from dedup.verdicts import TemplatePairs, VerdictStore

FORM = (
    "{day}上午，{place}社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，"
    "发放宣传资料{n}余份，现场还设置了有奖问答环节，吸引了不少居民参与。"
)


def store() -> VerdictStore:
    config = DedupConfig()
    posts = [
        Article(id="a", text=FORM.format(day="6月1日", place="荷叶塘", n=100)),
        Article(id="b", text=FORM.format(day="6月1日", place="荷叶塘", n=100) + "转自荷叶塘社区。"),
        Article(id="c", text=FORM.format(day="6月9日", place="山水湾", n=300)),
        Article(id="d", text="6月15日，东塘街道举办消防安全演练，邀请消防员讲解灭火器的使用方法和火场逃生知识。"),
    ]
    extractor = FeatureExtractor(config)
    return VerdictStore([extractor.extract(p, position=k) for k, p in enumerate(posts)], config)


def test_template_pairs_come_back_sorted_with_their_scores() -> None:
    pairs = TemplatePairs()
    for i, j, s in ((3, 5, 0.7), (0, 9, 0.9), (0, 2, 0.8)):
        pairs.add(i, j, s)
    found, scores = pairs.arrays()
    assert found.tolist() == [[0, 2], [0, 9], [3, 5]] and scores.tolist() == [0.8, 0.9, 0.7]
    empty, none = TemplatePairs().arrays()
    assert empty.shape == (0, 2) and len(none) == 0


def test_links_are_recorded_once_and_kinds_kept_apart() -> None:
    verdicts = store()
    assert verdicts.link(1, 0) == Link(support=True, veto=False)  # a repost: asked either way round
    assert verdicts.link(0, 2) == Link(support=False, veto=True)  # another event from the template
    assert verdicts.link(0, 3) == Link(support=False, veto=False)
    verdicts.link(2, 0)  # asked again: not compared or recorded twice
    assert list(verdicts.matches) == [(0, 1)] and verdicts.matches[(0, 1)].is_match
    pairs, scores = verdicts.templates.arrays()
    assert pairs.tolist() == [[0, 2]] and 0.0 < scores[0] <= 1.0
    assert verdicts.verdict(2, 0).kind == "template"  # compared again, the same verdict
    assert np.isclose(verdicts.verdict(0, 2).score, scores[0])
