from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHashLSH

from dedup.lsh import BandTable, PostBands, band_keys, colliding_rows, lsh_params
from dedup.signature import minhash_signatures, to_lean_minhash


@pytest.fixture
def signatures() -> np.ndarray:
    sets = [
        np.arange(0, 100, dtype=np.uint64),
        np.arange(10, 110, dtype=np.uint64),  # Jaccard 0.82 with row 0
        np.arange(5000, 5100, dtype=np.uint64),
        np.arange(5005, 5105, dtype=np.uint64),
        np.arange(9000, 9100, dtype=np.uint64),
    ]
    return minhash_signatures(sets, num_perm=128)


def keys_of(signatures: np.ndarray, threshold: float) -> np.ndarray:
    b, r = lsh_params(threshold, signatures.shape[1])
    return band_keys(signatures, b=b, r=r)


def test_colliding_rows(signatures: np.ndarray) -> None:
    keys = keys_of(signatures, 0.5)
    assert colliding_rows(keys, max_bucket=200).tolist() == [[0, 1], [2, 3]]
    assert colliding_rows(keys[:1], max_bucket=200).shape == (0, 2)


@pytest.mark.parametrize("num_perm", [16, 32, 64, 100, 128, 256])
def test_lsh_params_are_minhash_lshs(num_perm: int) -> None:
    for threshold in [t / 100 for t in range(5, 100, 5)] + [0.33, 0.42, 0.67, 0.72]:
        try:
            lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        except ValueError:  # datasketch refuses one band; one band is a valid banding here
            assert lsh_params(threshold, num_perm)[0] == 1
            continue
        assert lsh_params(threshold, num_perm) == (lsh.b, lsh.r)


