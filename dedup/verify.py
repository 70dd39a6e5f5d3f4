"""Verification of candidate pairs: is this the same story, and how do the posts relate.

A candidate pair from the LSH step is scored on three signals:

* **shingle overlap**: Jaccard and containment (the share of the smaller post's word
  shingles found in the larger one; catches truncated leads and digests);
* **word-sequence similarity**: RapidFuzz's normalized Indel similarity over the two
  word sequences (order-aware, tolerant of scattered edits);
* **specifics agreement**: the share of the smaller post's numbers, dates, names and
  places found in the other. Same wording with conflicting specifics is a
  ``template`` pair: a different event written from the same template.

The pair score is the larger of containment and sequence similarity, in [0, 1]. The
evidence shown for a pair (shared passages, specifics one side lacks) is built by
:mod:`dedup.evidence`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
from rapidfuzz.distance import Indel

from dedup.arrays import found_in_sorted
from dedup.config import DedupConfig, Params
from dedup.features import Features
from dedup.keys import Conflict, key_conflicts
from dedup.models import MatchKind
from dedup.sentences import SentenceSets, held_sentence_share

__all__ = ["Verdict", "compare", "specifics_agreement", "unanchored_titles"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of comparing two posts.

    Attributes
    ----------
    score : float
        Text similarity in [0, 1].
    kind : MatchKind or None
        ``None`` when the pair is below ``threshold``, or when it is a ``recap``.
    jaccard, containment, sequence : float
        The underlying signals, each in [0, 1]. ``sequence`` is only computed when it
        can change the outcome (containment below the threshold but at least 0.8 of
        it) and is 0 otherwise, or when it falls under the threshold.
    agreement : float or None
        Share of the smaller post's specifics found in the other; ``None`` when there
        are too few specifics to judge, or when the score is under half the threshold
        (too far apart for it to matter).
    conflicts : tuple
        The slots where the posts' event keys differ (:func:`~dedup.keys.key_conflicts`):
        for each, the keys only ``a`` has and those only ``b`` has. Looked for when the
        score reaches the share of the threshold that supports a merge and nothing else
        (the time apart, disagreeing specifics at the threshold) already sets the posts apart: the
        alignment is the costliest step, and template-heavy days pair thousands of posts
        that differ in both (:func:`~dedup.evidence.decisive` finds them for the pairs
        reported).
    apart : bool
        Published further apart than ``params.story_window_days`` (both times known).
    unanchored : bool
        The headlines are about different things and neither body says what the other
        headline does (:func:`unanchored_titles`): shared page furniture, not a story.
    recap : bool
        The posts share wording but neither holds ``params.min_held_sentences`` of the
        other's sentences (:func:`~dedup.sentences.held_sentence_share`): a follow-up
        recapping an earlier report, not a copy or rewrite of it. Looked for, like
        ``conflicts``, when the pair could support a merge and nothing else sets it
        apart, and not for near copies (``jaccard`` at least ``params.near_jaccard``) or
        posts mostly inside the other (``containment`` at least ``params.contained_share``).
        Neither a match nor a veto.
    """

    score: float
    kind: MatchKind | None
    jaccard: float
    containment: float
    sequence: float
    agreement: float | None
    conflicts: tuple[Conflict, ...] = ()
    apart: bool = False
    unanchored: bool = False
    recap: bool = False

    def __reduce__(self) -> tuple[type[Verdict], tuple[Any, ...]]:
        # Workers send a verdict per candidate pair: rebuilt from its values, not
        # through the dataclass's per-field state.
        return Verdict, _verdict_values(self)

    @property
    def is_match(self) -> bool:
        """True when the pair is the same story (any kind but ``template``)."""
        return self.kind is not None and self.kind != "template"


# A Verdict's values in field order (a dataclass with slots lists its fields in __slots__).
_verdict_values = attrgetter(*Verdict.__slots__)


def _overlap(a: np.ndarray, b: np.ndarray) -> int:
    """Size of the intersection of two sorted arrays of distinct values."""
    if len(a) == 0 or len(b) == 0:
        return 0
    if len(a) > len(b):
        a, b = b, a
    return int(np.count_nonzero(found_in_sorted(b, a)))


