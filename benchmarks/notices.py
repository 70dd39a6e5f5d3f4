"""Synthetic community notices written from templates: the generator and its scorer.

Local staff write every activity up from a template ("XX社区开展垃圾分类宣传活动"): two
*different* events written from one template share most of their wording and differ in
their specifics (day, community, counts, people), and must never be merged; true reposts
of one event on other accounts (boilerplate-wrapped, retitled, truncated, reworded) must
be caught. This module makes such batches with ground truth and scores a
``dedup check --format json`` output against them::

    python -m benchmarks.notices generate 10000 -o notices.jsonl.gz            # all templates
    python -m benchmarks.notices generate 10000 -o one.jsonl.gz --templates 1  # one template
    python -m benchmarks.notices generate 10000 -o copies.jsonl.gz --copies 0.3
    dedup check notices.jsonl.gz --format json --exit-zero -o pred.json
    python -m benchmarks.notices score notices.jsonl.gz pred.json [--json]

Each event is a distinct fill of one template of :mod:`benchmarks.notice_templates` or
:mod:`benchmarks.notice_services` (unit, day, co-organiser, place, counts, people,
phrase alternatives, optional sentences). Units (社区, 村, 街道 under made-up 街道 / 镇
and 区 / 县) are named from syllable lists, so most names are not in jieba's
dictionary; a unit keeps its secretary from one event to the next, as real units do.
*Hard* events (``--hard``, share of events) copy an earlier event of their template and
change only the day and the unit (``hard_kind`` ``place``) or only the day and one count
(``count``); both events of such a pair are marked ``hard``, and the copy carries
``sibling_of`` (read by ``../shared/tools/score.py`` as a template sibling).
``--copies F``: that share of events also get 1-3 reposts on department accounts within
0-3 days (``ops`` lists the edits).

Output fields: ``id, account, published_at, title, text, story, template, ops, hard,
hard_kind`` (and ``sibling_of``); ``story`` is the ground truth (one value per event).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from itertools import zip_longest
from pathlib import Path
from typing import Any

from benchmarks.notice_services import SERVICES
from benchmarks.notice_templates import SAFETY, NoticeTemplate
from dedup import ConfigError, DedupError, InputError

__all__ = ["OPS", "TEMPLATES", "generate", "main", "read_posts", "score", "write_posts"]

#: Every template, services and safety ones interleaved (``--templates K`` takes the first K).
TEMPLATES: tuple[NoticeTemplate, ...] = tuple(t for pair in zip_longest(SERVICES, SAFETY) for t in pair if t)
#: Edits a repost may carry (1-3 of them each).
OPS = ("boilerplate", "retitle", "punct", "truncate", "drop", "html", "synonyms")

_TZ = timezone(timedelta(hours=8))
_YEAR = 2024
_FIRST_DAY, _LAST_DAY = date(_YEAR, 3, 1), date(_YEAR, 11, 30)

# Syllables of place names: first / last characters (most pairs are not dictionary words).
_HEAD = (
    "桃梅竹松柏枫荷莲杏桂兰菊棠榆槐杨柳桑枣石金银玉珠星月云霞虹晴雪泉溪沙田禾稻麦谷丰盈兴旺昌盛康宁安平和泰"
    "福寿喜庆吉祥瑞龙凤鹤鹿燕莺雁鸿鹏马青白红黄紫丹锦华荣光明德仁义礼智信忠廉新东西南北观望清"
)
_MID = "山水花湖河江林园田坪塘沙石桥溪泉竹松枫桂荷梅"
_TAIL = "岭塘湾坪冲坡桥铺垸港洲湖园岗坝井渡庄寨亭湖口"
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤易伍"
)
_GIVEN = (
    "建国华明军平伟强磊洋勇艳杰娟涛超秀英丽敏静芳霞红玲燕桂兰萍鹏飞辉斌宇浩凯健俊帆旭宁龙林欣佳慧婷雪琳晨阳峰"
    "波刚亮文志海东春梅莉娜晶倩颖琴云彬鑫毅学德庆贵福荣珍凤秋冬"
)
_LEAD_ROLES = {
    "社区": ("社区党委书记", "社区党委书记、居委会主任", "社区居委会主任", "社区党总支书记"),
    "村": ("村党总支书记", "村党支部书记、村委会主任", "驻村第一书记", "村委会主任"),
    "街道": ("街道党工委副书记", "街道办事处副主任", "街道党工委委员"),
    "镇": ("镇党委副书记", "副镇长", "镇党委委员"),
}
_PLACES = (
    "{org}党群服务中心",
    "{org}新时代文明实践站",
    "{org}文化广场",
    "{estate}小区广场",
    "{org}居民活动中心",
    "{org}综合文化服务中心",
    "{estate}小区",
    "{org}会议室",
)
_DATE_STYLES = ("md", "md_am", "md_pm", "ymd", "ymd_am", "ymd_pm", "recent")
_DATE_WEIGHTS = (50, 12, 12, 8, 5, 5, 8)
_HEADERS = ("关注我们，了解更多资讯", "点击上方蓝字关注我们", "{acc}讯（通讯员 {e1}）", "[{acc}]")
_FOOTERS = (
    "来源：{src}\n编辑：{e1}\n审核：{e2}",
    "END\n喜欢就点个“在看”吧",
    "供稿：{src}\n责任编辑：{e1}",
    "初审：{e1}\n复审：{e2}\n终审：{e3}",
)
_OWN_FOOTERS = ("编辑：{e1}\n审核：{e2}", "供稿：{acc}\n编辑：{e1}", "文字：{e1}\n图片：{e2}\n审核：{e3}")
_TAGS = ("【基层动态】", "【社区动态】", "聚焦|", "[工作动态]", "【转载】", "【文明实践】", "基层传真｜")
_SYNONYMS = {
    "开展": "举办",
    "居民": "群众",
    "参加": "参与",
    "发放": "派发",
    "宣传资料": "宣传单",
    "表示": "说",
    "下一步": "接下来",
    "进一步": "更加",
    "此次": "本次",
    "本次": "此次",
    "积极": "踊跃",
    "详细": "仔细",
    "耐心": "细心",
    "提高": "提升",
    "增强": "强化",
    "持续": "不断",
    "纷纷": "都",
    "随后": "接着",
    "同时": "此外",
    "目前": "当前",
    "认真": "用心",
    "共同": "一起",
}
_HALF = str.maketrans({"，": ",", "。": ".", "：": ":", "（": "(", "）": ")", "；": ";", "！": "!", "？": "?"})
_OPTIONAL = re.compile(r"<([^<>]*)>")
_ALTERNATIVE = re.compile(r"\[([^\[\]]*)\]")
_DANGLING = re.compile(r"，(?:。|$)")
_SENTENCE = re.compile(r"[^。！？]*[。！？]”?|[^。！？]+$")


@dataclass(frozen=True, slots=True)
class _Unit:
    """A 社区 / 村 / 街道 that posts on its own account."""

    name: str
    org: str
    street: str
    district: str
    short: str
    lead: str
    lead_role: str
    estates: tuple[str, ...]


@dataclass(slots=True)
class _Event:
    """One activity: a fill of a template, rendered."""

    index: int
    template: NoticeTemplate
    unit: _Unit
    day: date
    style: str
    values: dict[str, str]
    style_seed: int
    title_index: int
    title: str = ""
    paragraphs: list[str] = field(default_factory=list)
    used: frozenset[str] = frozenset()
    hard_kind: str | None = None
    sibling_of: int | None = None

    @property
    def story(self) -> str:
        return f"e{self.index:06d}"


class _Used(dict[str, str]):
    """A format mapping that remembers which slots a pattern used."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.seen: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.seen.add(key)
        return super().__getitem__(key)


