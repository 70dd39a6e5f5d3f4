"""Connected components of a graph held in a Spark DataFrame (large-star / small-star).

The distributed driver (``dedup.spark``) links the posts it verified as copies and needs
the connected components of those links without collecting them on the driver. This module
finds them with the alternating large-star / small-star algorithm of Kiveris et al.,
"Connected Components in MapReduce and Beyond" (SoCC 2014), the algorithm GraphFrames runs
by default and text-dedup's Spark job used, written with DataFrame operations only: the
work is done by the executors, two shuffles a round, and the driver reads one row a round
(whether some node is still unsettled).

pyspark is imported when a function runs, so ``import dedup`` never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dedup.exceptions import ConfigError, DedupError, InputError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["ConvergenceError", "connected_components"]

_INTEGRAL = frozenset({"tinyint", "smallint", "int", "bigint"})


class ConvergenceError(DedupError, RuntimeError):
    """The components did not settle within the allowed number of rounds."""


def connected_components(edges: DataFrame, *, max_rounds: int = 64) -> DataFrame:
    """Connected components of the undirected graph whose edges are the rows of ``edges``.

    Parameters
    ----------
    edges : pyspark.sql.DataFrame
        One edge a row, in integer columns ``src`` and ``dst`` (other columns are ignored).
        Direction, repeated edges and self loops do not matter; a node with only a self loop
        is a component of its own. Rows with a null end are ignored.
    max_rounds : int, default 64
        Rounds (one large-star and one small-star step each) allowed before giving up. The
        algorithm needs O(log² n) rounds for n nodes at worst and far fewer in practice
        (a path of 200 nodes in random order takes eight).

    Returns
    -------
    pyspark.sql.DataFrame
        Columns ``node`` and ``component`` (both ``bigint``, never null): one row for every
        node that is an end of some edge, with ``component`` the smallest node id of its
        connected component. Its rows are computed before this function returns and kept by
        the executors as a local checkpoint (until the DataFrame is garbage-collected); the
        driver never holds them.

    Raises
    ------
    InputError
        ``src`` or ``dst`` is missing or not an integer column.
    ConfigError
        ``max_rounds`` is below 1.
    ConvergenceError
        The components have not settled after ``max_rounds`` rounds.

    Notes
    -----
    The edges are held as a node's neighbourhood: one row per node and neighbour, both ways,
    partitioned by node. Each round, the large-star step links every node's larger neighbours
    to the smallest node of its closed neighbourhood, and the small-star step links every node
    and its smaller neighbours to the smallest of them. Both keep the components and shrink
    their diameters. The loop stops when no node has a smaller and a larger neighbour, nor two
    smaller neighbours: then the edges are stars, each centred on the smallest node of its
    component. That test is a flag computed with the neighbourhoods, so a round costs two
    shuffles (one per step) and the driver reads one row per round.

    Every round's neighbourhoods are locally checkpointed (``DataFrame.localCheckpoint``), so
    the query plan stays one round deep, and the previous round's blocks are freed as soon as
    the next round's are stored (Spark logs a warning for each). Local checkpoints live in the
    executors' block managers: losing an executor during the run fails it rather than
    recomputing. A node's whole neighbourhood is one window partition, held by one task, which
    spills to disk when it is large.

    Examples
    --------
    Two components, {1, 2, 3} and {7, 9}, and node 5 with only a self loop:

    >>> edges = spark.createDataFrame([(3, 2), (2, 1), (9, 7), (7, 9), (5, 5)], "src long, dst long")
    >>> components = connected_components(edges)
    >>> components.orderBy("node").show()
    +----+---------+
    |node|component|
    +----+---------+
    |   1|        1|
    |   2|        1|
    |   3|        1|
    |   5|        5|
    |   7|        7|
    |   9|        7|
    +----+---------+
    <BLANKLINE>
    """
    from pyspark.sql import functions as F

    if max_rounds < 1:
        msg = f"max_rounds must be at least 1, got {max_rounds}"
        raise ConfigError(msg)
    types = dict(edges.dtypes)
    for column in ("src", "dst"):
        if column not in types:
            msg = f"the edges have no column {column!r} (columns: {', '.join(types) or 'none'})"
            raise InputError(msg, field=column)
        if types[column] not in _INTEGRAL:
            msg = f"node ids must be integers, not {types[column]}"
            raise InputError(msg, field=column)

    src, dst = F.col("src").cast("long"), F.col("dst").cast("long")
    # One snapshot of the input: the rounds and the final list of nodes read the same rows
    # even when the input is expensive to compute again or not deterministic.
    prepared = (
        edges.where(src.isNotNull() & dst.isNotNull())
        .select(src.alias("src"), dst.alias("dst"))
        .localCheckpoint(eager=True)
    )
    checkpoints = [prepared]  # freed on the way out; a round's frees the one before
    try:
        state = _neighbourhoods(prepared.where(F.col("src") != F.col("dst"))).localCheckpoint(eager=False)
        checkpoints.append(state)
        rounds = 0
        # The first action on a round's neighbourhoods, this test also stores their checkpoint.
        while not state.where("unsettled").isEmpty():
            if len(checkpoints) > 2:
                _release(checkpoints.pop(1))
            if rounds == max_rounds:
                msg = f"connected components did not settle within {max_rounds} rounds"
                raise ConvergenceError(msg)
            state = _neighbourhoods(_small_star(_large_star(state))).localCheckpoint(eager=False)
            checkpoints.append(state)
            rounds += 1
        nodes = prepared.select(F.col("src").alias("node")).union(prepared.select(F.col("dst").alias("node")))
        leaves = state.where(F.col("dst") > F.col("src")).select(
            F.col("dst").alias("node"), F.col("src").alias("component")
        )
        return (
            nodes.distinct()
            .join(leaves, "node", "left")
            .select("node", F.coalesce("component", "node").alias("component"))
            .localCheckpoint(eager=True)
        )
    finally:
        for checkpoint in checkpoints:
            _release(checkpoint)


def _neighbourhoods(links: DataFrame) -> DataFrame:
    """Each node's neighbours, from edges in any direction (repeats allowed, no self loops).

    Rows ``src, dst, low, unsettled``, partitioned by ``src``: ``low`` is the smallest node
    of the closed neighbourhood of ``src`` and ``unsettled`` is set when ``src`` has a smaller
    and a larger neighbour or two smaller ones. Only the rows that the large-star step reads
    (``dst > src``) and those of unsettled nodes are kept.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    src, dst = F.col("src"), F.col("dst")
    both_ways = links.select(F.inline(F.array(F.struct(src, dst), F.struct(dst.alias("src"), src.alias("dst")))))
    # Partitioned by node once: the de-duplication and the window need no shuffle of their own.
    node = Window.partitionBy("src")
    neighbours = (
        both_ways.repartition("src")
        .distinct()
        .select(
            src,
            dst,
            F.least(F.min(dst).over(node), src).alias("low"),
            F.count(F.when(dst < src, True)).over(node).alias("smaller"),
            F.max(dst).over(node).alias("largest"),
        )
    )
    unsettled = (F.col("smaller") > 1) | ((F.col("smaller") == 1) & (F.col("largest") > src))
    return neighbours.select(src, dst, "low", unsettled.alias("unsettled")).where((dst > src) | F.col("unsettled"))


