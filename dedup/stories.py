"""Assembling the result: stories from groups of posts, and the summary.

Shared by every driver that groups a batch (the batch check, the Spark job): a story
lists its posts in publication order (the original first), the accounts involved,
and the verified pairs inside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from dedup.models import Article, PairMatch, Post, Story, time_key

__all__ = ["build_story", "id_ranks", "publication_order", "story_accounts"]


def story_accounts(accounts: Sequence[str]) -> tuple[str, ...]:
    """Distinct non-empty accounts, in order of first appearance.

    Examples
    --------
    >>> story_accounts(["甲", "", "乙", "甲"])
    ('甲', '乙')
    """
    out: list[str] = []
    for account in accounts:
        if account and account not in out:
            out.append(account)
    return tuple(out)


def id_ranks(batch: Sequence[Article]) -> NDArray[np.int64]:
    """Each post's rank among the batch's ids (ids are unique): a tie-break free of input order.

    Examples
    --------
    >>> id_ranks([Article(id="b", text="x"), Article(id="a", text="y")]).tolist()
    [1, 0]
    """
    order = sorted(range(len(batch)), key=lambda k: batch[k].id)
    rank = np.empty(len(batch), dtype=np.int64)
    rank[order] = np.arange(len(batch), dtype=np.int64)
    return rank


def publication_order(batch: Sequence[Article], group: Sequence[int]) -> list[int]:
    """Positions of a group by publication time (unknown last), then input position."""
    return sorted(group, key=lambda i: (time_key(batch[i].published_at), i))


def build_story(
    batch: Sequence[Article],
    group: Sequence[int],
    pairs: Sequence[tuple[int, int]],
    pair: Callable[[int, int], PairMatch],
) -> Story:
    """The story of a group of positions; ``pair(i, j)`` gives each verified pair inside it.

    The original is the earliest published post (ties: the one given first).
    """
    members = publication_order(batch, group)
    return Story(
        ids=tuple(batch[i].id for i in members),
        original=batch[members[0]].id,
        accounts=story_accounts([batch[i].account for i in members]),
        posts=tuple(
            Post(id=batch[i].id, account=batch[i].account, published_at=batch[i].published_at, title=batch[i].title)
            for i in members
        ),
        pairs=tuple(pair(i, j) for i, j in pairs),
    )
