"""The whole check, step by step: features → signatures → candidates → verify → cluster.

:class:`Deduplicator` runs a batch of articles through the pipeline and returns a
:class:`~dedup.models.DedupResult`; :func:`find_duplicates` is the one-call form.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.boilerplate import AccountBoilerplate, post_keys
from dedup.cluster import Link, cluster_pairs
from dedup.config import DedupConfig, NormalizeConfig
from dedup.exceptions import DuplicateIdError, InputError
from dedup.features import FeatureExtractor, Features, edges_of
from dedup.index import candidate_pairs, unique_pairs
from dedup.models import Article, DedupResult, Evidence, PairMatch, Post, Story, Summary
from dedup.signature import minhash_signatures
from dedup.verify import MIN_AGREEMENT, Passages, Verdict, build_evidence, compare, specifics_agreement

__all__ = ["Deduplicator", "ProgressCallback", "find_duplicates"]

logger = logging.getLogger(__name__)

#: ``progress(stage, done, total)``: called as the batch moves through the steps.
ProgressCallback = Callable[[str, int, int], None]

# Naive timestamps are read as China Standard Time when ordering posts.
_CST = timezone(timedelta(hours=8))
# Cross pairs at this share of the threshold still support a group merge (a truncated
# copy and a copy with sentences dropped may share little, yet both match the original).
_SUPPORT_FACTOR = 0.6
# Signature length for leads and paragraph leads: ~40 distinct words each, compared at
# lead_threshold (0.5), need far fewer permutations than whole posts.
_LEAD_PERM = 32
# Below this many articles, worker processes cost more than they save.
_PARALLEL_MIN = 2000
# Articles per task sent to a worker process.
_CHUNK = 500
# Candidates kept per post and per index (full text, leads), the most similar first: a
# story posted on more accounts than this still forms one group through its members,
# while a batch of one-line notices from one template stays linear.
_MAX_CANDIDATES = 100
# Template pairs listed in a result at most (the strongest); the summary counts them all.
_MAX_TEMPLATE_PAIRS = 1000
# Candidate pairs per verification task.
_VERIFY_CHUNK = 20000


def _time_key(when: datetime | None) -> float:
    if when is None:
        return float("inf")
    if when.tzinfo is None:
        when = when.replace(tzinfo=_CST)
    return when.timestamp()


# -- worker processes ---------------------------------------------------------------
# Each worker has its own FeatureExtractor (its own tokenizer); the results do not
# depend on which worker handles which chunk. Where processes are forked, workers start
# with the parent's initialized extractor and the batch itself (copy-on-write), so a
# task names a range of positions instead of carrying pickled articles.

_WORKER: FeatureExtractor | None = None
_WORKER_BATCH: Sequence[Article] | None = None
_FORK_FEATS: Sequence[Features] | None = None
# The normalized chunks and what to do with them.
_Texts = tuple[Sequence["_NormalizedChunk"], "_Plan"]
_WORKER_TEXTS: _Texts | None = None
# Set just before forking the workers and cleared right after.
_FORK_STATE: dict[str, Any] = {}


def _init_worker(config: DedupConfig) -> None:
    global _WORKER, _WORKER_BATCH, _WORKER_TEXTS  # per-process state of a pool worker, set once
    inherited = _FORK_STATE.get("extractor")
    _WORKER = inherited if inherited is not None and inherited.config == config else FeatureExtractor(config)
    _WORKER_BATCH = _FORK_STATE.get("batch")
    _WORKER_TEXTS = _FORK_STATE.get("texts")


# A task: (start, end, the articles when the worker does not have the batch, the
# normalized chunk and the plan for its range when the worker does not have them)
_Task = tuple[int, int, Sequence[Article] | None, "_NormalizedChunk | None", "_Plan | None"]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the feature step does with the normalized bodies of positions ``start`` on.

    ``boilerplate`` (learned, or None) is stripped from the bodies it ``touched``.
    ``source[i]`` is the first post whose features body is the same as post ``i``'s
    (``i`` itself for most): a copy's body features are computed once, for its source,
    whose body specifics are sent back when ``is_source``.
    """

    start: int
    boilerplate: AccountBoilerplate | None
    touched: NDArray[np.bool_]
    source: NDArray[np.int64]
    is_source: NDArray[np.bool_]

    def part(self, start: int, end: int) -> _Plan:
        a, b = start - self.start, end - self.start
        return _Plan(start, self.boilerplate, self.touched[a:b], self.source[a:b], self.is_source[a:b])


def _task_articles(task: _Task) -> Sequence[Article]:
    start, end, articles = task[0], task[1], task[2]
    if articles is not None:
        return articles
    assert _WORKER_BATCH is not None
    return _WORKER_BATCH[start:end]


