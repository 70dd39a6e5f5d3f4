"""Event specifics: the numbers, dates, times, places, people and organisations of a post.

Two posts of one story agree on their specifics; two different events written from
one template (``XX社区开展垃圾分类宣传活动``) share the wording and differ exactly
there. Specifics are read from jieba's words and their dictionary part-of-speech tags
(``ns`` place, ``nr`` person, ``nt`` organisation, ``nz`` other proper noun, ``t``
time, ``m`` numeral), Chinese words the dictionary does not know (jieba's HMM joins
them; mostly names, tagged ``unk``), plus any word with a digit. Chinese numerals are rewritten as
digits so that ``十二`` and ``12`` agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from types import MappingProxyType

__all__ = ["SPECIFIC_TAGS", "chinese_number", "extract_specifics", "normalize_number", "specific_form"]

#: jieba part-of-speech tags whose words are event specifics.
SPECIFIC_TAGS = frozenset({"ns", "nr", "nrt", "nrfg", "nt", "nz", "t", "m"})

_DIGIT = re.compile(r"\d")
_ALL_HAN = re.compile("^[\u4e00-\u9fff]+$")
_CN_NUMERAL = re.compile(r"^[零〇一二两三四五六七八九十百千万亿]+$")
_CN_DIGITS = MappingProxyType({"零": 0, "〇": 0, "两": 2} | {ch: k for k, ch in enumerate("一二三四五六七八九", 1)})
_CN_UNITS = MappingProxyType({"十": 10, "百": 100, "千": 1000})
_CN_BIG = MappingProxyType({"万": 10_000, "亿": 100_000_000})
# Words made only of numerals that are idioms or generic quantities, not specifics.
_GENERIC = frozenset({"一", "一个", "一些", "一下", "一起", "一直", "一定", "一样", "一般", "一方面", "两", "几", "万"})


def chinese_number(text: str) -> int | None:
    """Parse a Chinese numeral such as ``十二`` or ``二〇二四``; ``None`` if it is not one.

    Examples
    --------
    >>> chinese_number("十二"), chinese_number("二〇二四"), chinese_number("三千五百"), chinese_number("社区")
    (12, 2024, 3500, None)
    """
    if not text or not _CN_NUMERAL.match(text):
        return None
    if all(ch in _CN_DIGITS for ch in text):  # digit by digit: 二〇二四
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total = section = digit = 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[ch]
            digit = 0
        elif ch in _CN_BIG:
            total += (section + digit) * _CN_BIG[ch]
            section = digit = 0
    return total + section + digit


def normalize_number(token: str) -> str:
    """Canonical form of a numeric token: digits without leading zeros or trailing ``.0``.

    Examples
    --------
    >>> normalize_number("06"), normalize_number("7.50"), normalize_number("十二"), normalize_number("3%")
    ('6', '7.5', '12', '3%')
    """
    value = chinese_number(token)
    if value is not None:
        return str(value)
    m = re.fullmatch(r"0*(\d+)(?:\.(\d*?)0*)?(%?)", token)
    if m:
        whole, frac, pct = m.groups()
        whole = whole or "0"
        return f"{whole}.{frac}{pct}" if frac else f"{whole}{pct}"
    return token


def extract_specifics(
    words: Iterable[str],
    tag: Callable[[str], str],
    *,
    exclude: Iterable[str] = (),
) -> frozenset[str]:
    """Return the set of event specifics among ``words``.

    Parameters
    ----------
    words : iterable of str
        Content words of a post, as :meth:`dedup.JiebaTokenizer.tokenize` gives them.
    tag : callable
        Word -> part-of-speech tag (``JiebaTokenizer.tag``).
    exclude : iterable of str
        Words never counted (e.g. the words of the posting account's own name, which
        headers and framing sentences repeat).

    Returns
    -------
    frozenset of str
        Numbers in canonical form and proper nouns / time words.

    Examples
    --------
    >>> tags = {"东营": "ns", "开展": "v", "今年": "t"}.get
    >>> sorted(extract_specifics(["今年", "东营", "开展", "19", "十二"], lambda w: tags(w, "")))
    ['12', '19', '东营', '今年']
    """
    skip = frozenset(exclude)
    out: set[str] = set()
    for w in words:
        if w in skip:
            continue
        found = specific_form(w, tag)
        if found is not None:
            out.add(found)
    return frozenset(out)


def specific_form(word: str, tag: Callable[[str], str]) -> str | None:
    """The canonical specific ``word`` stands for, or ``None`` if it is not one.

    Examples
    --------
    >>> specific_form("十二", lambda w: "m"), specific_form("开展", lambda w: "v")
    ('12', None)
    """
    if word in _GENERIC:
        return None
    if _DIGIT.search(word):
        return normalize_number(word)
    if chinese_number(word) is not None:
        if len(word) > 1 or word in ("十", "百", "千"):
            return normalize_number(word)
        return None
    # Single characters tagged as numerals or times (第, 日, 时) are grammar, not specifics.
    if len(word) < 2:
        return None
    t = tag(word)
    if t in SPECIFIC_TAGS or (t == "unk" and _ALL_HAN.match(word)):
        return word
    return None
