"""Account boilerplate learned from the batch.

Accounts wrap their posts in the same headers, footers and framing sentences
(``[长沙县民政局]``, ``浏阳市科协高度重视此项工作。``, 往期推荐 lists). A sentence that
recurs in several posts of one account carries no story: it is dropped before
matching, so that two unrelated posts of one account never match on their footer,
and a repost is not kept apart from its original by the reposting account's wrapper.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

__all__ = ["AccountBoilerplate", "split_sentences"]

_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；…])|\n")
_MIN_SENTENCE = 4


def split_sentences(text: str) -> list[str]:
    """Split normalized text into sentences (line breaks and sentence-final marks).

    Examples
    --------
    >>> split_sentences("第一句.第二句!\\n第三句")
    ['第一句.', '第二句!', '第三句']
    """
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


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

    Examples
    --------
    >>> bp = AccountBoilerplate(min_posts=2, min_share=0.0)
    >>> bp.fit(["甲", "甲", "乙"], ["新闻一.本号编辑部出品.", "新闻二.本号编辑部出品.", "新闻三."])
    AccountBoilerplate(1 sentences, 1 accounts)
    >>> bp.strip("甲", "新闻一.本号编辑部出品.")
    '新闻一.'
    """

    def __init__(self, *, min_posts: int = 3, min_share: float = 0.05) -> None:
        self.min_posts = min_posts
        self.min_share = min_share
        self._sentences: dict[str, frozenset[str]] = {}

    def __repr__(self) -> str:
        n = sum(len(s) for s in self._sentences.values())
        return f"AccountBoilerplate({n} sentences, {len(self._sentences)} accounts)"

    def fit(self, accounts: Sequence[str], bodies: Iterable[str]) -> AccountBoilerplate:
        """Learn each account's recurring sentences from normalized bodies.

        Posts without an account learn nothing; identical bodies of one account count
        once, so that an account posting the same article three times does not turn the
        article into its own boilerplate (and the copies into empty posts). Returns
        ``self``.
        """
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        posts: Counter[str] = Counter()
        seen: set[tuple[str, str]] = set()
        for account, body in zip(accounts, bodies, strict=True):
            if not account or (account, body) in seen:
                continue
            seen.add((account, body))
            posts[account] += 1
            counts[account].update({s for s in split_sentences(body) if len(s) >= _MIN_SENTENCE})
        learned: dict[str, frozenset[str]] = {}
        for account, counter in counts.items():
            need = max(self.min_posts, self.min_share * posts[account])
            common = frozenset(s for s, c in counter.items() if c >= need)
            if common:
                learned[account] = common
        self._sentences = learned
        return self

    def sentences(self, account: str) -> frozenset[str]:
        """The learned boilerplate sentences of ``account``."""
        return self._sentences.get(account, frozenset())

    def strip(self, account: str, body: str) -> str:
        """Remove ``account``'s boilerplate sentences from a normalized body."""
        learned = self._sentences.get(account)
        if not learned:
            return body
        out_lines = []
        for line in body.split("\n"):
            parts = [s for s in split_sentences(line) if s not in learned]
            if parts:
                out_lines.append("".join(parts))
        return "\n".join(out_lines)