@dataclass(frozen=True, slots=True)
class _Signatures:
    """MinHash signatures of a batch: whole posts, leads, and paragraph leads."""

    full: NDArray[np.unsignedinteger]  # (n, num_perm)
    lead: NDArray[np.unsignedinteger]  # (n, _LEAD_PERM)
    paragraphs: NDArray[np.unsignedinteger]  # (m, _LEAD_PERM)
    owners: NDArray[np.int64]  # (m,) position of each paragraph's post

    @staticmethod
    def join(parts: Sequence[_Signatures]) -> _Signatures:
        return _Signatures(
            full=np.concatenate([p.full for p in parts]),
            lead=np.concatenate([p.lead for p in parts]),
            paragraphs=np.concatenate([p.paragraphs for p in parts]),
            owners=np.concatenate([p.owners for p in parts]),
        )


_ARRAY_FIELDS = ("shingles", "lead", "sequence", "paragraphs", "paragraph_bounds")


@dataclass(frozen=True, slots=True)
class _FeatureBlock:
    """The features of a chunk as a few flat arrays: what a worker sends back.

    Pickling 500 :class:`Features` one by one costs five small arrays each (header,
    reconstruction) on both sides; a block is a handful of large buffers. The parent
    rebuilds the records as views into them, taking ids and accounts from its articles.
    """

    start: int
    scalars: NDArray[np.int64]  # (n, 2): length, n_words
    digests: bytes  # n * 16
    specifics: list[tuple[str, ...]]
    arrays: tuple[tuple[NDArray[Any], NDArray[np.int64]], ...]  # (flat, offsets) per field
    body_specifics: dict[int, tuple[str, ...]]  # of the posts that are sources of copies

    @staticmethod
    def pack(start: int, feats: Sequence[Features], body_specifics: dict[int, tuple[str, ...]]) -> _FeatureBlock:
        arrays = []
        for name in _ARRAY_FIELDS:
            parts = [getattr(f, name) for f in feats]
            offsets = edges_of([len(p) for p in parts])
            arrays.append((np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32), offsets))
        return _FeatureBlock(
            start=start,
            scalars=np.array([(f.length, f.n_words) for f in feats], dtype=np.int64).reshape(-1, 2),
            digests=b"".join(f.digest for f in feats),
            specifics=[f.specifics for f in feats],
            arrays=tuple(arrays),
            body_specifics=body_specifics,
        )

    def unpack(self, articles: Sequence[Article]) -> list[Features]:
        columns = [
            [flat[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]
            for flat, offsets in self.arrays
        ]
        out = []
        for k, ((length, n_words), specifics) in enumerate(zip(self.scalars.tolist(), self.specifics, strict=True)):
            index = self.start + k
            article = articles[index]
            out.append(
                Features(
                    index=index,
                    id=article.id,
                    account=article.account,
                    length=length,
                    n_words=n_words,
                    digest=self.digests[16 * k : 16 * k + 16],
                    shingles=columns[0][k],
                    lead=columns[1][k],
                    specifics=specifics,
                    sequence=columns[2][k],
                    paragraphs=columns[3][k],
                    paragraph_bounds=columns[4][k],
                )
            )
        return out


def _sign(feats: Sequence[Features], config: DedupConfig) -> _Signatures:
    kw: dict[str, Any] = {"seed": config.seed, "scheme": config.scheme}
    paragraph_sets = [p for f in feats for p in f.paragraph_leads()]
    owners = np.repeat(
        np.fromiter((f.index for f in feats), dtype=np.int64, count=len(feats)),
        [len(f.paragraph_bounds) - 1 for f in feats],
    )
    return _Signatures(
        full=minhash_signatures([f.shingles for f in feats], num_perm=config.num_perm, **kw),
        lead=minhash_signatures([f.lead for f in feats], num_perm=_LEAD_PERM, **kw),
        paragraphs=minhash_signatures(paragraph_sets, num_perm=_LEAD_PERM, **kw),
        owners=owners.astype(np.int64),
    )


@dataclass(frozen=True, slots=True)
class _NormalizedChunk:
    """Normalized titles and bodies of a chunk, with their :func:`post_keys`, compactly.

    The bodies are one UTF-8 buffer and the keys flat arrays: a few large objects per
    chunk rather than thousands of small ones. Forked workers that read a chunk then
    copy one page of it, not every page holding a string header (reference counts are
    written on access), and the parent returns the memory in one piece when it lets go.
    """

    titles: list[str]
    blob: bytes
    body_bounds: NDArray[np.int64]
    digests: NDArray[np.uint64]
    keys: NDArray[np.uint64]  # sorted distinct sentence keys of each post, one after another
    key_bounds: NDArray[np.int64]

    @staticmethod
    def build(fx: FeatureExtractor, articles: Sequence[Article]) -> _NormalizedChunk:
        titles, encoded, digests, keys, key_sizes = [], [], [], [], []
        for a in articles:
            title, body = fx.normalize(a)
            digest, sentence_keys = post_keys(body)
            titles.append(title)
            encoded.append(body.encode("utf-8", "surrogatepass"))
            digests.append(digest)
            keys.extend(sorted(sentence_keys))
            key_sizes.append(len(sentence_keys))
        return _NormalizedChunk(
            titles=titles,
            blob=b"".join(encoded),
            body_bounds=edges_of([len(b) for b in encoded]),
            digests=np.array(digests, dtype=np.uint64),
            keys=np.array(keys, dtype=np.uint64),
            key_bounds=edges_of(key_sizes),
        )

    def bodies(self) -> list[str]:
        edges, blob = self.body_bounds.tolist(), self.blob
        return [blob[a:b].decode("utf-8", "surrogatepass") for a, b in pairwise(edges)]

    @staticmethod
    def keys_of(chunks: Sequence[_NormalizedChunk]) -> tuple[NDArray[np.uint64], NDArray[np.uint64], NDArray[np.int64]]:
        """Digests, keys and key bounds of consecutive chunks, joined."""
        if not chunks:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64), np.zeros(1, dtype=np.int64)
        shift = np.cumsum([0] + [len(c.keys) for c in chunks[:-1]])
        bounds = np.concatenate([[0]] + [c.key_bounds[1:] + off for c, off in zip(chunks, shift.tolist(), strict=True)])
        return (
            np.concatenate([c.digests for c in chunks]),
            np.concatenate([c.keys for c in chunks]),
            bounds.astype(np.int64),
        )


