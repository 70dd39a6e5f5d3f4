"""The batch's feature step: normalize, learn boilerplate, extract and sign, chunk by chunk.

:func:`extract_batch` turns a batch of articles into their features (a
:class:`~dedup.feature_table.FeatureTable`: the workers' column blocks, kept as they
come) and their LSH :class:`~dedup.lsh.BandKeys`, in two
passes over fixed chunks of posts, each pass in worker processes for large batches
(:class:`~dedup.parallel.WorkerPool`):

1. normalize each post and compute its boilerplate keys (:class:`NormalizedChunk`);
2. learn each account's boilerplate from all the keys at once
   (:meth:`~dedup.boilerplate.AccountBoilerplate.fit_arrays`) and the batch's chrome
   (:func:`~dedup.chrome.learn_chrome`, sketching only the posts that vote on it), find
   the word-for-word copies (:func:`plan_copies`), then extract and sign each chunk.

A batch may still be being read (any iterable that is not a sequence, such as a file
reader): its chunks then go to the workers as they are read, carrying their articles,
so reading overlaps normalizing. The result does not depend on the number of workers,
the chunk size, the start method or whether the batch came as a list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, pairwise

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import edges_of
from dedup.boilerplate import AccountBoilerplate, sentence_key, sentence_run
from dedup.chrome import SKETCH_SIZE, ChromeModel, PostSentences, body_sketch, body_sketches, learn_chrome
from dedup.columns import FeatureColumns
from dedup.config import DedupConfig
from dedup.feature_table import FeatureTable
from dedup.features import FeatureExtractor, Features
from dedup.lsh import BandKeys
from dedup.models import Article
from dedup.parallel import FrozenHeap, StartMethod, WorkerPool, default_start_method
from dedup.signature import sign
from dedup.spill import SpillFile

__all__ = ["Execution", "NormalizedChunk", "extract_batch"]

#: ``progress(stage, done, total)``: called as the batch moves through the steps
#: (normalizing a batch still being read, ``total`` is the articles read so far).
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    """How a batch is computed, not what comes out: results never depend on these.

    Parameters
    ----------
    workers : int
        Processes (from ``DedupConfig.workers``).
    chunk_size : int
        Articles per task sent to a worker.
    parallel_min : int
        Below this many articles (and ten times as many candidate pairs), workers
        cost more than they save and the batch is computed in this process.
    verify_chunk : int
        Candidate pairs per verification task.
    start_method : {"fork", "spawn"}, optional
        How worker processes start (default: fork where available).
    spill_dir : str, optional
        A directory where the batch's normalized bodies and features are kept in a
        temporary file rather than in memory (:class:`~dedup.spill.SpillFile`): for
        batches larger than the machine's memory.
    """

    workers: int = 1
    chunk_size: int = 500
    parallel_min: int = 2000
    verify_chunk: int = 20000
    start_method: StartMethod | None = None
    spill_dir: str | None = None


@dataclass(frozen=True, slots=True)
class NormalizedChunk:
    """Normalized titles and bodies of a chunk, with their boilerplate keys, compactly.

    The bodies are one UTF-8 buffer and the keys flat arrays: a few large objects per
    chunk rather than thousands of small ones. Forked workers that read a chunk then
    copy one page of it, not every page holding a string header (reference counts are
    written on access), and the parent returns the memory in one piece when it lets go.
    """

    titles: list[str]
    blob: bytes | memoryview  # a view into a SpillFile's mapping once spilled
    body_bounds: NDArray[np.int64]
    body_keys: NDArray[np.uint64]
    keys: NDArray[np.uint64]  # sorted distinct sentence keys of each post, one after another
    key_bounds: NDArray[np.int64]
    run_keys: NDArray[np.uint64]  # every post's sentence keys in order (repeats included)
    run_sizes: NDArray[np.int64]  # their lengths in characters
    run_bounds: NDArray[np.int64]
    lengths: NDArray[np.int64]  # body lengths in characters
    sketches: NDArray[np.uint32] | None  # chrome's body sketches (posts x SKETCH_SIZE), unless left for later
    grams: NDArray[np.int64] | None  # their trigram counts

    @staticmethod
    def build(fx: FeatureExtractor, articles: Sequence[Article], *, sketch: bool = True) -> NormalizedChunk:
        """Normalize ``articles`` and compute every post's boilerplate keys.

        ``sketch=False`` leaves the body sketches out (``None``): a batch check has only
        the posts that vote on chrome sketched, once it knows them.
        """
        titles, encoded, body_keys, keys, key_sizes = [], [], [], [], []
        run_keys: list[int] = []
        run_sizes: list[int] = []
        run_counts, lengths, sketches, grams = [], [], [], []
        min_sentence = fx.config.params.min_sentence
        # A repost word for word has its original's sentences (and sketch): split, hashed
        # and sketched once (reposts mostly fall in the chunk of their original).
        runs: dict[str, _BodyRun] = {}
        for a in articles:
            title, body = fx.normalize(a)
            run = runs.get(body)
            if run is None:
                run = runs[body] = _BodyRun.of(body, min_sentence, sketch=sketch)
            titles.append(title)
            encoded.append(run.encoded)
            body_keys.append(run.body_key)
            keys.extend(run.distinct)
            key_sizes.append(len(run.distinct))
            run_keys.extend(run.ordered)
            run_sizes.extend(run.sizes)
            run_counts.append(len(run.ordered))
            lengths.append(len(body))
            if run.sketch is not None:
                sketches.append(run.sketch)
                grams.append(run.grams)
        return NormalizedChunk(
            titles=titles,
            blob=b"".join(encoded),
            body_bounds=edges_of([len(b) for b in encoded]),
            body_keys=np.array(body_keys, dtype=np.uint64),
            keys=np.array(keys, dtype=np.uint64),
            key_bounds=edges_of(key_sizes),
            run_keys=np.array(run_keys, dtype=np.uint64),
            run_sizes=np.array(run_sizes, dtype=np.int64),
            run_bounds=edges_of(run_counts),
            lengths=np.array(lengths, dtype=np.int64),
            sketches=(np.stack(sketches) if sketches else np.zeros((0, SKETCH_SIZE), dtype=np.uint32))
            if sketch
            else None,
            grams=np.array(grams, dtype=np.int64) if sketch else None,
        )

    def bodies(self) -> list[str]:
        """The normalized bodies."""
        edges, blob = self.body_bounds.tolist(), self.blob
        return [str(blob[a:b], "utf-8", "surrogatepass") for a, b in pairwise(edges)]

    def body(self, k: int) -> str:
        """The normalized body of post ``k`` of the chunk."""
        return str(self.blob[int(self.body_bounds[k]) : int(self.body_bounds[k + 1])], "utf-8", "surrogatepass")

    @staticmethod
    def keys_of(chunks: Sequence[NormalizedChunk]) -> tuple[NDArray[np.uint64], NDArray[np.uint64], NDArray[np.int64]]:
        """Body keys, sentence keys and key bounds of consecutive chunks, joined."""
        if not chunks:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64), np.zeros(1, dtype=np.int64)
        shift = np.cumsum([0] + [len(c.keys) for c in chunks[:-1]])
        bounds = np.concatenate([[0]] + [c.key_bounds[1:] + off for c, off in zip(chunks, shift.tolist(), strict=True)])
        return (
            np.concatenate([c.body_keys for c in chunks]),
            np.concatenate([c.keys for c in chunks]),
            bounds.astype(np.int64),
        )


@dataclass(frozen=True, slots=True)
class _BodyRun:
    """What :meth:`NormalizedChunk.build` computes of one distinct normalized body."""

    encoded: bytes
    body_key: int
    ordered: list[int]  # sentence keys in order, repeats included
    sizes: list[int]  # their lengths in characters
    distinct: list[int]  # sorted distinct sentence keys
    sketch: NDArray[np.uint32] | None
    grams: int

    @staticmethod
    def of(body: str, min_sentence: int, *, sketch: bool) -> _BodyRun:
        ordered, sizes = sentence_run(body, min_sentence=min_sentence)
        values, n_grams = body_sketch(body) if sketch else (None, 0)
        return _BodyRun(
            body.encode("utf-8", "surrogatepass"),
            sentence_key(body),
            ordered,
            sizes,
            sorted(set(ordered)),
            values,
            n_grams,
        )


@dataclass(frozen=True, slots=True)
class CopyPlan:
    """What the feature step does with the normalized bodies of positions ``start`` on.

    ``touched`` bodies carry learned ``boilerplate`` or the batch's ``chrome`` (when
    ``chromed``): the chrome is stripped, then the boilerplate.
    ``source[i]`` is the first post whose stripped body is the same as post ``i``'s
    (``i`` itself for most): a copy's body features are computed once, for its source,
    whose body specifics are sent back when ``is_source``.
    """

    start: int
    boilerplate: AccountBoilerplate | None
    touched: NDArray[np.bool_]
    source: NDArray[np.int64]
    is_source: NDArray[np.bool_]
    chrome: ChromeModel | None = None
    chromed: NDArray[np.bool_] | None = None  # posts carrying chrome

    def part(self, start: int, end: int) -> CopyPlan:
        """The plan of positions ``start:end``."""
        a, b = start - self.start, end - self.start
        chromed = self.chromed[a:b] if self.chromed is not None else None
        return CopyPlan(
            start, self.boilerplate, self.touched[a:b], self.source[a:b], self.is_source[a:b], self.chrome, chromed
        )


def plan_copies(
    chunks: Sequence[NormalizedChunk],
    accounts: Sequence[str],
    boilerplate: AccountBoilerplate | None,
    touched: Sequence[bool],
    chrome: ChromeModel | None = None,
    chromed: NDArray[np.bool_] | None = None,
) -> CopyPlan:
    """Find the copies: posts whose stripped body is byte for byte an earlier post's.

    A body carrying no learned sentence is used as normalized, except that for an
    account with learned sentences it is re-joined (:func:`~dedup.boilerplate.strip_keys`),
    which depends on the body alone: equal normalized bodies, both untouched and both
    of accounts with (or both without) learned sentences, give equal stripped bodies.
    A touched body loses its ``chrome`` sentences (when ``chromed``), then the sentences
    its account learned; stripping removes whole sentences, so equal normalized bodies
    that are both chromed (or both not) and carry the same learned sentences
    (:meth:`~dedup.boilerplate.AccountBoilerplate.learned_among`) give equal stripped
    bodies too, whatever their accounts. Reposts copied word for word are common (a
    third of the benchmark batch), and more of them carry an account's boilerplate or
    the batch's chrome as the batch grows.
    """
    n = len(accounts)
    marked = np.zeros(n, dtype=bool) if not touched else np.asarray(touched, dtype=bool)
    chrome_on = np.zeros(n, dtype=bool) if chromed is None else chromed
    source = np.arange(n, dtype=np.int64)
    # What the stripped body depends on -> the first such post: its position, chunk and byte span
    first: dict[tuple[object, ...], tuple[int, NormalizedChunk, int, int]] = {}
    i = 0
    for chunk in chunks:
        edges = chunk.body_bounds.tolist()
        key_edges = chunk.key_bounds.tolist()
        for k, body_key in enumerate(chunk.body_keys.tolist()):
            rejoined = boilerplate is not None and boilerplate.count(accounts[i]) > 0
            if not marked[i]:
                made_of: tuple[object, ...] = (body_key, rejoined)
            else:
                learned = (
                    boilerplate.learned_among(accounts[i], chunk.keys[key_edges[k] : key_edges[k + 1]].tolist())
                    if rejoined and boilerplate is not None
                    else ()
                )
                made_of = (body_key, rejoined, bool(chrome_on[i]), learned)
            j, other, a, b = first.setdefault(made_of, (i, chunk, edges[k], edges[k + 1]))
            # The 64-bit key is checked byte for byte (compared only when keys match).
            if j != i and other.blob[a:b] == chunk.blob[edges[k] : edges[k + 1]]:
                source[i] = j
            i += 1
    is_source = np.zeros(n, dtype=bool)
    is_source[source[source != np.arange(n)]] = True
    return CopyPlan(0, boilerplate, marked, source, is_source, chrome, chromed)


def _chunk_features(
    fx: FeatureExtractor, articles: Sequence[Article], start: int, chunk: NormalizedChunk, plan: CopyPlan
) -> tuple[list[Features], dict[int, tuple[str, ...]]]:
    """Features of one chunk (copies left without body features, see :func:`_complete_copies`)."""
    # A copy's body is not stripped nor tokenized: its source's body features are its own.
    own = (plan.source == np.arange(start, start + len(chunk.titles))).tolist()
    bodies = [body if keep else "" for body, keep in zip(chunk.bodies(), own, strict=True)]
    if plan.chrome is not None and plan.chromed is not None:
        strip_chrome = plan.chrome.strip
        bodies = [strip_chrome(body) if on else body for body, on in zip(bodies, plan.chromed.tolist(), strict=True)]
    if plan.boilerplate is not None:
        strip = plan.boilerplate.strip
        touched = plan.touched.tolist()
        bodies = [strip(a.account, body, touched=t) for a, body, t in zip(articles, bodies, touched, strict=True)]
    feats, body_specifics = fx.extract_with_body_specifics(articles, start, chunk.titles, bodies)
    wanted = np.flatnonzero(plan.is_source).tolist()
    return feats, {start + k: tuple(sorted(body_specifics[k])) for k in wanted}


def _complete_copies(
    fx: FeatureExtractor,
    table: FeatureTable,
    bands: BandKeys,
    plan: CopyPlan,
    body_specifics: dict[int, tuple[str, ...]],
) -> tuple[FeatureTable, BandKeys]:
    """Give each copy its source's body features and band keys (shared, not copied)."""
    copies = np.flatnonzero(plan.source != np.arange(len(plan.source)))
    if not len(copies):
        return table, bands
    sources = plan.source[copies]
    own_specifics = table.specifics()
    merged = {}
    for i, j in zip(copies.tolist(), sources.tolist(), strict=True):
        # A copy's own row holds its title's specifics less its account's words, and its
        # headline's words; its body is its source's.
        words = fx.account_words(table.accounts[i])
        merged[i] = tuple(sorted(set(own_specifics[i]).union(set(body_specifics[j]) - words)))
    del own_specifics
    return table.with_copies(plan.source, merged), bands.with_copies(plan.source)


