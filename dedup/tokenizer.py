"""Tokenizers: normalized text in, words out.

:class:`JiebaTokenizer` owns its own segmenter (never jieba's global ``jieba.dt``):
either a ``jieba.Tokenizer`` instance or, when installed, an ``rjieba.Jieba`` instance
(jieba-rs, about ten times faster). Both give the same words: jieba-rs keeps runs of
ASCII letters, digits and dots together where jieba splits them, so those runs are
split again the way jieba does. Nothing is loaded at import; the dictionary is loaded
on first use or by :meth:`JiebaTokenizer.initialize`.

:class:`CharNgramTokenizer` needs no dictionary: overlapping character n-grams.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from dedup.exceptions import ConfigError, InputError
from dedup.normalize import SENTENCE_END_MARKS

__all__ = [
    "CharNgramTokenizer",
    "JiebaTokenizer",
    "Tokenizer",
    "is_word",
    "load_stopwords",
]

logger = logging.getLogger(__name__)

# What jieba's finalseg does with a run that is not Chinese: letters/digits (with one
# decimal part and an optional %) are words, everything else single characters.
_JIEBA_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_HAS_HAN = re.compile("[\u4e00-\u9fd5]")
_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SENTENCE_END = re.compile(f"[{re.escape(SENTENCE_END_MARKS)}]")
_USERDICT_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")


def is_word(token: str) -> bool:
    """Tell whether a token carries content (a letter, digit or CJK character).

    Examples
    --------
    >>> is_word("社区"), is_word("2024"), is_word(","), is_word(" ")
    (True, True, False, False)
    """
    return _WORDLIKE.search(token) is not None


@lru_cache(maxsize=1)
def load_stopwords() -> frozenset[str]:
    """Return the bundled Chinese stop words (function words that carry no event).

    Examples
    --------
    >>> "的" in load_stopwords(), "社区" in load_stopwords()
    (True, False)
    """
    text = resources.files("dedup").joinpath("data/stopwords.txt").read_text(encoding="utf-8")
    return frozenset(w for w in (line.strip() for line in text.splitlines()) if w and not w.startswith("#"))


@runtime_checkable
class Tokenizer(Protocol):
    """What the pipeline needs from a tokenizer."""

    @property
    def name(self) -> str:
        """A short name recorded with signatures (e.g. ``"jieba"``)."""
        ...

    def tokenize(self, text: str) -> list[str]:
        """Return the content tokens of normalized ``text``, in order."""
        ...


@dataclass(frozen=True, slots=True)
class _Lexicon:
    """jieba's dictionary as data: word frequencies and part-of-speech tags."""

    freq: dict[str, int]
    tags: dict[str, str]
    total: int


def _read_dictionary(path: Path) -> _Lexicon:
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    total = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2:
                continue
            word, count = parts[0], int(parts[1])
            freq[word] = count
            total += count
            if len(parts) > 2:
                tags[word] = parts[2]
    return _Lexicon(freq=freq, tags=tags, total=total)


def _jieba_dict_path() -> Path:
    import jieba

    return Path(jieba.__file__).with_name("dict.txt")


def _parse_user_dict(path: str) -> list[tuple[str, int | None, str | None]]:
    entries: list[tuple[str, int | None, str | None]] = []
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        msg = f"user_dict {path!r}: cannot read user dictionary: {exc.strerror}"
        raise ConfigError(msg) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"user dictionary must be UTF-8 (byte {exc.start} is not)"
        raise InputError(msg, path=path, lineno=raw[: exc.start].count(b"\n") + 1) from None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _USERDICT_LINE.match(line)
        assert m is not None  # the pattern matches any non-empty line
        word, freq, tag = m.groups()
        entries.append((word, int(freq) if freq else None, tag.strip() if tag else None))
    return entries


