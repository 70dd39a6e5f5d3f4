"""``dedup spark check INPUT... -o OUTDIR``: the Spark job from the command line.

Registered by :mod:`dedup.cli` (:func:`add_parser`, :func:`run`); pyspark is imported
only when the command runs. The options of the algorithm are those of ``dedup check``;
the output is a directory any Spark filesystem holds (``posts/``, ``pairs/``,
``template_pairs/``, ``families/`` as Spark part files, and ``summary.json``). Exit status as ``dedup
check``: 0 no story with several posts, 1 stories found (0 with ``--exit-zero``), 2 an
error.

Under ``spark-submit`` the same command runs from :mod:`dedup.spark_main`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from dedup.config import DedupConfig
from dedup.exceptions import DedupError, InputError, OutputError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["add_parser", "read_input", "run", "write_result"]

_FORMATS = (
    (".jsonl", "jsonl"),
    (".json", "jsonl"),
    (".ndjson", "jsonl"),
    (".csv", "csv"),
    (".parquet", "parquet"),
    (".pq", "parquet"),
)


class SparkJobError(DedupError, RuntimeError):
    """Spark could not run the job (an unreachable master, an unreadable path, a failed task)."""


def add_parser(sub: Any, stderr: IO[str] | None) -> None:
    """Add ``spark check`` to the ``dedup`` subcommands."""
    from dedup.cli import _non_negative, _Parser, _threshold

    spark = sub.add_parser(
        "spark",
        help="the same check on Apache Spark, for batches larger than one machine",
        description="Run dedup on Apache Spark (pip install 'dedup[spark]'; Java 17+).",
        stderr=stderr,
    )
    actions = spark.add_subparsers(dest="spark_command", metavar="ACTION", parser_class=_Parser, required=True)
    check = actions.add_parser(
        "check",
        help="group posts into stories on Spark; write posts, pairs, template pairs, families and a summary to OUTDIR",
        description="Group posts into stories on Spark, with the algorithm of 'dedup check' (the same stories, "
        "pair kinds and scores). Writes OUTDIR/posts/, OUTDIR/pairs/, OUTDIR/template_pairs/, OUTDIR/families/ "
        "(Spark part files) "
        "and OUTDIR/summary.json. Without --master it runs in this process on local[*]; under spark-submit the "
        "master is spark-submit's.",
        epilog="Exit status: 0 no story with several posts, 1 stories found (0 with --exit-zero), 2 an error.",
        stderr=stderr,
    )
    add = check.add_argument
    add(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="JSONL (.jsonl, .jsonl.gz), CSV or Parquet files or directories, "
        "on any filesystem Spark reads (hdfs://, s3a://, file://)",
    )
    add("-o", "--output", required=True, metavar="OUTDIR", help="output directory (must not exist, or be empty)")
    add(
        "--overwrite",
        action="store_true",
        help="replace OUTDIR when it exists and is not empty (its whole "
        "contents are deleted once the job has succeeded)",
    )
    add(
        "--master",
        metavar="URL",
        help="Spark master: local[N], spark://host:7077, yarn (default: spark-submit's, else local[*])",
    )
    add("--format", choices=("parquet", "jsonl"), default="parquet", help="output format (default: parquet)")
    add(
        "--input-format",
        choices=("auto", "jsonl", "csv", "parquet"),
        default="auto",
        help="input format (default: by extension; needed for directories)",
    )
    add("--encoding", help="CSV input encoding, e.g. gb18030 (default: UTF-8)")
    add(
        "--threshold",
        type=_threshold,
        default=DedupConfig().threshold,
        help="similarity in [0, 1] from which two posts are one story (default: %(default)s)",
    )
    add("--cross-account-only", action="store_true", help="only count pairs posted by different accounts")
    add(
        "--min-length",
        type=_non_negative,
        default=DedupConfig().min_length,
        help="skip articles shorter than this many characters after cleaning (default: %(default)s)",
    )
    add(
        "--user-dict",
        metavar="PATH",
        help="jieba user dictionary of local names; on a cluster a path every "
        "executor can open (ship it with spark-submit --files and give its file name)",
    )
    add("--skip-bad", action="store_true", help="skip (and count) records that fail validation")
    add("--no-evidence", action="store_true", help="leave the evidence columns empty (faster)")
    add(
        "--max-component",
        type=_non_negative,
        default=None,
        metavar="N",
        help="cluster components of more than N linked posts in sub-batches (default: 20000)",
    )
    add("--exit-zero", action="store_true", help="exit 0 even when duplicates are found")
    add("-q", "--quiet", action="store_true", help="no progress or summary on stderr")


def _input_format(paths: Sequence[str], given: str) -> str:
    if given != "auto":
        return given
    found = set()
    for path in paths:
        name = path.rstrip("/").lower()
        for suffix in (".gz", ".bz2", ".zst", ".snappy"):
            name = name.removesuffix(suffix)
        fmt = next((f for ext, f in _FORMATS if name.endswith(ext)), None)
        if fmt is None:
            msg = f"cannot tell the format of {path!r} from its name: give --input-format jsonl, csv or parquet"
            raise InputError(msg)
        found.add(fmt)
    if len(found) > 1:
        msg = f"inputs of several formats ({', '.join(sorted(found))}): run them separately or convert them"
        raise InputError(msg)
    return found.pop()


def read_input(
    spark: SparkSession, paths: Sequence[str], input_format: str = "auto", encoding: str | None = None
) -> DataFrame:
    """The posts of ``paths`` as a DataFrame :func:`dedup.spark.check` reads.

    JSONL lines Spark cannot parse come as ``_corrupt_record`` (bad records); CSV has a
    header row and may have quoted cells spanning lines (every value a string).
    """
    fmt = _input_format(paths, input_format)
    reader = spark.read
    if fmt == "jsonl":
        return reader.json(list(paths), mode="PERMISSIVE", columnNameOfCorruptRecord="_corrupt_record")
    if fmt == "csv":
        return reader.csv(list(paths), header=True, multiLine=True, escape='"', encoding=encoding or "UTF-8")
    return reader.parquet(*paths)


def _filesystem(spark: SparkSession, path: str) -> tuple[Any, Any]:
    """The Hadoop filesystem and path object of ``path`` (any scheme Spark is configured for)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    return hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hpath


