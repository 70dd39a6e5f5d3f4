"""Command line: ``dedup check FILE...``, ``dedup accounts FILE...`` (thin layer over the public API).

Data goes to standard output, messages to standard error. Exit status: 0 no story
with several posts, 1 duplicates found, 2 an error (usage, input, output, or a bug:
always one line on standard error, never a traceback), 130 interrupted
(``--exit-zero`` turns 1 into 0). A reader that stops early (``| head``) is no error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import IO, Any

from dedup import __version__
from dedup.accounts import account_pairs, account_stats
from dedup.config import DedupConfig
from dedup.exceptions import ConfigError, DedupError
from dedup.extraction import Execution
from dedup.io import ArticleReader, SkippedRecord
from dedup.io_decode import GZIP_FLOOR_LINES, GZIP_RATIO, SKIP_FACTOR, max_line_bytes
from dedup.io_write import write_report
from dedup.jsontext import dumps
from dedup.models import Article
from dedup.pipeline import Deduplicator, StoryStream
from dedup.report import (
    FORMATS,
    OUTPUT_ENCODINGS,
    OutputEncoding,
    default_output_encoding,
    escape_controls,
    iter_render,
    render_accounts,
    summary_line,
)

__all__ = ["main"]

EXIT_CLEAN = 0
EXIT_DUPLICATES = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors through our streams with exit status 2."""

    def __init__(self, *args: object, stderr: IO[str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._stderr = stderr

    def error(self, message: str) -> None:  # type: ignore[override]
        stream = self._stderr or sys.stderr
        self.print_usage(stream)
        stream.write(f"{self.prog}: error: {escape_controls(message)}\n")
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


def _limits_epilog() -> str:
    """What the reader bounds, with the numbers in force (for --help)."""
    max_length = DedupConfig().max_length
    line = max_line_bytes(max_length)
    return (
        f"Limits: a text over {max_length:,} characters, or a line (or a file in a directory) over {line:,} "
        f"bytes, is a bad record: exit 2, or listed and skipped with --skip-bad; the line is never held in "
        f"memory. An over-long line is skipped by reading on for at most {SKIP_FACTOR * line:,} bytes, and a "
        f".gz file is inflated to at most {GZIP_RATIO} times its size or {GZIP_FLOOR_LINES * line:,} bytes; "
        "past that the file is not read further (and is reported). Symbolic links out of a directory input "
        "are not followed without --follow-links; entries left out are listed as 'not read'."
    )


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
        epilog=_limits_epilog(),
        stderr=stderr,
    )
    _add_batch_options(check, formats=FORMATS)
    check.add_argument(
        "--no-evidence",
        action="store_true",
        help="json, jsonl: list each story's pairs without their evidence (shared passages, specifics); "
        "html: the page computes shared passages itself",
    )
    accounts = sub.add_parser(
        "accounts",
        help="per-account copy figures: posts, copies of other accounts' posts, who copies whom",
        description="Check a batch, then report per account how many posts copy an earlier post of another "
        "account, and which pairs of accounts share stories.",
        epilog=_limits_epilog(),
        stderr=stderr,
    )
    _add_batch_options(accounts, formats=("table", "json", "csv"))
    accounts.add_argument(
        "--pairs", action="store_true", help="table and csv: list every pair of accounts sharing stories"
    )
    _add_index_parser(sub, stderr)
    from dedup.spark_cli import add_parser as add_spark_parser  # needs no pyspark until it runs

    add_spark_parser(sub, stderr)
    return parser


def _add_batch_options(parser: argparse.ArgumentParser, *, formats: Sequence[str]) -> None:
    """The options of every command that checks a batch (check, accounts)."""
    add = parser.add_argument
    add(
        "files",
        nargs="*",
        metavar="FILE",
        help="JSONL (.jsonl, .jsonl.gz), CSV, TXT files or directories; - reads standard input",
    )
    add("--sample", action="store_true", help="use the bundled sample batch (made-up posts)")
    add("--format", choices=formats, default="table", help="output format (default: table)")
    add(
        "-o",
        "--output",
        metavar="FILE",
        help="write the report to FILE instead of standard output: a plain file atomically (its mode kept; "
        "in place when it has several hard links), a device, FIFO or /dev/stdout written through",
    )
    add(
        "--threshold",
        type=_threshold,
        default=DedupConfig().threshold,
        help="similarity in [0, 1] from which two posts are one story (default: %(default)s); "
        "lower catches looser rewrites, higher only close copies",
    )
    add("--cross-account-only", action="store_true", help="only count pairs posted by different accounts")
    add(
        "--min-length",
        type=_non_negative,
        default=DedupConfig().min_length,
        help="skip articles shorter than this many characters after cleaning (default: %(default)s)",
    )
    add(
        "--input-format",
        choices=("auto", "jsonl", "csv", "txt", "dir"),
        default="auto",
        help="input format (default: by extension; needed for some standard input)",
    )
    add("--encoding", help="input encoding, e.g. gb18030 (default: detected per file)")
    add(
        "--follow-links",
        action="store_true",
        help="in directory inputs, also follow symbolic links that lead out of the directory",
    )
    add(
        "--skip-bad",
        action="store_true",
        help="skip unreadable records and files that cannot be read to the end (listed on stderr "
        'and, with --format json, under "skipped")',
    )
    add("--user-dict", metavar="PATH", help="jieba user dictionary of local names")
    add(
        "--workers",
        type=_non_negative,
        default=0,
        help="processes to use; 0 = one per CPU core (default); results do not depend on it",
    )
    add(
        "--spill-dir",
        metavar="DIR",
        help="keep the batch's normalized bodies and features in a temporary file in DIR (deleted at once) "
        "instead of in memory, for batches larger than the machine's memory: about 4.5 KB of disk per post; "
        "results do not change",
    )
    add("--exit-zero", action="store_true", help="exit 0 even when duplicates are found")
    add("-q", "--quiet", action="store_true", help="no progress bar or summary on stderr")
    add(
        "--raw-csv",
        action="store_true",
        help="csv: write cells exactly as given; by default a cell starting with = + - @, a tab or a carriage "
        "return (which spreadsheets run as a formula) gets a leading ' (plain numbers are left alone)",
    )
    # Not --encoding: that already names the INPUT encoding.
    add(
        "--output-encoding",
        choices=OUTPUT_ENCODINGS,
        help="encoding of the report: utf-8-sig (UTF-8 with BOM, default for csv: Excel needs the BOM), "
        "utf-8 (default otherwise), gb18030 (Excel in China); html is always UTF-8",
    )


_EVIDENCE_FORMATS = frozenset({"json", "jsonl", "html"})


def _cpu_count() -> int:
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 32))
    except AttributeError:  # not on Linux
        return max(1, min(os.cpu_count() or 1, 32))


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """A one-line progress display on a terminal: stage, count, elapsed time.

    It stays silent for the first second, so quick runs print nothing.
    """

    STAGES = ("normalize", "tokenize", "candidates", "verify", "cluster", "evidence")

    def __init__(self, stream: IO[str], *, delay: float = 1.0, interval: float = 0.2) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.delay = delay
        self.interval = interval
        self._last = 0.0
        self._shown = False
        self._closed = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if self._closed or now - self.started < self.delay or (now - self._last < self.interval and done < total):
            return
        self._last = now
        step = self.STAGES.index(stage) + 1 if stage in self.STAGES else 0
        width = 24
        filled = width * done // total if total else width
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(
            f"\r[{step}/{len(self.STAGES)}] {stage:<10} [{bar}] {done:,}/{total:,}  {now - self.started:5.1f}s"
        )
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Clear the line (the next update draws it again)."""
        if self._shown:
            self._shown = False
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def close(self) -> None:
        """Clear the line; nothing more is shown."""
        self._closed = True
        self.clear()


def _sample_path() -> str:
    return str(resources.files("dedup").joinpath("data/sample.jsonl"))


def _write(text: str, output: str | None, stdout: IO[str], *, encoding: OutputEncoding = "utf-8") -> None:
    write_report([text], output, stdout, encoding=encoding)


def _output_encoding(args: argparse.Namespace, stderr: IO[str]) -> OutputEncoding | None:
    """Return the chosen or default output encoding; None (after a message) when it does not apply."""
    encoding: OutputEncoding = args.output_encoding or default_output_encoding(args.format)
    if args.format == "html" and encoding == "gb18030":
        stderr.write(
            f"dedup {args.command}: error: the html report is always UTF-8; --output-encoding gb18030 is for csv\n"
        )
        return None
    return encoding


def _render_check(
    args: argparse.Namespace,
    config: DedupConfig,
    articles: Sequence[Article],
    stream: StoryStream,
    skipped: Sequence[SkippedRecord] = (),
) -> Iterator[str]:
    names = [os.path.basename(f) if f != "-" else "standard input" for f in args.files] or ["sample"]
    return iter_render(
        stream,
        args.format,
        articles=articles,
        skipped=skipped if args.format == "json" else None,
        escape_formulas=not args.raw_csv,
        title=f"dedup report: {', '.join(names)}",
        normalize=config.normalize,
    )


def _report_not_read(reader: ArticleReader, args: argparse.Namespace, stderr: IO[str]) -> None:
    """List the entries of directory inputs left out on purpose (hidden, other types, links out)."""
    if not args.quiet:
        for entry in reader.not_read:
            stderr.write(f"dedup: not read: {escape_controls(str(entry))}\n")


def _open_batch(
    args: argparse.Namespace, stdin: IO[bytes] | None, stderr: IO[str], *, evidence: bool
) -> tuple[DedupConfig, ArticleReader] | None:
    """The configuration and a reader of the batch the arguments name; None (after a message) when none is given."""
    files: list[str] = list(args.files)
    if args.sample:
        files.append(_sample_path())
    if not files:
        stderr.write(f"dedup {args.command}: error: give at least one FILE (or - for standard input, or --sample)\n")
        return None
    config = DedupConfig(
        threshold=args.threshold,
        cross_account_only=args.cross_account_only,
        min_length=args.min_length,
        user_dict=args.user_dict,
        workers=args.workers or _cpu_count(),
        evidence=evidence,
    )
    reader = ArticleReader(
        files,
        input_format=args.input_format,
        encoding=args.encoding,
        skip_bad=args.skip_bad,
        max_length=config.max_length,
        follow_links=args.follow_links,
        stdin=stdin,
    )
    return config, reader


def _execution(args: argparse.Namespace) -> Execution:
    """How the batch is computed (never what comes out)."""
    return Execution(spill_dir=args.spill_dir)


def _report_read(reader: ArticleReader, read: int, args: argparse.Namespace, stderr: IO[str]) -> None:
    """Say what reading the batch left out: directory entries, bad records skipped, or that it was empty."""
    _report_not_read(reader, args, stderr)
    for record in reader.skipped:
        if not args.quiet:
            stderr.write(f"dedup: skipped {escape_controls(str(record))}\n")
    if reader.skipped:
        stderr.write(f"dedup: skipped {len(reader.skipped)} bad record(s); {read} read\n")
    elif not read and not args.quiet:
        stderr.write("dedup: no articles in the input\n")


def _read_batch(
    args: argparse.Namespace, stdin: IO[bytes] | None, stderr: IO[str], *, evidence: bool
) -> tuple[DedupConfig, list[Article], list[SkippedRecord]] | None:
    """Read the batch the arguments name in full; None (after a message) when none is given."""
    opened = _open_batch(args, stdin, stderr, evidence=evidence)
    if opened is None:
        return None
    config, reader = opened
    articles = list(reader)
    _report_read(reader, len(articles), args, stderr)
    return config, articles, reader.skipped


def _accounts(args: argparse.Namespace, stdin: IO[bytes] | None, stdout: IO[str], stderr: IO[str]) -> int:
    encoding = _output_encoding(args, stderr)
    if encoding is None:
        return EXIT_ERROR
    started = time.perf_counter()
    batch = _read_batch(args, stdin, stderr, evidence=False)
    if batch is None:
        return EXIT_ERROR
    config, articles, skipped = batch
    bar = Progress(stderr) if not args.quiet and _isatty(stderr) else None
    try:
        result = Deduplicator(config, execution=_execution(args)).check(articles, skipped=len(skipped), progress=bar)
    finally:
        if bar is not None:
            bar.close()
    stats = account_stats(articles, result)
    pairs = account_pairs(result)
    text = render_accounts(stats, pairs, args.format, pairs_only=args.pairs, escape_formulas=not args.raw_csv)
    _write(text, args.output, stdout, encoding=encoding)
    if not args.quiet:
        elapsed = time.perf_counter() - started
        copying = sum(1 for s in stats if s.copies)
        stderr.write(
            f"dedup: {len(stats)} accounts, {copying} copy other accounts; "
            f"{summary_line(result.summary)} ({elapsed:.1f}s)\n"
        )
    if result.has_duplicates and not args.exit_zero:
        return EXIT_DUPLICATES
    return EXIT_CLEAN


def _check(args: argparse.Namespace, stdin: IO[bytes] | None, stdout: IO[str], stderr: IO[str]) -> int:
    encoding = _output_encoding(args, stderr)
    if encoding is None:
        return EXIT_ERROR
    started = time.perf_counter()
    # Evidence (shared passages, conflicting specifics) only where the output shows it.
    evidence = args.format in _EVIDENCE_FORMATS and not args.no_evidence
    opened = _open_batch(args, stdin, stderr, evidence=evidence)
    if opened is None:
        return EXIT_ERROR
    config, reader = opened
    bar = Progress(stderr) if not args.quiet and _isatty(stderr) else None
    try:
        # The batch is read while the workers normalize what came before, and stories
        # are written as they are assembled, their evidence computed meanwhile.
        deduplicator = Deduplicator(config, execution=_execution(args))
        with deduplicator.check_stream(reader, skipped=lambda: len(reader.skipped), progress=bar) as stream:
            if bar is not None:
                bar.clear()  # the messages below go to the same terminal
            _report_read(reader, len(stream.articles), args, stderr)
            if bar is not None and args.output is None and _isatty(stdout):
                bar.close()  # the report goes to the same terminal
            pieces = _render_check(args, config, stream.articles, stream, reader.skipped)
            write_report(pieces, args.output, stdout, encoding=encoding)
    finally:
        if bar is not None:
            bar.close()
    summary = stream.summary
    if not args.quiet and (args.format != "table" or args.output):
        elapsed = time.perf_counter() - started
        stderr.write(f"dedup: {summary_line(summary)} ({elapsed:.1f}s)\n")
    if summary.stories and not args.exit_zero:
        return EXIT_DUPLICATES
    return EXIT_CLEAN


# ---------------------------------------------------------------------------
# dedup index add | query | remove | info


def _add_index_parser(sub: Any, stderr: IO[str] | None) -> None:
    index = sub.add_parser(
        "index",
        help="a persistent index of published posts: add, query, remove, info",
        description="Keep published posts in an index (a file, or Redis shared by several workers) "
        "and check new posts against it. INDEX is a file path or a redis:// URL "
        "(redis://host:6379/0?index=NAME).",
        stderr=stderr,
    )
    actions = index.add_subparsers(dest="index_command", metavar="ACTION", parser_class=_Parser, required=True)

    def inputs(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--input-format",
            choices=("auto", "jsonl", "csv", "txt", "dir"),
            default="auto",
            help="input format (default: by extension)",
        )
        p.add_argument("--encoding", help="input encoding, e.g. gb18030 (default: detected per file)")
        p.add_argument("--follow-links", action="store_true", help="follow symbolic links out of directory inputs")
        p.add_argument("--skip-bad", action="store_true", help="skip unreadable records (listed on stderr)")
        p.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
        user_dict(p)

    def user_dict(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--user-dict",
            metavar="PATH",
            help="jieba user dictionary: sets up a new index; an index built with one needs the same file "
            "(it records its hash, never its path)",
        )

    add = actions.add_parser(
        "add",
        help="add posts to the index (a missing index file is created)",
        description="Add posts to the index. Options below set the config of a new index; "
        "for an existing one they must match the recorded config.",
        epilog=_limits_epilog(),
        stderr=stderr,
    )
    add.add_argument("index", metavar="INDEX", help="index file or redis:// URL")
    add.add_argument("files", nargs="+", metavar="FILE", help="JSONL, CSV, TXT files or directories; - for stdin")
    add.add_argument("--threshold", type=_threshold, help="pair score in [0, 1] for one story (new index)")
    add.add_argument(
        "--cross-account-only",
        action="store_true",
        default=None,
        help="only match other accounts (new index)",
    )
    add.add_argument("--min-length", type=_non_negative, help="shortest article compared, in characters (new index)")
    inputs(add)

    query = actions.add_parser(
        "query",
        help="find the indexed posts each post is the same story as",
        description="Check posts against the index (they are not added). Exit 1 when any matched.",
        epilog=_limits_epilog(),
        stderr=stderr,
    )
    query.add_argument("index", metavar="INDEX", help="index file or redis:// URL")
    query.add_argument("files", nargs="+", metavar="FILE", help="posts to check; - for stdin")
    query.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    query.add_argument(
        "-k",
        "--top",
        type=_non_negative,
        default=10,
        help="at most this many matches per post (default 10; 0: all)",
    )
    query.add_argument("--templates", action="store_true", help="also list template pairs (same wording, other event)")
    query.add_argument("--exit-zero", action="store_true", help="exit 0 even when posts matched")
    inputs(query)

    remove = actions.add_parser("remove", help="remove posts by id", stderr=stderr)
    remove.add_argument("index", metavar="INDEX", help="index file or redis:// URL")
    remove.add_argument("ids", nargs="+", metavar="ID", help="ids of indexed posts")
    remove.add_argument("--missing-ok", action="store_true", help="ignore ids that are not indexed")
    remove.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    user_dict(remove)

    info = actions.add_parser("info", help="show the size and config of the index", stderr=stderr)
    info.add_argument("index", metavar="INDEX", help="index file or redis:// URL")
    info.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    user_dict(info)


def _index_config_options(args: argparse.Namespace) -> dict[str, Any]:
    names = ("threshold", "cross_account_only", "min_length", "user_dict")
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def _check_index_options(index: Any, args: argparse.Namespace) -> None:
    """Options that set up a new index must match an existing one's recorded config."""
    given = {n: v for n, v in _index_config_options(args).items() if n != "user_dict"}
    conflicts = [
        f"--{n.replace('_', '-')} {v!r} (index has {getattr(index.config, n)!r})"
        for n, v in given.items()
        if getattr(index.config, n) != v
    ]
    if conflicts:
        shown = ", ".join(conflicts)
        msg = f"{index.location} was built with another config: {shown} (options only set up a new index)"
        raise ConfigError(msg)


