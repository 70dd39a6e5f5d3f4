"""Event keys: the words that tell one event from another written from the same formula.

Two posts of one story may word things differently; two *different* events written
from one template ("XX社区开展垃圾分类宣传活动") share the wording and differ in a few
slots: the day, a count, an ordinal, the community, the person, the quoted title. An
event key is a word that fills such a slot:

* ``NUMBER``: a number (digits or Chinese numerals, compared by its digits): days,
  years, counts, amounts, ordinals (第三次 / 第3次), anniversaries;
* ``NAME``: a person, place or organisation: a dictionary place or organisation
  (jieba ``ns``/``nt``), a person's name (a dictionary name or an unknown word of
  two or three characters starting with a common surname), or the word before a place
  suffix (…社区, …村, …街道, …镇: local names are keys whether or not the dictionary
  knows them);
* ``TITLE``: a quoted title (《…》), the whole event of a short notice
  ("播发央视快评《…》");
* ``DAY``: the month and day of a dateline (新华社北京3月5日电, 新浪娱乐讯 北京时间11月5日消息):
  the day the report was filed. Reports of one event are filed within days of each other,
  so two datelines conflict only when further apart than a few days;
* ``WEEKDAY``: a weekday (周五, 星期五), which names no date: it conflicts with another
  weekday only, not with a date (one report's 周五 is the other's 11月2日);
* ``LIKELY_NAME``: a word the dictionary tags as a person's name (``nr``) that is not
  shaped like a Chinese one: a transliterated guest (赛义德), but also a phrase the
  dictionary mis-tags (广大群众). It conflicts only where the same substitution of it and
  another name recurs, in slots holding that name alone: a template's person slot is
  filled wherever the person is named (陪同X访华, X在习近平陪同下, X是应邀…); an edit
  is not made that way.

Other keys of a byline or dateline (the clause of 记者, 通讯员, 电, 讯 …) are attribution, and words
of either post's account name are framing (长沙县民政局高度重视…): neither conflicts.

:func:`key_conflicts` aligns two posts' word sequences and finds the *slots* where
both posts have keys of one kind and they differ: short substitutions inside shared
wording. Missing is not conflicting (a truncated copy lacks keys, a rewrite adds some),
a long rewritten passage is not a slot, and two spellings of one key (2.2% / 2.2,
two segmentations of one name) are one key.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz.distance import Indel

from dedup.specifics import chinese_number, specific_form

if TYPE_CHECKING:
    from dedup.features import Features

__all__ = [
    "ATTRIBUTION",
    "CREDITS",
    "LIKELY_NAME",
    "NAME",
    "NUMBER",
    "PLACE_SUFFIXES",
    "TITLE",
    "WEEKDAY",
    "Conflict",
    "key_conflicts",
    "word_key",
    "word_key_of",
]

#: Key kinds.
NUMBER = 1
NAME = 2
TITLE = 3
DAY = 4
WEEKDAY = 5
LIKELY_NAME = 6

#: Words after which the word before them names a place (…社区, …村 …).
PLACE_SUFFIXES = frozenset(
    {"社区", "村", "街道", "镇", "乡", "小区", "居委会", "村委会", "片区", "网格", "县", "区", "街", "苑", "村民委员会"}
)
#: Words marking a byline or dateline clause (attribution, not event).
ATTRIBUTION = frozenset(
    {"记者", "通讯员", "实习生", "摄影", "摄", "编辑", "责编", "作者", "供稿", "撰稿", "来源", "讯", "电", "报道", "图"}
    | {"日电", "日讯", "电讯", "报讯", "本报讯", "网讯"}  # jieba keeps a dateline's 5日电 as 5 + 日电
    | {"转载", "转载自", "转自", "摘自", "出处"}  # a repost's credit: where each copy came from
)
#: Attribution markers whose clause runs on past a colon to the credited name (来源：某某社区).
CREDITS = frozenset(
    {
        "记者",
        "通讯员",
        "实习生",
        "摄影",
        "编辑",
        "责编",
        "作者",
        "供稿",
        "撰稿",
        "来源",
        "转载",
        "转载自",
        "转自",
        "摘自",
    }
    | {"出处", "图", "摄"}
)
# Dictionary tags of places and organisations ("nr" is checked apart: jieba's dictionary
# tags many common phrases nr, such as 广大群众; "nz" holds idioms such as 新年伊始).
_PLACE_TAGS = frozenset({"ns", "nt", "nrt", "nrfg"})
# Common Chinese surnames (the first character of a person's name).
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
# Characters an unknown word (one jieba's HMM glued) does not start or end with when it
# is a name: grammar, counts and pronouns (余人, 而恒, 系口, 我妈, 之战, 已向).
_NOT_NAME_EDGE = frozenset(
    "之的了着过在和与及或而且也都就又还再更很最将把被让给对从自向于以为由因所但却则即其该此这那它他她我你们个"
    "上下中里等有没不已曾会能可要应如若虽然另啊吧呢吗嘛哦系并乃仍均皆既亦才刚便只余多名位人次年月日号届期批轮"
    "第每各本约近共达超一二两三四五六七八九十百千万亿"
)
_ALL_HAN = re.compile("^[\u4e00-\u9fff]+$")
_ASCII_DIGIT = re.compile("[0-9]")
# Multipliers of an amount: 万 and 亿 (and 万亿), the units Chinese amounts are counted in.
_MULTIPLIERS = MappingProxyType({"万": 10_000, "亿": 100_000_000})
# 万亿亿: more multipliers than an amount has is no amount (and would overflow a float).
_MAX_SCALE = 10**16
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MONTH_DAYS_LEAP = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# A thousands group a separator split off a number (1,555,508,410 → 1 555 508 410).
_GROUP = re.compile(r"^\d{3}(?:\.\d+)?$")
# A word that is only a multiplier and its counter (万元, 亿股, 万人): jieba splits
# "2.5万元" into 2.5 and 万元.
_MULTIPLIER_WORD = re.compile(
    "^(?:[万亿]|万亿)(?:元|美元|欧元|港元|股|人|人次|户|吨|亩|辆|件|份|次|个|名|台|套|平方米|立方米|余|多|"
    "千瓦|千瓦时|千克|千米|千伏|千帕|千卡|千焦|千赫|兆瓦|兆瓦时)?$"
)
# A weekday names no date (周五 and 11月2日 may be one day): a key of its own kind.
_WEEKDAY = re.compile("(?:周|星期|礼拜)([一二三四五六日天1-7])$")
_WEEKDAYS = MappingProxyType(dict(zip("一二三四五六日天1234567", "12345677" + "1234567", strict=True)))
# Units whose 千 or 兆 is a prefix, not a count (千瓦 is kilowatt, not 1000 瓦).
_PREFIXED_UNIT = re.compile("^(?:千瓦|千瓦时|千克|千米|千伏|千帕|千卡|千焦|千赫|兆瓦|兆瓦时|兆赫|兆帕)$")
_NUMERAL_RUN = re.compile("[零〇一二两三四五六七八九十百千万亿]+")
# A key the other post also has together with this many words around it (the key and
# its next, or previous, words) is that post's own key, not one substituted for.
_CONTEXT_WORDS = 4

# A dateline stands in a report's first words (after a repost's 原标题 line or a page's
# teaser at most).
_DATELINE_WORDS = 100

#: A conflicting slot: the keys only the first post has there, and those only the second has.
Conflict = tuple[tuple[str, ...], tuple[str, ...]]


def _digits(word: str) -> str:
    """Chinese numerals inside a word written with digits: 第三次 → 第3次, 三月 → 3月."""

    def value(m: re.Match[str]) -> str:
        if not m.group().strip("万亿"):
            return m.group()  # a multiplier alone is no number (万达, 亿万)
        number = chinese_number(m.group())
        return str(number) if number is not None else m.group()

    return _NUMERAL_RUN.sub(value, word)


def _multiplier_after(word: str) -> str:
    """The 万 and 亿 right after the last digit of ``word`` (``""`` if none): 5万人 → 万."""
    m = re.search("[0-9.]([万亿]+)[^0-9]*$", word) or re.match("^([万亿]+)", word)
    return m.group(1) if m else ""


def word_key(word: str, tag: Callable[[str], str]) -> tuple[int, str] | None:
    """The key kind and canonical form of one word, or ``None`` when it is no key.

    A number's canonical form is its digits (and decimal point): 第三次, 3次 and 3 are
    one key, and so are 2.2% and 2.2.

    Examples
    --------
    >>> tags = {"北京": "ns", "开展": "v", "广大群众": "nr"}.get
    >>> tag = lambda w: tags(w, "unk")
    >>> words = ("十二", "第三次", "北京", "开展", "余人", "罗学军", "一位", "广大群众", "2.2%")
    >>> [word_key(w, tag) for w in words]
    [(1, '12'), (1, '3'), (2, '北京'), None, None, (2, '罗学军'), None, (6, '广大群众'), (1, '2.2')]
    >>> word_key("000", tag)  # digits as written: a separator may split 2,000 into 2 and 000
    (1, '000')
    """
    return word_key_of(word, specific_form(word, tag), tag)


def word_key_of(word: str, spec: str | None, tag: Callable[[str], str]) -> tuple[int, str] | None:
    """:func:`word_key`, given the word's :func:`~dedup.specifics.specific_form` ``spec``.

    For callers that need both (the vocabulary learns each distinct token once);
    ``spec`` must be ``specific_form(word, tag)``.

    Examples
    --------
    >>> word_key_of("第三次", specific_form("第三次", lambda w: "m"), lambda w: "m")
    (1, '3')
    """
    weekday = _WEEKDAY.search(word)
    if weekday:
        return WEEKDAY, "周" + _WEEKDAYS[weekday.group(1)]
    if _ASCII_DIGIT.search(word):
        # Digits as written (specifics drop leading zeros: 7 00 would become 7 0), and the
        # multiplier written after them (5万 is 50000, not 5).
        digits = "".join(ch for ch in word if "0" <= ch <= "9" or ch == ".").strip(".")
        return (NUMBER, digits + _multiplier_after(word)) if digits else None
    if _PREFIXED_UNIT.match(word):
        return None
    if _MULTIPLIER_WORD.match(word):
        # A multiplier word after a number written apart (2.5 万元, 15.555 亿股).
        return NUMBER, _multiplier_after(word)
    if not word.strip("万亿"):
        return None  # 万万 (没想到), 亿万: no amount
    if spec is None:
        return None
    canonical = _digits(spec)
    if any(ch.isdigit() for ch in canonical):
        # 一 / 两 as an article (一位, 两个, 一次) is grammar; 第一次 and the digit 1 are not.
        article = not word.startswith("第") and not any(ch.isdigit() for ch in word)
        if article and "".join(_NUMERAL_RUN.findall(word)) in ("一", "两", "二"):
            return None
        digits = "".join(ch for ch in canonical if ch.isdigit() or ch == ".").strip(".")
        return (NUMBER, digits) if digits else None
    if not _ALL_HAN.match(word) or word[0] in _NOT_NAME_EDGE or word[-1] in _NOT_NAME_EDGE:
        return None
    t = tag(word)
    # Places and organisations from the dictionary, and people's names: a dictionary
    # name or an unknown word shaped like one (a surname and one or two characters).
    # Other unknown words are mostly what jieba's HMM glued at an edit (发微, 博称);
    # local names the dictionary lacks are keys by their place suffix instead.
    if t in _PLACE_TAGS or (t in ("nr", "unk") and 2 <= len(word) <= 3 and word[0] in _SURNAMES):
        return NAME, word
    if t == "nr" and 2 <= len(word) <= 4:
        return LIKELY_NAME, word
    return None


def key_conflicts(
    a: Features,
    b: Features,
    *,
    max_slot: int,
    name_similarity: float = 0.5,
    name_recurrence: int = 2,
    title_similarity: float = 0.75,
    dateline_days: float = 3.0,
) -> list[Conflict]:
    """The slots where both posts have event keys of one kind and they differ.

    The word sequences are aligned (longest common subsequence). Between two shared
    runs holding at least three words together (or a shared run and the start or end
    of both posts), the words only ``a`` has and those only ``b`` has fill one slot. A
    slot conflicts when both sides are at most ``max_slot`` words, both hold keys of one
    kind, and those keys differ: numbers by their digits in order (2,000 and 2000 agree,
    and so do a year and its short form), names and titles by their text, when its
    similarity (RapidFuzz Indel, in [0, 1]) is under ``name_similarity`` or
    ``title_similarity`` (two segmentations of one name, a title with a word changed,
    are one key), datelines when their days are more than ``dateline_days`` apart (a
    rewrite filed the next day is the same event). A ``LIKELY_NAME`` conflicts with
    another name only in slots of that name alone, where the same substitution recurs at
    least ``name_recurrence`` times. A truncated copy or a dropped lead leaves a long passage on one side,
    not a slot; keys the other post has as often elsewhere moved (reordered
    paragraphs) and do not conflict.

    Returns
    -------
    list of (keys of a, keys of b)
        The differing keys of each conflicting slot; symmetric (the same slots, sides
        swapped, for ``key_conflicts(b, a)``).
    """
    if not len(a.key_positions) or not len(b.key_positions):
        return []
    if (b.body_hash, b.id) < (a.body_hash, a.id):
        # One alignment for the pair whatever its order (an LCS is not unique).
        swapped = key_conflicts(
            b,
            a,
            max_slot=max_slot,
            name_similarity=name_similarity,
            name_recurrence=name_recurrence,
            title_similarity=title_similarity,
            dateline_days=dateline_days,
        )
        return [(kb, ka) for ka, kb in swapped]
    # Words of either post's account name are framing (长沙县民政局高度重视), not keys.
    accounts = [x for x in (a.account, b.account) if x]
    keys_a = _keys_by_position(a, accounts)
    keys_b = _keys_by_position(b, accounts)
    count_a, count_b = Counter(keys_a.values()), Counter(keys_b.values())
    # Datelines are compared post to post: a copy keeps its source's, a rewrite files its
    # own, and reports of one event are filed within days of each other.
    out = []
    date_a, date_b = _dateline(keys_a), _dateline(keys_b)
    if date_a and date_b and _days_apart(date_a, date_b) > dateline_days:
        out.append((date_a, date_b))
    # The matching blocks end with a zero-size block at the ends of both sequences.
    blocks = Indel.opcodes(a.sequence.tolist(), b.sequence.tolist()).as_matching_blocks()
    prev_end_a = prev_end_b = 0
    prev_size = 2  # the start of both posts bounds a slot like a shared run
    last = len(blocks) - 1
    # Substitutions of a likely name in slots of that name alone (not moved, not kept in
    # context): how often.
    renamed: Counter[tuple[str, str]] = Counter()
    for n, block in enumerate(blocks):
        gap_a, gap_b = (prev_end_a, block.a), (prev_end_b, block.b)
        # A slot sits between shared runs (or an end of both posts) holding at least
        # three words between them: a form's slots may be one word apart (3月[1]日，[X]社区).
        after = 2 if n == last else block.size
        if prev_size >= 1 and after >= 1 and prev_size + after >= 3:
            la, lb = gap_a[1] - gap_a[0], gap_b[1] - gap_b[0]
            if 0 < la <= max_slot and 0 < lb <= max_slot:
                side_a, side_b = (a, gap_a, keys_a, count_a), (b, gap_b, keys_b, count_b)
                found = _slot_conflict(keys_a, gap_a, keys_b, gap_b, name_similarity, title_similarity)
                if found is None and la == lb:
                    # A conflict only if it recurs (below).
                    found = _renamed(keys_a, gap_a, keys_b, gap_b, name_similarity)
                    if found is not None and not _kept(found, side_a, side_b):
                        renamed[(found[0][0], found[1][0])] += la
                elif found is not None and not _kept(found, side_a, side_b):
                    out.append(found[:2])
        prev_end_a, prev_end_b, prev_size = block.a + block.size, block.b + block.size, block.size
    out.extend(((wa,), (wb,)) for (wa, wb), times in renamed.items() if times >= name_recurrence)
    return out


def _renamed(
    keys_a: dict[int, tuple[int, str]],
    gap_a: tuple[int, int],
    keys_b: dict[int, tuple[int, str]],
    gap_b: tuple[int, int],
    name_similarity: float,
) -> tuple[tuple[str], tuple[str], int] | None:
    """A slot where a likely name and another name (likely or not) differ, one for one.

    Each side is one name, or the same name again (one sentence ends with the name, the
    next begins with it: 欢迎总统X。X在…).
    """
    found_a = {keys_a.get(p) for p in range(*gap_a)}
    found_b = {keys_b.get(p) for p in range(*gap_b)}
    if len(found_a) != 1 or len(found_b) != 1:
        return None
    ((key_a,), (key_b,)) = found_a, found_b
    if key_a is None or key_b is None:
        return None
    kinds = {key_a[0], key_b[0]}
    if LIKELY_NAME not in kinds or not kinds <= {NAME, LIKELY_NAME}:
        return None
    wa, wb = key_a[1], key_b[1]
    if wa in wb or wb in wa or Indel.normalized_similarity(wa, wb) >= name_similarity:
        return None
    return (wa,), (wb,), LIKELY_NAME


_Side = tuple["Features", tuple[int, int], dict[int, tuple[int, str]], Counter[tuple[int, str]]]


def _kept(found: tuple[tuple[str, ...], tuple[str, ...], int], a: _Side, b: _Side) -> bool:
    """Tell whether a slot's differing keys are each side's own keys elsewhere, not substitutes."""
    fa, gap_a, keys_a, count_a = a
    fb, gap_b, keys_b, count_b = b
    # Keys the other post has as often elsewhere moved (paragraphs reordered).
    if _moved(found[0], count_a, count_b) and _moved(found[1], count_b, count_a):
        return True
    # A number or name the other post has in the same wording was not substituted: the
    # alignment paired two passages once sentences were dropped or reordered (a title's
    # words are its own context: not checked).
    return found[2] != TITLE and (
        _in_context(fa, gap_a, keys_a, found[0], fb) or _in_context(fb, gap_b, keys_b, found[1], fa)
    )


def _in_context(
    f: Features, gap: tuple[int, int], keys: dict[int, tuple[int, str]], words: tuple[str, ...], other: Features
) -> bool:
    """Every key of ``words`` in ``f``'s gap is in ``other`` with its next or previous words."""
    if not words:
        return False
    s, o = f.sequence, other.sequence
    k = _CONTEXT_WORDS
    for q in range(*gap):
        key = keys.get(q)
        if key is None or key[1] not in words:
            continue
        found = False
        for p in np.flatnonzero(o == s[q]).tolist():
            # The key and its next k - 1 words, or its previous k - 1 words, in the other post.
            if (q + k <= len(s) and p + k <= len(o) and np.array_equal(s[q : q + k], o[p : p + k])) or (
                q >= k - 1 and p >= k - 1 and np.array_equal(s[q - k + 1 : q + 1], o[p - k + 1 : p + 1])
            ):
                found = True
                break
        if not found:
            return False
    return True


