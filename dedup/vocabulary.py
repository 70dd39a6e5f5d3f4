"""Token vocabulary: raw tokens to word ids, specifics and paragraph starts, a chunk at a time.

:class:`Vocabulary` caches what each distinct raw token stands for, so that a chunk of
posts is encoded with one dictionary lookup per token and numpy indexing.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import edges_of, range_positions, sorted_distinct
from dedup.keys import ATTRIBUTION, CREDITS, DAY, NAME, NUMBER, PLACE_SUFFIXES, TITLE, word_key_of
from dedup.normalize import SENTENCE_END_MARKS
from dedup.signature import token_id
from dedup.specifics import specific_form
from dedup.tokenizer import JiebaTokenizer, is_word

__all__ = ["Encoded", "Vocabulary"]


@dataclass(frozen=True, slots=True)
class Encoded:
    """Several texts encoded: word ids one text after another, and where each ends.

    Text ``k`` has words ``ids[bounds[k]:bounds[k + 1]]``, paragraphs starting at the
    word positions ``starts[start_bounds[k]:start_bounds[k + 1]]``, sentences starting
    at ``sentence_starts[sentence_bounds[k]:sentence_bounds[k + 1]]`` and the specifics
    ``specifics[k]``.
    """

    ids: NDArray[np.uint64]
    bounds: NDArray[np.int64]
    starts: NDArray[np.int64]
    start_bounds: NDArray[np.int64]
    sentence_starts: NDArray[np.int64]
    sentence_bounds: NDArray[np.int64]
    specifics: list[set[str]]
    keys: NDArray[np.uint32]  # each word's event key: an index into key_table (0: none)
    key_table: Sequence[tuple[int, str]]  # (kind, canonical text) of each key index

    @staticmethod
    def join(parts: Sequence[Encoded]) -> Encoded:
        """Consecutive encoded parts as one."""
        return Encoded(
            ids=np.concatenate([p.ids for p in parts]) if parts else np.zeros(0, dtype=np.uint64),
            bounds=edges_of([len(p.ids) for p in parts]),
            starts=np.concatenate([p.starts for p in parts]) if parts else np.zeros(0, dtype=np.int64),
            start_bounds=edges_of([len(p.starts) for p in parts]),
            sentence_starts=(
                np.concatenate([p.sentence_starts for p in parts]) if parts else np.zeros(0, dtype=np.int64)
            ),
            sentence_bounds=edges_of([len(p.sentence_starts) for p in parts]),
            specifics=[s for p in parts for s in p.specifics],
            keys=np.concatenate([p.keys for p in parts]) if parts else np.zeros(0, dtype=np.uint32),
            key_table=parts[0].key_table if parts else [(0, "")],
        )


# Vocabulary codes of a line break (paragraph boundary) and of a sentence's end mark;
# never a word id or a -k index.
_NEWLINE = -(2**62)
_STOP = _NEWLINE + 1
_STOP_MARKS = frozenset(SENTENCE_END_MARKS)

# Roles of a token around its neighbours (bit flags).
_PLACE = 1  # a place suffix: 社区, 村 ...
_MARK = 2  # an attribution marker: 记者, 电 ...
_PUNCT = 4  # punctuation: ends a clause
_OPEN = 8  # 《
_CLOSE = 16  # 》
_PLACE_NAMEABLE = 32  # a word that can name a place before a suffix (Chinese, not a verb or particle)
_LEADS_ON = 64  # a colon: after an attribution marker it introduces the credited name (来源：…)
_AFTERNOON = 128  # 下午, 晚上 ...: a clock hour after it is read on the 24-hour clock
# Words after which a clock hour (1点, 8时) is past noon: 下午1点 is 13时.
_AFTERNOON_WORDS = frozenset({"下午", "午后", "傍晚", "晚上", "晚间", "夜间", "夜里", "今晚", "当晚", "昨晚"})
_HOUR_UNITS = ("时", "点")
# Markers of a dateline (新华社北京3月5日电, 新浪娱乐讯 北京时间11月5日消息): the clause's date is
# the day the report was filed. A byline's or credit's date (编辑 王明 6月13日) is not.
_DATELINE_MARKS = frozenset({"电", "讯", "日电", "日讯", "电讯", "报讯", "本报讯", "网讯"})
# Words opening a clause that quotes another report (据新华社…电): no dateline of the post's own.
_QUOTING = frozenset({"据", "援引", "引述", "转引", "综合"})
# A clause holding an attribution marker is a byline or dateline when it is this short (tokens).
_BYLINE_TOKENS = 16
_NOT_PLACE_TAGS = frozenset({"v", "vn", "vd", "p", "c", "u", "uj", "ul", "d", "r", "m", "q", "f", "a", "ad", "t"})
_HAN = re.compile("^[\u4e00-\u9fff]+$")


def _role_of(token: str, words: list[int], tag: Callable[[str], str]) -> int:
    role = 0
    if len(words) == 1 and 1 <= len(token) <= 4 and _HAN.match(token) and tag(token) not in _NOT_PLACE_TAGS:
        role |= _PLACE_NAMEABLE
    if token in PLACE_SUFFIXES:
        role |= _PLACE
    if token in ATTRIBUTION:
        role |= _MARK
    if token in ("：", ":"):
        role |= _LEADS_ON
    if "《" in token:
        role |= _OPEN
    if "》" in token:
        role |= _CLOSE
    if token in _AFTERNOON_WORDS:
        role |= _AFTERNOON
    if not words and "\n" not in token and not token.isspace() and not is_word(token):
        role |= _PUNCT
    return role


def _starts_at(
    breaks: NDArray[np.bool_], before: NDArray[np.int64], bounds: NDArray[np.int64], n: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Where each text's parts start after the break tokens ``breaks``, and the bounds per text.

    A part starts at the number of words its text has before each break; consecutive
    breaks (no words between) start it once.
    """
    at_break = np.flatnonzero(breaks)
    post = np.searchsorted(bounds, at_break, side="right") - 1
    at = before[at_break] - before[bounds][post]
    first = np.ones(len(at_break), dtype=bool)
    first[1:] = (post[1:] != post[:-1]) | (at[1:] != at[:-1])
    post, at = post[first], at[first]
    return at, np.searchsorted(post, np.arange(n + 1)).astype(np.int64)


