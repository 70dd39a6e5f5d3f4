from __future__ import annotations

import pytest

from dedup import Article, DedupConfig
from dedup.features import FeatureExtractor, Features
from dedup.sentences import SentenceSets, held_sentence_share


@pytest.fixture(scope="module")
def fx() -> FeatureExtractor:
    return FeatureExtractor(DedupConfig())


def post(fx: FeatureExtractor, text: str) -> Features:
    return fx.extract(Article(id="x", text=text))


def share(a: Features, b: Features) -> float | None:
    return held_sentence_share(SentenceSets(a, 4), SentenceSets(b, 4), held=0.8)


def test_a_copy_and_an_excerpt_hold_each_others_sentences(
    fx: FeatureExtractor, report_and_follow_up: tuple[str, str]
) -> None:
    text = report_and_follow_up[0]
    report = post(fx, text)
    assert share(report, post(fx, "关注我们\n" + text)) == 1.0
    first_two = text[: text.index("社区还为")]
    assert share(report, post(fx, first_two)) == 1.0
    assert share(post(fx, first_two), report) == 1.0


def test_a_follow_up_recapping_the_report_holds_none(
    fx: FeatureExtractor, report_and_follow_up: tuple[str, str]
) -> None:
    report, follow_up = (post(fx, text) for text in report_and_follow_up)
    assert share(report, follow_up) == 0.0
    assert share(follow_up, report) == 0.0


def test_a_copy_without_sentence_marks_still_holds_the_sentences(
    fx: FeatureExtractor, report_and_follow_up: tuple[str, str]
) -> None:
    # Scraped copies lose their punctuation: one long sentence holds all of the source's.
    text = report_and_follow_up[0]
    assert share(post(fx, text), post(fx, text.replace("。", " "))) == 1.0


def test_a_char_tokenizer_rewrite_is_no_recap(report_and_follow_up: tuple[str, str]) -> None:
    # Character grams: sentences are cut at end marks too, not only at line breaks.
    char = FeatureExtractor(DedupConfig(tokenizer="char"))
    text = report_and_follow_up[0]
    a = char.extract(Article(id="a", text=text))
    b = char.extract(Article(id="b", text=text.replace("为进一步提升", "为了提升")))
    assert len(a.sentence_starts) == 2
    assert share(a, b) == 1.0


def test_short_sentences_are_left_out(fx: FeatureExtractor, report_and_follow_up: tuple[str, str]) -> None:
    assert SentenceSets(post(fx, "记者 张三。\n编辑 李四。"), 4).count == 0
    assert share(post(fx, "记者 张三。"), post(fx, report_and_follow_up[0])) is None


def test_sentences_are_cut_at_marks_and_line_breaks_not_decimal_points(fx: FeatureExtractor) -> None:
    f = post(fx, "全年投入资金3.5亿元用于社区改造工程。\n居民满意度明显提升!下一步将继续推进改造")
    assert SentenceSets(f, 1).count == 3
    assert f.sentence_edges().tolist()[0] == 0 and f.sentence_edges().tolist()[-1] == f.n_words


def test_degenerate_repetition_is_not_compared(
    fx: FeatureExtractor, report_and_follow_up: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sentences repeated many times match each other many times over: the comparison is
    # bounded, and such posts are never a recap.
    import dedup.sentences

    text = report_and_follow_up[0] * 20
    a, b = post(fx, text), post(fx, text + "活动受到居民欢迎。")
    assert share(a, b) == 1.0
    monkeypatch.setattr(dedup.sentences, "_MAX_SHARED", 100)
    assert share(a, b) is None
