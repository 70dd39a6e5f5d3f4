"""Evidence for a pair of posts: the passages they share and the specifics one lacks.

Shared passages are given as character offsets into each post's *original* text, so a
report can highlight them; specifics are listed names and places first.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from functools import cache

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from dedup.config import NormalizeConfig, Params
from dedup.features import Features
from dedup.models import Evidence
from dedup.normalize import (
    NormalizedText,
    blank_bylines,
    blank_markup,
    canonical_characters,
    has_markup,
    invisible_characters,
    is_boilerplate_line,
)
from dedup.verify import Verdict, slot_conflicts

__all__ = [
    "Decision",
    "Passages",
    "build_evidence",
    "decisive",
    "find_shared_passages",
    "in_specific_order",
    "pairs_evidence",
    "shared_passages",
    "specific_order",
    "template_decision",
    "with_decision",
]


# A sentence runs to a sentence-final mark; a "." followed by a digit is a decimal point.
# Leading spaces and commas are not part of it (group 1 is the sentence).
_SENTENCE = re.compile(r"[ ,]*((?:[^.!?;。！？；\n]+|\.(?=\d))+[.!?;。！？；]?)")
# What normalization deletes from inside a passage: whitespace, tags, &nbsp;.
_JUNK = re.compile(r"\s+|</?[A-Za-z][^<>]*>|&nbsp;?|\x00+", re.IGNORECASE)
# Runs of ellipsis marks become one "…" in normalized text.
_ELLIPSIS_RUN = re.compile(r"\.{3,}|…{2,}")
_MIN_PASSAGE = 6


def _sentences(text: str) -> list[tuple[int, int]]:
    return [span for m in _SENTENCE.finditer(text) if (span := m.span(1))[1] - span[0] >= _MIN_PASSAGE]


# Characters a sentence drops, by code point: whitespace, the padding of a collapsed
# ellipsis run, invisible characters (none of them lies outside the BMP).
# Built on first use, not at import (65,536 characters to test).
@cache
def _junk_codes() -> NDArray[np.bool_]:
    table = np.array([ch.isspace() for ch in map(chr, range(0x10000))] + [False])
    table[[0, *map(ord, invisible_characters())]] = True
    table.flags.writeable = False
    return table


def _boilerplate_lines(canon: str, cfg: NormalizeConfig) -> list[tuple[int, int]]:
    """Spans of the lines normalization drops as account boilerplate (编辑：…, 点击关注…)."""
    spans = []
    pos = 0
    for line in canon.split("\n"):
        if line.strip() and is_boilerplate_line(line.replace("\x00", ""), cfg):
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


class Passages:
    """The sentences of one post, each with its span in the post's original text.

    Sentences are cut from the original after the one-to-one steps of normalization
    (markup blanked, characters folded: full-width forms, traditional characters,
    punctuation), which keep every character where it was, so a span is where the
    sentence stands in the original; each sentence drops its whitespace, and the
    sentences of boilerplate lines are left out, as normalization leaves them out.

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

    __slots__ = ("_lookup", "sentences", "text")

    def __init__(self, text: str, config: NormalizeConfig | None = None) -> None:
        cfg = config if config is not None else NormalizeConfig()
        self.text = text
        self._lookup: tuple[dict[str, int], list[str]] | None = None
        # The original with its markup blanked and its characters folded, one for one
        # (an index into it is an index into the original), the rest of an ellipsis run
        # padded; normalization changes nothing else but whitespace and boilerplate
        # lines, so the sentences are cut from it, line breaks ending them.
        blanked = blank_markup(text, cfg) if "\\" in text or has_markup(text, cfg) else text
        folded = canonical_characters(blanked, cfg).replace("\r", "\n")
        canon = (
            _ELLIPSIS_RUN.sub(lambda m: "…" + "\x00" * (len(m.group(0)) - 1), folded)
            if "..." in folded or "……" in folded  # most posts have none: no scan
            else folded
        )
        if cfg.boilerplate:
            canon = blank_bylines(canon)
        codes = np.frombuffer(canon.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        junk = _junk_codes()
        keep = ~junk[np.minimum(codes, len(junk) - 1)]
        skeleton = codes[keep].tobytes().decode("utf-32-le", "surrogatepass")
        kept = keep.tobytes()  # indexing bytes is cheaper than indexing an array
        dropped = _boilerplate_lines(canon, cfg) if cfg.boilerplate else []
        # Lines in text order, so their starts are sorted: a sentence starting inside a
        # dropped line is found by bisection, not by testing every line.
        dropped_starts = [lo for lo, _ in dropped]
        spans = _sentences(canon)
        # Each sentence's start and end in the skeleton: characters kept before them.
        rank = np.concatenate(([0], np.cumsum(keep)))
        edges = np.array(spans, dtype=np.int64).reshape(-1, 2)
        found: list[tuple[str, tuple[int, int]]] = []
        for (start, end), lo, hi in zip(spans, rank[edges[:, 0]].tolist(), rank[edges[:, 1]].tolist(), strict=True):
            line = bisect_right(dropped_starts, start) - 1
            if line >= 0 and start < dropped[line][1]:
                continue
            if hi - lo < _MIN_PASSAGE:
                continue
            while not kept[start]:
                start += 1
            while not kept[end - 1]:
                end -= 1
            found.append((skeleton[lo:hi], (start, end)))
        self.sentences: list[tuple[str, tuple[int, int]]] = found

    @classmethod
    def from_normalized(cls, normalized: NormalizedText) -> Passages:
        """Build from a :class:`~dedup.NormalizedText` (its offsets give the spans)."""
        self = cls.__new__(cls)
        self.text = ""
        self._lookup = None
        self.sentences = [
            ("".join(normalized.text[s:e].split()), normalized.original_span(s, e))
            for s, e in _sentences(normalized.text)
        ]
        return self

    def lookup(self) -> tuple[dict[str, int], list[str]]:
        """Each sentence's first position, and the sentences: built once, for every pair the post is in."""
        if self._lookup is None:
            where: dict[str, int] = {}
            for j, (piece, _) in enumerate(self.sentences):
                where.setdefault(piece, j)
            self._lookup = where, [piece for piece, _ in self.sentences]
        return self._lookup


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
    where_b, texts_b = b.lookup()
    matched: dict[int, int] = {}
    rest: list[int] = []
    for i, (piece, _) in enumerate(a.sentences):
        found = where_b.get(piece)
        if found is None:
            rest.append(i)
        else:
            matched[i] = found
    if rest:
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


def specific_order(specific: str) -> tuple[bool, str]:
    """Sort key of specifics in evidence and reports: names and places before numbers.

    Examples
    --------
    >>> sorted(["12", "荷叶塘", "6"], key=specific_order)
    ['荷叶塘', '12', '6']
    """
    return (specific[:1].isdigit(), specific)


def build_evidence(
    a: NormalizedText | Passages,
    b: NormalizedText | Passages,
    specifics_a: Collection[str],
    specifics_b: Collection[str],
    *,
    score_cutoff: float = 70.0,
) -> Evidence:
    """Shared passages plus the specifics each side has and the other lacks.

    ``score_cutoff`` is RapidFuzz's ``fuzz.ratio`` (0-100) from which two sentences are
    one passage (``params.passage_cutoff``).
    """
    pa = a if isinstance(a, Passages) else Passages.from_normalized(a)
    pb = b if isinstance(b, Passages) else Passages.from_normalized(b)
    specifics_a, specifics_b = frozenset(specifics_a), frozenset(specifics_b)
    return Evidence(
        shared=shared_passages(pa, pb, score_cutoff=score_cutoff),
        shared_specifics=in_specific_order(specifics_a & specifics_b),
        only_a=in_specific_order(specifics_a - specifics_b),
        only_b=in_specific_order(specifics_b - specifics_a),
    )


def pairs_evidence(
    texts: Mapping[int, str],
    specifics: Mapping[int, Collection[str]],
    pairs: Sequence[tuple[int, int]],
    *,
    config: NormalizeConfig,
    score_cutoff: float = 70.0,
) -> list[Evidence]:
    """:func:`build_evidence` of many pairs among a few posts, each post prepared once.

    A story's posts are in several of its pairs: each post's sentences, and its
    specifics in report order, are made once and each pair only compares them.

    Parameters
    ----------
    texts, specifics : mapping of int
        Each post's original text and its specifics, by any key the pairs use.
    pairs : sequence of (int, int)
    config : NormalizeConfig
        Normalization options (as used for matching).
    score_cutoff : float
        As for :func:`build_evidence`.

    Examples
    --------
    >>> texts = {0: "社区开展垃圾分类宣传活动。居民积极参与。", 1: "居民积极参与。"}
    >>> [ev.shared for ev in pairs_evidence(texts, {0: ("荷叶塘",), 1: ()}, [(0, 1)], config=NormalizeConfig())]
    [(((13, 20), (0, 7)),)]
    """
    members = {k for pair in pairs for k in pair}
    # Reposts word for word hold one text: its passages are made once.
    made: dict[str, Passages] = {}
    passages = {}
    for k in members:
        found = made.get(texts[k])
        if found is None:
            found = made[texts[k]] = Passages(texts[k], config)
        passages[k] = found
    ordered = {k: in_specific_order(specifics[k]) for k in members}
    sets = {k: frozenset(specifics[k]) for k in members}
    out = []
    for i, j in pairs:
        a, b = sets[i], sets[j]
        out.append(
            Evidence(
                shared=shared_passages(passages[i], passages[j], score_cutoff=score_cutoff),
                shared_specifics=tuple(x for x in ordered[i] if x in b),
                only_a=tuple(x for x in ordered[i] if x not in b),
                only_b=tuple(x for x in ordered[j] if x not in a),
            )
        )
    return out


def in_specific_order(specifics: Collection[str]) -> tuple[str, ...]:
    """Distinct specifics in report order (:func:`specific_order`): names and places, then numbers.

    A plain sort, then the numbers moved last: no key per item (evidence orders millions).

    Examples
    --------
    >>> in_specific_order(["12", "荷叶塘", "6", "12"])
    ('荷叶塘', '12', '6')
    """
    ordered = sorted(set(specifics))
    return (*[x for x in ordered if not x[:1].isdigit()], *[x for x in ordered if x[:1].isdigit()])


Decision = tuple[tuple[tuple[str, str], ...], int | None, bool]
"""What sets a template pair apart: its conflicting keys (each side joined by ``、``), whole days
apart, and whether the headlines are about different things."""


def template_decision(verdict: Verdict, a: Features, b: Features, params: Params) -> Decision:
    """The conflicting keys, the days apart and the headlines apart of a template pair, from its features.

    A driver that drops features before the evidence is made keeps this instead.
    """
    days = int(abs(a.published - b.published) // 86400) if verdict.apart else None
    # The verdict skips the alignment when another signal already decided: look again.
    conflicts = verdict.conflicts or slot_conflicts(a, b, params)
    return tuple(("、".join(ka), "、".join(kb)) for ka, kb in conflicts), days, verdict.unanchored


def with_decision(evidence: Evidence, decision: Decision | None) -> Evidence:
    """``evidence`` with a template pair's :data:`Decision` (unchanged when ``None``)."""
    if decision is None:
        return evidence
    conflicts, days, headlines = decision
    return replace(evidence, conflicts=conflicts, days_apart=days, headlines_apart=headlines)


def decisive(evidence: Evidence, verdict: Verdict, a: Features, b: Features, params: Params) -> Evidence:
    """``evidence`` with what sets ``a`` and ``b`` apart (a template pair): keys, time, headlines."""
    if verdict.kind != "template":
        return evidence
    return with_decision(evidence, template_decision(verdict, a, b, params))
