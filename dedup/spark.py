"""The same check on Apache Spark: :func:`check` a DataFrame of posts, every stage on the executors.

``pip install "dedup[spark]"`` installs pyspark (Java 17 or newer is needed); ``dedup
spark check`` is the command line (:func:`run_cli`). :func:`check` composes the steps
of the batch check (:class:`~dedup.pipeline.Deduplicator`), each applied by the
executors (:mod:`dedup.spark_steps` per partition, :mod:`dedup.spark_stages` for what
groups the whole batch, :mod:`dedup.spark_graph` for connected components):

1. validation: each record through the batch reader's validator and
   :func:`~dedup.steps.check_article`; duplicate ids by a ``groupBy`` (an
   :class:`~dedup.exceptions.InputError` names one); each post gets its rank by id
   (``pid``), which orders posts wherever the batch orders by id;
2. normalizing and boilerplate keys per partition; account boilerplate and chrome
   learned by aggregation; stripping, features, signatures and band keys per partition,
   features kept as one blob per post (the columns codec);
3. exact copies (comparable posts with one body hash) joined up front, the first by id
   taking part in the search for the group (a post whose identical body is furniture under an
   unrelated headline is compared with the first and stays apart, as in the batch);
4. the LSH candidate rule with its order-free caps (:func:`~dedup.spark_stages.candidate_pairs`);
5. verification of every candidate and exact copy with :func:`~dedup.verify.compare`
   (``cross_account_only`` through :func:`~dedup.steps.may_pair`);
6. connected components of the verified matches; each component is clustered by one
   task with :func:`~dedup.cluster.cluster_pairs`, as the batch clusters it (a component
   is clustered apart from the others in the batch too), its stories assembled and their
   pairs' evidence built there;
7. template pairs: those verification met between posts not in one story, the
   ``params.max_template_pairs`` strongest kept (ties by the ids) by a distributed
   top-k;
8. template families: connected components of all template pairs, each with at least
   ``params.family_min_posts`` posts made into a family by one task
   (:func:`~dedup.families.family_groups`);
9. evidence of the kept template pairs and of the families' example pairs, naming what
   sets each pair apart (:func:`~dedup.evidence.decisive`).

The driver reads a few counts and at most one offending row; it never collects
articles, features, signatures or pairs.

**The same answer.** For the same input and config, the stories (their posts), pair
kinds and scores, the template pairs, the template families and the summary equal ``Deduplicator(config)
.check(...)``'s. Where the batch breaks a tie by input position, the job uses an
order-free rule: a story's original is its earliest published post, *ties going to the
smallest id* (the batch: the one given first); a pair is written with ``a`` the smaller
id; a post's ``score`` and ``kind`` are those of its strongest pair with an earlier post
of its story (ties: the pair with the smaller ids).

**A component too big for one task.** A component of verified links with more than
``max_component`` posts (default 20,000) is clustered in sub-batches of at most that
many posts: its posts ordered by their exact-copy group's first post, then by id, and
cut into consecutive runs, each clustered as a component of its own (links between two
runs are dropped). Each sub-batch is still clustered without chaining, so no unrelated
posts are merged; one story may come out as several. :attr:`SparkResult.split_components`
counts the components split so; ``0`` means the answer is the batch's.

Examples
--------
>>> from dedup import DedupConfig
>>> text = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"
>>> df = spark.createDataFrame(
...     [("1", "", text, "荷叶塘社区", None), ("2", "", "关注我们\\n" + text, "岳麓街道", None)],
...     "id string, title string, text string, account string, published_at string",
... )
>>> result = check(df, DedupConfig())
>>> result.summary()["stories"], sorted(r.id for r in result.posts.collect())
(1, ['1', '2'])
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from dedup.config import DedupConfig
from dedup.exceptions import DuplicateIdError, InputError
from dedup.spark_graph import connected_components
from dedup.spark_stages import candidate_pairs, learn_boilerplate, learn_chrome, to_frame
from dedup.spark_steps import (
    cluster_rows,
    evidence_rows,
    extract_rows,
    family_rows,
    prepare_rows,
    validate_rows,
    verify_rows,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["FAMILY_SCHEMA", "MAX_COMPONENT", "PAIR_SCHEMA", "POST_SCHEMA", "SparkResult", "check"]

#: Components of verified links with more posts than this are clustered in sub-batches.
MAX_COMPONENT = 20_000
#: Posts per partition of the per-post stages (at least one partition per core).
PARTITION_POSTS = 2_000

logger = logging.getLogger(__name__)
# Session settings the job sets while it runs (and restores).
_JOB_CONF = ("spark.sql.shuffle.partitions", "spark.sql.adaptive.coalescePartitions.enabled")

#: Columns of :attr:`SparkResult.posts` (DDL).
POST_SCHEMA = "id string, story string, original boolean, score double, kind string"
_SPANS = "array<struct<a_start:int, a_end:int, b_start:int, b_end:int>>"
#: Columns of :attr:`SparkResult.pairs` and :attr:`SparkResult.template_pairs` (DDL).
_CONFLICTS = "array<array<string>>"
PAIR_SCHEMA = (
    f"a string, b string, score double, kind string, story string, shared {_SPANS}, "
    f"shared_specifics array<string>, only_a array<string>, only_b array<string>, conflicts {_CONFLICTS}, "
    "days_apart int, headlines_apart boolean"
)
_PAIR_STRUCT = (
    f"struct<a:string, b:string, score:double, kind:string, story:string, shared:{_SPANS}, "
    f"shared_specifics:array<string>, only_a:array<string>, only_b:array<string>, conflicts:{_CONFLICTS}, "
    "days_apart:int, headlines_apart:boolean>"
)
#: Columns of :attr:`SparkResult.families` (DDL): :meth:`TemplateFamily.to_dict <dedup.models.TemplateFamily.to_dict>`.
FAMILY_SCHEMA = (
    "posts bigint, example string, title string, accounts array<string>, first string, last string, "
    f"ids array<string>, pairs array<{_PAIR_STRUCT}>"
)
_VALID = "id string, title string, text string, account string, published_at string, error string"
_POSTS = "pid bigint, id string, title string, text string, account string, published_at string"
_PREPARED = (
    "pid bigint, id string, account string, published_at string, title string, body string, body_key bigint, "
    "keys array<bigint>, s_keys array<bigint>, s_sizes array<bigint>, length bigint, sketch binary, grams bigint"
)
_FEATURES = (
    "pid bigint, account string, comparable boolean, body_hash binary, feat binary, full array<bigint>, "
    "lead array<bigint>, paras array<array<bigint>>, full_tie bigint, lead_tie bigint, para_ties array<bigint>"
)
_VERDICTS = "a bigint, b bigint, exact boolean, score double, kind string, support boolean, veto boolean"
_CLUSTERED = (
    "posts array<struct<pid:bigint, id:string, story:string, original:boolean, score:double, kind:string>>, "
    f"pairs array<{_PAIR_STRUCT}>, "
    "templates array<struct<a:bigint, b:bigint, score:double>>, "
    "stories array<struct<story:string, posts:bigint, accounts:bigint>>"
)
_PAIR_COLUMNS = (
    "a",
    "b",
    "score",
    "kind",
    "story",
    "shared",
    "shared_specifics",
    "only_a",
    "only_b",
    "conflicts",
    "days_apart",
    "headlines_apart",
)
_FAMILIES = (
    "component bigint, posts bigint, example string, title string, accounts array<string>, first string, "
    "last string, ids array<string>, examples array<struct<a:bigint, b:bigint, score:double, rank:int>>"
)
_INPUT_FIELDS = ("id", "title", "text", "content", "body", "account", "published_at")


@dataclass
class SparkResult:
    """What :func:`check` finds, as DataFrames computed once and kept by the executors.

    Attributes
    ----------
    posts : DataFrame
        :data:`POST_SCHEMA`: one row per post of a story of several: ``story`` is the id
        of the story's original, ``original`` marks that post, ``score`` and ``kind``
        give the post's strongest pair with an earlier post of its story (null for the
        original).
    pairs : DataFrame
        :data:`PAIR_SCHEMA`: every verified match inside a story (``a`` the smaller id),
        with its evidence (spans into each post's original text, specifics both have,
        specifics only one has) when ``config.evidence``.
    template_pairs : DataFrame
        :data:`PAIR_SCHEMA` (``story`` null): the strongest template pairs between posts
        not in one story, at most ``params.max_template_pairs`` (the summary counts all).
    families : DataFrame
        :data:`FAMILY_SCHEMA`: the template families (:class:`~dedup.models.TemplateFamily`):
        posts linked by template pairs, at least ``params.family_min_posts``, each with its
        three strongest pairs and their evidence (any order: the batch lists the largest first).
    split_components : int
        Components clustered in sub-batches (see the module docstring).
    timings : dict
        Seconds each phase of the job took (validate, rank, normalize, learn, extract,
        candidates, verify, components, cluster, templates, families, evidence).
    """

    posts: DataFrame
    pairs: DataFrame
    template_pairs: DataFrame
    families: DataFrame
    split_components: int
    _summary: dict[str, int] = field(repr=False)
    _kept: list[DataFrame] = field(default_factory=list, repr=False)
    timings: dict[str, float] = field(default_factory=dict, repr=False)

    def summary(self) -> dict[str, int]:
        """The batch figures, as :meth:`Summary.to_dict <dedup.models.Summary.to_dict>` gives them."""
        return dict(self._summary)

    @property
    def has_duplicates(self) -> bool:
        """True when some story has several posts."""
        return self._summary["stories"] > 0

    def unpersist(self) -> None:
        """Free what the executors keep of this result (the DataFrames are computed again if used)."""
        for frame in self._kept:
            frame.unpersist()


def input_columns(df: DataFrame) -> DataFrame:
    """The fields a record may have, raw, in a fixed order (absent ones null).

    Timestamps become seconds since 1970 (the reader's numeric form: UTC), other types
    pass as they are (the validator coerces ids and texts as it does for JSON).
    """
    from pyspark.sql import functions as F

    types = dict(df.dtypes)
    cols = []
    for name in _INPUT_FIELDS:
        if name not in types:
            cols.append(F.lit(None).alias(name))
        elif types[name] == "timestamp":
            cols.append((F.unix_micros(F.col(name)) / 1e6).alias(name))
        elif types[name] in ("timestamp_ntz", "date"):
            cols.append(F.col(name).cast("string").alias(name))
        else:
            cols.append(F.col(name))
    corrupt = F.col("_corrupt_record") if "_corrupt_record" in types else F.lit(None).cast("string")
    return df.select(*cols, corrupt.alias("_corrupt_record"))


def check(
    df: DataFrame,
    config: DedupConfig | None = None,
    *,
    skipped: int = 0,
    skip_bad: bool = False,
    max_component: int = MAX_COMPONENT,
    shuffle_partitions: int | None = None,
) -> SparkResult:
    """Group the posts of ``df`` into stories on Spark, as ``Deduplicator(config).check`` would.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        Columns ``id`` and ``text`` (or ``content`` or ``body``), optionally ``title``,
        ``account``, ``published_at`` (string, number of seconds or timestamp); other
        columns are ignored.
    config : DedupConfig, optional
        All options (``workers`` is ignored: Spark decides).
    skipped : int
        Records already skipped by the caller (reported in the summary).
    skip_bad : bool
        Skip (and count) records that fail validation instead of raising.
    max_component : int
        Posts of the largest component clustered in one task (see the module docstring).
    shuffle_partitions : int, optional
        ``spark.sql.shuffle.partitions`` while the job runs; by default two per core, and
        more for large batches (one per :data:`PARTITION_POSTS` posts). While it runs,
        adaptive execution keeps every shuffle's partitions (no coalescing); both settings
        are restored afterwards.

    Returns
    -------
    SparkResult

    Raises
    ------
    InputError
        A bad record (without ``skip_bad``), naming it.
    DuplicateIdError
        Two posts share an id (naming it).
    """
    cfg = config if config is not None else DedupConfig()
    job = _Job(df, shuffle_partitions)
    try:
        return _check(df, cfg, job, skipped=skipped, skip_bad=skip_bad, max_component=max_component)
    finally:
        job.close()


def _check(
    df: DataFrame, cfg: DedupConfig, job: _Job, *, skipped: int, skip_bad: bool, max_component: int
) -> SparkResult:
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keep = StorageLevel.MEMORY_AND_DISK
    kept: list[DataFrame] = []

    def persist(frame: DataFrame) -> DataFrame:
        kept.append(frame.persist(keep))
        return frame

    job.phase("validate")
    raw = input_columns(df)
    valid = persist(to_frame(df, raw.rdd.mapPartitions(partial(validate_rows, config=cfg)), _VALID))
    bad = valid.where(F.col("error").isNotNull())
    counted = valid.agg(F.count(F.lit(1)).alias("all"), F.count("error").alias("bad")).first()
    assert counted is not None
    n_bad, articles = int(counted["bad"]), int(counted["all"] - counted["bad"])
    job.size(articles)
    if n_bad and not skip_bad:
        first = bad.select("id", "error").first()
        assert first is not None
        where = f"record with id {first['id']!r}: " if first["id"] is not None else "a record: "
        msg = f"{where}{first['error']} ({n_bad:,} bad record(s); skip them with skip_bad / --skip-bad)"
        _release(kept)
        raise InputError(msg)
    good = valid.where(F.col("error").isNull()).drop("error")
    twice = good.groupBy("id").count().where(F.col("count") > 1).select("id").first()
    if twice is not None:
        _release(kept)
        msg = f"duplicate id {twice['id']!r}"
        raise DuplicateIdError(msg, field="id")
    job.phase("rank")
    in_order = good.repartitionByRange(job.parts, "id").sortWithinPartitions("id")
    ranked = in_order.rdd.zipWithIndex().map(lambda r: (r[1], *r[0]))
    posts = persist(to_frame(df, ranked, _POSTS))

    job.phase("normalize")
    prepared = persist(to_frame(df, job.rows(posts).mapPartitions(partial(prepare_rows, config=cfg)), _PREPARED))
    prepared.count()  # posts are stored too, so the validated records may go
    valid.unpersist()
    job.phase("learn")
    sentences = prepared.select("pid", "account", F.explode("keys").alias("key"))
    hit_parts = []
    flags = prepared.select("pid").limit(0).withColumn("learned", F.lit(True))
    if cfg.learn_boilerplate:
        learned = persist(learn_boilerplate(prepared, cfg, job.parts))
        hit_parts.append(sentences.join(learned, ["account", "key"]).select("pid", "key", F.lit(0).alias("what")))
        flags = (
            prepared.select("pid", "account")
            .join(learned.select("account").distinct(), "account")
            .select("pid", F.lit(True).alias("learned"))
        )
    if cfg.params.chrome_min_posts:
        chrome = persist(learn_chrome(prepared, cfg, job.parts))
        hit_parts.append(sentences.join(chrome, "key").select("pid", "key", F.lit(1).alias("what")))
    base = prepared.join(flags, "pid", "left")
    if hit_parts:
        hits = hit_parts[0] if len(hit_parts) == 1 else hit_parts[0].unionByName(hit_parts[1])
        hits = hits.groupBy("pid").agg(
            F.collect_list(F.when(F.col("what") == 0, F.col("key"))).alias("bp"),
            F.collect_list(F.when(F.col("what") == 1, F.col("key"))).alias("ch"),
        )
        job.count("posts with learned sentences", persist(hits))
        base = base.join(hits, "pid", "left")
    else:
        base = base.withColumn("bp", F.lit(None)).withColumn("ch", F.lit(None))
    empty = F.array().cast("array<bigint>")
    extract_in = base.select(
        "pid",
        "id",
        "account",
        "published_at",
        "title",
        "body",
        F.coalesce("learned", F.lit(False)),
        F.coalesce("bp", empty),
        F.coalesce("ch", empty),
    )
    job.phase("extract")
    extracted = to_frame(df, job.rows(extract_in).mapPartitions(partial(extract_rows, config=cfg)), _FEATURES)
    features = persist(extracted.repartition(job.shuffle, "pid"))
    too_short = features.where(~F.col("comparable")).count()
    prepared.unpersist()

    job.phase("candidates")
    comparable = features.where("comparable")
    groups = comparable.groupBy("body_hash").agg(
        F.min("pid").alias("head"), F.count(F.lit(1)).alias("n"), F.countDistinct("account").alias("accounts")
    )
    groups = groups.where(F.col("n") >= 2)
    if cfg.cross_account_only:
        groups = groups.where(F.col("accounts") >= 2)
    in_group = comparable.select("pid", "body_hash").join(groups.select("body_hash", "head"), "body_hash")
    exact = in_group.where(F.col("pid") != F.col("head")).select(
        F.col("head").alias("a"), F.col("pid").alias("b"), F.lit(True).alias("exact")
    )

    bands = comparable.join(exact.select(F.col("b").alias("pid")), "pid", "left_anti")
    candidates = candidate_pairs(bands, cfg).withColumn("exact", F.lit(False))
    blobs = features.select("pid", "feat")
    verify_in = (
        candidates.unionByName(exact)
        .join(blobs.select(F.col("pid").alias("a"), F.col("feat").alias("fa")), "a")
        .join(blobs.select(F.col("pid").alias("b"), F.col("feat").alias("fb")), "b")
        .select("a", "b", "exact", "fa", "fb")
    )
    job.phase("verify")
    verdicts = persist(to_frame(df, job.rows(verify_in).mapPartitions(partial(verify_rows, config=cfg)), _VERDICTS))
    job.count("verdicts", verdicts)
    matches = verdicts.where(F.col("kind") != "template")

    job.phase("components")
    nodes = connected_components(matches.select(F.col("a").alias("src"), F.col("b").alias("dst")))
    kept.append(nodes)
    sizes = nodes.groupBy("component").agg(F.count(F.lit(1)).alias("size"))
    heads = in_group.select(F.col("pid").alias("node"), "head")
    order = Window.partitionBy("component").orderBy(F.coalesce("head", "node"), "node")
    placed = (
        nodes.join(sizes, "component")
        .join(heads, "node", "left")
        .withColumn("chunk", F.when(F.col("size") > max_component, F.row_number().over(order) - 1).otherwise(0))
        .select("node", "component", (F.col("chunk") / max_component).cast("long").alias("chunk"), "size")
    )
    split = sizes.where(F.col("size") > max_component).count()
    member = F.struct("pid", "id", "title", "text", "account", "published_at", "feat")
    members = (
        placed.join(posts, F.col("node") == F.col("pid"))
        .join(blobs, "pid")
        .groupBy("component", "chunk")
        .agg(F.collect_list(member).alias("members"))
    )
    edge = F.struct("a", "b", "exact", "score", "kind", "support", "veto")
    edges = (
        matches.join(placed.select(F.col("node").alias("a"), "component", "chunk"), "a")
        .groupBy("component", "chunk")
        .agg(F.collect_list(edge).alias("edges"))
    )
    tasks = members.join(edges, ["component", "chunk"], "left").select("members", "edges")
    job.phase("cluster")
    clustered = persist(to_frame(df, job.rows(tasks).mapPartitions(partial(cluster_rows, config=cfg)), _CLUSTERED))
    story_posts = clustered.select(F.explode("posts").alias("p")).select("p.*")
    out_posts = story_posts.select("id", "story", "original", "score", "kind")
    out_pairs = clustered.select(F.explode("pairs").alias("p")).select("p.*")
    stories = clustered.select(F.explode("stories").alias("s")).select("s.*")
    figures = stories.agg(
        F.count(F.lit(1)).alias("stories"),
        F.coalesce(F.sum(F.col("posts") - 1), F.lit(0)).alias("copies"),
        F.count(F.when(F.col("accounts") > 1, True)).alias("cross"),
    ).first()
    assert figures is not None

    job.phase("templates")
    found = verdicts.where(F.col("kind") == "template").select("a", "b", "score")
    found = found.unionByName(clustered.select(F.explode("templates").alias("t")).select("t.*"))
    story_of = story_posts.select("pid", "story")
    templates = (
        found.dropDuplicates(["a", "b"])
        .join(story_of.select(F.col("pid").alias("a"), F.col("story").alias("sa")), "a", "left")
        .join(story_of.select(F.col("pid").alias("b"), F.col("story").alias("sb")), "b", "left")
        .where(F.col("sa").isNull() | F.col("sb").isNull() | (F.col("sa") != F.col("sb")))
        .select("a", "b", "score")
    )
    templates = persist(templates)
    template_total = templates.count()
    # pids order as ids do: the strongest, ties by the two ids
    strongest = templates.orderBy(F.desc("score"), "a", "b").limit(cfg.params.max_template_pairs)
    job.phase("families")
    families, examples = _families(templates, posts, cfg, job, kept)
    job.phase("evidence")
    side = posts.join(blobs, "pid").select("pid", "id", "text", "feat")

    def end(name: str) -> DataFrame:
        return side.select(F.col("pid").alias(name), *[F.col(c).alias(f"{c}_{name}") for c in ("id", "text", "feat")])

    # Evidence of the reported template pairs (tag -1) and of the families' examples (tag: the family).
    reported = strongest.select(F.lit(-1).cast("bigint").alias("tag"), "a", "b", "score", F.lit(0).alias("rank"))
    evidence_in = (
        reported.unionByName(examples)
        .join(end("a"), "a")
        .join(end("b"), "b")
        .select("tag", "rank", "id_a", "id_b", "score", "text_a", "text_b", "feat_a", "feat_b")
    )
    made = to_frame(
        df,
        job.rows(evidence_in).mapPartitions(partial(evidence_rows, config=cfg)),
        f"tag bigint, rank int, {PAIR_SCHEMA}",
    )
    made = persist(made)
    out_templates = persist(made.where(F.col("tag") == -1).drop("tag", "rank"))
    out_templates.count()
    pair = F.struct(*[F.col(c) for c in _PAIR_COLUMNS])
    family_pairs = (
        made.where(F.col("tag") >= 0)
        .groupBy("tag")
        .agg(F.collect_list(F.struct("rank", pair.alias("p"))).alias("ps"))
        .select(
            F.col("tag").alias("component"),
            F.transform(F.array_sort("ps", lambda x, y: x["rank"] - y["rank"]), lambda x: x["p"]).alias("pairs"),
        )
    )
    out_families = persist(
        families.join(family_pairs, "component", "left").select(
            "posts",
            "example",
            "title",
            "accounts",
            "first",
            "last",
            "ids",
            F.coalesce("pairs", F.array().cast(f"array<{_PAIR_STRUCT}>")).alias("pairs"),
        )
    )
    n_families = out_families.count()
    made.unpersist()
    job.phase("")
    summary = {
        "articles": articles,
        "stories": int(figures["stories"]),
        "copies": int(figures["copies"]),
        "cross_account_stories": int(figures["cross"]),
        "template_pairs": template_total,
        "template_families": n_families,
        "skipped": skipped + (n_bad if skip_bad else 0),
        "too_short": too_short,
    }
    result = SparkResult(out_posts, out_pairs, out_templates, out_families, split, summary, kept)
    result.timings = job.times
    return result


def _families(
    templates: DataFrame, posts: DataFrame, cfg: DedupConfig, job: _Job, kept: list[DataFrame]
) -> tuple[DataFrame, DataFrame]:
    """The template families (components of template pairs with enough posts) and their example pairs.

    Returns rows ``component, posts, example, title, accounts, first, last, ids``, and
    rows ``tag, a, b, score, rank`` (``tag``: the component) of the examples.
    """
    from pyspark.sql import functions as F

    min_posts = cfg.params.family_min_posts
    nodes = connected_components(templates.select(F.col("a").alias("src"), F.col("b").alias("dst")))
    kept.append(nodes)
    big = nodes.groupBy("component").count().where(F.col("count") >= max(min_posts, 2)).select("component")
    placed = nodes.join(big, "component")
    members = (
        placed.join(posts, F.col("node") == F.col("pid"))
        .groupBy("component")
        .agg(F.collect_list(F.struct("pid", "id", "title", "account", "published_at")).alias("members"))
    )
    inside = (
        templates.join(placed.select(F.col("node").alias("a"), "component"), "a")
        .groupBy("component")
        .agg(F.collect_list(F.struct("a", "b", "score")).alias("pairs"))
    )
    tasks = members.join(inside, "component").select("component", "members", "pairs")
    found = to_frame(templates, job.rows(tasks).mapPartitions(partial(family_rows, config=cfg)), _FAMILIES)
    found = found.persist()
    kept.append(found)
    examples = found.select(F.col("component").alias("tag"), F.explode("examples").alias("e")).select(
        "tag", "e.a", "e.b", "e.score", "e.rank"
    )
    return found.drop("examples"), examples


class _Job:
    """The driver's bookkeeping: partitions per stage, and each phase's time (logged, and named in Spark's UI)."""

    def __init__(self, df: DataFrame, shuffle_partitions: int | None) -> None:
        self.session = df.sparkSession
        self.context = df.sparkSession.sparkContext
        self.parts = max(1, self.context.defaultParallelism)
        self.shuffle_partitions = shuffle_partitions
        self.shuffle = 2 * max(1, self.context.defaultParallelism)
        self.previous = {key: self.session.conf.get(key, None) for key in _JOB_CONF}
        self.current = ""
        self.started = time.perf_counter()
        self.times: dict[str, float] = {}

    def size(self, posts: int) -> None:
        """Partitions for ``posts`` posts: at least one per core, at most :data:`PARTITION_POSTS` posts each."""
        self.parts = max(self.context.defaultParallelism, -(-posts // PARTITION_POSTS), 1)
        self.shuffle = self.shuffle_partitions or max(2 * self.context.defaultParallelism, self.parts)
        self.session.conf.set("spark.sql.shuffle.partitions", str(self.shuffle))
        # Every shuffle keeps its partitions: the Python stages after a join stay spread over
        # the cores (coalesced by size, a 100,000-post extraction ran as 3 tasks on 2 cores),
        # and the features, partitioned by pid once, join without being shuffled again.
        self.session.conf.set("spark.sql.adaptive.coalescePartitions.enabled", "false")

    def close(self) -> None:
        """Restore the session settings the job changed."""
        for key, value in self.previous.items():
            if value is None:
                self.session.conf.unset(key)
            else:
                self.session.conf.set(key, value)

    def rows(self, frame: DataFrame) -> Any:
        """The rows of ``frame`` as an RDD of at most :attr:`parts` partitions (Python tasks cost a start each)."""
        return frame.coalesce(self.parts).rdd

    def phase(self, name: str) -> None:
        """End the current phase (logging its time) and start ``name`` ("" ends the last)."""
        now = time.perf_counter()
        if self.current:
            self.times[self.current] = now - self.started
            logger.info("dedup.spark: %s took %.2f s", self.current, now - self.started)
        self.current, self.started = name, now
        self.context.setLocalProperty("spark.job.description", f"dedup: {name}" if name else None)  # type: ignore[arg-type]

    def count(self, what: str, frame: DataFrame) -> int:
        """Count (and so compute) a kept frame, logging the count."""
        n = frame.count()
        logger.info("dedup.spark: %s: %d", what, n)
        return n


def _release(frames: list[DataFrame]) -> None:
    for frame in frames:
        frame.unpersist()