def _render(pattern: str, values: _Used, rng: random.Random) -> str:
    text = _OPTIONAL.sub(lambda m: m.group(1) if rng.random() < 0.65 else "", pattern)
    text = _ALTERNATIVE.sub(lambda m: rng.choice(m.group(1).split("|")), text)
    # A sentence whose optional tail was left out ends in its comma: close it.
    return _DANGLING.sub("。", text.format_map(values))


def _person(rng: random.Random) -> str:
    given = rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(_SURNAMES) + given


class _Names:
    """Distinct made-up place names."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def new(self, suffix: str) -> str:
        while True:
            r = self.rng.random()
            head = self.rng.choice(_HEAD)
            if r < 0.45:
                stem = head + self.rng.choice(_TAIL)
            elif r < 0.85:
                stem = head + self.rng.choice(_MID) + self.rng.choice(_TAIL)
            else:
                stem = head + self.rng.choice(_HEAD)
            if stem not in self.seen:
                self.seen.add(stem)
                return stem + suffix


def _geography(rng: random.Random, districts: int = 12) -> list[_Unit]:
    """Made-up districts, their streets and towns, and the units below them."""
    names = _Names(rng)
    units: list[_Unit] = []

    def unit(name: str, org: str, street: str, district: str) -> _Unit:
        estates = tuple(names.new(rng.choice(("园", "苑", "花园", "家园", "新村", "府"))) for _ in range(3))
        return _Unit(name, org, street, district, district[:-1], _person(rng), rng.choice(_LEAD_ROLES[org]), estates)

    for _ in range(districts):
        district = names.new(rng.choice("区区区县"))
        for k in range(10):
            street = names.new("街道" if k < 6 else "镇")
            units.append(unit(street, street[-2:] if k < 6 else "镇", street, district))
            below, org = ("社区", "社区") if k < 6 else ("村", "村")
            for _ in range(rng.randint(8, 14)):
                units.append(unit(names.new(below), org, street, district))
    return units


def _count(rng: random.Random, lo: int, hi: int) -> str:
    n = rng.randint(lo, hi)
    if lo >= 20 and hi >= 100 and rng.random() < 0.3:
        if n >= 100 and rng.random() < 0.6:
            n = n // 10 * 10
        return f"{n}余"
    return str(n)


def _day(rng: random.Random, template: NoticeTemplate) -> date:
    first = max(_FIRST_DAY, date(_YEAR, template.months[0], 1))
    end_month = template.months[1]
    after = date(_YEAR + (end_month == 12), end_month % 12 + 1, 1)
    last = min(_LAST_DAY, after - timedelta(days=1))
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _date_text(day: date, style: str) -> str:
    if style == "recent":
        return "近日"
    text = f"{day.month}月{day.day}日"
    if style.startswith("y"):
        text = f"{day.year}年{text}"
    return text + {"am": "上午", "pm": "下午"}.get(style.rsplit("_", 1)[-1], "")


def _geo_values(unit: _Unit) -> dict[str, str]:
    return {
        "unit": unit.name,
        "org": unit.org,
        "self": {"村": "该村", "镇": "该镇"}.get(unit.org, unit.org),
        "street": unit.street,
        "district": unit.district,
        "short": unit.short,
        "estate": unit.estates[0],
    }


def _fill(rng: random.Random, template: NoticeTemplate, unit: _Unit) -> dict[str, str]:
    """The event's own values: counts, choices, people, co-organiser, place."""
    geo = _geo_values(unit)
    geo["estate"] = rng.choice(unit.estates)
    values = {name: _count(rng, lo, hi) for name, lo, hi in template.counts}
    for names, options in template.choices:
        picked = rng.choice(options).format_map(geo).split("|")
        values.update(zip(names.split("|"), picked, strict=True))
    values.update(
        estate=geo["estate"],
        co=rng.choice(template.co).format_map(geo),
        place=rng.choice(_PLACES).format_map(geo),
        lead=unit.lead,
        lead_role=unit.lead_role,
        staff=_person(rng),
        staff_role=rng.choice(template.staff_roles),
        resident=_person(rng),
        age=str(rng.randint(62, 93)),
    )
    return values