class JiebaTokenizer:
    """jieba word segmentation with an owned dictionary, for normalized Chinese text.

    Parameters
    ----------
    backend : {"auto", "jieba", "rjieba"}
        ``rjieba`` (jieba-rs) is used under ``auto`` when it imports; ``jieba`` is the
        pure-Python reference. Both give the same words.
    user_dict : str, optional
        jieba user dictionary (``word [freq] [tag]`` per line, UTF-8): local place,
        community and people names that should stay one word.
    cache_dir : str, optional
        Directory for pure-Python jieba's prefix-dictionary cache. ``None`` writes no
        cache file that outlives :meth:`initialize`.
    stopwords : Iterable[str], optional
        Words dropped by :meth:`tokenize`; the bundled list when omitted.
    hmm : bool
        Let jieba's HMM join unknown words (names), as ``jieba.cut`` does by default.

    Notes
    -----
    Thread-safe: initialization is guarded by a lock and segmentation keeps no state
    between calls. Instances pickle without their loaded dictionary, so worker
    processes initialize their own copy.

    Examples
    --------
    >>> tok = JiebaTokenizer()
    >>> tok.tokenize("荷叶塘社区开展垃圾分类宣传活动")
    ['荷叶', '塘', '社区', '开展', '垃圾', '分类', '宣传', '活动']
    """

    def __init__(
        self,
        *,
        backend: Literal["auto", "jieba", "rjieba"] = "auto",
        user_dict: str | None = None,
        cache_dir: str | None = None,
        stopwords: Iterable[str] | None = None,
        hmm: bool = True,
    ) -> None:
        if backend not in ("auto", "jieba", "rjieba"):
            msg = f"backend must be 'auto', 'jieba' or 'rjieba', got {backend!r}"
            raise ConfigError(msg)
        self._requested_backend = backend
        self.user_dict = user_dict
        self.cache_dir = cache_dir
        self.hmm = hmm
        self._stopwords = frozenset(stopwords) if stopwords is not None else None
        self._lock = threading.Lock()
        self._segmenter: Any = None
        self._backend: str | None = None
        self._lexicon: _Lexicon | None = None
        self._user_tags: dict[str, str] = {}
        self._user_freq: dict[str, int] = {}

    # -- pickling: drop the loaded state, keep the options -------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {
            "backend": self._requested_backend,
            "user_dict": self.user_dict,
            "cache_dir": self.cache_dir,
            "stopwords": self._stopwords,
            "hmm": self.hmm,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        return (
            f"JiebaTokenizer(backend={self._requested_backend!r}, user_dict={self.user_dict!r}, "
            f"cache_dir={self.cache_dir!r})"
        )

    @property
    def name(self) -> str:
        """``"jieba"``: both backends give jieba's words."""
        return "jieba"

    @property
    def backend(self) -> str:
        """The backend in use after initialization (``"jieba"`` or ``"rjieba"``)."""
        self.initialize()
        assert self._backend is not None
        return self._backend

    @property
    def stopwords(self) -> frozenset[str]:
        """Words :meth:`tokenize` drops."""
        return self._stopwords if self._stopwords is not None else load_stopwords()

    def initialize(self) -> JiebaTokenizer:
        """Load the dictionary (and user dictionary) now rather than on first use.

        Returns
        -------
        JiebaTokenizer
            ``self``, for chaining.
        """
        if self._segmenter is not None:
            return self
        with self._lock:
            if self._segmenter is not None:
                return self
            lexicon = _read_dictionary(_jieba_dict_path())
            entries = _parse_user_dict(self.user_dict) if self.user_dict else []
            backend = self._requested_backend
            segmenter: Any = None
            if backend in ("auto", "rjieba"):
                try:
                    import rjieba

                    segmenter = rjieba.Jieba()
                    backend = "rjieba"
                except ImportError:
                    if backend == "rjieba":
                        msg = "backend 'rjieba' requested but the rjieba package is not installed"
                        raise ConfigError(msg) from None
                    backend = "jieba"
            if backend == "jieba":
                segmenter = self._load_jieba()
            # User words: jieba's own rule for a missing frequency, computed once here so
            # that both backends receive the same explicit frequency.
            total = lexicon.total
            for word, freq, tag in entries:
                if freq is None:
                    freq = self._suggest_freq(word, lexicon, segmenter, backend, total)
                segmenter.add_word(word, freq, tag)
                self._user_freq[word] = freq
                total += freq
                if tag:
                    self._user_tags[word] = tag
            self._lexicon = lexicon
            self._backend = backend
            self._segmenter = segmenter
            logger.debug("jieba tokenizer ready (backend=%s, %d user words)", backend, len(entries))
        return self

    def _load_jieba(self) -> Any:
        import jieba

        tok = jieba.Tokenizer()
        jieba_logger = logging.getLogger("jieba")
        previous = jieba_logger.level
        # jieba logs its cache handling at DEBUG through its own stderr handler.
        jieba_logger.setLevel(logging.WARNING)
        try:
            if self.cache_dir is not None:
                os.makedirs(self.cache_dir, exist_ok=True)
                tok.tmp_dir = self.cache_dir
                tok.cache_file = "dedup-jieba.cache"
                tok.initialize()
            else:
                with tempfile.TemporaryDirectory(prefix="dedup-jieba-") as tmp:
                    tok.tmp_dir = tmp
                    tok.cache_file = "jieba.cache"
                    tok.initialize()
                tok.tmp_dir = None
                tok.cache_file = None
        finally:
            jieba_logger.setLevel(previous)
        return tok

    def _suggest_freq(self, word: str, lexicon: _Lexicon, segmenter: Any, backend: str, total: int) -> int:
        # jieba.Tokenizer.suggest_freq(word, tune=False): the product of the parts'
        # probabilities under a plain (no-HMM) cut, at least the word's own count.
        parts = segmenter.cut(word, False) if backend == "rjieba" else segmenter.lcut(word, HMM=False)
        p = 1.0
        for part in parts:
            p *= self._freq_of(part, lexicon) / total
        return max(int(p * total) + 1, self._freq_of(word, lexicon) or 1)

    def _freq_of(self, word: str, lexicon: _Lexicon) -> int:
        if word in self._user_freq:
            return self._user_freq[word]
        return lexicon.freq.get(word, 1) if word in lexicon.freq else 1

    # -- segmentation ----------------------------------------------------------------
    def cut(self, text: str) -> list[str]:
        """Segment ``text`` exactly as ``jieba.Tokenizer.lcut(text)`` would.

        Parameters
        ----------
        text : str
            Any text (normally already normalized).

        Returns
        -------
        list of str
            Every token, punctuation and whitespace included; ``"".join`` gives ``text``.

        Examples
        --------
        >>> JiebaTokenizer().cut("见www.gov.cn, 6.5%")
        ['见', 'www', '.', 'gov', '.', 'cn', ',', ' ', '6.5%']
        """
        tokens = self.segment(text)
        if self._backend == "jieba":
            return tokens
        out: list[str] = []
        append, extend, resplit = out.append, out.extend, self.resplit
        for tok in tokens:
            # Only a token that starts with a non-Han character can need re-splitting.
            if len(tok) > 1 and not "\u4e00" <= tok[0] <= "\u9fd5":
                extend(resplit(tok))
            else:
                append(tok)
        return out

    def segment(self, text: str) -> list[str]:
        """The backend's raw tokens; :meth:`resplit` each to get jieba's words.

        For the ``jieba`` backend these are already jieba's words. For ``rjieba`` a run
        of non-Chinese characters may still need :meth:`resplit`. Callers that cache
        per distinct token (as :class:`~dedup.FeatureExtractor` does) re-split each
        distinct token once instead of once per occurrence.
        """
        self.initialize()
        if self._backend == "jieba":
            return list(self._segmenter.lcut(text, HMM=self.hmm))
        tokens: list[str] = self._segmenter.cut(text, self.hmm)
        return tokens

    def resplit(self, token: str) -> list[str]:
        """Jieba's words for one raw token of :meth:`segment`.

        jieba-rs keeps a non-Chinese run such as ``www.gov.cn`` whole where jieba's
        finalseg splits it on letter/digit groups; re-split such a run unless it is a
        dictionary word.

        Examples
        --------
        >>> JiebaTokenizer().resplit("www.gov.cn")
        ['www', '.', 'gov', '.', 'cn']
        """
        self.initialize()
        lexicon = self._lexicon
        assert lexicon is not None
        if (
            self._backend == "jieba"
            or len(token) < 2
            or _HAS_HAN.search(token)
            or lexicon.freq.get(token)
            or self._user_freq.get(token)
        ):
            return [token]
        return [piece for piece in _JIEBA_SKIP.split(token) if piece]

    def tokenize(self, text: str) -> list[str]:
        """Return the content words of ``text``: no punctuation, whitespace or stop words.

        Examples
        --------
        >>> JiebaTokenizer().tokenize("6月12日，社区的志愿者开展了活动。")
        ['6', '月', '12', '日', '社区', '志愿者', '开展', '活动']
        """
        stop = self.stopwords
        return [t for t in self.cut(text) if t not in stop and _WORDLIKE.search(t)]

    def tag(self, word: str) -> str:
        """Part-of-speech tag of ``word`` in jieba's (or the user) dictionary, ``""`` if unknown.

        Examples
        --------
        >>> tok = JiebaTokenizer()
        >>> tok.tag("北京"), tok.tag("开展"), tok.tag("荷叶塘")
        ('ns', 'v', '')
        """
        self.initialize()
        assert self._lexicon is not None
        return self._user_tags.get(word) or self._lexicon.tags.get(word, "")

    def tagger(self) -> Callable[[str], str]:
        """Return a fast ``word -> tag`` function for specifics extraction.

        The same answers as :meth:`tag` for dictionary words; a word the dictionary does
        not know (jieba's HMM joined it, typically a name) is tagged ``"unk"``.
        """
        self.initialize()
        assert self._lexicon is not None
        user, tags, user_freq = self._user_tags, self._lexicon.tags, self._user_freq

        def tag(word: str) -> str:
            found = user.get(word) or tags.get(word)
            if found:
                return found
            return "" if word in user_freq else "unk"

        return tag

    def in_dictionary(self, word: str) -> bool:
        """Tell whether ``word`` is a dictionary (or user dictionary) word."""
        self.initialize()
        assert self._lexicon is not None
        return bool(self._lexicon.freq.get(word) or self._user_freq.get(word))


