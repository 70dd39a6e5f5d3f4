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

__all__ = ["Link", "UnionFind", "cluster_pairs", "connected_components"]


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