def _draw(event: _Event) -> _Event:
    """Render the event's title and paragraphs (same style seed: same picks)."""
    rng = random.Random(event.style_seed)
    values = _Used({**event.values, **_geo_values(event.unit), "date": _date_text(event.day, event.style)})
    values["estate"] = event.values["estate"]
    paragraphs = (_render(p, values, rng) for p in event.template.body)
    event.paragraphs = [p for p in paragraphs if p]
    event.title = event.template.titles[event.title_index].format_map(values)
    event.used = frozenset(values.seen)
    return event


class _Maker:
    """Makes events: plain fills, and hard siblings of earlier ones."""

    def __init__(self, rng: random.Random, units: list[_Unit]) -> None:
        self.rng = rng
        self.units = units
        self.by_kind: dict[tuple[str, str], list[_Unit]] = defaultdict(list)
        for u in units:
            self.by_kind[(u.district, u.org)].append(u)
        self.taken: set[tuple[str, str, date]] = set()
        self.bases: dict[str, list[_Event]] = defaultdict(list)

    def _free_day(self, template: NoticeTemplate, unit: _Unit, avoid: date | None = None) -> date | None:
        for _ in range(50):
            day = _day(self.rng, template)
            if day != avoid and (template.key, unit.name, day) not in self.taken:
                return day
        return None

    def plain(self, index: int, template: NoticeTemplate) -> _Event:
        rng = self.rng
        for _ in range(1000):
            unit = rng.choice(self.units)
            day = self._free_day(template, unit)
            if day is not None:
                break
        else:
            msg = f"too many events for template {template.key!r}: its units and days are used up"
            raise ConfigError(msg)
        self.taken.add((template.key, unit.name, day))
        style = rng.choices(_DATE_STYLES, _DATE_WEIGHTS)[0]
        event = _Event(
            index,
            template,
            unit,
            day,
            style,
            _fill(rng, template, unit),
            rng.getrandbits(32),
            rng.randrange(len(template.titles)),
        )
        _draw(event)
        if style != "recent":
            self.bases[template.key].append(event)
        return event

    def sibling(self, index: int, template: NoticeTemplate) -> _Event | None:
        """An event differing from an earlier one only in day + unit, or day + one count."""
        if not self.bases[template.key]:
            return None
        rng = self.rng
        base = rng.choice(self.bases[template.key])
        counts = sorted(name for name, _, _ in template.counts if name in base.used)
        kind = "count" if counts and rng.random() < 0.5 else "place"
        values = dict(base.values)
        unit = base.unit
        if kind == "place":
            peers = [u for u in self.by_kind[(base.unit.district, base.unit.org)] if u != base.unit]
            unit = rng.choice(peers)
        else:
            name = rng.choice(counts)
            lo, hi = next((lo, hi) for n, lo, hi in template.counts if n == name)
            while values[name] == base.values[name] and hi > lo:
                values[name] = _count(rng, lo, hi)
        day = self._free_day(template, unit, avoid=base.day)
        if day is None:
            return None
        self.taken.add((template.key, unit.name, day))
        event = replace(base, index=index, unit=unit, day=day, values=values, hard_kind=kind, sibling_of=base.index)
        base.hard_kind = base.hard_kind or kind
        return _draw(event)


