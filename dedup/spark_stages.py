"""The Spark job's aggregating stages: learning boilerplate and chrome, and the LSH candidate rule.

These stages group rows across the whole batch, so they are written as DataFrame
operations (shuffles run by the executors); whatever is computed per post or per group
calls the shared steps through :mod:`dedup.spark_steps`.

* :func:`learn_boilerplate`: each account's recurring sentences, the rule of
  :class:`~dedup.boilerplate.AccountBoilerplate` (identical bodies of an account count
  once; a sentence is learned when at least
  :meth:`~dedup.boilerplate.AccountBoilerplate.min_count` of the account's distinct
  bodies hold it).
* :func:`learn_chrome`: the rule of :func:`dedup.chrome.learn_chrome` (identical bodies
  count once): sentence counts by a ``groupBy``; each post's
  :func:`~dedup.chrome.recurring_share` over its candidates per post; then, per
  candidate with all its posts, :func:`~dedup.chrome.occurrence_votes` (posts ordered
  by :func:`~dedup.chrome.reference_rank`, as :func:`~dedup.chrome.chrome_votes` orders
  them) and :func:`~dedup.chrome.chrome_decision`.
* :func:`candidate_pairs`: the candidate rule of :func:`dedup.lsh.candidate_pairs`,
  caps included. Each band's bucket lists its rows ordered by (first MinHash value,
  post rank, paragraph number); a row is paired with the next ``max_bucket - 1`` rows
  of the list (all pairs in a bucket of at most ``max_bucket``), exactly
  :func:`~dedup.lsh.colliding_rows`; then each row keeps its ``max_candidates``
  partners sharing the most bands (ties by that rank), a pair staying when either row
  keeps it; the full-text table and the table of leads and paragraph leads are capped
  separately, and pairs of two paragraph leads are dropped after the cap, as in the batch.

pyspark is imported when a function runs, so ``import dedup`` never needs it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from dedup.boilerplate import AccountBoilerplate
from dedup.config import DedupConfig
from dedup.spark_steps import chrome_sentences, chrome_shares

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["candidate_pairs", "learn_boilerplate", "learn_chrome", "to_frame"]


def to_frame(like: DataFrame, rdd: Any, schema: str) -> DataFrame:
    """A DataFrame of the tuples of ``rdd`` with a DDL ``schema``, in ``like``'s session."""
    return like.sparkSession.createDataFrame(rdd, schema, verifySchema=False)


def _coalesced(frame: DataFrame, parts: int | None) -> DataFrame:
    return frame if parts is None else frame.coalesce(parts)


def _needs(rows: Any, rule: AccountBoilerplate) -> Any:
    for account, posts in rows:
        yield account, float(rule.min_count(posts))


def learn_boilerplate(prepared: DataFrame, config: DedupConfig, parts: int | None = None) -> DataFrame:
    """Each account's learned sentences: rows ``account, key``.

    Parameters
    ----------
    prepared : DataFrame
        ``account``, ``body_key`` and ``keys`` (sorted distinct sentence keys) per post.
    config : DedupConfig
        ``params.boilerplate_min_posts`` and ``boilerplate_min_share``.
    parts : int, optional
        Partitions of the Python step at most.
    """
    from pyspark.sql import functions as F

    bodies = prepared.where(F.col("account") != "").select("account", "body_key", "keys")
    bodies = bodies.dropDuplicates(["account", "body_key"])  # an account's identical bodies count once
    posts = bodies.groupBy("account").count()
    rule = AccountBoilerplate.from_params(config.params)
    need = to_frame(
        posts, _coalesced(posts, parts).rdd.mapPartitions(partial(_needs, rule=rule)), "account string, need double"
    )
    counts = bodies.select("account", F.explode("keys").alias("key")).groupBy("account", "key").count()
    return counts.join(need, "account").where(F.col("count") >= F.col("need")).select("account", "key")


def learn_chrome(prepared: DataFrame, config: DedupConfig, parts: int | None = None) -> DataFrame:
    """The batch's chrome sentences: rows ``key``.

    Parameters
    ----------
    prepared : DataFrame
        ``body_key``, ``length``, ``s_keys``, ``s_sizes`` (each sentence once, longest
        size), ``sketch`` and ``grams`` (:func:`~dedup.chrome.body_sketch`) per post.
    config : DedupConfig
        ``params.chrome_min_posts`` and ``params.chrome_related``.
    parts : int, optional
        Partitions of the Python steps at most (each Python task costs a start).
    """
    from pyspark.sql import functions as F

    p = config.params
    # Identical posts count once.
    posts = prepared.select("body_key", "length", "s_keys", "s_sizes", "sketch", "grams").dropDuplicates(["body_key"])
    occurrences = posts.select(
        "body_key", F.explode(F.arrays_zip(F.col("s_keys").alias("key"), F.col("s_sizes").alias("size"))).alias("o")
    ).select("body_key", "o.key", "o.size")
    # Candidates: sentences in at least min_posts distinct posts (SentenceStats).
    counts = occurrences.groupBy("key").agg(F.count(F.lit(1)).alias("posts"))
    on = occurrences.join(counts.where(F.col("posts") >= p.chrome_min_posts).select("key"), "key")
    # Each post's recurring share over its candidates.
    held = (
        on.groupBy("body_key")
        .agg(F.collect_list("size").alias("sizes"))
        .join(posts.select("body_key", "length"), "body_key")
    )
    shares = to_frame(
        held,
        _coalesced(held.select("body_key", "length", "sizes"), parts).rdd.mapPartitions(chrome_shares),
        "body_key bigint, share double",
    )
    # Per candidate, all its posts: votes and the decision in one Python step.
    described = shares.join(posts.select("body_key", "sketch", "grams"), "body_key")
    grouped = (
        on.select("key", "body_key")
        .join(described, "body_key")
        .groupBy("key")
        .agg(F.collect_list(F.struct("body_key", "share", "sketch", "grams")).alias("o"))
    )
    decided = _coalesced(grouped.select("key", "o"), parts).rdd.mapPartitions(
        partial(chrome_sentences, related=p.chrome_related)
    )
    return to_frame(grouped, decided, "key bigint")


