"""dedup on Spark next to the batch check: the same answer, and what it costs (internal data; never committed).

    python -m benchmarks.spark_bench dev                      # the dev set: Spark's answer equals the batch's
    python -m benchmarks.spark_bench compare 100000           # dedup check --workers 2 vs dedup spark check, local[2]
    python -m benchmarks.spark_bench scale 1000000            # dedup spark check on local[2] only, driver RSS over time

``compare`` and ``scale`` build their batch with ``python -m benchmarks.batch`` (cached in
``benchmarks/results/``); past the ~100,000 posts the corpus gives, the batch is filled up
with *replicas* (every post again under a new id, half of its Chinese character types
replaced by others, one substitution table per round: distinct, unrelated stories with
the same make-up). Each run is a subprocess whose process tree is polled every 0.5 s: the
Python driver, the JVM (in local mode it is the driver *and* the two executor threads,
with their cached blocks) and the Python workers. Spark's event log gives per-phase wall
time (the job description dedup sets for each phase) and shuffle bytes per stage. Results
are printed and written to ``benchmarks/results/spark_bench-*.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.batch import read_records

RESULTS = Path("benchmarks/results")
DEFAULT_DEV = "../shared/bench/dev.jsonl.gz"
DRIVER_MEMORY = "6g"


# -- batches ------------------------------------------------------------------------------


def batch_path(n: int) -> Path:
    """The cached batch of ``n`` posts (built, and replicated past the corpus, on first use)."""
    path = RESULTS / f"batch-{n // 1000}k.jsonl.gz"
    if path.exists():
        return path
    base = RESULTS / "batch-100k.jsonl.gz"
    if n <= 100_000:
        subprocess.run([sys.executable, "-m", "benchmarks.batch", str(n), "-o", str(path)], check=True)
        return path
    if not base.exists():
        subprocess.run([sys.executable, "-m", "benchmarks.batch", "100000", "-o", str(base)], check=True)
    replicate(base, n, path)
    return path


def replicate(source: Path, n: int, out: Path, *, seed: int = 7) -> None:
    """``source`` and as many replica rounds of it as make ``n`` posts (see the module docstring)."""
    rng = random.Random(seed)
    vocab = sorted({c for r in read_records(source) for c in r["text"] if "\u4e00" <= c <= "\u9fff"})
    written = 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=3) as fh:
        round_ = 0
        while written < n:
            table = {ord(c): rng.choice(vocab) for c in vocab if rng.random() < 0.5} if round_ else {}
            for r in read_records(source):
                if written >= n:
                    break
                if round_:
                    r = {**r, "id": f"{r['id']}~r{round_}", "text": r["text"].translate(table)}
                    r["title"] = (r.get("title") or "").translate(table)
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
                written += 1
            round_ += 1


# -- running and measuring ------------------------------------------------------------------


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    """Children of every thread of ``pid`` (a JVM forks from many threads)."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
        except OSError:
            continue
    return out


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def run_measured(command: Sequence[str], env: dict[str, str], trace: Path | None = None) -> dict[str, Any]:
    """Run ``command``; its wall time, exit status and RSS samples (driver, JVM, Python workers).

    ``trace``: a file each sample is appended to as it is taken (for a run that may not finish).
    """
    started = time.perf_counter()
    log = trace.open("w") if trace is not None else None
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples: list[tuple[float, int, int, int]] = []
    while proc.poll() is None:
        driver = _rss(proc.pid)
        jvm = workers = 0
        stack = _children(proc.pid)
        while stack:
            pid = stack.pop()
            stack.extend(_children(pid))
            if _name(pid) == "java":
                jvm += _rss(pid)
            else:
                workers += _rss(pid)
        samples.append((round(time.perf_counter() - started, 1), driver, jvm, workers))
        if log is not None:
            log.write(json.dumps(samples[-1]) + "\n")
            log.flush()
        time.sleep(0.5)
    _, err = proc.communicate()
    if log is not None:
        log.close()
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "returncode": proc.returncode,
        "stderr_tail": err[-1500:],
        "peak_driver_rss": max((s[1] for s in samples), default=0),
        "peak_jvm_rss": max((s[2] for s in samples), default=0),
        "peak_workers_rss": max((s[3] for s in samples), default=0),
        "peak_tree_rss": max((s[1] + s[2] + s[3] for s in samples), default=0),
        "samples": samples,
    }


