"""Mine candidate pairs of real news articles for a hand-judged quality set.

The real corpora under ``../shared/corpus`` (``xwlb``: CCTV 新闻联播 items with a date;
``inews``: web and WeChat posts; ``sina2018``: Sina news of Oct-Nov 2018) carry no labels.
To measure where dedup merges different events on real news, and where it misses one
event told twice, pairs are mined inside each corpus by several independent methods, each
pair gets a guessed class (its *stratum*), and a stratified, seeded sample is written out
for people to judge SAME story / RELATED (same topic, different event) / DIFFERENT, blind
to the stratum and to dedup's verdict.

Miners, run on each corpus separately (a pair lists every miner that found it in
``source``):

``dedup``    dedup itself at its defaults (``Deduplicator(DedupConfig()).check``), the corpus
             as one batch, xwlb ``date`` as ``published_at``: the verified pairs inside every
             story, up to 6 more (seeded) pairs of members not verified directly, and the
             template pairs it reports (the 1,000 strongest);
``minhash``  a simple peer: character 5-grams, datasketch ``MinHash`` (128 permutations),
             ``MinHashLSH(threshold=0.3)``, every post queried (at most 30 hits kept);
``title``    title formulas: titles sharing an 8-character prefix or suffix (titles that
             differ), the same 【column】, the same title; xwlb items whose first 30 body
             characters agree once digits and Chinese numerals are masked. Pairs on two
             different days where there are dates; at most 12 (6 for one title) per group;
``tfidf``    rare-word overlap: TF-IDF cosine (sublinear tf; jieba words of 2+ characters
             found in 2 posts to 5% of the corpus) over title and body; each post's 5
             nearest with cosine >= 0.35, kept when their character 4-gram Jaccard is < 0.3;
``short``    near-empty posts, chrome-bodied posts and quoted-title notices (see below), each
             paired with 3 random posts of its kind and 2 with the same title;
``digest``   digests (xwlb: titles with 快讯; others: titles with 早报, 快讯, 盘点 … and 3+
             paragraphs) with the posts they retell: xwlb posts within 7 days whose
             4-grams are >= 20% inside the digest; elsewhere the digest's paragraphs in a
             char 5-gram LSH (0.3) queried with every post.

Each pair gets ``char4_jaccard`` (character 4-grams of the text after dedup's
``normalize_text``, letters, digits and CJK only, the xwlb header 央视网消息 dropped),
``containment`` (of the smaller 4-gram set), ``tfidf_cosine``, dedup's kind and score
when dedup reported the pair, ``dedup_same_story``, and a stratum (a guess from simple
rules, first match wins):

``empty``         a body of < 20 characters once placeholders (更新时间戳…, undefined,
                  精度知天下新闻更悦己) are removed, or only its title;
``chrome``        a body >= 50% made of sentences found in 5+ posts of the corpus, or a pair
                  whose Jaccard (>= 0.15) falls below 0.1 without those sentences (not xwlb);
``quoted_title``  both bodies <= 150 characters, all but 40 of them a quoted 《title》;
``digest``        one post a digest, the other >= 20% inside it, not its lead, 2x shorter;
``formula``       Jaccard >= 0.2 and the same text but for numbers (masked Jaccard >= 0.8),
                  or conflicting specifics (xwlb; elsewhere at Jaccard >= 0.35), or xwlb
                  items of different days or with different names or numbers in the title,
                  or a dedup template pair, or an overlap that is all frequent sentences;
``copy``          Jaccard >= 0.7, or the shorter is the other's lead;
``rewrite``       Jaccard >= 0.3;
``independent``   cosine >= 0.45, 3+ shared specifics (specifics Jaccard >= 0.2), at most a
                  day apart, titles without disjoint names;
``topic``         cosine >= 0.25; ``random_hard``: the rest (look-alikes).

Specifics are dedup's ``extract_specifics`` (numbers, names, places, time words) of the
jieba words. The sample (:mod:`benchmarks.real_pairs_sample`) first takes ~65 pairs dedup
merges whose stratum is a failure class (``check: "merged_suspect"``) and ~65 it keeps
apart that look like one event (``"apart_suspect"``: any copy or rewrite, or
independent at cosine >= 0.6) and 6 sina2018 pairs of one title under two channels (copies
that would crowd the copy stratum), then fills a quota per stratum and corpus, round-robin over
(merged or not, title family) so no template fills a cell, each post in at most three
pairs. ``--chunks DIR`` writes the pairs with their texts, shuffled, for the readers (keep
that directory outside the repository: the corpora must not be copied into it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.real_pairs_sample import CORPORA, FAILURE, QUOTAS, SAME_GUESS, stratified_sample, summary, write_chunks

__all__ = ["Doc", "PairInfo", "char_grams", "jaccard", "main"]

DEFAULT_CORPUS_DIR = "../shared/corpus"
DEFAULT_OUT = "benchmarks/results/real-candidates.jsonl"
SEED = 20240612
CST = timezone(timedelta(hours=8))

_NON_WORD = re.compile(r"[\W_]+")
_HEADER = re.compile(r"^央视网消息(新闻联播)?")
_PLACEHOLDER = re.compile(r"更新时间戳\d*|undefined|精度知天下新闻更悦己|内容不存在或已被删除")
_SENT = re.compile(r"(?<!\d)\.(?!\d)|[!?;\n]|\\n|。|！|？|；")
_QUOTED = re.compile(r"《([^》]{2,60})》")
_COLUMN = re.compile(r"【([^】]{2,20})】")
_NUMERAL = re.compile(r"[0-9]+|[一二三四五六七八九十百千零两〇]+")
_DIGEST_TITLE = re.compile(
    r"快讯|早报|晚报|午报|要闻|速览|汇总|一览|盘点|简讯|早知道|精选|周报|集锦|大事记|早班车|汇编"
)


def core(text: str) -> str:
    """Letters, digits and CJK of ``text`` only."""
    return _NON_WORD.sub("", text)


def _day(yyyymmdd: str) -> date:
    return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))


def _days(a: str | None, b: str | None) -> int | None:
    if a is None or b is None:
        return None
    return abs((_day(a) - _day(b)).days)


def char_grams(text: str, n: int = 4) -> NDArray[np.uint64]:
    """Sorted distinct 64-bit codes of the character ``n``-grams of ``text``."""
    if not text:
        return np.zeros(0, dtype=np.uint64)
    o = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if o.size < n:
        n = int(o.size)
    h = np.zeros(o.size - n + 1, dtype=np.uint64)
    for k in range(n):
        h = h * np.uint64(1_000_003) + o[k : o.size - n + 1 + k]
    return np.unique(h)


def jaccard(a: NDArray[np.uint64], b: NDArray[np.uint64]) -> tuple[float, float]:
    """Jaccard and containment of the smaller in the larger, for sorted distinct codes."""
    if a.size == 0 or b.size == 0:
        return 0.0, 0.0
    inter = int(np.intersect1d(a, b, assume_unique=True).size)
    return inter / (a.size + b.size - inter), inter / min(a.size, b.size)


@dataclass(slots=True)
class Doc:
    """One article with the derived fields the miners use."""

    idx: int
    id: str
    corpus: str
    title: str
    text: str
    date: str | None
    category: str | None
    norm: str
    body: str  # core of the normalized text, xwlb header removed
    sentences: list[str] = field(default_factory=list)
    chrome_share: float = 0.0
    empty: bool = False
    chrome: bool = False
    quoted: bool = False
    digest: bool = False
    specifics: frozenset[str] = frozenset()
    title_names: frozenset[str] = frozenset()  # non-numeric specifics of the title


@dataclass(slots=True)
class PairInfo:
    """A mined pair (``a`` before ``b`` in corpus order) and what is known about it."""

    a: int
    b: int
    sources: set[str] = field(default_factory=set)
    dedup_kind: str | None = None
    dedup_score: float | None = None
    same_story: bool = False
    j4: float = 0.0
    contain: float = 0.0
    j4_masked: float = 0.0
    j4_stripped: float = 0.0
    cos: float = 0.0
    stratum: str = ""
    family: str = ""
    check: str | None = None


class Corpus:
    """The posts of one corpus and caches of their n-gram codes."""

    def __init__(self, name: str, docs: list[Doc]) -> None:
        self.name = name
        self.docs = docs
        self.by_id = {d.id: d.idx for d in docs}
        self._grams: dict[int, NDArray[np.uint64]] = {}
        self._masked: dict[int, NDArray[np.uint64]] = {}
        self._stripped: dict[int, NDArray[np.uint64]] = {}
        self.frequent: set[str] = set()
        self.pairs: dict[tuple[int, int], PairInfo] = {}
        self.story_of: dict[int, int] = {}
        self.cos_matrix: Any = None

    def grams(self, i: int) -> NDArray[np.uint64]:
        if i not in self._grams:
            self._grams[i] = char_grams(self.docs[i].body)
        return self._grams[i]

    def masked(self, i: int) -> NDArray[np.uint64]:
        if i not in self._masked:
            self._masked[i] = char_grams(_NUMERAL.sub("#", self.docs[i].body))
        return self._masked[i]

    def stripped(self, i: int) -> NDArray[np.uint64]:
        if i not in self._stripped:
            kept = "".join(s for s in self.docs[i].sentences if s not in self.frequent)
            self._stripped[i] = char_grams(kept)
        return self._stripped[i]

    def add(self, i: int, j: int, source: str) -> PairInfo | None:
        if i == j:
            return None
        key = (i, j) if i < j else (j, i)
        info = self.pairs.get(key)
        if info is None:
            info = self.pairs[key] = PairInfo(a=key[0], b=key[1])
        info.sources.add(source)
        return info


# ---------------------------------------------------------------------------------------
# loading and per-post features


def load_corpus(path: Path, name: str) -> Corpus:
    """Read one gzip JSONL corpus and derive the per-post fields."""
    from dedup import normalize_text

    docs: list[Doc] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            text = str(r.get("text") or "")
            norm = normalize_text(text)
            body = _HEADER.sub("", core(norm))
            raw_date = r.get("date")
            docs.append(
                Doc(
                    idx=len(docs),
                    id=str(r["id"]),
                    corpus=name,
                    title=str(r.get("title") or ""),
                    text=text,
                    date=str(raw_date) if raw_date else None,
                    category=str(r["category"]) if r.get("category") else None,
                    norm=norm,
                    body=body,
                    sentences=[core(s) for s in _SENT.split(norm)],
                )
            )
    corpus = Corpus(name, docs)
    df = Counter(s for d in docs for s in {s for s in d.sentences if len(s) >= 8})
    corpus.frequent = {s for s, n in df.items() if n >= 5}
    for d in docs:
        tcore = core(d.title)
        blen = len(d.body)
        d.chrome_share = sum(len(s) for s in d.sentences if s in corpus.frequent) / max(1, blen)
        quoted = "".join(core(q) for q in _QUOTED.findall(d.norm))
        d.quoted = bool(quoted) and blen <= 150 and blen - len(quoted) <= 40
        rest = _PLACEHOLDER.sub("", d.body)
        d.empty = not d.quoted and (len(rest) < 20 or (bool(tcore) and tcore in rest and len(rest) <= len(tcore) + 12))
        d.chrome = name != "xwlb" and not d.empty and d.chrome_share >= 0.5
        paragraphs = sum(1 for p in d.norm.split("\n") if len(core(p)) >= 40)
        d.digest = ("快讯" in d.title and name == "xwlb") or (bool(_DIGEST_TITLE.search(d.title)) and paragraphs >= 3)
    return corpus


def add_specifics(corpus: Corpus, body: Sequence[Sequence[str]], title: Sequence[Sequence[str]], tag: Any) -> None:
    """Event specifics (numbers, names, places, time words) of every post, and its title's names."""
    from dedup import extract_specifics

    for d, words, twords in zip(corpus.docs, body, title, strict=True):
        d.specifics = extract_specifics(words, tag)
        d.title_names = frozenset(w for w in extract_specifics(twords, tag) if not any(c.isdigit() for c in w))


