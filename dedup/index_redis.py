"""A :class:`~dedup.DedupIndex` shared through Redis: several processes, one index.

Keys, all under ``dedup:<index>:``:

* ``meta``: the JSON manifest (format, version, recorded config); ``lock``: the
  writer lock;
* ``post``, ``doc``, ``sent``, ``bands``: hashes id -> the stored post (the features
  codec, :func:`~dedup.columns.arrays_to_bytes`), the compressed article, the body's
  sentence keys, and the post's LSH band keys;
* ``b:<table>:<band>:<key>``: one set of ids per LSH bucket, for the tables ``f``
  (whole texts), ``l`` (leads) and ``p`` (paragraph leads); a set Redis drops when it
  empties;
* ``acct:learned`` (hash account -> learned sentence count) and, per account,
  ``acct:<h>:ids`` and ``acct:<h>:sens`` (sets of ids), ``acct:<h>:bodies`` (hash body
  key -> posts with that body), ``acct:<h>:sents`` (hash sentence key -> distinct
  bodies containing it).

Writers (add and remove steps) take the lock; each step is one MULTI/EXEC
transaction, whole or not at all. Readers never take the lock.

Everything read from Redis is data: a manifest's config is checked, stored posts are
validated by the codec, and URLs are redacted (password) wherever they are shown.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from numpy.typing import NDArray

from dedup.boilerplate import AccountChange, AccountState
from dedup.chrome import SKETCH_SIZE, BodyRun, ChromeChange
from dedup.columns import arrays_from_bytes, arrays_to_bytes
from dedup.exceptions import ConfigError, IndexConnectionError, IndexFileError
from dedup.index_storage import StoredPost, posts_from_arrays, posts_to_arrays
from dedup.lsh import PostBands

if TYPE_CHECKING:
    import redis

__all__ = ["RedisStorage", "is_redis_url", "redact"]

logger = logging.getLogger(__name__)

_SCHEMES = ("redis", "rediss", "unix")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# Query parameters of a Redis URL that carry a secret.
_SECRET_PARAMS = frozenset({"password", "pass", "passwd", "pwd", "auth", "token"})
_TABLES = ("f", "l", "p")


def redact(url: str) -> str:
    """A Redis URL fit to show: the password (``:pw@`` or ``?password=``) replaced by ``***``.

    Examples
    --------
    >>> redact("redis://:s3cret@host:6379/0?index=news")
    'redis://:***@host:6379/0?index=news'
    >>> redact("redis://host/0?password=s3cret&index=news")
    'redis://host/0?password=***&index=news'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<an invalid URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, sep, _ = userinfo.partition(":")
        if sep:
            netloc = f"{user}:***@{host}"
    query = [
        (k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="*")))


def is_redis_url(location: object) -> bool:
    """Tell whether ``location`` names a Redis index (``redis://``, ``rediss://``, ``unix://``).

    Examples
    --------
    >>> is_redis_url("redis://localhost:6379/0?index=news"), is_redis_url("posts.dedup")
    (True, False)
    """
    if not isinstance(location, str) or "://" not in location:
        return False
    return location.split("://", 1)[0].lower() in _SCHEMES


def _parse_url(url: str) -> tuple[str, str]:
    """Split ``redis://...?index=NAME`` into a client URL and the index name."""
    from redis.connection import parse_url

    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = [v for k, v in query if k == "index"]
    name = names[-1] if names else "dedup"
    if not _NAME_RE.match(name):
        msg = f"index name must be 1-64 letters, digits, '_', '.' or '-', got {name!r}"
        raise ConfigError(msg)
    client_url = urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query if k != "index"])))
    try:
        parse_url(client_url)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        msg = f"not a valid Redis URL {redact(url)!r}: {exc}"
        raise ConfigError(msg) from None
    return client_url, name


