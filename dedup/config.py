"""One frozen, validated configuration object for the whole pipeline.

Scales, fixed across the package:

* ``threshold`` is the pair score in [0, 1] above which two posts are one story
  (the single similarity knob the CLI exposes as ``--threshold``);
* ``lsh_threshold`` is a Jaccard similarity in [0, 1] used only to find candidates;
* everything else is a count (``num_perm``, ``ngram_size``, ``workers``, lengths in
  characters after normalization).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from dedup.exceptions import ConfigError

__all__ = ["ALGORITHM_VERSION", "DedupConfig", "NormalizeConfig", "Params", "record_differences"]

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


#: Bumped whenever feature extraction, signatures or verification change what they
#: compute for the same config: a persisted index records it and refuses another.
ALGORITHM_VERSION = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class Params:
    """Every algorithm constant besides the main options, in one place.

    The defaults are the tuned values; they rarely need changing. A persisted
    :class:`~dedup.DedupIndex` records all of them and refuses to answer with others.
    Shares are in [0, 1]; the others are counts.

    Parameters
    ----------
    lead_words : int
        Content words of a body's lead (and of each paragraph's lead) that make its
        lead signature: a truncated repost shares its whole lead with the original.
    min_paragraph_words : int
        Paragraphs shorter than this many words have no paragraph lead.
    max_paragraphs : int
        Paragraph leads kept per post at most.
    lead_perm : int
        MinHash permutations of lead and paragraph-lead signatures (leads are short,
        and compared at ``lead_threshold``: far fewer than ``num_perm`` suffice).
    sentence_bands : int
        MinHash values, one band each, of the set of a post's long sentences: two posts
        holding one such sentence word for word share a band with a probability that
        grows with the share of sentences they hold in common (an excerpt, a truncated
        copy with sentences dropped, whose lead and shingles say too little). ``0``
        turns the sentence bands off.
    sentence_band_words : int
        Content words a sentence needs to take part in the sentence bands (short ones,
        such as 点击关注, recur across unrelated posts).
    max_candidates : int
        Candidates kept per post and per LSH (the most similar first): a story posted on
        more accounts than this still forms one group through its members (400 edited
        copies among 2,000 notices formed one story at 8), and a batch of notices from
        one template stays linear. Copies share more bands than template siblings, so
        they come first; each place costs a verification on template-heavy days.
    max_bucket : int
        An LSH bucket with more members than this pairs each member with the next
        ``max_bucket`` members only (thousands of near-identical posts). A post keeps
        ``max_candidates`` partners in the end, so a window a little wider suffices
        (10,000 notices of one template: 9.5 s and 0.45 GiB at 8 and 12, 27 s and
        0.75 GiB at 40 and 50, with the same stories).
    min_contained_shingles : int
        Below this many shingles on the smaller side, containment is no evidence by
        itself (Jaccard is used instead).
    min_agreement : float
        Specifics agreement under this (with enough specifics to judge) marks a
        template pair.
    min_specifics : int
        Specifics needed on the smaller side before agreement is judged.
    sequence_zone : float
        Word-sequence similarity is computed when containment is at least this share
        of the threshold (and under it).
    agreement_zone : float
        Specifics agreement is computed when the score is at least this share of the
        threshold.
    contained_share : float
        Containment from which a pair whose smaller post is at most
        ``contained_size`` of the larger is of kind ``contained``.
    contained_size : float
        See ``contained_share``.
    near_jaccard : float
        Jaccard from which a (not contained) pair is of kind ``near``.
    support_factor : float
        Cross pairs scoring at least this share of the threshold support a group merge
        (a truncated copy and a copy with sentences dropped may share little, yet both
        match the original).
    min_support : float
        Share of cross pairs that must support a merge of two groups.
    max_cross_pairs : int
        Cross pairs examined per group merge at most.
    boilerplate_min_posts : int
        A sentence is boilerplate for an account when it appears in at least this many
        of the account's distinct posts ...
    boilerplate_min_share : float
        ... and in at least this share of them.
    boilerplate_min_kept : float
        Share of a post that must remain after stripping learned boilerplate (else the
        post is left whole: the account posted near copies of one article).
    min_sentence : int
        Sentences shorter than this many characters are never learned as boilerplate.
    chrome_min_posts : int
        Page chrome (:mod:`dedup.chrome`): a sentence recurring in at least this many
        distinct posts, as a small part of most of them, is chrome; 0 learns none.
    chrome_related : float
        Two posts holding a recurring sentence are one story's, not a page and its chrome,
        when they share at least this share of the smaller one's text that does not recur.
    max_slot_words : int
        The longest substitution (in words, each side) between shared wording that is
        read as a template slot whose event keys must agree; longer differing passages
        are rewrites (:func:`~dedup.keys.key_conflicts`).
    name_similarity : float
        Two names filling one slot are one name when their characters are at least this
        similar (RapidFuzz Indel, [0, 1]): segmentation variants, not another person.
    name_recurrence : int
        A word the dictionary tags as a name but that is not shaped like a Chinese one
        (a transliterated guest, 赛义德) conflicts with another name filling its slot
        only when the same substitution recurs this many times: a template's person
        slot is filled wherever the person is named, an editor's slip once.
    title_similarity : float
        The same for quoted titles (a word changed by an editor is the same title).
    min_title_words : int
        Content words the longer of two headlines needs for the headlines to set a pair
        apart (:func:`~dedup.verify.compare`): two short ones say too little, while a
        headline about something the body never says counts against a short one; a
        headline without content words never counts; 0 turns the test off.
    title_anchor : float
        Two posts whose headlines share under ``title_overlap`` of the shorter one's
        words, and neither of whose headlines has this share of its words in the other's
        body, share page furniture, not a story: a template pair however alike the
        bodies (a forum's sign-in block, a site's disclaimer, an advertiser's blurb).
    title_overlap : float
        See ``title_anchor``.
    story_window_days : float
        Posts of one story appear within this many days of each other; two posts (both
        times known) further apart are different events unless they are exact copies.
    dateline_window_days : float
        Reports of one event are filed within this many days of each other: two
        datelines (新华社北京3月5日电) in one slot further apart are another event's. Tighter
        than ``story_window_days``: a dateline is copied with the text, while a repost's
        publication time may lag.
    sentence_words : int
        Sentences of at least this many content words are compared one by one
        (:func:`~dedup.sentences.held_sentence_share`); shorter ones (a dateline, a
        byline) say nothing of whose text a post is.
    sentence_held : float
        A sentence is held by another post when one sentence of it has this share of
        its words.
    min_held_sentences : float
        A pair that matches on shingles is one text only when one of the posts has at
        least this share of its sentences held by the other. A follow-up that recaps
        an earlier report (the next day's reactions, the cremation after the death
        notice) shares a run of its words but few of its sentences: no match and no
        veto. Not asked of near copies (``near_jaccard``) or of a post mostly inside
        the other (``contained_share``); a post without a sentence this long is never a
        recap. 0 turns the test off.
    passage_cutoff : float
        RapidFuzz ``fuzz.ratio`` (0-100 scale) from which two sentences are one shared
        passage in the evidence.
    max_template_pairs : int
        Template pairs listed in a result at most (the summary counts them all).
    family_min_posts : int
        Posts linked by template pairs that make a template family (:mod:`dedup.families`).

    Examples
    --------
    >>> Params().min_agreement
    0.6
    >>> Params(min_agreement=2.0)
    Traceback (most recent call last):
    ...
    dedup.exceptions.ConfigError: params.min_agreement must be a number in [0.0, 1.0], got 2.0
    """

    lead_words: int = 40
    min_paragraph_words: int = 8
    max_paragraphs: int = 12
    lead_perm: int = 32
    sentence_bands: int = 16
    sentence_band_words: int = 12
    max_candidates: int = 8
    max_bucket: int = 12
    min_contained_shingles: int = 12
    min_agreement: float = 0.6
    min_specifics: int = 3
    sequence_zone: float = 0.8
    agreement_zone: float = 0.5
    contained_share: float = 0.8
    contained_size: float = 0.7
    near_jaccard: float = 0.8
    support_factor: float = 0.6
    min_support: float = 0.5
    max_cross_pairs: int = 400
    boilerplate_min_posts: int = 3
    boilerplate_min_share: float = 0.05
    boilerplate_min_kept: float = 0.5
    min_sentence: int = 4
    chrome_min_posts: int = 5
    chrome_related: float = 0.5
    max_slot_words: int = 6
    name_similarity: float = 0.5
    name_recurrence: int = 2
    title_similarity: float = 0.75
    min_title_words: int = 3
    title_anchor: float = 0.2
    title_overlap: float = 0.34
    story_window_days: float = 30.0
    dateline_window_days: float = 3.0
    sentence_words: int = 4
    sentence_held: float = 0.8
    min_held_sentences: float = 0.2
    passage_cutoff: float = 70.0
    max_template_pairs: int = 1000
    family_min_posts: int = 3

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "passage_cutoff":
                _check_range("params.passage_cutoff", value, 0.0, 100.0)
            elif f.name in ("story_window_days", "dateline_window_days"):
                _check_range(f"params.{f.name}", value, 0.0, 1e6)
            elif f.type == "float":
                _check_range(f"params.{f.name}", value, 0.0, 1.0)
            else:
                _check_int(
                    f"params.{f.name}",
                    value,
                    0 if f.name in ("min_specifics", "chrome_min_posts", "min_title_words", "sentence_bands") else 1,
                )
        _check_int("params.lead_perm", self.lead_perm, 4, 1024)


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
    params : Params
        Every other algorithm constant (rarely changed).

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
    params: Params = field(default_factory=Params)

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
        if not isinstance(self.params, Params):
            msg = f"params must be a Params, got {type(self.params).__name__}"
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

    def record(self) -> dict[str, Any]:
        """Everything an answer depends on, as JSON-ready values (what a saved index records).

        Options that change how a result is computed but not what it is (``backend``,
        ``cache_dir``, ``workers``, ``evidence``, ``max_length``) are left out; the user
        dictionary is recorded by the SHA-256 of its contents, not by its path.

        Raises
        ------
        ConfigError
            ``user_dict`` cannot be read.

        Examples
        --------
        >>> rec = DedupConfig(threshold=0.6).record()
        >>> rec["threshold"], rec["params"]["min_agreement"], rec["user_dict_sha256"]
        (0.6, 0.6, None)
        """
        from dedup.lsh import lsh_params  # datasketch's banding, imported when needed

        rec: dict[str, Any] = {"algorithm": ALGORITHM_VERSION}
        rec.update({name: getattr(self, name) for name in _RECORDED})
        rec["user_dict_sha256"] = _file_sha256(self.user_dict)
        rec["normalize"] = {f.name: _plain(getattr(self.normalize, f.name)) for f in fields(self.normalize)}
        rec["params"] = {f.name: getattr(self.params, f.name) for f in fields(self.params)}
        rec["lsh_bands"] = list(lsh_params(self.lsh_threshold, self.num_perm))
        rec["lead_bands"] = list(lsh_params(self.lead_threshold, self.params.lead_perm))
        return rec

    @classmethod
    def from_record(cls, record: Mapping[str, Any], *, base: DedupConfig | None = None) -> DedupConfig:
        """Rebuild the config a record describes (see :meth:`record`).

        A record is data read from a file or a server: it never names a file to open
        nor a pattern to run. The user dictionary and any ``extra_boilerplate``
        patterns therefore come from ``base``, and must be the ones recorded; the
        options a record leaves out come from ``base`` too (defaults without one).

        Raises
        ------
        ConfigError
            The record is not one this dedup writes, or it needs a user dictionary or
            boilerplate patterns that ``base`` does not give.

        Examples
        --------
        >>> DedupConfig.from_record(DedupConfig(threshold=0.6).record()).threshold
        0.6
        """
        if not isinstance(record, Mapping):
            msg = f"a config record must be an object, got {type(record).__name__}"
            raise ConfigError(msg)
        version = record.get("algorithm")
        if version != ALGORITHM_VERSION:
            msg = (
                f"recorded with algorithm version {version!r}; this dedup computes version {ALGORITHM_VERSION} "
                "(rebuild the index with this version)"
            )
            raise ConfigError(msg)
        try:
            options: dict[str, Any] = {name: record[name] for name in _RECORDED}
            norm = dict(record["normalize"])
            norm["extra_boilerplate"] = tuple(norm.get("extra_boilerplate", ()))
            params = Params(**record["params"])
            wanted_patterns = norm["extra_boilerplate"]
            norm["extra_boilerplate"] = ()
            normalize = NormalizeConfig(**norm)
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"not a config record of this dedup version ({type(exc).__name__}: {exc})"
            raise ConfigError(msg) from None
        given = base.normalize.extra_boilerplate if base is not None else ()
        if tuple(given) != wanted_patterns:
            msg = (
                "recorded with extra_boilerplate patterns that are not run from a record; "
                "pass a config with the same patterns"
            )
            raise ConfigError(msg)
        options["normalize"] = replace(normalize, extra_boilerplate=given)
        options["params"] = params
        options["user_dict"] = base.user_dict if base is not None else None
        if base is not None:  # options that do not change answers come from the caller
            for name in ("backend", "cache_dir", "workers", "evidence", "max_length"):
                options[name] = getattr(base, name)
        config = cls(**options)
        if _file_sha256(config.user_dict) != record.get("user_dict_sha256"):
            msg = (
                "recorded with a user dictionary of SHA-256 "
                f"{record.get('user_dict_sha256')!r}; pass that dictionary (--user-dict)"
                if record.get("user_dict_sha256")
                else "recorded without a user dictionary; pass none"
            )
            raise ConfigError(msg)
        return config


#: The main options a record holds (with ``normalize``, ``params`` and the dictionary hash).
_RECORDED = (
    "tokenizer",
    "seed",
    "scheme",
    "num_perm",
    "ngram_size",
    "threshold",
    "lsh_threshold",
    "lead_threshold",
    "min_length",
    "cross_account_only",
    "learn_boilerplate",
)


def record_differences(recorded: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """The options two config records disagree on, as ``"name: recorded X, requested Y"``.

    Examples
    --------
    >>> record_differences(DedupConfig().record(), DedupConfig(threshold=0.6).record())
    ['threshold: recorded 0.5, requested 0.6']
    """
    out = []
    for key in sorted(set(recorded) | set(wanted)):
        a, b = recorded.get(key), wanted.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += [f"{key}.{d}" for d in record_differences(a, b)]
        elif a != b:
            out.append(f"{key}: recorded {a!r}, requested {b!r}")
    return out


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _file_sha256(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as exc:
        msg = f"user_dict {path!r} cannot be read: {exc.strerror}"
        raise ConfigError(msg) from None
