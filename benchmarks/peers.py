"""The pipelines a user would otherwise write, for side-by-side quality figures.

Each peer takes the batch as ``(id, text)`` records and returns groups of ids (lists
of two or more) that it judges to be one story. They are written the way a competent
user would write them from each library's documentation, with the parameters the
issue fixes and nothing tuned to the labels:

``a``  jieba words → datasketch ``MinHash(num_perm=128)`` → ``MinHashLSH(threshold=0.5)``,
       every post queried against the index, connected components, no verification;
``b``  jieba words → ``simhash.Simhash`` (64 bit) → ``SimhashIndex(k=3)``, components;
``b2`` the same simhash index fed the other usual way: jieba's TF-IDF keywords with their
       weights (``jieba.analyse`` defaults: top 20, its bundled IDF table and stop words),
       because unweighted words let function words (的, 是, 在) dominate long posts' bits;
``c``  character 5-grams → datasketch ``MinHash(num_perm=128)`` → ``MinHashLSH(threshold=0.3)``,
       components;
``d``  jieba words → rensa ``RMinHash(num_perm=128)`` → ``RMinHashDeduplicator(threshold=0.5,
       use_lsh=True)`` (rensa's documented dedup API, which checks each LSH candidate's
       estimated Jaccard against the threshold), each duplicate linked to the kept posts
       it matches, components.

Common choices (what a typical user does):

* Only the article ``text`` is compared (titles are often rewritten by reposting
  accounts, and dedup tools such as text-dedup hash one text column).
* jieba words come from a private ``jieba.Tokenizer()`` instance, ``lcut(text)`` with
  jieba's defaults (accurate mode, HMM on); tokens without any letter, digit or CJK
  character (punctuation, whitespace) are dropped. No stop-word list.
* Character 5-grams are taken over the text with whitespace removed.
* A post with no tokens is left out (it would collide with every other empty post).

Heavy libraries are imported when a peer runs, so ``--methods`` can skip one whose
package is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PEERS", "Peer", "PeerResult", "UnionFind", "jieba_words"]

Record = tuple[str, str]
Groups = list[list[str]]


class UnionFind:
    """Connected components over ``n`` items (path halving, union by size)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]

    def groups(self, ids: Sequence[str]) -> Groups:
        """Components of two or more items, as lists of ids in input order."""
        members: dict[int, list[str]] = {}
        for i, key in enumerate(ids):
            members.setdefault(self.find(i), []).append(key)
        return [g for g in members.values() if len(g) > 1]


@dataclass
class PeerResult:
    """Groups found by one peer and where its time went (seconds)."""

    groups: Groups
    seconds: dict[str, float] = field(default_factory=dict)


def _is_word(token: str) -> bool:
    # str.isalnum is true for letters, digits and CJK ideographs; false for punctuation.
    return any(ch.isalnum() for ch in token)


def jieba_words(records: Sequence[Record]) -> list[list[str]]:
    """Jieba words of every text (own Tokenizer instance, punctuation/whitespace dropped)."""
    import logging

    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return [[w for w in tokenizer.lcut(text) if _is_word(w)] for _, text in records]


def jieba_keywords(records: Sequence[Record]) -> list[list[tuple[str, float]]]:
    """Jieba TF-IDF keywords with weights (defaults: top 20), own Tokenizer instance."""
    import logging

    import jieba
    import jieba.analyse

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    tfidf = jieba.analyse.TFIDF()
    tfidf.tokenizer = tokenizer  # not the module-level jieba.dt
    return [tfidf.extract_tags(text, topK=20, withWeight=True) for _, text in records]


def char_ngrams(records: Sequence[Record], n: int = 5) -> list[list[str]]:
    """Character ``n``-grams of every text, whitespace removed."""
    out = []
    for _, text in records:
        s = "".join(text.split())
        out.append([s[i : i + n] for i in range(len(s) - n + 1)] if len(s) >= n else ([s] if s else []))
    return out


