"""The verdicts of a batch's pairs, computed once and asked for by several steps.

A template-heavy day pairs nearly every post of a template with a hundred others:
hundreds of thousands of template pairs for 10,000 notices. Stories and reports need
only a few of them (the reported ones, the families' examples), families and counts
need all of them but only their positions and scores. So :class:`VerdictStore` keeps
matches as :class:`~dedup.verify.Verdict` objects, template pairs as three flat arrays,
and for clustering one shared :class:`~dedup.cluster.Link` value per pair code.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from dedup.cluster import Link
from dedup.config import DedupConfig
from dedup.features import Features
from dedup.steps import link_of
from dedup.verify import Verdict, compare

__all__ = ["Pair", "TemplatePairs", "VerdictStore", "worth_recording"]

Pair = tuple[int, int]


def worth_recording(verdict: Verdict, config: DedupConfig) -> bool:
    """True when :meth:`VerdictStore.record` keeps anything of ``verdict``.

    A pair scoring under the support share of the threshold, and neither a match nor
    a template pair, neither supports nor vetoes anything: workers verifying a batch
    do not send it back (most candidates of a large batch are such pairs).

    Examples
    --------
    >>> from dedup import DedupConfig
    >>> far = Verdict(score=0.1, kind=None, jaccard=0.1, containment=0.1, sequence=0.0, agreement=None)
    >>> worth_recording(far, DedupConfig())
    False
    """
    return verdict.kind is not None or verdict.score >= config.threshold * config.params.support_factor


class TemplatePairs:
    """Template pairs as flat arrays: positions ``i < j`` and scores, in the order recorded."""

    def __init__(self) -> None:
        self._i = array("q")
        self._j = array("q")
        self._score = array("d")

    def __len__(self) -> int:
        return len(self._score)

    def add(self, i: int, j: int, score: float) -> None:
        """Record the template pair ``i < j``."""
        self._i.append(i)
        self._j.append(j)
        self._score.append(score)

    def arrays(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """``(pairs, scores)``: pairs of shape (k, 2) sorted by position, and their scores."""
        i = np.frombuffer(self._i, dtype=np.int64) if len(self._i) else np.zeros(0, np.int64)
        j = np.frombuffer(self._j, dtype=np.int64) if len(self._j) else np.zeros(0, np.int64)
        s = np.frombuffer(self._score, dtype=np.float64) if len(self._score) else np.zeros(0, np.float64)
        order = np.lexsort((j, i))
        return np.stack((i[order], j[order]), axis=1), s[order].copy()


class VerdictStore:
    """Matches, template pairs and links of a batch (see the module docstring).

    Every pair is recorded once: clustering asks :meth:`link` for pairs verification
    did not meet, and those are compared here and recorded like the others.
    """

    def __init__(self, feats: Sequence[Features], config: DedupConfig) -> None:
        self.feats = feats
        self.config = config
        self.n = len(feats)
        self.matches: dict[Pair, Verdict] = {}
        self.templates = TemplatePairs()
        self._links: dict[int, Link] = {}
        # Four possible values: one object each, not one per pair.
        self._link_values: dict[Link, Link] = {}
        #: The pairs :meth:`link` compared, in order, while a list (a worker clustering
        #: some components reports them to the parent's store, which :meth:`learn` s them).
        self.compared: list[tuple[int, int, Verdict]] | None = None

    def record(self, i: int, j: int, verdict: Verdict) -> None:
        """Keep a verdict of ``i < j`` (every pair at most once), and its link when it may bear on a merge.

        A pair scoring under the support share of the threshold neither supports nor
        vetoes anything; clustering rarely asks for one, and then it is compared again.
        """
        if verdict.kind == "template":
            self.templates.add(i, j, verdict.score)
        elif verdict.kind is not None:
            self.matches[(i, j)] = verdict
        if worth_recording(verdict, self.config):
            self._set_link(i, j, link_of(verdict, self.config))

    def _set_link(self, i: int, j: int, link: Link) -> Link:
        value = self._links[i * self.n + j] = self._link_values.setdefault(link, link)
        return value

    def link(self, i: int, j: int) -> Link:
        """How the pair bears on a merge; compared and recorded when not met before."""
        if i > j:
            i, j = j, i
        found = self._links.get(i * self.n + j)
        if found is None:
            verdict = compare(self.feats[i], self.feats[j], config=self.config)
            found = self.learn(i, j, verdict)
            if self.compared is not None:
                self.compared.append((i, j, verdict))
        return found

    def learn(self, i: int, j: int, verdict: Verdict) -> Link:
        """Record the verdict of a pair ``i < j`` that :meth:`link` compared (here or in a copy of the store)."""
        self.record(i, j, verdict)
        return self._set_link(i, j, link_of(verdict, self.config))

    def verdict(self, i: int, j: int) -> Verdict:
        """The verdict of a recorded match, or of any pair compared again (the same, deterministic)."""
        key = (i, j) if i < j else (j, i)
        found = self.matches.get(key)
        return found if found is not None else compare(self.feats[key[0]], self.feats[key[1]], config=self.config)
