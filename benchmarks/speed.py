"""Speed and scale of ``dedup check``, measured against a naive pipeline and the floor.

    python -m benchmarks.speed                      # 1K / 10K / 100K, 3 runs each
    python -m benchmarks.speed --sizes 10000 --repeat 5

In one run, on the same input:

* **ours**: ``dedup check BATCH --format table --workers W`` in a subprocess (the command
  a user runs; wall time and peak RSS of the whole process tree, workers included);
* **naive** (at ``--naive-size`` posts): the pipeline a user would write with the same
  libraries: ``jieba.lcut`` words, one ``datasketch.MinHash(num_perm=128)`` per post with
  the default hashing (``update_batch`` of UTF-8 words), ``MinHashLSH(threshold=0.5)``,
  connected components;
* **floor**: reading the batch (``json.loads`` per line) and segmenting every text with
  the fastest jieba-compatible tokenizer (rjieba, same words as jieba), in one process
  and in ``W`` processes: what any jieba-based tool must spend at least;
* **quality**: ours on ``../shared/bench/dev.jsonl.gz`` scored with
  ``../shared/tools/score.py``, to show speed did not cost quality.

Batches are built by :mod:`benchmarks.batch` from ``../shared`` (paths are arguments)
and cached under ``benchmarks/results/`` (git-ignored). Times are medians of
``--repeat`` runs; ratios are taken between medians of the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.batch import DEFAULT_CORPUS, DEFAULT_DEV, build_batch, story_units, write_batch

RESULTS = Path(__file__).parent / "results"
SCORER = "../shared/tools/score.py"


# -- measuring a command ------------------------------------------------------------------


def _tree_memory_kb(root: int, *, pss: bool = True) -> tuple[int, int, int]:
    """Memory of a process and all its descendants, from /proc (Linux), in KiB.

    Returns (largest single RSS, sum of RSS, sum of PSS). Forked workers share the
    parent's pages copy-on-write, so the RSS sum counts shared pages once per process
    (an upper bound); PSS splits each shared page between its sharers, so the PSS sum
    is the memory the job really occupies. Reading PSS (``smaps_rollup``) makes the
    kernel walk each process's page tables, which slows a large job down noticeably
    (68-78 s instead of 53 s at 100K posts, polled every 50 ms): ``pss=False`` skips
    it and returns 0 for the PSS sum.
    """
    largest = rss_sum = pss_sum = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
                        largest, rss_sum = max(largest, rss), rss_sum + rss
                        break
            if pss:
                with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
                    for line in fh:
                        if line.startswith("Pss:"):
                            pss_sum += int(line.split()[1])
                            break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return largest, rss_sum, pss_sum


def run_command(argv: Sequence[str], *, pss: bool = False) -> tuple[float, dict[str, float]]:
    """Run ``argv``; return wall seconds and peak memory in MiB (see :func:`_tree_memory_kb`).

    The tree's PSS is polled only with ``pss=True``, in a run whose time is not the one
    reported.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0, 0]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            now = _tree_memory_kb(proc.pid, pss=pss)
            for k in range(3):
                peak[k] = max(peak[k], now[k])
            time.sleep(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    poller.join()
    if proc.returncode not in (0, 1):
        msg = f"{' '.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}"
        raise SystemExit(msg)
    names = ("largest_process_rss_mib", "tree_rss_sum_mib", "tree_pss_mib")
    return wall, {name: round(kb / 1024) for name, kb in zip(names, peak, strict=True)}


def median_of(n: int, fn: Callable[[], tuple[float, Any]]) -> tuple[float, Any, list[float]]:
    """Median wall time of ``n`` runs, the memory figures of the run with the most memory, all walls."""
    runs = [fn() for _ in range(n)]
    walls = [w for w, _ in runs]
    mems = [m for _, m in runs]
    worst = max(mems, key=lambda m: m["largest_process_rss_mib"]) if isinstance(mems[0], dict) else mems[0]
    return statistics.median(walls), worst, walls


# -- the comparison pipelines -----------------------------------------------------------


def _read(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def naive_pipeline(path: Path) -> tuple[float, None]:
    """Run jieba words -> MinHash(128, default hashing) -> MinHashLSH(0.5) -> components."""
    import logging

    import jieba
    from datasketch import MinHash, MinHashLSH

    jieba.setLogLevel(logging.WARNING)
    start = time.perf_counter()
    tok = jieba.Tokenizer()
    posts = _read(path)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    hashes = []
    for i, post in enumerate(posts):
        words = {w for w in tok.lcut(post["text"]) if w.strip()}
        m = MinHash(num_perm=128)
        m.update_batch([w.encode("utf-8") for w in words])
        lsh.insert(i, m)
        hashes.append(m)
    parent = list(range(len(posts)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(hashes):
        for j in lsh.query(m):
            parent[find(i)] = find(j)
    return time.perf_counter() - start, None


def _segment_chunk(texts: list[str]) -> int:
    import rjieba

    seg = rjieba.Jieba()
    return sum(len(seg.cut(t)) for t in texts)


def floor_pipeline(path: Path, workers: int) -> tuple[float, None]:
    """Read the batch and segment every text with rjieba, in ``workers`` processes."""
    start = time.perf_counter()
    texts = [p["text"] for p in _read(path)]
    if workers == 1:
        _segment_chunk(texts)
    else:
        size = max(1, len(texts) // (workers * 8))
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            sum(pool.map(_segment_chunk, chunks))
    return time.perf_counter() - start, None


def dev_quality(dev: str, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stories.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dedup",
                "check",
                dev,
                "--format",
                "json",
                "-o",
                str(out),
                "--exit-zero",
                "-q",
                "--workers",
                str(workers),
            ],
            check=True,
        )
        score = [sys.executable, SCORER, dev, str(out), "--json"]
        res = subprocess.run(score, capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


# -- main -------------------------------------------------------------------------------------


def batch_file(n: int, dev: str, corpus: Sequence[str], units: list[Any] | None) -> tuple[Path, list[Any] | None]:
    path = RESULTS / f"batch-{n}.jsonl.gz"
    if not path.exists():
        units = units if units is not None else story_units(dev, corpus)
        write_batch(build_batch(n, units), path)
    return path, units


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--naive-size", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dev", default=DEFAULT_DEV)
    parser.add_argument("--corpus", nargs="+", default=list(DEFAULT_CORPUS))
    parser.add_argument("--no-naive", action="store_true", help="skip the (slow) naive pipeline")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)

    units = None
    rows: list[dict[str, Any]] = []
    sizes = sorted(set(args.sizes) | ({args.naive_size} if not args.no_naive else set()))
    files: dict[int, Path] = {}
    for n in sizes:
        files[n], units = batch_file(n, args.dev, args.corpus, units)

    def ours(n: int, *, pss: bool = False) -> tuple[float, dict[str, float]]:
        return run_command(
            [
                sys.executable,
                "-m",
                "dedup",
                "check",
                str(files[n]),
                "--format",
                "table",
                "--exit-zero",
                "-q",
                "--workers",
                str(args.workers),
            ],
            pss=pss,
        )

    for n in sizes:
        if n not in args.sizes:
            continue
        wall, rss, walls = median_of(args.repeat, lambda n=n: ours(n))  # type: ignore[misc]
        # The tree's PSS in one more run (polling it slows the job; that run's time is not used).
        pss_wall, pss_mem = ours(n, pss=True)
        rss["tree_pss_mib"] = pss_mem["tree_pss_mib"]
        floor1, _, _ = median_of(args.repeat, lambda n=n: floor_pipeline(files[n], 1))  # type: ignore[misc]
        floorw, _, _ = median_of(args.repeat, lambda n=n: floor_pipeline(files[n], args.workers))  # type: ignore[misc]
        row = {
            "posts": n,
            "ours_s": round(wall, 2),
            "ours_runs": [round(w, 2) for w in walls],
            "pss_run_s": round(pss_wall, 2),
            **rss,
            "floor_1proc_s": round(floor1, 2),
            f"floor_{args.workers}proc_s": round(floorw, 2),
            "ours_over_floor_1proc": round(wall / floor1, 2),
            f"ours_over_floor_{args.workers}proc": round(wall / floorw, 2),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    naive: dict[str, Any] = {}
    if not args.no_naive:
        n = args.naive_size
        nwall, _, nwalls = median_of(args.repeat, lambda: naive_pipeline(files[n]))
        owall, _, _ = median_of(args.repeat, lambda: ours(n))
        naive = {
            "posts": n,
            "naive_s": round(nwall, 2),
            "naive_runs": [round(w, 2) for w in nwalls],
            "ours_s": round(owall, 2),
            "naive_over_ours": round(nwall / owall, 1),
        }
        print(json.dumps(naive), flush=True)
    by_n = {r["posts"]: r["ours_s"] for r in rows}
    scaling = round(by_n[100000] / by_n[10000], 2) if 100000 in by_n and 10000 in by_n else None
    quality = dev_quality(args.dev, args.workers)
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "workers": args.workers,
        "repeat": args.repeat,
        "rows": rows,
        "naive": naive,
        "scaling_100k_over_10k": scaling,
        "dev_quality": {k: quality[k] for k in ("pair_precision", "pair_recall", "pair_f1", "ari", "template_merged")},
    }
    out = RESULTS / "speed.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("scaling_100k_over_10k", "dev_quality")}))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
