from __future__ import annotations

import pytest

from dedup.specifics import chinese_number, extract_specifics, normalize_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十二", 12),
        ("二十", 20),
        ("一百零五", 105),
        ("三千五百", 3500),
        ("两万", 20000),
        ("二〇二四", 2024),
        ("社区", None),
    ],
)
def test_chinese_numbers(text: str, value: int | None) -> None:
    assert chinese_number(text) == value


def test_numbers_normalize() -> None:
    assert normalize_number("012") == "12"
    assert normalize_number("7.250") == "7.25"
    assert normalize_number("5.0") == "5"
    assert normalize_number("六") == "6"


def test_specifics_from_words(tokenizer) -> None:  # type: ignore[no-untyped-def]
    words = tokenizer.tokenize("今年6月，山东东营修复湿地7.25万亩，王建华参加。")
    found = extract_specifics(words, tokenizer.tagger())
    assert {"6", "7.25", "山东", "东营", "今年"} <= found
    assert "修复" not in found


def test_excluded_words_are_not_specifics(tokenizer) -> None:  # type: ignore[no-untyped-def]
    words = tokenizer.tokenize("长沙县民政局高度重视此项工作")
    assert "长沙县" in extract_specifics(words, tokenizer.tagger())
    assert "长沙县" not in extract_specifics(words, tokenizer.tagger(), exclude={"长沙县"})
