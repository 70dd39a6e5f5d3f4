"""Per-article features: normalize → tokenize → shingles and specifics, in one step.

:class:`FeatureExtractor` owns the tokenizer and turns one :class:`~dedup.Article`
into :class:`Features`, the compact record every later step works on (signatures,
candidates, verification). It holds no text but the normalized body, so memory is
bounded by features rather than raw input.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from dedup.config import DedupConfig
from dedup.models import Article
from dedup.normalize import normalize_text
from dedup.signature import TokenHasher, shingle_hashes_many, sorted_distinct
from dedup.specifics import specific_form
from dedup.tokenizer import CharNgramTokenizer, JiebaTokenizer, is_word

__all__ = ["FeatureExtractor", "Features", "clean_title"]

#: Content words of the body's lead used for the lead signature (truncated reposts).
LEAD_WORDS = 40

#: Paragraphs shorter than this many words have no paragraph lead.
MIN_PARAGRAPH_WORDS = 8
#: Paragraph leads kept per post at most.
MAX_PARAGRAPHS = 12


def _paragraph_leads(
    words: NDArray[np.unsignedinteger], starts: NDArray[np.int64]
) -> tuple[NDArray[np.unsignedinteger], NDArray[np.uint32]]:
    """The first words of each long enough paragraph, concatenated, and their bounds.

    The words are kept as they come (repeats included): a MinHash signature of a list
    is that of its set, so no per-paragraph deduplication is needed.
    """
    edges = [0, *[int(s) for s in starts if 0 < s < len(words)], len(words)]
    spans = [(a, min(b, a + LEAD_WORDS)) for a, b in pairwise(edges) if b - a >= MIN_PARAGRAPH_WORDS]
    spans = spans[:MAX_PARAGRAPHS]
    bounds = np.cumsum([0] + [b - a for a, b in spans]).astype(np.uint32)
    if not spans:
        return words[:0].copy(), bounds
    return np.concatenate([words[a:b] for a, b in spans]), bounds


# Column labels editors prepend to a reposted title: 【基层风采】, [工作动态], 聚焦|, 关注:
_TITLE_PREFIX = re.compile(r"^(?:[\[【〔(（][^\]】〕)）]{1,12}[\]】〕)）]\s*|[^|｜:：\s]{1,6}\s*[|｜]\s*)+")


def clean_title(title: str) -> str:
    """Drop column labels editors put in front of a reposted title.

    Examples
    --------
    >>> clean_title("【基层风采】山东扎实推动黄河流域生态保护")
    '山东扎实推动黄河流域生态保护'
    >>> clean_title("聚焦|山东扎实推动黄河流域生态保护")
    '山东扎实推动黄河流域生态保护'
    """
    cleaned = _TITLE_PREFIX.sub("", title).strip()
    return cleaned or title.strip()


@dataclass(frozen=True, slots=True)
class Features:
    """What the matching steps know about one article.

    Attributes
    ----------
    index : int
        Position in the input batch.
    id, account : str
        From the article.
    length : int
        Characters of the normalized body.
    n_words : int
        Content words of the body.
    digest : bytes
        Hash of the normalized body: equal digests mean an ``exact`` copy.
    shingles : ndarray of uint32 (uint64 for the ``affine64`` scheme)
        Sorted distinct word-shingle hashes of the body, at the width the MinHash
        scheme hashes.
    lead : ndarray of uint32 (uint64 for ``affine64``)
        Hashes of the body's first :data:`LEAD_WORDS` content words, single words
        (robust to the light edits of a truncated repost), repeats included.
    specifics : tuple of str
        Numbers, dates, names and places of title and body (account-name words
        removed), sorted and distinct. A tuple rather than a set: a third of the memory.
    sequence : ndarray of uint32
        The body's content words in order, as 32-bit token ids (for order-aware fuzzy
        verification without keeping the words themselves).
    paragraphs, paragraph_bounds : ndarray
        The lead of each paragraph (word hashes of its first :data:`LEAD_WORDS`
        words, paragraphs of at least :data:`MIN_PARAGRAPH_WORDS` words, at most
        :data:`MAX_PARAGRAPHS`), concatenated; paragraph ``k`` is
        ``paragraphs[bounds[k]:bounds[k + 1]]``. An excerpt or a truncated copy of
        reordered paragraphs starts where one of these paragraphs starts.
    """

    index: int
    id: str
    account: str
    length: int
    n_words: int
    digest: bytes
    shingles: NDArray[np.unsignedinteger]
    lead: NDArray[np.unsignedinteger]
    specifics: tuple[str, ...]
    sequence: NDArray[np.uint32]
    paragraphs: NDArray[np.unsignedinteger]
    paragraph_bounds: NDArray[np.uint32]

    def paragraph_leads(self) -> list[NDArray[np.unsignedinteger]]:
        """The word-hash sets of the paragraph leads, one array per paragraph."""
        b = self.paragraph_bounds.tolist()
        return [self.paragraphs[b[k] : b[k + 1]] for k in range(len(b) - 1)]


class FeatureExtractor:
    """Turn articles into :class:`Features` with one tokenizer and one config.

    Parameters
    ----------
    config : DedupConfig
        Normalization, tokenizer and shingle options.

    Examples
    --------
    >>> from dedup import Article, DedupConfig
    >>> fx = FeatureExtractor(DedupConfig())
    >>> f = fx.extract(Article(id="1", title="社区开展活动", text="6月12日，荷叶塘社区开展垃圾分类宣传。"), index=0)
    >>> f.n_words > 0, "12" in f.specifics
    (True, True)
    """

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.tokenizer: JiebaTokenizer | CharNgramTokenizer
        if config.tokenizer == "jieba":
            self.tokenizer = JiebaTokenizer(
                backend=config.backend, user_dict=config.user_dict, cache_dir=config.cache_dir
            )
        else:
            self.tokenizer = CharNgramTokenizer(n=2)
        self._hasher = TokenHasher()
        self._vocab: _Vocabulary | None = None
        self._account_words: dict[str, frozenset[str]] = {}

    def __getstate__(self) -> dict[str, object]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, object]) -> None:
        config = state["config"]
        assert isinstance(config, DedupConfig)
        self.__init__(config)  # type: ignore[misc]

    def warm_up(self) -> FeatureExtractor:
        """Load the tokenizer's dictionary and the normalization tables now."""
        if isinstance(self.tokenizer, JiebaTokenizer):
            self.tokenizer.initialize()
            if self._vocab is None:
                self._vocab = _Vocabulary(self.tokenizer)
        normalize_text("Ａ", self.config.normalize)
        return self

    def normalize(self, article: Article) -> tuple[str, str]:
        """Return the normalized ``(title, body)`` of ``article``."""
        ncfg = self.config.normalize
        return clean_title(normalize_text(article.title, ncfg)), normalize_text(article.text, ncfg)

    def _encode_many(self, texts: Sequence[str]) -> _Encoded:
        """Content-word ids, specifics and paragraph starts of many texts at once."""
        if isinstance(self.tokenizer, CharNgramTokenizer):
            return _Encoded.join([self._encode_grams(text) for text in texts])
        if self._vocab is None:
            self._vocab = _Vocabulary(self.tokenizer)
        segment = self.tokenizer.segment
        return self._vocab.encode_many([segment(text) if text else [] for text in texts])

    def _encode_grams(self, text: str) -> _Encoded:
        assert isinstance(self.tokenizer, CharNgramTokenizer)
        lines = [self.tokenizer.tokenize(line) for line in text.split("\n")]
        grams = [g for line in lines for g in line]
        starts = np.cumsum([0] + [len(line) for line in lines[:-1]]).astype(np.int64)
        return _Encoded(
            ids=self._hasher.ids(grams),
            bounds=np.array([0, len(grams)], dtype=np.int64),
            starts=starts,
            start_bounds=np.array([0, len(starts)], dtype=np.int64),
            specifics=[{g for g in grams if any(c.isdigit() for c in g)}],
        )

    def _account_stop(self, account: str) -> frozenset[str]:
        words = self._account_words.get(account)
        if words is None:
            if account and isinstance(self.tokenizer, JiebaTokenizer):
                words = frozenset(self.tokenizer.tokenize(normalize_text(account, self.config.normalize)))
            else:
                words = frozenset()
            self._account_words[account] = words
        return words

    def extract(
        self,
        article: Article,
        *,
        index: int,
        body: str | None = None,
        title: str | None = None,
    ) -> Features:
        """Compute the features of one article.

        Parameters
        ----------
        article : Article
            The post.
        index : int
            Its position in the batch.
        body, title : str, optional
            Already normalized body/title (e.g. with learned boilerplate removed);
            normalized here when omitted.

        Returns
        -------
        Features
        """
        if body is None or title is None:
            ntitle, nbody = self.normalize(article)
            body = nbody if body is None else body
            title = ntitle if title is None else title
        return self.extract_many([article], start=index, titles=[title], bodies=[body])[0]

    def extract_many(
        self,
        articles: Sequence[Article],
        *,
        start: int = 0,
        titles: Sequence[str] | None = None,
        bodies: Sequence[str] | None = None,
    ) -> list[Features]:
        """Compute the features of consecutive articles (``index`` counts from ``start``).

        The same features as :meth:`extract` one by one, computed a chunk at a time:
        every token of the chunk is looked up in one pass and the shingles of all
        bodies are hashed together.

        Parameters
        ----------
        articles : sequence of Article
            The posts.
        start : int
            Index of the first.
        titles, bodies : sequence of str, optional
            Already normalized titles and bodies (e.g. with learned boilerplate
            removed), one per article; normalized here when omitted.

        Returns
        -------
        list of Features

        Examples
        --------
        >>> from dedup import Article, DedupConfig
        >>> fx = FeatureExtractor(DedupConfig())
        >>> feats = fx.extract_many([Article(id="1", text="社区开展活动"), Article(id="2", text="6月12日")], start=5)
        >>> [f.index for f in feats], feats[1].specifics
        ([5, 6], ('12', '6'))
        """
        n = len(articles)
        if titles is None or bodies is None:
            normalized = [self.normalize(a) for a in articles]
            titles = [t for t, _ in normalized] if titles is None else titles
            bodies = [b for _, b in normalized] if bodies is None else bodies
        if len(titles) != n or len(bodies) != n:
            msg = f"need one title and one body per article: {n} articles, {len(titles)} titles, {len(bodies)} bodies"
            raise ValueError(msg)
        return self._extract(articles, start, titles, bodies)[0]

    def _extract(
        self, articles: Sequence[Article], start: int, titles: Sequence[str], bodies: Sequence[str]
    ) -> tuple[list[Features], list[set[str]]]:
        """:meth:`extract_many`, and the specifics of each body alone.

        (Before the title's specifics are added and the account's words removed.)
        """
        n = len(articles)
        # Bodies first, then titles (only their specifics are used).
        enc = self._encode_many([*bodies, *titles])
        bits: Literal[32, 64] = 32 if self.config.scheme == "affine32" else 64
        ids_all = enc.ids
        bounds = enc.bounds[: n + 1]
        shingles = shingle_hashes_many(ids_all, bounds, ngram_size=self.config.ngram_size, bits=bits)
        sequence_all = (ids_all ^ (ids_all >> np.uint64(32))).astype(np.uint32)
        # Single words (what the affine32 scheme hashes: the folded ids, i.e. the
        # sequence): a truncated or lightly edited lead keeps most of them.
        words_all = sequence_all if bits == 32 else ids_all
        edges = bounds.tolist()
        start_edges = enc.start_bounds.tolist()
        out = []
        for k, (article, body) in enumerate(zip(articles, bodies, strict=True)):
            lo, hi = edges[k], edges[k + 1]
            words = words_all[lo:hi]
            specifics = enc.specifics[k] | enc.specifics[n + k]
            specifics -= self._account_stop(article.account)
            paragraphs, paragraph_bounds = _paragraph_leads(words, enc.starts[start_edges[k] : start_edges[k + 1]])
            digest = hashlib.blake2b(body.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            out.append(
                Features(
                    index=start + k,
                    id=article.id,
                    account=article.account,
                    length=len(body),
                    n_words=hi - lo,
                    digest=digest,
                    shingles=shingles[k],
                    lead=words[:LEAD_WORDS].copy(),
                    specifics=tuple(sorted(specifics)),
                    sequence=sequence_all[lo:hi],
                    paragraphs=paragraphs,
                    paragraph_bounds=paragraph_bounds,
                )
            )
        return out, enc.specifics[:n]


@dataclass(frozen=True, slots=True)
class _Encoded:
    """Several texts encoded: word ids one text after another, and where each ends.

    Text ``k`` has words ``ids[bounds[k]:bounds[k + 1]]``, paragraphs starting at the
    word positions ``starts[start_bounds[k]:start_bounds[k + 1]]`` and the specifics
    ``specifics[k]``.
    """

    ids: NDArray[np.uint64]
    bounds: NDArray[np.int64]
    starts: NDArray[np.int64]
    start_bounds: NDArray[np.int64]
    specifics: list[set[str]]

    @staticmethod
    def join(parts: Sequence[_Encoded]) -> _Encoded:
        return _Encoded(
            ids=np.concatenate([p.ids for p in parts]) if parts else np.zeros(0, dtype=np.uint64),
            bounds=edges_of([len(p.ids) for p in parts]),
            starts=np.concatenate([p.starts for p in parts]) if parts else np.zeros(0, dtype=np.int64),
            start_bounds=edges_of([len(p.starts) for p in parts]),
            specifics=[s for p in parts for s in p.specifics],
        )


def edges_of(sizes: Sequence[int] | NDArray[np.bool_]) -> NDArray[np.int64]:
    """Where consecutive parts of these sizes start and end: ``[0, s0, s0 + s1, ...]``."""
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


# Vocabulary code of a line break (paragraph boundary); never a word id or a -k index.
_NEWLINE = -(2**62)


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


class _Vocabulary:
    """Per-extractor cache of what each distinct raw token stands for.

    Every distinct token is re-split, filtered (punctuation, stop words), hashed and
    checked for specifics once, and given a slot. A chunk of posts is then encoded
    with C-level iteration (one ``dict`` lookup per token inside ``numpy.fromiter``,
    new tokens learned as they are met) and numpy indexing by slot.

    ``codes[slot]`` is the token's word id (a positive 63-bit integer), ``0`` when the
    token carries no content, :data:`_NEWLINE`, or ``-k`` when it splits into several
    words (``self._multi[k]``, rare: runs of letters and digits). ``flags[slot]`` says
    whether it carries specifics (``self._specs[slot]``).
    """

    # Bound on cached tokens; the cache is emptied (between chunks) when it grows past it.
    MAX_ENTRIES = 2_000_000

    def __init__(self, tokenizer: JiebaTokenizer) -> None:
        self._tokenizer = tokenizer
        self._stop = tokenizer.stopwords
        self._tag = tokenizer.tagger()
        self._hasher = TokenHasher()
        self._reset()

    def _reset(self) -> None:
        self._slots = _Slots(self._learn)
        self._codes = np.zeros(1 << 12, dtype=np.int64)
        self._flags = np.zeros(1 << 12, dtype=bool)
        self._specs: dict[int, tuple[str, ...]] = {}
        self._multi: list[list[int]] = [[]]

    def __len__(self) -> int:
        return len(self._slots)

    def _learn(self, token: str) -> int:
        words = []
        specs = []
        for word in self._tokenizer.resplit(token):
            if word in self._stop or not is_word(word):
                continue
            words.append(self._hasher.token_id(word))
            spec = specific_form(word, self._tag)
            if spec is not None:
                # Interned so that the specifics of many posts share one string object.
                specs.append(sys.intern(spec))
        if "\n" in token:
            code = _NEWLINE
        elif len(words) == 1:
            code = words[0]
        elif not words:
            code = 0
        else:
            self._multi.append(words)
            code = -(len(self._multi) - 1)
        slot = len(self._slots)  # the token is added under this slot once learned
        if slot == len(self._codes):
            self._codes = np.concatenate((self._codes, np.zeros_like(self._codes)))
            self._flags = np.concatenate((self._flags, np.zeros_like(self._flags)))
        self._codes[slot] = code
        if specs:
            self._flags[slot] = True
            self._specs[slot] = tuple(specs)
        return slot

    def encode_many(self, token_lists: Sequence[list[str]]) -> _Encoded:
        """Word ids, specifics and paragraph starts of many token lists."""
        if len(self._slots) > self.MAX_ENTRIES:
            self._reset()
        lengths = [len(tokens) for tokens in token_lists]
        bounds = edges_of(lengths)
        slots = np.fromiter(
            map(self._slots.__getitem__, chain.from_iterable(token_lists)), dtype=np.int64, count=int(bounds[-1])
        )
        # (read after the lookups: learning may have grown the arrays)
        specifics = self._post_specifics(slots, bounds)
        codes, bounds = self._expand(self._codes[slots], bounds)
        is_word = codes > 0
        before = edges_of(is_word)  # words before each position
        word_bounds = before[bounds]
        # A paragraph starts at the number of words its post has before each line
        # break; consecutive breaks (no words between) start it once.
        breaks = np.flatnonzero(codes == _NEWLINE)
        post = np.searchsorted(bounds, breaks, side="right") - 1
        at = before[breaks] - word_bounds[post]
        first = np.ones(len(breaks), dtype=bool)
        first[1:] = (post[1:] != post[:-1]) | (at[1:] != at[:-1])
        post, at = post[first], at[first]
        return _Encoded(
            ids=codes[is_word].view(np.uint64),
            bounds=word_bounds,
            starts=at,
            start_bounds=np.searchsorted(post, np.arange(len(token_lists) + 1)).astype(np.int64),
            specifics=specifics,
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

    def _expand(
        self, codes: NDArray[np.int64], bounds: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Replace each several-word token by its words (rare), moving the bounds."""
        multi = np.flatnonzero((codes < 0) & (codes != _NEWLINE))
        if not len(multi):
            return codes, bounds
        parts = [self._multi[-c] for c in codes[multi].tolist()]
        sizes = np.array([len(p) for p in parts], dtype=np.int64)
        reps = np.ones(len(codes), dtype=np.int64)
        reps[multi] = sizes
        ends = np.cumsum(reps)
        out = np.repeat(codes, reps)
        # Position of every filled word: its token's first position plus its rank in it.
        firsts = np.repeat(ends[multi] - sizes, sizes)
        ranks = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        out[firsts + ranks] = np.fromiter(chain.from_iterable(parts), dtype=np.int64, count=int(sizes.sum()))
        return out, np.concatenate(([0], ends))[bounds]


def content_words(tokens: Iterable[str]) -> list[str]:
    """Keep tokens that carry content (letters, digits, CJK)."""
    return [t for t in tokens if is_word(t)]
