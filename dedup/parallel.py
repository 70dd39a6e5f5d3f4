"""Worker processes with explicit state: the one way dedup runs work in parallel.

A :class:`WorkerPool` starts ``workers`` processes and hands each the same *state*
object once (inherited when processes are forked, pickled when they are spawned).
:meth:`WorkerPool.map` then runs ``function(state, task)`` for every task, results in
task order. There is no module-level state: two pools (say two threads each running a
check) never share anything, and a task function sees only the state it is given.

The start method is chosen once: ``fork`` where the platform has it (workers start
without re-importing, with the parent's loaded dictionary and batch in memory),
``spawn`` elsewhere; callers ask :attr:`WorkerPool.inherits` whether the state came
for free and shape their tasks accordingly.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import queue
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

from dedup.exceptions import DedupError

__all__ = ["CarriedTexts", "FrozenHeap", "StartMethod", "WorkerError", "WorkerPool", "default_start_method"]

K = TypeVar("K")
S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

StartMethod = Literal["fork", "spawn"]

# How often a waiting parent checks that its workers are still alive (seconds).
_POLL = 0.2


class WorkerError(DedupError, RuntimeError):
    """A worker process died (killed, out of memory) before finishing its task."""


class CarriedTexts(dict[K, str]):
    """Texts a task carries to a worker, pickled as one UTF-8 buffer.

    Pickling a ``str`` makes CPython keep its UTF-8 form inside the ``str`` for good, so
    a plain dict of the batch's texts sent to workers would leave the parent holding
    2.4 times their memory. This dict pickles its texts encoded (a temporary copy) and
    unpickles as a plain dict.

    Examples
    --------
    >>> import pickle
    >>> texts = CarriedTexts({3: "社区活动", 5: "x"})
    >>> pickle.loads(pickle.dumps(texts))
    {3: '社区活动', 5: 'x'}
    """

    def __reduce__(self) -> tuple[Callable[..., dict[K, str]], tuple[Any, ...]]:
        keys = list(self)
        encoded = [self[k].encode("utf-8", "surrogatepass") for k in keys]
        return _texts_of, (keys, b"".join(encoded), [len(e) for e in encoded])


def _texts_of(keys: list[K], blob: bytes, sizes: list[int]) -> dict[K, str]:
    out: dict[K, str] = {}
    start = 0
    for key, size in zip(keys, sizes, strict=True):
        out[key] = blob[start : start + size].decode("utf-8", "surrogatepass")
        start += size
    return out


def default_start_method() -> StartMethod:
    """``"fork"`` where the platform has it, else ``"spawn"``.

    Examples
    --------
    >>> default_start_method() in ("fork", "spawn")
    True
    """
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _serve(state: Any, tasks: Any, results: Any) -> None:
    """A worker's loop: run tasks against ``state`` until told to stop (``None``)."""
    while True:
        item = tasks.get()
        if item is None:
            return
        number, function, payload = item
        try:
            results.put((number, True, function(state, payload)))
        except BaseException as exc:  # sent to the parent, which re-raises it
            try:
                results.put((number, False, exc))
            except Exception:  # the exception itself does not pickle
                results.put((number, False, RuntimeError(f"{type(exc).__name__}: {exc}")))


class FrozenHeap:
    """Keeps a batch's long-lived objects out of the cyclic garbage collector while it is checked.

    The collector runs a full collection whenever the objects that survived earlier
    ones grow by a quarter, and a full collection scans every tracked object: a batch of
    a million posts holds tens of millions (its articles, the features coming back
    from the workers, the verdicts), and each full collection took over a second.
    :meth:`hold` moves every object alive now into the permanent generation, which the
    collector skips (``gc.freeze``: constant time); :meth:`release` puts them back.

    Frozen objects are still freed by reference counting when the batch lets go of
    them; only reference cycles among them wait for :meth:`release`. When objects were
    frozen already as the check started (by the host program, or by another check
    running in another thread), :meth:`release` leaves the permanent generation as it
    is: its owner releases it.

    Examples
    --------
    >>> import gc
    >>> heap = FrozenHeap()
    >>> batch = [{"id": str(i)} for i in range(1000)]
    >>> heap.hold()
    >>> gc.get_freeze_count() >= 1000
    True
    >>> heap.release()
    >>> gc.get_freeze_count()
    0
    """

    __slots__ = ("_owner",)

    def __init__(self) -> None:
        self._owner = gc.get_freeze_count() == 0

    def hold(self) -> None:
        """Leave every object alive now out of garbage collections until :meth:`release`."""
        gc.freeze()

    def release(self) -> None:
        """Let the collector see the held objects again (once; nothing if the freeze was not ours)."""
        if self._owner:
            self._owner = False
            gc.unfreeze()


