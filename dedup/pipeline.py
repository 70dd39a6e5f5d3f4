"""The whole check, step by step: features → signatures → candidates → verify → cluster.

:class:`Deduplicator` runs a batch of articles through the pipeline and returns a
:class:`~dedup.models.DedupResult`; :func:`find_duplicates` is the one-call form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from dedup.boilerplate import AccountBoilerplate
from dedup.cluster import Link, cluster_pairs
from dedup.config import DedupConfig
from dedup.exceptions import DuplicateIdError, InputError
from dedup.features import FeatureExtractor, Features
from dedup.index import candidate_pairs
from dedup.models import Article, DedupResult, PairMatch, Post, Story, Summary
from dedup.normalize import NormalizedText, normalize_with_offsets
from dedup.signature import minhash_signatures
from dedup.verify import MIN_AGREEMENT, Verdict, build_evidence, compare

__all__ = ["Deduplicator", "ProgressCallback", "find_duplicates"]

logger = logging.getLogger(__name__)

#: ``progress(stage, done, total)``: called as the batch moves through the steps.
ProgressCallback = Callable[[str, int, int], None]

# Naive timestamps are read as China Standard Time when ordering posts.
_CST = timezone(timedelta(hours=8))
# Cross pairs at this share of the threshold still support a group merge (a truncated
# copy and a copy with sentences dropped may share little, yet both match the original).
_SUPPORT_FACTOR = 0.6


def _time_key(when: datetime | None) -> float:
    if when is None:
        return float("inf")
    if when.tzinfo is None:
        when = when.replace(tzinfo=_CST)
    return when.astimezone(UTC).timestamp()


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
    that ties between equally early posts go to the one given first).

    Examples
    --------
    >>> from dedup import Article, DedupConfig, Deduplicator
    >>> text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
    >>> posts = [
    ...     Article(id="1", text=text, account="荷叶塘社区"),
    ...     Article(id="2", text="关注我们\\n" + text + "\\n责任编辑：马骏", account="岳麓街道"),
    ...     Article(id="3", text="6月15日，山水湾社区举办消防安全演练，邀请消防员讲解灭火器使用方法。", account="山水湾社区"),
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
        """Normalize, strip learned boilerplate, tokenize and shingle every article."""
        fx = self._extractor
        normalized = [fx.normalize(a) for a in articles]
        if progress:
            progress("normalize", len(articles), len(articles))
        bodies = [body for _, body in normalized]
        if self.config.learn_boilerplate:
            learned = AccountBoilerplate().fit([a.account for a in articles], bodies)
            bodies = [learned.strip(a.account, body) for a, body in zip(articles, bodies, strict=True)]
        out = []
        for i, (a, (title, _), body) in enumerate(zip(articles, normalized, bodies, strict=True)):
            out.append(fx.extract(a, index=i, body=body, title=title))
            if progress and (i + 1) % 1000 == 0:
                progress("tokenize", i + 1, len(articles))
        if progress:
            progress("tokenize", len(articles), len(articles))
        return out

    def candidates(self, feats: Sequence[Features]) -> set[tuple[int, int]]:
        """Pairs of positions whose full text or lead collide in MinHash LSH."""
        cfg = self.config
        eligible = [f.index for f in feats if f.length >= cfg.min_length and f.n_words > 0]
        if len(eligible) < 2:
            return set()
        kw: dict[str, Any] = {"num_perm": cfg.num_perm, "seed": cfg.seed, "scheme": cfg.scheme}
        full = minhash_signatures([f.shingles for f in feats], **kw)
        lead = minhash_signatures([f.lead for f in feats], **kw)
        common: dict[str, Any] = {"threshold": cfg.lsh_threshold, "seed": cfg.seed, "scheme": cfg.scheme}
        pairs = candidate_pairs(full, subset=eligible, **common)
        pairs |= candidate_pairs(lead, subset=eligible, **common)
        if cfg.cross_account_only:
            pairs = {(i, j) for i, j in pairs if not _same_account(feats[i], feats[j])}
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
        feats = self.features(batch, progress=progress)
        pairs = sorted(self.candidates(feats))
        if progress:
            progress("candidates", len(pairs), len(pairs))

        verdicts: dict[tuple[int, int], Verdict] = {}

        def judge(i: int, j: int) -> Verdict:
            key = (i, j) if i < j else (j, i)
            v = verdicts.get(key)
            if v is None:
                v = compare(feats[key[0]], feats[key[1]], threshold=cfg.threshold)
                verdicts[key] = v
            return v

        edges: list[tuple[int, int, float]] = []
        for n, (i, j) in enumerate(pairs, 1):
            v = judge(i, j)
            if v.is_match:
                edges.append((i, j, v.score))
            if progress and n % 5000 == 0:
                progress("verify", n, len(pairs))
        if progress:
            progress("verify", len(pairs), len(pairs))

        weak = cfg.threshold * _SUPPORT_FACTOR

        def link(i: int, j: int) -> Link:
            v = judge(i, j)
            conflict = v.kind == "template" or (
                v.agreement is not None and v.agreement < MIN_AGREEMENT and v.score >= weak
            )
            return Link(support=v.score >= weak and not conflict, veto=conflict)

        groups = cluster_pairs(len(batch), edges, link, order_key=lambda i: batch[i].id)
        if progress:
            progress("cluster", len(groups), len(groups))

        stories = self._stories(batch, feats, groups, verdicts)
        in_story = {i: gi for gi, g in enumerate(groups) for i in g}
        template_pairs = tuple(
            self._pair(batch, feats, i, j, v, {})
            for (i, j), v in sorted(verdicts.items())
            if v.kind == "template" and not (i in in_story and in_story.get(j) == in_story[i])
        )
        copies = sum(len(s.ids) - 1 for s in stories)
        summary = Summary(
            articles=len(batch),
            stories=len(stories),
            copies=copies,
            cross_account_stories=sum(1 for s in stories if len(s.accounts) > 1),
            template_pairs=len(template_pairs),
            skipped=skipped,
            too_short=sum(1 for f in feats if f.length < cfg.min_length or f.n_words == 0),
        )
        return DedupResult(stories=stories, summary=summary, template_pairs=template_pairs)

    def _pair(
        self,
        batch: Sequence[Article],
        feats: Sequence[Features],
        i: int,
        j: int,
        v: Verdict,
        cache: dict[int, NormalizedText],
    ) -> PairMatch:
        assert v.kind is not None
        evidence = None
        if self.config.evidence:
            for k in (i, j):
                if k not in cache:
                    cache[k] = normalize_with_offsets(batch[k].text, self.config.normalize)
            evidence = build_evidence(cache[i], cache[j], feats[i].specifics, feats[j].specifics)
        return PairMatch(a=batch[i].id, b=batch[j].id, score=v.score, kind=v.kind, evidence=evidence)

    def _stories(
        self,
        batch: Sequence[Article],
        feats: Sequence[Features],
        groups: list[list[int]],
        verdicts: dict[tuple[int, int], Verdict],
    ) -> tuple[Story, ...]:
        stories = []
        cache: dict[int, NormalizedText] = {}
        group_of = {i: gi for gi, g in enumerate(groups) for i in g}
        inside: dict[int, list[tuple[int, int]]] = {}
        for (i, j), v in sorted(verdicts.items()):
            gi = group_of.get(i)
            if gi is not None and gi == group_of.get(j) and v.is_match:
                inside.setdefault(gi, []).append((i, j))
        for gi, group in enumerate(groups):
            members = sorted(group, key=lambda i: (_time_key(batch[i].published_at), i))
            pairs = tuple(self._pair(batch, feats, i, j, verdicts[(i, j)], cache) for i, j in inside.get(gi, []))
            accounts: list[str] = []
            for i in members:
                acc = batch[i].account
                if acc and acc not in accounts:
                    accounts.append(acc)
            posts = tuple(
                Post(
                    id=batch[i].id,
                    account=batch[i].account,
                    published_at=batch[i].published_at,
                    title=batch[i].title,
                )
                for i in members
            )
            stories.append(
                (
                    members[0],
                    Story(
                        ids=tuple(batch[i].id for i in members),
                        original=batch[members[0]].id,
                        accounts=tuple(accounts),
                        posts=posts,
                        pairs=pairs,
                    ),
                )
            )
            cache.clear()
        stories.sort(key=lambda s: s[0])
        return tuple(s for _, s in stories)


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
