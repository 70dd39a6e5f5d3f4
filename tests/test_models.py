"""dedup.models: what goes in and comes out."""

from __future__ import annotations

import pickle
import sys
from datetime import datetime, timedelta, timezone

from dedup import Article


def test_article_pickles_whole_without_keeping_a_utf8_copy_of_its_text() -> None:
    # Sent to a spawned worker, an article must not leave a UTF-8 copy of its text behind.
    text = "6月12日上午，荷叶塘社区开展垃圾分类宣传活动。" * 40 + "\ud800"  # a lone surrogate survives too
    article = Article(
        id="社区-1",
        text=text,
        title="垃圾分类",
        account="荷叶塘社区",
        published_at=datetime(2024, 6, 12, 15, 20, tzinfo=timezone(timedelta(hours=8))),
        source="posts.jsonl",
        lineno=3,
        extra={"url": "https://example.invalid/1"},
    )
    size = sys.getsizeof(article.text), sys.getsizeof(article.title)
    copy = pickle.loads(pickle.dumps(article))
    assert copy == article
    assert (sys.getsizeof(article.text), sys.getsizeof(article.title)) == size
    plain = "6月12日上午，荷叶塘社区开展垃圾分类宣传活动。" * 40 + "x"
    before = sys.getsizeof(plain)
    pickle.dumps(plain)
    assert sys.getsizeof(plain) > before  # what a plain str does: why Article pickles its own way
