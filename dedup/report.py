"""Rendering a :class:`~dedup.models.DedupResult`: table, JSON, JSON lines, CSV, HTML.

``table`` is for people (columns aligned for Chinese double-width characters);
``json`` is one object ``{"stories": [...], "template_pairs": [...], "families": [...], "summary": {...}}``
(plus ``"skipped": [...]``, the records the reader left out, when they are given);
``jsonl`` is one story per line; ``csv`` is one row per post with its story number;
``html`` is the self-contained page of :mod:`dedup.report_html` (it needs the articles).
JSON is compact, non-ASCII kept (:func:`~dedup.jsontext.dumps`). :func:`render_accounts` renders the
per-account figures of :mod:`dedup.accounts`; :func:`encode_output` turns a rendered
document into bytes (CSV gets a BOM by default so Excel reads Chinese correctly).

:func:`iter_render` gives the same document in pieces, a story at a time, from a
:class:`~dedup.DedupResult` or from a :class:`~dedup.StoryStream` (whose stories, and
their evidence, are then made only as they are written).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

from dedup.accounts import AccountPair, AccountStats
from dedup.config import NormalizeConfig
from dedup.evidence import in_specific_order
from dedup.jsontext import dumps
from dedup.models import Article, DedupResult, PairMatch, Story, Summary, TemplateFamily

if TYPE_CHECKING:
    from dedup.extraction import Execution
    from dedup.story_stream import StoryStream

__all__ = [
    "OUTPUT_ENCODINGS",
    "OutputEncoding",
    "OutputFormat",
    "csv_cell",
    "default_output_encoding",
    "display_width",
    "encode_output",
    "escape_controls",
    "iter_render",
    "render",
    "render_accounts",
    "summary_line",
]

OutputFormat = Literal["table", "json", "jsonl", "csv", "html"]
#: What a report shows: the stories, or the accounts' copy figures (``dedup accounts``).
View = Literal["stories", "accounts", "account_pairs"]
FORMATS: tuple[str, ...] = ("table", "json", "jsonl", "csv", "html")

#: How a report is written out. ``utf-8-sig`` is UTF-8 with a byte order mark: Excel
#: needs the BOM to read a UTF-8 CSV as UTF-8 (without it, it guesses the ANSI code
#: page and Chinese turns into mojibake). ``gb18030`` is what Excel in China reads
#: natively, and it encodes every Unicode character, so nothing is lost.
OutputEncoding = Literal["utf-8-sig", "utf-8", "gb18030"]
OUTPUT_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "utf-8", "gb18030")

_TEMPLATE_ROWS = 10

CSV_COLUMNS = ("story", "id", "account", "published_at", "title", "original", "score", "kind")


@lru_cache(maxsize=1)
def _width_classes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Patterns of double-width and zero-width characters, built once on first use."""
    wide: list[str] = []
    zero: list[str] = []
    # The BMP character by character; beyond it, the wide blocks (CJK extensions,
    # emoji) by range, which is what east_asian_width says of them.
    for cp in [*range(0xD800), *range(0xE000, 0x10000), *range(0x1F300, 0x1FAFF), *range(0x20000, 0x20010)]:
        ch = chr(cp)
        if unicodedata.combining(ch):
            zero.append(ch)
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            wide.append(ch)
    extensions = f"{chr(0x20000)}-{chr(0x3FFFD)}"
    return re.compile(f"[{_ranges(wide)}{extensions}]"), re.compile(f"[{_ranges(zero)}]")


