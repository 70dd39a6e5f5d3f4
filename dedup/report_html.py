"""The HTML report: stories, side-by-side evidence and the account matrix in one file.

:func:`render_html` writes one self-contained page (inline CSS and JavaScript, nothing
loaded from the network). The batch is embedded once as JSON in a
``<script type="application/json">`` element and the page builds only what is on
screen: one page of stories at a time, a story's side-by-side view when it is opened,
the top accounts of the matrix. This keeps a report of 10,000+ posts fast to open.

Side-by-side views can show any two posts of a story. A pair the pipeline verified
carries its :class:`~dedup.models.Evidence`; for the other pairs of a story (posts
linked only through a third post) the shared passages are computed here with
:func:`dedup.verify.find_shared_passages`. Stories with more than ``pair_limit`` posts
get this extra evidence only against their original. Specifics are stored once per
post (recovered from its pairs' evidence, which the pipeline builds from the same
per-post sets); the page derives shared and one-sided specifics of any two posts
from them, exactly as :func:`dedup.verify.build_evidence` does.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from importlib import resources
from typing import Any

from dedup.accounts import account_pairs, account_stats
from dedup.config import NormalizeConfig
from dedup.evidence import find_shared_passages, specific_order
from dedup.exceptions import InputError
from dedup.models import Article, DedupResult, Evidence, PairMatch, Story, time_key
from dedup.normalize import NormalizedText, normalize_with_offsets

__all__ = ["render_html", "report_data"]

_DEFAULT_PAIR_LIMIT = 16

# Characters that must not appear raw in JSON inside <script>: "<" (</script>, <!--),
# ">" and "&" for good measure, the JS line separators, and lone surrogates (which
# cannot be encoded; JSON.parse accepts them escaped).
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


def _script_json(data: Any) -> str:
    r"""Return JSON safe to place between ``<script type="application/json">`` tags.

    Examples
    --------
    >>> _script_json({"t": "</script><!-- & 中文"})
    '{"t":"\\u003c/script\\u003e\\u003c!-- \\u0026 中文"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _epoch(when: datetime | None) -> float | None:
    # Seconds since 1970 as the pipeline orders posts (naive times are China time);
    # a difference, so 0001-01-01 or 9999-12-31 at UTC-12 do not overflow.
    return None if when is None else time_key(when)


class _Builder:
    """Collects the posts the page needs and computes missing shared passages."""

    def __init__(self, articles: Sequence[Article], result: DedupResult, normalize: NormalizeConfig) -> None:
        self.by_id = {a.id: a for a in articles}
        self.normalize = normalize
        self.accounts: dict[str, int] = {}
        self.posts: list[list[Any]] = []
        self.post_index: dict[str, int] = {}
        self._normalized: dict[str, NormalizedText] = {}
        # A post's specifics, recovered from any pair's evidence (shared + only its side):
        # the pipeline builds every Evidence from the same per-post sets.
        self.specifics: dict[str, list[str]] = {}
        pairs = [p for story in result.stories for p in story.pairs] + list(result.template_pairs)
        for pair in pairs:
            ev = pair.evidence
            if ev is None:
                continue
            for post_id, only in ((pair.a, ev.only_a), (pair.b, ev.only_b)):
                if post_id not in self.specifics:
                    self.specifics[post_id] = sorted({*ev.shared_specifics, *only}, key=specific_order)

    def account(self, name: str) -> int:
        if name not in self.accounts:
            self.accounts[name] = len(self.accounts)
        return self.accounts[name]

    def post(self, post_id: str) -> int:
        k = self.post_index.get(post_id)
        if k is not None:
            return k
        article = self.by_id.get(post_id)
        if article is None:
            msg = f"post {post_id!r} of the result is not among the articles; pass the checked batch"
            raise InputError(msg, field="id")
        when = article.published_at
        self.posts.append(
            [
                article.id,
                self.account(article.account),
                when.isoformat(sep=" ", timespec="minutes")[:16] if when else "",  # year 1 as 0001
                _epoch(when),
                article.title,
                article.text,
                self.specifics.get(post_id),
            ]
        )
        self.post_index[post_id] = len(self.posts) - 1
        return len(self.posts) - 1

    def normalized(self, post_id: str) -> NormalizedText:
        n = self._normalized.get(post_id)
        if n is None:
            n = normalize_with_offsets(self.by_id[post_id].text, self.normalize)
            self._normalized[post_id] = n
        return n

    def shared(self, a: str, b: str, evidence: Evidence | None = None) -> list[int]:
        """Shared passages as a flat ``[a0, a1, b0, b1, ...]`` list (computed when not given)."""
        passages = (
            evidence.shared if evidence is not None else find_shared_passages(self.normalized(a), self.normalized(b))
        )
        return [n for (a0, a1), (b0, b1) in passages for n in (a0, a1, b0, b1)]


