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

:func:`iter_html` writes the page in pieces: one pass over the stories without
evidence gives what comes before them (summary, accounts, posts), then each story's
data is made, and its shared passages computed, only as it is written; the normalized
texts kept for a story's computed passages are dropped after it.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from dedup.accounts import account_pairs, account_stats
from dedup.config import NormalizeConfig
from dedup.evidence import find_shared_passages
from dedup.exceptions import InputError
from dedup.extraction import Execution
from dedup.jsontext import dumps
from dedup.models import Article, DedupResult, PairMatch, Story, time_key
from dedup.normalize import NormalizedText, normalize_with_offsets
from dedup.parallel import CarriedTexts, WorkerPool
from dedup.report import ReportSource

if TYPE_CHECKING:
    from dedup.story_stream import StoryStream

__all__ = ["iter_html", "render_html", "report_data"]

_DEFAULT_PAIR_LIMIT = 16

# Characters that must not appear raw in JSON inside <script>: "<" (</script>, <!--),
# ">" and "&" for good measure, the JS line separators, and lone surrogates (which
# cannot be encoded; JSON.parse accepts them escaped).
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


def _script_safe(text: str) -> str:
    r"""Return JSON text made safe to place between ``<script type="application/json">`` tags.

    Escapes work character by character, so a document may be made safe in pieces.

    Examples
    --------
    >>> _script_safe(dumps({"t": "</script><!-- & 中文"}))
    '{"t":"\\u003c/script\\u003e\\u003c!-- \\u0026 中文"}'
    """
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _epoch(when: datetime | None) -> float | None:
    # Seconds since 1970 as the pipeline orders posts (naive times are China time);
    # a difference, so 0001-01-01 or 9999-12-31 at UTC-12 do not overflow.
    return None if when is None else time_key(when)


class _Posts:
    """The posts the page shows, numbered in the order the stories (then the template pairs) name them."""

    def __init__(self, articles: Iterable[Article], source: ReportSource, accounts: dict[str, int]) -> None:
        self.by_id = {a.id: a for a in articles}
        self.source = source
        self.accounts = accounts
        self.index: dict[str, int] = {}

    def add(self, post_id: str) -> int:
        k = self.index.get(post_id)
        if k is not None:
            return k
        if post_id not in self.by_id:
            msg = f"post {post_id!r} of the result is not among the articles; pass the checked batch"
            raise InputError(msg, field="id")
        self.index[post_id] = len(self.index)
        return len(self.index) - 1

    def row(self, post_id: str) -> list[Any]:
        """``[id, account, published, epoch, title, text, specifics]`` of a post."""
        article = self.by_id[post_id]
        when = article.published_at
        if article.account not in self.accounts:
            self.accounts[article.account] = len(self.accounts)
        specifics = self.source.specifics(post_id)
        return [
            article.id,
            self.accounts[article.account],
            when.isoformat(sep=" ", timespec="minutes")[:16] if when else "",  # year 1 as 0001
            _epoch(when),
            article.title,
            article.text,
            list(specifics) if specifics is not None else None,
        ]


def _row(x: int, y: int, pair: PairMatch | None, shared: list[int]) -> list[Any]:
    """Return an evidence row ``[x, y, score, kind, shared]`` (score and kind None: not verified)."""
    return [x, y, round(pair.score, 4) if pair else None, pair.kind if pair else None, shared]


def _flat(passages: Iterable[tuple[tuple[int, int], tuple[int, int]]]) -> list[int]:
    """Shared passages as a flat ``[a0, a1, b0, b1, ...]`` list."""
    return [n for (a0, a1), (b0, b1) in passages for n in (a0, a1, b0, b1)]