def _datasketch_components(ids: Sequence[str], tokens: Sequence[Sequence[str]], *, threshold: float) -> Groups:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    sigs: dict[int, Any] = {}
    for i, toks in enumerate(tokens):
        if not toks:
            continue
        m = MinHash(num_perm=128)
        m.update_batch([t.encode("utf-8") for t in set(toks)])
        sigs[i] = m
        lsh.insert(i, m)
    uf = UnionFind(len(ids))
    for i, m in sigs.items():
        for j in lsh.query(m):
            uf.union(i, j)
    return uf.groups(ids)


def _timed(
    tokenize: Callable[[Sequence[Record]], list[list[Any]]], group: Callable[..., Groups]
) -> Callable[[Sequence[Record]], PeerResult]:
    def run(records: Sequence[Record]) -> PeerResult:
        t0 = time.perf_counter()
        tokens = tokenize(records)
        t1 = time.perf_counter()
        groups = group([r[0] for r in records], tokens)
        t2 = time.perf_counter()
        return PeerResult(groups, {"tokenize": t1 - t0, "match": t2 - t1, "total": t2 - t0})

    return run


def _minhash_words(ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> Groups:
    return _datasketch_components(ids, tokens, threshold=0.5)


def _minhash_char5(ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> Groups:
    return _datasketch_components(ids, tokens, threshold=0.3)


def _simhash_words(ids: Sequence[str], tokens: Sequence[Sequence[Any]]) -> Groups:
    import logging

    from simhash import Simhash, SimhashIndex  # type: ignore[import-untyped]

    logging.getLogger("simhash").setLevel(logging.ERROR)  # "Big bucket found" is chatter
    hashes = {i: Simhash(toks, f=64) for i, toks in enumerate(tokens) if toks}
    index = SimhashIndex([(str(i), h) for i, h in hashes.items()], f=64, k=3)
    uf = UnionFind(len(ids))
    for i, h in hashes.items():
        for j in index.get_near_dups(h):
            uf.union(i, int(j))
    return uf.groups(ids)


def _rensa_words(ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> Groups:
    from rensa import RMinHash, RMinHashDeduplicator  # type: ignore[import-untyped]

    present = [i for i, toks in enumerate(tokens) if toks]
    sketches = RMinHash.from_token_sets([tokens[i] for i in present], num_perm=128, seed=42)
    dedup = RMinHashDeduplicator(threshold=0.5, num_perm=128, use_lsh=True)
    keep = dedup.add_pairs([(str(i), m) for i, m in zip(present, sketches, strict=True)])
    uf = UnionFind(len(ids))
    for i, m, kept in zip(present, sketches, keep, strict=True):
        if not kept:
            for j in dedup.get_duplicates(m):
                uf.union(i, int(j))
    return uf.groups(ids)


@dataclass(frozen=True)
class Peer:
    """One peer pipeline: a short key, a label for the table, the package it needs."""

    key: str
    label: str
    package: str
    run: Callable[[Sequence[Record]], PeerResult]


PEERS: dict[str, Peer] = {
    p.key: p
    for p in (
        Peer("a", "(a) jieba + datasketch MinHashLSH(0.5)", "datasketch", _timed(jieba_words, _minhash_words)),
        Peer("b", "(b) jieba + simhash (64 bit, k=3)", "simhash", _timed(jieba_words, _simhash_words)),
        Peer(
            "b2",
            "(b2) jieba TF-IDF top-20 keywords + simhash (k=3)",
            "simhash",
            _timed(jieba_keywords, _simhash_words),
        ),
        Peer("c", "(c) char 5-grams + MinHashLSH(0.3)", "datasketch", _timed(char_ngrams, _minhash_char5)),
        Peer("d", "(d) jieba + rensa RMinHashDeduplicator(0.5)", "rensa", _timed(jieba_words, _rensa_words)),
    )
}
