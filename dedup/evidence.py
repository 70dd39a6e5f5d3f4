"""Evidence for a pair of posts: the passages they share and the specifics one lacks.

Shared passages are given as character offsets into each post's *original* text, so a
report can highlight them; specifics are listed names and places first.
"""

from __future__ import annotations

import itertools
import operator
import re
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
    BOILERPLATE_HINT_CHARS,
    BOILERPLATE_MAX_LEN,
    NormalizedText,
    blank_bylines,
    blank_markup,
    canonical_codes,
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


# A sentence is a run of characters other than sentence-final marks and line breaks (a
# "." before a digit is a decimal point, not a mark), with the mark that ends it; its
# leading spaces and commas are not part of it. The regular expression is the definition
# (one text: :func:`_sentences`); :func:`_sentence_spans` finds the same spans on the code
# points of many texts at once.
_MARKS = ".!?;。！？；"
_SENTENCE = re.compile(rf"[ ,]*((?:[^{re.escape(_MARKS)}\n]+|\.(?=\d))+[{re.escape(_MARKS)}]?)")
# Runs of ellipsis marks (three dots or more, two "…" or more) become one "…" in
# normalized text.
_ELLIPSIS = ord("…")
# Both kinds of run are found in the text as it was (a run of dots becomes a "…").
_ELLIPSIS_RUNS = ((_ELLIPSIS, 2), (ord("."), 3))
_CR, _LF = ord("\r"), ord("\n")
_FIRST = operator.itemgetter(slice(0, 1))  # a string's first character ("" when empty)
_MIN_PASSAGE = 6


def _sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text`` (of :data:`_MIN_PASSAGE` characters or more).

    For one text the regular expression is faster than numpy (15 against 50 µs a post).
    """
    return [span for m in _SENTENCE.finditer(text) if (span := m.span(1))[1] - span[0] >= _MIN_PASSAGE]


def _sentence_spans(codes: NDArray[np.uint32], classes: NDArray[np.uint8]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Starts and ends of the sentences (:data:`_SENTENCE`, group 1) of a text's code points.

    ``classes`` are the code points' :func:`_classes` flags.

    Each maximal run of sentence characters is one match: it starts at its first
    character other than a space or a comma (its last character if it has none) and
    takes the mark that stops it, unless a line break or the end stopped it.
    """
    n = len(codes)
    stop = (classes & _MARK).astype(bool)
    dots = np.flatnonzero(classes[:-1] & _DOT)
    if len(dots):
        # A "." followed by a decimal digit (the regular expression's \d: any Unicode Nd)
        # is a decimal point.
        digit = (classes[dots + 1] & _DIGIT).astype(bool)
        after = codes[dots + 1]
        if after.max() > 0xFFFF:
            for k in np.flatnonzero(after > 0xFFFF).tolist():
                digit[k] = chr(int(after[k])).isdecimal()
        stop[dots[digit]] = False
    # Sentence characters, padded with a non-sentence character at either end: a run
    # starts where one follows a non-sentence character and ends where the reverse.
    inside = np.zeros(n + 2, dtype=np.int8)
    inside[1:-1] = ~stop & ((classes & _NEWLINE) == 0)
    edges = inside[1:] - inside[:-1]
    run_starts = np.flatnonzero(edges == 1)
    run_ends = np.flatnonzero(edges == -1)
    opening = inside[1:-1] & ((classes & _LEADING) == 0)
    lead = np.flatnonzero(opening)
    # The first opening character at or after each run's start: its number among them.
    at = np.concatenate(([0], np.cumsum(opening, dtype=np.intp)))[run_starts]
    first = lead[np.minimum(at, len(lead) - 1)] if len(lead) else run_ends - 1
    starts = np.where((at < len(lead)) & (first < run_ends), first, run_ends - 1)
    # The mark that stopped a run is part of its sentence.
    stop_padded = np.append(stop, False)
    ends = run_ends + stop_padded[run_ends]
    keep = ends - starts >= _MIN_PASSAGE
    return starts[keep], ends[keep]


# What a code point of the Basic Multilingual Plane is to passages, as bit flags: one
# more entry (0) stands for every code point past it (none is a mark, a line break, a
# space or junk; a decimal digit past it is tested one by one).
_JUNK, _MARK, _NEWLINE, _LEADING, _DIGIT, _DOT, _HINT = 1, 2, 4, 8, 16, 32, 64


