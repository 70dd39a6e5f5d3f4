"""Where a :class:`~dedup.DedupIndex` keeps its posts: the storage protocol and memory storage.

A storage holds, for every indexed post, a :class:`StoredPost` (its features, its
boilerplate keys and the compressed article), the post's LSH band keys, and each
account's boilerplate figures. It answers the questions the index asks and applies
changes whole; it decides nothing. :class:`MemoryStorage` keeps everything in this
process (and is what an index file loads into); :mod:`dedup.index_redis` keeps it in
Redis, shared by several processes.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from dedup.boilerplate import AccountBoilerplate, AccountChange, AccountState
from dedup.chrome import SKETCH_SIZE, BodyRun, ChromeChange, learn_chrome, runs_to_posts
from dedup.columns import FeatureColumns, join_ragged, split_ragged
from dedup.exceptions import IndexFileError
from dedup.features import Features
from dedup.lsh import BandTable, PostBands
from dedup.models import Article

__all__ = ["MemoryStorage", "Storage", "StoredPost", "posts_from_arrays", "posts_to_arrays"]

_EMPTY_U64: NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
_ELIGIBLE = 1
_SENSITIVE = 2


@dataclass(slots=True)
class StoredPost:
    """One indexed post.

    Attributes
    ----------
    features : Features
        As ``dedup check`` computes them for the indexed set (learned boilerplate
        stripped); ``position`` is 0.
    body_key : int
        Key of the normalized body (identical posts of an account learn once).
    sentences : ndarray of uint64
        Sorted sentence keys of the normalized body (for learned boilerplate and chrome).
    sentence_sizes : ndarray of int64
        Their lengths in characters.
    body_length : int
        Characters of the normalized body.
    body_sketch, body_grams
        Its :func:`~dedup.chrome.body_sketch` (for chrome).
    eligible : bool
        Long enough to be compared (in the LSH tables).
    sensitive : bool
        Its body changes once its account has learned boilerplate.
    doc : bytes
        The article (title, text, publication time) as compressed JSON; empty when
        not loaded.
    """

    features: Features
    body_key: int
    sentences: NDArray[np.uint64]
    sentence_sizes: NDArray[np.int64]
    body_length: int
    body_sketch: NDArray[np.uint32]
    body_grams: int
    eligible: bool
    sensitive: bool
    doc: bytes = b""

    def run(self) -> BodyRun:
        """The body as page chrome sees it."""
        return BodyRun(
            self.body_key, self.sentences, self.sentence_sizes, self.body_length, self.body_sketch, self.body_grams
        )

    @property
    def id(self) -> str:
        """The post's id."""
        return self.features.id

    @property
    def account(self) -> str:
        """The post's account."""
        return self.features.account

    def article(self) -> Article:
        """The article, from :attr:`doc`."""
        return article_from_doc(self.id, self.account, self.doc)