def _open_index(args: argparse.Namespace, *, create: bool, edit: bool = False) -> Any:
    """The index of ``args.index``; with ``edit``, a context that saves a file under its lock."""
    from dedup.index import DedupIndex

    given = _index_config_options(args)
    config = DedupConfig(**given) if create and not DedupIndex.exists(args.index) else None
    opener = DedupIndex.editing if edit else DedupIndex.open
    return opener(args.index, config=config, create=create, user_dict=args.user_dict)


def _read_posts(args: argparse.Namespace, stdin: IO[bytes] | None, stderr: IO[str]) -> list[Any]:
    reader = ArticleReader(
        args.files,
        input_format=args.input_format,
        encoding=args.encoding,
        skip_bad=args.skip_bad,
        # The bound dedup check reads with: an index opened here has the default
        # max_length (it is not recorded), so over-long texts are skipped records.
        max_length=DedupConfig().max_length,
        follow_links=args.follow_links,
        stdin=stdin,
    )
    articles = list(reader)
    _report_not_read(reader, args, stderr)
    for record in reader.skipped:
        if not args.quiet:
            stderr.write(f"dedup: skipped {escape_controls(str(record))}\n")
    if reader.skipped:
        stderr.write(f"dedup: skipped {len(reader.skipped)} bad record(s); {len(articles)} read\n")
    return articles


