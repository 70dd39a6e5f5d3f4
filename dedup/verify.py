"""Verification of candidate pairs: is this the same story, and how do the posts relate?

A candidate pair from the LSH step is scored on three signals:

* **shingle overlap**: Jaccard and containment (the share of the smaller post's word
  shingles found in the larger one; catches truncated leads and digests);
* **word-sequence similarity**: RapidFuzz's normalized Indel similarity over the two
  word sequences (order-aware, tolerant of scattered edits);
* **specifics agreement**: the share of the smaller post's numbers, dates, names and
  places found in the other. Same wording with conflicting specifics is a
  ``template`` pair: a different event written from the same template.

The pair score is the larger of containment and sequence similarity, in [0, 1].
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from dedup.features import Features
from dedup.models import Evidence, MatchKind
from dedup.normalize import NormalizedText

__all__ = ["Verdict", "compare", "find_shared_passages"]

#: Below this many shingles on the smaller side, containment is no evidence by itself.
MIN_CONTAINED_SHINGLES = 12
#: Specifics agreement under this (with enough specifics to judge) marks a template pair.
MIN_AGREEMENT = 0.6
#: Specifics needed on the smaller side before agreement is judged.
MIN_SPECIFICS = 3


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of comparing two posts.

    Attributes
    ----------
    score : float
        Text similarity in [0, 1].
    kind : MatchKind or None
        ``None`` when the pair is below ``threshold``.
    jaccard, containment, sequence : float
        The underlying signals, each in [0, 1].
    agreement : float or None
        Share of the smaller post's specifics found in the other; ``None`` when there
        are too few specifics to judge.
    """

    score: float
    kind: MatchKind | None
    jaccard: float
    containment: float
    sequence: float
    agreement: float | None

    @property
    def is_match(self) -> bool:
        """True when the pair is the same story (any kind but ``template``)."""
        return self.kind is not None and self.kind != "template"


def _overlap(a: np.ndarray, b: np.ndarray) -> int:
    if len(a) == 0 or len(b) == 0:
        return 0
    return int(np.intersect1d(a, b, assume_unique=True).size)


def specifics_agreement(a: frozenset[str], b: frozenset[str]) -> float | None:
    """Share of the smaller specifics set found in the other; ``None`` if too small.

    Examples
    --------
    >>> specifics_agreement(frozenset({"东营", "19", "300"}), frozenset({"东营", "19", "300", "49"}))
    1.0
    >>> specifics_agreement(frozenset({"东营"}), frozenset({"伊沙"})) is None
    True
    """
    small = min(len(a), len(b))
    if small < MIN_SPECIFICS:
        return None
    return len(a & b) / small


def compare(a: Features, b: Features, *, threshold: float) -> Verdict:
    """Score a pair of posts and name how they relate.

    Parameters
    ----------
    a, b : Features
        The two posts.
    threshold : float
        Score in [0, 1] from which the pair is one story.

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
    >>> a = fx.extract(Article(id="a", text=text), index=0)
    >>> b = fx.extract(Article(id="b", text="关注我们\\n" + text), index=1)
    >>> compare(a, b, threshold=0.5).kind
    'exact'
    """
    if a.digest == b.digest and a.n_words > 0:
        return Verdict(1.0, "exact", 1.0, 1.0, 1.0, specifics_agreement(a.specifics, b.specifics))
    inter = _overlap(a.shingles, b.shingles)
    na, nb = len(a.shingles), len(b.shingles)
    union = na + nb - inter
    jaccard = inter / union if union else 0.0
    small = min(na, nb)
    containment = inter / small if small else 0.0
    if small < MIN_CONTAINED_SHINGLES:
        containment = jaccard
    sequence = 0.0
    if len(a.sequence) and len(b.sequence):
        # Lists of ints are RapidFuzz's fastest path for non-string sequences.
        sequence = Indel.normalized_similarity(a.sequence.tolist(), b.sequence.tolist())
    score = max(containment, sequence)
    agreement = specifics_agreement(a.specifics, b.specifics)
    kind: MatchKind | None = None
    if score >= threshold:
        if agreement is not None and agreement < MIN_AGREEMENT:
            kind = "template"
        elif containment >= 0.8 and small <= 0.7 * max(na, nb):
            kind = "contained"
        elif jaccard >= 0.8 or sequence >= 0.9:
            kind = "near"
        else:
            kind = "rewritten"
    return Verdict(score, kind, jaccard, containment, sequence, agreement)


# ---------------------------------------------------------------------------
# evidence

_SENTENCE = re.compile(r"[^.!?;。！？；\n]+[.!?;。！？；]?")
_MIN_PASSAGE = 6


def _sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = m.span()
        while start < end and text[start] in " ,":
            start += 1
        if end - start >= _MIN_PASSAGE:
            spans.append((start, end))
    return spans


def find_shared_passages(
    a: NormalizedText,
    b: NormalizedText,
    *,
    score_cutoff: float = 70.0,
) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """Find the sentences two posts share, as offsets into each original text.

    Each sentence of ``a`` is matched to its most similar sentence of ``b``
    (RapidFuzz ``fuzz.ratio``, 0-100 scale); pairs at or above ``score_cutoff`` are
    shared passages, wherever they stand in either post (paragraphs may be reordered).

    Parameters
    ----------
    a, b : NormalizedText
        The two posts, from :func:`dedup.normalize_with_offsets`.
    score_cutoff : float
        Minimum ``fuzz.ratio`` (0-100) for two sentences to count as one passage.

    Returns
    -------
    tuple of ((a_start, a_end), (b_start, b_end))
        Spans in the *original* texts, in ``a``'s order.

    Examples
    --------
    >>> from dedup.normalize import normalize_with_offsets
    >>> x = normalize_with_offsets("社区开展垃圾分类宣传活动。居民积极参与。")
    >>> y = normalize_with_offsets("<p>居民积极参与。</p>")
    >>> find_shared_passages(x, y)
    (((13, 20), (3, 10)),)
    """
    sa, sb = _sentences(a.text), _sentences(b.text)
    if not sa or not sb:
        return ()
    texts_a = [a.text[s:e] for s, e in sa]
    texts_b = [b.text[s:e] for s, e in sb]
    scores = process.cdist(texts_a, texts_b, scorer=fuzz.ratio, score_cutoff=score_cutoff, dtype=np.uint8)
    out = []
    for i, row in enumerate(scores):
        j = int(row.argmax())
        if row[j] == 0:
            continue
        (s1, e1), (s2, e2) = sa[i], sb[j]
        out.append((a.original_span(s1, e1), b.original_span(s2, e2)))
    return tuple(out)


def _names_first(specific: str) -> tuple[bool, str]:
    # Names and places read better than bare numbers at the head of a list.
    return (any(ch.isdigit() for ch in specific), specific)


def build_evidence(
    a: NormalizedText,
    b: NormalizedText,
    specifics_a: frozenset[str],
    specifics_b: frozenset[str],
) -> Evidence:
    """Shared passages plus the specifics each side has and the other lacks."""
    return Evidence(
        shared=find_shared_passages(a, b),
        shared_specifics=tuple(sorted(specifics_a & specifics_b, key=_names_first)),
        only_a=tuple(sorted(specifics_a - specifics_b, key=_names_first)),
        only_b=tuple(sorted(specifics_b - specifics_a, key=_names_first)),
    )


def compare_many(features: Sequence[Features], pairs: Sequence[tuple[int, int]], *, threshold: float) -> list[Verdict]:
    """Verify many pairs of positions into ``features``."""
    return [compare(features[i], features[j], threshold=threshold) for i, j in pairs]
