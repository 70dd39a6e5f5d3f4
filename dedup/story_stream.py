"""The stories of a checked batch, read one at a time: the report's side of the batch check.

:meth:`~dedup.Deduplicator.check_stream` groups the batch and hands back a
:class:`StoryStream`; iterating it builds each story in its final order and computes
its pairs' evidence in worker processes, a batch of stories to a task, so that a
report is written as the stories come and nothing is held for all pairs at once.
"""

from __future__ import annotations

import contextlib
import weakref
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from types import TracebackType

from dedup.config import DedupConfig, NormalizeConfig
from dedup.evidence import Decision, in_specific_order, pairs_evidence, with_decision
from dedup.extraction import Execution, ProgressCallback
from dedup.families import template_families
from dedup.models import Article, DedupResult, Evidence, MatchKind, PairMatch, Story, Summary, TemplateFamily
from dedup.parallel import CarriedTexts, FrozenHeap, WorkerPool, default_start_method
from dedup.stories import build_story
from dedup.verdicts import Pair

__all__ = ["StoryStream"]


class StoryStream:
    """The stories of a checked batch, built (with their pairs' evidence) as they are read.

    What :meth:`~dedup.Deduplicator.check_stream` returns. The grouping is done; iterating
    the stream builds each story in the final order (by the input position of its
    original) and computes its pairs' evidence (``config.evidence``) in worker
    processes, a batch of stories at a time (about ``Execution.chunk_size`` posts),
    with at most twice as many batches in flight as there are workers. Nothing is
    kept once a story is handed out, so the memory a report takes does not grow with
    the number of pairs.

    Attributes
    ----------
    summary : Summary
        The batch's figures, known before the first story is read.
    config : DedupConfig
        The configuration of the check.
    execution : Execution
        How it runs worker processes (also for evidence the report computes itself).

    Notes
    -----
    Iterating again builds the stories (and their evidence) again. Leaving an
    iteration early stops its workers; so does :meth:`close` or leaving a ``with``
    block. ``list(stream)`` with :meth:`template_pairs` and :attr:`summary` is
    exactly :meth:`~dedup.Deduplicator.check`'s result (:meth:`result`).
    """

    def __init__(
        self,
        *,
        batch: Sequence[Article],
        specifics: Sequence[tuple[str, ...]],
        verdicts: dict[Pair, tuple[float, MatchKind]],
        plans: Sequence[tuple[Sequence[int], Sequence[Pair]]],
        templates: Sequence[Pair],
        families: Sequence[tuple[Sequence[int], Sequence[Pair]]],
        decisions: dict[Pair, Decision],
        summary: Summary,
        config: DedupConfig,
        execution: Execution,
        progress: ProgressCallback | None = None,
        heap: FrozenHeap | None = None,
    ) -> None:
        self.summary = summary
        self.config = config
        self._batch = batch
        self._specifics = specifics
        self._verdicts = verdicts
        self._plans = plans
        self._template_keys = templates
        self._family_plans = families
        self._decisions = decisions
        # The pairs whose evidence comes after the stories': the reported template pairs,
        # then the families' example pairs that are not among them.
        shown = set(templates)
        self._reported = [*templates, *sorted({p for _, ex in families for p in ex} - shown)]
        self.execution = execution
        self._progress = progress
        self._templates: tuple[PairMatch, ...] | None = None
        self._families: tuple[TemplateFamily, ...] | None = None
        self._open: weakref.WeakSet[Generator[Story, None, None]] = weakref.WeakSet()
        self._positions: dict[str, int] | None = None
        self._paired: set[int] | None = None
        self._pair_count = sum(len(pairs) for _, pairs in plans) + len(self._reported)
        # The check's objects, held out of garbage collections until the stream is closed
        # (or, when it never is, until it is freed).
        self._release: Callable[[], object] = lambda: None
        if heap is not None:
            heap.hold()
            self._release = weakref.finalize(self, heap.release)

    def __repr__(self) -> str:
        return f"<StoryStream of {len(self._plans)} stories, {self._pair_count} pairs>"

    @property
    def articles(self) -> Sequence[Article]:
        """The batch checked, in input order (as read, when it came from a reader)."""
        return self._batch

    def __len__(self) -> int:
        """The number of stories."""
        return len(self._plans)

    def __enter__(self) -> StoryStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def __iter__(self) -> Iterator[Story]:
        """The stories in their final order, evidence included when ``config.evidence``."""
        if not self.config.evidence:
            return self.skeletons()
        stories = self._with_evidence()
        self._open.add(stories)
        return stories

    def skeletons(self) -> Iterator[Story]:
        """The stories in the same order without evidence (quick: nothing is computed)."""
        for group, pairs in self._plans:
            yield self._story(group, pairs, {})

    def template_pairs(self) -> tuple[PairMatch, ...]:
        """The template pairs reported (the strongest ``params.max_template_pairs``), with evidence.

        Computed once: by a complete iteration of the stories, or here when asked first.
        """
        return self._template_matches()[0]

    def families(self) -> tuple[TemplateFamily, ...]:
        """The template families (:class:`~dedup.TemplateFamily`), their example pairs with evidence.

        Computed once, with :meth:`template_pairs`.
        """
        return self._template_matches()[1]

    def result(self) -> DedupResult:
        """Read the whole stream: what :meth:`~dedup.Deduplicator.check` returns."""
        stories = tuple(self)
        templates, families = self._template_matches()
        return DedupResult(stories=stories, summary=self.summary, template_pairs=templates, families=families)

    def specifics(self, post_id: str) -> tuple[str, ...] | None:
        """A post's event specifics as its pairs' evidence lists them, names and places first.

        ``None`` when the stream computes no evidence or the post is in no reported
        pair (the evidence of any of its pairs gives the same: shared plus its own side).
        """
        if not self.config.evidence:
            return None
        if self._positions is None or self._paired is None:
            self._positions = {a.id: k for k, a in enumerate(self._batch)}
            self._paired = {k for pairs in (*(p for _, p in self._plans), self._reported) for p in pairs for k in p}
        k = self._positions.get(post_id)
        if k is None or k not in self._paired:
            return None
        return in_specific_order(self._specifics[k])

    def close(self) -> None:
        """Stop the iterations still open (and their worker processes); let the collector see the batch again."""
        for stories in list(self._open):
            stories.close()
        self._release()

    # -- building ---------------------------------------------------------------------
    def _pair(self, i: int, j: int, evidence: dict[Pair, Evidence]) -> PairMatch:
        score, kind = self._verdicts[(i, j)]
        batch = self._batch
        ev = evidence.get((i, j))
        if ev is not None and kind == "template":
            ev = with_decision(ev, self._decisions.get((i, j)))
        return PairMatch(a=batch[i].id, b=batch[j].id, score=score, kind=kind, evidence=ev)

    def _story(self, group: Sequence[int], pairs: Sequence[Pair], evidence: dict[Pair, Evidence]) -> Story:
        return build_story(self._batch, group, pairs, lambda i, j: self._pair(i, j, evidence))

    def _template_matches(
        self, evidence: dict[Pair, Evidence] | None = None
    ) -> tuple[tuple[PairMatch, ...], tuple[TemplateFamily, ...]]:
        """The reported template pairs and the families, built once (their evidence computed when not given)."""
        if self._templates is None or self._families is None:
            if evidence is None:
                evidence = {}
                if self.config.evidence and self._reported:
                    for _, pairs, found in self._evidence([(None, self._reported)], len(self._reported)):
                        evidence.update(zip(pairs, found, strict=True))
            known = evidence

            def pair(i: int, j: int) -> PairMatch:
                return self._pair(i, j, known)

            self._templates = tuple(pair(i, j) for i, j in self._template_keys)
            self._families = template_families(self._batch, self._family_plans, pair)
        return self._templates, self._families

    def _with_evidence(self) -> Generator[Story, None, None]:
        """Stories with evidence, a batch of stories per task; then the template pairs' evidence."""
        plans = self._plans
        templates = self._templates is None and bool(self._reported)
        total = self._pair_count - (0 if templates else len(self._reported))

        def units() -> Iterator[tuple[range | None, Sequence[Pair]]]:
            # Consecutive stories, about chunk_size posts to a task (each post's passages found once).
            size = self.execution.chunk_size
            start = members = 0
            for k, (group, _) in enumerate(plans):
                members += len(group)
                if members >= size or k == len(plans) - 1:
                    yield range(start, k + 1), [p for gi in range(start, k + 1) for p in plans[gi][1]]
                    start, members = k + 1, 0
            if templates:
                yield None, self._reported

        for stories, pairs, found in self._evidence(units(), total):
            evidence = dict(zip(pairs, found, strict=True))
            if stories is None:
                self._template_matches(evidence)
                continue
            for gi in stories:
                group, inside = plans[gi]
                yield self._story(group, inside, evidence)

    def _evidence(
        self, units: Iterable[tuple[range | None, Sequence[Pair]]], total: int
    ) -> Iterator[tuple[range | None, Sequence[Pair], list[Evidence]]]:
        """Evidence for each unit's pairs, in order: in worker processes when it pays.

        A task is made only when a worker is ready for it (at most twice as many tasks
        as workers are in flight); the ``evidence`` stage is reported as they come back.
        """
        ex = self.execution
        sent: deque[tuple[range | None, Sequence[Pair]]] = deque()
        # The posts' texts and specifics: forked workers hold them already (a task names
        # positions only); spawned ones get each task's texts with it.
        state: _EvidenceState = (self._batch, self._specifics)
        parallel = ex.workers > 1 and total >= ex.parallel_min
        inherit = not parallel or (ex.start_method or default_start_method()) == "fork"
        tasks = (self._task(unit, sent, carry=not inherit) for unit in units)
        done = 0
        with contextlib.ExitStack() as stack:
            if parallel:
                pool = stack.enter_context(
                    WorkerPool(ex.workers, state if inherit else None, start_method=ex.start_method)
                )
                found: Iterator[list[Evidence]] = pool.map(_evidence_task, tasks, ahead=2 * ex.workers)
            else:
                found = (_evidence_task(state, task) for task in tasks)
            for evidence in found:
                stories, pairs = sent.popleft()
                done += len(pairs)
                if self._progress:
                    self._progress("evidence", done, total)
                yield stories, pairs, evidence
        if self._progress and not done:
            self._progress("evidence", 0, 0)

    def _task(
        self,
        unit: tuple[range | None, Sequence[Pair]],
        sent: deque[tuple[range | None, Sequence[Pair]]],
        *,
        carry: bool,
    ) -> _EvidenceTask:
        sent.append(unit)
        pairs = list(unit[1])
        posts = None
        if carry:
            members = {k for p in pairs for k in p}
            posts = CarriedTexts({k: self._batch[k].text for k in members}), {k: self._specifics[k] for k in members}
        return self.config.normalize, self.config.params.passage_cutoff, posts, pairs


# The batch and each post's specifics, by position (what a forked worker inherits).
_EvidenceState = tuple[Sequence[Article], Sequence[tuple[str, ...]]]
# (normalize config, passage cutoff, (texts, specifics) by position unless inherited, pairs)
_EvidenceTask = tuple[NormalizeConfig, float, tuple[dict[int, str], dict[int, tuple[str, ...]]] | None, list[Pair]]


def _evidence_task(state: _EvidenceState | None, task: _EvidenceTask) -> list[Evidence]:
    config, cutoff, posts, pairs = task
    if posts is None:
        assert state is not None  # tasks carry their posts unless the worker holds the batch
        batch, specifics = state
        members = {k for p in pairs for k in p}
        posts = {k: batch[k].text for k in members}, {k: specifics[k] for k in members}
    texts, kept = posts
    return pairs_evidence(texts, kept, pairs, config=config, score_cutoff=cutoff)