# ---------------------------------------------------------------------------------------
# miners


def mine_dedup(corpus: Corpus, workers: int, rng: random.Random) -> dict[str, int]:
    """(a) dedup's own stories and template pairs, the corpus as one batch."""
    from dedup import Article, DedupConfig, Deduplicator

    articles = [
        Article(
            id=d.id,
            text=d.text,
            title=d.title,
            published_at=datetime.strptime(d.date, "%Y%m%d").replace(tzinfo=CST) if d.date else None,
        )
        for d in corpus.docs
    ]
    result = Deduplicator(DedupConfig(workers=workers)).check(articles)
    ix = corpus.by_id
    for n, story in enumerate(result.stories):
        members = [ix[i] for i in story.ids]
        for m in members:
            corpus.story_of[m] = n
        verified = set()
        for p in story.pairs:
            info = corpus.add(ix[p.a], ix[p.b], "dedup")
            assert info is not None
            info.dedup_kind, info.dedup_score = p.kind, round(p.score, 4)
            verified.add((info.a, info.b))
        others = [(i, j) for k, i in enumerate(sorted(members)) for j in sorted(members)[k + 1 :]]
        others = [p for p in others if p not in verified]
        for i, j in rng.sample(others, min(6, len(others))):
            corpus.add(i, j, "dedup")
    for p in result.template_pairs:
        info = corpus.add(ix[p.a], ix[p.b], "dedup")
        if info is not None and info.dedup_kind is None:
            info.dedup_kind, info.dedup_score = p.kind, round(p.score, 4)
    return {
        "stories": result.summary.stories,
        "story_pairs": sum(len(s.pairs) for s in result.stories),
        "template_pairs": len(result.template_pairs),
        "template_pairs_total": result.summary.template_pairs,
    }


