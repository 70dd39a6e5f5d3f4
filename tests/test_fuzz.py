"""Fuzzing the readers, the normalizer and the pipeline (hypothesis, bounded).

Inputs mix random data with fragments that reach the interesting paths (JSON and CSV
syntax, BOMs, bad bytes, NUL, GBK/Big5/UTF-16 bytes, HTML, escapes, surrogates). The
contracts: the normalizer never raises and its offset-tracking variant gives the same
text with valid, monotone offsets; a reader yields articles or raises InputError (never
another exception) and with ``skip_bad`` never raises; the pipeline accepts any text.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup import Article, Deduplicator, InputError, NormalizeConfig
from dedup.io import ArticleReader
from dedup.normalize import normalize_text, normalize_with_offsets

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TEXT_FRAGMENTS = [
    "<script>", "</script>", "<SCRIPT type=x>", "<style>", "</style >", "<!--", "-->", "<p>", "</p>",
    "<br/>", "<div class='a'>", "<a href=\"x\">", "<", ">", "&amp;", "&nbsp;", "&#0;", "&#x110000;",
    "&#xD800;", "&lt", "\\n", "\\r\\n", "\r\n", "\r", "\n", "\n\n\n", " ", "\u3000", "\u00a0", "\t",
    "…", "...", "。", "，", "“", "”", "「", "」", "编辑：张三", "关注我们", "来源：新华社", "END",
    "长沙讯（记者 李四）", "\u200b", "\u2060", "\ufeff", "\u00ad", "\x00", "\x1f", "\x85", "\ud800",
    "\udfff", "ｆｕｌｌ", "１２３", "㍿", "ﬁ", "e\u0301", "\u0301", "\u1100\u1161\u11a8", "가",
    "\u1100", "臺灣", "後", "🎉", "👍🏽", "\U0001f1e8\U0001f1f3", "社区", "6月12日", "a", "1",
]  # fmt: skip
TEXTS = st.one_of(
    st.lists(st.one_of(st.sampled_from(TEXT_FRAGMENTS), st.text(max_size=4)), max_size=40).map("".join),
    st.text(max_size=200),
)
CONFIGS = st.builds(
    NormalizeConfig,
    html=st.booleans(),
    nfkc=st.booleans(),
    punctuation=st.booleans(),
    boilerplate=st.booleans(),
    traditional=st.booleans(),
)


@FUZZ
@given(text=TEXTS, config=CONFIGS)
def test_normalizer_never_raises_and_offsets_agree(text: str, config: NormalizeConfig) -> None:
    fast = normalize_text(text, config)
    tracked = normalize_with_offsets(text, config)
    assert tracked.text == fast
    assert len(tracked.offsets) == len(fast)
    assert all(0 <= o < len(text) for o in tracked.offsets)
    assert list(tracked.offsets) == sorted(tracked.offsets)
    fast.encode("utf-8")  # no lone surrogates left for the tokenizer


BYTE_FRAGMENTS = [
    b'{"id": ', b'"id"', b'"text": ', b'"title": ', b'"published_at": ', b'"', b"'", b",", b":",
    b"{", b"}", b"[", b"]", b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\xfe", b"\x80", b"\xed\xa0\x80",
    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"1", b"-1e999", b"1" * 30, b"null", b"true", b"NaN",
    b"\\u0000", b"\\ud800", b"\\udc00", b"\\", b"id,text\n", b"id,title,text\r\n", b"title,text\n",
    "社区".encode(), "社區".encode("big5"), "社区".encode("gbk"), "社区".encode("utf-16-le"),
    "\U00020000".encode("gb18030"), b" ", b"\t", b'""', b"x" * 40, b"2024-06-12 08:30", b"<p>",
]  # fmt: skip
DATA = st.one_of(
    st.lists(st.one_of(st.sampled_from(BYTE_FRAGMENTS), st.binary(max_size=8)), max_size=60).map(b"".join),
    st.binary(max_size=400),
)


def _check_outcome(reader: ArticleReader, *, max_length: int | None) -> None:
    try:
        articles = list(reader)
    except InputError as exc:
        assert not reader.skip_bad, f"skip_bad raised {exc!r}"
        message = str(exc)
        assert "\n" not in message
        message.encode("utf-8")
        return
    ids = [a.id for a in articles]
    assert len(ids) == len(set(ids))
    for a in articles:
        assert isinstance(a.id, str) and a.id.strip()
        for value in (a.id, a.title, a.account):
            value.encode("utf-8")  # echoed back in reports
        assert max_length is None or len(a.text) <= max_length
    for record in reader.skipped:
        json.dumps(record.to_dict(), ensure_ascii=False).encode("utf-8")
        assert "\n" not in str(record)


@FUZZ
@given(
    data=DATA,
    input_format=st.sampled_from(["auto", "jsonl", "csv", "txt"]),
    encoding=st.sampled_from([None, None, "gb18030", "big5", "utf-16"]),
    skip_bad=st.booleans(),
    max_length=st.sampled_from([None, 5, 1000]),
)
def test_stream_readers_yield_articles_or_raise_input_error(
    data: bytes, input_format: str, encoding: str | None, skip_bad: bool, max_length: int | None
) -> None:
    reader = ArticleReader(
        "-",
        stdin=io.BytesIO(data),
        input_format=input_format,  # type: ignore[arg-type]
        encoding=encoding,
        skip_bad=skip_bad,
        max_length=max_length,
    )
    _check_outcome(reader, max_length=max_length)


@FUZZ
@given(
    data=DATA,
    name=st.sampled_from(["a.jsonl", "a.csv", "a.txt", "a.jsonl.gz", "a.csv.gz", "dir"]),
    cut=st.floats(0.0, 1.0),
    encoding=st.sampled_from([None, None, "gb18030", "utf-16"]),
    skip_bad=st.booleans(),
)
def test_file_readers_yield_articles_or_raise_input_error(
    data: bytes, name: str, cut: float, encoding: str | None, skip_bad: bool
) -> None:
    root = Path(tempfile.mkdtemp(prefix="dedup-fuzz-"))
    try:
        if name == "dir":
            path = root / "d"
            (path / "sub").mkdir(parents=True)
            (path / "a.txt").write_bytes(data)
            (path / "sub" / "b.html").write_bytes(data[::-1])
        elif name.endswith(".gz"):
            path = root / name
            payload = gzip.compress(data)
            path.write_bytes(payload[: max(1, round(len(payload) * cut))] if cut < 1 else payload)
        else:
            path = root / name
            path.write_bytes(data)
        reader = ArticleReader(path, encoding=encoding, skip_bad=skip_bad, max_length=1000)
        _check_outcome(reader, max_length=1000)
    finally:
        shutil.rmtree(root)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(posts=st.lists(st.tuples(TEXTS, TEXTS, st.sampled_from(["", "荷叶塘社区", "\ud800号", "号\x00"])), max_size=4))
def test_pipeline_accepts_any_text(dedup: Deduplicator, posts: list[tuple[str, str, str]]) -> None:
    batch = [
        Article(id=f"p{k}", text=text, title=title, account=account) for k, (text, title, account) in enumerate(posts)
    ]
    # Copies of every post too, so that candidates, verification and evidence all run.
    batch += [Article(id=f"c{k}", text=a.text, title=a.title, account="另一个号") for k, a in enumerate(batch)]
    result = dedup.check(batch)
    assert result.summary.articles == len(batch)
    for story in result.stories:
        for pair in story.pairs:
            assert 0.0 <= pair.score <= 1.0
            if pair.evidence is not None:
                for (a0, a1), (b0, b1) in pair.evidence.shared:
                    assert 0 <= a0 < a1 and 0 <= b0 < b1
