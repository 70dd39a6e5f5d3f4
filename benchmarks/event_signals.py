"""Do lexical event signals tell one event from one topic? Measured on the hand-judged real pairs.

The event level (one event written up independently) needs a pair signal that is high for
SAME pairs with little shared text and low for RELATED (same topic, another event) and
DIFFERENT pairs. This measures the candidates a lexical event level would use, for every
judged pair inside the same batch ``benchmarks.real_pairs`` checks (judged articles plus
the background sample, so document frequencies are the batch's):

* ``rare``: IDF-weighted Jaccard of the two posts' rare words (title and body words in at
  least 2 and at most ``--max-df`` of the batch's posts);
* ``title``: IDF-weighted overlap of the two headlines' words (share of the smaller);
* both together, with the publication gap (CCTV items only) at most ``--days``;
* ``keys``: shared rare event keys (:mod:`dedup.keys`): names and quoted titles, and numbers
  of at least two digits, each in at most ``--max-df`` of the posts, with the gap at most
  ``--days`` and no copy-level veto (:func:`dedup.steps.link_of`: a template pair, conflicting
  keys, published apart, headlines apart). This is the event-key signal the event level
  would be built on.

It prints, per threshold, the share of each class at or above it. A usable signal puts
most SAME (independent) pairs above a threshold that few RELATED and DIFFERENT pairs reach.

    python -m benchmarks.event_signals
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from benchmarks.real_pairs import DEFAULT_CORPUS, JACCARD_SPLIT, _corpus, batch_of, jaccard, load_judged
from dedup import DedupConfig
from dedup.features import FeatureExtractor, Features
from dedup.io import record_to_article
from dedup.keys import NAME, NUMBER, TITLE
from dedup.steps import link_of
from dedup.verify import compare

__all__ = ["main"]

CLASSES = ("SAME independent", "SAME copies/rewrites", "RELATED", "DIFFERENT")


def _idf_overlap(a: set[int], b: set[int], idf: dict[int, float], *, smaller: bool) -> float:
    shared = sum(idf[t] for t in a & b)
    wa, wb = sum(idf[t] for t in a), sum(idf[t] for t in b)
    if not wa or not wb:
        return 0.0
    return shared / min(wa, wb) if smaller else shared / (wa + wb - shared)


def _event_keys(f: Features) -> set[tuple[int, str]]:
    """A post's names, titles and numbers of two digits or more (one digit is mostly grammar)."""
    return {
        (kind, word)
        for kind, word in zip(f.key_kinds.tolist(), f.key_words, strict=True)
        if kind in (NAME, TITLE) or (kind == NUMBER and len(word.replace(".", "")) >= 2)
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--background", type=int, default=2000)
    parser.add_argument("--max-df", type=float, default=0.02, help="share of the batch's posts (default 0.02)")
    parser.add_argument("--days", type=float, default=3.0)
    args = parser.parse_args(argv)
    corpus = _corpus(DEFAULT_CORPUS)
    judged = load_judged()
    records = batch_of(judged, corpus, background=args.background, seed=20240612)
    articles = [record_to_article(r) for r in records]
    feats: list[Features] = FeatureExtractor(DedupConfig()).extract_many(articles)
    where = {a.id: k for k, a in enumerate(articles)}
    n = len(feats)
    words = [set(np.concatenate([f.sequence, f.title_words]).tolist()) for f in feats]
    df = Counter(t for w in words for t in w)
    idf = {t: math.log(n / c) for t, c in df.items()}
    top = max(3.0, args.max_df * n)
    rare = [{t for t in w if 2 <= df[t] <= top} for w in words]
    titles = [set(f.title_words.tolist()) for f in feats]
    keys = [_event_keys(f) for f in feats]
    key_df = Counter(k for ks in keys for k in ks)
    rare_keys = [{k for k in ks if key_df[k] <= top} for ks in keys]
    config = DedupConfig()
    rows = []
    for a, b, label, _ in judged:
        i, j = where[a], where[b]
        cls = (
            label
            if label != "SAME"
            else (
                "SAME copies/rewrites"
                if jaccard(corpus[a]["text"], corpus[b]["text"]) >= JACCARD_SPLIT
                else "SAME independent"
            )
        )
        gap = abs(feats[i].published - feats[j].published) / 86400  # nan when a date is missing
        rows.append(
            (
                cls,
                _idf_overlap(rare[i], rare[j], idf, smaller=False),
                _idf_overlap(titles[i], titles[j], idf, smaller=True)
                if len(titles[i]) > 1 and len(titles[j]) > 1
                else 0.0,
                not gap > args.days,
                sum(k[0] != NUMBER for k in rare_keys[i] & rare_keys[j]),
                sum(k[0] == NUMBER for k in rare_keys[i] & rare_keys[j]),
                link_of(compare(feats[i], feats[j], config=config), config).veto,
            )
        )
    total = Counter(r[0] for r in rows)
    print(f"{n:,} articles in one batch, {len(rows):,} judged pairs; rare words: 2 to {top:.0f} posts")
    print("| signal | at least | " + " | ".join(f"{c} (n={total[c]})" for c in CLASSES) + " |")
    print("|---|---|" + "---|" * len(CLASSES))

    def line(name: str, threshold: str, hit: Counter[str]) -> None:
        print(f"| {name} | {threshold} | " + " | ".join(f"{100 * hit[c] / total[c]:.0f}%" for c in CLASSES) + " |")

    for threshold in (0.1, 0.2, 0.3, 0.4):
        line("rare", f"{threshold}", Counter(r[0] for r in rows if r[1] >= threshold))
    for threshold in (0.3, 0.5, 0.7):
        line("title", f"{threshold}", Counter(r[0] for r in rows if r[2] >= threshold))
    for rare_min, title_min in ((0.2, 0.3), (0.3, 0.3), (0.3, 0.5), (0.4, 0.5)):
        hit = Counter(r[0] for r in rows if r[1] >= rare_min and r[2] >= title_min and r[3])
        line(f"rare + title + {args.days:g} days", f"{rare_min} / {title_min}", hit)
    for names, numbers in ((1, 0), (2, 0), (1, 1), (2, 1), (2, 2), (3, 2)):
        hit = Counter(r[0] for r in rows if r[4] >= names and r[5] >= numbers and r[3] and not r[6])
        line(f"keys (names / numbers) + {args.days:g} days, no veto", f"{names} / {numbers}", hit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