def _lsh(texts: Sequence[str], threshold: float = 0.3) -> tuple[Any, list[Any]]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    sigs: list[Any] = []
    for i, t in enumerate(texts):
        grams = {t[k : k + 5] for k in range(len(t) - 4)} if len(t) >= 5 else ({t} if t else set())
        if not grams:
            sigs.append(None)
            continue
        m = MinHash(num_perm=128)
        m.update_batch([g.encode("utf-8") for g in sorted(grams)])
        sigs.append(m)
        lsh.insert(i, m)
    return lsh, sigs


def _capped(hits: Iterable[int], cap: int, salt: int) -> list[int]:
    """At most ``cap`` hits, chosen by a seeded shuffle so the choice is stable."""
    items = sorted(hits)
    if len(items) > cap:
        random.Random(salt).shuffle(items)
    return items[:cap]


def mine_minhash(corpus: Corpus) -> int:
    """(b) the char 5-gram MinHash LSH peer at threshold 0.3."""
    lsh, sigs = _lsh([d.body for d in corpus.docs])
    before = len(corpus.pairs)
    for i, m in enumerate(sigs):
        if m is None:
            continue
        for j in _capped((j for j in lsh.query(m) if j != i), 30, i):
            corpus.add(i, j, "minhash")
    return len(corpus.pairs) - before


