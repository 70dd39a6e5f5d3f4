"""The typed steps every driver composes: the batch check, the index and the Spark job.

Each concept is defined here once:

* :func:`check_articles`: what makes an input article acceptable (type, unique id,
  ``max_length``);
* :class:`Prepared` / :func:`prepare`: normalizing a post and the keys learned
  boilerplate needs of it (:func:`~dedup.boilerplate.post_keys`);
* :func:`is_comparable`: which posts take part in matching at all;
* :func:`may_pair`: which pairs may be reported (``cross_account_only``);
* :func:`link_of`: how a verified pair bears on merging two groups.

Extraction (:class:`~dedup.features.FeatureExtractor`), signatures
(:func:`~dedup.signature.sign`), candidates (:mod:`dedup.lsh`), verification
(:func:`~dedup.verify.compare`), clustering (:mod:`dedup.cluster`), story assembly
(:mod:`dedup.stories`) and evidence (:mod:`dedup.evidence`) are the other steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from dedup.boilerplate import sentence_key, sentence_run, strip_keys
from dedup.chrome import BodyRun, ChromeModel, body_sketch
from dedup.cluster import Link
from dedup.config import DedupConfig
from dedup.exceptions import DuplicateIdError, InputError
from dedup.models import Article, time_key

if TYPE_CHECKING:
    from dedup.features import FeatureExtractor, Features
    from dedup.verify import Verdict

# One post's figures or a batch's columns of them.
_IntOrArray = int | NDArray[np.int64]
_BoolOrArray = bool | NDArray[np.bool_]

__all__ = [
    "Prepared",
    "check_article",
    "check_articles",
    "checked_articles",
    "enough_text",
    "is_comparable",
    "link_of",
    "may_pair",
    "prepare",
    "time_key",
]


def check_article(article: object, config: DedupConfig) -> Article:
    """An article, or the error that says why it cannot be checked.

    Raises
    ------
    TypeError
        Not an :class:`~dedup.Article`.
    InputError
        Longer than ``config.max_length``.
    """
    if not isinstance(article, Article):
        msg = f"expected Article, got {type(article).__name__}"
        raise TypeError(msg)
    limit = config.max_length
    if len(article.text) > limit:
        msg = f"article is {len(article.text):,} characters, more than max_length {limit:,}"
        raise InputError(msg, path=article.source, lineno=article.lineno, field="text")
    return article


def check_articles(articles: Iterable[object], config: DedupConfig) -> list[Article]:
    """Every article checked (:func:`check_article`), ids unique.

    Raises
    ------
    DuplicateIdError
        Two articles share an id (the error names where the first was seen).

    Examples
    --------
    >>> from dedup import Article, DedupConfig
    >>> check_articles([Article(id="1", text="甲"), Article(id="1", text="乙")], DedupConfig())
    Traceback (most recent call last):
    ...
    dedup.exceptions.DuplicateIdError: field id: duplicate id '1' (first seen at an earlier record)
    """
    return list(checked_articles(articles, config))


def checked_articles(articles: Iterable[object], config: DedupConfig) -> Iterator[Article]:
    """:func:`check_articles` one article at a time, as a batch is read.

    Raises
    ------
    DuplicateIdError
        When the second article with an id comes.

    Examples
    --------
    >>> from dedup import Article, DedupConfig
    >>> found = checked_articles(iter([Article(id="1", text="甲"), Article(id="1", text="乙")]), DedupConfig())
    >>> next(found).text
    '甲'
    >>> next(found)
    Traceback (most recent call last):
    ...
    dedup.exceptions.DuplicateIdError: field id: duplicate id '1' (first seen at an earlier record)
    """
    seen: dict[str, Article] = {}
    for item in articles:
        article = check_article(item, config)
        first = seen.get(article.id)
        if first is not None:
            where = f"{first.source}:{first.lineno}" if first.source else "an earlier record"
            msg = f"duplicate id {article.id!r} (first seen at {where})"
            raise DuplicateIdError(msg, path=article.source, lineno=article.lineno, field="id")
        seen[article.id] = article
        yield article


@dataclass(frozen=True, slots=True)
class Prepared:
    """A post normalized, with what learned boilerplate needs to know of it.

    Attributes
    ----------
    article : Article
    title, body : str
        Normalized title (column labels dropped) and body.
    body_key : int
        :func:`~dedup.boilerplate.sentence_key` of the whole body (identical posts of an
        account count once when learning).
    sentences : ndarray of uint64
        Sorted distinct keys of the body's sentences.
    sizes : ndarray of int64
        Their lengths in characters (the longest occurrence).
    length : int
        Characters of the normalized body.
    sketch, grams
        Its :func:`~dedup.chrome.body_sketch` (page chrome compares posts with them).
    sensitive : bool
        The body changes when its sentences are re-joined (:func:`~dedup.boilerplate.strip_keys`
        with nothing learned), which happens once its account has learned boilerplate.
    """

    article: Article
    title: str
    body: str
    body_key: int
    sentences: NDArray[np.uint64]
    sizes: NDArray[np.int64]
    length: int
    sketch: NDArray[np.uint32]
    grams: int
    sensitive: bool

    def run(self) -> BodyRun:
        """The body as page chrome sees it (:mod:`dedup.chrome`)."""
        return BodyRun(self.body_key, self.sentences, self.sizes, self.length, self.sketch, self.grams)

    def stripped(self, chrome: ChromeModel | None, learned: set[int] | None, *, min_kept: float) -> str:
        """The body without page chrome, then without its account's ``learned`` sentence keys.

        ``learned`` is ``None`` when the account learned nothing; the chrome is stripped
        only from a body that carries some (as :func:`~dedup.extraction.extract_batch` does).
        """
        body = self.body
        if chrome is not None and chrome.touches(self.sentences):
            body = chrome.strip(body)
        if learned is None:
            return body
        return strip_keys(body, learned, min_kept=min_kept)


def prepare(extractor: FeatureExtractor, article: Article) -> Prepared:
    """Normalize a post and compute the keys learned boilerplate and page chrome need of it."""
    config = extractor.config
    title, body = extractor.normalize(article)
    keys, sizes = sentence_run(body, min_sentence=config.params.min_sentence)
    longest: dict[int, int] = {}
    for k, z in zip(keys, sizes, strict=True):
        longest[k] = max(z, longest.get(k, 0))
    distinct = sorted(longest)
    sensitive = strip_keys(body, (), min_kept=config.params.boilerplate_min_kept) != body
    sketch, grams = body_sketch(body)
    return Prepared(
        article,
        title,
        body,
        sentence_key(body),
        np.array(distinct, dtype=np.uint64),
        np.array([longest[k] for k in distinct], dtype=np.int64),
        len(body),
        sketch,
        grams,
        sensitive,
    )


def is_comparable(features: Features, config: DedupConfig) -> bool:
    """Tell whether a post has enough text to be compared (``min_length``, some words)."""
    return bool(enough_text(features.length, features.n_words, config))


def enough_text(length: _IntOrArray, n_words: _IntOrArray, config: DedupConfig) -> _BoolOrArray:
    """The rule of :func:`is_comparable` on body lengths and word counts, one post's or arrays of them.

    Examples
    --------
    >>> enough_text(np.array([3, 40]), np.array([1, 9]), DedupConfig(min_length=10)).tolist()
    [False, True]
    """
    return (length >= config.min_length) & (n_words > 0)


def may_pair(account_a: str, account_b: str, config: DedupConfig) -> bool:
    """Tell whether two posts of these accounts may be reported as a pair.

    With ``cross_account_only``, two posts of one (known) account may not.

    Examples
    --------
    >>> may_pair("甲", "甲", DedupConfig(cross_account_only=True)), may_pair("甲", "乙", DedupConfig())
    (False, True)
    """
    return not (config.cross_account_only and account_a and account_a == account_b)


def link_of(verdict: Verdict, config: DedupConfig) -> Link:
    """How a verified pair bears on merging the two posts' groups.

    It supports a merge when it scores at least ``params.support_factor`` of the
    threshold and its specifics agree, and vetoes one when it is a template pair, or,
    scoring that much, its event keys conflict or it was published too far apart
    (:mod:`dedup.cluster`).
    """
    weak = config.threshold * config.params.support_factor
    conflict = verdict.kind == "template" or (
        verdict.score >= weak and (bool(verdict.conflicts) or verdict.apart or verdict.unanchored)
    )
    # Disagreeing specifics under the threshold are two partial copies as often as two
    # events (each dropped other sentences): no support, no veto.
    disagree = verdict.agreement is not None and verdict.agreement < config.params.min_agreement
    # A recap (a follow-up sharing a report's words, not its sentences): no support, no veto.
    return Link(support=verdict.score >= weak and not conflict and not disagree and not verdict.recap, veto=conflict)
