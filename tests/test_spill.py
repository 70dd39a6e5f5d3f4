from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from cli_streams import Streams

from dedup import Article, DedupConfig, DedupError, Deduplicator
from dedup.columns import RAGGED_FIELDS, FeatureColumns
from dedup.exceptions import DuplicateIdError, OutputError
from dedup.features import FeatureExtractor
from dedup.pipeline import Execution
from dedup.spill import SpillFile


def columns(texts: list[str], start: int = 0) -> FeatureColumns:
    feats = FeatureExtractor(DedupConfig()).extract_many(
        [Article(id=str(start + k), text=t, account="荷叶塘社区") for k, t in enumerate(texts)], start=start
    )
    return FeatureColumns.pack(feats, start=start)


def test_spilled_columns_read_back_equal(tmp_path: Path) -> None:
    blocks = [
        columns(["6月12日上午，荷叶塘社区开展垃圾分类宣传活动，发放资料200余份。", "", "。。。"]),
        columns([], start=3),  # a block without posts
        columns(["7月3日，观沙岭社区联合区城管局开展消防安全演练，62名居民参加。"], start=3),
    ]
    with SpillFile(tmp_path) as spill:
        written = [spill.write(b) for b in blocks]
        assert all(not w.ragged for w in written)  # let go until mapped
        mapped = spill.mapped(written)
    assert os.listdir(tmp_path) == []  # the file has no name
    for before, after in zip(blocks, mapped, strict=True):
        assert after.start == before.start and after.specifics == before.specifics
        for name, _ in RAGGED_FIELDS:
            for got, want in zip(after.ragged[name], before.ragged[name], strict=True):
                assert got.dtype == want.dtype and got.tolist() == want.tolist(), name
                assert not got.flags.writeable  # read from the mapping, never written
    assert [f.sequence.tolist() for f in mapped[2].unpack()] == [f.sequence.tolist() for f in blocks[2].unpack()]


def test_an_empty_batch_spills_nothing(tmp_path: Path) -> None:
    with SpillFile(tmp_path) as spill:
        assert spill.mapped([]) == []


def test_only_the_blocks_written_are_mapped(tmp_path: Path) -> None:
    with SpillFile(tmp_path) as spill:
        first = spill.write(columns(["社区开展垃圾分类宣传活动。"]))
        second = spill.write(columns(["居民积极参与。"], start=1))
        with pytest.raises(ValueError, match="in the order they were written"):
            spill.mapped([second, first])


def test_a_missing_directory_is_an_output_error(tmp_path: Path) -> None:
    missing = tmp_path / "no such dir"
    with pytest.raises(OutputError, match=r"cannot write a spill file in .*no such dir") as caught:
        SpillFile(missing)
    assert isinstance(caught.value, DedupError) and isinstance(caught.value, OSError)
    assert caught.value.filename == str(missing)


def story_batch() -> list[Article]:
    event = "{d}日上午，{c}社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料{n}余份。"
    extra = "活动中，社区工作人员还为居民现场演示了厨余垃圾的处理方法，居民纷纷表示受益匪浅。"
    posts = []
    for k, (day, place, count) in enumerate([(12, "荷叶塘", 200), (15, "山水湾", 350), (18, "观沙岭", 120)]):
        text = event.format(d=day, c=place, n=count) + extra
        posts.append(Article(id=f"{k}-a", text=text, account=f"{place}社区"))
        posts.append(Article(id=f"{k}-b", text="关注我们\n" + text + "\n责任编辑：马骏", account="岳麓街道"))
        posts.append(Article(id=f"{k}-c", text=text[: len(text) // 2 + 8], account="区融媒体中心"))
    return posts


@pytest.mark.parametrize("workers", [1, 2])
def test_a_spilled_check_finds_what_one_in_memory_does(tmp_path: Path, workers: int) -> None:
    posts = story_batch()
    config = DedupConfig(workers=workers)
    in_memory = Deduplicator(config, execution=Execution(parallel_min=1, chunk_size=2)).check(posts)
    spilled = Deduplicator(config, execution=Execution(parallel_min=1, chunk_size=2, spill_dir=str(tmp_path))).check(
        posts
    )
    assert len(in_memory.stories) == 3
    assert spilled == in_memory
    assert os.listdir(tmp_path) == []


def test_check_spill_dir_gives_the_same_report(news_path: Path, tmp_path: Path) -> None:
    plain, spilled = Streams(), Streams()
    assert plain.run("check", str(news_path), "--format", "json") == 1
    assert spilled.run("check", str(news_path), "--format", "json", "--spill-dir", str(tmp_path)) == 1
    assert spilled.stdout.getvalue() == plain.stdout.getvalue()
    assert os.listdir(tmp_path) == []


def test_check_spill_dir_that_cannot_hold_a_file_exits_2(news_path: Path, tmp_path: Path) -> None:
    s = Streams()
    assert s.run("check", str(news_path), "--spill-dir", str(tmp_path / "gone")) == 2
    message = s.stderr.getvalue()
    assert message.count("\n") == 1 and "cannot write a spill file in" in message and "gone" in message
    assert s.stdout.getvalue() == ""


def test_spilled_features_are_shared_with_forked_workers(tmp_path: Path) -> None:
    # Verification runs in forked workers over the mapped file: one batch large enough
    # for several verification tasks.
    posts = [dataclasses.replace(a, id=f"{a.id}-{r}") for r in range(6) for a in story_batch()]
    config = DedupConfig(workers=2)
    eager = Execution(parallel_min=1, chunk_size=4, verify_chunk=3)
    in_memory = Deduplicator(config, execution=eager).check(posts)
    spilled = Deduplicator(config, execution=dataclasses.replace(eager, spill_dir=str(tmp_path))).check(posts)
    assert len(in_memory.stories) == 3
    assert spilled == in_memory


def test_a_check_failing_midway_leaves_nothing_behind(tmp_path: Path) -> None:
    posts = story_batch()

    def reader():  # type: ignore[no-untyped-def]
        yield from posts
        yield posts[3]  # the same id again, after the workers have started

    execution = Execution(parallel_min=4, chunk_size=3, spill_dir=str(tmp_path))
    with pytest.raises(DuplicateIdError):
        Deduplicator(DedupConfig(workers=2), execution=execution).check(reader())
    assert os.listdir(tmp_path) == []