def _once(words: Iterable[str]) -> tuple[str, ...]:
    """Each word once, in order (a title's words all carry the whole title)."""
    return tuple(dict.fromkeys(words))


def _moved(words: tuple[str, ...], mine: Counter[tuple[int, str]], other: Counter[tuple[int, str]]) -> bool:
    return all(other[key] >= n for key, n in mine.items() if key[1] in words)


def _keys_by_position(f: Features, accounts: list[str]) -> dict[int, tuple[int, str]]:
    keys = zip(f.key_positions.tolist(), zip(f.key_kinds.tolist(), f.key_words, strict=True), strict=True)
    # Each distinct word tested once against the account names (a key recurs in a post).
    framing = {w for w in set(f.key_words) if any(w in account for account in accounts)} if accounts else ()
    if not framing:
        return dict(keys)
    return {at: key for at, key in keys if key[1] not in framing}


def _slot_conflict(
    keys_a: dict[int, tuple[int, str]],
    gap_a: tuple[int, int],
    keys_b: dict[int, tuple[int, str]],
    gap_b: tuple[int, int],
    name_similarity: float,
    title_similarity: float,
) -> tuple[tuple[str, ...], tuple[str, ...], int] | None:
    in_a = [keys_a[p] for p in range(*gap_a) if p in keys_a]
    in_b = [keys_b[p] for p in range(*gap_b) if p in keys_b]
    if not in_a or not in_b:
        return None
    for kind in (NUMBER, NAME, TITLE, WEEKDAY):
        wa = [w for k, w in in_a if k == kind]
        wb = [w for k, w in in_b if k == kind]
        if not wa or not wb:
            continue
        ja, jb = "".join(dict.fromkeys(wa)), "".join(dict.fromkeys(wb))
        if kind == NUMBER:
            # By the digits alone: a line break or space inside a number (34.\n9) splits it in two.
            da, db = _digits_only(wa), _digits_only(wb)
            # A year and its short form (1980年代 / 80年代) are one number.
            short, long_ = sorted((da, db), key=len)
            differ = da != db and not (len(long_) == 4 and len(short) == 2 and long_.endswith(short))
            # Amounts with 万 or 亿 are compared by value, rounded as written: 15.555亿 is
            # 1,555,508,410 and 2.5万 is 25000; 30.5亿 is not 30.5万.
            amounts = _same_amount(wa, wb)
            differ = differ if amounts is None else not amounts
            if not da and not db:
                differ = ja != jb  # the multipliers alone: 30.5[亿]元 / 30.5[万]元
        elif kind == WEEKDAY:
            differ = ja != jb
        else:
            least = name_similarity if kind == NAME else title_similarity
            differ = ja not in jb and jb not in ja and Indel.normalized_similarity(ja, jb) < least
        if differ:
            return _once(w for w in wa if w not in wb), _once(w for w in wb if w not in wa), kind
    return None


