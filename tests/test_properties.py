"""Properties of grouping that hold for any batch (hypothesis).

Determinism (input order, PYTHONHASHSEED), self-match, exact copies never split by
unrelated posts, symmetric pair scores. Example counts are modest and derandomized so
the suite stays fast and repeatable.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dedup import Article, DedupConfig, Deduplicator, DedupResult, Params
from dedup.verify import compare

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Sentences of made-up local news: batches are drawn from them, so that posts share
# wording (rewrites, excerpts, template siblings) as real batches do.
SENTENCES = [
    "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动。",
    "志愿者向居民讲解分类知识，发放宣传资料200余份。",
    "6月15日，山水湾社区举办消防安全演练，120余名居民参加。",
    "消防员现场讲解灭火器使用方法，并组织居民有序疏散。",
    "7月3日，望城区图书馆推出暑期少儿阅读计划。",
    "活动设置绘本角和科普讲座，预计服务青少年读者3000人次。",
    "8月20日，浏阳市农业农村局组织专家深入田间指导农户。",
    "专家现场讲解水稻病虫害防治要点，发放农药补贴券500张。",
    "9月9日，雨花区卫健委在东塘社区开展免费义诊。",
    "医护人员为60岁以上老人测量血压血糖并建立健康档案。",
    "10月1日前夕，开福区文旅局在湘江风光带举办非遗展演。",
    "剪纸、湘绣和花鼓戏吸引市民驻足观看，现场气氛热烈。",
    "下一步，社区将持续开展宣传，推动垃圾分类成为居民习惯。",
    "本次活动进一步增强了居民的安全意识和自救能力。",
]
ACCOUNTS = ["荷叶塘社区", "岳麓街道", "山水湾社区", "望城区融媒体中心", ""]
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E00 + 2500)
TEXT_ALPHABET = st.one_of(
    CJK, st.sampled_from("，。、；：！？0123456789 ０１２３\n“”《》"), st.characters(codec="utf-8")
)


@st.composite
def articles(draw: st.DrawFn, *, min_size: int = 2, max_size: int = 10) -> list[Article]:
    """A batch of posts, each a few sentences of the pool (so some overlap)."""
    n = draw(st.integers(min_size, max_size))
    out = []
    for k in range(n):
        picks = draw(st.lists(st.integers(0, len(SENTENCES) - 1), min_size=1, max_size=5))
        out.append(
            Article(
                id=f"p{k}",
                text="".join(SENTENCES[i] for i in picks),
                account=draw(st.sampled_from(ACCOUNTS)),
            )
        )
    return out


def partition(result: DedupResult) -> frozenset[frozenset[str]]:
    return frozenset(frozenset(s.ids) for s in result.stories)


def pair_scores(result: DedupResult) -> dict[frozenset[str], tuple[float, str]]:
    pairs = [p for s in result.stories for p in s.pairs] + list(result.template_pairs)
    return {frozenset((p.a, p.b)): (round(p.score, 9), p.kind) for p in pairs}


def story_of(result: DedupResult, article_id: str) -> frozenset[str] | None:
    return next((frozenset(s.ids) for s in result.stories if article_id in s.ids), None)


@SETTINGS
@given(batch=articles(), seed=st.integers(0, 2**32 - 1))
def test_grouping_does_not_depend_on_input_order(dedup: Deduplicator, batch: list[Article], seed: int) -> None:
    shuffled = batch[:]
    random.Random(seed).shuffle(shuffled)
    first, again, other = dedup.check(batch), dedup.check(batch), dedup.check(shuffled)
    assert first == again  # deterministic, including evidence and order
    assert partition(first) == partition(other)
    assert pair_scores(first) == pair_scores(other)
    assert first.summary == other.summary


@st.composite
def template_day(draw: st.DrawFn) -> list[Article]:
    """A template-heavy day: many notices from two templates, some copied word for word."""
    n = draw(st.integers(30, 70))
    out = []
    for k in range(n):
        day, count, who = draw(st.integers(1, 28)), draw(st.integers(10, 99)), draw(st.sampled_from("王李张刘陈杨"))
        if draw(st.booleans()):
            text = f"6月{day}日，第{k % 9}网格开展消防安全宣传，{count}名居民参加，{who}书记讲话。"
        else:
            text = f"6月{day}日，第{k % 9}网格开展垃圾分类宣传，发放资料{count}份，{who}主任讲话。"
        out.append(Article(id=f"t{k}", text=text, account=f"网格{k % 5}"))
        if draw(st.integers(0, 4)) == 0:
            out.append(Article(id=f"t{k}c", text=text, account="街道"))
    return out


@SETTINGS
@given(batch=template_day(), seed=st.integers(0, 2**32 - 1))
def test_capped_template_days_do_not_depend_on_input_order(batch: list[Article], seed: int) -> None:
    # Tiny caps, so that oversized buckets and per-post candidate caps are in play.
    config = DedupConfig(min_length=10, params=Params(max_bucket=4, max_candidates=3, max_template_pairs=5))
    dedup = Deduplicator(config)
    shuffled = batch[:]
    random.Random(seed).shuffle(shuffled)
    first, other = dedup.check(batch), dedup.check(shuffled)
    assert partition(first) == partition(other)
    assert pair_scores(first) == pair_scores(other)
    assert first.summary == other.summary


@SETTINGS
@given(text=st.text(TEXT_ALPHABET, min_size=20, max_size=300), noise=articles(min_size=0, max_size=4))
def test_an_article_is_grouped_with_an_exact_copy(dedup: Deduplicator, text: str, noise: list[Article]) -> None:
    features = dedup.extractor.extract(Article(id="x", text=text), position=0)
    assume(features.length >= dedup.config.min_length and features.n_words > 0)
    batch = [*noise, Article(id="copy-a", text=text), Article(id="copy-b", text=text, account="另一个账号")]
    result = dedup.check(batch)
    story = story_of(result, "copy-a")
    assert story is not None and "copy-b" in story


@SETTINGS
@given(
    copies=st.integers(2, 5),
    same_account=st.booleans(),
    picks=st.lists(st.integers(0, len(SENTENCES) - 1), min_size=2, max_size=4, unique=True),
    unrelated=st.lists(st.text(CJK, min_size=25, max_size=80), min_size=1, max_size=6),
)
def test_unrelated_posts_never_split_exact_copies(
    dedup: Deduplicator, copies: int, same_account: bool, picks: list[int], unrelated: list[str]
) -> None:
    text = "".join(SENTENCES[i] for i in picks)
    group = [
        Article(id=f"c{k}", text=text, account="荷叶塘社区" if same_account else ACCOUNTS[k % 4]) for k in range(copies)
    ]
    alone = dedup.check(group)
    assert partition(alone) == {frozenset(a.id for a in group)}
    # Unrelated posts, some from the same account as the copies.
    noise = [Article(id=f"u{k}", text=t, account=ACCOUNTS[k % 2]) for k, t in enumerate(unrelated)]
    mixed = dedup.check([*noise[:2], *group, *noise[2:]])
    assert story_of(mixed, "c0") == frozenset(a.id for a in group)


@SETTINGS
@given(
    a=st.text(TEXT_ALPHABET, min_size=1, max_size=200),
    b=st.text(TEXT_ALPHABET, min_size=1, max_size=200),
    shared=st.sampled_from(SENTENCES),
    threshold=st.floats(0.0, 1.0),
)
def test_pair_scores_are_symmetric(dedup: Deduplicator, a: str, b: str, shared: str, threshold: float) -> None:
    fx = dedup.extractor
    fa = fx.extract(Article(id="a", text=a + shared), position=0)
    fb = fx.extract(Article(id="b", text=shared + b), position=1)
    ab = compare(fa, fb, config=DedupConfig(threshold=threshold))
    ba = compare(fb, fa, config=DedupConfig(threshold=threshold))
    assert ab == dataclasses.replace(ba, conflicts=tuple((y, x) for x, y in ba.conflicts))


def test_output_is_the_same_under_any_pythonhashseed(news_path: Path, tmp_path: Path) -> None:
    # Shuffled too: the partition must not depend on order either.
    lines = news_path.read_text(encoding="utf-8").splitlines()
    random.Random(7).shuffle(lines)
    shuffled = tmp_path / "shuffled.jsonl"
    shuffled.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(path: Path, seed: str) -> bytes:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-m", "dedup", "check", str(path), "--format", "json", "-q", "--workers", "1"],
            capture_output=True,
            check=False,
            env=env,
        )
        assert out.returncode == 1, out.stderr
        return out.stdout

    outputs = {seed: run(news_path, seed) for seed in ("0", "1", "4242")}
    assert len(set(outputs.values())) == 1
    doc = json.loads(outputs["0"])
    other = json.loads(run(shuffled, "99"))
    assert {frozenset(s["ids"]) for s in doc["stories"]} == {frozenset(s["ids"]) for s in other["stories"]}
    assert doc["summary"] == other["summary"]