def _not_yet_indexed(index: Any, articles: list[Any], stderr: IO[str], *, quiet: bool) -> list[Any]:
    """``--skip-bad``: posts whose id is already indexed are skipped records, not a failed add."""
    present = [a.id in index for a in articles]
    kept = [a for a, there in zip(articles, present, strict=True) if not there]
    for a, there in zip(articles, present, strict=True):
        if there and not quiet:
            where = escape_controls(f"{a.source}:{a.lineno}: " if a.source else "")
            stderr.write(f"dedup: skipped {where}field id: id {escape_controls(repr(a.id))} is already indexed\n")
    if len(kept) < len(articles):
        stderr.write(f"dedup: skipped {len(articles) - len(kept)} post(s) already in the index\n")
    return kept


def _index(args: argparse.Namespace, stdin: IO[bytes] | None, stdout: IO[str], stderr: IO[str]) -> int:
    try:
        return _index_action(args, stdin, stdout, stderr)
    except OSError as exc:
        stderr.write(f"dedup: error: {escape_controls(str(exc))}\n")
        return EXIT_ERROR


def _index_action(args: argparse.Namespace, stdin: IO[bytes] | None, stdout: IO[str], stderr: IO[str]) -> int:
    action = args.index_command
    if action == "add":
        articles = _read_posts(args, stdin, stderr)
        # Load, add and save under the file's lock: two adders take turns, none loses posts.
        with _open_index(args, create=True, edit=True) as index:
            _check_index_options(index, args)
            if args.skip_bad:
                articles = _not_yet_indexed(index, articles, stderr, quiet=args.quiet)
            added = index.add(articles)
            if not args.quiet:
                stderr.write(f"dedup: added {added} post(s); the index has {len(index)}\n")
        return EXIT_CLEAN
    if action == "remove":
        with _open_index(args, create=False, edit=True) as index:
            removed = index.remove(args.ids, missing_ok=args.missing_ok)
            if not args.quiet:
                stderr.write(f"dedup: removed {removed} post(s); the index has {len(index)}\n")
        return EXIT_CLEAN
    if action == "info":
        with _open_index(args, create=False) as index:
            info = index.info()
        _write(_render_index_info(info, args.format), None, stdout)
        return EXIT_CLEAN
    # query
    articles = _read_posts(args, stdin, stderr)
    with _open_index(args, create=False) as index:
        k = args.top or None
        results = [(a.id, index.query(a, k=k, evidence=False, templates=args.templates)) for a in articles]
    matched = sum(1 for _, ms in results if any(m.kind != "template" for m in ms))
    _write(_render_index_results(results, args.format), None, stdout)
    if not args.quiet and (args.format != "table" or not results):
        stderr.write(f"dedup: {matched} of {len(results)} post(s) matched indexed posts\n")
    if matched and not args.exit_zero:
        return EXIT_DUPLICATES
    return EXIT_CLEAN


