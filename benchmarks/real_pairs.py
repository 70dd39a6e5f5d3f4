"""Real-news quality: hand-judged pairs checked inside one batch of real articles.

``benchmarks/real_pairs.csv`` holds pairs of articles from ``../shared/corpus/`` judged by
reading both (ids, label, class, a short reason; never text): SAME story, RELATED (same
topic, another event) or DIFFERENT. This benchmark puts every judged article and a
background sample of other corpus articles into one batch, runs dedup at its default
settings (and the peers of ``benchmarks/peers.py``) on it, and reports, per label, how
many pairs end up in one story. SAME is split by the character-4-gram Jaccard of the two
texts: copies and rewrites (>= 0.3) and independent write-ups (< 0.3).

CCTV items carry their broadcast date as ``published_at``; the other corpora have no
dates. No article has an account (the corpora have none), so learned account
boilerplate is off in effect.

    python -m benchmarks.real_pairs                      # dedup only
    python -m benchmarks.real_pairs --methods ours,a,c,d --background 2000
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["Judged", "batch_of", "load_judged", "main", "merged_pairs", "table"]

HERE = Path(__file__).resolve().parent
DEFAULT_PAIRS = HERE / "real_pairs.csv"
DEFAULT_CORPUS = (
    "../shared/corpus/xwlb.jsonl.gz",
    "../shared/corpus/inews.jsonl.gz",
    "../shared/corpus/sina2018.jsonl.gz",
)
RESULTS = HERE / "results"
JACCARD_SPLIT = 0.3

Judged = tuple[str, str, str, str]  # a, b, label, class


def load_judged(path: str | Path = DEFAULT_PAIRS) -> list[Judged]:
    """The judged pairs: ``(a, b, label, class)``."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [(r["a"], r["b"], r["label"], r["class"]) for r in csv.DictReader(fh)]


def _corpus(paths: Sequence[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                out[record["id"]] = record
    return out


def batch_of(
    judged: Sequence[Judged], corpus: dict[str, dict[str, Any]], *, background: int, seed: int
) -> list[dict[str, Any]]:
    """The judged articles plus ``background`` others (fixed seed), as input records."""
    wanted = sorted({i for a, b, _, _ in judged for i in (a, b)})
    rest = sorted(set(corpus) - set(wanted))
    extra = random.Random(seed).sample(rest, min(background, len(rest)))
    out = []
    for i in [*wanted, *sorted(extra)]:
        r = corpus[i]
        date = r.get("date")
        when = datetime.strptime(date, "%Y%m%d").strftime("%Y-%m-%dT20:00:00+08:00") if date else None
        out.append({"id": i, "title": r.get("title", ""), "text": r.get("text", ""), "published_at": when})
    return out


def _grams(text: str) -> set[str]:
    t = "".join(text.split())
    return {t[k : k + 4] for k in range(len(t) - 3)}


def jaccard(a: str, b: str) -> float:
    """Character-4-gram Jaccard of two texts (whitespace removed)."""
    x, y = _grams(a), _grams(b)
    return len(x & y) / len(x | y) if x or y else 0.0


def _row_key(label: str, j: float) -> str:
    if label != "SAME":
        return label
    return "SAME copies/rewrites" if j >= JACCARD_SPLIT else "SAME independent"


ROWS = ("DIFFERENT", "RELATED", "SAME copies/rewrites", "SAME independent")


def merged_pairs(groups: Iterable[Sequence[str]], judged: Sequence[Judged]) -> set[tuple[str, str]]:
    """The judged pairs whose two articles share a predicted story."""
    story: dict[str, int] = {}
    for k, group in enumerate(groups):
        for i in group:
            story[i] = k
    return {(a, b) for a, b, _, _ in judged if a in story and story.get(a) == story.get(b)}


def table(
    judged: Sequence[Judged], jac: dict[tuple[str, str], float], merged: dict[str, set[tuple[str, str]]]
) -> list[list[str]]:
    """Rows ``[row, n, method: k (share) ...]``."""
    rows = []
    for key in ROWS:
        pairs = [(a, b) for a, b, label, _ in judged if _row_key(label, jac[(a, b)]) == key]
        cells = [key, str(len(pairs))]
        for found in merged.values():
            k = sum(p in found for p in pairs)
            cells.append(f"{k} ({k / len(pairs):.1%})" if pairs else "-")
        rows.append(cells)
    return rows


def _markdown(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _run_ours(
    records: Sequence[dict[str, Any]], params: dict[str, Any] | None = None
) -> tuple[list[list[str]], float, Any]:
    from dedup import DedupConfig, Deduplicator, Params
    from dedup.io import record_to_article

    articles = [record_to_article(r) for r in records]
    t0 = time.perf_counter()
    result = Deduplicator(DedupConfig(workers=2, params=Params(**(params or {})))).check(articles)
    return [list(s.ids) for s in result.stories], time.perf_counter() - t0, result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.real_pairs", description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default=str(DEFAULT_PAIRS), help="the judged pairs (CSV)")
    parser.add_argument("--corpus", nargs="+", default=list(DEFAULT_CORPUS), help="corpus files (gzip JSONL)")
    parser.add_argument("--background", type=int, default=2000, help="other articles in the batch (default 2000)")
    parser.add_argument("--seed", type=int, default=20240612)
    parser.add_argument("--methods", default="ours", help="comma-separated: ours and peers a,b,b2,c,d")
    parser.add_argument("--out", default=str(RESULTS / "real-pairs.json"))
    parser.add_argument(
        "--params", type=json.loads, default=None, help='dedup Params to override, as JSON: {"min_agreement": 0.5}'
    )
    args = parser.parse_args(argv)
    judged = load_judged(args.pairs)
    corpus = _corpus(args.corpus)
    records = batch_of(judged, corpus, background=args.background, seed=args.seed)
    jac = {(a, b): jaccard(corpus[a]["text"], corpus[b]["text"]) for a, b, _, _ in judged}
    merged: dict[str, set[tuple[str, str]]] = {}
    seconds: dict[str, float] = {}
    failures: dict[str, list[dict[str, Any]]] = {}
    for method in [m for m in args.methods.split(",") if m]:
        if method == "ours":
            groups, seconds[method], _ = _run_ours(records, args.params)
        else:
            from benchmarks.peers import PEERS

            t0 = time.perf_counter()
            groups = PEERS[method].run([(r["id"], r["text"]) for r in records]).groups
            seconds[method] = time.perf_counter() - t0
        found = merged_pairs(groups, judged)
        merged[method] = found
        failures[method] = [
            {"a": a, "b": b, "label": label, "class": cls, "jaccard": round(jac[(a, b)], 3)}
            for a, b, label, cls in judged
            if ((a, b) in found) != (label == "SAME")
        ]
    header = ["pairs", "n", *merged]
    print(f"{len(records):,} articles in one batch ({len(judged):,} judged pairs, {args.background:,} background)")
    print(_markdown(header, table(judged, jac, merged)))
    if "ours" in merged:
        wrong = Counter((f["label"], f["class"]) for f in failures["ours"])
        print("\ndedup's errors by class:", ", ".join(f"{lab}/{cls} {n}" for (lab, cls), n in wrong.most_common()))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "articles": len(records),
        "pairs": len(judged),
        "seconds": seconds,
        "table": {"header": header, "rows": table(judged, jac, merged)},
        "failures": failures,
    }
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
