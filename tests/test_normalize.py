from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import NormalizeConfig
from dedup.normalize import (
    canonical_characters,
    is_boilerplate_line,
    normalize_text,
    normalize_with_offsets,
    strip_html,
)


def test_fullwidth_and_halfwidth_punctuation_fold_to_one_form() -> None:
    full = "山东通过实施生态修复、水污染治理等措施，持续开展湿地保护。目前（截至6月）已完成"
    half = "山东通过实施生态修复、水污染治理等措施,持续开展湿地保护.目前(截至6月)已完成"
    assert normalize_text(full) == normalize_text(half)


def test_fullwidth_digits_and_letters_become_ascii() -> None:
    assert normalize_text("２０２４年６月１２日ＡＢＣ") == "2024年6月12日ABC"


def test_decimals_and_times_survive() -> None:
    text = normalize_text("修复7.25万亩湿地，08:30开始。")
    assert "7.25" in text and "08:30" in text


def test_html_is_stripped_with_scripts_and_entities() -> None:
    raw = '<p style="x">第一段&nbsp;内容</p><script>alert("x")</script><style>p{}</style><br/><p>第二段&amp;结尾</p>'
    assert normalize_text(raw) == "第一段内容\n第二段&结尾"


def test_plain_text_with_angle_brackets_is_not_treated_as_html() -> None:
    assert normalize_text("a < b 且 c > d") == "a < b且c > d"


def test_boilerplate_lines_dropped_but_content_kept() -> None:
    raw = "点击上方蓝字关注我们\n社区开展垃圾分类宣传活动。\n责任编辑：马骏\n审核：林晓\n初审：宋佳\nEND\n往期推荐\n喜欢就点个“在看”吧"
    assert normalize_text(raw) == "社区开展垃圾分类宣传活动."


@pytest.mark.parametrize("line", ["记得点赞哦！", "点赞、在看、转发", "点击“在看”，让更多人看到", "欢迎转发分享"])
def test_calls_to_like_and_share_are_boilerplate(line: str) -> None:
    assert is_boilerplate_line(line) is True


def test_a_short_news_line_about_a_sharing_event_is_content() -> None:
    assert is_boilerplate_line("3月13日，县图书馆举办少儿绘本阅读分享会，二十组家庭参与。") is False


def test_long_line_mentioning_source_is_content() -> None:
    line = "来源：" + "据了解，该项目总投资3.2亿元，建成后将惠及周边12个村的两万多名群众，" * 3
    assert is_boilerplate_line(line) is False


def test_byline_prefix_removed() -> None:
    assert normalize_text("莲花镇讯（通讯员 黄磊）6月12日，社区开展活动") == "6月12日,社区开展活动"


def test_traditional_characters_map_to_simplified() -> None:
    assert normalize_text("社區開展垃圾分類宣傳活動") == normalize_text("社区开展垃圾分类宣传活动")
    assert normalize_text("社區", NormalizeConfig(traditional=False)) == "社區"


def test_what_nfkc_expands_is_folded_too() -> None:
    # ㈶ is "(財)" under NFKC, with a traditional character inside.
    assert normalize_text("㈶團成立") == normalize_with_offsets("㈶團成立").text == "(财)团成立"


def test_a_character_past_the_bmp_folds_alike_with_or_without_an_ellipsis() -> None:
    # The ellipsis sends the text through NFKC: the fold after it must not differ.
    plain, ellipsis = normalize_text("\U0002005e見"), normalize_text("\U0002005e見……")
    assert ellipsis == plain + "…"
    assert normalize_with_offsets("\U0002005e見……").text == ellipsis


@pytest.mark.parametrize(
    ("text", "folded", "kept"),
    [
        ("社区...…活动", "社区…活动", "社区……活动"),
        ("社区…...活动", "社区…活动", "社区……活动"),
        ("社区……...活动", "社区…活动", "社区……活动"),
        ("社区......活动", "社区…活动", "社区…活动"),
        ("社区….…活动", "社区…活动", "社区….…活动"),
        ("活动……", "活动…", "活动…"),
    ],
)
def test_runs_of_dots_and_ellipses_each_become_one_ellipsis(text: str, folded: str, kept: str) -> None:
    # Under NFKC "…" is "..." first, so the runs join; without it each run is one "…"
    # (a run of dots next to a run of "…" makes two).
    assert normalize_text(text) == folded
    assert normalize_text(text, NormalizeConfig(nfkc=False)) == kept
    assert normalize_with_offsets(text, NormalizeConfig(nfkc=False)).text == kept


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a  b 社区", "a b社区"), ("a\u3000b", "a b"), ("a b 社 区", "a b社区"), ("x\t\ty", "x y"), ("x\u00a0 y", "x y")],
)
def test_runs_of_spaces_become_one_space(text: str, expected: str) -> None:
    assert normalize_text(text) == expected
    assert normalize_with_offsets(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected", "offsets"),
    [
        ("社区 活动", "社区活动", (0, 1, 3, 4)),
        ("a 社区", "a社区", (0, 2, 3)),
        ("社区 a", "社区a", (0, 1, 3)),
        ("a b", "a b", (0, 1, 2)),
        (" 社区 \n 活动 ", "社区\n活动", (1, 2, 4, 6, 7)),
        ("社区 -", "社区 -", (0, 1, 2, 3)),
        ("- 社区", "- 社区", (0, 1, 2, 3)),
        ("社区。 活动", "社区.活动", (0, 1, 2, 4, 5)),
        ("x \n\n y", "x\ny", (0, 2, 5)),
        ("é 社区", "é 社区", (0, 1, 2, 3)),
    ],
)
def test_a_space_goes_between_chinese_text_and_at_line_edges(
    text: str, expected: str, offsets: tuple[int, ...]
) -> None:
    # Kept between two letters, or next to a character that is neither Chinese, a
    # mark, a digit nor an ASCII letter.
    assert normalize_text(text) == expected
    found = normalize_with_offsets(text)
    assert (found.text, found.offsets) == (expected, offsets)