def _group_pairs(corpus: Corpus, groups: dict[str, list[int]], source: str, rng: random.Random, per: int) -> int:
    n = 0
    for key in sorted(groups):
        members = groups[key]
        if len(members) < 2 or len(members) > 2000:
            continue
        cands = [
            (i, j)
            for k, i in enumerate(members)
            for j in members[k + 1 : k + 40]
            if corpus.docs[i].date != corpus.docs[j].date or corpus.docs[i].date is None
        ]
        for i, j in rng.sample(cands, min(per, len(cands))):
            corpus.add(i, j, source)
            n += 1
    return n


def mine_titles(corpus: Corpus, rng: random.Random) -> int:
    """(c) title formulas: shared prefix/suffix, column, same title; xwlb masked openings."""
    prefix: dict[str, list[int]] = defaultdict(list)
    column: dict[str, list[int]] = defaultdict(list)
    same: dict[str, list[int]] = defaultdict(list)
    opening: dict[str, list[int]] = defaultdict(list)
    for d in corpus.docs:
        t = core(_COLUMN.sub("", d.title))
        if len(t) >= 10:
            prefix["p" + t[:8]].append(d.idx)
            prefix["s" + t[-8:]].append(d.idx)
        for col in _COLUMN.findall(d.title):
            column[col].append(d.idx)
        if len(core(d.title)) >= 4:
            same[core(d.title)].append(d.idx)
        if corpus.name == "xwlb" and len(d.body) >= 40:
            opening[_NUMERAL.sub("#", d.body[:30])].append(d.idx)
    diff_titles = {
        k: [i for i in v if core(corpus.docs[i].title) != core(corpus.docs[v[0]].title)] + [v[0]]
        for k, v in prefix.items()
    }
    n = _group_pairs(corpus, diff_titles, "title", rng, 12)
    n += _group_pairs(corpus, dict(column), "title", rng, 12)
    n += _group_pairs(corpus, dict(same), "title", rng, 6)
    n += _group_pairs(corpus, dict(opening), "title", rng, 12)
    return n


