"""What the Spark job's executors run: the shared steps applied to a partition's rows.

Every function here turns an iterator of rows (tuples in a fixed column order, as
:mod:`dedup.spark` selects them) into an iterator of output tuples, by calling the
same steps as the batch check: :func:`~dedup.io_fields.record_to_article` and
:func:`~dedup.steps.check_article` (validation), :meth:`NormalizedChunk.build
<dedup.extraction.NormalizedChunk.build>` (normalizing and boilerplate keys), the
pieces of :mod:`dedup.chrome`, :func:`~dedup.boilerplate.strip_keys`,
:meth:`~dedup.features.FeatureExtractor.extract_many`, :func:`~dedup.signature.sign`,
:meth:`BandKeys.of <dedup.lsh.BandKeys.of>`, :func:`~dedup.verify.compare`,
:func:`~dedup.steps.may_pair`, :func:`~dedup.steps.link_of`,
:func:`~dedup.cluster.cluster_pairs`, :func:`~dedup.stories.build_story` and
:func:`~dedup.evidence.build_evidence`. Nothing here imports pyspark.

Features travel between stages as one binary value per post, the columns codec's blob
(:meth:`FeatureColumns.to_arrays <dedup.columns.FeatureColumns.to_arrays>` and
:func:`~dedup.columns.arrays_to_bytes`). 64-bit keys travel as Spark ``bigint``: the
same bits read as signed integers (equality is all the job asks of them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import islice
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.boilerplate import strip_keys
from dedup.chrome import (
    SKETCH_SIZE,
    ChromeModel,
    PostSentences,
    chrome_decision,
    occurrence_votes,
    recurring_share,
    reference_rank,
)
from dedup.cluster import Link, cluster_pairs
from dedup.columns import FeatureColumns, arrays_from_bytes, arrays_to_bytes
from dedup.config import DedupConfig
from dedup.evidence import Passages, build_evidence, decisive, pairs_evidence
from dedup.exceptions import DedupError
from dedup.extraction import NormalizedChunk
from dedup.families import family_groups, template_families
from dedup.features import FeatureExtractor, Features
from dedup.io_fields import record_to_article
from dedup.lsh import BandKeys
from dedup.models import Article, Evidence, PairMatch
from dedup.signature import sign
from dedup.steps import check_article, is_comparable, link_of, may_pair
from dedup.stories import build_story
from dedup.verify import Verdict, compare

__all__ = [
    "CHUNK",
    "ComponentResult",
    "chrome_sentences",
    "chrome_shares",
    "cluster_component",
    "cluster_rows",
    "evidence_rows",
    "extract_rows",
    "family_rows",
    "features_of",
    "prepare_rows",
    "validate_rows",
    "verify_rows",
]

#: Posts per call of the chunked steps (normalizing, extracting, signing).
CHUNK = 500


@lru_cache(maxsize=4)
def _extractor(config: DedupConfig) -> FeatureExtractor:
    """One extractor per config in a Python worker (reused across tasks: the dictionary loads once)."""
    return FeatureExtractor(config)


def _signed(values: NDArray[Any]) -> list[int]:
    """64-bit keys as Spark ``bigint`` values (the same bits, signed)."""
    return np.asarray(values).astype(np.uint64).view(np.int64).tolist()  # type: ignore[no-any-return]


def _unsigned(values: Sequence[int]) -> NDArray[np.uint64]:
    return np.asarray(values, dtype=np.int64).view(np.uint64)


def _chunks(rows: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _time(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


# -- validation ----------------------------------------------------------------------------


def validate_rows(
    rows: Iterable[Sequence[Any]], config: DedupConfig
) -> Iterator[tuple[str | None, str, str, str, str | None, str | None]]:
    """Check input records as the batch reader does (:func:`~dedup.io_fields.record_to_article`).

    Parameters
    ----------
    rows : iterable of (id, title, text, content, body, account, published_at, corrupt)
        Raw values, None where a record has no such field (``corrupt``: the line Spark
        could not parse as JSON, else None).
    config : DedupConfig
        ``max_length``.

    Yields
    ------
    (id, title, text, account, published_at, error)
        The article's fields (``published_at`` as ISO 8601, zone kept) with ``error``
        None, or the reason the record is bad (its id when it has a usable one).

    Examples
    --------
    >>> list(validate_rows([(7, None, "正文", None, None, " 甲 ", "2024-06-12 08:30", None)], DedupConfig()))
    [('7', '', '正文', '甲', '2024-06-12T08:30:00', None)]
    """
    names = ("id", "title", "text", "content", "body", "account", "published_at")
    for row in rows:
        raw_id, corrupt = row[0], row[7]
        if corrupt is not None:
            yield None, "", "", "", None, "not a valid JSON object"
            continue
        record = {k: v for k, v in zip(names, row[:7], strict=True) if v is not None}
        try:
            article = check_article(record_to_article(record), config)
        except DedupError as exc:
            bad_id = raw_id if isinstance(raw_id, str) and raw_id.strip() else None
            yield bad_id, "", "", "", None, str(exc)
            continue
        when = article.published_at.isoformat() if article.published_at is not None else None
        yield article.id, article.title, article.text, article.account, when, None


# -- normalizing, boilerplate keys, chrome statistics --------------------------------------


def prepare_rows(rows: Iterable[Sequence[Any]], config: DedupConfig) -> Iterator[tuple[Any, ...]]:
    """Normalize posts and compute what learning boilerplate and chrome needs of each.

    Parameters
    ----------
    rows : iterable of (pid, id, title, text, account, published_at)
    config : DedupConfig

    Yields
    ------
    (pid, id, account, published_at, title, body, body_key, keys, sentence_keys, sentence_sizes, length,
    sketch, grams)
        The post's own fields, its normalized title and body (:meth:`NormalizedChunk.build
        <dedup.extraction.NormalizedChunk.build>`), the body key, the sorted distinct
        sentence keys, each sentence once with its longest size
        (:meth:`PostSentences.distinct <dedup.chrome.PostSentences.distinct>`), the body's
        length, and its :func:`~dedup.chrome.body_sketch` (the 32 values as little-endian
        ``uint32`` bytes) with its number of trigrams.
    """
    fx = _extractor(config)
    for chunk in _chunks(rows):
        articles = [Article(id=r[1], text=r[3], title=r[2], account=r[4], published_at=_time(r[5])) for r in chunk]
        norm = NormalizedChunk.build(fx, articles)
        assert norm.sketches is not None and norm.grams is not None  # (built with them)
        bodies = norm.bodies()
        # Chrome's view of the chunk: each body once (its first post), each sentence once per body.
        distinct = PostSentences(
            body_keys=norm.body_keys,
            lengths=norm.lengths,
            keys=norm.run_keys,
            sizes=norm.run_sizes,
            bounds=norm.run_bounds,
            sketches=norm.sketches,
            grams=norm.grams,
        ).distinct()
        # Identical bodies have identical sentences: each post reads its body's entry.
        at = _entry_of(distinct, norm.body_keys)
        s_edges = distinct.bounds.tolist()
        sentence_keys, sentence_sizes = _signed(distinct.keys), distinct.sizes.tolist()
        k_edges = norm.key_bounds.tolist()
        body_keys = _signed(norm.body_keys)
        keys = _signed(norm.keys)
        lengths = norm.lengths.tolist()
        grams = norm.grams.tolist()
        sketches = norm.sketches.astype("<u4")
        for k, row in enumerate(chunk):
            d = int(at[k])
            yield (
                row[0],
                row[1],
                row[4],
                row[5],
                norm.titles[k],
                bodies[k],
                body_keys[k],
                keys[k_edges[k] : k_edges[k + 1]],
                sentence_keys[s_edges[d] : s_edges[d + 1]],
                sentence_sizes[s_edges[d] : s_edges[d + 1]],
                lengths[k],
                sketches[k].tobytes(),
                grams[k],
            )


def _entry_of(distinct: PostSentences, body_keys: NDArray[np.uint64]) -> NDArray[np.int64]:
    """The entry of :meth:`PostSentences.distinct` holding each body."""
    order = np.argsort(distinct.body_keys, kind="stable")
    return order[np.searchsorted(distinct.body_keys[order], body_keys)].astype(np.int64)


def chrome_shares(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[int, float]]:
    """Each distinct post's :func:`~dedup.chrome.recurring_share`.

    Parameters
    ----------
    rows : iterable of (body_key, length, sizes)
        A distinct post holding candidate sentences (in at least ``params.chrome_min_posts``
        posts): its length and the sizes of those sentences.

    Yields
    ------
    (body_key, share)
    """
    for chunk in _chunks(rows, 4096):
        counts = [len(r[2]) for r in chunk]
        owner = np.repeat(np.arange(len(chunk), dtype=np.int64), counts)
        sizes = np.fromiter((z for r in chunk for z in r[2]), dtype=np.int64, count=sum(counts))
        lengths = np.array([r[1] for r in chunk], dtype=np.int64)
        share = recurring_share(owner, sizes, lengths).tolist()
        yield from zip((r[0] for r in chunk), share, strict=True)


def chrome_sentences(rows: Iterable[Sequence[Any]], related: float) -> Iterator[tuple[int]]:
    """The chrome sentences among candidates, each with all its distinct posts.

    Parameters
    ----------
    rows : iterable of (key, occurrences)
        A candidate sentence and its posts as (body_key, share, sketch, grams): the
        post's :func:`~dedup.chrome.recurring_share` and :func:`~dedup.chrome.body_sketch`.
    related : float
        ``params.chrome_related``.

    Yields
    ------
    (key,)
        The sentences :func:`~dedup.chrome.chrome_decision` keeps, after
        :func:`~dedup.chrome.occurrence_votes` with each sentence's posts ordered as
        :func:`~dedup.chrome.chrome_votes` orders them (by :func:`~dedup.chrome.reference_rank`).
    """
    for chunk in _chunks(rows, 256):
        keys = _unsigned([r[0] for r in chunk])
        counts = np.array([len(r[1]) for r in chunk], dtype=np.int64)
        occ = [o for r in chunk for o in r[1]]
        body_keys = _unsigned([o[0] for o in occ])
        group = np.repeat(np.arange(len(chunk), dtype=np.int64), counts)
        order = np.lexsort((reference_rank(body_keys), group))
        share = np.array([o[1] for o in occ], dtype=np.float64)[order]
        sketches = np.frombuffer(b"".join(bytes(o[2]) for o in occ), dtype="<u4").reshape(len(occ), SKETCH_SIZE)
        grams = np.array([o[3] for o in occ], dtype=np.int64)[order]
        starts = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
        vote = occurrence_votes(starts, share, sketches[order].astype(np.uint32), grams, related=related)
        votes = np.add.reduceat(vote.astype(np.int64), starts)
        for key in _signed(chrome_decision(keys, votes, counts)):
            yield (key,)


# -- features, signatures, band keys ------------------------------------------------------


def extract_rows(rows: Iterable[Sequence[Any]], config: DedupConfig) -> Iterator[tuple[Any, ...]]:
    """Strip learned chrome and boilerplate, extract features, sign and band.

    Parameters
    ----------
    rows : iterable of (pid, id, account, published_at, title, body, learned, boilerplate, chrome)
        The normalized post; ``learned``: its account learned boilerplate; ``boilerplate``
        and ``chrome``: the learned keys among its own sentences.
    config : DedupConfig

    Yields
    ------
    (pid, account, comparable, body_hash, features, full, lead, paragraphs, full_tie, lead_tie, paragraph_ties)
        The features as one blob (:func:`features_of` reads it back); band keys and
        order-free ties (:class:`~dedup.lsh.BandKeys`) of comparable posts.
    """
    fx = _extractor(config)
    min_kept = config.params.boilerplate_min_kept
    for chunk in _chunks(rows):
        articles = [Article(id=r[1], text="", account=r[2], published_at=_time(r[3])) for r in chunk]
        bodies = []
        for r in chunk:
            body = r[5]
            if r[8]:  # as the batch: chrome first (posts carrying it), then the account's boilerplate
                body = ChromeModel(np.sort(_unsigned(r[8]))).strip(body)
            if r[6]:
                body = strip_keys(body, set(_unsigned(r[7]).tolist()), min_kept=min_kept)
            bodies.append(body)
        feats = fx.extract_many(articles, titles=[r[4] for r in chunk], bodies=bodies)
        sigs = sign(feats, config)
        bands = BandKeys.of(sigs, config, [f.id for f in feats])
        edges = np.searchsorted(bands.owners, np.arange(len(feats) + 1)).tolist()
        for k, (r, f) in enumerate(zip(chunk, feats, strict=True)):
            blob = arrays_to_bytes(FeatureColumns.pack([f]).to_arrays())
            if not is_comparable(f, config):
                yield r[0], r[2], False, f.body_hash, blob, [], [], [], 0, 0, []
                continue
            lo, hi = edges[k], edges[k + 1]
            yield (
                r[0],
                r[2],
                True,
                f.body_hash,
                blob,
                _signed(bands.full[k]),
                _signed(bands.lead[k]),
                [_signed(row) for row in bands.paragraphs[lo:hi]],
                int(bands.full_tie[k].astype(np.int64)),
                int(bands.lead_tie[k].astype(np.int64)),
                bands.paragraph_tie[lo:hi].astype(np.int64).tolist(),
            )


def features_of(blob: bytes | bytearray, config: DedupConfig, position: int = 0) -> Features:
    """The :class:`~dedup.features.Features` of one post from its blob (see :func:`extract_rows`)."""
    width = "uint32" if config.scheme == "affine32" else "uint64"
    return FeatureColumns.from_arrays(arrays_from_bytes(bytes(blob)), width=width, start=position).unpack()[0]


# -- verification --------------------------------------------------------------------------


def verify_rows(rows: Iterable[Sequence[Any]], config: DedupConfig) -> Iterator[tuple[Any, ...]]:
    """Verify candidate pairs and exact copies (:func:`~dedup.verify.compare`).

    Parameters
    ----------
    rows : iterable of (a, b, exact, features_a, features_b)
        ``a < b``; ``exact``: the pair joins an exact copy to its group's first post
        (verified as such, whatever the accounts), else a candidate, which
        :func:`~dedup.steps.may_pair` may rule out.
    config : DedupConfig

    Yields
    ------
    (a, b, exact, score, kind, support, veto)
        Pairs with a kind (matches and template pairs), with :func:`~dedup.steps.link_of`.
    """
    # Rows come clustered by ``b`` (the last join's key): each post is decoded once while its rows last.
    decoded: dict[int, Features] = {}
    for a, b, exact, blob_a, blob_b in rows:
        if len(decoded) > 4096:
            decoded.clear()
        fa = decoded.get(a)
        if fa is None:
            fa = decoded[a] = features_of(blob_a, config, 0)
        fb = decoded.get(b)
        if fb is None:
            fb = decoded[b] = features_of(blob_b, config, 1)
        if not exact and not may_pair(fa.account, fb.account, config):
            continue
        v = compare(fa, fb, config=config)
        if v.kind is None:
            continue
        link = link_of(v, config)
        yield a, b, exact, v.score, v.kind, link.support, link.veto


# -- clustering, stories, evidence ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComponentResult:
    """What one component (or sub-batch) of verified links gives.

    ``posts``: (pid, id, story, original, score, kind) per post of a story; ``pairs``: the
    matches inside each story as pair rows (:func:`pair_row`); ``templates``: template
    pairs verification met while clustering, between posts not in one story, as (a, b,
    score); ``stories``: (story, posts, accounts) per story.
    """

    posts: list[tuple[Any, ...]]
    pairs: list[tuple[Any, ...]]
    templates: list[tuple[int, int, float]]
    stories: list[tuple[str, int, int]]


def pair_row(match: PairMatch, story: str | None) -> tuple[Any, ...]:
    """A pair as an output row.

    (a, b, score, kind, story, shared, shared_specifics, only_a, only_b, conflicts, days_apart,
    headlines_apart), the last seven from its evidence (null without).
    """
    ev = match.evidence
    shared = [(sa, ea, sb, eb) for (sa, ea), (sb, eb) in ev.shared] if ev is not None else None
    return (
        match.a,
        match.b,
        match.score,
        match.kind,
        story,
        shared,
        list(ev.shared_specifics) if ev is not None else None,
        list(ev.only_a) if ev is not None else None,
        list(ev.only_b) if ev is not None else None,
        [list(c) for c in ev.conflicts] if ev is not None else None,
        ev.days_apart if ev is not None else None,
        ev.headlines_apart if ev is not None else None,
    )


class _Verdicts:
    """The verdicts of one component's pairs: verified ones given, the others compared on demand."""

    def __init__(self, feats: Sequence[Features], config: DedupConfig) -> None:
        self.feats = feats
        self.config = config
        self.found: dict[tuple[int, int], tuple[float, str]] = {}
        self.links: dict[tuple[int, int], Link] = {}
        self.new_templates: list[tuple[int, int]] = []

    def verdict(self, i: int, j: int) -> Verdict:
        v = compare(self.feats[i], self.feats[j], config=self.config)
        if v.kind is not None:
            self.found[(i, j)] = (v.score, v.kind)
            if v.kind == "template":
                self.new_templates.append((i, j))
        return v

    def link(self, i: int, j: int) -> Link:
        key = (i, j) if i < j else (j, i)
        found = self.links.get(key)
        if found is None:
            found = link_of(self.verdict(*key), self.config)
            self.links[key] = found
        return found


def cluster_component(
    members: Sequence[Sequence[Any]], edges: Sequence[Sequence[Any]], config: DedupConfig
) -> ComponentResult:
    """Cluster one component of verified links as the batch check does, and assemble its stories.

    Parameters
    ----------
    members : sequence of (pid, id, title, text, account, published_at, features)
        The component's posts (any order; ``pid`` orders them as their ids do).
    edges : sequence of (a, b, exact, score, kind, support, veto)
        Its verified matches (``a < b``; :func:`verify_rows`); exact copies start joined
        (the batch's initial groups), the other matches are the edges of
        :func:`~dedup.cluster.cluster_pairs`; any other cross pair it asks about is
        compared here.
    config : DedupConfig

    Returns
    -------
    ComponentResult
        A story's original is its earliest published post, ties going to the smallest
        id (:func:`~dedup.stories.build_story` over the posts in id order).
    """
    members = sorted(members, key=lambda m: m[0])
    index = {m[0]: k for k, m in enumerate(members)}
    ids = [m[1] for m in members]
    articles = [Article(id=m[1], text=m[3], title=m[2], account=m[4], published_at=_time(m[5])) for m in members]
    feats = [features_of(m[6], config, k) for k, m in enumerate(members)]
    verdicts = _Verdicts(feats, config)
    cluster_edges: list[tuple[int, int, float]] = []
    exact: dict[int, list[int]] = {}
    for a, b, is_exact, score, kind, support, veto in edges:
        i, j = index.get(a), index.get(b)
        if i is None or j is None:  # a link out of this sub-batch (an oversized component)
            continue
        verdicts.found[(i, j)] = (score, kind)
        verdicts.links[(i, j)] = Link(support=support, veto=veto)
        if is_exact:
            # An exact copy starts joined to its group's first post; a template pair (one
            # body of furniture under unrelated headlines) stays apart.
            if kind == "exact":
                exact.setdefault(i, [i]).append(j)
        elif kind != "template":
            cluster_edges.append((i, j, score))
    p = config.params
    groups = cluster_pairs(
        len(members),
        cluster_edges,
        verdicts.link,
        order_key=ids.__getitem__,
        initial=[sorted(g, key=ids.__getitem__) for g in exact.values()],
        min_support=p.min_support,
        max_cross_pairs=p.max_cross_pairs,
    )
    if config.cross_account_only:
        groups = [g for g in groups if len({feats[i].account for i in g}) > 1]
    in_story = {i: gi for gi, g in enumerate(groups) for i in g}
    inside: dict[int, list[tuple[int, int]]] = {}
    for (i, j), (_, kind) in sorted(verdicts.found.items()):
        gi = in_story.get(i)
        if gi is not None and gi == in_story.get(j) and kind != "template":
            inside.setdefault(gi, []).append((i, j))
    templates = [
        (members[i][0], members[j][0], verdicts.found[(i, j)][0])
        for i, j in verdicts.new_templates
        if in_story.get(i) is None or in_story.get(i) != in_story.get(j)
    ]
    evidence: dict[tuple[int, int], Evidence] = {}
    if config.evidence:
        wanted = [pair for g in inside.values() for pair in g]
        posts = {k for pair in wanted for k in pair}
        found = pairs_evidence(
            {k: articles[k].text for k in posts},
            {k: feats[k].specifics for k in posts},
            wanted,
            config=config.normalize,
            score_cutoff=p.passage_cutoff,
        )
        evidence.update(zip(wanted, found, strict=True))

    def pair(i: int, j: int) -> PairMatch:
        score, kind = verdicts.found[(i, j)]
        return PairMatch(a=ids[i], b=ids[j], score=score, kind=kind, evidence=evidence.get((i, j)))  # type: ignore[arg-type]

    pids = {m[1]: m[0] for m in members}
    out = ComponentResult([], [], templates, [])
    for gi, group in enumerate(groups):
        story = build_story(articles, group, inside.get(gi, []), pair)
        out.stories.append((story.original, len(story.ids), len(story.accounts)))
        out.pairs.extend(pair_row(m, story.original) for m in story.pairs)
        best = _best_links(story.ids, story.pairs)
        for post_id in story.ids:
            link = best.get(post_id)
            if post_id == story.original or link is None:
                out.posts.append((pids[post_id], post_id, story.original, post_id == story.original, None, None))
            else:
                out.posts.append((pids[post_id], post_id, story.original, False, link.score, link.kind))
    return out


def cluster_rows(rows: Iterable[Sequence[Any]], config: DedupConfig) -> Iterator[tuple[Any, ...]]:
    """:func:`cluster_component` of each row ``(members, edges)``: rows ``(posts, pairs, templates, stories)``."""
    for members, edges in rows:
        out = cluster_component(members, edges or [], config)
        yield out.posts, out.pairs, out.templates, out.stories


def _best_links(order: Sequence[str], pairs: Iterable[PairMatch]) -> dict[str, PairMatch]:
    """For each post, its strongest pair with an earlier post of the story (ties: the first listed)."""
    position = {post_id: k for k, post_id in enumerate(order)}
    best: dict[str, PairMatch] = {}
    for match in pairs:
        later = match.a if position[match.a] > position[match.b] else match.b
        if later not in best or match.score > best[later].score:
            best[later] = match
    return best


def evidence_rows(rows: Iterable[Sequence[Any]], config: DedupConfig) -> Iterator[tuple[Any, ...]]:
    """Template pairs as output rows, with evidence when ``config.evidence``.

    Parameters
    ----------
    rows : iterable of (head..., a_id, b_id, score, text_a, text_b, features_a, features_b)
        ``head``: leading values passed through (which family a pair is an example of).
    config : DedupConfig

    Yields
    ------
    (head..., row...)
        ``row`` as :func:`pair_row` gives it; the evidence names what sets the pair apart
        (:func:`~dedup.evidence.decisive`, from the pair compared again: the verdicts kept
        no conflicting keys).
    """
    for *head, a_id, b_id, score, text_a, text_b, blob_a, blob_b in rows:
        ev = None
        if config.evidence:
            fa, fb = features_of(blob_a, config, 0), features_of(blob_b, config, 1)
            pa, pb = Passages.of_texts([text_a, text_b], config.normalize)
            ev = build_evidence(
                pa,
                pb,
                fa.specifics,
                fb.specifics,
                score_cutoff=config.params.passage_cutoff,
            )
            ev = decisive(ev, compare(fa, fb, config=config), fa, fb, config.params)
        yield (*head, *pair_row(PairMatch(a=a_id, b=b_id, score=score, kind="template", evidence=ev), None))


def family_rows(rows: Iterable[Sequence[Any]], config: DedupConfig) -> Iterator[tuple[Any, ...]]:
    """The template family of each component of template pairs (:func:`~dedup.families.family_groups`).

    Parameters
    ----------
    rows : iterable of (component, members, pairs)
        A connected component of template pairs: its posts as (pid, id, title, account,
        published_at), its pairs as (a, b, score) (pids).
    config : DedupConfig
        ``params.family_min_posts``.

    Yields
    ------
    (component, posts, example, title, accounts, first, last, ids, examples)
        As :meth:`TemplateFamily.to_dict <dedup.models.TemplateFamily.to_dict>` gives them
        (``first`` and ``last`` ISO 8601), ``examples`` its strongest pairs as (a, b,
        score, rank) (pids, ``rank`` their order).
    """
    for component, members, pairs in rows:
        yield from _family(component, members, pairs, config.params.family_min_posts)


def _family(
    component: int, members: Sequence[Sequence[Any]], pairs: Sequence[Sequence[Any]], min_posts: int
) -> Iterator[tuple[Any, ...]]:
    members = sorted(members, key=lambda m: m[0])
    at = {m[0]: k for k, m in enumerate(members)}
    batch = [Article(id=m[1], text="", title=m[2], account=m[3], published_at=_time(m[4])) for m in members]
    local = [(at[a], at[b]) for a, b, _ in pairs]
    score = {pair: s for pair, (_, _, s) in zip(local, pairs, strict=True)}
    found = family_groups(
        batch,
        np.array(local, dtype=np.int64).reshape(-1, 2),
        np.array([s for _, _, s in pairs], dtype=np.float64),
        min_posts=min_posts,
    )
    groups = [(ordered, [p for p, _ in examples]) for ordered, examples in found]

    def pair(i: int, j: int) -> PairMatch:
        return PairMatch(a=batch[i].id, b=batch[j].id, score=score[(i, j)], kind="template")

    for (_, examples), family in zip(groups, template_families(batch, groups, pair), strict=True):
        yield (
            component,
            len(family.ids),
            family.example,
            family.title,
            list(family.accounts),
            family.first.isoformat() if family.first else None,
            family.last.isoformat() if family.last else None,
            list(family.ids),
            [(members[i][0], members[j][0], score[(i, j)], k) for k, (i, j) in enumerate(examples)],
        )


#: How a partition function is applied: ``rows -> output rows`` with the config bound.
PartitionFunction = Callable[[Iterable[Sequence[Any]]], Iterator[tuple[Any, ...]]]
