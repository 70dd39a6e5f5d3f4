"""One frozen, validated configuration object for the whole pipeline.

Scales, fixed across the package:

* ``threshold`` is the pair score in [0, 1] above which two posts are one story
  (the single similarity knob the CLI exposes as ``--threshold``);
* ``lsh_threshold`` is a Jaccard similarity in [0, 1] used only to find candidates;
* everything else is a count (``num_perm``, ``ngram_size``, ``workers``, lengths in
  characters after normalization).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from dedup.exceptions import ConfigError

__all__ = ["DedupConfig", "NormalizeConfig"]

TokenizerName = Literal["jieba", "char"]
BackendName = Literal["auto", "jieba", "rjieba"]
SchemeName = Literal["affine32", "affine64"]


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        msg = f"{name} must be a number in [{low}, {high}], got {value!r}"
        raise ConfigError(msg)


def _check_int(name: str, value: int, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        msg = f"{name} must be an integer {bound}, got {value!r}"
        raise ConfigError(msg)


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        msg = f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}"
        raise ConfigError(msg)


@dataclass(frozen=True, slots=True, kw_only=True)
class NormalizeConfig:
    """How text is cleaned before it is compared.

    Parameters
    ----------
    html : bool
        Strip tags (dropping ``<script>``/``<style>`` content) and decode entities.
    nfkc : bool
        Unicode NFKC: full-width letters and digits become half-width.
    punctuation : bool
        Fold punctuation variants (half/full width, quote styles) to one form.
    boilerplate : bool
        Drop WeChat/account boilerplate lines (关注/二维码/编辑/审核/来源/END/往期推荐 ...).
    extra_boilerplate : tuple of str
        More regular expressions; a line that matches one entirely is dropped.
    traditional : bool
        Map traditional characters to simplified ones before comparing.
    numbers : bool
        Write dates given in Chinese numerals with digits (六月十二日 → 6月12日).

    Examples
    --------
    >>> NormalizeConfig(html=False).html
    False
    """

    html: bool = True
    nfkc: bool = True
    punctuation: bool = True
    boilerplate: bool = True
    extra_boilerplate: tuple[str, ...] = ()
    traditional: bool = True
    numbers: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.extra_boilerplate, str) or not isinstance(self.extra_boilerplate, tuple):
            msg = f"extra_boilerplate must be a tuple of regular expressions, got {self.extra_boilerplate!r}"
            raise ConfigError(msg)
        for pattern in self.extra_boilerplate:
            try:
                re.compile(pattern)
            except re.error as exc:
                msg = f"extra_boilerplate pattern {pattern!r} is not a valid regular expression: {exc}"
                raise ConfigError(msg) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupConfig:
    """Every option of the pipeline, validated once.

    Parameters
    ----------
    threshold : float
        Pair score in [0, 1] from which two posts count as one story. Lower finds more
        loosely rewritten copies at some risk of merging related stories.
    lsh_threshold : float
        Jaccard similarity in (0, 1) of word shingles used to pick candidate pairs.
        Low, because rewritten copies often share only ~0.3 of their shingles.
    lead_threshold : float
        Jaccard similarity in (0, 1) of the shingles of two posts' leads (first words)
        from which they are candidates too: a truncated copy shares its whole lead
        with the original but only a small share of the original's full text.
    num_perm : int
        MinHash permutations (signature length), 16..1024.
    ngram_size : int
        Words per shingle, 1..5.
    seed : int
        Seed of the MinHash permutations. Signatures depend only on
        ``(seed, num_perm, ngram_size, scheme, tokenizer)``: keep it the same on every
        worker and for every persisted index.
    scheme : {"affine32", "affine64"}
        datasketch's MinHash permutation scheme, pinned so signatures stay comparable.
    tokenizer : {"jieba", "char"}
        Words from jieba, or character bigrams (no dictionary).
    backend : {"auto", "jieba", "rjieba"}
        jieba implementation: ``rjieba`` (Rust, same output, ~10x faster) when
        installed under ``auto``.
    user_dict : str, optional
        Path of a jieba user dictionary (``word [freq] [tag]`` per line), e.g. local
        place and community names.
    cache_dir : str, optional
        Where pure-Python jieba may write its prefix-dictionary cache. ``None`` keeps
        it in memory only.
    min_length : int
        Articles shorter than this many characters after normalization are not
        compared (too little text to tell stories apart).
    max_length : int
        Largest accepted article, in characters of raw text; longer ones are an input
        error.
    cross_account_only : bool
        Only report pairs whose posts come from different accounts.
    workers : int
        Processes for tokenizing and signatures; results do not depend on it.
    evidence : bool
        Attach shared passages and conflicting specifics to every reported pair.
    learn_boilerplate : bool
        Ignore lines that recur across many posts of one account (headers, footers).
    normalize : NormalizeConfig
        Text cleaning options.

    Examples
    --------
    >>> DedupConfig(threshold=0.6).threshold
    0.6
    >>> DedupConfig(threshold=2)
    Traceback (most recent call last):
    ...
    dedup.exceptions.ConfigError: threshold must be a number in [0.0, 1.0], got 2
    """

    threshold: float = 0.5
    lsh_threshold: float = 0.3
    lead_threshold: float = 0.5
    num_perm: int = 128
    ngram_size: int = 2
    seed: int = 1
    scheme: SchemeName = "affine32"
    tokenizer: TokenizerName = "jieba"
    backend: BackendName = "auto"
    user_dict: str | None = None
    cache_dir: str | None = None
    min_length: int = 20
    max_length: int = 1_000_000
    cross_account_only: bool = False
    workers: int = 1
    evidence: bool = True
    learn_boilerplate: bool = True
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)

    def __post_init__(self) -> None:
        _check_range("threshold", self.threshold, 0.0, 1.0)
        _check_range("lsh_threshold", self.lsh_threshold, 0.01, 0.99)
        _check_range("lead_threshold", self.lead_threshold, 0.01, 0.99)
        _check_int("num_perm", self.num_perm, 16, 1024)
        _check_int("ngram_size", self.ngram_size, 1, 5)
        _check_int("seed", self.seed, 0, 2**32 - 1)
        _check_choice("scheme", self.scheme, ("affine32", "affine64"))
        _check_choice("tokenizer", self.tokenizer, ("jieba", "char"))
        _check_choice("backend", self.backend, ("auto", "jieba", "rjieba"))
        _check_int("min_length", self.min_length, 0)
        _check_int("max_length", self.max_length, 1)
        _check_int("workers", self.workers, 1, 256)
        if not isinstance(self.normalize, NormalizeConfig):
            msg = f"normalize must be a NormalizeConfig, got {type(self.normalize).__name__}"
            raise ConfigError(msg)
        for name in ("user_dict", "cache_dir"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                msg = f"{name} must be a path string or None, got {value!r}"
                raise ConfigError(msg)

    def replace(self, **changes: Any) -> DedupConfig:
        """Return a copy with some options changed (validated again).

        Examples
        --------
        >>> DedupConfig().replace(workers=2).workers
        2
        """
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            msg = f"unknown DedupConfig option(s): {', '.join(sorted(unknown))}"
            raise ConfigError(msg)
        return replace(self, **changes)

    def signature_key(self) -> dict[str, Any]:
        """The options a MinHash signature depends on (recorded in persisted indexes)."""
        return {
            "num_perm": self.num_perm,
            "ngram_size": self.ngram_size,
            "seed": self.seed,
            "scheme": self.scheme,
            "tokenizer": self.tokenizer,
        }