def _editors(seed: int, account: str) -> dict[str, str]:
    """An account's own editors: the same names on all its posts."""
    rng = random.Random(f"{seed}/{account}")
    return {f"e{k}": _person(rng) for k in (1, 2, 3)}


def _stamp(day: date, rng: random.Random, *, days: int) -> datetime:
    when = datetime(day.year, day.month, day.day, tzinfo=_TZ) + timedelta(days=rng.randint(0, days))
    return when + timedelta(hours=rng.randint(8, 21), minutes=rng.randint(0, 59))


def _original(event: _Event, rng: random.Random, seed: int) -> dict[str, Any]:
    account = event.unit.name
    text = "\n".join(event.paragraphs)
    if rng.random() < 0.3:
        footer = rng.choice(_OWN_FOOTERS).format(acc=account, **_editors(seed, account))
        text = f"{text}\n{footer}"
    return {
        "id": f"n{event.index:06d}",
        "account": account,
        "published_at": _stamp(event.day, rng, days=2).isoformat(),
        "title": event.title,
        "text": text,
    }


def _drop_sentence(rng: random.Random, paragraphs: list[str]) -> list[str]:
    sentences = [(i, s) for i, p in enumerate(paragraphs) for s in _SENTENCE.findall(p) if s]
    if len(sentences) < 3:
        return paragraphs
    del sentences[rng.randrange(1, len(sentences))]
    out: list[list[str]] = [[] for _ in paragraphs]
    for i, s in sentences:
        out[i].append(s)
    return ["".join(p) for p in out if p]


