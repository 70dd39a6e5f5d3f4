"""dedup.spark.check gives the batch check's answer: on local[2], on random batches, and on a standalone cluster."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from chrome_pages import EVENTS, NAV
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spark_cluster import TEST_JVM_OPTIONS

from dedup import Article, DedupConfig, Deduplicator, DedupResult, DuplicateIdError, InputError, Params
from dedup.boilerplate import AccountBoilerplate, sentence_key, sentence_run
from dedup.chrome import body_sketch, learn_chrome, post_sentences
from dedup.cli import main
from dedup.features import FeatureExtractor

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from dedup.spark import SparkResult

pytestmark = pytest.mark.slow

TOPICS = [
    "垃圾分类",
    "消防安全",
    "防范电信诈骗",
    "文明养犬",
    "节约用水",
    "健康生活",
    "禁毒",
    "反诈",
    "交通安全",
    "垃圾减量",
]
PLACES = ["荷叶塘", "山水湾", "桃花岭", "银盆岭", "观沙岭", "望月湖", "湖光", "新民", "东塘", "洋湖", "梅溪湖", "麓谷"]
VENUES = ["文化广场", "社区服务中心", "居民活动室", "小区中庭", "党群服务站"]
ACCOUNTS = [f"{p}社区" for p in PLACES[:6]] + ["岳麓区融媒体中心", "长沙县民政局", "浏阳市科协", ""]
CHROME = NAV  # a site's navigation and reprint notice (the normalizer keeps both)


def story_text(rng: random.Random, topic: str, place: str) -> list[str]:
    """The sentences of one made-up event (a template filled with its specifics)."""
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    venue = rng.choice(VENUES)
    return [
        f"{month}月{day}日上午，{place}社区在{venue}开展{topic}宣传活动。",
        f"志愿者向居民讲解{topic}知识，发放宣传资料{rng.randint(100, 900)}余份。",
        f"活动吸引了{rng.randint(20, 300)}名居民参与，现场气氛热烈。",
        f"{place}社区党委书记表示，下一步将持续开展{topic}宣传，推动{topic}成为居民的自觉行动。",
        f"据了解，今年以来{place}社区已累计开展各类宣传活动{rng.randint(5, 40)}场次。",
    ]


def footer(account: str) -> str:
    return f"{account or '本站'}全体工作人员祝您生活愉快，欢迎留言分享您身边的新鲜事。"


def made_up_batch(seed: int, stories: int) -> list[Article]:
    """Stories with copies: exact copies, truncations, reposts with account footers and chrome,
    reordered rewrites, template siblings (same wording, another event); times with ties and gaps."""
    rng = random.Random(seed)
    posts: list[Article] = []
    base = datetime(2024, 6, 1, 8, 0)

    def add(text: str, account: str, when: datetime | None, title: str = "") -> None:
        posts.append(
            Article(id=f"s{seed}-{len(posts):04d}", text=text, title=title, account=account, published_at=when)
        )

    for k in range(stories):
        topic = TOPICS[k % len(TOPICS)]
        place = PLACES[(k * 7) % len(PLACES)]
        sentences = story_text(rng, topic, place)
        when = base + timedelta(hours=rng.randint(0, 24 * 20))
        origin = rng.choice(ACCOUNTS)
        title = f"{place}社区开展{topic}宣传活动"
        add("".join(sentences), origin, when, title)
        for _ in range(rng.randint(0, 4)):
            account = rng.choice(ACCOUNTS)
            later = when + timedelta(hours=rng.choice([0, 0, 1, 3, 30])) if rng.random() < 0.9 else None
            kind = rng.choice(["exact", "truncated", "footer", "reordered", "chrome"])
            if kind == "exact":
                text = "".join(sentences)
            elif kind == "truncated":
                text = "".join(sentences[:3])
            elif kind == "footer":
                text = "".join(sentences) + "\n" + footer(account)
            elif kind == "reordered":
                text = "\n".join([sentences[1], sentences[0], *sentences[2:]])
            else:
                text = "".join(sentences) + "\n" + CHROME
            add(text, account, later, ("【转载】" if rng.random() < 0.5 else "") + title)
        if rng.random() < 0.3:  # a template sibling: same wording, another place, day and figures
            other = PLACES[(k * 7 + 3) % len(PLACES)]
            add("".join(story_text(rng, topic, other)), rng.choice(ACCOUNTS), when + timedelta(days=1))
    for account in ACCOUNTS[:4]:  # each of these accounts posts its footer under several unrelated notices
        for n in range(3):
            note = f"{account}第{n + 1}期工作简报：本周共受理居民诉求{rng.randint(10, 99)}件，办结率{rng.randint(80, 99)}%。"
            add(note + "\n" + footer(account), account, base + timedelta(days=n))
    # Chrome beside unrelated pages of many accounts, a small part of each: the events of one
    # site, and pages of characters drawn at random (pages that share no story).
    letters = sorted({c for event in EVENTS for c in event if "\u4e00" <= c <= "\u9fff"})
    pages = [*EVENTS, *("".join(rng.choices(letters, k=70)) + "。" for _ in range(stories // 3))]
    for n, page in enumerate(pages):
        add(f"{page}\n{CHROME}", ACCOUNTS[n % len(ACCOUNTS)], None)
    rng.shuffle(posts)
    return posts


def to_frame(spark: SparkSession, articles: list[Article]) -> DataFrame:
    rows = [
        (a.id, a.title, a.text, a.account, a.published_at.isoformat() if a.published_at else None) for a in articles
    ]
    return spark.createDataFrame(rows, "id string, title string, text string, account string, published_at string")


def _decision(a: str, b: str, conflicts: Any, days: int | None, headlines: bool | None) -> tuple[Any, ...] | None:
    """What sets a template pair apart, written from the smaller id (Spark's ``a``; the batch's is its first)."""
    if conflicts is None:
        return None
    flip = a > b
    return tuple(tuple(reversed(c)) if flip else tuple(c) for c in conflicts), days, headlines


def spark_answer(result: SparkResult) -> dict[str, Any]:
    templates = result.template_pairs.collect()
    stories: dict[str, set[str]] = {}
    originals = {}
    for row in result.posts.collect():
        stories.setdefault(row.story, set()).add(row.id)
        if row.original:
            originals[row.story] = row.id
    return {
        "stories": {frozenset(s) for s in stories.values()},
        "originals": {frozenset(stories[k]): v for k, v in originals.items()},
        "pairs": {frozenset((r.a, r.b)): (r.kind, round(r.score, 9)) for r in result.pairs.collect()},
        "templates": {frozenset((r.a, r.b)): (r.kind, round(r.score, 9)) for r in result.template_pairs.collect()},
        "decisions": {
            frozenset((r.a, r.b)): _decision(r.a, r.b, r.conflicts, r.days_apart, r.headlines_apart) for r in templates
        },
        "families": {
            tuple(r.ids): (
                r.posts,
                r.example,
                r.title,
                tuple(r.accounts),
                r.first,
                r.last,
                tuple((frozenset((p.a, p.b)), p.kind, round(p.score, 9), p.shared is not None) for p in r.pairs),
            )
            for r in result.families.collect()
        },
        "summary": result.summary(),
    }


def batch_answer(result: DedupResult) -> dict[str, Any]:
    return {
        "stories": {frozenset(s.ids) for s in result.stories},
        "originals": {frozenset(s.ids): s.original for s in result.stories},
        "pairs": {frozenset((p.a, p.b)): (p.kind, round(p.score, 9)) for s in result.stories for p in s.pairs},
        "templates": {frozenset((p.a, p.b)): (p.kind, round(p.score, 9)) for p in result.template_pairs},
        "decisions": {
            frozenset((p.a, p.b)): _decision(
                p.a, p.b, p.evidence.conflicts, p.evidence.days_apart, p.evidence.headlines_apart
            )
            if p.evidence is not None
            else None
            for p in result.template_pairs
        },
        "families": {
            f.ids: (
                len(f.ids),
                f.example,
                f.title,
                f.accounts,
                f.first.isoformat() if f.first else None,
                f.last.isoformat() if f.last else None,
                tuple((frozenset((p.a, p.b)), p.kind, round(p.score, 9), p.evidence is not None) for p in f.pairs),
            )
            for f in result.families
        },
        "summary": result.summary.to_dict(),
    }


def assert_same_answer(spark_side: dict[str, Any], batch_side: dict[str, Any], articles: list[Article]) -> None:
    assert spark_side["summary"] == batch_side["summary"]
    assert spark_side["stories"] == batch_side["stories"]
    assert spark_side["pairs"] == batch_side["pairs"]
    assert spark_side["templates"] == batch_side["templates"]
    assert spark_side["decisions"] == batch_side["decisions"]
    assert spark_side["families"] == batch_side["families"]
    # Originals: the earliest published post; the batch breaks ties by input position, Spark by id.
    when = {a.id: a.published_at for a in articles}
    for members, original in batch_side["originals"].items():
        times = sorted((when[i] is None, when[i] or datetime.min) for i in members)
        if len(times) < 2 or times[0] != times[1]:
            assert spark_side["originals"][members] == original
        else:
            first = min(i for i in members if (when[i] is None, when[i] or datetime.min) == times[0])
            assert spark_side["originals"][members] == first


def test_same_answer_as_the_batch_check(spark_local: SparkSession, report_and_follow_up: tuple[str, str]) -> None:
    from dedup.spark import check

    articles = made_up_batch(seed=1, stories=80)
    # A report, its repost, and a follow-up recapping it (neither a match nor a veto).
    report, follow_up = report_and_follow_up
    articles += [
        Article(id="zz-report", text=report, account="荷叶塘社区"),
        Article(id="zz-repost", text="关注我们\n" + report, account="岳麓区城管局"),
        Article(id="zz-recap", text=follow_up, account="荷叶塘社区"),
    ]
    # Identical furniture under unrelated headlines (template pairs) and under one headline (a copy).
    furniture = "进入本吧搜索吧内帖子签到排名今日本吧第个签到，本吧因你更精彩，明天继续来努力，成为超级会员赠送补签卡，点击日历上漏签日期即可补签。"
    for k, title in enumerate(
        ["华为手机桌面备份和锁定在哪里设置", "表演系师哥有问题请留言中央戏剧学院", "华为手机桌面备份和锁定在哪里设置"]
    ):
        articles.append(Article(id=f"zz-forum-{k}", title=title, text=furniture, account=f"贴吧{k}"))
    assert 250 <= len(articles) <= 400
    config = DedupConfig()
    expected = batch_answer(Deduplicator(config).check(articles))
    assert expected["summary"]["stories"] >= 40 and expected["summary"]["template_pairs"] >= 5
    assert expected["summary"]["template_families"] >= 2
    assert any(d and (d[0] or d[1] is not None) for d in expected["decisions"].values())
    assert {kind for kind, _ in expected["pairs"].values()} >= {"exact", "contained", "near"}
    assert expected["pairs"][frozenset(("zz-forum-0", "zz-forum-2"))][0] == "exact"
    assert expected["decisions"][frozenset(("zz-forum-0", "zz-forum-1"))][2] is True
    assert frozenset(("zz-report", "zz-repost")) in expected["pairs"]
    assert not any("zz-recap" in pair for pair in [*expected["pairs"], *expected["decisions"]])
    fx = FeatureExtractor(config)
    bodies = [fx.normalize(a)[1] for a in articles]
    learned = AccountBoilerplate.from_params(config.params).fit([a.account for a in articles], bodies)
    assert sum(learned.count(account) for account in ACCOUNTS) >= 4
    runs = [sentence_run(body) for body in bodies]
    keys = [sentence_key(body) for body in bodies]
    sketches, grams = zip(*(body_sketch(body) for body in bodies), strict=True)
    posts = post_sentences(
        keys, [len(b) for b in bodies], *zip(*runs, strict=True), sketches=np.stack(sketches), grams=grams
    )
    chrome = learn_chrome(posts, min_posts=config.params.chrome_min_posts, related=config.params.chrome_related)
    assert len(chrome)  # the batch learns boilerplate and chrome: the job must learn the same
    result = check(to_frame(spark_local, articles), config)
    assert_same_answer(spark_answer(result), expected, articles)
    assert result.split_components == 0
    assert set(result.timings) >= {"validate", "extract", "verify", "cluster"}
    pair = result.pairs.where("kind = 'contained'").first()
    assert pair is not None and pair.shared and pair.shared_specifics
    result.unpersist()


SPARK_SENTENCES = [
    "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动。",
    "志愿者向居民讲解分类知识，发放宣传资料200余份。",
    "6月15日，山水湾社区举办消防安全演练，120余名居民参加。",
    "消防员现场讲解灭火器使用方法，并组织居民有序疏散。",
    "7月3日，望城区图书馆推出暑期少儿阅读计划。",
    "活动设置绘本角和科普讲座，预计服务青少年读者3000人次。",
    "6月18日上午，桃花岭社区在文化广场开展垃圾分类宣传活动。",
    "志愿者向居民讲解分类知识，发放宣传资料350余份。",
]


@st.composite
def small_batches(draw: st.DrawFn) -> list[Article]:
    n = draw(st.integers(4, 12))
    out = []
    for k in range(n):
        picks = draw(st.lists(st.integers(0, len(SPARK_SENTENCES) - 1), min_size=1, max_size=4))
        day = draw(st.one_of(st.none(), st.integers(1, 3)))
        out.append(
            Article(
                id=f"r{k}",
                text="".join(SPARK_SENTENCES[i] for i in picks),
                account=draw(st.sampled_from(["甲社区", "乙街道", "丙中心", ""])),
                published_at=datetime(2024, 6, day) if day else None,
            )
        )
    return out


@settings(max_examples=2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(batch=small_batches(), cross=st.booleans())
def test_same_answer_on_random_batches_with_tight_caps(
    spark_local: SparkSession, batch: list[Article], cross: bool
) -> None:
    """Tight caps (buckets of 3, 2 candidates a post, 2 template pairs) exercise the order-free rules."""
    from dedup.spark import check

    params = Params(max_bucket=3, max_candidates=2, max_template_pairs=2, boilerplate_min_posts=2, chrome_min_posts=3)
    config = DedupConfig(min_length=10, cross_account_only=cross, params=params)
    expected = batch_answer(Deduplicator(config).check(batch))
    result = check(to_frame(spark_local, batch), config)
    assert_same_answer(spark_answer(result), expected, batch)
    result.unpersist()


def test_candidate_rule_with_caps_equals_the_batch(spark_local: SparkSession) -> None:
    from dedup.lsh import BandKeys
    from dedup.lsh import candidate_pairs as batch_candidates
    from dedup.signature import sign
    from dedup.spark import _FEATURES
    from dedup.spark_stages import candidate_pairs
    from dedup.spark_steps import extract_rows

    articles = sorted(made_up_batch(seed=2, stories=25), key=lambda a: a.id)
    config = DedupConfig(params=Params(max_bucket=4, max_candidates=3))
    fx = Deduplicator(config).extractor
    rows = [(k, a.id, a.account, None, *fx.normalize(a), False, [], []) for k, a in enumerate(articles)]
    features = spark_local.createDataFrame(list(extract_rows(rows, config)), _FEATURES)
    found = {(r.a, r.b) for r in candidate_pairs(features.where("comparable"), config).collect()}
    feats = fx.extract_many(articles)  # as above: nothing learned, positions in id order
    bands = BandKeys.of(sign(feats, config), config, [f.id for f in feats])
    subset = [f.position for f in feats if f.length >= config.min_length and f.n_words]
    expected = {(int(a), int(b)) for a, b in batch_candidates(bands, subset, max_bucket=4, max_per_row=3).tolist()}
    assert found == expected
    assert len(expected) > 50


def test_oversized_components_are_clustered_in_sub_batches(spark_local: SparkSession, news: list[Article]) -> None:
    from dedup.spark import check

    config = DedupConfig()
    batch = Deduplicator(config).check(news)
    verified = {frozenset((p.a, p.b)) for s in batch.stories for p in s.pairs}
    result = check(to_frame(spark_local, news), config, max_component=2)
    answer = spark_answer(result)
    assert result.split_components > 0
    assert all(len(s) <= 2 for s in answer["stories"])
    assert set(answer["pairs"]) <= verified  # never merges what the batch keeps apart
    assert answer["summary"]["articles"] == len(news)


def test_bad_records_and_duplicate_ids(spark_local: SparkSession) -> None:
    from dedup.spark import check

    schema = "id string, text string, published_at string"
    df = spark_local.createDataFrame(
        [("a", "甲" * 30, None), ("b", "乙" * 30, "not a date"), ("a", "丙" * 30, None)], schema
    )
    with pytest.raises(InputError, match=r"id 'b': field published_at: 'not a date' is not a date.*1 bad record"):
        check(df, DedupConfig())
    with pytest.raises(DuplicateIdError, match="duplicate id 'a'"):
        check(df, DedupConfig(), skip_bad=True)
    result = check(df.where("text != '" + "丙" * 30 + "'"), DedupConfig(), skip_bad=True, skipped=2)
    assert result.summary() == {
        "articles": 1,
        "stories": 0,
        "copies": 0,
        "cross_account_stories": 0,
        "template_pairs": 0,
        "template_families": 0,
        "skipped": 3,
        "too_short": 0,
    }


def test_cli_on_a_standalone_cluster(spark_cluster: str, tmp_path: Path) -> None:
    """``dedup spark check --master spark://...`` in a subprocess: executors in the workers' JVMs, files out."""
    articles = made_up_batch(seed=3, stories=20)
    source = tmp_path / "in.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for a in articles:
            record = {"id": a.id, "title": a.title, "text": a.text, "account": a.account}
            if a.published_at:
                record["published_at"] = a.published_at.isoformat(sep=" ")
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    out = tmp_path / "out"
    # Test JVMs: the client compiler only, as the cluster's own (spark-submit's options, read by pyspark)
    options = f"--driver-java-options '{TEST_JVM_OPTIONS}' --conf 'spark.executor.extraJavaOptions={TEST_JVM_OPTIONS}'"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_SUBMIT_ARGS": f"{options} pyspark-shell"}
    command = [sys.executable, "-m", "dedup", "spark", "check", str(source), "-o", str(out), "--format", "jsonl"]
    done = subprocess.run(
        [*command, "--master", spark_cluster, "-q"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 1, done.stderr[-2000:]
    expected = batch_answer(Deduplicator(DedupConfig()).check(articles))
    assert json.loads((out / "summary.json").read_text()) == expected["summary"]
    stories: dict[str, set[str]] = {}
    for part in sorted((out / "posts").glob("part-*.json")):
        for line in part.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            stories.setdefault(row["story"], set()).add(row["id"])
    assert {frozenset(s) for s in stories.values()} == expected["stories"]
    pairs = {}
    for part in sorted((out / "pairs").glob("part-*.json")):
        for line in part.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            pairs[frozenset((row["a"], row["b"]))] = (row["kind"], round(row["score"], 9))
    assert pairs == expected["pairs"]


def test_cli_refuses_a_non_empty_output_directory_before_starting_spark(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    err = io.StringIO()
    assert main(["spark", "check", "in.jsonl", "-o", str(tmp_path / "out")], stderr=err) == 2
    assert "is not empty (pass --overwrite to replace it)" in err.getvalue()
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"