def _verify_block(task: tuple[NDArray[np.int64], float]) -> list[Verdict]:
    block, threshold = task
    feats = _FORK_FEATS
    assert feats is not None
    return [compare(feats[i], feats[j], threshold=threshold) for i, j in block.tolist()]


def _normalize_chunk(task: _Task) -> _NormalizedChunk:
    assert _WORKER is not None
    return _NormalizedChunk.build(_WORKER, _task_articles(task))


def _extract_chunk(task: _Task) -> tuple[_FeatureBlock, _Signatures]:
    assert _WORKER is not None
    start, end, _, chunk, plan = task
    if chunk is None or plan is None:
        # A forked worker holds the normalized chunks and the plan: the task is a range.
        assert _WORKER_TEXTS is not None
        chunks, whole = _WORKER_TEXTS
        chunk, plan = chunks[start // _CHUNK], whole.part(start, end)
    feats, body_specifics = _features(_WORKER, _task_articles(task), start, chunk, plan)
    return _FeatureBlock.pack(start, feats, body_specifics), _sign(feats, _WORKER.config)


def _features(
    fx: FeatureExtractor, articles: Sequence[Article], start: int, chunk: _NormalizedChunk, plan: _Plan
) -> tuple[list[Features], dict[int, tuple[str, ...]]]:
    """Features of one chunk (copies left without body features, see :func:`_complete_copies`)."""
    bodies = chunk.bodies()
    if plan.boilerplate is not None:
        strip = plan.boilerplate.strip
        touched = plan.touched.tolist()
        bodies = [strip(a.account, body, touched=t) for a, body, t in zip(articles, bodies, touched, strict=True)]
    own = (plan.source == np.arange(start, start + len(bodies))).tolist()
    bodies = [body if keep else "" for body, keep in zip(bodies, own, strict=True)]
    feats, body_specifics = fx._extract(articles, start, chunk.titles, bodies)
    wanted = np.flatnonzero(plan.is_source).tolist()
    return feats, {start + k: tuple(sorted(body_specifics[k])) for k in wanted}


def _plan(
    chunks: Sequence[_NormalizedChunk],
    accounts: Sequence[str],
    boilerplate: AccountBoilerplate | None,
    touched: Sequence[bool],
) -> _Plan:
    """Find the copies: posts whose features body is byte for byte an earlier post's.

    A body carrying no learned sentence is used as normalized, except that for an
    account with learned sentences it is re-joined (:func:`~dedup.boilerplate.strip_keys`),
    which depends on the body alone: equal normalized bodies, both untouched and both
    of accounts with (or both without) learned sentences, give equal features bodies.
    Reposts copied word for word are common (a third of the benchmark batch).
    """
    n = len(accounts)
    marked = np.zeros(n, dtype=bool) if not touched else np.asarray(touched, dtype=bool)
    source = np.arange(n, dtype=np.int64)
    # (body key, re-joined) -> the first such post: its position, chunk and byte span
    first: dict[tuple[int, bool], tuple[int, _NormalizedChunk, int, int]] = {}
    i = 0
    for chunk in chunks:
        edges = chunk.body_bounds.tolist()
        for k, digest in enumerate(chunk.digests.tolist()):
            if not marked[i]:
                rejoined = boilerplate is not None and boilerplate.count(accounts[i]) > 0
                j, other, a, b = first.setdefault((digest, rejoined), (i, chunk, edges[k], edges[k + 1]))
                # The 64-bit key is checked byte for byte (compared only when keys match).
                if j != i and other.blob[a:b] == chunk.blob[edges[k] : edges[k + 1]]:
                    source[i] = j
            i += 1
    is_source = np.zeros(n, dtype=bool)
    is_source[source[source != np.arange(n)]] = True
    return _Plan(0, boilerplate, marked, source, is_source)


def _complete_copies(
    fx: FeatureExtractor,
    feats: list[Features],
    sigs: _Signatures,
    plan: _Plan,
    body_specifics: dict[int, tuple[str, ...]],
) -> _Signatures:
    """Give each copy its source's body features and signatures (shared, not copied)."""
    copies = np.flatnonzero(plan.source != np.arange(len(plan.source)))
    if not len(copies):
        return sigs
    sources = plan.source[copies]
    for i, j in zip(copies.tolist(), sources.tolist(), strict=True):
        own, src = feats[i], feats[j]
        # The copy's own features hold its title's specifics less its account's words.
        specifics = set(own.specifics).union(set(body_specifics[j]) - fx._account_stop(own.account))
        feats[i] = replace(src, index=i, id=own.id, account=own.account, specifics=tuple(sorted(specifics)))
    full, lead = sigs.full.copy(), sigs.lead.copy()
    full[copies], lead[copies] = sigs.full[sources], sigs.lead[sources]
    # Paragraph rows of each source, again under its copies.
    order = np.argsort(sigs.owners, kind="stable")
    owners_sorted = sigs.owners[order]
    lo = np.searchsorted(owners_sorted, sources, side="left")
    counts = np.searchsorted(owners_sorted, sources, side="right") - lo
    ranks = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = order[np.repeat(lo, counts) + ranks]
    owners = np.concatenate((sigs.owners, np.repeat(copies, counts)))
    # Rows in post order, as if each copy had been computed in its place: the per-row
    # candidate cap breaks ties between equal signatures by row position.
    placed = np.argsort(owners, kind="stable")
    return _Signatures(
        full=full,
        lead=lead,
        paragraphs=np.concatenate((sigs.paragraphs, sigs.paragraphs[rows]))[placed],
        owners=owners[placed],
    )


def _pool(
    config: DedupConfig,
    extractor: FeatureExtractor,
    batch: Sequence[Article],
    texts: _Texts | None = None,
    *,
    warm: bool = True,
) -> tuple[ProcessPoolExecutor, bool]:
    """A worker pool, and whether its workers hold the batch and ``texts`` (forked).

    ``warm=False`` forks workers that do not tokenize (normalizing) before the
    dictionary is loaded.
    """
    methods = multiprocessing.get_all_start_methods()
    # fork starts workers without re-importing, with the dictionary loaded and the batch
    # in memory; spawn elsewhere (macOS, Windows), where each worker loads its own.
    fork = "fork" in methods
    context = multiprocessing.get_context("fork" if fork else "spawn")
    if fork:
        if warm:
            extractor.warm_up()
        _FORK_STATE.update(extractor=extractor, batch=batch, texts=texts)
    try:
        pool = ProcessPoolExecutor(
            max_workers=config.workers, mp_context=context, initializer=_init_worker, initargs=(config,)
        )
        # Start every worker now, while the state is handed over.
        list(pool.map(_noop, range(config.workers)))
    finally:
        _FORK_STATE.clear()
    return pool, fork


def _noop(_: int) -> None:
    return None


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(n, s + size)) for s in range(0, n, size)]