def _digits_only(words: Iterable[str]) -> str:
    return "".join(ch for ch in "".join(words) if "0" <= ch <= "9").lstrip("0")


def _numbers(words: Iterable[str]) -> list[tuple[float, int, bool]] | None:
    """A slot's numbers: each one's value, significant digits as written, and whether 万 or 亿 scaled it.

    Three-digit groups continue the number before them (a separator splits 1,555,508,410
    into four words). ``None`` when a word is no number, or a value is out of range.
    """
    texts: list[str] = []
    scales: list[int] = []
    for word in words:
        digits = word.rstrip("万亿")
        if digits and texts and scales[-1] == 1 and _GROUP.match(digits) and "." not in texts[-1]:
            texts[-1] += digits
        elif digits:
            texts.append(digits)
            scales.append(1)
        for ch in word[len(digits) :]:
            if texts:
                scales[-1] *= _MULTIPLIERS[ch]
    out = []
    for text, scale in zip(texts, scales, strict=True):
        if text.count(".") > 1 or not text.strip(".") or scale > _MAX_SCALE:
            return None
        # Significant digits as written; the trailing zeros of a whole number written out
        # only hold places (25000 is 25 thousand), those before 万 or 亿 do not (100万).
        significant = text.replace(".", "").lstrip("0")
        if "." not in text and scale == 1:
            significant = significant.rstrip("0")
        value = float(text.strip(".")) * scale
        if not math.isfinite(value):
            return None
        out.append((value, max(1, len(significant)), scale != 1))
    return out


