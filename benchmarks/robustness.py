"""Large and awkward inputs, made up on the spot: time and peak memory of reading and checking.

Cases (all synthetic, no corpus needed):

* ``lines``: 100,000 one-line posts of distinct random text (read, then ``dedup check``);
* ``short``: 100,000 one-line replies too short to compare, with a few planted copies;
* ``copies``: N exact copies of one post (the candidate and evidence step must stay linear);
* ``template``: N one-line notices from one template ("X日，Y社区第N网格开展Z活动...")
  with different specifics: the batch the LSH step finds hardest;
* ``big``: two copies (exact, then near) of a ``max_length`` (1,000,000-character) post.

Each case runs in a fresh process (so peak RSS is its own) under ``--timeout`` seconds::

    python -m benchmarks.robustness                 # every case, default sizes
    python -m benchmarks.robustness template --n 2000 5000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

CASES = ("lines", "short", "copies", "template", "big")
DEFAULT_N = {"lines": 100_000, "short": 100_000, "copies": 10_000, "template": 5_000, "big": 1_000_000}

_PLACES = ["荷叶塘", "山水湾", "岳麓", "望城", "雨花", "天心", "开福", "芙蓉", "长沙县", "浏阳"]
_ACTS = ["垃圾分类宣传", "消防安全演练", "义诊", "文艺汇演", "防诈骗讲座", "植树", "敬老慰问", "禁毒宣传"]
_POST = "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。"


def _random_text(rng: random.Random, n: int) -> str:
    return "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(n))


def make_batch(case: str, n: int, path: Path) -> None:
    """Write the batch of one case as JSONL."""
    rng = random.Random(1)
    with path.open("w", encoding="utf-8") as fh:

        def post(i: int, text: str) -> None:
            fh.write(json.dumps({"id": f"p{i}", "text": text}, ensure_ascii=False) + "\n")

        if case == "lines":
            for i in range(n):
                post(i, _random_text(rng, 40) + "。")
        elif case == "short":
            for i in range(n):
                post(i, _POST if i % 20_000 == 0 else f"第{i}条回复：收到。")
        elif case == "copies":
            for i in range(n):
                post(i, _POST)
        elif case == "template":
            for i in range(n):
                place, act = rng.choice(_PLACES), rng.choice(_ACTS)
                people, homes = rng.randint(1, 999), rng.randint(100, 99_999)
                lead = f"{i % 28 + 1}日，{place}社区第{i}网格开展{act}活动，"
                post(i, f"{lead}志愿者{people}人参与，覆盖居民{homes}户。")
        elif case == "big":
            sentences = [_random_text(rng, 30) + "。" for _ in range(n // 31 + 1)]
            big = "".join(sentences)[:n]
            near = big[: n // 2] + "插入一句新的话。" + big[n // 2 : n - 8]
            post(0, big)
            post(1, big)
            post(2, near)
        else:
            msg = f"unknown case {case!r}"
            raise ValueError(msg)


def _child(case: str, path: str) -> None:
    from dedup import DedupConfig, Deduplicator
    from dedup.io import ArticleReader

    started = time.perf_counter()
    articles = list(ArticleReader(path, max_length=DedupConfig().max_length))
    read = time.perf_counter() - started
    dedup = Deduplicator(DedupConfig(workers=1))
    started = time.perf_counter()
    if case == "big":  # exact pair, then near pair
        check = []
        for pair in ((articles[0], articles[1]), (articles[0], articles[2])):
            t = time.perf_counter()
            dedup.check(list(pair))
            check.append(round(time.perf_counter() - t, 2))
        summary: object = {"exact_pair_s": check[0], "near_pair_s": check[1]}
    else:
        summary = dedup.check(articles).summary.to_dict()
    elapsed = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"read_s": round(read, 2), "check_s": round(elapsed, 2), "peak_rss_mb": rss, "result": summary}))


def run_case(case: str, n: int, *, timeout: float) -> dict[str, object]:
    """Run one case in a child process; a timeout is reported, not raised."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{case}.jsonl"
        make_batch(case, n, path)
        cmd = [sys.executable, "-m", "benchmarks.robustness", "--child", case, str(path)]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {"case": case, "n": n, "error": f"timed out after {timeout:.0f} s"}
        if out.returncode != 0:
            return {"case": case, "n": n, "error": f"exit {out.returncode}: {out.stderr.strip()[-300:]}"}
        return {"case": case, "n": n, **json.loads(out.stdout)}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the cases and print one JSON line per case and size."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.robustness", description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"some of {', '.join(CASES)} (default: all)")
    parser.add_argument("--n", type=int, nargs="+", help="sizes (default: per case)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run (default: 600)")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    for case in args.cases or CASES:
        for n in args.n or [DEFAULT_N[case]]:
            print(json.dumps(run_case(case, n, timeout=args.timeout), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