class WorkerPool(Generic[S]):
    """Processes that each hold ``state`` and run ``function(state, task)``.

    Parameters
    ----------
    workers : int
        Processes to start (>= 1).
    state : object
        Given to every worker once; picklable when processes are spawned.
    start_method : {"fork", "spawn"}, optional
        Default: :func:`default_start_method`.

    Examples
    --------
    >>> def scaled(factor, x):
    ...     return factor * x
    >>> with WorkerPool(2, 10) as pool:  # doctest: +SKIP
    ...     list(pool.map(scaled, [1, 2, 3]))
    [10, 20, 30]
    """

    def __init__(self, workers: int, state: S, *, start_method: StartMethod | None = None) -> None:
        if workers < 1:
            msg = f"workers must be >= 1, got {workers}"
            raise ValueError(msg)
        self.start_method: StartMethod = start_method or default_start_method()
        context: Any = multiprocessing.get_context(self.start_method)
        self._tasks: Any = context.Queue()
        self._results: Any = context.Queue()
        self._processes = [
            context.Process(target=_serve, args=(state, self._tasks, self._results), daemon=True)
            for _ in range(workers)
        ]
        # A forked worker shares the parent's pages until it writes to them, and a garbage
        # collection writes to the header of every object it scans: a worker would copy
        # every page holding the batch's objects and spend its time scanning them. Frozen
        # objects are never scanned, in the worker (nor, meanwhile, in the parent).
        # (A check's FrozenHeap may hold objects frozen already: they stay frozen.)
        forking = self.start_method == "fork"
        thaw = forking and gc.get_freeze_count() == 0
        if forking:
            gc.freeze()
        try:
            for process in self._processes:
                process.start()
        finally:
            if thaw:
                gc.unfreeze()
        self._closed = False

    @property
    def inherits(self) -> bool:
        """True when the workers hold the parent's memory as it was at start (fork)."""
        return self.start_method == "fork"

    def __enter__(self) -> WorkerPool[S]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close(terminate=exc is not None)

    def map(self, function: Callable[[S, T], R], tasks: Iterable[T], *, ahead: int | None = None) -> Iterator[R]:
        """``function(state, task)`` for every task, in task order, computed by the workers.

        The first ``ahead`` tasks (default: twice the workers) are queued at once, the
        others as results come back, so a long stream of tasks does not pile up in
        memory. An exception raised by a task is raised here; a worker that dies raises
        :class:`WorkerError`.
        """
        limit = ahead if ahead is not None else 2 * len(self._processes)
        pending = iter(tasks)
        sent = 0
        for task in pending:
            self._tasks.put((sent, function, task))
            sent += 1
            if sent >= limit:
                break
        return self._collect(function, pending, sent, limit)

    def _collect(self, function: Callable[[S, T], R], pending: Iterator[T], sent: int, limit: int) -> Iterator[R]:
        received = 0
        done: dict[int, R] = {}
        while received < sent:
            while received not in done:
                number, ok, value = self._next_result()
                if not ok:
                    raise value
                done[number] = value
            yield done.pop(received)
            received += 1
            for task in pending:
                self._tasks.put((sent, function, task))
                sent += 1
                if sent - received >= limit:
                    break

    def _next_result(self) -> tuple[int, bool, Any]:
        while True:
            try:
                return self._results.get(timeout=_POLL)  # type: ignore[no-any-return]
            except queue.Empty:
                dead = [p for p in self._processes if not p.is_alive()]
                if dead:
                    codes = ", ".join(str(p.exitcode) for p in dead)
                    msg = f"{len(dead)} worker process(es) died (exit code {codes}); out of memory?"
                    raise WorkerError(msg) from None

    def close(self, *, terminate: bool = False) -> None:
        """Stop the workers (``terminate``: without waiting for queued tasks)."""
        if self._closed:
            return
        self._closed = True
        if not terminate:
            for _ in self._processes:
                with contextlib.suppress(OSError, ValueError):
                    self._tasks.put(None)
            for process in self._processes:
                process.join(timeout=10)
        for process in self._processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        for q in (self._tasks, self._results):
            q.close()
            if terminate:
                q.cancel_join_thread()  # nobody reads what is still buffered
            else:
                q.join_thread()
