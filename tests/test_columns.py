from __future__ import annotations

import numpy as np
import pytest

from dedup import Article, DedupConfig, IndexFileError
from dedup.columns import FeatureColumns, arrays_from_bytes, arrays_to_bytes
from dedup.features import FeatureExtractor, Features

POSTS = [
    Article(
        id="a",
        text="6月12日上午，荷叶塘社区开展垃圾分类宣传活动。\n志愿者向居民讲解分类知识，发放资料200余份。",
        account="荷叶塘社区",
    ),
    Article(id="b", text="", account=""),
    Article(
        id="c", title="【动态】消防演练", text="3月21日，莲花镇组织开展消防安全应急疏散演练，1200余名师生有序撤离。"
    ),
]


def same(a: Features, b: Features) -> bool:
    scalars = ("position", "id", "account", "length", "n_words", "body_hash", "specifics")
    arrays = ("shingles", "lead", "sequence", "paragraphs", "paragraph_bounds", "sentence_starts")
    return all(getattr(a, n) == getattr(b, n) for n in scalars) and all(
        getattr(a, n).dtype == getattr(b, n).dtype and np.array_equal(getattr(a, n), getattr(b, n)) for n in arrays
    )


def test_char_tokenizer_features_round_trip() -> None:
    # A line of punctuation only has no grams: its start is the next line's, stored once.
    post = Article(id="a", text="社区开展垃圾分类宣传活动。志愿者讲解知识\n——\n居民积极参与活动")
    feats = FeatureExtractor(DedupConfig(tokenizer="char")).extract_many([post])
    assert len(feats[0].sentence_starts) == 2
    columns = FeatureColumns.pack(feats)
    again = FeatureColumns.from_arrays(columns.to_arrays(), width="uint32")
    assert all(same(a, b) for a, b in zip(again.unpack(), feats, strict=True))


@pytest.mark.parametrize("scheme", ["affine32", "affine64"])
def test_columns_round_trip_through_arrays_and_bytes(scheme: str) -> None:
    feats = FeatureExtractor(DedupConfig(scheme=scheme)).extract_many(POSTS, start=4)  # type: ignore[arg-type]
    columns = FeatureColumns.pack(feats, start=4)
    assert all(same(a, b) for a, b in zip(columns.unpack(), feats, strict=True))
    width = "uint32" if scheme == "affine32" else "uint64"
    again = FeatureColumns.from_arrays(arrays_from_bytes(arrays_to_bytes(columns.to_arrays())), width=width, start=4)
    assert all(same(a, b) for a, b in zip(again.unpack(), feats, strict=True))


def test_columns_without_names_take_them_from_the_caller() -> None:
    feats = FeatureExtractor(DedupConfig()).extract_many(POSTS)
    columns = FeatureColumns.pack(feats, names=False)
    with pytest.raises(ValueError, match="ids"):
        columns.unpack()
    assert [f.id for f in columns.unpack(["x", "y", "z"], ["", "", ""])] == ["x", "y", "z"]


def test_corrupted_columns_are_an_index_file_error() -> None:
    arrays = FeatureColumns.pack(FeatureExtractor(DedupConfig()).extract_many(POSTS)).to_arrays()
    for change in (
        lambda a: a.pop("lead"),
        lambda a: a.__setitem__("lead_offsets", a["lead_offsets"][::-1].copy()),
        lambda a: a.__setitem__("length", a["length"].astype(np.int32)),
        lambda a: a.__setitem__("id", np.frombuffer(b"\xff\xfe\xfd", dtype=np.uint8).copy()),
        lambda a: a.__setitem__("paragraph_bounds", a["paragraph_bounds"] + 1),
        lambda a: a.__setitem__("sentence_starts", a["sentence_starts"] + 100),
        lambda a: a.__setitem__("sentence_starts", a["sentence_starts"] * 0),
        lambda a: a.__setitem__("n_words", a["n_words"] + 100),
    ):
        broken = dict(arrays)
        change(broken)
        with pytest.raises(IndexFileError):
            FeatureColumns.from_arrays(broken, width="uint32")


def test_a_blob_declaring_more_than_it_holds_is_refused() -> None:
    blob = arrays_to_bytes({"a": np.arange(4, dtype=np.int64)})
    with pytest.raises(IndexFileError, match="declares"):
        arrays_from_bytes(blob[:-8])
    with pytest.raises(IndexFileError, match="declares"):
        arrays_from_bytes(blob, max_items=3)
    with pytest.raises(IndexFileError):
        arrays_from_bytes(b"DXC1" + b"\xff" * 40)
    with pytest.raises(IndexFileError, match="trailing"):
        arrays_from_bytes(blob + b"\x00")
