"""Account boilerplate learned from the batch.

Accounts wrap their posts in the same headers, footers and framing sentences
(``[长沙县民政局]``, ``浏阳市科协高度重视此项工作。``, 往期推荐 lists). A sentence that
recurs in several posts of one account carries no story: it is dropped before
matching, so that two unrelated posts of one account never match on their footer,
and a repost is not kept apart from its original by the reposting account's wrapper.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dedup.config import Params
from dedup.normalize import SENTENCE_END_MARKS

__all__ = [
    "AccountBoilerplate",
    "AccountChange",
    "AccountState",
    "BoilerplateCounts",
    "PostKeys",
    "affected_posts",
    "plan_changes",
    "post_keys",
    "sentence_key",
    "sentence_run",
    "split_sentences",
    "strip_keys",
]

# A sentence: text up to and including a sentence-final mark, or the rest of a line.
# (findall; the same pieces as splitting after each mark and at line breaks, in half the time)
_MARKS = re.escape(SENTENCE_END_MARKS)
_SENTENCE = re.compile(rf"[^{_MARKS}\n]*[{_MARKS}]|[^{_MARKS}\n]+")
# What splitting into sentences and joining them again can change: spaces, blank lines.
_SPACE_OR_BLANK_LINE = re.compile(r"[^\S\n]|\n\n|\A\n|\n\Z")
_DEFAULT = Params()


def split_sentences(text: str) -> list[str]:
    """Split normalized text into sentences (line breaks and sentence-final marks).

    Examples
    --------
    >>> split_sentences("第一句.第二句!\\n第三句")
    ['第一句.', '第二句!', '第三句']
    """
    return [s for s in (part.strip() for part in _SENTENCE.findall(text)) if s]


def sentence_key(sentence: str) -> int:
    """A stable 64-bit key of one sentence (the same in every process).

    Examples
    --------
    >>> sentence_key("本号编辑部出品.") == sentence_key("本号编辑部出品.")
    True
    """
    return int.from_bytes(hashlib.blake2b(sentence.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


#: What learning needs to know of one post: a key of the whole body (identical posts of
#: an account count once) and the keys of its sentences.
PostKeys = tuple[int, frozenset[int]]


def sentence_run(body: str, *, min_sentence: int = _DEFAULT.min_sentence) -> tuple[list[int], list[int]]:
    """The keys and lengths (characters) of a body's sentences, in order, repeats included.

    Examples
    --------
    >>> keys, sizes = sentence_run("新闻一的正文.本号编辑部出品.")
    >>> len(keys), sizes
    (2, [7, 8])
    """
    keys, sizes = [], []
    for s in split_sentences(body):
        if len(s) >= min_sentence:
            keys.append(sentence_key(s))
            sizes.append(len(s))
    return keys, sizes


def post_keys(body: str, *, min_sentence: int = _DEFAULT.min_sentence) -> PostKeys:
    """The :data:`PostKeys` of a normalized body (computed where the body is, e.g. a worker).

    Sentences shorter than ``min_sentence`` characters are never boilerplate.

    Examples
    --------
    >>> body_key, keys = post_keys("新闻一.本号编辑部出品.")
    >>> len(keys)
    2
    """
    return sentence_key(body), frozenset(sentence_key(s) for s in split_sentences(body) if len(s) >= min_sentence)


class AccountBoilerplate:
    """Sentences that recur across posts of one account.

    Parameters
    ----------
    min_posts : int
        A sentence is boilerplate for an account when it appears in at least this many
        of the account's posts.
    min_share : float
        ... and in at least this share of them (a small account with a three-post
        series keeps its sentences).
    min_kept : float
        Share of a post that must remain after stripping (see :func:`strip_keys`).

    Examples
    --------
    >>> bp = AccountBoilerplate(min_posts=2, min_share=0.0)
    >>> bp.fit(["甲", "甲", "乙"], ["社区新闻一的正文.本号出品.", "社区新闻二的正文.本号出品.", "新闻三."])
    AccountBoilerplate(1 sentences, 1 accounts)
    >>> bp.strip("甲", "社区新闻一的正文.本号出品.")
    '社区新闻一的正文.'
    """

    def __init__(
        self,
        *,
        min_posts: int = _DEFAULT.boilerplate_min_posts,
        min_share: float = _DEFAULT.boilerplate_min_share,
        min_kept: float = _DEFAULT.boilerplate_min_kept,
    ) -> None:
        self.min_posts = min_posts
        self.min_share = min_share
        self.min_kept = min_kept
        self._keys: dict[str, frozenset[int]] = {}

    @classmethod
    def from_params(cls, params: Params) -> AccountBoilerplate:
        """An empty model with the rule of ``params``.

        Examples
        --------
        >>> AccountBoilerplate.from_params(Params(boilerplate_min_posts=4)).min_posts
        4
        """
        return cls(
            min_posts=params.boilerplate_min_posts,
            min_share=params.boilerplate_min_share,
            min_kept=params.boilerplate_min_kept,
        )

    def __repr__(self) -> str:
        n = sum(len(s) for s in self._keys.values())
        return f"AccountBoilerplate({n} sentences, {len(self._keys)} accounts)"

    def fit(self, accounts: Sequence[str], bodies: Iterable[str]) -> AccountBoilerplate:
        """Learn each account's recurring sentences from normalized bodies.

        Posts without an account learn nothing; identical bodies of one account count
        once, so that an account posting the same article three times does not turn the
        article into its own boilerplate (and the copies into empty posts). Returns
        ``self``.
        """
        return self.fit_keys(accounts, (post_keys(body) for body in bodies))

    def fit_keys(self, accounts: Sequence[str], keys: Iterable[PostKeys]) -> AccountBoilerplate:
        """Learn from :func:`post_keys` of each post instead of the bodies themselves."""
        body_keys: list[int] = []
        flat: list[int] = []
        bounds = [0]
        for body_key, sentence_keys in keys:
            body_keys.append(body_key)
            flat.extend(sentence_keys)
            bounds.append(len(flat))
        return self.fit_arrays(
            accounts,
            np.array(body_keys, dtype=np.uint64),
            np.array(flat, dtype=np.uint64),
            np.array(bounds, dtype=np.int64),
        )

    def fit_arrays(
        self,
        accounts: Sequence[str],
        body_keys: NDArray[np.uint64],
        keys: NDArray[np.uint64],
        bounds: NDArray[np.int64],
    ) -> AccountBoilerplate:
        """Learn from :func:`post_keys` held in arrays (compact for large batches).

        Post ``i`` has the body key ``body_keys[i]`` and the distinct sentence keys
        ``keys[bounds[i]:bounds[i + 1]]``. Returns ``self``.

        Examples
        --------
        >>> import numpy as np
        >>> bp = AccountBoilerplate(min_posts=2, min_share=0.0)
        >>> keys = np.array([7, 9, 7, 8], dtype=np.uint64)
        >>> bp.fit_arrays(["甲", "甲"], np.array([1, 2], dtype=np.uint64), keys, np.array([0, 2, 4]))
        AccountBoilerplate(1 sentences, 1 accounts)
        """
        n = len(accounts)
        if len(body_keys) != n or len(bounds) != n + 1:
            msg = (
                f"need one body key and one key range per post: "
                f"{n} accounts, {len(body_keys)} body keys, {len(bounds)} bounds"
            )
            raise ValueError(msg)
        # Posts without an account learn nothing; an account's identical bodies count once.
        codes = np.full(n, -1, dtype=np.int64)
        names: dict[str, int] = {}
        seen: set[tuple[str, int]] = set()
        for i, (account, body_key) in enumerate(zip(accounts, body_keys.tolist(), strict=True)):
            if account and (account, body_key) not in seen:
                seen.add((account, body_key))
                codes[i] = names.setdefault(account, len(names))
        posts = np.bincount(codes[codes >= 0], minlength=len(names))
        # Count, for each (account, sentence), the posts that have it: sort the pairs and
        # measure the runs (compact where a Counter per account would hold millions of
        # Python ints).
        owner = np.repeat(codes, np.diff(bounds))
        kept = owner >= 0
        owner, sentence = owner[kept], keys[kept]
        order = np.lexsort((sentence, owner))
        owner, sentence = owner[order], sentence[order]
        first = np.ones(len(owner), dtype=bool)
        first[1:] = (owner[1:] != owner[:-1]) | (sentence[1:] != sentence[:-1])
        starts = np.flatnonzero(first)
        counts = np.diff(np.append(starts, len(owner)))
        owner, sentence = owner[starts], sentence[starts]
        need = np.maximum(self.min_posts, self.min_share * posts)
        common = counts >= need[owner]
        learned: dict[int, set[int]] = {}
        for code, key in zip(owner[common].tolist(), sentence[common].tolist(), strict=True):
            learned.setdefault(code, set()).add(key)
        # Accounts in the order they first appear.
        self._keys = {name: frozenset(learned[code]) for name, code in names.items() if code in learned}
        return self

    def touching(self, accounts: Sequence[str], keys: NDArray[np.uint64], bounds: NDArray[np.int64]) -> list[bool]:
        """:meth:`touches` for many posts whose keys are held as for :meth:`fit_arrays`."""
        edges = bounds.tolist()
        out = []
        for i, account in enumerate(accounts):
            learned = self._keys.get(account)
            out.append(bool(learned) and not learned.isdisjoint(keys[edges[i] : edges[i + 1]].tolist()))  # type: ignore[union-attr]
        return out

    def min_count(self, posts: int) -> float:
        """Return how many posts must contain a sentence for it to be boilerplate.

        For an account with ``posts`` distinct posts: at least ``min_posts`` of them and
        ``min_share`` of them.

        Examples
        --------
        >>> AccountBoilerplate(min_posts=3, min_share=0.05).min_count(100)
        5.0
        """
        return max(self.min_posts, self.min_share * posts)

    def count(self, account: str) -> int:
        """How many boilerplate sentences were learned for ``account``."""
        return len(self._keys.get(account, ()))

    def learned_among(self, account: str, keys: Iterable[int]) -> tuple[int, ...]:
        """The sentence ``keys`` learned for ``account``, sorted: all :meth:`strip` may remove from a body with them.

        Examples
        --------
        >>> bp = AccountBoilerplate(min_posts=2, min_share=0.0)
        >>> bp = bp.fit(["甲", "甲"], ["正文一.本号出品.", "正文二.本号出品."])
        >>> bp.learned_among("甲", post_keys("正文三.本号出品.")[1]) == (sentence_key("本号出品."),)
        True
        """
        learned = self._keys.get(account)
        return tuple(sorted(learned.intersection(keys))) if learned else ()

    def is_boilerplate(self, account: str, sentence: str) -> bool:
        """Tell whether ``sentence`` (as :func:`split_sentences` gives it) is learned boilerplate."""
        learned = self._keys.get(account)
        return bool(learned) and sentence_key(sentence) in learned  # type: ignore[operator]

    def touches(self, account: str, keys: PostKeys) -> bool:
        """Tell whether a post with these :func:`post_keys` has any learned sentence of ``account``.

        When not, :meth:`strip` leaves its body as it is.

        Examples
        --------
        >>> bp = AccountBoilerplate(min_posts=2, min_share=0.0)
        >>> bp = bp.fit(["甲", "甲"], ["新闻一的正文.本号出品.", "新闻二的正文.本号出品."])
        >>> bp.touches("甲", post_keys("新闻三的正文.本号出品.")), bp.touches("甲", post_keys("新闻四."))
        (True, False)
        """
        learned = self._keys.get(account)
        return bool(learned) and not learned.isdisjoint(keys[1])  # type: ignore[union-attr]

    def strip(self, account: str, body: str, *, touched: bool | None = None) -> str:
        """Remove ``account``'s boilerplate sentences from a normalized body.

        ``touched=False`` says that :meth:`touches` is false for this post (known from
        its :func:`post_keys`): the same result, without hashing its sentences again.
        """
        learned = self._keys.get(account)
        if not learned:
            return body
        return strip_keys(body, () if touched is False else learned, min_kept=self.min_kept)


def strip_keys(body: str, learned: Container[int], *, min_kept: float = _DEFAULT.boilerplate_min_kept) -> str:
    r"""Remove the sentences whose :func:`sentence_key` is in ``learned`` from a normalized body.

    What :meth:`AccountBoilerplate.strip` does for an account that has learned
    sentences (it leaves the bodies of other accounts alone): each line is split into
    sentences, the learned ones are dropped and the rest joined again; lines left empty
    disappear. A post that would lose most of its text is left whole.

    Examples
    --------
    >>> body = "社区新闻一的正文内容.本号出品.\n第二段正文.本号出品."
    >>> strip_keys(body, {sentence_key("本号出品.")})
    '社区新闻一的正文内容.\n第二段正文.'
    """
    if not learned and _SPACE_OR_BLANK_LINE.search(body) is None:
        # Nothing to drop, and re-joining the sentences changes nothing either.
        return body
    out_lines = []
    for line in body.split("\n"):
        parts = [s for s in split_sentences(line) if sentence_key(s) not in learned]
        if parts:
            out_lines.append("".join(parts))
    stripped = "\n".join(out_lines)
    # Boilerplate wraps a post; it is not most of it. When learned sentences would
    # take most of a post, the account posted near copies of one article (which
    # must still be found), so the post is left whole.
    if len(stripped) < min_kept * len(body):
        return body
    return stripped


# ---------------------------------------------------------------------------
# incremental: how learned boilerplate changes as posts come and go (DedupIndex)


@dataclass(slots=True)
class AccountState:
    """An account's stored boilerplate figures, before a change.

    Attributes
    ----------
    posts : int
        Distinct bodies of the account.
    learned : int
        Sentences learned as boilerplate.
    counts : dict
        Distinct bodies containing each asked sentence key.
    copies : dict
        Posts with each asked body key.
    """

    posts: int
    learned: int
    counts: dict[int, int]
    copies: dict[int, int]


@dataclass(slots=True)
class AccountChange:
    """How one account's learned boilerplate changes when posts come and go.

    ``deltas`` are the changes in sentence counts; ``need`` the distinct bodies a
    sentence must then appear in; ``flipped`` the sentences already stored whose status
    changes; ``before``/``after`` whether the account has any learned sentence;
    ``learned`` how many it has afterwards; ``counts_after``, ``copies_after`` and
    ``posts_after`` the stored figures afterwards (what a storage writes).
    """

    account: str
    need: float
    deltas: Counter[int]
    flipped: NDArray[np.uint64]
    before: bool
    after: bool
    learned: int
    counts_after: dict[int, int]
    copies_after: dict[int, int]
    posts_after: int

    def learned_of(self, sentences: Sequence[int], counts: dict[int, int]) -> set[int]:
        """Which of a post's sentence keys are learned after the change.

        ``counts`` are the stored counts of those keys (before the change).
        """
        return {k for k in sentences if counts[k] + self.deltas.get(k, 0) >= self.need}


class BoilerplateCounts(Protocol):
    """What the incremental model reads of a storage's boilerplate figures."""

    def account_state(self, account: str, sentences: Sequence[int], bodies: Sequence[int]) -> AccountState:
        """The stored figures of ``account`` for these sentence and body keys."""
        ...

    def sentences_counted(self, account: str, lo: int, hi: int) -> NDArray[np.uint64]:
        """Sorted sentence keys of ``account`` found in ``lo <= n < hi`` distinct bodies."""
        ...

    def posts_with(self, account: str, sentences: NDArray[np.uint64]) -> set[str]:
        """Ids of ``account``'s posts that contain any of ``sentences``."""
        ...

    def sensitive_posts(self, account: str) -> set[str]:
        """Ids of ``account``'s posts whose body changes when re-joined (:func:`strip_keys`)."""
        ...


