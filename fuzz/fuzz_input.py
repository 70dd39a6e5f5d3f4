"""Coverage-guided fuzzing of the readers and the normalizer with atheris (not run by pytest).

The same contracts as ``tests/test_fuzz.py``, for long unattended runs::

    python -m pip install atheris
    python fuzz/fuzz_input.py -max_total_time=600 fuzz/corpus

Contracts: a reader yields articles or raises ``InputError`` (never another exception)
and never raises under ``skip_bad``; the normalizer never raises and
``normalize_with_offsets`` gives the same text as ``normalize_text`` with valid,
monotone offsets. A violation raises, and atheris saves the input that caused it.
"""

from __future__ import annotations

import io
import sys

import atheris

with atheris.instrument_imports():
    from dedup import InputError
    from dedup.io import ArticleReader
    from dedup.normalize import normalize_text, normalize_with_offsets

_FORMATS = ("auto", "jsonl", "csv", "txt")
_ENCODINGS = (None, "gb18030", "big5", "utf-16")


def test_one_input(data: bytes) -> None:
    """Check one fuzzer-made input against the reader and normalizer contracts."""
    fdp = atheris.FuzzedDataProvider(data)
    input_format = _FORMATS[fdp.ConsumeIntInRange(0, len(_FORMATS) - 1)]
    encoding = _ENCODINGS[fdp.ConsumeIntInRange(0, len(_ENCODINGS) - 1)]
    skip_bad = fdp.ConsumeBool()
    payload = fdp.ConsumeBytes(fdp.remaining_bytes())
    reader = ArticleReader(
        "-",
        stdin=io.BytesIO(payload),
        input_format=input_format,  # type: ignore[arg-type]
        encoding=encoding,
        skip_bad=skip_bad,
        max_length=1000,
    )
    try:
        for article in reader:
            article.id.encode("utf-8")
    except InputError:
        if skip_bad:
            raise
    text = payload.decode("utf-8", errors="surrogateescape")
    fast = normalize_text(text)
    tracked = normalize_with_offsets(text)
    if tracked.text != fast or list(tracked.offsets) != sorted(tracked.offsets):
        msg = f"normalize_with_offsets disagrees with normalize_text on {text!r}"
        raise AssertionError(msg)
    if any(not 0 <= o < len(text) for o in tracked.offsets):
        msg = f"offset out of range for {text!r}"
        raise AssertionError(msg)


def main() -> None:
    """Run atheris with the command-line arguments (libFuzzer options, corpus dirs)."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
