"""Template families: the posts one template was filled in for, each a different event.

A template-heavy day ("XX社区开展垃圾分类宣传活动" filled in by forty communities) yields
thousands of template pairs, one per two posts of the template. What an editor or an
auditor wants to read is one line per template: how many posts, by how many accounts,
over which days, with a few example pairs. A family is a connected set of posts linked
by template pairs (same wording, another event); it has at least ``min_posts`` posts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from dedup.cluster import UnionFind
from dedup.models import Article, PairMatch, TemplateFamily, time_key
from dedup.stories import id_ranks

__all__ = ["EXAMPLE_PAIRS", "family_groups", "template_families"]

EXAMPLE_PAIRS = 3  # example pairs shown per family


def family_groups(
    batch: Sequence[Article],
    pairs: NDArray[np.int64],
    scores: NDArray[np.float64],
    *,
    min_posts: int,
) -> list[tuple[list[int], list[tuple[tuple[int, int], float]]]]:
    """Families as positions (by publication time, then id) with their example pairs and scores.

    ``pairs`` (shape (k, 2)) are the template pairs and ``scores`` theirs. Families come
    largest first (ties: the first post's id); example pairs are the strongest inside
    each family (ties: the two ids), whatever the input order.
    """
    if not len(pairs) or min_posts < 2:
        return []
    uf = UnionFind(len(batch))
    for i, j in pairs.tolist():
        uf.union(i, j)
    involved = np.unique(pairs)
    roots = np.array([uf.find(i) for i in involved.tolist()], dtype=np.int64)
    root_of = np.full(len(batch), -1, dtype=np.int64)
    root_of[involved] = roots
    sizes = np.bincount(roots, minlength=len(batch))
    pair_root = root_of[pairs[:, 0]]
    wanted = sizes[pair_root] >= min_posts
    # The strongest pairs of each family first: by family, then score, then the two ids.
    rank = id_ranks(batch)
    ra, rb = rank[pairs[:, 0]], rank[pairs[:, 1]]
    order = np.lexsort((np.maximum(ra, rb), np.minimum(ra, rb), -scores, pair_root))
    order = order[wanted[order]]
    examples: dict[int, list[tuple[tuple[int, int], float]]] = {}
    for k in order.tolist():
        found = examples.setdefault(int(pair_root[k]), [])
        if len(found) < EXAMPLE_PAIRS:
            found.append(((int(pairs[k, 0]), int(pairs[k, 1])), float(scores[k])))
    members: dict[int, list[int]] = {}
    for i, root in zip(involved.tolist(), roots.tolist(), strict=True):
        if sizes[root] >= min_posts:
            members.setdefault(root, []).append(i)
    out = []
    for root, group in members.items():
        ordered = sorted(group, key=lambda i: (time_key(batch[i].published_at), batch[i].id))
        out.append((ordered, examples[root]))
    out.sort(key=lambda f: (-len(f[0]), batch[f[0][0]].id))
    return out


def template_families(
    batch: Sequence[Article],
    groups: Sequence[tuple[Sequence[int], Sequence[tuple[int, int]]]],
    pair: Callable[[int, int], PairMatch],
) -> tuple[TemplateFamily, ...]:
    """:class:`~dedup.TemplateFamily` objects of :func:`family_groups`' families."""
    out = []
    for members, examples in groups:
        times = [batch[i].published_at for i in members if batch[i].published_at is not None]
        first = batch[members[0]]
        out.append(
            TemplateFamily(
                ids=tuple(batch[i].id for i in members),
                example=first.id,
                title=first.title,
                accounts=tuple(sorted({batch[i].account for i in members if batch[i].account})),
                first=min(times, key=time_key) if times else None,
                last=max(times, key=time_key) if times else None,
                pairs=tuple(pair(i, j) for i, j in examples),
            )
        )
    return tuple(out)
