"""dedup: find one story, many posts.

The same event written up several times, a little differently, and posted on many
accounts. MinHash/LSH over jieba word shingles finds candidate pairs; RapidFuzz and
event specifics (numbers, dates, names, places) verify them; groups become stories.

Examples
--------
>>> from dedup import Article, DedupConfig, Deduplicator
>>> result = Deduplicator(DedupConfig()).check([Article(id="1", text="只有一篇。")])
>>> result.summary.stories
0
"""

from __future__ import annotations

import importlib.metadata as _metadata

from dedup.accounts import AccountPair, AccountStats, account_pairs, account_stats
from dedup.config import DedupConfig, NormalizeConfig, Params
from dedup.exceptions import (
    ConfigError,
    DedupError,
    DuplicateIdError,
    IndexConnectionError,
    IndexFileError,
    InputError,
    UnknownIdError,
)
from dedup.index import DedupIndex
from dedup.io import read_articles
from dedup.models import (
    Article,
    DedupResult,
    Evidence,
    IndexMatch,
    MatchKind,
    PairMatch,
    Post,
    Story,
    Summary,
    TemplateFamily,
)
from dedup.pipeline import Deduplicator, StoryStream, find_duplicates
from dedup.report import render

try:
    __version__ = _metadata.version("dedup")
except _metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "AccountPair",
    "AccountStats",
    "Article",
    "ConfigError",
    "DedupConfig",
    "DedupError",
    "DedupIndex",
    "DedupResult",
    "Deduplicator",
    "DuplicateIdError",
    "Evidence",
    "IndexConnectionError",
    "IndexFileError",
    "IndexMatch",
    "InputError",
    "MatchKind",
    "NormalizeConfig",
    "PairMatch",
    "Params",
    "Post",
    "Story",
    "StoryStream",
    "Summary",
    "TemplateFamily",
    "UnknownIdError",
    "__version__",
    "account_pairs",
    "account_stats",
    "find_duplicates",
    "read_articles",
    "render",
]
