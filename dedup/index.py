"""A persistent index of published posts: add, query, remove; in memory, on disk or in Redis.

:class:`DedupIndex` answers, for one new post, what ``dedup check`` would answer for it
against everything already indexed, through the same steps (:mod:`dedup.steps`): the
same normalization and learned account boilerplate (kept up to date as posts come and
go, :mod:`dedup.boilerplate`), the same candidate rule (:mod:`dedup.lsh`), the same
verification and threshold (:mod:`dedup.verify`). Where the posts live is a
:class:`~dedup.index_storage.Storage`: in this process, loaded from or saved to a file
(:mod:`dedup.index_file`), or in Redis (:mod:`dedup.index_redis`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from dedup.config import DedupConfig, record_differences
from dedup.evidence import Passages, build_evidence, decisive
from dedup.exceptions import ConfigError, DuplicateIdError, IndexConnectionError, IndexFileError, UnknownIdError
from dedup.index_file import IndexFile, locked, manifest, validate_manifest, write_index
from dedup.index_posts import Changes, PostMaker
from dedup.index_redis import RedisStorage, is_redis_url
from dedup.index_storage import MemoryStorage, Storage, StoredPost
from dedup.lsh import band_widths
from dedup.models import Article, IndexMatch
from dedup.steps import check_article, check_articles, may_pair
from dedup.verify import Verdict, compare

__all__ = ["DedupIndex"]

# Articles processed per step of add(): each step is atomic and takes the lock once.
STEP = 1000


class DedupIndex:
    r"""An index of published posts that new posts are checked against.

    Parameters
    ----------
    config : DedupConfig, optional
        Every option; recorded in saved files and in Redis, and checked when loading.

    Notes
    -----
    **What a query answers.** ``index.query(article)`` returns the indexed posts that
    ``dedup check`` run on *the indexed posts plus this article* pairs with it as one
    story: same normalization and learned account boilerplate, the same candidates
    (whole texts in the full-text LSH; leads against leads and paragraph leads), the
    same verification (score, kind) and threshold, ``min_length`` and
    ``cross_account_only``. These are verified pairs; the grouping step of
    ``dedup check`` (which may leave one of two conflicting pairs out of a story) is not
    applied, nor are its caps for huge batches (``params.max_candidates`` per post,
    ``params.max_bucket`` posts per LSH bucket): a query checks every candidate. If the
    article's id is already indexed, the query stands for that post: it is compared
    with the *other* indexed posts. Posts of one query batch are not compared with
    each other.

    **Learned boilerplate.** Sentences recurring in many posts of one account are
    ignored, as in ``dedup check`` (identical posts of an account count once). Adding
    or removing posts can change what an account has learned; the affected indexed
    posts are then re-extracted, so the stored features always equal those
    ``dedup check`` would compute for the whole indexed set. A query whose own post
    would change what its account learned (say, the third post with a new footer)
    compares against those posts as re-extracted for it; such queries are slower, the
    index is not changed.

    **Threads.** Every method takes one lock, so an index object may be shared by
    threads: each ``add`` step (up to 1,000 articles), ``remove``, ``query`` and
    ``save`` sees and leaves the index in a consistent state, as if the calls ran one
    after another. A long ``add`` lets queries in between its steps.

    **Processes.** Two processes editing one *file* take turns with
    :meth:`editing` (a lock beside the file). With Redis, writers (``add`` steps,
    ``remove``) of all processes take a lock in Redis and run one at a time; queries
    never take it: a query that runs while another process adds may see some of that
    add's steps and not others. Each step is written as one Redis transaction
    (MULTI/EXEC), whole or not at all, even when Redis or the writer goes away.

    **Faults.** When Redis cannot be reached, or goes away mid-run, every method raises
    :class:`~dedup.exceptions.IndexConnectionError` naming the server (an ``add``
    that fails after some steps says how many posts were added); an index whose keys
    are gone (say Redis restarted without its data) raises
    :class:`~dedup.exceptions.IndexFileError` rather than answering as if empty.

    Examples
    --------
    >>> from dedup import Article, DedupIndex
    >>> text = ("6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，"
    ...         "志愿者向居民讲解分类知识，发放宣传资料200余份。")
    >>> index = DedupIndex()
    >>> index.add([Article(id="1", text=text, account="荷叶塘社区")])
    1
    >>> [(m.id, m.kind) for m in index.query(Article(id="2", text="关注我们\n" + text))]
    [('1', 'exact')]
    >>> index.remove(["1"]), len(index)
    (1, 0)
    """

    def __init__(self, config: DedupConfig | None = None) -> None:
        self._setup(MemoryStorage(), config, create=True)

    def _setup(
        self, storage: Storage, config: DedupConfig | None, *, create: bool, user_dict: str | None = None
    ) -> None:
        self._lock = threading.RLock()
        self._storage = storage
        where = storage.location
        meta = storage.load_meta()
        if meta is None:
            if not create:
                msg = f"no index at {where}"
                raise IndexFileError(msg)
            cfg: object = config if config is not None else DedupConfig()
            if not isinstance(cfg, DedupConfig):
                msg = f"config must be a DedupConfig, got {type(cfg).__name__}"
                raise TypeError(msg)
            meta = storage.store_meta(manifest(cfg))
        self._meta = meta
        self.config = _config_for(validate_manifest(meta, where), config, where, user_dict)
        cfg = self.config
        self._bands = band_widths(cfg)
        storage.setup(self._bands, width=_width(cfg))
        self._posts = PostMaker(cfg, storage)

    # -- constructors --------------------------------------------------------------
    @classmethod
    def connect(
        cls, url: str, *, config: DedupConfig | None = None, create: bool = True, user_dict: str | None = None
    ) -> DedupIndex:
        """Open (or create) an index shared through Redis.

        Parameters
        ----------
        url : str
            ``redis://[:password@]host[:port][/db][?index=NAME]`` (also ``rediss://``,
            ``unix://``). ``index`` names the index (default ``dedup``); its keys start
            with ``dedup:NAME:``.
        config : DedupConfig, optional
            For a new index, its config (default ``DedupConfig()``); for an existing one,
            checked against the recorded config (``None`` takes the recorded one).
        create : bool
            Create the index when it does not exist yet.
        user_dict : str, optional
            With ``config=None``: the user dictionary of an index built with one (the
            index records its hash, never a path to open).

        Returns
        -------
        DedupIndex

        Raises
        ------
        IndexConnectionError
            Redis cannot be reached.
        ConfigError
            ``config`` differs from the one the index was built with.
        IndexFileError
            ``create=False`` and there is no such index.
        """
        self = cls.__new__(cls)
        storage = RedisStorage(url)
        try:
            with storage.errors():
                self._setup(storage, config, create=create, user_dict=user_dict)
        except BaseException:
            storage.close()
            raise
        return self

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, config: DedupConfig | None = None, user_dict: str | None = None
    ) -> DedupIndex:
        """Read an index saved with :meth:`save` into memory.

        Parameters
        ----------
        path : path
            The file.
        config : DedupConfig, optional
            Checked against the recorded config; ``None`` takes the recorded one.
        user_dict : str, optional
            As for :meth:`connect`.

        Returns
        -------
        DedupIndex

        Raises
        ------
        IndexFileError
            The file is missing, not an index, truncated, corrupted or of another format.
        ConfigError
            ``config`` differs from the one the index was built with.

        Examples
        --------
        >>> import os, tempfile
        >>> from dedup import Article, DedupIndex
        >>> path = os.path.join(tempfile.mkdtemp(), "posts.dedup")
        >>> DedupIndex().save(path)
        >>> len(DedupIndex.load(path))
        0
        """
        name = os.fspath(path)
        with IndexFile(name) as file:
            storage = MemoryStorage(name)
            storage.store_meta(file.meta)
            self = cls.__new__(cls)
            self._setup(storage, config, create=False, user_dict=user_dict)
            posts, bands = file.posts(width=_width(self.config), bands=self._bands)
        params = self.config.params
        storage.load(
            posts,
            bands,
            self._posts.rule,
            chrome_min_posts=params.chrome_min_posts,
            chrome_related=params.chrome_related,
        )
        return self

    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str],
        *,
        config: DedupConfig | None = None,
        create: bool = False,
        user_dict: str | None = None,
    ) -> DedupIndex:
        """Open an index by path or ``redis://`` URL (what the command line does).

        A path that does not exist gives a new, empty index with ``create=True``, and an
        :class:`~dedup.exceptions.IndexFileError` otherwise; see :meth:`connect` and
        :meth:`load` for the rest.
        """
        if is_redis_url(location):
            return cls.connect(str(location), config=config, create=create, user_dict=user_dict)
        if create and not os.path.lexists(location):
            index = cls(config)
            index._storage.location = os.fspath(location)
            return index
        return cls.load(location, config=config, user_dict=user_dict)

    @classmethod
    @contextlib.contextmanager
    def editing(
        cls,
        location: str | os.PathLike[str],
        *,
        config: DedupConfig | None = None,
        create: bool = True,
        user_dict: str | None = None,
    ) -> Iterator[DedupIndex]:
        """Open an index to change it; a file is saved on leaving, under a lock.

        Two processes editing one file take turns (each loads the other's changes), so
        neither loses posts; a Redis index needs no such lock (its steps are atomic).

        Examples
        --------
        >>> import os, tempfile
        >>> from dedup import Article, DedupIndex
        >>> path = os.path.join(tempfile.mkdtemp(), "posts.dedup")
        >>> with DedupIndex.editing(path) as index:
        ...     index.add([Article(id="1", text="6月12日，荷叶塘社区开展垃圾分类宣传活动。")])
        1
        >>> len(DedupIndex.load(path))
        1
        """
        if is_redis_url(location):
            with cls.connect(str(location), config=config, create=create, user_dict=user_dict) as index:
                yield index
            return
        with locked(location):
            index = cls.open(location, config=config, create=create, user_dict=user_dict)
            yield index
            index.save(location)

    @classmethod
    def exists(cls, location: str | os.PathLike[str]) -> bool:
        """Tell whether an index exists at ``location`` (a path or a Redis URL).

        Raises
        ------
        IndexConnectionError
            Redis cannot be reached.

        Examples
        --------
        >>> DedupIndex.exists("/nonexistent/posts.dedup")
        False
        """
        if is_redis_url(location):
            storage = RedisStorage(str(location))
            try:
                with storage.errors():
                    return storage.load_meta() is not None
            finally:
                storage.close()
        return os.path.exists(location)

    # -- properties ------------------------------------------------------------------
    @property
    def location(self) -> str:
        """Where the index lives: a file path, a Redis URL (password redacted) or ``"memory"``."""
        return self._storage.location

    @property
    def backend(self) -> str:
        """``"memory"`` or ``"redis"``."""
        return self._storage.kind

    def __len__(self) -> int:
        with self._lock, self._storage.errors():
            return self._storage.count()

    def __contains__(self, id_: object) -> bool:
        if not isinstance(id_, str):
            return False
        with self._lock, self._storage.errors():
            return self._storage.contains([id_])[0]

    def __repr__(self) -> str:
        return f"DedupIndex({self.location!r}, backend={self.backend!r})"

    def __enter__(self) -> DedupIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release connections (Redis); the object must not be used afterwards."""
        self._storage.close()

    def info(self) -> dict[str, Any]:
        """Location, backend, format version, number of posts and accounts, recorded config.

        Examples
        --------
        >>> DedupIndex().info()["posts"]
        0
        """
        with self._lock, self._storage.errors():
            return {
                "location": self.location,
                "backend": self.backend,
                "format": self._meta.get("format"),
                "format_version": self._meta.get("version"),
                "dedup_version": self._meta.get("dedup_version"),
                "posts": self._storage.count(),
                "accounts": self._storage.account_count(),
                "config": self._meta.get("config"),
            }

    # -- writes ----------------------------------------------------------------------
    def add(self, articles: Iterable[Article]) -> int:
        """Index posts.

        Parameters
        ----------
        articles : iterable of Article
            New posts; ids must be new to the index and unique.

        Returns
        -------
        int
            The number of posts added.

        Raises
        ------
        DuplicateIdError
            An id is already indexed or repeated (nothing is added).
        InputError
            An article is longer than ``max_length`` (nothing is added).
        """
        batch = check_articles(articles, self.config)
        with self._lock, self._storage.errors():
            self._check_new(batch)
        added = 0
        try:
            for start in range(0, len(batch), STEP):
                chunk = batch[start : start + STEP]
                with self._lock, self._storage.errors(), self._storage.writing():
                    self._check_new(chunk)
                    self._add_step(chunk)
                added += len(chunk)
        except IndexConnectionError as exc:
            if not added:
                raise
            # Earlier steps are in the index: say which posts the caller must add again.
            msg = (
                f"{exc}; {added} of {len(batch)} post(s) were added, those from id {batch[added].id!r} "
                f"on may be missing (each step of up to {STEP:,} posts is added whole or not at all)"
            )
            raise IndexConnectionError(msg) from None
        return len(batch)

    def _check_new(self, batch: Sequence[Article]) -> None:
        present = self._storage.contains([a.id for a in batch])
        for a, there in zip(batch, present, strict=True):
            if there:
                msg = f"id {a.id!r} is already in the index"
                raise DuplicateIdError(msg, path=a.source, lineno=a.lineno, field="id")

    def _add_step(self, batch: Sequence[Article]) -> None:
        prepared = [self._posts.prepare(a) for a in batch]
        changes = self._posts.changes(prepared, [])
        affected = self._posts.affected(changes)
        new = [self._posts.stored(p, changes) for p in prepared]
        redone = self._posts.reextract(sorted(affected), changes)
        self._write(insert=new, replace=redone, delete=[], changes=changes)

    def _write(
        self,
        *,
        insert: list[StoredPost],
        replace: list[StoredPost],
        delete: list[StoredPost],
        changes: Changes,
    ) -> None:
        todo = [*insert, *replace]
        bands = self._posts.bands_of([p.features for p in todo])
        items = list(zip(todo, bands, strict=True))
        self._storage.write(
            insert=items[: len(insert)],
            replace=items[len(insert) :],
            delete=delete,
            changes=list(changes.accounts.values()),
            chrome=changes.chrome,
        )

    def remove(self, ids: Iterable[str], *, missing_ok: bool = False) -> int:
        """Remove posts by id.

        Parameters
        ----------
        ids : iterable of str
            Ids of indexed posts.
        missing_ok : bool
            Skip ids that are not indexed instead of raising.

        Returns
        -------
        int
            The number of posts removed.

        Raises
        ------
        UnknownIdError
            An id is not indexed (nothing is removed) and ``missing_ok`` is false.
        """
        wanted = list(dict.fromkeys(ids))
        with self._lock, self._storage.errors(), self._storage.writing():
            posts = self._storage.posts(wanted, docs=True)
            missing = [i for i, post in zip(wanted, posts, strict=True) if post is None]
            if missing and not missing_ok:
                shown = ", ".join(repr(i) for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
                msg = f"{len(missing)} id(s) not in the index: {shown}"
                raise UnknownIdError(msg)
            gone = [post for post in posts if post is not None]
            if not gone:
                return 0
            changes = self._posts.changes([], gone)
            affected = self._posts.affected(changes)
            for post in gone:
                affected.pop(post.id, None)
            redone = self._posts.reextract(sorted(affected), changes)
            self._write(insert=[], replace=redone, delete=gone, changes=changes)
            return len(gone)

    def clear(self) -> None:
        """Remove every post; the index keeps its config."""
        with self._lock, self._storage.errors(), self._storage.writing():
            self._storage.clear()

    # -- queries ---------------------------------------------------------------------
    def query(
        self,
        article: Article,
        *,
        k: int | None = 10,
        evidence: bool | None = None,
        templates: bool = False,
    ) -> list[IndexMatch]:
        """Find the indexed posts that are the same story as ``article``.

        Parameters
        ----------
        article : Article
            The new post (it is not added).
        k : int or None
            At most this many matches, best first; ``None`` for all.
        evidence : bool, optional
            Attach shared passages and specifics (default: ``config.evidence``).
        templates : bool
            Also return template pairs (same wording, conflicting specifics) with kind
            ``"template"``; they are left out by default, as they are not one story.

        Returns
        -------
        list of IndexMatch
            Sorted by score (highest first), then id.
        """
        check_article(article, self.config)
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            msg = f"k must be a positive integer or None, got {k!r}"
            raise ConfigError(msg)
        want_evidence = self.config.evidence if evidence is None else evidence
        with self._lock, self._storage.errors():
            return self._query(article, k=k, evidence=want_evidence, templates=templates)

    def _query(self, article: Article, *, k: int | None, evidence: bool, templates: bool) -> list[IndexMatch]:
        cfg = self.config
        p = self._posts.prepare(article)
        old = self._storage.posts([article.id])[0]
        changes = self._posts.changes([p], [old] if old is not None else [])
        mine = self._posts.stored(p, changes, keep_doc=False)
        if not mine.eligible:
            return []
        bands = self._posts.bands_of([mine.features])[0]
        candidates = self._storage.candidates(bands)
        candidates.discard(article.id)
        affected = self._posts.affected(changes)
        affected.pop(article.id, None)
        others: list[StoredPost] = []
        if affected:
            # Posts whose learned boilerplate would change with this query: compare the
            # query with them as dedup check would see them, not as stored.
            candidates -= set(affected)
            redone = [r for r in self._posts.reextract(sorted(affected), changes) if r.eligible]
            for other, other_bands in zip(redone, self._posts.bands_of([r.features for r in redone]), strict=True):
                if bands.collides(other_bands):
                    others.append(other)
        stored = [x for x in self._storage.posts(sorted(candidates)) if x is not None and x.eligible]
        scored: list[tuple[StoredPost, Verdict]] = []
        for other in [*stored, *others]:
            if not may_pair(article.account, other.account, cfg):
                continue
            v = compare(mine.features, other.features, config=cfg)
            if v.is_match or (templates and v.kind == "template"):
                scored.append((other, v))
        scored.sort(key=lambda item: (-item[1].score, item[0].id))
        if k is not None:
            scored = scored[:k]
        return self._matches(article, mine, scored, evidence=evidence)

    def _matches(
        self, article: Article, mine: StoredPost, scored: list[tuple[StoredPost, Verdict]], *, evidence: bool
    ) -> list[IndexMatch]:
        cfg = self.config
        texts: list[str | None] = [None] * len(scored)
        passages: Passages | None = None
        cut: Iterator[Passages] = iter(())
        if evidence and scored:
            docs = self._storage.docs([o.id for o, _ in scored])
            for n, (other, _) in enumerate(scored):
                doc = docs[n] or other.doc
                texts[n] = replace(other, doc=doc).article().text if doc else None
            # The post's passages and its matches', cut in one pass.
            cut = iter(Passages.of_texts([article.text, *(t for t in texts if t is not None)], cfg.normalize))
            passages = next(cut)
        out = []
        for text, (other, v) in zip(texts, scored, strict=True):
            ev = None
            if passages is not None and text is not None:
                ev = build_evidence(
                    passages,
                    next(cut),
                    mine.features.specifics,
                    other.features.specifics,
                    score_cutoff=cfg.params.passage_cutoff,
                )
                ev = decisive(ev, v, mine.features, other.features, cfg.params)
            assert v.kind is not None
            out.append(IndexMatch(id=other.id, score=v.score, kind=v.kind, account=other.account, evidence=ev))
        return out

    # -- persistence -----------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to one file, atomically.

        The file is written under a temporary name in the same directory, flushed to
        disk, and renamed over ``path``: a crash or an error while saving leaves the
        previous file (if any) as it was, and the file keeps the previous one's mode.
        A process killed while saving leaves its temporary file (``.NAME.XXXXXXXX.tmp``)
        behind; the next save to ``path`` removes such leftovers once no process holds
        them (on POSIX systems, where each save locks its temporary file) and they are a
        minute old.

        Parameters
        ----------
        path : path
            Destination; any suffix (``.dedup`` is customary).
        """
        with self._lock, self._storage.errors():
            posts = list(self._storage.snapshot())
            bands = self._storage.band_rows(posts)
            if bands is None:
                bands = self._posts.bands_of([p.features for p in posts])
            meta = dict(self._meta)
            meta["count"] = len(posts)
            from dedup import __version__

            meta["dedup_version"] = __version__
            write_index(path, meta, posts, bands, self._bands)


def _width(config: DedupConfig) -> str:
    return "uint32" if config.scheme == "affine32" else "uint64"


def _config_for(record: dict[str, Any], config: DedupConfig | None, where: str, user_dict: str | None) -> DedupConfig:
    """The config an index answers with: the caller's, which must be the recorded one."""
    try:
        base = DedupConfig(user_dict=user_dict) if user_dict is not None else None
        cfg = config if config is not None else DedupConfig.from_record(record, base=base)
    except ConfigError as exc:
        msg = f"{where}: {exc}"
        raise ConfigError(msg) from None
    if not isinstance(cfg, DedupConfig):
        msg = f"config must be a DedupConfig, got {type(cfg).__name__}"
        raise TypeError(msg)
    diffs = record_differences(record, cfg.record())
    if diffs:
        msg = f"{where} was built with a different config ({'; '.join(diffs)})"
        raise ConfigError(msg)
    return cfg
