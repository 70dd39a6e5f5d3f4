"""The HTML report in a real browser: headless Chromium renders it and we check the DOM.

Skipped when Chromium is not installed, unless DEDUP_REQUIRE_BROWSER=1 (set by .ci/run),
in which case a missing browser fails the run. Screenshots go to DEDUP_ARTIFACTS_DIR
when set (CI), else to pytest's tmp dir.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dedup import Article, Deduplicator, DedupResult, account_pairs, account_stats, read_articles
from dedup.report_html import render_html, report_data

DATA = Path(__file__).parent / "data"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
)
PAGE_SIZE = 20  # stories per page (report.js PAGE)
MATRIX_SIZE = 30  # accounts in the matrix by default (report.js msize)
STATS_PAGE = 50  # accounts per page of the table (report.js STATS_PAGE)


def _find_chromium() -> str | None:
    for name in (os.environ.get("DEDUP_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name:
            path = shutil.which(name)
            if path:
                return path
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _find_chromium()
    if path is None:
        if os.environ.get("DEDUP_REQUIRE_BROWSER") == "1":
            pytest.fail("DEDUP_REQUIRE_BROWSER=1 but no chromium found (apt-get install chromium)")
        pytest.skip("chromium is not installed (CI installs it: see .ci/run)")
    return path


@pytest.fixture(scope="module")
def batch(news: list[Article]) -> list[Article]:
    # Three notices from one template, each a different event: a template family.
    notice = (
        "{day}上午，{place}社区在文化广场开展消防安全宣传活动，消防站教员向居民讲解灭火器使用方法，"
        "发放宣传资料{n}余份，现场还设置了有奖问答环节，吸引了不少居民参与。"
    )
    family = [
        Article(
            id=f"notice-{k}",
            title=f"{place}社区开展消防安全宣传",
            text=notice.format(day=f"9月{k + 3}日", place=place, n=150 + 20 * k),
            account=f"{place}社区",
        )
        for k, place in enumerate(["桃花岭", "咸嘉湖", "望月湖"])
    ]
    return [*news, *read_articles(DATA / "report_tricky.jsonl"), *family]


@pytest.fixture(scope="module")
def result(dedup: Deduplicator, batch: list[Article]) -> DedupResult:
    return dedup.check(batch)


@pytest.fixture(scope="module")
def report(result: DedupResult, batch: list[Article], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(result, batch, title="dedup browser test"), encoding="utf-8")
    return path


def _browse(chromium: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    profile.mkdir()
    out = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")[-2000:]
    return out


# -- a small DOM from chromium's --dump-dom ----------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, pred: Callable[[Node], bool]) -> list[Node]:
        return [n for n in self.iter() if pred(n)]

    def by_class(self, cls: str, tag: str | None = None) -> list[Node]:
        return self.find_all(lambda n: cls in n.classes and (tag is None or n.tag == tag))

    def by_id(self, ident: str) -> Node | None:
        found = self.find_all(lambda n: n.attrs.get("id") == ident)
        return found[0] if found else None

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for k in range(len(self.stack) - 1, 0, -1):
            if self.stack[k].tag == tag:
                del self.stack[k:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dump_dom(chromium: str, tmp: Path, url: str) -> Node:
    out = _browse(chromium, tmp, "--dump-dom", url)
    builder = _TreeBuilder()
    builder.feed(out.stdout.decode("utf-8"))
    builder.close()
    body = builder.root.find_all(lambda n: n.tag == "body")
    assert body, out.stdout[:500]
    assert builder.root.by_id("report-error") is None, builder.root.by_id("report-error").text()  # type: ignore[union-attr]
    assert body[0].attrs.get("data-ready") == "1", "the report's script did not finish"
    return builder.root


def covered(text_box: Node, cls: str) -> tuple[str, set[int]]:
    """The text of a .text box and the code-point positions inside <mark class=cls>."""
    pos = 0
    marked: set[int] = set()
    parts: list[str] = []
    for child in text_box.children:
        s = child if isinstance(child, str) else child.text()
        n = len(s)  # Python str length counts code points, as the offsets do
        if isinstance(child, Node) and child.tag == "mark" and cls in child.classes:
            marked.update(range(pos, pos + n))
        parts.append(s)
        pos += n
    return "".join(parts), marked


def spans_union(spans: list[tuple[int, int]], limit: int) -> set[int]:
    return {i for s, e in spans for i in range(max(0, s), min(e, limit))}


def specific_positions(text: str, specifics: list[str]) -> set[int]:
    """Where report.js marks specifics: numbers not inside longer numbers, other words anywhere."""
    out: set[int] = set()
    for sp in specifics:
        numeric = re.fullmatch(r"[0-9.]+%?", sp) is not None
        pattern = rf"(?<![0-9.]){re.escape(sp)}(?![0-9])" if numeric else re.escape(sp)
        for m in re.finditer(pattern, text):
            out.update(range(m.start(), m.end()))
    return out


def check_pair_view(view: Node, left: list[object], right: list[object], row: list[object] | None) -> None:
    """One side-by-side view: full texts shown, shared passages and one-sided specifics marked exactly."""
    sides = view.by_class("side", "div")
    assert len(sides) == 2
    flat: list[int] = list(row[4]) if row is not None else []  # type: ignore[call-overload]
    a_spans = [(flat[t], flat[t + 1]) for t in range(0, len(flat), 4)]
    b_spans = [(flat[t + 2], flat[t + 3]) for t in range(0, len(flat), 4)]
    swapped = row is not None and sides[0].attrs["data-post"] != left[0]
    assert not swapped  # the caller passes posts in display order
    spec_l, spec_r = left[6], right[6]
    assert isinstance(spec_l, list) and isinstance(spec_r, list)
    only = ([x for x in spec_l if x not in spec_r], [x for x in spec_r if x not in spec_l])
    for side, post, spans, one_sided in (
        (sides[0], left, a_spans, only[0]),
        (sides[1], right, b_spans, only[1]),
    ):
        assert side.attrs["data-post"] == post[0]
        (head,) = side.by_class("side-head", "div")
        assert head.text().endswith(str(post[4] or "(no title)"))  # the title, as text
        (box,) = side.by_class("text", "div")
        text, shared = covered(box, "shared")
        assert text == post[5]  # the whole text, exactly, as text
        assert shared == spans_union(spans, len(text))
        _, conflict = covered(box, "conflict")
        assert conflict == specific_positions(text, one_sided)


# -- the tests -------------------------------------------------------------------------------


def test_report_dom(chromium: str, report: Path, result: DedupResult, batch: list[Article], tmp_path: Path) -> None:
    dom = dump_dom(chromium, tmp_path, report.as_uri() + "#open=all")
    data = report_data(result, batch)
    posts = data["posts"]

    # summary
    (card,) = [n for n in dom.by_class("card") if n.attrs.get("data-key") == "stories"]
    assert card.text().startswith(str(len(result.stories)))

    # stories: first page, in order, each with its posts and an open side-by-side view
    story_list = dom.by_id("story-list")
    assert story_list is not None and story_list.attrs["data-total"] == str(len(result.stories))
    cards = dom.by_class("story", "article")
    assert len(cards) == min(PAGE_SIZE, len(result.stories)) > 0
    for card_node, story, sd in zip(cards, result.stories, data["stories"], strict=False):
        assert card_node.attrs["data-story"] == str(result.stories.index(story) + 1)
        (table,) = card_node.by_class("posts", "table")
        assert len(table.find_all(lambda n: n.tag == "tr")) == len(story.ids) + 1
        (view,) = card_node.by_class("pair-view", "div")
        rows = {(r[0], r[1]): r for r in sd["e"]}
        # posts 1 and 2 of the story are shown; the row may be stored either way round
        row = rows.get((0, 1))
        left, right = posts[sd["p"][0]], posts[sd["p"][1]]
        if row is None:
            back = rows[(1, 0)]
            row = [
                0,
                1,
                back[2],
                back[3],
                [n for t in range(0, len(back[4]), 4) for n in (*back[4][t + 2 : t + 4], *back[4][t : t + 2])],
            ]
        check_pair_view(view, left, right, row)
        assert view.by_class("shared", "mark"), "no shared passage highlighted"

    # template pairs: conflicting specifics marked in both posts
    template_list = dom.by_id("template-list")
    assert template_list is not None
    templates = template_list.by_class("template", "div")
    assert len(templates) == min(PAGE_SIZE, len(result.template_pairs)) > 0
    for node, row in zip(templates, data["templates"], strict=False):
        (view,) = node.by_class("pair-view", "div")
        check_pair_view(view, posts[row[0]], posts[row[1]], row)
        if row[5]:  # what sets the pair apart, as the pair's evidence says
            assert "differ in " + row[5] in node.text()
    assert sum(len(n.by_class("conflict", "mark")) for n in templates) > 0
    reasons = {(p.a, p.b): p.evidence.reason for p in result.template_pairs if p.evidence is not None}
    assert [row[5] for row in data["templates"]] == [
        reasons.get((posts[row[0]][0], posts[row[1]][0])) for row in data["templates"]
    ]
    assert any(row[5] for row in data["templates"])

    # template families: one entry per family, its size, accounts and example pairs
    family_nodes = dom.by_class("family", "div")
    assert len(family_nodes) == min(PAGE_SIZE, len(result.families)) > 0
    for node, family in zip(family_nodes, result.families, strict=False):
        assert f"{len(family.ids)} posts · {len(family.accounts)} account" in node.text()
        assert len(node.by_class("template", "div")) == len(family.pairs)  # open all: examples built

    # account matrix: every shown pair of accounts has a cell with its shared-story count
    stats = account_stats(batch, result)
    sharing = [s for s in stats if s.shared_stories]
    k = min(MATRIX_SIZE, len(sharing))
    assert k == len(sharing), "the fixture should fit in the default matrix"
    cells = dom.by_class("cell", "td")
    assert len(cells) == k * (k - 1)
    assert sum(int(c.attrs["data-n"]) for c in cells) == 2 * sum(p.stories for p in account_pairs(result))
    assert len(dom.by_class("diag", "td")) == k
    stats_table = dom.by_id("stats")
    assert stats_table is not None
    body_rows = [n for n in stats_table.find_all(lambda n: n.tag == "tr") if "data-account" in n.attrs]
    assert len(body_rows) == min(STATS_PAGE, len(stats))
    assert body_rows[0].attrs["data-account"] == stats[0].account  # sorted by copies, as account_stats

    # hostile text stayed text
    assert not dom.find_all(lambda n: n.tag == "img" or "onerror" in n.attrs)
    (title,) = dom.find_all(lambda n: n.tag == "title")
    assert title.text() == "dedup browser test"
    assert '岳麓区"融媒体"<中心>' in dom.text()


def test_filters_from_the_url(chromium: str, report: Path, result: DedupResult, tmp_path: Path) -> None:
    counts = {acc: sum(acc in s.accounts for s in result.stories) for s in result.stories for acc in s.accounts}
    busiest = max(sorted(counts), key=lambda a: counts[a])
    from urllib.parse import quote

    dom = dump_dom(chromium, tmp_path, report.as_uri() + "#account=" + quote(busiest))
    assert len(dom.by_class("story", "article")) == min(PAGE_SIZE, counts[busiest])
    dom = dump_dom(chromium, tmp_path, report.as_uri() + "#q=x-1")
    assert [c.attrs["data-story"] for c in dom.by_class("story", "article")] == [
        str(k + 1) for k, s in enumerate(result.stories) if "x-1" in s.ids
    ]


def test_screenshot(chromium: str, report: Path, tmp_path: Path) -> None:
    target_dir = Path(os.environ.get("DEDUP_ARTIFACTS_DIR") or tmp_path)
    target_dir.mkdir(parents=True, exist_ok=True)
    shot = target_dir / "report.png"
    shot.unlink(missing_ok=True)
    _browse(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", report.as_uri() + "#open=all")
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 2400)
    # A blank or unstyled page compresses to a few KB; the rendered report does not.
    assert len(png) > 50_000, len(png)
    shutil.copy(report, target_dir / "report.html")


# -- interactions: a script appended to the page clicks, hovers and records what changed ----------

_INTERACT = """<script>
(function () {
  const q = (s, root) => Array.from((root || document).querySelectorAll(s));
  const stories = () => q("article.story").map((a) => a.dataset.story);
  const out = { page1: stories() };
  q("#story-list .pager")[0].querySelector("button:last-child").click();
  out.page2 = stories();
  const card = q("article.story")[0];
  q("table.posts button", card)[2].click();  // compare post 3 with the original
  const view = () => card.querySelector(".pair-view");
  out.shown = q(".side", view()).map((s) => s.dataset.post);
  const right = card.querySelector("select.pick-right");
  right.value = "1";
  right.dispatchEvent(new Event("change"));
  out.changed = q(".side", view()).map((s) => s.dataset.post);
  const mark = view().querySelector(".side mark.shared");
  mark.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
  out.active = q("mark.shared.active", view()).map((m) => m.dataset.k);
  out.activeK = mark.dataset.k;
  const cell = q("td.cell").find((c) => c.title.startsWith(%(row)s + " × " + %(col)s + ":"));
  cell.click();
  out.cellStories = stories();
  out.chips = q("#story-filters .chip").length;
  document.body.dataset.interactions = JSON.stringify(out);
})();
</script>
</body>"""


def _synthetic() -> tuple[list[Article], DedupResult]:
    """45 made-up stories of three posts each, more than two pages."""
    from datetime import datetime, timedelta, timezone

    from dedup import Post, Story, Summary

    t0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    accounts = ["东湖街道", "西山社区", "南岭镇", "北塘村", "中心医院"]
    articles, stories = [], []
    for k in range(45):
        text = (
            f"{k % 12 + 1}月{k % 28 + 1}日上午，第{k + 1}网格志愿服务队走进社区开展便民服务活动。"
            f"队员们为居民义务理发{k + 10}人次，测量血压{k + 20}人次。\n活动受到居民一致好评。"
        )
        posts = []
        for j in range(3):
            pid = f"s{k:02d}-{j}"
            account = accounts[(k + j * (1 + k % 2)) % len(accounts)]
            when = t0 + timedelta(days=k, hours=3 * j)
            body = text if j == 0 else ("转自网络\n" * j) + text
            articles.append(Article(id=pid, text=body, account=account, published_at=when, title=f"便民服务{k}"))
            posts.append(Post(id=pid, account=account, published_at=when, title=f"便民服务{k}"))
        accs = tuple(dict.fromkeys(p.account for p in posts))
        stories.append(
            Story(
                ids=tuple(p.id for p in posts),
                original=posts[0].id,
                accounts=accs,
                posts=tuple(posts),
                pairs=(),
            )
        )
    summary = Summary(articles=len(articles), stories=45, copies=90, cross_account_stories=45)
    return articles, DedupResult(stories=tuple(stories), summary=summary)


def test_interactions(chromium: str, tmp_path: Path) -> None:
    import json

    articles, result = _synthetic()
    pairs = account_pairs(result)
    busiest = pairs[0]
    page = render_html(result, articles).replace(
        "</body>", _INTERACT % {"row": json.dumps(busiest.a), "col": json.dumps(busiest.b)}
    )
    path = tmp_path / "interact.html"
    path.write_text(page, encoding="utf-8")
    dom = dump_dom(chromium, tmp_path, path.as_uri())
    (body,) = dom.find_all(lambda n: n.tag == "body")
    assert "data-interactions" in body.attrs, "the interaction script did not finish"
    out = json.loads(body.attrs["data-interactions"])
    assert out["page1"] == [str(k) for k in range(1, PAGE_SIZE + 1)]
    assert out["page2"] == [str(k) for k in range(PAGE_SIZE + 1, 2 * PAGE_SIZE + 1)]
    first_on_page2 = result.stories[PAGE_SIZE]
    assert out["shown"] == [first_on_page2.ids[0], first_on_page2.ids[2]]
    assert out["changed"] == [first_on_page2.ids[0], first_on_page2.ids[1]]
    assert out["active"] and set(out["active"]) == {out["activeK"]} and len(out["active"]) >= 2
    both = [str(k + 1) for k, s in enumerate(result.stories) if {busiest.a, busiest.b} <= set(s.accounts)]
    assert len(both) == busiest.stories
    assert out["cellStories"] == both[:PAGE_SIZE]
    assert out["chips"] == 2
