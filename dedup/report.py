"""Rendering a :class:`~dedup.models.DedupResult`: table, JSON, JSON lines, CSV.

``table`` is for people (columns aligned for Chinese double-width characters);
``json`` is one object ``{"stories": [...], "template_pairs": [...], "summary": {...}}``
(plus ``"skipped": [...]``, the records the reader left out, when they are given);
``jsonl`` is one story per line; ``csv`` is one row per post with its story number.
JSON is written with ``ensure_ascii=False``.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from dedup.models import DedupResult, PairMatch, Story, Summary

__all__ = ["OutputFormat", "display_width", "render", "summary_line"]

OutputFormat = Literal["table", "json", "jsonl", "csv"]
FORMATS: tuple[str, ...] = ("table", "json", "jsonl", "csv")

_TEMPLATE_ROWS = 10

CSV_COLUMNS = ("story", "id", "account", "published_at", "title", "original", "score", "kind")


class _SkippedLike(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: CJK and full-width characters count twice.

    Examples
    --------
    >>> display_width("abc"), display_width("社区"), display_width("A社")
    (3, 4, 3)
    """
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


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
        parts.append(f"{summary.template_pairs} template pairs kept apart")
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


def _table(result: DedupResult) -> str:
    lines: list[str] = []
    for n, story in enumerate(result.stories, 1):
        lines.append(
            f"Story {n}: {len(story.ids)} posts, {len(story.accounts)} account"
            f"{'s' if len(story.accounts) != 1 else ''}, original {story.original}"
        )
        best = _best_links(story)
        rows = [("id", "account", "published", "score", "kind", "title")]
        for post in story.posts:
            link = best.get(post.id)
            when = post.published_at.strftime("%Y-%m-%d %H:%M") if post.published_at else "-"
            if post.id == story.original:
                score, kind = "-", "original"
            elif link is not None:
                score, kind = f"{link.score:.2f}", link.kind
            else:
                score, kind = "-", "-"
            rows.append((post.id, post.account or "-", when, score, kind, _clip(post.title or "-", 40)))
        widths = [min(max(display_width(r[c]) for r in rows), 30) for c in range(5)]
        for r in rows:
            cells = [_pad(_clip(r[c], widths[c]), widths[c]) for c in range(5)]
            lines.append("  " + "  ".join([*cells, r[5]]).rstrip())
        lines.append("")
    if result.template_pairs:
        shown = result.template_pairs[:_TEMPLATE_ROWS]
        lines.append(f"Template pairs (same wording, different specifics; not merged): {len(result.template_pairs)}")
        for pair in shown:
            detail = ""
            if pair.evidence is not None and (pair.evidence.only_a or pair.evidence.only_b):
                a_side = "、".join(pair.evidence.only_a[:4]) or "-"
                b_side = "、".join(pair.evidence.only_b[:4]) or "-"
                detail = f"  {a_side} / {b_side}"
            lines.append(f"  {pair.a} ~ {pair.b}  {pair.score:.2f}{detail}")
        if len(result.template_pairs) > len(shown):
            lines.append(f"  ... and {len(result.template_pairs) - len(shown)} more (see --format json)")
        lines.append("")
    lines.append(summary_line(result.summary))
    return "\n".join(lines) + "\n"


def _csv(result: DedupResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n, story in enumerate(result.stories, 1):
        best = _best_links(story)
        for post in story.posts:
            link = best.get(post.id)
            writer.writerow(
                (
                    n,
                    post.id,
                    post.account,
                    post.published_at.isoformat() if post.published_at else "",
                    post.title,
                    "yes" if post.id == story.original else "",
                    f"{link.score:.4f}" if link and post.id != story.original else "",
                    link.kind if link and post.id != story.original else "",
                )
            )
    return buffer.getvalue()


def render(
    result: DedupResult,
    output_format: OutputFormat = "table",
    *,
    skipped: Sequence[_SkippedLike] | None = None,
) -> str:
    """Render ``result`` as text in one of the output formats.

    Parameters
    ----------
    result : DedupResult
        What :meth:`dedup.Deduplicator.check` returned.
    output_format : {"table", "json", "jsonl", "csv"}
        The format.
    skipped : sequence of SkippedRecord, optional
        Records the reader left out (:attr:`dedup.ArticleReader.skipped`). In ``json``
        they are listed under ``"skipped"`` (path, lineno, field, reason, id), so that
        every input record is accounted for; the other formats leave them to stderr.

    Returns
    -------
    str
        The whole document; CSV rows end in CRLF (what Excel expects).

    Examples
    --------
    >>> from dedup import find_duplicates, Article
    >>> print(render(find_duplicates([Article(id="1", text="只有一篇。")]), "json"), end="")  # doctest: +ELLIPSIS
    {"stories": [], "template_pairs": [], "summary": {"articles": 1, ...}}
    """
    if output_format == "json":
        doc = result.to_dict()
        if skipped is not None:
            doc["skipped"] = [record.to_dict() for record in skipped]
        return json.dumps(doc, ensure_ascii=False) + "\n"
    if output_format == "jsonl":
        return "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in result.stories)
    if output_format == "csv":
        return _csv(result)
    if output_format == "table":
        return _table(result)
    msg = f"output format must be one of {', '.join(FORMATS)}, got {output_format!r}"
    raise ValueError(msg)
