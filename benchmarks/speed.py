"""Speed and scale of ``dedup check``: every output format, ordinary and template-heavy batches, against the floor.

    python -m benchmarks.speed                                   # 1K / 10K / 100K ordinary, every format, 3 runs
    python -m benchmarks.speed --sizes 100000 --formats table json html --template-sizes
    python -m benchmarks.speed --sizes 10000 --template-sizes 10000 --formats table json

In one run, on the same inputs, runs of the formats (and of the floors) taking turns,
so that a slow spell of a shared machine falls on all of them alike:

* **batches**: ``ordinary`` (:mod:`benchmarks.batch`: corpus posts with dev-style
  reposts), and the template-heavy ``notices-one`` and ``notices-all``
  (:mod:`benchmarks.notices`: ``generate N --templates 1``, and all templates) at
  ``--template-sizes``;
* **ours**: ``dedup check BATCH --format F -o FILE --workers W`` in a subprocess for
  every format F (the command a user runs; start-up, reading, rendering and writing
  included): wall time, and peak memory polled over the process tree (the largest
  process's RSS, the sum of RSS; with ``--pss``, the tree's PSS in one more run whose
  time is not used, because reading PSS slows the job);
* **floor**: reading the batch (``json.loads`` per line) and segmenting every text with
  rjieba (the fastest jieba-compatible tokenizer), in 1 process and in ``W``: what any
  jieba-based tool must spend at least;
* **ratios**, between medians of the same run: each format over ``table``, and over
  the 1-process and ``W``-process floors;
* optionally the **naive** pipeline (``--naive-size``: jieba, datasketch MinHash and
  MinHashLSH, components) and the dev set's **quality** (``--quality``).

``--million`` adds 1,000,000 posts to the sizes: past 100,000 posts an ordinary batch is
the 100K batch and its word-replica rounds (:mod:`benchmarks.replicas`). Batches are cached under
``benchmarks/results/`` (git-ignored), as are ``speed.json`` and ``speed.csv``.
Times are medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import platform
import resource
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
from benchmarks.replicas import replicate_words

RESULTS = Path(__file__).parent / "results"
SCORER = "../shared/tools/score.py"


# -- measuring a command ------------------------------------------------------------------


def _tree_memory_kb(root: int, *, pss: bool = True) -> tuple[int, int, int, int]:
    """Memory of a process and all its descendants, from /proc (Linux), in KiB.

    Returns (largest single RSS, sum of RSS, sum of PSS, largest anonymous RSS). The
    anonymous part of a process's RSS is the memory it owns; the rest is pages of
    mapped files (the program, and with ``--spill-dir`` the features), which the kernel
    drops under memory pressure and reads again. Forked workers share the
    parent's pages copy-on-write, so the RSS sum counts shared pages once per process
    (an upper bound); PSS splits each shared page between its sharers, so the PSS sum
    is the memory the job really occupies. Reading PSS (``smaps_rollup``) makes the
    kernel walk each process's page tables, which slows a large job down noticeably
    (68-78 s instead of 53 s at 100K posts, polled every 50 ms): ``pss=False`` skips
    it and returns 0 for the PSS sum.
    """
    largest = rss_sum = pss_sum = anon = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
                        largest, rss_sum = max(largest, rss), rss_sum + rss
                    elif line.startswith("RssAnon:"):
                        anon = max(anon, int(line.split()[1]))
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
    return largest, rss_sum, pss_sum, anon


def run_command(argv: Sequence[str], *, pss: bool = False) -> tuple[float, dict[str, float]]:
    """Run ``argv``; return wall seconds, peak memory in MiB (see :func:`_tree_memory_kb`) and CPU seconds.

    The tree's PSS is polled only with ``pss=True``, in a run whose time is not the one
    reported. ``cpu_s`` is the user + system time of the process and of every process it
    waited for (its workers): steadier than the wall time on a shared machine.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0, 0, 0]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            now = _tree_memory_kb(proc.pid, pss=pss)
            for k in range(4):
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    names = ("largest_process_rss_mib", "tree_rss_sum_mib", "tree_pss_mib", "largest_process_anon_mib")
    return wall, {**{name: round(kb / 1024) for name, kb in zip(names, peak, strict=True)}, "cpu_s": round(cpu, 2)}


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
    figures: dict[str, float] = json.loads(res.stdout)
    return figures


# -- batches --------------------------------------------------------------------------------

KINDS = ("ordinary", "notices-one", "notices-all")
FORMATS = ("table", "json", "jsonl", "csv", "html")


#: The largest ordinary batch built from the corpus itself; larger ones are its word replicas.
CORPUS_BATCH = 100_000


