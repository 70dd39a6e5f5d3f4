"""DedupIndex at 100,000 posts: add throughput, query latency, memory; in memory and on Redis.

The index is built from the labelled dev set (internal data, read by path, never
copied): ``--queries`` posts are held out as queries (they have their story mates in
the index), the other dev posts are indexed as they are, and the index is filled up
to ``--posts`` with *replicas*: every dev post again under a new id with a random half
of its Chinese character types replaced by others (one substitution table per
replica round), so that each replica is a distinct, unrelated post with realistic
length, punctuation, numbers and account.

    python -m benchmarks.index_bench                      # 100,000 posts, memory and Redis
    python -m benchmarks.index_bench --posts 20000 --no-redis

Redis: ``--redis URL`` names a server; by default a private ``redis-server`` is started
on a free loopback port (and stopped at the end). Results are printed as Markdown
table rows and written to ``benchmarks/results/index_bench.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dedup import Article, DedupConfig, DedupIndex, read_articles

DEFAULT_DATA = "../shared/bench/dev.jsonl.gz"
_CJK_LO, _CJK_HI = "\u4e00", "\u9fff"


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def build_posts(
    dev: Sequence[Article], *, posts: int, queries: int, seed: int = 1
) -> tuple[list[Article], list[Article]]:
    """Return ``(indexed, queries)``: held-out dev posts and an index of ``posts`` posts."""
    rng = random.Random(seed)
    order = list(range(len(dev)))
    rng.shuffle(order)
    held = set(order[:queries])
    query_posts = [dev[i] for i in sorted(held)]
    indexed = [a for i, a in enumerate(dev) if i not in held]
    vocab = sorted({c for a in dev for c in a.text if _CJK_LO <= c <= _CJK_HI})
    round_ = 0
    while len(indexed) < posts:
        round_ += 1
        table = {ord(c): rng.choice(vocab) for c in vocab if rng.random() < 0.5}
        for a in dev:
            if len(indexed) >= posts:
                break
            indexed.append(
                Article(
                    id=f"{a.id}~r{round_}",
                    text=a.text.translate(table),
                    title=a.title.translate(table),
                    account=a.account,
                    published_at=a.published_at,
                )
            )
    return indexed[:posts], query_posts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server(url: str | None) -> Iterator[str | None]:
    """Yield a Redis URL: the one given, or a private loopback redis-server (None if impossible)."""
    if url:
        yield url
        return
    exe = shutil.which("redis-server")
    if exe is None:
        print("redis-server not found: skipping the Redis measurements", file=sys.stderr)
        yield None
        return
    import redis

    workdir = tempfile.mkdtemp(prefix="index-bench-redis-")
    port = _free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure_queries(index: DedupIndex, queries: Sequence[Article], *, evidence: bool) -> dict[str, float]:
    for q in queries[:20]:  # warm-up (tokenizer dictionary, caches)
        index.query(q, evidence=evidence)
    times = []
    matched = 0
    matches = 0
    for q in queries:
        start = time.perf_counter()
        found = index.query(q, k=10, evidence=evidence)
        times.append(time.perf_counter() - start)
        matched += bool(found)
        matches += len(found)
    return {
        "p50_ms": statistics.median(times) * 1e3,
        "p99_ms": _percentile(times, 0.99) * 1e3,
        "mean_ms": statistics.fmean(times) * 1e3,
        "matched_share": matched / len(queries),
        "matches_per_query": matches / len(queries),
    }


def bench_memory(config: DedupConfig, posts: Sequence[Article], queries: Sequence[Article]) -> dict[str, Any]:
    index = DedupIndex(config)
    index.query(queries[0])  # loads the tokenizer: a fixed cost, not a per-post one
    gc.collect()
    before = _rss_mb()
    start = time.perf_counter()
    index.add(posts)
    add_s = time.perf_counter() - start
    gc.collect()
    rss = _rss_mb() - before
    out: dict[str, Any] = {
        "posts": len(index),
        "add_posts_per_s": len(posts) / add_s,
        "memory_bytes_per_post": rss * 1e6 / len(posts),
    }
    out["query"] = measure_queries(index, queries, evidence=False)
    out["query_evidence"] = measure_queries(index, queries[:200], evidence=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "posts.dedup"
        start = time.perf_counter()
        index.save(path)
        out["save_s"] = time.perf_counter() - start
        out["file_bytes_per_post"] = path.stat().st_size / len(posts)
        del index
        gc.collect()
        start = time.perf_counter()
        loaded = DedupIndex.load(path)
        out["load_s"] = time.perf_counter() - start
        out["query_after_load"] = measure_queries(loaded, queries[:200], evidence=False)
    return out


def bench_redis(config: DedupConfig, url: str, posts: Sequence[Article], queries: Sequence[Article]) -> dict[str, Any]:
    import redis

    name = f"bench-{os.getpid()}"
    client = redis.Redis.from_url(url)
    used_before = int(client.info("memory")["used_memory"])
    index = DedupIndex.connect(f"{url}?index={name}", config=config)
    try:
        start = time.perf_counter()
        index.add(posts)
        add_s = time.perf_counter() - start
        used = int(client.info("memory")["used_memory"]) - used_before
        out: dict[str, Any] = {
            "posts": len(index),
            "add_posts_per_s": len(posts) / add_s,
            "redis_bytes_per_post": used / len(posts),
        }
        out["query"] = measure_queries(index, queries, evidence=False)
        out["query_evidence"] = measure_queries(index, queries[:200], evidence=True)
        return out
    finally:
        index.clear()
        client.delete(f"dedup:{name}:meta")
        index.close()
        client.close()


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def _row(kind: str, r: dict[str, Any], memory_key: str) -> str:
    q, qe = r["query"], r["query_evidence"]
    return (
        f"| {kind} | {r['posts']:,} | {r['add_posts_per_s']:.0f} | {q['p50_ms']:.1f} | {q['p99_ms']:.1f} | "
        f"{qe['p50_ms']:.1f} | {r[memory_key] / 1024:.1f} KiB |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print Markdown rows and write a JSON file of the results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.index_bench", description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", default=DEFAULT_DATA, help=f"labelled dev set (default {DEFAULT_DATA})")
    parser.add_argument("--posts", type=int, default=100_000, help="posts in the index (default 100,000)")
    parser.add_argument("--queries", type=int, default=1000, help="held-out dev posts queried (default 1,000)")
    parser.add_argument("--redis", metavar="URL", help="Redis server (default: start a private redis-server)")
    parser.add_argument("--no-redis", action="store_true", help="measure the in-memory index only")
    parser.add_argument("--no-memory", action="store_true", help="measure the Redis index only")
    parser.add_argument("-o", "--output", default="benchmarks/results/index_bench.json", help="JSON results file")
    args = parser.parse_args(argv)

    dev = read_articles(args.data)
    posts, queries = build_posts(dev, posts=args.posts, queries=args.queries)
    del dev
    config = DedupConfig()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "commit": _commit(),
        "data": args.data,
        "posts": len(posts),
        "queries": len(queries),
        "load_average_start": os.getloadavg(),
    }
    print(f"{len(posts):,} posts indexed, {len(queries):,} queries; {results['machine']}", file=sys.stderr)
    if not args.no_memory:
        results["memory"] = bench_memory(config, posts, queries)
        print(json.dumps(results["memory"], indent=1), file=sys.stderr)
    if not args.no_redis:
        with redis_server(args.redis) as url:
            if url is not None:
                results["redis"] = bench_redis(config, url, posts, queries)
                print(json.dumps(results["redis"], indent=1), file=sys.stderr)
    results["load_average_end"] = os.getloadavg()
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(
        "| index | posts | add (posts/s) | query p50 (ms) | query p99 (ms) | p50 with evidence (ms) | memory per post |"
    )
    print("|---|---|---|---|---|---|---|")
    if "memory" in results:
        print(_row("in memory", results["memory"], "memory_bytes_per_post"))
    if "redis" in results:
        print(_row("Redis (loopback)", results["redis"], "redis_bytes_per_post"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