def _row(x: int, y: int, pair: PairMatch | None, shared: list[int]) -> list[Any]:
    """Return an evidence row ``[x, y, score, kind, shared]`` (score and kind None: not verified)."""
    return [x, y, round(pair.score, 4) if pair else None, pair.kind if pair else None, shared]


def _story_data(story: Story, builder: _Builder, pair_limit: int) -> dict[str, Any]:
    local = {pid: k for k, pid in enumerate(story.ids)}
    rows: list[list[Any]] = []
    done: set[tuple[int, int]] = set()
    for pair in story.pairs:
        x, y = local[pair.a], local[pair.b]
        rows.append(_row(x, y, pair, builder.shared(pair.a, pair.b, pair.evidence)))
        done.update({(x, y), (y, x)})
    n = len(story.ids)
    # Every pair of a small story; the original against each post of a large one.
    wanted = [(x, y) for x in range(n) for y in range(x + 1, n)] if n <= pair_limit else [(0, y) for y in range(1, n)]
    for x, y in wanted:
        if (x, y) not in done:
            rows.append(_row(x, y, None, builder.shared(story.ids[x], story.ids[y])))
    return {"p": [builder.post(pid) for pid in story.ids], "e": rows}


def report_data(
    result: DedupResult,
    articles: Iterable[Article],
    *,
    normalize: NormalizeConfig | None = None,
    pair_limit: int = _DEFAULT_PAIR_LIMIT,
) -> dict[str, Any]:
    """Collect the JSON document the HTML report embeds.

    Parameters
    ----------
    result : DedupResult
        What :meth:`dedup.Deduplicator.check` returned for ``articles``.
    articles : iterable of Article
        The batch that was checked (the page shows the texts of posts in stories).
    normalize : NormalizeConfig, optional
        The normalization the check used (for evidence computed here).
    pair_limit : int
        Stories with at most this many posts get evidence for every pair of posts;
        larger ones for their verified pairs and every post against the original.

    Returns
    -------
    dict
        ``summary``, ``accounts`` (names), ``stats`` (per account), ``matrix``
        (account pairs), ``posts``, ``stories`` and ``templates``; see the module
        docstring of :mod:`dedup.report_html` and ``dedup/data/report.js``.

    Raises
    ------
    InputError
        A post of ``result`` is not among ``articles``.

    Examples
    --------
    >>> from dedup import Article, find_duplicates
    >>> text = "6月12日上午，荷叶塘社区开展垃圾分类宣传活动，发放宣传资料200余份。"
    >>> posts = [Article(id=i, text=text, account=a) for i, a in [("1", "荷叶塘社区"), ("2", "岳麓街道")]]
    >>> data = report_data(find_duplicates(posts), posts)
    >>> data["accounts"], data["stories"][0]["p"], data["stories"][0]["e"][0][:4]
    (['岳麓街道', '荷叶塘社区'], [0, 1], [0, 1, 1.0, 'exact'])
    """
    if pair_limit < 2:
        msg = f"pair_limit must be >= 2, got {pair_limit}"
        raise ValueError(msg)
    batch = list(articles)
    builder = _Builder(batch, result, normalize if normalize is not None else NormalizeConfig())
    stats = account_stats(batch, result)
    for s in stats:
        builder.account(s.account)
    stories = [_story_data(story, builder, pair_limit) for story in result.stories]
    # A template row ends with what sets the pair apart (conflicting keys, time apart).
    templates = [
        [
            *_row(builder.post(pair.a), builder.post(pair.b), pair, builder.shared(pair.a, pair.b, pair.evidence)),
            pair.evidence.reason if pair.evidence is not None else None,
        ]
        for pair in result.template_pairs
    ]
    summary = result.summary
    involved = {p.account for story in result.stories for p in story.posts}
    return {
        "summary": {
            **summary.to_dict(),
            "accounts": len(stats),
            "accounts_involved": len(involved),
            "copy_share": round(summary.copies / summary.articles, 4) if summary.articles else 0.0,
        },
        "accounts": list(builder.accounts),
        "stats": [
            [
                s.posts,
                s.in_stories,
                s.originals,
                s.copies,
                s.repeats,
                s.copied_by,
                s.partners,
                s.shared_stories,
            ]
            for s in stats
        ],
        "matrix": [
            [builder.accounts[p.a], builder.accounts[p.b], p.stories, p.a_from_b, p.b_from_a]
            for p in account_pairs(result)
        ],
        "posts": builder.posts,
        "stories": stories,
        "templates": templates,
    }