@cache
def _classes() -> NDArray[np.uint8]:
    # Built on first use, not at import (65,536 characters to test).
    chars = [chr(c) for c in range(0x10000)]
    table = np.zeros(0x10001, dtype=np.uint8)
    # Junk: what a sentence drops (whitespace, the padding of a collapsed ellipsis run,
    # invisible characters; none of them lies outside the BMP).
    table[[c for c, ch in enumerate(chars) if ch.isspace()]] |= _JUNK
    table[[0, *map(ord, invisible_characters())]] |= _JUNK
    table[[c for c, ch in enumerate(chars) if ch.isdecimal()]] |= _DIGIT
    table[list(map(ord, _MARKS))] |= _MARK
    table[ord(".")] |= _DOT
    table[ord("\n")] |= _NEWLINE
    table[[ord(" "), ord(",")]] |= _LEADING
    # What a boilerplate line has (a hint character, or the E of END/End/end).
    table[list(map(ord, BOILERPLATE_HINT_CHARS + "Ee"))] |= _HINT
    table.flags.writeable = False
    return table


def _cut(texts: Sequence[str], cfg: NormalizeConfig) -> list[tuple[list[str], list[tuple[int, int]]]]:
    """Each text's sentences (without whitespace) and their spans in it; see :class:`Passages`.

    The texts are joined by line breaks, which end sentences, so each step runs once over
    them all; only what can reach past a line break (markup, bylines) is done text by text.
    """
    # Each original with its markup blanked and its characters folded, one for one (an
    # index into it is an index into the original), the rest of an ellipsis run padded;
    # normalization changes nothing else but whitespace and boilerplate lines, so the
    # sentences are cut from it, line breaks ending them.
    blanked = [blank_markup(t, cfg) if "\\" in t or has_markup(t, cfg) else t for t in texts]
    codes = canonical_codes(_code_points("\n".join(blanked)), cfg)
    codes[codes == _CR] = _LF
    for mark, least in _ELLIPSIS_RUNS:
        _collapse_runs(codes, mark, least)
    bases = np.cumsum([0, *(len(t) + 1 for t in texts)])
    folded = codes.tobytes().decode("utf-32-le", "surrogatepass")
    if cfg.boilerplate and "讯" in folded:
        # A byline's trailing whitespace may run on past a line break: blanked text by text.
        parts = [folded[i : j - 1] for i, j in itertools.pairwise(bases.tolist())]
        folded = "\n".join(blank_bylines(part) if "讯" in part else part for part in parts)
        codes = _code_points(folded)
    classes = _classes().take(codes, mode="clip")  # (astral code points: the last entry)
    keep = (classes & _JUNK) == 0
    skeleton = codes[keep].tobytes().decode("utf-32-le", "surrogatepass")
    rank = np.concatenate(([0], np.cumsum(keep)))
    starts, ends = _sentence_spans(codes, classes)
    if cfg.boilerplate and len(starts):
        # Sentences starting inside a line normalization drops are left out (the lines
        # are in text order: the one a sentence may start in is found by bisection).
        lines = _boilerplate_lines(folded, codes, classes, rank, cfg)
        if len(lines):
            line = np.searchsorted(lines[:, 0], starts, side="right") - 1
            out = (line >= 0) & (starts < lines[np.maximum(line, 0), 1])
            starts, ends = starts[~out], ends[~out]
    # Each sentence's start and end in the skeleton: characters kept before them.
    lo, hi = rank[starts], rank[ends]
    long = hi - lo >= _MIN_PASSAGE
    starts, ends, lo, hi = starts[long], ends[long], lo[long], hi[long]
    # Spans trimmed to their first and last kept characters (a sentence keeps one), and
    # made relative to the start of their text: the kept characters before a position
    # number the first kept one from it on.
    kept = np.flatnonzero(keep)
    starts = kept[lo]
    ends = kept[hi - 1] + 1
    owner = np.searchsorted(bases, starts, side="right") - 1
    starts -= bases[owner]
    ends -= bases[owner]
    pieces = [skeleton[i:j] for i, j in zip(lo.tolist(), hi.tolist(), strict=True)]
    spans = list(zip(starts.tolist(), ends.tolist(), strict=True))
    cuts = np.searchsorted(owner, np.arange(len(texts) + 1)).tolist()
    return [(pieces[i:j], spans[i:j]) for i, j in itertools.pairwise(cuts)]


