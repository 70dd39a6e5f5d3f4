from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from dedup import ConfigError
from dedup.tokenizer import CharNgramTokenizer, JiebaTokenizer, Tokenizer

rjieba = pytest.importorskip("rjieba")

VARIED = [
    "央视网消息（新闻联播）：山东通过实施生态修复、水污染治理等措施，持续开展湿地保护和生态治理。",
    "详见www.thepaper.cn或n12.8.670008号文件，增长6.5%，iPhone15售价5999元。",
    "2024年6月12日08:30，长沙市岳麓区荷叶塘社区党委书记王建华带领30余名志愿者入户走访。",
    "E-mail: abc_def@gov.cn；电话0731-88888888；C++与C#；AT&T公司；B超检查。",
    "社区 开展　活动\t居民参与\n第二行……“引号”《书名》【标签】",
    "中共中央总书记、国家主席、中央军委主席习近平9月1日给中国航发黎明发动机装配厂“李志强班”职工回信。",
    "日本の首相は東京で記者会見を開いた。Россия и Китай. ½ ① ⅷ",
    "",
]


def test_cut_matches_pure_python_jieba(tokenizer: JiebaTokenizer) -> None:
    reference = JiebaTokenizer(backend="jieba")
    fast = JiebaTokenizer(backend="rjieba")
    assert fast.backend == "rjieba"
    for text in VARIED:
        assert fast.cut(text) == reference.cut(text), text
        assert "".join(fast.cut(text)) == text


def test_user_dictionary_gives_same_words_on_both_backends(tmp_path: Path) -> None:
    user = tmp_path / "places.txt"
    user.write_text("荷叶塘社区\n山水湾社区 50 ns\n王建华 nr\n", encoding="utf-8")
    text = "荷叶塘社区和山水湾社区开展活动，王建华参加。"
    reference = JiebaTokenizer(backend="jieba", user_dict=str(user))
    fast = JiebaTokenizer(backend="rjieba", user_dict=str(user))
    assert fast.cut(text) == reference.cut(text)
    assert "荷叶塘社区" in fast.cut(text)
    assert fast.tag("山水湾社区") == "ns"
    assert fast.tag("王建华") == "nr"


def test_pure_jieba_writes_cache_only_where_asked(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    JiebaTokenizer(backend="jieba", cache_dir=str(cache)).initialize()
    assert list(cache.iterdir())


def test_tokenize_drops_punctuation_and_stopwords(tokenizer: JiebaTokenizer) -> None:
    words = tokenizer.tokenize("6月12日，社区的志愿者开展了活动。")
    assert "，" not in words and "的" not in words and "了" not in words
    assert "志愿者" in words and "12" in words


def test_tag_lookup(tokenizer: JiebaTokenizer) -> None:
    assert tokenizer.tag("北京") == "ns"
    assert tokenizer.tag("不存在的词语") == ""
    assert tokenizer.in_dictionary("社区")
    assert tokenizer.tagger()("北京") == "ns"
    assert tokenizer.tagger()("刘晓燕") == "unk"


def test_pickles_without_loaded_state(tokenizer: JiebaTokenizer) -> None:
    copy = pickle.loads(pickle.dumps(tokenizer))
    assert copy.cut("社区开展活动") == tokenizer.cut("社区开展活动")


def test_bad_options() -> None:
    with pytest.raises(ConfigError, match="backend"):
        JiebaTokenizer(backend="fast")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="cannot read user dictionary"):
        JiebaTokenizer(user_dict="/nonexistent/dict.txt").initialize()
    with pytest.raises(ConfigError, match="n must be an integer"):
        CharNgramTokenizer(n=0)


def test_char_ngrams() -> None:
    tok = CharNgramTokenizer(n=2)
    assert tok.tokenize("社区，活动") == ["社区", "区活", "活动"]
    assert tok.tokenize("社") == ["社"]
    assert tok.tokenize("，") == []
    assert isinstance(tok, Tokenizer)
