"""The batch check: features → candidates → verify → cluster → stories → evidence.

:class:`Deduplicator` runs a batch of articles through the shared steps and returns a
:class:`~dedup.models.DedupResult`; :func:`find_duplicates` is the one-call form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.cluster import Link, cluster_pairs
from dedup.config import DedupConfig, NormalizeConfig
from dedup.evidence import Passages, build_evidence, decisive
from dedup.extraction import Execution, ProgressCallback, extract_batch
from dedup.families import family_groups, template_families
from dedup.features import FeatureExtractor, Features
from dedup.lsh import BandKeys, candidate_pairs
from dedup.models import Article, DedupResult, Evidence, PairMatch, Story, Summary
from dedup.parallel import WorkerPool, default_start_method
from dedup.signature import Signatures, sign
from dedup.steps import check_articles, is_comparable, link_of, may_pair
from dedup.stories import build_story, publication_order
from dedup.verify import Verdict, compare, specifics_agreement

__all__ = ["Deduplicator", "Execution", "ProgressCallback", "find_duplicates"]

logger = logging.getLogger(__name__)

Pair = tuple[int, int]


class _Verdicts:
    """The verdicts of a batch's pairs, computed once and asked for by several steps.

    Only matches and template pairs are kept (stories and reports need them); of the
    other pairs verification met, clustering keeps two flags (:class:`Link`), so that it
    never compares a pair twice.
    """

    def __init__(self, feats: Sequence[Features], config: DedupConfig) -> None:
        self.feats = feats
        self.config = config
        self.found: dict[Pair, Verdict] = {}
        self.links: dict[Pair, Link] = {}

    def verdict(self, i: int, j: int) -> Verdict:
        key = (i, j) if i < j else (j, i)
        v = self.found.get(key)
        if v is None:
            v = compare(self.feats[key[0]], self.feats[key[1]], config=self.config)
            if v.kind is not None:
                self.found[key] = v
        return v

    def link(self, i: int, j: int) -> Link:
        key = (i, j) if i < j else (j, i)
        found = self.links.get(key)
        if found is None:
            found = link_of(self.verdict(i, j), self.config)
            self.links[key] = found
        return found


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
        return extract_batch(self._extractor, check_articles(articles, self.config), self.execution, progress=progress)[
            0
        ]

    def exact_groups(self, feats: Sequence[Features]) -> list[list[int]]:
        """Groups of comparable posts whose normalized bodies are identical.

        Each group is sorted by id; only groups of two or more are returned. Exact
        copies are joined up front, so a thousand verbatim reposts cost one comparison
        each rather than half a million.
        """
        cfg = self.config
        by_hash: dict[bytes, list[int]] = {}
        for f in feats:
            if is_comparable(f, cfg):
                by_hash.setdefault(f.body_hash, []).append(f.position)
        groups = []
        for members in by_hash.values():
            if len(members) < 2:
                continue
            if cfg.cross_account_only and len({feats[i].account for i in members}) < 2:
                continue
            groups.append(sorted(members, key=lambda i: feats[i].id))
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
        return self._candidates(feats, sign(feats, self.config), subset)

    def _candidates(
        self, feats: Sequence[Features], sigs: Signatures, subset: Sequence[int] | None = None
    ) -> NDArray[np.int64]:
        cfg = self.config
        if subset is None:
            subset = [f.position for f in feats if is_comparable(f, cfg)]
        pairs = candidate_pairs(
            BandKeys.of(sigs, cfg, [f.id for f in feats]),
            subset,
            max_bucket=cfg.params.max_bucket,
            max_per_row=cfg.params.max_candidates,
        )
        if cfg.cross_account_only and len(pairs):
            allowed = [may_pair(feats[i].account, feats[j].account, cfg) for i, j in pairs.tolist()]
            pairs = pairs[np.asarray(allowed, dtype=bool)]
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
        cfg = self.config
        batch = check_articles(articles, cfg)
        feats, sigs = extract_batch(self._extractor, batch, self.execution, progress=progress)
        verdicts = _Verdicts(feats, cfg)
        exact = self._join_exact(feats, verdicts)
        in_exact = {i for group in exact for i in group[1:]}
        # One representative per exact group takes part in the search.
        comparable = [f.position for f in feats if is_comparable(f, cfg) and f.position not in in_exact]
        pairs = self._candidates(feats, sigs, comparable)
        del sigs
        if progress:
            progress("candidates", len(pairs), len(pairs))
        edges = self._verify_candidates(feats, pairs, verdicts, progress)
        groups = cluster_pairs(
            len(batch),
            edges,
            verdicts.link,
            order_key=lambda i: batch[i].id,
            initial=exact,
            min_support=cfg.params.min_support,
            max_cross_pairs=cfg.params.max_cross_pairs,
        )
        if cfg.cross_account_only:
            groups = [g for g in groups if len({feats[i].account for i in g}) > 1]
        if progress:
            progress("cluster", len(groups), len(groups))
        inside, templates, all_templates = self._sort_verdicts(batch, groups, verdicts)
        found = verdicts.found
        families = family_groups(
            batch, all_templates, lambda i, j: found[(i, j)].score, min_posts=cfg.params.family_min_posts
        )
        template_total = len(all_templates)
        del all_templates
        evidence: dict[Pair, Evidence] = {}
        if cfg.evidence:
            examples = sorted({p for _, ex in families for p in ex} - set(templates))
            wanted = [p for g in inside.values() for p in g] + templates + examples
            evidence = self._evidence(batch, feats, wanted)
            if progress:
                progress("evidence", len(wanted), len(wanted))

        def pair(i: int, j: int) -> PairMatch:
            v = verdicts.found[(i, j)]
            assert v.kind is not None
            ev = evidence.get((i, j))
            if ev is not None:
                ev = decisive(ev, v, feats[i], feats[j], cfg.params)
            return PairMatch(a=batch[i].id, b=batch[j].id, score=v.score, kind=v.kind, evidence=ev)

        stories = self._stories(batch, groups, inside, pair)
        summary = Summary(
            articles=len(batch),
            stories=len(stories),
            copies=sum(len(s.ids) - 1 for s in stories),
            cross_account_stories=sum(1 for s in stories if len(s.accounts) > 1),
            template_pairs=template_total,
            template_families=len(families),
            skipped=skipped,
            too_short=sum(1 for f in feats if not is_comparable(f, cfg)),
        )
        return DedupResult(
            stories=stories,
            summary=summary,
            template_pairs=tuple(pair(i, j) for i, j in templates),
            families=template_families(batch, families, pair),
        )

    def _join_exact(self, feats: Sequence[Features], verdicts: _Verdicts) -> list[list[int]]:
        """Exact copies, joined up front (their verdicts recorded)."""
        exact = self.exact_groups(feats)
        min_specifics = self.config.params.min_specifics
        for group in exact:
            head = group[0]
            for other in group[1:]:
                key = (head, other) if head < other else (other, head)
                agreement = specifics_agreement(
                    feats[head].specifics, feats[other].specifics, min_specifics=min_specifics
                )
                verdicts.found[key] = Verdict(1.0, "exact", 1.0, 1.0, 1.0, agreement)
        return exact

    def _verify_candidates(
        self,
        feats: Sequence[Features],
        pairs: NDArray[np.int64],
        verdicts: _Verdicts,
        progress: ProgressCallback | None,
    ) -> list[tuple[int, int, float]]:
        """Verify the candidates: the matches (edges), other verdicts kept in ``verdicts``."""
        weak = self.config.threshold * self.config.params.support_factor
        edges: list[tuple[int, int, float]] = []
        total = len(pairs)
        done = 0
        for chunk, found in self._verify(feats, pairs):
            for (i, j), v in zip(chunk, found, strict=True):
                if v.kind is not None:
                    verdicts.found[(i, j)] = v
                if v.is_match:
                    edges.append((i, j, v.score))
                elif v.score >= weak:
                    verdicts.links[(i, j)] = link_of(v, self.config)
            done += len(chunk)
            if progress:
                progress("verify", done, total)
        if progress and not total:
            progress("verify", 0, 0)
        return edges

    def _verify(
        self, feats: Sequence[Features], pairs: NDArray[np.int64]
    ) -> Iterator[tuple[list[Pair], list[Verdict]]]:
        """Compare the candidate pairs, chunk by chunk, in worker processes when it pays.

        Forked workers hold the features, so a task is a block of pairs.
        """
        ex = self.execution
        blocks = [pairs[s : s + ex.verify_chunk] for s in range(0, len(pairs), ex.verify_chunk)]
        parallel = ex.workers > 1 and len(pairs) >= ex.parallel_min * 10
        if parallel and (ex.start_method or default_start_method()) == "fork":
            with WorkerPool(ex.workers, (feats, self.config), start_method="fork") as pool:
                for block, found in zip(blocks, pool.map(_verify_task, blocks), strict=True):
                    yield [(i, j) for i, j in block.tolist()], found  # tolist: Python ints already
            return
        for block in blocks:
            chunk = [(i, j) for i, j in block.tolist()]
            yield chunk, [compare(feats[i], feats[j], config=self.config) for i, j in chunk]

    def _sort_verdicts(
        self, batch: Sequence[Article], groups: list[list[int]], verdicts: _Verdicts
    ) -> tuple[dict[int, list[Pair]], list[Pair], list[Pair]]:
        """The matches inside each group, and the template pairs between groups (capped, and all)."""
        in_story = {i: gi for gi, g in enumerate(groups) for i in g}
        inside: dict[int, list[Pair]] = {}
        templates: list[Pair] = []
        for (i, j), v in sorted(verdicts.found.items()):
            gi = in_story.get(i)
            same = gi is not None and gi == in_story.get(j)
            if same and v.is_match:
                inside.setdefault(gi, []).append((i, j))  # type: ignore[arg-type]
            elif v.kind == "template" and not same:
                templates.append((i, j))
        everything = templates
        cap = self.config.params.max_template_pairs
        if len(templates) > cap:
            found = verdicts.found
            # The strongest, ties by the two ids (not by position: the same pairs in any order).
            strongest = sorted(templates, key=lambda p: (-found[p].score, *sorted((batch[p[0]].id, batch[p[1]].id))))
            templates = sorted(strongest[:cap])
        return inside, templates, everything

    def _stories(
        self,
        batch: Sequence[Article],
        groups: list[list[int]],
        inside: dict[int, list[Pair]],
        pair: Callable[[int, int], PairMatch],
    ) -> tuple[Story, ...]:
        stories = []
        for gi, group in enumerate(groups):
            # Ordered by their original's input position.
            stories.append((publication_order(batch, group)[0], build_story(batch, group, inside.get(gi, []), pair)))
        stories.sort(key=lambda s: s[0])
        return tuple(s for _, s in stories)

    def _evidence(
        self, batch: Sequence[Article], feats: Sequence[Features], pairs: Sequence[Pair]
    ) -> dict[Pair, Evidence]:
        """Evidence for many pairs, grouped so each article's passages are found once."""
        ex = self.execution
        tasks: list[_EvidenceTask] = []
        current: list[Pair] = []
        members: set[int] = set()
        for i, j in pairs:
            current.append((i, j))
            members.update((i, j))
            if len(members) >= ex.chunk_size:
                tasks.append(self._evidence_task(batch, feats, current, members))
                current, members = [], set()
        if current:
            tasks.append(self._evidence_task(batch, feats, current, members))
        out: dict[Pair, Evidence] = {}
        if ex.workers > 1 and len(pairs) >= ex.parallel_min:
            with WorkerPool(ex.workers, None, start_method=ex.start_method) as pool:
                results = list(pool.map(_evidence_task, tasks))
        else:
            results = [_evidence_task(None, t) for t in tasks]
        for task, found in zip(tasks, results, strict=True):
            out.update(zip(task[4], found, strict=True))
        return out

    def _evidence_task(
        self, batch: Sequence[Article], feats: Sequence[Features], pairs: list[Pair], members: set[int]
    ) -> _EvidenceTask:
        return (
            self.config.normalize,
            self.config.params.passage_cutoff,
            {k: batch[k].text for k in members},
            {k: feats[k].specifics for k in members},
            pairs,
        )


# (normalize config, passage cutoff, texts by position, specifics by position, pairs)
_EvidenceTask = tuple[NormalizeConfig, float, dict[int, str], dict[int, tuple[str, ...]], list[Pair]]


def _evidence_task(_: None, task: _EvidenceTask) -> list[Evidence]:
    config, cutoff, texts, specifics, pairs = task
    passages = {k: Passages(text, config) for k, text in texts.items()}
    return [build_evidence(passages[i], passages[j], specifics[i], specifics[j], score_cutoff=cutoff) for i, j in pairs]


def _verify_task(state: tuple[Sequence[Features], DedupConfig], block: NDArray[np.int64]) -> list[Verdict]:
    feats, config = state
    return [compare(feats[i], feats[j], config=config) for i, j in block.tolist()]


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
