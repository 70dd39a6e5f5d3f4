from __future__ import annotations

import multiprocessing
import os
import signal
from typing import Any

import pytest

from dedup.parallel import FrozenHeap, WorkerError, WorkerPool, default_start_method


def scaled(factor: int, x: int) -> int:
    return factor * x


def failing(_: None, x: int) -> int:
    if x == 3:
        msg = f"task {x} fails"
        raise ValueError(msg)
    return x


def dying(_: None, x: int) -> int:
    if x == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def worker_pid(_: None, x: int) -> int:
    return os.getpid()


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_results_come_in_task_order_with_the_given_state(start_method: str) -> None:
    with WorkerPool(2, 10, start_method=start_method) as pool:  # type: ignore[arg-type]
        assert list(pool.map(scaled, range(50), ahead=3)) == [10 * x for x in range(50)]
        assert list(pool.map(scaled, [])) == []
        assert pool.inherits == (start_method == "fork")


def meet(barrier: Any, _: int) -> int:
    # Two tasks pass only together: in two workers at once (one worker alone times out).
    barrier.wait(timeout=30)
    return os.getpid()


def test_every_worker_takes_tasks() -> None:
    barrier = multiprocessing.get_context(default_start_method()).Barrier(2)
    with WorkerPool(2, barrier) as pool:
        pids = set(pool.map(meet, range(4), ahead=4))
    assert len(pids) == 2 and os.getpid() not in pids


def test_a_task_error_is_raised_in_the_parent() -> None:
    with WorkerPool(2, None) as pool, pytest.raises(ValueError, match="task 3 fails"):
        list(pool.map(failing, range(6)))


def test_a_dead_worker_is_an_error_not_a_hang() -> None:
    with WorkerPool(2, None) as pool, pytest.raises(WorkerError, match="died"):
        list(pool.map(dying, range(6)))


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="workers"):
        WorkerPool(0, None)


def frozen_objects(_: None, x: int) -> int:
    import gc

    return gc.get_freeze_count()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_forked_workers_leave_the_parents_objects_unscanned() -> None:
    import gc

    batch = [{"post": k} for k in range(10_000)]  # objects the collector tracks
    with WorkerPool(2, batch, start_method="fork") as pool:
        counts = list(pool.map(frozen_objects, range(4)))
    # In the workers the inherited objects are frozen (a collection there would write to
    # every page holding them); the parent's collector is back as it was.
    assert min(counts) >= len(batch)
    assert gc.get_freeze_count() == 0


def test_carried_texts_arrive_whole_and_leave_no_utf8_copy_behind() -> None:
    import pickle
    import sys

    from dedup.parallel import CarriedTexts

    texts = {3: "荷叶塘社区开展垃圾分类宣传活动" * 30, 5: "", 8: "a\ud800b", 9: "plain ascii"}
    sizes = {k: sys.getsizeof(v) for k, v in texts.items()}
    arrived = pickle.loads(pickle.dumps(CarriedTexts(texts)))
    assert arrived == texts and type(arrived) is dict
    assert {k: sys.getsizeof(v) for k, v in texts.items()} == sizes


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_pool_started_inside_a_frozen_heap_leaves_it_frozen() -> None:
    import gc

    heap = FrozenHeap()
    batch = [{"post": k} for k in range(10_000)]
    heap.hold()
    try:
        held = gc.get_freeze_count()
        with WorkerPool(2, batch, start_method="fork") as pool:
            counts = list(pool.map(frozen_objects, range(4)))
        assert min(counts) >= len(batch)
        assert gc.get_freeze_count() >= held  # the pool's own thaw does not release the heap
    finally:
        heap.release()
    assert gc.get_freeze_count() == 0
    heap.release()  # a second release changes nothing
    assert gc.get_freeze_count() == 0
