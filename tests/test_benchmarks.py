"""The quality benchmark's own logic (no ../shared data: made-up inputs only)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchmarks.peers import PEERS, UnionFind, char_ngrams
from benchmarks.quality import Labels, _story_key, _wilson, error_analysis, read_judgements

BASE = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
OTHER = "6月15日，山水湾社区举办消防安全演练，邀请消防员讲解灭火器使用方法，居民现场体验灭火操作。"


def test_union_find_groups_only_components_of_two_or_more() -> None:
    uf = UnionFind(5)
    uf.union(0, 3)
    uf.union(3, 4)
    assert uf.groups(["a", "b", "c", "d", "e"]) == [["a", "d", "e"]]


def test_char_ngrams_ignore_whitespace_and_keep_short_texts() -> None:
    assert char_ngrams([("1", "ab c\ndef")]) == [["abcde", "bcdef"]]
    assert char_ngrams([("1", "短"), ("2", "")]) == [["短"], []]


def test_char5_peer_groups_a_copy_and_leaves_an_unrelated_post_alone() -> None:
    records = [("1", BASE), ("2", "关注我们\n" + BASE), ("3", OTHER), ("4", "")]
    result = PEERS["c"].run(records)
    assert result.groups == [["1", "2"]]
    assert set(result.seconds) == {"tokenize", "match", "total"}


def _labels() -> Labels:
    truth = {"o1": "s1", "c1": "s1", "c2": "s1", "t1": "s1t", "o2": "s2"}
    ops = {
        "o1": ("original",),
        "c1": ("retitle",),
        "c2": ("truncate", "shuffle"),
        "t1": ("template_sibling",),
        "o2": ("original",),
    }
    return Labels(truth=truth, sibling={"s1t": "s1"}, ops=ops)


def test_error_analysis_names_missed_posts_and_template_merges() -> None:
    # c2 is cut off from its story; the template sibling t1 is merged into it.
    pred = {"o1": "g0", "c1": "g0", "t1": "g0", "c2": "single:c2", "o2": "single:o2"}
    err = error_analysis(_labels(), pred)
    assert err["true_pairs"] == 3
    assert err["missed_pairs"] == 2
    assert err["false_pairs"] == 2
    assert err["false_pair_kinds"] == {"template sibling": 2}
    assert [(s["id"], s["where"]) for s in err["split_posts"]] == [("c2", "alone")]
    per_op = {row[0]: row[1:] for row in err["per_op"]}
    assert per_op["truncate"] == [2, 2, 0.0]
    assert per_op["retitle"] == [2, 1, 0.5]
    assert err["wrongly_merged_story_sets"] == [["s1", "s1t"]]


def test_error_analysis_tells_a_split_story_from_a_wrong_merge() -> None:
    pred = {"o1": "g0", "c1": "g1", "c2": "g1", "t1": "single:t1", "o2": "single:o2"}
    err = error_analysis(_labels(), pred)
    assert {s["id"]: s["where"] for s in err["split_posts"]} == {
        "c1": "split off with others of its story",
        "c2": "split off with others of its story",
    }
    assert err["false_pairs"] == 0


def test_wilson_interval_brackets_the_observed_share() -> None:
    low, high = _wilson(25, 30)
    assert 0.6 < low < 25 / 30 < high < 0.95
    assert _wilson(0, 0) == (0.0, 1.0)


def test_judgements_are_keyed_by_corpus_and_sorted_ids(tmp_path: Path) -> None:
    path = tmp_path / "j.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["corpus", "story_ids", "verdict", "reason"])
        writer.writerow(["inews", _story_key(["b-2", "a-1"]), "correct", "same event"])
    assert read_judgements(str(path)) == {("inews", "a-1 b-2"): ("correct", "same event")}
    assert read_judgements(str(tmp_path / "missing.csv")) == {}


@pytest.mark.parametrize("key", ["a", "b", "b2", "c", "d"])
def test_every_peer_names_its_package(key: str) -> None:
    peer = PEERS[key]
    assert peer.key == key and peer.label.startswith(f"({key})") and peer.package
