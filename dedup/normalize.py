"""Text normalization: one canonical form of a post before it is compared.

Every step is a pure ``str -> str`` function of the input. :func:`normalize_text` is
the fast path used for matching; :func:`normalize_with_offsets` produces exactly the
same text plus, for each of its characters, the offset of the character of the
original it came from, so that evidence can point back into what the user wrote.

Steps, in order:

1. literal ``\\n`` escapes (common in scraped data) become line breaks;
2. HTML: ``<script>``/``<style>``/comments dropped, block tags become line breaks,
   other tags vanish, entities are decoded;
3. Unicode NFKC (full-width letters, digits and punctuation to half-width);
4. traditional characters to simplified ones (a character table derived from OpenCC);
5. punctuation folded to one form (the half-width marks NFKC produces, ``。`` as
   ``.``, one quote style, one ellipsis); zero-width and control characters removed;
6. dates in Chinese numerals written with digits (二〇二四年六月十二日 → 2024年6月12日);
   whitespace collapsed, spaces between CJK characters removed, blank lines dropped;
7. WeChat/account boilerplate lines dropped (关注/二维码/编辑/审核/来源/供稿/END/往期推荐 ...)
   and ``XX讯（通讯员 XX）`` bylines removed.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from dedup.config import NormalizeConfig

__all__ = [
    "BOILERPLATE_HINT_CHARS",
    "BOILERPLATE_MAX_LEN",
    "SENTENCE_END_MARKS",
    "NormalizedText",
    "blank_bylines",
    "blank_markup",
    "canonical_characters",
    "canonical_codes",
    "has_markup",
    "invisible_characters",
    "is_boilerplate_line",
    "normalize_text",
    "normalize_with_offsets",
    "strip_html",
]

#: What ends a sentence in normalized text (full-width marks are folded to ASCII ones,
#: but text normalized with other options may keep them). Line breaks end one too.
SENTENCE_END_MARKS = ".!?;。！？；…"

_DEFAULT = NormalizeConfig()

# ---------------------------------------------------------------------------
# patterns

_ESCAPED_NEWLINE = re.compile(r"\\r\\n|\\n|\\r")
# An unclosed <script>, <style> or comment runs to the end, as in a browser (and a
# match that may end at the end keeps the scan linear on many unclosed tags).
_HTML_DROP = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)", re.IGNORECASE | re.DOTALL)
_HTML_BLOCK = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|table|section|article|blockquote|header|footer|hr)\b[^>]*>",
    re.IGNORECASE,
)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
_LOOKS_HTML = re.compile(r"</?[A-Za-z][^<>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]+);")

# Zero-width, BOM, soft hyphen, C0/C1 controls other than tab and newline, and lone
# surrogates (not valid Unicode: no tokenizer or encoder accepts them).
_INVISIBLE = re.compile("[\u200b-\u200f\u2028\u2029\u2060-\u2064\ufeff\u00ad\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_OR_PUNCT = _CJK + "\u3000-\u303f\uff00-\uffef…、,.;:!?()\"'"
# NFKC already turns full-width ，：；！？（） into ASCII; fold the rest of the variants
# to that one half-width form (。 included), and quotes to one style.
_CHAR_FOLD: Mapping[int, str] = MappingProxyType(
    {
        ord(k): v
        for k, v in {
            "。": ".",
            "“": '"',
            "”": '"',
            "„": '"',
            "‟": '"',
            "「": '"',
            "」": '"',
            "『": '"',
            "』": '"',
            "〝": '"',
            "〞": '"',
            "‘": "'",
            "’": "'",
            "‚": "'",
            "‛": "'",
            "・": "·",
            "•": "·",
            "‧": "·",
            "—": "-",
            "–": "-",
            "―": "-",
            "〜": "~",
            "【": "[",
            "】": "]",
            "〔": "[",
            "〕": "]",
            "〈": "<",
            "〉": ">",
        }.items()
    }
)
# Runs of three dots or more, and of "…", each become one "…" (two passes, "…" runs first:
# an alternation of the two is tried at every position of the text, three times slower).
_DOT_RUN = re.compile(r"\.{3,}")
_ELLIPSIS_RUN = re.compile("…+")
# Dates written in Chinese numerals: 二〇二四年, 六月十二日. Months and days only next to
# each other or a year, so that 一月 in prose ("一个月") is left alone.
_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_DATE = re.compile(
    f"(?=[{_CN_DIGIT}十])(?:(?P<y>[{_CN_DIGIT}]{{4}})年"
    f"|(?P<m>[{_CN_DIGIT}十]{{1,3}})月(?P<d>[{_CN_DIGIT}十]{{1,3}})(?P<dd>[日号])"
    f"|(?<=\\d年)(?P<m2>[{_CN_DIGIT}十]{{1,3}})月)"
)
# Cheap test for _CN_DATE: a Chinese numeral right before 年 or 月.
_CN_DATE_HINT = re.compile(f"[{_CN_DIGIT}十][年月]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
# A space next to Chinese text on one side and Chinese text, a letter or a digit on the
# other. The space comes first and the character before it is looked at behind the two
# (a literal first lets the engine search for it: a third of the time of a lookahead first).
_CJK_SPACE = re.compile(
    f" (?:(?<=[{_CJK_OR_PUNCT}] )(?=[{_CJK_OR_PUNCT}0-9A-Za-z])|(?<=[0-9A-Za-z] )(?=[{_CJK_OR_PUNCT}]))"
)
# Spaces at the start or end of a line (a space first, as for _CJK_SPACE: the first
# alternative asserts what stands before that space).
_LINE_EDGE_SPACE = re.compile(r" (?:(?<![^\n] ) *| *(?![^\n]))")
_BLANK_LINES = re.compile(r"\n{2,}")
_CRLF = re.compile(r"\r\n?")

# Boilerplate. A line is dropped when it is short and matches one of these entirely.
# They are the headers and footers WeChat-style accounts wrap around a post.
BOILERPLATE_MAX_LEN = 60
_BOILERPLATE_LINES = (
    r".{0,12}(点击|点)(上方|下方|蓝字|标题下).{0,20}",
    r".{0,20}关注(我们|公众号|本号|本公众号|\w{0,12}(微信|公众号|视频号|抖音)).{0,30}",
    r".{0,20}(长按|扫描?|识别).{0,6}(二维码|关注).{0,30}",
    r".{0,20}二维码.{0,20}",
    r"(责任编辑|编辑|编审|审核|审校|审稿|校对|初审|复审|终审|三审|签发|监制|出品|出品人|总监|制作|排版|美编|统筹|策划|主编|执行主编|值班编辑|本期编辑|图片编辑|视频编辑)\s*[：:/｜|].{0,40}",
    r"(来源|供稿|稿源|文章来源|信息来源|本文来源|图片来源|图源|转自|转载自|撰稿|撰文|文字|文|图|文图|图文|摄影|摄像|记者|通讯员|作者)\s*[：:/｜|].{0,40}",
    r"[-—=\s]*(END|End|end|完|全文完)[-—=\s]*",
    r"(往期(推荐|回顾|精彩|链接)|推荐阅读|精彩推荐|更多精彩|延伸阅读|相关阅读|热点推荐).{0,40}",
    # A call to like or share: a request word first, or the line little more than the verbs
    # ("阅读分享会" in a news line is no such call).
    r".{0,10}(喜欢就|记得|请|欢迎|别忘了|点个|点亮|点击|动动手指).{0,6}[“\"]?(在看|点赞|转发|分享|收藏)[”\"]?.{0,16}",
    r".{0,4}[“\"]?(在看|点赞|转发|分享|收藏)[”\"]?.{0,8}",
    r"(欢迎|敬请)(转发|分享|关注|投稿).{0,30}",
    r"(阅读原文|查看原文|原文链接).{0,30}",
    r"(投稿邮箱|联系电话|投稿电话|新闻热线|爆料热线|邮箱)\s*[：:].{0,40}",
    r"(声明|免责声明)\s*[：:].{0,58}",
    r"(版权归原作者所有|如有侵权|侵删|转载请注明).{0,40}",
)
_BYLINE_PREFIX = re.compile(
    r"^.{0,24}?讯\s*[（(]\s*(?:通讯员|记者|见习记者|融媒体记者|全媒体记者)[^）)\n]{0,30}[）)]\s*[：:，,]?\s*",
    re.MULTILINE,
)


# Every pattern above needs one of these (a character of its fixed words, a label
# separator, END): a line without any cannot match, and the cheap search spares the
# full alternation on most short lines. Keep it in step with _BOILERPLATE_LINES.
#: Characters one of which a boilerplate line has (or END/End/end): a line without any is
#: not tested against the patterns.
BOILERPLATE_HINT_CHARS = "点关扫按识码：:/｜|完往推精阅看赞转享欢敬原侵藏"
_BOILERPLATE_HINT = re.compile(f"[{re.escape(BOILERPLATE_HINT_CHARS)}]|END|End|end")


@lru_cache(maxsize=64)
def _boilerplate_regex(extra: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = [*_BOILERPLATE_LINES, *extra]
    return re.compile("|".join(f"(?:{p})" for p in alternatives))


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    # Loaded on first use (not at import); about 4,100 characters.
    table: dict[int, str] = {}
    text = resources.files("dedup").joinpath("data/t2s.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            src, dst = line.split("\t")
            table[ord(src)] = dst
    # Resolve chains (A -> B -> C) so that applying the table twice changes nothing.
    for key, value in table.items():
        seen = {key}
        while ord(value) in table and ord(value) not in seen:
            seen.add(ord(value))
            value = table[ord(value)]
        table[key] = value
    return table


@lru_cache(maxsize=4)
def _translation_table(traditional: bool, punctuation: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    if traditional:
        table.update(_t2s_table())
    if punctuation:
        table.update(_CHAR_FOLD)
    return table


@lru_cache(maxsize=8)
def _char_tables(nfkc: bool, traditional: bool, punctuation: bool) -> tuple[dict[int, str], re.Pattern[str] | None]:
    """One character-to-character table for the fast path, and a pattern of its keys.

    It folds, in one pass, what NFKC maps to a single character (full-width letters,
    digits and punctuation), traditional characters and punctuation variants. Text that
    is still not NFKC-normalized afterwards (characters that expand or combine) goes
    through full NFKC.
    """
    fold = _translation_table(traditional, punctuation)
    table: dict[int, str] = {}
    one_to_one = _nfkc_tables()[0] if nfkc else {}
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        out = one_to_one.get(cp, ch)
        out = fold.get(ord(out), out)
        if out != ch:
            table[cp] = out
    if not table:
        return table, None
    keys = "".join(re.escape(chr(cp)) for cp in sorted(table))
    return table, re.compile(f"[{keys}]+")


# The characters the table folds most often in Chinese news (full-width punctuation and
# spaces). str.replace handles each in one fast scan, leaving few runs for the regex.
_FREQUENT = "，。“”：\u3000）（；\xa0？！、"


@lru_cache(maxsize=8)
def _frequent_folds(nfkc: bool, traditional: bool, punctuation: bool) -> tuple[tuple[str, str], ...]:
    table = _char_tables(nfkc, traditional, punctuation)[0]
    # Only characters whose image the table leaves alone: replacing them one after
    # another then equals one translate pass.
    return tuple(
        (ch, table[ord(ch)])
        for ch in _FREQUENT
        if ord(ch) in table and all(ord(c) not in table for c in table[ord(ch)])
    )


# From this many characters on, one table lookup per code point (numpy) beats passes of
# str.replace: 9 against 26 µs for a post of 945 characters; under it, numpy's overhead loses.
_LOOKUP_FOLD_MIN = 256


def _fold_characters(text: str, nfkc: bool, traditional: bool, punctuation: bool) -> str:
    """``text.translate(table)`` of :func:`_char_tables`, faster on typical text."""
    table, keys = _char_tables(nfkc, traditional, punctuation)
    if keys is None:
        return text
    if len(text) >= _LOOKUP_FOLD_MIN:
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        folded = _fold_codes(codes, nfkc, traditional, punctuation)
        return folded.tobytes().decode("utf-32-le", "surrogatepass")
    for ch, out in _frequent_folds(nfkc, traditional, punctuation):
        if ch in text:
            text = text.replace(ch, out)
    return keys.sub(lambda m: m.group(0).translate(table), text)


def canonical_characters(text: str, config: NormalizeConfig = _DEFAULT) -> str:
    """Fold ``text`` character by character the way normalization does, keeping its length.

    Full-width forms, traditional characters and punctuation variants become what
    :func:`normalize_text` makes of them, and nothing is removed, so an index into the
    result is an index into ``text``: a passage of normalized text found here is found
    in the original.

    Examples
    --------
    >>> canonical_characters("社區（2024）")
    '社区(2024)'
    """
    return _fold_characters(text, config.nfkc, config.traditional, config.punctuation)


@lru_cache(maxsize=8)
def _code_table(nfkc: bool, traditional: bool, punctuation: bool) -> NDArray[np.uint32]:
    # The table of :func:`_char_tables` by code point, one entry more (for every code
    # point past the BMP, which fold to themselves).
    table = np.arange(0x10001, dtype=np.uint32)
    for cp, out in _char_tables(nfkc, traditional, punctuation)[0].items():
        table[cp] = ord(out)  # one character each: folding keeps the length
    table.flags.writeable = False
    return table


def canonical_codes(codes: NDArray[np.uint32], config: NormalizeConfig = _DEFAULT) -> NDArray[np.uint32]:
    """:func:`canonical_characters` on a text's code points (its UTF-32), as a new array.

    For many texts at once: the fold is one table lookup per character.

    Examples
    --------
    >>> codes = np.frombuffer("社區（2024）".encode("utf-32-le"), dtype=np.uint32)
    >>> canonical_codes(codes).tobytes().decode("utf-32-le")
    '社区(2024)'
    """
    return _fold_codes(codes, config.nfkc, config.traditional, config.punctuation)


def _fold_codes(codes: NDArray[np.uint32], nfkc: bool, traditional: bool, punctuation: bool) -> NDArray[np.uint32]:
    """The folded code points, as a new array (past the BMP, each stays itself)."""
    table = _code_table(nfkc, traditional, punctuation)
    # (indices past the table clip to its last entry, which every astral code point takes)
    folded = table.take(codes, mode="clip")
    if len(codes) and int(codes.max()) > 0xFFFF:
        astral = codes > 0xFFFF
        folded[astral] = codes[astral]
    return folded


def has_markup(text: str, config: NormalizeConfig = _DEFAULT) -> bool:
    """Tell whether normalization strips HTML tags or decodes entities in ``text``.

    Examples
    --------
    >>> has_markup("<p>社区开展活动</p>"), has_markup("A&B 社区 <3")
    (True, False)
    """
    return config.html and ("<" in text or "&" in text) and _LOOKS_HTML.search(text) is not None


def blank_markup(text: str, config: NormalizeConfig = _DEFAULT) -> str:
    """``text`` with what normalization strips as markup blanked out, its length kept.

    Escaped and block-level line breaks become a line break; scripts, styles, comments
    and tags become NUL characters; an entity becomes its character, padded with NULs.
    An index into the result is an index into ``text`` (for spans of the original).

    Examples
    --------
    >>> blank_markup("<p>社区&amp;居民</p>").replace("\\x00", "_")
    '\\n__社区&____居民\\n___'
    """

    def padded(out: str, m: re.Match[str]) -> str:
        size = m.end() - m.start()
        return out + "\x00" * (size - len(out)) if len(out) <= size else m.group(0)

    if "\\" in text:
        text = _ESCAPED_NEWLINE.sub(lambda m: padded("\n", m), text)
    if has_markup(text, config):
        text = _HTML_DROP.sub(lambda m: padded("", m), text)
        text = _HTML_BLOCK.sub(lambda m: padded("\n", m), text)
        text = _HTML_TAG.sub(lambda m: padded("", m), text)
        text = _HTML_ENTITY.sub(lambda m: padded(html.unescape(m.group(0)), m), text)
    return text


def blank_bylines(text: str) -> str:
    """``text`` with the bylines normalization drops (…讯（通讯员 …）) blanked by NULs, its length kept.

    Examples
    --------
    >>> blank_bylines("本报讯（记者 张三）社区开展活动").replace("\\x00", "_")
    '__________社区开展活动'
    """
    if "讯" not in text:
        return text
    return _BYLINE_PREFIX.sub(lambda m: "\x00" * (m.end() - m.start()), text)


def invisible_characters() -> str:
    """The characters of the Basic Multilingual Plane normalization deletes wherever they stand.

    Zero-width characters, the BOM, the soft hyphen, controls other than tab and line
    breaks, and lone surrogates.

    Examples
    --------
    >>> "\\u200b" in invisible_characters(), "\\n" in invisible_characters()
    (True, False)
    """
    return "".join(_INVISIBLE.findall("".join(map(chr, range(0x10000)))))


def is_boilerplate_line(line: str, config: NormalizeConfig = _DEFAULT) -> bool:
    """Tell whether one line is account boilerplate that carries no story content.

    Parameters
    ----------
    line : str
        A single line, already normalized (NFKC, punctuation folded).
    config : NormalizeConfig
        Supplies ``extra_boilerplate`` patterns.

    Returns
    -------
    bool
        True for short header/footer lines such as ``编辑：张三`` or ``END``.

    Examples
    --------
    >>> is_boilerplate_line("责任编辑：马骏")
    True
    >>> is_boilerplate_line("6月12日上午，荷叶塘社区开展垃圾分类宣传活动。")
    False
    """
    stripped = line.strip()
    if not stripped:
        return True
    if len(stripped) > BOILERPLATE_MAX_LEN:
        return False
    if not config.extra_boilerplate and _BOILERPLATE_HINT.search(stripped) is None:
        return False
    return _boilerplate_regex(tuple(config.extra_boilerplate)).fullmatch(stripped) is not None


# ---------------------------------------------------------------------------
# offset-tracking machinery: a step maps (text, offsets) -> (text, offsets)

_Offsets = list[int] | None
_Repl = str | Callable[[re.Match[str]], str]


def _sub(pattern: re.Pattern[str], repl: _Repl, text: str, offsets: _Offsets) -> tuple[str, _Offsets]:
    if offsets is None:
        return pattern.sub(repl, text), None
    matches = list(pattern.finditer(text))
    if not matches:
        return text, offsets
    literal = None if callable(repl) or "\\" in repl else repl
    parts: list[str] = []
    new_offsets: list[int] = []
    pos = 0
    for m in matches:
        start, end = m.span()
        parts.append(text[pos:start])
        new_offsets.extend(offsets[pos:start])
        piece = literal if literal is not None else (repl(m) if callable(repl) else m.expand(repl))
        parts.append(piece)
        if piece:
            span = max(end - start, 1)
            anchor = offsets[start] if start < len(offsets) else (offsets[-1] + 1 if offsets else 0)
            new_offsets.extend(
                offsets[start + min(i, span - 1)] if start + min(i, span - 1) < len(offsets) else anchor
                for i in range(len(piece))
            )
        pos = end
    parts.append(text[pos:])
    new_offsets.extend(offsets[pos:])
    return "".join(parts), new_offsets


@lru_cache(maxsize=1)
def _nfkc_tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """NFKC split for the offset-tracking path, built once on first use.

    Returns a ``str.translate`` table for BMP characters that NFKC maps to exactly one
    other character (full-width forms: offsets are unchanged), and a pattern matching
    the characters that need NFKC run by run: BMP characters that expand, vanish or
    combine, and everything outside the BMP (rare in news; checked individually).
    """
    table: dict[int, str] = {}
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        out = unicodedata.normalize("NFKC", ch)
        combining = unicodedata.combining(ch) or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F
        if out == ch and not combining:
            continue
        if len(out) == 1 and not combining and not unicodedata.combining(out):
            table[cp] = out
        elif ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    ranges.append((0x10000, 0x10FFFF))
    parts = [re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges]
    return table, re.compile(f"[{''.join(parts)}]+")


def _nfkc(text: str, offsets: _Offsets) -> tuple[str, _Offsets]:
    whole = unicodedata.normalize("NFKC", text)
    if offsets is None:
        return whole, None
    table, runs = _nfkc_tables()
    piece_text, piece_offsets = _sub(runs, lambda m: unicodedata.normalize("NFKC", m.group(0)), text, offsets)
    piece_text = piece_text.translate(table)  # one character to one: offsets unchanged
    if piece_text == whole:
        return whole, piece_offsets
    # Composition across a run boundary (rare). Align the two forms so the offsets
    # still describe `whole`, the text the fast path produces.
    from rapidfuzz.distance import Indel

    assert piece_offsets is not None
    mapped: list[int] = [0] * len(whole)
    for op in Indel.opcodes(piece_text, whole):
        tag, s1, s2, e2 = op.tag, int(op.src_start), int(op.dest_start), int(op.dest_end)
        for k in range(s2, e2):
            src = s1 + (k - s2) if tag == "equal" else min(s1, len(piece_offsets) - 1)
            mapped[k] = piece_offsets[max(src, 0)] if piece_offsets else 0
    return whole, mapped


def _cn_number(text: str) -> int | None:
    from dedup.specifics import chinese_number

    return chinese_number(text.replace("两", "二"))


def _date_digits(m: re.Match[str]) -> str:
    if m.group("y"):
        year = _cn_number(m.group("y"))
        return f"{year}年" if year is not None else m.group(0)
    if m.group("m2"):
        month = _cn_number(m.group("m2"))
        return f"{month}月" if month is not None and 1 <= month <= 12 else m.group(0)
    month, day = _cn_number(m.group("m")), _cn_number(m.group("d"))
    if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return f"{month}月{day}{m.group('dd')}"


def _unescape_entity(m: re.Match[str]) -> str:
    return html.unescape(m.group(0))


def _drop_boilerplate_lines(text: str, offsets: _Offsets, config: NormalizeConfig) -> tuple[str, _Offsets]:
    lines = text.split("\n")
    keep = [not is_boilerplate_line(line, config) for line in lines]
    if all(keep):
        return text, offsets
    kept_text = "\n".join(line for line, k in zip(lines, keep, strict=True) if k)
    if offsets is None:
        return kept_text, None
    new_offsets: list[int] = []
    pos = 0
    first = True
    for line, k in zip(lines, keep, strict=True):
        if k:
            if not first:
                new_offsets.append(offsets[pos - 1])  # the "\n" that ended the previous kept line
            new_offsets.extend(offsets[pos : pos + len(line)])
            first = False
        pos += len(line) + 1
    return kept_text, new_offsets


def _pipeline(text: str, offsets: _Offsets, config: NormalizeConfig) -> tuple[str, _Offsets]:
    # Each step is skipped when a cheap substring test shows it cannot match: most posts
    # need only NFKC, the character table and the boilerplate check.
    if "\r" in text:
        text, offsets = _sub(_CRLF, "\n", text, offsets)
    if "\\" in text:
        text, offsets = _sub(_ESCAPED_NEWLINE, "\n", text, offsets)
    if has_markup(text, config):
        text, offsets = _sub(_HTML_DROP, "", text, offsets)
        text, offsets = _sub(_HTML_BLOCK, "\n", text, offsets)
        text, offsets = _sub(_HTML_TAG, "", text, offsets)
        text, offsets = _sub(_HTML_ENTITY, _unescape_entity, text, offsets)
    if _INVISIBLE.search(text):
        text, offsets = _sub(_INVISIBLE, "", text, offsets)
    # One character to one character: offsets are unchanged.
    if offsets is None:
        text = _fold_characters(text, config.nfkc, config.traditional, config.punctuation)
    else:
        text = text.translate(_char_tables(config.nfkc, config.traditional, config.punctuation)[0])
    if config.nfkc and not unicodedata.is_normalized("NFKC", text):
        if offsets is None and "…" in text:
            # The one character that keeps a quarter of news posts from being NFKC
            # already. NFKC decomposes before composing, so NFKC(text) is NFKC of the
            # text with it decomposed to "...", and that text is often normalized
            # already: no whole-text NFKC then (1.6 ms per post in the benchmark batch).
            text = text.replace("…", "...")
        if not unicodedata.is_normalized("NFKC", text):
            text, offsets = _nfkc(text, offsets)
            # What NFKC expanded may need folding too (by the table above, so that
            # characters past the BMP are left as they are whatever the text holds), and
            # may be invisible. Text that only had "…" spelled out needs neither: the
            # table leaves "." and its own output alone.
            text = _fold_characters(text, config.nfkc, config.traditional, config.punctuation)
            if _INVISIBLE.search(text):
                text, offsets = _sub(_INVISIBLE, "", text, offsets)
    if config.punctuation:
        if "……" in text:
            text, offsets = _sub(_ELLIPSIS_RUN, "…", text, offsets)
        if "..." in text:
            text, offsets = _sub(_DOT_RUN, "…", text, offsets)
    if config.numbers and ("年" in text or "月" in text) and _CN_DATE_HINT.search(text):
        text, offsets = _sub(_CN_DATE, _date_digits, text, offsets)
    other_spaces = "\t" in text or "\u00a0" in text or "\u3000" in text
    if other_spaces or " " in text:
        # (single ASCII spaces, seven posts in ten with spaces in news, are left as they are)
        if other_spaces or "  " in text:
            text, offsets = _sub(_SPACES, " ", text, offsets)
        text, offsets = _sub(_CJK_SPACE, "", text, offsets)
        # It matches only where these are (two posts in five with spaces, in news).
        if "\n " in text or " \n" in text or text.startswith(" ") or text.endswith(" "):
            text, offsets = _sub(_LINE_EDGE_SPACE, "", text, offsets)
    if "\n\n" in text:
        text, offsets = _sub(_BLANK_LINES, "\n", text, offsets)
    if config.boilerplate:
        text, offsets = _drop_boilerplate_lines(text, offsets, config)
        if "讯" in text:
            text, offsets = _sub(_BYLINE_PREFIX, "", text, offsets)
    # Leading/trailing line breaks.
    start = len(text) - len(text.lstrip("\n"))
    end = len(text.rstrip("\n"))
    if offsets is not None:
        offsets = offsets[start:end]
    return text[start:end], offsets


def normalize_text(text: str, config: NormalizeConfig = _DEFAULT) -> str:
    """Return the canonical form of ``text`` used for matching.

    Parameters
    ----------
    text : str
        Raw post text (may contain HTML, full-width characters, boilerplate lines).
    config : NormalizeConfig
        Which steps to apply.

    Returns
    -------
    str
        Normalized text; lines are separated by ``"\\n"``.

    Examples
    --------
    >>> normalize_text("<p>社区开展活动,居民积极参与.&nbsp;</p><p>责任编辑：马骏</p>")
    '社区开展活动,居民积极参与.'
    >>> normalize_text("ＡＢＣ１２３　７．２５万亩")
    'ABC123 7.25万亩'
    """
    result, _ = _pipeline(text, None, config)
    return result


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Normalized text with a map back to the original.

    Attributes
    ----------
    text : str
        Exactly what :func:`normalize_text` returns.
    offsets : tuple of int
        ``offsets[i]`` is the index in the original of the character that produced
        ``text[i]``.
    """

    text: str
    offsets: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalized span ``[start, end)`` to a span of the original text.

        Examples
        --------
        >>> n = normalize_with_offsets("<p>你好，世界</p>")
        >>> n.text, n.original_span(0, 2)
        ('你好,世界', (3, 5))
        """
        if not 0 <= start < end <= len(self.text):
            msg = f"span [{start}, {end}) is outside the normalized text of length {len(self.text)}"
            raise ValueError(msg)
        return self.offsets[start], self.offsets[end - 1] + 1


def normalize_with_offsets(text: str, config: NormalizeConfig = _DEFAULT) -> NormalizedText:
    """Normalize ``text`` and keep, for each output character, its original offset.

    Slower than :func:`normalize_text` (it walks characters); used for evidence.

    Parameters
    ----------
    text : str
        Raw post text.
    config : NormalizeConfig
        Which steps to apply.

    Returns
    -------
    NormalizedText
        The same text :func:`normalize_text` returns, plus offsets.

    Examples
    --------
    >>> n = normalize_with_offsets("关注我们\\n６月１２日，社区开展活动")
    >>> n.text
    '6月12日,社区开展活动'
    >>> n.offsets[0]
    5
    """
    result, offsets = _pipeline(text, list(range(len(text))), config)
    assert offsets is not None and len(offsets) == len(result)
    return NormalizedText(result, tuple(offsets))


def strip_html(text: str) -> str:
    """Remove HTML markup from ``text`` and decode entities, keeping line structure.

    Examples
    --------
    >>> strip_html("<div>一<br>二&amp;三<script>x()</script></div>")
    '一\\n二&三'
    """
    config = NormalizeConfig(nfkc=False, punctuation=False, boilerplate=False, traditional=False)
    return normalize_text(text, config)