def _reword(rng: random.Random, text: str) -> str:
    present = [w for w in _SYNONYMS if w in text]
    if not present:
        return text
    chosen = rng.sample(present, k=min(len(present), rng.randint(2, 5)))
    pattern = re.compile("|".join(sorted(map(re.escape, chosen), key=len, reverse=True)))
    return pattern.sub(lambda m: _SYNONYMS[m.group(0)], text)


def _retitle(rng: random.Random, event: _Event) -> str:
    others = [k for k in range(len(event.template.titles)) if k != event.title_index]
    r = rng.random()
    title = event.title
    if others and r >= 0.5:
        values = {**event.values, **_geo_values(event.unit)}
        title = event.template.titles[rng.choice(others)].format_map(values)
    return title if 0.5 <= r < 0.8 and others else rng.choice(_TAGS) + title


def _repost(
    event: _Event, original: dict[str, Any], k: int, account: str, rng: random.Random, seed: int
) -> dict[str, Any]:
    ops = rng.sample(OPS, k=rng.choice((1, 1, 2, 2, 3)))
    paragraphs = list(event.paragraphs)
    if "drop" in ops:
        paragraphs = _drop_sentence(rng, paragraphs)
    text = "\n".join(paragraphs)
    if "synonyms" in ops:
        text = _reword(rng, text)
    if "truncate" in ops:
        text = text[: rng.randint(80, 200)].rstrip() + "…"
    if "punct" in ops:
        text = text.translate(_HALF)
    if "boilerplate" in ops:
        names = {"acc": account, "src": event.unit.name, **_editors(seed, account)}
        text = f"{rng.choice(_HEADERS).format(**names)}\n{text}\n{rng.choice(_FOOTERS).format(**names)}"
    if "html" in ops:
        style = rng.choice(("", ' style="text-indent:2em"', ' class="rich_media_p"'))
        text = "".join(f"<p{style}>{p}</p>" for p in text.split("\n"))
    title = _retitle(rng, event) if "retitle" in ops else original["title"]
    when = datetime.fromisoformat(original["published_at"]) + timedelta(hours=rng.randint(1, 72))
    return {
        "id": f"{original['id']}-r{k}",
        "account": account,
        "published_at": when.isoformat(),
        "title": title,
        "text": text,
        "ops": [op for op in OPS if op in ops],
    }


def _repost_accounts(event: _Event) -> list[str]:
    unit = event.unit
    geo = _geo_values(unit)
    pool = [d.format_map(geo) for d in event.template.depts]
    if unit.org in ("社区", "村"):
        pool.append(unit.street)
    return sorted(set(pool) - {unit.name})