def _same_amount(wa: Iterable[str], wb: Iterable[str]) -> bool | None:
    """Tell whether two slots hold the same amounts; ``None`` unless 万 or 亿 scales one.

    Each number of one side is one of the other side's: exactly when both are scaled,
    else rounded to the digits the less precise was written with (15.555亿 and
    1,555,508,410, 2.5万 and 25000; not 100万 and 1,400,000).
    """
    a, b = _numbers(wa), _numbers(wb)
    if not a or not b or not any(scaled for _, _, scaled in (*a, *b)):
        return None

    def found(x: tuple[float, int, bool], side: list[tuple[float, int, bool]]) -> bool:
        return any(_one_amount(x, y) for y in side)

    if len(a) == len(b):  # neither side has more: each number must be found both ways
        return all(found(x, b) for x in a) and all(found(y, a) for y in b)
    fewer, more = sorted((a, b), key=len)
    return all(found(x, more) for x in fewer)


def _one_amount(x: tuple[float, int, bool], y: tuple[float, int, bool]) -> bool:
    if x[2] and y[2]:
        return x[0] == y[0]
    digits = min(x[1], y[1])
    return float(f"{x[0]:.{digits}g}") == float(f"{y[0]:.{digits}g}")


def _dateline(keys: dict[int, tuple[int, str]]) -> tuple[str, ...]:
    """The dateline's day and the month right before it (``("11月", "5日")``), or ``()``.

    A dateline opens a report: one further in is a report quoted (据新华社3月5日电).
    """
    month, month_at = None, -1
    for at in sorted(keys):
        kind, text = keys[at]
        if at >= _DATELINE_WORDS:
            break
        if kind != DAY:
            continue
        if text.endswith("月"):
            month, month_at = text, at
        else:
            # 11 月 5 日: the month two words before its day, or one (十一月 五日).
            return (month, text) if month and at - month_at <= 2 else (text,)
    return ()


