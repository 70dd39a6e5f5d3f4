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
from dedup.boilerplate import AccountBoilerplate
from dedup.cluster import UnionFind, cluster_pairs, connected_components
from dedup.config import DedupConfig, NormalizeConfig
from dedup.exceptions import (
    ConfigError,
    DedupError,
    DuplicateIdError,
    IndexConnectionError,
    IndexFileError,
    InputError,
    UnknownIdError,
)
from dedup.features import FeatureExtractor, Features
from dedup.html import render_html
from dedup.index import LSHIndex, candidate_pairs
from dedup.io import ArticleReader, SkippedRecord, read_articles
from dedup.models import Article, DedupResult, Evidence, MatchKind, PairMatch, Post, Story, Summary
from dedup.normalize import NormalizedText, normalize_text, normalize_with_offsets
from dedup.pipeline import Deduplicator, find_duplicates
from dedup.report import render, render_accounts
from dedup.signature import minhash_signatures, shingle_hashes, shingle_hashes_many
from dedup.specifics import extract_specifics
from dedup.store import DedupIndex, IndexMatch
from dedup.tokenizer import CharNgramTokenizer, JiebaTokenizer, Tokenizer
from dedup.verify import Verdict, compare

try:
    __version__ = _metadata.version("dedup")
except _metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "AccountBoilerplate",
    "AccountPair",
    "AccountStats",
    "Article",
    "ArticleReader",
    "CharNgramTokenizer",
    "ConfigError",
    "DedupConfig",
    "DedupError",
    "DedupIndex",
    "DedupResult",
    "Deduplicator",
    "DuplicateIdError",
    "Evidence",
    "FeatureExtractor",
    "Features",
    "IndexConnectionError",
    "IndexFileError",
    "IndexMatch",
    "InputError",
    "JiebaTokenizer",
    "LSHIndex",
    "MatchKind",
    "NormalizeConfig",
    "NormalizedText",
    "PairMatch",
    "Post",
    "SkippedRecord",
    "Story",
    "Summary",
    "Tokenizer",
    "UnionFind",
    "UnknownIdError",
    "Verdict",
    "__version__",
    "account_pairs",
    "account_stats",
    "candidate_pairs",
    "cluster_pairs",
    "compare",
    "connected_components",
    "extract_specifics",
    "find_duplicates",
    "minhash_signatures",
    "normalize_text",
    "normalize_with_offsets",
    "read_articles",
    "render",
    "render_accounts",
    "render_html",
    "shingle_hashes",
    "shingle_hashes_many",
]