def candidate_pairs(bands: DataFrame, config: DedupConfig) -> DataFrame:
    """Candidate pairs ``a < b`` (post ranks) of the posts in ``bands`` (see the module docstring).

    Parameters
    ----------
    bands : DataFrame
        Per taking-part post: ``pid`` (its rank by id), ``full``, ``lead`` (band keys),
        ``paras`` (band keys of each paragraph lead), ``full_tie``, ``lead_tie``,
        ``para_ties`` (first MinHash values).
    config : DedupConfig
        ``params.max_bucket`` and ``params.max_candidates``.
    """
    from pyspark.sql import functions as F

    p = config.params
    zero = F.lit(0).cast("int")
    full_rows = bands.select(
        F.lit(0).alias("t"), "pid", zero.alias("para"), F.col("full_tie").alias("tie"), F.col("full").alias("keys")
    )
    lead_rows = bands.select(
        F.lit(1).alias("t"), "pid", zero.alias("para"), F.col("lead_tie").alias("tie"), F.col("lead").alias("keys")
    )
    para_rows = bands.select(
        "pid", F.posexplode(F.arrays_zip(F.col("paras").alias("keys"), F.col("para_ties").alias("tie")))
    ).select(F.lit(1).alias("t"), "pid", (F.col("pos") + 1).alias("para"), "col.tie", "col.keys")
    # Both tables at once, told apart by ``t`` (0: full texts, 1: leads and paragraph leads).
    found = _colliding(full_rows.unionByName(lead_rows).unionByName(para_rows), p.max_bucket, p.max_candidates)
    found = found.where(
        (F.col("t") == 0) | (((F.col("x.para") == 0) | (F.col("y.para") == 0)) & (F.col("x.pid") != F.col("y.pid")))
    )
    pairs = found.select(F.least("x.pid", "y.pid").alias("a"), F.greatest("x.pid", "y.pid").alias("b"))
    return pairs.distinct()


def _colliding(rows: DataFrame, max_bucket: int, max_candidates: int | None) -> DataFrame:
    """Pairs ``t, x, y`` (rows ``tie, pid, para``, ``x`` first in rank) sharing a bucket of table ``t``, capped."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    row = F.struct("tie", "pid", "para")
    exploded = rows.select("t", row.alias("r"), F.posexplode("keys").alias("band", "key"))
    buckets = (
        exploded.groupBy("t", "band", "key")
        .agg(F.sort_array(F.collect_list("r")).alias("m"))
        .where(F.size("m") >= 2)
        .select("t", "m", (F.size("m") - 1).alias("last"))
    )
    # Member i of a bucket pairs with members i+1 .. i+max_bucket-1 (all of them in a small bucket).
    pairs = F.flatten(
        F.transform(
            F.sequence(F.lit(0), F.col("last") - 1),
            lambda i: F.transform(
                F.sequence(i + 1, F.least(i + max_bucket - 1, F.col("last"))),
                lambda j: F.struct(F.col("m")[i].alias("x"), F.col("m")[j].alias("y")),
            ),
        )
    )
    if max_bucket < 2:  # no bucket pairs anyone (colliding_rows: offsets 1 .. max_bucket - 1)
        buckets = buckets.where(F.lit(False))
    found = buckets.select("t", F.explode(pairs).alias("p")).select("t", "p.x", "p.y")
    # Two paragraph leads are no pair: dropped before they take places under the cap
    # (lsh.colliding_rows' ``anchors``).
    found = found.where((F.col("t") == 0) | (F.col("x.para") == 0) | (F.col("y.para") == 0))
    shared = found.groupBy("t", "x", "y").agg(F.count(F.lit(1)).alias("shared"))  # bands the pair shares
    if max_candidates is None:
        return shared.select("t", "x", "y")
    both = shared.select("t", F.col("x").alias("src"), F.col("y").alias("dst"), "shared").unionByName(
        shared.select("t", F.col("y").alias("src"), F.col("x").alias("dst"), "shared")
    )
    strongest = Window.partitionBy("t", "src").orderBy(F.desc("shared"), F.asc("dst"))
    kept = both.withColumn("n", F.row_number().over(strongest)).where(F.col("n") <= max_candidates)
    return kept.select("t", _first("src", "dst").alias("x"), _last("src", "dst").alias("y")).distinct()


def _first(a: str, b: str) -> Column:
    from pyspark.sql import functions as F

    return F.when(F.col(a) < F.col(b), F.col(a)).otherwise(F.col(b))


def _last(a: str, b: str) -> Column:
    from pyspark.sql import functions as F

    return F.when(F.col(a) < F.col(b), F.col(b)).otherwise(F.col(a))