def test_a_check_does_not_import_datasketch() -> None:
    # (SciPy comes with it: half a second of every run and of every spawned worker)
    code = (
        "import sys; from dedup import Article, find_duplicates; "
        "find_duplicates([Article(id=str(i), text='社区开展垃圾分类宣传活动, 居民积极参与.' * 3) for i in range(2)]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('datasketch', 'scipy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def datasketch_pairs(signatures: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    lsh = MinHashLSH(threshold=threshold, num_perm=signatures.shape[1])
    minhashes = [to_lean_minhash(row, seed=1, scheme="affine32") for row in signatures]
    for i, m in enumerate(minhashes):
        lsh.insert(str(i), m)
    out = set()
    for i, m in enumerate(minhashes):
        for key in lsh.query(m):
            if int(key) != i:
                out.add((min(i, int(key)), max(i, int(key))))
    return out


@pytest.mark.parametrize("threshold", [0.2, 0.3, 0.5, 0.8])
def test_colliding_rows_equal_minhash_lsh_queries(threshold: float) -> None:
    rng = np.random.default_rng(0)
    sets = []
    for _ in range(300):
        base = np.unique(rng.integers(0, 2**40, size=200, dtype=np.uint64))
        keep = int(rng.integers(20, 200))
        sets.append(base)
        sets.append(np.unique(np.concatenate([base[:keep], rng.integers(0, 2**40, size=200 - keep, dtype=np.uint64)])))
    sig = minhash_signatures(sets, num_perm=128)
    got = {tuple(p) for p in colliding_rows(keys_of(sig, threshold), max_bucket=10_000).tolist()}
    assert got == datasketch_pairs(sig, threshold)


def test_band_table_answers_like_colliding_rows() -> None:
    rng = np.random.default_rng(1)
    sets = [np.unique(rng.integers(0, 400, size=60, dtype=np.uint64)) for _ in range(120)]
    keys = keys_of(minhash_signatures(sets, num_perm=128), 0.3)
    expected = {tuple(p) for p in colliding_rows(keys, max_bucket=10_000).tolist()}
    table = BandTable(keys.shape[1])
    table.put(np.arange(60), keys[:60])  # pending rows
    table.put(np.arange(60, 120), keys[60:], rebuild=False)
    table.rebuild()
    got = set()
    for i in range(len(keys)):
        got |= {(min(i, j), max(i, j)) for j in table.query(keys[i]).tolist() if j != i}
    assert got == expected
    table.drop([0])
    assert 0 not in table.query(keys[0]).tolist()


def test_oversized_buckets_are_bounded() -> None:
    same = np.arange(50, dtype=np.uint64)
    keys = keys_of(minhash_signatures([same] * 30, num_perm=64), 0.5)
    full = colliding_rows(keys, max_bucket=200)
    assert len(full) == 30 * 29 // 2
    capped = colliding_rows(keys, max_bucket=3)
    assert len(capped) == 29 + 28  # each row with the next two
    # every row is still connected to the others
    assert set(capped.ravel().tolist()) == set(range(30))


def test_per_row_cap_keeps_the_strongest_partners() -> None:
    # Row 0 shares 3 bands with row 1, 1 band with rows 2..5.
    keys = np.array([[1, 2, 3], [1, 2, 3], [1, 9, 9], [1, 8, 8], [1, 7, 7], [1, 6, 6]], dtype=np.uint64)
    rank = np.arange(6, dtype=np.int64)[::-1].copy()
    capped = colliding_rows(keys, max_bucket=200, max_per_row=1, order=rank)
    partners_of_0 = {j for i, j in capped.tolist() if i == 0}
    assert 1 in partners_of_0


def test_caps_do_not_depend_on_row_order() -> None:
    # 40 identical rows (one oversized bucket) and a cap: permuting the rows with
    # their ranks permutes the pairs, nothing else.
    keys = np.ones((40, 3), dtype=np.uint64)
    rank = np.random.default_rng(3).permutation(40).astype(np.int64)
    pairs = colliding_rows(keys, max_bucket=5, max_per_row=3, order=rank)
    perm = np.random.default_rng(4).permutation(40)
    where = np.argsort(perm)  # new position of each old row
    moved = colliding_rows(keys[perm], max_bucket=5, max_per_row=3, order=rank[perm])
    expected = {tuple(sorted((int(where[i]), int(where[j])))) for i, j in pairs.tolist()}
    assert {tuple(p) for p in moved.tolist()} == expected


def test_per_row_cap_counts_every_shared_band_of_a_large_batch() -> None:
    # Over a million bucket pairs across 40 bands (merged into the distinct pairs
    # several bands at a time): each row keeps the partners sharing the most bands,
    # ties by the partner's rank, as a count over all bands says.
    rng = np.random.default_rng(7)
    n, b, limit = 6000, 40, 3
    keys = rng.integers(0, n // 10, size=(n, b)).astype(np.uint64)
    rank = rng.permutation(n).astype(np.int64)
    shared: dict[tuple[int, int], int] = {}
    for band in range(b):
        order = np.argsort(keys[:, band], kind="stable")
        column = keys[order, band]
        for members in np.split(order, np.flatnonzero(np.diff(column)) + 1):
            ids = sorted(members.tolist())
            for x, i in enumerate(ids):
                for j in ids[x + 1 :]:
                    shared[(i, j)] = shared.get((i, j), 0) + 1
    assert sum(shared.values()) > 2**20  # merged in more than once
    assert {tuple(p) for p in colliding_rows(keys, max_bucket=n).tolist()} == set(shared)
    partners: dict[int, list[tuple[int, int, int]]] = {}
    for (i, j), count in shared.items():
        partners.setdefault(i, []).append((-count, int(rank[j]), j))
        partners.setdefault(j, []).append((-count, int(rank[i]), i))
    kept = {(min(i, j), max(i, j)) for i, found in partners.items() for _, _, j in sorted(found)[:limit]}
    got = colliding_rows(keys, max_bucket=n, max_per_row=limit, order=rank)
    assert {tuple(p) for p in got.tolist()} == kept


def test_the_candidate_rule_for_one_pair() -> None:
    empty = np.zeros((0, 2), dtype=np.uint64)
    a = PostBands(np.array([1, 2], np.uint64), np.array([5, 6], np.uint64), np.array([[7, 8]], np.uint64))
    whole = PostBands(np.array([9, 2], np.uint64), np.array([0, 0], np.uint64), empty)
    lead_on_paragraph = PostBands(np.array([0, 0], np.uint64), np.array([3, 8], np.uint64), empty)
    paragraphs_only = PostBands(np.array([0, 0], np.uint64), np.array([0, 0], np.uint64), np.array([[7, 8]], np.uint64))
    assert a.collides(whole) and whole.collides(a)
    assert a.collides(lead_on_paragraph) and lead_on_paragraph.collides(a)
    assert not a.collides(paragraphs_only)  # two paragraph leads alone do not count