def specifics_agreement(a: Collection[str], b: Collection[str], *, min_specifics: int = 3) -> float | None:
    """Share of the smaller specifics set found in the other; ``None`` if too small.

    ``None`` when the smaller set has fewer than ``min_specifics`` specifics.

    Examples
    --------
    >>> specifics_agreement(("19", "300", "东营"), ("19", "300", "49", "东营"))
    1.0
    >>> specifics_agreement(("东营",), ("伊沙",)) is None
    True
    """
    if len(a) > len(b):
        a, b = b, a
    if len(a) < min_specifics:
        return None
    return len(set(a).intersection(b)) / len(a)


def compare(a: Features, b: Features, *, config: DedupConfig) -> Verdict:
    """Score a pair of posts and name how they relate.

    Parameters
    ----------
    a, b : Features
        The two posts.
    config : DedupConfig
        ``threshold`` (score in [0, 1] from which the pair is one story) and the
        verification ``params``.

    Returns
    -------
    Verdict
        Symmetric: ``compare(a, b)`` and ``compare(b, a)`` agree.

    Examples
    --------
    >>> from dedup import Article, DedupConfig
    >>> from dedup.features import FeatureExtractor
    >>> fx = FeatureExtractor(DedupConfig())
    >>> text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
    >>> a = fx.extract(Article(id="a", text=text), position=0)
    >>> b = fx.extract(Article(id="b", text="关注我们\\n" + text), position=1)
    >>> compare(a, b, config=DedupConfig()).kind
    'exact'
    """
    return _compare(a, b, config.threshold, config.params)


def _compare(a: Features, b: Features, threshold: float, p: Params) -> Verdict:
    # An exact copy is a copy whenever it was posted (a repost of an old article), unless
    # the one body is page furniture under two headlines about other things.
    if a.body_hash == b.body_hash and a.n_words > 0:
        agreement = specifics_agreement(a.specifics, b.specifics, min_specifics=p.min_specifics)
        if unanchored_titles(a, b, p):
            return Verdict(1.0, "template", 1.0, 1.0, 1.0, agreement, unanchored=True)
        return Verdict(1.0, "exact", 1.0, 1.0, 1.0, agreement)
    inter = _overlap(a.shingles, b.shingles)
    na, nb = len(a.shingles), len(b.shingles)
    union = na + nb - inter
    jaccard = inter / union if union else 0.0
    small = min(na, nb)
    containment = inter / small if small else 0.0
    if small < p.min_contained_shingles:
        containment = jaccard
    sequence = 0.0
    la, lb = len(a.sequence), len(b.sequence)
    # Cheapest test first: the order-aware word-sequence similarity can only change the
    # outcome when shingle containment alone falls short of the threshold but not far,
    # and when the lengths allow it (2 * LCS / (la + lb) <= 2 * min / (la + lb)).
    if (
        threshold * p.sequence_zone <= containment < threshold
        and la
        and lb
        and 2 * min(la, lb) >= threshold * (la + lb)
    ):
        # Lists of ints are RapidFuzz's fastest path for non-string sequences.
        sequence = Indel.normalized_similarity(a.sequence.tolist(), b.sequence.tolist(), score_cutoff=threshold)
    score = max(containment, sequence)
    # Specifics only matter for pairs that could join a story (see the pipeline's support
    # factor); far apart posts need no agreement figure.
    agreement = (
        specifics_agreement(a.specifics, b.specifics, min_specifics=p.min_specifics)
        if score >= threshold * p.agreement_zone
        else None
    )
    # Event keys: the same wording with another day, count, name or title in one of its
    # slots is another event, however similar the rest (a veto, not a share).
    apart = _published_apart(a, b, p)
    disagree = agreement is not None and agreement < p.min_agreement
    # Shared page furniture: bodies alike, headlines about something neither body says.
    unanchored = score >= threshold * p.support_factor and unanchored_titles(a, b, p)
    # Already set apart: published too far apart, or a template pair by its specifics.
    decided = apart or unanchored or (disagree and score >= threshold)
    conflicts = slot_conflicts(a, b, p) if score >= threshold * p.support_factor and not decided else ()
    # (A near copy, or a post mostly inside the other, is one text whatever its sentences:
    # not looked for; the costliest test after the keys.)
    recap = (
        score >= threshold * p.support_factor
        and jaccard < p.near_jaccard
        and containment < p.contained_share
        and not decided
        and not conflicts
        and _recaps(a, b, p)
    )
    kind: MatchKind | None = None
    if score >= threshold and not recap:
        if conflicts or disagree or apart or unanchored:
            kind = "template"
        elif containment >= p.contained_share and small <= p.contained_size * max(na, nb):
            kind = "contained"
        elif jaccard >= p.near_jaccard:
            kind = "near"
        else:
            kind = "rewritten"
    return Verdict(score, kind, jaccard, containment, sequence, agreement, conflicts, apart, unanchored, recap)


