"""Template families: the posts one template was filled in for, each a different event.

A template-heavy day ("XX社区开展垃圾分类宣传活动" filled in by forty communities) yields
thousands of template pairs, one per two posts of the template. What an editor or an
auditor wants to read is one line per template: how many posts, by how many accounts,
over which days, with a few example pairs. A family is a connected set of posts linked
by template pairs (same wording, another event); it has at least ``min_posts`` posts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dedup.cluster import UnionFind
from dedup.models import Article, PairMatch, TemplateFamily, time_key

__all__ = ["EXAMPLE_PAIRS", "family_groups", "template_families"]

EXAMPLE_PAIRS = 3  # example pairs shown per family


def family_groups(
    batch: Sequence[Article],
    pairs: Sequence[tuple[int, int]],
    score: Callable[[int, int], float],
    *,
    min_posts: int,
) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """Families as positions (by publication time, then id) with their example pairs.

    Families come largest first (ties: the first post's id); example pairs are the
    strongest inside each family (ties: the two ids), whatever the input order.
    """
    if not pairs or min_posts < 2:
        return []
    uf = UnionFind(len(batch))
    for i, j in pairs:
        uf.union(i, j)
    members: dict[int, list[int]] = {}
    for i in sorted({k for pair in pairs for k in pair}):
        members.setdefault(uf.find(i), []).append(i)
    inside: dict[int, list[tuple[int, int]]] = {}
    for i, j in pairs:
        inside.setdefault(uf.find(i), []).append((i, j))
    out = []
    for root, group in members.items():
        if len(group) < min_posts:
            continue
        ordered = sorted(group, key=lambda i: (time_key(batch[i].published_at), batch[i].id))
        strongest = sorted(inside[root], key=lambda p: (-score(*p), *sorted((batch[p[0]].id, batch[p[1]].id))))
        out.append((ordered, strongest[:EXAMPLE_PAIRS]))
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