def _days_apart(wa: Iterable[str], wb: Iterable[str]) -> float:
    """Days between two datelines (11月 5日 / 10月 26日; a dateline may give the day alone).

    The year is unknown: the smaller gap of a common and a leap year, across the year's
    end too; the day alone is taken in whichever month makes the gap smallest.
    """

    def parse(words: Iterable[str]) -> tuple[int | None, int | None]:
        month = day = None
        for word in words:
            value = int(word[:-1]) if word[:-1].isdigit() else None
            if word.endswith("月"):
                month = value
            else:
                day = value
        return month, day

    (ma, da), (mb, db) = parse(wa), parse(wb)
    if da is None or db is None or not (1 <= da <= 31 and 1 <= db <= 31):
        return 0.0  # no day to compare
    if ma is None or mb is None or not (1 <= ma <= 12 and 1 <= mb <= 12):
        days = abs(da - db)
        return float(min(days, *(abs(length - days) for length in (28, 29, 30, 31))))
    gaps = []
    for leap in (False, True):
        lengths = _MONTH_DAYS_LEAP if leap else _MONTH_DAYS
        doy_a = sum(lengths[: ma - 1]) + min(da, lengths[ma - 1])
        doy_b = sum(lengths[: mb - 1]) + min(db, lengths[mb - 1])
        gap = abs(doy_a - doy_b)
        gaps.append(min(gap, sum(lengths) - gap))
    return float(min(gaps))
