"""The records that flow through the pipeline and come out of it.

:class:`Article` goes in; :class:`DedupResult` (stories of :class:`Post`, with their
:class:`PairMatch` scores and a :class:`Summary`) comes out. All are frozen, slotted
dataclasses with a ``to_dict()`` that gives JSON-ready values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from operator import attrgetter
from typing import Any, Literal

__all__ = [
    "CHINA_TIME",
    "Article",
    "DedupResult",
    "Evidence",
    "IndexMatch",
    "MatchKind",
    "PairMatch",
    "Post",
    "Story",
    "Summary",
    "TemplateFamily",
    "time_key",
]

#: How two posts of one story relate: the same text after normalization (``exact``),
#: the same text with small edits (``near``), one a lead or excerpt of the other
#: (``contained``) or the same event reworded (``rewritten``). ``template`` marks two
#: posts with the same wording but conflicting specifics (names, places, numbers,
#: dates): different events written from one template, never merged into a story.
MatchKind = Literal["exact", "near", "contained", "rewritten", "template"]

#: Times without a zone are read as China Standard Time.
CHINA_TIME = timezone(timedelta(hours=8))


def time_key(when: datetime | None) -> float:
    """Seconds since the epoch of a publication time (naive: China time); unknown is last.

    Examples
    --------
    >>> time_key(None)
    inf
    >>> time_key(datetime(1970, 1, 1, 8, 0))
    0.0
    """
    if when is None:
        return float("inf")
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA_TIME)
    return when.timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """One post as submitted.

    Parameters
    ----------
    id : str
        Unique within a batch; echoed back exactly as given.
    text : str
        The body (raw: HTML and account boilerplate are handled by normalization).
    title : str
        The headline, empty when unknown.
    account : str
        The account or department that posted it, empty when unknown.
    published_at : datetime, optional
        When it was posted; the earliest post of a story is its original.
    source : str, optional
        Where the record came from (file path), for error messages.
    lineno : int, optional
        Line or record number in ``source``.
    extra : Mapping[str, Any]
        Other input fields, kept untouched.

    Examples
    --------
    >>> a = Article(id="1", title="社区开展垃圾分类宣传", text="6月12日上午……", account="荷叶塘社区")
    >>> a.id, a.account
    ('1', '荷叶塘社区')
    """

    id: str
    text: str
    title: str = ""
    account: str = ""
    published_at: datetime | None = None
    source: str | None = None
    lineno: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str):
            msg = f"Article.id must be a str, got {type(self.id).__name__} {self.id!r}"
            raise TypeError(msg)
        if not isinstance(self.text, str):
            msg = f"Article.text must be a str, got {type(self.text).__name__}"
            raise TypeError(msg)

    def __reduce__(self) -> tuple[Callable[..., Article], tuple[Any, ...]]:
        # Pickling a str makes CPython keep its UTF-8 form inside the str for good: an
        # article sent to a spawned worker would hold 2.4x its text's memory in this
        # process from then on. Encoded here, the UTF-8 copy is the pickle's alone.
        text, title = (x.encode("utf-8", "surrogatepass") for x in (self.text, self.title))
        return _article_of, (
            self.id,
            text,
            title,
            self.account,
            self.published_at,
            self.source,
            self.lineno,
            self.extra,
        )


def _article_of(
    post_id: str,
    text: bytes,
    title: bytes,
    account: str,
    published_at: datetime | None,
    source: str | None,
    lineno: int | None,
    extra: Mapping[str, Any],
) -> Article:
    return Article(
        id=post_id,
        text=text.decode("utf-8", "surrogatepass"),
        title=title.decode("utf-8", "surrogatepass"),
        account=account,
        published_at=published_at,
        source=source,
        lineno=lineno,
        extra=extra,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """Why two posts were judged one story (or a template pair).

    Parameters
    ----------
    shared : tuple of ((int, int), (int, int))
        Passages found in both posts, as ``((a_start, a_end), (b_start, b_end))``
        character offsets into each post's original ``text``.
    shared_specifics : tuple of str
        Specifics (numbers, dates, names, places) the two posts agree on.
    only_a, only_b : tuple of str
        Specifics found in one post and not the other. When both are non-empty they
        are the conflicting specifics that make a template pair.
    conflicts : tuple of (str, str)
        The event keys that differ in one slot of the shared wording, as ``(keys of a,
        keys of b)`` joined by ``、`` (:func:`dedup.keys.key_conflicts`): another day,
        count, name or title there makes another event.
    days_apart : int or None
        Whole days between the two publication times, when they are further apart
        than one story's posts appear (``params.story_window_days``); else ``None``.
    headlines_apart : bool
        The headlines are about different things, and neither body says what the other
        headline does (:func:`dedup.verify.unanchored_titles`): the bodies share page
        furniture (a sign-in block, a disclaimer), not a story.
    """

    shared: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()
    shared_specifics: tuple[str, ...] = ()
    only_a: tuple[str, ...] = ()
    only_b: tuple[str, ...] = ()
    conflicts: tuple[tuple[str, str], ...] = ()
    days_apart: int | None = None
    headlines_apart: bool = False

    def __reduce__(self) -> tuple[Callable[..., Evidence], tuple[Any, ...]]:
        # Workers send evidence for every reported pair: rebuilt from its values, not
        # through the dataclass's per-field state (three times the unpickling time).
        return _evidence_of, _evidence_values(self)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "shared": [[[a0, a1], [b0, b1]] for (a0, a1), (b0, b1) in self.shared],
            "shared_specifics": list(self.shared_specifics),
            "only_a": list(self.only_a),
            "only_b": list(self.only_b),
            "conflicts": [list(c) for c in self.conflicts],
            "days_apart": self.days_apart,
            "headlines_apart": self.headlines_apart,
        }

    @property
    def reason(self) -> str | None:
        """What sets a template pair apart, in a few words (``None``: nothing decisive)."""
        if self.conflicts:
            return "; ".join(f"{a} / {b}" for a, b in self.conflicts[:3])
        if self.days_apart is not None:
            return f"published {self.days_apart} days apart"
        if self.headlines_apart:
            return "headlines about different things: shared page furniture"
        if self.only_a or self.only_b:
            return f"{'、'.join(self.only_a[:4]) or '-'} / {'、'.join(self.only_b[:4]) or '-'}"
        return None


# An Evidence's values in field order (a dataclass with slots lists its fields in __slots__).
_evidence_values = attrgetter(*Evidence.__slots__)


def _evidence_of(*values: Any) -> Evidence:
    """An :class:`Evidence` from its values in field order (unpickling; the fields are keyword-only)."""
    return Evidence(**dict(zip(Evidence.__slots__, values, strict=True)))


@dataclass(frozen=True, slots=True, kw_only=True)
class PairMatch:
    """A verified pair of posts.

    Parameters
    ----------
    a, b : str
        The two article ids, ``a`` before ``b`` in input order.
    score : float
        Similarity in [0, 1]; 1 means the same text after normalization.
    kind : MatchKind
        How the two relate.
    evidence : Evidence, optional
        Shared passages and conflicting specifics, when requested.
    """

    a: str
    b: str
    score: float
    kind: MatchKind
    evidence: Evidence | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        d: dict[str, Any] = {"a": self.a, "b": self.b, "score": round(self.score, 4), "kind": self.kind}
        if self.evidence is not None:
            d["evidence"] = self.evidence.to_dict()
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    """A post as listed in a story."""

    id: str
    account: str
    published_at: datetime | None
    title: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "id": self.id,
            "account": self.account,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "title": self.title,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    """One event with several posts.

    Parameters
    ----------
    ids : tuple of str
        Member ids, original first, then by publication time and input order.
    original : str
        The earliest published post (ties broken by input order).
    accounts : tuple of str
        Distinct accounts involved, in order of first appearance in ``ids``.
    posts : tuple of Post
        The members, in the order of ``ids``.
    pairs : tuple of PairMatch
        The verified pairs that hold the story together.
    """

    ids: tuple[str, ...]
    original: str
    accounts: tuple[str, ...]
    posts: tuple[Post, ...]
    pairs: tuple[PairMatch, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "ids": list(self.ids),
            "original": self.original,
            "accounts": list(self.accounts),
            "posts": [p.to_dict() for p in self.posts],
            "pairs": [p.to_dict() for p in self.pairs],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """Batch-level figures.

    Parameters
    ----------
    articles : int
        Articles checked.
    stories : int
        Stories with several posts.
    copies : int
        Posts that are not the original of their story.
    cross_account_stories : int
        Stories whose posts come from more than one account.
    template_pairs : int
        Pairs with the same wording but conflicting specifics (not merged).
    template_families : int
        Families of posts written from one template (:class:`TemplateFamily`).
    skipped : int
        Records skipped as unreadable (``--skip-bad``).
    too_short : int
        Articles shorter than ``min_length`` after normalization, not compared.
    """

    articles: int
    stories: int
    copies: int
    cross_account_stories: int
    template_pairs: int = 0
    template_families: int = 0
    skipped: int = 0
    too_short: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "articles": self.articles,
            "stories": self.stories,
            "copies": self.copies,
            "cross_account_stories": self.cross_account_stories,
            "template_pairs": self.template_pairs,
            "template_families": self.template_families,
            "skipped": self.skipped,
            "too_short": self.too_short,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateFamily:
    """Posts written from one template, each a different event (linked by template pairs).

    Parameters
    ----------
    ids : tuple of str
        The posts, by publication time (unknown last), then id.
    example : str
        The first of them: its title stands for the template in reports.
    title : str
        The example's title ('' when it has none).
    accounts : tuple of str
        The accounts that posted it, sorted.
    first, last : datetime or None
        The earliest and latest publication times known.
    pairs : tuple of PairMatch
        The strongest template pairs inside the family (three at most).
    """

    ids: tuple[str, ...]
    example: str
    title: str
    accounts: tuple[str, ...]
    first: datetime | None
    last: datetime | None
    pairs: tuple[PairMatch, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "posts": len(self.ids),
            "example": self.example,
            "title": self.title,
            "accounts": list(self.accounts),
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "ids": list(self.ids),
            "pairs": [p.to_dict() for p in self.pairs],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupResult:
    """What :meth:`dedup.Deduplicator.check` returns.

    Parameters
    ----------
    stories : tuple of Story
        Stories with two or more posts, ordered by their original's input position.
    summary : Summary
        Batch-level figures.
    template_pairs : tuple of PairMatch
        Pairs judged different events written from one template: the 1,000 strongest
        at most (``summary.template_pairs`` counts them all).
    families : tuple of TemplateFamily
        The posts each template was filled in for, largest first.
    """

    stories: tuple[Story, ...]
    summary: Summary
    template_pairs: tuple[PairMatch, ...] = ()
    families: tuple[TemplateFamily, ...] = ()

    @property
    def has_duplicates(self) -> bool:
        """True when at least one story has several posts."""
        return bool(self.stories)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON document ``dedup check --format json`` prints."""
        return {
            "stories": [s.to_dict() for s in self.stories],
            "template_pairs": [p.to_dict() for p in self.template_pairs],
            "families": [f.to_dict() for f in self.families],
            "summary": self.summary.to_dict(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexMatch:
    """An indexed post that a :meth:`~dedup.DedupIndex.query` matched.

    Parameters
    ----------
    id : str
        The indexed post's id.
    score : float
        Pair score in [0, 1] (as in ``dedup check``).
    kind : MatchKind
        ``exact``, ``near``, ``contained`` or ``rewritten``; ``template`` only when a
        query asked for template pairs.
    account : str
        The indexed post's account.
    evidence : Evidence, optional
        Shared passages and specifics; ``a`` is the query, ``b`` the indexed post.
    """

    id: str
    score: float
    kind: MatchKind
    account: str = ""
    evidence: Evidence | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``id``, ``score``, ``kind`` and, when present, ``evidence``)."""
        d: dict[str, Any] = {"id": self.id, "score": round(self.score, 4), "kind": self.kind}
        if self.evidence is not None:
            d["evidence"] = self.evidence.to_dict()
        return d