def doc_of(article: Article) -> bytes:
    """An article's title, text and publication time as compressed JSON."""
    doc = {
        "title": article.title,
        "text": article.text,
        "published_at": article.published_at.isoformat() if article.published_at else None,
    }
    return zlib.compress(json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def article_from_doc(id_: str, account: str, doc: bytes) -> Article:
    """Inverse of :func:`doc_of`; a malformed document is an :class:`IndexFileError`."""
    try:
        d = json.loads(zlib.decompress(doc).decode("utf-8", "surrogatepass"))
        when = d.get("published_at")
        return Article(
            id=id_,
            text=d["text"],
            title=d.get("title", ""),
            account=account,
            published_at=datetime.fromisoformat(when) if when else None,
        )
    except (zlib.error, ValueError, KeyError, TypeError, AttributeError) as exc:
        msg = f"the stored article {id_!r} is corrupted ({type(exc).__name__})"
        raise IndexFileError(msg) from None


def posts_to_arrays(posts: Sequence[StoredPost], *, docs: bool = True) -> dict[str, NDArray[Any]]:
    """Stored posts as named columns: the features codec plus the index's own columns."""
    out = FeatureColumns.pack([p.features for p in posts]).to_arrays()
    out["body_key"] = np.array([p.body_key for p in posts], dtype=np.uint64)
    out["flags"] = np.array(
        [(_ELIGIBLE if p.eligible else 0) | (_SENSITIVE if p.sensitive else 0) for p in posts], dtype=np.uint8
    )
    out["sentences"], out["sentences_offsets"] = join_ragged([p.sentences for p in posts], np.uint64)
    out["sentence_sizes"], out["sentence_sizes_offsets"] = join_ragged([p.sentence_sizes for p in posts], np.int64)
    out["body_length"] = np.array([p.body_length for p in posts], dtype=np.int64)
    out["body_sketch"] = (
        np.stack([p.body_sketch for p in posts]) if posts else np.zeros((0, SKETCH_SIZE), dtype=np.uint32)
    )
    out["body_grams"] = np.array([p.body_grams for p in posts], dtype=np.int64)
    if docs:
        out["doc"], out["doc_offsets"] = join_ragged([np.frombuffer(p.doc, dtype=np.uint8) for p in posts], np.uint8)
    return out


def posts_from_arrays(arrays: Mapping[str, NDArray[Any]], *, width: str) -> list[StoredPost]:
    """Inverse of :func:`posts_to_arrays`, validating every column (stored data is untrusted)."""
    feats = FeatureColumns.from_arrays(arrays, width=width).unpack()
    n = len(feats)
    flags = arrays.get("flags")
    body_keys = arrays.get("body_key")
    if (
        flags is None
        or body_keys is None
        or flags.shape != (n,)
        or flags.dtype != np.uint8
        or body_keys.shape != (n,)
        or body_keys.dtype != np.uint64
    ):
        msg = "the flags or body_key column is missing or malformed"
        raise IndexFileError(msg)
    sentences = _ragged(arrays, "sentences", np.uint64, n)
    sizes = _ragged(arrays, "sentence_sizes", np.int64, n)
    lengths = arrays.get("body_length")
    if lengths is None or lengths.shape != (n,) or lengths.dtype != np.int64:
        msg = "the body_length column is missing or malformed"
        raise IndexFileError(msg)
    sketches, grams = arrays.get("body_sketch"), arrays.get("body_grams")
    if (
        sketches is None
        or grams is None
        or sketches.shape != (n, SKETCH_SIZE)
        or sketches.dtype != np.uint32
        or grams.shape != (n,)
        or grams.dtype != np.int64
    ):
        msg = "the body_sketch or body_grams column is missing or malformed"
        raise IndexFileError(msg)
    if any(len(a) != len(b) for a, b in zip(sentences, sizes, strict=True)):
        msg = "the sentence_sizes column does not match the sentences"
        raise IndexFileError(msg)
    docs = _ragged(arrays, "doc", np.uint8, n) if "doc" in arrays else [np.zeros(0, np.uint8)] * n
    out = []
    for k, f in enumerate(feats):
        flag = int(flags[k])
        out.append(
            StoredPost(
                features=f,
                body_key=int(body_keys[k]),
                sentences=sentences[k],
                sentence_sizes=sizes[k],
                body_length=int(lengths[k]),
                body_sketch=sketches[k],
                body_grams=int(grams[k]),
                eligible=bool(flag & _ELIGIBLE),
                sensitive=bool(flag & _SENSITIVE),
                doc=docs[k].tobytes(),
            )
        )
    return out


def _ragged(arrays: Mapping[str, NDArray[Any]], name: str, dtype: Any, n: int) -> list[NDArray[Any]]:
    values, offsets = arrays.get(name), arrays.get(name + "_offsets")
    if (
        values is None
        or offsets is None
        or values.dtype != np.dtype(dtype)
        or values.ndim != 1
        or offsets.dtype != np.int64
        or offsets.shape != (n + 1,)
        or offsets[0] != 0
        or offsets[-1] != len(values)
        or (np.diff(offsets) < 0).any()
    ):
        msg = f"the {name} column is missing or malformed"
        raise IndexFileError(msg)
    return split_ragged(values, offsets)


class Storage(Protocol):
    """What a :class:`~dedup.DedupIndex` needs of the place its posts live.

    Reads may run concurrently with one writer; :meth:`write` applies a step whole.
    The boilerplate methods are :class:`~dedup.boilerplate.BoilerplateCounts`.
    """

    location: str
    kind: str

    def load_meta(self) -> dict[str, Any] | None:
        """The stored manifest, or ``None`` when there is no index here."""
        ...

    def store_meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        """Store a new index's manifest unless one exists; return the one stored."""
        ...

    def setup(self, bands: tuple[int, int], *, width: str) -> None:
        """Prepare for an index of ``bands`` (full-text and lead band counts) and hash ``width``."""
        ...

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Hold the writer lock (writers of all processes take turns)."""
        ...

    def errors(self) -> contextlib.AbstractContextManager[None]:
        """Turn the backend's own errors into dedup's."""
        ...

    def count(self) -> int:
        """Indexed posts."""
        ...

    def account_count(self) -> int:
        """Accounts with indexed posts."""
        ...

    def contains(self, ids: Sequence[str]) -> list[bool]:
        """Which of ``ids`` are indexed."""
        ...

    def posts(self, ids: Sequence[str], *, docs: bool = False) -> list[StoredPost | None]:
        """The stored posts (``docs``: with their articles)."""
        ...

    def docs(self, ids: Sequence[str]) -> list[bytes | None]:
        """The compressed articles."""
        ...

    def candidates(self, bands: PostBands) -> set[str]:
        """Ids of eligible posts the candidate rule pairs with a post of these band keys."""
        ...

    def snapshot(self) -> Iterator[StoredPost]:
        """Every stored post, with its article."""
        ...

    def band_rows(self, posts: Sequence[StoredPost]) -> list[PostBands] | None:
        """The stored band keys of ``posts``, or ``None`` when they are not kept."""
        ...

    def account_state(self, account: str, sentences: Sequence[int], bodies: Sequence[int]) -> AccountState:
        """The stored boilerplate figures of ``account``."""
        ...

    def sentences_counted(self, account: str, lo: int, hi: int) -> NDArray[np.uint64]:
        """Sentence keys of ``account`` found in ``lo <= n < hi`` distinct bodies."""
        ...

    def posts_with(self, account: str, sentences: NDArray[np.uint64]) -> set[str]:
        """Ids of ``account``'s posts that contain any of ``sentences``."""
        ...

    def sensitive_posts(self, account: str) -> set[str]:
        """Ids of ``account``'s sensitive posts."""
        ...

    # page chrome (:class:`~dedup.chrome.ChromeCounts`)
    def body_refs(self, body_keys: Sequence[int]) -> list[int]:
        """Posts stored with each body."""
        ...

    def body_runs(self, body_keys: Sequence[int]) -> list[BodyRun]:
        """The runs of these stored bodies."""
        ...

    def sentence_counts(self, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
        """Distinct stored bodies holding each key."""
        ...

    def bodies_with(self, keys: NDArray[np.uint64]) -> set[int]:
        """The stored bodies holding any of ``keys``."""
        ...

    def chrome_keys(self) -> NDArray[np.uint64]:
        """The chrome keys as they stand (sorted)."""
        ...

    def posts_of_bodies(self, body_keys: set[int]) -> dict[str, str]:
        """The posts with these bodies: id -> account."""
        ...

    def write(
        self,
        *,
        insert: Sequence[tuple[StoredPost, PostBands]],
        replace: Sequence[tuple[StoredPost, PostBands]],
        delete: Sequence[StoredPost],
        changes: Sequence[AccountChange],
        chrome: ChromeChange | None = None,
    ) -> None:
        """Apply one step: new posts, re-extracted posts, removed posts, boilerplate and chrome figures."""
        ...

    def clear(self) -> None:
        """Remove every post (the manifest stays)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclass(slots=True)
class _AccountSentences:
    """Boilerplate figures of one account (memory storage).

    Identical posts of an account count once: ``bodies`` maps a body key to the ids of
    the posts with that body, and the sentence multiset holds one entry per (distinct
    body, sentence), owned by the body key.
    """

    bodies: dict[int, set[str]] = field(default_factory=dict)
    sensitive: set[str] = field(default_factory=set)
    sentences: NDArray[np.uint64] = field(default_factory=lambda: _EMPTY_U64)  # sorted
    owners: NDArray[np.uint64] = field(default_factory=lambda: _EMPTY_U64)  # body key of each entry
    learned: int = 0

    def counts(self, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
        left = np.searchsorted(self.sentences, keys, side="left")
        right = np.searchsorted(self.sentences, keys, side="right")
        return (right - left).astype(np.int64)


class MemoryStorage:
    """Everything in this process: posts in a dict, LSH in :class:`~dedup.lsh.BandTable`.

    Three tables share the slot numbering of posts: whole texts and leads (one row
    per post), and paragraph leads (one row per paragraph, with its post's slot).
    """

    kind = "memory"

    def __init__(self, location: str = "memory") -> None:
        self.location = location
        self._meta: dict[str, Any] | None = None
        self._posts: dict[str, StoredPost] = {}
        self._accounts: dict[str, _AccountSentences] = {}
        self._bands = (1, 1)
        self._reset_tables()
        self._reset_chrome()

    def _reset_chrome(self) -> None:
        self._body_posts: dict[int, dict[str, str]] = {}  # body key -> post id -> account
        self._body_runs: dict[int, BodyRun] = {}
        self._sentence_bodies: dict[int, set[int]] = {}
        self._chrome: NDArray[np.uint64] = _EMPTY_U64

    def _reset_tables(self) -> None:
        self._full = BandTable(self._bands[0])
        self._lead = BandTable(self._bands[1])
        self._para = BandTable(self._bands[1])
        self._slot_of: dict[str, int] = {}
        self._slot_ids: list[str | None] = []
        self._para_owner = array("q")  # paragraph slot -> post slot
        self._para_owner_array: NDArray[np.int64] | None = None
        self._paras_of: dict[int, range] = {}  # post slot -> its paragraph slots

    # -- setup -------------------------------------------------------------------
    def load_meta(self) -> dict[str, Any] | None:
        return self._meta

    def store_meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        self._meta = meta
        return meta

    def setup(self, bands: tuple[int, int], *, width: str) -> None:
        self._bands = bands
        self._reset_tables()

    def writing(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def errors(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def close(self) -> None:
        pass

    # -- reads -------------------------------------------------------------------
    def count(self) -> int:
        return len(self._posts)

    def account_count(self) -> int:
        return len({p.account for p in self._posts.values()})

    def contains(self, ids: Sequence[str]) -> list[bool]:
        return [i in self._posts for i in ids]

    def posts(self, ids: Sequence[str], *, docs: bool = False) -> list[StoredPost | None]:
        return [self._posts.get(i) for i in ids]

    def docs(self, ids: Sequence[str]) -> list[bytes | None]:
        out = []
        for i in ids:
            post = self._posts.get(i)
            out.append(post.doc if post is not None else None)
        return out

    def candidates(self, bands: PostBands) -> set[str]:
        found = [self._full.query(bands.full), self._lead.query(bands.lead)]
        paras = self._para.query(bands.lead)
        if len(paras):
            if self._para_owner_array is None or len(self._para_owner_array) != len(self._para_owner):
                self._para_owner_array = np.array(self._para_owner, dtype=np.int64)
            found.append(self._para_owner_array[paras])
        if len(bands.paragraphs):
            found.append(self._lead.query(bands.paragraphs))
        out = set()
        for s in np.unique(np.concatenate(found)).tolist():
            key = self._slot_ids[s]
            if key is not None:
                out.add(key)
        return out

    def account_state(self, account: str, sentences: Sequence[int], bodies: Sequence[int]) -> AccountState:
        acc = self._accounts.get(account)
        if acc is None:
            return AccountState(0, 0, dict.fromkeys(sentences, 0), dict.fromkeys(bodies, 0))
        counts = acc.counts(np.asarray(sentences, dtype=np.uint64)).tolist() if len(sentences) else []
        return AccountState(
            posts=len(acc.bodies),
            learned=acc.learned,
            counts=dict(zip(sentences, counts, strict=True)),
            copies={b: len(acc.bodies.get(b, ())) for b in bodies},
        )

    def sentences_counted(self, account: str, lo: int, hi: int) -> NDArray[np.uint64]:
        acc = self._accounts.get(account)
        if acc is None or not len(acc.sentences):
            return _EMPTY_U64
        values, counts = np.unique(acc.sentences, return_counts=True)
        return values[(counts >= lo) & (counts < hi)]

    def posts_with(self, account: str, sentences: NDArray[np.uint64]) -> set[str]:
        acc = self._accounts.get(account)
        if acc is None or not len(sentences):
            return set()
        out: set[str] = set()
        for body in np.unique(acc.owners[np.isin(acc.sentences, sentences)]).tolist():
            out |= acc.bodies.get(body, set())
        return out

    def sensitive_posts(self, account: str) -> set[str]:
        acc = self._accounts.get(account)
        return set(acc.sensitive) if acc is not None else set()

    # -- page chrome -------------------------------------------------------------
    def body_refs(self, body_keys: Sequence[int]) -> list[int]:
        return [len(self._body_posts.get(b, ())) for b in body_keys]

    def body_runs(self, body_keys: Sequence[int]) -> list[BodyRun]:
        return [self._body_runs[b] for b in body_keys]

    def sentence_counts(self, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
        return np.array([len(self._sentence_bodies.get(k, ())) for k in keys.tolist()], dtype=np.int64)

    def bodies_with(self, keys: NDArray[np.uint64]) -> set[int]:
        out: set[int] = set()
        for k in keys.tolist():
            out |= self._sentence_bodies.get(k, set())
        return out

    def chrome_keys(self) -> NDArray[np.uint64]:
        return self._chrome

    def posts_of_bodies(self, body_keys: set[int]) -> dict[str, str]:
        out: dict[str, str] = {}
        for b in body_keys:
            out.update(self._body_posts.get(b, {}))
        return out

    def _apply_chrome(
        self, inserted: Sequence[StoredPost], deleted: Sequence[StoredPost], change: ChromeChange
    ) -> None:
        for post in deleted:
            ids = self._body_posts.get(post.body_key)
            if ids is not None:
                ids.pop(post.id, None)
        for post in inserted:
            self._body_posts.setdefault(post.body_key, {})[post.id] = post.account
        for body, refs in change.refs.items():
            if refs == 0 and body in self._body_runs:
                for k in self._body_runs.pop(body).keys.tolist():
                    bodies = self._sentence_bodies.get(k)
                    if bodies is not None:
                        bodies.discard(body)
                        if not bodies:
                            del self._sentence_bodies[k]
                self._body_posts.pop(body, None)
        for run in change.runs:
            self._body_runs[run.body_key] = run
            for k in run.keys.tolist():
                self._sentence_bodies.setdefault(k, set()).add(run.body_key)
        self._chrome = change.model(self._chrome).keys

    def band_rows(self, posts: Sequence[StoredPost]) -> list[PostBands] | None:
        out = []
        bf, bl = self._bands
        for post in posts:
            slot = self._slot_of.get(post.id)
            if slot is None:
                zeros = np.zeros(0, dtype=np.uint64)
                out.append(PostBands(np.zeros(bf, np.uint64), np.zeros(bl, np.uint64), zeros.reshape(0, bl)))
                continue
            one = np.array([slot], dtype=np.int64)
            paras = np.asarray(self._paras_of[slot], dtype=np.int64)
            out.append(PostBands(self._full.rows(one)[0], self._lead.rows(one)[0], self._para.rows(paras)))
        return out

    def snapshot(self) -> Iterator[StoredPost]:
        yield from list(self._posts.values())

    # -- writes ------------------------------------------------------------------
    def _unindex(self, post: StoredPost) -> None:
        slot = self._slot_of.pop(post.id, None)
        if slot is not None:
            self._full.drop([slot])
            self._lead.drop([slot])
            self._para.drop(self._paras_of.pop(slot, range(0)))
            self._slot_ids[slot] = None

    def _forget_sentences(self, post: StoredPost) -> None:
        acc = self._accounts.get(post.account)
        if acc is None:
            return
        acc.sensitive.discard(post.id)
        same = acc.bodies.get(post.body_key)
        if same is not None:
            same.discard(post.id)
            if not same:
                del acc.bodies[post.body_key]
                keep = acc.owners != np.uint64(post.body_key)
                acc.sentences, acc.owners = acc.sentences[keep], acc.owners[keep]
        if not acc.bodies:
            del self._accounts[post.account]

    def _count_sentences(self, posts: Sequence[StoredPost]) -> None:
        by_account: dict[str, list[StoredPost]] = {}
        for post in posts:
            if post.account:
                by_account.setdefault(post.account, []).append(post)
        for account, group in by_account.items():
            acc = self._accounts.get(account)
            if acc is None:
                acc = self._accounts[account] = _AccountSentences()
            parts, owners = [acc.sentences], [acc.owners]
            for post in group:
                if post.sensitive:
                    acc.sensitive.add(post.id)
                same = acc.bodies.setdefault(post.body_key, set())
                if not same:  # a new body: its sentences count
                    parts.append(post.sentences)
                    owners.append(np.full(len(post.sentences), post.body_key, dtype=np.uint64))
                same.add(post.id)
            if len(parts) > 1:
                sentences = np.concatenate(parts)
                order = np.argsort(sentences, kind="stable")
                acc.sentences = sentences[order]
                acc.owners = np.concatenate(owners)[order]

    def _index(self, items: Sequence[tuple[StoredPost, PostBands]], *, rebuild: bool = True) -> None:
        eligible = [(post, b) for post, b in items if post.eligible]
        if not eligible:
            return
        start = len(self._slot_ids)
        slots = np.arange(start, start + len(eligible), dtype=np.int64)
        para_rows: list[NDArray[np.uint64]] = []
        para_slots: list[int] = []
        for slot, (post, b) in zip(slots.tolist(), eligible, strict=True):
            self._slot_of[post.id] = slot
            self._slot_ids.append(post.id)
            first = len(self._para_owner)
            self._para_owner.extend([slot] * len(b.paragraphs))
            self._paras_of[slot] = range(first, first + len(b.paragraphs))
            para_slots.extend(self._paras_of[slot])
            para_rows.append(b.paragraphs)
        self._full.put(slots, np.stack([b.full for _, b in eligible]), rebuild=rebuild)
        self._lead.put(slots, np.stack([b.lead for _, b in eligible]), rebuild=rebuild)
        if para_slots:
            self._para.put(np.asarray(para_slots, dtype=np.int64), np.concatenate(para_rows), rebuild=rebuild)

    def write(
        self,
        *,
        insert: Sequence[tuple[StoredPost, PostBands]],
        replace: Sequence[tuple[StoredPost, PostBands]],
        delete: Sequence[StoredPost],
        changes: Sequence[AccountChange],
        chrome: ChromeChange | None = None,
    ) -> None:
        if chrome is not None:
            self._apply_chrome([p for p, _ in insert], delete, chrome)
        for post in delete:
            self._unindex(post)
            self._forget_sentences(post)
            del self._posts[post.id]
        for post, _ in replace:
            self._unindex(self._posts[post.id])
            self._posts[post.id] = post
        for post, _ in insert:
            self._posts[post.id] = post
        self._count_sentences([post for post, _ in insert])
        for change in changes:
            acc = self._accounts.get(change.account)
            if acc is not None:
                acc.learned = change.learned
        self._index([*replace, *insert])
        self._maybe_compact()

    def load(
        self,
        posts: list[StoredPost],
        bands: list[PostBands],
        rule: AccountBoilerplate,
        *,
        chrome_min_posts: int,
        chrome_related: float,
    ) -> None:
        """Fill an empty storage from a file (band keys already computed)."""
        self._posts = {post.id: post for post in posts}
        self._count_sentences(posts)
        self._load_chrome(posts, chrome_min_posts, chrome_related)
        for acc in self._accounts.values():
            _, counts = np.unique(acc.sentences, return_counts=True)
            acc.learned = int((counts >= rule.min_count(len(acc.bodies))).sum())
        self._index(list(zip(posts, bands, strict=True)), rebuild=False)
        for table in (self._full, self._lead, self._para):
            table.rebuild()

    def _maybe_compact(self) -> None:
        live = len(self._slot_of)
        if len(self._slot_ids) <= 2 * live + 65536:
            return
        posts = [self._posts[i] for i in self._slot_of]
        bands = self.band_rows(posts)
        assert bands is not None
        self._reset_tables()
        self._index(list(zip(posts, bands, strict=True)), rebuild=False)
        for table in (self._full, self._lead, self._para):
            table.rebuild()

    def _load_chrome(self, posts: list[StoredPost], min_posts: int, related: float) -> None:
        self._reset_chrome()
        for post in posts:
            self._body_posts.setdefault(post.body_key, {})[post.id] = post.account
            if post.body_key not in self._body_runs:
                run = post.run()
                self._body_runs[post.body_key] = run
                for k in run.keys.tolist():
                    self._sentence_bodies.setdefault(k, set()).add(post.body_key)
        if min_posts and posts:
            bodies = runs_to_posts(list(self._body_runs.values()))
            self._chrome = learn_chrome(bodies, min_posts=min_posts, related=related).keys

    def clear(self) -> None:
        self._posts = {}
        self._accounts = {}
        self._reset_tables()
        self._reset_chrome()