def spark_env(events: Path, master: str = "local[2]") -> dict[str, str]:
    conf = {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": events.resolve().as_uri(),
        "spark.eventLog.compress": "false",
        "spark.ui.showConsoleProgress": "false",
    }
    args = f"--master {master} --driver-memory {DRIVER_MEMORY} " + " ".join(f"--conf {k}={v}" for k, v in conf.items())
    return {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_SUBMIT_ARGS": f"{args} pyspark-shell"}


def _part(path: Path) -> tuple[int, str]:
    bits = path.name.split("_")
    return (int(bits[1]) if len(bits) > 1 and bits[1].isdigit() else 0, path.name)


def event_figures(events: Path) -> dict[str, Any]:
    """Per phase (dedup's job descriptions): wall time and shuffle bytes; and each stage's figures."""
    # Spark 4 writes rolling logs: a directory of events_N_... files (and an appstatus marker).
    logs = sorted((p for p in events.rglob("events_*") if p.is_file()), key=_part)
    job_phase: dict[int, str] = {}
    stage_phase: dict[int, str] = {}
    job_times: dict[int, list[int]] = {}
    stages = []
    for line in (line for log in logs for line in log.open()):
        try:
            event = json.loads(line)
        except ValueError:  # the last line of a log still being written
            continue
        kind = event.get("Event")
        if kind == "SparkListenerJobStart":
            phase = (event.get("Properties") or {}).get("spark.job.description") or "(other)"
            job_phase[event["Job ID"]] = phase
            job_times[event["Job ID"]] = [event["Submission Time"], event["Submission Time"]]
            for sid in event["Stage IDs"]:
                stage_phase.setdefault(sid, phase)
        elif kind == "SparkListenerJobEnd":
            job_times[event["Job ID"]][1] = event["Completion Time"]
        elif kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            acc = {a["Name"]: a.get("Value", 0) for a in info.get("Accumulables", [])}
            stages.append(
                {
                    "stage": info["Stage ID"],
                    "phase": stage_phase.get(info["Stage ID"], "(other)"),
                    "name": info["Stage Name"][:60],
                    "tasks": info["Number of Tasks"],
                    "seconds": round((info.get("Completion Time", 0) - info.get("Submission Time", 0)) / 1000, 2),
                    "shuffle_write": int(acc.get("internal.metrics.shuffle.write.bytesWritten", 0) or 0),
                    "shuffle_read": int(acc.get("internal.metrics.shuffle.read.remoteBytesRead", 0) or 0)
                    + int(acc.get("internal.metrics.shuffle.read.localBytesRead", 0) or 0),
                    "spill_disk": int(acc.get("internal.metrics.diskBytesSpilled", 0) or 0),
                }
            )
    phases: dict[str, dict[str, Any]] = {}
    for job, phase in job_phase.items():
        start, end = job_times[job]
        p = phases.setdefault(phase, {"start": start, "end": end, "shuffle_write": 0, "shuffle_read": 0, "stages": 0})
        p["start"], p["end"] = min(p["start"], start), max(p["end"], end)
    for s in stages:
        p = phases.get(s["phase"])
        if p is not None:
            p["shuffle_write"] += s["shuffle_write"]
            p["shuffle_read"] += s["shuffle_read"]
            p["stages"] += 1
    for p in phases.values():
        p["seconds"] = round((p.pop("end") - p.pop("start")) / 1000, 1)
    return {"phases": phases, "stages": stages}


def run_spark(batch: Path, work: Path, *, master: str = "local[2]", trace: Path | None = None) -> dict[str, Any]:
    events = work / "events"
    events.mkdir(parents=True, exist_ok=True)
    out = work / "spark-out"
    command = [sys.executable, "-m", "dedup", "spark", "check", str(batch), "-o", str(out), "--format", "jsonl"]
    found = run_measured([*command, "--exit-zero", "-q"], spark_env(events, master), trace)
    found["events"] = event_figures(events) if any(events.rglob("*")) else {}
    found["summary"] = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else None
    found["stories"] = spark_stories(out) if found["summary"] else None
    return found


def spark_stories(out: Path) -> set[frozenset[str]]:
    stories: dict[str, set[str]] = {}
    for part in (out / "posts").glob("part-*.json"):
        for line in part.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            stories.setdefault(row["story"], set()).add(row["id"])
    return {frozenset(s) for s in stories.values()}


def run_batch(batch: Path, work: Path, workers: int = 2) -> dict[str, Any]:
    out = work / "batch.json"
    command = [sys.executable, "-m", "dedup", "check", str(batch), "--format", "json", "-o", str(out)]
    found = run_measured([*command, "--workers", str(workers), "--exit-zero", "-q"], dict(os.environ))
    doc = json.loads(out.read_text())
    found["summary"] = {k: v for k, v in doc["summary"].items()}
    found["stories"] = {frozenset(s["ids"]) for s in doc["stories"]}
    return found


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def _report(name: str, found: dict[str, Any]) -> str:
    lines = [
        f"{name}: {found['seconds']} s, exit {found['returncode']}, peak RSS: driver {_mib(found['peak_driver_rss'])}, "
        f"JVM {_mib(found['peak_jvm_rss'])}, Python workers {_mib(found['peak_workers_rss'])}, "
        f"tree {_mib(found['peak_tree_rss'])}"
    ]
    for phase, p in (found.get("events") or {}).get("phases", {}).items():
        lines.append(
            f"  {phase:<24} {p['seconds']:>8} s  {p['stages']:>3} stages  shuffle write {_mib(p['shuffle_write'])}, "
            f"read {_mib(p['shuffle_read'])}"
        )
    return "\n".join(lines)


def _save(name: str, doc: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    for run in doc.values():
        if isinstance(run, dict) and isinstance(run.get("stories"), set):
            run["stories"] = len(run["stories"])
    (RESULTS / f"spark_bench-{name}.json").write_text(json.dumps(doc, indent=1, default=str))


# -- commands -------------------------------------------------------------------------------


def cmd_dev(args: argparse.Namespace) -> int:
    from pyspark.sql import SparkSession

    from dedup import DedupConfig, Deduplicator, read_articles
    from dedup.spark import check
    from dedup.spark_cli import read_input

    articles = read_articles(args.dev)
    started = time.perf_counter()
    batch = Deduplicator(DedupConfig(workers=2)).check(articles)
    batch_seconds = time.perf_counter() - started
    spark = SparkSession.builder.master("local[2]").config("spark.driver.memory", DRIVER_MEMORY).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()
    result = check(read_input(spark, [args.dev]), DedupConfig())
    answer: dict[str, set[str]] = {}
    for row in result.posts.collect():
        answer.setdefault(row.story, set()).add(row.id)
    spark_pairs = {frozenset((r.a, r.b)): (r.kind, round(r.score, 9)) for r in result.pairs.collect()}
    spark_templates = {frozenset((r.a, r.b)): (r.kind, round(r.score, 9)) for r in result.template_pairs.collect()}
    spark_seconds = time.perf_counter() - started
    pairs = {frozenset((p.a, p.b)): (p.kind, round(p.score, 9)) for s in batch.stories for p in s.pairs}
    templates = {frozenset((p.a, p.b)): (p.kind, round(p.score, 9)) for p in batch.template_pairs}
    doc = {
        "posts": len(articles),
        "stories_equal": {frozenset(s) for s in answer.values()} == {frozenset(s.ids) for s in batch.stories},
        "pairs_equal": spark_pairs == pairs,
        "templates_equal": spark_templates == templates,
        "summary_equal": result.summary() == batch.summary.to_dict(),
        "summary": result.summary(),
        "batch_seconds": round(batch_seconds, 1),
        "spark_seconds": round(spark_seconds, 1),
        "spark_phases": {k: round(v, 1) for k, v in result.timings.items()},
    }
    print(json.dumps(doc, indent=1, ensure_ascii=False))
    _save("dev", doc)
    return 0 if all(doc[k] for k in ("stories_equal", "pairs_equal", "templates_equal", "summary_equal")) else 1


def cmd_compare(args: argparse.Namespace) -> int:
    batch = batch_path(args.n)
    with tempfile.TemporaryDirectory(prefix="spark-bench-", dir=args.tmp) as tmp:
        work = Path(tmp)
        ours = run_batch(batch, work)
        print(_report(f"dedup check --workers 2 ({args.n:,} posts)", ours), flush=True)
        spark = run_spark(batch, work)
        print(_report(f"dedup spark check, local[2] ({args.n:,} posts)", spark), flush=True)
    doc = {
        "posts": args.n,
        "batch": ours,
        "spark": spark,
        "summary_equal": ours["summary"] == spark["summary"],
        "stories_equal": ours["stories"] == spark["stories"],
    }
    print(f"summary equal: {doc['summary_equal']}, stories equal: {doc['stories_equal']}")
    _save(f"compare-{args.n}", doc)
    return 0


def cmd_scale(args: argparse.Namespace) -> int:
    batch = batch_path(args.n)
    trace = RESULTS / f"spark_bench-scale-{args.n}.samples.jsonl"
    with tempfile.TemporaryDirectory(prefix="spark-bench-", dir=args.tmp) as tmp:
        # The event log is written as the job goes: python -m benchmarks.spark_bench phases DIR reads it.
        print(f"event log under {tmp}/events, RSS samples in {trace}", flush=True)
        spark = run_spark(batch, Path(tmp), trace=trace)
    print(_report(f"dedup spark check, local[2] ({args.n:,} posts)", spark))
    samples = spark["samples"]
    step = max(1, len(samples) // 20)
    print("driver RSS over time (s: MiB):", ", ".join(f"{s[0]:.0f}: {s[1] / 2**20:.0f}" for s in samples[::step]))
    _save(f"scale-{args.n}", {"posts": args.n, "spark": spark})
    return 0 if spark["returncode"] in (0, 1) else 1


def cmd_phases(args: argparse.Namespace) -> int:
    """Per-phase figures of an event log directory (also of a run still going)."""
    figures = event_figures(Path(args.events))
    print(
        _report(
            "event log",
            {
                "seconds": 0,
                "returncode": None,
                "peak_driver_rss": 0,
                "peak_jvm_rss": 0,
                "peak_workers_rss": 0,
                "peak_tree_rss": 0,
                "events": figures,
            },
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spark_bench", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="Spark's answer on the dev set equals the batch check's")
    dev.add_argument("--dev", default=DEFAULT_DEV)
    for name in ("compare", "scale"):
        p = sub.add_parser(name)
        p.add_argument("n", type=int, help="posts")
        p.add_argument("--tmp", default=None, help="scratch directory (Spark output and event log)")
    phases = sub.add_parser("phases", help="per-phase figures of an event log directory")
    phases.add_argument("events")
    args = parser.parse_args(argv)
    commands = {"dev": cmd_dev, "compare": cmd_compare, "scale": cmd_scale, "phases": cmd_phases}
    return commands[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