def batch_file(n: int, dev: str, corpus: Sequence[str], units: list[Any] | None) -> tuple[Path, list[Any] | None]:
    """The ordinary batch of ``n`` posts (built once, cached); the story units for the next size.

    Past :data:`CORPUS_BATCH` posts the batch is that batch and its word-replica rounds
    (:mod:`benchmarks.replicas`): the corpus gives about 100,000 posts.
    """
    if n > CORPUS_BATCH:
        # v2: rounds keep reposts wrapped in boilerplate or re-spaced as copies (benchmarks.replicas)
        path = RESULTS / f"batch-{n}-words-v2.jsonl.gz"
        if not path.exists():
            base, units = batch_file(CORPUS_BATCH, dev, corpus, units)
            replicate_words(base, n, path)
        return path, units
    path = RESULTS / f"batch-{n}.jsonl.gz"
    if not path.exists():
        units = units if units is not None else story_units(dev, corpus)
        write_batch(build_batch(n, units), path)
    return path, units


def notices_file(n: int, templates: int | None) -> Path:
    """A template-heavy batch of ``n`` notices: one template, or all (built once, cached)."""
    from benchmarks.notices import generate, write_posts

    path = RESULTS / f"notices-{'one' if templates == 1 else 'all'}-{n}.jsonl.gz"
    if not path.exists():
        write_posts(generate(n, templates=templates), path)
    return path


# -- one run of the benchmark -------------------------------------------------------------------


def ours_command(path: Path, fmt: str, output: Path, workers: int) -> list[str]:
    """``dedup check`` as a user runs it, writing the report to ``output``.

    A format ``F+spill`` is ``F`` with ``--spill-dir`` (next to ``output``).
    """
    fmt, plus, _ = fmt.partition("+spill")
    spill = ["--spill-dir", str(output.parent)] if plus else []
    return [
        sys.executable,
        "-m",
        "dedup",
        "check",
        str(path),
        "--format",
        fmt,
        "-o",
        str(output),
        "--exit-zero",
        "-q",
        "--workers",
        str(workers),
        *spill,
    ]