# -- what workers hold and do ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _WorkerState:
    """A worker's state: its extractor, and what forked workers inherit of the batch."""

    extractor: FeatureExtractor
    batch: Sequence[Article] | None  # None when spawned: tasks carry their articles
    chunks: Sequence[NormalizedChunk] | None = None
    plan: CopyPlan | None = None
    chunk_size: int = 0


# A task: (start, end, the articles when the worker does not have the batch, the
# normalized chunk and the plan for its range when the worker does not have them)
_Task = tuple[int, int, Sequence[Article] | None, NormalizedChunk | None, CopyPlan | None]


def _articles(state: _WorkerState, task: _Task) -> Sequence[Article]:
    start, end, articles = task[0], task[1], task[2]
    if articles is not None:
        return articles
    assert state.batch is not None
    return state.batch[start:end]


def _normalize_task(state: _WorkerState, task: _Task) -> NormalizedChunk:
    return NormalizedChunk.build(state.extractor, _articles(state, task), sketch=False)


def _extract_task(state: _WorkerState, task: _Task) -> tuple[FeatureColumns, dict[int, tuple[str, ...]], BandKeys]:
    start, end, _, chunk, plan = task
    if chunk is None or plan is None:
        # A forked worker holds the normalized chunks and the plan: the task is a range.
        assert state.chunks is not None and state.plan is not None
        chunk, plan = state.chunks[start // state.chunk_size], state.plan.part(start, end)
    feats, body_specifics = _chunk_features(state.extractor, _articles(state, task), start, chunk, plan)
    config = state.extractor.config
    return (
        FeatureColumns.pack(feats, start=start, names=False),
        body_specifics,
        BandKeys.of(sign(feats, config), config),
    )


def extract_batch(
    fx: FeatureExtractor,
    articles: Iterable[Article],
    execution: Execution,
    *,
    progress: ProgressCallback | None = None,
    heap: FrozenHeap | None = None,
) -> tuple[list[Article], FeatureTable, BandKeys]:
    """The batch as read, its features and its band keys (see the module docstring).

    ``heap``, when given, holds what has been read and extracted so far after each
    chunk (the batch's articles live as long as the check).
    """
    # Made first: a directory that cannot hold it fails the check before any work.
    spill = SpillFile(execution.spill_dir) if execution.spill_dir is not None else None
    try:
        return _extract(fx, articles, execution, spill, progress=progress, heap=heap)
    finally:
        if spill is not None:
            spill.close()


def _extract(
    fx: FeatureExtractor,
    articles: Iterable[Article],
    execution: Execution,
    spill: SpillFile | None,
    *,
    progress: ProgressCallback | None,
    heap: FrozenHeap | None,
) -> tuple[list[Article], FeatureTable, BandKeys]:
    hold = heap.hold if heap is not None else _nothing
    config: DedupConfig = fx.config
    keep_block = spill.write if spill is not None else _as_it_is
    size = execution.chunk_size
    reading: Iterator[Article] | None = None
    if isinstance(articles, Sequence):
        batch = list(articles)
    else:
        # Still being read: the first parallel_min articles tell whether workers pay.
        reading = iter(articles)
        batch = list(islice(reading, execution.parallel_min))
        if len(batch) < execution.parallel_min:
            reading = None
    parallel = execution.workers > 1 and (reading is not None or len(batch) >= execution.parallel_min)
    chunks: list[NormalizedChunk] = []
    done = 0
    method = execution.start_method or default_start_method()
    # Forked workers hold a batch read in full (and later its normalized chunks) from the
    # start; spawned ones, and those normalizing a batch still being read, get each
    # chunk's articles with its task.
    inherit = method == "fork"
    # Normalized bodies go to the spill file unless tasks carry them to spawned workers
    # (a view into a mapping is not sent).
    spill_bodies = spill is not None and (inherit or not parallel)
    places: list[tuple[int, int]] = []

    def keep_chunk(chunk: NormalizedChunk) -> NormalizedChunk:
        if spill is None or not spill_bodies:
            return chunk
        places.append(spill.write_bytes(bytes(chunk.blob)))
        return dataclasses.replace(chunk, blob=b"")

    if parallel:
        carry = not inherit or reading is not None
        with WorkerPool(execution.workers, _WorkerState(fx, None if carry else batch), start_method=method) as pool:
            # A batch read in full is queued at once; one being read, a few chunks ahead
            # of the workers (enough to keep them busy while the dictionary loads).
            ahead = 8 * execution.workers if carry else len(batch)
            normalizing = _normalizing_tasks(fx, batch, reading, size, carry=carry)
            for chunk in pool.map(_normalize_task, normalizing, ahead=ahead):
                chunks.append(keep_chunk(chunk))
                hold()
                done += len(chunk.titles)
                if progress:
                    progress("normalize", done, len(batch))  # of those read so far
    else:
        if reading is not None:
            batch.extend(reading)  # one process: read it all first
        for s in range(0, len(batch), size):
            chunks.append(keep_chunk(NormalizedChunk.build(fx, batch[s : s + size], sketch=False)))
            hold()
            done = min(len(batch), s + size)
            if progress:
                progress("normalize", done, len(batch))
    if spill is not None and spill_bodies:
        bodies = spill.view()
        chunks = [dataclasses.replace(c, blob=bodies[o : o + k]) for c, (o, k) in zip(chunks, places, strict=True)]
    articles = batch
    n = len(batch)
    spans = [(s, min(n, s + size)) for s in range(0, n, size)]
    learned = None
    touched: list[bool] = []
    accounts = [a.account for a in articles]
    if config.learn_boilerplate:
        body_keys, keys, key_bounds = NormalizedChunk.keys_of(chunks)
        learned = AccountBoilerplate.from_params(config.params).fit_arrays(accounts, body_keys, keys, key_bounds)
        # Most posts carry none of their account's learned sentences: their
        # sentences need not be hashed again.
        touched = learned.touching(accounts, keys, key_bounds)
        del body_keys, keys, key_bounds
    chrome = None
    chromed = None
    if config.params.chrome_min_posts:
        chrome = learn_chrome(
            PostSentences(
                body_keys=np.concatenate([c.body_keys for c in chunks]) if chunks else np.zeros(0, np.uint64),
                lengths=np.concatenate([c.lengths for c in chunks]) if chunks else np.zeros(0, np.int64),
                keys=np.concatenate([c.run_keys for c in chunks]) if chunks else np.zeros(0, np.uint64),
                sizes=np.concatenate([c.run_sizes for c in chunks]) if chunks else np.zeros(0, np.int64),
                bounds=_joined_bounds([c.run_bounds for c in chunks]),
                sketches=None,
                grams=None,
            ),
            min_posts=config.params.chrome_min_posts,
            related=config.params.chrome_related,
            sketch=_Sketcher(chunks, size, execution if parallel else None),
        )
        if len(chrome):
            _, keys_all, key_bounds_all = NormalizedChunk.keys_of(chunks)
            hit = np.isin(keys_all, chrome.keys)
            owner = np.repeat(np.arange(n), np.diff(key_bounds_all))
            chromed = np.zeros(n, dtype=bool)
            chromed[owner[hit]] = True
            touched = [bool(t) or bool(c) for t, c in zip(touched or [False] * n, chromed.tolist(), strict=True)]
        else:
            chrome = None
    plan = plan_copies(chunks, accounts, learned, touched, chrome, chromed)
    del accounts, touched
    blocks: list[FeatureColumns] = []
    banded: list[BandKeys] = [BandKeys.of(sign([], config), config)]
    body_specifics: dict[int, tuple[str, ...]] = {}
    if parallel:
        # Forked after normalizing, the workers hold the chunks; the parent lets go
        # of them, and the memory they took holds the features coming back.
        state = _WorkerState(fx, articles, chunks, plan, size) if inherit else _WorkerState(fx, None)
        with WorkerPool(execution.workers, state, start_method=method) as pool:
            tasks: list[_Task]
            if inherit:
                tasks = [(s, e, None, None, None) for s, e in spans]
            else:
                tasks = [(s, e, articles[s:e], c, plan.part(s, e)) for (s, e), c in zip(spans, chunks, strict=True)]
            del chunks, state
            for block, found, bands in pool.map(_extract_task, tasks):
                blocks.append(keep_block(block))
                body_specifics.update(found)
                banded.append(bands)
                hold()
                if progress:
                    progress("tokenize", block.start + len(block), n)
    else:
        for (s, e), normalized in zip(spans, chunks, strict=True):
            feats, found = _chunk_features(fx, articles[s:e], s, normalized, plan.part(s, e))
            blocks.append(keep_block(FeatureColumns.pack(feats, start=s, names=False)))
            body_specifics.update(found)
            banded.append(BandKeys.of(sign(feats, config), config))
            hold()
            if progress:
                progress("tokenize", e, n)
    if spill is not None:
        blocks = spill.mapped(blocks)
    table = FeatureTable(blocks, [a.id for a in articles], [a.account for a in articles])
    out = (batch, *_complete_copies(fx, table, BandKeys.join(banded, table.ids), plan, body_specifics))
    hold()
    return out


def _nothing() -> None:
    return None


def _as_it_is(block: FeatureColumns) -> FeatureColumns:
    return block


class _Sketcher:
    """The body sketches of some posts of the batch, from its normalized chunks.

    Chrome needs the sketches of the posts that vote (a quarter of an ordinary batch),
    known once every post is normalized; with an ``execution``, worker processes
    compute them, a chunk's worth of posts to a task (forked workers read the bodies
    from the chunks they inherit; spawned ones get them with the task).
    """

    def __init__(self, chunks: Sequence[NormalizedChunk], size: int, execution: Execution | None) -> None:
        self._state: _SketchState = (chunks, size)
        self._execution = execution

    def __call__(self, positions: NDArray[np.int64]) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
        size = self._state[1]
        parts = [positions[s : s + size] for s in range(0, len(positions), size)]
        ex = self._execution
        if ex is None or len(positions) < ex.parallel_min:
            found = [_sketch_task(self._state, part) for part in parts]
        else:
            method = ex.start_method or default_start_method()
            inherit = method == "fork"
            tasks: Iterable[_SketchTask] = parts if inherit else (_bodies(self._state, part) for part in parts)
            with WorkerPool(ex.workers, self._state if inherit else None, start_method=method) as pool:
                found = list(pool.map(_sketch_task, tasks))
        if not found:
            return np.zeros((0, SKETCH_SIZE), dtype=np.uint32), np.zeros(0, dtype=np.int64)
        return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


# The normalized chunks and their size (what a forked worker inherits), and a task: the
# positions of the posts to sketch, or (spawned workers) their bodies.
_SketchState = tuple[Sequence[NormalizedChunk], int]
_SketchTask = NDArray[np.int64] | list[str]


def _sketch_task(state: _SketchState | None, task: _SketchTask) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
    if isinstance(task, list):
        return body_sketches(task)
    assert state is not None  # positions are sent only to workers that hold the chunks
    return body_sketches(_bodies(state, task))


def _bodies(state: _SketchState, positions: NDArray[np.int64]) -> list[str]:
    """The normalized bodies of the posts at ``positions`` of the batch."""
    chunks, size = state
    return [chunks[p // size].body(p % size) for p in positions.tolist()]


def _normalizing_tasks(
    fx: FeatureExtractor, batch: list[Article], reading: Iterator[Article] | None, size: int, *, carry: bool
) -> Iterator[_Task]:
    """The normalizing tasks of a batch, chunk by chunk; ``reading`` (if any) extends ``batch`` as they go.

    When the last article has been read (and its chunk sent), the parent loads the
    dictionary (:meth:`FeatureExtractor.warm_up`): normalizing needs none, and the
    tokenizing workers forked next inherit it.
    """
    start = 0
    while True:
        if reading is not None and len(batch) < start + size:
            batch.extend(islice(reading, start + size - len(batch)))
        end = min(len(batch), start + size)
        if end <= start:
            break
        yield start, end, batch[start:end] if carry else None, None, None
        start = end
    fx.warm_up()


def _joined_bounds(parts: Sequence[NDArray[np.int64]]) -> NDArray[np.int64]:
    """Bounds of consecutive parts' ranges, joined into one array."""
    out = [np.zeros(1, dtype=np.int64)]
    shift = 0
    for bounds in parts:
        out.append(bounds[1:] + shift)
        shift += int(bounds[-1])
    return np.concatenate(out)