class _Slots(dict[str, int]):
    """Token → vocabulary slot; a token looked up for the first time is learned then."""

    __slots__ = ("_learn",)

    def __init__(self, learn: Callable[[str], int]) -> None:
        super().__init__()
        self._learn = learn

    def __missing__(self, token: str) -> int:
        slot = self._learn(token)
        self[token] = slot
        return slot


class Vocabulary:
    """Per-extractor cache of what each distinct raw token stands for.

    Every distinct token is re-split, filtered (punctuation, stop words), hashed and
    checked for specifics once, and given a slot. A chunk of posts is then encoded
    with C-level iteration (one ``dict`` lookup per token inside ``numpy.fromiter``,
    new tokens learned as they are met) and numpy indexing by slot.

    ``codes[slot]`` is the token's word id (a positive 63-bit integer), ``0`` when the
    token carries no content, :data:`_NEWLINE`, :data:`_STOP`, or ``-k`` when it splits into several
    words (``self._multi[k]``, rare: runs of letters and digits). ``flags[slot]`` says
    whether it carries specifics (``self._specs[slot]``). ``keys[slot]`` is the event key
    of a one-word token (:mod:`dedup.keys`; an index into ``self.key_table``;
    ``self._multi_keys[k]`` for several words) and ``roles[slot]`` what it does around
    other words: a place suffix, an attribution marker, punctuation, a quote mark.
    """

    # Bound on cached tokens; the cache is emptied (between chunks) when it grows past it.
    MAX_ENTRIES = 2_000_000

    def __init__(self, tokenizer: JiebaTokenizer) -> None:
        self._tokenizer = tokenizer
        self._stop = tokenizer.stopwords
        self._tag = tokenizer.tagger()
        self._reset()

    def _reset(self) -> None:
        self._slots = _Slots(self._learn)
        self._codes = np.zeros(1 << 12, dtype=np.int64)
        self._flags = np.zeros(1 << 12, dtype=bool)
        self._keys = np.zeros(1 << 12, dtype=np.uint32)
        self._roles = np.zeros(1 << 12, dtype=np.uint8)
        self._specs: dict[int, tuple[str, ...]] = {}
        self._multi: list[list[int]] = [[]]
        self._multi_keys: list[list[int]] = [[]]
        self._tokens: list[str] = []
        self.key_table: list[tuple[int, str]] = [(0, "")]
        self._key_ids: dict[tuple[int, str], int] = {}

    def _key_id(self, key: tuple[int, str] | None) -> int:
        if key is None:
            return 0
        found = self._key_ids.get(key)
        if found is None:
            found = self._key_ids[key] = len(self.key_table)
            self.key_table.append(key)
        return found

    def __len__(self) -> int:
        return len(self._slots)

    def _learn(self, token: str) -> int:
        words = []
        keys = []
        specs = []
        for word in self._tokenizer.resplit(token):
            if word in self._stop or not is_word(word):
                continue
            words.append(token_id(word))
            spec = specific_form(word, self._tag)
            keys.append(self._key_id(word_key_of(word, spec, self._tag)))
            if spec is not None:
                # Interned so that the specifics of many posts share one string object.
                specs.append(sys.intern(spec))
        if "\n" in token:
            code = _NEWLINE
        elif not words and not _STOP_MARKS.isdisjoint(token):
            code = _STOP
        elif len(words) == 1:
            code = words[0]
        elif not words:
            code = 0
        else:
            self._multi.append(words)
            self._multi_keys.append(keys)
            code = -(len(self._multi) - 1)
        slot = len(self._slots)  # the token is added under this slot once learned
        if slot == len(self._codes):
            self._codes = np.concatenate((self._codes, np.zeros_like(self._codes)))
            self._flags = np.concatenate((self._flags, np.zeros_like(self._flags)))
            self._keys = np.concatenate((self._keys, np.zeros_like(self._keys)))
            self._roles = np.concatenate((self._roles, np.zeros_like(self._roles)))
        self._codes[slot] = code
        self._keys[slot] = keys[0] if len(words) == 1 else 0
        self._roles[slot] = _role_of(token, words, self._tag)
        self._tokens.append(token)
        if specs:
            self._flags[slot] = True
            self._specs[slot] = tuple(specs)
        return slot

    def encode_many(self, token_lists: Sequence[list[str]]) -> Encoded:
        """Word ids, specifics, event keys, and paragraph and sentence starts of many token lists."""
        if len(self._slots) > self.MAX_ENTRIES:
            self._reset()
        lengths = [len(tokens) for tokens in token_lists]
        bounds = edges_of(lengths)
        slots = np.fromiter(
            map(self._slots.__getitem__, chain.from_iterable(token_lists)), dtype=np.int64, count=int(bounds[-1])
        )
        # (read after the lookups: learning may have grown the arrays)
        specifics = self._post_specifics(slots, bounds)
        token_keys = self._context_keys(slots, bounds, specifics)
        codes, keys, bounds = self._expand(self._codes[slots], token_keys, bounds)
        is_word = codes > 0
        before = edges_of(is_word)  # words before each position
        word_bounds = before[bounds]
        n = len(token_lists)
        starts, start_bounds = _starts_at(codes == _NEWLINE, before, bounds, n)
        sentence_starts, sentence_bounds = _starts_at((codes == _NEWLINE) | (codes == _STOP), before, bounds, n)
        return Encoded(
            ids=codes[is_word].view(np.uint64),
            bounds=word_bounds,
            starts=starts,
            start_bounds=start_bounds,
            sentence_starts=sentence_starts,
            sentence_bounds=sentence_bounds,
            specifics=specifics,
            keys=keys[is_word],
            key_table=self.key_table,
        )

    def _post_specifics(self, slots: NDArray[np.int64], bounds: NDArray[np.int64]) -> list[set[str]]:
        n = len(bounds) - 1
        at = np.flatnonzero(self._flags[slots])
        if not len(at):
            return [set() for _ in range(n)]
        post = np.searchsorted(bounds, at, side="right") - 1
        # Each (post, slot) once, sorted by post; few tokens carry specifics.
        pairs = sorted_distinct((post << 32) | slots[at])
        cuts = np.searchsorted(pairs >> 32, np.arange(n + 1)).tolist()
        found = (pairs & 0xFFFFFFFF).tolist()
        get = self._specs.__getitem__
        return [set().union(*map(get, found[cuts[k] : cuts[k + 1]])) for k in range(n)]

    def _context_keys(
        self, slots: NDArray[np.int64], bounds: NDArray[np.int64], specifics: list[set[str]]
    ) -> NDArray[np.uint32]:
        """Each token's event key, with what its neighbours say about it.

        The word before a place suffix is a place (a local name the dictionary may not
        know); the words of a quoted title are its key; the keys of a byline or
        dateline clause are dropped; a clock hour after 下午 is on the 24-hour clock.
        Adds the local names and titles to ``specifics``.
        """
        keys = self._keys[slots].copy()
        roles = self._roles[slots]
        special = np.flatnonzero(roles & (_PLACE | _MARK | _OPEN | _AFTERNOON))
        if not len(special):
            return keys
        post_of = np.searchsorted(bounds, special, side="right") - 1
        tokens = self._tokens
        codes = self._codes[slots]
        # The end of a repost credit's name, read past a colon or through 《》 (来源：某某社区,
        # 转载自《某某》的博客): attribution, so no place or title is read inside it.
        credited = -1
        for at, post in zip(special.tolist(), post_of.tolist(), strict=True):
            role = int(roles[at])
            first, last = int(bounds[post]), int(bounds[post + 1])
            if role & _AFTERNOON:
                self._afternoon_hour(at + 1, last, slots, keys)
            if role & _MARK:
                # Keys after the marker's position are read afterwards (a place in the
                # lead a dateline runs into: 新华社长沙3月5日电 荷叶塘社区…).
                credited = max(credited, self._attribute(at, first, last, slots, roles, codes, keys))
            if role & _PLACE:
                k = at - 1
                while k >= first and codes[k] == 0 and not roles[k] & (_PUNCT | _OPEN | _CLOSE):
                    k -= 1  # stop words between (rare)
                if k >= first and credited < k and codes[k] > 0 and roles[k] & _PLACE_NAMEABLE:
                    name = tokens[slots[k]]
                    keys[k] = self._key_id((NAME, name))
                    specifics[post].add(sys.intern(name + tokens[slots[at]]))
            if role & _OPEN and credited < at:
                end = at + 1
                while end < last and not roles[end] & (_CLOSE | _OPEN) and codes[end] != _NEWLINE:
                    end += 1
                if end < last and roles[end] & _CLOSE and end > at + 1:
                    title = "".join(tokens[s] for s in slots[at + 1 : end].tolist())
                    code = self._key_id((TITLE, title))
                    keys[at + 1 : end] = np.where(codes[at + 1 : end] != 0, code, 0)
                    specifics[post].add(sys.intern(f"《{title}》"))
        return keys

    def _afternoon_hour(self, at: int, last: int, slots: NDArray[np.int64], keys: NDArray[np.uint32]) -> None:
        """Read the clock hour at token ``at`` (after 下午, 晚上 …) on the 24-hour clock: 下午1点 is 13时.

        One key for both ways of writing the time; an hour of 12 or more stays as written.
        """
        if at >= last:
            return
        kind, value = self.key_table[keys[at]]
        if kind != NUMBER or not value.isdigit() or not 1 <= int(value) <= 11:
            return
        token = self._tokens[slots[at]]
        after = self._tokens[slots[at + 1]] if at + 1 < last else ""
        if token.endswith(_HOUR_UNITS) or after.startswith(_HOUR_UNITS):
            keys[at] = self._key_id((NUMBER, str(int(value) + 12)))

    def _attribute(
        self,
        at: int,
        first: int,
        last: int,
        slots: NDArray[np.int64],
        roles: NDArray[np.uint8],
        codes: NDArray[np.int64],
        keys: NDArray[np.uint32],
    ) -> int:
        """Drop the keys of the attribution clause around the marker at ``at`` (of a post ``first..last``).

        Returns the last position of a credited name read past a colon or through 《》
        (-1 when there is none).
        """
        tokens = self._tokens
        lo, hi = at, at
        while lo > first and not roles[lo - 1] & _PUNCT and codes[lo - 1] != _NEWLINE:
            lo -= 1
        while hi + 1 < last and not roles[hi + 1] & _PUNCT and codes[hi + 1] != _NEWLINE:
            hi += 1
        # After a credit the credited name runs on past a colon and through a quoted title
        # (来源：某某社区, 本文转载自《某某》的博客); not after 报道：, which introduces the
        # report itself.
        on = _LEADS_ON | _OPEN | _CLOSE if tokens[slots[at]] in CREDITS else 0
        end = hi
        while end + 1 < last and (not roles[end + 1] & _PUNCT or roles[end + 1] & on) and codes[end + 1] != _NEWLINE:
            end += 1
        if end - lo < _BYLINE_TOKENS:
            # A byline or dateline: (记者 张三), 新华社北京3月5日电. Its names are attribution;
            # a dateline's date is the day the report was filed.
            if tokens[slots[at]] in _DATELINE_MARKS:
                days = self._dateline_days(slots, keys, lo, end)
            else:  # another marker of a dateline's clause (中新网11月5日电 据报道) keeps its date
                days = [(q, int(keys[q])) for q in range(lo, end + 1) if self.key_table[keys[q]][0] == DAY]
            keys[lo : end + 1] = 0
            for q, code in days:
                keys[q] = code
            return end if end > hi else -1
        if hi - lo < _BYLINE_TOKENS:
            # A credit run into the text (来源：金融界腾讯副总裁…, no line break): the clause
            # and the name right after it.
            stop = min(hi + 4, last)
            keys[lo:stop] = 0
            return stop - 1
        keys[at : min(at + 3, last)] = 0  # a marker inside a sentence: the name right after it
        return -1

    def _dateline_days(
        self, slots: NDArray[np.int64], keys: NDArray[np.uint32], lo: int, end: int
    ) -> list[tuple[int, int]]:
        """The month and day numbers of a dateline clause (tokens ``lo..end``) as :data:`~dedup.keys.DAY` keys.

        None for a report quoted (据新华社北京3月5日电): it is not the post's own dateline.
        """
        tokens, table = self._tokens, self.key_table
        if tokens[slots[lo]] in _QUOTING:
            return []
        found = []
        for q in range(lo, end + 1):
            key = table[keys[q]]
            if key[0] == DAY:
                found.append((q, int(keys[q])))  # found by another marker of the clause (日电 … 报道)
                continue
            if key[0] != NUMBER:
                continue
            token = tokens[slots[q]]
            after = tokens[slots[q + 1]] if q < end else ""
            # 11 月 5 日 / 5 日电, or one token holding its unit (十一月, 五日).
            unit = token[-1] if token[-1] in "月日" else after[:1] if after[:1] in ("月", "日") else ""
            if unit:
                found.append((q, self._key_id((DAY, key[1] + unit))))
        return found

    def _expand(
        self, codes: NDArray[np.int64], keys: NDArray[np.uint32], bounds: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.uint32], NDArray[np.int64]]:
        """Replace each several-word token by its words (rare), moving the bounds."""
        multi = np.flatnonzero((codes < 0) & (codes > _STOP))
        if not len(multi):
            return codes, keys, bounds
        multi_keys = [self._multi_keys[-c] for c in codes[multi].tolist()]
        parts = [self._multi[-c] for c in codes[multi].tolist()]
        sizes = np.array([len(p) for p in parts], dtype=np.int64)
        reps = np.ones(len(codes), dtype=np.int64)
        reps[multi] = sizes
        ends = np.cumsum(reps)
        out = np.repeat(codes, reps)
        # Position of every filled word: its token's first position plus its rank in it.
        filled = range_positions(ends[multi] - sizes, sizes)
        out[filled] = np.fromiter(chain.from_iterable(parts), dtype=np.int64, count=int(sizes.sum()))
        out_keys = np.repeat(keys, reps)
        out_keys[filled] = np.fromiter(chain.from_iterable(multi_keys), dtype=np.uint32, count=int(sizes.sum()))
        return out, out_keys, np.concatenate(([0], ends))[bounds]
