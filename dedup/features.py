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
from itertools import pairwise
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from dedup.config import DedupConfig
from dedup.models import Article
from dedup.normalize import normalize_text
from dedup.signature import TokenHasher, shingle_hashes
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

    def _encode(self, text: str) -> tuple[NDArray[np.uint64], set[str], NDArray[np.int64]]:
        """Token ids of the content words of ``text``, their specifics, and where paragraphs start.

        Paragraph starts are word positions.
        """
        if isinstance(self.tokenizer, CharNgramTokenizer):
            lines = [self.tokenizer.tokenize(line) for line in text.split("\n")]
            grams = [g for line in lines for g in line]
            starts = np.cumsum([0] + [len(line) for line in lines[:-1]])
            return self._hasher.ids(grams), {g for g in grams if any(c.isdigit() for c in g)}, starts
        if self._vocab is None:
            self._vocab = _Vocabulary(self.tokenizer)
        return self._vocab.encode(self.tokenizer.segment(text))

    def _specifics(self, text: str) -> set[str]:
        """The specifics of ``text`` alone (a title: no ids, no paragraphs needed)."""
        if isinstance(self.tokenizer, CharNgramTokenizer) or self._vocab is None:
            return self._encode(text)[1]
        return self._vocab.specifics(self.tokenizer.segment(text))

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
        ids, specifics, starts = self._encode(body)
        if title:
            specifics |= self._specifics(title)
        specifics -= self._account_stop(article.account)
        bits: Literal[32, 64] = 32 if self.config.scheme == "affine32" else 64
        shingles = shingle_hashes(ids, ngram_size=self.config.ngram_size, bits=bits)
        sequence = (ids ^ (ids >> np.uint64(32))).astype(np.uint32)
        # Single words (what the affine32 scheme hashes: the folded ids, i.e. the
        # sequence): a truncated or lightly edited lead keeps most of them.
        words = sequence if bits == 32 else ids
        lead = words[:LEAD_WORDS].copy()
        paragraphs, bounds = _paragraph_leads(words, starts)
        digest = hashlib.blake2b(body.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        return Features(
            index=index,
            id=article.id,
            account=article.account,
            length=len(body),
            n_words=len(ids),
            digest=digest,
            shingles=shingles,
            lead=lead,
            specifics=tuple(sorted(specifics)),
            sequence=sequence,
            paragraphs=paragraphs,
            paragraph_bounds=bounds,
        )

    def extract_many(self, articles: Sequence[Article], *, start: int = 0) -> list[Features]:
        """Compute features for consecutive articles (``index`` counts from ``start``)."""
        return [self.extract(a, index=start + i) for i, a in enumerate(articles)]


# Vocabulary code of a line break (paragraph boundary); never a word id or a -k index.
_NEWLINE = -(2**62)


class _Vocabulary:
    """Per-extractor cache of what each distinct raw token stands for.

    Every distinct token is re-split, filtered (punctuation, stop words), hashed and
    checked for specifics once. A post is then encoded with C-level iteration (a
    ``dict`` lookup per token inside ``numpy.fromiter``), which keeps tokenizing close
    to the speed of the segmenter itself.

    ``ids[token]`` is the token's word id (a positive 63-bit integer), ``0`` when the
    token carries no content, or ``-k`` when it splits into several words
    (``self._multi[k]``, rare: runs of letters and digits).
    """

    # Bound on cached tokens; the cache is emptied when it grows past it.
    MAX_ENTRIES = 2_000_000

    def __init__(self, tokenizer: JiebaTokenizer) -> None:
        self._tokenizer = tokenizer
        self._stop = tokenizer.stopwords
        self._tag = tokenizer.tagger()
        self._hasher = TokenHasher()
        self._ids: dict[str, int] = {}
        self._specs: dict[str, tuple[str, ...]] = {}
        self._multi: list[list[int]] = [[]]

    def _learn(self, token: str) -> None:
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
            self._ids[token] = _NEWLINE
        elif len(words) == 1:
            self._ids[token] = words[0]
        elif not words:
            self._ids[token] = 0
        else:
            self._multi.append(words)
            self._ids[token] = -(len(self._multi) - 1)
        if specs:
            self._specs[token] = tuple(specs)

    def specifics(self, tokens: list[str]) -> set[str]:
        """The specifics among ``tokens`` (learning the tokens not seen before)."""
        distinct = set(tokens)
        new = distinct.difference(self._ids)
        if len(self._ids) + len(new) > self.MAX_ENTRIES:
            # Emptied before (never while) learning one post's tokens, so that all of
            # them are known afterwards.
            self._ids.clear()
            self._specs.clear()
            self._multi = [[]]
            new = distinct
        for token in new:
            self._learn(token)
        # Few tokens carry specifics: intersect (C-level, over the post's tokens) first,
        # never looping over the cache.
        specs_of = self._specs
        return {spec for token in specs_of.keys() & distinct for spec in specs_of[token]}

    def encode(self, tokens: list[str]) -> tuple[NDArray[np.uint64], set[str], NDArray[np.int64]]:
        """Word ids, specifics, and the word positions where paragraphs start."""
        specs = self.specifics(tokens)
        ids = np.fromiter(map(self._ids.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        if (ids < 0).any() and (ids[ids < 0] != _NEWLINE).any():
            expanded: list[int] = []
            for v in ids.tolist():
                if v == _NEWLINE or v > 0:
                    expanded.append(v)
                elif v < 0:
                    expanded.extend(self._multi[-v])
            ids = np.array(expanded, dtype=np.int64)
        words = ids > 0
        # A paragraph starts at the number of words seen before each line break.
        # (cumsum is non-decreasing: dropping repeats of the previous value = unique)
        starts = np.cumsum(words)[ids == _NEWLINE]
        starts = starts[np.r_[True, starts[1:] != starts[:-1]]] if len(starts) else starts.astype(np.int64)
        return ids[words].view(np.uint64), specs, starts


def content_words(tokens: Iterable[str]) -> list[str]:
    """Keep tokens that carry content (letters, digits, CJK)."""
    return [t for t in tokens if is_word(t)]