def _rows_of(story: Story, pair_limit: int) -> list[tuple[int, int, PairMatch | None]]:
    """The evidence rows a story's view offers: its verified pairs, then other pairs of posts (no PairMatch)."""
    local = {pid: k for k, pid in enumerate(story.ids)}
    rows: list[tuple[int, int, PairMatch | None]] = []
    done: set[tuple[int, int]] = set()
    for pair in story.pairs:
        x, y = local[pair.a], local[pair.b]
        rows.append((x, y, pair))
        done.update({(x, y), (y, x)})
    n = len(story.ids)
    # Every pair of a small story; the original against each post of a large one.
    wanted = [(x, y) for x in range(n) for y in range(x + 1, n)] if n <= pair_limit else [(0, y) for y in range(1, n)]
    rows.extend((x, y, None) for x, y in wanted if (x, y) not in done)
    return rows


def _to_compute(rows: Iterable[tuple[int, int, PairMatch | None]]) -> list[tuple[int, int]]:
    """The rows whose shared passages the check did not give."""
    return [(x, y) for x, y, pair in rows if pair is None or pair.evidence is None]


# (normalization, texts by post id, per story the pairs of post ids whose passages are wanted)
_PassagesTask = tuple[NormalizeConfig, dict[str, str], list[list[tuple[str, str]]]]


def _passages_task(_: None, task: _PassagesTask) -> list[list[list[int]]]:
    """Shared passages for the view, as :func:`find_shared_passages` finds them (each text normalized once)."""
    normalize, texts, stories = task
    normalized: dict[str, NormalizedText] = {}

    def of(post_id: str) -> NormalizedText:
        found = normalized.get(post_id)
        if found is None:
            found = normalized[post_id] = normalize_with_offsets(texts[post_id], normalize)
        return found

    return [[_flat(find_shared_passages(of(a), of(b))) for a, b in pairs] for pairs in stories]


def _story_data(
    stories: Iterable[Story], posts: _Posts, normalize: NormalizeConfig, pair_limit: int, execution: Execution | None
) -> Iterator[dict[str, Any]]:
    """Each story's data, its missing passages computed a batch of stories at a time (in workers with ``execution``)."""
    sent: deque[list[tuple[Story, list[tuple[int, int, PairMatch | None]]]]] = deque()
    size = execution.chunk_size if execution is not None else 500

    def task(batch: list[tuple[Story, list[tuple[int, int, PairMatch | None]]]]) -> _PassagesTask:
        sent.append(batch)
        wanted = [[(story.ids[x], story.ids[y]) for x, y in _to_compute(rows)] for story, rows in batch]
        texts = CarriedTexts(
            {post_id: posts.by_id[post_id].text for pairs in wanted for pair in pairs for post_id in pair}
        )
        return normalize, texts, wanted

    def tasks() -> Iterator[_PassagesTask]:
        batch: list[tuple[Story, list[tuple[int, int, PairMatch | None]]]] = []
        members = 0
        for story in stories:
            batch.append((story, _rows_of(story, pair_limit)))
            members += len(story.ids)
            if members >= size:
                yield task(batch)
                batch, members = [], 0
        if batch:
            yield task(batch)

    with contextlib.ExitStack() as stack:
        if execution is not None:
            pool = stack.enter_context(WorkerPool(execution.workers, None, start_method=execution.start_method))
            found: Iterator[list[list[list[int]]]] = pool.map(_passages_task, tasks(), ahead=2 * execution.workers)
        else:
            found = (_passages_task(None, t) for t in tasks())
        for computed in found:
            for (story, rows), shared in zip(sent.popleft(), computed, strict=True):
                missing = iter(shared)
                data = [
                    _row(x, y, pair, _flat(pair.evidence.shared) if pair and pair.evidence else next(missing))
                    for x, y, pair in rows
                ]
                yield {"p": [posts.index[pid] for pid in story.ids], "e": data}