def _ranges(chars: list[str]) -> str:
    parts: list[str] = []
    start = prev = ord(chars[0])
    for ch in [*chars[1:], chr(0x10FFFF)]:
        cp = ord(ch)
        if cp != prev + 1:
            parts.append(re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
            start = cp
        prev = cp
    return "".join(parts)


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: CJK and full-width characters count twice.

    Examples
    --------
    >>> display_width("abc"), display_width("社区"), display_width("A社")
    (3, 4, 3)
    """
    if text.isascii():
        return len(text)
    wide, zero = _width_classes()
    return len(text) + len(wide.findall(text)) - len(zero.findall(text))


# What a terminal would act on instead of showing: C0 and C1 controls (ESC starts
# colour, cursor and title sequences; 0x9B is an 8-bit CSI), DEL, and the bidi
# overrides and isolates that show text in another order than it is stored.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    r"""Show control characters as escapes (``\x1b``, ``\u202e``), so text is safe on a terminal.

    Examples
    --------
    >>> print(escape_controls("\x1b[31m红\x1b[0m"))
    \x1b[31m红\x1b[0m
    """
    return _CONTROLS.sub(_escape, text)


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _line(text: str) -> str:
    """Text for one line of a table: whitespace runs as one space, controls escaped."""
    return escape_controls(" ".join(text.split()))


def _clip(text: str, width: int, measure: Callable[[str], int] = display_width) -> str:
    text = _line(text)
    if measure(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = measure(ch)  # the table's cached measure: a report clips a headline per post
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _pad(text: str, width: int, measure: Callable[[str], int] = display_width) -> str:
    return text + " " * max(0, width - measure(text))


def _fit(cell: str, cell_width: int, width: int, measure: Callable[[str], int]) -> str:
    """A table cell (one line already, of ``cell_width`` columns) clipped or padded to ``width``."""
    if cell_width <= width:
        return cell + " " * (width - cell_width)
    return _pad(_clip(cell, width, measure), width, measure)


def summary_line(summary: Summary) -> str:
    """One line of batch figures.

    Examples
    --------
    >>> summary_line(Summary(articles=10, stories=2, copies=3, cross_account_stories=1))
    '10 articles: 2 stories with several posts, 3 posts are copies, 1 story spans several accounts'
    """
    stories = "story" if summary.stories == 1 else "stories"
    spans = "story spans" if summary.cross_account_stories == 1 else "stories span"
    parts = [
        f"{summary.articles} articles: {summary.stories} {stories} with several posts",
        f"{summary.copies} posts are copies",
        f"{summary.cross_account_stories} {spans} several accounts",
    ]
    if summary.template_pairs:
        families = "family" if summary.template_families == 1 else "families"
        detail = f" ({summary.template_families} template {families})" if summary.template_families else ""
        parts.append(f"{summary.template_pairs} template pairs kept apart{detail}")
    if summary.too_short:
        parts.append(f"{summary.too_short} too short to compare")
    if summary.skipped:
        parts.append(f"{summary.skipped} records skipped")
    return ", ".join(parts)


def _best_links(story: Story) -> dict[str, PairMatch]:
    """For each post, its strongest pair with an earlier post of the story."""
    position = {pid: k for k, pid in enumerate(story.ids)}
    best: dict[str, PairMatch] = {}
    for pair in story.pairs:
        later = pair.a if position[pair.a] > position[pair.b] else pair.b
        if later not in best or pair.score > best[later].score:
            best[later] = pair
    return best


def _table(source: ReportSource) -> Iterator[str]:
    # Accounts, kinds and dates repeat on every story: measure each distinct cell once.
    measure = lru_cache(maxsize=1 << 16)(display_width)
    for n, story in enumerate(source.skeletons(), 1):
        lines = [
            f"Story {n}: {len(story.ids)} posts, {len(story.accounts)} account"
            f"{'s' if len(story.accounts) != 1 else ''}, original {_line(story.original)}"
        ]
        best = _best_links(story)
        rows = [("id", "account", "published", "score", "kind", "title")]
        for post in story.posts:
            link = best.get(post.id)
            when = post.published_at.isoformat(sep=" ", timespec="minutes")[:16] if post.published_at else "-"
            if post.id == story.original:
                score, kind = "-", "original"
            elif link is not None:
                score, kind = f"{link.score:.2f}", link.kind
            else:
                score, kind = "-", "-"
            head = (_line(post.id), _line(post.account) or "-", when, score, kind)
            rows.append((*head, _clip(post.title or "-", 40, measure)))
        # Each cell measured once (a million-post report has ten million cells).
        sized = [[(cell, len(cell) if cell.isascii() else measure(cell)) for cell in r[:5]] for r in rows]
        widths = [min(max(row[c][1] for row in sized), 30) for c in range(5)]
        for r, row in zip(rows, sized, strict=True):
            cells = [_fit(cell, w, widths[c], measure) for c, (cell, w) in enumerate(row)]
            lines.append("  " + "  ".join([*cells, r[5]]).rstrip())
        yield "".join(line + "\n" for line in lines) + "\n"
    families = source.families()
    if families:
        yield _families_table(families)
    templates = source.template_pairs()
    if templates:
        shown = templates[:_TEMPLATE_ROWS]
        lines = [f"Template pairs (same wording, different specifics; not merged): {len(templates)}"]
        for pair in shown:
            detail = ""
            reason = pair.evidence.reason if pair.evidence is not None else None
            if reason:
                detail = "  " + _line(reason)
            lines.append(f"  {_line(pair.a)} ~ {_line(pair.b)}  {pair.score:.2f}{detail}")
        if len(templates) > len(shown):
            lines.append(f"  ... and {len(templates) - len(shown)} more (see --format json)")
        yield "".join(line + "\n" for line in lines) + "\n"
    yield summary_line(source.summary) + "\n"


def _families_table(families: Sequence[TemplateFamily]) -> str:
    """The families, largest first: size, accounts, dates, the template's title, its strongest pair."""
    lines = [f"Template families (one template filled in for different events; not merged): {len(families)}"]
    for family in families[:_TEMPLATE_ROWS]:
        accounts = len(family.accounts)
        dates = ""
        if family.first is not None and family.last is not None:
            first, last = family.first.date().isoformat(), family.last.date().isoformat()
            dates = f", {first}" if first == last else f", {first} to {last}"
        title = _clip(family.title or family.example, 40)
        lines.append(f"  {len(family.ids)} posts, {accounts} account{'s' if accounts != 1 else ''}{dates}: {title}")
        if family.pairs:
            pair = family.pairs[0]
            reason = pair.evidence.reason if pair.evidence is not None else None
            detail = "  " + _line(reason) if reason else ""
            lines.append(f"    e.g. {_line(pair.a)} ~ {_line(pair.b)}  {pair.score:.2f}{detail}")
    if len(families) > _TEMPLATE_ROWS:
        lines.append(f"  ... and {len(families) - _TEMPLATE_ROWS} more (see --format json)")
    return "".join(line + "\n" for line in lines) + "\n"


# A cell a spreadsheet reads as a formula: = + - @ first, or a tab or carriage return,
# which Excel skips before looking for one (CWE-1236, OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain number (-5, +1.5e3) is shown as a number, never run: left as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def csv_cell(value: object) -> object:
    """Neutralise a cell that a spreadsheet would run as a formula (prefix ``'``).

    Strings starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a
    leading apostrophe, which makes Excel and LibreOffice show them as text; plain
    numbers and everything else are returned as they are.

    Examples
    --------
    >>> print(csv_cell('=HYPERLINK("http://x","y")'), csv_cell("-5"), csv_cell("荷叶塘社区"), csv_cell(3))
    '=HYPERLINK("http://x","y") -5 荷叶塘社区 3
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv_text(rows: Iterable[Sequence[object]], *, escape_formulas: bool) -> str:
    """Rows as CSV text with CRLF line ends (what Excel expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row] if escape_formulas else row)
    return buffer.getvalue()


def _csv(source: ReportSource, *, escape_formulas: bool = True) -> Iterator[str]:
    yield _csv_text([CSV_COLUMNS], escape_formulas=escape_formulas)
    for n, story in enumerate(source.skeletons(), 1):
        yield _csv_text(_csv_rows(n, story), escape_formulas=escape_formulas)


def _csv_rows(n: int, story: Story) -> Iterator[tuple[object, ...]]:
    best = _best_links(story)
    for post in story.posts:
        link = best.get(post.id)
        yield (
            n,
            post.id,
            post.account,
            post.published_at.isoformat() if post.published_at else "",
            post.title,
            "yes" if post.id == story.original else "",
            f"{link.score:.4f}" if link and post.id != story.original else "",
            link.kind if link and post.id != story.original else "",
        )


def _json(source: ReportSource, skipped: Sequence[_SkippedLike] | None) -> Iterator[str]:
    """``{"stories": [...], "template_pairs": [...], "families": [...], "summary": {...}}`` a story at a time.

    The same text as :func:`~dedup.jsontext.dumps` of the whole document.
    """
    yield '{"stories":['
    for k, story in enumerate(source.stories()):
        yield ("," if k else "") + dumps(story.to_dict())
    pairs = ",".join(dumps(p.to_dict()) for p in source.template_pairs())
    families = ",".join(dumps(f.to_dict()) for f in source.families())
    yield f'],"template_pairs":[{pairs}],"families":[{families}],"summary":'
    yield dumps(source.summary.to_dict())
    if skipped is not None:
        yield ',"skipped":' + dumps([record.to_dict() for record in skipped])
    yield "}\n"


class ReportSource:
    """What a report reads: the stories of a :class:`DedupResult` or of a :class:`~dedup.StoryStream`.

    Parameters
    ----------
    source : DedupResult or StoryStream
        A checked batch, whole or streamed.
    """

    def __init__(self, source: DedupResult | StoryStream) -> None:
        self.source = source
        self.summary = source.summary
        self._specifics: dict[str, tuple[str, ...]] | None = None

    @property
    def execution(self) -> Execution | None:
        """How a streamed check runs its workers (None for a result: a report of it runs in one process)."""
        return None if isinstance(self.source, DedupResult) else self.source.execution

    @property
    def evidence(self) -> bool:
        """Whether the stories carry their pairs' evidence (a result: those of its first story that has pairs)."""
        if isinstance(self.source, DedupResult):
            return any(p.evidence is not None for s in self.source.stories[:1] for p in s.pairs)
        return self.source.config.evidence

    def stories(self) -> Iterator[Story]:
        """The stories with their pairs' evidence (computed as they are read from a stream)."""
        return iter(self.source.stories) if isinstance(self.source, DedupResult) else iter(self.source)

    def skeletons(self) -> Iterator[Story]:
        """The stories, evidence left out where it would have to be computed."""
        return iter(self.source.stories) if isinstance(self.source, DedupResult) else self.source.skeletons()

    def template_pairs(self) -> tuple[PairMatch, ...]:
        """The reported template pairs, with evidence when the check computed it."""
        source = self.source
        return source.template_pairs if isinstance(source, DedupResult) else source.template_pairs()

    def families(self) -> tuple[TemplateFamily, ...]:
        """The template families, their example pairs with evidence when the check computed it."""
        source = self.source
        return source.families if isinstance(source, DedupResult) else source.families()

    def specifics(self, post_id: str) -> tuple[str, ...] | None:
        """A post's specifics as its pairs' evidence gives them (None: no pair with evidence)."""
        if not isinstance(self.source, DedupResult):
            return self.source.specifics(post_id)
        if self._specifics is None:
            # Recovered from any pair's evidence (shared + only its side): the pipeline
            # builds every Evidence from the same per-post sets.
            found: dict[str, tuple[str, ...]] = {}
            pairs = [p for story in self.source.stories for p in story.pairs] + list(self.source.template_pairs)
            for pair in pairs:
                ev = pair.evidence
                if ev is None:
                    continue
                for post_id_, only in ((pair.a, ev.only_a), (pair.b, ev.only_b)):
                    if post_id_ not in found:
                        found[post_id_] = in_specific_order({*ev.shared_specifics, *only})
            self._specifics = found
        return self._specifics.get(post_id)

    def light_result(self) -> DedupResult:
        """A :class:`DedupResult` with the stories (and no evidence read from a stream)."""
        if isinstance(self.source, DedupResult):
            return self.source
        return DedupResult(stories=tuple(self.source.skeletons()), summary=self.summary)


class _SkippedLike(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def render(
    result: DedupResult | StoryStream,
    output_format: OutputFormat = "table",
    *,
    articles: Sequence[Article] | None = None,
    skipped: Sequence[_SkippedLike] | None = None,
    escape_formulas: bool = True,
    view: View = "stories",
    title: str = "dedup report",
    normalize: NormalizeConfig | None = None,
) -> str:
    """Render ``result`` as text in one of the output formats: every report the CLI writes.

    Parameters
    ----------
    result : DedupResult or StoryStream
        What :meth:`dedup.Deduplicator.check` (or ``check_stream``) returned.
    output_format : {"table", "json", "jsonl", "csv", "html"}
        The format.
    articles : sequence of Article, optional
        The checked batch; required for ``html`` (the page shows the texts).
    skipped : sequence of SkippedRecord, optional
        Records the reader left out (:attr:`dedup.ArticleReader.skipped`). In ``json``
        they are listed under ``"skipped"`` (path, lineno, field, reason, id), so that
        every input record is accounted for; the other formats leave them to stderr.
    escape_formulas : bool
        ``csv``: prefix ``'`` to cells a spreadsheet would run as a formula (starting
        with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; not plain numbers),
        see :func:`csv_cell`. False writes every cell exactly as given.
    view : {"stories", "accounts", "account_pairs"}
        What to report: the stories (``dedup check``), or per-account copy figures and
        the pairs of accounts sharing stories (``dedup accounts``; ``table``, ``json``
        and ``csv``; needs ``articles``), see :func:`render_accounts`.
    title : str
        ``html``: the page title.
    normalize : NormalizeConfig, optional
        ``html``: the normalization the check used (for shared passages computed there).

    Returns
    -------
    str
        The whole document; CSV rows end in CRLF (what Excel expects). No BOM: see
        :func:`encode_output`. The same text as :func:`iter_render`'s pieces joined.

    Raises
    ------
    ValueError
        Unknown format or view, or ``html`` or an account view without ``articles``.

    Examples
    --------
    >>> from dedup import find_duplicates, Article
    >>> print(render(find_duplicates([Article(id="1", text="只有一篇。")]), "json"), end="")  # doctest: +ELLIPSIS
    {"stories":[],"template_pairs":[],"families":[],"summary":{"articles":1,...}}
    """
    return "".join(
        iter_render(
            result,
            output_format,
            articles=articles,
            skipped=skipped,
            escape_formulas=escape_formulas,
            view=view,
            title=title,
            normalize=normalize,
        )
    )


def iter_render(
    result: DedupResult | StoryStream,
    output_format: OutputFormat = "table",
    *,
    articles: Sequence[Article] | None = None,
    skipped: Sequence[_SkippedLike] | None = None,
    escape_formulas: bool = True,
    view: View = "stories",
    title: str = "dedup report",
    normalize: NormalizeConfig | None = None,
) -> Iterator[str]:
    """Render a report piece by piece, as :func:`render` does, to write it as it is made.

    Takes the same arguments as :func:`render`. Given a :class:`~dedup.StoryStream`, a
    story is read (and its evidence computed) only when its piece is asked for, and
    nothing is kept after it: the memory a report takes does not grow with the number
    of pairs. ``json`` keeps its shape (``stories``, then ``template_pairs``, then
    ``summary``, then ``skipped`` when given); ``html`` embeds its data a story at a time.

    Returns
    -------
    iterator of str
        Pieces whose concatenation is :func:`render`'s document.

    Raises
    ------
    ValueError
        Unknown format or view, or ``html`` or an account view without ``articles``
        (raised at the call, before any piece).

    Examples
    --------
    >>> from dedup import Article, Deduplicator
    >>> with Deduplicator().check_stream([Article(id="1", text="只有一篇。")]) as stream:
    ...     pieces = list(iter_render(stream, "json"))
    >>> pieces[0], pieces[-1]
    ('{"stories":[', '}\\n')
    """
    source = ReportSource(result)
    if view != "stories":
        if view not in ("accounts", "account_pairs") or output_format not in ("table", "json", "csv"):
            msg = f"view {view!r} is not rendered as {output_format!r}"
            raise ValueError(msg)
        if articles is None:
            msg = "account views need the articles that were checked: render(result, ..., articles=...)"
            raise ValueError(msg)
        from dedup.accounts import account_pairs, account_stats

        light = source.light_result()
        return iter(
            [
                render_accounts(
                    account_stats(articles, light),
                    account_pairs(light),
                    output_format,
                    pairs_only=view == "account_pairs",
                    escape_formulas=escape_formulas,
                )
            ]
        )
    if output_format == "json":
        return _json(source, skipped)
    if output_format == "jsonl":
        return (dumps(s.to_dict()) + "\n" for s in source.stories())
    if output_format == "csv":
        return _csv(source, escape_formulas=escape_formulas)
    if output_format == "table":
        return _table(source)
    if output_format == "html":
        if articles is None:
            msg = "the html format needs the articles that were checked: render(result, 'html', articles=...)"
            raise ValueError(msg)
        from dedup.report_html import iter_html  # the page assets are read only when needed

        return iter_html(source, articles, title=title, normalize=normalize)
    msg = f"output format must be one of {', '.join(FORMATS)}, got {output_format!r}"
    raise ValueError(msg)


def default_output_encoding(output_format: str) -> OutputEncoding:
    """Return the encoding a format is written in unless the user chooses one.

    CSV gets UTF-8 with a BOM (Excel); everything else plain UTF-8.

    Examples
    --------
    >>> default_output_encoding("csv"), default_output_encoding("json")
    ('utf-8-sig', 'utf-8')
    """
    return "utf-8-sig" if output_format == "csv" else "utf-8"


def encode_output(text: str, *, encoding: OutputEncoding = "utf-8") -> bytes:
    r"""Encode a rendered report for writing to a file or a byte stream.

    Parameters
    ----------
    text : str
        What :func:`render` or :func:`render_accounts` returned.
    encoding : {"utf-8-sig", "utf-8", "gb18030"}
        ``utf-8-sig`` prepends the UTF-8 byte order mark (Excel needs it for CSV).

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        Unknown encoding.

    Examples
    --------
    >>> encode_output("社区", encoding="utf-8-sig")
    b'\xef\xbb\xbf\xe7\xa4\xbe\xe5\x8c\xba'
    >>> encode_output("社区", encoding="gb18030")
    b'\xc9\xe7\xc7\xf8'
    """
    if encoding not in OUTPUT_ENCODINGS:
        msg = f"output encoding must be one of {', '.join(OUTPUT_ENCODINGS)}, got {encoding!r}"
        raise ValueError(msg)
    # Lone surrogates (possible in JSON input) cannot be encoded: write U+FFFD instead.
    return text.encode(encoding, errors="replace")


ACCOUNT_COLUMNS = (
    "account",
    "posts",
    "in_stories",
    "originals",
    "copies",
    "copy_share",
    "repeats",
    "copied_by",
    "partners",
    "shared_stories",
)
PAIR_COLUMNS = ("a", "b", "stories", "a_from_b", "b_from_a")
_TOP_PAIRS = 10


def _grid(rows: Sequence[Sequence[str]], right: Iterable[int] = ()) -> list[str]:
    right_cols = set(right)
    widths = [min(max(display_width(r[c]) for r in rows), 30) for c in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = []
        for c, cell in enumerate(r):
            text = _clip(cell, widths[c])
            pad = " " * max(0, widths[c] - display_width(text))
            cells.append(pad + text if c in right_cols else text + pad)
        out.append("  " + "  ".join(cells).rstrip())
    return out


def _account_label(account: str) -> str:
    return _line(account) or "(no account)"


def render_accounts(
    stats: Sequence[AccountStats],
    pairs: Sequence[AccountPair],
    output_format: Literal["table", "json", "csv"] = "table",
    *,
    pairs_only: bool = False,
    escape_formulas: bool = True,
) -> str:
    """Render per-account copy figures (``dedup accounts``).

    Parameters
    ----------
    stats : sequence of AccountStats
        From :func:`dedup.account_stats`.
    pairs : sequence of AccountPair
        From :func:`dedup.account_pairs`.
    output_format : {"table", "json", "csv"}
        ``json`` is ``{"accounts": [...], "pairs": [...]}``; ``csv`` one row per
        account (or per account pair with ``pairs_only``); ``table`` the accounts and
        the pairs sharing most stories.
    pairs_only : bool
        Table and CSV: list every account pair instead of the accounts.
    escape_formulas : bool
        CSV: neutralise cells a spreadsheet would run as a formula (:func:`csv_cell`).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        Unknown format.

    Examples
    --------
    >>> from dedup import AccountStats
    >>> s = AccountStats(account="岳麓街道", posts=4, in_stories=3, originals=1, copies=2,
    ...                  repeats=0, copied_by=1, partners=2, shared_stories=3)
    >>> render_accounts([s], [], "csv").splitlines()[1]
    '岳麓街道,4,3,1,2,0.5000,0,1,2,3'
    >>> print(render_accounts([s], [], "table"), end="")
    Accounts: 1 (copies = posts that copy an earlier post of another account)
      account   posts  copies  share  originals  copied by  repeats  partners
      岳麓街道      4       2  50.0%          1          1        0         2
    <BLANKLINE>
    No two accounts share a story.
    """
    if output_format not in ("table", "json", "csv"):
        msg = f"output format must be table, json or csv, got {output_format!r}"
        raise ValueError(msg)
    if output_format == "json":
        doc = {"accounts": [s.to_dict() for s in stats], "pairs": [p.to_dict() for p in pairs]}
        return dumps(doc) + "\n"
    if output_format == "csv":
        cells: list[Sequence[object]]
        if pairs_only:
            cells = [PAIR_COLUMNS, *((p.a, p.b, p.stories, p.a_from_b, p.b_from_a) for p in pairs)]
        else:
            cells = [ACCOUNT_COLUMNS]
            cells += [
                (
                    s.account,
                    s.posts,
                    s.in_stories,
                    s.originals,
                    s.copies,
                    f"{s.copy_share:.4f}",
                    s.repeats,
                    s.copied_by,
                    s.partners,
                    s.shared_stories,
                )
                for s in stats
            ]
        return _csv_text(cells, escape_formulas=escape_formulas)
    lines: list[str] = []
    shown_pairs = pairs if pairs_only else pairs[:_TOP_PAIRS]
    if not pairs_only:
        rows: list[tuple[str, ...]] = [
            ("account", "posts", "copies", "share", "originals", "copied by", "repeats", "partners")
        ]
        rows += [
            (
                _account_label(s.account),
                str(s.posts),
                str(s.copies),
                f"{100 * s.copy_share:.1f}%",
                str(s.originals),
                str(s.copied_by),
                str(s.repeats),
                str(s.partners),
            )
            for s in stats
        ]
        lines.append(f"Accounts: {len(stats)} (copies = posts that copy an earlier post of another account)")
        lines += _grid(rows, right=range(1, 8))
        lines.append("")
    if shown_pairs:
        top = f"Account pairs sharing most stories (top {len(shown_pairs)} of {len(pairs)})"
        lines.append("Account pairs" if pairs_only else top)
        pair_rows: list[tuple[str, ...]] = [("account a", "account b", "stories", "a copied b", "b copied a")]
        pair_rows += [
            (_account_label(p.a), _account_label(p.b), str(p.stories), str(p.a_from_b), str(p.b_from_a))
            for p in shown_pairs
        ]
        lines += _grid(pair_rows, right=range(2, 5))
    elif pairs_only or stats:
        lines.append("No two accounts share a story.")
    return "\n".join(lines) + "\n"