def tfidf_matrix(corpus: Corpus, tokens: Sequence[Sequence[str]]) -> Any:
    """L2-normalized TF-IDF rows over rare words (2+ characters, in 2 posts to 5% of them)."""
    from scipy import sparse  # type: ignore[import-untyped]

    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i, words in enumerate(tokens):
        counts = Counter(w for w in words if len(w) >= 2 and not w.isdigit())
        for w, c in sorted(counts.items()):
            rows.append(i)
            cols.append(vocab.setdefault(w, len(vocab)))
            vals.append(1.0 + math.log(c))
    n_docs = len(tokens)
    col = np.asarray(cols, dtype=np.int64)
    df = np.bincount(col, minlength=len(vocab))
    keep_word = (df >= 2) & (df <= max(5.0, 0.05 * n_docs))
    idf = np.log(n_docs / np.maximum(df, 1))
    keep = keep_word[col]
    data = np.asarray(vals)[keep] * idf[col[keep]]
    x = sparse.csr_matrix((data, (np.asarray(rows)[keep], col[keep])), shape=(n_docs, len(vocab)))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ x


def mine_tfidf(corpus: Corpus, k: int = 5, floor: float = 0.35) -> int:
    """(d) each post's nearest by rare-word cosine, kept when char 4-gram Jaccard < 0.3."""
    x = corpus.cos_matrix
    xt = x.T.tocsr()
    n = 0
    for start in range(0, x.shape[0], 1000):
        s = (x[start : start + 1000] @ xt).tocsr()
        for r in range(s.shape[0]):
            i = start + r
            lo, hi = s.indptr[r], s.indptr[r + 1]
            idx, val = s.indices[lo:hi], s.data[lo:hi]
            mask = (val >= floor) & (idx != i)
            idx, val = idx[mask], val[mask]
            for j in idx[np.argsort(-val, kind="stable")[:k]]:
                key = (min(i, int(j)), max(i, int(j)))
                if key not in corpus.pairs and jaccard(corpus.grams(key[0]), corpus.grams(key[1]))[0] < 0.3:
                    corpus.add(key[0], key[1], "tfidf")
                    n += 1
                elif key in corpus.pairs:
                    corpus.pairs[key].sources.add("tfidf")
    return n


