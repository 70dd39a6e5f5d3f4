"""Stratified sample and reading chunks for :mod:`benchmarks.real_pairs_mine`.

The mined pairs (records with ids, corpus, stratum, dedup's verdict and a title family)
are sampled with a fixed seed: first pairs dedup merges whose guessed class is a failure
class and pairs it keeps apart that look like one event, a few sina2018 posts listed under
two channels with one title (``CHANNEL_DUPS``, no more), then a quota per stratum and
corpus, round-robin over title families (pairs found only by the ``short`` miner last),
each post in at most ``PER_DOC`` pairs. The readers' chunks carry the two texts (cut at
1,800 characters) and nothing of the stratum or of dedup's verdict.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "CORPORA",
    "FAILURE",
    "QUOTAS",
    "SAME_GUESS",
    "Sampler",
    "stratified_sample",
    "summary",
    "write_chunks",
]

CORPORA = ("xwlb", "sina2018", "inews")
#: Sample quotas per stratum: (xwlb, sina2018, inews); empty cells pass their share on.
QUOTAS: dict[str, tuple[int, int, int]] = {
    "formula": (110, 30, 45),
    "chrome": (0, 35, 40),
    "quoted_title": (40, 5, 5),
    "empty": (25, 20, 20),
    "digest": (35, 10, 10),
    "topic": (50, 50, 20),
    "copy": (25, 50, 40),
    "rewrite": (25, 45, 30),
    "independent": (20, 55, 15),
    "random_hard": (35, 35, 25),
}
FAILURE = frozenset({"formula", "chrome", "quoted_title", "empty", "digest", "topic", "random_hard"})
SAME_GUESS = frozenset({"copy", "rewrite", "independent"})
SUSPECTS = 65
CHANNEL_DUPS = 6
PER_DOC = 3


# ---------------------------------------------------------------------------------------
# stratified sample


class Sampler:
    """Seeded selection with at most ``PER_DOC`` pairs per post and few channel copies."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.chosen: list[dict[str, Any]] = []
        self.keys: set[tuple[str, str]] = set()
        self.per_doc: Counter[str] = Counter()
        self.channel = 0

    def ok(self, rec: dict[str, Any]) -> bool:
        return (
            (rec["a"], rec["b"]) not in self.keys
            and self.per_doc[rec["a"]] < PER_DOC
            and self.per_doc[rec["b"]] < PER_DOC
            and (rec["_family"] != "channel_dup" or self.channel < CHANNEL_DUPS)
        )

    def take(self, pool: Sequence[dict[str, Any]], n: int, group: Callable[[dict[str, Any]], Any]) -> int:
        """Take up to ``n`` of ``pool``, round-robin over ``group(rec)``; return how many.

        Inside a group pairs are taken in a seeded random order, pairs that only the
        ``short`` miner found (random partners of their kind) last.
        """
        buckets: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for rec in pool:
            buckets[group(rec)].append(rec)
        order = sorted(buckets, key=str)
        self.rng.shuffle(order)
        for g in order:
            self.rng.shuffle(buckets[g])
            buckets[g].sort(key=lambda r: r["source"] != ["short"])  # popped from the end
        taken = 0
        while taken < n and order:
            for g in list(order):
                bucket = buckets[g]
                while bucket and not self.ok(bucket[-1]):
                    bucket.pop()
                if not bucket:
                    order.remove(g)
                    continue
                rec = bucket.pop()
                self.chosen.append(rec)
                self.keys.add((rec["a"], rec["b"]))
                self.per_doc.update((rec["a"], rec["b"]))
                self.channel += rec["_family"] == "channel_dup"
                taken += 1
                if taken >= n:
                    break
        return taken


def stratified_sample(records: Sequence[dict[str, Any]], seed: int, scale: float = 1.0) -> list[dict[str, Any]]:
    """Suspect pairs first, then each stratum x corpus quota; deficits go to the corpus' other strata."""
    s = Sampler(seed)
    for check in ("merged_suspect", "apart_suspect"):
        pool = [r for r in records if r["check"] == check]
        s.take(pool, round(SUSPECTS * scale), lambda r: (r["corpus"], r["stratum"], r["_family"]))
    channel = [r for r in records if r["_family"] == "channel_dup"]
    s.take(channel, round(CHANNEL_DUPS * scale), lambda r: r["stratum"])
    deficit: Counter[str] = Counter()
    for stratum, quotas in QUOTAS.items():
        for corpus, quota in zip(CORPORA, quotas, strict=True):
            have = sum(1 for r in s.chosen if r["corpus"] == corpus and r["stratum"] == stratum)
            pool = [r for r in records if r["corpus"] == corpus and r["stratum"] == stratum]
            want = max(0, round(quota * scale) - have)
            deficit[corpus] += want - s.take(pool, want, lambda r: (r["dedup_same_story"], r["_family"]))
    for corpus in CORPORA:
        pool = [r for r in records if r["corpus"] == corpus]
        s.take(pool, deficit[corpus], lambda r: r["stratum"])
    return s.chosen