class CharNgramTokenizer:
    """Overlapping character n-grams of the CJK, letter and digit characters.

    Parameters
    ----------
    n : int
        Characters per token, 1..8.

    Examples
    --------
    >>> CharNgramTokenizer(n=2).tokenize("社区开展, 活动")
    ['社区', '区开', '开展', '展活', '活动']
    """

    def __init__(self, *, n: int = 2) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 8:
            msg = f"n must be an integer in [1, 8], got {n!r}"
            raise ConfigError(msg)
        self.n = n

    def __repr__(self) -> str:
        return f"CharNgramTokenizer(n={self.n})"

    @property
    def name(self) -> str:
        """``"char<n>"``."""
        return f"char{self.n}"

    def sentence_starts(self, text: str) -> list[int]:
        """Where the sentences of one line after its first start, as indexes into :meth:`tokenize`'s grams.

        A sentence starts after each of :data:`~dedup.normalize.SENTENCE_END_MARKS`, at the
        gram of its first character (none when fewer grams are left).

        Examples
        --------
        >>> CharNgramTokenizer(n=2).sentence_starts("社区开展活动。居民参与！好")
        [6]
        """
        grams = max(len(_WORDLIKE.findall(text)) - self.n + 1, 1)
        out: list[int] = []
        chars = 0
        for piece in _SENTENCE_END.split(text)[:-1]:
            chars += len(_WORDLIKE.findall(piece))
            if 0 < chars < grams and (not out or out[-1] < chars):
                out.append(chars)
        return out

    def tokenize(self, text: str) -> list[str]:
        """Return the character n-grams of ``text`` (punctuation and spaces skipped)."""
        chars = "".join(_WORDLIKE.findall(text))
        if len(chars) < self.n:
            return [chars] if chars else []
        return [chars[i : i + self.n] for i in range(len(chars) - self.n + 1)]