def mine_short(corpus: Corpus, rng: random.Random) -> int:
    """(e) near-empty, chrome and quoted-title posts paired with their kind and same titles."""
    before = len(corpus.pairs)
    by_title: dict[str, list[int]] = defaultdict(list)
    for d in corpus.docs:
        if len(core(d.title)) >= 4:
            by_title[core(d.title)].append(d.idx)
    for flag in ("empty", "chrome", "quoted"):
        group = [d.idx for d in corpus.docs if getattr(d, flag)]
        if len(group) < 2:
            continue
        for i in group:
            for j in rng.sample(group, min(3, len(group))):
                corpus.add(i, j, "short")
            twins = [j for j in by_title.get(core(corpus.docs[i].title), []) if j != i]
            for j in twins[:2]:
                corpus.add(i, j, "short")
    return len(corpus.pairs) - before


def mine_digest(corpus: Corpus) -> int:
    """(f) digests paired with the posts they retell.

    Dated corpora (xwlb): every post within a week of the digest whose character 4-grams
    are at least 20% inside the digest. Others: the digest's paragraphs
    in a char 5-gram LSH (threshold 0.3), queried with every other post.
    """
    digests = [d for d in corpus.docs if d.digest]
    n = 0
    if corpus.docs and corpus.docs[0].date is not None:
        by_day: dict[date, list[int]] = defaultdict(list)
        for d in corpus.docs:
            if d.date and not d.digest and len(d.body) >= 40:
                by_day[_day(d.date)].append(d.idx)
        for g in digests:
            assert g.date is not None
            day = _day(g.date)
            near = [i for k in range(-7, 8) for i in by_day.get(day + timedelta(days=k), [])]
            for i in near:
                inter = np.intersect1d(corpus.grams(i), corpus.grams(g.idx), assume_unique=True).size
                if inter >= 0.2 * corpus.grams(i).size and corpus.add(i, g.idx, "digest") is not None:
                    n += 1
        return n
    segments: list[str] = []
    owner: list[int] = []
    for g in digests:
        for p in g.norm.split("\n"):
            c = core(p)
            if len(c) >= 40:
                segments.append(c)
                owner.append(g.idx)
    if not segments:
        return 0
    lsh, _ = _lsh(segments)
    from datasketch import MinHash

    for d in corpus.docs:
        if d.digest or len(d.body) < 40:
            continue
        grams = {d.body[k : k + 5] for k in range(len(d.body) - 4)}
        m = MinHash(num_perm=128)
        m.update_batch([g.encode("utf-8") for g in sorted(grams)])
        for s in _capped(lsh.query(m), 5, d.idx):
            if corpus.add(d.idx, owner[s], "digest") is not None:
                n += 1
    return n


# ---------------------------------------------------------------------------------------
# measuring and guessing the class of each pair


def _family(ta: str, tb: str) -> str:
    a, b = core(_NUMERAL.sub("#", ta)), core(_NUMERAL.sub("#", tb))
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n] if n >= 4 else a[:4]


def measure(corpus: Corpus) -> None:
    """Jaccard, containment, masked and chrome-stripped Jaccard and cosine of every pair."""
    keys = sorted(corpus.pairs)
    if not keys:
        return
    x = corpus.cos_matrix
    ia = np.asarray([k[0] for k in keys])
    ib = np.asarray([k[1] for k in keys])
    cos = np.asarray(x[ia].multiply(x[ib]).sum(axis=1)).ravel()
    for key, c in zip(keys, cos, strict=True):
        info = corpus.pairs[key]
        i, j = key
        info.cos = float(c)
        info.j4, info.contain = jaccard(corpus.grams(i), corpus.grams(j))
        if info.j4 >= 0.1:
            info.j4_masked = jaccard(corpus.masked(i), corpus.masked(j))[0]
            info.j4_stripped = jaccard(corpus.stripped(i), corpus.stripped(j))[0]
        si = corpus.story_of.get(i)
        info.same_story = si is not None and si == corpus.story_of.get(j)


def _is_lead(corpus: Corpus, info: PairInfo) -> bool:
    """The shorter post is (mostly) the lead of the longer: a truncated copy."""
    da, db = corpus.docs[info.a], corpus.docs[info.b]
    short, long = (da, db) if len(da.body) <= len(db.body) else (db, da)
    if info.contain < 0.6 or not short.body:
        return False
    lead = char_grams(long.body[: int(len(short.body) * 1.3) + 10])
    return jaccard(corpus.grams(short.idx), lead)[1] >= 0.8


