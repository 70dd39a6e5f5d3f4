"""Command line: ``dedup check FILE...`` (thin layer over the public API).

Data goes to standard output, messages to standard error. Exit status: 0 no story
with several posts, 1 duplicates found, 2 usage or input error (``--exit-zero``
turns 1 into 0).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from importlib import resources
from typing import IO

from dedup import __version__
from dedup.config import DedupConfig
from dedup.exceptions import DedupError
from dedup.io import ArticleReader
from dedup.pipeline import Deduplicator
from dedup.report import FORMATS, render, summary_line

__all__ = ["main"]

EXIT_CLEAN = 0
EXIT_DUPLICATES = 1
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors through our streams with exit status 2."""

    def __init__(self, *args: object, stderr: IO[str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._stderr = stderr

    def error(self, message: str) -> None:  # type: ignore[override]
        stream = self._stderr or sys.stderr
        self.print_usage(stream)
        stream.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_ERROR)


def _threshold(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        msg = f"must be a number in [0, 1], got {value!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not 0.0 <= number <= 1.0:
        msg = f"must be in [0, 1], got {value}"
        raise argparse.ArgumentTypeError(msg)
    return number


def _non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        msg = f"must be a whole number, got {value!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if number < 0:
        msg = f"must be >= 0, got {value}"
        raise argparse.ArgumentTypeError(msg)
    return number


def _positive(value: str) -> int:
    number = _non_negative(value)
    if number < 1:
        msg = f"must be >= 1, got {value}"
        raise argparse.ArgumentTypeError(msg)
    return number


def build_parser(stderr: IO[str] | None = None) -> argparse.ArgumentParser:
    """The ``dedup`` argument parser."""
    parser = _Parser(
        prog="dedup",
        description="Find one story, many posts: the same event written up several times and posted on many accounts.",
        stderr=stderr,
    )
    parser.add_argument("--version", action="version", version=f"dedup {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    check = sub.add_parser(
        "check",
        help="group a batch of articles into stories and report the ones with several posts",
        description="Group a batch of articles into stories; report stories with several posts.",
        stderr=stderr,
    )
    check.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="JSONL (.jsonl, .jsonl.gz), CSV, TXT files or directories; - reads standard input",
    )
    check.add_argument("--sample", action="store_true", help="check the bundled sample batch (made-up posts)")
    check.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    check.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    check.add_argument(
        "--threshold",
        type=_threshold,
        default=DedupConfig().threshold,
        help="similarity in [0, 1] from which two posts are one story (default: %(default)s); "
        "lower catches looser rewrites, higher only close copies",
    )
    check.add_argument("--cross-account-only", action="store_true", help="only count pairs posted by different accounts")
    check.add_argument(
        "--min-length",
        type=_non_negative,
        default=DedupConfig().min_length,
        help="skip articles shorter than this many characters after cleaning (default: %(default)s)",
    )
    check.add_argument(
        "--input-format",
        choices=("auto", "jsonl", "csv", "txt", "dir"),
        default="auto",
        help="input format (default: by extension; needed for some standard input)",
    )
    check.add_argument("--encoding", help="input encoding, e.g. gb18030 (default: detected per file)")
    check.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip unreadable records and files that cannot be read to the end (listed on stderr "
        'and, with --format json, under "skipped")',
    )
    check.add_argument("--user-dict", metavar="PATH", help="jieba user dictionary of local names")
    check.add_argument("--workers", type=_positive, default=1, help="processes to use (default: 1)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when duplicates are found")
    check.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")
    return parser


def _sample_path() -> str:
    return str(resources.files("dedup").joinpath("data/sample.jsonl"))


def _write(text: str, output: str | None, stdout: IO[str]) -> None:
    if output is not None:
        tmp = f"{output}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, output)
        return
    buffer = getattr(stdout, "buffer", None)
    if buffer is not None:
        # Bytes, so Chinese survives a C/POSIX locale.
        stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()
    else:
        stdout.write(text)


def _check(args: argparse.Namespace, stdin: IO[bytes] | None, stdout: IO[str], stderr: IO[str]) -> int:
    files: list[str] = list(args.files)
    if args.sample:
        files.append(_sample_path())
    if not files:
        stderr.write("dedup check: error: give at least one FILE (or - for standard input, or --sample)\n")
        return EXIT_ERROR
    config = DedupConfig(
        threshold=args.threshold,
        cross_account_only=args.cross_account_only,
        min_length=args.min_length,
        user_dict=args.user_dict,
        workers=args.workers,
    )
    reader = ArticleReader(
        files,
        input_format=args.input_format,
        encoding=args.encoding,
        skip_bad=args.skip_bad,
        max_length=config.max_length,
        stdin=stdin,
    )
    started = time.perf_counter()
    articles = list(reader)
    for record in reader.skipped:
        if not args.quiet:
            stderr.write(f"dedup: skipped {record}\n")
    if reader.skipped:
        stderr.write(f"dedup: skipped {len(reader.skipped)} bad record(s); {len(articles)} read\n")
    elif not articles and not args.quiet:
        stderr.write("dedup: no articles in the input\n")
    result = Deduplicator(config).check(articles, skipped=len(reader.skipped))
    text = render(result, args.format, skipped=reader.skipped)
    if args.format == "csv":
        text = "\ufeff" + text  # BOM: Excel opens UTF-8 CSV correctly only with it
    _write(text, args.output, stdout)
    if not args.quiet and (args.format != "table" or args.output):
        elapsed = time.perf_counter() - started
        stderr.write(f"dedup: {summary_line(result.summary)} ({elapsed:.1f}s)\n")
    if result.has_duplicates and not args.exit_zero:
        return EXIT_DUPLICATES
    return EXIT_CLEAN


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (``sys.argv[1:]`` by default).
    stdin, stdout, stderr : streams, optional
        Replace the process streams (for tests and embedding).

    Returns
    -------
    int
        0 nothing found, 1 duplicates found, 2 usage or input error.
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = build_parser(err)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code in (0, None):  # --help, --version
            return EXIT_CLEAN
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    if args.command is None:
        parser.print_help(err)
        return EXIT_ERROR
    # The library never configures logging; the command line shows warnings only.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    try:
        return _check(args, stdin, out, err)
    except DedupError as exc:
        err.write(f"dedup: error: {exc}\n")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_CLEAN
    except KeyboardInterrupt:
        err.write("dedup: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
