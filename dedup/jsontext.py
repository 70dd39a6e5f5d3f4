"""JSON text of a report: one definition of how every JSON output is written.

Reports are compact JSON (``,`` and ``:`` without spaces) with non-ASCII characters
kept as they are (``ensure_ascii=False``). orjson writes them several times faster
than :mod:`json` (a 100K-post JSON report spent seconds in the encoder). It refuses
what strict UTF-8 cannot hold: a lone surrogate, which the readers refuse but an
:class:`~dedup.Article` built by a caller may carry, and which the output encoder
writes as U+FFFD. Such a value (or anything else orjson refuses, an integer past 64
bits) is written by :mod:`json` instead, with the same separators.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps"]


def dumps(value: Any) -> str:
    """Compact JSON text of ``value``, non-ASCII characters kept.

    Parameters
    ----------
    value
        Dicts with string keys, lists, tuples, strings, numbers, booleans and ``None``.

    Returns
    -------
    str

    Examples
    --------
    >>> dumps({"id": "社区-1", "score": 0.8125, "ids": ("a", "b"), "days_apart": None})
    '{"id":"社区-1","score":0.8125,"ids":["a","b"],"days_apart":null}'
    >>> dumps({"id": "\\ud800"}) == '{"id":"\\ud800"}'  # a lone surrogate: written by json
    True
    """
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