def guess(corpus: Corpus, info: PairInfo) -> str:
    """The pair's likely class; first matching rule wins (see the module docstring)."""
    da, db = corpus.docs[info.a], corpus.docs[info.b]
    j = info.j4
    if da.empty or db.empty:
        return "empty"
    stripped_away = j >= 0.15 and info.j4_stripped < min(0.1, 0.5 * j)
    if da.chrome or db.chrome or (corpus.name != "xwlb" and stripped_away):
        return "chrome"
    if da.quoted and db.quoted:
        return "quoted_title"
    ratio = max(len(da.body), len(db.body)) / max(1, min(len(da.body), len(db.body)))
    lead = _is_lead(corpus, info)
    days = _days(da.date, db.date)
    near = days is None or days <= 7
    if info.contain >= 0.2 and ratio >= 2 and j < 0.5 and not lead and da.digest != db.digest and near:
        return "digest"
    sa, sb = da.specifics, db.specifics
    union = sa | sb
    spec_j = len(sa & sb) / len(union) if union else 1.0
    conflict = len(sa - sb) >= 2 and len(sb - sa) >= 2 and spec_j < 0.5 and (j >= 0.35 or corpus.name == "xwlb")
    numeric = info.j4_masked >= 0.8 and j < info.j4_masked - 0.02
    ta, tb = da.title_names, db.title_names
    na, nb = set(_NUMERAL.findall(da.title)), set(_NUMERAL.findall(db.title))
    other_names = bool(ta) and bool(tb) and not ta & tb
    title_conflict = corpus.name == "xwlb" and (other_names or (bool(na) and bool(nb) and na != nb))
    other_day = days is not None and days > 0
    formula_signs = (numeric, conflict, other_day, title_conflict, info.dedup_kind == "template", stripped_away)
    if j >= 0.2 and any(formula_signs):
        return "formula"
    if j >= 0.7 or (lead and ratio < 8):
        return "copy"
    if j >= 0.3:
        return "rewrite"
    near_day = days is None or days <= 1
    if info.cos >= 0.45 and len(sa & sb) >= 3 and spec_j >= 0.2 and near_day and not other_names:
        return "independent"
    if info.cos >= 0.25:
        return "topic"
    return "random_hard"


def classify(corpus: Corpus) -> list[dict[str, Any]]:
    """Records of every mined pair: ids, sources, measures, dedup's verdict and the guess."""
    out = []
    for key in sorted(corpus.pairs):
        info = corpus.pairs[key]
        da, db = corpus.docs[info.a], corpus.docs[info.b]
        info.stratum = guess(corpus, info)
        info.family = _family(da.title, db.title)
        if corpus.name == "sina2018" and da.title.strip() == db.title.strip() and da.category != db.category:
            info.family = "channel_dup"
        if info.same_story and info.stratum in FAILURE:
            info.check = "merged_suspect"
        elif not info.same_story and info.stratum in SAME_GUESS and (info.stratum != "independent" or info.cos >= 0.6):
            info.check = "apart_suspect"
        rec: dict[str, Any] = {
            "a": da.id,
            "b": db.id,
            "corpus": corpus.name,
            "source": sorted(info.sources),
            "stratum": info.stratum,
            "char4_jaccard": round(info.j4, 3),
            "containment": round(info.contain, 3),
            "tfidf_cosine": round(info.cos, 3),
            "dedup_kind": info.dedup_kind,
            "dedup_score": info.dedup_score,
            "dedup_same_story": info.same_story,
            "check": info.check,
        }
        if corpus.name == "xwlb":
            rec["a_date"], rec["b_date"] = da.date, db.date
        rec["_family"] = info.family
        out.append(rec)
    return out


