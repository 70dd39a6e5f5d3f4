"""Detection quality, side by side with the pipelines a user would otherwise write.

``python -m benchmarks.quality`` runs, in one go:

* **dev**: dedup's default settings (``Deduplicator(DedupConfig()).check(read_articles(path))``,
  rendered exactly as ``dedup check --format json``) and the peers of
  :mod:`benchmarks.peers` on the labelled dev set, each scored with the shared scorer
  ``../shared/tools/score.py`` (imported by path, so the figures are its figures), plus
  an error analysis of dedup's output by the posts' ``ops`` labels;
* **dev-2k**: the same on the 2,000-post quick set;
* **real**: the hand-judged real pairs of ``benchmarks/real_pairs.csv`` inside one batch
  of real articles (:mod:`benchmarks.real_pairs`): how many SAME / RELATED / DIFFERENT
  pairs each method puts in one story;
* **pairs**: real Sohu text-matching pairs (label 5 = same event, 3 = same topic,
  0 = unrelated), each checked as a two-article batch at the default settings;
* **natural**: ``dedup check`` over real corpora (inews, sina2018, and the CCTV transcripts
  with their broadcast days as publication times): stories found, and a
  fixed-seed sample of them whose verdicts, given by a person reading them, are kept
  in ``benchmarks/natural_sample_judgements.csv`` (ids and verdicts only).
  ``--show-sample`` prints the sampled stories (titles, leads, pair scores) for reading.

Results are printed as markdown tables and written as CSV and JSON under
``benchmarks/results/`` (git-ignored). Data paths default to ``../shared/...``
(run from the repository root).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import importlib.util
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.peers import PEERS, PeerResult

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
DEFAULT_DEV = "../shared/bench/dev.jsonl.gz"
DEFAULT_DEV_2K = "../shared/bench/dev-2k.jsonl.gz"
DEFAULT_PAIRS = "../shared/corpus/pairs/sohu_dc-test.jsonl"
DEFAULT_NATURAL = (
    "../shared/corpus/inews.jsonl.gz",
    "../shared/corpus/sina2018.jsonl.gz",
    "../shared/corpus/xwlb.jsonl.gz",
)
DEFAULT_SCORER = "../shared/tools/score.py"
DEFAULT_JUDGEMENTS = str(HERE / "natural_sample_judgements.csv")
DEFAULT_RESULTS = str(HERE / "results")
PARTS = ("dev", "dev-2k", "real", "pairs", "natural")
METHODS = ("ours", *PEERS)
OURS_LABEL = "dedup (default settings)"
JUDGEMENT_COLUMNS = ("corpus", "story_ids", "verdict", "reason")


# ---------------------------------------------------------------------------------------
# helpers


def _open_text(path: str) -> Any:
    return gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8")


def _jsonl(path: str) -> Iterator[dict[str, Any]]:
    with _open_text(path) as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_scorer(path: str) -> ModuleType:
    """Import the shared scorer from its path (so our figures are exactly its figures)."""
    spec = importlib.util.spec_from_file_location("dedup_bench_score", path)
    if spec is None or spec.loader is None:
        msg = f"cannot import the scorer from {path}"
        raise SystemExit(msg)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=HERE, capture_output=True, text=True
        ).stdout.strip()
        return out + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _machine() -> str:
    return f"{os.cpu_count()}-core {platform.machine()}, Python {platform.python_version()}"


def _markdown(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------
# running the methods


def run_ours(path: str, *, dated: bool = False) -> tuple[Any, str, float]:
    """Dedup at its defaults through the public API; returns (result, JSON text, seconds).

    ``dated``: the corpus gives each record's broadcast day as ``date`` (YYYYMMDD, the
    CCTV transcripts), passed on as ``published_at`` (20:00 China time).
    """
    from dedup import DedupConfig, Deduplicator, read_articles, render
    from dedup.io import record_to_article

    t0 = time.perf_counter()
    if dated:
        articles: Any = [record_to_article(_with_published(r)) for r in _jsonl(path)]
    else:
        articles = read_articles(path)
    result = Deduplicator(DedupConfig()).check(articles)
    seconds = time.perf_counter() - t0
    return result, render(result, "json"), seconds


def _with_published(record: dict[str, Any]) -> dict[str, Any]:
    date = record.get("date")
    when = f"{date[:4]}-{date[4:6]}-{date[6:8]}T20:00:00+08:00" if date else None
    return {"id": record["id"], "title": record.get("title", ""), "text": record.get("text", ""), "published_at": when}


def _records(path: str) -> list[tuple[str, str]]:
    return [(str(r["id"]), str(r.get("text") or "")) for r in _jsonl(path)]


def run_method(
    method: str, path: str, out: Path, repeat: int
) -> tuple[Path, list[float], list[float], dict[str, float]]:
    """Run one method ``repeat`` times; write its predicted stories JSON.

    Returns the output path, wall-clock and CPU seconds of each run (file reading,
    tokenizer loading and grouping included), and the last peer run's stage times.
    """
    wall: list[float] = []
    cpu: list[float] = []
    stages: dict[str, float] = {}
    text = ""
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        if method == "ours":
            _, text, _ = run_ours(path)
        else:
            res: PeerResult = PEERS[method].run(_records(path))
            stages = res.seconds
            text = json.dumps({"stories": [{"ids": g} for g in res.groups]}, ensure_ascii=False) + "\n"
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    out.write_text(text, encoding="utf-8")
    return out, wall, cpu, stages


@dataclass
class Labels:
    """The dev set's labels: story, template sibling, ops."""

    truth: dict[str, str]
    sibling: dict[str, str]
    ops: dict[str, tuple[str, ...]]


