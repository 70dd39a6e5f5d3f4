from __future__ import annotations

import itertools
import random

from dedup.cluster import Link, UnionFind, cluster_pairs, cluster_part, connected_components, parts_of


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


def test_clustering_each_part_is_clustering_the_whole() -> None:
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(1, 40)
        edges = [(i, j, round(rng.random(), 1)) for i, j in itertools.combinations(range(n), 2) if rng.random() < 0.08]
        order = list(range(n))
        rng.shuffle(order)
        initial = [order[k : k + 2] for k in range(0, min(n, 6) - 1, 3)]
        # Support and veto fixed per pair; the calls are counted to check each part asks only its own pairs.
        salt = rng.random()
        asked: list[tuple[int, int]] = []

        def link(x: int, y: int, salt: float = salt, asked: list[tuple[int, int]] = asked) -> Link:
            a, b = min(x, y), max(x, y)
            asked.append((a, b))
            h = random.Random(f"{salt}:{a}:{b}").random()
            return Link(support=h < 0.7, veto=h > 0.9)

        key = {i: f"id{order[i]:03d}" for i in range(n)}.__getitem__
        whole = cluster_pairs(n, edges, link, order_key=key, initial=initial, max_cross_pairs=4)
        asked_whole = sorted(asked)
        asked.clear()
        parts = parts_of(n, edges, initial)
        groups = [g for part in parts for g in cluster_part(part, link, order_key=key, max_cross_pairs=4)]
        assert sorted(groups) == whole
        assert sorted(asked) == asked_whole
        # Every edge and every initial group lands in exactly one part, each item in at most one.
        items = [x for part in parts for x in part.items]
        assert len(items) == len(set(items))
        assert sum(len(part.edges) for part in parts) == len(edges)
