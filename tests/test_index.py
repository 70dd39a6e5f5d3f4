from __future__ import annotations

import numpy as np
import pytest

from dedup import ConfigError, DuplicateIdError, LSHIndex, candidate_pairs, minhash_signatures


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


def test_add_query_remove(signatures: np.ndarray) -> None:
    index = LSHIndex(threshold=0.5, num_perm=128)
    index.add_many(["a", "b", "c", "d"], signatures[:4])
    assert sorted(index.query(signatures[0])) == ["a", "b"]
    assert sorted(index.query(signatures[4])) == []
    assert len(index) == 4 and "c" in index
    index.remove("b")
    assert sorted(index.query(signatures[0])) == ["a"]
    assert len(index) == 3 and "b" not in index
    with pytest.raises(KeyError):
        index.remove("b")


def test_duplicate_keys_rejected(signatures: np.ndarray) -> None:
    index = LSHIndex(threshold=0.5, num_perm=128)
    index.add("a", signatures[0])
    with pytest.raises(DuplicateIdError, match="'a' is already in the index"):
        index.add("a", signatures[1])
    with pytest.raises(DuplicateIdError):
        index.add_many(["x", "x"], signatures[:2])


def test_wrong_shapes_and_thresholds(signatures: np.ndarray) -> None:
    with pytest.raises(ConfigError, match="threshold"):
        LSHIndex(threshold=1.0, num_perm=128)
    index = LSHIndex(threshold=0.5, num_perm=64)
    with pytest.raises(ConfigError, match=r"shape \(64,\)"):
        index.add("a", signatures[0])


def test_candidate_pairs_and_subset(signatures: np.ndarray) -> None:
    assert candidate_pairs(signatures, threshold=0.5).tolist() == [[0, 1], [2, 3]]
    assert candidate_pairs(signatures, threshold=0.5, subset=[0, 2, 3]).tolist() == [[2, 3]]
    assert candidate_pairs(signatures[:1], threshold=0.5).shape == (0, 2)


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_candidate_pairs_equal_minhash_lsh_queries(threshold: float) -> None:
    rng = np.random.default_rng(0)
    sets = []
    for _ in range(300):
        base = np.unique(rng.integers(0, 2**40, size=200, dtype=np.uint64))
        keep = int(rng.integers(20, 200))
        sets.append(base)
        sets.append(np.unique(np.concatenate([base[:keep], rng.integers(0, 2**40, size=200 - keep, dtype=np.uint64)])))
    sig = minhash_signatures(sets, num_perm=128)
    index = LSHIndex(threshold=threshold, num_perm=128)
    index.add_many([str(i) for i in range(len(sets))], sig)
    expected = set()
    for i in range(len(sets)):
        for key in index.query(sig[i]):
            if int(key) != i:
                expected.add((min(i, int(key)), max(i, int(key))))
    got = {tuple(p) for p in candidate_pairs(sig, threshold=threshold).tolist()}
    assert got == expected


def test_oversized_buckets_are_bounded() -> None:
    same = np.arange(50, dtype=np.uint64)
    sig = minhash_signatures([same] * 30, num_perm=64)
    full = candidate_pairs(sig, threshold=0.5)
    assert len(full) == 30 * 29 // 2
    capped = candidate_pairs(sig, threshold=0.5, max_bucket=3)
    assert len(capped) == 29 + 28  # each row with the next two
    # every row is still connected to the others
    assert set(capped.ravel().tolist()) == set(range(30))