def test_invisible_characters_removed() -> None:
    assert normalize_text("社\u200b区\ufeff活\u0000动") == "社区活动"


def test_whitespace_between_cjk_removed() -> None:
    assert normalize_text("社 区  开展\t活动\n\n\n居民 参与") == "社区开展活动\n居民参与"


def test_literal_backslash_n_is_a_line_break() -> None:
    assert normalize_text("第一段\\n第二段") == "第一段\n第二段"


def test_extra_boilerplate_patterns() -> None:
    cfg = NormalizeConfig(extra_boilerplate=(r"本号.{0,10}出品",))
    assert normalize_text("正文内容。\n本号融媒体中心出品", cfg) == "正文内容."


@pytest.mark.parametrize(
    "raw",
    [
        "关注我们\n６月１２日，社区开展<b>活动</b>。\n编辑：张三",
        "<p>第一段&nbsp;</p><p>第二段…</p>",
        "社區開展活動…… 居民 參與",
        "e\u0301te\u0301 café",
        "",
    ],
)
def test_offsets_point_back_to_the_original(raw: str) -> None:
    fast = normalize_text(raw)
    slow = normalize_with_offsets(raw)
    assert slow.text == fast
    assert len(slow.offsets) == len(slow.text)
    assert list(slow.offsets) == sorted(slow.offsets)
    for i, ch in enumerate(slow.text):
        if "\u4e00" <= ch <= "\u9fff":
            # A Chinese character comes from a character that is the same or its
            # traditional/full-width form.
            src = raw[slow.offsets[i]]
            assert normalize_text(src) in (ch, "")


def test_original_span_maps_a_passage() -> None:
    raw = "关注我们\n<p>社区开展活动。</p>"
    n = normalize_with_offsets(raw)
    start = n.text.index("开展")
    a, b = n.original_span(start, start + 2)
    assert raw[a:b] == "开展"
    with pytest.raises(ValueError, match="outside"):
        n.original_span(0, 999)


def test_strip_html_only_removes_markup() -> None:
    assert strip_html("<div>ＡＢ<br>社區</div>") == "ＡＢ\n社區"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("二〇二四年六月十二日上午", "2024年6月12日上午"),
        ("2024年六月十二日", "2024年6月12日"),
        ("十二月三十一号", "12月31号"),
        ("2024年十月", "2024年10月"),
        ("一个月后", "一个月后"),  # prose, not a date
        ("十三月五日", "十三月五日"),  # no such month
    ],
)
def test_chinese_numeral_dates_become_digits(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected
    assert normalize_with_offsets(raw).text == expected
    assert normalize_text(raw, NormalizeConfig(numbers=False)) == raw


# Characters of the boilerplate patterns' fixed words and separators, plus ordinary text.
_LINE_ALPHABET = "点击上方蓝字关注我们公众号长按扫描识别二维码责任编辑审核来源供稿图文摄影END完往期推荐阅读在看赞转发分享欢迎原侵权社区活动开展了:/|：-— 12"


@given(st.text(alphabet=_LINE_ALPHABET, max_size=40))
@settings(max_examples=400, deadline=None)
def test_boilerplate_quick_rejection_never_changes_the_answer(line: str) -> None:
    # A never-matching extra pattern turns the quick rejection off: the answers must agree.
    full = NormalizeConfig(extra_boilerplate=("(?!x)x",))
    assert is_boilerplate_line(line) == is_boilerplate_line(line, full)


@pytest.mark.parametrize(
    "line",
    [
        "点击上方蓝字关注我们",
        "往期推荐",
        "END",
        "编辑:张三",
        "欢迎转发",
        "如有侵权请联系删除",
        "二维码",
        "长按扫描关注",
        "阅读原文",
        "点赞",
    ],
)
def test_boilerplate_lines_pass_the_quick_rejection(line: str) -> None:
    assert is_boilerplate_line(line)


# Characters folding changes (full-width, traditional, punctuation variants, a compatibility
# form past the BMP) and characters it keeps.
_FOLDED = "ＡＢ１２３（）【】「」，。！？：；社區會議發展國際髮乾後裡…—～　"
_KEPT = "abc123社区会议,.!?\n 𝟙𝄞😀"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=_FOLDED + _KEPT, min_size=256, max_size=1200))
def test_long_text_is_folded_like_its_short_pieces(text: str) -> None:
    # Long texts are folded by one table lookup per code point, short ones by string
    # replacement: the same characters either way.
    for config in (NormalizeConfig(), NormalizeConfig(traditional=False, punctuation=False)):
        pieces = [text[k : k + 100] for k in range(0, len(text), 100)]
        folded = canonical_characters(text, config)
        assert folded == "".join(canonical_characters(piece, config) for piece in pieces)
        assert len(folded) == len(text)
