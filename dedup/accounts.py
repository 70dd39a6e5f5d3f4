"""Per-account copy figures: who publishes first, who copies whom.

An audit of which accounts to merge or close needs, for each account, how many of its
posts repeat something another account published first. :func:`account_stats` gives
those figures per account and :func:`account_pairs` how many stories each pair of
accounts shares (the account × account matrix of the HTML report).

"Earlier" is the order of a story's posts (:attr:`dedup.Story.ids`): the original
first, then by publication time, ties by input order. A post *copies another account*
when an earlier post of its story comes from a different account; its *source* is the
account of the earliest such post. A non-original post whose earlier posts all come
from its own account is a *repeat*. The empty account (unknown) is treated as one
account named ``""``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dedup.exceptions import InputError
from dedup.models import Article, DedupResult, Story

__all__ = ["AccountPair", "AccountStats", "account_pairs", "account_stats", "copy_sources"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountStats:
    """Copy figures of one account over a batch.

    Parameters
    ----------
    account : str
        The account name (``""`` when the input gave none).
    posts : int
        Posts of the account in the batch.
    in_stories : int
        Of those, posts that belong to a story with several posts.
    originals : int
        Posts that are the original (earliest post) of a story with several posts.
    copies : int
        Posts that copy an earlier post of another account.
    repeats : int
        Posts that repeat an earlier post of the same account only.
    copied_by : int
        Posts of other accounts whose source is this account.
    partners : int
        Other accounts sharing at least one story with this one.
    shared_stories : int
        Stories this account shares with at least one other account.

    Examples
    --------
    >>> s = AccountStats(account="岳麓街道", posts=4, in_stories=3, originals=1, copies=2,
    ...                  repeats=0, copied_by=1, partners=2, shared_stories=3)
    >>> s.copy_share
    0.5
    """

    account: str
    posts: int
    in_stories: int
    originals: int
    copies: int
    repeats: int
    copied_by: int
    partners: int
    shared_stories: int

    @property
    def copy_share(self) -> float:
        """Share of the account's posts that copy another account, in [0, 1]."""
        return self.copies / self.posts if self.posts else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``copy_share`` rounded to 4 places)."""
        return {
            "account": self.account,
            "posts": self.posts,
            "in_stories": self.in_stories,
            "originals": self.originals,
            "copies": self.copies,
            "copy_share": round(self.copy_share, 4),
            "repeats": self.repeats,
            "copied_by": self.copied_by,
            "partners": self.partners,
            "shared_stories": self.shared_stories,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountPair:
    """Two accounts that share stories.

    Parameters
    ----------
    a, b : str
        The accounts, ``a < b``.
    stories : int
        Stories with posts from both.
    a_from_b : int
        Posts of ``a`` whose source (earliest earlier post of another account) is ``b``.
    b_from_a : int
        Posts of ``b`` whose source is ``a``.
    """

    a: str
    b: str
    stories: int
    a_from_b: int
    b_from_a: int

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "a": self.a,
            "b": self.b,
            "stories": self.stories,
            "a_from_b": self.a_from_b,
            "b_from_a": self.b_from_a,
        }


def copy_sources(story: Story) -> dict[str, str | None]:
    """For each post of ``story``, the account it copies (``None``: original or repeat).

    Parameters
    ----------
    story : Story
        A story with its posts in order (original first).

    Returns
    -------
    dict of str to str or None
        Post id -> account of the earliest earlier post from a different account.

    Examples
    --------
    >>> from dedup import Post, Story
    >>> posts = tuple(Post(id=i, account=a, published_at=None, title="") for i, a in
    ...               [("1", "荷叶塘社区"), ("2", "荷叶塘社区"), ("3", "岳麓街道")])
    >>> story = Story(ids=("1", "2", "3"), original="1", accounts=("荷叶塘社区", "岳麓街道"),
    ...               posts=posts, pairs=())
    >>> copy_sources(story)
    {'1': None, '2': None, '3': '荷叶塘社区'}
    """
    out: dict[str, str | None] = {}
    first_by_account: list[str] = []  # accounts in order of their first post
    for post in story.posts:
        out[post.id] = next((acc for acc in first_by_account if acc != post.account), None)
        if post.account not in first_by_account:
            first_by_account.append(post.account)
    return out


def _story_accounts(story: Story) -> list[str]:
    seen: list[str] = []
    for post in story.posts:
        if post.account not in seen:
            seen.append(post.account)
    return seen


def account_stats(articles: Iterable[Article], result: DedupResult) -> tuple[AccountStats, ...]:
    """Per-account copy figures for a checked batch.

    Parameters
    ----------
    articles : iterable of Article
        The batch that was checked (needed for each account's total posts).
    result : DedupResult
        What :meth:`dedup.Deduplicator.check` returned for ``articles``.

    Returns
    -------
    tuple of AccountStats
        One per account with at least one post, most copies first (then most posts,
        then by name).

    Raises
    ------
    InputError
        A post of ``result`` is not among ``articles`` (the two do not belong together).

    Examples
    --------
    >>> from dedup import Article, find_duplicates
    >>> text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者讲解分类知识，发放资料200余份。"
    >>> posts = [
    ...     Article(id="1", text=text, account="荷叶塘社区"),
    ...     Article(id="2", text=text, account="岳麓街道"),
    ...     Article(id="3", text="6月15日，山水湾社区举办消防安全演练。", account="岳麓街道"),
    ... ]
    >>> [(s.account, s.posts, s.copies, s.copied_by) for s in account_stats(posts, find_duplicates(posts))]
    [('岳麓街道', 2, 1, 0), ('荷叶塘社区', 1, 0, 1)]
    """
    posts: Counter[str] = Counter()
    known: set[str] = set()
    for article in articles:
        posts[article.account] += 1
        known.add(article.id)
    in_stories: Counter[str] = Counter()
    originals: Counter[str] = Counter()
    copies: Counter[str] = Counter()
    repeats: Counter[str] = Counter()
    copied_by: Counter[str] = Counter()
    shared_stories: Counter[str] = Counter()
    partners: dict[str, set[str]] = {}
    for story in result.stories:
        sources = copy_sources(story)
        for post in story.posts:
            if post.id not in known:
                msg = f"post {post.id!r} of a story is not among the articles; pass the checked batch"
                raise InputError(msg, field="id")
            in_stories[post.account] += 1
            source = sources[post.id]
            if post.id == story.original:
                originals[post.account] += 1
            elif source is None:
                repeats[post.account] += 1
            else:
                copies[post.account] += 1
                copied_by[source] += 1
        accounts = _story_accounts(story)
        if len(accounts) > 1:
            for acc in accounts:
                shared_stories[acc] += 1
                partners.setdefault(acc, set()).update(a for a in accounts if a != acc)
    stats = [
        AccountStats(
            account=acc,
            posts=n,
            in_stories=in_stories[acc],
            originals=originals[acc],
            copies=copies[acc],
            repeats=repeats[acc],
            copied_by=copied_by[acc],
            partners=len(partners.get(acc, ())),
            shared_stories=shared_stories[acc],
        )
        for acc, n in posts.items()
    ]
    stats.sort(key=lambda s: (-s.copies, -s.posts, s.account))
    return tuple(stats)


def account_pairs(result: DedupResult) -> tuple[AccountPair, ...]:
    """How many stories each pair of accounts shares, and who copied whom.

    Parameters
    ----------
    result : DedupResult
        What :meth:`dedup.Deduplicator.check` returned.

    Returns
    -------
    tuple of AccountPair
        Pairs sharing at least one story, most shared stories first (then by name).

    Examples
    --------
    >>> from dedup import Article, find_duplicates
    >>> text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者讲解分类知识，发放资料200余份。"
    >>> posts = [Article(id="1", text=text, account="荷叶塘社区"), Article(id="2", text=text, account="岳麓")]
    >>> [p.to_dict() for p in account_pairs(find_duplicates(posts))]
    [{'a': '岳麓', 'b': '荷叶塘社区', 'stories': 1, 'a_from_b': 1, 'b_from_a': 0}]
    """
    stories: Counter[tuple[str, str]] = Counter()
    copied: Counter[tuple[str, str]] = Counter()  # (copier, source)
    for story in result.stories:
        account_of = {post.id: post.account for post in story.posts}
        accounts = sorted(_story_accounts(story))
        for i, a in enumerate(accounts):
            for b in accounts[i + 1 :]:
                stories[(a, b)] += 1
        for post_id, source in copy_sources(story).items():
            if source is not None:
                copied[(account_of[post_id], source)] += 1
    pairs = [
        AccountPair(a=a, b=b, stories=n, a_from_b=copied[(a, b)], b_from_a=copied[(b, a)])
        for (a, b), n in stories.items()
    ]
    pairs.sort(key=lambda p: (-p.stories, p.a, p.b))
    return tuple(pairs)
