"""Per-article features: normalize → tokenize → shingles and specifics, in one step.

:class:`FeatureExtractor` owns the tokenizer and turns one :class:`~dedup.Article`
into :class:`Features`, the compact record every later step works on (signatures,
candidates, verification). It holds no text but the normalized body, so memory is
bounded by features rather than raw input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dedup.config import DedupConfig
from dedup.models import Article
from dedup.normalize import normalize_text
from dedup.signature import TokenHasher, shingle_hashes
from dedup.specifics import extract_specifics
from dedup.tokenizer import CharNgramTokenizer, JiebaTokenizer, is_word

__all__ = ["FeatureExtractor", "Features", "clean_title"]

#: Content words of the body's lead used for the lead signature (truncated reposts).
LEAD_WORDS = 40

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
    shingles : ndarray of uint64
        Sorted distinct word-shingle hashes of the body.
    lead : ndarray of uint64
        Shingle hashes of the body's first :data:`LEAD_WORDS` content words.
    specifics : frozenset of str
        Numbers, dates, names and places of title and body (account-name words removed).
    sequence : ndarray of uint32
        The body's content words in order, as 32-bit token ids (for order-aware fuzzy
        verification without keeping the words themselves).
    """

    index: int
    id: str
    account: str
    length: int
    n_words: int
    digest: bytes
    shingles: NDArray[np.uint64]
    lead: NDArray[np.uint64]
    specifics: frozenset[str]
    sequence: NDArray[np.uint32]


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
        self._word_tokenizer: JiebaTokenizer | None = (
            self.tokenizer if isinstance(self.tokenizer, JiebaTokenizer) else None
        )
        self._hasher = TokenHasher()
        self._account_words: dict[str, frozenset[str]] = {}
        self._tag: Callable[[str], str] | None = None

    def __getstate__(self) -> dict[str, object]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, object]) -> None:
        config = state["config"]
        assert isinstance(config, DedupConfig)
        self.__init__(config)  # type: ignore[misc]

    def normalize(self, article: Article) -> tuple[str, str]:
        """Return the normalized ``(title, body)`` of ``article``."""
        ncfg = self.config.normalize
        return clean_title(normalize_text(article.title, ncfg)), normalize_text(article.text, ncfg)

    def _words(self, text: str) -> list[str]:
        if self._word_tokenizer is not None:
            return self._word_tokenizer.tokenize(text)
        return self.tokenizer.tokenize(text)

    def _account_stop(self, account: str) -> frozenset[str]:
        words = self._account_words.get(account)
        if words is None:
            words = frozenset(self._words(normalize_text(account, self.config.normalize))) if account else frozenset()
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
        words = self._words(body)
        title_words = self._words(title) if title else []
        ids = self._hasher.ids(words)
        shingles = shingle_hashes(ids, ngram_size=self.config.ngram_size)
        lead = shingle_hashes(ids[:LEAD_WORDS], ngram_size=self.config.ngram_size)
        if self._word_tokenizer is not None:
            if self._tag is None:
                self._tag = self._word_tokenizer.tagger()
            specifics = extract_specifics(
                [*title_words, *words], self._tag, exclude=self._account_stop(article.account)
            )
        else:
            specifics = frozenset(w for w in words if any(ch.isdigit() for ch in w))
        digest = hashlib.blake2b(body.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        return Features(
            index=index,
            id=article.id,
            account=article.account,
            length=len(body),
            n_words=len(words),
            digest=digest,
            shingles=shingles,
            lead=lead,
            specifics=specifics,
            sequence=(ids ^ (ids >> np.uint64(32))).astype(np.uint32),
        )

    def extract_many(self, articles: Sequence[Article], *, start: int = 0) -> list[Features]:
        """Compute features for consecutive articles (``index`` counts from ``start``)."""
        return [self.extract(a, index=start + i) for i, a in enumerate(articles)]


def content_words(tokens: Iterable[str]) -> list[str]:
    """Keep tokens that carry content (letters, digits, CJK)."""
    return [t for t in tokens if is_word(t)]
