"""From verified pairs to stories, without chaining unrelated posts through one hub.

Plain connected components merge two stories as soon as one post (a digest, a
compilation) matches a member of each. :func:`cluster_pairs` instead merges groups
greedily, strongest pair first, and only when the newcomer group matches the other
group as a whole: at least ``min_support`` of the cross pairs must support the merge
and none may veto it (a template pair: same wording, conflicting specifics).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import NamedTuple

__all__ = ["Link", "Part", "UnionFind", "cluster_pairs", "cluster_part", "connected_components", "parts_of"]


class UnionFind:
    """Disjoint sets over ``0..n-1`` with path halving and union by size.

    Examples
    --------
    >>> uf = UnionFind(4)
    >>> uf.union(0, 1); uf.union(2, 3); uf.union(1, 3)
    True
    True
    True
    >>> uf.find(0) == uf.find(2)
    True
    """

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        """Return the representative of ``x``'s set."""
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        """Join the sets of ``a`` and ``b``; False if they were already one."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return True


class Link(NamedTuple):
    """How one cross pair bears on a merge."""

    support: bool
    veto: bool


def connected_components(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Groups of ``0..n-1`` joined by ``pairs`` (singletons included), each sorted.

    Examples
    --------
    >>> connected_components(5, [(0, 1), (1, 2), (3, 4)])
    [[0, 1, 2], [3, 4]]
    """
    uf = UnionFind(n)
    for a, b in pairs:
        uf.union(a, b)
    groups: dict[int, list[int]] = {}
    for x in range(n):
        groups.setdefault(uf.find(x), []).append(x)
    return sorted(groups.values(), key=lambda g: g[0])


def cluster_pairs(
    n: int,
    edges: Sequence[tuple[int, int, float]],
    link: Callable[[int, int], Link],
    *,
    order_key: Callable[[int], Hashable] | None = None,
    min_support: float = 0.5,
    max_cross_pairs: int = 400,
    initial: Iterable[Sequence[int]] = (),
) -> list[list[int]]:
    """Cluster ``0..n-1`` from scored edges, group against group.

    Parameters
    ----------
    n : int
        Number of items.
    edges : sequence of (i, j, score)
        Verified pairs; stronger ones are merged first.
    link : callable
        ``link(x, y)`` says whether a cross pair supports or vetoes a merge; called
        for pairs that were not necessarily edges, so it must be able to score any pair.
    order_key : callable, optional
        A stable key per item (e.g. its id) used to break score ties, so the result does
        not depend on input order. Defaults to the item number.
    min_support : float
        Share of cross pairs in [0, 1] that must support a merge.
    max_cross_pairs : int
        Cross pairs examined per merge at most (the members first in ``order_key``
        order); bounds the cost of merging large groups.
    initial : iterable of sequences of int
        Groups known to belong together before any edge (e.g. exact copies); they
        start merged.

    Returns
    -------
    list of list of int
        Groups with two or more members, each sorted, ordered by first member.

    Examples
    --------
    >>> ok = {(0, 1), (1, 2), (0, 2), (2, 3)}
    >>> link = lambda x, y: Link(support=(min(x, y), max(x, y)) in ok, veto=False)
    >>> cluster_pairs(4, [(0, 1, 0.9), (1, 2, 0.8), (2, 3, 0.7)], link)
    [[0, 1, 2]]
    """
    key: Callable[[int], Hashable] = order_key if order_key is not None else (lambda i: i)
    uf = UnionFind(n)
    members: dict[int, list[int]] = {}
    for group in initial:
        if len(group) < 2:
            continue
        for x in group[1:]:
            uf.union(group[0], x)
        members[uf.find(group[0])] = sorted(group, key=key)  # type: ignore[arg-type]

    def ordered(i: int, j: int) -> tuple[Hashable, Hashable]:
        ki, kj = key(i), key(j)
        return (ki, kj) if ki <= kj else (kj, ki)  # type: ignore[operator]

    for i, j, _score in sorted(edges, key=lambda e: (-e[2], ordered(e[0], e[1]))):
        ri, rj = uf.find(i), uf.find(j)
        if ri == rj:
            continue
        gi = members.get(ri, [i])
        gj = members.get(rj, [j])
        if len(gi) > 1 or len(gj) > 1:
            if not _groups_agree(gi, gj, link, key, min_support, max_cross_pairs):
                continue
        else:
            verdict = link(i, j)
            if verdict.veto:
                continue
        uf.union(ri, rj)
        root = uf.find(ri)
        merged = sorted(gi + gj, key=key)  # type: ignore[arg-type]
        members.pop(ri, None)
        members.pop(rj, None)
        members[root] = merged
    groups = [sorted(g) for g in members.values() if len(g) > 1]
    return sorted(groups, key=lambda g: g[0])