def measure_batch(
    kind: str, n: int, path: Path, formats: Sequence[str], *, workers: int, repeat: int, pss: bool
) -> list[dict[str, Any]]:
    """Every format and both floors on one batch, their runs taking turns; one row per format."""
    walls: dict[str, list[float]] = {f: [] for f in formats}
    mems: dict[str, list[dict[str, float]]] = {f: [] for f in formats}
    floors: dict[int, list[float]] = {1: [], workers: []}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            for procs in floors:
                floors[procs].append(floor_pipeline(path, procs)[0])
            for fmt in formats:
                output = Path(tmp) / f"report.{fmt}"
                wall, mem = run_command(ours_command(path, fmt, output, workers))
                walls[fmt].append(wall)
                mems[fmt].append(mem)
                sizes[fmt] = output.stat().st_size
                output.unlink()
        pss_figures: dict[str, tuple[float, float]] = {}
        if pss:
            for fmt in formats:
                output = Path(tmp) / f"report.{fmt}"
                wall, mem = run_command(ours_command(path, fmt, output, workers), pss=True)
                pss_figures[fmt] = (wall, mem["tree_pss_mib"])
                output.unlink()
    floor1 = statistics.median(floors[1])
    floorw = statistics.median(floors[workers])
    base = statistics.median(walls["table"]) if "table" in walls else None
    base_cpu = statistics.median(m["cpu_s"] for m in mems["table"]) if "table" in mems else None
    rows = []
    for fmt in formats:
        wall = statistics.median(walls[fmt])
        cpu = statistics.median(m["cpu_s"] for m in mems[fmt])
        row: dict[str, Any] = {
            "batch": kind,
            "posts": n,
            "format": fmt,
            "workers": workers,
            "wall_s": round(wall, 2),
            "runs_s": [round(w, 2) for w in walls[fmt]],
            "cpu_s": round(cpu, 2),
            "largest_process_rss_mib": max(m["largest_process_rss_mib"] for m in mems[fmt]),
            "largest_process_anon_mib": max(m["largest_process_anon_mib"] for m in mems[fmt]),
            "tree_rss_sum_mib": max(m["tree_rss_sum_mib"] for m in mems[fmt]),
            "tree_pss_mib": pss_figures[fmt][1] if fmt in pss_figures else None,
            "pss_run_s": round(pss_figures[fmt][0], 2) if fmt in pss_figures else None,
            "output_mb": round(sizes[fmt] / 1e6, 1),
            "floor_1proc_s": round(floor1, 2),
            "floor_1proc_runs_s": [round(w, 2) for w in floors[1]],
            f"floor_{workers}proc_s": round(floorw, 2),
            f"floor_{workers}proc_runs_s": [round(w, 2) for w in floors[workers]],
            "over_table": round(wall / base, 2) if base else None,
            "cpu_over_table": round(cpu / base_cpu, 2) if base_cpu else None,
            "over_floor_1proc": round(wall / floor1, 2),
            f"over_floor_{workers}proc": round(wall / floorw, 2),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def markdown(rows: Sequence[dict[str, Any]], workers: int) -> str:
    """The rows as the table benchmarks/README.md shows."""
    lines = [
        "| batch | posts | format | wall (s) | runs (s) | / table | CPU (s) | CPU / table | largest process RSS "
        "| largest anonymous RSS "
        f"| tree PSS | floor 1 proc (s) | floor {workers} procs (s) | / floor 1 proc | / floor {workers} procs |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        pss = f"{r['tree_pss_mib']:,} MiB" if r["tree_pss_mib"] is not None else "-"
        lines.append(
            f"| {r['batch']} | {r['posts']:,} | {r['format']} | {r['wall_s']} | "
            f"{', '.join(str(w) for w in r['runs_s'])} | {_or_dash(r['over_table'])} | {r['cpu_s']} | "
            f"{_or_dash(r['cpu_over_table'])} | {r['largest_process_rss_mib']:,} MiB | "
            f"{r['largest_process_anon_mib']:,} MiB | {pss} | "
            f"{r['floor_1proc_s']} | {r[f'floor_{workers}proc_s']} | "
            f"{r['over_floor_1proc']} | {r[f'over_floor_{workers}proc']} |"
        )
    return "\n".join(lines)


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)


def write_results(report: dict[str, Any], rows: Sequence[dict[str, Any]]) -> tuple[Path, Path]:
    """``speed.json`` (everything) and ``speed.csv`` (one row per batch and format) in benchmarks/results/."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "speed.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    table = RESULTS / "speed.csv"
    columns = [k for k in rows[0] if not k.endswith("runs_s")] if rows else []
    with table.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return out, table


# -- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--sizes", type=int, nargs="*", default=[1000, 10000, 100000], help="ordinary batch sizes")
    add("--template-sizes", type=int, nargs="*", default=[10000], help="sizes of the template-heavy batches")
    add("--template-kinds", nargs="*", choices=KINDS[1:], default=list(KINDS[1:]))
    add("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    add("--spill", action="store_true", help="also run each format with --spill-dir (as format F+spill)")
    add("--million", action="store_true", help="add 1,000,000 posts to the sizes (long; needs much memory)")
    add("--repeat", type=int, default=3)
    add("--workers", type=int, default=os.cpu_count() or 1)
    add("--pss", action=argparse.BooleanOptionalAction, default=True, help="one more run per format for the PSS")
    add("--naive-size", type=int, default=0, help="also time the naive pipeline at this size (0: not)")
    add("--quality", action="store_true", help="also score the dev set (quality unchanged by speed work)")
    add("--dev", default=DEFAULT_DEV)
    add("--corpus", nargs="+", default=list(DEFAULT_CORPUS))
    return parser.parse_args(argv)


def batches(args: argparse.Namespace) -> list[tuple[str, int, Path]]:
    """Every batch to measure, built (or found in the cache)."""
    million = [1_000_000] if args.million else []
    out: list[tuple[str, int, Path]] = []
    units = None
    for n in sorted(set(args.sizes) | set(million)):
        try:
            path, units = batch_file(n, args.dev, args.corpus, units)
        except SystemExit as exc:  # the corpus gives fewer posts
            print(f"ordinary {n}: skipped ({exc})", file=sys.stderr, flush=True)
            continue
        out.append(("ordinary", n, path))
    for kind in args.template_kinds:
        for n in sorted(set(args.template_sizes) | set(million)):
            try:
                out.append((kind, n, notices_file(n, 1 if kind == "notices-one" else None)))
            except ValueError as exc:  # the templates' units and days are used up
                print(f"{kind} {n}: skipped ({exc})", file=sys.stderr, flush=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print one JSON row per batch and format, then the table; write the results."""
    args = parse_args(argv)
    formats = ["table", *(f for f in args.formats if f != "table")] if "table" in args.formats else args.formats
    if args.spill:
        formats = [*formats, *(f"{f}+spill" for f in formats)]
    RESULTS.mkdir(exist_ok=True)
    rows: list[dict[str, Any]] = []
    for kind, n, path in batches(args):
        rows += measure_batch(kind, n, path, formats, workers=args.workers, repeat=args.repeat, pss=args.pss)
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_end": os.getloadavg(),
        "workers": args.workers,
        "repeat": args.repeat,
        "rows": rows,
    }
    if args.naive_size:
        n = args.naive_size
        path, _ = batch_file(n, args.dev, args.corpus, None)
        nwall, _, nwalls = median_of(args.repeat, lambda: naive_pipeline(path))
        with tempfile.TemporaryDirectory() as tmp:
            command = ours_command(path, "table", Path(tmp) / "report.txt", args.workers)
            owall, _, _ = median_of(args.repeat, lambda: run_command(command))
        report["naive"] = {
            "posts": n,
            "naive_s": round(nwall, 2),
            "naive_runs": [round(w, 2) for w in nwalls],
            "ours_s": round(owall, 2),
            "naive_over_ours": round(nwall / owall, 1),
        }
        print(json.dumps(report["naive"]), flush=True)
    if args.quality:
        quality = dev_quality(args.dev, args.workers)
        keys = ("pair_precision", "pair_recall", "pair_f1", "ari", "template_merged")
        report["dev_quality"] = {k: quality[k] for k in keys}
        print(json.dumps(report["dev_quality"]), flush=True)
    print(markdown(rows, args.workers))
    out, table = write_results(report, rows)
    print(f"written to {out} and {table}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
