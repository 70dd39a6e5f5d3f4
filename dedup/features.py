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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import sorted_distinct
from dedup.config import DedupConfig, Params
from dedup.models import Article, time_key
from dedup.normalize import normalize_text
from dedup.signature import TokenHasher, shingle_hashes_many
from dedup.tokenizer import CharNgramTokenizer, JiebaTokenizer, is_word
from dedup.vocabulary import Encoded, Vocabulary

__all__ = ["FeatureExtractor", "Features", "body_hash", "clean_title"]


def body_hash(body: str) -> bytes:
    """The 16-byte hash of a normalized body: equal hashes mean an ``exact`` copy.

    Examples
    --------
    >>> len(body_hash("社区开展活动.")), body_hash("甲") == body_hash("甲")
    (16, True)
    """
    return hashlib.blake2b(body.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _keys(enc: Encoded, lo: int, hi: int) -> tuple[NDArray[np.uint32], NDArray[np.uint8], tuple[str, ...]]:
    """The event keys of words ``lo:hi`` of ``enc``: positions, kinds and texts."""
    ids = enc.keys[lo:hi]
    at = np.flatnonzero(ids)
    table = enc.key_table
    found = [table[k] for k in ids[at].tolist()]
    return (
        at.astype(np.uint32),
        np.array([kind for kind, _ in found], dtype=np.uint8),
        tuple(sys.intern(text) for _, text in found),
    )


def _seconds(when: datetime | None) -> float:
    key = time_key(when)
    return key if key != float("inf") else float("nan")


def _paragraph_leads(
    words: NDArray[np.unsignedinteger], starts: NDArray[np.int64], params: Params
) -> tuple[NDArray[np.unsignedinteger], NDArray[np.uint32]]:
    """The first words of each long enough paragraph, concatenated, and their bounds.

    The words are kept as they come (repeats included): a MinHash signature of a list
    is that of its set, so no per-paragraph deduplication is needed.
    """
    edges = [0, *[int(s) for s in starts if 0 < s < len(words)], len(words)]
    lead, least = params.lead_words, params.min_paragraph_words
    spans = [(a, min(b, a + lead)) for a, b in pairwise(edges) if b - a >= least]
    spans = spans[: params.max_paragraphs]
    bounds = np.cumsum([0] + [b - a for a, b in spans]).astype(np.uint32)
    if not spans:
        return words[:0].copy(), bounds
    return np.concatenate([words[a:b] for a, b in spans]), bounds


# Column labels editors prepend to a reposted title: 【基层风采】, [工作动态], 聚焦|, 关注:
_TITLE_PREFIX = re.compile(r"^(?:[\[【〔(（][^\]】〕)）]{1,12}[\]】〕)）]\s*|[^|｜:：\s]{1,6}\s*[|｜]\s*)+")
# What separates a page title's headline from its channel and site names:
# 标题_频道_网站, 标题 - 网站, 标题|网站.
_TITLE_PARTS = re.compile(r"_|[|｜]|\s[-–—]+\s")


def clean_title(title: str) -> str:
    """The headline of a title, without the labels and names around it.

    Editors put column labels in front of a reposted title; a scraped page's title
    carries channel and site names after it.

    Examples
    --------
    >>> clean_title("【基层风采】山东扎实推动黄河流域生态保护")
    '山东扎实推动黄河流域生态保护'
    >>> clean_title("聚焦|山东扎实推动黄河流域生态保护")
    '山东扎实推动黄河流域生态保护'
    >>> clean_title("社区开展垃圾分类宣传活动_社区动态_某某区政府网")
    '社区开展垃圾分类宣传活动'
    """
    cleaned = _TITLE_PREFIX.sub("", title).strip() or title.strip()
    return next((part.strip() for part in _TITLE_PARTS.split(cleaned) if part.strip()), cleaned)


@dataclass(frozen=True, slots=True)
class Features:
    """What the matching steps know about one article.

    Attributes
    ----------
    position : int
        Position in the input batch (0 for a post checked on its own).
    id, account : str
        From the article.
    length : int
        Characters of the normalized body.
    n_words : int
        Content words of the body.
    body_hash : bytes
        :func:`body_hash` of the normalized body: equal hashes mean an ``exact`` copy.
    shingles : ndarray of uint32 (uint64 for the ``affine64`` scheme)
        Sorted distinct word-shingle hashes of the body, at the width the MinHash
        scheme hashes.
    lead : ndarray of uint32 (uint64 for ``affine64``)
        Hashes of the body's first ``params.lead_words`` content words, single words
        (robust to the light edits of a truncated repost), repeats included.
    specifics : tuple of str
        Numbers, dates, names and places of title and body (account-name words
        removed), sorted and distinct. A tuple rather than a set: a third of the memory.
    sequence : ndarray of uint32
        The body's content words in order, as 32-bit token ids (for order-aware fuzzy
        verification without keeping the words themselves).
    published : float
        Publication time in seconds since 1970 (naive times: China time); NaN when
        unknown.
    key_positions : ndarray of uint32
        The event keys of the body (:mod:`dedup.keys`): positions in ``sequence`` of
        the words that fill a slot of the event (numbers, names, local places, quoted
        titles).
    key_kinds : ndarray of uint8
        Their kinds (:data:`~dedup.keys.NUMBER`, :data:`~dedup.keys.NAME`,
        :data:`~dedup.keys.TITLE`, :data:`~dedup.keys.DAY`).
    key_words : tuple of str
        Their canonical text.
    title_words : ndarray of uint32
        The headline's distinct content words (:func:`clean_title`), as token ids like
        ``sequence``, sorted: what the post says it is about.
    paragraphs, paragraph_bounds : ndarray
        The lead of each paragraph (word hashes of its first ``params.lead_words``
        words, paragraphs of at least ``params.min_paragraph_words`` words, at most
        ``params.max_paragraphs``), concatenated; paragraph ``k`` is
        ``paragraphs[bounds[k]:bounds[k + 1]]``. An excerpt or a truncated copy of
        reordered paragraphs starts where one of these paragraphs starts.
    sentence_starts : ndarray of uint32
        Where the body's sentences start in ``sequence`` (after a line break or a
        sentence's end mark), strictly increasing, inside ``(0, n_words)``; the first
        sentence starts at 0. Sentence ``k`` is ``sequence[edges[k]:edges[k + 1]]`` with
        ``edges = [0, *sentence_starts, n_words]`` (:meth:`sentence_edges`).
    """

    position: int
    id: str
    account: str
    length: int
    n_words: int
    body_hash: bytes
    shingles: NDArray[np.unsignedinteger]
    lead: NDArray[np.unsignedinteger]
    specifics: tuple[str, ...]
    sequence: NDArray[np.uint32]
    paragraphs: NDArray[np.unsignedinteger]
    paragraph_bounds: NDArray[np.uint32]
    key_positions: NDArray[np.uint32]
    key_kinds: NDArray[np.uint8]
    key_words: tuple[str, ...]
    title_words: NDArray[np.uint32]
    sentence_starts: NDArray[np.uint32]
    published: float = float("nan")

    def paragraph_leads(self) -> list[NDArray[np.unsignedinteger]]:
        """The word-hash sets of the paragraph leads, one array per paragraph."""
        b = self.paragraph_bounds.tolist()
        return [self.paragraphs[b[k] : b[k + 1]] for k in range(len(b) - 1)]

    def sentence_edges(self) -> NDArray[np.int64]:
        """``[0, *sentence_starts, n_words]``: sentence ``k`` is ``sequence[edges[k]:edges[k + 1]]``."""
        edges = np.empty(len(self.sentence_starts) + 2, dtype=np.int64)
        edges[0], edges[-1] = 0, len(self.sequence)
        edges[1:-1] = self.sentence_starts
        return edges


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
    >>> f = fx.extract(Article(id="1", title="社区开展活动", text="6月12日，荷叶塘社区开展垃圾分类宣传。"), position=0)
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
        self._vocab: Vocabulary | None = None
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
                self._vocab = Vocabulary(self.tokenizer)
        normalize_text("Ａ", self.config.normalize)
        return self

    def normalize(self, article: Article) -> tuple[str, str]:
        """Return the normalized ``(title, body)`` of ``article``."""
        ncfg = self.config.normalize
        return clean_title(normalize_text(article.title, ncfg)), normalize_text(article.text, ncfg)

    def _encode_many(self, texts: Sequence[str]) -> Encoded:
        """Content-word ids, specifics and paragraph starts of many texts at once."""
        if isinstance(self.tokenizer, CharNgramTokenizer):
            return Encoded.join([self._encode_grams(text) for text in texts])
        if self._vocab is None:
            self._vocab = Vocabulary(self.tokenizer)
        segment = self.tokenizer.segment
        return self._vocab.encode_many([segment(text) if text else [] for text in texts])

    def _encode_grams(self, text: str) -> Encoded:
        assert isinstance(self.tokenizer, CharNgramTokenizer)
        texts = text.split("\n")
        lines = [self.tokenizer.tokenize(line) for line in texts]
        grams = [g for line in lines for g in line]
        starts = np.cumsum([0] + [len(line) for line in lines[:-1]]).astype(np.int64)
        # Sentences start at each line and after each end mark inside a line (distinct:
        # a line without grams starts where the next one does).
        inside = [
            int(at) + k
            for at, line, t in zip(starts.tolist(), lines, texts, strict=True)
            if line
            for k in self.tokenizer.sentence_starts(t)
        ]
        sentence_starts = sorted_distinct(np.array([*starts.tolist(), *inside], dtype=np.int64))
        return Encoded(
            ids=self._hasher.ids(grams),
            bounds=np.array([0, len(grams)], dtype=np.int64),
            starts=starts,
            start_bounds=np.array([0, len(starts)], dtype=np.int64),
            sentence_starts=sentence_starts,
            sentence_bounds=np.array([0, len(sentence_starts)], dtype=np.int64),
            specifics=[{g for g in grams if any(c.isdigit() for c in g)}],
            keys=np.zeros(len(grams), dtype=np.uint32),
            key_table=[(0, "")],
        )

    def account_words(self, account: str) -> frozenset[str]:
        """The words of an account's name: never specifics of its posts (headers repeat them)."""
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
        position: int = 0,
        body: str | None = None,
        title: str | None = None,
    ) -> Features:
        """Compute the features of one article.

        Parameters
        ----------
        article : Article
            The post.
        position : int
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
        return self.extract_many([article], start=position, titles=[title], bodies=[body])[0]

    def extract_many(
        self,
        articles: Sequence[Article],
        *,
        start: int = 0,
        titles: Sequence[str] | None = None,
        bodies: Sequence[str] | None = None,
    ) -> list[Features]:
        """Compute the features of consecutive articles (``position`` counts from ``start``).

        The same features as :meth:`extract` one by one, computed a chunk at a time:
        every token of the chunk is looked up in one pass and the shingles of all
        bodies are hashed together.

        Parameters
        ----------
        articles : sequence of Article
            The posts.
        start : int
            Position of the first.
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
        >>> [f.position for f in feats], feats[1].specifics
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
        return self.extract_with_body_specifics(articles, start, titles, bodies)[0]

    def extract_with_body_specifics(
        self, articles: Sequence[Article], start: int, titles: Sequence[str], bodies: Sequence[str]
    ) -> tuple[list[Features], list[set[str]]]:
        """:meth:`extract_many` of normalized texts, and the specifics of each body alone.

        (Before the title's specifics are added and the account's words removed: what a
        word-for-word copy under another title and account shares with its source.)
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
        title_edges = enc.bounds[n:].tolist()
        start_edges = enc.start_bounds.tolist()
        sentence_edges = enc.sentence_bounds.tolist()
        params = self.config.params
        out = []
        for k, (article, body) in enumerate(zip(articles, bodies, strict=True)):
            lo, hi = edges[k], edges[k + 1]
            words = words_all[lo:hi]
            key_positions, key_kinds, key_words = _keys(enc, lo, hi)
            specifics = enc.specifics[k] | enc.specifics[n + k]
            specifics -= self.account_words(article.account)
            sentence_starts = enc.sentence_starts[sentence_edges[k] : sentence_edges[k + 1]]
            sentence_starts = sentence_starts[(sentence_starts > 0) & (sentence_starts < hi - lo)]
            paragraphs, paragraph_bounds = _paragraph_leads(
                words, enc.starts[start_edges[k] : start_edges[k + 1]], params
            )
            out.append(
                Features(
                    position=start + k,
                    id=article.id,
                    account=article.account,
                    length=len(body),
                    n_words=hi - lo,
                    body_hash=body_hash(body),
                    shingles=shingles[k],
                    lead=words[: params.lead_words].copy(),
                    specifics=tuple(sorted(specifics)),
                    sequence=sequence_all[lo:hi],
                    paragraphs=paragraphs,
                    paragraph_bounds=paragraph_bounds,
                    key_positions=key_positions,
                    key_kinds=key_kinds,
                    key_words=key_words,
                    title_words=sorted_distinct(sequence_all[title_edges[k] : title_edges[k + 1]]),
                    sentence_starts=sentence_starts.astype(np.uint32),
                    published=_seconds(article.published_at),
                )
            )
        return out, enc.specifics[:n]


def content_words(tokens: Iterable[str]) -> list[str]:
    """Keep tokens that carry content (letters, digits, CJK)."""
    return [t for t in tokens if is_word(t)]