def _boilerplate_lines(
    text: str, codes: NDArray[np.uint32], classes: NDArray[np.uint8], rank: NDArray[np.intp], cfg: NormalizeConfig
) -> NDArray[np.intp]:
    """Spans of the lines normalization drops as account boilerplate (编辑：…, 点击关注…).

    ``rank`` counts the characters kept before each position: a line with more of them
    than boilerplate can have is not tested, nor (unless the config adds patterns) one
    without a hint character. Lines without a kept character hold no sentence.
    """
    breaks = np.flatnonzero(codes == _LF)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.append(breaks, len(codes))
    kept = rank[ends] - rank[starts]
    test = (kept > 0) & (kept <= BOILERPLATE_MAX_LEN)
    if not cfg.extra_boilerplate:
        hints = np.concatenate(([0], np.cumsum((classes & _HINT) != 0, dtype=np.intp)))
        test &= hints[ends] > hints[starts]
    short = np.flatnonzero(test)
    spans = [
        (lo, hi)
        for lo, hi in zip(starts[short].tolist(), ends[short].tolist(), strict=True)
        if (line := text[lo:hi]).strip() and is_boilerplate_line(line.replace("\x00", ""), cfg)
    ]
    return np.array(spans, dtype=np.intp).reshape(-1, 2)


def _code_points(text: str) -> NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()


def _collapse_runs(codes: NDArray[np.uint32], mark: int, least: int) -> None:
    """Runs of ``least`` or more ``mark`` become one "…" padded with NULs, in place."""
    hits = np.flatnonzero(codes == mark)
    if len(hits) < least:
        return
    # Runs of consecutive positions: a run starts where a hit does not follow the previous one.
    first = np.flatnonzero(np.diff(hits, prepend=-2) != 1)
    lengths = np.diff(np.append(first, len(hits)))
    # (sentence-final "." is everywhere in folded text: only the long runs are visited)
    long = lengths >= least
    for at, size in zip(hits[first[long]].tolist(), lengths[long].tolist(), strict=True):
        codes[at] = _ELLIPSIS
        codes[at + 1 : at + size] = 0


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

    __slots__ = ("_lookup", "pieces", "spans", "text")

    def __init__(self, text: str, config: NormalizeConfig | None = None) -> None:
        self.text = text
        self._lookup: tuple[dict[str, int], list[str]] | None = None
        ((self.pieces, self.spans),) = _cut([text], config if config is not None else NormalizeConfig())

    @classmethod
    def of_texts(cls, texts: Sequence[str], config: NormalizeConfig | None = None) -> list[Passages]:
        """The passages of each text, as ``Passages(text, config)`` gives them, cut in one pass.

        Examples
        --------
        >>> [p.sentences for p in Passages.of_texts(["社区开展垃圾分类宣传活动。", "居民积极参与"])]
        [[('社区开展垃圾分类宣传活动.', (0, 13))], [('居民积极参与', (0, 6))]]
        """
        out = []
        for text, (pieces, spans) in zip(texts, _cut(texts, config or NormalizeConfig()), strict=True):
            self = cls.__new__(cls)
            self.text, self._lookup, self.pieces, self.spans = text, None, pieces, spans
            out.append(self)
        return out

    @classmethod
    def from_normalized(cls, normalized: NormalizedText) -> Passages:
        """Build from a :class:`~dedup.NormalizedText` (its offsets give the spans)."""
        self = cls.__new__(cls)
        self.text = ""
        self._lookup = None
        found = _sentences(normalized.text)
        self.pieces = ["".join(normalized.text[s:e].split()) for s, e in found]
        self.spans = [normalized.original_span(s, e) for s, e in found]
        return self

    @property
    def sentences(self) -> list[tuple[str, tuple[int, int]]]:
        """Each sentence (its characters as normalized, without whitespace) and its span in the original."""
        return list(zip(self.pieces, self.spans, strict=True))

    def lookup(self) -> tuple[dict[str, int], list[str]]:
        """Each sentence's first position, and the sentences: built once, for every pair the post is in."""
        if self._lookup is None:
            # Built from the last sentence back, so a sentence said twice maps to its first.
            n = len(self.pieces)
            self._lookup = dict(zip(reversed(self.pieces), range(n - 1, -1, -1), strict=True)), self.pieces
        return self._lookup


