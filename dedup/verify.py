"""Verification of candidate pairs: is this the same story, and how do the posts relate.

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
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from dedup.config import NormalizeConfig
from dedup.features import Features
from dedup.models import Evidence, MatchKind
from dedup.normalize import NormalizedText, canonical_characters, normalize_text, normalize_with_offsets

__all__ = ["Passages", "Verdict", "build_evidence", "compare", "find_shared_passages", "shared_passages"]

#: Below this many shingles on the smaller side, containment is no evidence by itself.
MIN_CONTAINED_SHINGLES = 12
#: Specifics agreement under this (with enough specifics to judge) marks a template pair.
MIN_AGREEMENT = 0.6
#: Specifics needed on the smaller side before agreement is judged.
MIN_SPECIFICS = 3
# Sequence similarity is computed when containment is at least this share of threshold.
_SEQUENCE_ZONE = 0.8
# Specifics agreement is computed when the score is at least this share of threshold.
_AGREEMENT_ZONE = 0.5


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
        The underlying signals, each in [0, 1]. ``sequence`` is only computed when it
        can change the outcome (containment below the threshold but at least 0.8 of
        it) and is 0 otherwise, or when it falls under the threshold.
    agreement : float or None
        Share of the smaller post's specifics found in the other; ``None`` when there
        are too few specifics to judge, or when the score is under half the threshold
        (too far apart for it to matter).
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
    """Size of the intersection of two sorted arrays of distinct values."""
    if len(a) == 0 or len(b) == 0:
        return 0
    if len(a) > len(b):
        a, b = b, a
    # Where each value of a would sit in b; a value past b's end is clipped onto b's
    # last (smaller) value, so it never counts as equal.
    return int(np.count_nonzero(b.take(np.searchsorted(b, a), mode="clip") == a))


def specifics_agreement(a: Collection[str], b: Collection[str]) -> float | None:
    """Share of the smaller specifics set found in the other; ``None`` if too small.

    Examples
    --------
    >>> specifics_agreement(("19", "300", "东营"), ("19", "300", "49", "东营"))
    1.0
    >>> specifics_agreement(("东营",), ("伊沙",)) is None
    True
    """
    if len(a) > len(b):
        a, b = b, a
    if len(a) < MIN_SPECIFICS:
        return None
    return len(set(a).intersection(b)) / len(a)


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
    la, lb = len(a.sequence), len(b.sequence)
    # Cheapest test first: the order-aware word-sequence similarity can only change the
    # outcome when shingle containment alone falls short of the threshold but not far,
    # and when the lengths allow it (2 * LCS / (la + lb) <= 2 * min / (la + lb)).
    if threshold * _SEQUENCE_ZONE <= containment < threshold and la and lb and 2 * min(la, lb) >= threshold * (la + lb):
        # Lists of ints are RapidFuzz's fastest path for non-string sequences.
        sequence = Indel.normalized_similarity(a.sequence.tolist(), b.sequence.tolist(), score_cutoff=threshold)
    score = max(containment, sequence)
    # Specifics only matter for pairs that could join a story (see the pipeline's support
    # factor); far apart posts need no agreement figure.
    agreement = specifics_agreement(a.specifics, b.specifics) if score >= threshold * _AGREEMENT_ZONE else None
    kind: MatchKind | None = None
    if score >= threshold:
        if agreement is not None and agreement < MIN_AGREEMENT:
            kind = "template"
        elif containment >= 0.8 and small <= 0.7 * max(na, nb):
            kind = "contained"
        elif jaccard >= 0.8:
            kind = "near"
        else:
            kind = "rewritten"
    return Verdict(score, kind, jaccard, containment, sequence, agreement)


# ---------------------------------------------------------------------------
# evidence

# A sentence runs to a sentence-final mark; a "." followed by a digit is a decimal point.
_SENTENCE = re.compile(r"(?:[^.!?;。！？；\n]|\.(?=\d))+[.!?;。！？；]?")
# What normalization deletes from inside a passage: whitespace, tags, &nbsp;.
_JUNK = re.compile(r"\s+|</?[A-Za-z][^<>]*>|&nbsp;?|\x00+", re.IGNORECASE)
# Runs of ellipsis marks become one "…" in normalized text.
_ELLIPSIS_RUN = re.compile(r"\.{3,}|…{2,}")
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


class Passages:
    """The sentences of one post, each with its span in the post's original text.

    Spans are found by locating each normalized sentence in the original text after
    the one-to-one character folding (full-width forms, traditional characters,
    punctuation), which keeps every character where it was; a sentence that cannot be
    found that way (it spans HTML markup or collapsed spaces) takes its span from
    :func:`dedup.normalize_with_offsets`, computed only then.

    Parameters
    ----------
    text : str
        The post's original text.
    config : NormalizeConfig
        Normalization options (as used for matching).

    Examples
    --------
    >>> p = Passages("<p>社区开展垃圾分类宣传活动。</p>居民积极参与。")
    >>> [(s, p.text[a:b]) for s, (a, b) in p.sentences]
    [('社区开展垃圾分类宣传活动.', '社区开展垃圾分类宣传活动。'), ('居民积极参与.', '居民积极参与。')]
    """

    __slots__ = ("sentences", "text")

    def __init__(self, text: str, config: NormalizeConfig | None = None) -> None:
        cfg = config if config is not None else NormalizeConfig()
        self.text = text
        normalized = normalize_text(text, cfg)
        # The original, folded character by character, without the whitespace and
        # markup normalization deletes; `where[k]` is the original index of its k-th
        # character.
        canon = _ELLIPSIS_RUN.sub(lambda m: "…" + "\x00" * (len(m.group(0)) - 1), canonical_characters(text, cfg))
        keep = np.ones(len(canon), dtype=bool)
        for m in _JUNK.finditer(canon):
            keep[m.start() : m.end()] = False
        where = np.flatnonzero(keep)
        codes = np.frombuffer(canon.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        skeleton = codes[keep].tobytes().decode("utf-32-le", "surrogatepass")
        exact: NormalizedText | None = None
        found: list[tuple[str, tuple[int, int]]] = []
        pos = 0
        for start, end in _sentences(normalized):
            piece = normalized[start:end]
            bare = "".join(piece.split())
            k = skeleton.find(bare, pos) if bare else -1
            if k >= 0:
                found.append((piece, (int(where[k]), int(where[k + len(bare) - 1]) + 1)))
                pos = k + len(bare)
                continue
            if exact is None:
                exact = normalize_with_offsets(text, cfg)
            found.append((piece, exact.original_span(start, end)))
        self.sentences: list[tuple[str, tuple[int, int]]] = found

    @classmethod
    def from_normalized(cls, normalized: NormalizedText) -> Passages:
        """Build from a :class:`~dedup.NormalizedText` (its offsets give the spans)."""
        self = cls.__new__(cls)
        self.text = ""
        self.sentences = [
            (normalized.text[s:e], normalized.original_span(s, e)) for s, e in _sentences(normalized.text)
        ]
        return self


def shared_passages(
    a: Passages,
    b: Passages,
    *,
    score_cutoff: float = 70.0,
) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """Pairs of sentences the two posts share, as spans into each original text.

    Identical sentences pair up directly; each remaining sentence of ``a`` is matched
    to its most similar sentence of ``b`` by RapidFuzz ``fuzz.ratio`` (0-100 scale), at
    or above ``score_cutoff``, wherever it stands (paragraphs may be reordered).
    """
    if not a.sentences or not b.sentences:
        return ()
    where_b: dict[str, int] = {}
    for j, (piece, _) in enumerate(b.sentences):
        where_b.setdefault(piece, j)
    matched: dict[int, int] = {}
    rest: list[int] = []
    for i, (piece, _) in enumerate(a.sentences):
        found = where_b.get(piece)
        if found is None:
            rest.append(i)
        else:
            matched[i] = found
    if rest:
        texts_b = [piece for piece, _ in b.sentences]
        scores = process.cdist(
            [a.sentences[i][0] for i in rest], texts_b, scorer=fuzz.ratio, score_cutoff=score_cutoff, dtype=np.uint8
        )
        for row_no, i in enumerate(rest):
            row = scores[row_no]
            j = int(row.argmax())
            if row[j] > 0:
                matched[i] = j
    return tuple((a.sentences[i][1], b.sentences[j][1]) for i, j in sorted(matched.items()))


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
    return shared_passages(Passages.from_normalized(a), Passages.from_normalized(b), score_cutoff=score_cutoff)


def _names_first(specific: str) -> tuple[bool, str]:
    # Names and places read better than bare numbers at the head of a list.
    return (specific[:1].isdigit(), specific)


def build_evidence(
    a: NormalizedText | Passages,
    b: NormalizedText | Passages,
    specifics_a: Collection[str],
    specifics_b: Collection[str],
) -> Evidence:
    """Shared passages plus the specifics each side has and the other lacks."""
    pa = a if isinstance(a, Passages) else Passages.from_normalized(a)
    pb = b if isinstance(b, Passages) else Passages.from_normalized(b)
    specifics_a, specifics_b = frozenset(specifics_a), frozenset(specifics_b)
    return Evidence(
        shared=shared_passages(pa, pb),
        shared_specifics=tuple(sorted(specifics_a & specifics_b, key=_names_first)),
        only_a=tuple(sorted(specifics_a - specifics_b, key=_names_first)),
        only_b=tuple(sorted(specifics_b - specifics_a, key=_names_first)),
    )