def _choose_templates(templates: int | None) -> tuple[NoticeTemplate, ...]:
    if templates is None:
        return TEMPLATES
    if not 1 <= templates <= len(TEMPLATES):
        msg = f"templates must be between 1 and {len(TEMPLATES)}, got {templates}"
        raise ConfigError(msg)
    return TEMPLATES[:templates]


def generate(
    n: int,
    *,
    templates: int | None = None,
    copies: float = 0.0,
    hard: float = 0.05,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Generate ``n`` template notices with their ground truth.

    Parameters
    ----------
    n : int
        Posts to make (originals and reposts together), at least 0.
    templates : int, optional
        Use the first this many templates (1 to ``len(TEMPLATES)``); default all.
    copies : float
        Share in [0, 1] of events that also get 1-3 reposts on other accounts.
    hard : float
        Share in [0, 1] of events that copy an earlier event of their template and change
        only the day and the unit, or only the day and one count.
    seed : int
        Random seed; the same arguments give the same posts.

    Returns
    -------
    list of dict
        Posts in publication order, each with ``id, account, published_at, title, text,
        story, template, ops, hard, hard_kind`` and, for hard siblings, ``sibling_of``.

    Raises
    ------
    dedup.ConfigError
        When an argument is out of range.

    Examples
    --------
    >>> posts = generate(3, seed=1)
    >>> len(posts), len({p["story"] for p in posts}), posts[0]["ops"]
    (3, 3, ['original'])
    """
    if n < 0:
        msg = f"n must be at least 0, got {n}"
        raise ConfigError(msg)
    for name, value in (("copies", copies), ("hard", hard)):
        if not 0.0 <= value <= 1.0:
            msg = f"{name} must be in [0, 1], got {value}"
            raise ConfigError(msg)
    chosen = _choose_templates(templates)
    rng = random.Random(seed)
    maker = _Maker(rng, _geography(random.Random(f"geography/{seed}")))
    events: list[_Event] = []
    posts: list[tuple[int, dict[str, Any]]] = []
    while len(posts) < n:
        template = rng.choice(chosen)
        index = len(events)
        event = maker.sibling(index, template) if rng.random() < hard else None
        event = event or maker.plain(index, template)
        events.append(event)
        original = _original(event, rng, seed)
        posts.append((index, {**original, "ops": ["original"]}))
        if copies and rng.random() < copies:
            pool = _repost_accounts(event)
            accounts = rng.sample(pool, k=min(len(pool), rng.choice((1, 1, 1, 2, 2, 3))))
            posts.extend((index, _repost(event, original, k, acc, rng, seed)) for k, acc in enumerate(accounts, 1))
    out = []
    for index, post in posts[:n]:
        event = events[index]
        post.update(story=event.story, template=event.template.key, hard=event.hard_kind is not None)
        post["hard_kind"] = event.hard_kind
        if event.sibling_of is not None:
            post["sibling_of"] = events[event.sibling_of].story
        out.append(post)
    out.sort(key=lambda p: (p["published_at"], p["id"]))
    return out


def write_posts(posts: Iterable[Mapping[str, Any]], path: str | Path) -> None:
    """Write posts as JSONL (gzip-compressed when the name ends in ``.gz``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as fh:
        for p in posts:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")


def read_posts(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL file written by :func:`write_posts` (plain or ``.gz``)."""
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    out = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    msg = f"not valid JSON: {exc}"
                    raise InputError(msg, path=str(path), lineno=lineno) from exc
    return out


def _groups(predicted: Mapping[str, Any] | Sequence[Any]) -> Iterator[list[str]]:
    stories = predicted["stories"] if isinstance(predicted, Mapping) else predicted
    for story in stories:
        ids = story["ids"] if isinstance(story, Mapping) else story
        yield [str(i) for i in ids]


def _pairs(sizes: Iterable[int]) -> int:
    return sum(k * (k - 1) // 2 for k in sizes)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def score(labels: Iterable[Mapping[str, Any]], predicted: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any]:
    """Score predicted stories against the generator's ground truth.

    Parameters
    ----------
    labels : iterable of mapping
        The generated posts (``id``, ``story``; ``hard`` and ``ops`` when present).
    predicted : mapping or sequence
        ``dedup check --format json`` output (``{"stories": [{"ids": [...]}, ...]}``), or
        a list of id groups. Posts in no group are alone.

    Returns
    -------
    dict
        ``posts``, ``events``; ``predicted_stories`` (groups of two or more posts) and
        ``posts_in_stories`` (with ``_share``); ``wrongly_merged`` (posts sharing a
        predicted story with a post of another event, with ``_share`` of all posts),
        ``mixed_stories`` and ``largest_mixed_story``; the same for ``hard`` posts and the
        ``plain`` rest (``hard_wrongly_merged``, ``plain_wrongly_merged`` and their shares
        of the hard / plain posts); ``true_pairs``, ``predicted_pairs``, ``found_pairs``,
        ``pair_recall`` and ``pair_precision`` (``None`` when undefined); ``reposts`` and
        ``reposts_with_original`` (reposts in the original's predicted story).

    Raises
    ------
    dedup.InputError
        When a label lacks ``id`` or ``story``, an id repeats, or a predicted id is
        unknown or in two groups.

    Examples
    --------
    >>> labels = [{"id": "a", "story": "1"}, {"id": "b", "story": "1"}, {"id": "c", "story": "2"}]
    >>> s = score(labels, {"stories": [{"ids": ["a", "b", "c"]}]})
    >>> s["wrongly_merged"], s["pair_recall"], s["pair_precision"]
    (3, 1.0, 0.3333)
    """
    truth: dict[str, str] = {}
    hard: set[str] = set()
    originals: dict[str, str] = {}
    for k, rec in enumerate(labels, 1):
        if "id" not in rec or "story" not in rec:
            msg = "missing id or story"
            raise InputError(msg, lineno=k)
        pid, story = str(rec["id"]), str(rec["story"])
        if pid in truth:
            msg = f"duplicate id {pid!r}"
            raise InputError(msg, lineno=k, field="id")
        truth[pid] = story
        if rec.get("hard"):
            hard.add(pid)
        if rec.get("ops", ["original"]) == ["original"]:
            originals.setdefault(story, pid)
    group_of: dict[str, int] = {}
    groups = [g for g in _groups(predicted) if g]
    for gi, ids in enumerate(groups):
        for pid in ids:
            if pid not in truth:
                msg = f"predicted id {pid!r} is not in the labels"
                raise InputError(msg)
            if pid in group_of:
                msg = f"predicted id {pid!r} is in two stories"
                raise InputError(msg)
            group_of[pid] = gi
    wrong: set[str] = set()
    mixed_sizes = []
    found = 0
    for ids in groups:
        stories = Counter(truth[i] for i in ids)
        found += _pairs(stories.values())
        if len(stories) > 1:
            wrong.update(ids)
            mixed_sizes.append(len(ids))
    story_sizes = Counter(truth.values())
    true_pairs = _pairs(story_sizes.values())
    predicted_pairs = _pairs(len(g) for g in groups)
    reposts = [p for p in truth if p not in originals.values()]
    with_original = sum(
        1
        for p in reposts
        if truth[p] in originals and p in group_of and group_of.get(originals[truth[p]]) == group_of[p]
    )
    posts, n_hard = len(truth), len(hard)
    in_stories = sum(len(g) for g in groups if len(g) > 1)
    return {
        "posts": posts,
        "events": len(story_sizes),
        "predicted_stories": sum(1 for g in groups if len(g) > 1),
        "posts_in_stories": in_stories,
        "posts_in_stories_share": _share(in_stories, posts),
        "wrongly_merged": len(wrong),
        "wrongly_merged_share": _share(len(wrong), posts),
        "mixed_stories": len(mixed_sizes),
        "largest_mixed_story": max(mixed_sizes, default=0),
        "hard_posts": n_hard,
        "hard_wrongly_merged": len(wrong & hard),
        "hard_wrongly_merged_share": _share(len(wrong & hard), n_hard),
        "plain_posts": posts - n_hard,
        "plain_wrongly_merged": len(wrong - hard),
        "plain_wrongly_merged_share": _share(len(wrong - hard), posts - n_hard),
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
        "found_pairs": found,
        "pair_recall": round(found / true_pairs, 4) if true_pairs else None,
        "pair_precision": round(found / predicted_pairs, 4) if predicted_pairs else None,
        "reposts": len(reposts),
        "reposts_with_original": with_original,
    }


def _report(s: Mapping[str, Any]) -> str:
    def pct(part: int, whole: int) -> str:
        return f"{part:,} ({100 * part / whole:.2f}%)" if whole else f"{part:,}"

    lines = [
        f"posts: {s['posts']:,} ({s['events']:,} events, {s['hard_posts']:,} hard posts)",
        f"posts in a predicted story of several posts: {pct(s['posts_in_stories'], s['posts'])}"
        f" in {s['predicted_stories']:,} stories",
        f"posts wrongly merged (in a story with another event's post): {pct(s['wrongly_merged'], s['posts'])}"
        f" in {s['mixed_stories']:,} stories (largest {s['largest_mixed_story']:,} posts)",
        f"  hard posts: {pct(s['hard_wrongly_merged'], s['hard_posts'])};"
        f" other posts: {pct(s['plain_wrongly_merged'], s['plain_posts'])}",
    ]
    if s["true_pairs"]:
        lines.append(
            f"true copy pairs found: {s['found_pairs']:,} of {s['true_pairs']:,} (pair recall {s['pair_recall']});"
            f" pair precision {s['pair_precision']} ({s['predicted_pairs']:,} predicted pairs)"
        )
        lines.append(f"reposts in their original's story: {pct(s['reposts_with_original'], s['reposts'])}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``generate`` or ``score``; exit 0, or 2 on an error."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.notices", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write N synthetic template notices as JSONL")
    gen.add_argument("n", type=int, help="posts to make")
    gen.add_argument("-o", "--output", required=True, help="output .jsonl or .jsonl.gz")
    gen.add_argument("--templates", type=int, help=f"use the first K of the {len(TEMPLATES)} templates (default: all)")
    gen.add_argument("--copies", type=float, default=0.0, help="share of events with 1-3 reposts (default 0)")
    gen.add_argument("--hard", type=float, default=0.05, help="share of hard sibling events (default 0.05)")
    gen.add_argument("--seed", type=int, default=0)
    sc = sub.add_parser("score", help="score a `dedup check --format json` output against a generated file")
    sc.add_argument("labels", help="the generated .jsonl[.gz]")
    sc.add_argument("predicted", help="the JSON `dedup check --format json` wrote")
    sc.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            posts = generate(args.n, templates=args.templates, copies=args.copies, hard=args.hard, seed=args.seed)
            write_posts(posts, args.output)
            events = len({p["story"] for p in posts})
            hard = sum(p["hard"] for p in posts)
            used = len({p["template"] for p in posts})
            print(
                f"{len(posts)} posts ({events} events, {used} templates, {len(posts) - events} reposts,"
                f" {hard} hard posts) -> {args.output}",
                file=sys.stderr,
            )
        else:
            with open(args.predicted, encoding="utf-8") as fh:
                predicted = json.load(fh)
            figures = score(read_posts(args.labels), predicted)
            print(json.dumps(figures, indent=2) if args.json else _report(figures))
    except (DedupError, OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        print(f"notices: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