def run_corpus(path: Path, name: str, workers: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Load one corpus, run every miner, measure and classify its pairs."""
    from dedup import JiebaTokenizer, normalize_text

    t0 = time.perf_counter()
    corpus = load_corpus(path, name)
    tok = JiebaTokenizer()
    body_words = [tok.tokenize(d.norm) for d in corpus.docs]
    title_words = [tok.tokenize(normalize_text(d.title)) for d in corpus.docs]
    add_specifics(corpus, body_words, title_words, tok.tag)
    corpus.cos_matrix = tfidf_matrix(corpus, [t + b for t, b in zip(title_words, body_words, strict=True)])
    stats: dict[str, Any] = {"posts": len(corpus.docs), "load_s": round(time.perf_counter() - t0, 1)}
    stats["flags"] = {f: sum(1 for d in corpus.docs if getattr(d, f)) for f in ("empty", "chrome", "quoted", "digest")}
    rng = random.Random(f"{seed}-{name}")
    stats["dedup"] = mine_dedup(corpus, workers, rng)
    stats["minhash"] = mine_minhash(corpus)
    stats["title"] = mine_titles(corpus, rng)
    stats["tfidf"] = mine_tfidf(corpus)
    stats["short"] = mine_short(corpus, rng)
    stats["digest"] = mine_digest(corpus)
    measure(corpus)
    records = classify(corpus)
    stats["pairs"] = len(records)
    stats["strata"] = dict(Counter(r["stratum"] for r in records))
    stats["seconds"] = round(time.perf_counter() - t0, 1)
    return records, stats


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.real_pairs_mine", description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus-dir", default=DEFAULT_CORPUS_DIR, help="corpus directory (default: %(default)s)")
    p.add_argument("--corpora", default=",".join(CORPORA), help="comma-separated subset (default: %(default)s)")
    p.add_argument("-o", "--output", default=DEFAULT_OUT, help="candidate pairs JSONL (default: %(default)s)")
    p.add_argument("--all-pairs", help="also write every mined pair (JSONL) here")
    p.add_argument("--chunks", help="write reading chunks and README.txt to this directory (outside the repository)")
    p.add_argument("--chunk-size", type=int, default=100, help="pairs per chunk (default: %(default)s)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply every quota (default: 1)")
    p.add_argument("--seed", type=int, default=SEED, help="sampling seed (default: %(default)s)")
    p.add_argument("--workers", type=int, default=2, help="dedup worker processes (default: %(default)s)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Mine, classify and sample candidate pairs; return 0 on success, 2 on bad arguments."""
    args = build_parser().parse_args(argv)
    names = [n for n in args.corpora.split(",") if n]
    corpus_dir = Path(args.corpus_dir)
    missing = [n for n in names if n not in CORPORA or not (corpus_dir / f"{n}.jsonl.gz").exists()]
    if missing:
        print(f"unknown or missing corpus: {', '.join(missing)} (in {corpus_dir})", file=sys.stderr)
        return 2
    logging.getLogger("jieba").setLevel(logging.WARNING)
    records: list[dict[str, Any]] = []
    for name in names:
        recs, stats = run_corpus(corpus_dir / f"{name}.jsonl.gz", name, args.workers, args.seed)
        records.extend(recs)
        print(f"{name}: {json.dumps(stats, ensure_ascii=False)}", file=sys.stderr)
    sample = stratified_sample(records, args.seed, args.scale)
    sample.sort(key=lambda r: (CORPORA.index(r["corpus"]), list(QUOTAS).index(r["stratum"]), r["a"], r["b"]))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for rec in sample:
            fh.write(json.dumps({k: v for k, v in rec.items() if not k.startswith("_")}, ensure_ascii=False) + "\n")
    if args.all_pairs:
        with open(args.all_pairs, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps({k: v for k, v in rec.items() if not k.startswith("_")}) + "\n")
    print(summary(sample), file=sys.stderr)
    print(f"{len(sample)} pairs written to {out}", file=sys.stderr)
    if args.chunks:
        n = write_chunks(sample, corpus_dir, Path(args.chunks), args.seed, args.chunk_size)
        print(f"{n} reading chunks written to {args.chunks}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
