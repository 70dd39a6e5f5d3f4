from __future__ import annotations

import itertools
import random

from dedup.cluster import Link, UnionFind, cluster_pairs, connected_components


def test_union_find() -> None:
    uf = UnionFind(5)
    assert uf.union(0, 1) and uf.union(3, 4) and not uf.union(1, 0)
    assert uf.find(0) == uf.find(1) != uf.find(3)


def test_connected_components_include_singletons() -> None:
    assert connected_components(4, [(0, 1)]) == [[0, 1], [2], [3]]


def test_a_hub_does_not_chain_two_stories() -> None:
    # 0,1,2 one story; 3,4 another; 5 is a digest matching both stories.
    good = {(0, 1), (0, 2), (1, 2), (3, 4)} | {(i, 5) for i in range(5)}

    def link(x: int, y: int) -> Link:
        return Link(support=(min(x, y), max(x, y)) in good, veto=False)

    edges = [(a, b, 0.9) for a, b in sorted(good)]
    groups = cluster_pairs(6, edges, link)
    assert [0, 1, 2, 3, 4] not in groups
    assert not any({0, 3} <= set(g) for g in groups)
    assert [3, 4] in groups or [3, 4, 5] in groups


def test_components_would_have_chained() -> None:
    pairs = [(0, 1), (0, 5), (3, 5), (3, 4)]
    assert connected_components(6, pairs)[0] == [0, 1, 3, 4, 5]


def test_veto_blocks_merge() -> None:
    def link(x: int, y: int) -> Link:
        return Link(support=True, veto={x, y} == {0, 2})

    groups = cluster_pairs(3, [(0, 1, 0.9), (1, 2, 0.8)], link)
    assert groups == [[0, 1]]


def test_result_does_not_depend_on_edge_order() -> None:
    rng = random.Random(1)
    good = {(a, b) for a, b in itertools.combinations(range(8), 2) if (a < 4) == (b < 4)} | {(3, 4)}

    def link(x: int, y: int) -> Link:
        return Link(support=(min(x, y), max(x, y)) in good, veto=False)

    edges = [(a, b, round(rng.random(), 3)) for a, b in sorted(good)]
    expected = cluster_pairs(8, edges, link)
    for _ in range(10):
        rng.shuffle(edges)
        assert cluster_pairs(8, edges, link) == expected