def _render_index_results(results: list[tuple[str, list[Any]]], fmt: str) -> str:
    if fmt == "json":
        doc = {
            "results": [
                {"id": qid, "matches": [{"id": m.id, "score": round(m.score, 4), "kind": m.kind} for m in ms]}
                for qid, ms in results
            ]
        }
        return dumps(doc) + "\n"
    lines = []
    for qid, ms in results:
        if not ms:
            lines.append(f"{escape_controls(qid)}: no match")
            continue
        lines.append(f"{escape_controls(qid)}: {len(ms)} match{'es' if len(ms) != 1 else ''}")
        for m in ms:
            account = f"  {escape_controls(m.account)}" if m.account else ""
            lines.append(f"  {escape_controls(m.id)}  {m.score:.4f}  {m.kind}{account}")
    return "\n".join(lines) + ("\n" if lines else "")


def _render_index_info(info: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(info, ensure_ascii=False, indent=2) + "\n"
    config = info.get("config") or {}
    shown = ", ".join(f"{k}={v}" for k, v in config.items() if not isinstance(v, dict | list))
    lines = [
        f"location: {info['location']}",
        f"backend: {info['backend']}",
        f"format: {info['format']} version {info['format_version']} (dedup {info['dedup_version']})",
        f"posts: {info['posts']}",
        f"accounts: {info['accounts']}",
        f"config: {shown}",
    ]
    return "\n".join(escape_controls(line) for line in lines) + "\n"


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
        0 nothing found, 1 duplicates found, 2 an error (usage, input, output or
        internal), 130 interrupted.
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
        if args.command == "index":
            return _index(args, stdin, out, err)
        if args.command == "accounts":
            return _accounts(args, stdin, out, err)
        if args.command == "spark":
            from dedup.spark_cli import run as run_spark

            return run_spark(args, out, err)
        return _check(args, stdin, out, err)
    except DedupError as exc:
        err.write(f"dedup: error: {escape_controls(str(exc))}\n")
        return EXIT_ERROR
    except BrokenPipeError:  # standard error closed: nothing more can be said
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.write("dedup: interrupted\n")
        return EXIT_INTERRUPTED
    except MemoryError:
        err.write(
            "dedup: error: out of memory (use --spill-dir, split the batch, or use a DedupIndex and add it in parts)\n"
        )
        return EXIT_ERROR
    except OSError as exc:  # the system failed us (an I/O error, a resource limit)
        err.write(f"dedup: error: {_one_line(str(exc))}\n")
        return EXIT_ERROR
    except Exception as exc:
        # A bug: still one line and exit 2, never 1 (which means "duplicates found").
        err.write(f"dedup: internal error: {_describe(exc)}; please report this bug\n")
        return EXIT_ERROR


def _one_line(text: str) -> str:
    return escape_controls(" ".join(text.split()))


def _describe(exc: BaseException) -> str:
    """``Type: message (at file.py:123 in function)``, on one line."""
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    place = f" (at {os.path.basename(where[0].filename)}:{where[0].lineno} in {where[0].name})" if where else ""
    message = _one_line(str(exc))
    return f"{type(exc).__name__}: {message}{place}" if message else f"{type(exc).__name__}{place}"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