def _groups_agree(
    gi: list[int],
    gj: list[int],
    link: Callable[[int, int], Link],
    key: Callable[[int], Hashable],
    min_support: float,
    max_cross_pairs: int,
) -> bool:
    # Sample deterministically when both groups are large: the members first in key
    # order (the lists are kept sorted by key).
    limit = max(1, int(max_cross_pairs**0.5))
    left = gi if len(gi) * len(gj) <= max_cross_pairs else gi[:limit]
    right = gj if len(gi) * len(gj) <= max_cross_pairs else gj[:limit]
    support = total = 0
    for x in left:
        for y in right:
            verdict = link(x, y)
            if verdict.veto:
                return False
            total += 1
            support += verdict.support
    return total > 0 and support >= min_support * total


class Part(NamedTuple):
    """The edges and initial groups of one connected component, over its own items.

    ``items`` are the component's items in increasing order; edges and groups number
    them ``0..len(items)-1`` in that order.
    """

    items: list[int]
    edges: list[tuple[int, int, float]]
    initial: list[list[int]]


def parts_of(n: int, edges: Sequence[tuple[int, int, float]], initial: Iterable[Sequence[int]] = ()) -> list[Part]:
    """Split a clustering into its connected components (of the edges and initial groups).

    :func:`cluster_pairs` merges only along edges and asks ``link`` only for pairs of
    the two groups an edge joins, so each component clusters alone, the same as in the
    whole: clustering each part and numbering its groups' items back gives the groups
    of the whole (a component of one initial group and no edges stays that group).
    Parts come in the order of their smallest item.

    Examples
    --------
    >>> parts = parts_of(6, [(4, 5, 0.9), (0, 2, 0.8)], initial=[[2, 3]])
    >>> [(p.items, p.edges, p.initial) for p in parts]
    [([0, 2, 3], [(0, 1, 0.8)], [[1, 2]]), ([4, 5], [(0, 1, 0.9)], [])]
    """
    uf = UnionFind(n)
    groups = [list(g) for g in initial if len(g) > 1]
    for group in groups:
        for x in group[1:]:
            uf.union(group[0], x)
    for i, j, _ in edges:
        uf.union(i, j)
    touched: dict[int, set[int]] = {}
    for group in groups:
        touched.setdefault(uf.find(group[0]), set()).update(group)
    for i, j, _ in edges:
        touched.setdefault(uf.find(i), set()).update((i, j))
    local: dict[int, int] = {}
    parts: dict[int, Part] = {}
    for root, members in sorted(touched.items(), key=lambda item: min(item[1])):
        items = sorted(members)
        local.update((x, k) for k, x in enumerate(items))
        parts[root] = Part(items, [], [])
    for i, j, score in edges:
        parts[uf.find(i)].edges.append((local[i], local[j], score))
    for group in groups:
        parts[uf.find(group[0])].initial.append([local[x] for x in group])
    return list(parts.values())


def cluster_part(
    part: Part,
    link: Callable[[int, int], Link],
    *,
    order_key: Callable[[int], Hashable] | None = None,
    min_support: float = 0.5,
    max_cross_pairs: int = 400,
) -> list[list[int]]:
    """:func:`cluster_pairs` of one part of :func:`parts_of`, its groups numbered back.

    ``link`` and ``order_key`` take items as the whole numbers them.

    Examples
    --------
    >>> (part,) = parts_of(9, [(7, 8, 0.9), (5, 7, 0.8)])
    >>> cluster_part(part, lambda x, y: Link(support=True, veto=False))
    [[5, 7, 8]]
    """
    items = part.items
    key = order_key if order_key is not None else (lambda i: i)
    found = cluster_pairs(
        len(items),
        part.edges,
        lambda x, y: link(items[x], items[y]),
        order_key=lambda x: key(items[x]),
        initial=part.initial,
        min_support=min_support,
        max_cross_pairs=max_cross_pairs,
    )
    return [[items[x] for x in group] for group in found]
