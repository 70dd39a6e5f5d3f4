from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from dedup import Article, ConfigError, DedupConfig
from dedup.features import FeatureExtractor, Features
from dedup.signature import (
    TokenHasher,
    datasketch_minhash,
    minhash_signatures,
    permutations,
    sentence_hashes,
    shingle_hashes,
    shingle_hashes_many,
    sign,
    to_lean_minhash,
)


def random_sets(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.unique(rng.integers(0, 2**63, size=int(rng.integers(0, 300)), dtype=np.uint64)) for _ in range(n)]


@pytest.mark.parametrize(("scheme", "seed", "num_perm"), [("affine32", 1, 128), ("affine64", 7, 64)])
def test_rows_equal_datasketch_minhash(scheme: str, seed: int, num_perm: int) -> None:
    sets = random_sets(40)
    sig = minhash_signatures(sets, num_perm=num_perm, seed=seed, scheme=scheme)  # type: ignore[arg-type]
    for row, shingles in zip(sig, sets, strict=True):
        expected = datasketch_minhash(shingles, num_perm=num_perm, seed=seed, scheme=scheme)  # type: ignore[arg-type]
        assert np.array_equal(row, expected.hashvalues)  # type: ignore[attr-defined]


@pytest.mark.parametrize("scheme", ["affine32", "affine64"])
@pytest.mark.parametrize(("seed", "num_perm"), [(0, 16), (1, 128), (12345, 256)])
def test_permutations_are_datasketchs(scheme: str, seed: int, num_perm: int) -> None:
    from datasketch import MinHash

    a, b = permutations(num_perm, seed, scheme)  # type: ignore[arg-type]
    expected = MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations  # type: ignore[arg-type]
    assert a.dtype == expected[0].dtype
    assert np.array_equal(a, expected[0])
    assert np.array_equal(b, expected[1])


def test_large_document_is_processed_in_slices() -> None:
    big = np.unique(np.random.default_rng(1).integers(0, 2**63, size=50_000, dtype=np.uint64))
    sig = minhash_signatures([big, big[:10]], num_perm=32)
    assert np.array_equal(sig[0], datasketch_minhash(big, num_perm=32).hashvalues)  # type: ignore[attr-defined]


def test_empty_set_gives_max_values() -> None:
    sig = minhash_signatures([np.zeros(0, dtype=np.uint64)], num_perm=16)
    assert (sig == np.iinfo(np.uint32).max).all()


def test_batch_composition_does_not_change_rows() -> None:
    sets = random_sets(30, seed=3)
    whole = minhash_signatures(sets, num_perm=64)
    alone = np.vstack([minhash_signatures([s], num_perm=64) for s in reversed(sets)])[::-1]
    assert np.array_equal(whole, alone)


def test_token_ids_are_stable_across_instances() -> None:
    a, b = TokenHasher(), TokenHasher()
    assert np.array_equal(a.ids(["社区", "活动"]), b.ids(["社区", "活动"]))
    # pinned value: changing the token hash would silently invalidate saved indexes
    assert int(a.ids(["社区"])[0]) == a.token_id("社区")


def test_shingles_are_order_sensitive_and_deduplicated() -> None:
    ids = TokenHasher().ids(["a", "b", "c", "a", "b"])
    assert len(shingle_hashes(ids, ngram_size=2)) == 3  # ab, bc, ca
    assert len(shingle_hashes(ids[:1], ngram_size=3)) == 1
    assert len(shingle_hashes(ids[:0], ngram_size=2)) == 0
    with pytest.raises(ConfigError):
        shingle_hashes(ids, ngram_size=0)


def test_jaccard_estimate_is_close() -> None:
    a = np.arange(0, 1000, dtype=np.uint64)
    b = np.arange(500, 1500, dtype=np.uint64)  # Jaccard 1/3
    sig = minhash_signatures([a, b], num_perm=512)
    estimate = float((sig[0] == sig[1]).mean())
    assert abs(estimate - 1 / 3) < 0.07


def test_lean_minhash_round_trip() -> None:
    sig = minhash_signatures(random_sets(1, seed=5), num_perm=32, seed=3)
    lean = to_lean_minhash(sig[0], seed=3, scheme="affine32")
    assert np.array_equal(lean.hashvalues, sig[0])  # type: ignore[attr-defined]


def test_bad_scheme() -> None:
    with pytest.raises(ConfigError, match="scheme"):
        minhash_signatures([], scheme="legacy")  # type: ignore[arg-type]


def test_shingles_of_concatenated_documents_equal_each_alone() -> None:
    ids = TokenHasher().ids([f"w{k % 7}" for k in range(40)])
    bounds = np.array([0, 0, 1, 2, 5, 17, 17, 40])
    for bits in (32, 64):
        for n in (1, 2, 3, 4):
            many = shingle_hashes_many(ids, bounds, ngram_size=n, bits=bits)  # type: ignore[arg-type]
            alone = [shingle_hashes(ids[a:b], ngram_size=n, bits=bits) for a, b in pairwise(bounds.tolist())]  # type: ignore[arg-type]
            assert len(many) == 7
            for m, a in zip(many, alone, strict=True):
                assert m.dtype == a.dtype and np.array_equal(m, a)


def test_shingle_hash_definition_is_pinned() -> None:
    # hash of (x, y) = fmix64(x * golden + y) mod 2**64: saved indexes depend on it
    def fmix(h: int) -> int:
        mask = (1 << 64) - 1
        h ^= h >> 33
        h = (h * 0xFF51AFD7ED558CCD) & mask
        h ^= h >> 33
        h = (h * 0xC4CEB9FE1A85EC53) & mask
        return h ^ (h >> 33)

    ids = TokenHasher().ids(["社区", "开展", "活动"])
    x, y, z = (int(v) for v in ids)
    golden = 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1
    expected = sorted({fmix((x * golden + y) & mask), fmix((y * golden + z) & mask)})
    assert shingle_hashes(ids, ngram_size=2).tolist() == expected


def _features(*texts: str) -> list[Features]:
    fx = FeatureExtractor(DedupConfig())
    return [fx.extract(Article(id=str(k), text=t), position=k) for k, t in enumerate(texts)]


def test_sentence_hashes_follow_each_sentence_not_its_place() -> None:
    one = "街道志愿者在文化广场向过往居民讲解垃圾分类知识并发放宣传资料。"
    two = "社区医生为六十岁以上老人免费测量血压血糖并建立健康档案。"
    swapped = "社区医生为六十岁以上老人免费建立健康档案并测量血压血糖。"  # the same words, reordered
    a, b, c, short = _features(one + two, two + "\n" + one, one + swapped, "点击关注。欢迎转发。")
    ha, hb, hc = (set(sentence_hashes(f, min_words=8).tolist()) for f in (a, b, c))
    assert len(ha) == 2 and ha == hb  # the same sentences, in another order and paragraph
    assert len(ha & hc) == 1  # a sentence with its words reordered is another sentence
    assert len(sentence_hashes(short, min_words=8)) == 0


def test_posts_without_long_sentences_share_no_sentence_band() -> None:
    a, b, c = _features("今天天气晴。风很大。", "明天有小雨。要带伞。", "今天天气晴。风很大。")
    rows = sign([a, b, c], DedupConfig()).sentences
    assert rows.shape == (3, DedupConfig().params.sentence_bands)
    assert not (rows[0] == rows[1]).any()  # not the empty set's values, shared by all
    assert (rows[0] == rows[2]).all()  # identical bodies keep identical rows