def _recaps(a: Features, b: Features, p: Params) -> bool:
    """Neither post holds ``p.min_held_sentences`` of the other's sentences (see :attr:`Verdict.recap`)."""
    if not p.min_held_sentences:
        return False
    x, y = SentenceSets(a, p.sentence_words), SentenceSets(b, p.sentence_words)
    share = held_sentence_share(x, y, held=p.sentence_held)
    return share is not None and share < p.min_held_sentences


def unanchored_titles(a: Features, b: Features, p: Params) -> bool:
    """Tell whether two posts' headlines say they are about different things.

    Both headlines hold content words, the longer at least ``p.min_title_words``, they
    share under ``p.title_overlap`` of the shorter one's, and neither has
    ``p.title_anchor`` of its words in the other post's body. A copy under a new
    headline keeps the story the headline names; two pages whose bodies are the same
    sign-in block or download link do not, even when one headline is a single word
    (two short headlines say too little to tell).

    Examples
    --------
    >>> from dedup import Article, DedupConfig
    >>> from dedup.features import FeatureExtractor
    >>> fx = FeatureExtractor(DedupConfig())
    >>> chrome = "登录后可以签到领取积分，连续签到赠送补签卡，本吧因你更精彩，明天继续来努力。"
    >>> a = fx.extract(Article(id="a", title="华为手机桌面备份在哪里设置_手机吧", text=chrome), position=0)
    >>> b = fx.extract(Article(id="b", title="表演系师哥有问题请留言_艺考吧", text=chrome), position=1)
    >>> unanchored_titles(a, b, DedupConfig().params)
    True
    """
    ta, tb = a.title_words, b.title_words
    least = p.min_title_words
    if not least or not len(ta) or not len(tb) or max(len(ta), len(tb)) < least:
        return False
    if _overlap(ta, tb) >= p.title_overlap * min(len(ta), len(tb)):
        return False
    return bool(
        _found_in(ta, b.sequence) < p.title_anchor * len(ta) and _found_in(tb, a.sequence) < p.title_anchor * len(tb)
    )


def _found_in(values: np.ndarray, sequence: np.ndarray) -> int:
    """How many of ``values`` (distinct) occur in ``sequence`` (a post's words, repeats allowed).

    Sorting the sequence and searching it costs a seventh of ``np.isin``'s hashing on
    a headline against a body.
    """
    if not len(values) or not len(sequence):
        return 0
    return int(np.count_nonzero(found_in_sorted(np.sort(sequence), values)))


def slot_conflicts(a: Features, b: Features, p: Params) -> tuple[Conflict, ...]:
    """:func:`~dedup.keys.key_conflicts` of two posts under ``p``."""
    return tuple(
        key_conflicts(
            a,
            b,
            max_slot=p.max_slot_words,
            name_similarity=p.name_similarity,
            name_recurrence=p.name_recurrence,
            title_similarity=p.title_similarity,
            dateline_days=p.dateline_window_days,
        )
    )


def _published_apart(a: Features, b: Features, p: Params) -> bool:
    """Both published, and further apart than one story's posts appear (exact copies aside)."""
    gap = abs(a.published - b.published)  # nan when either is unknown: never apart
    return bool(gap > p.story_window_days * 86400.0)