class Deduplicator:
    """Find the stories that have several posts in a batch of articles.

    Parameters
    ----------
    config : DedupConfig, optional
        All options; the defaults suit Chinese government and local news.

    Notes
    -----
    A Deduplicator keeps its tokenizer between calls (the dictionary loads once) and
    holds no per-batch state: ``check`` may be called repeatedly, and the result
    depends only on the set of articles and the config, not on their order (except
    that ties between equally early posts go to the one given first) nor on
    ``workers``.

    Examples
    --------
    >>> from dedup import Article, DedupConfig, Deduplicator
    >>> text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
    >>> posts = [
    ...     Article(id="1", text=text, account="荷叶塘社区"),
    ...     Article(id="2", text="关注我们\\n" + text + "\\n责任编辑：马骏", account="岳麓街道"),
    ...     Article(id="3", text="6月15日，山水湾社区举办消防安全演练，邀请消防员讲解灭火器。", account="山水湾社区"),
    ... ]
    >>> result = Deduplicator(DedupConfig()).check(posts)
    >>> [story.ids for story in result.stories]
    [('1', '2')]
    """

    def __init__(self, config: DedupConfig | None = None) -> None:
        self.config = config if config is not None else DedupConfig()
        if not isinstance(self.config, DedupConfig):
            msg = f"config must be a DedupConfig, got {type(self.config).__name__}"
            raise TypeError(msg)
        self._extractor = FeatureExtractor(self.config)

    def __repr__(self) -> str:
        return f"Deduplicator({self.config!r})"

    @property
    def extractor(self) -> FeatureExtractor:
        """The feature extractor (owns the tokenizer)."""
        return self._extractor

    # -- steps -----------------------------------------------------------------------
    def _validate(self, articles: Sequence[Article]) -> None:
        seen: dict[str, Article] = {}
        limit = self.config.max_length
        for a in articles:
            if not isinstance(a, Article):
                msg = f"expected Article, got {type(a).__name__}"
                raise TypeError(msg)
            first = seen.get(a.id)
            if first is not None:
                where = f"{first.source}:{first.lineno}" if first.source else "an earlier record"
                msg = f"duplicate id {a.id!r} (first seen at {where})"
                raise DuplicateIdError(msg, path=a.source, lineno=a.lineno, field="id")
            seen[a.id] = a
            if len(a.text) > limit:
                msg = f"article is {len(a.text):,} characters, more than max_length {limit:,}"
                raise InputError(msg, path=a.source, lineno=a.lineno, field="text")

    def features(self, articles: Sequence[Article], *, progress: ProgressCallback | None = None) -> list[Features]:
        """Normalize, strip learned boilerplate, tokenize and shingle every article.

        Uses ``config.workers`` processes for large batches; the features are the same
        whatever the number of workers.
        """
        return self._prepare(articles, progress=progress)[0]

    def _prepare(
        self, articles: Sequence[Article], *, progress: ProgressCallback | None = None
    ) -> tuple[list[Features], _Signatures]:
        # Features and their signatures, computed chunk by chunk (in the workers).
        n = len(articles)
        parallel = self.config.workers > 1 and n >= _PARALLEL_MIN
        fx = self._extractor
        spans = _chunks(n, _CHUNK)
        # Spans are fixed, so chunk k of the normalized texts is spans[k] in both steps.
        chunks: list[_NormalizedChunk] = []
        done = 0
        if parallel:
            pool, shared = _pool(self.config, fx, articles, warm=False)
            with pool:
                tasks: list[_Task] = [(s, e, None if shared else articles[s:e], None, None) for s, e in spans]
                normalizing = pool.map(_normalize_chunk, tasks)
                # Normalizing needs no dictionary: load it while the workers normalize,
                # for the tokenizing workers forked next to inherit.
                fx.warm_up()
                for chunk in normalizing:
                    chunks.append(chunk)
                    done += len(chunk.titles)
                    if progress:
                        progress("normalize", done, n)
        else:
            for s, e in spans:
                chunks.append(_NormalizedChunk.build(fx, articles[s:e]))
                done += e - s
                if progress:
                    progress("normalize", done, n)
        learned = None
        touched: list[bool] = []
        accounts = [a.account for a in articles]
        if self.config.learn_boilerplate:
            digests, keys, key_bounds = _NormalizedChunk.keys_of(chunks)
            learned = AccountBoilerplate().fit_arrays(accounts, digests, keys, key_bounds)
            # Most posts carry none of their account's learned sentences: their
            # sentences need not be hashed again.
            touched = learned.touching(accounts, keys, key_bounds)
            del digests, keys, key_bounds
        plan = _plan(chunks, accounts, learned, touched)
        del accounts, touched
        out: list[Features] = []
        signed: list[_Signatures] = [_sign([], self.config)]
        body_specifics: dict[int, tuple[str, ...]] = {}
        if parallel:
            # Forked after normalizing, the workers hold the chunks; the parent lets go
            # of them, and the memory they took holds the features coming back.
            pool, shared = _pool(self.config, fx, articles, (chunks, plan))
            with pool:
                if shared:
                    tasks = [(s, e, None, None, None) for s, e in spans]
                else:
                    tasks = [
                        (s, e, articles[s:e], chunk, plan.part(s, e))
                        for (s, e), chunk in zip(spans, chunks, strict=True)
                    ]
                del chunks
                for block, sigs in pool.map(_extract_chunk, tasks):
                    out.extend(block.unpack(articles))
                    body_specifics.update(block.body_specifics)
                    signed.append(sigs)
                    if progress:
                        progress("tokenize", len(out), n)
        else:
            for (s, e), normalized in zip(spans, chunks, strict=True):
                feats, found = _features(fx, articles[s:e], s, normalized, plan.part(s, e))
                out.extend(feats)
                body_specifics.update(found)
                signed.append(_sign(feats, self.config))
                if progress:
                    progress("tokenize", len(out), n)
        return out, _complete_copies(fx, out, _Signatures.join(signed), plan, body_specifics)

    def exact_groups(self, feats: Sequence[Features], ids: Sequence[str]) -> list[list[int]]:
        """Groups of comparable articles whose normalized bodies are identical.

        Each group is sorted by id; only groups of two or more are returned. Exact
        copies are joined up front, so a thousand verbatim reposts cost one comparison
        each rather than half a million.
        """
        cfg = self.config
        by_digest: dict[bytes, list[int]] = {}
        for f in feats:
            if f.length >= cfg.min_length and f.n_words > 0:
                by_digest.setdefault(f.digest, []).append(f.index)
        groups = []
        for members in by_digest.values():
            if len(members) < 2:
                continue
            if cfg.cross_account_only and len({feats[i].account for i in members}) < 2:
                continue
            groups.append(sorted(members, key=lambda i: ids[i]))
        return groups

    def candidates(self, feats: Sequence[Features], subset: Sequence[int] | None = None) -> NDArray[np.int64]:
        """Pairs of positions whose full text or lead collide in MinHash LSH.

        Parameters
        ----------
        feats : sequence of Features
            The batch (``feats[i].index == i``).
        subset : sequence of int, optional
            Positions to consider (all comparable articles by default).

        Returns
        -------
        ndarray of int64, shape (k, 2)
            Sorted pairs ``i < j``.
        """
        return self._candidates(feats, _sign(feats, self.config), subset)

    def _candidates(
        self, feats: Sequence[Features], sigs: _Signatures, subset: Sequence[int] | None = None
    ) -> NDArray[np.int64]:
        cfg = self.config
        if subset is None:
            subset = [f.index for f in feats if f.length >= cfg.min_length and f.n_words > 0]
        if len(subset) < 2:
            return np.zeros((0, 2), dtype=np.int64)
        local = np.asarray(subset, dtype=np.int64)
        pairs = local[candidate_pairs(sigs.full[local], threshold=cfg.lsh_threshold, max_per_row=_MAX_CANDIDATES)]
        # Leads against paragraph leads: a truncated copy, an excerpt or a copy with
        # paragraphs reordered starts where some paragraph of the other post starts.
        taking = np.zeros(len(feats), dtype=bool)
        taking[local] = True
        keep = taking[sigs.owners]
        owners = np.concatenate((local, sigs.owners[keep]))
        rows = candidate_pairs(
            np.concatenate((sigs.lead[local], sigs.paragraphs[keep])),
            threshold=cfg.lead_threshold,
            max_per_row=_MAX_CANDIDATES,
        )
        # Keep pairs with at least one post's own lead, between two different posts.
        rows = rows[rows[:, 0] < len(local)]
        lead_pairs = owners[rows]
        lead_pairs = lead_pairs[lead_pairs[:, 0] != lead_pairs[:, 1]]
        lead_pairs.sort(axis=1)
        pairs = unique_pairs(np.concatenate((pairs, lead_pairs)), len(feats))
        if cfg.cross_account_only and len(pairs):
            across = [not _same_account(feats[i], feats[j]) for i, j in pairs.tolist()]
            pairs = pairs[np.asarray(across, dtype=bool)]
        return pairs

    # -- the whole check ---------------------------------------------------------------
    def check(
        self,
        articles: Iterable[Article],
        *,
        skipped: int = 0,
        progress: ProgressCallback | None = None,
    ) -> DedupResult:
        """Group a batch of articles into stories.

        Parameters
        ----------
        articles : iterable of Article
            The batch; ids must be unique.
        skipped : int
            Records the reader skipped (reported in the summary).
        progress : callable, optional
            ``progress(stage, done, total)``.

        Returns
        -------
        DedupResult
            Stories with two or more posts, template pairs and a summary.

        Raises
        ------
        DuplicateIdError
            Two articles share an id.
        InputError
            An article is longer than ``max_length``.
        """
        batch = list(articles)
        self._validate(batch)
        cfg = self.config
        ids = [a.id for a in batch]
        feats, sigs = self._prepare(batch, progress=progress)

        verdicts: dict[tuple[int, int], Verdict] = {}
        exact = self.exact_groups(feats, ids)
        in_exact = set()
        for group in exact:
            head = group[0]
            for other in group[1:]:
                key = (head, other) if head < other else (other, head)
                agreement = specifics_agreement(feats[head].specifics, feats[other].specifics)
                verdicts[key] = Verdict(1.0, "exact", 1.0, 1.0, 1.0, agreement)
                in_exact.add(other)
        # One representative per exact group takes part in the search.
        comparable = [
            f.index for f in feats if f.length >= cfg.min_length and f.n_words > 0 and f.index not in in_exact
        ]
        pairs = self._candidates(feats, sigs, comparable)
        del sigs
        if progress:
            progress("candidates", len(pairs), len(pairs))

        def judge(i: int, j: int) -> Verdict:
            key = (i, j) if i < j else (j, i)
            v = verdicts.get(key)
            if v is None:
                v = compare(feats[key[0]], feats[key[1]], threshold=cfg.threshold)
                # Only matches and template pairs are kept (for stories and reports); the
                # rest, most candidates, are cheap to compare again if clustering asks.
                if v.kind is not None:
                    verdicts[key] = v
            return v

        weak = cfg.threshold * _SUPPORT_FACTOR

        def as_link(v: Verdict) -> Link:
            conflict = v.kind == "template" or (
                v.agreement is not None and v.agreement < MIN_AGREEMENT and v.score >= weak
            )
            return Link(support=v.score >= weak and not conflict, veto=conflict)

        # What clustering needs to know of the candidates that are not matches (two
        # flags each), so that it does not compare them again.
        links: dict[tuple[int, int], Link] = {}
        edges: list[tuple[int, int, float]] = []
        total = len(pairs)
        done = 0
        for chunk, found in self._verify(feats, pairs):
            for (i, j), v in zip(chunk, found, strict=True):
                if v.kind is not None:
                    verdicts[(i, j)] = v
                if v.is_match:
                    edges.append((i, j, v.score))
                elif v.score >= weak:
                    links[(i, j)] = as_link(v)
            done += len(chunk)
            if progress:
                progress("verify", done, total)
        if progress and not total:
            progress("verify", 0, 0)

        def link(i: int, j: int) -> Link:
            key = (i, j) if i < j else (j, i)
            found = links.get(key)
            if found is None:
                found = as_link(judge(i, j))
                links[key] = found
            return found

        groups = cluster_pairs(len(batch), edges, link, order_key=ids.__getitem__, initial=exact)
        if cfg.cross_account_only:
            groups = [g for g in groups if len({feats[i].account for i in g}) > 1]
        if progress:
            progress("cluster", len(groups), len(groups))

        in_story = {i: gi for gi, g in enumerate(groups) for i in g}
        inside: dict[int, list[tuple[int, int]]] = {}
        templates: list[tuple[int, int]] = []
        for (i, j), v in sorted(verdicts.items()):
            gi = in_story.get(i)
            same = gi is not None and gi == in_story.get(j)
            if same and v.is_match:
                inside.setdefault(gi, []).append((i, j))  # type: ignore[arg-type]
            elif v.kind == "template" and not same:
                templates.append((i, j))
        template_total = len(templates)
        if template_total > _MAX_TEMPLATE_PAIRS:
            strongest = sorted(templates, key=lambda p: (-verdicts[p].score, ids[p[0]], ids[p[1]]))
            templates = sorted(strongest[:_MAX_TEMPLATE_PAIRS])
        evidence: dict[tuple[int, int], Evidence] = {}
        if cfg.evidence:
            wanted = [p for g in inside.values() for p in g] + templates
            evidence = self._evidence(batch, feats, wanted)
            if progress:
                progress("evidence", len(wanted), len(wanted))

        def pair(i: int, j: int) -> PairMatch:
            v = verdicts[(i, j)]
            assert v.kind is not None
            return PairMatch(a=ids[i], b=ids[j], score=v.score, kind=v.kind, evidence=evidence.get((i, j)))

        stories = self._stories(batch, groups, inside, pair)
        template_pairs = tuple(pair(i, j) for i, j in templates)
        copies = sum(len(s.ids) - 1 for s in stories)
        summary = Summary(
            articles=len(batch),
            stories=len(stories),
            copies=copies,
            cross_account_stories=sum(1 for s in stories if len(s.accounts) > 1),
            template_pairs=template_total,
            skipped=skipped,
            too_short=sum(1 for f in feats if f.length < cfg.min_length or f.n_words == 0),
        )
        return DedupResult(stories=stories, summary=summary, template_pairs=template_pairs)

    def _verify(
        self, feats: Sequence[Features], pairs: NDArray[np.int64]
    ) -> Iterator[tuple[list[tuple[int, int]], list[Verdict]]]:
        """Compare the candidate pairs, chunk by chunk, in worker processes when it pays.

        Workers are forked with the features in memory, so a task is a block of pairs.
        """
        threshold = self.config.threshold
        blocks = [pairs[s : s + _VERIFY_CHUNK] for s in range(0, len(pairs), _VERIFY_CHUNK)]
        fork = "fork" in multiprocessing.get_all_start_methods()
        if self.config.workers > 1 and fork and len(pairs) >= _PARALLEL_MIN * 10:
            global _FORK_FEATS  # read by the forked verify workers
            _FORK_FEATS = feats
            try:
                pool = ProcessPoolExecutor(
                    max_workers=self.config.workers, mp_context=multiprocessing.get_context("fork")
                )
                list(pool.map(_noop, range(self.config.workers)))
            finally:
                _FORK_FEATS = None
            with pool:
                for block, found in zip(blocks, pool.map(_verify_block, [(b, threshold) for b in blocks]), strict=True):
                    yield [(i, j) for i, j in block.tolist()], found  # tolist: Python ints already
            return
        for block in blocks:
            chunk = [(i, j) for i, j in block.tolist()]
            yield chunk, [compare(feats[i], feats[j], threshold=threshold) for i, j in chunk]

    def _evidence(
        self, batch: Sequence[Article], feats: Sequence[Features], pairs: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], Evidence]:
        """Evidence for many pairs, grouped so each article's passages are found once."""
        tasks: list[_EvidenceTask] = []
        current: list[tuple[int, int]] = []
        members: set[int] = set()
        for i, j in pairs:
            current.append((i, j))
            members.update((i, j))
            if len(members) >= _CHUNK:
                tasks.append(self._evidence_task(batch, feats, current, members))
                current, members = [], set()
        if current:
            tasks.append(self._evidence_task(batch, feats, current, members))
        out: dict[tuple[int, int], Evidence] = {}
        parallel = self.config.workers > 1 and len(pairs) >= _PARALLEL_MIN
        if parallel:
            with _plain_pool(self.config.workers) as pool:
                results = list(pool.map(_evidence_chunk, tasks))
        else:
            results = [_evidence_chunk(t) for t in tasks]
        for task, found in zip(tasks, results, strict=True):
            out.update(zip(task[3], found, strict=True))
        return out

    def _evidence_task(
        self,
        batch: Sequence[Article],
        feats: Sequence[Features],
        pairs: list[tuple[int, int]],
        members: set[int],
    ) -> _EvidenceTask:
        return (
            self.config.normalize,
            {k: batch[k].text for k in members},
            {k: feats[k].specifics for k in members},
            pairs,
        )

    def _stories(
        self,
        batch: Sequence[Article],
        groups: list[list[int]],
        inside: dict[int, list[tuple[int, int]]],
        pair: Callable[[int, int], PairMatch],
    ) -> tuple[Story, ...]:
        stories = []
        for gi, group in enumerate(groups):
            members = sorted(group, key=lambda i: (_time_key(batch[i].published_at), i))
            accounts: list[str] = []
            for i in members:
                acc = batch[i].account
                if acc and acc not in accounts:
                    accounts.append(acc)
            posts = tuple(
                Post(id=batch[i].id, account=batch[i].account, published_at=batch[i].published_at, title=batch[i].title)
                for i in members
            )
            story = Story(
                ids=tuple(batch[i].id for i in members),
                original=batch[members[0]].id,
                accounts=tuple(accounts),
                posts=posts,
                pairs=tuple(pair(i, j) for i, j in inside.get(gi, [])),
            )
            stories.append((members[0], story))
        stories.sort(key=lambda s: s[0])
        return tuple(s for _, s in stories)


# (normalize config, texts by position, specifics by position, pairs)
_EvidenceTask = tuple[NormalizeConfig, dict[int, str], dict[int, tuple[str, ...]], list[tuple[int, int]]]


def _evidence_chunk(task: _EvidenceTask) -> list[Evidence]:
    config, texts, specifics, pairs = task
    passages = {k: Passages(text, config) for k, text in texts.items()}
    return [build_evidence(passages[i], passages[j], specifics[i], specifics[j]) for i, j in pairs]


def _plain_pool(workers: int) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def _same_account(a: Features, b: Features) -> bool:
    return bool(a.account) and a.account == b.account


def find_duplicates(articles: Iterable[Article], **options: Any) -> DedupResult:
    """Check a batch in one call: ``Deduplicator(DedupConfig(**options)).check(articles)``.

    Parameters
    ----------
    articles : iterable of Article
        The batch.
    **options
        Any :class:`~dedup.DedupConfig` field, e.g. ``threshold=0.6``.

    Returns
    -------
    DedupResult

    Examples
    --------
    >>> from dedup import Article, find_duplicates
    >>> find_duplicates([Article(id="1", text="只有一篇。")]).summary.stories
    0
    """
    return Deduplicator(DedupConfig(**options)).check(articles)