class _Page:
    """Everything the page needs before its first story: summary, accounts, posts (one pass, no evidence)."""

    def __init__(self, source: ReportSource, articles: Iterable[Article], pair_limit: int) -> None:
        batch = articles if isinstance(articles, Sequence) else list(articles)
        light = source.light_result()
        stats = account_stats(batch, light)
        self.accounts = {s.account: k for k, s in enumerate(stats)}
        self.posts = _Posts(batch, source, self.accounts)
        involved: set[str] = set()
        # Shared passages the page computes: the pairs of posts the check did not verify
        # (and the verified ones too when it gave no evidence).
        self.to_compute = 0
        for story in light.stories:
            for post in story.posts:
                self.posts.add(post.id)
                involved.add(post.account)
            rows = _rows_of(story, pair_limit)
            self.to_compute += len(rows) - (len(story.pairs) if source.evidence else 0)
        self.templates = source.template_pairs()
        self.families = source.families()
        for pair in (*self.templates, *(p for f in self.families for p in f.pairs)):
            self.posts.add(pair.a)
            self.posts.add(pair.b)
        for family in self.families:
            self.posts.add(family.example)
        summary = source.summary
        self.summary = {
            **summary.to_dict(),
            "accounts": len(stats),
            "accounts_involved": len(involved),
            "copy_share": round(summary.copies / summary.articles, 4) if summary.articles else 0.0,
        }
        self.stats = [
            [s.posts, s.in_stories, s.originals, s.copies, s.repeats, s.copied_by, s.partners, s.shared_stories]
            for s in stats
        ]
        self.matrix = [
            [self.accounts[p.a], self.accounts[p.b], p.stories, p.a_from_b, p.b_from_a] for p in account_pairs(light)
        ]


def _check_pair_limit(pair_limit: int) -> None:
    if pair_limit < 2:
        msg = f"pair_limit must be >= 2, got {pair_limit}"
        raise ValueError(msg)


def _data(page: _Page, source: ReportSource, normalize: NormalizeConfig | None, pair_limit: int) -> Iterator[str]:
    """The page's JSON document in pieces: the stories are read (from a stream) one at a time."""
    yield '{"summary":' + dumps(page.summary)
    yield f',"accounts":{dumps(list(page.accounts))},"stats":{dumps(page.stats)},"matrix":{dumps(page.matrix)}'
    yield ',"posts":['
    posts = page.posts
    for k, post_id in enumerate(posts.index):
        yield ("," if k else "") + dumps(posts.row(post_id))
    yield '],"stories":['
    cfg = normalize if normalize is not None else NormalizeConfig()
    # Worker processes for the passages the check did not give, when there are many (a
    # passage is normalized with offsets: about as costly as four pairs' evidence).
    execution = source.execution
    parallel = execution is not None and execution.workers > 1 and page.to_compute >= execution.parallel_min // 4
    stories = _story_data(source.stories(), posts, cfg, pair_limit, execution if parallel else None)
    for k, story in enumerate(stories):
        yield ("," if k else "") + dumps(story)
    yield '],"templates":['
    example_pairs = [p for f in page.families for p in f.pairs]
    missing = [(p.a, p.b) for p in (*page.templates, *example_pairs) if p.evidence is None]
    computed = iter(_passages_task(None, (cfg, {i: posts.by_id[i].text for p in missing for i in p}, [missing]))[0])

    def template_row(pair: PairMatch) -> list[Any]:
        x, y = posts.index[pair.a], posts.index[pair.b]
        shared = _flat(pair.evidence.shared) if pair.evidence is not None else next(computed)
        # A template row ends with what sets the pair apart (conflicting keys, time apart).
        reason = pair.evidence.reason if pair.evidence is not None else None
        return [*_row(x, y, pair, shared), reason]

    for k, pair in enumerate(page.templates):
        yield ("," if k else "") + dumps(template_row(pair))
    yield '],"families":['
    for k, family in enumerate(page.families):
        row = [
            len(family.ids),
            [page.accounts[a] for a in family.accounts],
            _day(family.first),
            _day(family.last),
            posts.index[family.example],
            [template_row(pair) for pair in family.pairs],
        ]
        yield ("," if k else "") + dumps(row)
    yield "]}"


