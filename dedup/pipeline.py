"""The batch check: features → candidates → verify → cluster → stories → evidence.

:class:`Deduplicator` runs a batch of articles through the shared steps and returns a
:class:`~dedup.models.DedupResult`, or groups it and hands the stories out one at a
time with their evidence (:class:`~dedup.story_stream.StoryStream`);
:func:`find_duplicates` is the one-call form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.cluster import Part, cluster_pairs, cluster_part, parts_of
from dedup.config import DedupConfig, Params
from dedup.evidence import template_decision
from dedup.extraction import Execution, ProgressCallback, extract_batch
from dedup.families import family_groups
from dedup.feature_table import FeatureTable
from dedup.features import FeatureExtractor, Features
from dedup.lsh import BandKeys, candidate_pairs
from dedup.models import Article, DedupResult, MatchKind, Summary
from dedup.parallel import FrozenHeap, WorkerPool, default_start_method
from dedup.signature import sign
from dedup.steps import check_articles, checked_articles, may_pair
from dedup.stories import id_ranks, publication_order, story_accounts
from dedup.story_stream import StoryStream
from dedup.verdicts import Pair, VerdictStore, worth_recording
from dedup.verify import Verdict, compare

__all__ = ["Deduplicator", "Execution", "ProgressCallback", "StoryStream", "find_duplicates"]

logger = logging.getLogger(__name__)


class Deduplicator:
    """Find the stories that have several posts in a batch of articles.

    Parameters
    ----------
    config : DedupConfig, optional
        All options; the defaults suit Chinese government and local news.
    execution : Execution, optional
        Chunk sizes and the worker start method (never change the result); the number
        of workers comes from ``config.workers``.

    Notes
    -----
    A Deduplicator keeps its tokenizer between calls (the dictionary loads once) and
    holds no per-batch state: ``check`` may be called repeatedly, also from several
    threads, and the result depends only on the set of articles and the config, not
    on their order (except that ties between equally early posts go to the one given
    first) nor on ``workers``.

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

    def __init__(self, config: DedupConfig | None = None, *, execution: Execution | None = None) -> None:
        self.config = config if config is not None else DedupConfig()
        if not isinstance(self.config, DedupConfig):
            msg = f"config must be a DedupConfig, got {type(self.config).__name__}"
            raise TypeError(msg)
        base = execution if execution is not None else Execution()
        self.execution = Execution(
            workers=self.config.workers,
            chunk_size=base.chunk_size,
            parallel_min=base.parallel_min,
            verify_chunk=base.verify_chunk,
            start_method=base.start_method,
            spill_dir=base.spill_dir,
        )
        self._extractor = FeatureExtractor(self.config)

    def __repr__(self) -> str:
        return f"Deduplicator({self.config!r})"

    @property
    def extractor(self) -> FeatureExtractor:
        """The feature extractor (owns the tokenizer)."""
        return self._extractor

    # -- steps -----------------------------------------------------------------------
    def extract_features(
        self, articles: Sequence[Article], *, progress: ProgressCallback | None = None
    ) -> list[Features]:
        """Normalize, strip learned boilerplate, tokenize and shingle every article.

        Uses ``config.workers`` processes for large batches; the features are the same
        whatever the number of workers.
        """
        batch = check_articles(articles, self.config)
        return list(extract_batch(self._extractor, batch, self.execution, progress=progress)[1])

    def exact_groups(self, feats: Sequence[Features]) -> list[list[int]]:
        """Groups of comparable posts whose normalized bodies are identical.

        Each group is sorted by id; only groups of two or more are returned. Exact
        copies are joined up front, so a thousand verbatim reposts cost one comparison
        each rather than half a million.
        """
        cfg = self.config
        table = FeatureTable.of(feats)
        by_hash: dict[bytes, list[int]] = {}
        hashes = table.body_hashes()
        for i in np.flatnonzero(table.comparable(cfg)).tolist():
            by_hash.setdefault(hashes[i], []).append(i)
        del hashes
        groups = []
        ids, accounts = table.ids, table.accounts
        for members in by_hash.values():
            if len(members) < 2:
                continue
            if cfg.cross_account_only and len({accounts[i] for i in members}) < 2:
                continue
            groups.append(sorted(members, key=lambda i: ids[i]))
        return groups

    def candidates(self, feats: Sequence[Features], subset: Sequence[int] | None = None) -> NDArray[np.int64]:
        """Pairs of positions the candidate rule makes candidates (:mod:`dedup.lsh`).

        Parameters
        ----------
        feats : sequence of Features
            The batch (``feats[i].position == i``).
        subset : sequence of int, optional
            Positions to consider (all comparable posts by default).

        Returns
        -------
        ndarray of int64, shape (k, 2)
            Sorted pairs ``i < j``.
        """
        table = FeatureTable.of(feats)
        return self._candidates(table, BandKeys.of(sign(feats, self.config), self.config, table.ids), subset)

    def _candidates(
        self, table: FeatureTable, bands: BandKeys, subset: Sequence[int] | None = None
    ) -> NDArray[np.int64]:
        cfg = self.config
        if subset is None:
            subset = np.flatnonzero(table.comparable(cfg)).tolist()
        pairs = candidate_pairs(
            bands,
            subset,
            max_bucket=cfg.params.max_bucket,
            max_per_row=cfg.params.max_candidates,
        )
        if cfg.cross_account_only and len(pairs):
            accounts = table.accounts
            allowed = [may_pair(accounts[i], accounts[j], cfg) for i, j in pairs.tolist()]
            pairs = pairs[np.asarray(allowed, dtype=bool)]
        return pairs

    # -- the whole check ---------------------------------------------------------------
    def check(
        self,
        articles: Iterable[Article],
        *,
        skipped: int | Callable[[], int] = 0,
        progress: ProgressCallback | None = None,
    ) -> DedupResult:
        """Group a batch of articles into stories.

        Parameters
        ----------
        articles : iterable of Article
            The batch; ids must be unique (read as :meth:`check_stream` reads it).
        skipped : int or callable
            Records the reader skipped (reported in the summary), or a function
            giving that number once ``articles`` has been read.
        progress : callable, optional
            ``progress(stage, done, total)``.

        Returns
        -------
        DedupResult
            Stories with two or more posts, template pairs and a summary: what
            :meth:`check_stream` yields, collected.

        Raises
        ------
        DuplicateIdError
            Two articles share an id.
        InputError
            An article is longer than ``max_length``.
        """
        with self.check_stream(articles, skipped=skipped, progress=progress) as stream:
            return stream.result()

    def check_stream(
        self,
        articles: Iterable[Article],
        *,
        skipped: int | Callable[[], int] = 0,
        progress: ProgressCallback | None = None,
    ) -> StoryStream:
        """Group a batch into stories, and hand them out one at a time with their evidence.

        Everything up to the grouping happens here (the same steps as :meth:`check`);
        the returned :class:`StoryStream` knows the summary at once, and builds each
        story, computing its pairs' evidence in worker processes a batch of stories at
        a time, only as it is read. No list of all pairs' evidence is ever held, so a
        report can be written as the stories come.

        Parameters
        ----------
        articles : iterable of Article
            The batch; ids must be unique. A sequence is checked whole first; any
            other iterable (a file reader) is read chunk by chunk while worker
            processes normalize the chunks before, and what its reading raises is
            raised here.
        skipped : int or callable
            Records the reader skipped (reported in the summary), or a function
            giving that number once ``articles`` has been read.
        progress : callable, optional
            ``progress(stage, done, total)``; the ``evidence`` stage is reported while
            the stories are read.

        Returns
        -------
        StoryStream
            Iterate it for the stories (final order, evidence included when
            ``config.evidence``); ``template_pairs()`` and ``summary`` complete it.
            Close it (or use it in a ``with`` block): until then the batch's objects are
            left out of garbage collections (:class:`~dedup.parallel.FrozenHeap`).

        Raises
        ------
        DuplicateIdError
            Two articles share an id.
        InputError
            An article is longer than ``max_length``.

        Examples
        --------
        >>> from dedup import Article, Deduplicator
        >>> text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者讲解分类知识，发放资料200余份。"
        >>> posts = [Article(id="1", text=text), Article(id="2", text=text), Article(id="3", text="只有一篇。")]
        >>> with Deduplicator().check_stream(posts) as stream:
        ...     print(stream.summary.stories, [story.ids for story in stream])
        1 [('1', '2')]
        """
        # What the check keeps until the stories are read (the articles, the features,
        # the verdicts) is left out of garbage collections: see FrozenHeap.
        heap = FrozenHeap()
        try:
            return self._check_stream(articles, heap, skipped=skipped, progress=progress)
        except BaseException:
            heap.release()
            raise

    def _check_stream(
        self,
        articles: Iterable[Article],
        heap: FrozenHeap,
        *,
        skipped: int | Callable[[], int],
        progress: ProgressCallback | None,
    ) -> StoryStream:
        cfg = self.config
        # A list is checked whole; anything else (a file reader) as it is read, while the
        # workers normalize what came before.
        checked = check_articles(articles, cfg) if isinstance(articles, Sequence) else checked_articles(articles, cfg)
        batch, feats, bands = extract_batch(self._extractor, checked, self.execution, progress=progress, heap=heap)
        verdicts = VerdictStore(feats, cfg)
        exact, in_exact = self._join_exact(feats, verdicts)
        # One representative per exact group takes part in the search.
        searched = feats.comparable(cfg)
        searched[list(in_exact)] = False
        comparable = np.flatnonzero(searched).tolist()
        pairs = self._candidates(feats, bands, comparable)
        del bands
        if progress:
            progress("candidates", len(pairs), len(pairs))
        edges = self._verify_candidates(feats, pairs, verdicts, progress)
        heap.hold()
        groups = self._cluster(batch, edges, verdicts, exact)
        if cfg.cross_account_only:
            groups = [g for g in groups if len({feats.accounts[i] for i in g}) > 1]
        if progress:
            progress("cluster", len(groups), len(groups))
        inside, (templates, template_scores), (all_templates, all_scores) = self._sort_verdicts(batch, groups, verdicts)
        found_families = family_groups(batch, all_templates, all_scores, min_posts=cfg.params.family_min_posts)
        template_total = len(all_templates)
        del all_templates, all_scores
        # Stories ordered by their original's input position.
        order = sorted(range(len(groups)), key=lambda gi: publication_order(batch, groups[gi])[0])
        plans = [(groups[gi], inside.get(gi, [])) for gi in order]
        scores = dict(zip(templates, template_scores, strict=True))
        for _, ex in found_families:
            scores.update(ex)
        families = [(members, [p for p, _ in ex]) for members, ex in found_families]
        # What sets a reported template pair apart needs the features, which go below
        # (verdicts of template pairs are not kept: the few reported are compared again).
        decisions = (
            {p: template_decision(verdicts.verdict(*p), feats[p[0]], feats[p[1]], cfg.params) for p in scores}
            if cfg.evidence
            else {}
        )
        kept: dict[Pair, tuple[float, MatchKind]] = {p: (score, "template") for p, score in scores.items()}
        for _, story_pairs in plans:
            for p in story_pairs:
                v = verdicts.matches[p]
                assert v.kind is not None
                kept[p] = (v.score, v.kind)
        summary = Summary(
            articles=len(batch),
            stories=len(groups),
            copies=sum(len(g) - 1 for g in groups),
            cross_account_stories=sum(1 for g in groups if len(story_accounts([batch[i].account for i in g])) > 1),
            template_pairs=template_total,
            template_families=len(families),
            skipped=skipped() if callable(skipped) else skipped,
            too_short=int((~feats.comparable(cfg)).sum()),
        )
        # What the stories still need: the verdicts inside them and of the reported
        # template pairs, and each post's specifics; the features go.
        return StoryStream(
            batch=batch,
            specifics=feats.specifics(),
            verdicts=kept,
            plans=plans,
            templates=templates,
            families=families,
            decisions=decisions,
            summary=summary,
            config=cfg,
            execution=self.execution,
            progress=progress,
            heap=heap,
        )

    def _join_exact(self, feats: Sequence[Features], verdicts: VerdictStore) -> tuple[list[list[int]], set[int]]:
        """Exact copies joined up front (their verdicts recorded), and the posts left out of the search.

        Each post of an exact group is compared with the group's first: a copy joins it;
        one whose body is furniture under an unrelated headline (a template pair) stays
        apart. Either way only the first takes part in the search, as on Spark.
        """
        groups = self.exact_groups(feats)
        pairs = np.array(
            [(min(g[0], other), max(g[0], other)) for g in groups for other in g[1:]], dtype=np.int64
        ).reshape(-1, 2)
        exact: set[Pair] = set()
        for _, found in self._verify(feats, pairs):
            for i, j, v in found:
                verdicts.record(i, j, v)
                if v.kind == "exact":
                    exact.add((i, j))
        joined = []
        for group in groups:
            head = group[0]
            kept = [head] + [o for o in group[1:] if ((head, o) if head < o else (o, head)) in exact]
            if len(kept) > 1:
                joined.append(kept)
        return joined, {o for g in groups for o in g[1:]}

    def _verify_candidates(
        self,
        feats: Sequence[Features],
        pairs: NDArray[np.int64],
        verdicts: VerdictStore,
        progress: ProgressCallback | None,
    ) -> list[tuple[int, int, float]]:
        """Verify the candidates: the matches (edges), other verdicts kept in ``verdicts``."""
        edges: list[tuple[int, int, float]] = []
        total = len(pairs)
        done = 0
        for compared, found in self._verify(feats, pairs):
            for i, j, v in found:
                verdicts.record(i, j, v)
                if v.is_match:
                    edges.append((i, j, v.score))
            done += compared
            if progress:
                progress("verify", done, total)
        if progress and not total:
            progress("verify", 0, 0)
        return edges

    def _verify(
        self, feats: Sequence[Features], pairs: NDArray[np.int64]
    ) -> Iterator[tuple[int, list[tuple[int, int, Verdict]]]]:
        """Compare pairs, block by block, in worker processes when it pays.

        Yields each block's size and the verdicts in it worth recording
        (:func:`~dedup.verdicts.worth_recording`), with their pairs, in order. Forked
        workers hold the features, so a task is a block of pairs.
        """
        ex = self.execution
        blocks = [pairs[s : s + ex.verify_chunk] for s in range(0, len(pairs), ex.verify_chunk)]
        parallel = ex.workers > 1 and len(pairs) >= ex.parallel_min * 10
        if parallel and (ex.start_method or default_start_method()) == "fork":
            with WorkerPool(ex.workers, (feats, self.config), start_method="fork") as pool:
                for block, found in zip(blocks, pool.map(_verify_task, blocks), strict=True):
                    yield len(block), found
            return
        for block in blocks:
            yield len(block), _verify_task((feats, self.config), block)

    def _cluster(
        self,
        batch: Sequence[Article],
        edges: list[tuple[int, int, float]],
        verdicts: VerdictStore,
        exact: list[list[int]],
    ) -> list[list[int]]:
        """Stories from the verified edges (:func:`cluster_pairs`), components in worker processes when it pays.

        Each component clusters alone (:func:`parts_of`). Forked workers hold the
        verdicts and compare the cross pairs clustering asks for that verification never
        met; the parent records those as if it had compared them itself.
        """
        ex, p = self.execution, self.config.params
        fork = (ex.start_method or default_start_method()) == "fork"
        if not (ex.workers > 1 and fork and len(edges) >= ex.parallel_min):
            return cluster_pairs(
                len(batch),
                edges,
                verdicts.link,
                order_key=lambda i: batch[i].id,
                initial=exact,
                min_support=p.min_support,
                max_cross_pairs=p.max_cross_pairs,
            )
        # Tasks of whole components, about a few per worker's share of the edges.
        tasks: list[list[Part]] = [[]]
        size, share = 0, max(1, len(edges) // (8 * ex.workers))
        for part in parts_of(len(batch), edges, exact):
            tasks[-1].append(part)
            size += len(part.edges) + 1
            if size >= share:
                tasks.append([])
                size = 0
        groups: list[list[int]] = []
        with WorkerPool(ex.workers, (batch, verdicts, p), start_method="fork") as pool:
            for found, compared in pool.map(_cluster_task, [t for t in tasks if t]):
                for i, j, verdict in compared:
                    verdicts.learn(i, j, verdict)
                groups.extend(found)
        return sorted(groups, key=lambda g: g[0])

    def _sort_verdicts(
        self, batch: Sequence[Article], groups: list[list[int]], verdicts: VerdictStore
    ) -> tuple[dict[int, list[Pair]], tuple[list[Pair], list[float]], tuple[NDArray[np.int64], NDArray[np.float64]]]:
        """The matches inside each group; the template pairs between groups, capped and all (with scores)."""
        in_story = {i: gi for gi, g in enumerate(groups) for i in g}
        inside: dict[int, list[Pair]] = {}
        for (i, j), v in sorted(verdicts.matches.items()):
            gi = in_story.get(i)
            if gi is not None and gi == in_story.get(j) and v.is_match:
                inside.setdefault(gi, []).append((i, j))
        pairs, scores = verdicts.templates.arrays()
        group = np.full(len(batch), -1, dtype=np.int64)
        for gi, g in enumerate(groups):
            group[g] = gi
        apart = (group[pairs[:, 0]] < 0) | (group[pairs[:, 0]] != group[pairs[:, 1]])
        pairs, scores = pairs[apart], scores[apart]
        cap = self.config.params.max_template_pairs
        chosen = np.arange(len(pairs))
        if len(pairs) > cap:
            # The strongest, ties by the two ids (not by position: the same pairs in any order).
            rank = id_ranks(batch)
            ra, rb = rank[pairs[:, 0]], rank[pairs[:, 1]]
            chosen = np.sort(np.lexsort((np.maximum(ra, rb), np.minimum(ra, rb), -scores))[:cap])
        reported = [(int(i), int(j)) for i, j in pairs[chosen].tolist()]
        return inside, (reported, scores[chosen].tolist()), (pairs, scores)


def _cluster_task(
    state: tuple[Sequence[Article], VerdictStore, Params], parts: list[Part]
) -> tuple[list[list[int]], list[tuple[int, int, Verdict]]]:
    """The groups of some components, and the pairs compared to find them (by position)."""
    batch, verdicts, p = state
    verdicts.compared = []
    groups = [
        group
        for part in parts
        for group in cluster_part(
            part,
            verdicts.link,
            order_key=lambda i: batch[i].id,
            min_support=p.min_support,
            max_cross_pairs=p.max_cross_pairs,
        )
    ]
    compared, verdicts.compared = verdicts.compared, None
    return groups, compared


def _verify_task(
    state: tuple[Sequence[Features], DedupConfig], block: NDArray[np.int64]
) -> list[tuple[int, int, Verdict]]:
    """The verdicts of a block of pairs worth recording, with their pairs (by position)."""
    feats, config = state
    chunk = block.tolist()
    return [
        (i, j, v)
        for (i, j), v in zip(chunk, _compare_pairs(feats, chunk, config), strict=True)
        if worth_recording(v, config)
    ]


def _compare_pairs(feats: Sequence[Features], pairs: Iterable[Sequence[int]], config: DedupConfig) -> list[Verdict]:
    """The verdicts of ``pairs``, each post's features read once per call.

    A table builds a post's Features on each read, and the pairs of a template-heavy
    batch share their posts (a post against its eight candidates).
    """
    read: dict[int, Features] = {}

    def get(i: int) -> Features:
        f = read.get(i)
        if f is None:
            f = read[i] = feats[i]
        return f

    return [compare(get(i), get(j), config=config) for i, j in pairs]


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
