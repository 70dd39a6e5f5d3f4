"""Batches past the corpus's size: replica rounds made of real words (internal data; never committed).

The shared corpora give about 100,000 posts. A million-post batch repeats a 100K batch
in *rounds*, each a distinct, unrelated batch of the same make-up. Round 0 is the
source as it is. In round ``r`` every Chinese word (a jieba token of Chinese characters)
is replaced by another word of the same length and about the same frequency in the
source: the words of each length, ranked by frequency, are shuffled within windows of
``window`` ranks, one shuffle per round, the same for every post of the round. Digits,
Latin letters, punctuation, line breaks and markup stay, and so do accounts and times.

The words are cut from the Chinese characters that dedup's normalizer keeps
(:func:`dedup.normalize.normalize_with_offsets`), in order, and written back where they
stood. Two posts that normalize to the same body, however their punctuation, spacing,
markup or account boilerplate differ, are therefore mapped alike and stay copies; the
characters the normalizer drops (boilerplate lines such as a WeChat "follow us" preamble
or an editor's credit, which an account repeats all year) stay as they are, so the
normalizer still recognises them. The first version of this module cut the raw text: a
round kept 27% of its posts as normalized copies where the source has 38% (a repost
wrapped in boilerplate lost it once the boilerplate's words were swapped), so a 1M batch
held 18% more distinct bodies per post than its 100K source.

So a round keeps what drives the cost and the outcome of a check: real dictionary
words in a Zipf distribution (jieba segments them as it segments news), post lengths
and layout, and the stories of the source (its reposts are mapped like their originals,
so they stay copies of each other), while its words are not the source's: rounds do
not match each other.

Replacing *characters* instead (``benchmarks.spark_bench.replicate``: half of the
character types swapped for others) gives text no dictionary knows: jieba meets
unknown words everywhere, and one such round of 100K posts took 76 s where the corpus
batch took 56 s. That batch measures the tokenizer's unknown-word path, not a year of
posts; this one is what ``benchmarks.speed``'s 1M figures use.

    python -m benchmarks.replicas benchmarks/results/batch-100000.jsonl.gz 1000000 \\
        -o benchmarks/results/batch-1000k-words-v2.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.batch import read_records
from dedup.normalize import normalize_with_offsets

__all__ = ["main", "replicate_words", "round_tables"]

_HAN = re.compile("[\u4e00-\u9fff]")


def _cut() -> Any:
    import rjieba  # a core dependency: dedup's own tokenizer backend

    return rjieba.cut


def round_tables(counts: Counter[str], rounds: int, *, window: int = 32, seed: int = 11) -> list[dict[str, str]]:
    """One word-for-word table per round after the first (see the module docstring).

    Examples
    --------
    >>> tables = round_tables(Counter({"社区": 9, "街道": 8, "活动": 7, "的": 20, "了": 19}), 3, seed=1)
    >>> len(tables), all(sorted(t) == sorted(t.values()) for t in tables)
    (2, True)
    >>> all(len(word) == len(t[word]) for t in tables for word in t)
    True
    """
    by_length: dict[int, list[str]] = {}
    for word, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        by_length.setdefault(len(word), []).append(word)
    tables = []
    for r in range(1, rounds):
        rng = random.Random(seed * 1_000_003 + r)
        table: dict[str, str] = {}
        for words in by_length.values():
            for start in range(0, len(words), window):
                ranked = words[start : start + window]
                shuffled = ranked[:]
                rng.shuffle(shuffled)
                table.update(zip(ranked, shuffled, strict=True))
        tables.append(table)
    return tables


def _kept_han(text: str) -> tuple[str, list[int]]:
    """The Chinese characters the normalizer keeps of ``text``, in order, and their offsets in it."""
    normalized = normalize_with_offsets(text)
    chars: list[str] = []
    offsets: list[int] = []
    last = -1
    for ch, at in zip(normalized.text, normalized.offsets, strict=True):
        # Only a character that is Chinese in the raw text too, once (NFKC may expand one).
        if at != last and _HAN.match(ch) and _HAN.match(text[at]):
            chars.append(ch)
            offsets.append(at)
            last = at
    return "".join(chars), offsets


def _replicate(text: str, get: Any, cut: Any) -> str:
    """``text`` with its kept Chinese words replaced by ``get`` (see the module docstring).

    Examples
    --------
    >>> table = {"社区": "街道", "开展": "举办", "活动": "工作"}
    >>> pairs = lambda s: [s[i : i + 2] for i in range(0, len(s), 2)]
    >>> _replicate("关注我们\\n社区，开展 <b>活动</b>", table.get, pairs)
    '关注我们\\n街道，举办 <b>工作</b>'
    """
    han, offsets = _kept_han(text)
    if not han:
        return text
    # The table maps each word to one of the same length, so the words line up with ``offsets``.
    mapped = "".join([get(t, t) for t in cut(han)])
    chars = list(text)
    for at, ch in zip(offsets, mapped, strict=True):
        chars[at] = ch
    return "".join(chars)


def replicate_words(source: Path, n: int, out: Path, *, window: int = 32, seed: int = 11) -> int:
    """Write ``source`` and as many word-replica rounds of it as make ``n`` posts; return the rounds."""
    cut = _cut()
    counts: Counter[str] = Counter()
    size = 0
    for post in read_records(source):
        # Counted once; each round cuts again (holding every post's tokens would take gigabytes).
        # Cut from Chinese characters alone, every word is Chinese.
        counts.update(t for part in ("title", "text") for t in cut(_kept_han(post.get(part) or "")[0]))
        size += 1
    if not size:
        msg = f"{source}: no posts"
        raise SystemExit(msg)
    rounds = -(-n // size)
    tables = round_tables(counts, rounds, window=window, seed=seed)
    written = 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=3) as fh:
        for r in range(rounds):
            get = tables[r - 1].get if r else None
            for post in read_records(source):
                if written >= n:
                    break
                if get is not None:
                    post = {
                        **post,
                        "id": f"{post['id']}~w{r}",
                        "title": _replicate(post.get("title") or "", get, cut),
                        "text": _replicate(post.get("text") or "", get, cut),
                    }
                fh.write(json.dumps(post, ensure_ascii=False) + "\n")
                written += 1
    return rounds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replicas", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a batch (gzip JSONL), e.g. benchmarks/results/batch-100000.jsonl.gz")
    parser.add_argument("n", type=int, help="posts to write")
    parser.add_argument("-o", "--output", required=True, help="output .jsonl.gz")
    parser.add_argument("--window", type=int, default=32, help="frequency ranks shuffled together (default 32)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    rounds = replicate_words(Path(args.source), args.n, Path(args.output), window=args.window, seed=args.seed)
    print(f"{args.n} posts in {rounds} rounds -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