def _large_star(state: DataFrame) -> DataFrame:
    """Edges ``src > dst``: every node's larger neighbours linked to the minimum of its closed neighbourhood."""
    from pyspark.sql import functions as F

    return state.where(F.col("dst") > F.col("src")).select(F.col("dst").alias("src"), F.col("low").alias("dst"))


def _small_star(links: DataFrame) -> DataFrame:
    """Edges from edges ``src > dst``: every node and its smaller neighbours linked to the smallest of them."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    node = Window.partitionBy("src").orderBy("dst")
    ranked = links.select("src", "dst", F.first("dst").over(node).alias("low"), F.row_number().over(node).alias("rank"))
    # (low, neighbour) for every row, and (low, node) once per node; inline() turns the
    # missing second link into a row of nulls, which the filter drops with the self links.
    linked = F.array(
        F.struct(F.col("low").alias("src"), F.col("dst")),
        F.when(F.col("rank") == 1, F.struct(F.col("low").alias("src"), F.col("src").alias("dst"))),
    )
    return ranked.select(F.inline(linked)).where(F.col("src") != F.col("dst"))


def _release(checkpoint: DataFrame) -> None:
    """Free the executors' blocks of a local checkpoint this module made and no longer reads.

    Classic PySpark frees a checkpoint's blocks only when the JVM garbage-collects its RDD,
    which may be much later; the RDD is reached through the DataFrame's JVM handle. Spark
    Connect DataFrames have no such handle and their server frees checkpoints itself.
    """
    handle = getattr(checkpoint, "_jdf", None)
    if handle is None:
        return
    plan = handle.queryExecution().logical()
    if plan.getClass().getSimpleName() == "LogicalRDD":
        plan.rdd().unpersist(False)
