"""HTML report at scale: file size, build time and how fast Chromium opens it.

    python -m benchmarks.bench_html [DATA] [--repeat 5] [--chromium /usr/bin/chromium]

Checks DATA (default ``../shared/bench/dev.jsonl.gz``), renders the HTML report into
``benchmarks/results/`` (git-ignored: it holds corpus text), then opens it ``--repeat``
times in headless Chromium. The page records, in ``<body data-parse-ms data-ready-ms>``,
how long ``JSON.parse`` of the embedded data took and when the first screen was built
(milliseconds since navigation start). Medians are printed as a Markdown table row and
written as JSON next to the report.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from dedup import Deduplicator, read_articles
from dedup.report_html import render_html

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "dev.jsonl.gz"
RESULTS = Path(__file__).resolve().parent / "results"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
)


def _open(chromium: str, url: str, *extra: str) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as profile:
        started = time.perf_counter()
        out = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            timeout=300,
            check=True,
        )
        return time.perf_counter() - started, out.stdout.decode("utf-8", "replace")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.bench_html", description="HTML report size and speed")
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="batch (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=5, help="browser runs (default: %(default)s)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium", help="browser binary")
    parser.add_argument("--out", default=str(RESULTS), help="directory for the report (default: %(default)s)")
    args = parser.parse_args(argv)

    articles = read_articles(args.data)
    started = time.perf_counter()
    result = Deduplicator().check(articles)
    check_s = time.perf_counter() - started
    started = time.perf_counter()
    page = render_html(result, articles, title=f"dedup report: {Path(args.data).name}")
    render_s = time.perf_counter() - started
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / "report.html"
    report.write_bytes(page.encode("utf-8"))
    size = report.stat().st_size

    url = report.as_uri()
    parse_ms, ready_ms, dump_s, shot_s = [], [], [], []
    for _ in range(args.repeat):
        wall, dom = _open(args.chromium, url, "--dump-dom")
        found = dict(re.findall(r'data-(parse-ms|ready-ms)="(\d+)"', dom))
        parse_ms.append(int(found["parse-ms"]))
        ready_ms.append(int(found["ready-ms"]))
        dump_s.append(wall)
        shot = f"--screenshot={out_dir / 'report.png'}"
        wall, _ = _open(args.chromium, url, shot, "--window-size=1400,1000")
        shot_s.append(wall)
    stories_shown = len(re.findall(r'<article class="story"', dom))

    figures = {
        "data": Path(args.data).name,
        "articles": len(articles),
        "stories": len(result.stories),
        "stories_on_first_page": stories_shown,
        "check_s": round(check_s, 2),
        "render_html_s": round(render_s, 2),
        "bytes": size,
        "json_parse_ms_median": statistics.median(parse_ms),
        "first_screen_ms_median": statistics.median(ready_ms),
        "screenshot_wall_s_median": round(statistics.median(shot_s), 2),
        "dump_dom_wall_s_median": round(statistics.median(dump_s), 2),
        "runs": args.repeat,
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    (out_dir / "bench_html.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    print(
        f"| {figures['articles']:,} | {figures['stories']:,} | {size / 1e6:.1f} MB | {render_s:.1f} s "
        f"| {figures['json_parse_ms_median']:.0f} ms | {figures['first_screen_ms_median']:.0f} ms "
        f"| {figures['screenshot_wall_s_median']:.1f} s |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