def _asset(name: str) -> str:
    return resources.files("dedup").joinpath(f"data/{name}").read_text(encoding="utf-8")


def _summary_html(data: dict[str, Any]) -> str:
    s = data["summary"]
    cards = [
        ("posts", f"{s['articles']:,}", "posts checked"),
        ("stories", f"{s['stories']:,}", "stories with several posts"),
        ("copy_share", f"{100 * s['copy_share']:.1f}%", f"of posts are copies ({s['copies']:,})"),
        ("accounts", f"{s['accounts_involved']:,}", f"accounts involved (of {s['accounts']:,})"),
        ("templates", f"{s['template_pairs']:,}", "template pairs kept apart"),
    ]
    return "".join(
        f'<div class="card" data-key="{key}"><b>{html.escape(value)}</b><span>{html.escape(label)}</span></div>'
        for key, value, label in cards
    )


def render_html(
    result: DedupResult,
    articles: Iterable[Article],
    *,
    title: str = "dedup report",
    normalize: NormalizeConfig | None = None,
    pair_limit: int = _DEFAULT_PAIR_LIMIT,
) -> str:
    """Render ``result`` as one self-contained HTML page.

    Parameters
    ----------
    result : DedupResult
        What :meth:`dedup.Deduplicator.check` returned for ``articles``.
    articles : iterable of Article
        The batch that was checked.
    title : str
        The page title.
    normalize : NormalizeConfig, optional
        The normalization the check used (for evidence computed here).
    pair_limit : int
        See :func:`report_data`.

    Returns
    -------
    str
        The page (UTF-8 declared); inline CSS and JavaScript, no network access.

    Raises
    ------
    InputError
        A post of ``result`` is not among ``articles``.

    Examples
    --------
    >>> from dedup import Article, find_duplicates
    >>> text = "6月12日，荷叶塘社区开展垃圾分类宣传活动。</script><script>alert(1)</script>"
    >>> posts = [Article(id="1", text=text), Article(id="2", text=text)]
    >>> page = render_html(find_duplicates(posts), posts, title="周报 <1>")
    >>> page.startswith("<!DOCTYPE html>"), "<title>周报 &lt;1&gt;</title>" in page, page.count("</script>")
    (True, True, 2)
    """
    data = report_data(result, articles, normalize=normalize, pair_limit=pair_limit)
    escaped_title = html.escape(title)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{escaped_title}</title>\n<style>\n{_asset('report.css')}</style>\n</head>\n<body>\n"
        f'<header><h1>{escaped_title}</h1><div id="summary">{_summary_html(data)}</div>\n'
        '<nav><a href="#stories-section">Stories</a> <a href="#accounts-section">Accounts</a> '
        '<a href="#templates-section">Template pairs</a></nav></header>\n'
        "<noscript><p>This report needs JavaScript to show stories and accounts.</p></noscript>\n"
        '<main id="app"></main>\n'
        f'<script type="application/json" id="dedup-data">{_script_json(data)}</script>\n'
        f"<script>\n{_asset('report.js')}</script>\n</body>\n</html>\n"
    )