def shared_passages(
    a: Passages,
    b: Passages,
    *,
    score_cutoff: float = 70.0,
) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """Passages the two posts share, as spans into each original text.

    Identical sentences pair up directly; each remaining sentence of ``a`` is matched
    to its most similar sentence of ``b`` by RapidFuzz ``fuzz.ratio`` (0-100 scale), at
    or above ``score_cutoff``, wherever it stands (paragraphs may be reordered).
    Sentences that follow each other without a gap in both posts, paired in order, are
    one passage: the same characters, marked once (a copy is one passage per paragraph,
    not one per sentence).
    """
    if not a.pieces or not b.pieces:
        return ()
    where_b, texts_b = b.lookup()
    spans_a, spans_b = a.spans, b.spans
    if len(where_b) == len(texts_b) and a.pieces == texts_b:
        # The same sentences, each said once (a word-for-word copy): each pairs with itself.
        return _joined(spans_a, spans_b)
    found = [where_b.get(piece) for piece in a.pieces]
    rest = [i for i, j in enumerate(found) if j is None]
    if rest:
        scores = process.cdist(
            [a.pieces[i] for i in rest], texts_b, scorer=fuzz.ratio, score_cutoff=score_cutoff, dtype=np.uint8
        )
        best = scores.argmax(axis=1)
        # A score under the cutoff is 0: rows whose best is 0 have no match.
        for row_no in np.flatnonzero(scores[np.arange(len(rest)), best]).tolist():
            found[rest[row_no]] = int(best[row_no])
    paired = [(i, j) for i, j in enumerate(found) if j is not None]
    return _joined([spans_a[i] for i, _ in paired], [spans_b[j] for _, j in paired])


def _joined(
    spans_a: Sequence[tuple[int, int]], spans_b: Sequence[tuple[int, int]]
) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """Paired spans, each run that follows on without a gap in both texts made one span."""
    out: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for (a0, a1), (b0, b1) in zip(spans_a, spans_b, strict=True):
        if out:
            (p0, p1), (q0, q1) = out[-1]
            if p1 == a0 and q1 == b0:
                out[-1] = ((p0, a1), (q0, b1))
                continue
        out.append(((a0, a1), (b0, b1)))
    return tuple(out)


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
    distinct = list(dict.fromkeys(texts[k] for k in members))
    made = dict(zip(distinct, Passages.of_texts(distinct, config), strict=True))
    passages = {k: made[texts[k]] for k in members}
    ordered = {k: in_specific_order(specifics[k]) for k in members}
    sets = {k: frozenset(specifics[k]) for k in members}
    out = []
    for i, j in pairs:
        shared = shared_passages(passages[i], passages[j], score_cutoff=score_cutoff)
        if specifics[i] == specifics[j]:  # copies: every specific shared
            out.append(Evidence(shared=shared, shared_specifics=ordered[i], only_a=(), only_b=()))
            continue
        a, b = sets[i], sets[j]
        out.append(
            Evidence(
                shared=shared,
                shared_specifics=tuple([x for x in ordered[i] if x in b]),
                only_a=tuple([x for x in ordered[i] if x not in b]),
                only_b=tuple([x for x in ordered[j] if x not in a]),
            )
        )
    return out


def in_specific_order(specifics: Collection[str]) -> tuple[str, ...]:
    """Distinct specifics in report order (:func:`specific_order`): names and places, then numbers.

    A plain sort (skipped for a tuple already sorted and distinct, as Features hold them),
    then the numbers moved last: no key per item (evidence orders millions).

    Examples
    --------
    >>> in_specific_order(["12", "荷叶塘", "6", "12"])
    ('荷叶塘', '12', '6')
    """
    ordered = (
        specifics
        if type(specifics) is tuple and all(map(operator.lt, specifics, specifics[1:]))
        else sorted(set(specifics))
    )
    numbers = list(map(str.isdigit, map(_FIRST, ordered)))
    if True not in numbers:
        return tuple(ordered)
    return (*itertools.compress(ordered, map(operator.not_, numbers)), *itertools.compress(ordered, numbers))


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