# ---------------------------------------------------------------------------------------
# output


def _read_texts(corpus_dir: Path, wanted: set[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in CORPORA:
        path = corpus_dir / f"{name}.jsonl.gz"
        if not path.exists():
            continue
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    r = json.loads(line)
                    if str(r["id"]) in wanted:
                        out[str(r["id"])] = r
    return out


def _table(sample: Sequence[dict[str, Any]], key: str) -> list[str]:
    counts = Counter((r[key], r["corpus"]) for r in sample)
    rows = sorted({k for k, _ in counts})
    lines = [f"{key:<16}" + "".join(f"{c:>10}" for c in CORPORA) + f"{'total':>8}"]
    for row in rows:
        cells = [counts[(row, c)] for c in CORPORA]
        lines.append(f"{row!s:<16}" + "".join(f"{n:>10}" for n in cells) + f"{sum(cells):>8}")
    totals = [sum(1 for r in sample if r["corpus"] == c) for c in CORPORA]
    lines.append(f"{'total':<16}" + "".join(f"{n:>10}" for n in totals) + f"{len(sample):>8}")
    return lines


def summary(sample: Sequence[dict[str, Any]]) -> str:
    """Counts of the sample by stratum, source, check and dedup verdict, per corpus."""
    view = [
        {
            **r,
            "source_each": None,
            "merged": "merged by dedup" if r["dedup_same_story"] else "kept apart",
            "check": r["check"] or "-",
            "kind": r["dedup_kind"] or "-",
        }
        for r in sample
    ]
    by_source = [{**r, "src": src} for r in sample for src in r["source"]]
    parts = [_table(view, "stratum"), _table(by_source, "src"), _table(view, "merged")]
    parts += [_table(view, "check"), _table(view, "kind")]
    return "\n\n".join("\n".join(p) for p in parts)


def write_chunks(sample: Sequence[dict[str, Any]], corpus_dir: Path, out_dir: Path, seed: int, size: int = 100) -> int:
    """Shuffled reading chunks (texts cut at 1,800 characters, no stratum or verdict)."""
    texts = _read_texts(corpus_dir, {r["a"] for r in sample} | {r["b"] for r in sample})
    order = list(sample)
    random.Random(seed + 1).shuffle(order)
    n_chunks = max(1, round(len(order) / size))
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("chunk-*.jsonl"):
        old.unlink()
    for c in range(n_chunks):
        part = order[c * len(order) // n_chunks : (c + 1) * len(order) // n_chunks]
        with open(out_dir / f"chunk-{c + 1:02d}.jsonl", "w", encoding="utf-8") as fh:
            for rec in part:
                line: dict[str, Any] = {"a": rec["a"], "b": rec["b"]}
                for side in ("a", "b"):
                    r = texts[rec[side]]
                    text = str(r.get("text") or "")
                    line[f"{side}_title"] = str(r.get("title") or "")
                    if r.get("date"):
                        line[f"{side}_date"] = str(r["date"])
                    line[f"{side}_text"] = text[:1800]
                line["a_len"] = len(str(texts[rec["a"]].get("text") or ""))
                line["b_len"] = len(str(texts[rec["b"]].get("text") or ""))
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    readme = [
        f"{len(order)} candidate pairs of real news posts in {n_chunks} chunks (chunk-01 .. chunk-{n_chunks:02d}),",
        "shuffled across classes; each line: a, b (ids), a_title, a_date (xwlb only), a_text (first 1800",
        "characters), the same for b, a_len and b_len (full text lengths). Made by",
        f"python -m benchmarks.real_pairs_mine (seed {seed}). Internal corpus text: do not copy it anywhere else.",
        "",
        "Pairs per guessed class (stratum) and corpus:",
        "",
        summary(sample),
        "",
    ]
    (out_dir / "README.txt").write_text("\n".join(readme), encoding="utf-8")
    return n_chunks