#: A post as the incremental model sees it: (account, body key, sorted sentence keys).
PostSentences = tuple[str, int, NDArray[np.uint64]]


def plan_changes(
    counts: BoilerplateCounts,
    added: Sequence[PostSentences],
    removed: Sequence[PostSentences],
    *,
    rule: AccountBoilerplate,
) -> dict[str, AccountChange]:
    """Per account, how learned boilerplate changes when ``added`` come and ``removed`` go.

    Identical bodies of one account count once, as in :meth:`AccountBoilerplate.fit`:
    only a body's first copy in or last copy out changes the counts. The result equals
    what a batch fit of the stored posts after the change would learn.
    """
    copies: dict[str, Counter[int]] = {}
    sentences_of: dict[str, dict[int, NDArray[np.uint64]]] = {}
    for sign, group in ((1, added), (-1, removed)):
        for account, body_key, sentences in group:
            if not account:
                continue
            copies.setdefault(account, Counter())[body_key] += sign
            sentences_of.setdefault(account, {})[body_key] = sentences
    return {account: _plan_account(counts, account, copies[account], sentences_of[account], rule) for account in copies}


def _plan_account(
    store: BoilerplateCounts,
    account: str,
    copies: Counter[int],
    sentences_of: dict[int, NDArray[np.uint64]],
    rule: AccountBoilerplate,
) -> AccountChange:
    bodies = sorted(copies)
    involved = sorted({int(k) for b in bodies for k in sentences_of[b].tolist()})
    state = store.account_state(account, involved, bodies)
    dposts = 0
    deltas: Counter[int] = Counter()
    copies_after = {}
    for body in bodies:
        before = state.copies[body]
        after = before + copies[body]
        copies_after[body] = after
        sign = 1 if before == 0 < after else -1 if before > 0 == after else 0
        if sign:
            dposts += sign
            for k in sentences_of[body].tolist():
                deltas[k] += sign
    p0, p1 = state.posts, state.posts + dposts
    need0 = rule.min_count(p0)
    need1 = rule.min_count(p1)
    keys = sorted(k for k, d in deltas.items() if d)
    c0 = np.array([state.counts[k] for k in keys], dtype=np.int64)
    c1 = c0 + np.array([deltas[k] for k in keys], dtype=np.int64)
    st0 = (c0 >= need0) & (c0 > 0)
    st1 = (c1 >= need1) & (c1 > 0)
    karr = np.array(keys, dtype=np.uint64)
    flipped = [karr[(st0 != st1) & (c0 > 0)]]
    gained = int((~st0 & st1).sum())
    lost = int((st0 & ~st1).sum())
    lo, hi = math.ceil(min(need0, need1)), math.ceil(max(need0, need1))
    if lo != hi and p0 > 0:
        # The share rule moved: sentences whose count lies between the two needs
        # change status although no post with them came or went.
        others = store.sentences_counted(account, max(lo, 1), hi)
        others = others[~np.isin(others, karr)]
        flipped.append(others)
        if need1 > need0:
            lost += len(others)
        else:
            gained += len(others)
    learned1 = state.learned + gained - lost
    return AccountChange(
        account=account,
        need=need1,
        deltas=deltas,
        flipped=np.concatenate(flipped),
        before=state.learned > 0,
        after=learned1 > 0,
        learned=learned1,
        counts_after={k: int(c) for k, c in zip(keys, c1.tolist(), strict=True)},
        copies_after=copies_after,
        posts_after=p1,
    )


def affected_posts(counts: BoilerplateCounts, changes: dict[str, AccountChange]) -> dict[str, str]:
    """Stored posts whose stripped body changes with ``changes``: id -> account."""
    out: dict[str, str] = {}
    for account, change in changes.items():
        ids = counts.posts_with(account, change.flipped)
        if change.before != change.after:
            ids |= counts.sensitive_posts(account)
        for i in ids:
            out[i] = account
    return out
