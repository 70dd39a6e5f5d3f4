"""Build large benchmark batches from the shared corpus (internal data; never committed).

A batch is made of *story units*: the labelled dev set's stories as they are, and every
corpus article (CCTV transcripts, local/WeChat-style posts, Sina news) as an original
with zero or more reposts made by the edits the dev set uses (account boilerplate,
retitle, half-width punctuation, truncated lead, dropped paragraphs, HTML wrapping,
inserted spaces). Units are shuffled with a fixed seed and taken whole until the batch
has ``n`` posts, so 1K, 10K and 100K batches have the same make-up.

    python -m benchmarks.batch 100000 -o benchmarks/results/batch-100k.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_DEV = "../shared/bench/dev.jsonl.gz"
DEFAULT_CORPUS = (
    "../shared/corpus/xwlb.jsonl.gz",
    "../shared/corpus/inews.jsonl.gz",
    "../shared/corpus/sina2018.jsonl.gz",
)

_ACCOUNTS = [
    f"{area}{dept}"
    for area in ("岳麓区", "芙蓉区", "天心区", "开福区", "雨花区", "望城区", "长沙县", "浏阳市", "宁乡市")
    for dept in ("宣传部", "融媒体中心", "民政局", "司法局", "教育局", "城管局", "卫健局", "文旅局", "团委", "总工会")
] + [f"{name}社区" for name in ("荷叶塘", "山水湾", "湖光", "桃花岭", "新民", "银盆岭", "观沙岭", "望月湖")]

_HEADERS = ("关注我们，了解更多资讯", "点击上方蓝字关注我们", "{acc}讯（通讯员 黄磊）", "[{acc}]")
_FOOTERS = (
    "来源：{acc}\n编辑：马骏\n审核：林晓",
    "END\n喜欢就点个“在看”吧",
    "供稿：{acc}\n责任编辑：宋佳",
    "初审：宋佳\n复审：黄磊\n终审：马骏",
)
# Corpus items shorter than this are headlines or fragments rather than posts.
_MIN_CHARS = 300
# Reposts per corpus article (2.2 on average): most stories have several posts.
_REPOSTS = (1, 1, 2, 2, 3, 4)
_TAGS = ("【基层风采】", "聚焦|", "[工作动态]", "关注|", "【转载】")


def read_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """The records of a gzip JSONL file, one at a time."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def _halfwidth(text: str) -> str:
    table = {"，": ",", "。": ".", "：": ":", "（": "(", "）": ")", "；": ";", "！": "!", "？": "?"}
    return text.translate(str.maketrans(table))


def _repost(rng: random.Random, original: dict[str, Any], k: int) -> dict[str, Any]:
    text: str = original["text"]
    title: str = original["title"]
    account = rng.choice(_ACCOUNTS)
    paragraphs = [p for p in text.split("\n") if p.strip()] or [text]
    ops = rng.sample(["boilerplate", "retitle", "punct", "truncate", "drop", "html", "space"], k=rng.randint(1, 3))
    if "drop" in ops and len(paragraphs) > 2:
        paragraphs.pop(rng.randrange(1, len(paragraphs)))
    text = "\n".join(paragraphs)
    if "truncate" in ops:
        text = text[: rng.randint(80, 200)] + "…"
    if "punct" in ops:
        text = _halfwidth(text)
    if "space" in ops:
        text = text.replace("，", "， ", rng.randint(1, 5))
    if "boilerplate" in ops:
        text = rng.choice(_HEADERS).format(acc=account) + "\n" + text + "\n" + rng.choice(_FOOTERS).format(acc=account)
    if "html" in ops:
        text = "".join(f'<p style="text-indent:2em">{p}&nbsp;</p>' for p in text.split("\n"))
    if "retitle" in ops:
        title = rng.choice(_TAGS) + title
    when = datetime.fromisoformat(original["published_at"]) + timedelta(hours=rng.randint(1, 72))
    return {
        "id": f"{original['id']}-r{k}",
        "account": account,
        "published_at": when.isoformat(),
        "title": title,
        "text": text,
    }


def story_units(
    dev: str = DEFAULT_DEV, corpus: Sequence[str] = DEFAULT_CORPUS, *, seed: int = 1
) -> list[list[dict[str, Any]]]:
    """All story units, shuffled with ``seed``."""
    rng = random.Random(seed)
    units: dict[str, list[dict[str, Any]]] = {}
    for rec in read_records(dev):
        post = {k: rec[k] for k in ("id", "account", "published_at", "title", "text")}
        units.setdefault(f"dev:{rec['story']}", []).append(post)
    start = datetime(2024, 1, 1, 8, 0)
    for path in corpus:
        for rec in read_records(path):
            text = rec.get("text") or ""
            if len(text.strip()) < _MIN_CHARS:
                continue
            original = {
                "id": str(rec["id"]),
                "account": rng.choice(_ACCOUNTS),
                "published_at": (start + timedelta(minutes=rng.randint(0, 60 * 24 * 365))).isoformat(),
                "title": rec.get("title") or "",
                "text": text,
            }
            n = rng.choice(_REPOSTS)
            units[str(rec["id"])] = [original] + [_repost(rng, original, k) for k in range(1, n + 1)]
    ordered = [units[k] for k in sorted(units)]
    rng.shuffle(ordered)
    return ordered


def build_batch(n: int, units: Sequence[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Take the first whole units adding up to ``n`` posts (the last unit is cut if needed)."""
    out: list[dict[str, Any]] = []
    for unit in units:
        if len(out) >= n:
            break
        out.extend(unit[: n - len(out)])
    if len(out) < n:
        msg = f"the corpus gives only {len(out)} posts, fewer than {n}"
        raise SystemExit(msg)
    return out


def write_batch(posts: Sequence[dict[str, Any]], path: Path) -> None:
    """Write posts as JSONL (gzip when the name ends in .gz)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as fh:  # type: ignore[operator]
        for p in posts:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch", description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="posts in the batch")
    parser.add_argument("-o", "--output", required=True, help="output .jsonl or .jsonl.gz")
    parser.add_argument("--dev", default=DEFAULT_DEV)
    parser.add_argument("--corpus", nargs="+", default=list(DEFAULT_CORPUS))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    posts = build_batch(args.n, story_units(args.dev, args.corpus, seed=args.seed))
    write_batch(posts, Path(args.output))
    chars = sum(len(p["text"]) for p in posts)
    print(f"{len(posts)} posts, {chars / len(posts):.0f} characters on average -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