def _bytes(value: Any) -> bytes:
    """A Redis reply as bytes (the client is created without ``decode_responses``)."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


def _text(value: Any) -> str:
    return _bytes(value).decode("utf-8", "surrogatepass")


def _account_key(account: str) -> str:
    return hashlib.blake2b(account.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _u8(key: int) -> bytes:
    return int(key).to_bytes(8, "little")


def _pack_bands(bands: PostBands) -> bytes:
    head = np.array([len(bands.full), len(bands.lead), len(bands.paragraphs)], dtype="<u8")
    parts = (bands.full, bands.lead, bands.paragraphs)
    return head.tobytes() + b"".join(p.astype("<u8").tobytes() for p in parts)


def _unpack_bands(blob: bytes, id_: str) -> PostBands:
    try:
        bf, bl, k = np.frombuffer(blob, dtype="<u8", count=3).tolist()
        body = np.frombuffer(blob, dtype="<u8", offset=24).astype(np.uint64)
        if len(body) != bf + bl + k * bl:
            problem = "size"
            raise ValueError(problem)
    except ValueError:
        msg = f"the stored band keys of {id_!r} are corrupted"
        raise IndexFileError(msg) from None
    return PostBands(body[:bf], body[bf : bf + bl], body[bf + bl :].reshape(k, bl))


class RedisStorage:
    """Storage of an index in Redis (see the module docstring for the layout).

    Parameters
    ----------
    url : str
        ``redis://[:password@]host[:port][/db][?index=NAME]`` (also ``rediss://``,
        ``unix://``).
    width : str
        Hash width of the index's MinHash scheme (``"uint32"`` or ``"uint64"``); set by
        :meth:`setup` from the recorded config.
    """

    kind = "redis"

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:  # pragma: no cover - the extra is installed in tests
            msg = "a redis:// index needs the redis package: pip install 'dedup[redis]'"
            raise ConfigError(msg) from None
        self._redis_mod = redis
        client_url, name = _parse_url(url)
        self.location = redact(url)
        self.prefix = f"dedup:{name}:"
        self._client: redis.Redis = redis.Redis.from_url(client_url)
        try:
            self._client.ping()
        except redis.RedisError as exc:
            self._client.close()
            msg = f"cannot reach Redis at {self.location}: {_message(exc)}"
            raise IndexConnectionError(msg) from None
        self._width = "uint32"
        self._unreleased: Any = None  # this object's writer lock, if releasing it failed

    def _k(self, suffix: str) -> str:
        return self.prefix + suffix

    def _acct(self, account: str, what: str) -> str:
        return f"{self.prefix}acct:{_account_key(account)}:{what}"

    def _bucket(self, table: str, band: int, key: int) -> str:
        return f"{self.prefix}b:{table}:{band}:{key:016x}"

    # -- setup -------------------------------------------------------------------
    def load_meta(self) -> dict[str, Any] | None:
        raw = self._client.get(self._k("meta"))
        if raw is None:
            return None
        try:
            meta = json.loads(_bytes(raw))
        except ValueError:
            msg = f"{self.location}: the index manifest is not valid JSON"
            raise IndexFileError(msg) from None
        if not isinstance(meta, dict):
            msg = f"{self.location}: the index manifest is not an object"
            raise IndexFileError(msg)
        return meta

    def store_meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        # SET NX: when two workers create one index at once, the first manifest wins.
        self._client.set(self._k("meta"), json.dumps(meta, ensure_ascii=False), nx=True)
        stored = self.load_meta()
        assert stored is not None
        return stored

    def setup(self, bands: tuple[int, int], *, width: str = "uint32") -> None:
        self._width = width

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        lock = self._unreleased
        if lock is not None and lock.owned():
            # Still ours: a step's release failed (Redis went away and came back with
            # its data). Take it up again rather than wait up to 600 s for it to expire.
            lock.reacquire()
        else:
            # Not thread-local: the token must survive for the retry by another thread.
            lock = self._client.lock(self._k("lock"), timeout=600, blocking_timeout=600, thread_local=False)
            if not lock.acquire():
                msg = f"{self.location}: another writer held the index lock for more than 600 s"
                raise IndexConnectionError(msg)
        self._unreleased = None
        try:
            self._check_present(bool(self._client.exists(self._k("meta"))))
            yield
        finally:
            token = lock.local.token  # release() forgets it even when it fails
            try:
                lock.release()
            except self._redis_mod.RedisError as exc:
                # The step is written, or the error that ended it is on its way up: never
                # mask that. The lock expires on its own, or this object takes it up again.
                lock.local.token = token
                self._unreleased = lock
                logger.warning("%s: could not release the writer lock: %s", self.location, _message(exc))

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turn the Redis client's errors into an :class:`IndexConnectionError` naming the server."""
        try:
            yield
        except self._redis_mod.RedisError as exc:
            detail = _message(exc)
            if isinstance(exc, (self._redis_mod.ConnectionError, self._redis_mod.TimeoutError)):
                msg = f"lost the connection to Redis at {self.location}: {detail}"
            else:
                msg = f"Redis at {self.location} failed: {detail}"
            raise IndexConnectionError(msg) from None

    def _check_present(self, present: bool) -> None:
        """Raise if the manifest is missing: the index was deleted, or Redis lost its data.

        Checked by every read that could otherwise answer "nothing" (count, membership,
        candidates, snapshot) and by every write step, in the same round trip where it
        can be: a server that restarted empty must not look like an empty index.
        """
        if not present:
            msg = f"{self.location}: the index is gone (its keys were deleted, or Redis restarted without its data)"
            raise IndexFileError(msg)

    def close(self) -> None:
        self._client.close()

    # -- reads -------------------------------------------------------------------
    def count(self) -> int:
        pipe = self._client.pipeline(transaction=False)
        pipe.exists(self._k("meta"))
        pipe.hlen(self._k("post"))
        present, n = pipe.execute()
        self._check_present(bool(present))
        return int(n)

    def account_count(self) -> int:
        return int(self._client.hlen(self._k("acct:learned")))

    def contains(self, ids: Sequence[str]) -> list[bool]:
        if not ids:
            return []
        pipe = self._client.pipeline(transaction=False)
        pipe.exists(self._k("meta"))
        for i in ids:
            pipe.hexists(self._k("post"), i)
        present, *there = pipe.execute()
        self._check_present(bool(present))
        return [bool(x) for x in there]

    def _decode(self, id_: str, blob: Any, doc: Any) -> StoredPost:
        post = posts_from_arrays(arrays_from_bytes(_bytes(blob)), width=self._width)
        if len(post) != 1 or post[0].id != id_:
            msg = f"{self.location}: the stored post under {id_!r} is another post"
            raise IndexFileError(msg)
        post[0].doc = _bytes(doc) if doc is not None else b""
        return post[0]

    def posts(self, ids: Sequence[str], *, docs: bool = False) -> list[StoredPost | None]:
        if not ids:
            return []
        blobs = self._client.hmget(self._k("post"), list(ids))
        texts = self._client.hmget(self._k("doc"), list(ids)) if docs else [None] * len(ids)
        return [
            self._decode(i, blob, doc) if blob is not None else None
            for i, blob, doc in zip(ids, blobs, texts, strict=True)
        ]

    def docs(self, ids: Sequence[str]) -> list[bytes | None]:
        if not ids:
            return []
        return [_bytes(d) if d is not None else None for d in self._client.hmget(self._k("doc"), list(ids))]

    def candidates(self, bands: PostBands) -> set[str]:
        # One SMEMBERS per band of every lookup the candidate rule makes, in one round trip.
        pipe = self._client.pipeline(transaction=False)
        pipe.exists(self._k("meta"))
        lookups = [("f", bands.full), ("l", bands.lead), ("p", bands.lead)]
        lookups += [("l", row) for row in bands.paragraphs]
        for table, keys in lookups:
            for band, key in enumerate(keys.tolist()):
                pipe.smembers(self._bucket(table, band, key))
        present, *replies = pipe.execute()
        self._check_present(bool(present))
        return {_text(member) for members in replies for member in members}

    def account_state(self, account: str, sentences: Sequence[int], bodies: Sequence[int]) -> AccountState:
        pipe = self._client.pipeline(transaction=False)
        pipe.hlen(self._acct(account, "bodies"))
        pipe.hget(self._k("acct:learned"), _account_key(account))
        if sentences:
            pipe.hmget(self._acct(account, "sents"), [_u8(h) for h in sentences])
        if bodies:
            pipe.hmget(self._acct(account, "bodies"), [_u8(b) for b in bodies])
        res = pipe.execute()
        counts = [int(c or 0) for c in res[2]] if sentences else []
        copies = [int(c or 0) for c in res[-1]] if bodies else []
        return AccountState(
            posts=int(res[0]),
            learned=int(res[1] or 0),
            counts=dict(zip(sentences, counts, strict=True)),
            copies=dict(zip(bodies, copies, strict=True)),
        )

    def sentences_counted(self, account: str, lo: int, hi: int) -> NDArray[np.uint64]:
        out = [
            int.from_bytes(_bytes(k), "little")
            for k, v in self._client.hgetall(self._acct(account, "sents")).items()
            if lo <= int(v) < hi
        ]
        return np.array(sorted(out), dtype=np.uint64)

    def posts_with(self, account: str, sentences: NDArray[np.uint64]) -> set[str]:
        if not len(sentences):
            return set()
        ids = [_text(i) for i in self._client.smembers(self._acct(account, "ids"))]
        if not ids:
            return set()
        out = set()
        for id_, blob in zip(ids, self._client.hmget(self._k("sent"), ids), strict=True):
            if blob is not None and np.isin(np.frombuffer(_bytes(blob), dtype="<u8"), sentences).any():
                out.add(id_)
        return out

    def sensitive_posts(self, account: str) -> set[str]:
        return {_text(i) for i in self._client.smembers(self._acct(account, "sens"))}

    # -- page chrome -------------------------------------------------------------
    def _hex(self, key: int) -> str:
        return f"{int(key):016x}"

    def body_refs(self, body_keys: Sequence[int]) -> list[int]:
        if not body_keys:
            return []
        pipe = self._client.pipeline(transaction=False)
        for b in body_keys:
            pipe.hlen(self._k(f"cb:posts:{self._hex(b)}"))
        return [int(n) for n in pipe.execute()]

    def body_runs(self, body_keys: Sequence[int]) -> list[BodyRun]:
        if not body_keys:
            return []
        blobs = self._client.hmget(self._k("cb:run"), [self._hex(b) for b in body_keys])
        out = []
        for b, blob in zip(body_keys, blobs, strict=True):
            if blob is None:
                msg = f"{self.location}: the stored sentences of a body are missing"
                raise IndexFileError(msg)
            out.append(_unpack_run(int(b), _bytes(blob)))
        return out

    def sentence_counts(self, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
        if not len(keys):
            return np.zeros(0, np.int64)
        pipe = self._client.pipeline(transaction=False)
        for k in keys.tolist():
            pipe.scard(self._k(f"cs:{self._hex(k)}"))
        return np.array([int(c) for c in pipe.execute()], dtype=np.int64)

    def bodies_with(self, keys: NDArray[np.uint64]) -> set[int]:
        if not len(keys):
            return set()
        pipe = self._client.pipeline(transaction=False)
        for k in keys.tolist():
            pipe.smembers(self._k(f"cs:{self._hex(k)}"))
        return {int(_text(m), 16) for members in pipe.execute() for m in members}

    def chrome_keys(self) -> NDArray[np.uint64]:
        return np.array(sorted(int(_text(m), 16) for m in self._client.smembers(self._k("chrome"))), dtype=np.uint64)

    def posts_of_bodies(self, body_keys: set[int]) -> dict[str, str]:
        if not body_keys:
            return {}
        pipe = self._client.pipeline(transaction=False)
        for b in sorted(body_keys):
            pipe.hgetall(self._k(f"cb:posts:{self._hex(b)}"))
        return {_text(i): _text(a) for found in pipe.execute() for i, a in found.items()}

    def _gone_runs(self, change: ChromeChange | None) -> dict[int, BodyRun]:
        # Read before the transaction: the sentences of the bodies that lose their last post.
        gone = sorted(b for b, refs in (change.refs.items() if change is not None else ()) if refs == 0)
        if not gone:
            return {}
        blobs = self._client.hmget(self._k("cb:run"), [self._hex(b) for b in gone])
        return {b: _unpack_run(b, _bytes(blob)) for b, blob in zip(gone, blobs, strict=True) if blob is not None}

    def _write_chrome(
        self,
        pipe: Any,
        inserted: Sequence[StoredPost],
        deleted: Sequence[StoredPost],
        change: ChromeChange,
        gone_runs: dict[int, BodyRun],
    ) -> None:
        for post in deleted:
            pipe.hdel(self._k(f"cb:posts:{self._hex(post.body_key)}"), post.id)
        for post in inserted:
            pipe.hset(self._k(f"cb:posts:{self._hex(post.body_key)}"), post.id, post.account)
        for b, run in gone_runs.items():
            for k in run.keys.tolist():
                pipe.srem(self._k(f"cs:{self._hex(k)}"), self._hex(b))
            pipe.hdel(self._k("cb:run"), self._hex(b))
        for run in change.runs:
            pipe.hset(self._k("cb:run"), self._hex(run.body_key), _pack_run(run))
            for k in run.keys.tolist():
                pipe.sadd(self._k(f"cs:{self._hex(k)}"), self._hex(run.body_key))
        if len(change.on):
            pipe.sadd(self._k("chrome"), *[self._hex(k) for k in change.on.tolist()])
        if len(change.off):
            pipe.srem(self._k("chrome"), *[self._hex(k) for k in change.off.tolist()])

    def band_rows(self, posts: Sequence[StoredPost]) -> list[PostBands] | None:
        if not posts:
            return []
        blobs = self._client.hmget(self._k("bands"), [p.id for p in posts])
        out = []
        for post, blob in zip(posts, blobs, strict=True):
            if blob is None:
                return None
            out.append(_unpack_bands(_bytes(blob), post.id))
        return out

    def snapshot(self) -> Iterator[StoredPost]:
        self._check_present(bool(self._client.exists(self._k("meta"))))
        batch: list[tuple[str, bytes]] = []
        for key, blob in self._client.hscan_iter(self._k("post"), count=1000):
            batch.append((_text(key), _bytes(blob)))
            if len(batch) >= 1000:
                yield from self._with_docs(batch)
                batch = []
        yield from self._with_docs(batch)

    def _with_docs(self, batch: list[tuple[str, bytes]]) -> Iterator[StoredPost]:
        if not batch:
            return
        docs = self._client.hmget(self._k("doc"), [i for i, _ in batch])
        for (id_, blob), doc in zip(batch, docs, strict=True):
            if doc is not None:
                yield self._decode(id_, blob, doc)

    # -- writes ------------------------------------------------------------------
    def write(
        self,
        *,
        insert: Sequence[tuple[StoredPost, PostBands]],
        replace: Sequence[tuple[StoredPost, PostBands]],
        delete: Sequence[StoredPost],
        changes: Sequence[AccountChange],
        chrome: ChromeChange | None = None,
    ) -> None:
        # One step is one MULTI/EXEC transaction: Redis applies all of it, or (when the
        # connection, the server or this process goes away before EXEC) none of it. A
        # failed step thus never leaves posts counted but missing from the LSH buckets,
        # or old posts taken out of the buckets and not put back (a silently incomplete
        # index). Concurrent queries see the index before or after the step. The band
        # keys of the posts going out are read first: the writer lock keeps them valid
        # until EXEC. Every command is idempotent (redis-py may send the transaction
        # again when the connection breaks while EXEC's reply is on its way).
        gone = [p.id for p in delete] + [p.id for p, _ in replace]
        old_bands = self._client.hmget(self._k("bands"), gone) if gone else []
        gone_runs = self._gone_runs(chrome)
        pipe = self._client.pipeline(transaction=True)
        if chrome is not None:
            self._write_chrome(pipe, [p for p, _ in insert], delete, chrome, gone_runs)
        for id_, blob in zip(gone, old_bands, strict=True):
            if blob is not None:
                self._unbucket(pipe, id_, _unpack_bands(_bytes(blob), id_))
        for post in delete:
            for what in ("post", "doc", "sent", "bands"):
                pipe.hdel(self._k(what), post.id)
            if post.account:
                pipe.srem(self._acct(post.account, "ids"), post.id)
                pipe.srem(self._acct(post.account, "sens"), post.id)
        for post, _ in replace:
            pipe.hset(self._k("post"), post.id, arrays_to_bytes(posts_to_arrays([post], docs=False)))
            pipe.hdel(self._k("bands"), post.id)
        for post, _ in insert:
            pipe.hset(self._k("post"), post.id, arrays_to_bytes(posts_to_arrays([post], docs=False)))
            pipe.hset(self._k("doc"), post.id, post.doc)
            if post.account:
                pipe.hset(self._k("sent"), post.id, post.sentences.astype("<u8").tobytes())
                pipe.sadd(self._acct(post.account, "ids"), post.id)
                if post.sensitive:
                    pipe.sadd(self._acct(post.account, "sens"), post.id)
        # Boilerplate figures: the new values, computed under the writer lock.
        for ch in changes:
            for what, values in (("bodies", ch.copies_after), ("sents", ch.counts_after)):
                key = self._acct(ch.account, what)
                for k, v in values.items():
                    if v > 0:
                        pipe.hset(key, _u8(k), v)
                    else:
                        pipe.hdel(key, _u8(k))
            if ch.posts_after > 0:
                pipe.hset(self._k("acct:learned"), _account_key(ch.account), ch.learned)
            else:
                pipe.hdel(self._k("acct:learned"), _account_key(ch.account))
        for post, bands in [*replace, *insert]:
            if post.eligible:
                pipe.hset(self._k("bands"), post.id, _pack_bands(bands))
                self._bucket_in(pipe, post.id, bands)
        pipe.execute()

    def _bucket_in(self, pipe: Any, id_: str, bands: PostBands) -> None:
        for band, key in enumerate(bands.full.tolist()):
            pipe.sadd(self._bucket("f", band, key), id_)
        for band, key in enumerate(bands.lead.tolist()):
            pipe.sadd(self._bucket("l", band, key), id_)
        for row in bands.paragraphs:
            for band, key in enumerate(row.tolist()):
                pipe.sadd(self._bucket("p", band, key), id_)

    def _unbucket(self, pipe: Any, id_: str, bands: PostBands) -> None:
        for band, key in enumerate(bands.full.tolist()):
            pipe.srem(self._bucket("f", band, key), id_)
        for band, key in enumerate(bands.lead.tolist()):
            pipe.srem(self._bucket("l", band, key), id_)
        for row in bands.paragraphs:
            for band, key in enumerate(row.tolist()):
                pipe.srem(self._bucket("p", band, key), id_)

    def clear(self) -> None:
        # The config stays, and so does the writer lock that this clear runs under.
        keep = {self._k("meta").encode(), self._k("lock").encode()}
        batch: list[bytes] = []
        for key in self._client.scan_iter(match=self.prefix + "*", count=1000):
            if _bytes(key) not in keep:
                batch.append(_bytes(key))
            if len(batch) >= 1000:
                self._client.delete(*batch)
                batch = []
        if batch:
            self._client.delete(*batch)


def _pack_run(run: BodyRun) -> bytes:
    head = np.array([len(run.keys), run.length, run.grams], dtype="<i8")
    return b"".join(
        (
            head.tobytes(),
            run.sketch.astype("<u4").tobytes(),
            run.keys.astype("<u8").tobytes(),
            run.sizes.astype("<i8").tobytes(),
        )
    )


def _unpack_run(body_key: int, blob: bytes) -> BodyRun:
    try:
        n, length, grams = np.frombuffer(blob, dtype="<i8", count=3).tolist()
        at = 24 + 4 * SKETCH_SIZE
        if n < 0 or len(blob) != at + 16 * n:
            raise ValueError
        sketch = np.frombuffer(blob, dtype="<u4", count=SKETCH_SIZE, offset=24).astype(np.uint32)
        keys = np.frombuffer(blob, dtype="<u8", count=n, offset=at).astype(np.uint64)
        sizes = np.frombuffer(blob, dtype="<i8", count=n, offset=at + 8 * n).astype(np.int64)
    except ValueError:
        msg = "the stored sentences of a body are corrupted"
        raise IndexFileError(msg) from None
    return BodyRun(body_key, keys, sizes, int(length), sketch, int(grams))


def _message(exc: BaseException) -> str:
    """An exception as one line (Redis errors may quote the URL: never its password)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