def _day(when: datetime | None) -> str:
    return when.date().isoformat() if when is not None else ""


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
        (account pairs), ``posts``, ``stories``, ``templates`` and ``families``; see the module
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
    _check_pair_limit(pair_limit)
    source = ReportSource(result)
    doc: dict[str, Any] = json.loads("".join(_data(_Page(source, articles, pair_limit), source, normalize, pair_limit)))
    return doc


def _asset(name: str) -> str:
    return resources.files("dedup").joinpath(f"data/{name}").read_text(encoding="utf-8")


def _summary_html(s: dict[str, Any]) -> str:
    cards = [
        ("posts", f"{s['articles']:,}", "posts checked"),
        ("stories", f"{s['stories']:,}", "stories with several posts"),
        ("copy_share", f"{100 * s['copy_share']:.1f}%", f"of posts are copies ({s['copies']:,})"),
        ("accounts", f"{s['accounts_involved']:,}", f"accounts involved (of {s['accounts']:,})"),
        ("templates", f"{s['template_pairs']:,}", "template pairs kept apart"),
        ("families", f"{s['template_families']:,}", "template families"),
    ]
    return "".join(
        f'<div class="card" data-key="{key}"><b>{html.escape(value)}</b><span>{html.escape(label)}</span></div>'
        for key, value, label in cards
    )


def render_html(
    result: DedupResult | StoryStream,
    articles: Iterable[Article],
    *,
    title: str = "dedup report",
    normalize: NormalizeConfig | None = None,
    pair_limit: int = _DEFAULT_PAIR_LIMIT,
) -> str:
    """Render ``result`` as one self-contained HTML page.

    Parameters
    ----------
    result : DedupResult or StoryStream
        What :meth:`dedup.Deduplicator.check` (or ``check_stream``) returned for ``articles``.
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
    return "".join(iter_html(ReportSource(result), articles, title=title, normalize=normalize, pair_limit=pair_limit))


def iter_html(
    source: ReportSource,
    articles: Iterable[Article],
    *,
    title: str = "dedup report",
    normalize: NormalizeConfig | None = None,
    pair_limit: int = _DEFAULT_PAIR_LIMIT,
) -> Iterator[str]:
    """The page of :func:`render_html` in pieces, its data a story at a time.

    What the page needs before its stories (the summary, the accounts' figures, the
    posts) comes from one pass over the stories without evidence; the stories are
    then read (from a stream: their evidence computed) while they are written.

    Raises
    ------
    InputError
        A post of the result is not among ``articles`` (before any piece).
    ValueError
        ``pair_limit`` below 2.
    """
    _check_pair_limit(pair_limit)
    page = _Page(source, articles, pair_limit)  # the pass over the stories, before anything is written
    return _html(title, page, _data(page, source, normalize, pair_limit))


def _html(title: str, page: _Page, data: Iterator[str]) -> Iterator[str]:
    escaped_title = html.escape(title)
    yield (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{escaped_title}</title>\n<style>\n{_asset('report.css')}</style>\n</head>\n<body>\n"
        f'<header><h1>{escaped_title}</h1><div id="summary">{_summary_html(page.summary)}</div>\n'
        '<nav><a href="#stories-section">Stories</a> <a href="#accounts-section">Accounts</a> '
        '<a href="#families-section">Template families</a> '
        '<a href="#templates-section">Template pairs</a></nav></header>\n'
        "<noscript><p>This report needs JavaScript to show stories and accounts.</p></noscript>\n"
        '<main id="app"></main>\n'
        '<script type="application/json" id="dedup-data">'
    )
    for piece in data:
        yield _script_safe(piece)
    yield f"</script>\n<script>\n{_asset('report.js')}</script>\n</body>\n</html>\n"