def load_labels(path: str, scorer: ModuleType) -> Labels:
    truth, sibling = scorer.load_labels(path)
    ops = {str(r["id"]): tuple(r.get("ops") or ()) for r in _jsonl(path)}
    return Labels(truth, sibling, ops)


# ---------------------------------------------------------------------------------------
# dev-set error analysis


def _pairs_of(assign: dict[str, str]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = {}
    for a, g in assign.items():
        groups.setdefault(g, []).append(a)
    out: set[tuple[str, str]] = set()
    for members in groups.values():
        if len(members) > 1:
            out.update(combinations(sorted(members), 2))
    return out


def _ops_key(ops: tuple[str, ...]) -> str:
    return "+".join(ops) if ops else "(none)"


def error_analysis(labels: Labels, pred: dict[str, str]) -> dict[str, Any]:
    """Which ops combinations dedup misses and which pairs it merges wrongly."""
    truth, ops = labels.truth, labels.ops
    true_pairs, pred_pairs = _pairs_of(truth), _pairs_of(pred)
    missed = sorted(true_pairs - pred_pairs)
    false = sorted(pred_pairs - true_pairs)

    # Per single op: pairs where either post carries it.
    per_op: dict[str, list[int]] = {}
    for a, b in true_pairs:
        hit = (a, b) in pred_pairs
        for op in set(ops[a]) | set(ops[b]):
            row = per_op.setdefault(op, [0, 0])
            row[0] += 1
            row[1] += 0 if hit else 1
    op_rows: list[list[object]] = [
        [op, n, m, round(1 - m / n, 4)] for op, (n, m) in sorted(per_op.items(), key=lambda kv: (-kv[1][1], kv[0]))
    ]
    combos = Counter(" ~ ".join(sorted((_ops_key(ops[a]), _ops_key(ops[b])))) for a, b in missed)

    # Posts cut off from their story's original.
    original = {truth[a]: a for a in truth if "original" in ops[a]}
    members: dict[str, list[str]] = {}
    for a, g in pred.items():
        members.setdefault(g, []).append(a)
    split = []
    for a in sorted(truth):
        o = original.get(truth[a])
        if o is None or o == a or pred[a] == pred[o]:
            continue
        if pred[a].startswith("single:"):
            where = "alone"
        elif all(truth[m] == truth[a] for m in members[pred[a]]):
            where = "split off with others of its story"
        else:
            where = "in a group with other stories"
        split.append({"id": a, "story": truth[a], "original": o, "ops": list(ops[a]), "where": where})

    # Wrong merges: template siblings vs anything else.
    sib_of = labels.sibling  # sibling story -> story it was written from
    wrong: Counter[str] = Counter()
    wrong_pairs = []
    for a, b in false:
        sa, sb = truth[a], truth[b]
        kind = "template sibling" if sib_of.get(sa) == sb or sib_of.get(sb) == sa else "unrelated"
        if kind == "unrelated" and (sa in sib_of and sb in sib_of and sib_of[sa] == sib_of[sb]):
            kind = "two siblings of one story"
        wrong[kind] += 1
        wrong_pairs.append({"a": a, "b": b, "story_a": sa, "story_b": sb, "kind": kind})
    merged_groups: dict[str, set[str]] = {}
    for p in wrong_pairs:
        merged_groups.setdefault(pred[p["a"]], set()).update((p["story_a"], p["story_b"]))
    return {
        "true_pairs": len(true_pairs),
        "missed_pairs": len(missed),
        "false_pairs": len(false),
        "per_op": op_rows,
        "missed_combos": combos.most_common(),
        "split_posts": split,
        "false_pair_kinds": dict(wrong),
        "false_pairs_list": wrong_pairs,
        "wrongly_merged_story_sets": sorted(sorted(s) for s in merged_groups.values()),
    }


def diagnose(path: str, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Why dedup judged these pairs as it did: LSH candidate or not, and the pair verdict.

    Uses the pipeline's steps (``Deduplicator.extract_features`` / ``.candidates`` and
    ``dedup.verify.compare``); if the detector's internals change shape, the diagnosis is
    skipped rather than the benchmark failing.
    """
    from dedup import DedupConfig, Deduplicator, read_articles
    from dedup.verify import compare

    dd = Deduplicator(DedupConfig())
    batch = list(read_articles(path))
    feats = dd.extract_features(batch)
    found = dd.candidates(feats)  # a set of pairs or an (k, 2) array, depending on the version
    rows = found.tolist() if hasattr(found, "tolist") else found
    cands = {(int(i), int(j)) for i, j in rows}
    pos = {a.id: i for i, a in enumerate(batch)}
    out = []
    for x, y in pairs:
        i, j = sorted((pos[x], pos[y]))
        v = compare(feats[i], feats[j], config=dd.config)
        out.append(
            {
                "a": batch[i].id,
                "b": batch[j].id,
                "candidate": (i, j) in cands,
                "score": round(v.score, 3),
                "kind": v.kind,
                "jaccard": round(v.jaccard, 3),
                "containment": round(v.containment, 3),
                "sequence": round(v.sequence, 3),
                "agreement": None if v.agreement is None else round(v.agreement, 3),
                "length": [feats[i].length, feats[j].length],
                "only_a": sorted(set(feats[i].specifics) - set(feats[j].specifics))[:8],
                "only_b": sorted(set(feats[j].specifics) - set(feats[i].specifics))[:8],
            }
        )
    return out


def _why(d: dict[str, Any] | None) -> str:
    if d is None:
        return ""
    gate = "" if d["candidate"] else "not an LSH candidate; "
    agree = "-" if d["agreement"] is None else f"{d['agreement']:.2f}"
    return (
        f"{gate}score {d['score']:.2f} ({d['kind'] or 'below threshold'}): jaccard {d['jaccard']:.2f}, "
        f"containment {d['containment']:.2f}, sequence {d['sequence']:.2f}, specifics agreement {agree}"
    )


def _errors_markdown(err: dict[str, Any]) -> str:
    where = Counter(s["where"] for s in err["split_posts"]).most_common()
    lines = [
        f"Missed true pairs: {err['missed_pairs']} of {err['true_pairs']}; "
        f"wrongly merged pairs: {err['false_pairs']} {dict(err['false_pair_kinds']) or ''}".rstrip(),
        "",
        _markdown(("op on either post", "true pairs", "missed", "recall"), err["per_op"]),
        "",
        f"Posts not grouped with their story's original: {len(err['split_posts'])} "
        f"({', '.join(f'{n} {w}' for w, n in where)})",
        "",
    ]
    diag = {(d["a"], d["b"]): d for d in err.get("diagnosis", [])}

    def why(a: str, b: str) -> str:
        return _why(diag.get((a, b)) or diag.get((b, a)))

    if err["split_posts"]:
        lines.append(
            _markdown(
                ("post", "original", "ops of the post", "where", "post vs original"),
                (
                    [
                        s["id"],
                        s["original"],
                        _ops_key(tuple(s["ops"])),
                        s["where"],
                        why(s["id"], s["original"]),
                    ]
                    for s in err["split_posts"]
                ),
            )
        )
    lines += ["", f"Story sets wrongly merged: {err['wrongly_merged_story_sets']}", ""]
    if err["false_pairs_list"]:
        lines.append(
            _markdown(
                ("a", "b", "stories", "kind", "a vs b"),
                (
                    [p["a"], p["b"], f"{p['story_a']} / {p['story_b']}", p["kind"], why(p["a"], p["b"])]
                    for p in err["false_pairs_list"]
                ),
            )
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# parts


TABLE_HEADER = (
    "method",
    "pair precision",
    "pair recall",
    "pair F1",
    "B-cubed F1",
    "ARI",
    "template merged",
    "seconds",
    "CPU seconds",
)


def part_dev(name: str, path: str, args: argparse.Namespace, scorer: ModuleType, out: Path) -> dict[str, Any]:
    labels = load_labels(path, scorer)
    rows: list[list[object]] = []
    report: dict[str, Any] = {"set": name, "path": path, "methods": {}}
    for method in args.methods:
        label = OURS_LABEL if method == "ours" else PEERS[method].label
        try:
            pred_path, times, cpu, stages = run_method(method, path, out / f"{name}-{method}.json", args.repeat)
        except ImportError as exc:
            print(f"{name}: {label}: skipped, {exc}", file=sys.stderr)
            rows.append([label, "not installed", *[""] * (len(TABLE_HEADER) - 2)])
            report["methods"][method] = {"label": label, "error": str(exc)}
            continue
        pred = scorer.load_pred(str(pred_path), set(labels.truth))
        s = scorer.score(labels.truth, labels.sibling, pred)
        seconds, cpu_seconds = statistics.median(times), statistics.median(cpu)
        rows.append(
            [
                label,
                f"{s['pair_precision']:.4f}",
                f"{s['pair_recall']:.4f}",
                f"{s['pair_f1']:.4f}",
                f"{s['bcubed_f1']:.4f}",
                f"{s['ari']:.4f}",
                f"{s['template_merged']:.4f}",
                f"{seconds:.1f}",
                f"{cpu_seconds:.1f}",
            ]
        )
        report["methods"][method] = {
            "label": label,
            "score": s,
            "seconds": times,
            "cpu": cpu,
            "stages": stages,
        }
        print(f"{name}: {label}: F1 {s['pair_f1']:.4f}, {seconds:.1f}s", file=sys.stderr)
        if method == "ours":
            err = error_analysis(labels, pred)
            if args.diagnose:
                wanted = [(x["id"], x["original"]) for x in err["split_posts"]]
                wanted += [(x["a"], x["b"]) for x in err["false_pairs_list"]]
                try:
                    err["diagnosis"] = diagnose(path, wanted)
                except (AttributeError, TypeError, ImportError) as exc:  # the detector's API moved on
                    print(f"{name}: diagnosis skipped: {exc!r}", file=sys.stderr)
            report["errors"] = err
            _dump(out / f"{name}-ours-errors.json", err)
    articles = len(labels.truth)
    stories = len(set(labels.truth.values()))
    table = _markdown(TABLE_HEADER, rows)
    _write_csv(out / f"{name}-table.csv", TABLE_HEADER, rows)
    report["table"] = table
    print(f"\n## {name}: {path} ({articles:,} posts, {stories:,} stories)\n")
    print(table)
    if "errors" in report:
        print(f"\n### {name}: errors of dedup (default settings)\n")
        print(_errors_markdown(report["errors"]))
    return report


def _verdict_pairs(path: str) -> list[dict[str, Any]]:
    return [{"a": str(r["sentence1"]), "b": str(r["sentence2"]), "label": int(r["label"])} for r in _jsonl(path)]


def part_pairs(path: str, out: Path) -> dict[str, Any]:
    """Each real pair as a two-article batch at the default settings."""
    from dedup import Article, DedupConfig, Deduplicator
    from dedup.verify import compare

    config = DedupConfig()
    dd = Deduplicator(config)
    rows = []
    t0 = time.perf_counter()
    for n, p in enumerate(_verdict_pairs(path)):
        batch = [Article(id="1", text=p["a"]), Article(id="2", text=p["b"])]
        result = dd.check(batch)
        flagged = bool(result.stories)
        template = bool(result.template_pairs)
        feats = dd.extract_features(batch)
        short = any(f.length < config.min_length or f.n_words == 0 for f in feats)
        v = compare(feats[0], feats[1], config=config)
        rows.append(
            {
                "n": n,
                "label": p["label"],
                "flagged": flagged,
                "template": template,
                "too_short": short,
                "score": round(v.score, 4),
                "kind": v.kind,
                "len_a": len(p["a"]),
                "len_b": len(p["b"]),
            }
        )
    seconds = time.perf_counter() - t0

    def counts(sel: list[dict[str, Any]]) -> tuple[int, int]:
        return len(sel), sum(r["flagged"] for r in sel)

    by = {lab: [r for r in rows if r["label"] == lab] for lab in (5, 3, 0)}
    (n5, f5), (n3, f3), (n0, f0) = counts(by[5]), counts(by[3]), counts(by[0])
    tp = f5
    prec_strict = tp / (f5 + f3 + f0) if f5 + f3 + f0 else 1.0
    prec_no3 = tp / (f5 + f0) if f5 + f0 else 1.0
    recall = tp / n5 if n5 else 0.0
    verify_only5 = sum(1 for r in by[5] if r["kind"] not in (None, "template"))
    summary: dict[str, Any] = {
        "pairs": len(rows),
        "label_counts": {5: n5, 3: n3, 0: n0},
        "flagged": {5: f5, 3: f3, 0: f0},
        "precision_3_negative": round(prec_strict, 4),
        "precision_3_excluded": round(prec_no3, 4),
        "recall": round(recall, 4),
        "label3_flagged_share": round(f3 / n3, 4) if n3 else 0.0,
        "template_pairs": {lab: sum(r["template"] for r in by[lab]) for lab in by},
        "too_short": {lab: sum(r["too_short"] for r in by[lab]) for lab in by},
        "verify_only_recall": round(verify_only5 / n5, 4) if n5 else 0.0,
        "score_median": {
            lab: round(statistics.median(r["score"] for r in by[lab]), 3) if by[lab] else None for lab in by
        },
        "seconds": round(seconds, 1),
    }
    _dump(out / "pairs-sohu_dc.json", {"summary": summary, "rows": rows})
    header = ("label", "pairs", "flagged same story", "template pairs", "too short", "median score")
    table_rows = [
        [
            lab,
            len(by[lab]),
            by_f,
            summary["template_pairs"][lab],
            summary["too_short"][lab],
            summary["score_median"][lab],
        ]
        for lab, by_f in ((5, f5), (3, f3), (0, f0))
    ]
    print(f"\n## pairs: {path}\n")
    print(_markdown(header, table_rows))
    print(
        f"\nlabel 5 = positive. precision (3 counted negative) {prec_strict:.4f}, precision (3 left out) "
        f"{prec_no3:.4f}, recall {recall:.4f}; label-3 pairs flagged: {f3}/{n3}; "
        f"verification alone (no LSH gate) would accept {verify_only5}/{n5} label-5 pairs; {seconds:.1f}s"
    )
    return summary


def _story_key(ids: Iterable[str]) -> str:
    return " ".join(sorted(ids))


def _rank(seed: int, corpus: str, key: str) -> bytes:
    return hashlib.blake2b(f"{seed}\0{corpus}\0{key}".encode(), digest_size=16).digest()


def read_judgements(path: str) -> dict[tuple[str, str], tuple[str, str]]:
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        return {(r["corpus"], r["story_ids"]): (r["verdict"], r["reason"]) for r in csv.DictReader(fh)}


#: Identical-text stories are read when a body is this short (page chrome, share stubs) ...
SCREEN_MIN_CHARS = 150
#: ... or when their titles differ this much (RapidFuzz ratio, 0-100).
SCREEN_TITLE_RATIO = 60


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _needs_reading(story: Any, records: dict[str, dict[str, Any]]) -> bool:
    from rapidfuzz import fuzz

    texts = [str(records[i].get("text") or "") for i in story.ids]
    titles = [str(records[i].get("title") or "") for i in story.ids]
    short = min(len("".join(t.split())) for t in texts) < SCREEN_MIN_CHARS
    return short or min(fuzz.ratio(titles[0], t) for t in titles[1:]) < SCREEN_TITLE_RATIO


def part_natural(paths: Sequence[str], args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Stories dedup finds in real corpora, and how many of them are right.

    Stories split in two strata:

    * *identical text*: every pair is ``exact`` (the same cleaned body). They are
      correct unless the shared body is not the article (page chrome, a share stub, a
      scraped footer), so the ones with a short body or clearly different titles are
      read; the rest count as correct;
    * *other stories*: a sample is read. Stories are ranked by a seeded hash of their
      sorted ids (a story keeps its rank while the detector changes, unless its
      members change) and the first ``--sample-size`` are read.

    Verdicts come from the judgements CSV; the estimate for the whole corpus weights
    the sample's precision by the stratum's size.
    """
    judgements = read_judgements(args.judgements)
    report: dict[str, Any] = {}
    rows = []
    for path in paths:
        corpus = Path(path).name.split(".")[0]
        result, text, seconds = run_ours(path, dated=corpus == "xwlb")
        (out / f"natural-{corpus}.json").write_text(text, encoding="utf-8")
        stories = result.stories
        wanted = {i for st in stories for i in st.ids}
        records = {str(r["id"]): r for r in _jsonl(path) if str(r["id"]) in wanted}

        def is_exact(st: Any) -> bool:
            return bool(st.pairs) and all(p.kind == "exact" for p in st.pairs)

        exact_only = [st for st in stories if is_exact(st)]
        others = [st for st in stories if not is_exact(st)]
        screened = [st for st in exact_only if _needs_reading(st, records)]
        sample = sorted(others, key=lambda st: _rank(args.seed, corpus, _story_key(st.ids)))[: args.sample_size]

        s_verdicts = [judgements.get((corpus, _story_key(st.ids))) for st in sample]
        e_verdicts = [judgements.get((corpus, _story_key(st.ids))) for st in screened]
        s_judged = [v for v in s_verdicts if v is not None]
        s_correct = sum(1 for v in s_judged if v[0] == "correct")
        e_wrong = sum(1 for v in e_verdicts if v is not None and v[0] != "correct")
        unjudged = len(sample) - len(s_judged) + sum(1 for v in e_verdicts if v is None)
        e_correct = len(exact_only) - e_wrong
        low, high = _wilson(s_correct, len(s_judged))
        share = s_correct / len(s_judged) if s_judged else float("nan")
        estimate = (e_correct + share * len(others)) / len(stories) if stories else float("nan")
        kinds = Counter(p.kind for st in stories for p in st.pairs)
        sizes = Counter(len(st.ids) for st in stories)
        info = {
            "articles": result.summary.articles,
            "stories": len(stories),
            "posts_in_stories": sum(len(st.ids) for st in stories),
            "identical_text_stories": len(exact_only),
            "identical_text_read": len(screened),
            "identical_text_wrong": e_wrong,
            "other_stories": len(others),
            "pair_kinds": dict(kinds),
            "story_sizes": dict(sorted(sizes.items())),
            "template_pairs": result.summary.template_pairs,
            "sample": [_story_key(st.ids) for st in sample],
            "sample_judged": len(s_judged),
            "sample_correct": s_correct,
            "sample_precision_95ci": [round(low, 3), round(high, 3)],
            "estimated_precision": round(estimate, 3),
            "unjudged": unjudged,
            "seconds": round(seconds, 1),
        }
        report[corpus] = info
        rows.append(
            [
                corpus,
                f"{info['articles']:,}",
                len(stories),
                info["posts_in_stories"],
                f"{len(exact_only)} ({len(screened)} read, {e_wrong} wrong)",
                len(others),
                f"{s_correct}/{len(s_judged)} ({low:.2f}-{high:.2f})" if s_judged else "not judged",
                f"{estimate:.2f}" + (f" ({unjudged} unjudged)" if unjudged else ""),
                f"{seconds:.1f}",
            ]
        )
        if args.show_sample:
            _show_sample(corpus, "sample of other stories", sample, s_verdicts, records)
            _show_sample(corpus, "identical-text stories to read", screened, e_verdicts, records)
    _dump(out / "natural.json", report)
    header = (
        "corpus",
        "articles",
        "stories with several posts",
        "posts in them",
        "identical-text stories",
        "other stories",
        f"read sample of other stories correct (95% CI; seed {args.seed})",
        "estimated precision, all stories",
        "seconds",
    )
    print("\n## natural reposts\n")
    print(_markdown(header, rows))
    return report


def _show_sample(
    corpus: str,
    heading: str,
    sample: Sequence[Any],
    verdicts: Sequence[Any],
    records: dict[str, dict[str, Any]],
) -> None:
    print(f"\n##### {corpus}: {heading} ({len(sample)})")
    for n, (story, verdict) in enumerate(zip(sample, verdicts, strict=True), 1):
        print(f"\n=== {corpus} #{n}: {_story_key(story.ids)}   judged: {verdict[0] if verdict else '-'}")
        for pid in story.ids:
            r = records[pid]
            lead = " ".join(str(r.get("text") or "").split())[:200]
            tag = r.get("category") or r.get("split") or ""
            print(f"--- {pid} [{tag}] {r.get('title') or ''}\n    {lead}")
        for p in story.pairs:
            ev = p.evidence
            extra = ""
            if ev is not None:
                extra = (
                    f" shared={list(ev.shared_specifics)[:8]} only_a={list(ev.only_a)[:6]} only_b={list(ev.only_b)[:6]}"
                )
            print(f"    pair {p.a} ~ {p.b}: {p.score:.3f} {p.kind}{extra}")


# ---------------------------------------------------------------------------------------
# command line


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--dev", default=DEFAULT_DEV, help="labelled dev set (default: %(default)s)")
    p.add_argument("--dev-2k", default=DEFAULT_DEV_2K, help="quick labelled set (default: %(default)s)")
    p.add_argument("--pairs", default=DEFAULT_PAIRS, help="Sohu pairs file (default: %(default)s)")
    p.add_argument("--natural", nargs="+", default=list(DEFAULT_NATURAL), help="real corpora (default: %(default)s)")
    p.add_argument("--scorer", default=DEFAULT_SCORER, help="the shared scorer (default: %(default)s)")
    p.add_argument("--judgements", default=DEFAULT_JUDGEMENTS, help="natural-sample verdicts CSV")
    p.add_argument("--results", default=DEFAULT_RESULTS, help="output directory (default: benchmarks/results)")
    p.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)} (default: all)"
    )
    p.add_argument(
        "--methods",
        default=",".join(METHODS),
        help=f"comma-separated subset of {','.join(METHODS)} (default: all)",
    )
    p.add_argument("--repeat", type=int, default=1, help="timing runs per method on the dev sets; median reported")
    p.add_argument("--sample-size", type=int, default=30, help="stories read per corpus (default: 30)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")
    p.add_argument(
        "--no-diagnose",
        dest="diagnose",
        action="store_false",
        help="skip re-running dedup's steps to explain each error on the dev sets",
    )
    p.add_argument("--show-sample", action="store_true", help="print the sampled natural stories for reading")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the quality benchmark; return 0 on success."""
    args = build_parser().parse_args(argv)
    parts = [s for s in args.parts.split(",") if s]
    methods = [s for s in args.methods.split(",") if s]
    bad = [s for s in parts if s not in PARTS] + [m for m in methods if m not in METHODS]
    if bad or args.repeat < 1:
        print(f"unknown part/method or bad --repeat: {bad or args.repeat}", file=sys.stderr)
        return 2
    args.methods = methods
    logging.getLogger("jieba").setLevel(logging.WARNING)
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"commit": _commit(), "machine": _machine(), "argv": list(argv or sys.argv[1:])}
    print(f"dedup quality benchmark: commit {meta['commit']}, {meta['machine']}")
    report: dict[str, Any] = {"meta": meta}
    if "dev" in parts or "dev-2k" in parts:
        scorer = load_scorer(args.scorer)
        for name, path in (("dev", args.dev), ("dev-2k", args.dev_2k)):
            if name in parts:
                report[name] = part_dev(name, path, args, scorer, out)
    if "real" in parts:
        # The hand-judged real pairs (benchmarks.real_pairs) with the same methods.
        from benchmarks.real_pairs import main as real_pairs_main

        print("\n## hand-judged real pairs\n")
        real_pairs_main(["--methods", ",".join(args.methods), "--out", str(out / "real-pairs.json")])
        report["real"] = json.loads((out / "real-pairs.json").read_text(encoding="utf-8"))["table"]
    if "pairs" in parts:
        report["pairs"] = part_pairs(args.pairs, out)
    if "natural" in parts:
        report["natural"] = part_natural(args.natural, args, out)
    summary_path = out / "quality.json"
    previous = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    previous.update(report)  # parts not run this time keep their last figures
    _dump(summary_path, previous)
    print(f"\nwritten to {out}/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