def _check_output(spark: SparkSession, outdir: str, overwrite: bool) -> None:
    fs, hpath = _filesystem(spark, outdir)
    if fs.exists(hpath):
        if not fs.getFileStatus(hpath).isDirectory():
            msg = f"{outdir} exists and is not a directory"
            raise OutputError(msg)
        if len(fs.listStatus(hpath)) and not overwrite:
            msg = f"{outdir} is not empty (pass --overwrite to replace it)"
            raise OutputError(msg)


def write_result(result: Any, outdir: str, *, output_format: str = "parquet", overwrite: bool = False) -> None:
    """Write a :class:`~dedup.spark.SparkResult` to ``outdir``: four part-file directories and ``summary.json``."""
    spark = result.posts.sparkSession
    fs, hpath = _filesystem(spark, outdir)
    if overwrite and fs.exists(hpath):
        fs.delete(hpath, True)
    base = outdir.rstrip("/")
    frames = (
        ("posts", result.posts),
        ("pairs", result.pairs),
        ("template_pairs", result.template_pairs),
        ("families", result.families),
    )
    for name, frame in frames:
        writer = frame.write.mode("errorifexists")
        path = f"{base}/{name}"
        if output_format == "jsonl":
            writer.json(path)
        else:
            writer.parquet(path)
    summary_fs, summary_path = _filesystem(spark, f"{base}/summary.json")
    stream = summary_fs.create(summary_path, True)
    try:
        stream.write(bytearray((json.dumps(result.summary(), ensure_ascii=False, indent=2) + "\n").encode()))
    finally:
        stream.close()


def run(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    """Run ``dedup spark check`` with parsed arguments; return the exit status."""
    del stdout  # the results go to OUTDIR
    local = _local_path(args.output)
    if local is not None and os.path.isdir(local) and os.listdir(local) and not args.overwrite:
        msg = f"{args.output} is not empty (pass --overwrite to replace it)"
        raise OutputError(msg)  # before Spark starts: no JVM for a run that cannot write
    try:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException
        from pyspark.sql import SparkSession
    except ImportError:
        stderr.write("dedup: error: dedup spark needs pyspark: pip install 'dedup[spark]' (and Java 17 or newer)\n")
        return 2
    from dedup.spark import MAX_COMPONENT, check

    started = time.perf_counter()
    config = DedupConfig(
        threshold=args.threshold,
        cross_account_only=args.cross_account_only,
        min_length=args.min_length,
        user_dict=args.user_dict,
        evidence=not args.no_evidence,
    )
    if args.user_dict and not os.path.exists(args.user_dict):
        stderr.write(f"dedup: warning: {args.user_dict} is not a file here; executors must be able to open it\n")
    builder = SparkSession.builder.appName("dedup spark check")
    if args.master:
        builder = builder.master(args.master)
    if args.quiet:
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start or the master is unreachable
        msg = f"Spark did not start: {_first_line(exc)}"
        raise SparkJobError(msg) from None
    spark.sparkContext.setLogLevel("ERROR")
    try:
        _check_output(spark, args.output, args.overwrite)
        spark.sparkContext.setLocalProperty("spark.job.description", "dedup: read")
        df = read_input(spark, args.inputs, args.input_format, args.encoding)
        max_component = args.max_component if args.max_component else MAX_COMPONENT
        result = check(df, config, skip_bad=args.skip_bad, max_component=max_component)
        spark.sparkContext.setLocalProperty("spark.job.description", "dedup: write")
        write_result(result, args.output, output_format=args.format, overwrite=args.overwrite)
    except (PySparkException, Py4JError) as exc:
        msg = f"Spark: {_first_line(exc)}"
        raise SparkJobError(msg) from None
    summary = result.summary()
    if not args.quiet:
        if result.split_components:
            stderr.write(
                f"dedup: {result.split_components} component(s) over {max_component} posts clustered in sub-batches\n"
            )
        stderr.write(
            f"dedup: {summary['articles']:,} articles, {summary['stories']:,} stories with several posts "
            f"({summary['copies']:,} copies), {summary['template_pairs']:,} template pairs, "
            f"{summary['skipped']:,} skipped; written to {args.output} ({time.perf_counter() - started:.1f}s)\n"
        )
    if summary["stories"] and not args.exit_zero:
        return 1
    return 0


def _local_path(path: str) -> str | None:
    """The local path of ``path`` when it names one (no scheme, or ``file:``), else None."""
    if path.startswith("file:"):
        return path.removeprefix("file:").removeprefix("//") or "/"
    return None if "://" in path else path


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split("\n")[0].split()) or type(exc).__name__
    return text[:500]
