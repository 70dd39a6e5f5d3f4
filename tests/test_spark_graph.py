"""dedup.spark_graph.connected_components against a union-find, on local[2] and on a standalone cluster."""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dedup import ConfigError, DedupError, InputError
from dedup.spark_graph import ConvergenceError, connected_components

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def union_find_components(edges: list[tuple[int, int]]) -> dict[int, int]:
    """node -> smallest node of its component, the slow and obvious way."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: find(node) for node in parent}


def mixed_graph(seed: int, path_length: int = 200) -> list[tuple[int, int]]:
    """Paths (ids in random and in descending order), stars, pairs, self loops, repeated and
    reversed edges, sparse random graphs and the extreme long ids, on unique random ids."""
    rng = random.Random(seed)
    ids = iter(rng.sample(range(-(10**15), 10**15), 2 * path_length + 600))
    edges: list[tuple[int, int]] = []
    path = [next(ids) for _ in range(path_length)]  # ids in random order along the path: many rounds
    edges += list(itertools.pairwise(path))
    path = sorted((next(ids) for _ in range(path_length)), reverse=True)
    edges += list(itertools.pairwise(path))
    for _ in range(3):  # stars whose centre is not the smallest node
        centre, leaves = next(ids), [next(ids) for _ in range(40)]
        edges += [(centre, leaf) if rng.random() < 0.5 else (leaf, centre) for leaf in leaves]
    edges += [(next(ids), next(ids)) for _ in range(20)]  # isolated pairs
    loners = [next(ids) for _ in range(5)]
    edges += [(n, n) for n in loners]  # nodes with only a self loop
    for _ in range(2):  # sparse random graphs: a few components of various shapes each
        nodes = [next(ids) for _ in range(150)]
        edges += [(rng.choice(nodes), rng.choice(nodes)) for _ in range(130)]
    edges += [(LONG_MAX, LONG_MIN), (LONG_MIN, loners[0]), (LONG_MAX - 1, LONG_MAX)]
    edges += [(b, a) for a, b in rng.sample(edges, 60)] + rng.sample(edges, 60)  # reversed and repeated
    rng.shuffle(edges)
    return edges


def components_of(spark: SparkSession, edges: list[tuple[int, int]], **kwargs: int) -> dict[int, int]:
    result = connected_components(spark.createDataFrame(edges, "src long, dst long"), **kwargs)
    rows = result.collect()
    found = {row["node"]: row["component"] for row in rows}
    assert len(found) == len(rows), "a node is listed twice"
    return found


@pytest.mark.slow
def test_components_match_union_find(spark_local: SparkSession) -> None:
    edges = mixed_graph(seed=1) + mixed_graph(seed=2)  # two graphs sharing a few nodes
    assert components_of(spark_local, edges) == union_find_components(edges)


def test_result_schema_and_empty_graph(spark_local: SparkSession) -> None:
    result = connected_components(spark_local.createDataFrame([], "src long, dst long"))
    assert [(f.name, f.dataType.simpleString()) for f in result.schema.fields] == [
        ("node", "bigint"),
        ("component", "bigint"),
    ]
    assert result.count() == 0


def test_stars_and_pairs_need_no_round(spark_local: SparkSession) -> None:
    edges = [(1, 2), (1, 3), (3, 1), (5, 4), (6, 6)]
    assert components_of(spark_local, edges, max_rounds=1) == {1: 1, 2: 1, 3: 1, 4: 4, 5: 4, 6: 6}


def test_integer_columns_of_any_width_extra_columns_and_null_ends(spark_local: SparkSession) -> None:
    edges = spark_local.createDataFrame(
        [(3, 2, "x"), (2, None, "y"), (None, 9, "z"), (7, 8, "w")], "dst int, src smallint, label string"
    )
    found = {row["node"]: row["component"] for row in connected_components(edges).collect()}
    assert found == {2: 2, 3: 2, 7: 7, 8: 7}


def test_does_not_settle_within_max_rounds(spark_local: SparkSession) -> None:
    path = [(i, i + 1) for i in range(0, 64, 2)] + [(i, i + 1) for i in range(1, 64, 2)]
    scrambled = random.Random(5).sample(range(1000), 65)
    edges = spark_local.createDataFrame([(scrambled[a], scrambled[b]) for a, b in path], "src long, dst long")
    with pytest.raises(ConvergenceError, match="within 1 rounds") as caught:
        connected_components(edges, max_rounds=1)
    assert isinstance(caught.value, DedupError)
    assert isinstance(caught.value, RuntimeError)


def test_rejects_bad_input_before_running(spark_local: SparkSession) -> None:
    with pytest.raises(InputError, match="field src: node ids must be integers, not string"):
        connected_components(spark_local.createDataFrame([("a", 1)], "src string, dst long"))
    with pytest.raises(InputError, match="no column 'dst'"):
        connected_components(spark_local.createDataFrame([(1, 2)], "src long, target long"))
    with pytest.raises(InputError, match="node ids must be integers, not double"):
        connected_components(spark_local.createDataFrame([(1, 2.0)], "src long, dst double"))
    with pytest.raises(ConfigError, match="max_rounds must be at least 1, got 0"):
        connected_components(spark_local.createDataFrame([(1, 2)], "src long, dst long"), max_rounds=0)


def test_keeps_only_the_result_in_executor_storage(spark_local: SparkSession) -> None:
    """The rounds' checkpoints are freed as the rounds go: what stays is the result's own."""

    def stored() -> set[int]:
        return {int(rdd_id) for rdd_id in spark_local.sparkContext._jsc.getPersistentRDDs().keySet()}

    before = stored()  # results of earlier calls may be freed meanwhile: compare sets
    edges = [(i, i + 1) for i in range(40)]
    random.Random(3).shuffle(edges)
    result = connected_components(spark_local.createDataFrame(edges, "src long, dst long"))
    assert len(stored() - before) == 1
    assert {row["component"] for row in result.collect()} == {0}


@pytest.mark.slow
def test_components_on_a_standalone_cluster(spark_on_cluster: SparkSession, tmp_path: Path) -> None:
    """Executors in the two workers' processes compute the components and write them out."""
    sc = spark_on_cluster.sparkContext
    assert sc.master.startswith("spark://127.0.0.1:")
    edges = mixed_graph(seed=3, path_length=50)  # fewer rounds than the local test's: each costs more here
    out = tmp_path / "components"
    connected_components(spark_on_cluster.createDataFrame(edges, "src long, dst long").repartition(4)).write.json(
        str(out)
    )

    assert sc._jsc.sc().getExecutorMemoryStatus().size() == 1 + 2  # the driver's block manager and two executors'
    python_workers = set(sc.parallelize(range(8), 8).map(lambda _: (os.getpid(), sys.executable)).collect())
    assert {exe for _, exe in python_workers} == {sys.executable}
    assert os.getpid() not in {pid for pid, _ in python_workers}
    found: dict[int, int] = {}
    for part in sorted(out.glob("part-*.json")):
        for line in part.read_text().splitlines():
            row = json.loads(line)
            assert row["node"] not in found
            found[row["node"]] = row["component"]
    assert found == union_find_components(edges)
